/* SPDX-License-Identifier: MIT */
/*
 * What tests/pam_stub.so returns for a line, shared with the tests that
 * predict it, so that both read "id=N" and $K6_STUB_CODES the same way.
 */
#ifndef K6_PAM_STUB_H
#define K6_PAM_STUB_H

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <security/_pam_types.h>

/* "N:CODE,N:CODE,...": what each line returns. */
#define K6_STUB_CODES_VAR "K6_STUB_CODES"
/* When set, each call appends "N," to it. */
#define K6_STUB_TRACE_VAR "K6_STUB_TRACE"
/* What a line returns when the list does not name it. */
#define K6_STUB_UNLISTED PAM_SERVICE_ERR

/* The line's id: its first "id=N" argument, or -1 (none, or not a number). */
static inline long k6_stub_line_id(int argc, const char *const *argv)
{
	for (int i = 0; i < argc; i++) {
		const char *digits = argv[i] + 3;
		char *end;
		long id;

		if (strncmp(argv[i], "id=", 3) != 0)
			continue;
		id = strtol(digits, &end, 10);
		return *end == '\0' && end != digits && id >= 0 ? id : -1;
	}
	return -1;
}

/* The code codes gives id. */
static inline int k6_stub_code(const char *codes, long id)
{
	const char *p = codes;

	while (id >= 0 && p != NULL && *p != '\0') {
		char *end;
		long n = strtol(p, &end, 10);
		long code;

		if (*end != ':')
			break;
		code = strtol(end + 1, &end, 10);
		if (n == id && code >= INT_MIN && code <= INT_MAX)
			return (int)code;
		p = *end == ',' ? end + 1 : NULL;
	}
	return K6_STUB_UNLISTED;
}

#endif
