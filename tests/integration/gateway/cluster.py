"""Several xapi-rest nodes on one PostgreSQL store (issue 15): a throw-away PostgreSQL
cluster (tests/pg/pg-cluster.sh), the simulator, node A and node B (each a Stack with its
own nginx, so a test can talk to one node), and a front nginx whose upstreams are both
nodes' sockets (what an operator runs). Used by test_cluster.py and `make demo-cluster`."""
import os
import signal
import subprocess
import tempfile

from stack import ROOT, Stack, free_port, read, start_nginx, stop_nginx, wait_until

PG_CLUSTER = os.path.join(ROOT, "tests/pg/pg-cluster.sh")


def descendants(pid):
    """pid and every process below it (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(read("/proc/%s/stat" % entry).rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


class Cluster:
    def __init__(self, vms=10, hosts=2, lease=3, workers=1, threads=4, port=None):
        self.pg_dir = tempfile.mkdtemp(prefix="xr-pg-")
        self.a = self.b = None
        self.nginx_pid = None
        try:
            self.conninfo = subprocess.run([PG_CLUSTER, "start", self.pg_dir], check=True, text=True,
                                           capture_output=True, timeout=120).stdout.strip()

            def extra(node):
                return '[cluster]\nnode = "%s"\nlease = %d' % (node, lease)
            # One key for the passwords of servers added over REST (node A makes it at start).
            key = os.path.join(self.pg_dir, "secret.key")
            self.a = Stack(vms=vms, hosts=hosts, workers=workers, threads=threads,
                           storage=self.conninfo, extra_config=extra("a"), secret_key=key)
            self.b = Stack(sims=self.a.sims, workers=workers, threads=threads, storage=self.conninfo,
                           extra_config=extra("b"), admin_token=self.a.token, secret_key=key)
            self.token = self.a.token
            self._start_front(port)
            wait_until(lambda: self.front.get("/rest/v0/ping").status == 200, 20, "the front nginx")
        except BaseException:
            self.stop()
            raise

    def node(self, name):
        return {"a": self.a, "b": self.b}[name]

    def _start_front(self, port=None):
        """nginx/dev.conf.in with each socket replaced by an upstream of both nodes."""
        self.dir = tempfile.mkdtemp(prefix="xr-front-")
        os.chmod(self.dir, 0o755)
        for d in ("logs", "tmp", "static"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        port = port or free_port()
        text = read(os.path.join(ROOT, "nginx/dev.conf.in")).replace("@PORT@", str(port))
        # A node that refuses connections is skipped for 2 s (then tried again).
        def servers(sock):
            return "".join("    server unix:%s max_fails=1 fail_timeout=2s;\n" % os.path.join(n.dir, sock)
                           for n in (self.a, self.b))
        # The workers' socket is already an upstream (xr_workers, with keepalive): both nodes.
        old = "    server unix:@SOCKET@;\n"
        assert old in text, old
        text = text.replace(old, servers("fcgi.sock"))
        ups = []
        for name, sock in (("xr_streams", "stream.sock"), ("xr_transfers", "transfer.sock")):
            old = "unix:@SOCKET_DIR@/%s;" % sock
            assert old in text, old
            text = text.replace(old, name + ";")
            ups.append("  upstream %s {\n%s  }\n" % (name, servers(sock)))
        text = text.replace("@SOCKET_DIR@", self.a.dir).replace("http {", "http {\n" + "".join(ups), 1)
        self.nginx_pid = start_nginx(self.dir, text)
        self.front = FrontView(self, port)

    def kill_node(self, name):
        """kill -9 of every process of node `name` (master and children): a crashed machine."""
        n = self.node(name)
        for pid in descendants(n.serve.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        n.serve.wait(10)

    def runner_of(self, task_id):
        """The runner that claimed a task's job ("<node>|<pid>:<start>"), "" when none yet."""
        r = subprocess.run(["psql", self.conninfo, "-qAtX", "-c",
                            "SELECT runner FROM tasks WHERE id='%s' AND job_state='running'" % task_id],
                           check=True, capture_output=True, text=True, timeout=30)
        return r.stdout.strip()

    def stop(self):
        if self.nginx_pid:
            stop_nginx(self.nginx_pid, self.dir)
            self.nginx_pid = None
        for n in (self.b, self.a):
            if n is not None:
                n.stop()
        subprocess.run([PG_CLUSTER, "stop", self.pg_dir], capture_output=True, timeout=60)
        if getattr(self, "dir", None):
            subprocess.run(["rm", "-rf", self.dir])


class FrontView(Stack):
    """Stack's HTTP helpers aimed at the front nginx (no processes of its own)."""
    def __init__(self, cluster, port):  # pylint: disable=super-init-not-called
        self.port, self.token, self.sims = port, cluster.token, cluster.a.sims
