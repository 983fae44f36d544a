/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stack_url.h"

#define URL_MAX 2048
#define HOST_MAX 253
#define LABEL_MAX 63

struct url_parts {
	bool has_scheme;
	bool https; /* else http */
	bool has_userinfo;
	bool has_query; /* a '?' or '#' follows the path */
	bool ipv6;
	char host[HOST_MAX + 1];
	unsigned long port; /* 0 when absent */
	const char *path;   /* starts with '/' or is empty */
	size_t path_len;
};

static char lower(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c + ('a' - 'A'));
	return c;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Host name labels (RFC 1123), or a dotted IPv4 address, which they cover. */
static bool valid_host_name(const char *host)
{
	size_t label = 0;
	const char *p;

	if (*host == '\0' || strlen(host) > HOST_MAX)
		return false;
	for (p = host; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!is_alnum(*p) && *p != '-')
			return false;
		if (label == 0 && *p == '-')
			return false;
		if (++label > LABEL_MAX)
			return false;
	}
	return label != 0 && p[-1] != '-';
}

static bool parse_port(const char *s, size_t len, unsigned long *port)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port = v;
	return true;
}

/* Printable ASCII without spaces, and not too long. */
static bool check_text(const char *in, const char **why)
{
	size_t len;
	size_t i;

	if (in == NULL || in[0] == '\0') {
		*why = "is empty";
		return false;
	}
	len = strnlen(in, URL_MAX + 1);
	if (len > URL_MAX) {
		*why = "is too long";
		return false;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x21 || c > 0x7e) {
			*why = "has spaces, control characters or non-ASCII bytes";
			return false;
		}
	}
	return true;
}

/* "https://" or "http://" (any case), or none (https); *rest is past it. */
static bool parse_scheme(const char *in, struct url_parts *u, const char **rest, const char **why)
{
	/* A scheme can only come before the first '/', '?' or '#'. */
	const char *p = strstr(in, "://");
	char scheme[6];
	size_t slen;
	size_t i;

	*rest = in;
	if (p == NULL || (size_t)(p - in) >= strcspn(in, "/?#")) {
		u->https = true;
		return true;
	}
	slen = (size_t)(p - in);
	if (slen == 0 || slen >= sizeof(scheme)) {
		*why = "has a scheme other than https or http";
		return false;
	}
	for (i = 0; i < slen; i++)
		scheme[i] = lower(in[i]);
	scheme[slen] = '\0';
	if (strcmp(scheme, "https") == 0) {
		u->https = true;
	} else if (strcmp(scheme, "http") != 0) {
		*why = "has a scheme other than https or http";
		return false;
	}
	u->has_scheme = true;
	*rest = p + 3;
	return true;
}

/* "[v6 address]" from host to end; *host_end is past the bracket. */
static bool parse_ipv6(const char *host, const char *end, struct url_parts *u,
		       const char **host_end, const char **why)
{
	char addr[INET6_ADDRSTRLEN];
	struct in6_addr ignored;
	const char *close = memchr(host, ']', (size_t)(end - host));
	size_t alen;
	size_t i;

	if (close == NULL) {
		*why = "has an unterminated IPv6 address";
		return false;
	}
	alen = (size_t)(close - host - 1);
	if (alen == 0 || alen >= sizeof(addr)) {
		*why = "has a bad IPv6 address";
		return false;
	}
	memcpy(addr, host + 1, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET6, addr, &ignored) != 1) {
		*why = "has a bad IPv6 address";
		return false;
	}
	for (i = 0; i < alen; i++)
		addr[i] = lower(addr[i]);
	snprintf(u->host, sizeof(u->host), "[%s]", addr);
	u->ipv6 = true;
	*host_end = close + 1;
	if (*host_end != end && **host_end != ':') {
		*why = "has a bad IPv6 address";
		return false;
	}
	return true;
}

/* A host name or IPv4 address from host up to ':' or end, in lower case. */
static bool parse_host_name(const char *host, const char *end, struct url_parts *u,
			    const char **host_end, const char **why)
{
	size_t hlen;
	size_t i;

	*host_end = memchr(host, ':', (size_t)(end - host));
	if (*host_end == NULL)
		*host_end = end;
	hlen = (size_t)(*host_end - host);
	if (hlen == 0) {
		*why = "has no host name";
		return false;
	}
	if (hlen > HOST_MAX) {
		*why = "has a host name that is too long";
		return false;
	}
	for (i = 0; i < hlen; i++)
		u->host[i] = lower(host[i]);
	u->host[hlen] = '\0';
	if (!valid_host_name(u->host)) {
		*why = "has an invalid host name";
		return false;
	}
	return true;
}

/* "[user@]host[:port]" from auth to end. */
static bool parse_authority(const char *auth, const char *end, struct url_parts *u,
			    const char **why)
{
	const char *host = auth;
	const char *host_end;
	const char *p;

	for (p = auth; p < end; p++) {
		if (*p == '@') {
			u->has_userinfo = true;
			host = p + 1;
		}
	}
	if (*host == '[' ? !parse_ipv6(host, end, u, &host_end, why) :
			   !parse_host_name(host, end, u, &host_end, why))
		return false;
	if (host_end < end) { /* ":port" */
		if (!parse_port(host_end + 1, (size_t)(end - host_end - 1), &u->port)) {
			*why = "has a bad port";
			return false;
		}
		if (u->port == (u->https ? 443UL : 80UL))
			u->port = 0;
	}
	return true;
}

static bool split_url(const char *in, struct url_parts *u, const char **why)
{
	const char *auth;
	const char *auth_end;

	memset(u, 0, sizeof(*u));
	if (!check_text(in, why) || !parse_scheme(in, u, &auth, why))
		return false;
	auth_end = auth + strcspn(auth, "/?#");
	if (!parse_authority(auth, auth_end, u, why))
		return false;
	u->path = auth_end;
	u->path_len = strcspn(auth_end, "?#");
	u->has_query = auth_end[u->path_len] != '\0';
	/* Trailing slashes never matter; "https://x///" is "https://x". */
	while (u->path_len > 0 && u->path[u->path_len - 1] == '/')
		u->path_len--;
	return true;
}

static enum k6_status build(const struct url_parts *u, bool with_path, char **out)
{
	char port[24] = "";
	int path_len = with_path ? (int)u->path_len : 0;
	int n;

	if (u->port != 0)
		snprintf(port, sizeof(port), ":%lu", u->port);
	n = asprintf(out, "%s://%s%s%.*s", u->https ? "https" : "http", u->host, port, path_len,
		     u->path);
	if (n < 0) {
		*out = NULL;
		return K6_NOMEM;
	}
	return K6_OK;
}

enum k6_status k6_stack_url_normalise(const char *in, char **out, const char **why)
{
	struct url_parts u;

	*out = NULL;
	if (!split_url(in, &u, why))
		return K6_CONFIG;
	/* k6's rule: a bare slug is a stack on grafana.net. */
	if (!u.has_scheme && !u.ipv6 && strchr(u.host, '.') == NULL) {
		static const char suffix[] = ".grafana.net";
		size_t hlen = strlen(u.host);

		if (hlen + sizeof(suffix) > sizeof(u.host)) {
			*why = "has a host name that is too long";
			return K6_CONFIG;
		}
		memcpy(u.host + hlen, suffix, sizeof(suffix));
	}
	return build(&u, false, out);
}

static bool valid_path(const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = path[i];
		if (!is_alnum(c) && strchr("-._~!$&'()*+,;=:@%/", c) == NULL)
			return false;
	}
	return true;
}

enum k6_status k6_api_url_normalise(const char *in, char **out, const char **why)
{
	struct url_parts u;

	*out = NULL;
	if (!split_url(in, &u, why))
		return K6_CONFIG;
	if (!u.has_scheme || !u.https) {
		*why = "must start with https://";
		return K6_CONFIG;
	}
	if (u.has_userinfo) {
		*why = "must not carry a user name or password";
		return K6_CONFIG;
	}
	if (u.has_query) {
		*why = "must not have a query or fragment";
		return K6_CONFIG;
	}
	if (!valid_path(u.path, u.path_len)) {
		*why = "has a path with characters a URL cannot have";
		return K6_CONFIG;
	}
	return build(&u, true, out);
}
