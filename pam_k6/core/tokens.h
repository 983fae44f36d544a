/* SPDX-License-Identifier: MIT */
/*
 * The tokens file: which tokens may log in as which account.
 *
 *   # USER  HASH                                  [COMMENT]
 *   alice   $6$rounds=1000$3kV0aV1mQ0x3Ej1b$Zp...  laptop, enrolled 2026-12-02
 *
 * HASH is a crypt(5) hash of the token (sha512crypt from pam_k6ctl; any
 * method libxcrypt keeps for new hashes is accepted), so the file can be
 * shipped to every host and a copy of it gives no token back.  An account
 * has at most K6_TOKENS_PER_USER lines.  The module only reads the file;
 * pam_k6ctl writes it.  No PAM types here.
 */
#ifndef K6_TOKENS_H
#define K6_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/k6_status.h"

#define K6_TOKENS_PER_USER 16
/* The method and cost of the hashes pam_k6ctl makes: see k6_token_hash. */
#define K6_HASH_METHOD "$6$"
#define K6_HASH_ROUNDS 1000UL
/* Room for any hash libxcrypt makes (CRYPT_OUTPUT_SIZE). */
#define K6_HASH_MAX 384

struct k6_token_line {
	char *user;
	char *hash;
	char *comment; /* "" when the line has none */
	unsigned line;
};

struct k6_tokens {
	struct k6_token_line *lines;
	size_t n;
};

/* Parse the file's text; errors name path:line.  Free with k6_tokens_free. */
enum k6_status k6_tokens_parse(const char *path, const char *text, size_t len,
			       struct k6_tokens *out, char *err, size_t errlen);

/* Read the tokens file at path (owned by owner, as safe_file.h rules) and parse it. */
enum k6_status k6_tokens_load(const char *path, uid_t owner, struct k6_tokens *out, char *err,
			      size_t errlen);

void k6_tokens_free(struct k6_tokens *t);

/* How many lines name user. */
size_t k6_tokens_count(const struct k6_tokens *t, const char *user);

/* How many accounts have lines. */
size_t k6_tokens_accounts(const struct k6_tokens *t);

/*
 * The first line of user (or of any account, for user NULL) whose hash
 * the token matches, in *match.  K6_OK with a match, K6_DENIED without
 * one, K6_NOMEM, or K6_SYSTEM when a hash could not be computed (why
 * names the line).  The comparison takes the same time wherever the hashes
 * differ.
 */
enum k6_status k6_tokens_match(const struct k6_tokens *t, const char *user, const char *token,
			       const struct k6_token_line **match, char *why, size_t whylen);

/*
 * A new line's hash of the token: sha512crypt with K6_HASH_ROUNDS and a
 * salt from getrandom.  K6_OK, or K6_SYSTEM/K6_NOMEM with why set.
 */
enum k6_status k6_token_hash(const char *token, char *hash, size_t hashlen, char *why,
			     size_t whylen);

/*
 * Whether a hash the parser took can ever match: it costs one hash, so
 * pam_k6ctl check asks, not a login.  false with why ("is a salt without a
 * hash").
 */
bool k6_token_hash_complete(const char *hash, char *why, size_t whylen);

/* A comment pam_k6ctl may write: printable, no tab, at most 200 bytes. */
bool k6_tokens_comment_ok(const char *comment);

/* A user name as the tokens file takes it: an account's name, no @group, no *. */
bool k6_tokens_user_ok(const char *user);

/*
 * The comment's enrolment date ("2026-12-02" when it ends in "enrolled
 * 2026-12-02") in date, and what comes before it, without the ", " that
 * joins them, in text ("" when nothing does).  Without a date, date is ""
 * and text is the whole comment.
 */
void k6_tokens_comment_split(const char *comment, char *text, size_t textlen, char *date,
			     size_t datelen);

/*
 * text[0..len) without the lines numbered in drop (1 = the first line),
 * into *out (malloc'd, NUL-terminated, length *outlen).  Every other line
 * stays as it was.
 */
enum k6_status k6_tokens_drop_lines(const char *text, size_t len, const unsigned *drop,
				    size_t ndrop, char **out, size_t *outlen);

#endif
