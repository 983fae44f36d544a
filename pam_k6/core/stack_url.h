/* SPDX-License-Identifier: MIT */
/*
 * The two URLs pam_k6 works with: the Grafana stack (sent in X-Stack-Url,
 * compared by the server byte for byte) and the base of the k6 API.
 * Pure functions: no I/O, no global state.
 */
#ifndef K6_STACK_URL_H
#define K6_STACK_URL_H

#include "base/k6_status.h"

#define K6_DEFAULT_API_URL "https://api.k6.io"

/*
 * Turn a slug ("alpha"), a host ("alpha.grafana.net", "grafana.example.com")
 * or a URL ("HTTPS://Alpha.Grafana.NET/x?y") into "scheme://host[:port]":
 * lower-case scheme and host, default port dropped, no user, path, query,
 * fragment or trailing slash.  A bare label is a slug of grafana.net.
 *
 * On success returns K6_OK and a malloc'd string in *out.  Otherwise
 * K6_CONFIG with a static explanation in *why, or K6_NOMEM.
 */
enum k6_status k6_stack_url_normalise(const char *in, char **out, const char **why);

/*
 * Check and normalise the API base: "https://host[:port][/path]", lower-case
 * host, no user, query or fragment, no trailing slash.  Same returns.
 */
enum k6_status k6_api_url_normalise(const char *in, char **out, const char **why);

#endif
