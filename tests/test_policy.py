#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Site policy end to end: the configuration file, the users file, stack pins."""

import os

import k6test
from k6test import (PAM_AUTH_ERR, PAM_SERVICE_ERR, PAM_SUCCESS, PAM_USER_UNKNOWN, MODULE,
                    PamTestCase)

TEAM_A = "k6teama0123456789abcdef012345678"
TEAM_B = "k6teamb0123456789abcdef012345678"
OPS = "k6opsxx0123456789abcdef012345678"


class Policy(PamTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api.add_account(TEAM_A, "https://team-a.grafana.net", 111, 112)
        cls.api.add_account(TEAM_B, "https://team-b.grafana.net", 221, 222)
        cls.api.add_account(OPS, "https://ops.grafana.net", 331, 332)
        cls.secrets |= {TEAM_A, TEAM_B, OPS}

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("the files must be owned by root: run as root")

    def write(self, name, text, mode=0o644):
        path = os.path.join(self.tmp, name)
        if os.path.lexists(path):
            os.unlink(path)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def api_args(self, *extra):
        return ["api_url=" + self.api.url, "ca_file=" + self.ca, "nodelay"] + list(extra)

    def users_args(self, users_text, *extra):
        return self.api_args("users=" + self.write("users", users_text), *extra)

    def login(self, user, token, args, **kw):
        return self.authenticate([token], args=args, user=user, **kw)


class ConfigFile(Policy):
    def test_file_alone(self):
        conf = self.write("pam_k6.conf", "# the team's stack\nstack_url = alpha\n"
                          "api_url = %s\nca_file = %s\nnodelay\n" % (self.api.url, self.ca))
        r = self.login("alice", self.GOOD, ["conf=" + conf])
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "12345")

    def test_arguments_override_the_file(self):
        conf = self.write("pam_k6.conf", "stack_url = alpha\nprompt = \"file prompt: \"\n"
                          "timeout = 1\n")
        line = "auth required %s conf=%s [prompt=argument prompt: ] %s" % (
            MODULE, conf, " ".join(self.api_args()))
        r = self.run_driver(self.service([line]), answers=[self.GOOD])
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(r.prompts, [("echo_off", "argument prompt: ")])

    def test_a_flag_argument_turns_off_the_file_s_flag(self):
        # One file for every service; sudo's line says export_token=no.
        conf = self.write("pam_k6.conf", "stack_url = alpha  # the team's stack\n"
                          "export_token = yes\n")
        r = self.login("alice", self.GOOD, ["conf=" + conf] + self.api_args())
        self.assertEqual(r.env.get("K6_CLOUD_TOKEN"), self.GOOD)
        line = "auth required %s conf=%s export_token=no %s" % (MODULE, conf,
                                                             " ".join(self.api_args()))
        r = self.run_driver(self.service([line]), answers=[self.GOOD])
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertNotIn("K6_CLOUD_TOKEN", r.env)
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "12345")

    def test_file_errors_name_the_line(self):
        conf = self.write("pam_k6.conf", "stack_url = alpha\n\ntimeout = later\n")
        r = self.login("alice", self.GOOD, self.api_args("conf=" + conf))
        self.assertEqual(r.auth, PAM_SERVICE_ERR)
        self.assertEqual(r.prompts, [])
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "configuration error", "pam_k6.conf:3: option 'timeout'")

    def test_unsafe_permissions_refused(self):
        for mode in (0o664, 0o646, 0o666):
            with self.subTest(mode=oct(mode)):
                conf = self.write("pam_k6.conf", "stack_url = alpha\n", mode)
                r = self.login("alice", self.GOOD, self.api_args("conf=" + conf))
                self.assertEqual(r.auth, PAM_SERVICE_ERR)
                self.assertEqual(self.api.take_requests(), [])
                self.assert_outcome(r, "configuration error", "writable by group or others")

    def test_folder_others_or_its_group_may_write_refused(self):
        # A group that may write the folder may delete the file, and with it
        # the pins and trust settings it holds.
        folder = os.path.join(self.tmp, "conf-folder")
        os.makedirs(folder, exist_ok=True)
        conf = os.path.join(folder, "pam_k6.conf")
        with open(conf, "w") as f:
            f.write("stack_url = alpha\n")
        os.chmod(conf, 0o644)
        for mode in (0o775, 0o757, 0o1777):
            with self.subTest(mode=oct(mode)):
                os.chmod(folder, mode)
                r = self.login("alice", self.GOOD, self.api_args("conf=" + conf))
                self.assertEqual(r.auth, PAM_SERVICE_ERR)
                self.assertEqual(self.api.take_requests(), [])
                self.assert_outcome(r, "configuration error",
                                    "the folder %s is writable by group or others" % folder)
        os.chmod(folder, 0o755)
        self.assertEqual(self.login("alice", self.GOOD, self.api_args("conf=" + conf)).auth,
                         PAM_SUCCESS)

    def test_every_folder_above_must_be_root_s(self):
        # The configuration and users files are found as the late parts are:
        # a folder above them of another account's (alice, uid 1000) is one
        # whose owner may put another folder in its place.
        top = os.path.join(self.tmp, "alice-owns")
        folder = os.path.join(top, "security")
        os.makedirs(folder, exist_ok=True)
        os.chmod(top, 0o755)
        os.chmod(folder, 0o755)
        conf = os.path.join(folder, "pam_k6.conf")
        users = os.path.join(folder, "pam_k6.users")
        for path, text in ((conf, "stack_url = alpha\n"), (users, "* alpha\n")):
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o644)
        os.chown(top, 1000, 1000)
        why = "the folder %s is owned by uid 1000" % top
        try:
            for args in (["conf=" + conf], ["users=" + users]):
                with self.subTest(args=args):
                    r = self.login("alice", self.GOOD, self.api_args(*args))
                    self.assertEqual(r.auth, PAM_SERVICE_ERR, r.stderr[-2000:])
                    self.assert_outcome(r, "configuration error", why)
                    self.assertEqual(self.api.take_requests(), [])
        finally:
            os.chown(top, 0, 0)
        self.assertEqual(self.login("alice", self.GOOD, self.api_args("conf=" + conf)).auth,
                         PAM_SUCCESS)

    def test_symlink_refused(self):
        real = self.write("real.conf", "stack_url = alpha\n")
        link = os.path.join(self.tmp, "link.conf")
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(real, link)
        r = self.login("alice", self.GOOD, self.api_args("conf=" + link))
        self.assertEqual(r.auth, PAM_SERVICE_ERR)
        self.assert_outcome(r, "configuration error", "is a symbolic link")

    def test_named_file_must_exist(self):
        r = self.login("alice", self.GOOD,
                       self.api_args("conf=" + os.path.join(self.tmp, "absent.conf")))
        self.assertEqual(r.auth, PAM_SERVICE_ERR)
        self.assert_outcome(r, "configuration error", "absent.conf")


class CaseInsensitiveNames(Policy):
    """Where the name service ignores case (SSSD and AD do by default),
    ALICE is the alice account: she must meet alice's line, not the *
    line, and her groups are the account's."""

    USERS = ("alice      team-a\n"
             "@loadtest  team-b\n"
             "*          ops\n")

    def setUp(self):
        super().setUp()
        module = os.environ.get("K6_TEST_NSS_NOCASE",
                                os.path.join(k6test.SRCDIR, "tests", ".libs", "libnss_nocase.so"))
        if not os.path.exists(module):
            self.skipTest("tests/libnss_nocase.so not built; run through make check")
        self.nocase = {"NSS_WRAPPER_MODULE_SO_PATH": module,
                       "NSS_WRAPPER_MODULE_FN_PREFIX": "nocase",
                       "K6_TEST_NOCASE_PASSWD": os.path.join(self.tmp, "passwd")}

    def test_the_account_s_own_line_decides(self):
        args = self.users_args(self.USERS)
        # The * line's stack would take OPS; alice's line does not.
        r = self.login("ALICE", OPS, args, env=self.nocase)
        self.assertEqual(r.auth, PAM_AUTH_ERR, r.stderr)
        self.assertEqual([dict(q["headers"])["X-Stack-Url"] for q in self.api.take_requests()],
                         ["https://team-a.grafana.net"])
        r = self.login("ALICE", TEAM_A, args, env=self.nocase)
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(r.env["K6_CLOUD_STACK_URL"], "https://team-a.grafana.net")

    def test_groups_are_the_account_s(self):
        # bob is in loadtest under his own name only.
        r = self.login("Bob", TEAM_B, self.users_args(self.USERS), env=self.nocase)
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(r.env["K6_CLOUD_STACK_URL"], "https://team-b.grafana.net")

    def test_the_name_service_really_ignores_case(self):
        # Without the module the same name is no account at all: the tests
        # above do reach the account through a case-blind look-up.
        r = self.login("ALICE", TEAM_A, self.users_args(self.USERS))
        self.assertEqual(r.auth, PAM_USER_UNKNOWN)
        self.assert_outcome(r, "user unknown", "no such user")


class UsersFile(Policy):
    USERS = ("# who may log in, and where\n"
             "alice      team-a\n"
             "@loadtest  team-b    221\n"
             "carol      ops       999\n")

    def test_two_users_two_stacks(self):
        args = self.users_args(self.USERS)
        a = self.login("alice", TEAM_A, args)
        self.assertEqual(a.auth, PAM_SUCCESS, a.stderr)
        self.assertEqual((a.env["K6_CLOUD_STACK_ID"], a.env["K6_CLOUD_STACK_URL"]),
                         ("111", "https://team-a.grafana.net"))
        # bob is in the loadtest group only.
        b = self.login("bob", TEAM_B, args)
        self.assertEqual(b.auth, PAM_SUCCESS, b.stderr)
        self.assertEqual((b.env["K6_CLOUD_STACK_ID"], b.env["K6_CLOUD_PROJECT_ID"]),
                         ("221", "222"))
        sent = [dict(req["headers"])["X-Stack-Url"] for req in self.api.take_requests()]
        self.assertEqual(sent, ["https://team-a.grafana.net", "https://team-b.grafana.net"])

    def test_names_match_in_their_own_case(self):
        # nss_wrapper's files keep case, as most name services do: alice is
        # not Alice, and BOB is an account of his own.  Each meets the *
        # line, never the line of a name spelled otherwise.
        passwd = os.path.join(self.tmp, "passwd-case")
        with open(passwd, "w") as f:
            f.write(k6test.PASSWD + "BOB:x:1010:1010:Bob in capitals:/home/BOB:/bin/sh\n")
        env = {"NSS_WRAPPER_PASSWD": passwd}
        args = self.users_args("Alice  team-a\nbob    team-b\n*      ops\n")
        for user in ("alice", "BOB"):
            with self.subTest(user=user):
                r = self.login(user, OPS, args + ["debug"], env=env)
                self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
                self.assertEqual(r.env["K6_CLOUD_STACK_URL"], "https://ops.grafana.net")
                self.assertIn("target: stack_url=https://ops.grafana.net stack_id=0 "
                              "(users file line 3)", r.log_text())
        self.assertEqual(self.login("bob", TEAM_B, args, env=env).auth, PAM_SUCCESS)
        sent = [dict(req["headers"])["X-Stack-Url"] for req in self.api.take_requests()]
        self.assertEqual(sent, ["https://ops.grafana.net"] * 2 + ["https://team-b.grafana.net"])

    def test_first_line_wins(self):
        # alice is also in loadtest, but her own line comes first.
        r = self.login("alice", TEAM_B, self.users_args(self.USERS))
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assert_outcome(r, "denied", "HTTP 403")

    def test_debug_logs_what_was_configured_and_what_was_resolved(self):
        # The options line says what the site configured (the users file, no
        # stack of its own); the target line, what this login resolved.
        users = self.write("users", self.USERS)
        r = self.login("bob", TEAM_B, self.api_args("users=" + users, "debug"))
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        text = r.log_text()
        self.assertNotIn("(null)", text)
        (options,) = [t for _, t in r.logs if t.startswith("options: ")]
        self.assertIn(" users=%s " % users, options)
        self.assertIn(" stack_url=none ", options)
        (target,) = [t for _, t in r.logs if t.startswith("target: ")]
        self.assertEqual(target, "target: stack_url=https://team-b.grafana.net stack_id=221"
                                 " (users file line 3)")
        self.assert_outcome(r, "success", "stack=https://team-b.grafana.net", "stack_id=221")

    def test_unlisted_user_is_unknown_after_the_prompt(self):
        r = self.login("dave", TEAM_A, self.users_args(self.USERS))
        self.assertEqual(r.auth, PAM_USER_UNKNOWN)
        self.assertEqual(r.prompts, [("echo_off", "k6 API token: ")])
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "user unknown", "no line of the users file matches")

    def test_root_refused_by_default(self):
        for extra in ((), ("allow_root",)):
            with self.subTest(extra=extra):
                r = self.login("root", OPS, self.users_args("*  ops\n@root ops\n", *extra))
                self.assertEqual(r.auth, PAM_USER_UNKNOWN)
                self.assertEqual(self.api.take_requests(), [])
                self.assert_outcome(r, "user unknown", "uid 0")

    def test_root_by_name(self):
        r = self.login("root", OPS, self.users_args("*  team-a\nroot ops 331\n"))
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "331")

    def test_pinned_stack_id_mismatch(self):
        # carol's line pins 999; the API answers 331 for the ops stack.
        r = self.login("carol", OPS, self.users_args(self.USERS))
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(r.k6_env(), {})
        self.assert_outcome(r, "denied", "stack_id 331", "pinned stack is 999")

    def test_pinned_stack_id_match(self):
        r = self.login("bob", TEAM_B, self.users_args(self.USERS))
        self.assertEqual(r.auth, PAM_SUCCESS)

    def test_users_with_stack_url_is_a_config_error(self):
        r = self.login("alice", TEAM_A, self.users_args(self.USERS, "stack_url=team-a"))
        self.assertEqual(r.auth, PAM_SERVICE_ERR)
        self.assertEqual(r.prompts, [])
        self.assert_outcome(r, "configuration error", "'users' and 'stack_url' exclude")

    def test_bad_users_file(self):
        r = self.login("alice", TEAM_A, self.users_args("alice team-a\nbob\n"))
        self.assertEqual(r.auth, PAM_SERVICE_ERR)
        self.assertEqual(r.prompts, [])
        self.assert_outcome(r, "configuration error", "users:2: want NAME STACK")

    def test_unsafe_users_file(self):
        path = self.write("users", "alice team-a\n", 0o666)
        r = self.login("alice", TEAM_A, self.api_args("users=" + path))
        self.assertEqual(r.auth, PAM_SERVICE_ERR)
        self.assert_outcome(r, "configuration error", "writable by group or others")

    def test_users_file_from_the_config_file(self):
        users = self.write("users", self.USERS)
        conf = self.write("pam_k6.conf", "users = %s\n" % users)
        r = self.login("alice", TEAM_A, self.api_args("conf=" + conf))
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "111")


class StackIdOption(Policy):
    def test_single_stack_pin(self):
        ok = self.login("alice", self.GOOD, self.api_args("stack_url=alpha", "stack_id=12345"))
        self.assertEqual(ok.auth, PAM_SUCCESS)
        bad = self.login("alice", self.GOOD, self.api_args("stack_url=alpha", "stack_id=54321"))
        self.assertEqual(bad.auth, PAM_AUTH_ERR)
        self.assert_outcome(bad, "denied", "pinned stack is 54321")


if __name__ == "__main__":
    k6test.main()
