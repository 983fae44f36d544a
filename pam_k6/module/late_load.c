/* SPDX-License-Identifier: MIT */
/*
 * The late parts loaded: pam_k6.so opens a part's shared object (the
 * network, the hashes) the first time a login needs it, by the absolute
 * path fixed when it was built, never searched for.  The object must be a
 * regular file owned by root (K6_PART_OWNER) that no one else may change,
 * in a folder no one else may change, below folders that no one else may
 * change either (or sticky ones, as /tmp), and of this very build.  Once
 * loaded it stays loaded (as the module does, -z nodelete); a load that
 * failed is tried again by the next login, so that a fixed installation
 * needs no restart.
 */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/late.h"
#include "core/safe_file.h"

#if !defined(K6_NET_PART) || !defined(K6_HASH_PART)
#error "K6_NET_PART and K6_HASH_PART name the parts' shared objects"
#endif
#ifndef K6_PART_OWNER
#define K6_PART_OWNER 0
#endif

/* Larger than any shared object of pam_k6's: the size rule does not bind. */
#define PART_MAX ((size_t)256 * 1024 * 1024)

struct part {
	const char *path;
	const char *symbol;
	const void *table; /* set once loaded; never unset */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct part net = { K6_NET_PART, "k6_net_part", NULL };
static struct part hash = { K6_HASH_PART, "k6_hash_part", NULL };

/*
 * The object, its folder and every folder above are root's alone, checked on
 * descriptors; *load_path (malloc'd) names it through the folders checked.
 */
static bool trusted(const char *path, char **load_path, char *why, size_t len)
{
	static const struct k6_file_rules rules = { K6_PART_OWNER, S_IWGRP | S_IWOTH,
						    S_IWGRP | S_IWOTH, PART_MAX };
	struct stat st;
	char phrase[512];

	if (k6_find_trusted_file(path, &rules, &st, load_path, phrase, sizeof(phrase)) ==
	    K6_FILE_OK)
		return true;
	snprintf(why, len, "%s%s", path, phrase);
	free(*load_path);
	*load_path = NULL;
	return false;
}

static const void *load(struct part *p, char *why, size_t len)
{
	const void *table;
	char *load_path = NULL;
	void *handle;

	pthread_mutex_lock(&lock);
	table = p->table;
	if (table != NULL || !trusted(p->path, &load_path, why, len))
		goto out;
	/*
	 * By the folders just checked, which only root may change.  RTLD_LAZY
	 * binds nothing of ours late: the parts are linked -z now -z relro
	 * (tests/test_symbols.py), so ld.so binds every reference they make
	 * here, whatever the mode, and makes their GOT read-only before dlopen
	 * returns; a symbol missing from the libraries they need fails here,
	 * with "cannot load".  Only the libraries under libcurl that their
	 * distribution links lazily (Kerberos, GMP, librtmp, zlib...) bind each
	 * function at its first call, as they do under curl or any program;
	 * RTLD_NOW made them bind some 1,800 functions a login never calls,
	 * each lookup searching the host's libraries first
	 * (docs/performance.md).  A function missing from one of those then
	 * ends the process at its first call ("symbol lookup error"): the
	 * login fails all the same, as curl would.
	 */
	handle = dlopen(load_path, RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE);
	if (handle == NULL) {
		snprintf(why, len, "cannot load %s: %s", p->path, dlerror());
		goto out;
	}
	table = dlsym(handle, p->symbol);
	if (table == NULL)
		snprintf(why, len, "%s: no %s in it", p->path, p->symbol);
	/* The handle is not closed: RTLD_NODELETE keeps the object anyway. */
out:
	free(load_path);
	p->table = table;
	pthread_mutex_unlock(&lock);
	return table;
}

/* A part of another build would read our structures wrongly. */
static bool same_build(const struct part *p, const char *version, char *why, size_t len)
{
	if (strcmp(version, PACKAGE_VERSION) == 0)
		return true;
	snprintf(why, len,
		 "%s is of pam_k6 %s, this module of %s: reinstall, or restart the process",
		 p->path, version, PACKAGE_VERSION);
	return false;
}

const struct k6_net_ops *k6_net(char *why, size_t len)
{
	const struct k6_net_ops *ops = load(&net, why, len);

	if (ops == NULL || !same_build(&net, ops->version, why, len))
		return NULL;
	if (ops->options_size != sizeof(struct k6_options) ||
	    ops->outcome_size != sizeof(struct k6_outcome)) {
		snprintf(why, len, "%s was built with other structures than this module", net.path);
		return NULL;
	}
	return ops;
}

const struct k6_hash_ops *k6_hash(char *why, size_t len)
{
	const struct k6_hash_ops *ops = load(&hash, why, len);

	if (ops == NULL || !same_build(&hash, ops->version, why, len))
		return NULL;
	return ops;
}
