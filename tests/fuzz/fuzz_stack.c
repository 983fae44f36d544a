/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the model of libpam against libpam itself: the input is the
 * sequence of choices tests/stack_case.c makes a pam.d folder from (a
 * byte a choice; past the end, the plainest answer), and the folder runs
 * through pam_authenticate and through core/pamd.c and core/stack.c.
 * Any difference in the result or in the stub lines run traps, after the
 * case is printed.  The stub module's path is $K6_TEST_PAM_STUB, or
 * tests/.libs/libpam_stub.so of the build tree this harness is in.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stack_case.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct k6_diff diff;
static char stub[PATH_MAX];

static void done(void)
{
	k6_diff_done(&diff);
}

/* tests/fuzz/fuzz_stack -> tests/.libs/libpam_stub.so */
static const char *stub_beside(void)
{
	char exe[PATH_MAX];
	char guess[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	snprintf(guess, sizeof(guess), "%s/../.libs/libpam_stub.so", exe);
	return realpath(guess, stub) != NULL ? stub : NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("K6_TEST_PAM_STUB");

	(void)argc;
	(void)argv;
	if (path == NULL || *path == '\0')
		path = stub_beside();
	if (k6_diff_init(&diff, path) != 0)
		exit(1);
	atexit(done);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct k6_rand r;

	k6_rand_bytes(&r, data, size);
	if (k6_diff_case(&diff, &r, "fuzz input", 0, stderr) != K6_CASE_AGREE) {
		k6_diff_done(&diff); /* the trap skips atexit */
		__builtin_trap();
	}
	return 0;
}
