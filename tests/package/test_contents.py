"""The .deb and the .rpm that `make package` built: lintian and rpmlint find no error (the
warnings kept are the README's list), files in FHS places, the conffiles, the maintainer
scripts, declared dependencies, and the systemd unit's hardening (systemd-analyze security)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pkgs  # noqa: E402

# Warnings we keep, with the reason in README.md ("Packages").
LINTIAN_KEPT = {"initial-upload-closes-no-bugs"}
RPMLINT_KEPT = {"non-standard-uid", "non-standard-gid", "invalid-license", "no-manual-page-for-binary"}


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)


class DebTest(unittest.TestCase):
    def test_lintian_reports_no_error(self):
        r = run(["lintian", "--pedantic", "--display-info", pkgs.deb()])
        tags = re.findall(r"^([EWIP]): xapi-rest(?: \w+)?: (\S+)", r.stdout, re.M)
        errors = [t for level, t in tags if level == "E"]
        warnings = {t for level, t in tags if level == "W"}
        self.assertEqual(errors, [], r.stdout)
        self.assertLessEqual(warnings, LINTIAN_KEPT, r.stdout)
        print("lintian:", sorted(set(tags)))

    def test_fields_and_dependencies(self):
        info = run(["dpkg-deb", "-f", pkgs.deb()]).stdout
        self.assertRegex(info, r"(?m)^Package: xapi-rest$")
        self.assertRegex(info, r"(?m)^Version: %s-\d+$" % re.escape(pkgs.version()))
        depends = re.search(r"(?m)^Depends: (.*)$", info).group(1)
        # shlibs: every library with a version, and adduser for the maintainer scripts.
        for lib in ("libc6 (>= ", "libfcgi0ldbl (>= ", "libcurl4 (>= ", "libsqlite3-0 (>= ",
                    "libsodium23 (>= ", "libstdc++6 (>= ", "adduser"):
            self.assertIn(lib, depends)
        self.assertRegex(info, r"(?m)^Recommends: nginx")

    def test_files_in_fhs_places(self):
        listing = run(["dpkg-deb", "-c", pkgs.deb()]).stdout
        files = {l.split()[-1].lstrip(".") for l in listing.splitlines()}
        for f in ("/usr/bin/xapi-rest", "/etc/xapi-rest/xapi-rest.toml", "/lib/systemd/system/xapi-rest.service",
                  "/etc/nginx/sites-available/xapi-rest", "/usr/share/xapi-rest/openapi.json",
                  "/usr/share/doc/xapi-rest/copyright", "/usr/share/doc/xapi-rest/changelog.Debian.gz",
                  "/usr/share/doc/xapi-rest/README.md.gz", "/usr/share/xapi-rest/swagger-ui/index.html",
                  "/usr/share/xapi-rest/swagger-ui/swagger-ui-bundle.js",
                  "/usr/share/xapi-rest/swagger-ui/swagger-initializer.js",
                  "/usr/share/man/man8/xapi-rest.8.gz", "/usr/share/man/man5/xapi-rest.toml.5.gz"):
            self.assertIn(f, files)
        self.assertFalse([f for f in files if f.startswith("/etc/nginx/sites-enabled")], "site enabled")
        self.assertFalse([f for f in files if f.startswith("/usr/local") or f.startswith("/opt")])

    def test_conffiles_and_scripts(self):
        d = tempfile.mkdtemp(prefix="xr-deb-")
        try:
            subprocess.run(["dpkg-deb", "-e", pkgs.deb(), d], check=True)
            conffiles = open(os.path.join(d, "conffiles")).read().split()
            self.assertEqual(sorted(conffiles), ["/etc/nginx/sites-available/xapi-rest", "/etc/xapi-rest/xapi-rest.toml"])
            postinst = open(os.path.join(d, "postinst")).read()
            self.assertIn("adduser --system --group", postinst)
            self.assertIn("chmod 0700 /var/lib/xapi-rest", postinst)
            self.assertIn("deb-systemd-helper", postinst)  # dh_installsystemd's snippet
            postrm = open(os.path.join(d, "postrm")).read()
            self.assertIn("rm -rf /var/lib/xapi-rest", postrm)
            self.assertIn("deluser --system", postrm)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_systemd_unit_hardening(self):
        d = tempfile.mkdtemp(prefix="xr-unit-")
        try:
            subprocess.run(["dpkg-deb", "-x", pkgs.deb(), d], check=True)
            unit = open(os.path.join(d, "lib/systemd/system/xapi-rest.service")).read()
            for line in ("Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "RuntimeDirectory=xapi-rest",
                         "User=xapi-rest", "Group=www-data", "CapabilityBoundingSet=CAP_DAC_READ_SEARCH\n", "NoNewPrivileges=yes",
                         "ReadWritePaths=-/var/spool/xapi-rest", "InaccessiblePaths=-/etc/shadow",
                         "ProtectSystem=strict", "PrivateTmp=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                         "SystemCallFilter=@system-service", "StateDirectory=xapi-rest"):
                self.assertIn(line, unit)
            r = run(["systemd-analyze", "security", "--offline=true", "--root=" + d, "xapi-rest.service"])
            m = re.search(r"Overall exposure level for xapi-rest.service: ([0-9.]+) (\w+)", r.stdout)
            self.assertIsNotNone(m, r.stdout + r.stderr)
            print("systemd-analyze security: %s %s" % (m.group(1), m.group(2)))
            self.assertIn(m.group(2), ("PERFECT", "SAFE", "OK"))
        finally:
            shutil.rmtree(d, ignore_errors=True)


class RpmTest(unittest.TestCase):
    def query(self, *args):
        r = run(["rpm", "-qp"] + list(args) + [pkgs.rpm()])
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_rpmlint_reports_no_error(self):
        r = run(["rpmlint", "-c", os.path.join(pkgs.ROOT, "packaging/rpm/rpmlint.toml"), pkgs.rpm()])
        tags = re.findall(r"^xapi-rest\.\w+: ([EW]): (\S+)", r.stdout, re.M)
        self.assertEqual([t for level, t in tags if level == "E"], [], r.stdout)
        self.assertLessEqual({t for level, t in tags if level == "W"}, RPMLINT_KEPT, r.stdout)
        self.assertRegex(r.stdout, r" 0 errors, ")

    def test_file_list(self):
        files = set(self.query("-l").split())
        for f in ("/usr/bin/xapi-rest", "/etc/xapi-rest/xapi-rest.toml", "/usr/lib/systemd/system/xapi-rest.service",
                  "/usr/share/xapi-rest/nginx/xapi-rest.conf", "/usr/share/xapi-rest/openapi.json",
                  "/usr/share/doc/xapi-rest/README.md", "/var/lib/xapi-rest",
                  "/usr/share/xapi-rest/swagger-ui/index.html", "/usr/share/xapi-rest/swagger-ui/swagger-ui-bundle.js",
                  "/usr/share/licenses/xapi-rest/swagger-ui/LICENSE",
                  "/usr/share/man/man8/xapi-rest.8.gz", "/usr/share/man/man5/xapi-rest.toml.5.gz"):
            self.assertIn(f, files)
        self.assertNotIn("/etc/nginx/conf.d/xapi-rest.conf", files)  # not enabled by default

    def test_config_modes_and_owners(self):
        rows = self.query("--qf", "[%{FILENAMES} %{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILEFLAGS:fflags}\n]")
        table = {r.split()[0]: r.split()[1:] for r in rows.splitlines()}
        self.assertEqual(table["/etc/xapi-rest/xapi-rest.toml"][:3], ["-rw-r-----", "root", "xapi-rest"])
        self.assertIn("c", table["/etc/xapi-rest/xapi-rest.toml"][3])   # %config
        self.assertIn("n", table["/etc/xapi-rest/xapi-rest.toml"][3])   # (noreplace)
        self.assertEqual(table["/var/lib/xapi-rest"][:3], ["drwx------", "xapi-rest", "xapi-rest"])
        self.assertEqual(table["/etc/xapi-rest"][:3], ["drwxr-x---", "root", "xapi-rest"])

    def test_scripts_and_requires(self):
        scripts = self.query("--scripts")
        self.assertIn("useradd -r -g xapi-rest", scripts)
        self.assertIn("systemctl --no-reload preset xapi-rest.service", scripts)
        self.assertIn("disable --now xapi-rest.service", scripts)
        requires = self.query("-R")
        for dep in ("libfcgi.so.0()(64bit)", "libcurl.so.4()(64bit)", "libsqlite3.so.0()(64bit)", "shadow-utils"):
            self.assertIn(dep, requires)
        unit = subprocess.run("rpm2cpio %s | cpio -i --quiet --to-stdout ./usr/lib/systemd/system/xapi-rest.service"
                              % pkgs.rpm(), shell=True, capture_output=True, text=True).stdout
        self.assertIn("Group=nginx", unit)   # the rpm distributions' nginx group
        self.assertIn("User=xapi-rest", unit)


if __name__ == "__main__":
    unittest.main(verbosity=2)
