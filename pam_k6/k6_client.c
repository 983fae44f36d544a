#include "config.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "k6_client.h"
#include "log_escape.h"
#include "sigpipe.h"

#define AUTH_PATH "/cloud/v6/auth"

struct body {
	char *buf;
	size_t len;
	size_t cap;
	bool too_large;
	bool nomem;
};

/*
 * curl_global_init is not reentrant before libcurl 7.84; once per process
 * is enough, and the module stays loaded (-z nodelete), so this holds for
 * the process's life.  curl_global_cleanup is never called: the host may
 * use libcurl itself.
 */
static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void reason(struct k6_outcome *out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reason(struct k6_outcome *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): clang 14 misreads va_start when it inlines a variadic callee */
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
}

static void debugf(k6_debug_fn debug, void *ctx, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void debugf(k6_debug_fn debug, void *ctx, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (debug == NULL)
		return;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): as in reason() above */
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	debug(ctx, line);
}

/* Keep the body, refusing it as soon as it grows past the cap. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct body *b = userp;
	size_t n = size * nmemb;

	if (n > K6_BODY_MAX - b->len) {
		b->too_large = true;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 1024;
		char *grown;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (cap > K6_BODY_MAX + 1)
			cap = K6_BODY_MAX + 1;
		grown = realloc(b->buf, cap);
		if (grown == NULL) {
			b->nomem = true;
			return 0;
		}
		b->buf = grown;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wipe the header copies libcurl's list made before the list is freed. */
static void wipe_headers(struct curl_slist *headers)
{
	struct curl_slist *h;

	for (h = headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(headers);
}

static long ip_resolve(enum k6_ip_resolve r)
{
	switch (r) {
	case K6_IP_V4:
		return CURL_IPRESOLVE_V4;
	case K6_IP_V6:
		return CURL_IPRESOLVE_V6;
	case K6_IP_ANY:
		break;
	}
	return CURL_IPRESOLVE_WHATEVER;
}

static void classify_answer(struct k6_outcome *out, const struct body *b)
{
	char detail[K6_REASON_MAX - 32];
	const char *why = NULL;

	if (out->http_status == 200) {
		out->status = k6_auth_response_parse(b->buf, b->len, &out->result, &why);
		if (out->status != K6_OK)
			reason(out, "HTTP 200 with an unusable body: %s", why);
		return;
	}
	k6_error_response_describe(b->buf, b->len, detail, sizeof(detail));
	out->status =
		(out->http_status == 401 || out->http_status == 403) ? K6_DENIED : K6_UNAVAILABLE;
	out->unreachable =
		out->http_status == 429 || (out->http_status >= 500 && out->http_status <= 599);
	reason(out, "HTTP %ld%s%s", out->http_status, detail[0] != '\0' ? ": " : "", detail);
}

static void classify_failure(struct k6_outcome *out, CURLcode rc, const struct body *b,
			     const char *errbuf, const struct k6_options *o)
{
	/* Room for the longest fixed text of a reason, so the cut is never mid-escape. */
	char detail[K6_REASON_MAX - 100];

	if (b->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		out->status = K6_UNAVAILABLE;
		reason(out, "answer body larger than %zu bytes", K6_BODY_MAX);
		return;
	}
	if (rc == CURLE_OUT_OF_MEMORY || b->nomem) {
		out->status = K6_NOMEM;
		reason(out, "out of memory in libcurl");
		return;
	}
	k6_escape_str(detail, sizeof(detail), errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc),
		      true);
	if (rc == CURLE_SSL_CACERT_BADFILE) {
		/* A trust store that cannot be read is the site's mistake, not an outage. */
		out->status = K6_CONFIG;
		reason(out, "cannot load the trust store (%s): %s",
		       o->ca_file != NULL ? "ca_file" :
		       o->ca_path != NULL ? "ca_path" :
					    "system default",
		       detail);
		return;
	}
	out->status = K6_UNAVAILABLE;
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		out->unreachable = true;
		break;
	default:
		/* TLS, certificates, pins, proxies and the rest: not an outage. */
		break;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT)
		reason(out, "curl error %d, timed out (timeout=%.3gs connect_timeout=%.3gs): %s",
		       (int)rc, (double)o->timeout_ms / 1000.0,
		       (double)o->connect_timeout_ms / 1000.0, detail);
	else
		reason(out, "curl error %d: %s", (int)rc, detail);
}

enum k6_status k6_client_validate(const struct k6_options *o, const char *token,
				  struct k6_outcome *out, k6_debug_fn debug, void *ctx)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct body body = { NULL, 0, 0, false, false };
	struct curl_slist *headers = NULL;
	struct curl_slist *next;
	char *auth_header = NULL;
	char *stack_header = NULL;
	char *url = NULL;
	CURL *h = NULL;
	struct k6_sigpipe_guard pipe_guard;
	CURLcode rc = CURLE_OK;
	double start;

	memset(out, 0, sizeof(*out));
	out->status = K6_NOMEM;

	/*
	 * libcurl appends TLS session secrets to the file this names, read from
	 * the environment with no regard for set-user-ID: under sudo that is
	 * the user's environment, and the writer is root.
	 */
	if (getenv("SSLKEYLOGFILE") != NULL) {
		out->status = K6_CONFIG;
		reason(out, "SSLKEYLOGFILE is set in the environment; refusing to let libcurl "
			    "write TLS secrets");
		goto out;
	}
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		out->status = K6_UNAVAILABLE;
		reason(out, "libcurl could not be initialised: %s", curl_easy_strerror(global_rc));
		goto out;
	}
	if (asprintf(&url, "%s%s", o->api_url, AUTH_PATH) < 0) {
		url = NULL;
		goto out;
	}
	if (asprintf(&auth_header, "Authorization: Bearer %s", token) < 0) {
		auth_header = NULL;
		goto out;
	}
	if (asprintf(&stack_header, "X-Stack-Url: %s", o->stack_url) < 0) {
		stack_header = NULL;
		goto out;
	}
	h = curl_easy_init();
	if (h == NULL)
		goto out;

	/* curl_slist_append copies each string; the copies are wiped too. */
	next = curl_slist_append(headers, auth_header);
	if (next == NULL)
		goto out;
	headers = next;
	next = curl_slist_append(headers, stack_header);
	if (next == NULL)
		goto out;
	headers = next;
	next = curl_slist_append(headers, "Accept: application/json");
	if (next == NULL)
		goto out;
	headers = next;

	/*
	 * Any option libcurl refuses is fatal: each one here either keeps the
	 * token safe or keeps the login prompt bounded.
	 */
#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_HTTPGET, 1L);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, o->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	SET(CURLOPT_IPRESOLVE, ip_resolve(o->ip_resolve));
	/*
	 * "" turns off https_proxy, ALL_PROXY and friends from the environment,
	 * and an empty NOPROXY keeps NO_PROXY from steering around proxy=.
	 */
	SET(CURLOPT_PROXY, o->proxy != NULL ? o->proxy : "");
	SET(CURLOPT_NOPROXY, "");
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)K6_BODY_MAX);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, &body);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	/*
	 * A trust store given here replaces the built-in one: libcurl would
	 * otherwise keep its default bundle or directory beside it.
	 */
	if (o->ca_file != NULL || o->ca_path != NULL) {
		SET(CURLOPT_CAINFO, o->ca_file);
		SET(CURLOPT_CAPATH, o->ca_path);
	}
	if (o->pinned_pubkey != NULL)
		SET(CURLOPT_PINNEDPUBLICKEY, o->pinned_pubkey);
#undef SET
	if (rc != CURLE_OK) {
		out->status = rc == CURLE_OUT_OF_MEMORY ? K6_NOMEM : K6_CONFIG;
		reason(out, "libcurl refused an option: %s", curl_easy_strerror(rc));
		goto out;
	}

	debugf(debug, ctx, "GET %s X-Stack-Url=%s timeout=%ldms connect_timeout=%ldms", url,
	       o->stack_url, o->timeout_ms, o->connect_timeout_ms);
	start = now();
	k6_sigpipe_block(&pipe_guard);
	rc = curl_easy_perform(h);
	k6_sigpipe_restore(&pipe_guard);
	out->seconds = now() - start;

	if (rc != CURLE_OK) {
		classify_failure(out, rc, &body, errbuf, o);
	} else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->http_status);
		classify_answer(out, &body);
	}
	if (debug != NULL) {
		curl_off_t dns = 0, conn = 0, tls = 0, first = 0;

		curl_easy_getinfo(h, CURLINFO_NAMELOOKUP_TIME_T, &dns);
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &conn);
		curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &tls);
		curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &first);
		debugf(debug, ctx,
		       "answer: HTTP %ld, %zu body bytes; dns %.1fms connect %.1fms tls %.1fms "
		       "first byte %.1fms",
		       out->http_status, body.len, (double)dns / 1e3, (double)conn / 1e3,
		       (double)tls / 1e3, (double)first / 1e3);
	}

out:
	if (h != NULL)
		curl_easy_cleanup(h);
	wipe_headers(headers);
	if (auth_header != NULL) {
		explicit_bzero(auth_header, strlen(auth_header));
		free(auth_header);
	}
	free(stack_header);
	free(url);
	free(body.buf);
	if (out->status == K6_NOMEM && out->reason[0] == '\0')
		reason(out, "out of memory");
	return out->status;
}
