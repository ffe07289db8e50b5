#!/usr/bin/python3
"""XO's own MCP server (@xen-orchestra/mcp, pinned) against the real stack (simulator +
xapi-rest + nginx), driven over stdio by the MCP SDK's client (mcp_client.mjs) as an
assistant would: it starts with a token and with user + password, offers the query tools,
answers what the read API answers, offers `<collection>_action` tools only with
XO_MCP_ENABLE_ACTIONS=1 and runs an action (CleanShutdownVm) only once the confirmation
token comes back, and stops with "MCP disabled by admin" once the admin
turns MCP off (while the same requests without the MCP header are still served).
Environment: XR_APP, XR_SOURCE_DIR, XR_NPM_DIR."""
import json
import os
import signal
import subprocess
import sys
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration/gateway"))
from stack import Stack, wait_until  # noqa: E402

NPM = os.environ["XR_NPM_DIR"]
MCP = {"X-XO-Client": "mcp"}


def rows(text):
    """A tool's answer as data: JSON as sent, or a markdown table as a list of row strings."""
    text = text.strip()
    if text[:1] in "[{":
        return json.loads(text)
    return [line for line in text.splitlines() if line.startswith("|")]


class McpServer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=8, hosts=2, workers=1, threads=4)
        cls.url = "http://127.0.0.1:%d" % cls.s.port

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def client(self, scenario, calls=None, auth="token", actions=False):
        env = dict(os.environ, XO_URL=self.url)
        for k in ("XO_TOKEN", "XO_USERNAME", "XO_PASSWORD", "XO_MCP_ENABLE_ACTIONS"):
            env.pop(k, None)
        if auth == "token":
            env["XO_TOKEN"] = self.s.token
        else:
            env["XO_USERNAME"], env["XO_PASSWORD"] = "admin", self.s.admin_password
        if actions:
            env["XO_MCP_ENABLE_ACTIONS"] = "1"
        args = ["node", os.path.join(HERE, "mcp_client.mjs"), NPM, scenario]
        if calls is not None:
            args.append(json.dumps(calls))
        r = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def call(self, *calls, **kw):
        out = self.client("call", [{"name": n, "arguments": a} for n, a in calls], **kw)
        self.assertTrue(out["connected"], out)
        return out["results"]

    def test_1_starts_with_a_token_and_offers_the_query_tools(self):
        out = self.client("tools")
        self.assertTrue(out["connected"], out)
        names = {t["name"] for t in out["tools"]}
        for expected in ("vms_query", "hosts_query", "pools_query", "srs_query", "check_connection",
                         "get_infrastructure_summary"):
            self.assertIn(expected, names)
        self.assertEqual([n for n in names if n.endswith("_action")], [])
        vms = next(t for t in out["tools"] if t["name"] == "vms_query")
        for op in ("GetVms", "GetVm", "GetVmVdis", "GetVmAlarms", "GetVmMessages"):
            self.assertIn(op, vms["operations"])

    def test_2_starts_with_user_and_password(self):
        out = self.client("tools", auth="basic")
        self.assertTrue(out["connected"], out)
        self.assertIn("vms_query", {t["name"] for t in out["tools"]})
        [conn] = self.call(("check_connection", {}), auth="basic")
        self.assertEqual(conn, {"isError": False, "text": "Connection to XO server successful."})

    def test_3_vms_query_answers_what_the_read_api_answers(self):
        vm_id = self.s.api("/rest/v0/vms")[0].rsplit("/", 1)[1]
        doc = self.s.get("/rest/v0/docs/swagger.json").json()
        examples = doc["paths"]["/vms"]["get"]["responses"]["200"]["content"]["application/json"]["examples"]
        default_fields = ",".join(k for k in next(iter(e["value"][0] for e in examples.values()
                                                        if isinstance(e["value"][0], dict))) if k != "href")
        filtered, one, defaults = self.call(
            ("vms_query", {"operation": "GetVms", "filter": "power_state:Running",
                           "fields": "name_label,power_state"}),
            ("vms_query", {"operation": "GetVm", "id": vm_id}),
            ("vms_query", {"operation": "GetVms"}))
        for r in (filtered, one, defaults):
            self.assertFalse(r["isError"], r["text"])
        q = urllib.parse.quote
        expected = self.s.api("/rest/v0/vms?filter=%s&fields=name_label,power_state" % q("power_state:Running"))
        got = rows(filtered["text"])
        self.assertTrue(expected)
        if isinstance(got, list) and got and isinstance(got[0], dict):
            self.assertEqual(got, expected)
        else:  # markdown table: one row per VM under the header
            self.assertEqual(len(got) - 2, len(expected))
        if one["text"].lstrip()[:1] == "{":
            self.assertEqual(json.loads(one["text"]), self.s.api("/rest/v0/vms/" + vm_id))
        self.assertIn(vm_id, one["text"])
        all_vms = self.s.api("/rest/v0/vms?fields=" + default_fields)
        got = rows(defaults["text"])
        if isinstance(got, list) and got and isinstance(got[0], dict):
            self.assertEqual(got, all_vms)
        else:
            self.assertEqual(len(got) - 2, len(all_vms))

    def test_4_infrastructure_summary_names_pool_hosts_and_vms(self):
        [summary] = self.call(("get_infrastructure_summary", {}))
        self.assertFalse(summary["isError"], summary["text"])
        text = summary["text"]
        for p in self.s.api("/rest/v0/pools?fields=name_label"):
            self.assertIn(p["name_label"], text)
        for h in self.s.api("/rest/v0/hosts?fields=name_label"):
            self.assertIn(h["name_label"], text)
        for v in self.s.api("/rest/v0/vms"):
            self.assertIn(v.rsplit("/", 1)[1], text)

    def test_5_actions_only_when_enabled_and_only_after_confirmation(self):
        out = self.client("tools", actions=True)
        self.assertTrue(out["connected"], out)
        tools = {t["name"]: t for t in out["tools"]}
        self.assertIn("vms_action", tools)
        self.assertIn("CleanShutdownVm", tools["vms_action"]["operations"])
        # A running VM with its guest agent (clean_shutdown needs it), on the simulated pool.
        vms = self.s.api("/rest/v0/vms?fields=id,power_state,managementAgentDetected")
        vm = next(v["id"] for v in vms if v["power_state"] == "Running" and v.get("managementAgentDetected"))
        [preview] = self.call(("vms_action", {"operation": "CleanShutdownVm", "id": vm}), actions=True)
        self.assertFalse(preview["isError"], preview["text"])
        self.assertIn("Confirmation Required", preview["text"])
        self.assertIn("/vms/%s/actions/clean_shutdown" % vm, preview["text"])
        self.assertEqual(self.s.api("/rest/v0/vms/" + vm)["power_state"], "Running")
        # The confirmed call (same MCP session: the token lives in the server's memory).
        preview, done = self.call(("vms_action", {"operation": "CleanShutdownVm", "id": vm}),
                                  ("vms_action", {"operation": "CleanShutdownVm", "confirm_token": "$confirm"}),
                                  actions=True)
        self.assertFalse(done["isError"], done["text"])
        wait_until(lambda: self.s.api("/rest/v0/vms/" + vm)["power_state"] == "Halted", 30,
                   "the VM to halt in the simulator")

    def test_9_kill_switch_stops_it(self):
        with open(self.s.config, "a") as f:
            f.write("[mcp]\nenabled = false\n")
        os.kill(self.s.serve.pid, signal.SIGHUP)
        wait_until(lambda: self.s.get("/rest/v0/mcp/status").status == 503, 20, "the reload")
        out = self.client("start")
        self.assertFalse(out["connected"], out)
        self.assertIn("MCP disabled by admin", out["stderr"])
        self.assertEqual(self.s.get("/rest/v0/vms", token=self.s.token, headers=MCP).status, 503)
        self.assertEqual(self.s.get("/rest/v0/vms", token=self.s.token).status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
