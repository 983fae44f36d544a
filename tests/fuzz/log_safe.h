/* SPDX-License-Identifier: MIT */
/*
 * For the harnesses: text that goes into a log line as reason="..." must be
 * NUL-terminated within its buffer, printable ASCII, without a quote that
 * would end the field, and with every backslash starting a whole \xHH.
 */
#ifndef K6_FUZZ_LOG_SAFE_H
#define K6_FUZZ_LOG_SAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

static inline bool fuzz_is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static inline void check_log_safe(const char *text, size_t size, bool may_be_empty)
{
	const char *end = memchr(text, '\0', size);
	const char *p;

	if (end == NULL || (!may_be_empty && end == text))
		__builtin_trap();
	for (p = text; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c > 0x7e || c == '"')
			__builtin_trap();
		if (c != '\\')
			continue;
		if (end - p < 4 || p[1] != 'x' || !fuzz_is_hex(p[2]) || !fuzz_is_hex(p[3]))
			__builtin_trap();
		p += 3;
	}
}

#endif
