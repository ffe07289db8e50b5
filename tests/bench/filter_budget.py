"""Issue 17 defect 5 figure: GET /rest/v0/vms?filter=/(.|.)*[!?]/ on a pool of 10,000 VMs,
with the filter budget of the defaults (10,000,000 PCRE2 match steps, 5 s) and, as the
same-run baseline, with budgets too large to matter (what every request got before: each
regex test bounded at 1,000,000 steps, the request not at all). One simulator, two stacks
started on it one after the other, same binary.
With `watch`, the same filter on a watch (`?ndjson&watch`, served by the stream role's one
loop thread): the time until its answer's head, and meanwhile the time until the head of a
plain watch of /hosts opened 0.5 s later (what every other stream waits while the filter runs).
Usage: XR_APP=build/fcgi-app/xapi-rest python3 tests/bench/filter_budget.py [vms] [watch]"""
import http.client
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../integration/gateway"))
from stack import Sim, Stack  # noqa: E402

VMS = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
WATCH = len(sys.argv) > 2 and sys.argv[2] == "watch"
PATH = "/rest/v0/vms?filter=" + urllib.parse.quote("/(.|.)*[!?]/") + ("&ndjson&watch" if WATCH else "")
UNBOUNDED = "filter_match_budget = 1000000000000\nfilter_time_budget_ms = 3600000"


def timed(stack):
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=600)  # nginx cuts at 300 s
    t0 = time.monotonic()
    conn.request("GET", PATH, headers={"Cookie": "authenticationToken=" + stack.token})
    r = conn.getresponse()
    body = r.read()
    took = time.monotonic() - t0
    conn.close()
    return took, r.status, body[:120].decode(errors="replace")


def head_time(stack, path):
    """Seconds until the answer's head (a watch stays open: closed once its head is read)."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=600)
    t0 = time.monotonic()
    conn.request("GET", path, headers={"Cookie": "authenticationToken=" + stack.token})
    r = conn.getresponse()
    took = time.monotonic() - t0
    first = r.read(120) if r.status != 200 else b""
    conn.close()
    return took, r.status, first.decode(errors="replace")


def timed_watch(stack):
    other = {}

    def plain():
        time.sleep(0.5)
        other["took"], other["status"], _ = head_time(stack, "/rest/v0/hosts?ndjson&watch")
    t = threading.Thread(target=plain)
    t.start()
    result = head_time(stack, PATH)
    t.join()
    print("    meanwhile a plain /hosts watch got its head after %.2f s (%d)" % (other["took"], other["status"]))
    return result


def run(sims, label, server_config=""):
    s = Stack.attach(sims, workers=1, threads=4, server_config=server_config)
    try:
        took, status, body = timed_watch(s) if WATCH else timed(s)
        print("%-28s %8.2f s  %d %s" % (label, took, status, body))
        return took
    finally:
        s.stop()


def main():
    folder = tempfile.mkdtemp(prefix="xr-fb-")
    sim = Sim(folder, VMS, 2, 1, "pw0")
    try:
        print("%d VMs, 1 worker x 4 threads%s" % (VMS, ", a watch" if WATCH else ""))
        before = run([sim], "budgets off (before)", UNBOUNDED)
        after = run([sim], "default budget (after)")
        print("ratio before/after: %.0fx" % (before / after))
    finally:
        sim.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
