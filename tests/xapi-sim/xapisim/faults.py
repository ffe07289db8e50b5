"""Fault injection state set through the control endpoint: fail the next calls of a
method, delay answers, drop connections, hang calls until released. Any thread; own lock."""
import threading
import time

from .wire import XapiError


class Rule:
    def __init__(self, method, count, error=None, seconds=0.0, action="fail"):
        self.method = method      # exact wire name (Async. prefix ignored) or "*"
        self.count = count        # remaining uses; -1 = forever
        self.error = error or []
        self.seconds = seconds
        self.action = action      # fail | delay | drop | hang
        self.released = threading.Event()   # hang: set by release/clear


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []

    def add(self, rule):
        with self.lock:
            self.rules.append(rule)

    def clear(self):
        with self.lock:
            for r in self.rules:
                r.released.set()
            self.rules = []

    def release(self, method=None):
        """End the hang of calls held by `hang` rules (all, or those of `method`);
        the rules are removed. Returns how many rules were released."""
        with self.lock:
            done = [r for r in self.rules if r.action == "hang" and method in (None, r.method)]
            for r in done:
                r.released.set()
            self.rules = [r for r in self.rules if r not in done]
            return len(done)

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

    def hang(self, name, cancelled=lambda: False):
        """Block while a `hang` rule holds this call: until release/clear, or until
        cancelled() is true (then TASK_CANCELLED is the caller's business)."""
        r = self._take(name, "hang")
        if r is None:
            return False
        while not r.released.wait(0.05):
            if cancelled():
                return True
        return False

    def fail(self, name):
        """Raise the injected error for this call, if any."""
        r = self._take(name, "fail")
        if r is not None:
            raise XapiError(r.error[0], *r.error[1:]) if r.error else XapiError("INTERNAL_ERROR", "injected")
