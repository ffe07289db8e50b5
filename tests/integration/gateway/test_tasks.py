"""XO tasks through nginx: /rest/v0/tasks list (std params), one task, DELETE one and all,
non-admin users see their own, pending tasks become interrupted when serve restarts.
Tasks are written into the real SQLite database the way lib/tasks stores them (the action
routes that create them have their own tests)."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, wait_until  # noqa: E402


def b36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        out = digits[n % 36] + out
        n //= 36
        if n == 0:
            return out.rjust(9, "0")


class TasksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=4, hosts=1, workers=1, threads=2)
        cls.s.cli(["user", "add", "bob", "--permission", "none"], stdin="bob-pw\n")
        cls.bob_token = cls.s.cli(["token", "create", "--user", "bob"]).strip()
        cls.admin_id = cls.s.api("/rest/v0/users?fields=id,name&filter=name:admin")[0]["id"]
        cls.bob_id = cls.s.api("/rest/v0/users?fields=id,name&filter=name:bob")[0]["id"]
        cls.seq = 1000

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def db(self):
        return self.s.db()  # SQLite or PostgreSQL (XR_TEST_PG), whichever the stack uses

    def add_task(self, user, status="success", name="REST API: start VM", result=None):
        cls = type(self)
        cls.seq += 1
        now = int(time.time() * 1000)
        tid = "%s-%010d" % (b36(now), cls.seq)
        props = json.dumps({"name": name, "type": "xo:rest-api:action", "objectType": "VM",
                            "objectId": "vm-1", "userId": user})
        with self.db() as c:
            c.execute("INSERT INTO tasks(id,user_id,status,start_ms,end_ms,updated_at,revision,properties,"
                      "result,infos,warnings,subtasks,progress,abortion_requested_at,job,job_state,seq) "
                      "VALUES(?,?,?,?,?,?,?,?,?,'[]','[]','[]',NULL,NULL,'','',?)",
                      (tid, user, status, now, None if status == "pending" else now + 5, now, cls.seq,
                       props, json.dumps(result) if result is not None else None, cls.seq))
        return tid

    def clear(self):
        with self.db() as c:
            c.execute("DELETE FROM tasks")

    def setUp(self):
        self.clear()

    def test_list_is_oldest_first_with_standard_parameters(self):
        a = self.add_task(self.admin_id, name="first")
        b = self.add_task(self.admin_id, status="failure", name="second", result={"message": "boom"})
        c = self.add_task(self.bob_id, status="pending", name="third")
        self.assertEqual(self.s.api("/rest/v0/tasks"),
                         ["/rest/v0/tasks/" + a, "/rest/v0/tasks/" + b, "/rest/v0/tasks/" + c])
        rows = self.s.api("/rest/v0/tasks?fields=status,properties.name")
        self.assertEqual(rows[0], {"status": "success", "properties": {"name": "first"},
                                   "href": "/rest/v0/tasks/" + a})
        self.assertEqual([r["status"] for r in rows], ["success", "failure", "pending"])
        self.assertEqual(self.s.api("/rest/v0/tasks?filter=status:failure"), ["/rest/v0/tasks/" + b])
        self.assertEqual(self.s.api("/rest/v0/tasks?limit=1"), ["/rest/v0/tasks/" + a])
        r = self.s.get("/rest/v0/tasks?fields=id&ndjson", token=self.s.token)
        self.assertTrue(r.headers["Content-Type"].startswith("application/x-ndjson"))
        self.assertEqual([x["id"] for x in r.ndjson()], [a, b, c])
        bad = self.s.get("/rest/v0/tasks?filter=status:", token=self.s.token)
        self.assertEqual(bad.status, 400)

    def test_one_task_has_xo_shape_and_unknown_ids_are_404(self):
        t = self.add_task(self.admin_id, status="failure", result={"message": "boom", "name": "Error"})
        got = self.s.api("/rest/v0/tasks/" + t)
        self.assertEqual(got["id"], t)
        self.assertEqual(got["status"], "failure")
        self.assertEqual(got["result"], {"message": "boom", "name": "Error"})
        self.assertEqual(got["properties"]["name"], "REST API: start VM")
        for key in ("start", "end", "updatedAt"):
            self.assertIsInstance(got[key], int)
        r = self.s.get("/rest/v0/tasks/0zzzzzzzz-nope", token=self.s.token)
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json(), {"error": "no such task 0zzzzzzzz-nope",
                                    "data": {"id": "0zzzzzzzz-nope", "type": "task"}})
        self.assertEqual(self.s.get("/rest/v0/tasks/..%2Fetc", token=self.s.token).status, 404)
        self.assertEqual(self.s.get("/rest/v0/tasks/" + t).status, 401)

    def test_non_admin_users_see_and_delete_their_own_tasks_only(self):
        mine = self.add_task(self.bob_id)
        theirs = self.add_task(self.admin_id)
        r = self.s.get("/rest/v0/tasks", token=self.bob_token)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), ["/rest/v0/tasks/" + mine])
        self.assertEqual(self.s.get("/rest/v0/tasks/" + theirs, token=self.bob_token).status, 404)
        self.assertEqual(self.s.get("/rest/v0/tasks/" + mine, token=self.bob_token).status, 200)
        self.assertEqual(self.s.request("DELETE", "/rest/v0/tasks/" + theirs, token=self.bob_token).status, 404)
        self.assertEqual(self.s.request("DELETE", "/rest/v0/tasks", token=self.bob_token).status, 204)
        self.assertEqual(self.s.api("/rest/v0/tasks"), ["/rest/v0/tasks/" + theirs])

    def test_non_admin_users_cannot_run_actions(self):
        vm = self.s.api("/rest/v0/vms")[0].rsplit("/", 1)[1]
        r = self.s.request("POST", "/rest/v0/vms/%s/actions/start" % vm, token=self.bob_token)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"], "not enough permissions")
        self.assertEqual(self.s.get("/rest/v0/vms/_/actions", token=self.bob_token).status, 403)
        self.assertEqual(self.s.api("/rest/v0/tasks"), [])

    def test_delete_one_and_all_keep_pending_tasks(self):
        done = self.add_task(self.admin_id)
        other = self.add_task(self.admin_id, status="failure")
        pending = self.add_task(self.admin_id, status="pending")
        # (DELETE of one pending task aborts it and answers once it ended: test_task_streams.py)
        r = self.s.request("DELETE", "/rest/v0/tasks/" + done, token=self.s.token)
        self.assertEqual(r.status, 204)
        self.assertEqual(r.body, b"")
        self.assertEqual(self.s.get("/rest/v0/tasks/" + done, token=self.s.token).status, 404)
        self.assertEqual(self.s.request("DELETE", "/rest/v0/tasks/" + done, token=self.s.token).status, 404)
        self.assertEqual(self.s.request("DELETE", "/rest/v0/tasks", token=self.s.token).status, 204)
        self.assertEqual(self.s.api("/rest/v0/tasks"), ["/rest/v0/tasks/" + pending])
        del other

    def test_pending_tasks_are_interrupted_when_serve_restarts(self):
        pending = self.add_task(self.admin_id, status="pending")
        done = self.add_task(self.admin_id)
        self.s.serve.terminate()
        self.s.serve.wait(15)
        self.s.serve_log.close()
        self.s.notify.close()
        os.unlink(self.s.notify_path)
        self.s.start_serve()
        wait_until(lambda: self.s.get("/rest/v0/ping").status == 200, 20, "serve again")
        t = self.s.api("/rest/v0/tasks/" + pending)
        if self.s.storage is not None:
            # PostgreSQL (issue 15): other nodes may be running it; a restarting node interrupts
            # only its own running actions (README "Several nodes"; test_cluster).
            self.assertEqual(t["status"], "pending")
            return
        self.assertEqual(t["status"], "interrupted")
        self.assertIn("end", t)
        self.assertIn("stopped while the task was pending", t["result"]["message"])
        self.assertEqual(self.s.api("/rest/v0/tasks/" + done)["status"], "success")


if __name__ == "__main__":
    unittest.main(verbosity=2)
