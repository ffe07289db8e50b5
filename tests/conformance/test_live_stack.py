"""Conformance of what the running stack serves (simulator + xapi-rest + nginx):
every object of every XAPI collection, fetched over HTTP with fields=*, is validated
against XO's OpenAPI component schemas (validate_xo_schemas.mjs, same allow-list as the
model-level test), and a guest-metrics change made in XAPI shows in the VM's derived
fields (mainIpAddress, addresses) through the API within one second.
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

    def test_guest_metrics_change_shows_in_vm_within_one_second(self):
        vms = self.s.api("/rest/v0/vms?fields=uuid,power_state,mainIpAddress&filter=power_state:Running")
        self.assertTrue(vms)
        vm = vms[0]
        ip = "10.99.%d.%d" % (int(time.time()) % 200, 7)
        self.s.sims[0].control("guest_metrics", {"ref": vm["uuid"], "networks": {"0/ip": ip, "0/ipv4/0": ip}})
        start = time.monotonic()
        wait_until(lambda: self.s.api(vm["href"])["mainIpAddress"] == ip, 1.0, "the new mainIpAddress")
        self.assertLess(time.monotonic() - start, 1.0)
        self.assertIn(ip, self.s.api(vm["href"])["addresses"].values())


if __name__ == "__main__":
    unittest.main(verbosity=2)
