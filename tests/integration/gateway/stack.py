"""The whole xapi-rest stack for integration tests: XAPI simulator(s), `xapi-rest serve`
and nginx from nginx/dev.conf.in, in a temporary folder on free loopback ports.
Everything started here is stopped (and the folder removed) by Stack.stop()."""
import base64
import functools
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

APP = os.environ.get("XR_APP", "")
ROOT = os.environ.get("XR_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../../..")))
SIM = os.path.join(ROOT, "tests/xapi-sim/xapi-sim")
PYTHON = "/usr/bin/python3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read(path):
    with open(path) as f:
        return f.read()


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - still starting
            pass
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def keep_logs(folder):
    """With XR_KEEP_LOGS=DIR, copies the logs of a stack's folder (serve.log, the simulators'
    sim-*.log, nginx's logs/error.log) to DIR/<folder's name>/ before it is removed: what a
    failed run (a flaky one under load) left behind."""
    dest_root = os.environ.get("XR_KEEP_LOGS")
    if not dest_root or not os.path.isdir(folder):
        return
    dest = os.path.join(dest_root, os.path.basename(folder))
    for rel in ["serve.log", "nginx/logs/error.log"] + [n for n in os.listdir(folder) if n.startswith("sim-")]:
        src = os.path.join(folder, rel)
        if os.path.isfile(src):
            os.makedirs(dest, exist_ok=True)
            shutil.copyfile(src, os.path.join(dest, rel.replace("/", "_")))


def packaged_site_dir(test, prefix):
    """A folder for write_packaged_site, removed when `test` ends: readable by nginx's workers
    (0755), with a one-day self-signed certificate for localhost in cert.pem + key.pem."""
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o755)
    test.addCleanup(shutil.rmtree, d, True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=localhost", "-keyout", d + "/key.pem", "-out", d + "/cert.pem"],
                   check=True, capture_output=True)
    return d


def write_packaged_site(d, site):
    """Writes d/nginx.conf around `site` (nginx/xapi-rest.conf's text, possibly edited) so an
    unprivileged nginx can run it from folder d: certificate d/cert.pem + d/key.pem (made by the
    caller), upload spool d/spool, both listens on free loopback ports (IPv6 dropped), temp
    folders in d. Returns the HTTPS port."""
    https = free_port()
    site = site.replace("/etc/xapi-rest/tls/", d + "/").replace("/var/spool/xapi-rest/uploads", d + "/spool")
    site = site.replace("listen 80;", "listen 127.0.0.1:%d;" % free_port())
    site = site.replace("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % https)
    site = "\n".join(l for l in site.splitlines() if "[::]" not in l)
    os.makedirs(d + "/logs", exist_ok=True)
    with open(d + "/nginx.conf", "w") as f:
        f.write("error_log logs/error.log; pid logs/nginx.pid;\nevents {}\nhttp {\ninclude /etc/nginx/mime.types;\n"
                "client_body_temp_path %s/t1; fastcgi_temp_path %s/t2; proxy_temp_path %s/t3;\n"
                "uwsgi_temp_path %s/t4; scgi_temp_path %s/t5;\n%s\n}\n" % (d, d, d, d, d, site))
    return https


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)

    def ndjson(self):
        return [json.loads(line) for line in self.body.decode().splitlines() if line]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class FromAddress(urllib.request.HTTPHandler):
    """Connects from another loopback address (127.0.0.0/8): a different client address
    for the login throttle (README, Hardening)."""

    def __init__(self, source):
        super().__init__()
        self.source = source

    def http_open(self, req):
        return self.do_open(functools.partial(http.client.HTTPConnection, source_address=(self.source, 0)), req)


class Sim:
    def __init__(self, folder, vms, hosts, seed, password, extra_args=()):
        self.log_path = os.path.join(folder, "sim-%d.log" % free_port())
        self.password = password
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [PYTHON, SIM, "--port", "0", "--vms", str(vms), "--hosts", str(hosts), "--seed", str(seed),
             "--user", "root", "--password", password] + list(extra_args),
            stdout=self.log, stderr=subprocess.STDOUT)
        wait_until(lambda: "listening on" in read(self.log_path), 60, "the simulator")
        self.url = re.search(r"listening on (\S+)", read(self.log_path)).group(1)

    def control(self, command, body=None):
        req = urllib.request.Request(self.url + "/_sim/" + command, method="POST",
                                     data=json.dumps(body or {}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())["result"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class PgConnection:
    """sqlite3-like `with db: db.execute(sql, params)` on PostgreSQL through psql; `?`
    placeholders are replaced by quoted literals (tests' own values only)."""
    def __init__(self, conninfo):
        self.conninfo = conninfo

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @staticmethod
    def literal(v):
        if v is None:
            return "NULL"
        if isinstance(v, (int, float)):
            return str(v)
        return "'" + str(v).replace("'", "''") + "'"

    def execute(self, sql, params=()):
        parts = sql.split("?")
        assert len(parts) == len(params) + 1, "one parameter per ?"
        text = parts[0] + "".join(self.literal(p) + rest for p, rest in zip(params, parts[1:]))
        pg_sql(self.conninfo, text)


def start_nginx(prefix, text):
    """nginx with config `text` in folder `prefix` (logs/, tmp/ made by the caller); its pid."""
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(text)
    subprocess.run(["nginx", "-p", prefix, "-c", conf], check=True, capture_output=True)
    pid_file = os.path.join(prefix, "logs/nginx.pid")
    wait_until(lambda: os.path.exists(pid_file), 10, "nginx")
    return int(read(pid_file))


def stop_nginx(pid, prefix):
    """Graceful stop (QUIT) of the nginx started by start_nginx(prefix, ...)."""
    try:
        os.kill(pid, signal.SIGQUIT)
    except ProcessLookupError:
        pass
    wait_until(lambda: not os.path.exists(os.path.join(prefix, "logs/nginx.pid")), 10, "nginx to stop")


def pg_sql(conninfo, sql):
    """Runs SQL on PostgreSQL with psql (no Python driver needed)."""
    subprocess.run(["psql", conninfo, "-qAtX", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True,
                   capture_output=True, timeout=30)


class Stack:
    def __init__(self, vms=20, hosts=2, seed=1, pools=1, workers=2, threads=4, extra_config="", sim_args=(),
                 sims=None, wait=True, tls_lines=None,
                 transfer_config="", storage=None, nginx_subs=(), ui_dir=None, cache_mb=64, admin_token=None,
                 server_config="", poller_config="", list_files_mb=None, secret_key=None):
        if not APP or not os.access(APP, os.X_OK):
            raise RuntimeError("XR_APP must name the xapi-rest binary")
        self.dir = tempfile.mkdtemp(prefix="xr-it-")
        os.chmod(self.dir, 0o755)  # nginx workers (nobody) must reach the socket
        self.sims, self.serve, self.nginx_pid = list(sims or []), None, None
        self.storage, self.pg_schema = storage, None
        self.secret_key = secret_key  # [storage] secret_key_file (nodes of one store share one)
        self.nginx_subs = list(nginx_subs)
        self.ui_dir = ui_dir  # XO 6's web UI served at / (nginx/dev.conf.in's `ui` folder)
        self.cache_mb = cache_mb
        self.list_files_mb = list_files_mb  # cache.list_files_mb (None: the default)
        self.own_sims = sims is None
        try:
            for i in range(pools if self.own_sims else 0):
                self.sims.append(Sim(self.dir, vms, hosts, seed + i, "pw%d" % i, sim_args))
            self.config = os.path.join(self.dir, "xapi-rest.toml")
            self.socket = os.path.join(self.dir, "fcgi.sock")
            self.tls_lines = tls_lines or ['tls = "insecure"']
            self._write_config(workers, threads, extra_config, transfer_config, server_config, poller_config)
            self.admin_password = "admin-pw"
            if admin_token:  # another node of a shared store already made the admin
                self.token = admin_token
            else:
                self.cli(["user", "add", "admin"], stdin=self.admin_password + "\n")
                self.token = self.cli(["token", "create", "--user", "admin"]).strip()
            self.start_serve()
            self._start_nginx()
            wait_until(lambda: self.get("/rest/v0/ping").status == 200, 20, "nginx + xapi-rest")
            if wait:
                self.wait_synced()
        except BaseException:
            self.stop()
            raise

    # --- processes ---
    def db(self):
        """A connection to the stack's store for tests that set rows up directly: sqlite3's,
        or PgConnection (the same `with db: db.execute(sql, (params))` with `?`)."""
        if self.storage is not None:
            return PgConnection(self.storage)
        import sqlite3
        return sqlite3.connect(os.path.join(self.dir, "data/xapi-rest.db"), timeout=5)

    def _storage_lines(self):
        """[storage] keys: SQLite in the stack's folder; with XR_TEST_PG (tests/pg/pg-cluster.sh
        run), a new PostgreSQL schema of that database for this stack (dropped by stop()), or
        the connection given as `storage=` (several nodes sharing one store)."""
        if self.storage is None and os.environ.get("XR_TEST_PG"):
            self.pg_schema = "it_%d_%d" % (os.getpid(), id(self) % 100000)
            pg_sql(os.environ["XR_TEST_PG"], "CREATE SCHEMA %s" % self.pg_schema)
            self.storage = "%s options='-csearch_path=%s'" % (os.environ["XR_TEST_PG"], self.pg_schema)
        key = ['secret_key_file = "%s"' % self.secret_key] if self.secret_key else []
        if self.storage is None:
            return key
        return ['backend = "postgresql"', "connection = \"%s\"" % self.storage] + key

    def _write_config(self, workers, threads, extra, transfer="", server="", poller=""):
        lines = ['[server]', 'socket = "%s"' % self.socket, 'socket_mode = "0666"',
                 'workers = %d' % workers, 'threads = %d' % threads,
                 '' if 'shutdown_timeout' in server else 'shutdown_timeout = 5', server,
                 '[storage]', 'data_dir = "%s"' % os.path.join(self.dir, "data")] + self._storage_lines() + [
                 '[cache]', 'size_mb = %d' % self.cache_mb,
                 '' if self.list_files_mb is None else 'list_files_mb = %d' % self.list_files_mb,
                 '[poller]', 'retry_max = 1', poller,
                 # nginx/dev.conf.in spools uploads in <nginx prefix>/tmp/client_body
                 '[transfer]', 'spool_dir = "%s"' % os.path.join(self.dir, "nginx/tmp/client_body"),
                 transfer, extra]
        if "[limits]" not in extra:  # the suites make changes faster than the default limits
            lines += ['[limits]', 'mutations_per_minute = 0', 'actions_per_minute = 0']
        for i, sim in enumerate(self.sims):
            pw = os.path.join(self.dir, "pool%d.password" % i)
            with open(pw, "w") as f:
                f.write(sim.password + "\n")
            lines += ['[[pool]]', 'name = "pool%d"' % i, 'url = "%s"' % sim.url, 'user = "root"',
                      'password_file = "%s"' % pw] + self.tls_lines
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")

    def cli(self, args, stdin=None):
        r = subprocess.run([APP] + args + ["--config", self.config], input=stdin, text=True,
                           capture_output=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("xapi-rest %s failed: %s" % (args, r.stderr))
        return r.stdout

    def start_serve(self):
        self.serve_log_path = os.path.join(self.dir, "serve.log")
        self.serve_log = open(self.serve_log_path, "a")
        # A systemd-like notification socket: sd_notify messages land here.
        self.notify_path = os.path.join(self.dir, "notify.sock")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        env = dict(os.environ, NOTIFY_SOCKET=self.notify_path)
        self.serve = subprocess.Popen([APP, "serve", "--config", self.config], env=env,
                                      stdout=self.serve_log, stderr=subprocess.STDOUT)
        wait_until(lambda: os.path.exists(self.socket), 20, "the FastCGI socket")

    def _start_nginx(self):
        self.port = free_port()
        ngx = os.path.join(self.dir, "nginx")
        for d in ("logs", "tmp", "static"):
            os.makedirs(os.path.join(ngx, d), exist_ok=True)
        # Swagger UI at /rest/v0/docs/ when the staged assets are given (packaging/swagger-ui).
        if os.environ.get("XR_SWAGGER_UI"):
            os.symlink(os.environ["XR_SWAGGER_UI"], os.path.join(ngx, "swagger-ui"))
        if self.ui_dir:
            os.symlink(os.path.abspath(self.ui_dir), os.path.join(ngx, "ui"))
        text = read(os.path.join(ROOT, "nginx/dev.conf.in"))
        text = text.replace("@PORT@", str(self.port)).replace("@SOCKET@", self.socket)
        text = text.replace("@SOCKET_DIR@", os.path.dirname(self.socket))
        for old, new in self.nginx_subs:  # a test's own variant of the site (asserted present)
            assert old in text, old
            text = text.replace(old, new)
        self.nginx_pid = start_nginx(ngx, text)

    def stop(self):
        if self.nginx_pid:
            stop_nginx(self.nginx_pid, os.path.join(self.dir, "nginx"))
        if self.serve and self.serve.poll() is None:
            self.serve.terminate()
            try:
                self.serve.wait(15)
            except subprocess.TimeoutExpired:
                self.serve.kill()
                self.serve.wait()
        if self.serve:
            self.serve_log.close()
            self.notify.close()
        for s in self.sims if self.own_sims else []:
            s.stop()
        if self.pg_schema:
            pg_sql(os.environ["XR_TEST_PG"], "DROP SCHEMA IF EXISTS %s CASCADE" % self.pg_schema)
        keep_logs(self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)

    @classmethod
    def attach(cls, sims, **kw):
        """A second xapi-rest + nginx on the simulators of another Stack (left running by
        stop()): what a fresh synchronisation of the same pools serves."""
        return cls(sims=sims, **kw)

    # --- children of the master, from the log's role tags ---
    def pids(self, role):
        """Live pids of a role ("worker", "poller") according to the serve log."""
        found = []
        for m in re.finditer(r"\[(%s)(?: \d+)? pid (\d+)\]" % role, read(self.serve_log_path)):
            pid = int(m.group(2))
            if pid not in found and os.path.exists("/proc/%d" % pid) and \
                    read("/proc/%d/stat" % pid).split()[2] != "Z":
                found.append(pid)
        return found

    def notifications(self, timeout=5.0):
        """sd_notify messages received so far (waits up to `timeout` for the first)."""
        msgs = []
        self.notify.settimeout(timeout)
        try:
            while True:
                msgs.append(self.notify.recv(4096).decode())
                self.notify.settimeout(0.2)
        except (socket.timeout, BlockingIOError):
            pass
        return msgs

    def log_text(self):
        return read(self.serve_log_path)

    # --- HTTP ---
    def audit_records(self):
        """The audit log's records ([audit] path's default, <data_dir>/audit.log), parsed."""
        path = os.path.join(self.dir, "data/audit.log")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f]

    def wait_audit(self, pred, timeout=10, after=0):
        """The last audit record `pred` accepts among those after the first `after` (the count
        before the request: an older record may match too), once there is one."""
        found = []
        wait_until(lambda: found.extend(x for x in self.audit_records()[after:] if pred(x)) or found, timeout,
                   "the audit line")
        return found[-1]

    def request(self, method, path, token=None, cookie=None, basic=None, headers=None, body=None, source=None,
                raw=None):
        """`body` is sent as JSON; `raw` bytes as they are (set their Content-Type in `headers`)."""
        h = dict(headers or {})
        if token is not None:
            h["Cookie"] = "authenticationToken=" + token
        if cookie is not None:
            h["Cookie"] = cookie
        if basic is not None:
            h["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % basic).encode()).decode()
        data = json.dumps(body).encode() if body is not None else raw
        if body is not None:
            h["Content-Type"] = "application/json"
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), method=method,
                                     headers=h, data=data)
        opener = urllib.request.build_opener(NoRedirect, *([FromAddress(source)] if source else []))
        try:
            with opener.open(req, timeout=30) as r:
                return Response(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, e.headers, e.read())

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def api(self, path):
        """GET with the admin token; asserts 200 and returns the decoded JSON."""
        r = self.get(path, token=self.token)
        if r.status != 200:
            raise AssertionError("GET %s: %d %s" % (path, r.status, r.body[:300]))
        return r.ndjson() if r.headers.get("Content-Type", "").startswith("application/x-ndjson") else r.json()

    def wait_synced(self, timeout=30):
        def ok():
            servers = self.api("/rest/v0/servers?fields=status")
            return len(servers) == len(self.sims) and all(s["status"] == "connected" for s in servers)
        wait_until(ok, timeout, "every pool to be synchronised")
