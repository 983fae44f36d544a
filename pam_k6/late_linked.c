/* SPDX-License-Identifier: MIT */
/*
 * The late part linked in: for pam_k6ctl, the tests, the fuzzers and the
 * benchmark, which may load libcurl from the start.
 */
#include "config.h"

#include "late.h"

const struct k6_net_ops *k6_net(char *why, size_t len)
{
	(void)why;
	(void)len;
	return &k6_net_part;
}
