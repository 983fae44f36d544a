/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/log_escape.h"
#include "base/secret.h"
#include "core/late.h"
#include "core/line_file.h"
#include "core/tokens.h"

#define COMMENT_MAX 200
#define NAME_MAX_LEN 256
/* What sha512crypt does without "rounds=". */
#define DEFAULT_ROUNDS 5000UL

_Static_assert(K6_HASH_MAX >= CRYPT_OUTPUT_SIZE, "K6_HASH_MAX holds what crypt_rn returns");
_Static_assert(K6_HASH_TOKEN_MAX == CRYPT_MAX_PASSPHRASE_SIZE - 1,
	       "K6_HASH_TOKEN_MAX is the longest phrase crypt_rn takes");
_Static_assert(K6_HASH_ROUNDS >= K6_HASH_ROUNDS_MIN && K6_HASH_ROUNDS <= K6_HASH_ROUNDS_MAX &&
		       DEFAULT_ROUNDS >= K6_HASH_ROUNDS_MIN && DEFAULT_ROUNDS <= K6_HASH_ROUNDS_MAX,
	       "the lines pam_k6ctl and the usual tools make are taken");

bool k6_tokens_user_ok(const char *s)
{
	size_t n = strlen(s);
	size_t i;

	if (n == 0 || n > NAME_MAX_LEN || s[0] == '-' || s[0] == '#' || s[0] == '@')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == ':' || c == '/' || c == '*')
			return false;
	}
	return true;
}

/* What crypt(5) hashes are written with: the crypt alphabet, '$', and "rounds=". */
static bool hash_chars(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '/' || c == '$' || c == '=' || c == ','))
			return false;
	}
	return true;
}

/* The alphabet of crypt(5)'s salts and digests. */
static bool crypt_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '/';
}

/* How many bytes from s are of crypt's alphabet. */
static size_t crypt_span(const char *s)
{
	size_t n = 0;

	while (crypt_char(s[n]))
		n++;
	return n;
}

/*
 * "rounds=N$" as crypt writes it (no sign, no leading zero), N in range;
 * *s moved past it.  A hash without it has DEFAULT_ROUNDS.
 */
static bool rounds_ok(const char **s)
{
	static const char key[] = "rounds=";
	unsigned long n = 0;
	const char *p = *s;

	if (strncmp(p, key, sizeof(key) - 1) != 0)
		return true; /* DEFAULT_ROUNDS */
	p += sizeof(key) - 1;
	if (*p == '0')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > K6_HASH_ROUNDS_MAX)
			return false;
	}
	if (*p != '$' || n < K6_HASH_ROUNDS_MIN)
		return false;
	*s = p + 1;
	return true;
}

/*
 * sha512crypt, as crypt(3) writes it: "$6$", the rounds if not the default,
 * a salt of 1 to 16 bytes, '$', and 86 bytes of digest, the last of which
 * holds the digest's last two bits only.  Anything else is never hashed
 * against: its cost is not ours to bound, or no token can match it.
 */
const char *k6_token_hash_unusable(const char *hash)
{
	const char *p = hash + strlen(K6_HASH_METHOD);
	size_t salt;

	if (strncmp(hash, K6_HASH_METHOD, strlen(K6_HASH_METHOD)) != 0)
		return "its method is not sha512crypt ($6$), the only one pam_k6 takes";
	_Static_assert(K6_HASH_ROUNDS_MIN == 1000UL && K6_HASH_ROUNDS_MAX == 5000UL,
		       "the phrase below names the range");
	if (!rounds_ok(&p))
		return "its rounds= is not one of 1000 to 5000";
	salt = crypt_span(p);
	if (salt > 0 && salt <= 16 && p[salt] == '\0')
		return "the hash is cut short or a salt alone: no token can match";
	if (salt == 0 || salt > 16 || p[salt] != '$')
		return "its salt is not 1 to 16 characters of [./0-9A-Za-z]";
	p += salt + 1;
	if (crypt_span(p) != 86 || p[86] != '\0' || strchr("./01", p[85]) == NULL)
		return "the hash is cut short or a salt alone: no token can match";
	return NULL;
}

/*
 * The second field is a crypt(5) hash, or the line is an error of the
 * file; whether it is one the module hashes against is told apart.
 */
static bool check_hash(const char *hash, char *why, size_t whylen)
{
	if (hash[0] != '$' || strlen(hash) >= K6_HASH_MAX || !hash_chars(hash)) {
		snprintf(why, whylen, "the second field must be a crypt(5) hash such as $6$...");
		return false;
	}
	return true;
}

/* Printable but for blanks inside, as a comment of the file may be. */
static bool comment_chars(const char *s, bool allow_tab)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f)
			return false;
	}
	return true;
}

bool k6_tokens_comment_ok(const char *comment)
{
	return strlen(comment) <= COMMENT_MAX && comment_chars(comment, false);
}

static const char *skip_blanks(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static enum k6_status add_line(struct k6_tokens *t, const char *user, const char *hash,
			       const char *comment, unsigned line)
{
	struct k6_token_line l = { strdup(user), strdup(hash), strdup(comment), line,
				   k6_token_hash_unusable(hash) };
	struct k6_token_line *grown = NULL;

	if (l.user != NULL && l.hash != NULL && l.comment != NULL)
		grown = realloc(t->lines, (t->n + 1) * sizeof(*t->lines));
	if (grown == NULL) {
		free(l.user);
		free(l.hash);
		free(l.comment);
		return K6_NOMEM;
	}
	t->lines = grown;
	t->lines[t->n++] = l;
	return K6_OK;
}

/*
 * One line that is not blank or a comment: "USER HASH [COMMENT]", split in
 * place.  K6_CONFIG with why, or the line added.
 */
static enum k6_status parse_line(struct k6_tokens *t, char *buf, unsigned line, char *why,
				 size_t whylen)
{
	char *user = buf;
	char *hash;
	char *comment;
	char *end;

	hash = user + strcspn(user, " \t");
	if (*hash != '\0')
		*hash++ = '\0';
	hash = (char *)skip_blanks(hash);
	if (*hash == '\0') {
		snprintf(why, whylen, "want USER HASH [COMMENT], found 1 field");
		return K6_CONFIG;
	}
	comment = hash + strcspn(hash, " \t");
	if (*comment != '\0')
		*comment++ = '\0';
	comment = (char *)skip_blanks(comment);
	end = comment + strlen(comment);
	while (end > comment && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';

	if (!k6_tokens_user_ok(user)) {
		snprintf(why, whylen, "the first field must be an account's name");
		return K6_CONFIG;
	}
	if (!check_hash(hash, why, whylen))
		return K6_CONFIG;
	if (!comment_chars(comment, true)) {
		snprintf(why, whylen, "the comment holds control characters");
		return K6_CONFIG;
	}
	if (k6_tokens_count(t, user) >= K6_TOKENS_PER_USER) {
		char shown[80];

		k6_escape_str(shown, sizeof(shown), user, false);
		snprintf(why, whylen, "%s has more than %d lines", shown, K6_TOKENS_PER_USER);
		return K6_CONFIG;
	}
	return add_line(t, user, hash, comment, line);
}

/* One line: "USER HASH [comment]"; blank lines and '#' comments pass. */
static enum k6_status tokens_line(void *ctx, char *buf, unsigned line, char *why, size_t whylen)
{
	size_t n = strlen(buf);
	char *start;

	if (n > 0 && buf[n - 1] == '\r')
		buf[n - 1] = '\0';
	start = (char *)skip_blanks(buf);
	if (*start == '\0' || *start == '#')
		return K6_OK;
	return parse_line(ctx, start, line, why, whylen);
}

static void tokens_clear(void *out)
{
	k6_tokens_free(out);
}

static const struct k6_line_format tokens_format = { sizeof(struct k6_tokens), tokens_line,
						     tokens_clear };

enum k6_status k6_tokens_parse(const char *path, const char *text, size_t len,
			       struct k6_tokens *out, char *err, size_t errlen)
{
	return k6_line_file_parse(&tokens_format, path, text, len, out, err, errlen);
}

enum k6_status k6_tokens_load(const char *path, uid_t owner, struct k6_tokens *out, char *err,
			      size_t errlen)
{
	return k6_line_file_load(&tokens_format, path, owner, out, err, errlen);
}

void k6_tokens_free(struct k6_tokens *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->lines[i].user);
		free(t->lines[i].hash);
		free(t->lines[i].comment);
	}
	free(t->lines);
	t->lines = NULL;
	t->n = 0;
}

size_t k6_tokens_count(const struct k6_tokens *t, const char *user)
{
	size_t n = 0;
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->lines[i].user, user) == 0)
			n++;
	return n;
}

size_t k6_tokens_unusable(const struct k6_tokens *t)
{
	size_t n = 0;
	size_t i;

	for (i = 0; i < t->n; i++)
		n += t->lines[i].unusable != NULL;
	return n;
}

size_t k6_tokens_accounts(const struct k6_tokens *t)
{
	size_t n = 0;
	size_t i;
	size_t j;

	for (i = 0; i < t->n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(t->lines[j].user, t->lines[i].user) == 0)
				break;
		n += j == i;
	}
	return n;
}

/*
 * 1 if the token hashes to hash, 0 if not, -1 if crypt failed (errno).
 * The hash's length is no secret; its bytes are compared in constant time.
 */
static int same_hash(const struct k6_hash_ops *h, const char *token, const char *hash,
		     struct crypt_data *d)
{
	size_t n = strlen(hash);
	const char *got = h->crypt_rn(token, hash, d, (int)sizeof(*d));

	if (got == NULL)
		return -1;
	return strlen(got) == n && h->equal(got, hash, n);
}

enum k6_status k6_tokens_match(const struct k6_tokens *t, const char *user, const char *token,
			       const struct k6_token_line **match, char *why, size_t whylen)
{
	/* Scratch that holds what crypt derives from the token: wiped when done. */
	struct crypt_data *d = NULL;
	const struct k6_hash_ops *h = k6_hash(why, whylen);
	enum k6_status st = K6_DENIED;
	size_t i;

	*match = NULL;
	if (h == NULL)
		return K6_CONFIG;
	/* No line was made for it: crypt(3) refuses to hash it. */
	if (strnlen(token, K6_HASH_TOKEN_MAX + 1) > K6_HASH_TOKEN_MAX)
		return K6_DENIED;
	for (i = 0; i < t->n && st == K6_DENIED; i++) {
		const struct k6_token_line *l = &t->lines[i];
		int same;

		if ((user != NULL && strcmp(l->user, user) != 0) || l->unusable != NULL)
			continue;
		if (d == NULL && (d = calloc(1, sizeof(*d))) == NULL) {
			snprintf(why, whylen, "out of memory");
			return K6_NOMEM;
		}
		same = same_hash(h, token, l->hash, d);
		if (same > 0) {
			*match = l;
			st = K6_OK;
		} else if (same < 0) {
			st = errno == ENOMEM ? K6_NOMEM : K6_SYSTEM;
			snprintf(why, whylen,
				 "tokens file line %u: the hash cannot be computed: %s", l->line,
				 strerror(errno));
		}
	}
	k6_free_secret_n(d, sizeof(*d));
	return st;
}

/* getrandom, whole: the salt must not be guessable. */
static bool random_bytes(char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(buf + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

enum k6_status k6_token_hash(const char *token, char *hash, size_t hashlen, char *why,
			     size_t whylen)
{
	char rbytes[16];
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	const struct k6_hash_ops *h = k6_hash(why, whylen);
	struct crypt_data *d;
	const char *got;
	enum k6_status st = K6_SYSTEM;

	if (h == NULL)
		return K6_CONFIG;
	if (strnlen(token, K6_HASH_TOKEN_MAX + 1) > K6_HASH_TOKEN_MAX) {
		snprintf(why, whylen, "a token longer than %d bytes cannot be hashed",
			 K6_HASH_TOKEN_MAX);
		return K6_CONFIG;
	}
	if (!random_bytes(rbytes, sizeof(rbytes))) {
		snprintf(why, whylen, "no random bytes for a salt: %s", strerror(errno));
		return K6_SYSTEM;
	}
	if (h->gensalt_rn(K6_HASH_METHOD, K6_HASH_ROUNDS, rbytes, (int)sizeof(rbytes), setting,
			  (int)sizeof(setting)) == NULL) {
		snprintf(why, whylen, "no salt: %s", strerror(errno));
		return K6_SYSTEM;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL) {
		snprintf(why, whylen, "out of memory");
		return K6_NOMEM;
	}
	got = h->crypt_rn(token, setting, d, (int)sizeof(*d));
	if (got == NULL)
		snprintf(why, whylen, "the hash cannot be computed: %s", strerror(errno));
	else if (strlen(got) >= hashlen)
		snprintf(why, whylen, "the hash is too long");
	else {
		memcpy(hash, got, strlen(got) + 1);
		st = K6_OK;
	}
	k6_free_secret_n(d, sizeof(*d));
	return st;
}

void k6_tokens_comment_split(const char *comment, char *text, size_t textlen, char *date,
			     size_t datelen)
{
	static const char stamp[] = "enrolled ";
	size_t n = strlen(comment);
	const char *at;
	size_t keep;
	size_t i;

	snprintf(text, textlen, "%s", comment);
	snprintf(date, datelen, "%s", "");
	/* "enrolled YYYY-MM-DD" at the very end, alone or after a blank. */
	if (n < sizeof(stamp) - 1 + 10)
		return;
	at = comment + n - 10;
	for (i = 0; i < 10; i++) {
		bool dash = i == 4 || i == 7;

		if (dash ? at[i] != '-' : (at[i] < '0' || at[i] > '9'))
			return;
	}
	at -= sizeof(stamp) - 1;
	if (strncmp(at, stamp, sizeof(stamp) - 1) != 0 ||
	    (at > comment && at[-1] != ' ' && at[-1] != '\t'))
		return;
	snprintf(date, datelen, "%.10s", comment + n - 10);
	keep = (size_t)(at - comment);
	while (keep > 0 && (comment[keep - 1] == ' ' || comment[keep - 1] == '\t'))
		keep--;
	if (keep > 0 && comment[keep - 1] == ',')
		keep--;
	snprintf(text, textlen, "%.*s", (int)keep, comment);
}

enum k6_status k6_tokens_drop_lines(const char *text, size_t len, const unsigned *drop,
				    size_t ndrop, char **out, size_t *outlen)
{
	char *buf = malloc(len + 1);
	size_t pos = 0;
	size_t used = 0;
	unsigned line = 0;

	if (buf == NULL)
		return K6_NOMEM;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) + 1 : len - pos;
		bool dropped = false;
		size_t i;

		line++;
		for (i = 0; i < ndrop; i++)
			dropped = dropped || drop[i] == line;
		if (!dropped) {
			memcpy(buf + used, text + pos, n);
			used += n;
		}
		pos += n;
	}
	buf[used] = '\0';
	*out = buf;
	*outlen = used;
	return K6_OK;
}
