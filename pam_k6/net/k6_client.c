/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/log_escape.h"
#include "base/secret.h"
#include "net/auth_response.h"
#include "net/curl_setup.h"
#include "net/handle_pool.h"
#include "net/k6_client.h"
#include "net/reach.h"
#include "net/sigpipe.h"
#include "net/trust.h"

#define AUTH_PATH "/cloud/v6/auth"

struct body {
	char *buf;
	size_t len;
	size_t cap;
	bool too_large;
	bool nomem;
};

/* One request, from its handle to its answer. */
struct request {
	CURL *h;
	bool is_kept; /* h is the kept handle of reuse_connection */
	char *url;
	struct curl_slist *headers;
	struct body body;
	char errbuf[CURL_ERROR_SIZE];
	/* The built-in trust directory tried alone first; NULL if not. */
	const char *default_dir;
	struct k6_reach reach; /* whether a failure shows the API out of reach */
};

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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A host that forks and execs keeps the connection to itself.  Whether the
 * socket could be made is noted: a failure here (EMFILE, ENFILE, ENOBUFS,
 * ENOMEM) happened in this process, not on the network.
 */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	int fd;

	(void)purpose;
	fd = socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
	k6_reach_socket(clientp, fd, errno);
	return fd;
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

/*
 * What must hold before anything is sent.  libcurl appends TLS session
 * secrets to the file SSLKEYLOGFILE names, read from the environment with
 * no regard for set-user-ID: under sudo that is the user's environment,
 * and the writer is root.
 */
static bool ready_to_send(struct k6_outcome *out)
{
	CURLcode rc;

	if (getenv("SSLKEYLOGFILE") != NULL) {
		out->status = K6_CONFIG;
		reason(out, "SSLKEYLOGFILE is set in the environment; refusing to let libcurl "
			    "write TLS secrets");
		return false;
	}
	rc = k6_curl_setup();
	if (rc != CURLE_OK) {
		out->status = K6_UNAVAILABLE;
		reason(out, "libcurl could not be initialised: %s", curl_easy_strerror(rc));
		return false;
	}
	return true;
}

/* The URL, the headers and a handle; false only when memory runs out. */
static bool build_request(struct request *req, const struct k6_options *o, const char *stack_url,
			  const char *token)
{
	char *auth = NULL;
	char *stack = NULL;
	bool ok = false;

	if (asprintf(&req->url, "%s%s", o->api_url, AUTH_PATH) < 0) {
		req->url = NULL;
		return false;
	}
	auth = k6_secret_join("Authorization: Bearer ", token, "");
	if (asprintf(&stack, "X-Stack-Url: %s", stack_url) < 0)
		stack = NULL;
	if (auth != NULL && stack != NULL) {
		/* curl_slist_append copies each line; request_free wipes the copies. */
		const char *lines[] = { auth, stack, "Accept: application/json" };
		size_t i;

		for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			struct curl_slist *next = curl_slist_append(req->headers, lines[i]);

			if (next == NULL)
				goto out;
			req->headers = next;
		}
		req->h = k6_handle_take(o, &req->is_kept);
		ok = req->h != NULL;
	}
out:
	k6_free_secret(auth);
	free(stack);
	return ok;
}

/*
 * Any option libcurl refuses is fatal: each one here either keeps the
 * token safe or keeps the login prompt bounded.
 */
static CURLcode set_options(struct request *req, const struct k6_options *o)
{
	CURL *h = req->h;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(h, opt, val); \
	} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_HTTPGET, 1L);
	/* One GET needs no more; HTTP/2 would copy the header into nghttp2's memory. */
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_HTTPHEADER, req->headers);
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
	SET(CURLOPT_WRITEDATA, &req->body);
	SET(CURLOPT_ERRORBUFFER, req->errbuf);
	SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
	SET(CURLOPT_OPENSOCKETDATA, &req->reach);
	/*
	 * A trust store given here replaces the built-in one: libcurl would
	 * otherwise keep its default bundle or directory beside it.
	 */
	if (o->ca_file != NULL || o->ca_path != NULL) {
		SET(CURLOPT_CAINFO, o->ca_file);
		SET(CURLOPT_CAPATH, o->ca_path);
	} else if ((req->default_dir = k6_trust_default_directory(h)) != NULL) {
		SET(CURLOPT_CAINFO, NULL);
		SET(CURLOPT_CAPATH, req->default_dir);
	}
	if (o->pinned_pubkey != NULL)
		SET(CURLOPT_PINNEDPUBLICKEY, o->pinned_pubkey);
#undef SET
	return rc;
}

bool k6_client_retry_limits(long timeout_ms, long connect_timeout_ms, long spent_ms,
			    long *retry_timeout_ms, long *retry_connect_ms)
{
	long left = timeout_ms - spent_ms;

	/* libcurl reads a limit of 0 as none at all. */
	if (left < K6_RETRY_MIN_MS)
		return false;
	*retry_timeout_ms = left;
	*retry_connect_ms = connect_timeout_ms < left ? connect_timeout_ms : left;
	return true;
}

/*
 * The second try: libcurl's built-in bundle beside the directory, in what
 * the first try left of the time limit, so that timeout= bounds the login
 * whole (at its 60 s, two full tries would outlast sshd's LoginGraceTime).
 */
static CURLcode retry_with_bundle(struct request *req, const struct k6_options *o, double spent,
				  k6_log_fn log, void *ctx)
{
	char *bundle = NULL;
	long timeout_ms = 0;
	long connect_ms = 0;
	CURLcode rc;

	if (curl_easy_getinfo(req->h, CURLINFO_CAINFO, &bundle) != CURLE_OK || bundle == NULL)
		return CURLE_PEER_FAILED_VERIFICATION;
	if (!k6_client_retry_limits(o->timeout_ms, o->connect_timeout_ms, (long)(spent * 1000.0),
				    &timeout_ms, &connect_ms)) {
		snprintf(req->errbuf, sizeof(req->errbuf),
			 "the peer did not verify against the default directory alone, "
			 "and too little time was left to try %s too",
			 bundle);
		return CURLE_OPERATION_TIMEDOUT;
	}
	if (o->debug)
		k6_logf(log, ctx, LOG_DEBUG,
			"the peer did not verify against the default directory alone: "
			"trying again with %s too, in the %ldms left",
			bundle, timeout_ms);
	free(req->body.buf);
	memset(&req->body, 0, sizeof(req->body));
	req->errbuf[0] = '\0';
	rc = curl_easy_setopt(req->h, CURLOPT_CAINFO, bundle);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(req->h, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(req->h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	return rc == CURLE_OK ? curl_easy_perform(req->h) : rc;
}

/* Run the request, with SIGPIPE kept from the host; its time in *seconds. */
static CURLcode perform(struct request *req, const struct k6_options *o, double *seconds,
			k6_log_fn log, void *ctx)
{
	struct k6_sigpipe_guard pipe_guard;
	double start = now();
	CURLcode rc;

	k6_sigpipe_block(&pipe_guard);
	rc = curl_easy_perform(req->h);
	if (rc == CURLE_PEER_FAILED_VERIFICATION && req->default_dir != NULL) {
		k6_reach_peer_answered(&req->reach);
		rc = retry_with_bundle(req, o, now() - start, log, ctx);
	}
	k6_sigpipe_restore(&pipe_guard);
	*seconds = now() - start;
	return rc;
}

/* An answer arrived: 200 and its body, or a refusal, or the API's trouble. */
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
	/*
	 * Any answer, a 5xx too, shows the API reached (out->unreachable stays
	 * false): the offline window is for a network path that could not be
	 * used at all, and a 429 or a 503 is what anyone who shares this host's
	 * address, or loads the API, can make it say.
	 */
	out->status =
		(out->http_status == 401 || out->http_status == 403) ? K6_DENIED : K6_UNAVAILABLE;
	reason(out, "HTTP %ld%s%s", out->http_status, detail[0] != '\0' ? ": " : "", detail);
}

/*
 * What the proxy did for a request that failed: its answer to CONNECT, and
 * whether the request had a connection to it.  libcurl counts a connection
 * once it is made (CURLINFO_NUM_CONNECTS); one kept from an earlier request
 * needs no socket of this one, but has the peer's address already.
 */
static void note_proxy(struct request *req)
{
	long code = 0;
	long connects = 0;
	char *ip = NULL;

	curl_easy_getinfo(req->h, CURLINFO_HTTP_CONNECTCODE, &code);
	curl_easy_getinfo(req->h, CURLINFO_NUM_CONNECTS, &connects);
	curl_easy_getinfo(req->h, CURLINFO_PRIMARY_IP, &ip);
	k6_reach_proxy(&req->reach, code,
		       connects > 0 || (req->reach.opened == 0 && ip != NULL && ip[0] != '\0'));
}

/* No answer arrived: say why, and whether the API could not be reached. */
static void classify_failure(struct k6_outcome *out, CURLcode rc, struct request *req,
			     const struct k6_options *o)
{
	/* Room for the longest fixed text of a reason, so the cut is never mid-escape. */
	char detail[K6_REASON_MAX - 100];
	const char *text = req->errbuf[0] != '\0' ? req->errbuf : curl_easy_strerror(rc);
	char note[100] = "";
	long os_errno = 0;

	if (req->body.too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		out->status = K6_UNAVAILABLE;
		reason(out, "answer body larger than %zu bytes", K6_BODY_MAX);
		return;
	}
	if (rc == CURLE_OUT_OF_MEMORY || req->body.nomem) {
		out->status = K6_NOMEM;
		reason(out, "out of memory in libcurl");
		return;
	}
	if (rc == CURLE_SSL_CACERT_BADFILE) {
		/* A trust store that cannot be read is the site's mistake, not an outage. */
		k6_escape_str(detail, sizeof(detail), text, true);
		out->status = K6_CONFIG;
		reason(out, "cannot load the trust store (%s): %s",
		       o->ca_file != NULL ? "ca_file" :
		       o->ca_path != NULL ? "ca_path" :
					    "system default",
		       detail);
		return;
	}
	out->status = K6_UNAVAILABLE;
	curl_easy_getinfo(req->h, CURLINFO_OS_ERRNO, &os_errno);
	if (o->proxy != NULL)
		note_proxy(req);
	out->unreachable = k6_reach_judge(&req->reach, rc, os_errno, note, sizeof(note));
	/* The note is never cut: curl's text gives up the room it takes. */
	k6_escape_str(detail, sizeof(detail) - strlen(note), text, true);
	if (rc == CURLE_OPERATION_TIMEDOUT)
		reason(out, "curl error %d, timed out (timeout=%.3gs connect_timeout=%.3gs): %s%s",
		       (int)rc, (double)o->timeout_ms / 1000.0,
		       (double)o->connect_timeout_ms / 1000.0, detail, note);
	else
		reason(out, "curl error %d: %s%s", (int)rc, detail, note);
}

static void classify(struct k6_outcome *out, CURLcode rc, struct request *req,
		     const struct k6_options *o)
{
	if (rc != CURLE_OK) {
		classify_failure(out, rc, req, o);
		return;
	}
	curl_easy_getinfo(req->h, CURLINFO_RESPONSE_CODE, &out->http_status);
	classify_answer(out, &req->body);
}

static void log_timing(const struct request *req, const struct k6_outcome *out, k6_log_fn log,
		       void *ctx)
{
	curl_off_t dns = 0, conn = 0, tls = 0, first = 0;
	long connects = 0;

	curl_easy_getinfo(req->h, CURLINFO_NAMELOOKUP_TIME_T, &dns);
	curl_easy_getinfo(req->h, CURLINFO_CONNECT_TIME_T, &conn);
	curl_easy_getinfo(req->h, CURLINFO_APPCONNECT_TIME_T, &tls);
	curl_easy_getinfo(req->h, CURLINFO_STARTTRANSFER_TIME_T, &first);
	curl_easy_getinfo(req->h, CURLINFO_NUM_CONNECTS, &connects);
	k6_logf(log, ctx, LOG_DEBUG,
		"answer: HTTP %ld, %zu body bytes; dns %.1fms connect %.1fms tls %.1fms "
		"first byte %.1fms; %s connection%s",
		out->http_status, req->body.len, (double)dns / 1e3, (double)conn / 1e3,
		(double)tls / 1e3, (double)first / 1e3, connects == 0 ? "a kept" : "a new",
		req->default_dir != NULL ? "; trust: the default directory" : "");
}

/*
 * Wipe the header copies libcurl's list made before the list is freed:
 * libcurl frees them with the host's free() when the host initialised it.
 */
static void request_free(struct request *req)
{
	struct curl_slist *h;

	if (req->h != NULL)
		k6_handle_give_back(req->h, req->is_kept);
	for (h = req->headers; h != NULL; h = h->next)
		explicit_bzero(h->data, strlen(h->data));
	curl_slist_free_all(req->headers);
	free(req->url);
	free(req->body.buf);
}

enum k6_status k6_client_validate(const struct k6_options *o, const char *stack_url,
				  const char *token, struct k6_outcome *out, k6_log_fn log,
				  void *ctx)
{
	struct request req;
	CURLcode rc;

	memset(out, 0, sizeof(*out));
	memset(&req, 0, sizeof(req));
	out->status = K6_NOMEM;
	if (!ready_to_send(out) || !build_request(&req, o, stack_url, token))
		goto out;
	rc = set_options(&req, o);
	if (rc != CURLE_OK) {
		out->status = rc == CURLE_OUT_OF_MEMORY ? K6_NOMEM : K6_CONFIG;
		reason(out, "libcurl refused an option: %s", curl_easy_strerror(rc));
		goto out;
	}
	if (o->debug)
		k6_logf(log, ctx, LOG_DEBUG,
			"GET %s X-Stack-Url=%s timeout=%ldms connect_timeout=%ldms", req.url,
			stack_url, o->timeout_ms, o->connect_timeout_ms);
	k6_reach_start(&req.reach);
	rc = perform(&req, o, &out->seconds, log, ctx);
	classify(out, rc, &req, o);
	if (o->debug)
		log_timing(&req, out, log, ctx);
out:
	request_free(&req);
	if (out->status == K6_NOMEM && out->reason[0] == '\0')
		reason(out, "out of memory");
	return out->status;
}
