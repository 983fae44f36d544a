/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log_escape.h"
#include "core/line_file.h"

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
	if (n > K6_LINE_MAX) {
		snprintf(err, errlen, "%s:%u: line longer than %d bytes", shown, *line,
			 K6_LINE_MAX);
		return -1;
	}
	if (memchr(start, '\0', n) != NULL) {
		snprintf(err, errlen, "%s:%u: line holds a NUL byte", shown, *line);
		return -1;
	}
	memcpy(buf, start, n);
	buf[n] = '\0';
	*pos += n + (nl != NULL ? 1 : 0);
	return 1;
}

enum k6_status k6_each_line(const char *path, const char *text, size_t len, k6_line_fn fn,
			    void *ctx, char *err, size_t errlen)
{
	char shown[256];
	char buf[K6_LINE_MAX + 1];
	size_t pos = 0;
	unsigned line = 0;
	int more;

	k6_escape_str(shown, sizeof(shown), path, false);
	while ((more = k6_next_line(shown, text, len, &pos, &line, buf, err, errlen)) > 0) {
		char why[256] = "";
		enum k6_status st = fn(ctx, buf, line, why, sizeof(why));

		if (st == K6_NOMEM) {
			snprintf(err, errlen, "out of memory");
			return st;
		}
		if (st != K6_OK) {
			snprintf(err, errlen, "%s:%u: %s", shown, line, why);
			return st;
		}
	}
	return more < 0 ? K6_CONFIG : K6_OK;
}

enum k6_status k6_line_file_parse(const struct k6_line_format *f, const char *path,
				  const char *text, size_t len, void *out, char *err, size_t errlen)
{
	enum k6_status st;

	memset(out, 0, f->size);
	st = k6_each_line(path, text, len, f->parse, out, err, errlen);
	if (st != K6_OK)
		f->clear(out);
	return st;
}

enum k6_status k6_line_file_load(const struct k6_line_format *f, const char *path, uid_t owner,
				 void *out, char *err, size_t errlen)
{
	const struct k6_file_rules rules = K6_ADMIN_FILE_RULES(owner);
	bool missing;
	char *text;
	size_t len;
	enum k6_status st = k6_read_trusted_file(path, &rules, &text, &len, &missing, err, errlen);

	memset(out, 0, f->size);
	if (st != K6_OK)
		return st;
	st = k6_line_file_parse(f, path, text, len, out, err, errlen);
	free(text);
	return st;
}
