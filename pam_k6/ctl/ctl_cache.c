/* SPDX-License-Identifier: MIT */
/* pam_k6ctl cache: the validation cache's records listed or removed. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cache.h"
#include "core/conf_file.h"
#include "core/options.h"
#include "ctl/commands.h"
#include "ctl/ctl.h"

static void print_duration(char *buf, size_t len, long seconds)
{
	if (seconds < 0)
		snprintf(buf, len, "-");
	else if (seconds < 120)
		snprintf(buf, len, "%lds", seconds);
	else if (seconds < 7200)
		snprintf(buf, len, "%ldm", seconds / 60);
	else if (seconds < 172800)
		snprintf(buf, len, "%ldh", seconds / 3600);
	else
		snprintf(buf, len, "%ldd", seconds / 86400);
}

static void print_entry(void *ctx, const struct k6_cache_entry *e)
{
	time_t now = *(const time_t *)ctx;
	char age[32];
	char left[32];

	if (e->problem != NULL) {
		printf("%.16s  (ignored by logins: %s)\n", e->name, e->problem);
		return;
	}
	print_duration(age, sizeof(age), (long)(now - e->record.created));
	print_duration(left, sizeof(left), (long)(e->record.expires - now));
	printf("%.16s  %-34s %12" PRId64 " %12" PRId64 " %6s %8s\n", e->name, e->record.stack_url,
	       e->record.result.stack_id, e->record.result.default_project_id, age,
	       e->record.expires < now ? "expired" : left);
}

/* The cache folder: --cache-dir, else the configuration file's, else the default. */
static char *cache_folder(const char *given)
{
	struct k6_options o;
	char err[600];
	char *dir;

	if (given != NULL)
		return strdup(given);
	if (k6_options_init(&o) != K6_OK)
		return NULL;
	/* Only the file matters here: with no arguments it need not be complete. */
	if (k6_config_load(&o, 0, NULL, 0, err, sizeof(err)) == K6_NOMEM) {
		k6_options_free(&o);
		return NULL;
	}
	dir = strdup(o.cache_dir);
	k6_options_free(&o);
	return dir;
}

static int cache_command(const char *given, const char *action, bool expired_only)
{
	struct k6_cache c;
	time_t now = time(NULL);
	char *dir = cache_folder(given);
	int rc = EXIT_ACCEPTED;
	long n;

	if (dir == NULL) {
		fprintf(stderr, "pam_k6ctl: out of memory\n");
		return EXIT_OTHER;
	}
	if (access(dir, F_OK) != 0) {
		/* Not made here: a cache folder is the module's to make. */
		fprintf(stderr, "pam_k6ctl: cache %s: %s\n", dir, strerror(errno));
		free(dir);
		return EXIT_CONFIG;
	}
	k6_cache_open(&c, dir);
	if (c.dir_fd < 0) {
		fprintf(stderr, "pam_k6ctl: cache %s: %s\n", dir, c.why);
		free(dir);
		return EXIT_CONFIG;
	}
	if (strcmp(action, "list") == 0) {
		printf("%-16s  %-34s %12s %12s %6s %8s\n", "record", "stack", "stack_id",
		       "project_id", "age", "expires");
		n = k6_cache_list(&c, print_entry, &now);
		if (n < 0) {
			fprintf(stderr, "pam_k6ctl: cache %s: cannot be read\n", dir);
			rc = EXIT_CONFIG;
		} else {
			printf("%ld record%s in %s\n", n, n == 1 ? "" : "s", dir);
		}
	} else {
		n = c.writable ? k6_cache_purge(&c, expired_only) : -1;
		if (n < 0) {
			fprintf(stderr, "pam_k6ctl: cache %s: %s\n", dir,
				c.writable ? "cannot be purged" : c.why);
			rc = EXIT_CONFIG;
		} else {
			printf("removed %ld record%s from %s\n", n, n == 1 ? "" : "s", dir);
		}
	}
	k6_cache_close(&c);
	free(dir);
	return rc;
}

int cmd_cache(int argc, char **argv)
{
	static const struct option long_options[] = {
		{ "cache-dir", required_argument, NULL, 'c' },
		{ "expired", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL;
	bool expired = false;
	const char *action;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
		switch (opt) {
		case 'c':
			dir = optarg;
			break;
		case 'e':
			expired = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_ACCEPTED;
		default:
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (argc - optind != 1)
		return usage_error("%s", "cache needs one action: list or purge");
	action = argv[optind];
	if (strcmp(action, "list") != 0 && strcmp(action, "purge") != 0)
		return usage_error("cache: unknown action '%s' (list or purge)", action);
	if (expired && strcmp(action, "purge") != 0)
		return usage_error("%s", "--expired applies to purge only");
	if (dir != NULL && dir[0] != '/')
		return usage_error("--cache-dir %s: must be an absolute path", dir);
	return cache_command(dir, action, expired);
}
