"""The shipped nginx site (nginx/xapi-rest.conf) is valid nginx: `nginx -t` on it, with a
throw-away certificate and the listen ports moved to free loopback ports."""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import ROOT, read, write_packaged_site  # noqa: E402


class NginxSiteTest(unittest.TestCase):
    def test_shipped_site_passes_nginx_t(self):
        d = tempfile.mkdtemp(prefix="xr-ngx-")
        try:
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=localhost", "-keyout", d + "/key.pem", "-out", d + "/cert.pem"],
                           check=True, capture_output=True)
            site = read(os.path.join(ROOT, "nginx/xapi-rest.conf"))
            # The workers' socket is an upstream with kept connections (issue 14), asked for by
            # the workers' location only (a killed worker then cuts the answer, issue 17).
            self.assertRegex(site, r"upstream xapi_rest_workers \{\n\s*server unix:/run/xapi-rest/fcgi.sock;\n"
                                   r"\s*keepalive \d+;\n\}")
            self.assertNotIn("fastcgi_pass unix:/run/xapi-rest/fcgi.sock;", site)
            self.assertEqual(site.count("fastcgi_keep_conn on;"), 1)
            self.assertIn("client_body_temp_path /var/spool/xapi-rest/uploads;", site)
            write_packaged_site(d, site)
            r = subprocess.run(["nginx", "-t", "-p", d, "-c", d + "/nginx.conf"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("syntax is ok", r.stderr)
        finally:
            shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
