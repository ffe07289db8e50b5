"""Exports and imports of VMs and disks (issue 12) through nginx with curl, against the
whole stack; the bytes are checked against the simulator's disk files, VHDs with qemu-img,
XVAs as tars with ova.xml first and valid xxhash checksums."""
import base64
import hashlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import zstandard

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack  # noqa: E402
from transfer_support import MIB, Xapi, check_xva, curl, wait_cached, wait_for  # noqa: E402


class StackCase(unittest.TestCase):
    """A class-wide stack `s` and temp folder `tmp`, both removed at the end."""

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)


class ExportTest(StackCase):
    @classmethod
    def setUpClass(cls):
        # 3 slots: a finished transfer holds its slot until its handler has cleaned up (task, NBD
        # connections), a moment after curl has every byte; the sequential tests must not
        # see two such moments as a full table.
        cls.s = Stack(vms=6, hosts=2, transfer_config="max_concurrent = 3")
        cls.tmp = tempfile.mkdtemp(prefix="xr-transfer-")
        try:
            cls.x = Xapi(cls.s.sims[0])
            cls.sr = cls.x.shared_sr()
            cls.vdi = cls.x.new_vdi(cls.sr, 12 * MIB, "export source")
            cls.disk = cls.x.fill(cls.vdi, [0, 3, 4, 11])
            cls.vdi_uuid = cls.x.call("VDI.get_uuid", cls.vdi)
            vms = cls.x.call("VM.get_all_records")
            cls.halted = next(r for r, v in vms.items() if v["power_state"] == "Halted" and not v["is_a_template"]
                              and not v["is_a_snapshot"] and not v["is_control_domain"])
            cls.running = next(r for r, v in vms.items() if v["power_state"] == "Running" and not v["is_a_template"]
                               and not v["is_control_domain"])
            cls.x.attach(cls.halted, cls.vdi, 6)
            wait_cached(cls.s, "vdis", cls.vdi_uuid)
        except BaseException:
            cls.s.stop()
            raise

    def path(self, name):
        return os.path.join(self.tmp, name)

    def uuid(self, ref):
        return self.x.call("VM.get_uuid", ref)

    # --- raw ---
    def test_raw_export_is_the_disk_with_length_and_file_name(self):
        status, h, _, _ = curl(self.s, "/rest/v0/vdis/%s.raw" % self.vdi_uuid, out=self.path("a.raw"))
        self.assertEqual(status, 200)
        self.assertEqual(h["content-length"], str(12 * MIB))
        self.assertEqual(h["content-disposition"], 'attachment; filename="%s.raw"' % self.vdi_uuid)
        self.assertEqual(h["accept-ranges"], "bytes")
        with open(self.path("a.raw"), "rb") as f:
            self.assertEqual(f.read(), self.disk)

    def test_a_disk_on_a_supporters_local_sr_is_fetched_from_that_member(self):
        master = self.x.call("pool.get_master", self.x.call("pool.get_all")[0])
        srs = self.x.call("SR.get_all_records")
        remote = next(r for r, v in srs.items() if not v["shared"] and v["content_type"] != "iso"
                      and master not in [self.x.call("PBD.get_host", p) for p in v["PBDs"]])
        vdi = self.x.new_vdi(remote, 4 * MIB, "on a supporter")
        disk = self.x.fill(vdi, [2], seed=9)
        uuid = self.x.call("VDI.get_uuid", vdi)
        wait_cached(self.s, "vdis", uuid)
        status, _, body, _ = curl(self.s, "/rest/v0/vdis/%s.raw" % uuid)  # XAPI answers 302 first
        self.assertEqual((status, body), (200, disk))
        status, _, _ = ImportTest.upload(self, "PUT", "/rest/v0/vdis/%s.raw" % uuid, bytes(4 * MIB))
        self.assertEqual(status, 204)  # the PUT's empty probe learns the 302, then the body goes there
        with open(self.x.disk_path(vdi), "rb") as f:
            self.assertEqual(f.read(), bytes(4 * MIB))

    def test_curl_resumes_a_broken_raw_download_with_identical_bytes(self):
        part = self.path("resume.raw")
        with open(part, "wb") as f:
            f.write(self.disk[:5 * MIB + 123])  # what a broken download left
        status, h, _, r = curl(self.s, "/rest/v0/vdis/%s.raw" % self.vdi_uuid, "-C", "-", out=part)
        self.assertEqual(status, 206, r.stderr)
        self.assertEqual(h["content-range"], "bytes %d-%d/%d" % (5 * MIB + 123, 12 * MIB - 1, 12 * MIB))
        with open(part, "rb") as f:
            self.assertEqual(f.read(), self.disk)

    def test_range_past_the_end_is_416_and_a_suffix_range_is_served(self):
        status, h, body, _ = curl(self.s, "/rest/v0/vdis/%s.raw" % self.vdi_uuid, "-r", "%d-" % (12 * MIB))
        self.assertEqual(status, 416)
        self.assertEqual(h["content-range"], "bytes */%d" % (12 * MIB))
        status, h, body, _ = curl(self.s, "/rest/v0/vdis/%s.raw" % self.vdi_uuid, "-r", "-1000")
        self.assertEqual(status, 206)
        self.assertEqual(body, self.disk[-1000:])

    # --- vhd ---
    def test_vhd_export_has_its_length_up_front_and_reads_back_as_the_disk(self):
        out = self.path("a.vhd")
        status, h, _, _ = curl(self.s, "/rest/v0/vdis/%s.vhd" % self.vdi_uuid, out=out)
        self.assertEqual(status, 200)
        self.assertEqual(int(h["content-length"]), os.path.getsize(out))
        # 4 allocated 2 MiB blocks (MiB 0, 3-4, 11) + metadata: sparse, not 12 MiB
        self.assertLess(os.path.getsize(out), 9 * MIB)
        cmp = subprocess.run(["qemu-img", "compare", "--image-opts",
                              "driver=raw,file.filename=" + self.x.disk_path(self.vdi),
                              "driver=vpc,force_size_calc=current_size,file.filename=" + out],
                             capture_output=True, text=True)
        self.assertEqual(cmp.returncode, 0, cmp.stdout + cmp.stderr)

    # --- NBD ---
    def test_prefer_nbd_reads_through_xapi_nbd_with_parallel_connections_tls_or_not(self):
        path = "/rest/v0/vdis/%s.raw?preferNbd&nbdConcurrency=4" % self.vdi_uuid
        # no network with an NBD purpose: XO's fallback to the HTTP handler
        status, _, body, _ = curl(self.s, path)
        self.assertEqual((status, body), (200, self.disk))
        self.assertIn("no NBD server offered for VDI " + self.vdi_uuid, self.s.log_text())
        pifs = self.x.call("PIF.get_all_records")
        net = next(p["network"] for p in pifs.values() if p["management"])
        for purpose in ("insecure_nbd", "nbd"):  # plain, then TLS required
            for other in ("insecure_nbd", "nbd"):
                self.x.call("network.remove_purpose", net, other)
            self.x.call("network.add_purpose", net, purpose)
            marks = self.s.log_text().count("VDI %s exported through NBD (4 connections)" % self.vdi_uuid)
            status, h, body, _ = curl(self.s, path)
            self.assertEqual((status, body), (200, self.disk), purpose)
            self.assertEqual(h["content-length"], str(12 * MIB))
            self.assertEqual(self.s.log_text().count(
                "VDI %s exported through NBD (4 connections)" % self.vdi_uuid), marks + 1, purpose)
        # resume through NBD (the range read directly), and the VHD from NBD blocks
        part = self.path("nbd.raw")
        with open(part, "wb") as f:
            f.write(self.disk[:7 * MIB + 5])
        status, _, _, r = curl(self.s, path, "-C", "-", out=part)
        self.assertEqual(status, 206, r.stderr)
        with open(part, "rb") as f:
            self.assertEqual(f.read(), self.disk)
        out = self.path("nbd.vhd")
        status, h, _, _ = curl(self.s, "/rest/v0/vdis/%s.vhd?preferNbd" % self.vdi_uuid, out=out)
        self.assertEqual(status, 200)
        self.assertEqual(int(h["content-length"]), os.path.getsize(out))
        cmp = subprocess.run(["qemu-img", "compare", "--image-opts",
                              "driver=raw,file.filename=" + self.x.disk_path(self.vdi),
                              "driver=vpc,force_size_calc=current_size,file.filename=" + out],
                             capture_output=True, text=True)
        self.assertEqual(cmp.returncode, 0, cmp.stdout + cmp.stderr)
        for other in ("insecure_nbd", "nbd"):
            self.x.call("network.remove_purpose", net, other)
        r = self.s.get("/rest/v0/vdis/%s.raw?nbdConcurrency=0" % self.vdi_uuid, token=self.s.token)
        self.assertEqual(r.status, 422)

    # --- xva ---
    def test_halted_vm_xva_is_a_tar_with_ova_xml_first_and_valid_checksums(self):
        uuid = self.uuid(self.halted)
        status, h, _, _ = curl(self.s, "/rest/v0/vms/%s.xva" % uuid, out=self.path("vm.xva"))
        self.assertEqual(status, 200)
        self.assertEqual(h["content-disposition"], 'attachment; filename="%s.xva"' % uuid)
        with open(self.path("vm.xva"), "rb") as f:
            names = check_xva(f.read())
        self.assertGreater(len(names), 2)

    def test_zstd_export_decompresses_to_a_valid_xva(self):
        status, _, _, _ = curl(self.s, "/rest/v0/vms/%s.xva?compress=zstd" % self.uuid(self.halted),
                               out=self.path("vm.xva.zst"))
        self.assertEqual(status, 200)
        with open(self.path("vm.xva.zst"), "rb") as f:
            check_xva(zstandard.ZstdDecompressor().stream_reader(f).read())

    def test_running_vm_is_exported_from_a_snapshot_that_is_removed_afterwards(self):
        before_vms = set(self.x.call("VM.get_all"))
        before_vdis = set(self.x.call("VDI.get_all"))
        status, _, _, _ = curl(self.s, "/rest/v0/vms/%s.xva" % self.uuid(self.running), out=self.path("run.xva"))
        self.assertEqual(status, 200)
        with open(self.path("run.xva"), "rb") as f:
            check_xva(f.read())
        self.assertEqual(set(self.x.call("VM.get_all")), before_vms)
        self.assertEqual(set(self.x.call("VDI.get_all")), before_vdis)
        self.assertEqual(self.x.call("VM.get_power_state", self.running), "Running")

    def test_progress_is_visible_on_the_xo_task_during_a_transfer(self):
        # 40 MiB read at 4 MB/s: ~10 s, more than the socket buffers on the way can hide
        vdi = self.x.new_vdi(self.sr, 40 * MIB, "slow export")
        uuid = self.x.call("VDI.get_uuid", vdi)
        wait_cached(self.s, "vdis", uuid)
        slow = subprocess.Popen(["curl", "-sS", "-o", "/dev/null", "--limit-rate", "4M",
                                 "-b", "authenticationToken=" + self.s.token,
                                 "http://127.0.0.1:%d/rest/v0/vdis/%s.raw" % (self.s.port, uuid)])
        try:
            def running():
                for t in self.s.api("/rest/v0/tasks?fields=id,status,progress,properties"):
                    if t["properties"].get("objectId") == uuid and t["status"] == "pending" \
                            and 0 < t.get("progress", 0) < 100:
                        return t
            task = wait_for(running, 20, "a pending export task with progress")
            self.assertEqual(task["properties"]["name"], "[XO] Exporting content of VDI slow export")
            self.assertEqual(slow.wait(60), 0)
            done = self.s.api("/rest/v0/tasks/" + task["id"])
            self.assertEqual((done["status"], done["progress"]), ("success", 100))
        finally:
            if slow.poll() is None:
                slow.kill()

    # --- refusals ---
    def test_bad_format_compress_and_unknown_ids_are_refused_with_xo_errors(self):
        r = self.s.get("/rest/v0/vms/%s.ova" % self.uuid(self.halted), token=self.s.token)
        self.assertEqual(r.status, 422)
        self.assertEqual(list(r.json()["error"]), ["format"])
        r = self.s.get("/rest/v0/vms/%s.xva?compress=lz4" % self.uuid(self.halted), token=self.s.token)
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json()["error"]["compress"]["value"], "lz4")
        r = self.s.get("/rest/v0/vdis/%s.qcow2" % self.vdi_uuid, token=self.s.token)
        self.assertEqual(r.status, 422)
        r = self.s.get("/rest/v0/vdis/00000000-0000-0000-0000-000000000000.raw", token=self.s.token)
        self.assertEqual(r.status, 404)
        self.assertEqual(self.s.get("/rest/v0/vdis/%s.raw" % self.vdi_uuid).status, 401)

    # --- interrupted and concurrent ---
    def test_a_client_that_goes_away_leaves_nothing_behind(self):
        before_vms = set(self.x.call("VM.get_all"))
        for path in ("/rest/v0/vdis/%s.raw" % self.vdi_uuid, "/rest/v0/vms/%s.xva" % self.uuid(self.running)):
            with socket.create_connection(("127.0.0.1", self.s.port)) as c:
                c.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nCookie: authenticationToken=%s\r\n\r\n"
                           % (path, self.s.token)).encode())
                self.assertTrue(c.recv(4096).startswith(b"HTTP/1.1 200"))
            # the XAPI side is cancelled, the snapshot removed, the slot freed
            wait_for(lambda: not self.x.pending_tasks(), 20, "no pending XAPI task")
            wait_for(lambda: set(self.x.call("VM.get_all")) == before_vms, 20, "the export snapshot removed")
        self.assertIn("the client went away", self.s.log_text())
        status, _, _, _ = curl(self.s, "/rest/v0/vdis/%s.raw" % self.vdi_uuid, out=self.path("after.raw"))
        self.assertEqual(status, 200)

    def test_transfers_beyond_the_limit_get_503_with_retry_after(self):
        sim = self.s.sims[0]
        sim.control("delay", {"method": "/export_raw_vdi", "seconds": 3, "count": 3})
        procs = [subprocess.Popen(["curl", "-sS", "-o", "/dev/null", "-b", "authenticationToken=" + self.s.token,
                                   "http://127.0.0.1:%d/rest/v0/vdis/%s.raw" % (self.s.port, self.vdi_uuid)])
                 for _ in range(3)]
        try:
            time.sleep(1.0)
            r = self.s.get("/rest/v0/vdis/%s.raw" % self.vdi_uuid, token=self.s.token)
            self.assertEqual(r.status, 503)
            self.assertEqual(r.headers["Retry-After"], "10")
            self.assertIn("too many transfers", r.json()["error"])
        finally:
            for p in procs:
                p.wait(60)
            sim.control("clear")


class AccelRedirectTest(StackCase):
    """[transfer] accel_redirect: whole raw exports streamed by nginx straight from XAPI."""

    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=4, hosts=2, transfer_config="accel_redirect = true")
        cls.tmp = tempfile.mkdtemp(prefix="xr-transfer-")
        try:
            cls.x = Xapi(cls.s.sims[0])
            cls.sr = cls.x.shared_sr()
            cls.vdi = cls.x.new_vdi(cls.sr, 12 * MIB, "accel source")
            cls.disk = cls.x.fill(cls.vdi, [0, 5, 11], seed=3)
            cls.vdi_uuid = cls.x.call("VDI.get_uuid", cls.vdi)
            wait_cached(cls.s, "vdis", cls.vdi_uuid)
        except BaseException:
            cls.s.stop()
            raise

    def export_task(self, uuid):
        tasks = [t for t in self.s.api("/rest/v0/tasks?fields=id,status,progress,properties")
                 if t["properties"].get("objectId") == uuid]
        return tasks[-1] if tasks else None

    def test_nginx_streams_the_disk_from_xapi_and_the_xo_task_follows(self):
        status, h, body, r = curl(self.s, "/rest/v0/vdis/%s.raw" % self.vdi_uuid)
        self.assertEqual(status, 200, r.stderr)
        self.assertEqual(body, self.disk)
        self.assertEqual(h["content-disposition"], 'attachment; filename="%s.raw"' % self.vdi_uuid)
        # the VDI's size as Content-Length although XAPI sends none, and no chunked framing
        self.assertEqual(h.get("content-length"), str(12 * MIB), h)
        self.assertNotIn("transfer-encoding", h)
        # nothing of the hand-over reaches the client: no X-Xr-*, no session, no XAPI task
        self.assertFalse([k for k in h if k.startswith("x-xr") or k == "x-accel-redirect" or k == "task-id"], h)
        self.assertNotIn(self.x.session.encode(), r.stdout[:4096])
        self.assertNotIn("OpaqueRef", json.dumps(h))
        self.assertIn("handed to nginx (X-Accel-Redirect)", self.s.log_text())
        done = wait_for(lambda: (lambda t: t if t and t["status"] != "pending" else None)(
            self.export_task(self.vdi_uuid)), 20, "the export's XO task to end")
        self.assertEqual((done["status"], done["progress"]), ("success", 100))
        wait_for(lambda: not self.x.pending_tasks(), 10, "no pending XAPI task")

    def test_xapi_redirect_to_the_member_holding_the_disk_is_followed_by_nginx(self):
        master = self.x.call("pool.get_master", self.x.call("pool.get_all")[0])
        srs = self.x.call("SR.get_all_records")
        remote = next(r for r, v in srs.items() if not v["shared"] and v["content_type"] != "iso"
                      and master not in [self.x.call("PBD.get_host", p) for p in v["PBDs"]])
        vdi = self.x.new_vdi(remote, 4 * MIB, "accel on a supporter")
        disk = self.x.fill(vdi, [1], seed=11)
        uuid = self.x.call("VDI.get_uuid", vdi)
        wait_cached(self.s, "vdis", uuid)
        status, h, body, r = curl(self.s, "/rest/v0/vdis/%s.raw" % uuid)
        self.assertEqual((status, body), (200, disk), r.stderr)
        self.assertNotIn("location", h)
        self.assertEqual(h.get("content-length"), str(4 * MIB), h)

    def test_ranges_and_nbd_stay_with_the_gateway(self):
        status, h, body, _ = curl(self.s, "/rest/v0/vdis/%s.raw" % self.vdi_uuid, "-r", "-1000")
        self.assertEqual((status, body), (206, self.disk[-1000:]))
        self.assertEqual(h["content-range"], "bytes %d-%d/%d" % (12 * MIB - 1000, 12 * MIB - 1, 12 * MIB))

    def test_an_xapi_failure_after_its_headers_fails_the_xo_task(self):
        # The client sees XAPI's 200, then a body shorter than the Content-Length nginx
        # announced (curl: exit 18, partial file); the XO task says why.
        vdi = self.x.new_vdi(self.sr, 2 * MIB, "accel refused")
        uuid = self.x.call("VDI.get_uuid", vdi)
        wait_cached(self.s, "vdis", uuid)
        os.unlink(self.x.disk_path(vdi))  # XAPI cannot read the disk: its handler fails
        status, h, body, r = curl(self.s, "/rest/v0/vdis/%s.raw" % uuid)
        self.assertEqual((status, h.get("content-length"), r.returncode), (200, str(2 * MIB), 18), r.stderr)
        self.assertLess(len(body), 2 * MIB)
        done = wait_for(lambda: (lambda t: t if t and t["status"] != "pending" else None)(
            self.export_task(uuid)), 20, "the export's XO task to end")
        self.assertEqual(done["status"], "failure")
        wait_for(lambda: not self.x.pending_tasks(), 10, "no pending XAPI task")


class ResumableUploadTest(StackCase):
    """tus 1.0.0 uploads (POST/HEAD/PATCH/DELETE /rest/v0/uploads) named by imports' ?upload=."""

    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=4, hosts=1, transfer_config="uploads_max = 4")
        cls.tmp = tempfile.mkdtemp(prefix="xr-transfer-")
        try:
            cls.x = Xapi(cls.s.sims[0])
            cls.sr = cls.x.shared_sr()
            cls.sr_uuid = cls.x.call("SR.get_uuid", cls.sr)
            cls.vdi = cls.x.new_vdi(cls.sr, 12 * MIB, "resumable target")
            cls.vdi_uuid = cls.x.call("VDI.get_uuid", cls.vdi)
            cls.image = random.Random(5).randbytes(12 * MIB)
            wait_cached(cls.s, "vdis", cls.vdi_uuid)
        except BaseException:
            cls.s.stop()
            raise

    def setUp(self):
        folder = os.path.join(self.s.dir, "data/uploads")  # each test starts with no upload
        for name in os.listdir(folder) if os.path.isdir(folder) else []:
            os.unlink(os.path.join(folder, name))

    def file(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def tus(self, method, path, *args, tus=True):
        extra = ["-H", "Tus-Resumable: 1.0.0"] if tus else []
        flag = ["-I"] if method == "HEAD" else ["-X", method]
        return curl(self.s, path, *(flag + extra + list(args)))

    def create(self, length, digest=None):
        meta = ["-H", "Upload-Metadata: filename ZGlzay5yYXc=" +
                (",sha256 " + base64.b64encode(digest).decode() if digest else "")]
        status, h, body, r = self.tus("POST", "/rest/v0/uploads", "-H", "Upload-Length: %d" % length, *meta)
        self.assertEqual(status, 201, (body, r.stderr))
        self.assertEqual(h["tus-resumable"], "1.0.0")
        self.assertEqual(h["upload-offset"], "0")
        self.assertTrue(h["location"].startswith("/rest/v0/uploads/"), h)
        return h["location"]

    def patch(self, href, offset, data, ctype="application/offset+octet-stream"):
        return self.tus("PATCH", href, "-H", "Expect:", "-H", "Content-Type: " + ctype, "-H", "Upload-Offset: %d" % offset,
                        "--data-binary", "@" + self.file("piece", data))

    def cut_patch(self, href, offset, sent, announced):
        """A PATCH whose connection drops after `sent` of `announced` bytes."""
        with socket.create_connection(("127.0.0.1", self.s.port)) as c:
            c.sendall(("PATCH %s HTTP/1.1\r\nHost: localhost\r\nCookie: authenticationToken=%s\r\n"
                       "Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n"
                       "Upload-Offset: %d\r\nContent-Length: %d\r\n\r\n"
                       % (href, self.s.token, offset, announced)).encode())
            c.sendall(sent)
        time.sleep(0.5)

    def spool_empty(self):
        return not os.listdir(os.path.join(self.s.dir, "nginx/tmp/client_body"))

    def upload_files(self, href):
        uid = href.rsplit("/", 1)[1]
        return [n for n in os.listdir(os.path.join(self.s.dir, "data/uploads")) if n.startswith(uid)]

    def test_an_interrupted_upload_resumes_at_the_server_offset_and_imports(self):
        href = self.create(len(self.image), hashlib.sha256(self.image).digest())
        status, h, _, _ = self.patch(href, 0, self.image[:5 * MIB])
        self.assertEqual((status, h["upload-offset"]), (204, str(5 * MIB)))
        self.cut_patch(href, 5 * MIB, self.image[5 * MIB:6 * MIB], 4 * MIB)  # the network drops it
        status, h, _, _ = self.tus("HEAD", href)
        self.assertEqual((status, h["upload-offset"], h["upload-length"]), (200, str(5 * MIB), str(12 * MIB)))
        self.assertEqual(h["cache-control"], "no-store")
        wait_for(self.spool_empty, 10, "the cut PATCH's spool file removed")
        # refusals change nothing
        status, h, _, _ = self.patch(href, 4 * MIB, self.image[4 * MIB:6 * MIB])
        self.assertEqual((status, h["upload-offset"]), (409, str(5 * MIB)))
        status, _, _, _ = self.patch(href, 5 * MIB, b"x", ctype="application/octet-stream")
        self.assertEqual(status, 415)
        status, h, _, _ = self.tus("PATCH", href, "-H", "Content-Type: application/offset+octet-stream",
                                   "-H", "Upload-Offset: %d" % (5 * MIB), "--data-binary", "x", tus=False)
        self.assertEqual((status, h.get("tus-version")), (412, "1.0.0"))
        status, _, body, _ = self.patch(href, 5 * MIB, self.image[5 * MIB:] + b"extra")
        self.assertEqual(status, 400, body)
        status, _, body, _ = curl(self.s, "/rest/v0/vdis/%s.raw?upload=%s" % (self.vdi_uuid, href.rsplit("/", 1)[1]),
                                  "-X", "PUT")
        self.assertEqual(status, 409, body)  # incomplete
        # resume from the server's offset
        status, h, _, _ = self.patch(href, 5 * MIB, self.image[5 * MIB:])
        self.assertEqual((status, h["upload-offset"]), (204, str(12 * MIB)))
        status, _, body, _ = self.tus("GET", href)
        self.assertEqual(json.loads(body)["complete"], True)
        status, _, body, _ = curl(self.s, "/rest/v0/vdis/%s.raw?upload=%s" % (self.vdi_uuid, href.rsplit("/", 1)[1]),
                                  "-X", "PUT")
        self.assertEqual(status, 204, body)
        with open(self.x.disk_path(self.vdi), "rb") as f:
            self.assertEqual(f.read(), self.image)
        self.assertEqual(self.tus("HEAD", href)[0], 404)  # consumed
        self.assertEqual(self.upload_files(href), [])

    def test_a_new_vdi_from_an_upload_and_a_wrong_digest_is_refused_and_dropped(self):
        data = random.Random(8).randbytes(3 * MIB)
        href = self.create(len(data), hashlib.sha256(b"something else").digest())
        status, _, _, _ = self.patch(href, 0, data)
        self.assertEqual(status, 460)
        self.assertEqual(self.tus("HEAD", href)[0], 404)
        self.assertEqual(self.upload_files(href), [])
        href = self.create(len(data))
        self.assertEqual(self.patch(href, 0, data)[0], 204)
        status, _, body, _ = curl(self.s, "/rest/v0/srs/%s/vdis?raw&name_label=resumed&upload=%s"
                                  % (self.sr_uuid, href.rsplit("/", 1)[1]), "-X", "POST")
        self.assertEqual(status, 200, body)
        uuid = body.decode().strip().strip('"')
        with open(os.path.join(self.x.state_dir, uuid + ".raw"), "rb") as f:
            self.assertEqual(f.read(), data)

    def test_uploads_are_bounded_validated_and_removed_on_expiry(self):
        self.assertEqual(self.tus("POST", "/rest/v0/uploads", "-H", "Upload-Length: 0")[0], 400)
        self.assertEqual(self.tus("POST", "/rest/v0/uploads", "-H", "Upload-Length: 12", tus=False)[0], 412)
        self.assertEqual(self.tus("POST", "/rest/v0/uploads", "-H", "Upload-Length: %d" % (1 << 49))[0], 413)
        self.assertEqual(self.tus("POST", "/rest/v0/uploads", "-H", "Upload-Length: 5",
                                  "-H", "Upload-Metadata: sha256 bm90LWEtZGlnZXN0")[0], 400)
        self.assertEqual(self.tus("HEAD", "/rest/v0/uploads/../../etc")[0], 404)
        hrefs = [self.create(10) for _ in range(4)]
        status, h, _, _ = self.tus("POST", "/rest/v0/uploads", "-H", "Upload-Length: 10")
        self.assertEqual((status, h.get("retry-after")), (503, "60"))
        self.assertEqual(self.tus("DELETE", hrefs.pop())[0], 204)
        # expiry: an upload past its time is gone with its bytes at the next request
        uid = hrefs[0].rsplit("/", 1)[1]
        self.assertEqual(self.patch(hrefs[0], 0, b"12345")[0], 204)
        meta = os.path.join(self.s.dir, "data/uploads", uid + ".meta")
        with open(meta) as f:
            text = f.read()
        with open(meta, "w") as f:
            f.write("\n".join("expires 1" if line.startswith("expires") else line for line in text.split("\n")))
        self.assertEqual(self.tus("HEAD", hrefs[0])[0], 404)
        self.assertEqual(self.upload_files(hrefs[0]), [])
        for href in hrefs[1:]:
            self.assertEqual(self.tus("DELETE", href)[0], 204)
            self.assertEqual(self.upload_files(href), [])


class TransferRoleTest(unittest.TestCase):
    """Transfers run in their own role on transfer.sock: with one worker thread, a long
    export does not hold back ordinary requests."""

    def test_a_long_export_leaves_the_workers_free(self):
        s = Stack(vms=4, hosts=1, workers=1, threads=1, transfer_config="max_concurrent = 1")
        try:
            x = Xapi(s.sims[0])
            vdi = x.new_vdi(x.shared_sr(), 4 * MIB)
            disk = x.fill(vdi, [1])
            uuid = x.call("VDI.get_uuid", vdi)
            wait_cached(s, "vdis", uuid)
            s.sims[0].control("delay", {"method": "/export_raw_vdi", "seconds": 4, "count": 1})
            out = tempfile.mktemp(prefix="xr-role-")
            slow = subprocess.Popen(["curl", "-sS", "-o", out, "-b", "authenticationToken=" + s.token,
                                     "http://127.0.0.1:%d/rest/v0/vdis/%s.raw" % (s.port, uuid)])
            try:
                time.sleep(1.0)
                started = time.monotonic()
                self.assertEqual(s.get("/rest/v0/vms", token=s.token).status, 200)
                self.assertLess(time.monotonic() - started, 1.5)
                self.assertIsNone(slow.poll())  # the export is still running
                self.assertEqual(slow.wait(60), 0)
                with open(out, "rb") as f:
                    self.assertEqual(f.read(), disk)
            finally:
                if slow.poll() is None:
                    slow.kill()
                if os.path.exists(out):
                    os.unlink(out)
            self.assertTrue(s.pids("transfer"))
            self.assertIn("serving with 3 threads", "".join(
                l for l in s.log_text().splitlines() if "[transfer " in l))
        finally:
            s.stop()


def spooled_files(stack):
    root = os.path.join(stack.dir, "nginx/tmp/client_body")
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files]


class ImportTest(StackCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=4, hosts=1)
        cls.tmp = tempfile.mkdtemp(prefix="xr-import-")
        try:
            cls.x = Xapi(cls.s.sims[0])
            cls.sr = cls.x.shared_sr()
            cls.sr_uuid = cls.x.call("SR.get_uuid", cls.sr)
            cls.pool_uuid = cls.x.call("pool.get_uuid", cls.x.call("pool.get_all")[0])
            cls.target = cls.x.new_vdi(cls.sr, 8 * MIB, "import target")
            cls.target_uuid = cls.x.call("VDI.get_uuid", cls.target)
            import random
            rnd = random.Random(7)
            cls.image = bytearray(8 * MIB)
            for mib in (0, 2, 7):
                cls.image[mib * MIB:(mib + 1) * MIB] = rnd.randbytes(MIB)
            cls.image = bytes(cls.image)
            cls.raw = os.path.join(cls.tmp, "image.raw")
            with open(cls.raw, "wb") as f:
                f.write(cls.image)
            cls.vhd = os.path.join(cls.tmp, "image.vhd")
            subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "vpc", "-o", "subformat=dynamic,force_size=on",
                            cls.raw, cls.vhd], check=True)
            wait_cached(cls.s, "vdis", cls.target_uuid)
        except BaseException:
            cls.s.stop()
            raise

    def upload(self, method, path, source, *args):
        """curl -T (a file, or '-' with the bytes on stdin: chunked); returns (status, headers, body)."""
        cmd = ["curl", "-sS", "-D", "-", "-X", method, "-b", "authenticationToken=" + self.s.token,
               "-T", source if isinstance(source, str) else "-"] + list(args) + \
              ["http://127.0.0.1:%d%s" % (self.s.port, path)]
        r = subprocess.run(cmd, input=None if isinstance(source, str) else source, capture_output=True, timeout=120)
        head, _, body = r.stdout.partition(b"\r\n\r\n")
        while head.startswith(b"HTTP/1.1 100"):
            head, _, body = body.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
        return int(lines[0].split()[1]), headers, body

    def disk(self, vdi_ref):
        with open(self.x.disk_path(vdi_ref), "rb") as f:
            return f.read()

    def tearDown(self):
        wait_for(lambda: not spooled_files(self.s), 10, "no upload file left in the spool")

    # --- into an existing VDI ---
    def test_raw_and_vhd_uploads_replace_the_vdi_content(self):
        status, _, body = self.upload("PUT", "/rest/v0/vdis/%s.raw" % self.target_uuid, self.raw)
        self.assertEqual(status, 204, body)
        self.assertEqual(self.disk(self.target), self.image)
        with open(self.x.disk_path(self.target), "r+b") as f:
            f.write(b"\0" * 8 * MIB)  # blank it, then the VHD brings the bytes back
        status, _, body = self.upload("PUT", "/rest/v0/vdis/%s.vhd" % self.target_uuid, self.vhd)
        self.assertEqual(status, 204, body)
        self.assertEqual(self.disk(self.target), self.image)

    def test_wrong_size_and_corrupt_vhds_are_refused_before_xapi_and_change_nothing(self):
        before = self.disk(self.target)
        status, _, body = self.upload("PUT", "/rest/v0/vdis/%s.raw" % self.target_uuid, self.image[:MIB])
        self.assertEqual(status, 400)
        self.assertIn("must match", body.decode())
        with open(self.vhd, "rb") as f:
            vhd = bytearray(f.read())
        corrupt = bytearray(vhd)
        corrupt[-512 + 70] ^= 0xFF  # inside the footer: its checksum fails
        status, _, body = self.upload("PUT", "/rest/v0/vdis/%s.vhd" % self.target_uuid, bytes(corrupt))
        self.assertEqual(status, 400)
        self.assertIn("checksum", body.decode())
        cut = bytes(vhd[:len(vhd) // 2]) + bytes(vhd[-512:])  # blocks missing, footer kept
        status, _, body = self.upload("PUT", "/rest/v0/vdis/%s.vhd" % self.target_uuid, cut)
        self.assertEqual(status, 400)
        self.assertIn("truncated", body.decode())
        status, _, body = self.upload("PUT", "/rest/v0/vdis/%s.vhd" % self.target_uuid, self.raw)
        self.assertEqual(status, 400)
        self.assertIn("conectix", body.decode())
        self.assertEqual(self.disk(self.target), before)

    # --- new VDIs ---
    def test_sr_import_creates_a_vdi_sized_from_the_upload_answering_as_asked(self):
        # seed form: bare ?raw, chunked upload (curl -T -), the new uuid as text
        status, _, body = self.upload("POST", "/rest/v0/srs/%s/vdis?raw&name_label=from%%20raw" % self.sr_uuid,
                                      self.image)
        self.assertEqual(status, 200, body)
        uuid = body.decode()
        vdi = self.s.api("/rest/v0/vdis/" + uuid)
        self.assertEqual((vdi["name_label"], vdi["size"]), ("from raw", 8 * MIB))
        self.assertEqual(self.disk(self.x.call("VDI.get_by_uuid", uuid)), self.image)
        # current XO's form: raw=true → 201 {"id"} + Location; and a VHD sized from its footer
        status, h, body = self.upload("POST", "/rest/v0/srs/%s/vdis?raw=true" % self.sr_uuid, self.raw)
        self.assertEqual(status, 201, body)
        self.assertEqual(h["location"], "/rest/v0/vdis/" + json.loads(body)["id"])
        status, _, body = self.upload("POST", "/rest/v0/srs/%s/vdis?name_label=from%%20vhd" % self.sr_uuid, self.vhd)
        self.assertEqual(status, 200, body)
        ref = self.x.call("VDI.get_by_uuid", body.decode())
        self.assertEqual(self.x.call("VDI.get_name_label", ref), "from vhd")
        self.assertEqual(self.disk(ref), self.image)
        # exports back to the same bytes
        status, _, out, _ = curl(self.s, "/rest/v0/vdis/%s.raw" % body.decode())
        self.assertEqual((status, out), (200, self.image))

    def test_a_corrupt_vhd_creates_no_vdi(self):
        before = set(self.x.call("VDI.get_all"))
        status, _, body = self.upload("POST", "/rest/v0/srs/%s/vdis" % self.sr_uuid, b"not a vhd" * 1000)
        self.assertEqual(status, 400)
        self.assertEqual(set(self.x.call("VDI.get_all")), before)

    # --- VMs ---
    def test_an_exported_xva_imports_as_a_new_vm_with_the_same_disk(self):
        vms = self.x.call("VM.get_all_records")
        vm = next(r for r, v in vms.items() if v["power_state"] == "Halted" and not v["is_a_template"]
                  and not v["is_a_snapshot"] and not v["is_control_domain"])
        self.x.attach(vm, self.x.new_vdi(self.sr, 4 * MIB, "xva disk"), 7)
        vdi = next(self.x.call("VBD.get_VDI", b) for b in self.x.call("VM.get_VBDs", vm)
                   if self.x.call("VBD.get_userdevice", b) == "7")
        disk = self.x.fill(vdi, [1, 3], seed=3)
        xva = os.path.join(self.tmp, "vm.xva")
        wait_cached(self.s, "vdis", self.x.call("VDI.get_uuid", vdi))
        status, _, _, _ = curl(self.s, "/rest/v0/vms/%s.xva?compress=zstd" % self.x.call("VM.get_uuid", vm), out=xva)
        self.assertEqual(status, 200)
        status, h, body = self.upload("POST", "/rest/v0/pools/%s/vms?sr=%s" % (self.pool_uuid, self.sr_uuid), xva)
        self.assertEqual(status, 201, body)
        new_uuid = json.loads(body)["id"]
        self.assertEqual(h["location"], "/rest/v0/vms/" + new_uuid)
        self.assertEqual(self.s.api("/rest/v0/vms/" + new_uuid)["name_label"], vms[vm]["name_label"])
        new_vm = self.x.call("VM.get_by_uuid", new_uuid)
        copy = next(self.x.call("VBD.get_VDI", b) for b in self.x.call("VM.get_VBDs", new_vm)
                    if self.x.call("VBD.get_userdevice", b) == "7")
        wait_cached(self.s, "vdis", self.x.call("VDI.get_uuid", copy))
        status, _, out, _ = curl(self.s, "/rest/v0/vdis/%s.raw" % self.x.call("VDI.get_uuid", copy))
        self.assertEqual((status, out), (200, disk))
        # without ?sr: the pool's default SR
        status, _, body = self.upload("POST", "/rest/v0/pools/%s/vms" % self.pool_uuid, xva)
        self.assertEqual(status, 201, body)

    def test_a_non_xva_or_cut_xva_is_refused_and_creates_no_vm(self):
        before = set(self.x.call("VM.get_all"))
        status, _, body = self.upload("POST", "/rest/v0/pools/%s/vms" % self.pool_uuid, self.raw)
        self.assertEqual(status, 400)
        self.assertIn("XVA", body.decode())
        vms = self.x.call("VM.get_all_records")
        vm = next(r for r, v in vms.items() if v["power_state"] == "Halted" and not v["is_a_template"]
                  and not v["is_a_snapshot"] and not v["is_control_domain"])
        status, _, xva, _ = curl(self.s, "/rest/v0/vms/%s.xva" % self.x.call("VM.get_uuid", vm))
        self.assertEqual(status, 200)
        status, _, body = self.upload("POST", "/rest/v0/pools/%s/vms" % self.pool_uuid, xva[:len(xva) // 2])
        self.assertEqual(status, 400)
        self.assertIn("truncated", body.decode())
        self.assertEqual(set(self.x.call("VM.get_all")), before)

    def test_an_xva_xapi_finds_corrupt_fails_as_its_task_and_leaves_no_vm(self):
        vms = self.x.call("VM.get_all_records")
        vm = next(r for r, v in vms.items() if v["power_state"] == "Halted" and not v["is_a_template"]
                  and not v["is_a_snapshot"] and not v["is_control_domain"])
        self.x.attach(vm, self.x.new_vdi(self.sr, 2 * MIB, "checksummed"), 8)
        vdi = next(self.x.call("VBD.get_VDI", b) for b in self.x.call("VM.get_VBDs", vm)
                   if self.x.call("VBD.get_userdevice", b) == "8")
        self.x.fill(vdi, [0], seed=4)
        wait_cached(self.s, "vdis", self.x.call("VDI.get_uuid", vdi))
        status, _, xva, _ = curl(self.s, "/rest/v0/vms/%s.xva" % self.x.call("VM.get_uuid", vm))
        self.assertEqual(status, 200)
        # flip a byte inside the first disk chunk: the tar is intact (our check passes), its
        # xxhash no longer matches (XAPI's import finds it)
        data = bytearray(xva)
        at = data.index(b"/00000000\0") // 512 * 512 + 512 + 100
        data[at] ^= 0xFF
        before = set(self.x.call("VM.get_all"))
        status, _, body = self.upload("POST", "/rest/v0/pools/%s/vms" % self.pool_uuid, bytes(data))
        self.assertEqual(status, 500, body)
        self.assertEqual(json.loads(body)["data"]["code"], "IMPORT_ERROR_SOME_CHECKSUMS_FAILED")
        self.assertEqual(set(self.x.call("VM.get_all")), before)
        tasks = self.s.api("/rest/v0/tasks?fields=status,properties")
        self.assertEqual([t["status"] for t in tasks if t["properties"]["name"] == "[XO] Importing a VM"][-1],
                         "failure")

    def test_an_interrupted_upload_leaves_no_file_and_no_object(self):
        before = set(self.x.call("VDI.get_all"))
        with socket.create_connection(("127.0.0.1", self.s.port)) as c:
            c.sendall(("POST /rest/v0/srs/%s/vdis?raw HTTP/1.1\r\nHost: x\r\nCookie: authenticationToken=%s\r\n"
                       "Content-Length: %d\r\n\r\n" % (self.sr_uuid, self.s.token, 64 * MIB)).encode())
            c.sendall(b"x" * (4 * MIB))
            wait_for(lambda: spooled_files(self.s), 10, "nginx spooling the body")
        wait_for(lambda: not spooled_files(self.s), 20, "the spooled part removed")
        self.assertEqual(set(self.x.call("VDI.get_all")), before)

    def test_a_body_file_outside_the_spool_is_refused_untouched(self):
        # Straight to the FastCGI socket (nginx never lets a client name the file).
        secret = os.path.join(self.tmp, "0000000001")
        with open(secret, "w") as f:
            f.write("not yours")
        env = dict(os.environ, REQUEST_METHOD="PUT", SCRIPT_NAME="", QUERY_STRING="",
                   REQUEST_URI="/rest/v0/vdis/%s.raw" % self.target_uuid,
                   DOCUMENT_URI="/rest/v0/vdis/%s.raw" % self.target_uuid,
                   HTTP_COOKIE="authenticationToken=" + self.s.token, XR_BODY_FILE=secret, CONTENT_LENGTH="0")
        r = subprocess.run(["cgi-fcgi", "-bind", "-connect", self.s.socket], env=env, capture_output=True, timeout=30)
        self.assertIn(b"Status: 400", r.stdout)
        self.assertIn(b"outside the spool directory", r.stdout)
        self.assertTrue(os.path.exists(secret))


if __name__ == "__main__":
    unittest.main(verbosity=2)
