/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "net/sigpipe.h"

static void pipe_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGPIPE);
}

void k6_sigpipe_block(struct k6_sigpipe_guard *g)
{
	sigset_t pipe;
	sigset_t pending;

	pipe_set(&pipe);
	/* A SIGPIPE already waiting is the host's: leave it for the host. */
	sigpending(&pending);
	g->was_pending = sigismember(&pending, SIGPIPE) == 1;
	pthread_sigmask(SIG_BLOCK, &pipe, &g->old_mask);
}

void k6_sigpipe_restore(const struct k6_sigpipe_guard *g)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe;
	sigset_t pending;

	pipe_set(&pipe);
	sigpending(&pending);
	if (!g->was_pending && sigismember(&pending, SIGPIPE) == 1) {
		while (sigtimedwait(&pipe, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &g->old_mask, NULL);
}
