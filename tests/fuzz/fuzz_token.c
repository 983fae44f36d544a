/* SPDX-License-Identifier: MIT */
/*
 * Fuzz token screening against a reference written here from the rule alone:
 * a token is 1 or more bytes of the RFC 6750 b64token alphabet followed by
 * '=' padding, K6_TOKEN_MIN to K6_TOKEN_MAX bytes in all (padding included,
 * as that is what is sent and held in memory).  The verdict must be OK exactly
 * when the reference accepts, and any other verdict must name a real fault.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool b64token_char(char c)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789-._~+/";

	return memchr(alphabet, c, sizeof(alphabet) - 1) != NULL;
}

/* The shape alone, whatever the length. */
static bool b64token_shape(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && b64token_char(s[i]))
		i++;
	if (i == 0)
		return false;
	while (i < len && s[i] == '=')
		i++;
	return i == len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token = malloc(size + 1);
	enum k6_token_verdict v;
	bool shape;
	size_t len;

	if (token == NULL)
		return 0;
	memcpy(token, data, size);
	token[size] = '\0';
	/* Screening sees the string up to its first NUL, as PAM hands it over. */
	len = strlen(token);
	shape = b64token_shape(token, len);
	v = k6_token_screen(token);

	switch (v) {
	case K6_TOKEN_OK:
		if (!shape || len < K6_TOKEN_MIN || len > K6_TOKEN_MAX)
			__builtin_trap();
		break;
	case K6_TOKEN_EMPTY:
		if (len != 0)
			__builtin_trap();
		break;
	case K6_TOKEN_TOO_SHORT:
		if (len == 0 || len >= K6_TOKEN_MIN)
			__builtin_trap();
		break;
	case K6_TOKEN_TOO_LONG:
		if (len <= K6_TOKEN_MAX)
			__builtin_trap();
		break;
	case K6_TOKEN_BAD_CHAR:
		if (len == 0 || shape)
			__builtin_trap();
		break;
	default:
		__builtin_trap();
	}
	/* Not OK must mean a real fault: the reference refuses too. */
	if (v != K6_TOKEN_OK && shape && len >= K6_TOKEN_MIN && len <= K6_TOKEN_MAX)
		__builtin_trap();
	if (k6_token_verdict_str(v) == NULL || (size == 0 && k6_token_screen(NULL) != v))
		__builtin_trap();
	free(token);
	return 0;
}
