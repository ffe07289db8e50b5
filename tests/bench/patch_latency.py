#!/usr/bin/python3
"""PATCH name_label end to end vs the bare XAPI call (issue 10's figure).

    tests/bench/patch_latency.py BUILD [--vms 200] [--n 100]

Starts the whole stack (simulator + `xapi-rest serve` + nginx, tests/integration/gateway/
stack.py), then, interleaved so that machine noise hits both alike, n times each:
  - baseline: `VM.set_name_label` on a kept-alive JSON-RPC connection straight to the
    simulator (what the bare XAPI call costs a client);
  - ours: `PATCH /rest/v0/vms/<id> {"name_label": ...}` through nginx (kept-alive), which
    answers only once the cache shows the change (event.inject + the poller's event batch:
    the simulator's event.from batching delay, 50 ms as xapi's, is part of it).
  - bare + event: the same `VM.set_name_label`, then `event.from` on that connection until
    the change comes back (what a client pays to know its change is applied, as ours does).
Prints p50 / p99 of each in ms and the ratios; checks each PATCH with a GET right after."""
import argparse
import http.client
import json
import os
import sys
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] * 1e3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--vms", type=int, default=200)
    ap.add_argument("--n", type=int, default=100)
    a = ap.parse_args()
    os.environ["XR_APP"] = os.path.join(os.path.abspath(a.build), "fcgi-app/xapi-rest")
    sys.path.insert(0, os.path.join(ROOT, "tests/integration/gateway"))
    from stack import Stack
    s = Stack(vms=a.vms, hosts=2)
    try:
        vm = s.api("/rest/v0/vms?fields=id,_xapiRef&limit=1")[0]
        u = urllib.parse.urlparse(s.sims[0].url)
        xapi = http.client.HTTPConnection(u.hostname, u.port)

        def rpc(method, params):
            xapi.request("POST", "/jsonrpc", json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                                                         "params": params}),
                         {"Content-Type": "application/json"})
            r = json.loads(xapi.getresponse().read())
            if "error" in r:
                raise RuntimeError(r["error"])
            return r["result"]
        session = rpc("session.login_with_password", ["root", s.sims[0].password, "1.0", "bench"])
        gw = http.client.HTTPConnection("127.0.0.1", s.port)
        headers = {"Cookie": "authenticationToken=" + s.token, "Content-Type": "application/json"}
        bare, evented, ours = [], [], []
        token = rpc("event.from", [session, ["VM"], "", 0.0])["token"]
        for i in range(a.n):
            t = time.perf_counter()
            rpc("VM.set_name_label", [session, vm["_xapiRef"], "bare %d" % i])
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            rpc("VM.set_name_label", [session, vm["_xapiRef"], "evented %d" % i])
            seen = False
            while not seen:
                batch = rpc("event.from", [session, ["VM"], token, 30.0])
                token = batch["token"]
                seen = any(ev["ref"] == vm["_xapiRef"] and ev.get("snapshot", {}).get("name_label") == "evented %d" % i
                           for ev in batch["events"])
            evented.append(time.perf_counter() - t)
            name = "patched %d" % i
            t = time.perf_counter()
            gw.request("PATCH", "/rest/v0/vms/" + vm["id"], json.dumps({"name_label": name}), headers)
            r = gw.getresponse()
            r.read()
            ours.append(time.perf_counter() - t)
            assert r.status == 204, r.status
            gw.request("GET", "/rest/v0/vms/%s?fields=name_label" % vm["id"], headers=headers)
            got = json.loads(gw.getresponse().read())
            assert got["name_label"] == name, got
        print("n=%d, %d VMs" % (a.n, a.vms))
        print("bare VM.set_name_label   p50 %7.2f ms  p99 %7.2f ms" % (pct(bare, 50), pct(bare, 99)))
        print("bare + event.from wait   p50 %7.2f ms  p99 %7.2f ms" % (pct(evented, 50), pct(evented, 99)))
        print("PATCH (read-your-writes) p50 %7.2f ms  p99 %7.2f ms" % (pct(ours, 50), pct(ours, 99)))
        print("ratio PATCH / bare       p50 %7.1f     p99 %7.1f" % (pct(ours, 50) / pct(bare, 50),
                                                                  pct(ours, 99) / pct(bare, 99)))
        print("ratio PATCH / bare+event p50 %7.2f     p99 %7.2f" % (pct(ours, 50) / pct(evented, 50),
                                                                  pct(ours, 99) / pct(evented, 99)))
    finally:
        s.stop()


if __name__ == "__main__":
    main()
