/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_file.h"
#include "log_escape.h"

/* Refuse what is not a regular file owned by owner and writable by it alone. */
static bool file_is_trusted(const struct stat *st, uid_t owner, const char **why)
{
	if (!S_ISREG(st->st_mode))
		*why = "is not a regular file";
	else if (st->st_uid != owner)
		*why = "is not owned by root";
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		*why = "is writable by group or others";
	else if (st->st_size > (off_t)K6_FILE_MAX)
		*why = "is larger than 64 KiB";
	else
		return true;
	return false;
}

static bool folder_is_trusted(const struct stat *st, uid_t owner, const char **why)
{
	if (!S_ISDIR(st->st_mode))
		*why = "is not a folder";
	else if (st->st_uid != owner)
		*why = "is not owned by root";
	else if (st->st_mode & S_IWOTH)
		*why = "is writable by others";
	else
		return true;
	return false;
}

enum k6_status k6_read_trusted_file(const char *path, uid_t owner, char **data, size_t *len,
				    bool *missing, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char shown[256];
	char *folder = NULL;
	char *buf = NULL;
	const char *why = NULL;
	struct stat st;
	size_t got = 0;
	int dfd = -1;
	int fd = -1;
	enum k6_status status = K6_CONFIG;

	*data = NULL;
	*len = 0;
	*missing = false;
	k6_escape_str(shown, sizeof(shown), path, false);
	if (path[0] != '/' || slash == NULL || slash[1] == '\0') {
		snprintf(err, errlen, "%s: not an absolute file name", shown);
		return K6_CONFIG;
	}
	folder = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (folder == NULL)
		return K6_NOMEM;

	/* Open the folder, check it, and open the file inside that very folder. */
	dfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		*missing = errno == ENOENT;
		snprintf(err, errlen, "%s: cannot open its folder: %s", shown, strerror(errno));
		goto out;
	}
	if (fstat(dfd, &st) != 0 || !folder_is_trusted(&st, owner, &why)) {
		snprintf(err, errlen, "%s: its folder %s", shown,
			 why != NULL ? why : strerror(errno));
		goto out;
	}
	fd = openat(dfd, slash + 1, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		*missing = errno == ENOENT;
		snprintf(err, errlen, "%s: %s", shown,
			 errno == ELOOP ? "is a symbolic link" : strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !file_is_trusted(&st, owner, &why)) {
		snprintf(err, errlen, "%s %s", shown, why != NULL ? why : strerror(errno));
		goto out;
	}

	buf = malloc(K6_FILE_MAX + 1);
	if (buf == NULL) {
		status = K6_NOMEM;
		goto out;
	}
	/* The size was checked, but the file may grow while it is read. */
	for (;;) {
		ssize_t n = read(fd, buf + got, K6_FILE_MAX + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", shown, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > K6_FILE_MAX) {
			snprintf(err, errlen, "%s is larger than 64 KiB", shown);
			goto out;
		}
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	buf = NULL;
	status = K6_OK;
out:
	free(buf);
	free(folder);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	return status;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim blanks at both ends of s[0..*n) in place; return the new start. */
static char *trim(char *s, size_t *n)
{
	while (*n > 0 && is_blank(*s)) {
		s++;
		(*n)--;
	}
	while (*n > 0 && is_blank(s[*n - 1]))
		(*n)--;
	return s;
}

int k6_next_line(const char *shown, const char *text, size_t len, size_t *pos, unsigned *line,
		 char *buf, char *err, size_t errlen)
{
	const char *start = text + *pos;
	const char *nl;
	size_t n;

	if (*pos >= len)
		return 0;
	nl = memchr(start, '\n', len - *pos);
	n = nl != NULL ? (size_t)(nl - start) : len - *pos;
	(*line)++;
	if (n > K6_LINE_MAX || memchr(start, '\0', n) != NULL) {
		snprintf(err, errlen, "%s:%u: line %s", shown, *line,
			 n > K6_LINE_MAX ? "longer than 1024 bytes" : "holds a NUL byte");
		return -1;
	}
	memcpy(buf, start, n);
	buf[n] = '\0';
	*pos += n + (nl != NULL ? 1 : 0);
	return 1;
}

enum k6_status k6_config_apply(struct k6_options *o, const char *path, const char *text, size_t len,
			       char *err, size_t errlen)
{
	char shown[256];
	char item[K6_LINE_MAX + 1];
	char why[256];
	size_t pos = 0;
	unsigned line = 0;
	int more;

	k6_escape_str(shown, sizeof(shown), path, false);
	k6_options_new_source(o);
	while ((more = k6_next_line(shown, text, len, &pos, &line, item, err, errlen)) > 0) {
		size_t n = strlen(item);
		char *key;
		char *eq;
		size_t klen;
		enum k6_status st;

		if (n > 0 && item[n - 1] == '\r')
			n--;
		key = trim(item, &n);
		if (n == 0 || key[0] == '#')
			continue;
		key[n] = '\0';

		/* "key = value" becomes the argument "key=value"; a flag stays a word. */
		eq = strchr(key, '=');
		klen = eq != NULL ? (size_t)(eq - key) : n;
		trim(key, &klen);
		if (eq != NULL) {
			size_t vlen = n - (size_t)(eq + 1 - key);
			char *value = trim(eq + 1, &vlen);

			if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
				value++;
				vlen -= 2;
			}
			memmove(key + klen + 1, value, vlen);
			key[klen] = '=';
			key[klen + 1 + vlen] = '\0';
		} else {
			key[klen] = '\0';
		}
		if (klen == 4 && strncmp(key, "conf", 4) == 0) {
			snprintf(err, errlen, "%s:%u: option 'conf' can only be a module argument",
				 shown, line);
			return K6_CONFIG;
		}
		st = k6_options_set(o, key, why, sizeof(why));
		if (st != K6_OK) {
			snprintf(err, errlen, "%s:%u: %s", shown, line, why);
			return st;
		}
	}
	return more < 0 ? K6_CONFIG : K6_OK;
}

enum k6_status k6_config_load(struct k6_options *o, int argc, const char **argv, uid_t owner,
			      char *err, size_t errlen)
{
	const char *path = K6_DEFAULT_CONF;
	bool named = false;
	bool missing = false;
	char *text = NULL;
	size_t len = 0;
	int i;

	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0 && !named) {
			path = argv[i] + 5;
			named = true;
		}
	}
	if (!named || path[0] != '\0') {
		enum k6_status st =
			k6_read_trusted_file(path, owner, &text, &len, &missing, err, errlen);
		/* Only the default file may be absent. */
		if (st == K6_CONFIG && missing && !named)
			st = K6_OK;
		else if (st == K6_OK)
			st = k6_config_apply(o, path, text, len, err, errlen);
		free(text);
		if (st != K6_OK)
			return st;
	}
	return k6_options_from_args(o, argc, argv, err, errlen);
}
