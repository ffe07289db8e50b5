"""Integration tests of XO compatibility at the edges of the API (issue 16): markdown output,
limit parsing, XO's 422 validation bodies, alarm and message sub-collections, ... through
nginx against a running stack (simulator + xapi-rest serve + nginx)."""
import io
import json
import os
import struct
import sys
import tarfile
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, wait_until  # noqa: E402

VMS = 30


class CompatTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # supporters listen too (127.0.0.2): RRD data and host logs are read from each host
        cls.s = Stack(vms=VMS, hosts=2, sim_args=["--serve-supporters"])

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

    # --- item 6: /servers ---
    def test_servers_carry_pool_name_members_and_master(self):
        server = self.s.api("/rest/v0/servers/pool0")
        pool = self.s.api("/rest/v0/pools?fields=id,name_label,name_description,master")[0]
        self.assertEqual(server["poolNameLabel"], pool["name_label"])
        self.assertEqual(server["poolNameDescription"], pool["name_description"])
        self.assertEqual(server["master"], pool["master"])
        hosts = self.s.api("/rest/v0/hosts?fields=address")
        self.assertEqual(sorted(server["poolMembersAddresses"]), sorted(h["address"] for h in hosts))
        r = self.get("/rest/v0/servers/nope")
        self.assertEqual((r.status, r.json()), (404, {"error": "no such xenServer nope",
                                                      "data": {"id": "nope", "type": "xenServer"}}))

    # --- item 5: /dashboard ---
    def test_dashboard_has_every_part_of_xo(self):
        d = self.s.api("/rest/v0/dashboard")
        self.assertEqual(list(d), ["nPools", "nHosts", "backupRepositories", "resourcesOverview", "poolsStatus",
                                   "missingPatches", "storageRepositories", "backups", "hostsStatus", "vmsStatus"])
        vms = self.s.api("/rest/v0/vms?fields=power_state")
        count = lambda st: sum(v["power_state"] == st for v in vms)  # noqa: E731
        self.assertEqual(d["vmsStatus"], {
            "active": count("Running") + count("Paused"), "inactive": count("Halted") + count("Suspended"),
            "running": count("Running"), "halted": count("Halted"), "paused": count("Paused"),
            "suspended": count("Suspended"), "unknown": 0, "total": VMS})
        self.assertEqual(d["hostsStatus"], {"disabled": 0, "running": 2, "halted": 0, "unknown": 0, "total": 2})
        pools = self.s.api("/rest/v0/pools?fields=cpus")
        hosts = self.s.api("/rest/v0/hosts?fields=memory")
        srs = [sr for sr in self.s.api("/rest/v0/srs?fields=size,physical_usage,content_type")
               if sr["size"] > 0 and sr["content_type"] != "iso"]
        self.assertEqual(d["resourcesOverview"], {"nCpus": sum(p["cpus"]["cores"] for p in pools),
                                                  "memorySize": sum(h["memory"]["size"] for h in hosts),
                                                  "srSize": sum(sr["size"] for sr in srs)})
        total, used = sum(sr["size"] for sr in srs), sum(sr["physical_usage"] for sr in srs)
        self.assertEqual(d["storageRepositories"], {"size": {"available": total - used, "other": used, "replicated": 0,
                                                             "total": total, "used": used}})
        self.assertEqual(d["poolsStatus"], {"connected": 1, "disconnected": 0, "unreachable": 0, "unknown": 0,
                                            "total": 1})
        # the simulator's updater lists 2 updates on the master, 1 on the other host
        self.assertEqual(d["missingPatches"], {"hasAuthorization": True, "nHosts": 2, "nHostsFailed": 0,
                                               "nHostsWithMissingPatches": 2, "nHostsEol": {"isEmpty": True},
                                               "nPools": 1, "nPoolsWithMissingPatches": 1})
        self.assertEqual((d["backupRepositories"], d["backups"]), ({"isEmpty": True}, {"isEmpty": True}))
        lines = self.s.get("/rest/v0/dashboard?ndjson=true", token=self.s.token).ndjson()
        merged = {}
        for line in lines:
            self.assertEqual(len(line), 1)
            merged.update(line)
        self.assertEqual(merged, d)

    # --- item 16: stats, missing patches, smt, logs, dashboards of pools and VMs ---
    def sim_rrd(self, address, step):
        sim = self.s.sims[0]
        port = sim.url.rsplit(":", 1)[1]
        body = json.dumps({"jsonrpc": "2.0", "method": "session.login_with_password",
                           "params": ["root", sim.password], "id": 1}).encode()
        req = urllib.request.Request(sim.url + "/jsonrpc", data=body, headers={"Content-Type": "application/json"})
        session = json.loads(urllib.request.urlopen(req, timeout=30).read())["result"]
        url = "http://%s:%s/rrd_updates?session_id=%s&start=%d&interval=%d&host=true&json=true" % (
            address, port, session, int(time.time()) - step * 120 + step, step)
        return json.loads(urllib.request.urlopen(url, timeout=30).read())

    @staticmethod
    def f32(text):
        return None if text == "NaN" else struct.unpack("f", struct.pack("f", float(text)))[0]

    def test_host_stats_follow_xo_names_units_and_order(self):
        host = self.s.api("/rest/v0/hosts?fields=id,address&limit=1")[0]
        st = self.s.api("/rest/v0/hosts/%s/stats?granularity=minutes" % host["id"])
        self.assertEqual(st["interval"], 60)
        self.assertEqual(set(st["stats"]) >= {"load", "memoryFree", "memory", "cpus", "pifs", "iops", "ioThroughput",
                                              "latency", "iowait", "memoryReclaimed", "runningVcpus", "pifsAggr"},
                         True, sorted(st["stats"]))
        self.assertEqual(list(st["stats"]["cpus"]), [str(i) for i in range(len(st["stats"]["cpus"]))])
        rrd = self.sim_rrd(host["address"], 60)
        legend = rrd["meta"]["legend"]
        rows = list(reversed(rrd["data"]))  # oldest first, as XO serves them
        cpu0 = legend.index("AVERAGE:host:%s:cpu0" % host["id"])
        mem = legend.index("AVERAGE:host:%s:memory_total_kib" % host["id"])
        compared = 0
        for row in rows[-5:]:  # the same instants in both answers (values are a function of time)
            back = (st["endTimestamp"] - row["t"]) // 60
            if 0 <= back < len(st["stats"]["cpus"]["0"]):
                self.assertEqual(st["stats"]["cpus"]["0"][-1 - back], self.f32(row["values"][cpu0]) * 100)
                self.assertEqual(st["stats"]["memory"][-1 - back], self.f32(row["values"][mem]) * 1024)
                compared += 1
        self.assertGreaterEqual(compared, 3, (st["endTimestamp"], [r["t"] for r in rows[-5:]],
                                              len(st["stats"]["cpus"]["0"])))
        sr8 = next(e.split(":")[3][len("iops_read_"):] for e in legend if ":iops_read_" in e)
        self.assertIn(sr8, st["stats"]["iops"]["r"])
        r = self.get("/rest/v0/hosts/%s/stats?granularity=weeks" % host["id"])
        self.assertEqual((r.status, r.json()), (422, {"error": {"granularity": {
            "message": "Value does not match any allowed schema", "value": "weeks"}}, "data": {}}))

    def test_vm_and_pool_stats(self):
        vms = self.s.api("/rest/v0/vms?fields=id,power_state,$container,CPUs")
        running = [v for v in vms if v["power_state"] == "Running"]
        # one VM on each host: the supporter's data comes from the supporter (127.0.0.2)
        by_host = {}
        for v in running:
            by_host.setdefault(v["$container"], v)
        self.assertEqual(len(by_host), 2)
        for vm in by_host.values():
            st = self.s.api("/rest/v0/vms/%s/stats" % vm["id"])
            self.assertEqual(st["interval"], 5)
            self.assertEqual(len(st["stats"]["cpus"]), vm["CPUs"]["number"])
            self.assertTrue({"cpuUsage", "memory", "memoryTarget", "runstateBlocked"} <= set(st["stats"]))
            self.assertTrue(all(x is None or 0 <= x <= 100 for x in st["stats"]["cpuUsage"]))
        halted = next(v for v in vms if v["power_state"] == "Halted")
        r = self.get("/rest/v0/vms/%s/stats" % halted["id"])
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json()["error"], "VM %s is halted or host could not be found." % halted["id"])
        self.assertEqual(self.get("/rest/v0/vms/nope/stats").status, 404)
        pool = self.s.api("/rest/v0/pools")[0]
        st = self.s.api(pool + "/stats?granularity=hours")
        hosts = self.s.api("/rest/v0/hosts?fields=id")
        self.assertEqual(set(st), {h["id"] for h in hosts})
        self.assertTrue(all(v["interval"] == 3600 and "cpus" in v["stats"] for v in st.values()))

    def test_missing_patches_smt_and_logs(self):
        hosts = self.s.api("/rest/v0/hosts?fields=id,address,CPUs")
        hosts.sort(key=lambda h: h["address"])  # the master (127.0.0.1) first
        patches = [self.s.api("/rest/v0/hosts/%s/missing_patches" % h["id"]) for h in hosts]
        self.assertEqual([[p["name"] for p in ps] for ps in patches], [["openssh", "xapi-core"], ["openssh"]])
        self.assertEqual(set(patches[0][0]), {"name", "version", "release", "size", "license", "url",
                                              "description", "changelog"})
        pool = self.s.api("/rest/v0/pools")[0]
        self.assertEqual([p["name"] for p in self.s.api(pool + "/missing_patches")], ["openssh", "xapi-core"])
        # host 0 reports threads_per_core (2); host 1 does not: the plugin says "false"
        self.assertEqual("threads_per_core" in hosts[0]["CPUs"], True)
        self.assertEqual(self.s.api("/rest/v0/hosts/%s/smt" % hosts[0]["id"]), {"enabled": True})
        self.assertEqual(self.s.api("/rest/v0/hosts/%s/smt" % hosts[1]["id"]), {"enabled": False})
        for h in hosts:
            r = self.get("/rest/v0/hosts/%s/logs.tgz" % h["id"])
            self.assertEqual((r.status, r.headers["Content-Type"]), (200, "application/gzip"))
            with tarfile.open(fileobj=io.BytesIO(r.body), mode="r:gz") as tar:
                self.assertIn("var/log/messages", tar.getnames())

    def test_pool_and_vm_dashboards(self):
        pool = self.s.api("/rest/v0/pools?fields=id,cpus")[0]
        d = self.s.api("/rest/v0/pools/%s/dashboard" % pool["id"])
        self.assertEqual(list(d), ["hosts", "vms", "srs", "alarms", "cpuProvisioning"])
        self.assertEqual(list(d["hosts"]), ["status", "topFiveUsage", "missingPatches"])
        self.assertEqual(d["hosts"]["status"], {"running": 2, "disabled": 0, "halted": 0, "total": 2})
        self.assertEqual(len(d["hosts"]["topFiveUsage"]["cpu"]), 2)
        self.assertTrue(all(0 <= h["percent"] <= 100 for h in d["hosts"]["topFiveUsage"]["cpu"]))
        ram = d["hosts"]["topFiveUsage"]["ram"]
        self.assertEqual([h["percent"] for h in ram], sorted((h["percent"] for h in ram), reverse=True))
        self.assertEqual([p["name"] for p in d["hosts"]["missingPatches"]["missingPatches"]], ["openssh", "xapi-core"])
        vms = self.s.api("/rest/v0/vms?fields=power_state,CPUs,managementAgentDetected")
        self.assertEqual(d["vms"]["status"]["total"], VMS)
        running = [v for v in vms if v["power_state"] == "Running"]
        self.assertEqual(d["cpuProvisioning"], {"total": pool["cpus"]["cores"],
                                                "assigned": sum(v["CPUs"]["number"] for v in running),
                                                "percent": sum(v["CPUs"]["number"] for v in running) * 100 /
                                                pool["cpus"]["cores"]})
        top = d["vms"]["topFiveUsage"]
        self.assertEqual(len(top["cpu"]), min(5, len(running) + sum(v["power_state"] == "Paused" for v in vms)))
        self.assertTrue(top["ram"] and all(set(v) == {"id", "name_label", "memory", "memoryFree", "percent"}
                                           for v in top["ram"]))
        alarms = self.s.api("/rest/v0/alarms?fields=$pool")
        self.assertEqual(sorted(d["alarms"]), sorted(a["href"].rsplit("/", 1)[1] for a in alarms))
        self.assertTrue(len(d["srs"]["topFiveUsage"]) <= 5)
        lines = self.s.get("/rest/v0/pools/%s/dashboard?ndjson=true" % pool["id"], token=self.s.token).ndjson()
        self.assertEqual(len(lines), 9)
        vm = next(v for v in self.s.api("/rest/v0/vms?fields=id,power_state,$container,$pool,tags")
                  if v["power_state"] == "Running")
        d = self.s.api("/rest/v0/vms/%s/dashboard" % vm["id"])
        self.assertEqual(d["quickInfo"]["id"], vm["id"])
        self.assertEqual(d["quickInfo"]["host"], vm["$container"])
        self.assertEqual(d["quickInfo"]["tags"], vm["tags"])
        self.assertEqual(d["backupsInfo"], {"lastRuns": [], "vmProtection": "not-in-active-job", "replication": {},
                                            "backupArchives": []})
        self.assertIsInstance(d["alarms"], list)

    # --- item 3: expiresIn as XO's duration parser (the npm `ms` package) reads it ---
    def admin_tokens_path(self):
        uid = self.s.get("/rest/v0/users/me", token=self.s.token).headers["Location"].rsplit("/", 1)[1]
        return uid, "/rest/v0/users/%s/authentication_tokens" % uid

    def test_token_expires_in_words_as_xo(self):
        _, path = self.admin_tokens_path()
        for words, ms in (("1 hour", 3600e3), ("2 hours", 7200e3), ("30 minutes", 1800e3), ("1 day", 86400e3),
                          ("1.5h", 5400e3), ("2 Weeks", 14 * 86400e3), (3600000, 3600e3)):
            r = self.s.request("POST", path, token=self.s.token, body={"expiresIn": words})
            self.assertEqual(r.status, 201, (words, r.body))
            tok = r.json()["token"]
            self.assertEqual(tok["expiration"] - tok["created_at"], ms, words)
        for bad in ("30", "0d", "59 seconds", "184d", "1 year", "soon", "1 hour ago", 59999, True):
            r = self.s.request("POST", path, token=self.s.token, body={"expiresIn": bad})
            self.assertEqual(r.status, 400, bad)
            self.assertIn("error", r.json())

    # --- item 10: routes match the path as sent ---
    def test_doubled_slash_and_encoded_route_names_are_404(self):
        for path in ("/rest/v0//vms", "/rest/v0/vm%73", "/rest/v0/%76ms", "//rest/v0/vms", "/rest/v0/vms//"):
            r = self.get(path)
            self.assertEqual(r.status, 404, path)
            self.assertEqual(r.json(), {"error": "Cannot GET " + path})
        self.assertEqual(self.get("/rest/v0/vms/").status, 200)  # a trailing slash is fine (Express)
        uuid = self.s.api("/rest/v0/vms?limit=1")[0].rsplit("/", 1)[1]
        r = self.get("/rest/v0/vms/" + uuid.replace("-", "%2D"))  # path parameters are decoded
        self.assertEqual((r.status, r.json()["uuid"]), (200, uuid))

    # --- item 11: OPTIONS ---
    def test_options_answers_the_routed_methods_without_credentials(self):
        uid, tokens = self.admin_tokens_path()
        for path, allow in (("/rest/v0/vms", "GET,HEAD"), ("/rest/v0/vms/whatever", "GET,HEAD,PATCH,DELETE"),
                            (tokens, "GET,HEAD,POST"), (tokens + "/x", "DELETE"),
                            ("/rest/v0/users/authentication_tokens", "GET,HEAD,POST,PATCH,DELETE"),  # all but POST: users/{id}
                            ("/rest/v0/users/me", "GET,HEAD,POST,PUT,PATCH,DELETE")):
            r = self.s.request("OPTIONS", path)
            self.assertEqual((r.status, r.headers["Allow"], r.body.decode()), (200, allow, allow), path)
        r = self.s.request("OPTIONS", "/rest/v0/no-such-route")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json(), {"error": "Cannot OPTIONS /rest/v0/no-such-route"})

    # --- item 12: an unknown route is a 404 whatever the credentials ---
    def test_unknown_route_is_404_without_or_with_bad_credentials(self):
        for kw in ({}, {"token": "not-a-token"}, {"basic": ("admin", "wrong")}):
            r = self.s.get("/rest/v0/no-such-route", **kw)
            self.assertEqual((r.status, r.json()), (404, {"error": "Cannot GET /rest/v0/no-such-route"}), kw)
        r = self.s.get("/rest/v0/vms")  # a real route still needs them
        self.assertEqual(r.status, 401)
        self.assertEqual(self.s.request("POST", "/rest/v0/vms").status, 404)

    # --- item 13: users and tokens as XO shows them ---
    def test_users_pw_hash_is_obfuscated(self):
        users = self.s.api("/rest/v0/users?fields=*")
        self.assertTrue(users)
        self.assertTrue(all(u["pw_hash"] == "***obfuscated***" for u in users), users)
        self.assertEqual(self.s.api(users[0]["href"])["pw_hash"], "***obfuscated***")

    def test_token_client_is_kept_and_a_clients_new_token_replaces_the_old(self):
        uid, path = self.admin_tokens_path()
        client = {"id": "compat-client-%d" % os.getpid()}
        first = self.s.request("POST", path, token=self.s.token, body={"client": client, "description": "c1"})
        self.assertEqual(first.status, 201, first.body)
        self.assertEqual(first.json()["token"]["client"], client)
        second = self.s.request("POST", path, token=self.s.token, body={"client": client, "description": "c2"})
        self.assertEqual(second.status, 201)
        mine = [t for t in self.s.api(path) if t.get("client") == client]
        self.assertEqual([t["description"] for t in mine], ["c2"])
        self.assertEqual(self.s.get("/rest/v0/vms?limit=1", token=second.json()["token"]["id"]).status, 200)
        wait_until(lambda: self.s.get("/rest/v0/vms?limit=1", token=first.json()["token"]["id"]).status == 401,
                   8, "the replaced token to be refused")
        for bad in ({"client": "x"}, {"client": {}}, {"client": {"id": 3}}, {"client": {"id": ""}}):
            self.assertEqual(self.s.request("POST", path, token=self.s.token, body=bad).status, 400, bad)

    def test_deprecated_post_users_authentication_tokens(self):
        uid, _ = self.admin_tokens_path()
        for kw in ({"token": self.s.token}, {"basic": ("admin", self.s.admin_password)}):
            r = self.s.request("POST", "/rest/v0/users/authentication_tokens", body={"expiresIn": "1 hour"}, **kw)
            self.assertEqual(r.status, 201, r.body)
            tok = r.json()["token"]
            self.assertEqual((tok["user_id"], tok["expiration"] - tok["created_at"]), (uid, 3600000))
            self.assertEqual(self.s.get("/rest/v0/vms?limit=1", token=tok["id"]).status, 200)
        self.assertEqual(self.s.request("POST", "/rest/v0/users/authentication_tokens", body={}).status, 401)

    # --- item 14: every served collection is in the root listing ---
    def test_root_lists_sms_pcis_and_pgpus(self):
        root = self.s.api("/rest/v0")
        for coll in ("sms", "pcis", "pgpus", "pbds"):
            self.assertIn("/rest/v0/" + coll, root)
            self.assertEqual(self.get("/rest/v0/" + coll).status, 200)
        self.assertEqual(len(root), len(set(root)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
