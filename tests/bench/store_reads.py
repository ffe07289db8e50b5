#!/usr/bin/env python3
"""Reads need no store (issue 15): wrk on a list and on one VM through nginx, the stack on
SQLite vs on PostgreSQL (a throw-away cluster), alternated `--rounds` times in one run; the
ratio of the means. Usage: store_reads.py BUILD [--vms 200] [--seconds 3] [--rounds 2]"""
import argparse
import os
import re
import subprocess
import sys

root = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
sys.path.insert(0, os.path.join(root, "tests/integration/gateway"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--vms", type=int, default=200)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    os.environ.setdefault("XR_APP", os.path.join(os.path.abspath(a.build), "fcgi-app/xapi-rest"))
    os.environ.setdefault("XR_SOURCE_DIR", root)
    from cluster import PG_CLUSTER
    from stack import Stack
    pg_dir = subprocess.run(["mktemp", "-d", "/tmp/xr-pg.XXXXXX"], capture_output=True, text=True).stdout.strip()
    conn = subprocess.run([PG_CLUSTER, "start", pg_dir], check=True, text=True, capture_output=True).stdout.strip()
    rates = {}
    try:
        for _ in range(a.rounds):
            for backend in ("sqlite", "postgresql"):
                if backend == "postgresql":
                    os.environ["XR_TEST_PG"] = conn  # Stack: a fresh schema of it
                else:
                    os.environ.pop("XR_TEST_PG", None)
                s = Stack(vms=a.vms, hosts=2, workers=2, threads=4)
                try:
                    vm = s.api("/rest/v0/vms")[0]
                    for name, path in (("list", "/rest/v0/vms?fields=name_label,power_state"), ("one VM", vm)):
                        out = subprocess.run(["wrk", "-t2", "-c8", "-d%ds" % a.seconds, "-H",
                                              "Cookie: authenticationToken=" + s.token,
                                              "http://127.0.0.1:%d%s" % (s.port, path)],
                                             capture_output=True, text=True).stdout
                        rate = float(re.search(r"Requests/sec:\s+(\S+)", out).group(1))
                        rates.setdefault((name, backend), []).append(rate)
                        print("%-10s %-7s %9.0f req/s" % (backend, name, rate), flush=True)
                finally:
                    s.stop()
    finally:
        subprocess.run([PG_CLUSTER, "stop", pg_dir])
    for name in ("list", "one VM"):
        sq = sum(rates[(name, "sqlite")]) / a.rounds
        pg = sum(rates[(name, "postgresql")]) / a.rounds
        print("%-7s sqlite %9.0f  postgresql %9.0f  ratio %.2f" % (name, sq, pg, pg / sq))


if __name__ == "__main__":
    main()
