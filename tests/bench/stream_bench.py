#!/usr/bin/python3
"""Thousands of open watch streams: do they starve ordinary requests, how fast does a change
reach every watcher, what does a stream cost in memory (issue 11).

    tests/bench/stream_bench.py BUILD [--vms 200] [--watchers 1000] [--waiters 1000] [--rate 10] [--seconds 10]

Starts the whole stack (tests/integration/gateway/stack.py), then in one run:
  1. baseline: wrk -t2 -c32 on `GET /rest/v0/vms/<id>` with no stream open;
  2. opens --watchers streams on `/vms?fields=name_label,power_state&ndjson&watch`
     (raw sockets, one reader thread with epoll) and reads the stream role's memory
     (smaps_rollup) before and after;
  2b. starts an action that hangs in the simulator and opens --waiters
     `GET /rest/v0/tasks/<its id>?wait=result` requests (the workers hand them to the stream
     role: no worker thread is held) and reads the memory again;
  3. wrk again with the streams and waits open and idle;
  4. renames VMs --rate times a second for --seconds while wrk runs the same GET again;
     every line's arrival is matched to its rename: event -> client latency over all
     (watcher, change) pairs, and changes a watcher never got;
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


def wrk(port, path, token, seconds):
    out = subprocess.run(["wrk", "-t2", "-c32", "-d%ds" % seconds, "--latency",
                          "-H", "Cookie: authenticationToken=" + token,
                          "http://127.0.0.1:%d%s" % (port, path)], capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))
    p99 = re.search(r"99%\s+([0-9.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1, "s": 1e3}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, float(p99.group(1)) * scale, int(non2xx.group(1)) if non2xx else 0


def memory(pid):
    fields = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            m = re.match(r"(\w+):\s+(\d+) kB", line)
            if m:
                fields[m.group(1)] = int(m.group(2))
    return fields


class Watchers:
    def __init__(self, port, token, path, n):
        self.sel = selectors.EpollSelector()
        self.arrivals = {}  # change index -> list of arrival times
        self.lock = threading.Lock()
        self.socks = []
        req = ("GET %s HTTP/1.1\r\nHost: x\r\nCookie: authenticationToken=%s\r\n\r\n" % (path, token)).encode()
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(req)
            self.socks.append(s)
        for s in self.socks:  # every head before the changes start
            head = b""
            while b"\r\n\r\n" not in head:
                head += s.recv(4096)
            if b" 200 " not in head.split(b"\r\n")[0]:
                raise RuntimeError("watch refused: " + head.decode(errors="replace")[:200])
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, [b""])
        self.stop = False
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        pat = re.compile(rb"bench-(\d+)\"")
        while not self.stop:
            for key, _ in self.sel.select(0.2):
                now = time.monotonic()
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                if not data:
                    self.sel.unregister(key.fileobj)
                    continue
                buf = key.data[0] + data
                cut = buf.rfind(b"\n")
                text, key.data[0] = (buf[:cut + 1], buf[cut + 1:]) if cut >= 0 else (b"", buf)
                with self.lock:
                    for m in pat.finditer(text):
                        self.arrivals.setdefault(int(m.group(1)), []).append(now)

    def close(self):
        self.stop = True
        self.thread.join()
        for s in self.socks:
            s.close()


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
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by nginx and xapi-rest
    os.environ["XR_APP"] = os.path.join(os.path.abspath(a.build), "fcgi-app/xapi-rest")
    os.environ["XR_SOURCE_DIR"] = ROOT
    sys.path.insert(0, os.path.join(ROOT, "tests/integration/gateway"))
    from stack import Stack  # noqa: E402
    stack = Stack(vms=a.vms, hosts=3, workers=2, threads=8)
    try:
        sim = stack.sims[0]
        vms = [v["uuid"] for v in stack.api("/rest/v0/vms?fields=uuid")]
        one = "/rest/v0/vms/" + vms[0]
        wd = max(3, a.seconds - 2)
        base_rps, base_p99, _ = wrk(stack.port, one, stack.token, wd)
        spid = stack.pids("stream")[0]
        mem0 = memory(spid)
        t_open = time.monotonic()
        w = Watchers(stack.port, stack.token, "/rest/v0/vms?fields=name_label,power_state&ndjson&watch", a.watchers)
        t_open = time.monotonic() - t_open
        time.sleep(1)
        mem1 = memory(spid)
        # Outstanding waits on a task that cannot end yet (each a request nginx hands to the stream role).
        running = [v["uuid"] for v in stack.api("/rest/v0/vms?fields=uuid,power_state&filter=power_state:Running")]
        victim = running[-1]
        renamed = [v for v in vms[1:] if v != victim]  # its suspension must not look like a rename
        sim.control("hang", {"method": "VM.suspend", "count": 1})
        r = stack.request("POST", "/rest/v0/vms/%s/actions/suspend" % victim, token=stack.token)
        task_id = r.json()["taskId"]
        t_wait = time.monotonic()
        waits = Waiters(stack.port, stack.token, task_id, a.waiters)
        t_wait = time.monotonic() - t_wait
        time.sleep(2)
        early = waits.answered_early()
        mem_w = memory(spid)
        idle_rps, idle_p99, idle_errors = wrk(stack.port, one, stack.token, wd)  # streams open, no change
        sent = {}
        n = int(a.rate * a.seconds)

        def changes():
            start = time.monotonic()
            for i in range(n):
                delay = start + i / a.rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                sent[i] = time.monotonic()
                sim.control("rename", {"ref": renamed[i % len(renamed)], "name": "bench-%d" % i})

        ct = threading.Thread(target=changes)
        ct.start()
        time.sleep(1)
        load_rps, load_p99, load_errors = wrk(stack.port, one, stack.token, wd)
        ct.join()
        time.sleep(2)
        mem2 = memory(spid)
        early += waits.answered_early()
        sim.control("release", {"method": "VM.suspend"})
        arrivals, wait_bad = waits.collect(0)
        # Task end (the runner's commit, in the task record) -> each waiter's complete answer.
        end_s = stack.api("/rest/v0/tasks/" + task_id)["end"] / 1e3
        wait_times = [t - end_s for t in arrivals]
        w.close()
        lat, missing = [], 0
        for i, t0 in sent.items():
            got = w.arrivals.get(i, [])
            missing += a.watchers - len(got)
            lat += [t - t0 for t in got]
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
        stack.stop()
    per_stream = (mem1["Pss"] - mem0["Pss"]) / a.watchers
    per_wait = (mem_w["Pss"] - mem1["Pss"]) / max(1, a.waiters)
    print("stream bench: %d VMs, %d watchers on vms?fields=name_label,power_state&ndjson&watch, "
          "%d renames at %g/s" % (a.vms, a.watchers, n, a.rate))
    print("  opening %d watches: %.2f s" % (a.watchers, t_open))
    if a.waiters:
        print("  %d outstanding GET /tasks/<id>?wait=result (workers: 2 x 8 threads): opened in %.2f s, %d answered "
              "before the task ended; stream role +%d kB Pss (%.1f KiB per wait); task end -> answer: "
              "p50 %.1f ms  p99 %.1f ms  max %.1f ms over %d answers, %d missing or not 200" %
              (a.waiters, t_wait, early, mem_w["Pss"] - mem1["Pss"], per_wait,
               statistics.median(wait_times) * 1e3 if wait_times else -1,
               pct(wait_times, 0.99) * 1e3 if wait_times else -1, max(wait_times or [0]) * 1e3,
               len(wait_times), wait_bad))
    print("  event -> client over %d (watcher, change) pairs: p50 %.1f ms  p99 %.1f ms  max %.1f ms; missing %d" %
          (len(lat), statistics.median(lat) * 1e3, pct(lat, 0.99) * 1e3, max(lat) * 1e3, missing))
    print("  same-run GET /vms/<id> polling (change_latency 'ours'): p50 %.1f ms  p90 %.1f ms" %
          (statistics.median(poll) * 1e3, pct(poll, 0.9) * 1e3))
    print("  GET /vms/<id> wrk -t2 -c32: no streams %.0f req/s (p99 %.1f ms); %d idle streams + %d waits %.0f req/s "
          "(p99 %.1f ms, %d errors) ratio %.2f; %d streams + %d waits + changes %.0f req/s (p99 %.1f ms, %d errors) "
          "ratio %.2f" %
          (base_rps, base_p99, a.watchers, a.waiters, idle_rps, idle_p99, idle_errors, idle_rps / base_rps,
           a.watchers, a.waiters, load_rps, load_p99, load_errors, load_rps / base_rps))
    print("  stream role memory: Pss %d -> %d kB with the streams open (%.1f KiB per stream), "
          "%d kB after the changes; Private %d -> %d kB" %
          (mem0["Pss"], mem1["Pss"], per_stream, mem2["Pss"],
           mem0.get("Private_Dirty", 0) + mem0.get("Private_Clean", 0),
           mem2.get("Private_Dirty", 0) + mem2.get("Private_Clean", 0)))


if __name__ == "__main__":
    main()
