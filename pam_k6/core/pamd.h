/* SPDX-License-Identifier: MIT */
/*
 * Reading /etc/pam.d for pam_k6ctl: which lines of a service's stack name
 * pam_k6, and with which arguments.  A helper for operators that reads the
 * files as libpam does (comments, continued lines, bracketed controls and
 * arguments, "-" before the type, @include, include and substack), not
 * libpam itself.
 */
#ifndef K6_PAMD_H
#define K6_PAMD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/k6_status.h"
#include "core/options.h"

/* How deep includes may nest, as libpam's own bound on substacks. */
#define K6_PAMD_DEPTH 16

struct k6_pamd_line {
	char *file;    /* the file that holds it */
	unsigned line; /* where it starts */
	char *type;    /* auth, account, session, password ("-" dropped) */
	bool quiet;    /* "-type": libpam does not log a module it cannot load */
	char *control; /* "required", "[success=done ...]" */
	char *module;  /* as written */
	char *text;    /* the whole line, as libpam reads it (comments cut) */
	int argc;
	char **argv; /* the arguments, brackets taken off */
};

struct k6_pamd {
	struct k6_pamd_line *lines;
	size_t n;
};

/*
 * The lines of dir/service, and of what it includes (files of dir only,
 * nesting at most K6_PAMD_DEPTH, no loops), whose module file is named
 * module_name (e.g. "pam_k6.so"), in the order libpam would meet them.
 * Problems (a missing file, a loop, an include outside dir) go to report
 * and make it K6_CONFIG; the lines found until then stay in out.
 */
enum k6_status k6_pamd_find(const char *dir, const char *service, const char *module_name,
			    struct k6_pamd *out, k6_problem_fn report, void *ctx);

void k6_pamd_free(struct k6_pamd *p);

#endif
