/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <string.h>

#include "base/log_escape.h"

static bool needs_escape(unsigned char c, bool keep_spaces)
{
	if (c == ' ')
		return !keep_spaces;
	return c < 0x21 || c > 0x7e || c == '"' || c == '\\';
}

void k6_escape(char *out, size_t outlen, const char *in, size_t inlen, bool keep_spaces)
{
	static const char hex[] = "0123456789abcdef";
	static const char ellipsis[] = "...";
	size_t total = 0;
	size_t limit;
	size_t o = 0;
	size_t i;
	bool cut;

	if (outlen == 0)
		return;
	for (i = 0; i < inlen && total < outlen; i++)
		total += needs_escape((unsigned char)in[i], keep_spaces) ? 4 : 1;
	cut = total >= outlen;
	limit = outlen - 1;
	if (cut)
		limit = outlen > sizeof(ellipsis) ? outlen - sizeof(ellipsis) : 0;

	for (i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (!needs_escape(c, keep_spaces)) {
			if (o + 1 > limit)
				break;
			out[o++] = (char)c;
		} else {
			/* An escape is written whole or not at all. */
			if (o + 4 > limit)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0x0f];
		}
	}
	if (cut && outlen >= sizeof(ellipsis)) {
		memcpy(out + o, ellipsis, sizeof(ellipsis) - 1);
		o += sizeof(ellipsis) - 1;
	}
	out[o] = '\0';
}

void k6_escape_str(char *out, size_t outlen, const char *in, bool keep_spaces)
{
	if (in == NULL)
		in = "";
	k6_escape(out, outlen, in, strlen(in), keep_spaces);
}
