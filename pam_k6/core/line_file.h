/* SPDX-License-Identifier: MIT */
/*
 * The administrator's files of lines: the users file and the tokens file
 * are read by one loader, under the rules of safe_file.h, and each brings
 * only what parses one of its lines.  The configuration file shares the
 * line reader (it reports every bad line rather than the first).
 */
#ifndef K6_LINE_FILE_H
#define K6_LINE_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/k6_status.h"
#include "core/safe_file.h"

/* The longest line of any of them. */
#define K6_LINE_MAX 1024

/*
 * The next line of text[0..len) from *pos, without its newline, into buf
 * (K6_LINE_MAX + 1 bytes), counting lines in *line.  Returns 1 with a line,
 * 0 at the end of the text, -1 for a line too long or holding a NUL byte,
 * explained in err as shown:line.
 */
int k6_next_line(const char *shown, const char *text, size_t len, size_t *pos, unsigned *line,
		 char *buf, char *err, size_t errlen);

/* Takes one line (its number from 1); K6_CONFIG explained in why refuses it. */
typedef enum k6_status (*k6_line_fn)(void *ctx, char *line, unsigned number, char *why,
				     size_t whylen);

/*
 * Hand each line of the file path's text[0..len) to fn, stopping at the
 * first that fn refuses: K6_CONFIG explained in err as "path:line: why",
 * or K6_NOMEM.  A line too long or holding a NUL byte is refused here.
 */
enum k6_status k6_each_line(const char *path, const char *text, size_t len, k6_line_fn fn,
			    void *ctx, char *err, size_t errlen);

/* A format of lines: what its lines fill, and how. */
struct k6_line_format {
	size_t size;              /* the structure the lines fill (all zero: empty) */
	k6_line_fn parse;         /* one line into it */
	void (*clear)(void *out); /* free what it holds, leaving it empty */
};

/*
 * The text of path parsed into out: emptied first, and left empty when a
 * line is refused (err names path:line).
 */
enum k6_status k6_line_file_parse(const struct k6_line_format *f, const char *path,
				  const char *text, size_t len, void *out, char *err,
				  size_t errlen);

/*
 * The file at path, read under K6_ADMIN_FILE_RULES(owner), parsed into out
 * as k6_line_file_parse does; out is empty after any failure.
 */
enum k6_status k6_line_file_load(const struct k6_line_format *f, const char *path, uid_t owner,
				 void *out, char *err, size_t errlen);

#endif
