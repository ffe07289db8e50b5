"""Lists sent by nginx from files rendered once per cache generation (issue 14,
fcgi-app/worker/list_files.h): byte-identical to the answer through the FastCGI socket,
credentials and query checked first, the files unreachable from outside, a new generation
after a change, one render for concurrent requests, the folder bounded by
cache.list_files_mb."""
import http.client
import os
import signal
import ssl
import stat
import subprocess
import sys
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stack import ROOT, Stack, packaged_site_dir, read, wait_until, write_packaged_site  # noqa: E402

LISTS = [
    "/rest/v0/vms",
    "/rest/v0/vms?fields=name_label,power_state",
    "/rest/v0/vms?fields=name_label,power_state&ndjson=true",
    "/rest/v0/vms?ndjson",
    "/rest/v0/vms?fields=*",
    "/rest/v0/vms?fields=name_label,power_state&filter=power_state:Running",
    "/rest/v0/vms?fields=name_label&filter=name_label:nothing-has-this-name",
    "/rest/v0/vms?fields=name_label,power_state&limit=3",
    "/rest/v0/vms?fields=name_label,uuid&markdown=true",
    "/rest/v0/hosts?fields=*",
    "/rest/v0/vdis?fields=name_label,size,$SR",
]
KEEP_OLD_S = 1.0  # ListFiles::kKeepOld


def list_files(folder):
    return sorted(n for n in os.listdir(folder) if n.endswith(".list")) if os.path.isdir(folder) else []


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


class ListFilesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Stack(vms=20, hosts=2)
        cls.folder = os.path.join(cls.s.dir, "lists")  # cache.list_dir's default: next to the socket

    @classmethod
    def tearDownClass(cls):
        cls.s.stop()

    def get(self, path, **kw):
        kw.setdefault("token", self.s.token)
        return self.s.get(path, **kw)

    def file_of(self, body):
        """The list file holding exactly `body` (fails when there is none)."""
        for name in list_files(self.folder):
            if read_bytes(os.path.join(self.folder, name)) == body:
                return name
        self.fail("no list file holds the answer (files: %s)" % list_files(self.folder))

    def test_every_format_is_the_same_bytes_from_the_file_and_through_the_socket(self):
        for path in LISTS:
            with self.subTest(path=path):
                first = self.get(path)
                self.assertEqual(first.status, 200, first.body[:200])
                name = self.file_of(first.body)
                again = self.get(path)
                self.assertEqual(again.body, first.body)
                # nginx cannot open the file now: @xr_list_miss asks xapi-rest again, which
                # then streams the list through its socket. Same bytes, same headers.
                os.chmod(os.path.join(self.folder, name), 0)
                try:
                    direct = self.get(path)
                finally:
                    os.chmod(os.path.join(self.folder, name), 0o644)
                self.assertEqual(direct.status, 200)
                self.assertEqual(direct.body, first.body)
                for h in ("Content-Type", "ETag", "X-Revision"):
                    self.assertEqual(direct.headers.get(h), first.headers.get(h), h)

    def test_answer_headers_are_xapi_rests_not_the_files(self):
        r = self.get("/rest/v0/vms?fields=name_label")
        self.assertEqual(r.status, 200)
        self.file_of(r.body)
        self.assertEqual(r.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertTrue(r.headers["ETag"].startswith('W/"'), r.headers["ETag"])
        self.assertRegex(r.headers["X-Revision"], r"^\S+$")
        self.assertIsNone(r.headers.get("Last-Modified"))
        self.assertEqual(self.get("/rest/v0/vms?fields=name_label&ndjson=true").headers["Content-Type"],
                         "application/x-ndjson")
        self.assertEqual(self.get("/rest/v0/vms?fields=name_label&markdown=true").headers["Content-Type"],
                         "text/markdown; charset=utf-8")
        not_modified = self.get("/rest/v0/vms?fields=name_label", headers={"If-None-Match": r.headers["ETag"]})
        self.assertEqual(not_modified.status, 304)
        head = self.s.request("HEAD", "/rest/v0/vms?fields=name_label", token=self.s.token)
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")

    def test_the_files_cannot_be_fetched_directly(self):
        r = self.get("/rest/v0/vms?fields=name_label,power_state")
        name = self.file_of(r.body)
        for kw in ({}, {"token": self.s.token}):
            direct = self.s.get("/_xr_list/" + name, **kw)
            self.assertEqual(direct.status, 404, kw)  # nginx's internal 404, then xapi-rest's
            self.assertNotEqual(direct.body, r.body)
            self.assertIn("error", direct.json())

    def test_credentials_and_query_are_checked_before_any_file(self):
        path = "/rest/v0/vms?fields=name_label,power_state"
        self.file_of(self.get(path).body)  # the file is there
        for kw in ({"token": None}, {"token": "x" * 43}):
            r = self.get(path, **kw)
            self.assertEqual(r.status, 401, kw)
            self.assertEqual(r.json()["error"], "invalid credentials")
        before = list_files(self.folder)
        self.assertEqual(self.get("/rest/v0/vms?limit=abc").status, 422)
        self.assertEqual(self.get("/rest/v0/vms?filter=%28").status, 400)
        self.assertEqual(self.get("/rest/v0/nothing").status, 404)
        self.assertEqual(list_files(self.folder), before)
        mode = stat.S_IMODE(os.stat(self.folder).st_mode)
        self.assertEqual(mode & 0o022, 0, oct(mode))  # nobody but the service writes there

    def test_a_change_makes_a_new_generation_and_the_old_files_go(self):
        path = "/rest/v0/vms?fields=name_label,uuid"
        before = self.get(path)
        old_name = self.file_of(before.body)
        vm = before.json()[0]
        self.s.sims[0].control("rename", {"ref": vm["uuid"], "name": "renamed-for-list-files"})
        wait_until(lambda: b"renamed-for-list-files" in self.get(path).body, 20, "the rename in the list")
        after = self.get(path)
        new_name = self.file_of(after.body)
        self.assertNotEqual(new_name.split("-")[1], old_name.split("-")[1])  # another sequence number
        self.assertNotEqual(after.headers["ETag"], before.headers["ETag"])
        # A render of the new generation removes the files of older ones once kKeepOld passed.
        time.sleep(KEEP_OLD_S + 0.2)
        self.get("/rest/v0/vms?fields=name_label,uuid&limit=2")
        self.assertNotIn(old_name, list_files(self.folder))
        prefix = new_name[:26]
        self.assertTrue(all(n.startswith(prefix) for n in list_files(self.folder)), list_files(self.folder))

    def test_concurrent_requests_of_a_new_list_get_one_file(self):
        path = "/rest/v0/vms?fields=*&filter=power_state:Running&concurrent=1"
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(lambda _: self.get(path), range(32)))
        self.assertTrue(all(a.status == 200 for a in answers), [a.status for a in answers])
        self.assertEqual(len({a.body for a in answers}), 1)
        name = self.file_of(answers[0].body)
        same = [n for n in list_files(self.folder) if read_bytes(os.path.join(self.folder, n)) == answers[0].body]
        self.assertEqual(same, [name])
        self.assertEqual([n for n in os.listdir(self.folder) if n.startswith(".")], [])  # no leftovers

    def test_the_packaged_site_sends_the_files_too(self):
        """nginx/xapi-rest.conf as shipped (only its paths moved into the stack's folder), over
        HTTPS with gzip: the same list as through the dev site, from the file."""
        d = packaged_site_dir(self, "xr-ngx-lists-")
        site = read(os.path.join(ROOT, "nginx/xapi-rest.conf"))
        self.assertIn("alias /run/xapi-rest/lists/;", site)
        port = write_packaged_site(d, site.replace("/run/xapi-rest/", os.path.dirname(self.s.socket) + "/"))
        subprocess.run(["nginx", "-p", d, "-c", d + "/nginx.conf"], check=True, capture_output=True)
        wait_until(lambda: os.path.exists(d + "/logs/nginx.pid"), 10, "nginx")
        self.addCleanup(os.kill, int(read(d + "/logs/nginx.pid")), signal.SIGQUIT)
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        path = "/rest/v0/vms?fields=name_label,power_state&packaged=1"
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
        c.request("GET", path, headers={"Cookie": "authenticationToken=" + self.s.token})
        r = c.getresponse()
        body = r.read()
        c.close()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["Content-Type"], "application/json; charset=utf-8")
        self.assertTrue(r.headers["ETag"].startswith('W/"'))
        self.assertEqual(body, self.get(path).body)
        self.file_of(body)
        # Sent by nginx from the file (a list streamed through the socket comes chunked).
        self.assertEqual(r.headers["Content-Length"], str(len(body)))


class ListFilesBudgetTest(unittest.TestCase):
    """cache.list_files_mb bounds the folder; beyond it lists go through the socket."""
    def test_the_folder_stays_within_the_budget_and_lists_stay_right(self):
        s = Stack(vms=60, hosts=2, list_files_mb=1)
        try:
            folder = os.path.join(s.dir, "lists")
            size = len(s.get("/rest/v0/vms?fields=*", token=s.token).body)
            n = (1 << 20) // size + 4  # enough distinct lists to pass 1 MiB
            for i in range(n):
                r = s.get("/rest/v0/vms?fields=*&limit=%d" % (1000 + i), token=s.token)
                self.assertEqual(r.status, 200)
                self.assertEqual(len(r.json()), 60)
            used = sum(os.path.getsize(os.path.join(folder, f)) for f in list_files(folder))
            self.assertLess(used, (1 << 20) + size)  # at most one list past the budget
            self.assertLess(len(list_files(folder)), n)  # some were not kept
        finally:
            s.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
