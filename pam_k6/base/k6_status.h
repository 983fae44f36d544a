/* SPDX-License-Identifier: MIT */
/*
 * The verdicts pam_k6 reaches.  Every part of the module speaks in these;
 * only pam_k6.c turns them into PAM return codes, in one place.
 */
#ifndef K6_STATUS_H
#define K6_STATUS_H

enum k6_status {
	K6_OK,           /* the API accepted the token for the stack */
	K6_DENIED,       /* the API refused the token (401, 403) */
	K6_BAD_INPUT,    /* the answer is not a token; nothing was sent */
	K6_UNAVAILABLE,  /* no trustworthy answer: network, TLS, HTTP, body */
	K6_CONFIG,       /* options missing or invalid; nothing was sent */
	K6_NOMEM,        /* allocation failure */
	K6_USER_UNKNOWN, /* no such account, or one pam_k6 must not serve */
	K6_CONV_ERR,     /* the application's conversation failed */
	K6_CONV_AGAIN,   /* the conversation will answer later */
	K6_SYSTEM,       /* libpam refused to store a result */
};

/* Room for a reason line: already escaped, ready for the log. */
#define K6_REASON_MAX 320

#endif
