#!/bin/sh
# SPDX-License-Identifier: MIT
# The man page renders without warnings, and every option the module knows is
# documented in the man page and in the README's option table.
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

options=$srcdir/pam_k6/options.c
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
	grep -q "^| \`$key[=\`]" "$readme" || grep -q "^| .*\`$key\`" "$readme" || {
		echo "README: option $key is missing from the option table"
		status=1
	}
done
echo "checked: $(echo $keys | wc -w) options"
exit $status
