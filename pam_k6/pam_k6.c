/* SPDX-License-Identifier: MIT */
/*
 * pam_k6: authenticate with a Grafana Cloud k6 API token.
 *
 * The only file that knows PAM: it reads the options, asks for the token,
 * hands it to the client, turns the verdict into a PAM code in one place
 * and exports what the k6 command line needs into the PAM environment.
 */
#include "config.h"

#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "cache.h"
#include "conf_file.h"
#include "k6_client.h"
#include "k6_status.h"
#include "log_escape.h"
#include "options.h"
#include "stack_url.h"
#include "token.h"
#include "users.h"

/* Where pam_sm_setcred finds what pam_sm_authenticate exported. */
#define ENV_DATA "pam_k6_environment"
/* libpam varies the delay by up to 50 % either way. */
#define FAIL_DELAY_USEC 2000000U
#define ENV_MAX 5

struct k6_env {
	size_t n;
	char *vars[ENV_MAX]; /* "NAME=value", as pam_putenv takes them */
};

/* Where an accepted answer came from. */
enum served {
	SERVED_ONLINE,  /* the API, just now */
	SERVED_CACHE,   /* a cached answer within cache_ttl: no request */
	SERVED_OFFLINE, /* a cached answer within offline_ttl: the API was unreachable */
};

/* What the log line says about the caller; every field already escaped. */
struct who {
	char user[160];
	char rhost[160];
	char tty[80];
};

/* The one place verdicts become PAM codes; a conversation's own code is kept. */
static int to_pam_code(enum k6_status st, int conv_rc)
{
	switch (st) {
	case K6_OK:
		return PAM_SUCCESS;
	case K6_DENIED:
	case K6_BAD_INPUT:
		return PAM_AUTH_ERR;
	case K6_UNAVAILABLE:
		return PAM_AUTHINFO_UNAVAIL;
	case K6_CONFIG:
		return PAM_SERVICE_ERR;
	case K6_NOMEM:
		return PAM_BUF_ERR;
	case K6_USER_UNKNOWN:
		return PAM_USER_UNKNOWN;
	case K6_CONV_ERR:
		return conv_rc != PAM_SUCCESS ? conv_rc : PAM_CONV_ERR;
	case K6_CONV_AGAIN:
		return PAM_INCOMPLETE;
	case K6_SYSTEM:
		return PAM_SYSTEM_ERR;
	}
	return PAM_SERVICE_ERR;
}

static const char *status_label(enum k6_status st)
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

static int status_priority(enum k6_status st)
{
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

static void read_who(pam_handle_t *pamh, const char *user, struct who *w)
{
	const void *item;

	k6_escape_str(w->user, sizeof(w->user), user, false);
	w->rhost[0] = '\0';
	w->tty[0] = '\0';
	if (pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS && item != NULL)
		k6_escape_str(w->rhost, sizeof(w->rhost), item, false);
	if (pam_get_item(pamh, PAM_TTY, &item) == PAM_SUCCESS && item != NULL)
		k6_escape_str(w->tty, sizeof(w->tty), item, false);
}

/* One line per outcome: verdict, who, where, why, and how long it took. */
static void log_outcome(pam_handle_t *pamh, enum k6_status st, const struct who *w,
			const struct k6_options *o, const struct k6_outcome *out,
			enum served served, long age, const char *reason)
{
	bool has_reason = reason != NULL && reason[0] != '\0';
	int priority = status_priority(st);
	char ids[96] = "";
	char time[32] = "";
	char cache[48] = "";

	if (st == K6_OK)
		snprintf(ids, sizeof(ids), " stack_id=%" PRId64 " project_id=%" PRId64,
			 out->result.stack_id, out->result.default_project_id);
	if (out->seconds > 0)
		snprintf(time, sizeof(time), " time=%.3fs", out->seconds);
	if (served != SERVED_ONLINE)
		snprintf(cache, sizeof(cache), " cache=%s age=%lds",
			 served == SERVED_CACHE ? "hit" : "offline", age);
	/* A login the API did not see, while it could not be reached, is news. */
	if (served == SERVED_OFFLINE)
		priority = LOG_WARNING;
	pam_syslog(pamh, priority, "auth %s: user=%s%s%s%s%s stack=%s%s%s%s%s%s%s",
		   status_label(st), w->user, w->rhost[0] != '\0' ? " rhost=" : "", w->rhost,
		   w->tty[0] != '\0' ? " tty=" : "", w->tty,
		   o->stack_url != NULL ? o->stack_url : "-", ids, cache, time,
		   has_reason ? " reason=\"" : "", has_reason ? reason : "",
		   has_reason ? "\"" : "");
}

static void log_debug(void *ctx, const char *line)
{
	pam_syslog(ctx, LOG_DEBUG, "%s", line);
}

/* Read and parse the users file named by users=. */
static enum k6_status load_users(const struct k6_options *o, struct k6_users *users, char *err,
				 size_t errlen)
{
	bool missing;
	char *text;
	size_t len;
	enum k6_status st = k6_read_trusted_file(o->users, 0, &text, &len, &missing, err, errlen);

	if (st != K6_OK)
		return st;
	st = k6_users_parse(o->users, text, len, users, err, errlen);
	free(text);
	return st;
}

/*
 * Who may use a token, and on which stack.  Without a users file: every
 * account but root (unless allow_root), on stack_url.  With one: the first
 * line that matches the account decides its stack, and pins its stack ID if
 * it names one; this call's options take them over.
 */
/* Say once per process that the cache cannot be used here, and why. */
static void report_cache(pam_handle_t *pamh, const struct k6_options *o, const struct k6_cache *c)
{
	static int told;
	char dir[160];

	if (c->why == NULL || __atomic_exchange_n(&told, 1, __ATOMIC_RELAXED) != 0)
		return;
	k6_escape_str(dir, sizeof(dir), o->cache_dir, false);
	pam_syslog(pamh, LOG_NOTICE, "cache %s: %s; logins are validated online", dir, c->why);
}

static void report_entry(pam_handle_t *pamh, const struct k6_cache_id *id, const char *problem)
{
	if (problem != NULL)
		pam_syslog(pamh, LOG_WARNING, "cache entry %.16s... ignored: %s", id->hex, problem);
}

/*
 * Ask the API, or the cache.  Within cache_ttl a cached answer saves the
 * request; a fresh answer is stored, a refusal deletes the record at once,
 * and when the API cannot be reached (never when its answer could not be
 * trusted) a record within offline_ttl stands in.  The policy checks that
 * follow treat a cached answer exactly as a fresh one.
 */
static enum k6_status validate(pam_handle_t *pamh, const struct k6_options *o, const char *token,
			       struct k6_outcome *out, enum served *served, long *age)
{
	struct k6_cache cache;
	struct k6_cache_id id;
	struct k6_cache_record rec;
	const char *problem = NULL;
	bool use_cache = o->cache_ttl > 0 || o->offline_ttl > 0;
	k6_debug_fn debug = o->debug ? log_debug : NULL;

	*served = SERVED_ONLINE;
	*age = 0;
	if (!use_cache)
		return k6_client_validate(o, token, out, debug, pamh);

	k6_cache_open(&cache, o->cache_dir);
	report_cache(pamh, o, &cache);
	k6_cache_id(&cache, token, o->stack_url, o->api_url, &id);
	if (k6_cache_get(&cache, &id, o->cache_ttl, &rec, &problem)) {
		memset(out, 0, sizeof(*out));
		out->status = K6_OK;
		out->result = rec.result;
		*served = SERVED_CACHE;
		*age = (long)(time(NULL) - rec.created);
		goto done;
	}
	report_entry(pamh, &id, problem);

	switch (k6_client_validate(o, token, out, debug, pamh)) {
	case K6_OK:
		k6_cache_put(&cache, &id, &out->result,
			     o->offline_ttl > o->cache_ttl ? o->offline_ttl : o->cache_ttl);
		k6_cache_prune(&cache, K6_CACHE_MAX_RECORDS);
		break;
	case K6_DENIED:
		/* Revoked: no cached answer may outlive the API's no. */
		k6_cache_delete(&cache, &id);
		break;
	case K6_UNAVAILABLE:
		if (!out->unreachable ||
		    !k6_cache_get(&cache, &id, o->offline_ttl, &rec, &problem)) {
			report_entry(pamh, &id, problem);
			break;
		}
		out->status = K6_OK;
		out->result = rec.result;
		*served = SERVED_OFFLINE;
		*age = (long)(time(NULL) - rec.created);
		break;
	default:
		break;
	}
done:
	k6_cache_close(&cache);
	return out->status;
}

static enum k6_status check_user(pam_handle_t *pamh, struct k6_options *o,
				 const struct k6_users *users, const char *user, const char **why)
{
	const struct passwd *pw = pam_modutil_getpwnam(pamh, user);
	const struct k6_user_rule *rule;
	gid_t *gids = NULL;
	size_t ngids = 0;
	enum k6_status st;

	if (pw == NULL) {
		*why = "no such user";
		return K6_USER_UNKNOWN;
	}
	if (o->users == NULL) {
		if (pw->pw_uid == 0 && !o->allow_root) {
			*why = "uid 0 may use a token only with allow_root";
			return K6_USER_UNKNOWN;
		}
		return K6_OK;
	}
	st = k6_user_groups(user, pw->pw_gid, &gids, &ngids);
	if (st != K6_OK)
		return st;
	rule = k6_users_match(users, user, pw->pw_uid, gids, ngids, k6_group_lookup_system);
	free(gids);
	if (rule == NULL) {
		*why = pw->pw_uid == 0 ? "no line of the users file names this uid 0 account" :
					 "no line of the users file matches";
		return K6_USER_UNKNOWN;
	}
	o->stack_url = strdup(rule->stack_url);
	o->stack_id = rule->stack_id;
	return o->stack_url != NULL ? K6_OK : K6_NOMEM;
}

/*
 * The token is asked for on its own.  PAM_AUTHTOK is read only when the
 * administrator said so: after pam_unix it holds the Unix password.  With
 * use_first_pass and nothing stored, *token stays NULL and *why says so.
 * A failed conversation leaves its PAM code in *conv_rc.
 */
static enum k6_status read_token(pam_handle_t *pamh, const struct k6_options *o, char **token,
				 const char **why, int *conv_rc)
{
	const void *item = NULL;
	char *resp = NULL;
	int rc;

	*token = NULL;
	if (o->try_first_pass || o->use_first_pass) {
		rc = pam_get_item(pamh, PAM_AUTHTOK, &item);
		if (rc == PAM_SUCCESS && item != NULL) {
			*token = strdup(item);
			return *token != NULL ? K6_OK : K6_NOMEM;
		}
		if (o->use_first_pass) {
			*why = "use_first_pass: no token was stored by an earlier module";
			return K6_OK;
		}
	}

	rc = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", o->prompt);
	if (rc != PAM_SUCCESS) {
		if (resp != NULL) {
			explicit_bzero(resp, strlen(resp));
			free(resp);
		}
		*why = pam_strerror(pamh, rc);
		*conv_rc = rc;
		return rc == PAM_CONV_AGAIN ? K6_CONV_AGAIN : K6_CONV_ERR;
	}
	/* A conversation may answer with no text at all: that is an empty answer. */
	*token = resp != NULL ? resp : strdup("");
	return *token != NULL ? K6_OK : K6_NOMEM;
}

static void env_free(struct k6_env *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++) {
		explicit_bzero(e->vars[i], strlen(e->vars[i]));
		free(e->vars[i]);
	}
	free(e);
}

static void env_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	env_free(data);
}

static bool env_add(struct k6_env *e, const char *name, const char *value)
{
	char *var;

	if (e->n == ENV_MAX || asprintf(&var, "%s=%s", name, value) < 0)
		return false;
	e->vars[e->n++] = var;
	return true;
}

/* Take back what an environment record put into the PAM environment. */
static void env_unset(pam_handle_t *pamh, const struct k6_env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		char name[32];
		size_t len = strcspn(e->vars[i], "=");

		if (len < sizeof(name)) {
			memcpy(name, e->vars[i], len);
			name[len] = '\0';
			pam_putenv(pamh, name);
		}
	}
}

/* A result an earlier call left in this handle is not this call's: drop it. */
static void env_forget(pam_handle_t *pamh)
{
	const void *data = NULL;

	if (pam_get_data(pamh, ENV_DATA, &data) == PAM_SUCCESS && data != NULL) {
		env_unset(pamh, data);
		pam_set_data(pamh, ENV_DATA, NULL, NULL);
	}
}

static enum k6_status env_build(const struct k6_options *o, const char *token,
				const struct k6_auth_result *r, struct k6_env **out)
{
	char stack_id[24];
	char project_id[24];
	struct k6_env *e = calloc(1, sizeof(*e));
	bool ok;

	*out = NULL;
	if (e == NULL)
		return K6_NOMEM;
	snprintf(stack_id, sizeof(stack_id), "%" PRId64, r->stack_id);
	snprintf(project_id, sizeof(project_id), "%" PRId64, r->default_project_id);
	ok = env_add(e, "K6_CLOUD_STACK_ID", stack_id) &&
	     env_add(e, "K6_CLOUD_PROJECT_ID", project_id) &&
	     env_add(e, "K6_CLOUD_STACK_URL", o->stack_url);
	if (ok && strcmp(o->api_url, K6_DEFAULT_API_URL) != 0)
		ok = env_add(e, "K6_CLOUD_HOST_V6", o->api_url);
	if (ok && o->export_token)
		ok = env_add(e, "K6_CLOUD_TOKEN", token);
	if (!ok) {
		env_free(e);
		return K6_NOMEM;
	}
	*out = e;
	return K6_OK;
}

/* pam_putenv copies each string; ours stay owned by the environment record. */
static int env_put(pam_handle_t *pamh, const struct k6_env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		int rc = pam_putenv(pamh, e->vars[i]);
		if (rc != PAM_SUCCESS)
			return rc;
	}
	return PAM_SUCCESS;
}

static enum k6_status env_export(pam_handle_t *pamh, const struct k6_options *o, const char *token,
				 const struct k6_auth_result *r, const char **why)
{
	struct k6_env *e = NULL;
	enum k6_status st = env_build(o, token, r, &e);
	int rc;

	if (st != K6_OK) {
		*why = "out of memory building the environment";
		return st;
	}
	rc = env_put(pamh, e);
	if (rc == PAM_SUCCESS)
		rc = pam_set_data(pamh, ENV_DATA, e, env_cleanup);
	if (rc != PAM_SUCCESS) {
		/* No half-exported result, and no token, stays behind. */
		env_unset(pamh, e);
		env_free(e);
		*why = pam_strerror(pamh, rc);
		return rc == PAM_BUF_ERR ? K6_NOMEM : K6_SYSTEM;
	}
	return K6_OK;
}

static void log_options(pam_handle_t *pamh, const struct k6_options *o)
{
	static const char *const resolve[] = { "any", "ipv4", "ipv6" };
	const char *first_pass = "no";

	if (o->use_first_pass)
		first_pass = "use";
	else if (o->try_first_pass)
		first_pass = "try";
	pam_syslog(pamh, LOG_DEBUG,
		   "options: stack_url=%s api_url=%s ca_file=%s ca_path=%s pinned_pubkey=%s "
		   "proxy=%s timeout=%ldms connect_timeout=%ldms ip_resolve=%s first_pass=%s "
		   "allow_root=%d export_token=%d nodelay=%d reuse_connection=%d",
		   o->stack_url, o->api_url, o->ca_file != NULL ? o->ca_file : "(system)",
		   o->ca_path != NULL ? o->ca_path : "(system)",
		   o->pinned_pubkey != NULL ? "set" : "none", o->proxy != NULL ? "set" : "none",
		   o->timeout_ms, o->connect_timeout_ms, resolve[o->ip_resolve], first_pass,
		   o->allow_root, o->export_token, o->nodelay, o->reuse_connection);
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct k6_options opts;
	struct k6_users users = { NULL, 0 };
	struct k6_outcome outcome;
	struct who who;
	char reason[K6_REASON_MAX] = "";
	const char *why = NULL;
	const char *user_why = NULL;
	const char *user = NULL;
	char *token = NULL;
	enum k6_status user_st;
	enum k6_status st;
	enum k6_token_verdict tv;
	enum served served = SERVED_ONLINE;
	long age = 0;
	int conv_rc = PAM_SUCCESS;
	int rc;

	rc = pam_get_user(pamh, &user, NULL);
	if (rc != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_ERR, "cannot determine the user name: %s",
			   pam_strerror(pamh, rc));
		return rc;
	}
	memset(&outcome, 0, sizeof(outcome));
	read_who(pamh, user, &who);
	env_forget(pamh);

	st = k6_options_init(&opts);
	if (st == K6_OK)
		st = k6_config_load(&opts, argc, argv, 0, reason, sizeof(reason));
	if (st == K6_OK && opts.users != NULL)
		st = load_users(&opts, &users, reason, sizeof(reason));
	if (st != K6_OK)
		goto out;
	if (opts.debug)
		log_options(pamh, &opts);

	/* Decide about the account now, say so only after the prompt. */
	user_st = check_user(pamh, &opts, &users, user, &user_why);
	st = read_token(pamh, &opts, &token, &why, &conv_rc);
	if (st != K6_OK)
		goto out;
	if (user_st != K6_OK) {
		st = user_st;
		why = user_why;
		goto out;
	}
	if (token == NULL) { /* use_first_pass, nothing stored; why says so */
		st = K6_BAD_INPUT;
		goto out;
	}
	tv = k6_token_screen(token);
	if (tv != K6_TOKEN_OK) {
		st = K6_BAD_INPUT;
		why = k6_token_verdict_str(tv);
		goto out;
	}

	st = validate(pamh, &opts, token, &outcome, &served, &age);
	if (served == SERVED_OFFLINE)
		snprintf(reason, sizeof(reason),
			 "the k6 API could not be reached (%.250s); "
			 "answered from the offline cache",
			 outcome.reason);
	else
		snprintf(reason, sizeof(reason), "%s", outcome.reason);
	if (st == K6_OK && opts.stack_id != 0 && outcome.result.stack_id != opts.stack_id) {
		/* The token is good, for a stack this account may not use. */
		st = K6_DENIED;
		snprintf(reason, sizeof(reason),
			 "the API answered stack_id %" PRId64 ", the pinned stack is %" PRId64,
			 outcome.result.stack_id, opts.stack_id);
	}
	if (st == K6_OK)
		st = env_export(pamh, &opts, token, &outcome.result, &why);

out:
	if (why != NULL)
		k6_escape_str(reason, sizeof(reason), why, true);
	log_outcome(pamh, st, &who, &opts, &outcome, served, age, reason);
	rc = to_pam_code(st, conv_rc);
	if (rc != PAM_SUCCESS && rc != PAM_INCOMPLETE && !opts.nodelay)
		pam_fail_delay(pamh, FAIL_DELAY_USEC);
	if (st == K6_UNAVAILABLE && !(flags & (int)PAM_SILENT))
		pam_error(pamh, "The k6 API could not be reached; please try again later.");
	if (token != NULL) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	k6_users_free(&users);
	k6_options_free(&opts);
	return rc;
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *data = NULL;
	int rc;

	(void)argc;
	(void)argv;
	/*
	 * Always PAM_SUCCESS: sshd treats a setcred error as fatal, and with
	 * keyboard-interactive the authentication ran in another process, so
	 * there may be nothing here to re-export.
	 */
	if (flags & (int)PAM_DELETE_CRED)
		return PAM_SUCCESS;
	if (pam_get_data(pamh, ENV_DATA, &data) != PAM_SUCCESS || data == NULL)
		return PAM_SUCCESS;
	rc = env_put(pamh, data);
	if (rc != PAM_SUCCESS)
		pam_syslog(pamh, LOG_ERR, "cannot re-export the k6 environment: %s",
			   pam_strerror(pamh, rc));
	return PAM_SUCCESS;
}
