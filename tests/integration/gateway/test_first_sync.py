"""The poller's first sync streams the dump (issue 14, lib/xapi/event_spool.h): event.from's
whole-pool answer is spooled compactly as it arrives and mapped one decoded record at a time,
(on two threads for a pool's worth of objects), so the poller's peak memory during the sync
stays close to what it keeps afterwards, and
every reference between objects of the dump resolves whatever their order on the wire."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, read, wait_until  # noqa: E402

VMS = 2000
# What the first sync may add to the poller's resident memory above what it keeps once
# synchronised (spool, decompressed blocks, one batch's bookkeeping). Decoding the whole dump
# at once, as before, added about 90 MiB at this size (450 MiB at 10,000 VMs); the spool adds
# a few MiB. Memory, not time: a loaded machine does not move it.
MAX_SYNC_OVERHEAD_MIB = 40


def status_kib(pid, key):
    return int(re.search(r"^%s:\s+(\d+) kB" % key, read("/proc/%d/status" % pid), re.M).group(1))


class FirstSyncTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=VMS, hosts=3, wait=False, cache_mb=128)
        try:
            cls.s.wait_synced(timeout=240)
        except BaseException:
            cls.s.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def test_the_dump_is_spooled_and_the_peak_stays_near_what_the_poller_keeps(self):
        line = re.search(r"synchronised (\d+) XAPI objects \(applied in \d+ ms, dump spooled in (\d+) MiB"
                         r"[^;]*; create \d+, index \d+, emit \d+ ms on (\d) thread", self.s.log_text())
        self.assertIsNotNone(line, "the poller did not log a spooled first sync")
        self.assertEqual(line.group(3), "2", "a pool's first sync is mapped on two threads")
        self.assertGreater(int(line.group(1)), VMS * 5)  # VMs, their metrics, disks, VIFs, ...
        # Logged once the sync's memory went back (malloc_trim): what the poller keeps.
        wait_until(lambda: "heap after the sync" in self.s.log_text(), 60, "the poller's heap report")
        [poller] = self.s.pids("poller")
        peak, now = status_kib(poller, "VmHWM"), status_kib(poller, "VmRSS")
        overhead_mib = (peak - now) / 1024
        print("poller: peak %d MiB, %d MiB after the sync, spool %s MiB" % (peak >> 10, now >> 10, line.group(2)))
        self.assertLess(overhead_mib, MAX_SYNC_OVERHEAD_MIB)

    def test_every_reference_of_the_dump_resolves(self):
        vms = self.s.api("/rest/v0/vms?fields=uuid,power_state,$VBDs,VIFs,$container,$pool")
        self.assertEqual(len(vms), VMS)
        pool = self.s.api("/rest/v0/pools?fields=uuid")[0]["uuid"]
        hosts = {h["uuid"] for h in self.s.api("/rest/v0/hosts?fields=uuid")}
        vbds = {v["uuid"]: v for v in self.s.api("/rest/v0/vbds?fields=uuid,VM")}
        vifs = {v["uuid"]: v for v in self.s.api("/rest/v0/vifs?fields=uuid,$VM")}
        for vm in vms:
            self.assertEqual(vm["$pool"], pool)
            self.assertTrue(vm["$VBDs"] or vm["VIFs"], vm)
            for vbd in vm["$VBDs"]:
                self.assertEqual(vbds[vbd]["VM"], vm["uuid"])
            for vif in vm["VIFs"]:
                self.assertEqual(vifs[vif]["$VM"], vm["uuid"])
            # A running VM's host; a halted one's pool, or the host of its local disks.
            self.assertIn(vm["$container"], hosts if vm["power_state"] == "Running" else hosts | {pool})


if __name__ == "__main__":
    unittest.main()
