"""The shipped nginx site (nginx/xapi-rest.conf) is valid nginx: `nginx -t` on it, with a
throw-away certificate and the listen ports moved to free loopback ports."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import ROOT, free_port, read  # noqa: E402


class NginxSiteTest(unittest.TestCase):
    def test_shipped_site_passes_nginx_t(self):
        d = tempfile.mkdtemp(prefix="xr-ngx-")
        try:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=localhost", "-keyout", d + "/key.pem", "-out", d + "/cert.pem"],
                           check=True, capture_output=True)
            site = read(os.path.join(ROOT, "nginx/xapi-rest.conf"))
            self.assertIn("fastcgi_pass unix:/run/xapi-rest/fcgi.sock;", site)
            self.assertNotIn("fastcgi_keep_conn", site.replace("Do not enable fastcgi_keep_conn", ""))
            site = site.replace("/etc/xapi-rest/tls/", d + "/")
            self.assertIn("client_body_temp_path /var/spool/xapi-rest/uploads;", site)
            site = site.replace("/var/spool/xapi-rest/uploads", d + "/spool")
            site = site.replace("listen 80;", "listen 127.0.0.1:%d;" % free_port())
            site = site.replace("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % free_port())
            site = "\n".join(l for l in site.splitlines() if "[::]" not in l)
            os.makedirs(d + "/logs")
            with open(d + "/nginx.conf", "w") as f:
                f.write("error_log logs/error.log; pid logs/nginx.pid;\nevents {}\nhttp {\n"
                        "client_body_temp_path %s/t1; fastcgi_temp_path %s/t2; proxy_temp_path %s/t3;\n"
                        "uwsgi_temp_path %s/t4; scgi_temp_path %s/t5;\n%s\n}\n" % (d, d, d, d, d, site))
            r = subprocess.run(["nginx", "-t", "-p", d, "-c", d + "/nginx.conf"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("syntax is ok", r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
