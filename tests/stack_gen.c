/* SPDX-License-Identifier: MIT */
/*
 * The pam.d folders of the differential test (stack_gen.h).  The
 * generator writes what Debian 12's libpam reads in all its forms, and
 * keeps out only what makes libpam itself misbehave (pam_handlers.c,
 * 1.5.2): an include or substack without a file name (tok[0] on NULL), a
 * relative include (read in /etc/pam.d, not in the case's folder), an
 * @include of a file libpam cannot read (the handler then takes the
 * previous line's actions, never initialised), include loops, jumps that
 * overflow an int, an unusable module name outside a top file (the
 * half-added handler has no name, which the audit code reads), and a
 * continued line whose backslash falls on the buffer's last byte (fgets
 * is then asked for one byte, gets "" and _pam_assemble_line loops for
 * ever).
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/_pam_types.h>

#include "stack_gen.h"

/* libpam's line buffer (BUF_SIZE in pam_handlers.c). */
#define LIBPAM_BUF 1024

#define INCLUDES_MAX 4 /* include files per case */
#define LINKS_MAX 2    /* include, substack and @include lines per file */

/* --- random choices ---------------------------------------------------- */

void k6_rand_seed(struct k6_rand *r, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->state = seed;
}

void k6_rand_bytes(struct k6_rand *r, const uint8_t *data, size_t size)
{
	memset(r, 0, sizeof(*r));
	r->data = data;
	r->size = size;
}

/* splitmix64: small, and every seed gives a sequence of its own. */
static uint64_t next64(struct k6_rand *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * 0 .. n-1.  From bytes, one byte a choice (two above 256); once they run
 * out, 0, which every choice below takes as its plainest answer, so that
 * an input the fuzzer shortens gives a smaller case.
 */
static unsigned rnd(struct k6_rand *r, unsigned n)
{
	unsigned v;

	if (n <= 1)
		return 0;
	if (r->data == NULL)
		return (unsigned)((next64(r) >> 32) % n);
	if (r->pos >= r->size)
		return 0;
	v = r->data[r->pos++];
	if (n > 256 && r->pos < r->size)
		v = v << 8 | r->data[r->pos++];
	return v % n;
}

/* True percent times in a hundred; never once bytes run out. */
static bool chance(struct k6_rand *r, unsigned percent)
{
	return rnd(r, 100) >= 100 - percent;
}

/* --- text -------------------------------------------------------------- */

static void oom(void)
{
	fputs("stack_diff: out of memory\n", stderr);
	abort();
}

void k6_text_add(struct k6_text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap == 0 ? 256 : t->cap;
		char *p;

		while (t->len + n + 1 > cap)
			cap *= 2;
		p = realloc(t->s, cap);
		if (p == NULL)
			oom();
		t->s = p;
		t->cap = cap;
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

void k6_text_puts(struct k6_text *t, const char *s)
{
	k6_text_add(t, s, strlen(s));
}

void k6_text_printf(struct k6_text *t, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	k6_text_add(t, s, (size_t)n);
	free(s);
}

void k6_text_clear(struct k6_text *t)
{
	t->len = 0;
	if (t->s != NULL)
		t->s[0] = '\0';
}

void k6_text_free(struct k6_text *t)
{
	free(t->s);
	memset(t, 0, sizeof(*t));
}

const char *k6_text_str(const struct k6_text *t)
{
	return t->s != NULL ? t->s : "";
}

/* --- names --------------------------------------------------------------- */

/* The return codes as a control names them (pam_tokens.h). */
static const char *const code_tokens[32] = {
	"success",               /* 0 */
	"open_err",              /* 1 */
	"symbol_err",            /* 2 */
	"service_err",           /* 3 */
	"system_err",            /* 4 */
	"buf_err",               /* 5 */
	"perm_denied",           /* 6 */
	"auth_err",              /* 7 */
	"cred_insufficient",     /* 8 */
	"authinfo_unavail",      /* 9 */
	"user_unknown",          /* 10 */
	"maxtries",              /* 11 */
	"new_authtok_reqd",      /* 12 */
	"acct_expired",          /* 13 */
	"session_err",           /* 14 */
	"cred_unavail",          /* 15 */
	"cred_expired",          /* 16 */
	"cred_err",              /* 17 */
	"no_module_data",        /* 18 */
	"conv_err",              /* 19 */
	"authtok_err",           /* 20 */
	"authtok_recover_err",   /* 21 */
	"authtok_lock_busy",     /* 22 */
	"authtok_disable_aging", /* 23 */
	"try_again",             /* 24 */
	"ignore",                /* 25 */
	"abort",                 /* 26 */
	"authtok_expired",       /* 27 */
	"module_unknown",        /* 28 */
	"bad_item",              /* 29 */
	"conv_again",            /* 30 */
	"incomplete",            /* 31 */
};

/* PAM_SUCCESS, PAM_AUTH_ERR...: the token in capitals is the macro's name. */
const char *k6_code_name(int code, char *buf, size_t len)
{
	size_t i;

	if (code < 0 || code >= 32) {
		snprintf(buf, len, "%d (out of range)", code);
		return buf;
	}
	snprintf(buf, len, "PAM_%s", code_tokens[code]);
	for (i = 4; buf[i] != '\0'; i++)
		buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 'a' + 'A' : buf[i]);
	return buf;
}

const char *const k6_feature_names[K6_FEATURES] = { "service without auth, other used",
						    "no service file",
						    "substacks past 16 levels",
						    "line longer than 1023 bytes",
						    "continued line at EOF",
						    "module name libpam refuses",
						    "@include",
						    "substack",
						    "include of a missing file",
						    "include of a folder",
						    "unparsable control",
						    "jump",
						    "module by name from the system" };

/* --- the case ------------------------------------------------------------ */

/* What the line being made may use. */
struct scope {
	size_t file;    /* index in the case's f */
	bool top;       /* the service or other: libpam reads every type of it */
	bool no_auth;   /* the service with no auth line: other's are used */
	bool long_ok;   /* long lines allowed (off when one would hang libpam) */
	unsigned links; /* include lines made so far */
	size_t targets[K6_CASE_FILES];
	size_t ntargets; /* include and substack */
	size_t at_targets[K6_CASE_FILES];
	size_t nat; /* @include: files libpam reads without error only */
};

static const char *const file_names[] = { "i1",  "i2",  "i3",  "i4",  "s1",  "s2",  "s3",  "s4",
					  "s5",  "s6",  "s7",  "s8",  "s9",  "s10", "s11", "s12",
					  "s13", "s14", "s15", "s16", "s17", "s18" };

static size_t add_file(struct k6_case *g, const char *name, enum k6_file_kind kind)
{
	struct k6_case_file *f = &g->f[g->nf];

	f->name = name;
	f->kind = kind;
	f->fails = false;
	k6_text_clear(&f->text);
	return g->nf++;
}

void k6_case_path(const struct k6_case *g, size_t i, struct k6_text *t)
{
	if (g->f[i].kind == K6_FILE_SYSTEM)
		k6_text_puts(t, g->f[i].name);
	else
		k6_text_printf(t, "%s/%s", g->dir, g->f[i].name);
}

static void feature(struct k6_case *g, enum k6_feature f)
{
	g->seen[f] = true;
}

static int pick_code(struct k6_rand *r)
{
	/* PAM_SUCCESS as often as the others together: most real stacks let most users in. */
	static const int common[] = { PAM_SUCCESS,         PAM_SUCCESS,      PAM_SUCCESS,
				      PAM_SUCCESS,         PAM_SUCCESS,      PAM_AUTH_ERR,
				      PAM_IGNORE,          PAM_USER_UNKNOWN, PAM_AUTHINFO_UNAVAIL,
				      PAM_NEW_AUTHTOK_REQD };
	static const int odd[] = { 32, -1, 33, 100, -32, INT_MAX, INT_MIN };
	unsigned w = rnd(r, 100);

	if (w < 78)
		return common[rnd(r, sizeof(common) / sizeof(common[0]))];
	if (w < 95)
		return (int)rnd(r, 32);
	if (w < 98)
		return PAM_INCOMPLETE;
	return odd[rnd(r, sizeof(odd) / sizeof(odd[0]))];
}

static size_t new_id(struct k6_case *g)
{
	if (g->nids == K6_CASE_IDS)
		return K6_CASE_IDS - 1; /* far above any case: share the last */
	g->codes[g->nids] = pick_code(g->r);
	return g->nids++;
}

/* A keyword as written: mostly lower case, sometimes upper or mixed (libpam ignores case). */
static void put_word(struct k6_case *g, struct k6_text *t, const char *w)
{
	unsigned how = rnd(g->r, 100);

	for (const char *c = w; *c != '\0'; c++) {
		char ch = *c;

		if (how >= 95 || (how >= 90 && rnd(g->r, 2) == 0))
			ch = (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
		k6_text_add(t, &ch, 1);
	}
}

static const char *const type_words[] = { "auth", "account", "session", "password" };

/* The type word; "-" before it now and then, a bracketed one rarely. */
static void put_type(struct k6_case *g, const struct scope *s, struct k6_text *t)
{
	const char *type;

	if (s->no_auth)
		type = type_words[1 + rnd(g->r, 3)];
	else
		type = chance(g->r, 25) ? type_words[1 + rnd(g->r, 3)] : "auth";
	if (chance(g->r, 2)) {
		k6_text_puts(t, "[");
		if (chance(g->r, 30))
			k6_text_puts(t, "-");
		put_word(g, t, type);
		k6_text_puts(t, "]");
		return;
	}
	if (chance(g->r, 10))
		k6_text_puts(t, "-");
	put_word(g, t, type);
}

static const char *const actions[] = { "ignore", "ok", "done", "bad", "die", "reset" };

/* One value=action of a bracketed control; action NULL: any. */
static void put_entry(struct k6_case *g, struct k6_text *t, const char *key, const char *action)
{
	static const char *const eq[] = { " = ", " =", "= " };
	static const char *const bad_actions[] = { "okay", "dne", "Ok", "jump", "-1", "BAD", "0" };
	/* Mostly short jumps: a stack is a few lines long. */
	static const unsigned jumps[] = { 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6 };
	unsigned a = rnd(g->r, 1000);

	k6_text_puts(t, key);
	k6_text_puts(t, chance(g->r, 8) ? eq[rnd(g->r, 3)] : "=");
	if (action != NULL) {
		k6_text_puts(t, action);
		if (action[0] >= '0' && action[0] <= '9')
			feature(g, K6_F_JUMP);
	} else if (a < 820) {
		k6_text_puts(t, actions[a % 6]);
	} else if (a < 985) {
		k6_text_printf(t, "%u", jumps[rnd(g->r, sizeof(jumps) / sizeof(jumps[0]))]);
		feature(g, K6_F_JUMP);
	} else if (a < 995) {
		k6_text_printf(t, "0%u", 1 + rnd(g->r, 3)); /* a leading zero is still a number */
		feature(g, K6_F_JUMP);
	} else {
		k6_text_puts(t,
			     bad_actions[rnd(g->r, sizeof(bad_actions) / sizeof(bad_actions[0]))]);
		feature(g, K6_F_BAD_CONTROL);
	}
}

/* Entries need no blank between them: "success=okdefault=bad" is two. */
static void put_between(struct k6_case *g, struct k6_text *t)
{
	if (!chance(g->r, 3))
		k6_text_puts(t, chance(g->r, 5) ? "  " : " ");
}

/* As stacks are written: success leads on, a few codes have their say, a default the rest. */
static void put_usual_entries(struct k6_case *g, struct k6_text *t)
{
	static const char *const on_success[] = { "ok", "done", "1", "2", "ok", "done", "ignore" };
	static const char *const defaults[] = {
		"bad", "die", "ignore", "bad", "die", "ok", "reset"
	};

	put_entry(g, t, "success", on_success[rnd(g->r, 7)]);
	if (chance(g->r, 40)) {
		put_between(g, t);
		put_entry(g, t, "new_authtok_reqd", on_success[rnd(g->r, 7)]);
	}
	if (chance(g->r, 50)) {
		put_between(g, t);
		put_entry(g, t, "ignore", "ignore");
	}
	if (chance(g->r, 40)) {
		put_between(g, t);
		put_entry(g, t, code_tokens[rnd(g->r, 32)], NULL);
	}
	if (chance(g->r, 75)) {
		put_between(g, t);
		put_entry(g, t, "default", defaults[rnd(g->r, 7)]);
	}
}

/* Anything: codes at random, repeated, several defaults (only the first counts). */
static void put_any_entries(struct k6_case *g, struct k6_text *t)
{
	static const char *const bad_keys[] = { "sucess",   "SUCCESS", "defualt", "auth-err",
						"success_", "Default", "ignored" };
	static const unsigned sizes[] = { 3, 25, 30, 25, 12, 5 }; /* how many entries, in % */
	const char *last = NULL;
	unsigned n = 0;
	unsigned w = rnd(g->r, 100);

	while (n + 1 < sizeof(sizes) / sizeof(sizes[0]) && w >= sizes[n])
		w -= sizes[n++];
	for (unsigned i = 0; i < n; i++) {
		const char *key;
		unsigned k = rnd(g->r, 100);

		if (i > 0)
			put_between(g, t);
		if (last != NULL && k < 5) {
			key = last; /* the later one wins */
		} else if (k < 20) {
			key = "default";
		} else if (k < 45) {
			key = "success";
		} else if (rnd(g->r, 200) != 199) {
			key = code_tokens[rnd(g->r, 32)];
		} else {
			key = bad_keys[rnd(g->r, sizeof(bad_keys) / sizeof(bad_keys[0]))];
			feature(g, K6_F_BAD_CONTROL);
		}
		put_entry(g, t, key, NULL);
		last = key;
	}
}

static void put_bracket(struct k6_case *g, struct k6_text *t)
{
	k6_text_puts(t, "[");
	if (chance(g->r, 5))
		k6_text_puts(t, " ");
	if (!chance(g->r, 30))
		put_usual_entries(g, t);
	else
		put_any_entries(g, t);
	if (rnd(g->r, 300) == 299) {
		k6_text_puts(t, " \\]"); /* an escaped bracket is text: a parse error */
		feature(g, K6_F_BAD_CONTROL);
	}
	if (chance(g->r, 5))
		k6_text_puts(t, " ");
	k6_text_puts(t, "]");
}

static void put_control(struct k6_case *g, struct k6_text *t)
{
	static const char *const words[] = { "required", "requisite", "sufficient", "optional" };
	static const char *const bad_words[] = { "require",  "sufficent", "Optional!",
						 "includes", "substack_", "[success=ok" };
	unsigned w = rnd(g->r, 100);

	if (w < 46) {
		put_word(g, t, words[w % 4]);
	} else if (w < 95) {
		put_bracket(g, t);
	} else if (w < 99) {
		/* No brackets needed when there is no blank: libpam parses it all the same. */
		k6_text_puts(t, code_tokens[rnd(g->r, 32)]);
		k6_text_puts(t, "=");
		k6_text_puts(t, actions[rnd(g->r, 6)]);
	} else {
		/* Parsed as a bracketed control, and refused (every code is bad), or an open bracket. */
		k6_text_puts(t, bad_words[rnd(g->r, sizeof(bad_words) / sizeof(bad_words[0]))]);
		feature(g, K6_F_BAD_CONTROL);
	}
}

/* The module word and its arguments, after the control. */
static void put_module(struct k6_case *g, struct k6_text *t)
{
	static const char *const extras[] = { "debug",          "x=1",
					      "[a b\\]c]",      "[ spaced  arg ]",
					      "try_first_pass", "id=" };
	unsigned m = rnd(g->r, 100);
	unsigned nextra = chance(g->r, 30) ? 1 + rnd(g->r, 2) : 0;
	bool id_first = !chance(g->r, 20);
	size_t id = new_id(g);

	if (m < 86) {
		if (chance(g->r, 2))
			k6_text_printf(t, "[%s]", g->stub);
		else
			k6_text_puts(t, g->stub);
	} else if (m < 93) {
		k6_text_printf(t, "%s/absent.so", g->dir);
	} else if (m < 95 || !g->system_modules) {
		k6_text_puts(t, "pam_k6_absent.so"); /* looked for in the module folder */
	} else {
		k6_text_puts(t, chance(g->r, 50) ? "pam_permit.so" : "pam_deny.so");
		feature(g, K6_F_SYSTEM_MOD);
	}
	if (id_first)
		k6_text_printf(t, chance(g->r, 3) ? " [id=%zu]" : " id=%zu", id);
	for (unsigned i = 0; i < nextra; i++) {
		k6_text_puts(t, " ");
		k6_text_puts(t, extras[rnd(g->r, sizeof(extras) / sizeof(extras[0]))]);
	}
	if (!id_first)
		k6_text_printf(t, " id=%zu", id);
}

/* A module line, in its plain form: words between single blanks. */
static void module_line(struct k6_case *g, const struct scope *s, struct k6_text *t)
{
	put_type(g, s, t);
	k6_text_puts(t, " ");
	put_control(g, t);
	/* Nothing is needed after a bracket either. */
	if (t->s[t->len - 1] != ']' || !chance(g->r, 5))
		k6_text_puts(t, " ");
	put_module(g, t);
}

static void link_line(struct k6_case *g, struct scope *s, struct k6_text *t)
{
	size_t target;
	bool at = s->nat > 0 && !s->no_auth && chance(g->r, 25);

	if (at) {
		if (chance(g->r, 5))
			k6_text_puts(t, "-");
		put_word(g, t, "@include");
		target = s->at_targets[rnd(g->r, (unsigned)s->nat)];
		feature(g, K6_F_AT_INCLUDE);
	} else {
		bool sub = chance(g->r, 45);

		put_type(g, s, t);
		k6_text_puts(t, " ");
		put_word(g, t, sub ? "substack" : "include");
		target = s->targets[rnd(g->r, (unsigned)s->ntargets)];
		if (sub)
			feature(g, K6_F_SUBSTACK);
	}
	if (g->f[target].kind == K6_FILE_ABSENT)
		feature(g, K6_F_MISSING);
	if (g->f[target].kind == K6_FILE_FOLDER)
		feature(g, K6_F_FOLDER);
	k6_text_puts(t, " ");
	if (chance(g->r, 3)) {
		k6_text_puts(t, "[");
		k6_case_path(g, target, t);
		k6_text_puts(t, "]");
	} else {
		k6_case_path(g, target, t);
	}
	if (chance(g->r, 10))
		k6_text_puts(t, " ignored words");
	s->links++;
}

/* A line libpam cannot use as it stands. */
static void bad_line(struct k6_case *g, const struct scope *s, struct k6_text *t)
{
	static const char *const bad_types[] = { "foo",  "auths",    "-", "authentication",
						 "acct", "@includes" };

	switch (rnd(g->r, 4)) {
	case 0: /* no control */
		put_type(g, s, t);
		break;
	case 1: /* no module */
		put_type(g, s, t);
		k6_text_puts(t, " ");
		put_control(g, t);
		break;
	case 2: /* an unterminated bracket swallows the rest: no module */
		put_type(g, s, t);
		k6_text_puts(t, " [success=ok ");
		put_module(g, t);
		break;
	default: /* a type libpam does not know: a failing handler of the type asked for */
		if (s->no_auth) {
			put_type(g, s, t);
		} else {
			put_word(g, t,
				 bad_types[rnd(g->r, sizeof(bad_types) / sizeof(bad_types[0]))]);
		}
		k6_text_puts(t, " ");
		put_control(g, t);
		k6_text_puts(t, " ");
		put_module(g, t);
		break;
	}
}

/*
 * A physical line past libpam's buffer: fgets hands libpam the first
 * 1023 bytes as a line of their own, and the rest as the next line.  The
 * rest is now and then a whole module line, so that what follows the cut
 * is run.
 */
static void long_line(struct k6_case *g, const struct scope *s, struct k6_text *out)
{
	static const size_t cuts[] = { LIBPAM_BUF - 1, LIBPAM_BUF - 2, LIBPAM_BUF };
	struct k6_text t = { 0 };
	size_t cut = chance(g->r, 60) ? cuts[rnd(g->r, 3)] : 900 + rnd(g->r, 300);
	bool comment = chance(g->r, 15);

	if (comment) {
		k6_text_puts(&t, "#");
	} else {
		/* Begun on a continued line now and then: the cut moves with it. */
		if (chance(g->r, 20)) {
			put_type(g, s, &t);
			k6_text_puts(&t, " \\\n");
		} else {
			put_type(g, s, &t);
			k6_text_puts(&t, " ");
		}
		put_control(g, &t);
		k6_text_puts(&t, " ");
		put_module(g, &t);
		k6_text_puts(&t, " pad=");
	}
	while (t.len < cut)
		k6_text_puts(&t, "x");
	switch (rnd(g->r, 3)) {
	case 0:
		module_line(g, s, &t);
		break;
	case 1:
		k6_text_puts(&t, " ");
		module_line(g, s, &t);
		break;
	default:
		for (unsigned i = 1 + rnd(g->r, 1200); i > 0; i--)
			k6_text_puts(&t, "y");
		break;
	}
	k6_text_puts(&t, "\n");
	k6_text_puts(out, k6_text_str(&t));
	k6_text_free(&t);
	feature(g, K6_F_LONG);
}

static void comment_or_blank(struct k6_case *g, struct k6_text *t)
{
	static const char *const lines[] = { "# a comment\n",  "\n",  "   \n",
					     "\t# indented\n", "#\n", "# a \\ in a comment\\\n" };

	k6_text_puts(t, lines[rnd(g->r, sizeof(lines) / sizeof(lines[0]))]);
}

/*
 * Write a line given in plain form as a file would hold it: each blank
 * a blank, a tab, several, or a backslash-continued break, with comment
 * and blank lines inside the continuation; a comment after it now and
 * then.  Bracketed words are cut as well: libpam joins the physical
 * lines before it splits words.
 */
static void render(struct k6_case *g, const char *plain, bool may_comment, struct k6_text *t)
{
	static const char *const breaks[] = { " \\\n", "\\\n", " \\  \n", " \\\t\n" };
	static const char *const leads[] = { " ", "\t", "  " };

	if (chance(g->r, 8))
		k6_text_puts(t, leads[rnd(g->r, 3)]);
	for (const char *c = plain; *c != '\0'; c++) {
		unsigned w;

		if (*c != ' ') {
			k6_text_add(t, c, 1);
			continue;
		}
		w = rnd(g->r, 100);
		if (w < 82) {
			k6_text_puts(t, " ");
		} else if (w < 87) {
			k6_text_puts(t, "\t");
		} else if (w < 90) {
			k6_text_puts(t, "  ");
		} else {
			k6_text_puts(t, breaks[rnd(g->r, 4)]);
			while (chance(g->r, 25))
				comment_or_blank(g, t);
			if (chance(g->r, 40))
				k6_text_puts(t, leads[rnd(g->r, 3)]);
		}
	}
	switch (rnd(g->r, 20)) {
	case 0:
		if (may_comment)
			k6_text_puts(t, " # the rest is a comment");
		break;
	case 1:
		if (may_comment)
			k6_text_puts(t, "#glued comment");
		break;
	case 2:
		k6_text_puts(t, " \t ");
		break;
	default:
		break;
	}
	k6_text_puts(t, "\n");
}

/*
 * Would _pam_assemble_line loop for ever on this text?  It does when a
 * continued line's backslash is the buffer's last byte but one: the next
 * fgets gets room for its NUL only, returns "", and nothing moves.
 */
static bool libpam_hangs(const char *s, size_t len)
{
	size_t pos = 0;

	while (pos < len) {
		size_t p = 0;

		for (;;) {
			size_t room = LIBPAM_BUF - p;
			size_t n = 0, start, end, b;
			bool has_comment = false;

			if (room <= 1)
				return true;
			if (pos >= len)
				break; /* end of file: a line, or an error, but no loop */
			while (n < room - 1 && pos + n < len) {
				if (s[pos + n++] == '\n')
					break;
			}
			start = pos;
			end = pos + n;
			pos = end;
			b = start;
			while (b < end && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n'))
				b++;
			if (b == end || s[b] == '#')
				continue; /* nothing on this line: p stays */
			for (size_t i = b; i < end; i++)
				has_comment |= s[i] == '#';
			if (has_comment)
				break;
			while (end > b &&
			       (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\n'))
				end--;
			if (s[end - 1] != '\\')
				break;
			p += end - start; /* up to and with the backslash, now a blank */
		}
	}
	return false;
}

static void file_lines(struct k6_case *g, struct scope *s, unsigned n)
{
	struct k6_case_file *f = &g->f[s->file];
	struct k6_text plain = { 0 };

	if (chance(g->r, 20))
		k6_text_puts(&f->text, "# generated by stack_diff\n");
	for (unsigned i = 0; i < n; i++) {
		unsigned w = rnd(g->r, 1000);

		k6_text_clear(&plain);
		if (chance(g->r, 12))
			comment_or_blank(g, &f->text);
		/* Without include files, only missing files, a folder and /dev/null to name. */
		if (w < (g->ninc > 0 ? 160 : 40) && s->links < LINKS_MAX) {
			link_line(g, s, &plain);
		} else if (w < 180) {
			bad_line(g, s, &plain);
		} else if (w < 185 && s->long_ok && !s->no_auth) {
			long_line(g, s, &f->text);
			continue;
		} else if (w < 188 && s->top && !s->no_auth) {
			/* libpam cannot name such a module: the whole configuration is refused. */
			static const char *const names[] = { "?", "?.so", ".so", "" };
			const char *name = names[rnd(g->r, 4)];

			put_type(g, s, &plain);
			k6_text_puts(&plain, " optional ");
			if (*name == '\0')
				k6_text_printf(&plain, "%s/", g->dir);
			else
				k6_text_puts(&plain, name);
			feature(g, K6_F_BAD_NAME);
		} else {
			module_line(g, s, &plain);
		}
		render(g, k6_text_str(&plain), true, &f->text);
	}
	/* A line continued past the end: libpam cannot read the file. */
	if (!s->no_auth && rnd(g->r, s->top ? 150 : 50) == 49) {
		/* No comment on it: a backslash after a '#' continues nothing. */
		k6_text_clear(&plain);
		module_line(g, s, &plain);
		render(g, k6_text_str(&plain), false, &f->text);
		f->text.len--; /* the newline */
		if (chance(g->r, 50)) {
			k6_text_puts(&f->text, "\\");
		} else {
			k6_text_puts(&f->text, " \\\n");
			if (chance(g->r, 30))
				comment_or_blank(g, &f->text);
		}
		f->fails = true;
		feature(g, K6_F_EOF_CONT);
	} else if (f->text.len > 0 && chance(g->r, 10)) {
		f->text.len--; /* no newline at the very end */
		f->text.s[f->text.len] = '\0';
	}
	k6_text_free(&plain);
}

/* The files file may name: only later include files, so that nothing loops. */
static void scope_targets(struct k6_case *g, struct scope *s, size_t from)
{
	const size_t fixed[] = { K6_CASE_ABSENT, K6_CASE_FOLDER, K6_CASE_DEVNULL };

	s->ntargets = s->nat = 0;
	for (size_t i = 0; i < 3; i++) {
		s->targets[s->ntargets++] = fixed[i];
		if (fixed[i] != K6_CASE_ABSENT)
			s->at_targets[s->nat++] = fixed[i];
	}
	for (size_t i = from; i < g->first_inc + g->ninc; i++) {
		/* Weighted: the case's own files far more often than the fixed ones. */
		for (int w = 0; w < 5; w++)
			s->targets[s->ntargets++] = i;
		if (!g->f[i].fails)
			s->at_targets[s->nat++] = i;
	}
}

static void gen_file(struct k6_case *g, size_t file, bool top, bool no_auth, unsigned n,
		     size_t from)
{
	struct k6_rand saved = *g->r;
	size_t nids = g->nids;
	bool seen[K6_FEATURES];
	struct scope s;

	memcpy(seen, g->seen, sizeof(seen));
	memset(&s, 0, sizeof(s));
	s.file = file;
	s.top = top;
	s.no_auth = no_auth;
	s.long_ok = true;
	scope_targets(g, &s, from);
	file_lines(g, &s, n);
	if (libpam_hangs(k6_text_str(&g->f[file].text), g->f[file].text.len)) {
		/* Again from the same choices, without long lines. */
		*g->r = saved;
		g->nids = nids;
		memcpy(g->seen, seen, sizeof(seen));
		k6_text_clear(&g->f[file].text);
		g->f[file].fails = false;
		memset(&s, 0, sizeof(s));
		s.file = file;
		s.top = top;
		s.no_auth = no_auth;
		scope_targets(g, &s, from);
		file_lines(g, &s, n);
	}
}

/*
 * A chain of substacks deeper than libpam follows (PAM_SUBSTACK_MAX_LEVEL):
 * from level 16 on, the substack line becomes a failing handler.
 */
static void gen_chain(struct k6_case *g, size_t first, size_t n)
{
	struct k6_text t = { 0 };

	for (size_t k = n; k-- > 0;) {
		struct k6_case_file *f = &g->f[first + k];
		struct scope s;

		memset(&s, 0, sizeof(s));
		s.file = first + k;
		if (chance(g->r, 50)) {
			k6_text_clear(&t);
			module_line(g, &s, &t);
			render(g, k6_text_str(&t), true, &f->text);
		}
		if (k + 1 < n) {
			k6_text_clear(&t);
			k6_text_puts(&t, "auth substack ");
			k6_case_path(g, first + k + 1, &t);
			render(g, k6_text_str(&t), true, &f->text);
		}
		if (k + 1 == n || chance(g->r, 50)) {
			k6_text_clear(&t);
			module_line(g, &s, &t);
			render(g, k6_text_str(&t), true, &f->text);
		}
	}
	k6_text_free(&t);
}

void k6_case_make(struct k6_case *g, struct k6_rand *r)
{
	bool no_auth, no_service, has_other;
	size_t chain, first_chain;
	struct k6_text t = { 0 };

	g->r = r;
	no_auth = chance(r, 15);
	no_service = chance(r, 3);
	has_other = no_auth || no_service ? !chance(r, 15) : chance(r, 60);
	chain = chance(r, 2) ? 12 + rnd(r, 7) : 0;
	g->nf = 0;
	g->nids = 0;
	memset(g->seen, 0, sizeof(g->seen));
	add_file(g, K6_CASE_SERVICE, no_service ? K6_FILE_ABSENT : K6_FILE_TEXT);
	add_file(g, "other", has_other ? K6_FILE_TEXT : K6_FILE_ABSENT);
	add_file(g, "absent", K6_FILE_ABSENT);
	add_file(g, "folder", K6_FILE_FOLDER);
	add_file(g, "/dev/null", K6_FILE_SYSTEM);
	g->first_inc = g->nf;
	g->ninc = rnd(g->r, INCLUDES_MAX + 1);
	for (size_t i = 0; i < g->ninc; i++)
		add_file(g, file_names[i], K6_FILE_TEXT);
	first_chain = g->nf;
	for (size_t i = 0; i < chain; i++)
		add_file(g, file_names[INCLUDES_MAX + i], K6_FILE_TEXT);

	gen_chain(g, first_chain, chain);
	for (size_t i = g->first_inc + g->ninc; i-- > g->first_inc;)
		gen_file(g, i, false, false, rnd(g->r, 6), i + 1);
	if (has_other)
		gen_file(g, K6_CASE_OTHER, true, false, 1 + rnd(g->r, 5), g->first_inc);
	if (!no_service)
		gen_file(g, K6_CASE_SVC, true, no_auth, chance(g->r, 4) ? 0 : 1 + rnd(g->r, 8),
			 g->first_inc);
	if (chain > 0) {
		size_t top = no_auth || no_service ? K6_CASE_OTHER : K6_CASE_SVC;

		/* First: the file may end in a continued line. */
		k6_text_puts(&t, "auth substack ");
		k6_case_path(g, first_chain, &t);
		k6_text_puts(&t, "\n");
		k6_text_puts(&t, k6_text_str(&g->f[top].text));
		k6_text_clear(&g->f[top].text);
		k6_text_puts(&g->f[top].text, k6_text_str(&t));
		g->f[top].kind = K6_FILE_TEXT;
		feature(g, K6_F_DEEP);
	}
	if (no_auth && has_other)
		feature(g, K6_F_OTHER_USED);
	if (no_service)
		feature(g, K6_F_NO_SERVICE);
	k6_text_free(&t);
}

void k6_case_codes(const struct k6_case *g, struct k6_text *t)
{
	for (size_t i = 0; i < g->nids; i++)
		k6_text_printf(t, "%s%zu:%d", i > 0 ? "," : "", i, g->codes[i]);
}
