"""Logs as the systemd unit makes them: when stderr is the journal stream systemd names in
$JOURNAL_STREAM, every line of every role starts with its syslog priority (<6>, <4>, <3>,
which journald takes as the level) and carries the role and pid, without a timestamp of its
own; on a terminal or a file the line has an ISO time instead. Never a secret: the pool's
password, an admin's token and password are in no line, even when the pool fails."""
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

APP = os.environ.get("XR_APP", "")
SECRET = "s3cret-pool-password"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JournalLogTest(unittest.TestCase):
    def run_serve(self, journal):
        d = tempfile.mkdtemp(prefix="xr-log-")
        try:
            config = os.path.join(d, "xapi-rest.toml")
            with open(config, "w") as f:
                f.write('[server]\nsocket = "%s/fcgi.sock"\nworkers = 1\nthreads = 2\n[storage]\ndata_dir = "%s"\n'
                        '[poller]\nretry_max = 1\n[[pool]]\nname = "gone"\nurl = "https://127.0.0.1:%d"\n'
                        'user = "root"\npassword = "%s"\ntls = "insecure"\n' % (d, d, free_port(), SECRET))
            r = subprocess.run([APP, "user", "add", "admin", "--config", config], input="admin-secret-pw\n",
                               text=True, capture_output=True)
            self.assertEqual(r.returncode, 0, r.stderr)
            log_path = os.path.join(d, "serve.log")
            with open(log_path, "w") as log:
                st = os.fstat(log.fileno())
                env = dict(os.environ)
                env.pop("JOURNAL_STREAM", None)
                if journal:
                    env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
                p = subprocess.Popen([APP, "serve", "--config", config], stdout=log, stderr=log, env=env)
                try:
                    deadline = time.monotonic() + 20
                    while time.monotonic() < deadline:
                        text = open(log_path).read()
                        if "[worker 1 pid" in text and "[poller pid" in text and "gone" in text.split("[poller pid", 1)[1]:
                            break
                        time.sleep(0.1)
                    time.sleep(1.5)  # a reconnection attempt or two
                finally:
                    p.send_signal(signal.SIGTERM)
                    p.wait(20)
            with open(log_path) as f:
                return f.read().splitlines()
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_journal_lines_carry_priority_role_and_pid(self):
        lines = self.run_serve(journal=True)
        self.assertGreater(len(lines), 3)
        for line in lines:
            self.assertRegex(line, r"^<[3467]>\[[a-z]+(?: \d+)? pid \d+\] "
                                   r"(debug|info|warn|error) ")
        levels = {line[1] for line in lines}
        self.assertIn("6", levels)              # info
        self.assertTrue(levels & {"3", "4"})    # the unreachable pool: warn or error
        self.assertFalse([l for l in lines if SECRET in l or "admin-secret-pw" in l])

    def test_file_lines_carry_the_time(self):
        lines = self.run_serve(journal=False)
        for line in lines:
            self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \[[a-z]+(?: \d+)? pid \d+\] ")
        self.assertFalse([l for l in lines if SECRET in l])


if __name__ == "__main__":
    unittest.main(verbosity=2)
