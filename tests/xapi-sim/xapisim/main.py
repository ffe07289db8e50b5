"""Command line entry point: parse options, build the inventory, serve, clean up."""
import argparse
import importlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

from .core import Config, Simulator, SupporterView
from . import inventory, server


def parse_args(argv):
    p = argparse.ArgumentParser(prog="xapi-sim", description="Simulated XAPI pool")
    p.add_argument("--port", type=int, default=0, help="TCP port (0 = free port)")
    p.add_argument("--vms", type=int, default=10, help="ordinary VMs")
    p.add_argument("--hosts", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--user", default="root")
    p.add_argument("--password", default="secret")
    p.add_argument("--tls", action="store_true", help="HTTPS with a self-signed certificate")
    p.add_argument("--state-dir", help="where sparse disk files live (default: a temp dir)")
    p.add_argument("--supporter-of", metavar="ADDRESS",
                   help="act as a pool supporter: every call fails with HOST_IS_SLAVE [ADDRESS]")
    p.add_argument("--serve-supporters", dest="serve_supporters", action="store_true", default=True,
                   help="(the default) also listen on each supporter's address (127.0.0.2, …) on "
                        "the same port, answering HOST_IS_SLAVE [127.0.0.1]; HTTP handlers work there")
    p.add_argument("--no-serve-supporters", dest="serve_supporters", action="store_false",
                   help="listen on the master's address only")
    p.add_argument("--op-delay", type=float, default=0.2,
                   help="seconds each VM lifecycle operation takes (default 0.2)")
    p.add_argument("--no-jsonrpc", action="store_true",
                   help="behave like an old host without /jsonrpc (it falls into the legacy "
                        "/json handler, which answers text/xml): clients must use XML-RPC")
    p.add_argument("--auth-failure-delay", type=float, default=0.0, metavar="S",
                   help="seconds a failed login waits before answering (xapi: up to 5)")
    p.add_argument("--no-dataplane", action="store_true", help="do not load xapisim.dataplane")
    args = p.parse_args(argv)
    if args.hosts < 1 or args.hosts > 250 or args.vms < 0 or args.op_delay < 0:
        p.error("need 1 ≤ --hosts ≤ 250, --vms ≥ 0, --op-delay ≥ 0")
    return args


def make_cert(state_dir):
    cert, key = os.path.join(state_dir, "xapi-sim.pem"), os.path.join(state_dir, "xapi-sim.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", cert], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def load_dataplane(sim):
    """Import xapisim.dataplane if present and let it register its routes."""
    try:
        mod = importlib.import_module("xapisim.dataplane")
    except ImportError as e:
        if getattr(e, "name", "") not in ("xapisim.dataplane",):
            print("xapi-sim: data plane not loaded: %r" % e, file=sys.stderr)
        return False
    reg = getattr(mod, "register", None)
    if reg is None:
        return False
    try:
        reg(sim)
    except Exception as e:  # keep the control plane usable
        print("xapi-sim: data plane register() failed: %r" % e, file=sys.stderr)
        return False
    return True


def listen(sim, port, ctx, serve_supporters):
    """The master's listener, plus one per supporter address on the same port. With
    port 0, retry on another free port if a supporter address has it taken."""
    for attempt in range(20):
        front = server.Front(sim, "127.0.0.1", port, ctx)
        supporters = []
        try:
            if serve_supporters:
                for host in sim.db.refs("host"):
                    if host != sim.master_ref:
                        supporters.append(server.Front(SupporterView(sim, host),
                                                       sim.host_address(host), front.port, ctx))
            return front, supporters
        except OSError:
            for f in supporters + [front]:
                f.stop()
            if port != 0 or attempt == 19:
                raise
    raise OSError("no free port")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    created_dir = None
    state_dir = args.state_dir
    if state_dir is None:
        state_dir = created_dir = tempfile.mkdtemp(prefix="xapi-sim-")
    elif not os.path.isdir(state_dir):
        os.makedirs(state_dir)
        created_dir = state_dir
    before = set(os.listdir(state_dir))
    cfg = Config(port=args.port, vms=args.vms, hosts=args.hosts, seed=args.seed, user=args.user,
                 password=args.password, tls=args.tls, state_dir=os.path.abspath(state_dir),
                 supporter_of=args.supporter_of, op_delay=args.op_delay,
                 jsonrpc=not args.no_jsonrpc)
    sim = Simulator(cfg)
    sim.sessions.failure_delay = args.auth_failure_delay
    sim.front = None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    try:
        inventory.generate(sim, args.vms, args.hosts, args.seed)
        sim.db.warm_caches("both")   # the first full dump is then fast on both wires
        if not args.no_dataplane:
            load_dataplane(sim)
        ctx = server.make_ssl_context(*make_cert(cfg.state_dir)) if args.tls else None
        front, supporters = listen(sim, args.port, ctx, args.serve_supporters)
        sim.front = front
        sim.url = "%s://127.0.0.1:%d" % ("https" if args.tls else "http", front.port)
        print("xapi-sim listening on %s" % sim.url, flush=True)
        print("xapi-sim: user %s password %s, %d hosts, %d VMs, state dir %s" % (
            cfg.user, cfg.password, args.hosts, args.vms, cfg.state_dir), file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
        for f in supporters:
            f.stop()
        front.stop()
    finally:
        if created_dir:
            shutil.rmtree(created_dir, ignore_errors=True)
        else:
            for name in set(os.listdir(cfg.state_dir)) - before:
                try:
                    os.unlink(os.path.join(cfg.state_dir, name))
                except OSError:
                    shutil.rmtree(os.path.join(cfg.state_dir, name), ignore_errors=True)
    return 0
