/* SPDX-License-Identifier: MIT */
/*
 * What a login exports: the K6_CLOUD_* variables the k6 command line reads,
 * as "NAME=value" strings (the form pam_putenv takes).
 */
#ifndef K6_ENV_H
#define K6_ENV_H

#include <stddef.h>

#include "base/k6_status.h"
#include "core/options.h"
#include "core/outcome.h"

#define K6_ENV_MAX 5

struct k6_env {
	size_t n;
	char *vars[K6_ENV_MAX];
};

/*
 * The variables for an accepted login on stack_url, those export= names:
 * the stack and project the API answered, the stack, the API when it is
 * not the default; and the token only with export_token.  K6_NOMEM leaves
 * e empty.
 */
enum k6_status k6_env_build(struct k6_env *e, const struct k6_options *o, const char *stack_url,
			    const char *token, const struct k6_auth_result *r);

/* Wipe and free every variable (one may hold the token); e is then empty. */
void k6_env_clear(struct k6_env *e);

#endif
