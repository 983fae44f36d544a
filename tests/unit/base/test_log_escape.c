/* SPDX-License-Identifier: MIT */
/* Escaping outside text for log lines. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base/log_escape.h"

static void test_escapes(void **state)
{
	char out[64];

	(void)state;
	k6_escape_str(out, sizeof(out), "alice", false);
	assert_string_equal(out, "alice");
	k6_escape_str(out, sizeof(out), "a b", false);
	assert_string_equal(out, "a\\x20b");
	k6_escape_str(out, sizeof(out), "a b", true);
	assert_string_equal(out, "a b");
	k6_escape_str(out, sizeof(out), "x\r\ny\t\"z\\", true);
	assert_string_equal(out, "x\\x0d\\x0ay\\x09\\x22z\\x5c");
	k6_escape_str(out, sizeof(out), "\xc3\xa9\x7f", true);
	assert_string_equal(out, "\\xc3\\xa9\\x7f");
	k6_escape_str(out, sizeof(out), NULL, true);
	assert_string_equal(out, "");
	k6_escape(out, sizeof(out), "a\0b", 3, true);
	assert_string_equal(out, "a\\x00b");
}

static void test_truncation(void **state)
{
	char out[8];

	(void)state;
	k6_escape_str(out, sizeof(out), "1234567", true);
	assert_string_equal(out, "1234567");
	k6_escape_str(out, sizeof(out), "12345678", true);
	assert_string_equal(out, "1234...");
	/* An escape is never cut in half. */
	k6_escape_str(out, sizeof(out), "1\n345678", true);
	assert_string_equal(out, "1...");
	k6_escape_str(out, sizeof(out), "\n\n", true);
	assert_string_equal(out, "\\x0a...");
	k6_escape_str(out, 4, "abcdef", true);
	assert_string_equal(out, "...");
	k6_escape_str(out, 2, "abcdef", true);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
