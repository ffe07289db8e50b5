"""Under concurrent writers, a client that builds its cache from the initial dump and
then applies event.from batches (del → drop, else replace with snapshot) ends up with
exactly what get_all_records returns, and relations stay consistent (§4.1, §3.3)."""
import random
import threading
import time
import unittest

from simharness import SimTestCase, Failure

CLASSES = ["VM", "VBD", "VIF", "VDI", "VM_metrics", "VM_guest_metrics", "console", "task", "host", "SR"]


class Concurrency(SimTestCase):
    sim_args = ("--vms", "30", "--hosts", "2", "--seed", "5", "--op-delay", "0.05")

    def writer(self, seed, stop, errors):
        rng = random.Random(seed)
        while not stop.is_set():
            try:
                vms = self.sim.vms()
                vm = rng.choice(sorted(vms))
                state = vms[vm]["power_state"]
                action = rng.randrange(6)
                if action == 0 and state == "Halted":
                    self.sim.call("VM.start", vm, False, False)
                elif action == 1 and state == "Running":
                    self.sim.call("VM.hard_shutdown", vm)
                elif action == 2 and state == "Halted":
                    clone = self.sim.call("VM.clone", vm, "c%d" % rng.randrange(1000))
                    if rng.random() < 0.5:
                        self.sim.call("VM.destroy", clone)
                elif action == 3:
                    self.sim.call("VM.set_name_description", vm, str(rng.random()))
                elif action == 4:
                    t = self.sim.call("Async.VM.snapshot", vm, "s")
                    self.sim.wait_task(t)
                    self.sim.call("task.destroy", t)
                elif action == 5 and state == "Running":
                    self.sim.call("VM.suspend", vm)
            except Failure as e:
                # races between writers are expected; anything else is a bug
                if e.desc[0] not in ("VM_BAD_POWER_STATE", "OTHER_OPERATION_IN_PROGRESS", "HANDLE_INVALID"):
                    errors.append(e.desc)
            except Exception as e:  # noqa: BLE001 — report everything
                errors.append(repr(e))

    def test_event_replayed_cache_equals_get_all_records(self):
        classes = [c.lower() for c in CLASSES]
        first = self.sim.call("event.from", classes, "", 0.0)
        cache = {(e["class"], e["ref"]): e["snapshot"] for e in first["events"]}
        token = first["token"]
        stop, errors = threading.Event(), []
        threads = [threading.Thread(target=self.writer, args=(i, stop, errors)) for i in range(4)]
        for t in threads:
            t.start()
        # Until the writers have made 300 events (not for a fixed time: a loaded machine
        # is slower, not wrong), bounded by a generous deadline.
        end = time.time() + 60
        seen = 0
        while time.time() < end and seen < 300:
            r = self.sim.call("event.from", classes, token, 0.3)
            token = r["token"]
            seen += len(r["events"])
            for e in r["events"]:
                if e["operation"] == "del":
                    cache.pop((e["class"], e["ref"]), None)
                else:
                    cache[(e["class"], e["ref"])] = e["snapshot"]
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertGreater(seen, 100)   # the writers really changed things meanwhile
        r = self.sim.call("event.from", classes, token, 0.0)
        for e in r["events"]:
            if e["operation"] == "del":
                cache.pop((e["class"], e["ref"]), None)
            else:
                cache[(e["class"], e["ref"])] = e["snapshot"]
        for cls in CLASSES:
            truth = self.sim.call(cls + ".get_all_records")
            mine = {ref: rec for (c, ref), rec in cache.items() if c == cls.lower()}
            self.assertEqual(set(mine), set(truth), cls)
            for ref in truth:
                self.assertEqual(mine[ref], truth[ref], "%s %s" % (cls, ref))
            self.assertEqual(r["valid_ref_counts"][cls.lower()], len(truth))
        vms, vbds = self.sim.call("VM.get_all_records"), self.sim.call("VBD.get_all_records")
        for ref, vbd in vbds.items():
            self.assertIn(ref, vms[vbd["VM"]]["VBDs"])
        for ref, vm in vms.items():
            for b in vm["VBDs"]:
                self.assertEqual(vbds[b]["VM"], ref)


if __name__ == "__main__":
    unittest.main()
