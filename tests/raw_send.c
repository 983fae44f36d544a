/* SPDX-License-Identifier: MIT */
/*
 * Preloaded by the tests: send() and sendto() without MSG_NOSIGNAL, so a
 * write to a connection the peer has reset raises SIGPIPE, as write() does.
 * That is how a TLS library writes when libcurl hands it the socket itself
 * (OpenSSL's own socket BIO) rather than writing through libcurl, as some
 * libcurl builds do: pam_k6 must then keep SIGPIPE from the host wherever
 * the connection may be written to, its close included.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	return sendto(fd, buf, len, flags, NULL, 0);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	ssize_t (*next)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);

	*(void **)&next = dlsym(RTLD_NEXT, "sendto");
	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return next(fd, buf, len, flags & ~MSG_NOSIGNAL, to, tolen);
}
