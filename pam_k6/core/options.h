/* SPDX-License-Identifier: MIT */
/*
 * Module options: one table of keys, one setter.  The setter serves the
 * configuration file and the module arguments alike; a source that comes
 * later (the arguments) overrides an earlier one simply by being applied
 * last.
 */
#ifndef K6_OPTIONS_H
#define K6_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/k6_status.h"

#define K6_DEFAULT_PROMPT "k6 API token: "
#define K6_DEFAULT_TIMEOUT_MS 10000L
#define K6_DEFAULT_CONNECT_TIMEOUT_MS 5000L
/* Well under sshd's LoginGraceTime (120 s) even with a slow resolver. */
#define K6_MAX_TIMEOUT_MS 60000L

enum k6_ip_resolve {
	K6_IP_ANY,
	K6_IP_V4,
	K6_IP_V6,
};

/* Where an option's value came from, for pam_k6ctl check. */
enum k6_origin {
	K6_FROM_DEFAULT,
	K6_FROM_FILE, /* the configuration file, at origin_line[] */
	K6_FROM_ARGUMENT,
};

/* The variables a login may export, for export=; the token is export_token's. */
enum k6_export {
	K6_EXPORT_STACK_ID = 1 << 0,   /* K6_CLOUD_STACK_ID */
	K6_EXPORT_PROJECT_ID = 1 << 1, /* K6_CLOUD_PROJECT_ID */
	K6_EXPORT_STACK_URL = 1 << 2,  /* K6_CLOUD_STACK_URL */
	K6_EXPORT_API_URL = 1 << 3,    /* K6_CLOUD_HOST_V6, when api_url is not the default */
};
#define K6_EXPORT_ALL \
	(K6_EXPORT_STACK_ID | K6_EXPORT_PROJECT_ID | K6_EXPORT_STACK_URL | K6_EXPORT_API_URL)

/* How many keys the option table has. */
#define K6_OPTION_KEYS 25

struct k6_options {
	char *conf;       /* the configuration file named by conf= */
	char *users;      /* users file: who may log in, on which stack */
	char *tokens;     /* tokens file: which tokens may log in as whom; NULL: any */
	int64_t stack_id; /* 0, or the stack_id the API must answer */
	char *stack_url;  /* normalised */
	char *api_url;    /* normalised */
	char *ca_file;
	char *ca_path;
	char *pinned_pubkey;
	char *proxy; /* NULL: no proxy, whatever the environment says */
	char *prompt;
	long timeout_ms;
	long connect_timeout_ms;
	long cache_ttl;   /* seconds a cached answer saves a request; 0: off */
	long offline_ttl; /* seconds a cached answer stands in while the API is down */
	char *cache_dir;
	unsigned exports; /* enum k6_export bits: what a login exports */
	enum k6_ip_resolve ip_resolve;
	bool try_first_pass;
	bool use_first_pass;
	bool allow_root;
	bool export_token;
	bool nodelay;
	bool debug;
	bool reuse_connection; /* keep the connection for the process's next login */
	unsigned long seen;    /* keys set by the source being applied */
	/* The source being applied, and the configuration file's line. */
	enum k6_origin source;
	unsigned source_line;
	char *conf_read;          /* the configuration file that was read; NULL: none */
	const char *conf_missing; /* the default file, when it was looked for and is not there */
	enum k6_origin origin[K6_OPTION_KEYS];
	unsigned origin_line[K6_OPTION_KEYS];
};

/* Defaults; every pointer NULL except what has a default. */
enum k6_status k6_options_init(struct k6_options *o);

/* Free every string; the struct may be initialised again. */
void k6_options_free(struct k6_options *o);

/*
 * Apply one "key=value" or "flag" item (a flag may also say flag=yes or
 * flag=no).  A key repeated within one source, an unknown key, a bad
 * value or a value missing are errors.  Returns K6_OK, K6_CONFIG (with an
 * explanation naming the key in err) or K6_NOMEM.
 */
enum k6_status k6_options_set(struct k6_options *o, const char *item, char *err, size_t errlen);

/* Start a new source: its keys may override the previous source's. */
void k6_options_new_source(struct k6_options *o, enum k6_origin source);

/* Receives each problem found, already a whole sentence for the log. */
typedef void (*k6_problem_fn)(void *ctx, const char *problem);

/*
 * Apply module arguments, then check the result as a whole.  Every
 * problem goes to report; returns K6_CONFIG if there was one, K6_NOMEM
 * when memory ran out, else K6_OK.
 */
enum k6_status k6_options_from_args(struct k6_options *o, int argc, const char **argv,
				    k6_problem_fn report, void *ctx);

/* Checks across keys, and required keys; run after the last source. */
enum k6_status k6_options_check(const struct k6_options *o, k6_problem_fn report, void *ctx);

/*
 * The trust store named by ca_file or ca_path must be there for this
 * process to read, or every login fails: a configuration error, reported.
 */
enum k6_status k6_options_check_trust(const struct k6_options *o, k6_problem_fn report, void *ctx);

/* Each option in effect, in the table's order; value as shown, secrets masked. */
typedef void (*k6_option_fn)(void *ctx, const char *key, const char *value, enum k6_origin origin,
			     unsigned line);
void k6_options_each(const struct k6_options *o, k6_option_fn fn, void *ctx);

/*
 * "key=value key=value ...": every option in effect on one line, as the
 * debug log and pam_k6ctl show it.
 */
void k6_options_line(const struct k6_options *o, char *buf, size_t len);

/* Parse a stack ID: a whole number from 1 to INT64_MAX, nothing else. */
bool k6_parse_id(const char *s, int64_t *id);

/* Parse "10", "2.5", "0.25" seconds into milliseconds; false if malformed. */
bool k6_parse_seconds(const char *s, long *ms);

#endif
