#!/usr/bin/python3
"""Issue 20's figure: time from opening / (signed in) to XO 6's VM list and tree fully shown,
for pools of 1,000 and 10,000 simulated VMs (tests/browser/xo6_ui_figure.mjs in headless
Chromium, the UI from ../shared/peers/xo6-web or $XR_XO6_WEB). Same-run baselines: the two
API reads for the same pool, timed with curl through nginx — the very VM list request the UI
made (its URL recorded by the browser) and `GET /rest/v0/ping`.
usage: tests/bench/ui_load.py BUILD [--vms 1000,10000] [--rounds 3]"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration/gateway"))
sys.path.insert(0, os.path.join(HERE, "../browser"))


def curl_ms(url, token, runs=5):
    times = []
    for _ in range(runs):
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", "-b",
                            "authenticationToken=" + token, url], capture_output=True, text=True, check=True)
        times.append(float(r.stdout) * 1000)
    times.sort()
    return times[len(times) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--vms", default="1000,10000")
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    os.environ.setdefault("XR_APP", os.path.join(build, "fcgi-app/xapi-rest"))
    os.environ.setdefault("XR_NPM_DIR", os.path.join(build, "npm"))
    import stack  # noqa: E402 (after XR_APP)
    stack.APP = os.environ["XR_APP"]
    from test_xo6_ui import UI_DIR  # noqa: E402
    results = []
    for n in [int(x) for x in a.vms.split(",")]:
        t0 = time.monotonic()
        s = stack.Stack(vms=n, hosts=max(3, n // 500), cache_mb=max(64, n // 40), ui_dir=UI_DIR)
        try:
            s.wait_synced(timeout=600)
            ready_s = time.monotonic() - t0
            pool = s.api("/rest/v0/pools?fields=name_label")[0]["name_label"]
            host = s.api("/rest/v0/hosts?fields=name_label&limit=1")[0]["name_label"]
            base = "http://127.0.0.1:%d" % s.port
            cfg = os.path.join(s.dir, "figure.json")
            with open(cfg, "w") as f:
                json.dump({"base": base, "user": "admin", "password": s.admin_password, "vms": n,
                           "pool_name": pool, "host_name": host, "rounds": a.rounds}, f)
            r = subprocess.run(["node", os.path.join(HERE, "../browser/xo6_ui_figure.mjs"), "--npm",
                                os.environ["XR_NPM_DIR"], "--config", cfg], capture_output=True, text=True, timeout=1800)
            if r.returncode != 0:
                raise SystemExit("figure: " + r.stdout[-2000:] + r.stderr[-2000:])
            ui = json.loads(r.stdout.strip().splitlines()[-1])
            row = {"vms": n, "stack_ready_s": round(ready_s, 1), **ui,
                   "api_vm_list_ms": round(curl_ms(base + (ui["vm_list_url"] or "/rest/v0/vms?ndjson=true&fields=*"),
                                                   s.token), 1),
                   "api_ping_ms": round(curl_ms(base + "/rest/v0/ping", s.token), 1)}
            results.append(row)
            print(json.dumps(row), flush=True)
        finally:
            s.stop()
    print("vms      first_ms  median_warm_ms  last_api_answer_ms  api_vm_list_ms  api_ping_ms")
    for r in results:
        print("%-8d %-9s %-15s %-19s %-15s %s" % (r["vms"], r["first_ms"], r["median_warm_ms"],
                                                  ",".join(map(str, r["api_done_ms"])), r["api_vm_list_ms"], r["api_ping_ms"]))


if __name__ == "__main__":
    main()
