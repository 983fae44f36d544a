/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/secret.h"
#include "core/cache.h"
#include "core/late.h"
#include "core/safe_file.h"

#define KEY_FILE "key"
#define LOCK_FILE "lock"
/* A record: five numbers and a stack URL (stack_url.c's URL_MAX). */
#define RECORD_MAX 2300
/* Prune at most this often, seconds. */
#define PRUNE_EVERY 60
/* A clock that went back this far makes a record untrustworthy. */
#define CLOCK_SLACK 5

/*
 * Read an entry of the store, which must be root's and no one else's to
 * read, at most max bytes into buf (max + 1 bytes).  Anything but
 * K6_FILE_OK and K6_FILE_MISSING leaves a reason in *problem.
 */
static enum k6_file_verdict read_entry(int dir_fd, const char *name, size_t max, char *buf,
				       size_t *len, const char **problem)
{
	const struct k6_file_rules rules = { 0, 077, 077, max };
	char why[128];
	enum k6_file_verdict v =
		k6_read_file_at(dir_fd, name, &rules, buf, max + 1, len, why, sizeof(why));

	switch (v) {
	case K6_FILE_OK:
	case K6_FILE_MISSING:
		*problem = NULL;
		break;
	case K6_FILE_LINK:
		*problem = "is a symbolic link";
		break;
	case K6_FILE_UNTRUSTED:
		*problem = "is not a file of root's that only root can read";
		break;
	case K6_FILE_TOO_LARGE:
	case K6_FILE_ERROR:
		*problem = "cannot be read whole";
		break;
	}
	return v;
}

/* Create name in the folder with content, or fail if it exists: O_EXCL. */
static bool create_exclusive(int dir_fd, const char *name, const void *data, size_t len,
			     mode_t mode)
{
	int fd = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, data, len) == (ssize_t)len;
	if (close(fd) != 0)
		ok = false;
	if (!ok)
		unlinkat(dir_fd, name, 0);
	return ok;
}

static void temp_name(char *buf, size_t len, const char *what)
{
	static unsigned long counter;
	unsigned int noise = 0;

	if (getrandom(&noise, sizeof(noise), GRND_NONBLOCK) != (ssize_t)sizeof(noise))
		noise = (unsigned int)time(NULL);
	snprintf(buf, len, ".tmp-%s-%ld-%x-%lu", what, (long)getpid(), noise,
		 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
}

/*
 * The host secret: read it, or make it.  Two processes that make one at the
 * same time both write a temporary file and link it to "key"; link refuses
 * to replace, so exactly one wins and the other reads the winner's.
 */
static bool host_key(struct k6_cache *c)
{
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		unsigned char fresh[sizeof(c->key)];
		char buf[sizeof(c->key) + 1];
		char tmp[64];
		const char *problem;
		size_t len = 0;
		bool linked;

		switch (read_entry(c->dir_fd, KEY_FILE, sizeof(c->key), buf, &len, &problem)) {
		case K6_FILE_OK:
			memcpy(c->key, buf, sizeof(c->key));
			explicit_bzero(buf, sizeof(buf));
			if (len == sizeof(c->key))
				return true;
			c->why = "the host key is malformed";
			return false;
		case K6_FILE_MISSING:
			break;
		case K6_FILE_UNTRUSTED:
		case K6_FILE_LINK:
			c->why = "the host key is not root's alone";
			return false;
		case K6_FILE_TOO_LARGE:
			c->why = "the host key is malformed";
			return false;
		case K6_FILE_ERROR:
			c->why = "the host key cannot be read";
			return false;
		}
		if (!c->writable) {
			c->why = "no host key yet, and this process cannot make one";
			return false;
		}
		if (getrandom(fresh, sizeof(fresh), 0) != (ssize_t)sizeof(fresh)) {
			c->why = "getrandom failed";
			return false;
		}
		temp_name(tmp, sizeof(tmp), "key");
		linked = create_exclusive(c->dir_fd, tmp, fresh, sizeof(fresh), 0400) &&
			 linkat(c->dir_fd, tmp, c->dir_fd, KEY_FILE, 0) == 0;
		unlinkat(c->dir_fd, tmp, 0);
		explicit_bzero(fresh, sizeof(fresh));
		if (linked)
			continue; /* read back what is now the key */
		if (errno != EEXIST) {
			c->why = "the host key cannot be made";
			return false;
		}
	}
	c->why = "the host key cannot be read";
	return false;
}

/*
 * Make the missing store, 0700, in a folder root's alone, as the walk finds
 * it; false with why ("the cache folder cannot be made: ...") if not.
 */
static bool make_store(const char *dir, char *why, size_t whylen)
{
	static const struct k6_file_rules rules = { 0, 0, S_IWGRP | S_IWOTH, 0 };
	const char *slash = strrchr(dir, '/');
	char *parent = strndup(dir, slash != NULL && slash != dir ? (size_t)(slash - dir) : 1);
	char rule[300];
	bool made = false;
	int fd = -1;

	if (parent == NULL || slash == NULL || slash[1] == '\0')
		snprintf(rule, sizeof(rule), "%s", "it names no folder");
	else if ((fd = k6_open_folder_path(parent, &rules, NULL, rule, sizeof(rule))) < 0)
		; /* rule says why */
	else if (mkdirat(fd, slash + 1, 0700) != 0 && errno != EEXIST)
		snprintf(rule, sizeof(rule), "%s", strerror(errno));
	else
		made = true;
	if (!made)
		snprintf(why, whylen, "the cache folder cannot be made: %.260s", rule);
	if (fd >= 0)
		close(fd);
	free(parent);
	return made;
}

void k6_cache_open(struct k6_cache *c, const char *dir)
{
	static const struct k6_file_rules folder_rules = { 0, 077, 077, 0 };
	char why[128];
	int path_fd;

	memset(c, 0, sizeof(*c));
	c->dir_fd = -1;
	path_fd = k6_walk_folder_path(dir, &folder_rules, NULL, c->path_why, sizeof(c->path_why));
	if (path_fd < 0 && errno == ENOENT && geteuid() == 0) {
		if (!make_store(dir, c->path_why, sizeof(c->path_why))) {
			c->why = c->path_why;
			return;
		}
		path_fd = k6_walk_folder_path(dir, &folder_rules, NULL, c->path_why,
					      sizeof(c->path_why));
	}
	if (path_fd < 0) {
		c->why = errno == ENOENT ? "the cache folder cannot be opened" : c->path_why;
		return;
	}
	/* That very folder, for reading: its records are listed and read through it. */
	c->dir_fd = openat(path_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(path_fd);
	if (c->dir_fd < 0) {
		c->why = errno == EACCES ?
				 "the cache folder is root's; this process may not use it" :
				 "the cache folder cannot be opened";
		return;
	}
	if (!k6_folder_trusted(c->dir_fd, &folder_rules, why, sizeof(why))) {
		c->why = "the cache folder is not root's alone (want owner root, mode 0700)";
		goto off;
	}
	c->hash = k6_hash(c->hash_why, sizeof(c->hash_why));
	if (c->hash == NULL) {
		c->why = c->hash_why;
		goto off;
	}
	c->writable = geteuid() == 0 && faccessat(c->dir_fd, ".", W_OK, AT_EACCESS) == 0;
	if (!host_key(c))
		goto off;
	if (!c->writable)
		c->why = "the cache folder is read-only for this process";
	return;
off:
	close(c->dir_fd);
	c->dir_fd = -1;
	c->writable = false;
}

void k6_cache_close(struct k6_cache *c)
{
	if (c->dir_fd >= 0)
		close(c->dir_fd);
	c->dir_fd = -1;
	explicit_bzero(c->key, sizeof(c->key));
}

/* Append a field with its length first, so that no two lists read alike. */
static size_t put_field(unsigned char *buf, size_t at, const char *field)
{
	uint32_t len = (uint32_t)strlen(field);

	memcpy(buf + at, &len, sizeof(len));
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): the length comes first, no NUL */
	memcpy(buf + at + sizeof(len), field, len);
	return at + sizeof(len) + len;
}

void k6_cache_name(const struct k6_cache *c, const char *token, const char *const *fields,
		   size_t nfields, struct k6_cache_name *name)
{
	static const char domain[] = "pam_k6 cache v1";
	static const char hex[] = "0123456789abcdef";
	size_t size = sizeof(domain) + sizeof(uint32_t) + strlen(token);
	unsigned char mac[K6_CACHE_MAC_SIZE];
	unsigned char *msg;
	size_t at;
	size_t i;

	name->hex[0] = '\0';
	if (c->hash == NULL)
		return;
	for (i = 0; i < nfields; i++)
		size += sizeof(uint32_t) + strlen(fields[i]);
	msg = malloc(size);
	if (msg == NULL)
		return;
	memcpy(msg, domain, sizeof(domain));
	at = put_field(msg, sizeof(domain), token);
	for (i = 0; i < nfields; i++)
		at = put_field(msg, at, fields[i]);
	c->hash->hmac_sha256(c->key, sizeof(c->key), msg, at, mac);
	for (i = 0; i < sizeof(mac); i++) {
		name->hex[2 * i] = hex[mac[i] >> 4];
		name->hex[2 * i + 1] = hex[mac[i] & 0x0f];
	}
	name->hex[2 * sizeof(mac)] = '\0';
	explicit_bzero(mac, sizeof(mac));
	/* The message holds the token. */
	k6_free_secret_n(msg, size);
}

static int format_record(char *buf, size_t len, const struct k6_cache_record *rec)
{
	return snprintf(buf, len,
			"pam_k6 cache 2\ncreated %" PRId64 "\nexpires %" PRId64 "\nstack %s"
			"\nstack_id %" PRId64 "\nproject_id %" PRId64 "\n",
			(int64_t)rec->created, (int64_t)rec->expires, rec->stack_url,
			rec->result.stack_id, rec->result.default_project_id);
}

/* "label N\n" at *p, N a whole number from 0 to INT64_MAX; advance *p past it. */
static bool field(const char **p, const char *end, const char *label, int64_t *v)
{
	size_t n = strlen(label);
	const char *q = *p;

	if ((size_t)(end - q) <= n || memcmp(q, label, n) != 0)
		return false;
	q += n;
	*v = 0;
	if (q == end || *q < '0' || *q > '9')
		return false;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		if (*v > (INT64_MAX - (*q - '0')) / 10)
			return false;
		*v = *v * 10 + (*q - '0');
	}
	if (q == end || *q != '\n')
		return false;
	*p = q + 1;
	return true;
}

/* "stack URL\n" at *p: printable, no blanks, as a normalised URL is. */
static bool stack_field(const char **p, const char *end, char *url, size_t len)
{
	static const char label[] = "stack ";
	const char *q = *p;
	size_t n = 0;

	if ((size_t)(end - q) <= sizeof(label) - 1 || memcmp(q, label, sizeof(label) - 1) != 0)
		return false;
	for (q += sizeof(label) - 1; q<end && * q> 0x20 && *q < 0x7f; q++) {
		if (n + 1 >= len)
			return false;
		url[n++] = *q;
	}
	url[n] = '\0';
	if (n == 0 || q == end || *q != '\n')
		return false;
	*p = q + 1;
	return true;
}

/* Parse a record strictly: it must be exactly what format_record writes. */
static bool parse_record(const char *buf, size_t len, struct k6_cache_record *rec)
{
	static const char magic[] = "pam_k6 cache 2\n";
	const char *end = buf + len;
	const char *p = buf;
	char again[RECORD_MAX + 1];
	int64_t created;
	int64_t expires;
	int n;

	if (len > RECORD_MAX || len < sizeof(magic) - 1 || memcmp(p, magic, sizeof(magic) - 1) != 0)
		return false;
	p += sizeof(magic) - 1;
	if (!field(&p, end, "created ", &created) || !field(&p, end, "expires ", &expires) ||
	    !stack_field(&p, end, rec->stack_url, sizeof(rec->stack_url)) ||
	    !field(&p, end, "stack_id ", &rec->result.stack_id) ||
	    !field(&p, end, "project_id ", &rec->result.default_project_id) || p != end)
		return false;
	if (created <= 0 || expires < created || rec->result.stack_id <= 0 ||
	    rec->result.default_project_id <= 0)
		return false;
	rec->created = (time_t)created;
	rec->expires = (time_t)expires;
	/* Leading zeros and the like: only the canonical spelling is a record. */
	n = format_record(again, sizeof(again), rec);
	return n > 0 && (size_t)n == len && memcmp(again, buf, len) == 0;
}

bool k6_cache_get(const struct k6_cache *c, const struct k6_cache_name *name, long max_age,
		  struct k6_cache_record *rec, const char **problem)
{
	char buf[RECORD_MAX + 1];
	time_t now = time(NULL);
	size_t len;

	*problem = NULL;
	if (c->dir_fd < 0 || name->hex[0] == '\0' || max_age <= 0)
		return false;
	if (read_entry(c->dir_fd, name->hex, RECORD_MAX, buf, &len, problem) != K6_FILE_OK)
		return false;
	if (!parse_record(buf, len, rec)) {
		*problem = "is corrupt";
		return false;
	}
	if (rec->created > now + CLOCK_SLACK) {
		*problem = "was written in the future";
		return false;
	}
	return now - rec->created <= max_age && now <= rec->expires;
}

bool k6_cache_put(const struct k6_cache *c, const struct k6_cache_name *name,
		  const struct k6_auth_result *r, const char *stack_url, long keep)
{
	struct k6_cache_record rec;
	char buf[RECORD_MAX + 1];
	char tmp[64];
	int n;

	if (c->dir_fd < 0 || !c->writable || name->hex[0] == '\0' || keep <= 0 ||
	    strlen(stack_url) >= sizeof(rec.stack_url))
		return false;
	rec.result = *r;
	rec.created = time(NULL);
	rec.expires = rec.created + keep;
	snprintf(rec.stack_url, sizeof(rec.stack_url), "%s", stack_url);
	n = format_record(buf, sizeof(buf), &rec);
	if (n <= 0 || (size_t)n > RECORD_MAX)
		return false;
	temp_name(tmp, sizeof(tmp), "rec");
	if (!create_exclusive(c->dir_fd, tmp, buf, (size_t)n, 0600))
		return false;
	if (renameat(c->dir_fd, tmp, c->dir_fd, name->hex) != 0) {
		unlinkat(c->dir_fd, tmp, 0);
		return false;
	}
	return true;
}

void k6_cache_delete(const struct k6_cache *c, const struct k6_cache_name *name)
{
	if (c->dir_fd >= 0 && c->writable && name->hex[0] != '\0')
		unlinkat(c->dir_fd, name->hex, 0);
}

static bool is_record_name(const char *name)
{
	size_t i;

	for (i = 0; i < 64; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return false;
	return name[64] == '\0';
}

struct kept {
	int64_t created;
	char name[65];
};

/* The records a sweep leaves in place, to be trimmed to the bound. */
struct kept_list {
	struct kept *v;
	size_t n;
	size_t cap;
};

static int by_age(const void *a, const void *b)
{
	const struct kept *x = a;
	const struct kept *y = b;

	return x->created < y->created ? -1 : x->created > y->created;
}

static bool keep(struct kept_list *k, const char *name, int64_t created)
{
	if (k->n == k->cap) {
		size_t cap = k->cap != 0 ? k->cap * 2 : 256;
		struct kept *grown = realloc(k->v, cap * sizeof(*k->v));

		if (grown == NULL)
			return false;
		k->v = grown;
		k->cap = cap;
	}
	k->v[k->n].created = created;
	memcpy(k->v[k->n].name, name, sizeof(k->v[k->n].name));
	k->n++;
	return true;
}

/*
 * The lock that makes one process the pruner, taken only when the lock
 * file is root's alone.  A login's prune takes it only when the last prune
 * (the lock's mtime) is old enough and no one holds it; pam_k6ctl waits.
 */
static int take_prune_lock(const struct k6_cache *c, time_t now, bool wait)
{
	static const struct k6_file_rules lock_rules = { 0, 077, 077, 0 };
	char why[128];
	struct stat st;
	int lock = openat(c->dir_fd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (lock < 0)
		return -1;
	if (fstat(lock, &st) != 0 ||
	    k6_file_trusted(&st, &lock_rules, why, sizeof(why)) != K6_FILE_OK ||
	    (!wait && now - st.st_mtime < PRUNE_EVERY) ||
	    flock(lock, wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
		close(lock);
		return -1;
	}
	futimens(lock, NULL);
	return lock;
}

/* Remove one entry the sweep found stale; true if it is gone. */
static bool remove_entry(const struct k6_cache *c, const char *name)
{
	return unlinkat(c->dir_fd, name, 0) == 0;
}

/*
 * Go through the store once: remove what a writer left half-made, and
 * records that are expired or not to be trusted; list the others in k.
 * false if memory ran out (k is then incomplete).
 */
static bool sweep(const struct k6_cache *c, time_t now, struct kept_list *k, long *removed)
{
	int scan_fd = openat(c->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = scan_fd >= 0 ? fdopendir(scan_fd) : NULL;
	struct dirent *de;
	bool ok = true;

	if (dir == NULL) {
		if (scan_fd >= 0)
			close(scan_fd);
		return false;
	}
	while (ok && (de = readdir(dir)) != NULL) {
		char buf[RECORD_MAX + 1];
		struct k6_cache_record rec;
		const char *problem;
		struct stat st;
		size_t len;

		if (strncmp(de->d_name, ".tmp-", 5) == 0) {
			/* A writer that died between create and rename. */
			if (fstatat(c->dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    now - st.st_mtime > PRUNE_EVERY && remove_entry(c, de->d_name))
				(*removed)++;
			continue;
		}
		if (!is_record_name(de->d_name))
			continue;
		if (read_entry(c->dir_fd, de->d_name, RECORD_MAX, buf, &len, &problem) !=
			    K6_FILE_OK ||
		    !parse_record(buf, len, &rec) || now > rec.expires) {
			if (remove_entry(c, de->d_name))
				(*removed)++;
			continue;
		}
		ok = keep(k, de->d_name, rec.created);
	}
	closedir(dir);
	return ok;
}

/* Remove the oldest records beyond max_records. */
static long trim_oldest(const struct k6_cache *c, struct kept_list *k, size_t max_records)
{
	long removed = 0;
	size_t i;

	if (k->n <= max_records)
		return 0;
	qsort(k->v, k->n, sizeof(*k->v), by_age);
	for (i = 0; i < k->n - max_records; i++)
		if (remove_entry(c, k->v[i].name))
			removed++;
	return removed;
}

/* Sweep the store, then trim it to max_records, under the prune lock. */
static long sweep_and_trim(const struct k6_cache *c, size_t max_records, bool wait)
{
	struct kept_list kept = { NULL, 0, 0 };
	time_t now = time(NULL);
	long removed = 0;
	int lock;

	if (c->dir_fd < 0 || !c->writable)
		return -1;
	lock = take_prune_lock(c, now, wait);
	if (lock < 0)
		return -1;
	if (sweep(c, now, &kept, &removed))
		removed += trim_oldest(c, &kept, max_records);
	free(kept.v);
	flock(lock, LOCK_UN);
	close(lock);
	return removed;
}

long k6_cache_prune(const struct k6_cache *c, size_t max_records)
{
	return sweep_and_trim(c, max_records, false);
}

long k6_cache_list(const struct k6_cache *c, k6_cache_entry_fn fn, void *ctx)
{
	int scan_fd;
	DIR *dir;
	struct dirent *de;
	long n = 0;

	if (c->dir_fd < 0)
		return -1;
	scan_fd = openat(c->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = scan_fd >= 0 ? fdopendir(scan_fd) : NULL;
	if (dir == NULL) {
		if (scan_fd >= 0)
			close(scan_fd);
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		struct k6_cache_entry e;
		char buf[RECORD_MAX + 1];
		size_t len;

		if (!is_record_name(de->d_name))
			continue;
		memset(&e, 0, sizeof(e));
		memcpy(e.name, de->d_name, sizeof(e.name));
		if (read_entry(c->dir_fd, de->d_name, RECORD_MAX, buf, &len, &e.problem) ==
			    K6_FILE_OK &&
		    !parse_record(buf, len, &e.record))
			e.problem = "is corrupt";
		else if (e.problem == NULL && e.record.created == 0)
			continue; /* gone since the folder was read */
		fn(ctx, &e);
		n++;
	}
	closedir(dir);
	return n;
}

long k6_cache_purge(const struct k6_cache *c, bool expired_only)
{
	/* The sweep removes what is expired or untrusted; the trim, the rest. */
	return sweep_and_trim(c, expired_only ? SIZE_MAX : 0, true);
}
