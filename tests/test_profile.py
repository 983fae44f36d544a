#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The pam-auth-update profile, debian/pam-configs/k6, as shipped.

Its Auth lines, with Debian's unix profile after them, make the
common-auth that "pam-auth-update --enable k6" writes (common_auth() does
what pam-auth-update does: each "end" becomes the jump past the Primary
block), and real libpam runs it under pam_wrapper: only members of the
group k6users (alice here) are asked for a token; for everyone else
pam_k6 does not run, nothing they type is sent, and pam_unix asks for the
password.  tests/test_installed.py runs the file pam-auth-update itself
wrote, once the package is installed (tools/package-test.sh).
"""

import os
import re

import k6test
from k6test import MODULE, PAM_SUCCESS, PamTestCase

PROFILE = os.path.join(k6test.SRCDIR, "debian", "pam-configs", "k6")
# Debian 12's /usr/share/pam-configs/unix, the Auth lines it gives when
# another profile comes first.
UNIX_AUTH = ["[success=end default=ignore]\tpam_unix.so nullok try_first_pass"]


def auth_lines(path):
    """The profile's Auth: lines, as pam-auth-update reads them."""
    with open(path) as f:
        text = f.read()
    m = re.search(r"^Auth:\n((?:[ \t]+\S.*\n?)+)", text, re.M)
    if m is None:
        raise AssertionError("%s: no Auth: lines" % path)
    return [line.strip() for line in m.group(1).splitlines()]


def common_auth(primary):
    """common-auth as pam-auth-update writes it: the Primary lines, each
    "end" replaced by the number of Primary lines from there on (a jump
    past the block, onto pam_permit), then pam_deny and pam_permit."""
    lines = []
    count = len(primary)
    for line in primary:
        control, module = re.match(r"(\[[^]]+\]|\w+)\s+(.*)", line).groups()
        lines.append("auth %s %s" % (control.replace("end", str(count)), module))
        count -= 1
    return lines + ["auth requisite pam_deny.so", "auth required pam_permit.so"]


class Profile(PamTestCase):
    def run_profile(self, user, answers, k6_args=None):
        k6_args = self.base_args() if k6_args is None else k6_args
        lines = []
        for line in common_auth(auth_lines(PROFILE) + UNIX_AUTH):
            lines.append(re.sub(r"(?<=\s)pam_k6\.so(?=\s|$)", " ".join([MODULE] + k6_args),
                                line))
        name = self.service(lines + ["account required pam_permit.so"], name="k6profile")
        return self.run_driver(name, user=user, answers=answers)

    def test_the_profile_asks_only_members_of_k6users(self):
        lines = auth_lines(PROFILE)
        self.assertEqual(len([line for line in lines if "pam_k6.so" in line]), 1)
        self.assertTrue(any(re.search(r"\bpam_succeed_if\.so quiet user ingroup k6users$", line)
                            for line in lines), lines)

    def test_a_member_logs_in_with_a_token(self):
        r = self.run_profile("alice", [self.GOOD])
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(r.prompts, [("echo_off", "k6 API token: ")])
        self.assertEqual(r.k6_env().get("K6_CLOUD_STACK_ID"), "12345")
        self.assert_outcome(r, "success", "user=alice")

    def test_others_never_see_the_token_prompt(self):
        # Whatever they type goes to pam_unix, never to the API.
        for user in ("bob", "root", "nosuchuser"):
            with self.subTest(user=user):
                r = self.run_profile(user, [self.GOOD])
                self.assertNotEqual(r.auth, PAM_SUCCESS)
                self.assertEqual(r.prompts, [("echo_off", "Password: ")])
                self.assertEqual(r.outcome_lines(), [])
                self.assertEqual(self.api.take_requests(), [])

    def test_a_member_meets_the_password_when_pam_k6_cannot_decide(self):
        # Enabled before pam_k6.conf says which stack: a configuration
        # error, and pam_unix as before.
        r = self.run_profile("alice", [self.GOOD], k6_args=["nodelay"])
        self.assertNotEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(r.prompts, [("echo_off", "Password: ")])
        self.assert_outcome(r, "configuration error", "pam_k6.conf: no such file, and no stack_url=")
        self.assertEqual(self.api.take_requests(), [])


if __name__ == "__main__":
    k6test.main()
