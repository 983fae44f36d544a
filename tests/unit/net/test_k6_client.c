/* SPDX-License-Identifier: MIT */
/*
 * The client: the second try on the system trust store keeps within the
 * time limit, and its own guards hold behind the checks of the options
 * (options filled by hand reach k6_client_validate as no setter would let
 * them).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/k6_client.h"

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

#define TOKEN "k6client0123456789abcdef01234567"

struct log_lines {
	char text[4096];
};

static void keep_line(void *ctx, int priority, const char *line)
{
	struct log_lines *l = ctx;
	size_t used = strlen(l->text);

	(void)priority;
	snprintf(l->text + used, sizeof(l->text) - used, "%s\n", line);
}

/* A plain TCP listener on loopback that never accepts by itself. */
static int listen_loopback(int *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* No 8-byte piece of the token in text. */
static void assert_no_token_piece(const char *text)
{
	char piece[9];
	size_t i;

	for (i = 0; i + 8 <= strlen(TOKEN); i++) {
		memcpy(piece, &TOKEN[i], 8);
		piece[8] = '\0';
		if (strstr(text, piece) != NULL)
			fail_msg("a piece of the token (%s) is in \"%s\"", piece, text);
	}
}

/*
 * An http:// API URL, which the option's setter refuses, is refused again
 * by the client's protocol list before anything is sent: the listener
 * never sees a connection, so the token never travels in clear.
 */
static void test_plain_http_is_never_sent(void **state)
{
	struct log_lines logged = { "" };
	struct k6_options o;
	struct k6_outcome out;
	char url[64];
	int port;
	int listener = listen_loopback(&port);
	int conn;

	(void)state;
	assert_int_equal(k6_options_init(&o), K6_OK);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	free(o.api_url);
	o.api_url = strdup(url);
	assert_non_null(o.api_url);
	o.timeout_ms = 2000;
	o.connect_timeout_ms = 1000;
	o.debug = true;

	k6_client_validate(&o, "https://alpha.grafana.net", TOKEN, &out, keep_line, &logged);
	/* Nothing connected, let alone sent the token. */
	conn = accept(listener, NULL, NULL);
	if (conn >= 0)
		close(conn);
	assert_int_equal(conn, -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	if (out.status != K6_UNAVAILABLE && out.status != K6_CONFIG)
		fail_msg("status %d: %s", out.status, out.reason);
	if (strstr(out.reason, "curl error 1:") == NULL)
		fail_msg("reason \"%s\" is not curl's unsupported protocol", out.reason);
	assert_false(out.unreachable); /* no offline grace for a refused URL */
	assert_int_equal(out.http_status, 0);
	assert_no_token_piece(out.reason);
	assert_no_token_piece(logged.text);
	close(listener);
	k6_options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_limits),
		cmocka_unit_test(test_plain_http_is_never_sent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
