"""Integration tests of the mutations (PATCH, tags, If-Match) through nginx against a running
stack: every success is visible on the very next GET (read-your-writes, asked of every
worker), every bad input is a 4xx in XO's shape that leaves the object byte-identical."""
import json
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import Stack, wait_until  # noqa: E402

NAMED = ["pools", "hosts", "vms", "vm-templates", "vm-snapshots", "vm-controllers", "vdis",
         "srs", "networks"]


class MutationsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=12, hosts=2, workers=2, threads=4)

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    # --- helpers ---
    def call(self, method, path, body=None, headers=None, raw=None):
        if raw is not None:
            h = dict(headers or {}, **{"Content-Type": "application/json"})
            import urllib.request
            req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.s.port, path), method=method,
                                         data=raw, headers=dict(h, Cookie="authenticationToken=" + self.s.token))
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    return r.status, r.read()
            except urllib.error.HTTPError as e:
                return e.code, e.read()
        r = self.s.request(method, path, token=self.s.token, body=body, headers=headers)
        return r.status, r.body

    def first(self, coll, flt=None):
        q = "/rest/v0/%s?fields=id,name_label&limit=1" % coll
        if flt:
            q += "&filter=" + urllib.parse.quote(flt)
        items = self.s.api(q)
        self.assertTrue(items, coll)
        return items[0]["id"]

    def get(self, coll, oid):
        r = self.s.get("/rest/v0/%s/%s" % (coll, oid), token=self.s.token)
        self.assertEqual(r.status, 200)
        return r

    def get_every_worker(self, coll, oid, n=6):
        """n GETs in a row (nginx spreads them over the workers): all must agree."""
        return [self.get(coll, oid).json() for _ in range(n)]

    # --- PATCH (seed, snake_case) ---
    def test_patch_names_on_every_named_collection_is_visible_on_the_next_get(self):
        for coll in NAMED:
            with self.subTest(coll):
                oid = self.first(coll)
                label, desc = "renamed %s ✓" % coll, "described | line\nnext"
                status, body = self.call("PATCH", "/rest/v0/%s/%s" % (coll, oid),
                                         {"name_label": label, "name_description": desc})
                self.assertEqual(status, 204, body)
                self.assertEqual(body, b"")
                for obj in self.get_every_worker(coll, oid):
                    self.assertEqual(obj["name_label"], label)
                    self.assertEqual(obj["name_description"], desc)

    def test_patch_tags_replaces_the_whole_set(self):
        vm = self.first("vms")
        status, body = self.call("PATCH", "/rest/v0/vms/" + vm, {"tags": ["a", "b c", "ü"]})
        self.assertEqual(status, 204, body)
        for obj in self.get_every_worker("vms", vm):
            self.assertEqual(sorted(obj["tags"]), ["a", "b c", "ü"])
        status, _ = self.call("PATCH", "/rest/v0/vms/" + vm, {"tags": []})
        self.assertEqual(status, 204)
        self.assertEqual(self.get("vms", vm).json()["tags"], [])

    def test_bad_bodies_are_422_naming_each_key_and_change_nothing(self):
        sr = self.first("srs")
        before = self.get("srs", sr).body
        status, body = self.call("PATCH", "/rest/v0/srs/" + sr,
                                 {"name_label": "never applied", "foo": 1, "name_description": 5,
                                  "tags": ["ok", 3]})
        self.assertEqual(status, 422, body)
        err = json.loads(body)
        self.assertEqual(err["data"], {})
        self.assertEqual(err["error"]["body.foo"]["message"],
                         '"foo" is an excess property and therefore is not allowed')
        self.assertEqual(err["error"]["body.name_description"],
                         {"message": "invalid string value", "value": 5})
        self.assertEqual(err["error"]["body.tags.$1"], {"message": "invalid string value", "value": 3})
        self.assertNotIn("body.name_label", err["error"])
        self.assertEqual(self.get("srs", sr).body, before)

    def test_malformed_json_is_400_and_changes_nothing(self):
        net = self.first("networks")
        before = self.get("networks", net).body
        for raw in (b"{", b"[1]", b'"x"'):
            status, body = self.call("PATCH", "/rest/v0/networks/" + net, raw=raw)
            self.assertEqual(status, 400, raw)
            self.assertIn("error", json.loads(body))
        self.assertEqual(self.get("networks", net).body, before)

    def test_patch_of_an_unknown_object_is_404(self):
        status, body = self.call("PATCH", "/rest/v0/vms/00000000-0000-0000-0000-000000000000",
                                 {"name_label": "x"})
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body)["data"]["type"], "VM")

    # --- tags as items (seed "Collections") ---
    def test_put_and_delete_a_tag_with_spaces_and_unicode(self):
        vdi = self.first("vdis")
        tag = "My tag é 🙂/x"
        path = "/rest/v0/vdis/%s/tags/%s" % (vdi, urllib.parse.quote(tag, safe=""))
        for _ in range(2):  # idempotent
            status, body = self.call("PUT", path)
            self.assertEqual(status, 204, body)
            for obj in self.get_every_worker("vdis", vdi, 3):
                self.assertEqual(obj["tags"].count(tag), 1)
        for _ in range(2):
            status, body = self.call("DELETE", path)
            self.assertEqual(status, 204, body)
            for obj in self.get_every_worker("vdis", vdi, 3):
                self.assertNotIn(tag, obj["tags"])

    def test_tag_that_is_not_utf8_is_422_and_changes_nothing(self):
        host = self.first("hosts")
        before = self.get("hosts", host).body
        status, body = self.call("PUT", "/rest/v0/hosts/%s/tags/%%FF" % host)
        self.assertEqual(status, 422, body)
        self.assertEqual(self.get("hosts", host).body, before)

    # --- optimistic concurrency ---
    def test_if_match_with_a_stale_etag_is_412_and_changes_nothing(self):
        vm = self.first("vms", "power_state:Halted")
        etag = self.get("vms", vm).headers["ETag"]
        self.assertRegex(etag, r'^"[0-9a-f]{16}"$')  # strong
        status, _ = self.call("PATCH", "/rest/v0/vms/" + vm, {"name_label": "first"},
                              headers={"If-Match": etag})
        self.assertEqual(status, 204)
        current = self.get("vms", vm)
        self.assertNotEqual(current.headers["ETag"], etag)
        status, body = self.call("PATCH", "/rest/v0/vms/" + vm, {"name_label": "second"},
                                 headers={"If-Match": etag})
        self.assertEqual(status, 412, body)
        self.assertEqual(self.get("vms", vm).body, current.body)
        status, _ = self.call("PUT", "/rest/v0/vms/%s/tags/t" % vm, headers={"If-Match": etag})
        self.assertEqual(status, 412)
        status, _ = self.call("PUT", "/rest/v0/vms/%s/tags/t" % vm,
                              headers={"If-Match": 'W/"x", ' + current.headers["ETag"]})
        self.assertEqual(status, 204)
        self.assertIn("t", self.get("vms", vm).json()["tags"])

    def test_if_none_match_on_an_object_is_304(self):
        pool = self.first("pools")
        etag = self.get("pools", pool).headers["ETag"]
        r = self.s.get("/rest/v0/pools/" + pool, token=self.s.token, headers={"If-None-Match": etag})
        self.assertEqual(r.status, 304)

    # --- DELETE (seed "VM and VDI destruction", current XO's other deletes) ---
    def vm_with(self, flt):
        vms = self.s.api("/rest/v0/vms?fields=id,power_state,$VBDs,snapshots&filter=" + urllib.parse.quote(flt))
        return vms

    def vdis_of(self, vm):
        return [v["id"] for v in self.s.api("/rest/v0/vms/%s/vdis?fields=id" % vm)]

    def gone(self, coll, oid):
        return self.s.get("/rest/v0/%s/%s" % (coll, oid), token=self.s.token).status == 404

    def test_delete_of_a_running_vm_is_409_with_xapis_reason_and_changes_nothing(self):
        vm = self.vm_with("power_state:Running")[0]["id"]
        disks = self.vdis_of(vm)
        status, body = self.call("DELETE", "/rest/v0/vms/" + vm)
        self.assertEqual(status, 409, body)
        err = json.loads(body)
        self.assertEqual(err["error"], "VM_BAD_POWER_STATE")
        self.assertEqual(err["data"]["code"], "VM_BAD_POWER_STATE")
        self.assertFalse(self.gone("vms", vm))
        for vdi in disks:
            self.assertFalse(self.gone("vdis", vdi))

    def test_delete_of_a_halted_vm_takes_its_disks_and_snapshots(self):
        candidates = [v for v in self.vm_with("power_state:Halted") if v.get("$VBDs")]
        self.assertTrue(candidates)
        vm = max(candidates, key=lambda v: len(v.get("snapshots", [])))
        disks = {d: self.get("vdis", d).json()["$VBDs"] for d in self.vdis_of(vm["id"])}
        self.assertTrue(disks)
        status, body = self.call("DELETE", "/rest/v0/vms/" + vm["id"])
        self.assertEqual(status, 204, body)
        self.assertTrue(self.gone("vms", vm["id"]))  # read-your-writes: the very next GET
        for vdi, vbds in disks.items():
            # as XO: a disk another VM also uses is kept
            self.assertEqual(self.gone("vdis", vdi), len(vbds) == 1, vdi)
        for snap in vm.get("snapshots", []):
            self.assertTrue(self.gone("vm-snapshots", snap), snap)
        status, _ = self.call("DELETE", "/rest/v0/vms/" + vm["id"])
        self.assertEqual(status, 404)

    def test_delete_of_a_default_template_is_409_and_changes_nothing(self):
        tpl = self.s.api("/rest/v0/vm-templates?fields=id,isDefaultTemplate&filter=isDefaultTemplate%3F")
        self.assertTrue(tpl)
        before = self.get("vm-templates", tpl[0]["id"]).body
        status, body = self.call("DELETE", "/rest/v0/vm-templates/" + tpl[0]["id"])
        self.assertEqual(status, 409, body)
        self.assertEqual(json.loads(body)["data"]["property"], "isDefaultTemplate")
        self.assertEqual(self.get("vm-templates", tpl[0]["id"]).body, before)

    def test_delete_of_a_vdi_vif_and_vbd(self):
        halted = [v for v in self.vm_with("power_state:Halted") if v.get("$VBDs")]
        vbd = halted[0]["$VBDs"][0]
        vdi = self.get("vbds", vbd).json().get("VDI")
        status, body = self.call("DELETE", "/rest/v0/vbds/" + vbd)
        self.assertEqual(status, 204, body)
        self.assertTrue(self.gone("vbds", vbd))
        if vdi:
            self.assertFalse(self.gone("vdis", vdi))  # a VBD delete keeps the disk
            status, body = self.call("DELETE", "/rest/v0/vdis/" + vdi)
            self.assertEqual(status, 204, body)
            self.assertTrue(self.gone("vdis", vdi))
        vifs = [v for vm in self.s.api("/rest/v0/vms?fields=VIFs&filter=power_state:Halted") for v in vm["VIFs"]]
        self.assertTrue(vifs)
        status, body = self.call("DELETE", "/rest/v0/vifs/" + vifs[0])
        self.assertEqual(status, 204, body)
        self.assertTrue(self.gone("vifs", vifs[0]))

    def disks_of(self, coll, oid):
        """The disks (not CD drives) of a VM-like object, as XO's VM_getDisks."""
        vbds = [self.get("vbds", b).json() for b in self.get(coll, oid).json()["$VBDs"]]
        return [v["VDI"] for v in vbds if v.get("VDI") and not v.get("is_cd_drive")]

    def test_delete_of_a_vm_snapshot_a_template_a_vdi_snapshot_and_a_network(self):
        proxy, session = self.xapi()
        # a VM snapshot: gone with its disks, its VM kept and no longer listing it
        vm = next(v for v in self.s.api("/rest/v0/vms?fields=id,_xapiRef&filter=" + urllib.parse.quote(
            "power_state:Halted")) if self.disks_of("vms", v["id"]))
        snap = proxy.VM.get_uuid(session, proxy.VM.snapshot(session, vm["_xapiRef"], "mut snapshot")["Value"])["Value"]
        wait_until(lambda: snap in self.get("vms", vm["id"]).json()["snapshots"], 20, "the snapshot listed")
        snap_disks = self.disks_of("vm-snapshots", snap)
        status, body = self.call("DELETE", "/rest/v0/vm-snapshots/" + snap)
        self.assertEqual(status, 204, body)
        self.assertTrue(self.gone("vm-snapshots", snap))
        self.assertNotIn(snap, self.get("vms", vm["id"]).json()["snapshots"])
        self.assertTrue(snap_disks)
        for vdi in snap_disks:
            self.assertTrue(self.gone("vdi-snapshots", vdi) and self.gone("vdis", vdi), vdi)
        # a template of ours (a clone made a template): gone with its disks
        tpl_ref = proxy.VM.clone(session, vm["_xapiRef"], "mut template")["Value"]
        proxy.VM.set_is_a_template(session, tpl_ref, True)
        uuid = proxy.VM.get_uuid(session, tpl_ref)["Value"]
        wait_until(lambda: not self.gone("vm-templates", uuid), 20, "the template listed")
        tpl_disks = self.disks_of("vm-templates", uuid)
        self.assertTrue(tpl_disks)
        status, body = self.call("DELETE", "/rest/v0/vm-templates/" + uuid)
        self.assertEqual(status, 204, body)
        self.assertTrue(self.gone("vm-templates", uuid))
        for vdi in tpl_disks:
            self.assertTrue(self.gone("vdis", vdi), vdi)
        # a disk snapshot, and a network with nothing on it
        vdi_ref = self.s.api("/rest/v0/vdis?fields=_xapiRef&limit=1")[0]["_xapiRef"]
        vsnap = proxy.VDI.get_uuid(session, proxy.VDI.snapshot(session, vdi_ref, {})["Value"])["Value"]
        net = proxy.network.get_uuid(session, proxy.network.create(session, {"name_label": "mut net"})["Value"])["Value"]
        for coll, oid in (("vdi-snapshots", vsnap), ("networks", net)):
            wait_until(lambda: not self.gone(coll, oid), 20, coll + " listed")
            status, body = self.call("DELETE", "/rest/v0/%s/%s" % (coll, oid))
            self.assertEqual(status, 204, body)
            self.assertTrue(self.gone(coll, oid), coll)

    def test_delete_with_a_stale_if_match_is_412_and_keeps_the_object(self):
        net = self.first("networks")
        etag = self.get("networks", net).headers["ETag"]
        self.assertEqual(self.call("PATCH", "/rest/v0/networks/" + net, {"name_description": "moved on"})[0], 204)
        status, body = self.call("DELETE", "/rest/v0/networks/" + net, headers={"If-Match": etag})
        self.assertEqual(status, 412, body)
        self.assertFalse(self.gone("networks", net))

    # --- current XO's keys: VM camelCase, VDI size, VIF locking ---
    def test_patch_vm_camelcase_keys_are_applied_and_visible(self):
        vm = self.vm_with("power_state:Halted")[-1]["id"]
        host = self.first("hosts")
        pool = self.first("pools")
        proxy, session = self.xapi()
        proxy.pool.remove_from_other_config(session, self.get("pools", pool).json()["_xapiRef"], "auto_poweron")
        wait_until(lambda: self.get("pools", pool).json()["auto_poweron"] is False, 20, "the pool's auto_poweron off")
        body = {"nameLabel": "camel", "nameDescription": "d", "autoPoweron": True,
                "highAvailability": "restart", "startDelay": 7, "notes": "see wiki", "affinityHost": host,
                "blockedOperations": {"destroy": "kept safe", "start": True}, "cpus": 3,
                "memory": 3 * 1024 ** 3, "PV_args": "console=hvc0"}
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, body)
        self.assertEqual(status, 204, b)
        for o in self.get_every_worker("vms", vm, 3):
            self.assertEqual((o["name_label"], o["name_description"]), ("camel", "d"))
            self.assertTrue(o["auto_poweron"])
            self.assertTrue(self.get("pools", pool).json()["auto_poweron"])  # XO turns the pool's on too
            self.assertEqual(o["high_availability"], "restart")
            self.assertEqual(o["startDelay"], 7)
            self.assertEqual(o["notes"], "see wiki")
            self.assertEqual(o["affinityHost"], host)
            self.assertEqual(o["blockedOperations"], {"destroy": "kept safe", "start": "true"})
            self.assertEqual(o["CPUs"]["number"], 3)
            self.assertEqual(o["memory"]["dynamic"][1], 3 * 1024 ** 3)
            if "PV_args" in o:  # XO shows it on PV guests only
                self.assertEqual(o["PV_args"], "console=hvc0")
        status, b = self.call("DELETE", "/rest/v0/vms/" + vm)  # blocked: XO's forbidden operation
        self.assertEqual(status, 403, b)
        self.assertIn("destroy is blocked: kept safe", json.loads(b)["error"])
        self.assertFalse(self.gone("vms", vm))
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm,
                              {"blockedOperations": {"destroy": None, "start": False}, "affinityHost": None,
                               "autoPoweron": False, "notes": None})
        self.assertEqual(status, 204, b)
        o = self.get("vms", vm).json()
        self.assertEqual(o["blockedOperations"], {})
        self.assertNotIn("affinityHost", o)
        self.assertFalse(o["auto_poweron"])
        self.assertTrue(self.get("pools", pool).json()["auto_poweron"])  # and leaves it when the VM's goes off
        self.assertNotIn("notes", o)

    def test_bad_vm_keys_are_422_and_change_nothing(self):
        vm = self.vm_with("power_state:Halted")[0]["id"]
        before = self.get("vms", vm).body
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm,
                              {"nameLabel": "never", "highAvailability": "always", "cpus": -1,
                               "autoPoweron": "yes", "blockedOperations": {"start": 1}})
        self.assertEqual(status, 422, b)
        err = json.loads(b)["error"]
        self.assertEqual(sorted(err), ["body.autoPoweron", "body.blockedOperations.start", "body.cpus",
                                       "body.highAvailability"])
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, {"affinityHost": "no-such-host"})
        self.assertEqual(status, 404, b)
        self.assertEqual(self.get("vms", vm).body, before)

    def test_patch_vdi_size_grows_it_and_a_shrink_is_refused(self):
        vdi = self.first("vdis")
        size = self.get("vdis", vdi).json()["size"]
        status, b = self.call("PATCH", "/rest/v0/vdis/" + vdi, {"size": size + 1024 ** 3})
        self.assertEqual(status, 204, b)
        self.assertEqual(self.get("vdis", vdi).json()["size"], size + 1024 ** 3)
        before = self.get("vdis", vdi).body
        status, b = self.call("PATCH", "/rest/v0/vdis/" + vdi, {"size": 1024, "name_label": "never"})
        self.assertEqual(status, 422, b)  # XO's message; refused before the name changes
        self.assertEqual(json.loads(b)["error"],
                         "cannot set new size (1024) below the current size (%d)" % (size + 1024 ** 3))
        self.assertEqual(self.get("vdis", vdi).body, before)

    def test_patch_vif_locking_mode_and_allowed_addresses(self):
        vif = self.first("vifs")
        status, b = self.call("PATCH", "/rest/v0/vifs/" + vif,
                              {"lockingMode": "locked", "allowedIpv4Addresses": ["192.168.0.42"],
                               "allowedIpv6Addresses": []})
        self.assertEqual(status, 204, b)
        o = self.get("vifs", vif).json()
        self.assertEqual(o["lockingMode"], "locked")
        self.assertEqual(o["allowedIpv4Addresses"], ["192.168.0.42"])
        before = self.get("vifs", vif).body
        status, b = self.call("PATCH", "/rest/v0/vifs/" + vif, {"lockingMode": "closed", "name_label": "x"})
        self.assertEqual(status, 422, b)
        self.assertEqual(sorted(json.loads(b)["error"]), ["body.lockingMode", "body.name_label"])
        self.assertEqual(self.get("vifs", vif).body, before)

    def test_allowed_addresses_lock_the_vif_as_xo(self):
        vif = self.s.api("/rest/v0/vifs?fields=id&limit=3")[-1]["id"]
        proxy, session = self.xapi()
        ref = self.get("vifs", vif).json()["_xapiRef"]
        proxy.VIF.set_locking_mode(session, ref, "network_default")
        proxy.VIF.set_ipv4_allowed(session, ref, [])
        proxy.VIF.set_ipv6_allowed(session, ref, [])
        wait_until(lambda: self.get("vifs", vif).json()["lockingMode"] == "network_default", 20, "network_default")
        # addresses on a VIF that is not locked: XO locks it
        status, b = self.call("PATCH", "/rest/v0/vifs/" + vif, {"allowedIpv4Addresses": ["10.0.0.7"]})
        self.assertEqual(status, 204, b)
        for o in self.get_every_worker("vifs", vif, 3):
            self.assertEqual((o["lockingMode"], o["allowedIpv4Addresses"]), ("locked", ["10.0.0.7"]))
        # emptying both lists leaves the mode as it is (XO's editVif does not unlock)
        status, b = self.call("PATCH", "/rest/v0/vifs/" + vif, {"allowedIpv4Addresses": [], "allowedIpv6Addresses": []})
        self.assertEqual(status, 204, b)
        o = self.get("vifs", vif).json()
        self.assertEqual((o["lockingMode"], o["allowedIpv4Addresses"], o["allowedIpv6Addresses"]), ("locked", [], []))
        # the body's own lockingMode wins; a list already set changes nothing, the mode included
        status, b = self.call("PATCH", "/rest/v0/vifs/" + vif, {"allowedIpv6Addresses": ["fe80::7"], "lockingMode": "unlocked"})
        self.assertEqual(status, 204, b)
        self.assertEqual(self.get("vifs", vif).json()["lockingMode"], "unlocked")
        status, b = self.call("PATCH", "/rest/v0/vifs/" + vif, {"allowedIpv6Addresses": ["fe80::7"]})
        self.assertEqual(status, 204, b)
        o = self.get("vifs", vif).json()
        self.assertEqual((o["lockingMode"], o["allowedIpv6Addresses"]), ("unlocked", ["fe80::7"]))
        # refused before any call: a wrong type, an address XAPI would refuse (of the other family, out of range)
        before = self.get("vifs", vif).body
        status, b = self.call("PATCH", "/rest/v0/vifs/" + vif, {
            "allowedIpv4Addresses": ["10.0.0.8", "10.0.0.256", "fe80::8", "10.0.0.0/33"],
            "allowedIpv6Addresses": "fe80::9", "lockingMode": "locked"})
        self.assertEqual(status, 422, b)
        self.assertEqual(sorted(json.loads(b)["error"]), [
            "body.allowedIpv4Addresses.$1", "body.allowedIpv4Addresses.$2", "body.allowedIpv4Addresses.$3",
            "body.allowedIpv6Addresses"])
        self.assertEqual(self.get("vifs", vif).body, before)

    # --- creations (current XO, 201 {"id"} + Location) ---
    def count(self, coll):
        return len(self.s.api("/rest/v0/" + coll))

    def test_post_vdi_vbd_vif_are_201_with_location_and_visible_at_once(self):
        sr = self.s.api("/rest/v0/srs?fields=id,content_type&filter=" + urllib.parse.quote("!content_type:iso"))[0]["id"]
        r = self.s.request("POST", "/rest/v0/vdis", token=self.s.token,
                           body={"srId": sr, "virtual_size": 2 * 1024 ** 3, "name_label": "made by POST",
                                 "tags": ["new"]})
        self.assertEqual(r.status, 201, r.body)
        vdi = r.json()["id"]
        self.assertEqual(r.headers["Location"], "/rest/v0/vdis/" + vdi)
        o = self.get("vdis", vdi).json()
        self.assertEqual((o["name_label"], o["size"], o["$SR"], o["tags"]), ("made by POST", 2 * 1024 ** 3, sr, ["new"]))
        vm = self.vm_with("power_state:Halted")[0]["id"]
        r = self.s.request("POST", "/rest/v0/vbds", token=self.s.token, body={"VM": vm, "VDI": vdi})
        self.assertEqual(r.status, 201, r.body)
        vbd = self.get("vbds", r.json()["id"]).json()
        self.assertEqual((vbd["VM"], vbd["VDI"]), (vm, vdi))
        self.assertIn(vdi, self.vdis_of(vm))
        net = self.first("networks")
        r = self.s.request("POST", "/rest/v0/vifs", token=self.s.token, body={"vmId": vm, "networkId": net})
        self.assertEqual(r.status, 201, r.body)
        vif = self.get("vifs", r.json()["id"]).json()
        self.assertEqual((vif["$VM"], vif["$network"]), (vm, net))
        devices = [self.get("vifs", v).json()["device"] for v in self.get("vms", vm).json()["VIFs"]]
        self.assertEqual(len(devices), len(set(devices)))  # a free device number was taken

    def test_bad_creation_bodies_are_422_or_404_and_create_nothing(self):
        before = self.count("vdis")
        r = self.s.request("POST", "/rest/v0/vdis", token=self.s.token, body={"virtual_size": "big", "foo": 1})
        self.assertEqual(r.status, 422, r.body)
        self.assertEqual(sorted(r.json()["error"]), ["body.foo", "body.srId", "body.virtual_size"])
        r = self.s.request("POST", "/rest/v0/vdis", token=self.s.token,
                           body={"srId": "00000000-0000-0000-0000-000000000000", "virtual_size": 1})
        self.assertEqual(r.status, 404, r.body)
        self.assertEqual(r.json()["data"]["type"], "SR")
        self.assertEqual(self.count("vdis"), before)

    # --- more of XO's camelCase VM keys (VCPUs_params and platform settings, suspend SR) ---
    def test_patch_vm_cpu_platform_and_suspend_sr_keys(self):
        vm = self.vm_with("power_state:Halted")[1]["id"]
        sr = self.s.api("/rest/v0/srs?fields=id&filter=" + urllib.parse.quote("SR_type:nfs"))[0]["id"]
        status, body = self.call("PATCH", "/rest/v0/vms/" + vm, {
            "cpuCap": 50, "cpuWeight": 512, "cpuMask": [0, 2], "coresPerSocket": 2, "expNestedHvm": True,
            "viridian": True, "vga": "std", "videoram": 8, "suspendSr": sr})
        self.assertEqual(status, 204, body)
        for o in self.get_every_worker("vms", vm, n=4):
            self.assertEqual((o["cpuCap"], o["cpuWeight"], o["cpuMask"], o["coresPerSocket"]), (50, 512, [0, 2], 2))
            self.assertEqual((o["expNestedHvm"], o["viridian"], o["suspendSr"]), (True, True, sr))
            if "vga" in o:  # HVM guests only
                self.assertEqual((o["vga"], o["videoram"]), ("std", 8))
        # null and false remove the settings again
        status, body = self.call("PATCH", "/rest/v0/vms/" + vm, {"cpuCap": None, "cpuMask": None, "coresPerSocket": None,
                                                                  "expNestedHvm": False, "suspendSr": None})
        self.assertEqual(status, 204, body)
        o = self.get("vms", vm).json()
        self.assertNotIn("cpuCap", o)
        self.assertNotIn("cpuMask", o)
        self.assertNotIn("coresPerSocket", o)
        self.assertFalse(o["expNestedHvm"])
        self.assertNotIn("suspendSr", o)
        self.assertEqual(o["cpuWeight"], 512)
        # bad values: 422 naming each, nothing changed
        before = self.get("vms", vm).body
        status, body = self.call("PATCH", "/rest/v0/vms/" + vm, {"cpuCap": -1, "cpuMask": [0, "x"], "vga": "vesa",
                                                                  "viridian": "yes", "name_label": "never"})
        self.assertEqual(status, 422, body)
        self.assertEqual(sorted(json.loads(body)["error"]),
                         ["body.cpuCap", "body.cpuMask.$1", "body.vga", "body.viridian"])
        status, body = self.call("PATCH", "/rest/v0/vms/" + vm, {"videoram": 3, "name_label": "never"})
        self.assertEqual(status, 422, body)
        status, body = self.call("PATCH", "/rest/v0/vms/" + vm, {"suspendSr": "00000000-0000-0000-0000-000000000000",
                                                                  "name_label": "never"})
        self.assertEqual(status, 404, body)
        self.assertEqual(self.get("vms", vm).body, before)

    # --- the rest of XO's VM keys: limits, boot and devices, guest data, resource sets ---
    def new_vm(self, name):
        """A halted VM of the simulator's add_vm (1 VCPU; memory 256 MiB / 512 MiB - 1 GiB / 1 GiB),
        once the gateway lists it: its id and XAPI ref."""
        ref = self.s.sims[0].control("add_vm", {"name": name})
        deadline = time.time() + 20
        while not self.s.api("/rest/v0/vms?fields=id&filter=" + urllib.parse.quote("name_label:" + name)):
            self.assertLess(time.time(), deadline, "the new VM never reached the cache")
            time.sleep(0.05)
        return self.s.api("/rest/v0/vms?fields=id&filter=" + urllib.parse.quote("name_label:" + name))[0]["id"], ref

    def limits(self, vm):
        o = self.get("vms", vm).json()
        return o["CPUs"], o["memory"]["static"], o["memory"]["dynamic"]

    def test_patch_vm_limit_keys_follow_xos_constraints(self):
        vm, _ = self.new_vm("mutlimits")
        gib, mib = 1024 ** 3, 1024 ** 2
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, {"cpusStaticMax": 4, "cpus": 2, "memoryStaticMax": 4 * gib,
                                                               "memoryMax": 2 * gib, "memoryMin": gib})
        self.assertEqual(status, 204, b)
        for o in self.get_every_worker("vms", vm, 3):
            self.assertEqual((o["CPUs"], o["memory"]["static"], o["memory"]["dynamic"]),
                             ({"max": 4, "number": 2}, [256 * mib, 4 * gib], [gib, 2 * gib]))
        # a limit alone moves the one it constrains first, as XO: the start-up VCPUs come down
        # with their maximum, the dynamic range follows the static maximum and the minimum
        self.assertEqual(self.call("PATCH", "/rest/v0/vms/" + vm, {"cpusStaticMax": 1})[0], 204)
        self.assertEqual(self.limits(vm)[0], {"max": 1, "number": 1})
        self.assertEqual(self.call("PATCH", "/rest/v0/vms/" + vm, {"memoryStaticMax": gib})[0], 204)
        self.assertEqual(self.limits(vm)[1:], ([256 * mib, gib], [gib, gib]))
        self.assertEqual(self.call("PATCH", "/rest/v0/vms/" + vm, {"memoryMin": 2 * gib})[0], 204)
        self.assertEqual(self.limits(vm)[1:], ([256 * mib, 2 * gib], [2 * gib, 2 * gib]))
        # XAPI's order rule (static_min <= dynamic_min): 409 with its code, nothing changed
        before = self.get("vms", vm).body
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, {"memoryMin": 100 * mib})
        self.assertEqual(status, 409, b)
        self.assertEqual(json.loads(b)["data"]["code"], "MEMORY_CONSTRAINT_VIOLATION_ORDER")
        self.assertEqual(self.get("vms", vm).body, before)
        # limits that contradict each other in one body: 422 naming each, nothing changed
        before = self.get("vms", vm).body
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, {"cpus": 3, "cpusStaticMax": 2, "memoryMin": 3 * gib,
                                                               "memoryMax": 2 * gib, "memoryStaticMax": gib})
        self.assertEqual(status, 422, b)
        self.assertEqual(sorted(json.loads(b)["error"]), ["body.cpus", "body.memoryMax", "body.memoryMin"])
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, {"cpusStaticMax": 0, "memoryMin": -1, "name_label": "never"})
        self.assertEqual(status, 422, b)
        self.assertEqual(sorted(json.loads(b)["error"]), ["body.cpusStaticMax", "body.memoryMin"])
        self.assertEqual(self.get("vms", vm).body, before)
        # XAPI's own rule: a running VM's static maximum stays (409 with its reason)
        running = self.vm_with("power_state:Running")[0]["id"]
        before = self.get("vms", running).body
        static_max = json.loads(before)["memory"]["static"][1]
        status, b = self.call("PATCH", "/rest/v0/vms/" + running, {"memoryStaticMax": 2 * static_max})
        self.assertEqual(status, 409, b)
        self.assertEqual(json.loads(b)["data"]["code"], "VM_BAD_POWER_STATE")
        self.assertEqual(self.get("vms", running).body, before)

    def test_patch_vm_memory_as_xo_with_and_without_dynamic_memory(self):
        gib, mib = 1024 ** 3, 1024 ** 2
        proxy, session = self.xapi()
        # no dynamic memory (dynamic min = dynamic max = static max): the four limits pinned at the value
        fixed, fixed_ref = self.new_vm("mutmemfixed")
        proxy.VM.set_memory_limits(session, fixed_ref, str(256 * mib), str(gib), str(gib), str(gib))
        wait_until(lambda: self.limits(fixed)[2] == [gib, gib], 20, "the pinned limits in the cache")
        self.assertEqual(self.call("PATCH", "/rest/v0/vms/" + fixed, {"memory": 2 * gib})[0], 204)
        for o in self.get_every_worker("vms", fixed, 3):
            self.assertEqual((o["memory"]["static"], o["memory"]["dynamic"]), ([256 * mib, 2 * gib], [2 * gib, 2 * gib]))
        # dynamic memory: only the dynamic maximum moves (the static maximum raised to hold it)
        dmc, dmc_ref = self.new_vm("mutmemdmc")  # 256 MiB / 512 MiB - 1 GiB / 1 GiB
        self.assertEqual(self.call("PATCH", "/rest/v0/vms/" + dmc, {"memory": 2 * gib})[0], 204)
        for o in self.get_every_worker("vms", dmc, 3):
            self.assertEqual((o["memory"]["static"], o["memory"]["dynamic"]), ([256 * mib, 2 * gib], [512 * mib, 2 * gib]))
        # memoryMax on a guest XAPI pins (nested virt): the range is refused, XO's pinned retry applies
        metrics = proxy.VM.get_metrics(session, fixed_ref)["Value"]
        self.s.sims[0].control("set", {"class": "VM_metrics", "ref": metrics, "field": "nested_virt", "value": True})
        self.assertEqual(self.call("PATCH", "/rest/v0/vms/" + fixed, {"memoryMax": 3 * gib})[0], 204)
        self.assertEqual(self.limits(fixed)[1:], ([256 * mib, 3 * gib], [3 * gib, 3 * gib]))
        self.s.sims[0].control("set", {"class": "VM_metrics", "ref": metrics, "field": "nested_virt", "value": False})
        # a refused body changes nothing
        before = self.get("vms", dmc).body
        status, b = self.call("PATCH", "/rest/v0/vms/" + dmc, {"memory": "4 GiB", "memoryMax": 1.5, "nameLabel": "never"})
        self.assertEqual(status, 422, b)
        self.assertEqual(sorted(json.loads(b)["error"]), ["body.memory", "body.memoryMax"])
        self.assertEqual(self.get("vms", dmc).body, before)
        # running: the pinned VM's limits are XAPI's to refuse (halted only), the other's dynamic range moves
        for ref in (fixed_ref, dmc_ref):
            self.s.sims[0].control("power", {"ref": ref, "state": "Running"})
        for vm in (fixed, dmc):  # running, and its guest agent up (it changes the object once, after the start)
            wait_until(lambda: "mainIpAddress" in self.get("vms", vm).json(), 20, "guest agent of " + vm)
        before = self.get("vms", fixed).body
        status, b = self.call("PATCH", "/rest/v0/vms/" + fixed, {"memory": 4 * gib})
        self.assertEqual(status, 409, b)
        self.assertEqual(json.loads(b)["data"]["code"], "VM_BAD_POWER_STATE")
        self.assertEqual(self.get("vms", fixed).body, before)
        self.assertEqual(self.call("PATCH", "/rest/v0/vms/" + dmc, {"memory": 1536 * mib})[0], 204)
        self.assertEqual(self.limits(dmc)[1:], ([256 * mib, 2 * gib], [512 * mib, 1536 * mib]))
        before = self.get("vms", dmc).body
        status, b = self.call("PATCH", "/rest/v0/vms/" + dmc, {"memory": 4 * gib})  # above the static maximum
        self.assertEqual(status, 409, b)
        self.assertEqual(json.loads(b)["data"]["code"], "MEMORY_CONSTRAINT_VIOLATION_ORDER")
        self.assertEqual(self.get("vms", dmc).body, before)

    def test_patch_cpus_of_a_running_vm_as_xo(self):
        vm, ref = self.new_vm("mutcpus")
        proxy, session = self.xapi()
        proxy.VM.set_VCPUs_max(session, ref, "2")
        self.s.sims[0].control("power", {"ref": ref, "state": "Running"})
        wait_until(lambda: "mainIpAddress" in self.get("vms", vm).json(), 20, "running with its guest agent")
        # the start-up count and the live one (VM.set_VCPUs_at_startup + set_VCPUs_number_live)
        self.assertEqual(self.call("PATCH", "/rest/v0/vms/" + vm, {"cpus": 2})[0], 204)
        self.assertEqual(self.get("vms", vm).json()["CPUs"], {"max": 2, "number": 2})
        self.assertEqual(proxy.VM.get_VCPUs_at_startup(session, ref)["Value"], "2")
        # above the maximum: XO raises the maximum first, which XAPI refuses on a running VM
        before = self.get("vms", vm).body
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, {"cpus": 3})
        self.assertEqual(status, 409, b)
        self.assertEqual(json.loads(b)["data"]["code"], "VM_BAD_POWER_STATE")
        self.assertEqual(self.get("vms", vm).body, before)

    def xapi(self):
        import xmlrpc.client
        sim = self.s.sims[0]
        proxy = xmlrpc.client.ServerProxy(sim.url)
        session = proxy.session.login_with_password("root", sim.password, "1.0", "mut-test")["Value"]
        return proxy, session

    def test_patch_vm_boot_device_and_guest_data_keys(self):
        vm, ref = self.new_vm("mutsettings")
        uuid8 = vm[:8]
        self.s.sims[0].control("set", {"class": "VM", "ref": ref, "field": "other_config", "value": {
            "xo:" + uuid8: json.dumps({"creation": {"date": "2024-01-02"}, "kept": 1})}})
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, {
            "hasVendorDevice": True, "hvmBootFirmware": "uefi", "uefiMode": "setup", "nestedVirt": True,
            "nicType": "e1000", "secureBoot": True, "xenStoreData": {"vm-data/role": "web", "owner": "ops"},
            "creation": {"user": "3f0c9e2a"}})
        self.assertEqual(status, 204, b)
        for o in self.get_every_worker("vms", vm, 3):
            self.assertTrue(o["hasVendorDevice"])
            self.assertEqual(o["boot"].get("firmware"), "uefi")
            self.assertTrue(o["isNestedVirtEnabled"])
            self.assertEqual((o["nicType"], o["secureBoot"]), ("e1000", True))
            self.assertEqual(o["xenStoreData"], {"vm-data/role": "web", "vm-data/owner": "ops"})
            self.assertEqual(o["creation"], {"date": "2024-01-02", "user": "3f0c9e2a"})
            self.assertEqual(json.loads(o["other"]["xo:" + uuid8])["kept"], 1)  # XO's other data kept
        proxy, session = self.xapi()
        rec = proxy.VM.get_record(session, ref)["Value"]
        self.assertEqual(rec["platform"]["device-model"], "qemu-upstream-uefi")
        self.assertIn("EFI-variables", rec["NVRAM"])  # varstore-sb-state rewrote them
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, {
            "virtualizationMode": "pv", "hvmBootFirmware": None, "nicType": None, "nestedVirt": False,
            "secureBoot": False, "xenStoreData": {"owner": None}})
        self.assertEqual(status, 204, b)
        o = self.get("vms", vm).json()
        self.assertEqual(o["virtualizationMode"], "pv")
        self.assertNotIn("firmware", o["boot"])
        self.assertNotIn("nicType", o)
        self.assertEqual((o["isNestedVirtEnabled"], o["secureBoot"]), (False, False))
        self.assertEqual(o["xenStoreData"], {"vm-data/role": "web"})
        rec = proxy.VM.get_record(session, ref)["Value"]
        self.assertEqual((rec["HVM_boot_policy"], rec["platform"]["device-model"]), ("", "qemu-upstream-compat"))
        self.assertEqual(self.call("PATCH", "/rest/v0/vms/" + vm, {"virtualizationMode": "hvm"})[0], 204)
        self.assertEqual(self.get("vms", vm).json()["virtualizationMode"], "hvm")
        # bad values: 422 naming each, nothing changed
        before = self.get("vms", vm).body
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, {
            "virtualizationMode": "pvh", "hvmBootFirmware": "coreboot", "uefiMode": "audit", "secureBoot": "yes",
            "nicType": 5, "hasVendorDevice": None, "xenStoreData": {"../etc": "x", "vm-data/": "y", "a": 1},
            "creation": {"user": 1, "date": "now"}, "name_label": "never"})
        self.assertEqual(status, 422, b)
        self.assertEqual(sorted(json.loads(b)["error"]), [
            "body.creation.date", "body.creation.user", "body.hasVendorDevice", "body.hvmBootFirmware",
            "body.nicType", "body.secureBoot", "body.uefiMode", "body.virtualizationMode",
            "body.xenStoreData.../etc", "body.xenStoreData.a", "body.xenStoreData.vm-data/"])
        self.assertEqual(self.get("vms", vm).body, before)
        # XAPI's rule: the vendor device of a halted VM only
        running = self.vm_with("power_state:Running")[0]["id"]
        before = self.get("vms", running).body
        status, b = self.call("PATCH", "/rest/v0/vms/" + running, {"hasVendorDevice": True})
        self.assertEqual(status, 409, b)
        self.assertEqual(self.get("vms", running).body, before)

    def test_resource_sets_are_xos_alone_501_and_nothing_changes(self):
        vm = self.vm_with("power_state:Halted")[0]["id"]
        before = self.get("vms", vm).body
        for body in ({"resourceSet": "d2a9d8e1", "name_label": "never"}, {"share": True, "nameLabel": "never"}):
            status, b = self.call("PATCH", "/rest/v0/vms/" + vm, body)
            self.assertEqual(status, 501, b)
            self.assertIn("resource sets", json.loads(b)["error"])
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, {"resourceSet": 7, "share": "yes"})
        self.assertEqual(status, 422, b)
        self.assertEqual(sorted(json.loads(b)["error"]), ["body.resourceSet", "body.share"])
        self.assertEqual(self.get("vms", vm).body, before)
        # what changes nothing in XO either: out of no set, not shared
        status, b = self.call("PATCH", "/rest/v0/vms/" + vm, {"resourceSet": None, "share": False})
        self.assertEqual(status, 204, b)
        self.assertEqual(self.get("vms", vm).body, before)

    def test_patch_vif_rate_limit_and_tx_checksumming(self):
        vif = self.s.api("/rest/v0/vifs?fields=id&limit=2")[-1]["id"]
        status, b = self.call("PATCH", "/rest/v0/vifs/" + vif, {"rateLimit": 1000, "txChecksumming": False})
        self.assertEqual(status, 204, b)
        for o in self.get_every_worker("vifs", vif, 3):
            self.assertEqual((o["rateLimit"], o["txChecksumming"]), (1000, False))
        status, b = self.call("PATCH", "/rest/v0/vifs/" + vif, {"rateLimit": None, "txChecksumming": True})
        self.assertEqual(status, 204, b)
        o = self.get("vifs", vif).json()
        self.assertNotIn("rateLimit", o)
        self.assertTrue(o["txChecksumming"])
        before = self.get("vifs", vif).body
        status, b = self.call("PATCH", "/rest/v0/vifs/" + vif, {"rateLimit": -5, "txChecksumming": "off"})
        self.assertEqual(status, 422, b)
        self.assertEqual(sorted(json.loads(b)["error"]), ["body.rateLimit", "body.txChecksumming"])
        self.assertEqual(self.get("vifs", vif).body, before)

    # --- read-your-writes: XAPI never confirming is a clear 504 ---
    def test_a_change_that_never_reaches_the_cache_is_504(self):
        vm = self.vm_with("power_state:Halted")[-1]["id"]
        other = self.vm_with("power_state:Halted")[0]["id"]
        sim = self.s.sims[0]
        sim.control("hang", {"method": "event.from", "count": 1000})
        try:
            # the poller's event.from in flight returns with this change; its next one hangs
            sim.control("rename", {"ref": other, "name": "flush the event stream"})
            deadline = time.time() + 20
            while self.get("vms", other).json()["name_label"] != "flush the event stream":
                self.assertLess(time.time(), deadline)
                time.sleep(0.05)
            time.sleep(0.5)
            started = time.time()
            status, body = self.call("PATCH", "/rest/v0/vms/" + vm, {"name_label": "never confirmed"})
            self.assertEqual(status, 504, body)
            self.assertGreaterEqual(time.time() - started, 14)
            self.assertIn("did not reach this service's cache", json.loads(body)["error"])
        finally:
            sim.control("release", {"method": "event.from"})
            sim.control("clear")
        # XAPI did make the change: it shows once events flow again
        deadline = time.time() + 30
        while self.get("vms", vm).json()["name_label"] != "never confirmed":
            self.assertLess(time.time(), deadline, "the change never arrived after the release")
            time.sleep(0.1)

    # --- SRs: POST /srs (SR.create), DELETE /srs/{id} (PBDs unplugged, SR.destroy) ---
    def host_id(self):
        return self.s.api("/rest/v0/hosts?fields=id")[0]["id"]

    def test_post_sr_then_delete_it(self):
        hosts = self.s.api("/rest/v0/hosts?fields=id")
        r = self.s.request("POST", "/rest/v0/srs", token=self.s.token,
                           body={"hostId": hosts[0]["id"], "SR_type": "nfs", "name_label": "new nfs",
                                 "device_config": {"server": "10.0.0.9", "serverpath": "/srv/new"}})
        self.assertEqual(r.status, 201, r.body)
        sr = r.json()["id"]
        self.assertEqual(r.headers["Location"], "/rest/v0/srs/" + sr)
        o = self.get("srs", sr).json()  # read-your-writes: the SR and its PBDs are there at once
        self.assertEqual((o["name_label"], o["SR_type"], o["shared"], o["content_type"]), ("new nfs", "nfs", True, "user"))
        self.assertEqual(len(o["$PBDs"]), len(hosts))  # shared: one PBD per host
        for pbd in o["$PBDs"]:
            p = self.get("pbds", pbd).json()
            self.assertTrue(p["attached"])
            self.assertEqual(p["device_config"]["serverpath"], "/srv/new")
        local = self.s.request("POST", "/rest/v0/srs", token=self.s.token,
                               body={"hostId": hosts[-1]["id"], "SR_type": "ext", "name_label": "new local",
                                     "device_config": {"device": "/dev/sdb"}, "size": 10 * 1024 ** 3})
        self.assertEqual(local.status, 201, local.body)
        lo = self.get("srs", local.json()["id"]).json()
        self.assertEqual((lo["shared"], len(lo["$PBDs"]), lo["$container"]), (False, 1, hosts[-1]["id"]))
        for oid in (sr, local.json()["id"]):
            r = self.s.request("DELETE", "/rest/v0/srs/" + oid, token=self.s.token)
            self.assertEqual(r.status, 204, r.body)
            self.assertTrue(self.gone("srs", oid))
        for pbd in o["$PBDs"]:
            self.assertTrue(self.gone("pbds", pbd))

    def test_bad_sr_creations_are_refused_and_create_nothing(self):
        before = self.count("srs")
        r = self.s.request("POST", "/rest/v0/srs", token=self.s.token,
                           body={"hostId": self.host_id(), "SR_type": "floppy", "foo": 1,
                                 "device_config": {"server": 5}})
        self.assertEqual(r.status, 422, r.body)
        self.assertEqual(sorted(r.json()["error"]), ["body.SR_type", "body.foo", "body.name_label"])
        r = self.s.request("POST", "/rest/v0/srs", token=self.s.token,
                           body={"hostId": self.host_id(), "SR_type": "nfs", "name_label": "x",
                                 "device_config": {"server": 5}})
        self.assertEqual(r.status, 422, r.body)
        self.assertEqual(list(r.json()["error"]), ["body.device_config.server"])
        r = self.s.request("POST", "/rest/v0/srs", token=self.s.token,
                           body={"hostId": "00000000-0000-0000-0000-000000000000", "SR_type": "nfs",
                                 "name_label": "x", "device_config": {}})
        self.assertEqual(r.status, 404, r.body)
        # the backend's refusal keeps XAPI's code and params
        r = self.s.request("POST", "/rest/v0/srs", token=self.s.token,
                           body={"hostId": self.host_id(), "SR_type": "nfs", "name_label": "x",
                                 "device_config": {"server": "10.0.0.9"}})
        self.assertEqual(r.status, 500, r.body)
        self.assertEqual(r.json()["data"]["code"], "SR_BACKEND_FAILURE_101")
        self.assertEqual(r.json()["data"]["params"][1], "The request is missing the serverpath parameter")
        r = self.s.request("POST", "/rest/v0/srs", token=self.s.token,
                           body={"hostId": self.host_id(), "SR_type": "linstor", "name_label": "x", "device_config": {}})
        self.assertEqual(r.status, 501, r.body)
        self.assertEqual(self.count("srs"), before)

    def test_delete_of_a_sr_with_disks_is_409_and_changes_nothing(self):
        sr = self.s.api("/rest/v0/srs?fields=id,VDIs&filter=" + urllib.parse.quote("SR_type:nfs"))[0]
        self.assertTrue(sr["VDIs"])
        before = self.get("srs", sr["id"]).body
        pbds = [self.get("pbds", p).json()["attached"] for p in self.get("srs", sr["id"]).json()["$PBDs"]]
        r = self.s.request("DELETE", "/rest/v0/srs/" + sr["id"], token=self.s.token)
        self.assertEqual(r.status, 409, r.body)
        self.assertEqual(r.json()["data"]["code"], "SR_NOT_EMPTY")
        self.assertEqual(self.get("srs", sr["id"]).body, before)
        self.assertEqual([self.get("pbds", p).json()["attached"] for p in self.get("srs", sr["id"]).json()["$PBDs"]], pbds)

    # --- Idempotency-Key on POST (creations and actions) ---
    def post_keyed(self, path, body, key, token=None):
        return self.s.request("POST", path, token=token or self.s.token, body=body, headers={"Idempotency-Key": key})

    def named(self, coll, name):
        """Objects named exactly `name` (the filter's "..." matches substrings)."""
        return [o for o in self.s.api("/rest/v0/%s?fields=id,name_label" % coll) if o["name_label"] == name]

    def snapshots_named(self, name):
        return self.named("vm-snapshots", name)

    def test_idempotent_retry_of_a_snapshot_creates_one_snapshot(self):
        vm = self.vm_with("power_state:Halted")[0]["id"]
        path = "/rest/v0/vms/%s/actions/snapshot?sync=true" % vm
        first = self.post_keyed(path, {"name_label": "idem once"}, "snap-retry-1")
        self.assertEqual(first.status, 201, first.body)
        self.assertIsNone(first.headers.get("Idempotent-Replayed"))
        for _ in range(2):
            # the kept answer is the hand-off to the task's wait: the same task's result again
            again = self.post_keyed(path, {"name_label": "idem once"}, "snap-retry-1")
            self.assertEqual((again.status, again.body), (first.status, first.body))
            self.assertEqual(again.headers.get("Location"), first.headers.get("Location"))
        self.assertEqual([s["id"] for s in self.snapshots_named("idem once")], [first.json()["id"]])
        # the structured-field form of the same key ("...") is the same key
        quoted = self.post_keyed(path, {"name_label": "idem once"}, '"snap-retry-1"')
        self.assertEqual((quoted.status, quoted.body), (first.status, first.body))
        # without the header every POST acts
        r = self.s.request("POST", path, token=self.s.token, body={"name_label": "idem once"})
        self.assertEqual(r.status, 201, r.body)
        self.assertEqual(len(self.snapshots_named("idem once")), 2)

    def test_idempotent_async_action_replays_the_same_task(self):
        vm = self.vm_with("power_state:Halted")[0]["id"]
        path = "/rest/v0/vms/%s/actions/snapshot" % vm
        first = self.post_keyed(path, {"name_label": "idem async"}, "snap-async-1")
        self.assertEqual(first.status, 202, first.body)
        again = self.post_keyed(path, {"name_label": "idem async"}, "snap-async-1")
        self.assertEqual((again.status, again.json()), (202, first.json()))
        self.s.api("/rest/v0/tasks/%s?wait=result" % first.json()["taskId"])
        self.assertEqual(len(self.snapshots_named("idem async")), 1)

    def test_same_key_with_another_body_is_422_and_does_nothing(self):
        vm = self.vm_with("power_state:Halted")[0]["id"]
        path = "/rest/v0/vms/%s/actions/snapshot?sync=true" % vm
        self.assertEqual(self.post_keyed(path, {"name_label": "idem A"}, "snap-other-body").status, 201)
        r = self.post_keyed(path, {"name_label": "idem B"}, "snap-other-body")
        self.assertEqual(r.status, 422, r.body)
        self.assertIn("Idempotency-Key", r.json()["error"])
        other_vm = self.vm_with("power_state:Halted")[1]["id"]
        r = self.post_keyed("/rest/v0/vms/%s/actions/snapshot?sync=true" % other_vm, {"name_label": "idem A"},
                            "snap-other-body")
        self.assertEqual(r.status, 422, r.body)  # another path is another request
        self.assertEqual(self.snapshots_named("idem B"), [])
        self.assertEqual(len(self.snapshots_named("idem A")), 1)

    def test_idempotent_creation_replays_201_and_creates_one_vdi(self):
        sr = self.s.api("/rest/v0/srs?fields=id&filter=" + urllib.parse.quote("!content_type:iso"))[0]["id"]
        body = {"srId": sr, "virtual_size": 1024 ** 3, "name_label": "idem vdi"}
        first = self.post_keyed("/rest/v0/vdis", body, "vdi-create-1")
        self.assertEqual(first.status, 201, first.body)
        again = self.post_keyed("/rest/v0/vdis", body, "vdi-create-1")
        self.assertEqual((again.status, again.body, again.headers.get("Location")),
                         (201, first.body, first.headers.get("Location")))
        named = self.named("vdis", "idem vdi")
        self.assertEqual([v["id"] for v in named], [first.json()["id"]])
        # a refused body is kept as well: the retry gets the same 422, not a new attempt
        bad = self.post_keyed("/rest/v0/vdis", {"srId": sr}, "vdi-create-bad")
        self.assertEqual(bad.status, 422)
        self.assertEqual(self.post_keyed("/rest/v0/vdis", {"srId": sr}, "vdi-create-bad").body, bad.body)

    def test_a_retry_while_the_first_still_runs_is_409(self):
        import threading
        sr = self.s.api("/rest/v0/srs?fields=id&filter=" + urllib.parse.quote("!content_type:iso"))[0]["id"]
        body = {"srId": sr, "virtual_size": 1024 ** 2, "name_label": "idem hang"}
        self.s.sims[0].control("hang", {"method": "VDI.create"})
        out = {}
        t = threading.Thread(target=lambda: out.update(r=self.post_keyed("/rest/v0/vdis", body, "vdi-hang")))
        try:
            t.start()
            time.sleep(1.0)  # the first request claims its key within milliseconds, then hangs in XAPI
            r = self.post_keyed("/rest/v0/vdis", body, "vdi-hang")
            self.assertEqual(r.status, 409, r.body)
            self.assertEqual(r.headers.get("Retry-After"), "1")
            self.assertIn("still being processed", r.json()["error"])
        finally:
            self.s.sims[0].control("release", {"method": "VDI.create"})
            t.join(30)
        self.assertEqual(out["r"].status, 201, out["r"].body)
        again = self.post_keyed("/rest/v0/vdis", body, "vdi-hang")
        self.assertEqual((again.status, again.body), (201, out["r"].body))
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(len(self.named("vdis", "idem hang")), 1)

    def test_a_sync_retry_while_the_action_runs_waits_for_the_same_task(self):
        import threading
        vm = self.vm_with("power_state:Halted")[0]["id"]
        path = "/rest/v0/vms/%s/actions/snapshot?sync=true" % vm
        self.s.sims[0].control("hang", {"method": "VM.snapshot"})
        out = {}
        t = threading.Thread(target=lambda: out.update(r=self.post_keyed(path, {"name_label": "idem wait"}, "snap-wait")))
        try:
            t.start()
            deadline = time.time() + 20
            while not [x for x in self.s.api("/rest/v0/tasks?fields=status,properties")
                       if x["status"] == "pending" and x["properties"].get("objectId") == vm]:
                self.assertLess(time.time(), deadline, "the first request never started")
                time.sleep(0.05)
            retry = {}
            t2 = threading.Thread(target=lambda: retry.update(r=self.post_keyed(path, {"name_label": "idem wait"}, "snap-wait")))
            t2.start()
            time.sleep(0.5)
            self.assertTrue(t2.is_alive(), "the retry must wait for the running task")
        finally:
            self.s.sims[0].control("release", {"method": "VM.snapshot"})
            t.join(30)
            t2.join(30)
        self.assertEqual(out["r"].status, 201, out["r"].body)
        self.assertEqual((retry["r"].status, retry["r"].body), (201, out["r"].body))
        self.assertEqual(len(self.snapshots_named("idem wait")), 1)

    def test_keys_belong_to_their_user_and_bad_keys_are_400(self):
        try:
            self.s.cli(["user", "add", "idem-other"], stdin="other-pw\n")
        except AssertionError:
            pass  # made by an earlier run of this test in the same stack
        other = self.s.cli(["token", "create", "--user", "idem-other"]).strip()
        sr = self.s.api("/rest/v0/srs?fields=id&filter=" + urllib.parse.quote("!content_type:iso"))[0]["id"]
        body = {"srId": sr, "virtual_size": 1024 ** 2, "name_label": "idem per user"}
        a = self.post_keyed("/rest/v0/vdis", body, "shared-key")
        b = self.post_keyed("/rest/v0/vdis", body, "shared-key", token=other)
        self.assertEqual((a.status, b.status), (201, 201))
        self.assertNotEqual(a.json()["id"], b.json()["id"])
        for key in ("x" * 256, "caf\u00e9"):
            r = self.s.request("POST", "/rest/v0/vdis", token=self.s.token, body=body,
                               headers={"Idempotency-Key": key.encode("utf-8").decode("latin-1")})
            self.assertEqual(r.status, 400, r.body)
            self.assertIn("Idempotency-Key", r.json()["error"])
        named = self.named("vdis", "idem per user")
        self.assertEqual(len(named), 2)

    def test_openapi_documents_the_header_on_posts(self):
        doc = self.s.api("/rest/v0/docs/openapi.json")
        snap = doc["paths"]["/vms/{id}/actions/snapshot"]["post"]
        self.assertIn("Idempotency-Key", [p["name"] for p in snap["parameters"] if p["in"] == "header"])
        tok = doc["paths"]["/users/{id}/authentication_tokens"]["post"]
        self.assertNotIn("Idempotency-Key", [p["name"] for p in tok.get("parameters", [])])


if __name__ == "__main__":
    unittest.main(verbosity=2)
