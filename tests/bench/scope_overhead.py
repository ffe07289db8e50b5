#!/usr/bin/python3
"""What the controls of issue 17 cost a request: scoped token vs unscoped, same run.

    tests/bench/scope_overhead.py BUILD [--vms 1000] [--n 60]

Starts the whole stack with two pools (tests/integration/gateway/stack.py), makes an
unscoped token and tokens scoped to one pool, to `vms` and read-only, then times, interleaved
so that machine noise hits all alike, n times each over kept-alive connections:
  - GET /rest/v0/vms/<id> (one object: the scope's pool lookup),
  - GET /rest/v0/vms?fields=name_label,power_state (a list: the pool-scoped one is narrowed by
    an added $pool filter and answered directly, never from the shared list files).
Prints p50 / p95 in ms and the ratio scoped / unscoped for each."""
import argparse
import http.client
import os
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] * 1e3


def timed(conn, path, token):
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": "authenticationToken=" + token})
    r = conn.getresponse()
    r.read()
    if r.status != 200:
        raise SystemExit("GET %s: %d" % (path, r.status))
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--vms", type=int, default=1000)
    ap.add_argument("--n", type=int, default=60)
    a = ap.parse_args()
    os.environ["XR_APP"] = os.path.join(os.path.abspath(a.build), "fcgi-app/xapi-rest")
    sys.path.insert(0, os.path.join(ROOT, "tests/integration/gateway"))
    from stack import Stack
    s = Stack(vms=a.vms, hosts=2, pools=2)
    try:
        vms = s.api("/rest/v0/vms?fields=id,$pool")
        pool = vms[0]["$pool"]
        vm = vms[0]["id"]
        tokens = {"unscoped": s.token,
                  "pool": s.cli(["token", "create", "--user", "admin", "--pools", pool]).strip(),
                  "collections": s.cli(["token", "create", "--user", "admin", "--collections", "vms"]).strip(),
                  "read-only": s.cli(["token", "create", "--user", "admin", "--read-only"]).strip()}
        paths = {"object": "/rest/v0/vms/" + vm, "list": "/rest/v0/vms?fields=name_label,power_state"}
        conns = {k: http.client.HTTPConnection("127.0.0.1", s.port, timeout=60) for k in tokens}
        times = {(k, p): [] for k in tokens for p in paths}
        for _ in range(a.n):
            for p, path in paths.items():
                for k, t in tokens.items():
                    times[(k, p)].append(timed(conns[k], path, t))
        print("%d VMs in 2 pools, n=%d each, interleaved" % (len(vms), a.n))
        for p in paths:
            base = pct(times[("unscoped", p)], 50)
            for k in tokens:
                v = times[(k, p)]
                print("%-7s %-12s p50 %7.2f ms  p95 %7.2f ms  ratio p50 %.2f" %
                      (p, k, pct(v, 50), pct(v, 95), pct(v, 50) / base))
    finally:
        s.stop()


if __name__ == "__main__":
    main()
