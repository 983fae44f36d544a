#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Enrolled tokens end to end: the tokens file ties tokens to accounts.

alice, bob and carol are one team on one stack: the stand-in accepts each
one's token for it, so without a tokens file any of them logs in as any
other.  With tokens=, an account logs in only with a token of its own lines
that the API accepts now; a token that matches none is refused before
anything leaves the host, cached answer or not.  Lines are made as a fleet
would make them (openssl passwd -6, another sha512crypt than the module's)
and with pam_k6ctl hash and enroll, which are run through the real binary.
"""

import fcntl
import os
import re
import secrets
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

import k6test
from k6test import (PAM_AUTH_ERR, PAM_SERVICE_ERR, PAM_SUCCESS, PAM_USER_UNKNOWN, PamTestCase,
                    token_pieces)
from stand_in import StandIn

BOB = "k6bobtoken0123456789abcdef012345"
CAROL = "k6caroltoken123456789abcdef01234"
SPARE = "k6sparetoken123456789abcdef01234"
BAD = "k6bad00000000000000000000000000"
DATE = r"\d{4}-\d\d-\d\d"
# 86 bytes of digest as sha512crypt writes them (the last holds two bits).
DIGEST = "XaSIKbp3gpQOkxa4wJM/llOnCF3CRrcZEmDluFNyF9Z.VHrK6fu6fqZ89hArAOCDuxpTyPPXXqg2vVURPEOJc0"
ROUNDS = "its rounds= is not one of 1000 to 5000"
METHOD = "its method is not sha512crypt ($6$), the only one pam_k6 takes"
SHORT = "the hash is cut short or a salt alone: no token can match"
# Lines the module never hashes against, with what it says of them.  The
# first five cost about 11 minutes, 3.5 s, 1 GiB and 1.7 s, hours, 16 GiB
# a hash on a 2-core VM, per attempt, before anything is asked.
COSTLY = [
    ("$6$rounds=999999999$pamk6saltpamk6s$" + DIGEST, ROUNDS),
    ("$6$rounds=5000000$pamk6saltpamk6s$" + DIGEST, ROUNDS),
    ("$y$jFT$pamk6saltpamk6saltpamk6$0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", METHOD),
    ("$2b$31$pamk6saltpamk6saltpamk.0123456789abcdefghijklmnopqrstu", METHOD),
    ("$6$rounds=5001$pamk6saltpamk6s$" + DIGEST, ROUNDS),
    ("$6$rounds=999$pamk6saltpamk6s$" + DIGEST, ROUNDS),
    ("$6$rounds=1000$pamk6salt", SHORT),
]
# The same, cheap to hash for code that would (a yescrypt and a bcrypt of
# their lowest costs, 5000000 rounds at 3.5 s): for pam_k6ctl's commands.
OUTSIDE = [
    ("$6$rounds=5001$pamk6saltpamk6s$" + DIGEST, ROUNDS),
    ("$6$rounds=5000000$pamk6saltpamk6s$" + DIGEST, ROUNDS),
    ("$y$j9T$pamk6saltpamk6saltpamk6$0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", METHOD),
    ("$2b$04$pamk6saltpamk6saltpamk.0123456789abcdefghijklmnopqrstu", METHOD),
    ("$6$rounds=1000$pamk6salt", SHORT),
]


def openssl_line(user, token, comment=""):
    """A line as configuration management makes it: openssl's sha512crypt."""
    salt = "rounds=1000$" + secrets.token_hex(8)
    digest = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
                            input=token, capture_output=True, text=True,
                            check=True).stdout.strip()
    return " ".join(f for f in (user, digest, comment) if f)


class TokensCase(PamTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for token in (BOB, CAROL, SPARE):
            cls.api.add_account(token, cls.STACK, 12345, 67890)
        cls.secrets |= {BOB, CAROL, SPARE, BAD}

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("the tokens file must be owned by root: run as root")
        self.dir = os.path.join(self.tmp, "tokens-" + self._testMethodName)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "pam_k6.tokens")

    def write_tokens(self, *lines, mode=0o644, path=None):
        path = path or self.path
        if os.path.lexists(path):
            os.unlink(path)
        with open(path, "w") as f:
            f.write("".join(line + "\n" for line in lines))
        os.chmod(path, mode)
        return path

    def args(self, *extra, path=None):
        return self.base_args() + ["tokens=" + (path or self.path)] + list(extra)

    def login(self, user, token, *extra, **kw):
        return self.authenticate([token], args=self.args(*extra), user=user, **kw)

    def nss(self, passwd, suffix=None):
        """A name service that ignores case (tests/nss_nocase.c) over passwd;
        with suffix, as SSSD's fully-qualified names: alice is alice@suffix."""
        module = os.environ.get("K6_TEST_NSS_NOCASE",
                                os.path.join(k6test.SRCDIR, "tests", ".libs",
                                             "libnss_nocase.so"))
        if not os.path.exists(module):
            self.skipTest("tests/libnss_nocase.so not built; run through make check")
        env = {"NSS_WRAPPER_MODULE_SO_PATH": module, "NSS_WRAPPER_MODULE_FN_PREFIX": "nocase",
               "K6_TEST_NOCASE_PASSWD": passwd, "NSS_WRAPPER_PASSWD": passwd}
        if suffix is not None:
            env["K6_TEST_NOCASE_SUFFIX"] = suffix
        return env

    def hashes_of_file(self):
        """Every hash in the file, for the check that none reaches a log."""
        with open(self.path) as f:
            return [line.split()[1] for line in f if line.strip() and not line.startswith("#")]

    def assert_no_hash_in(self, text):
        for digest in self.hashes_of_file():
            # The method and cost are no secret; salt and digest are.
            for piece in token_pieces(digest.split("$", 3)[3]):
                self.assertNotIn(piece, text, "a piece of a hash reached the output")


class Logins(TokensCase):
    def team(self):
        self.write_tokens("# alpha team", openssl_line("alice", self.GOOD, "laptop"),
                          openssl_line("bob", BOB), openssl_line("alice", SPARE, "spare"))

    def test_enrolled_token_logs_in(self):
        self.team()
        r = self.login("alice", self.GOOD)
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "12345")
        self.assert_outcome(r, "success", "user=alice", "stack_id=12345", "tokens_line=2")
        self.assertEqual(len(self.api.take_requests()), 1)
        # Each of the account's lines: the second names its own line.
        r = self.login("alice", SPARE)
        self.assert_outcome(r, "success", "tokens_line=4")
        self.assert_no_hash_in(r.log_text())

    def test_another_valid_token_for_the_stack_is_refused_without_a_request(self):
        self.team()
        # Without a tokens file, carol's token logs in as alice: the API says
        # it is good for the stack.
        r = self.authenticate([CAROL], user="alice")
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
        self.api.take_requests()
        r = self.login("alice", CAROL)
        self.assertEqual(r.auth, PAM_AUTH_ERR, r.stderr[-2000:])
        self.assertEqual(self.api.take_requests(), [], "a token not enrolled left the host")
        self.assertEqual(r.k6_env(), {})
        self.assert_outcome(r, "denied", "user=alice",
                            "the token matches none of the 2 lines of the tokens file for "
                            "this account")
        self.assertEqual(r.prompts, [("echo_off", "k6 API token: ")])

    def test_another_account_s_enrolled_token_is_refused(self):
        self.team()
        for user, token in (("alice", BOB), ("bob", self.GOOD), ("bob", SPARE)):
            with self.subTest(user=user):
                r = self.login(user, token)
                self.assertEqual(r.auth, PAM_AUTH_ERR, r.stderr[-2000:])
                self.assert_outcome(r, "denied", "user=%s" % user, "matches none")
        self.assertEqual(self.api.take_requests(), [])
        self.assertEqual(self.login("bob", BOB).auth, PAM_SUCCESS)

    def test_account_without_lines_is_unknown_after_the_prompt(self):
        self.team()
        r = self.login("carol", CAROL)
        self.assertEqual(r.auth, PAM_USER_UNKNOWN)
        self.assertEqual(r.prompts, [("echo_off", "k6 API token: ")])
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "user unknown", "no line of the tokens file names this account")

    def test_the_account_s_own_name_decides(self):
        # Where the name service ignores case, ALICE is alice: alice's lines.
        env = self.nss(os.path.join(self.tmp, "passwd"))
        self.write_tokens(openssl_line("alice", self.GOOD), openssl_line("ALICE", BOB))
        r = self.login("ALICE", BOB, env=env)
        self.assertEqual(r.auth, PAM_AUTH_ERR, r.stderr[-2000:])
        r = self.login("ALICE", self.GOOD, env=env)
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])

    def test_revoked_at_the_api_but_enrolled_is_refused(self):
        token = "k6revokedtoken3456789abcdef01234"
        self.secrets.add(token)
        self.api.add_account(token, self.STACK, 12345, 67890)
        self.write_tokens(openssl_line("alice", token))
        self.assertEqual(self.login("alice", token).auth, PAM_SUCCESS)
        del self.api.accounts[token]
        self.api.take_requests()
        r = self.login("alice", token)
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(len(self.api.take_requests()), 1)
        self.assert_outcome(r, "denied", "HTTP 401")

    def test_stack_rules_still_hold(self):
        # An enrolled token for another stack is the API's to refuse.
        self.write_tokens(openssl_line("alice", self.OTHER_STACK))
        r = self.login("alice", self.OTHER_STACK)
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assert_outcome(r, "denied", "HTTP 403")
        # root still needs allow_root, whatever the file says.
        self.write_tokens(openssl_line("root", self.GOOD))
        r = self.login("root", self.GOOD)
        self.assertEqual(r.auth, PAM_USER_UNKNOWN)
        self.assert_outcome(r, "user unknown", "allow_root")
        self.assertEqual(self.login("root", self.GOOD, "allow_root").auth, PAM_SUCCESS)

    def test_lines_of_the_usual_tools_are_taken(self):
        # openssl passwd -6 and mkpasswd -m sha-512 name no rounds: 5000.
        digest = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=self.GOOD,
                                capture_output=True, text=True, check=True).stdout.strip()
        self.assertNotIn("rounds=", digest)
        five = subprocess.run(["openssl", "passwd", "-6", "-salt", "rounds=5000$pamk6", "-stdin"],
                              input=BOB, capture_output=True, text=True,
                              check=True).stdout.strip()
        self.write_tokens("alice %s" % digest, "bob %s" % five)
        self.assertEqual(self.login("alice", self.GOOD).auth, PAM_SUCCESS)
        self.assertEqual(self.login("alice", BOB).auth, PAM_AUTH_ERR)
        self.assertEqual(self.login("bob", BOB).auth, PAM_SUCCESS)

    def test_from_the_configuration_file(self):
        self.team()
        conf = os.path.join(self.dir, "pam_k6.conf")
        with open(conf, "w") as f:
            f.write("stack_url = alpha\ntokens = %s\n" % self.path)
        args = ["conf=" + conf] + [a for a in self.base_args() if not a.startswith("stack_url")]
        r = self.authenticate([BOB], args=args, user="alice")
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        r = self.authenticate([self.GOOD], args=args + ["debug"], user="alice")
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
        (options,) = [t for _, t in r.logs if t.startswith("options: ")]
        self.assertIn(" tokens=%s " % self.path, options)
        self.assertIn("tokens file line 2 matches", r.log_text())

    def test_with_a_users_file(self):
        # The users file says where, the tokens file who: both must agree.
        users = os.path.join(self.dir, "pam_k6.users")
        with open(users, "w") as f:
            f.write("alice alpha\nbob beta\n")
        self.write_tokens(openssl_line("alice", self.GOOD), openssl_line("bob", self.GOOD))
        args = [a for a in self.args("users=" + users) if not a.startswith("stack_url")]
        self.assertEqual(self.authenticate([self.GOOD], args=args).auth, PAM_SUCCESS)
        r = self.authenticate([self.GOOD], args=args, user="bob")
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assert_outcome(r, "denied", "stack=https://beta.grafana.net", "HTTP 403")

    def test_the_module_never_writes_the_file(self):
        self.team()
        before = os.stat(self.path)
        with open(self.path) as f:
            text = f.read()
        for user, token in (("alice", self.GOOD), ("alice", CAROL), ("carol", CAROL)):
            self.login(user, token)
        after = os.stat(self.path)
        with open(self.path) as f:
            self.assertEqual(f.read(), text)
        self.assertEqual((before.st_ino, before.st_mtime_ns), (after.st_ino, after.st_mtime_ns))
        self.assertEqual(sorted(os.listdir(self.dir)), ["pam_k6.tokens"])


class Cache(TokensCase):
    def test_a_cached_answer_still_checks_the_match(self):
        cache = os.path.join(self.dir, "cache")
        extra = ("cache_ttl=600", "cache_dir=" + cache)
        self.write_tokens(openssl_line("alice", self.GOOD), openssl_line("alice", SPARE))
        self.assertEqual(self.login("alice", self.GOOD, *extra).auth, PAM_SUCCESS)
        self.assert_outcome(self.login("alice", self.GOOD, *extra), "success", "cache=hit")
        self.assertEqual(len(self.api.take_requests()), 1)
        # The token's line is gone: its cached answer is worth nothing here.
        self.write_tokens(openssl_line("alice", SPARE))
        r = self.login("alice", self.GOOD, *extra)
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assert_outcome(r, "denied", "matches none of the 1 line")
        self.assertNotIn("cache=", r.outcome_lines()[0])
        self.assertEqual(self.api.take_requests(), [])
        # The record was still there, and answers again once the line is back.
        self.write_tokens(openssl_line("alice", self.GOOD))
        self.assert_outcome(self.login("alice", self.GOOD, *extra), "success", "cache=hit")

    def test_the_offline_window_still_checks_the_match(self):
        # An API of its own, to stop once the records are made.
        api = StandIn(self.cert, self.key).start()
        for token in (self.GOOD, BOB):
            api.add_account(token, self.STACK, 12345, 67890)
        args = [a for a in self.args("offline_ttl=3600", "cache_dir=" + os.path.join(
            self.dir, "cache")) if not a.startswith("api_url")] + ["api_url=" + api.url]
        self.write_tokens(openssl_line("alice", self.GOOD), openssl_line("bob", BOB))
        try:
            for user, token in (("alice", self.GOOD), ("bob", BOB)):
                self.assertEqual(self.authenticate([token], args=args, user=user).auth,
                                 PAM_SUCCESS)
        finally:
            api.stop()
        r = self.authenticate([self.GOOD], args=args, user="alice")
        self.assert_outcome(r, "success", "cache=offline")
        # bob's token has an offline record, but it is not on alice's lines.
        r = self.authenticate([BOB], args=args, user="alice")
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assert_outcome(r, "denied", "matches none")


class FileRules(TokensCase):
    def refused(self, named, path=None):
        r = self.authenticate([self.GOOD], args=self.args(path=path))
        self.assertEqual(r.auth, PAM_SERVICE_ERR, r.stderr[-2000:])
        self.assertEqual(r.prompts, [])
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "configuration error", named)

    def test_writable_by_group_or_others(self):
        for mode in (0o664, 0o646, 0o666):
            with self.subTest(mode=oct(mode)):
                self.write_tokens(openssl_line("alice", self.GOOD), mode=mode)
                self.refused("pam_k6.tokens is writable by group or others")

    def test_another_owner(self):
        self.write_tokens(openssl_line("alice", self.GOOD))
        os.chown(self.path, 1000, 0)
        self.refused("pam_k6.tokens is not owned by root")

    def test_a_folder_others_may_write(self):
        self.write_tokens(openssl_line("alice", self.GOOD))
        os.chmod(self.dir, 0o1777)
        try:
            self.refused("the folder %s is writable by group or others" % self.dir)
        finally:
            os.chmod(self.dir, 0o755)

    def test_a_folder_above_of_another_account(self):
        # alice owns a folder above the tokens file's: she may swap its folder
        # for a link to an older copy of root's, and bring back a line the
        # operator removed.  Every folder from / down must be root's.
        top = os.path.join(self.dir, "alice-owns")
        folder = os.path.join(top, "security")
        backup = os.path.join(self.dir, "backup")
        for d in (top, folder, backup):
            os.makedirs(d)
            os.chmod(d, 0o755)
        path = self.write_tokens(openssl_line("alice", SPARE), path=os.path.join(folder, "t"))
        self.write_tokens(openssl_line("alice", SPARE), openssl_line("alice", self.GOOD),
                          path=os.path.join(backup, "t"))
        os.chown(top, 1000, 1000)
        why = "the folder %s is owned by uid 1000" % top
        self.refused(why, path=path)
        # What alice may do in her folder: the removed line is back.
        os.rename(folder, folder + ".now")
        os.symlink(backup, folder)
        r = self.authenticate([self.GOOD], args=self.args(path=path))
        self.assertEqual(r.auth, PAM_SERVICE_ERR, r.stderr[-2000:])
        self.assert_outcome(r, "configuration error", why)
        self.assertEqual(self.api.take_requests(), [])
        # Root's again, the link (root's, in root's folder) is followed.
        os.chown(top, 0, 0)
        r = self.authenticate([self.GOOD], args=self.args(path=path))
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])

    def test_a_symbolic_link(self):
        real = self.write_tokens(openssl_line("alice", self.GOOD),
                                 path=os.path.join(self.dir, "real"))
        os.symlink(real, self.path)
        self.refused("pam_k6.tokens: is a symbolic link")

    def test_missing(self):
        self.refused("pam_k6.tokens: No such file or directory")

    def test_too_large(self):
        line = openssl_line("alice", self.GOOD)
        self.write_tokens(*(["# " + "x" * 1000] * 66 + [line]))
        self.refused("pam_k6.tokens is larger than 64 KiB")

    def test_a_bad_line_names_file_and_line(self):
        self.write_tokens("# ok", openssl_line("alice", self.GOOD), "bob lFCXh0sbEa5lL")
        self.refused("pam_k6.tokens:3: the second field must be a crypt(5) hash")

    def test_a_seventeenth_line(self):
        self.write_tokens(*[openssl_line("alice", "k6many%026d" % i) for i in range(17)])
        self.refused("pam_k6.tokens:17: alice has more than 16 lines")

    def test_root_only_readable_is_fine(self):
        self.write_tokens(openssl_line("alice", self.GOOD), mode=0o600)
        self.assertEqual(self.login("alice", self.GOOD).auth, PAM_SUCCESS)


class Cost(TokensCase):
    """Each of an account's lines costs a hash per attempt, before anything
    is asked, for anyone who knows the account's name; the lines come from
    users.  Only sha512crypt of 1000 to 5000 rounds is hashed against."""

    def test_lines_outside_the_rule_are_never_hashed(self):
        self.write_tokens(*(["bob %s" % h for h, _ in COSTLY] +
                            [openssl_line("bob", BOB), openssl_line("alice", self.GOOD)]))
        r = self.login("bob", BAD, timeout=30)
        self.assertEqual(r.auth, PAM_AUTH_ERR, r.stderr[-2000:])
        self.assertLess(r.elapsed, 10)
        skipped = [(level, text) for level, text in r.logs if " skipped: " in text]
        self.assertEqual(skipped, [(4, "tokens file %s:%d skipped: %s" % (self.path, i + 1, why))
                                   for i, (_, why) in enumerate(COSTLY)])
        self.assert_outcome(r, "denied", "the token matches none of the 1 line of the tokens "
                            "file for this account (%d more skipped)" % len(COSTLY))
        # The account's good line still works; another account's logins say nothing of them.
        self.assertEqual(self.login("bob", BOB, timeout=30).auth, PAM_SUCCESS)
        r = self.login("alice", self.GOOD, timeout=30)
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertNotIn("skipped", r.log_text())

    def test_one_attempt_costs_at_most_sixteen_lines_of_5000_rounds(self):
        # The worst a file can do: 16 lines of the most rounds taken, and
        # the longest token crypt(3) hashes (511 bytes).  0.2 to 0.3 s on a
        # 2-core VM; 16 lines of 5000000 rounds took 68 s before.
        lines = []
        for i in range(16):
            salt = "rounds=5000$pamk6cost%04d" % i
            digest = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "-stdin"],
                                    input="k6cost%026d" % i, capture_output=True, text=True,
                                    check=True).stdout.strip()
            lines.append("bob " + digest)
        self.write_tokens(*lines)
        longest = "k6" + "x" * 509
        r = self.authenticate([longest], args=self.args(), user="bob", options=["-m"],
                              timeout=30)
        self.assertEqual(r.auth, PAM_AUTH_ERR, r.stderr[-2000:])
        self.assertLess(r.auth_seconds[0], 5)
        # One byte more: no line can be made for it, and none is hashed.
        r = self.authenticate([longest + "x"], args=self.args(), user="bob", timeout=30)
        self.assertEqual(r.auth, PAM_AUTH_ERR, r.stderr[-2000:])
        self.assert_outcome(r, "denied",
                            "no tokens file line can be made for a token longer than 511 bytes")


class Memory(TokensCase):
    def test_no_freed_block_holds_the_token(self):
        # The hash check makes working copies of the token (crypt's scratch).
        from test_memory import Watched
        watched = Watched.watched_login
        self.write_tokens(openssl_line("alice", self.GOOD))
        for token in (self.GOOD, BOB):
            with self.subTest(token=token[:6]):
                r = watched(self, token, args=self.args())
                self.assertEqual(r.auth, PAM_SUCCESS if token == self.GOOD else PAM_AUTH_ERR)
                Watched.assert_wiped(self, r)


class Ctl(TokensCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not os.path.exists(k6test.CTL):
            raise unittest.SkipTest("pam_k6ctl not built; run through make check")

    def ctl(self, *argv, stdin="", **kw):
        return self.run_ctl(*argv, stdin=stdin, **kw)

    def module_args(self, *extra):
        return ["stack_url=alpha", "api_url=" + self.api.url, "ca_file=" + self.ca, "nodelay",
                "timeout=5", "connect_timeout=2"] + list(extra)

    def enroll(self, user, token, *opts, args=None):
        argv = ["enroll", user, "--tokens", self.path] + list(opts) + ["--"]
        return self.ctl(*(argv + (args or self.module_args())), stdin=token + "\n")

    def file_text(self):
        with open(self.path) as f:
            return f.read()

    def as_alice(self):
        """Run as alice (uid 1000 in the tests' passwd), not as root: the
        tests' passwd and group, copied where she can read them."""
        if shutil.which("setpriv") is None:
            self.skipTest("setpriv(1) is missing")
        public = tempfile.mkdtemp(prefix="pam_k6-test-nss.")
        self.addCleanup(shutil.rmtree, public, True)
        os.chmod(public, 0o755)
        for name in ("passwd", "group"):
            shutil.copy(os.path.join(self.tmp, name), os.path.join(public, name))
            os.chmod(os.path.join(public, name), 0o644)
        self.alice_env = {"NSS_WRAPPER_PASSWD": os.path.join(public, "passwd"),
                          "NSS_WRAPPER_GROUP": os.path.join(public, "group")}
        return ["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups"]


class Commands(Ctl):
    def test_help_lists_the_commands(self):
        run = self.ctl("--help")
        for text in ("pam_k6ctl hash [USER]", "pam_k6ctl enroll USER", "pam_k6ctl revoke USER",
                     "pam_k6ctl tokens", "never a hash"):
            self.assertIn(text, run.stdout)

    def test_usage_errors(self):
        for argv in (["enroll"], ["enroll", "--tokens", self.path], ["enroll", "al:ce"],
                     ["enroll", "alice", "--tokens", "relative"], ["hash", "--line", "3"],
                     ["hash", "alice", "--comment", "two\nlines"], ["tokens", "--all"],
                     ["tokens", "--check"], ["revoke", "alice", "--line", "0"]):
            with self.subTest(argv=argv):
                run = self.ctl(*argv, stdin=self.GOOD + "\n")
                self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
                self.assertEqual(run.stdout, "")
                self.assertTrue(run.stderr.startswith("pam_k6ctl: "), run.stderr)
                self.assertEqual(len(run.stderr.splitlines()), 1, run.stderr)
        self.assertEqual(self.api.take_requests(), [])


class Hash(Ctl):
    def test_hash_output_enrolls_when_pasted_in(self):
        run = self.ctl("hash", "alice", "--comment", "alice's laptop", stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertRegex(run.stdout, r"^alice \$6\$rounds=1000\$[./0-9A-Za-z]{16}\$"
                                     r"[./0-9A-Za-z]{86} alice's laptop, enrolled %s\n$" % DATE)
        self.write_tokens(run.stdout.strip())
        r = self.login("alice", self.GOOD)
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
        self.assertEqual(self.login("alice", BOB).auth, PAM_AUTH_ERR)
        # A salt of its own each time: the same token never gives the same line.
        again = self.ctl("hash", "alice", stdin=self.GOOD + "\n")
        self.assertNotEqual(again.stdout.split()[1], run.stdout.split()[1])
        self.assertRegex(again.stdout, r"^alice \S+ enrolled %s\n$" % DATE)

    def test_hash_needs_no_root_and_names_the_caller(self):
        prefix = self.as_alice()
        run = self.ctl("hash", stdin=self.GOOD + "\n", prefix=prefix, env=self.alice_env)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertTrue(run.stdout.startswith("alice $6$"), run.stdout)

    def test_hash_check_asks_the_api_first(self):
        run = self.ctl("hash", "alice", "--", *self.module_args(), stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertRegex(run.stdout, r"^alice \$6\$\S+ enrolled %s\n$" % DATE)
        self.assertIn("the k6 API accepts the token for alice on https://alpha.grafana.net",
                      run.stderr)
        self.assertEqual(len(self.api.take_requests()), 1)
        # A typo, a token of another stack: no line to send.
        for token, why in ((BAD, "HTTP 401"), (self.OTHER_STACK, "HTTP 403")):
            with self.subTest(why=why):
                run = self.ctl("hash", "alice", "--", *self.module_args(), stdin=token + "\n")
                self.assertEqual(run.returncode, 1, run.stderr)
                self.assertEqual(run.stdout, "")
                self.assertIn("refused: PAM_AUTH_ERR (denied)", run.stderr)
                self.assertIn(why, run.stderr)
        # Without a check, nothing leaves the host.
        self.api.take_requests()
        self.assertEqual(self.ctl("hash", "alice", stdin=BAD + "\n").returncode, 0)
        self.assertEqual(self.api.take_requests(), [])

    def test_hash_check_ignores_the_tokens_file(self):
        # The token is not enrolled yet: that must not stop its check.
        self.write_tokens(openssl_line("bob", BOB))
        run = self.ctl("hash", "alice", "--check", "--", *self.module_args("tokens=" + self.path),
                       stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 0, run.stderr)

    def test_not_a_token_is_not_hashed(self):
        for answer in ("", "short", "has space in it 0123456789"):
            with self.subTest(answer=answer):
                run = self.ctl("hash", "alice", stdin=answer + "\n")
                self.assertEqual(run.returncode, 1)
                self.assertEqual(run.stdout, "")
                self.assertIn("pam_k6ctl: not a token", run.stderr)


    def test_a_token_crypt_cannot_hash_gets_no_line(self):
        # 512 bytes: crypt(3) hashes at most 511.
        run = self.ctl("hash", "alice", stdin="k6" + "x" * 510 + "\n")
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertEqual(run.stdout, "")
        self.assertIn("no line can be made for it", run.stderr)
        run = self.ctl("hash", "alice", stdin="k6" + "x" * 509 + "\n")
        self.assertEqual(run.returncode, 0, run.stderr)


class Enroll(Ctl):
    def test_enroll_validates_and_appends(self):
        self.write_tokens("# alpha team", "", openssl_line("bob", BOB))
        os.chmod(self.path, 0o600)
        run = self.enroll("alice", self.GOOD, "--comment", "laptop")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertRegex(run.stdout, r"^enrolled: alice, %s line 4 \(laptop, enrolled %s\)\n$"
                         % (re.escape(self.path), DATE))
        self.assertEqual(len(self.api.take_requests()), 1)
        lines = self.file_text().splitlines()
        self.assertEqual(lines[:2], ["# alpha team", ""])
        self.assertTrue(lines[2].startswith("bob $6$rounds=1000$"), lines[2])
        self.assertRegex(lines[3], r"^alice \$6\$rounds=1000\$\S+ laptop, enrolled %s$" % DATE)
        # Root's, the mode it had, nothing left beside it but the lock.
        st = os.stat(self.path)
        self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (0, 0o600))
        self.assertEqual(sorted(os.listdir(self.dir)), ["pam_k6.tokens", "pam_k6.tokens.lock"])
        self.assertEqual(stat.S_IMODE(os.stat(self.path + ".lock").st_mode), 0o600)
        for piece in token_pieces(self.GOOD):
            self.assertNotIn(piece, self.file_text())
        self.assertEqual(self.login("alice", self.GOOD).auth, PAM_SUCCESS)
        self.assertEqual(self.login("bob", BOB).auth, PAM_SUCCESS)

    def test_enroll_makes_the_file(self):
        run = self.enroll("alice", self.GOOD)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        st = os.stat(self.path)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (0, 0, 0o644))
        self.assertRegex(self.file_text(), r"^alice \$6\$\S+ enrolled %s\n$" % DATE)

    def test_a_token_is_enrolled_once(self):
        self.assertEqual(self.enroll("alice", self.GOOD).returncode, 0)
        text = self.file_text()
        for user in ("bob", "alice"):
            with self.subTest(user=user):
                run = self.enroll(user, self.GOOD)
                self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
                self.assertIn("refused: this token is enrolled already, for alice (%s line 1)"
                              % self.path, run.stderr)
                self.assertEqual(self.file_text(), text)

    def test_what_the_api_refuses_is_not_enrolled(self):
        self.write_tokens("# empty")
        for user, token, why in (("alice", BAD, "HTTP 401"), ("alice", self.OTHER_STACK, "HTTP 403"),
                                 ("mallory", self.GOOD, "no such account"),
                                 ("root", self.GOOD, "allow_root")):
            with self.subTest(why=why):
                run = self.enroll(user, token)
                self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
                self.assertIn(why, run.stderr)
                self.assertEqual(self.file_text(), "# empty\n")

    def test_enroll_validates_for_the_account_s_stack(self):
        # With a users file, bob's stack is beta: alice's stack's token is no good for him.
        users = os.path.join(self.dir, "pam_k6.users")
        with open(users, "w") as f:
            f.write("alice alpha\nbob beta\n")
        args = [a for a in self.module_args("users=" + users) if not a.startswith("stack_url")]
        run = self.enroll("bob", self.GOOD, args=args)
        self.assertEqual(run.returncode, 1, run.stderr)
        self.assertIn("HTTP 403", run.stderr)
        self.assertEqual(self.enroll("bob", self.OTHER_STACK, args=args).returncode, 0)

    def test_sixteen_lines_at_most(self):
        self.write_tokens(*[openssl_line("alice", "k6many%026d" % i) for i in range(16)])
        run = self.enroll("alice", self.GOOD)
        self.assertEqual(run.returncode, 1)
        self.assertIn("alice has 16 lines already", run.stderr)

    def test_the_file_from_the_configuration(self):
        conf = os.path.join(self.dir, "pam_k6.conf")
        with open(conf, "w") as f:
            f.write("stack_url = alpha\ntokens = %s\n" % self.path)
        args = ["conf=" + conf] + self.module_args()[1:]
        run = self.ctl("enroll", "alice", "--", *args, stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("%s line 1" % self.path, run.stdout)
        run = self.ctl("tokens", "--", "conf=" + conf)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("1 line for 1 account in %s" % self.path, run.stdout)
        self.api.take_requests()
        # Without either: a clear error, and the token is not asked for.
        run = self.ctl("enroll", "alice", "--", *self.module_args(), stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 2)
        self.assertIn("no tokens file: give --tokens FILE, or set tokens=", run.stderr)
        self.assertEqual(self.api.take_requests(), [])

    def test_an_unsafe_file_is_not_changed(self):
        self.write_tokens(openssl_line("bob", BOB), mode=0o666)
        run = self.enroll("alice", self.GOOD)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("writable by group or others", run.stderr)
        self.assertEqual(self.api.take_requests(), [], "a token was asked for a file that fails")
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o666)

    def test_root_only(self):
        prefix = self.as_alice()
        run = self.ctl("enroll", "alice", "--tokens", self.path, "--", *self.module_args(),
                       stdin=self.GOOD + "\n", prefix=prefix, env=self.alice_env)
        self.assertEqual(run.returncode, 2)
        self.assertIn("run it as root", run.stderr)
        run = self.ctl("revoke", "alice", "--all", "--tokens", self.path, prefix=prefix,
                       env=self.alice_env)
        self.assertEqual(run.returncode, 2)
        self.assertIn("run it as root", run.stderr)

    def test_waits_for_the_lock(self):
        self.write_tokens("# team")
        lock = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            env = dict(os.environ, LD_PRELOAD="libnss_wrapper.so",
                       NSS_WRAPPER_PASSWD=os.path.join(self.tmp, "passwd"),
                       NSS_WRAPPER_GROUP=os.path.join(self.tmp, "group"))
            answer, typed = os.pipe()
            os.write(typed, (self.GOOD + "\n").encode())
            os.close(typed)
            proc = subprocess.Popen([k6test.CTL, "enroll", "alice", "--tokens", self.path, "--"]
                                    + self.module_args(), stdin=answer,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=env)
            os.close(answer)
            # It asks the API, then waits for the lock, however long that is.
            deadline = time.monotonic() + 30
            while not self.api.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            time.sleep(1)
            self.assertIsNone(proc.poll(), "enroll did not wait for the lock")
            self.assertEqual(self.file_text(), "# team\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, out + err)
        self.assertEqual(len(self.file_text().splitlines()), 2)

    def test_a_file_left_beside_it_is_not_followed(self):
        victim = os.path.join(self.dir, "victim")
        with open(victim, "w") as f:
            f.write("untouched\n")
        self.write_tokens("# team")
        os.symlink(victim, self.path + ".new")
        self.assertEqual(self.enroll("alice", self.GOOD).returncode, 0)
        with open(victim) as f:
            self.assertEqual(f.read(), "untouched\n")
        self.assertFalse(os.path.lexists(self.path + ".new"))
        self.assertRegex(self.file_text(), r"^# team\nalice \$6\$")

    def test_a_last_line_without_newline(self):
        with open(self.path, "w") as f:
            f.write(openssl_line("bob", BOB))
        os.chmod(self.path, 0o644)
        self.assertEqual(self.enroll("alice", self.GOOD).returncode, 0)
        lines = self.file_text().splitlines()
        self.assertEqual([line.split()[0] for line in lines], ["bob", "alice"])
        self.assertEqual(self.login("bob", BOB).auth, PAM_SUCCESS)
        self.assertEqual(self.login("alice", self.GOOD).auth, PAM_SUCCESS)


class RevokeAndList(Ctl):
    def setUp(self):
        super().setUp()
        self.write_tokens("# alpha team",
                          openssl_line("alice", self.GOOD, "work laptop, enrolled 2026-11-30"),
                          openssl_line("bob", BOB, "enrolled 2026-12-01"),
                          openssl_line("alice", SPARE, "spare"),
                          openssl_line("alice", CAROL, "desktop, enrolled 2026-12-02"))

    def users_of_file(self):
        return [line.split()[0] for line in self.file_text().splitlines()]

    def test_tokens_lists_users_comments_and_dates_never_a_hash(self):
        run = self.ctl("tokens", "--tokens", self.path)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual([line.split(None, 3) for line in run.stdout.splitlines()], [
            ["line", "user", "enrolled", "comment"],
            ["2", "alice", "2026-11-30", "work laptop"],
            ["3", "bob", "2026-12-01", "-"],
            ["4", "alice", "-", "spare"],
            ["5", "alice", "2026-12-02", "desktop"],
            ["4", "lines", "for", "2 accounts in %s" % self.path],
        ])
        self.assertNotIn("$6$", run.stdout)
        self.assert_no_hash_in(run.stdout + run.stderr)

    def test_revoke_by_comment(self):
        run = self.ctl("revoke", "alice", "--comment", "work laptop", "--tokens", self.path)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertRegex(run.stdout, r"^removed\s+2\s+alice\s+2026-11-30\s+work laptop\n$")
        self.assertEqual(self.users_of_file(), ["#", "bob", "alice", "alice"])
        r = self.login("alice", self.GOOD)
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(self.login("alice", SPARE).auth, PAM_SUCCESS)
        # The whole comment works too.
        run = self.ctl("revoke", "alice", "--comment", "desktop, enrolled 2026-12-02",
                       "--tokens", self.path)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(self.users_of_file(), ["#", "bob", "alice"])

    def test_revoke_by_line(self):
        run = self.ctl("revoke", "alice", "--line", "4", "--tokens", self.path)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(self.login("alice", SPARE).auth, PAM_AUTH_ERR)
        self.assertEqual(self.login("alice", self.GOOD).auth, PAM_SUCCESS)
        # A line of another account is not alice's to lose.
        run = self.ctl("revoke", "alice", "--line", "3", "--tokens", self.path)
        self.assertEqual(run.returncode, 1)
        self.assertIn("no line of %s for alice is the one given" % self.path, run.stderr)
        self.assertEqual(self.login("bob", BOB).auth, PAM_SUCCESS)

    def test_revoke_all(self):
        mode = 0o640
        os.chmod(self.path, mode)
        run = self.ctl("revoke", "alice", "--all", "--tokens", self.path)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(len(run.stdout.splitlines()), 3)
        self.assertEqual(self.users_of_file(), ["#", "bob"])
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), mode)
        r = self.login("alice", self.GOOD)
        self.assertEqual(r.auth, PAM_USER_UNKNOWN)
        run = self.ctl("revoke", "alice", "--all", "--tokens", self.path)
        self.assertEqual(run.returncode, 1)

    def test_revoke_needs_one_selector(self):
        for argv in (["revoke", "alice"], ["revoke", "alice", "--all", "--line", "2"],
                     ["revoke", "--all"], ["revoke", "alice", "--line", "x"]):
            with self.subTest(argv=argv):
                run = self.ctl(*(argv + ["--tokens", self.path]))
                self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertEqual(len(self.users_of_file()), 5)


class Outside(Ctl):
    """What pam_k6ctl does with lines the module never hashes against."""

    def setUp(self):
        super().setUp()
        self.write_tokens(openssl_line("alice", SPARE, "laptop"),
                          *["bob %s" % h for h, _ in OUTSIDE])

    def assert_named(self, text):
        for i, (_, why) in enumerate(OUTSIDE):
            self.assertIn("%s:%d: %s; the module skips the line" % (self.path, i + 2, why), text)

    def test_check_names_each(self):
        run = self.ctl("check", "--", *self.module_args("tokens=" + self.path), timeout=30)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assert_named(run.stderr)
        self.assertIn("refused: the module would run, but no token can match %d lines of the "
                      "tokens file\n" % len(OUTSIDE), run.stdout)

    def test_tokens_lists_and_names_each(self):
        run = self.ctl("tokens", "--tokens", self.path, timeout=30)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("%d lines for 2 accounts in %s" % (len(OUTSIDE) + 1, self.path), run.stdout)
        self.assert_named(run.stderr)
        self.assertIn("pam_k6ctl revoke bob --line 2", run.stderr)

    def test_enroll_writes_into_no_file_that_has_one(self):
        before = self.file_text()
        run = self.enroll("carol", CAROL)
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assert_named(run.stderr)
        self.assertIn("has lines the module skips: fix them first", run.stderr)
        self.assertEqual(self.file_text(), before)
        self.assertEqual(self.api.take_requests(), [], "the token was asked for")

    def test_revoke_removes_one_without_hashing_it(self):
        # 999999999 rounds: some 11 minutes, were it hashed.
        self.write_tokens(openssl_line("alice", SPARE, "laptop"),
                          "bob $6$rounds=999999999$pamk6saltpamk6s$" + DIGEST)
        run = self.ctl("revoke", "bob", "--line", "2", "--tokens", self.path, timeout=30)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertEqual(self.file_text().splitlines()[1:], [])
        self.assertEqual(self.ctl("tokens", "--tokens", self.path).returncode, 0)
        self.assertEqual(self.enroll("carol", CAROL).returncode, 0)


class Names(Ctl):
    """The account's own name, as the name service spells it, is what a line
    says: enroll writes it, the module and every command read it alike."""

    def passwd(self, *names):
        path = os.path.join(self.dir, "passwd")
        with open(path, "w") as f:
            for i, name in enumerate(names):
                f.write("%s:x:%d:%d::/home/u%d:/bin/sh\n" % (name, 1000 + i, 1000 + i, i))
        return path

    def ctl_env(self, *argv, env, stdin=""):
        return self.run_ctl(*argv, stdin=stdin, env=env)

    def test_enroll_writes_the_account_s_own_spelling(self):
        # Where the name service ignores case, ALICE is the account alice.
        env = self.nss(os.path.join(self.tmp, "passwd"))
        run = self.ctl_env("enroll", "ALICE", "--tokens", self.path, "--",
                           *self.module_args(), env=env, stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertRegex(self.file_text(), r"^alice \$6\$\S+ enrolled %s\n$" % DATE)
        for user in ("alice", "ALICE"):
            r = self.login(user, self.GOOD, env=env)
            self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
            self.assert_outcome(r, "success", "tokens_line=1")

    def test_fully_qualified_names(self):
        # SSSD with use_fully_qualified_names and default_domain_suffix.
        env = self.nss(self.passwd("alice@corp.example", "bob@corp.example"), "@corp.example")
        run = self.ctl_env("enroll", "alice", "--tokens", self.path, "--", *self.module_args(),
                           env=env, stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("enrolled: alice@corp.example, %s line 1" % self.path, run.stdout)
        self.assertRegex(self.file_text(), r"^alice@corp\.example \$6\$\S+ enrolled %s\n$" % DATE)
        # Every command and the module read the line.
        run = self.ctl_env("tokens", "--tokens", self.path, env=env)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("alice@corp.example", run.stdout)
        r = self.login("alice", self.GOOD, env=env)
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
        self.assert_outcome(r, "success", "tokens_line=1")
        r = self.login("bob", self.GOOD, env=env)
        self.assertEqual(r.auth, PAM_USER_UNKNOWN, r.stderr[-2000:])
        run = self.ctl_env("test", "alice", "--", *self.module_args("tokens=" + self.path),
                           env=env, stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        # A line pasted from hash, and revoke by the name the user types.
        run = self.ctl_env("hash", "bob", env=env, stdin=BOB + "\n")
        self.assertEqual(run.returncode, 0, run.stderr)
        with open(self.path, "a") as f:
            f.write(run.stdout.replace("bob ", "bob@corp.example ", 1))
        self.assertEqual(self.login("bob", BOB, env=env).auth, PAM_SUCCESS)
        run = self.ctl_env("revoke", "alice", "--all", "--tokens", self.path, env=env)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertEqual([line.split()[0] for line in self.file_text().splitlines()],
                         ["bob@corp.example"])

    def test_a_name_no_line_can_hold_is_refused(self):
        # A domain long enough that the account's name is over 256 bytes.
        domain = "@" + ".".join(["d" * 60] * 4) + ".example"
        env = self.nss(self.passwd("alice" + domain), domain)
        self.write_tokens(openssl_line("bob", BOB))
        before = self.file_text()
        run = self.ctl_env("enroll", "alice", "--tokens", self.path, "--", *self.module_args(),
                           env=env, stdin=self.GOOD + "\n")
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn("the name service calls this account 'alice@dddd", run.stderr)
        self.assertIn("which a tokens file line cannot name (at most 256 bytes", run.stderr)
        self.assertIn("give the account a name a line can hold", run.stderr)
        self.assertEqual(self.file_text(), before)
        self.assertEqual(self.api.take_requests(), [], "the token was asked for")
        self.assertEqual(self.ctl("tokens", "--tokens", self.path).returncode, 0)


class CheckAndTest(Ctl):
    def test_check_validates_the_file(self):
        good = openssl_line("alice", self.GOOD)
        self.write_tokens(good, openssl_line("bob", BOB))
        run = self.ctl("check", "--", *self.module_args("tokens=" + self.path))
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("tokens file       %s: 2 lines for 2 accounts" % self.path, run.stdout)
        # A hash cut short parses, but no token can ever match it.
        self.write_tokens(good, good[:-20])
        run = self.ctl("check", "--", *self.module_args("tokens=" + self.path))
        self.assertEqual(run.returncode, 2)
        self.assertIn("%s:2: the hash is cut short or a salt alone" % self.path, run.stderr)
        # The module still runs with it: check does not say it would refuse.
        self.assertNotIn("PAM_SERVICE_ERR", run.stdout)
        self.assertIn("refused: the module would run, but no token can match 1 line of the "
                      "tokens file\n", run.stdout)
        self.write_tokens(good, "bob")
        run = self.ctl("check", "--", *self.module_args("tokens=" + self.path))
        self.assertEqual(run.returncode, 2)
        self.assertIn("%s:2: want USER HASH [COMMENT]" % self.path, run.stderr)

    def test_test_says_whether_the_token_matches(self):
        self.write_tokens(openssl_line("alice", self.GOOD, "laptop"), openssl_line("bob", BOB))
        args = self.module_args("tokens=" + self.path)
        r = self.authenticate([self.GOOD], args=self.args())
        run = self.assert_ctl_agrees(r, self.GOOD, args)
        self.assertEqual(run.rows("enrolled"), ["%s line 1 (laptop)" % self.path])
        self.assertRegex(run.rows("answer")[0], r"^the API: HTTP 200")
        self.api.take_requests()
        r = self.authenticate([BOB], args=self.args())
        run = self.assert_ctl_agrees(r, BOB, args)
        self.assertEqual(run.rows("enrolled"), [
            "no: the token matches none of the 1 line of the tokens file for this account"])
        self.assertEqual(run.rows("answer"), [])
        self.assertEqual(self.api.take_requests(), [])
        r = self.authenticate([CAROL], args=self.args(), user="carol")
        run = self.assert_ctl_agrees(r, CAROL, args, user="carol")
        self.assertIn("no line of the tokens file names this account", run.rows("account")[0])


if __name__ == "__main__":
    k6test.main()
