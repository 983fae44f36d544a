/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "log_escape.h"
#include "options.h"
#include "stack_url.h"

#define KEY_MAX 32
#define PROMPT_MAX 256
#define PATH_MAX_LEN 4096

typedef enum k6_status (*setter)(struct k6_options *o, const char *value, char *why, size_t whylen);

struct key {
	const char *name;
	setter set;         /* NULL for a flag */
	size_t flag_offset; /* where a flag's bool lives */
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

#define FLAG(name)                                             \
	{                                                      \
#name, NULL, offsetof(struct k6_options, name) \
	}

static const struct key keys[] = {
	{ "conf", set_conf, 0 },
	{ "users", set_users, 0 },
	{ "stack_url", set_stack_url, 0 },
	{ "stack_id", set_stack_id, 0 },
	{ "api_url", set_api_url, 0 },
	{ "ca_file", set_ca_file, 0 },
	{ "ca_path", set_ca_path, 0 },
	{ "pinned_pubkey", set_pinned_pubkey, 0 },
	{ "proxy", set_proxy, 0 },
	{ "timeout", set_timeout, 0 },
	{ "connect_timeout", set_connect_timeout, 0 },
	{ "ip_resolve", set_ip_resolve, 0 },
	{ "prompt", set_prompt, 0 },
	{ "cache_ttl", set_cache_ttl, 0 },
	{ "offline_ttl", set_offline_ttl, 0 },
	{ "cache_dir", set_cache_dir, 0 },
	FLAG(try_first_pass),
	FLAG(use_first_pass),
	FLAG(allow_root),
	FLAG(export_token),
	FLAG(nodelay),
	FLAG(debug),
	FLAG(reuse_connection),
};

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
	memset(o, 0, sizeof(*o));
}

void k6_options_new_source(struct k6_options *o)
{
	o->seen = 0;
}

enum k6_status k6_options_set(struct k6_options *o, const char *item, char *err, size_t errlen)
{
	char name[KEY_MAX + 1];
	char shown[4 * KEY_MAX + 8];
	const char *eq = strchr(item, '=');
	size_t name_len = eq != NULL ? (size_t)(eq - item) : strlen(item);
	char why[160] = "";
	enum k6_status st;
	size_t i;

	k6_escape(shown, sizeof(shown), item, name_len, false);
	if (name_len == 0 || name_len > KEY_MAX) {
		snprintf(err, errlen, "unknown option '%s'", shown);
		return K6_CONFIG;
	}
	memcpy(name, item, name_len);
	name[name_len] = '\0';

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i].name, name) == 0)
			break;
	if (i == sizeof(keys) / sizeof(keys[0])) {
		snprintf(err, errlen, "unknown option '%s'", shown);
		return K6_CONFIG;
	}
	if (o->seen & (1UL << i)) {
		snprintf(err, errlen, "option '%s' given more than once", name);
		return K6_CONFIG;
	}
	o->seen |= 1UL << i;

	if (keys[i].set == NULL) {
		if (eq != NULL) {
			snprintf(err, errlen, "option '%s' takes no value", name);
			return K6_CONFIG;
		}
		*(bool *)((char *)o + keys[i].flag_offset) = true;
		return K6_OK;
	}
	if (eq == NULL || eq[1] == '\0') {
		snprintf(err, errlen, "option '%s' needs a value (%s=...)", name, name);
		return K6_CONFIG;
	}
	st = keys[i].set(o, eq + 1, why, sizeof(why));
	if (st == K6_CONFIG)
		snprintf(err, errlen, "option '%s': value %s", name,
			 why[0] != '\0' ? why : "is invalid");
	else if (st == K6_NOMEM)
		snprintf(err, errlen, "out of memory");
	return st;
}

enum k6_status k6_options_check(const struct k6_options *o, char *err, size_t errlen)
{
	if (o->users != NULL && o->stack_url != NULL) {
		/* One source of truth: with a users file, each line names its stack. */
		snprintf(err, errlen, "options 'users' and 'stack_url' exclude each other");
		return K6_CONFIG;
	}
	if (o->users != NULL && o->stack_id != 0) {
		snprintf(err, errlen,
			 "options 'users' and 'stack_id' exclude each other "
			 "(a users line pins its own stack ID)");
		return K6_CONFIG;
	}
	if (o->users == NULL && o->stack_url == NULL) {
		snprintf(err, errlen, "option 'stack_url' (or 'users') is required");
		return K6_CONFIG;
	}
	if (o->cache_ttl > 0 && o->offline_ttl > 0 && o->offline_ttl < o->cache_ttl) {
		snprintf(err, errlen, "option 'offline_ttl' must be at least 'cache_ttl'");
		return K6_CONFIG;
	}
	if (o->try_first_pass && o->use_first_pass) {
		snprintf(err, errlen,
			 "options 'try_first_pass' and 'use_first_pass' exclude each other");
		return K6_CONFIG;
	}
	return K6_OK;
}

enum k6_status k6_options_from_args(struct k6_options *o, int argc, const char **argv, char *err,
				    size_t errlen)
{
	int i;

	k6_options_new_source(o);
	for (i = 0; i < argc; i++) {
		enum k6_status st = k6_options_set(o, argv[i], err, errlen);
		if (st != K6_OK)
			return st;
	}
	return k6_options_check(o, err, errlen);
}
