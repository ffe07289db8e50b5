"""Client of the control endpoint (/_sim/<command>), for tests and the xapi-sim-ctl CLI.
Stdlib only; blocking; any thread."""
import json
import ssl
import urllib.request


def control(url, command, **args):
    """POST /_sim/<command> with a JSON body; returns "result" or raises RuntimeError."""
    req = urllib.request.Request(url.rstrip("/") + "/_sim/" + command,
                                 data=json.dumps(args).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    ctx = ssl._create_unverified_context() if url.startswith("https") else None
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as r:
            return json.loads(r.read())["result"]
    except urllib.error.HTTPError as e:
        raise RuntimeError("control %s failed: %s" % (command, e.read().decode()))
