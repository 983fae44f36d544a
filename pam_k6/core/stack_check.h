/* SPDX-License-Identifier: MIT */
/*
 * The proof pam_k6ctl check gives of an auth stack: every way libpam can
 * take through it (stack.h, with what each module may return,
 * modules.h), and on each, whether a module that checks a secret
 * succeeded.  A way that ends in PAM_SUCCESS with none is an error; so
 * is a stack too large to walk whole.  A kind of login that can never
 * pass is a warning.
 */
#ifndef K6_STACK_CHECK_H
#define K6_STACK_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "base/k6_status.h"
#include "core/modules.h"
#include "core/pamd.h"

/* More ways than any real stack has: a walk that reaches it is refused. */
#define K6_STACK_MAX_WAYS 200000L

/* The longest text of a way's answers. */
#define K6_WAY_TEXT 600

/* One kind of way through the stack, as the table shows it. */
struct k6_way_row {
	char answers[K6_WAY_TEXT]; /* what the modules answered that chose the way */
	int result;                /* what the call returns */
	size_t decided_by;         /* the handler that ended it (done, die) or ran last */
	bool secret;               /* a module that checks a secret succeeded on it */
	bool rootok;               /* pam_rootok passed the caller on it */
	unsigned count;            /* ways of the walk shown by this row */
};

enum k6_finding_level {
	K6_FINDING_ERROR,   /* a way opens without a secret; the walk could not end */
	K6_FINDING_WARNING, /* a kind of login can never pass */
	K6_FINDING_NOTE,    /* worth knowing: pam_rootok for a root caller, nullok */
};

struct k6_finding {
	enum k6_finding_level level;
	char text[900];
};

struct k6_stack_report {
	struct k6_way_row *rows; /* ways in which every module gave one of its usual answers */
	size_t nrows;
	long ways;            /* all the ways walked */
	long unusual;         /* of them, ways where a module failed on its own (PAM_BUF_ERR ...) */
	long unusual_success; /* of those, ways that end in PAM_SUCCESS */
	struct k6_finding *findings;
	size_t nfindings;
	size_t errors;
	size_t warnings;
};

struct k6_stack_check_options {
	const char *service; /* its name: pam_rootok means another thing in su than in sshd */
	struct k6_secret_modules declared;
	long max_ways; /* 0: K6_STACK_MAX_WAYS */
};

/*
 * Walk the auth stack of p and say what it does.  K6_NOMEM, else K6_OK
 * (the findings say whether the stack holds).
 */
enum k6_status k6_stack_check(const struct k6_pamd *p, const struct k6_stack_check_options *o,
			      struct k6_stack_report *out);

void k6_stack_report_free(struct k6_stack_report *r);

/*
 * Services whose caller asks for itself, so that pam_rootok passes only a
 * caller that is root already: su, su-l, runuser, runuser-l, sudo, sudo-i.
 */
bool k6_service_runs_as_asker(const char *service);

#endif
