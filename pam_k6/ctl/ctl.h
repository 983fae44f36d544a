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
	EXIT_NOT_ASKED = 5,   /* test --service: the stack never reaches pam_k6 for USER */
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

/* Where a pam.d service is found: --service NAME, --service-file FILE, --pam-dir DIR. */
struct service_spec {
	const char *name; /* with file: the service the file stands for (its name if NULL) */
	const char *file;
	const char *dir;
};

/*
 * Read the service as libpam would (pam_k6/core/pamd.h), said on out, with
 * every problem on standard error.  An exit status: EXIT_CONFIG when
 * there was a problem (what was read is in p all the same).
 */
int read_service(const struct service_spec *s, struct k6_pamd *p, FILE *out);

/* The service's name as libpam would run it: --service, or the file's name. */
const char *service_name(const struct service_spec *s);

/* Is this handler a line that runs pam_k6 (any type)? */
bool is_k6_line(const struct k6_handler *h);

/* The first auth line that runs pam_k6, or NULL (said on standard error). */
const struct k6_handler *first_k6_line(const struct k6_pamd *p, const struct service_spec *s);

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
	struct service_spec svc;
	enum k6_cache_use cache_use;
	bool cache_flag_seen;
	const char *secret[32]; /* --secret-module NAME */
	size_t nsecret;
	struct args args;
};

/*
 * A service (--service NAME, --service-file FILE) and module arguments
 * exclude each other, and NAME is a file of the pam.d folder: -1 if so,
 * else the exit status of the usage error said.
 */
int service_or_args(const struct service_spec *s, const struct args *a);

/*
 * check's and test's command line (argv[0] the command's name) into c; for
 * test, --no-cache and --update-cache too.  -1 to go on, else the exit
 * status of a usage error.
 */
int parse_common(int argc, char **argv, struct common *c, bool for_test);

/*
 * The auth stack proven (core/stack_check.h): the table of the ways
 * through it and what they show, on standard output, the errors and
 * warnings on standard error.  EXIT_CONFIG when a way opens without a
 * secret (ctl_stack.c).
 */
int prove_stack(const struct k6_pamd *p, const struct common *c);

/*
 * Walk the auth stack for USER, with the answers pam_k6ctl can tell for
 * the account (core/stack_account.h): -1 with *k6 the pam_k6 line USER
 * reaches first, or EXIT_NOT_ASKED when no way reaches one (said on
 * standard output: which line sends USER past, what decides instead).
 */
int walk_for_user(const struct k6_pamd *p, const struct common *c, const char *user,
		  const struct k6_handler **k6);

#endif
