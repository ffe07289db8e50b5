"""Issue 17 defect 2 figures: latency of normal requests and worker memory while 32
threads send wrong HTTP Basic passwords (each thread its own client address and user
names, so the 2 s throttle does not stop them: the hash-slot bound is what holds).
Baseline: the same requests on the same stack just before the flood, same run.
Usage: XR_APP=build/fcgi-app/xapi-rest python3 tests/bench/login_flood.py [seconds]"""
import base64
import http.client
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../integration/gateway"))
from stack import Stack  # noqa: E402

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
ATTACKERS = 32


def timed_get(port, path, token):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t0 = time.monotonic()
    conn.request("GET", path, headers={"Cookie": "authenticationToken=" + token})
    r = conn.getresponse()
    r.read()
    conn.close()
    return time.monotonic() - t0, r.status


def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            for line in open("/proc/%d/status" % pid):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def latencies(s, seconds):
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        dt, status = timed_get(s.port, "/rest/v0/vms?limit=1&fields=name_label", s.token)
        if status == 200:
            out.append(dt * 1000)
        time.sleep(0.02)
    return out


def summary(name, ms):
    ms = sorted(ms)
    return "%s: n=%d p50=%.1f ms p95=%.1f ms max=%.1f ms" % (
        name, len(ms), statistics.median(ms), ms[int(0.95 * (len(ms) - 1))], ms[-1])


def main():
    s = Stack(vms=50, hosts=2, workers=2, threads=8)
    try:
        workers = s.pids("worker")
        base = latencies(s, SECONDS / 2)
        base_rss = rss_kib(workers)
        stop = threading.Event()
        statuses, peak = {}, [base_rss]
        lock = threading.Lock()

        def attack(i):
            n = 0
            while not stop.is_set():
                n += 1
                conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60,
                                                  source_address=("127.0.%d.%d" % (10 + i // 200, 1 + i % 200), 0))
                auth = base64.b64encode(("user%d-%d:wrong" % (i, n)).encode()).decode()
                try:
                    conn.request("GET", "/rest/v0/vms?limit=1", headers={"Authorization": "Basic " + auth})
                    r = conn.getresponse()
                    r.read()
                    with lock:
                        statuses[r.status] = statuses.get(r.status, 0) + 1
                except OSError:
                    pass
                finally:
                    conn.close()

        def watch_rss():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kib(workers))
                time.sleep(0.05)

        threads = [threading.Thread(target=attack, args=(i,)) for i in range(ATTACKERS)]
        threads.append(threading.Thread(target=watch_rss))
        for t in threads:
            t.start()
        time.sleep(0.5)
        flood = latencies(s, SECONDS)
        stop.set()
        for t in threads:
            t.join()
        print(summary("normal request, baseline", base))
        print(summary("normal request, under %d threads of wrong passwords" % ATTACKERS, flood))
        print("worker RSS (all workers): baseline %.1f MiB, peak under the flood %.1f MiB" % (
            base_rss / 1024, peak[0] / 1024))
        print("attack answers: %s" % dict(sorted(statuses.items())))
    finally:
        s.stop()


if __name__ == "__main__":
    main()
