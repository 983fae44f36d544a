/* SPDX-License-Identifier: MIT */
/*
 * Preloaded by the tests: looks into every block handed to free() or
 * realloc() for the bytes of a secret ($K6_TEST_SECRET) and reports each
 * block that still holds them, naming the object the call came from, where
 * in the block the secret starts and what comes before it:
 *
 *   wipe_check: a block freed from libcurl.so.4+0x247b0 still holds the
 *   secret at offset 100, after "\x0d\x0aAuthorization: Bearer "
 *
 * (one line).  realloc() may leave the old block's bytes in memory it
 * frees, so any realloc() of a block that holds the secret is reported too.
 * In a sanitizer build, whose runtime owns malloc() and free(), it looks
 * through the sanitizer's free hook instead, without the caller's name.
 * At load it frees one copy of the secret through the free() the other
 * objects find, and says "wipe_check: armed" only if that copy was seen
 * here: the word is missing when another free() comes first and nothing
 * would be checked.  At exit
 * it prints how many blocks it looked into and how many held the secret.
 * Nothing here allocates: reports go out with write(2).
 */
#include "config.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void free(void *p);
void *realloc(void *p, size_t n);

static const char *secret;
static size_t secret_len;
static unsigned long checked;
static unsigned long hits;
static bool self_test;
static bool self_test_seen;
/* A sanitizer runtime owns malloc(): it calls on_free, and free() is not ours. */
static bool hooked;
static size_t (*sanitizer_size)(const volatile void *);

static void say(const char *s)
{
	ssize_t n = write(STDERR_FILENO, s, strlen(s));

	(void)n;
}

static void say_number(unsigned long v, int base)
{
	char buf[32];
	size_t at = sizeof(buf) - 1;

	buf[at] = '\0';
	do {
		buf[--at] = "0123456789abcdef"[v % (unsigned long)base];
		v /= (unsigned long)base;
	} while (v != 0 && at > 0);
	say(buf + at);
}

/* What comes before the secret in its block: up to 24 bytes, escaped. */
static void say_before(const char *block, const char *at)
{
	const char *p = at - block > 24 ? at - 24 : block;
	char c[5];

	say("\"");
	for (; p < at; p++) {
		unsigned char b = (unsigned char)*p;

		if (b >= 0x20 && b < 0x7f && b != '"' && b != '\\') {
			c[0] = (char)b;
			c[1] = '\0';
		} else {
			c[0] = '\\';
			c[1] = 'x';
			c[2] = "0123456789abcdef"[b >> 4];
			c[3] = "0123456789abcdef"[b & 15];
			c[4] = '\0';
		}
		say(c);
	}
	say("\"");
}

static void report(const char *what, const void *caller, const char *block, const char *at)
{
	Dl_info info;

	__atomic_add_fetch(&hits, 1, __ATOMIC_RELAXED);
	say("wipe_check: a block ");
	say(what);
	say(" from ");
	if (caller == NULL) {
		say("a caller the sanitizer hides");
	} else if (dladdr(caller, &info) != 0 && info.dli_fname != NULL) {
		const char *base = strrchr(info.dli_fname, '/');

		say(base != NULL ? base + 1 : info.dli_fname);
		say("+0x");
		say_number((unsigned long)((const char *)caller - (const char *)info.dli_fbase),
			   16);
	} else {
		say("0x");
		say_number((unsigned long)caller, 16);
	}
	say(" still holds the secret at offset ");
	say_number((unsigned long)(at - block), 10);
	say(", after ");
	say_before(block, at);
	say("\n");
}

/* Where the block p of n bytes, about to be given back, holds the secret; or NULL. */
static const char *find_secret(const void *p, size_t n)
{
	if (p == NULL || secret_len == 0)
		return NULL;
	__atomic_add_fetch(&checked, 1, __ATOMIC_RELAXED);
	return memmem(p, n, secret, secret_len);
}

static void seen(const char *what, const void *caller, const char *block, const char *at)
{
	if (at == NULL)
		return;
	if (self_test)
		self_test_seen = true;
	else
		report(what, caller, block, at);
}

/*
 * dlsym may itself free memory while it looks the next free() up: what it
 * frees then is let go of (a few bytes, once), not passed back into dlsym.
 */
static void *next(const char *name, void **slot)
{
	static __thread bool resolving;
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (fn == NULL && !resolving) {
		resolving = true;
		fn = dlsym(RTLD_NEXT, name);
		resolving = false;
		__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	}
	return fn;
}

void free(void *p)
{
	static void *next_free;
	void (*fn)(void *);

	if (!hooked && p != NULL)
		seen("freed", __builtin_return_address(0), p,
		     find_secret(p, malloc_usable_size(p)));
	*(void **)&fn = next("free", &next_free);
	if (fn != NULL)
		fn(p);
}

void *realloc(void *p, size_t n)
{
	static void *next_realloc;
	void *(*fn)(void *, size_t);

	if (!hooked && p != NULL)
		seen("reallocated", __builtin_return_address(0), p,
		     find_secret(p, malloc_usable_size(p)));
	*(void **)&fn = next("realloc", &next_realloc);
	return fn != NULL ? fn(p, n) : NULL;
}

/*
 * The sanitizer calls this just before it takes a block back, the old one
 * of a realloc() too (it always moves), while the block can still be read.
 */
static void on_free(const volatile void *p)
{
	const void *block = (const void *)p;

	if (block != NULL)
		seen("freed", NULL, block, find_secret(block, sanitizer_size(p)));
}

static void on_malloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
}

/* In a sanitizer build, look into blocks through its hooks instead. */
static void hook_sanitizer(void)
{
	int (*install)(void (*)(const volatile void *, size_t), void (*)(const volatile void *));

	*(void **)&install = dlsym(RTLD_DEFAULT, "__sanitizer_install_malloc_and_free_hooks");
	*(void **)&sanitizer_size = dlsym(RTLD_DEFAULT, "__sanitizer_get_allocated_size");
	if (install != NULL && sanitizer_size != NULL && install(on_malloc, on_free) != 0)
		hooked = true;
}

__attribute__((constructor)) static void wipe_check_start(void)
{
	void (*global_free)(void *);
	char *copy;

	secret = getenv("K6_TEST_SECRET");
	if (secret == NULL || secret[0] == '\0')
		return;
	hook_sanitizer();
	/* The free() every other object calls: this one, or one found before it. */
	*(void **)&global_free = dlsym(RTLD_DEFAULT, "free");
	if (global_free == NULL || (copy = malloc(strlen(secret) + 1)) == NULL) {
		say("wipe_check: cannot test itself\n");
		return;
	}
	memcpy(copy, secret, strlen(secret) + 1);
	secret_len = strlen(secret);
	self_test = true;
	global_free(copy);
	self_test = false;
	say(self_test_seen ? "wipe_check: armed\n" : "wipe_check: free() is not interposed\n");
}

__attribute__((destructor)) static void wipe_check_end(void)
{
	if (secret_len == 0)
		return;
	say("wipe_check: checked=");
	say_number(__atomic_load_n(&checked, __ATOMIC_RELAXED), 10);
	say(" held=");
	say_number(__atomic_load_n(&hits, __ATOMIC_RELAXED), 10);
	say("\n");
}
