/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "core/token.h"

static bool in_alphabet(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

enum k6_token_verdict k6_token_screen(const char *token)
{
	size_t len;
	size_t i = 0;

	if (token == NULL || token[0] == '\0')
		return K6_TOKEN_EMPTY;
	/* Never walk further than one byte past the longest token. */
	len = strnlen(token, K6_TOKEN_MAX + 1);
	if (len > K6_TOKEN_MAX)
		return K6_TOKEN_TOO_LONG;

	while (i < len && in_alphabet((unsigned char)token[i]))
		i++;
	if (i == 0)
		return K6_TOKEN_BAD_CHAR;
	while (i < len && token[i] == '=')
		i++;
	if (i != len)
		return K6_TOKEN_BAD_CHAR;
	if (len < K6_TOKEN_MIN)
		return K6_TOKEN_TOO_SHORT;
	return K6_TOKEN_OK;
}

const char *k6_token_verdict_str(enum k6_token_verdict v)
{
	switch (v) {
	case K6_TOKEN_OK:
		return "token accepted by screening";
	case K6_TOKEN_EMPTY:
		return "empty answer";
	case K6_TOKEN_TOO_SHORT:
		return "answer too short to be a token";
	case K6_TOKEN_TOO_LONG:
		return "answer too long to be a token";
	case K6_TOKEN_BAD_CHAR:
		return "answer has characters a token cannot have";
	}
	return "answer is not a token";
}
