/* SPDX-License-Identifier: MIT */
/* The configuration file: safe opening, strict parsing, arguments win. */
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

#include "core/conf_file.h"
#include "core/line_file.h"

static char dir[] = "/tmp/pam_k6-unit.XXXXXX";

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* A path in the test folder; two calls may share one expression. */
static const char *in_dir(const char *name)
{
	static char paths[2][512];
	static int next;
	char *path = paths[next++ % 2];

	snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
	return path;
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[600];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* Load with the arguments given; the test process's uid stands in for root. */
static enum k6_status load(struct k6_options *o, const char **argv, int argc, char *err,
			   size_t errlen)
{
	assert_int_equal(k6_options_init(o), K6_OK);
	return k6_config_load(o, argc, argv, getuid(), err, errlen);
}

static void test_file_then_arguments(void **state)
{
	const char *argv[] = { NULL, "timeout=3" };
	struct k6_options o;
	char err[512] = "";
	char conf[600];

	(void)state;
	write_file("good.conf",
		   "# pam_k6 settings\n"
		   "\n"
		   "stack_url = https://Alpha.Grafana.NET/\n"
		   "  timeout=7   \n"
		   "connect_timeout = 2.5\r\n"
		   "prompt = \"k6 token: \"\n"
		   "debug\n"
		   "stack_id = 42",
		   0644);
	snprintf(conf, sizeof(conf), "conf=%s", in_dir("good.conf"));
	argv[0] = conf;
	assert_int_equal(load(&o, argv, 2, err, sizeof(err)), K6_OK);
	assert_string_equal(o.stack_url, "https://alpha.grafana.net");
	assert_int_equal(o.timeout_ms, 3000); /* the argument wins */
	assert_int_equal(o.connect_timeout_ms, 2500);
	assert_string_equal(o.prompt, "k6 token: ");
	assert_true(o.debug);
	assert_true(o.stack_id == 42);
	k6_options_free(&o);
}

static void test_comments_and_quotes(void **state)
{
	const char *argv[] = { NULL };
	struct k6_options o;
	char err[512] = "";
	char conf[600];

	(void)state;
	write_file("comments.conf",
		   "stack_url = alpha   # the team's stack\n"
		   "prompt = \"k6 #token: \"  # a quoted '#' stays\n"
		   "proxy = http://ops:pa#ss@proxy.example:3128\n"
		   "export_token = no\t# off\n"
		   "debug # on\n",
		   0644);
	snprintf(conf, sizeof(conf), "conf=%s", in_dir("comments.conf"));
	argv[0] = conf;
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_OK);
	assert_string_equal(o.stack_url, "https://alpha.grafana.net");
	assert_string_equal(o.prompt, "k6 #token: ");
	assert_string_equal(o.proxy, "http://ops:pa#ss@proxy.example:3128");
	assert_false(o.export_token);
	assert_true(o.debug);
	assert_int_equal(o.origin_line[3], 1); /* stack_url, from the file's line 1 */
	k6_options_free(&o);

	/* A '#' inside a word is part of the value, here a bad one. */
	write_file("comments.conf", "stack_url = alpha\ntimeout = 3#s\n", 0644);
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, "comments.conf:2: option 'timeout'"));
	k6_options_free(&o);
}

/* Every problem of a file is reported, each with its line. */
static void note_problem(void *ctx, const char *problem)
{
	char *all = ctx;
	size_t used = strlen(all);

	snprintf(all + used, 2048 - used, "%s\n", problem);
}

static void test_every_problem_reported(void **state)
{
	const char *argv[] = { NULL, "timeout=soon" };
	struct k6_options o;
	char all[2048] = "";
	char conf[600];

	(void)state;
	write_file("many.conf", "stack_url = alpha\nbogus = 1\ntimeout = later\ndebug = 2\n", 0644);
	snprintf(conf, sizeof(conf), "conf=%s", in_dir("many.conf"));
	argv[0] = conf;
	assert_int_equal(k6_options_init(&o), K6_OK);
	assert_int_equal(k6_config_read(&o, 2, argv, getuid(), note_problem, all), K6_CONFIG);
	assert_non_null(strstr(all, "many.conf:2: unknown option 'bogus'\n"));
	assert_non_null(strstr(all, "many.conf:3: option 'timeout'"));
	assert_non_null(strstr(all, "many.conf:4: option 'debug'"));
	assert_non_null(strstr(all, "\noption 'timeout': value"));
	k6_options_free(&o);
}

static void test_bad_files(void **state)
{
	static const struct {
		const char *text;
		const char *err_has;
	} cases[] = {
		{ "stack_url = alpha\nbogus = 1\n", "bad.conf:2: unknown option 'bogus'" },
		{ "stack_url = alpha\ntimeout = soon\n", "bad.conf:2: option 'timeout'" },
		{ "stack_url = alpha\nstack_url = beta\n",
		  "bad.conf:2: option 'stack_url' given more" },
		{ "stack_url = alpha\ndebug = maybe\n",
		  "bad.conf:2: option 'debug': value must be yes or no" },
		{ "conf = /etc/other.conf\n",
		  "bad.conf:1: option 'conf' can only be a module arg" },
		{ "stack_url =\n", "bad.conf:1: option 'stack_url' needs a value" },
		{ "= alpha\n", "bad.conf:1: unknown option" },
	};
	char conf[600];
	size_t i;

	(void)state;
	snprintf(conf, sizeof(conf), "conf=%s", in_dir("bad.conf"));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = { conf };
		struct k6_options o;
		char err[512] = "";

		write_file("bad.conf", cases[i].text, 0644);
		if (load(&o, argv, 1, err, sizeof(err)) != K6_CONFIG ||
		    strstr(err, cases[i].err_has) == NULL)
			fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].err_has);
		k6_options_free(&o);
	}
}

static void test_long_line_and_size(void **state)
{
	char *text = malloc(K6_FILE_MAX + 100);
	const char *argv[] = { NULL };
	struct k6_options o;
	char err[512] = "";
	char conf[600];

	(void)state;
	assert_non_null(text);
	snprintf(conf, sizeof(conf), "conf=%s", in_dir("long.conf"));
	argv[0] = conf;
	memset(text, '#', K6_LINE_MAX + 1);
	strcpy(text + K6_LINE_MAX + 1, "\nstack_url = alpha\n");
	write_file("long.conf", text, 0644);
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, "long.conf:1: line longer than 1024 bytes"));
	k6_options_free(&o);

	memset(text, '\n', K6_FILE_MAX + 1);
	text[K6_FILE_MAX + 1] = '\0';
	write_file("long.conf", text, 0644);
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, "larger than 64 KiB"));
	k6_options_free(&o);
	free(text);
}

static void test_unsafe_files_refused(void **state)
{
	const char *argv[] = { NULL };
	struct k6_options o;
	char err[512] = "";
	char conf[600];
	char want[700];

	(void)state;
	snprintf(conf, sizeof(conf), "conf=%s", in_dir("unsafe.conf"));
	argv[0] = conf;

	write_file("unsafe.conf", "stack_url = alpha\n", 0664);
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, "writable by group or others"));
	k6_options_free(&o);

	write_file("unsafe.conf", "stack_url = alpha\n", 0646);
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, "writable by group or others"));
	k6_options_free(&o);

	/* A symbolic link is refused even when what it points to is fine. */
	write_file("real.conf", "stack_url = alpha\n", 0644);
	unlink(in_dir("unsafe.conf"));
	assert_int_equal(symlink(in_dir("real.conf"), in_dir("unsafe.conf")), 0);
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, "is a symbolic link"));
	k6_options_free(&o);

	/* Not a regular file. */
	unlink(in_dir("unsafe.conf"));
	assert_int_equal(mkdir(in_dir("unsafe.conf"), 0755), 0);
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_CONFIG);
	k6_options_free(&o);
	rmdir(in_dir("unsafe.conf"));

	/* A folder others, or its group, may write to. */
	write_file("unsafe.conf", "stack_url = alpha\n", 0644);
	snprintf(want, sizeof(want), "unsafe.conf: the folder %s is writable by group or others",
		 dir);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, want));
	k6_options_free(&o);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, want));
	k6_options_free(&o);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_OK);
	k6_options_free(&o);
	assert_int_equal(chmod(dir, 0700), 0);

	/* Owned by someone else (here: not by the test's uid + 4242). */
	{
		const struct k6_file_rules rules = K6_ADMIN_FILE_RULES(getuid() + 4242);
		bool missing;
		char *data;
		size_t len;

		assert_int_equal(k6_read_trusted_file(in_dir("unsafe.conf"), &rules, &data, &len,
						      &missing, err, sizeof(err)),
				 K6_CONFIG);
		assert_non_null(strstr(err, "is not owned by uid"));
	}
}

/*
 * The file's own owner, checked apart from its folder's: a folder of the
 * right owner may still hold a file of someone else's.  Only root can
 * give a file away.
 */
static void test_foreign_file_in_trusted_folder(void **state)
{
	const char *argv[] = { NULL };
	struct k6_options o;
	char err[512] = "";
	char conf[600];

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(conf, sizeof(conf), "conf=%s", in_dir("foreign.conf"));
	argv[0] = conf;
	write_file("foreign.conf", "stack_url = alpha\n", 0644);
	assert_int_equal(chown(in_dir("foreign.conf"), getuid() + 4242, getgid() + 4242), 0);
	assert_int_equal(load(&o, argv, 1, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, "foreign.conf is not owned by root"));
	assert_null(strstr(err, "the folder"));
	k6_options_free(&o);
	unlink(in_dir("foreign.conf"));
}

/* Open the folder path with the administrator's rules; the reason, or "" when opened. */
static const char *open_path(const char *path, char *why, size_t whylen, char **resolved)
{
	const struct k6_file_rules rules = K6_ADMIN_FILE_RULES(getuid());
	int fd = k6_open_folder_path(path, &rules, resolved, why, whylen);

	if (fd < 0)
		return why;
	close(fd);
	return "";
}

/*
 * Every folder on the way to a trusted folder: writable by no one else, or
 * sticky and holding the next one as root's (or the owner's); links resolved
 * first, and the resolved path is what is checked.
 */
static void test_folders_above(void **state)
{
	char a[512];
	char b[512];
	char c[512];
	char want[1024];
	char why[512];
	char *real_b;
	char *resolved = NULL;

	(void)state;
	snprintf(a, sizeof(a), "%s", in_dir("above"));
	snprintf(b, sizeof(b), "%s", in_dir("above/b"));
	snprintf(c, sizeof(c), "%s", in_dir("above/b/c"));
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	assert_int_equal(mkdir(c, 0755), 0);
	real_b = realpath(b, NULL);
	assert_non_null(real_b);

	assert_string_equal(open_path(b, why, sizeof(why), &resolved), "");
	assert_string_equal(resolved, real_b);
	free(resolved);

	/* Through a link: what is checked and named is where it leads. */
	assert_int_equal(symlink(b, in_dir("link")), 0);
	assert_string_equal(open_path(in_dir("link"), why, sizeof(why), &resolved), "");
	assert_string_equal(resolved, real_b);
	free(resolved);

	/* A folder above that its group or others may write: refused, named. */
	snprintf(want, sizeof(want), "the folder %.*s is writable by group or others",
		 (int)(strrchr(real_b, '/') - real_b), real_b);
	assert_int_equal(chmod(a, 0777), 0);
	assert_string_equal(open_path(b, why, sizeof(why), &resolved), want);
	assert_null(resolved);
	assert_string_equal(open_path(c, why, sizeof(why), &resolved), want);
	assert_string_equal(open_path(in_dir("link"), why, sizeof(why), &resolved), want);
	assert_int_equal(chmod(a, 0775), 0);
	assert_string_equal(open_path(c, why, sizeof(why), &resolved), want);

	/* Sticky, as /tmp: no one else may rename what it holds. */
	assert_int_equal(chmod(a, 01777), 0);
	assert_string_equal(open_path(c, why, sizeof(why), &resolved), "");
	free(resolved);

	if (geteuid() == 0) {
		/* ...unless what it holds on the way is someone else's. */
		assert_int_equal(chown(b, 4242, 4242), 0);
		assert_non_null(strstr(open_path(c, why, sizeof(why), &resolved),
				       "is writable by others, and what it holds on the way is "
				       "owned by uid 4242"));
		assert_int_equal(chmod(a, 0755), 0);
		snprintf(want, sizeof(want), "the folder %s is owned by uid 4242", real_b);
		assert_string_equal(open_path(c, why, sizeof(why), &resolved), want);
		assert_int_equal(chown(b, 0, 0), 0);
	}
	assert_int_equal(chmod(a, 0755), 0);

	/* The folder itself keeps the rules' own check. */
	assert_int_equal(chmod(c, 0775), 0);
	assert_non_null(strstr(open_path(c, why, sizeof(why), &resolved),
			       "/c is writable by group or others"));
	assert_non_null(strstr(open_path(in_dir("nothing"), why, sizeof(why), &resolved),
			       "cannot be opened: No such file or directory"));
	assert_null(resolved);
	free(real_b);
}

/*
 * A link on the way is followed only where a folder no one else may change
 * holds it, and where it leads is walked by the same rules: whoever owns a
 * folder on the way cannot choose which root-owned folder the path names.
 */
static void test_links_on_the_way(void **state)
{
	char trusted[512];
	char foreign[512];
	char want[1024];
	char why[512];
	char *real_dir;
	char *real_trusted;
	char *resolved = NULL;

	(void)state;
	if (geteuid() != 0)
		skip(); /* a folder of another uid */
	real_dir = realpath(dir, NULL);
	assert_non_null(real_dir);
	snprintf(trusted, sizeof(trusted), "%s", in_dir("links-trusted"));
	snprintf(foreign, sizeof(foreign), "%s", in_dir("links-foreign"));
	assert_int_equal(mkdir(trusted, 0755), 0);
	assert_int_equal(mkdir(foreign, 0755), 0);
	real_trusted = realpath(trusted, NULL);
	assert_non_null(real_trusted);

	/* A link in a folder of the rules' owners: followed, and named as where it leads. */
	assert_int_equal(symlink("links-trusted", in_dir("links-here")), 0);
	assert_string_equal(open_path(in_dir("links-here"), why, sizeof(why), &resolved), "");
	assert_string_equal(resolved, real_trusted);
	free(resolved);
	/* ".." after a link is the folder above where it leads. */
	assert_int_equal(symlink("links-trusted/../links-trusted/.", in_dir("links-dots")), 0);
	assert_string_equal(open_path(in_dir("links-dots"), why, sizeof(why), &resolved), "");
	assert_string_equal(resolved, real_trusted);
	free(resolved);

	/*
	 * A link held by another uid's folder, though it leads to the trusted
	 * folder: its owner could point it at any other folder of root's.
	 */
	assert_int_equal(symlink(real_trusted, in_dir("links-foreign/to-trusted")), 0);
	assert_int_equal(chown(foreign, 4242, 4242), 0);
	snprintf(want, sizeof(want), "the folder %s/links-foreign is owned by uid 4242", real_dir);
	assert_string_equal(
		open_path(in_dir("links-foreign/to-trusted"), why, sizeof(why), &resolved), want);
	assert_null(resolved);
	/* The same, when a link of a trusted folder leads through it. */
	assert_int_equal(symlink("links-foreign/to-trusted", in_dir("links-through")), 0);
	assert_string_equal(open_path(in_dir("links-through"), why, sizeof(why), &resolved), want);
	assert_int_equal(chown(foreign, 0, 0), 0);
	assert_string_equal(open_path(in_dir("links-through"), why, sizeof(why), &resolved), "");
	free(resolved);

	/* A sticky folder: a link of another uid's in it is theirs to replace. */
	assert_int_equal(chmod(foreign, 01777), 0);
	assert_int_equal(lchown(in_dir("links-foreign/to-trusted"), 4242, 4242), 0);
	assert_non_null(strstr(open_path(in_dir("links-through"), why, sizeof(why), &resolved),
			       "is writable by others, and what it holds on the way is owned by "
			       "uid 4242"));
	assert_int_equal(lchown(in_dir("links-foreign/to-trusted"), 0, 0), 0);
	assert_string_equal(open_path(in_dir("links-through"), why, sizeof(why), &resolved), "");
	free(resolved);
	assert_int_equal(chmod(foreign, 0755), 0);

	/* Links that never end. */
	assert_int_equal(symlink("links-loop2", in_dir("links-loop1")), 0);
	assert_int_equal(symlink("links-loop1", in_dir("links-loop2")), 0);
	assert_non_null(strstr(open_path(in_dir("links-loop1"), why, sizeof(why), &resolved),
			       "Too many levels of symbolic links"));
	free(real_trusted);
	free(real_dir);
}

/* What fstat says of a file, judged without a file: any uid can run these. */
static void test_file_verdicts(void **state)
{
	static const struct {
		mode_t mode;
		uid_t uid_offset; /* from the rules' owner */
		off_t size;
		enum k6_file_verdict want;
		const char *why_has;
	} cases[] = {
		{ S_IFREG | 0644, 0, 10, K6_FILE_OK, "" },
		{ S_IFREG | 0644, 1, 10, K6_FILE_UNTRUSTED, "is not owned by uid" },
		{ S_IFREG | 0600, 4242, 0, K6_FILE_UNTRUSTED, "is not owned by uid" },
		{ S_IFREG | 0664, 0, 10, K6_FILE_UNTRUSTED, "is writable by group or others" },
		{ S_IFDIR | 0755, 0, 10, K6_FILE_UNTRUSTED, "is not a regular file" },
		{ S_IFREG | 0644, 0, (off_t)K6_FILE_MAX, K6_FILE_OK, "" },
		{ S_IFREG | 0644, 0, (off_t)K6_FILE_MAX + 1, K6_FILE_TOO_LARGE, "larger than" },
	};
	const struct k6_file_rules rules = K6_ADMIN_FILE_RULES(1000);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct stat st;
		char why[160] = "";
		enum k6_file_verdict v;

		memset(&st, 0, sizeof(st));
		st.st_mode = cases[i].mode;
		st.st_uid = rules.owner + cases[i].uid_offset;
		st.st_size = cases[i].size;
		v = k6_file_trusted(&st, &rules, why, sizeof(why));
		if (v != cases[i].want || strstr(why, cases[i].why_has) == NULL)
			fail_msg("case %zu: verdict %d (want %d), \"%s\" lacks \"%s\"", i, v,
				 cases[i].want, why, cases[i].why_has);
	}
}

static void test_missing_files(void **state)
{
	const char *named[] = { NULL, "stack_url=alpha" };
	struct k6_options o;
	char err[512] = "";
	char conf[600];

	(void)state;
	/* A file named by conf= must exist. */
	snprintf(conf, sizeof(conf), "conf=%s", in_dir("absent.conf"));
	named[0] = conf;
	assert_int_equal(load(&o, named, 2, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, "absent.conf"));
	k6_options_free(&o);
	snprintf(conf, sizeof(conf), "conf=%s/absent/dir.conf", dir);
	assert_int_equal(load(&o, named, 2, err, sizeof(err)), K6_CONFIG);
	k6_options_free(&o);
	/* Relative names are refused before anything is opened. */
	named[0] = "conf=pam_k6.conf";
	assert_int_equal(load(&o, named, 2, err, sizeof(err)), K6_CONFIG);
	k6_options_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_then_arguments),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_comments_and_quotes),
		cmocka_unit_test(test_every_problem_reported),
		cmocka_unit_test(test_long_line_and_size),
		cmocka_unit_test(test_unsafe_files_refused),
		cmocka_unit_test(test_folders_above),
		cmocka_unit_test(test_links_on_the_way),
		cmocka_unit_test(test_foreign_file_in_trusted_folder),
		cmocka_unit_test(test_file_verdicts),
		cmocka_unit_test(test_missing_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
