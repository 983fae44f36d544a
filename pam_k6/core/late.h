/* SPDX-License-Identifier: MIT */
/*
 * The parts of pam_k6 that load late, when a login first needs them:
 *   - the network (libcurl, json-c: the request and its answer), with the
 *     35 or so libraries libcurl brings: only a login that asks the API;
 *   - the hashes (Nettle's HMAC-SHA-256 for the cache's record names,
 *     libxcrypt for the tokens file): only a login that uses the cache or
 *     a tokens file.
 * Loading pam_k6.so costs a process next to nothing: a stack whose earlier
 * line decides, or a login refused before any of these, loads neither.
 *
 * Each part is reached through one table.  pam_k6.so loads it as a shared
 * object found by an absolute path fixed at build time (late_load.c);
 * pam_k6ctl, the tests, the fuzzers and the benchmark link the same code in
 * (late_linked.c).
 */
#ifndef K6_LATE_H
#define K6_LATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/k6_log.h"
#include "core/options.h"
#include "core/outcome.h"

struct k6_net_ops {
	/* A part built with another version, or other structures, is refused. */
	const char *version;
	size_t options_size;
	size_t outcome_size;
	enum k6_status (*validate)(const struct k6_options *o, const char *stack_url,
				   const char *token, struct k6_outcome *out, k6_log_fn log,
				   void *ctx);
	enum k6_status (*trust)(const struct k6_options *o, char *what, size_t len);
};

/* The symbol the part's shared object exports: its table, and nothing else. */
extern const struct k6_net_ops k6_net_part;

/*
 * The network part, or NULL with the reason in why (a shared object that
 * is missing, not root's alone, or of another build): then no request can
 * be made, and the login says so.  Safe to call from any thread.
 */
const struct k6_net_ops *k6_net(char *why, size_t len);

/* The hashing part: what the cache and the tokens file need of Nettle and libxcrypt. */
struct k6_hash_ops {
	const char *version; /* a part of another build is refused */
	/* HMAC-SHA-256 of msg under key, into digest (32 bytes). */
	void (*hmac_sha256)(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t msglen,
			    uint8_t *digest);
	/* libxcrypt's crypt_checksalt, crypt_rn and crypt_gensalt_rn. */
	int (*checksalt)(const char *setting);
	char *(*crypt_rn)(const char *phrase, const char *setting, void *data, int size);
	char *(*gensalt_rn)(const char *prefix, unsigned long count, const char *rbytes,
			    int nrbytes, char *output, int output_size);
	/* Nettle's memeql_sec: equal, in a time that does not depend on where they differ. */
	int (*equal)(const void *a, const void *b, size_t n);
};

extern const struct k6_hash_ops k6_hash_part;

/* The hashing part, or NULL with the reason in why; as k6_net(). */
const struct k6_hash_ops *k6_hash(char *why, size_t len);

#endif
