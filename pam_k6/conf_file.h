/* SPDX-License-Identifier: MIT */
/*
 * The files an administrator writes: the configuration file, with the keys
 * of the module arguments, and (read the same way) the users file.  They
 * are trusted only when root owns them and nobody else can change them.
 */
#ifndef K6_CONF_FILE_H
#define K6_CONF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "k6_status.h"
#include "options.h"

#ifndef K6_DEFAULT_CONF
#define K6_DEFAULT_CONF "/etc/security/pam_k6.conf"
#endif

/* Longest file and line read; anything longer is a configuration error. */
#define K6_FILE_MAX ((size_t)64 * 1024)
#define K6_LINE_MAX 1024

/*
 * Read the whole of path (absolute) into *data (NUL-terminated, length
 * *len), after checking on the open descriptors, not on the path, that the
 * file is a regular file and no symbolic link, that owner owns it and no
 * one else may write it, and that owner owns its folder and others may not
 * write there.  A file that does not exist sets *missing and returns
 * K6_CONFIG; every refusal explains itself in err.
 */
enum k6_status k6_read_trusted_file(const char *path, uid_t owner, char **data, size_t *len,
				    bool *missing, char *err, size_t errlen);

/*
 * The next line of text[0..len) from *pos, without its newline, into buf
 * (K6_LINE_MAX + 1 bytes), counting lines in *line.  Returns 1 with a line,
 * 0 at the end of the text, -1 for a line too long or holding a NUL byte,
 * explained in err as shown:line.
 */
int k6_next_line(const char *shown, const char *text, size_t len, size_t *pos, unsigned *line,
		 char *buf, char *err, size_t errlen);

/*
 * Apply a configuration file's text to o as one source: "key = value" or
 * "flag" lines, '#' comment lines, blank lines; a value may be put in
 * double quotes to keep spaces at its ends.  Errors name path:line.
 */
enum k6_status k6_config_apply(struct k6_options *o, const char *path, const char *text, size_t len,
			       char *err, size_t errlen);

/*
 * All of it: find conf= among the arguments (else the default file, which
 * may be missing), read and apply the file as the first source, then the
 * arguments as the second, so that arguments win, then check the result.
 * owner is who must own the file (root, but for the tests).
 */
enum k6_status k6_config_load(struct k6_options *o, int argc, const char **argv, uid_t owner,
			      char *err, size_t errlen);

#endif
