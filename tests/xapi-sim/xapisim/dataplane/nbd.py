"""VDI.get_nbd_info (reference §10.1) backed by nbdkit's file plugin on 127.0.0.1:
one read-only nbdkit per (VDI, TLS mode, export name), the export name (which carries
the caller's session) enforced by nbdkit's exportname filter. Started on first use in
its own session (like `setsid -f`), stopped once its session is gone, by stop_all(),
or when the simulator process dies (--exit-with-parent). Thread-safe; starting a
server blocks up to a few seconds."""

import os
import socket
import subprocess
import tempfile
import threading
import time

from .errors import DataplaneError

NULL = "OpaqueRef:NULL"
CERT_CN = "localhost"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port, proc, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def make_certificates(directory):
    """Self-signed CA-less server certificate (CN localhost, SAN 127.0.0.1) in the
    layout nbdkit's --tls-certificates expects; returns the PEM text."""
    key, cert = os.path.join(directory, "server-key.pem"), os.path.join(directory, "server-cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
                    "-subj", "/CN=" + CERT_CN, "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    with open(cert) as f:
        pem = f.read()
    with open(os.path.join(directory, "ca-cert.pem"), "w") as f:
        f.write(pem)
    return pem


class NbdServers:
    def __init__(self, base_dir=None):
        self.lock_ = threading.Lock()
        self.dir_ = tempfile.mkdtemp(prefix="xapisim-nbd-", dir=base_dir)
        self.servers_ = {}   # (path, tls, export name) → (Popen, port, session)
        self.pem_ = None

    @property
    def cert_dir(self):
        return self.dir_

    def certificate(self):
        with self.lock_:
            if self.pem_ is None:
                self.pem_ = make_certificates(self.dir_)
            return self.pem_

    def port_for(self, path, tls, export, session):
        """The port of a running nbdkit serving `path` under the export name `export`
        (started if needed)."""
        if tls:
            self.certificate()
        key = (path, tls, export)
        with self.lock_:
            entry = self.servers_.get(key)
            if entry and entry[0].poll() is None:
                return entry[1]
            for _ in range(5):  # a probed free port can be taken meanwhile: retry
                proc, port = self._start(path, tls, export)
                if _wait_listening(port, proc):
                    self.servers_[key] = (proc, port, session)
                    return port
                self._stop(proc)
        raise DataplaneError("INTERNAL_ERROR", "nbdkit did not start")

    def prune(self, session_valid):
        """Stop the servers whose session has ended (xapi-nbd refuses them too)."""
        with self.lock_:
            gone = [k for k, v in self.servers_.items() if not session_valid(v[2])]
            procs = [self.servers_.pop(k)[0] for k in gone]
        for proc in procs:
            self._stop(proc)

    def _start(self, path, tls, export):
        port = _free_port()
        pidfile = os.path.join(self.dir_, "nbdkit-%d.pid" % port)
        cmd = ["nbdkit", "-f", "-r", "--exit-with-parent", "-P", pidfile, "-i", "127.0.0.1",
               "-p", str(port), "--filter=exportname",
               # like xapi-nbd: only FIXED_NEWSTYLE offered (no NO_ZEROES), simple replies
               "--mask-handshake=1", "--no-sr"]
        if tls:
            cmd += ["--tls=require", "--tls-certificates=" + self.dir_]
        cmd += ["file", path, "exportname-strict=true", "exportname-list=error",
                "exportname=" + export]
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        return proc, port

    @staticmethod
    def _stop(proc):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def stop_all(self):
        with self.lock_:
            servers, self.servers_ = list(self.servers_.values()), {}
        for proc, _, _ in servers:
            self._stop(proc)
        if os.path.isdir(self.dir_):
            for name in os.listdir(self.dir_):
                os.unlink(os.path.join(self.dir_, name))
            os.rmdir(self.dir_)


def _nbd_networks(db):
    """{network ref: tls?} for networks whose purpose asks for NBD."""
    result = {}
    for net in db.refs("network"):
        purpose = db.get("network", net)["purpose"]
        if "nbd" in purpose or "insecure_nbd" in purpose:
            result[net] = "nbd" in purpose
    return result


def _pif_addresses(db, net, hosts):
    out = []
    for pif in db.get("network", net)["PIFs"]:
        rec = db.get("PIF", pif)
        if rec["currently_attached"] and rec["host"] in hosts:
            out += [(rec["host"], ip) for ip in [rec["IP"]] + list(rec["IPv6"]) if ip]
    return out


def get_nbd_info(port, servers, session_ref, vdi):
    """The vdi_nbd_server_info records of a VDI. Every address the pool would list is
    served by one local nbdkit, so each record carries 127.0.0.1 and that port."""
    db = port.db
    with db.lock:
        rec = db.get("VDI", vdi)
        if rec["type"] == "cbt_metadata":
            raise DataplaneError("VDI_INCOMPATIBLE_TYPE", vdi, "cbt_metadata")
        hosts = {db.get("PBD", p)["host"] for p in db.get("SR", rec["SR"])["PBDs"]
                 if db.get("PBD", p)["currently_attached"]}
        wanted = [(tls, host) for net, tls in _nbd_networks(db).items()
                  for host, _ in _pif_addresses(db, net, hosts)]
    if not wanted:
        return []
    servers.prune(port.session_valid)
    path = port.vdi_path(vdi)
    export = "/%s?session_id=%s" % (rec["uuid"], session_ref)
    records = []
    for tls, host in wanted:
        records.append({"exportname": export, "address": "127.0.0.1",
                        "port": servers.port_for(path, tls, export, session_ref),
                        "cert": servers.certificate(), "subject": CERT_CN})
    return records
