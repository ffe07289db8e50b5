"""The XAPI calls behind the gateway's actions (issue 9): host administration, evacuation,
reboot/shutdown/power-on, migration (pool_migrate, migrate_send with storage motion,
cross-pool to a second simulator, VDI.pool_migrate), revert, PBD/SR, bonds and VLANs,
the trim plugin, and the hang fault. Each test checks XAPI's rule and exact error."""
import time
import unittest

from simharness import Sim, SimTestCase, FailsMixin

NULL = "OpaqueRef:NULL"


def wait(pred, timeout=10, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class Helpers:
    def master(self):
        return self.sim.call("pool.get_master", self.sim.call("pool.get_all")[0])

    def others(self):
        m = self.master()
        return sorted(h for h in self.sim.call("host.get_all") if h != m)

    def guests(self, host):
        return [v for v in self.sim.call("host.get_resident_VMs", host)
                if not self.sim.call("VM.get_is_control_domain", v)]

    def clear_host(self, host):
        """Stop what cannot leave the host, then evacuate it."""
        for v in self.guests(host):
            if self.sim.local_disks(v) or self.sim.call("VM.get_power_state", v) == "Paused":
                self.sim.call("VM.hard_shutdown", v)
        self.sim.call("host.evacuate", host)


class Hosts(Helpers, SimTestCase):
    sim_args = ("--vms", "24", "--hosts", "3", "--seed", "7", "--op-delay", "0.1")

    def test_reboot_needs_disabled_and_empty_host(self):
        h = self.others()[0]
        self.assertFails(["HOST_NOT_DISABLED"], self.sim.call, "host.reboot", h)
        self.assertNotIn("reboot", self.sim.call("host.get_allowed_operations", h))
        self.sim.call("host.disable", h)
        self.assertIn("reboot", self.sim.call("host.get_allowed_operations", h))
        running = [v for v in self.guests(h) if self.sim.call("VM.get_power_state", v) == "Running"]
        if not running:
            vm = self.sim.vm_shared("Halted")[0]
            self.sim.call("host.enable", h)
            self.sim.call("VM.start_on", vm, h, False, False)
            self.sim.call("host.disable", h)
            running = [vm]
        desc = self.assertFails(["HOST_IN_USE", h, "vm"], self.sim.call, "host.reboot", h)
        self.assertIn(desc[3], running)
        self.sim.call("host.enable", h)

    def test_reboot_cycle(self):
        h = self.others()[1]
        self.sim.call("host.disable", h)
        self.clear_host(h)
        self.assertEqual([v for v in self.guests(h)
                          if self.sim.call("VM.get_power_state", v) != "Halted"], [])
        metrics = self.sim.call("host.get_metrics", h)
        before = float(self.sim.call("host.get_other_config", h)["agent_start_time"])
        task = self.sim.call("Async.host.reboot", h)
        self.assertIn("reboot", self.sim.call("host.get_current_operations", h).values())
        self.assertEqual(self.sim.wait_task(task)["status"], "success")
        wait(lambda: not self.sim.call("host_metrics.get_live", metrics), what="host down")
        pbds = self.sim.call("host.get_PBDs", h)
        self.assertFalse(any(self.sim.call("PBD.get_currently_attached", p) for p in pbds))
        self.assertFails(["HOST_OFFLINE", h], self.sim.call, "host.enable", h)
        wait(lambda: self.sim.call("host_metrics.get_live", metrics), what="host up")
        rec = self.sim.call("host.get_record", h)
        self.assertTrue(rec["enabled"])
        self.assertGreater(float(rec["other_config"]["agent_start_time"]), before)
        self.assertEqual(rec["current_operations"], {})
        self.assertTrue(all(self.sim.call("PBD.get_currently_attached", p) for p in pbds))

    def test_shutdown_and_power_on(self):
        h = self.others()[0]
        self.assertFails(["HOST_IS_LIVE", h], self.sim.call, "host.power_on", h)
        self.sim.call("host.disable", h)
        self.clear_host(h)
        metrics = self.sim.call("host.get_metrics", h)
        self.sim.call("host.shutdown", h)
        wait(lambda: not self.sim.call("host_metrics.get_live", metrics), what="host down")
        time.sleep(1.0)
        self.assertFalse(self.sim.call("host_metrics.get_live", metrics))   # stays down
        self.assertFails(["HOST_POWER_ON_MODE_DISABLED"], self.sim.call, "host.power_on", h)
        self.sim.call("host.set_power_on_mode", h, "wake-on-lan", {})
        self.assertIn("power_on", self.sim.call("host.get_allowed_operations", h))
        self.sim.call("host.power_on", h)
        wait(lambda: self.sim.call("host_metrics.get_live", metrics), what="host up")
        self.assertTrue(self.sim.call("host.get_enabled", h))

    def test_evacuation_plan_and_errors(self):
        h = self.others()[0]
        local = [v for v in self.guests(h) if self.sim.local_disks(v)
                 and self.sim.call("VM.get_power_state", v) == "Running"]
        if not local:
            self.skipTest("no running VM on local storage on this host")
        prevent = self.sim.call("host.get_vms_which_prevent_evacuation", h)
        self.assertEqual(prevent[local[0]][0], "VM_REQUIRES_SR")
        desc = self.assertFails(["CANNOT_EVACUATE_HOST"], self.sim.call, "host.assert_can_evacuate", h)
        self.assertIn("VM_REQUIRES_SR," + local[0], desc[1])
        self.assertFails(["VM_REQUIRES_SR", local[0]], self.sim.call, "host.evacuate", h)
        self.assertEqual(self.sim.call("VM.get_resident_on", local[0]), h)

    def test_evacuate_moves_vms_with_events_and_progress(self):
        h = self.others()[1]
        self.sim.call("host.disable", h)
        for v in self.guests(h):
            if self.sim.local_disks(v) or self.sim.call("VM.get_power_state", v) == "Paused":
                self.sim.call("VM.hard_shutdown", v)
        vm = self.sim.vm_shared("Halted")[1]
        self.sim.call("host.enable", h)
        self.sim.call("VM.start_on", vm, h, False, False)
        self.sim.call("host.disable", h)
        tok = self.sim.call("event.from", ["vm"], "", 0.0)["token"]
        task = self.sim.call("Async.host.evacuate", h)
        self.assertEqual(self.sim.wait_task(task)["status"], "success")
        target = self.sim.call("VM.get_resident_on", vm)
        self.assertNotIn(target, (h, NULL))
        moved = [e for e in self.sim.call("event.from", ["vm"], tok, 1.0)["events"]
                 if e["ref"] == vm and e["snapshot"]["resident_on"] == target]
        self.assertTrue(moved)
        self.assertEqual(self.guests(h), [])
        self.sim.call("host.enable", h)

    def test_forget_and_eject(self):
        m = self.master()
        self.assertFails(["HOST_IS_LIVE", m], self.sim.call, "host.destroy", m)
        self.assertFails(["INTERNAL_ERROR"], self.sim.call, "pool.eject", m)
        h = self.others()[0]
        self.assertFails(["HOST_IS_LIVE", h], self.sim.call, "host.destroy", h)

    def test_management_reconfigure(self):
        h = self.others()[0]
        pifs = {p: self.sim.call("PIF.get_record", p) for p in self.sim.call("host.get_PIFs", h)}
        mgmt = [p for p, r in pifs.items() if r["management"]][0]
        vlan100 = [p for p, r in pifs.items() if int(r["VLAN"]) == 100][0]
        nocfg = [p for p, r in pifs.items() if r["ip_configuration_mode"] == "None"][0]
        self.assertFails(["PIF_HAS_NO_NETWORK_CONFIGURATION", nocfg],
                         self.sim.call, "host.management_reconfigure", nocfg)
        self.sim.call("host.management_reconfigure", vlan100)
        self.assertTrue(self.sim.call("PIF.get_management", vlan100))
        self.assertFalse(self.sim.call("PIF.get_management", mgmt))
        self.assertEqual(self.sim.call("host.get_management_interface", h), vlan100)
        self.sim.call("pool.management_reconfigure", self.sim.call("PIF.get_network", mgmt))
        self.assertTrue(self.sim.call("PIF.get_management", mgmt))
        self.sim.call("PIF.scan", h)

    def test_restart_agent_on_supporter_and_ha(self):
        h = self.others()[0]
        before = self.sim.call("host.get_other_config", h)["agent_start_time"]
        self.sim.call("host.restart_agent", h)
        wait(lambda: self.sim.call("host.get_other_config", h)["agent_start_time"] != before,
             what="agent restart")
        self.assertFails(["HA_NOT_ENABLED"], self.sim.call, "pool.disable_ha")

    def test_updater_update_and_assert_operation_valid(self):
        m = self.master()
        import json
        self.assertEqual(len(json.loads(self.sim.call("host.call_plugin", m, "updater.py", "check_update", {}))), 2)
        self.assertEqual(self.sim.call("host.call_plugin", m, "updater.py", "update", {}), "")
        self.assertEqual(json.loads(self.sim.call("host.call_plugin", m, "updater.py", "check_update", {})), [])
        halted = self.sim.vm_in("Halted")[0]
        self.assertFails(["VM_BAD_POWER_STATE", halted, "running", "halted"],
                         self.sim.call, "VM.assert_operation_valid", halted, "suspend")
        self.sim.call("VM.assert_operation_valid", halted, "start")

    def test_trim_plugin(self):
        srs = self.sim.call("SR.get_all_records")
        lvm = [r for r in srs.values() if r["type"] == "lvmoiscsi"][0]
        nfs = [r for r in srs.values() if r["type"] == "nfs"][0]
        m = self.master()
        self.assertEqual(self.sim.call("host.call_plugin", m, "trim", "do_trim",
                                       {"sr_uuid": lvm["uuid"]}), "True")
        out = self.sim.call("host.call_plugin", m, "trim", "do_trim", {"sr_uuid": nfs["uuid"]})
        self.assertIn("<key>errcode</key><value>UnsupportedSRForTrim</value>", out)


class Storage(Helpers, SimTestCase):
    sim_args = ("--vms", "24", "--hosts", "3", "--seed", "7", "--op-delay", "0.1")

    def test_pbd_unplug_in_use_then_forget(self):
        srs = self.sim.call("SR.get_all_records")
        nfs = [r for r, x in srs.items() if x["type"] == "nfs"][0]
        self.assertFails(["SR_HAS_PBD", nfs], self.sim.call, "SR.forget", nfs)
        busy = None
        for pbd in self.sim.call("SR.get_PBDs", nfs):
            try:
                self.sim.call("PBD.unplug", pbd)
            except Exception as e:  # noqa: BLE001 - Failure
                busy = e.desc
        self.assertIsNotNone(busy)
        self.assertEqual(busy[0], "VDI_IN_USE")
        for pbd in self.sim.call("SR.get_PBDs", nfs):
            self.sim.call("PBD.plug", pbd)
        iso = [r for r, x in srs.items() if x["type"] == "iso"][0]
        for vdi in self.sim.call("SR.get_VDIs", iso):     # CDs in drives keep the SR busy
            for vbd in self.sim.call("VDI.get_VBDs", vdi):
                self.sim.call("VBD.eject", vbd)
        for pbd in self.sim.call("SR.get_PBDs", iso):
            self.sim.call("PBD.unplug", pbd)
            self.assertFalse(self.sim.call("PBD.get_currently_attached", pbd))
        self.assertFails(["SR_NO_PBDS", iso], self.sim.call, "SR.scan", iso)
        self.assertNotIn("scan", self.sim.call("SR.get_allowed_operations", iso))
        pbd = self.sim.call("SR.get_PBDs", iso)[0]
        self.sim.call("PBD.plug", pbd)
        self.sim.call("SR.scan", iso)
        self.sim.call("PBD.unplug", pbd)
        vdis = self.sim.call("SR.get_VDIs", iso)
        self.sim.call("SR.forget", iso)
        self.assertFails(["HANDLE_INVALID", "SR"], self.sim.call, "SR.get_record", iso)
        self.assertFails(["HANDLE_INVALID", "VDI"], self.sim.call, "VDI.get_record", vdis[0])
        self.assertFails(["HANDLE_INVALID", "PBD"], self.sim.call, "PBD.get_record", pbd)

    def test_vdi_pool_migrate(self):
        srs = self.sim.call("SR.get_all_records")
        nfs = [r for r, x in srs.items() if x["type"] == "nfs"][0]
        iscsi = [r for r, x in srs.items() if x["type"] == "lvmoiscsi"][0]
        vm = self.sim.vm_shared("Halted")[2]
        vbd = [b for b in self.sim.call("VM.get_VBDs", vm)
               if self.sim.call("VBD.get_VDI", b) != NULL and self.sim.call("VBD.get_type", b) == "Disk"]
        if not vbd:
            self.skipTest("VM without disks")
        vdi = self.sim.call("VBD.get_VDI", vbd[0])
        self.assertFails(["VDI_NEEDS_VM_FOR_MIGRATE", vdi], self.sim.call, "VDI.pool_migrate", vdi, iscsi, {})
        self.sim.call("VM.start", vm, False, False)
        target = iscsi if self.sim.call("VDI.get_SR", vdi) != iscsi else nfs
        size = self.sim.call("VDI.get_virtual_size", vdi)
        task = self.sim.call("Async.VDI.pool_migrate", vdi, target, {})
        rec = self.sim.wait_task(task)
        self.assertEqual(rec["status"], "success", rec["error_info"])
        new = rec["result"][7:-8]
        self.assertEqual(self.sim.call("VDI.get_SR", new), target)
        self.assertEqual(self.sim.call("VDI.get_virtual_size", new), size)
        self.assertEqual(self.sim.call("VBD.get_VDI", vbd[0]), new)
        self.assertFails(["HANDLE_INVALID", "VDI"], self.sim.call, "VDI.get_record", vdi)
        self.sim.call("VM.hard_shutdown", vm)


class Migration(Helpers, SimTestCase):
    sim_args = ("--vms", "24", "--hosts", "3", "--seed", "7", "--op-delay", "0.1")

    def test_pool_migrate_rules(self):
        vm = self.sim.vm_shared("Running")[0]
        src = self.sim.call("VM.get_resident_on", vm)
        dst = [h for h in self.sim.call("host.get_all") if h != src][0]
        tok = self.sim.call("event.from", ["vm"], "", 0.0)["token"]
        task = self.sim.call("Async.VM.pool_migrate", vm, dst, {})
        wait(lambda: "pool_migrate" in self.sim.call("VM.get_current_operations", vm).values()
             or self.sim.call("task.get_status", task) != "pending", what="current_operations")
        self.assertEqual(self.sim.wait_task(task)["status"], "success")
        self.assertEqual(self.sim.call("VM.get_resident_on", vm), dst)
        evs = self.sim.call("event.from", ["vm"], tok, 1.0)["events"]
        self.assertTrue(any(e["ref"] == vm and e["snapshot"]["resident_on"] == dst for e in evs))
        halted = self.sim.vm_in("Halted")[0]
        self.assertFails(["VM_BAD_POWER_STATE", halted, "running", "halted"],
                         self.sim.call, "VM.pool_migrate", halted, dst, {})
        local = [v for v in self.sim.vm_in("Running") if self.sim.local_disks(v)]
        if local:
            v = local[0]
            here = self.sim.call("VM.get_resident_on", v)
            there = [h for h in self.sim.call("host.get_all") if h != here][0]
            desc = self.assertFails(["VM_REQUIRES_SR", v], self.sim.call, "VM.pool_migrate", v, there, {})
            self.assertIn(desc[2], self.sim.local_disks(v))
        self.sim.call("host.disable", src)
        self.assertFails(["HOST_DISABLED", src], self.sim.call, "VM.pool_migrate", vm, src, {})
        self.sim.call("host.enable", src)

    def test_migrate_send_storage_motion_intra_pool(self):
        local = [v for v in self.sim.vm_in("Running") if self.sim.local_disks(v)]
        if not local:
            self.skipTest("no running VM on local storage")
        vm = local[0]
        src = self.sim.call("VM.get_resident_on", vm)
        dst = [h for h in self.sim.call("host.get_all") if h != src][0]
        srs = self.sim.call("SR.get_all_records")
        nfs = [r for r, x in srs.items() if x["type"] == "nfs"][0]
        mgmt = self.sim.call("PIF.get_network", self.sim.call("host.get_management_interface", dst))
        token = self.sim.call("host.migrate_receive", dst, mgmt, {})
        self.assertEqual(token["host"], dst)
        vdis = {}
        for b in self.sim.call("VM.get_VBDs", vm):
            vdi = self.sim.call("VBD.get_VDI", b)
            if vdi != NULL and self.sim.call("VBD.get_type", b) == "Disk":
                vdis[vdi] = nfs
        self.assertFails(["OPERATION_NOT_ALLOWED"], self.sim.call, "VM.assert_can_migrate",
                         vm, token, True, vdis, {"x": "y"}, {})
        self.sim.call("VM.assert_can_migrate", vm, token, True, vdis, {}, {})
        task = self.sim.call("Async.VM.migrate_send", vm, token, True, vdis, {}, {})
        rec = self.sim.wait_task(task)
        self.assertEqual(rec["status"], "success", rec["error_info"])
        self.assertEqual(rec["result"], "<value>%s</value>" % vm)
        self.assertEqual(self.sim.call("VM.get_resident_on", vm), dst)
        self.assertEqual(self.sim.local_disks(vm), [])
        for old in vdis:
            self.assertFails(["HANDLE_INVALID", "VDI"], self.sim.call, "VDI.get_record", old)

    def test_migrate_receive_needs_ip_on_network(self):
        h = self.others()[0]
        nets = self.sim.call("network.get_all_records")
        private = [r for r, x in nets.items() if not x["PIFs"]][0]
        self.assertFails(["HOST_CANNOT_ATTACH_NETWORK", h, private],
                         self.sim.call, "host.migrate_receive", h, private, {})

    def test_revert(self):
        vm = self.sim.vm_shared("Halted")[4]
        disks = [self.sim.call("VBD.get_VDI", b) for b in self.sim.call("VM.get_VBDs", vm)
                 if self.sim.call("VBD.get_type", b) == "Disk"]
        snap = self.sim.call("VM.snapshot", vm, "before")
        self.sim.call("VM.set_VCPUs_max", vm, "7")
        self.sim.call("VM.start", vm, False, False)
        self.assertFails(["OPERATION_NOT_ALLOWED"], self.sim.call, "VM.revert", vm)
        task = self.sim.call("Async.VM.revert", snap)
        self.assertEqual(self.sim.wait_task(task)["status"], "success")
        rec = self.sim.call("VM.get_record", vm)
        self.assertEqual(rec["power_state"], "Halted")
        self.assertEqual(rec["parent"], snap)
        self.assertNotEqual(rec["VCPUs_max"], "7")
        new_disks = [self.sim.call("VBD.get_VDI", b) for b in rec["VBDs"]
                     if self.sim.call("VBD.get_type", b) == "Disk"]
        self.assertEqual(len(new_disks), len(disks))
        for d in disks:
            self.assertFails(["HANDLE_INVALID", "VDI"], self.sim.call, "VDI.get_record", d)

    def test_snapshot_ignore_vdis_nosnap(self):
        vm = [v for v in self.sim.vm_shared("Halted")
              if len([b for b in self.sim.call("VM.get_VBDs", v)
                      if self.sim.call("VBD.get_type", b) == "Disk"]) >= 2]
        if not vm:
            self.skipTest("no VM with two disks")
        vm = vm[0]
        disks = [self.sim.call("VBD.get_VDI", b) for b in self.sim.call("VM.get_VBDs", vm)
                 if self.sim.call("VBD.get_type", b) == "Disk"]
        self.sim.call("VDI.set_name_label", disks[1], "scratch [NOSNAP]")
        snap = self.sim.call("VM.snapshot", vm, "nosnap", [disks[1]])
        snap_vdis = [self.sim.call("VBD.get_VDI", b) for b in self.sim.call("VM.get_VBDs", snap)
                     if self.sim.call("VBD.get_type", b) == "Disk"]
        self.assertEqual(len(snap_vdis), len(disks) - 1)
        self.assertNotIn(disks[1], [self.sim.call("VDI.get_snapshot_of", v) for v in snap_vdis])


class VmOptions(Helpers, SimTestCase):
    """create_vm's options: VTPM.create and VM.copy_bios_strings with xapi's rules."""
    sim_args = ("--vms", "6", "--hosts", "1", "--seed", "7", "--op-delay", "0.05")

    def test_vtpm_create_and_copy_bios_strings(self):
        running = self.sim.vm_shared("Running")[0]
        self.assertFails(["VM_BAD_POWER_STATE", running, "halted", "running"],
                         self.sim.call, "VTPM.create", running, False)
        self.assertFails(["VM_BAD_POWER_STATE", running, "halted", "running"],
                         self.sim.call, "VM.copy_bios_strings", running, self.master())
        vm = self.sim.vm_shared("Halted")[0]
        vtpm = self.sim.call("VTPM.create", vm, False)
        self.assertEqual(self.sim.call("VM.get_VTPMs", vm), [vtpm])
        self.assertEqual(self.sim.call("VTPM.get_VM", vtpm), vm)
        self.assertFails(["VTPM_MAX_AMOUNT_REACHED", "1"], self.sim.call, "VTPM.create", vm, False)
        self.assertFails(["VM_BIOS_STRINGS_ALREADY_SET"], self.sim.call, "VM.copy_bios_strings", vm, self.master())
        self.sim.ctl("set", **{"class": "VM", "ref": vm, "field": "bios_strings", "value": {}})
        self.sim.call("VM.copy_bios_strings", vm, self.master())
        self.assertEqual(self.sim.call("VM.get_bios_strings", vm),
                         self.sim.call("host.get_bios_strings", self.master()))

    def test_vgpu_create(self):
        group = self.sim.call("GPU_group.get_all")[0]
        passthrough = self.sim.call("VGPU_type.get_all")[0]
        running = self.sim.vm_shared("Running")[0]
        self.assertFails(["VM_BAD_POWER_STATE", running, "halted", "running"],
                         self.sim.call, "VGPU.create", running, group, "0", {}, passthrough)
        vm = self.sim.vm_shared("Halted")[0]
        self.assertFails(["INVALID_DEVICE", "1"], self.sim.call, "VGPU.create", vm, group, "1", {}, passthrough)
        self.assertFails(["INVALID_VALUE", "type", "OpaqueRef:nope"],
                         self.sim.call, "VGPU.create", vm, group, "0", {}, "OpaqueRef:nope")
        vgpu = self.sim.call("VGPU.create", vm, group, "0", {"k": "v"}, "OpaqueRef:NULL")
        rec = self.sim.call("VGPU.get_record", vgpu)
        self.assertEqual((rec["VM"], rec["GPU_group"], rec["device"], rec["type"], rec["currently_attached"],
                          rec["other_config"]), (vm, group, "0", passthrough, False, {"k": "v"}))
        self.assertEqual(self.sim.call("VM.get_VGPUs", vm), [vgpu])
        self.assertIn(vgpu, self.sim.call("GPU_group.get_VGPUs", group))
        self.assertIn(vgpu, self.sim.call("VGPU_type.get_VGPUs", passthrough))
        self.assertFails(["DEVICE_ALREADY_EXISTS", "0"], self.sim.call, "VGPU.create", vm, group, "0", {}, passthrough)
        self.sim.call("VM.destroy", vm)  # its vGPUs go with it
        self.assertNotIn(vgpu, self.sim.call("VGPU.get_all"))
        self.assertNotIn(vgpu, self.sim.call("GPU_group.get_VGPUs", group))


class VmSettings(Helpers, SimTestCase):
    """The setters behind PATCH /vms (issue 10) with xapi's rules: memory ranges, vendor
    device, domain type, UEFI mode."""
    sim_args = ("--vms", "12", "--hosts", "1", "--seed", "7", "--op-delay", "0.05")

    def mem(self, vm):
        return [int(self.sim.call("VM.get_memory_" + f, vm))
                for f in ("static_min", "dynamic_min", "dynamic_max", "static_max")]

    def test_memory_ranges(self):
        running = self.sim.vm_in("Running")[0]
        smax = self.mem(running)[3]
        self.assertFails(["VM_BAD_POWER_STATE", running, "halted", "running"],
                         self.sim.call, "VM.set_memory_static_max", running, str(smax * 2))
        vm = self.sim.vm_in("Halted")[0]
        smin, dmin, dmax, smax = self.mem(vm)
        # static_min <= dynamic_min <= dynamic_max <= static_max, as a whole
        self.assertFails(["MEMORY_CONSTRAINT_VIOLATION_ORDER"], self.sim.call, "VM.set_memory_static_max", vm, str(dmax - 1))
        self.assertFails(["MEMORY_CONSTRAINT_VIOLATION_ORDER"], self.sim.call, "VM.set_memory_dynamic_min", vm, str(dmax + 1))
        self.assertFails(["MEMORY_CONSTRAINT_VIOLATION_ORDER"], self.sim.call, "VM.set_memory_dynamic_min", vm, str(smin - 1))
        self.assertEqual(self.mem(vm), [smin, dmin, dmax, smax])
        self.sim.call("VM.set_memory_static_max", vm, str(smax * 2))
        self.sim.call("VM.set_memory_dynamic_min", vm, str(dmax))
        self.assertEqual(self.mem(vm), [smin, dmax, dmax, smax * 2])
        # a running VM's dynamic range moves inside its static range only
        smin, dmin, dmax, smax = self.mem(running)
        self.sim.call("VM.set_memory_dynamic_min", running, str(smin))
        self.assertFails(["MEMORY_CONSTRAINT_VIOLATION_ORDER"], self.sim.call, "VM.set_memory_dynamic_max", running, str(smax + 1))
        # a control domain stays pinned at its static maximum
        dom0 = [v for v, r in self.sim.call("VM.get_all_records").items() if r["is_control_domain"]][0]
        d = self.mem(dom0)
        self.assertFails(["MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "control domain"],
                         self.sim.call, "VM.set_memory_dynamic_min", dom0, str(d[2] // 2))
        # the four limits at once: halted only (changing_memory_limits), checked as a whole
        r = self.mem(running)
        self.assertFails(["VM_BAD_POWER_STATE", running, "halted", "running"], self.sim.call,
                         "VM.set_memory_limits", running, str(r[0]), str(r[3]), str(r[1]), str(r[3] // 2))
        self.assertEqual(self.mem(running), r)
        smin, dmin, dmax, smax = self.mem(vm)
        self.assertFails(["MEMORY_CONSTRAINT_VIOLATION_ORDER"], self.sim.call,
                         "VM.set_memory_limits", vm, str(smin), str(dmax), str(dmax + 1), str(dmax))
        self.sim.call("VM.set_memory_limits", vm, str(smin), str(smax), str(smin), str(dmax))
        self.assertEqual(self.mem(vm), [smin, smin, dmax, smax])
        # a nested-virt guest (VM_metrics.nested_virt) is pinned at its static maximum
        metrics = self.sim.call("VM.get_metrics", vm)
        self.sim.ctl("set", **{"class": "VM_metrics", "ref": metrics, "field": "nested_virt", "value": True})
        self.assertFails(["MEMORY_CONSTRAINT_VIOLATION_MAXPIN", "nested virt"], self.sim.call,
                         "VM.set_memory_limits", vm, str(smin), str(smax), str(smin), str(dmax))
        self.sim.call("VM.set_memory_limits", vm, str(smin), str(dmax), str(dmax), str(dmax))
        self.assertEqual(self.mem(vm), [smin, dmax, dmax, dmax])
        self.sim.ctl("set", **{"class": "VM_metrics", "ref": metrics, "field": "nested_virt", "value": False})

    def test_vcpu_rules(self):
        vm = self.sim.vm_in("Halted")[1]
        n = int(self.sim.call("VM.get_VCPUs_at_startup", vm))
        rule = "VCPU values must satisfy: 0 < VCPUs_at_startup \u2264 VCPUs_max"
        self.assertFails(["INVALID_VALUE", rule, str(n - 1)], self.sim.call, "VM.set_VCPUs_max", vm, str(n - 1))
        m = int(self.sim.call("VM.get_VCPUs_max", vm))
        self.assertFails(["INVALID_VALUE", rule, str(m + 1)], self.sim.call, "VM.set_VCPUs_at_startup", vm, str(m + 1))
        dom0 = [v for v, r in self.sim.call("VM.get_all_records").items() if r["is_control_domain"]][0]
        self.assertFails(["OPERATION_NOT_ALLOWED", "set_VCPUs_at_startup is not allowed on dom0"],
                         self.sim.call, "VM.set_VCPUs_at_startup", dom0, "1")

    def test_vif_allowed_addresses(self):
        vif = self.sim.call("VIF.get_all")[0]
        mode = self.sim.call("VIF.get_locking_mode", vif)
        self.sim.call("VIF.set_ipv4_allowed", vif, ["10.0.0.7", "10.1.0.0/16", "10.0.0.7"])
        self.assertEqual(self.sim.call("VIF.get_ipv4_allowed", vif), ["10.1.0.0/16", "10.0.0.7"])
        self.sim.call("VIF.set_ipv6_allowed", vif, ["fe80::7"])
        self.assertEqual(self.sim.call("VIF.get_locking_mode", vif), mode)  # xapi leaves the mode alone
        for field, bad in (("ipv4_allowed", "fe80::8"), ("ipv4_allowed", "10.0.0.256"), ("ipv6_allowed", "10.0.0.8")):
            self.assertFails(["INVALID_IP_ADDRESS_SPECIFIED", field], self.sim.call, "VIF.set_" + field, vif, [bad])
        self.assertEqual(self.sim.call("VIF.get_ipv4_allowed", vif), ["10.1.0.0/16", "10.0.0.7"])
        self.assertEqual(self.sim.call("VIF.get_ipv6_allowed", vif), ["fe80::7"])
        self.sim.call("VIF.set_ipv4_allowed", vif, [])
        self.sim.call("VIF.set_ipv6_allowed", vif, [])
        self.assertEqual(self.sim.call("VIF.get_ipv4_allowed", vif), [])

    def test_vendor_device_domain_type_and_uefi_mode(self):
        running = self.sim.vm_in("Running")[0]
        self.assertFails(["VM_BAD_POWER_STATE", running, "halted", "running"],
                         self.sim.call, "VM.set_has_vendor_device", running, True)
        vm = self.sim.vm_in("Halted")[0]
        self.sim.call("VM.set_has_vendor_device", vm, True)
        self.assertTrue(self.sim.call("VM.get_has_vendor_device", vm))
        self.sim.call("VM.set_domain_type", vm, "pv")
        self.assertEqual((self.sim.call("VM.get_domain_type", vm), self.sim.call("VM.get_HVM_boot_policy", vm)), ("pv", ""))
        self.sim.call("VM.set_domain_type", vm, "hvm")
        self.assertEqual(self.sim.call("VM.get_HVM_boot_policy", vm), "BIOS order")
        self.assertFails(["INVALID_VALUE", "domain_type", "unspecified"], self.sim.call, "VM.set_domain_type", vm, "unspecified")
        records = self.sim.call("VM.get_all_records")
        bios = [v for v in self.sim.vm_in("Halted") if records[v]["HVM_boot_params"].get("firmware") != "uefi"][0]
        uefi = [v for v in self.sim.vm_in("Halted") if records[v]["HVM_boot_params"].get("firmware") == "uefi"][0]
        desc = self.assertFails(["INTERNAL_ERROR"], self.sim.call, "VM.set_uefi_mode", bios, "setup")
        self.assertIn("Spawn_internal_error", desc[1])
        self.assertEqual(self.sim.call("VM.set_uefi_mode", uefi, "setup"), "")
        self.assertIn("EFI-variables", self.sim.call("VM.get_NVRAM", uefi))


class CrossPool(FailsMixin, unittest.TestCase):
    """A VM leaves one simulator for another (two pools)."""

    @classmethod
    def setUpClass(cls):
        cls.a = Sim("--vms", "6", "--hosts", "2", "--seed", "3", "--op-delay", "0.05")
        cls.b = Sim("--vms", "3", "--hosts", "1", "--seed", "4", "--op-delay", "0.05")

    @classmethod
    def tearDownClass(cls):
        cls.a.stop()
        cls.b.stop()

    def test_cross_pool_migrate(self):
        a, b = self.a, self.b
        vm = a.vm_shared("Running")[0]
        name = a.call("VM.get_name_label", vm)
        uuid = a.call("VM.get_uuid", vm)
        bhost = b.call("host.get_all")[0]
        bsr = [r for r, x in b.call("SR.get_all_records").items() if x["type"] == "nfs"][0]
        bnet = b.call("PIF.get_network", b.call("host.get_management_interface", bhost))
        token = b.call("host.migrate_receive", bhost, bnet, {})
        vdis = {a.call("VBD.get_VDI", x): bsr for x in a.call("VM.get_VBDs", vm)
                if a.call("VBD.get_type", x) == "Disk" and a.call("VBD.get_VDI", x) != NULL}
        vifs = {v: bnet for v in a.call("VM.get_VIFs", vm)}
        if vifs:
            self.assertFails(["VIF_NOT_IN_MAP"], a.call, "VM.assert_can_migrate", vm, token, True, vdis, {}, {})
        task = a.call("Async.VM.migrate_send", vm, token, True, vdis, vifs, {})
        rec = a.wait_task(task, timeout=30)
        self.assertEqual(rec["status"], "success", rec["error_info"])
        new = rec["result"][7:-8]
        self.assertFails(["HANDLE_INVALID", "VM"], a.call, "VM.get_record", vm)
        self.assertEqual(b.call("VM.get_by_uuid", uuid), new)    # the VM keeps its uuid
        r = b.call("VM.get_record", new)
        self.assertEqual((r["name_label"], r["power_state"], r["resident_on"]), (name, "Running", bhost))
        self.assertEqual(len([x for x in r["VBDs"] if b.call("VBD.get_type", x) == "Disk"]), len(vdis))
        self.assertEqual(len(r["VIFs"]), len(vifs))


class Networks(Helpers, SimTestCase):
    sim_args = ("--vms", "6", "--hosts", "2", "--seed", "7", "--op-delay", "0.05")

    def test_vlan_from_pif_on_every_host(self):
        net = self.sim.call("network.create", {"name_label": "VLAN 42", "MTU": "1500"})
        h = self.master()
        eth0 = [p for p in self.sim.call("host.get_PIFs", h)
                if self.sim.call("PIF.get_device", p) == "eth0" and self.sim.call("PIF.get_VLAN", p) == "-1"][0]
        self.assertFails(["VLAN_TAG_INVALID", "5000"], self.sim.call, "pool.create_VLAN_from_PIF", eth0, net, "5000")
        pifs = self.sim.call("pool.create_VLAN_from_PIF", eth0, net, "42")
        self.assertEqual(len(pifs), len(self.sim.call("host.get_all")))
        for p in pifs:
            rec = self.sim.call("PIF.get_record", p)
            self.assertEqual((rec["VLAN"], rec["network"]), ("42", net))
            self.assertNotEqual(rec["VLAN_master_of"], NULL)
        net2 = self.sim.call("network.create", {"name_label": "again"})
        desc = self.assertFails(["PIF_VLAN_EXISTS"], self.sim.call, "pool.create_VLAN_from_PIF", eth0, net2, "42")
        self.assertIn(desc[1], pifs)
        self.assertFails(["PIF_IS_VLAN", pifs[0]], self.sim.call, "VLAN.create", pifs[0], "7", net2)
        vlan = self.sim.call("PIF.get_VLAN_master_of", pifs[0])
        self.sim.call("VLAN.destroy", vlan)
        self.assertFails(["HANDLE_INVALID", "PIF"], self.sim.call, "PIF.get_record", pifs[0])

    def test_bond(self):
        h = self.others()[0]
        free = []
        net = self.sim.call("network.create", {"name_label": "bonded"})
        pifs = self.sim.call("host.get_PIFs", h)
        slaves = [p for p in pifs if self.sim.call("PIF.get_bond_slave_of", p) != NULL]
        self.assertFails(["PIF_ALREADY_BONDED", slaves[0]], self.sim.call, "Bond.create", net, slaves, "", "active-backup")
        # release the existing bond's members, then bond them again on the new network
        bond = self.sim.call("PIF.get_bond_slave_of", slaves[0])
        master = self.sim.call("Bond.get_master", bond)
        for v in self.sim.call("PIF.get_VLAN_slave_of", master):
            self.sim.call("VLAN.destroy", v)
        self.sim.call("Bond.destroy", bond)
        free = slaves
        self.assertFails(["PIF_BOND_NEEDS_MORE_MEMBERS"], self.sim.call, "Bond.create", net, free[:1], "", "lacp")
        new = self.sim.call("Bond.create", net, free, "", "lacp", {})
        rec = self.sim.call("Bond.get_record", new)
        self.assertEqual(sorted(rec["slaves"]), sorted(free))
        self.assertEqual(self.sim.call("PIF.get_network", rec["master"]), net)
        self.assertEqual(rec["mode"], "lacp")


class Faults(Helpers, SimTestCase):
    sim_args = ("--vms", "6", "--hosts", "1", "--seed", "7", "--op-delay", "0.05")

    def test_hang_async_until_cancel_or_release(self):
        vm = self.sim.vm_in("Running")[0]
        self.sim.ctl("hang", method="VM.pause", count=2)
        task = self.sim.call("Async.VM.pause", vm)
        time.sleep(0.5)
        self.assertEqual(self.sim.call("task.get_status", task), "pending")
        self.sim.call("task.cancel", task)
        rec = self.sim.wait_task(task)
        self.assertEqual((rec["status"], rec["error_info"]), ("cancelled", ["TASK_CANCELLED", task]))
        self.assertEqual(self.sim.call("VM.get_power_state", vm), "Running")
        task = self.sim.call("Async.VM.pause", vm)
        time.sleep(0.3)
        self.assertEqual(self.sim.call("task.get_status", task), "pending")
        self.assertEqual(self.sim.ctl("release", method="VM.pause"), 1)
        self.assertEqual(self.sim.wait_task(task)["status"], "success")
        self.assertEqual(self.sim.call("VM.get_power_state", vm), "Paused")
        self.sim.call("VM.unpause", vm)

    def test_hang_sync_until_clear(self):
        import threading
        self.sim.ctl("hang", method="host.get_servertime")
        out = []
        t = threading.Thread(target=lambda: out.append(self.sim.call("host.get_servertime", self.master())))
        t.start()
        time.sleep(0.4)
        self.assertEqual(out, [])
        self.sim.ctl("clear")
        t.join(10)
        self.assertEqual(len(out), 1)


if __name__ == "__main__":
    unittest.main()
