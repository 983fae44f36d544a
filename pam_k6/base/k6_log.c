/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "base/k6_log.h"

void k6_logf(k6_log_fn log, void *ctx, int priority, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (log == NULL)
		return;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): clang 14 misreads va_start when it inlines a variadic callee */
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log(ctx, priority, line);
}
