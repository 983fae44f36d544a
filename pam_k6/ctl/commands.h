/* SPDX-License-Identifier: MIT */
/*
 * pam_k6ctl's commands, one file each (ctl_check.c, ctl_test.c,
 * ctl_cache.c, ctl_tokens.c), called by pam_k6ctl.c's table only: argv[0]
 * is the command's name; the return value is the exit status.
 */
#ifndef K6_CTL_COMMANDS_H
#define K6_CTL_COMMANDS_H

int cmd_check(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_hash(int argc, char **argv);
int cmd_enroll(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_tokens(int argc, char **argv);

#endif
