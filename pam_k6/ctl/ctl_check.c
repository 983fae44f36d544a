/* SPDX-License-Identifier: MIT */
/*
 * pam_k6ctl check: the configuration as the module would read it, for the
 * given module arguments or for each pam_k6 line of a pam.d service.
 */
#include "config.h"

#include <security/_pam_types.h>
#include <stdio.h>

#include "core/cache.h"
#include "core/options.h"
#include "core/pamd.h"
#include "core/tokens.h"
#include "core/users.h"
#include "ctl/commands.h"
#include "ctl/ctl.h"
#include "net/trust.h"

struct table {
	const struct k6_options *o;
};

static void print_option(void *ctx, const char *key, const char *value, enum k6_origin origin,
			 unsigned line)
{
	const struct table *t = ctx;
	char from[300];

	switch (origin) {
	case K6_FROM_FILE:
		snprintf(from, sizeof(from), "%s:%u", t->o->conf_read, line);
		break;
	case K6_FROM_ARGUMENT:
		snprintf(from, sizeof(from), "argument");
		break;
	case K6_FROM_DEFAULT:
	default:
		snprintf(from, sizeof(from), "default");
		break;
	}
	printf("  %-17s %-40s %s\n", key, value, from);
}

/*
 * The lines the module keeps but never hashes against (tokens.h): no token
 * can match them.  Each is named, and counted in *unmatchable.
 */
static void check_tokens(const struct k6_options *o, const struct k6_tokens *t, int *unmatchable)
{
	char problem[600];
	size_t i;

	printf("  %-17s %s: %zu line%s for %zu account%s\n", "tokens file", o->tokens, t->n,
	       t->n == 1 ? "" : "s", k6_tokens_accounts(t), k6_tokens_accounts(t) == 1 ? "" : "s");
	for (i = 0; i < t->n; i++) {
		if (t->lines[i].unusable == NULL)
			continue;
		snprintf(problem, sizeof(problem), "%s:%u: %s; the module skips the line",
			 o->tokens, t->lines[i].line, t->lines[i].unusable);
		print_problem(unmatchable, problem);
	}
}

/* What would make every login fail, or degrade it, beyond the options themselves. */
static void check_environment(const struct k6_options *o, const struct k6_users *users,
			      const struct k6_tokens *tokens, int *problems, int *unmatchable)
{
	char what[600];
	struct k6_cache cache;

	if (k6_trust_check(o, what, sizeof(what)) == K6_OK) {
		printf("  %-17s %s\n", "trust store", what);
	} else {
		printf("  %-17s unusable\n", "trust store");
		print_problem(problems, what);
	}
	if (o->users != NULL)
		printf("  %-17s %s: %zu line%s\n", "users file", o->users, users->n,
		       users->n == 1 ? "" : "s");
	if (o->tokens != NULL)
		check_tokens(o, tokens, unmatchable);
	if (o->cache_ttl == 0 && o->offline_ttl == 0) {
		printf("  %-17s off\n", "cache");
		return;
	}
	k6_cache_open(&cache, o->cache_dir);
	if (cache.why == NULL) {
		printf("  %-17s %s: usable\n", "cache", o->cache_dir);
	} else {
		printf("  %-17s %s: %s\n", "cache", o->cache_dir, cache.why);
		fprintf(stderr,
			"pam_k6ctl: warning: cache %s: %s; logins would be validated online\n",
			o->cache_dir, cache.why);
	}
	k6_cache_close(&cache);
}

static int check_one(const struct args *a)
{
	struct k6_options o;
	struct k6_users users;
	struct k6_tokens tokens;
	struct table t = { &o };
	int problems = 0;
	int unmatchable = 0;
	enum k6_status st = read_options(&o, &users, &tokens, a, &problems);

	if (st == K6_NOMEM) {
		fprintf(stderr, "pam_k6ctl: out of memory\n");
		return EXIT_OTHER;
	}
	if (st == K6_OK) {
		printf("  %-17s %-40s %s\n", "option", "value", "from");
		k6_options_each(&o, print_option, &t);
		check_environment(&o, &users, &tokens, &problems, &unmatchable);
	}
	k6_tokens_free(&tokens);
	k6_users_free(&users);
	k6_options_free(&o);
	if (problems > 0 || st != K6_OK) {
		printf("refused: the module would return PAM_SERVICE_ERR\n");
		return EXIT_CONFIG;
	}
	if (unmatchable > 0) {
		printf("refused: the module would run, but no token can match %d line%s of the "
		       "tokens file\n",
		       unmatchable, unmatchable == 1 ? "" : "s");
		return EXIT_CONFIG;
	}
	printf("accepted\n");
	return EXIT_ACCEPTED;
}

/*
 * pam_k6's session line only logs how the login was authenticated, and
 * answers PAM_IGNORE: a control that lets that, or a module that is not
 * installed (PAM_MODULE_UNKNOWN), or any failure, fail the session
 * (required, requisite, a bracket with "bad") would let a log line decide
 * who gets a session.
 */
static int check_session_line(const struct k6_handler *h)
{
	static const int first[] = { PAM_MODULE_UNKNOWN, PAM_IGNORE };
	int code = -1;
	size_t i;

	for (i = 0; i < sizeof(first) / sizeof(first[0]) && code < 0; i++)
		if (h->actions[first[i]] != K6_ACT_IGNORE)
			code = first[i];
	for (i = 1; i < K6_PAM_CODES && code < 0; i++)
		if ((int)i != PAM_NEW_AUTHTOK_REQD && h->actions[i] != K6_ACT_IGNORE)
			code = (int)i;
	if (code >= 0) {
		fprintf(stderr,
			"pam_k6ctl: error: %s:%u: %s from pam_k6's session line would end the "
			"session; make it \"session optional pam_k6.so\"\n",
			h->file, h->line, k6_pam_code_token(code));
		return EXIT_CONFIG;
	}
	printf("  session line: logs how each session's login was authenticated\n");
	return EXIT_ACCEPTED;
}

static int check_service(const struct common *c)
{
	struct k6_pamd p;
	int worst = read_service(&c->svc, &p, stdout);
	size_t lines = 0;
	size_t i;
	int rc;

	for (i = 0; i < p.n; i++) {
		const struct k6_handler *h = &p.h[i];
		struct args a = { h->argc, (const char **)h->argv };

		if (!is_k6_line(h))
			continue;
		printf("\n%s:%u: %s\n", h->file, h->line, h->text);
		if (h->type == K6_PAM_SESSION) {
			rc = check_session_line(h);
			if (rc > worst)
				worst = rc;
			continue;
		}
		if (h->type != K6_PAM_AUTH) {
			fprintf(stderr,
				"pam_k6ctl: error: %s:%u: pam_k6 has no %s function; the line "
				"fails\n",
				h->file, h->line, k6_pam_type_name(h->type));
			worst = EXIT_CONFIG;
			continue;
		}
		lines++;
		rc = check_one(&a);
		if (rc > worst)
			worst = rc;
	}
	if (lines == 0 && first_k6_line(&p, &c->svc) == NULL)
		worst = EXIT_CONFIG;
	rc = prove_stack(&p, c);
	if (rc > worst)
		worst = rc;
	printf("%s %s: %s\n", c->svc.file != NULL ? "file" : "service",
	       c->svc.file != NULL ? c->svc.file : service_name(&c->svc),
	       worst == EXIT_ACCEPTED ? "accepted" : "refused");
	k6_pamd_free(&p);
	return worst;
}

int cmd_check(int argc, char **argv)
{
	struct common c;
	int rc = parse_common(argc, argv, &c, false);

	if (rc >= 0)
		return rc;
	if (c.svc.name != NULL || c.svc.file != NULL)
		return check_service(&c);
	print_args("module arguments:", &c.args);
	return check_one(&c.args);
}
