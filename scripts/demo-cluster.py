#!/usr/bin/env python3
"""make demo-cluster (issue 15): the XAPI simulator, a PostgreSQL cluster in a temporary
folder (initdb + pg_ctl as an unprivileged user, free port), two xapi-rest nodes on it and
nginx with an upstream of both; prints the URL and a token; Ctrl-C stops it all.
Usage: scripts/demo-cluster.py BUILD_DIR. Environment: DEMO_PORT (8080), DEMO_VMS (50),
DEMO_HOSTS (3), DEMO_LEASE (15 s)."""
import os
import signal
import sys

root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build"))
os.environ.setdefault("XR_APP", os.path.join(build, "fcgi-app/xapi-rest"))
os.environ.setdefault("XR_SOURCE_DIR", root)
sys.path.insert(0, os.path.join(root, "tests/integration/gateway"))
from cluster import Cluster  # noqa: E402


def main():
    port = int(os.environ.get("DEMO_PORT", "8080"))
    print("starting: simulator, PostgreSQL, node a, node b, nginx ...", flush=True)
    c = Cluster(vms=int(os.environ.get("DEMO_VMS", "50")), hosts=int(os.environ.get("DEMO_HOSTS", "3")),
                lease=int(os.environ.get("DEMO_LEASE", "15")), workers=2, threads=4, port=port)
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: a background job ignores it by default
        signal.signal(sig, lambda *_: stop.append(1))
    try:
        print("""
xapi-rest cluster ready (Ctrl-C stops everything):
  URL      http://127.0.0.1:%d/rest/v0   (nginx upstream of node a and node b)
  token    %s
  try      curl -b authenticationToken=%s 'http://127.0.0.1:%d/rest/v0/vms?fields=name_label,power_state'
  node a   http://127.0.0.1:%d/rest/v0  (alone; serve pid %d, log %s)
  node b   http://127.0.0.1:%d/rest/v0  (alone; serve pid %d, log %s)
  store    %s
  kill -9 one node's processes: the URL keeps answering through the other one.
""" % (port, c.token, c.token, port, c.a.port, c.a.serve.pid, c.a.serve_log_path,
       c.b.port, c.b.serve.pid, c.b.serve_log_path, c.conninfo), flush=True)
        while not stop:
            signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        print("stopping ...", flush=True)
        c.stop()


if __name__ == "__main__":
    main()
