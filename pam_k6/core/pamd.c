/* SPDX-License-Identifier: MIT */
/*
 * pam.d read as libpam 1.5.2 reads it (libpam/pam_handlers.c and
 * pam_misc.c): the same line assembly, the same words, the same controls,
 * the same handlers in the same order.  Each step below is libpam's, named
 * after what it does; where libpam's behaviour is odd, the comment says so,
 * since the odd cases are the ones an operator's slip runs into.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "base/log_escape.h"
#include "core/pamd.h"
#include "core/pamd_text.h"

/* libpam reads a logical line into a buffer of this size. */
#define LINE_BUF (K6_PAMD_LINE_MAX + 1)

/* "Any type": what a service file is read for, and a top-level @include. */
#define ANY_TYPE (-1)

static const char *const type_names[] = { "auth", "account", "session", "password" };

struct list {
	struct k6_handler *h;
	size_t n;
};

struct reader {
	const struct k6_pamd_source *src;
	struct k6_pamd *out;
	k6_problem_fn report;
	void *ctx;
	enum k6_status st;
	struct list conf;  /* the service's handlers */
	struct list other; /* the "other" service's */
	unsigned files;    /* opened so far */
	unsigned lines;    /* read so far */
	bool bounded;      /* a bound was hit: nothing more is read */
	const char *reading[K6_PAMD_DEPTH + 2];
	int depth;
};

static void problem(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct reader *r, const char *fmt, ...)
{
	char text[700];
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): clang 14 misreads va_start when it inlines a variadic callee */
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (r->report != NULL)
		r->report(r->ctx, text);
	if (r->st == K6_OK)
		r->st = K6_CONFIG;
}

/* --- handlers -------------------------------------------------------------- */

static void free_handler(struct k6_handler *h)
{
	free(h->file);
	free(h->text);
	free(h->control);
	free(h->module);
	free(h->module_path);
	while (h->argc > 0)
		free(h->argv[--h->argc]);
	free(h->argv);
}

/* The line as shown: one blank between words, none at the ends. */
static char *shown_line(const char *text)
{
	char *out = malloc(strlen(text) + 1);
	char *o = out;
	bool blank = false;

	if (out == NULL)
		return NULL;
	for (; *text != '\0'; text++) {
		if (*text == ' ' || *text == '\t' || *text == '\n') {
			blank = true;
			continue;
		}
		if (blank && o != out)
			*o++ = ' ';
		blank = false;
		*o++ = *text;
	}
	*o = '\0';
	return out;
}

/* What libpam names a module after: its file name up to the last '.'; "" or "?" it refuses. */
static bool module_name_usable(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	size_t len;

	base = base != NULL ? base + 1 : path;
	dot = strrchr(base, '.');
	len = dot != NULL ? (size_t)(dot - base) : strlen(base);
	return len > 0 && !(len == 1 && base[0] == '?');
}

static bool is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Where libpam loads a module named without a path from: its module
 * folder, and then (Debian's multiarch patch) /lib/security.
 */
static char *module_file(const struct reader *r, const char *module)
{
	static const char fallback[] = "/lib/security";
	char *path;
	size_t len;

	if (module[0] == '/')
		return strdup(module);
	len = strlen(r->src->module_dir) + strlen(module) + sizeof(fallback) + 2;
	path = malloc(len);
	if (path == NULL)
		return NULL;
	snprintf(path, len, "%s/%s", r->src->module_dir, module);
	if (!is_regular(path)) {
		char other[4200];

		snprintf(other, sizeof(other), "%s/%s", fallback, module);
		if (is_regular(other))
			snprintf(path, len, "%s", other);
	}
	return path;
}

struct line_ctx {
	const char *file;
	unsigned line;
	const char *text;
};

static enum k6_status add(struct reader *r, bool other, const struct line_ctx *lc,
			  enum k6_handler_kind kind, enum k6_pam_type type, int level,
			  const int *actions, const char *control, const char *module, bool quiet,
			  char *args)
{
	struct list *l = other ? &r->other : &r->conf;
	struct k6_handler h;
	struct k6_handler *grown;
	char *word;

	memset(&h, 0, sizeof(h));
	h.kind = kind;
	h.type = type;
	h.level = level;
	memcpy(h.actions, actions, sizeof(h.actions));
	h.line = lc->line;
	h.quiet = quiet;
	h.file = strdup(lc->file);
	h.text = shown_line(lc->text);
	h.control = strdup(control != NULL ? control : "");
	if (h.file == NULL || h.text == NULL || h.control == NULL)
		goto nomem;
	if (module != NULL) {
		h.module = strdup(module);
		if (h.module == NULL)
			goto nomem;
	}
	if (module != NULL && kind == K6_HANDLER_MODULE) {
		h.module_path = module_file(r, module);
		if (h.module_path == NULL)
			goto nomem;
		h.loads = is_regular(h.module_path);
	}
	while ((word = k6_pamd_word(&args)) != NULL) {
		char **argv = realloc(h.argv, ((size_t)h.argc + 1) * sizeof(*argv));

		if (argv == NULL)
			goto nomem;
		h.argv = argv;
		h.argv[h.argc] = strdup(word);
		if (h.argv[h.argc++] == NULL)
			goto nomem;
	}
	grown = realloc(l->h, (l->n + 1) * sizeof(*grown));
	if (grown == NULL)
		goto nomem;
	l->h = grown;
	l->h[l->n++] = h;
	return K6_OK;
nomem:
	free_handler(&h);
	return K6_NOMEM;
}

/* The last handler added, to say why it must fail. */
static struct k6_handler *last(struct reader *r, bool other)
{
	struct list *l = other ? &r->other : &r->conf;

	return &l->h[l->n - 1];
}

static int load_file(struct reader *r, const char *path, int type, int level, bool other,
		     const struct line_ctx *from);

/* What a type word names; -1 for none.  "@include" is told apart by the caller. */
static int type_of(const char *word)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcasecmp(word, type_names[i]) == 0)
			return (int)i;
	return -1;
}

enum include_kind {
	NOT_INCLUDE,
	INCLUDE,
	SUBSTACK,
	AT_INCLUDE,
};

/*
 * The file an include names, as libpam finds it: an absolute name as it
 * is; any other in the pam.d folder (libpam's is /etc/pam.d, whatever
 * folder the service came from: pam_k6ctl's is the folder it reads).  A
 * name that leaves the folder ("../x") is refused: it is a slip, and a
 * pam.d file is no way to read other files.
 */
static char *include_path(struct reader *r, const char *name, const struct line_ctx *lc)
{
	char *path;
	size_t len;
	char shown[256];

	if (name[0] == '/')
		return strdup(name);
	k6_escape_str(shown, sizeof(shown), name, false);
	if (strchr(name, '/') != NULL || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		problem(r, "%s:%u: \"%s\" is not a file of %s; not followed", lc->file, lc->line,
			shown, r->src->dir);
		return NULL;
	}
	len = strlen(r->src->dir) + strlen(name) + 2;
	path = malloc(len);
	if (path != NULL)
		snprintf(path, len, "%s/%s", r->src->dir, name);
	return path;
}

/*
 * An include, @include or substack line.  libpam puts a substack handler
 * first (which it skips when it runs the stack, but which a jump counts
 * as one line), reads the file one level deeper for a substack, and in
 * place of an include it cannot read puts a handler that must fail.
 */
static int include_line(struct reader *r, bool other, const struct line_ctx *lc,
			enum include_kind kind, int type, int level, int *actions,
			const char *control, const char *name, bool quiet)
{
	char *path;
	int rc = -1;
	int inner = level + (kind == SUBSTACK ? 1 : 0);
	enum k6_status st;

	if (name == NULL) {
		/* libpam reads the missing name's first byte: the caller crashes. */
		problem(r, "%s:%u: an include without a file name: libpam would crash", lc->file,
			lc->line);
		return -1;
	}
	if (kind == SUBSTACK && !module_name_usable(name)) {
		problem(r,
			"%s:%u: libpam refuses a substack named \"%s\", and with it the whole "
			"configuration",
			lc->file, lc->line, name);
		return -1;
	}
	if (kind == SUBSTACK) {
		st = add(r, other, lc, K6_HANDLER_SUBSTACK, (enum k6_pam_type)type, level, actions,
			 control, name, quiet, NULL);
		if (st != K6_OK)
			return -3;
	}
	path = include_path(r, name, lc);
	if (path == NULL && r->st == K6_NOMEM)
		return -3;
	if (path != NULL && load_file(r, path, type, inner, other, lc) == 0)
		rc = 0;
	free(path);
	if (r->bounded)
		return -2;
	if (rc == 0)
		return 0;
	if (type == ANY_TYPE) {
		/* A failed @include read for every type: libpam cannot add its handler, and gives up. */
		problem(r, "%s:%u: libpam refuses the whole configuration when an @include fails",
			lc->file, lc->line);
		return -1;
	}
	if (kind == AT_INCLUDE)
		problem(r,
			"%s:%u: an @include that fails inside an include: libpam runs a handler "
			"with actions it never set",
			lc->file, lc->line);
	k6_pamd_set_default(actions, K6_ACT_BAD);
	st = add(r, other, lc, K6_HANDLER_MUST_FAIL, (enum k6_pam_type)type, level, actions,
		 control, NULL, quiet, NULL);
	if (st != K6_OK)
		return -3;
	last(r, other)->why = "its include could not be read";
	return 0;
}

/* What a line says, word by word, on its way to a handler. */
struct parts {
	int type;
	enum k6_handler_kind kind;
	enum include_kind include;
	int actions[K6_PAM_CODES];
	const char *why;           /* why the line must fail */
	const char *control_error; /* libpam's error reading the control */
	char *control;
	char *module;
	bool quiet;
};

/*
 * The first word: a type ("-" before it only silences libpam's log line),
 * or @include.  An unknown type makes a line that fails, in the type being
 * read (auth at the top).
 */
static void read_type(struct reader *r, const struct line_ctx *lc, char **next, int requested,
		      struct parts *lp)
{
	char *tok = k6_pamd_word(next);
	char shown[64];

	lp->type = requested != ANY_TYPE ? requested : K6_PAM_AUTH;
	if (tok == NULL) {
		lp->kind = K6_HANDLER_MUST_FAIL;
		lp->why = "no type";
		return;
	}
	if (tok[0] == '-') {
		lp->quiet = true;
		tok++;
	}
	if (strcasecmp(tok, "@include") == 0) {
		lp->include = AT_INCLUDE;
		lp->type = requested;
		return;
	}
	if (type_of(tok) >= 0) {
		lp->type = type_of(tok);
		return;
	}
	k6_escape_str(shown, sizeof(shown), tok, false);
	problem(r, "%s:%u: unknown type '%s': libpam puts a failing line in its place", lc->file,
		lc->line, shown);
	lp->kind = K6_HANDLER_MUST_FAIL;
	lp->why = "its type is unknown";
}

/* The second word: the control, or include and substack. */
static void read_control(char **next, struct parts *lp)
{
	lp->control = k6_pamd_word(next);
	switch (k6_pamd_control(lp->control, lp->actions, &lp->control_error)) {
	case K6_PAMD_NO_CONTROL:
		lp->kind = K6_HANDLER_MUST_FAIL;
		lp->why = "it has no control";
		break;
	case K6_PAMD_INCLUDE:
		lp->include = INCLUDE;
		break;
	case K6_PAMD_SUBSTACK:
		lp->include = SUBSTACK;
		break;
	case K6_PAMD_ACTIONS:
		break;
	}
}

/* A module line (or the failing line libpam makes of a broken one), as a handler. */
static int module_line(struct reader *r, bool other, const struct line_ctx *lc, int level,
		       struct parts *lp, char *args)
{
	struct k6_handler *h;

	if (lp->module == NULL && lp->kind != K6_HANDLER_MUST_FAIL) {
		lp->kind = K6_HANDLER_MUST_FAIL;
		lp->why = "it names no module";
	}
	/* libpam names every handler after its module, a failing one too. */
	if (lp->module != NULL && !module_name_usable(lp->module)) {
		problem(r,
			"%s:%u: libpam refuses a module named \"%s\", and with it the whole "
			"configuration",
			lc->file, lc->line, lp->module);
		return -1;
	}
	if (lp->kind == K6_HANDLER_MUST_FAIL)
		problem(r, "%s:%u: libpam cannot use this line (%s): it fails when run", lc->file,
			lc->line, lp->why);
	if (lp->control_error != NULL)
		problem(r, "%s:%u: libpam cannot read the control (%s): every return is \"bad\"",
			lc->file, lc->line, lp->control_error);
	if (add(r, other, lc, lp->kind, (enum k6_pam_type)lp->type, level, lp->actions, lp->control,
		lp->module, lp->quiet, args) != K6_OK)
		return -3;
	h = last(r, other);
	h->why = lp->why;
	h->bad_control = lp->control_error != NULL;
	if (lp->kind == K6_HANDLER_MODULE && !h->loads && !lp->quiet)
		problem(r,
			"%s:%u: %s is not there: libpam runs the line as a module that returns "
			"PAM_MODULE_UNKNOWN",
			lc->file, lc->line, h->module_path);
	return 0;
}

/*
 * One logical line, as _pam_parse_conf_file takes it: -1 where libpam
 * gives up on the file, -3 out of memory, -2 a bound hit, else 0.  A line
 * of another type than the one being read is passed over (not @include).
 */
static int one_line(struct reader *r, bool other, const struct line_ctx *lc, char *buf,
		    int requested, int level)
{
	char *next = buf;
	struct parts lp;
	int i;

	memset(&lp, 0, sizeof(lp));
	lp.kind = K6_HANDLER_MODULE;
	for (i = 0; i < K6_PAM_CODES; i++)
		lp.actions[i] = K6_ACT_UNDEF;
	read_type(r, lc, &next, requested, &lp);
	if (lp.include != AT_INCLUDE) {
		if (requested != ANY_TYPE && lp.type != requested)
			return 0;
		read_control(&next, &lp);
	}
	lp.module = k6_pamd_word(&next);
	if (lp.include != NOT_INCLUDE)
		return include_line(r, other, lc, lp.include, lp.type, level, lp.actions,
				    lp.control, lp.module, lp.quiet);
	return module_line(r, other, lc, level, &lp, next);
}

/* _pam_parse_conf_file: 0, or -1 where libpam gives up on the file (after the lines before). */
static int parse(struct reader *r, const char *path, const char *text, size_t len, int requested,
		 int level, bool other)
{
	char buf[LINE_BUF];
	char shown[LINE_BUF];
	unsigned lineno = 0;
	unsigned first = 0;
	int rc = 0;
	int got;
	FILE *f;

	if (len == 0)
		return 0;
	f = fmemopen((void *)text, len, "r");
	if (f == NULL) {
		r->st = K6_NOMEM;
		return -3;
	}
	while ((got = k6_pamd_assemble(f, buf, &lineno, &first, &r->lines)) > 0) {
		struct line_ctx lc = { path, first, shown };

		memcpy(shown, buf, sizeof(shown));
		rc = one_line(r, other, &lc, buf, requested, level);
		if (rc < 0)
			break;
	}
	if (got == -2) {
		problem(r, "%s:%u: more than %d lines read in all; not read further", path, lineno,
			K6_PAMD_LINES);
		r->bounded = true;
		rc = -2;
	} else if (got == -3) {
		problem(r,
			"%s:%u: continued lines that fill libpam's line exactly: libpam would "
			"never finish reading",
			path, lineno);
		r->bounded = true;
		rc = -2;
	} else if (got < 0 && rc == 0) {
		problem(r,
			"%s:%u: continued lines longer than %d bytes, or continued past the "
			"end: libpam refuses the file",
			path, lineno, K6_PAMD_LINE_MAX);
		rc = -1;
	}
	fclose(f);
	return rc;
}

/*
 * Read a file and parse it, as _pam_load_conf_file and _pam_init_handlers
 * both do; a problem is said after where ("file:line: " of the include, or
 * nothing for a service's own file).  0; -1 where libpam refused it; -2 a
 * bound hit; -3 out of memory; -4 where it could not be read (a file that
 * is not there said only if say_missing).
 */
static int read_file(struct reader *r, const char *path, const char *where, int type, int level,
		     bool other, bool say_missing)
{
	char shown[300];
	char why[160] = "";
	char *text;
	size_t len = 0;
	int rc;

	k6_escape_str(shown, sizeof(shown), path, false);
	text = k6_pamd_slurp(path, &len, why, sizeof(why));
	if (why[0] != '\0' && (say_missing || text != NULL || errno != ENOENT))
		problem(r, "%s%s: %s", where, shown, why);
	if (text == NULL)
		return -4;
	r->reading[r->depth++] = path;
	rc = parse(r, shown, text, len, type, level, other);
	r->depth--;
	free(text);
	return rc == 0 ? 0 : rc == -2 || rc == -3 ? rc : -1;
}

/* _pam_load_conf_file: 0, or -1 where libpam could not read the file. */
static int load_file(struct reader *r, const char *path, int type, int level, bool other,
		     const struct line_ctx *from)
{
	char where[400];
	int rc;
	int i;

	snprintf(where, sizeof(where), "%s:%u: ", from->file, from->line);
	if (level >= K6_PAMD_DEPTH) {
		problem(r,
			"%ssubstacks nest deeper than %d: libpam puts a failing line in their "
			"place",
			where, K6_PAMD_DEPTH);
		return -1;
	}
	for (i = 0; i < r->depth; i++) {
		if (strcmp(r->reading[i], path) == 0) {
			char shown[300];

			k6_escape_str(shown, sizeof(shown), path, false);
			problem(r, "%s%s includes itself; not followed", where, shown);
			return -1;
		}
	}
	if (r->depth > K6_PAMD_DEPTH) {
		problem(r, "%sincludes nest deeper than %d; not read further", where,
			K6_PAMD_DEPTH);
		r->bounded = true;
		return -2;
	}
	if (++r->files > K6_PAMD_FILES) {
		problem(r, "%smore than %d files read; not read further", where, K6_PAMD_FILES);
		r->bounded = true;
		return -2;
	}
	rc = read_file(r, path, where, type, level, other, true);
	return rc == -4 ? -1 : rc;
}

/* The top of a reading: the service's file, or other.  0, -1 (refused), 1 (not there). */
static int top_file(struct reader *r, const char *path, bool other)
{
	int rc;

	r->files++;
	rc = read_file(r, path, "", ANY_TYPE, 0, other, !other);
	return rc == 0 ? 0 : rc == -4 ? 1 : -1;
}

static void free_list(struct list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free_handler(&l->h[i]);
	free(l->h);
	l->h = NULL;
	l->n = 0;
}

static bool has_type(const struct list *l, enum k6_pam_type type)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->h[i].type == type)
			return true;
	return false;
}

/* Each type from the service, or from other where the service has none: libpam's choice. */
static enum k6_status combine(struct reader *r)
{
	struct k6_pamd *p = r->out;
	int type;
	size_t i;

	p->h = calloc(r->conf.n + r->other.n + 1, sizeof(*p->h));
	if (p->h == NULL)
		return K6_NOMEM;
	for (type = K6_PAM_AUTH; type <= K6_PAM_PASSWORD; type++) {
		struct list *from =
			has_type(&r->conf, (enum k6_pam_type)type) ? &r->conf : &r->other;

		p->other[type] = from == &r->other && has_type(from, (enum k6_pam_type)type);
		for (i = 0; i < from->n; i++) {
			if ((int)from->h[i].type != type)
				continue;
			p->h[p->n++] = from->h[i];
			memset(&from->h[i], 0, sizeof(from->h[i]));
		}
	}
	return K6_OK;
}

enum k6_status k6_pamd_read(const struct k6_pamd_source *src, struct k6_pamd *out,
			    k6_problem_fn report, void *ctx)
{
	struct reader r;
	char *service_path = NULL;
	char *other_path = NULL;
	int own;
	int rc = 0;
	size_t len = strlen(src->dir) + strlen(src->service) + 8;
	size_t i;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	r.src = src;
	r.out = out;
	r.report = report;
	r.ctx = ctx;
	service_path = malloc(len);
	other_path = malloc(strlen(src->dir) + 8);
	if (service_path == NULL || other_path == NULL) {
		r.st = K6_NOMEM;
		goto out;
	}
	/* pam_start takes the service's name in lower case. */
	snprintf(service_path, len, "%s/", src->dir);
	for (i = 0; src->service[i] != '\0'; i++) {
		char c = src->service[i];

		service_path[strlen(src->dir) + 1 + i] =
			(char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	service_path[strlen(src->dir) + 1 + i] = '\0';
	snprintf(other_path, strlen(src->dir) + 8, "%s/other", src->dir);
	own = top_file(&r, src->file != NULL ? src->file : service_path,
		       strcasecmp(src->service, "other") == 0);
	/* libpam reads other only when the service's own file did not fail. */
	if (own >= 0 && r.st != K6_NOMEM && !r.bounded)
		rc = top_file(&r, other_path, true);
	if (own < 0 || rc < 0 || (own == 1 && rc == 1) || r.bounded) {
		out->aborts = true;
		out->unread = r.bounded;
		snprintf(out->abort_why, sizeof(out->abort_why), "%s",
			 own == 1 && rc == 1 ? "neither the service's file nor other can be read" :
			 r.bounded           ? "a bound of pam_k6ctl's reading was hit" :
					       "libpam refuses the configuration");
	}
	if (r.st != K6_NOMEM && combine(&r) != K6_OK)
		r.st = K6_NOMEM;
out:
	free_list(&r.conf);
	free_list(&r.other);
	free(service_path);
	free(other_path);
	if (r.st == K6_NOMEM)
		k6_pamd_free(out);
	return r.st;
}

void k6_pamd_free(struct k6_pamd *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free_handler(&p->h[i]);
	free(p->h);
	p->h = NULL;
	p->n = 0;
}

const char *k6_pam_type_name(enum k6_pam_type type)
{
	return type_names[type];
}

const char *k6_handler_basename(const struct k6_handler *h)
{
	const char *slash;

	if (h->module == NULL)
		return "";
	slash = strrchr(h->module, '/');
	return slash != NULL ? slash + 1 : h->module;
}
