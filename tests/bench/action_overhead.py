#!/usr/bin/python3
"""The cost of running an action through xapi-rest (issue 9), in one run with its baseline.

    tests/bench/action_overhead.py BUILD [--rounds 100] [--burst 100]

Starts the whole stack (simulator with --op-delay 0 + `xapi-rest serve` + nginx,
tests/integration/gateway/stack.py), then:
  - baseline: VM.pause / VM.unpause made directly on a kept-alive JSON-RPC connection to the
    simulator the way the runner makes them (Async.VM.pause, task.get_record, event.from on
    the task until it is finished; task.destroy after the clock stops, as the runner destroys
    it after the XO task is finished);
  - ours: POST /rest/v0/vms/<id>/actions/pause?sync=true (and unpause) through nginx on a
    kept-alive connection: worker → task row → runner → the same XAPI calls → task finished
    → the worker's answer;
  rounds alternate between the two so that both see the same machine. Prints p50 / p90 of
  both and the p50 overhead (target ≤ 2 ms);
  - burst: --burst async POSTs (pause of as many different VMs) sent at once from as many
    threads; then every task is read with ?wait=result: all must end, none lost or pending."""
import argparse
import http.client
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from change_latency import JsonRpc  # noqa: E402  (a kept-alive JSON-RPC connection)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))


def direct_call(rpc, session, method, vm_ref):
    task = rpc.call("Async." + method, session, vm_ref)
    rec = rpc.call("task.get_record", session, task)
    token = ""
    while rec["status"] == "pending":
        r = rpc.call("event.from", session, ["task/" + task], token, 30.0)
        token = r["token"]
        for e in r["events"]:
            if e.get("ref") == task and "snapshot" in e:
                rec = e["snapshot"]
    if rec["status"] != "success":
        raise RuntimeError("direct %s: %s" % (method, rec.get("error_info")))
    return task


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * p))] * 1e3


def overhead(stack, rounds):
    sim = stack.sims[0]
    running = [v for v in stack.api("/rest/v0/vms?fields=id,_xapiRef,power_state") if v["power_state"] == "Running"]
    vm = running[0]
    rpc = JsonRpc(sim.url)
    session = rpc.call("session.login_with_password", "root", sim.password, "1.0", "bench")
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    headers = {"Cookie": "authenticationToken=" + stack.token}
    base, ours = [], []

    def gateway(action):
        conn.request("POST", "/rest/v0/vms/%s/actions/%s?sync=true" % (vm["id"], action), headers=headers)
        r = conn.getresponse()
        body = r.read()
        if r.status != 204:
            raise RuntimeError("gateway %s: %d %s" % (action, r.status, body[:200]))

    for _ in range(5):  # warm-up: sessions, connections, caches
        for method in ("VM.pause", "VM.unpause"):
            rpc.call("task.destroy", session, direct_call(rpc, session, method, vm["_xapiRef"]))
        gateway("pause")
        gateway("unpause")
    for _ in range(rounds):
        for method, action in (("VM.pause", "pause"), ("VM.unpause", "unpause")):
            t0 = time.perf_counter()
            task = direct_call(rpc, session, method, vm["_xapiRef"])
            base.append(time.perf_counter() - t0)
            rpc.call("task.destroy", session, task)  # both sides destroy it after the answer
        for action in ("pause", "unpause"):
            t0 = time.perf_counter()
            gateway(action)
            ours.append(time.perf_counter() - t0)
    return base, ours


def burst(stack, n):
    running = [v["id"] for v in stack.api("/rest/v0/vms?fields=id,power_state") if v["power_state"] == "Running"]
    if len(running) < n:
        raise RuntimeError("only %d running VMs for a burst of %d" % (len(running), n))
    ids, errors = [None] * n, []
    go = threading.Barrier(n)

    def one(i):
        go.wait()
        r = stack.request("POST", "/rest/v0/vms/%s/actions/pause" % running[i], token=stack.token)
        if r.status == 202:
            ids[i] = r.json()["taskId"]
        else:
            errors.append((r.status, r.body[:200]))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted = time.perf_counter() - t0
    statuses = {}
    for tid in ids:
        if tid is None:
            continue
        t = stack.api("/rest/v0/tasks/%s?wait=result" % tid)
        statuses[t["status"]] = statuses.get(t["status"], 0) + 1
    done = time.perf_counter() - t0
    pending = sum(1 for t in stack.api("/rest/v0/tasks?fields=status") if t["status"] == "pending")
    return accepted, done, statuses, errors, pending


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--rounds", type=int, default=100)
    ap.add_argument("--burst", type=int, default=100)
    a = ap.parse_args()
    os.environ["XR_APP"] = os.path.join(os.path.abspath(a.build), "fcgi-app/xapi-rest")
    os.environ["XR_SOURCE_DIR"] = ROOT
    sys.path.insert(0, os.path.join(ROOT, "tests/integration/gateway"))
    from stack import Stack  # noqa: E402
    stack = Stack(vms=max(250, a.burst * 3), hosts=3, workers=2, threads=8, sim_args=("--op-delay", "0"))
    try:
        base, ours = overhead(stack, a.rounds)
        accepted, done, statuses, errors, pending = burst(stack, a.burst)
    finally:
        stack.stop()
    print("action overhead, %d pause/unpause pairs each, simulator --op-delay 0 (ms):" % a.rounds)
    print("  direct XAPI (Async.VM.*, event.from)      p50 %6.2f  p90 %6.2f" % (pct(base, .5), pct(base, .9)))
    print("  xapi-rest POST ...?sync=true via nginx    p50 %6.2f  p90 %6.2f" % (pct(ours, .5), pct(ours, .9)))
    print("  overhead p50 %.2f ms (target <= 2), ratio of medians %.2f" %
          ((statistics.median(ours) - statistics.median(base)) * 1e3, statistics.median(ours) / statistics.median(base)))
    print("burst of %d async actions: accepted in %.0f ms, all ended in %.0f ms; outcomes %s; refused %d; "
          "pending left %d" % (a.burst, accepted * 1e3, done * 1e3, statuses, len(errors), pending))
    if errors:
        print("  refused:", errors[:3])


if __name__ == "__main__":
    main()
