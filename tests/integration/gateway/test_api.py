"""Integration tests of the read API, authentication and users/tokens through nginx,
against a running stack (simulator + xapi-rest serve + nginx)."""
import os
import sys
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, wait_until  # noqa: E402

COLLECTIONS = {
    "pools": "pool", "hosts": "host", "vms": "VM", "vm-templates": "VM-template",
    "vm-snapshots": "VM-snapshot", "vm-controllers": "VM-controller", "vdis": "VDI",
    "vdi-snapshots": "VDI-snapshot", "srs": "SR", "networks": "network", "pifs": "PIF",
    "vifs": "VIF", "vbds": "VBD", "pbds": "PBD", "messages": "message", "alarms": "message",
    "sms": "SM", "pcis": "PCI", "pgpus": "PGPU",
}
NON_EMPTY = list(COLLECTIONS)  # the simulated pool has objects of every kind
# README: a revoked token is refused at once by REST, within 200 ms after the CLI's revocation
# (the master follows the database's credentials generation).
REVOCATION_BOUND_S = 0.3
REVOCATION_PROBES = 40


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=20, hosts=2)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    # --- ping and authentication ---
    def test_ping_needs_no_credentials_and_answers_pong(self):
        r = self.s.get("/rest/v0/ping")
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(body["result"], "pong")
        self.assertAlmostEqual(body["timestamp"] / 1000, time.time(), delta=60)

    def test_ping_with_invalid_credentials_is_401(self):
        self.assertEqual(self.s.get("/rest/v0/ping", token="bogus").status, 401)

    def test_missing_credentials_are_401_with_xo_body_and_basic_challenge(self):
        r = self.s.get("/rest/v0/vms")
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json(), {"error": "invalid credentials"})
        self.assertEqual(r.headers["WWW-Authenticate"], 'Basic realm="xo"')

    def test_invalid_token_and_wrong_password_are_401(self):
        # Each failed password from its own address (the login throttle refuses the next
        # attempt from an address for 2 s), then the throttle of "admin" is left to lapse.
        for i, kw in enumerate(({"token": "x" * 43}, {"basic": ("admin", "wrong")}, {"basic": ("nobody", "x")},
                                {"headers": {"Authorization": "Bearer " + self.s.token}})):
            r = self.s.get("/rest/v0/vms", source="127.0.9.%d" % (i + 1), **kw)
            self.assertEqual(r.status, 401, kw)
            self.assertEqual(r.json()["error"], "invalid credentials")
            self.assertEqual(r.headers["WWW-Authenticate"], 'Basic realm="xo"')
        time.sleep(2.1)

    def test_token_cookie_token_fallback_and_basic_are_accepted(self):
        self.assertEqual(self.s.get("/rest/v0/vms", token=self.s.token).status, 200)
        self.assertEqual(self.s.get("/rest/v0/vms", cookie="lang=en; token=" + self.s.token).status, 200)
        self.assertEqual(self.s.get("/rest/v0/vms", basic=("admin", self.s.admin_password)).status, 200)

    def test_cookie_and_basic_together_are_400(self):
        r = self.s.get("/rest/v0/vms", token=self.s.token, basic=("admin", self.s.admin_password))
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"],
                         "Having multiple authentication methods is not supported, please choose one")

    def test_malformed_authorization_header_is_400(self):
        r = self.s.get("/rest/v0/vms", headers={"Authorization": "Basic"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["error"], "Malformed Authorization header")

    # --- users and tokens ---
    def admin_id(self):
        return self.s.get("/rest/v0/users/me", token=self.s.token).headers["Location"].rsplit("/", 1)[1]

    def test_users_me_redirects_with_307(self):
        r = self.s.get("/rest/v0/users/me/authentication_tokens?limit=1", token=self.s.token)
        self.assertEqual(r.status, 307)
        self.assertRegex(r.headers["Location"], r"^/rest/v0/users/[0-9a-f-]{36}/authentication_tokens\?limit=1$")

    def test_users_list_and_one_user(self):
        uid = self.admin_id()
        self.assertIn("/rest/v0/users/" + uid, self.s.api("/rest/v0/users"))
        user = self.s.api("/rest/v0/users/" + uid)
        self.assertEqual((user["id"], user["name"], user["permission"]), (uid, "admin", "admin"))
        self.assertEqual(user["pw_hash"], "***obfuscated***")  # as XO: never the hash itself
        self.assertIn({"name": "admin", "href": "/rest/v0/users/" + uid},
                      self.s.api("/rest/v0/users?fields=name"))
        self.assertEqual(self.s.api("/rest/v0/users?filter=name:admin%20permission:admin"),
                         ["/rest/v0/users/" + uid])
        self.assertEqual(self.s.get("/rest/v0/users?filter=(", token=self.s.token).status, 400)
        r = self.s.get("/rest/v0/users/00000000-0000-0000-0000-000000000000", token=self.s.token)
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["data"]["type"], "user")

    def test_token_create_list_use_and_delete(self):
        uid = self.admin_id()
        path = "/rest/v0/users/%s/authentication_tokens" % uid
        r = self.s.request("POST", path, token=self.s.token, body={"description": "it", "expiresIn": "1h"})
        self.assertEqual(r.status, 201, r.body)
        tok = r.json()["token"]
        self.assertEqual(len(tok["id"]), 43)
        self.assertAlmostEqual(tok["expiration"] - tok["created_at"], 3600 * 1000, delta=1000)
        self.assertEqual(self.s.get("/rest/v0/vms?limit=1", token=tok["id"]).status, 200)
        listed = [t for t in self.s.api(path) if t.get("description") == "it"]
        self.assertEqual(len(listed), 1)
        self.assertEqual(listed[0]["user_id"], uid)
        self.assertNotEqual(listed[0]["id"], tok["id"])  # the secret is never listed
        self.assertEqual(self.s.request("DELETE", path + "/" + listed[0]["id"], token=self.s.token).status, 204)
        self.assertEqual(self.s.request("DELETE", path + "/" + listed[0]["id"], token=self.s.token).status, 404)
        # That it is refused everywhere: test_revoked_tokens_are_refused_by_every_worker.

    def statuses(self, token, n=REVOCATION_PROBES):
        """Statuses of n requests with `token`, 8 at a time, so that every worker and thread
        of the stack (2 x 4) serves some of them."""
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda _: self.s.get("/rest/v0/vms?limit=1", token=token).status, range(n)))

    def test_revoked_tokens_are_refused_by_every_worker(self):
        # The credential cache is per worker: a test passing on the first 401 passes as soon as
        # one request reaches a worker that never saw the token. Warm every worker first, then
        # after the documented bound every request must be refused.
        uid = self.admin_id()
        path = "/rest/v0/users/%s/authentication_tokens" % uid
        by_id = self.s.request("POST", path, token=self.s.token, body={"description": "rev-id"}).json()["token"]["id"]
        by_secret = self.s.request("POST", path, token=self.s.token, body={"description": "rev-s"}).json()["token"]["id"]
        by_cli = self.s.cli(["token", "create", "--user", "admin", "--description", "rev-cli"]).strip()
        for tok in (by_id, by_secret, by_cli):
            self.assertEqual(self.statuses(tok), [200] * REVOCATION_PROBES)
        public = {t.get("description"): t["id"] for t in self.s.api(path)}
        self.assertEqual(self.s.request("DELETE", path + "/" + public["rev-id"], token=self.s.token).status, 204)
        self.assertEqual(self.s.request("DELETE", path + "/" + by_secret, token=self.s.token).status, 204)
        self.s.cli(["token", "revoke", public["rev-cli"]])
        time.sleep(REVOCATION_BOUND_S + 0.5)
        for tok in (by_id, by_secret, by_cli):
            self.assertEqual(self.statuses(tok), [401] * REVOCATION_PROBES)

    def test_short_or_bad_expiry_is_400(self):
        path = "/rest/v0/users/%s/authentication_tokens" % self.admin_id()
        self.assertEqual(self.s.request("POST", path, token=self.s.token, body={"expiresIn": "10s"}).status, 400)
        self.assertEqual(self.s.request("POST", path, token=self.s.token, body={"expiresIn": "soon"}).status, 400)

    def test_other_users_tokens_are_forbidden_and_non_admins_cannot_read_objects(self):
        bob_id = self.s.cli(["user", "add", "bob-%d" % os.getpid(), "--permission", "none"], stdin="bobpw\n").strip()
        r = self.s.get("/rest/v0/users/%s/authentication_tokens" % bob_id, token=self.s.token)
        self.assertEqual(r.status, 403)
        bob = ("bob-%d" % os.getpid(), "bobpw")
        self.assertEqual(self.s.get("/rest/v0/vms", basic=bob).status, 403)
        self.assertEqual(self.s.get("/rest/v0/users/" + bob_id, basic=bob).status, 200)

    def test_check_config_names_the_bad_key_and_line(self):
        import subprocess
        from stack import APP
        bad = os.path.join(self.s.dir, "bad.toml")
        with open(bad, "w") as f:
            f.write("[server]\nworkers = 2\nthreads = 0\n")
        r = subprocess.run([APP, "check-config", "--config", bad], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("bad.toml:3: server.threads: 0 is out of range [1, 256]", r.stderr)
        ok = subprocess.run([APP, "check-config", "--config", self.s.config], capture_output=True, text=True)
        self.assertEqual(ok.returncode, 0, ok.stderr)

    def test_cli_token_create_list_revoke(self):
        tok = self.s.cli(["token", "create", "--user", "admin", "--expires", "2h",
                          "--description", "cli-test"]).strip()
        self.assertEqual(self.s.get("/rest/v0/vms?limit=1", token=tok).status, 200)
        line = [l for l in self.s.cli(["token", "list", "--user", "admin"]).splitlines() if "cli-test" in l]
        self.assertEqual(len(line), 1)
        self.assertNotIn(tok, line[0])
        self.s.cli(["token", "revoke", line[0].split()[0]])
        self.assertNotIn("cli-test", self.s.cli(["token", "list"]))

    def test_cli_token_expiry_follows_the_rest_rule(self):
        import subprocess
        from stack import APP
        for bad, why in (("30", "30 ms"), ("0d", "at least 1 minute"), ("184d", "183 days at most"),
                         ("soon", "invalid duration")):
            r = subprocess.run([APP, "token", "create", "--user", "admin", "--expires", bad, "--config",
                                self.s.config], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 1, bad)
            self.assertEqual(r.stdout, "", bad)
            self.assertIn(why, r.stderr, bad)
        tok = self.s.cli(["token", "create", "--user", "admin", "--expires", "2 hours"]).strip()
        self.assertEqual(self.s.get("/rest/v0/vms?limit=1", token=tok).status, 200)

    def run_cli(self, args, config=None):
        import subprocess
        from stack import APP
        return subprocess.run([APP] + args + ([] if config is False else ["--config", config or self.s.config]),
                              capture_output=True, text=True, timeout=60)

    def test_cli_revoke_refuses_a_secret_without_printing_it_back(self):
        # Issue 17, defect 10: `token revoke` takes the public id only.
        tok = self.s.cli(["token", "create", "--user", "admin", "--description", "by-secret"]).strip()
        self.assertEqual(self.s.get("/rest/v0/vms?limit=1", token=tok).status, 200)
        r = self.run_cli(["token", "revoke", tok])
        self.assertEqual(r.returncode, 1)
        self.assertIn("not the token itself", r.stderr)
        self.assertNotIn(tok, r.stderr + r.stdout)  # the secret is never printed back
        self.assertIn("by-secret", self.s.cli(["token", "list"]))
        r = self.run_cli(["token", "revoke", "no-such-id"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("no such token", r.stderr)

    def test_cli_version_and_help(self):
        from stack import ROOT
        cmake = open(os.path.join(ROOT, "CMakeLists.txt")).read()
        import re
        version = re.search(r"project\(xapi-rest VERSION ([0-9.]+)", cmake).group(1)
        for args in (["--version"], ["-V"], ["version"]):
            r = self.run_cli(args, config=False)
            self.assertEqual((r.returncode, r.stdout), (0, "xapi-rest %s\n" % version), args)
        for args in (["help"], ["--help"], ["-h"]):
            r = self.run_cli(args, config=False)
            self.assertEqual(r.returncode, 0, args)
            self.assertTrue(r.stdout.startswith("usage: xapi-rest COMMAND"), args)
            self.assertIn("token revoke ID [", r.stdout)
        r = self.run_cli(["frobnicate"], config=False)
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command frobnicate", r.stderr)

    def test_an_uncreatable_data_dir_is_named_with_the_reason(self):
        bad = os.path.join(self.s.dir, "no-such-parent", "newdata", "sub")
        config = os.path.join(self.s.dir, "bad-data-dir.toml")
        with open(self.s.config) as f:
            text = f.read()
        with open(config, "w") as f:
            f.write(text.replace('data_dir = "%s"' % os.path.join(self.s.dir, "data"), 'data_dir = "%s"' % bad))
        for args in (["token", "list"], ["user", "list"], ["serve"]):
            r = self.run_cli(args, config=config)
            self.assertEqual(r.returncode, 1, (args, r.stderr))
            self.assertIn("cannot create storage.data_dir %s: No such file or directory" % bad, r.stderr, args)
            self.assertIn("its parent directory must exist", r.stderr, args)
            self.assertIn("install -d", r.stderr, args)

    # --- root and collections ---
    def test_root_lists_collection_urls(self):
        root = self.s.api("/rest/v0")
        for c in NON_EMPTY + ["servers", "users", "dashboard", "alarms"]:
            self.assertIn("/rest/v0/" + c, root)

    def test_every_collection_lists_hrefs_to_objects_of_its_type(self):
        for coll, typ in COLLECTIONS.items():
            with self.subTest(coll):
                hrefs = self.s.api("/rest/v0/" + coll)
                self.assertTrue(hrefs, coll + " is empty")
                for h in hrefs[:3]:
                    self.assertTrue(h.startswith("/rest/v0/%s/" % coll), h)
                    obj = self.s.api(h)
                    self.assertEqual(obj["type"], typ)
                    self.assertEqual(h, "/rest/v0/%s/%s" % (coll, obj["id"]))

    def test_vms_collection_holds_only_real_vms(self):
        vms = self.s.api("/rest/v0/vms?fields=type,is_a_template")
        self.assertEqual(len(vms), 20)
        self.assertTrue(all(v["type"] == "VM" for v in vms))

    def test_fields_forms(self):
        objs = self.s.api("/rest/v0/vms?fields=name_label,power_state,no_such_field")
        self.assertEqual(set(objs[0]), {"name_label", "power_state", "href"})
        self.assertEqual(list(objs[0])[-1], "href")
        self.assertEqual(set(self.s.api("/rest/v0/vms?fields=")[0]), {"href"})
        star = self.s.api("/rest/v0/vms?fields=*&limit=1")[0]
        self.assertTrue({"id", "type", "uuid", "$pool", "href"} <= set(star))
        nested = self.s.api("/rest/v0/vms?fields=CPUs.number,memory.size&limit=1")[0]
        self.assertEqual(set(nested), {"CPUs", "memory", "href"})
        self.assertEqual(set(nested["CPUs"]), {"number"})
        self.assertIsInstance(nested["memory"]["size"], int)

    def test_limit(self):
        self.assertEqual(len(self.s.api("/rest/v0/vms?limit=3")), 3)
        self.assertEqual(self.s.api("/rest/v0/vms?limit=0"), [])
        self.assertEqual(len(self.s.api("/rest/v0/vms?limit=-1")), 20)
        r = self.s.get("/rest/v0/vms?limit=abc", token=self.s.token)
        self.assertEqual(r.status, 422)  # XO's tsoa validation body
        self.assertEqual(r.json(), {"error": {"limit": {"message": "invalid float number", "value": "abc"}},
                                    "data": {}})

    def test_ndjson_presence_and_true_forms(self):
        for q in ("ndjson", "ndjson=true", "ndjson=TRUE"):
            r = self.s.get("/rest/v0/vms?fields=name_label&" + q, token=self.s.token)
            self.assertEqual(r.status, 200)
            self.assertTrue(r.headers["Content-Type"].startswith("application/x-ndjson"), q)
            self.assertTrue(r.body.endswith(b"\n"))
            lines = r.ndjson()
            self.assertEqual(len(lines), 20)
            self.assertEqual(set(lines[0]), {"name_label", "href"})
        r = self.s.get("/rest/v0/vms?ndjson=false", token=self.s.token)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        self.assertEqual(len(r.json()), 20)

    def test_filter_selects_matching_objects(self):
        everything = self.s.api("/rest/v0/vms?fields=power_state")
        running = self.s.api("/rest/v0/vms?fields=power_state&filter=power_state:Running")
        self.assertEqual(len(running), sum(v["power_state"] == "Running" for v in everything))
        self.assertTrue(running and all(v["power_state"] == "Running" for v in running))
        negated = self.s.api("/rest/v0/vms?filter=!power_state:Running")
        self.assertEqual(len(negated) + len(running), len(everything))
        self.assertEqual(len(self.s.api("/rest/v0/vms?filter=power_state:Running&limit=2")), 2)

    def test_bad_filter_is_400_with_xo_body(self):
        r = self.s.get("/rest/v0/vms?filter=foo:", token=self.s.token)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json(), {"error": "parse error: expected end of input at position 3",
                                    "data": {"stringToParse": "foo:"}})

    def test_object_by_uuid_and_by_opaque_ref(self):
        vm = self.s.api("/rest/v0/vms?fields=*&limit=1")[0]
        by_ref = self.s.api("/rest/v0/vms/" + vm["_xapiRef"])
        self.assertEqual(by_ref["id"], vm["id"])
        for key in ("power_state", "CPUs", "memory", "$VBDs", "VIFs", "virtualizationMode", "$container"):
            self.assertIn(key, by_ref)

    def test_unknown_object_wrong_type_and_unknown_route_are_json_404(self):
        host = self.s.api("/rest/v0/hosts")[0].rsplit("/", 1)[1]
        r = self.s.get("/rest/v0/vms/" + host, token=self.s.token)
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json(), {"error": "no such VM " + host, "data": {"id": host, "type": "VM"}})
        r = self.s.get("/rest/v0/vms/%22%3Cbad%3E", token=self.s.token)
        self.assertEqual(r.status, 404)
        r = self.s.get("/rest/v0/no-such-collection", token=self.s.token)
        self.assertEqual(r.status, 404)
        self.assertTrue(r.headers["Content-Type"].startswith("application/json"))
        self.assertEqual(self.s.request("DELETE", "/rest/v0/pools", token=self.s.token).status, 404)

    def test_head_and_etag(self):
        href = self.s.api("/rest/v0/vms?limit=1")[0]
        r = self.s.request("HEAD", href, token=self.s.token)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")
        etag = r.headers["ETag"]
        self.assertEqual(self.s.get(href, token=self.s.token, headers={"If-None-Match": etag}).status, 304)

    def test_vm_vdis_and_messages_sub_collections(self):
        vdis = []
        for vm in self.s.api("/rest/v0/vms?fields=$VBDs"):  # VMs have 0-6 disks: the first with one
            vdis = self.s.api(vm["href"] + "/vdis?fields=type")
            if vdis:
                break
        self.assertTrue(vdis)
        self.assertTrue(all(v["type"] in ("VDI", "VDI-snapshot") for v in vdis))
        # Each message is listed under its object, whichever collection that object is in; the
        # same path under another collection is a 404 (no such object of that type).
        messages = self.s.api("/rest/v0/messages?fields=$object")
        self.assertTrue(messages)
        seen = set()
        for m in messages:
            obj = m["$object"]
            found = []
            for coll in ("vms", "hosts", "pools", "srs"):
                r = self.s.get("/rest/v0/%s/%s/messages?fields=$object" % (coll, obj), token=self.s.token)
                self.assertIn(r.status, (200, 404), (coll, obj))
                if r.status == 200:
                    found.append(coll)
                    self.assertTrue(all(x["$object"] == obj for x in r.json()))
                    self.assertIn(m["href"], [x["href"] for x in r.json()])
            self.assertEqual(len(found), 1, (m, found))
            seen.add(found[0])
        self.assertTrue({"vms", "hosts"} <= seen, seen)

    def test_servers_and_dashboard(self):
        self.assertEqual(self.s.api("/rest/v0/servers?filter=status:disconnected"), [])
        servers = self.s.api("/rest/v0/servers?fields=status,host,poolId")
        self.assertEqual(len(servers), 1)
        self.assertEqual(servers[0]["status"], "connected")
        pool_id = self.s.api("/rest/v0/pools")[0].rsplit("/", 1)[1]
        self.assertEqual(servers[0]["poolId"], pool_id)
        dash = self.s.api("/rest/v0/dashboard")
        self.assertEqual(dash["nPools"], 1)
        self.assertEqual(dash["nHosts"], 2)
        self.assertEqual(dash["vmsStatus"]["total"], 20)

    def test_rename_in_xapi_becomes_visible(self):
        # A generous bound (a loaded machine is slow, not wrong); the latency itself is
        # measured by tests/bench/change_latency.py against a same-run baseline.
        vm = self.s.api("/rest/v0/vms?fields=uuid&limit=1")[0]
        self.assertNotEqual(self.s.api(vm["href"])["name_label"], "renamed-by-test")
        start = time.monotonic()
        self.s.sims[0].control("rename", {"ref": vm["uuid"], "name": "renamed-by-test"})
        wait_until(lambda: self.s.api(vm["href"])["name_label"] == "renamed-by-test", 20, "the rename")
        print("rename visible after %.0f ms" % ((time.monotonic() - start) * 1000))


if __name__ == "__main__":
    unittest.main(verbosity=2)
