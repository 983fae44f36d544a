/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "k6_client.h"
#include "log_escape.h"
#include "sigpipe.h"

#define AUTH_PATH "/cloud/v6/auth"
/*
 * With reuse_connection, how long a kept handle serves: its connection,
 * TLS session and parsed trust store are never older than this, so a
 * change to the trust store reaches a long-lived process within it.
 */
#define KEPT_SECONDS 300.0

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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * reuse_connection keeps one easy handle for the process, and with it what
 * libcurl keeps in a handle: the connection, the TLS session and a parsed
 * trust bundle.  The lock is only tried: a login that finds the handle busy
 * makes a handle of its own, as without the option, rather than wait for
 * another login.  The handle is remembered with the options its
 * connections were made under, when it was made, and the process that
 * made it: a child of fork() never uses its parent's handle, nor cleans it
 * up (that would end the parent's TLS session on the socket they share).
 */
static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static CURL *kept;
static pid_t kept_pid;
static char *kept_for;
static double kept_since;

static void free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
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

/* The handle for one request; *is_kept says it is the kept one, locked. */
static CURL *handle_take(const struct k6_options *o, bool *is_kept)
{
	struct k6_sigpipe_guard pipe_guard;
	char *key;

	*is_kept = false;
	if (!o->reuse_connection || pthread_mutex_trylock(&kept_lock) != 0)
		return curl_easy_init();
	if (kept != NULL && kept_pid != getpid()) {
		kept = NULL; /* the parent's: left alone, memory and all */
		free_secret(kept_for);
		kept_for = NULL;
	}
	key = connection_key(o);
	if (key == NULL)
		goto fail;
	if (kept != NULL && (strcmp(key, kept_for) != 0 || now() - kept_since > KEPT_SECONDS)) {
		k6_sigpipe_block(&pipe_guard);
		curl_easy_cleanup(kept);
		k6_sigpipe_restore(&pipe_guard);
		kept = NULL;
	}
	if (kept == NULL) {
		kept = curl_easy_init();
		if (kept == NULL)
			goto fail;
		kept_pid = getpid();
		kept_since = now();
		free_secret(kept_for);
		kept_for = key;
		key = NULL;
	}
	free_secret(key);
	curl_easy_reset(kept);
	*is_kept = true;
	return kept;
fail:
	free_secret(key);
	pthread_mutex_unlock(&kept_lock);
	return NULL;
}

static void handle_give_back(CURL *h, bool is_kept)
{
	if (!is_kept) {
		curl_easy_cleanup(h);
		return;
	}
	/* No pointer into this call's buffers (the token's header) stays set. */
	curl_easy_reset(h);
	pthread_mutex_unlock(&kept_lock);
}

/* A host that forks and execs keeps the connection to itself. */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	(void)clientp;
	(void)purpose;
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

/*
 * With neither ca_file nor ca_path, libcurl's built-in store is the trust:
 * on Debian and Ubuntu a bundle (/etc/ssl/certs/ca-certificates.crt) and a
 * hashed directory (/etc/ssl/certs) holding the same certificates.
 * OpenSSL parses a bundle whole for every TLS context, about 150
 * certificates (250 million instructions with OpenSSL 3.0, tens of
 * milliseconds); it looks a hashed directory up lazily, one small file per
 * issuer.  So when libcurl names a directory, the first try uses it alone,
 * and a peer that does not verify against it is tried once more with the
 * whole built-in store: whatever verified before still does.
 */
static const char *default_directory(CURL *h)
{
	char *dir = NULL;
	struct stat st;

	if (curl_easy_getinfo(h, CURLINFO_CAPATH, &dir) != CURLE_OK || dir == NULL ||
	    stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return dir;
}

/* The second try: libcurl's built-in bundle beside the directory. */
static CURLcode retry_with_bundle(CURL *h, struct body *b, char *errbuf, k6_debug_fn debug,
				  void *ctx)
{
	char *bundle = NULL;
	CURLcode rc;

	if (curl_easy_getinfo(h, CURLINFO_CAINFO, &bundle) != CURLE_OK || bundle == NULL)
		return CURLE_PEER_FAILED_VERIFICATION;
	debugf(debug, ctx,
	       "the peer did not verify against the default directory alone: "
	       "trying again with %s too",
	       bundle);
	free(b->buf);
	memset(b, 0, sizeof(*b));
	errbuf[0] = '\0';
	rc = curl_easy_setopt(h, CURLOPT_CAINFO, bundle);
	return rc == CURLE_OK ? curl_easy_perform(h) : rc;
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
	bool is_kept = false;
	const char *default_dir = NULL;
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
	h = handle_take(o, &is_kept);
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
	SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
	/*
	 * A trust store given here replaces the built-in one: libcurl would
	 * otherwise keep its default bundle or directory beside it.
	 */
	if (o->ca_file != NULL || o->ca_path != NULL) {
		SET(CURLOPT_CAINFO, o->ca_file);
		SET(CURLOPT_CAPATH, o->ca_path);
	} else if ((default_dir = default_directory(h)) != NULL) {
		SET(CURLOPT_CAINFO, NULL);
		SET(CURLOPT_CAPATH, default_dir);
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
	if (rc == CURLE_PEER_FAILED_VERIFICATION && default_dir != NULL)
		rc = retry_with_bundle(h, &body, errbuf, debug, ctx);
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
		long connects = 0;

		curl_easy_getinfo(h, CURLINFO_NAMELOOKUP_TIME_T, &dns);
		curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &conn);
		curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &tls);
		curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &first);
		curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
		debugf(debug, ctx,
		       "answer: HTTP %ld, %zu body bytes; dns %.1fms connect %.1fms tls %.1fms "
		       "first byte %.1fms; %s connection%s",
		       out->http_status, body.len, (double)dns / 1e3, (double)conn / 1e3,
		       (double)tls / 1e3, (double)first / 1e3, connects == 0 ? "a kept" : "a new",
		       default_dir != NULL ? "; trust: the default directory" : "");
	}

out:
	if (h != NULL)
		handle_give_back(h, is_kept);
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
