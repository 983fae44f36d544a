/* SPDX-License-Identifier: MIT */
/*
 * The one place a verdict becomes a PAM return code.  The module returns
 * it; pam_k6ctl test names it.  Only libpam's constants are used here,
 * never its handle.
 */
#ifndef K6_PAM_CODE_H
#define K6_PAM_CODE_H

#include <stdbool.h>

#include "base/k6_status.h"

/* The PAM code for a verdict (a failed conversation: PAM_CONV_ERR). */
int k6_pam_code(enum k6_status st);

/* "PAM_AUTH_ERR" and the like, for every code libpam knows. */
const char *k6_pam_code_name(int code);

/*
 * How a login's authentication went, as pam_k6's session line says it
 * (by=token, or by=other k6=WORD): the word for the PAM code pam_k6's
 * auth returned.  "token" (it authenticated the login), "refused" (a
 * refused token, or an answer that is no token), "unreachable" (the API
 * could not be reached), "config" (a configuration error), "not-served"
 * (an account it does not serve), "error" (anything else).  A login in
 * which pam_k6's auth did not run is "not-asked".  unreachable, config and
 * error are the fallbacks: pam_k6 could not decide, and the password did.
 */
const char *k6_session_word(int code);

/* One of the words above ("not-asked" included)? */
bool k6_session_word_known(const char *word);

/* A fallback: unreachable, config or error. */
bool k6_session_word_fallback(const char *word);

#endif
