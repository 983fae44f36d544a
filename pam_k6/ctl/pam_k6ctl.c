/* SPDX-License-Identifier: MIT */
/*
 * pam_k6ctl: what an operator asks of pam_k6 from a shell.  Is this host's
 * configuration right (check), would this token log in here (test), what
 * is in the validation cache (cache), and the tokens file's commands
 * (hash, enroll, revoke, tokens).  Each command has a file of its own;
 * this one only finds the command.  Every answer comes from the library
 * the module runs.
 */
#include "config.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ctl/commands.h"
#include "ctl/ctl.h"

static int version(void)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);

	printf("pam_k6ctl (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION);
	printf("libcurl %s, TLS %s\n", curl->version,
	       curl->ssl_version != NULL ? curl->ssl_version : "none");
	printf("json-c %s\n", json_c_version());
	return EXIT_ACCEPTED;
}

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "check", cmd_check },   { "test", cmd_test },     { "cache", cmd_cache },
	{ "hash", cmd_hash },     { "enroll", cmd_enroll }, { "revoke", cmd_revoke },
	{ "tokens", cmd_tokens },
};

int main(int argc, char **argv)
{
	const char *cmd;
	size_t i;

	/* Lines in the order they were written, when both outputs share a pipe. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return usage_error("%s", "a command is needed");
	cmd = argv[1];
	if (strcmp(cmd, "--version") == 0)
		return version();
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return EXIT_ACCEPTED;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", cmd);
}
