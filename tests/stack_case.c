/* SPDX-License-Identifier: MIT */
/*
 * A case of the differential test (stack_case.h): the generated folder
 * written, run through libpam and through the model, the two compared,
 * and shown when they differ.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <security/pam_appl.h>

#include "core/pamd.h"
#include "core/stack.h"
#include "pam_stub.h"
#include "stack_case.h"

#define USER "user"

/* --- the case's folder ----------------------------------------------------- */

static int write_file(const char *path, const struct k6_text *t)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (f == NULL)
		return -1;
	if (t->len > 0 && fwrite(t->s, 1, t->len, f) != t->len)
		ret = -1;
	if (fclose(f) != 0)
		ret = -1;
	return ret;
}

static int write_case(struct k6_case *g)
{
	struct k6_text path = { 0 };
	int ret = 0;

	if (mkdir(g->dir, 0700) != 0) {
		fprintf(stderr, "stack_diff: mkdir %s: %s\n", g->dir, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < g->nf && ret == 0; i++) {
		k6_text_clear(&path);
		k6_case_path(g, i, &path);
		if (g->f[i].kind == K6_FILE_TEXT)
			ret = write_file(k6_text_str(&path), &g->f[i].text);
		else if (g->f[i].kind == K6_FILE_FOLDER)
			ret = mkdir(k6_text_str(&path), 0700);
		if (ret != 0)
			fprintf(stderr, "stack_diff: writing %s: %s\n", k6_text_str(&path),
				strerror(errno));
	}
	k6_text_free(&path);
	return ret;
}

static void remove_case(struct k6_case *g)
{
	struct k6_text path = { 0 };

	for (size_t i = 0; i < g->nf; i++) {
		k6_text_clear(&path);
		k6_case_path(g, i, &path);
		if (g->f[i].kind == K6_FILE_TEXT)
			unlink(k6_text_str(&path));
		else if (g->f[i].kind == K6_FILE_FOLDER)
			rmdir(k6_text_str(&path));
	}
	rmdir(g->dir);
	k6_text_free(&path);
}

/* --- the two runs ---------------------------------------------------------- */

struct outcome {
	int code;
	bool started;         /* libpam: pam_start_confdir succeeded */
	long ways;            /* the model: ways walked */
	struct k6_text trace; /* the stub lines run: "N,N," */
	struct k6_text notes; /* the model: its problems */
};

static int no_conversation(int n, const struct pam_message **msg, struct pam_response **resp,
			   void *data)
{
	(void)n;
	(void)msg;
	(void)resp;
	(void)data;
	return PAM_CONV_ERR;
}

static int run_libpam(struct k6_case *g, const char *codes, struct outcome *o)
{
	const struct pam_conv conv = { no_conversation, NULL };
	pam_handle_t *pamh = NULL;
	const char *trace;

	if (setenv(K6_STUB_CODES_VAR, codes, 1) != 0 || setenv(K6_STUB_TRACE_VAR, "", 1) != 0)
		return -1;
	o->code = pam_start_confdir(K6_CASE_SERVICE, USER, &conv, g->dir, &pamh);
	o->started = o->code == PAM_SUCCESS;
	if (o->started) {
		o->code = pam_authenticate(pamh, 0);
		pam_end(pamh, o->code);
	}
	trace = getenv(K6_STUB_TRACE_VAR);
	k6_text_puts(&o->trace, trace != NULL ? trace : "");
	unsetenv(K6_STUB_TRACE_VAR);
	return 0;
}

struct model_ctx {
	const struct k6_diff *d;
	const char *codes;
	struct outcome *o;
};

static bool is_stub(const struct k6_diff *d, const struct k6_handler *h)
{
	return h->kind == K6_HANDLER_MODULE && h->loads &&
	       strcmp(k6_handler_basename(h), d->stub_base) == 0;
}

static long handler_id(const struct k6_handler *h)
{
	return k6_stub_line_id(h->argc, (const char *const *)h->argv);
}

/* What the stub (or a system module) returns: the one code the case gave the line. */
static size_t model_returns(void *ctx, const struct k6_pamd *p, size_t at,
			    const struct k6_step *steps, size_t n, int *codes)
{
	const struct model_ctx *m = ctx;
	const struct k6_handler *h = &p->h[at];
	const char *base = k6_handler_basename(h);

	(void)steps;
	(void)n;
	if (strcmp(base, "pam_permit.so") == 0)
		codes[0] = PAM_SUCCESS;
	else if (strcmp(base, "pam_deny.so") == 0)
		codes[0] = PAM_AUTH_ERR;
	else
		codes[0] = k6_stub_code(m->codes, handler_id(h));
	return 1;
}

static bool model_way(void *ctx, const struct k6_pamd *p, const struct k6_way *w)
{
	struct model_ctx *m = ctx;

	m->o->code = w->result;
	k6_text_clear(&m->o->trace);
	for (size_t i = 0; i < w->n; i++) {
		size_t at = w->steps[i].at;

		if (at < p->n && is_stub(m->d, &p->h[at]))
			k6_text_printf(&m->o->trace, "%ld,", handler_id(&p->h[at]));
	}
	return true;
}

static void model_problem(void *ctx, const char *problem)
{
	struct model_ctx *m = ctx;

	k6_text_printf(&m->o->notes, "    %s\n", problem);
}

static int run_model(const struct k6_diff *d, struct k6_case *g, const char *codes,
		     struct k6_pamd *p, struct outcome *o)
{
	const struct k6_pamd_source src = {
		.dir = g->dir,
		.service = K6_CASE_SERVICE,
		.file = NULL,
		.module_dir = d->module_dir,
	};
	struct model_ctx m = { d, codes, o };

	memset(p, 0, sizeof(*p));
	if (k6_pamd_read(&src, p, model_problem, &m) == K6_NOMEM) {
		fputs("stack_diff: the model ran out of memory\n", stderr);
		return -1;
	}
	o->code = -1;
	o->ways = k6_stack_walk(p, K6_PAM_AUTH, model_returns, &m, model_way, &m, 2);
	return 0;
}

/* --- showing a case -------------------------------------------------------- */

static void show_text(FILE *out, const struct k6_text *t)
{
	unsigned line = 1;
	bool start = true;

	for (size_t i = 0; i < t->len; i++) {
		unsigned char c = (unsigned char)t->s[i];

		if (start)
			fprintf(out, "  %4u| ", line);
		start = false;
		if (c == '\n') {
			fputs("$\n", out);
			line++;
			start = true;
		} else if (c == '\t') {
			fputs("<tab>", out);
		} else if (c < 0x20 || c >= 0x7f) {
			fprintf(out, "\\x%02x", c);
		} else {
			fputc(c, out);
		}
	}
	if (!start)
		fputs("   (no newline at the end)\n", out);
}

static void show_handlers(FILE *out, const struct k6_pamd *p)
{
	static const char *const kinds[] = { "module", "must fail", "substack" };

	if (p->aborts)
		fprintf(out, "  the model: libpam refuses the configuration: %s\n", p->abort_why);
	fprintf(out, "  the model's handlers (%zu; auth from %s):\n", p->n,
		p->other[K6_PAM_AUTH] ? "other" : "the service");
	for (size_t i = 0; i < p->n; i++) {
		const struct k6_handler *h = &p->h[i];

		fprintf(out, "    [%zu] %s %s level %d%s: %s:%u: %s\n", i,
			k6_pam_type_name(h->type), (unsigned)h->kind < 3 ? kinds[h->kind] : "?",
			h->level,
			h->kind == K6_HANDLER_MODULE && !h->loads ? " (does not load)" : "",
			h->file != NULL ? h->file : "?", h->line, h->text != NULL ? h->text : "");
	}
}

static void show_case(FILE *out, const struct k6_case *g, const char *label, const char *codes,
		      const struct outcome *lib, const struct outcome *model,
		      const struct k6_pamd *p)
{
	char b[40];

	fprintf(out, "=== %s: %s\n", label, g->dir);
	for (size_t i = 0; i < g->nf; i++) {
		const struct k6_case_file *f = &g->f[i];

		if (f->kind == K6_FILE_TEXT) {
			fprintf(out, "--- %s/%s%s\n", g->dir, f->name,
				f->fails ? " (continued past its end)" : "");
			show_text(out, &f->text);
		} else if (f->kind == K6_FILE_FOLDER) {
			fprintf(out, "--- %s/%s: a folder\n", g->dir, f->name);
		} else if (i == K6_CASE_SVC || i == K6_CASE_OTHER) {
			fprintf(out, "--- %s/%s: not there\n", g->dir, f->name);
		}
	}
	fprintf(out, "  codes (id:code): %s\n", codes);
	fprintf(out, "  libpam: %s%s, stub lines run: %s\n", k6_code_name(lib->code, b, sizeof(b)),
		lib->started ? "" : " from pam_start_confdir", k6_text_str(&lib->trace));
	if (model->ways == 1)
		fprintf(out, "  model:  %s, stub lines run: %s\n",
			k6_code_name(model->code, b, sizeof(b)), k6_text_str(&model->trace));
	else
		fprintf(out, "  model:  walked %ld ways, not one\n", model->ways);
	if (model->notes.len > 0)
		fprintf(out, "  the model's problems:\n%s", k6_text_str(&model->notes));
	show_handlers(out, p);
}

/* --- the whole ------------------------------------------------------------- */

enum k6_case_verdict k6_diff_case(struct k6_diff *d, struct k6_rand *r, const char *label,
				  unsigned flags, FILE *out)
{
	static struct k6_case g; /* its texts are kept from case to case */
	struct outcome lib = { 0 }, model = { 0 };
	struct k6_text codes = { 0 };
	struct k6_pamd p;
	enum k6_case_verdict v = K6_CASE_ERROR;
	char b[40];
	bool same;

	memset(&p, 0, sizeof(p));
	g.stub = d->stub;
	g.system_modules = d->system_modules;
	snprintf(g.dir, sizeof(g.dir), "%s/c%lu", d->tmp, d->cases);
	k6_case_make(&g, r);
	k6_case_codes(&g, &codes);
	if (write_case(&g) != 0)
		goto out;
	if (run_libpam(&g, k6_text_str(&codes), &lib) != 0 ||
	    run_model(d, &g, k6_text_str(&codes), &p, &model) != 0)
		goto out;

	same = model.ways == 1 && model.code == lib.code &&
	       strcmp(k6_text_str(&model.trace), k6_text_str(&lib.trace)) == 0;
	d->cases++;
	d->results[lib.code >= 0 && lib.code < 32 ? lib.code : 32]++;
	for (int f = 0; f < K6_FEATURES; f++)
		d->features[f] += g.seen[f];
	if (!same)
		d->differ++;
	if (flags & K6_DIFF_LIST)
		fprintf(out, "%s: %s [%s]\n", label, k6_code_name(lib.code, b, sizeof(b)),
			k6_text_str(&lib.trace));
	if (!same && (flags & K6_DIFF_BRIEF))
		fprintf(out, "%s: libpam and the model differ\n", label);
	else if (!same || (flags & K6_DIFF_SHOW))
		show_case(out, &g, label, k6_text_str(&codes), &lib, &model, &p);
	if (!same && !(flags & K6_DIFF_BRIEF))
		fprintf(out, "=== %s: libpam and the model differ\n", label);
	v = same ? K6_CASE_AGREE : K6_CASE_DIFFER;
out:
	k6_pamd_free(&p);
	if (!(flags & K6_DIFF_KEEP))
		remove_case(&g);
	k6_text_free(&lib.trace);
	k6_text_free(&lib.notes);
	k6_text_free(&model.trace);
	k6_text_free(&model.notes);
	k6_text_free(&codes);
	return v;
}

void k6_diff_summary(const struct k6_diff *d, FILE *out)
{
	char b[40];

	fprintf(out, "%lu cases, %lu differ\nlibpam's results:\n", d->cases, d->differ);
	for (size_t i = 0; i < K6_DIFF_CODES; i++) {
		if (d->results[i] > 0)
			fprintf(out, "  %-26s %6lu\n",
				i < 32 ? k6_code_name((int)i, b, sizeof(b)) : "out of range",
				d->results[i]);
	}
	fputs("cases with:\n", out);
	for (size_t i = 0; i < K6_FEATURES; i++)
		fprintf(out, "  %-34s %6lu\n", k6_feature_names[i], d->features[i]);
}

/* --- set up ---------------------------------------------------------------- */

/*
 * For LeakSanitizer, in the builds that have it: pam_start_confdir frees
 * the handle of a configuration it refuses, but not the handlers it had
 * read (pam_start.c).  That is libpam's leak, not the model's.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

const char *__lsan_default_suppressions(void)
{
	return "leak:libpam.so\n";
}

const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

/* Where this libpam loads modules named without a path: beside it, in security/. */
static void find_module_dir(struct k6_diff *d)
{
	const char *env = getenv("K6_TEST_PAM_MODULE_DIR");
	Dl_info info;

	if (env != NULL && *env != '\0') {
		snprintf(d->module_dir, sizeof(d->module_dir), "%s", env);
	} else if (dladdr((void *)pam_start, &info) != 0 && info.dli_fname != NULL &&
		   strrchr(info.dli_fname, '/') != NULL) {
		int n = (int)(strrchr(info.dli_fname, '/') - info.dli_fname);

		snprintf(d->module_dir, sizeof(d->module_dir), "%.*s/security", n, info.dli_fname);
	} else {
		snprintf(d->module_dir, sizeof(d->module_dir), "/lib/security");
	}
}

static bool module_there(const struct k6_diff *d, const char *name)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", d->module_dir, name);
	return access(path, R_OK) == 0;
}

static void *hold(const struct k6_diff *d, const char *name)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", d->module_dir, name);
	return dlopen(path, RTLD_NOW);
}

int k6_diff_init(struct k6_diff *d, const char *stub)
{
	const char *tmp = getenv("TMPDIR");

	memset(d, 0, sizeof(*d));
	if (stub == NULL || stub[0] != '/' || access(stub, R_OK) != 0) {
		fprintf(stderr, "stack_diff: no stub module at %s\n",
			stub != NULL ? stub : "(unset)");
		return -1;
	}
	/* Its path goes into pam.d lines: nothing libpam would take for a blank or a comment. */
	if (strpbrk(stub, " \t\n#[]\\") != NULL) {
		fprintf(stderr, "stack_diff: the stub's path %s holds a blank or # [ ] \\\n", stub);
		return -1;
	}
	d->stub = stub;
	d->stub_base = strrchr(stub, '/') + 1;
	find_module_dir(d);
	d->system_modules = module_there(d, "pam_permit.so") && module_there(d, "pam_deny.so");
	/*
	 * Held open for the whole run, so that libpam's dlopen and dlclose in
	 * each case only count references instead of mapping the files again.
	 */
	d->held[0] = dlopen(stub, RTLD_NOW);
	if (d->held[0] == NULL) {
		fprintf(stderr, "stack_diff: %s\n", dlerror());
		return -1;
	}
	if (d->system_modules) {
		d->held[1] = hold(d, "pam_permit.so");
		d->held[2] = hold(d, "pam_deny.so");
	}
	/* Cases are written and removed by the thousand: in memory when there is room. */
	if (tmp == NULL || tmp[0] != '/' || strpbrk(tmp, " \t\n#[]\\") != NULL)
		tmp = access("/dev/shm", W_OK | X_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(d->tmp, sizeof(d->tmp), "%s/k6_stack_diff.XXXXXX", tmp);
	if (mkdtemp(d->tmp) == NULL) {
		fprintf(stderr, "stack_diff: mkdtemp %s: %s\n", d->tmp, strerror(errno));
		return -1;
	}
	return 0;
}

void k6_diff_done(struct k6_diff *d)
{
	rmdir(d->tmp);
	for (size_t i = 0; i < sizeof(d->held) / sizeof(d->held[0]); i++) {
		if (d->held[i] != NULL)
			dlclose(d->held[i]);
	}
}
