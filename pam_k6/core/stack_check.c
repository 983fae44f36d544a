/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <security/_pam_types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/stack.h"
#include "core/stack_check.h"

/* What one walk gathers. */
struct gather {
	const struct k6_stack_check_options *o;
	struct k6_stack_report *out;
	size_t n;                              /* handlers of the pamd */
	unsigned char (*seen)[K6_PAM_CODES];   /* [handler][code]: returned on some way */
	unsigned char (*passes)[K6_PAM_CODES]; /* ... on a way that ends in PAM_SUCCESS */
	bool nomem;
};

static bool add_finding(struct k6_stack_report *r, enum k6_finding_level level, const char *fmt,
			...) __attribute__((format(printf, 3, 4)));

static bool add_finding(struct k6_stack_report *r, enum k6_finding_level level, const char *fmt,
			...)
{
	struct k6_finding f;
	struct k6_finding *grown;
	va_list ap;
	size_t i;

	f.level = level;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): clang 14 misreads va_start when it inlines a variadic callee */
	vsnprintf(f.text, sizeof(f.text), fmt, ap);
	va_end(ap);
	for (i = 0; i < r->nfindings; i++)
		if (r->findings[i].level == level && strcmp(r->findings[i].text, f.text) == 0)
			return true;
	grown = realloc(r->findings, (r->nfindings + 1) * sizeof(*grown));
	if (grown == NULL)
		return false;
	r->findings = grown;
	r->findings[r->nfindings++] = f;
	if (level == K6_FINDING_ERROR)
		r->errors++;
	else if (level == K6_FINDING_WARNING)
		r->warnings++;
	return true;
}

bool k6_service_runs_as_asker(const char *service)
{
	static const char *const asker[] = {
		"su", "su-l", "runuser", "runuser-l", "sudo", "sudo-i"
	};
	size_t i;

	for (i = 0; i < sizeof(asker) / sizeof(asker[0]); i++)
		if (strcmp(service, asker[i]) == 0)
			return true;
	return false;
}

/* --- what each module may return, one login's answers agreeing ------------ */

static bool is_usual(const struct k6_handler *h, int code)
{
	int codes[K6_PAM_CODES];
	size_t usual;
	size_t n;
	size_t i;

	if (h->kind != K6_HANDLER_MODULE || !h->loads)
		return true;
	n = k6_module_returns(h, codes, &usual);
	(void)n;
	for (i = 0; i < usual; i++)
		if (codes[i] == code)
			return true;
	return false;
}

/* An earlier answer to the same question decides this one. */
static bool answered_before(const struct k6_pamd *p, size_t at, const struct k6_step *steps,
			    size_t n, int *code)
{
	char key[400];
	char other[400];
	bool negated;
	bool other_negated;
	size_t i;

	if (!k6_module_same_answer_key(&p->h[at], key, sizeof(key), &negated))
		return false;
	for (i = 0; i < n; i++) {
		int c = steps[i].code;

		if (!k6_module_same_answer_key(&p->h[steps[i].at], other, sizeof(other),
					       &other_negated) ||
		    strcmp(key, other) != 0)
			continue;
		if (negated != other_negated && c == PAM_SUCCESS)
			c = PAM_AUTH_ERR;
		else if (negated != other_negated && c == PAM_AUTH_ERR)
			c = PAM_SUCCESS;
		*code = c;
		return true;
	}
	return false;
}

/* pam_faillock's tally folder on a line: its dir=, or pam_faillock's default. */
static const char *tally_dir(const struct k6_handler *h)
{
	const char *dir = k6_module_argument(h, "dir");

	return dir != NULL ? dir : "/var/run/faillock";
}

/*
 * authsucc and authfail read the tally preauth read, in the same login:
 * a tally preauth found locked is locked still (they answer PAM_AUTH_ERR),
 * an account it did not find (PAM_IGNORE) is not found, and a tally or a
 * configuration it could not read (PAM_SYSTEM_ERR, PAM_SERVICE_ERR), or a
 * user name libpam could not get, fails them alike.  Only a tally preauth
 * found open may be locked meanwhile, by logins that ran beside this one.
 * Taken for granted: a tally does not unlock, and a broken one is not
 * mended, within one login.
 */
static bool tally_known(const struct k6_pamd *p, size_t at, const struct k6_step *steps, size_t n,
			int *code)
{
	const struct k6_handler *h = &p->h[at];
	const char *mode = k6_faillock_mode(h);
	size_t i;

	if (mode == NULL || strcmp(mode, "preauth") == 0)
		return false;
	for (i = n; i-- > 0;) {
		const struct k6_handler *before = &p->h[steps[i].at];
		const char *seen = k6_faillock_mode(before);

		if (seen == NULL || strcmp(seen, "preauth") != 0 ||
		    strcmp(tally_dir(before), tally_dir(h)) != 0)
			continue;
		if (steps[i].code == PAM_SUCCESS)
			return false;
		*code = steps[i].code;
		return true;
	}
	return false;
}

static size_t check_returns(void *ctx, const struct k6_pamd *p, size_t at,
			    const struct k6_step *steps, size_t n, int *codes)
{
	size_t usual;
	int code;

	(void)ctx;
	if (answered_before(p, at, steps, n, &code) || tally_known(p, at, steps, n, &code)) {
		codes[0] = code;
		return 1;
	}
	return k6_module_returns(&p->h[at], codes, &usual);
}

/* --- one way --------------------------------------------------------------- */

/* What an action does to the way: go on (ok, ignore, reset), fail, end, or jump. */
static int course(int action)
{
	return action == K6_ACT_OK || action == K6_ACT_IGNORE || action == K6_ACT_RESET ?
		       K6_ACT_IGNORE :
		       action;
}

/*
 * Whether a step chose the way: an answer of a module that decides
 * (a secret, the token, a condition, a tally's preauth, an unknown
 * module), or of another module whose answer took another course than
 * its usual first one (an authsucc that finds the tally locked).
 */
static bool chose(const struct k6_handler *h, int code)
{
	const struct k6_module_info *m = k6_module_info(h, NULL);
	int codes[K6_PAM_CODES];
	size_t usual;

	if (h->kind != K6_HANDLER_MODULE || !h->loads)
		return true;
	k6_module_returns(h, codes, &usual);
	switch (m->role) {
	case K6_ROLE_TOKEN:
	case K6_ROLE_SECRET:
	case K6_ROLE_CONDITION:
	case K6_ROLE_ROOTOK:
	case K6_ROLE_PROGRAM:
	case K6_ROLE_UNKNOWN:
		return usual > 1;
	case K6_ROLE_TALLY:
		if (strcmp(k6_faillock_mode(h), "preauth") == 0)
			return usual > 1;
		break;
	case K6_ROLE_OTHER:
		break;
	}
	return code >= 0 && code < K6_PAM_CODES &&
	       course(h->actions[code]) != course(h->actions[codes[0]]);
}

static void describe(const struct k6_pamd *p, const struct k6_way *w, char *buf, size_t len)
{
	size_t used = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < w->n && used + 1 < len; i++) {
		const struct k6_handler *h = &p->h[w->steps[i].at];
		char answer[300];

		if (!chose(h, w->steps[i].code))
			continue;
		k6_module_answer(h, w->steps[i].code, answer, sizeof(answer));
		if (strstr(buf, answer) != NULL)
			continue; /* the same question, asked again */
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used > 0 ? "; " : "",
					 answer);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "always");
}

static const char *where(const struct k6_pamd *p, size_t at, char *buf, size_t len)
{
	const struct k6_handler *h;

	if (at == K6_NO_HANDLER) {
		snprintf(buf, len, "(no line)");
		return buf;
	}
	h = &p->h[at];
	snprintf(buf, len, "%s:%u %s", h->file, h->line,
		 h->module != NULL ? k6_handler_basename(h) : "(a line libpam cannot use)");
	return buf;
}

static bool add_row(struct k6_stack_report *r, const char *answers, const struct k6_way *w,
		    size_t decided_by, bool secret, bool rootok)
{
	struct k6_way_row *grown;
	struct k6_way_row *row;
	size_t i;

	for (i = 0; i < r->nrows; i++) {
		row = &r->rows[i];
		if (row->result == w->result && row->decided_by == decided_by &&
		    row->secret == secret && strcmp(row->answers, answers) == 0) {
			row->count++;
			return true;
		}
	}
	grown = realloc(r->rows, (r->nrows + 1) * sizeof(*grown));
	if (grown == NULL)
		return false;
	r->rows = grown;
	row = &r->rows[r->nrows++];
	snprintf(row->answers, sizeof(row->answers), "%s", answers);
	row->result = w->result;
	row->decided_by = decided_by;
	row->secret = secret;
	row->rootok = rootok;
	row->count = 1;
	return true;
}

/* A way that ends in PAM_SUCCESS with no secret: what the operator needs to find it. */
static bool open_way(struct gather *g, const struct k6_pamd *p, const struct k6_way *w,
		     const char *answers, size_t decided_by)
{
	char ended[600];
	char sent[600];
	const char *how = w->ended_at != K6_NO_HANDLER ? "ended by" : "the stack ran out after";

	where(p, decided_by, ended, sizeof(ended));
	if (w->sent_from == K6_NO_HANDLER)
		snprintf(sent, sizeof(sent), "no jump on the way");
	else
		where(p, w->sent_from, sent, sizeof(sent));
	char hint[500] = "";
	size_t i;

	/* A module pam_k6ctl does not know may check a secret: say how to tell it so. */
	for (i = 0; i < w->n && hint[0] == '\0'; i++) {
		const struct k6_handler *h = &p->h[w->steps[i].at];
		enum k6_module_role role = k6_module_info(h, &g->o->declared)->role;

		if ((role == K6_ROLE_UNKNOWN || role == K6_ROLE_PROGRAM) &&
		    w->steps[i].code == PAM_SUCCESS && h->loads) {
			char name[120];

			snprintf(name, sizeof(name), "%s", k6_handler_basename(h));
			name[strcspn(name, ".")] = '\0';
			snprintf(hint, sizeof(hint),
				 " (if %s checks a secret, say so: --secret-module %s)", name,
				 name);
		}
	}
	return add_finding(g->out, K6_FINDING_ERROR,
			   "PAM_SUCCESS with no secret checked, when: %s; %s %s; the last jump "
			   "before it: %s%s",
			   answers, how, ended, sent, hint);
}

/* A way that ends in PAM_SUCCESS with no secret: an error, or a note for a root caller. */
static bool no_secret(struct gather *g, const struct k6_pamd *p, const struct k6_way *w,
		      const char *answers, size_t decided_by, size_t rootok_at)
{
	char at[600];

	if (rootok_at == K6_NO_HANDLER)
		return open_way(g, p, w, answers, decided_by);
	where(p, rootok_at, at, sizeof(at));
	if (k6_service_runs_as_asker(g->o->service))
		return add_finding(g->out, K6_FINDING_NOTE,
				   "%s passes a caller that is root already, with no secret: in %s "
				   "that is root asking for itself",
				   at, g->o->service);
	return add_finding(g->out, K6_FINDING_ERROR,
			   "%s passes every caller whose real user is root: %s is not known to "
			   "run as the person asking (sshd and login run as root for everyone), so "
			   "it lets everyone in",
			   at, g->o->service);
}

static bool each_way(void *ctx, const struct k6_pamd *p, const struct k6_way *w)
{
	struct gather *g = ctx;
	char answers[K6_WAY_TEXT];
	bool secret = false;
	bool usual = true;
	size_t rootok_at = K6_NO_HANDLER;
	size_t decided_by = w->status_from != K6_NO_HANDLER ? w->status_from :
			    w->ended_at != K6_NO_HANDLER    ? w->ended_at :
							      w->last;
	size_t i;

	for (i = 0; i < w->n; i++) {
		const struct k6_handler *h = &p->h[w->steps[i].at];
		int code = w->steps[i].code;
		const struct k6_module_info *m = k6_module_info(h, &g->o->declared);

		if (k6_module_proves_secret(h, code, &g->o->declared)) {
			secret = true;
			if (w->result == PAM_SUCCESS)
				decided_by = w->steps[i].at; /* the secret that let it in */
		}
		if (m->role == K6_ROLE_ROOTOK && code == PAM_SUCCESS && h->loads)
			rootok_at = w->steps[i].at;
		if (!is_usual(h, code))
			usual = false;
		if (code >= 0 && code < K6_PAM_CODES) {
			g->seen[w->steps[i].at][code] = 1;
			if (w->result == PAM_SUCCESS)
				g->passes[w->steps[i].at][code] = 1;
		}
	}
	describe(p, w, answers, sizeof(answers));
	if (w->result == PAM_SUCCESS && !secret &&
	    !no_secret(g, p, w, answers, decided_by, rootok_at))
		goto nomem;
	if (usual) {
		if (!add_row(g->out, answers, w, decided_by, secret || rootok_at != K6_NO_HANDLER,
			     rootok_at != K6_NO_HANDLER))
			goto nomem;
	} else {
		g->out->unusual++;
		if (w->result == PAM_SUCCESS)
			g->out->unusual_success++;
	}
	return true;
nomem:
	g->nomem = true;
	return false;
}

/* --- kinds of login that never pass ---------------------------------------- */

static bool never_passes(struct gather *g, const struct k6_pamd *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		const struct k6_handler *h = &p->h[i];
		const struct k6_module_info *m = k6_module_info(h, &g->o->declared);
		char at[600];
		char answer[300];
		bool ok = true;
		int code;

		if (h->type != K6_PAM_AUTH || h->kind != K6_HANDLER_MODULE || !h->loads)
			continue;
		where(p, i, at, sizeof(at));
		if ((m->role == K6_ROLE_SECRET || m->role == K6_ROLE_TOKEN) &&
		    g->seen[i][PAM_SUCCESS] && !g->passes[i][PAM_SUCCESS])
			ok = add_finding(g->out, K6_FINDING_WARNING,
					 "%s: no login passes with it: its success never ends in "
					 "PAM_SUCCESS",
					 at);
		if (ok && m->role == K6_ROLE_TOKEN &&
		    ((g->seen[i][PAM_AUTHINFO_UNAVAIL] && !g->passes[i][PAM_AUTHINFO_UNAVAIL]) ||
		     (g->seen[i][PAM_SERVICE_ERR] && !g->passes[i][PAM_SERVICE_ERR])))
			ok = add_finding(g->out, K6_FINDING_WARNING,
					 "%s: when pam_k6 cannot decide (the API unreachable, a "
					 "configuration error), no login passes",
					 at);
		for (code = 0; ok && code < K6_PAM_CODES; code++) {
			if ((m->role != K6_ROLE_CONDITION &&
			     !(m->role == K6_ROLE_TALLY && k6_faillock_mode(h) != NULL &&
			       strcmp(k6_faillock_mode(h), "preauth") == 0)) ||
			    !g->seen[i][code] || g->passes[i][code] || !is_usual(h, code) ||
			    code == PAM_USER_UNKNOWN ||
			    (m->role == K6_ROLE_TALLY && code != PAM_SUCCESS &&
			     code != PAM_AUTH_ERR))
				continue;
			k6_module_answer(h, code, answer, sizeof(answer));
			ok = add_finding(g->out, K6_FINDING_WARNING, "%s: when %s, no login passes",
					 at, answer);
		}
		if (ok && k6_module_passes_empty_password(h) && g->passes[i][PAM_SUCCESS])
			ok = add_finding(g->out, K6_FINDING_WARNING,
					 "%s with nullok: an account whose password is empty "
					 "passes with no password",
					 at);
		if (!ok)
			return false;
	}
	return true;
}

enum k6_status k6_stack_check(const struct k6_pamd *p, const struct k6_stack_check_options *o,
			      struct k6_stack_report *out)
{
	struct gather g;
	long max = o->max_ways > 0 ? o->max_ways : K6_STACK_MAX_WAYS;
	long ways;

	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	g.o = o;
	g.out = out;
	g.n = p->n;
	g.seen = calloc(p->n + 1, sizeof(*g.seen));
	g.passes = calloc(p->n + 1, sizeof(*g.passes));
	if (g.seen == NULL || g.passes == NULL)
		goto nomem;
	ways = k6_stack_walk(p, K6_PAM_AUTH, check_returns, &g, each_way, &g, max);
	if (g.nomem)
		goto nomem;
	if (ways < 0) {
		if (!add_finding(out, K6_FINDING_ERROR,
				 "more than %ld ways through the stack: not walked whole, so "
				 "nothing is proven",
				 max))
			goto nomem;
	} else {
		out->ways = ways;
		if (!never_passes(&g, p))
			goto nomem;
	}
	free(g.seen);
	free(g.passes);
	return K6_OK;
nomem:
	free(g.seen);
	free(g.passes);
	k6_stack_report_free(out);
	return K6_NOMEM;
}

void k6_stack_report_free(struct k6_stack_report *r)
{
	free(r->rows);
	free(r->findings);
	memset(r, 0, sizeof(*r));
}
