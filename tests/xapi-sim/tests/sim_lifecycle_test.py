"""Task and VM behaviours of reference §12: 12 (Async → task lifecycle), 13 (task.result
as an XML-RPC fragment, error_info), 14 (current/allowed_operations during async ops),
15 (VM_BAD_POWER_STATE table), 16 (power transitions and side effects), 17 (both ends of
relations, cascaded deletes keep VDIs), 18 (maps and sets)."""
import os
import time
import unittest

from simharness import SimTestCase

NULL = "OpaqueRef:NULL"


class Tasks(SimTestCase):
    def test_b12_async_returns_task_pending_then_success(self):
        vm = self.sim.vm_in("Halted")[0]
        task = self.sim.call("Async.VM.clone", vm, "b12 clone")
        self.assertTrue(task.startswith("OpaqueRef:"))
        rec = self.sim.call("task.get_record", task)
        self.assertEqual((rec["status"], rec["name_label"]), ("pending", "Async.VM.clone"))
        self.assertLess(rec["progress"], 1.0)
        self.assertEqual(str(rec["finished"]), "19700101T00:00:00Z")
        rec = self.sim.wait_task(task)
        self.assertEqual((rec["status"], rec["progress"], rec["error_info"]), ("success", 1.0, []))
        self.assertNotEqual(str(rec["finished"]), "19700101T00:00:00Z")
        self.assertEqual(rec["allowed_operations"], [])
        self.sim.call("task.destroy", task)
        self.assertFails(["HANDLE_INVALID", "task", task], self.sim.call, "task.get_record", task)

    def test_b12_status_is_written_last(self):
        vm = self.sim.vm_in("Halted")[1]
        tok = self.sim.call("event.from", ["task"], "", 0.0)["token"]
        task = self.sim.call("Async.VM.snapshot", vm, "b12 snap")
        seen = []
        end = time.time() + 10
        while time.time() < end:
            r = self.sim.call("event.from", ["task"], tok, 2.0)
            tok = r["token"]
            for e in r["events"]:
                if e["ref"] == task and e["operation"] != "del":
                    seen.append(e["snapshot"])
            if seen and seen[-1]["status"] != "pending":
                break
        final = seen[-1]
        self.assertEqual(final["status"], "success")
        self.assertEqual(final["progress"], 1.0)
        self.assertTrue(final["result"].startswith("<value>OpaqueRef:"))
        for snap in seen[:-1]:
            self.assertEqual(snap["status"], "pending")

    def test_b12_failure_and_sync_errors(self):
        running = self.sim.vm_in("Running")[0]
        task = self.sim.call("Async.VM.start", running, False, False)
        rec = self.sim.wait_task(task)
        self.assertEqual(rec["status"], "failure")
        self.assertEqual(rec["error_info"], ["VM_BAD_POWER_STATE", running, "halted", "running"])
        self.assertEqual(rec["result"], "")
        # arity errors stay synchronous
        self.assertFails(["MESSAGE_PARAMETER_COUNT_MISMATCH"], self.sim.call, "Async.VM.start", running)
        self.assertFails(["Fault"], self.sim.call, "Async.VM.get_record", running)

    def test_b13_result_is_xmlrpc_fragment_even_over_jsonrpc(self):
        vm = self.sim.vm_in("Halted")[2]
        task = self.sim.jcall("Async.VM.clone", vm, "b13")
        self.sim.wait_task(task)
        rec = self.sim.jcall("task.get_record", task)
        self.assertRegex(rec["result"], r"^<value>OpaqueRef:[0-9a-f-]{36}</value>$")
        clone = rec["result"][7:-8]
        self.assertEqual(self.sim.call("VM.get_name_label", clone), "b13")
        task = self.sim.jcall("Async.VM.set_memory_limits", clone, 1 << 28, 1 << 30, 1 << 29, 1 << 30)
        self.assertEqual(self.sim.wait_task(task)["result"], "<value></value>")

    def test_b13_cancel(self):
        vm = self.sim.vm_in("Halted")[3]
        task = self.sim.call("Async.VM.copy", vm, "b13 copy", NULL)
        self.sim.call("task.cancel", task)
        rec = self.sim.wait_task(task)
        self.assertEqual(rec["status"], "cancelled")
        self.assertEqual(rec["error_info"], ["TASK_CANCELLED", task])

    def test_task_create_and_setters(self):
        t = self.sim.call("task.create", "upload", "desc")
        rec = self.sim.call("task.get_record", t)
        self.assertEqual((rec["status"], rec["progress"], rec["name_label"]), ("pending", 0.0, "upload"))
        self.sim.call("task.set_progress", t, 0.5)
        self.sim.call("task.add_to_other_config", t, "applies_to", "x")
        self.assertEqual(self.sim.call("task.get_progress", t), 0.5)
        self.sim.call("task.destroy", t)   # pending: only flagged
        self.assertEqual(self.sim.call("task.get_current_operations", t), {"task": "destroy"})


class Lifecycle(SimTestCase):
    def test_b14_current_and_allowed_operations_during_async(self):
        vm = self.sim.vm_in("Halted")[0]
        before = self.sim.call("VM.get_allowed_operations", vm)
        self.assertIn("start", before)
        task = self.sim.call("Async.VM.start", vm, False, False)
        time.sleep(0.05)
        rec = self.sim.call("VM.get_record", vm)
        self.assertEqual(rec["current_operations"], {task: "start"})
        self.assertNotIn("start", rec["allowed_operations"])
        self.assertNotIn("destroy", rec["allowed_operations"])
        self.assertFails(["OTHER_OPERATION_IN_PROGRESS", "VM", vm, "start", task],
                         self.sim.call, "VM.clone", vm, "x")
        self.sim.wait_task(task)
        rec = self.sim.call("VM.get_record", vm)
        self.assertEqual(rec["current_operations"], {})
        self.assertIn("hard_shutdown", rec["allowed_operations"])
        self.assertNotIn("start", rec["allowed_operations"])

    def test_b15_bad_power_state_table(self):
        halted, running = self.sim.vm_in("Halted")[1], self.sim.vm_in("Running")[1]
        suspended = self.sim.vm_in("Suspended")[0]
        cases = [("VM.start", running, (False, False), "halted", "running"),
                 ("VM.clean_shutdown", halted, (), "running", "halted"),
                 ("VM.hard_shutdown", halted, (), "paused, suspended, running", "halted"),
                 ("VM.hard_reboot", suspended, (), "paused, running", "suspended"),
                 ("VM.resume", running, (False, False), "suspended", "running"),
                 ("VM.unpause", running, (), "paused", "running"),
                 ("VM.destroy", running, (), "halted, suspended", "running"),
                 ("VM.clone", running, ("c",), "halted", "running"),
                 ("VM.checkpoint", halted, ("c",), "paused, suspended, running", "halted")]
        for method, vm, args, expected, actual in cases:
            self.assertFails(["VM_BAD_POWER_STATE", vm, expected, actual], self.sim.call, method, vm, *args)

    def test_b15_other_checks(self):
        tmpl = [k for k, v in self.sim.call("VM.get_all_records").items()
                if v["is_a_template"] and v["is_default_template"]][0]
        self.assertFails(["VM_IS_TEMPLATE", tmpl, "start"], self.sim.call, "VM.start", tmpl, False, False)
        self.assertFails(["VM_CANNOT_DELETE_DEFAULT_TEMPLATE", tmpl], self.sim.call, "VM.destroy", tmpl)
        dom0 = [k for k, v in self.sim.call("VM.get_all_records").items() if v["is_control_domain"]][0]
        self.assertFails(["OPERATION_NOT_ALLOWED", "This operation is not allowed on a control domain"],
                         self.sim.call, "VM.clean_reboot", dom0)
        halted = self.sim.vm_in("Halted")[2]
        self.sim.call("VM.add_to_blocked_operations", halted, "start", "because")
        self.assertFails(["OPERATION_BLOCKED", halted, "because"], self.sim.call, "VM.start", halted, False, False)
        self.assertNotIn("start", self.sim.call("VM.get_allowed_operations", halted))
        self.sim.call("VM.remove_from_blocked_operations", halted, "start")
        snap = [k for k, v in self.sim.call("VM.get_all_records").items() if v["is_a_snapshot"]][0]
        self.assertFails(["VM_IS_SNAPSHOT", snap, "start"], self.sim.call, "VM.start", snap, False, False)

    def test_b16_start_and_shutdown_side_effects(self):
        vm = self.sim.vm_shared("Halted")[3]
        host = self.sim.call("host.get_all")[1]
        self.sim.call("VM.start_on", vm, host, False, False)
        rec = self.sim.call("VM.get_record", vm)
        self.assertEqual((rec["power_state"], rec["resident_on"]), ("Running", host))
        self.assertGreaterEqual(int(rec["domid"]), 1)
        self.assertIn(vm, self.sim.call("host.get_resident_VMs", host))
        self.assertEqual(sorted(self.sim.call("console.get_protocol", c) for c in rec["consoles"]), ["rfb", "vt100"])
        self.assertNotEqual(str(self.sim.call("VM_metrics.get_start_time", rec["metrics"])), "19700101T00:00:00Z")
        for vbd in rec["VBDs"]:
            self.assertTrue(self.sim.call("VBD.get_currently_attached", vbd))
        time.sleep(0.5)  # the guest agent reports later
        gm = self.sim.call("VM.get_guest_metrics", vm)
        self.assertNotEqual(gm, NULL)
        self.assertIn("0/ip", self.sim.call("VM_guest_metrics.get_networks", gm))
        msgs = [m for m in self.sim.call("message.get_all_records").values()
                if m["name"] == "VM_STARTED" and m["obj_uuid"] == rec["uuid"]]
        self.assertTrue(msgs)
        self.sim.call("VM.pause", vm)
        self.assertEqual(self.sim.call("VM.get_power_state", vm), "Paused")
        self.sim.call("VM.unpause", vm)
        self.sim.call("VM.clean_shutdown", vm)
        rec = self.sim.call("VM.get_record", vm)
        self.assertEqual((rec["power_state"], rec["resident_on"], rec["domid"], rec["consoles"]),
                         ("Halted", NULL, "-1", []))
        self.assertNotIn(vm, self.sim.call("host.get_resident_VMs", host))
        for vbd in rec["VBDs"]:
            self.assertFalse(self.sim.call("VBD.get_currently_attached", vbd))

    def test_b16_host_memory_follows_start_and_shutdown(self):
        vm = self.sim.vm_shared("Halted")[0]
        master = self.sim.call("pool.get_master", self.sim.call("pool.get_all")[0])
        hm = self.sim.call("host.get_metrics", master)
        free = int(self.sim.call("host_metrics.get_memory_free", hm))
        self.sim.call("VM.start_on", vm, master, False, False)
        need = int(self.sim.call("VM.get_memory_dynamic_max", vm)) + int(self.sim.call("VM.get_memory_overhead", vm))
        self.assertEqual(int(self.sim.call("host_metrics.get_memory_free", hm)), free - need)
        self.sim.call("VM.hard_shutdown", vm)
        self.assertEqual(int(self.sim.call("host_metrics.get_memory_free", hm)), free)
        self.sim.call("VM.set_memory_limits", vm, str(1 << 30), str(1 << 50), str(1 << 30), str(1 << 50))
        desc = self.assertFails(["HOST_NOT_ENOUGH_FREE_MEMORY"], self.sim.call, "VM.start_on", vm, master, False, False)
        self.assertEqual(int(desc[2]), free)
        self.assertEqual(self.sim.call("VM.get_power_state", vm), "Halted")
        self.sim.call("VM.set_memory_limits", vm, str(1 << 28), str(1 << 30), str(1 << 29), str(1 << 30))

    def test_b16_suspend_resume(self):
        vm = self.sim.vm_in("Running")[2]
        self.sim.call("VM.suspend", vm)
        rec = self.sim.call("VM.get_record", vm)
        self.assertEqual((rec["power_state"], rec["resident_on"]), ("Suspended", NULL))
        self.assertEqual(self.sim.call("VDI.get_type", rec["suspend_VDI"]), "suspend")
        self.sim.call("VM.resume", vm, False, False)
        rec2 = self.sim.call("VM.get_record", vm)
        self.assertEqual((rec2["power_state"], rec2["suspend_VDI"]), ("Running", NULL))
        self.assertFails(["HANDLE_INVALID", "VDI"], self.sim.call, "VDI.get_record", rec["suspend_VDI"])

    def test_b16_snapshot_record(self):
        vm = self.sim.vm_in("Running")[3]
        snap = self.sim.call("VM.snapshot", vm, "b16 snap")
        s = self.sim.call("VM.get_record", snap)
        self.assertEqual((s["is_a_snapshot"], s["is_a_template"], s["snapshot_of"], s["power_state"]),
                         (True, True, vm, "Halted"))
        self.assertIn(snap, self.sim.call("VM.get_snapshots", vm))
        disks = [self.sim.call("VBD.get_VDI", b) for b in s["VBDs"]
                 if self.sim.call("VBD.get_type", b) == "Disk"]
        self.assertTrue(disks)
        for d in disks:
            r = self.sim.call("VDI.get_record", d)
            self.assertTrue(r["is_a_snapshot"])
            self.assertIn(d, self.sim.call("VDI.get_snapshots", r["snapshot_of"]))
        self.assertEqual(len(s["VIFs"]), len(self.sim.call("VM.get_VIFs", vm)))
        cp = self.sim.call("VM.get_record", self.sim.call("VM.checkpoint", vm, "b16 checkpoint"))
        self.assertEqual((cp["is_a_snapshot"], cp["power_state"]), (True, "Suspended"))
        self.assertEqual(self.sim.call("VDI.get_type", cp["suspend_VDI"]), "suspend")
        self.assertEqual(self.sim.call("VM.get_power_state", vm), "Running")

    def test_b17_relations_and_destroy_keeps_vdis(self):
        vm = self.sim.call("VM.clone", self.sim.vm_in("Halted")[4], "b17")
        rec = self.sim.call("VM.get_record", vm)
        vdis = [self.sim.call("VBD.get_VDI", b) for b in rec["VBDs"]]
        for b, vdi in zip(rec["VBDs"], vdis):
            self.assertEqual(self.sim.call("VBD.get_VM", b), vm)
            if vdi != NULL:
                self.assertIn(b, self.sim.call("VDI.get_VBDs", vdi))
        for v in rec["VIFs"]:
            net = self.sim.call("VIF.get_network", v)
            self.assertIn(v, self.sim.call("network.get_VIFs", net))
        disk = [v for v, b in zip(vdis, rec["VBDs"]) if self.sim.call("VBD.get_type", b) == "Disk"][0]
        sr = self.sim.call("VDI.get_SR", disk)
        self.assertIn(disk, self.sim.call("SR.get_VDIs", sr))
        tok = self.sim.call("event.from", ["*"], "", 0.0)["token"]
        self.sim.call("VM.destroy", vm)
        evs = self.sim.call("event.from", ["*"], tok, 0.0)["events"]
        dels = {(e["class"], e["ref"]) for e in evs if e["operation"] == "del"}
        self.assertIn(("vm", vm), dels)
        self.assertIn(("vm_metrics", rec["metrics"]), dels)
        for b in rec["VBDs"]:
            self.assertIn(("vbd", b), dels)
        for v in rec["VIFs"]:
            self.assertIn(("vif", v), dels)
        self.assertEqual(self.sim.call("VDI.get_VBDs", disk), [])
        mods = {(e["class"], e["ref"]) for e in evs if e["operation"] == "mod"}
        self.assertIn(("vdi", disk), mods)
        self.assertEqual(self.sim.call("VDI.get_uuid", disk), self.sim.call("VDI.get_record", disk)["uuid"])

    def test_b17_vdi_vbd_create_destroy_and_disk_file(self):
        sr = [k for k, v in self.sim.call("SR.get_all_records").items() if v["type"] == "nfs"][0]
        vdi = self.sim.call("VDI.create", {"name_label": "b17 disk", "SR": sr, "virtual_size": str(1 << 30),
                                           "type": "user", "sharable": False, "read_only": False,
                                           "other_config": {}, "sm_config": {}, "tags": [],
                                           "xenstore_data": {}, "name_description": ""})
        self.assertIn(vdi, self.sim.call("SR.get_VDIs", sr))
        path = os.path.join(self.sim.state_dir, self.sim.call("VDI.get_uuid", vdi) + ".raw")
        self.assertEqual(os.path.getsize(path), 1 << 30)
        self.sim.call("VDI.resize", vdi, str(2 << 30))
        self.assertEqual(os.path.getsize(path), 2 << 30)
        vm = self.sim.vm_in("Halted")[0]
        vbd = self.sim.call("VBD.create", {"VM": vm, "VDI": vdi, "userdevice": "5", "bootable": False,
                                           "mode": "RW", "type": "Disk", "empty": False,
                                           "other_config": {}, "qos_algorithm_type": "",
                                           "qos_algorithm_params": {}, "unpluggable": True})
        self.assertIn(vbd, self.sim.call("VM.get_VBDs", vm))
        self.assertIn(vbd, self.sim.call("VDI.get_VBDs", vdi))
        self.sim.call("VBD.destroy", vbd)
        self.assertNotIn(vbd, self.sim.call("VM.get_VBDs", vm))
        self.sim.call("VDI.destroy", vdi)
        self.assertFalse(os.path.exists(path))
        self.assertNotIn(vdi, self.sim.call("SR.get_VDIs", sr))

    def test_b17_vif_plug_unplug(self):
        vm = self.sim.vm_in("Running")[0]
        net = self.sim.call("network.get_all")[0]
        vif = self.sim.call("VIF.create", {"VM": vm, "network": net, "device": "7", "MAC": "",
                                           "MTU": "1500", "other_config": {},
                                           "qos_algorithm_type": "", "qos_algorithm_params": {}})
        self.assertTrue(self.sim.call("VIF.get_MAC_autogenerated", vif))
        self.sim.call("VIF.plug", vif)
        self.assertTrue(self.sim.call("VIF.get_currently_attached", vif))
        self.assertFails(["DEVICE_ALREADY_ATTACHED", vif], self.sim.call, "VIF.plug", vif)
        self.sim.call("VIF.unplug", vif)
        self.sim.call("VIF.destroy", vif)
        self.assertNotIn(vif, self.sim.call("network.get_VIFs", net))

    def test_b18_map_duplicate_key_and_sets(self):
        pool = self.sim.call("pool.get_all")[0]
        self.sim.call("pool.add_to_other_config", pool, "xo:barrier:1", "123")
        self.assertFails(["MAP_DUPLICATE_KEY", "pool", "other_config", pool, "xo:barrier:1"],
                         self.sim.call, "pool.add_to_other_config", pool, "xo:barrier:1", "123")
        self.sim.call("pool.remove_from_other_config", pool, "xo:barrier:1")
        self.sim.call("pool.remove_from_other_config", pool, "xo:barrier:1")  # silent
        self.assertNotIn("xo:barrier:1", self.sim.call("pool.get_other_config", pool))
        vm = self.sim.vm_in("Halted")[0]
        self.sim.call("VM.add_tags", vm, "prod")
        self.sim.call("VM.add_tags", vm, "prod")
        self.assertEqual(self.sim.call("VM.get_tags", vm).count("prod"), 1)
        self.sim.call("VM.remove_tags", vm, "nope")
        self.sim.call("VM.set_tags", vm, ["a", "b"])
        self.assertEqual(self.sim.call("VM.get_tags", vm), ["a", "b"])
        self.sim.call("VM.remove_tags", vm, "a")
        self.assertEqual(self.sim.call("VM.get_tags", vm), ["b"])

    def test_host_disable_evacuate_enable(self):
        hosts = self.sim.call("host.get_all")
        master = self.sim.call("pool.get_master", self.sim.call("pool.get_all")[0])
        other = [h for h in hosts if h != master][0]
        self.sim.call("host.disable", other)
        self.assertFalse(self.sim.call("host.get_enabled", other))
        vm = self.sim.vm_in("Halted")[0]
        self.assertFails(["HOST_DISABLED", other], self.sim.call, "VM.start_on", vm, other, False, False)
        # VMs on the host's local storage cannot leave it (VM_REQUIRES_SR), paused ones
        # cannot migrate (VM_BAD_POWER_STATE): stop them first
        for v in self.sim.call("host.get_resident_VMs", other):
            if not self.sim.call("VM.get_is_control_domain", v) and (
                    self.sim.local_disks(v) or self.sim.call("VM.get_power_state", v) == "Paused"):
                self.sim.call("VM.hard_shutdown", v)
        self.sim.call("host.evacuate", other)
        residents = [v for v in self.sim.call("host.get_resident_VMs", other)
                     if not self.sim.call("VM.get_is_control_domain", v)]
        self.assertEqual(residents, [])
        self.sim.call("host.enable", other)
        self.assertTrue(self.sim.call("host.get_enabled", other))

    def test_get_all_records_where(self):
        allv = self.sim.call("VM.get_all_records")
        running = self.sim.call("VM.get_all_records_where", 'field "power_state" = "Running"')
        self.assertEqual(set(running), {k for k, v in allv.items() if v["power_state"] == "Running"})
        expr = ('field "is_a_template" = "false" and not (field "power_state" = "Running" '
                'or field "is_control_domain" = "true")')
        got = self.sim.call("VM.get_all_records_where", expr)
        self.assertEqual(set(got), {k for k, v in allv.items() if not v["is_a_template"]
                                    and v["power_state"] != "Running" and not v["is_control_domain"]})
        self.assertEqual(set(self.sim.call("VM.get_all_records_where", "true")), set(allv))
        self.assertFails(["INTERNAL_ERROR"], self.sim.call, "VM.get_all_records_where", 'field "x" =')

    def test_generic_getters(self):
        vm = self.sim.vm_in("Halted")[0]
        uuid = self.sim.call("VM.get_uuid", vm)
        self.assertEqual(self.sim.call("VM.get_by_uuid", uuid), vm)
        self.assertFails(["UUID_INVALID", "VM", "nope"], self.sim.call, "VM.get_by_uuid", "nope")
        label = self.sim.call("VM.get_name_label", vm)
        self.assertIn(vm, self.sim.call("VM.get_by_name_label", label))
        self.assertEqual(set(self.sim.call("VM.get_all")), set(self.sim.call("VM.get_all_records")))
        self.assertFails(["MESSAGE_METHOD_UNKNOWN"], self.sim.call, "VM.set_uuid", vm, "x")


if __name__ == "__main__":
    unittest.main()
