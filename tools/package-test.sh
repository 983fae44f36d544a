#!/bin/sh
# SPDX-License-Identifier: MIT
# Build the Debian package from the release tarball, check it with lintian,
# roll it out and back with the Ansible role (tests/test_ansible.py, in a
# private mount namespace), install it with dpkg -i, log in through the
# installed module with pamtester, check its pam-auth-update profile, and
# purge it again (with a pam.d file still naming the module, which the
# removal must warn about).
#
# For a throwaway machine (CI), as root, with the packaging tools installed
# (tools/install-deps.sh --packaging).  The package must not be installed
# already.
#
# Usage: tools/package-test.sh [BUILDDIR]   (a configured build tree)
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(cd "${1:-$srcdir}" && pwd)
python=${PYTHON3:-python3}
package=libpam-k6

say() { printf '\n== %s\n' "$*"; }
fail() { echo "package-test: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root: the package is installed and purged"
for tool in dpkg-buildpackage lintian pamtester pam-auth-update unshare "$python"; do
	command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (tools/install-deps.sh --packaging)"
done
! dpkg -s "$package" >/dev/null 2>&1 || fail "$package is installed already; dpkg --purge $package"

work=$(mktemp -d "${TMPDIR:-/tmp}/pam_k6-package.XXXXXX")
installed=
cleanup() {
	[ -z "$installed" ] || dpkg --purge "$package" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

# The installed-module test, with the stand-in API; $1: installed or absent,
# and the tests named after it, if any.
run_installed_test() {
	expect=$1
	shift
	K6_TEST_EXPECT=$expect K6_TEST_SRCDIR=$srcdir PYTHONDONTWRITEBYTECODE=1 \
		"$python" "$srcdir/tests/test_installed.py" "$@"
}

say "release tarball"
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$builddir/Makefile")
make -C "$builddir" dist >/dev/null
tar -xzf "$builddir/pam_k6-$version.tar.gz" -C "$work"
debversion=$(cd "$work/pam_k6-$version" && dpkg-parsechangelog -S Version)
case $debversion in
"$version"-*) ;;
*) fail "debian/changelog says $debversion, configure.ac says $version" ;;
esac

say "dpkg-buildpackage -us -uc -b (runs the test suite, without the system tests)"
(cd "$work/pam_k6-$version" && dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
	{ tail -n 80 "$work/build.log"; fail "the package did not build"; }
grep -E '^(# )?(PASS|SKIP|FAIL|XFAIL|XPASS|ERROR):' "$work/build.log" || true
grep -q '^# FAIL: *0$' "$work/build.log" || fail "the build's test suite did not pass"
! grep -q 'test_system' "$work/build.log" || fail "the package build ran the system tests"
deb=$(ls "$work"/${package}_"$debversion"_*.deb)

say "lintian"
lintian --fail-on error --info "$work"/pam-k6_"$debversion"_*.changes ||
	fail "lintian reports errors"

say "pamtester before the package is installed: the module must not be found"
run_installed_test absent Installed

say "the Ansible role with this package, in a private mount namespace"
# The role installs it, and takes it off again, in overlays of /etc, /usr
# and /var that only the test sees: the machine keeps neither.
status=0
K6_TEST_DEB=$deb K6_TEST_SRCDIR=$srcdir PYTHONDONTWRITEBYTECODE=1 \
	"$python" "$srcdir/tests/test_ansible.py" >"$work/ansible.log" 2>&1 || status=$?
case $status in
0) grep -E '^(Ran|OK)|^ +[0-9.]+ +changed=' "$work/ansible.log" ;;
77) grep '^SKIP' "$work/ansible.log" || true ;;
*) tail -n 150 "$work/ansible.log"; fail "the Ansible role's tests failed with the package" ;;
esac
! dpkg -s "$package" >/dev/null 2>&1 || fail "the Ansible tests left $package installed on the machine"

say "dpkg -i $(basename "$deb")"
installed=yes
dpkg -i "$deb"
dpkg -L "$package"

# The module sits beside pam_unix.so, where libpam finds bare names.
unix_dir=$(dirname "$(dpkg -L libpam-modules | grep '/pam_unix\.so$' | head -n 1)")
[ -f "$unix_dir/pam_k6.so" ] || fail "pam_k6.so is not in $unix_dir"
dpkg -S "$unix_dir/pam_k6.so" | grep -q "^$package:" || fail "$unix_dir/pam_k6.so is not from $package"
for page in man8/pam_k6.8.gz man5/pam_k6.conf.5.gz; do
	[ -f "/usr/share/man/$page" ] || fail "no man page $page"
done
for doc in README.md.gz examples/README.md examples/pam.d/sshd examples/pam.d/sudo \
	examples/pam.d/sudo-i \
	examples/pam.d/sshd-token-only examples/sshd_config.d/00-pam_k6.conf \
	examples/selinux/pam_k6.te examples/pam_k6.conf examples/pam_k6.users \
	examples/pam_k6.tokens; do
	[ -f "/usr/share/doc/$package/$doc" ] || fail "/usr/share/doc/$package/$doc is missing"
done
[ -f /usr/share/pam-configs/k6 ] || fail "no pam-auth-update profile"
dpkg-deb -f "$deb" Depends | grep -q 'ca-certificates' || fail "the package does not depend on ca-certificates"
! dpkg -L "$package" | grep -q '^/etc/' || fail "the package installs into /etc"
! grep -q pam_k6 /etc/pam.d/common-auth || fail "installing the package enabled pam_k6"

say "pam_k6ctl for everyone: on an ordinary user's PATH, and at its old place"
found=$(su -l nobody -s /bin/sh -c 'command -v pam_k6ctl') ||
	fail "an ordinary user does not find pam_k6ctl"
[ "$found" = /usr/bin/pam_k6ctl ] || fail "an ordinary user finds pam_k6ctl at $found"
[ "$(readlink -f /usr/sbin/pam_k6ctl)" = /usr/bin/pam_k6ctl ] ||
	fail "/usr/sbin/pam_k6ctl does not lead to /usr/bin/pam_k6ctl"
line=$(echo k6pkg0123456789abcdef0123456789ab | su -l nobody -s /bin/sh -c 'pam_k6ctl hash') ||
	fail "an ordinary user cannot run pam_k6ctl hash"
case $line in
'nobody $6$'*) ;;
*) fail "pam_k6ctl hash printed: $line" ;;
esac

say "pamtester through the installed module"
run_installed_test installed Installed

say "pam-auth-update --enable k6, in a private mount namespace"
# Copies of what pam-auth-update writes, mounted over the machine's own.
mkdir "$work/pam.d" "$work/pam-state" "$work/debconf"
cp -a /etc/pam.d/. "$work/pam.d/"
cp -a /var/lib/pam/. "$work/pam-state/" 2>/dev/null || true
cp -a /var/cache/debconf/. "$work/debconf/"
# The inner script takes the folder as $1.
# shellcheck disable=SC2016
unshare --mount --propagation private sh -eu -c '
	mount --bind "$1/pam.d" /etc/pam.d
	mount --bind "$1/pam-state" /var/lib/pam
	mount --bind "$1/debconf" /var/cache/debconf
	DEBIAN_FRONTEND=noninteractive pam-auth-update --enable k6
	cp /etc/pam.d/common-auth "$1/common-auth.enabled"
	# The stacks that include it, proven: no way in without a secret.
	for service in sshd sudo su login; do
		pam_k6ctl check --service "$service" >"$1/check-$service" 2>&1 || true
	done
' sh "$work"
for service in sshd sudo su login; do
	grep -q "^no way ends in PAM_SUCCESS unless a module that checks a secret succeeded" \
		"$work/check-$service" && ! grep -q "PAM_SUCCESS with no secret checked" \
		"$work/check-$service" || { cat "$work/check-$service"; fail "pam_k6ctl check: $service"; }
done
sed -n '/^auth/p' "$work/common-auth.enabled"
k6=$(grep -n 'pam_k6\.so' "$work/common-auth.enabled" | head -n 1 | cut -d: -f1)
unix=$(grep -n 'pam_unix\.so' "$work/common-auth.enabled" | head -n 1 | cut -d: -f1)
if [ -z "$k6" ] || [ -z "$unix" ] || [ "$k6" -ge "$unix" ]; then
	fail "the k6 profile did not put pam_k6 before pam_unix in common-auth"
fi
grep -q '^auth.*authinfo_unavail=ignore.*pam_k6\.so *$' "$work/common-auth.enabled" ||
	fail "the k6 profile's line is not as shipped"
gate=$(grep -n 'pam_succeed_if\.so quiet user ingroup k6users' "$work/common-auth.enabled" | head -n 1 | cut -d: -f1)
if [ -z "$gate" ] || [ "$gate" -ge "$k6" ]; then
	fail "the k6 profile does not ask only members of k6users"
fi
! grep -q pam_k6 /etc/pam.d/common-auth || fail "the machine's common-auth was changed"

say "that common-auth, through pamtester: as shipped, then with stack_url"
K6_TEST_COMMON_AUTH=$work/common-auth.enabled run_installed_test installed Profile

say "dpkg --purge $package, a pam.d file still naming pam_k6, in a private mount namespace"
# What the module makes at run time, which the purge must take away.
mkdir -p /var/cache/pam_k6 /run/pam_k6-faillock
: >/var/cache/pam_k6/record-left-behind
: >/run/pam_k6-faillock/nobody
# A copy of /etc/pam.d with one more file that names the module, mounted
# over the machine's own: the removal must say so, and still go through.
mkdir "$work/pam.d-named"
cp -a /etc/pam.d/. "$work/pam.d-named/"
printf 'auth  required  pam_k6.so\n' >"$work/pam.d-named/k6-left-behind"
# The inner script takes the folder and the package as $1 and $2.
# shellcheck disable=SC2016
unshare --mount --propagation private sh -eu -c '
	mount --bind "$1" /etc/pam.d
	dpkg --purge "$2"
' sh "$work/pam.d-named" "$package" >"$work/purge.log" 2>&1 ||
	{ cat "$work/purge.log"; fail "the purge failed"; }
installed=
cat "$work/purge.log"
grep -q '^WARNING: .*still name pam_k6\.so' "$work/purge.log" ||
	fail "removing the package did not warn about a pam.d file that names pam_k6"
grep -q '^WARNING: *[/]etc/pam\.d/k6-left-behind$' "$work/purge.log" ||
	fail "the warning does not name the file"
! grep -q pam_k6 /etc/pam.d/* || fail "the machine's /etc/pam.d was changed"
[ ! -e "$unix_dir/pam_k6.so" ] || fail "the module is still there after purge"
[ ! -e /usr/share/pam-configs/k6 ] || fail "the profile is still there after purge"
[ ! -e /var/cache/pam_k6 ] || fail "the cache folder is still there after purge"
[ ! -e /run/pam_k6-faillock ] || fail "the token tally folder is still there after purge"
[ ! -e /usr/bin/pam_k6ctl ] && [ ! -L /usr/sbin/pam_k6ctl ] || fail "pam_k6ctl is still there"

say "package-test: all checks passed"
