/* SPDX-License-Identifier: MIT */
/*
 * The late parts linked in: for pam_k6ctl, the tests, the fuzzers and the
 * benchmark, which may load libcurl, Nettle and libxcrypt from the start.
 */
#include "config.h"

#include "core/late.h"

const struct k6_net_ops *k6_net(char *why, size_t len)
{
	(void)why;
	(void)len;
	return &k6_net_part;
}

const struct k6_hash_ops *k6_hash(char *why, size_t len)
{
	(void)why;
	(void)len;
	return &k6_hash_part;
}
