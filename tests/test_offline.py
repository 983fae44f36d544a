#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What opens the offline window.

With offline_ttl, a cached answer stands in when the API cannot be reached.
Whoever controls the calling process must not be able to make a working API
look unreachable: a failure in the process itself (descriptors, memory) or a
429 never opens the window.
"""

import errno
import os
import resource
import shutil

import k6test
from k6test import PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS, PamTestCase
from stand_in import StandIn, error_body

TOKEN = "k6offline0123456789abcdef0123456"
TIMEOUT = 2  # seconds, the whole request
# Descriptor limits from "too few to start" (pam_wrapper needs six) to
# "enough for a request".
ROOT_LOW_LIMITS = range(6, 17)
LOCAL_NOTE = "failed here, not on the network"


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

    def revoke(self):
        """The API now refuses the token: 401."""
        del self.priv.accounts[TOKEN]

    def assert_no_offline_answer(self, r):
        """Refused, nothing exported, and the cache did not answer."""
        self.assertIsNotNone(r.auth, r.stdout + r.stderr[-2000:])
        self.assertNotEqual(r.auth, PAM_SUCCESS, r.stdout + r.log_text())
        self.assertEqual(r.k6_env(), {})
        self.assertNotIn("cache=offline", r.log_text())


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


if __name__ == "__main__":
    k6test.main()
