"""The data plane driven by Xen Orchestra's own XAPI client (npm xen-api, from the
`npm` ctest fixture: XR_NPM_DIR): downloads with getResource and an unknown-length
upload with putResource, checked here against the simulator's disk files."""

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import unittest

import zstandard

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataplane_harness as harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1 << 20


class XenApiClientTest(unittest.TestCase):
    def setUp(self):
        npm = os.environ.get("XR_NPM_DIR")
        if not npm or not os.path.isdir(os.path.join(npm, "node_modules", "xen-api")):
            self.fail("XR_NPM_DIR does not hold xen-api (run the setup.npm fixture)")
        self.sim = harness.Simulator("--vms", "3", "--seed", "3")
        self.out = tempfile.mkdtemp(prefix="dataplane-xen-api-")

    def tearDown(self):
        self.sim.stop()
        shutil.rmtree(self.out, ignore_errors=True)

    def new_vdi(self, sr, size):
        return self.sim.call("VDI.create", {
            "name_label": "xen-api test", "name_description": "", "SR": sr,
            "virtual_size": str(size), "type": "user", "sharable": False, "read_only": False,
            "other_config": {}, "sm_config": {}, "tags": [], "xenstore_data": {}})

    def test_get_and_put_resource(self):
        sim = self.sim
        vms = sim.call("VM.get_all_records")
        vm = next(r for r, v in vms.items() if v["power_state"] == "Halted"
                  and not v["is_a_template"] and not v["is_a_snapshot"])
        sr = list(sim.call("pool.get_all_records").values())[0]["default_SR"]
        vdi, target = self.new_vdi(sr, 8 * MIB), self.new_vdi(sr, 8 * MIB)
        sim.call("VBD.create", {"VM": vm, "VDI": vdi, "userdevice": "4", "bootable": False,
                                "mode": "RW", "type": "Disk", "unpluggable": True,
                                "empty": False, "other_config": {}, "qos_algorithm_type": "",
                                "qos_algorithm_params": {}})
        with open(sim.disk_path(vdi), "r+b") as f:
            f.seek(MIB + 3)
            f.write(os.urandom(3 * MIB))
        result = subprocess.run(
            ["node", os.path.join(HERE, "dataplane_xen_api.mjs"), sim.url, harness.USER,
             harness.PASSWORD, vdi, vm, target, sr, self.out],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        with open(sim.disk_path(vdi), "rb") as f:
            disk = f.read()
        with open(os.path.join(self.out, "xen-api.raw"), "rb") as f:
            self.assertEqual(f.read(), disk)
        opts = ("driver=vpc,force_size_calc=current_size,file.filename="
                + os.path.join(self.out, "xen-api.vhd"))
        compare = subprocess.run(["qemu-img", "compare", "--image-opts",
                                  "driver=raw,file.filename=" + sim.disk_path(vdi), opts],
                                 capture_output=True, text=True)
        self.assertEqual(compare.returncode, 0, compare.stdout + compare.stderr)
        with open(os.path.join(self.out, "xen-api.xva.zst"), "rb") as f:
            plain = zstandard.ZstdDecompressor().stream_reader(f).read()
        with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
            self.assertEqual(tar.getmembers()[0].name, "ova.xml")
        with open(sim.disk_path(target), "rb") as f:
            self.assertEqual(f.read(), disk)
        with open(os.path.join(self.out, "imported-vm")) as f:
            imported = f.read()
        self.assertEqual(sim.call("VM.get_name_label", imported),
                         sim.call("VM.get_name_label", vm))
        copies = [sim.call("VBD.get_VDI", v) for v in sim.call("VM.get_VBDs", imported)]
        sizes = sorted(int(sim.call("VDI.get_virtual_size", v)) for v in copies
                       if v != "OpaqueRef:NULL" and sim.call("VDI.get_SR", v) == sr)
        self.assertIn(8 * MIB, sizes)
        copy = next(v for v in copies if v != "OpaqueRef:NULL"
                    and int(sim.call("VDI.get_virtual_size", v)) == 8 * MIB)
        with open(sim.disk_path(copy), "rb") as f:
            self.assertEqual(f.read(), disk)


class RedirectToMemberTest(unittest.TestCase):
    """A disk on a supporter's local SR: the simulator answers 302 to that member (its
    own port kept, the member's address served by default) and xen-api follows it."""

    def test_redirect_to_the_member_holding_the_disk(self):
        npm = os.environ.get("XR_NPM_DIR")
        if not npm or not os.path.isdir(os.path.join(npm, "node_modules", "xen-api")):
            self.fail("XR_NPM_DIR does not hold xen-api (run the setup.npm fixture)")
        sim = harness.Simulator("--vms", "3", "--hosts", "2", "--seed", "5")
        out = tempfile.mkdtemp(prefix="dataplane-xen-api-remote-")
        try:
            master = sim.call("pool.get_master", sim.call("pool.get_all")[0])
            srs = sim.call("SR.get_all_records")
            remote = next(r for r, v in srs.items() if not v["shared"] and v["content_type"] != "iso"
                          and master not in [sim.call("PBD.get_host", p) for p in v["PBDs"]])
            vdi = sim.call("VDI.create", {
                "name_label": "on a supporter", "name_description": "", "SR": remote,
                "virtual_size": str(4 * MIB), "type": "user", "sharable": False,
                "read_only": False, "other_config": {}, "sm_config": {}, "tags": [],
                "xenstore_data": {}})
            with open(sim.disk_path(vdi), "r+b") as f:
                f.seek(MIB)
                f.write(os.urandom(MIB))
            vm = next(r for r, v in sim.call("VM.get_all_records").items()
                      if v["power_state"] == "Halted" and not v["is_a_template"]
                      and not v["is_a_snapshot"] and not v["is_control_domain"])
            sim.call("VBD.create", {"VM": vm, "VDI": vdi, "userdevice": "5", "bootable": False,
                                    "mode": "RW", "type": "Disk", "unpluggable": True,
                                    "empty": False, "other_config": {}, "qos_algorithm_type": "",
                                    "qos_algorithm_params": {}})
            raw = os.path.join(out, "remote.raw")
            result = subprocess.run(
                ["node", os.path.join(HERE, "dataplane_xen_api_remote.mjs"), sim.url,
                 harness.USER, harness.PASSWORD, vm, vdi, raw],
                capture_output=True, text=True, timeout=120)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            with open(sim.disk_path(vdi), "rb") as a, open(raw, "rb") as b:
                self.assertEqual(a.read(), b.read())
        finally:
            sim.stop()
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
