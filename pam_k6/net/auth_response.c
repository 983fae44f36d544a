/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/log_escape.h"
#include "net/auth_response.h"

/* The answer is a flat object; anything deeper than this is not it. */
#define JSON_DEPTH 16

/*
 * Parse body as exactly one JSON value.  Returns false for anything that is
 * not; on true, *out may still be NULL, which is how json-c spells null.
 */
static bool parse_strict(const char *body, size_t len, json_object **out)
{
	enum json_tokener_error err;
	json_tokener *tok;
	json_object *obj;
	bool ok;

	*out = NULL;
	if (len == 0 || len > K6_BODY_MAX)
		return false;
	tok = json_tokener_new_ex(JSON_DEPTH);
	if (tok == NULL)
		return false;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, body, (int)len);
	err = json_tokener_get_error(tok);
	if (err == json_tokener_continue) {
		/* A bare number or literal may go on; a NUL tells json-c it ended. */
		obj = json_tokener_parse_ex(tok, "", 1);
		ok = json_tokener_get_error(tok) == json_tokener_success;
	} else {
		/* The whole body must be the one value: no trailing bytes, no NUL. */
		ok = err == json_tokener_success && json_tokener_get_parse_end(tok) == len;
	}
	json_tokener_free(tok);
	if (!ok) {
		json_object_put(obj);
		return false;
	}
	*out = obj;
	return true;
}

/*
 * json-c keeps only the last of duplicate keys, silently saturates integers
 * beyond 64 bits, and even in strict mode takes a few things JSON does not
 * ('single quotes'), so the body is read once more, strictly: every
 * top-level key is counted and the raw text of the values looked for is
 * kept.  Where this reading and json-c's disagree, the body is refused.
 */
struct raw_member {
	const char *key;
	/* Why a body is refused for this member, spelled out once by MEMBER(). */
	const char *missing;
	const char *repeated;
	const char *not_int;
	const char *not_positive;
	unsigned count;
	const char *value;
	size_t value_len;
};

#define MEMBER(key)                                                                         \
	{                                                                                   \
		key, key " missing", key " given more than once", key " is not an integer", \
			key " is not a positive 64-bit integer", 0, NULL, 0                 \
	}

struct raw_scan {
	struct raw_member *members;
	size_t n_members;
	size_t keys; /* every top-level key, duplicates included */
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The length of the literal true, false or null at s, or 0. */
static size_t literal_length(const char *s, size_t len)
{
	static const char *const literals[] = { "true", "false", "null" };
	size_t k;

	for (k = 0; k < sizeof(literals) / sizeof(literals[0]); k++) {
		size_t n = strlen(literals[k]);

		if (len >= n && memcmp(s, literals[k], n) == 0)
			return n;
	}
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Skip the string that starts at s[i] == '"' and return the index after
 * it; 0 if it does not end or holds \u0000, which json-c would cut a key at.
 */
static size_t skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (s[i] == '"')
			return i + 1;
		if (s[i] == '\\') {
			if (len - i > 5 && memcmp(s + i + 1, "u0000", 5) == 0)
				return 0;
			i++;
		}
	}
	return 0;
}

/*
 * Decode the key s[start..end) (without quotes) into buf; false if it does
 * not fit or holds a character beyond ASCII, which means it is none of the
 * keys looked for.
 */
static bool decode_key(const char *s, size_t start, size_t end, char *buf, size_t buflen)
{
	size_t o = 0;
	size_t i;

	for (i = start; i < end; i++) {
		char c = s[i];

		if (c == '\\' && ++i < end) {
			switch (s[i]) {
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u': {
				int v = 0;
				int k;

				if (end - i <= 4)
					return false;
				for (k = 1; k <= 4; k++) {
					int h = hex_value(s[i + (size_t)k]);
					if (h < 0)
						return false;
					v = v * 16 + h;
				}
				if (v > 0x7f)
					return false;
				c = (char)v;
				i += 4;
				break;
			}
			default: /* '"', '\\', '/' stand for themselves */
				c = s[i];
				break;
			}
		}
		if (o + 1 >= buflen)
			return false;
		buf[o++] = c;
	}
	buf[o] = '\0';
	return true;
}

/* A top-level key s[start..end) (with quotes): count it, keep its value. */
static void note_key(struct raw_scan *sc, const char *s, size_t len, size_t start, size_t end)
{
	char key[32];
	size_t k;

	sc->keys++;
	if (!decode_key(s, start + 1, end - 1, key, sizeof(key)))
		return;
	for (k = 0; k < sc->n_members; k++) {
		struct raw_member *m = &sc->members[k];
		size_t v = end;

		if (strcmp(key, m->key) != 0)
			continue;
		/* Past the ':' and blanks is the value. */
		while (v < len && (is_blank(s[v]) || s[v] == ':'))
			v++;
		m->count++;
		m->value = s + v;
		while (v < len && !is_blank(s[v]) && s[v] != ',' && s[v] != '}')
			v++;
		m->value_len = (size_t)(s + v - m->value);
	}
}

/* Walk a body whose top level json-c parsed as an object; false if it is not JSON. */
static bool scan_object(const char *s, size_t len, struct raw_scan *sc)
{
	size_t depth = 0;
	bool expect_key = false;
	size_t i = 0;

	while (i < len) {
		char c = s[i];

		if (c == '"') {
			size_t end = skip_string(s, len, i);

			if (end == 0)
				return false;
			if (depth == 1 && expect_key) {
				expect_key = false;
				note_key(sc, s, len, i, end);
			}
			i = end;
			continue;
		}
		if (c == '\'')
			return false;
		if (depth == 1 && expect_key && !is_blank(c) && c != '}')
			return false; /* a key that is not a JSON string */
		if (is_letter(c)) {
			size_t lit = literal_length(s + i, len - i);

			/* true, false, null, or the exponent of a number; not NaN, Infinity */
			if (lit > 0) {
				i += lit;
				continue;
			}
			if ((c != 'e' && c != 'E') || i == 0 || !is_digit(s[i - 1]))
				return false;
		}
		if (c == '.' &&
		    (i == 0 || !is_digit(s[i - 1]) || i + 1 == len || !is_digit(s[i + 1])))
			return false; /* "1." and ".5" are not JSON numbers */
		if (c == '{' || c == '[') {
			depth++;
			expect_key = c == '{' && depth == 1;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return false;
			depth--;
			expect_key = false;
		} else if (c == ',' && depth == 1) {
			expect_key = true;
		}
		i++;
	}
	return depth == 0;
}

/* Exactly a positive JSON integer that fits int64: [1-9][0-9]*. */
static bool raw_positive_int64(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (len == 0 || s[0] < '1' || s[0] > '9')
		return false;
	for (i = 0; i < len; i++) {
		int d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = s[i] - '0';
		if (v > (INT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

enum k6_status k6_auth_response_parse(const char *body, size_t len, struct k6_auth_result *out,
				      const char **why)
{
	struct raw_member members[] = { MEMBER("stack_id"), MEMBER("default_project_id") };
	struct raw_scan scan = { members, sizeof(members) / sizeof(members[0]), 0 };
	int64_t values[sizeof(members) / sizeof(members[0])] = { 0 };
	json_object *root;
	enum k6_status st = K6_UNAVAILABLE;
	size_t k;

	memset(out, 0, sizeof(*out));
	if (len > K6_BODY_MAX) {
		*why = "body too large";
		return K6_UNAVAILABLE;
	}
	if (!parse_strict(body, len, &root)) {
		*why = len == 0 ? "empty body" : "body is not valid JSON";
		return K6_UNAVAILABLE;
	}
	if (!json_object_is_type(root, json_type_object)) {
		*why = "body is not a JSON object";
		goto out;
	}

	if (!scan_object(body, len, &scan)) {
		*why = "body is not valid JSON";
		goto out;
	}
	for (k = 0; k < scan.n_members; k++) {
		const struct raw_member *m = &members[k];
		json_object *v = NULL;

		if (!json_object_object_get_ex(root, m->key, &v) || m->count == 0) {
			*why = m->missing;
			goto out;
		}
		if (m->count > 1) {
			*why = m->repeated;
			goto out;
		}
		if (!json_object_is_type(v, json_type_int)) {
			*why = m->not_int;
			goto out;
		}
		if (!raw_positive_int64(m->value, m->value_len, &values[k])) {
			*why = m->not_positive;
			goto out;
		}
	}
	if (scan.keys != (size_t)json_object_object_length(root)) {
		*why = "body repeats a key";
		goto out;
	}
	out->stack_id = values[0];
	out->default_project_id = values[1];
	st = K6_OK;
out:
	json_object_put(root);
	return st;
}

static const char *member_string(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

void k6_error_response_describe(const char *body, size_t len, char *out, size_t outlen)
{
	json_object *root;
	json_object *error;

	out[0] = '\0';
	if (!parse_strict(body, len, &root) || root == NULL)
		return;
	if (json_object_object_get_ex(root, "error", &error) &&
	    json_object_is_type(error, json_type_object)) {
		const char *code = member_string(error, "code");
		const char *message = member_string(error, "message");
		char raw[512];

		snprintf(raw, sizeof(raw), "%s%s%s", code != NULL ? code : "",
			 code != NULL && message != NULL ? ": " : "",
			 message != NULL ? message : "");
		k6_escape_str(out, outlen, raw, true);
	}
	json_object_put(root);
}
