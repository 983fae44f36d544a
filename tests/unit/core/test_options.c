/* SPDX-License-Identifier: MIT */
/* Option parsing: every key, good and bad values, duplicates, precedence. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/options.h"

struct first {
	char *err;
	size_t len;
};

/* Keep the first problem reported, as the module does. */
static void first_problem(void *ctx, const char *problem)
{
	struct first *f = ctx;

	if (f->err[0] == '\0')
		snprintf(f->err, f->len, "%s", problem);
}

static enum k6_status parse(struct k6_options *o, const char **argv, int argc, char *err,
			    size_t errlen)
{
	struct first first = { err, errlen };

	err[0] = '\0';
	assert_int_equal(k6_options_init(o), K6_OK);
	return k6_options_from_args(o, argc, argv, first_problem, &first);
}

static void test_defaults(void **state)
{
	const char *argv[] = { "stack_url=alpha" };
	struct k6_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&o, argv, 1, err, sizeof(err)), K6_OK);
	assert_string_equal(o.stack_url, "https://alpha.grafana.net");
	assert_string_equal(o.api_url, "https://api.k6.io");
	assert_string_equal(o.prompt, "k6 API token: ");
	assert_int_equal(o.timeout_ms, 10000);
	assert_int_equal(o.connect_timeout_ms, 5000);
	assert_int_equal(o.ip_resolve, K6_IP_ANY);
	assert_null(o.ca_file);
	assert_null(o.ca_path);
	assert_null(o.proxy);
	assert_null(o.pinned_pubkey);
	assert_null(o.conf);
	assert_null(o.users);
	assert_int_equal(o.stack_id, 0);
	assert_int_equal(o.exports, K6_EXPORT_ALL);
	assert_false(o.try_first_pass || o.use_first_pass || o.allow_root || o.export_token ||
		     o.nodelay || o.debug || o.reuse_connection);
	k6_options_free(&o);
}

static void test_every_key(void **state)
{
	const char *argv[] = {
		"stack_url=https://Beta.Grafana.NET/",
		"api_url=https://127.0.0.1:8443/",
		"ca_file=/etc/ssl/test-ca.pem",
		"ca_path=/etc/ssl/certs",
		"pinned_pubkey=sha256//AAAA;sha256//BBBB",
		"proxy=http://proxy.example:3128",
		"timeout=2.5",
		"connect_timeout=0.25",
		"ip_resolve=ipv6",
		"prompt=k6 token: ",
		"try_first_pass",
		"allow_root",
		"export_token",
		"nodelay",
		"debug",
		"stack_id=9223372036854775807",
		"conf=/etc/security/other.conf",
		"reuse_connection",
	};
	struct k6_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&o, argv, sizeof(argv) / sizeof(argv[0]), err, sizeof(err)), K6_OK);
	assert_string_equal(o.stack_url, "https://beta.grafana.net");
	assert_string_equal(o.api_url, "https://127.0.0.1:8443");
	assert_string_equal(o.ca_file, "/etc/ssl/test-ca.pem");
	assert_string_equal(o.ca_path, "/etc/ssl/certs");
	assert_string_equal(o.pinned_pubkey, "sha256//AAAA;sha256//BBBB");
	assert_string_equal(o.proxy, "http://proxy.example:3128");
	assert_int_equal(o.timeout_ms, 2500);
	assert_int_equal(o.connect_timeout_ms, 250);
	assert_int_equal(o.ip_resolve, K6_IP_V6);
	assert_string_equal(o.prompt, "k6 token: ");
	assert_true(o.try_first_pass && o.allow_root && o.export_token && o.nodelay && o.debug &&
		    o.reuse_connection);
	assert_false(o.use_first_pass);
	assert_true(o.stack_id == INT64_MAX);
	assert_string_equal(o.conf, "/etc/security/other.conf");
	k6_options_free(&o);
}

static void test_users_file(void **state)
{
	const char *argv[] = { "users=/etc/security/pam_k6.users", "nodelay" };
	const char *with_stack[] = { "users=/etc/security/pam_k6.users", "stack_url=alpha" };
	const char *with_id[] = { "users=/etc/security/pam_k6.users", "stack_id=5" };
	struct k6_options o;
	char err[256] = "";

	(void)state;
	/* A users file names the stacks: stack_url is not needed... */
	assert_int_equal(parse(&o, argv, 2, err, sizeof(err)), K6_OK);
	assert_string_equal(o.users, "/etc/security/pam_k6.users");
	assert_null(o.stack_url);
	k6_options_free(&o);
	/* ...and not allowed beside it: one source of truth. */
	assert_int_equal(parse(&o, with_stack, 2, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, "'users' and 'stack_url' exclude each other"));
	k6_options_free(&o);
	assert_int_equal(parse(&o, with_id, 2, err, sizeof(err)), K6_CONFIG);
	assert_non_null(strstr(err, "'users' and 'stack_id' exclude each other"));
	k6_options_free(&o);
}

static void test_ids(void **state)
{
	static const struct {
		const char *in;
		int64_t want; /* 0: refused */
	} cases[] = {
		{ "1", 1 },
		{ "12345", 12345 },
		{ "9223372036854775807", INT64_MAX },
		{ "9223372036854775808", 0 },
		{ "0", 0 },
		{ "-1", 0 },
		{ "+1", 0 },
		{ "01", 0 },
		{ "1 ", 0 },
		{ "", 0 },
		{ "1e3", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t id = -7;
		bool ok = k6_parse_id(cases[i].in, &id);

		if (ok != (cases[i].want != 0) || (ok && id != cases[i].want))
			fail_msg("\"%s\": %s %lld", cases[i].in, ok ? "accepted as" : "refused",
				 (long long)id);
	}
}

static void test_bad_arguments(void **state)
{
	static const struct {
		const char *arg;
		const char *err_has; /* the key must be named */
	} cases[] = {
		{ "bogus", "'bogus'" },
		{ "bogus=1", "'bogus'" },
		{ "Stack_url=alpha", "'Stack_url'" },
		{ "=alpha", "unknown option" },
		{ "stack_url", "'stack_url' needs a value" },
		{ "stack_url=", "'stack_url' needs a value" },
		{ "stack_url=alpha beta", "'stack_url'" },
		{ "stack_url=ftp://alpha", "'stack_url'" },
		{ "api_url=http://api.k6.io", "'api_url'" },
		{ "api_url=file:///etc/passwd", "'api_url'" },
		{ "api_url=https://u:p@api.k6.io", "'api_url'" },
		{ "api_url=https://api.k6.io /x", "'api_url'" },
		{ "ca_file=relative.pem", "'ca_file'" },
		{ "ca_path=certs", "'ca_path'" },
		{ "pinned_pubkey=abc", "'pinned_pubkey'" },
		{ "proxy=proxy.example:3128", "'proxy'" },
		{ "proxy=http://a b", "'proxy'" },
		{ "timeout=0", "'timeout'" },
		{ "timeout=0.000", "'timeout'" },
		{ "timeout=-1", "'timeout'" },
		{ "timeout=61", "'timeout'" },
		{ "timeout=60.001", "'timeout'" },
		{ "timeout=1e3", "'timeout'" },
		{ "timeout=1.", "'timeout'" },
		{ ".5", "unknown option" },
		{ "timeout=.5", "'timeout'" },
		{ "timeout=1.2345", "'timeout'" },
		{ "timeout= 1", "'timeout'" },
		{ "timeout=10s", "'timeout'" },
		{ "timeout=99999999999999999999", "'timeout'" },
		{ "connect_timeout=abc", "'connect_timeout'" },
		{ "ip_resolve=IPv4", "'ip_resolve'" },
		{ "ip_resolve=both", "'ip_resolve'" },
		{ "prompt=a\nb", "'prompt'" },
		{ "debug=1", "'debug': value must be yes or no" },
		{ "nodelay=YES", "'nodelay': value must be yes or no" },
		{ "allow_root=", "'allow_root': value must be yes or no" },
		{ "a_very_long_option_name_that_is_not_known_at_all", "unknown option" },
		{ "bo\ngus", "6 bytes that are not a key" },
		{ "users=relative", "'users'" },
		{ "users=", "'users' needs a value" },
		{ "conf=relative.conf", "'conf'" },
		{ "stack_id=0", "'stack_id'" },
		{ "stack_id=-5", "'stack_id'" },
		{ "stack_id=abc", "'stack_id'" },
		{ "stack_id=9223372036854775808", "'stack_id'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = { "stack_url=alpha", cases[i].arg };
		struct k6_options o;
		char err[256] = "";
		/* "stack_url..." cases replace the first argument. */
		int first = strncmp(cases[i].arg, "stack_url", 9) == 0 ? 1 : 0;
		enum k6_status st = parse(&o, argv + first, 2 - first, err, sizeof(err));

		if (st != K6_CONFIG)
			fail_msg("\"%s\": status %d, want K6_CONFIG", cases[i].arg, st);
		if (strstr(err, cases[i].err_has) == NULL)
			fail_msg("\"%s\": error \"%s\" lacks \"%s\"", cases[i].arg, err,
				 cases[i].err_has);
		k6_options_free(&o);
	}
}

/* A mistaken item is refused without repeating what may be a secret. */
static void test_unknown_option_never_repeats_a_value(void **state)
{
	static const char *const cases[] = {
		"proxy http://ops:s3cret@proxy.example:3128",
		"http://ops:s3cret@proxy.example:3128",
		"s3cretk6token0123456789abcdefabcd",
		"0123456789abcdef0123456789abcdef",
		"s3cret",
		"s3cret=value",
		"s3cret-token",
		"k6s3cretk6s3cretk6s3cretk6s3cret",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = { "stack_url=alpha", cases[i] };
		struct k6_options o;
		char err[256] = "";

		assert_int_equal(parse(&o, argv, 2, err, sizeof(err)), K6_CONFIG);
		assert_non_null(strstr(err, "unknown option"));
		if (strstr(err, "s3cret") != NULL || strstr(err, "0123456789") != NULL)
			fail_msg("\"%s\": error \"%s\" repeats it", cases[i], err);
		k6_options_free(&o);
	}
}

/* A proxy's password is masked wherever options are shown, whatever it holds. */
static void test_proxy_password_never_shown(void **state)
{
	static const struct {
		const char *proxy;
		const char *shown;
	} cases[] = {
		{ "http://ops:s3cret@proxy.example:3128", "http://ops:***@proxy.example:3128" },
		{ "http://ops:pa#s3cret@proxy.example:3128", "http://ops:***@proxy.example:3128" },
		{ "http://ops:pa/s3cret@proxy.example:3128", "http://ops:***@proxy.example:3128" },
		{ "http://ops:pa?s3cret@proxy.example:3128", "http://ops:***@proxy.example:3128" },
		{ "http://ops:p@s3cret@proxy.example:3128", "http://ops:***@proxy.example:3128" },
		{ "socks5h://ops:s3cret@proxy.example:1080",
		  "socks5h://ops:***@proxy.example:1080" },
		{ "http://ops@proxy.example:3128", "http://ops@proxy.example:3128" },
		{ "http://proxy.example:3128", "http://proxy.example:3128" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char arg[128];
		char want[160];
		const char *argv[] = { "stack_url=alpha", arg };
		struct k6_options o;
		char line[2048];
		char err[256] = "";

		snprintf(arg, sizeof(arg), "proxy=%s", cases[i].proxy);
		snprintf(want, sizeof(want), " proxy=%s ", cases[i].shown);
		assert_int_equal(parse(&o, argv, 2, err, sizeof(err)), K6_OK);
		k6_options_line(&o, line, sizeof(line));
		if (strstr(line, want) == NULL || strstr(line, "s3cret") != NULL)
			fail_msg("proxy \"%s\": shown in \"%s\"", cases[i].proxy, line);
		k6_options_free(&o);
	}
}

static void test_duplicates_and_conflicts(void **state)
{
	static const struct {
		const char *argv[3];
		int argc;
		const char *err_has;
	} cases[] = {
		{ { "stack_url=alpha", "stack_url=beta" }, 2, "'stack_url' given more than once" },
		{ { "stack_url=alpha", "debug", "debug" }, 3, "'debug' given more than once" },
		{ { "stack_url=alpha", "timeout=1", "timeout=2" },
		  3,
		  "'timeout' given more than once" },
		{ { "stack_url=alpha", "try_first_pass", "use_first_pass" },
		  3,
		  "exclude each other" },
		{ { "debug", "nodelay" }, 2, "'stack_url' (or 'users') is required" },
		{ { NULL }, 0, "'stack_url' (or 'users') is required" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct k6_options o;
		char err[256] = "";
		const char **argv = (const char **)cases[i].argv;

		assert_int_equal(parse(&o, argv, cases[i].argc, err, sizeof(err)), K6_CONFIG);
		if (strstr(err, cases[i].err_has) == NULL)
			fail_msg("case %zu: error \"%s\" lacks \"%s\"", i, err, cases[i].err_has);
		k6_options_free(&o);
	}
}

static void test_later_source_overrides(void **state)
{
	struct k6_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(k6_options_init(&o), K6_OK);
	assert_int_equal(k6_options_set(&o, "stack_url=alpha", err, sizeof(err)), K6_OK);
	assert_int_equal(k6_options_set(&o, "timeout=3", err, sizeof(err)), K6_OK);
	k6_options_new_source(&o, K6_FROM_ARGUMENT);
	assert_int_equal(k6_options_set(&o, "stack_url=beta", err, sizeof(err)), K6_OK);
	assert_string_equal(o.stack_url, "https://beta.grafana.net");
	assert_int_equal(o.timeout_ms, 3000);
	assert_int_equal(k6_options_set(&o, "stack_url=gamma", err, sizeof(err)), K6_CONFIG);
	k6_options_free(&o);
}

static void test_flags_say_yes_or_no(void **state)
{
	struct k6_options o;
	char err[256] = "";

	(void)state;
	assert_int_equal(k6_options_init(&o), K6_OK);
	assert_int_equal(k6_options_set(&o, "export_token", err, sizeof(err)), K6_OK);
	assert_int_equal(k6_options_set(&o, "debug=yes", err, sizeof(err)), K6_OK);
	assert_int_equal(k6_options_set(&o, "nodelay=no", err, sizeof(err)), K6_OK);
	assert_true(o.export_token);
	assert_true(o.debug);
	assert_false(o.nodelay);
	/* A later source turns off what an earlier one turned on. */
	k6_options_new_source(&o, K6_FROM_ARGUMENT);
	assert_int_equal(k6_options_set(&o, "export_token=no", err, sizeof(err)), K6_OK);
	assert_false(o.export_token);
	assert_true(o.debug);
	k6_options_free(&o);
}

/* Collects what k6_options_each hands over. */
struct seen_options {
	char text[2048];
};

static void note_option(void *ctx, const char *key, const char *value, enum k6_origin origin,
			unsigned line)
{
	struct seen_options *seen = ctx;
	static const char *const names[] = { "default", "file", "argument" };
	size_t used = strlen(seen->text);

	snprintf(seen->text + used, sizeof(seen->text) - used, "%s=%s@%s:%u\n", key, value,
		 names[origin], line);
}

static void test_options_as_shown(void **state)
{
	const char *argv[] = { "stack_url=Alpha",      "timeout=2.5",
			       "connect_timeout=0.25", "proxy=http://ops:s3cret@proxy.example:3128",
			       "export_token",         "cache_ttl=60" };
	struct seen_options seen = { "" };
	struct k6_options o;
	char line[2048];
	char err[256] = "";

	(void)state;
	assert_int_equal(parse(&o, argv, 6, err, sizeof(err)), K6_OK);
	k6_options_line(&o, line, sizeof(line));
	assert_string_equal(line, "conf=none users=none tokens=none "
				  "stack_url=https://alpha.grafana.net "
				  "stack_id=none api_url=https://api.k6.io ca_file=(system) "
				  "ca_path=(system) pinned_pubkey=none "
				  "proxy=http://ops:***@proxy.example:3128 timeout=2.5 "
				  "connect_timeout=0.25 ip_resolve=any prompt=\"k6 API token: \" "
				  "cache_ttl=60 offline_ttl=0 cache_dir=/var/cache/pam_k6 "
				  "export=stack_id,project_id,stack_url,api_url "
				  "try_first_pass=no use_first_pass=no allow_root=no "
				  "export_token=yes nodelay=no debug=no reuse_connection=no");
	assert_null(strstr(line, "s3cret"));
	k6_options_each(&o, note_option, &seen);
	assert_non_null(strstr(seen.text, "\nstack_url=https://alpha.grafana.net@argument:0\n"));
	assert_non_null(strstr(seen.text, "\napi_url=https://api.k6.io@default:0\n"));
	k6_options_free(&o);

	/* One trust setting given: the system store is not in use. */
	argv[1] = "ca_file=/etc/ssl/k6.pem";
	assert_int_equal(parse(&o, argv, 2, err, sizeof(err)), K6_OK);
	k6_options_line(&o, line, sizeof(line));
	assert_non_null(strstr(line, " ca_file=/etc/ssl/k6.pem ca_path=none "));
	k6_options_free(&o);
}

/* export=: which variables a login exports, as set and as shown. */
static void test_exports(void **state)
{
	static const struct {
		const char *arg;
		unsigned want; /* ~0u: refused */
		const char *shown;
	} cases[] = {
		{ "export=stack_id", K6_EXPORT_STACK_ID, "stack_id" },
		{ "export=api_url,stack_id", K6_EXPORT_API_URL | K6_EXPORT_STACK_ID,
		  "stack_id,api_url" },
		{ "export=stack_id,project_id,stack_url,api_url", K6_EXPORT_ALL,
		  "stack_id,project_id,stack_url,api_url" },
		{ "export=stack_url,project_id", K6_EXPORT_STACK_URL | K6_EXPORT_PROJECT_ID,
		  "project_id,stack_url" },
		{ "export=none", 0, "none" },
		{ "export=", ~0u, NULL },
		{ "export", ~0u, NULL },
		{ "export=none,stack_id", ~0u, NULL },
		{ "export=stack_id,stack_id", ~0u, NULL },
		{ "export=stack_id,", ~0u, NULL },
		{ "export=,stack_id", ~0u, NULL },
		{ "export=stack_id,,api_url", ~0u, NULL },
		{ "export=STACK_ID", ~0u, NULL },
		{ "export=stack", ~0u, NULL },
		{ "export=stack_ids", ~0u, NULL },
		{ "export=token", ~0u, NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = { "stack_url=alpha", cases[i].arg };
		struct k6_options o;
		char err[256] = "";
		enum k6_status st = parse(&o, argv, 2, err, sizeof(err));

		if (cases[i].want == ~0u) {
			if (st != K6_CONFIG || strstr(err, "option 'export'") == NULL)
				fail_msg("%s: status %d, \"%s\"", cases[i].arg, st, err);
		} else {
			char line[2048];
			char want[128];

			if (st != K6_OK || o.exports != cases[i].want)
				fail_msg("%s: status %d, exports %#x, \"%s\"", cases[i].arg, st,
					 o.exports, err);
			k6_options_line(&o, line, sizeof(line));
			snprintf(want, sizeof(want), " export=%s ", cases[i].shown);
			if (strstr(line, want) == NULL)
				fail_msg("%s: shown as %s", cases[i].arg, line);
		}
		k6_options_free(&o);
	}
}

static void test_seconds(void **state)
{
	static const struct {
		const char *in;
		long ms; /* -1: malformed */
	} cases[] = {
		{ "10", 10000 },  { "2.5", 2500 },     { "0.001", 1 },   { "0.5", 500 },
		{ "60", 60000 },  { "60.000", 60000 }, { "1.25", 1250 }, { "0", 0 },
		{ "", -1 },       { ".", -1 },         { "1.", -1 },     { ".1", -1 },
		{ "1.0001", -1 }, { "+1", -1 },        { "-1", -1 },     { "1,5", -1 },
		{ "12345", -1 },  { "1 ", -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long ms = -42;
		bool ok = k6_parse_seconds(cases[i].in, &ms);

		if (cases[i].ms < 0) {
			if (ok)
				fail_msg("\"%s\": accepted as %ld ms", cases[i].in, ms);
		} else if (!ok || ms != cases[i].ms) {
			fail_msg("\"%s\": got %s %ld, want %ld", cases[i].in, ok ? "ok" : "refused",
				 ms, cases[i].ms);
		}
	}
}

/* A number option's value after parsing, by the option's name. */
static long long value_of(const struct k6_options *o, const char *key)
{
	if (strcmp(key, "timeout") == 0)
		return o->timeout_ms;
	if (strcmp(key, "connect_timeout") == 0)
		return o->connect_timeout_ms;
	if (strcmp(key, "cache_ttl") == 0)
		return o->cache_ttl;
	if (strcmp(key, "offline_ttl") == 0)
		return o->offline_ttl;
	if (strcmp(key, "stack_id") == 0)
		return (long long)o->stack_id;
	fail_msg("no number option '%s'", key);
	return -1;
}

/*
 * Each end of every number option's range: the last value in, and the
 * nearest value out in the unit the option is parsed in (a millisecond
 * for the timeouts, a second for the windows).
 */
static void test_number_boundaries(void **state)
{
	static const struct {
		const char *args[2];
		const char *key;
		long long want; /* -1: refused, naming the key */
	} cases[] = {
		{ { "timeout=60" }, "timeout", 60000 },
		{ { "timeout=60.000" }, "timeout", 60000 },
		{ { "timeout=60.001" }, "timeout", -1 },
		{ { "timeout=0.001" }, "timeout", 1 },
		{ { "timeout=0" }, "timeout", -1 },
		{ { "timeout=0.000" }, "timeout", -1 },
		{ { "connect_timeout=60" }, "connect_timeout", 60000 },
		{ { "connect_timeout=60.001" }, "connect_timeout", -1 },
		{ { "connect_timeout=0.001" }, "connect_timeout", 1 },
		{ { "connect_timeout=0" }, "connect_timeout", -1 },
		{ { "connect_timeout=0.000" }, "connect_timeout", -1 },
		{ { "cache_ttl=86400" }, "cache_ttl", 86400 },
		{ { "cache_ttl=86401" }, "cache_ttl", -1 },
		{ { "cache_ttl=0" }, "cache_ttl", 0 },
		{ { "cache_ttl=1" }, "cache_ttl", 1 },
		{ { "cache_ttl=-1" }, "cache_ttl", -1 },
		{ { "offline_ttl=2592000" }, "offline_ttl", 2592000 },
		{ { "offline_ttl=2592001" }, "offline_ttl", -1 },
		{ { "offline_ttl=0" }, "offline_ttl", 0 },
		{ { "offline_ttl=1" }, "offline_ttl", 1 },
		{ { "offline_ttl=-1" }, "offline_ttl", -1 },
		{ { "stack_id=1" }, "stack_id", 1 },
		{ { "stack_id=9223372036854775807" }, "stack_id", INT64_MAX },
		{ { "stack_id=0" }, "stack_id", -1 },
		{ { "stack_id=9223372036854775808" }, "stack_id", -1 },
		/* offline_ttl is at least cache_ttl when both are on. */
		{ { "cache_ttl=100", "offline_ttl=100" }, "offline_ttl", 100 },
		{ { "cache_ttl=100", "offline_ttl=99" }, "offline_ttl", -1 },
		{ { "cache_ttl=86400", "offline_ttl=86400" }, "offline_ttl", 86400 },
		{ { "cache_ttl=86400", "offline_ttl=86399" }, "offline_ttl", -1 },
		{ { "cache_ttl=100", "offline_ttl=0" }, "cache_ttl", 100 },
		{ { "cache_ttl=0", "offline_ttl=1" }, "offline_ttl", 1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[3] = { "stack_url=alpha", cases[i].args[0], cases[i].args[1] };
		int argc = cases[i].args[1] != NULL ? 3 : 2;
		struct k6_options o;
		char err[256] = "";
		char named[64];
		enum k6_status st = parse(&o, argv, argc, err, sizeof(err));

		snprintf(named, sizeof(named), "'%s'", cases[i].key);
		if (cases[i].want < 0 && (st != K6_CONFIG || strstr(err, named) == NULL))
			fail_msg("%s %s: status %d \"%s\", want refused naming %s", argv[1],
				 argc > 2 ? argv[2] : "", st, err, named);
		if (cases[i].want >= 0 &&
		    (st != K6_OK || value_of(&o, cases[i].key) != cases[i].want))
			fail_msg("%s %s: status %d \"%s\", %s %lld, want %lld", argv[1],
				 argc > 2 ? argv[2] : "", st, err, cases[i].key,
				 st == K6_OK ? value_of(&o, cases[i].key) : -1, cases[i].want);
		k6_options_free(&o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_unknown_option_never_repeats_a_value),
		cmocka_unit_test(test_proxy_password_never_shown),
		cmocka_unit_test(test_duplicates_and_conflicts),
		cmocka_unit_test(test_later_source_overrides),
		cmocka_unit_test(test_users_file),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_exports),
		cmocka_unit_test(test_seconds),
		cmocka_unit_test(test_flags_say_yes_or_no),
		cmocka_unit_test(test_options_as_shown),
		cmocka_unit_test(test_number_boundaries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
