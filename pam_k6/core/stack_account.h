/* SPDX-License-Identifier: MIT */
/*
 * What the modules of a stack answer for one account, where pam_k6ctl can
 * tell without a login: pam_succeed_if's conditions (the name service and
 * the service's name), pam_faillock's tally (its files), pam_rootok (who
 * runs the command).  Used by pam_k6ctl test to walk the stack for USER.
 */
#ifndef K6_STACK_ACCOUNT_H
#define K6_STACK_ACCOUNT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "base/k6_status.h"
#include "core/pamd.h"

struct k6_account {
	char *user;
	bool exists;
	uid_t uid;
	gid_t gid;
	char *shell;
	char *home;
	gid_t *groups; /* primary included */
	size_t ngroups;
	const char *service;
	time_t now;
};

/* The account's facts from the name service; K6_NOMEM, else K6_OK (exists says). */
enum k6_status k6_account_load(struct k6_account *a, const char *user, const char *service);

void k6_account_free(struct k6_account *a);

/*
 * What the handler's module answers for a, when its answer depends on
 * nothing pam_k6ctl cannot see: true with *code and, in why, how it was
 * told ("uid 1000 is in k6users", "5 failures since 10:42").
 */
bool k6_account_answer(const struct k6_account *a, const struct k6_handler *h, int *code, char *why,
		       size_t len);

#endif
