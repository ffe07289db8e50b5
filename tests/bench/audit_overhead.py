#!/usr/bin/python3
"""What the audit log costs a change (issue 17): three stacks in one run, interleaved.

    tests/bench/audit_overhead.py BUILD [--n 200]

Starts three small stacks (tests/integration/gateway/stack.py; 1 worker x 2 threads, 4 VMs
each): audit to /dev/null (the open + write + close of a line, written nowhere: the floor),
audit to the file (the default, <data_dir>/audit.log) and audit to the journal
([audit] journal = true, journal_socket a datagram socket this script reads). Then times
PATCH /rest/v0/vms/<id> {"name_label": ...} (a change that reaches XAPI) and the same with a
bad body (refused before XAPI: the fast path), both audited each time, round-robin over the three stacks so that machine noise hits all alike, n times each over
kept-alive connections. Prints p50 / p95 in ms and the ratios against /dev/null, and the
records each destination got."""
import argparse
import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] * 1e3


def timed_patch(conn, vm, token, label, want):
    body = json.dumps({"name_label": label})
    t0 = time.perf_counter()
    conn.request("PATCH", "/rest/v0/vms/" + vm, body=body,
                 headers={"Cookie": "authenticationToken=" + token, "Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    if r.status // 100 != want:
        raise SystemExit("PATCH: %d" % r.status)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--n", type=int, default=200)
    a = ap.parse_args()
    os.environ["XR_APP"] = os.path.join(os.path.abspath(a.build), "fcgi-app/xapi-rest")
    sys.path.insert(0, os.path.join(ROOT, "tests/integration/gateway"))
    from stack import Stack
    tmp = tempfile.mkdtemp(prefix="xr-audit-bench-")
    path = os.path.join(tmp, "journal.socket")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    got = []
    sock.settimeout(0.5)

    def drain():
        while not stop.is_set():
            try:
                got.append(sock.recv(65536))
            except socket.timeout:
                pass
    stop = threading.Event()
    reader = threading.Thread(target=drain)
    reader.start()
    stacks = {}
    try:
        kw = dict(vms=4, hosts=1, workers=1, threads=2)
        stacks["devnull"] = Stack(extra_config='[audit]\npath = "/dev/null"', **kw)
        stacks["file"] = Stack(**kw)
        stacks["journal"] = Stack(extra_config='[audit]\njournal = true\njournal_socket = "%s"' % path, **kw)
        targets = {k: (s.api("/rest/v0/vms?fields=id")[0]["id"], s.token,
                       http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)) for k, s in stacks.items()}
        # applied: reaches XAPI and waits for the change in the cache; refused: a bad body, 4xx
        # before XAPI (the fast path, where the audit line weighs most). Both audited.
        kinds = {"applied": 2, "refused": 4}
        times = {(k, kind): [] for k in stacks for kind in kinds}
        for i in range(a.n + 10):
            for kind, want in kinds.items():
                for k, (vm, token, conn) in targets.items():
                    t = timed_patch(conn, vm, token, "audit-bench-%d" % i if want == 2 else i, want)
                    if i >= 10:  # the first ones warm up connections and caches
                        times[(k, kind)].append(t)
        for kind in kinds:
            base = pct(times[("devnull", kind)], 50)
            for k in stacks:
                ts = times[(k, kind)]
                print("%-8s PATCH %-7s p50 %6.2f ms  p95 %6.2f ms  p50 ratio vs /dev/null %.3f" %
                      (k, kind, pct(ts, 50), pct(ts, 95), pct(ts, 50) / base))
        time.sleep(1)
        lines = len(stacks["file"].audit_records())
        print("records: file %d lines, journal %d datagrams (of %d PATCHes each)" % (lines, len(got),
                                                                                  2 * (a.n + 10)))
    finally:
        stop.set()
        reader.join()
        for s in stacks.values():
            s.stop()
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
