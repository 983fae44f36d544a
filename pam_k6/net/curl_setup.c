/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "net/curl_setup.h"

/*
 * libcurl builds "Authorization: Bearer <token>" in buffers of its own (the
 * request it sends, the copies it keeps while sending) and frees them as
 * they are: in the host's heap, where the token would outlive the login.
 * So libcurl's memory is wiped before it goes back: the whole block, and a
 * block that grows is copied to a new one, never left behind by realloc.
 */
static void wiping_free(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

static void *wiping_realloc(void *p, size_t n)
{
	void *moved;
	size_t old;

	if (p == NULL)
		return malloc(n);
	/* At least a byte: NULL must mean that p is still there, unchanged. */
	moved = malloc(n != 0 ? n : 1);
	if (moved == NULL)
		return NULL;
	old = malloc_usable_size(p);
	memcpy(moved, p, old < n ? old : n);
	wiping_free(p);
	return moved;
}

/*
 * curl_global_init is not reentrant before libcurl 7.84; once per process
 * is enough, and the module stays loaded (-z nodelete), so this holds for
 * the process's life, and so do the memory functions.  libcurl takes them
 * only if it was not initialised before: in a host that uses libcurl
 * itself, its blocks are freed as the host chose.  curl_global_cleanup is
 * never called: the host may use libcurl itself.
 */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wiping_free, wiping_realloc,
					 strdup, calloc);
}

CURLcode k6_curl_setup(void)
{
	pthread_once(&global_once, global_init);
	return global_rc;
}
