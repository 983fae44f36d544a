/* SPDX-License-Identifier: MIT */
/*
 * One login, without PAM.  First the account: may it use a token, and on
 * which stack (k6_login_account).  Then the token: screening, the tokens
 * file, the cache or the API, the stack pin (k6_login_token).  pam_k6.so
 * and pam_k6ctl run exactly this; asking for the token and telling the
 * caller the result are theirs.
 */
#ifndef K6_LOGIN_H
#define K6_LOGIN_H

#include <stdint.h>

#include "base/k6_log.h"
#include "base/k6_status.h"
#include "core/options.h"
#include "core/outcome.h"
#include "core/tokens.h"
#include "core/users.h"

/* Where this login's token is checked: resolved per login, never configured. */
struct k6_target {
	char *stack_url;     /* normalised; NULL until the account is accepted */
	int64_t stack_id;    /* 0, or the stack ID the API must answer */
	unsigned users_line; /* the users file line that chose them, or 0 */
	char *account;       /* the account's own name, as the name service spells it */
};

/* Where an accepted answer came from. */
enum k6_served {
	K6_SERVED_ONLINE,  /* the API, just now */
	K6_SERVED_CACHE,   /* a cached answer within cache_ttl: no request */
	K6_SERVED_OFFLINE, /* a cached answer within offline_ttl: the API was unreachable */
};

/* What a login may do with the cache, when the options turn it on. */
enum k6_cache_use {
	K6_CACHE_FULL,     /* read, write, prune: the module */
	K6_CACHE_NO_WRITE, /* read; no new record (a refusal still deletes one) */
	K6_CACHE_NO_READ,  /* ask the API; no new record (a refusal still deletes one) */
};

struct k6_login {
	const struct k6_options *opts;
	enum k6_cache_use cache_use;
	const struct k6_users *users;   /* read from opts->users; empty without one */
	const struct k6_tokens *tokens; /* read from opts->tokens; empty without one */
	k6_log_fn log;                  /* notices and debug lines; may be NULL */
	void *log_ctx;
	struct k6_target target;
	struct k6_outcome outcome;            /* the API's (or the cache's) answer */
	const struct k6_token_line *enrolled; /* the tokens file line the token matched */
	enum k6_served served;
	bool offline_withheld;      /* unreachable, but no offline window for this caller */
	long age;                   /* seconds since a cached answer was made */
	char reason[K6_REASON_MAX]; /* why, escaped for the log; "" when nothing to say */
};

void k6_login_init(struct k6_login *l, const struct k6_options *o, const struct k6_users *users,
		   const struct k6_tokens *tokens, k6_log_fn log, void *log_ctx);
void k6_login_free(struct k6_login *l);

/*
 * May user log in with a token, and on which stack?  Without a users file:
 * every account but root (unless allow_root), on stack_url.  With one: the
 * first line that matches the account decides its stack, and pins its
 * stack ID if it names one.  With a tokens file, only an account it has
 * lines for.  K6_OK sets l->target; K6_USER_UNKNOWN says why in l->reason.
 */
enum k6_status k6_login_account(struct k6_login *l, const char *user);

/*
 * What the token is worth on l->target: screened (K6_BAD_INPUT), then,
 * with a tokens file, matched against the account's lines (K6_DENIED when
 * none matches: neither the cache nor the API is asked), then answered by
 * the cache or the API, then held against the stack pin.  K6_OK fills
 * l->outcome.result.
 */
enum k6_status k6_login_token(struct k6_login *l, const char *token);

/* The verdict in a word or two, as the log line says it. */
const char *k6_status_label(enum k6_status st);

/* The syslog priority of the login's outcome line. */
int k6_login_priority(const struct k6_login *l, enum k6_status st);

/*
 * The one line that tells a login's outcome: verdict, who (already
 * escaped "user=... rhost=..." fields), stack, IDs, cache, time, reason.
 */
void k6_login_describe(const struct k6_login *l, enum k6_status st, const char *who,
		       const char *reason, char *line, size_t len);

#endif
