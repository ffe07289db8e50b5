"""Server-sent events as current XO serves them (GET /events, POST/DELETE subscriptions),
through nginx and the stream role: init frame, add/update/remove frames with
$subscription, suppressed unchanged projections, unsubscribe, Last-Event-ID resume; XO's
vgpu, vgpuType, gpuGroup and VTPM objects."""
import http.client
import json
import os
import queue
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, wait_until  # noqa: E402


class Events:
    """An open text/event-stream; a thread parses frames into a queue of (event, id, data)."""

    def __init__(self, stack, path="/rest/v0/events", headers=None):
        self.conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=60)
        h = {"Cookie": "authenticationToken=" + stack.token}
        h.update(headers or {})
        self.conn.request("GET", path, headers=h)
        self.sock = self.conn.sock
        self.resp = self.conn.getresponse()
        self.frames = queue.Queue()
        if self.resp.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        frame = {}
        try:
            while True:
                line = self.resp.readline()
                if not line:
                    break
                line = line.decode().rstrip("\n")
                if line == "":
                    if frame:
                        self.frames.put((frame.get("event"), frame.get("id"), json.loads(frame.get("data", "null"))))
                    frame = {}
                    continue
                k, _, v = line.partition(": ")
                frame[k] = v
        except Exception:  # noqa: BLE001 - closed by the test
            pass

    def next(self, timeout=5.0):
        return self.frames.get(timeout=timeout)

    def quiet(self, seconds):
        try:
            self.frames.get(timeout=seconds)
            return False
        except queue.Empty:
            return True

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


class SseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=8, hosts=1, workers=1, threads=4)
        cls.sim = cls.s.sims[0]

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def open(self, **kw):
        e = Events(self.s, **kw)
        self.addCleanup(e.close)
        self.assertEqual(e.resp.status, 200)
        self.assertEqual(e.resp.getheader("Content-Type"), "text/event-stream")
        event, _, data = e.next()
        self.assertEqual(event, "init")
        self.assertRegex(data["id"], r"^[0-9a-f-]{36}$")
        return e, data["id"]

    def subscribe(self, conn_id, body):
        return self.s.request("POST", "/rest/v0/events/%s/subscriptions" % conn_id, token=self.s.token, body=body)

    def test_subscribe_update_add_remove_and_unsubscribe(self):
        e, cid = self.open()
        r = self.subscribe(cid, {"collection": "VM", "fields": ["id", "name_label", "power_state"]})
        self.assertEqual(r.status, 201)
        self.assertEqual(r.json(), {"id": "VM"})
        vm = self.s.api("/rest/v0/vms?fields=uuid")[0]["uuid"]
        self.sim.control("rename", {"ref": vm, "name": "sse-1"})
        event, _, data = e.next()
        self.assertEqual(event, "update")
        self.assertEqual(data["id"], vm)
        self.assertEqual(data["name_label"], "sse-1")
        self.assertEqual(data["$subscription"], "VM")
        self.assertNotIn("href", data)
        # An unchanged projection is not sent.
        self.sim.control("set", {"class": "VM", "ref": vm, "field": "name_description", "value": "x"})
        self.assertTrue(e.quiet(0.5))
        self.sim.control("add_vm", {"name": "sse-new"})
        event, _, data = e.next()
        self.assertEqual((event, data["name_label"]), ("add", "sse-new"))
        new = data["id"]
        self.sim.control("remove_vm", {"ref": new})
        self.assertEqual(e.next(), ("remove", None, {"id": new, "$subscription": "VM"}))
        r = self.s.request("DELETE", "/rest/v0/events/%s/subscriptions/VM" % cid, token=self.s.token)
        self.assertEqual(r.status, 204)
        self.sim.control("rename", {"ref": vm, "name": "sse-2"})
        self.assertTrue(e.quiet(0.7))
        r = self.s.request("DELETE", "/rest/v0/events/%s/subscriptions/VM" % cid, token=self.s.token)
        self.assertEqual(r.status, 404)

    def test_subscribing_again_to_the_same_view_replaces_the_subscription(self):
        # XO 6's UI posts the same {collection, fields} again when a page reopens; the old
        # subscription was the view's only watcher (its removal used to free the view the new
        # one was being attached to: the stream role died of heap corruption).
        e, cid = self.open()
        body = {"collection": "alarm", "fields": ["id", "time", "body"]}
        for _ in range(3):
            self.assertEqual(self.subscribe(cid, body).status, 201)
        body = {"collection": "VM", "fields": ["id", "name_label"]}
        for _ in range(3):
            self.assertEqual(self.subscribe(cid, body).status, 201)
        vm = self.s.api("/rest/v0/vms?fields=uuid")[0]["uuid"]
        self.sim.control("rename", {"ref": vm, "name": "sse-again"})
        event, _, data = e.next()
        self.assertEqual((event, data["name_label"]), ("update", "sse-again"))
        self.assertTrue(e.quiet(0.5))  # one subscription: one frame
        self.assertEqual(self.subscribe(cid, {"collection": "VM", "fields": ["id"]}).status, 201)
        self.assertNotIn("killed by signal", self.s.log_text())

    def test_default_fields_are_the_whole_object_and_hosts_work_too(self):
        e, cid = self.open()
        self.assertEqual(self.subscribe(cid, {"collection": "host"}).status, 201)
        host = self.s.api("/rest/v0/hosts?fields=uuid")[0]["uuid"]
        self.sim.control("rename", {"class": "host", "ref": host, "name": "sse-host"})
        event, _, data = e.next()
        self.assertEqual(event, "update")
        self.assertEqual(data["name_label"], "sse-host")
        self.assertEqual(data["type"], "host")  # the whole XO object
        self.assertEqual(data["$subscription"], "host")

    def test_errors(self):
        e, cid = self.open()
        self.assertEqual(self.subscribe("no-such-connection", {"collection": "VM"}).status, 404)
        r = self.subscribe(cid, {"collection": "nothing"})
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["data"], {"collection": "nothing"})
        self.assertEqual(self.subscribe(cid, {"fields": ["id"]}).status, 400)
        r = self.s.get("/rest/v0/events")
        self.assertEqual(r.status, 401)

    def test_vgpu_vgpu_type_gpu_group_and_vtpm_objects_as_xo_shows_them(self):
        """XO's vgpu, vgpuType, gpuGroup and VTPM objects (xapi-object-to-xo) reach SSE
        subscribers as XO builds them from XAPI's records; a VM's VGPUs and VTPMs name them;
        none is a REST collection (XO has none)."""
        from test_actions_catalogue import Xapi  # noqa: E402 - the simulator over XML-RPC
        x = Xapi(self.sim)
        e, cid = self.open()
        for t in ("vgpu", "vgpuType", "gpuGroup", "VTPM"):
            self.assertEqual(self.subscribe(cid, {"collection": t}).status, 201)
        vm = next(v for v in x("VM.get_all") if x("VM.get_power_state", v) == "Halted"
                  and not x("VM.get_is_a_template", v) and not x("VM.get_is_control_domain", v))
        group = next(g for g in x("GPU_group.get_all") if "Tesla" in x("GPU_group.get_name_label", g))
        vtype = x("VGPU_type.get_all")[0]
        vgpu = x("VGPU.create", vm, group, "0", {"k": "v"}, vtype)
        vtpm = x("VTPM.create", vm, False)
        pool = x.uuid("pool", x("pool.get_all")[0])

        def uuids(cls, refs):
            return [x.uuid(cls, r) for r in refs]

        def generic(ref, cls, xo_type):
            u = x.uuid(cls, ref)
            return {"id": u, "type": xo_type, "uuid": u, "$pool": pool, "$poolId": pool, "_xapiRef": ref}

        v = x("VGPU.get_record", vgpu)
        want = {"vgpu": dict(generic(vgpu, "VGPU", "vgpu"), currentlyAttached=False, device="0",
                             gpuGroup=x.uuid("GPU_group", group), otherConfig={"k": "v"},
                             vgpuType=x.uuid("VGPU_type", vtype), vm=x.uuid("VM", vm))}
        self.assertEqual(v["resident_on"], "OpaqueRef:NULL")  # a null link: no key, as XO
        want["VTPM"] = dict(generic(vtpm, "VTPM", "VTPM"), vm=x.uuid("VM", vm))
        t = x("VGPU_type.get_record", vtype)
        want["vgpuType"] = dict(generic(vtype, "VGPU_type", "vgpuType"), experimental=bool(t["experimental"]),
                                framebufferSize=int(t["framebuffer_size"]),
                                gpuGroups=uuids("GPU_group", t["enabled_on_GPU_groups"]),
                                maxHeads=int(t["max_heads"]), maxResolutionX=int(t["max_resolution_x"]),
                                maxResolutionY=int(t["max_resolution_y"]), modelName=t["model_name"],
                                pgpus=uuids("PGPU", t["enabled_on_PGPUs"]), vendorName=t["vendor_name"],
                                vgpus=[want["vgpu"]["id"]])
        g = x("GPU_group.get_record", group)
        want["gpuGroup"] = dict(generic(group, "GPU_group", "gpuGroup"), allocation=g["allocation_algorithm"],
                                enabledVgpuTypes=uuids("VGPU_type", g["enabled_VGPU_types"]),
                                gpuTypes=g["GPU_types"], name_description=g["name_description"],
                                name_label=g["name_label"], otherConfig=g["other_config"],
                                pgpus=uuids("PGPU", g["PGPUs"]),
                                supportedVgpuTypes=uuids("VGPU_type", g["supported_VGPU_types"]),
                                vgpus=[want["vgpu"]["id"]])
        got = {}
        while len(got) < 4:
            event, _, data = e.next()
            got[data.pop("$subscription")] = (event, data)
        self.assertEqual(got, {"vgpu": ("add", want["vgpu"]), "vgpuType": ("update", want["vgpuType"]),
                               "gpuGroup": ("update", want["gpuGroup"]), "VTPM": ("add", want["VTPM"])})
        vm_obj = self.s.api("/rest/v0/vms/" + x.uuid("VM", vm))
        self.assertEqual((vm_obj["VGPUs"], vm_obj["VTPMs"]), ([want["vgpu"]["id"]], [want["VTPM"]["id"]]))
        for path in ("/rest/v0/vgpus", "/rest/v0/vgpus?ndjson&watch", "/rest/v0/gpu-groups", "/rest/v0/vtpms"):
            self.assertEqual(self.s.get(path, token=self.s.token).status, 404, path)
        # The VM goes, its vGPU with it: a remove frame.
        x("VM.destroy", vm)
        while True:
            event, _, data = e.next()
            if data.get("$subscription") == "vgpu":
                break
        self.assertEqual((event, data), ("remove", {"id": want["vgpu"]["id"], "$subscription": "vgpu"}))

    def test_last_event_id_resumes_at_the_next_subscription(self):
        e, cid = self.open(path="/rest/v0/events?revision")
        self.subscribe(cid, {"collection": "VM", "fields": ["name_label"]})
        vm = self.s.api("/rest/v0/vms?fields=uuid")[1]["uuid"]
        self.sim.control("rename", {"ref": vm, "name": "before-drop"})
        event, rev, data = e.next()
        self.assertRegex(rev, r"^[0-9a-f]{8}-[0-9]+~[0-9]+$")  # <cache revision>~<task revision>
        e.close()
        self.sim.control("rename", {"ref": vm, "name": "while-away"})
        time.sleep(0.5)
        e2, cid2 = self.open(path="/rest/v0/events?revision", headers={"Last-Event-ID": rev})
        self.subscribe(cid2, {"collection": "VM", "fields": ["name_label"]})
        event, rev2, data = e2.next()
        self.assertEqual((event, data["name_label"]), ("update", "while-away"))
        self.assertNotEqual(rev2, rev)

    def test_last_event_id_for_every_collection(self):
        """Each type resumes: a subscription after a reconnection with a valid Last-Event-ID is
        201 for every XO type; each type whose objects the simulator can change here replays
        the change made while the client was away, as an update of the whole object."""
        e, cid = self.open(path="/rest/v0/events?revision")
        self.subscribe(cid, {"collection": "VM", "fields": ["name_label"]})
        vm = self.s.api("/rest/v0/vms?fields=uuid")[2]["uuid"]
        self.sim.control("rename", {"ref": vm, "name": "every-before"})
        _, rev, _ = e.next()
        e.close()
        changeable = {"pool": ("pools", "pool"), "host": ("hosts", "host"), "VM": ("vms", "VM"),
                      "VM-template": ("vm-templates", "VM"), "VDI": ("vdis", "VDI"), "SR": ("srs", "SR"),
                      "network": ("networks", "network"), "SM": ("sms", "SM")}
        renamed = {}
        for xo_type, (collection, cls) in changeable.items():
            objects = self.s.api("/rest/v0/%s?fields=id,uuid" % collection)
            self.assertTrue(objects, collection)
            self.sim.control("rename", {"class": cls, "ref": objects[0]["uuid"], "name": "away-" + xo_type})
            renamed[xo_type] = objects[0]["id"]  # XO's id (a default template's has the pool's uuid too)
        wait_until(lambda: self.s.api("/rest/v0/sms/%s?fields=name_label" % renamed["SM"])["name_label"] == "away-SM",
                   10, "the last change in the cache")
        types = ["pool", "host", "VM", "VM-template", "VM-snapshot", "VM-controller", "VDI", "VDI-snapshot", "SR",
                 "network", "PIF", "VIF", "VBD", "PBD", "SM", "PCI", "PGPU", "vgpu", "vgpuType", "gpuGroup",
                 "VDI-unmanaged", "VTPM", "message", "alarm", "task"]
        e2, cid2 = self.open(path="/rest/v0/events?revision", headers={"Last-Event-ID": rev})
        for xo_type in types:
            with self.subTest(type=xo_type):
                self.assertEqual(self.subscribe(cid2, {"collection": xo_type}).status, 201)
                if xo_type not in renamed:
                    continue
                frames = []
                while not any(d.get("id") == renamed[xo_type] for _, _, d in frames):
                    frames.append(e2.next())
                event, frame_id, data = frames[-1]
                self.assertEqual((event, data["name_label"], data["$subscription"]),
                                 ("update", "away-" + xo_type, xo_type))
                self.assertRegex(frame_id, r"^[0-9a-f]{8}-[0-9]+~[0-9]+$")
        # A revision of another instance (a restarted service) is 410 before anything is sent.
        r = self.s.get("/rest/v0/events?revision", token=self.s.token,
                       headers={"Last-Event-ID": "00000000-1~" + rev.split("~")[1]})
        self.assertEqual(r.status, 410, r.body)
        r = self.s.get("/rest/v0/events", token=self.s.token, headers={"Last-Event-ID": "nonsense~1"})
        self.assertEqual(r.status, 400, r.body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
