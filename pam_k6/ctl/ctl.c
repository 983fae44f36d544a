/* SPDX-License-Identifier: MIT */
/*
 * What pam_k6ctl's commands share: the usage, problems and module
 * arguments said the same way, the configuration read as the module reads
 * it, a token read without echo, where library lines go.
 */
#include "config.h"

#include <getopt.h>
#include <security/_pam_types.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <termios.h>
#include <unistd.h>

#include "base/secret.h"
#include "core/conf_file.h"
#include "core/token.h"
#include "ctl/ctl.h"

static const char usage_text[] =
	"usage: pam_k6ctl check [--service NAME] [--pam-dir DIR] [-- ARG...]\n"
	"       pam_k6ctl test USER [--service NAME] [--pam-dir DIR]\n"
	"                           [--no-cache | --update-cache] [-- ARG...]\n"
	"       pam_k6ctl cache [--cache-dir DIR] list\n"
	"       pam_k6ctl cache [--cache-dir DIR] purge [--expired]\n"
	"       pam_k6ctl hash [USER] [--comment TEXT]\n"
	"                      [--check] [--service NAME] [--pam-dir DIR] [-- ARG...]\n"
	"       pam_k6ctl enroll USER [--tokens FILE] [--comment TEXT]\n"
	"                             [--service NAME] [--pam-dir DIR] [-- ARG...]\n"
	"       pam_k6ctl revoke USER --all | --comment TEXT | --line N\n"
	"                             [--tokens FILE] [--service NAME] [--pam-dir DIR]\n"
	"                             [-- ARG...]\n"
	"       pam_k6ctl tokens [--tokens FILE] [--service NAME] [--pam-dir DIR]\n"
	"                        [-- ARG...]\n"
	"       pam_k6ctl --version | --help\n"
	"\n"
	"  check   read the configuration as the module would for these module\n"
	"          arguments (or those of each pam_k6 line of /etc/pam.d/NAME) and\n"
	"          print every option in effect with where it came from\n"
	"  test    read a token (without echo from a terminal, else one line of\n"
	"          standard input) and run what the module runs for USER\n"
	"  cache   list the validation cache's records, or remove them\n"
	"  hash    read a token and print the tokens file line for it, to send to\n"
	"          the operator (with --check, ask the k6 API first)\n"
	"  enroll  read a token, check it with the k6 API for USER, add its line\n"
	"          to the tokens file\n"
	"  revoke  remove USER's lines from the tokens file\n"
	"  tokens  list the tokens file: users, comments, dates; never a hash\n"
	"\n"
	"exit: 0 accepted, 1 refused, 2 configuration or usage error,\n"
	"      3 the k6 API could not be reached, 4 any other failure\n";

void usage(FILE *to)
{
	fputs(usage_text, to);
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pam_k6ctl: ");
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): clang 14 misreads va_start when it inlines a variadic callee */
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (pam_k6ctl --help lists the commands)\n");
	return EXIT_CONFIG;
}

void print_problem(void *ctx, const char *problem)
{
	int *count = ctx;

	fprintf(stderr, "pam_k6ctl: error: %s\n", problem);
	(*count)++;
}

void print_args(const char *label, const struct args *a)
{
	int i;

	printf("%s", label);
	if (a->argc == 0)
		printf(" (none)");
	for (i = 0; i < a->argc; i++)
		printf(" %s", a->argv[i]);
	printf("\n");
}

enum k6_status read_options(struct k6_options *o, struct k6_users *users, struct k6_tokens *tokens,
			    const struct args *a, int *problems)
{
	enum k6_status st = k6_options_init(o);
	char err[600];

	users->rules = NULL;
	users->n = 0;
	if (tokens != NULL) {
		tokens->lines = NULL;
		tokens->n = 0;
	}
	if (st != K6_OK)
		return st;
	st = k6_config_read(o, a->argc, a->argv, 0, print_problem, problems);
	if (st == K6_OK && o->users != NULL) {
		st = k6_users_load(o->users, 0, users, err, sizeof(err));
		if (st == K6_CONFIG)
			print_problem(problems, err);
	}
	if (st == K6_OK && o->tokens != NULL && tokens != NULL) {
		st = k6_tokens_load(o->tokens, 0, tokens, err, sizeof(err));
		if (st == K6_CONFIG)
			print_problem(problems, err);
	}
	return st;
}

int service_lines(const char *dir, const char *service, struct k6_pamd *lines, FILE *out)
{
	int problems = 0;
	enum k6_status st =
		k6_pamd_find(dir, service, MODULE_FILE, lines, print_problem, &problems);

	fprintf(out,
		"%s/%s, as pam_k6ctl reads it (not libpam: includes and substacks are followed "
		"within %s)\n",
		dir, service, dir);
	if (st == K6_NOMEM) {
		fprintf(stderr, "pam_k6ctl: out of memory\n");
		return EXIT_OTHER;
	}
	if (lines->n == 0) {
		fprintf(stderr, "pam_k6ctl: error: %s/%s: no line names %s\n", dir, service,
			MODULE_FILE);
		problems++;
	}
	return problems > 0 || st != K6_OK ? EXIT_CONFIG : EXIT_ACCEPTED;
}

char *read_token(const char *prompt)
{
	size_t cap = K6_TOKEN_MAX + 2;
	char *buf = malloc(cap + 1);
	struct termios saved;
	bool tty = isatty(STDIN_FILENO) == 1;
	bool echo_off = false;
	size_t n = 0;
	bool got = false;
	char c;

	if (buf == NULL)
		return NULL;
	if (tty) {
		struct termios quiet;

		fprintf(stderr, "%s", prompt);
		if (tcgetattr(STDIN_FILENO, &saved) == 0) {
			quiet = saved;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
	}
	while (read(STDIN_FILENO, &c, 1) == 1) {
		got = true;
		if (c == '\n')
			break;
		if (n < cap)
			buf[n++] = c;
	}
	c = '\0';
	if (echo_off) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fprintf(stderr, "\n");
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (!got) {
		k6_free_secret_n(buf, cap + 1);
		return NULL;
	}
	return buf;
}

void command_log(void *ctx, int priority, const char *line)
{
	const struct log_to *to = ctx;

	if (priority == LOG_DEBUG && !to->o->debug)
		return;
	fprintf(stderr, "pam_k6ctl: %s\n", line);
	syslog(priority, "%s: %s", to->command, line);
}

int exit_for(int pam_code)
{
	switch (pam_code) {
	case PAM_SUCCESS:
		return EXIT_ACCEPTED;
	case PAM_AUTH_ERR:
	case PAM_USER_UNKNOWN:
		return EXIT_REFUSED;
	case PAM_SERVICE_ERR:
		return EXIT_CONFIG;
	case PAM_AUTHINFO_UNAVAIL:
		return EXIT_UNAVAILABLE;
	default:
		return EXIT_OTHER;
	}
}

int service_or_args(const char *service, const struct args *a)
{
	if (service != NULL && a->argc > 0)
		return usage_error("%s", "give --service or module arguments, not both");
	if (service != NULL && (service[0] == '\0' || strchr(service, '/') != NULL))
		return usage_error("--service %s: a service is a file name of the pam.d folder",
				   service);
	return -1;
}

int parse_common(int argc, char **argv, struct common *c, bool for_test)
{
	static const struct option long_options[] = {
		{ "service", required_argument, NULL, 's' },
		{ "pam-dir", required_argument, NULL, 'd' },
		{ "no-cache", no_argument, NULL, 'n' },
		{ "update-cache", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(c, 0, sizeof(*c));
	c->pam_dir = PAMD_DIR;
	c->cache_use = K6_CACHE_NO_WRITE;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+", long_options, NULL)) != -1) {
		switch (opt) {
		case 's':
			c->service = optarg;
			break;
		case 'd':
			c->pam_dir = optarg;
			break;
		case 'n':
		case 'u':
			if (!for_test)
				return usage_error("%s applies to test only", argv[optind - 1]);
			if (c->cache_flag_seen)
				return usage_error(
					"%s", "--no-cache and --update-cache exclude each other");
			c->cache_flag_seen = true;
			c->cache_use = opt == 'n' ? K6_CACHE_NO_READ : K6_CACHE_FULL;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_ACCEPTED);
		default:
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	c->args.argc = argc - optind;
	c->args.argv = (const char **)argv + optind;
	return service_or_args(c->service, &c->args);
}
