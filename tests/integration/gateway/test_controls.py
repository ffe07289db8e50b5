"""The controls of issue 17 through the real stack (nginx + xapi-rest + two simulated pools):
scoped tokens (read-only, pools, collections, actions; CLI and REST; worker and stream routes;
only narrowing), the audit log and the rate limits in front of XAPI."""
import json
import os
import shutil
import socket
import struct
import sys
import tempfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack  # noqa: E402


def scope_error(test, r, scope, value=None):
    """Asserts XO's 403 error shape naming the missing scope."""
    test.assertEqual(r.status, 403, r.body)
    body = r.json()
    test.assertIn("not enough permissions", body["error"])
    test.assertEqual(body["data"]["missingScope"], scope, body)
    if value is not None:
        test.assertEqual(body["data"]["value"], value, body)


class ScopedTokensTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=6, hosts=1, pools=2, workers=2, threads=4)
        me = cls.s.request("GET", "/rest/v0/users/me", token=cls.s.token)
        cls.admin_id = me.headers["Location"].rsplit("/", 1)[1]
        cls.vms = cls.s.api("/rest/v0/vms?fields=id,$pool,name_label,power_state")
        cls.pools = sorted({v["$pool"] for v in cls.vms})
        assert len(cls.pools) == 2, cls.pools

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def cli_token(self, *flags):
        return self.s.cli(["token", "create", "--user", "admin"] + list(flags)).strip()

    def rest_token(self, scope, token=None):
        r = self.s.request("POST", "/rest/v0/users/%s/authentication_tokens" % self.admin_id,
                           token=token or self.s.token, body={"description": "scoped", "scope": scope})
        return r

    def vm_of(self, pool):
        return [v for v in self.vms if v["$pool"] == pool][0]

    def name_of(self, vm_id):
        return self.s.api("/rest/v0/vms/%s?fields=name_label" % vm_id)["name_label"]

    # --- read-only ---
    def test_read_only_token_reads_and_every_change_is_refused_naming_readOnly(self):
        t = self.cli_token("--read-only")
        self.assertEqual(self.s.get("/rest/v0/vms", token=t).status, 200)
        self.assertEqual(self.s.get("/rest/v0/hosts", token=t).status, 200)
        vm = self.vms[0]
        before = self.name_of(vm["id"])
        scope_error(self, self.s.request("PATCH", "/rest/v0/vms/" + vm["id"], token=t,
                                         body={"name_label": "changed"}), "readOnly")
        scope_error(self, self.s.request("POST", "/rest/v0/vms/%s/actions/snapshot" % vm["id"], token=t),
                    "readOnly")
        scope_error(self, self.s.request("DELETE", "/rest/v0/vms/" + vm["id"], token=t), "readOnly")
        self.assertEqual(self.name_of(vm["id"]), before)
        listed = self.s.cli(["token", "list", "--user", "admin"])
        self.assertIn('scope {"readOnly":true}', listed)

    # --- collections ---
    def test_rest_token_limited_to_collections_shows_its_scope_and_403s_others(self):
        r = self.rest_token({"collections": ["vms", "tasks"]})
        self.assertEqual(r.status, 201, r.body)
        tok = r.json()["token"]
        self.assertEqual(tok["scope"], {"readOnly": False, "collections": ["vms", "tasks"]})
        t = tok["id"]
        self.assertEqual(self.s.get("/rest/v0/vms", token=t).status, 200)
        self.assertEqual(self.s.get("/rest/v0/vms/" + self.vms[0]["id"], token=t).status, 200)
        scope_error(self, self.s.get("/rest/v0/hosts", token=t), "collections", "hosts")
        scope_error(self, self.s.get("/rest/v0/pools/" + self.pools[0], token=t), "collections", "pools")
        # The token objects of the REST list show it too.
        tokens = self.s.api("/rest/v0/users/%s/authentication_tokens" % self.admin_id)
        scoped = [x for x in tokens if x.get("scope") == {"readOnly": False, "collections": ["vms", "tasks"]}]
        self.assertEqual(len(scoped), 1, tokens)
        self.assertTrue([x for x in tokens if "scope" not in x], tokens)  # the stack's own token

    def test_snake_case_read_only_key_works(self):
        r = self.rest_token({"read_only": True})
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.json()["token"]["scope"], {"readOnly": True})

    # --- actions ---
    def test_action_scope_allows_only_the_named_actions(self):
        t = self.cli_token("--actions", "vms/snapshot", "--collections", "vms,tasks")
        vm = self.vms[1]
        r = self.s.request("POST", "/rest/v0/vms/%s/actions/snapshot?sync" % vm["id"], token=t,
                           body={"name_label": "scoped-snap"})
        self.assertTrue(200 <= r.status < 300, r.body)
        scope_error(self, self.s.request("POST", "/rest/v0/vms/%s/actions/clean_reboot" % vm["id"], token=t),
                    "actions", "vms/clean_reboot")
        scope_error(self, self.s.request("PATCH", "/rest/v0/vms/" + vm["id"], token=t,
                                         body={"name_label": "nope"}), "actions")
        self.assertNotEqual(self.name_of(vm["id"]), "nope")

    # --- pools ---
    def test_pool_scope_narrows_lists_and_refuses_other_pools_objects(self):
        mine, other = self.pools
        t = self.cli_token("--pools", mine)
        listed = self.s.get("/rest/v0/vms?fields=$pool", token=t).json()
        self.assertTrue(listed)
        self.assertEqual({v["$pool"] for v in listed}, {mine})
        self.assertEqual(len(listed), len([v for v in self.vms if v["$pool"] == mine]))
        filtered = self.s.get("/rest/v0/vms?fields=$pool&filter=power_state:Running", token=t).json()
        self.assertTrue(all(v["$pool"] == mine for v in filtered))
        pools = self.s.get("/rest/v0/pools", token=t).json()
        self.assertEqual(pools, ["/rest/v0/pools/" + mine])
        self.assertEqual(self.s.get("/rest/v0/vms/" + self.vm_of(mine)["id"], token=t).status, 200)
        other_vm = self.vm_of(other)
        scope_error(self, self.s.get("/rest/v0/vms/" + other_vm["id"], token=t), "pools", other)
        before = self.name_of(other_vm["id"])
        scope_error(self, self.s.request("PATCH", "/rest/v0/vms/" + other_vm["id"], token=t,
                                         body={"name_label": "x"}), "pools", other)
        self.assertEqual(self.name_of(other_vm["id"]), before)
        # A change outside every pool (a user) is refused too.
        scope_error(self, self.s.request("POST", "/rest/v0/users", token=t,
                                         body={"name": "someone", "password": "pw"}), "pools")

    def test_pool_scoped_change_inside_its_pool_works(self):
        mine = self.pools[0]
        t = self.cli_token("--pools", mine)
        vm = [v for v in self.vms if v["$pool"] == mine][-1]
        r = self.s.request("PATCH", "/rest/v0/vms/" + vm["id"], token=t, body={"name_label": "renamed-in-scope"})
        self.assertIn(r.status, (200, 204), r.body)
        self.assertEqual(self.name_of(vm["id"]), "renamed-in-scope")

    def confirmed(self, path, token):
        """The ETag of `path` once a GET with it as If-None-Match answered 304 (the cache's
        version may move between two requests: retried)."""
        for _ in range(20):
            etag = self.s.get(path, token=token).headers["ETag"]
            if self.s.get(path, token=token, headers={"If-None-Match": etag}).status == 304:
                return etag
        self.fail("no 304 for " + path)

    def test_pool_scoped_list_has_its_own_etag_and_304_only_for_its_narrowed_list(self):
        mine, other = self.pools
        t_mine, t_other = self.cli_token("--pools", mine), self.cli_token("--pools", other)
        t_mine2 = self.cli_token("--pools", mine, "--read-only")
        path = "/rest/v0/vms?fields=$pool,name_label"
        unscoped = self.confirmed(path, self.s.token)
        narrowed = self.confirmed(path, t_mine)
        self.assertNotEqual(unscoped, narrowed)
        # The unscoped list's ETag does not validate the narrowed list, nor the reverse.
        r = self.s.get(path, token=t_mine, headers={"If-None-Match": unscoped})
        self.assertEqual(r.status, 200)
        self.assertEqual({v["$pool"] for v in r.json()}, {mine})
        r = self.s.get(path, token=self.s.token, headers={"If-None-Match": narrowed})
        self.assertEqual(r.status, 200)
        self.assertEqual({v["$pool"] for v in r.json()}, {mine, other})
        # Another pool's narrowing is another list.
        r = self.s.get(path, token=t_other, headers={"If-None-Match": narrowed})
        self.assertEqual(r.status, 200)
        self.assertEqual({v["$pool"] for v in r.json()}, {other})
        # The same pools through another token are the same list.
        self.assertEqual(self.confirmed(path, t_mine2), self.confirmed(path, t_mine))
        # A change makes a new ETag: the old one gets the changed list.
        etag = self.confirmed(path, t_mine)
        vm = self.vm_of(mine)
        r = self.s.request("PATCH", "/rest/v0/vms/" + vm["id"], token=self.s.token, body={"name_label": "etag-rename"})
        self.assertIn(r.status, (200, 204), r.body)
        r = self.s.get(path, token=t_mine, headers={"If-None-Match": etag})
        self.assertEqual(r.status, 200)
        self.assertIn("etag-rename", [v["name_label"] for v in r.json()])

    def test_pool_scoped_token_sees_its_pools_servers_only(self):
        mine, other = self.pools
        servers = self.s.api("/rest/v0/servers?fields=id,poolId")
        self.assertEqual({x["poolId"] for x in servers}, {mine, other})
        name_of = {x["poolId"]: x["id"] for x in servers}
        t = self.cli_token("--pools", mine)
        listed = self.s.get("/rest/v0/servers?fields=id,poolId", token=t)
        self.assertEqual(listed.status, 200, listed.body)
        self.assertEqual([x["poolId"] for x in listed.json()], [mine])
        self.assertEqual(self.s.get("/rest/v0/servers", token=t).json(), ["/rest/v0/servers/" + name_of[mine]])
        self.assertEqual(self.s.get("/rest/v0/servers/" + name_of[mine], token=t).status, 200)
        scope_error(self, self.s.get("/rest/v0/servers/" + name_of[other], token=t), "pools", other)
        # The dashboard sums up the token's pools only; the gateway's metrics (every pool) are refused.
        full = self.s.api("/rest/v0/dashboard")
        r = self.s.get("/rest/v0/dashboard", token=t)
        self.assertEqual(r.status, 200, r.body)
        mine_only = r.json()
        hosts = self.s.api("/rest/v0/hosts?fields=$pool")
        self.assertEqual((full["nPools"], full["poolsStatus"]["total"], full["vmsStatus"]["total"]),
                         (2, 2, len(self.vms)))
        self.assertEqual((mine_only["nPools"], mine_only["poolsStatus"]["total"], mine_only["poolsStatus"]["connected"]),
                         (1, 1, 1))
        self.assertEqual(mine_only["nHosts"], len([h for h in hosts if h["$pool"] == mine]))
        self.assertEqual(mine_only["hostsStatus"]["total"], len([h for h in hosts if h["$pool"] == mine]))
        self.assertEqual(mine_only["vmsStatus"]["total"], len([v for v in self.vms if v["$pool"] == mine]))
        scope_error(self, self.s.get("/metrics", token=t), "pools")
        self.assertEqual(self.s.get("/rest/v0/pools/%s/dashboard" % mine, token=t).status, 200)
        scope_error(self, self.s.get("/rest/v0/pools/%s/dashboard" % other, token=t), "pools", other)

    # --- narrowing ---
    def test_a_scoped_token_can_only_narrow(self):
        r = self.rest_token({"collections": ["vms"]})
        parent = r.json()["token"]["id"]
        wider = self.rest_token({"collections": ["vms", "hosts"]}, token=parent)
        # Not even the token route is in its collections: refused before anything.
        scope_error(self, wider, "collections", "users")
        r = self.rest_token({"collections": ["vms", "users"]})
        parent = r.json()["token"]["id"]
        scope_error(self, self.rest_token({"collections": ["vms", "users", "hosts"]}, token=parent), "scope")
        scope_error(self, self.rest_token({}, token=parent), "scope")  # {} would be everything
        r = self.s.request("POST", "/rest/v0/users/%s/authentication_tokens" % self.admin_id, token=parent,
                           body={"description": "inherits"})
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(r.json()["token"]["scope"]["collections"], ["vms", "users"])
        narrower = self.rest_token({"collections": ["vms"], "readOnly": True}, token=parent)
        self.assertEqual(narrower.status, 201, narrower.body)

    def test_a_non_admin_users_scoped_token_gains_nothing(self):
        self.s.cli(["user", "add", "plain", "--permission", "none"], stdin="plain-pw\n")
        t = self.s.cli(["token", "create", "--user", "plain", "--collections", "vms"]).strip()
        r = self.s.get("/rest/v0/vms", token=t)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"], "not enough permissions")

    # --- bad scopes ---
    def test_bad_scopes_are_400_naming_the_key_and_create_nothing(self):
        count = len(self.s.api("/rest/v0/users/%s/authentication_tokens" % self.admin_id))
        for scope, word in (({"colections": ["vms"]}, "colections"), ({"collections": ["vmz"]}, "vmz"),
                            ({"pools": ["abc"]}, "pools"), ({"actions": ["vms/explode"]}, "vms/explode"),
                            ({"collections": []}, "collections"), ({"readOnly": "yes"}, "readOnly"),
                            ("everything", "scope")):
            r = self.rest_token(scope)
            self.assertEqual(r.status, 400, (scope, r.body))
            self.assertIn(word, r.json()["error"])
        self.assertEqual(len(self.s.api("/rest/v0/users/%s/authentication_tokens" % self.admin_id)), count)
        with self.assertRaises(AssertionError):
            self.cli_token("--collections", "vms,,hosts")

    # --- the stream role ---
    def test_watch_and_sse_obey_the_scope(self):
        t = self.cli_token("--collections", "vms")
        r = self.s.get("/rest/v0/hosts?ndjson&watch", token=t)
        scope_error(self, r, "collections", "hosts")
        scope_error(self, self.s.get("/rest/v0/events", token=t), "collections", "events")
        scope_error(self, self.s.get("/rest/v0/tasks?ndjson&watch", token=t), "collections", "tasks")

    def test_pool_scoped_watch_sees_its_pools_changes_only(self):
        mine, other = self.pools
        t = self.cli_token("--pools", mine, "--read-only")
        req = urllib.request.Request("http://127.0.0.1:%d/rest/v0/vms?ndjson&watch&fields=name_label,$pool"
                                     % self.s.port, headers={"Cookie": "authenticationToken=" + t})
        with urllib.request.urlopen(req, timeout=30) as resp:
            self.assertEqual(resp.status, 200)
            for pool, label in ((other, "other-pool-rename"), (mine, "my-pool-rename")):
                vm = [v for v in self.vms if v["$pool"] == pool][0]
                r = self.s.request("PATCH", "/rest/v0/vms/" + vm["id"], token=self.s.token,
                                   body={"name_label": label})
                self.assertIn(r.status, (200, 204), r.body)
            seen = []
            while True:
                line = resp.readline()
                self.assertTrue(line, "the watch ended")
                event = json.loads(line)
                seen.append(event)
                if json.dumps(event).find("my-pool-rename") >= 0:
                    break
        self.assertFalse([e for e in seen if "other-pool-rename" in json.dumps(e)], seen)


AUDIT_KEYS = {"time", "event", "user", "userId", "tokenId", "address", "method", "route", "object", "status",
              "result", "taskId"}


class AuditAndLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=4, hosts=1, workers=2, threads=4, extra_config="\n".join([
            "[limits]", "actions_per_minute = 12", "mutations_per_minute = 12", "burst = 3"]))
        cls.audit = os.path.join(cls.s.dir, "data/audit.log")
        cls.vms = cls.s.api("/rest/v0/vms?fields=id,name_label")

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def lines(self):
        return self.s.audit_records()

    def wait_line(self, pred):
        return self.s.wait_audit(pred)

    # --- audit log ---
    def test_changes_and_actions_are_audited_with_user_token_route_object_status_and_task(self):
        vm = self.vms[0]["id"]
        tokens = self.s.api("/rest/v0/users/%s/authentication_tokens" % self.user_id())
        token_ids = {t["id"] for t in tokens}
        r = self.s.request("PATCH", "/rest/v0/vms/" + vm, token=self.s.token, body={"name_label": "audited"})
        self.assertEqual(r.status, 204, r.body)
        line = self.wait_line(lambda x: x["method"] == "PATCH" and x["object"] == vm)
        self.assertEqual(set(line), AUDIT_KEYS)
        self.assertEqual((line["event"], line["user"], line["route"], line["status"], line["result"]),
                         ("request", "admin", "/rest/v0/vms/{id}", 204, "success"))
        self.assertIn(line["tokenId"], token_ids)
        self.assertEqual(line["address"], "127.0.0.1")
        self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        r = self.s.request("POST", "/rest/v0/vms/%s/actions/snapshot" % vm, token=self.s.token,
                           body={"name_label": "audit-snap"})
        self.assertEqual(r.status, 202, r.body)
        task = r.json()["taskId"]
        line = self.wait_line(lambda x: x["taskId"] == task)
        self.assertEqual((line["route"], line["status"], line["object"]),
                         ("/rest/v0/vms/{id}/actions/snapshot", 202, vm))
        # A refused change is audited with its status; a read is not audited at all.
        r = self.s.request("PATCH", "/rest/v0/vms/" + vm, token=self.s.token, body={"name_label": 5})
        self.assertEqual(r.status // 100, 4)
        self.wait_line(lambda x: x["method"] == "PATCH" and x["status"] == r.status and x["result"] == "refused")
        self.s.get("/rest/v0/vms?audit-probe", token=self.s.token)
        self.assertFalse([x for x in self.lines() if x["method"] == "GET" and x["event"] == "request"])
        self.assertEqual(os.stat(self.audit).st_mode & 0o777, 0o600)

    def user_id(self):
        return self.s.request("GET", "/rest/v0/users/me", token=self.s.token).headers["Location"].rsplit("/", 1)[1]

    def test_failed_logins_are_audited_without_any_secret(self):
        r = self.s.get("/rest/v0/vms", basic=("admin", "Wrong-Password-123"), source="127.0.0.5")
        self.assertEqual(r.status, 401)
        line = self.wait_line(lambda x: x["event"] == "login_failed" and x["address"] == "127.0.0.5")
        self.assertEqual((line["user"], line["status"], line["result"], line["tokenId"]),
                         ("admin", 401, "refused", None))
        bogus = "Bogus-Token-Secret-" + "x" * 24
        r = self.s.get("/rest/v0/hosts?ndjson&watch", token=bogus, source="127.0.0.6")  # the stream role
        self.assertEqual(r.status, 401)
        line = self.wait_line(lambda x: x["event"] == "login_failed" and x["address"] == "127.0.0.6")
        self.assertTrue(line["tokenId"])
        text = open(self.audit).read()
        for secret in ("Wrong-Password-123", bogus, self.s.token):
            self.assertNotIn(secret, text)

    # --- rate limits ---
    def fresh_token(self):
        return self.s.cli(["token", "create", "--user", "admin"]).strip()

    def test_actions_beyond_the_limit_are_429_with_retry_after_counted_across_workers(self):
        t = self.fresh_token()
        vm = self.vms[1]["id"]
        tasks_before = None
        answers = []
        for i in range(6):
            if i == 3:
                tasks_before = len(self.s.api("/rest/v0/tasks"))
            answers.append(self.s.request("POST", "/rest/v0/vms/%s/actions/snapshot" % vm, token=t,
                                          body={"name_label": "rl-%d" % i}))
        statuses = [a.status for a in answers]
        # burst 3 across both worker processes: counted once, in shared memory.
        self.assertEqual(statuses, [202, 202, 202, 429, 429, 429], [a.body for a in answers])
        refused = answers[3]
        retry = int(refused.headers["Retry-After"])
        self.assertTrue(1 <= retry <= 5, retry)
        body = refused.json()
        self.assertIn("too many actions", body["error"])
        self.assertEqual(body["data"]["limit"], "actions")
        self.assertEqual(len(self.s.api("/rest/v0/tasks")), tasks_before)  # nothing reached XAPI
        # Reads stay unlimited; another token has its own budget.
        for _ in range(10):
            self.assertEqual(self.s.get("/rest/v0/vms/" + vm, token=t).status, 200)
        other = self.s.request("POST", "/rest/v0/vms/%s/actions/snapshot" % vm, token=self.fresh_token())
        self.assertEqual(other.status, 202, other.body)
        time.sleep(retry + 0.2)
        again = self.s.request("POST", "/rest/v0/vms/%s/actions/snapshot" % vm, token=t)
        self.assertEqual(again.status, 202, again.body)

    def test_mutations_have_their_own_limit(self):
        t = self.fresh_token()
        vm = self.vms[2]["id"]
        statuses = [self.s.request("PATCH", "/rest/v0/vms/" + vm, token=t, body={"name_label": "m%d" % i}).status
                    for i in range(4)]
        self.assertEqual([x // 100 for x in statuses[:3]] + statuses[3:], [2, 2, 2, 429])
        r = self.s.request("PATCH", "/rest/v0/vms/" + vm, token=t, body={"name_label": "late"})
        self.assertEqual(r.json()["data"]["limit"], "mutations")
        self.assertTrue(int(r.headers["Retry-After"]) >= 1)
        self.assertEqual(self.s.api("/rest/v0/vms/%s?fields=name_label" % vm)["name_label"], "m2")
        # Token creation is no mutation of a pool: never limited.
        for _ in range(4):
            self.fresh_token()


def journal_fields(datagram):
    """The fields of one datagram of journald's native protocol: KEY=VALUE lines, or KEY, a
    newline, a 64-bit little-endian length, the value and a newline."""
    fields, at = {}, 0
    while at < len(datagram):
        nl = datagram.index(b"\n", at)
        line = datagram[at:nl]
        if b"=" in line:
            key, value = line.split(b"=", 1)
            at = nl + 1
        else:
            key = line
            size = struct.unpack("<Q", datagram[nl + 1:nl + 9])[0]
            value = datagram[nl + 9:nl + 9 + size]
            assert datagram[nl + 9 + size:nl + 10 + size] == b"\n"
            at = nl + 10 + size
        fields[key.decode()] = value.decode()
    return fields


class AuditJournalTest(unittest.TestCase):
    """[audit] journal = true: each record is one datagram of journald's native protocol on
    [audit] journal_socket (here a datagram socket of the test's)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="xr-journal-")
        cls.path = os.path.join(cls.tmp, "socket")
        cls.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        cls.sock.bind(cls.path)
        cls.s = Stack(vms=2, hosts=1, workers=1, threads=2,
                      extra_config='[audit]\njournal = true\njournal_socket = "%s"' % cls.path)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        cls.sock.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def record(self, pred):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                fields = journal_fields(self.sock.recv(65536))
            except socket.timeout:
                break
            if pred(fields):
                return fields
        self.fail("no such journal record")

    def test_a_change_is_one_journal_record_with_the_json_line_as_message(self):
        vm = self.s.api("/rest/v0/vms?fields=id")[0]["id"]
        r = self.s.request("PATCH", "/rest/v0/vms/" + vm, token=self.s.token, body={"name_label": "journaled"})
        self.assertEqual(r.status, 204, r.body)
        f = self.record(lambda f: f.get("XR_AUDIT_METHOD") == "PATCH")
        self.assertEqual((f["SYSLOG_IDENTIFIER"], f["PRIORITY"], f["XR_AUDIT_EVENT"], f["XR_AUDIT_RESULT"],
                          f["XR_AUDIT_STATUS"], f["XR_AUDIT_USER"], f["XR_AUDIT_ROUTE"], f["XR_AUDIT_OBJECT"]),
                         ("xapi-rest-audit", "6", "request", "success", "204", "admin", "/rest/v0/vms/{id}", vm))
        line = json.loads(f["MESSAGE"])
        self.assertEqual(set(line), AUDIT_KEYS)
        self.assertEqual((line["method"], line["object"], line["status"]), ("PATCH", vm, 204))
        self.assertEqual(f["XR_AUDIT_TOKEN_ID"], line["tokenId"])
        self.assertNotIn("XR_AUDIT_TASK_ID", f)  # empty fields are left out
        self.assertFalse(os.path.exists(os.path.join(self.s.dir, "data/audit.log")))

    def test_b_a_failed_login_with_a_newline_in_the_name_uses_the_length_prefixed_form(self):
        r = self.s.get("/rest/v0/vms", basic=("eve\nPRIORITY=0", "Wrong-Password-456"), source="127.0.0.8")
        self.assertEqual(r.status, 401)
        f = self.record(lambda f: f.get("XR_AUDIT_ADDRESS") == "127.0.0.8")
        self.assertEqual((f["XR_AUDIT_EVENT"], f["PRIORITY"], f["XR_AUDIT_USER"]),
                         ("login_failed", "4", "eve\nPRIORITY=0"))  # no field injected
        self.assertEqual(json.loads(f["MESSAGE"])["user"], "eve\nPRIORITY=0")
        self.assertNotIn("Wrong-Password-456", json.dumps(f))


if __name__ == "__main__":
    unittest.main(verbosity=2)
