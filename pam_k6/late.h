/* SPDX-License-Identifier: MIT */
/*
 * The part of pam_k6 that loads late, when a login first needs it: the
 * network (libcurl, json-c: the request and its answer), with the 35 or so
 * libraries libcurl brings.  Loading pam_k6.so costs a process next to
 * nothing, a login answered from the cache or refused before any request
 * never loads the network, and only a login that asks the API does.
 *
 * The part is reached through one table.  pam_k6.so loads it as a shared
 * object found by an absolute path fixed at build time (late_load.c);
 * pam_k6ctl, the tests, the fuzzers and the benchmark link the same code in
 * (late_linked.c).
 */
#ifndef K6_LATE_H
#define K6_LATE_H

#include <stdbool.h>
#include <stddef.h>

#include "k6_client.h"
#include "options.h"

struct k6_net_ops {
	/* A part built with another version, or other structures, is refused. */
	const char *version;
	size_t options_size;
	size_t outcome_size;
	enum k6_status (*validate)(const struct k6_options *o, const char *stack_url,
				   const char *token, struct k6_outcome *out, k6_log_fn log,
				   void *ctx);
	enum k6_status (*trust)(const struct k6_options *o, char *what, size_t len);
};

/* The symbol the part's shared object exports: its table, and nothing else. */
extern const struct k6_net_ops k6_net_part;

/*
 * The network part, or NULL with the reason in why (a shared object that
 * is missing, not root's alone, or of another build): then no request can
 * be made, and the login says so.  Safe to call from any thread.
 */
const struct k6_net_ops *k6_net(char *why, size_t len);

#endif
