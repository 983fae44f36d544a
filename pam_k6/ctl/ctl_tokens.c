/* SPDX-License-Identifier: MIT */
/*
 * pam_k6ctl's commands of the tokens file.  hash: a token's line, for
 * anyone to send to the operator; enroll: a token checked with the API and
 * its line added; revoke: lines removed; tokens: the file listed, never a
 * hash.  The file's rules are tokens.c's, its changes tokens_edit.c's.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "base/log_escape.h"
#include "base/secret.h"
#include "core/conf_file.h"
#include "core/login.h"
#include "core/pam_code.h"
#include "core/token.h"
#include "core/tokens.h"
#include "ctl/commands.h"
#include "ctl/ctl.h"
#include "ctl/tokens_edit.h"

/* A comment pam_k6ctl writes: "laptop, enrolled 2026-12-02"; the date is UTC's. */
static void enrolment_comment(const char *text, char *buf, size_t len)
{
	time_t now = time(NULL);
	char date[16] = "";
	struct tm tm;

	if (gmtime_r(&now, &tm) != NULL)
		strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	if (text != NULL && text[0] != '\0')
		snprintf(buf, len, "%s, enrolled %s", text, date);
	else
		snprintf(buf, len, "enrolled %s", date);
}

/* The command line of hash, enroll, revoke and tokens. */
struct token_cmd {
	const char *user;
	const char *tokens;  /* --tokens FILE */
	const char *comment; /* --comment TEXT */
	const char *service;
	const char *pam_dir;
	bool check;
	bool all;
	unsigned line; /* --line N; 0: not given */
	struct args args;
};

/*
 * Parse what follows the command (and its USER, if it takes one); allowed
 * names the options it takes by their letters.  -1 to go on, else the exit
 * status.
 */
static int parse_token_cmd(int argc, char **argv, const char *allowed, struct token_cmd *c)
{
	static const struct option long_options[] = {
		{ "tokens", required_argument, NULL, 't' },
		{ "comment", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "service", required_argument, NULL, 's' },
		{ "pam-dir", required_argument, NULL, 'd' },
		{ "all", no_argument, NULL, 'a' },
		{ "line", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int64_t n;
	int opt;

	c->pam_dir = PAMD_DIR;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+", long_options, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(EXIT_ACCEPTED);
		}
		if (opt == '?' || strchr(allowed, opt) == NULL)
			return usage_error("%s %s",
					   opt == '?' ? "unknown option" : "not an option here:",
					   argv[optind - 1]);
		switch (opt) {
		case 't':
			c->tokens = optarg;
			break;
		case 'c':
			c->comment = optarg;
			break;
		case 'k':
			c->check = true;
			break;
		case 's':
			c->service = optarg;
			c->check = true;
			break;
		case 'd':
			c->pam_dir = optarg;
			break;
		case 'a':
			c->all = true;
			break;
		case 'l':
			if (!k6_parse_id(optarg, &n) || n > 1000000)
				return usage_error("--line %s: a line number", optarg);
			c->line = (unsigned)n;
			break;
		default:
			break;
		}
	}
	c->args.argc = argc - optind;
	c->args.argv = (const char **)argv + optind;
	if (c->args.argc > 0 && strchr(allowed, 's') == NULL)
		return usage_error("unexpected argument '%s'", c->args.argv[0]);
	if (c->args.argc > 0)
		c->check = true;
	{
		const struct service_spec svc = { c->service, NULL, c->pam_dir };

		if (service_or_args(&svc, &c->args) >= 0)
			return EXIT_CONFIG;
	}
	if (c->tokens != NULL && c->tokens[0] != '/')
		return usage_error("--tokens %s: must be an absolute path", c->tokens);
	if (c->comment != NULL && !k6_tokens_comment_ok(c->comment))
		return usage_error("%s",
				   "--comment: at most 200 bytes, no tabs or control characters");
	if (c->user != NULL && !k6_tokens_user_ok(c->user))
		return usage_error("'%s' is not an account's name", c->user);
	return -1;
}

/* A command that takes USER first: "enroll alice --comment laptop". */
static int parse_user_cmd(int argc, char **argv, const char *name, const char *allowed,
			  struct token_cmd *c)
{
	memset(c, 0, sizeof(*c));
	if (argc < 2 || argv[1][0] == '-') {
		usage_error("%s needs a user name first: pam_k6ctl %s USER ...", name, name);
		return EXIT_CONFIG;
	}
	c->user = argv[1];
	return parse_token_cmd(argc - 1, argv + 1, allowed, c);
}

/*
 * The module arguments of a command that reads the configuration: those
 * after "--", or those of the service's first pam_k6 line (said on out).
 * -1 to go on, else the exit status.
 */
static int command_args(const struct token_cmd *c, struct k6_pamd *lines, struct args *a, FILE *out)
{
	const struct service_spec svc = { c->service, NULL, c->pam_dir };
	const struct k6_handler *h;
	int rc;

	memset(lines, 0, sizeof(*lines));
	*a = c->args;
	if (c->service == NULL)
		return -1;
	rc = read_service(&svc, lines, out);
	h = first_k6_line(lines, &svc);
	if (h == NULL)
		return EXIT_CONFIG;
	if (rc != EXIT_ACCEPTED)
		return rc;
	a->argc = h->argc;
	a->argv = (const char **)h->argv;
	return -1;
}

/*
 * Does the k6 API accept the token for user's stack now?  What the module
 * runs, but for the tokens file (the token is not in it yet): the account,
 * the screening, a request (never the cache), the stack pin.  Said on
 * standard error and to syslog, marked with the command; the PAM code the
 * module would return.
 */
static int validate_for(struct k6_options *o, const struct k6_users *users, const char *user,
			const char *token, const char *command)
{
	const struct k6_tokens none = { NULL, 0 };
	struct log_to to = { o, command };
	char *tokens = o->tokens;
	struct k6_login l;
	char shown[200];
	char who[300];
	char line[4096];
	enum k6_status st;

	o->tokens = NULL;
	k6_login_init(&l, o, users, &none, command_log, &to);
	l.cache_use = K6_CACHE_NO_READ;
	st = k6_login_account(&l, user);
	if (st == K6_OK)
		st = k6_login_token(&l, token);
	k6_escape_str(shown, sizeof(shown), user, false);
	if (st == K6_OK)
		fprintf(stderr,
			"pam_k6ctl: the k6 API accepts the token for %s on %s (stack_id %" PRId64
			")\n",
			shown, l.target.stack_url, l.outcome.result.stack_id);
	else
		fprintf(stderr, "pam_k6ctl: refused: %s (%s)%s%s\n",
			k6_pam_code_name(k6_pam_code(st)), k6_status_label(st),
			l.reason[0] != '\0' ? ": " : "", l.reason);
	snprintf(who, sizeof(who), "user=%s", shown);
	k6_login_describe(&l, st, who, l.reason, line, sizeof(line));
	syslog(k6_login_priority(&l, st), "%s: %s", command, line);
	k6_login_free(&l);
	o->tokens = tokens;
	return k6_pam_code(st);
}

/*
 * Read a token and screen it, and see that a line can be made for it; NULL
 * (and why on standard error) if not.
 */
static char *read_screened(const char *prompt)
{
	char *token = read_token(prompt);
	enum k6_token_verdict v;

	if (token == NULL) {
		fprintf(stderr, "pam_k6ctl: no token on standard input\n");
		return NULL;
	}
	v = k6_token_screen(token);
	if (v != K6_TOKEN_OK) {
		fprintf(stderr, "pam_k6ctl: not a token: %s\n", k6_token_verdict_str(v));
		k6_free_secret(token);
		return NULL;
	}
	if (strlen(token) > K6_HASH_TOKEN_MAX) {
		fprintf(stderr,
			"pam_k6ctl: refused: crypt(3) hashes no token longer than %d bytes: no "
			"line can be made for it\n",
			K6_HASH_TOKEN_MAX);
		k6_free_secret(token);
		return NULL;
	}
	return token;
}

/* The invoking user's own name, for hash without USER. */
static char *own_name(void)
{
	struct passwd pw;
	struct passwd *found = NULL;
	char buf[4096];

	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
		return NULL;
	return strdup(pw.pw_name);
}

/* The line for user's token on standard output, and nothing else there. */
static int print_hash_line(const char *user, const char *token, const char *text)
{
	char comment[300];
	char hash[K6_HASH_MAX];
	char why[200];

	if (k6_token_hash(token, hash, sizeof(hash), why, sizeof(why)) != K6_OK) {
		fprintf(stderr, "pam_k6ctl: %s\n", why);
		return EXIT_OTHER;
	}
	enrolment_comment(text, comment, sizeof(comment));
	printf("%s %s %s\n", user, hash, comment);
	return EXIT_ACCEPTED;
}

int cmd_hash(int argc, char **argv)
{
	struct token_cmd c;
	struct k6_options o;
	struct k6_users users = { NULL, 0 };
	struct k6_pamd lines = { 0 };
	struct args a;
	char *user = NULL;
	char *token = NULL;
	int problems = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	memset(&o, 0, sizeof(o));
	if (argc >= 2 && argv[1][0] != '-') {
		c.user = argv[1];
		argc--;
		argv++;
	}
	rc = parse_token_cmd(argc, argv, "cksd", &c);
	if (rc >= 0)
		return rc;
	user = c.user != NULL ? strdup(c.user) : own_name();
	if (user == NULL || !k6_tokens_user_ok(user)) {
		fprintf(stderr, "pam_k6ctl: hash: no user name; give one: pam_k6ctl hash USER\n");
		free(user);
		return EXIT_CONFIG;
	}
	/* With --check, what the module would read here, to ask the API as it would. */
	if (c.check) {
		rc = command_args(&c, &lines, &a, stderr);
		if (rc < 0 && read_options(&o, &users, NULL, &a, &problems) != K6_OK)
			rc = EXIT_CONFIG;
	}
	if (rc < 0) {
		token = read_screened(o.prompt != NULL ? o.prompt : K6_DEFAULT_PROMPT);
		rc = token == NULL ? EXIT_REFUSED : -1;
	}
	if (rc < 0 && c.check) {
		openlog("pam_k6ctl", LOG_PID, LOG_AUTHPRIV);
		rc = exit_for(validate_for(&o, &users, user, token, "hash"));
		closelog();
		rc = rc == EXIT_ACCEPTED ? -1 : rc;
	}
	if (rc < 0)
		rc = print_hash_line(user, token, c.comment);
	k6_free_secret(token);
	k6_pamd_free(&lines);
	k6_users_free(&users);
	k6_options_free(&o);
	free(user);
	return rc;
}

/*
 * The tokens file: --tokens, else tokens= of the configuration the module
 * would read for these arguments.  NULL after saying why.
 */
static char *tokens_path(const struct token_cmd *c, const struct args *a)
{
	struct k6_options o;
	char err[600] = "";
	char *path = NULL;
	enum k6_status st;

	if (c->tokens != NULL)
		return strdup(c->tokens);
	if (k6_options_init(&o) != K6_OK)
		return NULL;
	/* Only tokens= matters here: the rest need not be complete. */
	st = k6_config_load(&o, a->argc, a->argv, 0, err, sizeof(err));
	if (o.tokens != NULL) {
		path = strdup(o.tokens);
	} else {
		fprintf(stderr,
			"pam_k6ctl: no tokens file: give --tokens FILE, or set tokens= in %s\n",
			o.conf != NULL ? o.conf : K6_DEFAULT_CONF);
		/* Say why a configuration file that is there was not read. */
		if (st != K6_OK && o.conf_read == NULL &&
		    access(o.conf != NULL ? o.conf : K6_DEFAULT_CONF, F_OK) == 0)
			fprintf(stderr, "pam_k6ctl: %s\n", err);
	}
	k6_options_free(&o);
	return path;
}

static int need_root(const char *command)
{
	if (geteuid() == 0)
		return -1;
	fprintf(stderr, "pam_k6ctl: %s changes the tokens file, which is root's: run it as root\n",
		command);
	return EXIT_CONFIG;
}

/* An edit's failure, as an exit status. */
static int edit_failed(enum k6_status st, const char *err)
{
	fprintf(stderr, "pam_k6ctl: %s\n", st == K6_NOMEM ? "out of memory" : err);
	return st == K6_CONFIG ? EXIT_CONFIG : EXIT_OTHER;
}

/*
 * The lines the module skips (tokens.h), each said on standard error with
 * what to do; how many.  enroll writes into no file that has one: its
 * check of the new token against every line would pass over them, and the
 * operator would not learn of them.
 */
static size_t say_unusable(const struct k6_tokens *t, const char *path)
{
	char user[160];
	size_t i;

	for (i = 0; i < t->n; i++) {
		if (t->lines[i].unusable == NULL)
			continue;
		k6_escape_str(user, sizeof(user), t->lines[i].user, false);
		fprintf(stderr,
			"pam_k6ctl: error: %s:%u: %s; the module skips the line (remove it with "
			"pam_k6ctl revoke %s --line %u, or replace it with a line of pam_k6ctl "
			"hash)\n",
			path, t->lines[i].line, t->lines[i].unusable, user, t->lines[i].line);
	}
	return k6_tokens_unusable(t);
}

/*
 * Add the line "user hash comment" to the locked file, unless the token
 * is there already, for this account or another, or the account has all
 * the lines it may have.  *line: the new line's number.
 */
static int append_line(struct k6_tokens_edit *e, const char *path, const char *user,
		       const char *token, const char *comment, unsigned *line)
{
	struct k6_tokens now;
	const struct k6_token_line *same = NULL;
	char err[600];
	char hash[K6_HASH_MAX];
	char *text;
	size_t len;
	size_t i;
	int n;
	enum k6_status st = k6_tokens_parse(path, e->text, e->len, &now, err, sizeof(err));
	bool full;

	if (st != K6_OK)
		return edit_failed(st, err);
	if (say_unusable(&now, path) > 0) {
		k6_tokens_free(&now);
		fprintf(stderr,
			"pam_k6ctl: refused: %s has lines the module skips: fix them first\n",
			path);
		return EXIT_CONFIG;
	}
	full = k6_tokens_count(&now, user) >= K6_TOKENS_PER_USER;

	/* Whichever account holds it: one person's token is not two accounts' key. */
	st = k6_tokens_match(&now, NULL, token, &same, err, sizeof(err));
	if (st == K6_OK)
		fprintf(stderr,
			"pam_k6ctl: refused: this token is enrolled already, for %s (%s line %u)\n",
			same->user, path, same->line);
	else if (st == K6_DENIED && full)
		fprintf(stderr,
			"pam_k6ctl: refused: %s has %d lines already, as many as an account may "
			"have\n",
			user, K6_TOKENS_PER_USER);
	k6_tokens_free(&now);
	if (st == K6_OK || (st == K6_DENIED && full))
		return EXIT_REFUSED;
	if (st != K6_DENIED)
		return edit_failed(st, err);
	st = k6_token_hash(token, hash, sizeof(hash), err, sizeof(err));
	if (st != K6_OK)
		return edit_failed(st, err);
	len = e->len + strlen(user) + strlen(hash) + strlen(comment) + 5;
	text = malloc(len);
	if (text == NULL)
		return edit_failed(K6_NOMEM, "");
	/* A last line without its newline gets one first. */
	n = snprintf(text, len, "%.*s%s%s %s %s\n", (int)e->len, e->text,
		     e->len > 0 && e->text[e->len - 1] != '\n' ? "\n" : "", user, hash, comment);
	if (n < 0 || (size_t)n > K6_FILE_MAX) {
		free(text);
		fprintf(stderr, "pam_k6ctl: refused: %s would grow beyond %zu KiB\n", path,
			K6_FILE_MAX / 1024);
		return EXIT_REFUSED;
	}
	*line = 0;
	for (i = 0; i < (size_t)n; i++)
		*line += text[i] == '\n';
	st = k6_tokens_edit_commit(e, text, (size_t)n, err, sizeof(err));
	free(text);
	return st == K6_OK ? EXIT_ACCEPTED : edit_failed(st, err);
}

/*
 * The account's own name, as the module matches it: "ALICE" may be alice,
 * and under SSSD's fully-qualified names alice is alice@corp.example.
 * NULL when the name service knows no such account.
 */
static char *account_name(const char *user)
{
	struct passwd pw;
	struct passwd *found = NULL;
	char buf[4096];

	if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
		return NULL;
	return strdup(pw.pw_name);
}

/*
 * Whether a tokens file line can name the account as the name service
 * spells it: the parser's own rule, so that enroll never writes a line
 * that makes the file unreadable.  Said on standard error if not.
 */
static bool line_can_name(const char *account)
{
	char shown[300];

	if (k6_tokens_user_ok(account))
		return true;
	k6_escape_str(shown, sizeof(shown), account, false);
	fprintf(stderr,
		"pam_k6ctl: refused: the name service calls this account '%s', which a tokens "
		"file line cannot name (at most 256 bytes; no blanks, ':', '/', '*', control or "
		"non-ASCII characters; no '-', '#' or '@' first): give the account a name a "
		"line can hold (with SSSD, override_space); until then it cannot log in with a "
		"token while tokens= is set\n",
		shown);
	return false;
}

/* enroll's tokens file: --tokens, else the configuration's; NULL after saying why. */
static char *enroll_path(const struct token_cmd *c, const struct k6_options *o)
{
	const char *path = c->tokens != NULL ? c->tokens : o->tokens;

	if (path == NULL)
		fprintf(stderr,
			"pam_k6ctl: no tokens file: give --tokens FILE, or set tokens= in %s\n",
			K6_DEFAULT_CONF);
	return path != NULL ? strdup(path) : NULL;
}

int cmd_enroll(int argc, char **argv)
{
	struct token_cmd c;
	struct k6_options o;
	struct k6_users users = { NULL, 0 };
	struct k6_tokens before = { NULL, 0 };
	struct k6_pamd lines = { 0 };
	struct k6_tokens_edit e;
	struct args a;
	char comment[300];
	char err[600];
	char *account = NULL;
	char *path = NULL;
	char *token = NULL;
	unsigned line = 0;
	int problems = 0;
	int rc = parse_user_cmd(argc, argv, "enroll", "tcsd", &c);

	if (rc >= 0)
		return rc;
	rc = need_root("enroll");
	if (rc >= 0)
		return rc;
	memset(&o, 0, sizeof(o));
	memset(&e, 0, sizeof(e));
	e.dir_fd = -1;
	e.lock_fd = -1;
	openlog("pam_k6ctl", LOG_PID, LOG_AUTHPRIV);
	/* The configuration, the file and the account first: then the token. */
	rc = command_args(&c, &lines, &a, stdout);
	if (rc < 0 && read_options(&o, &users, NULL, &a, &problems) != K6_OK)
		rc = EXIT_CONFIG;
	if (rc < 0 && (path = enroll_path(&c, &o)) == NULL)
		rc = EXIT_CONFIG;
	if (rc < 0 && access(path, F_OK) == 0 &&
	    k6_tokens_load(path, 0, &before, err, sizeof(err)) != K6_OK) {
		fprintf(stderr, "pam_k6ctl: %s\n", err);
		rc = EXIT_CONFIG;
	}
	if (rc < 0 && say_unusable(&before, path) > 0) {
		fprintf(stderr,
			"pam_k6ctl: refused: %s has lines the module skips: fix them first\n",
			path);
		rc = EXIT_CONFIG;
	}
	if (rc < 0 && (account = account_name(c.user)) == NULL) {
		fprintf(stderr, "pam_k6ctl: refused: %s: no such account\n", c.user);
		rc = EXIT_REFUSED;
	}
	if (rc < 0 && !line_can_name(account))
		rc = EXIT_CONFIG;
	if (rc < 0) {
		token = read_screened(o.prompt);
		rc = token == NULL ? EXIT_REFUSED :
				     exit_for(validate_for(&o, &users, account, token, "enroll"));
		rc = rc == EXIT_ACCEPTED ? -1 : rc;
	}
	if (rc < 0) {
		enum k6_status st = k6_tokens_edit_begin(&e, path, true, err, sizeof(err));

		enrolment_comment(c.comment, comment, sizeof(comment));
		rc = st == K6_OK ? append_line(&e, path, account, token, comment, &line) :
				   edit_failed(st, err);
	}
	if (rc == EXIT_ACCEPTED) {
		printf("enrolled: %s, %s line %u (%s)\n", account, path, line, comment);
		syslog(LOG_NOTICE, "enroll: a token for %s is %s line %u (%s)", account, path, line,
		       comment);
	}
	k6_tokens_edit_end(&e);
	closelog();
	k6_free_secret(token);
	k6_tokens_free(&before);
	k6_pamd_free(&lines);
	k6_users_free(&users);
	k6_options_free(&o);
	free(account);
	free(path);
	return rc;
}

/*
 * The lines of user that revoke's selector picks, into drop; how many.
 * The user's lines are those of the name given and, when the name service
 * spells the account otherwise (account, or NULL), of that name too.
 */
static size_t pick_lines(const struct k6_tokens *t, const struct token_cmd *c, const char *account,
			 unsigned *drop)
{
	size_t n = 0;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct k6_token_line *l = &t->lines[i];
		char text[300];
		char date[16];

		if (strcmp(l->user, c->user) != 0 &&
		    (account == NULL || strcmp(l->user, account) != 0))
			continue;
		k6_tokens_comment_split(l->comment, text, sizeof(text), date, sizeof(date));
		if (c->all || (c->line != 0 && l->line == c->line) ||
		    (c->comment != NULL &&
		     (strcmp(text, c->comment) == 0 || strcmp(l->comment, c->comment) == 0)))
			drop[n++] = l->line;
	}
	return n;
}

static void print_line(const char *label, const struct k6_token_line *l)
{
	char user[160];
	char text[300];
	char shown[400];
	char date[16];

	k6_escape_str(user, sizeof(user), l->user, false);
	k6_tokens_comment_split(l->comment, text, sizeof(text), date, sizeof(date));
	/* The comment is the last column: its spaces are shown as spaces. */
	k6_escape_str(shown, sizeof(shown), text, true);
	printf("%s%5u  %-16s %-10s  %s\n", label, l->line, user, date[0] != '\0' ? date : "-",
	       shown[0] != '\0' ? shown : "-");
}

static int revoke_lines(struct k6_tokens_edit *e, const char *path, const struct token_cmd *c,
			const char *account)
{
	struct k6_tokens now;
	/* Two names' lines at most: the name given and the account's own. */
	unsigned drop[2 * K6_TOKENS_PER_USER];
	char err[600];
	char *text = NULL;
	size_t len;
	size_t n;
	size_t i;
	size_t j;
	enum k6_status st = k6_tokens_parse(path, e->text, e->len, &now, err, sizeof(err));

	if (st != K6_OK)
		return edit_failed(st, err);
	n = pick_lines(&now, c, account, drop);
	if (n == 0) {
		fprintf(stderr, "pam_k6ctl: refused: no line of %s for %s is %s\n", path, c->user,
			c->all       ? "there" :
			c->line != 0 ? "the one given" :
				       "so commented");
		k6_tokens_free(&now);
		return EXIT_REFUSED;
	}
	st = k6_tokens_drop_lines(e->text, e->len, drop, n, &text, &len);
	if (st == K6_OK)
		st = k6_tokens_edit_commit(e, text, len, err, sizeof(err));
	free(text);
	if (st != K6_OK) {
		k6_tokens_free(&now);
		return edit_failed(st, err);
	}
	for (i = 0; i < now.n; i++)
		for (j = 0; j < n; j++)
			if (now.lines[i].line == drop[j]) {
				print_line("removed ", &now.lines[i]);
				syslog(LOG_NOTICE, "revoke: %s line %u, a token of %s, removed",
				       path, drop[j], now.lines[i].user);
			}
	k6_tokens_free(&now);
	return EXIT_ACCEPTED;
}

int cmd_revoke(int argc, char **argv)
{
	struct token_cmd c;
	struct k6_tokens_edit e;
	char err[600];
	char *path;
	char *account;
	struct k6_pamd lines = { 0 };
	struct args a;
	int rc = parse_user_cmd(argc, argv, "revoke", "talcsd", &c);
	enum k6_status st;

	if (rc >= 0)
		return rc;
	if ((c.all ? 1 : 0) + (c.comment != NULL ? 1 : 0) + (c.line != 0 ? 1 : 0) != 1)
		return usage_error("%s", "revoke needs one of --all, --comment TEXT, --line N");
	rc = need_root("revoke");
	if (rc >= 0)
		return rc;
	rc = command_args(&c, &lines, &a, stderr);
	path = rc < 0 ? tokens_path(&c, &a) : NULL;
	k6_pamd_free(&lines);
	if (path == NULL)
		return rc >= 0 ? rc : EXIT_CONFIG;
	/* The name service is asked before the lock is taken: it may be slow. */
	account = account_name(c.user);
	openlog("pam_k6ctl", LOG_PID, LOG_AUTHPRIV);
	st = k6_tokens_edit_begin(&e, path, false, err, sizeof(err));
	rc = st == K6_OK ? revoke_lines(&e, path, &c, account) : edit_failed(st, err);
	k6_tokens_edit_end(&e);
	closelog();
	free(account);
	free(path);
	return rc;
}

int cmd_tokens(int argc, char **argv)
{
	struct token_cmd c;
	struct k6_tokens t;
	struct k6_pamd lines = { 0 };
	struct args a;
	char err[600];
	char *path;
	size_t i;
	int rc;
	enum k6_status st;

	memset(&c, 0, sizeof(c));
	rc = parse_token_cmd(argc, argv, "tsd", &c);
	if (rc >= 0)
		return rc;
	rc = command_args(&c, &lines, &a, stderr);
	path = rc < 0 ? tokens_path(&c, &a) : NULL;
	k6_pamd_free(&lines);
	if (path == NULL)
		return rc >= 0 ? rc : EXIT_CONFIG;
	st = k6_tokens_load(path, 0, &t, err, sizeof(err));
	if (st != K6_OK) {
		free(path);
		return edit_failed(st, err);
	}
	printf("%5s  %-16s %-10s  %s\n", "line", "user", "enrolled", "comment");
	for (i = 0; i < t.n; i++)
		print_line("", &t.lines[i]);
	printf("%zu line%s for %zu account%s in %s\n", t.n, t.n == 1 ? "" : "s",
	       k6_tokens_accounts(&t), k6_tokens_accounts(&t) == 1 ? "" : "s", path);
	rc = say_unusable(&t, path) > 0 ? EXIT_CONFIG : EXIT_ACCEPTED;
	k6_tokens_free(&t);
	free(path);
	return rc;
}
