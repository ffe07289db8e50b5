"""Our action and task answers against XO's own OpenAPI response schemas (issue 9's proof):
202 {taskId} of actions and abort, task records (GET /tasks/{id}) of success, failure and
pending tasks, task lists with fields (GET /tasks), per-object lists (GET /vms/{id}/tasks).
Runs the stack, collects the answers, validates them with validate_xo_responses.mjs (ajv)."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.environ["XR_SOURCE_DIR"]
NPM = os.environ["XR_NPM_DIR"]
sys.path.insert(0, os.path.join(ROOT, "tests/integration/gateway"))
from stack import Stack  # noqa: E402


class ActionResponsesAgainstXo(unittest.TestCase):
    def test_answers_validate_against_xos_response_schemas(self):
        s = Stack(vms=8, hosts=1, workers=1, threads=4)
        items = []

        def keep(method, path, status, r):
            self.assertEqual(r.status, int(status), r.body[:300])
            items.append({"method": method, "path": path, "status": status, "body": r.json()})

        try:
            vms = s.api("/rest/v0/vms?fields=id,power_state")
            running = [v["id"] for v in vms if v["power_state"] == "Running"]
            r = s.request("POST", "/rest/v0/vms/%s/actions/snapshot" % running[0], token=s.token,
                          body={"name_label": "conformance"})
            keep("post", "/vms/{id}/actions/snapshot", "202", r)
            ok = r.json()["taskId"]
            r = s.request("POST", "/rest/v0/vms/%s/actions/start" % running[0], token=s.token)
            keep("post", "/vms/{id}/actions/start", "202", r)
            failed = r.json()["taskId"]
            s.sims[0].control("hang", {"method": "VM.pause"})
            r = s.request("POST", "/rest/v0/vms/%s/actions/pause" % running[1], token=s.token)
            keep("post", "/vms/{id}/actions/pause", "202", r)
            hanging = r.json()["taskId"]
            keep("get", "/tasks/{id}", "200", s.get("/rest/v0/tasks/" + hanging, token=s.token))
            for t in (ok, failed):
                keep("get", "/tasks/{id}", "200", s.get("/rest/v0/tasks/%s?wait=true" % t, token=s.token))
            keep("get", "/tasks", "200", s.get("/rest/v0/tasks?fields=*", token=s.token))
            keep("get", "/tasks", "200", s.get("/rest/v0/tasks", token=s.token))
            keep("get", "/vms/{id}/tasks", "200", s.get("/rest/v0/vms/%s/tasks?fields=status,properties" % running[0],
                                                      token=s.token))
            keep("post", "/tasks/{id}/actions/abort", "202",
                 s.request("POST", "/rest/v0/tasks/%s/actions/abort" % hanging, token=s.token))
            s.get("/rest/v0/tasks/%s?wait=result" % hanging, token=s.token)
            keep("get", "/tasks/{id}", "200", s.get("/rest/v0/tasks/" + hanging, token=s.token))
        finally:
            s.stop()
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"items": items}, f)
        try:
            r = subprocess.run(["node", os.path.join(ROOT, "tests/conformance/validate_xo_responses.mjs"), NPM, f.name],
                               capture_output=True, text=True, timeout=120)
        finally:
            os.unlink(f.name)
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("11 validated, 0 failed", r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
