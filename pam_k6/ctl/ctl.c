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
	"usage: pam_k6ctl check [--service NAME] [--service-file FILE] [--pam-dir DIR]\n"
	"                       [--secret-module NAME]... [-- ARG...]\n"
	"       pam_k6ctl test USER [--service NAME] [--service-file FILE] [--pam-dir DIR]\n"
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
	"          print every option in effect with where it came from; with a\n"
	"          service, walk every way through its auth stack and refuse one\n"
	"          that ends in success with no secret checked\n"
	"  test    read a token (without echo from a terminal, else one line of\n"
	"          standard input) and run what the module runs for USER; with a\n"
	"          service, only if its stack reaches pam_k6 for USER\n"
	"  cache   list the validation cache's records, or remove them\n"
	"  hash    read a token and print the tokens file line for it, to send to\n"
	"          the operator (with --check, ask the k6 API first)\n"
	"  enroll  read a token, check it with the k6 API for USER, add its line\n"
	"          to the tokens file\n"
	"  revoke  remove USER's lines from the tokens file\n"
	"  tokens  list the tokens file: users, comments, dates; never a hash\n"
	"\n"
	"exit: 0 accepted, 1 refused, 2 configuration or usage error,\n"
	"      3 the k6 API could not be reached, 4 any other failure,\n"
	"      5 the stack does not ask USER for a token\n";

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

const char *service_name(const struct service_spec *s)
{
	const char *slash;

	if (s->name != NULL || s->file == NULL)
		return s->name != NULL ? s->name : "";
	slash = strrchr(s->file, '/');
	return slash != NULL ? slash + 1 : s->file;
}

int read_service(const struct service_spec *s, struct k6_pamd *p, FILE *out)
{
	struct k6_pamd_source src = { s->dir, service_name(s), s->file, K6_LIBPAM_MODULE_DIR };
	int problems = 0;
	enum k6_status st = k6_pamd_read(&src, p, print_problem, &problems);

	if (s->file != NULL)
		fprintf(out,
			"%s, as libpam 1.5.2 would read it as the service %s "
			"(relative includes in %s)\n",
			s->file, src.service, s->dir);
	else
		fprintf(out, "%s/%s, as libpam 1.5.2 reads it (relative includes in %s)\n", s->dir,
			src.service, s->dir);
	if (st == K6_NOMEM) {
		fprintf(stderr, "pam_k6ctl: out of memory\n");
		return EXIT_OTHER;
	}
	if (p->unread)
		fprintf(stderr, "pam_k6ctl: error: %s: the stack is not proved\n", p->abort_why);
	else if (p->aborts)
		fprintf(stderr, "pam_k6ctl: error: %s: every login fails with PAM_ABORT\n",
			p->abort_why);
	return problems > 0 || st != K6_OK || p->aborts ? EXIT_CONFIG : EXIT_ACCEPTED;
}

bool is_k6_line(const struct k6_handler *h)
{
	return h->kind == K6_HANDLER_MODULE && strcmp(k6_handler_basename(h), MODULE_FILE) == 0;
}

const struct k6_handler *first_k6_line(const struct k6_pamd *p, const struct service_spec *s)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->h[i].type == K6_PAM_AUTH && is_k6_line(&p->h[i]))
			return &p->h[i];
	fprintf(stderr, "pam_k6ctl: error: %s%s%s: no auth line names %s\n",
		s->file != NULL ? s->file : s->dir, s->file != NULL ? "" : "/",
		s->file != NULL ? "" : service_name(s), MODULE_FILE);
	return NULL;
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

int service_or_args(const struct service_spec *s, const struct args *a)
{
	if ((s->name != NULL || s->file != NULL) && a->argc > 0)
		return usage_error("%s", "give a service or module arguments, not both");
	if (s->name != NULL && (s->name[0] == '\0' || strchr(s->name, '/') != NULL))
		return usage_error("--service %s: a service is a file name of the pam.d folder",
				   s->name);
	if (s->file != NULL && s->file[0] == '\0')
		return usage_error("%s", "--service-file needs a file");
	return -1;
}

int parse_common(int argc, char **argv, struct common *c, bool for_test)
{
	static const struct option long_options[] = {
		{ "service", required_argument, NULL, 's' },
		{ "service-file", required_argument, NULL, 'f' },
		{ "pam-dir", required_argument, NULL, 'd' },
		{ "secret-module", required_argument, NULL, 'm' },
		{ "no-cache", no_argument, NULL, 'n' },
		{ "update-cache", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	memset(c, 0, sizeof(*c));
	c->svc.dir = PAMD_DIR;
	c->cache_use = K6_CACHE_NO_WRITE;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+", long_options, NULL)) != -1) {
		switch (opt) {
		case 's':
			c->svc.name = optarg;
			break;
		case 'f':
			c->svc.file = optarg;
			break;
		case 'd':
			c->svc.dir = optarg;
			break;
		case 'm':
			if (c->nsecret == sizeof(c->secret) / sizeof(c->secret[0]))
				return usage_error("%s", "too many --secret-module");
			c->secret[c->nsecret++] = optarg;
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
	if (c->nsecret > 0 && c->svc.name == NULL && c->svc.file == NULL)
		return usage_error("%s", "--secret-module applies to a service");
	return service_or_args(&c->svc, &c->args);
}
