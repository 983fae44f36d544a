/* SPDX-License-Identifier: MIT */
/*
 * The one HTTPS request pam_k6 makes: GET {api_url}/cloud/v6/auth.
 * libcurl only; no PAM types.
 */
#ifndef K6_CLIENT_H
#define K6_CLIENT_H

#include <stdbool.h>

#include "base/k6_log.h"
#include "base/k6_status.h"
#include "core/options.h"
#include "core/outcome.h"

/*
 * Ask the API whether token may use stack_url (normalised), with the
 * connection settings of o.  The token must have passed k6_token_screen().
 * Every copy made of it here is wiped before it is freed.  Detail for the
 * debug log goes to log (which may be NULL) at LOG_DEBUG.  Returns
 * out->status.
 */
enum k6_status k6_client_validate(const struct k6_options *o, const char *stack_url,
				  const char *token, struct k6_outcome *out, k6_log_fn log,
				  void *ctx);

/* Less than this left of the time limit is too little for a second try. */
#define K6_RETRY_MIN_MS 100L

/*
 * The limits of the second try the system trust store may need, spent_ms
 * into a request limited to timeout_ms: what is left, and the connect limit
 * no longer than that.  False, and nothing set, when too little is left.
 */
bool k6_client_retry_limits(long timeout_ms, long connect_timeout_ms, long spent_ms,
			    long *retry_timeout_ms, long *retry_connect_ms);

#endif
