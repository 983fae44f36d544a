/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log_escape.h"
#include "core/cache.h"
#include "core/late.h"
#include "core/login.h"
#include "core/token.h"

void k6_login_init(struct k6_login *l, const struct k6_options *o, const struct k6_users *users,
		   const struct k6_tokens *tokens, k6_log_fn log, void *log_ctx)
{
	memset(l, 0, sizeof(*l));
	l->opts = o;
	l->users = users;
	l->tokens = tokens;
	l->log = log;
	l->log_ctx = log_ctx;
}

void k6_login_free(struct k6_login *l)
{
	free(l->target.stack_url);
	free(l->target.account);
	l->target.stack_url = NULL;
	l->target.account = NULL;
}

static void say(struct k6_login *l, const char *why)
{
	k6_escape_str(l->reason, sizeof(l->reason), why, true);
}

/*
 * The account's passwd entry in *pw, its strings in *buf (freed by the
 * caller).  No entry is K6_USER_UNKNOWN; a name service that fails (an
 * LDAP server down) is K6_SYSTEM, not an unknown user.
 */
static enum k6_status lookup(struct k6_login *l, const char *user, struct passwd *pw, char **buf)
{
	struct passwd *found = NULL;
	size_t size = 1024;
	int rc;

	*buf = NULL;
	for (;;) {
		char *grown = realloc(*buf, size);

		if (grown == NULL) {
			say(l, "out of memory");
			return K6_NOMEM;
		}
		*buf = grown;
		rc = getpwnam_r(user, pw, *buf, size, &found);
		if (rc != ERANGE || size >= (size_t)1024 * 1024)
			break;
		size *= 2;
	}
	if (found != NULL)
		return K6_OK;
	switch (rc) {
	case 0:
	case ENOENT:
	case ESRCH:
	case EBADF:
	case EPERM:
		say(l, "no such user");
		return K6_USER_UNKNOWN;
	case ENOMEM:
		say(l, "out of memory");
		return K6_NOMEM;
	default:
		snprintf(l->reason, sizeof(l->reason),
			 "the name service could not look the account up: %s", strerror(rc));
		return K6_SYSTEM;
	}
}

/*
 * The account's own name decides, and its groups are looked up under it:
 * where the name service ignores case, "ALICE" is the alice account and
 * must meet alice's line, not the one for everyone else.
 */
static enum k6_status by_users_file(struct k6_login *l, const struct passwd *pw)
{
	const struct k6_user_rule *rule;
	gid_t *gids = NULL;
	size_t ngids = 0;
	enum k6_status st = k6_user_groups(pw->pw_name, pw->pw_gid, &gids, &ngids);

	if (st != K6_OK)
		return st;
	rule = k6_users_match(l->users, pw->pw_name, pw->pw_uid, gids, ngids,
			      k6_group_lookup_system);
	free(gids);
	if (rule == NULL) {
		say(l, pw->pw_uid == 0 ? "no line of the users file names this uid 0 account" :
					 "no line of the users file matches");
		return K6_USER_UNKNOWN;
	}
	l->target.stack_url = strdup(rule->stack_url);
	l->target.stack_id = rule->stack_id;
	l->target.users_line = rule->line;
	return l->target.stack_url != NULL ? K6_OK : K6_NOMEM;
}

/*
 * With a tokens file, the account's own name (as for the users file) must
 * have lines in it; they are matched once the token is in.
 */
static enum k6_status by_tokens_file(struct k6_login *l, const struct passwd *pw)
{
	if (l->opts->tokens == NULL)
		return K6_OK;
	if (k6_tokens_count(l->tokens, pw->pw_name) == 0) {
		say(l, "no line of the tokens file names this account");
		return K6_USER_UNKNOWN;
	}
	l->target.account = strdup(pw->pw_name);
	return l->target.account != NULL ? K6_OK : K6_NOMEM;
}

enum k6_status k6_login_account(struct k6_login *l, const char *user)
{
	const struct k6_options *o = l->opts;
	struct passwd pwbuf;
	char *buf = NULL;
	enum k6_status st;

	/* Without a users file the stack is the configured one, whoever asks. */
	if (o->users == NULL) {
		l->target.stack_url = strdup(o->stack_url);
		l->target.stack_id = o->stack_id;
		if (l->target.stack_url == NULL)
			return K6_NOMEM;
	}
	st = lookup(l, user, &pwbuf, &buf);
	if (st == K6_OK && o->users != NULL) {
		st = by_users_file(l, &pwbuf);
	} else if (st == K6_OK && pwbuf.pw_uid == 0 && !o->allow_root) {
		st = K6_USER_UNKNOWN;
		say(l, "uid 0 may use a token only with allow_root");
	}
	if (st == K6_OK)
		st = by_tokens_file(l, &pwbuf);
	free(buf);
	return st;
}

/* Say once per process that the cache cannot be used here, and why. */
static void report_cache(const struct k6_login *l, const struct k6_cache *c)
{
	static int told;
	char dir[160];

	if (c->why == NULL || __atomic_exchange_n(&told, 1, __ATOMIC_RELAXED) != 0)
		return;
	k6_escape_str(dir, sizeof(dir), l->opts->cache_dir, false);
	k6_logf(l->log, l->log_ctx, LOG_NOTICE, "cache %s: %s; logins are validated online", dir,
		c->why);
}

static void report_entry(const struct k6_login *l, const struct k6_cache_name *name,
			 const char *problem)
{
	if (problem != NULL)
		k6_logf(l->log, l->log_ctx, LOG_WARNING, "cache entry %.16s... ignored: %s",
			name->hex, problem);
}

static void served_from(struct k6_login *l, const struct k6_cache_record *rec,
			enum k6_served served)
{
	l->outcome.status = K6_OK;
	l->outcome.result = rec->result;
	l->served = served;
	l->age = (long)(time(NULL) - rec->created);
}

/*
 * The offline window is for a host cut off from the API, and only a caller
 * that root runs gets it.  A caller whose real user is not root (sudo, su,
 * any set-user-ID program) runs on that user's terms: they can stop it for
 * longer than timeout= (SIGSTOP, ^Z) or starve it of descriptors or memory,
 * and make an API that works look unreachable.  The cache_ttl window is
 * another matter: it hangs on nothing but the age of a record root wrote
 * and root's clock, which such a user cannot move.
 */
static bool may_answer_offline(struct k6_login *l)
{
	if (getuid() == 0)
		return true;
	l->offline_withheld = true;
	if (l->opts->debug)
		k6_logf(l->log, l->log_ctx, LOG_DEBUG,
			"the offline window is not used for a caller whose real user (uid %ld) "
			"is not root",
			(long)getuid());
	return false;
}

/*
 * The request, through the network part (loaded now if this process has
 * not needed it before); without it nothing can be asked: the site's
 * installation is broken, a configuration error.
 */
static enum k6_status ask_api(struct k6_login *l, const char *token)
{
	char why[300];
	const struct k6_net_ops *net = k6_net(why, sizeof(why));

	if (net == NULL) {
		memset(&l->outcome, 0, sizeof(l->outcome));
		l->outcome.status = K6_CONFIG;
		k6_escape_str(l->outcome.reason, sizeof(l->outcome.reason), why, true);
		return K6_CONFIG;
	}
	return net->validate(l->opts, l->target.stack_url, token, &l->outcome, l->log, l->log_ctx);
}

/*
 * Ask the API, or the cache.  Within cache_ttl a cached answer saves the
 * request; a fresh answer is stored, a refusal deletes the record at once,
 * and when the API cannot be reached (never when its answer could not be
 * trusted, never for a caller that is not root's) a record within
 * offline_ttl stands in.  The policy checks that follow treat a cached
 * answer exactly as a fresh one.
 */
static enum k6_status validate(struct k6_login *l, const char *token)
{
	const struct k6_options *o = l->opts;
	/*
	 * A record answers only for what decided the API's answer and whom
	 * the request trusted: a service with another trust store, pin or
	 * proxy must not be answered from this one's records.
	 */
	const char *fields[] = { l->target.stack_url,
				 o->api_url,
				 o->ca_file != NULL ? o->ca_file : "",
				 o->ca_path != NULL ? o->ca_path : "",
				 o->pinned_pubkey != NULL ? o->pinned_pubkey : "",
				 o->proxy != NULL ? o->proxy : "" };
	struct k6_cache cache;
	struct k6_cache_name name;
	struct k6_cache_record rec;
	const char *problem = NULL;

	if (o->cache_ttl == 0 && o->offline_ttl == 0)
		return ask_api(l, token);

	k6_cache_open(&cache, o->cache_dir);
	report_cache(l, &cache);
	k6_cache_name(&cache, token, fields, sizeof(fields) / sizeof(fields[0]), &name);
	if (l->cache_use != K6_CACHE_NO_READ &&
	    k6_cache_get(&cache, &name, o->cache_ttl, &rec, &problem)) {
		memset(&l->outcome, 0, sizeof(l->outcome));
		served_from(l, &rec, K6_SERVED_CACHE);
		goto done;
	}
	report_entry(l, &name, problem);

	switch (ask_api(l, token)) {
	case K6_OK:
		if (l->cache_use != K6_CACHE_FULL)
			break;
		k6_cache_put(&cache, &name, &l->outcome.result, l->target.stack_url,
			     o->offline_ttl > o->cache_ttl ? o->offline_ttl : o->cache_ttl);
		k6_cache_prune(&cache, K6_CACHE_MAX_RECORDS);
		break;
	case K6_DENIED:
		/* Revoked: no cached answer may outlive the API's no. */
		k6_cache_delete(&cache, &name);
		break;
	case K6_UNAVAILABLE:
		if (!l->outcome.unreachable || o->offline_ttl == 0 || !may_answer_offline(l) ||
		    l->cache_use == K6_CACHE_NO_READ ||
		    !k6_cache_get(&cache, &name, o->offline_ttl, &rec, &problem)) {
			report_entry(l, &name, problem);
			break;
		}
		served_from(l, &rec, K6_SERVED_OFFLINE);
		break;
	default:
		break;
	}
done:
	k6_cache_close(&cache);
	return l->outcome.status;
}

/*
 * Say which of the account's lines are never hashed against, one log line
 * each, and how many there are.
 */
static size_t report_unusable(const struct k6_login *l)
{
	const struct k6_tokens *t = l->tokens;
	char path[160];
	size_t n = 0;
	size_t i;

	k6_escape_str(path, sizeof(path), l->opts->tokens, false);
	for (i = 0; i < t->n; i++) {
		if (t->lines[i].unusable == NULL ||
		    strcmp(t->lines[i].user, l->target.account) != 0)
			continue;
		k6_logf(l->log, l->log_ctx, LOG_WARNING, "tokens file %s:%u skipped: %s", path,
			t->lines[i].line, t->lines[i].unusable);
		n++;
	}
	return n;
}

/*
 * The token must be one enrolled for the account: a token that is not
 * never leaves the host, and no cached answer stands in for the match.
 */
static enum k6_status enrolled(struct k6_login *l, const char *token)
{
	char why[K6_REASON_MAX] = "";
	enum k6_status st;
	size_t skipped;

	if (l->opts->tokens == NULL)
		return K6_OK;
	if (l->target.account == NULL) {
		say(l, "no account was looked up for the tokens file");
		return K6_SYSTEM;
	}
	skipped = report_unusable(l);
	st = k6_tokens_match(l->tokens, l->target.account, token, &l->enrolled, why, sizeof(why));
	if (st == K6_DENIED) {
		size_t n = k6_tokens_count(l->tokens, l->target.account) - skipped;
		char more[64] = "";

		if (skipped > 0)
			snprintf(more, sizeof(more), " (%zu more skipped)", skipped);
		if (strnlen(token, K6_HASH_TOKEN_MAX + 1) > K6_HASH_TOKEN_MAX)
			snprintf(why, sizeof(why),
				 "no tokens file line can be made for a token longer than %d bytes",
				 K6_HASH_TOKEN_MAX);
		else
			snprintf(why, sizeof(why),
				 "the token matches none of the %zu line%s of the tokens file for "
				 "this account%s",
				 n, n == 1 ? "" : "s", more);
	}
	if (st != K6_OK)
		say(l, why);
	else if (l->opts->debug)
		k6_logf(l->log, l->log_ctx, LOG_DEBUG, "tokens file line %u matches",
			l->enrolled->line);
	return st;
}

enum k6_status k6_login_token(struct k6_login *l, const char *token)
{
	enum k6_token_verdict tv = k6_token_screen(token);
	enum k6_status st;

	if (tv != K6_TOKEN_OK) {
		say(l, k6_token_verdict_str(tv));
		return K6_BAD_INPUT;
	}
	st = enrolled(l, token);
	if (st != K6_OK)
		return st;
	st = validate(l, token);
	if (l->served == K6_SERVED_OFFLINE)
		snprintf(l->reason, sizeof(l->reason),
			 "the k6 API could not be reached (%.250s); "
			 "answered from the offline cache",
			 l->outcome.reason);
	else if (l->offline_withheld)
		snprintf(l->reason, sizeof(l->reason),
			 "%.230s; the offline window is not used for a caller whose real user is "
			 "not root",
			 l->outcome.reason);
	else
		snprintf(l->reason, sizeof(l->reason), "%s", l->outcome.reason);
	if (st == K6_OK && l->target.stack_id != 0 &&
	    l->outcome.result.stack_id != l->target.stack_id) {
		/* The token is good, for a stack this account may not use. */
		st = K6_DENIED;
		snprintf(l->reason, sizeof(l->reason),
			 "the API answered stack_id %" PRId64 ", the pinned stack is %" PRId64,
			 l->outcome.result.stack_id, l->target.stack_id);
	}
	/*
	 * The login stands; k6 itself cannot use such a stack: it sends the
	 * stack ID as an int32 and refuses a larger one ("overflows int32").
	 */
	if (st == K6_OK && l->outcome.result.stack_id > INT32_MAX)
		k6_logf(l->log, l->log_ctx, LOG_WARNING,
			"stack_id %" PRId64 " is above %" PRId32
			": k6 refuses it (\"stack ID %" PRId64
			" overflows int32\"), so k6 cloud run cannot use this stack",
			l->outcome.result.stack_id, INT32_MAX, l->outcome.result.stack_id);
	return st;
}

const char *k6_status_label(enum k6_status st)
{
	switch (st) {
	case K6_OK:
		return "success";
	case K6_DENIED:
		return "denied";
	case K6_BAD_INPUT:
		return "not a token";
	case K6_UNAVAILABLE:
		return "api unavailable";
	case K6_CONFIG:
		return "configuration error";
	case K6_NOMEM:
		return "out of memory";
	case K6_USER_UNKNOWN:
		return "user unknown";
	case K6_CONV_ERR:
		return "conversation failed";
	case K6_CONV_AGAIN:
		return "conversation incomplete";
	case K6_SYSTEM:
		return "system error";
	}
	return "error";
}

int k6_login_priority(const struct k6_login *l, enum k6_status st)
{
	/* A login the API did not see, while it could not be reached, is news. */
	if (st == K6_OK && l->served == K6_SERVED_OFFLINE)
		return LOG_WARNING;
	switch (st) {
	case K6_OK:
		return LOG_INFO;
	case K6_DENIED:
	case K6_BAD_INPUT:
	case K6_USER_UNKNOWN:
	case K6_CONV_AGAIN:
		return LOG_NOTICE;
	case K6_NOMEM:
		return LOG_CRIT;
	case K6_UNAVAILABLE:
	case K6_CONFIG:
	case K6_CONV_ERR:
	case K6_SYSTEM:
		break;
	}
	return LOG_ERR;
}

void k6_login_describe(const struct k6_login *l, enum k6_status st, const char *who,
		       const char *reason, char *line, size_t len)
{
	bool has_reason = reason != NULL && reason[0] != '\0';
	char ids[128] = "";
	char time[32] = "";
	char cache[48] = "";

	/* Which enrolled token it was, as sshd names the key that logged in. */
	if (st == K6_OK && l->enrolled != NULL)
		snprintf(ids, sizeof(ids),
			 " stack_id=%" PRId64 " project_id=%" PRId64 " tokens_line=%u",
			 l->outcome.result.stack_id, l->outcome.result.default_project_id,
			 l->enrolled->line);
	else if (st == K6_OK)
		snprintf(ids, sizeof(ids), " stack_id=%" PRId64 " project_id=%" PRId64,
			 l->outcome.result.stack_id, l->outcome.result.default_project_id);
	if (l->outcome.seconds > 0)
		snprintf(time, sizeof(time), " time=%.3fs", l->outcome.seconds);
	if (l->served != K6_SERVED_ONLINE)
		snprintf(cache, sizeof(cache), " cache=%s age=%lds",
			 l->served == K6_SERVED_CACHE ? "hit" : "offline", l->age);
	snprintf(line, len, "auth %s: %s stack=%s%s%s%s%s%s%s", k6_status_label(st), who,
		 l->target.stack_url != NULL ? l->target.stack_url : "-", ids, cache, time,
		 has_reason ? " reason=\"" : "", has_reason ? reason : "", has_reason ? "\"" : "");
}
