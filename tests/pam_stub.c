/* SPDX-License-Identifier: MIT */
/*
 * A PAM module for tests/stack_diff: every service function returns the
 * code the test chose for the line that names it (pam_stub.h), and, when
 * the test asks, notes the line's id in $K6_STUB_TRACE so that the test
 * sees which lines ran, in order.  Any int is a code, out of PAM's range
 * too: what libpam makes of those is part of the test.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <security/pam_modules.h>

#include "pam_stub.h"

/* An environment variable: the test reads it in the same process, no file needed. */
static void trace(long id)
{
	const char *old = getenv(K6_STUB_TRACE_VAR);
	char *now;

	if (old == NULL || asprintf(&now, "%s%ld,", old, id) < 0)
		return;
	setenv(K6_STUB_TRACE_VAR, now, 1);
	free(now);
}

static int answer(int argc, const char **argv)
{
	long id = k6_stub_line_id(argc, argv);

	trace(id);
	return k6_stub_code(getenv(K6_STUB_CODES_VAR), id);
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	return answer(argc, argv);
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	return answer(argc, argv);
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	return answer(argc, argv);
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	return answer(argc, argv);
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	return answer(argc, argv);
}

PAM_EXTERN int pam_sm_chauthtok(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	return answer(argc, argv);
}
