#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The fault matrix: every way the network, the server, the caller or the
input can misbehave, each with the PAM code it must give, the time it may
take, and the reason its log line must name.

Every row runs with debug on (the most talkative logs) and nodelay, and the
harness checks on every run that no 8-byte piece of any token reached a log
line and that only export_token puts a token in the environment.
"""

import json
import os
import time

import faults
import k6test
from k6test import (PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_CONV_ERR, PAM_SERVICE_ERR,
                    PAM_SUCCESS, PamTestCase)
from stand_in import StandIn
from test_e2e import free_port

TIMEOUT = 2          # seconds, the whole request
CONNECT_TIMEOUT = 1  # seconds
LABELS = {
    PAM_SUCCESS: "success",
    PAM_AUTH_ERR: None,  # "denied" or "not a token": the row says which
    PAM_AUTHINFO_UNAVAIL: "api unavailable",
    PAM_SERVICE_ERR: "configuration error",
    PAM_CONV_ERR: "conversation failed",
}


class Matrix(PamTestCase):
    rows = 0
    agreed = 0

    @classmethod
    def tearDownClass(cls):
        print("\n%s: %d cases, %d of them also through pam_k6ctl test"
              % (cls.__name__, cls.rows, cls.agreed))
        super().tearDownClass()

    def args(self, api_url=None, ca=None, extra=()):
        return ["stack_url=alpha", "api_url=" + (api_url or self.api.url),
                "ca_file=" + (ca or self.ca), "nodelay", "debug",
                "timeout=%d" % TIMEOUT, "connect_timeout=%d" % CONNECT_TIMEOUT] + list(extra)

    def row(self, code, reason, answers=None, args=None, label=None, sent=None,
            timeout=TIMEOUT, **kw):
        """Run one case; check code, time (within the timeout the row's
        arguments set), log line; return the result."""
        answers = [self.GOOD] if answers is None else answers
        kw["options"] = list(kw.get("options", ())) + ["-m"]
        r = self.authenticate(answers, args=self.args() if args is None else args, **kw)
        type(self).rows += 1
        self.assertEqual(r.auth, code, r.stdout + r.stderr[-2000:])
        # The answer's time: pam_authenticate itself, not the process around it.
        (seconds,) = r.auth_seconds
        self.assertLessEqual(seconds, timeout + 1, "took %.2fs" % seconds)
        line = self.assert_outcome(r, label or LABELS[code])
        reasons = reason if isinstance(reason, tuple) else (reason,)
        self.assertTrue(any(x in line for x in reasons), "%r names none of %r" % (line, reasons))
        if code != PAM_SUCCESS:
            self.assertEqual(r.k6_env(), {})
        if sent is not None:
            self.assertEqual(len(self.api.take_requests()), sent)
        self.ctl_agrees(r, answers, self.args() if args is None else args, sent, kw)
        return r

    def ctl_agrees(self, r, answers, args, sent, kw):
        """Where the row is a token typed at a prompt, pam_k6ctl test must
        reach the module's verdict.  A conversation that fails, a preload,
        or an answer that is not one line of text do not apply."""
        options = [o for o in kw.get("options", ()) if o not in ("-m", "-M")]
        if "-A" in options:
            with open(options[options.index("-A") + 1]) as f:
                answers = [f.read()]
            options = []
        env = kw.get("env") or {}
        if len(answers) != 1 or options or "LD_PRELOAD" in env:
            return
        answer = k6test.driver_unescape(answers[0])
        if any(c in answer for c in "\n\r\0"):
            return
        type(self).agreed += 1
        self.api.take_requests()
        self.assert_ctl_agrees(r, answers[0], args, user=kw.get("user", "alice"), env=env,
                               prefix=kw.get("prefix", ()), secrets=kw.get("secrets", ()))
        asked = len(self.api.take_requests())
        if sent is not None:
            self.assertEqual(asked, sent, "pam_k6ctl test sent another number of requests")


class Network(Matrix):
    def test_connection_refused(self):
        self.row(PAM_AUTHINFO_UNAVAIL, "curl error 7",
                 args=self.args("https://127.0.0.1:%d" % free_port()))

    def test_host_does_not_resolve(self):
        # In a network namespace of its own the resolver reaches nobody, so
        # the lookup of a .invalid name sends nothing off the machine.
        if not faults.can_unshare_network():
            self.skipTest("cannot create a network namespace here")
        prefix = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
        self.row(PAM_AUTHINFO_UNAVAIL, "curl error 6",
                 args=self.args("https://pam-k6-test.invalid"), prefix=prefix)

    def test_backlog_full_connect_timeout(self):
        server = faults.FullBacklog().start()
        try:
            r = self.row(PAM_AUTHINFO_UNAVAIL, "curl error 28", args=self.args(server.url))
        finally:
            server.stop()
        self.assertIn("timed out", r.outcome_lines()[0])

    def test_connect_timeout_is_its_own_limit(self):
        # A whole request may take 5 s; the connection alone must give up at 1 s.
        server = faults.FullBacklog().start()
        try:
            args = [a for a in self.args(server.url) if not a.startswith("timeout=")]
            r = self.row(PAM_AUTHINFO_UNAVAIL, "curl error 28", args=args + ["timeout=5"],
                         timeout=5)
        finally:
            server.stop()
        (seconds,) = r.auth_seconds
        self.assertGreaterEqual(seconds, CONNECT_TIMEOUT - 0.1)
        self.assertLess(seconds, 3, "the connection waited %.2fs, not connect_timeout=%ds"
                        % (seconds, CONNECT_TIMEOUT))
        self.assertIn("timeout=5s connect_timeout=1s", r.outcome_lines()[0])

    def test_accepts_and_never_answers(self):
        server = faults.SilentServer().start()
        try:
            self.row(PAM_AUTHINFO_UNAVAIL, "curl error 28", args=self.args(server.url))
        finally:
            server.stop()

    def test_closed_mid_handshake(self):
        server = faults.HandshakeCloser().start()
        try:
            self.row(PAM_AUTHINFO_UNAVAIL, "curl error 35", args=self.args(server.url))
        finally:
            server.stop()

    def test_closed_mid_headers(self):
        token = "k6midheaders0000000000000000000000"
        self.api.add_raw(token, faults.close_mid_headers)
        # libcurl may take the cut headers as a header block with an empty body.
        self.row(PAM_AUTHINFO_UNAVAIL, ("curl error", "unusable body: empty body"),
                 answers=[token], secrets=[token], sent=1)

    def test_closed_mid_body(self):
        token = "k6midbody000000000000000000000000"
        self.api.add_raw(token, faults.close_mid_body)
        self.row(PAM_AUTHINFO_UNAVAIL, "curl error", answers=[token], secrets=[token], sent=1)

    def test_body_one_byte_a_second(self):
        token = "k6slowbody00000000000000000000000"
        self.api.add_raw(token, faults.slow_body(TIMEOUT + 3))
        r = self.row(PAM_AUTHINFO_UNAVAIL, "curl error 28", answers=[token], secrets=[token])
        self.assertIn("timed out", r.outcome_lines()[0])


class Tls(Matrix):
    def serve(self, cert, key):
        other = StandIn(cert, key).start()
        other.add_account(self.GOOD, self.STACK, 12345, 67890)
        self.addCleanup(other.stop)
        return other

    def test_untrusted_ca(self):
        self.row(PAM_AUTHINFO_UNAVAIL, "curl error 60",
                 args=self.args(ca=self.pki.ca("untrusted-ca")), sent=0)

    def test_certificate_for_another_host(self):
        cert, key = self.pki.server("elsewhere", "ca", hosts=("DNS:elsewhere.example",))
        other = self.serve(cert, key)
        self.row(PAM_AUTHINFO_UNAVAIL, "curl error 60", args=self.args(other.url))
        self.assertEqual(other.take_requests(), [])

    def test_expired_certificate(self):
        cert, key = faults.expired_certificate(self.pki, "ca")
        other = self.serve(cert, key)
        r = self.row(PAM_AUTHINFO_UNAVAIL, "curl error 60", args=self.args(other.url))
        self.assertIn("expired", r.outcome_lines()[0])
        self.assertEqual(other.take_requests(), [])

    def test_pin_mismatch(self):
        wrong = faults.public_key_pin(self.pki.ca("pin-other"))
        self.row(PAM_AUTHINFO_UNAVAIL, "curl error 90",
                 args=self.args(extra=["pinned_pubkey=" + wrong]), sent=0)

    def test_pin_match(self):
        pin = faults.public_key_pin(self.cert)
        self.row(PAM_SUCCESS, "stack_id=12345", args=self.args(extra=["pinned_pubkey=" + pin]),
                 sent=1)


class Http(Matrix):
    def canned(self, status, body=b"", headers=(), reason=None):
        token = "k6http%d%s" % (status, "0" * 26)
        self.api.add_canned(token, status, body, headers)
        return self.row(PAM_AUTHINFO_UNAVAIL, reason or "HTTP %d" % status, answers=[token],
                        secrets=[token], sent=1)

    def test_redirects_are_not_followed(self):
        elsewhere = StandIn(self.cert, self.key).start()
        self.addCleanup(elsewhere.stop)
        for status in (301, 302):
            with self.subTest(status=status):
                self.canned(status, b"", [("Location", elsewhere.url + "/cloud/v6/auth")])
                self.assertEqual(elsewhere.take_requests(), [], "the token followed a redirect")
                self.canned(status, b"", [("Location", self.api.url + "/moved")])

    def test_other_statuses(self):
        for status, body, headers in (
                (400, b'{"error":{"code":"bad","message":"Bad request"}}', ()),
                (404, b'{"error":{"code":"not_found","message":"Not found"}}', ()),
                (405, b"", ()),
                (429, b'{"error":{"code":"throttled","message":"Slow down"}}',
                 [("Retry-After", "30")]),
                (500, b'{"error":{"code":"error","message":"Internal"}}', ()),
                (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", ()),
                (503, b"", [("Retry-After", "5")])):
            with self.subTest(status=status):
                self.canned(status, body, headers)


class Bodies(Matrix):
    BAD = [
        ("empty", b"", "empty body"),
        ("truncated", b'{"stack_id": 12345, "default_pro', "not valid JSON"),
        ("array", b'[{"stack_id": 1, "default_project_id": 2}]', "not a JSON object"),
        ("string", b'"stack_id"', "not a JSON object"),
        ("number", b"12345", "not a JSON object"),
        ("null", b"null", "not a JSON object"),
        ("stack_id missing", b'{"default_project_id": 2}', "stack_id missing"),
        ("project missing", b'{"stack_id": 1}', "default_project_id missing"),
        ("null id", b'{"stack_id": null, "default_project_id": 2}', "stack_id is not an integer"),
        ("ids as strings", b'{"stack_id": "1", "default_project_id": "2"}', "not an integer"),
        ("float", b'{"stack_id": 1.5, "default_project_id": 2}', "not an integer"),
        ("float .0", b'{"stack_id": 1.0, "default_project_id": 2}', "not an integer"),
        ("exponent", b'{"stack_id": 1e3, "default_project_id": 2}', "not an integer"),
        ("zero", b'{"stack_id": 0, "default_project_id": 2}', "not a positive"),
        ("negative", b'{"stack_id": 1, "default_project_id": -2}', "not a positive"),
        ("beyond int64", b'{"stack_id": 9223372036854775808, "default_project_id": 2}',
         "not a positive 64-bit"),
        ("far beyond", b'{"stack_id": 1, "default_project_id": 1' + b"0" * 40 + b"}",
         "not a positive 64-bit"),
        ("duplicate key", b'{"stack_id": 1, "default_project_id": 2, "stack_id": 3}',
         "given more than once"),
        ("escaped duplicate", b'{"stack_id": 1, "default_project_id": 2, "stack\\u005fid": 3}',
         "given more than once"),
        ("nesting", b"[" * 100000 + b"]" * 100000, "larger than 65536"),
        ("nesting within cap", b"[" * 30000 + b"]" * 30000, "not valid JSON"),
        ("trailing garbage", b'{"stack_id": 1, "default_project_id": 2} trailing',
         "not valid JSON"),
        ("two objects", b'{"stack_id": 1, "default_project_id": 2}{}', "not valid JSON"),
        ("invalid UTF-8", b'{"stack_id": 1, "default_project_id": 2, "name": "\xff\xfe"}',
         "not valid JSON"),
        ("NUL inside", b'{"stack_id": 1, "default_project_id": 2}\x00', "not valid JSON"),
    ]

    def test_malformed_200_bodies(self):
        for i, (label, body, reason) in enumerate(self.BAD):
            with self.subTest(label):
                token = "k6body%02d%s" % (i, "0" * 26)
                self.api.add_canned(token, 200, body)
                self.row(PAM_AUTHINFO_UNAVAIL, reason, answers=[token], secrets=[token])

    def test_int64_max_exported_whole(self):
        token = "k6bodymax0000000000000000000000000"
        self.api.add_canned(token, 200,
                            b'{"stack_id": 9223372036854775807, "default_project_id": 1}')
        r = self.row(PAM_SUCCESS, "stack_id=9223372036854775807", answers=[token],
                     secrets=[token])
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "9223372036854775807")

    def test_unknown_keys_are_ignored(self):
        token = "k6bodyextra00000000000000000000000"
        self.api.add_canned(token, 200, json.dumps({
            "stack_id": 5, "default_project_id": 6, "stack_name": "x",
            "features": {"stack_id": "nested"}, "list": [1, 2]}).encode())
        r = self.row(PAM_SUCCESS, "stack_id=5", answers=[token], secrets=[token])
        self.assertEqual(r.env["K6_CLOUD_PROJECT_ID"], "6")

    def huge(self, chunked):
        token = "k6huge%s%s" % ("c" if chunked else "l", "0" * 26)
        sent = []
        self.api.add_raw(token, faults.huge_body(10 * 1024 * 1024, chunked, sent))
        baseline = self.authenticate([self.GOOD], args=self.args(), options=["-M"])
        r = self.row(PAM_AUTHINFO_UNAVAIL, "larger than 65536", answers=[token],
                     secrets=[token], options=["-M"])
        # Refused while receiving: most of the 10 MiB never left the server,
        # and the caller's memory did not grow by anything like it.
        deadline = time.monotonic() + 5
        while not sent and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(sent and sent[0] < 5 * 1024 * 1024, sent)
        if not k6test.SANITIZED:  # ASan keeps freed memory in quarantine
            self.assertLess(r.maxrss - baseline.maxrss, 2048,
                            "peak RSS %d KiB against %d KiB" % (r.maxrss, baseline.maxrss))

    def test_ten_mib_chunked(self):
        self.huge(chunked=True)

    def test_ten_mib_with_length(self):
        self.huge(chunked=False)


class Input(Matrix):
    def refused(self, answer, reason):
        self.row(PAM_AUTH_ERR, reason, answers=[answer], label="not a token", sent=0)

    def test_length_boundaries(self):
        self.refused("a" * 11, "too short")
        self.row(PAM_AUTH_ERR, "HTTP 401", answers=["a" * 12], label="denied", sent=1,
                 secrets=["a" * 12])
        self.row(PAM_AUTH_ERR, "HTTP 401", answers=["a" * 4096], label="denied", sent=1,
                 secrets=["a" * 4096])
        self.refused("a" * 4097, "too long")
        self.refused("", "empty answer")

    def test_alphabet_boundaries(self):
        # Just outside each range of the alphabet, and every other symbol.
        for c in "@[`{/:" + " !\"#$%&'(),;<>?\\]^|*":
            if c == "/":
                continue  # inside the alphabet, covered below
            with self.subTest(char=c):
                self.refused("abcdefghijkl" + c, "characters a token cannot have")
        for token in ("AZaz09-._~+/", "abcdefghijk=", "abcdefghij=="):
            with self.subTest(token=token):
                self.row(PAM_AUTH_ERR, "HTTP 401", answers=[token], label="denied", sent=1,
                         secrets=[token])
        self.refused("abcdef=ghijkl", "characters a token cannot have")
        self.refused("============", "characters a token cannot have")

    def test_injections(self):
        for answer in ("\\b\\n\\r\\x7fINCORRECT",
                       self.GOOD + "\\r\\nX-Injected: 1",
                       self.GOOD + "\\n",
                       "\\r" + self.GOOD,
                       self.GOOD + "\\t",
                       self.GOOD + "\\xc3\\xa9"):
            with self.subTest(answer=answer):
                self.refused(answer, "characters a token cannot have")

    def test_nul_cuts_the_answer(self):
        # A conversation answer is a C string: what follows a NUL is never seen.
        self.refused("abc\\x00" + self.GOOD, "too short")

    def test_one_mib_answer(self):
        path = os.path.join(self.tmp, "one-mib")
        with open(path, "w") as f:
            f.write("a" * (1024 * 1024))
        self.row(PAM_AUTH_ERR, "too long", answers=[], options=["-A", path],
                 label="not a token", sent=0)

    def test_conversation_fails(self):
        self.row(PAM_CONV_ERR, "", answers=[], options=["-c", "fail"], sent=0)

    def test_conversation_returns_null(self):
        self.row(PAM_AUTH_ERR, "empty answer", answers=[], options=["-c", "null"],
                 label="not a token", sent=0)


class Options(Matrix):
    VALUES = {
        "stack_url": ["", "alpha beta", "ftp://alpha", "https://", "al_pha", "https://x:0",
                      "https://x:65536", "\\x01alpha"],
        "api_url": ["", "http://127.0.0.1:1", "file:///etc/passwd", "https://u:p@127.0.0.1:1",
                    "https://127.0.0.1:1/a b", "127.0.0.1", "https://127.0.0.1:1/?q",
                    "https://127.0.0.1:99999"],
        "ca_file": ["", "relative.pem"],
        "ca_path": ["", "certs"],
        "pinned_pubkey": ["", "md5//abc", "relative.pem"],
        "proxy": ["", "proxy:3128", "http://a b:1"],
        "timeout": ["", "0", "-1", "61", "60.001", "1e3", "abc", "1.2345", "0x10"],
        "connect_timeout": ["", "0", "61", "ten"],
        "ip_resolve": ["", "IPv4", "both", "4"],
        "prompt": ["", "a\\nb"],
    }
    FLAGS = ["try_first_pass", "use_first_pass", "allow_root", "export_token", "nodelay",
             "debug", "reuse_connection"]

    def config_error(self, args, fragment):
        self.row(PAM_SERVICE_ERR, fragment, args=args, sent=0)

    def base(self, drop):
        return [a for a in self.args() if not a.startswith(drop + "=") and a != drop]

    def test_bad_values(self):
        for key, values in self.VALUES.items():
            for value in values:
                with self.subTest(key=key, value=value):
                    # The driver's -a escapes are not applied to service files:
                    # write control characters for real.
                    value = value.replace("\\x01", "\x01").replace("\\n", "\n")
                    if "\n" in value:
                        continue  # a service file line cannot hold a newline
                    args = self.base(key) + ["%s=%s" % (key, value)]
                    if " " in value:
                        args = self.base(key) + ["[%s=%s]" % (key, value)]
                    self.config_error(args, "'%s'" % key)

    def test_duplicated(self):
        for key in list(self.VALUES) + self.FLAGS:
            with self.subTest(key=key):
                present = [a for a in self.args() if a == key or a.startswith(key + "=")]
                item = present[0] if present else (key if key in self.FLAGS else None)
                if item is None:
                    item = {"ca_path": "ca_path=/etc/ssl/certs", "pinned_pubkey":
                            "pinned_pubkey=sha256//x", "proxy": "proxy=http://127.0.0.1:1",
                            "ip_resolve": "ip_resolve=any", "prompt": "prompt=x"}[key]
                self.config_error(self.base(key) + [item, item], "'%s' given more than once"
                                  % key)

    def test_flags_take_yes_or_no_only(self):
        for flag in self.FLAGS:
            for value in ("1", "true", "Yes", ""):
                with self.subTest(flag=flag, value=value):
                    self.config_error(self.base(flag) + [flag + "=" + value],
                                      "option '%s': value must be yes or no" % flag)

    def test_missing_and_unknown(self):
        self.config_error(self.base("stack_url"),
                          "pam_k6.conf: no such file, and no stack_url= (or users=) on the line")
        self.config_error(self.args(extra=["stack"]), "unknown option 'stack'")
        self.config_error(self.args(extra=["Debug"]), "unknown option 'Debug'")
        self.config_error(self.args(extra=["try_first_pass", "use_first_pass"]),
                          "exclude each other")


if __name__ == "__main__":
    k6test.main()
