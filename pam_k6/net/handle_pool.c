/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/secret.h"
#include "net/handle_pool.h"
#include "net/sigpipe.h"

/*
 * How long a kept handle serves: its connection, TLS session and parsed
 * trust store are never older than this, so a change to the trust store
 * reaches a long-lived process within it.
 */
#define KEPT_SECONDS 300.0

/*
 * The lock is only tried: a login that finds the handle busy makes a
 * handle of its own, as without the option, rather than wait for another
 * login.  The handle is remembered with the options its connections were
 * made under, when it was made, and the process that made it: a child of
 * fork() never uses its parent's handle, nor cleans it up (that would end
 * the parent's TLS session on the socket they share).
 */
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static CURL *kept;
static pid_t kept_pid;
static char *kept_for;
static double kept_since;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What a connection depends on; a proxy URL may carry credentials. */
static char *connection_key(const struct k6_options *o)
{
	char *key;

	if (asprintf(&key, "%s\n%s\n%s\n%s\n%s\n%d", o->api_url,
		     o->ca_file != NULL ? o->ca_file : "", o->ca_path != NULL ? o->ca_path : "",
		     o->pinned_pubkey != NULL ? o->pinned_pubkey : "",
		     o->proxy != NULL ? o->proxy : "", (int)o->ip_resolve) < 0)
		return NULL;
	return key;
}

/*
 * Every cleanup: a handle may hold a live TLS connection, whose close
 * writes close_notify to a socket the server may have reset, and some
 * libcurl builds let OpenSSL write to the socket itself, without
 * MSG_NOSIGNAL.
 */
static void cleanup_guarded(CURL *h)
{
	struct k6_sigpipe_guard pipe_guard;

	k6_sigpipe_block(&pipe_guard);
	curl_easy_cleanup(h);
	k6_sigpipe_restore(&pipe_guard);
}

CURL *k6_handle_take(const struct k6_options *o, bool *is_kept)
{
	char *key;

	*is_kept = false;
	if (!o->reuse_connection || pthread_mutex_trylock(&kept_lock) != 0)
		return curl_easy_init();
	if (kept != NULL && kept_pid != getpid()) {
		kept = NULL; /* the parent's: left alone, memory and all */
		k6_free_secret(kept_for);
		kept_for = NULL;
	}
	key = connection_key(o);
	if (key == NULL)
		goto fail;
	if (kept != NULL &&
	    (kept_for == NULL || strcmp(key, kept_for) != 0 || now() - kept_since > KEPT_SECONDS)) {
		cleanup_guarded(kept);
		kept = NULL;
	}
	if (kept == NULL) {
		kept = curl_easy_init();
		if (kept == NULL)
			goto fail;
		kept_pid = getpid();
		kept_since = now();
		k6_free_secret(kept_for);
		kept_for = key;
		key = NULL;
	}
	k6_free_secret(key);
	curl_easy_reset(kept);
	*is_kept = true;
	return kept;
fail:
	k6_free_secret(key);
	pthread_mutex_unlock(&kept_lock);
	return NULL;
}

void k6_handle_give_back(CURL *h, bool is_kept)
{
	if (!is_kept) {
		cleanup_guarded(h);
		return;
	}
	/* No pointer into this call's buffers (the token's header) stays set. */
	curl_easy_reset(h);
	pthread_mutex_unlock(&kept_lock);
}
