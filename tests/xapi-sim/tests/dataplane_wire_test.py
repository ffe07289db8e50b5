"""Over-the-wire tests of the simulator's data plane: a running simulator, real clients
(qemu-img, Python's tarfile/xmlrpc.client, raw sockets). Each test class starts its
own simulator on a free port and stops it."""

import http.client
import io
import os
import socket
import subprocess
import sys
import shutil
import tarfile
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import dataplane_harness as harness  # noqa: E402
from xapisim.dataplane import tarfmt, xva  # noqa: E402

MIB = 1 << 20
SMALL = 64 * MIB


def random_extents(path, extents):
    with open(path, "r+b") as f:
        for offset, length in extents:
            f.seek(offset)
            f.write(os.urandom(length))


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        piece = sock.recv(n - len(data))
        if not piece:
            raise AssertionError("connection closed after %d of %d bytes" % (len(data), n))
        data += piece
    return data


class SimCase(unittest.TestCase):
    """One simulator (2 hosts) for the class, plus a small Halted VM whose extra 64 MiB
    disk on the shared SR holds random data."""

    @classmethod
    def setUpClass(cls):
        cls.sim = harness.Simulator("--vms", "3", "--hosts", "2", "--seed", "7",
                                    "--serve-supporters")
        cls.tmp = tempfile.mkdtemp(prefix="dataplane-wire-")
        try:
            cls._make_vm()
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def _make_vm(cls):
        sim = cls.sim
        records = sim.call("VM.get_all_records")
        cls.halted = next(r for r, v in sorted(records.items(), key=lambda x: x[1]["name_label"])
                          if v["power_state"] == "Halted" and not v["is_a_template"]
                          and not v["is_a_snapshot"] and not v["is_control_domain"])
        cls.running = next(r for r, v in records.items() if v["power_state"] == "Running"
                           and not v["is_control_domain"])
        pool = list(sim.call("pool.get_all_records").values())[0]
        cls.shared_sr = pool["default_SR"]
        cls.vdi = cls.new_vdi("dataplane data disk", SMALL)
        sim.call("VBD.create", {"VM": cls.halted, "VDI": cls.vdi, "userdevice": "5",
                                "bootable": False, "mode": "RW", "type": "Disk",
                                "unpluggable": True, "empty": False, "other_config": {},
                                "qos_algorithm_type": "", "qos_algorithm_params": {}})
        random_extents(sim.disk_path(cls.vdi), [(0, 4096), (5 * MIB + 7, 24 * MIB),
                                                (SMALL - MIB, MIB)])

    @classmethod
    def new_vdi(cls, name, size, sr=None):
        return cls.sim.call("VDI.create", {
            "name_label": name, "name_description": "", "SR": sr or cls.shared_sr,
            "virtual_size": str(size), "type": "user", "sharable": False, "read_only": False,
            "other_config": {}, "sm_config": {}, "tags": [], "xenstore_data": {}})

    def tmpfile(self, name, data=None):
        path = os.path.join(self.tmp, name)
        if data is not None:
            with open(path, "wb") as f:
                f.write(data)
        return path

    def new_task(self, label="dataplane test"):
        return self.sim.call("task.create", label, "")


class AuthAndTaskTest(SimCase):
    def test_missing_or_bad_session_is_401_with_www_authenticate(self):
        for target in ("/export_raw_vdi?vdi=" + self.vdi,
                       "/export?ref=%s&session_id=OpaqueRef:nope" % self.halted):
            status, heads, body, _ = self.sim.get(target)
            self.assertEqual(status, 401, target)
            self.assertTrue(heads["www-authenticate"].startswith("Basic realm="))

    def test_basic_auth_makes_a_temporary_session(self):
        import base64
        token = base64.b64encode(b"%s:%s" % (harness.USER.encode(), harness.PASSWORD.encode()))
        status, _, body, _ = self.sim.get("/export_raw_vdi?vdi=%s" % self.vdi,
                                          {"Authorization": "Basic " + token.decode()})
        self.assertEqual((status, len(body)), (200, SMALL))
        bad = base64.b64encode(b"root:wrong").decode()
        status, _, _, _ = self.sim.get("/export_raw_vdi?vdi=%s" % self.vdi,
                                       {"Authorization": "Basic " + bad})
        self.assertEqual(status, 401)

    def test_session_in_cookie_is_accepted(self):
        status, _, body, _ = self.sim.get("/export_raw_vdi?vdi=%s" % self.vdi,
                                          {"Cookie": "session_id=" + self.sim.session})
        self.assertEqual((status, len(body)), (200, SMALL))

    def test_given_task_is_completed_not_destroyed(self):
        task = self.new_task()
        status, heads, body, _ = self.sim.get(self.sim.query("/export_raw_vdi/", vdi=self.vdi,
                                                             task_id=task))
        self.assertEqual(status, 200)
        self.assertEqual(heads["task-id"], task)
        rec = self.sim.wait_task(task)
        self.assertEqual((rec["status"], rec["result"]), ("success", ""))
        self.sim.call("task.destroy", task)

    def test_own_task_is_reported_and_destroyed(self):
        status, heads, _, _ = self.sim.get(self.sim.query("/export_raw_vdi", vdi=self.vdi))
        self.assertEqual(status, 200)
        self.assertTrue(heads["task-id"].startswith("OpaqueRef:"))
        self.assertFalse(self.sim.task_exists(heads["task-id"]))

    def test_unknown_format_is_404_and_fails_the_task(self):
        task = self.new_task()
        status, _, _, version = self.sim.get(self.sim.query("/export_raw_vdi", vdi=self.vdi,
                                                            format="qcow3", task_id=task))
        self.assertEqual(status, 404)
        rec = self.sim.wait_task(task)
        self.assertEqual(rec["error_info"], ["INTERNAL_ERROR", "Unknown format qcow3"])


class FaultTest(SimCase):
    def control(self, command, body):
        import json
        status, _, answer = self.sim.raw_request("POST", "/_sim/" + command,
                                                 json.dumps(body).encode(),
                                                 {"Content-Type": "application/json",
                                                  "Connection": "close"})
        self.assertEqual(status, 200, answer)

    def test_injected_failure_then_normal_transfer(self):
        self.control("fail", {"method": "/export_raw_vdi", "error": ["VDI_IO_ERROR", "x"]})
        task = self.new_task()
        status, _, _, _ = self.sim.get(self.sim.query("/export_raw_vdi", vdi=self.vdi,
                                                      task_id=task))
        self.assertEqual(status, 500)
        self.assertEqual(self.sim.wait_task(task)["error_info"], ["VDI_IO_ERROR", "x"])
        status, _, body, _ = self.sim.get(self.sim.query("/export_raw_vdi", vdi=self.vdi))
        self.assertEqual((status, len(body)), (200, SMALL))

    def test_injected_drop_closes_without_answer(self):
        self.control("drop", {"method": "/import_raw_vdi"})
        status, heads, body = self.sim.raw_request(
            "PUT", self.sim.query("/import_raw_vdi", vdi=self.vdi), b"x" * 512)
        self.assertEqual((status, body), (0, b""))


class RawVdiTest(SimCase):
    def qemu_equal(self, raw, vhd):
        opts = "driver=vpc,force_size_calc=current_size,file.filename=" + vhd
        result = subprocess.run(["qemu-img", "compare", "--image-opts",
                                 "driver=raw,file.filename=" + raw, opts],
                                capture_output=True, text=True)
        return result.returncode == 0, result.stdout + result.stderr

    def test_vhd_export_read_by_qemu_equals_raw_export_and_disk_file(self):
        status, heads, raw, _ = self.sim.get(self.sim.query("/export_raw_vdi", vdi=self.vdi,
                                                            format="raw"))
        self.assertEqual((status, heads["content-type"]), (200, "application/octet-stream"))
        status, heads, vhd, _ = self.sim.get(self.sim.query("/export_raw_vdi", vdi=self.vdi,
                                                            format="vhd"))
        self.assertEqual((status, heads["content-type"]), (200, "application/vhd"))
        self.assertNotIn("content-length", heads)
        uuid = self.sim.call("VDI.get_uuid", self.vdi)
        self.assertIn('filename="%s.vhd"' % uuid, heads["content-disposition"])
        self.assertEqual(vhd[28:32], b"caml")
        raw_path, vhd_path = self.tmpfile("export.raw", raw), self.tmpfile("export.vhd", vhd)
        self.assertEqual(len(raw), SMALL)
        with open(self.sim.disk_path(self.vdi), "rb") as f:
            self.assertEqual(raw, f.read())
        equal, text = self.qemu_equal(raw_path, vhd_path)
        self.assertTrue(equal, text)
        equal, text = self.qemu_equal(self.sim.disk_path(self.vdi), vhd_path)
        self.assertTrue(equal, text)
        info = subprocess.run(["qemu-img", "info", "--output=json", "--image-opts",
                               "driver=vpc,force_size_calc=current_size,file.filename="
                               + vhd_path], capture_output=True, text=True, check=True)
        self.assertIn('"virtual-size": %d' % SMALL, info.stdout)

    def test_vdi_is_plugged_into_dom0_during_the_transfer(self):
        task = self.new_task()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # so the server blocks
        sock.connect((self.sim.host, self.sim.port))
        try:
            sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % self.sim.query(
                "/export_raw_vdi", vdi=self.vdi, task_id=task)).encode())
            sock.recv(100)
            vbds = [self.sim.call("VBD.get_record", v)
                    for v in self.sim.call("VDI.get_VBDs", self.vdi)]
            dom0 = [v for v in vbds if self.sim.call("VM.get_is_control_domain", v["VM"])]
            self.assertEqual([(v["mode"], v["currently_attached"]) for v in dom0], [("RO", True)])
        finally:
            sock.close()
        self.sim.wait_task(task)
        vms = [self.sim.call("VBD.get_VM", v) for v in self.sim.call("VDI.get_VBDs", self.vdi)]
        self.assertFalse([vm for vm in vms if self.sim.call("VM.get_is_control_domain", vm)])

    def test_task_cancel_stops_an_export(self):
        task = self.new_task()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((self.sim.host, self.sim.port))
        received = 0
        try:
            sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % self.sim.query(
                "/export_raw_vdi", vdi=self.vdi, task_id=task)).encode())
            received += len(sock.recv(4096))
            self.sim.call("task.cancel", task)
            while True:  # read slowly: the server notices within about a second
                piece = sock.recv(65536)
                if not piece:
                    break
                received += len(piece)
                time.sleep(0.002)
        finally:
            sock.close()
        rec = self.sim.wait_task(task)
        self.assertEqual((rec["status"], rec["error_info"]), ("cancelled", ["TASK_CANCELLED", task]))
        self.assertLess(received, SMALL)

    def test_import_raw_round_trip_and_task_result(self):
        target = self.new_vdi("raw target", 8 * MIB)
        data = os.urandom(3 * MIB) + bytes(2 * MIB) + os.urandom(100)
        task = self.new_task()
        status, heads, _ = self.sim.raw_request(
            "PUT", self.sim.query("/import_raw_vdi", vdi=target, task_id=task), data)
        self.assertEqual(status, 200)
        rec = self.sim.wait_task(task)
        self.assertEqual(rec["status"], "success", rec["error_info"])
        self.assertEqual(rec["result"], "<value>%s</value>" % target)
        with open(self.sim.disk_path(target), "rb") as f:
            self.assertEqual(f.read(), data + bytes(8 * MIB - len(data)))

    def test_import_vhd_made_by_qemu(self):
        target = self.new_vdi("vhd target", 16 * MIB)
        src = self.tmpfile("src.raw")
        with open(src, "wb") as f:
            f.truncate(16 * MIB)
        random_extents(src, [(MIB, 2 * MIB), (15 * MIB, MIB)])
        vhd_path = self.tmpfile("src.vhd")
        subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o",
                        "subformat=dynamic,force_size=on", src, vhd_path], check=True)
        with open(vhd_path, "rb") as f:
            body = f.read()
        task = self.new_task()
        status, _, _ = self.sim.raw_request("PUT", self.sim.query(
            "/import_raw_vdi/", vdi=target, format="vhd", task_id=task), body)
        self.assertEqual(status, 200)
        rec = self.sim.wait_task(task)
        self.assertEqual(rec["status"], "success", rec["error_info"])
        self.assertTrue(harness.files_equal(src, self.sim.disk_path(target)))

    def test_vhd_export_imports_back_into_another_vdi(self):
        _, _, vhd, _ = self.sim.get(self.sim.query("/export_raw_vdi", vdi=self.vdi, format="vhd"))
        target = self.new_vdi("vhd copy", SMALL)
        task = self.new_task()
        self.sim.raw_request("PUT", self.sim.query("/import_raw_vdi", vdi=target, format="vhd",
                                                   task_id=task), vhd)
        self.assertEqual(self.sim.wait_task(task)["status"], "success")
        self.assertTrue(harness.files_equal(self.sim.disk_path(self.vdi),
                                            self.sim.disk_path(target)))

    def test_delta_vhd_against_base_rebuilds_the_disk(self):
        base = self.new_vdi("delta base", 8 * MIB)
        vdi = self.new_vdi("delta top", 8 * MIB)
        common = os.urandom(8 * MIB)
        for ref in (base, vdi):
            with open(self.sim.disk_path(ref), "r+b") as f:
                f.write(common)
        random_extents(self.sim.disk_path(vdi), [(4 * MIB + 512, 1000)])
        status, _, delta, _ = self.sim.get(self.sim.query("/export_raw_vdi", vdi=vdi,
                                                          base=base, format="vhd"))
        self.assertEqual(status, 200)
        self.assertEqual(int.from_bytes(delta[60:64], "big"), 4)  # differencing
        bat = [int.from_bytes(delta[2048 + 4 * i:2052 + 4 * i], "big") for i in range(4)]
        self.assertEqual([b != 0xFFFFFFFF for b in bat], [False, False, True, False])
        copy = self.new_vdi("delta copy", 8 * MIB)
        with open(self.sim.disk_path(copy), "r+b") as f:
            f.write(common)
        task = self.new_task()
        self.sim.raw_request("PUT", self.sim.query("/import_raw_vdi", vdi=copy, format="vhd",
                                                   task_id=task), delta)
        self.assertEqual(self.sim.wait_task(task)["status"], "success")
        with open(self.sim.disk_path(copy), "rb") as a, open(self.sim.disk_path(vdi), "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_raw_import_with_sr_id_creates_imported_vdi(self):
        data = os.urandom(MIB + 512)
        task = self.new_task()
        status, _, _ = self.sim.raw_request("PUT", self.sim.query(
            "/import_raw_vdi", sr_id=self.shared_sr, task_id=task), data)
        self.assertEqual(status, 200)
        rec = self.sim.wait_task(task)
        self.assertEqual(rec["status"], "success", rec["error_info"])
        vdi = rec["result"][len("<value>"):-len("</value>")]
        vrec = self.sim.call("VDI.get_record", vdi)
        self.assertEqual((vrec["name_label"], int(vrec["virtual_size"])),
                         ("Imported VDI", len(data)))
        with open(self.sim.disk_path(vdi), "rb") as f:
            self.assertEqual(f.read(), data)

    def test_vhd_import_without_vdi_is_400(self):
        task = self.new_task()
        status, _, _ = self.sim.raw_request("PUT", self.sim.query(
            "/import_raw_vdi", sr_id=self.shared_sr, format="vhd", task_id=task), b"")
        self.assertEqual(status, 400)
        self.assertEqual(self.sim.wait_task(task)["error_info"], ["VDI_MISSING"])

    def test_too_large_raw_body_fails_in_the_task(self):
        target = self.new_vdi("small", MIB)
        task = self.new_task()
        status, _, _ = self.sim.raw_request("PUT", self.sim.query(
            "/import_raw_vdi", vdi=target, task_id=task), os.urandom(2 * MIB))
        self.assertEqual(status, 200)
        rec = self.sim.wait_task(task)
        self.assertEqual((rec["status"], rec["error_info"][0]), ("failure", "VDI_IO_ERROR"))

    def test_unknown_length_trick_raw_upload(self):
        target = self.new_vdi("trick", 4 * MIB)
        data = os.urandom(4 * MIB)
        task = self.new_task()
        status, _, _ = self.sim.raw_request("PUT", self.sim.query(
            "/import_raw_vdi", vdi=target, task_id=task), data, length=1 << 50, cut=True)
        self.assertEqual(status, 200)
        self.assertEqual(self.sim.wait_task(task)["status"], "success")
        with open(self.sim.disk_path(target), "rb") as f:
            self.assertEqual(f.read(), data)

    def test_transfer_encoding_is_refused(self):
        task = self.new_task()
        status, _, _ = self.sim.raw_request(
            "PUT", self.sim.query("/import_raw_vdi", vdi=self.vdi, task_id=task),
            b"5\r\nhello\r\n0\r\n\r\n", headers={"Transfer-Encoding": "chunked"}, length=False)
        self.assertEqual(status, 404)
        rec = self.sim.wait_task(task)
        self.assertEqual(rec["error_info"], ["INTERNAL_ERROR", "Cannot handle encoding: chunked"])
        task = self.new_task()
        status, _, _ = self.sim.raw_request(
            "PUT", self.sim.query("/import", sr_id=self.shared_sr, task_id=task),
            b"5\r\nhello\r\n0\r\n\r\n", headers={"Transfer-Encoding": "chunked"}, length=False)
        self.assertEqual(status, 403)
        self.assertEqual(self.sim.wait_task(task)["error_info"],
                         ["IMPORT_ERROR_CANNOT_HANDLE_CHUNKED"])

    def test_disk_on_other_hosts_local_sr_redirects(self):
        srs = self.sim.call("SR.get_all_records")
        master = list(self.sim.call("pool.get_all_records").values())[0]["master"]
        hosts = self.sim.call("host.get_all_records")
        remote_sr, remote_host = None, None
        for ref, sr in srs.items():
            if sr["shared"] or sr["content_type"] == "iso":
                continue
            pbd_hosts = [self.sim.call("PBD.get_host", p) for p in sr["PBDs"]]
            if master not in pbd_hosts:
                remote_sr, remote_host = ref, pbd_hosts[0]
        self.assertIsNotNone(remote_sr)
        vdi = self.new_vdi("remote", MIB, remote_sr)
        target = self.sim.query("/export_raw_vdi", vdi=vdi, format="raw")
        status, heads, _, _ = self.sim.get(target)
        self.assertEqual(status, 302)
        self.assertEqual(heads["location"], "http://%s:%d%s" % (
            hosts[remote_host]["address"], self.sim.port, target))
        # following it (the supporter listens on its address, same port, plain HTTP
        # here) serves the data there, without another redirect
        supporter = http.client.HTTPConnection(hosts[remote_host]["address"], self.sim.port,
                                               timeout=60)
        try:
            supporter.request("GET", target)
            answer = supporter.getresponse()
            self.assertEqual((answer.status, len(answer.read())), (200, MIB))
        finally:
            supporter.close()
        put = self.sim.query("/import_raw_vdi", vdi=vdi)
        status, heads, _ = self.sim.raw_request("PUT", put, b"", length=1 << 30)
        self.assertEqual(status, 302)
        self.assertTrue(heads["location"].endswith(put))
        # a VM export whose disk lives there is redirected too
        template = next(r for r, v in self.sim.call("VM.get_all_records").items()
                        if v["is_a_template"] and not v["is_default_template"])
        self.sim.call("VBD.create", {"VM": template, "VDI": vdi, "userdevice": "7",
                                     "bootable": False, "mode": "RW", "type": "Disk",
                                     "unpluggable": True, "empty": False, "other_config": {},
                                     "qos_algorithm_type": "", "qos_algorithm_params": {}})
        target = self.sim.query("/export", ref=template)
        status, heads, _, _ = self.sim.get(target)
        self.assertEqual((status, heads["location"]),
                         (302, "http://%s:%d%s" % (hosts[remote_host]["address"], self.sim.port,
                                                   target)))


class XvaTest(SimCase):
    def export(self, **params):
        task = self.new_task()
        status, heads, body, version = self.sim.get(self.sim.query(
            "/export", ref=self.halted, task_id=task, **params))
        self.assertEqual((status, version), (200, 10))
        self.assertNotIn("content-length", heads)
        rec = self.sim.wait_task(task)
        self.assertEqual((rec["status"], rec["result"]), ("success", ""))
        self.sim.call("task.destroy", task)
        return body

    def import_(self, body, **kw):
        task = self.new_task()
        status, heads, _ = self.sim.raw_request("PUT", self.sim.query(
            "/import/", sr_id=self.shared_sr, task_id=task), body, **kw)
        self.assertEqual(status, 200)
        return self.sim.wait_task(task)

    def vdi_of(self, vm, userdevice):
        for vbd in self.sim.call("VM.get_VBDs", vm):
            rec = self.sim.call("VBD.get_record", vbd)
            if rec["userdevice"] == userdevice:
                return rec["VDI"]
        raise AssertionError("no VBD %s" % userdevice)

    def check_imported(self, rec):
        self.assertEqual(rec["status"], "success", rec["error_info"])
        self.assertTrue(rec["result"].startswith("<value><array><data><value>OpaqueRef:"))
        vm = rec["result"].split("<value>")[2].split("</value>")[0]
        vmrec = self.sim.call("VM.get_record", vm)
        orig = self.sim.call("VM.get_record", self.halted)
        self.assertEqual(vmrec["name_label"], orig["name_label"])
        self.assertEqual(vmrec["power_state"], "Halted")
        self.assertEqual(vmrec["current_operations"], {})
        self.assertEqual(len(vmrec["VIFs"]), len(orig["VIFs"]))
        self.assertEqual(len(vmrec["VBDs"]), len(orig["VBDs"]))
        copy = self.vdi_of(vm, "5")
        self.assertNotEqual(copy, self.vdi)
        self.assertTrue(harness.files_equal(self.sim.disk_path(self.vdi),
                                            self.sim.disk_path(copy)))
        boot_copy, boot = self.vdi_of(vm, "0"), self.vdi_of(self.halted, "0")
        self.assertTrue(harness.files_equal(self.sim.disk_path(boot),
                                            self.sim.disk_path(boot_copy)))
        return vm

    def test_plain_export_layout(self):
        body = self.export()
        names = []
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            for member in tar:
                names.append(member.name)
                if member.name.endswith(".xxhash"):
                    chunk = tar.extractfile(names[-2]).read()
                    digest = tar.extractfile(member).read().decode()
                    self.assertEqual(digest, xva.xxhash_text(chunk))
        self.assertEqual(names[0], "ova.xml")
        disks = [n.split("/")[0] for n in names[1:]]
        self.assertEqual(disks, sorted(disks))
        self.assertEqual(body[-1024:], bytes(1024))

    def test_export_import_round_trip_zstd_gzip_plain(self):
        for compression_value, magic in (("zstd", b"\x28\xb5\x2f\xfd"), ("true", b"\x1f\x8b"),
                                         (None, b"ova.xml")):
            body = self.export(use_compression=compression_value)
            self.assertTrue(body.startswith(magic), compression_value)
            self.check_imported(self.import_(body))

    def test_import_with_unknown_length_trick(self):
        body = self.export(use_compression="zstd")
        self.check_imported(self.import_(body, length=1 << 50, cut=True))

    def test_vm_shows_import_operation_while_the_body_arrives(self):
        body = self.export()
        task = self.new_task()
        before = set(self.sim.call("VM.get_all"))
        sock = self.sim.connect()
        try:
            sock.sendall(("PUT %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (
                self.sim.query("/import", task_id=task), len(body))).encode())
            sock.sendall(body[:len(body) // 2])
            head = b""
            while b"\r\n\r\n" not in head:  # the answer comes before the whole body
                head += sock.recv(1)
            self.assertTrue(head.startswith(b"HTTP/1.1 200 OK\r\n"), head)
            self.assertIn(("task-id:%s" % task).encode(), head)
            new_vms = []
            for _ in range(500):  # up to 10 s on a loaded machine
                new_vms = [v for v in self.sim.call("VM.get_all") if v not in before]
                if new_vms:
                    break
                time.sleep(0.02)
            self.assertEqual(len(new_vms), 1)
            self.assertEqual(self.sim.call("VM.get_current_operations", new_vms[0]),
                             {task: "import"})
            other = self.sim.call("task.get_other_config", task)
            self.assertEqual(other.get("object_creation"), "complete")
            self.assertEqual(self.sim.call("task.get_status", task), "pending")
            sock.sendall(body[len(body) // 2:])
            rec = self.sim.wait_task(task)
        finally:
            sock.close()
        self.assertEqual(rec["status"], "success", rec["error_info"])
        self.assertEqual(self.sim.call("VM.get_current_operations", new_vms[0]), {})

    def test_export_metadata_is_a_tar_with_only_ova_xml(self):
        status, heads, body, _ = self.sim.get(self.sim.query("/export_metadata",
                                                             ref=self.halted))
        self.assertEqual(status, 200)
        self.assertEqual(int(heads["content-length"]), len(body))
        with tarfile.open(fileobj=io.BytesIO(body)) as tar:
            self.assertEqual([m.name for m in tar.getmembers()], ["ova.xml"])
            ova = tar.extractfile("ova.xml").read().decode()
        self.assertTrue(ova.startswith("<value><struct>"))
        self.assertIn("<name>xapi_major</name>", ova)

    def test_running_vm_export_is_500_and_task_failure(self):
        task = self.new_task()
        status, _, _, _ = self.sim.get(self.sim.query("/export", uuid=self.sim.call(
            "VM.get_uuid", self.running), task_id=task))
        self.assertEqual(status, 500)
        rec = self.sim.wait_task(task)
        self.assertEqual(rec["error_info"][0], "VM_BAD_POWER_STATE")
        self.assertEqual(rec["error_info"][2:], ["halted, suspended", "running"])

    def test_corrupt_archive_fails_in_task_and_leaves_nothing(self):
        body = bytearray(self.export())
        before = len(self.sim.call("VM.get_all"))
        _, ova_size = tarfmt.parse_header(bytes(body[:512]))
        chunk_header = 512 + ova_size + (-ova_size) % 512
        body[chunk_header + 512 + 100] ^= 0xFF  # inside the first chunk's data
        rec = self.import_(bytes(body))
        self.assertEqual(rec["status"], "failure")
        self.assertEqual(rec["error_info"][0], "IMPORT_ERROR_SOME_CHECKSUMS_FAILED")
        self.assertEqual(len(self.sim.call("VM.get_all")), before)

    def test_vm_shows_export_operation_during_transfer(self):
        task = self.new_task()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # so the server blocks
        sock.connect((self.sim.host, self.sim.port))
        try:
            sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % self.sim.query(
                "/export", ref=self.halted, task_id=task)).encode())
            sock.recv(100)  # the transfer has started; we stop reading, it blocks
            ops = self.sim.call("VM.get_current_operations", self.halted)
            self.assertEqual(ops, {task: "export"})
        finally:
            sock.close()
        self.sim.wait_task(task)
        self.assertEqual(self.sim.call("VM.get_current_operations", self.halted), {})


class NbdTest(SimCase):
    def test_no_nbd_network_gives_empty_array(self):
        self.assertEqual(self.sim.call("VDI.get_nbd_info", self.vdi), [])

    @staticmethod
    def nbd_uri(rec, tls, export=None):
        """libnbd URI: the export name is the path without its first slash."""
        name = rec["exportname"] if export is None else export
        return "nbd%s://127.0.0.1:%d/%s" % ("s" if tls else "", int(rec["port"]),
                                            urllib.parse.quote(name, safe=""))

    def test_fixed_newstyle_export_name_handshake(self):
        pifs = self.sim.call("PIF.get_all_records")
        net = next(p["network"] for p in pifs.values() if p["management"])
        self.sim.call("network.add_purpose", net, "insecure_nbd")
        try:
            rec = self.sim.call("VDI.get_nbd_info", self.vdi)[0]
            with socket.create_connection(("127.0.0.1", int(rec["port"])), timeout=10) as s:
                hello = recv_exact(s, 18)
                self.assertEqual(hello[:16], b"NBDMAGICIHAVEOPT")
                self.assertEqual(int.from_bytes(hello[16:], "big"), 1)  # no NO_ZEROES
                name = rec["exportname"].encode()
                s.sendall((1).to_bytes(4, "big") + b"IHAVEOPT" + (1).to_bytes(4, "big")
                          + len(name).to_bytes(4, "big") + name)
                answer = recv_exact(s, 134)
            self.assertEqual(int.from_bytes(answer[:8], "big"), SMALL)
            self.assertEqual(int.from_bytes(answer[8:10], "big") & 3, 3)  # read-only
            self.assertEqual(answer[10:], bytes(124))
        finally:
            self.sim.call("network.remove_purpose", net, "insecure_nbd")

    def test_nbd_server_stops_with_its_session(self):
        pifs = self.sim.call("PIF.get_all_records")
        net = next(p["network"] for p in pifs.values() if p["management"])
        self.sim.call("network.add_purpose", net, "insecure_nbd")
        try:
            other = self.sim.call_raw("session.login_with_password", harness.USER,
                                      harness.PASSWORD)
            rec = self.sim.call_raw("VDI.get_nbd_info", other, self.vdi)[0]
            uri = self.nbd_uri(rec, False)
            self.assertEqual(subprocess.run(["nbdinfo", "--size", uri],
                                            capture_output=True).returncode, 0)
            self.sim.call_raw("session.logout", other)
            self.sim.call("VDI.get_nbd_info", self.vdi)  # prunes servers of dead sessions
            self.assertNotEqual(subprocess.run(["nbdinfo", "--size", uri],
                                               capture_output=True).returncode, 0)
        finally:
            self.sim.call("network.remove_purpose", net, "insecure_nbd")

    def nbd_read(self, rec, tls):
        out = self.tmpfile("nbd.raw")
        uri = self.nbd_uri(rec, tls)
        if tls:
            certs = os.path.join(self.tmp, "ca")
            os.makedirs(certs, exist_ok=True)
            with open(os.path.join(certs, "ca-cert.pem"), "w") as f:
                f.write(rec["cert"])
            uri += "?tls-certificates=" + certs
        info = subprocess.run(["nbdinfo", "--size", uri], capture_output=True, text=True)
        self.assertEqual(info.returncode, 0, info.stderr)
        self.assertEqual(int(info.stdout), SMALL)
        subprocess.run(["nbdcopy", uri, out], check=True)
        return out

    def test_insecure_then_tls_nbd(self):
        pifs = self.sim.call("PIF.get_all_records")
        net = next(p["network"] for p in pifs.values() if p["management"])
        self.sim.call("network.add_purpose", net, "insecure_nbd")
        try:
            records = self.sim.call("VDI.get_nbd_info", self.vdi)
            self.assertTrue(records)
            uuid = self.sim.call("VDI.get_uuid", self.vdi)
            self.assertEqual(records[0]["exportname"],
                             "/%s?session_id=%s" % (uuid, self.sim.session))
            out = self.nbd_read(records[0], tls=False)
            self.assertTrue(harness.files_equal(out, self.sim.disk_path(self.vdi)))
            for wrong in ("/" + uuid, "/%s?session_id=OpaqueRef:other" % uuid, ""):
                refused = subprocess.run(["nbdinfo", "--size", self.nbd_uri(
                    records[0], False, wrong)], capture_output=True)
                self.assertNotEqual(refused.returncode, 0, wrong)
        finally:
            self.sim.call("network.remove_purpose", net, "insecure_nbd")
        self.sim.call("network.add_purpose", net, "nbd")
        try:
            records = self.sim.call("VDI.get_nbd_info", self.vdi)
            self.assertIn("BEGIN CERTIFICATE", records[0]["cert"])
            plain = self.nbd_uri(records[0], False)
            refused = subprocess.run(["nbdinfo", "--size", plain], capture_output=True)
            self.assertNotEqual(refused.returncode, 0)  # TLS required
            out = self.nbd_read(records[0], tls=True)
            self.assertTrue(harness.files_equal(out, self.sim.disk_path(self.vdi)))
        finally:
            self.sim.call("network.remove_purpose", net, "nbd")


class NbdLifetimeTest(unittest.TestCase):
    def test_nbdkit_stops_with_the_simulator(self):
        sim = harness.Simulator("--vms", "3", "--seed", "5")
        try:
            net = next(p["network"] for p in sim.call("PIF.get_all_records").values()
                       if p["management"])
            sim.call("network.add_purpose", net, "nbd")
            vdi = next(r for r, v in sim.call("VDI.get_all_records").items()
                       if v["type"] == "system")
            port = int(sim.call("VDI.get_nbd_info", vdi)[0]["port"])
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
        finally:
            sim.stop()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                return
            time.sleep(0.1)
        self.fail("nbdkit still listens on %d after the simulator stopped" % port)


if __name__ == "__main__":
    unittest.main()
