#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The built objects: the module exports pam_sm_authenticate and
pam_sm_setcred, nothing else, and links neither libcurl, json-c nor any
TLS library, nor Nettle nor libcrypt (its network and hashing parts bring
them when a login needs them); each part exports its table and nothing
else; all are hardened and NODELETE, and fully bound when they are loaded,
their GOT read-only from then on, whatever the flags of the dlopen: the
module loads its parts RTLD_LAZY (module/late_load.c)."""

import ctypes
import json
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


def symbol_relocations(path):
    """[(offset, type, symbol)] of the relocations that name a symbol: the GOT
    slots (GLOB_DAT, JUMP_SLOT) through which the object reaches others."""
    found = []
    for line in run("readelf", "-W", "-r", path).splitlines():
        fields = line.split()
        if len(fields) >= 5 and re.fullmatch(r"[0-9a-f]{8,}", fields[0]):
            found.append((int(fields[0], 16), fields[2], fields[4].split("@")[0]))
    return found


def defined_here(path):
    """The symbols the object itself defines."""
    names = set()
    for line in run("readelf", "-W", "--dyn-syms", path).splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[6] != "UND":
            names.add(fields[7].split("@")[0])
    return names


def weak_undefined(path):
    """The symbols the object may do without (weak, undefined): 0 if absent."""
    names = set()
    for line in run("readelf", "-W", "--dyn-syms", path).splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[4] == "WEAK" and fields[6] == "UND":
            names.add(fields[7].split("@")[0])
    return names


def relro(path):
    """(start, end) of the object's GNU_RELRO segment, relative to its base."""
    for line in run("readelf", "-W", "-l", path).splitlines():
        fields = line.split()
        if fields and fields[0] == "GNU_RELRO":
            start = int(fields[2], 16)
            return start, start + int(fields[5], 16)
    return None


# Run in a child: loads the object RTLD_LAZY | RTLD_LOCAL, as late_load.c
# loads the parts, then prints its mappings and the values of the slots named.
LAZY_LOAD = r"""
import ctypes, json, os, sys
path, offsets = sys.argv[1], [int(o) for o in sys.argv[2:]]
ctypes.CDLL(path, mode=os.RTLD_LAZY | os.RTLD_LOCAL)
real = os.path.realpath(path)
maps = []
with open("/proc/self/maps") as f:
    for line in f:
        fields = line.split()
        if len(fields) >= 6 and os.path.realpath(fields[5]) == real:
            start, end = (int(a, 16) for a in fields[0].split("-"))
            maps.append((start, end, fields[1], int(fields[2], 16)))
base = min(start - offset for start, _, _, offset in maps if offset == 0)
print(json.dumps({"base": base, "maps": maps, "slots": [
    ctypes.c_uint64.from_address(base + o).value for o in offsets]}))
"""


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

    def test_every_slot_in_the_read_only_segment(self):
        # -z relro: every slot that names a symbol is made read-only once
        # bound; -z now without -z relro, or a pointer to another object's
        # symbol in writable data, would leave one writable for good.
        # AddressSanitizer registers each global of an object in a table of
        # its own in writable data, naming the object's exported table by
        # its symbol: with it, only slots of other objects' symbols count.
        sanitized = os.environ.get("K6_TEST_SANITIZED")
        for what, (path, _) in OBJECTS.items():
            with self.subTest(what):
                segment = relro(path)
                self.assertIsNotNone(segment, "no GNU_RELRO")
                own = defined_here(path) if sanitized else set()
                outside = [(hex(o), t, name) for o, t, name in symbol_relocations(path)
                           if not segment[0] <= o < segment[1] and name not in own]
                self.assertEqual(outside, [], "slots left writable after relocation")

    def test_bound_and_read_only_when_loaded_lazily(self):
        # The parts are loaded RTLD_LAZY: their own BIND_NOW must bind every
        # slot before dlopen returns (a slot bound lazily would point into
        # the object's own PLT), and ld.so must have made them read-only.
        if os.environ.get("K6_TEST_SANITIZED"):
            self.skipTest("an instrumented object needs the sanitizer runtime in the loader")
        for what, (path, _) in OBJECTS.items():
            with self.subTest(what):
                slots = symbol_relocations(path)
                self.assertTrue(slots, "no slot to check")
                child = subprocess.run(
                    [sys.executable, "-c", LAZY_LOAD, path] + [str(o) for o, _, _ in slots],
                    capture_output=True, text=True, timeout=60)
                self.assertEqual(child.returncode, 0, child.stderr)
                loaded = json.loads(child.stdout)
                base, maps = loaded["base"], loaded["maps"]
                low, high = min(m[0] for m in maps), max(m[1] for m in maps)
                optional = weak_undefined(path)
                unbound = [name for (_, _, name), value in zip(slots, loaded["slots"])
                           if low <= value < high or (value == 0 and name not in optional)]
                self.assertEqual(unbound, [], "slots not bound when the object was loaded")
                segment = relro(path)
                self.assertIsNotNone(segment, "no GNU_RELRO")
                start, end = segment
                page = os.sysconf("SC_PAGE_SIZE")
                # ld.so protects the pages wholly inside the segment.
                start, end = base + start // page * page, base + end // page * page
                writable = [m for m in maps if m[0] < end and start < m[1] and "w" in m[2]]
                self.assertEqual(writable, [], "the GOT is writable after loading")

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
