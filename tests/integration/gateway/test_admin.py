"""Integration tests of XO's admin API over REST (issue 10): users (POST/PATCH/DELETE /users)
and servers (POST/PATCH/DELETE /servers, connect/disconnect, read-only servers), through
nginx against the real program and simulators."""
import json
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Sim, Stack  # noqa: E402


class UsersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=4, hosts=1, workers=2, threads=4)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def admin(self, method, path, body=None):
        return self.s.request(method, path, token=self.s.token, body=body)

    def users(self):
        return self.s.api("/rest/v0/users?fields=id,name,permission")

    def test_create_read_patch_delete_a_user(self):
        r = self.admin("POST", "/rest/v0/users", {"name": "carol", "password": "carol-pw-1"})
        self.assertEqual(r.status, 201, r.body)
        uid = r.json()["id"]
        self.assertEqual(r.headers["Location"], "/rest/v0/users/" + uid)
        u = self.s.api("/rest/v0/users/" + uid)
        self.assertEqual((u["name"], u["email"], u["permission"]), ("carol", "carol", "none"))
        # a `none` user reads itself, its tasks and tokens, and nothing of the pools or admin routes
        carol = ("carol", "carol-pw-1")
        self.assertEqual(self.s.get("/rest/v0/users/" + uid, basic=carol).status, 200)
        self.assertEqual(self.s.get("/rest/v0/tasks", basic=carol).status, 200)
        for method, path, body in (("GET", "/rest/v0/vms", None), ("GET", "/rest/v0/users", None),
                                   ("POST", "/rest/v0/users", {"name": "x", "password": "y"}),
                                   ("PATCH", "/rest/v0/users/" + uid, {"permission": "admin"}),
                                   ("DELETE", "/rest/v0/users/" + uid, None),
                                   ("GET", "/rest/v0/servers", None)):
            r = self.s.request(method, path, basic=carol, body=body)
            self.assertEqual(r.status, 403, (method, path, r.body))
        self.assertEqual(self.s.api("/rest/v0/users/" + uid)["permission"], "none")
        # a new password works at once, the old one no longer (every worker's cache emptied)
        self.assertEqual(self.admin("PATCH", "/rest/v0/users/" + uid, {"password": "carol-pw-2"}).status, 204)
        for _ in range(4):
            self.assertEqual(self.s.get("/rest/v0/users/" + uid, basic=("carol", "carol-pw-2")).status, 200)
        # the token first: a failed login refuses the name's next password check for 2 s (as XO),
        # and the worker that takes this request may not have carol-pw-2 in its cache
        r = self.s.request("POST", "/rest/v0/users/%s/authentication_tokens" % uid,
                           basic=("carol", "carol-pw-2"), body={})
        self.assertEqual(r.status, 201, r.body)
        tok = r.json()["token"]["id"]
        self.assertEqual(self.s.get("/rest/v0/users/" + uid, basic=carol, source="127.0.0.9").status, 401)
        # promoted: the admin routes open at once
        self.assertEqual(self.s.get("/rest/v0/vms", token=tok).status, 403)
        r = self.admin("PATCH", "/rest/v0/users/" + uid, {"permission": "admin", "name": "carol2"})
        self.assertEqual(r.status, 204, r.body)
        for _ in range(4):
            self.assertEqual(self.s.get("/rest/v0/vms", token=tok).status, 200)
        self.assertEqual(self.s.api("/rest/v0/users/" + uid)["name"], "carol2")
        # deleted: its token stops at once, the user is a 404
        self.assertEqual(self.admin("DELETE", "/rest/v0/users/" + uid).status, 204)
        for _ in range(4):
            self.assertEqual(self.s.get("/rest/v0/vms", token=tok).status, 401)
        r = self.admin("GET", "/rest/v0/users/" + uid)
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["data"], {"id": uid, "type": "user"})
        self.assertNotIn(uid, [u["id"] for u in self.users()])

    def test_bad_bodies_are_422_naming_each_key_and_create_nothing(self):
        before = self.users()
        r = self.admin("POST", "/rest/v0/users", {"name": "dave", "permission": "root", "foo": 1})
        self.assertEqual(r.status, 422, r.body)
        self.assertEqual(sorted(r.json()["error"]), ["body.foo", "body.password", "body.permission"])
        r = self.admin("POST", "/rest/v0/users", {"name": 5, "password": "x"})
        self.assertEqual(r.status, 422, r.body)
        self.assertEqual(list(r.json()["error"]), ["body.name"])
        self.assertEqual(self.admin("POST", "/rest/v0/users", None).status, 422)  # no body: required keys missing
        self.assertEqual(self.users(), before)
        # a taken name is a 409, on creation and on rename
        r = self.admin("POST", "/rest/v0/users", {"name": "admin", "password": "x"})
        self.assertEqual(r.status, 409, r.body)
        uid = self.admin("POST", "/rest/v0/users", {"name": "erin", "password": "e"}).json()["id"]
        self.assertEqual(self.admin("PATCH", "/rest/v0/users/" + uid, {"name": "admin"}).status, 409)
        r = self.admin("PATCH", "/rest/v0/users/" + uid, {"preferences": {}, "permission": "superuser"})
        self.assertEqual(r.status, 422, r.body)
        self.assertEqual(sorted(r.json()["error"]), ["body.permission", "body.preferences"])
        self.assertEqual(self.s.api("/rest/v0/users/" + uid)["name"], "erin")
        self.assertEqual(self.admin("PATCH", "/rest/v0/users/00000000-0000-0000-0000-000000000000",
                                    {"name": "x"}).status, 404)
        self.assertEqual(self.admin("DELETE", "/rest/v0/users/00000000-0000-0000-0000-000000000000").status, 404)

    def test_nobody_demotes_or_deletes_itself(self):
        me = self.s.api("/rest/v0/users?fields=id,name&filter=name:admin")[0]["id"]
        r = self.admin("PATCH", "/rest/v0/users/" + me, {"permission": "none"})
        self.assertEqual(r.status, 403, r.body)
        self.assertEqual(r.json()["error"], "cannot change own permission")
        r = self.admin("DELETE", "/rest/v0/users/" + me)
        self.assertEqual(r.status, 403, r.body)
        self.assertEqual(self.s.api("/rest/v0/users/" + me)["permission"], "admin")
        # the same permission is no change
        self.assertEqual(self.admin("PATCH", "/rest/v0/users/" + me, {"permission": "admin"}).status, 204)


def wait_for(fn, what, timeout=60):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.2)


class ServersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=4, hosts=1, workers=2, threads=4)
        cls.sim2 = Sim(cls.s.dir, 3, 1, 7, "pw-second-pool")

    @classmethod
    def tearDownClass(cls):
        cls.sim2.stop()
        cls.s.stop()

    def admin(self, method, path, body=None):
        return self.s.request(method, path, token=self.s.token, body=body)

    def server(self, sid):
        r = self.admin("GET", "/rest/v0/servers/" + sid)
        return r.json() if r.status == 200 else None

    def vms_of(self, pool_id):
        return self.s.api("/rest/v0/vms?fields=id,name_label&filter=" + urllib.parse.quote("$pool:" + pool_id))

    def test_a_server_added_over_rest_is_connected_listed_read_only_and_removed(self):
        r = self.admin("POST", "/rest/v0/servers", {"host": self.sim2.url, "username": "root",
                                                     "password": "pw-second-pool", "label": "second",
                                                     "allowUnauthorized": True})
        self.assertEqual(r.status, 201, r.body)
        sid = r.json()["id"]
        self.assertEqual(r.headers["Location"], "/rest/v0/servers/" + sid)
        srv = wait_for(lambda: (lambda x: x if x and x["status"] == "connected" and "poolId" in x else None)(self.server(sid)),
                       "the new server connected")
        self.assertEqual((srv["label"], srv["host"], srv["username"], srv["enabled"], srv["readOnly"]),
                         ("second", self.sim2.url, "root", True, False))
        self.assertNotIn("password", srv)
        pool2 = srv["poolId"]
        vms = wait_for(lambda: self.vms_of(pool2), "the new pool's VMs in the cache")
        self.assertEqual(len([s for s in self.s.api("/rest/v0/servers?fields=id") if s["id"] == sid]), 1)
        # the password is encrypted at rest, with a key file of mode 0600 outside the database
        data = os.path.join(self.s.dir, "data")
        for name in os.listdir(data):
            if name.startswith("xapi-rest.db"):
                with open(os.path.join(data, name), "rb") as f:
                    self.assertNotIn(b"pw-second-pool", f.read(), name)
        st = os.stat(os.path.join(data, "secret.key"))
        self.assertEqual((st.st_mode & 0o777, st.st_size), (0o600, 32))
        # the same host again is a 409
        r = self.admin("POST", "/rest/v0/servers", {"host": self.sim2.url, "username": "root", "password": "x"})
        self.assertEqual(r.status, 409, r.body)
        # read-only: every change and action on its objects is a 403, nothing changed
        vm = vms[0]["id"]
        self.assertEqual(self.admin("PATCH", "/rest/v0/servers/" + sid, {"readOnly": True}).status, 204)
        wait_for(lambda: (self.server(sid) or {}).get("readOnly"), "readOnly applied")
        before = self.admin("GET", "/rest/v0/vms/" + vm).body
        r = wait_for(lambda: (lambda x: x if x.status == 403 else None)(
            self.admin("PATCH", "/rest/v0/vms/" + vm, {"name_label": "never"})), "403 from every worker")
        self.assertIn("read-only", r.json()["error"])
        for _ in range(4):
            self.assertEqual(self.admin("PATCH", "/rest/v0/vms/" + vm, {"name_label": "never"}).status, 403)
            self.assertEqual(self.admin("POST", "/rest/v0/vms/%s/actions/snapshot" % vm, {}).status, 403)
            self.assertEqual(self.admin("DELETE", "/rest/v0/vms/" + vm).status, 403)
        self.assertEqual(self.admin("GET", "/rest/v0/vms/" + vm).body, before)
        # the pool of the config file stays writable
        vm1 = [v["id"] for v in self.s.api("/rest/v0/vms?fields=id,$pool") if v["$pool"] != pool2][0]
        self.assertEqual(self.admin("PATCH", "/rest/v0/vms/" + vm1, {"name_label": "writable"}).status, 204)
        self.assertEqual(self.admin("PATCH", "/rest/v0/servers/" + sid, {"readOnly": False, "label": "2nd"}).status, 204)
        wait_for(lambda: self.admin("PATCH", "/rest/v0/vms/" + vm, {"name_label": "now writable"}).status == 204,
                 "writable again")
        self.assertEqual(self.server(sid)["label"], "2nd")
        # disconnect: its objects leave the cache; connect: they come back
        self.assertEqual(self.admin("POST", "/rest/v0/servers/%s/actions/disconnect" % sid).status, 204)
        wait_for(lambda: (self.server(sid) or {}).get("status") == "disconnected", "disconnected")
        self.assertFalse(self.server(sid)["enabled"])
        wait_for(lambda: not self.vms_of(pool2), "its objects removed")
        self.assertEqual(self.admin("POST", "/rest/v0/servers/%s/actions/connect" % sid).status, 204)
        wait_for(lambda: self.vms_of(pool2), "its objects back")
        # removed: gone from /servers and from the cache
        self.assertEqual(self.admin("DELETE", "/rest/v0/servers/" + sid).status, 204)
        wait_for(lambda: self.admin("GET", "/rest/v0/servers/" + sid).status == 404, "the server gone")
        wait_for(lambda: not self.vms_of(pool2), "its objects removed")

    def test_config_file_servers_are_read_only_over_rest_and_bad_bodies_422(self):
        for method, path, body in (("DELETE", "/rest/v0/servers/pool0", None),
                                   ("PATCH", "/rest/v0/servers/pool0", {"label": "x"}),
                                   ("POST", "/rest/v0/servers/pool0/actions/disconnect", None)):
            r = self.admin(method, path, body)
            self.assertEqual(r.status, 403, (method, r.body))
            self.assertIn("config file", r.json()["error"])
        wait_for(lambda: self.server("pool0")["status"] == "connected", "pool0 connected (after any reload)")
        r = self.admin("POST", "/rest/v0/servers", {"host": "h", "httpProxy": "p", "readOnly": "yes"})
        self.assertEqual(r.status, 422, r.body)
        self.assertEqual(sorted(r.json()["error"]),
                         ["body.httpProxy", "body.password", "body.readOnly", "body.username"])
        self.assertEqual(self.admin("DELETE", "/rest/v0/servers/00000000-0000-0000-0000-000000000000").status, 404)
        self.assertEqual([s["id"] for s in self.s.api("/rest/v0/servers?fields=id")], ["pool0"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
