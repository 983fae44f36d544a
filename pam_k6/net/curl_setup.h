/* SPDX-License-Identifier: MIT */
/*
 * libcurl's set-up for this process, done once: curl_global_init with
 * memory functions that wipe what libcurl frees, since its buffers held
 * the token.
 */
#ifndef K6_CURL_SETUP_H
#define K6_CURL_SETUP_H

#include <curl/curl.h>

/* CURLE_OK once libcurl is ready; the same answer on every later call. */
CURLcode k6_curl_setup(void);

#endif
