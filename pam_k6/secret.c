/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "secret.h"

void k6_free_secret(char *s)
{
	if (s != NULL)
		k6_free_secret_n(s, strlen(s));
}

void k6_free_secret_n(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}
