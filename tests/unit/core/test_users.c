/* SPDX-License-Identifier: MIT */
/* The users file: its format, and who matches which line. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/users.h"

static enum k6_status parse(const char *text, struct k6_users *u, char *err, size_t errlen)
{
	return k6_users_parse("/etc/security/pam_k6.users", text, strlen(text), u, err, errlen);
}

/* Groups of the tests: loadtest is 2000, ops is 2001; nothing else exists. */
static bool fake_lookup(const char *name, gid_t *gid)
{
	if (strcmp(name, "loadtest") == 0)
		*gid = 2000;
	else if (strcmp(name, "ops") == 0)
		*gid = 2001;
	else
		return false;
	return true;
}

static void test_parse(void **state)
{
	struct k6_users u;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("# who may log in\n"
			       "\n"
			       "alice   team-a   12345\n"
			       "  @loadtest\thttps://Team-B.Grafana.NET/x   # the load testers\n"
			       "*       grafana.example.com:8443\r\n"
			       "root    ops-stack 9223372036854775807",
			       &u, err, sizeof(err)),
			 K6_OK);
	assert_int_equal(u.n, 4);
	assert_string_equal(u.rules[0].name, "alice");
	assert_string_equal(u.rules[0].stack_url, "https://team-a.grafana.net");
	assert_true(u.rules[0].stack_id == 12345);
	assert_int_equal(u.rules[0].line, 3);
	assert_string_equal(u.rules[1].name, "@loadtest");
	assert_string_equal(u.rules[1].stack_url, "https://team-b.grafana.net");
	assert_true(u.rules[1].stack_id == 0);
	assert_string_equal(u.rules[2].stack_url, "https://grafana.example.com:8443");
	assert_true(u.rules[3].stack_id == INT64_MAX);
	k6_users_free(&u);
}

static void test_bad_lines(void **state)
{
	static const struct {
		const char *text;
		const char *err_has;
	} cases[] = {
		{ "alice\n", "pam_k6.users:1: want NAME STACK [STACK_ID], found 1 field" },
		{ "ok alpha\nalice alpha 1 2\n", "pam_k6.users:2: want NAME STACK [STACK_ID]" },
		{ "alice al_pha\n", ":1: has an invalid host name" },
		{ "alice ftp://alpha\n", ":1: has a scheme other than https or http" },
		{ "alice alpha 0\n", ":1: the stack ID must be" },
		{ "alice alpha -3\n", ":1: the stack ID must be" },
		{ "alice alpha 9223372036854775808\n", ":1: the stack ID must be" },
		{ "@ alpha\n", ":1: the first field must be a user, @group or *" },
		{ "al:ce alpha\n", ":1: the first field" },
		{ "-alice alpha\n", ":1: the first field" },
		{ "a*b alpha\n", ":1: the first field" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct k6_users u;
		char err[256] = "";

		if (parse(cases[i].text, &u, err, sizeof(err)) != K6_CONFIG ||
		    strstr(err, cases[i].err_has) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].err_has);
		assert_int_equal(u.n, 0);
	}
}

static void test_long_line(void **state)
{
	char text[2100];
	struct k6_users u;
	char err[256] = "";

	(void)state;
	memset(text, 'a', 1100);
	strcpy(text + 1100, " alpha\n");
	assert_int_equal(parse(text, &u, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, ":1: line longer than 1024 bytes"));
}

static const char *stack_of(const struct k6_users *u, const char *user, uid_t uid,
			    const gid_t *gids, size_t ngids)
{
	const struct k6_user_rule *r = k6_users_match(u, user, uid, gids, ngids, fake_lookup);

	return r != NULL ? r->stack_url : NULL;
}

static void test_match(void **state)
{
	const gid_t alice_groups[] = { 1000, 2000 };
	const gid_t bob_groups[] = { 1001 };
	const gid_t carol_groups[] = { 2001 }; /* ops as primary group */
	const gid_t root_groups[] = { 0, 2000, 2001 };
	struct k6_users u;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse("bob      bob-stack\n"
			       "@loadtest team-a\n"
			       "@ops     team-ops 77\n"
			       "@nosuchgroup nowhere\n"
			       "*        team-c\n"
			       "bob      never-reached\n",
			       &u, err, sizeof(err)),
			 K6_OK);
	/* First match wins. */
	assert_string_equal(stack_of(&u, "bob", 1001, bob_groups, 1),
			    "https://bob-stack.grafana.net");
	/* Supplementary and primary groups. */
	assert_string_equal(stack_of(&u, "alice", 1000, alice_groups, 2),
			    "https://team-a.grafana.net");
	assert_string_equal(stack_of(&u, "carol", 1002, carol_groups, 1),
			    "https://team-ops.grafana.net");
	/* Nobody else's group: the wildcard. */
	assert_string_equal(stack_of(&u, "dave", 1003, bob_groups, 1),
			    "https://team-c.grafana.net");
	/* uid 0 matches no wildcard and no group. */
	assert_null(stack_of(&u, "root", 0, root_groups, 3));
	assert_null(stack_of(&u, "toor", 0, root_groups, 3));
	k6_users_free(&u);

	/* A line naming root, or another uid 0 account, does admit it. */
	assert_int_equal(parse("*  team-c\nroot ops-stack 5\n", &u, err, sizeof(err)), K6_OK);
	assert_string_equal(stack_of(&u, "root", 0, root_groups, 3),
			    "https://ops-stack.grafana.net");
	assert_null(stack_of(&u, "toor", 0, root_groups, 3));
	k6_users_free(&u);

	/* No wildcard: an unlisted user matches nothing. */
	assert_int_equal(parse("alice team-a\n", &u, err, sizeof(err)), K6_OK);
	assert_null(stack_of(&u, "bob", 1001, bob_groups, 1));
	k6_users_free(&u);
}

/*
 * The file's own owner, checked apart from its folder's: a folder of the
 * right owner may still hold a file of someone else's.  Only root can
 * give a file away.
 */
static void test_foreign_file_in_trusted_folder(void **state)
{
	static const char text[] = "alice team-a\n";
	char dir[] = "/tmp/pam_k6-users-unit.XXXXXX";
	char path[64];
	struct k6_users u;
	char err[512] = "";
	int fd;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pam_k6.users", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);

	/* The same file, root's, loads: only its owner changes below. */
	assert_int_equal(k6_users_load(path, getuid(), &u, err, sizeof(err)), K6_OK);
	assert_int_equal(u.n, 1);
	k6_users_free(&u);

	assert_int_equal(chown(path, getuid() + 4242, getgid() + 4242), 0);
	assert_int_equal(k6_users_load(path, getuid(), &u, err, sizeof(err)), K6_CONFIG);
	assert_int_equal(u.n, 0);
	assert_non_null(strstr(err, "pam_k6.users is not owned by root"));
	assert_null(strstr(err, "its folder"));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_foreign_file_in_trusted_folder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
