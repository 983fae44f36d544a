/* SPDX-License-Identifier: MIT */
/*
 * The body of an answer from GET /cloud/v6/auth, turned into values.
 * json-c only: no PAM, no libcurl.
 */
#ifndef K6_AUTH_RESPONSE_H
#define K6_AUTH_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "base/k6_status.h"
#include "core/outcome.h"

/* Bodies larger than this are refused while they are being received. */
#define K6_BODY_MAX ((size_t)64 * 1024)

/*
 * Parse a 200 body: one JSON object holding "stack_id" and
 * "default_project_id", each exactly once, each a JSON integer in
 * 1..INT64_MAX.  Other keys are ignored.  Returns K6_OK, or K6_UNAVAILABLE
 * with a short reason in why (a static string), or K6_NOMEM.
 */
enum k6_status k6_auth_response_parse(const char *body, size_t len, struct k6_auth_result *out,
				      const char **why);

/*
 * Describe an error body {"error": {"code": "...", "message": "..."}} as
 * "code: message", escaped for the log, into out.  Anything else yields "".
 */
void k6_error_response_describe(const char *body, size_t len, char *out, size_t outlen);

#endif
