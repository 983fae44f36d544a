/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* Links one walk follows at most, as the kernel's own limit. */
#define LINKS_MAX 40

/* A walk from / down a path, one name at a time; see k6_open_folder_path. */
struct walk {
	const struct k6_file_rules *r;
	int fd;         /* the folder reached, O_PATH */
	struct stat up; /* what fstat says of it */
	char *at;       /* its path from /, without links */
	char *todo;     /* what is left to walk: names between slashes */
	unsigned links;
};

/* Back to /: the start, and where an absolute link leads. */
static bool walk_root(struct walk *w)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &w->up) != 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = fd;
	w->at[0] = '/';
	w->at[1] = '\0';
	return true;
}

/* w->at followed by name, for messages and for the resolved path. */
static bool walk_down_name(struct walk *w, const char *name)
{
	size_t len = strlen(w->at);
	char *grown = realloc(w->at, len + strlen(name) + 2);

	if (grown == NULL)
		return false;
	w->at = grown;
	snprintf(grown + len, strlen(name) + 2, "%s%s", len > 1 ? "/" : "", name);
	return true;
}

/* "..": the folder above, which the walk came through. */
static bool walk_up(struct walk *w)
{
	char *slash = strrchr(w->at, '/');
	int fd;

	if (w->at[1] == '\0')
		return true; /* "/.." is "/" */
	fd = openat(w->fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &w->up) != 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(w->fd);
	w->fd = fd;
	slash[slash == w->at ? 1 : 0] = '\0';
	return true;
}

/* The link's text in front of what is left: the walk goes on from there. */
static bool walk_link(struct walk *w, int link_fd)
{
	char target[4096];
	ssize_t n = readlinkat(link_fd, "", target, sizeof(target));
	size_t len;
	char *todo;

	if (n <= 0 || (size_t)n >= sizeof(target)) {
		errno = n < 0 ? errno : ENAMETOOLONG;
		return false;
	}
	if (++w->links > LINKS_MAX) {
		errno = ELOOP;
		return false;
	}
	target[n] = '\0';
	len = (size_t)n + strlen(w->todo) + 2;
	todo = malloc(len);
	if (todo == NULL)
		return false;
	snprintf(todo, len, "%s/%s", target, w->todo);
	free(w->todo);
	w->todo = todo;
	return target[0] != '/' || walk_root(w);
}

/*
 * One name of the path: the folder it names becomes the one reached, or a
 * link is read into what is left.  Only when the folder reached may hold
 * it on others' terms (folder_above_trusted) does it go on.  -1 with why
 * set and errno (ENOENT: it is not there) when it cannot.
 */
static int walk_step(struct walk *w, const char *name, char *why, size_t whylen)
{
	char rule[128];
	struct stat down;
	int next;

	if (strcmp(name, "..") == 0)
		return walk_up(w) ? 0 : -1;
	next = openat(w->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (next < 0 || fstat(next, &down) != 0) {
		int saved = errno;

		if (next >= 0)
			close(next);
		errno = saved;
		return -1;
	}
	if (!folder_above_trusted(&w->up, &down, w->r, rule, sizeof(rule))) {
		snprintf(why, whylen, "the folder %s %s", w->at, rule);
		close(next);
		errno = EPERM;
		return -1;
	}
	if (S_ISLNK(down.st_mode)) {
		bool ok = walk_link(w, next);

		close(next);
		return ok ? 0 : -1;
	}
	if (!S_ISDIR(down.st_mode) || !walk_down_name(w, name)) {
		close(next);
		errno = S_ISDIR(down.st_mode) ? ENOMEM : ENOTDIR;
		return -1;
	}
	close(w->fd);
	w->fd = next;
	w->up = down;
	return 0;
}

/*
 * The first name of w->todo into name (NAME_MAX + 1 bytes), taken off it:
 * 1, or 0 at the end, or -1 for a name too long.
 */
static int next_name(struct walk *w, char *name)
{
	size_t skip = strspn(w->todo, "/");
	size_t len = strcspn(w->todo + skip, "/");

	if (len == 0)
		return 0;
	if (len > NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, w->todo + skip, len);
	name[len] = '\0';
	memmove(w->todo, w->todo + skip + len, strlen(w->todo + skip + len) + 1);
	return 1;
}

int k6_walk_folder_path(const char *path, const struct k6_file_rules *r, char **resolved, char *why,
			size_t whylen)
{
	struct walk w = { r, -1, { 0 }, malloc(2), NULL, 0 };
	char name[NAME_MAX + 1];
	int more;
	int saved;

	if (resolved != NULL)
		*resolved = NULL;
	why[0] = '\0';
	w.todo = strdup(path);
	if (w.at == NULL || w.todo == NULL || path[0] != '/' || !walk_root(&w)) {
		errno = path[0] != '/' ? EINVAL : errno;
		goto fail;
	}
	/* Each name in turn; a link puts its text in front of what is left. */
	while ((more = next_name(&w, name)) > 0) {
		if (strcmp(name, ".") != 0 && walk_step(&w, name, why, whylen) != 0)
			goto fail;
	}
	if (more < 0)
		goto fail;
	if (!S_ISDIR(w.up.st_mode)) {
		errno = ENOTDIR;
		goto fail;
	}
	free(w.todo);
	if (resolved != NULL)
		*resolved = w.at;
	else
		free(w.at);
	return w.fd;
fail:
	saved = errno;
	if (why[0] == '\0')
		snprintf(why, whylen, "the folder %s cannot be opened: %s", path, strerror(saved));
	if (w.fd >= 0)
		close(w.fd);
	free(w.at);
	free(w.todo);
	errno = saved;
	return -1;
}

int k6_open_folder_path(const char *path, const struct k6_file_rules *r, char **resolved, char *why,
			size_t whylen)
{
	char *at = NULL;
	char rule[128];
	int fd = k6_walk_folder_path(path, r, &at, why, whylen);

	if (fd >= 0 && !k6_folder_trusted(fd, r, rule, sizeof(rule))) {
		snprintf(why, whylen, "the folder %s %s", at, rule);
		close(fd);
		free(at);
		errno = EPERM;
		return -1;
	}
	if (resolved != NULL)
		*resolved = at;
	else
		free(at);
	return fd;
}

static void too_large(size_t max, char *why, size_t whylen)
{
	if (max >= 1024 && max % 1024 == 0)
		snprintf(why, whylen, "is larger than %zu KiB", max / 1024);
	else
		snprintf(why, whylen, "is larger than %zu bytes", max);
}

enum k6_file_verdict k6_read_fd(int fd, char *buf, size_t max, size_t *len, char *why,
				size_t whylen)
{
	size_t got = 0;

	*len = 0;
	for (;;) {
		ssize_t n = read(fd, buf + got, max + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, whylen, "cannot be read: %s", strerror(errno));
			return K6_FILE_ERROR;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			too_large(max, why, whylen);
			return K6_FILE_TOO_LARGE;
		}
	}
	buf[got] = '\0';
	*len = got;
	return K6_FILE_OK;
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
		too_large(r->max_size, why, whylen);
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
	/* The size was checked, but the file may grow while it is read. */
	v = k6_file_trusted(&st, r, why, whylen);
	if (v == K6_FILE_OK)
		v = k6_read_fd(fd, buf, r->max_size, len, why, whylen);
out:
	close(fd);
	return v;
}

/*
 * The folder of an absolute file name (malloc'd), and in *name the file's
 * name inside it.  NULL with errno EINVAL when path names no file in a
 * folder, ENOMEM when out of memory.
 */
static char *folder_of(const char *path, const char **name)
{
	const char *slash = strrchr(path, '/');
	char *folder;

	if (path[0] != '/' || slash == NULL || slash[1] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	folder = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	*name = slash + 1;
	return folder;
}

enum k6_file_verdict k6_find_trusted_file(const char *path, const struct k6_file_rules *r,
					  struct stat *st, char **resolved, char *why,
					  size_t whylen)
{
	const char *name = NULL;
	char *folder = folder_of(path, &name);
	char *real = NULL;
	char rule[400];
	enum k6_file_verdict v = K6_FILE_ERROR;
	int dfd = -1;
	int fd = -1;

	*resolved = NULL;
	if (folder == NULL) {
		snprintf(why, whylen, "%s",
			 errno == ENOMEM ? ": out of memory" : " is not an absolute file name");
		return K6_FILE_ERROR;
	}
	dfd = k6_open_folder_path(folder, r, &real, rule, sizeof(rule));
	if (dfd < 0 && errno == ENOENT) {
		/* No folder, no file: which file it is not, is told by its name. */
		*resolved = strdup(path);
		snprintf(why, whylen, ": %s", rule);
		v = *resolved != NULL ? K6_FILE_MISSING : K6_FILE_ERROR;
		goto out;
	}
	if (dfd < 0) {
		snprintf(why, whylen, ": %s", rule);
		v = K6_FILE_UNTRUSTED;
		goto out;
	}
	*resolved = malloc(strlen(real) + strlen(name) + 2);
	if (*resolved == NULL) {
		snprintf(why, whylen, ": out of memory");
		goto out;
	}
	snprintf(*resolved, strlen(real) + strlen(name) + 2, "%s/%s",
		 strcmp(real, "/") != 0 ? real : "", name);
	/* O_PATH: nothing is read, and a FIFO does not block the open. */
	fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		snprintf(why, whylen, ": %s", strerror(errno));
		v = K6_FILE_MISSING;
	} else if (fd < 0 || fstat(fd, st) != 0) {
		snprintf(why, whylen, " cannot be examined: %s", strerror(errno));
	} else if (S_ISLNK(st->st_mode)) {
		snprintf(why, whylen, " is a symbolic link");
		v = K6_FILE_LINK;
	} else if ((v = k6_file_trusted(st, r, rule, sizeof(rule))) != K6_FILE_OK) {
		snprintf(why, whylen, " %s", rule);
	}
out:
	if (v != K6_FILE_OK && v != K6_FILE_MISSING) {
		free(*resolved);
		*resolved = NULL;
	}
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	free(real);
	free(folder);
	return v;
}

enum k6_status k6_read_trusted_file(const char *path, const struct k6_file_rules *r, char **data,
				    size_t *len, bool *missing, char *err, size_t errlen)
{
	const char *name = NULL;
	char shown[256];
	char why[400];
	char *folder;
	char *buf = NULL;
	int dfd = -1;
	enum k6_status status = K6_CONFIG;
	enum k6_file_verdict v;

	*data = NULL;
	*len = 0;
	*missing = false;
	k6_escape_str(shown, sizeof(shown), path, false);
	folder = folder_of(path, &name);
	if (folder == NULL && errno == EINVAL) {
		snprintf(err, errlen, "%s: not an absolute file name", shown);
		return K6_CONFIG;
	}
	buf = malloc(r->max_size + 1);
	if (folder == NULL || buf == NULL) {
		status = K6_NOMEM;
		goto out;
	}
	/*
	 * The folder, through folders no one else may change, and the file
	 * inside that very folder.
	 */
	dfd = k6_open_folder_path(folder, r, NULL, why, sizeof(why));
	if (dfd < 0) {
		*missing = errno == ENOENT;
		snprintf(err, errlen, "%s: %s", shown, why);
		goto out;
	}
	v = k6_read_file_at(dfd, name, r, buf, r->max_size + 1, len, why, sizeof(why));
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
