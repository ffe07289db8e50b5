"""The VM console bridge's cost, against the simulator's console reached directly in the
same run: time to open a console (WebSocket upgrade through nginx → stream role → XAPI
login/lookups/CONNECT → first RFB byte) vs a raw CONNECT to the simulator, and throughput
of framebuffer updates (64,000 bytes each: 160×100×4) through the bridge vs direct.
usage: console_bench.py BUILD [--opens N] [--updates N]"""
import argparse
import os
import socket
import statistics
import sys
import time
import urllib.parse
import xmlrpc.client

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../integration/gateway"))
sys.path.insert(0, os.path.join(HERE, "../xapi-sim/tests"))
from rfb_client import RfbClient  # noqa: E402
from ws_client import WsClient  # noqa: E402


def direct(sim, session, location):
    u = urllib.parse.urlsplit(location)
    port = urllib.parse.urlsplit(sim.url).port
    s = socket.create_connection((u.hostname, port), timeout=15)
    s.sendall(("CONNECT %s?%s HTTP/1.0\r\nHost: %s\r\nCookie: session_id=%s\r\n\r\n"
               % (u.path, u.query, u.hostname, session)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    if b" 200 " not in head.split(b"\r\n")[0]:
        raise AssertionError(head)
    return s, s.recv, s.sendall


def bridged(stack, vm_id):
    ws = WsClient(stack.port, "/api/consoles/" + vm_id, {"Cookie": "authenticationToken=" + stack.token})
    if ws.status != 101:
        raise AssertionError(ws.body)
    return ws, ws.recv, ws.sendall


def measure(opener, closer, opens, updates):
    open_ms = []
    for _ in range(opens):
        t0 = time.perf_counter()
        conn, recv, send = opener()
        c = RfbClient(recv, send)
        c.read(12)  # the server's version: the console answers
        open_ms.append((time.perf_counter() - t0) * 1000)
        closer(conn)
    conn, recv, send = opener()
    c = RfbClient(recv, send)
    c.handshake()
    t0 = time.perf_counter()
    total = 0
    for _ in range(updates):
        total += len(c.framebuffer())
    secs = time.perf_counter() - t0
    closer(conn)
    return statistics.median(open_ms), max(open_ms), total / secs / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--opens", type=int, default=50)
    ap.add_argument("--updates", type=int, default=500)
    a = ap.parse_args()
    os.environ["XR_APP"] = os.path.join(os.path.abspath(a.build), "fcgi-app/xapi-rest")
    os.environ.setdefault("XR_SOURCE_DIR", os.path.abspath(os.path.join(HERE, "../..")))
    from stack import Stack  # noqa: E402  (reads XR_APP when imported)
    stack = Stack(vms=8, hosts=1, workers=1, threads=2, sim_args=("--op-delay", "0"))
    try:
        sim = stack.sims[0]
        x = xmlrpc.client.ServerProxy(sim.url, allow_none=True)
        session = x.session.login_with_password("root", sim.password, "1.0", "bench")["Value"]
        vm = [v for v in stack.api("/rest/v0/vms?fields=id,power_state,_xapiRef") if v["power_state"] == "Running"][0]
        consoles = x.VM.get_consoles(session, vm["_xapiRef"])["Value"]
        location = [r for r in (x.console.get_record(session, c)["Value"] for c in consoles)
                    if r["protocol"] == "rfb"][0]["location"]

        def close_ws(ws):
            ws.close()
            ws.wait_close()
            ws.shutdown()

        d = measure(lambda: direct(sim, session, location), lambda s: s.close(), a.opens, a.updates)
        b = measure(lambda: bridged(stack, vm["id"]), close_ws, a.opens, a.updates)
        print("console open (to the first RFB byte), %d opens: direct CONNECT median %.2f ms (max %.1f), "
              "through nginx + bridge median %.2f ms (max %.1f)" % (a.opens, d[0], d[1], b[0], b[1]))
        print("console throughput, %d framebuffer updates of 64,000 bytes: direct %.1f MB/s, "
              "bridged %.1f MB/s, ratio %.2f" % (a.updates, d[2], b[2], b[2] / d[2]))
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
