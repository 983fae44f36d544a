#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make bench: what one pam_k6 login costs, beside the floor and the alternatives.

Everything runs on loopback against the project's stand-in API (separate,
warmed-up processes that answer each request in one write with TCP_NODELAY),
with a realistic trust store: a private copy of the system's CA bundle plus
the run's test CA, as a bundle file and as a hashed directory, built in a
temporary folder.  In a private mount namespace that folder is bind-mounted
over /etc/ssl/certs, so pam_k6, curl and the pam_exec script use it through
their own defaults; the machine's store is only read.  Without a namespace
the store is named explicitly (see the note the run prints).

The contenders are interleaved, round after round in a shuffled order:

  (1) pam_k6, fresh process: tests/pam_driver, one pam_authenticate, real
      libpam (pam_start_confdir) and the machine's own user "nobody"
  (2) the curl command line making the same request
  (3) the floor: tools/bench/floor.c, libcurl with pam_k6's options and only
      the test CA, once per process and N times in one process; (3m) the same
      built as a shared object and loaded by a host linked with libpam as
      pam_k6.so loads its network part (tools/bench/floor_host.c)
  (4) pam_k6 in a long-lived process: pam_driver -n N, also with
      reuse_connection against an API that closes or keeps connections
  (5) pam_exec running a shell script with curl and jq
  (8) a cached login (cache_ttl), in a fresh process and in one process
  (0) the caller alone with pam_permit, and (0u) with pam_k6 in its stack
      after a sufficient pam_permit: loaded by pam_start, never called
then (6) bursts of concurrent logins (processes), (7) peak RSS, and, with
valgrind, the instructions each contender runs; for the fresh processes of
(1), (3), (3m) and curl with the test CA, also each object's own share of
them (ld.so's split into symbol lookup, relocation and the rest) and the
dynamic linker's work as LD_DEBUG counts it: objects loaded, symbol lookups
and objects searched per lookup.

Usage: bench.py [--rounds R] [--inner N] [--burst B] [--bursts K]
                [--no-instructions] [BUILDDIR]
"""

import argparse
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRCDIR, "tests"))

from k6test import Pki  # noqa: E402

SYSTEM_STORE = "/etc/ssl/certs"
SYSTEM_BUNDLE = os.path.join(SYSTEM_STORE, "ca-certificates.crt")
TOKEN = "k6bench0123456789abcdef01234567"
STACK = "https://bench.grafana.net"
USER = "nobody"
PEM = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\n", re.S)
IN_NAMESPACE = "K6_BENCH_NAMESPACE"

# pam_exec hands the token over on stdin; the script is what an admin writes.
EXEC_SCRIPT = """#!/bin/sh
IFS= read -r token
reply=$(printf 'Authorization: Bearer %%s\\n' "$token" |
	curl -sS --fail --max-time 10 %(trust)s -H @- -H 'X-Stack-Url: %(stack)s' \\
		-H 'Accept: application/json' %(url)s) || exit 1
printf '%%s' "$reply" | jq -e '(.stack_id | type == "number") and
	(.default_project_id | type == "number")' >/dev/null
"""


def die(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.exit(1)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def enter_namespace():
    """Run again in a private mount namespace, if this system allows one."""
    if os.environ.get(IN_NAMESPACE) or shutil.which("unshare") is None:
        return
    unshare = ["unshare", "-m"] if os.geteuid() == 0 else ["unshare", "-rm"]
    if subprocess.run(unshare + ["true"], capture_output=True).returncode == 0:
        os.environ[IN_NAMESPACE] = "1"
        os.execvp(unshare[0], unshare + [sys.executable] + sys.argv)


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    distro = platform.system()
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            distro = dict(line.rstrip("\n").split("=", 1) for line in f
                          if "=" in line).get("PRETTY_NAME", distro).strip('"')
    curl = subprocess.run(["curl", "-V"], capture_output=True, text=True).stdout.split()
    libs = " ".join(w for w in curl if w.startswith(("libcurl/", "OpenSSL/")))
    return "%d x %s, %d MiB, %s, Linux %s, %s" % (
        os.cpu_count(), cpu, os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") >> 20,
        distro, platform.release(), libs)


class Run:
    """One process: its wall and CPU time, and what it printed."""

    def __init__(self, argv):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, timeout=120)
        self.wall_ms = (time.perf_counter() - start) * 1e3
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.cpu_ms = ((after.ru_utime - before.ru_utime) +
                       (after.ru_stime - before.ru_stime)) * 1e3
        self.faults = after.ru_minflt - before.ru_minflt
        self.rc = proc.returncode
        self.out = proc.stdout.decode("utf-8", "replace")
        self.err = proc.stderr.decode("utf-8", "replace")

    def fields(self, kind):
        """[{key: value}] of the output lines that start with kind."""
        return [dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
                for line in self.out.splitlines() if line.startswith(kind + " ")]


def logged_in(r):
    return r.rc == 0 and "authenticate 0 " in r.out


def http_200(r):
    return r.rc == 0 and r.out.strip() == "200"


def floor_ok(r):
    return r.rc == 0


# The fresh-process rows whose instructions are also split by object, and
# whose dynamic linking is counted: a change that adds to ld.so's share shows.
SPLIT = ("1", "3", "3m", "2ca")
# The dynamic linker, as callgrind names it: ld-linux-x86-64.so.2 and the like.
LD_SO = re.compile(r"ld-linux.*\.so|ld\.so")
# ld.so's functions by what they do: finding a symbol (for a relocation at
# load, or a function bound lazily at its first call), applying relocations.
LOOKUP = ("do_lookup_x", "_dl_lookup_symbol_x", "check_match", "strcmp")
RELOCATION = ("_dl_relocate_object",)


def instructions(argv, split=None):
    """Instructions a process runs (valgrind's callgrind): the same on any machine.
    With split (a dict), also fill it with {(object, function): own instructions}."""
    with tempfile.NamedTemporaryFile(prefix="callgrind.") as out:
        r = subprocess.run(["valgrind", "--tool=callgrind", "--dump-instr=no",
                            "--compress-strings=no", "--compress-pos=no",
                            "--callgrind-out-file=" + (out.name if split is not None
                                                       else "/dev/null")] + argv,
                           capture_output=True, text=True, timeout=300)
        if split is not None and r.returncode == 0:
            split.update(own_costs(out.name))
    found = re.search(r"Collected : (\d+)", r.stderr)
    return int(found.group(1)) if found and r.returncode == 0 else None


def own_costs(path):
    """{(object, function): instructions it ran itself} from a callgrind file
    written as above, uncompressed: each cost line counts for the last ob= and
    fn=, but the line after a calls= is the callee's inclusive cost, left out.
    The sum is callgrind's "Collected"."""
    totals, obj, fn, callee = {}, "?", "?", False
    with open(path) as f:
        for line in f:
            if line[:1].isdigit():
                if not callee:
                    totals[obj, fn] = totals.get((obj, fn), 0) + int(line.split()[1])
                callee = False
            elif line.startswith("ob="):
                obj = os.path.basename(line[3:].strip())
            elif line.startswith("fn="):
                fn = line[3:].strip()
            elif line.startswith("calls="):
                callee = True
    return totals


def linker_work(argv):
    """What ld.so did for a process (LD_DEBUG, one run): objects it loaded,
    symbols it looked up (at load, and lazily at first calls), and the
    objects it searched for them."""
    with tempfile.TemporaryDirectory(prefix="ld-debug.") as d:
        env = dict(os.environ, LD_DEBUG="files,symbols,bindings",
                   LD_DEBUG_OUTPUT=os.path.join(d, "ld"))
        if subprocess.run(argv, capture_output=True, env=env, timeout=120).returncode != 0:
            return None
        work = {"objects": 0, "lookups": 0, "searched": 0}
        for name in os.listdir(d):
            with open(os.path.join(d, name), errors="replace") as f:
                for line in f:
                    if "lookup in file=" in line:
                        work["searched"] += 1
                    elif "binding file " in line:
                        work["lookups"] += 1
                    elif "generating link map" in line:
                        work["objects"] += 1
    return work


class Contender:
    """A way to log in.  An in-process one is made by inner(n) for n logins,
    and per_request names the (line, field) it reports each one's time in."""

    def __init__(self, key, label, argv, ok, per_request=None, inner=None):
        self.key, self.label, self.argv, self.ok = key, label, argv, ok
        self.per_request, self.inner = per_request, inner
        self.wall, self.cpu, self.faults, self.memory, self.errors = [], [], [], [], 0
        self.instructions = None
        self.split, self.linker = {}, None

    def count_instructions(self):
        if self.inner is None:
            split = self.split if self.key in SPLIT else None
            self.instructions = instructions(self.argv, split)
            if split is not None:
                self.linker = linker_work(self.argv)
            return
        # Per login: the difference that ten more logins in the process make.
        one, eleven = instructions(self.inner(1)), instructions(self.inner(11))
        if one is not None and eleven is not None:
            self.instructions = (eleven - one) / 10

    def once(self, record=True):
        r = Run(self.argv)
        if not self.ok(r):
            self.errors += 1
            sys.stderr.write("bench: (%s) failed, exit %d:\n%s%s\n" %
                             (self.key, r.rc, r.out[-600:], r.err[-600:]))
            return
        if not record:
            return
        if self.per_request is None:
            self.wall.append(r.wall_ms)
            self.cpu.append(r.cpu_ms)
            self.faults.append(r.faults)
        else:
            # A process's first request pays for loading and start-up, which
            # the fresh-process rows show; these rows show the ones after it.
            kind, field = self.per_request
            self.wall += [float(f[field]) / 1e3 for f in r.fields(kind)[1:]]
        self.memory += [{k: int(v) for k, v in f.items()} for f in r.fields("memory")]


class Bench:
    def __init__(self, builddir, tmp):
        self.tmp = tmp
        # The module as built, loading its late parts from the build tree.
        self.module = os.path.join(builddir, "tests", "intree", ".libs", "pam_k6.so")
        self.driver = os.path.join(builddir, "tests", "pam_driver")
        self.floor = os.path.join(builddir, "tools", "bench", "floor")
        self.floor_host = os.path.join(builddir, "tools", "bench", "floor_host")
        self.floor_module = os.path.join(builddir, "tools", "bench", ".libs", "floor_module.so")
        for path in (self.module, self.driver, self.floor, self.floor_host, self.floor_module):
            if not os.path.exists(path):
                die("%s is missing: run make bench" % path)
        for tool in ("curl", "jq", "openssl"):
            if shutil.which(tool) is None:
                die("%s is missing (apt-get install %s)" % (tool, tool))
        self.servers = []

    def trust_store(self):
        """The test CA alone; and a private copy of the system store with it,
        in place of the system's when a mount namespace allows."""
        pki = Pki(self.tmp)
        self.ca = pki.ca("ca")
        self.cert, self.key = pki.server("server", "ca")
        with open(SYSTEM_BUNDLE) as f:
            system = f.read()
        with open(self.ca) as f:
            test_ca = f.read()
        pems = PEM.findall(system + test_ca)
        self.store_size = len(pems) - 1
        store = os.path.join(self.tmp, "certs")
        os.mkdir(store)
        with open(os.path.join(store, "ca-certificates.crt"), "w") as f:
            f.write(system + test_ca)
        for i, pem in enumerate(pems):
            with open(os.path.join(store, "cert-%03d.pem" % i), "w") as f:
                f.write(pem)
        subprocess.run(["openssl", "rehash", store], check=True, capture_output=True)
        self.empty = os.path.join(self.tmp, "empty")
        os.mkdir(self.empty)
        self.private_system = os.environ.get(IN_NAMESPACE) and subprocess.run(
            ["mount", "--bind", store, SYSTEM_STORE], capture_output=True).returncode == 0
        if self.private_system:
            # Every default now means the private copy: nothing to name.
            self.store_module, self.store_curl = [], []
            self.store_note = ("bind-mounted over %s in a private mount namespace; "
                               "pam_k6 and curl use their defaults" % SYSTEM_STORE)
        else:
            bundle = os.path.join(store, "ca-certificates.crt")
            self.store_module = ["ca_file=" + bundle, "ca_path=" + store]
            self.store_curl = ["--cacert", bundle, "--capath", store]
            self.store_note = ("NO mount namespace here: the store is named explicitly "
                               "(ca_file and ca_path, as libcurl's default would be), so "
                               "pam_k6's own choice of default is not exercised")

    def start_stand_in(self, keep_alive):
        accounts = os.path.join(self.tmp, "accounts")
        with open(accounts, "w") as f:
            f.write("%s %s 12345 67890\n" % (TOKEN, STACK))
        port_file = os.path.join(self.tmp, "port%d" % len(self.servers))
        self.servers.append(subprocess.Popen(
            [sys.executable, os.path.join(SRCDIR, "tests", "stand_in.py"), "--cert", self.cert,
             "--key", self.key, "--accounts", accounts, "--port-file", port_file] +
            (["--keep-alive"] if keep_alive else [])))
        for _ in range(200):
            if os.path.exists(port_file):
                break
            time.sleep(0.05)
        else:
            die("the stand-in API did not start")
        with open(port_file) as f:
            return "https://127.0.0.1:%d" % int(f.read())

    def check_stand_in(self):
        """Warm the stand-in up; show that its answers are not what is measured."""
        r = Run([self.floor, "-n", "60", "-f", self.ca, self.url, TOKEN, STACK])
        reqs = r.fields("request")
        if r.rc != 0 or len(reqs) != 60:
            die("the floor cannot reach the stand-in:\n" + r.out + r.err)
        reply = [int(q["reply_us"]) / 1e3 for q in reqs[10:]]
        tail = [int(q["tail_us"]) / 1e3 for q in reqs[10:]]
        self.stand_in_note = (
            "stand-in: request sent -> first byte of the answer %.2f ms median, %.2f ms p95; "
            "first byte -> last %.3f ms max" % (statistics.median(reply),
                                               percentile(reply, 95), max(tail)))
        # Nagle and delayed ACKs would show as ~40 ms between header and body.
        if max(tail) > 5:
            die("the stand-in splits its answers: " + self.stand_in_note)

    def services(self):
        d = os.path.join(self.tmp, "pam.d")
        os.mkdir(d)
        script = os.path.join(self.tmp, "k6-login.sh")
        with open(script, "w") as f:
            f.write(EXEC_SCRIPT % {"trust": " ".join(self.store_curl), "stack": STACK,
                                   "url": self.url})
        os.chmod(script, 0o755)

        def k6(api, *args):
            return " ".join(["auth required", self.module, "stack_url=" + STACK,
                             "api_url=" + api, "nodelay"] + list(args))
        lines = {
            "other": "auth required pam_deny.so",
            "k6": k6(self.api, *self.store_module),
            "k6_ca": k6(self.api, "ca_file=" + self.ca),
            "k6_reuse": k6(self.api, "reuse_connection", *self.store_module),
            "k6_reuse_keep": k6(self.api_keep, "reuse_connection", *self.store_module),
            "k6_cache": k6(self.api, "cache_ttl=600", "cache_dir=" + os.path.join(self.tmp,
                                                                                  "cache"),
                           *self.store_module),
            "permit": "auth required pam_permit.so",
            # pam_k6 in the stack, loaded by pam_start, never called.
            "permit_k6": "auth sufficient pam_permit.so\n" + k6(self.api, *self.store_module),
            "exec": "auth required pam_exec.so expose_authtok quiet " + script,
        }
        for name, line in lines.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(line + "\n")
        self.confdir = d

    def login(self, service, *opts):
        return ([self.driver, "-d", self.confdir, "-a", TOKEN, "-M"] + list(opts) +
                [service, USER])

    def contenders(self, inner):
        curl = ["curl", "-q", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                "-H", "Authorization: Bearer " + TOKEN, "-H", "X-Stack-Url: " + STACK,
                "-H", "Accept: application/json", self.url]

        def floor(url, *opts):
            return lambda n: [self.floor, "-n", str(n)] + list(opts) + [url, TOKEN, STACK]

        def login(service):
            return lambda n: self.login(service, "-m", "-n", str(n))

        def in_process(key, label, make):
            kind = ("request", "us") if make(1)[0] == self.floor else ("time", "auth_us")
            ok = floor_ok if kind[0] == "request" else logged_in
            return Contender(key, label, make(inner), ok, per_request=kind, inner=make)

        c = [
            Contender("1", "pam_k6, fresh process, default trust store", self.login("k6"),
                      logged_in),
            Contender("1ca", "pam_k6, fresh process, ca_file=test CA", self.login("k6_ca"),
                      logged_in),
            Contender("2", "curl command line, default trust store", curl + self.store_curl,
                      http_200),
            Contender("2ca", "curl command line, test CA only (the floor)",
                      curl + ["--cacert", self.ca, "--capath", self.empty], http_200),
            Contender("3", "floor.c, once per process, test CA",
                      [self.floor, "-f", self.ca, self.url, TOKEN, STACK], floor_ok),
            Contender("3m", "floor.c as a module, loaded late by a libpam host",
                      [self.floor_host, self.floor_module, "-f", self.ca, self.url, TOKEN,
                       STACK], floor_ok),
            in_process("3n", "floor.c, in one process, a handle each",
                       floor(self.url, "-f", self.ca)),
            in_process("4", "pam_k6, in one process, per pam_authenticate", login("k6")),
            in_process("4ca", "pam_k6, in one process, ca_file=test CA", login("k6_ca")),
            Contender("5", "pam_exec + sh + curl + jq, fresh process", self.login("exec"),
                      logged_in),
            Contender("0", "the caller alone: pam_driver + pam_permit", self.login("permit"),
                      logged_in),
            Contender("0u", "pam_permit sufficient, then pam_k6 (loaded, never called)",
                      self.login("permit_k6"), logged_in),
        ]
        # reuse_connection: the API closes each connection, or keeps it open.
        reuse = [
            in_process("4r", "pam_k6 reuse_connection, API closes connections",
                       login("k6_reuse")),
            in_process("4k", "pam_k6 reuse_connection, API keeps them open",
                       login("k6_reuse_keep")),
            in_process("3k", "floor.c, one handle kept, API keeps them open",
                       floor(self.url_keep, "-r", "-f", self.ca)),
        ]
        if logged_in(Run(self.login("k6_reuse"))):
            c += reuse
        else:
            self.notes.append("this pam_k6 has no reuse_connection option: rows 4r, 4k, 3k "
                              "left out")
        # The validation cache: a login that finds the token validated before.
        cached = [
            Contender("8f", "pam_k6 cache_ttl, a cached login, fresh process",
                      self.login("k6_cache"), logged_in),
            in_process("8", "pam_k6 cache_ttl, a cached login, in one process",
                       login("k6_cache")),
        ]
        if logged_in(Run(self.login("k6_cache"))):
            c += cached
        return c

    def burst(self, argv, size):
        """size logins at once: the wall time until the last ended, and failures."""
        start = time.perf_counter()
        procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                 for _ in range(size)]
        outs = [p.communicate(timeout=120)[0].decode() for p in procs]
        wall = (time.perf_counter() - start) * 1e3
        errors = sum(1 for p, out in zip(procs, outs)
                     if p.returncode != 0 or not ("authenticate 0 " in out or
                                                  " status=200" in out))
        return wall, errors

    def start(self):
        self.notes = []
        self.trust_store()
        self.api = self.start_stand_in(keep_alive=False)
        self.url = self.api + "/cloud/v6/auth"
        self.api_keep = self.start_stand_in(keep_alive=True)
        self.url_keep = self.api_keep + "/cloud/v6/auth"
        self.check_stand_in()
        self.services()

    def stop(self):
        for server in self.servers:
            server.terminate()
            server.wait(10)


def row(label, values, n=None, cpu=None, faults=None, instr=None):
    def column(value, fmt, width):
        return fmt % value if value is not None else "%*s" % (width, "-")
    return "%-54s %7.1f %7.1f %s %5d %s %s" % (
        label, statistics.median(values), percentile(values, 95),
        column(statistics.median(cpu) if cpu else None, "%6.1f", 6),
        n if n is not None else len(values),
        column(statistics.median(faults) if faults else None, "%6d", 6),
        column(instr / 1e6 if instr else None, "%7.1f", 7))


def goal(text, wall, ok, instr=None, fmt="%6.2f", other="in instructions"):
    """A goal's line; ok None: a ratio shown for scale, no goal of its own."""
    extra = "   (%s %.2f)" % (other, instr) if instr else ""
    verdict = "" if ok is None else "holds" if ok else "MISSED"
    return "  %-46s %s   %-6s%s" % (text, fmt % wall, verdict, extra)


def split_table(rows):
    """Each object's own instructions in the fresh processes of rows, ld.so's
    by what its functions do, then the dynamic linker's work as LD_DEBUG counts it."""
    def objects(c):
        totals = {}
        for (obj, _), n in c.split.items():
            totals[obj] = totals.get(obj, 0) + n
        return totals

    def ld_so(c, names):
        return sum(n for (obj, fn), n in c.split.items() if LD_SO.match(obj) and
                   (fn in names if names else fn not in LOOKUP + RELOCATION))

    per_object = [objects(c) for c in rows]
    first = per_object[0]
    by_size = sorted(first, key=first.get, reverse=True)
    top = [o for o in by_size if LD_SO.match(o)][:1]
    top += [o for o in by_size if o not in top][:3]
    lines = [("  " + name, [t.get(name, 0) for t in per_object]) for name in top[:1]]
    lines += [("    of which symbol lookup", [ld_so(c, LOOKUP) for c in rows]),
              ("             relocation", [ld_so(c, RELOCATION) for c in rows]),
              ("             the rest", [ld_so(c, None) for c in rows])]
    lines += [("  " + name, [t.get(name, 0) for t in per_object]) for name in top[1:]]
    lines += [("  all other objects", [sum(n for o, n in t.items() if o not in top)
                                       for t in per_object]),
              ("  total", [sum(t.values()) for t in per_object])]
    print("M instr by object, fresh process (the instructions each object ran itself):")
    print("  %-30s" % "" + "".join("%8s" % ("(%s)" % c.key) for c in rows))
    for label, values in lines:
        print("%-32s" % label + "".join("%8.2f" % (v / 1e6) for v in values))
    if all(c.linker for c in rows):
        print("dynamic linker (LD_DEBUG; lookups at load and at lazily bound first calls):")
        for label, fmt, value in (
                ("objects loaded", "%8d", lambda w: w["objects"]),
                ("symbol lookups", "%8d", lambda w: w["lookups"]),
                ("objects searched per lookup", "%8.1f",
                 lambda w: w["searched"] / max(w["lookups"], 1))):
            print("  %-30s" % label + "".join(fmt % value(c.linker) for c in rows))


def measure(bench, contenders, args):
    """Interleaved rounds, then the bursts, then instruction counts."""
    by_key = {c.key: c for c in contenders}
    for c in contenders:  # warm-up: page cache, the stand-ins' threads
        c.once(record=False)
    rng = random.Random(args.seed)
    for _ in range(args.rounds):
        order = list(contenders)
        rng.shuffle(order)
        for c in order:
            c.once()
    bursts = {"1": ([], [0]), "3": ([], [0])}
    for _ in range(args.bursts):
        for key, (walls, errors) in bursts.items():
            wall, failed = bench.burst(by_key[key].argv, args.burst)
            walls.append(wall)
            errors[0] += failed
    if args.instructions and shutil.which("valgrind"):
        for c in contenders:
            if c.key != "5":  # a shell, curl and jq: not one process
                c.count_instructions()
    return bursts


def report(bench, contenders, bursts, args, elapsed, load):
    by_key = {c.key: c for c in contenders}
    print("pam_k6 benchmark on %s" % machine())
    print("trust store: a copy of %s (%d certificates) + the test CA, as a bundle and a "
          "hashed directory,\n  %s" % (SYSTEM_BUNDLE, bench.store_size, bench.store_note))
    print(bench.stand_in_note)
    print("%d rounds, contenders shuffled in each; in-process rows: %d logins a process, the "
          "first left out;\n%.0f s; load average %.2f before, %.2f after" % (
              args.rounds, args.inner, elapsed, load[0], load[1]))
    for note in bench.notes:
        print("note: " + note)
    print()
    print("%-54s %7s %7s %6s %5s %6s %7s" % ("one login, ms", "median", "p95", "CPU", "n",
                                              "faults", "M instr"))
    for c in contenders:
        if c.wall:
            print(row("(%s) %s" % (c.key, c.label), c.wall, cpu=c.cpu, faults=c.faults,
                      instr=c.instructions))
    for key, label in (("1", "pam_k6 (1)"), ("3", "floor.c (3)")):
        walls, errors = bursts[key]
        print(row("(6) %d %s at once: wall, %d errors" % (args.burst, label, errors[0]),
                  walls))

    def memory(key, field):
        return statistics.median(m[field] for m in by_key[key].memory)

    # Peak RSS, and the private part of it: the peak less the pages of files
    # (libraries) still resident at the end.
    hwm = {key: memory(key, "hwm") for key in ("0", "0u", "1", "4")}
    private = {key: hwm[key] - memory(key, "file") for key in hwm}
    print("(7) peak RSS of the caller, KiB: %d without pam_k6 (0), %d with it loaded, never "
          "called (0u),\n    %d with a login (1), %d after %d logins (4);\n    of which private "
          "(not the pages of shared libraries): %d, %d, %d, %d"
          % (hwm["0"], hwm["0u"], hwm["1"], hwm["4"], args.inner, private["0"], private["0u"],
             private["1"], private["4"]))
    if "8f" in by_key:
        hwm["8f"] = memory("8f", "hwm")
        print("    a cached login (8f): %d KiB" % hwm["8f"])
    if "8" not in by_key:
        print("(8) cached login: not measured (this pam_k6 has no cache_ttl option)")
    print("CPU: user + system time of the process and its children; faults: minor page "
          "faults;\nM instr: millions of instructions (valgrind), per login in one process")
    print()
    split_rows = [by_key[k] for k in SPLIT if k in by_key and by_key[k].split]
    if len(split_rows) == len(SPLIT):
        split_table(split_rows)
        print()

    def med(key):
        return statistics.median(by_key[key].wall)

    def instr(a, b):
        ia, ib = by_key[a].instructions, by_key[b].instructions
        return ia / ib if ia and ib else None

    print("goals (ratios of the medians above)")
    print(goal("(0u) / (0) loaded, never called <= 1.15", med("0u") / med("0"),
               med("0u") <= 1.15 * med("0"), instr("0u", "0")))
    unused = (hwm["0u"] - hwm["0"]) / 1024
    print(goal("     its peak RSS over (0), MiB  <= 1", unused, unused <= 1))
    if "8f" in by_key:
        print(goal("(8f) / (0) cached, fresh process <= 2", med("8f") / med("0"),
                   med("8f") <= 2 * med("0"), instr("8f", "0")))
    print(goal("(1) / (2)                       <= 0.5", med("1") / med("2"),
               med("1") <= 0.5 * med("2"), instr("1", "2")))
    print(goal("(1) / (2ca) curl, test CA only  <= 1.08", med("1") / med("2ca"),
               med("1") <= 1.08 * med("2ca"), instr("1", "2ca")))
    # The floor in instructions: the wall times of fresh processes swing with the load.
    if instr("1", "3"):
        print(goal("(1) / (3) the floor, instructions <= 1.05", instr("1", "3"),
                   instr("1", "3") <= 1.05, med("1") / med("3"), other="wall time"))
    if instr("1", "3m"):
        print(goal("(1) / (3m) the floor as a module, instructions", instr("1", "3m"), None,
                   med("1") / med("3m"), other="wall time"))
    print(goal("(4) / (3n) per authentication   <= 1.1", med("4") / med("3n"),
               med("4") <= 1.1 * med("3n"), instr("4", "3n")))
    print(goal("(5) / (1)                       >= 3", med("5") / med("1"),
               med("5") >= 3 * med("1")))
    errors = bursts["1"][1][0] + sum(c.errors for c in contenders)
    print(goal("(6) failed logins, bursts and rounds = 0", errors, errors == 0, fmt="%6d"))
    added = (private["1"] - private["0"]) / 1024
    print(goal("(7) private RSS pam_k6 adds, MiB <= 2", added, added <= 2))
    print(goal("    all RSS, shared libraries too, MiB", (hwm["1"] - hwm["0"]) / 1024,
               (hwm["1"] - hwm["0"]) / 1024 <= 2))
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("builddir", nargs="?", default=SRCDIR)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--inner", type=int, default=20, help="logins per in-process run")
    parser.add_argument("--burst", type=int, default=64)
    parser.add_argument("--bursts", type=int, default=3)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--no-instructions", dest="instructions", action="store_false",
                        help="skip counting instructions with valgrind")
    args = parser.parse_args()
    enter_namespace()

    tmp = tempfile.mkdtemp(prefix="pam_k6-bench.")
    bench = Bench(os.path.abspath(args.builddir), tmp)
    try:
        bench.start()
        contenders = bench.contenders(args.inner)
        began = time.monotonic()
        load = [os.getloadavg()[0]]
        bursts = measure(bench, contenders, args)
        load.append(os.getloadavg()[0])
        elapsed = time.monotonic() - began
    finally:
        bench.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if report(bench, contenders, bursts, args, elapsed, load) == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
