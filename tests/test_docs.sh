#!/bin/sh
# SPDX-License-Identifier: MIT
# The man pages render without warnings, every option the module knows is
# documented in pam_k6(8) and pam_k6.conf(5) (and not tabled again in the
# README), and the recipes the documents show are the shipped ones.
set -u
srcdir=${K6_TEST_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
man=$srcdir/man/pam_k6.8
conf_man=$srcdir/man/pam_k6.conf.5
readme=$srcdir/README.md
status=0

if command -v groff >/dev/null 2>&1; then
	for page in "$man" "$conf_man"; do
		out=$(groff -man -ww -z "$page" 2>&1)
		if [ -n "$out" ]; then
			echo "groff warns about $page:"
			echo "$out"
			status=1
		fi
	done
else
	echo "groff missing: rendering not checked (install groff-base)"
	exit 77
fi

options=$srcdir/pam_k6/core/options.c
keys=$(sed -n -e 's/^	{ "\([a-z_]*\)", set_.*/\1/p' -e 's/^	KEY(\([a-z_]*\), .*/\1/p' \
	-e 's/^	FLAG(\([a-z_]*\)),/\1/p' "$options")
# Every entry of the key table must have been read, or the check below is hollow.
entries=$(sed -n '/^static const struct key keys\[\] = {$/,/^};$/p' "$options" | grep -c '^	[{FK]')
if [ "$entries" -eq 0 ] || [ "$(echo $keys | wc -w)" -ne "$entries" ]; then
	echo "read $(echo $keys | wc -w) option names from $entries entries of the key table"
	exit 1
fi
for key in $keys; do
	grep -q "^\.BI\{0,1\}R\{0,1\} $key\(=\| \|$\)" "$man" ||
		grep -q "^\.BR $key=" "$man" || {
		echo "man page: option $key is not documented"
		status=1
	}
	# Every key but conf can also be set in the configuration file.
	[ "$key" = conf ] || grep -q "\.B[RI]\{0,1\} $key\( \|,\|$\)" "$conf_man" || {
		echo "pam_k6.conf(5): key $key is not listed"
		status=1
	}
done
# The option and return-code tables live in the man pages only: the README
# leads with the operator's tasks and points there.
grep -q '^| option | default | meaning |' "$readme" && {
	echo "README: an option table; the options are the man pages' to list"
	status=1
}
echo "checked: $(echo $keys | wc -w) options"

# The recipes' block, as README.md and examples/README.md show it, is the
# one the shipped files carry.
sshd=$srcdir/examples/pam.d/sshd
block=$(grep -E '^auth[[:space:]]' "$sshd")
[ "$(echo "$block" | wc -l)" -eq 10 ] || {
	echo "examples/pam.d/sshd: want the ten lines of the pam_k6 block"
	status=1
}
for service in sudo sudo-i; do
	[ "$block" = "$(grep -E '^auth[[:space:]]' "$srcdir/examples/pam.d/$service")" ] || {
		echo "examples/pam.d/$service: the pam_k6 block is not the one in examples/pam.d/sshd"
		status=1
	}
done
for doc in "$readme" "$srcdir/examples/README.md"; do
	echo "$block" | while IFS= read -r line; do
		grep -qxF "$line" "$doc" || {
			echo "$doc: missing the recipe's line: $line"
			exit 1
		}
	done || status=1
done

# One group is asked for a token, named the same everywhere.
for file in debian/pam-configs/k6 examples/pam.d/sshd examples/pam.d/sudo examples/pam.d/sudo-i \
	examples/pam.d/sshd-token-only README.md examples/README.md man/pam_k6.8; do
	groups=$(grep -o 'ingroup [A-Za-z0-9_-]*' "$srcdir/$file" | sort -u)
	[ "$groups" = "ingroup k6users" ] || {
		echo "$file: the token group is not k6users alone: ${groups:-none}"
		status=1
	}
done
exit $status
