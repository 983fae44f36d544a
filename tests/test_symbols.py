#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The built module exports pam_sm_authenticate and pam_sm_setcred, nothing else,
and loads with every symbol resolved."""

import ctypes
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k6test import MODULE, SKIP  # noqa: E402

WANTED = {"pam_sm_authenticate", "pam_sm_setcred"}


class Symbols(unittest.TestCase):
    def test_exports_only_pam_sm(self):
        out = subprocess.run(["nm", "-D", "--defined-only", MODULE], check=True,
                             capture_output=True, text=True).stdout
        exported = {fields[-1] for fields in (line.split() for line in out.splitlines())
                    if len(fields) >= 3 and fields[1] in "TtDdBbRrVvWwi"}
        self.assertEqual(exported, WANTED)

    def test_loads_now_and_finds_entry_points(self):
        if os.environ.get("K6_TEST_SANITIZED"):
            self.skipTest("an instrumented module needs the sanitizer runtime in the loader")
        lib = ctypes.CDLL(MODULE, mode=os.RTLD_NOW | os.RTLD_LOCAL)
        for name in WANTED:
            self.assertTrue(hasattr(lib, name), name)
        self.assertFalse(hasattr(lib, "k6_client_validate"))

    def readelf(self, *args):
        return subprocess.run(["readelf", "-W"] + list(args) + [MODULE], check=True,
                              capture_output=True, text=True).stdout

    def test_linked_nodelete(self):
        self.assertIn("NODELETE", self.readelf("-d"))

    def test_hardened(self):
        # -z relro -z now and -fstack-protector-strong from configure.
        self.assertIn("GNU_RELRO", self.readelf("-l"))
        self.assertRegex(self.readelf("-d"), r"BIND_NOW|Flags: NOW")
        self.assertIn("__stack_chk_fail", self.readelf("--dyn-syms"))


if __name__ == "__main__":
    if not os.path.exists(MODULE):
        sys.stderr.write("SKIP: %s not built\n" % MODULE)
        sys.exit(SKIP)
    unittest.main(verbosity=2)
