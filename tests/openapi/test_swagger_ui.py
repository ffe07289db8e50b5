"""Swagger UI at /rest/v0/docs, served by nginx from the staged swagger-ui-dist files (the
same folder the packages ship), the document from xapi-rest: the redirect, the assets and
their types, the document beside them; then headless Chromium lists every operation and
"Try it out" on GET /vms with a token returns the VM list the API returns (a screenshot is
kept in the build tree: BUILD/test-artifacts/swagger-ui.png)."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../integration/gateway"))
from stack import Stack  # noqa: E402

NPM = os.environ.get("XR_NPM_DIR", "")
ARTIFACTS = os.environ.get("XR_ARTIFACTS", "")


def browse(base, token, screenshot):
    """Runs swagger_ui_browser.mjs; returns its JSON result."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "swagger_ui_browser.mjs")
    r = subprocess.run(["node", script, "--npm", NPM, "--base", base, "--token", token, "--screenshot", screenshot],
                       capture_output=True, text=True, timeout=180)
    if r.returncode != 0:
        raise AssertionError("browser: %s %s" % (r.stdout[-2000:], r.stderr[-3000:]))
    return json.loads(r.stdout.strip().splitlines()[-1])


class SwaggerUiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(vms=8, hosts=2)

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def test_redirect_assets_and_document(self):
        s = self.stack
        r = s.get("/rest/v0/docs")
        self.assertEqual(r.status, 301)
        self.assertEqual(r.headers["Location"], "/rest/v0/docs/")
        r = s.get("/rest/v0/docs/")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["Content-Type"].startswith("text/html"))
        self.assertIn(b"swagger-initializer.js", r.body)
        for asset, ctype in (("swagger-ui-bundle.js", "application/javascript"), ("swagger-ui.css", "text/css"),
                             ("swagger-initializer.js", "application/javascript"), ("favicon-32x32.png", "image/png")):
            r = s.get("/rest/v0/docs/" + asset)
            self.assertEqual(r.status, 200, asset)
            self.assertTrue(r.headers["Content-Type"].startswith(ctype), (asset, r.headers["Content-Type"]))
        self.assertIn(b'url: "./swagger.json"', s.get("/rest/v0/docs/swagger-initializer.js").body)
        for name in ("swagger.json", "openapi.json"):
            r = s.get("/rest/v0/docs/" + name)
            self.assertEqual(r.status, 200, name)
            self.assertEqual(r.json()["openapi"], "3.1.0")

    def test_browser_try_it_out_get_vms(self):
        s = self.stack
        shot = os.path.join(ARTIFACTS or s.dir, "swagger-ui.png")
        os.makedirs(os.path.dirname(shot), exist_ok=True)
        result = browse("http://127.0.0.1:%d" % s.port, s.token, shot)
        self.assertEqual(result["errors"], [])
        self.assertIn("/rest/v0/docs/#/vms/GetVms", result["url"])
        document = s.get("/rest/v0/docs/swagger.json").json()
        operations = sum(1 for p in document["paths"].values() for m in p if m in ("get", "put", "post", "patch", "delete"))
        self.assertEqual(result["operations"], operations)
        self.assertEqual(result["status"], "200")
        # The UI fills the parameters' examples in: the answer is the API's for that URL.
        path = result["requestUrl"].split("127.0.0.1:%d" % s.port, 1)[1]
        self.assertTrue(path.startswith("/rest/v0/vms"), path)
        vms = json.loads(result["body"])
        self.assertEqual(vms, s.api(path))
        self.assertGreater(len(vms), 0)
        self.assertGreater(os.path.getsize(shot), 10000)
        print("screenshot:", shot)


if __name__ == "__main__":
    unittest.main(verbosity=2)
