"""Task helpers (reference §5): create, progress, complete with a result or an error,
cancellation flag. Any thread; every write goes through the db (events emitted).
Completion writes allowed_operations, finished, progress, result/error_info and the
status last, each as its own change, like xapi."""
import calendar
import time

from .wire import DateTime, EPOCH, XapiError, xml_fragment

NULL = "OpaqueRef:NULL"


class Tasks:
    DONE_TTL = 65 * 60        # completed tasks are destroyed after this many seconds
    PENDING_TTL = 24 * 3600
    MAX_TASKS = 200           # beyond this, the oldest completed tasks go first

    def __init__(self, db, host_ref_fn, clock=time.time):
        self.db = db
        self.host_ref_fn = host_ref_fn
        self.clock = clock

    def gc(self):
        """xapi's task garbage collection (run on every create)."""
        now = self.clock()
        with self.db.lock:
            done = []
            for ref, obj in list(self.db.objects["task"].items()):
                rec = obj.rec
                if rec["status"] == "pending":
                    if now - _unix(rec["created"]) > self.PENDING_TTL:
                        self.db.destroy("task", ref)
                elif now - _unix(rec["finished"]) > self.DONE_TTL:
                    self.db.destroy("task", ref)
                else:
                    done.append((_unix(rec["finished"]), ref))
            extra = len(self.db.objects["task"]) - self.MAX_TASKS
            for _, ref in sorted(done)[:max(extra, 0)]:
                self.db.destroy("task", ref)

    def create(self, label, description="", cancellable=False, other_config=None):
        """A pending task (progress 0) resident on the master; returns its ref."""
        self.gc()
        return self.db.create("task", {
            "name_label": label, "name_description": description,
            "allowed_operations": ["cancel"] if cancellable else [],
            "created": DateTime.from_unix(self.clock()), "finished": EPOCH, "status": "pending",
            "resident_on": self.host_ref_fn(), "progress": 0.0, "type": "<none/>",
            "other_config": dict(other_config or {}),
        })

    def exists(self, ref):
        return self.db.exists("task", ref)

    def set_progress(self, ref, progress):
        with self.db.lock:
            if self.db.exists("task", ref) and self.db.get("task", ref)["status"] == "pending":
                self.db.set("task", ref, "progress", float(progress))

    def _finish(self, ref, status, result=None, error=None):
        with self.db.lock:
            if not self.db.exists("task", ref):
                return False
            rec = self.db.get("task", ref)
            if rec["status"] not in ("pending", "cancelling"):
                return False
            self.db.set("task", ref, "allowed_operations", [])
            self.db.set("task", ref, "finished", DateTime.from_unix(self.clock()))
            self.db.set("task", ref, "progress", 1.0)
            if error is not None:
                self.db.set("task", ref, "error_info", error)
            else:
                self.db.set("task", ref, "result", result)
            self.db.set("task", ref, "status", status)
            if rec["current_operations"].get("task") == "destroy":
                self.db.destroy("task", ref)
            return True

    def complete(self, ref, value=None, raw_result=None):
        """Success. value: a Python value stored as its XML-RPC fragment
        (None = void, i.e. "<value></value>"); raw_result: exact result text
        (e.g. "" for HTTP handlers)."""
        result = raw_result if raw_result is not None else xml_fragment(value if value is not None else "")
        return self._finish(ref, "success", result=result)

    def fail(self, ref, err):
        """Failure with an XapiError (error_info = [code, params...])."""
        if not isinstance(err, XapiError):
            err = XapiError("INTERNAL_ERROR", str(err))
        status = "cancelled" if err.code == "TASK_CANCELLED" else "failure"
        return self._finish(ref, status, error=err.description())

    def cancel_requested(self, ref):
        with self.db.lock:
            if not self.db.exists("task", ref):
                return True
            return "cancel" in self.db.get("task", ref)["current_operations"].values()

    def check_cancel(self, ref):
        """Raise TASK_CANCELLED if someone called task.cancel on ref."""
        if ref and self.cancel_requested(ref):
            raise XapiError("TASK_CANCELLED", ref)

    def forget_all(self):
        with self.db.lock:
            for ref in self.db.refs("task"):
                self.db.destroy("task", ref)


def _unix(dt):
    try:
        return calendar.timegm(time.strptime(dt.text, "%Y%m%dT%H:%M:%SZ"))
    except ValueError:
        return 0
