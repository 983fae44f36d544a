#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pam_k6 where it lives: a real sshd and a real sudo load the built module.

System tests.  They need root and the programs in NEEDED, and skip (77)
without them.  They change nothing on the machine: the test runs itself again
in a private mount namespace (unshare -m), where these are mounted over the
machine's own, for this process and its children only:

  /etc/passwd, /etc/group, /etc/shadow   copies with one more account,
                           the test user, with a Unix password of its own
  /etc/pam.d/sshd, /etc/pam.d/sudo, /etc/sudoers   the tests' own
  /run                     an empty tmpfs (sshd's privilege separation
                           directory, sudo's timestamps)
  /dev                     a tmpfs with the usual device nodes bound into it,
                           and /dev/log: the test's own syslog socket

So sshd and sudo run as installed: no preload, real libpam reading
/etc/pam.d, and syslog lines as an administrator reads them.  pam_wrapper
and nss_wrapper would not do here: sudo is setuid and ignores preloads, and
sshd starts the user's session without the preload (it builds the session's
environment itself), so a user that only nss_wrapper knows would not exist
there.  The test account is real, but only inside the namespace.

The service files are the pam_k6 lines of examples/pam.d/, pointed at the
built module and at the stand-in API on loopback, followed by Debian's own
common-auth lines.  sshd listens on a free loopback port with its own host
key and configuration.  Package builds leave these tests out
(make check SYSTEM_TESTS=); see tests/Makefile.inc.
"""

import grp
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import k6test
from k6test import MODULE, PamTestCase
from stand_in import StandIn

NEEDED = ("sshd", "ssh", "ssh-keygen", "sshpass", "sudo", "unshare", "mount", "umount")
SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
NS_MARK = "K6_TEST_SYSTEM_NS"


def taken(name):
    """Whether an account or a group of this machine has the name."""
    for lookup in (pwd.getpwnam, grp.getgrnam):
        try:
            lookup(name)
            return True
        except KeyError:
            pass
    return False


def unused_name(prefix):
    """PREFIX and random hex: a name useradd takes ([a-z][a-z0-9_]*, at most
    32 characters) and no account or group of this machine has, chosen per
    run so that the tests meet no real account."""
    name = prefix + secrets.token_hex(6)
    while taken(name):
        name = prefix + secrets.token_hex(6)
    return name


# The test account, and a name sshd must find no account for.
USER = unused_name("k6test_user_")
NOBODY = unused_name("k6test_none_")
BAD = "k6bad00000000000000000000000000"
PROMPT = "k6 API token: "
UNAVAILABLE_TEXT = "The k6 API could not be reached; please try again later."
EXAMPLES = os.path.join(k6test.SRCDIR, "examples", "pam.d")
WAIT = 10  # seconds any one step may take; everything here is loopback

# The device nodes a login and sudo use; everything else in /dev stays hidden.
DEV_NODES = ("null", "zero", "full", "random", "urandom", "tty")
DEV_LINKS = {"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
             "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
             "ptmx": "pts/ptmx"}


def skip_unless_ready():
    if os.geteuid() != 0:
        sys.stderr.write("SKIP: the system tests start sshd and run sudo: run make check as root\n")
        sys.exit(k6test.SKIP)
    # sshd and friends live in sbin, which a user's PATH may leave out.
    os.environ["PATH"] = os.environ.get("PATH", "") + ":" + SBIN_PATH
    missing = [tool for tool in NEEDED + ("openssl",) if not shutil.which(tool)]
    if missing:
        sys.stderr.write("SKIP: missing %s (apt-get install openssh-server openssh-client"
                         " sshpass sudo openssl)\n" % ", ".join(missing))
        sys.exit(k6test.SKIP)
    if k6test.SANITIZED:
        sys.stderr.write("SKIP: a sanitizer build's module cannot load into sshd and sudo,"
                         " which are not built with the sanitizer runtime\n")
        sys.exit(k6test.SKIP)
    if not os.path.exists(MODULE):
        sys.stderr.write("SKIP: %s not built; run through make check\n" % MODULE)
        sys.exit(k6test.SKIP)


def mount_namespace():
    return os.readlink("/proc/self/ns/mnt")


def enter_private_namespace():
    """Run this file again in a mount namespace of its own.  The machine's
    namespace is named in the environment, so that the second run can check
    it is not in it before it mounts anything."""
    if os.environ.get(NS_MARK):
        if os.environ[NS_MARK] == mount_namespace():
            sys.exit("refusing to mount over /etc outside a private mount namespace")
        return
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        sys.exit("cannot create a mount namespace (unshare --mount: %s); the system tests"
                 " need one. Leave them out with: make check SYSTEM_TESTS="
                 % probe.stderr.strip())
    os.environ[NS_MARK] = mount_namespace()
    argv = ["unshare", "--mount", "--propagation", "private", "--",
            sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
    os.execvp(argv[0], argv)


def run(*argv):
    subprocess.run(list(argv), check=True, capture_output=True)


def write(path, text, mode=0o644):
    # In place: a bind mount follows the inode, so the file is never replaced.
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def free_id(taken):
    for n in range(2000, 60000):
        if n not in taken:
            return n
    raise RuntimeError("no free id")


class Syslog:
    """The test's /dev/log: keeps every line, as a syslog daemon would."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.path = path
        os.chmod(path, 0o666)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            # "<PRI>Mmm dd hh:mm:ss ident[pid]: message": keep ident on.
            text = re.sub(r"^<\d+>\w{3} [ \d]\d \d\d:\d\d:\d\d ", "",
                          data.decode("utf-8", "replace").rstrip("\n\0"))
            with self.cond:
                self.lines.append(text)
                self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.lines)

    def flush(self):
        """Wait until every line already sent has been read: datagrams on a
        local socket arrive in order, so a line of our own comes last."""
        marker = "pam_k6-test-flush-%s" % secrets.token_hex(8)
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(marker.encode(), self.path)
        with self.cond:
            if not self.cond.wait_for(lambda: marker in self.lines, WAIT):
                raise RuntimeError("the test's syslog socket stopped reading")
            self.lines.remove(marker)

    def since(self, mark):
        with self.cond:
            return self.lines[mark:]

    def wait_for(self, pattern, mark=0, timeout=WAIT):
        """The first line since mark that matches, waiting for it to arrive."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines[mark:]:
                    if re.search(pattern, line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def close(self):
        self.sock.close()


class World:
    """The private namespace's accounts, files and mounts."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="pam_k6-system.")
        # The machine's /dev is mounted here for a moment: a folder of its own,
        # never below one that gets removed with everything in it.
        self.saved_dev = tempfile.mkdtemp(prefix="pam_k6-system-dev.")
        self.mounts = []
        self.syslog = None
        try:
            self.build()
        except BaseException:
            self.close()
            raise

    def build(self):
        # The test user must reach its home below this folder.
        os.chmod(self.tmp, 0o711)
        with open("/etc/passwd") as f:
            passwd = f.read()
        with open("/etc/group") as f:
            group = f.read()
        for name in (USER, NOBODY):
            if re.search(r"^%s:" % name, passwd + group, re.M):
                raise RuntimeError("an account named %s exists on this machine" % name)
        self.uid = free_id({int(line.split(":")[2]) for line in passwd.splitlines()
                            if line.count(":") >= 6})
        self.gid = free_id({int(line.split(":")[2]) for line in group.splitlines()
                            if line.count(":") >= 3})
        self.home = self.path("home")
        os.mkdir(self.home, 0o700)
        os.chown(self.home, self.uid, self.gid)
        write(self.path("passwd"), passwd.rstrip("\n") + "\n%s:x:%d:%d:pam_k6 test:%s:/bin/sh\n"
              % (USER, self.uid, self.gid, self.home))
        write(self.path("group"), group.rstrip("\n") + "\n%s:x:%d:\n" % (USER, self.gid))
        # A Unix password too, for the password stack the examples fall back to.
        self.password = secrets.token_hex(12)
        hashed = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=self.password,
                                capture_output=True, text=True, check=True).stdout.strip()
        with open("/etc/shadow") as f:
            shadow = f.read()
        write(self.path("shadow"), shadow.rstrip("\n") + "\n%s:%s:19000:0:99999:7:::\n"
              % (USER, hashed), 0o640)
        for name in ("pam-sshd", "pam-sudo", "sudoers"):
            write(self.path(name), "", 0o440 if name == "sudoers" else 0o644)

        self.mount("tmpfs", "/run", "-t", "tmpfs", "-o", "mode=755")
        os.mkdir("/run/sshd", 0o755)
        self.private_dev()
        for source, target in (("passwd", "/etc/passwd"), ("group", "/etc/group"),
                               ("shadow", "/etc/shadow"),
                               ("pam-sshd", "/etc/pam.d/sshd"), ("pam-sudo", "/etc/pam.d/sudo"),
                               ("sudoers", "/etc/sudoers")):
            self.mount(self.path(source), target, "--bind")
        self.syslog = Syslog("/dev/log")

    def path(self, name):
        return os.path.join(self.tmp, name)

    def mount(self, source, target, *options):
        run("mount", *options, source, target)
        self.mounts.append(target)

    def private_dev(self):
        """A /dev of our own, so that /dev/log can be the test's socket."""
        saved = self.saved_dev
        self.mount("/dev", saved, "--rbind")
        self.mount("tmpfs", "/dev", "-t", "tmpfs", "-o", "mode=755,nosuid")
        for name in DEV_NODES:
            open(os.path.join("/dev", name), "w").close()
            self.mount(os.path.join(saved, name), os.path.join("/dev", name), "--bind")
        for name in ("pts", "shm"):
            os.mkdir(os.path.join("/dev", name))
            self.mount(os.path.join(saved, name), os.path.join("/dev", name), "--rbind")
        for name, target in DEV_LINKS.items():
            os.symlink(target, os.path.join("/dev", name))
        # The bound nodes keep their place in the new /dev without it.
        run("umount", "--lazy", saved)
        self.mounts.remove(saved)

    def close(self):
        if self.syslog is not None:
            self.syslog.close()
        for target in reversed(self.mounts):
            subprocess.run(["umount", "--lazy", target], capture_output=True)
        # rmdir, not rmtree: it refuses to go into anything still mounted.
        try:
            os.rmdir(self.saved_dev)
        except OSError:
            pass
        shutil.rmtree(self.tmp, ignore_errors=True)


WORLD = None


def setUpModule():
    global WORLD
    WORLD = World()


def tearDownModule():
    WORLD.close()


def example_lines(service, module_args, group=None):
    """The pam_k6 line of examples/pam.d/SERVICE, pointed at the built module
    and the stand-in, so that the tests run the very control flags the docs
    give; with group, the example's commented pam_succeed_if line before it."""
    with open(os.path.join(EXAMPLES, service)) as f:
        text = f.read()
    k6 = re.findall(r"^auth\s.*\bpam_k6\.so\b.*$", text, re.M)
    only = re.findall(r"^#(auth\s.*\bpam_succeed_if\.so .*ingroup )(\S+)$", text, re.M)
    if len(k6) != 1 or len(only) != 1:
        raise AssertionError("examples/pam.d/%s: want one pam_k6 line and one commented"
                             " pam_succeed_if line" % service)
    line = re.sub(r"\bpam_k6\.so\b", MODULE, k6[0])
    lines = [re.sub(r"\bstack_url=\S+", " ".join(module_args), line)]
    if group is not None:
        lines.insert(0, only[0][0] + group)
    return lines


# Where the examples say "@include common-auth" and the like: Debian's own
# common-* lines, written out so that no local change on this machine counts.
# nodelay is the one change, to spare the tests pam_unix's 2-second delay.
PASSWORD_STACK = """\
auth     [success=1 default=ignore]  pam_unix.so nullok nodelay
auth     requisite  pam_deny.so
auth     required   pam_permit.so
account  required   pam_unix.so
session  required   pam_unix.so
password required   pam_deny.so
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SystemTestCase(PamTestCase):
    """The stand-in and its CA (from PamTestCase), the module arguments that
    point at them, and the service file the test writes."""

    SERVICE = None  # sshd or sudo

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.set_service()

    def tearDown(self):
        self.set_service()

    @classmethod
    def module_args(cls, extra=()):
        # Beside the stack, api_url and ca_file point at the stand-in, and
        # nodelay and short timeouts keep the tests quick.
        return ["stack_url=alpha", "api_url=" + cls.api.url, "ca_file=" + cls.ca,
                "nodelay", "timeout=5", "connect_timeout=2"] + list(extra)

    @classmethod
    def set_service(cls, args=None, group=None):
        """/etc/pam.d/SERVICE in the namespace: the example's pam_k6 line,
        then the password stack."""
        write(WORLD.path("pam-" + cls.SERVICE),
              "\n".join(example_lines(cls.SERVICE, args or cls.module_args(), group))
              + "\n" + PASSWORD_STACK)

    def api_down_args(self):
        args = self.module_args()
        args[1] = "api_url=https://127.0.0.1:%d" % free_port()
        return args

    def assert_no_secret_in_log(self, lines):
        text = "\n".join(lines)
        for secret in self.secrets | {BAD, WORLD.password}:
            for piece in k6test.token_pieces(secret):
                self.assertNotIn(piece, text, "a piece of a secret reached the log")

    def outcome(self, logs, label, *fragments):
        """The one pam_k6 outcome line, with the verdict and every fragment."""
        lines = [line for line in logs if re.search(r"pam_k6\(\w+:auth\): auth ", line)]
        self.assertEqual(len(lines), 1, "want one pam_k6 outcome line:\n%s" % "\n".join(logs))
        self.assertRegex(lines[0], r"^%s(\[\d+\])?: pam_k6\(%s:auth\): auth %s: "
                         % (self.SERVICE, self.SERVICE, label))
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        return lines[0]

    def show(self, title, prompts=(), logs=(), client=""):
        """Print what the user saw and the administrator can read."""
        print("\n  %s:" % title)
        for prompt in prompts:
            print("    prompt | " + prompt.replace("\n", "\n    prompt | "))
        for line in client.strip().splitlines():
            print("    client | " + line)
        for line in logs:
            print("    syslog | " + line)


class Login:
    """What one ssh login showed."""

    def __init__(self, proc, prompts, logs):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.prompts = prompts
        self.logs = logs
        self.env = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)

    def k6_env(self):
        return {k: v for k, v in self.env.items() if k.startswith("K6_")}


class Sshd(SystemTestCase):
    """A real sshd on loopback; a real ssh client answers the prompts."""

    SERVICE = "sshd"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = os.path.join(WORLD.tmp, "sshd")
        os.mkdir(cls.dir)
        host_key = os.path.join(cls.dir, "host_key")
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pam_k6 test", "-f", host_key)
        cls.port = free_port()
        write(os.path.join(cls.dir, "sshd_config"), SSHD_CONFIG % {
            "port": cls.port, "host_key": host_key, "pid_file": os.path.join(cls.dir, "pid")})
        with open(host_key + ".pub") as f:
            key = " ".join(f.read().split()[:2])
        write(os.path.join(cls.dir, "known_hosts"), "[127.0.0.1]:%d %s\n" % (cls.port, key))
        write(os.path.join(cls.dir, "ssh_config"), SSH_CONFIG % {
            "known_hosts": os.path.join(cls.dir, "known_hosts")})
        write(os.path.join(cls.dir, "askpass"), ASKPASS, 0o755)
        os.mkdir(os.path.join(cls.dir, "client-home"), 0o700)
        mark = WORLD.syslog.mark()
        cls.sshd = subprocess.Popen(
            [shutil.which("sshd", path=SBIN_PATH), "-D", "-f",
             os.path.join(cls.dir, "sshd_config")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env={"PATH": SBIN_PATH})
        if WORLD.syslog.wait_for(r"^sshd\[%d\]: Server listening on 127\.0\.0\.1 port %d\.$"
                                 % (cls.sshd.pid, cls.port), mark) is None:
            cls.sshd.kill()
            raise RuntimeError("sshd did not start: %s\n%s" % (
                cls.sshd.communicate()[1].decode(errors="replace"),
                "\n".join(WORLD.syslog.since(mark))))

    @classmethod
    def tearDownClass(cls):
        if cls.sshd.poll() is None:
            cls.sshd.terminate()
            cls.sshd.wait(WAIT)
        super().tearDownClass()

    def tearDown(self):
        super().tearDown()
        if self.sshd.poll() is not None:
            self.fail("sshd ended: %s" % self.sshd.stderr.read().decode(errors="replace"))

    def ssh(self, token, user=USER, password="", command="env"):
        """Log in with ssh.  The askpass helper answers the token prompt with
        token and a password prompt with password, and notes every prompt."""
        prompts = os.path.join(self.dir, "prompts")
        write(prompts, "")
        env = {"PATH": SBIN_PATH, "HOME": os.path.join(self.dir, "client-home"),
               "SSH_ASKPASS": os.path.join(self.dir, "askpass"), "SSH_ASKPASS_REQUIRE": "force",
               "K6_ASKPASS_TOKEN": token, "K6_ASKPASS_PASSWORD": password,
               "K6_ASKPASS_PROMPTS": prompts}
        mark = WORLD.syslog.mark()
        proc = subprocess.run(
            ["ssh", "-F", os.path.join(self.dir, "ssh_config"), "-p", str(self.port),
             "-l", user, "127.0.0.1", command],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
            timeout=3 * WAIT, start_new_session=True)
        # sshd logs the verdict before it answers the client.
        WORLD.syslog.flush()
        with open(prompts) as f:
            asked = f.read().split("\x1e")[:-1]
        login = Login(proc, asked, WORLD.syslog.since(mark))
        self.assert_no_secret_in_log(login.logs)
        return login

    def prompt(self, text, user=USER):
        # ssh shows keyboard-interactive prompts after "(user@host) ".
        return "(%s@127.0.0.1) %s" % (user, text)

    def assert_session(self, login):
        self.assertEqual(login.returncode, 0, login.stderr + "\n".join(login.logs))
        self.assertEqual(login.env.get("USER"), USER)
        self.assertEqual(login.env.get("HOME"), WORLD.home)
        self.assertTrue(any(re.search(r"^sshd\[\d+\]: Accepted keyboard-interactive/pam for %s "
                                      r"from 127\.0\.0\.1 " % USER, line)
                            for line in login.logs), login.logs)

    def assert_no_session(self, login):
        self.assertEqual(login.returncode, 255, login.stdout + login.stderr)
        self.assertEqual(login.env, {}, "a command ran")
        self.assertIn("Permission denied (keyboard-interactive).", login.stderr)
        self.assertFalse([line for line in login.logs if "Accepted " in line], login.logs)

    def test_good_token_opens_a_session_with_the_k6_environment(self):
        login = self.ssh(self.GOOD)
        self.assert_session(login)
        self.assertEqual(login.k6_env(), {
            "K6_CLOUD_STACK_ID": "12345",
            "K6_CLOUD_PROJECT_ID": "67890",
            "K6_CLOUD_STACK_URL": "https://alpha.grafana.net",
            "K6_CLOUD_HOST_V6": self.api.url,
        })
        self.assertEqual(login.prompts, [self.prompt(PROMPT)])
        (req,) = self.api.take_requests()
        self.assertEqual(dict(req["headers"])["Authorization"], "Bearer " + self.GOOD)
        self.outcome(login.logs, "success", "user=%s" % USER, "rhost=127.0.0.1", "tty=ssh",
                     "stack=https://alpha.grafana.net", "stack_id=12345", "project_id=67890")
        self.show("sshd, a good token", login.prompts, login.logs)

    def test_export_token_reaches_the_shell(self):
        self.set_service(self.module_args(["export_token"]))
        login = self.ssh(self.GOOD)
        self.assert_session(login)
        self.assertEqual(login.env.get("K6_CLOUD_TOKEN"), self.GOOD)
        self.assertEqual(login.env.get("K6_CLOUD_STACK_ID"), "12345")

    def test_bad_token_gets_no_session(self):
        # default=die: a refused token ends the attempt; no password prompt.
        login = self.ssh(BAD, password=WORLD.password)
        self.assert_no_session(login)
        self.assertEqual(login.prompts, [self.prompt(PROMPT)])
        self.assertEqual(len(self.api.take_requests()), 1)
        self.outcome(login.logs, "denied", "user=%s" % USER, "HTTP 401")
        self.show("sshd, a refused token", login.prompts, login.logs, login.stderr)

    def test_empty_answer_gets_no_session(self):
        login = self.ssh("", password=WORLD.password)
        self.assert_no_session(login)
        self.assertEqual(login.prompts, [self.prompt(PROMPT)])
        self.assertEqual(self.api.take_requests(), [])
        self.outcome(login.logs, "not a token", "user=%s" % USER)

    def test_unknown_user_gets_no_session_and_the_same_prompt(self):
        login = self.ssh(self.GOOD, user=NOBODY, password=WORLD.password)
        self.assert_no_session(login)
        self.assertEqual(self.api.take_requests(), [], "a token was sent for an unknown user")
        # The same prompt as for a real account; then, as for root, the
        # password stack (user_unknown=ignore), which fails too.
        self.assertEqual(login.prompts, [self.prompt(PROMPT, NOBODY),
                                         self.prompt("Password: ", NOBODY)])
        self.outcome(login.logs, "user unknown", "user=%s" % NOBODY)
        self.assertTrue(any("Invalid user %s from 127.0.0.1" % NOBODY in line
                            for line in login.logs), login.logs)

    def test_api_down_gets_no_session_and_a_clear_log_line(self):
        self.set_service(self.api_down_args())
        login = self.ssh(self.GOOD, password="not-the-password")
        self.assert_no_session(login)
        self.outcome(login.logs, "api unavailable", "user=%s" % USER, "curl error 7")
        # The example sends an outage on to the password stack (break-glass).
        # The user is told, in front of the password prompt that follows:
        # sshd hands PAM's messages over with the next prompt.
        self.assertEqual(login.prompts, [self.prompt(PROMPT),
                                         self.prompt(UNAVAILABLE_TEXT + "\nPassword: ")])
        self.show("sshd, the API down, a wrong password", login.prompts, login.logs,
                  login.stderr)
        # The same sshd, the API back: the next login works.
        self.set_service()
        again = self.ssh(self.GOOD)
        self.assert_session(again)
        self.assertEqual(again.env.get("K6_CLOUD_STACK_ID"), "12345")

    def test_api_down_break_glass_with_the_unix_password(self):
        self.set_service(self.api_down_args())
        login = self.ssh(self.GOOD, password=WORLD.password)
        self.assert_session(login)
        self.assertEqual(login.k6_env(), {}, "no token was validated")
        self.outcome(login.logs, "api unavailable")

    def test_sshd_stays_healthy_across_logins(self):
        pid = self.sshd.pid
        for token in (BAD, "", self.GOOD, "short", self.GOOD):
            login = self.ssh(token)
            if token == self.GOOD:
                self.assert_session(login)
                self.assertEqual(login.env.get("K6_CLOUD_PROJECT_ID"), "67890")
            else:
                self.assert_no_session(login)
        self.assertIsNone(self.sshd.poll())
        self.assertEqual(self.sshd.pid, pid)

    def test_group_restriction_from_the_example(self):
        # The example's pam_succeed_if line: members of the group get the
        # token prompt; others skip pam_k6 and meet the password stack.
        self.set_service(group=USER)
        login = self.ssh(self.GOOD)
        self.assert_session(login)
        self.set_service(group="root")
        login = self.ssh(self.GOOD)
        self.assert_no_session(login)
        self.assertEqual(login.prompts, [self.prompt("Password: ")])
        self.assertEqual(len(self.api.take_requests()), 1)

    def test_group_restriction_with_pam_access(self):
        # The README's other way: pam_access with a file of its own.
        rules = os.path.join(WORLD.tmp, "access-k6.conf")
        write(WORLD.path("pam-sshd"), "\n".join(
            ["auth  [success=ignore default=1]  pam_access.so accessfile=" + rules]
            + example_lines("sshd", self.module_args())) + "\n" + PASSWORD_STACK)
        write(rules, "+:(%s):ALL\n-:ALL:ALL\n" % USER)
        self.assert_session(self.ssh(self.GOOD))
        write(rules, "+:(root):ALL\n-:ALL:ALL\n")
        login = self.ssh(self.GOOD)
        self.assert_no_session(login)
        self.assertEqual(login.prompts, [self.prompt("Password: ")])
        self.assertEqual(len(self.api.take_requests()), 1)

    def test_module_missing_refuses_every_login(self):
        # Why the docs say: install the module before the pam.d line names
        # it, and remove the line before the module.  libpam fails a line
        # whose module it cannot load, and default=die ends the stack.
        missing = os.path.join(WORLD.tmp, "not-installed", "pam_k6.so")
        write(WORLD.path("pam-sshd"), "\n".join(
            line.replace(MODULE, missing) for line in example_lines("sshd", self.module_args()))
            + "\n" + PASSWORD_STACK)
        login = self.ssh(self.GOOD, password=WORLD.password)
        self.assert_no_session(login)
        self.assertEqual(self.api.take_requests(), [])
        self.assertTrue(any("PAM unable to dlopen(%s)" % missing in line for line in login.logs),
                        login.logs)

    def test_sshpass_answers_the_token_prompt(self):
        # Scripts that log in with a token: sshpass must be told the prompt.
        env = {"PATH": SBIN_PATH, "HOME": os.path.join(self.dir, "client-home"),
               "SSHPASS": self.GOOD}
        proc = subprocess.run(
            ["sshpass", "-e", "-P", "k6 API token", "ssh", "-F",
             os.path.join(self.dir, "ssh_config"), "-p", str(self.port), "-l", USER,
             "127.0.0.1", "echo stack=$K6_CLOUD_STACK_ID"],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
            timeout=3 * WAIT, start_new_session=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "stack=12345")


class Sudo(SystemTestCase):
    """sudo run by the ordinary test user, reading the token from stdin."""

    SERVICE = "sudo"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        write(WORLD.path("sudoers"), SUDOERS % {"user": USER}, 0o440)

    def sudo(self, script, stdin="", env=None):
        """Run a shell script as the test user with no terminal: sudo -S
        reads stdin, and keeps its timestamp per parent process."""
        run_env = {"PATH": "/usr/bin:/bin", "HOME": WORLD.home, "USER": USER,
                   "LOGNAME": USER, "LANG": "C"}
        run_env.update(env or {})
        mark = WORLD.syslog.mark()
        proc = subprocess.run(["/bin/sh", "-c", script], input=stdin, capture_output=True,
                              text=True, env=run_env, user=WORLD.uid, group=WORLD.gid,
                              extra_groups=[], cwd=WORLD.home, start_new_session=True,
                              timeout=3 * WAIT)
        WORLD.syslog.flush()
        logs = WORLD.syslog.since(mark)
        self.assert_no_secret_in_log(logs)
        return proc, logs

    def env_of(self, stdout):
        return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)

    def test_good_token_runs_the_command(self):
        proc, logs = self.sudo("sudo -S /usr/bin/id -u", self.GOOD + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr + "\n".join(logs))
        self.assertEqual(proc.stdout, "0\n")
        self.assertEqual(proc.stderr, PROMPT)
        self.assertEqual(len(self.api.take_requests()), 1)
        self.outcome(logs, "success", "user=%s" % USER, "stack_id=12345")
        self.show("sudo, a good token", [proc.stderr], logs)

    def test_bad_token_does_not_run_the_command(self):
        # sufficient: a refused token goes on to the password, which the
        # user does not give here (sudo -S meets the end of its input).
        proc, logs = self.sudo("sudo -S /usr/bin/id -u; echo status=$?", BAD + "\n")
        self.assertEqual(proc.stdout, "status=1\n")
        # sudo shows its own prompt for pam_unix's "Password: ".
        self.assertTrue(proc.stderr.startswith(PROMPT + "[sudo] password for %s: " % USER),
                        proc.stderr)
        self.assertEqual(len(self.api.take_requests()), 1)
        self.outcome(logs, "denied", "user=%s" % USER, "HTTP 401")
        self.show("sudo, a refused token", client=proc.stderr, logs=logs)

    def test_bad_token_then_the_unix_password(self):
        proc, _ = self.sudo("sudo -S /usr/bin/id -u", "%s\n%s\n" % (BAD, WORLD.password))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, "0\n")

    def test_empty_answer_does_not_run_the_command(self):
        proc, logs = self.sudo("sudo -S /usr/bin/id -u; echo status=$?", "\n")
        self.assertEqual(proc.stdout, "status=1\n")
        self.assertEqual(self.api.take_requests(), [])
        self.outcome(logs, "not a token", "user=%s" % USER)

    def test_pam_environment_reaches_the_command_under_env_reset(self):
        # env_reset drops the caller's K6_* variables; sudo then adds the PAM
        # environment this authentication made.
        forged = {"K6_CLOUD_STACK_ID": "999", "K6_CLOUD_TOKEN": "k6forged0000000000000000",
                  "K6_CLOUD_HOST_V6": "https://evil.example"}
        proc, _ = self.sudo("sudo -S /usr/bin/env", self.GOOD + "\n", env=forged)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        env = self.env_of(proc.stdout)
        self.assertEqual({k: v for k, v in env.items() if k.startswith("K6_")}, {
            "K6_CLOUD_STACK_ID": "12345",
            "K6_CLOUD_PROJECT_ID": "67890",
            "K6_CLOUD_STACK_URL": "https://alpha.grafana.net",
            "K6_CLOUD_HOST_V6": self.api.url,
        })
        self.assertEqual(env.get("SUDO_USER"), USER)
        self.assertEqual(env.get("USER"), "root")

    def test_export_token_reaches_the_command(self):
        self.set_service(self.module_args(["export_token"]))
        proc, _ = self.sudo("sudo -S /usr/bin/env", self.GOOD + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.env_of(proc.stdout).get("K6_CLOUD_TOKEN"), self.GOOD)

    def test_cached_credentials_run_without_token_or_k6_environment(self):
        # Within timestamp_timeout sudo asks for nothing: PAM authentication
        # does not run, so the second command gets no K6_* variables.
        proc, _ = self.sudo("sudo -S /usr/bin/env >first && sudo -n /usr/bin/env >second;"
                            " echo status=$?; cat first; echo ---; cat second",
                            self.GOOD + "\n")
        first, _, second = proc.stdout.partition("---\n")
        self.assertTrue(first.startswith("status=0\n"), proc.stdout + proc.stderr)
        self.assertIn("K6_CLOUD_STACK_ID=12345", first)
        self.assertIn("SUDO_USER=%s" % USER, second)
        self.assertNotIn("K6_CLOUD_", second)
        self.assertEqual(len(self.api.take_requests()), 1)

    def test_api_down_does_not_run_the_command(self):
        self.set_service(self.api_down_args())
        proc, logs = self.sudo("sudo -S /usr/bin/id -u; echo status=$?", self.GOOD + "\n")
        self.assertEqual(proc.stdout, "status=1\n")
        self.outcome(logs, "api unavailable", "curl error 7")
        # sudo calls pam_authenticate with PAM_SILENT: the module's message
        # about the outage is for the log only here.
        self.assertNotIn(UNAVAILABLE_TEXT, proc.stderr)
        self.show("sudo, the API down", client=proc.stderr, logs=logs)

    def test_offline_window_is_not_for_sudo(self):
        # sudo runs PAM with the user's real uid: the user could stop it or
        # starve it, so a cached answer never stands in for the API here.
        api = StandIn(self.cert, self.key).start()
        api.add_account(self.GOOD, self.STACK, 12345, 67890)
        args = self.module_args(["offline_ttl=3600", "cache_dir=" + WORLD.path("cache")])
        args[1] = "api_url=" + api.url
        self.set_service(args)
        try:
            proc, _ = self.sudo("sudo -S /usr/bin/id -u", self.GOOD + "\n")
            self.assertEqual(proc.returncode, 0, proc.stderr)
            self.assertEqual(len(api.take_requests()), 1)
        finally:
            api.stop()
        proc, logs = self.sudo("sudo -S /usr/bin/id -u; echo status=$?", self.GOOD + "\n")
        self.assertEqual(proc.stdout, "status=1\n")
        self.outcome(logs, "api unavailable", "curl error 7",
                     "the offline window is not used for a caller whose real user is not root")
        self.assertNotIn("cache=offline", "\n".join(logs))
        self.show("sudo, the API down, the token cached", client=proc.stderr, logs=logs)


SSHD_CONFIG = """\
# Only what the test needs; nothing from /etc/ssh is read.
ListenAddress 127.0.0.1:%(port)d
HostKey %(host_key)s
PidFile %(pid_file)s
UsePAM yes
KbdInteractiveAuthentication yes
PasswordAuthentication no
PubkeyAuthentication no
HostbasedAuthentication no
AuthorizedKeysFile none
PermitRootLogin no
UseDNS no
LoginGraceTime 30
PrintMotd no
Subsystem sftp internal-sftp
"""

SSH_CONFIG = """\
Host *
  UserKnownHostsFile %(known_hosts)s
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  CheckHostIP no
  UpdateHostKeys no
  PreferredAuthentications keyboard-interactive
  KbdInteractiveAuthentication yes
  PasswordAuthentication no
  PubkeyAuthentication no
  NumberOfPasswordPrompts 1
  ConnectTimeout 5
"""

# ssh runs this for each prompt (SSH_ASKPASS_REQUIRE=force): it notes the
# prompt it was shown and answers it: a password prompt with the password,
# anything else with the token.
ASKPASS = """\
#!/bin/sh
printf '%s\\036' "$1" >> "$K6_ASKPASS_PROMPTS"
case $1 in
*"Password: ") printf '%s\\n' "$K6_ASKPASS_PASSWORD" ;;
*) printf '%s\\n' "$K6_ASKPASS_TOKEN" ;;
esac
"""

SUDOERS = """\
# The tests' /etc/sudoers; env_reset and the timestamp are sudo's defaults.
Defaults env_reset
Defaults !fqdn
Defaults !lecture
Defaults secure_path="/usr/sbin:/usr/bin:/sbin:/bin"
root      ALL=(ALL:ALL) ALL
%(user)s  ALL=(ALL:ALL) ALL
"""


if __name__ == "__main__":
    skip_unless_ready()
    enter_private_namespace()
    k6test.run_tests()
