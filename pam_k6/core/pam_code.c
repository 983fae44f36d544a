/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <security/_pam_types.h>

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
	switch (code) {
	case PAM_SUCCESS:
		return "PAM_SUCCESS";
	case PAM_AUTH_ERR:
		return "PAM_AUTH_ERR";
	case PAM_AUTHINFO_UNAVAIL:
		return "PAM_AUTHINFO_UNAVAIL";
	case PAM_SERVICE_ERR:
		return "PAM_SERVICE_ERR";
	case PAM_BUF_ERR:
		return "PAM_BUF_ERR";
	case PAM_USER_UNKNOWN:
		return "PAM_USER_UNKNOWN";
	case PAM_CONV_ERR:
		return "PAM_CONV_ERR";
	case PAM_INCOMPLETE:
		return "PAM_INCOMPLETE";
	case PAM_SYSTEM_ERR:
		return "PAM_SYSTEM_ERR";
	default:
		return "PAM_?";
	}
}
