/* SPDX-License-Identifier: MIT */
/*
 * The configuration file: the keys of the module arguments, one per line.
 * It is read as safe_file.h reads the administrator's files: only when
 * root owns it and nobody else can change it.
 */
#ifndef K6_CONF_FILE_H
#define K6_CONF_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/k6_status.h"
#include "core/options.h"
#include "core/safe_file.h"

#ifndef K6_DEFAULT_CONF
#define K6_DEFAULT_CONF "/etc/security/pam_k6.conf"
#endif

/*
 * Apply a configuration file's text to o as one source: "key = value" or
 * "flag" lines, blank lines, and comments from a '#' at the start of a
 * line or after a blank to its end; a value may be put in double quotes
 * to keep blanks at its ends or a '#' after a blank.  Every problem goes
 * to report, naming path:line.
 */
enum k6_status k6_config_apply(struct k6_options *o, const char *path, const char *text, size_t len,
			       k6_problem_fn report, void *ctx);

/*
 * All of it: find conf= among the arguments (else the default file, which
 * may be missing), read and apply the file as the first source, then the
 * arguments as the second, so that arguments win, then check the result
 * and that a ca_file or ca_path given can be read.  owner is who must own
 * the file (root, but for the tests).  Every problem goes to report;
 * K6_CONFIG if there was one.
 */
enum k6_status k6_config_read(struct k6_options *o, int argc, const char **argv, uid_t owner,
			      k6_problem_fn report, void *ctx);

/* The same, keeping only the first problem, in err: what the module logs. */
enum k6_status k6_config_load(struct k6_options *o, int argc, const char **argv, uid_t owner,
			      char *err, size_t errlen);

#endif
