#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The parts load late: a process that loads pam_k6 but never asks the API
(pam_k6 not called, a cached login, an account or an answer refused before
any request) never maps libcurl, json-c or a TLS library; one that asks
does.  Nettle and libcrypt come with the hashing part, only when a login
uses the cache or a tokens file.  A network part that is missing, broken,
not root's alone or of another build is a configuration error with one log
line, never a crash, and the cached path works without it; without the
hashing part the cache is off (logins are validated online) and a tokens
file cannot be used.

The part's troubles are made in a private mount namespace (unshare -m),
over the build tree's part, for the one driver run only: root only.
"""

import os
import shutil
import subprocess

import k6test
from k6test import (HASH_PART, NET_PART, PAM_AUTH_ERR, PAM_SERVICE_ERR, PAM_SUCCESS,
                    PAM_USER_UNKNOWN, PamTestCase)

TOKEN = "k6late0123456789abcdef0123456789"
HEAVY = ("libcurl", "libjson-c", "libcrypto", "pam_k6_net")
HASHING = ("libnettle", "libcrypt.so", "pam_k6_hash")


class Late(PamTestCase):
    def setUp(self):
        super().setUp()
        self.api.add_account(TOKEN, self.STACK, 12345, 67890)
        self.secrets.add(TOKEN)
        self.cache = os.path.join(self.tmp, "cache-" + self._testMethodName)
        shutil.rmtree(self.cache, ignore_errors=True)

    def args(self, *extra):
        return self.base_args() + list(extra)

    def cached_args(self):
        return self.args("cache_ttl=600", "cache_dir=" + self.cache)

    def login(self, args, token=TOKEN, user="alice", **kw):
        return self.authenticate([token], args=args, user=user,
                                 options=["-L"] + list(kw.pop("options", [])), **kw)

    def assert_nothing_heavy(self, r, hashing=False):
        self.assertEqual(set(r.mapped), set(HEAVY + HASHING), r.stdout)
        self.assertEqual([lib for lib in HEAVY if r.mapped[lib]], [], r.stdout)
        self.assertEqual([lib for lib in HASHING if r.mapped[lib]],
                         list(HASHING) if hashing else [], r.stdout)

    def need_root(self):
        if os.geteuid() != 0:
            self.skipTest("the cache and the mount namespaces need root")


class LoadedLate(Late):
    def test_loaded_never_called(self):
        name = self.service(["auth sufficient pam_permit.so",
                             self.module_line(self.args())])
        r = self.run_driver(name, answers=[TOKEN], options=["-L"])
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assertEqual(r.outcome_lines(), [], "pam_k6 was called")
        self.assert_nothing_heavy(r)

    def test_refused_before_any_request(self):
        for user, token, code in (("mallory", TOKEN, PAM_USER_UNKNOWN),
                                  ("root", TOKEN, PAM_USER_UNKNOWN),
                                  ("alice", "not a token", PAM_AUTH_ERR)):
            with self.subTest(user=user, token=token):
                r = self.login(self.args(), token=token, user=user)
                self.assertEqual(r.auth, code)
                self.assert_nothing_heavy(r)
        self.assertEqual(self.api.take_requests(), [])

    def test_a_cached_login_asks_nothing_and_loads_nothing(self):
        self.need_root()
        first = self.login(self.cached_args())
        self.assertEqual(first.auth, PAM_SUCCESS, first.stderr[-2000:])
        self.assertTrue(first.mapped["libcurl"] and first.mapped["pam_k6_net"], first.stdout)
        self.api.take_requests()
        r = self.login(self.cached_args())
        self.assertEqual(r.auth, PAM_SUCCESS)
        self.assert_outcome(r, "success", "cache=hit")
        self.assertEqual(r.k6_env(), first.k6_env())
        # The record's name is an HMAC: the hashing part, and only it.
        self.assert_nothing_heavy(r, hashing=True)
        self.assertEqual(self.api.take_requests(), [])

    def test_online_loads_the_network_part(self):
        r = self.login(self.args())
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
        self.assertTrue(r.mapped["libcurl"] and r.mapped["pam_k6_net"], r.stdout)


class ThroughALink(Late):
    """A build whose parts' path runs through a symbolic link
    (tests/intree-link/parts -> ../../.libs): each part is opened by the
    path whose folders were checked, without the link in it, never by the
    name it was built with; what dlopen is given is what is watched."""

    def test_the_part_is_opened_by_the_path_checked(self):
        module = os.environ.get("K6_TEST_LINK_MODULE", os.path.join(
            k6test.SRCDIR, "tests", "intree-link", ".libs", "pam_k6.so"))
        shim = os.environ.get("K6_TEST_DLOPEN_LOG", os.path.join(
            k6test.SRCDIR, "tests", ".libs", "libdlopen_log.so"))
        if not (os.path.exists(module) and os.path.exists(shim)):
            self.skipTest("tests/intree-link or tests/libdlopen_log not built; "
                          "run through make check")
        link = os.path.join(os.path.dirname(os.path.dirname(module)), "parts")
        if not os.path.islink(link):
            os.symlink(os.path.join("..", "..", ".libs"), link)
        name = self.service(["auth required %s %s" % (module, " ".join(self.args()))])
        r = self.run_driver(name, answers=[TOKEN],
                            env={"LD_PRELOAD": ":".join((shim,) + k6test.PRELOADS)})
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
        opened = [line.split(" ", 1)[1] for line in r.stderr.splitlines()
                  if line.startswith("dlopen ")]
        self.assertIn(os.path.realpath(NET_PART), opened)
        self.assertEqual([path for path in opened if os.path.join(link, "") in path], [])


class PartTrouble(Late):
    """The network part replaced, for one run, in a private mount namespace."""

    def setUp(self):
        super().setUp()
        self.need_root()
        if shutil.which("unshare") is None:
            self.skipTest("unshare is missing")
        self.work = os.path.join(self.tmp, "part-" + self._testMethodName)
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)
        os.chmod(self.work, 0o755)

    def over_part(self, source):
        """A prefix that mounts source over the part, then runs the driver."""
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind "$0" "$1" && shift && exec "$@"', source, NET_PART]

    def without_part(self, part=NET_PART):
        """A prefix that hides the part's folder behind one that holds the
        other parts only."""
        keep = os.path.join(self.work, "keep")
        os.makedirs(keep, exist_ok=True)
        others = " ".join('"$1/%s"' % os.path.basename(p) for p in (NET_PART, HASH_PART)
                          if p != part)
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                'mount --bind "$0" "$1" && mount -t tmpfs -o mode=755 tmpfs "$0" && '
                'cp -p %s "$0/" && shift && exec "$@"' % others,
                os.path.dirname(part), keep]

    def copy(self, name, mode=0o755, owner=0, data=None):
        path = os.path.join(self.work, name)
        if data is None:
            shutil.copy(NET_PART, path)
        else:
            with open(path, "wb") as f:
                f.write(data)
        os.chown(path, owner, owner)
        os.chmod(path, mode)
        return path

    def refused(self, prefix, *fragments, loaded=False):
        r = self.login(self.args(), prefix=prefix)
        self.assertEqual(r.auth, PAM_SERVICE_ERR, r.stderr[-2000:])
        self.assertEqual(r.k6_env(), {})
        self.assertEqual(self.api.take_requests(), [])
        line = self.assert_outcome(r, "configuration error", *fragments)
        # One line says it all: no other line of pam_k6's.
        self.assertEqual(len(r.logs), 1, r.log_text())
        # Refused before it was opened, it brought nothing in; one of another
        # build is only told apart once loaded.
        self.assertEqual(r.mapped["pam_k6_net"], loaded, r.stdout)
        return line

    def test_missing(self):
        self.refused(self.without_part(), NET_PART, "No such file or directory")

    def test_missing_the_cached_path_still_works(self):
        self.assertEqual(self.login(self.cached_args()).auth, PAM_SUCCESS)
        self.api.take_requests()
        r = self.login(self.cached_args(), prefix=self.without_part())
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
        self.assert_outcome(r, "success", "cache=hit")
        self.assertEqual(r.env["K6_CLOUD_STACK_ID"], "12345")

    def test_without_the_hashing_part_the_cache_is_off(self):
        r = self.login(self.cached_args(), prefix=self.without_part(HASH_PART))
        self.assertEqual(r.auth, PAM_SUCCESS, r.stderr[-2000:])
        self.assertIn("logins are validated online", r.log_text())
        self.assertIn(HASH_PART, r.log_text())
        self.assertEqual(len(self.api.take_requests()), 1)
        self.assertEqual(os.listdir(self.cache), [])

    def test_without_the_hashing_part_no_tokens_file(self):
        tokens = os.path.join(self.work, "pam_k6.tokens")
        with open(tokens, "w") as f:
            f.write("alice $6$rounds=1000$abcdefghijklmnop$" + "x" * 85 + "0\n")
        os.chmod(tokens, 0o644)
        r = self.login(self.args("tokens=" + tokens), prefix=self.without_part(HASH_PART))
        self.assertEqual(r.auth, PAM_SERVICE_ERR, r.stderr[-2000:])
        self.assert_outcome(r, "configuration error", HASH_PART, "No such file or directory")
        self.assertEqual(len(r.logs), 1, r.log_text())
        self.assertEqual(self.api.take_requests(), [])

    def test_not_a_shared_object(self):
        self.refused(self.over_part(self.copy("empty.so", data=b"")), "cannot load", NET_PART)
        self.refused(self.over_part(self.copy("text.so", data=b"not an object\n")),
                     "cannot load", NET_PART)

    def test_others_may_write_it(self):
        self.refused(self.over_part(self.copy("open.so", mode=0o666)),
                     "writable by group or others")

    def test_owned_by_another_user(self):
        self.refused(self.over_part(self.copy("foreign.so", owner=65534)), "is not owned by")

    def test_a_folder_above_others_may_write(self):
        # The folder above the part's becomes one anyone may write (a tmpfs of
        # mode 0777, with .libs and tests bound back in): whoever can write
        # there could put another folder, and another object, in its place.
        top = os.path.dirname(os.path.dirname(NET_PART))
        keep = os.path.join(self.work, "keep")
        os.makedirs(keep)
        script = ('mount --bind "$0" "$1" && mount -t tmpfs -o mode=0777 tmpfs "$0" && '
                  'mkdir "$0/.libs" "$0/tests" && mount --bind "$1/.libs" "$0/.libs" && '
                  'mount --bind "$1/tests" "$0/tests" && shift && exec "$@"')
        prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                  top, keep]
        self.refused(prefix, "the folder %s is writable by group or others"
                     % os.path.realpath(top))

    def test_a_symbolic_link(self):
        link = os.path.join(self.work, "link.so")
        os.symlink(self.copy("real.so"), link)
        # A bind mount over a file follows links: make the part's folder one
        # that holds a link by that name instead.
        folder = os.path.join(self.work, "folder")
        os.makedirs(folder)
        os.chmod(folder, 0o755)
        os.symlink(self.copy("real2.so"), os.path.join(folder, os.path.basename(NET_PART)))
        prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                  'mount --bind "$0" "$1" && shift && exec "$@"', folder,
                  os.path.dirname(NET_PART)]
        self.refused(prefix, "is a symbolic link")

    def test_a_fifo_is_refused_without_blocking(self):
        # Opened to be read, a FIFO would hold the login until a writer came.
        folder = os.path.join(self.work, "fifo-folder")
        os.makedirs(folder)
        os.chmod(folder, 0o755)
        os.mkfifo(os.path.join(folder, os.path.basename(NET_PART)), 0o644)
        prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                  'mount --bind "$0" "$1" && shift && exec "$@"', folder,
                  os.path.dirname(NET_PART)]
        self.refused(prefix, NET_PART, "is not a regular file")

    def test_of_another_build(self):
        with open(NET_PART, "rb") as f:
            data = f.read()
        version = k6test.VERSION.encode()
        other = b"9" * len(version)
        # The version string may share its bytes with a longer one ending in
        # it ("pam_k6/0.1.0"): every string that ends in it changes.
        marker = version + b"\0"
        self.assertTrue(marker in data, "no version string in the part")
        patched = self.copy("other.so", data=data.replace(marker, other + b"\0"))
        self.refused(self.over_part(patched), "is of pam_k6 " + other.decode(),
                     "this module of " + k6test.VERSION, loaded=True)


if __name__ == "__main__":
    k6test.main()
