"""The manual pages: xapi-rest(8) names every command and option of the program's usage
text, xapi-rest.toml(5) (generated from the key table) every key of every table of the
shipped config, and groff formats both without a warning."""
import os
import re
import subprocess
import unittest

ROOT = os.environ.get("XR_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
APP = os.environ.get("XR_APP", "")
MAN5 = os.environ.get("XR_CONFIG_MAN", "")
MAN8 = os.path.join(ROOT, "packaging/man/xapi-rest.8")


def read(path):
    with open(path) as f:
        return f.read()


def plain(page):
    """The page as man shows it (plain text, no hyphenation marks)."""
    r = subprocess.run(["groff", "-man", "-Tutf8", "-P", "-cbou", page], capture_output=True, text=True, check=True)
    return r.stdout.replace("\u2010", "-").replace("\u2212", "-")


class ManPagesTest(unittest.TestCase):
    def test_groff_formats_without_warnings(self):
        for page in (MAN8, MAN5):
            r = subprocess.run(["groff", "-man", "-ww", "-z", "-Tutf8", page], capture_output=True, text=True)
            self.assertEqual((r.returncode, r.stderr), (0, ""), page)

    def test_xapi_rest_8_names_every_command_and_option(self):
        usage = subprocess.run([APP, "--help"], capture_output=True, text=True).stdout
        text = plain(MAN8)
        synopsis = text.split("SYNOPSIS", 1)[1].split("DESCRIPTION", 1)[0]
        commands = re.findall(r"^  ([a-z-]+(?: [a-z]+)?)", usage, re.M)
        self.assertGreaterEqual(len(commands), 8)
        for command in commands:
            words = command.split()
            if words[0] in ("user", "token"):
                self.assertIn("xapi-rest " + command, synopsis)
            else:
                self.assertIn("xapi-rest " + words[0], synopsis)
        for option in set(re.findall(r"--[a-z-]+", usage)):
            self.assertIn(option, synopsis, option)
        for section in ("COMMANDS", "SIGNALS", "FILES", "SIGHUP", "SIGTERM", "/etc/xapi-rest/xapi-rest.toml"):
            self.assertIn(section, text)

    def test_xapi_rest_toml_5_lists_every_key(self):
        shipped = read(os.path.join(ROOT, "packaging/xapi-rest.toml"))
        text = plain(MAN5)
        table, keys = None, []
        for line in shipped.splitlines():
            m = re.match(r"^#? ?\[(\[?[a-z_]+\]?)\]$", line)
            if m:
                table = m.group(1)
                continue
            m = re.match(r"^# ([a-z_]+) = ", line)
            if m and table:
                keys.append((table, m.group(1)))
        self.assertGreaterEqual(len(keys), 20)
        for table, key in keys:
            section = text.split("\n[%s]\n" % table, 1)
            self.assertEqual(len(section), 2, table)
            self.assertRegex(section[1].split("\n[", 1)[0], r"(?m)^       %s[\n ]" % re.escape(key), (table, key))
        self.assertIn("default 1024", text)            # server.backlog's default
        self.assertIn("one of verify|fingerprint|insecure", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
