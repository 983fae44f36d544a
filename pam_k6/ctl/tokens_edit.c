/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log_escape.h"
#include "core/safe_file.h"
#include "core/tokens.h"
#include "ctl/tokens_edit.h"

/* A new file that has never been a tokens file: root's, readable by all, as the others. */
#define NEW_FILE_MODE 0644

/* "FILE: what: reason" */
static void fail(const struct k6_tokens_edit *e, char *err, size_t errlen, const char *what,
		 int errnum)
{
	snprintf(err, errlen, "%s: %s: %s", e->path, what, strerror(errnum));
}

/* "FILE is a symbolic link": safe_file.h's phrases follow the name. */
static void refuse(const struct k6_tokens_edit *e, char *err, size_t errlen, const char *phrase)
{
	snprintf(err, errlen, "%s %s", e->path, phrase);
}

/* FILE.lock or FILE.new, beside the file. */
static char *beside(const char *name, const char *suffix)
{
	size_t len = strlen(name) + strlen(suffix) + 1;
	char *s = malloc(len);

	if (s != NULL)
		snprintf(s, len, "%s%s", name, suffix);
	return s;
}

static enum k6_status take_lock(struct k6_tokens_edit *e, char *err, size_t errlen)
{
	char *lock = beside(e->name, ".lock");
	struct stat st;

	if (lock == NULL)
		return K6_NOMEM;
	e->lock_fd = openat(e->dir_fd, lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	free(lock);
	if (e->lock_fd < 0) {
		fail(e, err, errlen, "cannot open its lock file", errno);
		return K6_SYSTEM;
	}
	if (fstat(e->lock_fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != 0) {
		refuse(e, err, errlen, "has a lock file that is not a file of root's");
		return K6_CONFIG;
	}
	while (flock(e->lock_fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			fail(e, err, errlen, "cannot lock its lock file", errno);
			return K6_SYSTEM;
		}
	}
	return K6_OK;
}

static enum k6_status read_locked(struct k6_tokens_edit *e, bool create, char *err, size_t errlen)
{
	const struct k6_file_rules rules = K6_ADMIN_FILE_RULES(0);
	char why[160];
	enum k6_file_verdict v;

	e->text = malloc(rules.max_size + 1);
	if (e->text == NULL)
		return K6_NOMEM;
	v = k6_read_file_at(e->dir_fd, e->name, &rules, e->text, rules.max_size + 1, &e->len, why,
			    sizeof(why));
	if (v == K6_FILE_MISSING && create) {
		e->text[0] = '\0';
		e->len = 0;
		return K6_OK;
	}
	if (v == K6_FILE_MISSING) {
		snprintf(err, errlen, "%s: %s", e->path, why);
		return K6_CONFIG;
	}
	if (v != K6_FILE_OK) {
		refuse(e, err, errlen, why);
		return v == K6_FILE_ERROR ? K6_SYSTEM : K6_CONFIG;
	}
	if (fstatat(e->dir_fd, e->name, &e->st, AT_SYMLINK_NOFOLLOW) != 0) {
		fail(e, err, errlen, "cannot be examined", errno);
		return K6_SYSTEM;
	}
	e->exists = true;
	return K6_OK;
}

enum k6_status k6_tokens_edit_begin(struct k6_tokens_edit *e, const char *path, bool create,
				    char *err, size_t errlen)
{
	const struct k6_file_rules rules = K6_ADMIN_FILE_RULES(0);
	const char *slash = strrchr(path, '/');
	char shown[256];
	char why[400];
	char *folder;
	int path_fd;
	enum k6_status st;

	memset(e, 0, sizeof(*e));
	e->dir_fd = -1;
	e->lock_fd = -1;
	k6_escape_str(shown, sizeof(shown), path, false);
	e->path = strdup(shown);
	if (e->path == NULL)
		return K6_NOMEM;
	if (path[0] != '/' || slash == NULL || slash[1] == '\0') {
		refuse(e, err, errlen, "is not an absolute file name");
		return K6_CONFIG;
	}
	folder = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	e->name = strdup(slash + 1);
	if (folder == NULL || e->name == NULL) {
		free(folder);
		return K6_NOMEM;
	}
	/* As the module finds it: through folders no one else may change. */
	path_fd = k6_open_folder_path(folder, &rules, NULL, why, sizeof(why));
	free(folder);
	if (path_fd < 0) {
		snprintf(err, errlen, "%s: %s", e->path, why);
		return K6_CONFIG;
	}
	/* That very folder, opened for reading: fsync wants more than O_PATH. */
	e->dir_fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(path_fd);
	if (e->dir_fd < 0) {
		fail(e, err, errlen, "cannot open its folder", errno);
		return K6_CONFIG;
	}
	st = take_lock(e, err, errlen);
	if (st == K6_OK)
		st = read_locked(e, create, err, errlen);
	return st;
}

static bool write_all(int fd, const char *text, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		done += (size_t)n;
	}
	return true;
}

/* Write the new file, whole and on disk, with the old one's owner and mode; NULL or what failed. */
static const char *write_new(int fd, const struct k6_tokens_edit *e, const char *text, size_t len)
{
	gid_t group = e->exists ? e->st.st_gid : 0;
	mode_t mode = e->exists ? e->st.st_mode & 07777 : NEW_FILE_MODE;

	if (fchown(fd, 0, group) != 0 || fchmod(fd, mode) != 0)
		return "cannot give the new file the owner and mode of the old";
	if (!write_all(fd, text, len))
		return "cannot write the new file";
	if (fsync(fd) != 0)
		return "cannot flush the new file to disk";
	return NULL;
}

/*
 * The new text, parsed whole as the module will read it: a line the parser
 * refuses would make every line of the file unusable.
 */
static enum k6_status parses(const struct k6_tokens_edit *e, const char *text, size_t len,
			     char *err, size_t errlen)
{
	struct k6_tokens t;
	char why[600];
	enum k6_status st = k6_tokens_parse(e->path, text, len, &t, why, sizeof(why));

	k6_tokens_free(&t);
	if (st == K6_CONFIG)
		snprintf(err, errlen, "%s: not changed: the new text would be refused: %s", e->path,
			 why);
	return st;
}

enum k6_status k6_tokens_edit_commit(struct k6_tokens_edit *e, const char *text, size_t len,
				     char *err, size_t errlen)
{
	char *tmp;
	const char *what;
	int fd;
	enum k6_status st = parses(e, text, len, err, errlen);

	if (st != K6_OK)
		return st;
	tmp = beside(e->name, ".new");
	if (tmp == NULL)
		return K6_NOMEM;
	/* Under the lock, a FILE.new left behind can only be a run that died. */
	unlinkat(e->dir_fd, tmp, 0);
	fd = openat(e->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fail(e, err, errlen, "cannot create the new file beside it", errno);
		free(tmp);
		return K6_SYSTEM;
	}
	what = write_new(fd, e, text, len);
	if (close(fd) != 0 && what == NULL)
		what = "cannot write the new file";
	if (what == NULL && renameat(e->dir_fd, tmp, e->dir_fd, e->name) != 0)
		what = "cannot put the new file in its place";
	if (what != NULL) {
		int saved = errno;

		unlinkat(e->dir_fd, tmp, 0);
		fail(e, err, errlen, what, saved);
		free(tmp);
		return K6_SYSTEM;
	}
	/* The rename itself must reach the disk too. */
	fsync(e->dir_fd);
	free(tmp);
	return K6_OK;
}

void k6_tokens_edit_end(struct k6_tokens_edit *e)
{
	if (e->lock_fd >= 0)
		close(e->lock_fd); /* and with it the lock */
	if (e->dir_fd >= 0)
		close(e->dir_fd);
	free(e->path);
	free(e->name);
	free(e->text);
	memset(e, 0, sizeof(*e));
	e->dir_fd = -1;
	e->lock_fd = -1;
}
