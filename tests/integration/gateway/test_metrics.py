"""GET /metrics through nginx's own location: admin credentials required, Prometheus text
format (parsed with python3-prometheus-client's parser, every family well-formed), and each
figure the issue names follows what happened: requests by route and status with latency
histograms, cache objects and bytes, pool state, last event age, resyncs and event lag, a
worker restart after kill -9, an open watch stream, XAPI errors by code."""
import os
import signal
import socket
import sys
import threading
import time
import unittest

from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, wait_until  # noqa: E402


def scrape(stack):
    r = stack.get("/metrics", token=stack.token)
    if r.status != 200:
        raise AssertionError("GET /metrics: %d %s" % (r.status, r.body[:300]))
    families = {f.name: f for f in text_string_to_metric_families(r.body.decode())}
    return r, families


def value(families, family, sample_name=None, **labels):
    for s in families[family].samples:
        if (sample_name is None or s.name == sample_name) and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


class MetricsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=10, hosts=2)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_credentials_and_format(self):
        self.assertEqual(self.s.get("/metrics").status, 401)
        self.assertEqual(self.s.get("/metrics", token="nope").status, 401)
        r, families = scrape(self.s)
        self.assertEqual(r.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        for name in ("xapi_rest_http_requests", "xapi_rest_http_request_duration_seconds", "xapi_rest_cache_objects",
                     "xapi_rest_cache_bytes", "xapi_rest_pool_connected", "xapi_rest_pool_last_event_age_seconds",
                     "xapi_rest_pool_resyncs", "xapi_rest_pool_event_lag_seconds", "xapi_rest_child_restarts",
                     "xapi_rest_open_streams", "xapi_rest_xapi_errors", "xapi_rest_tasks"):
            self.assertIn(name, families)
        self.assertEqual(families["xapi_rest_http_request_duration_seconds"].type, "histogram")
        self.assertEqual(families["xapi_rest_http_requests"].type, "counter")

    def test_requests_by_route_and_status_with_histograms(self):
        s = self.s
        _, before = scrape(s)
        vm = s.api("/rest/v0/vms")[0].rsplit("/", 1)[1]
        for _ in range(3):
            self.assertEqual(s.get("/rest/v0/vms/" + vm, token=s.token).status, 200)
        self.assertEqual(s.get("/rest/v0/vms/" + vm).status, 401)
        self.assertEqual(s.get("/rest/v0/nosuch", token=s.token).status, 404)
        _, after = scrape(s)

        def delta(**labels):
            b = value(before, "xapi_rest_http_requests", **labels) or 0
            return value(after, "xapi_rest_http_requests", **labels) - b
        self.assertEqual(delta(route="GET /rest/v0/vms/{id}", status="200"), 3)
        self.assertEqual(delta(route="GET /rest/v0/vms/{id}", status="401"), 1)
        self.assertEqual(delta(route="none", status="404"), 1)
        samples = [x for x in after["xapi_rest_http_request_duration_seconds"].samples
                   if x.labels.get("route") == "GET /rest/v0/vms/{id}"]
        buckets = [x for x in samples if x.name.endswith("_bucket")]
        counts = [x.value for x in buckets]
        self.assertEqual(counts, sorted(counts))                      # cumulative
        self.assertEqual(buckets[-1].labels["le"], "+Inf")
        count = [x.value for x in samples if x.name.endswith("_count")][0]
        self.assertEqual(counts[-1], count)
        self.assertGreaterEqual(count, 4)
        self.assertGreater([x.value for x in samples if x.name.endswith("_sum")][0], 0)

    def test_cache_and_pool_figures(self):
        s = self.s
        _, f = scrape(s)
        self.assertEqual(value(f, "xapi_rest_cache_objects", collection="vms"), len(s.api("/rest/v0/vms")))
        self.assertEqual(value(f, "xapi_rest_cache_objects", collection="hosts"), 2)
        used, free = value(f, "xapi_rest_cache_bytes", state="used"), value(f, "xapi_rest_cache_bytes", state="free")
        self.assertGreater(used, 0)
        self.assertEqual(used + free, value(f, "xapi_rest_cache_capacity_bytes"))
        self.assertEqual(value(f, "xapi_rest_pool_connected", pool="pool0"), 1)
        self.assertEqual(value(f, "xapi_rest_pool_state", pool="pool0", state="connected"), 1)
        self.assertGreaterEqual(value(f, "xapi_rest_pool_resyncs", pool="pool0"), 1)
        age = value(f, "xapi_rest_pool_last_event_age_seconds", pool="pool0")
        self.assertTrue(0 <= age < 120, age)
        # A rename in XAPI: one more event batch, a fresh event, a lag figure.
        batches = value(f, "xapi_rest_pool_event_batches", pool="pool0")
        vm = s.api("/rest/v0/vms")[0].rsplit("/", 1)[1]
        s.sims[0].control("rename", {"ref": vm, "name": "renamed-for-metrics"})
        wait_until(lambda: value(scrape(s)[1], "xapi_rest_pool_event_batches", pool="pool0") > batches, 30,
                   "an event batch")
        _, f = scrape(s)
        self.assertLess(value(f, "xapi_rest_pool_last_event_age_seconds", pool="pool0"), 5)
        lag = value(f, "xapi_rest_pool_event_lag_seconds", pool="pool0")
        self.assertIsNotNone(lag)
        self.assertTrue(0 <= lag < 30, lag)

    def test_task_counts_by_status(self):
        s = self.s
        before = {st: value(scrape(s)[1], "xapi_rest_tasks", status=st) for st in ("pending", "success", "failure")}
        vms = s.api("/rest/v0/vms?fields=id,power_state")
        vm = next(v["id"] for v in vms if v["power_state"] == "Running")
        r = s.request("POST", "/rest/v0/vms/%s/actions/pause?sync" % vm, token=s.token)
        self.assertIn(r.status, (200, 204), r.body[:300])
        wait_until(lambda: value(scrape(s)[1], "xapi_rest_tasks", status="success") == before["success"] + 1, 30,
                   "the task to be counted")
        self.assertEqual(value(scrape(s)[1], "xapi_rest_tasks", status="pending"), before["pending"])

    def test_xapi_errors_by_code(self):
        s = self.s
        host = s.api("/rest/v0/hosts")[-1].rsplit("/", 1)[1]
        before = value(scrape(s)[1], "xapi_rest_xapi_errors", code="XENAPI_PLUGIN_FAILURE") or 0
        s.sims[0].control("fail", {"method": "host.call_plugin", "error": ["XENAPI_PLUGIN_FAILURE", "metrics-test"],
                                   "count": 1})
        s.get("/rest/v0/hosts/%s/missing_patches" % host, token=s.token)   # the worker's host.call_plugin
        _, f = scrape(s)
        self.assertEqual(value(f, "xapi_rest_xapi_errors", code="XENAPI_PLUGIN_FAILURE"), before + 1)

    def test_worker_restart_is_counted(self):
        s = self.s
        before = value(scrape(s)[1], "xapi_rest_child_restarts", role="worker") or 0
        pid = s.pids("worker")[0]
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: (value(scrape(s)[1], "xapi_rest_child_restarts", role="worker") or 0) == before + 1, 20,
                   "the restart to be counted")

    def test_open_watch_stream(self):
        s = self.s
        sock = socket.create_connection(("127.0.0.1", s.port))
        try:
            sock.sendall(("GET /rest/v0/vms?watch&ndjson HTTP/1.1\r\nHost: localhost\r\n"
                          "Cookie: authenticationToken=%s\r\n\r\n" % s.token).encode())
            sock.settimeout(10)
            self.assertIn(b" 200 ", sock.recv(4096))
            wait_until(lambda: value(scrape(s)[1], "xapi_rest_open_streams") >= 1, 10, "the open stream")
        finally:
            sock.close()
        wait_until(lambda: value(scrape(s)[1], "xapi_rest_open_streams") == 0, 20, "the stream to close")


if __name__ == "__main__":
    unittest.main(verbosity=2)
