"""Fault injection state set through the control endpoint: fail the next calls of a
method, delay answers, drop connections. Any thread; own lock."""
import threading
import time

from .wire import XapiError


class Rule:
    def __init__(self, method, count, error=None, seconds=0.0, action="fail"):
        self.method = method      # exact wire name (Async. prefix ignored) or "*"
        self.count = count        # remaining uses; -1 = forever
        self.error = error or []
        self.seconds = seconds
        self.action = action      # fail | delay | drop


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    def add(self, rule):
        with self.lock:
            self.rules.append(rule)

    def clear(self):
        with self.lock:
            self.rules = []

    def _take(self, name, action):
        base = name[6:] if name.startswith("Async.") else name
        with self.lock:
            for r in self.rules:
                if r.action == action and r.count != 0 and r.method in ("*", base, name):
                    if r.count > 0:
                        r.count -= 1
                    return r
        return None

    def should_drop(self, name):
        return self._take(name, "drop") is not None

    def delay(self, name):
        r = self._take(name, "delay")
        if r is not None:
            time.sleep(r.seconds)

    def fail(self, name):
        """Raise the injected error for this call, if any."""
        r = self._take(name, "fail")
        if r is not None:
            raise XapiError(r.error[0], *r.error[1:]) if r.error else XapiError("INTERNAL_ERROR", "injected")
