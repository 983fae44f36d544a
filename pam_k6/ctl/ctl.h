/* SPDX-License-Identifier: MIT */
/*
 * What pam_k6ctl's commands share (ctl.c): exit codes, the module
 * arguments, reading a token and the configuration, where their lines go.
 * The commands call these; these call no command.
 */
#ifndef K6_CTL_H
#define K6_CTL_H

#include <stdbool.h>
#include <stdio.h>

#include "base/k6_status.h"
#include "core/login.h"
#include "core/options.h"
#include "core/pamd.h"
#include "core/tokens.h"
#include "core/users.h"

#define PAMD_DIR "/etc/pam.d"
#define MODULE_FILE "pam_k6.so"

/* Exit codes, as pam_k6ctl(8) lists them. */
enum {
	EXIT_ACCEPTED = 0,    /* test: PAM_SUCCESS; check, cache: all is well */
	EXIT_REFUSED = 1,     /* test: PAM_AUTH_ERR, PAM_USER_UNKNOWN */
	EXIT_CONFIG = 2,      /* a configuration or usage error; PAM_SERVICE_ERR */
	EXIT_UNAVAILABLE = 3, /* test: PAM_AUTHINFO_UNAVAIL */
	EXIT_OTHER = 4,       /* test: any other PAM code */
};

/* The module arguments: after "--", or those of a pam.d line. */
struct args {
	int argc;
	const char **argv;
};

/* The usage text, for --help. */
void usage(FILE *to);

/* "pam_k6ctl: ..." and a pointer to --help on standard error; EXIT_CONFIG. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "LABEL ARG ARG ..." or "LABEL (none)" on standard output. */
void print_args(const char *label, const struct args *a);

/* Problems go to standard error, one line each, counted in *(int *)ctx. */
void print_problem(void *ctx, const char *problem);

/*
 * Read the options as the module would, and the users and tokens files
 * they name (the tokens file only when tokens is not NULL); every problem
 * printed.  Returns K6_OK or not.
 */
enum k6_status read_options(struct k6_options *o, struct k6_users *users, struct k6_tokens *tokens,
			    const struct args *a, int *problems);

/*
 * The pam_k6 lines of a service, said on out; an empty set is a problem
 * of its own.  An exit status.
 */
int service_lines(const char *dir, const char *service, struct k6_pamd *lines, FILE *out);

/*
 * One line of standard input, or without echo from a terminal: at most one
 * byte more than the longest token, so that a longer answer is still
 * screened as too long.  NULL at end of input.
 */
char *read_token(const char *prompt);

/* Where library lines go: standard error, and syslog marked with the command. */
struct log_to {
	const struct k6_options *o;
	const char *command; /* "test", "hash", "enroll" */
};

void command_log(void *ctx, int priority, const char *line);

/* The exit status for the PAM code the module would return. */
int exit_for(int pam_code);

/* The common options of check and test; what follows "--" is module arguments. */
struct common {
	const char *service;
	const char *pam_dir;
	enum k6_cache_use cache_use;
	bool cache_flag_seen;
	struct args args;
};

/*
 * --service NAME and module arguments exclude each other, and NAME is a
 * file of the pam.d folder: -1 if so, else the exit status of the usage
 * error said.
 */
int service_or_args(const char *service, const struct args *a);

/*
 * check's and test's command line (argv[0] the command's name) into c; for
 * test, --no-cache and --update-cache too.  -1 to go on, else the exit
 * status of a usage error.
 */
int parse_common(int argc, char **argv, struct common *c, bool for_test);

#endif
