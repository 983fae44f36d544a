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

/* libpam reads a logical line into a buffer of this size. */
#define LINE_BUF (K6_PAMD_LINE_MAX + 1)

/* "Any type": what a service file is read for, and a top-level @include. */
#define ANY_TYPE (-1)

/* libpam's names of the return codes, in its order (_pam_token_returns), then "default". */
static const char *const code_tokens[K6_PAM_CODES + 1] = {
	"success",
	"open_err",
	"symbol_err",
	"service_err",
	"system_err",
	"buf_err",
	"perm_denied",
	"auth_err",
	"cred_insufficient",
	"authinfo_unavail",
	"user_unknown",
	"maxtries",
	"new_authtok_reqd",
	"acct_expired",
	"session_err",
	"cred_unavail",
	"cred_expired",
	"cred_err",
	"no_module_data",
	"conv_err",
	"authtok_err",
	"authtok_recover_err",
	"authtok_lock_busy",
	"authtok_disable_aging",
	"try_again",
	"ignore",
	"abort",
	"authtok_expired",
	"module_unknown",
	"bad_item",
	"conv_again",
	"incomplete",
	"default",
};

/* libpam's names of the actions, by minus their value (_pam_token_actions). */
static const char *const action_tokens[] = { "ignore", "ok", "done", "bad", "die", "reset" };
#define NACTIONS (sizeof(action_tokens) / sizeof(action_tokens[0]))

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

/* --- reading a file -------------------------------------------------------- */

/*
 * The file's whole text, if it is one to read: libpam opens with fopen
 * (symbolic links followed, as authselect's are), but a FIFO would hang
 * it and a device never end, so anything but a regular file of bounded
 * size is refused, checked on the open descriptor.  NULL with a phrase in
 * why ("is not a regular file").
 */
static char *slurp(const char *path, size_t *len, char *why, size_t whylen)
{
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, whylen, "cannot be examined: %s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		/* fopen opens a folder, and its first read fails: libpam reads no line. */
		text = strdup("");
		*len = 0;
		snprintf(why, whylen, "is a folder: libpam reads it as an empty file");
		goto out;
	}
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3) {
		/* /dev/null: libpam reads no line from it. */
		text = strdup("");
		*len = 0;
		snprintf(why, whylen, "is not a regular file: libpam reads it as an empty one");
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "is not a regular file");
		goto out;
	}
	if ((size_t)st.st_size > K6_PAMD_FILE_MAX) {
		snprintf(why, whylen, "is larger than %zu bytes", K6_PAMD_FILE_MAX);
		goto out;
	}
	text = malloc(K6_PAMD_FILE_MAX + 1);
	if (text == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, text + got, K6_PAMD_FILE_MAX + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "cannot be read: %s", strerror(errno));
			free(text);
			text = NULL;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > K6_PAMD_FILE_MAX) {
			snprintf(why, whylen, "is larger than %zu bytes", K6_PAMD_FILE_MAX);
			free(text);
			text = NULL;
			goto out;
		}
	}
	text[got] = '\0';
	*len = got;
out:
	close(fd);
	return text;
}

/*
 * One logical line, as _pam_assemble_line builds it with fgets into a
 * buffer of LINE_BUF bytes: blank lines and lines whose first word starts
 * with '#' are passed over, even inside a continued line; a '#' ends the
 * line (and any continuation); a '\' before the end (blanks after it
 * allowed) continues it.  A physical line longer than the buffer is cut,
 * and its rest read as the next line.  1 with a line (counted from
 * *first), 0 at the end, -1 where libpam gives up: the buffer filled by
 * continued lines, or a continued line at the end of the file.
 */
static int assemble(struct reader *r, FILE *f, char *buf, unsigned *lineno, unsigned *first)
{
	char *p = buf;
	char *end = buf + LINE_BUF;
	size_t used = 0;

	for (;;) {
		unsigned this_line = *lineno + 1;
		char *s;
		char *os;

		if (p >= end)
			return -1;
		if (end - p < 2)
			return -3; /* libpam would read nothing, forever */
		if (fgets(p, (int)(end - p), f) == NULL)
			return used > 0 ? -1 : 0;
		if (strchr(p, '\n') != NULL || feof(f)) {
			*lineno = this_line;
			if (++r->lines > K6_PAMD_LINES)
				return -2;
		}
		s = p + strspn(p, " \n\t");
		if (*s == '\0' || *s == '#')
			continue; /* nothing on this line; p stays */
		if (used == 0)
			*first = this_line;
		os = s;
		while (*s != '\0' && *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			return 1;
		}
		s = os + strlen(os);
		while (s > os && (*--s == ' ' || *s == '\t' || *s == '\n'))
			;
		if (*s != '\\')
			return 1;
		*s++ = ' ';
		*s = '\0';
		used += strlen(os);
		p = s;
	}
}

/*
 * The next word, as _pam_StrTok finds it: blanks skipped; a word that
 * starts with '[' runs to the first ']' (or the end), loses its brackets,
 * and "\]" inside it becomes "]".  NULL when no word is left.
 */
static char *next_word(char **next)
{
	char *from = *next;
	char *end;

	if (from == NULL)
		return NULL;
	from += strspn(from, " \n\t");
	if (*from == '[') {
		char *to;

		for (to = end = ++from; *end != '\0' && *end != ']'; ++to, ++end) {
			if (*end == '\\' && end[1] == ']')
				++end;
			if (to != end)
				*to = *end;
		}
		if (to != end)
			*to = '\0';
	} else if (*from != '\0') {
		end = from + strcspn(from, " \n\t");
	} else {
		*next = NULL;
		return NULL;
	}
	if (*end != '\0')
		*end++ = '\0';
	*next = *end != '\0' ? end : NULL;
	return from;
}

/* --- controls -------------------------------------------------------------- */

static void set_default(int *actions, int action)
{
	int i;

	for (i = 0; i < K6_PAM_CODES; i++)
		if (actions[i] == K6_ACT_UNDEF)
			actions[i] = action;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\v' || *s == '\f' || *s == '\r')
		s++;
	return s;
}

/*
 * "value=action ..." as _pam_parse_control reads it: names and actions
 * are matched by their beginning, as libpam does ("successful=1" is
 * "success" and then an error), a jump is a number from 1, and any error
 * makes every action "bad".  NULL, or the error as libpam words it.
 */
static const char *parse_control(int *actions, const char *tok)
{
	while (*tok != '\0') {
		int ret;
		int act;
		size_t len = 0;

		tok = skip_space(tok);
		if (*tok == '\0')
			break;
		for (ret = 0; ret <= K6_PAM_CODES; ++ret) {
			len = strlen(code_tokens[ret]);
			if (strncmp(code_tokens[ret], tok, len) == 0)
				break;
		}
		if (ret > K6_PAM_CODES || tok[len] == '\0')
			goto error_value;
		tok = skip_space(tok + len);
		if (*tok++ != '=')
			goto error_equals;
		tok = skip_space(tok);
		if (*tok == '\0')
			goto error_action;
		for (act = 0; act < (int)NACTIONS; ++act) {
			len = strlen(action_tokens[act]);
			if (strncmp(action_tokens[act], tok, len) == 0) {
				act = -act;
				tok += len;
				break;
			}
		}
		if (act > 0) {
			if (*tok < '0' || *tok > '9')
				return "expecting jump number";
			act = 0;
			do {
				if (act > 100000)
					return "a jump too large";
				act = act * 10 + (*tok - '0');
			} while (*++tok >= '0' && *tok <= '9');
			if (act == 0)
				return "expecting non-zero";
		}
		if (ret != K6_PAM_CODES)
			actions[ret] = act;
		else
			set_default(actions, act);
	}
	return NULL;
error_value:
	return "expecting return value";
error_equals:
	return "expecting '='";
error_action:
	return "expecting action";
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
	while ((word = next_word(&args)) != NULL) {
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
	set_default(actions, K6_ACT_BAD);
	st = add(r, other, lc, K6_HANDLER_MUST_FAIL, (enum k6_pam_type)type, level, actions,
		 control, NULL, quiet, NULL);
	if (st != K6_OK)
		return -3;
	last(r, other)->why = "its include could not be read";
	return 0;
}

/*
 * One logical line, as _pam_parse_conf_file takes it: -1 where libpam
 * gives up on the file, -3 out of memory, -2 a bound hit, else 0.
 */
static int one_line(struct reader *r, bool other, const struct line_ctx *lc, char *buf,
		    int requested, int level)
{
	char *next = buf;
	char *tok = next_word(&next);
	int type;
	int actions[K6_PAM_CODES];
	enum k6_handler_kind kind = K6_HANDLER_MODULE;
	enum include_kind include = NOT_INCLUDE;
	const char *why = NULL;
	const char *control_error = NULL;
	char *control = NULL;
	char *module;
	bool quiet = false;
	int i;

	for (i = 0; i < K6_PAM_CODES; i++)
		actions[i] = K6_ACT_UNDEF;
	if (tok == NULL) {
		type = requested != ANY_TYPE ? requested : K6_PAM_AUTH;
		kind = K6_HANDLER_MUST_FAIL;
		why = "no type";
	} else {
		if (tok[0] == '-') {
			quiet = true;
			tok++;
		}
		type = type_of(tok);
		if (strcasecmp(tok, "@include") == 0) {
			include = AT_INCLUDE;
			type = requested;
		} else if (type < 0) {
			char shown[64];

			k6_escape_str(shown, sizeof(shown), tok, false);
			problem(r,
				"%s:%u: unknown type '%s': libpam puts a failing line in its place",
				lc->file, lc->line, shown);
			type = requested != ANY_TYPE ? requested : K6_PAM_AUTH;
			kind = K6_HANDLER_MUST_FAIL;
			why = "its type is unknown";
		}
	}
	if (include != AT_INCLUDE) {
		if (requested != ANY_TYPE && type != requested)
			return 0;
		control = next_word(&next);
		if (control == NULL) {
			set_default(actions, K6_ACT_BAD);
			kind = K6_HANDLER_MUST_FAIL;
			why = "it has no control";
		} else if (strcasecmp(control, "required") == 0) {
			actions[0] = K6_ACT_OK;
			actions[12] = K6_ACT_OK; /* new_authtok_reqd */
			actions[25] = K6_ACT_IGNORE;
			set_default(actions, K6_ACT_BAD);
		} else if (strcasecmp(control, "requisite") == 0) {
			actions[0] = K6_ACT_OK;
			actions[12] = K6_ACT_OK;
			actions[25] = K6_ACT_IGNORE;
			set_default(actions, K6_ACT_DIE);
		} else if (strcasecmp(control, "optional") == 0) {
			actions[0] = K6_ACT_OK;
			actions[12] = K6_ACT_OK;
			set_default(actions, K6_ACT_IGNORE);
		} else if (strcasecmp(control, "sufficient") == 0) {
			actions[0] = K6_ACT_DONE;
			actions[12] = K6_ACT_DONE;
			set_default(actions, K6_ACT_IGNORE);
		} else if (strcasecmp(control, "include") == 0) {
			include = INCLUDE;
		} else if (strcasecmp(control, "substack") == 0) {
			include = SUBSTACK;
		} else {
			control_error = parse_control(actions, control);
			if (control_error != NULL)
				for (i = 0; i < K6_PAM_CODES; i++)
					actions[i] = K6_ACT_BAD;
			set_default(actions, K6_ACT_BAD);
		}
	}
	module = next_word(&next);
	if (include != NOT_INCLUDE)
		return include_line(r, other, lc, include, type, level, actions, control, module,
				    quiet);
	if (module == NULL && kind != K6_HANDLER_MUST_FAIL) {
		kind = K6_HANDLER_MUST_FAIL;
		why = "it names no module";
	}
	/* libpam names every handler after its module, a failing one too. */
	if (module != NULL && !module_name_usable(module)) {
		problem(r,
			"%s:%u: libpam refuses a module named \"%s\", and with it the whole "
			"configuration",
			lc->file, lc->line, module);
		return -1;
	}
	if (kind == K6_HANDLER_MUST_FAIL)
		problem(r, "%s:%u: libpam cannot use this line (%s): it fails when run", lc->file,
			lc->line, why);
	if (control_error != NULL)
		problem(r, "%s:%u: libpam cannot read the control (%s): every return is \"bad\"",
			lc->file, lc->line, control_error);
	if (add(r, other, lc, kind, (enum k6_pam_type)type, level, actions, control, module, quiet,
		next) != K6_OK)
		return -3;
	last(r, other)->why = why;
	last(r, other)->bad_control = control_error != NULL;
	if (kind == K6_HANDLER_MODULE && !last(r, other)->loads && !quiet)
		problem(r,
			"%s:%u: %s is not there: libpam runs the line as a module that returns "
			"PAM_MODULE_UNKNOWN",
			lc->file, lc->line, last(r, other)->module_path);
	return 0;
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
	while ((got = assemble(r, f, buf, &lineno, &first)) > 0) {
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
	text = slurp(path, &len, why, sizeof(why));
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

const char *k6_pam_code_token(int code)
{
	return code >= 0 && code < K6_PAM_CODES ? code_tokens[code] : NULL;
}

const char *k6_action_name(int action, char *buf, size_t len)
{
	if (action > 0) {
		snprintf(buf, len, "%d", action);
		return buf;
	}
	if (action > K6_ACT_UNDEF)
		return action_tokens[-action];
	return "undefined";
}
