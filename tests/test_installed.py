#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The installed module, named without a path, as a host's pam.d names it.

Run by tools/package-test.sh after the package is installed (and once
before, expecting to fail, so that a pass means the package's module did the
work).  pamtester logs a made-up user in through real libpam; pam_wrapper
keeps the service file in a private folder and nss_wrapper the user, so
nothing in /etc is read or changed; the API is the stand-in on loopback.

K6_TEST_EXPECT=absent turns the checks round: the module must not be found.
K6_TEST_COMMON_AUTH names a common-auth written by "pam-auth-update --enable
k6", for the Profile tests (tests/test_profile.py runs the profile's lines
in make check, before any package is built).
"""

import ctypes
import os
import re
import shutil
import subprocess
import sys
import unittest

import k6test
from k6test import PamTestCase

BAD = "k6bad00000000000000000000000000"
EXPECT = os.environ.get("K6_TEST_EXPECT", "installed")


class Installed(PamTestCase):
    def pamtester(self, token, args=()):
        """Authenticate alice and open a session that prints the K6_* names."""
        self.service([
            " ".join(["auth required pam_k6.so"] + self.base_args() + list(args)),
            "account required pam_permit.so",
            "session optional pam_exec.so stdout /bin/sh -c [env | grep ^K6_ | sort]",
        ], name="k6installed")
        env = dict(os.environ)
        env.update(self.wrapper_env())
        with k6test.wrapper_turn():
            proc = subprocess.run(["pamtester", "k6installed", "alice", "authenticate",
                                   "open_session"], input=token + "\n", capture_output=True,
                                  text=True, env=env, timeout=60)
        logs = re.findall(r"SYSLOG\(\d+\): (.*)", proc.stderr)
        return proc, logs

    def test_good_token(self):
        proc, logs = self.pamtester(self.GOOD)
        if EXPECT == "absent":
            self.assertNotEqual(proc.returncode, 0, "a pam_k6.so is already installed")
            self.assertNotIn("successfully authenticated", proc.stdout + proc.stderr)
            return
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("pamtester: successfully authenticated", proc.stdout + proc.stderr)
        self.assertIn("K6_CLOUD_STACK_ID=12345\n", proc.stdout)
        self.assertIn("K6_CLOUD_PROJECT_ID=67890\n", proc.stdout)
        self.assertEqual(len(self.api.take_requests()), 1)
        self.assertTrue(any(line.startswith("auth success: user=alice") for line in logs), logs)

    def test_bad_token(self):
        proc, logs = self.pamtester(BAD)
        self.assertNotEqual(proc.returncode, 0)
        self.assertNotIn("K6_CLOUD_", proc.stdout)
        if EXPECT == "absent":
            self.assertEqual(self.api.take_requests(), [])
            return
        self.assertIn("Authentication failure", proc.stdout + proc.stderr)
        self.assertEqual(len(self.api.take_requests()), 1)
        self.assertTrue(any(line.startswith("auth denied: user=alice") for line in logs), logs)


class Command(PamTestCase):
    """pam_k6ctl, installed in sbin with its man page, not set-user-ID."""

    def test_pam_k6ctl_installed(self):
        ctl = shutil.which("pam_k6ctl", path="/usr/sbin:/usr/bin:/sbin:/bin")
        if EXPECT == "absent":
            self.assertIsNone(ctl, "a pam_k6ctl is already installed")
            return
        self.assertEqual(ctl, "/usr/sbin/pam_k6ctl")
        st = os.stat(ctl)
        self.assertEqual(st.st_mode & 0o7777, 0o755)
        self.assertEqual(st.st_uid, 0)
        self.assertTrue(os.path.exists("/usr/share/man/man8/pam_k6ctl.8.gz"))
        k6test.CTL = ctl
        run = self.run_ctl("test", "alice", "--", *self.base_args(), stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("K6_CLOUD_STACK_ID=12345", run.rows("export"))


class Profile(PamTestCase):
    """The common-auth that "pam-auth-update --enable k6" wrote (the file
    named by K6_TEST_COMMON_AUTH), as the auth lines of a service.  Written
    out, not included: this libpam reads an @include from /etc/pam.d even
    when the service came from pam_wrapper's folder."""

    def run_common_auth(self, k6_args, token, user="alice"):
        if not os.environ.get("K6_TEST_COMMON_AUTH"):
            self.skipTest("K6_TEST_COMMON_AUTH names no common-auth")
        with open(os.environ["K6_TEST_COMMON_AUTH"]) as f:
            text = f.read()
        self.assertEqual(len(re.findall(r"\bpam_k6\.so\b", text)), 1, text)
        text = re.sub(r"\bpam_k6\.so\b.*", " ".join(["pam_k6.so"] + k6_args), text)
        self.service(text.splitlines() + ["account required pam_permit.so"], name="k6profile")
        env = dict(os.environ)
        env.update(self.wrapper_env())
        with k6test.wrapper_turn():
            proc = subprocess.run(["pamtester", "k6profile", user, "authenticate"],
                                  input=token + "\n", capture_output=True, text=True,
                                  env=env, timeout=60)
        return proc, re.findall(r"SYSLOG\(\d+\): (.*)", proc.stderr)

    def test_as_shipped_the_password_stack_decides(self):
        # Enabled but not yet given stack_url: no token prompt, a logged
        # configuration error, and pam_unix as before.
        proc, logs = self.run_common_auth([], self.GOOD)
        self.assertNotEqual(proc.returncode, 0)
        self.assertNotIn("k6 API token", proc.stderr)
        self.assertIn("Password: ", proc.stderr)
        self.assertEqual(self.api.take_requests(), [])
        self.assertTrue(any(line.startswith("auth configuration error:") and
                            "/etc/security/pam_k6.conf: no such file, and no stack_url= (or "
                            "users=) on the line" in line for line in logs), logs)

    def test_with_stack_url_a_token_logs_in(self):
        proc, logs = self.run_common_auth(self.base_args(), self.GOOD)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("k6 API token: ", proc.stderr)
        self.assertNotIn("Password: ", proc.stderr)
        self.assertTrue(any(line.startswith("auth success: user=alice") for line in logs), logs)

    def test_only_members_of_k6users_are_asked(self):
        # bob is not in k6users: pam_unix asks, and his answer goes nowhere.
        proc, logs = self.run_common_auth(self.base_args(), self.GOOD, user="bob")
        self.assertNotEqual(proc.returncode, 0)
        self.assertNotIn("k6 API token", proc.stderr)
        self.assertIn("Password: ", proc.stderr)
        self.assertEqual(self.api.take_requests(), [])
        self.assertFalse([line for line in logs if line.startswith("auth ")], logs)


def skip_unless_ready():
    missing = [tool for tool in ("pamtester", "openssl") if not shutil.which(tool)]
    for lib in k6test.PRELOADS:
        try:
            ctypes.CDLL(lib)
        except OSError:
            missing.append(lib)
    if missing:
        sys.stderr.write("SKIP: missing %s (apt-get install pamtester openssl libpam-wrapper"
                         " libnss-wrapper)\n" % ", ".join(missing))
        sys.exit(k6test.SKIP)


if __name__ == "__main__":
    skip_unless_ready()
    unittest.main(verbosity=2)
