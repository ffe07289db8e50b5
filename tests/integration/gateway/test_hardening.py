"""Hardening (issue 17) through the real stack: nginx + xapi-rest + simulator.
Defect 1: response splitting through /users/me/<rest> (Location re-encoded, the response
writer refuses CR/LF). Defect 2: password-hash exhaustion (XO's 2 s throttle per user and
per address, a bound on concurrent argon2id checks, failed-login log lines, equal cost for
unknown users)."""
import base64
import http.client
import os
import socket
import statistics
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack  # noqa: E402


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

    def test_unknown_users_cost_as_much_as_known_ones(self):
        for name in ("known1", "known2", "known3"):
            self.s.cli(["user", "add", name], stdin="pw-" + name + "\n")
        login(self.port, "warm-up", "x", source="127.0.2.1")  # the dummy hash is made once
        known, unknown = [], []
        for i in range(3):
            known.append(login(self.port, "known%d" % (i + 1), "wrong", source="127.0.3.%d" % (i + 1))[2])
            unknown.append(login(self.port, "nobody%d" % i, "wrong", source="127.0.4.%d" % (i + 1))[2])
        k, u = statistics.median(known), statistics.median(unknown)
        self.assertGreater(u, 0.5 * k, (known, unknown))
        self.assertLess(u, 2.0 * k, (known, unknown))


if __name__ == "__main__":
    unittest.main(verbosity=2)
