"""Non-generic messages of session, system, task, message, pool and host."""
from . import coerce
from .wire import XapiError, DateTime

NULL = "OpaqueRef:NULL"


def register(sim):
    api, db = sim.api, sim.db
    add = api.add

    # ---------------------------------------------------------------- session
    def login(sim, _s, user, password, version="1.1", originator=""):
        s = sim.sessions.login(coerce.to_str(user), coerce.to_str(password),
                               coerce.to_str(originator))
        return s.ref
    add("session.login_with_password", login, 4, optional=2, session=False)
    add("session.slave_local_login_with_password",
        lambda sim, s, u, p: login(sim, s, u, p), 2, session=False)

    def logout(sim, s):
        sim.sessions.logout(s.ref)
        return ""
    add("session.logout", logout, 0)
    add("session.local_logout", logout, 0)
    add("session.get_uuid", lambda sim, s, ref: _session(sim, ref).uuid, 1)
    add("session.get_this_host", lambda sim, s, ref: (_session(sim, ref), sim.master_ref)[1], 1)
    add("session.get_this_user", lambda sim, s, ref: (_session(sim, ref), NULL)[1], 1)
    add("session.get_originator", lambda sim, s, ref: _session(sim, ref).originator, 1)
    add("session.get_is_local_superuser", lambda sim, s, ref: (_session(sim, ref), True)[1], 1)
    add("session.get_auth_user_name", lambda sim, s, ref: _session(sim, ref).user, 1)

    def session_record(sim, s, ref):
        x = _session(sim, ref)
        return {"uuid": x.uuid, "this_host": sim.master_ref, "this_user": NULL,
                "last_active": DateTime.from_unix(x.last_active), "pool": False,
                "other_config": {}, "is_local_superuser": True, "subject": NULL,
                "validation_time": DateTime.from_unix(x.created), "auth_user_sid": "",
                "auth_user_name": x.user, "rbac_permissions": [], "tasks": [],
                "parent": NULL, "originator": x.originator, "client_certificate": False}
    add("session.get_record", session_record, 1)

    def change_password(sim, s, old, new):
        if old != sim.sessions.password:
            raise XapiError("SESSION_AUTHENTICATION_FAILED", s.user, "Authentication failure")
        sim.sessions.password = coerce.to_str(new)
        return ""
    add("session.change_password", change_password, 2)

    # ---------------------------------------------------------------- system
    add("system.listMethods", lambda sim, s: sim.api.list_methods(), 0, session=False)

    # ---------------------------------------------------------------- task
    def task_create(sim, s, label, description=""):
        return sim.tasks.create(coerce.to_str(label), coerce.to_str(description))
    add("task.create", task_create, 2, optional=1)

    def task_cancel(sim, s, ref):
        with db.lock:
            rec = db.get("task", ref)
            if rec["status"] == "pending":
                ops = dict(rec["current_operations"])
                ops[api.current_task() or ("OpaqueRef:" + rec["uuid"])] = "cancel"
                db.set("task", ref, "current_operations", ops)
        return ""
    add("task.cancel", task_cancel, 1)

    def task_destroy(sim, s, ref):
        with db.lock:
            rec = db.get("task", ref)
            if rec["status"] in ("pending", "cancelling"):
                ops = dict(rec["current_operations"])
                ops["task"] = "destroy"
                db.set("task", ref, "current_operations", ops)
            else:
                db.destroy("task", ref)
        return ""
    add("task.destroy", task_destroy, 1)

    def task_setter(field, conv):
        def fn(sim, s, ref, value):
            db.get("task", ref)
            db.set("task", ref, field, conv(value))
            return ""
        return fn
    add("task.set_status", task_setter("status", coerce.to_str), 2)
    add("task.set_progress", task_setter("progress", coerce.to_float), 2)
    add("task.set_result", task_setter("result", coerce.to_str), 2)
    add("task.set_error_info", task_setter("error_info",
                                           lambda v: [coerce.to_str(x) for x in coerce.to_list(v)]), 2)
    add("task.set_resident_on", task_setter("resident_on", coerce.to_str), 2)
    add("task.set_name_label", task_setter("name_label", coerce.to_str), 2)
    add("task.set_name_description", task_setter("name_description", coerce.to_str), 2)

    # ---------------------------------------------------------------- message
    def message_create(sim, s, name, priority, cls, obj_uuid, body):
        return create_message(sim, coerce.to_str(name), coerce.to_int(priority),
                              coerce.to_str(cls), coerce.to_str(obj_uuid), coerce.to_str(body))
    add("message.create", message_create, 5)

    def message_destroy(sim, s, ref):
        db.get("message", ref)
        db.destroy("message", ref)
        return ""
    add("message.destroy", message_destroy, 1)

    def get_since(sim, s, since):
        since = coerce.to_datetime(since).text.replace("-", "")
        return {r: o for r, o in db.records("message").items()
                if o.rec["timestamp"].text > since}
    add("message.get_since", get_since, 1)

    # ---------------------------------------------------------------- SR / VDI names
    for cls in ("SR", "VDI"):
        for f in ("name_label", "name_description"):
            add("%s.set_%s" % (cls, f), _plain_setter(db, cls, f), 2, asyncable=True)

    # ---------------------------------------------------------------- host / pool
    def host_get_servertime(sim, s, ref):
        db.get("host", ref)
        return DateTime.now()
    add("host.get_servertime", host_get_servertime, 1)
    add("host.get_server_localtime", host_get_servertime, 1)
    # host.enable/disable/evacuate and the other host operations: host_ops.py


def _plain_setter(db, cls, field):
    def fn(sim, s, ref, value):
        db.get(cls, ref)
        db.set(cls, ref, field, coerce.to_str(value))
        return ""
    return fn


def _session(sim, ref):
    return sim.sessions.validate(ref)


def create_message(sim, name, priority, cls, obj_uuid, body, timestamp=None):
    return sim.db.create("message", {
        "name": name, "priority": priority, "cls": cls, "obj_uuid": obj_uuid,
        "timestamp": timestamp or DateTime.now(), "body": body})
