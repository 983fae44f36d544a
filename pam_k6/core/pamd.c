/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log_escape.h"
#include "core/pamd.h"

/* The files of one service being read, to refuse loops. */
struct reading {
	const char *dir;
	const char *module_name;
	struct k6_pamd *out;
	k6_problem_fn report;
	void *ctx;
	const char *open[K6_PAMD_DEPTH + 1];
	int depth;
	enum k6_status st;
};

static void problem(struct reading *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct reading *r, const char *fmt, ...)
{
	char text[600];
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): clang 14 misreads va_start when it inlines a variadic callee */
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->report(r->ctx, text);
	if (r->st == K6_OK)
		r->st = K6_CONFIG;
}

/*
 * The next logical line, as libpam assembles it: everything from a '#' to
 * the end of its line is gone, and a line ending in '\' goes on with the
 * next.  NULL at the end; *first is the number of the line it starts on.
 */
static char *next_line(FILE *f, unsigned *lineno, unsigned *first)
{
	char *all = NULL;
	size_t used = 0;
	char *raw = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&raw, &cap, f)) >= 0) {
		char *hash;
		size_t len;
		bool more;
		char *grown;

		++*lineno;
		if (used == 0)
			*first = *lineno;
		len = (size_t)n;
		if (len > 0 && raw[len - 1] == '\n')
			raw[--len] = '\0';
		hash = strchr(raw, '#');
		if (hash != NULL)
			len = (size_t)(hash - raw);
		more = hash == NULL && len > 0 && raw[len - 1] == '\\';
		if (more)
			len--;
		grown = realloc(all, used + len + 2);
		if (grown == NULL)
			break;
		all = grown;
		memcpy(all + used, raw, len);
		used += len;
		all[used++] = ' ';
		all[used] = '\0';
		if (!more)
			break;
	}
	free(raw);
	if (n < 0 && used == 0) {
		free(all);
		return NULL;
	}
	return all;
}

/* The next word at *p; a word that starts with '[' runs to its ']'. */
static char *next_word(char **p, bool bracketed)
{
	char *s = *p + strspn(*p, " \t\r\n");
	char *end;

	if (*s == '\0')
		return NULL;
	if (bracketed && *s == '[') {
		for (end = s + 1; *end != '\0' && *end != ']'; end++)
			if (*end == '\\' && end[1] == ']')
				end++;
		if (*end == ']')
			end++;
	} else {
		end = s + strcspn(s, " \t\r\n");
	}
	if (*end != '\0')
		*end++ = '\0';
	*p = end;
	return s;
}

/* "[a b\]c]" as an argument is "a b]c", as libpam hands it to the module. */
static char *argument(const char *word)
{
	size_t len = strlen(word);
	char *out;
	size_t o = 0;
	size_t i;

	if (word[0] != '[' || len < 2 || word[len - 1] != ']')
		return strdup(word);
	out = malloc(len);
	if (out == NULL)
		return NULL;
	for (i = 1; i + 1 < len; i++) {
		if (word[i] == '\\' && word[i + 1] == ']')
			i++;
		out[o++] = word[i];
	}
	out[o] = '\0';
	return out;
}

/* The line as shown: one space between words, none at the end. */
static void collapse_blanks(char *s)
{
	char *start = s;
	char *o = s;
	bool blank = false;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t') {
			blank = true;
			continue;
		}
		if (blank && o != start)
			*o++ = ' ';
		blank = false;
		*o++ = *s;
	}
	*o = '\0';
}

static bool is_module(const char *path, const char *name)
{
	const char *base = strrchr(path, '/');

	return strcmp(base != NULL ? base + 1 : path, name) == 0;
}

static enum k6_status keep(struct reading *r, const char *file, unsigned line, const char *type,
			   bool quiet, const char *control, const char *module, const char *text,
			   char *rest)
{
	struct k6_pamd_line l;
	struct k6_pamd_line *grown;
	char *word;

	memset(&l, 0, sizeof(l));
	l.file = strdup(file);
	l.line = line;
	l.type = strdup(type);
	l.quiet = quiet;
	l.control = strdup(control);
	l.module = strdup(module);
	l.text = strdup(text);
	if (l.file == NULL || l.type == NULL || l.control == NULL || l.module == NULL ||
	    l.text == NULL)
		goto nomem;
	while ((word = next_word(&rest, true)) != NULL) {
		char **argv = realloc(l.argv, ((size_t)l.argc + 1) * sizeof(*argv));

		if (argv == NULL)
			goto nomem;
		l.argv = argv;
		l.argv[l.argc] = argument(word);
		if (l.argv[l.argc++] == NULL)
			goto nomem;
	}
	grown = realloc(r->out->lines, (r->out->n + 1) * sizeof(*grown));
	if (grown == NULL)
		goto nomem;
	r->out->lines = grown;
	r->out->lines[r->out->n++] = l;
	return K6_OK;
nomem:
	free(l.file);
	free(l.type);
	free(l.control);
	free(l.module);
	free(l.text);
	while (l.argc > 0)
		free(l.argv[--l.argc]);
	free(l.argv);
	return K6_NOMEM;
}

static enum k6_status read_service(struct reading *r, const char *name, const char *only_type,
				   const char *from, unsigned from_line);

/*
 * One logical line: a module line, or an include.  only_type limits an
 * "include" or "substack" to its own type, as libpam does.
 */
static enum k6_status one_line(struct reading *r, const char *file, unsigned line, char *text,
			       const char *only_type)
{
	char *copy = strdup(text + strspn(text, " \t"));
	char *p = text;
	char *type = next_word(&p, false);
	char *control;
	char *module;
	bool quiet;
	enum k6_status st = K6_OK;

	if (copy == NULL)
		return K6_NOMEM;
	collapse_blanks(copy);
	if (type == NULL)
		goto out;
	if (strcasecmp(type, "@include") == 0) {
		module = next_word(&p, false);
		if (module == NULL)
			problem(r, "%s:%u: @include names no file", file, line);
		else
			st = read_service(r, module, only_type, file, line);
		goto out;
	}
	quiet = type[0] == '-';
	if (quiet)
		type++;
	control = next_word(&p, true);
	module = next_word(&p, false);
	if (control == NULL || module == NULL) {
		problem(r, "%s:%u: want TYPE CONTROL MODULE [ARGUMENTS]", file, line);
		goto out;
	}
	if (only_type != NULL && strcasecmp(type, only_type) != 0)
		goto out;
	if (strcasecmp(control, "include") == 0 || strcasecmp(control, "substack") == 0) {
		st = read_service(r, module, type, file, line);
		goto out;
	}
	if (is_module(module, r->module_name))
		st = keep(r, file, line, type, quiet, control, module, copy, p);
out:
	free(copy);
	return st;
}

static enum k6_status read_service(struct reading *r, const char *name, const char *only_type,
				   const char *from, unsigned from_line)
{
	char path[4200];
	char shown[256];
	unsigned lineno = 0;
	unsigned first = 0;
	enum k6_status st = K6_OK;
	char *text;
	FILE *f;
	int i;

	k6_escape_str(shown, sizeof(shown), name, false);
	if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0) {
		problem(r, "%s:%u: \"%s\" is not a file of %s; not followed", from, from_line,
			shown, r->dir);
		return K6_OK;
	}
	for (i = 0; i < r->depth; i++) {
		if (strcmp(r->open[i], name) == 0) {
			problem(r, "%s:%u: %s includes itself; not followed", from, from_line,
				shown);
			return K6_OK;
		}
	}
	if (r->depth == K6_PAMD_DEPTH) {
		problem(r, "%s:%u: includes nest deeper than %d; not followed", from, from_line,
			K6_PAMD_DEPTH);
		return K6_OK;
	}
	snprintf(path, sizeof(path), "%s/%s", r->dir, name);
	f = fopen(path, "re");
	if (f == NULL) {
		if (from == NULL)
			problem(r, "%s: %s", path, strerror(errno));
		else
			problem(r, "%s:%u: %s: %s", from, from_line, path, strerror(errno));
		return K6_OK;
	}
	r->open[r->depth++] = name;
	while (st == K6_OK && (text = next_line(f, &lineno, &first)) != NULL) {
		st = one_line(r, path, first, text, only_type);
		free(text);
	}
	r->depth--;
	fclose(f);
	return st;
}

enum k6_status k6_pamd_find(const char *dir, const char *service, const char *module_name,
			    struct k6_pamd *out, k6_problem_fn report, void *ctx)
{
	struct reading r;
	enum k6_status st;

	memset(&r, 0, sizeof(r));
	out->lines = NULL;
	out->n = 0;
	r.dir = dir;
	r.module_name = module_name;
	r.out = out;
	r.report = report;
	r.ctx = ctx;
	r.st = K6_OK;
	st = read_service(&r, service, NULL, NULL, 0);
	return st != K6_OK ? st : r.st;
}

void k6_pamd_free(struct k6_pamd *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct k6_pamd_line *l = &p->lines[i];

		free(l->file);
		free(l->type);
		free(l->control);
		free(l->module);
		free(l->text);
		while (l->argc > 0)
			free(l->argv[--l->argc]);
		free(l->argv);
	}
	free(p->lines);
	p->lines = NULL;
	p->n = 0;
}
