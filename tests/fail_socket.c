/* SPDX-License-Identifier: MIT */
/*
 * Preloaded by the tests: makes every TCP socket over IPv4 or IPv6 fail
 * to open with the errno in $K6_TEST_SOCKET_ERRNO, or fail to connect at
 * once with the errno in $K6_TEST_CONNECT_ERRNO, to show which failures
 * pam_k6 takes for an outage.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

int socket(int domain, int type, int protocol);
int connect(int fd, const struct sockaddr *addr, socklen_t len);

static int wanted_errno(const char *name)
{
	const char *value = getenv(name);

	return value != NULL ? (int)strtol(value, NULL, 10) : 0;
}

int socket(int domain, int type, int protocol)
{
	int (*next)(int, int, int);
	int e = wanted_errno("K6_TEST_SOCKET_ERRNO");

	if (e != 0 && (domain == AF_INET || domain == AF_INET6) && (type & 0xf) == SOCK_STREAM) {
		errno = e;
		return -1;
	}
	*(void **)&next = dlsym(RTLD_NEXT, "socket");
	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return next(domain, type, protocol);
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int (*next)(int, const struct sockaddr *, socklen_t);
	int e = wanted_errno("K6_TEST_CONNECT_ERRNO");

	if (e != 0 && addr != NULL && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)) {
		errno = e;
		return -1;
	}
	*(void **)&next = dlsym(RTLD_NEXT, "connect");
	if (next == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return next(fd, addr, len);
}
