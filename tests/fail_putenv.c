/* SPDX-License-Identifier: MIT */
/*
 * Preloaded by the tests: makes the Nth call of pam_putenv (counted from 1,
 * N from $K6_TEST_FAIL_PUTENV_AT) fail with PAM_BUF_ERR, as libpam does
 * when memory runs out, to show that no half-exported result stays behind.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdlib.h>

#include <security/pam_appl.h>

int pam_putenv(pam_handle_t *pamh, const char *name_value);

int pam_putenv(pam_handle_t *pamh, const char *name_value)
{
	static long calls;
	int (*next)(pam_handle_t *, const char *);
	const char *at = getenv("K6_TEST_FAIL_PUTENV_AT");

	if (at != NULL && ++calls == strtol(at, NULL, 10))
		return PAM_BUF_ERR;
	*(void **)&next = dlsym(RTLD_NEXT, "pam_putenv");
	return next != NULL ? next(pamh, name_value) : PAM_SYSTEM_ERR;
}
