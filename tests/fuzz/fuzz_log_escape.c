/* SPDX-License-Identifier: MIT */
/*
 * Fuzz log escaping.  The first byte is the size of the output buffer (0 to
 * 255), the low bit of the second says whether spaces are kept, the rest is
 * the text.  The output is decoded again and compared with the text: it must
 * be all of it when it fits, else the longest prefix that fits, then "...".
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/log_escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool must_escape(unsigned char c, bool keep_spaces)
{
	return c < 0x20 || c > 0x7e || c == '"' || c == '\\' || (c == ' ' && !keep_spaces);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Decode out[0..len) into the bytes it stands for; every byte must be printable
 * and every escape whole and needed.  Returns how many bytes it stands for.
 */
static size_t decode(const char *out, size_t len, bool keep_spaces, unsigned char *text)
{
	size_t n = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c == '\\') {
			int hi;
			int lo;

			if (len - i < 4 || out[i + 1] != 'x')
				__builtin_trap();
			hi = hex_digit(out[i + 2]);
			lo = hex_digit(out[i + 3]);
			if (hi < 0 || lo < 0)
				__builtin_trap();
			c = (unsigned char)(hi * 16 + lo);
			if (!must_escape(c, keep_spaces))
				__builtin_trap();
			i += 3;
		} else if (must_escape(c, keep_spaces)) {
			__builtin_trap();
		}
		text[n++] = c;
	}
	return n;
}

static void check(const char *out, size_t outlen, const unsigned char *in, size_t inlen,
		  bool keep_spaces)
{
	const char *nul = memchr(out, '\0', outlen);
	unsigned char *text = malloc(outlen);
	size_t full = 0;
	size_t len;
	size_t n;
	size_t i;

	if (nul == NULL)
		__builtin_trap();
	if (text == NULL)
		return;
	len = (size_t)(nul - out);
	for (i = 0; i < inlen; i++)
		full += must_escape(in[i], keep_spaces) ? 4 : 1;

	if (full < outlen) {
		n = decode(out, len, keep_spaces, text);
		if (len != full || n != inlen || memcmp(text, in, n) != 0)
			__builtin_trap();
	} else if (outlen < 4) {
		/* No room for anything, not even the ellipsis. */
		if (len != 0)
			__builtin_trap();
	} else {
		if (len < 3 || memcmp(out + len - 3, "...", 3) != 0)
			__builtin_trap();
		n = decode(out, len - 3, keep_spaces, text);
		if (n >= inlen || memcmp(text, in, n) != 0)
			__builtin_trap();
		/* The next byte, escaped, must really not have fitted before the "...". */
		if (len - 3 + (must_escape(in[n], keep_spaces) ? 4 : 1) <= outlen - 4)
			__builtin_trap();
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t outlen;
	size_t inlen;
	bool keep_spaces;
	char *out;
	char *in;

	if (size < 2)
		return 0;
	outlen = data[0];
	keep_spaces = data[1] & 1;
	inlen = size - 2;
	/* Buffers of exactly their sizes, so ASan sees any byte beyond. */
	out = malloc(outlen);
	in = malloc(inlen);
	if (out == NULL || in == NULL)
		goto out;
	memcpy(in, data + 2, inlen);

	k6_escape(out, outlen, in, inlen, keep_spaces);
	if (outlen > 0)
		check(out, outlen, (const unsigned char *)in, inlen, keep_spaces);
out:
	free(out);
	free(in);
	return 0;
}
