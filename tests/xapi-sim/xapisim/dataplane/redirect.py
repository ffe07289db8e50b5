"""302 to the pool member that holds the data (reference §7.1): same path and query;
sent before any body is read. xapi writes https://<address> (port 443); the simulator
keeps its own scheme and port, where it serves every member's address too (127.0.0.2 …).
Connection's thread."""


def redirect(req, port, host_ref):
    location = "%s%s" % (port.member_url(host_ref), req.raw_path)
    req.send_simple("302 Found", headers=[("Location", location)])
