/* SPDX-License-Identifier: MIT */
/*
 * pam_k6ctl test: read a token and run for USER what the module runs, step
 * by step, with the module's own verdict and exit status.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "base/log_escape.h"
#include "base/secret.h"
#include "core/k6_env.h"
#include "core/login.h"
#include "core/pam_code.h"
#include "core/pamd.h"
#include "ctl/commands.h"
#include "ctl/ctl.h"

static void print_answer(const struct k6_login *l, enum k6_status st)
{
	const struct k6_outcome *out = &l->outcome;

	switch (l->served) {
	case K6_SERVED_CACHE:
		printf("  %-12s the cache, made %lds ago (cache_ttl=%ld): no request\n", "answer",
		       l->age, l->opts->cache_ttl);
		return;
	case K6_SERVED_OFFLINE:
		printf("  %-12s the offline cache, made %lds ago: the API could not be reached\n",
		       "answer", l->age);
		return;
	case K6_SERVED_ONLINE:
		break;
	}
	if (out->http_status != 0)
		printf("  %-12s the API: HTTP %ld in %.3fs\n", "answer", out->http_status,
		       out->seconds);
	else if (st == K6_UNAVAILABLE || st == K6_CONFIG || st == K6_NOMEM)
		printf("  %-12s none: the request failed after %.3fs\n", "answer", out->seconds);
}

static void print_exports(const struct k6_login *l, const char *token)
{
	struct k6_env env;
	size_t i;

	if (k6_env_build(&env, l->opts, l->target.stack_url, token, &l->outcome.result) != K6_OK) {
		printf("  %-12s out of memory\n", "export");
		return;
	}
	for (i = 0; i < env.n; i++) {
		if (strncmp(env.vars[i], "K6_CLOUD_TOKEN=", 15) == 0)
			printf("  %-12s K6_CLOUD_TOKEN=(the token; not shown)\n", "export");
		else
			printf("  %-12s %s\n", "export", env.vars[i]);
	}
	k6_env_clear(&env);
}

/* Whether the token is one the tokens file holds for the account, and which. */
static void print_enrolled(const struct k6_login *l)
{
	const struct k6_token_line *e = l->enrolled;
	char comment[300];

	if (e == NULL) {
		printf("  %-12s no: %s\n", "enrolled", l->reason);
		return;
	}
	k6_escape_str(comment, sizeof(comment), e->comment, false);
	printf("  %-12s %s line %u%s%s%s\n", "enrolled", l->opts->tokens, e->line,
	       comment[0] != '\0' ? " (" : "", comment, comment[0] != '\0' ? ")" : "");
}

/* Run the login and print its steps; the PAM code the module would return. */
static int run_test(struct k6_login *l, const char *user, enum k6_status user_st, const char *token)
{
	enum k6_status st = user_st;
	char who[300];
	char shown[200];
	char line[4096];

	k6_escape_str(shown, sizeof(shown), user, false);
	if (user_st == K6_OK) {
		char from[64] = "";

		if (l->target.users_line != 0)
			snprintf(from, sizeof(from), " (users file line %u)", l->target.users_line);
		printf("  %-12s %s may use a token on %s%s\n", "account", shown,
		       l->target.stack_url, from);
		if (l->target.stack_id != 0)
			printf("  %-12s stack_id %" PRId64 "\n", "pinned", l->target.stack_id);
		st = k6_login_token(l, token);
		printf("  %-12s %s\n", "screening",
		       st == K6_BAD_INPUT ? l->reason : "looks like a token");
		if (st != K6_BAD_INPUT && l->opts->tokens != NULL)
			print_enrolled(l);
		if (st != K6_BAD_INPUT && (l->opts->tokens == NULL || l->enrolled != NULL))
			print_answer(l, st);
	} else {
		printf("  %-12s %s: %s\n", "account", shown, l->reason);
	}
	printf("  %-12s %s (%s)%s%s\n", "result", k6_pam_code_name(k6_pam_code(st)),
	       k6_status_label(st), l->reason[0] != '\0' && st != K6_BAD_INPUT ? ": " : "",
	       st != K6_BAD_INPUT ? l->reason : "");
	if (st == K6_OK)
		print_exports(l, token);
	snprintf(who, sizeof(who), "user=%s", shown);
	k6_login_describe(l, st, who, l->reason, line, sizeof(line));
	syslog(k6_login_priority(l, st), "test: %s", line);
	return k6_pam_code(st);
}

static int test_one(const char *user, const struct args *a, enum k6_cache_use cache_use)
{
	struct k6_options o;
	struct k6_users users;
	struct k6_tokens tokens;
	struct k6_login l;
	struct log_to to = { &o, "test" };
	int problems = 0;
	char *token = NULL;
	enum k6_status user_st;
	int code;
	enum k6_status st = read_options(&o, &users, &tokens, a, &problems);

	if (st != K6_OK) {
		printf("  %-12s %s\n", "result",
		       st == K6_NOMEM ? "PAM_BUF_ERR (out of memory)" :
					"PAM_SERVICE_ERR (configuration error)");
		k6_tokens_free(&tokens);
		k6_users_free(&users);
		k6_options_free(&o);
		return st == K6_NOMEM ? EXIT_OTHER : EXIT_CONFIG;
	}
	openlog("pam_k6ctl", LOG_PID, LOG_AUTHPRIV);
	k6_login_init(&l, &o, &users, &tokens, command_log, &to);
	l.cache_use = cache_use;
	/* As the module: decide about the account, then ask, then say. */
	user_st = k6_login_account(&l, user);
	token = read_token(o.prompt);
	if (token == NULL) {
		fprintf(stderr, "pam_k6ctl: no token on standard input\n");
		code = -1;
	} else {
		code = run_test(&l, user, user_st, token);
	}
	k6_free_secret(token);
	k6_login_free(&l);
	k6_tokens_free(&tokens);
	k6_users_free(&users);
	k6_options_free(&o);
	closelog();
	return code < 0 ? EXIT_CONFIG : exit_for(code);
}

int cmd_test(int argc, char **argv)
{
	struct common c;
	const char *user;
	struct k6_pamd p;
	const struct k6_handler *h;
	int rc;

	if (argc < 2 || argv[1][0] == '-')
		return usage_error("%s", "test needs a user name first: pam_k6ctl test USER ...");
	user = argv[1];
	rc = parse_common(argc - 1, argv + 1, &c, true);
	if (rc >= 0)
		return rc;
	if (c.svc.name == NULL && c.svc.file == NULL) {
		print_args("module arguments:", &c.args);
		return test_one(user, &c.args, c.cache_use);
	}
	rc = read_service(&c.svc, &p, stdout);
	if (rc == EXIT_ACCEPTED) {
		rc = walk_for_user(&p, &c, user, &h);
		if (rc < 0) {
			struct args a = { h->argc, (const char **)h->argv };

			printf("%s:%u: %s\n", h->file, h->line, h->text);
			rc = test_one(user, &a, c.cache_use);
		}
	}
	k6_pamd_free(&p);
	return rc;
}
