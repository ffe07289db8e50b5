"""event.from / event.inject (reference §4.1–4.2) and the legacy event.register /
next / unregister / get_current_id (§4.3). Long polls wait on db.cond, one HTTP
thread each, so they never block other calls."""
import collections
import time

from . import coerce, schema
from .db import Snapshot
from .wire import XapiError, PreEncoded, I4, _xml_escape, _json_str

BATCH_DELAY = 0.05       # xapi looks 50 ms after the call (0 if only tasks)
LEGACY_QUEUE = 100000    # events kept for event.next
LEGACY_DELAY = 0.2       # event.next's batching delay


class EventItem(PreEncoded):
    __slots__ = ("id", "cls", "op", "ref", "snap", "timestamp")

    def __init__(self, eid, cls, op, ref, snap, timestamp="0.0"):
        self.id, self.cls, self.op, self.ref, self.snap = eid, cls, op, ref, snap
        self.timestamp = timestamp

    def to_xml(self):
        head = ("<value><struct><member><name>id</name><value>%s</value></member>"
                "<member><name>timestamp</name><value>%s</value></member>"
                "<member><name>class</name><value>%s</value></member>"
                "<member><name>operation</name><value>%s</value></member>"
                "<member><name>ref</name><value>%s</value></member>" % (
                    self.id, self.timestamp, self.cls, self.op, _xml_escape(self.ref)))
        if self.snap is None:
            return head + "</struct></value>"
        return head + "<member><name>snapshot</name>" + self.snap.to_xml() + "</member></struct></value>"

    def xml_parts(self, out):
        out.append("<value><struct><member><name>id</name><value>%s</value></member>"
                   "<member><name>timestamp</name><value>%s</value></member>"
                   "<member><name>class</name><value>%s</value></member>"
                   "<member><name>operation</name><value>%s</value></member>"
                   "<member><name>ref</name><value>%s</value></member>" % (
                       self.id, self.timestamp, self.cls, self.op, _xml_escape(self.ref)))
        if self.snap is not None:
            out.append("<member><name>snapshot</name>")
            out.append(self.snap.to_xml())
            out.append("</member>")
        out.append("</struct></value>")

    def json_parts(self, out):
        out.append('{"id":"%s","timestamp":"%s","class":"%s","operation":"%s","ref":%s' % (
            self.id, self.timestamp, self.cls, self.op, _json_str(self.ref)))
        if self.snap is not None:
            out.append(',"snapshot":')
            out.append(self.snap.to_json())
        out.append("}")

    def to_json(self):
        head = '{"id":"%s","timestamp":"%s","class":"%s","operation":"%s","ref":%s' % (
            self.id, self.timestamp, self.cls, self.op, _json_str(self.ref))
        if self.snap is None:
            return head + "}"
        return head + ',"snapshot":' + self.snap.to_json() + "}"


def parse_token(token):
    if token == "":
        return 0, 0
    parts = token.split(",")
    try:
        if len(parts) == 2:
            return int(parts[0]), int(parts[1])
        if len(parts) == 1:
            return int(parts[0]), 0
    except ValueError:
        pass
    raise XapiError("EVENT_FROM_TOKEN_PARSE_FAILURE", token)


def parse_classes(classes):
    """→ (all?, set of lower class names, set of (lower class, ref))."""
    everything, names, objs = False, set(), set()
    for c in coerce.to_list(classes):
        c = coerce.to_str(c)
        if c == "*":
            everything = True
            continue
        parts = c.split("/")
        if len(parts) == 1 and c:
            names.add(c.lower())
        elif len(parts) == 2 and parts[0] and parts[1]:
            objs.add((parts[0].lower(), parts[1]))
        else:
            raise XapiError("EVENT_SUBSCRIPTION_PARSE_FAILURE", c)
    return everything, names, objs


class Subscription:
    def __init__(self, classes):
        self.all, self.names, self.objs = parse_classes(classes)

    def match(self, cls_lower, ref):
        return self.all or cls_lower in self.names or (cls_lower, ref) in self.objs

    def wants_messages(self):
        return self.all or "message" in self.names or any(c == "message" for c, _ in self.objs)

    def only_tasks(self):
        return not self.all and self.names <= {"task"} and all(c == "task" for c, _ in self.objs)


def collect(db, sub, gen, mgen):
    """Events since (gen, mgen), coalesced. Call under db.lock."""
    msgs, adds, mods, dels = [], [], [], []
    if sub.wants_messages():
        for ref, o in db.objects["message"].items():
            if o.created > mgen and sub.match("message", ref):
                msgs.append(EventItem("0", "message", "add", ref, Snapshot(o)))
        for mg, ref, created in db.msg_deleted:
            if mg > mgen and created <= mgen and sub.match("message", ref):
                msgs.append(EventItem("0", "message", "del", ref, None))
    lower = {c: d.lower for c, d in schema.CLASSES.items()}
    for ref in reversed(db.changes):
        o = db.changes[ref]
        if o.modified <= gen:
            break
        cl = lower[o.cls]
        if not sub.match(cl, ref):
            continue
        if o.created > gen:
            adds.append(EventItem(str(o.modified), cl, "add", ref, Snapshot(o)))
        else:
            mods.append(EventItem(str(o.modified), cl, "mod", ref, Snapshot(o)))
    for cls, dq in db.deleted.items():
        cl = lower[cls]
        for dg, ref, created in dq:
            if dg > gen and created <= gen and sub.match(cl, ref):
                dels.append(EventItem(str(dg), cl, "del", ref, None))
    adds.reverse()
    mods.reverse()
    return msgs + adds + mods + dels


def valid_ref_counts(db):
    return {schema.CLASSES[c].lower: I4(len(t)) for c, t in db.objects.items() if c != "message"}


def register(sim):
    db, add = sim.db, sim.api.add
    legacy = collections.deque(maxlen=LEGACY_QUEUE)
    state = {"next_id": 1, "listening": False}

    def event_from(sim, s, classes, token, timeout):
        sub = Subscription(classes)
        gen, mgen = parse_token(coerce.to_str(token))
        timeout = coerce.to_float(timeout)
        deadline = time.time() + timeout
        time.sleep(0 if sub.only_tasks() else BATCH_DELAY)
        with db.cond:
            while True:
                sim.sessions.validate(s.ref)
                events = collect(db, sub, gen, mgen)
                left = deadline - time.time()
                if events or left <= 0:
                    return {"events": events, "valid_ref_counts": valid_ref_counts(db),
                            "token": db.token()}
                db.cond.wait(left)
    add("event.from", event_from, 3)

    def inject(sim, s, cls, ref):
        cls, ref = coerce.to_str(cls), coerce.to_str(ref)
        with db.lock:
            if cls not in db.objects or ref not in db.objects[cls]:
                raise XapiError("HANDLE_INVALID", cls, ref)
            db.touch(cls, ref)
            return "%020d,%020d" % (db.gen - 1, 0)
    add("event.inject", inject, 2)

    # ---------------------------------------------------------------- legacy
    def on_change(cls, ref, op, snap):
        uuid = snap.rec["uuid"] if snap is not None else ""
        legacy.append((state["next_id"], schema.CLASSES[cls].lower, op, ref, snap, uuid, time.time()))
        state["next_id"] += 1

    def ev_register(sim, s, classes):
        with db.lock:
            if not state["listening"]:
                db.listeners.append(on_change)
                state["listening"] = True
            if not s.registered:
                s.event_pos = state["next_id"]
            s.registered |= {coerce.to_str(c).lower() for c in coerce.to_list(classes)}
        return ""
    add("event.register", ev_register, 1)

    def ev_unregister(sim, s, classes):
        with db.lock:
            s.registered -= {coerce.to_str(c).lower() for c in coerce.to_list(classes)}
        return ""
    add("event.unregister", ev_unregister, 1)

    def ev_next(sim, s):
        time.sleep(LEGACY_DELAY)
        with db.cond:
            while True:
                sim.sessions.validate(s.ref)
                if not s.registered:
                    raise XapiError("SESSION_NOT_REGISTERED", s.ref)
                if legacy and s.event_pos < legacy[0][0]:
                    raise XapiError("EVENTS_LOST")
                out = []
                for eid, cl, op, ref, snap, uuid, ts in legacy:
                    if eid < s.event_pos:
                        continue
                    if "*" in s.registered or cl in s.registered:
                        item = EventItem(str(eid), cl, op, ref, snap, "%d." % int(ts))
                        out.append(item)
                s.event_pos = state["next_id"]
                if out:
                    return out
                db.cond.wait(1.0)
    add("event.next", ev_next, 0)
    add("event.get_current_id", lambda sim, s: state["next_id"] - 1, 0)
