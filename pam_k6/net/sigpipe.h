/* SPDX-License-Identifier: MIT */
/*
 * With CURLOPT_NOSIGNAL set, libcurl leaves SIGPIPE alone; a write to a
 * connection the server has reset must still not kill the host process.
 * The signal is blocked in the calling thread while the request runs and
 * while a handle is cleaned up (its close writes to the connection), and
 * swallowed if either raised it.
 */
#ifndef K6_SIGPIPE_H
#define K6_SIGPIPE_H

#include <signal.h>
#include <stdbool.h>

struct k6_sigpipe_guard {
	sigset_t old_mask;
	bool was_pending;
};

void k6_sigpipe_block(struct k6_sigpipe_guard *g);
void k6_sigpipe_restore(const struct k6_sigpipe_guard *g);

#endif
