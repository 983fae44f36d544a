/* SPDX-License-Identifier: MIT */
/*
 * Files pam_k6 believes: the configuration file, the users and tokens
 * files, the cache's records and key, the late parts.  A file is read only
 * through descriptors (every folder from / down to its own, then the file
 * inside that very folder, never through a symbolic link of its own) and
 * only when the descriptors show what the rules ask: folders no one else
 * may change, a regular file of the right owner, no forbidden mode bits,
 * not too large.
 */
#ifndef K6_SAFE_FILE_H
#define K6_SAFE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/k6_status.h"

/* The largest configuration, users or tokens file. */
#define K6_FILE_MAX ((size_t)64 * 1024)

struct k6_file_rules {
	uid_t owner;             /* who must own the file and its folder */
	mode_t forbidden;        /* mode bits the file must not have */
	mode_t folder_forbidden; /* mode bits its folder must not have */
	size_t max_size;         /* a larger file is refused */
};

/*
 * The administrator's files: root's, and only root may change them or
 * their folder (a group that may write the folder may delete the file,
 * and with it the pins and trust settings it holds).
 */
#define K6_ADMIN_FILE_RULES(uid)                                         \
	{                                                                \
		(uid), S_IWGRP | S_IWOTH, S_IWGRP | S_IWOTH, K6_FILE_MAX \
	}

enum k6_file_verdict {
	K6_FILE_OK,
	K6_FILE_MISSING,   /* no such file (or folder) */
	K6_FILE_LINK,      /* a symbolic link: never followed */
	K6_FILE_UNTRUSTED, /* not a regular file, another owner, a forbidden mode */
	K6_FILE_TOO_LARGE,
	K6_FILE_ERROR, /* it could not be opened or read: errno */
};

/*
 * Check an open folder against the rules' owner and folder_forbidden.
 * false with the reason in why ("is not owned by root", ...).
 */
bool k6_folder_trusted(int dir_fd, const struct k6_file_rules *r, char *why, size_t whylen);

/*
 * Open the folder at an absolute path (O_PATH, for openat and fstat) if no
 * one but root and r->owner can change what it holds, or what leads to it.
 * The path is walked from / one name at a time, on descriptors, and each
 * folder on the way must be theirs and writable by no one else, or be
 * sticky (as /tmp) and hold the next name as theirs; the folder itself
 * must pass k6_folder_trusted.  A symbolic link on the way is read only
 * when the folder that holds it passed, and the walk goes on through where
 * it leads, under the same rules: no one else can choose where a link
 * leads, nor which copy of a folder the path names.  The path walked,
 * without links, is left in *resolved (malloc'd; resolved may be NULL) for
 * whoever must name the folder again.  Returns the descriptor, or -1 with
 * a phrase naming the folder in why ("the folder /opt is writable by group
 * or others") and errno ENOENT when a name on the way is not there.
 */
int k6_open_folder_path(const char *path, const struct k6_file_rules *r, char **resolved, char *why,
			size_t whylen);

/*
 * The walk of k6_open_folder_path alone: every folder on the way, and how
 * the one above holds the folder, but not the folder's own owner and mode,
 * for a caller whose rules for it are its own (the cache's).
 */
int k6_walk_folder_path(const char *path, const struct k6_file_rules *r, char **resolved, char *why,
			size_t whylen);

/* Check what fstat said of an open file; K6_FILE_OK or why not. */
enum k6_file_verdict k6_file_trusted(const struct stat *st, const struct k6_file_rules *r,
				     char *why, size_t whylen);

/*
 * The file at an absolute path, examined but not read: its folder found
 * as k6_open_folder_path finds it, then the name inside that very folder,
 * never through a symbolic link of its own (opened O_PATH: a FIFO does not
 * block), and k6_file_trusted on what fstat says of it, left in *st.
 * K6_FILE_OK and K6_FILE_MISSING (the file, or a folder on the way, is not
 * there) leave in *resolved (malloc'd) the file's name through the folders
 * walked, without links (the path as given when a folder is missing).
 * Anything but K6_FILE_OK leaves in why a phrase to follow the file's name,
 * with its own separator: " is a symbolic link", ": the folder /opt is
 * writable by group or others", ": No such file or directory".
 */
enum k6_file_verdict k6_find_trusted_file(const char *path, const struct k6_file_rules *r,
					  struct stat *st, char **resolved, char *why,
					  size_t whylen);

/*
 * Read fd to its end into buf (at least max + 1 bytes: the text is
 * NUL-terminated), its length in *len: K6_FILE_OK, K6_FILE_TOO_LARGE once
 * more than max bytes came, or K6_FILE_ERROR, with a phrase in why.
 */
enum k6_file_verdict k6_read_fd(int fd, char *buf, size_t max, size_t *len, char *why,
				size_t whylen);

/*
 * Read the file name in the folder dir_fd whole into buf (bufsize bytes,
 * at least r->max_size + 1: the text is NUL-terminated), its length in
 * *len.  Anything but K6_FILE_OK explains itself in why, as a phrase that
 * follows the file's name ("is a symbolic link").
 */
enum k6_file_verdict k6_read_file_at(int dir_fd, const char *name, const struct k6_file_rules *r,
				     char *buf, size_t bufsize, size_t *len, char *why,
				     size_t whylen);

/*
 * Read the whole of path (absolute) into *data (malloc'd, NUL-terminated,
 * length *len) after checking the folders that lead to it
 * (k6_open_folder_path) and the file against the rules.
 * A file or folder that does not exist sets *missing.  Returns K6_OK,
 * K6_CONFIG with "path: reason" in err, or K6_NOMEM.
 */
enum k6_status k6_read_trusted_file(const char *path, const struct k6_file_rules *r, char **data,
				    size_t *len, bool *missing, char *err, size_t errlen);

#endif
