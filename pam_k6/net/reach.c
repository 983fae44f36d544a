/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/reach.h"

/* Whether this process could not open K6_FD_HEADROOM more descriptors just now. */
static bool short_of_descriptors(void)
{
	int fds[K6_FD_HEADROOM];
	int n = 0;
	bool is_short = false;

	fds[0] = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fds[0] < 0)
		return true;
	for (n = 1; n < K6_FD_HEADROOM; n++) {
		fds[n] = fcntl(fds[0], F_DUPFD_CLOEXEC, 0);
		if (fds[n] < 0) {
			is_short = true;
			break;
		}
	}
	while (n-- > 0)
		close(fds[n]);
	return is_short;
}

/* Errors only the network or the far end can cause. */
static bool network_errno(int e)
{
	switch (e) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case EPIPE:
	case ETIMEDOUT:
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
	case ENETRESET:
		return true;
	default:
		return false;
	}
}

/*
 * Something failed here rather than on the network?  Describes it in what
 * (for the log) if so.
 */
static bool local_failure(const struct k6_reach *r, long os_errno, char *what, size_t len)
{
	if (r->socket_failed) {
		snprintf(what, len, "a socket could not be opened: %s", strerror(r->socket_errno));
		return true;
	}
	if (r->short_of_descriptors) {
		snprintf(what, len, "fewer than %d descriptors free", K6_FD_HEADROOM);
		return true;
	}
	if (os_errno != 0 && !network_errno((int)os_errno)) {
		snprintf(what, len, "%s", strerror((int)os_errno));
		return true;
	}
	return false;
}

/* The failures that may show the API cannot be reached; see k6_reach_judge(). */
static bool may_show_unreachable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return true;
	default:
		return false;
	}
}

/*
 * Through a proxy, only a proxy that could not be reached at all shows the
 * API out of reach.  Whatever the proxy said or did once it took the
 * connection (a CONNECT answered 403, 407, 429, 502, 504..., a connection
 * closed or left silent) is the proxy's: whoever runs it, or can load it,
 * chooses it, and an API down behind it looks the same.  Explained in note
 * when so.
 */
static bool proxy_answered(const struct k6_reach *r, char *note, size_t len)
{
	if (!r->via_proxy)
		return false;
	if (r->proxy_code != 0)
		snprintf(note, len, "; the proxy answered CONNECT with HTTP %ld", r->proxy_code);
	else if (r->proxy_connected)
		snprintf(note, len, "; the proxy took the connection, then failed it");
	else
		return false;
	return true;
}

/*
 * Whether a failure shows that the API cannot be reached, which alone may
 * let a cached answer stand in (offline_ttl); a failure here is described
 * in note.  Whoever controls this process (its descriptor
 * limit, its memory, whether it runs at all) must not be able to make a
 * working API look down, so only what was seen on the network counts, and
 * only the network path that could not be used at all.  The failures that
 * may count are curl 5 and 6 (resolve), 7 (connect), 28 (timeout), 52
 * (nothing), 55 and 56 (send and receive); any other (TLS, certificates,
 * pins, a malformed exchange) never does, nor does any HTTP answer.  Of
 * those:
 *
 * - None counts after a failure here (local_failure): a socket that could
 *   not be opened, whatever the errno; an OS error that is not a network one
 *   (EADDRNOTAVAIL, EACCES, ENOBUFS, ENOMEM...); or fewer than K6_FD_HEADROOM
 *   free descriptors before the request or after it failed.  The last is
 *   what covers the resolvers: glibc's, and libcurl's resolver thread, fail
 *   on EMFILE as "could not resolve host", and their errno is lost.
 * - curl 7 counts only with a network errno (refused, reset, unreachable,
 *   timed out) from a socket this request opened: CURLINFO_OS_ERRNO
 *   outlives a transfer on a kept handle.
 * - None counts once a try of this request failed on the peer's
 *   certificate (the second try with the bundle may then time out): a peer
 *   answered at the API's address, so the network was not cut.
 * - Through proxy=, none counts once the request had a connection to the
 *   proxy, made now or kept from an earlier request (proxy_answered): the
 *   proxy stands where the API's host stands without one, and only a proxy
 *   that cannot be resolved or connected to (5, 7, or 28 before any
 *   connection) shows the API out of reach.
 * - The others count when nothing local was seen.  A timeout also comes when
 *   the process is stopped; only root can stop a caller that root runs, and
 *   login.c gives no other caller the window.
 */
bool k6_reach_judge(struct k6_reach *r, CURLcode rc, long os_errno, char *note, size_t len)
{
	char local[64];

	if (!may_show_unreachable(rc))
		return false;
	if (r->peer_answered) {
		snprintf(note, len, "; a peer answered, with a certificate that did not verify");
		return false;
	}
	if (proxy_answered(r, note, len))
		return false;
	if (!r->short_of_descriptors)
		r->short_of_descriptors = short_of_descriptors();
	if (local_failure(r, os_errno, local, sizeof(local))) {
		snprintf(note, len, "; failed here, not on the network: %s", local);
		return false;
	}
	if (rc == CURLE_COULDNT_CONNECT)
		return r->opened > 0 && network_errno((int)os_errno);
	return true;
}

void k6_reach_start(struct k6_reach *r)
{
	memset(r, 0, sizeof(*r));
	r->short_of_descriptors = short_of_descriptors();
}

void k6_reach_socket(struct k6_reach *r, int fd, int err)
{
	if (fd >= 0) {
		r->opened++;
	} else if (!r->socket_failed) {
		r->socket_failed = true;
		r->socket_errno = err;
	}
}

void k6_reach_peer_answered(struct k6_reach *r)
{
	r->peer_answered = true;
}

void k6_reach_proxy(struct k6_reach *r, long connect_code, bool connected)
{
	r->via_proxy = true;
	r->proxy_code = connect_code;
	r->proxy_connected = connected;
}
