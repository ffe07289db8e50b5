"""What XO reads from hosts besides the datamodel (xapisim/monitoring.py): /rrd_updates
(JSON and XML, per host, steps, newest row first), host.call_plugin (updater, hyperthreading),
/host_logs_download."""
import io
import json
import tarfile
import time
import unittest
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

from simharness import Sim, FailsMixin


def get(url, timeout=30):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read()


class Monitoring(FailsMixin, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim("--vms", "12", "--hosts", "2", "--seed", "3", "--serve-supporters")
        hosts = cls.sim.call("host.get_all_records")
        cls.hosts = sorted(hosts.items(), key=lambda kv: kv[1]["address"])  # master first

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def rrd(self, address, **query):
        q = "&".join("%s=%s" % kv for kv in dict({"session_id": self.sim.session}, **query).items())
        return get("http://%s:%d/rrd_updates?%s" % (address, self.sim.port, q))

    def test_json_rows_of_the_host_reached_and_its_running_vms(self):
        for ref, host in self.hosts:
            now = int(time.time())
            status, ctype, body = self.rrd(host["address"], start=now - 600 + 5, interval=5, cf="AVERAGE",
                                          host="true", json="true")
            self.assertEqual((status, ctype), (200, "application/json"))
            d = json.loads(body)
            meta = d["meta"]
            self.assertEqual(meta["step"], 5)
            self.assertEqual(meta["columns"], len(meta["legend"]))
            self.assertEqual(meta["rows"], len(d["data"]))
            self.assertGreaterEqual(meta["rows"], 118)
            times = [row["t"] for row in d["data"]]
            self.assertEqual(times, sorted(times, reverse=True))  # newest first
            self.assertEqual(meta["end"], times[0])
            owners = {e.split(":")[1] + ":" + e.split(":")[2] for e in meta["legend"]}
            running = {"vm:" + self.sim.call("VM.get_uuid", vm) for vm in host["resident_VMs"]
                       if not self.sim.call("VM.get_is_control_domain", vm)}
            self.assertEqual(owners, {"host:" + host["uuid"]} | running)
            self.assertIn("AVERAGE:host:%s:memory_free_kib" % host["uuid"], meta["legend"])
            self.assertTrue(all(isinstance(v, str) for v in d["data"][0]["values"]))
            float(d["data"][0]["values"][0])

    def test_steps_vm_filter_xml_and_errors(self):
        address = self.hosts[0][1]["address"]
        now = int(time.time())
        for step, points in ((60, 120), (3600, 168), (86400, 366)):
            d = json.loads(self.rrd(address, start=now - step * points + step, interval=step, json="true")[2])
            self.assertEqual(d["meta"]["step"], step)
            self.assertFalse([e for e in d["meta"]["legend"] if ":host:" in e])  # no host=true
        vm = next(v for v in self.hosts[0][1]["resident_VMs"] if not self.sim.call("VM.get_is_control_domain", v))
        uuid = self.sim.call("VM.get_uuid", vm)
        d = json.loads(self.rrd(address, start=now - 60, vm_uuid=uuid, json="true")[2])
        self.assertEqual({e.split(":")[2] for e in d["meta"]["legend"]}, {uuid})
        status, ctype, body = self.rrd(address, start=now - 60, host="true")
        root = ET.fromstring(body)
        self.assertEqual(root.tag, "xport")
        self.assertEqual(int(root.find("meta/columns").text), len(root.findall("meta/legend/entry")))
        self.assertEqual(self.rrd(address, interval=5)[0], 400)  # no start
        self.assertEqual(get("http://%s:%d/rrd_updates?session_id=OpaqueRef:bad&start=1" %
                             (address, self.sim.port))[0], 401)

    def test_call_plugin_updater_and_hyperthreading(self):
        counts = [len(json.loads(self.sim.call("host.call_plugin", ref, "updater.py", "check_update", {})))
                  for ref, _ in self.hosts]
        self.assertEqual(counts, [2, 1])
        self.assertEqual([self.sim.call("host.call_plugin", ref, "hyperthreading.py", "get_hyperthreading", {})
                          for ref, _ in self.hosts], ["true", "false"])
        ref = self.hosts[0][0]
        self.assertFails(["XENAPI_MISSING_PLUGIN", "nope.py"], self.sim.call, "host.call_plugin", ref, "nope.py", "x", {})
        self.assertFails(["UNKNOWN_XENAPI_PLUGIN_FUNCTION", "x"], self.sim.call, "host.call_plugin", ref,
                         "updater.py", "x", {})

    def test_host_logs_download_is_a_tgz(self):
        address = self.hosts[1][1]["address"]
        status, _, body = get("http://%s:%d/host_logs_download?session_id=%s" % (address, self.sim.port,
                                                                                 self.sim.session))
        self.assertEqual(status, 200)
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
            self.assertIn("var/log/xensource.log", tar.getnames())
            text = tar.extractfile("var/log/messages").read().decode()
        self.assertIn(self.hosts[1][1]["hostname"], text)


if __name__ == "__main__":
    unittest.main()
