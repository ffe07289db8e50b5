"""The inventory generator and process behaviour: deterministic from --seed, relations
consistent on both ends (§3.3), the expected kinds of objects present, the variety of a
realistic pool (issues 14 and 16), --tls, the clean-up on SIGTERM, TCP_NODELAY."""
import collections
import os
import re
import socket
import threading
import shutil
import signal
import ssl
import subprocess
import tempfile
import unittest
import xmlrpc.client

from simharness import Sim, SIM, ROOT, FailsMixin
from xapisim import inventory, server as sim_server

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


class _NoDb:
    def load(self, objs):
        self.objs = objs


class _Target:
    """Enough of a Simulator for inventory.generate() in-process (no server, no RPC)."""
    def __init__(self):
        self.state_dir = tempfile.mkdtemp(prefix="xapi-sim-inv-")
        self.db = _NoDb()


def generate(n_vms, n_hosts, seed):
    target = _Target()
    try:
        return inventory.generate(target, n_vms, n_hosts, seed).objs
    finally:
        shutil.rmtree(target.state_dir)


class Variety(unittest.TestCase):
    """A pool worth measuring on: ordinary VMs differ as in a real pool, from one --seed."""
    @classmethod
    def setUpClass(cls):
        cls.db = generate(400, 3, 4)
        vms = cls.db["VM"]
        cls.plain = {r: v for r, v in vms.items()
                     if not v["is_a_template"] and not v["is_control_domain"] and not v["is_a_snapshot"]}

    def test_sizes_types_disks_and_vifs_vary(self):
        db, plain = self.db, self.plain.values()
        cpus = {v["VCPUs_max"] for v in plain}
        self.assertTrue(min(cpus) == 1 and max(cpus) == 32 and len(cpus) >= 6, cpus)
        mem = {v["memory_static_max"] for v in plain}
        self.assertEqual((min(mem), max(mem)), (512 << 20, 64 << 30))
        self.assertEqual({v["domain_type"] for v in plain}, {"hvm", "pv", "pvh"})
        self.assertEqual({v["HVM_boot_params"].get("firmware") for v in plain}, {"bios", "uefi", None})
        disks = collections.Counter(
            sum(db["VBD"][b]["type"] == "Disk" for b in v["VBDs"]) for v in plain)
        self.assertEqual(set(disks), set(range(7)), disks)
        vifs = collections.Counter(len(v["VIFs"]) for v in plain)
        self.assertEqual(set(vifs), set(range(5)), vifs)
        nets = {db["VIF"][f]["network"] for v in plain for f in v["VIFs"]}
        self.assertGreaterEqual(len(nets), 5)

    def test_tags_descriptions_ha_affinity_and_other_config(self):
        plain = list(self.plain.values())
        tags = collections.Counter(len(v["tags"]) for v in plain)
        self.assertTrue(tags[0] and tags[1] and max(tags) >= 3, tags)
        self.assertGreaterEqual(len({t for v in plain for t in v["tags"]}), 10)
        described = [v for v in plain if v["name_description"]]
        self.assertTrue(0 < len(described) < len(plain))
        self.assertTrue([v for v in plain if "\n" in v["name_description"] or "|" in v["name_description"]])
        self.assertEqual({v["ha_restart_priority"] for v in plain}, {"", "best-effort", "restart"})
        self.assertTrue(all(v["ha_always_run"] == (v["ha_restart_priority"] == "restart") for v in plain))
        self.assertTrue([v for v in plain if v["affinity"] != "OpaqueRef:NULL"])
        self.assertTrue([v for v in plain if v["other_config"].get("auto_poweron") == "true"])

    def test_recommendations_carry_several_restrictions_some_without_bios(self):
        no_bios = 0
        for ref, v in self.db["VM"].items():
            restrictions = re.findall(r"<restriction ([^>]*)/>", v["recommendations"])
            self.assertGreaterEqual(len(restrictions), 2, v["name_label"])  # XO needs an array
            if 'field="supports-bios" value="no"' in v["recommendations"]:
                no_bios += 1
                self.assertEqual(v["domain_type"], "hvm")
        self.assertTrue(0 < no_bios < len(self.plain) // 2, no_bios)
        bios_vms_without_bios = [v for v in self.plain.values() if 'supports-bios" value="no"' in
                                 v["recommendations"] and v["HVM_boot_params"].get("firmware") == "bios"]
        self.assertTrue(bios_vms_without_bios)  # XO maps isFirmwareSupported: false for these

    def test_guest_tools_present_absent_and_never(self):
        db = self.db
        running = [v for v in self.plain.values() if v["power_state"] == "Running"]
        with_tools = [v for v in running if v["guest_metrics"] != "OpaqueRef:NULL"]
        self.assertTrue(0 < len(with_tools) < len(running))
        never = [v for v in self.plain.values() if v["other_config"].get("sim:no-tools") == "true"]
        self.assertTrue(never and all(v["guest_metrics"] == "OpaqueRef:NULL" for v in never))
        distros = {db["VM_guest_metrics"][v["guest_metrics"]]["os_version"]["distro"] for v in with_tools}
        self.assertGreaterEqual(len(distros), 3)
        self.assertEqual({db["VM_guest_metrics"][v["guest_metrics"]]["PV_drivers_up_to_date"]
                          for v in with_tools}, {True, False})

    def test_snapshot_chains(self):
        db = self.db
        chains = [v for v in self.plain.values() if len(v["snapshots"]) >= 2]
        self.assertTrue(chains)
        vm = chains[0]
        snaps = sorted(vm["snapshots"], key=lambda r: db["VM"][r]["snapshot_time"].text)
        self.assertEqual(vm["parent"], snaps[-1])  # newest snapshot, then back along parents
        self.assertEqual(db["VM"][snaps[-1]]["parent"], snaps[-2])
        by_uuid = {v["uuid"]: v for v in db["VDI"].values()}
        longest = 0
        for vdi in db["VDI"].values():
            n, cur = 0, vdi
            while "vhd-parent" in cur["sm_config"]:
                cur = by_uuid[cur["sm_config"]["vhd-parent"]]
                n += 1
            longest = max(longest, n)
        self.assertGreaterEqual(longest, 2)

    def test_storage_networks_and_messages(self):
        db = self.db
        self.assertTrue({"ext", "lvm", "nfs", "lvmoiscsi", "iso"} <= {s["type"] for s in db["SR"].values()})
        used = {db["VDI"][db["VBD"][b]["VDI"]]["SR"] for v in self.plain.values() for b in v["VBDs"]
                if db["VBD"][b]["VDI"] != "OpaqueRef:NULL"}
        self.assertTrue({db["SR"][s]["type"] for s in used} >= {"nfs", "lvmoiscsi"})
        self.assertEqual({v["tag"] for v in db["VLAN"].values()}, {100, 200, 300})
        self.assertEqual(len(db["Bond"]), 3)
        alarms = [m for m in db["message"].values() if m["name"] == "ALARM"]
        self.assertEqual({m["cls"] for m in alarms}, {"VM", "Host", "SR", "Pool"})
        notices = {m["cls"] for m in db["message"].values() if m["name"] != "ALARM"}
        self.assertEqual(notices, {"VM", "Host", "SR", "Pool"})

    def test_same_seed_same_pool_other_seed_other_pool(self):
        again = generate(400, 3, 4)
        for cls in ("VM", "VDI", "VIF", "message"):
            self.assertEqual({r: (v["uuid"], v.get("name_label"), v.get("tags")) for r, v in again[cls].items()},
                             {r: (v["uuid"], v.get("name_label"), v.get("tags")) for r, v in self.db[cls].items()})
        other = generate(400, 3, 5)
        self.assertNotEqual(sorted(v["VCPUs_max"] for v in other["VM"].values()),
                            sorted(v["VCPUs_max"] for v in self.db["VM"].values()))


class NoDelay(unittest.TestCase):
    def test_accepted_connections_set_tcp_nodelay(self):
        seen = []

        class Probe(sim_server.Handler):
            def do_GET(self):
                seen.append(self.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                self.send_raw(200, b"ok", "text/plain")

        srv = sim_server.Server(("127.0.0.1", 0), Probe)
        t = threading.Thread(target=srv.serve_forever, daemon=True)
        t.start()
        try:
            with socket.create_connection(srv.server_address, timeout=10) as c:
                c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertIn(b"200 OK", c.recv(4096))
        finally:
            srv.shutdown()
            srv.server_close()
        self.assertEqual(len(seen), 1)
        self.assertNotEqual(seen[0], 0)


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
