"""Turns the objects of an imported ova.xml into database objects (VDIs with their
disk files, networks, VMs with metrics, VBDs, VIFs) and undoes them on failure.
Used by /import on the connection's thread; each db write takes the db lock."""

from .. import coerce, schema
from ..db import new_uuid
from ..wire import DateTime, XapiError
from .diskio import DiskFile
from .errors import DataplaneError
from .ova_export import XAPI_MAJOR, XAPI_MINOR

NULL = "OpaqueRef:NULL"
SKIPPED_KINDS = ("R", "M")  # sets of refs and ref-keyed maps: rebuilt by the db
VOLATILE = ("uuid", "current_operations", "allowed_operations")


def translate(cls, snapshot, idmap):
    """Fields of a new `cls` object from an exported record: values coerced to the
    schema's types, refs mapped through idmap (unknown ids become NULL)."""
    fields = {}
    for f in schema.CLASSES[cls].fields:
        if f.name not in snapshot or f.name in VOLATILE or f.kind in SKIPPED_KINDS:
            continue
        value = snapshot[f.name]
        if f.kind == "r":
            value = idmap.get(value, NULL)
        try:
            fields[f.name] = coerce.for_field(f, value)
        except XapiError:
            continue
    return fields


def _allowed(rec):
    """The core's allowed_operations for a VM record, if it offers the computation."""
    try:
        from ..vm_ops import allowed_operations
    except ImportError:
        return []
    return allowed_operations(dict(rec, current_operations={}), None)


def _check_version(version):
    try:
        major, minor = int(version.get("xapi_major", 0)), int(version.get("xapi_minor", 0))
    except (TypeError, ValueError):
        return
    if (major, minor) > (XAPI_MAJOR, XAPI_MINOR):
        raise DataplaneError("IMPORT_INCOMPATIBLE_VERSION")


class VmCreator:
    def __init__(self, port, sr, task, restore=False):
        self.port_ = port
        self.db_ = port.db
        self.sr_ = sr
        self.task_ = task
        self.restore_ = restore
        self.created_ = []   # (class, ref) in creation order
        self.sinks_ = {}
        self.vms_ = []       # (ref, is_a_snapshot)

    # ------------------------------------------------------------------ metadata
    def on_metadata(self, value):
        if not isinstance(value, dict) or not isinstance(value.get("objects"), list):
            raise DataplaneError("IMPORT_ERROR", "ova.xml has no objects")
        _check_version(value.get("version") or {})
        objects = [o for o in value["objects"] if isinstance(o, dict)]
        by_class = {}
        for o in objects:
            by_class.setdefault(o.get("class"), []).append(o)
        idmap = {}
        srs = {o["id"]: o.get("snapshot", {}) for o in by_class.get("SR", [])}
        for o in by_class.get("VDI", []):
            self._vdi(o, srs, idmap)
        for o in by_class.get("network", []):
            self._network(o, idmap)
        for o in by_class.get("VM", []):
            self._vm(o, by_class, idmap)
        for cls in ("VBD", "VIF"):
            for o in by_class.get(cls, []):
                self._child(cls, o, idmap)
        self.port_.db.map_put("task", self.task_, "other_config", "object_creation", "complete")
        return self.sinks_

    def _uuid(self, cls, snapshot):
        wanted = snapshot.get("uuid")
        if self.restore_ and wanted:
            with self.db_.lock:
                if wanted not in self.db_.uuids[cls]:
                    return wanted
        return new_uuid()

    def _create(self, cls, fields):
        ref = self.db_.create(cls, fields)
        self.created_.append((cls, ref))
        return ref

    def _vdi(self, o, srs, idmap):
        snap = o.get("snapshot", {})
        sr_rec = srs.get(snap.get("SR"), {})
        if sr_rec.get("content_type") == "iso" or sr_rec.get("type") == "iso":
            with self.db_.lock:  # an ISO is not copied: reuse it if this pool has it
                ref = self.db_.uuids["VDI"].get(snap.get("uuid"))
            if ref:
                idmap[o["id"]] = ref
            return
        fields = translate("VDI", snap, {})
        uuid = self._uuid("VDI", snap)
        sm_config = {k: v for k, v in fields.get("sm_config", {}).items() if k != "vhd-parent"}
        fields.update({"uuid": uuid, "SR": self.sr_, "location": uuid, "is_a_snapshot": False,
                       "sm_config": sm_config,  # a fresh VDI has no parent in its chain
                       "snapshot_time": DateTime("19700101T00:00:00Z"), "managed": True,
                       "missing": False, "storage_lock": False})
        size = int(fields.get("virtual_size", 0))
        ref = self._create("VDI", fields)
        idmap[o["id"]] = ref
        self.port_.create_disk_file(ref, size)
        self.sinks_[o["id"]] = DiskFile(self.port_.vdi_path(ref), size, writable=True)

    def _network(self, o, idmap):
        snap = o.get("snapshot", {})
        with self.db_.lock:
            ref = self.db_.uuids["network"].get(snap.get("uuid"))
            if not ref:
                ref = next((r for r in self.db_.refs("network")
                            if self.db_.get("network", r)["name_label"] == snap.get("name_label")),
                           None)
        if not ref:
            fields = translate("network", snap, {})
            fields["uuid"] = new_uuid()
            ref = self._create("network", fields)
        idmap[o["id"]] = ref

    def _vm(self, o, by_class, idmap):
        snap = o.get("snapshot", {})
        fields = translate("VM", snap, idmap)
        for name in ("resident_on", "scheduled_to_be_resident_on", "affinity", "snapshot_of",
                     "parent", "guest_metrics", "metrics", "suspend_VDI", "suspend_SR"):
            fields[name] = idmap.get(snap.get(name), NULL) if name == "suspend_VDI" else NULL
        if fields.get("power_state") != "Suspended" or fields["suspend_VDI"] == NULL:
            fields["power_state"] = "Halted"
        metrics = self._create("VM_metrics", self._metrics(o, by_class))
        fields.update({"uuid": self._uuid("VM", snap), "metrics": metrics, "domid": -1,
                       "current_operations": {self.task_: "import"}, "allowed_operations": []})
        ref = self._create("VM", fields)
        idmap[o["id"]] = ref
        self.vms_.append((ref, bool(fields.get("is_a_snapshot"))))

    def _metrics(self, vm_obj, by_class):
        wanted = vm_obj.get("snapshot", {}).get("metrics")
        for m in by_class.get("VM_metrics", []):
            if m.get("id") == wanted:
                fields = translate("VM_metrics", m.get("snapshot", {}), {})
                fields["uuid"] = new_uuid()
                return fields
        return {"uuid": new_uuid()}

    def _child(self, cls, o, idmap):
        snap = o.get("snapshot", {})
        if snap.get("VM") not in idmap:
            return
        fields = translate(cls, snap, idmap)
        fields.update({"uuid": new_uuid(), "currently_attached": False})
        if cls == "VBD" and fields.get("VDI", NULL) == NULL:
            fields["empty"] = True
        self._create(cls, fields)

    # ------------------------------------------------------------------ outcome
    def finish(self):
        """Release the VMs (current_operations emptied); the result refs: the VMs that
        are not snapshots, or all of them if only snapshots were imported."""
        self.close()
        for ref, _ in self.vms_:
            with self.db_.lock:
                if self.db_.exists("VM", ref):
                    self.db_.update("VM", ref, {"current_operations": {},
                                                "allowed_operations": _allowed(self.db_.get("VM", ref))})
        plain = [ref for ref, snap in self.vms_ if not snap]
        return plain or [ref for ref, _ in self.vms_]

    def rollback(self):
        self.close()
        for cls, ref in reversed(self.created_):
            with self.db_.lock:
                if not self.db_.exists(cls, ref):
                    continue
                if cls == "VDI":
                    self.port_.remove_disk_file(ref)
                self.db_.destroy(cls, ref)
        self.created_ = []

    def close(self):
        for sink in self.sinks_.values():
            sink.close()
