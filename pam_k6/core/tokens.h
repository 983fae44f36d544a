/* SPDX-License-Identifier: MIT */
/*
 * The tokens file: which tokens may log in as which account.
 *
 *   # USER  HASH                                  [COMMENT]
 *   alice   $6$rounds=1000$3kV0aV1mQ0x3Ej1b$Zp...  laptop, enrolled 2026-12-02
 *
 * HASH is a sha512crypt hash of the token, so the file can be shipped to
 * every host and a copy of it gives no token back.  An account has at most
 * K6_TOKENS_PER_USER lines.  The module only reads the file; pam_k6ctl
 * writes it.  No PAM types here.
 *
 * Each of an account's lines costs one hash per attempt, before any request
 * and for anyone who knows the account's name, and lines come from users
 * (pam_k6ctl hash's output, handed to the operator): a line's hash is what
 * sets the cost of a login.  So only sha512crypt with K6_HASH_ROUNDS_MIN to
 * K6_HASH_ROUNDS_MAX rounds is hashed against; any other line that looks
 * like a crypt(5) hash is kept but never hashed (k6_token_line.unusable),
 * and everything else is an error of the file.
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
/*
 * The rounds a line may have: from the least sha512crypt allows (what
 * pam_k6ctl writes) to its default, 5000, which a hash that names no rounds
 * has (openssl passwd -6, mkpasswd -m sha-512).  16 lines of 5000 rounds
 * are the most one attempt costs.
 */
#define K6_HASH_ROUNDS_MIN 1000UL
#define K6_HASH_ROUNDS_MAX 5000UL
/* The longest token crypt(3) hashes (CRYPT_MAX_PASSPHRASE_SIZE, less its NUL). */
#define K6_HASH_TOKEN_MAX 511
/* Room for any hash libxcrypt makes (CRYPT_OUTPUT_SIZE). */
#define K6_HASH_MAX 384

struct k6_token_line {
	char *user;
	char *hash;
	char *comment; /* "" when the line has none */
	unsigned line;
	/* NULL, or why no token is ever hashed against this line (a static phrase). */
	const char *unusable;
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

/* How many lines are unusable (and never hashed against). */
size_t k6_tokens_unusable(const struct k6_tokens *t);

/*
 * The first line of user (or of any account, for user NULL) whose hash
 * the token matches, in *match; unusable lines are passed over, and a
 * token longer than K6_HASH_TOKEN_MAX matches none, without a hash.  K6_OK
 * with a match, K6_DENIED without one, K6_NOMEM, or K6_SYSTEM when a hash
 * could not be computed (why names the line).  The comparison takes the
 * same time wherever the hashes differ.
 */
enum k6_status k6_tokens_match(const struct k6_tokens *t, const char *user, const char *token,
			       const struct k6_token_line **match, char *why, size_t whylen);

/*
 * A new line's hash of the token: sha512crypt with K6_HASH_ROUNDS and a
 * salt from getrandom.  K6_OK, or K6_CONFIG for a token longer than
 * K6_HASH_TOKEN_MAX, K6_SYSTEM or K6_NOMEM, with why set.
 */
enum k6_status k6_token_hash(const char *token, char *hash, size_t hashlen, char *why,
			     size_t whylen);

/*
 * Whether a line with this hash is ever hashed against, told from its text
 * alone: NULL if so, else why not ("its method is not sha512crypt").
 */
const char *k6_token_hash_unusable(const char *hash);

/* A comment pam_k6ctl may write: printable, no tab, at most 200 bytes. */
bool k6_tokens_comment_ok(const char *comment);

/*
 * A user name as the tokens file takes it: an account's name, as the name
 * service spells it.  '@' may follow its first byte (SSSD's fully-qualified
 * names, alice@corp.example); no blanks, ':', '/', '*', control or
 * non-ASCII bytes, no '-', '#' or '@' first, at most 256 bytes.
 */
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
