"""The object database: every record of the simulated pool, its relations and the
change journal that event.from reads. Thread-safe: all access under `db.lock`
(re-entrant); waiters for changes use `db.cond`. Records are copy-on-write: a stored
record dict (and the lists/dicts in it) is never mutated, so a reference taken under
the lock can be encoded after releasing it.
"""
import collections
import threading
import uuid as uuidlib

from . import schema
from .wire import XapiError, PreEncoded, xml_record, json_record

NULL = schema.NULL
DELETED_MEMORY = 512  # deletions remembered per class (like xapi's bounded table)


def new_ref():
    return "OpaqueRef:" + str(uuidlib.uuid4())


def new_uuid():
    return str(uuidlib.uuid4())


class Obj(PreEncoded):
    """One stored object; encodes as its record, with per-record encoding cache."""
    __slots__ = ("cls", "ref", "rec", "created", "modified", "_cx", "_cj")

    def __init__(self, cls, ref, rec, gen):
        self.cls = cls
        self.ref = ref
        self.rec = rec
        self.created = gen
        self.modified = gen
        self._cx = None
        self._cj = None

    def to_xml(self):
        rec, cx = self.rec, self._cx
        if cx is None or cx[0] is not rec:
            cx = (rec, xml_record(rec))
            self._cx = cx
        return cx[1]

    def to_json(self):
        rec, cj = self.rec, self._cj
        if cj is None or cj[0] is not rec:
            cj = (rec, json_record(rec))
            self._cj = cj
        return cj[1]


class Snapshot(PreEncoded):
    """A record frozen at some moment (the Obj may change later); shares its cache."""
    __slots__ = ("obj", "rec")

    def __init__(self, obj):
        self.obj = obj
        self.rec = obj.rec

    def to_xml(self):
        if self.obj.rec is self.rec:
            return self.obj.to_xml()
        return xml_record(self.rec)

    def to_json(self):
        if self.obj.rec is self.rec:
            return self.obj.to_json()
        return json_record(self.rec)


class Database:
    def __init__(self):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.gen = 0          # db generation: bumped on every create/modify/delete
        self.msg_gen = 0      # message journal generation
        self.objects = {c: {} for c in schema.CLASSES}
        self.uuids = {c: {} for c in schema.CLASSES}
        self.class_of = {}    # ref → class name
        self.changes = collections.OrderedDict()  # ref → Obj, by increasing .modified
        self.deleted = {c: collections.deque(maxlen=DELETED_MEMORY) for c in schema.CLASSES}
        self.msg_deleted = collections.deque(maxlen=DELETED_MEMORY)
        self.listeners = []   # callables(cls, ref, op, Snapshot|None) under the lock
        self._rel_owner = {}  # (cls, field) → (other cls, set field)
        self._rel_target = collections.defaultdict(list)  # (cls, set field) → [(owner, field)]
        for owner, field, other, setf in schema.RELATIONS:
            self._rel_owner[(owner, field)] = (other, setf)
            self._rel_target[(other, setf)].append((owner, field))

    # ------------------------------------------------------------------ lookups
    def get_obj(self, cls, ref):
        with self.lock:
            o = self.objects[cls].get(ref)
            if o is None:
                raise XapiError("HANDLE_INVALID", cls, ref)
            return o

    def get(self, cls, ref):
        """The current record (treat as read-only)."""
        return self.get_obj(cls, ref).rec

    def exists(self, cls, ref):
        with self.lock:
            return ref in self.objects[cls]

    def lookup_class(self, ref):
        with self.lock:
            return self.class_of.get(ref)

    def by_uuid(self, cls, uuid):
        with self.lock:
            ref = self.uuids[cls].get(uuid)
            if ref is None:
                raise XapiError("UUID_INVALID", cls, uuid)
            return ref

    def refs(self, cls):
        with self.lock:
            return list(self.objects[cls])

    def records(self, cls):
        """ref → Obj (encodes as the record) for every object of cls."""
        with self.lock:
            return {r: Snapshot(o) for r, o in self.objects[cls].items()}

    def count(self, cls):
        with self.lock:
            return len(self.objects[cls])

    # ------------------------------------------------------------------ changes
    def _bump(self, obj, op):
        if obj.cls == "message":
            return
        self.gen += 1
        obj.modified = self.gen
        self.changes[obj.ref] = obj
        self.changes.move_to_end(obj.ref)
        if self.listeners:
            snap = Snapshot(obj) if op != "del" else None
            for fn in list(self.listeners):
                fn(obj.cls, obj.ref, op, snap)
        self.cond.notify_all()

    def create(self, cls, fields=None, ref=None):
        """Create an object: blank record + fields; uuid generated unless given.
        Relations are maintained and events emitted. Returns the ref."""
        cdef = schema.CLASSES[cls]
        with self.lock:
            rec = cdef.blank()
            if fields:
                for k, v in fields.items():
                    if k not in cdef.by_name:
                        raise KeyError("%s has no field %s" % (cls, k))
                    rec[k] = v
            if not rec.get("uuid"):
                rec["uuid"] = new_uuid()
            ref = ref or new_ref()
            if cls == "message":
                self.msg_gen += 1
                gen = self.msg_gen
            else:
                gen = self.gen + 1
            obj = Obj(cls, ref, rec, gen)
            self.objects[cls][ref] = obj
            self.uuids[cls][rec["uuid"]] = ref
            self.class_of[ref] = cls
            if cls != "message":
                self._bump(obj, "add")
            else:
                self.cond.notify_all()
            for f in cdef.fields:
                if f.kind == "r" and (cls, f.name) in self._rel_owner:
                    self._link(cls, f.name, ref, rec[f.name])
            return ref

    def set(self, cls, ref, field, value):
        self.update(cls, ref, {field: value})

    def update(self, cls, ref, fields):
        """Replace several fields at once (one mod event)."""
        with self.lock:
            obj = self.get_obj(cls, ref)
            rec = dict(obj.rec)
            old = {}
            for k, v in fields.items():
                if k not in rec:
                    raise KeyError("%s has no field %s" % (cls, k))
                old[k] = rec[k]
                rec[k] = v
            if "uuid" in fields:
                del self.uuids[cls][old["uuid"]]
                self.uuids[cls][rec["uuid"]] = ref
            obj.rec = rec
            self._bump(obj, "mod")
            for k in fields:
                if (cls, k) in self._rel_owner and old[k] != fields[k]:
                    self._unlink(cls, k, ref, old[k])
                    self._link(cls, k, ref, fields[k])

    def touch(self, cls, ref):
        with self.lock:
            self._bump(self.get_obj(cls, ref), "mod")

    def destroy(self, cls, ref):
        with self.lock:
            obj = self.get_obj(cls, ref)
            del self.objects[cls][ref]
            self.uuids[cls].pop(obj.rec["uuid"], None)
            self.class_of.pop(ref, None)
            if cls == "message":
                self.msg_gen += 1
                self.msg_deleted.append((self.msg_gen, ref, obj.created))
                self.cond.notify_all()
                return
            self.changes.pop(ref, None)
            self.gen += 1
            self.deleted[cls].append((self.gen, ref, obj.created))
            if self.listeners:
                for fn in list(self.listeners):
                    fn(cls, ref, "del", None)
            self.cond.notify_all()
            for f in schema.CLASSES[cls].fields:
                if f.kind == "r" and (cls, f.name) in self._rel_owner:
                    self._unlink(cls, f.name, ref, obj.rec[f.name])

    # ------------------------------------------------------------------ relations
    def _link(self, cls, field, ref, target):
        other, setf = self._rel_owner[(cls, field)]
        tobj = self.objects[other].get(target)
        if tobj is None or ref in tobj.rec[setf]:
            return
        self.update(other, target, {setf: tobj.rec[setf] + [ref]})

    def _unlink(self, cls, field, ref, target):
        other, setf = self._rel_owner[(cls, field)]
        tobj = self.objects[other].get(target)
        if tobj is None or ref not in tobj.rec[setf]:
            return
        self.update(other, target, {setf: [x for x in tobj.rec[setf] if x != ref]})

    # ------------------------------------------------------------------ helpers
    def map_put(self, cls, ref, field, key, value):
        with self.lock:
            m = dict(self.get(cls, ref)[field])
            m[key] = value
            self.set(cls, ref, field, m)

    def map_del(self, cls, ref, field, key):
        with self.lock:
            m = self.get(cls, ref)[field]
            if key in m:
                m = dict(m)
                del m[key]
                self.set(cls, ref, field, m)

    def set_add(self, cls, ref, field, value):
        with self.lock:
            s = self.get(cls, ref)[field]
            if value not in s:
                self.set(cls, ref, field, [value] + s)

    def set_remove(self, cls, ref, field, value):
        with self.lock:
            s = self.get(cls, ref)[field]
            if value in s:
                self.set(cls, ref, field, [x for x in s if x != value])

    def token(self):
        with self.lock:
            return "%020d,%020d" % (self.gen, self.msg_gen)

    def warm_caches(self, wire="both"):
        """Pre-encode every record (used at start-up so the first dump is fast)."""
        with self.lock:
            objs = [o for table in self.objects.values() for o in table.values()]
        for o in objs:
            if wire in ("xml", "both"):
                o.to_xml()
            if wire in ("json", "both"):
                o.to_json()

    def load(self, objects):
        """Bulk insert {cls: {ref: full record}} (inventory start-up): the caller
        guarantees consistent relations; one generation per object, no listeners."""
        with self.lock:
            for cls, table in objects.items():
                for ref, rec in table.items():
                    if cls == "message":
                        self.msg_gen += 1
                        obj = Obj(cls, ref, rec, self.msg_gen)
                    else:
                        self.gen += 1
                        obj = Obj(cls, ref, rec, self.gen)
                        self.changes[ref] = obj
                    self.objects[cls][ref] = obj
                    self.uuids[cls][rec["uuid"]] = ref
                    self.class_of[ref] = cls
            self.cond.notify_all()
