/* SPDX-License-Identifier: MIT */
/* Token screening: every boundary of length and alphabet. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/token.h"

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void test_table(void **state)
{
	static const struct {
		const char *token;
		enum k6_token_verdict want;
	} cases[] = {
		{ "0123456789abcdef0123456789abcdef", K6_TOKEN_OK },
		{ "abcdefghijkl", K6_TOKEN_OK },       /* exactly 12 */
		{ "abcdefghijk", K6_TOKEN_TOO_SHORT }, /* 11 */
		{ "ABCxyz-._~+/0", K6_TOKEN_OK },      /* every symbol */
		{ "abcdefghijk=", K6_TOKEN_OK },       /* padding counts */
		{ "abcdefghij==", K6_TOKEN_OK },
		{ "abcdefghijkl==", K6_TOKEN_OK },
		{ "============", K6_TOKEN_BAD_CHAR },  /* padding only */
		{ "abcdef=ghijkl", K6_TOKEN_BAD_CHAR }, /* padding inside */
		{ "", K6_TOKEN_EMPTY },
		{ "abcdefghijkl ", K6_TOKEN_BAD_CHAR },
		{ " abcdefghijkl", K6_TOKEN_BAD_CHAR },
		{ "abcdef ghijkl", K6_TOKEN_BAD_CHAR },
		{ "abcdefghijkl\t", K6_TOKEN_BAD_CHAR },
		{ "abcdefghijkl\r\nX-Evil: 1", K6_TOKEN_BAD_CHAR },
		{ "abcdefghijkl\n", K6_TOKEN_BAD_CHAR },
		{ "\b\n\r\177INCORRECT", K6_TOKEN_BAD_CHAR }, /* sshd, unknown user */
		{ "abcdefghijkl\177", K6_TOKEN_BAD_CHAR },
		{ "abcdefghijkl\xc3\xa9", K6_TOKEN_BAD_CHAR },
		{ "abcdefghijkl:", K6_TOKEN_BAD_CHAR },
		{ "abcdefghijkl%", K6_TOKEN_BAD_CHAR },
		{ "abc\"defghijkl", K6_TOKEN_BAD_CHAR },
		{ "a", K6_TOKEN_TOO_SHORT },
		{ "\x01", K6_TOKEN_BAD_CHAR },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum k6_token_verdict got = k6_token_screen(cases[i].token);
		if (got != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, got, cases[i].want);
	}
}

static void test_null(void **state)
{
	(void)state;
	assert_int_equal(k6_token_screen(NULL), K6_TOKEN_EMPTY);
}

static void test_lengths(void **state)
{
	char *max = repeat('a', K6_TOKEN_MAX);
	char *over = repeat('a', K6_TOKEN_MAX + 1);
	char *huge = repeat('a', 1024 * 1024);

	(void)state;
	assert_int_equal(k6_token_screen(max), K6_TOKEN_OK);
	assert_int_equal(k6_token_screen(over), K6_TOKEN_TOO_LONG);
	assert_int_equal(k6_token_screen(huge), K6_TOKEN_TOO_LONG);
	/* A bad byte after the limit does not change the verdict. */
	over[K6_TOKEN_MAX] = '\n';
	assert_int_equal(k6_token_screen(over), K6_TOKEN_TOO_LONG);
	max[K6_TOKEN_MAX - 1] = '=';
	assert_int_equal(k6_token_screen(max), K6_TOKEN_OK);
	free(max);
	free(over);
	free(huge);
}

static void test_every_byte(void **state)
{
	char token[16];
	int c;

	(void)state;
	for (c = 1; c < 256; c++) {
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			  (c >= '0' && c <= '9') || strchr("-._~+/", c) != NULL;
		memset(token, 'a', sizeof(token) - 1);
		token[sizeof(token) - 1] = '\0';
		token[5] = (char)c;
		assert_int_equal(k6_token_screen(token), ok ? K6_TOKEN_OK : K6_TOKEN_BAD_CHAR);
	}
}

static void test_reasons_have_no_token(void **state)
{
	(void)state;
	assert_string_equal(k6_token_verdict_str(K6_TOKEN_TOO_SHORT),
			    "answer too short to be a token");
	assert_non_null(k6_token_verdict_str(K6_TOKEN_BAD_CHAR));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_reasons_have_no_token),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
