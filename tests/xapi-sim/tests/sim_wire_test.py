"""Wire behaviours of reference §12: 1 (untyped values), 2 (envelope), 3 (content
types), 4 (JSON-RPC shapes), 19 (system.listMethods), 20 (parameter count), plus the
HTTP 500 cases for malformed requests."""
import json
import re
import unittest

from simharness import SimTestCase, xml_request


class Wire(SimTestCase):
    def login_xml(self):
        _, _, body = self.sim.post("/", xml_request("session.login_with_password",
                                                    "<value>root</value>", "<value>secret</value>"))
        return re.search(r"<value>(OpaqueRef:[^<]+)</value>", body).group(1)

    def test_b01_untyped_strings_and_ints_typed_bool_double_datetime(self):
        s = self.login_xml()
        vm = sorted(self.sim.vms())[0]
        _, _, body = self.sim.post("/", xml_request("VM.get_record", "<value>%s</value>" % s,
                                                    "<value>%s</value>" % vm))
        self.assertRegex(body, r"<name>memory_static_max</name><value>\d+</value>")
        self.assertRegex(body, r"<name>power_state</name><value>(Halted|Running|Paused|Suspended)</value>")
        self.assertRegex(body, r"<name>is_a_template</name><value><boolean>0</boolean></value>")
        self.assertRegex(body, r"<name>HVM_shadow_multiplier</name><value><double>1</double></value>")
        self.assertRegex(body, r"<name>snapshot_time</name><value><dateTime.iso8601>\d{8}T\d\d:\d\d:\d\dZ</dateTime.iso8601></value>")
        self.assertNotIn("<string>", body)
        self.assertNotIn("<int>", body)
        self.assertNotIn("<i8>", body)

    def test_b01_request_parser_accepts_untyped_typed_and_int_as_string(self):
        s = self.login_xml()
        # xapi changes the static range of halted VMs only, above their dynamic maximum
        vm = sorted(self.sim.vms(lambda r: r["power_state"] == "Halted" and int(r["memory_dynamic_max"]) <= 4 << 30))[0]
        for v in ("<value>4294967296</value>", "<value><int>4294967296</int></value>",
                  "<value><i8>4294967296</i8></value>", "<value><string>4294967296</string></value>"):
            _, _, body = self.sim.post("/", xml_request(
                "VM.set_memory_static_max", "<value><string>%s</string></value>" % s,
                "<value>%s</value>" % vm, v))
            self.assertIn("<value>Success</value>", body)
            self.assertEqual(self.sim.call("VM.get_memory_static_max", vm), "4294967296")
        # a bool parameter accepts only <boolean>
        _, _, body = self.sim.post("/", xml_request("VM.set_is_a_template", "<value>%s</value>" % s,
                                                    "<value>%s</value>" % vm, "<value>true</value>"))
        self.assertIn("INTERNAL_ERROR", body)
        # empty <value/> is the empty string
        _, _, body = self.sim.post("/", xml_request("VM.set_name_description", "<value>%s</value>" % s,
                                                    "<value>%s</value>" % vm, "<value/>"))
        self.assertIn("<value>Success</value>", body)
        self.assertEqual(self.sim.call("VM.get_name_description", vm), "")

    def test_b02_envelope_status_first_http_200_string_params(self):
        status, headers, body = self.sim.post("/", xml_request(
            "VM.get_record", "<value>%s</value>" % self.login_xml(), "<value>OpaqueRef:nope</value>"))
        self.assertEqual(status, 200)
        self.assertEqual(body, '<?xml version="1.0"?><methodResponse><params><param><value><struct>'
                               '<member><name>Status</name><value>Failure</value></member>'
                               '<member><name>ErrorDescription</name><value><array><data>'
                               '<value>HANDLE_INVALID</value><value>VM</value><value>OpaqueRef:nope</value>'
                               '</data></array></value></member></struct></value></param></params></methodResponse>')
        _, _, body = self.sim.post("/", xml_request("session.login_with_password",
                                                    "<value>root</value>", "<value>secret</value>"))
        self.assertTrue(body.startswith('<?xml version="1.0"?><methodResponse><params><param><value><struct>'
                                        '<member><name>Status</name><value>Success</value></member>'
                                        '<member><name>Value</name><value>OpaqueRef:'), body)

    def test_b03_exact_content_types(self):
        _, h, _ = self.sim.post("/", xml_request("system.listMethods"))
        self.assertEqual(h["content-type"], "text/xml")
        _, h, _ = self.sim.post("/xmlrpc", xml_request("system.listMethods"))
        self.assertEqual(h["content-type"], "text/xml")
        _, h, _ = self.sim.post("/RPC2", xml_request("system.listMethods"))
        self.assertEqual(h["content-type"], "text/xml")
        status, h, _ = self.sim.jcall_raw("system.listMethods", [])
        self.assertEqual((status, h["content-type"]), (200, "application/json"))

    def test_b04_jsonrpc_v2_v1_shapes(self):
        status, _, a = self.sim.jcall_raw("session.login_with_password", ["root", "secret"], rid=7)
        self.assertEqual(set(a), {"jsonrpc", "result", "id"})
        self.assertEqual((a["jsonrpc"], a["id"]), ("2.0", 7))
        s = a["result"]
        _, _, a = self.sim.jcall_raw("VM.get_record", [s, "OpaqueRef:x"], rid="abc")
        self.assertEqual(a, {"jsonrpc": "2.0", "error": {"code": 1, "message": "HANDLE_INVALID",
                                                         "data": ["VM", "OpaqueRef:x"]}, "id": "abc"})
        _, _, a = self.sim.jcall_raw("VM.get_record", [s, "OpaqueRef:x"], version=1, rid=3)
        self.assertEqual(a, {"result": None, "error": ["HANDLE_INVALID", "VM", "OpaqueRef:x"], "id": 3})
        _, _, a = self.sim.jcall_raw("session.get_uuid", [s, s], version=1, rid=4)
        self.assertEqual((a["error"], a["id"]), (None, 4))
        vm = sorted(self.sim.vms())[0]
        _, _, a = self.sim.jcall_raw("VM.get_memory_static_max", [s, vm])
        self.assertIsInstance(a["result"], int)
        _, _, a = self.sim.jcall_raw("VM.get_is_a_template", [s, vm])
        self.assertIs(a["result"], False)
        _, _, a = self.sim.jcall_raw("VM.get_snapshot_time", [s, vm])
        self.assertRegex(a["result"], r"^\d{8}T\d\d:\d\d:\d\dZ$")
        # ints may be sent as strings
        _, _, a = self.sim.jcall_raw("VM.set_VCPUs_at_startup", [s, vm, "2"])
        self.assertEqual(a["result"], "")

    def test_b04_missing_id_and_bad_json_are_http_500(self):
        status, h, body = self.sim.post("/jsonrpc", json.dumps(
            {"jsonrpc": "2.0", "method": "system.listMethods", "params": []}), "application/json")
        self.assertEqual(status, 500)
        self.assertTrue(h["content-type"].startswith("text/html"))
        status, _, _ = self.sim.post("/jsonrpc", "{nope", "application/json")
        self.assertEqual(status, 500)
        status, _, _ = self.sim.post("/jsonrpc", json.dumps({"jsonrpc": "1.5", "method": "x", "id": 1}),
                                     "application/json")
        self.assertEqual(status, 500)

    def test_malformed_xml_and_missing_params_are_http_500(self):
        status, h, body = self.sim.post("/", "<methodCall><methodName>x</methodName>")
        self.assertEqual(status, 500)
        self.assertEqual(h["content-type"], "text/html")
        status, _, _ = self.sim.post("/", "<?xml version='1.0'?><methodCall><methodName>"
                                          "system.listMethods</methodName></methodCall>")
        self.assertEqual(status, 500)
        status, _, _ = self.sim.post("/", "x" * (301 * 1024))
        self.assertEqual(status, 500)

    def raw(self, data):
        import socket
        with socket.create_connection((self.sim.host, self.sim.port), timeout=10) as c:
            c.sendall(data)
            out = b""
            while True:
                piece = c.recv(65536)
                if not piece:
                    return out.decode()
                out += piece

    def test_missing_content_length_is_500_and_http10_closes(self):
        body = xml_request("system.listMethods").encode()
        out = self.raw(b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + body)
        self.assertTrue(out.startswith("HTTP/1.1 500 "), out[:100])
        out = self.raw(b"POST / HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        self.assertTrue(out.startswith("HTTP/1.1 200 OK\r\n"), out[:100])
        head = out.split("\r\n\r\n", 1)[0]
        self.assertIn("\r\nconnection: close", head)
        self.assertIn("\r\ncontent-type: text/xml\r\n", head)
        self.assertIn("\r\ncache-control: no-cache, no-store", head)

    def test_no_100_continue(self):
        body = xml_request("system.listMethods").encode()
        out = self.raw(b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n"
                       b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.assertTrue(out.startswith("HTTP/1.1 200 OK"), out[:60])
        self.assertNotIn("100 Continue", out)

    def test_legacy_json_endpoint_answers_xml(self):
        status, h, body = self.sim.post("/json", '{"method": "session.login_with_password", '
                                                 '"params": ["root", "secret"], "id": 1}', "application/json")
        self.assertEqual((status, h["content-type"]), (200, "text/xml"))
        self.assertIn("<value>Success</value>", body)

    def test_control_characters_dropped_and_entities_escaped(self):
        vm = sorted(self.sim.vms())[0]
        self.sim.jcall("VM.set_name_description", vm, 'a<b>&"c\x01d\u00e9')
        _, _, body = self.sim.post("/", xml_request("VM.get_name_description", "<value>%s</value>" % self.sim.session,
                                                    "<value>%s</value>" % vm))
        self.assertIn("<value>a&lt;b&gt;&amp;&quot;cd\u00e9</value>", body)

    def test_b19_list_methods_without_envelope(self):
        _, _, body = self.sim.post("/", xml_request("system.listMethods"))
        self.assertTrue(body.startswith('<?xml version="1.0"?><methodResponse><params><param>'
                                        '<value><array><data><value>'), body[:200])
        self.assertNotIn("Status", body)
        methods = self.sim.proxy.system.listMethods()
        classes = {m.split(".")[0] for m in methods if m.endswith(".get_all_records")}
        self.assertTrue({"pool", "host", "host_metrics", "host_cpu", "VM", "VM_metrics",
                         "VM_guest_metrics", "console", "SR", "PBD", "VDI", "VBD", "VIF",
                         "network", "PIF", "PIF_metrics", "task", "message", "SM"} <= classes)
        self.assertIn("VM.start", methods)
        _, _, a = self.sim.jcall_raw("system.listMethods", [])
        self.assertEqual(sorted(a["result"]), sorted(methods))

    def test_b19_unknown_method_and_session_checked_first(self):
        self.assertFails(["MESSAGE_METHOD_UNKNOWN", "VM.frobnicate"], self.sim.call, "VM.frobnicate")
        self.assertFails(["SESSION_INVALID", "OpaqueRef:dead"], self.sim.xcall,
                         "VM.frobnicate", "OpaqueRef:dead")
        self.assertFails(["MESSAGE_METHOD_UNKNOWN", "VM.set_power_state"], self.sim.call,
                         "VM.set_power_state", "OpaqueRef:x", "Running")
        # Class_message spelling is accepted too
        self.assertEqual(self.sim.xcall("VM_get_all", self.sim.session), self.sim.call("VM.get_all"))

    def test_b20_parameter_count_mismatch_and_defaults(self):
        self.assertFails(["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.get_record", "1", "0"],
                         self.sim.call, "VM.get_record")
        self.assertFails(["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.get_record", "1", "2"],
                         self.sim.call, "VM.get_record", "a", "b")
        self.assertFails(["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.start", "3", "1"],
                         self.sim.call, "VM.start", "OpaqueRef:x")
        # login takes 2 to 4 params (version and originator defaulted)
        for extra in ([], ["1.0"], ["1.0", "me"]):
            self.assertTrue(self.sim.xcall("session.login_with_password", "root", "secret", *extra)
                            .startswith("OpaqueRef:"))
        self.assertFails(["MESSAGE_PARAMETER_COUNT_MISMATCH", "session.login_with_password", "4", "1"],
                         self.sim.xcall, "session.login_with_password", "root")

    def test_options_preflight_and_stray_get(self):
        import http.client
        c = http.client.HTTPConnection(self.sim.host, self.sim.port, timeout=10)
        c.request("OPTIONS", "/jsonrpc")
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 200)
        c.request("GET", "/nothing-here")
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 403)
        c.close()

    def test_keep_alive_serves_several_calls_on_one_connection(self):
        import http.client
        c = http.client.HTTPConnection(self.sim.host, self.sim.port, timeout=10)
        for _ in range(3):
            c.request("POST", "/", xml_request("system.listMethods"), {"content-type": "text/xml"})
            r = c.getresponse()
            self.assertEqual(r.getheader("connection"), "keep-alive")
            r.read()
        c.close()


if __name__ == "__main__":
    unittest.main()
