/* SPDX-License-Identifier: MIT */
/*
 * A pam.d folder made up from random choices, for the differential test
 * of the model of libpam (stack_case.h): a service file, now and then an
 * "other", up to four files they include, substack or @include, lines of
 * every type with every control, mostly naming the stub module
 * (pam_stub.h) with an id each, and the code each id returns.  Nothing is
 * written here: the texts are in memory.
 */
#ifndef K6_STACK_GEN_H
#define K6_STACK_GEN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where the choices come from: a seed's sequence, or given bytes (then zeros). */
struct k6_rand {
	uint64_t state;
	const uint8_t *data;
	size_t size;
	size_t pos;
};

void k6_rand_seed(struct k6_rand *r, uint64_t seed);
void k6_rand_bytes(struct k6_rand *r, const uint8_t *data, size_t size);

/* A growing string; any allocation failure aborts (this is a test). */
struct k6_text {
	char *s;
	size_t len;
	size_t cap;
};

void k6_text_add(struct k6_text *t, const char *s, size_t n);
void k6_text_puts(struct k6_text *t, const char *s);
__attribute__((format(printf, 2, 3))) void k6_text_printf(struct k6_text *t, const char *fmt, ...);
void k6_text_clear(struct k6_text *t);
void k6_text_free(struct k6_text *t);
const char *k6_text_str(const struct k6_text *t);

/* "PAM_AUTH_ERR", or "-1 (out of range)", into buf. */
const char *k6_code_name(int code, char *buf, size_t len);

/* What a case holds, counted over a run. */
enum k6_feature {
	K6_F_OTHER_USED,  /* the service has no auth line, "other" has */
	K6_F_NO_SERVICE,  /* the service's file is not there */
	K6_F_DEEP,        /* substacks nested past libpam's 16 levels */
	K6_F_LONG,        /* a line longer than libpam's buffer */
	K6_F_EOF_CONT,    /* a line continued past the end of its file */
	K6_F_BAD_NAME,    /* a module name libpam refuses in a top file */
	K6_F_AT_INCLUDE,  /* @include */
	K6_F_SUBSTACK,    /* substack */
	K6_F_MISSING,     /* include or substack of a file that is not there */
	K6_F_FOLDER,      /* include of a folder */
	K6_F_BAD_CONTROL, /* a control libpam cannot parse */
	K6_F_JUMP,        /* a jump */
	K6_F_SYSTEM_MOD,  /* pam_permit.so or pam_deny.so, by name only */
	K6_FEATURES
};

extern const char *const k6_feature_names[K6_FEATURES];

/* The service's name, and its file's. */
#define K6_CASE_SERVICE "svc"

#define K6_CASE_FILES 32
#define K6_CASE_IDS 512

enum k6_file_kind {
	K6_FILE_TEXT,   /* to be written into the case's folder */
	K6_FILE_ABSENT, /* named, never written */
	K6_FILE_FOLDER, /* a folder */
	K6_FILE_SYSTEM, /* outside the case's folder, named by absolute path */
};

struct k6_case_file {
	const char *name;
	enum k6_file_kind kind;
	bool fails; /* libpam's reading of it fails: a line continued past the end */
	struct k6_text text;
};

/* The first files of every case; the include files follow. */
enum {
	K6_CASE_SVC,
	K6_CASE_OTHER,
	K6_CASE_ABSENT,
	K6_CASE_FOLDER,
	K6_CASE_DEVNULL,
	K6_CASE_FIRST_INC,
};

struct k6_case {
	/* Given by the caller. */
	char dir[PATH_MAX];  /* the case's folder, absolute: includes name it */
	const char *stub;    /* the stub module's absolute path */
	bool system_modules; /* pam_permit.so and pam_deny.so are in libpam's folder */

	/* Made by k6_case_make; the texts' room is kept from case to case. */
	struct k6_case_file f[K6_CASE_FILES];
	size_t nf;
	int codes[K6_CASE_IDS]; /* what the stub returns for id=N */
	size_t nids;
	bool seen[K6_FEATURES];

	/* The generator's own. */
	struct k6_rand *r;
	size_t first_inc, ninc; /* the include files: f[first_inc .. first_inc + ninc) */
};

/* Make a case from r's choices. */
void k6_case_make(struct k6_case *c, struct k6_rand *r);

/* File i's absolute path, appended to t. */
void k6_case_path(const struct k6_case *c, size_t i, struct k6_text *t);

/* The codes as $K6_STUB_CODES takes them: "0:7,1:0,...", appended to t. */
void k6_case_codes(const struct k6_case *c, struct k6_text *t);

#endif
