"""VM operation checks (reference §6.2) and allowed_operations (§6.3). Pure functions
over records; any thread."""
from .wire import XapiError

ORDER = ("Halted", "Paused", "Suspended", "Running")
ALL = ORDER

STATES = {
    "start": ("Halted",), "start_on": ("Halted",), "clean_shutdown": ("Running",),
    "hard_shutdown": ("Paused", "Suspended", "Running"),
    "shutdown": ("Paused", "Suspended", "Running"), "clean_reboot": ("Running",),
    "hard_reboot": ("Paused", "Running"), "suspend": ("Running",), "resume": ("Suspended",),
    "resume_on": ("Suspended",), "pause": ("Running",), "unpause": ("Paused",),
    "snapshot": ALL, "checkpoint": ("Paused", "Suspended", "Running"), "clone": ("Halted",),
    "copy": ("Halted",), "destroy": ("Halted", "Suspended"), "export": ("Halted", "Suspended"),
    "metadata_export": ALL, "provision": ("Halted",), "make_into_template": ("Halted",),
    "pool_migrate": ("Running",), "migrate_send": ("Running", "Halted", "Suspended"),
    "revert": ALL, "changing_dynamic_range": ("Halted", "Running"),
    "changing_static_range": ("Halted",), "changing_shadow_memory": ("Halted",),
    "changing_NVRAM": ("Halted",), "create_vtpm": ("Halted",), "assert_operation_valid": ALL,
    "changing_memory_limits": ("Halted",), "changing_VCPUs": ("Halted",), "import": ALL,
}
ALLOWED_OPS = ["snapshot", "clone", "copy", "start", "start_on", "pause", "unpause",
               "clean_shutdown", "clean_reboot", "hard_shutdown", "hard_reboot", "suspend",
               "resume", "resume_on", "export", "metadata_export", "destroy", "checkpoint",
               "provision", "make_into_template", "pool_migrate", "migrate_send", "revert",
               "changing_dynamic_range", "changing_static_range", "changing_shadow_memory",
               "changing_NVRAM", "create_vtpm"]
TEMPLATE_OK = {"clone", "copy", "export", "provision", "metadata_export", "changing_dynamic_range",
               "changing_static_range", "changing_shadow_memory", "changing_NVRAM",
               "changing_memory_limits", "changing_VCPUs", "destroy", "migrate_send",
               "assert_operation_valid", "import"}
SNAPSHOT_OK = {"revert", "clone", "copy", "export", "destroy", "hard_shutdown", "metadata_export",
               "assert_operation_valid", "import"}
DOM0_OK = {"metadata_export", "assert_operation_valid", "changing_dynamic_range"}
GUEST_FEATURES = {"clean_shutdown": ("feature-shutdown", "feature-poweroff"),
                  "clean_reboot": ("feature-shutdown", "feature-reboot"),
                  "suspend": ("feature-suspend",), "checkpoint": ("feature-suspend",)}


def _compatible(op, running):
    for other in running:
        if op in ("clone", "copy", "export") and other in ("clone", "copy", "export"):
            continue
        if op in ("snapshot", "checkpoint") and other in ("snapshot", "checkpoint"):
            continue
        if op == "hard_shutdown" and other != "hard_shutdown":
            continue
        if op == "hard_reboot" and other not in ("hard_shutdown", "hard_reboot"):
            continue
        return False
    return True


def check(ref, rec, op, gm=None, strict=False):
    """The first failing check as an XapiError, or None."""
    if op in rec["blocked_operations"]:
        return XapiError("OPERATION_BLOCKED", ref, rec["blocked_operations"][op])
    states = STATES.get(op, ALL)
    if op in ("clone", "copy") and rec["is_a_snapshot"]:
        states = ("Halted", "Suspended")
    if rec["power_state"] not in states:
        return XapiError("VM_BAD_POWER_STATE", ref,
                         ", ".join(s.lower() for s in ORDER if s in states),
                         rec["power_state"].lower())
    cur = rec["current_operations"]
    if cur and not _compatible(op, list(cur.values())):
        tasks, ops = list(cur.keys()), list(cur.values())
        if len(cur) == 1:
            return XapiError("OTHER_OPERATION_IN_PROGRESS", "VM", ref, ops[0], tasks[0])
        return XapiError("OTHER_OPERATION_IN_PROGRESS", "VM", ref,
                         "{%s}" % ",".join(ops), "{%s}" % ",".join(tasks))
    if rec["is_a_snapshot"]:
        if op not in SNAPSHOT_OK:
            return XapiError("VM_IS_SNAPSHOT", ref, op)
    elif rec["is_a_template"]:
        if op not in TEMPLATE_OK or (op in ("destroy", "migrate_send") and rec["is_default_template"]):
            return XapiError("VM_IS_TEMPLATE", ref, op)
    if rec["is_control_domain"] and op not in DOM0_OK:
        if op in ("destroy", "changing_VCPUs"):
            return XapiError("OPERATION_NOT_ALLOWED", "This operation is not allowed on dom0")
        return XapiError("OPERATION_NOT_ALLOWED", "This operation is not allowed on a control domain")
    if strict and op in GUEST_FEATURES and rec["HVM_boot_policy"]:
        other = gm["other"] if gm else {}
        if not any(other.get(f) == "1" for f in GUEST_FEATURES[op]):
            return XapiError("VM_LACKS_FEATURE", ref)
    if op == "provision" and not rec["is_a_template"]:
        return XapiError("OPERATION_NOT_ALLOWED", "provision needs a template")
    if op in ("make_into_template",) and rec["is_a_template"]:
        return XapiError("VM_IS_TEMPLATE", ref, op)
    if op in ("revert",) and not rec["is_a_snapshot"]:
        return XapiError("OPERATION_NOT_ALLOWED", "not a snapshot")
    return None


def allowed_operations(rec, gm=None, ref="OpaqueRef:NULL"):
    return [op for op in ALLOWED_OPS if check(ref, rec, op, gm, strict=True) is None]
