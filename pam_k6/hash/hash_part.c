/* SPDX-License-Identifier: MIT */
/*
 * The hashing part: Nettle and libxcrypt behind one table (late.h), so that
 * pam_k6.so links neither and a process loads them only when a login uses
 * the cache or a tokens file.
 */
#include "config.h"

#include <crypt.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <string.h>

#include "core/cache.h"
#include "core/late.h"

_Static_assert(SHA256_DIGEST_SIZE == K6_CACHE_MAC_SIZE, "a record's name is one HMAC-SHA-256");

static void hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg, size_t msglen,
			uint8_t *digest)
{
	struct hmac_sha256_ctx ctx;

	hmac_sha256_set_key(&ctx, keylen, key);
	hmac_sha256_update(&ctx, msglen, msg);
	hmac_sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
	/* The context holds the key, and what it has hashed of the token. */
	explicit_bzero(&ctx, sizeof(ctx));
}

static int equal(const void *a, const void *b, size_t n)
{
	return memeql_sec(a, b, n);
}

const struct k6_hash_ops k6_hash_part = {
	.version = PACKAGE_VERSION,
	.hmac_sha256 = hmac_sha256,
	.checksalt = crypt_checksalt,
	.crypt_rn = crypt_rn,
	.gensalt_rn = crypt_gensalt_rn,
	.equal = equal,
};
