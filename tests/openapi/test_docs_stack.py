#!/usr/bin/python3
"""The OpenAPI document and the MCP status as the running stack serves them (simulator +
xapi-rest + nginx): both document URLs, every operation of the document routed (no
"Cannot GET" 404), /mcp/status, and XO's kill switch after a config reload (SIGHUP)."""
import json
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../integration/gateway"))
from stack import Stack, wait_until  # noqa: E402

MCP = {"X-XO-Client": "mcp"}


class DocsOnTheStack(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=6, hosts=2, workers=1, threads=2)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_1_document_urls_need_no_credentials(self):
        a = self.s.get("/rest/v0/docs/swagger.json")
        b = self.s.get("/rest/v0/docs/openapi.json")
        self.assertEqual((a.status, b.status), (200, 200))
        self.assertTrue(a.headers["Content-Type"].startswith("application/json"))
        self.assertEqual(a.body, b.body)
        doc = a.json()
        self.assertEqual(doc["openapi"], "3.1.0")
        self.assertEqual(doc["servers"], [{"url": "/rest/v0"}])

    def test_2_every_operation_is_routed(self):
        doc = self.s.get("/rest/v0/docs/swagger.json").json()
        vm = self.s.api("/rest/v0/vms")[0].rsplit("/", 1)[1]
        checked = 0
        for path, item in doc["paths"].items():
            for method, op in item.items():
                # A real object id where the collection has one, else a made-up id.
                coll = path.split("/")[1]
                concrete = path
                verb = method.upper()
                if coll == "events":
                    # Server-sent events never end: HEAD opens none; a made-up connection id.
                    concrete = concrete.replace("{id}", "nosuchconnection").replace("{subscriptionId}", "VM")
                    verb = "HEAD" if method == "get" else verb
                elif "{id}" in path:
                    listing = self.s.get("/rest/v0/" + coll, token=self.s.token)
                    first = listing.json()[0] if listing.status == 200 and listing.json() else None
                    oid = first.rsplit("/", 1)[1] if isinstance(first, str) else vm
                    concrete = concrete.replace("{id}", oid)
                concrete = concrete.replace("{tokenId}", "nosuchtoken").replace("{path}", "x")
                body = {} if method in ("post", "put", "patch") else None
                r = self.s.request(verb, "/rest/v0" + concrete, token=self.s.token, body=body)
                with self.subTest("%s %s" % (method, path)):
                    self.assertNotIn(b'"Cannot ', r.body, "%s %s -> %d" % (method, concrete, r.status))
                    # 503: a pool member the simulator names but does not serve (stats); never a 500.
                    self.assertNotEqual(r.status, 500, r.body[:200])
                checked += 1
        self.assertGreater(checked, 60)

    def test_3_mcp_status_and_header_when_enabled(self):
        r = self.s.get("/rest/v0/mcp/status", headers=MCP)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"enabled": True})
        self.assertEqual(self.s.get("/rest/v0/pools", token=self.s.token, headers=MCP).status, 200)

    def test_4_kill_switch_after_reload(self):
        with open(self.s.config, "a") as f:
            f.write("[mcp]\nenabled = false\n")
        os.kill(self.s.serve.pid, signal.SIGHUP)
        wait_until(lambda: self.s.get("/rest/v0/mcp/status").status == 503, 20, "the reload")
        r = self.s.get("/rest/v0/mcp/status")
        self.assertEqual(r.json(), {"error": "MCP is disabled by the administrator",
                                    "data": {"error": "mcp_disabled"}})
        # Refused whatever the credentials (valid token, Basic, none), on any route...
        for kw in ({"token": self.s.token}, {"basic": ("admin", self.s.admin_password)}, {}):
            r = self.s.get("/rest/v0/vms", headers=MCP, **kw)
            self.assertEqual(r.status, 503)
            self.assertEqual(r.json()["data"], {"error": "mcp_disabled"})
        self.assertEqual(self.s.get("/rest/v0/nothing", headers=MCP).status, 503)
        # ... while the same request without the header is served.
        self.assertEqual(self.s.get("/rest/v0/vms", token=self.s.token).status, 200)
        self.assertEqual(json.loads(self.s.get("/rest/v0/ping").body)["result"], "pong")


if __name__ == "__main__":
    unittest.main(verbosity=2)
