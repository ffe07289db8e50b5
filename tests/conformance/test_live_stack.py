"""Conformance of what the running stack serves (simulator + xapi-rest + nginx):
every object of every XAPI collection, fetched over HTTP with fields=*, is validated
against XO's OpenAPI component schemas (validate_xo_schemas.mjs, same allow-list as the
model-level test), and a guest-metrics change made in XAPI shows in the VM's derived
fields (mainIpAddress, addresses) through the API. Links ($pool, $container, $VBDs, VIFs,
$SR, ...) are checked against the simulator's own records: each names the right object.
Environment: XR_APP (xapi-rest binary), XR_SOURCE_DIR, XR_NPM_DIR."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration/gateway"))
from stack import Stack, wait_until  # noqa: E402
from dump_records import call  # noqa: E402

COLLECTIONS = ["pools", "hosts", "vms", "vm-templates", "vm-snapshots", "vm-controllers", "vdis",
               "vdi-snapshots", "srs", "networks", "pifs", "vifs", "vbds", "pbds", "messages", "alarms",
               "sms", "pcis", "pgpus"]


class LiveStackConformance(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=40, hosts=3, seed=7)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_every_served_object_matches_xo_schemas(self):
        served = {}
        for coll in COLLECTIONS:
            objects = self.s.api("/rest/v0/%s?fields=*" % coll)
            for o in objects:
                # href is the REST envelope's addition (b.1), not a field of the XO type.
                self.assertTrue(o.pop("href").startswith("/rest/v0/%s/" % coll))
            served[coll] = objects
        for coll in COLLECTIONS:  # validate_xo_schemas.mjs fails on an empty one too
            self.assertTrue(served[coll], "the stack serves no %s" % coll)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(served, f)
            path = f.name
        try:
            r = subprocess.run(["node", os.path.join(HERE, "validate_xo_schemas.mjs"),
                                os.environ["XR_NPM_DIR"], path,
                                os.path.join(HERE, "xo_schema_differences.json")],
                               capture_output=True, text=True, timeout=120)
        finally:
            os.unlink(path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_links_name_the_right_objects_as_the_simulator_records_them(self):
        # XAPI class and field behind each XO link, per collection (a list field: a set of ids).
        vm_links = {"$VBDs": ("VM", "VBDs"), "VIFs": ("VM", "VIFs")}
        rules = {
            "vms": vm_links, "vm-templates": vm_links, "vm-snapshots": vm_links, "vm-controllers": vm_links,
            "vbds": {"VDI": ("VBD", "VDI"), "VM": ("VBD", "VM")},
            "vifs": {"$VM": ("VIF", "VM"), "$network": ("VIF", "network")},
            "vdis": {"$SR": ("VDI", "SR"), "$VBDs": ("VDI", "VBDs")},
            "vdi-snapshots": {"$SR": ("VDI", "SR"), "$snapshot_of": ("VDI", "snapshot_of")},
            "pifs": {"$host": ("PIF", "host"), "$network": ("PIF", "network")},
            "pbds": {"host": ("PBD", "host"), "SR": ("PBD", "SR")},
            "srs": {"$PBDs": ("SR", "PBDs")},
            "hosts": {"$PBDs": ("host", "PBDs"), "$PIFs": ("host", "PIFs")},
            "networks": {"PIFs": ("network", "PIFs"), "VIFs": ("network", "VIFs")},
            "pcis": {"$host": ("PCI", "host")},
            "pgpus": {"pci": ("PGPU", "PCI"), "$host": ("PGPU", "host")},
        }
        sim = self.s.sims[0]
        session = call(sim.url, "session.login_with_password", ["root", sim.password, "1.0", "links"], 1)
        records = {}
        for cls in ("pool", "host", "VM", "VBD", "VIF", "VDI", "SR", "PIF", "PBD", "network", "PCI", "PGPU"):
            records.update(call(sim.url, cls + ".get_all_records", [session], 2))
        uuid_of = {ref: r["uuid"] for ref, r in records.items()}
        pool_uuid = next(r["uuid"] for r in records.values() if "master" in r and "default_SR" in r)
        served_ids = {}
        checked = 0
        for coll in COLLECTIONS:
            for o in self.s.api("/rest/v0/%s?fields=*" % coll):
                served_ids[o["id"]] = o["type"]
        for coll, links in rules.items():
            objs = self.s.api("/rest/v0/%s?fields=*" % coll)
            self.assertTrue(objs, coll)
            for o in objs:
                rec = records[o["_xapiRef"]]
                self.assertEqual(o["uuid"], rec["uuid"], coll)
                if coll not in ("pools",) and "$pool" in o:
                    self.assertEqual(o["$pool"], pool_uuid, (coll, o["id"]))
                for key, (_, field) in links.items():
                    want = rec[field]
                    if isinstance(want, list):
                        expected = sorted(uuid_of[r] for r in want if r in uuid_of)
                        self.assertEqual(sorted(o.get(key, [])), expected, (coll, o["id"], key))
                    elif want in uuid_of:
                        self.assertEqual(o.get(key), uuid_of[want], (coll, o["id"], key))
                    else:
                        self.assertNotIn(o.get(key), served_ids, (coll, o["id"], key))
                    checked += 1
                if coll.startswith("vm") and "$container" in o:
                    # Running: its host; otherwise the pool, or (XO) the host of its local disks.
                    if rec["power_state"] in ("Running", "Paused"):
                        self.assertEqual(o["$container"], uuid_of[rec["resident_on"]], (coll, o["id"]))
                    else:
                        self.assertIn(served_ids.get(o["$container"]), ("pool", "host"), (coll, o["id"]))
                    checked += 1
        # Every link of any served object names a served object.
        for coll in COLLECTIONS:
            for o in self.s.api("/rest/v0/%s?fields=*" % coll):
                for key in ("$pool", "$container", "$host", "$SR", "$VBDs", "$PBDs", "$PIFs", "$network", "VIFs"):
                    for v in [o[key]] if isinstance(o.get(key), str) else o.get(key) or []:
                        self.assertIn(v, served_ids, (coll, o["id"], key))
        self.assertGreater(checked, 500)
        print("%d links checked against the simulator's records" % checked)

    def test_guest_metrics_change_shows_in_vm(self):
        vms = self.s.api("/rest/v0/vms?fields=uuid,power_state,mainIpAddress&filter=power_state:Running")
        self.assertTrue(vms)
        vm = vms[0]
        ip = "10.99.%d.%d" % (int(time.time()) % 200, 7)
        self.s.sims[0].control("guest_metrics", {"ref": vm["uuid"], "networks": {"0/ip": ip, "0/ipv4/0": ip}})
        wait_until(lambda: self.s.api(vm["href"])["mainIpAddress"] == ip, 20, "the new mainIpAddress")
        self.assertIn(ip, self.s.api(vm["href"])["addresses"].values())


if __name__ == "__main__":
    unittest.main(verbosity=2)
