"""Session and pool behaviours of reference §12: 5 (login 2–4 params, auth failure,
SESSION_INVALID), 6 (refs, HANDLE_INVALID / UUID_INVALID), 29 (restart forgets
sessions and tasks), 30 (HOST_IS_SLAVE from supporters, HOST_STILL_BOOTING during a
restart), plus the control endpoint's faults and "other client" changes."""
import re
import socket
import time
import unittest
import xmlrpc.client

from simharness import Sim, SimTestCase, FailsMixin, xml_request

REF = re.compile(r"^OpaqueRef:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class Sessions(SimTestCase):
    def test_b05_login_logout_and_errors(self):
        s = self.sim.xcall("session.login_with_password", "root", "secret")
        self.assertRegex(s, REF)
        self.assertFails(["SESSION_AUTHENTICATION_FAILED", "root", "Authentication failure"],
                         self.sim.xcall, "session.login_with_password", "root", "wrong")
        self.assertFails(["SESSION_AUTHENTICATION_FAILED", "admin", "Authentication failure"],
                         self.sim.xcall, "session.login_with_password", "admin", "secret", "1.0", "x")
        self.assertEqual(self.sim.xcall("session.get_this_host", s, s), self.sim.call("pool.get_master",
                                                                                   self.sim.call("pool.get_all")[0]))
        self.sim.xcall("session.logout", s)
        self.assertFails(["SESSION_INVALID", s], self.sim.xcall, "VM.get_all", s)
        self.assertFails(["SESSION_INVALID", "OpaqueRef:NULL"], self.sim.xcall, "VM.get_all", "OpaqueRef:NULL")
        # JSON-RPC and XML-RPC share sessions
        j = self.sim.jcall_raw("session.login_with_password", ["root", "secret"])[2]["result"]
        self.assertTrue(self.sim.xcall("pool.get_all", j))

    def test_b06_refs_and_handle_errors(self):
        recs = self.sim.call("VM.get_all_records")
        for ref, rec in recs.items():
            self.assertRegex(ref, REF)
            self.assertRegex(rec["uuid"], r"^[0-9a-f-]{36}$")
        halted = [r for r in recs.values() if r["power_state"] == "Halted"][0]
        self.assertEqual(halted["resident_on"], "OpaqueRef:NULL")
        self.assertFails(["HANDLE_INVALID", "VM", "OpaqueRef:NULL"], self.sim.call, "VM.get_record", "OpaqueRef:NULL")
        self.assertFails(["HANDLE_INVALID", "SR", "OpaqueRef:x"], self.sim.call, "SR.get_name_label", "OpaqueRef:x")
        self.assertFails(["UUID_INVALID", "host", "abc"], self.sim.call, "host.get_by_uuid", "abc")
        # unknown enum values are refused
        self.assertFails(["INTERNAL_ERROR"], self.sim.call, "VM.set_actions_after_shutdown",
                         list(recs)[0], "explode")
        # a ref of another class is invalid for this class
        vm = list(recs)[0]
        self.assertFails(["HANDLE_INVALID", "host", vm], self.sim.call, "host.get_record", vm)

    def test_b29_session_quota_evicts_oldest_of_same_originator(self):
        first = self.sim.xcall("session.login_with_password", "root", "secret", "1.0", "quota-test")
        for _ in range(500):
            self.sim.xcall("session.login_with_password", "root", "secret", "1.0", "quota-test")
        self.assertFails(["SESSION_INVALID", first], self.sim.xcall, "pool.get_all", first)
        self.assertTrue(self.sim.call("pool.get_all"))  # other originators untouched


class Faults(SimTestCase):
    def test_fail_next_call_with_given_error(self):
        self.sim.ctl("fail", method="VM.get_all", error=["VM_BAD_POWER_STATE", "a", "b", "c"], count=2)
        for _ in range(2):
            self.assertFails(["VM_BAD_POWER_STATE", "a", "b", "c"], self.sim.call, "VM.get_all")
        self.assertTrue(self.sim.call("VM.get_all"))
        vm = self.sim.vm_in("Halted")[0]
        self.sim.ctl("fail", method="VM.start", error=["HOST_NOT_ENOUGH_FREE_MEMORY", "1", "0"])
        task = self.sim.call("Async.VM.start", vm, False, False)   # lands in the task
        rec = self.sim.wait_task(task)
        self.assertEqual((rec["status"], rec["error_info"]), ("failure", ["HOST_NOT_ENOUGH_FREE_MEMORY", "1", "0"]))
        self.assertEqual(self.sim.call("VM.get_power_state", vm), "Halted")
        self.sim.ctl("fail", method="*", error=["TOO_MANY_PENDING_TASKS"], count=-1)
        self.assertFails(["TOO_MANY_PENDING_TASKS"], self.sim.call, "host.get_all")
        self.sim.ctl("clear")
        self.assertTrue(self.sim.call("host.get_all"))

    def test_delay_answers(self):
        self.sim.ctl("delay", method="pool.get_all", seconds=0.6, count=1)
        t0 = time.time()
        self.sim.call("pool.get_all")
        self.assertGreater(time.time() - t0, 0.55)
        t0 = time.time()
        self.sim.call("pool.get_all")
        self.assertLess(time.time() - t0, 0.5)

    def test_drop_connection(self):
        import http.client
        self.sim.ctl("drop", method="host.get_all", count=1)
        body = xml_request("host.get_all", "<value>%s</value>" % self.sim.session)
        with self.assertRaises((ConnectionError, http.client.HTTPException)):
            self.sim.post("/", body)
        status, _, text = self.sim.post("/", body)
        self.assertEqual(status, 200)
        self.assertIn("<value>Success</value>", text)

    def test_other_client_changes(self):
        vm = self.sim.vm_in("Halted")[1]
        tok = self.sim.call("event.from", ["vm"], "", 0.0)["token"]
        self.sim.ctl("rename", ref=vm, name="renamed by someone")
        self.sim.ctl("power", ref=vm, state="Running")
        r = self.sim.call("event.from", ["vm"], tok, 0.0)
        snap = [e["snapshot"] for e in r["events"] if e["ref"] == vm][0]
        self.assertEqual((snap["name_label"], snap["power_state"]), ("renamed by someone", "Running"))
        self.sim.ctl("power", ref=vm, state="Suspended")
        rec = self.sim.call("VM.get_record", vm)
        self.assertEqual((rec["power_state"], rec["resident_on"]), ("Suspended", "OpaqueRef:NULL"))
        self.assertEqual(self.sim.call("VDI.get_type", rec["suspend_VDI"]), "suspend")
        new = self.sim.ctl("add_vm", name="added", power_state="Running")
        self.assertEqual(self.sim.call("VM.get_power_state", new), "Running")
        gm = self.sim.ctl("guest_metrics", ref=new, networks={"0/ip": "192.0.2.7"})
        self.assertEqual(self.sim.call("VM_guest_metrics.get_networks", gm), {"0/ip": "192.0.2.7"})
        self.sim.ctl("remove_vm", ref=new)
        self.assertFails(["HANDLE_INVALID", "VM", new], self.sim.call, "VM.get_record", new)
        uuid = self.sim.call("VM.get_uuid", vm)
        self.sim.ctl("set", **{"class": "VM", "ref": uuid, "field": "name_description", "value": "by uuid"})
        self.assertEqual(self.sim.call("VM.get_name_description", vm), "by uuid")
        m = self.sim.ctl("message", name="ALARM", body="value: 1.0", cls="VM", obj_uuid=uuid)
        self.assertEqual(self.sim.call("message.get_record", m)["name"], "ALARM")


class Ageing(SimTestCase):
    """Own simulator: moves its clock forward."""

    def test_b29_sessions_expire_after_24h_idle_and_tasks_are_collected(self):
        done = self.sim.call("task.create", "still pending", "")
        t = self.sim.call("Async.VDI.snapshot",
                          self.sim.call("VBD.get_VDI", [b for b, r in self.sim.call("VBD.get_all_records").items()
                                                        if r["type"] == "Disk"][0]), {})
        self.sim.wait_task(t)
        self.sim.ctl("time_travel", seconds=66 * 60)
        self.sim.call("task.create", "trigger gc", "")
        self.assertFails(["HANDLE_INVALID", "task", t], self.sim.call, "task.get_record", t)
        self.assertEqual(self.sim.call("task.get_status", done), "pending")  # pending: kept
        self.sim.ctl("time_travel", seconds=24 * 3600 + 60)
        self.assertFails(["SESSION_INVALID", self.sim.session], self.sim.call, "pool.get_all")
        self.sim.session = self.sim.xcall("session.login_with_password", "root", "secret")
        self.assertTrue(self.sim.call("pool.get_all"))


class Restart(FailsMixin, unittest.TestCase):
    """Own simulator: restart wipes it."""

    def setUp(self):
        self.sim = Sim("--vms", "6", "--hosts", "3", "--op-delay", "0.1", "--serve-supporters")

    def tearDown(self):
        self.sim.stop()

    def test_b29_b30_restart_refuses_then_boots_then_forgets(self):
        s = self.sim.session
        task = self.sim.call("task.create", "before restart", "")
        import http.client
        kept = http.client.HTTPConnection(self.sim.host, self.sim.port, timeout=5)
        kept.request("POST", "/", xml_request("system.listMethods"), {"content-type": "text/xml"})
        kept.getresponse().read()
        self.sim.ctl("restart", refuse_seconds=1.0, booting_seconds=1.0)
        time.sleep(0.3)
        with self.assertRaises(OSError):
            socket.create_connection((self.sim.host, self.sim.port), timeout=2).close()
        with self.assertRaises((OSError, http.client.HTTPException)):  # open connections were cut
            kept.request("POST", "/", xml_request("system.listMethods"), {"content-type": "text/xml"})
            kept.getresponse().read()
        kept.close()
        time.sleep(1.2)
        self.assertFails(["HOST_STILL_BOOTING"], self.sim.xcall, "session.login_with_password", "root", "secret")
        time.sleep(1.2)
        self.assertFails(["SESSION_INVALID", s], self.sim.xcall, "pool.get_all", s)
        s2 = self.sim.xcall("session.login_with_password", "root", "secret")
        self.assertFails(["HANDLE_INVALID", "task", task], self.sim.xcall, "task.get_record", s2, task)
        self.assertEqual(self.sim.xcall("task.get_all", s2), [])

    def test_b30_host_is_slave_from_supporters(self):
        hosts = self.sim.call("host.get_all_records")
        master = self.sim.call("pool.get_master", self.sim.call("pool.get_all")[0])
        addrs = sorted(h["address"] for h in hosts.values())
        self.assertEqual(addrs, ["127.0.0.1", "127.0.0.2", "127.0.0.3"])
        self.assertEqual(hosts[master]["address"], "127.0.0.1")
        with xmlrpc.client.ServerProxy("http://127.0.0.2:%d" % self.sim.port) as proxy:
            a = proxy.session.login_with_password("root", "secret")
            self.assertEqual(a, {"Status": "Failure", "ErrorDescription": ["HOST_IS_SLAVE", "127.0.0.1"]})
            a = proxy.VM.get_all(self.sim.session)
            self.assertEqual(a["ErrorDescription"], ["HOST_IS_SLAVE", "127.0.0.1"])


class SlowAuth(FailsMixin, unittest.TestCase):
    def test_b05_auth_failure_delay(self):
        sim = Sim("--vms", "3", "--auth-failure-delay", "0.5")
        try:
            t0 = time.time()
            self.assertFails(["SESSION_AUTHENTICATION_FAILED"], sim.xcall,
                             "session.login_with_password", "root", "nope")
            self.assertGreater(time.time() - t0, 0.45)
            t0 = time.time()
            sim.xcall("session.login_with_password", "root", "secret")
            self.assertLess(time.time() - t0, 0.45)
        finally:
            sim.stop()


class SupporterInstance(unittest.TestCase):
    def test_b30_supporter_of_flag(self):
        import subprocess
        import tempfile
        import shutil
        from simharness import SIM
        d = tempfile.mkdtemp()
        p = subprocess.Popen(["/usr/bin/python3", SIM, "--vms", "3", "--state-dir", d,
                              "--supporter-of", "192.0.2.1"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
        try:
            url = p.stdout.readline().split(" on ", 1)[1].strip()
            with xmlrpc.client.ServerProxy(url) as proxy:
                a = proxy.session.login_with_password("root", "secret")
            self.assertEqual(a["ErrorDescription"], ["HOST_IS_SLAVE", "192.0.2.1"])
        finally:
            p.terminate()
            p.wait(20)
            p.stdout.close()
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
