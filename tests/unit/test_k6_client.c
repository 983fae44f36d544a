/* SPDX-License-Identifier: MIT */
/* The second try on the system trust store keeps within the time limit. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "k6_client.h"

static void test_retry_limits(void **state)
{
	static const struct {
		long timeout, connect, spent;
		bool retry;
		long retry_timeout, retry_connect;
	} cases[] = {
		{ 4000, 2000, 0, true, 4000, 2000 },
		{ 4000, 2000, 1000, true, 3000, 2000 },
		{ 4000, 2000, 2000, true, 2000, 2000 },
		/* The connect limit never outlasts what is left. */
		{ 4000, 2000, 3000, true, 1000, 1000 },
		{ 4000, 2000, 4000 - K6_RETRY_MIN_MS, true, K6_RETRY_MIN_MS, K6_RETRY_MIN_MS },
		/* Too little left: libcurl would take 0 for no limit at all. */
		{ 4000, 2000, 4000 - K6_RETRY_MIN_MS + 1, false, 0, 0 },
		{ 4000, 2000, 4000, false, 0, 0 },
		{ 4000, 2000, 9000, false, 0, 0 },
		{ 60000, 60000, 59000, true, 1000, 1000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long t = 0;
		long c = 0;
		bool retry = k6_client_retry_limits(cases[i].timeout, cases[i].connect,
						    cases[i].spent, &t, &c);

		assert_int_equal(retry, cases[i].retry);
		assert_int_equal(t, cases[i].retry_timeout);
		assert_int_equal(c, cases[i].retry_connect);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
