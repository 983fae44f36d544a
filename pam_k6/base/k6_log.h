/* SPDX-License-Identifier: MIT */
/*
 * How the PAM-free parts speak: a line and a syslog priority, handed to
 * whoever called them (the module logs it with pam_syslog, pam_k6ctl
 * prints it).  Lines are escaped already and never hold a secret.
 */
#ifndef K6_LOG_H
#define K6_LOG_H

#include <syslog.h>

typedef void (*k6_log_fn)(void *ctx, int priority, const char *line);

/* Format a line and hand it on; log may be NULL, and then nothing happens. */
void k6_logf(k6_log_fn log, void *ctx, int priority, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
