"""Helpers of the transfer tests: XAPI calls on the simulator (Python's xmlrpc, not the
gateway's client), small disks with known content, curl through nginx, XVA checks."""
import io
import os
import subprocess
import tarfile
import time
import xmlrpc.client

import xxhash

MIB = 1 << 20


class Xapi:
    """A session on the simulator of a Stack's pool."""

    def __init__(self, sim):
        self.sim = sim
        self.proxy = xmlrpc.client.ServerProxy(sim.url, allow_none=True)
        self.session = self._value(self.proxy.session.login_with_password("root", sim.password))
        self.state_dir = sim.control("info")["state_dir"]

    @staticmethod
    def _value(answer):
        if answer.get("Status") != "Success":
            raise AssertionError("XAPI: %s" % answer.get("ErrorDescription"))
        return answer.get("Value")

    def call(self, method, *params):
        fn = self.proxy
        for part in method.split("."):
            fn = getattr(fn, part)
        return self._value(fn(self.session, *params))

    def disk_path(self, vdi_ref):
        return os.path.join(self.state_dir, self.call("VDI.get_uuid", vdi_ref) + ".raw")

    def new_vdi(self, sr, size, name="transfer test"):
        return self.call("VDI.create", {
            "name_label": name, "name_description": "", "SR": sr, "virtual_size": str(size),
            "type": "user", "sharable": False, "read_only": False, "other_config": {},
            "sm_config": {}, "tags": [], "xenstore_data": {}})

    def fill(self, vdi_ref, extents, seed=1):
        """Writes pseudo-random MiB runs at the given MiB offsets; returns the disk bytes."""
        import random
        rnd = random.Random(seed)
        with open(self.disk_path(vdi_ref), "r+b") as f:
            for mib in extents:
                f.seek(mib * MIB)
                f.write(rnd.randbytes(MIB))
        with open(self.disk_path(vdi_ref), "rb") as f:
            return f.read()

    def attach(self, vm, vdi, device):
        return self.call("VBD.create", {
            "VM": vm, "VDI": vdi, "userdevice": str(device), "bootable": False, "mode": "RW",
            "type": "Disk", "unpluggable": True, "empty": False, "other_config": {},
            "qos_algorithm_type": "", "qos_algorithm_params": {}})

    def shared_sr(self):
        srs = self.call("SR.get_all_records")
        return next(r for r, v in srs.items() if v["shared"] and v["content_type"] != "iso")

    def pending_tasks(self):
        return [r for r, t in self.call("task.get_all_records").items() if t["status"] == "pending"]


def curl(stack, path, *args, out=None):
    """curl through nginx with the admin token; returns (status, headers dict, body or None)."""
    cmd = ["curl", "-sS", "-D", "-", "-b", "authenticationToken=" + stack.token]
    if out:
        cmd += ["-o", out]
    cmd += list(args) + ["http://127.0.0.1:%d%s" % (stack.port, path)]
    r = subprocess.run(cmd, capture_output=True, timeout=300)
    raw = r.stdout
    # Headers of the last response (curl -C - prints only one; -D - then the body if no -o).
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, (None if out else body), r


def check_xva(data):
    """A tar with ova.xml first whose .xxhash files match their chunks; returns names."""
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
        assert members[0].name == "ova.xml", members[0].name
        chunks = {}
        for m in members[1:]:
            content = tar.extractfile(m).read()
            if m.name.endswith(".xxhash"):
                chunk = chunks[m.name[:-len(".xxhash")]]
                assert content.decode() == "%016X" % xxhash.xxh64(chunk).intdigest(), m.name
            else:
                chunks[m.name] = content
        return [m.name for m in members]


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def wait_cached(stack, collection, uuid, timeout=20):
    """Until GET /rest/v0/<collection>/<uuid> answers 200 (the object reached the cache)."""
    wait_for(lambda: stack.get("/rest/v0/%s/%s" % (collection, uuid), token=stack.token).status == 200,
             timeout, "%s %s in the cache" % (collection, uuid))
