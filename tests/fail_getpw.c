/* SPDX-License-Identifier: MIT */
/*
 * Preloaded by the tests: makes getpwnam_r fail with the errno named by
 * $K6_TEST_FAIL_GETPW (EIO, ENOMEM), as a name service that cannot reach
 * its server does, so that such a failure is shown not to be taken for an
 * unknown account.
 */
#include "config.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t buflen,
	       struct passwd **result);

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t buflen,
	       struct passwd **result)
{
	const char *fail = getenv("K6_TEST_FAIL_GETPW");

	(void)name;
	(void)pw;
	(void)buf;
	(void)buflen;
	*result = NULL;
	if (fail != NULL && strcmp(fail, "ENOMEM") == 0)
		return ENOMEM;
	return EIO;
}
