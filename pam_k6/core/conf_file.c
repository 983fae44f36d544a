/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log_escape.h"
#include "core/conf_file.h"
#include "core/line_file.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim blanks at both ends of s[0..*n) in place; return the new start. */
static char *trim(char *s, size_t *n)
{
	while (*n > 0 && is_blank(*s)) {
		s++;
		(*n)--;
	}
	while (*n > 0 && is_blank(s[*n - 1]))
		(*n)--;
	return s;
}

/*
 * Where the value's comment starts: a '#' at the start of the value or
 * after a blank, outside double quotes.  A '#' inside a word (a URL's
 * fragment, a password) is part of the value.
 */
static size_t comment_start(const char *s, size_t n)
{
	bool quoted = false;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (s[i] == '#' && !quoted && (i == 0 || is_blank(s[i - 1])))
			return i;
	}
	return n;
}

/*
 * Turn one line into the item the option setter takes: "key = value  #
 * comment" into "key=value", a flag into its word; a value in double
 * quotes keeps its blanks and '#'s.  Returns false for a blank or comment
 * line.
 */
static bool line_to_item(char *line, char **item)
{
	size_t n = strlen(line);
	char *key;
	char *eq;
	size_t klen;

	if (n > 0 && line[n - 1] == '\r')
		n--;
	n = comment_start(line, n);
	key = trim(line, &n);
	if (n == 0)
		return false;
	key[n] = '\0';
	eq = strchr(key, '=');
	klen = eq != NULL ? (size_t)(eq - key) : n;
	trim(key, &klen);
	if (eq != NULL) {
		size_t vlen = n - (size_t)(eq + 1 - key);
		char *value = trim(eq + 1, &vlen);

		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value++;
			vlen -= 2;
		}
		memmove(key + klen + 1, value, vlen);
		key[klen] = '=';
		key[klen + 1 + vlen] = '\0';
	} else {
		key[klen] = '\0';
	}
	*item = key;
	return true;
}

enum k6_status k6_config_apply(struct k6_options *o, const char *path, const char *text, size_t len,
			       k6_problem_fn report, void *ctx)
{
	enum k6_status worst = K6_OK;
	char shown[256];
	char buf[K6_LINE_MAX + 1];
	char problem[640];
	char why[256];
	size_t pos = 0;
	unsigned line = 0;
	int more;

	k6_escape_str(shown, sizeof(shown), path, false);
	k6_options_new_source(o, K6_FROM_FILE);
	while ((more = k6_next_line(shown, text, len, &pos, &line, buf, problem, sizeof(problem))) >
	       0) {
		enum k6_status st;
		char *item;

		if (!line_to_item(buf, &item))
			continue;
		o->source_line = line;
		if (strcmp(item, "conf") == 0 || strncmp(item, "conf=", 5) == 0) {
			snprintf(problem, sizeof(problem),
				 "%s:%u: option 'conf' can only be a module argument", shown, line);
			st = K6_CONFIG;
		} else {
			st = k6_options_set(o, item, why, sizeof(why));
			snprintf(problem, sizeof(problem), "%s:%u: %s", shown, line, why);
		}
		if (st == K6_NOMEM)
			return st;
		if (st != K6_OK) {
			report(ctx, problem);
			worst = st;
		}
	}
	if (more < 0) {
		report(ctx, problem);
		return K6_CONFIG;
	}
	return worst;
}

enum k6_status k6_config_read(struct k6_options *o, int argc, const char **argv, uid_t owner,
			      k6_problem_fn report, void *ctx)
{
	const struct k6_file_rules rules = K6_ADMIN_FILE_RULES(owner);
	const char *path = K6_DEFAULT_CONF;
	enum k6_status file_st = K6_OK;
	enum k6_status st;
	bool named = false;
	bool missing = false;
	char *text = NULL;
	size_t len = 0;
	int i;

	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0 && !named) {
			path = argv[i] + 5;
			named = true;
		}
	}
	if (!named || path[0] != '\0') {
		char problem[640];

		file_st = k6_read_trusted_file(path, &rules, &text, &len, &missing, problem,
					       sizeof(problem));
		/* Only the default file may be absent: said if nothing else configures. */
		if (file_st == K6_CONFIG && missing && !named) {
			o->conf_missing = path;
			file_st = K6_OK;
		} else if (file_st == K6_CONFIG) {
			/* A file that cannot be trusted is not read at all. */
			report(ctx, problem);
			return file_st;
		} else if (file_st == K6_OK) {
			o->conf_read = strdup(path);
			file_st = o->conf_read != NULL ?
					  k6_config_apply(o, path, text, len, report, ctx) :
					  K6_NOMEM;
		}
		free(text);
		if (file_st == K6_NOMEM)
			return file_st;
	}
	st = k6_options_from_args(o, argc, argv, report, ctx);
	if (st == K6_OK && file_st == K6_OK)
		st = k6_options_check_trust(o, report, ctx);
	return file_st != K6_OK && st != K6_NOMEM ? file_st : st;
}

struct first {
	char *err;
	size_t len;
};

/* Keep the first problem: the one the module logs. */
static void first_problem(void *ctx, const char *problem)
{
	struct first *f = ctx;

	if (f->err[0] == '\0')
		snprintf(f->err, f->len, "%s", problem);
}

enum k6_status k6_config_load(struct k6_options *o, int argc, const char **argv, uid_t owner,
			      char *err, size_t errlen)
{
	struct first first = { err, errlen };
	enum k6_status st;

	err[0] = '\0';
	st = k6_config_read(o, argc, argv, owner, first_problem, &first);
	if (st == K6_NOMEM)
		snprintf(err, errlen, "out of memory");
	return st;
}
