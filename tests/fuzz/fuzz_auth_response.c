/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the answer-body parser and the error-body describer.  The body comes
 * from the network and is not NUL-terminated, so it is handed over in a buffer
 * of exactly its length: AddressSanitizer then reports any read past it.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log_safe.h"
#include "net/auth_response.h"

/* What k6_client.c gives the describer. */
#define DETAIL_LEN (K6_REASON_MAX - 32)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A value the parser accepts must be the one json-c itself reads for that key
 * with the same settings.  json-c cuts keys at an escaped NUL ("stack_id\u0000"
 * becomes "stack_id") where JSON sees two different keys; such bodies prove
 * nothing and are left out.
 */
static void check_against_json_c(const char *body, size_t len, const char *key, int64_t got)
{
	json_tokener *tok;
	json_object *root;
	json_object *v;

	if (memmem(body, len, "\\u0000", 6) != NULL)
		return;
	tok = json_tokener_new_ex(16);
	if (tok == NULL)
		return;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, body, (int)len);
	if (root == NULL || !json_object_object_get_ex(root, key, &v) ||
	    !json_object_is_type(v, json_type_int) || json_object_get_int64(v) != got)
		__builtin_trap();
	json_object_put(root);
	json_tokener_free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* malloc(0) still gives a pointer that ASan knows to be zero bytes long. */
	char *body = malloc(size);
	char *detail = malloc(DETAIL_LEN);
	struct k6_auth_result res;
	const char *why = NULL;
	enum k6_status st;

	if (body == NULL || detail == NULL)
		goto out;
	memcpy(body, data, size);

	st = k6_auth_response_parse(body, size, &res, &why);
	if (st == K6_OK) {
		if (res.stack_id < 1 || res.default_project_id < 1)
			__builtin_trap();
		check_against_json_c(body, size, "stack_id", res.stack_id);
		check_against_json_c(body, size, "default_project_id", res.default_project_id);
	} else if (st == K6_UNAVAILABLE) {
		if (why == NULL || why[0] == '\0' || res.stack_id != 0 ||
		    res.default_project_id != 0)
			__builtin_trap();
	} else if (st != K6_NOMEM) {
		__builtin_trap();
	}

	k6_error_response_describe(body, size, detail, DETAIL_LEN);
	check_log_safe(detail, DETAIL_LEN, true);
out:
	free(body);
	free(detail);
	return 0;
}
