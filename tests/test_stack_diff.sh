#!/bin/sh
# SPDX-License-Identifier: MIT
# The model of libpam (core/pamd.c reading pam.d, core/stack.c running the
# auth stack) and the installed libpam agree on 10,000 generated pam.d
# folders: the same result, after running the same lines of the stub
# module.  K6_STACK_DIFF_SEED and K6_STACK_DIFF_CASES change the run.
set -u
builddir=${K6_TEST_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
diff_prog=${K6_TEST_STACK_DIFF:-$builddir/tests/stack_diff}
K6_TEST_PAM_STUB=${K6_TEST_PAM_STUB:-$builddir/tests/.libs/libpam_stub.so}
export K6_TEST_PAM_STUB

if [ ! -f "$K6_TEST_PAM_STUB" ]; then
	echo "no stub module at $K6_TEST_PAM_STUB (make check builds it)"
	exit 77
fi
# Sanitized builds are slower (ASan about 1,000 cases a second, TSan
# under 200): fewer cases there, the same seeds first.
cases=10000
case ${K6_TEST_SANITIZED:-} in
*thread*) cases=1000 ;;
?*) cases=3000 ;;
esac
exec "$diff_prog" "${K6_STACK_DIFF_SEED:-1}" "${K6_STACK_DIFF_CASES:-$cases}"
