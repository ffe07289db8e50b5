#!/usr/bin/python3
"""How long a change made in XAPI takes to reach `GET /rest/v0/vms/<id>` (issue 16).

    tests/bench/change_latency.py BUILD [--vms 200] [--renames 40]

Starts the whole stack (simulator + `xapi-rest serve` + nginx, tests/integration/gateway/
stack.py), then renames a VM in the simulator `--renames` times and measures, each time, from
just before the rename request to:
  - baseline: the rename arriving at a client blocked in `event.from` on a kept-alive JSON-RPC
    connection to the simulator (what any XAPI client, XO's included, waits for at least);
    each call of event.from has xapi's 50 ms batching delay before its first look, so the
    renames are spaced 100-200 ms apart for both clients (pause());
  - ours: the first `GET /rest/v0/vms/<id>` through nginx (kept-alive, polled back to back)
    that shows the new name.
Prints median / p90 / max of both in ms. Real XO measured 4-9 ms on the same simulator."""
import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


def pause(i):
    """The same spacing of changes for both clients: 100-200 ms after the previous one, so a
    change does not always fall in event.from's 50 ms batching delay (xapi has it too)."""
    time.sleep(0.1 + 0.1 * ((i * 37) % 10) / 10)


def stats(values):
    v = sorted(values)
    return "median %6.1f  p90 %6.1f  max %6.1f" % (statistics.median(v) * 1e3, v[int(len(v) * 0.9) - 1] * 1e3,
                                                    v[-1] * 1e3)


class JsonRpc:
    """A kept-alive JSON-RPC connection to the simulator (as XO's xen-api client keeps one)."""
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        self.id = 0

    def call(self, method, *params):
        self.id += 1
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": list(params), "id": self.id})
        self.conn.request("POST", "/jsonrpc", body, {"Content-Type": "application/json"})
        reply = json.loads(self.conn.getresponse().read())
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["result"]


def baseline(sim, vm_uuid, renames):
    rpc = JsonRpc(sim.url)
    session = rpc.call("session.login_with_password", "root", sim.password, "1.0", "bench")
    token = rpc.call("event.from", session, ["vm"], "", 0.0)["token"]
    out = []
    for i in range(renames):
        name = "base-%d" % i
        arrived = threading.Event()
        result = {}

        def watch():
            nonlocal token
            while True:
                r = rpc.call("event.from", session, ["vm"], token, 30.0)
                token = r["token"]
                if any(e["snapshot"].get("name_label") == name for e in r["events"] if "snapshot" in e):
                    result["t"] = time.monotonic()
                    arrived.set()
                    return

        t = threading.Thread(target=watch)
        t.start()
        pause(i)
        t0 = time.monotonic()
        sim.control("rename", {"ref": vm_uuid, "name": name})
        arrived.wait(30)
        t.join()
        out.append(result["t"] - t0)
    return out


def ours(stack, sim, vm_uuid, renames):
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    headers = {"Cookie": "authenticationToken=" + stack.token}
    path = "/rest/v0/vms/" + vm_uuid
    out = []
    for i in range(renames):
        name = "ours-%d" % i
        pause(i)
        t0 = time.monotonic()
        sim.control("rename", {"ref": vm_uuid, "name": name})
        while True:
            conn.request("GET", path, headers=headers)
            body = conn.getresponse().read()
            if json.loads(body)["name_label"] == name:
                out.append(time.monotonic() - t0)
                break
            if time.monotonic() - t0 > 30:
                raise RuntimeError("the rename never arrived")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--vms", type=int, default=200)
    ap.add_argument("--renames", type=int, default=40)
    a = ap.parse_args()
    os.environ["XR_APP"] = os.path.join(os.path.abspath(a.build), "fcgi-app/xapi-rest")
    os.environ["XR_SOURCE_DIR"] = ROOT
    sys.path.insert(0, os.path.join(ROOT, "tests/integration/gateway"))
    from stack import Stack  # noqa: E402
    stack = Stack(vms=a.vms, hosts=3)
    try:
        sim = stack.sims[0]
        vm = stack.api("/rest/v0/vms?fields=uuid&limit=1")[0]["uuid"]
        base = baseline(sim, vm, a.renames)
        mine = ours(stack, sim, vm, a.renames)
    finally:
        stack.stop()
    print("change latency, %d VMs, %d renames each (ms, from the rename request):" % (a.vms, a.renames))
    print("  simulator event.from (kept-alive JSON-RPC)  %s" % stats(base))
    print("  xapi-rest GET /vms/<id> through nginx      %s" % stats(mine))
    print("  ratio of medians (ours / event.from)        %.2f" % (statistics.median(mine) / statistics.median(base)))


if __name__ == "__main__":
    main()
