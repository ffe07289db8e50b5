"""Integration tests of XO compatibility at the edges of the API (issue 16): markdown output,
limit parsing, XO's 422 validation bodies, alarm and message sub-collections, ... through
nginx against a running stack (simulator + xapi-rest serve + nginx)."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, wait_until  # noqa: E402

VMS = 30


class CompatTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=VMS, hosts=2)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def get(self, path, **kw):
        return self.s.get(path, token=self.s.token, **kw)

    # --- item 7: markdown=true ---
    def test_markdown_table_of_projected_objects(self):
        r = self.get("/rest/v0/vms?fields=name_label,power_state,tags&markdown=true")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["Content-Type"], "text/markdown; charset=utf-8")
        objs = self.s.api("/rest/v0/vms?fields=name_label,power_state,tags")
        lines = r.body.decode().split("\n")
        self.assertEqual(lines[0], "| name_label | power_state | tags |")
        self.assertEqual(lines[1], "| --- | --- | --- |")
        self.assertEqual(len(lines), 2 + VMS)
        self.assertFalse(r.body.endswith(b"\n"))
        first = objs[0]
        self.assertEqual(lines[2], "| %s | %s | %s |" % (first["name_label"], first["power_state"],
                                                         json.dumps(first["tags"], separators=(",", ":"))))

    def test_markdown_escapes_pipes_and_newlines(self):
        vm = self.s.api("/rest/v0/vms?fields=uuid&limit=1")[0]
        self.s.sims[0].control("set", {"class": "VM", "ref": vm["uuid"], "field": "name_description",
                                       "value": "a|b\nc"})
        wait_until(lambda: self.s.api(vm["href"])["name_description"] == "a|b\nc", 5, "the change")
        r = self.get("/rest/v0/vms?fields=uuid,name_description&markdown=true&filter=uuid:" + vm["uuid"])
        self.assertEqual(r.body.decode().split("\n")[2], "| %s | a\\|b c |" % vm["uuid"])

    def test_markdown_hrefs_empty_lists_and_other_lists(self):
        hrefs = self.s.api("/rest/v0/hosts")
        r = self.get("/rest/v0/hosts?markdown=true")
        self.assertEqual(r.body.decode(), "\n".join(hrefs))
        r = self.get("/rest/v0/vms?markdown=true&filter=name_label:no-such-vm")
        self.assertEqual((r.status, r.body), (200, b"No results."))
        r = self.get("/rest/v0/servers?fields=id,status&markdown=true")
        self.assertEqual(r.body.decode(), "| id | status |\n| --- | --- |\n| pool0 | connected |")
        r = self.get("/rest/v0?markdown=true&limit=2")
        self.assertEqual(r.body.decode().count("\n"), 1)
        for vm in self.s.api("/rest/v0/vms"):
            if self.s.api(vm + "/vdis"):
                r = self.get(vm + "/vdis?fields=type&markdown=true")
                self.assertTrue(r.body.decode().startswith("| type |\n| --- |\n| VDI"), r.body)
                break
        else:
            self.fail("no VM with a disk")

    def test_markdown_false_and_bad_values(self):
        for q in ("markdown=false", "markdown=TRUE", "markdown=False"):
            r = self.get("/rest/v0/hosts?" + q)
            self.assertTrue(r.headers["Content-Type"].startswith("application/json"), q)
        r = self.get("/rest/v0/hosts?markdown")
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json(), {"error": {"markdown": {"message": "invalid boolean value", "value": ""}},
                                    "data": {}})
        r = self.get("/rest/v0/hosts?ndjson=true&markdown=true")
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json(), {"error": "Cannot use both ndjson and markdown output formats simultaneously",
                                    "data": {}})

    # --- item 2: limit ---
    def test_limit_parsed_as_xo_float(self):
        self.assertEqual(len(self.s.api("/rest/v0/vms?limit=1e20")), VMS)
        self.assertEqual(len(self.s.api("/rest/v0/vms?limit=1e400")), VMS)
        self.assertEqual(len(self.s.api("/rest/v0/vms?limit=1.5")), VMS)
        self.assertEqual(len(self.s.api("/rest/v0/vms?limit=2e0")), 2)
        self.assertEqual(len(self.s.api("/rest/v0/vms?limit=%2B3")), 3)
        for bad in ("Infinity", "-Infinity", "0x10", "%205", "abc", ""):
            r = self.get("/rest/v0/vms?limit=" + bad)
            self.assertEqual(r.status, 422, bad)
            value = bad.replace("%20", " ")
            self.assertEqual(r.json(), {"error": {"limit": {"message": "invalid float number", "value": value}},
                                        "data": {}})

    # --- item 8: repeated parameters ---
    def test_repeated_parameters_are_xo_422(self):
        r = self.get("/rest/v0/vms?fields=name_label&fields=power_state")
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json(), {"error": {"fields": {"message": "invalid string value",
                                                         "value": ["name_label", "power_state"]}}, "data": {}})
        r = self.get("/rest/v0/vms?filter=a&filter=b&limit=1&limit=2")
        self.assertEqual(r.json()["error"], {
            "filter": {"message": "invalid string value", "value": ["a", "b"]},
            "limit": {"message": "invalid float number", "value": ["1", "2"]}})

    # --- item 4: ETag and 304 on lists ---
    def test_lists_carry_an_etag_and_answer_304_until_a_change(self):
        path = "/rest/v0/vms?fields=name_label,power_state&filter=power_state:Running"
        r = self.get(path)
        etag = r.headers["ETag"]
        self.assertTrue(etag.startswith('W/"'), etag)
        again = self.get(path, headers={"If-None-Match": etag})
        self.assertEqual((again.status, again.body), (304, b""))
        self.assertEqual(again.headers["ETag"], etag)
        self.assertEqual(self.get(path, headers={"If-None-Match": '"x", ' + etag}).status, 304)
        self.assertEqual(self.get(path, headers={"If-None-Match": "*"}).status, 304)
        # another query, another format, another list: another validator
        for other in (path + "&ndjson", path + "&limit=1", "/rest/v0/hosts"):
            r2 = self.get(other, headers={"If-None-Match": etag})
            self.assertEqual(r2.status, 200, other)
            self.assertNotEqual(r2.headers["ETag"], etag)
        sub = self.s.api("/rest/v0/hosts")[0] + "/messages"
        r3 = self.get(sub)
        self.assertEqual(self.get(sub, headers={"If-None-Match": r3.headers["ETag"]}).status, 304)
        # a change in the pool: the old validator no longer matches, the new body shows it
        vm = self.s.api("/rest/v0/vms?fields=uuid&filter=power_state:Running&limit=1")[0]
        self.s.sims[0].control("rename", {"ref": vm["uuid"], "name": "etag-renamed"})
        wait_until(lambda: self.get(path, headers={"If-None-Match": etag}).status == 200, 5, "a new ETag")
        r4 = self.get(path, headers={"If-None-Match": etag})
        self.assertIn("etag-renamed", [v["name_label"] for v in r4.json()])
        self.assertEqual(self.get(path, headers={"If-None-Match": r4.headers["ETag"]}).status, 304)

    def test_lists_and_objects_outside_the_cache_carry_a_body_etag(self):
        for path in ("/rest/v0/users", "/rest/v0/users?fields=name", "/rest/v0/servers?fields=status",
                     "/rest/v0/servers/pool0", "/rest/v0/dashboard", "/rest/v0"):
            r = self.get(path)
            self.assertEqual(r.status, 200, path)
            etag = r.headers["ETag"]
            r2 = self.get(path, headers={"If-None-Match": etag})
            self.assertEqual((r2.status, r2.body), (304, b""), path)

    # --- items 1 and 9: alarm and message sub-collections ---
    def test_alarms_of_vms_hosts_srs_and_pools_are_listed(self):
        alarms = self.s.api("/rest/v0/alarms?fields=object")
        by_type = {}
        for a in alarms:
            by_type.setdefault(a["object"]["type"], []).append(a)
        for typ, coll in (("VM", "vms"), ("host", "hosts"), ("SR", "srs"), ("pool", "pools")):
            self.assertIn(typ, by_type, "the simulator makes alarms on every kind")
            uuid = by_type[typ][0]["object"]["uuid"]
            mine = self.s.api("/rest/v0/%s/%s/alarms?fields=object" % (coll, uuid))
            self.assertEqual(sorted(a["href"] for a in mine),
                             sorted(a["href"] for a in alarms if a["object"]["uuid"] == uuid))
            self.assertTrue(all(a["href"].startswith("/rest/v0/alarms/") for a in mine))

    def test_sub_collections_only_where_xo_has_them(self):
        for coll in ("messages", "alarms", "pbds", "sms"):
            ids = self.s.api("/rest/v0/%s?limit=1" % coll)
            self.assertTrue(ids, coll)
            for sub in ("messages", "alarms"):
                r = self.get(ids[0] + "/" + sub)
                self.assertEqual(r.status, 404, ids[0] + "/" + sub)
                self.assertEqual(r.json(), {"error": "Cannot GET " + ids[0] + "/" + sub})
        host = self.s.api("/rest/v0/hosts?limit=1")[0]
        self.assertEqual(self.get(host + "/vdis").status, 404)
        self.assertEqual(self.get(host + "/messages").status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)
