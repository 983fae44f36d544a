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

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cache.h"

#define KEY_FILE "key"
#define LOCK_FILE "lock"
#define RECORD_MAX 256
/* Prune at most this often, seconds. */
#define PRUNE_EVERY 60
/* A clock that went back this far makes a record untrustworthy. */
#define CLOCK_SLACK 5

static bool trusted(const struct stat *st, off_t max_size)
{
	return S_ISREG(st->st_mode) && st->st_uid == 0 && (st->st_mode & 077) == 0 &&
	       st->st_size <= max_size;
}

/* Read exactly a trusted file of at most max bytes; its size in *len. */
static bool read_entry(int dir_fd, const char *name, char *buf, size_t max, size_t *len,
		       const char **problem)
{
	struct stat st;
	ssize_t n;
	int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	*problem = NULL;
	if (fd < 0) {
		if (errno == ELOOP)
			*problem = "is a symbolic link";
		return false;
	}
	if (fstat(fd, &st) != 0 || !trusted(&st, (off_t)max)) {
		*problem = "is not a file of root's that only root can read";
		close(fd);
		return false;
	}
	do
		n = read(fd, buf, max);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0 || (size_t)n != (size_t)st.st_size) {
		*problem = "cannot be read whole";
		return false;
	}
	*len = (size_t)n;
	return true;
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
		char tmp[64];
		const char *problem;
		size_t len = 0;
		bool linked;

		if (read_entry(c->dir_fd, KEY_FILE, (char *)c->key, sizeof(c->key), &len,
			       &problem)) {
			if (len == sizeof(c->key))
				return true;
			c->why = "the host key is malformed";
			return false;
		}
		if (problem != NULL || errno != ENOENT) {
			c->why = problem != NULL ? "the host key is not root's alone" :
						   "the host key cannot be read";
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

enum k6_status k6_cache_open(struct k6_cache *c, const char *dir)
{
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->dir_fd < 0 && errno == ENOENT && geteuid() == 0 && mkdir(dir, 0700) == 0)
		c->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->dir_fd < 0) {
		c->why = errno == EACCES ?
				 "the cache folder is root's; this process may not use it" :
				 "the cache folder cannot be opened";
		return K6_OK;
	}
	if (fstat(c->dir_fd, &st) != 0 || st.st_uid != 0 || (st.st_mode & 077) != 0) {
		c->why = "the cache folder is not root's alone (want owner root, mode 0700)";
		goto off;
	}
	c->writable = geteuid() == 0 && faccessat(c->dir_fd, ".", W_OK, AT_EACCESS) == 0;
	if (!host_key(c))
		goto off;
	if (!c->writable)
		c->why = "the cache folder is read-only for this process";
	return K6_OK;
off:
	close(c->dir_fd);
	c->dir_fd = -1;
	c->writable = false;
	return K6_OK;
}

void k6_cache_close(struct k6_cache *c)
{
	if (c->dir_fd >= 0)
		close(c->dir_fd);
	c->dir_fd = -1;
	explicit_bzero(c->key, sizeof(c->key));
}

/* Append a field with its length first, so no two triples read alike. */
static size_t put_field(unsigned char *buf, size_t at, const char *field)
{
	uint32_t len = (uint32_t)strlen(field);

	memcpy(buf + at, &len, sizeof(len));
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): the length comes first, no NUL */
	memcpy(buf + at + sizeof(len), field, len);
	return at + sizeof(len) + len;
}

void k6_cache_id(const struct k6_cache *c, const char *token, const char *stack_url,
		 const char *api_url, struct k6_cache_id *id)
{
	static const char domain[] = "pam_k6 cache v1";
	static const char hex[] = "0123456789abcdef";
	size_t size = sizeof(domain) + 3 * sizeof(uint32_t) + strlen(token) + strlen(stack_url) +
		      strlen(api_url);
	unsigned char *msg = malloc(size);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	size_t at;

	id->hex[0] = '\0';
	if (msg == NULL)
		return;
	memcpy(msg, domain, sizeof(domain));
	at = put_field(msg, sizeof(domain), token);
	at = put_field(msg, at, stack_url);
	at = put_field(msg, at, api_url);
	if (HMAC(EVP_sha256(), c->key, (int)sizeof(c->key), msg, at, mac, &mac_len) != NULL &&
	    mac_len == 32) {
		for (size_t i = 0; i < mac_len; i++) {
			id->hex[2 * i] = hex[mac[i] >> 4];
			id->hex[2 * i + 1] = hex[mac[i] & 0x0f];
		}
		id->hex[2 * (size_t)mac_len] = '\0';
	}
	/* The message holds the token. */
	explicit_bzero(msg, size);
	free(msg);
}

static int format_record(char *buf, size_t len, const struct k6_auth_result *r, int64_t created,
			 int64_t expires)
{
	return snprintf(buf, len,
			"pam_k6 cache 1\ncreated %" PRId64 "\nexpires %" PRId64
			"\nstack_id %" PRId64 "\nproject_id %" PRId64 "\n",
			created, expires, r->stack_id, r->default_project_id);
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

/* Parse a record strictly: it must be exactly what format_record writes. */
static bool parse_record(const char *buf, size_t len, struct k6_auth_result *r, int64_t *created,
			 int64_t *expires)
{
	static const char magic[] = "pam_k6 cache 1\n";
	const char *end = buf + len;
	const char *p = buf;
	char again[RECORD_MAX];
	int n;

	if (len > RECORD_MAX || len < sizeof(magic) - 1 || memcmp(p, magic, sizeof(magic) - 1) != 0)
		return false;
	p += sizeof(magic) - 1;
	if (!field(&p, end, "created ", created) || !field(&p, end, "expires ", expires) ||
	    !field(&p, end, "stack_id ", &r->stack_id) ||
	    !field(&p, end, "project_id ", &r->default_project_id) || p != end)
		return false;
	if (*created <= 0 || *expires < *created || r->stack_id <= 0 || r->default_project_id <= 0)
		return false;
	/* Leading zeros and the like: only the canonical spelling is a record. */
	n = format_record(again, sizeof(again), r, *created, *expires);
	return n > 0 && (size_t)n == len && memcmp(again, buf, len) == 0;
}

bool k6_cache_get(const struct k6_cache *c, const struct k6_cache_id *id, long max_age,
		  struct k6_cache_record *rec, const char **problem)
{
	char buf[RECORD_MAX];
	int64_t created;
	int64_t expires;
	time_t now = time(NULL);
	size_t len;

	*problem = NULL;
	if (c->dir_fd < 0 || id->hex[0] == '\0' || max_age <= 0)
		return false;
	if (!read_entry(c->dir_fd, id->hex, buf, sizeof(buf), &len, problem))
		return false;
	if (!parse_record(buf, len, &rec->result, &created, &expires)) {
		*problem = "is corrupt";
		return false;
	}
	if (created > (int64_t)now + CLOCK_SLACK) {
		*problem = "was written in the future";
		return false;
	}
	rec->created = (time_t)created;
	return (int64_t)now - created <= max_age && (int64_t)now <= expires;
}

bool k6_cache_put(const struct k6_cache *c, const struct k6_cache_id *id,
		  const struct k6_auth_result *r, long keep)
{
	char buf[RECORD_MAX];
	char tmp[64];
	time_t now = time(NULL);
	int n;

	if (c->dir_fd < 0 || !c->writable || id->hex[0] == '\0' || keep <= 0)
		return false;
	n = format_record(buf, sizeof(buf), r, (int64_t)now, (int64_t)now + keep);
	if (n <= 0 || (size_t)n >= sizeof(buf))
		return false;
	temp_name(tmp, sizeof(tmp), "rec");
	if (!create_exclusive(c->dir_fd, tmp, buf, (size_t)n, 0600))
		return false;
	if (renameat(c->dir_fd, tmp, c->dir_fd, id->hex) != 0) {
		unlinkat(c->dir_fd, tmp, 0);
		return false;
	}
	return true;
}

void k6_cache_delete(const struct k6_cache *c, const struct k6_cache_id *id)
{
	if (c->dir_fd >= 0 && c->writable && id->hex[0] != '\0')
		unlinkat(c->dir_fd, id->hex, 0);
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

static int by_age(const void *a, const void *b)
{
	const struct kept *x = a;
	const struct kept *y = b;

	return x->created < y->created ? -1 : x->created > y->created;
}

long k6_cache_prune(const struct k6_cache *c, size_t max_records)
{
	struct kept *kept = NULL;
	size_t nkept = 0;
	size_t cap = 0;
	long removed = 0;
	time_t now = time(NULL);
	struct dirent *de;
	struct stat st;
	DIR *dir = NULL;
	int lock;
	int scan_fd;

	if (c->dir_fd < 0 || !c->writable)
		return -1;
	lock = openat(c->dir_fd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock < 0)
		return -1;
	if (fstat(lock, &st) != 0 || !trusted(&st, 0) || now - st.st_mtime < PRUNE_EVERY ||
	    flock(lock, LOCK_EX | LOCK_NB) != 0) {
		close(lock);
		return -1;
	}
	futimens(lock, NULL);

	scan_fd = openat(c->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	dir = scan_fd >= 0 ? fdopendir(scan_fd) : NULL;
	if (dir == NULL) {
		if (scan_fd >= 0)
			close(scan_fd);
		goto out;
	}
	while ((de = readdir(dir)) != NULL) {
		char buf[RECORD_MAX];
		struct k6_auth_result r;
		const char *problem;
		int64_t created;
		int64_t expires;
		size_t len;

		if (strncmp(de->d_name, ".tmp-", 5) == 0) {
			/* A writer that died between create and rename. */
			if (fstatat(c->dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    now - st.st_mtime > PRUNE_EVERY &&
			    unlinkat(c->dir_fd, de->d_name, 0) == 0)
				removed++;
			continue;
		}
		if (!is_record_name(de->d_name))
			continue;
		if (!read_entry(c->dir_fd, de->d_name, buf, sizeof(buf), &len, &problem) ||
		    !parse_record(buf, len, &r, &created, &expires) || (int64_t)now > expires) {
			if (unlinkat(c->dir_fd, de->d_name, 0) == 0)
				removed++;
			continue;
		}
		if (nkept == cap) {
			size_t grown_cap = cap != 0 ? cap * 2 : 256;
			struct kept *grown = realloc(kept, grown_cap * sizeof(*kept));

			if (grown == NULL)
				goto out;
			kept = grown;
			cap = grown_cap;
		}
		kept[nkept].created = created;
		memcpy(kept[nkept].name, de->d_name, sizeof(kept[nkept].name));
		nkept++;
	}
	if (nkept > max_records) {
		size_t i;

		qsort(kept, nkept, sizeof(*kept), by_age);
		for (i = 0; i < nkept - max_records; i++)
			if (unlinkat(c->dir_fd, kept[i].name, 0) == 0)
				removed++;
	}
out:
	if (dir != NULL)
		closedir(dir);
	free(kept);
	flock(lock, LOCK_UN);
	close(lock);
	return removed;
}
