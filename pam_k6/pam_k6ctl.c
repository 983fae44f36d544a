/* SPDX-License-Identifier: MIT */
/*
 * pam_k6ctl: what an operator asks of pam_k6 from a shell.  Is this host's
 * configuration right (check), would this token log in here (test), what
 * is in the validation cache (cache); the tokens file's commands (hash,
 * enroll, revoke, tokens) are ctl_tokens.c's.  Every answer comes from the
 * library the module runs; this file only reads the command line and
 * prints.
 */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <json-c/json.h>
#include <security/_pam_types.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "conf_file.h"
#include "ctl.h"
#include "k6_client.h"
#include "k6_env.h"
#include "log_escape.h"
#include "login.h"
#include "options.h"
#include "pam_code.h"
#include "pamd.h"
#include "secret.h"
#include "token.h"
#include "tokens.h"
#include "trust.h"
#include "users.h"

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

static void print_args(const char *label, const struct args *a)
{
	int i;

	printf("%s", label);
	if (a->argc == 0)
		printf(" (none)");
	for (i = 0; i < a->argc; i++)
		printf(" %s", a->argv[i]);
	printf("\n");
}

/* --- check ----------------------------------------------------------------- */

struct table {
	const struct k6_options *o;
};

static void print_option(void *ctx, const char *key, const char *value, enum k6_origin origin,
			 unsigned line)
{
	const struct table *t = ctx;
	char from[300];

	switch (origin) {
	case K6_FROM_FILE:
		snprintf(from, sizeof(from), "%s:%u", t->o->conf_read, line);
		break;
	case K6_FROM_ARGUMENT:
		snprintf(from, sizeof(from), "argument");
		break;
	case K6_FROM_DEFAULT:
	default:
		snprintf(from, sizeof(from), "default");
		break;
	}
	printf("  %-17s %-40s %s\n", key, value, from);
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

/*
 * What the tokens file's parser cannot see: a hash no token can match.  The
 * module loads such a line and never matches it; counted in *unmatchable.
 */
static void check_tokens(const struct k6_options *o, const struct k6_tokens *t, int *unmatchable)
{
	char why[160];
	char problem[600];
	size_t i;

	printf("  %-17s %s: %zu line%s for %zu account%s\n", "tokens file", o->tokens, t->n,
	       t->n == 1 ? "" : "s", k6_tokens_accounts(t), k6_tokens_accounts(t) == 1 ? "" : "s");
	for (i = 0; i < t->n; i++) {
		if (k6_token_hash_complete(t->lines[i].hash, why, sizeof(why)))
			continue;
		snprintf(problem, sizeof(problem), "%s:%u: %s", o->tokens, t->lines[i].line, why);
		print_problem(unmatchable, problem);
	}
}

/* What would make every login fail, or degrade it, beyond the options themselves. */
static void check_environment(const struct k6_options *o, const struct k6_users *users,
			      const struct k6_tokens *tokens, int *problems, int *unmatchable)
{
	char what[600];
	struct k6_cache cache;

	if (k6_trust_check(o, what, sizeof(what)) == K6_OK) {
		printf("  %-17s %s\n", "trust store", what);
	} else {
		printf("  %-17s unusable\n", "trust store");
		print_problem(problems, what);
	}
	if (o->users != NULL)
		printf("  %-17s %s: %zu line%s\n", "users file", o->users, users->n,
		       users->n == 1 ? "" : "s");
	if (o->tokens != NULL)
		check_tokens(o, tokens, unmatchable);
	if (o->cache_ttl == 0 && o->offline_ttl == 0) {
		printf("  %-17s off\n", "cache");
		return;
	}
	k6_cache_open(&cache, o->cache_dir);
	if (cache.why == NULL) {
		printf("  %-17s %s: usable\n", "cache", o->cache_dir);
	} else {
		printf("  %-17s %s: %s\n", "cache", o->cache_dir, cache.why);
		fprintf(stderr,
			"pam_k6ctl: warning: cache %s: %s; logins would be validated online\n",
			o->cache_dir, cache.why);
	}
	k6_cache_close(&cache);
}

static int check_one(const struct args *a)
{
	struct k6_options o;
	struct k6_users users;
	struct k6_tokens tokens;
	struct table t = { &o };
	int problems = 0;
	int unmatchable = 0;
	enum k6_status st = read_options(&o, &users, &tokens, a, &problems);

	if (st == K6_NOMEM) {
		fprintf(stderr, "pam_k6ctl: out of memory\n");
		return EXIT_OTHER;
	}
	if (st == K6_OK) {
		printf("  %-17s %-40s %s\n", "option", "value", "from");
		k6_options_each(&o, print_option, &t);
		check_environment(&o, &users, &tokens, &problems, &unmatchable);
	}
	k6_tokens_free(&tokens);
	k6_users_free(&users);
	k6_options_free(&o);
	if (problems > 0 || st != K6_OK) {
		printf("refused: the module would return PAM_SERVICE_ERR\n");
		return EXIT_CONFIG;
	}
	if (unmatchable > 0) {
		printf("refused: the module would run, but no token can match %d line%s of the "
		       "tokens file\n",
		       unmatchable, unmatchable == 1 ? "" : "s");
		return EXIT_CONFIG;
	}
	printf("accepted\n");
	return EXIT_ACCEPTED;
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

static int check_service(const char *dir, const char *service)
{
	struct k6_pamd lines;
	int worst = service_lines(dir, service, &lines, stdout);
	size_t i;

	for (i = 0; i < lines.n; i++) {
		const struct k6_pamd_line *l = &lines.lines[i];
		struct args a = { l->argc, (const char **)l->argv };
		int rc;

		printf("\n%s:%u: %s\n", l->file, l->line, l->text);
		if (strcasecmp(l->type, "auth") != 0) {
			fprintf(stderr,
				"pam_k6ctl: error: %s:%u: pam_k6 is an auth module; a %s line "
				"fails\n",
				l->file, l->line, l->type);
			worst = EXIT_CONFIG;
			continue;
		}
		rc = check_one(&a);
		if (rc > worst)
			worst = rc;
	}
	k6_pamd_free(&lines);
	return worst;
}

/* --- test ------------------------------------------------------------------ */

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

static void print_answer(const struct k6_login *l, enum k6_status st)
{
	const struct k6_outcome *out = &l->outcome;

	switch (l->served) {
	case K6_SERVED_CACHE:
		printf("  %-12s the cache, made %lds ago (cache_ttl=%ld): no request\n", "answer",
		       l->age, l->opts->cache_ttl);
		return;
	case K6_SERVED_OFFLINE:
		printf("  %-12s the offline cache, made %lds ago: the API could not be reached\n",
		       "answer", l->age);
		return;
	case K6_SERVED_ONLINE:
		break;
	}
	if (out->http_status != 0)
		printf("  %-12s the API: HTTP %ld in %.3fs\n", "answer", out->http_status,
		       out->seconds);
	else if (st == K6_UNAVAILABLE || st == K6_CONFIG || st == K6_NOMEM)
		printf("  %-12s none: the request failed after %.3fs\n", "answer", out->seconds);
}

static void print_exports(const struct k6_login *l, const char *token)
{
	struct k6_env env;
	size_t i;

	if (k6_env_build(&env, l->opts, l->target.stack_url, token, &l->outcome.result) != K6_OK) {
		printf("  %-12s out of memory\n", "export");
		return;
	}
	for (i = 0; i < env.n; i++) {
		if (strncmp(env.vars[i], "K6_CLOUD_TOKEN=", 15) == 0)
			printf("  %-12s K6_CLOUD_TOKEN=(the token; not shown)\n", "export");
		else
			printf("  %-12s %s\n", "export", env.vars[i]);
	}
	k6_env_clear(&env);
}

/* Whether the token is one the tokens file holds for the account, and which. */
static void print_enrolled(const struct k6_login *l)
{
	const struct k6_token_line *e = l->enrolled;
	char comment[300];

	if (e == NULL) {
		printf("  %-12s no: %s\n", "enrolled", l->reason);
		return;
	}
	k6_escape_str(comment, sizeof(comment), e->comment, false);
	printf("  %-12s %s line %u%s%s%s\n", "enrolled", l->opts->tokens, e->line,
	       comment[0] != '\0' ? " (" : "", comment, comment[0] != '\0' ? ")" : "");
}

/* Run the login and print its steps; the PAM code the module would return. */
static int run_test(struct k6_login *l, const char *user, enum k6_status user_st, const char *token)
{
	enum k6_status st = user_st;
	char who[300];
	char shown[200];
	char line[4096];

	k6_escape_str(shown, sizeof(shown), user, false);
	if (user_st == K6_OK) {
		char from[64] = "";

		if (l->target.users_line != 0)
			snprintf(from, sizeof(from), " (users file line %u)", l->target.users_line);
		printf("  %-12s %s may use a token on %s%s\n", "account", shown,
		       l->target.stack_url, from);
		if (l->target.stack_id != 0)
			printf("  %-12s stack_id %" PRId64 "\n", "pinned", l->target.stack_id);
		st = k6_login_token(l, token);
		printf("  %-12s %s\n", "screening",
		       st == K6_BAD_INPUT ? l->reason : "looks like a token");
		if (st != K6_BAD_INPUT && l->opts->tokens != NULL)
			print_enrolled(l);
		if (st != K6_BAD_INPUT && (l->opts->tokens == NULL || l->enrolled != NULL))
			print_answer(l, st);
	} else {
		printf("  %-12s %s: %s\n", "account", shown, l->reason);
	}
	printf("  %-12s %s (%s)%s%s\n", "result", k6_pam_code_name(k6_pam_code(st)),
	       k6_status_label(st), l->reason[0] != '\0' && st != K6_BAD_INPUT ? ": " : "",
	       st != K6_BAD_INPUT ? l->reason : "");
	if (st == K6_OK)
		print_exports(l, token);
	snprintf(who, sizeof(who), "user=%s", shown);
	k6_login_describe(l, st, who, l->reason, line, sizeof(line));
	syslog(k6_login_priority(l, st), "test: %s", line);
	return k6_pam_code(st);
}

static int test_one(const char *user, const struct args *a, enum k6_cache_use cache_use)
{
	struct k6_options o;
	struct k6_users users;
	struct k6_tokens tokens;
	struct k6_login l;
	struct log_to to = { &o, "test" };
	int problems = 0;
	char *token = NULL;
	enum k6_status user_st;
	int code;
	enum k6_status st = read_options(&o, &users, &tokens, a, &problems);

	if (st != K6_OK) {
		printf("  %-12s %s\n", "result",
		       st == K6_NOMEM ? "PAM_BUF_ERR (out of memory)" :
					"PAM_SERVICE_ERR (configuration error)");
		k6_tokens_free(&tokens);
		k6_users_free(&users);
		k6_options_free(&o);
		return st == K6_NOMEM ? EXIT_OTHER : EXIT_CONFIG;
	}
	openlog("pam_k6ctl", LOG_PID, LOG_AUTHPRIV);
	k6_login_init(&l, &o, &users, &tokens, command_log, &to);
	l.cache_use = cache_use;
	/* As the module: decide about the account, then ask, then say. */
	user_st = k6_login_account(&l, user);
	token = read_token(o.prompt);
	if (token == NULL) {
		fprintf(stderr, "pam_k6ctl: no token on standard input\n");
		code = -1;
	} else {
		code = run_test(&l, user, user_st, token);
	}
	k6_free_secret(token);
	k6_login_free(&l);
	k6_tokens_free(&tokens);
	k6_users_free(&users);
	k6_options_free(&o);
	closelog();
	return code < 0 ? EXIT_CONFIG : exit_for(code);
}

/* --- cache ----------------------------------------------------------------- */

static void print_duration(char *buf, size_t len, long seconds)
{
	if (seconds < 0)
		snprintf(buf, len, "-");
	else if (seconds < 120)
		snprintf(buf, len, "%lds", seconds);
	else if (seconds < 7200)
		snprintf(buf, len, "%ldm", seconds / 60);
	else if (seconds < 172800)
		snprintf(buf, len, "%ldh", seconds / 3600);
	else
		snprintf(buf, len, "%ldd", seconds / 86400);
}

static void print_entry(void *ctx, const struct k6_cache_entry *e)
{
	time_t now = *(const time_t *)ctx;
	char age[32];
	char left[32];

	if (e->problem != NULL) {
		printf("%.16s  (ignored by logins: %s)\n", e->name, e->problem);
		return;
	}
	print_duration(age, sizeof(age), (long)(now - e->record.created));
	print_duration(left, sizeof(left), (long)(e->record.expires - now));
	printf("%.16s  %-34s %12" PRId64 " %12" PRId64 " %6s %8s\n", e->name, e->record.stack_url,
	       e->record.result.stack_id, e->record.result.default_project_id, age,
	       e->record.expires < now ? "expired" : left);
}

/* The cache folder: --cache-dir, else the configuration file's, else the default. */
static char *cache_folder(const char *given)
{
	struct k6_options o;
	char err[600];
	char *dir;

	if (given != NULL)
		return strdup(given);
	if (k6_options_init(&o) != K6_OK)
		return NULL;
	/* Only the file matters here: with no arguments it need not be complete. */
	if (k6_config_load(&o, 0, NULL, 0, err, sizeof(err)) == K6_NOMEM) {
		k6_options_free(&o);
		return NULL;
	}
	dir = strdup(o.cache_dir);
	k6_options_free(&o);
	return dir;
}

static int cache_command(const char *given, const char *action, bool expired_only)
{
	struct k6_cache c;
	time_t now = time(NULL);
	char *dir = cache_folder(given);
	int rc = EXIT_ACCEPTED;
	long n;

	if (dir == NULL) {
		fprintf(stderr, "pam_k6ctl: out of memory\n");
		return EXIT_OTHER;
	}
	if (access(dir, F_OK) != 0) {
		/* Not made here: a cache folder is the module's to make. */
		fprintf(stderr, "pam_k6ctl: cache %s: %s\n", dir, strerror(errno));
		free(dir);
		return EXIT_CONFIG;
	}
	k6_cache_open(&c, dir);
	if (c.dir_fd < 0) {
		fprintf(stderr, "pam_k6ctl: cache %s: %s\n", dir, c.why);
		free(dir);
		return EXIT_CONFIG;
	}
	if (strcmp(action, "list") == 0) {
		printf("%-16s  %-34s %12s %12s %6s %8s\n", "record", "stack", "stack_id",
		       "project_id", "age", "expires");
		n = k6_cache_list(&c, print_entry, &now);
		if (n < 0) {
			fprintf(stderr, "pam_k6ctl: cache %s: cannot be read\n", dir);
			rc = EXIT_CONFIG;
		} else {
			printf("%ld record%s in %s\n", n, n == 1 ? "" : "s", dir);
		}
	} else {
		n = c.writable ? k6_cache_purge(&c, expired_only) : -1;
		if (n < 0) {
			fprintf(stderr, "pam_k6ctl: cache %s: %s\n", dir,
				c.writable ? "cannot be purged" : c.why);
			rc = EXIT_CONFIG;
		} else {
			printf("removed %ld record%s from %s\n", n, n == 1 ? "" : "s", dir);
		}
	}
	k6_cache_close(&c);
	free(dir);
	return rc;
}

/* --- main ------------------------------------------------------------------ */

static int version(void)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);

	printf("pam_k6ctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	printf("libcurl %s, TLS %s\n", curl->version,
	       curl->ssl_version != NULL ? curl->ssl_version : "none");
	printf("json-c %s\n", json_c_version());
	return EXIT_ACCEPTED;
}

/* The common options of check and test; what follows "--" is module arguments. */
struct common {
	const char *service;
	const char *pam_dir;
	enum k6_cache_use cache_use;
	bool cache_flag_seen;
	struct args args;
};

static int parse_common(int argc, char **argv, struct common *c, bool for_test)
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
	if (c->service != NULL && c->args.argc > 0)
		return usage_error("%s", "give --service or module arguments, not both");
	if (c->service != NULL && (c->service[0] == '\0' || strchr(c->service, '/') != NULL))
		return usage_error("--service %s: a service is a file name of the pam.d folder",
				   c->service);
	return -1;
}

static int cmd_check(int argc, char **argv)
{
	struct common c;
	int rc = parse_common(argc, argv, &c, false);

	if (rc >= 0)
		return rc;
	if (c.service != NULL)
		return check_service(c.pam_dir, c.service);
	print_args("module arguments:", &c.args);
	return check_one(&c.args);
}

static int cmd_test(int argc, char **argv)
{
	struct common c;
	const char *user;
	struct k6_pamd lines;
	int rc;

	if (argc < 2 || argv[1][0] == '-')
		return usage_error("%s", "test needs a user name first: pam_k6ctl test USER ...");
	user = argv[1];
	rc = parse_common(argc - 1, argv + 1, &c, true);
	if (rc >= 0)
		return rc;
	if (c.service == NULL) {
		print_args("module arguments:", &c.args);
		return test_one(user, &c.args, c.cache_use);
	}
	rc = service_lines(c.pam_dir, c.service, &lines, stdout);
	if (rc == EXIT_ACCEPTED) {
		const struct k6_pamd_line *l = &lines.lines[0];
		struct args a = { l->argc, (const char **)l->argv };

		printf("%s:%u: %s\n", l->file, l->line, l->text);
		if (lines.n > 1)
			printf("(the first of %zu pam_k6 lines)\n", lines.n);
		rc = test_one(user, &a, c.cache_use);
	}
	k6_pamd_free(&lines);
	return rc;
}

static int cmd_cache(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "cache-dir", required_argument, NULL, 'c' },
		{ "expired", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	bool expired = false;
	const char *action;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			dir = optarg;
			break;
		case 'e':
			expired = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_ACCEPTED;
		default:
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error("%s", "cache needs one action: list or purge");
	action = argv[optind];
	if (strcmp(action, "list") != 0 && strcmp(action, "purge") != 0)
		return usage_error("cache: unknown action '%s' (list or purge)", action);
	if (expired && strcmp(action, "purge") != 0)
		return usage_error("%s", "--expired applies to purge only");
	if (dir != NULL && dir[0] != '/')
		return usage_error("--cache-dir %s: must be an absolute path", dir);
	return cache_command(dir, action, expired);
}

int main(int argc, char **argv)
{
	const char *cmd;

	/* Lines in the order they were written, when both outputs share a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage_error("%s", "a command is needed");
	cmd = argv[1];
	if (strcmp(cmd, "--version") == 0)
		return version();
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return EXIT_ACCEPTED;
	}
	if (strcmp(cmd, "check") == 0)
		return cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "test") == 0)
		return cmd_test(argc - 1, argv + 1);
	if (strcmp(cmd, "cache") == 0)
		return cmd_cache(argc - 1, argv + 1);
	if (strcmp(cmd, "hash") == 0)
		return cmd_hash(argc - 1, argv + 1);
	if (strcmp(cmd, "enroll") == 0)
		return cmd_enroll(argc - 1, argv + 1);
	if (strcmp(cmd, "revoke") == 0)
		return cmd_revoke(argc - 1, argv + 1);
	if (strcmp(cmd, "tokens") == 0)
		return cmd_tokens(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", cmd);
}
