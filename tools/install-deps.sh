#!/bin/sh
# Install what building and testing pam_k6 needs on Debian or Ubuntu (as root).
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
	build-essential autoconf automake libtool pkg-config \
	libpam0g-dev libcurl4-openssl-dev libjson-c-dev libssl-dev \
	libcmocka-dev libpam-wrapper libnss-wrapper pamtester \
	python3 openssl ca-certificates groff-base valgrind
