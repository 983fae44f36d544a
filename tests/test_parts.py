#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The borders between pam_k6's parts (pam_k6/README.md), as the sources'
includes and the built objects' symbols show them: nothing in base/ or
core/ reaches into net/ or hash/ but through the tables of core/late.h,
nothing outside ctl/ includes ctl/, each part calls only what the objects
it ends up in link, and no two files call each other, in a circle."""

import glob
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from k6test import SRCDIR, run_tests  # noqa: E402

BUILDDIR = os.environ.get("K6_TEST_BUILDDIR", SRCDIR)
PARTS = ("base", "core", "hash", "net", "module", "linked", "ctl")

# Whose headers a part's files may include: a part only sees what is below it.
MAY_INCLUDE = {
    "base": {"base"},
    "core": {"base", "core"},
    "hash": {"base", "core", "hash"},
    "net": {"base", "core", "net"},
    "module": {"base", "core", "module"},
    "linked": {"core"},
    "ctl": set(PARTS),
}
# Whose functions a part's objects may call: what the object it ends up in
# links (pam_k6_hash.so: the hashing part alone; pam_k6_net.so: the network
# part and the base; pam_k6.so: the module, the core and the base).
MAY_CALL = {
    "base": {"base"},
    "core": {"base", "core"},
    "hash": {"hash"},
    "net": {"base", "net"},
    "module": {"base", "core", "module"},
    "linked": {"hash", "net"},
    "ctl": set(PARTS),
}
# The way from the core to the late parts: the two functions of core/late.h
# that hand out a part's table, defined by module/late_load.c in pam_k6.so
# and by linked/late_linked.c everywhere else.
LOADER = {"k6_net", "k6_hash"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def part_of(path, top=SRCDIR):
    rel = os.path.relpath(path, os.path.join(top, "pam_k6"))
    return rel.split(os.sep)[0]


def sources(top, patterns=("*.c", "*.h")):
    return sorted(p for pattern in patterns
                  for p in glob.glob(os.path.join(SRCDIR, top, "**", pattern), recursive=True))


def includes(path):
    with open(path, encoding="utf-8") as f:
        return INCLUDE.findall(f.read())


def objects():
    """Each source file of pam_k6/ once, as built: {(part, file): object}."""
    found = {}
    paths = sorted(os.path.join(folder, name)
                   for folder, _, names in os.walk(os.path.join(BUILDDIR, "pam_k6"))
                   for name in names if name.endswith(".o"))
    for path in paths:
        name = os.path.basename(path)[:-2]
        if name.startswith("tests_"):
            continue  # the same sources, built again for the fuzzers or the tests' module
        found.setdefault((part_of(path, BUILDDIR), name.rsplit("-", 1)[-1]), path)
    return found


def symbols(path):
    out = subprocess.run(["nm", path], check=True, capture_output=True, text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == "U":
            undefined.add(fields[1])
        elif len(fields) == 3 and fields[1] in "TDBR":
            defined.add(fields[2])
    return defined, undefined


class Includes(unittest.TestCase):
    def test_every_file_is_in_a_part(self):
        loose = [p for p in sources("pam_k6") if part_of(p) not in PARTS]
        self.assertEqual(loose, [])

    def test_each_part_includes_only_what_is_below_it(self):
        wrong = []
        for path in sources("pam_k6"):
            part = part_of(path)
            for name in includes(path):
                if name == "config.h":
                    continue
                target = name.split("/")[0] if "/" in name else None
                if target not in MAY_INCLUDE[part]:
                    wrong.append("%s: %s" % (os.path.relpath(path, SRCDIR), name))
        self.assertEqual(wrong, [])

    def test_nothing_outside_ctl_includes_ctl(self):
        wrong = ["%s: %s" % (os.path.relpath(path, SRCDIR), name)
                 for top in ("tests", "tools")
                 for path in sources(top)
                 for name in includes(path) if name.startswith("ctl/")]
        self.assertEqual(wrong, [])

    def test_the_check_sees_a_wrong_include(self):
        # The rule itself: core may not name the network part's header.
        self.assertNotIn("net", MAY_INCLUDE["core"])
        self.assertNotIn("hash", MAY_INCLUDE["base"])


class Calls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.objects = objects()
        if not cls.objects:
            raise unittest.SkipTest("no objects under %s/pam_k6" % BUILDDIR)
        cls.defined = {}
        cls.undefined = {}
        for key, path in cls.objects.items():
            cls.defined[key], cls.undefined[key] = symbols(path)
        cls.owner = {sym: key for key, syms in cls.defined.items() for sym in syms}

    def edges(self):
        for key, syms in self.undefined.items():
            for sym in syms:
                if sym in self.owner and self.owner[sym] != key:
                    yield key, self.owner[sym], sym

    def test_every_part_was_built(self):
        self.assertEqual({part for part, _ in self.objects}, set(PARTS))

    def test_each_part_calls_only_what_its_objects_link(self):
        wrong = ["%s/%s calls %s of %s/%s" % (a[0], a[1], sym, b[0], b[1])
                 for a, b, sym in self.edges()
                 if b[0] not in MAY_CALL[a[0]] and sym not in LOADER]
        self.assertEqual(wrong, [])

    def test_the_core_reaches_the_parts_only_through_the_loader(self):
        reached = {sym for a, b, sym in self.edges() if a[0] in ("base", "core")
                   and b[0] not in ("base", "core")}
        self.assertEqual(reached, LOADER)

    def test_no_circle_between_files(self):
        graph = {}
        for a, b, _ in self.edges():
            graph.setdefault(a, set()).add(b)
        done, path = set(), []

        def visit(node):
            if node in path:
                return path[path.index(node):] + [node]
            if node in done:
                return None
            path.append(node)
            for nxt in sorted(graph.get(node, ())):
                circle = visit(nxt)
                if circle:
                    return circle
            path.pop()
            done.add(node)
            return None

        for node in sorted(graph):
            circle = visit(node)
            self.assertIsNone(circle, " -> ".join("%s/%s" % n for n in circle or ()))


if __name__ == "__main__":
    run_tests()
