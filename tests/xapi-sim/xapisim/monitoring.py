"""What XO reads from a host besides the datamodel (reference: xen-api's rrdd_proxy.ml,
xapi-rrd's rrd_updates.ml, XCP-ng's host plugins):

- GET /rrd_updates?session_id&start&interval&cf=AVERAGE[&host=true][&json=true][&vm_uuid]:
  the RRD rows of the host the request reached (the master on the main listener, a supporter
  on its own with --serve-supporters) and of the VMs running there, newest row first, legend
  entries "AVERAGE:host|vm:<uuid>:<metric>"; JSON with values as strings (xapi >= 23.31) or
  the rrdtool xport XML. Values are a deterministic function of (uuid, metric, time): stats
  vary but two reads of the same second agree. Missing `start` → 400, bad session → 401.
- host.call_plugin: updater.py check_update (a JSON list of yum updates: two on the first
  host, one on the second, none elsewhere), hyperthreading.py get_hyperthreading ("true" or
  "false"); XENAPI_MISSING_PLUGIN / UNKNOWN_XENAPI_PLUGIN_FUNCTION otherwise.
- GET /host_logs_download?session_id: a small .tar.gz of the host's logs."""
import calendar
import hashlib
import ipaddress
import io
import json
import tarfile
import time
import urllib.parse

from . import coerce
from .wire import XapiError

STEPS = [(5, 120), (60, 120), (3600, 168), (86400, 366)]   # RRA step (s) and rows

UPDATES = [
    {"name": "openssh", "version": "7.4p1", "release": "23.3.2.xcpng8.3", "size": 429044,
     "license": "BSD", "url": "http://www.openssh.com/portable.html",
     "description": "An open source implementation of SSH protocol versions 1 and 2",
     "changelog": {"date": 1742212800, "author": "XCP-ng packager - 7.4p1-23.3.2",
                   "description": "- Fix CVE-2025-26465"}},
    {"name": "xapi-core", "version": "24.19.2", "release": "1.4.xcpng8.3", "size": 8123456,
     "license": "LGPL+linking exception", "url": "https://github.com/xapi-project/xen-api",
     "description": "The xapi toolstack",
     "changelog": {"date": 1740000000, "author": "XCP-ng packager - 24.19.2-1.4",
                   "description": "- Fix a race in event.from"}},
]


def _noise(*parts):
    """A deterministic value in [0, 1) of its arguments."""
    h = hashlib.blake2b(":".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return int.from_bytes(h, "little") / 2.0 ** 64


def _fmt(v):
    if v != v:  # NaN
        return "NaN"
    return "0.0" if v == 0 else "%.4f" % v


def _host_metrics(db, host_ref):
    """[(name, fn(t) -> value)] of a host."""
    rec = db.get("host", host_ref)
    uuid = rec["uuid"]
    hm = db.get("host_metrics", rec["metrics"]) if rec["metrics"] != "OpaqueRef:NULL" else None
    total = (hm["memory_total"] if hm else 256 << 30) // 1024
    free = (hm["memory_free"] if hm else 128 << 30) // 1024
    out = [("cpu%d" % i, lambda t, i=i: 0.05 + 0.6 * _noise(uuid, "cpu", i, t))
           for i in range(len(rec["host_CPUs"]) or 4)]
    out += [("cpu_avg", lambda t: 0.05 + 0.5 * _noise(uuid, "cpu_avg", t)),
            ("memory_total_kib", lambda t: float(total)),
            ("memory_free_kib", lambda t: float(free) * (0.95 + 0.05 * _noise(uuid, "free", t))),
            ("loadavg", lambda t: 4 * _noise(uuid, "load", t)),
            ("running_vcpus", lambda t: float(sum(db.get("VM", v)["VCPUs_max"] for v in rec["resident_VMs"]))),
            ("memory_reclaimed", lambda t: 0.0), ("memory_reclaimed_max", lambda t: float(free // 2))]
    for p in rec["PIFs"]:
        dev = db.get("PIF", p)["device"]
        if dev.startswith("eth") and db.get("PIF", p)["VLAN"] == -1:
            out += [("pif_%s_%s" % (dev, d), lambda t, dev=dev, d=d: 1e6 * _noise(uuid, dev, d, t))
                    for d in ("rx", "tx")]
    out += [("pif_aggr_%s" % d, lambda t, d=d: 2e6 * _noise(uuid, "aggr", d, t)) for d in ("rx", "tx")]
    for pbd in rec["PBDs"]:
        sr = db.get("SR", db.get("PBD", pbd)["SR"])
        if sr["content_type"] == "iso":
            continue
        s8 = sr["uuid"][:8]
        for m, scale in (("iops_read", 300), ("iops_write", 200), ("iops_total", 500),
                         ("io_throughput_read", 40), ("io_throughput_write", 30),
                         ("io_throughput_total", 70), ("read_latency", 900), ("write_latency", 1200),
                         ("latency", 1000), ("iowait", 0.2)):
            out.append(("%s_%s" % (m, s8), lambda t, m=m, s8=s8, scale=scale: scale * _noise(uuid, m, s8, t)))
    return uuid, out


def _vm_metrics(db, vm_ref, now):
    rec = db.get("VM", vm_ref)
    uuid = rec["uuid"]
    vm_metrics = db.get("VM_metrics", rec["metrics"])
    started = calendar.timegm(time.strptime(vm_metrics["start_time"].text, "%Y%m%dT%H:%M:%SZ"))
    memory = float(vm_metrics["memory_actual"] or rec["memory_dynamic_max"])

    def alive(fn):  # no data before the VM started
        return lambda t: fn(t) if t >= started else float("nan")
    out = [("cpu%d" % i, alive(lambda t, i=i: 0.9 * _noise(uuid, "cpu", i, t))) for i in range(rec["VCPUs_max"])]
    out += [("cpu_usage", alive(lambda t: 0.8 * _noise(uuid, "usage", t))),
            ("memory", alive(lambda t: memory)),
            ("memory_target", alive(lambda t: float(rec["memory_target"])))]
    if rec["guest_metrics"] != "OpaqueRef:NULL":
        out.append(("memory_internal_free", alive(lambda t: memory / 1024 * 0.6 * _noise(uuid, "mif", t))))
    for r in ("runstate_fullrun", "runstate_full_contention", "runstate_partial_run",
              "runstate_partial_contention", "runstate_concurrency_hazard", "runstate_blocked"):
        out.append((r, alive(lambda t, r=r: 0.3 * _noise(uuid, r, t))))
    for v in rec["VIFs"]:
        dev = db.get("VIF", v)["device"]
        out += [("vif_%s_%s" % (dev, d), alive(lambda t, dev=dev, d=d: 5e5 * _noise(uuid, "vif", dev, d, t)))
                for d in ("rx", "tx", "rx_errors", "tx_errors")]
    for b in rec["VBDs"]:
        vbd = db.get("VBD", b)
        if vbd["type"] != "Disk" or not vbd["device"]:
            continue
        dev = vbd["device"]
        for m, scale in (("read", 2e7), ("write", 1e7), ("read_latency", 800), ("write_latency", 900),
                         ("iops_read", 200), ("iops_write", 100), ("iops_total", 300), ("iowait", 0.1),
                         ("inflight", 4), ("avgqu_sz", 2), ("io_throughput_read", 20),
                         ("io_throughput_write", 10), ("io_throughput_total", 30), ("latency", 850)):
            out.append(("vbd_%s_%s" % (dev, m), alive(lambda t, dev=dev, m=m, scale=scale: scale * _noise(uuid, dev, m, t))))
    return uuid, out


def rrd_updates(sim, host_ref, query, now):
    """(content_type, body) of /rrd_updates for `host_ref`; XapiError-free: raises ValueError
    for a bad request."""
    if "start" not in query:
        raise ValueError("missing the 'start' parameter")
    start = int(float(query["start"]))
    interval = int(float(query.get("interval", "5") or 5))
    db = sim.db
    with db.lock:
        series = []  # (legend prefix, [(metric, fn)])
        if query.get("host", "false").lower() == "true":
            uuid, metrics = _host_metrics(db, host_ref)
            series.append(("host:" + uuid, metrics))
        wanted = query.get("vm_uuid")
        for vm in db.get("host", host_ref)["resident_VMs"]:
            rec = db.get("VM", vm)
            if rec["is_control_domain"] or (wanted and rec["uuid"] != wanted):
                continue
            uuid, metrics = _vm_metrics(db, vm, now)
            series.append(("vm:" + uuid, metrics))
    if start < 0:
        start = int(now) + start
    step, rows = STEPS[-1]
    for s, n in STEPS:  # the finest archive at least as coarse as `interval` that reaches `start`
        if s >= interval and now - s * n <= start:
            step, rows = s, n
            break
    end = int(now) // step * step
    times = [end - i * step for i in range(rows) if end - i * step >= start]
    legend = ["AVERAGE:%s:%s" % (prefix, m) for prefix, metrics in series for m, _ in metrics]
    fns = [fn for _, metrics in series for _, fn in metrics]
    data = [(t, [_fmt(fn(t)) for fn in fns]) for t in times]
    first = times[-1] if times else end
    if query.get("json", "false").lower() == "true":
        body = json.dumps({"meta": {"start": first, "step": step, "end": end, "rows": len(data),
                                    "columns": len(legend), "legend": legend},
                           "data": [{"t": t, "values": v} for t, v in data]}, separators=(",", ":"))
        return "application/json", body
    parts = ['<?xml version="1.0" encoding="UTF-8"?><xport><meta><start>%d</start><step>%d</step>'
             '<end>%d</end><rows>%d</rows><columns>%d</columns><legend>' % (first, step, end, len(data), len(legend))]
    parts += ["<entry>%s</entry>" % e for e in legend]
    parts.append("</legend></meta><data>")
    for t, values in data:
        parts.append("<row><t>%d</t>%s</row>" % (t, "".join("<v>%s</v>" % v for v in values)))
    parts.append("</data></xport>")
    return "text/xml", "".join(parts)


def host_logs(sim, host_ref):
    rec = sim.db.get("host", host_ref)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.USTAR_FORMAT) as tar:
        for name, text in (("var/log/xensource.log", "%s xapi: [ info||] started\n" % rec["hostname"]),
                           ("var/log/messages", "%s kernel: Linux version 4.19.0+1\n" % rec["hostname"])):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1700000000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _reached_host(req):
    return getattr(req.sim, "host_ref", None) or req.sim.master_ref


def _http(handler):
    """Wraps an HTTP handler: query parsing and session_id check (401 as xapi)."""
    def wrapped(req):
        query = {k: v[0] for k, v in urllib.parse.parse_qs(req.path.partition("?")[2],
                                                              keep_blank_values=True).items()}
        if not req.sim.check_session(query.get("session_id", "")):
            return req.send_raw(401, "<html><h1>HTTP 401 unauthorised</h1></html>", "text/html",
                                close=True)
        return handler(req, query)
    return wrapped


def register(sim):
    add = sim.api.add

    def call_plugin(sim, s, host, plugin, fn, args):
        host, plugin, fn = coerce.to_str(host), coerce.to_str(plugin), coerce.to_str(fn)
        sim.db.get("host", host)
        index = sorted(sim.db.refs("host"), key=lambda h: ipaddress.ip_address(
            sim.db.get("host", h)["address"])).index(host)  # the master first, then 127.0.0.2, ...
        if plugin == "updater.py":
            updated = sim.db.get("host", host)["other_config"].get("sim:updated") == "true"
            if fn == "update":     # yum update: the host has nothing left to install
                if not updated:
                    time.sleep(sim.config.op_delay)
                    sim.db.map_put("host", host, "other_config", "sim:updated", "true")
                return ""
            if fn != "check_update":
                raise XapiError("UNKNOWN_XENAPI_PLUGIN_FUNCTION", fn)
            return json.dumps([] if updated else UPDATES[:max(0, 2 - index)])
        if plugin == "hyperthreading.py":
            if fn != "get_hyperthreading":
                raise XapiError("UNKNOWN_XENAPI_PLUGIN_FUNCTION", fn)
            return "true" if index % 2 == 0 else "false"
        extra = sim.plugins.get(plugin)   # other modules' plugins (sr_ops: trim)
        if extra is not None:
            return extra(sim, host, fn, coerce.to_map(args))
        raise XapiError("XENAPI_MISSING_PLUGIN", plugin)
    add("host.call_plugin", call_plugin, 4, asyncable=True)

    def get_rrd_updates(req, query):
        try:
            ctype, body = rrd_updates(req.sim, _reached_host(req), query, time.time())
        except ValueError as e:
            return req.send_raw(400, str(e), "text/plain", close=True)
        return req.send_raw(200, body, ctype, close=True)
    sim.add_route("GET", "/rrd_updates", _http(get_rrd_updates))

    def get_host_logs(req, query):
        return req.send_raw(200, host_logs(req.sim, _reached_host(req)), "application/octet-stream", close=True)
    sim.add_route("GET", "/host_logs_download", _http(get_host_logs))
