/* SPDX-License-Identifier: MIT */
/*
 * The stack run as _pam_dispatch_aux runs it (libpam/pam_dispatch.c of
 * Linux-PAM 1.5.2), with a branch wherever a module may return more than
 * one code.  The walk is depth first, over an explicit list of the calls
 * made so far: each call keeps the state libpam had before it, so that the
 * next code of the same call starts from there.
 */
#include "config.h"

#include <security/_pam_types.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack.h"

/* libpam's impressions of the stack so far. */
enum impression {
	UNDEF,
	POSITIVE,
	NEGATIVE,
};

/* What libpam keeps while it runs a stack. */
struct state {
	size_t i;       /* the handler libpam is at */
	int prev_level; /* the level of the handler before it */
	enum impression impression;
	int status;
	size_t status_from; /* the handler that set status */
	enum impression sub_impression[K6_PAMD_DEPTH + 1];
	int sub_status[K6_PAMD_DEPTH + 1];
	size_t sub_from[K6_PAMD_DEPTH + 1];
	size_t sent_from;  /* the last jump's handler */
	size_t decided_at; /* the last handler whose done or die ended its stack */
};

/* A call of a module on the way: the state before it, the codes it may return. */
struct call {
	struct state before;
	int codes[K6_PAM_CODES];
	size_t ncodes;
	size_t next; /* the code to try next */
};

struct walk {
	const struct k6_pamd *p;
	const size_t *at; /* the type's handlers, as indexes into p->h */
	size_t n;
	k6_returns_fn returns;
	void *rctx;
	k6_way_fn each;
	void *ectx;
	struct call *calls;
	struct k6_step *steps;
	size_t depth;
	size_t cap;
	long ways;
	long max_ways;
	bool stop;
};

static const struct k6_handler *handler(const struct walk *w, size_t i)
{
	return &w->p->h[w->at[i]];
}

/* After a done or a die: the rest of the current substack is passed over. */
static void decision_made(const struct walk *w, struct state *s, int level)
{
	while (s->i + 1 < w->n && handler(w, s->i + 1)->level >= level)
		s->i++;
}

/* A jump over count handlers of the current level (a substack counts as one). */
static void jump(const struct walk *w, struct state *s, int level, int count)
{
	s->sent_from = w->at[s->i];
	while (s->i + 1 < w->n && handler(w, s->i + 1)->level >= level && count > 0) {
		do
			s->i++;
		while (s->i + 1 < w->n && handler(w, s->i + 1)->level > level);
		count--;
	}
	if (count != 0) {
		/* Past the end of its stack: libpam logs "bad jump in stack" and fails. */
		s->impression = NEGATIVE;
		s->status = PAM_PERM_DENIED;
		s->status_from = s->sent_from;
	}
}

/*
 * What libpam does with the code retval of the handler at s->i.  False
 * when the stack ends here (PAM_INCOMPLETE); s->i is left on the last
 * handler passed, as libpam leaves it before its loop steps on.
 */
static bool take(const struct walk *w, struct state *s, int retval)
{
	const struct k6_handler *h = handler(w, s->i);
	int level = h->level;
	int action;

	if (retval == PAM_INCOMPLETE)
		return false;
	if (retval < 0 || retval >= K6_PAM_CODES) {
		retval = PAM_PERM_DENIED;
		action = K6_ACT_BAD;
	} else {
		action = h->actions[retval];
	}
	switch (action) {
	case K6_ACT_RESET:
		s->impression = s->sub_impression[level];
		s->status = s->sub_status[level];
		s->status_from = s->sub_from[level];
		break;
	case K6_ACT_OK:
	case K6_ACT_DONE:
		if (s->impression == UNDEF ||
		    (s->impression == POSITIVE && s->status == PAM_SUCCESS)) {
			if (s->impression != POSITIVE || s->status != retval)
				s->status_from = w->at[s->i];
			s->impression = POSITIVE;
			s->status = retval;
		}
		if (s->impression == POSITIVE && action == K6_ACT_DONE) {
			s->decided_at = w->at[s->i];
			decision_made(w, s, level);
		}
		break;
	case K6_ACT_BAD:
	case K6_ACT_DIE:
		if (s->impression != NEGATIVE) {
			s->impression = NEGATIVE;
			s->status = retval == PAM_IGNORE ? PAM_PERM_DENIED : retval;
			s->status_from = w->at[s->i];
		}
		if (action == K6_ACT_DIE) {
			s->decided_at = w->at[s->i];
			decision_made(w, s, level);
		}
		break;
	case K6_ACT_IGNORE:
		break;
	default:
		if (action > 0) {
			jump(w, s, level, action);
		} else {
			/* An action never set: libpam takes it for a jump that fails. */
			s->impression = NEGATIVE;
			s->status = PAM_PERM_DENIED;
			s->status_from = w->at[s->i];
		}
		break;
	}
	return true;
}

static bool grow(struct walk *w)
{
	size_t cap = w->cap == 0 ? 32 : w->cap * 2;
	struct call *calls = realloc(w->calls, cap * sizeof(*calls));
	struct k6_step *steps;

	if (calls == NULL)
		return false;
	w->calls = calls;
	steps = realloc(w->steps, cap * sizeof(*steps));
	if (steps == NULL)
		return false;
	w->steps = steps;
	w->cap = cap;
	return true;
}

static bool emit(struct walk *w, const struct state *s, int result)
{
	struct k6_way way;

	way.steps = w->steps;
	way.n = w->depth;
	way.result = result;
	way.ended_at = s->decided_at;
	way.last = w->depth > 0 ? w->steps[w->depth - 1].at : K6_NO_HANDLER;
	way.sent_from = s->sent_from;
	way.status_from = s->status_from;
	if (++w->ways > w->max_ways)
		return false;
	if (!w->each(w->ectx, w->p, &way))
		w->stop = true;
	return true;
}

/*
 * Run from state s until the next module call (pushed, with the codes it
 * may return) or the end of the stack (a way emitted).  False when out of
 * memory or past max_ways.
 */
static bool run_to_call(struct walk *w, struct state s)
{
	for (; s.i < w->n; s.prev_level = handler(w, s.i)->level, s.i++) {
		const struct k6_handler *h = handler(w, s.i);
		struct call *c;

		if (s.prev_level < h->level) {
			s.sub_impression[h->level] = s.impression;
			s.sub_status[h->level] = s.status;
			s.sub_from[h->level] = s.status_from;
		}
		if (h->kind == K6_HANDLER_SUBSTACK)
			continue;
		if (w->depth == w->cap && !grow(w))
			return false;
		c = &w->calls[w->depth];
		c->before = s;
		c->next = 0;
		if (h->kind == K6_HANDLER_MUST_FAIL) {
			c->codes[0] = PAM_PERM_DENIED;
			c->ncodes = 1;
		} else if (!h->loads) {
			c->codes[0] = PAM_MODULE_UNKNOWN;
			c->ncodes = 1;
		} else {
			c->ncodes =
				w->returns(w->rctx, w->p, w->at[s.i], w->steps, w->depth, c->codes);
			if (c->ncodes > K6_PAM_CODES)
				c->ncodes = K6_PAM_CODES;
		}
		w->steps[w->depth].at = w->at[s.i];
		w->steps[w->depth].code = 0;
		w->depth++;
		return true;
	}
	/* libpam's last check: a success it was never told of is no success. */
	if (s.status == PAM_SUCCESS && s.impression != POSITIVE)
		s.status = PAM_PERM_DENIED;
	return emit(w, &s, s.status);
}

/* The next code of the newest call, run on to the next call or the end. */
static bool step(struct walk *w)
{
	struct call *c = &w->calls[w->depth - 1];
	struct state s = c->before;
	int code = c->codes[c->next++];
	int level = handler(w, s.i)->level;

	w->steps[w->depth - 1].code = code;
	if (!take(w, &s, code))
		return emit(w, &s, PAM_INCOMPLETE);
	/* libpam's loop steps on from where the action left it. */
	s.prev_level = level;
	s.i++;
	return run_to_call(w, s);
}

long k6_stack_walk(const struct k6_pamd *p, enum k6_pam_type type, k6_returns_fn returns,
		   void *rctx, k6_way_fn each, void *ectx, long max_ways)
{
	struct walk w;
	struct state s;
	size_t *at = NULL;
	size_t i;
	long result = -1;

	memset(&w, 0, sizeof(w));
	memset(&s, 0, sizeof(s));
	w.p = p;
	w.returns = returns;
	w.rctx = rctx;
	w.each = each;
	w.ectx = ectx;
	w.max_ways = max_ways;
	s.impression = UNDEF;
	s.status = PAM_PERM_DENIED;
	s.sub_impression[0] = UNDEF;
	s.sub_status[0] = PAM_PERM_DENIED;
	s.sent_from = K6_NO_HANDLER;
	s.decided_at = K6_NO_HANDLER;
	s.status_from = K6_NO_HANDLER;
	s.sub_from[0] = K6_NO_HANDLER;
	if (p->aborts) {
		emit(&w, &s, PAM_ABORT);
		return 1;
	}
	at = calloc(p->n + 1, sizeof(*at));
	if (at == NULL)
		return -1;
	for (i = 0; i < p->n; i++)
		if (p->h[i].type == type)
			at[w.n++] = i;
	w.at = at;
	if (w.n == 0) {
		/* "no modules loaded for the service": libpam fails. */
		emit(&w, &s, PAM_PERM_DENIED);
		result = 1;
		goto out;
	}
	if (!run_to_call(&w, s))
		goto out;
	while (w.depth > 0 && !w.stop) {
		struct call *c = &w.calls[w.depth - 1];

		if (c->next >= c->ncodes) {
			w.depth--;
			continue;
		}
		if (!step(&w))
			goto out;
	}
	result = w.ways;
out:
	free(w.calls);
	free(w.steps);
	free(at);
	return result;
}
