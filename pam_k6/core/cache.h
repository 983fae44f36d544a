/* SPDX-License-Identifier: MIT */
/*
 * The validation cache: the API's last answer for a token, a stack, an API
 * and the settings that decide whom the request trusts, kept for cache_ttl
 * (logins without a request) and offline_ttl (logins while the API cannot
 * be reached).  A record is only ever a cached API answer: the site policy
 * is applied to it exactly as to a fresh one.
 *
 * Records are files named by HMAC-SHA-256, under a host secret, of the
 * token and those fields (k6_cache_name): the token is written nowhere.  The
 * store is reached through a descriptor of its folder (openat, renameat),
 * every file is created with O_EXCL and renamed into place, and a file that
 * is not exactly what pam_k6 writes (owner, mode, type, content) is ignored.
 * No PAM types here.
 */
#ifndef K6_CACHE_H
#define K6_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/k6_status.h"
#include "core/outcome.h"

#define K6_DEFAULT_CACHE_DIR "/var/cache/pam_k6"
/* Both windows are windows of exposure after a revocation: capped. */
#define K6_MAX_CACHE_TTL (24L * 3600)
#define K6_MAX_OFFLINE_TTL (30L * 24 * 3600)
/* Records beyond this many are pruned, the oldest first. */
#define K6_CACHE_MAX_RECORDS 10000

/* A record's name is an HMAC-SHA-256: this many bytes, twice as many hex digits. */
#define K6_CACHE_MAC_SIZE 32

struct k6_hash_ops;

struct k6_cache {
	int dir_fd; /* -1: no cache this time (why says so) */
	bool writable;
	unsigned char key[32];          /* the host secret */
	const struct k6_hash_ops *hash; /* the hashing part (late.h) */
	const char *why;                /* why the cache is off or read-only, for the log */
	char hash_why[200];             /* why the hashing part could not be loaded */
	char path_why[300];             /* why the folders that lead to it are not to be trusted */
};

/* A record's name: the hex HMAC of what it answers for; "" if none could be made. */
struct k6_cache_name {
	char hex[2 * K6_CACHE_MAC_SIZE + 1];
};

struct k6_cache_record {
	struct k6_auth_result result;
	time_t created;
	time_t expires;
	char stack_url[2100]; /* the stack the answer is for (not a secret) */
};

/*
 * Open (and, when the caller may, create 0700) the store at dir and its
 * host secret.  The store is reached as safe_file.h reaches a file: every
 * folder from / down to it root's, or sticky.  Never fails the login: on
 * any problem c->dir_fd is -1 and c->why explains, or c->writable is false.
 */
void k6_cache_open(struct k6_cache *c, const char *dir);
void k6_cache_close(struct k6_cache *c);

/*
 * The record name for the token and the fields that decide what the API's
 * answer means (the stack, the API, whom the request trusts); nothing is
 * written.
 */
void k6_cache_name(const struct k6_cache *c, const char *token, const char *const *fields,
		   size_t nfields, struct k6_cache_name *name);

/*
 * Read the record if it is no older than max_age seconds.  Returns true on
 * a usable record; *problem is set (and false returned) when an entry was
 * there but is not to be trusted: corrupt, foreign-owned, a link.
 */
bool k6_cache_get(const struct k6_cache *c, const struct k6_cache_name *name, long max_age,
		  struct k6_cache_record *rec, const char **problem);

/* Store the API's answer for stack_url, valid until now + keep seconds; false if not stored. */
bool k6_cache_put(const struct k6_cache *c, const struct k6_cache_name *name,
		  const struct k6_auth_result *r, const char *stack_url, long keep);

/* Forget the record: the API refused the token. */
void k6_cache_delete(const struct k6_cache *c, const struct k6_cache_name *name);

/*
 * Remove records past their expiry, and the oldest beyond max_records; at
 * most once a minute, under an exclusive lock.  Returns how many were
 * removed, or -1 if another process is pruning or it is not time yet.
 */
long k6_cache_prune(const struct k6_cache *c, size_t max_records);

/* One record of the store, as pam_k6ctl lists it. */
struct k6_cache_entry {
	char name[65];                 /* the HMAC: nothing to recover a token from */
	struct k6_cache_record record; /* valid when problem is NULL */
	const char *problem;           /* why the record would be ignored */
};

typedef void (*k6_cache_entry_fn)(void *ctx, const struct k6_cache_entry *e);

/* Hand every record to fn; how many there were, or -1 if the store cannot be read. */
long k6_cache_list(const struct k6_cache *c, k6_cache_entry_fn fn, void *ctx);

/*
 * Remove the records that are expired or not to be trusted, and with
 * expired_only false all the others too, under the lock a login's prune
 * takes (waiting for it).  Returns how many were removed, or -1.
 */
long k6_cache_purge(const struct k6_cache *c, bool expired_only);

#endif
