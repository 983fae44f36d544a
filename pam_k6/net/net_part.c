/* SPDX-License-Identifier: MIT */
/* The network part's table: the one symbol its shared object exports. */
#include "config.h"

#include "core/late.h"
#include "net/k6_client.h"
#include "net/trust.h"

const struct k6_net_ops k6_net_part = {
	PACKAGE_VERSION, sizeof(struct k6_options), sizeof(struct k6_outcome), k6_client_validate,
	k6_trust_check,
};
