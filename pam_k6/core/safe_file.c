/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log_escape.h"
#include "core/safe_file.h"

static void not_owned(uid_t owner, char *why, size_t whylen)
{
	if (owner == 0)
		snprintf(why, whylen, "is not owned by root");
	else
		snprintf(why, whylen, "is not owned by uid %lu", (unsigned long)owner);
}

static const char *who(mode_t group_bit, mode_t other_bit, mode_t rule)
{
	if ((rule & group_bit) && (rule & other_bit))
		return "group or others";
	return (rule & group_bit) ? "its group" : "others";
}

/* Say which rule the mode breaks, in the rule's own words. */
static void forbidden_mode(mode_t mode, mode_t rule, char *why, size_t whylen)
{
	mode_t bad = mode & rule;

	if (bad & (S_IWGRP | S_IWOTH))
		snprintf(why, whylen, "is writable by %s", who(S_IWGRP, S_IWOTH, rule));
	else if (bad & (S_IRGRP | S_IROTH))
		snprintf(why, whylen, "is readable by %s", who(S_IRGRP, S_IROTH, rule));
	else
		snprintf(why, whylen, "has mode %04o", (unsigned)(mode & 07777));
}

bool k6_folder_trusted(int dir_fd, const struct k6_file_rules *r, char *why, size_t whylen)
{
	struct stat st;

	if (fstat(dir_fd, &st) != 0)
		snprintf(why, whylen, "cannot be examined: %s", strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		snprintf(why, whylen, "is not a folder");
	else if (st.st_uid != r->owner)
		not_owned(r->owner, why, whylen);
	else if (st.st_mode & r->folder_forbidden)
		forbidden_mode(st.st_mode, r->folder_forbidden, why, whylen);
	else
		return true;
	return false;
}

static bool owner_allowed(uid_t uid, const struct k6_file_rules *r)
{
	return uid == 0 || uid == r->owner;
}

/*
 * A folder on the way (up) to the next one (down): may anyone but root and
 * r->owner rename or replace what it holds?  Explained in why if so.
 */
static bool folder_above_trusted(const struct stat *up, const struct stat *down,
				 const struct k6_file_rules *r, char *why, size_t whylen)
{
	if (!owner_allowed(up->st_uid, r)) {
		snprintf(why, whylen, "is owned by uid %lu", (unsigned long)up->st_uid);
		return false;
	}
	if ((up->st_mode & (S_IWGRP | S_IWOTH)) == 0)
		return true;
	if ((up->st_mode & S_ISVTX) == 0) {
		forbidden_mode(up->st_mode, S_IWGRP | S_IWOTH, why, whylen);
		return false;
	}
	/* Sticky: only root and an entry's owner may rename or remove it. */
	if (!owner_allowed(down->st_uid, r)) {
		snprintf(why, whylen,
			 "is writable by others, and what it holds on the way is owned by uid %lu",
			 (unsigned long)down->st_uid);
		return false;
	}
	return true;
}

int k6_open_folder_path(const char *path, const struct k6_file_rules *r, char **resolved, char *why,
			size_t whylen)
{
	char *real = realpath(path, NULL);
	char *walk = real != NULL ? strdup(real) : NULL;
	char *save = NULL;
	char *name;
	char rule[128];
	struct stat up;
	struct stat down;
	int fd = -1;
	int next;

	*resolved = NULL;
	if (walk == NULL) {
		snprintf(why, whylen, "the folder %s cannot be opened: %s", path, strerror(errno));
		goto fail;
	}
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &up) != 0) {
		snprintf(why, whylen, "the folder / cannot be opened: %s", strerror(errno));
		goto fail;
	}
	for (name = strtok_r(walk, "/", &save); name != NULL; name = strtok_r(NULL, "/", &save)) {
		/* real, cut before this name: the folder above it ("/" at least). */
		int above = name - walk > 1 ? (int)(name - walk) - 1 : 1;

		next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 || fstat(next, &down) != 0) {
			snprintf(why, whylen, "the folder %s cannot be opened: %s", real,
				 strerror(errno));
			if (next >= 0)
				close(next);
			goto fail;
		}
		if (!folder_above_trusted(&up, &down, r, rule, sizeof(rule))) {
			snprintf(why, whylen, "the folder %.*s %s", above, real, rule);
			close(next);
			goto fail;
		}
		close(fd);
		fd = next;
		up = down;
	}
	if (!k6_folder_trusted(fd, r, rule, sizeof(rule))) {
		snprintf(why, whylen, "the folder %s %s", real, rule);
		goto fail;
	}
	free(walk);
	*resolved = real;
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	free(walk);
	free(real);
	return -1;
}

static void too_large(const struct k6_file_rules *r, char *why, size_t whylen)
{
	if (r->max_size >= 1024 && r->max_size % 1024 == 0)
		snprintf(why, whylen, "is larger than %zu KiB", r->max_size / 1024);
	else
		snprintf(why, whylen, "is larger than %zu bytes", r->max_size);
}

enum k6_file_verdict k6_file_trusted(const struct stat *st, const struct k6_file_rules *r,
				     char *why, size_t whylen)
{
	if (!S_ISREG(st->st_mode))
		snprintf(why, whylen, "is not a regular file");
	else if (st->st_uid != r->owner)
		not_owned(r->owner, why, whylen);
	else if (st->st_mode & r->forbidden)
		forbidden_mode(st->st_mode, r->forbidden, why, whylen);
	else if (st->st_size <= (off_t)r->max_size)
		return K6_FILE_OK;
	else {
		too_large(r, why, whylen);
		return K6_FILE_TOO_LARGE;
	}
	return K6_FILE_UNTRUSTED;
}

enum k6_file_verdict k6_read_file_at(int dir_fd, const char *name, const struct k6_file_rules *r,
				     char *buf, size_t bufsize, size_t *len, char *why,
				     size_t whylen)
{
	enum k6_file_verdict v;
	struct stat st;
	size_t got = 0;
	int fd;

	*len = 0;
	if (bufsize <= r->max_size) {
		snprintf(why, whylen, "cannot be read: no room");
		return K6_FILE_ERROR;
	}
	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP) {
			snprintf(why, whylen, "is a symbolic link");
			return K6_FILE_LINK;
		}
		if (errno == ENOENT) {
			snprintf(why, whylen, "%s", strerror(errno));
			return K6_FILE_MISSING;
		}
		snprintf(why, whylen, "cannot be opened: %s", strerror(errno));
		return K6_FILE_ERROR;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, whylen, "cannot be examined: %s", strerror(errno));
		v = K6_FILE_ERROR;
		goto out;
	}
	v = k6_file_trusted(&st, r, why, whylen);
	if (v != K6_FILE_OK)
		goto out;
	/* The size was checked, but the file may grow while it is read. */
	for (;;) {
		ssize_t n = read(fd, buf + got, r->max_size + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "cannot be read: %s", strerror(errno));
			v = K6_FILE_ERROR;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > r->max_size) {
			too_large(r, why, whylen);
			v = K6_FILE_TOO_LARGE;
			goto out;
		}
	}
	buf[got] = '\0';
	*len = got;
out:
	close(fd);
	return v;
}

enum k6_status k6_read_trusted_file(const char *path, const struct k6_file_rules *r, char **data,
				    size_t *len, bool *missing, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char shown[256];
	char why[160];
	char *folder = NULL;
	char *buf = NULL;
	int dfd = -1;
	enum k6_status status = K6_CONFIG;
	enum k6_file_verdict v;

	*data = NULL;
	*len = 0;
	*missing = false;
	k6_escape_str(shown, sizeof(shown), path, false);
	if (path[0] != '/' || slash == NULL || slash[1] == '\0') {
		snprintf(err, errlen, "%s: not an absolute file name", shown);
		return K6_CONFIG;
	}
	folder = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	buf = malloc(r->max_size + 1);
	if (folder == NULL || buf == NULL) {
		status = K6_NOMEM;
		goto out;
	}
	/* Open the folder, check it, and open the file inside that very folder. */
	dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		*missing = errno == ENOENT;
		snprintf(err, errlen, "%s: cannot open its folder: %s", shown, strerror(errno));
		goto out;
	}
	if (!k6_folder_trusted(dfd, r, why, sizeof(why))) {
		snprintf(err, errlen, "%s: its folder %s", shown, why);
		goto out;
	}
	v = k6_read_file_at(dfd, slash + 1, r, buf, r->max_size + 1, len, why, sizeof(why));
	if (v != K6_FILE_OK) {
		*missing = v == K6_FILE_MISSING;
		/* "path: No such file", "path is a symbolic link" */
		snprintf(err, errlen, "%s%s %s", shown,
			 v == K6_FILE_MISSING || v == K6_FILE_LINK ? ":" : "", why);
		goto out;
	}
	*data = buf;
	buf = NULL;
	status = K6_OK;
out:
	free(buf);
	free(folder);
	if (dfd >= 0)
		close(dfd);
	return status;
}
