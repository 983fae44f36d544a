/* SPDX-License-Identifier: MIT */
/*
 * reuse_connection: one libcurl handle kept for the process, and with it
 * what libcurl keeps in a handle (the connection, the TLS session, a parsed
 * trust store), so that a process that authenticates many times does not
 * connect afresh each time.
 */
#ifndef K6_HANDLE_POOL_H
#define K6_HANDLE_POOL_H

#include <curl/curl.h>
#include <stdbool.h>

#include "core/options.h"

/*
 * A handle for one request.  With reuse_connection and the kept handle
 * free, that one (reset, *is_kept set, locked until it is given back);
 * otherwise a new handle of its own.  NULL when none can be made.
 */
CURL *k6_handle_take(const struct k6_options *o, bool *is_kept);

/* Give the handle back: the kept one is reset and unlocked, any other cleaned up. */
void k6_handle_give_back(CURL *h, bool is_kept);

#endif
