/* SPDX-License-Identifier: MIT */
/*
 * The one place a verdict becomes a PAM return code.  The module returns
 * it; pam_k6ctl test names it.  Only libpam's constants are used here,
 * never its handle.
 */
#ifndef K6_PAM_CODE_H
#define K6_PAM_CODE_H

#include "base/k6_status.h"

/* The PAM code for a verdict (a failed conversation: PAM_CONV_ERR). */
int k6_pam_code(enum k6_status st);

/* "PAM_AUTH_ERR" and the like, for the codes k6_pam_code gives. */
const char *k6_pam_code_name(int code);

#endif
