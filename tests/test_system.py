#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pam_k6 where it lives: a real sshd and a real sudo run the shipped recipes.

System tests.  They need root and the programs in NEEDED, and skip (77)
without them.  They change nothing on the machine: the test runs itself again
in a private mount namespace (unshare -m), where these are mounted over the
machine's own, for this process and its children only:

  /etc/passwd, /etc/group, /etc/shadow   copies with one more account,
                           the test user, with a Unix password of its own,
                           the group k6users, and a Unix password for root
                           known to the test
  /etc/pam.d/sshd, /etc/pam.d/sudo, /etc/sudoers   the tests' own
  /etc/security            a copy, where the tests write pam_k6.conf; the
                           same copy is also where this build's module reads
                           it (K6_TEST_CONF), if that is elsewhere (a build
                           for /usr/local reads /usr/local/etc/security)
  /run                     an empty tmpfs (sshd's privilege separation
                           directory, sudo's timestamps, pam_faillock's
                           tallies)
  /dev                     a tmpfs with the usual device nodes bound into it,
                           and /dev/log: the test's own syslog socket

So sshd and sudo run as installed: no preload, real libpam reading
/etc/pam.d, and syslog lines as an administrator reads them.  pam_wrapper
and nss_wrapper would not do here: sudo is setuid and ignores preloads, and
sshd starts the user's session without the preload (it builds the session's
environment itself), so a user that only nss_wrapper knows would not exist
there.  The test account is real, but only inside the namespace.

The service files are the whole files of examples/pam.d/, with only this
changed (see recipe()):
  - pam_k6.so is the built module, named by its path;
  - the pam_faillock lines get "nodelay", to spare the tests its 2-second
    delay after a failure;
  - each "@include common-*" is Debian 12's own lines for it (INCLUDES), as
    pam-auth-update writes them with only the unix profile, so that no local
    change on this machine counts; pam_unix gets "nodelay" too, and
    common-session leaves out pam_systemd (optional, and it would wait for
    logind).
The settings are in pam_k6.conf, as the recipes teach: the stand-in API on
loopback (api_url), its CA (ca_file), short timeouts and nodelay.  sshd includes the shipped drop-in,
examples/sshd_config.d/00-pam_k6.conf, first, then the test's own lines (a
free loopback port, a host key of its own).  Package builds leave these
tests out (make check SYSTEM_TESTS=); see tests/Makefile.inc.
"""

import contextlib
import grp
import os
import pwd
import re
import secrets
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

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


# The test account, a name sshd must find no account for, and a name
# with tokens enrolled but no account here.
USER = unused_name("k6test_user_")
NOBODY = unused_name("k6test_none_")
BOB = unused_name("k6test_bob_")
BAD = "k6bad00000000000000000000000000"
PROMPT = "k6 API token: "
UNAVAILABLE_TEXT = "The k6 API could not be reached; please try again later."
EXAMPLES = os.path.join(k6test.SRCDIR, "examples")
DROP_IN = os.path.join(EXAMPLES, "sshd_config.d", "00-pam_k6.conf")
# The one group whose members the recipes ask for a token.
K6_GROUP = "k6users"
# Where this build's module reads pam_k6.conf: /etc/security/ when
# configured with --prefix=/usr, as the packages are, else below its prefix.
CONF = os.environ.get("K6_TEST_CONF", "/etc/security/pam_k6.conf")
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


def tokens_line(user, token, comment=""):
    """A line of the tokens file, hashed by openssl as a fleet would."""
    salt = "rounds=1000$" + secrets.token_hex(8)
    digest = subprocess.run(["openssl", "passwd", "-6", "-salt", salt, "-stdin"], input=token,
                            capture_output=True, text=True, check=True).stdout.strip()
    return " ".join(f for f in (user, digest, comment) if f)


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
        gids = {int(line.split(":")[2]) for line in group.splitlines() if line.count(":") >= 3}
        self.gid = free_id(gids)
        self.home = self.path("home")
        os.mkdir(self.home, 0o700)
        os.chown(self.home, self.uid, self.gid)
        write(self.path("passwd"), passwd.rstrip("\n") + "\n%s:x:%d:%d:pam_k6 test:%s:/bin/sh\n"
              % (USER, self.uid, self.gid, self.home))
        # The recipes' group, whatever this machine holds under that name:
        # its members are set per test (set_k6users).
        self.group_text = "".join(line + "\n" for line in group.splitlines()
                                  if not line.startswith(K6_GROUP + ":"))
        self.group_text += "%s:x:%d:\n" % (USER, self.gid)
        self.k6_gid = free_id(gids | {self.gid})
        write(self.path("group"), "")
        self.set_k6users([USER])
        # Unix passwords for the test user and for root, for the password
        # stack the recipes fall back to.
        self.password = secrets.token_hex(12)
        self.root_password = secrets.token_hex(12)
        with open("/etc/shadow") as f:
            shadow = [line for line in f.read().splitlines() if not line.startswith("root:")]
        shadow.insert(0, "root:%s:19000:0:99999:7:::" % hashed(self.root_password))
        shadow.append("%s:%s:19000:0:99999:7:::" % (USER, hashed(self.password)))
        write(self.path("shadow"), "\n".join(shadow) + "\n", 0o640)
        for name in ("pam-sshd", "pam-sudo", "pam-sudo-i", "sudoers"):
            write(self.path(name), "", 0o440 if name == "sudoers" else 0o644)
        # /etc/security as it is, with room for the tests' pam_k6.conf.
        self.security = self.path("security")
        shutil.copytree("/etc/security", self.security, symlinks=True)
        os.chmod(self.security, 0o755)
        if os.path.lexists(os.path.join(self.security, "pam_k6.conf")):
            os.unlink(os.path.join(self.security, "pam_k6.conf"))

        self.mount("tmpfs", "/run", "-t", "tmpfs", "-o", "mode=755")
        os.mkdir("/run/sshd", 0o755)
        self.private_dev()
        for source, target in (("passwd", "/etc/passwd"), ("group", "/etc/group"),
                               ("shadow", "/etc/shadow"),
                               ("pam-sshd", "/etc/pam.d/sshd"), ("pam-sudo", "/etc/pam.d/sudo"),
                               ("pam-sudo-i", "/etc/pam.d/sudo-i"),
                               ("sudoers", "/etc/sudoers"), ("security", "/etc/security")):
            self.mount(self.path(source), target, "--bind")
        # The build's own folder for pam_k6.conf shows the same copy.
        if os.path.dirname(CONF) != "/etc/security":
            self.make_room(os.path.dirname(CONF))
            self.mount(self.security, os.path.dirname(CONF), "--bind")
        self.syslog = Syslog("/dev/log")

    def make_room(self, folder):
        """An empty folder at this path, in the namespace only.  Where it
        does not exist, its nearest existing ancestor becomes a tmpfs that
        holds what the ancestor held (each entry bound back in) and the
        folders that were missing."""
        if os.path.isdir(folder):
            return
        base = os.path.dirname(folder)
        while not os.path.isdir(base):
            base = os.path.dirname(base)
        if base in ("/", "/usr", "/etc"):
            raise RuntimeError("%s is missing, and will not hide %s to make it" % (folder, base))
        saved = tempfile.mkdtemp(prefix="pam_k6-system-base.")
        st = os.stat(base)
        self.mount(base, saved, "--rbind")
        self.mount("tmpfs", base, "-t", "tmpfs",
                   "-o", "mode=%o,uid=%d,gid=%d" % (st.st_mode & 0o7777, st.st_uid, st.st_gid))
        for entry in os.listdir(saved):
            source, target = os.path.join(saved, entry), os.path.join(base, entry)
            if os.path.islink(source):
                os.symlink(os.readlink(source), target)
                continue
            if os.path.isdir(source):
                os.mkdir(target)
            else:
                open(target, "w").close()
            self.mount(source, target, "--rbind")
        run("umount", "--lazy", saved)
        self.mounts.remove(saved)
        os.rmdir(saved)
        os.makedirs(folder, 0o755)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def mount(self, source, target, *options):
        run("mount", *options, source, target)
        self.mounts.append(target)

    def umount(self, target):
        run("umount", target)
        self.mounts.remove(target)

    def set_k6users(self, members):
        write(self.path("group"), self.group_text + "%s:x:%d:%s\n"
              % (K6_GROUP, self.k6_gid, ",".join(members)))

    def write_conf(self, lines, mode=0o644):
        """/etc/security/pam_k6.conf; None: no such file."""
        if lines is None:
            if os.path.exists(CONF):
                os.unlink(CONF)
            return
        write(CONF, "".join(line + "\n" for line in lines), mode)

    @contextlib.contextmanager
    def no_trust_store(self):
        """No system trust store: an empty /etc/ssl/certs, where Debian's
        libcurl finds both its bundle and its hashed directory."""
        self.mount("tmpfs", "/etc/ssl/certs", "-t", "tmpfs", "-o", "mode=755")
        try:
            yield
        finally:
            self.umount("/etc/ssl/certs")

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


def hashed(password):
    return subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password,
                          capture_output=True, text=True, check=True).stdout.strip()


WORLD = None


def setUpModule():
    global WORLD
    WORLD = World()


def tearDownModule():
    WORLD.close()


# Where the recipes say "@include common-*": Debian 12's own lines, as
# pam-auth-update writes them with only the unix profile enabled, written
# out so that no local change on this machine counts.  pam_unix's nodelay
# spares the tests its 2-second delay after a failure; common-session
# leaves out pam_systemd, which would wait for logind.
INCLUDES = {
    "common-auth": """\
auth     [success=1 default=ignore]  pam_unix.so nullok nodelay
auth     requisite  pam_deny.so
auth     required   pam_permit.so""",
    "common-account": """\
account  [success=1 new_authtok_reqd=done default=ignore]  pam_unix.so
account  requisite  pam_deny.so
account  required   pam_permit.so""",
    "common-session": """\
session  [default=1]  pam_permit.so
session  requisite  pam_deny.so
session  required   pam_permit.so
session  required   pam_unix.so""",
    "common-password": """\
password [success=1 default=ignore]  pam_unix.so obscure yescrypt
password requisite  pam_deny.so
password required   pam_permit.so""",
}
INCLUDES["common-session-noninteractive"] = INCLUDES["common-session"]


def example(name):
    with open(os.path.join(EXAMPLES, "pam.d", name)) as f:
        return f.read()


def is_rule(line):
    return line.strip() != "" and not line.lstrip().startswith("#")


def recipe(name, module=MODULE):
    """examples/pam.d/NAME as the namespace's service file: the whole file,
    with the module's path, nodelay on the pam_faillock lines, and each
    @include written out (INCLUDES).  Nothing else changes."""
    lines = []
    k6 = 0
    for line in example(name).splitlines():
        if line.startswith("@include"):
            lines.append(INCLUDES[line.split()[1]])
            continue
        if is_rule(line):
            line, n = re.subn(r"(?<=\s)pam_k6\.so(?=\s|$)", module, line)
            k6 += n if line.startswith("auth") else 0
            if re.search(r"\spam_faillock\.so\s", line):
                line += " nodelay"
        lines.append(line)
    if k6 != 1:
        raise AssertionError("examples/pam.d/%s: want one pam_k6 auth line, found %d"
                             % (name, k6))
    return "\n".join(lines) + "\n"


def faillock_options(name):
    """The options the recipe's pam_faillock lines share, as a dict; every
    one of those lines must carry the same."""
    seen = []
    for line in example(name).splitlines():
        if is_rule(line) and re.search(r"\spam_faillock\.so\s", line):
            words = line.split("pam_faillock.so", 1)[1].split()
            seen.append({w.split("=", 1)[0]: w.partition("=")[2] for w in words
                         if w not in ("preauth", "authfail", "authsucc", "silent")})
    if len(seen) != 3 or any(s != seen[0] for s in seen):
        raise AssertionError("examples/pam.d/%s: want three pam_faillock lines with the same"
                             " options: %r" % (name, seen))
    return seen[0]


def clear_tallies():
    """Empty the tally folders the recipes' pam_faillock lines name."""
    text = example("sshd") + example("sudo")
    for folder in set(re.findall(r"\spam_faillock\.so\s.*\bdir=(\S+)", text)):
        if os.path.isdir(folder):
            for entry in os.listdir(folder):
                os.unlink(os.path.join(folder, entry))


def lock_token_path(user):
    """The recipes' token tally for user, holding deny= recent failures."""
    options = faillock_options("sshd")
    os.makedirs(options["dir"], exist_ok=True)
    now = int(time.time())
    with open(os.path.join(options["dir"], user), "wb") as f:
        for i in range(int(options["deny"])):
            f.write(struct.pack("=52sHHQ", b"127.0.0.1", 0, 3, now - i))


def session_lines(service, logs):
    """What pam_k6's session line said, after "session opened: "."""
    return [m.group(1) for m in (re.search(r"pam_k6\(%s:session\): session opened: (.*)$"
                                           % re.escape(service), line) for line in logs) if m]


def fallback_query():
    """The README's query that counts fallbacks: its grep pattern."""
    with open(os.path.join(k6test.SRCDIR, "README.md")) as f:
        m = re.search(r"\| grep -cE '([^']+)'", f.read())
    if m is None:
        raise AssertionError("README.md: no fallback query (| grep -cE '...')")
    return re.compile(m.group(1))


def profile_auth():
    """Debian's common-auth with the pam-auth-update profile enabled: its
    lines, with "end" counted as pam-auth-update counts it."""
    with open(os.path.join(k6test.SRCDIR, "debian", "pam-configs", "k6")) as f:
        text = f.read()
    ours = []
    for line in text.split("Auth:\n", 1)[1].splitlines():
        if not line.startswith("\t"):
            break
        ours.append(line.strip())
    unix = INCLUDES["common-auth"].splitlines()
    primary = ours + [unix[0].replace("[success=1", "[success=end").split(None, 1)[1]]
    lines = ["auth " + line.replace("end", str(len(primary) - i))
             for i, line in enumerate(primary)]
    return "\n".join(lines + unix[1:])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SystemTestCase(PamTestCase):
    """The stand-in and its CA (from PamTestCase), the settings that point at
    them, and the service file the test writes.  Before each test: the
    service's recipe, the default settings, only the test user in k6users,
    no tally."""

    SERVICE = None  # sshd or sudo
    RECIPE = None   # the file of examples/pam.d/; SERVICE if None

    def setUp(self):
        super().setUp()
        self.use_recipe()
        self.configure()
        WORLD.set_k6users([USER])
        clear_tallies()

    def settings(self, extra=()):
        """pam_k6.conf: the stand-in, its CA, short timeouts, no fail delay."""
        return ["stack_url = alpha", "api_url = " + self.api.url, "ca_file = " + self.ca,
                "nodelay", "timeout = 5", "connect_timeout = 2"] + list(extra)

    def configure(self, lines=None, mode=0o644):
        WORLD.write_conf(self.settings() if lines is None else lines, mode)

    def api_down(self, extra=()):
        """Settings that point at a port where nothing listens."""
        self.configure([line if not line.startswith("api_url") else
                        "api_url = https://127.0.0.1:%d" % free_port()
                        for line in self.settings(extra)])

    def use_recipe(self, name=None, module=MODULE):
        write(WORLD.path("pam-" + self.SERVICE), recipe(name or self.RECIPE or self.SERVICE,
                                                        module))

    def assert_no_secret_in_log(self, lines):
        text = "\n".join(lines)
        for secret in self.secrets | {BAD, WORLD.password, WORLD.root_password}:
            for piece in k6test.token_pieces(secret):
                self.assertNotIn(piece, text, "a piece of a secret reached the log")

    def outcome_lines(self, logs):
        return [line for line in logs if re.search(r"pam_k6\(\w+:auth\): auth ", line)]

    def outcome(self, logs, label, *fragments):
        """The one pam_k6 outcome line, with the verdict and every fragment."""
        lines = self.outcome_lines(logs)
        self.assertEqual(len(lines), 1, "want one pam_k6 outcome line:\n%s" % "\n".join(logs))
        self.assertRegex(lines[0], r"^%s(\[\d+\])?: pam_k6\(%s:auth\): auth %s: "
                         % (self.SERVICE, self.SERVICE, label))
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        return lines[0]

    def no_outcome(self, logs):
        self.assertEqual([line for line in logs if re.search(r"pam_k6\([^)]*:auth\)", line)],
                         [],
                         "pam_k6 ran, and should not have")

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


class SshServer(SystemTestCase):
    """A real sshd on loopback for the class, reading the shipped drop-in
    first; a real ssh client answers the prompts.  SSHD_FIRST goes before
    the drop-in (so it wins over it), SSHD_EXTRA after it; CLIENT_EXTRA
    comes first in the client's configuration (where the first value wins
    too)."""

    SERVICE = "sshd"
    SSHD_FIRST = ""
    SSHD_EXTRA = "PubkeyAuthentication no\nAuthorizedKeysFile none\n"
    CLIENT_EXTRA = ("PreferredAuthentications keyboard-interactive\n"
                    "PubkeyAuthentication no\n")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = os.path.join(WORLD.tmp, "sshd-" + cls.__name__)
        os.mkdir(cls.dir)
        host_key = os.path.join(cls.dir, "host_key")
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pam_k6 test", "-f", host_key)
        cls.port = free_port()
        write(os.path.join(cls.dir, "sshd_config"), SSHD_CONFIG % {
            "first": cls.SSHD_FIRST, "drop_in": DROP_IN, "port": cls.port,
            "host_key": host_key, "pid_file": os.path.join(cls.dir, "pid"),
            "extra": cls.SSHD_EXTRA})
        with open(host_key + ".pub") as f:
            key = " ".join(f.read().split()[:2])
        write(os.path.join(cls.dir, "known_hosts"), "[127.0.0.1]:%d %s\n" % (cls.port, key))
        write(os.path.join(cls.dir, "ssh_config"), SSH_CONFIG % {
            "known_hosts": os.path.join(cls.dir, "known_hosts"),
            "extra": cls.CLIENT_EXTRA.strip().replace("\n", "\n  ")})
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

    def ssh(self, token, user=USER, password="", command="env", options=()):
        """Log in with ssh.  The askpass helper answers a "Password: " prompt
        with password and any other prompt with token, and notes every
        prompt; options are more ssh -o settings."""
        prompts = os.path.join(self.dir, "prompts")
        write(prompts, "")
        env = {"PATH": SBIN_PATH, "HOME": os.path.join(self.dir, "client-home"),
               "SSH_ASKPASS": os.path.join(self.dir, "askpass"), "SSH_ASKPASS_REQUIRE": "force",
               "K6_ASKPASS_TOKEN": token, "K6_ASKPASS_PASSWORD": password,
               "K6_ASKPASS_PROMPTS": prompts}
        argv = ["ssh", "-F", os.path.join(self.dir, "ssh_config"), "-p", str(self.port)]
        for option in options:
            argv += ["-o", option]
        mark = WORLD.syslog.mark()
        proc = subprocess.run(
            argv + ["-l", user, "127.0.0.1", command],
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

    def assert_session(self, login, user=USER, method="keyboard-interactive/pam"):
        self.assertEqual(login.returncode, 0, login.stderr + "\n".join(login.logs))
        self.assertEqual(login.env.get("USER"), user)
        self.assertEqual(login.env.get("HOME"), WORLD.home if user == USER else
                         pwd.getpwnam(user).pw_dir)
        self.assertTrue(any(re.search(r"^sshd\[\d+\]: Accepted %s for %s from 127\.0\.0\.1 "
                                      % (method, user), line)
                            for line in login.logs), login.logs)

    def assert_no_session(self, login, methods="keyboard-interactive"):
        self.assertEqual(login.returncode, 255, login.stdout + login.stderr)
        self.assertEqual(login.env, {}, "a command ran")
        self.assertIn("Permission denied (%s)." % methods, login.stderr)
        self.assertFalse([line for line in login.logs if re.search(r"\]: Accepted \S+ for ", line)],
                         login.logs)


class Sshd(SshServer):
    """examples/pam.d/sshd: the token, with the password as break-glass."""

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
        self.configure(self.settings(["export_token"]))
        login = self.ssh(self.GOOD)
        self.assert_session(login)
        self.assertEqual(login.env.get("K6_CLOUD_TOKEN"), self.GOOD)
        self.assertEqual(login.env.get("K6_CLOUD_STACK_ID"), "12345")

    def test_export_leaves_the_project_to_the_script(self):
        # What k6 reads from the environment beats the script's options:
        # without K6_CLOUD_PROJECT_ID, options.cloud.projectID decides.
        self.configure(self.settings(["export = stack_id,stack_url,api_url"]))
        login = self.ssh(self.GOOD)
        self.assert_session(login)
        self.assertEqual(login.k6_env(), {
            "K6_CLOUD_STACK_ID": "12345",
            "K6_CLOUD_STACK_URL": "https://alpha.grafana.net",
            "K6_CLOUD_HOST_V6": self.api.url,
        })

    def test_bad_token_gets_no_session(self):
        # A refused token ends the attempt: no password prompt.
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

    def test_unknown_user_meets_the_password_like_any_non_member(self):
        login = self.ssh(self.GOOD, user=NOBODY, password=WORLD.password)
        self.assert_no_session(login)
        self.assertEqual(self.api.take_requests(), [], "a token was sent for an unknown user")
        # Not in k6users, like an account that exists and is not a member:
        # no token prompt, the password stack, which fails.
        self.assertEqual(login.prompts, [self.prompt("Password: ", NOBODY)])
        self.no_outcome(login.logs)
        self.assertTrue(any("Invalid user %s from 127.0.0.1" % NOBODY in line
                            for line in login.logs), login.logs)

    def test_only_members_of_k6users_see_the_token_prompt(self):
        WORLD.set_k6users([])
        login = self.ssh(self.GOOD, password=WORLD.password)
        self.assert_session(login)
        self.assertEqual(login.prompts, [self.prompt("Password: ")])
        self.assertEqual(login.k6_env(), {})
        self.assertEqual(self.api.take_requests(), [])
        self.no_outcome(login.logs)
        # What a non-member types at the password prompt goes nowhere.
        login = self.ssh(self.GOOD, password=self.GOOD)
        self.assert_no_session(login)
        self.assertEqual(self.api.take_requests(), [])

    def test_api_down_gets_no_session_and_a_clear_log_line(self):
        self.api_down()
        login = self.ssh(self.GOOD, password="not-the-password")
        self.assert_no_session(login)
        self.outcome(login.logs, "api unavailable", "user=%s" % USER, "curl error 7")
        # An outage goes on to the password stack (break-glass).  The user
        # is told, in front of the password prompt that follows: sshd hands
        # PAM's messages over with the next prompt.
        self.assertEqual(login.prompts, [self.prompt(PROMPT),
                                         self.prompt(UNAVAILABLE_TEXT + "\nPassword: ")])
        self.show("sshd, the API down, a wrong password", login.prompts, login.logs,
                  login.stderr)
        # The same sshd, the API back: the next login works.
        self.configure()
        again = self.ssh(self.GOOD)
        self.assert_session(again)
        self.assertEqual(again.env.get("K6_CLOUD_STACK_ID"), "12345")

    def test_api_down_break_glass_with_the_unix_password(self):
        self.api_down()
        login = self.ssh(self.GOOD, password=WORLD.password)
        self.assert_session(login)
        self.assertEqual(login.k6_env(), {}, "no token was validated")
        self.outcome(login.logs, "api unavailable")

    # Whenever pam_k6 cannot decide, the password does, for root too.
    # Root is in k6users here, so that the pam_k6 lines run for it as well.

    def password_decides(self, label=None, reason=None, token_prompt=False):
        WORLD.set_k6users([USER, "root"])
        for user, password in ((USER, WORLD.password), ("root", WORLD.root_password)):
            login = self.ssh(self.GOOD, user=user, password=password)
            self.assert_session(login, user)
            self.assertEqual(login.k6_env(), {})
            self.assertEqual(self.api.take_requests(), [])
            self.assertEqual(login.prompts,
                             ([self.prompt(PROMPT, user)] if token_prompt else [])
                             + [self.prompt("Password: ", user)])
            if label is not None:
                self.outcome(login.logs, label, "user=%s" % user, reason)
        return login

    def test_unknown_key_in_the_file_leaves_the_password(self):
        self.configure(self.settings(["allow_root", "timout = 5"]))
        login = self.password_decides("configuration error", "unknown option 'timout'")
        self.show("sshd, a typo in pam_k6.conf, root's password", login.prompts, login.logs)

    def test_file_writable_by_its_group_leaves_the_password(self):
        self.configure(self.settings(["allow_root"]), mode=0o664)
        self.password_decides("configuration error", CONF)

    def test_missing_ca_file_leaves_the_password(self):
        self.configure([line if not line.startswith("ca_file") else
                        "ca_file = /nonexistent/pam_k6-ca.pem"
                        for line in self.settings(["allow_root"])])
        self.password_decides("configuration error", "option 'ca_file'")

    def test_no_system_trust_store_leaves_the_password(self):
        self.configure([line for line in self.settings(["allow_root"])
                        if not line.startswith("ca_file")])
        with WORLD.no_trust_store():
            login = self.password_decides("configuration error", "trust store",
                                          token_prompt=True)
        self.show("sshd, no system trust store, root's password", login.prompts, login.logs)

    def test_line_before_the_file_leaves_the_password(self):
        # The pam.d file deployed before pam_k6.conf: no stack_url anywhere.
        WORLD.write_conf(None)
        self.password_decides("configuration error", "pam_k6.conf: no such file, and no stack_url=")

    def test_module_not_installed_leaves_the_password(self):
        # The pam.d file deployed before the package: libpam cannot load the
        # module, the line returns PAM_MODULE_UNKNOWN, the password decides.
        missing = os.path.join(WORLD.tmp, "not-installed", "pam_k6.so")
        self.use_recipe(module=missing)
        login = self.password_decides()
        self.no_outcome(login.logs)
        self.assertTrue(any("PAM unable to dlopen(%s)" % missing in line for line in login.logs),
                        login.logs)

    # pam_faillock: refused tokens close the token path, never the password.

    def test_refused_tokens_close_the_token_path_not_the_password(self):
        deny = int(faillock_options("sshd")["deny"])
        for _ in range(deny):
            login = self.ssh(BAD, password=WORLD.password)
            self.assert_no_session(login)
            self.assertEqual(login.prompts, [self.prompt(PROMPT)])
        self.assertEqual(len(self.api.take_requests()), deny)
        self.assertTrue(any("Consecutive login failures for user %s account temporarily locked"
                            % USER in line for line in login.logs), login.logs)
        # Now a good token does not get asked for: the password decides.
        login = self.ssh(self.GOOD, password=WORLD.password)
        self.assert_session(login)
        self.assertEqual(login.prompts, [self.prompt("Password: ")])
        self.assertEqual(login.k6_env(), {})
        self.assertEqual(self.api.take_requests(), [])
        self.no_outcome(login.logs)
        self.show("sshd, the token path closed after %d refused tokens" % deny, login.prompts,
                  login.logs)

    def test_a_good_token_clears_the_count(self):
        deny = int(faillock_options("sshd")["deny"])
        for _ in range(2):
            for _ in range(deny - 1):
                self.assert_no_session(self.ssh(BAD))
            login = self.ssh(self.GOOD)
            self.assert_session(login)
            self.assertEqual(login.k6_env().get("K6_CLOUD_STACK_ID"), "12345")

    def test_root_is_never_locked_out_of_the_token_path(self):
        self.configure(self.settings(["allow_root"]))
        WORLD.set_k6users([USER, "root"])
        deny = int(faillock_options("sshd")["deny"])
        for _ in range(deny + 1):
            login = self.ssh(BAD, user="root")
            self.assert_no_session(login)
            self.assertEqual(login.prompts, [self.prompt(PROMPT, "root")])
        login = self.ssh(self.GOOD, user="root")
        self.assert_session(login, "root")
        self.assertEqual(login.k6_env().get("K6_CLOUD_STACK_ID"), "12345")

    def test_password_method_is_not_offered(self):
        # The drop-in's PasswordAuthentication no: a client that tries the
        # password method gets nowhere, and nothing reaches the API.
        login = self.ssh(WORLD.password, options=["PreferredAuthentications=password",
                                                  "PasswordAuthentication=yes"])
        self.assert_no_session(login)
        self.assertEqual(login.prompts, [])
        self.assertEqual(self.api.take_requests(), [])

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

    def test_group_restriction_with_pam_access(self):
        # The other way to choose who is asked: pam_access with a file of
        # its own, in place of the recipe's pam_succeed_if line.
        rules = os.path.join(WORLD.tmp, "access-k6.conf")
        text, n = re.subn(r"(?m)^(auth\s+\[[^]]*\]\s+)pam_succeed_if\.so .*$",
                          r"\1pam_access.so accessfile=" + rules, recipe("sshd"))
        self.assertEqual(n, 1)
        write(WORLD.path("pam-sshd"), text)
        write(rules, "+:(%s):ALL\n-:ALL:ALL\n" % USER)
        self.assert_session(self.ssh(self.GOOD))
        write(rules, "+:(root):ALL\n-:ALL:ALL\n")
        login = self.ssh(self.GOOD)
        self.assert_no_session(login)
        self.assertEqual(login.prompts, [self.prompt("Password: ")])
        self.assertEqual(len(self.api.take_requests()), 1)

    def test_token_only_recipe_has_no_password_path(self):
        self.use_recipe("sshd-token-only")
        login = self.ssh(self.GOOD)
        self.assert_session(login)
        self.assertEqual(login.k6_env().get("K6_CLOUD_STACK_ID"), "12345")
        self.api_down()
        login = self.ssh(self.GOOD, password=WORLD.password)
        self.assert_no_session(login)
        self.assertEqual(login.prompts, [self.prompt(PROMPT)])
        self.outcome(login.logs, "api unavailable")
        # Outside k6users: no prompt at all.
        WORLD.set_k6users([])
        login = self.ssh(self.GOOD, password=WORLD.password)
        self.assert_no_session(login)
        self.assertEqual(login.prompts, [])
        self.no_outcome(login.logs)

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

    def test_the_session_line_says_how_each_login_went(self):
        said = []

        def log_in(token, password="", user=USER):
            login = self.ssh(token, password=password, user=user)
            self.assert_session(login, user=user)
            # What pam_k6 kept for the session line stays out of the session.
            self.assertNotIn("PAM_K6_AUTH", login.env)
            (line,) = session_lines("sshd", login.logs)
            said.append(line)
            return line

        self.assertEqual(log_in(self.GOOD),
                         "user=%s rhost=127.0.0.1 tty=ssh service=sshd by=token" % USER)
        self.api_down()
        self.assertTrue(log_in(self.GOOD, WORLD.password).endswith(" by=other k6=unreachable"))
        self.configure(self.settings(["cache_tll = 60"]))
        self.assertTrue(log_in(self.GOOD, WORLD.password).endswith(" by=other k6=config"))
        self.configure()
        lock_token_path(USER)
        self.assertTrue(log_in(self.GOOD, WORLD.password).endswith(" by=other k6=not-asked"))
        clear_tallies()
        WORLD.set_k6users([])
        self.assertTrue(log_in(self.GOOD, WORLD.password).endswith(" by=other k6=not-asked"))
        self.assertTrue(log_in(self.GOOD, WORLD.root_password, user="root").endswith(
            " by=other k6=not-asked"))
        # The README's query counts the logins that fell back to the password
        # because pam_k6 could not decide, and no other.
        query = fallback_query()
        self.assertEqual(len([line for line in said if query.search(
            "sshd[1]: pam_k6(sshd:session): session opened: " + line)]), 2)

    def test_the_session_line_after_a_refused_token_with_the_profile(self):
        # The pam-auth-update profile sends a refused token on to the password.
        text = recipe("sshd")
        text = re.sub(r"(?s)# BEGIN pam_k6 auth\n.*?# END pam_k6 auth\n", "", text)
        text = text.replace(INCLUDES["common-auth"], profile_auth().replace(
            "pam_k6.so", MODULE))
        write(WORLD.path("pam-sshd"), text)
        login = self.ssh(BAD, password=WORLD.password)
        self.assert_session(login)
        self.assertEqual(session_lines("sshd", login.logs),
                         ["user=%s rhost=127.0.0.1 tty=ssh service=sshd by=other k6=refused"
                          % USER])
        self.assertFalse([line for line in login.logs if fallback_query().search(line)])


class WithKey(SshServer):
    """A key of the test user's in its authorized_keys."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.client_key = os.path.join(cls.dir, "client_key")
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "pam_k6 test client", "-f",
            cls.client_key)
        ssh_dir = os.path.join(WORLD.home, ".ssh")
        os.makedirs(ssh_dir, 0o700, exist_ok=True)
        shutil.copy(cls.client_key + ".pub", os.path.join(ssh_dir, "authorized_keys"))
        for path in (ssh_dir, os.path.join(ssh_dir, "authorized_keys")):
            os.chown(path, WORLD.uid, WORLD.gid)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(os.path.join(WORLD.home, ".ssh"), ignore_errors=True)
        super().tearDownClass()

    def with_key(self, token, password=""):
        return self.ssh(token, password=password, options=["IdentityFile=" + self.client_key])


class PublicKey(WithKey):
    """A key alone: sshd runs no PAM authentication, and the session line
    says pam_k6 was not asked."""

    SSHD_EXTRA = ("AuthenticationMethods publickey\nPubkeyAuthentication yes\n"
                  "AuthorizedKeysFile .ssh/authorized_keys\n")
    CLIENT_EXTRA = ("PreferredAuthentications publickey\nPubkeyAuthentication yes\n"
                    "IdentitiesOnly yes\n")

    def test_a_key_login_is_not_asked(self):
        login = self.with_key(self.GOOD)
        self.assert_session(login, method="publickey")
        self.assertEqual(login.prompts, [])
        self.assertEqual(self.api.take_requests(), [])
        self.assertEqual(session_lines("sshd", login.logs),
                         ["user=%s rhost=127.0.0.1 tty=ssh service=sshd by=other k6=not-asked"
                          % USER])


class SecondFactor(WithKey):
    """AuthenticationMethods publickey,keyboard-interactive: a key, then the
    token.  With examples/pam.d/sshd-token-only nobody passes without a
    token; with examples/pam.d/sshd the password stands in when pam_k6
    cannot decide."""

    RECIPE = "sshd-token-only"
    SSHD_EXTRA = ("AuthenticationMethods publickey,keyboard-interactive\n"
                  "PubkeyAuthentication yes\nAuthorizedKeysFile .ssh/authorized_keys\n"
                  # sshd logs a partial success (the key) only at VERBOSE.
                  "LogLevel VERBOSE\n")
    CLIENT_EXTRA = ("PreferredAuthentications publickey,keyboard-interactive\n"
                    "PubkeyAuthentication yes\nIdentitiesOnly yes\n")

    def assert_key_then_pam(self, login):
        self.assertTrue(any(re.search(r"^sshd\[\d+\]: Partial publickey for %s from " % USER,
                                      line) for line in login.logs), login.logs)

    def test_key_and_token_log_in(self):
        login = self.with_key(self.GOOD)
        self.assert_session(login)
        self.assert_key_then_pam(login)
        self.assertEqual(login.prompts, [self.prompt(PROMPT)])
        self.assertEqual(login.k6_env().get("K6_CLOUD_STACK_ID"), "12345")
        self.show("sshd, a key and then a token", login.prompts, login.logs)

    def test_key_and_refused_token_do_not(self):
        login = self.with_key(BAD, password=WORLD.password)
        self.assert_no_session(login)
        self.assert_key_then_pam(login)
        self.assertEqual(login.prompts, [self.prompt(PROMPT)])
        self.outcome(login.logs, "denied", "HTTP 401")

    def test_token_without_the_key_is_not_asked_for(self):
        login = self.ssh(self.GOOD)
        self.assert_no_session(login, methods="publickey")
        self.assertEqual(login.prompts, [])
        self.assertEqual(self.api.take_requests(), [])

    def test_api_down_nobody_passes_without_the_password_fallback(self):
        self.api_down()
        login = self.with_key(self.GOOD, password=WORLD.password)
        self.assert_no_session(login)
        self.assertEqual(login.prompts, [self.prompt(PROMPT)])
        self.outcome(login.logs, "api unavailable")

    def test_api_down_key_and_password_pass_with_the_break_glass_recipe(self):
        self.use_recipe("sshd")
        self.api_down()
        login = self.with_key(self.GOOD, password=WORLD.password)
        self.assert_session(login)
        self.assert_key_then_pam(login)
        self.assertEqual(login.k6_env(), {})
        self.outcome(login.logs, "api unavailable")

    def test_key_and_token_with_the_break_glass_recipe(self):
        self.use_recipe("sshd")
        login = self.with_key(self.GOOD)
        self.assert_session(login)
        self.assertEqual(login.k6_env().get("K6_CLOUD_PROJECT_ID"), "67890")


class PasswordAuthenticationYes(SshServer):
    """Why the drop-in's PasswordAuthentication no is a security control: an
    sshd that says yes (first, so it wins) answers pam_k6's prompt with the
    password the client sent."""

    SSHD_FIRST = "PasswordAuthentication yes\n"
    CLIENT_EXTRA = ("PreferredAuthentications password\nPasswordAuthentication yes\n"
                    "PubkeyAuthentication no\n")

    def test_the_unix_password_reaches_the_api(self):
        login = self.ssh(WORLD.password)
        self.assert_no_session(login, methods="password,keyboard-interactive")
        # ssh asked for a password, not for a token; sshd gave it to pam_k6.
        self.assertEqual(login.prompts, ["%s@127.0.0.1's password: " % USER])
        (req,) = self.api.take_requests()
        self.assertEqual(dict(req["headers"])["Authorization"], "Bearer " + WORLD.password)
        self.outcome(login.logs, "denied", "HTTP 401")


    def test_the_session_line_with_the_password_method(self):
        # sshd runs the password method's authentication in its own process.
        login = self.ssh(self.GOOD)
        self.assert_session(login, method="password")
        self.assertEqual(session_lines("sshd", login.logs),
                         ["user=%s rhost=127.0.0.1 tty=ssh service=sshd by=token" % USER])
        self.assertNotIn("PAM_K6_AUTH", login.env)
        self.api_down()
        login = self.ssh(WORLD.password)
        self.assert_session(login, method="password")
        self.assertEqual(session_lines("sshd", login.logs),
                         ["user=%s rhost=127.0.0.1 tty=ssh service=sshd by=other k6=unreachable"
                          % USER])


class SudoRunner(SystemTestCase):
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

    def verdicts(self, logs):
        """The verdict of each pam_k6 outcome line.  After a failed try sudo
        asks again (passwd_tries), and meets the end of its input."""
        return [m.group(1) for m in (re.search(r"pam_k6\(%s:auth\): auth ([a-z ]+): "
                                               % self.SERVICE, line) for line in logs) if m]

    def env_of(self, stdout):
        return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


class Sudo(SudoRunner):
    """sudo with examples/pam.d/sudo."""

    def test_good_token_runs_the_command(self):
        proc, logs = self.sudo("sudo -S /usr/bin/id -u", self.GOOD + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr + "\n".join(logs))
        self.assertEqual(proc.stdout, "0\n")
        self.assertEqual(proc.stderr, PROMPT)
        self.assertEqual(len(self.api.take_requests()), 1)
        self.outcome(logs, "success", "user=%s" % USER, "stack_id=12345")
        self.show("sudo, a good token", [proc.stderr], logs)

    def test_the_session_line_says_how_sudo_went(self):
        # A token; then, on the timestamp it left, no authentication at all.
        proc, logs = self.sudo("sudo -S /usr/bin/env; sudo -S -n /usr/bin/true",
                               self.GOOD + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr + "\n".join(logs))
        self.assertNotIn("PAM_K6_AUTH", self.env_of(proc.stdout))
        self.assertEqual(session_lines("sudo", logs),
                         ["user=root ruser=%s service=sudo by=token" % USER,
                          "user=root ruser=%s service=sudo by=other k6=not-asked" % USER])
        self.api_down()
        proc, logs = self.sudo("sudo -S /usr/bin/true", "%s\n%s\n" % (self.GOOD, WORLD.password))
        self.assertEqual(proc.returncode, 0, proc.stderr + "\n".join(logs))
        self.assertEqual(session_lines("sudo", logs),
                         ["user=root ruser=%s service=sudo by=other k6=unreachable" % USER])
        self.assertEqual(len([line for line in logs if fallback_query().search(line)]), 1)

    def test_bad_token_ends_the_attempt(self):
        # A refused token ends this attempt: sudo asks for a token again,
        # never for the password.
        proc, logs = self.sudo("sudo -S /usr/bin/id -u; echo status=$?", BAD + "\n")
        self.assertEqual(proc.stdout, "status=1\n")
        self.assertTrue(proc.stderr.startswith(PROMPT + "Sorry, try again.\n" + PROMPT),
                        proc.stderr)
        self.assertNotIn("[sudo] password for", proc.stderr)
        self.assertEqual(len(self.api.take_requests()), 1)
        self.assertEqual(self.verdicts(logs), ["denied", "conversation failed"])
        self.outcome(self.outcome_lines(logs)[:1], "denied", "user=%s" % USER, "HTTP 401")
        self.show("sudo, a refused token", client=proc.stderr, logs=logs)

    def test_api_down_then_the_unix_password(self):
        self.api_down()
        proc, logs = self.sudo("sudo -S /usr/bin/id -u",
                               "%s\n%s\n" % (self.GOOD, WORLD.password))
        self.assertEqual(proc.returncode, 0, proc.stderr + "\n".join(logs))
        self.assertEqual(proc.stdout, "0\n")
        self.assertEqual(proc.stderr, PROMPT + "[sudo] password for %s: " % USER)

    def test_empty_answer_does_not_run_the_command(self):
        proc, logs = self.sudo("sudo -S /usr/bin/id -u; echo status=$?", "\n")
        self.assertEqual(proc.stdout, "status=1\n")
        self.assertEqual(self.api.take_requests(), [])
        self.assertEqual(self.verdicts(logs), ["not a token", "conversation failed"])
        self.outcome(self.outcome_lines(logs)[:1], "not a token", "user=%s" % USER)

    def test_configuration_error_leaves_the_password(self):
        self.configure(self.settings(["timout = 5"]))
        proc, logs = self.sudo("sudo -S /usr/bin/id -u", WORLD.password + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr + "\n".join(logs))
        self.assertEqual(proc.stderr, "[sudo] password for %s: " % USER)
        self.outcome(logs, "configuration error", "unknown option 'timout'")

    def test_module_not_installed_leaves_the_password(self):
        self.use_recipe(module=os.path.join(WORLD.tmp, "not-installed", "pam_k6.so"))
        proc, logs = self.sudo("sudo -S /usr/bin/id -u", WORLD.password + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr + "\n".join(logs))
        self.assertEqual(proc.stderr, "[sudo] password for %s: " % USER)

    def test_refused_tokens_close_the_token_path_not_the_password(self):
        deny = int(faillock_options("sudo")["deny"])
        for _ in range(deny):
            proc, _ = self.sudo("sudo -S /usr/bin/id -u; echo status=$?", BAD + "\n")
            self.assertEqual(proc.stdout, "status=1\n")
        self.assertEqual(len(self.api.take_requests()), deny)
        proc, logs = self.sudo("sudo -S /usr/bin/id -u", WORLD.password + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr + "\n".join(logs))
        self.assertEqual(proc.stderr, "[sudo] password for %s: " % USER)
        self.assertEqual(self.api.take_requests(), [])

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
        self.configure(self.settings(["export_token"]))
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
        self.api_down()
        proc, logs = self.sudo("sudo -S /usr/bin/id -u; echo status=$?", self.GOOD + "\n")
        self.assertEqual(proc.stdout, "status=1\n")
        self.outcome(logs, "api unavailable", "curl error 7")
        # sudo calls pam_authenticate with PAM_SILENT: the module's message
        # about the outage is for the log only here.
        self.assertNotIn(UNAVAILABLE_TEXT, proc.stderr)
        self.show("sudo, the API down", client=proc.stderr, logs=logs)

    def test_a_team_member_s_token_does_not_pass_another_s_sudo(self):
        # bob's token is good for the team's stack: by default it passes the
        # test user's sudo.  With a tokens file it is bob's alone.
        bob_token = "k6bobtoken0123456789abcdef012345"
        self.api.add_account(bob_token, self.STACK, 12345, 67890)
        self.secrets.add(bob_token)
        proc, _ = self.sudo("sudo -S /usr/bin/id -u", bob_token + "\n")
        self.assertEqual(proc.stdout, "0\n", proc.stderr)
        tokens = WORLD.path("pam_k6.tokens")
        write(tokens, "%s\n%s\n" % (tokens_line(USER, self.GOOD, "laptop"),
                                   tokens_line(BOB, bob_token)))
        self.configure(self.settings(["tokens = " + tokens]))
        self.api.take_requests()
        proc, logs = self.sudo("sudo -S /usr/bin/id -u; echo status=$?", bob_token + "\n")
        self.assertEqual(proc.stdout, "status=1\n")
        self.assertNotIn("[sudo] password for", proc.stderr)
        self.assertEqual(self.api.take_requests(), [], "a token not enrolled left the host")
        self.assertEqual(self.verdicts(logs), ["denied", "conversation failed"])
        self.outcome(self.outcome_lines(logs)[:1], "denied", "user=%s" % USER,
                     "the token matches none of the 1 line of the tokens file")
        self.show("sudo, a team member's token, tokens enrolled", client=proc.stderr, logs=logs)
        proc, logs = self.sudo("sudo -S /usr/bin/id -u", self.GOOD + "\n")
        self.assertEqual(proc.stdout, "0\n", proc.stderr)
        self.outcome(logs, "success", "user=%s" % USER, "tokens_line=1")

    def test_offline_window_is_not_for_sudo(self):
        # sudo runs PAM with the user's real uid: the user could stop it or
        # starve it, so a cached answer never stands in for the API here.
        api = StandIn(self.cert, self.key).start()
        api.add_account(self.GOOD, self.STACK, 12345, 67890)
        extra = ["offline_ttl = 3600", "cache_dir = " + WORLD.path("cache")]
        self.configure([line if not line.startswith("api_url") else "api_url = " + api.url
                        for line in self.settings(extra)])
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


class SudoI(SudoRunner):
    """sudo -i reads /etc/pam.d/sudo-i: examples/pam.d/sudo-i, the same
    block."""

    SERVICE = "sudo-i"

    def test_sudo_i_token_refused_token_and_the_password(self):
        proc, logs = self.sudo("sudo -S -i /usr/bin/id -u", self.GOOD + "\n")
        self.assertEqual(proc.returncode, 0, proc.stderr + "\n".join(logs))
        self.assertEqual(proc.stdout, "0\n")
        self.assertEqual(proc.stderr, PROMPT)
        self.assertEqual(self.verdicts(logs), ["success"])
        self.assertEqual(session_lines("sudo-i", logs),
                         ["user=root ruser=%s service=sudo-i by=token" % USER])
        # A refused token ends the attempt: sudo asks for a token again.
        proc, logs = self.sudo("sudo -S -i /usr/bin/id -u; echo status=$?", BAD + "\n")
        self.assertEqual(proc.stdout, "status=1\n")
        self.assertTrue(proc.stderr.startswith(PROMPT + "Sorry, try again.\n" + PROMPT),
                        proc.stderr)
        self.assertEqual(session_lines("sudo-i", logs), [])
        # The API down: the password decides.
        self.api_down()
        proc, logs = self.sudo("sudo -S -i /usr/bin/id -u",
                               "%s\n%s\n" % (self.GOOD, WORLD.password))
        self.assertEqual(proc.returncode, 0, proc.stderr + "\n".join(logs))
        self.assertEqual(proc.stdout, "0\n")
        self.assertEqual(self.verdicts(logs), ["api unavailable"])
        self.assertEqual(session_lines("sudo-i", logs),
                         ["user=root ruser=%s service=sudo-i by=other k6=unreachable" % USER])


class Slips(SystemTestCase):
    """Every number of the recipes' brackets off by one and by two, run
    through real libpam with the real modules (pam_unix with the account's
    password, pam_faillock, pam_succeed_if, pam_k6 against the stand-in):
    a variant opens when a login with no right secret succeeds, for any kind
    of caller; pam_k6ctl check must refuse exactly the variants that open.
    The shipped recipe opens on none; pam_k6 0.1.0's opened on five."""

    SERVICE = "sshd"
    WRONG = "wrong-" + secrets.token_hex(8)

    def variants(self, text):
        lines = text.split("\n")
        for i, line in enumerate(lines):
            m = re.match(r"^(\s*auth\s+\[)([^]]*)(\].*)$", line)
            if not m:
                continue
            for num in re.finditer(r"=(\d+)", m.group(2)):
                old = int(num.group(1))
                for new in (old - 2, old - 1, old + 1, old + 2):
                    if new < 0:
                        continue
                    inside = m.group(2)[:num.start(1)] + str(new) + m.group(2)[num.end(1):]
                    yield (i + 1, old, new, "\n".join(lines[:i] + [m.group(1) + inside +
                                                                  m.group(3)] + lines[i + 1:]))

    def service_text(self, text):
        """The variant as libpam reads it here: recipe()'s changes."""
        out = []
        for line in text.splitlines():
            if line.startswith("@include"):
                out.append(INCLUDES[line.split()[1]])
                continue
            if is_rule(line):
                line = re.sub(r"(?<=\s)pam_k6\.so(?=\s|$)", MODULE, line)
                if re.search(r"\spam_faillock\.so\s", line):
                    line += " nodelay"
            out.append(line)
        return "\n".join(out) + "\n"

    def login(self, confdir, user, answers):
        argv = [k6test.DRIVER, "-d", confdir]
        for answer in answers:
            argv += ["-a", answer]
        proc = subprocess.run(argv + ["slip", user], capture_output=True, text=True, timeout=60)
        m = re.search(r"^authenticate (\d+)", proc.stdout, re.M)
        self.assertIsNotNone(m, proc.stdout + proc.stderr)
        return int(m.group(1))

    def callers(self):
        """(who, how it is set up, user, answers): no answer is a right secret."""
        return (
            ("a member whose token is refused", lambda: None, USER, [BAD, self.WRONG]),
            ("a member while the API is down", self.api_down, USER, [self.GOOD, self.WRONG]),
            ("a member whose token path is locked", lambda: lock_token_path(USER), USER,
             [BAD, self.WRONG]),
            ("an account not in k6users", lambda: WORLD.set_k6users([]), USER,
             [BAD, self.WRONG]),
            ("root", lambda: None, "root", [BAD, self.WRONG]),
            ("no such account", lambda: None, NOBODY, [BAD, self.WRONG]),
        )

    def opens(self, confdir):
        opened = []
        for who, setup, user, answers in self.callers():
            self.configure()
            WORLD.set_k6users([USER])
            clear_tallies()
            setup()
            if self.login(confdir, user, answers) == 0:
                opened.append(who)
        self.configure()
        WORLD.set_k6users([USER])
        clear_tallies()
        return opened

    def check(self, path):
        run = subprocess.run([k6test.CTL, "check", "--service-file", path, "--service", "sshd"],
                             capture_output=True, text=True, timeout=60)
        return run.returncode, "PAM_SUCCESS with no secret checked" in run.stderr

    def slip_verdicts(self, text):
        confdir = WORLD.path("slips")
        os.makedirs(confdir, exist_ok=True)
        path = os.path.join(confdir, "slip")
        found = []
        for line, old, new, variant in self.variants(text):
            write(path, self.service_text(variant))
            opened = self.opens(confdir)
            rc, refused = self.check(path)
            with self.subTest(line=line, old=old, new=new, opened=opened):
                self.assertEqual(refused, bool(opened))
                if refused:
                    self.assertEqual(rc, 2)
            found.append((line, old, new, opened))
        return found

    def test_no_slip_opens_the_shipped_recipe(self):
        found = self.slip_verdicts(example("sshd"))
        self.assertEqual(len(found), 20)
        self.assertEqual([f for f in found if f[3]], [])

    def test_five_slips_opened_the_old_recipe_and_check_refuses_them(self):
        with open(os.path.join(k6test.SRCDIR, "tests", "pamd", "sshd-0.1.0")) as f:
            found = self.slip_verdicts(f.read())
        self.assertEqual(len(found), 15)
        self.assertEqual(sorted((line, old, new) for line, old, new, opened in found if opened),
                         [(24, 4, 3), (24, 4, 6), (33, 3, 5), (40, 2, 1), (40, 2, 4)])

    def test_the_recipe_itself_lets_nobody_in_without_a_secret(self):
        confdir = WORLD.path("slips")
        os.makedirs(confdir, exist_ok=True)
        write(os.path.join(confdir, "slip"), self.service_text(example("sshd")))
        self.assertEqual(self.opens(confdir), [])
        # And the right secrets do pass: the harness can see an opening.
        self.assertEqual(self.login(confdir, USER, [self.GOOD]), 0)
        WORLD.set_k6users([])
        self.assertEqual(self.login(confdir, USER, [WORLD.password]), 0)


class SshdConfig(unittest.TestCase):
    """What sshd makes of the drop-in beside others, as sshd -T prints it."""

    def effective(self, drop_ins):
        """sshd -T for a main file like Debian's: the drop-in folder first,
        then the main file's own lines."""
        folder = tempfile.mkdtemp(dir=WORLD.tmp)
        os.mkdir(os.path.join(folder, "sshd_config.d"))
        for name, text in drop_ins.items():
            write(os.path.join(folder, "sshd_config.d", name), text)
        host_key = os.path.join(folder, "host_key")
        run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key)
        main = os.path.join(folder, "sshd_config")
        write(main, DEBIAN_SSHD_CONFIG % {"folder": folder, "host_key": host_key})
        proc = subprocess.run([shutil.which("sshd", path=SBIN_PATH), "-T", "-f", main],
                              capture_output=True, text=True, env={"PATH": SBIN_PATH},
                              timeout=WAIT)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)

    def test_drop_in_wins_over_cloud_init(self):
        with open(DROP_IN) as f:
            ours = f.read()
        seen = self.effective({os.path.basename(DROP_IN): ours,
                               "50-cloud-init.conf": "PasswordAuthentication yes\n"})
        self.assertEqual(seen["usepam"], "yes")
        self.assertEqual(seen["kbdinteractiveauthentication"], "yes")
        self.assertEqual(seen["passwordauthentication"], "no")
        # The same lines under a name that sorts after cloud-init's lose.
        seen = self.effective({"k6.conf": ours,
                               "50-cloud-init.conf": "PasswordAuthentication yes\n"})
        self.assertEqual(seen["passwordauthentication"], "yes")


SSHD_CONFIG = """\
# Only what the test needs; nothing from /etc/ssh is read.  The shipped
# drop-in comes first, as it does on a host, where its name sorts first.
%(first)sInclude %(drop_in)s
ListenAddress 127.0.0.1:%(port)d
HostKey %(host_key)s
PidFile %(pid_file)s
%(extra)sHostbasedAuthentication no
PermitRootLogin yes
UseDNS no
LoginGraceTime 30
PrintMotd no
Subsystem sftp internal-sftp
"""

# The lines of Debian 12's /etc/ssh/sshd_config that are not comments, its
# folder of drop-ins in a place of the test's own.
DEBIAN_SSHD_CONFIG = """\
Include %(folder)s/sshd_config.d/*.conf
HostKey %(host_key)s
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
"""

SSH_CONFIG = """\
Host *
  %(extra)s
  UserKnownHostsFile %(known_hosts)s
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  CheckHostIP no
  UpdateHostKeys no
  KbdInteractiveAuthentication yes
  PasswordAuthentication no
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
