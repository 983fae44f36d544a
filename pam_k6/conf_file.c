/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_file.h"
#include "log_escape.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim blanks at both ends of s[0..*n) in place; return the new start. */
static char *trim(char *s, size_t *n)
{
	while (*n > 0 && is_blank(*s)) {
		s++;
		(*n)--;
	}
	while (*n > 0 && is_blank(s[*n - 1]))
		(*n)--;
	return s;
}

enum k6_status k6_config_apply(struct k6_options *o, const char *path, const char *text, size_t len,
			       char *err, size_t errlen)
{
	char shown[256];
	char item[K6_LINE_MAX + 1];
	char why[256];
	size_t pos = 0;
	unsigned line = 0;
	int more;

	k6_escape_str(shown, sizeof(shown), path, false);
	k6_options_new_source(o);
	while ((more = k6_next_line(shown, text, len, &pos, &line, item, err, errlen)) > 0) {
		size_t n = strlen(item);
		char *key;
		char *eq;
		size_t klen;
		enum k6_status st;

		if (n > 0 && item[n - 1] == '\r')
			n--;
		key = trim(item, &n);
		if (n == 0 || key[0] == '#')
			continue;
		key[n] = '\0';

		/* "key = value" becomes the argument "key=value"; a flag stays a word. */
		eq = strchr(key, '=');
		klen = eq != NULL ? (size_t)(eq - key) : n;
		trim(key, &klen);
		if (eq != NULL) {
			size_t vlen = n - (size_t)(eq + 1 - key);
			char *value = trim(eq + 1, &vlen);

			if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
				value++;
				vlen -= 2;
			}
			memmove(key + klen + 1, value, vlen);
			key[klen] = '=';
			key[klen + 1 + vlen] = '\0';
		} else {
			key[klen] = '\0';
		}
		if (klen == 4 && strncmp(key, "conf", 4) == 0) {
			snprintf(err, errlen, "%s:%u: option 'conf' can only be a module argument",
				 shown, line);
			return K6_CONFIG;
		}
		st = k6_options_set(o, key, why, sizeof(why));
		if (st != K6_OK) {
			snprintf(err, errlen, "%s:%u: %s", shown, line, why);
			return st;
		}
	}
	return more < 0 ? K6_CONFIG : K6_OK;
}

enum k6_status k6_config_load(struct k6_options *o, int argc, const char **argv, uid_t owner,
			      char *err, size_t errlen)
{
	const char *path = K6_DEFAULT_CONF;
	bool named = false;
	bool missing = false;
	char *text = NULL;
	size_t len = 0;
	int i;

	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0 && !named) {
			path = argv[i] + 5;
			named = true;
		}
	}
	if (!named || path[0] != '\0') {
		const struct k6_file_rules rules = K6_ADMIN_FILE_RULES(owner);
		enum k6_status st =
			k6_read_trusted_file(path, &rules, &text, &len, &missing, err, errlen);
		/* Only the default file may be absent. */
		if (st == K6_CONFIG && missing && !named)
			st = K6_OK;
		else if (st == K6_OK)
			st = k6_config_apply(o, path, text, len, err, errlen);
		free(text);
		if (st != K6_OK)
			return st;
	}
	return k6_options_from_args(o, argc, argv, err, errlen);
}
