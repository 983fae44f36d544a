/* SPDX-License-Identifier: MIT */
/*
 * What pam_k6ctl says of an auth stack: one row per kind of way libpam can
 * take through it, who decided, and whether a secret did; then what
 * opens without a secret (errors), and what kind of login never passes
 * (warnings).  The proof itself is the library's (core/stack_check.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/modules.h"
#include "core/pam_code.h"
#include "core/stack.h"
#include "core/stack_account.h"
#include "core/stack_check.h"
#include "ctl/ctl.h"

/* A file of the pam.d folder by its name alone; any other by its path. */
static const char *short_file(const char *file, const char *dir)
{
	size_t len = strlen(dir);

	if (strncmp(file, dir, len) == 0 && file[len] == '/' && strchr(file + len + 1, '/') == NULL)
		return file + len + 1;
	return file;
}

static void print_rows(const struct k6_pamd *p, const struct k6_stack_report *r,
		       const struct common *c)
{
	size_t i;

	printf("\nthe auth stack, every way libpam can take through it (%ld way%s", r->ways,
	       r->ways == 1 ? "" : "s");
	if (r->unusual > 0)
		printf(", %ld of them where a module failed on its own: not shown", r->unusual);
	printf("):\n");
	printf("  %-3s %-21s %-6s %-36s %s\n", "way", "result", "secret", "decided by", "when");
	for (i = 0; i < r->nrows; i++) {
		const struct k6_way_row *row = &r->rows[i];
		char decided[400] = "(nothing ran)";

		if (row->decided_by != K6_NO_HANDLER) {
			const struct k6_handler *h = &p->h[row->decided_by];

			snprintf(decided, sizeof(decided), "%s:%u %s",
				 short_file(h->file, c->svc.dir), h->line,
				 h->module != NULL ? k6_handler_basename(h) : "(broken line)");
		}
		printf("  %-3zu %-21s %-6s %-36s %s\n", i + 1, k6_pam_code_name(row->result),
		       row->rootok ? "root" :
		       row->secret ? "yes" :
				     "no",
		       decided, row->answers);
	}
}

int prove_stack(const struct k6_pamd *p, const struct common *c)
{
	struct k6_stack_check_options o;
	struct k6_stack_report r;
	size_t errors;
	size_t i;

	memset(&o, 0, sizeof(o));
	o.service = service_name(&c->svc);
	o.declared.names = c->secret;
	o.declared.n = c->nsecret;
	if (k6_stack_check(p, &o, &r) != K6_OK) {
		fprintf(stderr, "pam_k6ctl: out of memory\n");
		return EXIT_OTHER;
	}
	print_rows(p, &r, c);
	if (r.unusual > 0 && r.unusual_success == 0)
		printf("  (none of the %ld ways where a module failed on its own ends in "
		       "PAM_SUCCESS)\n",
		       r.unusual);
	for (i = 0; i < r.nfindings; i++) {
		const struct k6_finding *f = &r.findings[i];

		if (f->level == K6_FINDING_NOTE)
			printf("note: %s\n", f->text);
		else
			fprintf(stderr, "pam_k6ctl: %s: %s\n",
				f->level == K6_FINDING_ERROR ? "error" : "warning", f->text);
	}
	errors = r.errors;
	if (errors == 0)
		printf("no way ends in PAM_SUCCESS unless a module that checks a secret "
		       "succeeded on it\n");
	k6_stack_report_free(&r);
	return errors > 0 ? EXIT_CONFIG : EXIT_ACCEPTED;
}

/* --- the stack for one account (test) ------------------------------------- */

struct for_user {
	const struct k6_account *a;
	const struct k6_pamd *p;
	size_t reached;          /* the first pam_k6 auth handler a way reached, or K6_NO_HANDLER */
	size_t ways;             /* ways walked */
	size_t first_k6;         /* the first pam_k6 auth handler of the stack */
	struct k6_step sent[64]; /* the first way's steps, to say what sent the account past */
	size_t nsent;
};

static size_t user_returns(void *ctx, const struct k6_pamd *p, size_t at,
			   const struct k6_step *steps, size_t n, int *codes)
{
	struct for_user *u = ctx;
	char why[300];
	size_t usual;
	int code;

	(void)steps;
	(void)n;
	if (k6_account_answer(u->a, &p->h[at], &code, why, sizeof(why))) {
		codes[0] = code;
		return 1;
	}
	k6_module_returns(&p->h[at], codes, &usual);
	return usual; /* what a login of this account would meet: the usual answers */
}

static bool user_way(void *ctx, const struct k6_pamd *p, const struct k6_way *w)
{
	struct for_user *u = ctx;
	size_t i;

	if (u->ways++ == 0) {
		u->nsent = w->n < 64 ? w->n : 64;
		memcpy(u->sent, w->steps, u->nsent * sizeof(*w->steps));
	}
	for (i = 0; i < w->n; i++) {
		const struct k6_handler *h = &p->h[w->steps[i].at];

		if (h->type == K6_PAM_AUTH && is_k6_line(h)) {
			if (u->reached == K6_NO_HANDLER || w->steps[i].at < u->reached)
				u->reached = w->steps[i].at;
		}
	}
	return true;
}

static void say_not_asked(const struct for_user *u, const char *user, const struct common *c)
{
	const struct k6_pamd *p = u->p;
	size_t culprit = K6_NO_HANDLER;
	size_t i;
	int code = 0;
	bool any_secret = false;

	for (i = 0; i < u->nsent; i++)
		if (u->sent[i].at < u->first_k6) {
			culprit = u->sent[i].at;
			code = u->sent[i].code;
		}
	printf("  %-12s pam_k6 is not asked for %s", "stack", user);
	if (culprit != K6_NO_HANDLER) {
		const struct k6_handler *h = &p->h[culprit];
		char answer[300];
		char why[300] = "";

		k6_module_answer(h, code, answer, sizeof(answer));
		k6_account_answer(u->a, h, &code, why, sizeof(why));
		printf(": %s:%u %s (%s) sends %s past it", short_file(h->file, c->svc.dir), h->line,
		       k6_handler_basename(h), why[0] != '\0' ? why : answer, user);
	}
	printf("\n");
	for (i = 0; i < u->nsent; i++) {
		const struct k6_handler *h = &p->h[u->sent[i].at];
		const struct k6_module_info *m = k6_module_info(h, NULL);

		if (u->sent[i].at <= u->first_k6 || h->kind != K6_HANDLER_MODULE ||
		    (m->role != K6_ROLE_SECRET && m->role != K6_ROLE_UNKNOWN &&
		     m->role != K6_ROLE_PROGRAM))
			continue;
		printf("  %-12s %s:%u %s\n", "decides", short_file(h->file, c->svc.dir), h->line,
		       k6_handler_basename(h));
		any_secret = true;
	}
	if (!any_secret)
		printf("  %-12s nothing that asks for a secret\n", "decides");
}

int walk_for_user(const struct k6_pamd *p, const struct common *c, const char *user,
		  const struct k6_handler **k6)
{
	struct k6_account a;
	struct for_user u;
	const struct k6_handler *first = first_k6_line(p, &c->svc);
	long ways;

	*k6 = NULL;
	if (first == NULL)
		return EXIT_CONFIG;
	memset(&u, 0, sizeof(u));
	u.p = p;
	u.reached = K6_NO_HANDLER;
	u.first_k6 = (size_t)(first - p->h);
	if (k6_account_load(&a, user, service_name(&c->svc)) != K6_OK) {
		k6_account_free(&a);
		fprintf(stderr, "pam_k6ctl: out of memory\n");
		return EXIT_OTHER;
	}
	u.a = &a;
	ways = k6_stack_walk(p, K6_PAM_AUTH, user_returns, &u, user_way, &u, K6_STACK_MAX_WAYS);
	if (ways < 0) {
		k6_account_free(&a);
		fprintf(stderr, "pam_k6ctl: error: more than %ld ways through the stack\n",
			K6_STACK_MAX_WAYS);
		return EXIT_CONFIG;
	}
	if (u.reached == K6_NO_HANDLER) {
		say_not_asked(&u, user, c);
		k6_account_free(&a);
		return EXIT_NOT_ASKED;
	}
	k6_account_free(&a);
	*k6 = &p->h[u.reached];
	return -1;
}
