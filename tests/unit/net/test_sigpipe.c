/* SPDX-License-Identifier: MIT */
/* The SIGPIPE guard around the request: a reset connection must not kill the host. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "net/sigpipe.h"

static int pipe_blocked(void)
{
	sigset_t mask;

	pthread_sigmask(SIG_SETMASK, NULL, &mask);
	return sigismember(&mask, SIGPIPE);
}

static int pipe_pending(void)
{
	sigset_t pending;

	sigpending(&pending);
	return sigismember(&pending, SIGPIPE);
}

static void test_write_to_closed_peer_is_survived(void **state)
{
	struct k6_sigpipe_guard g;
	int sv[2];

	(void)state;
	/* The host's default: SIGPIPE kills the process. */
	signal(SIGPIPE, SIG_DFL);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);

	k6_sigpipe_block(&g);
	/* write(), not send(MSG_NOSIGNAL): this raises SIGPIPE in this thread. */
	assert_int_equal(write(sv[0], "x", 1), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(pipe_pending(), 1);
	k6_sigpipe_restore(&g);

	/* Still alive, nothing left pending, and SIGPIPE unblocked as before. */
	assert_int_equal(pipe_pending(), 0);
	assert_int_equal(pipe_blocked(), 0);
	close(sv[0]);
}

static void test_hosts_own_sigpipe_is_left_alone(void **state)
{
	static const struct timespec zero = { 0, 0 };
	struct k6_sigpipe_guard g;
	sigset_t pipe;

	(void)state;
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	/* The host blocks SIGPIPE and one is waiting for it. */
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	pthread_kill(pthread_self(), SIGPIPE);
	assert_int_equal(pipe_pending(), 1);

	k6_sigpipe_block(&g);
	k6_sigpipe_restore(&g);

	assert_int_equal(pipe_pending(), 1);
	assert_int_equal(pipe_blocked(), 1);
	assert_int_equal(sigtimedwait(&pipe, NULL, &zero), SIGPIPE);
	pthread_sigmask(SIG_UNBLOCK, &pipe, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_to_closed_peer_is_survived),
		cmocka_unit_test(test_hosts_own_sigpipe_is_left_alone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
