/* SPDX-License-Identifier: MIT */
/*
 * What the API answered, as every part reads it: the values of a 200 and
 * the outcome of one request.  The network part fills them in; the login,
 * the cache and the exported variables read them, without linking it.
 */
#ifndef K6_OUTCOME_H
#define K6_OUTCOME_H

#include <stdbool.h>
#include <stdint.h>

#include "base/k6_status.h"

struct k6_auth_result {
	int64_t stack_id;
	int64_t default_project_id;
};

struct k6_outcome {
	enum k6_status status;
	long http_status;             /* 0 when no answer arrived */
	double seconds;               /* time the request took */
	struct k6_auth_result result; /* set when status is K6_OK */
	/*
	 * The network showed that the API cannot be reached: a connection
	 * refused, reset or unreachable, a resolver failure or a timeout with
	 * nothing failing in this process, a 5xx.  Only this may let a cached
	 * answer stand in.  Never set by an answer that cannot be trusted (TLS,
	 * certificate, pin, a malformed 200), by a 429 (anyone behind the same
	 * address can provoke one), or by a failure in this process (no
	 * descriptor, no memory, EADDRNOTAVAIL...): see classify_failure().
	 */
	bool unreachable;
	char reason[K6_REASON_MAX]; /* escaped for the log; never the token */
};

#endif
