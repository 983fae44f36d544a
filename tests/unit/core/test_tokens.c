/* SPDX-License-Identifier: MIT */
/* The tokens file: its format, which token matches which account's lines, the hashes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/tokens.h"

#define ALICE_TOKEN "k6good0123456789abcdef0123456789"
#define BOB_TOKEN "k6bob00123456789abcdef0123456789"
/*
 * ALICE_TOKEN hashed by another implementation of sha512crypt than this
 * host's libcrypt (openssl passwd -6), with the default rounds and with
 * rounds=1000: a line made anywhere matches here.
 */
#define ALICE_OPENSSL                                                     \
	"$6$pamk6saltpamk6s$XaSIKbp3gpQOkxa4wJM/llOnCF3CRrcZEmDluFNyF9Z." \
	"VHrK6fu6fqZ89hArAOCDuxpTyPPXXqg2vVURPEOJc0"
#define ALICE_OPENSSL_1000                                                    \
	"$6$rounds=1000$pamk6salt$32cWv.DcDw0kQByZKfEy59kYkYAjL5PP2f2AER/IJ3" \
	"IoCOi.AmuD0PHU8JMKcULzrSwwfbOqUu9PAA986V8/D/"

static enum k6_status parse(const char *text, struct k6_tokens *t, char *err, size_t errlen)
{
	return k6_tokens_parse("/etc/security/pam_k6.tokens", text, strlen(text), t, err, errlen);
}

static void hash_of(const char *token, char *hash)
{
	char why[160] = "";

	if (k6_token_hash(token, hash, K6_HASH_MAX, why, sizeof(why)) != K6_OK)
		fail_msg("k6_token_hash: %s", why);
}

static void test_parse(void **state)
{
	char text[2048];
	struct k6_tokens t;
	char err[256] = "";

	(void)state;
	snprintf(text, sizeof(text),
		 "# USER HASH [COMMENT]\n"
		 "\n"
		 "alice   %s   laptop, enrolled 2026-12-02  \n"
		 "  bob\t%s\r\n"
		 "   # an indented comment\n"
		 "alice %s alice's   second\ttoken",
		 ALICE_OPENSSL, ALICE_OPENSSL_1000, ALICE_OPENSSL);
	assert_int_equal(parse(text, &t, err, sizeof(err)), K6_OK);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.lines[0].user, "alice");
	assert_string_equal(t.lines[0].hash, ALICE_OPENSSL);
	assert_string_equal(t.lines[0].comment, "laptop, enrolled 2026-12-02");
	assert_int_equal(t.lines[0].line, 3);
	assert_string_equal(t.lines[1].user, "bob");
	assert_string_equal(t.lines[1].hash, ALICE_OPENSSL_1000);
	assert_string_equal(t.lines[1].comment, "");
	assert_int_equal(t.lines[1].line, 4);
	assert_string_equal(t.lines[2].comment, "alice's   second\ttoken");
	assert_int_equal(t.lines[2].line, 6);
	assert_int_equal(k6_tokens_count(&t, "alice"), 2);
	assert_int_equal(k6_tokens_count(&t, "bob"), 1);
	assert_int_equal(k6_tokens_count(&t, "carol"), 0);
	k6_tokens_free(&t);

	assert_int_equal(parse("# nothing but comments\n\n", &t, err, sizeof(err)), K6_OK);
	assert_int_equal(t.n, 0);
	k6_tokens_free(&t);
}

static void test_bad_lines(void **state)
{
	static const struct {
		const char *text;
		const char *err_has;
	} cases[] = {
		{ "alice\n", "pam_k6.tokens:1: want USER HASH [COMMENT], found 1 field" },
		{ "# ok\nalice   \n", "pam_k6.tokens:2: want USER HASH [COMMENT]" },
		{ "alice k6good0123456789abcdef0123456789\n",
		  ":1: the second field must be a crypt(5) hash such as $6$..." },
		{ "alice #$6$abc$def\n", ":1: the second field must be a crypt(5) hash" },
		{ "alice $6$abc$d\"ef\n", ":1: the second field must be a crypt(5) hash" },
		{ "alice abCDefGHijKLm\n", ":1: the second field must be" },
		{ "@loadtest $6$abc$def\n", ":1: the first field must be an account's name" },
		{ "* $6$abc$def\n", ":1: the first field must be an account's name" },
		{ "al:ce $6$abc$def\n", ":1: the first field" },
		{ "-alice $6$abc$def\n", ":1: the first field" },
		{ "alice $6$abc$def a\033[2Jcomment\n",
		  ":1: the comment holds control characters" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct k6_tokens t;
		char err[256] = "";

		if (parse(cases[i].text, &t, err, sizeof(err)) != K6_CONFIG ||
		    strstr(err, cases[i].err_has) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].err_has);
		assert_int_equal(t.n, 0);
	}
}

static void test_sixteen_lines_per_account(void **state)
{
	char text[8192] = "";
	struct k6_tokens t;
	char err[256] = "";
	int i;

	(void)state;
	for (i = 0; i < K6_TOKENS_PER_USER; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "alice %s %d\n",
			 ALICE_OPENSSL, i);
	/* Others' lines do not count against alice. */
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "bob %s\n", ALICE_OPENSSL);
	assert_int_equal(parse(text, &t, err, sizeof(err)), K6_OK);
	assert_int_equal(k6_tokens_count(&t, "alice"), K6_TOKENS_PER_USER);
	k6_tokens_free(&t);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "alice %s one too many\n",
		 ALICE_OPENSSL);
	assert_int_equal(parse(text, &t, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, ":18: alice has more than 16 lines"));
}

static void test_long_line(void **state)
{
	char text[2100];
	struct k6_tokens t;
	char err[256] = "";

	(void)state;
	snprintf(text, sizeof(text), "alice %s ", ALICE_OPENSSL);
	memset(text + strlen(text), 'c', 1000);
	text[1100] = '\0';
	assert_int_equal(parse(text, &t, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, ":1: line longer than 1024 bytes"));
}

static enum k6_status match(const char *text, const char *user, const char *token, unsigned *line)
{
	struct k6_tokens t;
	const struct k6_token_line *m = (const struct k6_token_line *)&t; /* must be reset */
	char err[256] = "";
	char why[256] = "";
	enum k6_status st;

	if (parse(text, &t, err, sizeof(err)) != K6_OK)
		fail_msg("parse: %s", err);
	st = k6_tokens_match(&t, user, token, &m, why, sizeof(why));
	*line = m != NULL ? m->line : 0;
	if ((st == K6_OK) != (m != NULL))
		fail_msg("a match is K6_OK with its line, and only that");
	k6_tokens_free(&t);
	return st;
}

static void test_match(void **state)
{
	char alice1[K6_HASH_MAX];
	char alice2[K6_HASH_MAX];
	char bob[K6_HASH_MAX];
	char text[2048];
	unsigned line;

	(void)state;
	hash_of(ALICE_TOKEN, alice1);
	hash_of("k6second123456789abcdef012345678", alice2);
	hash_of(BOB_TOKEN, bob);
	snprintf(text, sizeof(text),
		 "alice %s first\n"
		 "bob   %s\n"
		 "alice %s second\n",
		 alice1, bob, alice2);
	/* Each account's own tokens, on their own lines. */
	assert_int_equal(match(text, "alice", ALICE_TOKEN, &line), K6_OK);
	assert_int_equal(line, 1);
	assert_int_equal(match(text, "alice", "k6second123456789abcdef012345678", &line), K6_OK);
	assert_int_equal(line, 3);
	assert_int_equal(match(text, "bob", BOB_TOKEN, &line), K6_OK);
	assert_int_equal(line, 2);
	/* Another account's token is no key to this one. */
	assert_int_equal(match(text, "alice", BOB_TOKEN, &line), K6_DENIED);
	assert_int_equal(match(text, "bob", ALICE_TOKEN, &line), K6_DENIED);
	/* A token that differs anywhere, or is cut short or longer, does not match. */
	assert_int_equal(match(text, "alice", "k6good0123456789abcdef012345678a", &line),
			 K6_DENIED);
	assert_int_equal(match(text, "alice", "k6good0123456789abcdef012345678", &line), K6_DENIED);
	assert_int_equal(match(text, "alice", ALICE_TOKEN "0", &line), K6_DENIED);
	assert_int_equal(match(text, "carol", ALICE_TOKEN, &line), K6_DENIED);
	/* Any account's line, for enroll's check that a token is not enrolled twice. */
	assert_int_equal(match(text, NULL, BOB_TOKEN, &line), K6_OK);
	assert_int_equal(line, 2);
	assert_int_equal(match(text, NULL, "k6nobody123456789abcdef012345678", &line), K6_DENIED);
}

static void test_lines_made_elsewhere(void **state)
{
	char text[1024];
	unsigned line;

	(void)state;
	snprintf(text, sizeof(text), "alice %s\nalice %s\n", ALICE_OPENSSL, ALICE_OPENSSL_1000);
	assert_int_equal(match(text, "alice", ALICE_TOKEN, &line), K6_OK);
	assert_int_equal(line, 1);
	snprintf(text, sizeof(text), "alice %s\n", ALICE_OPENSSL_1000);
	assert_int_equal(match(text, "alice", ALICE_TOKEN, &line), K6_OK);
	assert_int_equal(match(text, "alice", BOB_TOKEN, &line), K6_DENIED);
}

static void test_hash(void **state)
{
	char one[K6_HASH_MAX];
	char two[K6_HASH_MAX];
	char why[160] = "";
	char *long_token = malloc(K6_HASH_TOKEN_MAX + 2);

	(void)state;
	hash_of(ALICE_TOKEN, one);
	hash_of(ALICE_TOKEN, two);
	/* sha512crypt, the documented cost, a salt of its own every time. */
	assert_int_equal(strncmp(one, "$6$rounds=1000$", 15), 0);
	assert_string_not_equal(one, two);
	assert_null(strstr(one, ALICE_TOKEN));
	assert_null(k6_token_hash_unusable(one));
	/* crypt(3) hashes no longer phrase: no line is made for such a token. */
	assert_non_null(long_token);
	memset(long_token, 'a', K6_HASH_TOKEN_MAX + 1);
	long_token[K6_HASH_TOKEN_MAX + 1] = '\0';
	assert_int_equal(k6_token_hash(long_token, two, sizeof(two), why, sizeof(why)), K6_CONFIG);
	assert_non_null(strstr(why, "longer than 511 bytes"));
	long_token[K6_HASH_TOKEN_MAX] = '\0';
	hash_of(long_token, two);
	free(long_token);
}

/* 86 digest bytes, the last of which holds two bits: as crypt writes them. */
#define DIGEST                                                                              \
	"XaSIKbp3gpQOkxa4wJM/llOnCF3CRrcZEmDluFNyF9Z.VHrK6fu6fqZ89hArAOCDuxpTyPPXXqg2vVURP" \
	"EOJc0"

/*
 * Only sha512crypt of 1000 to 5000 rounds is ever hashed against; every
 * other hash is told apart from its text alone.
 */
static void test_which_hashes_are_hashed_against(void **state)
{
	static const struct {
		const char *hash;
		const char *why_has; /* NULL: hashed against */
	} cases[] = {
		{ ALICE_OPENSSL, NULL },
		{ ALICE_OPENSSL_1000, NULL },
		{ "$6$rounds=5000$pamk6salt$" DIGEST, NULL },
		{ "$6$rounds=1000$a$" DIGEST, NULL },
		{ "$6$rounds=1000$0123456789abcdef$" DIGEST, NULL },
		/* The cost is the line's: outside the range, never hashed. */
		{ "$6$rounds=5001$pamk6salt$" DIGEST, "rounds= is not one of 1000 to 5000" },
		{ "$6$rounds=999999999$pamk6salt$" DIGEST, "rounds=" },
		{ "$6$rounds=99999999999999999999999$pamk6salt$" DIGEST, "rounds=" },
		{ "$6$rounds=999$pamk6salt$" DIGEST, "rounds=" },
		{ "$6$rounds=01000$pamk6salt$" DIGEST, "rounds=" },
		{ "$6$rounds=$pamk6salt$" DIGEST, "rounds=" },
		{ "$6$rounds=1e3$pamk6salt$" DIGEST, "rounds=" },
		/* Other methods, whatever their cost. */
		{ "$y$jJT$pamk6saltpamk6saltpamk6$0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
		  "not sha512crypt" },
		{ "$y$j9T$pamk6saltpamk6saltpamk6$0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
		  "not sha512crypt" },
		{ "$2b$31$pamk6saltpamk6saltpamk.0123456789abcdefghijklmnopqrstu",
		  "not sha512crypt" },
		{ "$1$pamk6$lFCXh0sbEa5lLiFsSUQT71", "not sha512crypt" },
		{ "$5$rounds=1000$pamk6salt$" DIGEST, "not sha512crypt" },
		{ "$7$CU..../....pamk6salt$" DIGEST, "not sha512crypt" },
		/* What no token can match. */
		{ "$6$rounds=1000$pamk6salt", "cut short" },
		{ "$6$rounds=1000$pamk6salt$", "cut short" },
		{ "$6$pamk6salt$" DIGEST "0", "cut short" },
		{ "$6$pamk6salt$XaSIKbp3gpQOkxa4wJM/"
		  "llOnCF3CRrcZEmDluFNyF9Z.VHrK6fu6fqZ89hArAOCDuxpTyPP"
		  "XXqg2vVURPEOJc2",
		  "cut short" },
		{ "$6$pamk6salt$" DIGEST "$", "cut short" },
		{ "$6$$" DIGEST, "salt" },
		{ "$6$0123456789abcdefg$" DIGEST, "salt" },
		{ "$6$", "salt" },
	};
	char text[512];
	struct k6_tokens t;
	char err[256] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = k6_token_hash_unusable(cases[i].hash);

		if ((why == NULL) != (cases[i].why_has == NULL) ||
		    (why != NULL && strstr(why, cases[i].why_has) == NULL))
			fail_msg("case %zu, %s: \"%s\"", i, cases[i].hash,
				 why != NULL ? why : "(none)");
		/* The parser keeps the line, with the same verdict. */
		snprintf(text, sizeof(text), "alice %s\n", cases[i].hash);
		assert_int_equal(parse(text, &t, err, sizeof(err)), K6_OK);
		assert_int_equal(t.n, 1);
		assert_true(t.lines[0].unusable == why);
		assert_int_equal(k6_tokens_unusable(&t), why != NULL ? 1 : 0);
		k6_tokens_free(&t);
	}
}

/*
 * A line that is not hashed against matches nothing, even a token it was
 * made for, and a token crypt(3) cannot hash matches nothing either.
 */
static void test_match_passes_over_what_is_not_hashed(void **state)
{
	char text[2048];
	char *long_token = malloc(K6_HASH_TOKEN_MAX + 2);
	char hash[K6_HASH_MAX];
	unsigned line;

	(void)state;
	/* ALICE_OPENSSL with 5001 rounds would be another digest: but never hashed. */
	snprintf(text, sizeof(text), "alice $6$rounds=5001$pamk6saltpamk6s$%s\nalice %s\n",
		 &ALICE_OPENSSL[strlen("$6$pamk6saltpamk6s$")], ALICE_OPENSSL);
	assert_int_equal(match(text, "alice", ALICE_TOKEN, &line), K6_OK);
	assert_int_equal(line, 2);
	snprintf(text, sizeof(text), "alice $y$j9T$pamk6saltpamk6saltpamk6$%s\n", DIGEST);
	assert_int_equal(match(text, "alice", ALICE_TOKEN, &line), K6_DENIED);
	assert_int_equal(match(text, NULL, ALICE_TOKEN, &line), K6_DENIED);

	assert_non_null(long_token);
	memset(long_token, 'a', K6_HASH_TOKEN_MAX);
	long_token[K6_HASH_TOKEN_MAX] = '\0';
	hash_of(long_token, hash);
	snprintf(text, sizeof(text), "alice %s\n", hash);
	assert_int_equal(match(text, "alice", long_token, &line), K6_OK);
	/* One byte more: no hash is made, and no error either. */
	long_token[K6_HASH_TOKEN_MAX] = 'a';
	long_token[K6_HASH_TOKEN_MAX + 1] = '\0';
	assert_int_equal(match(text, "alice", long_token, &line), K6_DENIED);
	free(long_token);
}

static void test_comment_split(void **state)
{
	static const struct {
		const char *comment, *text, *date;
	} cases[] = {
		{ "enrolled 2026-12-02", "", "2026-12-02" },
		{ "laptop, enrolled 2026-12-02", "laptop", "2026-12-02" },
		{ "laptop enrolled 2026-12-02", "laptop", "2026-12-02" },
		{ "laptop", "laptop", "" },
		{ "", "", "" },
		{ "reenrolled 2026-12-02", "reenrolled 2026-12-02", "" },
		{ "enrolled 2026-1-02", "enrolled 2026-1-02", "" },
		{ "enrolled 2026-12-02 by ops", "enrolled 2026-12-02 by ops", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[64];
		char date[16];

		k6_tokens_comment_split(cases[i].comment, text, sizeof(text), date, sizeof(date));
		if (strcmp(text, cases[i].text) != 0 || strcmp(date, cases[i].date) != 0)
			fail_msg("\"%s\": text \"%s\" date \"%s\"", cases[i].comment, text, date);
	}
}

static void test_comment_and_user_rules(void **state)
{
	char long_comment[210];

	(void)state;
	assert_true(k6_tokens_comment_ok("alice's laptop"));
	assert_true(k6_tokens_comment_ok(""));
	assert_false(k6_tokens_comment_ok("two\nlines"));
	assert_false(k6_tokens_comment_ok("a\ttab"));
	memset(long_comment, 'c', 201);
	long_comment[201] = '\0';
	assert_false(k6_tokens_comment_ok(long_comment));
	assert_true(k6_tokens_user_ok("alice"));
	/* SSSD's fully-qualified names; a leading '@' would be a group. */
	assert_true(k6_tokens_user_ok("alice@corp.example"));
	assert_true(k6_tokens_user_ok("CORP\\alice"));
	assert_false(k6_tokens_user_ok("@team"));
	assert_false(k6_tokens_user_ok("john smith@corp.example"));
	assert_false(k6_tokens_user_ok("al:ce"));
	assert_false(k6_tokens_user_ok("#alice"));
	assert_false(k6_tokens_user_ok("-alice"));
	assert_false(k6_tokens_user_ok("al\xc3\xaf"
				       "ce"));
	assert_false(k6_tokens_user_ok("*"));
	assert_false(k6_tokens_user_ok(""));
	assert_false(k6_tokens_user_ok("al ice"));
}

static void test_drop_lines(void **state)
{
	static const char text[] = "# head\nalice a\nbob b\nalice c";
	static const unsigned drop[] = { 2, 4 };
	static const unsigned none[] = { 9 };
	char *out = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(k6_tokens_drop_lines(text, strlen(text), drop, 2, &out, &len), K6_OK);
	assert_string_equal(out, "# head\nbob b\n");
	assert_int_equal(len, strlen(out));
	free(out);
	assert_int_equal(k6_tokens_drop_lines(text, strlen(text), none, 1, &out, &len), K6_OK);
	assert_string_equal(out, text);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_sixteen_lines_per_account),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_lines_made_elsewhere),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_which_hashes_are_hashed_against),
		cmocka_unit_test(test_match_passes_over_what_is_not_hashed),
		cmocka_unit_test(test_comment_split),
		cmocka_unit_test(test_comment_and_user_rules),
		cmocka_unit_test(test_drop_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
