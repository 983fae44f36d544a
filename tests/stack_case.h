/* SPDX-License-Identifier: MIT */
/*
 * One case of the differential test of core/pamd.h and core/stack.h
 * against the installed libpam: a pam.d folder made up from random
 * choices (stack_gen.h), run through pam_authenticate and through the
 * model, the two results (and the stub lines each ran) compared.  Shared
 * by tests/stack_diff (choices from a seed) and tests/fuzz/fuzz_stack
 * (choices from the fuzzer's bytes).
 */
#ifndef K6_STACK_CASE_H
#define K6_STACK_CASE_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "stack_gen.h"

/* Final codes counted: libpam's 0..31, then one bucket for any other. */
#define K6_DIFF_CODES 33

/* What a run of cases shares, and what it counted. */
struct k6_diff {
	const char *stub;          /* the stub module's absolute path */
	const char *stub_base;     /* its file name */
	char module_dir[PATH_MAX]; /* libpam's folder for module names without a path */
	bool system_modules;       /* pam_permit.so and pam_deny.so are there */
	char tmp[PATH_MAX / 2];    /* the cases' folders go in here */
	void *held[3];             /* the modules the cases load, kept loaded */
	unsigned long cases;
	unsigned long differ;
	unsigned long results[K6_DIFF_CODES];
	unsigned long features[K6_FEATURES];
};

/* stub: the absolute path of tests/.libs/libpam_stub.so.  -1, said on stderr, on failure. */
int k6_diff_init(struct k6_diff *d, const char *stub);
void k6_diff_done(struct k6_diff *d);

enum k6_case_verdict {
	K6_CASE_AGREE,
	K6_CASE_DIFFER, /* printed to out */
	K6_CASE_ERROR,  /* the test itself failed: said on stderr */
};

/* How k6_diff_case reports. */
enum {
	K6_DIFF_SHOW = 1,  /* print every case in full, not only a difference */
	K6_DIFF_BRIEF = 2, /* a difference in one line */
	K6_DIFF_LIST = 4,  /* one line per case: libpam's result and the stub lines run */
	K6_DIFF_KEEP = 8,  /* leave the case's folder in place */
};

/*
 * Make one case from r, run it both ways and compare.  A difference is
 * printed to out, labelled label, with all it takes to see it again: the
 * files, the codes, both results, the model's handlers.
 */
enum k6_case_verdict k6_diff_case(struct k6_diff *d, struct k6_rand *r, const char *label,
				  unsigned flags, FILE *out);

/* How many cases, and how libpam's results and the generated features spread. */
void k6_diff_summary(const struct k6_diff *d, FILE *out);

#endif
