/* SPDX-License-Identifier: MIT */
/* Stack and API URL normalisation: k6's rule, with k6's bugs fixed. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/stack_url.h"

struct url_case {
	const char *in;
	const char *want; /* NULL: must be refused */
};

static void run(const struct url_case *cases, size_t n,
		enum k6_status (*fn)(const char *, char **, const char **))
{
	size_t i;

	for (i = 0; i < n; i++) {
		char *out = (char *)"untouched";
		const char *why = NULL;
		enum k6_status st = fn(cases[i].in, &out, &why);

		if (cases[i].want != NULL) {
			if (st != K6_OK)
				fail_msg("\"%s\": refused (%s), want \"%s\"", cases[i].in,
					 why != NULL ? why : "?", cases[i].want);
			if (strcmp(out, cases[i].want) != 0)
				fail_msg("\"%s\": got \"%s\", want \"%s\"", cases[i].in, out,
					 cases[i].want);
			free(out);
		} else {
			if (st != K6_CONFIG)
				fail_msg("\"%s\": accepted as \"%s\", want refusal", cases[i].in,
					 st == K6_OK ? out : "?");
			assert_null(out);
			assert_non_null(why);
		}
	}
}

static void test_stack_url(void **state)
{
	static const struct url_case cases[] = {
		/* The forms the issue names, all one stack. */
		{ "alpha", "https://alpha.grafana.net" },
		{ "alpha.grafana.net", "https://alpha.grafana.net" },
		{ "alpha.grafana.net/", "https://alpha.grafana.net" },
		{ "alpha.grafana.net///", "https://alpha.grafana.net" },
		{ "https://alpha.grafana.net", "https://alpha.grafana.net" },
		{ "https://alpha.grafana.net/", "https://alpha.grafana.net" },
		{ "https://alpha.grafana.net///", "https://alpha.grafana.net" },
		{ "https://alpha.grafana.net/x/y?z", "https://alpha.grafana.net" },
		{ "https://alpha.grafana.net?z", "https://alpha.grafana.net" },
		{ "https://alpha.grafana.net#frag", "https://alpha.grafana.net" },
		{ "HTTPS://Alpha.Grafana.NET", "https://alpha.grafana.net" },
		{ "ALPHA", "https://alpha.grafana.net" },
		{ "https://alpha.grafana.net:443", "https://alpha.grafana.net" },
		{ "https://alpha.grafana.net:443/", "https://alpha.grafana.net" },
		{ "https://user:pass@alpha.grafana.net/", "https://alpha.grafana.net" },
		/* Not every stack lives on grafana.net (k6 appends it anyway). */
		{ "grafana.example.com", "https://grafana.example.com" },
		{ "alpha.grafana.net/?next=https://x", "https://alpha.grafana.net" },
		{ "alpha/x://y", "https://alpha.grafana.net" },
		{ "grafana.example.com/", "https://grafana.example.com" },
		{ "https://grafana.example.com", "https://grafana.example.com" },
		{ "grafana.example.com:8443", "https://grafana.example.com:8443" },
		{ "https://grafana.example.com:8443/x", "https://grafana.example.com:8443" },
		{ "http://grafana.internal", "http://grafana.internal" },
		{ "http://grafana.internal:80", "http://grafana.internal" },
		{ "http://grafana.internal:443", "http://grafana.internal:443" },
		{ "https://alpha", "https://alpha" },
		{ "my-team", "https://my-team.grafana.net" },
		{ "team42", "https://team42.grafana.net" },
		{ "https://[2001:DB8::1]:8443/", "https://[2001:db8::1]:8443" },
		{ "10.1.2.3", "https://10.1.2.3" },
		/* Refused: these would end up in a header and the environment. */
		{ "", NULL },
		{ "alpha beta", NULL },
		{ " alpha", NULL },
		{ "alpha\r\nX-Evil: 1", NULL },
		{ "alpha\n", NULL },
		{ "alpha\t", NULL },
		{ "alph\xc3\xa4", NULL },
		{ "ftp://alpha.grafana.net", NULL },
		{ "file:///etc/passwd", NULL },
		{ "://alpha", NULL },
		{ "https://", NULL },
		{ "https:///path", NULL },
		{ "https://-alpha.grafana.net", NULL },
		{ "https://alpha-.grafana.net", NULL },
		{ "https://alpha..grafana.net", NULL },
		{ "https://alpha.grafana.net.", NULL },
		{ ".grafana.net", NULL },
		{ "al_pha", NULL },
		{ "https://alpha.grafana.net:", NULL },
		{ "https://alpha.grafana.net:0", NULL },
		{ "https://alpha.grafana.net:65536", NULL },
		{ "https://alpha.grafana.net:123456", NULL },
		{ "https://alpha.grafana.net:12a", NULL },
		{ "https:/alpha.grafana.net", NULL },
		{ "https://[::1", NULL },
		{ "https://[zz::1]", NULL },
		{ "https://[::1]x", NULL },
		{ "https://user@", NULL },
	};

	(void)state;
	run(cases, sizeof(cases) / sizeof(cases[0]), k6_stack_url_normalise);
}

static void test_host_label_limits(void **state)
{
	char label[80];
	char host[512];
	char *out = NULL;
	const char *why = NULL;

	(void)state;
	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(host, sizeof(host), "https://%s.example.com", label);
	assert_int_equal(k6_stack_url_normalise(host, &out, &why), K6_OK);
	free(out);
	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(host, sizeof(host), "https://%s.example.com", label);
	assert_int_equal(k6_stack_url_normalise(host, &out, &why), K6_CONFIG);

	/* A 63-byte slug plus ".grafana.net" still fits. */
	memset(label, 'b', 63);
	label[63] = '\0';
	assert_int_equal(k6_stack_url_normalise(label, &out, &why), K6_OK);
	assert_int_equal(strlen(out), strlen("https://") + 63 + strlen(".grafana.net"));
	free(out);

	/* 254 bytes of host name is one too many. */
	snprintf(host, sizeof(host), "%s.%s.%s.%.61s", label, label, label, label);
	assert_int_equal(strlen(host), 253);
	assert_int_equal(k6_stack_url_normalise(host, &out, &why), K6_OK);
	free(out);
	snprintf(host, sizeof(host), "%s.%s.%s.%.62s", label, label, label, label);
	assert_int_equal(k6_stack_url_normalise(host, &out, &why), K6_CONFIG);
}

static void test_api_url(void **state)
{
	static const struct url_case cases[] = {
		{ "https://api.k6.io", "https://api.k6.io" },
		{ "https://api.k6.io/", "https://api.k6.io" },
		{ "HTTPS://API.K6.IO//", "https://api.k6.io" },
		{ "https://api.k6.io:443", "https://api.k6.io" },
		{ "https://127.0.0.1:8443", "https://127.0.0.1:8443" },
		{ "https://gw.example.com/k6/", "https://gw.example.com/k6" },
		{ "https://gw.example.com/K6/v", "https://gw.example.com/K6/v" },
		{ "https://[::1]:8443", "https://[::1]:8443" },
		{ "http://api.k6.io", NULL },
		{ "file:///etc/passwd", NULL },
		{ "api.k6.io", NULL },
		{ "https://user:pw@api.k6.io", NULL },
		{ "https://user@api.k6.io", NULL },
		{ "https://api.k6.io/?x=1", NULL },
		{ "https://api.k6.io/#x", NULL },
		{ "https://api.k6.io /", NULL },
		{ "https://api k6.io", NULL },
		{ "https://api.k6.io/a b", NULL },
		{ "https://api.k6.io/a\"b", NULL },
		{ "https://api.k6.io/a<b", NULL },
		{ "", NULL },
	};

	(void)state;
	run(cases, sizeof(cases) / sizeof(cases[0]), k6_api_url_normalise);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_url),
		cmocka_unit_test(test_host_label_limits),
		cmocka_unit_test(test_api_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
