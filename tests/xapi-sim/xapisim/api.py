"""RPC dispatch: method table, arity and session checks, Async.* via tasks, and the
generic per-class messages (get_*, set_*, maps, sets). Called from HTTP server threads;
every handler takes (sim, session, *args)."""
import threading

from . import schema
from . import coerce
from .where import compile_where
from .wire import XapiError


class Method:
    __slots__ = ("name", "fn", "arity", "optional", "session", "asyncable", "raw")

    def __init__(self, name, fn, arity, optional=0, session=True, asyncable=False):
        self.name = name
        self.fn = fn
        self.arity = arity          # parameters after the session
        self.optional = optional    # trailing defaulted parameters
        self.session = session
        self.asyncable = asyncable


class Api:
    def __init__(self, sim):
        self.sim = sim
        self.methods = {}
        self.ctx = threading.local()   # .task: the task ref of the running Async call
        self.after_write = {}          # class → fn(ref) run after a generic setter
        for cdef in schema.CLASSES.values():
            self._register_generic(cdef)

    # ------------------------------------------------------------------ registry
    def add(self, name, fn, arity, optional=0, session=True, asyncable=False):
        self.methods[name] = Method(name, fn, arity, optional, session, asyncable)

    def lookup(self, name):
        m = self.methods.get(name)
        if m is None and "." not in name and "_" in name:
            # Class_message is accepted too: try every split point.
            for i, ch in enumerate(name):
                if ch == "_":
                    m = self.methods.get(name[:i] + "." + name[i + 1:])
                    if m is not None:
                        break
        return m

    def list_methods(self):
        return sorted(self.methods)

    # ------------------------------------------------------------------ calls
    def current_task(self):
        return getattr(self.ctx, "task", None)

    def call(self, name, params):
        """Run one call; returns the value or raises XapiError."""
        is_async = name.startswith("Async.")
        base = name[len("Async."):] if is_async else name
        m = self.lookup(base)
        if m is None:
            if params and isinstance(params[0], str) and params[0].startswith("OpaqueRef:"):
                self.sim.sessions.validate(params[0])
            raise XapiError("MESSAGE_METHOD_UNKNOWN", name)
        if is_async and not m.asyncable:
            raise XapiError("Fault", "No async mode for this operation (rpc: %s)" % base)
        received = len(params) - 1 if m.session else len(params)
        if received < m.arity - m.optional or (received > m.arity and not m.optional):
            raise XapiError("MESSAGE_PARAMETER_COUNT_MISMATCH", base, m.arity, max(received, 0))
        args = list(params[1:] if m.session else params)[:m.arity]
        session = self.sim.sessions.validate(params[0]) if m.session else None
        if not is_async:
            return m.fn(self.sim, session, *args)
        # xenopsd-backed VM operations, storage copies and evacuation are cancellable
        cancellable = m.name.split(".")[0] in ("VM", "VDI") or m.name == "host.evacuate"
        task = self.sim.tasks.create("Async." + m.name, cancellable=cancellable)
        t = threading.Thread(target=self._run_async, args=(m, session, args, task),
                             name="async-" + m.name, daemon=True)
        t.start()
        return task

    def _run_async(self, m, session, args, task):
        self.ctx.task = task
        try:
            if self.sim.faults.hang("Async." + m.name,
                                    lambda: self.sim.tasks.cancel_requested(task)):
                raise XapiError("TASK_CANCELLED", task)
            self.sim.faults.fail("Async." + m.name)
            value = m.fn(self.sim, session, *args)
            self.sim.tasks.complete(task, value)
        except XapiError as e:
            self.sim.tasks.fail(task, e)
        except Exception as e:  # a simulator bug: report it like xapi would
            self.sim.tasks.fail(task, XapiError("INTERNAL_ERROR", repr(e)))
        finally:
            self.ctx.task = None

    # ------------------------------------------------------------------ generic messages
    def _register_generic(self, cdef):
        c = cdef.name
        db = self.sim.db

        def check(ref):
            return db.get(c, coerce.to_str(ref))

        self.add(c + ".get_all", lambda sim, s: db.refs(c), 0)
        self.add(c + ".get_all_records", lambda sim, s: db.records(c), 0)

        def where(sim, s, expr):
            pred = compile_where(coerce.to_str(expr))
            return {r: o for r, o in db.records(c).items() if pred(o.rec)}
        self.add(c + ".get_all_records_where", where, 1)
        self.add(c + ".get_record", lambda sim, s, ref: db.get_obj(c, coerce.to_str(ref)), 1)
        self.add(c + ".get_by_uuid", lambda sim, s, u: db.by_uuid(c, coerce.to_str(u)), 1)
        if cdef.has_name_label:
            self.add(c + ".get_by_name_label",
                     lambda sim, s, label: [r for r, o in db.records(c).items()
                                            if o.rec["name_label"] == label], 1)
        for f in cdef.fields:
            self._register_field(c, f, check)

    def _register_field(self, c, f, check):
        db = self.sim.db
        name = f.name
        after = self.after_write
        self.add("%s.get_%s" % (c, name), lambda sim, s, ref: check(ref)[name], 1)
        if not f.rw:
            return

        allowed = schema.ENUMS.get((c, name))

        def setter(sim, s, ref, value):
            check(ref)
            value = coerce.for_field(f, value)
            if allowed is not None and value not in allowed:
                raise XapiError("INTERNAL_ERROR", "Unknown enum value %r for %s.%s" % (value, c, name))
            db.set(c, ref, name, value)
            if c in after:
                after[c](ref)
            return ""
        self.add("%s.set_%s" % (c, name), setter, 2)
        if f.is_map:
            def add_to(sim, s, ref, key, value):
                with db.lock:
                    rec = check(ref)
                    key = coerce.to_str(key)
                    if key in rec[name]:
                        raise XapiError("MAP_DUPLICATE_KEY", c, name, ref, key)
                    db.map_put(c, ref, name, key, coerce.to_str(value))
                    if c in after:
                        after[c](ref)
                return ""

            def remove_from(sim, s, ref, key):
                check(ref)
                db.map_del(c, ref, name, coerce.to_str(key))
                if c in after:
                    after[c](ref)
                return ""
            self.add("%s.add_to_%s" % (c, name), add_to, 3)
            self.add("%s.remove_from_%s" % (c, name), remove_from, 2)
        elif f.is_set:
            def add_set(sim, s, ref, value):
                check(ref)
                db.set_add(c, ref, name, coerce.to_str(value))
                return ""

            def remove_set(sim, s, ref, value):
                check(ref)
                db.set_remove(c, ref, name, coerce.to_str(value))
                return ""
            self.add("%s.add_%s" % (c, name), add_set, 2)
            self.add("%s.remove_%s" % (c, name), remove_set, 2)
