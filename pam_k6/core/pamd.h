/* SPDX-License-Identifier: MIT */
/*
 * Reading a pam.d service as the libpam of Debian 12 (Linux-PAM 1.5.2)
 * builds it: its lines assembled (comments, continued lines), split into
 * words (a bracketed word is one), the type and the control turned into
 * the action per return code, includes and substacks expanded in place,
 * and every line libpam would turn into a handler kept as one, in the
 * order libpam runs them.  A line libpam cannot use becomes the handler
 * libpam puts in its place (one that fails when run); a module file that
 * is not there is a handler whose module returns PAM_MODULE_UNKNOWN.
 * Nothing is loaded: a module file is only looked at.
 *
 * What libpam would do, as far as reading files can tell; stack.h runs
 * the result.
 */
#ifndef K6_PAMD_H
#define K6_PAMD_H

#include <stdbool.h>
#include <stddef.h>

#include "base/k6_status.h"
#include "core/options.h"

/* libpam's return codes run from 0 to 31 (_PAM_RETURN_VALUES). */
#define K6_PAM_CODES 32

/* How deep substacks may nest: libpam's PAM_SUBSTACK_MAX_LEVEL. */
#define K6_PAMD_DEPTH 16

/* libpam's longest logical line (BUF_SIZE in pam_handlers.c), less its NUL. */
#define K6_PAMD_LINE_MAX 1023

/*
 * Bounds of one reading, far above any real stack: a file larger than
 * K6_PAMD_FILE_MAX, more than K6_PAMD_FILES files opened or more than
 * K6_PAMD_LINES lines read in all is an error naming file:line.
 */
#define K6_PAMD_FILE_MAX ((size_t)256 * 1024)
#define K6_PAMD_FILES 256
#define K6_PAMD_LINES 20000

/* The actions of a control, as libpam numbers them; above 0, a jump over that many. */
enum {
	K6_ACT_IGNORE = 0,
	K6_ACT_OK = -1,
	K6_ACT_DONE = -2,
	K6_ACT_BAD = -3,
	K6_ACT_DIE = -4,
	K6_ACT_RESET = -5,
	K6_ACT_UNDEF = -6, /* not set: run as a jump that fails */
};

enum k6_pam_type {
	K6_PAM_AUTH,
	K6_PAM_ACCOUNT,
	K6_PAM_SESSION,
	K6_PAM_PASSWORD,
};

enum k6_handler_kind {
	K6_HANDLER_MODULE,    /* a module line: libpam calls the module, if it loads */
	K6_HANDLER_MUST_FAIL, /* a line libpam could not use: it returns PAM_PERM_DENIED */
	K6_HANDLER_SUBSTACK,  /* where a substack starts: libpam skips it */
};

struct k6_handler {
	enum k6_handler_kind kind;
	enum k6_pam_type type;
	int level;                 /* 0 in the service, 1 inside a substack, ... */
	int actions[K6_PAM_CODES]; /* K6_ACT_* or a jump */
	char *file;                /* the file that holds the line */
	unsigned line;             /* where the line starts */
	char *text;                /* the line, one blank between words */
	char *control;             /* the control as written: "required", "[success=1 ...]" */
	char *module;              /* the module (or the substack's file) as written; NULL: none */
	char *module_path;         /* the file libpam would load */
	bool loads;                /* that file is there (else PAM_MODULE_UNKNOWN) */
	bool quiet;                /* "-" before the type: no log line when it does not load */
	const char *why;           /* K6_HANDLER_MUST_FAIL: libpam's reason, a static string */
	bool bad_control;          /* the control could not be parsed: every action is bad */
	int argc;
	char **argv; /* the arguments, brackets taken off */
};

struct k6_pamd {
	struct k6_handler *h;
	size_t n;
	/*
	 * libpam refuses the whole configuration (a line too long, a line
	 * continued past the end of the file, a module name it cannot take):
	 * every call of the service returns PAM_ABORT.  Said in abort_why.
	 */
	bool aborts;
	char abort_why[300];
	/*
	 * A bound of this reader was hit (files, lines, size, depth): libpam
	 * would read on, so what it runs is not known.  aborts is set too, so
	 * that nothing walks a stack read in part.
	 */
	bool unread;
	bool other[4]; /* that type's lines are the "other" service's: the service has none */
};

/* Where to read. */
struct k6_pamd_source {
	const char *dir;        /* the pam.d folder: the service's file, other, relative includes */
	const char *service;    /* the service's name */
	const char *file;       /* NULL, or the file to read as the service (--service-file) */
	const char *module_dir; /* where module names without a path are loaded from */
};

/*
 * Read the service as libpam would, all four types.  A problem libpam
 * would pass over in silence or in its log (a missing include, a line it
 * cannot parse, a loop of includes, a bound above) goes to report as
 * "file:line: ..." and makes it K6_CONFIG; what was read stays in out.
 * K6_NOMEM on allocation failure.
 */
enum k6_status k6_pamd_read(const struct k6_pamd_source *src, struct k6_pamd *out,
			    k6_problem_fn report, void *ctx);

void k6_pamd_free(struct k6_pamd *p);

/* "auth", "account", "session", "password". */
const char *k6_pam_type_name(enum k6_pam_type type);

/* The module's file name without its folder: "pam_k6.so" for "/lib/security/pam_k6.so". */
const char *k6_handler_basename(const struct k6_handler *h);

/* libpam's name of a return code ("success", "auth_err"), or NULL out of range. */
const char *k6_pam_code_token(int code);

/* An action as written in a control: "ok", "done", "3" (into buf). */
const char *k6_action_name(int action, char *buf, size_t len);

#endif
