/* SPDX-License-Identifier: MIT */
/*
 * The words of a pam.d file as libpam reads them: for pamd.c, which builds
 * the handlers from them.  Not used elsewhere.
 */
#ifndef K6_PAMD_TEXT_H
#define K6_PAMD_TEXT_H

#include <stdio.h>

#include "core/pamd.h"

/*
 * The file's whole text (malloc'd, NUL-terminated, *len bytes), if it is
 * one to read: symbolic links are followed, as libpam's fopen does, but
 * anything but a regular file of at most K6_PAMD_FILE_MAX bytes is
 * refused on the open descriptor, since a FIFO would hang libpam and a
 * device never end.  A folder and /dev/null, which libpam reads as empty,
 * give "" with why set.  NULL with a phrase in why ("is not a regular
 * file"), errno as open left it.
 */
char *k6_pamd_slurp(const char *path, size_t *len, char *why, size_t whylen);

/*
 * The next logical line of f into buf (K6_PAMD_LINE_MAX + 1 bytes), as
 * _pam_assemble_line builds it; *first is the number of the line it starts
 * on, *lineno counts the file's lines, *lines_read all the lines read.
 * 1 with a line, 0 at the end, -1 where libpam gives up on the file, -2
 * past K6_PAMD_LINES lines read, -3 where libpam would never finish.
 */
int k6_pamd_assemble(FILE *f, char *buf, unsigned *lineno, unsigned *first, unsigned *lines_read);

/* The next word at *next, as _pam_StrTok finds it; NULL when none is left. */
char *k6_pamd_word(char **next);

/* Set every action still K6_ACT_UNDEF to action. */
void k6_pamd_set_default(int *actions, int action);

/* "value=action ..." into actions: NULL, or libpam's error. */
const char *k6_pamd_parse_control(int *actions, const char *tok);

enum k6_pamd_control {
	K6_PAMD_ACTIONS,    /* a keyword or a bracket: actions set */
	K6_PAMD_NO_CONTROL, /* no word: every action bad, the line fails */
	K6_PAMD_INCLUDE,
	K6_PAMD_SUBSTACK,
};

/*
 * A line's control word into actions, as _pam_parse_conf_file reads it:
 * required, requisite, optional, sufficient (any case, brackets or not),
 * include and substack, or "value=action ..." (an error, in *error, makes
 * every action bad).
 */
enum k6_pamd_control k6_pamd_control(const char *word, int *actions, const char **error);

#endif
