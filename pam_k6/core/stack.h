/* SPDX-License-Identifier: MIT */
/*
 * A model of how libpam 1.5.2 runs one type's stack for one call
 * (_pam_dispatch_aux in pam_dispatch.c): the impression and the status it
 * keeps, what each action does to them, jumps that count the handlers of
 * their own substack only, done and die that end the current substack
 * only, reset to what the substack started with, a jump past the end that
 * fails.  What each module returns is the caller's to say: one code, for
 * a stack whose modules are known (the tests' stubs), or every code a
 * module may return, and then every way through the stack is walked.
 */
#ifndef K6_STACK_H
#define K6_STACK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/pamd.h"

/* No handler: a way that was not ended by an action, or not sent by a jump. */
#define K6_NO_HANDLER ((size_t)-1)

/* One module called on the way, and what it returned. */
struct k6_step {
	size_t at; /* index in the pamd's handlers */
	int code;
};

struct k6_way {
	const struct k6_step *steps;
	size_t n;
	int result;         /* what pam_authenticate (or the type's call) returns */
	size_t ended_at;    /* the handler whose done or die ended the stack, or K6_NO_HANDLER */
	size_t last;        /* the last handler run (a module, or one that must fail) */
	size_t sent_from;   /* the last handler whose jump the way took, or K6_NO_HANDLER */
	size_t status_from; /* the handler whose action set the result, or K6_NO_HANDLER */
};

/*
 * The codes the module of handler at may return, into codes (at most
 * K6_PAM_CODES); the steps taken so far on this way are given, so that an
 * answer can agree with an earlier one.  Returns how many.  Called for
 * module handlers that load only: one that does not returns
 * PAM_MODULE_UNKNOWN, and a handler that must fail PAM_PERM_DENIED.
 */
typedef size_t (*k6_returns_fn)(void *ctx, const struct k6_pamd *p, size_t at,
				const struct k6_step *steps, size_t n, int *codes);

/* One way through, as it ends; false stops the walk. */
typedef bool (*k6_way_fn)(void *ctx, const struct k6_pamd *p, const struct k6_way *w);

/*
 * Walk every way through type's stack of p, each module returning each
 * of the codes returns gives, and hand each way to each.  At most
 * max_ways ways: more is -1.  Otherwise the number of ways walked (a
 * walk that each stopped counts the ways until then).  A configuration
 * libpam refuses is one way, of PAM_ABORT; a stack with no handler one
 * way, of PAM_PERM_DENIED.
 */
long k6_stack_walk(const struct k6_pamd *p, enum k6_pam_type type, k6_returns_fn returns,
		   void *rctx, k6_way_fn each, void *ectx, long max_ways);

#endif
