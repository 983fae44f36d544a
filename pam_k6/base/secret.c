/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

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

char *k6_secret_join(const char *a, const char *b, const char *c)
{
	const char *parts[] = { a, b, c };
	size_t lens[3];
	size_t at = 0;
	size_t i;
	char *s;

	for (i = 0; i < 3; i++) {
		lens[i] = strlen(parts[i]);
		at += lens[i];
	}
	s = malloc(at + 1);
	if (s == NULL)
		return NULL;
	for (at = 0, i = 0; i < 3; i++) {
		memcpy(s + at, parts[i], lens[i]);
		at += lens[i];
	}
	s[at] = '\0';
	return s;
}
