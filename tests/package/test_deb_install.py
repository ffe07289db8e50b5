"""The real proof of the .deb: `apt install ./xapi-rest_*.deb` on this machine, then, as an
operator following the README would: a [[pool]] (the simulator) in the packaged config,
`xapi-rest serve` as the packaged user (the unit's User=, Group=, SupplementaryGroups=,
UMask=, with the runtime directory systemd would make), the packaged nginx site in front
(TLS, on loopback ports), the README's curl examples; then an upgrade that keeps the
database and the edited config, and a purge that removes what the install created.
Runs as root; one run at a time on the machine (a lock file)."""
import fcntl
import grp
import json
import os
import pwd
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import pkgs  # noqa: E402

sys.path.insert(0, os.path.join(pkgs.ROOT, "tests/integration/gateway"))
from stack import Sim, free_port, read, wait_until  # noqa: E402

sys.path.insert(0, os.path.join(pkgs.ROOT, "tests/openapi"))
from test_swagger_ui import browse  # noqa: E402

APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-o", "Dpkg::Options::=--force-unsafe-io", "-qq", "-y"]
CONFIG = "/etc/xapi-rest/xapi-rest.toml"
SOCKET = "/run/xapi-rest/fcgi.sock"
# The unit's identity: User=xapi-rest, Group=www-data, SupplementaryGroups=xapi-rest.
AS_SERVICE = ["setpriv", "--reuid=xapi-rest", "--regid=www-data", "--groups=xapi-rest", "--"]


def sh(args, **kw):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    r = subprocess.run(args, capture_output=True, text=True, timeout=600, env=env, **kw)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d): %s %s" % (args, r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    return r.stdout


def installed():
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "xapi-rest"], capture_output=True, text=True)
    return r.returncode == 0 and "installed" in r.stdout


def readme_curl_examples():
    """The curl lines of README.md's API example block (continuations joined, comments cut)."""
    text = read(os.path.join(pkgs.ROOT, "README.md"))
    block = re.search(r"```sh\nT=\.\.\..*?\n```", text, re.S).group(0)
    lines, cur = [], ""
    for line in block.splitlines()[1:-1]:
        cur += line.rstrip()
        if cur.endswith("\\"):
            cur = cur[:-1] + " "
            continue
        if cur.lstrip().startswith("curl "):
            lines.append(re.sub(r"\s+#[^'\"]*$", "", cur).strip())
        cur = ""
    return lines


@unittest.skipUnless(os.geteuid() == 0, "installs a package: needs root")
class DebInstallTest(unittest.TestCase):
    def setUp(self):
        self.lock = open("/tmp/xapi-rest-package-test.lock", "w")
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        self.dir = tempfile.mkdtemp(prefix="xr-pkg-")
        os.chmod(self.dir, 0o755)
        self.sim, self.serve, self.nginx_pid = None, None, None
        if installed():
            sh(APT + ["purge", "xapi-rest"])

    def tearDown(self):
        self.stop_serve()
        if self.nginx_pid:
            try:
                os.kill(self.nginx_pid, signal.SIGQUIT)
            except ProcessLookupError:
                pass
            wait_until(lambda: not os.path.exists(self.dir + "/nginx/logs/nginx.pid"), 10, "nginx to stop")
        if self.sim:
            self.sim.stop()
        if os.path.exists("/etc/xapi-rest/sim.password"):
            os.unlink("/etc/xapi-rest/sim.password")
        if installed():
            subprocess.run(APT + ["purge", "xapi-rest"], capture_output=True)
        shutil.rmtree("/run/xapi-rest", ignore_errors=True)
        shutil.rmtree(self.dir, ignore_errors=True)
        fcntl.flock(self.lock, fcntl.LOCK_UN)
        self.lock.close()

    # --- the service as systemd would run it ---
    def start_serve(self):
        # RuntimeDirectory=xapi-rest, RuntimeDirectoryMode=0750, owned by User:Group.
        os.makedirs("/run/xapi-rest", exist_ok=True)
        os.chown("/run/xapi-rest", pwd.getpwnam("xapi-rest").pw_uid, grp.getgrnam("www-data").gr_gid)
        os.chmod("/run/xapi-rest", 0o750)
        sh(AS_SERVICE + ["/usr/bin/xapi-rest", "check-config", "--config", CONFIG])   # ExecStartPre
        self.notify_path = os.path.join(self.dir, "notify.sock")
        if os.path.exists(self.notify_path):
            os.unlink(self.notify_path)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.notify.bind(self.notify_path)
        os.chmod(self.notify_path, 0o666)
        self.log = open(os.path.join(self.dir, "serve.log"), "a")
        self.serve = subprocess.Popen(AS_SERVICE + ["/usr/bin/xapi-rest", "serve", "--config", CONFIG],
                                      env=dict(os.environ, NOTIFY_SOCKET=self.notify_path),
                                      stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=lambda: os.umask(0o077))
        self.notify.settimeout(30)
        msgs = [self.notify.recv(4096).decode()]
        self.assertIn("READY=1", msgs[0], read(self.log.name))

    def stop_serve(self):
        if self.serve and self.serve.poll() is None:
            self.serve.terminate()
            self.serve.wait(30)
            self.log.close()
            self.notify.close()
        self.serve = None

    def start_nginx(self):
        """The packaged site, only its listen ports and certificate paths changed, in an
        http block of its own with Debian's worker user (www-data)."""
        ngx = os.path.join(self.dir, "nginx")
        os.makedirs(ngx + "/logs")
        sh(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-keyout", ngx + "/key.pem", "-out", ngx + "/cert.pem"])
        site = read("/etc/nginx/sites-available/xapi-rest")
        self.port = free_port()
        site = site.replace("/etc/xapi-rest/tls/", ngx + "/")
        site = site.replace("listen 80;", "listen 127.0.0.1:%d;" % free_port())
        site = site.replace("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % self.port)
        site = "\n".join(l for l in site.splitlines() if "[::]" not in l)
        with open(ngx + "/nginx.conf", "w") as f:
            f.write("user www-data;\nerror_log logs/error.log; pid logs/nginx.pid;\nevents {}\nhttp {\n"
                    "include /etc/nginx/mime.types;\n"
                    "client_body_temp_path tmp1; fastcgi_temp_path tmp2; proxy_temp_path tmp3;\n"
                    "uwsgi_temp_path tmp4; scgi_temp_path tmp5;\n%s\n}\n" % site)
        sh(["nginx", "-p", ngx, "-c", ngx + "/nginx.conf"])
        wait_until(lambda: os.path.exists(ngx + "/logs/nginx.pid"), 10, "nginx")
        self.nginx_pid = int(read(ngx + "/logs/nginx.pid"))

    def curl(self, args):
        r = subprocess.run(["curl", "-ksS", "-o", "/dev/stdout", "-w", "\n%{http_code}"] + args,
                           capture_output=True, text=True, timeout=60)
        body, _, code = r.stdout.rpartition("\n")
        return int(code or 0), body

    def test_install_run_upgrade_purge(self):
        deb = pkgs.deb()
        # 1. apt install ./xapi-rest_*.deb
        sh(APT + ["install", os.path.abspath(deb)])
        self.assertTrue(installed())
        user = pwd.getpwnam("xapi-rest")
        self.assertLess(user.pw_uid, 1000)   # a system user
        self.assertIn(user.pw_shell, ("/usr/sbin/nologin", "/bin/false"))
        st = os.stat("/var/lib/xapi-rest")
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid), (0o700, user.pw_uid))
        st = os.stat(CONFIG)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), (0o640, 0, grp.getgrnam("xapi-rest").gr_gid))
        for spool in ("/var/spool/xapi-rest", "/var/spool/xapi-rest/uploads"):
            st = os.stat(spool)
            self.assertEqual((stat.S_IMODE(st.st_mode), pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name),
                             (0o2770, "www-data", "xapi-rest"), spool)
        self.assertTrue(os.path.exists("/etc/nginx/sites-available/xapi-rest"))
        self.assertFalse(os.path.exists("/etc/nginx/sites-enabled/xapi-rest"))
        r = subprocess.run(["systemd-analyze", "verify", "/lib/systemd/system/xapi-rest.service"],
                           capture_output=True, text=True)
        self.assertEqual((r.returncode, r.stderr.strip()), (0, ""), r.stdout + r.stderr)

        # 2. The operator's edit: a [[pool]] (the simulator), its password in a file.
        self.sim = Sim(self.dir, 12, 2, 1, "sim-pw")
        with open("/etc/xapi-rest/sim.password", "w") as f:
            f.write("sim-pw\n")
        os.chown("/etc/xapi-rest/sim.password", 0, grp.getgrnam("xapi-rest").gr_gid)
        os.chmod("/etc/xapi-rest/sim.password", 0o640)
        edit = '\n[[pool]]\nname = "sim"\nurl = "%s"\nuser = "root"\npassword_file = "sim.password"\ntls = "insecure"\n' \
            % self.sim.url
        with open(CONFIG, "a") as f:
            f.write(edit)
        edited = read(CONFIG)

        # 3. A user and a token, as the README says (as the service's user), then serve.
        sh(["runuser", "-u", "xapi-rest", "--", "xapi-rest", "user", "add", "admin"], input="admin-pw\n")
        token = sh(["runuser", "-u", "xapi-rest", "--", "xapi-rest", "token", "create", "--user", "admin"]).strip()
        # Run by root, the admin commands become the data folder's owner: the files stay its own.
        token2 = sh(["xapi-rest", "token", "create", "--user", "admin"]).strip()
        for f in os.listdir("/var/lib/xapi-rest"):
            self.assertEqual(os.stat("/var/lib/xapi-rest/" + f).st_uid, user.pw_uid, f)
        self.start_serve()
        self.start_nginx()
        base = "https://127.0.0.1:%d/rest/v0" % self.port
        wait_until(lambda: self.curl([base + "/ping"])[0] == 200, 20, "the packaged stack")
        sock = os.stat(SOCKET)
        self.assertEqual((stat.S_IMODE(sock.st_mode), sock.st_uid, sock.st_gid),
                         (0o660, user.pw_uid, grp.getgrnam("www-data").gr_gid))
        wait_until(lambda: json.loads(self.curl(["-b", "authenticationToken=" + token, base + "/servers?fields=status"])[1])
                   [0]["status"] == "connected", 30, "the pool")
        db = [f for f in os.listdir("/var/lib/xapi-rest") if f.endswith(".db")]
        self.assertEqual(db, ["xapi-rest.db"])
        self.assertEqual(os.stat("/var/lib/xapi-rest/xapi-rest.db").st_uid, user.pw_uid)

        # 4. The README's curl examples, through the packaged site.
        vm = json.loads(self.curl(["-b", "authenticationToken=" + token, base + "/vms?limit=1"])[1])[0].rsplit("/", 1)[1]
        me = self.curl(["-b", "authenticationToken=" + token, base + "/users/me", "-o", "/dev/null",
                        "-w", "%{redirect_url}\n"])[1]
        user_id = me.strip().rsplit("/", 1)[1]
        examples = readme_curl_examples()
        self.assertGreaterEqual(len(examples), 10)
        for example in examples:
            command = example.replace("<uuid>", vm).replace("<id>", user_id).replace("admin:password", "admin:admin-pw")
            r = subprocess.run(["bash", "-c", "curl() { command curl -ksS -f -o /dev/null -w '%{http_code}\\n' \"$@\"; }; "
                                + command], capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, T=token, B=base))
            self.assertEqual(r.returncode, 0, "%s: %s %s" % (command, r.stdout, r.stderr))
            self.assertRegex(r.stdout.strip(), r"^(200|201|307)$", command)
        # Prometheus metrics through the packaged site's own location, an admin's Basic credentials.
        code, body = self.curl(["-u", "admin:admin-pw", "https://127.0.0.1:%d/metrics" % self.port])
        self.assertEqual(code, 200)
        self.assertIn('xapi_rest_http_requests_total{route="GET /rest/v0/vms",status="200"}', body)
        self.assertIn('xapi_rest_pool_connected{pool="sim"} 1', body)
        self.assertEqual(self.curl(["https://127.0.0.1:%d/metrics" % self.port])[0], 401)

        # Swagger UI from the package's files, through the packaged site, in Chromium.
        code, body = self.curl([base + "/docs/"])
        self.assertEqual(code, 200)
        self.assertIn("swagger-initializer.js", body)
        shot = os.path.join(os.environ.get("XR_ARTIFACTS") or self.dir, "swagger-ui-packaged.png")
        os.makedirs(os.path.dirname(shot), exist_ok=True)
        ui = browse("https://127.0.0.1:%d" % self.port, token, shot)
        self.assertEqual((ui["status"], ui["errors"]), ("200", []))
        self.assertGreater(len(json.loads(ui["body"])), 0)
        code, body = self.curl(["-b", "authenticationToken=" + token, base + "/vms?fields=name_label,power_state"])
        self.assertEqual(code, 200)
        self.assertEqual(self.curl(["-b", "authenticationToken=" + token2, base + "/vms"])[0], 200)
        self.assertEqual(len(json.loads(body)), 12)

        # 5. Upgrade (the same package as version -2): the edited config and the database stay.
        self.stop_serve()
        up = os.path.join(self.dir, "up")
        sh(["dpkg-deb", "-R", deb, up])
        control = read(up + "/DEBIAN/control")
        version = re.search(r"(?m)^Version: (\S+)-(\d+)$", control)
        with open(up + "/DEBIAN/control", "w") as f:
            f.write(control.replace(version.group(0), "Version: %s-%d" % (version.group(1), int(version.group(2)) + 1)))
        newer = os.path.join(self.dir, "xapi-rest_upgrade_amd64.deb")
        sh(["dpkg-deb", "-b", up, newer])
        sh(APT + ["install", newer])
        self.assertEqual(read(CONFIG), edited)
        self.assertEqual(stat.S_IMODE(os.stat(CONFIG).st_mode), 0o640)
        self.start_serve()
        wait_until(lambda: self.curl(["-b", "authenticationToken=" + token, base + "/vms/" + vm])[0] == 200, 30,
                   "the old token after the upgrade")

        # 6. Purge: what the install created is gone.
        self.stop_serve()
        os.unlink("/etc/xapi-rest/sim.password")
        sh(APT + ["purge", "xapi-rest"])
        self.assertFalse(installed())
        for gone in ("/usr/bin/xapi-rest", "/usr/share/xapi-rest", "/var/spool/xapi-rest", "/var/lib/xapi-rest", "/etc/xapi-rest", "/lib/systemd/system/xapi-rest.service",
                     "/etc/nginx/sites-available/xapi-rest"):
            self.assertFalse(os.path.exists(gone), gone)
        self.assertRaises(KeyError, pwd.getpwnam, "xapi-rest")
        self.assertRaises(KeyError, grp.getgrnam, "xapi-rest")


if __name__ == "__main__":
    unittest.main(verbosity=2)
