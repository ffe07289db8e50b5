"""Sessions: login, validation, logout, "restart" wipe. Any thread; own lock.
Sessions are not database objects (no events), as in xapi."""
import threading
import time

from .db import new_ref, new_uuid
from .wire import XapiError


class Session:
    __slots__ = ("ref", "uuid", "user", "originator", "created", "last_active",
                 "registered", "event_pos")

    def __init__(self, ref, user, originator):
        self.ref = ref
        self.uuid = new_uuid()
        self.user = user
        self.originator = originator
        self.created = time.time()
        self.last_active = self.created
        self.registered = set()   # legacy event.register classes
        self.event_pos = 0        # legacy event.next position


class Sessions:
    MAX_ROOT_NO_ORIGINATOR = 400
    MAX_PER_ORIGINATOR = 500
    MAX_IDLE = 24 * 3600    # seconds of inactivity before a session expires

    def __init__(self, db, user, password, clock=time.time):
        self.db = db
        self.clock = clock
        self.failure_delay = 0.0   # xapi sleeps on some failed logins (--auth-failure-delay)
        self.user = user
        self.password = password
        self.lock = threading.Lock()
        self.by_ref = {}

    def login(self, user, password, originator=""):
        if user != self.user or password != self.password:
            time.sleep(self.failure_delay)
            raise XapiError("SESSION_AUTHENTICATION_FAILED", user, "Authentication failure")
        s = Session(new_ref(), user, originator)
        s.created = s.last_active = self.clock()
        with self.lock:
            self.by_ref[s.ref] = s
            self._evict(originator)
        return s

    def _evict(self, originator):
        # xapi's quotas: 400 root sessions without originator, 500 per originator.
        same = [x for x in self.by_ref.values() if x.originator == originator]
        limit = self.MAX_PER_ORIGINATOR if originator else self.MAX_ROOT_NO_ORIGINATOR
        if len(same) > limit:
            same.sort(key=lambda x: x.last_active)
            for x in same[:len(same) - limit]:
                del self.by_ref[x.ref]
            self._wake()

    def validate(self, ref):
        """The Session for ref, or SESSION_INVALID [ref]."""
        now = self.clock()
        with self.lock:
            s = self.by_ref.get(ref) if isinstance(ref, str) else None
            if s is not None and now - s.last_active > self.MAX_IDLE:
                del self.by_ref[ref]
                s = None
        if s is None:
            raise XapiError("SESSION_INVALID", ref)
        s.last_active = now
        return s

    def is_valid(self, ref):
        with self.lock:
            return isinstance(ref, str) and ref in self.by_ref

    def logout(self, ref):
        with self.lock:
            self.by_ref.pop(ref, None)
        self._wake()

    def clear(self):
        with self.lock:
            self.by_ref.clear()
        self._wake()

    def all(self):
        with self.lock:
            return list(self.by_ref.values())

    def _wake(self):
        # blocked event.from / event.next calls re-check their session
        with self.db.cond:
            self.db.cond.notify_all()
