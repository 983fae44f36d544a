/* SPDX-License-Identifier: MIT */
/*
 * The floor for "make bench": the one request pam_k6 makes, with libcurl and
 * the options pam_k6/net/k6_client.c sets, and nothing else: no PAM, no option
 * parsing, no JSON.  Each request gets a fresh easy handle, as a login does.
 *
 *   floor [-n N] [-r] [-f CAFILE] [-d CAPATH] URL TOKEN STACK_URL
 *
 * Without -f and -d, libcurl's built-in trust store is used.  -r keeps one
 * easy handle for all requests (curl_easy_reset between them), so libcurl
 * may reuse the connection, the TLS session and the parsed trust store.  Prints one line
 * per request: "request N us=... tls_us=... reply_us=... tail_us=... status=..."
 * where tls_us is the time to the end of the TLS handshake, reply_us the
 * server's time from the request sent to the first byte of the answer, and
 * tail_us the time from that first byte to the last.  Exits 1 if any request
 * did not end with HTTP 200.
 *
 * Built as a shared object too (-DFLOOR_MODULE): then it has no main, and
 * tools/bench/floor_host.c loads it and calls floor_main, the way pam_k6.so
 * loads its network part (row (3m) of make bench).
 */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static size_t discard(char *data, size_t size, size_t nmemb, void *userp)
{
	(void)data;
	(void)userp;
	return size * nmemb;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static bool one_request(CURL *kept, const char *url, struct curl_slist *headers,
			const char *ca_file, const char *ca_path, bool own_store, long n)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_off_t tls = 0, pre = 0, first = 0, total = 0;
	long status = 0;
	CURLcode rc = CURLE_OK;
	double start = now_us();
	CURL *h = kept != NULL ? kept : curl_easy_init();

	if (h == NULL)
		return false;
	if (kept != NULL)
		curl_easy_reset(h);
#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(h, opt, val); \
	} while (0)
	/* The options of pam_k6/net/k6_client.c, in its order. */
	SET(CURLOPT_URL, url);
	SET(CURLOPT_HTTPGET, 1L);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_USERAGENT, "pam_k6-floor/1");
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, 10000L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	SET(CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_WHATEVER);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOPROXY, "");
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)65536);
	SET(CURLOPT_WRITEFUNCTION, discard);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	if (own_store) {
		SET(CURLOPT_CAINFO, ca_file);
		SET(CURLOPT_CAPATH, ca_path);
	}
#undef SET
	if (rc == CURLE_OK)
		rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &tls);
		curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pre);
		curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &first);
		curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total);
	}
	if (kept == NULL)
		curl_easy_cleanup(h);
	if (rc != CURLE_OK && errbuf[0] == '\0')
		snprintf(errbuf, sizeof(errbuf), "%s", curl_easy_strerror(rc));
	printf("request %ld us=%.0f tls_us=%ld reply_us=%ld tail_us=%ld status=%ld%s%s\n", n,
	       now_us() - start, (long)tls, (long)(first - pre), (long)(total - first), status,
	       rc != CURLE_OK ? " error=" : "", rc != CURLE_OK ? errbuf : "");
	return rc == CURLE_OK && status == 200;
}

int floor_main(int argc, char **argv);

int floor_main(int argc, char **argv)
{
	struct curl_slist *headers = NULL;
	const char *ca_file = NULL;
	const char *ca_path = NULL;
	char auth[512];
	char stack[512];
	bool own_store = false;
	CURL *kept = NULL;
	bool reuse = false;
	int failures = 0;
	long rounds = 1;
	long i;
	int opt;

	while ((opt = getopt(argc, argv, "n:rf:d:")) != -1) {
		switch (opt) {
		case 'n':
			rounds = strtol(optarg, NULL, 10);
			break;
		case 'r':
			reuse = true;
			break;
		case 'f':
			ca_file = optarg;
			own_store = true;
			break;
		case 'd':
			ca_path = optarg;
			own_store = true;
			break;
		default:
			fprintf(stderr,
				"usage: floor [-n N] [-r] [-f CAFILE] [-d CAPATH] URL TOKEN "
				"STACK_URL\n");
			return 2;
		}
	}
	if (argc - optind != 3 || rounds < 1)
		return 2;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", argv[optind + 1]);
	snprintf(stack, sizeof(stack), "X-Stack-Url: %s", argv[optind + 2]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (reuse && (kept = curl_easy_init()) == NULL)
		return 3;
	headers = curl_slist_append(headers, auth);
	headers = curl_slist_append(headers, stack);
	headers = curl_slist_append(headers, "Accept: application/json");
	if (headers == NULL)
		return 3;
	for (i = 1; i <= rounds; i++)
		if (!one_request(kept, argv[optind], headers, ca_file, ca_path, own_store, i))
			failures++;
	if (kept != NULL)
		curl_easy_cleanup(kept);
	curl_slist_free_all(headers);
	return failures == 0 ? 0 : 1;
}

#ifndef FLOOR_MODULE
int main(int argc, char **argv)
{
	return floor_main(argc, argv);
}
#endif
