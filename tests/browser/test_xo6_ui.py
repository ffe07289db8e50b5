"""XO 6's web UI (the unmodified build in ../shared/peers/xo6-web, or $XR_XO6_WEB) served by
nginx/dev.conf.in in front of xapi-rest and the XAPI simulator, driven in headless Chromium
(xo6_ui_browser.mjs): sign-in, every page of issue 20 without an error answer, a loading card
or the "Unable to connect" banner, a rename arriving live, start/stop from the VM page, sign-out.
Screenshots of every step: BUILD/test-artifacts/xo6-ui/<step>.png (or the stack folder)."""
import http.client
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../integration/gateway"))
from stack import ROOT, Stack  # noqa: E402

NPM = os.environ.get("XR_NPM_DIR", "")
ARTIFACTS = os.environ.get("XR_ARTIFACTS", "")


def find_ui():
    """$XR_XO6_WEB, else <repo>/../shared/peers/xo6-web, looked for from the repository up (a
    worktree or the landing tree sits one folder deeper than the main checkout)."""
    if os.environ.get("XR_XO6_WEB"):
        return os.environ["XR_XO6_WEB"]
    d = os.path.abspath(ROOT)
    while os.path.dirname(d) != d:
        d = os.path.dirname(d)
        if os.path.isfile(os.path.join(d, "shared/peers/xo6-web/index.html")):
            return os.path.join(d, "shared/peers/xo6-web")
    return os.path.join(ROOT, "../shared/peers/xo6-web")


UI_DIR = find_ui()
if __name__ == "__main__" and not os.path.isfile(os.path.join(UI_DIR, "index.html")):
    # The UI is a fixture kept outside the repository (never copied into it): a checkout
    # with no shared/peers/xo6-web above it and no XR_XO6_WEB cannot run this test. ctest
    # reports it as skipped (SKIP_RETURN_CODE 77), naming where it looked.
    print("SKIPPED: XO 6's web UI build not found at %s (set XR_XO6_WEB to the built UI)" % UI_DIR)
    sys.exit(77)
DRIVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "xo6_ui_browser.mjs")


def browse(config_path):
    r = subprocess.run(["node", DRIVER, "--npm", NPM, "--config", config_path],
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise AssertionError("browser: %s %s" % (r.stdout[-3000:], r.stderr[-3000:]))
    return json.loads(r.stdout.strip().splitlines()[-1])


def task_sse_served(stack):
    """Whether the stream role takes SSE subscriptions to `task` (the tasks room's part)."""
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    try:
        conn.request("GET", "/rest/v0/events", headers={"Cookie": "authenticationToken=" + stack.token})
        resp = conn.getresponse()
        line = b""
        while not line.startswith(b"data:"):
            line = resp.fp.readline()
        conn_id = json.loads(line[5:])["id"]
        r = stack.request("POST", "/rest/v0/events/%s/subscriptions" % conn_id, token=stack.token,
                          body={"collection": "task"})
        return r.status == 201
    finally:
        conn.close()


def pick(stack, collection, fields, pred=lambda o: True):
    for o in stack.api("/rest/v0/%s?fields=%s" % (collection, fields)):
        if pred(o):
            return o
    raise AssertionError("no matching object in " + collection)


class Xo6UiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isfile(os.path.join(UI_DIR, "index.html")):
            raise AssertionError("XO 6's web UI build not found at %s (set XR_XO6_WEB)" % UI_DIR)
        cls.stack = Stack(vms=12, hosts=2, ui_dir=UI_DIR)
        s = cls.stack
        cls.shots = os.path.join(ARTIFACTS or s.dir, "xo6-ui")
        os.makedirs(cls.shots, exist_ok=True)
        pool = pick(s, "pools", "id,name_label")
        host = pick(s, "hosts", "id,name_label")
        vm = pick(s, "vms", "id,name_label,power_state", lambda o: o["power_state"] == "Running")
        halted = pick(s, "vms", "id,name_label,power_state", lambda o: o["power_state"] == "Halted")
        cls.ids = {"pool": pool["id"], "host": host["id"], "vm": vm["id"], "vm_halted": halted["id"]}
        cls.config = dict(cls.ids, base="http://127.0.0.1:%d" % s.port, user="admin", password=s.admin_password,
                          shots=cls.shots, sim=s.sims[0].url, sim_user="root", sim_password=s.sims[0].password,
                          names={"pool": pool["name_label"], "host": host["name_label"], "vm": vm["name_label"],
                                 "vm_halted": halted["name_label"]})
        # Until SSE `task` is served, its refused subscription is the one tolerated error answer
        # (the task cards keep loading: test_3_pool_tasks_page says so).
        cls.task_sse = task_sse_served(s)
        cls.config["tolerate"] = [] if cls.task_sse else [['POST /rest/v0/events/', '"collection":"task"']]
        # The halted VM's page asks for its stats: 422 as XO answers for a halted VM (the UI
        # shows no chart); the pages of the issue are a running VM's.
        cls.config["tolerate"].append(["422 GET /rest/v0/vms/%s/stats?" % halted["id"]])
        path = os.path.join(s.dir, "browser.json")
        with open(path, "w") as f:
            json.dump(cls.config, f)
        only = os.environ.get("XR_UI_STEPS")  # a comma-separated subset, when debugging
        if only:
            cls.config["only"] = only.split(",")
            with open(path, "w") as f:
                json.dump(cls.config, f)
        cls.result = browse(path)
        cls.steps = {st["name"]: st for st in cls.result["steps"]}
        print(json.dumps(cls.result, indent=1)[:20000])

    @classmethod
    def tearDownClass(cls):
        s = cls.stack
        for src, name in ((s.serve_log_path, "serve.log"), (os.path.join(s.dir, "nginx/logs/error.log"), "nginx-error.log")):
            if os.path.exists(src):
                shutil.copy(src, os.path.join(cls.shots, name))
        s.stop()

    def assertStep(self, name):
        st = self.steps.get(name)
        self.assertIsNotNone(st, "step %s did not run" % name)
        self.assertTrue(st["ok"], json.dumps(st, indent=1))
        self.assertGreater(os.path.getsize(os.path.join(self.shots, name + ".png")), 5000)
        return st

    def test_1_root_without_session_lands_on_signin(self):
        self.assertStep("signin_redirect")

    def test_2_signin_sets_the_cookie(self):
        st = self.assertStep("signin")
        self.assertEqual(st["cookie"], {"httpOnly": True, "sameSite": "Lax", "path": "/", "secure": False})
        self.assertTrue(st["url"].startswith(self.config["base"] + "/#/"), st["url"])

    def test_3_pages(self):
        for name in ("dashboard", "pools", "pool_dashboard", "pool_vms", "pool_hosts",
                     "host_dashboard", "vm_dashboard", "vm_system", "vms"):
            with self.subTest(page=name):
                self.assertStep(name)

    def test_3_pool_tasks_page(self):
        if not self.task_sse:
            self.skipTest("SSE subscriptions to `task` are not served yet: the task list keeps loading")
        self.assertStep("pool_tasks")

    def test_3_no_error_answer_at_all(self):
        # Every /rest/v0 answer >= 400 of the whole run, also between steps.
        self.assertEqual(self.result["allBad"], [])

    def test_6_console_connects(self):
        st = self.assertStep("console")
        self.assertEqual(st["px"][:3], [255, 0, 0])
        self.assertGreaterEqual(st["opened"], 1)

    def test_4_rename_shows_live(self):
        st = self.assertStep("live_rename")
        self.assertLessEqual(st["rename_ms"], 2000)

    def test_5_start_and_stop_from_the_change_state_menu(self):
        st = self.assertStep("change_state")
        self.assertEqual([(x["item"], x["sim"], x["page"]) for x in st["states"]],
                         [("Start", "Running", True), ("Force shutdown", "Halted", True)])
        if not self.task_sse:
            self.skipTest("power changes checked; the task list needs SSE `task` (not served yet)")
        self.assertEqual(st["task_listed"], {"/tasks": True, "/vm/%s/tasks" % self.ids["vm_halted"]: True})

    def test_9_signout(self):
        st = self.assertStep("signout")
        self.assertEqual(st["token_status"], 401)
        self.assertFalse(st["cookie_left"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
