#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The token in the caller's memory: no block the caller's process frees
holds it, and after pam_end no copy of it is left in the heap.

sudo keeps its heap for the whole command it runs, and core dumps and swap
take what the heap holds.  tests/wipe_check.c, preloaded, looks into every
block given to free() or realloc() for the token (in a sanitizer build,
through the sanitizer's free hook); the driver's -H counts the copies left
in the heap after pam_end (not in a sanitizer build, whose allocator keeps
no [heap]).  The driver wipes its own copies (its answers, the environment
list it is given), as a careful host would.
"""

import os
import re
import ssl

import k6test
from k6test import PAM_AUTH_ERR, PAM_SUCCESS, PRELOADS, PamTestCase
from stand_in import StandIn

WIPE_CHECK = os.environ.get("K6_TEST_WIPE_CHECK",
                            os.path.join(k6test.SRCDIR, "tests", ".libs", "libwipe_check.so"))
UNKNOWN = "k6unknown0123456789abcdef0123456"
CACHED = "k6cached00123456789abcdef0123456"
# How wipe_check names a block that still held the token when it was let go.
HELD = re.compile(r"wipe_check: a block .* still holds the secret.*")
# libcurl's text of a whole request: the header follows the lines before it.
IN_A_REQUEST = 'after "\\x0d\\x0aAuthorization: Bearer "'


class Watched(PamTestCase):
    """Logins under wipe_check."""

    def watched_login(self, token, args=None, options=(), extra=()):
        """Log in with the token watched; what was found is in .held and .copies."""
        if not os.path.exists(WIPE_CHECK):
            self.skipTest("%s not built (run through make check)" % WIPE_CHECK)
        env = {"LD_PRELOAD": ":".join((WIPE_CHECK,) + PRELOADS), "K6_TEST_SECRET": token}
        scan = [] if k6test.SANITIZED else ["-H"]
        r = self.authenticate([token], args=args, extra=extra, options=scan + list(options),
                              env=env, secrets=[token])
        if "wipe_check: armed" not in r.stderr:
            if k6test.SANITIZED and "wipe_check: free() is not interposed" in r.stderr:
                self.skipTest("this sanitizer offers no free hook to watch blocks with")
            self.fail("wipe_check did not see its own unwiped block:\n" + r.stderr[-3000:])
        counts = re.search(r"wipe_check: checked=(\d+) held=(\d+)", r.stderr)
        self.assertIsNotNone(counts, r.stderr[-3000:])
        self.assertGreater(int(counts.group(1)), 0)
        r.held = HELD.findall(r.stderr)
        self.assertEqual(int(counts.group(2)), len(r.held))
        copies = re.search(r"heap copies=(\d+)", r.stdout)
        r.copies = int(copies.group(1)) if copies else None
        return r

    def assert_wiped(self, r):
        self.assertEqual(r.held, [], "freed blocks held the token:\n" + "\n".join(r.held))
        if not k6test.SANITIZED:
            self.assertEqual(r.copies, 0, "copies of the token left in the heap")

    def sent(self, api=None):
        """What the API was sent as Authorization, in order."""
        api = api or self.api
        return [dict(q["headers"]).get("Authorization") for q in api.take_requests()]


class Wiped(Watched):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.api.add_account(CACHED, cls.STACK, 12345, 67890)
        # An API that keeps connections open, for reuse_connection.
        cls.keep = StandIn(cls.cert, cls.key, keep_alive=True).start()
        cls.keep.add_account(cls.GOOD, cls.STACK, 12345, 67890)

    @classmethod
    def tearDownClass(cls):
        cls.keep.stop()
        super().tearDownClass()

    def test_accepted_token(self):
        r = self.watched_login(self.GOOD)
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(self.sent(), ["Bearer " + self.GOOD])
        self.assert_wiped(r)

    def test_unknown_token(self):
        r = self.watched_login(UNKNOWN)
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(self.sent(), ["Bearer " + UNKNOWN])
        self.assert_wiped(r)

    def test_token_of_another_stack(self):
        r = self.watched_login(self.OTHER_STACK)
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(self.sent(), ["Bearer " + self.OTHER_STACK])
        self.assert_wiped(r)

    def test_token_lengths(self):
        # The shortest token and long ones: the buffers that hold the header
        # are made, grown and copied differently for each.
        for length in (12, 100, 300, 1000, 4096):
            with self.subTest(length=length):
                token = ("k6" + "0123456789abcdef" * 256)[:length]
                r = self.watched_login(token)
                self.assertEqual(r.auth, PAM_AUTH_ERR)
                self.assertEqual(self.sent(), ["Bearer " + token])
                self.assert_wiped(r)

    def test_tls_versions(self):
        # OpenSSL copies the request into its write buffer and encrypts it
        # there: with each kind of cipher, no plaintext may stay behind,
        # neither in a freed buffer nor in the kept connection's live one.
        for ciphers in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256",
                        "ECDHE-ECDSA-CHACHA20-POLY1305", None):
            with self.subTest(ciphers=ciphers or "TLS 1.3"):
                api = StandIn(self.cert, self.key, keep_alive=True)
                if ciphers is not None:
                    api.context.maximum_version = ssl.TLSVersion.TLSv1_2
                    api.context.set_ciphers(ciphers)
                api.add_account(self.GOOD, self.STACK, 12345, 67890)
                api.start()
                try:
                    for extra in ([], ["reuse_connection"]):
                        args = self.base_args() + extra
                        args[1] = "api_url=" + api.url
                        r = self.watched_login(self.GOOD, args=args)
                        self.assertEqual(r.auth, PAM_SUCCESS)
                        self.assert_wiped(r)
                    self.assertEqual(self.sent(api), ["Bearer " + self.GOOD] * 2)
                finally:
                    api.stop()

    def test_token_refused_before_the_network(self):
        r = self.watched_login("k6 has a space in it 0123456789")
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(self.sent(), [])
        self.assert_wiped(r)

    def test_export_token(self):
        r = self.watched_login(self.GOOD, extra=["export_token"], options=["-s"])
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(r.env.get("K6_CLOUD_TOKEN"), self.GOOD)
        self.assertEqual(self.sent(), ["Bearer " + self.GOOD])
        self.assert_wiped(r)

    def test_cache(self):
        if os.geteuid() != 0:
            self.skipTest("the cache is root's: run as root")
        cache = ["cache_dir=" + os.path.join(self.tmp, "cache"), "cache_ttl=60"]
        first = self.watched_login(CACHED, extra=cache)
        second = self.watched_login(CACHED, extra=cache)
        self.assertEqual([first.auth, second.auth], [PAM_SUCCESS, PAM_SUCCESS])
        self.assertEqual(self.sent(), ["Bearer " + CACHED])
        self.assert_outcome(second, "success", "cache=hit")
        self.assert_wiped(first)
        self.assert_wiped(second)

    def test_reuse_connection(self):
        # The kept handle lives on after pam_end: it keeps no copy either.
        args = self.base_args() + ["reuse_connection", "debug"]
        args[1] = "api_url=" + self.keep.url
        r = self.watched_login(self.GOOD, args=args, options=["-n", "3"])
        self.assertEqual(r.auths(), [PAM_SUCCESS] * 3)
        self.assertEqual(re.findall(r"answer: .*; a (new|kept) connection", r.log_text()),
                         ["new", "kept", "kept"])
        self.assertEqual(self.sent(self.keep), ["Bearer " + self.GOOD] * 3)
        self.assert_wiped(r)


class HostWithLibcurl(Watched):
    """A host that initialised libcurl itself keeps libcurl's memory as it
    chose: libcurl's text of the request is then freed unwiped, out of the
    module's reach.  The module's own copies are still wiped: the typed
    token, the header it builds, the list libcurl copied it into."""

    def test_only_libcurls_request_is_left(self):
        r = self.watched_login(self.GOOD, extra=["export_token"], options=["-G", "-s"])
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(self.sent(), ["Bearer " + self.GOOD])
        self.assertTrue(r.held, "libcurl's request was wiped: is -G in force?")
        others = [line for line in r.held if IN_A_REQUEST not in line]
        self.assertEqual(others, [], "the module left copies:\n" + "\n".join(others))


class Http11(PamTestCase):
    """HTTP/1.1 only: with HTTP/2 the header would go through nghttp2's
    memory, which no function of the module's wipes."""

    def test_http2_offered_http11_spoken(self):
        api = StandIn(self.cert, self.key, alpn=("h2", "http/1.1")).start()
        try:
            api.add_account(self.GOOD, self.STACK, 12345, 67890)
            args = self.base_args()
            args[1] = "api_url=" + api.url
            r = self.authenticate([self.GOOD], args=args)
            self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-3000:])
            self.assertEqual([q["alpn"] for q in api.take_requests()], ["http/1.1"])
        finally:
            api.stop()


if __name__ == "__main__":
    k6test.main()
