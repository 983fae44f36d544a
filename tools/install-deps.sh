#!/bin/sh
# SPDX-License-Identifier: MIT
# Install what building and testing pam_k6 needs on Debian or Ubuntu (as root).
#
#   --system-tests  also sshd, ssh, sshpass and sudo for tests/test_system.py
#                   (on a machine with systemd, installing openssh-server
#                   starts an SSH server on port 22), and ansible-core,
#                   ansible-lint and python3-apt (Ansible's apt module) for
#                   tests/test_ansible.py
#   --packaging     also the tools of tools/package-test.sh
#   --bench         also curl and jq, the contenders of make bench
set -eu
export DEBIAN_FRONTEND=noninteractive
extra=
for arg in "$@"; do
	case $arg in
	--system-tests) extra="$extra openssh-server openssh-client sshpass sudo ansible-core ansible-lint python3-apt" ;;
	--packaging) extra="$extra debhelper devscripts dpkg-dev fakeroot lintian rpm" ;;
	--bench) extra="$extra curl jq" ;;
	*) echo "usage: $0 [--system-tests] [--packaging] [--bench]" >&2; exit 2 ;;
	esac
done
apt-get update -q
# $extra is a list of package names: split on purpose.
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libpam0g-dev libcurl4-openssl-dev libjson-c-dev nettle-dev libcrypt-dev \
	libcmocka-dev libpam-wrapper libnss-wrapper pamtester \
	python3 openssl ca-certificates groff-base valgrind $extra
