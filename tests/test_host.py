#!/usr/bin/env python3
"""pam_k6 as a guest in someone else's process: the caller's timers and
signals, many handles in one process, threads, and memory."""

import os
import shutil
import subprocess

import faults
import k6test
from k6test import PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS, PamTestCase

THREAD_DRIVER = os.environ.get("K6_TEST_THREAD_DRIVER",
                               os.path.join(k6test.SRCDIR, "tests", "thread_driver"))
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

    def test_connection_reset_does_not_raise_sigpipe(self):
        relay = faults.ResetRelay(self.api.port).start()
        try:
            args = self.base_args()
            args[1] = "api_url=" + relay.url
            for _ in range(5):
                # run_driver fails the test if the driver died of a signal.
                r = self.authenticate([self.GOOD], args=args)
                self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        finally:
            relay.stop()

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
        if not os.path.exists(THREAD_DRIVER):
            self.skipTest("thread_driver not built")
        # root, a user every machine has, keeps nss_wrapper (whose own locking
        # ThreadSanitizer objects to) out of this process.
        name = self.service([self.module_line(extra=["allow_root"])])
        env = dict(os.environ)
        env.update(self.wrapper_env())
        env["LD_PRELOAD"] = "libpam_wrapper.so"
        threads, rounds = 16, 50
        with k6test.wrapper_turn():
            proc = subprocess.run([THREAD_DRIVER, name, "root", str(threads), str(rounds),
                                   self.GOOD, BAD, "12345"], capture_output=True, text=True,
                                  env=env, timeout=600)
        print("\n" + proc.stdout.strip())
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr[-3000:])
        self.assertIn("right=%d wrong=0" % (threads * rounds), proc.stdout)
        for marker in ("WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "runtime error:"):
            self.assertNotIn(marker, proc.stderr)
        self.assertEqual(len(self.api.take_requests()), threads * rounds)


class Leaks(PamTestCase):
    ROUNDS = 500

    def test_valgrind_500_authentications(self):
        if not shutil.which("valgrind"):
            self.skipTest("valgrind not installed")
        if k6test.SANITIZED:
            self.skipTest("a sanitizer build does not run under valgrind")
        probe = subprocess.run(["valgrind", "-q", THREAD_DRIVER], capture_output=True, text=True)
        if "debuginfo reader" in probe.stderr:
            self.skipTest("this valgrind cannot read the compiler's debug information "
                          "(clang 14 writes DWARF 5; build with -gdwarf-4)")
        r = self.authenticate(
            [self.GOOD, BAD], options=["-n", str(self.ROUNDS), "-C"], timeout=1200,
            prefix=["valgrind", "-q", "--error-exitcode=42", "--leak-check=full",
                    "--show-leak-kinds=definite,indirect",
                    "--errors-for-leak-kinds=definite,indirect"])
        self.assertEqual(r.auths().count(PAM_SUCCESS), self.ROUNDS // 2)
        self.assertEqual(r.auths().count(PAM_AUTH_ERR), self.ROUNDS // 2)
        self.assertNotIn("definitely lost", r.stderr)
        self.assertNotIn("indirectly lost", r.stderr)
        self.assertNotIn("Invalid read", r.stderr)
        self.assertNotIn("Invalid write", r.stderr)
        print("\nvalgrind: %d authentications, 0 bytes definitely or indirectly lost"
              % len(r.auths()))


if __name__ == "__main__":
    k6test.main()
