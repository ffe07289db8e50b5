"""302 to the pool member that holds the data (reference §7.1): always https, same
path and query; sent before any body is read. Connection's thread."""


def redirect(req, port, host_ref):
    location = "https://%s%s" % (port.host_address(host_ref), req.raw_path)
    req.send_simple("302 Found", headers=[("Location", location)])
