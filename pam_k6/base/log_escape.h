/* SPDX-License-Identifier: MIT */
/*
 * Text that came from outside (a user name the client chose, server error
 * messages, libcurl's error text) is escaped before it reaches a log line,
 * so it can neither forge a second line nor a second field.
 */
#ifndef K6_LOG_ESCAPE_H
#define K6_LOG_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Copy at most inlen bytes of in to out (outlen bytes, always terminated),
 * writing control characters, bytes outside printable ASCII, '"' and '\\'
 * as \xHH.  Spaces are escaped too unless keep_spaces is set.  Output that
 * does not fit is cut at a whole escape and ends in "...".
 */
void k6_escape(char *out, size_t outlen, const char *in, size_t inlen, bool keep_spaces);

/* The same for a NUL-terminated string; NULL becomes "". */
void k6_escape_str(char *out, size_t outlen, const char *in, bool keep_spaces);

#endif
