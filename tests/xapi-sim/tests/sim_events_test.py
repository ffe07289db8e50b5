"""Event behaviours of reference §12: 7 (event.from record shape), 8 (empty token =
full dump), 9 (blocking / timeout), 10 (coalescing), 11 (event.inject barrier),
29 (valid_ref_counts), and the legacy event.register/next."""
import threading
import time
import unittest

from simharness import SimTestCase, Failure

FROM = "event.from"


class Events(SimTestCase):
    def ev(self, classes, token, timeout=0.0):
        return self.sim.call(FROM, classes, token, timeout)

    def test_b07_result_struct_and_event_shape(self):
        r = self.ev(["vm"], "", 0.0)
        self.assertEqual(set(r), {"events", "valid_ref_counts", "token"})
        e = r["events"][0]
        self.assertEqual(list(e), ["id", "timestamp", "class", "operation", "ref", "snapshot"])
        self.assertEqual((e["class"], e["operation"], e["timestamp"]), ("vm", "add", "0.0"))
        self.assertIsInstance(e["id"], str)
        self.assertEqual(e["snapshot"], self.sim.call("VM.get_record", e["ref"]))
        self.assertRegex(r["token"], r"^\d{20},\d{20}$")
        # del has no snapshot
        vm = self.sim.ctl("add_vm", name="short-lived")
        tok = self.ev(["vm"], r["token"])["token"]
        self.sim.ctl("remove_vm", ref=vm)
        dels = [e for e in self.ev(["vm"], tok)["events"] if e["ref"] == vm]
        self.assertEqual(len(dels), 1)
        self.assertEqual(dels[0]["operation"], "del")
        self.assertNotIn("snapshot", dels[0])
        # JSON-RPC: same shape, counts as integers
        j = self.sim.jcall(FROM, ["pool"], "", 0.0)
        self.assertEqual(j["events"][0]["class"], "pool")
        self.assertIsInstance(j["valid_ref_counts"]["vm"], int)

    def test_b07_xml_ref_counts_are_i4(self):
        from simharness import xml_request
        _, _, body = self.sim.post("/", xml_request(
            FROM, "<value>%s</value>" % self.sim.session,
            "<value><array><data><value>pool</value></data></array></value>",
            "<value></value>", "<value><double>0</double></value>"))
        self.assertRegex(body, r"<name>valid_ref_counts</name><value><struct><member><name>\w+</name>"
                               r"<value><i4>\d+</i4></value>")

    def test_b08_empty_token_dumps_everything_as_add(self):
        r = self.ev(["*"], "")
        counts = {}
        for e in r["events"]:
            self.assertEqual(e["operation"], "add")
            counts[e["class"]] = counts.get(e["class"], 0) + 1
        for cls, n in r["valid_ref_counts"].items():
            self.assertEqual(counts.get(cls, 0), n, cls)
        self.assertEqual(counts["message"], len(self.sim.call("message.get_all")))
        # then incremental: nothing new
        self.assertEqual(self.ev(["*"], r["token"])["events"], [])

    def test_b09_blocks_until_change_then_returns_at_once(self):
        tok = self.ev(["vm"], "")["token"]
        vm = sorted(self.sim.vms())[0]
        threading.Timer(0.5, lambda: self.sim.ctl("rename", ref=vm, name="renamed-b09")).start()
        t0 = time.time()
        r = self.ev(["vm"], tok, 10.0)
        took = time.time() - t0
        self.assertTrue(0.4 < took < 3.0, took)
        self.assertEqual([(e["ref"], e["operation"]) for e in r["events"]], [(vm, "mod")])
        self.assertEqual(r["events"][0]["snapshot"]["name_label"], "renamed-b09")

    def test_b09_timeout_float_and_zero_poll(self):
        tok = self.ev(["host"], "")["token"]
        t0 = time.time()
        r = self.ev(["host"], tok, 0.7)
        took = time.time() - t0
        self.assertEqual(r["events"], [])
        self.assertTrue(0.6 < took < 2.0, took)
        self.sim.call(FROM, ["host"], r["token"], 0.0)  # usable token
        t0 = time.time()
        self.ev(["host"], tok, 0)
        self.assertLess(time.time() - t0, 0.5)

    def test_b09_long_poll_does_not_block_other_calls(self):
        tok = self.ev(["sr"], "")["token"]
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("r", self.ev(["sr"], tok, 3.0)))
        t.start()
        time.sleep(0.2)
        t0 = time.time()
        self.sim.call("pool.get_all")
        self.assertLess(time.time() - t0, 1.0)
        t.join()

    def test_b10_coalescing_one_event_per_object_current_snapshot(self):
        tok = self.ev(["vm"], "")["token"]
        vm = sorted(self.sim.vms())[1]
        for i in range(5):
            self.sim.call("VM.set_name_description", vm, "desc %d" % i)
        evs = [e for e in self.ev(["vm"], tok)["events"] if e["ref"] == vm]
        self.assertEqual(len(evs), 1)
        self.assertEqual(evs[0]["operation"], "mod")
        self.assertEqual(evs[0]["snapshot"]["name_description"], "desc 4")
        # created since the token → add (not add+mod); created+deleted → nothing
        tok = self.ev(["vm"], "")["token"]
        a = self.sim.ctl("add_vm", name="b10-a")
        self.sim.call("VM.set_name_description", a, "changed")
        b = self.sim.ctl("add_vm", name="b10-b")
        self.sim.ctl("remove_vm", ref=b)
        evs = self.ev(["vm"], tok)["events"]
        self.assertEqual([(e["ref"], e["operation"]) for e in evs if e["ref"] in (a, b)], [(a, "add")])
        self.assertEqual([e["snapshot"]["name_description"] for e in evs if e["ref"] == a], ["changed"])

    def test_b10_subscriptions_class_and_object(self):
        vms = sorted(self.sim.vms())
        tok = self.ev(["*"], "")["token"]
        self.sim.call("VM.set_name_description", vms[2], "x")
        self.sim.call("VM.set_name_description", vms[3], "y")
        r = self.ev(["VM/%s" % vms[2]], tok)
        self.assertEqual([e["ref"] for e in r["events"]], [vms[2]])
        self.assertEqual(self.ev(["host", "nonexistentclass"], tok)["events"], [])
        self.assertFails(["EVENT_SUBSCRIPTION_PARSE_FAILURE"], self.ev, ["a/b/c"], tok)
        self.assertFails(["EVENT_FROM_TOKEN_PARSE_FAILURE", "garbage"], self.ev, ["vm"], "garbage")

    def test_b11_inject_barrier(self):
        pool = self.sim.call("pool.get_all")[0]
        tok = self.ev(["*"], "")["token"]
        injected = self.sim.call("event.inject", "pool", pool)
        self.assertRegex(injected, r"^\d{20},0{20}$")
        r = self.ev(["pool"], injected)
        self.assertIn((pool, "mod"), [(e["ref"], e["operation"]) for e in r["events"]])
        self.assertGreaterEqual(r["token"], injected)
        self.assertIn(pool, [e["ref"] for e in self.ev(["pool"], tok)["events"]])
        self.assertFails(["HANDLE_INVALID", "Pool", pool], self.sim.call, "event.inject", "Pool", pool)
        self.assertFails(["HANDLE_INVALID", "VM", pool], self.sim.call, "event.inject", "VM", pool)

    def test_b29_valid_ref_counts_exact_for_tasks(self):
        r = self.ev(["task"], "")
        n = r["valid_ref_counts"]["task"]
        t = self.sim.call("task.create", "b29", "")
        r = self.ev(["task"], r["token"])
        self.assertEqual(r["valid_ref_counts"]["task"], n + 1)
        self.assertEqual(r["valid_ref_counts"]["task"], len(self.sim.call("task.get_all")))
        self.sim.call("task.cancel", t)
        self.sim.call("task.set_status", t, "cancelled")
        self.sim.call("task.destroy", t)
        r = self.ev(["task"], r["token"])
        self.assertEqual(r["valid_ref_counts"]["task"], n)
        self.assertEqual([(e["ref"], e["operation"]) for e in r["events"]], [(t, "del")])

    def test_b29_logout_wakes_blocked_event_from_with_session_invalid(self):
        s2 = self.sim.xcall("session.login_with_password", "root", "secret", "1.0", "other")
        tok = self.sim.xcall(FROM, s2, ["vm"], "", 0.0)["token"]
        out = {}

        def blocked():
            try:
                self.sim.xcall(FROM, s2, ["vm"], tok, 30.0)
            except Failure as e:
                out["err"] = e.desc
        t = threading.Thread(target=blocked)
        t.start()
        time.sleep(0.3)
        t0 = time.time()
        self.sim.xcall("session.logout", s2)
        t.join(5)
        self.assertLess(time.time() - t0, 3)
        self.assertEqual(out.get("err"), ["SESSION_INVALID", s2])

    def test_messages_events_and_token_second_half(self):
        r = self.ev(["message"], "")
        before = len(r["events"])
        self.assertTrue(all(e["id"] == "0" for e in r["events"]))
        m = self.sim.call("message.create", "TEST_MSG", "3", "Pool",
                          self.sim.call("pool.get_uuid", self.sim.call("pool.get_all")[0]), "body")
        r2 = self.ev(["message"], r["token"])
        self.assertEqual([(e["ref"], e["operation"]) for e in r2["events"]], [(m, "add")])
        self.assertEqual(r2["events"][0]["snapshot"]["name"], "TEST_MSG")
        self.sim.call("message.destroy", m)
        r3 = self.ev(["message"], r2["token"])
        self.assertEqual([(e["ref"], e["operation"]) for e in r3["events"]], [(m, "del")])
        # a token with message generation 0 yields all messages again
        inj = self.sim.call("event.inject", "pool", self.sim.call("pool.get_all")[0])
        self.assertEqual(len([e for e in self.ev(["message"], inj)["events"]]), before)

    def test_legacy_register_next(self):
        s2 = self.sim.xcall("session.login_with_password", "root", "secret")
        self.assertFails(["SESSION_NOT_REGISTERED", s2], self.sim.xcall, "event.next", s2)
        self.sim.xcall("event.register", s2, ["vm"])
        vm = sorted(self.sim.vms())[4]
        self.sim.call("VM.set_name_description", vm, "one")
        self.sim.call("VM.set_name_description", vm, "two")
        evs = self.sim.xcall("event.next", s2)
        mine = [e for e in evs if e["ref"] == vm]
        self.assertEqual(len(mine), 2)   # no coalescing in the legacy API
        self.assertEqual(mine[-1]["snapshot"]["name_description"], "two")
        self.assertRegex(mine[0]["timestamp"], r"^\d+\.$")
        self.assertTrue(int(self.sim.xcall("event.get_current_id", s2)) >= int(mine[-1]["id"]))
        self.sim.xcall("event.unregister", s2, ["vm"])


if __name__ == "__main__":
    unittest.main()
