/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the option setter.  The input is a list of items separated by '\n' or
 * '\0'; an empty item starts a new source, as a configuration file read after
 * the module arguments would.  Every item is applied, even after an error, so
 * that the state a refused item leaves behind is exercised too.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log_safe.h"
#include "core/options.h"
#include "core/stack_url.h"

/* What pam_k6.c gives the setter. */
#define ERR_LEN K6_REASON_MAX

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef enum k6_status (*normaliser)(const char *in, char **out, const char **why);

static void check_normalised(normaliser fn, const char *url)
{
	const char *why = NULL;
	char *again = NULL;

	if (fn(url, &again, &why) != K6_OK || strcmp(url, again) != 0)
		__builtin_trap();
	free(again);
}

/* What must hold whatever the items were, and whether they were accepted. */
static void check_state(const struct k6_options *o)
{
	if (o->api_url == NULL || o->prompt == NULL)
		__builtin_trap();
	check_normalised(k6_api_url_normalise, o->api_url);
	if (o->stack_url != NULL)
		check_normalised(k6_stack_url_normalise, o->stack_url);
	if (o->timeout_ms < 1 || o->timeout_ms > K6_MAX_TIMEOUT_MS)
		__builtin_trap();
	if (o->connect_timeout_ms < 1 || o->connect_timeout_ms > K6_MAX_TIMEOUT_MS)
		__builtin_trap();
	if (o->ip_resolve != K6_IP_ANY && o->ip_resolve != K6_IP_V4 && o->ip_resolve != K6_IP_V6)
		__builtin_trap();
}

/* Every problem the whole-set check reports must be fit for the log. */
static void check_problem(void *ctx, const char *problem)
{
	(void)ctx;
	check_log_safe(problem, strlen(problem) + 1, false);
}

static void check_status(enum k6_status st, const char *err)
{
	if (st == K6_CONFIG)
		check_log_safe(err, ERR_LEN, false);
	else if (st != K6_OK && st != K6_NOMEM)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	char *err = malloc(ERR_LEN);
	struct k6_options o;
	enum k6_status st;
	char *item;
	char *end;

	if (buf == NULL || err == NULL || k6_options_init(&o) != K6_OK)
		goto out;
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;

	k6_options_new_source(&o, K6_FROM_ARGUMENT);
	for (item = buf; item <= end; item += strlen(item) + 1) {
		char *nl;

		/* Cut the item at the first '\n'; an embedded NUL already ends it. */
		nl = strchr(item, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (item[0] == '\0') {
			k6_options_new_source(&o, K6_FROM_ARGUMENT);
			continue;
		}
		/* A reason that is not rewritten would show as a run of 'X'. */
		memset(err, 'X', ERR_LEN);
		st = k6_options_set(&o, item, err, ERR_LEN);
		check_status(st, err);
		check_state(&o);
	}

	st = k6_options_check(&o, check_problem, NULL);
	if (st != K6_OK && st != K6_CONFIG)
		__builtin_trap();
	/* A checked set names its stacks one way only, and one first-pass mode. */
	if (st == K6_OK &&
	    ((o.stack_url == NULL) == (o.users == NULL) || (o.users != NULL && o.stack_id != 0) ||
	     (o.try_first_pass && o.use_first_pass)))
		__builtin_trap();
	k6_options_free(&o);
out:
	free(buf);
	free(err);
	return 0;
}
