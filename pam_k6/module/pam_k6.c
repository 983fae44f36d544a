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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <security/pam_modutil.h>

#include "base/k6_status.h"
#include "base/log_escape.h"
#include "base/secret.h"
#include "core/conf_file.h"
#include "core/k6_env.h"
#include "core/login.h"
#include "core/options.h"
#include "core/pam_code.h"
#include "core/tokens.h"
#include "core/users.h"

/* Where pam_sm_setcred finds what pam_sm_authenticate exported. */
#define ENV_DATA "pam_k6_environment"
/*
 * How the last authentication went, for the session line: in the PAM
 * environment, the one thing that reaches the session when sshd runs the
 * authentication in another process.  The session line takes it out.
 */
#define AUTH_VAR "PAM_K6_AUTH"
/* libpam varies the delay by up to 50 % either way. */
#define FAIL_DELAY_USEC 2000000U
/* An outcome line: the reason, the stack and who asked, all bounded. */
#define LINE_MAX_LEN 4096

/* A failed conversation keeps its own code; every other verdict is pam_code.c's. */
static int to_pam_code(enum k6_status st, int conv_rc)
{
	if (st == K6_CONV_ERR && conv_rc != PAM_SUCCESS)
		return conv_rc;
	return k6_pam_code(st);
}

/* "user=... rhost=... tty=...": who asked, every field escaped. */
static void read_who(pam_handle_t *pamh, const char *user, char *who, size_t len)
{
	const void *item;
	char name[160];
	char rhost[160] = "";
	char tty[80] = "";

	k6_escape_str(name, sizeof(name), user, false);
	if (pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS && item != NULL)
		k6_escape_str(rhost, sizeof(rhost), item, false);
	if (pam_get_item(pamh, PAM_TTY, &item) == PAM_SUCCESS && item != NULL)
		k6_escape_str(tty, sizeof(tty), item, false);
	snprintf(who, len, "user=%s%s%s%s%s", name, rhost[0] != '\0' ? " rhost=" : "", rhost,
		 tty[0] != '\0' ? " tty=" : "", tty);
}

static void log_line(void *ctx, int priority, const char *line)
{
	pam_syslog(ctx, priority, "%s", line);
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
		k6_free_secret(resp);
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
	if (e == NULL)
		return;
	k6_env_clear(e);
	free(e);
}

static void env_cleanup(pam_handle_t *pamh, void *data, int error_status)
{
	(void)pamh;
	(void)error_status;
	env_free(data);
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

static enum k6_status env_export(pam_handle_t *pamh, const struct k6_login *l, const char *token,
				 const char **why)
{
	struct k6_env *e = calloc(1, sizeof(*e));
	int rc;

	if (e == NULL ||
	    k6_env_build(e, l->opts, l->target.stack_url, token, &l->outcome.result) != K6_OK) {
		free(e);
		*why = "out of memory building the environment";
		return K6_NOMEM;
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
	char line[LINE_MAX_LEN];

	k6_options_line(o, line, sizeof(line));
	pam_syslog(pamh, LOG_DEBUG, "options: version=%s %s", PACKAGE_VERSION, line);
}

/* What this login resolved: the stack it is checked on, and what chose it. */
static void log_target(pam_handle_t *pamh, const struct k6_target *t)
{
	char line[64] = "";

	if (t->users_line != 0)
		snprintf(line, sizeof(line), " (users file line %u)", t->users_line);
	pam_syslog(pamh, LOG_DEBUG, "target: stack_url=%s stack_id=%" PRId64 "%s", t->stack_url,
		   t->stack_id, line);
}

/* libpam logs the deletion of a variable it does not hold: only one that is there. */
static void forget_auth(pam_handle_t *pamh)
{
	if (pam_getenv(pamh, AUTH_VAR) != NULL)
		pam_putenv(pamh, AUTH_VAR);
}

/* What the session line will say of this login; nothing while it may resume. */
static void remember_auth(pam_handle_t *pamh, int rc)
{
	char var[64];

	if (rc == PAM_INCOMPLETE)
		return;
	snprintf(var, sizeof(var), "%s=%s", AUTH_VAR, k6_session_word(rc));
	if (pam_putenv(pamh, var) != PAM_SUCCESS)
		pam_syslog(pamh, LOG_ERR, "cannot keep the outcome for the session line");
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct k6_options opts;
	struct k6_users users = { NULL, 0 };
	struct k6_tokens tokens = { NULL, 0 };
	struct k6_login login;
	char who[420];
	char line[LINE_MAX_LEN];
	char reason[K6_REASON_MAX] = "";
	const char *why = NULL;
	const char *user = NULL;
	char *token = NULL;
	enum k6_status user_st;
	enum k6_status st;
	int conv_rc = PAM_SUCCESS;
	int rc;

	rc = pam_get_user(pamh, &user, NULL);
	if (rc != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_ERR, "cannot determine the user name: %s",
			   pam_strerror(pamh, rc));
		return rc;
	}
	read_who(pamh, user, who, sizeof(who));
	env_forget(pamh);
	forget_auth(pamh);
	k6_login_init(&login, &opts, &users, &tokens, log_line, pamh);

	st = k6_options_init(&opts);
	if (st == K6_OK)
		st = k6_config_load(&opts, argc, argv, 0, reason, sizeof(reason));
	if (st == K6_OK && opts.users != NULL)
		st = k6_users_load(opts.users, 0, &users, reason, sizeof(reason));
	if (st == K6_OK && opts.tokens != NULL)
		st = k6_tokens_load(opts.tokens, 0, &tokens, reason, sizeof(reason));
	if (st != K6_OK)
		goto out;
	reason[0] = '\0';
	if (opts.debug)
		log_options(pamh, &opts);

	/* Decide about the account now, say so only after the prompt. */
	user_st = k6_login_account(&login, user);
	if (user_st == K6_OK && opts.debug)
		log_target(pamh, &login.target);
	st = read_token(pamh, &opts, &token, &why, &conv_rc);
	if (st != K6_OK)
		goto out;
	if (user_st != K6_OK) {
		st = user_st;
		why = NULL; /* the account's refusal, in login.reason, is what counts */
		goto out;
	}
	if (token == NULL) { /* use_first_pass, nothing stored; why says so */
		st = K6_BAD_INPUT;
		goto out;
	}
	st = k6_login_token(&login, token);
	if (st == K6_OK)
		st = env_export(pamh, &login, token, &why);

out:
	if (why != NULL)
		k6_escape_str(reason, sizeof(reason), why, true);
	else if (login.reason[0] != '\0')
		memcpy(reason, login.reason, sizeof(reason));
	k6_login_describe(&login, st, who, reason, line, sizeof(line));
	pam_syslog(pamh, k6_login_priority(&login, st), "%s", line);
	rc = to_pam_code(st, conv_rc);
	remember_auth(pamh, rc);
	if (rc != PAM_SUCCESS && rc != PAM_INCOMPLETE && !opts.nodelay)
		pam_fail_delay(pamh, FAIL_DELAY_USEC);
	if (st == K6_UNAVAILABLE && !(flags & (int)PAM_SILENT))
		pam_error(pamh, "The k6 API could not be reached; please try again later.");
	k6_free_secret(token);
	k6_login_free(&login);
	k6_tokens_free(&tokens);
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

/*
 * One line per session opened: how its login was authenticated.  It
 * decides nothing (PAM_IGNORE), and takes the outcome out of the PAM
 * environment, so that it does not reach the session's.
 */
PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *item = NULL;
	const char *user = NULL;
	const char *word = pam_getenv(pamh, AUTH_VAR);
	char service[80] = "";
	char ruser[160] = "";
	char who[420];

	(void)flags;
	(void)argc;
	(void)argv;
	if (word == NULL)
		word = "not-asked";
	else if (!k6_session_word_known(word))
		word = "error";
	if (pam_get_item(pamh, PAM_USER, &item) == PAM_SUCCESS && item != NULL)
		user = item;
	read_who(pamh, user != NULL ? user : "", who, sizeof(who));
	/* sudo opens the session of the target user; who asked is the remote user. */
	if (pam_get_item(pamh, PAM_RUSER, &item) == PAM_SUCCESS && item != NULL)
		k6_escape_str(ruser, sizeof(ruser), item, false);
	if (pam_get_item(pamh, PAM_SERVICE, &item) == PAM_SUCCESS && item != NULL)
		k6_escape_str(service, sizeof(service), item, false);
	if (strcmp(word, "token") == 0)
		pam_syslog(pamh, LOG_INFO, "session opened: %s%s%s service=%s by=token", who,
			   ruser[0] != '\0' ? " ruser=" : "", ruser, service);
	else
		pam_syslog(pamh, k6_session_word_fallback(word) ? LOG_NOTICE : LOG_INFO,
			   "session opened: %s%s%s service=%s by=other k6=%s", who,
			   ruser[0] != '\0' ? " ruser=" : "", ruser, service, word);
	forget_auth(pamh);
	return PAM_IGNORE;
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_IGNORE;
}
