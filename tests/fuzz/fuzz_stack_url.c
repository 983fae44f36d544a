/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the stack and API URL normalisers.  Their output goes into an HTTP
 * header and a request URL and is compared by the server byte for byte, so
 * beyond memory safety the harness checks its shape, that normalising twice
 * changes nothing, and that the two normalisers agree on what they share.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ":port" as the normalisers write it: 1..65535, no leading zero, no default. */
static void check_port(const char *p, const char *end, bool https)
{
	unsigned long v = 0;
	const char *q;

	if (*p != ':' || end - p < 2 || end - p > 6 || p[1] == '0')
		__builtin_trap();
	for (q = p + 1; q < end; q++) {
		if (!is_digit(*q))
			__builtin_trap();
		v = v * 10 + (unsigned long)(*q - '0');
	}
	if (v > 65535 || v == (https ? 443UL : 80UL))
		__builtin_trap();
}

/*
 * "scheme://host[:port]" and, for the API URL only, a path: printable ASCII,
 * a lower-case host, no user, query, fragment or trailing slash.
 */
static void check_shape(const char *url, bool api)
{
	bool https = strncmp(url, "https://", 8) == 0;
	size_t len = strlen(url);
	const char *host;
	const char *host_end;
	const char *end;
	const char *p;

	if (!https && (api || strncmp(url, "http://", 7) != 0))
		__builtin_trap();
	for (p = url; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			__builtin_trap();
	if (strpbrk(url, "?#") != NULL || url[len - 1] == '/')
		__builtin_trap();
	host = url + (https ? 8 : 7);
	end = host + strcspn(host, "/");
	if (*end == '/' && !api)
		__builtin_trap();
	if (end == host || memchr(host, '@', (size_t)(end - host)) != NULL)
		__builtin_trap();
	if (*host == '[') {
		host_end = memchr(host, ']', (size_t)(end - host));
		if (host_end == NULL)
			__builtin_trap();
		host_end++;
	} else {
		host_end = memchr(host, ':', (size_t)(end - host));
		if (host_end == NULL)
			host_end = end;
		if (host_end == host)
			__builtin_trap();
	}
	for (p = host; p < host_end; p++)
		if (*p >= 'A' && *p <= 'Z')
			__builtin_trap();
	if (host_end != end)
		check_port(host_end, end, https);
}

typedef enum k6_status (*normaliser)(const char *in, char **out, const char **why);

/* One call, its contract, and the fixed point; returns the output or NULL. */
static char *normalise(normaliser fn, const char *in, bool api)
{
	static char unwritten;
	const char *why = NULL;
	char *out = &unwritten;
	char *again = NULL;
	enum k6_status st = fn(in, &out, &why);

	if (st == K6_CONFIG || st == K6_NOMEM) {
		if (out != NULL || (st == K6_CONFIG && (why == NULL || why[0] == '\0')))
			__builtin_trap();
		return NULL;
	}
	if (st != K6_OK || out == NULL)
		__builtin_trap();
	check_shape(out, api);
	if (fn(out, &again, &why) != K6_OK || strcmp(out, again) != 0)
		__builtin_trap();
	free(again);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = malloc(size + 1);
	char *stack;
	char *api;

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';

	stack = normalise(k6_stack_url_normalise, in, false);
	api = normalise(k6_api_url_normalise, in, true);
	/*
	 * What the API normaliser accepts is an https URL with a host, which the
	 * stack normaliser must read the same way, only without the path.
	 */
	if (api != NULL) {
		size_t n = stack != NULL ? strlen(stack) : 0;

		if (stack == NULL || strncmp(api, stack, n) != 0 ||
		    (api[n] != '\0' && api[n] != '/'))
			__builtin_trap();
	}
	free(stack);
	free(api);
	free(in);
	return 0;
}
