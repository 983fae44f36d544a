/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/cache.h"
#include "core/options.h"
#include "core/stack_url.h"

#define KEY_MAX 32
#define PROMPT_MAX 256
#define PATH_MAX_LEN 4096

typedef enum k6_status (*setter)(struct k6_options *o, const char *value, char *why, size_t whylen);

/* How a key's value is shown; where it lives in struct k6_options is offset. */
enum shown_as {
	SHOW_TEXT,   /* char *; NULL is "none" */
	SHOW_TRUST,  /* char * of ca_file, ca_path; both NULL is "(system)" */
	SHOW_SECRET, /* char * of a URL that may carry a password: it is masked */
	SHOW_QUOTED, /* char *, in double quotes (it may have spaces) */
	SHOW_ID,     /* int64_t; 0 is "none" */
	SHOW_SECONDS,
	SHOW_MS, /* long milliseconds, shown as seconds */
	SHOW_IP,
	SHOW_EXPORT, /* unsigned enum k6_export bits: their names, or none */
	SHOW_FLAG,   /* bool: yes or no */
};

struct key {
	const char *name;
	setter set; /* NULL for a flag */
	enum shown_as shown;
	size_t offset;
};

static bool printable(const char *s, bool allow_space)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f || (c == ' ' && !allow_space))
			return false;
	}
	return true;
}

static enum k6_status replace(char **slot, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return K6_NOMEM;
	free(*slot);
	*slot = copy;
	return K6_OK;
}

static enum k6_status set_stack_url(struct k6_options *o, const char *value, char *why,
				    size_t whylen)
{
	const char *w = NULL;
	char *url;
	enum k6_status st = k6_stack_url_normalise(value, &url, &w);

	if (st != K6_OK) {
		snprintf(why, whylen, "%s", w != NULL ? w : "is invalid");
		return st;
	}
	free(o->stack_url);
	o->stack_url = url;
	return K6_OK;
}

static enum k6_status set_api_url(struct k6_options *o, const char *value, char *why, size_t whylen)
{
	const char *w = NULL;
	char *url;
	enum k6_status st = k6_api_url_normalise(value, &url, &w);

	if (st != K6_OK) {
		snprintf(why, whylen, "%s", w != NULL ? w : "is invalid");
		return st;
	}
	free(o->api_url);
	o->api_url = url;
	return K6_OK;
}

static enum k6_status set_path(char **slot, const char *value, char *why, size_t whylen)
{
	if (value[0] != '/') {
		snprintf(why, whylen, "must be an absolute path");
		return K6_CONFIG;
	}
	if (strlen(value) > PATH_MAX_LEN || !printable(value, true)) {
		snprintf(why, whylen, "is not a usable path");
		return K6_CONFIG;
	}
	return replace(slot, value);
}

static enum k6_status set_conf(struct k6_options *o, const char *value, char *why, size_t whylen)
{
	return set_path(&o->conf, value, why, whylen);
}

static enum k6_status set_users(struct k6_options *o, const char *value, char *why, size_t whylen)
{
	return set_path(&o->users, value, why, whylen);
}

static enum k6_status set_tokens(struct k6_options *o, const char *value, char *why, size_t whylen)
{
	return set_path(&o->tokens, value, why, whylen);
}

static enum k6_status set_stack_id(struct k6_options *o, const char *value, char *why,
				   size_t whylen)
{
	if (!k6_parse_id(value, &o->stack_id)) {
		snprintf(why, whylen, "must be a stack ID, a whole number from 1 to %" PRId64,
			 INT64_MAX);
		return K6_CONFIG;
	}
	return K6_OK;
}

/* "86400 (1 day)", "2592000 (30 days)": the largest value, as people count it. */
static void describe_seconds(char *buf, size_t len, long max)
{
	long days = max / 86400;
	long hours = max / 3600;

	if (max % 86400 == 0)
		snprintf(buf, len, "%ld (%ld day%s)", max, days, days == 1 ? "" : "s");
	else if (max % 3600 == 0)
		snprintf(buf, len, "%ld (%ld hour%s)", max, hours, hours == 1 ? "" : "s");
	else
		snprintf(buf, len, "%ld", max);
}

/* Whole seconds from 0 (off) to max. */
static enum k6_status set_ttl(long *slot, long max, const char *value, char *why, size_t whylen)
{
	int64_t v = 0;

	if (strcmp(value, "0") != 0 && (!k6_parse_id(value, &v) || v > max)) {
		char shown[64];

		describe_seconds(shown, sizeof(shown), max);
		snprintf(why, whylen, "must be whole seconds from 0 to %s", shown);
		return K6_CONFIG;
	}
	*slot = (long)v;
	return K6_OK;
}

static enum k6_status set_cache_ttl(struct k6_options *o, const char *value, char *why,
				    size_t whylen)
{
	return set_ttl(&o->cache_ttl, K6_MAX_CACHE_TTL, value, why, whylen);
}

static enum k6_status set_offline_ttl(struct k6_options *o, const char *value, char *why,
				      size_t whylen)
{
	return set_ttl(&o->offline_ttl, K6_MAX_OFFLINE_TTL, value, why, whylen);
}

static enum k6_status set_cache_dir(struct k6_options *o, const char *value, char *why,
				    size_t whylen)
{
	return set_path(&o->cache_dir, value, why, whylen);
}

static enum k6_status set_ca_file(struct k6_options *o, const char *value, char *why, size_t whylen)
{
	return set_path(&o->ca_file, value, why, whylen);
}

static enum k6_status set_ca_path(struct k6_options *o, const char *value, char *why, size_t whylen)
{
	return set_path(&o->ca_path, value, why, whylen);
}

static enum k6_status set_pinned_pubkey(struct k6_options *o, const char *value, char *why,
					size_t whylen)
{
	if (strncmp(value, "sha256//", 8) != 0 && value[0] != '/') {
		snprintf(why, whylen, "must be sha256//HASH[;sha256//HASH...] or an absolute path");
		return K6_CONFIG;
	}
	if (strlen(value) > PATH_MAX_LEN || !printable(value, value[0] == '/')) {
		snprintf(why, whylen, "has characters it cannot have");
		return K6_CONFIG;
	}
	return replace(&o->pinned_pubkey, value);
}

static enum k6_status set_proxy(struct k6_options *o, const char *value, char *why, size_t whylen)
{
	if (strstr(value, "://") == NULL) {
		snprintf(why, whylen, "must be a URL such as http://proxy.example:3128");
		return K6_CONFIG;
	}
	if (strlen(value) > PATH_MAX_LEN || !printable(value, false)) {
		snprintf(why, whylen, "has spaces or control characters");
		return K6_CONFIG;
	}
	return replace(&o->proxy, value);
}

static enum k6_status set_prompt(struct k6_options *o, const char *value, char *why, size_t whylen)
{
	if (strlen(value) > PROMPT_MAX || !printable(value, true)) {
		snprintf(why, whylen, "must be at most %d bytes without control characters",
			 PROMPT_MAX);
		return K6_CONFIG;
	}
	return replace(&o->prompt, value);
}

static enum k6_status set_ms(long *slot, const char *value, char *why, size_t whylen)
{
	long ms;

	if (!k6_parse_seconds(value, &ms) || ms <= 0 || ms > K6_MAX_TIMEOUT_MS) {
		snprintf(why, whylen,
			 "must be seconds, more than 0 and at most %ld (decimals allowed)",
			 K6_MAX_TIMEOUT_MS / 1000);
		return K6_CONFIG;
	}
	*slot = ms;
	return K6_OK;
}

static enum k6_status set_timeout(struct k6_options *o, const char *value, char *why, size_t whylen)
{
	return set_ms(&o->timeout_ms, value, why, whylen);
}

static enum k6_status set_connect_timeout(struct k6_options *o, const char *value, char *why,
					  size_t whylen)
{
	return set_ms(&o->connect_timeout_ms, value, why, whylen);
}

static enum k6_status set_ip_resolve(struct k6_options *o, const char *value, char *why,
				     size_t whylen)
{
	if (strcmp(value, "any") == 0)
		o->ip_resolve = K6_IP_ANY;
	else if (strcmp(value, "ipv4") == 0)
		o->ip_resolve = K6_IP_V4;
	else if (strcmp(value, "ipv6") == 0)
		o->ip_resolve = K6_IP_V6;
	else {
		snprintf(why, whylen, "must be any, ipv4 or ipv6");
		return K6_CONFIG;
	}
	return K6_OK;
}

/* export= names, in the order they are shown. */
static const struct {
	const char *name;
	unsigned bit;
} export_names[] = {
	{ "stack_id", K6_EXPORT_STACK_ID },
	{ "project_id", K6_EXPORT_PROJECT_ID },
	{ "stack_url", K6_EXPORT_STACK_URL },
	{ "api_url", K6_EXPORT_API_URL },
};

#define NEXPORTS (sizeof(export_names) / sizeof(export_names[0]))

/* "stack_id,project_id,...": a comma-separated list of names, or none. */
static enum k6_status set_exports(struct k6_options *o, const char *value, char *why, size_t whylen)
{
	unsigned bits = 0;
	const char *p = value;

	if (strcmp(value, "none") == 0) {
		o->exports = 0;
		return K6_OK;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		size_t i;

		for (i = 0; i < NEXPORTS; i++)
			if (strlen(export_names[i].name) == len &&
			    strncmp(export_names[i].name, p, len) == 0)
				break;
		if (i == NEXPORTS || (bits & export_names[i].bit) != 0) {
			snprintf(why, whylen,
				 "must be none or a list of stack_id, project_id, stack_url and "
				 "api_url, each once, separated by commas");
			return K6_CONFIG;
		}
		bits |= export_names[i].bit;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	o->exports = bits;
	return K6_OK;
}

#define KEY(name, shown)                                                    \
	{                                                                   \
#name, set_##name, shown, offsetof(struct k6_options, name) \
	}
#define FLAG(name)                                                        \
	{                                                                 \
#name, NULL, SHOW_FLAG, offsetof(struct k6_options, name) \
	}

static const struct key keys[] = {
	KEY(conf, SHOW_TEXT),
	KEY(users, SHOW_TEXT),
	KEY(tokens, SHOW_TEXT),
	KEY(stack_url, SHOW_TEXT),
	KEY(stack_id, SHOW_ID),
	KEY(api_url, SHOW_TEXT),
	KEY(ca_file, SHOW_TRUST),
	KEY(ca_path, SHOW_TRUST),
	KEY(pinned_pubkey, SHOW_TEXT),
	KEY(proxy, SHOW_SECRET),
	{ "timeout", set_timeout, SHOW_MS, offsetof(struct k6_options, timeout_ms) },
	{ "connect_timeout", set_connect_timeout, SHOW_MS,
	  offsetof(struct k6_options, connect_timeout_ms) },
	KEY(ip_resolve, SHOW_IP),
	KEY(prompt, SHOW_QUOTED),
	KEY(cache_ttl, SHOW_SECONDS),
	KEY(offline_ttl, SHOW_SECONDS),
	KEY(cache_dir, SHOW_TEXT),
	{ "export", set_exports, SHOW_EXPORT, offsetof(struct k6_options, exports) },
	FLAG(try_first_pass),
	FLAG(use_first_pass),
	FLAG(allow_root),
	FLAG(export_token),
	FLAG(nodelay),
	FLAG(debug),
	FLAG(reuse_connection),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))
_Static_assert(NKEYS == K6_OPTION_KEYS, "K6_OPTION_KEYS counts the option table");
_Static_assert(NKEYS <= sizeof(unsigned long) * 8, "seen has a bit per key");

bool k6_parse_id(const char *s, int64_t *id)
{
	int64_t v = 0;

	if (*s < '1' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (*s != '\0')
		return false;
	*id = v;
	return true;
}

bool k6_parse_seconds(const char *s, long *ms)
{
	long whole = 0;
	long frac = 0;
	long scale = 100;
	int digits = 0;

	for (; *s >= '0' && *s <= '9'; s++) {
		if (++digits > 4)
			return false;
		whole = whole * 10 + (*s - '0');
	}
	if (digits == 0)
		return false;
	if (*s == '.') {
		digits = 0;
		for (s++; *s >= '0' && *s <= '9'; s++) {
			if (++digits > 3)
				return false;
			frac += (*s - '0') * scale;
			scale /= 10;
		}
		if (digits == 0)
			return false;
	}
	if (*s != '\0')
		return false;
	*ms = whole * 1000 + frac;
	return true;
}

enum k6_status k6_options_init(struct k6_options *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = K6_DEFAULT_TIMEOUT_MS;
	o->connect_timeout_ms = K6_DEFAULT_CONNECT_TIMEOUT_MS;
	o->ip_resolve = K6_IP_ANY;
	o->exports = K6_EXPORT_ALL;
	o->api_url = strdup(K6_DEFAULT_API_URL);
	o->prompt = strdup(K6_DEFAULT_PROMPT);
	o->cache_dir = strdup(K6_DEFAULT_CACHE_DIR);
	if (o->api_url == NULL || o->prompt == NULL || o->cache_dir == NULL) {
		k6_options_free(o);
		return K6_NOMEM;
	}
	return K6_OK;
}

void k6_options_free(struct k6_options *o)
{
	free(o->conf);
	free(o->users);
	free(o->tokens);
	free(o->stack_url);
	free(o->api_url);
	free(o->ca_file);
	free(o->ca_path);
	/* A proxy URL may carry credentials. */
	if (o->proxy != NULL)
		explicit_bzero(o->proxy, strlen(o->proxy));
	free(o->proxy);
	free(o->pinned_pubkey);
	free(o->prompt);
	free(o->cache_dir);
	free(o->conf_read);
	memset(o, 0, sizeof(*o));
}

void k6_options_new_source(struct k6_options *o, enum k6_origin source)
{
	o->seen = 0;
	o->source = source;
	o->source_line = 0;
}

static enum k6_status set_flag(struct k6_options *o, const struct key *k, const char *value,
			       char *why, size_t whylen)
{
	bool *flag = (bool *)((char *)o + k->offset);

	if (value == NULL || strcmp(value, "yes") == 0) {
		*flag = true;
	} else if (strcmp(value, "no") == 0) {
		*flag = false;
	} else {
		snprintf(why, whylen, "must be yes or no (or the bare word for yes)");
		return K6_CONFIG;
	}
	return K6_OK;
}

/*
 * An unknown key is named only when it could be a key or a host name:
 * letters, '_', '.' and '-'.  Anything else (a URL, a line that lost its
 * '=', a token, which holds digits) may be a secret, and is not repeated
 * into the log.
 */
static void unknown_key(const char *item, size_t len, char *err, size_t errlen)
{
	size_t i;
	bool key_like = len > 0 && len <= KEY_MAX;

	for (i = 0; key_like && i < len; i++)
		key_like = (item[i] >= 'a' && item[i] <= 'z') ||
			   (item[i] >= 'A' && item[i] <= 'Z') || item[i] == '_' || item[i] == '.' ||
			   item[i] == '-';
	if (key_like)
		snprintf(err, errlen, "unknown option '%.*s'", (int)len, item);
	else if (len == 0)
		snprintf(err, errlen, "unknown option: nothing before '='");
	else
		snprintf(err, errlen,
			 "unknown option: %zu bytes that are not a key (not shown; a key is "
			 "letters and '_', followed by '=' and its value or by nothing)",
			 len);
}

enum k6_status k6_options_set(struct k6_options *o, const char *item, char *err, size_t errlen)
{
	char name[KEY_MAX + 1];
	const char *eq = strchr(item, '=');
	size_t name_len = eq != NULL ? (size_t)(eq - item) : strlen(item);
	char why[160] = "";
	enum k6_status st;
	size_t i;

	if (name_len == 0 || name_len > KEY_MAX) {
		unknown_key(item, name_len, err, errlen);
		return K6_CONFIG;
	}
	memcpy(name, item, name_len);
	name[name_len] = '\0';

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			break;
	if (i == NKEYS) {
		unknown_key(item, name_len, err, errlen);
		return K6_CONFIG;
	}
	if (o->seen & (1UL << i)) {
		snprintf(err, errlen, "option '%s' given more than once", name);
		return K6_CONFIG;
	}
	o->seen |= 1UL << i;

	if (keys[i].set == NULL) {
		st = set_flag(o, &keys[i], eq != NULL ? eq + 1 : NULL, why, sizeof(why));
	} else if (eq == NULL || eq[1] == '\0') {
		snprintf(err, errlen, "option '%s' needs a value (%s=...)", name, name);
		return K6_CONFIG;
	} else {
		st = keys[i].set(o, eq + 1, why, sizeof(why));
	}
	if (st == K6_CONFIG)
		snprintf(err, errlen, "option '%s': value %s", name,
			 why[0] != '\0' ? why : "is invalid");
	else if (st == K6_NOMEM)
		snprintf(err, errlen, "out of memory");
	if (st == K6_OK) {
		o->origin[i] = o->source;
		o->origin_line[i] = o->source_line;
	}
	return st;
}

enum k6_status k6_options_check(const struct k6_options *o, k6_problem_fn report, void *ctx)
{
	enum k6_status st = K6_OK;

#define PROBLEM(text)              \
	do {                       \
		report(ctx, text); \
		st = K6_CONFIG;    \
	} while (0)
	/* One source of truth: with a users file, each line names its stack. */
	if (o->users != NULL && o->stack_url != NULL)
		PROBLEM("options 'users' and 'stack_url' exclude each other");
	if (o->users != NULL && o->stack_id != 0)
		PROBLEM("options 'users' and 'stack_id' exclude each other "
			"(a users line pins its own stack ID)");
	if (o->users == NULL && o->stack_url == NULL && o->conf_missing != NULL) {
		char text[600];

		snprintf(text, sizeof(text),
			 "%s: no such file, and no stack_url= (or users=) on the line",
			 o->conf_missing);
		PROBLEM(text);
	} else if (o->users == NULL && o->stack_url == NULL) {
		PROBLEM("option 'stack_url' (or 'users') is required");
	}
	if (o->cache_ttl > 0 && o->offline_ttl > 0 && o->offline_ttl < o->cache_ttl)
		PROBLEM("option 'offline_ttl' must be at least 'cache_ttl'");
	if (o->try_first_pass && o->use_first_pass)
		PROBLEM("options 'try_first_pass' and 'use_first_pass' exclude each other");
#undef PROBLEM
	return st;
}

/*
 * A file or folder this process can read, as a trust store must be: opened
 * with the effective IDs, as libcurl will (access() would ask for the real
 * user's, which under sudo is not who reads it).
 */
static bool readable(const char *path, bool folder, char *why, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (folder ? O_DIRECTORY : 0));
	struct stat st;
	bool ok;

	if (fd < 0) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return false;
	}
	ok = fstat(fd, &st) == 0 && (folder || S_ISREG(st.st_mode));
	if (!ok)
		snprintf(why, len, "%s: not a file", path);
	close(fd);
	return ok;
}

enum k6_status k6_options_check_trust(const struct k6_options *o, k6_problem_fn report, void *ctx)
{
	char why[300];
	char problem[360];
	enum k6_status st = K6_OK;

	if (o->ca_file != NULL && !readable(o->ca_file, false, why, sizeof(why))) {
		snprintf(problem, sizeof(problem), "option 'ca_file': %s", why);
		report(ctx, problem);
		st = K6_CONFIG;
	}
	if (o->ca_path != NULL && !readable(o->ca_path, true, why, sizeof(why))) {
		snprintf(problem, sizeof(problem), "option 'ca_path': %s", why);
		report(ctx, problem);
		st = K6_CONFIG;
	}
	return st;
}

enum k6_status k6_options_from_args(struct k6_options *o, int argc, const char **argv,
				    k6_problem_fn report, void *ctx)
{
	enum k6_status worst = K6_OK;
	char err[320];
	int i;

	k6_options_new_source(o, K6_FROM_ARGUMENT);
	for (i = 0; i < argc; i++) {
		enum k6_status st = k6_options_set(o, argv[i], err, sizeof(err));

		if (st == K6_NOMEM)
			return st;
		if (st != K6_OK) {
			report(ctx, err);
			worst = st;
		}
	}
	if (worst != K6_OK)
		return worst;
	return k6_options_check(o, report, ctx);
}

/* A URL with its password, if it has one, masked: "http://user:***@host". */
static void mask_password(char *buf, size_t len, const char *url)
{
	const char *start = strstr(url, "://");
	const char *auth = start != NULL ? start + 3 : url;
	/*
	 * The last '@' of the whole value, not of the authority as a URL parser
	 * would cut it: a password may hold '/', '?' or '#' that its owner did
	 * not percent-encode, and must not be shown for that.
	 */
	const char *at = strrchr(auth, '@');
	const char *colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;

	if (colon == NULL)
		snprintf(buf, len, "%s", url);
	else
		snprintf(buf, len, "%.*s***%s", (int)(colon + 1 - url), url, at);
}

/* The names of the exported variables, as export= takes them; none if none. */
static void show_exports(char *buf, size_t len, unsigned bits)
{
	size_t used = 0;
	size_t i;

	snprintf(buf, len, "none");
	for (i = 0; i < NEXPORTS && used < len; i++) {
		int n;

		if ((bits & export_names[i].bit) == 0)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used > 0 ? "," : "",
			     export_names[i].name);
		if (n > 0)
			used += (size_t)n;
	}
}

/* Milliseconds as seconds, with no more decimals than it needs: 10, 2.5, 0.25. */
static void show_ms(char *buf, size_t len, long ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, len, "%ld", ms / 1000);
	else if (ms % 100 == 0)
		snprintf(buf, len, "%ld.%ld", ms / 1000, ms % 1000 / 100);
	else if (ms % 10 == 0)
		snprintf(buf, len, "%ld.%02ld", ms / 1000, ms % 1000 / 10);
	else
		snprintf(buf, len, "%ld.%03ld", ms / 1000, ms % 1000);
}

static void show_value(const struct k6_options *o, const struct key *k, char *buf, size_t len)
{
	static const char *const resolve[] = { "any", "ipv4", "ipv6" };
	const void *at = (const char *)o + k->offset;
	const char *text;

	switch (k->shown) {
	case SHOW_TEXT:
		text = *(char *const *)at;
		snprintf(buf, len, "%s", text != NULL ? text : "none");
		break;
	case SHOW_TRUST:
		text = *(char *const *)at;
		snprintf(buf, len, "%s",
			 text != NULL                             ? text :
			 o->ca_file == NULL && o->ca_path == NULL ? "(system)" :
								    "none");
		break;
	case SHOW_SECRET:
		text = *(char *const *)at;
		if (text == NULL)
			snprintf(buf, len, "none");
		else
			mask_password(buf, len, text);
		break;
	case SHOW_QUOTED:
		text = *(char *const *)at;
		snprintf(buf, len, "\"%s\"", text != NULL ? text : "");
		break;
	case SHOW_ID:
		if (*(const int64_t *)at == 0)
			snprintf(buf, len, "none");
		else
			snprintf(buf, len, "%" PRId64, *(const int64_t *)at);
		break;
	case SHOW_SECONDS:
		snprintf(buf, len, "%ld", *(const long *)at);
		break;
	case SHOW_MS:
		show_ms(buf, len, *(const long *)at);
		break;
	case SHOW_IP:
		snprintf(buf, len, "%s", resolve[*(const enum k6_ip_resolve *)at]);
		break;
	case SHOW_EXPORT:
		show_exports(buf, len, *(const unsigned *)at);
		break;
	case SHOW_FLAG:
		snprintf(buf, len, "%s", *(const bool *)at ? "yes" : "no");
		break;
	}
}

void k6_options_each(const struct k6_options *o, k6_option_fn fn, void *ctx)
{
	size_t i;

	for (i = 0; i < NKEYS; i++) {
		char value[PATH_MAX_LEN + 16];

		if (keys[i].set == set_conf) {
			/* The file that was read, whatever named it. */
			fn(ctx, keys[i].name, o->conf_read != NULL ? o->conf_read : "none",
			   o->origin[i], o->origin_line[i]);
			continue;
		}
		show_value(o, &keys[i], value, sizeof(value));
		fn(ctx, keys[i].name, value, o->origin[i], o->origin_line[i]);
	}
}

struct line_buf {
	char *buf;
	size_t len;
	size_t used;
};

static void add_to_line(void *ctx, const char *key, const char *value, enum k6_origin origin,
			unsigned line)
{
	struct line_buf *l = ctx;
	int n;

	(void)origin;
	(void)line;
	if (l->used >= l->len)
		return;
	n = snprintf(l->buf + l->used, l->len - l->used, "%s%s=%s", l->used > 0 ? " " : "", key,
		     value);
	if (n > 0)
		l->used += (size_t)n;
}

void k6_options_line(const struct k6_options *o, char *buf, size_t len)
{
	struct line_buf l = { buf, len, 0 };

	if (len == 0)
		return;
	buf[0] = '\0';
	k6_options_each(o, add_to_line, &l);
}
