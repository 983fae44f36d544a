/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/secret.h"
#include "core/k6_env.h"
#include "core/stack_url.h"

static bool add(struct k6_env *e, const char *name, const char *value)
{
	char *var;

	if (e->n == K6_ENV_MAX || (var = k6_secret_join(name, "=", value)) == NULL)
		return false;
	e->vars[e->n++] = var;
	return true;
}

enum k6_status k6_env_build(struct k6_env *e, const struct k6_options *o, const char *stack_url,
			    const char *token, const struct k6_auth_result *r)
{
	char stack_id[24];
	char project_id[24];
	bool ok = true;

	memset(e, 0, sizeof(*e));
	snprintf(stack_id, sizeof(stack_id), "%" PRId64, r->stack_id);
	snprintf(project_id, sizeof(project_id), "%" PRId64, r->default_project_id);
	if (o->exports & K6_EXPORT_STACK_ID)
		ok = add(e, "K6_CLOUD_STACK_ID", stack_id);
	if (ok && (o->exports & K6_EXPORT_PROJECT_ID))
		ok = add(e, "K6_CLOUD_PROJECT_ID", project_id);
	if (ok && (o->exports & K6_EXPORT_STACK_URL))
		ok = add(e, "K6_CLOUD_STACK_URL", stack_url);
	if (ok && (o->exports & K6_EXPORT_API_URL) && strcmp(o->api_url, K6_DEFAULT_API_URL) != 0)
		ok = add(e, "K6_CLOUD_HOST_V6", o->api_url);
	if (ok && o->export_token)
		ok = add(e, "K6_CLOUD_TOKEN", token);
	if (!ok) {
		k6_env_clear(e);
		return K6_NOMEM;
	}
	return K6_OK;
}

void k6_env_clear(struct k6_env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		k6_free_secret(e->vars[i]);
	e->n = 0;
}
