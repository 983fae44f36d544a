/* SPDX-License-Identifier: MIT */
/*
 * What pam_k6ctl knows of the modules in an auth stack: which codes each
 * may return on its line (its arguments matter), whether its success
 * proves that the person typed a secret, and how to name what it
 * answered.  A module this table does not know may return anything, and
 * its success proves nothing unless the operator says it does.
 */
#ifndef K6_MODULES_H
#define K6_MODULES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/pamd.h"

enum k6_module_role {
	K6_ROLE_OTHER,     /* proves nothing: pam_permit, pam_env, ... */
	K6_ROLE_SECRET,    /* its success proves a secret: pam_unix, pam_sss, ... */
	K6_ROLE_TOKEN,     /* pam_k6: its success proves a k6 token */
	K6_ROLE_CONDITION, /* answers a question about the account: pam_succeed_if, ... */
	K6_ROLE_TALLY,     /* pam_faillock */
	K6_ROLE_ROOTOK,    /* pam_rootok: passes a caller whose real user is root */
	K6_ROLE_PROGRAM,   /* pam_exec: whatever its program decides */
	K6_ROLE_UNKNOWN,   /* not in the table */
};

struct k6_module_info {
	const char *name; /* without ".so" */
	enum k6_module_role role;
	const char *why; /* one line: why its success proves a secret, or not */
};

/* Modules named by the operator (--secret-module NAME) as checking a secret. */
struct k6_secret_modules {
	const char *const *names;
	size_t n;
};

/* The table's entry for the handler's module, or one of role K6_ROLE_UNKNOWN. */
const struct k6_module_info *k6_module_info(const struct k6_handler *h,
					    const struct k6_secret_modules *declared);

/* Every known entry, for the manual and --help: NULL after the last. */
const struct k6_module_info *k6_module_table(size_t i);

/*
 * The codes the handler's module may return in auth, into codes (room for
 * K6_PAM_CODES); *usual is how many of them, from the first, are its
 * answers (the rest: failures of its own, such as PAM_BUF_ERR).  For a
 * module the table does not know: one code for each action its line
 * takes, PAM_SUCCESS and PAM_IGNORE always among them.
 */
size_t k6_module_returns(const struct k6_handler *h, int *codes, size_t *usual);

/*
 * Does this code of the handler prove that a secret was checked?  The
 * success of a secret or token module (or of one declared so), and
 * nothing else.
 */
bool k6_module_proves_secret(const struct k6_handler *h, int code,
			     const struct k6_secret_modules *declared);

/*
 * A name for what the module answered, for the table of ways: "member
 * of k6users", "token refused", "password right".  Into buf.
 */
const char *k6_module_answer(const struct k6_handler *h, int code, char *buf, size_t len);

/*
 * Two handlers whose modules must answer alike for one login (the same
 * pam_succeed_if conditions): the key that says so, into buf, with
 * *negated set when the line asks the opposite question of the key
 * (notingroup against ingroup).  False for a module that may answer
 * differently each time.
 */
bool k6_module_same_answer_key(const struct k6_handler *h, char *buf, size_t len, bool *negated);

/* Arguments of the module's line that change its codes, checked: false with why. */
bool k6_module_arguments_ok(const struct k6_handler *h, char *why, size_t len);

/* pam_unix with nullok: an account with an empty password passes with no secret. */
bool k6_module_passes_empty_password(const struct k6_handler *h);

/* pam_faillock's mode on this line: "preauth", "authfail", "authsucc", or NULL. */
const char *k6_faillock_mode(const struct k6_handler *h);

/* A module argument "key=value": the value, or NULL. */
const char *k6_module_argument(const struct k6_handler *h, const char *key);

#endif
