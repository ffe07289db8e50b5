"""Browser sessions and what XO 6's web UI needs besides the API, over HTTP through nginx
(nginx/dev.conf.in) with a stand-in UI folder: `/` without a session → /signin, the sign-in
page and form (cookie attributes, wrong password 401, throttle, safe redirects), the UI's
index.html through X-Accel-Redirect, /signout revoking the token, cross-site refusal of
cookie-authenticated state changes (Origin/Referer; Basic and header tokens unaffected),
/gui-routes, and the XO-only collections answered empty (backup jobs, repositories, logs,
schedules, proxies) with the dashboard's backup parts as XO gives them without backups."""
import http.client
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../integration/gateway"))
from stack import ROOT, Stack, packaged_site_dir, read, wait_until, write_packaged_site  # noqa: E402


def form(**fields):
    return urllib.parse.urlencode(fields).encode()


class UiSessionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ui = tempfile.mkdtemp(prefix="xr-ui-")
        os.chmod(cls.ui, 0o755)
        os.makedirs(os.path.join(cls.ui, "assets"))
        with open(os.path.join(cls.ui, "index.html"), "w") as f:
            f.write("<!doctype html><title>stand-in UI</title><div id=app></div>")
        with open(os.path.join(cls.ui, "assets/app.js"), "w") as f:
            f.write("console.log('ui')")
        for d, _, files in os.walk(cls.ui):
            for n in files:
                os.chmod(os.path.join(d, n), 0o644)
            os.chmod(d, 0o755)
        cls.s = Stack(vms=6, hosts=1, workers=1, threads=4, ui_dir=cls.ui,
                      extra_config="[auth]\nsession_validity_hours = 2")
        cls.s.cli(["user", "add", "viewer", "--permission", "none"], stdin="viewer-pw\n")
        cls.origin = "http://127.0.0.1:%d" % cls.s.port

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def signin(self, user="admin", password=None, redirect=None, headers=None, source=None):
        fields = {"username": user, "password": password if password is not None else self.s.admin_password}
        if redirect is not None:
            fields["redirect"] = redirect
        h = {"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin}
        h.update(headers or {})
        return self.s.request("POST", "/signin", headers=h, raw=form(**fields), source=source)

    def session(self):
        r = self.signin()
        self.assertEqual(r.status, 303, r.body)
        cookie = r.headers["Set-Cookie"]
        token = re.match(r"authenticationToken=([^;]+);", cookie).group(1)
        return token, cookie

    # --- /, /signin, /signout ---
    def test_root_without_a_session_redirects_to_signin(self):
        for cookie in (None, "authenticationToken=not-a-token", "authenticationToken=" + "A" * 43):
            r = self.s.get("/", cookie=cookie)
            self.assertEqual(r.status, 302, cookie)
            self.assertEqual(r.headers["Location"], "/signin")
        # Static assets need no session (they hold no data); unknown paths stay a JSON 404.
        self.assertEqual(self.s.get("/assets/app.js").status, 200)
        r = self.s.get("/nothing-here")
        self.assertEqual((r.status, r.json()), (404, {"error": "not found"}))
        self.assertEqual(self.s.get("/_xr_ui/index.html").status, 404)  # internal only

    def test_signin_page(self):
        r = self.s.get("/signin?redirect=/%23/vms")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["Content-Type"].startswith("text/html"))
        self.assertEqual(r.headers["Cache-Control"], "no-store")
        body = r.body.decode()
        for needle in ('<form method="post" action="/signin">', 'name="username"', 'name="password"',
                       'type="password"', 'name="redirect" value="/#/vms"'):
            self.assertIn(needle, body)
        self.assertNotIn("<script", body)
        # Nothing the page echoes can break out of its attribute.
        r = self.s.get("/signin?redirect=/%22%3E%3Cscript%3Ex")
        self.assertNotIn("<script", r.body.decode())

    def test_signin_sets_the_session_cookie_and_opens_the_ui(self):
        r = self.signin()
        self.assertEqual(r.status, 303)
        self.assertEqual(r.headers["Location"], "/")
        cookie = r.headers["Set-Cookie"]
        self.assertRegex(cookie, r"^authenticationToken=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax; "
                                 r"Max-Age=7200$")  # session_validity_hours = 2; no Secure over plain HTTP
        token = re.match(r"authenticationToken=([^;]+);", cookie).group(1)
        r = self.s.get("/", token=token)
        self.assertEqual(r.status, 200)
        self.assertIn(b"stand-in UI", r.body)
        self.assertEqual(r.headers["Cache-Control"], "no-cache")
        me = self.s.get("/rest/v0/users/me", token=token)
        self.assertEqual(me.status, 307)
        tokens = self.s.api(me.headers["Location"] + "/authentication_tokens?fields=description,expiration")
        sessions = [t for t in tokens if t.get("description", "").startswith("web session")]
        self.assertTrue(sessions)
        self.assertEqual(sessions[-1]["description"], "web session (sign-in from 127.0.0.1)")
        self.assertAlmostEqual(sessions[-1]["expiration"] / 1000 - time.time(), 7200, delta=120)

    def test_signin_redirect_is_a_path_of_this_site_only(self):
        for asked, location in (("/#/vms", "/#/vms"), ("https://evil.example/", "/"), ("//evil.example/x", "/"),
                                ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("/a b", "/")):
            r = self.signin(redirect=asked)
            self.assertEqual((r.status, r.headers["Location"]), (303, location), asked)

    def test_wrong_password_is_the_page_again_with_401(self):
        r = self.signin(user="admin", password="wrong", source="127.0.0.21")
        self.assertEqual(r.status, 401)
        self.assertTrue(r.headers["Content-Type"].startswith("text/html"))
        self.assertIn(b"Wrong user name or password.", r.body)
        self.assertIsNone(r.headers.get("Set-Cookie"))
        r = self.signin(user="nobody", password="x", source="127.0.0.23")  # another address and user
        self.assertEqual(r.status, 401)

    def test_signin_is_throttled_like_basic_auth(self):
        statuses = [self.signin(user="viewer", password="bad-%d" % i, source="127.0.0.22").status for i in range(12)]
        self.assertIn(429, statuses, statuses)
        r = self.signin(user="viewer", password="bad", source="127.0.0.22")
        self.assertEqual(r.status, 429)
        self.assertIn("Retry-After", r.headers)
        self.assertIn(b"Sign-in refused for now", r.body)

    def test_signout_revokes_the_token_and_clears_the_cookie(self):
        token, _ = self.session()
        self.assertEqual(self.s.get("/rest/v0/vms?limit=1", token=token).status, 200)
        r = self.s.get("/signout", token=token)
        self.assertEqual(r.status, 302)
        self.assertEqual(r.headers["Location"], "/signin")
        self.assertRegex(r.headers["Set-Cookie"], r"^authenticationToken=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0$")
        # Revoked: 401 at once (the credential memos of every worker are invalidated).
        self.assertEqual(self.s.get("/rest/v0/vms?limit=1", token=token).status, 401)
        self.assertEqual(self.s.get("/", token=token).status, 302)
        # Without a session, signing out just goes to the sign-in page.
        self.assertEqual(self.s.get("/signout").status, 302)

    # --- cross-site requests ---
    def test_cookie_state_changes_from_another_site_are_refused(self):
        token, _ = self.session()
        vm = self.s.api("/rest/v0/vms?fields=id,name_label&limit=1")[0]
        path = "/rest/v0/vms/%s" % vm["id"]
        for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                        {"Origin": "http://127.0.0.1:1"},  # same host, other port: another origin
                        {"Origin": "https://127.0.0.1:%d" % self.s.port},
                        {"Referer": "http://evil.example/page"}):
            r = self.s.request("PATCH", path, token=token, headers=headers, body={"name_label": "csrf"})
            self.assertEqual(r.status, 403, headers)
            self.assertEqual(r.json()["error"], "cross-site request refused: the session cookie works only from this site")
            r = self.s.request("POST", "/rest/v0/vms/%s/actions/clean_shutdown" % vm["id"], token=token,
                               headers=headers)
            self.assertEqual(r.status, 403, headers)
        self.assertEqual(self.s.api(path)["name_label"], vm["name_label"])  # nothing changed
        # Reads with a foreign Origin are not state changes.
        self.assertEqual(self.s.get(path, token=token, headers={"Origin": "http://evil.example"}).status, 200)
        # This site's own pages (and clients sending neither header) may.
        for headers in ({"Origin": self.origin}, {"Referer": self.origin + "/#/vms"}, {}):
            r = self.s.request("PATCH", path, token=token, headers=headers, body={"name_label": vm["name_label"]})
            self.assertEqual(r.status, 204, (headers, r.body))
        # Basic credentials are not a cookie: a foreign Origin changes nothing for them.
        r = self.s.request("PATCH", path, basic=("admin", self.s.admin_password),
                           headers={"Origin": "http://evil.example"}, body={"name_label": vm["name_label"]})
        self.assertEqual(r.status, 204, r.body)
        # A sign-in posted from another site is refused too (no session forced on the user).
        r = self.signin(headers={"Origin": "http://evil.example"})
        self.assertEqual(r.status, 403)
        self.assertIsNone(r.headers.get("Set-Cookie"))

    def test_a_non_admin_signs_in_and_keeps_the_api(self):
        # What a non-admin meets (README): a session like anyone's; the UI (admin-only here)
        # reads /gui-routes, finds no xo5 and sets location.pathname to it: a JSON 404.
        r = self.signin(user="viewer", password="viewer-pw", source="127.0.0.31")
        self.assertEqual(r.status, 303, r.body)
        token = re.match(r"authenticationToken=([^;]+);", r.headers["Set-Cookie"]).group(1)
        self.assertEqual(self.s.get("/", token=token).status, 200)
        me = self.s.get("/rest/v0/users/me", token=token)
        self.assertEqual(me.status, 307)
        self.assertEqual(self.s.get(me.headers["Location"], token=token).json()["permission"], "none")
        self.assertNotIn("xo5", self.s.get("/rest/v0/gui-routes", token=token).json())
        r = self.s.get("/undefined", token=token)
        self.assertEqual((r.status, r.json()), (404, {"error": "not found"}))
        self.assertEqual(self.s.get("/rest/v0/vms", token=token).status, 403)

    # --- what the UI reads besides the API ---
    def test_gui_routes(self):
        r = self.s.get("/rest/v0/gui-routes")  # no credentials needed, as XO
        self.assertEqual((r.status, r.json()), (200, {"xo6": "/"}))

    def test_xo_only_collections_are_empty(self):
        for c, type_ in (("backup-jobs", "backup job"), ("backup-repositories", "backup repository"),
                         ("backup-logs", "backup log"), ("restore-logs", "restore log"),
                         ("schedules", "schedule"), ("proxies", "proxy")):
            self.assertEqual(self.s.api("/rest/v0/%s" % c), [], c)
            self.assertEqual(self.s.api("/rest/v0/%s?fields=id,name&filter=name:x&limit=3" % c), [], c)
            r = self.s.get("/rest/v0/%s?ndjson=true&fields=*" % c, token=self.s.token)
            self.assertEqual((r.status, r.body), (200, b""), c)
            r = self.s.get("/rest/v0/%s/some-id" % c, token=self.s.token)
            self.assertEqual(r.status, 404, c)
            self.assertEqual(r.json(), {"error": "no such %s some-id" % type_, "data": {"id": "some-id", "type": type_}})
            self.assertEqual(self.s.get("/rest/v0/%s" % c).status, 401)
            self.assertEqual(self.s.get("/rest/v0/%s?filter=(" % c, token=self.s.token).status, 400)
        dash = self.s.api("/rest/v0/dashboard")
        self.assertEqual(dash["backups"], {"isEmpty": True})
        self.assertEqual(dash["backupRepositories"], {"isEmpty": True})


    # --- the packaged nginx site with its optional UI block turned on ---
    def test_packaged_site_ui_block(self):
        site = read(os.path.join(ROOT, "nginx/xapi-rest.conf"))
        begin, end = site.index("  # ui:begin\n"), site.index("  # ui:end\n")
        block = "\n".join(line.replace("  # ", "  ", 1) for line in site[begin:end].splitlines()[1:])
        default = "  location / {\n    default_type application/json;\n    return 404 '{\"error\":\"not found\"}';\n  }\n"
        self.assertIn(default, site[end:])
        site = site[:begin] + block + "\n" + site[end:].replace(default, "", 1)
        d = packaged_site_dir(self, "xr-ngx-ui-")
        site = site.replace("/run/xapi-rest/", os.path.dirname(self.s.socket) + "/")
        site = site.replace("/var/www/xo6-web", self.ui)
        port = write_packaged_site(d, site)
        subprocess.run(["nginx", "-p", d, "-c", d + "/nginx.conf"], check=True, capture_output=True)
        wait_until(lambda: os.path.exists(d + "/logs/nginx.pid"), 10, "nginx")
        pid = int(read(d + "/logs/nginx.pid"))
        self.addCleanup(os.kill, pid, signal.SIGQUIT)
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE

        def fetch(method, path, headers=None, body=None):
            c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
            try:
                c.request(method, path, body=body, headers=headers or {})
                r = c.getresponse()
                return r.status, r.headers, r.read()
            finally:
                c.close()

        status, headers, _ = fetch("GET", "/")
        self.assertEqual((status, headers["Location"]), (302, "/signin"))
        status, headers, body = fetch("GET", "/signin")
        self.assertEqual(status, 200)
        self.assertIn(b'action="/signin"', body)
        status, headers, _ = fetch("POST", "/signin", {"Content-Type": "application/x-www-form-urlencoded",
                                                        "Origin": "https://127.0.0.1:%d" % port},
                                   form(username="admin", password=self.s.admin_password))
        self.assertEqual(status, 303)
        cookie = headers["Set-Cookie"]
        self.assertTrue(cookie.endswith("; Secure"), cookie)  # the request came over TLS
        token = re.match(r"authenticationToken=([^;]+);", cookie).group(1)
        status, headers, body = fetch("GET", "/", {"Cookie": "authenticationToken=" + token})
        self.assertEqual(status, 200)
        self.assertIn(b"stand-in UI", body)
        self.assertEqual(headers["X-Frame-Options"], "DENY")
        status, _, body = fetch("GET", "/assets/app.js")
        self.assertEqual((status, body), (200, b"console.log('ui')"))
        status, _, body = fetch("GET", "/rest/v0/gui-routes")
        self.assertEqual((status, body), (200, b'{"xo6":"/"}'))
        # Cross-site refusal behind TLS: this site is https://127.0.0.1:<port>.
        vm = self.s.api("/rest/v0/vms?fields=id,name_label&limit=1")[0]
        for origin, expected in (("http://127.0.0.1:%d" % port, 403), ("https://127.0.0.1:%d" % port, 204)):
            status, _, body = fetch("PATCH", "/rest/v0/vms/" + vm["id"],
                                    {"Cookie": "authenticationToken=" + token, "Origin": origin,
                                     "Content-Type": "application/json"},
                                    '{"name_label": "%s"}' % vm["name_label"])
            self.assertEqual(status, expected, (origin, body))
        status, _, _ = fetch("GET", "/nothing")
        self.assertEqual(status, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
