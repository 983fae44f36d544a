#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""pam_k6 end to end: real libpam, the built module, the stand-in API."""

import json
import os
import shutil
import socket
import subprocess

import faults
import k6test
from k6test import (MODULE, PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_CONV_ERR,
                    PAM_INCOMPLETE, PAM_SERVICE_ERR, PAM_SUCCESS, PAM_USER_UNKNOWN,
                    PAM_WRAPPER_MODULES, PamTestCase)
from stand_in import ConnectProxy

BAD_TOKEN = "k6bad00000000000000000000000000"  # token-shaped, unknown to the API
UNAVAILABLE_TEXT = "The k6 API could not be reached; please try again later."


def free_port():
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Success(PamTestCase):
    def test_token_accepted_environment_exact(self):
        r = self.authenticate([self.GOOD])
        self.assertEqual(r.auth, PAM_SUCCESS, r.stdout + r.stderr)
        self.assertEqual(r.prompts, [("echo_off", "k6 API token: ")])
        self.assertEqual(r.k6_env(), {
            "K6_CLOUD_STACK_ID": "12345",
            "K6_CLOUD_PROJECT_ID": "67890",
            "K6_CLOUD_STACK_URL": "https://alpha.grafana.net",
            "K6_CLOUD_HOST_V6": self.api.url,
        })
        self.assertEqual(r.errors, [])
        self.assertEqual(r.delays, [])
        self.assertEqual(len(self.api.take_requests()), 1)

    def test_request_is_exactly_as_specified(self):
        self.authenticate([self.GOOD])
        (req,) = self.api.take_requests()
        self.assertEqual(req["method"], "GET")
        self.assertEqual(req["path"], "/cloud/v6/auth")
        self.assertEqual(req["body"], b"")
        headers = dict(req["headers"])
        self.assertEqual(len(headers), len(req["headers"]), "a header was sent twice")
        self.assertEqual(sorted(headers), sorted(
            ["Host", "User-Agent", "Accept", "Authorization", "X-Stack-Url"]))
        self.assertEqual(headers["Authorization"], "Bearer " + self.GOOD)
        self.assertEqual(headers["X-Stack-Url"], "https://alpha.grafana.net")
        self.assertEqual(headers["Accept"], "application/json")
        self.assertEqual(headers["User-Agent"], "pam_k6/" + k6test.VERSION)

    def test_stack_url_is_normalised_before_it_is_sent(self):
        args = self.base_args()
        args[0] = "stack_url=HTTPS://Alpha.Grafana.NET///some/path"
        r = self.authenticate([self.GOOD], args=args)
        self.assertEqual(r.auth, PAM_SUCCESS)
        (req,) = self.api.take_requests()
        self.assertEqual(dict(req["headers"])["X-Stack-Url"], "https://alpha.grafana.net")
        self.assertEqual(r.env["K6_CLOUD_STACK_URL"], "https://alpha.grafana.net")

    def test_export_token(self):
        r = self.authenticate([self.GOOD], extra=["export_token"])
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(r.env.get("K6_CLOUD_TOKEN"), self.GOOD)

    def test_token_not_exported_by_default(self):
        r = self.authenticate([self.GOOD])
        self.assertNotIn("K6_CLOUD_TOKEN", r.env)
        for value in r.env.values():
            self.assertNotIn(self.GOOD, value)

    def test_large_ids_carried_whole(self):
        token = "k6maxids0123456789abcdef01234567"
        self.api.add_account(token, self.STACK, 9223372036854775807, 9223372036854775806)
        r = self.authenticate([token], secrets=[token])
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "9223372036854775807")
        self.assertEqual(r.env["K6_CLOUD_PROJECT_ID"], "9223372036854775806")

    def test_export_chooses_the_variables(self):
        # k6 reads K6_CLOUD_PROJECT_ID before a script's options.cloud.projectID:
        # a site whose scripts name their project leaves it out.
        cases = [
            ("export=stack_id,stack_url,api_url", {
                "K6_CLOUD_STACK_ID": "12345",
                "K6_CLOUD_STACK_URL": "https://alpha.grafana.net",
                "K6_CLOUD_HOST_V6": self.api.url}),
            ("export=project_id,stack_id", {
                "K6_CLOUD_STACK_ID": "12345", "K6_CLOUD_PROJECT_ID": "67890"}),
            ("export=none", {}),
        ]
        for arg, want in cases:
            with self.subTest(arg=arg):
                r = self.authenticate([self.GOOD], extra=[arg])
                self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
                self.assertEqual(r.k6_env(), want)
        # export_token stays on its own.
        r = self.authenticate([self.GOOD], extra=["export=none", "export_token"])
        self.assertEqual(r.k6_env(), {"K6_CLOUD_TOKEN": self.GOOD})

    def test_export_refuses_what_it_does_not_know(self):
        for arg in ("export=project", "export=stack_id,stack_id", "export=stack_id,",
                    "export=,stack_id", "export=none,stack_id", "export=token"):
            with self.subTest(arg=arg):
                r = self.authenticate([self.GOOD], extra=[arg])
                self.assertEqual(r.auth, PAM_SERVICE_ERR)
                self.assert_outcome(r, "configuration error", "option 'export': value must be")
                self.assertEqual(self.api.take_requests(), [])

    def test_stack_id_k6_cannot_use_is_warned_about(self):
        # k6 sends the stack ID as an int32 and refuses a larger one.
        token = "k6bigstack0123456789abcdef012345"
        self.api.add_account(token, self.STACK, 2147483648, 67890)
        r = self.authenticate([token], secrets=[token])
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "2147483648")
        warnings = [text for prio, text in r.logs if "overflows int32" in text]
        self.assertEqual(warnings, ["stack_id 2147483648 is above 2147483647: k6 refuses it"
                                    " (\"stack ID 2147483648 overflows int32\"), so k6 cloud"
                                    " run cannot use this stack"])
        self.assertIn((4, warnings[0]), r.logs)  # LOG_WARNING
        self.assert_outcome(r, "success", "stack_id=2147483648")
        # The largest stack ID k6 takes: nothing to warn about.
        token = "k6int32max0123456789abcdef012345"
        self.api.add_account(token, self.STACK, 2147483647, 67890)
        r = self.authenticate([token], secrets=[token])
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertNotIn("overflows", r.log_text())

    def test_success_log_line(self):
        r = self.authenticate([self.GOOD], options=["-r", "192.0.2.7", "-t", "ssh"])
        line = self.assert_outcome(r, "success", "user=alice", "rhost=192.0.2.7", "tty=ssh",
                                   "stack=https://alpha.grafana.net", "stack_id=12345",
                                   "project_id=67890", "time=")
        # Nothing went wrong, so there is no reason to give (the default
        # configuration file, missing here, is no reason either).
        self.assertNotIn("reason=", line)
        self.assertEqual(r.logs[-1][0] if r.logs else None, 6)  # LOG_INFO

    def test_default_api_url_through_proxy(self):
        # The default API host, reached through an explicit proxy that leads
        # to the stand-in: no K6_CLOUD_HOST_V6, and proxy= is honoured.
        proxy = ConnectProxy(self.api.port).start()
        try:
            args = ["stack_url=alpha", "ca_file=" + self.ca, "nodelay", "timeout=5",
                    "proxy=" + proxy.url]
            r = self.authenticate([self.GOOD], args=args)
        finally:
            proxy.stop()
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(proxy.targets, ["api.k6.io:443"])
        self.assertNotIn("K6_CLOUD_HOST_V6", r.env)
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "12345")

    def test_proxy_environment_is_ignored(self):
        # sudo keeps the caller's environment: https_proxy must change nothing.
        proxy = ConnectProxy(self.api.port).start()
        try:
            env = {"https_proxy": proxy.url, "HTTPS_PROXY": proxy.url, "ALL_PROXY": proxy.url,
                   "all_proxy": proxy.url}
            r = self.authenticate([self.GOOD], env=env)
        finally:
            proxy.stop()
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(proxy.targets, [])

    def test_bracket_prompt(self):
        line = "auth required %s [prompt=k6 token: ] %s" % (MODULE, " ".join(self.base_args()))
        r = self.run_driver(self.service([line]), answers=[self.GOOD])
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(r.prompts, [("echo_off", "k6 token: ")])


class CallerEnvironment(PamTestCase):
    """Under sudo the environment is the user's: it must not steer pam_k6."""

    def test_sslkeylogfile_refused(self):
        keylog = os.path.join(self.tmp, "keys.log")
        r = self.authenticate([self.GOOD], env={"SSLKEYLOGFILE": keylog})
        self.assertEqual(r.auth, PAM_SERVICE_ERR)
        self.assertFalse(os.path.exists(keylog), "TLS secrets were written")
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "configuration error", "SSLKEYLOGFILE")

    def test_no_proxy_cannot_bypass_the_proxy(self):
        proxy = ConnectProxy(self.api.port).start()
        try:
            args = self.base_args() + ["proxy=" + proxy.url]
            r = self.authenticate([self.GOOD], args=args,
                                  env={"NO_PROXY": "*", "no_proxy": "*"})
        finally:
            proxy.stop()
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(len(proxy.targets), 1)

    def in_own_trust_store(self, args, ca, store=None, **kw):
        """Run with the machine's default trust store replaced, in a private
        mount namespace, by one that trusts the stand-in's CA (or by store)."""
        if shutil.which("unshare") is None or subprocess.run(
                ["unshare", "-m", "true"] if os.geteuid() == 0 else
                ["unshare", "-rm", "true"], capture_output=True).returncode != 0:
            self.skipTest("cannot create a mount namespace here")
        store = store or os.path.join(self.tmp, "system-store")
        if not os.path.isdir(store):
            os.mkdir(store)
            shutil.copy(ca, os.path.join(store, "ca-certificates.crt"))
            shutil.copy(ca, os.path.join(store, "test-ca.pem"))
            subprocess.run(["openssl", "rehash", store], check=True, capture_output=True)
        unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
        prefix = unshare + ["sh", "-c", 'mount --bind "$0" /etc/ssl/certs && exec "$@"', store]
        return self.authenticate([self.GOOD], args=args, prefix=prefix, **kw)

    def test_default_store_is_what_trusts(self):
        # The control case: without ca_file, the (replaced) system store works.
        args = [a for a in self.base_args() if not a.startswith("ca_file=")]
        r = self.in_own_trust_store(args, self.ca)
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)

    def test_ca_file_replaces_the_system_store(self):
        args = self.base_args()
        args[2] = "ca_file=" + self.pki.ca("private-ca")
        r = self.in_own_trust_store(args, self.ca)
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        self.assert_outcome(r, "api unavailable", "curl error 60")

    def own_store(self, name, bundle, directory):
        """A private /etc/ssl/certs: ca-certificates.crt holding the CAs in
        bundle (two or more, so that rehash leaves it out), and the CAs in
        directory as hashed files."""
        store = os.path.join(self.tmp, name)
        if not os.path.isdir(store):
            os.mkdir(store)
            with open(os.path.join(store, "ca-certificates.crt"), "w") as out:
                for ca in bundle:
                    with open(ca) as f:
                        out.write(f.read())
            for i, ca in enumerate(directory):
                shutil.copy(ca, os.path.join(store, "ca-%d.pem" % i))
            subprocess.run(["openssl", "rehash", store], check=True, capture_output=True)
        return store

    def default_trust(self, name, bundle, directory, args=None, **kw):
        args = [a for a in args or self.base_args() if not a.startswith("ca_file=")] + ["debug"]
        return self.in_own_trust_store(args, self.ca,
                                       self.own_store(name, bundle, directory), **kw)

    def test_default_trust_is_the_directory_alone(self):
        # The bundle does not trust the stand-in: the directory alone did.
        others = [self.pki.ca("other-1"), self.pki.ca("other-2")]
        r = self.default_trust("dir-trusts", others, [self.ca])
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertIn("trust: the default directory", r.log_text())
        self.assertNotIn("did not verify", r.log_text())

    def test_default_trust_falls_back_to_the_bundle(self):
        # Only the bundle trusts the stand-in: the second try, with it, does.
        other = self.pki.ca("other-1")
        r = self.default_trust("bundle-trusts", [other, self.ca], [other])
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertIn("did not verify against the default directory alone", r.log_text())
        self.assertEqual(len(self.api.take_requests()), 1)

    def test_bundle_retry_keeps_to_the_time_limit(self):
        # Every handshake starts 3 s late and only the bundle trusts the
        # stand-in: two whole tries would take 6 s of a 4 s limit.  The
        # second try gets only what the first left, and runs out.
        timeout = 4
        relay = faults.SlowRelay(self.api.port, timeout - 1).start()
        self.addCleanup(relay.stop)
        args = ["stack_url=alpha", "api_url=" + relay.url, "nodelay",
                "timeout=%d" % timeout, "connect_timeout=%d" % timeout]
        other = self.pki.ca("other-1")
        r = self.default_trust("bundle-trusts", [other, self.ca], [other], args=args,
                               options=["-m"])
        (seconds,) = r.auth_seconds
        self.assertLessEqual(seconds, timeout + 1, "took %.2fs" % seconds)
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL, r.stderr)
        self.assertIn("did not verify against the default directory alone", r.log_text())
        self.assert_outcome(r, "api unavailable", "curl error 28", "timed out")
        self.assertEqual(self.api.take_requests(), [])

    def test_a_peer_that_failed_verification_never_opens_the_window(self):
        # As above, the second try runs out of time.  But a peer answered the
        # first, with a certificate: the network was not cut, and a root
        # caller with offline_ttl gets no answer from the cache.
        if os.geteuid() != 0:
            self.skipTest("the cache is root's: run as root")
        timeout = 4
        relay = faults.SlowRelay(self.api.port, 0).start()
        self.addCleanup(relay.stop)
        args = ["stack_url=alpha", "api_url=" + relay.url, "nodelay",
                "timeout=%d" % timeout, "connect_timeout=%d" % timeout,
                "cache_dir=" + os.path.join(self.tmp, "cache-peer-answered"), "offline_ttl=3600"]
        other = self.pki.ca("other-1")
        r = self.default_trust("bundle-trusts", [other, self.ca], [other], args=args)
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        relay.delay = timeout - 1
        r = self.default_trust("bundle-trusts", [other, self.ca], [other], args=args)
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL, r.stderr)
        self.assert_outcome(r, "api unavailable", "curl error 28",
                            "a peer answered, with a certificate that did not verify")
        self.assertNotIn("K6_CLOUD_STACK_ID", r.env)

    def test_default_trust_trusts_nothing_else(self):
        others = [self.pki.ca("other-1"), self.pki.ca("other-2")]
        r = self.default_trust("none-trusts", others, others)
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        self.assert_outcome(r, "api unavailable", "curl error 60")
        self.assertEqual(self.api.take_requests(), [])

    def test_ca_path_replaces_the_system_store(self):
        private = os.path.join(self.tmp, "private-dir")
        if not os.path.isdir(private):
            os.mkdir(private)
            shutil.copy(self.pki.ca("private-ca2"), private)
            subprocess.run(["openssl", "rehash", private], check=True, capture_output=True)
        args = self.base_args()
        args[2] = "ca_path=" + private
        r = self.in_own_trust_store(args, self.ca)
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        self.assert_outcome(r, "api unavailable", "curl error 60")


class Refusals(PamTestCase):
    def test_401_is_auth_err(self):
        r = self.authenticate([BAD_TOKEN], secrets=[BAD_TOKEN])
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(r.k6_env(), {})
        self.assertEqual(r.errors, [], "a refusal must not tell the user why")
        self.assert_outcome(r, "denied", "user=alice", "HTTP 401",
                            "Invalid token or authentication scheme.")
        self.assertEqual(len(self.api.take_requests()), 1)

    def test_403_other_stack_is_auth_err(self):
        r = self.authenticate([self.OTHER_STACK])
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(r.k6_env(), {})
        self.assert_outcome(r, "denied", "HTTP 403", "Stack not found")

    def test_failure_requests_fail_delay(self):
        args = [a for a in self.base_args() if a != "nodelay"]
        r = self.authenticate([BAD_TOKEN], args=args, secrets=[BAD_TOKEN])
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(len(r.delays), 1)
        # 2 s requested; libpam varies it by up to 50 % either way.
        self.assertTrue(1000000 <= r.delays[0] <= 3000000, r.delays)

    def test_nodelay_requests_no_delay(self):
        r = self.authenticate([BAD_TOKEN], secrets=[BAD_TOKEN])
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(r.delays, [])


class Unavailable(PamTestCase):
    def canned(self, token, status, body=b"", headers=()):
        self.api.add_canned(token, status, body, headers)
        return self.authenticate([token], secrets=[token])

    def assert_unavailable(self, r, *fragments):
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL, r.stdout + r.stderr)
        self.assertEqual(r.k6_env(), {})
        self.assertEqual(r.errors, [UNAVAILABLE_TEXT])
        self.assert_outcome(r, "api unavailable", *fragments)

    def test_500(self):
        r = self.canned("k6status500aaaaaaaaaaaaaaaaaaaaaaa", 500,
                        json.dumps({"error": {"code": "internal", "message": "boom"}}).encode())
        self.assert_unavailable(r, "HTTP 500", "internal: boom")

    def test_429_and_503(self):
        r = self.canned("k6status429aaaaaaaaaaaaaaaaaaaaaaa", 429, b"", [("Retry-After", "30")])
        self.assert_unavailable(r, "HTTP 429")
        r = self.canned("k6status503aaaaaaaaaaaaaaaaaaaaaaa", 503, b"<html>down</html>")
        self.assert_unavailable(r, "HTTP 503")

    def test_redirect_not_followed(self):
        r = self.canned("k6status302aaaaaaaaaaaaaaaaaaaaaaa", 302, b"",
                        [("Location", self.api.url + "/elsewhere")])
        self.assert_unavailable(r, "HTTP 302")
        paths = [req["path"] for req in self.api.take_requests()]
        self.assertEqual(paths, ["/cloud/v6/auth"])

    def test_malformed_200(self):
        r = self.canned("k6malformedaaaaaaaaaaaaaaaaaaaaaa", 200, b'{"stack_id": 1}')
        self.assert_unavailable(r, "HTTP 200", "default_project_id missing")
        r = self.canned("k6dupkeyaaaaaaaaaaaaaaaaaaaaaaaaa", 200,
                        b'{"stack_id": 1, "default_project_id": 2, "stack_id": 3}')
        self.assert_unavailable(r, "stack_id given more than once")

    def test_body_over_cap(self):
        body = b'{"stack_id":1,"default_project_id":2,"pad":"' + b"a" * 70000 + b'"}'
        r = self.canned("k6bigbodyaaaaaaaaaaaaaaaaaaaaaaaa", 200, body)
        self.assert_unavailable(r, "larger than 65536 bytes")

    def test_api_down(self):
        args = self.base_args()
        args[1] = "api_url=https://127.0.0.1:%d" % free_port()
        r = self.authenticate([self.GOOD], args=args)
        self.assert_unavailable(r, "curl error 7")

    def test_untrusted_certificate(self):
        other_ca = self.pki.ca("other-ca")
        args = self.base_args()
        args[2] = "ca_file=" + other_ca
        r = self.authenticate([self.GOOD], args=args)
        self.assert_unavailable(r, "curl error 60")
        self.assertEqual(self.api.take_requests(), [], "the token crossed an untrusted TLS link")

    def test_silent_suppresses_message(self):
        args = self.base_args()
        args[1] = "api_url=https://127.0.0.1:%d" % free_port()
        r = self.authenticate([self.GOOD], args=args, options=["-q"])
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        self.assertEqual(r.errors, [])


class Screening(PamTestCase):
    BAD_ANSWERS = [
        ("empty", ""),
        ("too short", "abcdefghijk"),
        ("space", "abcdef ghijklmnop"),
        ("trailing newline", "k6good0123456789abcdef0123456789\\n"),
        ("header injection", "k6good0123456789abcdef\\r\\nX-Evil: 1"),
        ("sshd junk for unknown users", "\\b\\n\\r\\x7fINCORRECT"),
        ("control character", "abcdefghijkl\\x01"),
        ("non-ASCII", "abcdefghijkl\\xc3\\xa9"),
        ("too long", "a" * 4097),
    ]

    def test_bad_answers_send_nothing(self):
        for label, answer in self.BAD_ANSWERS:
            with self.subTest(label):
                r = self.authenticate([answer])
                self.assertEqual(r.auth, PAM_AUTH_ERR)
                self.assertEqual(self.api.take_requests(), [])
                self.assert_outcome(r, "not a token", "user=alice")

    def test_longest_token_is_sent(self):
        token = "a" * 4096
        r = self.authenticate([token], secrets=[token])
        self.assertEqual(r.auth, PAM_AUTH_ERR)  # 401 from the stand-in
        self.assertEqual(len(self.api.take_requests()), 1)

    def test_null_answer_is_empty(self):
        r = self.authenticate([], options=["-c", "null"])
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(self.api.take_requests(), [])


class Conversation(PamTestCase):
    def test_conversation_failure_returned(self):
        r = self.authenticate([], options=["-c", "fail"])
        self.assertEqual(r.auth, PAM_CONV_ERR)
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "conversation failed")

    def test_conversation_code_is_returned_as_is(self):
        r = self.authenticate([], options=["-c", "abort"])
        self.assertEqual(r.auth, 26)  # PAM_ABORT
        self.assertEqual(self.api.take_requests(), [])

    def test_conv_again_becomes_incomplete(self):
        r = self.authenticate([], options=["-c", "again"])
        self.assertEqual(r.auth, PAM_INCOMPLETE)
        self.assertEqual(self.api.take_requests(), [])


class Configuration(PamTestCase):
    CASES = [
        # The default configuration file is not there: it is named.
        (["nodelay"], "pam_k6.conf: no such file, and no stack_url= (or users=) on the line"),
        (["stack_url=alpha", "bogus"], "unknown option 'bogus'"),
        (["stack_url=alpha", "api_url=http://127.0.0.1:1"], "'api_url'"),
        (["stack_url=alpha", "api_url=file:///etc/passwd"], "'api_url'"),
        (["stack_url=alpha", "api_url=https://user:pw@127.0.0.1:1"], "'api_url'"),
        (["stack_url=alpha beta.grafana.net"], "unknown option 'beta.grafana.net'"),
        (["stack_url=bad_host"], "'stack_url'"),
        (["stack_url=alpha", "timeout=0"], "'timeout'"),
        (["stack_url=alpha", "timeout=abc"], "'timeout'"),
        (["stack_url=alpha", "connect_timeout=100"], "'connect_timeout'"),
        (["stack_url=alpha", "ip_resolve=ipv5"], "'ip_resolve'"),
        (["stack_url=alpha", "ca_file=relative.pem"], "'ca_file'"),
        (["stack_url=alpha", "debug=on"], "'debug': value must be yes or no"),
        (["stack_url=alpha", "stack_url=beta"], "'stack_url' given more than once"),
        (["stack_url=alpha", "try_first_pass", "use_first_pass"], "exclude each other"),
    ]

    def test_config_errors_ask_and_send_nothing(self):
        for args, fragment in self.CASES:
            with self.subTest(args=args):
                r = self.authenticate([self.GOOD], args=args + ["nodelay"] * ("nodelay" not in args))
                self.assertEqual(r.auth, PAM_SERVICE_ERR, r.stderr)
                self.assertEqual(r.prompts, [])
                self.assertEqual(self.api.take_requests(), [])
                self.assert_outcome(r, "configuration error", fragment)

    def test_unreadable_ca_file_is_config_error(self):
        args = self.base_args()
        args[2] = "ca_file=/nonexistent/ca.pem"
        r = self.authenticate([self.GOOD], args=args)
        self.assertEqual(r.auth, PAM_SERVICE_ERR)
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "configuration error", "ca_file")


class Users(PamTestCase):
    def test_root_refused_after_prompt(self):
        r = self.authenticate([self.GOOD], user="root")
        self.assertEqual(r.auth, PAM_USER_UNKNOWN)
        self.assertEqual(r.prompts, [("echo_off", "k6 API token: ")])
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "user unknown", "user=root", "allow_root")

    def test_root_with_allow_root(self):
        r = self.authenticate([self.GOOD], user="root", extra=["allow_root"])
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "12345")

    def test_unknown_user_after_prompt(self):
        r = self.authenticate([self.GOOD], user="mallory")
        self.assertEqual(r.auth, PAM_USER_UNKNOWN)
        self.assertEqual(r.prompts, [("echo_off", "k6 API token: ")])
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "user unknown", "user=mallory", "no such user")

    def test_unknown_user_with_use_first_pass_and_nothing_stored(self):
        r = self.authenticate([], user="mallory", extra=["use_first_pass"])
        self.assertEqual(r.auth, PAM_USER_UNKNOWN)
        self.assertEqual(r.prompts, [])
        self.assert_outcome(r, "user unknown", "no such user")

    def test_unknown_and_known_users_see_the_same_prompt(self):
        known = self.authenticate([BAD_TOKEN], secrets=[BAD_TOKEN])
        unknown = self.authenticate([BAD_TOKEN], user="mallory", secrets=[BAD_TOKEN])
        self.assertEqual(known.prompts, unknown.prompts)
        self.assertEqual(known.errors, unknown.errors)


class Stacking(PamTestCase):
    UNIX_PASSWORD = "unixpass0123456789abcdef"  # token-shaped on purpose

    def set_items_line(self):
        return "auth required %s/pam_set_items.so" % PAM_WRAPPER_MODULES

    def test_unix_password_never_reaches_the_api(self):
        # pam_unix stores the password it asked for as PAM_AUTHTOK; pam_k6
        # must ask for its own token instead of sending that password.
        name = self.service(["auth optional pam_unix.so", self.module_line()])
        r = self.run_driver(name, answers=[self.UNIX_PASSWORD, self.GOOD],
                            secrets=[self.UNIX_PASSWORD])
        self.assertEqual(r.auth, PAM_SUCCESS, r.stdout + r.stderr)
        self.assertEqual([text for _, text in r.prompts], ["Password: ", "k6 API token: "])
        for req in self.api.take_requests():
            self.assertNotIn(self.UNIX_PASSWORD, repr(req))

    def test_try_first_pass_uses_stored_token(self):
        name = self.service([self.set_items_line(), self.module_line(extra=["try_first_pass"])])
        r = self.run_driver(name, env={"PAM_AUTHTOK": self.GOOD})
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(r.prompts, [])

    def test_try_first_pass_prompts_without_stored_token(self):
        name = self.service([self.set_items_line(), self.module_line(extra=["try_first_pass"])])
        r = self.run_driver(name, answers=[self.GOOD])
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(r.prompts, [("echo_off", "k6 API token: ")])

    def test_use_first_pass_uses_stored_token(self):
        name = self.service([self.set_items_line(), self.module_line(extra=["use_first_pass"])])
        r = self.run_driver(name, env={"PAM_AUTHTOK": self.GOOD})
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(r.prompts, [])

    def test_use_first_pass_without_stored_token_fails(self):
        name = self.service([self.set_items_line(), self.module_line(extra=["use_first_pass"])])
        r = self.run_driver(name, answers=[self.GOOD])
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(r.prompts, [])
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "not a token", "use_first_pass")

    def test_stored_token_is_screened(self):
        name = self.service([self.set_items_line(), self.module_line(extra=["use_first_pass"])])
        r = self.run_driver(name, env={"PAM_AUTHTOK": "short"})
        self.assertEqual(r.auth, PAM_AUTH_ERR)
        self.assertEqual(self.api.take_requests(), [])

    def test_token_not_left_as_authtok(self):
        # pam_get_items copies every PAM item into the environment: pam_k6
        # must leave PAM_AUTHTOK as it found it, unset or the Unix password.
        get_items = "auth required %s/pam_get_items.so" % PAM_WRAPPER_MODULES
        r = self.run_driver(self.service([self.module_line(), get_items]), answers=[self.GOOD])
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertNotIn("PAM_AUTHTOK", r.env)
        name = self.service(["auth optional pam_unix.so", self.module_line(), get_items])
        r = self.run_driver(name, answers=[self.UNIX_PASSWORD, self.GOOD],
                            secrets=[self.UNIX_PASSWORD])
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(r.env.get("PAM_AUTHTOK"), self.UNIX_PASSWORD)


class Setcred(PamTestCase):
    def test_setcred_reexports(self):
        r = self.authenticate([self.GOOD], options=["-s", "-u"], extra=["export_token"])
        self.assertEqual(r.codes, [("authenticate", 0), ("setcred", 0)])
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "12345")
        self.assertEqual(r.env["K6_CLOUD_PROJECT_ID"], "67890")
        self.assertEqual(r.env["K6_CLOUD_STACK_URL"], self.STACK)
        self.assertEqual(r.env["K6_CLOUD_TOKEN"], self.GOOD)

    def test_setcred_without_result_succeeds_quietly(self):
        # As in sshd's session process with keyboard-interactive: setcred on
        # a handle where pam_k6 never authenticated.  Nothing to re-export,
        # and still PAM_SUCCESS, since sshd treats an error as fatal.
        r = self.authenticate([], options=["-X"])
        self.assertEqual(r.codes, [("setcred", 0)])
        self.assertEqual(r.k6_env(), {})

    def test_later_failure_on_the_same_handle_leaves_nothing(self):
        r = self.authenticate([self.GOOD, BAD_TOKEN], options=["-R", "2"],
                              extra=["export_token"], secrets=[BAD_TOKEN])
        self.assertEqual(r.auths(), [PAM_SUCCESS, PAM_AUTH_ERR])
        self.assertEqual(r.k6_env(), {})

    def test_failed_export_leaves_nothing(self):
        # libpam runs out of memory on the third pam_putenv: the module says
        # so, and takes back the two variables it had already set.
        env = {"LD_PRELOAD": os.environ.get("K6_TEST_FAIL_PUTENV", "") + ":" +
               ":".join(k6test.PRELOADS), "K6_TEST_FAIL_PUTENV_AT": "3"}
        r = self.authenticate([self.GOOD], extra=["export_token"], env=env)
        self.assertEqual(r.auth, k6test.PAM_BUF_ERR, r.stderr)
        self.assertEqual(r.k6_env(), {})
        self.assert_outcome(r, "out of memory")


class Logging(PamTestCase):
    def test_outside_text_is_escaped(self):
        token = "k6evilmsgaaaaaaaaaaaaaaaaaaaaaaaa"
        self.api.add_canned(token, 401, json.dumps(
            {"error": {"code": "error", "message": "bad\r\nauth success: user=root"}}).encode())
        r = self.authenticate([token], options=["-r", "host\nforged", "-t", "pts/1 x"],
                              secrets=[token])
        line = self.assert_outcome(r, "denied", "rhost=host\\x0aforged", "tty=pts/1\\x20x",
                                   "bad\\x0d\\x0aauth success: user=root")
        self.assertNotIn("\n", line)

    def test_user_name_is_escaped(self):
        r = self.authenticate([self.GOOD], user="eve rhost=10.0.0.1\nx")
        self.assertEqual(r.auth, PAM_USER_UNKNOWN)
        self.assert_outcome(r, "user unknown", "user=eve\\x20rhost=10.0.0.1\\x0ax ")

    def test_debug_logs_detail_without_secrets(self):
        r = self.authenticate([self.GOOD], extra=["debug", "export_token"])
        self.assertEqual(r.auth, PAM_SUCCESS)
        text = r.log_text()
        (options,) = [t for _, t in r.logs if t.startswith("options: ")]
        self.assertTrue(options.startswith("options: version=%s conf=" % k6test.VERSION), options)
        for shown in ("stack_url=https://alpha.grafana.net", "users=none", "stack_id=none",
                      "api_url=" + self.api.url, "ca_file=" + self.ca, "ca_path=none",
                      "timeout=5", "cache_ttl=0", "offline_ttl=0", "prompt=\"k6 API token: \"",
                      "nodelay=yes", "debug=yes", "export_token=yes"):
            self.assertIn(" " + shown, options)
        self.assertIn("GET %s/cloud/v6/auth" % self.api.url, text)
        self.assertIn("answer: HTTP 200", text)
        # assert_no_secret_in_logs ran inside run_driver; say it once more.
        self.assertNotIn(self.GOOD[:8], text)


if __name__ == "__main__":
    k6test.main()
