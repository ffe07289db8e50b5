#!/usr/bin/python3
"""Our OpenAPI document (`xapi-rest openapi`, generated from the route table) against XO's
own (@xen-orchestra/rest-api@0.39.0, fetched by tests/npm/install.sh), route by route:
every operation XO also has carries XO's operationId and x-mcp-exposure; every operation
that is ours alone follows the exposure rule and is listed in README.md; and the document
passes the linters (lint_openapi.mjs) with zero errors.
Environment: XR_APP (the binary), XR_NPM_DIR, XR_SOURCE_DIR."""
import json
import os
import subprocess
import unittest

APP = os.environ["XR_APP"]
NPM = os.environ["XR_NPM_DIR"]
ROOT = os.environ["XR_SOURCE_DIR"]
XO_DOC = os.path.join(NPM, "rest-api/package/open-api/spec/swagger.json")
METHODS = ("get", "put", "post", "delete", "patch")

# Deliberate differences from XO's operationIds, with the reason (also in README.md).
OPERATION_ID_DIFFERENCES = {
    ("get", "/sms"): ("GetSrs", "GetSms", "XO reuses the SR operationIds; ids must be unique"),
    ("get", "/sms/{id}"): ("GetSr", "GetSm", "XO reuses the SR operationIds; ids must be unique"),
    ("post", "/hosts/{id}/actions/management_reconfigure"): (
        "ManagementReconfigure", "ManagementReconfigureHost",
        "XO gives the host's and the pool's management_reconfigure the same operationId; ids must be unique"),
}
# Ours alone: the exposure rule's exceptions (reads are allow, changes confirm), with reasons.
EXPOSURE_EXCEPTIONS = {
    "GetRoot": ("deny", "the list of collection URLs: nothing for an assistant, and its tool would have no name"),
    "openApiSpec": ("deny", "the API document itself (XO denies its swagger.json too)"),
    "RedirectMe": ("deny", "user administration: redirects to the caller's own user"),
    "RedirectMeSubPath": ("deny", "user administration: redirects to the caller's own user"),
    "DeleteAuthenticationToken": ("deny", "credentials"),
    "CreateUpload": ("deny", "image transfers, as XO's imports and exports"),
    "GetUpload": ("deny", "image transfers, as XO's imports and exports"),
    "PatchUpload": ("deny", "image transfers, as XO's imports and exports"),
    "DeleteUpload": ("deny", "image transfers, as XO's imports and exports"),
}


def operations(doc):
    for path, item in doc["paths"].items():
        for method in METHODS:
            if method in item:
                yield (method, path), item[method]


class OpenApiAgainstXo(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        out = subprocess.run([APP, "openapi"], capture_output=True, text=True, check=True).stdout
        cls.ours = json.loads(out)
        with open(XO_DOC) as f:
            cls.xo = json.load(f)
        cls.ours_ops = dict(operations(cls.ours))
        cls.xo_ops = dict(operations(cls.xo))

    def test_xo_document_is_the_pinned_one(self):
        exposures = [op.get("x-mcp-exposure") for op in self.xo_ops.values()]
        self.assertEqual(len(self.xo_ops), 271)
        self.assertEqual((exposures.count("allow"), exposures.count("confirm"), exposures.count("deny")),
                         (139, 109, 18))

    def test_shared_routes_carry_xo_operation_ids_and_exposures(self):
        shared = sorted(set(self.ours_ops) & set(self.xo_ops))
        self.assertGreater(len(shared), 60)
        for key in shared:
            ours, xo = self.ours_ops[key], self.xo_ops[key]
            with self.subTest("%s %s" % key):
                expected = xo["operationId"]
                if key in OPERATION_ID_DIFFERENCES:
                    self.assertEqual(OPERATION_ID_DIFFERENCES[key][0], expected)
                    expected = OPERATION_ID_DIFFERENCES[key][1]
                self.assertEqual(ours["operationId"], expected)
                self.assertEqual(ours.get("x-mcp-exposure"), xo.get("x-mcp-exposure"))
        print("operations shared with XO: %d of our %d (XO has %d)"
              % (len(shared), len(self.ours_ops), len(self.xo_ops)))

    def test_our_own_routes_follow_the_exposure_rule_and_are_in_the_readme(self):
        with open(os.path.join(ROOT, "README.md")) as f:
            readme = f.read()
        ours_alone = sorted(set(self.ours_ops) - set(self.xo_ops))
        for key in ours_alone:
            op = self.ours_ops[key]
            with self.subTest("%s %s" % key):
                op_id = op["operationId"]
                rule = "allow" if key[0] == "get" else "confirm"
                expected = EXPOSURE_EXCEPTIONS.get(op_id, (rule, ""))[0]
                self.assertEqual(op.get("x-mcp-exposure"), expected)
                self.assertIn("`%s`" % op_id, readme, "README's MCP table must list %s" % op_id)

    @staticmethod
    def body_keys(doc, method, path):
        """The property names of an operation's JSON request body ($ref and allOf followed)."""
        def resolve(schema):
            if "$ref" in schema:
                name = schema["$ref"].rsplit("/", 1)[-1]
                return resolve(doc["components"]["schemas"][name])
            keys = set(schema.get("properties", {}))
            for part in schema.get("allOf", []) + schema.get("anyOf", []):
                keys |= resolve(part)
            return keys
        body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
        return resolve(body)

    def test_patch_bodies_take_every_key_of_xos(self):
        for path in ("/vms/{id}", "/vifs/{id}"):
            with self.subTest(path):
                xo = self.body_keys(self.xo, "patch", path)
                self.assertGreater(len(xo), 3, "XO's body of PATCH %s not found" % path)
                self.assertEqual(sorted(xo - self.body_keys(self.ours, "patch", path)), [])

    def test_operation_ids_are_unique(self):
        ids = [op["operationId"] for op in self.ours_ops.values()]
        self.assertEqual(len(ids), len(set(ids)))

    def test_document_lints_with_zero_errors(self):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "xr-openapi-%d.json" % os.getpid())
        with open(path, "w") as f:
            json.dump(self.ours, f)
        try:
            r = subprocess.run(["node", os.path.join(ROOT, "tests/openapi/lint_openapi.mjs"), NPM, path],
                               capture_output=True, text=True, timeout=120)
        finally:
            os.unlink(path)
        print(r.stdout.strip().splitlines()[-1] if r.stdout.strip() else r.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
