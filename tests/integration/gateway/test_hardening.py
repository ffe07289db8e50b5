"""Hardening (issue 17) through the real stack: nginx + xapi-rest + simulator.
Defect 1: response splitting through /users/me/<rest> (Location re-encoded, the response
writer refuses CR/LF). Defect 2: password-hash exhaustion (XO's 2 s throttle per user and
per address, a bound on concurrent argon2id checks, failed-login log lines, equal cost for
unknown users). Defect 5: a filter's CPU budget. Defect 6: stale pools. Defect 8: the
FastCGI socket. Defect 10: credentials generation (revocation, expiry, deletion at once)."""
import base64
import http.client
import json
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import APP, ROOT, Stack, free_port, wait_until  # noqa: E402


def raw_request(port, target, headers=(), source="127.0.0.1"):
    """Sends one HTTP/1.0 request as bytes; returns (status line, [header lines], body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30, source_address=(source, 0)) as s:
        head = b"GET " + target + b" HTTP/1.0\r\nHost: localhost\r\n"
        for h in headers:
            head += h.encode() + b"\r\n"
        s.sendall(head + b"\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    top, _, body = data.partition(b"\r\n\r\n")
    lines = top.split(b"\r\n")
    return lines[0], lines[1:], body


def basic(user, password):
    return "Authorization: Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def login(port, user, password, source="127.0.0.1"):
    """GET /rest/v0/users/me with HTTP Basic from `source`; returns (status, headers, seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    try:
        auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        t0 = time.monotonic()
        conn.request("GET", "/rest/v0/users/me", headers={"Authorization": "Basic " + auth})
        r = conn.getresponse()
        r.read()
        return r.status, dict(r.getheaders()), time.monotonic() - t0
    finally:
        conn.close()


class ResponseSplittingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=2, hosts=1, workers=1, threads=4)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def cookie(self):
        return "Cookie: authenticationToken=" + self.s.token

    def test_crlf_in_the_rest_of_the_path_stays_inside_location(self):
        status, headers, _ = raw_request(
            self.s.port, b"/rest/v0/users/me/x%0d%0aSet-Cookie:%20evil=1%0d%0aX-Injected:%20yes",
            [self.cookie()])
        self.assertIn(b" 307 ", status)
        names = [h.split(b":", 1)[0].strip().lower() for h in headers]
        self.assertNotIn(b"set-cookie", names, headers)
        self.assertNotIn(b"x-injected", names, headers)
        location = [h for h in headers if h.lower().startswith(b"location:")]
        self.assertEqual(len(location), 1, headers)
        self.assertTrue(location[0].endswith(b"/x%0D%0ASet-Cookie:%20evil=1%0D%0AX-Injected:%20yes"),
                        location)

    def test_injected_x_accel_redirect_is_not_obeyed_by_nginx(self):
        status, headers, body = raw_request(
            self.s.port, b"/rest/v0/users/me/a%0d%0aX-Accel-Redirect:%20/rest/v0/ping", [self.cookie()])
        self.assertIn(b" 307 ", status, body)
        self.assertNotIn(b"pong", body)
        self.assertFalse(any(h.lower().startswith(b"x-accel") for h in headers), headers)

    def test_location_percent_encodes_controls_spaces_and_non_ascii(self):
        status, headers, _ = raw_request(
            self.s.port, b"/rest/v0/users/me/authentication_tokens%20%c3%a9%09?limit=1&q=\xff", [self.cookie()])
        self.assertIn(b" 307 ", status)
        location = [h for h in headers if h.lower().startswith(b"location:")][0].split(b":", 1)[1].strip()
        self.assertTrue(all(0x21 <= c < 0x7f for c in location), location)
        self.assertTrue(location.endswith(b"/authentication_tokens%20%C3%A9%09?limit=1&q=%FF"), location)

    def test_plain_redirect_unchanged(self):
        r = self.s.get("/rest/v0/users/me/authentication_tokens?limit=2", token=self.s.token)
        self.assertEqual(r.status, 307)
        self.assertRegex(r.headers["Location"], r"^/rest/v0/users/[0-9a-f-]{36}/authentication_tokens\?limit=2$")

    # --- defect 9: the database is nobody else's to read ---
    def test_data_dir_is_0700_and_database_files_0600(self):
        data = os.path.join(self.s.dir, "data")  # made 0755 by the harness, as demo scripts do
        self.assertEqual(os.stat(data).st_mode & 0o777, 0o700)
        files = [f for f in os.listdir(data) if not f.endswith(".lock")]
        if self.s.storage is None:  # with PostgreSQL (pg.gateway_hardening) there is no file
            self.assertTrue(any(f.endswith(".db") for f in files), files)
        for f in files:
            self.assertEqual(os.stat(os.path.join(data, f)).st_mode & 0o777, 0o600, f)

    # --- defect 10: what reaches terminals and JSON answers ---
    def test_token_list_escapes_control_characters_for_the_terminal(self):
        me = self.s.get("/rest/v0/users/me", token=self.s.token).headers["Location"]
        r = self.s.request("POST", me + "/authentication_tokens", token=self.s.token,
                           body={"description": "esc\u001b[31mred\nline"})
        self.assertEqual(r.status, 201, r.body)
        out = self.s.cli(["token", "list", "--user", "admin"])
        self.assertNotIn("\x1b", out)
        self.assertIn("esc\\x1b[31mred\\x0aline", out)

    def test_invalid_utf8_never_reaches_a_json_answer(self):
        me = self.s.get("/rest/v0/users/me", token=self.s.token).headers["Location"]
        conn = http.client.HTTPConnection("127.0.0.1", self.s.port, timeout=30)
        conn.request("POST", me + "/authentication_tokens", body=b'{"description":"a\xffb"}',
                     headers={"Cookie": "authenticationToken=" + self.s.token,
                              "Content-Type": "application/json"})
        r = conn.getresponse()
        body = r.read()
        conn.close()
        self.assertEqual(r.status, 400, body)
        self.assertIn("not valid UTF-8", json.loads(body.decode("utf-8"))["error"])
        r = self.s.get("/rest/v0/vms/%ff%fe", token=self.s.token)
        self.assertEqual(r.status, 404)
        body = r.body.decode("utf-8")  # strict: raises on invalid UTF-8
        self.assertIn("\ufffd", json.loads(body)["error"])

    # --- defect 11: nginx's own error pages, passwords in pool URLs ---
    def test_nginx_own_errors_are_json(self):
        cases = ((b"GET /rest/v0/ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", b" 400 "),
                 (b"TRACE /rest/v0/ping HTTP/1.1\r\nHost: a\r\n\r\n", b" 405 "),
                 (b"GET /rest/v0/" + b"x" * 20000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", b" 414 "))
        for raw, code in cases:
            with socket.create_connection(("127.0.0.1", self.s.port), timeout=30) as c:
                c.sendall(raw)
                data = b""
                while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertIn(code, head.split(b"\r\n")[0], data[:300])
            self.assertIn(b"application/json", head, head)
            self.assertIn("error", json.loads(body.decode()), body)

    def test_check_config_refuses_a_password_in_a_pool_url(self):
        import subprocess
        from stack import APP
        bad = os.path.join(self.s.dir, "pw-in-url.toml")
        with open(bad, "w") as f:
            f.write('[[pool]]\nurl = "https://root:S3cret-pw@10.0.0.1"\nuser = "root"\npassword = "x"\n')
        r = subprocess.run([APP, "check-config", "--config", bad], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("pool[0].url", r.stderr)
        self.assertIn("must not carry credentials", r.stderr)
        self.assertNotIn("S3cret-pw", r.stderr + r.stdout)

    # --- defect 7: tokens cannot fill the disk ---
    def test_tokens_per_user_and_description_length_are_capped(self):
        me = self.s.get("/rest/v0/users/me", token=self.s.token).headers["Location"]
        url = me + "/authentication_tokens"
        r = self.s.request("POST", url, token=self.s.token, body={"description": "x" * 1025})
        self.assertEqual(r.status, 400, r.body)
        self.assertIn("longer than 1024 bytes", r.json()["error"])
        r = self.s.request("POST", url, token=self.s.token, body={"description": "d" * 1024})
        self.assertEqual(r.status, 201, r.body)
        statuses = []
        for _ in range(101):
            r = self.s.request("POST", url, token=self.s.token, body={"description": "many"})
            statuses.append(r.status)
            if r.status != 201:
                break
        self.assertEqual(statuses[-1], 409, statuses)
        self.assertIn("100 tokens", r.json()["error"])
        self.assertEqual(len(self.s.api(url)), 100)


class LoginThrottleTest(unittest.TestCase):
    """One worker process: the throttle memo is per process (README)."""

    def setUp(self):
        self.s = Stack(vms=2, hosts=1, workers=1, threads=16)
        self.port = self.s.port

    def tearDown(self):
        self.s.stop()

    def test_failed_login_refuses_the_next_attempt_of_that_user_for_2s(self):
        status, _, _ = login(self.port, "admin", "wrong", source="127.0.0.2")
        self.assertEqual(status, 401)
        # Another address, the right password: still refused, as XO ("too fast").
        r = self.s.request("GET", "/rest/v0/users/me", basic=("admin", self.s.admin_password))
        self.assertEqual(r.status, 429, r.body)
        self.assertEqual(r.json()["error"], "too fast authentication tries")
        self.assertIn(r.headers["Retry-After"], ("1", "2"))
        time.sleep(2.1)
        r = self.s.request("GET", "/rest/v0/users/me", basic=("admin", self.s.admin_password))
        self.assertEqual(r.status, 307, r.body)

    def test_failed_login_refuses_the_next_attempt_from_that_address_for_2s(self):
        status, _, _ = login(self.port, "someone-else", "wrong", source="127.0.0.3")
        self.assertEqual(status, 401)
        status, headers, _ = login(self.port, "admin", self.s.admin_password, source="127.0.0.3")
        self.assertEqual(status, 429)
        self.assertIn("Retry-After", headers)
        # Other addresses are not affected; refused attempts do not extend the window.
        status, _, _ = login(self.port, "admin", self.s.admin_password, source="127.0.0.4")
        self.assertEqual(status, 307)
        time.sleep(2.1)
        status, _, _ = login(self.port, "admin", self.s.admin_password, source="127.0.0.3")
        self.assertEqual(status, 307)

    def test_failed_logins_are_logged_with_user_and_address_never_the_password(self):
        login(self.port, "admin", "Sup3r-s3cret-guess", source="127.0.0.5")
        login(self.port, "ghost\nuser", "an0ther-s3cret", source="127.0.0.6")
        time.sleep(0.2)
        log = self.s.log_text()
        self.assertIn('login failed: user "admin" from 127.0.0.5', log)
        self.assertIn('login failed: user "ghost\\x0auser" from 127.0.0.6', log)
        self.assertNotIn("Sup3r-s3cret-guess", log)
        self.assertNotIn("an0ther-s3cret", log)

    def test_concurrent_hash_checks_are_bounded_beyond_which_503_with_retry_after(self):
        results = []
        lock = threading.Lock()

        def attempt(i):
            r = login(self.port, "user%d" % i, "wrong", source="127.0.1.%d" % (i + 1))
            with lock:
                results.append(r)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r[0] for r in results)
        self.assertEqual(set(statuses) - {401, 503}, set(), statuses)
        busy = [r for r in results if r[0] == 503]
        self.assertGreater(len(busy), 0, statuses)
        self.assertTrue(all(r[1].get("Retry-After") == "1" for r in busy), busy)
        # No more than the slots ran at once: 16 checks of ~0.1 s cannot all have run.
        self.assertGreater(statuses.count(401), 0, statuses)
        self.assertIn("every password-hash slot is busy", self.s.log_text())
        # Normal requests keep working meanwhile.
        self.assertEqual(self.s.get("/rest/v0/ping").status, 200)

    PAIRS = 9

    def worker_cpu_s(self):
        """CPU seconds (user + system) the stack's one worker process has used so far."""
        pids = self.s.pids("worker")
        self.assertEqual(len(pids), 1, pids)
        with open("/proc/%d/stat" % pids[0]) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def failed_login(self, user, source):
        """A wrong password for `user` from `source`: (wall seconds, worker CPU seconds)."""
        cpu = self.worker_cpu_s()
        status, _, seconds = login(self.port, user, "wrong", source=source)
        self.assertEqual(status, 401, (user, source))  # a 429/503 would be no measure at all
        return seconds, self.worker_cpu_s() - cpu

    def test_unknown_users_cost_as_much_as_known_ones(self):
        """The argon2id work is the same (worker CPU, which other jobs on the machine do not
        change) and so is the answer time a client sees. Under load, one wall-clock sample
        can be several times another (at load 16: 0.6 to 3.2 s for the same work; three
        samples of each failed the 0.5-2x bounds there): the samples are taken in pairs, one known and one unknown name back to back (the order
        alternating), so both meet the same load, and the median of the pairs' ratios is
        compared. A gateway that skipped the hash for unknown names answers them in ~1 ms
        against ~100 ms (quiet machine): ratios near 0, far outside 0.5-2."""
        with ThreadPoolExecutor(3) as pool:  # each is an argon2id hash in its own process
            list(pool.map(lambda i: self.s.cli(["user", "add", "known%d" % i], stdin="pw-known%d\n" % i),
                          range(self.PAIRS)))
        login(self.port, "warm-up", "x", source="127.0.2.1")  # the dummy hash is made once
        known, unknown = [], []
        for i in range(self.PAIRS):  # a name and an address once each: no throttle between them
            pair = [lambda: known.append(self.failed_login("known%d" % i, "127.0.3.%d" % (i + 1))),
                    lambda: unknown.append(self.failed_login("nobody%d" % i, "127.0.4.%d" % (i + 1)))]
            for take in pair if i % 2 == 0 else reversed(pair):
                take()
        detail = {"known (s, cpu s)": known, "unknown (s, cpu s)": unknown}
        cpu_k, cpu_u = statistics.median(k[1] for k in known), statistics.median(u[1] for u in unknown)
        self.assertGreater(cpu_k, 0, detail)  # the clock ticks (10 ms) resolve an argon2id check
        self.assertGreater(cpu_u, 0.5 * cpu_k, detail)
        self.assertLess(cpu_u, 2.0 * cpu_k, detail)
        ratio = statistics.median(u[0] / k[0] for k, u in zip(known, unknown))
        self.assertGreater(ratio, 0.5, detail)
        self.assertLess(ratio, 2.0, detail)


class CredentialGenerationTest(unittest.TestCase):
    """Defect 10: revocation, expiry and user deletion take effect at once on every worker
    (a credentials generation in the shared segment empties every worker's cache; changes
    made outside the serving processes, by the CLI, reach it through the master within
    200 ms). Before: a revoked token worked up to 5 s more, a deleted user's Basic login 60 s."""
    PROBES = 36

    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=2, hosts=1, workers=3, threads=4)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def statuses(self, token=None, basic=None):
        """Statuses of PROBES requests, 12 at a time, so that every worker (3 x 4 threads)
        serves some of them."""
        def one(_):
            return self.s.get("/rest/v0/vms?limit=1", token=token, basic=basic).status
        with ThreadPoolExecutor(12) as pool:
            return list(pool.map(one, range(self.PROBES)))

    def warm(self, **kw):
        """Until one whole round is served: every worker has the credential cached (a first
        Basic check per worker may meet a busy hash slot: 503)."""
        for _ in range(20):
            if self.statuses(**kw) == [200] * self.PROBES:
                return
            time.sleep(0.3)
        self.fail("credential never accepted everywhere")

    def tokens_path(self):
        return self.s.get("/rest/v0/users/me", token=self.s.token).headers["Location"] + "/authentication_tokens"

    def new_token(self, description):
        r = self.s.request("POST", self.tokens_path(), token=self.s.token, body={"description": description})
        self.assertEqual(r.status, 201, r.body)
        tok = r.json()["token"]["id"]
        public = [t["id"] for t in self.s.api(self.tokens_path()) if t.get("description") == description]
        return tok, public[0]

    def test_rest_revocation_is_refused_at_once_by_every_worker(self):
        tok, public = self.new_token("gen-rest")
        self.warm(token=tok)
        self.assertEqual(self.s.request("DELETE", self.tokens_path() + "/" + public, token=self.s.token).status, 204)
        self.assertEqual(self.statuses(token=tok), [401] * self.PROBES)

    def test_cli_revocation_is_refused_everywhere_within_200ms(self):
        tok, public = self.new_token("gen-cli")
        self.warm(token=tok)
        self.s.cli(["token", "revoke", public])
        time.sleep(0.3)
        self.assertEqual(self.statuses(token=tok), [401] * self.PROBES)

    def test_a_token_is_refused_from_its_expiry_on(self):
        tok, public = self.new_token("gen-expiry")
        expiry_ms = int(time.time() * 1000) + 2500
        # Minimum REST validity is 1 minute: shorten this one in the database, before any use.
        with self.s.db() as c:
            c.execute("UPDATE tokens SET expiration=? WHERE id=?", (expiry_ms, public))
        self.warm(token=tok)
        self.assertLess(time.time() * 1000, expiry_ms - 200, "warming took too long for this test")
        time.sleep(max(0.0, expiry_ms / 1000 - time.time()) + 0.05)
        self.assertEqual(self.statuses(token=tok), [401] * self.PROBES)

    def test_a_deleted_users_basic_login_is_refused_everywhere_within_200ms(self):
        name = "gone-%d" % os.getpid()
        self.s.cli(["user", "add", name, "--permission", "admin"], stdin="gonepw\n")
        tok = self.s.cli(["token", "create", "--user", name]).strip()
        self.warm(basic=(name, "gonepw"))
        self.warm(token=tok)
        self.s.cli(["user", "delete", name])
        time.sleep(0.3)
        refused = self.statuses(basic=(name, "gonepw"))
        self.assertNotIn(200, refused)  # 401, then 429 (the 2 s throttle after a failure)
        self.assertEqual(set(refused) - {401, 429, 503}, set(), refused)
        self.assertEqual(self.statuses(token=tok), [401] * self.PROBES)
        self.assertNotIn(name, self.s.cli(["user", "list"]))

    def test_cli_revoke_takes_the_id_only_and_never_echoes_a_secret(self):
        tok, public = self.new_token("gen-secret")
        r = subprocess.run([APP, "token", "revoke", tok, "--config", self.s.config],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("public id", r.stderr)
        self.assertNotIn(tok, r.stdout + r.stderr)
        self.assertEqual(self.s.get("/rest/v0/vms?limit=1", token=tok).status, 200)  # not revoked


class SmallWindowConnection(http.client.HTTPConnection):
    """A client with a tiny receive buffer: nginx and the kernel cannot hold the whole
    answer, so the worker stays inside the request while the client reads slowly."""

    def connect(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(self.timeout)
        self.sock.connect((self.host, self.port))


def slow_stream(port, path, token, pause=0.005, piece=16384, on_progress=None):
    """Reads `path` (chunked NDJSON) in small pieces with pauses: the worker stays busy.
    Returns (status, complete, lines); complete is False when the body was cut (no last chunk)."""
    conn = SmallWindowConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Cookie": "authenticationToken=" + token})
    r = conn.getresponse()
    data, complete, n = b"", True, 0
    try:
        while True:
            chunk = r.read(piece)
            if not chunk:
                break
            data += chunk
            n += 1
            if on_progress is not None:
                on_progress(n)
            time.sleep(pause)
    except (http.client.IncompleteRead, ConnectionError, socket.timeout) as e:
        complete = False
        data += getattr(e, "partial", b"") or b""
    conn.close()
    return r.status, complete, [line for line in data.split(b"\n") if line]


def open_slow_reader(port, path, token):
    """Sends a GET and reads nothing yet, with a 4 KiB receive buffer: a client reading at
    its own slow pace. Returns the socket (the caller reads or closes it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(60)
    sock.connect(("127.0.0.1", port))
    sock.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\nCookie: authenticationToken=%s\r\n"
                  "Connection: close\r\n\r\n" % (path, token)).encode())
    return sock


def timed_ping(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    t0 = time.monotonic()
    try:
        conn.request("GET", "/rest/v0/ping")
        r = conn.getresponse()
        r.read()
        return r.status, time.monotonic() - t0
    except socket.timeout:
        return None, time.monotonic() - t0
    finally:
        conn.close()


class SlowReadersTest(unittest.TestCase):
    """Defect 4: clients reading a large list slowly held every worker thread (NDJSON went
    unbuffered through nginx; JSON beyond nginx's 2 MiB of buffers blocked the worker too)
    and /ping stopped answering. nginx now takes whole answers off the worker (memory, then
    its temp files). 12 slow readers of a 4.3 MB NDJSON list against 1 worker x 4 threads
(the figure with 100 readers: tests/bench/slow_readers.py)."""

    READERS = 12
    VMS = 2500

    @classmethod
    def setUpClass(cls):
        # Lists through the socket (no list files, issue 14): the case where nginx buffers
        # what a worker streams (sub-collections, a site without /_xr_list/, a full folder).
        cls.s = Stack(vms=cls.VMS, hosts=2, workers=1, threads=4, list_files_mb=0)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_slow_readers_do_not_hold_workers_and_get_whole_answers(self):
        path = "/rest/v0/vms?fields=*&ndjson"
        readers = [open_slow_reader(self.s.port, path, self.s.token) for _ in range(self.READERS)]
        try:
            time.sleep(1.0)  # every request reached a worker thread by now
            pings = [timed_ping(self.s.port) for _ in range(10)]
            self.assertEqual([p[0] for p in pings], [200] * 10, pings)
            self.assertLess(max(p[1] for p in pings), 1.0, pings)
            # A slow reader still gets the whole answer, buffered by nginx.
            data = b""
            while True:
                chunk = readers[0].recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            self.assertIn(b" 200 ", head.split(b"\r\n")[0])
            self.assertTrue(body.endswith(b"\r\n0\r\n\r\n"), body[-40:])  # the last chunk
            self.assertEqual(body.count(b'"uuid"'), self.VMS)
        finally:
            for r in readers:
                r.close()


def process_gone(pid):
    """True once `pid` has exited (a zombie counts as gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


class FilterBudgetTest(unittest.TestCase):
    """Defect 5: filter=/(.|.)*[!?]/ cost ~27 ms per VM and went on after the client left.
    A request's regexes now share one budget of PCRE2 match steps ([server]
    filter_match_budget, 400 past it), its filtering a wall-clock bound
    (filter_time_budget_ms, 503 past it), and a scan stops when nginx closes the request's
    connection. 2,000 VMs; the time budget is 4 s here."""

    VMS = 2000
    PATHOLOGICAL = "/rest/v0/vms?filter=" + urllib.parse.quote("/(.|.)*[!?]/")
    # Below PCRE2's per-test limit on every string (anchored, at most 2^17 paths) yet slow
    # on each: only the wall clock bounds it.
    SLOW = "/rest/v0/vms?filter=" + urllib.parse.quote("/^(.|.){0,17}[!?]/")

    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=cls.VMS, hosts=2, workers=1, threads=4, server_config="filter_time_budget_ms = 4000")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_a_pathological_regex_is_refused_once_the_match_steps_are_spent(self):
        t0 = time.monotonic()
        r = self.s.get(self.PATHOLOGICAL, token=self.s.token)
        took = time.monotonic() - t0
        self.assertEqual(r.status, 400, r.body[:300])
        error = r.json()["error"]
        self.assertIn("filter too costly", error)
        self.assertIn("10000000 PCRE2 match steps", error)
        self.assertIn("filter_match_budget", error)
        self.assertEqual(r.json()["data"], {"stringToParse": "/(.|.)*[!?]/"})  # XO's filter-error shape
        self.assertLess(took, 2.5)  # before: ~27 ms per VM, nearly a minute for these 2,000

    def test_b_ordinary_filters_are_unaffected(self):
        first = self.s.api("/rest/v0/vms?fields=name_label&limit=1")[0]["name_label"]
        word = first.split()[0]
        names = self.s.api("/rest/v0/vms?fields=name_label&filter=" +
                           urllib.parse.quote("name_label:/^%s/" % re.escape(word)))
        self.assertGreater(len(names), 0)
        self.assertTrue(all(v["name_label"].startswith(word) for v in names))
        everything = self.s.api("/rest/v0/vms?fields=uuid&filter=" + urllib.parse.quote("uuid:/./"))
        self.assertEqual(len(everything), self.VMS)

    def test_c_a_slow_filter_is_cut_at_the_time_budget(self):
        t0 = time.monotonic()
        r = self.s.get(self.SLOW, token=self.s.token)
        took = time.monotonic() - t0
        self.assertEqual(r.status, 503, r.body[:300])
        self.assertIn("filter took longer than the request's budget of 4000 ms", r.json()["error"])
        self.assertGreaterEqual(took, 3.9)
        self.assertLess(took, 25)

    def test_d_the_scan_stops_when_the_client_goes_away(self):
        # The scan polls the request's socket: once nginx closes it the list ends "cancelled",
        # long before the 4 s budget would end it "unavailable" (a scan that never looked at
        # its client ends only there). The log says which; no CPU timing (the machine is shared).
        gone = "list not kept: cancelled: the client went away during the filter"
        spent = "list not kept: unavailable: filter took longer"
        before_gone, before_spent = self.s.log_text().count(gone), self.s.log_text().count(spent)
        sock = open_slow_reader(self.s.port, self.SLOW, self.s.token)
        time.sleep(0.5)
        sock.close()  # nginx closes the FastCGI connection
        wait_until(lambda: self.s.log_text().count(gone) > before_gone or self.s.log_text().count(spent) > before_spent,
                   30, "the scan to end")
        self.assertEqual(self.s.log_text().count(spent), before_spent, "the scan went on until its time budget")
        self.assertEqual(self.s.get("/rest/v0/ping").status, 200)

    def watch(self, filter_text):
        req = urllib.request.Request(
            "http://127.0.0.1:%d/rest/v0/vms?fields=name_label&ndjson&watch&filter=%s"
            % (self.s.port, urllib.parse.quote(filter_text)), headers={"Cookie": "authenticationToken=" + self.s.token})
        try:
            return urllib.request.urlopen(req, timeout=60)
        except urllib.error.HTTPError as e:
            return e

    def test_e_a_watch_whose_filter_spends_the_match_steps_at_its_start_is_refused(self):
        r = self.watch("/(.|.)*[!?]/")  # the stream role loads the view: every VM's strings
        self.assertEqual(r.status, 400)
        body = json.loads(r.read())
        self.assertIn("filter too costly", body["error"])
        self.assertIn("filter_match_budget", body["error"])
        self.assertEqual(body["data"], {"stringToParse": "/(.|.)*[!?]/"})
        self.assertEqual(self.s.get("/rest/v0/ping").status, 200)

    def test_f_a_watch_whose_filter_spends_the_match_steps_later_is_ended_with_a_reason_line(self):
        # Cheap on every name (anchored) until names start with "zz": then each test hits
        # PCRE2's per-test limit (1,000,000 steps), and 10 of them spend the 10,000,000.
        resp = self.watch("name_label:/^zz(.|.)*[!?]/")
        self.assertEqual(resp.status, 200)
        vms = self.s.api("/rest/v0/vms?fields=uuid&limit=12")
        with resp:
            for i, vm in enumerate(vms):
                self.s.sims[0].control("rename", {"ref": vm["uuid"], "name": "zz" + "a" * 40 + str(i)})
            lines = []
            while True:
                line = resp.readline()
                if not line:
                    break
                lines.append(json.loads(line))
        self.assertTrue(lines, "the watch ended without a line")
        kind, entry = lines[-1][0], lines[-1][1]
        self.assertEqual(kind, "error", lines)
        self.assertIn("filter too costly: its regular expressions used the watch's budget of 10000000", entry["error"])
        self.assertIn("revision", entry)
        self.assertFalse([x for x in lines[:-1] if x[0] == "remove"], lines)  # nothing made up on the way out
        # Another watch with the same filter starts again (the view was dropped) and is refused
        # at once (every zz name now spends its test's limit).
        r = self.watch("name_label:/^zz(.|.)*[!?]/")
        self.assertEqual(r.status, 400)
        self.assertEqual(self.s.get("/rest/v0/ping").status, 200)

    def test_g_a_watch_whose_filter_is_slow_is_refused_at_the_time_budget(self):
        t0 = time.monotonic()
        r = self.watch("/^(.|.){0,17}[!?]/")
        took = time.monotonic() - t0
        self.assertEqual(r.status, 503)
        self.assertIn("filter took longer than the watch's budget of 4000 ms", json.loads(r.read())["error"])
        self.assertLess(took, 25)


    def test_h_a_tasks_watch_whose_filter_spends_the_match_steps_is_refused(self):
        vm = self.s.api("/rest/v0/vms?fields=id&limit=1")[0]["id"]
        for i in range(4):  # XO tasks: uuids and names, each past PCRE2's per-test limit below
            r = self.s.request("POST", "/rest/v0/vms/%s/actions/snapshot?sync" % vm, token=self.s.token,
                               body={"name_label": "budget-snap-%d" % i})
            self.assertTrue(200 <= r.status < 300, r.body)

        def refused():
            req = urllib.request.Request(
                "http://127.0.0.1:%d/rest/v0/tasks?ndjson&watch&filter=%s"
                % (self.s.port, urllib.parse.quote("/(.|.)*[!?]/")),
                headers={"Cookie": "authenticationToken=" + self.s.token})
            try:
                urllib.request.urlopen(req, timeout=60).close()
                return None  # the stream role has not read the tasks yet
            except urllib.error.HTTPError as e:
                return e
        found = []
        wait_until(lambda: found.append(refused()) or found[-1] is not None, 30, "the tasks watch to be refused")
        e = found[-1]
        self.assertEqual(e.code, 400)
        body = json.loads(e.read())
        self.assertIn("filter too costly", body["error"])
        self.assertEqual(body["data"], {"stringToParse": "/(.|.)*[!?]/"})
        # An ordinary filter on the same tasks is served.
        req = urllib.request.Request("http://127.0.0.1:%d/rest/v0/tasks?ndjson&watch&filter=status:success"
                                     % self.s.port, headers={"Cookie": "authenticationToken=" + self.s.token})
        with urllib.request.urlopen(req, timeout=60) as resp:
            self.assertEqual(resp.status, 200)


class PoolHealthTest(unittest.TestCase):
    """Defect 6: with event.from failing or held, or the poller stopped, /servers said
    "connected" and reads answered from a cache nobody updated. A pool is connected only
    while its event stream is healthy (the poller's heartbeat in shared memory, the latest
    event.from answered, the one waiting not late); reads of a stale pool carry X-Data-Age;
    the master kills a poller silent for 6 s and starts another. event.from waits 2 s here."""

    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=20, hosts=2, workers=1, threads=4, poller_config="event_timeout = 2")
        cls.sim = cls.s.sims[0]
        cls.vm = cls.s.api("/rest/v0/vms")[0]

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def tearDown(self):
        self.sim.control("clear")
        wait_until(lambda: self.server()["status"] == "connected", 30, "the pool connected again")

    def server(self):
        return self.s.api("/rest/v0/servers?fields=status,error")[0]

    def data_age(self):
        r = self.s.get(self.vm, token=self.s.token)
        self.assertEqual(r.status, 200)
        age = r.headers.get("X-Data-Age")
        return None if age is None else int(age)

    def assert_stale_for(self, seconds, error_part):
        """The pool stays disconnected (never "connected" again) and reads carry X-Data-Age."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            st = self.server()
            self.assertEqual(st["status"], "disconnected", st)
            self.assertIn(error_part, st.get("error", ""))
            self.assertIsNotNone(self.data_age())
            time.sleep(0.5)

    def test_healthy_pool_reads_carry_no_data_age(self):
        self.assertEqual(self.server()["status"], "connected")
        self.assertIsNone(self.data_age())
        r = self.s.get("/rest/v0/vms", token=self.s.token)
        self.assertNotIn("X-Data-Age", r.headers)

    def test_failing_event_from_is_disconnected_until_it_answers_again(self):
        self.sim.control("fail", {"method": "event.from", "error": ["INTERNAL_ERROR", "held by the test"], "count": -1})
        wait_until(lambda: self.server()["status"] == "disconnected", 10, "the pool reported disconnected")
        # The pool still answers logins (the old probe made it "connected" again at once).
        self.assert_stale_for(4, "INTERNAL_ERROR")
        r = self.s.get("/rest/v0/vms", token=self.s.token)
        self.assertIn("X-Data-Age", r.headers)
        self.sim.control("clear")
        wait_until(lambda: self.server()["status"] == "connected", 15, "connected once event.from answers")
        self.assertIsNone(self.data_age())

    def test_held_event_from_is_disconnected_past_its_timeout(self):
        self.sim.control("hang", {"method": "event.from", "count": -1})
        wait_until(lambda: self.server()["status"] == "disconnected", 20, "a held event.from reported")
        st = self.server()
        self.assertIn("event.from unanswered", st["error"])
        self.assertGreaterEqual(self.data_age(), 5)  # 2 s timeout + 5 s late, since the last answer
        self.assert_stale_for(2, "event.from unanswered")
        self.sim.control("release", {"method": "event.from"})

    def test_stopped_poller_is_stale_then_killed_and_replaced(self):
        poller = self.s.pids("poller")[0]
        os.kill(poller, signal.SIGSTOP)
        try:
            wait_until(lambda: self.server()["status"] == "disconnected", 10, "a stopped poller noticed")
            self.assertIn("no heartbeat", self.server()["error"])
            self.assertGreaterEqual(self.data_age(), 3)
            wait_until(lambda: process_gone(poller), 20, "the silent poller killed")
        finally:
            try:
                os.kill(poller, signal.SIGCONT)
            except ProcessLookupError:
                pass
        wait_until(lambda: [p for p in self.s.pids("poller") if p != poller], 20, "a new poller")
        wait_until(lambda: self.server()["status"] == "connected", 30, "connected through the new poller")
        self.assertIsNone(self.data_age())
        self.assertIn("sent no heartbeat", self.s.log_text())


def fcgi_record(rtype, content=b"", request_id=1):
    """One FastCGI 1.0 record (header, content, no padding)."""
    return struct.pack("!BBHHBx", 1, rtype, request_id, len(content), 0) + content


def fcgi_pair(name, value):
    def length(n):
        return struct.pack("!B", n) if n < 128 else struct.pack("!I", n | 0x80000000)
    return length(len(name)) + length(len(value)) + name + value


def fcgi_params_records(params):
    data = b"".join(fcgi_pair(k.encode(), v.encode()) for k, v in params.items())
    return b"".join(fcgi_record(4, data[i:i + 65535]) for i in range(0, len(data), 65535)) + fcgi_record(4)


FCGI_BEGIN = fcgi_record(1, struct.pack("!HB5x", 1, 0))  # responder, no FCGI_KEEP_CONN
FCGI_BEGIN_KEEP = fcgi_record(1, struct.pack("!HB5x", 1, 1))  # responder, FCGI_KEEP_CONN


def fcgi_request_bytes(uri, method="GET", body=b"", keep=False):
    """A whole request as nginx sends it over the FastCGI socket (begin, parameters, stdin)."""
    path, _, query = uri.partition("?")
    params = {"REQUEST_METHOD": method, "REQUEST_URI": uri, "DOCUMENT_URI": path, "QUERY_STRING": query,
              "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1"}
    if body:
        params.update({"CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body))})
    stdin = b"".join(fcgi_record(5, body[i:i + 65535]) for i in range(0, len(body), 65535))
    return (FCGI_BEGIN_KEEP if keep else FCGI_BEGIN) + fcgi_params_records(params) + stdin + fcgi_record(5)


def fcgi_read_answer(s):
    """Reads one FastCGI answer up to its FCGI_END_REQUEST (the connection stays open);
    returns the STDOUT bytes (CGI head + body)."""
    out = b""
    while True:
        head = b""
        while len(head) < 8:
            chunk = s.recv(8 - len(head))
            if not chunk:
                raise ConnectionError("closed before FCGI_END_REQUEST")
            head += chunk
        _, rtype, _, clen, plen = struct.unpack("!BBHHBx", head)
        content = b""
        while len(content) < clen + plen:
            chunk = s.recv(clen + plen - len(content))
            if not chunk:
                raise ConnectionError("closed inside a record")
            content += chunk
        if rtype == 6:
            out += content[:clen]
        if rtype == 3:
            return out


def fcgi_read_stdout(s):
    """Reads a FastCGI answer to EOF; returns the STDOUT bytes (CGI head + body)."""
    data, out = b"", b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    while len(data) >= 8:
        _, rtype, _, clen, plen = struct.unpack("!BBHHBx", data[:8])
        if rtype == 6:
            out += data[8:8 + clen]
        data = data[8 + clen + plen:]
    return out


def fcgi_get(sock_path, uri, timeout=10):
    """A whole GET straight over the FastCGI socket; returns the STDOUT bytes (CGI head + body)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(fcgi_request_bytes(uri))
        return fcgi_read_stdout(s)


def closed_by_peer(sock, timeout):
    """True when the peer closes `sock` within `timeout` seconds."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionError:
        return True


class FastCgiSocketTest(unittest.TestCase):
    """Defect 8, talking to the FastCGI socket directly: 16 idle connections that sent half a
    record header held every request thread (threads = 4 here: 4 were enough); a 100 MB
    parameter was read whole. The worker's own acceptor now hands a thread only a whole
    request head, closes one that does not arrive within 5 s, and refuses parameters over
    60 KiB."""

    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=5, hosts=1, workers=1, threads=4)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_a_whole_request_over_the_socket_is_answered(self):
        out = fcgi_get(self.s.socket, "/rest/v0/ping")
        self.assertIn(b"Status: 200", out.split(b"\r\n\r\n")[0])
        self.assertIn(b'"result":"pong"', out.replace(b" ", b""))

    def test_half_record_headers_hold_no_thread_and_are_closed(self):
        idle = []
        try:
            for _ in range(16):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.connect(self.s.socket)
                c.sendall(FCGI_BEGIN[:4])  # half a record header, then nothing
                idle.append(c)
            time.sleep(0.5)
            for _ in range(5):
                status, took = timed_ping(self.s.port)
                self.assertEqual(status, 200)
                self.assertLess(took, 2.0)
            out = fcgi_get(self.s.socket, "/rest/v0/ping", timeout=5)
            self.assertIn(b"Status: 200", out)
            t0 = time.monotonic()
            self.assertTrue(closed_by_peer(idle[0], 10), "an idle connection was kept open")
            self.assertLess(time.monotonic() - t0, 7)
            for c in idle[1:]:
                self.assertTrue(closed_by_peer(c, 3))
        finally:
            for c in idle:
                c.close()
        # Logged as counts, at most every 10 s: the first at once. The line is written by the
        # acceptor just after it closes the sockets, so the client may see EOF a moment before.
        wait_until(lambda: re.search(r"closed \d+ FastCGI connection\(s\) whose request head did not arrive "
                                     r"within 5 s", self.s.log_text()), 5, "the log line counting the closed heads")

    def test_a_head_sent_in_pieces_is_served_once_whole(self):
        # More connections than request threads (4), each stopping in the middle of its
        # parameters: none holds a thread (a ping is answered meanwhile); once the rest
        # arrives, each is queued for the request threads and answered.
        conns = []
        try:
            whole = fcgi_request_bytes("/rest/v0/ping")
            for _ in range(6):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.settimeout(10)
                c.connect(self.s.socket)
                c.sendall(whole[:40])
                conns.append(c)
            time.sleep(0.5)
            status, took = timed_ping(self.s.port)
            self.assertEqual(status, 200)
            self.assertLess(took, 2.0)
            for c in conns:
                c.sendall(whole[40:])
            for c in conns:
                out = fcgi_read_stdout(c)
                self.assertIn(b"Status: 200", out.split(b"\r\n\r\n")[0])
                self.assertIn(b'"result":"pong"', out.replace(b" ", b""))
        finally:
            for c in conns:
                c.close()

    def test_a_kept_connection_serves_each_request_and_waits_idle_for_the_next(self):
        # Issue 14: nginx keeps its FastCGI connections (upstream keepalive, FCGI_KEEP_CONN).
        # The worker answers each request up to FCGI_END_REQUEST and keeps the connection,
        # idle, for the next one (never closing it on its own: nginx may be sending a POST);
        # a body the route did not read is skipped, not taken for the next request's head.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.settimeout(10)
            c.connect(self.s.socket)
            for _ in range(3):
                c.sendall(fcgi_request_bytes("/rest/v0/ping", keep=True))
                self.assertIn(b'"result":"pong"', fcgi_read_answer(c).replace(b" ", b""))
            c.sendall(fcgi_request_bytes("/rest/v0/ping", method="POST", body=b'{"x":"' + b"y" * 100000 + b'"}',
                                         keep=True))
            self.assertIn(b"Status: 404", fcgi_read_answer(c).split(b"\r\n\r\n")[0])
            time.sleep(1.5)  # idle longer than any poll of ours: still open
            c.sendall(fcgi_request_bytes("/rest/v0/ping", keep=True))
            out = fcgi_read_answer(c)
            self.assertIn(b"Status: 200", out.split(b"\r\n\r\n")[0])
            self.assertIn(b'"result":"pong"', out.replace(b" ", b""))
            # More kept connections than request threads (4), all idle: none holds a thread.
            idle = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(8)]
            try:
                for k in idle:
                    k.settimeout(10)
                    k.connect(self.s.socket)
                    k.sendall(fcgi_request_bytes("/rest/v0/ping", keep=True))
                    fcgi_read_answer(k)
                for k in reversed(idle):
                    k.sendall(fcgi_request_bytes("/rest/v0/ping", keep=True))
                    self.assertIn(b'"result":"pong"', fcgi_read_answer(k).replace(b" ", b""))
            finally:
                for k in idle:
                    k.close()
            # The acceptor's defences hold for the next request of a kept connection: a head
            # that stops halfway is closed after 5 s, as on a new connection.
            c.sendall(fcgi_request_bytes("/rest/v0/ping", keep=True)[:40])
            t0 = time.monotonic()
            self.assertTrue(closed_by_peer(c, 10), "a kept connection's half head was kept open")
            self.assertGreater(time.monotonic() - t0, 3)
            self.assertLess(time.monotonic() - t0, 7)

    def test_a_100_mb_parameter_is_refused(self):
        sent = 0
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.settimeout(10)
            c.connect(self.s.socket)
            c.sendall(FCGI_BEGIN)
            # One parameter announced as 100 MB, sent as PARAMS records of 65,535 bytes.
            head = fcgi_pair(b"HTTP_X_BIG", b"")[:1] + struct.pack("!I", (100 << 20) | 0x80000000) + b"HTTP_X_BIG"
            piece = fcgi_record(4, head + b"a" * (65535 - len(head)))
            filler = fcgi_record(4, b"a" * 65535)
            try:
                c.sendall(piece)
                sent = len(piece)
                while sent < (100 << 20):
                    c.sendall(filler)
                    sent += len(filler)
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                pass
        self.assertLess(sent, 4 << 20, "the server kept reading a 100 MB parameter")
        wait_until(lambda: "parameters exceed 60 KiB" in self.s.log_text(), 5, "the refusal logged")
        self.assertEqual(fcgi_get(self.s.socket, "/rest/v0/ping").split(b"\r\n")[0], b"Status: 200 OK")


class DemoSocketTest(unittest.TestCase):
    """Defect 8: `make demo` made the FastCGI sockets 0666 (anyone on the machine could talk
    FastCGI to the gateway, past nginx). It runs them 0660 and still serves through nginx."""

    def test_demo_sockets_are_not_world_accessible(self):
        build = os.path.dirname(os.path.dirname(APP))
        port = free_port()
        env = dict(os.environ, DEMO_PORT=str(port), DEMO_VMS="5", DEMO_HOSTS="1")
        log = tempfile.TemporaryFile()
        demo = subprocess.Popen([os.path.join(ROOT, "scripts/demo.sh"), build], stdout=log, stderr=subprocess.STDOUT,
                                env=env, start_new_session=True)
        try:
            def output():
                log.seek(0)
                return log.read().decode(errors="replace")
            wait_until(lambda: "demo is running" in output() or demo.poll() is not None, 180, "make demo")
            self.assertIsNone(demo.poll(), output())
            logs = re.search(r"logs: (\S+)/xapi-rest.log", output()).group(1)
            sockets = [os.path.join(logs, f) for f in os.listdir(logs) if f.endswith(".sock")]
            self.assertGreaterEqual(len(sockets), 3)
            for path in sockets:
                mode = os.stat(path).st_mode & 0o777
                self.assertEqual(mode & 0o007, 0, "%s is %o" % (path, mode))
            token = re.search(r"token: (\S+)", output()).group(1)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", "/rest/v0/vms", headers={"Cookie": "authenticationToken=" + token})
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertEqual(len(json.loads(r.read())), 5)
            conn.close()
        finally:
            if demo.poll() is None:
                os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C: the demo stops what it started
                try:
                    demo.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(demo.pid, signal.SIGKILL)
                    demo.wait()
            log.close()


class ResponsesSurviveTest(unittest.TestCase):
    """Defect 3: a reload cuts no response; a cut one never looks complete; SIGTERM is
    obeyed during a stop. One stack (the tests run in name order: the stop comes last);
    4,000 VMs make a 7 MB list. nginx now buffers answers to its temp files (defect 4), so
    here the site keeps them in its 2 MiB of memory only: the worker stays inside the request
    while the client reads slowly (the case of a full disk or an nginx out of buffers)."""

    VMS = 4000

    @classmethod
    def setUpClass(cls):
        # list_files_mb=0: the list is streamed by a worker (nginx sending a rendered list
        # file holds no worker at all, issue 14).
        cls.s = Stack(vms=cls.VMS, hosts=2, workers=1, threads=4, list_files_mb=0,
                      nginx_subs=[("fastcgi_max_temp_file_size 1024m;", "fastcgi_max_temp_file_size 0;")])

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def one_worker(self):
        wait_until(lambda: len(self.s.pids("worker")) == 1, 10, "one worker")
        return self.s.pids("worker")[0]

    # nginx 1.22 ends a FastCGI response cleanly (last chunk) when the upstream closes
    # without FCGI_END_REQUEST unless fastcgi_keep_conn is on: the site asks it (README,
    # Hardening), so the cut shows.
    def test_a_killed_worker_never_looks_like_a_complete_answer(self):
        worker = self.one_worker()

        def kill_once(n):
            if n == 3:
                os.kill(worker, signal.SIGKILL)

        status, complete, lines = slow_stream(self.s.port, "/rest/v0/vms?fields=*&ndjson", self.s.token,
                                              on_progress=kill_once)
        self.assertEqual(status, 200)
        self.assertLess(len(lines), self.VMS)
        self.assertFalse(complete, len(lines))

    def test_b_reload_during_a_streamed_list_cuts_nothing(self):
        self.one_worker()

        def reload_once(n):
            if n == 3:
                os.kill(self.s.serve.pid, signal.SIGHUP)

        status, complete, lines = slow_stream(self.s.port, "/rest/v0/vms?fields=*&ndjson", self.s.token,
                                              pause=0.02, on_progress=reload_once)
        self.assertEqual(status, 200)
        self.assertTrue(complete, len(lines))
        self.assertEqual(len(lines), self.VMS)
        self.assertIn("reloaded", self.s.log_text())

    def test_c_sigterm_during_a_graceful_stop_is_obeyed(self):
        time.sleep(0.5)  # the reloaded generation settles
        worker = self.one_worker()
        seen = {}

        def alive():
            return os.path.exists("/proc/%d" % worker) and open("/proc/%d/stat" % worker).read().split()[2] != "Z"

        def check():
            seen["alive_after_term"] = alive()

        def stop_then_term(n):
            if n == 2:
                os.kill(self.s.serve.pid, signal.SIGQUIT)  # graceful: the stream keeps going
            if n == 20 and alive():
                os.kill(worker, signal.SIGTERM)  # what the master sends at the deadline
                seen["timer"] = threading.Timer(0.5, check)
                seen["timer"].start()

        slow_stream(self.s.port, "/rest/v0/vms?fields=*&ndjson", self.s.token, pause=0.01,
                    on_progress=stop_then_term)
        self.assertIn("timer", seen, "the worker was gone before the SIGTERM")
        seen["timer"].join()
        self.assertFalse(seen["alive_after_term"], "the worker ignored SIGTERM during the stop")
        self.assertIn("SIGTERM during the stop", self.s.log_text())

if __name__ == "__main__":
    unittest.main(verbosity=2)
