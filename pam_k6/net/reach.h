/* SPDX-License-Identifier: MIT */
/*
 * Whether a failed request shows that the API cannot be reached: only that
 * may let the offline window answer, so nothing that happened in this
 * process (a descriptor limit, a socket that could not be made) may pass
 * for it.  The evidence is gathered while the request runs.
 */
#ifndef K6_REACH_H
#define K6_REACH_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Descriptors a request may want at once, with room to spare: libcurl's
 * resolver thread (a socket pair) and glibc's resolver (a file or two and a
 * socket), two connection attempts, the trust store.
 */
#define K6_FD_HEADROOM 16

struct k6_reach {
	int opened;                /* sockets this request opened */
	bool socket_failed;        /* one could not be opened... */
	int socket_errno;          /* ...and why */
	bool short_of_descriptors; /* before the request, or after its failure */
	bool peer_answered;        /* a peer's certificate was seen (and not verified) */
	bool via_proxy;            /* proxy= is set: the first hop is the proxy */
	long proxy_code;           /* its answer to CONNECT (CURLINFO_HTTP_CONNECTCODE), or 0 */
	bool proxy_connected;      /* a connection to it was made, or kept from before */
};

/* Before the request: nothing seen yet, and the descriptors this process has free. */
void k6_reach_start(struct k6_reach *r);

/* A socket the request asked for: fd, or -1 and its errno. */
void k6_reach_socket(struct k6_reach *r, int fd, int err);

/*
 * A try failed on the peer's certificate: something answered at the API's
 * address, so no later failure of this request shows the API out of reach.
 */
void k6_reach_peer_answered(struct k6_reach *r);

/*
 * After a failure through proxy=: what the proxy said to CONNECT (0:
 * nothing), and whether the request had a connection to it, made now or
 * kept from an earlier request.
 */
void k6_reach_proxy(struct k6_reach *r, long connect_code, bool connected);

/*
 * After a failure rc (with the OS error libcurl saw): whether it shows the
 * API cannot be reached.  When it does not for a reason the log should
 * tell (it failed here, a peer answered, the proxy answered), note says so.
 */
bool k6_reach_judge(struct k6_reach *r, CURLcode rc, long os_errno, char *note, size_t len);

#endif
