#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Who may open the offline window, and what opens it.

With offline_ttl, a cached answer stands in when the API cannot be reached.
Whoever controls the calling process must not be able to make a working API
look unreachable: a caller whose real user is not root (sudo, su, any
set-user-ID program) never gets the window, and a failure in the process
itself (descriptors, memory) or any HTTP answer never opens it for anyone.
Through proxy=, only a proxy that cannot be reached opens it: whatever the
proxy answers, or does once it took the connection, does not.

The set-user-ID caller is the real thing: a root-owned mode 4755 copy of
tests/pam_driver, run as nobody (uid 65534).  It ignores LD_PRELOAD, so
pam_wrapper cannot be used: the driver reads its service with
pam_start_confdir (-d), the PAM user is the machine's own nobody, and its
syslog lines reach a socket of the test's, bound over /dev/log in a mount
namespace of the driver's own.  Those tests need root, setpriv, unshare and
mount, and skip without them.
"""

import errno
import os
import re
import resource
import shutil
import socket
import subprocess
import threading
import time

import k6test
from k6test import (PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS, PamTestCase, Result)
from stand_in import ConnectProxy, StandIn, error_body

TOKEN = "k6offline0123456789abcdef0123456"
TIMEOUT = 2  # seconds, the whole request
NOBODY = 65534
WINDOW_NOTE = "the offline window is not used for a caller whose real user is not root"
# Descriptor limits from "too few to start" to "enough for a request".
LOW_LIMITS = range(4, 17)
# pam_wrapper itself needs six.
ROOT_LOW_LIMITS = range(6, 17)
LOCAL_NOTE = "failed here, not on the network"


def revoked_after(seconds):
    """An answer for StandIn.add_raw: the API's 401, seconds late."""
    def answer(handler):
        time.sleep(seconds)
        try:
            handler.respond(401, error_body("Invalid token or authentication scheme."))
        except OSError:
            pass
    return answer


def revoked_once(arrived, stopped):
    """The API's 401 at once, but only after arrived (an Event) has been set
    and stopped has been."""
    def answer(handler):
        arrived.set()
        stopped.wait(30)
        try:
            handler.respond(401, error_body("Invalid token or authentication scheme."))
        except OSError:
            pass
    return answer


class Window(PamTestCase):
    """Shared set-up: a private API per test, and the cache in the class folder."""

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("the cache is root's: run as root")
        self.dir = os.path.join(self.tmp, "cache-%s" % self._testMethodName)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.secrets.add(TOKEN)
        self.priv = StandIn(self.cert, self.key).start()
        self.addCleanup(self.priv.stop)
        self.priv.add_account(TOKEN, self.STACK, 12345, 67890)

    def args(self, api_url=None, cache_ttl=0, offline_ttl=3600, timeout=TIMEOUT):
        return ["stack_url=alpha", "api_url=" + (api_url or self.priv.url),
                "ca_file=" + self.ca, "nodelay", "debug", "timeout=%d" % timeout,
                "connect_timeout=1", "cache_dir=" + self.dir, "cache_ttl=%d" % cache_ttl,
                "offline_ttl=%d" % offline_ttl]

    def revoke(self, answer=None):
        """The API now refuses the token: 401, or what answer writes."""
        del self.priv.accounts[TOKEN]
        if answer is not None:
            self.priv.add_raw(TOKEN, answer)

    def assert_no_offline_answer(self, r, *fragments):
        """Refused, nothing exported, and the cache did not answer."""
        self.assertIsNotNone(r.auth, r.stdout + r.stderr[-2000:])
        self.assertNotEqual(r.auth, PAM_SUCCESS, r.stdout + r.log_text())
        self.assertEqual(r.k6_env(), {})
        self.assertNotIn("cache=offline", r.log_text())
        text = r.log_text()
        for fragment in fragments:
            self.assertIn(fragment, text)


def nofile(n):
    """A preexec_fn: at most n descriptors."""
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))


class RootCaller(Window):
    """The usual driver under pam_wrapper, run by root."""

    def login(self, args=None, **kw):
        return self.authenticate([TOKEN], args=args or self.args(), **kw)

    def cached(self, args=None, **kw):
        """A login online: the answer is cached."""
        self.priv.take_requests()
        r = self.login(args, **kw)
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
        self.assertEqual(len(self.priv.take_requests()), 1)

    def starved(self, n, args=None, **kw):
        """A login with at most n descriptors.  pam_wrapper needs a few to
        start; a driver that could not start is no success either."""
        r = self.authenticate([TOKEN], args=args or self.args(), preexec_fn=nofile(n), **kw)
        self.assertNotEqual(r.auth, PAM_SUCCESS, r.log_text())
        self.assertEqual(r.k6_env(), {})
        self.assertNotIn("cache=offline", r.log_text())
        return r

    def assert_seen_here(self, results):
        """Some of the starved logins did fail for want of descriptors."""
        self.assertTrue(any(LOCAL_NOTE in r.log_text() for r in results),
                        "no login got far enough to fail here:\n" +
                        "\n".join(r.log_text() for r in results))

    def test_silent_api_root_gets_the_window(self):
        # The API accepts the connection and never answers: a timeout seen
        # on the network.  A root caller (sshd) gets the offline answer, as
        # documented; the same after a refused connection.
        self.cached()
        self.priv.add_raw(TOKEN, lambda handler: time.sleep(TIMEOUT + 2))
        r = self.login()
        self.assertEqual(r.auth, PAM_SUCCESS, r.log_text())
        self.assertEqual(r.env.get("K6_CLOUD_STACK_ID"), "12345")
        self.assert_outcome(r, "success", "cache=offline", "curl error 28", "timed out")

    def test_429_never_opens_the_window(self):
        self.cached()
        self.priv.add_canned(TOKEN, 429, error_body("Slow down", "throttled"),
                             [("Retry-After", "30")])
        r = self.login()
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        self.assert_no_offline_answer(r)
        self.assert_outcome(r, "api unavailable", "HTTP 429")
        # The record is still there: a refused connection opens the window.
        self.priv.stop()
        r = self.login()
        self.assertEqual(r.auth, PAM_SUCCESS, r.log_text())
        self.assert_outcome(r, "success", "cache=offline", "curl error 7")

    def test_starved_token_revoked(self):
        """The token is cached and revoked; the caller has too few
        descriptors to ask: the failure is not an outage."""
        results = []
        for n in ROOT_LOW_LIMITS:
            with self.subTest(nofile=n):
                # Made again each time: a 401 that got through deletes it.
                self.priv.add_account(TOKEN, self.STACK, 12345, 67890)
                self.cached()
                self.revoke()
                results.append(self.starved(n))
        self.assert_seen_here(results)

    def test_starved_api_down(self):
        """The API is down too, but this caller cannot even tell."""
        self.cached()
        self.priv.stop()
        results = [self.starved(n) for n in ROOT_LOW_LIMITS]
        self.assert_seen_here(results)
        # With room to spare, the refused connection does open the window.
        r = self.authenticate([TOKEN], args=self.args(), preexec_fn=nofile(256))
        self.assertEqual(r.auth, PAM_SUCCESS, r.log_text())
        self.assert_outcome(r, "success", "cache=offline", "curl error 7")

    def test_socket_and_connect_errors(self):
        """Errno by errno: a socket that cannot be opened, or a connect that
        fails here, is no outage; a connect the network fails is one."""
        shim = os.environ.get("K6_TEST_FAIL_SOCKET", "")
        if not os.path.exists(shim):
            self.skipTest("tests/.libs/libfail_socket.so not built; run through make check")
        local = [("K6_TEST_SOCKET_ERRNO", e) for e in
                 (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.EACCES)]
        local += [("K6_TEST_CONNECT_ERRNO", e) for e in
                  (errno.EADDRNOTAVAIL, errno.EACCES, errno.EPERM, errno.ENOBUFS)]
        network = [("K6_TEST_CONNECT_ERRNO", e) for e in
                   (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH,
                    errno.ECONNRESET, errno.ETIMEDOUT)]
        self.cached()
        for name, number in local + network:
            with self.subTest(failing=name, errno=errno.errorcode[number]):
                env = {"LD_PRELOAD": ":".join((shim,) + k6test.PRELOADS), name: str(number)}
                r = self.login(env=env)
                if (name, number) in network:
                    self.assertEqual(r.auth, PAM_SUCCESS, r.log_text())
                    # curl says 28 for ETIMEDOUT, 7 for the rest.
                    self.assert_outcome(r, "success", "cache=offline", "could not be reached")
                else:
                    self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL, r.log_text())
                    self.assert_no_offline_answer(r)
                    self.assert_outcome(r, "api unavailable", "curl error 7", LOCAL_NOTE,
                                        os.strerror(number))
        self.assertEqual(self.priv.take_requests(), [], "a request got through")

    def test_a_certificate_that_no_longer_verifies_never_opens_it(self):
        """The same ca_file, so the same record; the API's certificate no
        longer verifies against it (signed by another CA, expired, for
        another host).  Something answered at the API's address: never the
        offline window.  (A change of ca_file or pin names another record.)"""
        self.cached()
        self.revoke()
        self.priv.stop()
        self.pki.ca("other-ca")
        certs = (("another CA",) + self.pki.server("other-ca-server", "other-ca"),
                 ("expired",) + self.pki.server("expired-server", "ca", expired=True),
                 ("another host",) + self.pki.server("other-host-server", "ca",
                                                     hosts=("DNS:elsewhere.example",)))
        for what, cert, key in certs:
            with self.subTest(what):
                api = StandIn(cert, key, port=self.priv.port).start()
                try:
                    r = self.login()
                finally:
                    api.stop()
                self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL, r.log_text())
                self.assert_no_offline_answer(r)
                self.assert_outcome(r, "api unavailable", "curl error 60")
        # The record is there: with nothing at the address, it answers.
        r = self.login()
        self.assertEqual(r.auth, PAM_SUCCESS, r.log_text())
        self.assert_outcome(r, "success", "cache=offline", "curl error 7")

    def hosts(self, text):
        path = os.path.join(self.tmp, "hosts-%s" % self._testMethodName)
        with open(path, "w") as f:
            f.write(text)
        return {"NSS_WRAPPER_HOSTS": path}

    def test_resolver_starved(self):
        """A name that does not resolve opens the window; the resolver's
        failure for want of descriptors ("could not resolve host", its errno
        lost in libcurl's resolver thread) does not."""
        args = self.args("https://api.k6.io:%d" % self.priv.port)
        known = self.hosts("127.0.0.1 api.k6.io\n")
        self.cached(args, env=known)
        r = self.login(args, env=self.hosts("127.0.0.2 elsewhere.example\n"))
        self.assertEqual(r.auth, PAM_SUCCESS, r.log_text())
        self.assert_outcome(r, "success", "cache=offline", "curl error 6")
        self.priv.stop()
        results = [self.starved(n, args, env=known) for n in ROOT_LOW_LIMITS]
        self.assert_seen_here(results)
        self.assertTrue(any("curl error 6" in r.log_text() for r in results),
                        "the resolver never failed")


class ThroughProxy(Window):
    """proxy=: the proxy (the stand-in's CONNECT proxy, in front of the
    private API) stands where the API's host stands without one.  The token
    is cached through it, then revoked at the API: the window would let a
    revoked token in."""

    def setUp(self):
        super().setUp()
        self.proxy = ConnectProxy(self.priv.port).start()
        self.addCleanup(self.proxy.stop)

    def proxied(self, proxy_url=None):
        return self.args() + ["proxy=" + (proxy_url or self.proxy.url)]

    def login(self, proxy_url=None, **kw):
        return self.authenticate([TOKEN], args=self.proxied(proxy_url), **kw)

    def cached_then_revoked(self, proxy_url=None, **kw):
        self.priv.add_account(TOKEN, self.STACK, 12345, 67890)
        self.proxy.mode = "tunnel"
        self.priv.take_requests()
        r = self.login(proxy_url, **kw)
        self.assertEqual(r.auth, PAM_SUCCESS, r.log_text())
        self.assertEqual(len(self.priv.take_requests()), 1, "the proxy was not used")
        self.revoke()

    def test_no_answer_of_the_proxy_opens_the_window(self):
        # A CONNECT refused (403: a policy; 407: credentials; 429: the proxy's
        # rate limit; 502, 504: what a proxy says of an API it cannot reach),
        # a connection closed or left silent: curl 56 or 28, after the proxy
        # took the connection.
        for mode in ("403", "407", "429", "502", "504", "close", "close-after-request",
                     "silent"):
            with self.subTest(mode=mode):
                self.cached_then_revoked()
                self.proxy.mode = mode
                r = self.login()
                self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL, r.log_text())
                self.assert_no_offline_answer(r)
                self.assert_outcome(r, "api unavailable",
                                    "the proxy answered CONNECT with HTTP %s" % mode
                                    if mode.isdigit() else
                                    "the proxy took the connection, then failed it")
        self.assertEqual(self.priv.take_requests(), [], "a request got through")

    def test_an_api_down_behind_a_working_proxy_does_not_open_it(self):
        self.cached_then_revoked()
        self.priv.stop()
        r = self.login()
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL, r.log_text())
        self.assert_no_offline_answer(r)
        self.assert_outcome(r, "api unavailable", "the proxy answered CONNECT with HTTP 502")

    def test_the_api_s_own_answers_do_not_open_it(self):
        for status in (500, 502, 503, 504, 429):
            with self.subTest(status=status):
                self.cached_then_revoked()
                self.priv.add_canned(TOKEN, status, error_body("down"))
                r = self.login()
                self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL, r.log_text())
                self.assert_no_offline_answer(r)
                self.assert_outcome(r, "api unavailable", "HTTP %d" % status)
                del self.priv.canned[TOKEN]

    def test_a_proxy_that_cannot_be_connected_to_opens_it(self):
        self.cached_then_revoked()
        self.proxy.stop()
        r = self.login()
        self.assertEqual(r.auth, PAM_SUCCESS, r.log_text())
        self.assert_outcome(r, "success", "cache=offline", "curl error 7")

    def test_a_connection_to_the_proxy_that_times_out_opens_it(self):
        shim = os.environ.get("K6_TEST_FAIL_SOCKET", "")
        if not os.path.exists(shim):
            self.skipTest("tests/.libs/libfail_socket.so not built; run through make check")
        self.cached_then_revoked()
        env = {"LD_PRELOAD": ":".join((shim,) + k6test.PRELOADS),
               "K6_TEST_CONNECT_ERRNO": str(errno.ETIMEDOUT)}
        r = self.login(env=env)
        self.assertEqual(r.auth, PAM_SUCCESS, r.log_text())
        self.assert_outcome(r, "success", "cache=offline", "could not be reached")

    def test_a_proxy_whose_name_does_not_resolve_opens_it(self):
        url = "http://proxy.k6.test:%d" % self.proxy.port
        hosts = os.path.join(self.tmp, "hosts-%s" % self._testMethodName)
        with open(hosts, "w") as f:
            f.write("127.0.0.1 proxy.k6.test\n")
        self.cached_then_revoked(url, env={"NSS_WRAPPER_HOSTS": hosts})
        with open(hosts, "w") as f:
            f.write("127.0.0.2 elsewhere.example\n")
        r = self.login(url, env={"NSS_WRAPPER_HOSTS": hosts})
        self.assertEqual(r.auth, PAM_SUCCESS, r.log_text())
        self.assert_outcome(r, "success", "cache=offline", "curl error 5")


class SetuidCaller(Window):
    """A set-user-ID root program run by an ordinary user, as sudo and su are."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ready = cls.why_not()
        if cls.ready is not None:
            return
        # nobody must reach the driver, the module and the configuration.
        os.chmod(cls.tmp, 0o755)
        cls.module = os.path.join(cls.tmp, "pam_k6.so")
        cls.driver = os.path.join(cls.tmp, "pam_driver-setuid")
        shutil.copy(k6test.MODULE, cls.module)
        shutil.copy(k6test.DRIVER, cls.driver)
        os.chown(cls.driver, 0, 0)
        os.chmod(cls.module, 0o644)
        os.chmod(cls.driver, 0o4755)
        cls.conf = os.path.join(cls.tmp, "empty.conf")
        open(cls.conf, "w").close()
        cls.confdir = os.path.join(cls.tmp, "suid-pam.d")
        os.mkdir(cls.confdir, 0o755)
        cls.syslog = k6test.Syslog(os.path.join(cls.tmp, "log"))

    @classmethod
    def tearDownClass(cls):
        if cls.ready is None:
            cls.syslog.close()
            os.unlink(cls.driver)
        super().tearDownClass()

    @classmethod
    def why_not(cls):
        if os.geteuid() != 0:
            return "a set-user-ID root program needs root to make"
        if k6test.SANITIZED:
            return "a sanitizer build's driver does not run set-user-ID"
        missing = [t for t in ("setpriv", "unshare", "mount") if shutil.which(t) is None]
        if missing:
            return "missing " + ", ".join(missing)
        probe = subprocess.run([k6test.DRIVER, "-d", cls.tmp, "k6none", "nobody"],
                               capture_output=True, text=True)
        if "needs pam_start_confdir" in probe.stderr:
            return "the driver has no -d: libpam has no pam_start_confdir"
        probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
        if probe.returncode != 0:
            return "cannot create a mount namespace"
        return None

    def setUp(self):
        super().setUp()
        if self.ready is not None:
            self.skipTest(self.ready)
        self.syslog.take()

    def argv(self, args, nofile_limit=None):
        """The command: a mount namespace whose /dev/log is our socket (on a
        /dev of its own, where nothing else is needed), the user, the limit
        they choose, and then the set-user-ID driver."""
        line = " ".join(["auth required", self.module, "conf=" + self.conf] + args)
        with open(os.path.join(self.confdir, "k6suid"), "w") as f:
            f.write(line + "\n")
        setup = ("mount -t tmpfs -o mode=755 tmpfs /dev && touch /dev/log && "
                 "mount --bind \"$0\" /dev/log && exec \"$@\"")
        user = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups", "--"]
        # The user lowers their own limit, and the caller keeps it.
        limit = [] if nofile_limit is None else ["prlimit", "--nofile=%d" % nofile_limit, "--"]
        driver = [self.driver, "-d", self.confdir, "-a", TOKEN, "k6suid", "nobody"]
        return (["unshare", "--mount", "--propagation", "private", "sh", "-c", setup,
                 self.syslog.path] + user + limit + driver)

    def finish(self, proc, timeout=60):
        out, err = proc.communicate(timeout=timeout)
        r = Result(out, err, proc.returncode)
        r.logs = []
        for line in self.syslog.take():
            m = re.match(r"<(\d+)>.*?pam_k6\([^)]*\): (.*)$", line)
            if m:
                r.logs.append((int(m.group(1)) & 7, m.group(2)))
        self.assertIn(r.returncode, (0, 1), "driver ended with %d:\n%s" % (r.returncode, err))
        self.assert_no_secret_in_logs(r, self.secrets)
        return r

    def run_setuid(self, args, nofile_limit=None):
        proc = subprocess.Popen(self.argv(args, nofile_limit), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        return self.finish(proc)

    def cached(self, args):
        """The caller logs in online once: the answer is cached."""
        self.priv.take_requests()
        r = self.run_setuid(args)
        self.assertEqual(r.auth, PAM_SUCCESS, r.stdout + r.stderr + r.log_text())
        self.assert_outcome(r, "success")
        self.assertEqual(len(self.priv.take_requests()), 1)
        self.assertEqual(len([n for n in os.listdir(self.dir) if len(n) == 64]), 1)

    def test_answer_slower_than_timeout(self):
        """The revoked token's 401 comes after timeout=, as it does for a
        caller stopped while its request is in flight: the request times
        out, and the cache does not answer."""
        self.cached(self.args())
        self.revoke(revoked_after(TIMEOUT + 2))
        r = self.run_setuid(self.args())
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        self.assert_no_offline_answer(r, WINDOW_NOTE)
        self.assert_outcome(r, "api unavailable", "curl error 28", WINDOW_NOTE)
        self.assertEqual(len(self.priv.take_requests()), 1)

    def test_stopped_mid_request(self):
        """The user stops their own caller (kill -STOP, ^Z) while the request
        is in flight, longer than timeout=, then lets it go on."""
        # A timeout the request reaches the API well within, even on a busy machine.
        timeout = 5
        self.cached(self.args(timeout=timeout))
        arrived, stopped = threading.Event(), threading.Event()
        self.revoke(revoked_once(arrived, stopped))
        proc = subprocess.Popen(self.argv(self.args(timeout=timeout)), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            self.assertTrue(arrived.wait(30), "the request never came")
            self.signal_as_nobody(proc.pid, "STOP")
            stopped.set()
            time.sleep(timeout + 1)
            self.signal_as_nobody(proc.pid, "CONT")
        finally:
            stopped.set()
            r = self.finish(proc)
        self.assertIn(r.auth, (PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL), r.stdout + r.log_text())
        self.assert_no_offline_answer(r)
        if r.auth == PAM_AUTHINFO_UNAVAIL:
            # libcurl finds its time up before it reads the 401 waiting for it.
            self.assert_outcome(r, "api unavailable", "timed out", WINDOW_NOTE)

    def signal_as_nobody(self, pid, sig):
        """The user's own kill: only their real uid matches the caller's."""
        kill = ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
                "--", "kill", "-%s" % sig, str(pid)]
        subprocess.run(kill, check=True, capture_output=True)

    def test_low_descriptor_limits_token_revoked(self):
        """Whatever descriptor limit the user gives the caller, a revoked
        token's cached answer never stands in."""
        results = []
        for n in LOW_LIMITS:
            with self.subTest(nofile=n):
                # Made again each time: a 401 that got through deletes it.
                self.priv.add_account(TOKEN, self.STACK, 12345, 67890)
                self.cached(self.args())
                self.revoke()
                r = self.run_setuid(self.args(), nofile_limit=n)
                self.assert_no_offline_answer(r)
                results.append(r)
        self.assert_some_asked(results)

    def test_low_descriptor_limits_api_down(self):
        """Nor with the API down, at any limit."""
        self.cached(self.args())
        self.priv.stop()
        results = []
        for n in list(LOW_LIMITS) + [256]:
            with self.subTest(nofile=n):
                r = self.run_setuid(self.args(), nofile_limit=n)
                self.assert_no_offline_answer(r)
                results.append(r)
        self.assert_some_asked(results)

    def assert_some_asked(self, results):
        """Some of the runs got as far as the request."""
        self.assertTrue(any("curl error" in r.log_text() for r in results),
                        "no run got as far as the request:\n" +
                        "\n".join(r.stdout + r.log_text() for r in results))

    def test_api_down(self):
        """A refused connection is an outage, and still not this caller's."""
        self.cached(self.args())
        self.priv.stop()
        r = self.run_setuid(self.args())
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        self.assert_outcome(r, "api unavailable", "curl error 7", WINDOW_NOTE)

    def test_cache_ttl_still_answers(self):
        """Within cache_ttl no request is made, for this caller too."""
        self.cached(self.args(cache_ttl=60))
        self.priv.stop()
        r = self.run_setuid(self.args(cache_ttl=60))
        self.assertEqual(r.auth, PAM_SUCCESS, r.log_text())
        self.assert_outcome(r, "success", "cache=hit")
        self.assertEqual(r.env.get("K6_CLOUD_STACK_ID"), "12345")


if __name__ == "__main__":
    k6test.main()
