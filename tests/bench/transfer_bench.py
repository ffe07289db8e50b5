#!/usr/bin/python3
"""Transfers through xapi-rest vs curl straight against the simulator, in one run (issue 12).

    tests/bench/transfer_bench.py BUILD [--gib 4] [--reps 3] [--baseline-app BIN] [--spool-dir DIR] [--only REGEX]

Starts the whole stack (tests/integration/gateway/stack.py: simulator + `xapi-rest serve`
+ nginx), makes a VDI of --gib GiB on the shared SR filled with non-zero data (a repeated
64 MiB random pattern, so nothing can be skipped as sparse), then, reps interleaved:
  - export raw:  curl -o /dev/null  <sim>/export_raw_vdi?format=raw  vs  <nginx>/rest/v0/vdis/<id>.raw
  - import raw:  curl -T image      <sim>/import_raw_vdi?format=raw  vs  PUT <nginx>/rest/v0/vdis/<id>.raw
                 (ours includes nginx spooling the body to disk before the gateway streams it)
  - NBD export:  <nginx>/rest/v0/vdis/<id>.raw?preferNbd&nbdConcurrency=4  vs  =1
  - export accel: the same raw export from a second xapi-rest + nginx on the same simulator
                 with [transfer] accel_redirect = true (nginx streams from XAPI itself)
  - export static: the same bytes served by the stack's nginx as a static file (sendfile):
                 the ceiling of any path through nginx on this machine
For each variant the CPU seconds spent by every process on the path (simulator, xapi-rest's
processes, nginx's, curl) are summed and printed per GiB: on a shared 2-core machine that
cost is steadier than the wall-clock rate.
While each gateway transfer runs, the RSS of the transfer role and of every worker is sampled
every 0.1 s; the maximum is printed (target ≤ 64 MiB, flat). Prints MB/s per rep, medians and
the ratios (target ≥ 0.9 for exports and imports). MB = 10^6 bytes."""
import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
sys.path.insert(0, os.path.join(ROOT, "tests/integration/gateway"))
MIB = 1 << 20


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"VmRSS:\s+(\d+) kB", f.read())
            return int(m.group(1)) if m else 0
    except OSError:
        return 0


class RssSampler:
    def __init__(self, pids):
        self.pids, self.max, self.stop_ = pids, {p: 0 for p in pids}, threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop_.is_set():
            for p in self.pids:
                self.max[p] = max(self.max[p], rss_kib(p))
            time.sleep(0.1)

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *a):
        self.stop_.set()
        self.t.join()


def timed(cmd):
    """(wall seconds, CPU ticks of the child curl)."""
    start = time.monotonic()
    before = os.times()
    r = subprocess.run(cmd, capture_output=True, timeout=3600)
    after = os.times()
    if r.returncode != 0:
        raise RuntimeError("%s: %s" % (cmd, r.stderr.decode()))
    child = (after.children_user + after.children_system - before.children_user - before.children_system)
    return time.monotonic() - start, child * os.sysconf("SC_CLK_TCK")


def cpu_ticks(pids):
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return total


def path_pids(stack):
    """Every process a transfer crosses: the simulator(s), xapi-rest's, nginx's."""
    out = [sim.proc.pid for sim in stack.sims if getattr(sim, "proc", None)] if stack.own_sims else []
    out += stack.pids("worker") + stack.pids("transfer")
    master = os.path.join(stack.dir, "nginx/logs/nginx.pid")
    try:
        with open(master) as f:
            mpid = int(f.read())
        out += [int(d) for d in os.listdir("/proc") if d.isdigit() and _ppid(int(d)) == mpid]
    except (OSError, ValueError):
        pass
    return out


def _ppid(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return -1


def move_spool(stack, parent):
    """The stack's spool becomes a link to a new folder under `parent` (same owner and mode):
    nginx opens its temp path by name per request, xapi-rest resolves the link."""
    spool = os.path.join(stack.dir, "nginx/tmp/client_body")
    st = os.stat(spool)
    target = tempfile.mkdtemp(prefix="xr-spool-", dir=parent)
    os.chown(target, st.st_uid, st.st_gid)
    os.chmod(target, st.st_mode & 0o7777)
    os.rmdir(spool)
    os.symlink(target, spool)
    stack.spool_target = target


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--gib", type=float, default=4)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--baseline-app", default="",
                    help="another xapi-rest binary (e.g. main's before a change): its raw export and import "
                         "are timed in the same run as 'export before' and 'import before', from a third "
                         "stack on the same simulator")
    ap.add_argument("--spool-dir", default="",
                    help="put the stacks' upload spool (nginx's client_body_temp_path, [transfer] spool_dir) "
                         "in a fresh folder under this one, e.g. /dev/shm for tmpfs (default: the stack's "
                         "folder, on disk)")
    ap.add_argument("--only", default="",
                    help="a regex: time only the variants whose name matches (e.g. 'import')")
    args = ap.parse_args()
    os.environ["XR_APP"] = os.path.join(os.path.abspath(args.build), "fcgi-app/xapi-rest")
    os.environ["XR_SOURCE_DIR"] = ROOT
    from stack import Stack, wait_until
    from transfer_support import Xapi
    size = int(args.gib * 1024) * MIB
    s = Stack(vms=4, hosts=1, transfer_config="max_concurrent = 4")
    accel = before = None
    tmp = tempfile.mkdtemp(prefix="xr-transfer-bench-", dir="/var/tmp")
    try:
        x = Xapi(s.sims[0])
        sr = x.shared_sr()
        vdi = x.new_vdi(sr, size, "bench")
        uuid = x.call("VDI.get_uuid", vdi)
        image = os.path.join(tmp, "image.raw")
        pattern = random.Random(1).randbytes(64 * MIB)
        with open(x.disk_path(vdi), "r+b") as disk, open(image, "wb") as img:
            for _ in range(size // len(pattern)):
                disk.write(pattern)
                img.write(pattern)
        os.chmod(tmp, 0o755)  # nginx's workers may run as another user
        os.chmod(image, 0o644)
        os.symlink(image, os.path.join(s.dir, "nginx/static/image.raw"))
        wait_until(lambda: s.get("/rest/v0/vdis/" + uuid, token=s.token).status == 200, 30, "the VDI")
        pifs = x.call("PIF.get_all_records")
        x.call("network.add_purpose", next(p["network"] for p in pifs.values() if p["management"]), "insecure_nbd")
        accel = Stack.attach(s.sims, transfer_config="max_concurrent = 4\naccel_redirect = true")
        if args.baseline_app:
            import stack as stack_module
            mine, stack_module.APP = stack_module.APP, os.path.abspath(args.baseline_app)
            try:
                before = Stack.attach(s.sims, transfer_config="max_concurrent = 4")
            finally:
                stack_module.APP = mine
        if args.spool_dir:
            for st in (s, accel, before):
                if st is not None:
                    move_spool(st, args.spool_dir)
        direct = "%s%%s?vdi=%s&format=raw&session_id=%s" % (s.sims[0].url, vdi, x.session)
        ours = "http://127.0.0.1:%d/rest/v0/vdis/%s.raw" % (s.port, uuid)
        cookie = ["-b", "authenticationToken=" + s.token]
        pids = s.pids("transfer") + s.pids("worker")
        variants = {
            "export direct": ["curl", "-sS", "-o", "/dev/null", direct % "/export_raw_vdi"],
            "export gateway": ["curl", "-sS", "-f", "-o", "/dev/null"] + cookie + [ours],
            "import direct": ["curl", "-sS", "-f", "-o", "/dev/null", "-T", image, direct % "/import_raw_vdi"],
            "import gateway": ["curl", "-sS", "-f", "-o", "/dev/null", "-X", "PUT", "-T", image] + cookie + [ours],
            "export accel": ["curl", "-sS", "-f", "-o", "/dev/null", "-b", "authenticationToken=" + accel.token,
                             "http://127.0.0.1:%d/rest/v0/vdis/%s.raw" % (accel.port, uuid)],
            **({"export before": ["curl", "-sS", "-f", "-o", "/dev/null", "-b", "authenticationToken=" + before.token,
                                   "http://127.0.0.1:%d/rest/v0/vdis/%s.raw" % (before.port, uuid)],
                "import before": ["curl", "-sS", "-f", "-o", "/dev/null", "-X", "PUT", "-T", image,
                                  "-b", "authenticationToken=" + before.token,
                                  "http://127.0.0.1:%d/rest/v0/vdis/%s.raw" % (before.port, uuid)]}
               if before is not None else {}),
            "export static": ["curl", "-sS", "-f", "-o", "/dev/null", "http://127.0.0.1:%d/static/image.raw" % s.port],
            "nbd x1": ["curl", "-sS", "-f", "-o", "/dev/null"] + cookie + [ours + "?preferNbd&nbdConcurrency=1"],
            "nbd x4": ["curl", "-sS", "-f", "-o", "/dev/null"] + cookie + [ours + "?preferNbd&nbdConcurrency=4"],
        }
        if args.only:
            variants = {k: v for k, v in variants.items() if re.search(args.only, k)}
        # warm-up (not timed): the simulator starts its nbdkit on the first NBD request
        timed(["curl", "-sS", "-f", "-o", "/dev/null", "-r", "0-1023"] + cookie + [ours + "?preferNbd"])
        if "export accel" in variants:
            timed(variants["export accel"])
        rates = {k: [] for k in variants}
        cpu = {k: [] for k in variants}
        peak = {}
        for rep in range(args.reps):
            for name, cmd in variants.items():
                path = path_pids(s) + path_pids(accel) + (path_pids(before) if before is not None else [])
                ticks0 = cpu_ticks(path)
                with RssSampler(pids) as sampler:
                    seconds, child = timed(cmd)
                cpu[name].append((cpu_ticks(path) - ticks0 + child) / os.sysconf("SC_CLK_TCK") / (size / (1 << 30)))
                rates[name].append(size / seconds / 1e6)
                if "gateway" in name or "nbd" in name:
                    for p, k in sampler.max.items():
                        peak[p] = max(peak.get(p, 0), k)
                print("rep %d  %-15s %7.1f MB/s  (%.1f s, %.2f CPU s/GiB)" % (rep + 1, name, rates[name][-1], seconds,
                                                                         cpu[name][-1]), flush=True)
        med = {k: statistics.median(v) for k, v in rates.items()}
        print("\n%.1f GiB, %d reps, medians (MB/s):" % (args.gib, args.reps))
        for k, v in med.items():
            print("  %-15s %7.1f   reps %s   CPU s/GiB %.2f" % (k, v, " ".join("%.0f" % r for r in rates[k]),
                                                              statistics.median(cpu[k])))
        for label, a, b, note in (("export gateway/direct", "export gateway", "export direct", ""),
                                  ("export accel/direct", "export accel", "export direct", ""),
                                  ("export before/direct", "export before", "export direct", ""),
                                  ("export static/direct", "export static", "export direct", "   (nginx's ceiling)"),
                                  ("export accel/static", "export accel", "export static", ""),
                                  ("import gateway/direct", "import gateway", "import direct", ""),
                                  ("import before/direct", "import before", "import direct", ""),
                                  ("import gateway/before", "import gateway", "import before", ""),
                                  ("NBD x4 / x1", "nbd x4", "nbd x1", "")):
            if a in med and b in med:
                print("ratio %-22s %.2f%s" % (label + ":", med[a] / med[b], note))
        roles = {p: ("transfer" if p in s.pids("transfer") else "worker") for p in pids}
        for p, k in peak.items():
            print("peak RSS %-8s pid %d: %.1f MiB" % (roles[p], p, k / 1024))
    finally:
        for extra in (accel, before):
            if extra is not None:
                try:
                    extra.stop()
                except Exception as e:  # the main stack and the image must go anyway
                    print("stopping a second stack: %s" % e, file=sys.stderr)
        s.stop()
        subprocess.run(["rm", "-rf", tmp])
        for st in (s, accel, before):
            if st is not None and getattr(st, "spool_target", None):
                subprocess.run(["rm", "-rf", st.spool_target])


if __name__ == "__main__":
    main()
