"""Two xapi-rest nodes on one PostgreSQL store behind one nginx upstream (issue 15): tokens,
actions, waits, watches and aborts across nodes; kill -9 of the node running an action."""
import http.client
import json
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster import Cluster  # noqa: E402
from stack import Sim, wait_until  # noqa: E402
from test_watch import Watch, apply_events, as_map  # noqa: E402

LEASE_S = 3


class ClusterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(vms=10, hosts=2, lease=LEASE_S)
        cls.used = set()

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def setUp(self):
        self.c.a.sims[0].control("clear")

    def vm(self, state):
        for v in self.c.a.api("/rest/v0/vms?fields=id,power_state"):
            if v["power_state"] == state and v["id"] not in self.used:
                self.used.add(v["id"])
                return v["id"]
        self.skipTest("no free %s VM" % state)

    def post(self, node, path):
        r = node.request("POST", path, token=self.c.token)
        self.assertEqual(r.status, 202, r.body)
        return r.json()["taskId"]

    def test_a_token_created_on_a_works_on_b_and_its_revocation_reaches_b(self):
        a, b = self.c.a, self.c.b
        before = set(line.split()[0] for line in a.cli(["token", "list"]).splitlines() if line.strip())
        token = a.cli(["token", "create", "--user", "admin"]).strip()
        self.assertEqual(b.get("/rest/v0/vms", token=token).status, 200)  # at once on B
        self.assertEqual(self.c.front.get("/rest/v0/vms", token=token).status, 200)
        new = [line.split()[0] for line in a.cli(["token", "list"]).splitlines()
               if line.strip() and line.split()[0] not in before]
        self.assertEqual(len(new), 1)
        a.cli(["token", "revoke", new[0]])
        start = time.monotonic()
        wait_until(lambda: b.get("/rest/v0/vms", token=token).status == 401, 5, "B to refuse the token")
        # README's bound: the master re-reads the store's credentials generation every 200 ms.
        self.assertLess(time.monotonic() - start, 1.0)

    def test_an_action_through_a_is_waited_for_through_b(self):
        vm = self.vm("Halted")
        task = self.post(self.c.a, "/rest/v0/vms/%s/actions/start" % vm)
        r = self.c.b.get("/rest/v0/tasks/%s?wait=result" % task, token=self.c.token)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["status"], "success")
        wait_until(lambda: self.c.b.api("/rest/v0/vms/%s?fields=power_state" % vm)["power_state"] == "Running",
                   10, "B's cache to show the VM running")

    def test_an_action_through_b_is_aborted_through_a(self):
        vm = self.vm("Running")
        self.c.a.sims[0].control("hang", {"method": "VM.clean_shutdown"})
        task = self.post(self.c.b, "/rest/v0/vms/%s/actions/clean_shutdown" % vm)
        wait_until(lambda: self.c.runner_of(task) != "", 10, "a runner to take the action")
        r = self.c.a.request("POST", "/rest/v0/tasks/%s/actions/abort" % task, token=self.c.token)
        self.assertIn(r.status, (200, 202, 204), r.body)
        r = self.c.a.get("/rest/v0/tasks/%s?wait=result" % task, token=self.c.token)
        self.assertEqual(r.status, 200, r.body)
        self.assertIn(r.json()["status"], ("failure", "interrupted"))

    def test_the_tasks_watch_through_b_resumes_from_a_revision_read_on_a(self):
        listed = self.c.a.get("/rest/v0/tasks", token=self.c.token)
        rev = listed.headers["X-Revision"]
        vm = self.vm("Running")
        task = self.post(self.c.a, "/rest/v0/vms/%s/actions/pause" % vm)
        conn = http.client.HTTPConnection("127.0.0.1", self.c.b.port, timeout=10)
        conn.request("GET", "/rest/v0/tasks?ndjson&watch&since=%s" % rev,
                     headers={"Cookie": "authenticationToken=" + self.c.token})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        seen = False
        deadline = time.monotonic() + 10
        while not seen and time.monotonic() < deadline:
            line = resp.fp.readline()
            if not line:
                break
            seen = task.encode() in line
        conn.close()
        self.assertTrue(seen, "the change made through A after revision %s reached B's watch" % rev)

    def test_a_watch_through_a_resumed_through_b_is_a_410_and_the_relist_loses_nothing(self):
        # Pool state is per node (each follows XAPI itself, and XAPI coalesces an object made
        # and destroyed between two event.from calls into nothing, at different points on
        # each node): a cache revision names its node's cache, another node answers 410 and
        # the client lists there and watches from that list. Its copy then equals a fresh list.
        a, b, sim = self.c.a, self.c.b, self.c.a.sims[0]
        path = "/rest/v0/vms?fields=name_label,power_state"
        listed = a.get(path, token=self.c.token)
        copy = as_map(listed.json())
        vms = [v["id"] for v in a.api("/rest/v0/vms?fields=id")]
        w = Watch(a, path + "&ndjson&watch&revision&since=" + listed.headers["X-Revision"])
        self.assertEqual(w.resp.status, 200)
        sim.control("rename", {"ref": vms[0], "name": "seen-through-a"})
        line = w.next(timeout=10)
        while line[1].get("name_label") != "seen-through-a":
            line = w.next(timeout=10)
        apply_events(copy, [line], "href")
        w.close()  # the connection is lost; the world goes on
        sim.control("rename", {"ref": vms[1], "name": "while-away"})
        sim.control("remove_vm", {"ref": vms[2]})
        wait_until(lambda: b.get("/rest/v0/vms/" + vms[2], token=self.c.token).status == 404, 10, "B to drop the VM")
        # resume through B with A's revision: a 410 naming why and what to do
        r = b.get(path + "&ndjson&watch&since=" + line[2], token=self.c.token)
        self.assertEqual(r.status, 410, r.body)
        body = r.json()
        self.assertIn("another xapi-rest node", body["error"])
        self.assertIn("list the collection again", body["error"])
        self.assertEqual(body["data"]["since"], line[2])
        self.assertRegex(body["data"]["revision"], r"^[0-9a-f]{8}-[0-9]+$")
        # an SSE Last-Event-ID of A is the same 410 on B
        r = b.request("GET", "/rest/v0/events", token=self.c.token, headers={"Last-Event-ID": line[2]})
        self.assertEqual(r.status, 410, r.body)
        # the client does what the 410 says: list through B, watch from that list's revision
        listed = b.get(path, token=self.c.token)
        copy = as_map(listed.json())
        w = Watch(b, path + "&ndjson&watch&since=" + listed.headers["X-Revision"])
        self.assertEqual(w.resp.status, 200)
        sim.control("rename", {"ref": vms[3], "name": "live-through-b"})
        events = []
        while not any(e[0] == "update" and e[1].get("name_label") == "live-through-b" for e in events):
            events.append(w.next(timeout=10))
        w.close()
        apply_events(copy, events, "href")
        self.assertEqual(copy, as_map(b.api(path)))
        self.assertEqual(copy["/rest/v0/vms/" + vms[1]]["name_label"], "while-away")
        self.assertNotIn("/rest/v0/vms/" + vms[2], copy)
        self.used.update(vms[:4])

    def test_a_server_added_over_rest_on_one_node_is_followed_by_the_other(self):
        a, b = self.c.a, self.c.b
        sim2 = Sim(a.dir, 3, 1, 7, "pw-second-pool")
        pids = (a.serve.pid, b.serve.pid)

        def server(node, sid):
            r = node.request("GET", "/rest/v0/servers/" + sid, token=self.c.token)
            return r.json() if r.status == 200 else None

        def vms_of(node, pool):
            return node.api("/rest/v0/vms?fields=id&filter=" + urllib.parse.quote("$pool:" + pool))

        def change(node, method, path, body=None):
            r = node.request(method, path, token=self.c.token, body=body)
            self.assertIn(r.status, (201, 204), r.body)
            return r

        try:
            sid = change(a, "POST", "/rest/v0/servers", {
                "host": sim2.url, "username": "root", "password": "pw-second-pool", "label": "second",
                "allowUnauthorized": True}).json()["id"]
            # B's poller connects the pool added through A (its master reloads on A's
            # notification; the password opened with the nodes' shared key) and B reads it.
            wait_until(lambda: (server(b, sid) or {}).get("status") == "connected", 30, "B to connect the server")
            pool = server(b, sid)["poolId"]
            wait_until(lambda: len(vms_of(b, pool)) == 3, 30, "the new pool's VMs on B")
            self.assertEqual(server(b, sid)["label"], "second")
            # a change through B is followed by A: label, then disconnect (its objects leave
            # A's cache), connect (back)
            change(b, "PATCH", "/rest/v0/servers/" + sid, {"label": "2nd"})
            wait_until(lambda: (server(a, sid) or {}).get("label") == "2nd", 30, "A to follow the PATCH")
            change(b, "POST", "/rest/v0/servers/%s/actions/disconnect" % sid)
            wait_until(lambda: not vms_of(a, pool) and not vms_of(b, pool), 30, "both nodes to drop the pool")
            self.assertEqual(server(a, sid)["status"], "disconnected")
            change(b, "POST", "/rest/v0/servers/%s/actions/connect" % sid)
            wait_until(lambda: len(vms_of(a, pool)) == 3, 30, "A to connect the pool again")
            # removed through A: gone from B's servers and cache
            change(a, "DELETE", "/rest/v0/servers/" + sid)
            wait_until(lambda: server(b, sid) is None and not vms_of(b, pool), 30, "B to drop the removed server")
            # all of it without a restart (a reload keeps the master)
            self.assertEqual((a.serve.poll(), b.serve.poll()), (None, None))
            self.assertEqual((a.serve.pid, b.serve.pid), pids)
        finally:
            sim2.stop()

    def test_z_kill_9_of_the_node_running_an_action_interrupts_it_and_nginx_keeps_answering(self):
        vm = self.vm("Running")
        self.c.a.sims[0].control("hang", {"method": "VM.clean_reboot"})
        task = self.post(self.c.front, "/rest/v0/vms/%s/actions/clean_reboot" % vm)
        wait_until(lambda: self.c.runner_of(task) != "", 10, "a runner to take the action")
        owner = self.c.runner_of(task).split("|")[0]
        other = self.c.node("b" if owner == "a" else "a")
        killed_at = time.monotonic()
        self.c.kill_node(owner)
        # The front nginx keeps answering through the other node: its first request to the
        # dead socket is refused and retried on the next upstream; none fails.
        failures = []
        for _ in range(40):
            r = self.c.front.get("/rest/v0/vms?fields=id&limit=1", token=self.c.token)
            if r.status != 200:
                failures.append(r.status)
        self.assertEqual(failures, [])
        wait_until(lambda: other.api("/rest/v0/tasks/" + task)["status"] != "pending", 20,
                   "the dead node's action to end")
        took = time.monotonic() - killed_at
        t = other.api("/rest/v0/tasks/" + task)
        self.assertEqual(t["status"], "interrupted")
        self.assertIn("lease expired", t["result"]["message"])
        # README's bound: lease + a third of it (the sweep period), plus a second of slack here.
        self.assertLess(took, LEASE_S * 4 / 3 + 1.5)
        self.assertGreater(took, LEASE_S - 1)  # not before the lease ran out
        self.c.a.sims[0].control("release")


if __name__ == "__main__":
    unittest.main(verbosity=2)
