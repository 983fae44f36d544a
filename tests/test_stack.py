#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pam_k6ctl check proves the auth stack: every way libpam can take through
it, and none that ends in PAM_SUCCESS unless a module that checks a secret
succeeded on it.

The shipped recipes are accepted, and no number of their brackets off by
one or by two opens them; the recipe of pam_k6 0.1.0 opened on five such
slips, and check refuses each.  Debian 12's own sshd, sudo, sudo-i, su and
login (tests/pamd/debian12/, copied from a fresh install) with the block
added are accepted, and so is common-auth as pam-auth-update writes it with
the profile.  pam_rootok in sshd is refused.  pam_k6ctl test follows the
stack for the account: a non-member, or a member whose token path is locked,
is not asked for a token, and no request is made.  The pam.d reader is
bounded: a FIFO, a device, or includes without end are errors, at once.

Whether real libpam with the real modules agrees on the slips is the
system tests' (test_system.py, Slips); the model against libpam itself is
test_stack_diff's.
"""

import os
import re
import shutil
import stat
import struct
import subprocess
import time

import k6test
from k6test import MODULE, SRCDIR
from test_ctl import Ctl

DEBIAN = os.path.join(SRCDIR, "tests", "pamd", "debian12")
EXAMPLES = os.path.join(SRCDIR, "examples", "pam.d")
OLD_RECIPE = os.path.join(SRCDIR, "tests", "pamd", "sshd-0.1.0")
PROFILE = os.path.join(SRCDIR, "debian", "pam-configs", "k6")
BRACKET = re.compile(r"^(\s*-?auth\s+\[)([^]]*)(\].*)$")
OPEN = "PAM_SUCCESS with no secret checked"


def read(path):
    with open(path) as f:
        return f.read()


def block_of(recipe):
    """The auth lines a recipe adds to Debian's file."""
    return [line for line in recipe.splitlines() if re.match(r"^auth\s", line)]


def slips(text, by):
    """Every change by `by` (up or down) of one number in an auth line's
    brackets: (line number, old, new, text)."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = BRACKET.match(line)
        if not m:
            continue
        for num in re.finditer(r"=(\d+)", m.group(2)):
            old = int(num.group(1))
            for new in (old - by, old + by):
                if new < 0:
                    continue
                inside = m.group(2)[:num.start(1)] + str(new) + m.group(2)[num.end(1):]
                changed = lines[:i] + [m.group(1) + inside + m.group(3)] + lines[i + 1:]
                yield i + 1, old, new, "\n".join(changed)


def with_block(debian_text, block):
    """Debian's file with the block before its @include common-auth."""
    out = []
    for line in debian_text.splitlines():
        if line.startswith("@include common-auth"):
            out.extend(block)
        out.append(line)
    return "\n".join(out) + "\n"


def profile_common_auth():
    """common-auth as pam-auth-update writes it with the k6 profile and
    Debian's unix profile enabled: its rule for "end" is the number of
    Primary lines left after this one, and the fallback pam_deny after them."""
    ours = []
    for line in read(PROFILE).split("Auth:\n", 1)[1].splitlines():
        if not line.startswith("\t"):
            break
        ours.append(line.strip())
    primary = ours + ["[success=end default=ignore]\tpam_unix.so nullok try_first_pass"]
    lines = []
    for i, line in enumerate(primary):
        lines.append("auth\t" + line.replace("end", str(len(primary) - i)))
    lines += ["auth\trequisite\t\t\tpam_deny.so", "auth\trequired\t\t\tpam_permit.so",
              "auth\toptional\t\t\tpam_cap.so"]
    return "\n".join(lines) + "\n"


class Stack(Ctl):
    """A pam.d folder of Debian 12's files, and the module's lines pointed at
    the build and the stand-in."""

    def setUp(self):
        super().setUp()
        self.dir = os.path.join(self.tmp, "stack-pam.d")
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.copytree(DEBIAN, self.dir)
        self.args = " ".join(self.api_args("stack_url=alpha"))

    def ours(self, text):
        """The module by its path in this build, with the stand-in's arguments."""
        return re.sub(r"(?<=\s)pam_k6\.so(?=\s|$)", "%s %s" % (MODULE, self.args), text)

    def put(self, name, text):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(self.ours(text))

    def check(self, service, *extra):
        return self.run_ctl("check", "--service", service, "--pam-dir", self.dir, *extra)

    def assert_accepted(self, run):
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertNotIn(OPEN, run.stderr)
        self.assertIn("no way ends in PAM_SUCCESS unless a module that checks a secret "
                      "succeeded on it", run.stdout)

    def assert_open(self, run):
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertIn(OPEN, run.stderr)

    def rows(self, run):
        """The table: (result, secret, decided by, when)."""
        table = run.stdout.split("the auth stack, every way", 1)[1].splitlines()[2:]
        found = []
        for line in table:
            m = re.match(r"^  \d+\s+(\S+)\s+(\S+)\s+(\S+ \S+)\s+(.*)$", line)
            if not m:
                break
            found.append(m.groups())
        return found


class Recipes(Stack):
    def test_shipped_recipes_are_accepted(self):
        for service in ("sshd", "sudo", "sudo-i"):
            with self.subTest(service):
                self.put(service, read(os.path.join(EXAMPLES, service)))
                run = self.check(service)
                self.assert_accepted(run)
                rows = self.rows(run)
                # A token, or a password, decides every way in.
                for result, secret, decided, _ in rows:
                    if result == "PAM_SUCCESS":
                        self.assertEqual(secret, "yes")
                        self.assertRegex(decided, r" (pam_k6|pam_unix)\.so$")
                when = {r[3]: r[0] for r in rows}
                self.assertEqual(when["user ingroup k6users; tally open; token accepted"],
                                 "PAM_SUCCESS")
                self.assertEqual(when["user ingroup k6users; tally open; token refused"],
                                 "PAM_AUTH_ERR")
                for key in ("user ingroup k6users; tally open; pam_k6 cannot decide",
                            "user ingroup k6users; tally locked",
                            "not user ingroup k6users"):
                    self.assertEqual(when[key + "; password right"], "PAM_SUCCESS")
                    self.assertEqual(when[key + "; password not right"], "PAM_AUTH_ERR")

    def test_no_slip_by_one_or_two_opens_the_shipped_recipes(self):
        for service in ("sshd", "sudo", "sudo-i"):
            text = read(os.path.join(EXAMPLES, service))
            for by in (1, 2):
                count = 0
                for line, old, new, changed in slips(text, by):
                    count += 1
                    with self.subTest(service=service, line=line, old=old, new=new):
                        self.put(service, changed)
                        run = self.check(service)
                        self.assertNotIn(OPEN, run.stderr, run.stdout)
                self.assertEqual(count, 10, "the numbers of %s's block" % service)

    def test_a_slip_that_locks_a_path_out_is_warned(self):
        text = read(os.path.join(EXAMPLES, "sshd"))
        # pam_k6's success landing one line short: on a pam_deny.
        self.put("sshd", text.replace("[success=2 auth_err=bad default=5]",
                                      "[success=1 auth_err=bad default=5]"))
        run = self.check("sshd")
        self.assertNotIn(OPEN, run.stderr)
        self.assertRegex(run.stderr, r"warning: \S+sshd:\d+ \S*pam_k6\.so: no login passes "
                                     r"with it")
        # The first line's jump landing on a pam_deny: non-members never pass.
        self.put("sshd", text.replace("[success=ignore default=7]", "[success=ignore default=5]"))
        run = self.check("sshd")
        self.assertIn("when not user ingroup k6users, no login passes", run.stderr)

    def test_every_slip_of_the_old_recipe_that_opens_is_refused(self):
        text = read(OLD_RECIPE)
        opened = []
        for by in (1, 2):
            for line, old, new, changed in slips(text, by):
                self.put("sshd", changed)
                run = self.check("sshd")
                if OPEN in run.stderr:
                    self.assert_open(run)
                    # The error names the line that ended it and the jump that sent it.
                    self.assertRegex(run.stderr, r"ended by \S+sshd:\d+ pam_faillock\.so|"
                                                 r"common-auth:\d+ pam_(permit|cap)\.so")
                    self.assertRegex(run.stderr, r"the last jump before it: \S+sshd:%d " % line)
                    opened.append((line, old, new))
        # Two by one and three by two; libpam with the real modules agrees
        # (test_system.py, Slips).
        self.assertEqual(sorted(opened), [(24, 4, 3), (24, 4, 6), (33, 3, 5), (40, 2, 1),
                                          (40, 2, 4)])

    def test_the_profile_as_pam_auth_update_writes_it(self):
        common = profile_common_auth()
        self.put("common-auth", common)
        run = self.check("sshd")
        self.assert_accepted(run)
        when = {r[3]: r[0] for r in self.rows(run)}
        self.assertEqual(when["user ingroup k6users; token accepted"], "PAM_SUCCESS")
        self.assertEqual(when["not user ingroup k6users; password right"], "PAM_SUCCESS")
        # The profile's own number (the first line's); pam-auth-update counts "end".
        first, rest = common.split("\n", 1)
        for by in (1, 2):
            for line, old, new, changed in slips(first, by):
                with self.subTest(old=old, new=new):
                    self.put("common-auth", changed + "\n" + rest)
                    self.assertNotIn(OPEN, self.check("sshd").stderr)


class Debian(Stack):
    def test_stock_services_with_the_block_are_accepted(self):
        block = block_of(read(os.path.join(EXAMPLES, "sshd")))
        for service in ("sshd", "sudo", "sudo-i", "su", "login"):
            with self.subTest(service):
                self.put(service, with_block(read(os.path.join(DEBIAN, service)), block))
                run = self.check(service)
                self.assert_accepted(run)

    def test_rootok_is_a_note_in_su_and_an_error_in_sshd(self):
        block = block_of(read(os.path.join(EXAMPLES, "sshd")))
        self.put("su", with_block(read(os.path.join(DEBIAN, "su")), block))
        run = self.check("su")
        self.assert_accepted(run)
        self.assertRegex(run.stdout, r"note: \S+su:\d+ pam_rootok\.so passes a caller that "
                                     r"is root already")
        sshd = "auth sufficient pam_rootok.so\n" + read(os.path.join(EXAMPLES, "sshd"))
        self.put("sshd", sshd)
        run = self.check("sshd")
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertRegex(run.stderr, r"error: \S+sshd:1 pam_rootok\.so passes every caller "
                                     r"whose real user is root: sshd")

    def test_nullok_is_a_warning(self):
        self.put("sshd", read(os.path.join(EXAMPLES, "sshd")))
        run = self.check("sshd")
        self.assertRegex(run.stderr, r"warning: \S+common-auth:\d+ pam_unix\.so with nullok")

    def test_an_unknown_module_proves_nothing_unless_declared(self):
        fake = os.path.join(self.tmp, "pam_vault.so")
        with open(fake, "w") as f:
            f.write("not a module, only a file\n")
        text = read(os.path.join(EXAMPLES, "sshd")).replace(
            "\n@include common-auth", "\nauth sufficient %s\n@include common-auth" % fake)
        self.put("sshd", text)
        run = self.check("sshd")
        self.assert_open(run)
        self.assertIn("(if pam_vault checks a secret, say so: --secret-module pam_vault)",
                      run.stderr)
        self.assert_accepted(self.check("sshd", "--secret-module", "pam_vault"))

    def test_service_file_names_the_staged_file(self):
        staged = os.path.join(self.tmp, "staged-sshd")
        with open(staged, "w") as f:
            f.write(self.ours(read(OLD_RECIPE).replace("default=4]", "default=3]")))
        run = self.run_ctl("check", "--service-file", staged, "--service", "sshd",
                           "--pam-dir", self.dir)
        self.assert_open(run)
        self.assertIn("ended by %s:42 pam_faillock.so" % staged, run.stderr)
        self.assertIn("the last jump before it: %s:24 pam_succeed_if.so" % staged, run.stderr)
        with open(staged, "w") as f:
            f.write(self.ours(read(os.path.join(EXAMPLES, "sshd"))))
        run = self.run_ctl("check", "--service-file", staged, "--pam-dir", self.dir)
        self.assert_accepted(run)
        self.assertIn("file %s: accepted" % staged, run.stdout)


class Reader(Stack):
    def test_what_is_not_a_regular_file_is_refused_at_once(self):
        fifo = os.path.join(self.tmp, "fifo")
        if not os.path.exists(fifo):
            os.mkfifo(fifo)
        os.symlink("/dev/zero", os.path.join(self.dir, "zero"))
        for target, said in ((fifo, "is not a regular file"), ("zero", "is not a regular file")):
            with self.subTest(target):
                self.put("sshd", "auth include %s\n" % target)
                start = time.monotonic()
                run = self.check("sshd")
                self.assertLess(time.monotonic() - start, 5)
                self.assertEqual(run.returncode, 2)
                self.assertIn(said, run.stderr)

    def test_a_link_to_a_file_is_followed(self):
        # authselect's pam.d files are links.
        os.rename(os.path.join(self.dir, "common-auth"), os.path.join(self.dir, "real-auth"))
        os.symlink("real-auth", os.path.join(self.dir, "common-auth"))
        self.put("sshd", read(os.path.join(EXAMPLES, "sshd")))
        self.assert_accepted(self.check("sshd"))

    def test_includes_without_end_stop_at_a_bound(self):
        # 50 includes per file, 8 files deep: no loop, but 50**8 files.
        for depth in range(8):
            with open(os.path.join(self.dir, "d%d" % depth), "w") as f:
                f.write("".join("auth include d%d\n" % (depth + 1) for _ in range(50)))
        with open(os.path.join(self.dir, "d8"), "w") as f:
            f.write("auth required pam_permit.so\n")
        self.put("sshd", "auth include d0\n" + read(os.path.join(EXAMPLES, "sshd")))
        start = time.monotonic()
        run = self.check("sshd")
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual(run.returncode, 2)
        self.assertRegex(run.stderr, r"more than \d+ files read; not read further")

    def test_includes_nest_at_most_16_deep(self):
        for depth in range(20):
            with open(os.path.join(self.dir, "n%d" % depth), "w") as f:
                f.write("auth include n%d\n" % (depth + 1))
        with open(os.path.join(self.dir, "n20"), "w") as f:
            f.write("auth required pam_permit.so\n")
        self.put("sshd", "auth include n0\n")
        run = self.check("sshd")
        self.assertEqual(run.returncode, 2)
        self.assertIn("includes nest deeper than 16; not read further", run.stderr)
        # 16 are read.
        with open(os.path.join(self.dir, "n15"), "w") as f:
            f.write("auth required pam_unix.so\n")
        self.assertNotIn("nest deeper", self.check("sshd").stderr)

    def test_lines_in_all_stop_at_a_bound(self):
        # Three files, each well under the size bound, 30000 lines in all.
        for name in ("l0", "l1", "l2"):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write("#\n" * 10000)
        self.put("sshd", "auth include l0\nauth include l1\nauth include l2\n" +
                 read(os.path.join(EXAMPLES, "sshd")))
        run = self.check("sshd")
        self.assertEqual(run.returncode, 2, run.stdout + run.stderr)
        self.assertRegex(run.stderr, r"%s/l[12]:\d+: more than 20000 lines read in all; not read "
                                     r"further" % re.escape(self.dir))
        # libpam has no such bound: the stack is not proved, not one that aborts.
        self.assertIn("a bound of pam_k6ctl's reading was hit: the stack is not proved",
                      run.stderr)
        self.assertNotIn("PAM_ABORT", run.stdout + run.stderr)

    def test_a_large_file_is_refused(self):
        with open(os.path.join(self.dir, "big"), "w") as f:
            f.write("# padding\n" * 40000)
        self.put("sshd", "auth include big\n")
        run = self.check("sshd")
        self.assertEqual(run.returncode, 2)
        self.assertIn("is larger than", run.stderr)


def tally(path, failures, now=None):
    """A pam_faillock tally file holding that many recent failures."""
    now = int(now or time.time())
    with open(path, "wb") as f:
        for i in range(failures):
            f.write(struct.pack("=52sHHQ", b"127.0.0.1", 0, 1 | 2, now - i))


class Walk(Stack):
    """pam_k6ctl test --service follows the stack for the account."""

    def recipe_with_tallies(self):
        tallies = os.path.join(self.tmp, "tallies")
        shutil.rmtree(tallies, ignore_errors=True)
        os.mkdir(tallies)
        text = read(os.path.join(EXAMPLES, "sshd")).replace("/run/pam_k6-faillock", tallies)
        self.put("sshd", text)
        return tallies

    def ctl_test(self, user, token):
        return self.run_ctl("test", user, "--service", "sshd", "--pam-dir", self.dir,
                            stdin=token + "\n")

    def test_a_member_reaches_pam_k6(self):
        self.recipe_with_tallies()
        run = self.ctl_test("alice", self.GOOD)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        self.assertIn("K6_CLOUD_STACK_ID=12345", run.rows("export"))
        self.assertEqual(len(self.api.take_requests()), 1)

    def test_a_non_member_is_not_asked(self):
        self.recipe_with_tallies()
        run = self.ctl_test("bob", self.GOOD)
        self.assertEqual(run.returncode, 5, run.stdout + run.stderr)
        self.assertRegex(run.stdout, r"pam_k6 is not asked for bob: sshd:\d+ "
                                     r"pam_succeed_if\.so \(bob: not user ingroup k6users\) "
                                     r"sends bob past it")
        self.assertRegex(run.stdout, r"decides +common-auth:\d+ pam_unix\.so")
        self.assertEqual(self.api.take_requests(), [])

    def test_a_locked_token_path_is_not_asked(self):
        tallies = self.recipe_with_tallies()
        tally(os.path.join(tallies, "alice"), 5)
        run = self.ctl_test("alice", self.GOOD)
        self.assertEqual(run.returncode, 5, run.stdout + run.stderr)
        self.assertRegex(run.stdout, r"pam_faillock\.so \(alice: 5 failures in \S+: locked\)")
        self.assertEqual(self.api.take_requests(), [])
        # Four are not enough to lock it.
        tally(os.path.join(tallies, "alice"), 4)
        self.assertEqual(self.ctl_test("alice", self.GOOD).returncode, 0)


if __name__ == "__main__":
    k6test.main()
