/* SPDX-License-Identifier: MIT */
/*
 * Changing the tokens file, for pam_k6ctl (the module never writes it).
 * One change at a time, under an exclusive lock on FILE.lock beside it:
 * the file is read whole under the lock, its new text is written to a new
 * file beside it (O_EXCL), flushed to disk and renamed over it, with the
 * owner and mode the file had.  A reader sees the old file or the new one,
 * never half of either.  The folder and the file must pass the rules the
 * module reads them by (safe_file.h).
 */
#ifndef K6_TOKENS_EDIT_H
#define K6_TOKENS_EDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "base/k6_status.h"

struct k6_tokens_edit {
	int dir_fd;  /* the file's folder */
	int lock_fd; /* FILE.lock, locked */
	char *path;  /* as given, escaped for messages */
	char *name;  /* the file's name in its folder */
	char *text;  /* what the file holds; "" when it does not exist yet */
	size_t len;
	bool exists;
	struct stat st; /* the file's, when it exists: its owner and mode are kept */
};

/*
 * Lock the file at path (absolute) and read it.  A missing file is an
 * error unless create is set.  K6_OK, or K6_CONFIG/K6_SYSTEM/K6_NOMEM with
 * err naming the file; k6_tokens_edit_end in every case.
 */
enum k6_status k6_tokens_edit_begin(struct k6_tokens_edit *e, const char *path, bool create,
				    char *err, size_t errlen);

/*
 * Put text[0..len) in the file's place; the lock stays held.  The text is
 * parsed whole first (tokens.h): one the parser refuses is not written
 * (K6_CONFIG, err naming the line).
 */
enum k6_status k6_tokens_edit_commit(struct k6_tokens_edit *e, const char *text, size_t len,
				     char *err, size_t errlen);

/* Let go of the lock and everything begin took. */
void k6_tokens_edit_end(struct k6_tokens_edit *e);

#endif
