"""Integration tests of XO's admin API over REST (issue 10): users (POST/PATCH/DELETE /users)
and servers (POST/PATCH/DELETE /servers, connect/disconnect, read-only servers), through
nginx against the real program and simulators."""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack  # noqa: E402


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
        self.assertEqual(self.s.get("/rest/v0/users/" + uid, basic=carol, source="127.0.0.9").status, 401)
        # promoted: the admin routes open at once
        tok = self.s.request("POST", "/rest/v0/users/%s/authentication_tokens" % uid,
                             basic=("carol", "carol-pw-2"), body={}).json()["token"]["id"]
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
        self.assertEqual(self.admin("POST", "/rest/v0/users", None).status, 400)
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
