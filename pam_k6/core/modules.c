/* SPDX-License-Identifier: MIT */
/*
 * The modules pam_k6ctl knows, and what each may return in auth, as
 * their sources in Linux-PAM 1.5.2 (and pam_k6's own) say.  A module's
 * failures of its own (no memory, a conversation that failed, an error
 * reading its files) are walked like its answers: a stack must not open
 * on them either.
 */
#include "config.h"

#include <security/_pam_types.h>
#include <stdio.h>
#include <string.h>

#include "core/modules.h"

/*
 * Each module's codes in auth: first its answers, then its failures of its
 * own (after the 0 that ends the answers, and up to the -1 that ends the
 * list).  pam_succeed_if and pam_faillock depend on their arguments:
 * see k6_module_returns().
 */
#define USER_FAIL PAM_BUF_ERR, PAM_CONV_ERR, PAM_SYSTEM_ERR, PAM_INCOMPLETE
struct entry {
	struct k6_module_info info;
	int codes[16];
};

/* clang-format off */
static const struct entry table[] = {
	{ { "pam_k6", K6_ROLE_TOKEN, "checks a k6 API token with the API (its success only)" },
	  { PAM_SUCCESS, PAM_AUTH_ERR, PAM_AUTHINFO_UNAVAIL, PAM_SERVICE_ERR, PAM_USER_UNKNOWN, -2,
	    USER_FAIL, -1 } },
	{ { "pam_unix", K6_ROLE_SECRET, "checks the Unix password" },
	  { PAM_SUCCESS, PAM_AUTH_ERR, PAM_USER_UNKNOWN, PAM_AUTHINFO_UNAVAIL, -2, PAM_MAXTRIES,
	    PAM_AUTHTOK_ERR, PAM_CRED_INSUFFICIENT, USER_FAIL, -1 } },
	{ { "pam_sss", K6_ROLE_SECRET, "checks the password with SSSD" }, { -1 } },
	{ { "pam_ldap", K6_ROLE_SECRET, "checks the password with an LDAP server" }, { -1 } },
	{ { "pam_krb5", K6_ROLE_SECRET, "checks the password with Kerberos" }, { -1 } },
	{ { "pam_winbind", K6_ROLE_SECRET, "checks the password with a Windows domain" }, { -1 } },
	{ { "pam_u2f", K6_ROLE_SECRET, "checks a U2F or FIDO2 key" }, { -1 } },
	{ { "pam_google_authenticator", K6_ROLE_SECRET, "checks a one-time code" }, { -1 } },
	{ { "pam_oath", K6_ROLE_SECRET, "checks a one-time code" }, { -1 } },
	{ { "pam_duo", K6_ROLE_SECRET, "checks a Duo second factor" }, { -1 } },
	{ { "pam_radius_auth", K6_ROLE_SECRET, "checks the password with a RADIUS server" }, { -1 } },
	{ { "pam_yubico", K6_ROLE_SECRET, "checks a YubiKey" }, { -1 } },
	{ { "pam_userdb", K6_ROLE_SECRET, "checks the password against a database" }, { -1 } },
	{ { "pam_permit", K6_ROLE_OTHER, "passes everyone" },
	  { PAM_SUCCESS, -2, PAM_USER_UNKNOWN, USER_FAIL, -1 } },
	{ { "pam_deny", K6_ROLE_OTHER, "refuses everyone" }, { PAM_AUTH_ERR, -2, -1 } },
	{ { "pam_succeed_if", K6_ROLE_CONDITION, "tests the account, asks for nothing" }, { -1 } },
	{ { "pam_faillock", K6_ROLE_TALLY, "counts failures, asks for nothing" }, { -1 } },
	{ { "pam_env", K6_ROLE_OTHER, "sets variables (in setcred)" }, { PAM_IGNORE, -2, -1 } },
	{ { "pam_group", K6_ROLE_OTHER, "grants groups (in setcred)" }, { PAM_IGNORE, -2, -1 } },
	{ { "pam_warn", K6_ROLE_OTHER, "logs the call" }, { PAM_IGNORE, -2, -1 } },
	{ { "pam_faildelay", K6_ROLE_OTHER, "sets the delay after a failure" },
	  { PAM_IGNORE, -2, PAM_SYSTEM_ERR, -1 } },
	{ { "pam_nologin", K6_ROLE_OTHER, "refuses all but root while /etc/nologin exists" },
	  { PAM_IGNORE, PAM_SUCCESS, PAM_AUTH_ERR, PAM_USER_UNKNOWN, -2, PAM_SYSTEM_ERR,
	    PAM_BUF_ERR, -1 } },
	{ { "pam_echo", K6_ROLE_OTHER, "prints a text" }, { PAM_SUCCESS, PAM_IGNORE, -2, PAM_BUF_ERR, -1 } },
	{ { "pam_localuser", K6_ROLE_CONDITION, "tests /etc/passwd for the account" },
	  { PAM_SUCCESS, PAM_PERM_DENIED, -2, PAM_SERVICE_ERR, USER_FAIL, -1 } },
	{ { "pam_listfile", K6_ROLE_CONDITION, "tests the account against a list" },
	  { PAM_SUCCESS, PAM_AUTH_ERR, PAM_IGNORE, -2, PAM_SERVICE_ERR, -1 } },
	{ { "pam_shells", K6_ROLE_CONDITION, "tests the account's shell" },
	  { PAM_SUCCESS, PAM_AUTH_ERR, -2, PAM_SERVICE_ERR, -1 } },
	{ { "pam_access", K6_ROLE_CONDITION, "tests access rules" },
	  { PAM_SUCCESS, PAM_PERM_DENIED, PAM_USER_UNKNOWN, -2, PAM_ABORT, -1 } },
	{ { "pam_time", K6_ROLE_OTHER, "has no auth function: libpam takes PAM_MODULE_UNKNOWN" },
	  { PAM_MODULE_UNKNOWN, -2, -1 } },
	{ { "pam_cap", K6_ROLE_OTHER, "sets capabilities" }, { -1 } },
	{ { "pam_rootok", K6_ROLE_ROOTOK, "passes a caller whose real user is root" },
	  { PAM_SUCCESS, PAM_AUTH_ERR, -2, -1 } },
	{ { "pam_exec", K6_ROLE_PROGRAM, "runs a program: what it proves is the program's" },
	  { PAM_SUCCESS, PAM_SYSTEM_ERR, PAM_IGNORE, -2, PAM_SERVICE_ERR, USER_FAIL, -1 } },
};
/* clang-format on */
#define NTABLE (sizeof(table) / sizeof(table[0]))

static const struct k6_module_info unknown = { NULL, K6_ROLE_UNKNOWN,
					       "not known to pam_k6ctl: taken to prove nothing" };
static const struct k6_module_info declared_secret = { NULL, K6_ROLE_SECRET,
						       "declared with --secret-module" };

/* "pam_unix.so" and "/lib/security/pam_unix.so" are both pam_unix. */
static bool named(const struct k6_handler *h, const char *name)
{
	const char *base = k6_handler_basename(h);
	size_t len = strlen(name);

	return strncmp(base, name, len) == 0 &&
	       (base[len] == '\0' || strcmp(base + len, ".so") == 0);
}

const struct k6_module_info *k6_module_info(const struct k6_handler *h,
					    const struct k6_secret_modules *declared)
{
	size_t i;

	if (h->module == NULL)
		return &unknown;
	for (i = 0; declared != NULL && i < declared->n; i++)
		if (named(h, declared->names[i]))
			return &declared_secret;
	for (i = 0; i < NTABLE; i++)
		if (named(h, table[i].info.name))
			return &table[i].info;
	return &unknown;
}

const struct k6_module_info *k6_module_table(size_t i)
{
	return i < NTABLE ? &table[i].info : NULL;
}

const char *k6_module_argument(const struct k6_handler *h, const char *key)
{
	size_t len = strlen(key);
	int i;

	for (i = 0; i < h->argc; i++)
		if (strncmp(h->argv[i], key, len) == 0 && h->argv[i][len] == '=')
			return h->argv[i] + len + 1;
	return NULL;
}

static bool has_argument(const struct k6_handler *h, const char *word)
{
	int i;

	for (i = 0; i < h->argc; i++)
		if (strcmp(h->argv[i], word) == 0)
			return true;
	return false;
}

const char *k6_faillock_mode(const struct k6_handler *h)
{
	const char *mode = "preauth"; /* pam_faillock's own default */
	int i;

	if (!named(h, "pam_faillock"))
		return NULL;
	/* The last of them wins, as pam_faillock parses its arguments. */
	for (i = 0; i < h->argc; i++)
		if (strcmp(h->argv[i], "preauth") == 0 || strcmp(h->argv[i], "authfail") == 0 ||
		    strcmp(h->argv[i], "authsucc") == 0)
			mode = h->argv[i];
	return mode;
}

/* pam_succeed_if's words that are options, not parts of a condition. */
static bool succeed_if_option(const char *word)
{
	return strcmp(word, "debug") == 0 || strcmp(word, "use_uid") == 0 ||
	       strcmp(word, "quiet") == 0 || strcmp(word, "quiet_fail") == 0 ||
	       strcmp(word, "quiet_success") == 0 || strcmp(word, "audit") == 0;
}

/* The words of its conditions, three each; false when one is incomplete. */
static bool succeed_if_words(const struct k6_handler *h, const char **words, int *n)
{
	int i;

	*n = 0;
	for (i = 0; i < h->argc; i++)
		if (!succeed_if_option(h->argv[i]))
			words[(*n)++] = h->argv[i];
	return *n % 3 == 0;
}

static size_t put(int *codes, size_t n, const int *add, size_t nadd)
{
	size_t i;
	size_t j;

	for (i = 0; i < nadd; i++) {
		for (j = 0; j < n && codes[j] != add[i]; j++)
			;
		if (j == n)
			codes[n++] = add[i];
	}
	return n;
}

/* One code for each action the line takes, PAM_SUCCESS and PAM_IGNORE first. */
static size_t every_action(const struct k6_handler *h, int *codes, size_t *usual)
{
	size_t n = 0;
	int code;

	codes[n++] = PAM_SUCCESS;
	codes[n++] = PAM_IGNORE;
	for (code = 0; code < K6_PAM_CODES; code++) {
		size_t j;

		if (code == PAM_INCOMPLETE)
			continue;
		for (j = 0; j < n && h->actions[codes[j]] != h->actions[code]; j++)
			;
		if (j == n)
			codes[n++] = code;
	}
	*usual = n;
	codes[n++] = PAM_INCOMPLETE;
	return n;
}

/* A list of the table: answers up to -2, failures of its own up to -1. */
static size_t from_list(const int *list, int *codes, size_t *usual)
{
	size_t n = 0;

	*usual = 0;
	for (; *list != -1; list++) {
		if (*list == -2)
			*usual = n;
		else
			n = put(codes, n, list, 1);
	}
	if (*usual == 0)
		*usual = n;
	return n;
}

static size_t faillock_returns(const struct k6_handler *h, int *codes, size_t *usual)
{
	static const int authfail[] = { PAM_IGNORE,      PAM_AUTH_ERR, -2, PAM_SYSTEM_ERR,
					PAM_SERVICE_ERR, USER_FAIL,    -1 };
	static const int others[] = { PAM_SUCCESS,    PAM_AUTH_ERR,    PAM_IGNORE, -2,
				      PAM_SYSTEM_ERR, PAM_SERVICE_ERR, USER_FAIL,  -1 };

	return from_list(strcmp(k6_faillock_mode(h), "authfail") == 0 ? authfail : others, codes,
			 usual);
}

static size_t succeed_if_returns(const struct k6_handler *h, int *codes, size_t *usual)
{
	static const int incomplete[] = { PAM_SERVICE_ERR, -1 };
	static const int none[] = { PAM_SUCCESS, -2, USER_FAIL, -1 };
	static const int some[] = { PAM_SUCCESS, PAM_AUTH_ERR,    PAM_USER_UNKNOWN,
				    -2,          PAM_SERVICE_ERR, USER_FAIL,
				    -1 };
	const char *words[64];
	int n;

	if (!succeed_if_words(h, words, &n))
		return from_list(incomplete, codes, usual); /* fails, every time */
	return from_list(n == 0 ? none : some, codes, usual);
}

size_t k6_module_returns(const struct k6_handler *h, int *codes, size_t *usual)
{
	size_t i;

	if (named(h, "pam_succeed_if"))
		return succeed_if_returns(h, codes, usual);
	if (named(h, "pam_faillock"))
		return faillock_returns(h, codes, usual);
	for (i = 0; h->module != NULL && i < NTABLE; i++)
		if (named(h, table[i].info.name) && table[i].codes[0] != -1)
			return from_list(table[i].codes, codes, usual);
	return every_action(h, codes, usual);
}

bool k6_module_proves_secret(const struct k6_handler *h, int code,
			     const struct k6_secret_modules *declared)
{
	const struct k6_module_info *m = k6_module_info(h, declared);

	if (code != PAM_SUCCESS || h->kind != K6_HANDLER_MODULE || !h->loads)
		return false;
	if (m->role == K6_ROLE_SECRET && named(h, "pam_unix") && k6_module_passes_empty_password(h))
		return true; /* said as a warning of its own */
	return m->role == K6_ROLE_SECRET || m->role == K6_ROLE_TOKEN;
}

bool k6_module_passes_empty_password(const struct k6_handler *h)
{
	return named(h, "pam_unix") &&
	       (has_argument(h, "nullok") || has_argument(h, "nullok_secure"));
}

static const char *code_name(int code, char *buf, size_t len)
{
	const char *token = k6_pam_code_token(code);

	if (token == NULL) {
		snprintf(buf, len, "code %d", code);
		return buf;
	}
	snprintf(buf, len, "%s", token);
	return buf;
}

/* "user ingroup k6users": the conditions of a pam_succeed_if line. */
static void conditions(const struct k6_handler *h, char *buf, size_t len)
{
	const char *words[64];
	int n;
	int i;
	size_t used = 0;

	buf[0] = '\0';
	succeed_if_words(h, words, &n);
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i == 0 ? "" : " ",
					 words[i]);
}

const char *k6_module_answer(const struct k6_handler *h, int code, char *buf, size_t len)
{
	const struct k6_module_info *m = k6_module_info(h, NULL);
	const char *mode = k6_faillock_mode(h);
	const char *name = k6_handler_basename(h);
	char code_text[40];

	if (h->kind == K6_HANDLER_MUST_FAIL) {
		snprintf(buf, len, "a line libpam cannot use fails");
		return buf;
	}
	if (!h->loads) {
		snprintf(buf, len, "%s is not there", name);
		return buf;
	}
	code_name(code, code_text, sizeof(code_text));
	switch (m->role) {
	case K6_ROLE_TOKEN:
		if (code == PAM_SUCCESS || code == PAM_AUTH_ERR)
			snprintf(buf, len, "token %s",
				 code == PAM_SUCCESS ? "accepted" : "refused");
		else if (code == PAM_AUTHINFO_UNAVAIL || code == PAM_SERVICE_ERR ||
			 code == PAM_USER_UNKNOWN)
			snprintf(buf, len, "pam_k6 cannot decide");
		else
			snprintf(buf, len, "pam_k6 fails (%s)", code_text);
		return buf;
	case K6_ROLE_SECRET:
		if (named(h, "pam_unix"))
			snprintf(buf, len, "password %s",
				 code == PAM_SUCCESS ? "right" : "not right");
		else
			snprintf(buf, len, "%s %s", m->name != NULL ? m->name : name,
				 code == PAM_SUCCESS ? "passes" : "does not pass");
		return buf;
	case K6_ROLE_CONDITION:
		if (named(h, "pam_succeed_if") && code != PAM_SERVICE_ERR) {
			char what[200];

			conditions(h, what, sizeof(what));
			snprintf(buf, len, "%s%s", code == PAM_SUCCESS ? "" : "not ", what);
			return buf;
		}
		snprintf(buf, len, "%s: %s", m->name, code == PAM_SUCCESS ? "yes" : code_text);
		return buf;
	case K6_ROLE_TALLY:
		if (strcmp(mode, "preauth") == 0)
			snprintf(buf, len, "tally %s",
				 code == PAM_SUCCESS || code == PAM_IGNORE ? "open" :
				 code == PAM_AUTH_ERR                      ? "locked" :
									     code_text);
		else if (strcmp(mode, "authsucc") == 0)
			snprintf(buf, len, "tally %s",
				 code == PAM_SUCCESS  ? "cleared" :
				 code == PAM_AUTH_ERR ? "locked meanwhile" :
				 code == PAM_IGNORE   ? "not kept: no such account" :
							code_text);
		else
			snprintf(buf, len, "tally %s",
				 code == PAM_IGNORE   ? "counts the failure" :
				 code == PAM_AUTH_ERR ? "locked" :
							code_text);
		return buf;
	case K6_ROLE_ROOTOK:
		snprintf(buf, len, "caller %s", code == PAM_SUCCESS ? "is root" : "is not root");
		return buf;
	case K6_ROLE_OTHER:
	case K6_ROLE_PROGRAM:
	case K6_ROLE_UNKNOWN:
		break;
	}
	snprintf(buf, len, "%s: %s", name, code_text);
	return buf;
}

/* "user ingroup x" and "user notingroup x" ask one question; the pairs of opposites. */
static const char *const opposites[][2] = {
	{ "ingroup", "notingroup" },
	{ "in", "notin" },
	{ "innetgr", "notinnetgr" },
	{ "eq", "ne" },
	{ "=", "!=" },
	{ "=~", "!~" },
	{ "lt", "ge" },
	{ "gt", "le" },
};

bool k6_module_same_answer_key(const struct k6_handler *h, char *buf, size_t len, bool *negated)
{
	const char *words[64];
	int n;

	*negated = false;
	if (h->kind != K6_HANDLER_MODULE || !h->loads)
		return false;
	if (!named(h, "pam_succeed_if"))
		return false;
	if (!succeed_if_words(h, words, &n))
		return false;
	if (has_argument(h, "use_uid")) {
		snprintf(buf, len, "use_uid");
	} else {
		buf[0] = '\0';
	}
	if (n == 3) {
		size_t i;

		for (i = 0; i < sizeof(opposites) / sizeof(opposites[0]); i++) {
			if (strcmp(words[1], opposites[i][1]) == 0) {
				*negated = true;
				snprintf(buf + strlen(buf), len - strlen(buf), " %s %s %s",
					 words[0], opposites[i][0], words[2]);
				return true;
			}
		}
	}
	conditions(h, buf + strlen(buf), len - strlen(buf));
	return true;
}

bool k6_module_arguments_ok(const struct k6_handler *h, char *why, size_t len)
{
	const char *words[64];
	int n;

	if (named(h, "pam_succeed_if") && !succeed_if_words(h, words, &n)) {
		snprintf(why, len, "an incomplete condition: pam_succeed_if fails every time");
		return false;
	}
	return true;
}
