#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pam_k6 as a guest in someone else's process: the caller's timers and
signals, many handles in one process, threads, fork, and memory."""

import base64
import os
import re
import shutil
import subprocess

import faults
import k6test
from k6test import PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS, PamTestCase
from stand_in import StandIn

THREAD_DRIVER = os.environ.get("K6_TEST_THREAD_DRIVER",
                               os.path.join(k6test.SRCDIR, "tests", "thread_driver"))
RAW_SEND = os.environ.get("K6_TEST_RAW_SEND",
                          os.path.join(k6test.SRCDIR, "tests", ".libs", "libraw_send.so"))
BAD = "k6bad00000000000000000000000000"


class Host(PamTestCase):
    def test_callers_alarm_survives(self):
        # sshd arms SIGALRM for LoginGraceTime; libcurl must not take it.
        r = self.authenticate([self.GOOD], options=["-T", "1500"])
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(r.alarm.get("armed"), "yes", r.stdout)
        self.assertGreater(int(r.alarm["remaining_ms"]), 1000)
        self.assertEqual(r.alarm["fired"], "1")
        self.assertTrue(1400 <= float(r.alarm["after_ms"]) <= 1800, r.alarm)

    def test_alarm_during_a_request(self):
        # The timer fires while libcurl waits; the request still ends normally.
        token = "k6slowalarm0000000000000000000000"
        self.api.add_raw(token, faults.slow_body(10))
        args = self.base_args() + ["timeout=1.5"]
        args.remove("timeout=5")
        r = self.authenticate([token], args=args, options=["-T", "300"], secrets=[token])
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        self.assertEqual(r.alarm["fired"], "1")

    def raw_send(self):
        """The environment that makes libcurl's writes raise SIGPIPE on a
        dead connection (tests/raw_send.c), as they do in libcurl builds
        that let OpenSSL write to the socket: without it, libcurl's own
        MSG_NOSIGNAL would hide a missing guard."""
        if not os.path.exists(RAW_SEND):
            self.skipTest("libraw_send.so not built")
        return {"LD_PRELOAD": ":".join((RAW_SEND,) + k6test.PRELOADS)}

    def test_connection_reset_does_not_raise_sigpipe(self):
        relay = faults.ResetRelay(self.api.port).start()
        try:
            args = self.base_args()
            args[1] = "api_url=" + relay.url
            for _ in range(5):
                # run_driver fails the test if the driver died of a signal.
                r = self.authenticate([self.GOOD], args=args, env=self.raw_send())
                self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        finally:
            relay.stop()

    def test_reset_connection_closed_without_sigpipe(self):
        # A whole answer on a connection kept open, then a reset: closing
        # the handle writes close_notify to a dead socket, after the request.
        # raw_send makes that write raise SIGPIPE, as OpenSSL's own socket
        # writes do in libcurl builds that hand it the socket.
        token = "k6resetafter000000000000000000000"
        self.api.add_raw(token, faults.answer_then_reset)
        env = self.raw_send()
        for _ in range(3):
            # run_driver fails the test if the driver died of a signal.
            r = self.authenticate([token], secrets=[token], env=env)
            self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)

    def test_thousand_handles_no_growth(self):
        # 1,000 pam_start/pam_end cycles, half of them real logins: the
        # module is loaded and released each time; memory stays flat.
        r = self.authenticate([self.GOOD, "short"], options=["-n", "1000", "-C", "-M"],
                              timeout=300)
        self.assertEqual(r.auths().count(PAM_SUCCESS), 500)
        self.assertEqual(r.auths().count(PAM_AUTH_ERR), 500)
        growth = r.rss[1000] - r.rss[100]
        print("\nRSS after 100 handles %d KiB, after 1000 %d KiB" % (r.rss[100], r.rss[1000]))
        if not k6test.SANITIZED:  # ASan keeps freed memory in quarantine
            self.assertLess(growth, 512, r.rss)

    def test_threads(self):
        run_threads(self, self.base_args())
        self.assertEqual(len(self.api.take_requests()), THREADS * ROUNDS)


THREADS, ROUNDS = 16, 50


def run_threads(case, args):
    """THREADS threads with ROUNDS logins each, good and bad tokens mixed."""
    if not os.path.exists(THREAD_DRIVER):
        case.skipTest("thread_driver not built")
    # root, a user every machine has, keeps nss_wrapper (whose own locking
    # ThreadSanitizer objects to) out of this process.
    name = case.service([case.module_line(args, extra=["allow_root"])])
    env = dict(os.environ)
    env.update(case.wrapper_env())
    env["LD_PRELOAD"] = "libpam_wrapper.so"
    with k6test.wrapper_turn():
        proc = subprocess.run([THREAD_DRIVER, name, "root", str(THREADS), str(ROUNDS),
                               case.GOOD, BAD, "12345"], capture_output=True, text=True,
                              env=env, timeout=600)
    print("\n" + proc.stdout.strip())
    case.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr[-3000:])
    case.assertIn("right=%d wrong=0" % (THREADS * ROUNDS), proc.stdout)
    for marker in ("WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "runtime error:"):
        case.assertNotIn(marker, proc.stderr)


class Reuse(PamTestCase):
    """reuse_connection: one connection for a process's logins, never its child's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # An API that keeps connections open, as the real one may.
        cls.keep = StandIn(cls.cert, cls.key, keep_alive=True).start()
        cls.keep.add_account(cls.GOOD, cls.STACK, 12345, 67890)

    @classmethod
    def tearDownClass(cls):
        cls.keep.stop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.keep.take_connections()
        self.keep.take_requests()

    def args(self, *extra):
        args = self.base_args() + ["debug"] + list(extra)
        args[1] = "api_url=" + self.keep.url
        return args

    def connections(self, r):
        """For each answer, in order: "new" or "kept" (the debug log says)."""
        return re.findall(r"answer: .*; a (new|kept) connection", r.log_text())

    def test_without_the_option_every_login_connects(self):
        r = self.authenticate([self.GOOD], args=self.args(), options=["-n", "3"])
        self.assertEqual(r.auths(), [PAM_SUCCESS] * 3)
        self.assertEqual(self.connections(r), ["new"] * 3)
        self.assertEqual(self.keep.take_connections(), 3)

    def test_one_connection_serves_every_login(self):
        r = self.authenticate([self.GOOD], args=self.args("reuse_connection"),
                              options=["-n", "3", "-O"])
        self.assertEqual(r.auths(), [PAM_SUCCESS] * 3)
        self.assertEqual(self.connections(r), ["new", "kept", "kept"])
        self.assertEqual(self.keep.take_connections(), 1)
        # The kept socket stays open after the logins, and closes on exec.
        self.assertEqual(re.findall(r"socket fd=\d+ cloexec=(\d)", r.stdout), ["1"])

    def test_each_login_sends_its_own_token(self):
        r = self.authenticate([BAD, self.GOOD, BAD], args=self.args("reuse_connection"),
                              options=["-n", "3", "-C"], secrets=[BAD])
        self.assertEqual(r.auths(), [PAM_AUTH_ERR, PAM_SUCCESS, PAM_AUTH_ERR])
        sent = [dict(q["headers"])["Authorization"] for q in self.keep.take_requests()]
        self.assertEqual(sent, ["Bearer " + t for t in (BAD, self.GOOD, BAD)])

    def test_a_forked_child_makes_its_own_connection(self):
        # Round 1 in the parent; rounds 2-3 in a child of fork(), then in the parent.
        # The child leaves its parent's handle behind, unfreed, on purpose (and
        # pam_wrapper loses its parent's strings in a child): no leak check.
        env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
        r = self.authenticate([self.GOOD], args=self.args("reuse_connection"),
                              options=["-n", "3", "-F", "-O"], env=env)
        self.assertEqual(r.auths(), [PAM_SUCCESS] * 5)
        self.assertIn("fork child_exit=0", r.stdout)
        # The child never touched the parent's connection, which still serves it.
        self.assertEqual(self.connections(r), ["new", "new", "kept", "kept", "kept"])
        self.assertEqual(self.keep.take_connections(), 2)
        cloexec = re.findall(r"socket fd=\d+ cloexec=(\d)", r.stdout)
        self.assertTrue(cloexec and set(cloexec) == {"1"}, r.stdout)

    def test_other_options_other_connection(self):
        # Two module lines whose trust differs never share a connection.
        lines = [self.module_line(self.args("reuse_connection")),
                 self.module_line(self.args("reuse_connection", "pinned_pubkey=" +
                                            self.pubkey_pin()))]
        r = self.run_driver(self.service(lines), answers=[self.GOOD] * 2, options=["-n", "2"])
        self.assertEqual(r.auths(), [PAM_SUCCESS] * 2)
        self.assertEqual(self.connections(r), ["new"] * 4)

    def pubkey_pin(self):
        der = subprocess.run(["openssl", "pkey", "-in", self.key, "-pubout", "-outform", "DER"],
                             capture_output=True, check=True).stdout
        digest = subprocess.run(["openssl", "dgst", "-sha256", "-binary"], input=der,
                                capture_output=True, check=True).stdout
        return "sha256//" + base64.b64encode(digest).decode()

    def test_threads(self):
        # Threads that find the kept handle busy make their own; none waits.
        run_threads(self, self.args("reuse_connection"))
        self.assertEqual(len(self.keep.take_requests()), THREADS * ROUNDS)
        self.assertLess(self.keep.take_connections(), THREADS * ROUNDS)


class Leaks(PamTestCase):
    def test_valgrind_500_authentications(self):
        self.valgrind(500, self.base_args())

    def test_valgrind_reuse_connection(self):
        # The kept handle is reset and used again: no read of freed memory.
        self.valgrind(100, self.base_args() + ["reuse_connection"])

    def valgrind(self, rounds, args):
        if not shutil.which("valgrind"):
            self.skipTest("valgrind not installed")
        if k6test.SANITIZED:
            self.skipTest("a sanitizer build does not run under valgrind")
        probe = subprocess.run(["valgrind", "-q", THREAD_DRIVER], capture_output=True, text=True)
        if "debuginfo reader" in probe.stderr:
            self.skipTest("this valgrind cannot read the compiler's debug information "
                          "(clang 14 writes DWARF 5; build with -gdwarf-4)")
        r = self.authenticate(
            [self.GOOD, BAD], args=args, options=["-n", str(rounds), "-C"], timeout=1200,
            prefix=["valgrind", "-q", "--error-exitcode=42", "--leak-check=full",
                    "--show-leak-kinds=definite,indirect",
                    "--errors-for-leak-kinds=definite,indirect"])
        self.assertEqual(r.auths().count(PAM_SUCCESS), rounds // 2, r.stderr[-3000:])
        self.assertEqual(r.auths().count(PAM_AUTH_ERR), rounds // 2)
        self.assertNotIn("definitely lost", r.stderr)
        self.assertNotIn("indirectly lost", r.stderr)
        self.assertNotIn("Invalid read", r.stderr)
        self.assertNotIn("Invalid write", r.stderr)
        print("\nvalgrind: %d authentications, 0 bytes definitely or indirectly lost"
              % len(r.auths()))


if __name__ == "__main__":
    k6test.main()
