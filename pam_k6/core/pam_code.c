/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <security/_pam_types.h>
#include <string.h>

#include "core/pam_code.h"

int k6_pam_code(enum k6_status st)
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
		return PAM_CONV_ERR;
	case K6_CONV_AGAIN:
		return PAM_INCOMPLETE;
	case K6_SYSTEM:
		return PAM_SYSTEM_ERR;
	}
	return PAM_SERVICE_ERR;
}

const char *k6_pam_code_name(int code)
{
	static const char *const names[] = {
		"PAM_SUCCESS",
		"PAM_OPEN_ERR",
		"PAM_SYMBOL_ERR",
		"PAM_SERVICE_ERR",
		"PAM_SYSTEM_ERR",
		"PAM_BUF_ERR",
		"PAM_PERM_DENIED",
		"PAM_AUTH_ERR",
		"PAM_CRED_INSUFFICIENT",
		"PAM_AUTHINFO_UNAVAIL",
		"PAM_USER_UNKNOWN",
		"PAM_MAXTRIES",
		"PAM_NEW_AUTHTOK_REQD",
		"PAM_ACCT_EXPIRED",
		"PAM_SESSION_ERR",
		"PAM_CRED_UNAVAIL",
		"PAM_CRED_EXPIRED",
		"PAM_CRED_ERR",
		"PAM_NO_MODULE_DATA",
		"PAM_CONV_ERR",
		"PAM_AUTHTOK_ERR",
		"PAM_AUTHTOK_RECOVERY_ERR",
		"PAM_AUTHTOK_LOCK_BUSY",
		"PAM_AUTHTOK_DISABLE_AGING",
		"PAM_TRY_AGAIN",
		"PAM_IGNORE",
		"PAM_ABORT",
		"PAM_AUTHTOK_EXPIRED",
		"PAM_MODULE_UNKNOWN",
		"PAM_BAD_ITEM",
		"PAM_CONV_AGAIN",
		"PAM_INCOMPLETE",
	};

	if (code < 0 || code >= (int)(sizeof(names) / sizeof(names[0])))
		return "PAM_?";
	return names[code];
}

const char *k6_session_word(int code)
{
	switch (code) {
	case PAM_SUCCESS:
		return "token";
	case PAM_AUTH_ERR:
		return "refused";
	case PAM_AUTHINFO_UNAVAIL:
		return "unreachable";
	case PAM_SERVICE_ERR:
		return "config";
	case PAM_USER_UNKNOWN:
		return "not-served";
	default:
		return "error";
	}
}

static const char *const words[] = { "token",      "refused", "unreachable", "config",
				     "not-served", "error",   "not-asked" };

bool k6_session_word_known(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(word, words[i]) == 0)
			return true;
	return false;
}

bool k6_session_word_fallback(const char *word)
{
	return strcmp(word, "unreachable") == 0 || strcmp(word, "config") == 0 ||
	       strcmp(word, "error") == 0;
}
