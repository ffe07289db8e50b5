"""Harness for the simulator's own over-the-wire tests: start xapi-sim on a free port
with a private state dir, raw HTTP / XML-RPC / JSON-RPC calls, control endpoint.
Everything started is stopped and removed by stop()."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
from xapisim.ctl import control  # noqa: E402

SIM = os.path.join(ROOT, "xapi-sim")
USER, PASSWORD = "root", "secret"


class Failure(Exception):
    def __init__(self, desc):
        super().__init__(desc)
        self.desc = desc


class Sim:
    def __init__(self, *args):
        self.state_dir = tempfile.mkdtemp(prefix="xapi-sim-test-")
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", SIM, "--port", "0", "--state-dir", self.state_dir,
             "--no-dataplane"] + list(args),
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("xapi-sim listening on "):
            self.stop()
            raise RuntimeError("simulator did not start: %r" % line)
        self.url = line.split(" on ", 1)[1].strip()
        u = urllib.parse.urlparse(self.url)
        self.host, self.port = u.hostname, u.port
        self.proxy = xmlrpc.client.ServerProxy(self.url, allow_none=True)
        self.session = self.xcall("session.login_with_password", USER, PASSWORD, "1.0", "sim-test")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.log.close()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    # ---------------------------------------------------------------- raw HTTP
    def post(self, path, body, ctype="text/xml", headers=None, timeout=30):
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            h = {"content-type": ctype}
            h.update(headers or {})
            c.request("POST", path, body.encode() if isinstance(body, str) else body, h)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
        finally:
            c.close()

    # ---------------------------------------------------------------- XML-RPC
    def xcall_raw(self, method, *params):
        with xmlrpc.client.ServerProxy(self.url, allow_none=True) as proxy:  # thread-safe
            fn = proxy
            for part in method.split("."):
                fn = getattr(fn, part)
            return fn(*params)

    def xcall(self, method, *params):
        a = self.xcall_raw(method, *params)
        if a.get("Status") != "Success":
            raise Failure(a.get("ErrorDescription"))
        return a["Value"]

    def call(self, method, *params):
        """XML-RPC call with our session."""
        return self.xcall(method, self.session, *params)

    # ---------------------------------------------------------------- JSON-RPC
    def jcall_raw(self, method, params, version=2, rid=1):
        req = {"method": method, "params": params, "id": rid}
        if version == 2:
            req["jsonrpc"] = "2.0"
        status, headers, body = self.post("/jsonrpc", json.dumps(req), "application/json")
        return status, headers, json.loads(body) if status == 200 else body

    def jcall(self, method, *params):
        _, _, a = self.jcall_raw(method, [self.session] + list(params))
        if "error" in a and a["error"]:
            raise Failure([a["error"]["message"]] + a["error"]["data"])
        return a["result"]

    # ---------------------------------------------------------------- helpers
    def ctl(self, command, **args):
        return control(self.url, command, **args)

    def wait_task(self, task, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            rec = self.call("task.get_record", task)
            if rec["status"] != "pending":
                return rec
            time.sleep(0.05)
        raise AssertionError("task %s still pending" % task)

    def vms(self, pred=lambda r: True):
        return {k: v for k, v in self.call("VM.get_all_records").items()
                if not v["is_a_template"] and not v["is_control_domain"] and pred(v)}

    def vm_in(self, state):
        return sorted(k for k, v in self.vms(lambda r: r["power_state"] == state).items())

    def local_disks(self, vm):
        """SRs of the VM's disks that are not shared (XAPI: VM_REQUIRES_SR elsewhere)."""
        out = []
        for vbd in self.call("VM.get_VBDs", vm):
            vdi = self.call("VBD.get_VDI", vbd)
            if vdi != "OpaqueRef:NULL":
                sr = self.call("VDI.get_SR", vdi)
                if not self.call("SR.get_shared", sr):
                    out.append(sr)
        return out

    def vm_shared(self, state):
        """VMs in `state` whose disks are all on shared SRs (they may run on any host)."""
        return [vm for vm in self.vm_in(state) if not self.local_disks(vm)]


def xml_request(method, *param_xml):
    """A raw XML-RPC request body with already-encoded <value> params."""
    return ('<?xml version="1.0"?><methodCall><methodName>%s</methodName><params>%s</params>'
            '</methodCall>' % (method, "".join("<param>%s</param>" % p for p in param_xml)))


class FailsMixin:
    def assertFails(self, desc_prefix, fn, *args):
        with self.assertRaises(Failure) as cm:
            fn(*args)
        self.assertEqual(cm.exception.desc[:len(desc_prefix)], list(desc_prefix), cm.exception.desc)
        return cm.exception.desc


class SimTestCase(FailsMixin, unittest.TestCase):
    """One simulator per test class."""
    sim_args = ("--vms", "24", "--hosts", "3", "--seed", "7", "--op-delay", "0.2")

    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(*cls.sim_args)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
