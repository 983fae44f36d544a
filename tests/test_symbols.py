#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The built objects: the module exports pam_sm_authenticate and
pam_sm_setcred, nothing else, and links neither libcurl, json-c nor any
TLS library, nor Nettle nor libcrypt (its network and hashing parts bring
them when a login needs them); each part exports its table and nothing
else; all are hardened and NODELETE."""

import ctypes
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k6test import HASH_PART, INSTALLED_MODULE, MODULE, NET_PART, SKIP  # noqa: E402

WANTED = {"pam_sm_authenticate", "pam_sm_setcred", "pam_sm_open_session", "pam_sm_close_session"}
# What loading pam_k6.so may bring into a process: libc and libpam, which
# every PAM application has already.
MODULE_NEEDS = {"libc.so.6", "libpam.so.0", "libdl.so.2", "ld-linux-x86-64.so.2"}
HEAVY = re.compile(r"libcurl|libjson-c|libcrypto|libssl|libgnutls|libnghttp2|libnettle|libcrypt")

OBJECTS = {
    "module as installed": (INSTALLED_MODULE, WANTED),
    "module the tests load": (MODULE, WANTED),
    "network part": (NET_PART, {"k6_net_part"}),
    "hashing part": (HASH_PART, {"k6_hash_part"}),
}


def run(*argv):
    return subprocess.run(list(argv), check=True, capture_output=True, text=True).stdout


def exported(path):
    out = run("nm", "-D", "--defined-only", path)
    return {fields[-1] for fields in (line.split() for line in out.splitlines())
            if len(fields) >= 3 and fields[1] in "TtDdBbRrVvWwi"}


def needed(path):
    return set(re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", run("readelf", "-d", path)))


class Symbols(unittest.TestCase):
    def test_exports(self):
        for what, (path, wanted) in OBJECTS.items():
            with self.subTest(what):
                self.assertEqual(exported(path), wanted)

    def test_the_module_links_nothing_heavy(self):
        for path in (INSTALLED_MODULE, MODULE):
            with self.subTest(path):
                libs = needed(path)
                self.assertLessEqual(libs, MODULE_NEEDS, libs)
                self.assertFalse([lib for lib in libs if HEAVY.search(lib)])

    def test_the_parts_bring_their_own_libraries(self):
        self.assertIn("libcurl.so.4", needed(NET_PART))
        self.assertTrue(any(lib.startswith("libjson-c") for lib in needed(NET_PART)))
        self.assertTrue(any(lib.startswith("libnettle") for lib in needed(HASH_PART)))
        self.assertIn("libcrypt.so.1", needed(HASH_PART))
        self.assertFalse([lib for lib in needed(HASH_PART)
                          if re.search(r"libcurl|libjson-c|libssl|libcrypto", lib)])

    def test_loads_now_and_finds_entry_points(self):
        if os.environ.get("K6_TEST_SANITIZED"):
            self.skipTest("an instrumented module needs the sanitizer runtime in the loader")
        lib = ctypes.CDLL(INSTALLED_MODULE, mode=os.RTLD_NOW | os.RTLD_LOCAL)
        for name in WANTED:
            self.assertTrue(hasattr(lib, name), name)
        self.assertFalse(hasattr(lib, "k6_client_validate"))
        self.assertFalse(hasattr(lib, "k6_net"))
        # Nor, through its own dependencies, Nettle or libcrypt.
        self.assertFalse(hasattr(lib, "nettle_hmac_sha256_digest"))
        self.assertFalse(hasattr(lib, "crypt_rn"))

    def test_linked_nodelete_and_hardened(self):
        for what, (path, _) in OBJECTS.items():
            with self.subTest(what):
                dynamic = run("readelf", "-W", "-d", path)
                self.assertIn("NODELETE", dynamic)
                # -z relro -z now and -fstack-protector-strong from configure.
                self.assertIn("GNU_RELRO", run("readelf", "-W", "-l", path))
                self.assertRegex(dynamic, r"BIND_NOW|Flags: NOW")
                self.assertIn("__stack_chk_fail", run("readelf", "-W", "--dyn-syms", path))

    def test_the_part_s_path_is_fixed_and_absolute(self):
        # The tests' module names the build tree's part; the installed one
        # names $(pkglibdir), never a bare name that a search could find.
        self.assertIn(NET_PART, run("strings", "-a", MODULE))
        installed = run("strings", "-a", INSTALLED_MODULE)
        paths = re.findall(r"^/\S*/pam_k6_net\.so$", installed, re.M)
        self.assertEqual(len(paths), 1, installed[-2000:])
        self.assertNotIn(NET_PART, installed)


if __name__ == "__main__":
    missing = [p for p, _ in OBJECTS.values() if not os.path.exists(p)]
    if missing:
        sys.stderr.write("SKIP: %s not built\n" % ", ".join(missing))
        sys.exit(SKIP)
    unittest.main(verbosity=2)
