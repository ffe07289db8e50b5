"""The inventory generator and process behaviour: deterministic from --seed, relations
consistent on both ends (§3.3), the expected kinds of objects present, --tls, and the
clean-up on SIGTERM."""
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import unittest
import xmlrpc.client

from simharness import Sim, SIM, FailsMixin

RELATIONS = [("VBD", "VM", "VM", "VBDs"), ("VBD", "VDI", "VDI", "VBDs"), ("VDI", "SR", "SR", "VDIs"),
             ("PBD", "SR", "SR", "PBDs"), ("PBD", "host", "host", "PBDs"), ("PIF", "host", "host", "PIFs"),
             ("PIF", "network", "network", "PIFs"), ("VIF", "network", "network", "VIFs"),
             ("VIF", "VM", "VM", "VIFs"), ("VM", "resident_on", "host", "resident_VMs"),
             ("VM", "snapshot_of", "VM", "snapshots"), ("VDI", "snapshot_of", "VDI", "snapshots"),
             ("console", "VM", "VM", "consoles"), ("host_cpu", "host", "host", "host_CPUs")]


def dump(sim):
    return {cls: sim.call(cls + ".get_all_records") for cls in (
        "pool", "host", "host_metrics", "host_cpu", "VM", "VM_metrics", "VM_guest_metrics",
        "console", "SR", "PBD", "VDI", "VBD", "VIF", "network", "PIF", "PIF_metrics",
        "message", "SM", "Bond", "VLAN")}


class Inventory(FailsMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--vms", "40", "--hosts", "4", "--seed", "11")
        cls.db = dump(cls.sim)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_relations_consistent_on_both_ends(self):
        db = self.db
        for owner, field, other, setf in RELATIONS:
            for ref, rec in db[owner].items():
                target = rec[field]
                if target != "OpaqueRef:NULL":
                    self.assertIn(target, db[other], "%s.%s of %s dangles" % (owner, field, ref))
                    self.assertIn(ref, db[other][target][setf], "%s.%s misses %s" % (other, setf, ref))
            for ref, rec in db[other].items():
                for member in rec[setf]:
                    self.assertEqual(db[owner][member][field], ref, "%s.%s" % (other, setf))
        for ref, vm in db["VM"].items():
            self.assertIn(vm["metrics"], db["VM_metrics"])
            if vm["guest_metrics"] != "OpaqueRef:NULL":
                self.assertIn(vm["guest_metrics"], db["VM_guest_metrics"])

    def test_pool_hosts_and_control_domains(self):
        db = self.db
        pool = list(db["pool"].values())[0]
        self.assertIn(pool["master"], db["host"])
        self.assertEqual(db["host"][pool["master"]]["address"], "127.0.0.1")
        for href, h in db["host"].items():
            dom0 = db["VM"][h["control_domain"]]
            self.assertTrue(dom0["is_control_domain"])
            self.assertEqual((dom0["power_state"], dom0["resident_on"]), ("Running", href))
            self.assertEqual(dom0["name_label"], "Control domain on host: " + h["hostname"])
            self.assertEqual(len(h["host_CPUs"]), 4)
        no_metrics = [h for h in db["host"].values() if h["metrics"] == "OpaqueRef:NULL"]
        self.assertEqual(len(no_metrics), 1)

    def test_vm_kinds_and_states(self):
        vms = self.db["VM"].values()
        plain = [v for v in vms if not v["is_a_template"] and not v["is_control_domain"]]
        self.assertEqual(len(plain), 40)
        self.assertEqual({v["power_state"] for v in plain}, {"Running", "Halted", "Suspended", "Paused"})
        defaults = [v for v in vms if v["is_default_template"]]
        self.assertGreaterEqual(len(defaults), 5)
        self.assertTrue(all(v["other_config"].get("default_template") == "true" for v in defaults))
        self.assertTrue([v for v in vms if v["is_a_template"] and not v["is_default_template"]
                         and not v["is_a_snapshot"]])
        snaps = [v for v in vms if v["is_a_snapshot"]]
        self.assertTrue(snaps)
        for v in plain:
            self.assertEqual(v["suspend_VDI"] != "OpaqueRef:NULL", v["power_state"] == "Suspended")
            self.assertEqual(v["resident_on"] != "OpaqueRef:NULL", v["power_state"] in ("Running", "Paused"))
        with_tools = [v for v in plain if v["guest_metrics"] != "OpaqueRef:NULL"]
        self.assertTrue(with_tools and len(with_tools) < len(plain))
        gm = self.db["VM_guest_metrics"][with_tools[0]["guest_metrics"]]
        self.assertIn("0/ip", gm["networks"])

    def test_storage_network_messages(self):
        db = self.db
        types = {s["type"] for s in db["SR"].values()}
        self.assertTrue({"ext", "nfs", "iso"} <= types)
        self.assertTrue([s for s in db["SR"].values() if s["shared"]])
        chained = [v for v in db["VDI"].values() if "vhd-parent" in v["sm_config"]]
        self.assertTrue(chained)
        uuids = {v["uuid"] for v in db["VDI"].values()}
        self.assertTrue(all(v["sm_config"]["vhd-parent"] in uuids for v in chained))
        self.assertTrue([p for p in db["PIF"].values() if p["bond_master_of"]])
        self.assertTrue([p for p in db["PIF"].values() if p["bond_slave_of"] != "OpaqueRef:NULL"])
        self.assertTrue([p for p in db["PIF"].values() if int(p["VLAN"]) == 100])
        self.assertTrue([p for p in db["PIF"].values() if p["management"]])
        names = [m["name"] for m in db["message"].values()]
        self.assertIn("ALARM", names)
        alarm = [m for m in db["message"].values() if m["name"] == "ALARM"][0]
        self.assertIn("value:", alarm["body"])
        for vdi in db["VDI"].values():
            path = os.path.join(self.sim.state_dir, vdi["uuid"] + ".raw")
            self.assertEqual(os.path.getsize(path), int(vdi["virtual_size"]))

    def test_deterministic_from_seed(self):
        other = Sim("--vms", "40", "--hosts", "4", "--seed", "11")
        try:
            again = dump(other)
        finally:
            other.stop()
        for cls in ("VM", "VDI", "host", "network", "VBD"):
            self.assertEqual(set(again[cls]), set(self.db[cls]), cls)
            for ref, rec in again[cls].items():
                self.assertEqual(rec["uuid"], self.db[cls][ref]["uuid"])
                self.assertEqual(rec.get("name_label"), self.db[cls][ref].get("name_label"))


class Process(unittest.TestCase):
    def test_smallest_pool_and_cleanup_on_sigterm(self):
        p = subprocess.Popen(["/usr/bin/python3", SIM, "--vms", "3", "--no-dataplane"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            url = p.stdout.readline().split(" on ", 1)[1].strip()
            err = p.stderr.readline()
            state = err.rsplit("state dir ", 1)[1].strip()
            self.assertTrue(os.path.isdir(state))
            with xmlrpc.client.ServerProxy(url) as proxy:
                s = proxy.session.login_with_password("root", "secret")["Value"]
                vms = proxy.VM.get_all_records(s)["Value"]
            self.assertEqual(len([v for v in vms.values() if not v["is_a_template"]
                                  and not v["is_control_domain"]]), 3)
        finally:
            p.send_signal(signal.SIGTERM)
            self.assertEqual(p.wait(20), 0)
            p.stdout.close()
            p.stderr.close()
        self.assertFalse(os.path.exists(state))

    def test_given_state_dir_keeps_foreign_files(self):
        d = tempfile.mkdtemp()
        open(os.path.join(d, "mine.txt"), "w").close()
        try:
            p = subprocess.Popen(["/usr/bin/python3", SIM, "--vms", "3", "--state-dir", d, "--no-dataplane"],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            p.stdout.readline()
            self.assertGreater(len(os.listdir(d)), 1)
            p.send_signal(signal.SIGINT)
            p.wait(20)
            p.stdout.close()
            self.assertEqual(os.listdir(d), ["mine.txt"])
        finally:
            shutil.rmtree(d)

    def test_tls(self):
        d = tempfile.mkdtemp()
        p = subprocess.Popen(["/usr/bin/python3", SIM, "--vms", "3", "--tls", "--state-dir", d,
                              "--no-dataplane"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            url = p.stdout.readline().split(" on ", 1)[1].strip()
            self.assertTrue(url.startswith("https://127.0.0.1:"))
            ctx = ssl._create_unverified_context()
            with xmlrpc.client.ServerProxy(url, context=ctx) as proxy:
                a = proxy.session.login_with_password("root", "secret")
            self.assertEqual(a["Status"], "Success")
            with self.assertRaises(ssl.SSLError):
                with xmlrpc.client.ServerProxy(url, context=ssl.create_default_context()) as proxy:
                    proxy.session.login_with_password("root", "secret")
        finally:
            p.terminate()
            p.wait(20)
            p.stdout.close()
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
