/* SPDX-License-Identifier: MIT */
/*
 * The model of libpam (core/pamd.h reading a pam.d service, core/stack.h
 * running its auth stack) against the installed libpam itself: COUNT
 * cases, the i-th made up from seed SEED+i, each a pam.d folder whose
 * lines name tests/pam_stub.so; each case runs through pam_start_confdir
 * and pam_authenticate and through the model, and the two must return
 * the same code after running the same stub lines.  Prints a difference
 * in full, then how many cases ran and how libpam's results spread.
 *
 * usage: stack_diff [-al] SEED COUNT   run COUNT cases (-a: every difference in full,
 *                                     -l: a line each)
 *        stack_diff -s [-k] SEED       show one case in full (-k: keep its files)
 * The stub's path is in $K6_TEST_PAM_STUB.  Exit 0: no difference.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stack_case.h"

/* Differences shown in full; the later ones take a line each. */
#define SHOWN_MAX 3

static void usage(void)
{
	fputs("usage: stack_diff [-al] SEED COUNT\n"
	      "       stack_diff -s [-k] SEED\n"
	      "  -a  show every difference in full, not the first three only\n"
	      "  -l  a line per case: libpam's result and the stub lines it ran\n"
	      "  -s  show the case of seed SEED in full, whatever the result\n"
	      "  -k  with -s, keep the case's files (their folder is shown)\n"
	      "The stub module's absolute path is taken from $K6_TEST_PAM_STUB.\n",
	      stderr);
	exit(2);
}

static unsigned long long number(const char *s)
{
	char *end;
	unsigned long long n;

	if (s[0] < '0' || s[0] > '9')
		usage();
	n = strtoull(s, &end, 10);
	if (*end != '\0')
		usage();
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct k6_diff d;
	unsigned long long seed, count = 1;
	unsigned flags = 0;
	bool one = false;
	bool all = false;
	double start;
	int status = 0;
	int opt;

	while ((opt = getopt(argc, argv, "alsk")) != -1) {
		switch (opt) {
		case 'a':
			all = true;
			break;
		case 'l':
			flags |= K6_DIFF_LIST;
			break;
		case 's':
			one = true;
			flags |= K6_DIFF_SHOW;
			break;
		case 'k':
			flags |= K6_DIFF_KEEP;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != (one ? 1 : 2) || ((flags & K6_DIFF_KEEP) && !one))
		usage();
	seed = number(argv[optind]);
	if (!one)
		count = number(argv[optind + 1]);

	if (k6_diff_init(&d, getenv("K6_TEST_PAM_STUB")) != 0)
		return 1;
	start = now();
	for (unsigned long long i = 0; i < count; i++) {
		struct k6_rand r;
		char label[48];
		enum k6_case_verdict v;

		snprintf(label, sizeof(label), "seed %llu", seed + i);
		k6_rand_seed(&r, seed + i);
		v = k6_diff_case(&d, &r, label,
				 !all && d.differ >= SHOWN_MAX ? flags | K6_DIFF_BRIEF : flags,
				 stdout);
		if (v == K6_CASE_ERROR) {
			status = 1;
			break;
		}
		if (v == K6_CASE_DIFFER)
			status = 1;
	}
	if (!one) {
		double took = now() - start;

		k6_diff_summary(&d, stdout);
		printf("%.2f s, %.0f cases a second\n", took,
		       took > 0 ? (double)d.cases / took : 0.0);
	}
	if (one && (flags & K6_DIFF_KEEP))
		printf("the case's files stay in %s/c0\n", d.tmp);
	else
		k6_diff_done(&d);
	return status;
}
