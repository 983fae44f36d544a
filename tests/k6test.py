# SPDX-License-Identifier: MIT
"""Shared pieces of pam_k6's end-to-end tests.

Real libpam runs the freshly built module: tests/pam_driver is a small PAM
application, pam_wrapper points it at a private service folder (nothing in
/etc/pam.d is read or written) and shows pam_syslog lines on stderr,
nss_wrapper gives it a private set of users.  The API is the stand-in in
stand_in.py, serving HTTPS on 127.0.0.1 with a CA made for the run.
"""

import contextlib
import ctypes
import fcntl
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from stand_in import StandIn  # noqa: E402

SRCDIR = os.environ.get("K6_TEST_SRCDIR", os.path.dirname(HERE))
MODULE = os.environ.get("K6_TEST_MODULE",
                        os.path.join(SRCDIR, "tests", "intree", ".libs", "pam_k6.so"))
# The network part the tests' module loads (see late.h), and the module as installed.
NET_PART = os.environ.get("K6_TEST_NET_PART", os.path.join(SRCDIR, ".libs", "pam_k6_net.so"))
HASH_PART = os.environ.get("K6_TEST_HASH_PART", os.path.join(SRCDIR, ".libs", "pam_k6_hash.so"))
INSTALLED_MODULE = os.environ.get("K6_TEST_INSTALLED_MODULE",
                                  os.path.join(SRCDIR, ".libs", "pam_k6.so"))
DRIVER = os.environ.get("K6_TEST_DRIVER", os.path.join(SRCDIR, "tests", "pam_driver"))
CTL = os.environ.get("K6_TEST_CTL", os.path.join(SRCDIR, "tests", "intree", "pam_k6ctl"))
# pam_k6ctl as it is installed: it knows $(pammoddir)/pam_k6.so as the module.
INSTALLED_CTL = os.environ.get("K6_TEST_INSTALLED_CTL", os.path.join(SRCDIR, "pam_k6ctl"))
VERSION = os.environ.get("K6_TEST_VERSION", "")
SANITIZED = os.environ.get("K6_TEST_SANITIZED", "")

PAM_SUCCESS = 0
PAM_SERVICE_ERR = 3
PAM_SYSTEM_ERR = 4
PAM_BUF_ERR = 5
PAM_AUTH_ERR = 7
PAM_AUTHINFO_UNAVAIL = 9
PAM_USER_UNKNOWN = 10
PAM_CONV_ERR = 19
PAM_INCOMPLETE = 31

SKIP = 77

# Users that exist for the module under test (nss_wrapper).
PASSWD = """\
root:x:0:0:root:/root:/bin/sh
alice:x:1000:1000:Alice:/home/alice:/bin/sh
bob:x:1001:1001:Bob:/home/bob:/bin/sh
carol:x:1002:1002:Carol:/home/carol:/bin/sh
dave:x:1003:1003:Dave:/home/dave:/bin/sh
"""
GROUP = """\
root:x:0:
alice:x:1000:
bob:x:1001:
carol:x:1002:
dave:x:1003:
loadtest:x:2000:alice,bob
k6users:x:2001:alice
"""

PRELOADS = ("libpam_wrapper.so", "libnss_wrapper.so")
PAM_WRAPPER_MODULES = "/usr/lib/%s/pam_wrapper" % (
    subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout.strip()
    if shutil.which("gcc") else "")


# pam_wrapper picks its scratch folder /tmp/pam.X by a check-then-create
# that two processes can win at once, and then share one folder (and one
# service file).  Test processes that run side by side (make -j) take turns.
WRAPPER_LOCK = "/tmp/pam_k6-tests-pam_wrapper.lock"


@contextlib.contextmanager
def wrapper_turn():
    with open(WRAPPER_LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def part_readable_by_others():
    """Whether a process of another user can load the network part: every
    folder above it open to others, the file readable by them."""
    if not os.stat(NET_PART).st_mode & 0o004:
        return False
    folder = os.path.dirname(NET_PART)
    while True:
        if not os.stat(folder).st_mode & 0o001:
            return False
        if folder == "/":
            return True
        folder = os.path.dirname(folder)


def skip_unless_ready():
    """Exit 77 (automake's "skipped") when the test tools are missing."""
    missing = []
    for lib in PRELOADS:
        try:
            ctypes.CDLL(lib)
        except OSError:
            missing.append(lib)
    if not shutil.which("openssl"):
        missing.append("openssl")
    for path in (MODULE, DRIVER):
        if not os.path.exists(path):
            missing.append(path)
    if missing:
        sys.stderr.write("SKIP: missing %s (install libpam-wrapper libnss-wrapper openssl;"
                         " run through make check)\n" % ", ".join(missing))
        sys.exit(SKIP)


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Pki:
    """Throw-away certificate authorities and server certificates."""

    def __init__(self, directory):
        self.dir = directory

    def path(self, name):
        return os.path.join(self.dir, name)

    def ca(self, name):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", name + ".key", "-out", name + ".pem", "-days", "2",
                "-subj", "/CN=pam_k6 test CA %s" % name,
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=self.dir)
        return self.path(name + ".pem")

    def server(self, name, ca, hosts=("IP:127.0.0.1", "DNS:localhost", "DNS:api.k6.io"),
               expired=False):
        """A server certificate signed by ca; with expired, one whose days
        of validity ended in 2020."""
        openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name,
                cwd=self.dir)
        with open(self.path(name + ".ext"), "w") as f:
            f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                    "subjectAltName=%s\n" % ",".join(hosts))
        if expired:
            self.sign_dated(name, ca, "20200101000000Z", "20200102000000Z")
        else:
            openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey",
                    ca + ".key", "-CAcreateserial", "-days", "2", "-extfile", name + ".ext",
                    "-out", name + ".pem", cwd=self.dir)
        return self.path(name + ".pem"), self.path(name + ".key")

    def sign_dated(self, name, ca, start, end):
        """openssl x509 cannot date a certificate in the past; openssl ca can."""
        db = self.path(name + ".db")
        os.makedirs(db, exist_ok=True)
        open(os.path.join(db, "index.txt"), "w").close()
        with open(os.path.join(db, "serial"), "w") as f:
            f.write("01\n")
        with open(os.path.join(db, "ca.cnf"), "w") as f:
            f.write("[ca]\ndefault_ca = test\n[test]\ndatabase = %(db)s/index.txt\n"
                    "new_certs_dir = %(db)s\nserial = %(db)s/serial\ndefault_md = sha256\n"
                    "policy = any\n[any]\ncommonName = supplied\n" % {"db": db})
        openssl("ca", "-batch", "-config", os.path.join(db, "ca.cnf"), "-cert", ca + ".pem",
                "-keyfile", ca + ".key", "-in", name + ".csr", "-out", name + ".pem",
                "-startdate", start, "-enddate", end, "-extfile", name + ".ext", "-notext",
                cwd=self.dir)


class Result:
    """What one run of the driver showed."""

    def __init__(self, stdout, stderr, returncode):
        self.stdout = stdout
        self.stderr = stderr
        self.returncode = returncode
        self.codes = []      # [(operation, code)]
        self.prompts = []    # [(style, text)]
        self.errors = []     # PAM_ERROR_MSG texts
        self.infos = []
        self.env = {}
        self.delays = []     # fail delays requested, in microseconds
        self.rss = {}        # round -> resident KiB (driver -M)
        self.maxrss = None
        self.alarm = {}      # driver -T: armed, remaining_ms, fired, after_ms
        self.auth_seconds = []  # driver -m: how long each round's pam_authenticate took
        self.mapped = {}  # driver -L: library -> whether the process has it mapped
        for line in stdout.splitlines():
            kind, _, rest = line.partition(" ")
            if kind in ("authenticate", "setcred", "start"):
                self.codes.append((kind, int(rest.split()[0])))
            elif kind.startswith("prompt_"):
                self.prompts.append((kind[len("prompt_"):], unquote(rest)))
            elif kind == "error":
                self.errors.append(unquote(rest))
            elif kind == "info":
                self.infos.append(unquote(rest))
            elif kind == "env":
                name, _, value = rest.partition("=")
                self.env[name] = value
            elif kind == "fail_delay":
                self.delays.append(int(rest.split()[1]))
            elif kind == "mapped":
                name, _, value = rest.partition("=")
                self.mapped[name] = value == "1"
            elif kind == "time":
                fields = dict(f.split("=", 1) for f in rest.split() if "=" in f)
                self.auth_seconds.append(float(fields["auth_us"]) / 1e6)
            elif kind in ("rss", "maxrss", "alarm"):
                fields = dict(f.split("=", 1) for f in rest.split() if "=" in f)
                if kind == "rss":
                    self.rss[int(fields["round"])] = int(fields["kib"])
                elif kind == "maxrss":
                    self.maxrss = int(fields["kib"])
                else:
                    self.alarm.update(fields)
                    if rest.startswith("armed"):
                        self.alarm["armed"] = rest.split()[1]
        # pam_wrapper's rendering of pam_syslog: "... - SYSLOG(5): text"
        self.logs = [(int(m.group(1)), m.group(2))
                     for m in re.finditer(r"SYSLOG\((\d+)\): (.*)", stderr)]

    def auths(self):
        return [code for op, code in self.codes if op == "authenticate"]

    @property
    def auth(self):
        for op, code in self.codes:
            if op == "authenticate":
                return code
        return None

    def k6_env(self):
        return {k: v for k, v in self.env.items() if k.startswith("K6_")}

    def log_text(self):
        return "\n".join(text for _, text in self.logs)

    def outcome_lines(self):
        return [text for _, text in self.logs if text.startswith("auth ")]


def driver_unescape(s):
    """What the driver makes of an -a answer: \\r \\n \\t \\b \\\\ \\xHH decoded."""
    singles = {"r": "\r", "n": "\n", "t": "\t", "b": "\b", "\\": "\\"}

    def one(m):
        if m.group(1) in singles:
            return singles[m.group(1)]
        return chr(int(m.group(2), 16))
    return re.sub(r"\\(?:([rntb\\])|x([0-9a-fA-F]{2}))", one, s)


# pam_k6ctl's exit status for the PAM code the module returns.
CTL_EXIT = {PAM_SUCCESS: 0, PAM_AUTH_ERR: 1, PAM_USER_UNKNOWN: 1, PAM_SERVICE_ERR: 2,
            PAM_AUTHINFO_UNAVAIL: 3}


class Syslog:
    """A socket that keeps what a syslog daemon would be sent."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.path = path
        self.lines = []
        self.lock = threading.Lock()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            with self.lock:
                self.lines.append(data.decode("utf-8", "replace").rstrip("\n\0"))

    def take(self):
        """Every line so far, after a marker of our own has come through."""
        marker = "pam_k6-test-mark-%d" % time.monotonic_ns()
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(marker.encode(), self.path)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with self.lock:
                if marker in self.lines:
                    taken = self.lines[:self.lines.index(marker)]
                    self.lines = []
                    return taken
            time.sleep(0.01)
        raise RuntimeError("the test's syslog socket stopped reading")

    def close(self):
        self.sock.close()


class CtlRun:
    """What one run of pam_k6ctl showed."""

    def __init__(self, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr

    def rows(self, label):
        """The values of the output's rows that start with label."""
        return [line.split(None, 1)[1] if len(line.split(None, 1)) > 1 else ""
                for line in self.stdout.splitlines() if line.split()[:1] == [label]]


def unquote(s):
    s = s.strip()
    if s.startswith('"') and s.endswith('"'):
        s = s[1:-1]
    return re.sub(r"\\x([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), s)


def token_pieces(token, width=8):
    """Every 8-byte piece of a secret: none may appear in a log."""
    if len(token) <= width:
        return {token} if token else set()
    return {token[i:i + width] for i in range(len(token) - width + 1)}


class PamTestCase(unittest.TestCase):
    """One stand-in and one private PAM world for a whole test class."""

    GOOD = "k6good0123456789abcdef0123456789"
    OTHER_STACK = "k6other123456789abcdef0123456789"
    STACK = "https://alpha.grafana.net"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="pam_k6-test.")
        cls.pki = Pki(cls.tmp)
        cls.ca = cls.pki.ca("ca")
        cls.cert, cls.key = cls.pki.server("server", "ca")
        cls.services = os.path.join(cls.tmp, "pam.d")
        os.mkdir(cls.services)
        # libpam falls back to "other" for a missing service: deny, as a host would.
        with open(os.path.join(cls.services, "other"), "w") as f:
            f.write("auth required pam_deny.so\naccount required pam_deny.so\n")
        for name, text in (("passwd", PASSWD), ("group", GROUP)):
            with open(os.path.join(cls.tmp, name), "w") as f:
                f.write(text)
        cls.api = StandIn(cls.cert, cls.key).start()
        cls.api.add_account(cls.GOOD, cls.STACK, 12345, 67890)
        cls.api.add_account(cls.OTHER_STACK, "https://beta.grafana.net", 222, 333)
        cls.secrets = {cls.GOOD, cls.OTHER_STACK}

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.api.take_requests()

    def base_args(self):
        """Module arguments that point at the stand-in."""
        return ["stack_url=alpha", "api_url=" + self.api.url, "ca_file=" + self.ca,
                "nodelay", "timeout=5", "connect_timeout=2"]

    def service(self, lines, name="k6test"):
        """Write a service file; lines are full pam.d lines."""
        with open(os.path.join(self.services, name), "w") as f:
            f.write("\n".join(lines) + "\n")
        return name

    def module_line(self, args=None, control="required", extra=()):
        args = self.base_args() if args is None else args
        return " ".join(["auth", control, MODULE] + list(args) + list(extra))

    def run_driver(self, service, user="alice", answers=(), options=(), env=None,
                   secrets=(), timeout=60, prefix=(), driver=DRIVER, preexec_fn=None):
        """Run the driver; prefix wraps it (unshare, valgrind), preexec_fn runs
        in the child before it (resource limits)."""
        argv = list(prefix) + [driver]
        for answer in answers:
            argv += ["-a", answer]
        argv += list(options) + [service, user]
        run_env = dict(os.environ)
        run_env.update(self.wrapper_env())
        run_env.update(env or {})
        with wrapper_turn():
            start = time.monotonic()
            proc = subprocess.run(argv, capture_output=True, timeout=timeout, env=run_env,
                                  preexec_fn=preexec_fn)
            elapsed = time.monotonic() - start
        result = Result(proc.stdout.decode("utf-8", "replace"),
                        proc.stderr.decode("utf-8", "replace"), proc.returncode)
        result.elapsed = elapsed  # the driver's own time, not the wait for a turn
        self.assert_driver_healthy(result)
        self.assert_no_secret_in_logs(result, set(secrets) | self.secrets)
        self.assert_no_secret_in_env(result, set(secrets) | self.secrets, service)
        return result

    def run_ctl(self, *argv, stdin="", env=None, prefix=(), secrets=(), timeout=60, ctl=None):
        """Run pam_k6ctl with the tests' users (nss_wrapper), never a PAM
        wrapper: it does not use libpam.  No piece of a secret may show.
        ctl: INSTALLED_CTL, say; by default CTL, the tests' build
        (tests/intree/pam_k6ctl, which knows the build's module as the
        installed one)."""
        run_env = dict(os.environ)
        run_env.update({
            "LD_PRELOAD": "libnss_wrapper.so",
            "NSS_WRAPPER_PASSWD": os.path.join(self.tmp, "passwd"),
            "NSS_WRAPPER_GROUP": os.path.join(self.tmp, "group"),
            **({"NSS_WRAPPER_DISABLE_DEEPBIND": "1"} if SANITIZED else {}),
        })
        run_env.update(env or {})
        # CTL when the call is made: test_installed.py points it elsewhere.
        proc = subprocess.run(list(prefix) + [ctl or CTL] + list(argv), input=stdin, text=True,
                              capture_output=True, env=run_env, timeout=timeout)
        run = CtlRun(proc)
        self.assertIn(run.returncode, (0, 1, 2, 3, 4, 5),
                      "pam_k6ctl ended with %d:\n%s" % (run.returncode, run.stderr[-3000:]))
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            self.assertNotIn(marker, run.stderr)
        shown = run.stdout + run.stderr
        for secret in set(secrets) | self.secrets:
            for piece in token_pieces(secret):
                self.assertNotIn(piece, shown, "a piece of a secret reached pam_k6ctl's output")
        return run

    def assert_ctl_agrees(self, result, answer, args, user="alice", env=None, prefix=(),
                          secrets=()):
        """pam_k6ctl test, given the same arguments and answer, says what the
        module said: the exit status that stands for its PAM code."""
        answer = driver_unescape(answer)
        run = self.run_ctl("test", user, "--", *args, stdin=answer + "\n", env=env,
                           prefix=prefix, secrets=secrets)
        self.assertEqual(run.returncode, CTL_EXIT.get(result.auth, 4),
                         "the module returned %d; pam_k6ctl test:\n%s%s"
                         % (result.auth, run.stdout, run.stderr))
        return run

    def assert_driver_healthy(self, result):
        """The caller survived: no signal, no sanitizer report."""
        self.assertIn(result.returncode, (0, 1),
                      "driver ended with %d:\n%s" % (result.returncode, result.stderr[-3000:]))
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "WARNING: ThreadSanitizer"):
            self.assertNotIn(marker, result.stderr)

    def assert_no_secret_in_env(self, result, secrets, service):
        """Only export_token (on the service's lines, or in a configuration
        file they name) puts the token in the environment."""
        with open(os.path.join(self.services, service)) as f:
            text = f.read()
        for conf in re.findall(r"\bconf=(\S+)", text):
            if os.path.exists(conf):
                with open(conf) as f:
                    text += f.read()
        if re.search(r"\bexport_token\b(?!=no)", text):
            return
        for name, value in result.env.items():
            if name == "PAM_AUTHTOK":
                continue  # pam_get_items shows other modules' items on purpose
            for secret in secrets:
                self.assertNotIn(secret, value, "%s carries a secret" % name)

    def wrapper_env(self):
        """The environment that puts a program in the tests' private PAM world."""
        return {
            "LD_PRELOAD": ":".join(PRELOADS),
            "PAM_WRAPPER": "1",
            "PAM_WRAPPER_SERVICE_DIR": self.services,
            # 2 shows every pam_syslog line; 3 would also trace item values.
            "PAM_WRAPPER_DEBUGLEVEL": "2",
            "NSS_WRAPPER_PASSWD": os.path.join(self.tmp, "passwd"),
            "NSS_WRAPPER_GROUP": os.path.join(self.tmp, "group"),
            # pam_wrapper (which reads uid_wrapper's name for it) and
            # nss_wrapper dlopen with RTLD_DEEPBIND, which the sanitizer
            # runtimes refuse; only sanitizer builds turn it off.
            **({"UID_WRAPPER_DISABLE_DEEPBIND": "1", "NSS_WRAPPER_DISABLE_DEEPBIND": "1"}
               if SANITIZED else {}),
        }

    def authenticate(self, answers=(), args=None, user="alice", extra=(), **kw):
        """Run a one-module service: the usual shape of a test."""
        name = self.service([self.module_line(args, extra=extra)])
        return self.run_driver(name, user=user, answers=answers, **kw)

    def assert_no_secret_in_logs(self, result, secrets):
        logs = result.log_text()
        for secret in secrets:
            for piece in token_pieces(secret):
                if piece in logs:
                    self.fail("a piece of a secret (%r) reached the log:\n%s" % (piece, logs))

    def assert_outcome(self, result, label, *fragments):
        """Exactly one outcome line, with the verdict and every fragment."""
        lines = result.outcome_lines()
        self.assertEqual(len(lines), 1, "want one outcome line, got:\n%s" % result.stderr)
        self.assertTrue(lines[0].startswith("auth %s:" % label),
                        "outcome %r is not %r" % (lines[0], label))
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        return lines[0]


# A skip in setUpClass stands for a whole class and runs none of its tests:
# "all skipped" is told by counting the passes, not the skips.
class _CountingResult(unittest.TextTestResult):
    passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


class _Runner(unittest.TextTestRunner):
    resultclass = _CountingResult


def run_tests():
    """Run the tests of the calling file and exit as automake's harness reads
    it: 1 on any failure, 77 when tests were skipped and none passed, else 0.
    K6_TEST_FILTER names a subset (Class.test ...)."""
    argv = sys.argv + os.environ.get("K6_TEST_FILTER", "").split()
    result = unittest.main(verbosity=2, argv=argv, testRunner=_Runner, exit=False).result
    if not result.wasSuccessful():
        sys.exit(1)
    sys.exit(SKIP if result.skipped and result.passed == 0 else 0)


def main():
    """Run the tests of a file that uses the PAM test world."""
    skip_unless_ready()
    run_tests()
