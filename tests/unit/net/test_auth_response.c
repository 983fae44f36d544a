/* SPDX-License-Identifier: MIT */
/* Parsing answers of /cloud/v6/auth: the good shape and every bad one. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/auth_response.h"

struct body_case {
	const char *body;
	int64_t stack_id; /* 0: must be refused */
	int64_t project_id;
};

static void run(const struct body_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct k6_auth_result r = { -1, -1 };
		const char *why = NULL;
		size_t len = strlen(cases[i].body);
		/* An exact copy without a NUL after it: a read past len is a bug. */
		char *body = malloc(len > 0 ? len : 1);
		enum k6_status st;

		assert_non_null(body);
		memcpy(body, cases[i].body, len);
		st = k6_auth_response_parse(body, len, &r, &why);
		free(body);

		if (cases[i].stack_id != 0) {
			if (st != K6_OK)
				fail_msg("%s: refused (%s)", cases[i].body,
					 why != NULL ? why : "?");
			if (r.stack_id != cases[i].stack_id ||
			    r.default_project_id != cases[i].project_id)
				fail_msg("%s: got %lld/%lld", cases[i].body, (long long)r.stack_id,
					 (long long)r.default_project_id);
		} else {
			if (st != K6_UNAVAILABLE)
				fail_msg("%s: status %d, want K6_UNAVAILABLE", cases[i].body, st);
			if (why == NULL)
				fail_msg("%s: refused without a reason", cases[i].body);
			if (r.stack_id != 0 || r.default_project_id != 0)
				fail_msg("%s: refused but left values behind", cases[i].body);
		}
	}
}

static void test_good(void **state)
{
	static const struct body_case cases[] = {
		{ "{\"default_project_id\": 67890, \"stack_id\": 12345}", 12345, 67890 },
		{ "{\"stack_id\":1,\"default_project_id\":2}", 1, 2 },
		{ " \n{ \"stack_id\" : 1 , \"default_project_id\" : 2 } \n", 1, 2 },
		{ "{\"stack_id\":9223372036854775807,\"default_project_id\":9223372036854775806}",
		  INT64_MAX, INT64_MAX - 1 },
		/* The API may grow: unknown keys, even nested, are ignored. */
		{ "{\"stack_id\":7,\"default_project_id\":8,\"name\":\"x\",\"extra\":{\"stack_id\":"
		  "\"no\"}}",
		  7, 8 },
		{ "{\"x\":[{\"stack_id\":1}],\"stack_id\":7,\"default_project_id\":8}", 7, 8 },
		{ "{\"note\":\"\\\"stack_id\\\": 5,\",\"stack_id\":7,\"default_project_id\":8}", 7,
		  8 },
		{ "{\"stack_id\":7,\"default_project_id\":8,\"stack_ids\":[1,2]}", 7, 8 },
		{ "{\"stack\\u005fid\":7,\"default_project_id\":8}", 7, 8 },
		{ "{\"s\\tack_id\":1,\"stack_id\":7,\"default_project_id\":8}", 7, 8 },
		{ "{\"stack_id\\n\":1,\"stack_id\":7,\"default_project_id\":8,\"q\":\"it's\"}", 7,
		  8 },
		{ "{\"x\":\"a\\\\u0000\",\"stack_id\":7,\"default_project_id\":8}", 7, 8 },
		{ "{\"stack_id\":7,\"default_project_id\":8,\"f\":[1.5e3,-2E-2,0.25,true,false,"
		  "null]}",
		  7, 8 },
	};

	(void)state;
	run(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_bad(void **state)
{
	static const struct body_case cases[] = {
		{ "", 0, 0 },
		{ " ", 0, 0 },
		{ "{", 0, 0 },
		{ "{\"stack_id\":1,\"default_project_id\":2", 0, 0 },
		{ "[]", 0, 0 },
		{ "[{\"stack_id\":1,\"default_project_id\":2}]", 0, 0 },
		{ "\"stack_id\"", 0, 0 },
		{ "12345", 0, 0 },
		{ "null", 0, 0 },
		{ "true", 0, 0 },
		{ "{}", 0, 0 },
		{ "{\"stack_id\":1}", 0, 0 },
		{ "{\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":null,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":1,\"default_project_id\":null}", 0, 0 },
		{ "{\"stack_id\":\"1\",\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":1,\"default_project_id\":\"2\"}", 0, 0 },
		{ "{\"stack_id\":1.0,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":1.5,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":1e3,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":0,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":1,\"default_project_id\":0}", 0, 0 },
		{ "{\"stack_id\":-1,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":-0,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":true,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":[1],\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":{\"id\":1},\"default_project_id\":2}", 0, 0 },
		/* json-c saturates these to INT64_MAX or keeps them as uint64. */
		{ "{\"stack_id\":9223372036854775808,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":18446744073709551615,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":99999999999999999999999,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":1,\"default_project_id\":-9223372036854775809}", 0, 0 },
		/* json-c keeps the last of duplicate keys: refuse them instead. */
		{ "{\"stack_id\":1,\"stack_id\":2,\"default_project_id\":3}", 0, 0 },
		{ "{\"stack_id\":1,\"default_project_id\":3,\"default_project_id\":3}", 0, 0 },
		{ "{\"stack_id\":1,\"stack\\u005fid\":2,\"default_project_id\":3}", 0, 0 },
		{ "{\"stack_id\":1,\"st\\u0061ck_id\":\"x\",\"default_project_id\":3}", 0, 0 },
		/* Keys json-c and a strict reading would see differently. */
		{ "{\"stack_id\":5,'stack_id':7,\"default_project_id\":8}", 0, 0 },
		{ "{'stack_id':5,\"default_project_id\":8}", 0, 0 },
		{ "{\"stack_id\":5,\"default_project_id\":8,\"x\":'y'}", 0, 0 },
		{ "{\"stack_id\":7,\"stack_id\\u0000x\":9,\"default_project_id\":8}", 0, 0 },
		{ "{\"s\\tack_id\":5,\"stack_id\\u0000\":7,\"default_project_id\":8}", 0, 0 },
		{ "{\"stack_id\":5,\"default_project_id\":8,\"a\":1,\"a\":2}", 0, 0 },
		/* Numbers json-c takes and JSON does not, even in other members. */
		{ "{\"stack_id\":5,\"default_project_id\":8,\"x\":NaN}", 0, 0 },
		{ "{\"stack_id\":5,\"default_project_id\":8,\"x\":Infinity}", 0, 0 },
		{ "{\"stack_id\":5,\"default_project_id\":8,\"x\":-Infinity}", 0, 0 },
		{ "{\"stack_id\":5,\"default_project_id\":8,\"x\":1.}", 0, 0 },
		{ "{\"stack_id\":5,\"default_project_id\":8,\"x\":[1.,2]}", 0, 0 },
		{ "{\"stack_id\":5,\"default_project_id\":8,\"x\":nan}", 0, 0 },
		/* Trailing bytes, comments and other leniencies. */
		{ "{\"stack_id\":1,\"default_project_id\":2}x", 0, 0 },
		{ "{\"stack_id\":1,\"default_project_id\":2}{}", 0, 0 },
		{ "{\"stack_id\":1,\"default_project_id\":2,}", 0, 0 },
		{ "{'stack_id':1,'default_project_id':2}", 0, 0 },
		{ "{stack_id:1,default_project_id:2}", 0, 0 },
		{ "{\"stack_id\":01,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":0x10,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":1,/*c*/\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":NaN,\"default_project_id\":2}", 0, 0 },
		{ "{\"stack_id\":1,\"default_project_id\":2,\"n\":\"\xff\xfe\"}", 0, 0 },
		{ "{\"stack_id\":1,\"default_project_id\":2,\"n\":\"\xc3\"}", 0, 0 },
	};

	(void)state;
	run(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_reasons(void **state)
{
	static const struct {
		const char *body;
		const char *why;
	} cases[] = {
		{ "", "empty body" },
		{ "12345", "body is not a JSON object" },
		{ "null", "body is not a JSON object" },
		{ "true", "body is not a JSON object" },
		{ "\"s\"", "body is not a JSON object" },
		{ "[]", "body is not a JSON object" },
		{ "12345x", "body is not valid JSON" },
		{ "\"s", "body is not valid JSON" },
		{ "{", "body is not valid JSON" },
		{ "{} {}", "body is not valid JSON" },
		{ "{\"stack_id\":1}", "default_project_id missing" },
		{ "{\"stack_id\":1,\"stack_id\":1,\"default_project_id\":2}",
		  "stack_id given more than once" },
		{ "{\"stack_id\":\"1\",\"default_project_id\":2}", "stack_id is not an integer" },
		{ "{\"stack_id\":1,\"default_project_id\":0}",
		  "default_project_id is not a positive 64-bit integer" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct k6_auth_result r;
		const char *why = NULL;

		assert_int_equal(
			k6_auth_response_parse(cases[i].body, strlen(cases[i].body), &r, &why),
			K6_UNAVAILABLE);
		if (why == NULL || strcmp(why, cases[i].why) != 0)
			fail_msg("%s: reason \"%s\", want \"%s\"", cases[i].body,
				 why != NULL ? why : "(none)", cases[i].why);
	}
}

static void test_embedded_nul(void **state)
{
	static const char body[] = "{\"stack_id\":1,\"default_project_id\":2}\0trailing";
	struct k6_auth_result r;
	const char *why = NULL;

	(void)state;
	assert_int_equal(k6_auth_response_parse(body, sizeof(body) - 1, &r, &why), K6_UNAVAILABLE);
	/* Not NUL-terminated: the parser must stay inside len. */
	assert_int_equal(k6_auth_response_parse(body, 37, &r, &why), K6_OK);
	assert_int_equal(r.stack_id, 1);
}

static void test_deep_nesting(void **state)
{
	size_t n = 100000;
	char *body = malloc(2 * n + 1);
	struct k6_auth_result r;
	const char *why = NULL;

	(void)state;
	assert_non_null(body);
	memset(body, '[', n);
	memset(body + n, ']', n);
	body[2 * n] = '\0';
	/* Longer than the cap as a whole. */
	assert_int_equal(k6_auth_response_parse(body, 2 * n, &r, &why), K6_UNAVAILABLE);
	/* Within the cap, still refused by the depth limit. */
	assert_int_equal(k6_auth_response_parse(body + n - 1000, 2000, &r, &why), K6_UNAVAILABLE);
	free(body);
}

static void test_size_cap(void **state)
{
	size_t n = K6_BODY_MAX + 1;
	char *body = malloc(n + 1);
	static const char head[] = "{\"stack_id\":1,\"default_project_id\":2,\"pad\":\"";
	struct k6_auth_result r;
	const char *why = NULL;

	(void)state;
	assert_non_null(body);
	memcpy(body, head, sizeof(head) - 1);
	memset(body + sizeof(head) - 1, 'a', n - sizeof(head) - 1);
	memcpy(body + n - 2, "\"}", 3);
	assert_int_equal(strlen(body), n);
	assert_int_equal(k6_auth_response_parse(body, n, &r, &why), K6_UNAVAILABLE);
	assert_string_equal(why, "body too large");
	/* One byte less of padding fits. */
	memcpy(body + n - 3, "\"}", 3);
	assert_int_equal(k6_auth_response_parse(body, n - 1, &r, &why), K6_OK);
	free(body);
}

static const char *describe(const char *body)
{
	static char out[128];

	k6_error_response_describe(body, body != NULL ? strlen(body) : 0, out, sizeof(out));
	return out;
}

static void test_error_description(void **state)
{
	(void)state;
	assert_string_equal(
		describe("{\"error\":{\"code\":\"error\",\"message\":\"Invalid token\"}}"),
		"error: Invalid token");
	assert_string_equal(describe("{\"error\":{\"code\":\"x\",\"message\":\"a\\r\\nforged line "
				     "\\\"q\\\"\"}}"),
			    "x: a\\x0d\\x0aforged line \\x22q\\x22");
	assert_string_equal(describe("{\"error\":{\"message\":\"only\"}}"), "only");
	assert_string_equal(describe("{\"error\":{\"code\":\"c\",\"details\":null}}"), "c");
	assert_string_equal(describe("<html>502</html>"), "");
	assert_string_equal(describe("{\"error\":\"flat\"}"), "");
	assert_string_equal(describe(NULL), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_size_cap),
		cmocka_unit_test(test_error_description),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
