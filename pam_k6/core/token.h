/* SPDX-License-Identifier: MIT */
/*
 * Screening of what the user typed, before anything leaves the host.
 */
#ifndef K6_TOKEN_H
#define K6_TOKEN_H

#include <stddef.h>

#define K6_TOKEN_MIN 12
#define K6_TOKEN_MAX 4096

enum k6_token_verdict {
	K6_TOKEN_OK,
	K6_TOKEN_EMPTY,
	K6_TOKEN_TOO_SHORT,
	K6_TOKEN_TOO_LONG,
	K6_TOKEN_BAD_CHAR,
};

/*
 * Accept K6_TOKEN_MIN to K6_TOKEN_MAX bytes of the RFC 6750 b64token
 * alphabet (A-Z a-z 0-9 - . _ ~ + /) followed by optional '=' padding.
 * NULL counts as empty.  The token is only read, never copied.
 */
enum k6_token_verdict k6_token_screen(const char *token);

/* A short, secret-free description of a verdict, for the log. */
const char *k6_token_verdict_str(enum k6_token_verdict v);

#endif
