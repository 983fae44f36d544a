/* SPDX-License-Identifier: MIT */
/*
 * The one way pam_k6 lets go of memory that held a secret: the token, a
 * header that carries it, a proxy URL with a password, a key.
 */
#ifndef K6_SECRET_H
#define K6_SECRET_H

#include <stddef.h>

/* Wipe a string up to its NUL, then free it; NULL is fine. */
void k6_free_secret(char *s);

/* Wipe n bytes of p, then free it; NULL is fine. */
void k6_free_secret_n(void *p, size_t n);

/*
 * a, b and c end to end in one new string, for a string that holds a
 * secret: asprintf would leave copies in glibc's working buffer, which it
 * frees unwiped.  NULL when memory runs out.
 */
char *k6_secret_join(const char *a, const char *b, const char *c);

#endif
