/* SPDX-License-Identifier: MIT */
/*
 * What pam_k6ctl's commands share: exit codes, the module arguments,
 * reading a token and the configuration, where their lines go.
 * pam_k6ctl.c holds the command line, check, test and cache; ctl_tokens.c
 * the commands of the tokens file.
 */
#ifndef K6_CTL_H
#define K6_CTL_H

#include <stdio.h>

#include "k6_status.h"
#include "options.h"
#include "pamd.h"
#include "tokens.h"
#include "users.h"

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

void usage(FILE *to);

/* "pam_k6ctl: ..." and a pointer to --help on standard error; EXIT_CONFIG. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

/* The tokens file's commands (ctl_tokens.c): argv[0] is the command's name. */
int cmd_hash(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_tokens(int argc, char **argv);

#endif
