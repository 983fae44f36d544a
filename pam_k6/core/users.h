/* SPDX-License-Identifier: MIT */
/*
 * The users file: who may log in with a k6 token, and against which stack.
 *
 *   # NAME     STACK                       [STACK_ID]
 *   alice      team-a                      12345
 *   @loadtest  https://team-b.grafana.net
 *   *          team-c
 *
 * NAME is a user, @group (primary or supplementary) or *; the first line
 * that matches wins.  An account with uid 0 matches only a line naming it.
 */
#ifndef K6_USERS_H
#define K6_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/k6_status.h"

struct k6_user_rule {
	char *name;       /* user, "@group" or "*" */
	char *stack_url;  /* normalised */
	int64_t stack_id; /* 0: not pinned */
	unsigned line;
};

struct k6_users {
	struct k6_user_rule *rules;
	size_t n;
};

/* Parse the file's text; errors name path:line.  Free with k6_users_free. */
enum k6_status k6_users_parse(const char *path, const char *text, size_t len, struct k6_users *out,
			      char *err, size_t errlen);

/* Read the users file at path (owned by owner, as safe_file.h rules) and parse it. */
enum k6_status k6_users_load(const char *path, uid_t owner, struct k6_users *out, char *err,
			     size_t errlen);

void k6_users_free(struct k6_users *u);

/* Looks a group up by name; false if there is no such group. */
typedef bool (*k6_group_lookup)(const char *name, gid_t *gid);

/*
 * The first rule that matches the account, or NULL.  gids are all the
 * account's groups, primary included.
 */
const struct k6_user_rule *k6_users_match(const struct k6_users *u, const char *user, uid_t uid,
					  const gid_t *gids, size_t ngids, k6_group_lookup lookup);

/* Group lookup through the system's name service (getgrnam_r). */
bool k6_group_lookup_system(const char *name, gid_t *gid);

/*
 * The account's groups through the name service (getgrouplist), primary
 * included, into a malloc'd array.
 */
enum k6_status k6_user_groups(const char *user, gid_t primary, gid_t **gids, size_t *ngids);

#endif
