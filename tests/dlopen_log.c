/* SPDX-License-Identifier: MIT */
/*
 * Preloaded by tests/test_late.py: says on standard error, one line each
 * ("dlopen PATH"), which name every dlopen is given, so that a test sees by
 * which path a late part is opened.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

void *dlopen(const char *file, int mode);

void *dlopen(const char *file, int mode)
{
	void *(*next)(const char *, int);

	fprintf(stderr, "dlopen %s\n", file != NULL ? file : "(null)");
	*(void **)&next = dlsym(RTLD_NEXT, "dlopen");
	if (next == NULL) {
		errno = ENOSYS;
		return NULL;
	}
	return next(file, mode);
}
