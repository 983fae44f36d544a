/* SPDX-License-Identifier: MIT */
/*
 * Whom the request trusts: ca_file or ca_path when given, else libcurl's
 * built-in store, whose hashed directory is tried alone first.
 */
#ifndef K6_TRUST_H
#define K6_TRUST_H

#include <curl/curl.h>
#include <stddef.h>

#include "base/k6_status.h"
#include "core/options.h"

/*
 * libcurl's built-in hashed directory for handle h, when it names one that
 * exists: the request's first try uses it alone; NULL otherwise.
 */
const char *k6_trust_default_directory(CURL *h);

/*
 * The trust store a request would use, described in what: ca_file or
 * ca_path when given (k6_options_check_trust has seen they can be read),
 * else libcurl's built-in bundle and folder, K6_CONFIG if neither holds a
 * certificate: what makes every login fail before it is tried.
 */
enum k6_status k6_trust_check(const struct k6_options *o, char *what, size_t len);

#endif
