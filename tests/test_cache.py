#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The validation cache and the offline window, end to end."""

import os
import shutil
import stat
import subprocess
import time

import k6test
from k6test import (PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_SUCCESS, PRELOADS, PamTestCase,
                    token_pieces)
from stand_in import StandIn

TOKEN = "k6cache0123456789abcdef012345678"


class Cache(PamTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Readable (not writable) by others: the non-root caller test needs it.
        os.chmod(cls.tmp, 0o755)

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.skipTest("the cache is root's: run as root")
        self.dir = os.path.join(self.tmp, "cache-%s" % self._testMethodName)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.api.add_account(TOKEN, self.STACK, 12345, 67890)
        self.secrets.add(TOKEN)

    def args(self, cache_ttl=0, offline_ttl=0, api=None, *extra):
        api = api or self.api
        return ["stack_url=alpha", "api_url=" + api.url, "ca_file=" + self.ca, "nodelay",
                "timeout=2", "connect_timeout=1", "cache_dir=" + self.dir,
                "cache_ttl=%d" % cache_ttl, "offline_ttl=%d" % offline_ttl] + list(extra)

    def login(self, args, token=TOKEN, **kw):
        return self.authenticate([token], args=args, **kw)

    def records(self):
        return sorted(n for n in os.listdir(self.dir) if len(n) == 64)

    def private_api(self):
        api = StandIn(self.cert, self.key).start()
        api.add_account(TOKEN, self.STACK, 12345, 67890)
        return api

    def test_hit_without_a_request(self):
        first = self.login(self.args(cache_ttl=60))
        self.assertEqual(first.auth, PAM_SUCCESS, first.stderr)
        self.assertEqual(len(self.api.take_requests()), 1)
        second = self.login(self.args(cache_ttl=60))
        self.assertEqual(second.auth, PAM_SUCCESS)
        self.assertEqual(self.api.take_requests(), [], "a cached login asked the API")
        self.assertEqual(second.k6_env(), first.k6_env())
        self.assert_outcome(second, "success", "cache=hit age=", "stack_id=12345")

    def test_expiry(self):
        self.assertEqual(self.login(self.args(cache_ttl=1)).auth, PAM_SUCCESS)
        time.sleep(2.2)
        r = self.login(self.args(cache_ttl=1))
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(len(self.api.take_requests()), 2)
        self.assertNotIn("cache=hit", r.outcome_lines()[0])

    def test_cache_off_by_default(self):
        args = [a for a in self.args() if not a.startswith(("cache_ttl", "offline_ttl"))]
        self.login(args)
        self.login(args)
        self.assertEqual(len(self.api.take_requests()), 2)
        self.assertFalse(os.path.exists(self.dir))

    def test_revocation_deletes_the_record(self):
        api = self.private_api()
        try:
            self.assertEqual(self.login(self.args(offline_ttl=3600, api=api)).auth, PAM_SUCCESS)
            self.assertEqual(len(self.records()), 1)
            del api.accounts[TOKEN]  # revoked: the API now says 401
            r = self.login(self.args(offline_ttl=3600, api=api))
            self.assertEqual(r.auth, PAM_AUTH_ERR)
            self.assertEqual(self.records(), [])
        finally:
            api.stop()
        # Even with the API down, a revoked token stays out.
        r = self.login(self.args(offline_ttl=3600, api=api))
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)

    def test_offline_grace_on_refused_connection(self):
        api = self.private_api()
        self.assertEqual(self.login(self.args(cache_ttl=1, offline_ttl=3600, api=api)).auth,
                         PAM_SUCCESS)
        api.stop()
        time.sleep(2.2)  # past cache_ttl: an online check is due, and fails
        r = self.login(self.args(cache_ttl=1, offline_ttl=3600, api=api))
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "12345")
        line = self.assert_outcome(r, "success", "cache=offline", "could not be reached",
                                   "curl error 7", "offline cache")
        self.assertIn((4, line), r.logs)  # LOG_WARNING: loud
        self.assertEqual(r.errors, [])

    def test_no_grace_on_500(self):
        # An answer shows the API reached, whatever it says: only a network
        # path that could not be used opens the window.
        api = self.private_api()
        try:
            self.assertEqual(self.login(self.args(offline_ttl=3600, api=api)).auth, PAM_SUCCESS)
            del api.accounts[TOKEN]
            api.add_canned(TOKEN, 500, b'{"error":{"code":"error","message":"down"}}')
            r = self.login(self.args(offline_ttl=3600, api=api))
            self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
            self.assert_outcome(r, "api unavailable", "HTTP 500")
            self.assertNotIn("cache=offline", r.log_text())
        finally:
            api.stop()

    def test_offline_grace_expired(self):
        api = self.private_api()
        self.assertEqual(self.login(self.args(offline_ttl=1, api=api)).auth, PAM_SUCCESS)
        api.stop()
        time.sleep(2.2)
        r = self.login(self.args(offline_ttl=1, api=api))
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)

    def test_no_grace_after_tls_pin_or_malformed_answer(self):
        self.assertEqual(self.login(self.args(offline_ttl=3600)).auth, PAM_SUCCESS)
        untrusted = self.args(offline_ttl=3600)
        untrusted[2] = "ca_file=" + self.pki.ca("untrusted-for-cache")
        r = self.login(untrusted)
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        self.assert_outcome(r, "api unavailable", "curl error 60")
        pin = self.args(offline_ttl=3600) + ["pinned_pubkey=sha256//" + "A" * 43 + "="]
        r = self.login(pin)
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        del self.api.accounts[TOKEN]
        self.api.add_canned(TOKEN, 200, b'{"stack_id": 12345}')
        try:
            r = self.login(self.args(offline_ttl=3600))
            self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
            self.assert_outcome(r, "api unavailable", "unusable body")
        finally:
            del self.api.canned[TOKEN]

    def test_stack_and_api_never_share_a_record(self):
        api = self.private_api()
        self.assertEqual(self.login(self.args(offline_ttl=3600, api=api)).auth, PAM_SUCCESS)
        api.stop()
        beta = self.args(offline_ttl=3600, api=api)
        beta[0] = "stack_url=beta"
        self.assertEqual(self.login(beta).auth, PAM_AUTHINFO_UNAVAIL)
        other_api = self.args(offline_ttl=3600, api=api)
        other_api[1] = "api_url=https://localhost:%d" % api.port
        self.assertEqual(self.login(other_api).auth, PAM_AUTHINFO_UNAVAIL)
        # The original triple still has its record.
        self.assertEqual(self.login(self.args(offline_ttl=3600, api=api)).auth, PAM_SUCCESS)

    def test_trust_settings_never_share_a_record(self):
        # A record made under one trust store answers for that trust only:
        # another service's pin, CA or proxy must be checked by a request.
        pin = "pinned_pubkey=sha256//" + "A" * 43 + "="
        self.assertEqual(self.login(self.args(cache_ttl=60)).auth, PAM_SUCCESS)
        self.api.take_requests()
        r = self.login(self.args(cache_ttl=60) + [pin])
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL, "a pin that matches nothing let a token in")
        self.assert_outcome(r, "api unavailable", "curl error 90")
        other_ca = self.args(cache_ttl=60)
        other_ca[2] = "ca_file=" + self.pki.ca("other-for-cache")
        r = self.login(other_ca)
        self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL)
        self.assertNotIn("cache=hit", r.outcome_lines()[0])
        # With the API gone, the offline window is no way round either.
        api = self.private_api()
        self.assertEqual(self.login(self.args(offline_ttl=3600, api=api)).auth, PAM_SUCCESS)
        api.stop()
        for extra in ([pin], ["proxy=http://127.0.0.1:%d" % api.port]):
            r = self.login(self.args(offline_ttl=3600, api=api) + extra)
            self.assertEqual(r.auth, PAM_AUTHINFO_UNAVAIL, extra)
            self.assertNotIn("cache=offline", r.outcome_lines()[0])
        self.assertEqual(self.login(self.args(offline_ttl=3600, api=api)).auth, PAM_SUCCESS)

    def test_token_is_written_nowhere(self):
        self.login(self.args(cache_ttl=60, offline_ttl=3600))
        pieces = token_pieces(TOKEN)
        for root, _, files in os.walk(self.dir):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    data = f.read()
                for piece in pieces:
                    self.assertNotIn(piece.encode(), data, name)
                    self.assertNotIn(piece, name)

    def test_permissions(self):
        self.login(self.args(cache_ttl=60))
        mode = lambda p: stat.S_IMODE(os.lstat(p).st_mode)  # noqa: E731
        self.assertEqual(mode(self.dir), 0o700)
        self.assertEqual(mode(os.path.join(self.dir, "key")), 0o400)
        self.assertEqual(os.path.getsize(os.path.join(self.dir, "key")), 32)
        (record,) = self.records()
        self.assertEqual(mode(os.path.join(self.dir, record)), 0o600)
        for name in os.listdir(self.dir):
            self.assertEqual(os.lstat(os.path.join(self.dir, name)).st_uid, 0)

    def test_a_folder_above_of_another_account_turns_it_off(self):
        # The cache folder is found as the late parts are: through folders
        # only root may change.
        top = os.path.join(self.tmp, "alice-owns-%s" % self._testMethodName)
        os.makedirs(top, exist_ok=True)
        os.chmod(top, 0o755)
        os.chown(top, 1000, 1000)
        self.dir = os.path.join(top, "cache")
        r = self.login(self.args(cache_ttl=60))
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertIn("the cache folder cannot be made: the folder %s is not owned by root; "
                      "logins are validated online" % top, r.log_text())
        # Nor is a cache that is there used.
        os.mkdir(self.dir, 0o700)
        r = self.login(self.args(cache_ttl=60))
        self.assertIn("cache %s: the folder %s is owned by uid 1000; logins are validated online"
                      % (self.dir, top), r.log_text())
        self.assertEqual(self.records(), [])
        os.rmdir(self.dir)
        self.assertFalse(os.path.exists(self.dir), "the cache was made there")
        os.chown(top, 0, 0)
        self.login(self.args(cache_ttl=60))
        self.assertEqual(len(self.records()), 1)

    def test_symlinked_and_foreign_entries_are_ignored(self):
        self.assertEqual(self.login(self.args(cache_ttl=60)).auth, PAM_SUCCESS)
        (record,) = self.records()
        path = os.path.join(self.dir, record)
        forged = os.path.join(self.tmp, "forged-record")
        with open(path) as f:
            text = f.read()
        with open(forged, "w") as f:
            f.write(text.replace("stack_id 12345", "stack_id 99999"))
        os.chmod(forged, 0o600)
        os.unlink(path)
        os.symlink(forged, path)
        self.api.take_requests()
        r = self.login(self.args(cache_ttl=60))
        self.assertEqual(r.env.get("K6_CLOUD_STACK_ID"), "12345")
        self.assertEqual(len(self.api.take_requests()), 1, "the symlink was trusted")
        self.assertIn("ignored: is a symbolic link", r.log_text())
        # Rewritten by the online login; now make it someone else's.
        os.chown(path, 65534, 65534)
        r = self.login(self.args(cache_ttl=60))
        self.assertEqual(len(self.api.take_requests()), 1, "a foreign record was trusted")
        self.assertIn("ignored: is not a file of root's", r.log_text())

    def test_entries_others_may_read_are_ignored(self):
        self.assertEqual(self.login(self.args(cache_ttl=60)).auth, PAM_SUCCESS)
        (record,) = self.records()
        path = os.path.join(self.dir, record)
        for mode in (0o640, 0o604):
            with self.subTest(mode=oct(mode)):
                os.chmod(path, mode)
                self.api.take_requests()
                r = self.login(self.args(cache_ttl=60))
                self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
                self.assertEqual(len(self.api.take_requests()), 1,
                                 "a record others may read was trusted")
                self.assertNotIn("cache=hit", r.outcome_lines()[0])
                ignored = [t for _, t in r.logs if "cache entry " in t]
                self.assertEqual(len(ignored), 1, ignored)
                self.assertIn("ignored: is not a file of root's that only root can read",
                              ignored[0])
                # The online answer took its place, as pam_k6 writes it.
                self.assertEqual(stat.S_IMODE(os.lstat(path).st_mode), 0o600)

    def test_key_others_may_read_turns_the_cache_off(self):
        self.assertEqual(self.login(self.args(cache_ttl=60)).auth, PAM_SUCCESS)
        key = os.path.join(self.dir, "key")
        with open(key, "rb") as f:
            secret = f.read()
        for mode in (0o440, 0o404):
            with self.subTest(mode=oct(mode)):
                os.chmod(key, mode)
                self.api.take_requests()
                r = self.login(self.args(cache_ttl=60))
                self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
                self.assertEqual(len(self.api.take_requests()), 1,
                                 "a key others may read was used")
                self.assertNotIn("cache=hit", r.outcome_lines()[0])
                notes = [t for _, t in r.logs if "logins are validated online" in t]
                self.assertEqual(len(notes), 1, r.log_text())
                self.assertIn("the host key is not root's alone", notes[0])
                # Left as it was: neither replaced nor given back its mode.
                self.assertEqual(stat.S_IMODE(os.lstat(key).st_mode), mode)
                with open(key, "rb") as f:
                    self.assertEqual(f.read(), secret)
        # Root's alone again, the key names the record it named before.
        os.chmod(key, 0o400)
        r = self.login(self.args(cache_ttl=60))
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "success", "cache=hit")

    def replace_key(self, data):
        """Put data in place of the host key, as root's with mode 0400."""
        new = os.path.join(self.dir, ".new-key")
        fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o400)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.rename(new, os.path.join(self.dir, "key"))

    def test_replaced_key_is_a_miss(self):
        self.assertEqual(self.login(self.args(cache_ttl=60)).auth, PAM_SUCCESS)
        self.assertEqual(self.login(self.args(cache_ttl=60)).auth, PAM_SUCCESS)
        self.assertEqual(len(self.api.take_requests()), 1, "no hit before the key changed")
        (before,) = self.records()
        with open(os.path.join(self.dir, "key"), "rb") as f:
            old_key = f.read()
        new_key = os.urandom(32)
        while new_key == old_key:
            new_key = os.urandom(32)
        self.replace_key(new_key)
        r = self.login(self.args(cache_ttl=60))
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr)
        self.assertEqual(len(self.api.take_requests()), 1,
                         "a record named under the old key was used")
        self.assertNotIn("cache=hit", r.outcome_lines()[0])
        # The answer is stored under a name of the new key's.
        self.assertIn(before, self.records())
        self.assertEqual(len(self.records()), 2)
        r = self.login(self.args(cache_ttl=60))
        self.assertEqual(self.api.take_requests(), [])
        self.assert_outcome(r, "success", "cache=hit")

    def test_corrupt_entry_is_ignored(self):
        self.login(self.args(cache_ttl=60))
        (record,) = self.records()
        path = os.path.join(self.dir, record)
        with open(path) as f:
            text = f.read()
        for bad in (text.replace("stack_id 12345", "stack_id 012345"), text[:-1], "junk\n",
                    text + "extra 1\n"):
            with self.subTest(bad=bad):
                with open(path, "w") as f:
                    f.write(bad)
                self.api.take_requests()
                r = self.login(self.args(cache_ttl=60))
                self.assertEqual(r.auth, PAM_SUCCESS)
                self.assertEqual(len(self.api.take_requests()), 1)
                self.assertIn("ignored: is corrupt", r.log_text())

    def test_expired_records_are_pruned_and_the_store_bounded(self):
        self.login(self.args(offline_ttl=3600))
        (record,) = self.records()
        with open(os.path.join(self.dir, record)) as f:
            good = f.read()
        now = int(time.time())
        expired = ("pam_k6 cache 2\ncreated %d\nexpires %d\nstack https://alpha.grafana.net\n"
                   "stack_id 1\nproject_id 2\n" % (now - 100, now - 50))
        for i in range(10005):
            name = "%064x" % (i + 1)
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(expired if i < 5 else good)
            os.chmod(os.path.join(self.dir, name), 0o600)
        # Pruning runs at most once a minute: make the last run old.
        lock = os.path.join(self.dir, "lock")
        os.utime(lock, (now - 120, now - 120))
        self.login(self.args(offline_ttl=3600))
        names = self.records()
        self.assertLessEqual(len(names), 10000)
        self.assertNotIn("%064x" % 1, names, "an expired record survived")
        self.assertIn(record, names, "the newest record was pruned")

    def test_many_processes_at_once(self):
        procs = 8
        env = dict(os.environ)
        env.update(self.wrapper_env())
        api = self.private_api()
        name = self.service([self.module_line(self.args(offline_ttl=3600, api=api))])
        tokens = ["k6burst%d%s" % (i, "0" * 25) for i in range(4)]
        for t in tokens:
            api.add_account(t, self.STACK, 12345, 67890)
        with k6test.wrapper_turn():
            running = []
            for i in range(procs):
                argv = [k6test.DRIVER, "-n", "50", "-a", tokens[i % len(tokens)], name, "alice"]
                running.append(subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                                stderr=subprocess.DEVNULL, text=True))
                # pam_wrapper picks its scratch folder at start-up: one at a time.
                time.sleep(0.15)
            outputs = [p.communicate(timeout=300)[0] for p in running]
        for out in outputs:
            self.assertEqual(out.count("authenticate 0 "), 50, out[-500:])
        self.assertEqual(len(self.records()), len(tokens))
        self.assertEqual([n for n in os.listdir(self.dir) if n.startswith(".tmp")], [])
        # Every record is whole: with the API gone, each token logs in from it.
        self.assertEqual(len(api.take_requests()), procs * 50)
        api.stop()
        for t in tokens:
            r = self.login(self.args(offline_ttl=3600, api=api), token=t)
            self.assertEqual(r.auth, PAM_SUCCESS)
            self.assert_outcome(r, "success", "cache=offline")

    def test_non_root_caller_degrades_cleanly(self):
        self.login(self.args(cache_ttl=60))  # root made the store
        if shutil.which("setpriv") is None:
            self.skipTest("setpriv is missing")
        # The build tree may be private to root: nobody gets copies it can read.
        module = os.path.join(self.tmp, "pam_k6.so")
        driver = os.path.join(self.tmp, "pam_driver")
        shutil.copy(k6test.MODULE, module)
        shutil.copy(k6test.DRIVER, driver)
        os.chmod(module, 0o755)
        os.chmod(driver, 0o755)
        # And a configuration file it can read, wherever the default one lives.
        conf = os.path.join(self.tmp, "empty.conf")
        open(conf, "w").close()
        line = " ".join(["auth required", module, "conf=" + conf] + self.args(cache_ttl=60))
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        r = self.run_driver(self.service([line]), answers=[TOKEN, TOKEN], options=["-n", "2"],
                            prefix=prefix, driver=driver,
                            env={"LD_PRELOAD": ":".join(PRELOADS)})
        notes = [t for _, t in r.logs if "logins are validated online" in t]
        self.assertEqual(len(notes), 1, "told once per process")
        if not k6test.part_readable_by_others():
            # The module's network part is in a build tree nobody may enter:
            # a clean refusal that says so, and nothing sent.
            self.assertEqual(r.auths(), [k6test.PAM_SERVICE_ERR] * 2, r.stderr[-2000:])
            self.assertIn("Permission denied", r.outcome_lines()[0])
            self.assertEqual(len(self.api.take_requests()), 1, "one by root")
            return
        self.assertEqual(r.auths(), [PAM_SUCCESS, PAM_SUCCESS], r.stderr[-2000:])
        self.assertEqual(len(self.api.take_requests()), 3, "one by root, two online")
        self.assertIn("root's", notes[0])


if __name__ == "__main__":
    k6test.main()
