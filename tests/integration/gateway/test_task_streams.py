"""Long-lived task requests held by the stream role, not by worker threads (issues 9 and 11):
waits handed off by the workers (GET /tasks/<id>?wait, ?sync / sync=true actions, abort with a
sync flag) while one worker with two threads keeps serving; clients that leave; watch on
/rest/v0/tasks (hrefs, fields, filter entry/exit, no event for an unchanged projection,
revisions, since replay, 410/400, a user sees its own tasks, a watch starts where the store
is even when the stream role's feed lags); SSE `task` subscriptions."""
import json
import os
import socket
import sys
import time
import types
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, wait_until  # noqa: E402
from test_sse import Events  # noqa: E402
from test_watch import Watch  # noqa: E402


def Lines(stack, path, token):
    """test_watch's reader, with the credentials of `token`."""
    return Watch(types.SimpleNamespace(port=stack.port, token=token), path)


def raw_request(stack, method, path, token):
    """A request whose answer is read later (or never: the client leaves)."""
    s = socket.create_connection(("127.0.0.1", stack.port), timeout=30)
    s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\nCookie: authenticationToken=%s\r\nContent-Length: 0\r\n"
               "Connection: close\r\n\r\n" % (method, path, token)).encode())
    return s


def read_answer(sock):
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    if b"transfer-encoding: chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        body = out
    return status, body


class TaskStreamsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # One worker with two threads: any request holding a thread while it waits would starve it.
        cls.s = Stack(vms=40, hosts=2, workers=1, threads=2)  # enough Running VMs for every test
        cls.sim = cls.s.sims[0]
        cls.s.cli(["user", "add", "bob", "--permission", "none"], stdin="bob-pw\n")
        cls.bob_token = cls.s.cli(["token", "create", "--user", "bob"]).strip()
        cls.used = set()

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def setUp(self):
        self.sim.control("clear")

    def vm(self, state="Running"):
        for v in self.s.api("/rest/v0/vms?fields=id,power_state"):
            if v["power_state"] == state and v["id"] not in type(self).used:
                type(self).used.add(v["id"])
                return v["id"]
        self.skipTest("no free %s VM" % state)

    def post(self, path):
        return self.s.request("POST", path, token=self.s.token)

    def task_events(self, fields):
        """An SSE stream with a `task` subscription (`fields`)."""
        e = Events(self.s)
        self.addCleanup(e.close)
        event, _, data = e.next()
        self.assertEqual(event, "init")
        r = self.s.request("POST", "/rest/v0/events/%s/subscriptions" % data["id"], token=self.s.token,
                           body={"collection": "task", "fields": fields})
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.json(), {"id": "task"})
        return e

    def lines(self, path, token=None):
        w = Lines(self.s, path, token or self.s.token)
        self.addCleanup(w.close)
        return w

    # --- waits ---
    def test_many_waits_hold_no_worker_thread_and_all_get_their_answer(self):
        self.sim.control("hang", {"method": "VM.suspend", "count": 1})
        self.sim.control("hang", {"method": "VM.clean_shutdown", "count": 3})
        task = self.post("/rest/v0/vms/%s/actions/suspend" % self.vm()).json()["taskId"]
        waiters = [raw_request(self.s, "GET", "/rest/v0/tasks/%s?wait=result" % task, self.s.token)
                   for _ in range(30)]
        changes = [raw_request(self.s, "GET", "/rest/v0/tasks/%s?wait=true" % task, self.s.token)
                   for _ in range(5)]
        vms = [self.vm() for _ in range(3)]
        syncs = [raw_request(self.s, "POST", "/rest/v0/vms/%s/actions/clean_shutdown%s" % (v, q), self.s.token)
                 for v, q in zip(vms, ["?sync=true", "?sync", "?sync=true"])]
        leavers = [raw_request(self.s, "GET", "/rest/v0/tasks/%s?wait=result" % task, self.s.token)
                   for _ in range(10)]
        time.sleep(1.0)
        # 48 requests wait; the two worker threads still answer at once.
        for _ in range(5):
            t0 = time.monotonic()
            self.assertEqual(self.s.get("/rest/v0/tasks/" + task, token=self.s.token).status, 200)
            self.assertEqual(self.s.get("/rest/v0/vms?limit=1", token=self.s.token).status, 200)
            self.assertLess(time.monotonic() - t0, 2.0)
        for sock in leavers:
            sock.close()
        self.sim.control("release", {"method": "VM.suspend"})
        for sock in waiters + changes:
            status, body = read_answer(sock)
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body)["status"], "success")
            self.assertEqual(json.loads(body)["id"], task)
        self.sim.control("release", {"method": "VM.clean_shutdown"})
        answers = [read_answer(sock) for sock in syncs]
        self.assertEqual([a[0] for a in answers], [204, 200, 204], answers)
        self.assertEqual(answers[1][1], b"")
        for v in vms:  # void actions answer when XAPI's task ends; the cache follows
            wait_until(lambda: self.s.api("/rest/v0/vms/%s?fields=power_state" % v)["power_state"] == "Halted",
                       10, "the VM to halt")

    def test_wait_errors_and_an_other_users_task(self):
        r = self.s.get("/rest/v0/tasks/0abcdefgh-0123456789?wait=result", token=self.s.token)
        self.assertEqual(r.status, 404)
        task = self.post("/rest/v0/vms/%s/actions/pause" % self.vm()).json()["taskId"]
        r = self.s.get("/rest/v0/tasks/%s?wait=result" % task, token=self.bob_token)
        self.assertEqual(r.status, 404)  # not revealed
        r = self.s.get("/rest/v0/tasks/%s?wait=result" % task, token=self.s.token)
        self.assertEqual((r.status, r.json()["status"]), (200, "success"))
        # The internal hand-off location is not reachable from outside.
        r = self.s.get("/_xr/wait?task=%s&until=done&answer=task" % task, token=self.s.token)
        self.assertEqual(r.status, 404)

    def test_a_wait_is_not_answered_by_a_read_cut_between_two_commits(self):
        """The stream role's feed reads the store's revision, then the rows changed since; a row
        committed between the two (its revision above the one read) is left to the next read.
        Such a cut read must not answer a wait's "is this task there?": a task made by a worker
        and changed by the runner at once came back 404 (`?sync`, seen in a landing). Here the
        row is written with the next revision and the counter bumped only 1 s later, so every
        read meanwhile is cut."""
        r = self.post("/rest/v0/vms/%s/actions/pause?sync=true" % self.vm())
        self.assertEqual(r.status, 204, r.body)
        src = self.s.get("/rest/v0/tasks?fields=id", token=self.s.token).json()[-1]["id"]
        task = src[:-1] + ("a" if src[-1] != "a" else "b")
        next_rev = "(SELECT value FROM task_meta WHERE name='revision')+1"
        with self.s.db() as c:
            c.execute("INSERT INTO tasks(id,user_id,status,start_ms,end_ms,updated_at,revision,properties,result,"
                      "infos,warnings,subtasks,progress,abortion_requested_at,job,job_state,seq) "
                      "SELECT ?,user_id,'pending',start_ms,NULL,updated_at,%s,properties,NULL,infos,warnings,subtasks,"
                      "NULL,NULL,'','',%s FROM tasks WHERE id=?" % (next_rev, next_rev), (task, src))
        sock = raw_request(self.s, "GET", "/rest/v0/tasks/%s?wait=result" % task, self.s.token)
        time.sleep(1.0)  # the wait asks the feed about the task it does not know: every read is cut
        with self.s.db() as c:
            c.execute("UPDATE task_meta SET value=value+1 WHERE name='revision'")
        time.sleep(0.5)
        with self.s.db() as c:  # the task ends (the row first, as above)
            c.execute("UPDATE tasks SET status='success', end_ms=updated_at, revision=%s WHERE id=?" % next_rev,
                      (task,))
            c.execute("UPDATE task_meta SET value=value+1 WHERE name='revision'")
        status, body = read_answer(sock)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["status"], "success")

    def test_a_deleted_task_ends_its_waiters_with_404(self):
        self.sim.control("hang", {"method": "VM.pause", "count": 1})
        task = self.post("/rest/v0/vms/%s/actions/pause" % self.vm()).json()["taskId"]
        # A bare wait ends at the task's next change: let the runner's own updates (claim,
        # XAPI task) pass first, or the wait ends with one of them instead of the abort.
        wait_until(lambda: self.s.api("/rest/v0/tasks/%s/actions" % task) != [], 5, "the action to run")
        time.sleep(0.3)  # the XAPI task exists
        sock = raw_request(self.s, "GET", "/rest/v0/tasks/%s?wait" % task, self.s.token)
        time.sleep(0.5)
        # Abort: the task changes (abortionRequestedAt): a bare wait ends with it.
        r = self.post("/rest/v0/tasks/%s/actions/abort" % task)
        self.assertEqual(r.status, 202)
        status, body = read_answer(sock)
        self.assertEqual(status, 200, body)
        self.assertIn("abortionRequestedAt", json.loads(body))
        wait_until(lambda: self.s.api("/rest/v0/tasks/" + task)["status"] != "pending", 10, "the abort")

    def test_delete_of_a_pending_task_aborts_it_and_answers_once_it_is_gone(self):
        vm = self.vm()
        self.sim.control("hang", {"method": "VM.clean_shutdown", "count": 1})
        task = self.post("/rest/v0/vms/%s/actions/clean_shutdown" % vm).json()["taskId"]
        wait_until(lambda: self.s.api("/rest/v0/tasks/%s/actions" % task) != [], 5, "the action to run")
        time.sleep(0.3)  # the XAPI task exists
        watch = self.lines("/rest/v0/tasks?fields=status&ndjson&watch")
        r = self.s.request("DELETE", "/rest/v0/tasks/" + task, token=self.s.token)
        self.assertEqual(r.status, 204, r.body)
        self.assertEqual(self.s.get("/rest/v0/tasks/" + task, token=self.s.token).status, 404)
        # fields=status: the abort request changes nothing shown; the end, then the removal.
        href = "/rest/v0/tasks/" + task
        self.assertEqual(watch.next(), ["update", {"status": "failure", "href": href}])
        self.assertEqual(watch.next(), ["remove", {"href": href}])
        self.assertEqual(self.s.api("/rest/v0/vms/%s?fields=power_state" % vm)["power_state"], "Running")

    # --- watch on tasks ---
    def test_watch_hrefs_fields_filter_and_unchanged_projection(self):
        hrefs = self.lines("/rest/v0/tasks?ndjson&watch")
        status = self.lines("/rest/v0/tasks?fields=status&ndjson=true&watch=true")
        pending = self.lines("/rest/v0/tasks?fields=status,properties.name&filter=status:pending&ndjson&watch")
        for w in (hrefs, status, pending):
            self.assertEqual(w.resp.status, 200)
            self.assertEqual(w.resp.getheader("Content-Type"), "application/x-ndjson")
            self.assertRegex(w.resp.getheader("X-Revision"), r"^\d+$")
        vm = self.vm()
        t0 = time.monotonic()
        task = self.post("/rest/v0/vms/%s/actions/pause?sync=true" % vm)
        self.assertEqual(task.status, 204)
        task_id = self.s.api("/rest/v0/vms/%s/tasks" % vm)[-1].rsplit("/", 1)[1]
        href = "/rest/v0/tasks/" + task_id
        self.assertEqual(hrefs.next(), ["update", href])
        self.assertLess(time.monotonic() - t0, 3.0)
        # fields=status: one line per status, none for progress or other changes.
        self.assertEqual(status.next(), ["update", {"status": "pending", "href": href}])
        self.assertEqual(status.next(), ["update", {"status": "success", "href": href}])
        self.assertTrue(status.quiet(0.5))
        # The filter: in while pending, out (remove) when it succeeds.
        self.assertEqual(pending.next(), ["update", {"status": "pending", "properties": {"name": "REST API: pause VM"},
                                                     "href": href}])
        self.assertEqual(pending.next(), ["remove", {"href": href}])
        r = self.s.request("DELETE", href, token=self.s.token)
        self.assertEqual(r.status, 204)
        while True:  # href lines: updates of the task, then its removal
            line = hrefs.next()
            if line[0] == "remove":
                self.assertEqual(line, ["remove", href])
                break
            self.assertEqual(line, ["update", href])
        self.assertEqual(status.next(), ["remove", {"href": href}])
        self.assertTrue(pending.quiet(0.3))  # it had already left the filter

    def test_a_watch_starts_where_the_store_is_not_where_the_feed_was(self):
        """The stream role learns of task changes from its feed, which reads the store when woken:
        a change it was not woken for yet (here written straight into the store, as another node
        sharing it does) is in a list made before the watch. The watch's head must not be behind
        that list, and the change must not come as news (it did once the feed's idle read, 1 s,
        came: the flaky extra `pending` line of the DELETE test had the same cause); nor to an
        SSE `task` subscription made after it."""
        self.sim.control("hang", {"method": "VM.pause", "count": 1})
        task = self.post("/rest/v0/vms/%s/actions/pause" % self.vm()).json()["taskId"]
        wait_until(lambda: self.s.api("/rest/v0/tasks/%s/actions" % task) != [], 5, "the action to run")
        time.sleep(0.3)  # the runner's own updates
        props = self.s.api("/rest/v0/tasks/" + task)["properties"]
        props["name"] = "renamed behind the feed's back"
        with self.s.db() as c:  # the row first: a reader never sees the revision without it
            c.execute("UPDATE tasks SET properties=?, revision=(SELECT value FROM task_meta WHERE name='revision')+1 "
                      "WHERE id=?", (json.dumps(props), task))
            c.execute("UPDATE task_meta SET value=value+1 WHERE name='revision'")
        listed = self.s.get("/rest/v0/tasks?fields=properties", token=self.s.token)
        self.assertIn(props, [t["properties"] for t in listed.json()])
        # An SSE `task` subscription made now (first: a watch makes the stream role read the
        # store): its 201 waits for that read too.
        e = self.task_events(["id", "properties"])
        w = self.lines("/rest/v0/tasks?fields=properties&ndjson&watch")
        self.assertEqual(w.resp.status, 200)
        self.assertGreaterEqual(int(w.resp.getheader("X-Revision")), int(listed.headers["X-Revision"]))
        self.assertTrue(w.quiet(2.5))  # past the feed's idle read
        self.assertTrue(e.quiet(0.1))
        self.sim.control("release", {"method": "VM.pause"})
        wait_until(lambda: self.s.api("/rest/v0/tasks/" + task)["status"] != "pending", 10, "the task to end")

    def test_since_replays_then_goes_on_live_and_bad_revisions(self):
        listed = self.s.get("/rest/v0/tasks", token=self.s.token)
        rev = listed.headers["X-Revision"]
        self.assertRegex(rev, r"^\d+$")
        r = self.post("/rest/v0/vms/%s/actions/pause?sync=true" % self.vm())
        self.assertEqual(r.status, 204)
        w = self.lines("/rest/v0/tasks?fields=status&ndjson&watch&revision&since=" + rev)
        self.assertEqual(w.resp.status, 200)
        line = w.next()
        self.assertEqual(line[0], "update")
        self.assertEqual(line[1]["status"], "success")
        self.assertGreater(int(line[2]), int(rev))
        task_href = line[1]["href"]
        self.assertTrue(w.quiet(0.3))
        # A line's revision resumes exactly after it: nothing to replay.
        w2 = self.lines("/rest/v0/tasks?fields=status&ndjson&watch&revision&since=" + line[2])
        self.assertEqual(w2.resp.status, 200)
        self.assertTrue(w2.quiet(0.3))
        self.s.request("DELETE", task_href, token=self.s.token)
        gone = w.next()
        self.assertEqual(gone[:2], ["remove", {"href": task_href}])
        self.assertGreater(int(gone[2]), int(line[2]))
        self.assertEqual(w2.next()[:2], ["remove", {"href": task_href}])
        # Errors: a future revision (another database) is 410, a malformed one 400, watch
        # without ndjson 400 as XO.
        r = self.s.get("/rest/v0/tasks?ndjson&watch&since=999999999", token=self.s.token)
        self.assertEqual(r.status, 410, r.body)
        self.assertIn("list the collection again", r.json()["error"])
        r = self.s.get("/rest/v0/tasks?ndjson&watch&since=abc", token=self.s.token)
        self.assertEqual(r.status, 400)
        r = self.s.get("/rest/v0/tasks?watch=true", token=self.s.token)
        self.assertEqual(r.status, 400)
        r = self.s.get("/rest/v0/tasks?ndjson&watch", token="not-a-token")
        self.assertEqual(r.status, 401)

    def test_a_user_watches_its_own_tasks_only(self):
        bob = self.lines("/rest/v0/tasks?ndjson&watch", token=self.bob_token)
        self.assertEqual(bob.resp.status, 200)
        admin = self.lines("/rest/v0/tasks?ndjson&watch")
        r = self.post("/rest/v0/vms/%s/actions/pause" % self.vm())
        self.assertEqual(r.status, 202)
        self.assertEqual(admin.next()[0], "update")
        self.assertTrue(bob.quiet(0.7))

    # --- SSE ---
    def test_sse_task_subscription(self):
        e = self.task_events(["id", "status"])
        r = self.post("/rest/v0/vms/%s/actions/pause?sync=true" % self.vm())
        self.assertEqual(r.status, 204)
        event, _, data = e.next()
        self.assertEqual(event, "add")
        self.assertEqual(data["status"], "pending")
        self.assertEqual(data["$subscription"], "task")
        task_id = data["id"]
        event, _, data = e.next()
        self.assertEqual((event, data), ("update", {"id": task_id, "status": "success", "$subscription": "task"}))
        self.s.request("DELETE", "/rest/v0/tasks/" + task_id, token=self.s.token)
        self.assertEqual(e.next(), ("remove", None, {"id": task_id, "$subscription": "task"}))

    def test_sse_last_event_id_resumes_the_task_subscription(self):
        e = Events(self.s, path="/rest/v0/events?revision")
        self.addCleanup(e.close)
        cid = e.next()[2]["id"]
        sub = {"collection": "task", "fields": ["id", "status"]}
        self.assertEqual(self.s.request("POST", "/rest/v0/events/%s/subscriptions" % cid, token=self.s.token,
                                        body=sub).status, 201)
        self.assertEqual(self.post("/rest/v0/vms/%s/actions/pause?sync=true" % self.vm()).status, 204)
        event, rev, data = e.next()
        self.assertEqual((event, data["status"]), ("add", "pending"))
        first = data["id"]
        event, rev, data = e.next()
        self.assertEqual((event, data["status"]), ("update", "success"))
        self.assertRegex(rev, r"^[0-9a-f]{8}-[0-9]+~[0-9]+$")
        e.close()
        # While away: a task made and one deleted.
        self.assertEqual(self.post("/rest/v0/vms/%s/actions/pause?sync=true" % self.vm()).status, 204)
        self.assertEqual(self.s.request("DELETE", "/rest/v0/tasks/" + first, token=self.s.token).status, 204)
        e2 = Events(self.s, path="/rest/v0/events?revision", headers={"Last-Event-ID": rev})
        self.addCleanup(e2.close)
        cid2 = e2.next()[2]["id"]
        self.assertEqual(self.s.request("POST", "/rest/v0/events/%s/subscriptions" % cid2, token=self.s.token,
                                        body=sub).status, 201)
        event, rev2, data = e2.next()
        self.assertEqual((event, data["status"]), ("update", "success"))
        self.assertNotEqual(data["id"], first)
        self.assertGreater(int(rev2.split("~")[1]), int(rev.split("~")[1]))
        event, rev3, data = e2.next()
        self.assertEqual((event, data), ("remove", {"id": first, "$subscription": "task"}))
        self.assertGreater(int(rev3.split("~")[1]), int(rev2.split("~")[1]))
        self.assertTrue(e2.quiet(0.3))
        # Live after the replay.
        self.assertEqual(self.post("/rest/v0/vms/%s/actions/pause?sync=true" % self.vm()).status, 204)
        self.assertEqual(e2.next()[0], "add")
        # A bare task revision (X-Revision of GET /tasks) resumes the tasks too; a future one is 410.
        listed = self.s.get("/rest/v0/tasks", token=self.s.token).headers["X-Revision"]
        self.assertEqual(self.s.get("/rest/v0/events", token=self.s.token,
                                    headers={"Last-Event-ID": "999999999"}).status, 410)
        e3 = Events(self.s, path="/rest/v0/events?revision&since=" + listed)
        self.addCleanup(e3.close)
        self.assertEqual(e3.resp.status, 200)


if __name__ == "__main__":
    unittest.main()
