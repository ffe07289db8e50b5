"""The action catalogue beyond VM power/snapshot/clone, through nginx to the runner and the
simulator: hosts, SRs, PBDs, VBDs, VIFs, VDIs, VM migrate/revert, pool networks and
management, emergency shutdown, rolling reboot/update with their per-host sub-tasks. Each
family: the effect visible in the read API (and in the simulator), one failure path."""
import json
import os
import subprocess
import sys
import time
import unittest
import xmlrpc.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, wait_until  # noqa: E402

NULL = "OpaqueRef:NULL"


class Xapi:
    """Direct XML-RPC to the simulator, to set things up and check what the gateway did."""

    def __init__(self, sim):
        self.sim = sim
        self.proxy = xmlrpc.client.ServerProxy(sim.url, allow_none=True)
        self.login()

    def login(self):
        self.session = self.raw("session.login_with_password", "root", self.sim.password, "1.0", "it")

    def raw(self, method, *args):
        fn = self.proxy
        for part in method.split("."):
            fn = getattr(fn, part)
        a = fn(*args)
        if a["Status"] != "Success":
            raise RuntimeError(a["ErrorDescription"])
        return a["Value"]

    def __call__(self, method, *args):
        """With our session; a restarted toolstack (a master reboot) means log in again."""
        for _ in range(100):
            try:
                return self.raw(method, self.session, *args)
            except RuntimeError as e:
                code = e.args[0][0] if e.args and isinstance(e.args[0], list) else ""
                if code == "SESSION_INVALID":
                    try:
                        self.login()
                    except RuntimeError:
                        time.sleep(0.2)
                elif code == "HOST_STILL_BOOTING":
                    time.sleep(0.2)
                else:
                    raise
        raise RuntimeError("the simulator stayed unavailable")

    def ref(self, cls, uuid):
        return self(cls + ".get_by_uuid", uuid)

    def uuid(self, cls, ref):
        return self(cls + ".get_uuid", ref)


class Base(unittest.TestCase):
    stack_args = dict(vms=24, hosts=3, workers=2, threads=4)

    @classmethod
    def setUpClass(cls):
        cls.s = Stack(**cls.stack_args)
        cls.x = Xapi(cls.s.sims[0])

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def setUp(self):
        self.s.sims[0].control("clear")

    def post(self, path, body=None, headers=None):
        return self.s.request("POST", path, token=self.s.token, body=body, headers=headers)

    def act(self, path, body=None):
        """POST the action (async), wait for its task; the task."""
        r = self.post(path, body)
        self.assertEqual(r.status, 202, r.body)
        t = self.s.get("/rest/v0/tasks/%s?wait=result" % r.json()["taskId"], token=self.s.token)
        self.assertEqual(t.status, 200, t.body)
        return t.json()

    def ok(self, path, body=None):
        t = self.act(path, body)
        self.assertEqual(t["status"], "success", t)
        return t

    def failed(self, path, body=None, code=None):
        t = self.act(path, body)
        self.assertEqual(t["status"], "failure", t)
        if code is not None:
            self.assertEqual(t["result"].get("code"), code, t["result"])
        return t

    def get(self, path):
        return self.s.api(path)

    def eventually(self, path, pred, what, timeout=20):
        wait_until(lambda: pred(self.s.api(path)), timeout, what)

    def master(self):
        pool = self.x("pool.get_all")[0]
        return self.x("pool.get_master", pool)

    def supporters(self):
        m = self.master()
        return sorted(h for h in self.x("host.get_all") if h != m)

    def local_disks(self, vm):
        out = []
        for vbd in self.x("VM.get_VBDs", vm):
            vdi = self.x("VBD.get_VDI", vbd)
            if vdi != NULL and not self.x("SR.get_shared", self.x("VDI.get_SR", vdi)):
                out.append(vdi)
        return out

    def guests(self, host):
        return [v for v in self.x("host.get_resident_VMs", host) if not self.x("VM.get_is_control_domain", v)]

    def empty_host(self, host):
        """Stop on `host` what cannot be evacuated (local disks, paused)."""
        for v in self.guests(host):
            if self.local_disks(v) or self.x("VM.get_power_state", v) == "Paused":
                self.s.sims[0].control("power", {"ref": v, "state": "Halted"})


class Hosts(Base):
    def host(self, ref):
        return self.get("/rest/v0/hosts/" + self.x.uuid("host", ref))

    def test_disable_then_enable(self):
        h = self.supporters()[0]
        hid = self.x.uuid("host", h)
        t = self.ok("/rest/v0/hosts/%s/actions/disable" % hid)
        self.assertEqual(t["properties"]["name"], "REST API: disable host")
        self.assertFalse(self.x("host.get_enabled", h))
        self.eventually("/rest/v0/hosts/" + hid, lambda o: o["enabled"] is False, "host disabled in the cache")
        self.ok("/rest/v0/hosts/%s/actions/enable" % hid)
        self.eventually("/rest/v0/hosts/" + hid, lambda o: o["enabled"] is True, "host enabled in the cache")

    def test_disable_and_evacuate_fails_on_local_storage_and_enables_again(self):
        h = self.supporters()[1]
        local_sr = [s for s in self.x("SR.get_all") if not self.x("SR.get_shared", s)
                    and any(self.x("PBD.get_host", p) == h for p in self.x("SR.get_PBDs", s))][0]
        vm = [v for v in self.x("VM.get_all") if not self.x("VM.get_is_a_template", v)
              and self.x("VM.get_power_state", v) == "Halted"
              and any(self.x("VDI.get_SR", self.x("VBD.get_VDI", b)) == local_sr
                      for b in self.x("VM.get_VBDs", v) if self.x("VBD.get_VDI", b) != NULL)]
        if not vm:
            self.skipTest("no halted VM on that host's local storage")
        for v in self.guests(h):   # paused VMs cannot migrate either: leave only the pinned one
            if self.x("VM.get_power_state", v) == "Paused":
                self.s.sims[0].control("power", {"ref": v, "state": "Halted"})
        self.s.sims[0].control("power", {"ref": vm[0], "state": "Running", "host": h})
        t = self.failed("/rest/v0/hosts/%s/actions/disable" % self.x.uuid("host", h), {"evacuate": True},
                        code="VM_REQUIRES_SR")
        self.assertTrue(self.x("host.get_enabled", h))            # XO enables it again
        self.assertEqual(self.x("VM.get_resident_on", vm[0]), h)
        self.s.sims[0].control("power", {"ref": vm[0], "state": "Halted"})

    def test_disable_and_evacuate_moves_the_vms(self):
        h = self.supporters()[1]
        self.empty_host(h)
        shared = [v for v in self.x("VM.get_all") if not self.x("VM.get_is_a_template", v)
                  and not self.x("VM.get_is_control_domain", v) and self.x("VM.get_power_state", v) == "Halted"
                  and not self.local_disks(v)][0]
        self.s.sims[0].control("power", {"ref": shared, "state": "Running", "host": h})
        vid = self.x.uuid("VM", shared)
        self.ok("/rest/v0/hosts/%s/actions/disable" % self.x.uuid("host", h), {"evacuate": True})
        self.assertEqual(self.guests(h), [])
        self.eventually("/rest/v0/vms/" + vid, lambda o: o["$container"] != self.x.uuid("host", h),
                        "the VM elsewhere in the cache")
        self.ok("/rest/v0/hosts/%s/actions/enable" % self.x.uuid("host", h))

    def test_clean_reboot_goes_down_and_comes_back(self):
        h = self.supporters()[0]
        hid = self.x.uuid("host", h)
        self.empty_host(h)
        before = self.host(h)["agentStartTime"]
        self.ok("/rest/v0/hosts/%s/actions/clean_reboot" % hid)
        self.eventually("/rest/v0/hosts/" + hid, lambda o: o["power_state"] == "Halted", "host down")
        self.eventually("/rest/v0/hosts/" + hid, lambda o: o["power_state"] == "Running" and o["enabled"]
                        and o["agentStartTime"] > before, "host back", timeout=30)
        self.assertEqual([v for v in self.guests(h) if self.x("VM.get_power_state", v) != "Halted"], [])

    def test_restart_toolstack_waits_for_the_new_agent(self):
        h = self.supporters()[1]
        before = self.host(h)["agentStartTime"]
        t = self.ok("/rest/v0/hosts/%s/actions/restart_toolstack" % self.x.uuid("host", h))
        self.assertEqual(t["properties"]["name"], "REST API: restart host's toolstack")
        self.assertGreater(float(self.x("host.get_other_config", h)["agent_start_time"]), before)

    def test_start_a_live_host_fails_and_shutdown_then_start(self):
        h = self.supporters()[0]
        hid = self.x.uuid("host", h)
        self.failed("/rest/v0/hosts/%s/actions/start" % hid, code="HOST_IS_LIVE")
        self.empty_host(h)
        self.x("host.set_power_on_mode", h, "wake-on-lan", {})
        self.ok("/rest/v0/hosts/%s/actions/clean_shutdown" % hid)
        self.eventually("/rest/v0/hosts/" + hid, lambda o: o["power_state"] == "Halted", "host down")
        time.sleep(1.5)
        self.assertEqual(self.host(h)["power_state"], "Halted")   # stays down
        self.ok("/rest/v0/hosts/%s/actions/start" % hid)
        self.eventually("/rest/v0/hosts/" + hid, lambda o: o["power_state"] == "Running" and o["enabled"],
                        "host up", timeout=30)

    def test_management_reconfigure_and_scan_pifs(self):
        h = self.supporters()[1]
        hid = self.x.uuid("host", h)
        pifs = {p: self.x("PIF.get_record", p) for p in self.x("host.get_PIFs", h)}
        eth0 = [p for p, r in pifs.items() if r["management"]][0]
        vlan100 = [p for p, r in pifs.items() if int(r["VLAN"]) == 100][0]
        foreign = self.x("host.get_management_interface", self.master())
        t = self.failed("/rest/v0/hosts/%s/actions/management_reconfigure" % hid,
                        {"pif": self.x.uuid("PIF", foreign)})
        self.assertIn("does not belong", t["result"]["message"])
        self.ok("/rest/v0/hosts/%s/actions/management_reconfigure" % hid, {"pif": self.x.uuid("PIF", vlan100)})
        self.eventually("/rest/v0/pifs/" + self.x.uuid("PIF", vlan100), lambda o: o["management"], "new management PIF")
        self.ok("/rest/v0/hosts/%s/actions/management_reconfigure" % hid, {"pif": self.x.uuid("PIF", eth0)})
        self.assertTrue(self.x("PIF.get_management", eth0))
        self.ok("/rest/v0/hosts/%s/actions/scan_pifs" % hid)

    def test_bad_params_unknown_host_and_an_injected_fault(self):
        h = self.supporters()[0]
        hid = self.x.uuid("host", h)
        before = len(self.get("/rest/v0/tasks"))
        r = self.post("/rest/v0/hosts/%s/actions/management_reconfigure" % hid, {})
        self.assertEqual(r.status, 422, r.body)
        self.assertIn("body.pif", r.json()["error"])
        r = self.post("/rest/v0/hosts/%s/actions/disable" % hid, {"evacuate": "yes"})
        self.assertEqual(r.status, 422, r.body)
        r = self.post("/rest/v0/hosts/00000000-0000-0000-0000-000000000000/actions/enable")
        self.assertEqual(r.status, 404, r.body)
        self.assertEqual(len(self.get("/rest/v0/tasks")), before)      # nothing started
        self.assertTrue(self.x("host.get_enabled", h))
        self.s.sims[0].control("fail", {"method": "host.disable", "error": ["HOST_OFFLINE", h]})
        r = self.post("/rest/v0/hosts/%s/actions/disable?sync=true" % hid)
        self.assertEqual(r.status, 500, r.body)
        self.assertEqual(r.json()["data"], {"code": "HOST_OFFLINE", "params": [h]})
        self.assertTrue(self.x("host.get_enabled", h))

    def test_detach_the_master_and_forget_a_live_host_fail(self):
        self.failed("/rest/v0/hosts/%s/actions/detach" % self.x.uuid("host", self.master()), code="INTERNAL_ERROR")
        h = self.supporters()[0]
        self.failed("/rest/v0/hosts/%s/actions/forget" % self.x.uuid("host", h), code="HOST_IS_LIVE")
        self.assertIn(h, self.x("host.get_all"))

    def test_smart_reboot_suspends_and_resumes(self):
        h = self.supporters()[1]
        self.empty_host(h)
        vm = [v for v in self.x("VM.get_all") if not self.x("VM.get_is_a_template", v)
              and not self.x("VM.get_is_control_domain", v) and self.x("VM.get_power_state", v) == "Halted"
              and not self.local_disks(v)][1]
        self.s.sims[0].control("power", {"ref": vm, "state": "Running", "host": h})
        self.s.sims[0].control("guest_metrics", {"ref": vm})
        hid = self.x.uuid("host", h)
        before = self.host(h)["agentStartTime"]
        self.ok("/rest/v0/hosts/%s/actions/smart_reboot" % hid)
        self.assertGreater(float(self.x("host.get_other_config", h)["agent_start_time"]), before)
        self.assertEqual(self.x("VM.get_power_state", vm), "Running")   # resumed after the reboot
        self.assertTrue(self.x("host.get_enabled", h))


class Storage(Base):
    def sr(self, type_):
        return [s for s in self.x("SR.get_all") if self.x("SR.get_type", s) == type_][0]

    def test_scan_and_reclaim_space(self):
        t = self.ok("/rest/v0/srs/%s/actions/scan" % self.x.uuid("SR", self.sr("nfs")))
        self.assertEqual(t["properties"]["name"], "REST API: SR scan")
        self.ok("/rest/v0/srs/%s/actions/reclaim_space" % self.x.uuid("SR", self.sr("lvmoiscsi")))
        t = self.failed("/rest/v0/srs/%s/actions/reclaim_space" % self.x.uuid("SR", self.sr("nfs")),
                        code="UnsupportedSRForTrim")
        self.assertIn("not supported", t["result"]["message"] + json.dumps(t["result"]))

    def eject_isos(self):
        for vdi in self.x("SR.get_VDIs", self.sr("iso")):
            for vbd in self.x("VDI.get_VBDs", vdi):
                self.x("VBD.eject", vbd)

    def test_an_injected_storage_fault_keeps_its_code(self):
        pbd = self.x("SR.get_PBDs", self.sr("nfs"))[0]
        self.s.sims[0].control("fail", {"method": "SR.scan", "error": ["SR_BACKEND_FAILURE_40", "", "scan failed"]})
        t = self.failed("/rest/v0/srs/%s/actions/scan" % self.x.uuid("SR", self.sr("nfs")),
                        code="SR_BACKEND_FAILURE_40")
        self.assertEqual(t["result"]["params"], ["", "scan failed"])
        self.assertTrue(self.x("PBD.get_currently_attached", pbd))

    def test_pbd_unplug_plug_and_in_use(self):
        self.eject_isos()
        pbd = self.x("SR.get_PBDs", self.sr("iso"))[0]
        pid = self.x.uuid("PBD", pbd)
        self.ok("/rest/v0/pbds/%s/actions/unplug" % pid)
        self.eventually("/rest/v0/pbds/" + pid, lambda o: o["attached"] is False, "PBD unplugged")
        self.ok("/rest/v0/pbds/%s/actions/plug" % pid)
        self.eventually("/rest/v0/pbds/" + pid, lambda o: o["attached"] is True, "PBD plugged")
        busy = [p for p in self.x("SR.get_PBDs", self.sr("nfs"))
                if any(self.x("VM.get_power_state", v) == "Running" for v in self.guests(self.x("PBD.get_host", p)))]
        self.failed("/rest/v0/pbds/%s/actions/unplug" % self.x.uuid("PBD", busy[0]), code="VDI_IN_USE")

    def test_sr_forget(self):
        nfs = self.x.uuid("SR", self.sr("nfs"))
        self.failed("/rest/v0/srs/%s/actions/forget" % nfs, code="VDI_IN_USE")
        self.eject_isos()
        iso = self.x.uuid("SR", self.sr("iso"))
        t = self.ok("/rest/v0/srs/%s/actions/forget" % iso)
        self.assertEqual(t["properties"]["name"], "REST API: forget sr")
        wait_until(lambda: self.s.get("/rest/v0/srs/" + iso, token=self.s.token).status == 404, 20, "SR gone")

    def running_vm_with(self, field):
        for v in self.x("VM.get_all"):
            if self.x("VM.get_is_a_template", v) or self.x("VM.get_is_control_domain", v):
                continue
            if self.x("VM.get_power_state", v) == "Running" and self.x("VM.get_" + field, v):
                return v
        self.skipTest("no running VM with " + field)

    def test_vbd_and_vif_disconnect_connect(self):
        vm = self.running_vm_with("VIFs")
        for cls, coll in (("VBD", "vbds"), ("VIF", "vifs")):
            dev = [d for d in self.x("VM.get_%ss" % cls, vm) if cls == "VIF" or self.x("VBD.get_type", d) == "Disk"]
            if not dev:
                continue
            did = self.x.uuid(cls, dev[0])
            self.ok("/rest/v0/%s/%s/actions/disconnect" % (coll, did))
            self.eventually("/rest/v0/%s/%s" % (coll, did), lambda o: o["attached"] is False, cls + " detached")
            self.ok("/rest/v0/%s/%s/actions/connect" % (coll, did))
            self.eventually("/rest/v0/%s/%s" % (coll, did), lambda o: o["attached"] is True, cls + " attached")
        halted = [v for v in self.x("VM.get_all") if not self.x("VM.get_is_a_template", v)
                  and self.x("VM.get_power_state", v) == "Halted" and self.x("VM.get_VIFs", v)][0]
        self.failed("/rest/v0/vifs/%s/actions/connect" % self.x.uuid("VIF", self.x("VM.get_VIFs", halted)[0]),
                    code="VM_BAD_POWER_STATE")

    def test_vdi_migrate_live_and_offline(self):
        iscsi, nfs = self.sr("lvmoiscsi"), self.sr("nfs")
        for state in ("Running", "Halted"):
            cands = [(v, b) for v in self.x("VM.get_all") if not self.x("VM.get_is_a_template", v)
                     and not self.x("VM.get_is_control_domain", v) and self.x("VM.get_power_state", v) == state
                     for b in self.x("VM.get_VBDs", v) if self.x("VBD.get_type", b) == "Disk"
                     and self.x("VBD.get_VDI", b) != NULL and self.x("VDI.get_SR", self.x("VBD.get_VDI", b)) == nfs]
            if not cands:
                continue
            vm, vbd = cands[0]
            vdi = self.x("VBD.get_VDI", vbd)
            r = self.post("/rest/v0/vdis/%s/actions/migrate?sync=true" % self.x.uuid("VDI", vdi),
                          {"srId": self.x.uuid("SR", iscsi)})
            self.assertIn(r.status, (200, 201), r.body)
            new = r.json()["id"]
            self.assertEqual(self.x("VDI.get_SR", self.x.ref("VDI", new)), iscsi)
            self.assertEqual(self.x("VBD.get_VDI", vbd) if self.x("VM.get_power_state", vm) == "Running"
                             else self.x.ref("VDI", new), self.x.ref("VDI", new))
            self.eventually("/rest/v0/vdis/" + new, lambda o: o["$SR"] == self.x.uuid("SR", iscsi), "VDI on iSCSI")
        self.failed("/rest/v0/vdis/%s/actions/migrate" % self.x.uuid("VDI", self.x("SR.get_VDIs", nfs)[0]),
                    {"srId": "00000000-0000-0000-0000-000000000000"}, code="UUID_INVALID")


class Vms(Base):
    def shared_vm(self, state, n=0):
        return [v for v in self.x("VM.get_all") if not self.x("VM.get_is_a_template", v)
                and not self.x("VM.get_is_control_domain", v) and self.x("VM.get_power_state", v) == state
                and not self.local_disks(v)][n]

    def test_migrate_within_the_pool(self):
        vm = self.shared_vm("Running")
        src = self.x("VM.get_resident_on", vm)
        dst = [h for h in self.x("host.get_all") if h != src][0]
        vid = self.x.uuid("VM", vm)
        t = self.ok("/rest/v0/vms/%s/actions/migrate" % vid, {"hostId": self.x.uuid("host", dst)})
        self.assertEqual(t["properties"]["name"], "REST API: Migrate VM")
        self.eventually("/rest/v0/vms/" + vid, lambda o: o["$container"] == self.x.uuid("host", dst), "VM moved")
        halted = self.shared_vm("Halted")
        self.failed("/rest/v0/vms/%s/actions/migrate" % self.x.uuid("VM", halted),
                    {"hostId": self.x.uuid("host", dst)}, code="VM_BAD_POWER_STATE")

    def test_migrate_with_storage_motion(self):
        local = [v for v in self.x("VM.get_all") if not self.x("VM.get_is_a_template", v)
                 and not self.x("VM.get_is_control_domain", v) and self.x("VM.get_power_state", v) == "Running"
                 and self.local_disks(v)]
        if not local:
            self.skipTest("no running VM on local storage")
        vm = local[0]
        dst = [h for h in self.x("host.get_all") if h != self.x("VM.get_resident_on", vm)][0]
        nfs = [s for s in self.x("SR.get_all") if self.x("SR.get_type", s) == "nfs"][0]
        self.ok("/rest/v0/vms/%s/actions/migrate" % self.x.uuid("VM", vm),
                {"hostId": self.x.uuid("host", dst), "srId": self.x.uuid("SR", nfs)})
        self.assertEqual(self.x("VM.get_resident_on", vm), dst)
        self.assertEqual(self.local_disks(vm), [])

    def test_revert_snapshot(self):
        vm = self.shared_vm("Halted", 1)
        vid = self.x.uuid("VM", vm)
        snap = self.x("VM.snapshot", vm, "before")
        self.x("VM.set_name_description", vm, "changed after the snapshot")
        other = self.x("VM.snapshot", self.shared_vm("Halted", 2), "someone else's")
        t = self.failed("/rest/v0/vms/%s/actions/revert_snapshot" % vid, {"snapshotId": self.x.uuid("VM", other)})
        self.assertIn("does not belong", t["result"]["message"])
        n_snaps = len(self.x("VM.get_snapshots", vm))
        t = self.ok("/rest/v0/vms/%s/actions/revert_snapshot" % vid,
                    {"snapshotId": self.x.uuid("VM", snap), "snapshotBefore": True})
        self.assertEqual(t["properties"]["name"], "REST API: revert VM snapshot")
        self.assertEqual(len(self.x("VM.get_snapshots", vm)), n_snaps + 1)
        self.assertNotEqual(self.x("VM.get_name_description", vm), "changed after the snapshot")
        self.eventually("/rest/v0/vms/" + vid, lambda o: o["name_description"] != "changed after the snapshot",
                        "reverted description in the cache")


class PoolNetworks(Base):
    def pool_id(self):
        return self.x.uuid("pool", self.x("pool.get_all")[0])

    def test_create_network_with_a_vlan_and_an_internal_one(self):
        eth0 = [p for p in self.x("host.get_PIFs", self.master())
                if self.x("PIF.get_device", p) == "eth0" and int(self.x("PIF.get_VLAN", p)) == -1][0]
        r = self.post("/rest/v0/pools/%s/actions/create_network?sync=true" % self.pool_id(),
                      {"name": "vlan 42", "pif": self.x.uuid("PIF", eth0), "vlan": 42, "nbd": True})
        self.assertEqual(r.status, 201, r.body)
        nid = r.json()["id"]
        self.assertEqual(r.headers["Location"], "/rest/v0/networks/" + nid)
        net = self.x.ref("network", nid)
        pifs = self.x("network.get_PIFs", net)
        self.assertEqual(len(pifs), len(self.x("host.get_all")))
        self.assertEqual({int(self.x("PIF.get_VLAN", p)) for p in pifs}, {42})
        self.assertEqual(self.x("network.get_purpose", net), ["nbd"])
        self.eventually("/rest/v0/networks/" + nid, lambda o: o["name_label"] == "vlan 42", "network in the cache")
        r = self.post("/rest/v0/pools/%s/actions/create_network" % self.pool_id(),
                      {"name": "bad", "pif": self.x.uuid("PIF", eth0), "vlan": 5000})
        self.assertEqual(r.status, 422, r.body)
        self.assertIn("body.vlan", r.json()["error"])
        r = self.post("/rest/v0/pools/%s/actions/create_internal_network?sync=true" % self.pool_id(),
                      {"name": "private", "mtu": 9000})
        self.assertEqual(r.status, 201, r.body)
        inet = self.x.ref("network", r.json()["id"])
        self.assertEqual((self.x("network.get_PIFs", inet), int(self.x("network.get_MTU", inet))), ([], 9000))
        self.assertEqual(self.x("network.get_name_description", inet), "Created with Xen Orchestra")
        # a VLAN tag taken on that NIC: the task fails and the new network is removed again
        before = len(self.x("network.get_all"))
        t = self.failed("/rest/v0/pools/%s/actions/create_network" % self.pool_id(),
                        {"name": "dup", "pif": self.x.uuid("PIF", eth0), "vlan": 42}, code="PIF_VLAN_EXISTS")
        self.assertEqual(len(self.x("network.get_all")), before)
        del t

    def test_create_bonded_network(self):
        for h in self.x("host.get_all"):   # free eth1 and eth2 of the inventory's bond
            for bond_master in [p for p in self.x("host.get_PIFs", h) if self.x("PIF.get_bond_master_of", p)]:
                for v in self.x("PIF.get_VLAN_slave_of", bond_master):
                    self.x("VLAN.destroy", v)
                for b in self.x("PIF.get_bond_master_of", bond_master):
                    self.x("Bond.destroy", b)
        m = self.master()
        nics = {self.x("PIF.get_device", p): p for p in self.x("host.get_PIFs", m)}
        r = self.post("/rest/v0/pools/%s/actions/create_bonded_network?sync=true" % self.pool_id(),
                      {"name": "bonded", "pifIds": [self.x.uuid("PIF", nics["eth1"]), self.x.uuid("PIF", nics["eth2"])],
                       "bondMode": "lacp"})
        self.assertEqual(r.status, 201, r.body)
        net = self.x.ref("network", r.json()["id"])
        masters = self.x("network.get_PIFs", net)
        self.assertEqual(len(masters), len(self.x("host.get_all")))
        for p in masters:
            bond = self.x("PIF.get_bond_master_of", p)[0]
            self.assertEqual(self.x("Bond.get_mode", bond), "lacp")
            self.assertEqual(len(self.x("Bond.get_slaves", bond)), 2)
        r = self.post("/rest/v0/pools/%s/actions/create_bonded_network" % self.pool_id(),
                      {"name": "x", "pifIds": [], "bondMode": "nope"})
        self.assertEqual(r.status, 422, r.body)

    def test_pool_management_reconfigure(self):
        mgmt = self.x("PIF.get_network", self.x("host.get_management_interface", self.master()))
        self.ok("/rest/v0/pools/%s/actions/management_reconfigure" % self.pool_id(),
                {"network": self.x.uuid("network", mgmt)})
        private = [n for n in self.x("network.get_all") if not self.x("network.get_PIFs", n)][0]
        self.failed("/rest/v0/pools/%s/actions/management_reconfigure" % self.pool_id(),
                    {"network": self.x.uuid("network", private)}, code="HOST_CANNOT_ATTACH_NETWORK")


class Rolling(Base):
    """Rolling reboot and update of a two-host pool: master first, sub-task per host."""
    stack_args = dict(vms=6, hosts=2, workers=2, threads=4)

    def prepare(self):
        for h in self.x("host.get_all"):
            self.empty_host(h)

    def test_rolling_update_then_reboot(self):
        self.prepare()
        pool = self.x.uuid("pool", self.x("pool.get_all")[0])
        before = {h: float(self.x("host.get_other_config", h)["agent_start_time"]) for h in self.x("host.get_all")}
        t = self.ok("/rest/v0/pools/%s/actions/rolling_update" % pool)
        self.assertEqual(t["properties"]["name"], "REST API: rolling pool update")
        names = json.dumps(t.get("tasks", []))
        for h in self.x("host.get_all"):
            self.assertGreater(float(self.x("host.get_other_config", h)["agent_start_time"]), before[h])
            self.assertIn("Restarting host " + self.x.uuid("host", h), names)
            self.assertEqual(self.x("host.call_plugin", h, "updater.py", "check_update", {}), "[]")
        self.assertEqual(t.get("progress"), 100)
        # Sub-tasks nest as XO's: the run, a task per host (hostId, hostName), its steps inside.
        run = [x for x in t["tasks"] if x["properties"]["name"] == "Updating and rebooting"]
        self.assertEqual(len(run), 1, t["tasks"])
        per_host = run[0]["tasks"]
        self.assertEqual(sorted(x["properties"]["hostId"] for x in per_host),
                         sorted(self.x.uuid("host", h) for h in self.x("host.get_all")))
        for x in per_host:
            self.assertEqual(x["properties"]["name"], "Restarting host " + x["properties"]["hostId"])
            self.assertIn("hostName", x["properties"])
            self.assertEqual(x["status"], "success")
            steps = [y["properties"]["name"] for y in x["tasks"]]
            for step in ("Evacuate", "Installing patches", "Restart", "Waiting for host to be up"):
                self.assertIn(step, steps)
        # nothing left to install: a second rolling update reboots nobody
        again = {h: float(self.x("host.get_other_config", h)["agent_start_time"]) for h in self.x("host.get_all")}
        self.ok("/rest/v0/pools/%s/actions/rolling_update" % pool)
        self.assertEqual(again, {h: float(self.x("host.get_other_config", h)["agent_start_time"])
                                 for h in self.x("host.get_all")})
        t = self.ok("/rest/v0/pools/%s/actions/rolling_reboot" % pool)
        self.assertIn("Restarting host", json.dumps(t.get("tasks", [])))

    def test_abort_stops_a_rolling_reboot_between_steps(self):
        self.prepare()
        pool = self.x.uuid("pool", self.x("pool.get_all")[0])
        before = {h: self.x("host.get_other_config", h)["agent_start_time"] for h in self.x("host.get_all")}
        self.s.sims[0].control("hang", {"method": "host.assert_can_evacuate", "count": -1})
        r = self.post("/rest/v0/pools/%s/actions/rolling_reboot" % pool)
        self.assertEqual(r.status, 202, r.body)
        task_id = r.json()["taskId"]
        wait_until(lambda: "Restarting hosts" in json.dumps(self.s.api("/rest/v0/tasks/" + task_id)), 20,
                   "the run at its first host")
        r = self.post("/rest/v0/tasks/%s/actions/abort" % task_id)   # no XAPI task to cancel now
        self.assertEqual(r.status, 202, r.body)
        wait_until(lambda: "abortionRequestedAt" in self.s.api("/rest/v0/tasks/" + task_id), 10, "the abort")
        self.s.sims[0].control("release", {"method": "host.assert_can_evacuate"})
        t = self.s.get("/rest/v0/tasks/%s?wait=result" % task_id, token=self.s.token).json()
        self.assertEqual(t["status"], "failure", t)
        self.assertIn("abort", t["result"]["message"])
        for h in self.x("host.get_all"):   # nobody evacuated or rebooted
            self.assertTrue(self.x("host.get_enabled", h))
            self.assertEqual(self.x("host.get_other_config", h)["agent_start_time"], before[h])

    def test_rolling_reboot_refused_when_a_vm_cannot_move(self):
        m = self.master()
        vm = [v for v in self.x("VM.get_all") if not self.x("VM.get_is_a_template", v)
              and not self.x("VM.get_is_control_domain", v) and self.local_disks(v)]
        if not vm:
            self.skipTest("no VM on local storage")
        host = [h for h in self.x("host.get_all") if any(
            self.x("PBD.get_host", p) == h for p in self.x("SR.get_PBDs", self.x("VDI.get_SR", self.local_disks(vm[0])[0])))][0]
        self.s.sims[0].control("power", {"ref": vm[0], "state": "Running", "host": host})
        pool = self.x.uuid("pool", self.x("pool.get_all")[0])
        self.failed("/rest/v0/pools/%s/actions/rolling_reboot" % pool, code="CANNOT_EVACUATE_HOST")
        self.s.sims[0].control("power", {"ref": vm[0], "state": "Halted"})
        del m


class Emergency(Base):
    stack_args = dict(vms=6, hosts=2, workers=2, threads=4)

    def test_pool_emergency_shutdown_suspends_and_stops_every_host(self):
        pool = self.x.uuid("pool", self.x("pool.get_all")[0])
        running = [v for v in self.x("VM.get_all") if not self.x("VM.get_is_control_domain", v)
                   and self.x("VM.get_power_state", v) == "Running"]
        t = self.ok("/rest/v0/pools/%s/actions/emergency_shutdown" % pool)
        self.assertEqual(t["properties"]["name"], "REST API: pool emergency shutdown")
        for v in running:
            self.assertEqual(self.x("VM.get_power_state", v), "Suspended")
        for h in self.supporters():
            wait_until(lambda: not self.x("host_metrics.get_live", self.x("host.get_metrics", h)), 20, "host down")
            self.assertFalse(self.x("host.get_enabled", h))


class CreateVm(Base):
    stack_args = dict(vms=6, hosts=2, workers=2, threads=4)

    def test_create_vm_with_disks_vifs_cd_cloud_init_and_boot(self):
        pool = self.x.uuid("pool", self.x("pool.get_all")[0])
        tpl = [v for v in self.x("VM.get_all") if self.x("VM.get_name_label", v) == "Custom template 1"][0]
        mgmt = self.x("PIF.get_network", self.x("host.get_management_interface", self.master()))
        iso = [v for v in self.x("VDI.get_all") if self.x("VDI.get_name_label", v) == "debian-12.iso"][0]
        nfs = [s for s in self.x("SR.get_all") if self.x("SR.get_type", s) == "nfs"][0]
        body = {"name_label": "made by create_vm", "template": self.x.uuid("VM", tpl), "name_description": "",
                "memory": 2 << 30, "cpus": 2, "boot": True, "autoPoweron": True,
                "vdis": [{"name_label": "data", "size": 1 << 30, "sr": self.x.uuid("SR", nfs)}],
                "vifs": [{"network": self.x.uuid("network", mgmt)}],
                "install": {"method": "cdrom", "repository": self.x.uuid("VDI", iso)},
                "cloud_config": "#cloud-config\nhostname: made\n", "network_config": "version: 1\n"}
        r = self.post("/rest/v0/pools/%s/actions/create_vm?sync=true" % pool, body)
        self.assertEqual(r.status, 201, r.body)
        vid = r.json()["id"]
        self.assertEqual(r.headers["Location"], "/rest/v0/vms/" + vid)
        vm = self.x.ref("VM", vid)
        rec = self.x("VM.get_record", vm)
        self.assertEqual((rec["name_label"], rec["is_a_template"], rec["power_state"]), ("made by create_vm", False, "Running"))
        self.assertEqual((int(rec["VCPUs_max"]), int(rec["memory_dynamic_max"])), (2, 2 << 30))
        self.assertEqual(rec["other_config"].get("auto_poweron"), "true")
        self.assertTrue(rec["HVM_boot_params"].get("order", "").startswith("d"))
        disks = {}
        for b in rec["VBDs"]:
            vbd = self.x("VBD.get_record", b)
            if vbd["VDI"] != NULL:
                disks[self.x("VDI.get_name_label", vbd["VDI"])] = (vbd["type"], vbd["VDI"])
        self.assertEqual(disks["debian-12.iso"][0], "CD")
        self.assertIn("data", disks)
        self.assertIn("template disk 0", disks)
        self.assertEqual(len(rec["VIFs"]), 2)   # the template's and ours
        drive = disks["XO CloudConfigDrive"][1]
        self.assertEqual(int(self.x("VDI.get_virtual_size", drive)), 10 << 20)
        state = self.s.sims[0].control("info")["state_dir"]
        img = os.path.join(state, self.x.uuid("VDI", drive) + ".raw")
        out = subprocess.run(["mtype", "-i", img, "::user-data"], capture_output=True, text=True)
        self.assertEqual(out.stdout, "#cloud-config\nhostname: made\n", out.stderr)
        out = subprocess.run(["mtype", "-i", img, "::meta-data"], capture_output=True, text=True)
        self.assertEqual(out.stdout, "instance-id: %s\n" % vid)
        self.eventually("/rest/v0/vms/" + vid, lambda o: o["power_state"] == "Running", "new VM in the cache")

    def test_create_vm_failures_leave_nothing_behind(self):
        pool = self.x.uuid("pool", self.x("pool.get_all")[0])
        tpl = [v for v in self.x("VM.get_all") if self.x("VM.get_name_label", v) == "Custom template 2"][0]
        before = len(self.x("VM.get_all"))
        disks_before = len(self.x("VDI.get_all"))
        r = self.post("/rest/v0/pools/%s/actions/create_vm" % pool, {"template": self.x.uuid("VM", tpl)})
        self.assertEqual(r.status, 422, r.body)
        self.assertIn("body.name_label", r.json()["error"])
        t = self.failed("/rest/v0/pools/%s/actions/create_vm" % pool,
                        {"name_label": "x", "template": self.x.uuid("VM", tpl), "vdis": [{"name_label": "no size"}]})
        self.assertIn("body.vdis[0].size", t["result"]["message"])
        self.failed("/rest/v0/pools/%s/actions/create_vm" % pool,
                    {"name_label": "x", "template": "00000000-0000-0000-0000-000000000000"}, code="UUID_INVALID")
        # a failure after the clone (an unknown network) removes the new VM again
        t = self.failed("/rest/v0/pools/%s/actions/create_vm" % pool,
                        {"name_label": "rolled back", "template": self.x.uuid("VM", tpl),
                         "vifs": [{"network": "00000000-0000-0000-0000-000000000000"}]}, code="UUID_INVALID")
        self.assertEqual(len(self.x("VM.get_all")), before)
        self.assertEqual(len(self.x("VDI.get_all")), disks_before)   # the clone's disk went too

    def test_create_vm_security_and_availability_options(self):
        pool = self.x.uuid("pool", self.x("pool.get_all")[0])
        tpl = [v for v in self.x("VM.get_all") if self.x("VM.get_name_label", v) == "Custom template 1"][0]
        # xapi fills in BIOS strings only when a VM has none (templates usually have none)
        self.s.sims[0].control("set", {"class": "VM", "ref": tpl, "field": "bios_strings", "value": {}})
        body = {"name_label": "secure", "template": self.x.uuid("VM", tpl), "hvmBootFirmware": "uefi",
                "secureBoot": True, "createVtpm": True, "copyHostBiosStrings": True,
                "high_availability": "restart"}
        r = self.post("/rest/v0/pools/%s/actions/create_vm?sync=true" % pool, body)
        self.assertEqual(r.status, 201, r.body)
        rec = self.x("VM.get_record", self.x.ref("VM", r.json()["id"]))
        self.assertEqual(rec["platform"].get("secureboot"), "true")
        self.assertEqual(rec["HVM_boot_params"].get("firmware"), "uefi")
        self.assertEqual(len(rec["VTPMs"]), 1)
        self.assertEqual(rec["bios_strings"], self.x("host.get_bios_strings", self.master()))
        self.assertEqual((rec["ha_restart_priority"], rec["ha_always_run"]), ("restart", True))
        # A template whose VMs already have BIOS strings: XAPI's refusal, nothing left behind.
        before = len(self.x("VM.get_all"))
        tpl2 = [v for v in self.x("VM.get_all") if self.x("VM.get_name_label", v) == "Custom template 2"][0]
        self.s.sims[0].control("set", {"class": "VM", "ref": tpl2, "field": "bios_strings",
                                       "value": {"bios-vendor": "Xen"}})
        self.failed("/rest/v0/pools/%s/actions/create_vm" % pool,
                    {"name_label": "x", "template": self.x.uuid("VM", tpl2), "copyHostBiosStrings": True},
                    code="VM_BIOS_STRINGS_ALREADY_SET")
        self.assertEqual(len(self.x("VM.get_all")), before)
        r = self.post("/rest/v0/pools/%s/actions/create_vm" % pool,
                      {"name_label": "x", "template": self.x.uuid("VM", tpl2), "high_availability": "always"})
        self.assertEqual(r.status, 422, r.body)

    def test_create_vm_with_a_vgpu(self):
        pool = self.x.uuid("pool", self.x("pool.get_all")[0])
        tpl = [v for v in self.x("VM.get_all") if self.x("VM.get_name_label", v) == "Custom template 1"][0]
        group = [g for g in self.x("GPU_group.get_all") if "Tesla" in self.x("GPU_group.get_name_label", g)][0]
        vgpu_type = self.x("VGPU_type.get_all")[0]
        body = {"name_label": "with a vgpu", "template": self.x.uuid("VM", tpl),
                "gpuGroup": self.x.uuid("GPU_group", group), "vgpuType": self.x.uuid("VGPU_type", vgpu_type)}
        r = self.post("/rest/v0/pools/%s/actions/create_vm?sync=true" % pool, body)
        self.assertEqual(r.status, 201, r.body)
        vm = self.x.ref("VM", r.json()["id"])
        vgpus = self.x("VM.get_VGPUs", vm)
        self.assertEqual(len(vgpus), 1)
        rec = self.x("VGPU.get_record", vgpus[0])
        self.assertEqual((rec["GPU_group"], rec["type"], rec["device"]), (group, vgpu_type, "0"))
        # One without the other: nothing is created, the task names the missing one.
        before = len(self.x("VM.get_all"))
        t = self.failed("/rest/v0/pools/%s/actions/create_vm" % pool,
                        {"name_label": "x", "template": self.x.uuid("VM", tpl), "gpuGroup": body["gpuGroup"]})
        self.assertIn("body.vgpuType", t["result"]["message"])
        # An unknown type: XAPI's refusal, the new VM rolled back.
        self.failed("/rest/v0/pools/%s/actions/create_vm" % pool,
                    {"name_label": "x", "template": self.x.uuid("VM", tpl), "gpuGroup": body["gpuGroup"],
                     "vgpuType": "00000000-0000-0000-0000-000000000000"}, code="UUID_INVALID")
        self.assertEqual(len(self.x("VM.get_all")), before)
        r = self.post("/rest/v0/pools/%s/actions/create_vm" % pool,
                      {"name_label": "x", "template": self.x.uuid("VM", tpl), "gpuGroup": 3})
        self.assertEqual(r.status, 422, r.body)


class CrossPool(Base):
    """A VM migrated to a host of the other configured pool."""
    stack_args = dict(vms=6, hosts=2, pools=2, workers=2, threads=4)

    def test_migrate_to_the_other_pool(self):
        other = Xapi(self.s.sims[1])
        vm = [v for v in self.x("VM.get_all") if not self.x("VM.get_is_a_template", v)
              and not self.x("VM.get_is_control_domain", v) and self.x("VM.get_power_state", v) == "Running"
              and not self.local_disks(v)][0]
        vid, name = self.x.uuid("VM", vm), self.x("VM.get_name_label", vm)
        n_disks = len([b for b in self.x("VM.get_VBDs", vm) if self.x("VBD.get_type", b) == "Disk"
                       and self.x("VBD.get_VDI", b) != NULL])
        host = other("host.get_all")[0]
        nfs = [s for s in other("SR.get_all") if other("SR.get_type", s) == "nfs"][0]
        t = self.ok("/rest/v0/vms/%s/actions/migrate" % vid,
                    {"hostId": other.uuid("host", host), "srId": other.uuid("SR", nfs)})
        self.assertIn("cross-pool", json.dumps(t.get("infos", [])))
        moved = other.ref("VM", vid)                      # same uuid on the other side
        rec = other("VM.get_record", moved)
        self.assertEqual((rec["name_label"], rec["power_state"], rec["resident_on"]), (name, "Running", host))
        self.assertEqual(len([b for b in rec["VBDs"] if other("VBD.get_type", b) == "Disk"]), n_disks)
        for b in rec["VBDs"]:
            if other("VBD.get_type", b) == "Disk":
                self.assertEqual(other("VDI.get_SR", other("VBD.get_VDI", b)), nfs)
        self.assertNotIn(vm, self.x("VM.get_all"))
        pool1 = other.uuid("pool", other("pool.get_all")[0])
        self.eventually("/rest/v0/vms/" + vid, lambda o: o["$pool"] == pool1, "the VM in the other pool", timeout=30)
        # a host no configured pool knows
        self.failed("/rest/v0/vms/%s/actions/migrate" % vid, {"hostId": "00000000-0000-0000-0000-000000000000"},
                    code="UUID_INVALID")
        self.assertEqual(other("VM.get_resident_on", moved), host)


if __name__ == "__main__":
    unittest.main()
