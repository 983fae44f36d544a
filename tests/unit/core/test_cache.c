/* SPDX-License-Identifier: MIT */
/* The cache store: record names, the host secret, strict records. */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/cache.h"
#include "core/late.h"

static char dir[] = "/tmp/pam_k6-cache-unit.XXXXXX";
static char store[600];

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(store, sizeof(store), "%s/store", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[700];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void open_store(struct k6_cache *c)
{
	if (geteuid() != 0)
		skip(); /* the store must be root's */
	k6_cache_open(c, store);
	assert_int_equal(c->dir_fd >= 0, 1);
	assert_true(c->writable);
}

/* The record name of a token on a stack and an API, as logins name them. */
static void name_of(const struct k6_cache *c, const char *token, const char *stack, const char *api,
		    struct k6_cache_name *name)
{
	const char *fields[] = { stack, api };

	k6_cache_name(c, token, fields, 2, name);
}

static void test_names_separate_every_field(void **state)
{
	struct k6_cache c;
	struct k6_cache_name a, b;

	(void)state;
	open_store(&c);
	name_of(&c, "tokentokentoken1", "https://a.grafana.net", "https://api.k6.io", &a);
	assert_int_equal(strlen(a.hex), 64);
	name_of(&c, "tokentokentoken1", "https://a.grafana.net", "https://api.k6.io", &b);
	assert_string_equal(a.hex, b.hex);
	name_of(&c, "tokentokentoken2", "https://a.grafana.net", "https://api.k6.io", &b);
	assert_string_not_equal(a.hex, b.hex);
	name_of(&c, "tokentokentoken1", "https://b.grafana.net", "https://api.k6.io", &b);
	assert_string_not_equal(a.hex, b.hex);
	name_of(&c, "tokentokentoken1", "https://a.grafana.net", "https://api2.k6.io", &b);
	assert_string_not_equal(a.hex, b.hex);
	/* Moving bytes from one field to the next is another name. */
	name_of(&c, "tokentokentoken1h", "ttps://a.grafana.net", "https://api.k6.io", &b);
	assert_string_not_equal(a.hex, b.hex);
	k6_cache_close(&c);
}

/* The host secret is in every name: another key, another name for everything. */
static void test_names_depend_on_the_key(void **state)
{
	struct k6_cache one, same, other, flipped;
	struct k6_cache_name a, b;

	(void)state;
	memset(&one, 0, sizeof(one));
	one.dir_fd = -1;
	one.hash = &k6_hash_part;
	memset(one.key, 0x5a, sizeof(one.key));
	same = one;
	other = one;
	memset(other.key, 0xa5, sizeof(other.key));
	flipped = one;
	flipped.key[31] ^= 0x01;

	name_of(&one, "tokentokentoken1", "https://a.grafana.net", "https://api.k6.io", &a);
	assert_int_equal(strlen(a.hex), 64);
	name_of(&same, "tokentokentoken1", "https://a.grafana.net", "https://api.k6.io", &b);
	assert_string_equal(a.hex, b.hex);
	name_of(&other, "tokentokentoken1", "https://a.grafana.net", "https://api.k6.io", &b);
	assert_int_equal(strlen(b.hex), 64);
	assert_string_not_equal(a.hex, b.hex);
	name_of(&flipped, "tokentokentoken1", "https://a.grafana.net", "https://api.k6.io", &b);
	assert_string_not_equal(a.hex, b.hex);
}

static void test_one_host_secret_for_racing_processes(void **state)
{
	struct k6_cache c;
	struct k6_cache_name mine, theirs;
	char key_path[700];
	struct stat st;
	int i;

	(void)state;
	if (geteuid() != 0)
		skip();
	/* Eight processes open a new store at once; one secret comes out. */
	rmdir(store);
	for (i = 0; i < 8; i++) {
		if (fork() == 0) {
			struct k6_cache child;
			struct k6_cache_name id;
			char out[700];
			FILE *f;

			k6_cache_open(&child, store);
			name_of(&child, "tokentokentoken1", "s", "a", &id);
			snprintf(out, sizeof(out), "%s/id-%d", dir, i);
			f = fopen(out, "w");
			fputs(id.hex, f);
			fclose(f);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	open_store(&c);
	name_of(&c, "tokentokentoken1", "s", "a", &mine);
	for (i = 0; i < 8; i++) {
		char path[700];
		FILE *f;

		snprintf(path, sizeof(path), "%s/id-%d", dir, i);
		f = fopen(path, "r");
		assert_non_null(f);
		assert_non_null(fgets(theirs.hex, sizeof(theirs.hex), f));
		fclose(f);
		assert_string_equal(theirs.hex, mine.hex);
	}
	snprintf(key_path, sizeof(key_path), "%s/key", store);
	assert_int_equal(stat(key_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	assert_int_equal(st.st_size, 32);
	k6_cache_close(&c);
}

static void write_record(const struct k6_cache_name *id, const char *text)
{
	char path[700];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", store, id->hex);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void test_records(void **state)
{
	struct k6_auth_result r = { 12345, 67890 };
	struct k6_cache_record rec;
	struct k6_cache c;
	struct k6_cache_name id;
	const char *problem;
	char text[300];
	long now = (long)time(NULL);

	(void)state;
	open_store(&c);
	name_of(&c, "tokentokentoken9", "s", "a", &id);
	assert_false(k6_cache_get(&c, &id, 60, &rec, &problem));
	assert_null(problem);
	assert_true(k6_cache_put(&c, &id, &r, "s", 60));
	assert_true(k6_cache_get(&c, &id, 60, &rec, &problem));
	assert_true(rec.result.stack_id == 12345 && rec.result.default_project_id == 67890);
	/* A window of zero seconds never hits. */
	assert_false(k6_cache_get(&c, &id, 0, &rec, &problem));

	/* Written an hour ago: too old for a minute, fine for two hours. */
	snprintf(text, sizeof(text),
		 "pam_k6 cache 2\ncreated %ld\nexpires %ld\nstack s\nstack_id 5\nproject_id 6\n",
		 now - 3600, now + 3600);
	write_record(&id, text);
	assert_false(k6_cache_get(&c, &id, 60, &rec, &problem));
	assert_null(problem);
	assert_true(k6_cache_get(&c, &id, 7200, &rec, &problem));
	assert_true(rec.result.stack_id == 5);

	/* Past its own expiry, whatever the caller's window. */
	snprintf(text, sizeof(text),
		 "pam_k6 cache 2\ncreated %ld\nexpires %ld\nstack s\nstack_id 5\nproject_id 6\n",
		 now - 100, now - 10);
	write_record(&id, text);
	assert_false(k6_cache_get(&c, &id, 7200, &rec, &problem));

	/* From the future, or not exactly what pam_k6 writes: not trusted. */
	snprintf(text, sizeof(text),
		 "pam_k6 cache 2\ncreated %ld\nexpires %ld\nstack s\nstack_id 5\nproject_id 6\n",
		 now + 600, now + 3600);
	write_record(&id, text);
	assert_false(k6_cache_get(&c, &id, 7200, &rec, &problem));
	assert_string_equal(problem, "was written in the future");
	snprintf(text, sizeof(text),
		 "pam_k6 cache 2\ncreated %ld\nexpires %ld\nstack s\nstack_id 05\nproject_id 6\n",
		 now, now + 3600);
	write_record(&id, text);
	assert_false(k6_cache_get(&c, &id, 7200, &rec, &problem));
	assert_string_equal(problem, "is corrupt");
	snprintf(text, sizeof(text),
		 "pam_k6 cache 2\ncreated %ld\nexpires %ld\nstack s\nstack_id 0\nproject_id 6\n",
		 now, now + 3600);
	write_record(&id, text);
	assert_false(k6_cache_get(&c, &id, 7200, &rec, &problem));

	k6_cache_delete(&c, &id);
	assert_false(k6_cache_get(&c, &id, 7200, &rec, &problem));
	assert_null(problem);
	k6_cache_close(&c);
}

static void test_unsafe_folder_turns_the_cache_off(void **state)
{
	struct k6_cache c;

	(void)state;
	open_store(&c);
	k6_cache_close(&c);
	assert_int_equal(chmod(store, 0750), 0);
	k6_cache_open(&c, store);
	assert_int_equal(c.dir_fd, -1);
	assert_non_null(strstr(c.why, "not root's alone"));
	assert_int_equal(chmod(store, 0700), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_separate_every_field),
		cmocka_unit_test(test_names_depend_on_the_key),
		cmocka_unit_test(test_one_host_secret_for_racing_processes),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_unsafe_folder_turns_the_cache_off),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
