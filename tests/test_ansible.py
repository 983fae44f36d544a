#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The Ansible role ansible/roles/pam_k6, run end to end on this machine.

System tests, as tests/test_system.py: they need root and the programs in
NEEDED, and skip (77) without them.  ansible-playbook runs site.yml with
"-c local" against the machine itself, in a private mount namespace
(unshare -m) where the role, dpkg, groupadd and sudo may change anything
and nothing on the machine changes:

  /etc, /usr, /var   overlays of the machine's own, each with an upper
                     folder of the test's (a fresh one for each class):
                     the package's files, dpkg's database, pam.d,
                     /etc/security, the group, the test's accounts
  /run               an empty tmpfs: no systemd, no sshd running, no
                     /run/sshd, as in an image being built
  /dev               a tmpfs with the usual nodes, and /dev/log the test's
                     own syslog socket

The package is the real .deb when K6_TEST_DEB names one
(tools/package-test.sh), else a small one made here with dpkg-deb from the
build: the in-tree module (which loads its parts from the build tree) as
the bare pam_k6.so beside pam_unix.so, this build's pam_k6ctl that knows
that file as the installed module (tests/bare/pam_k6ctl), the examples
as /usr/share/doc/libpam-k6/examples, and debian/'s pam-auth-update profile
and maintainer scripts (with a postrm, dpkg keeps a removed package as
"config-files" until it is purged, as it keeps the real one).  A build whose module reads pam_k6.conf elsewhere
than /etc/security (K6_TEST_CONF) sees the same folder there.  The API is
the stand-in on loopback.

Package builds leave these tests out with the other system tests
(make check SYSTEM_TESTS=).
"""

import glob
import hashlib
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import k6test
from k6test import PamTestCase
import test_system
from test_system import (SBIN_PATH, WAIT, free_port, run, tokens_line, unused_name,
                         write)

NEEDED = ("ansible-playbook", "ansible-lint", "sshd", "ssh", "ssh-keygen", "sudo", "pamtester",
          "dpkg-deb", "unshare", "mount", "umount", "useradd", "openssl")
NS_MARK = "K6_TEST_ANSIBLE_NS"
ANSIBLE = os.path.join(k6test.SRCDIR, "ansible")
PLAYBOOK = os.path.join(ANSIBLE, "site.yml")
EXAMPLES = os.path.join(k6test.SRCDIR, "examples")
DEB = os.environ.get("K6_TEST_DEB", "")
CONF = os.environ.get("K6_TEST_CONF", "/etc/security/pam_k6.conf")
SERVICES = ("sshd", "sudo", "sudo-i")
DROP_IN = "/etc/ssh/sshd_config.d/00-pam_k6.conf"
# What the overlays cover, and what a --check run must leave as it was.
OVERLAID = ("/etc", "/usr", "/var")
# The longest one ansible-playbook run may take; each takes seconds.
RUN_TIMEOUT = 600
# Every run's time, for the summary at the end.
TIMES = []


def skip_unless_ready():
    if os.geteuid() != 0:
        sys.stderr.write("SKIP: the role's tests install a package and change /etc (in a"
                         " private namespace): run make check as root\n")
        sys.exit(k6test.SKIP)
    os.environ["PATH"] = os.environ.get("PATH", "") + ":" + SBIN_PATH
    missing = [tool for tool in NEEDED if not shutil.which(tool)]
    if missing:
        sys.stderr.write("SKIP: missing %s (tools/install-deps.sh --system-tests)\n"
                         % ", ".join(missing))
        sys.exit(k6test.SKIP)
    if subprocess.run(["/usr/bin/python3", "-c", "import apt"], capture_output=True).returncode:
        sys.stderr.write("SKIP: missing python3-apt, which Ansible's apt module needs"
                         " (tools/install-deps.sh --system-tests)\n")
        sys.exit(k6test.SKIP)
    if k6test.SANITIZED:
        sys.stderr.write("SKIP: a sanitizer build's module cannot load into sudo and sshd\n")
        sys.exit(k6test.SKIP)
    if not DEB and not os.path.exists(k6test.MODULE):
        sys.stderr.write("SKIP: %s not built; run through make check\n" % k6test.MODULE)
        sys.exit(k6test.SKIP)


def enter_private_namespace():
    """Run this file again in a mount namespace of its own (as
    tests/test_system.py does)."""
    if os.environ.get(NS_MARK):
        if os.environ[NS_MARK] == test_system.mount_namespace():
            sys.exit("refusing to mount over /etc outside a private mount namespace")
        return
    os.environ[NS_MARK] = test_system.mount_namespace()
    argv = ["unshare", "--mount", "--propagation", "private", "--",
            sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
    os.execvp(argv[0], argv)


def pam_module_dir():
    """Where libpam finds pam_unix.so, as the package would install (the
    path dpkg knows, /lib/... on Debian)."""
    for pattern in ("/lib/*/security", "/usr/lib/*/security", "/lib64/security",
                    "/usr/lib64/security", "/lib/security", "/usr/lib/security"):
        for folder in sorted(glob.glob(pattern)):
            if os.path.exists(os.path.join(folder, "pam_unix.so")):
                return folder
    raise RuntimeError("no pam_unix.so on this machine")


def package_status():
    """dpkg's status of libpam-k6, or None when dpkg knows nothing of it."""
    query = subprocess.run(["dpkg-query", "-W", "-f=${Status}", "libpam-k6"],
                           capture_output=True, text=True)
    if query.returncode != 0 or query.stdout.endswith("not-installed"):
        return None
    return query.stdout


def build_test_deb(folder):
    """A libpam-k6 .deb of this build, for the role to install."""
    root = os.path.join(folder, "deb-root")
    doc = os.path.join(root, "usr/share/doc/libpam-k6")
    os.makedirs(os.path.join(root, "DEBIAN"))
    module_dir = root + pam_module_dir()
    os.makedirs(module_dir)
    shutil.copy(k6test.MODULE, os.path.join(module_dir, "pam_k6.so"))
    os.makedirs(os.path.join(root, "usr/sbin"))
    # The pam_k6ctl that knows the bare-name folder's pam_k6.so as installed.
    shutil.copy(os.environ.get("K6_TEST_BARE_CTL",
                               os.path.join(k6test.SRCDIR, "tests", "bare", "pam_k6ctl")),
                os.path.join(root, "usr/sbin/pam_k6ctl"))
    shutil.copytree(EXAMPLES, os.path.join(doc, "examples"))
    os.makedirs(os.path.join(root, "usr/share/pam-configs"))
    shutil.copy(os.path.join(k6test.SRCDIR, "debian/pam-configs/k6"),
                os.path.join(root, "usr/share/pam-configs/k6"))
    for script in ("postinst", "prerm", "postrm"):
        with open(os.path.join(k6test.SRCDIR, "debian", "libpam-k6." + script)) as f:
            text = f.read().replace("#DEBHELPER#\n", "")
        write(os.path.join(root, "DEBIAN", script), text, 0o755)
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=True).stdout.strip()
    write(os.path.join(root, "DEBIAN/control"), """\
Package: libpam-k6
Version: %s-0test
Architecture: %s
Maintainer: pam_k6 tests <pam-k6@example.org>
Depends: libpam-runtime
Section: admin
Priority: optional
Description: pam_k6 as the tests build it
 The in-tree module and pam_k6ctl of a build, for tests/test_ansible.py.
""" % (k6test.VERSION or "0.0.0", arch))
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o755)
    deb = os.path.join(folder, "libpam-k6_test.deb")
    run("dpkg-deb", "--root-owner-group", "-Zgzip", "--build", root, deb)
    shutil.rmtree(root)
    os.chmod(folder, 0o755)
    os.chmod(deb, 0o644)
    return deb


class Machine(test_system.World):
    """The private namespace: overlays of /etc, /usr and /var, an empty
    /run, a /dev with the test's /dev/log.  close() takes it all down."""

    def build(self):
        os.chmod(self.tmp, 0o711)
        self.uppers = {}
        for top in OVERLAID:
            upper = self.path("upper" + top.replace("/", "-"))
            work = self.path("work" + top.replace("/", "-"))
            os.mkdir(upper)
            os.mkdir(work)
            self.mount("overlay", top, "-t", "overlay",
                       "-o", "lowerdir=%s,upperdir=%s,workdir=%s" % (top, upper, work))
            self.uppers[top] = upper
        self.mount("tmpfs", "/run", "-t", "tmpfs", "-o", "mode=755")
        self.private_dev()
        self.syslog = test_system.Syslog("/dev/log")
        # A build that reads its settings elsewhere sees /etc/security there.
        if not DEB and os.path.dirname(CONF) != "/etc/security":
            self.make_room(os.path.dirname(CONF))
            self.mount("/etc/security", os.path.dirname(CONF), "--bind")

    def make_room(self, folder):
        if any(folder.startswith(top + "/") for top in OVERLAID):
            os.makedirs(folder, 0o755, exist_ok=True)
        else:
            super().make_room(folder)

    def changes(self):
        """What the overlays hold: path -> a digest of its content, mode and
        owner, for every file, link and folder changed since the start; logs
        aside (dpkg --simulate, which Ansible's apt module runs in --check
        mode, writes to /var/log/dpkg.log)."""
        seen = {}
        for top, upper in self.uppers.items():
            for dirpath, dirnames, filenames in os.walk(upper):
                for name in dirnames + filenames:
                    path = os.path.join(dirpath, name)
                    if (top + path[len(upper):] + "/").startswith("/var/log/"):
                        continue
                    st = os.lstat(path)
                    what = "%o %d %d" % (st.st_mode, st.st_uid, st.st_gid)
                    if os.path.islink(path):
                        what += " -> " + os.readlink(path)
                    elif os.path.isfile(path):
                        with open(path, "rb") as f:
                            what += " " + hashlib.sha256(f.read()).hexdigest()
                    seen[top + path[len(upper):]] = what
        return seen

    def add_account(self, name, password, groups=()):
        home = self.path("home-" + name)
        run("useradd", "--create-home", "--home-dir", home, "--shell", "/bin/sh",
            *(["--groups", ",".join(groups)] if groups else []), name)
        subprocess.run(["chpasswd"], input="%s:%s\n" % (name, password), text=True, check=True,
                       capture_output=True)
        return home


class Run:
    """One ansible-playbook run: its output, exit status, time, and the
    counts of its PLAY RECAP, by host."""

    def __init__(self, proc, seconds, mark):
        self.mark = mark
        self.returncode = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.seconds = seconds
        self.recap = {}
        for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", proc.stdout, re.M):
            self.recap[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}

    def changed(self, host="testhost"):
        return self.recap[host]["changed"]


def write_and_return(path, text):
    write(path, text)
    return path


def pam_file(name):
    with open(os.path.join("/etc/pam.d", name), "rb") as f:
        return f.read()


def without_blocks(text):
    """A pam.d file's text with the role's blocks (BEGIN to END lines) out."""
    return re.sub(rb"(?ms)^# BEGIN pam_k6 (auth|session)\n.*?^# END pam_k6 \1\n", b"", text)


def recipe_block(name, kind):
    with open(os.path.join(EXAMPLES, "pam.d", name), "rb") as f:
        text = f.read()
    return re.search(rb"(?ms)^# BEGIN pam_k6 %s\n.*?^# END pam_k6 %s\n" % (kind, kind),
                     text).group(0)


class RoleTestCase(PamTestCase):
    """A fresh private machine for each class, the stand-in and its CA
    (PamTestCase), the package, the test account (in k6users once the role
    has run, with a token enrolled) and ansible-playbook."""

    SERVICES = SERVICES

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.machine = Machine()
        try:
            cls.setUpMachine()
        except BaseException:
            cls.machine.close()
            raise

    @classmethod
    def setUpMachine(cls):
        cls.deb = DEB or PACKAGE
        cls.user = unused_name("k6test_user_")
        cls.password = secrets.token_hex(12)
        cls.home = cls.machine.add_account(cls.user, cls.password)
        cls.secrets |= {cls.password}
        cls.token_line = tokens_line(cls.user, cls.GOOD, "laptop")
        # ansible's own files: its home, local temporary folder, no cfg.
        cls.ansible_home = cls.machine.path("ansible-home")
        os.mkdir(cls.ansible_home, 0o755)
        cls.pam_before = {name: pam_file(name) for name in os.listdir("/etc/pam.d")}

    @classmethod
    def tearDownClass(cls):
        for server in getattr(cls, "daemons", []):
            server.stop()
        cls.machine.close()
        super().tearDownClass()

    def role_vars(self, **overrides):
        values = {
            "pam_k6_package": self.deb,
            "pam_k6_conf": {"stack_url": "alpha", "api_url": self.api.url, "ca_file": self.ca,
                            "timeout": 5, "connect_timeout": 2, "nodelay": True},
            "pam_k6_members": [self.user],
            "pam_k6_tokens": [self.token_line],
            "pam_k6_services": list(self.SERVICES),
        }
        values.update(overrides)
        return values

    def playbook(self, role_vars=None, hosts=("testhost",), host_vars=None, options=(),
                 as_user=None, become_password=None):
        """ansible-playbook site.yml -c local on this machine, with the
        role's variables in the group's variables of a fresh inventory."""
        role_vars = self.role_vars() if role_vars is None else role_vars
        inventory = tempfile.mkdtemp(dir=self.machine.tmp, prefix="inventory.")
        os.chmod(inventory, 0o755)
        lines = ["[loadgen]"]
        for host in hosts:
            lines.append("%s ansible_connection=local ansible_python_interpreter=/usr/bin/python3"
                         % host)
        write(os.path.join(inventory, "hosts"), "\n".join(lines) + "\n")
        os.mkdir(os.path.join(inventory, "group_vars"))
        os.mkdir(os.path.join(inventory, "host_vars"))
        group_vars = dict(role_vars)
        if become_password is not None:
            group_vars["ansible_become_password"] = become_password
        write(os.path.join(inventory, "group_vars", "loadgen.json"), json.dumps(group_vars))
        for host, values in (host_vars or {}).items():
            write(os.path.join(inventory, "host_vars", host + ".json"), json.dumps(values))
        home = self.ansible_home if as_user is None else pwd.getpwnam(as_user).pw_dir
        cfg = os.path.join(inventory, "ansible.cfg")
        write(cfg, "")
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin" + (":" + SBIN_PATH if as_user is None else ""),
            "HOME": home, "LANG": "C.UTF-8", "ANSIBLE_CONFIG": cfg,
            "ANSIBLE_LOCAL_TEMP": os.path.join(home, ".ansible", "local"),
            "ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        argv = ["ansible-playbook", "-i", os.path.join(inventory, "hosts"), PLAYBOOK]
        argv += list(options)
        if as_user is not None:
            os.chmod(os.path.join(inventory, "group_vars", "loadgen.json"), 0o644)
            argv = [shutil.which("runuser", path=SBIN_PATH), "-u", as_user, "--"] + argv
        mark = self.machine.syslog.mark()
        start = time.monotonic()
        proc = subprocess.run(argv, cwd=inventory, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=RUN_TIMEOUT)
        result = Run(proc, time.monotonic() - start, mark)
        TIMES.append((self.id().split(".", 1)[1], " ".join(options), result.seconds,
                      result.recap.get(hosts[0], {}).get("changed")))
        for secret in self.secrets:
            for piece in k6test.token_pieces(secret):
                self.assertNotIn(piece, result.output, "a piece of a secret reached the output")
        return result

    def assert_ran(self, result, host="testhost"):
        self.assertEqual(result.returncode, 0, result.output[-6000:])
        self.assertEqual(result.recap[host]["failed"], 0, result.output[-6000:])

    def pamtester(self, service, token, user=None):
        mark = self.machine.syslog.mark()
        proc = subprocess.run(["pamtester", service, user or self.user, "authenticate"],
                              input=token + "\n", capture_output=True, text=True, timeout=WAIT)
        self.machine.syslog.flush()
        return proc, self.machine.syslog.since(mark)


class Rollout(RoleTestCase):
    """The first run as the machine is (no service manager, no sshd
    running), then what a fleet does with the role: a token logs in, a run
    again changes nothing, --check shows a change and makes none, a bad key
    stops the rollout, a running sshd is reloaded."""

    @classmethod
    def setUpMachine(cls):
        super().setUpMachine()
        cls.first = None

    def setUp(self):
        super().setUp()
        if Rollout.first is None:
            Rollout.first = self.playbook(self.role_vars(pam_k6_canary={
                "user": self.user, "token": self.GOOD}))
            Rollout.left_in_run = sorted(os.listdir("/run"))
            self.assert_ran(Rollout.first)

    def test_first_run_installs_everything_in_order(self):
        result = Rollout.first
        self.assertGreater(result.changed(), 0)
        steps = [name for name in re.findall(r"^TASK \[pam_k6 : ([^\]]*)\]", result.output, re.M)]
        order = ["Package | install the .deb",
                 "The settings | checked before it is put in place: /etc/security/pam_k6.conf",
                 "The group | k6users",
                 "The tokens file | checked before it is put in place: /etc/security/pam_k6.tokens",
                 "The drop-in | checked with sshd -T before it is put in place: " + DROP_IN,
                 "Pam.d | the auth block, checked before it is put in place: sshd",
                 "The stacks | pam_k6ctl check --service {{ item }}"]
        self.assertEqual([step for step in steps if step in order], order, result.output)
        self.assertIn("sshd is not running here: nothing to reload", result.output)
        # The checks leave nothing in /run: not their folder, nor /run/sshd.
        self.assertEqual([name for name in Rollout.left_in_run
                          if name == "sshd" or name.startswith("pam_k6-ansible.")], [])
        for service in self.SERVICES:
            self.assertIn("PASS: a token login for %s through /etc/pam.d/%s: passed with the"
                          " token, K6_CLOUD_STACK_ID=12345" % (self.user, service), result.output)
        print("\n  first run: %.1f s, changed=%d" % (result.seconds, result.changed()))

    def test_token_logs_in_through_the_installed_stacks(self):
        for service in self.SERVICES:
            proc, logs = self.pamtester(service, self.GOOD)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
            self.assertTrue(any(re.search(r"pam_k6\(%s:auth\): auth success: user=%s "
                                          % (re.escape(service), self.user), line)
                                for line in logs), logs)
            proc, logs = self.pamtester(service, "k6bad00000000000000000000000000")
            self.assertNotEqual(proc.returncode, 0)
        # Not in k6users: no token prompt, the password decides.
        proc, logs = self.pamtester("sshd", self.GOOD, user="root")
        self.assertNotEqual(proc.returncode, 0)
        self.assertFalse(any("pam_k6(" in line for line in logs), logs)

    def test_check_service_accepts_the_stacks(self):
        for service in self.SERVICES:
            proc = subprocess.run(["pam_k6ctl", "check", "--service", service],
                                  capture_output=True, text=True)
            self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)

    def test_pam_d_files_are_the_host_s_with_the_recipe_blocks(self):
        for name, before in self.pam_before.items():
            now = pam_file(name)
            if name not in self.SERVICES:
                self.assertEqual(now, before, "/etc/pam.d/%s changed" % name)
                continue
            self.assertEqual(without_blocks(now), before, "/etc/pam.d/%s" % name)
            for kind in (b"auth", b"session"):
                self.assertIn(recipe_block(name, kind), now)
        with open(DROP_IN) as f, open(os.path.join(EXAMPLES, "sshd_config.d",
                                                   "00-pam_k6.conf")) as g:
            self.assertEqual(f.read(), g.read())

    def test_second_run_changes_nothing(self):
        result = self.playbook()
        self.assert_ran(result)
        self.assertEqual(result.changed(), 0, result.output)
        print("\n  second run: %.1f s, changed=%d" % (result.seconds, result.changed()))

    def test_check_diff_shows_a_change_and_makes_none(self):
        before = self.machine.changes()
        role_vars = self.role_vars()
        role_vars["pam_k6_conf"] = dict(role_vars["pam_k6_conf"], debug=True)
        role_vars["pam_k6_services"] = ["sshd"]
        result = self.playbook(role_vars, options=["--check", "--diff"])
        self.assert_ran(result)
        self.assertGreater(result.changed(), 0)
        self.assertRegex(result.output, r"(?m)^\+debug$")
        self.assertRegex(result.output, r"(?m)^-# BEGIN pam_k6 auth$")
        self.assertEqual(self.machine.changes(), before)

    def test_bad_key_fails_the_host_keeps_its_file_and_stops_the_rollout(self):
        with open("/etc/security/pam_k6.conf", "rb") as f:
            conf = f.read()
        before = self.machine.changes()
        role_vars = self.role_vars()
        bad = dict(role_vars["pam_k6_conf"], no_such_key="1")
        result = self.playbook(role_vars, hosts=("testhost", "second"),
                               host_vars={"testhost": {"pam_k6_conf": bad}})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("unknown option 'no_such_key'", result.output)
        self.assertEqual(result.recap["testhost"]["failed"], 1)
        self.assertNotIn("second", result.recap, "the rollout went on to the next batch")
        with open("/etc/security/pam_k6.conf", "rb") as f:
            self.assertEqual(f.read(), conf)
        self.assertEqual(self.machine.changes(), before)

    def test_an_unreachable_host_stops_the_rollout(self):
        before = self.machine.changes()
        down = {"ansible_connection": "ssh", "ansible_host": "127.0.0.1",
                "ansible_port": free_port(), "ansible_user": "nobody"}
        result = self.playbook(hosts=("down", "testhost"), host_vars={"down": down})
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(result.recap["down"]["unreachable"], 1, result.output)
        self.assertEqual(result.recap["testhost"]["changed"], 0, result.output)
        self.assertIn("nothing was changed on testhost: the rollout stops because down failed"
                      " or could not be reached", re.sub(r"\s+", " ", result.output))
        self.assertEqual(self.machine.changes(), before)

    def test_a_lost_reload_is_made_up_by_the_next_run(self):
        server = SshServer(self)
        # sshd started before the drop-in changed, and the run that changed
        # it stopped before its handler (another host failed).
        earlier = os.stat(DROP_IN).st_mtime - 60
        os.utime("/run/sshd.pid", (earlier, earlier))
        result = self.playbook()
        self.assert_ran(result)
        server.assert_reloaded_and_a_token_logs_in(result)

    def validate(self, *args):
        """The role's check, as its tasks run it: from a folder of the run."""
        folder = tempfile.mkdtemp(dir="/run", prefix="pam_k6-ansible.")
        try:
            helper = os.path.join(folder, "pam_k6-validate")
            shutil.copy(os.path.join(ANSIBLE, "roles/pam_k6/files/pam_k6-validate"), helper)
            return subprocess.run([helper, "pam_k6ctl"] + list(args), capture_output=True,
                                  text=True, timeout=WAIT)
        finally:
            shutil.rmtree(folder)

    def test_the_check_refuses_a_pam_d_file_that_opens(self):
        path = os.path.join(self.machine.tmp, "sudo.new")
        with open("/etc/pam.d/sudo") as f:
            text = f.read()
        self.assertEqual(self.validate("pamd", write_and_return(path, text), "sudo").returncode, 0)
        slip = text.replace("[success=2 auth_err=bad default=5]  pam_k6.so",
                            "[success=2 default=2]  pam_k6.so")
        self.assertNotEqual(slip, text)
        proc = self.validate("pamd", write_and_return(path, slip), "sudo")
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
        self.assertIn("PAM_SUCCESS with no secret checked", proc.stderr)

    def test_the_check_refuses_a_drop_in_that_loses(self):
        path = os.path.join(self.machine.tmp, "drop-in.new")
        with open(os.path.join(EXAMPLES, "sshd_config.d", "00-pam_k6.conf")) as f:
            write(path, f.read())
        argv = ("sshd", path, DROP_IN, "/etc/ssh/sshd_config", shutil.which("sshd", path=SBIN_PATH))
        proc = self.validate(*argv)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        earlier = "/etc/ssh/sshd_config.d/00-aaa.conf"
        write(earlier, "PasswordAuthentication yes\n")
        try:
            proc = self.validate(*argv)
        finally:
            os.unlink(earlier)
        self.assertEqual(proc.returncode, 2, proc.stdout + proc.stderr)
        self.assertIn("sshd would use 'passwordauthentication yes',"
                      " not 'passwordauthentication no'", proc.stderr)


class SshServer:
    """The machine's own sshd (/etc/ssh/sshd_config, so the role's drop-in
    with it) on a free loopback port, with the PID file the role signals."""

    def __init__(self, case):
        self.case = case
        folder = tempfile.mkdtemp(dir=case.machine.tmp, prefix="sshd.")
        os.chmod(folder, 0o755)
        self.folder = folder
        self.port = free_port()
        key = os.path.join(folder, "host_key")
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
        os.makedirs("/run/sshd", 0o755, exist_ok=True)
        mark = case.machine.syslog.mark()
        self.stderr = open(os.path.join(folder, "stderr"), "w+")
        self.proc = subprocess.Popen(
            [shutil.which("sshd", path=SBIN_PATH), "-D", "-f", "/etc/ssh/sshd_config",
             "-h", key, "-o", "ListenAddress=127.0.0.1:%d" % self.port,
             "-o", "PidFile=/run/sshd.pid", "-o", "PubkeyAuthentication=no"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.stderr,
            env={"PATH": SBIN_PATH})
        type(case).daemons = getattr(case, "daemons", []) + [self]
        if case.machine.syslog.wait_for(r"^sshd\[%d\]: Server listening on 127\.0\.0\.1 port %d\.$"
                                        % (self.proc.pid, self.port), mark) is None:
            self.stderr.seek(0)
            said = self.stderr.read()
            self.stop()
            raise RuntimeError("sshd did not start: %s" % said)
        # sshd writes its PID file once it listens.
        deadline = time.monotonic() + WAIT
        while not os.path.exists("/run/sshd.pid"):
            if time.monotonic() > deadline:
                raise RuntimeError("sshd wrote no /run/sshd.pid")
            time.sleep(0.05)
        with open(key + ".pub") as f:
            write(os.path.join(folder, "known_hosts"), "[127.0.0.1]:%d %s\n"
                  % (self.port, " ".join(f.read().split()[:2])))
        write(os.path.join(folder, "ssh_config"), test_system.SSH_CONFIG % {
            "known_hosts": os.path.join(folder, "known_hosts"),
            "extra": "PreferredAuthentications keyboard-interactive\n  PubkeyAuthentication no"})
        write(os.path.join(folder, "askpass"), test_system.ASKPASS, 0o755)
        os.mkdir(os.path.join(folder, "client-home"), 0o700)

    def wait_for_reload(self, mark):
        """sshd said it was reloading since mark, and listens again."""
        syslog = self.case.machine.syslog
        hup = r"^sshd\[%d\]: Received SIGHUP; restarting\.$" % self.proc.pid
        if syslog.wait_for(hup, mark) is None:
            raise AssertionError("sshd was not reloaded: %s" % syslog.since(mark)[-20:])
        after = mark + next(n for n, line in enumerate(syslog.since(mark)) if re.search(hup, line))
        if syslog.wait_for(r"^sshd\[%d\]: Server listening on 127\.0\.0\.1 port %d\.$"
                           % (self.proc.pid, self.port), after) is None:
            raise AssertionError("sshd did not listen again: %s" % syslog.since(mark)[-20:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(WAIT)
        self.stderr.close()

    def assert_reloaded_and_a_token_logs_in(self, result):
        """The run reloaded this sshd, and a token then logs in through it."""
        self.case.assertIn("reloaded: SIGHUP to sshd %d" % self.proc.pid, result.output)
        self.wait_for_reload(result.mark)
        login = self.login(self.case.GOOD)
        self.case.assertEqual(login.returncode, 0, login.stderr)
        self.case.assertIn("K6_CLOUD_STACK_ID=12345", login.stdout)

    def login(self, token):
        prompts = os.path.join(self.folder, "prompts")
        write(prompts, "")
        env = {"PATH": SBIN_PATH, "HOME": os.path.join(self.folder, "client-home"),
               "SSH_ASKPASS": os.path.join(self.folder, "askpass"),
               "SSH_ASKPASS_REQUIRE": "force", "K6_ASKPASS_TOKEN": token,
               "K6_ASKPASS_PASSWORD": "", "K6_ASKPASS_PROMPTS": prompts}
        return subprocess.run(
            ["ssh", "-F", os.path.join(self.folder, "ssh_config"), "-p", str(self.port),
             "-l", self.case.user, "127.0.0.1", "env"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
            timeout=3 * WAIT, start_new_session=True)


class Rollback(RoleTestCase):
    """On a running host: sshd runs (without systemd, from its PID file).
    present reloads it, and a token logs in through it; absent gives every
    pam.d file back byte for byte, removes the drop-in and reloads sshd,
    removes the package; the settings, the tokens file and the group stay
    until pam_k6_purge."""

    def test_check_then_present_then_absent_with_sshd_running(self):
        server = SshServer(self)
        # --check on a host that has never seen pam_k6: what would change.
        before = self.machine.changes()
        result = self.playbook(options=["--check", "--diff"])
        self.assert_ran(result)
        self.assertRegex(result.output, r"(?m)^\+# BEGIN pam_k6 auth$")
        self.assertIn("+stack_url = alpha", result.output)
        self.assertEqual(self.machine.changes(), before)

        result = self.playbook()
        self.assert_ran(result)
        server.assert_reloaded_and_a_token_logs_in(result)
        self.assertNotEqual(pam_file("sudo"), self.pam_before["sudo"])

        result = self.playbook(self.role_vars(pam_k6_state="absent"))
        self.assert_ran(result)
        now = {name: pam_file(name) for name in os.listdir("/etc/pam.d")}
        self.assertEqual(sorted(now), sorted(self.pam_before))
        for name, before in self.pam_before.items():
            self.assertEqual(now[name], before, "/etc/pam.d/%s is not as it was" % name)
        self.assertFalse(os.path.exists(DROP_IN))
        self.assertIn("reloaded: SIGHUP to sshd %d" % server.proc.pid, result.output)
        server.wait_for_reload(result.mark)
        # Removed, not purged: dpkg keeps its postrm for the purge.
        self.assertEqual(package_status(), "deinstall ok config-files")
        self.assertNotIn("WARNING", result.output)
        # Kept: nothing reads them now, and a new rollout finds them.
        self.assertTrue(os.path.exists("/etc/security/pam_k6.conf"))
        self.assertTrue(os.path.exists("/etc/security/pam_k6.tokens"))
        self.assertIn(self.user, subprocess.run(["getent", "group", "k6users"],
                                                capture_output=True, text=True).stdout)

        # With pam_k6_purge the rest goes, and nothing else changes: the
        # package is purged (its postrm takes the cache and the tally),
        # the two files and the group are removed.
        left = ("/var/cache/pam_k6", "/run/pam_k6-faillock")
        for folder in left:
            os.makedirs(folder, 0o700, exist_ok=True)
        result = self.playbook(self.role_vars(pam_k6_state="absent", pam_k6_purge=True))
        self.assert_ran(result)
        self.assertEqual(result.changed(), 3, result.output)
        self.assertEqual(package_status(), None)
        for folder in left:
            self.assertFalse(os.path.exists(folder), folder)
        self.assertFalse(os.path.exists("/etc/security/pam_k6.conf"))
        self.assertFalse(os.path.exists("/etc/security/pam_k6.tokens"))
        self.assertNotEqual(subprocess.run(["getent", "group", "k6users"]).returncode, 0)


class ImageBuild(RoleTestCase):
    """An image being built from a slim base, as Packer's Ansible
    provisioner does it: Ansible connects as an account that is not root
    and becomes root with sudo and its password; dpkg leaves /usr/share/doc
    out (so the recipes come from the controller's repository); nothing
    runs sshd, and there is neither /run/sshd nor a host key for its check.
    The checks run where pam_k6ctl trusts the files, not in that account's
    home, where Ansible keeps its temporary copies.  And when that account
    is in k6users, the role refuses before it changes anything."""

    SERVICES = ("sshd", "sudo")

    @classmethod
    def setUpMachine(cls):
        super().setUpMachine()
        write("/etc/dpkg/dpkg.cfg.d/pam_k6-test-excludes",
              "path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n")
        for key in glob.glob("/etc/ssh/ssh_host_*"):
            os.unlink(key)
        cls.deployer = unused_name("k6test_deploy_")
        cls.deployer_password = secrets.token_hex(12)
        cls.secrets |= {cls.deployer_password}
        home = cls.machine.add_account(cls.deployer, cls.deployer_password)
        os.chmod(home, 0o700)
        write("/etc/sudoers.d/" + cls.deployer, "%s ALL=(ALL:ALL) ALL\n" % cls.deployer, 0o440)
        # The package, where that account can read it.
        cls.deb = os.path.join(home, os.path.basename(DEB or PACKAGE))
        shutil.copy(DEB or PACKAGE, cls.deb)
        os.chown(cls.deb, pwd.getpwnam(cls.deployer).pw_uid, -1)

    def deploy(self, role_vars):
        return self.playbook(role_vars, as_user=self.deployer,
                             become_password=self.deployer_password)

    def test_lockout_is_refused_before_anything_changes(self):
        before = self.machine.changes()
        role_vars = self.role_vars(pam_k6_members=[self.user, self.deployer])
        result = self.deploy(role_vars)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("nothing was changed on testhost. Ansible connects as %s, which is (or"
                      " would be made) a member of k6users, and becomes root with sudo and a"
                      " password" % self.deployer, re.sub(r"\s+", " ", result.output))
        self.assertIn("NOPASSWD", result.output)
        self.assertEqual(self.machine.changes(), before)

    def test_rollout_in_an_image_as_a_user_that_becomes_root(self):
        result = self.deploy(self.role_vars(pam_k6_canary={"user": self.user,
                                                           "token": self.GOOD}))
        self.assert_ran(result)
        self.assertFalse(os.path.exists("/usr/share/doc/libpam-k6/examples/pam.d/sshd"))
        self.assertIn("the recipes are read from", result.output)
        self.assertIn("sshd is not running here: nothing to reload", result.output)
        self.assertFalse(os.path.exists("/run/sshd"), "the check left /run/sshd behind")
        for service in self.SERVICES:
            self.assertIn("PASS: a token login for %s through /etc/pam.d/%s" % (self.user, service),
                          result.output)
            self.assertEqual(without_blocks(pam_file(service)), self.pam_before[service])
        # Ansible's temporary copies were in that account's home.
        home = pwd.getpwnam(self.deployer).pw_dir
        self.assertTrue(os.path.isdir(os.path.join(home, ".ansible", "tmp")))
        # Once the sudo block was in, each later become went through it with
        # the password, which pam_k6 never saw: the account is not in k6users.
        self.machine.syslog.flush()
        logs = self.machine.syslog.since(result.mark)
        become = [n for n, line in enumerate(logs)
                  if re.search(r"^sudo: +%s : .*COMMAND=/bin/sh -c '?echo BECOME-SUCCESS"
                               % self.deployer, line)]
        canary = [n for n, line in enumerate(logs) if "pam_k6(sudo:auth): auth success" in line]
        self.assertTrue(canary and become and become[-1] > canary[0], logs[-30:])
        # Its sessions say so: another module let it in, pam_k6 never asked.
        self.assertFalse([line for line in logs if "pam_k6(" in line and self.deployer in line
                          and not line.endswith(" by=other k6=not-asked")])
        self.assertTrue([line for line in logs if "pam_k6(sudo:session)" in line
                         and "ruser=%s " % self.deployer in line])
        proc, logs = self.pamtester("sudo", self.GOOD)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)


class Lint(unittest.TestCase):
    def test_ansible_lint_finds_nothing(self):
        home = tempfile.mkdtemp(prefix="pam_k6-lint.")
        try:
            proc = subprocess.run(["ansible-lint", "--offline", "--nocolor"], cwd=ANSIBLE,
                                  capture_output=True, text=True, timeout=RUN_TIMEOUT,
                                  env={"PATH": os.environ["PATH"], "HOME": home,
                                       "LANG": "C.UTF-8", "NO_COLOR": "1"})
        finally:
            shutil.rmtree(home, ignore_errors=True)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("0 failure(s), 0 warning(s)", proc.stdout + proc.stderr)


PACKAGE = None
PACKAGE_DIR = None


def setUpModule():
    global PACKAGE, PACKAGE_DIR
    if not DEB:
        PACKAGE_DIR = tempfile.mkdtemp(prefix="pam_k6-deb.")
        PACKAGE = build_test_deb(PACKAGE_DIR)


def tearDownModule():
    if PACKAGE_DIR:
        shutil.rmtree(PACKAGE_DIR, ignore_errors=True)
    if TIMES:
        print("\nansible-playbook runs (seconds, changed= of the first host):")
        for name, options, seconds, changed in TIMES:
            print("  %6.1f  changed=%s  %s %s" % (seconds, changed, name, options))


if __name__ == "__main__":
    skip_unless_ready()
    enter_private_namespace()
    k6test.run_tests()
