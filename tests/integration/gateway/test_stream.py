"""The stream role through nginx: its own FastCGI socket (the master's socket table),
watch requests routed to it, many open at once without starving ordinary requests, a
clean end of every stream on stop, and a restart by the master when it dies."""
import http.client
import json
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, wait_until  # noqa: E402


class Watch:
    """An open watch request read line by line (chunked NDJSON through nginx)."""

    def __init__(self, stack, path, timeout=10):
        self.conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=timeout)
        self.conn.request("GET", path, headers={"Cookie": "authenticationToken=" + stack.token})
        self.resp = self.conn.getresponse()

    def line(self):
        return self.resp.readline()

    def rest(self):
        """Reads to the end; raises http.client.IncompleteRead if the stream was cut."""
        return self.resp.read()

    def close(self):
        self.conn.close()


class StreamRoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=10, hosts=2, workers=1, threads=2)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_the_master_opens_the_stream_socket_next_to_the_main_one(self):
        path = os.path.join(os.path.dirname(self.s.socket), "stream.sock")
        self.assertTrue(os.path.exists(path))
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o666)
        self.assertEqual(len(self.s.pids("stream")), 1)

    def test_watch_without_ndjson_is_a_400_as_xo(self):
        for q in ("watch=true", "watch", "ndjson=false&watch=true"):
            r = self.s.get("/rest/v0/vms?" + q, token=self.s.token)
            self.assertEqual(r.status, 400, q)
            self.assertEqual(r.json(), {"error": "watch=true requires ndjson=true"})

    def test_watch_on_tasks_needs_ndjson_as_the_others(self):
        # Served by the stream role's task board (test_task_streams.py has its events).
        r = self.s.get("/rest/v0/tasks?watch=true", token=self.s.token)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json(), {"error": "watch=true requires ndjson=true"})

    def test_watch_false_is_an_ordinary_list(self):
        r = self.s.get("/rest/v0/vms?watch=false", token=self.s.token)
        self.assertEqual(r.status, 200)
        self.assertEqual(len(r.json()), 10)

    def test_watch_needs_credentials_and_a_known_collection(self):
        r = self.s.get("/rest/v0/vms?ndjson&watch")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json(), {"error": "invalid credentials"})
        self.assertEqual(r.headers["WWW-Authenticate"], 'Basic realm="xo"')
        r = self.s.get("/rest/v0/nothing?ndjson&watch", token=self.s.token)
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json(), {"error": "Cannot GET /rest/v0/nothing"})

    def test_open_watches_do_not_hold_ordinary_requests(self):
        # One worker with two threads: 50 open watches would starve it if they were its.
        watches = [Watch(self.s, "/rest/v0/vms?fields=name_label&ndjson&watch") for _ in range(50)]
        try:
            for w in watches:
                self.assertEqual(w.resp.status, 200)
                self.assertEqual(w.resp.getheader("Content-Type"), "application/x-ndjson")
            t0 = time.monotonic()
            for _ in range(20):
                self.assertEqual(self.s.get("/rest/v0/ping").status, 200)
                self.assertEqual(self.s.get("/rest/v0/vms", token=self.s.token).status, 200)
            self.assertLess(time.monotonic() - t0, 5)
        finally:
            for w in watches:
                w.close()


class StreamLifecycleTest(unittest.TestCase):
    def setUp(self):
        self.s = Stack(vms=5, hosts=1, workers=1, threads=2)

    def tearDown(self):
        self.s.stop()

    def test_a_killed_stream_role_is_restarted(self):
        old = self.s.pids("stream")
        self.assertEqual(len(old), 1)
        os.kill(old[0], signal.SIGKILL)
        wait_until(lambda: len(self.s.pids("stream")) == 1 and self.s.pids("stream") != old, 5,
                   "a new stream role")
        w = Watch(self.s, "/rest/v0/hosts?ndjson&watch")
        self.assertEqual(w.resp.status, 200)
        w.close()

    def test_sigterm_ends_every_open_stream_properly(self):
        watches = [Watch(self.s, "/rest/v0/vms?ndjson=true&watch=true") for _ in range(5)]
        for w in watches:
            self.assertEqual(w.resp.status, 200)
        self.s.serve.send_signal(signal.SIGTERM)
        for w in watches:
            self.assertEqual(w.rest(), b"")  # the chunked body ends with its terminator
            w.close()
        self.assertEqual(self.s.serve.wait(15), 0)
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(self.s.socket), "stream.sock")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
