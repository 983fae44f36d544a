/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log_escape.h"
#include "core/line_file.h"
#include "core/options.h"
#include "core/stack_url.h"
#include "core/users.h"

#define FIELDS_MAX 4

/* A user or group name as useradd would allow, or "*". */
static bool valid_name(const char *s)
{
	size_t n = strlen(s);
	size_t i;

	if (strcmp(s, "*") == 0)
		return true;
	if (s[0] == '@') {
		s++;
		n--;
	}
	if (n == 0 || n > 256 || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == ':' || c == '/' || c == '@' || c == '*')
			return false;
	}
	return true;
}

static enum k6_status add_rule(struct k6_users *u, const char **field, unsigned line, char *why,
			       size_t whylen)
{
	struct k6_user_rule rule = { NULL, NULL, 0, line };
	struct k6_user_rule *grown;
	const char *w = NULL;
	enum k6_status st;

	if (!valid_name(field[0])) {
		snprintf(why, whylen, "the first field must be a user, @group or *");
		return K6_CONFIG;
	}
	st = k6_stack_url_normalise(field[1], &rule.stack_url, &w);
	if (st != K6_OK) {
		snprintf(why, whylen, "%s", w != NULL ? w : "is invalid");
		return st;
	}
	if (field[2] != NULL && !k6_parse_id(field[2], &rule.stack_id)) {
		free(rule.stack_url);
		snprintf(why, whylen, "the stack ID must be a whole number from 1 to %" PRId64,
			 INT64_MAX);
		return K6_CONFIG;
	}
	rule.name = strdup(field[0]);
	grown = realloc(u->rules, (u->n + 1) * sizeof(*u->rules));
	if (rule.name == NULL || grown == NULL) {
		free(rule.name);
		free(rule.stack_url);
		if (grown != NULL)
			u->rules = grown;
		return K6_NOMEM;
	}
	u->rules = grown;
	u->rules[u->n++] = rule;
	return K6_OK;
}

/* One line: "NAME STACK [STACK_ID]", a comment from a field that starts with '#'. */
static enum k6_status users_line(void *ctx, char *buf, unsigned line, char *why, size_t whylen)
{
	const char *field[FIELDS_MAX] = { NULL };
	char *save = NULL;
	char *tok;
	size_t nf = 0;

	for (tok = strtok_r(buf, " \t\r", &save); tok != NULL && nf < FIELDS_MAX;
	     tok = strtok_r(NULL, " \t\r", &save)) {
		if (tok[0] == '#')
			break; /* the rest of the line is a comment */
		field[nf++] = tok;
	}
	if (nf == 0)
		return K6_OK;
	if (nf < 2 || nf > 3) {
		snprintf(why, whylen, "want NAME STACK [STACK_ID], found %zu field%s", nf,
			 nf == 1 ? "" : "s or more");
		return K6_CONFIG;
	}
	return add_rule(ctx, field, line, why, whylen);
}

static void users_clear(void *out)
{
	k6_users_free(out);
}

static const struct k6_line_format users_format = { sizeof(struct k6_users), users_line,
						    users_clear };

enum k6_status k6_users_parse(const char *path, const char *text, size_t len, struct k6_users *out,
			      char *err, size_t errlen)
{
	return k6_line_file_parse(&users_format, path, text, len, out, err, errlen);
}

enum k6_status k6_users_load(const char *path, uid_t owner, struct k6_users *out, char *err,
			     size_t errlen)
{
	return k6_line_file_load(&users_format, path, owner, out, err, errlen);
}

void k6_users_free(struct k6_users *u)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		free(u->rules[i].name);
		free(u->rules[i].stack_url);
	}
	free(u->rules);
	u->rules = NULL;
	u->n = 0;
}

static bool in_groups(gid_t gid, const gid_t *gids, size_t ngids)
{
	size_t i;

	for (i = 0; i < ngids; i++)
		if (gids[i] == gid)
			return true;
	return false;
}

const struct k6_user_rule *k6_users_match(const struct k6_users *u, const char *user, uid_t uid,
					  const gid_t *gids, size_t ngids, k6_group_lookup lookup)
{
	size_t i;

	for (i = 0; i < u->n; i++) {
		const struct k6_user_rule *r = &u->rules[i];
		gid_t gid;

		if (strcmp(r->name, user) == 0)
			return r;
		/* Root is let in by name only, never by a wildcard or a group. */
		if (uid == 0)
			continue;
		if (strcmp(r->name, "*") == 0)
			return r;
		if (r->name[0] == '@' && lookup(r->name + 1, &gid) && in_groups(gid, gids, ngids))
			return r;
	}
	return NULL;
}

bool k6_group_lookup_system(const char *name, gid_t *gid)
{
	struct group grp;
	struct group *found = NULL;
	char *buf = NULL;
	size_t size = 1024;
	int rc;

	do {
		char *grown = realloc(buf, size);

		if (grown == NULL)
			break;
		buf = grown;
		rc = getgrnam_r(name, &grp, buf, size, &found);
		size *= 2;
	} while (rc == ERANGE && size <= (size_t)1024 * 1024);
	if (found != NULL)
		*gid = found->gr_gid;
	free(buf);
	return found != NULL;
}

enum k6_status k6_user_groups(const char *user, gid_t primary, gid_t **gids, size_t *ngids)
{
	int n = 32;

	*gids = NULL;
	*ngids = 0;
	for (;;) {
		gid_t *list = realloc(*gids, (size_t)n * sizeof(gid_t));
		int want = n;

		if (list == NULL) {
			free(*gids);
			*gids = NULL;
			return K6_NOMEM;
		}
		*gids = list;
		if (getgrouplist(user, primary, list, &want) >= 0) {
			*ngids = (size_t)want;
			return K6_OK;
		}
		/* want now holds how many there are. */
		if (want <= n || want > 65536) {
			*ngids = (size_t)n;
			return K6_OK;
		}
		n = want;
	}
}
