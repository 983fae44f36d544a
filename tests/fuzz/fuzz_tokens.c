/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the tokens file's parser and its rule of which hashes are hashed
 * against, the latter against a reference written here from the rule alone:
 * "$6$", "rounds=N$" with N from 1000 to 5000 written as crypt writes it (or
 * nothing: the default, 5000), a salt of 1 to 16 bytes of [./0-9A-Za-z],
 * '$', and 86 bytes of that alphabet whose last is one of "./01".  The
 * input is tried as a hash alone and as a whole file; every line the
 * parser keeps must carry the reference's verdict, and a name the parser
 * takes must be one the name rule takes.  No hash is ever computed.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tokens.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool alphabet(const char *s, size_t len)
{
	static const char chars[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "abcdefghijklmnopqrstuvwxyz";
	size_t i;

	for (i = 0; i < len; i++)
		if (memchr(chars, s[i], sizeof(chars) - 1) == NULL)
			return false;
	return true;
}

/* The fields between '$': f[0] is what precedes the first. */
static size_t split(const char *s, const char **f, size_t *len, size_t max)
{
	size_t n = 0;

	while (n < max) {
		const char *end = strchr(s, '$');

		f[n] = s;
		len[n] = end != NULL ? (size_t)(end - s) : strlen(s);
		n++;
		if (end == NULL)
			return n;
		s = end + 1;
	}
	return max + 1; /* too many */
}

static bool rounds_field(const char *s, size_t len)
{
	char digits[16];
	char again[16];
	unsigned long n;

	if (len < 8 || len - 7 >= sizeof(digits) || strncmp(s, "rounds=", 7) != 0)
		return false;
	memcpy(digits, s + 7, len - 7);
	digits[len - 7] = '\0';
	if (strspn(digits, "0123456789") != len - 7)
		return false;
	n = strtoul(digits, NULL, 10);
	snprintf(again, sizeof(again), "%lu", n);
	return strcmp(again, digits) == 0 && n >= 1000 && n <= 5000;
}

static bool reference_usable(const char *hash)
{
	const char *f[6];
	size_t len[6];
	size_t n = split(hash, f, len, 5);
	size_t salt = n == 5 ? 3 : 2;

	if ((n != 4 && n != 5) || len[0] != 0 || len[1] != 1 || f[1][0] != '6')
		return false;
	if (n == 5 && !rounds_field(f[2], len[2]))
		return false;
	return len[salt] >= 1 && len[salt] <= 16 && alphabet(f[salt], len[salt]) &&
	       len[salt + 1] == 86 && alphabet(f[salt + 1], 86) &&
	       strchr("./01", f[salt + 1][85]) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct k6_tokens t;
	char err[512];

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if ((k6_token_hash_unusable(text) == NULL) != reference_usable(text))
		__builtin_trap();
	if (k6_tokens_parse("/fuzz/pam_k6.tokens", text, size, &t, err, sizeof(err)) == K6_OK) {
		size_t i;

		for (i = 0; i < t.n; i++) {
			const struct k6_token_line *l = &t.lines[i];

			if ((l->unusable == NULL) != reference_usable(l->hash) ||
			    !k6_tokens_user_ok(l->user) ||
			    k6_tokens_count(&t, l->user) > K6_TOKENS_PER_USER)
				__builtin_trap();
		}
		if (k6_tokens_unusable(&t) > t.n)
			__builtin_trap();
	} else if (t.n != 0 || err[0] == '\0') {
		__builtin_trap();
	}
	k6_tokens_free(&t);
	free(text);
	return 0;
}
