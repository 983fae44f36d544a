#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pam_k6ctl through its real binary: every command, every exit status,
pam.d services with includes and substacks, the broken configurations the
module refuses (and that the module does refuse them too), the cache, and a
token that never shows in its output or its log.

The fault matrix (test_faults.py) also runs every row that is a token typed
at a prompt through pam_k6ctl test, and checks that it reaches the module's
verdict.
"""

import os
import re
import shutil
import stat
import subprocess
import time
import unittest

import k6test
from k6test import (MODULE, PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_SERVICE_ERR, PAM_SUCCESS,
                    PamTestCase, token_pieces)
from test_e2e import free_port

BAD = "k6bad00000000000000000000000000"


class Ctl(PamTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.path.exists(k6test.CTL):
            raise unittest.SkipTest("pam_k6ctl not built; run through make check")

    def setUp(self):
        super().setUp()
        self.root = os.geteuid() == 0

    def need_root(self):
        if not self.root:
            self.skipTest("the configuration files must be root's: run as root")

    def write(self, name, text, mode=0o644):
        path = os.path.join(self.tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        return path

    def api_args(self, *extra):
        return ["api_url=" + self.api.url, "ca_file=" + self.ca, "nodelay",
                "timeout=3", "connect_timeout=2"] + list(extra)

    def module_refuses(self, args):
        """The module, given the same arguments, refuses the configuration."""
        r = self.authenticate([self.GOOD], args=args)
        self.assertEqual(r.auth, PAM_SERVICE_ERR, r.stderr[-1500:])
        return r


class Commands(Ctl):
    def test_version(self):
        run = self.run_ctl("--version")
        self.assertEqual(run.returncode, 0)
        lines = run.stdout.splitlines()
        self.assertEqual(lines[0], "pam_k6ctl (pam_k6) %s" % k6test.VERSION)
        self.assertRegex(lines[1], r"^libcurl \d+\.\d+\.\d+, TLS \S+")
        self.assertRegex(lines[2], r"^json-c \d+\.\d+")

    def test_help_lists_commands_and_exit_codes(self):
        run = self.run_ctl("--help")
        self.assertEqual(run.returncode, 0)
        for text in ("pam_k6ctl check", "pam_k6ctl test USER", "pam_k6ctl cache",
                     "--no-cache", "--update-cache", "--expired", "0 accepted", "1 refused",
                     "2 configuration or usage error", "3 the k6 API could not be reached",
                     "4 any other failure"):
            self.assertIn(text, run.stdout)

    def test_usage_errors_are_one_clear_line_and_2(self):
        for argv in ([], ["frobnicate"], ["test"], ["test", "--service", "sshd"],
                     ["cache"], ["cache", "shred"], ["cache", "--expired", "list"],
                     ["cache", "--cache-dir", "relative", "list"],
                     ["check", "--service", "a/b"], ["check", "--service", "sshd", "--", "x"],
                     ["check", "--no-cache"], ["test", "alice", "--no-cache", "--update-cache"],
                     ["check", "--bogus"]):
            with self.subTest(argv=argv):
                run = self.run_ctl(*argv)
                self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
                self.assertEqual(run.stdout, "")
                self.assertTrue(run.stderr.startswith("pam_k6ctl: "), run.stderr)
                self.assertEqual(len(run.stderr.splitlines()), 1, run.stderr)
                self.assertTrue(run.stderr.endswith(" (pam_k6ctl --help lists the commands)\n"),
                                run.stderr)


class Check(Ctl):
    def test_every_option_with_where_it_came_from(self):
        self.need_root()
        conf = self.write("check/pam_k6.conf", "# the team's stack\nstack_url = alpha\n"
                          "timeout = 7  # seconds\nexport_token\n")
        run = self.run_ctl("check", "--", "conf=" + conf, "timeout=3", "debug=no")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertEqual(run.stderr, "")
        rows = {line.split()[0]: line.split()[1:] for line in run.stdout.splitlines()
                if line.startswith("  ")}
        self.assertEqual(rows["stack_url"], ["https://alpha.grafana.net", conf + ":2"])
        self.assertEqual(rows["timeout"], ["3", "argument"])
        self.assertEqual(rows["export_token"], ["yes", conf + ":4"])
        self.assertEqual(rows["debug"], ["no", "argument"])
        self.assertEqual(rows["api_url"], ["https://api.k6.io", "default"])
        self.assertEqual(rows["conf"], [conf, "argument"])
        self.assertEqual(rows["cache"], ["off"])
        self.assertIn("trust store", run.stdout)
        self.assertTrue(run.stdout.rstrip().endswith("accepted"), run.stdout)
        # The same options, printed by the same code as the module's debug line.
        r = self.authenticate([self.GOOD], args=["conf=" + conf, "timeout=3", "debug"] +
                              self.api_args()[:2])
        (options,) = [t for _, t in r.logs if t.startswith("options: ")]
        self.assertIn(" stack_url=https://alpha.grafana.net ", options)
        self.assertIn(" export_token=yes ", options)

    def broken(self):
        """Configurations the module refuses, each with what must be named."""
        d = os.path.join(self.tmp, "broken")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        conf = os.path.join(d, "pam_k6.conf")
        users = os.path.join(d, "pam_k6.users")

        def files(text, mode=0o644, users_text=None, users_mode=0o644):
            self.write("broken/pam_k6.conf", text, mode)
            if users_text is not None:
                self.write("broken/pam_k6.users", users_text, users_mode)
            return ["conf=" + conf]

        def link():
            files("stack_url = alpha\n")
            os.rename(conf, conf + ".real")
            os.symlink(conf + ".real", conf)
            return ["conf=" + conf]

        def group_folder():
            files("stack_url = alpha\n")
            os.chmod(d, 0o775)
            return ["conf=" + conf]

        return [
            ("a typo", lambda: files("stack_url = alpha\nstak_id = 5\n"),
             conf + ":2: unknown option 'stak_id'"),
            ("a bad value", lambda: files("stack_url = alpha\ntimeout = soon\n"),
             conf + ":2: option 'timeout'"),
            ("a flag's bad value", lambda: files("stack_url = alpha\ndebug = 1\n"),
             conf + ":2: option 'debug': value must be yes or no"),
            ("a key twice", lambda: files("stack_url = alpha\nstack_url = beta\n"),
             conf + ":2: option 'stack_url' given more than once"),
            ("mode 0664", lambda: files("stack_url = alpha\n", 0o664),
             "writable by group or others"),
            ("a group-writable folder", group_folder,
             "pam_k6.conf: the folder %s is writable by group" % d),
            ("a symbolic link", link, "is a symbolic link"),
            ("a named file missing", lambda: ["conf=" + os.path.join(d, "absent.conf")],
             "absent.conf"),
            ("no stack", lambda: files("timeout = 3\n"), "'stack_url' (or 'users') is required"),
            ("users and stack_url", lambda: files("stack_url = alpha\nusers = %s\n" % users,
                                                  users_text="* alpha\n"),
             "exclude each other"),
            ("a bad users line", lambda: files("users = %s\n" % users,
                                               users_text="alice team-a 12 extra\n"),
             users + ":1: want NAME STACK"),
            ("a users file others may write",
             lambda: files("users = %s\n" % users, users_text="* alpha\n", users_mode=0o646),
             users + " is writable by group or others"),
            ("offline_ttl below cache_ttl",
             lambda: files("stack_url = alpha\ncache_ttl = 60\noffline_ttl = 30\n"),
             "'offline_ttl' must be at least 'cache_ttl'"),
            ("a ca_file that is not there",
             lambda: files("stack_url = alpha\nca_file = %s\n" % os.path.join(d, "no.pem")),
             "option 'ca_file': %s: No such file" % os.path.join(d, "no.pem")),
        ]

    def test_broken_configurations_exit_2_naming_the_problem(self):
        self.need_root()
        for what, make, named in self.broken():
            with self.subTest(what):
                args = make()
                extra = ["api_url=" + self.api.url] + ([] if "ca_file" in what else
                                                       ["ca_file=" + self.ca])
                run = self.run_ctl("check", "--", *(args + extra))
                self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
                self.assertIn("pam_k6ctl: error: ", run.stderr)
                self.assertIn(named, run.stderr)
                self.assertIn("refused: the module would return PAM_SERVICE_ERR", run.stdout)
                # And the module, given the same arguments, refuses too.
                self.module_refuses(args + extra)
                self.assertEqual(self.api.take_requests(), [])
                os.chmod(os.path.join(self.tmp, "broken"), 0o755)

    def test_a_missing_configuration_file_is_named(self):
        conf = os.environ.get("K6_TEST_CONF", "/etc/security/pam_k6.conf")
        if os.path.exists(conf):
            self.skipTest("%s exists on this machine" % conf)
        run = self.run_ctl("check")
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("pam_k6ctl: error: %s: no such file, and no stack_url= (or users=) on "
                      "the line" % conf, run.stderr)
        # The module logs the same.
        r = self.authenticate([self.GOOD], args=["nodelay"])
        self.assertIn("%s: no such file, and no stack_url= (or users=) on the line" % conf,
                      r.stderr)

    def test_every_problem_of_a_file_is_listed(self):
        self.need_root()
        conf = self.write("many/pam_k6.conf", "stack_url = alpha\nbogus = 1\ntimeout = later\n"
                          "debug = sometimes\n")
        run = self.run_ctl("check", "--", "conf=" + conf, "ip_resolve=ipv5")
        self.assertEqual(run.returncode, 2)
        problems = [line for line in run.stderr.splitlines() if "error:" in line]
        self.assertEqual(len(problems), 4, run.stderr)
        for named in (conf + ":2: unknown option 'bogus'", conf + ":3: option 'timeout'",
                      conf + ":4: option 'debug'", "option 'ip_resolve'"):
            self.assertTrue(any(named in p for p in problems), (named, problems))

    def test_the_shipped_sample_names_known_keys(self):
        # Every commented-out setting of examples/pam_k6.conf, turned on alone
        # beside a stack, is a key the module knows with a value it takes
        # (a path may name what this machine lacks, nothing more).
        self.need_root()
        with open(os.path.join(k6test.SRCDIR, "examples", "pam_k6.conf")) as f:
            settings = re.findall(r"^#([a-z_]+)(?: = (.*))?$", f.read(), re.M)
        self.assertGreater(len(settings), 15)
        for key, value in settings:
            with self.subTest(key=key):
                line = "%s = %s" % (key, value) if value else key
                stack = "" if key in ("stack_url", "users") else "stack_url = alpha\n"
                conf = self.write("sample/pam_k6.conf", stack + line + "\n")
                run = self.run_ctl("check", "--", "conf=" + conf)
                self.assertNotIn("unknown option", run.stderr)
                if run.returncode != 0:
                    self.assertRegex(run.stderr, r"No such file|cannot open", run.stderr)

    def test_no_system_trust_store(self):
        # In a mount namespace of its own, an empty /etc/ssl/certs: neither
        # libcurl's default bundle nor its folder is there.
        if not self.root or shutil.which("unshare") is None:
            self.skipTest("needs root and unshare")
        prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                  'mount -t tmpfs tmpfs /etc/ssl/certs && exec "$@"', "sh"]
        run = self.run_ctl("check", "--", "stack_url=alpha", prefix=prefix)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("no system trust store", run.stderr)
        self.assertIn("install ca-certificates", run.stderr)
        # The module fails every login there too, as a configuration error.
        r = self.authenticate([self.GOOD], args=["stack_url=alpha", "api_url=" + self.api.url,
                                                 "nodelay"], prefix=prefix)
        self.assertEqual(r.auth, PAM_SERVICE_ERR, r.stderr[-1500:])
        self.assert_outcome(r, "configuration error", "cannot load the trust store")
        # With a ca_file the system store is not needed.
        run = self.run_ctl("check", "--", "stack_url=alpha", "ca_file=" + self.ca, prefix=prefix)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)

    def test_an_unusable_cache_is_a_warning(self):
        self.need_root()
        cache = os.path.join(self.tmp, "open-cache")
        os.makedirs(cache, exist_ok=True)
        os.chmod(cache, 0o755)
        run = self.run_ctl("check", "--", "stack_url=alpha", "cache_ttl=60",
                           "cache_dir=" + cache)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("pam_k6ctl: warning: cache %s: the cache folder is not root's alone" % cache,
                      run.stderr)
        self.assertIn("logins would be validated online", run.stderr)

    def test_an_ordinary_user_is_told_what_it_cannot_read(self):
        self.need_root()
        if shutil.which("setpriv") is None:
            self.skipTest("setpriv is missing")
        # A copy nobody may run, in a folder nobody may read: the build tree
        # may be root's alone.
        ctl = os.path.join(self.tmp, "ctl-copy", "pam_k6ctl")
        os.makedirs(os.path.dirname(ctl), exist_ok=True)
        shutil.copy(k6test.CTL, ctl)
        os.chmod(os.path.dirname(ctl), 0o755)
        os.chmod(ctl, 0o755)
        conf = self.write("private/pam_k6.conf", "stack_url = alpha\n")
        os.chmod(os.path.dirname(conf), 0o700)
        proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               ctl, "check", "--", "conf=" + conf], capture_output=True,
                              text=True, timeout=30)
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
        self.assertIn("%s: the folder %s cannot be opened: Permission denied"
                      % (conf, os.path.dirname(conf)), proc.stderr)


PAMD_SSHD = """\
# sshd: the password stack comes from common-auth
@include common-auth
account required pam_permit.so
"""

PAMD_COMMON = """\
#auth required pam_k6.so bogus_commented_out
auth  substack  k6-stack
auth  [success=1 default=ignore]  pam_unix.so nullok
"""

PAMD_K6 = """\
-auth  [success=done default=die authinfo_unavail=ignore user_unknown=ignore] \\
       %(module)s %(args)s [prompt=k6 token: ]
session  optional  pam_permit.so
"""


class Service(Ctl):
    def pamd(self, **files):
        d = os.path.join(self.tmp, "ctl-pam.d")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, text in files.items():
            with open(os.path.join(d, name.replace("_", "-")), "w") as f:
                f.write(text)
        return d

    def test_lines_found_through_include_and_substack(self):
        self.need_root()
        args = " ".join(self.api_args("stack_url=alpha"))
        d = self.pamd(sshd=PAMD_SSHD, common_auth=PAMD_COMMON,
                      k6_stack=PAMD_K6 % {"module": MODULE, "args": args})
        run = self.run_ctl("check", "--service", "sshd", "--pam-dir", d)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("%s/sshd, as libpam 1.5.2 reads it (relative includes in %s)" % (d, d),
                      run.stdout)
        # One pam_k6 line, where it starts, continued line joined; the
        # commented-out one is not read.
        found = re.findall(r"^(%s/\S+):(\d+): (.*)$" % re.escape(d), run.stdout, re.M)
        self.assertEqual([(f, n) for f, n, _ in found], [(d + "/k6-stack", "1")])
        self.assertIn("-auth [success=done", found[0][2])
        self.assertNotIn("bogus_commented_out", run.stdout + run.stderr)
        rows = {line.split()[0]: line.split(None, 1)[1] for line in run.stdout.splitlines()
                if line.startswith("  ")}
        self.assertTrue(rows["prompt"].startswith('"k6 token: "'), rows["prompt"])
        self.assertTrue(rows["stack_url"].startswith("https://alpha.grafana.net"))

    def test_each_line_is_checked(self):
        self.need_root()
        good = " ".join(self.api_args("stack_url=alpha"))
        text = ("auth sufficient %s %s\n"
                "auth sufficient %s %s timeout=forever\n"
                "session required %s\n"
                "account required %s\n"
                "session optional %s\n") % (MODULE, good, MODULE, good, MODULE, MODULE, MODULE)
        d = self.pamd(sudo=text)
        run = self.run_ctl("check", "--service", "sudo", "--pam-dir", d)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertEqual(len(re.findall(r"^%s/sudo:\d+: " % re.escape(d), run.stdout, re.M)), 5)
        self.assertIn("option 'timeout'", run.stderr)
        # A session line may log; one whose failure ends the session may not.
        self.assertIn("%s/sudo:3: module_unknown from pam_k6's session line would end the "
                      "session" % d, run.stderr)
        self.assertIn("%s/sudo:4: pam_k6 has no account function" % d, run.stderr)
        self.assertNotIn("%s/sudo:5:" % d, run.stderr)
        self.assertIn("session line: logs how each session's login was authenticated",
                      run.stdout)
        self.assertIn("accepted", run.stdout)

    def test_the_module_a_line_loads_must_be_the_installed_one(self):
        self.need_root()
        args = " ".join(self.api_args("stack_url=alpha"))

        def check(module):
            d = self.pamd(sudo="auth required %s %s\n" % (module, args))
            return self.run_ctl("check", "--service", "sudo", "--pam-dir", d), d

        def folder(name, owner):
            path = os.path.join(self.tmp, name)
            shutil.rmtree(path, ignore_errors=True)
            os.makedirs(path)
            os.chmod(path, 0o755)
            os.chown(path, owner, owner)
            copy = os.path.join(path, "pam_k6.so")
            shutil.copy(MODULE, copy)
            os.chmod(copy, 0o644)
            return path, copy

        # The module this pam_k6ctl was built with (tests/intree): named, taken.
        run, d = check(MODULE)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("  module            %s: the installed one\n" % MODULE, run.stdout)
        # A pam_k6.so in a folder of alice's: her code, run as root for her.
        user_dir, copy = folder("alice-modules", 1000)
        run, d = check(copy)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("pam_k6ctl: error: %s/sudo:1: the module %s: the folder %s is not owned "
                      "by root; only a module of root's, in folders only root may change, may "
                      "be loaded" % (d, copy, user_dir), run.stderr)
        self.assertIn("  module            %s: refused\n" % copy, run.stdout)
        self.assertIn("service sudo: refused", run.stdout)
        # A copy of root's, in root's folder, writable by others, then not.
        root_dir, copy = folder("other-modules", 0)
        os.chmod(copy, 0o666)
        run, d = check(copy)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("the module %s is writable by group or others" % copy, run.stderr)
        os.chmod(copy, 0o644)
        run, d = check(copy)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("pam_k6ctl: error: %s/sudo:1: the module %s is not the installed one (%s)"
                      % (d, copy, MODULE), run.stderr)
        # pam_k6ctl as installed knows $(pammoddir)/pam_k6.so only: no
        # option or variable makes the build's module that one.
        run, d = check(MODULE)
        run = self.run_ctl("check", "--service", "sudo", "--pam-dir", d,
                           ctl=k6test.INSTALLED_CTL)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("the module %s is not the installed one (" % MODULE, run.stderr)

    def test_loops_outside_and_missing(self):
        for files, named in (
                ({"sshd": "@include sshd\n"}, "sshd includes itself"),
                ({"sshd": "auth include other\n", "other": "auth substack sshd\n"},
                 "sshd includes itself"),
                ({"sshd": "auth include ../passwd\n"}, "is not a file of"),
                ({"sshd": "@include gone\n"}, "gone: No such file or directory")):
            with self.subTest(named):
                d = self.pamd(**files)
                run = self.run_ctl("check", "--service", "sshd", "--pam-dir", d)
                self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
                self.assertIn(named, run.stderr)

    def test_a_stack_without_pam_k6_is_proven_all_the_same(self):
        # What a rollback leaves: Debian's own stack.
        d = self.pamd(sshd="auth [success=1 default=ignore] pam_unix.so\n"
                           "auth requisite pam_deny.so\nauth required pam_permit.so\n")
        run = self.run_ctl("check", "--service", "sshd", "--pam-dir", d)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("note: no auth line names pam_k6.so: only the stack is proven", run.stdout)
        d = self.pamd(sshd="auth sufficient pam_permit.so\n")
        run = self.run_ctl("check", "--service", "sshd", "--pam-dir", d)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("PAM_SUCCESS with no secret checked", run.stderr)
        # test needs a pam_k6 line to test.
        run = self.run_ctl("test", "alice", "--service", "sshd", "--pam-dir", d,
                           stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("no auth line names pam_k6.so", run.stderr)

    def test_test_takes_the_service_s_arguments(self):
        args = " ".join(self.api_args("stack_url=alpha"))
        d = self.pamd(sshd="auth required %s %s\n" % (MODULE, args))
        run = self.run_ctl("test", "alice", "--service", "sshd", "--pam-dir", d,
                           stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("K6_CLOUD_STACK_ID=12345", run.rows("export"))


class Test(Ctl):
    def ctl_test(self, user, token, *args, **kw):
        return self.run_ctl("test", user, "--", *args, stdin=token + "\n", **kw)

    def test_accepted_token_shows_steps_and_exports(self):
        run = self.ctl_test("alice", self.GOOD, "stack_url=alpha", "export_token",
                        *self.api_args())
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertEqual(run.rows("account"),
                         ["alice may use a token on https://alpha.grafana.net"])
        self.assertEqual(run.rows("screening"), ["looks like a token"])
        self.assertRegex(run.rows("answer")[0], r"^the API: HTTP 200 in \d+\.\d+s$")
        self.assertEqual(run.rows("result"), ["PAM_SUCCESS (success)"])
        self.assertEqual(run.rows("export"), [
            "K6_CLOUD_STACK_ID=12345", "K6_CLOUD_PROJECT_ID=67890",
            "K6_CLOUD_STACK_URL=https://alpha.grafana.net",
            "K6_CLOUD_HOST_V6=" + self.api.url, "K6_CLOUD_TOKEN=(the token; not shown)"])
        (req,) = self.api.take_requests()
        self.assertEqual(dict(req["headers"])["Authorization"], "Bearer " + self.GOOD)

    def test_no_token_on_standard_input(self):
        # pam_k6ctl test alice </dev/null: nothing to test, a usage error.
        run = self.run_ctl("test", "alice", "--", "stack_url=alpha", *self.api_args(),
                           prefix=["sh", "-c", 'exec "$0" "$@" </dev/null'])
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("pam_k6ctl: no token on standard input\n", run.stderr)
        self.assertEqual(run.rows("result"), [])
        self.assertEqual(self.api.take_requests(), [])

    def test_each_exit_status(self):
        args = ["stack_url=alpha"] + self.api_args()
        cases = [
            ("accepted", "alice", self.GOOD, args, {}, 0, "PAM_SUCCESS"),
            ("refused by the API", "alice", BAD, args, {}, 1, "PAM_AUTH_ERR"),
            ("not a token", "alice", "short", args, {}, 1, "PAM_AUTH_ERR"),
            ("unknown account", "mallory", self.GOOD, args, {}, 1, "PAM_USER_UNKNOWN"),
            ("root without allow_root", "root", self.GOOD, args, {}, 1, "PAM_USER_UNKNOWN"),
            ("configuration error", "alice", self.GOOD, args + ["timeout=never"], {}, 2,
             "PAM_SERVICE_ERR"),
            ("API down", "alice", self.GOOD,
             ["stack_url=alpha", "api_url=https://127.0.0.1:%d" % free_port(),
              "ca_file=" + self.ca], {}, 3, "PAM_AUTHINFO_UNAVAIL"),
            ("name service failing", "alice", self.GOOD, args,
             {"LD_PRELOAD": os.environ.get("K6_TEST_FAIL_GETPW_LIB", "") +
              ":libnss_wrapper.so"}, 4, "PAM_SYSTEM_ERR"),
        ]
        for what, user, token, a, env, status, code in cases:
            with self.subTest(what):
                run = self.ctl_test(user, token, *a, env=env)
                self.assertEqual(run.returncode, status, run.stdout + run.stderr)
                self.assertTrue(run.rows("result")[0].startswith(code), run.stdout)
                if status != 0:
                    self.assertEqual(run.rows("export"), [])

    def test_the_module_agrees_on_a_failing_name_service(self):
        # What pam_k6ctl test shows for a name service that fails is what
        # the module returns: PAM_SYSTEM_ERR, not an unknown user.
        preload = os.environ.get("K6_TEST_FAIL_GETPW_LIB", "")
        r = self.authenticate([self.GOOD], env={
            "LD_PRELOAD": preload + ":" + ":".join(k6test.PRELOADS)})
        self.assertEqual(r.auth, k6test.PAM_SYSTEM_ERR, r.stderr[-1000:])
        self.assert_outcome(r, "system error", "the name service could not look the account up")
        self.assertEqual(self.api.take_requests(), [])

    def test_token_on_a_terminal_is_read_without_echo(self):
        if shutil.which("script") is None:
            self.skipTest("script(1) is missing")
        # script gives pam_k6ctl a terminal; the typed token must not come back.
        cmd = "%s test alice -- stack_url=alpha %s" % (k6test.CTL, " ".join(self.api_args()))
        env = dict(os.environ, LD_PRELOAD="libnss_wrapper.so",
                   NSS_WRAPPER_PASSWD=os.path.join(self.tmp, "passwd"),
                   NSS_WRAPPER_GROUP=os.path.join(self.tmp, "group"))
        proc = subprocess.Popen(["script", "-qec", cmd, "/dev/null"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        time.sleep(0.5)  # the prompt, then the echo turned off
        out, _ = proc.communicate(self.GOOD.encode() + b"\n", timeout=30)
        text = out.decode("utf-8", "replace")
        self.assertEqual(proc.returncode, 0, text)
        self.assertIn("k6 API token: ", text)
        for piece in token_pieces(self.GOOD):
            self.assertNotIn(piece, text)

    def test_cache_read_not_written_unless_asked(self):
        self.need_root()
        cache = os.path.join(self.tmp, "ctl-cache")
        shutil.rmtree(cache, ignore_errors=True)
        args = ["stack_url=alpha", "cache_ttl=600", "cache_dir=" + cache] + self.api_args()
        records = lambda: [n for n in os.listdir(cache) if len(n) == 64]  # noqa: E731
        run = self.ctl_test("alice", self.GOOD, *args)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertEqual(records(), [], "pam_k6ctl test wrote a record unasked")
        run = self.run_ctl("test", "alice", "--update-cache", "--", *args,
                           stdin=self.GOOD + "\n")
        self.assertEqual(len(records()), 1)
        self.api.take_requests()
        # The module's next login is a hit, and so is pam_k6ctl's.
        r = self.authenticate([self.GOOD], args=args)
        self.assert_outcome(r, "success", "cache=hit")
        run = self.ctl_test("alice", self.GOOD, *args)
        self.assertRegex(run.rows("answer")[0], r"^the cache, made \d+s ago \(cache_ttl=600\)")
        self.assertEqual(self.api.take_requests(), [])
        run = self.run_ctl("test", "alice", "--no-cache", "--", *args, stdin=self.GOOD + "\n")
        self.assertRegex(run.rows("answer")[0], r"^the API: HTTP 200")
        self.assertEqual(len(self.api.take_requests()), 1)
        # A refusal deletes the record, as in the module: revocation wins.
        token = "k6revokedctl0123456789abcdef0123"
        self.api.add_account(token, self.STACK, 12345, 67890)
        self.secrets.add(token)
        self.run_ctl("test", "alice", "--update-cache", "--", *args, stdin=token + "\n")
        self.assertEqual(len(records()), 2)
        del self.api.accounts[token]
        run = self.run_ctl("test", "alice", "--no-cache", "--", *args, stdin=token + "\n")
        self.assertEqual(run.returncode, 1)
        self.assertEqual(len(records()), 1)

    def test_logged_as_the_module_logs_marked_as_a_test(self):
        if not self.root or shutil.which("unshare") is None:
            self.skipTest("needs root and unshare to give pam_k6ctl a /dev/log of the test's")
        log = k6test.Syslog(os.path.join(self.tmp, "ctl-log"))
        try:
            prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                      'mount -t tmpfs -o mode=755 tmpfs /dev && touch /dev/log && '
                      'mount --bind "$0" /dev/log && exec "$@"', log.path]
            for token in (self.GOOD, BAD):
                self.ctl_test("alice", token, "stack_url=alpha", "export_token", *self.api_args(),
                          prefix=prefix)
            lines = log.take()
        finally:
            log.close()
        outcomes = [line for line in lines if "test: auth " in line]
        self.assertEqual(len(outcomes), 2, lines)
        self.assertRegex(outcomes[0], r"pam_k6ctl\[\d+\]: test: auth success: user=alice "
                                      r"stack=https://alpha\.grafana\.net stack_id=12345")
        self.assertIn("test: auth denied: user=alice", outcomes[1])
        text = "\n".join(lines)
        for secret in (self.GOOD, BAD):
            for piece in token_pieces(secret):
                self.assertNotIn(piece, text)


class Cache(Ctl):
    def setUp(self):
        super().setUp()
        self.need_root()
        self.dir = os.path.join(self.tmp, "cache-" + self._testMethodName)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.args = ["stack_url=alpha", "offline_ttl=3600", "cache_dir=" + self.dir] + \
            self.api_args()

    def test_list_shows_stack_ids_and_ages_never_a_token(self):
        other = "k6cachelist0123456789abcdef01234"
        self.api.add_account(other, "https://beta.grafana.net", 222, 333)
        self.secrets.add(other)
        self.assertEqual(self.authenticate([self.GOOD], args=self.args).auth, PAM_SUCCESS)
        beta = ["stack_url=beta" if a == "stack_url=alpha" else a for a in self.args]
        self.assertEqual(self.authenticate([other], args=beta).auth, PAM_SUCCESS)
        run = self.run_ctl("cache", "--cache-dir", self.dir, "list")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        rows = [line.split() for line in run.stdout.splitlines()[1:-1]]
        self.assertEqual(sorted((r[1], r[2], r[3]) for r in rows),
                         [("https://alpha.grafana.net", "12345", "67890"),
                          ("https://beta.grafana.net", "222", "333")])
        for r in rows:
            self.assertRegex(r[0], r"^[0-9a-f]{16}$")
            self.assertRegex(r[4], r"^\d+s$")  # age
            self.assertRegex(r[5], r"^(59|60)m$")  # expires in
        self.assertEqual(run.stdout.splitlines()[-1], "2 records in %s" % self.dir)
        # A record a login would ignore is listed with the reason.
        name = [n for n in os.listdir(self.dir) if len(n) == 64][0]
        os.chmod(os.path.join(self.dir, name), 0o644)
        run = self.run_ctl("cache", "--cache-dir", self.dir, "list")
        self.assertIn("%s  (ignored by logins: is not a file of root's" % name[:16], run.stdout)

    def test_purge_expired_then_all(self):
        self.assertEqual(self.authenticate([self.GOOD], args=self.args).auth, PAM_SUCCESS)
        (good,) = [n for n in os.listdir(self.dir) if len(n) == 64]
        now = int(time.time())
        expired = "%064x" % 7
        with open(os.path.join(self.dir, expired), "w") as f:
            f.write("pam_k6 cache 2\ncreated %d\nexpires %d\nstack https://alpha.grafana.net\n"
                    "stack_id 1\nproject_id 2\n" % (now - 100, now - 50))
        os.chmod(os.path.join(self.dir, expired), 0o600)
        run = self.run_ctl("cache", "--cache-dir", self.dir, "purge", "--expired")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout, "removed 1 record from %s\n" % self.dir)
        self.assertEqual([n for n in os.listdir(self.dir) if len(n) == 64], [good])
        run = self.run_ctl("cache", "--cache-dir", self.dir, "purge")
        self.assertEqual(run.stdout, "removed 1 record from %s\n" % self.dir)
        self.assertEqual([n for n in os.listdir(self.dir) if len(n) == 64], [])
        # The key stays: the next login makes a record under the same secret.
        self.assertTrue(os.path.exists(os.path.join(self.dir, "key")))

    def test_a_store_that_cannot_be_used_exits_2(self):
        run = self.run_ctl("cache", "--cache-dir", os.path.join(self.tmp, "no-such"), "list")
        self.assertEqual(run.returncode, 2)
        self.assertIn("pam_k6ctl: cache ", run.stderr)
        open_dir = os.path.join(self.tmp, "open-store")
        os.makedirs(open_dir, exist_ok=True)
        os.chmod(open_dir, 0o755)
        run = self.run_ctl("cache", "--cache-dir", open_dir, "purge")
        self.assertEqual(run.returncode, 2)
        self.assertIn("not root's alone", run.stderr)
        self.assertEqual(stat.S_IMODE(os.stat(open_dir).st_mode), 0o755)


if __name__ == "__main__":
    k6test.main()
