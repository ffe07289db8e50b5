"""Issue 17 defect 4 figure: /ping latency while 100 clients read a large NDJSON list slowly
(4 KiB receive buffers, reading nothing during the measure). Baseline: the same pings on the
same stack just before the readers connect, same run.
Usage: XR_APP=build/fcgi-app/xapi-rest python3 tests/bench/slow_readers.py [readers] [vms]"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../integration/gateway"))
from stack import Stack  # noqa: E402
from test_hardening import open_slow_reader, timed_ping  # noqa: E402

READERS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
VMS = int(sys.argv[2]) if len(sys.argv) > 2 else 2500
PINGS = int(os.environ.get("PINGS", "50"))


def pings(port):
    out = [timed_ping(port) for _ in range(PINGS)]
    ok = sorted(dt * 1000 for status, dt in out if status == 200)
    if not ok:
        return "no answer in %d pings (10 s timeout each)" % PINGS
    return "answered %d/%d, p50=%.1f ms p95=%.1f ms max=%.1f ms" % (
        len(ok), PINGS, statistics.median(ok), ok[int(0.95 * (len(ok) - 1))], ok[-1])


def main():
    s = Stack(vms=VMS, hosts=2)
    try:
        size = len(s.get("/rest/v0/vms?fields=*&ndjson", token=s.token).body)
        print("stack: 2 workers x 4 threads, %d VMs, list %.1f MB" % (VMS, size / 1e6))
        print("baseline /ping: " + pings(s.port))
        readers = [open_slow_reader(s.port, "/rest/v0/vms?fields=*&ndjson", s.token) for _ in range(READERS)]
        time.sleep(2.0)
        print("/ping with %d slow readers: %s" % (READERS, pings(s.port)))
        for r in readers:
            r.close()
    finally:
        s.stop()


if __name__ == "__main__":
    main()
