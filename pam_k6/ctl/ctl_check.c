/* SPDX-License-Identifier: MIT */
/*
 * pam_k6ctl check: the configuration as the module would read it, for the
 * given module arguments or for each pam_k6 line of a pam.d service.
 */
#include "config.h"

#include <security/_pam_types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/cache.h"
#include "core/options.h"
#include "core/pamd.h"
#include "core/safe_file.h"
#include "core/tokens.h"
#include "core/users.h"
#include "ctl/commands.h"
#include "ctl/ctl.h"
#include "net/trust.h"

/*
 * The module as installed, fixed when pam_k6ctl was built: no option or
 * variable can name another file the installed one (tests/intree builds a
 * pam_k6ctl of its own that knows the build tree's module, owned by whoever
 * built it).
 */
#ifndef K6_INSTALLED_MODULE
#error "K6_INSTALLED_MODULE names the installed pam_k6.so"
#endif
#ifndef K6_MODULE_OWNER
#define K6_MODULE_OWNER 0
#endif

/* Larger than any pam_k6.so: the size rule does not bind. */
#define MODULE_MAX ((size_t)256 * 1024 * 1024)

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

/* What a module file is: where it is, once its folders passed, and which file. */
struct module_file {
	char *path;     /* through the folders checked, without links */
	bool missing;   /* nothing of that name in that folder */
	struct stat st; /* when not missing */
};

/*
 * The module file at path, found as the module finds its parts: every
 * folder from / down root's alone (or sticky), and the file root's, not a
 * link, writable by no one else.  false with why when it is not so, to
 * follow the file's name (" is a symbolic link", ": the folder ...").
 */
static bool find_module(const char *path, struct module_file *m, char *why, size_t len)
{
	static const struct k6_file_rules rules = { K6_MODULE_OWNER, S_IWGRP | S_IWOTH,
						    S_IWGRP | S_IWOTH, MODULE_MAX };
	enum k6_file_verdict v;

	memset(m, 0, sizeof(*m));
	v = k6_find_trusted_file(path, &rules, &m->st, &m->path, why, len);
	m->missing = v == K6_FILE_MISSING;
	return v == K6_FILE_OK || m->missing;
}

/*
 * The file a pam_k6 line loads, named.  It must be the module installed
 * with this pam_k6ctl: a pam.d line that loads a pam_k6.so its user may
 * write runs that user's code as root, and one that loads another copy is
 * not what check reads it as.  EXIT_CONFIG when it is neither, said.
 */
static int check_module_file(const struct k6_handler *h)
{
	struct module_file line;
	struct module_file installed;
	char why[500];
	char iwhy[500];
	bool found = find_module(h->module_path, &line, why, sizeof(why));
	bool known = find_module(K6_INSTALLED_MODULE, &installed, iwhy, sizeof(iwhy));
	int rc = EXIT_ACCEPTED;

	if (!found) {
		fprintf(stderr,
			"pam_k6ctl: error: %s:%u: the module %s%s; only a module of root's, in "
			"folders only root may change, may be loaded\n",
			h->file, h->line, h->module_path, why);
		rc = EXIT_CONFIG;
	} else if (!known || installed.missing ||
		   (line.missing ? strcmp(line.path, installed.path) != 0 :
				   line.st.st_dev != installed.st.st_dev ||
					   line.st.st_ino != installed.st.st_ino)) {
		fprintf(stderr,
			"pam_k6ctl: error: %s:%u: the module %s%s is not the installed one "
			"(%s%s)\n",
			h->file, h->line, h->module_path,
			line.missing ? ", which is not there," : "", K6_INSTALLED_MODULE,
			!known            ? ", which cannot be trusted" :
			installed.missing ? ", which is not there" :
					    "");
		rc = EXIT_CONFIG;
	}
	printf("  %-17s %s%s\n", "module", h->module_path,
	       rc != EXIT_ACCEPTED ? ": refused" :
	       line.missing        ? ": the installed one, not there: the line fails" :
				     ": the installed one");
	free(line.path);
	free(installed.path);
	return rc;
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
		rc = check_module_file(h);
		if (rc > worst)
			worst = rc;
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
	/*
	 * A stack without pam_k6 (one rolled back, su) is proven all the same;
	 * one read only in part (a bound hit) is not proven at all.
	 */
	if (lines == 0 && !p.unread)
		printf("note: no auth line names %s: only the stack is proven\n", MODULE_FILE);
	rc = p.unread ? EXIT_CONFIG : prove_stack(&p, c);
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
