#!/usr/bin/python3
"""Thousands of open watch streams: do they starve ordinary requests, how fast does a change
reach every watcher, what does a stream cost in memory (issue 11).

    tests/bench/stream_bench.py BUILD [--vms 200] [--watchers 1000] [--waiters 1000] [--rate 10] [--seconds 10]
                                      [--rounds 3]

Starts the whole stack (tests/integration/gateway/stack.py), then in one run, --rounds times
(phases alternate, so that other jobs' load on the machine falls on all of them alike; each
round opens fresh watchers and waits and closes them; ratios over all rounds' requests):
  1. baseline: wrk -t2 -c32 on `GET /rest/v0/vms/<id>` with no stream open;
  1b. the same with the renames of step 4 running (--rate a second) and still no stream open:
     the figure step 4 is compared with (the issue's "same figure with no streams open"; the
     renames cost the simulator, the poller and the cache whether or not anyone watches);
  2. opens --watchers streams on `/vms?fields=name_label,power_state&ndjson&watch`
     (read by BUILD/tests/bench/watch_readers: one epoll thread in C++, a process of its own
     whose CPU is reported apart) and reads the stream role's memory
     (smaps_rollup) before and after;
  2b. starts an action that hangs in the simulator and opens --waiters
     `GET /rest/v0/tasks/<its id>?wait=result` requests (the workers hand them to the stream
     role: no worker thread is held) and reads the memory again;
  3. wrk again with the streams and waits open and idle;
  4. renames VMs --rate times a second for --seconds while wrk runs the same GET again;
     every line's arrival is matched to its rename: event -> client latency over all
     (watcher, change) pairs, changes a watcher never got or got twice;
  4b. (last round) as many renames with no wrk running (CPU of feeding the streams alone);
     each wrk phase and 4b report the cores every process used (stream role, workers, poller,
     nginx, simulator, the watch readers, this benchmark's Python, wrk): where the CPU goes;
  (once, at the end)
  5. the same renames polled with `GET /vms/<id>` (tests/bench/change_latency.py's "ours")
     with the watchers closed: the existing change-latency figure, same run;
  6. releases the action: how long until every waiter has its 200 (task end -> answer).
Prints the figures and the ratios (streams open / none)."""
import argparse
import os
import re
import resource
import selectors
import socket
import statistics
import subprocess
import sys
import threading
import time
import http.client
import json

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def wrk(port, path, token, seconds):
    out = subprocess.run(["wrk", "-t2", "-c32", "-d%ds" % seconds, "--latency",
                          "-H", "Cookie: authenticationToken=" + token,
                          "http://127.0.0.1:%d%s" % (port, path)], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    p99 = re.search(r"99%\s+([0-9.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1, "s": 1e3}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p99.group(1)) * scale, int(non2xx.group(1)) if non2xx else 0


def cpu_groups(stack):
    """The processes whose CPU time each phase reports, by name: the stream role, the workers,
    the poller, nginx's workers and the simulator (the benchmark and wrk are measured apart)."""
    from transfer_bench import _ppid  # noqa: E402 - same folder
    groups = {"stream role": stack.pids("stream"), "workers": stack.pids("worker"), "poller": stack.pids("poller"),
              "simulator": [sim.proc.pid for sim in stack.sims if getattr(sim, "proc", None)]}
    try:
        with open(os.path.join(stack.dir, "nginx/logs/nginx.pid")) as f:
            master = int(f.read())
        groups["nginx"] = [int(d) for d in os.listdir("/proc") if d.isdigit() and _ppid(int(d)) == master]
    except (OSError, ValueError):
        groups["nginx"] = []
    groups["watch readers (bench)"] = []  # the open Watchers' process (Watchers.pid)
    return groups


class CpuMeter:
    """CPU seconds spent by each group of processes, this benchmark's Python process (the
    renames, the idle waits) and its children that ended (wrk) while a `with` block runs."""

    def __init__(self, groups):
        self.groups = groups
        self.seconds, self.wall = {}, 0.0

    def _now(self):
        from transfer_bench import cpu_ticks  # noqa: E402
        t = os.times()
        tick = os.sysconf("SC_CLK_TCK")
        out = {name: cpu_ticks(pids) / tick for name, pids in self.groups.items()}
        out["benchmark (python)"] = t.user + t.system
        out["wrk"] = t.children_user + t.children_system
        return out, time.monotonic()

    def __enter__(self):
        self.start, self.t0 = self._now()
        return self

    def __exit__(self, *exc):
        end, t1 = self._now()
        for k in end:
            self.seconds[k] = self.seconds.get(k, 0.0) + end[k] - self.start[k]
        self.wall += t1 - self.t0

    def text(self):
        parts = ["%s %.2f" % (k, v / self.wall) for k, v in sorted(self.seconds.items(), key=lambda kv: -kv[1])]
        return "cores used (CPU s / wall s): " + ", ".join(parts) + "; total %.2f of 2" % (
            sum(self.seconds.values()) / self.wall)


def memory(pid):
    fields = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            m = re.match(r"(\w+):\s+(\d+) kB", line)
            if m:
                fields[m.group(1)] = int(m.group(2))
    return fields


class Watchers:
    """N open watch streams read by BUILD/tests/bench/watch_readers (one epoll thread in C++:
    the readers are the benchmark's, and a Python reader took 0.08-0.13 of a core from the
    server). `arrivals`, after close(): change index -> [(watcher, arrival time)]."""

    def __init__(self, build, port, token, path, n):
        self.proc = subprocess.Popen([os.path.join(build, "tests/bench/watch_readers"), str(port), path, str(n)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.proc.stdin.write(token + "\n")  # not in argv: ps shows it
        self.proc.stdin.flush()
        ready = self.proc.stdout.readline().strip()
        if ready != "ready":
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("watchers: " + (ready or "no answer"))
        self.pid = self.proc.pid
        self.arrivals, self.closed, self.bytes = {}, 0, 0

    def close(self):
        out, _ = self.proc.communicate("stop\n", timeout=120)
        for line in out.splitlines():
            parts = line.split()
            if parts[0] == "end":
                self.bytes, self.closed = int(parts[1]), int(parts[2])
            elif parts[0] != "error":
                self.arrivals.setdefault(int(parts[1]), []).append((int(parts[0]), float(parts[2])))
        if self.proc.returncode != 0:
            raise RuntimeError("watchers exited with %d: %s" % (self.proc.returncode, out[-200:]))


class Waiters:
    """N open `GET /tasks/<id>?wait=result`: none answered until the task ends."""

    def __init__(self, port, token, task_id, n):
        self.socks = []
        req = ("GET /rest/v0/tasks/%s?wait=result HTTP/1.1\r\nHost: x\r\nCookie: authenticationToken=%s\r\n"
               "Connection: close\r\n\r\n" % (task_id, token)).encode()
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(req)
            s.setblocking(False)
            self.socks.append(s)

    def close(self):
        for s in self.socks:
            s.close()

    def answered_early(self):
        early = 0
        for s in self.socks:
            try:
                if s.recv(1, socket.MSG_PEEK):
                    early += 1
            except BlockingIOError:
                pass
        return early

    def collect(self, t0, timeout=60):
        """Arrival (wall clock, after t0 in s since the epoch) of each complete 200 answer; how many were not 200."""
        sel = selectors.EpollSelector()
        for s in self.socks:
            sel.register(s, selectors.EVENT_READ, [b""])
        times, bad, left = [], 0, len(self.socks)
        deadline = time.monotonic() + timeout
        while left and time.monotonic() < deadline:
            for key, _ in sel.select(0.5):
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                if data:
                    key.data[0] += data
                    continue
                sel.unregister(key.fileobj)
                key.fileobj.close()
                left -= 1
                if key.data[0].startswith(b"HTTP/1.1 200") and b'"status":"success"' in key.data[0]:
                    times.append(time.time() - t0)
                else:
                    bad += 1
        return times, bad + left


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--vms", type=int, default=200)
    ap.add_argument("--watchers", type=int, default=1000)
    ap.add_argument("--waiters", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=10)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=4)
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by nginx and xapi-rest
    os.environ["XR_APP"] = os.path.join(os.path.abspath(a.build), "fcgi-app/xapi-rest")
    os.environ["XR_SOURCE_DIR"] = ROOT
    sys.path.insert(0, os.path.join(ROOT, "tests/integration/gateway"))
    from stack import Stack  # noqa: E402
    stack = Stack(vms=a.vms, hosts=3, workers=2, threads=8)
    watch_path = "/rest/v0/vms?fields=name_label,power_state&ndjson&watch"
    n = int(a.rate * a.seconds)
    sent = {}  # change index (all rounds) -> when it was made
    lat, missing, duplicate, closed, early, wait_times, wait_bad = [], 0, 0, 0, 0, [], 0
    w = None
    rps = {"base": [], "basechg": [], "idle": [], "load": []}
    p99s = {"base": [], "basechg": [], "idle": [], "load": []}
    errors = {"basechg": 0, "idle": 0, "load": 0}
    try:
        sim = stack.sims[0]
        vms = [v["uuid"] for v in stack.api("/rest/v0/vms?fields=uuid")]
        one = "/rest/v0/vms/" + vms[0]
        wd = max(3, a.seconds - 2)
        groups = cpu_groups(stack)
        cpu = {k: CpuMeter(groups) for k in ("base", "basechg", "idle", "load", "feed")}
        spid = stack.pids("stream")[0]
        # The waits: an action that hangs in the simulator until the end.
        running = [v["uuid"] for v in stack.api("/rest/v0/vms?fields=uuid,power_state&filter=power_state:Running")]
        victim = running[-1]
        renamed = [v for v in vms[1:] if v != victim]  # its suspension must not look like a rename
        sim.control("hang", {"method": "VM.suspend", "count": 1})
        r = stack.request("POST", "/rest/v0/vms/%s/actions/suspend" % victim, token=stack.token)
        task_id = r.json()["taskId"]

        def changes(first, prefix="bench"):
            start = time.monotonic()
            for i in range(first, first + n):
                delay = start + (i - first) / a.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                if prefix == "bench":
                    sent[i] = time.monotonic()
                sim.control("rename", {"ref": renamed[i % len(renamed)], "name": "%s-%d" % (prefix, i)})

        def measure(key, prefix=None, first=0):
            """wrk on one VM, its CPU under cpu[key]; with `prefix`, the renames run meanwhile."""
            ct = None
            if prefix:
                ct = threading.Thread(target=changes, args=(first, prefix))
                ct.start()
                time.sleep(1)
            with cpu[key]:
                out = wrk(stack.port, one, stack.token, wd)
            rps[key].append(out[0])
            p99s[key].append(out[1])
            errors[key] = errors.get(key, 0) + out[2]
            if ct:
                ct.join()

        # Rounds alternate the phases, so that the load other jobs put on the machine falls
        # on all of them alike; each round opens fresh watchers and waits and closes them.
        for rnd in range(a.rounds):
            last = rnd == a.rounds - 1
            measure("base")
            measure("basechg", "nostream", rnd * n)  # the same renames, no stream (names of their own)
            if rnd == 0:  # memory: the first round (later ones reuse what the first freed)
                mem0 = memory(spid)
            t_open = time.monotonic()
            w = Watchers(a.build, stack.port, stack.token, watch_path, a.watchers)
            groups["watch readers (bench)"][:] = [w.pid]
            t_open = time.monotonic() - t_open
            time.sleep(1)
            if rnd == 0:
                mem1 = memory(spid)
            t_wait = time.monotonic()
            waits = Waiters(stack.port, stack.token, task_id, a.waiters)
            t_wait = time.monotonic() - t_wait
            time.sleep(2)
            early += waits.answered_early()
            if rnd == 0:
                mem_w = memory(spid)
            measure("idle")  # streams open, no change
            first = rnd * n
            measure("load", "bench", first)
            if last:
                # As many changes reaching the streams with no wrk running: what feeding them
                # costs (other names: the latency figures keep the rounds' own).
                with cpu["feed"]:
                    changes(first, "feed")
            time.sleep(2)
            if rnd == 0:
                mem2 = memory(spid)
            early += waits.answered_early()
            w.close()
            groups["watch readers (bench)"][:] = []
            closed += w.closed
            for i in range(first, first + n):
                got = w.arrivals.get(i, [])
                seen = {watcher for watcher, _ in got}
                missing += a.watchers - len(seen)
                duplicate += len(got) - len(seen)
                lat += [t - sent[i] for _, t in got]
            if not last:
                waits.close()
        sim.control("release", {"method": "VM.suspend"})
        arrivals, wait_bad = waits.collect(0)
        # Task end (the runner's commit, in the task record) -> each waiter's complete answer.
        end_s = stack.api("/rest/v0/tasks/" + task_id)["end"] / 1e3
        wait_times = [t - end_s for t in arrivals]
        # Same-run reference: a rename polled with GET /vms/<id> (change_latency.py's "ours").
        conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
        poll = []
        for i in range(20):
            time.sleep(0.1 + 0.1 * ((i * 37) % 10) / 10)
            t0 = time.monotonic()
            sim.control("rename", {"ref": vms[0], "name": "poll-%d" % i})
            while True:
                conn.request("GET", one, headers={"Cookie": "authenticationToken=" + stack.token})
                if json.loads(conn.getresponse().read())["name_label"] == "poll-%d" % i:
                    poll.append(time.monotonic() - t0)
                    break
    finally:
        if w is not None and w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()
        stack.stop()
    per_stream = (mem1["Pss"] - mem0["Pss"]) / a.watchers
    per_wait = (mem_w["Pss"] - mem1["Pss"]) / max(1, a.waiters)
    print("stream bench: %d VMs, %d watchers on vms?fields=name_label,power_state&ndjson&watch, "
          "%d renames at %g/s per round, %d rounds (memory: the first round)" % (a.vms, a.watchers, n, a.rate, a.rounds))
    print("  opening %d watches: %.2f s" % (a.watchers, t_open))
    if a.waiters:
        print("  %d outstanding GET /tasks/<id>?wait=result (workers: 2 x 8 threads): opened in %.2f s, %d answered "
              "before the task ended; stream role +%d kB Pss (%.1f KiB per wait); task end -> answer: "
              "p50 %.1f ms  p99 %.1f ms  max %.1f ms over %d answers, %d missing or not 200" %
              (a.waiters, t_wait, early, mem_w["Pss"] - mem1["Pss"], per_wait,
               statistics.median(wait_times) * 1e3 if wait_times else -1,
               pct(wait_times, 0.99) * 1e3 if wait_times else -1, max(wait_times or [0]) * 1e3,
               len(wait_times), wait_bad))
    print("  event -> client over %d (watcher, change) pairs: p50 %.1f ms  p99 %.1f ms  max %.1f ms; missing %d, "
          "duplicate %d, streams ended by the server %d" %
          (len(lat), statistics.median(lat) * 1e3, pct(lat, 0.99) * 1e3, max(lat) * 1e3, missing, duplicate, closed))
    print("  same-run GET /vms/<id> polling (change_latency 'ours'): p50 %.1f ms  p90 %.1f ms" %
          (statistics.median(poll) * 1e3, pct(poll, 0.9) * 1e3))

    def per_round(key):
        return " ".join("%.0f" % v for v in rps[key])

    base, basechg, idle, load = (sum(rps[k]) for k in ("base", "basechg", "idle", "load"))
    print("  GET /vms/<id> wrk -t2 -c32, req/s per round: no streams %s (p99 %.1f ms); no streams + changes %s "
          "(p99 %.1f ms, %d errors); %d idle streams + %d waits %s "
          "(p99 %.1f ms, %d errors); %d streams + %d waits + changes %s (p99 %.1f ms, %d errors)" %
          (per_round("base"), max(p99s["base"]), per_round("basechg"), max(p99s["basechg"]), errors["basechg"],
           a.watchers, a.waiters, per_round("idle"), max(p99s["idle"]),
           errors["idle"], a.watchers, a.waiters, per_round("load"), max(p99s["load"]), errors["load"]))
    print("  ratios (all rounds' requests): idle streams / no streams %.2f; streams + changes / no streams + the "
          "same changes %.2f (the goal's figure; / no streams and no changes %.2f); per round: idle %s, changes %s" %
          (idle / base, load / basechg, load / base,
           " ".join("%.2f" % (i / b) for i, b in zip(rps["idle"], rps["base"])),
           " ".join("%.2f" % (x / b) for x, b in zip(rps["load"], rps["basechg"]))))
    # Requests per CPU second of the gateway's own processes: what the machine's other jobs
    # take away from us cancels out; what feeding the streams costs nginx and us stays in.
    gateway = ("nginx", "workers", "stream role", "poller")
    per_cpu = {k: sum(rps[k]) * wd / sum(cpu[k].seconds[g] for g in gateway)
               for k in ("base", "basechg", "idle", "load")}
    print("  GET /vms/<id> requests per CPU second of nginx + xapi-rest (workers, stream role, poller): no streams "
          "%.0f, idle streams %.0f (ratio %.2f); no streams + changes %.0f, streams + changes %.0f (ratio %.2f)" %
          (per_cpu["base"], per_cpu["idle"], per_cpu["idle"] / per_cpu["base"], per_cpu["basechg"], per_cpu["load"],
           per_cpu["load"] / per_cpu["basechg"]))
    for name, meter in (("no streams", cpu["base"]), ("no streams + changes", cpu["basechg"]),
                        ("idle streams", cpu["idle"]),
                        ("streams + changes", cpu["load"]), ("changes alone, no wrk", cpu["feed"])):
        print("  %s: %s" % (name, meter.text()))
    print("  stream role memory: Pss %d -> %d kB with the streams open (%.1f KiB per stream), "
          "%d kB after the changes; Private %d -> %d kB" %
          (mem0["Pss"], mem1["Pss"], per_stream, mem2["Pss"],
           mem0.get("Private_Dirty", 0) + mem0.get("Private_Clean", 0),
           mem2.get("Private_Dirty", 0) + mem2.get("Private_Clean", 0)))
    # One short line for `make bench`'s table (tests/bench/run-all.sh), with the load it ran at.
    print("goal ratio %.2f raw, %.2f per CPU second (>= 0.8), event -> client p99 %.0f ms (< 100), missing %d, "
          "load %.1f" % (load / basechg, per_cpu["load"] / per_cpu["basechg"], pct(lat, 0.99) * 1e3, missing,
                         os.getloadavg()[0]))


if __name__ == "__main__":
    main()
