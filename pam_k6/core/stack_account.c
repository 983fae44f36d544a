/* SPDX-License-Identifier: MIT */
/*
 * pam_succeed_if and pam_faillock's preauth evaluated as their sources in
 * Linux-PAM 1.5.2 do, for one account: only what reads the name service
 * and files; a condition on the remote host, the tty or a netgroup, or on
 * who runs the service (use_uid), is not told.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <security/_pam_types.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/modules.h"
#include "core/stack_account.h"
#include "core/stack_check.h"
#include "core/users.h"

enum k6_status k6_account_load(struct k6_account *a, const char *user, const char *service)
{
	struct passwd pw;
	struct passwd *found = NULL;
	char buf[4096];

	memset(a, 0, sizeof(*a));
	a->service = service;
	a->now = time(NULL);
	a->user = strdup(user);
	if (a->user == NULL)
		return K6_NOMEM;
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || found == NULL)
		return K6_OK;
	a->exists = true;
	a->uid = pw.pw_uid;
	a->gid = pw.pw_gid;
	a->shell = strdup(pw.pw_shell != NULL ? pw.pw_shell : "");
	a->home = strdup(pw.pw_dir != NULL ? pw.pw_dir : "");
	if (a->shell == NULL || a->home == NULL)
		return K6_NOMEM;
	return k6_user_groups(pw.pw_name, pw.pw_gid, &a->groups, &a->ngroups);
}

void k6_account_free(struct k6_account *a)
{
	free(a->user);
	free(a->shell);
	free(a->home);
	free(a->groups);
	memset(a, 0, sizeof(*a));
}

static bool in_list(const char *list, const char *item)
{
	size_t len = strlen(item);
	const char *p = list;

	while (*p != '\0') {
		const char *end = strchr(p, ':');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

		if (n == len && strncmp(p, item, n) == 0)
			return true;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return false;
}

static bool member_of(const struct k6_account *a, const char *names)
{
	char *copy = strdup(names);
	char *save = NULL;
	char *name;
	bool yes = false;

	if (copy == NULL)
		return false;
	for (name = strtok_r(copy, ":", &save); name != NULL && !yes;
	     name = strtok_r(NULL, ":", &save)) {
		struct group gr;
		struct group *found = NULL;
		char buf[8192];
		size_t i;

		if (getgrnam_r(name, &gr, buf, sizeof(buf), &found) != 0 || found == NULL)
			continue;
		for (i = 0; i < a->ngroups; i++)
			if (a->groups[i] == gr.gr_gid)
				yes = true;
	}
	free(copy);
	return yes;
}

static bool number(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 0);
	return errno == 0 && end != s && *end == '\0';
}

/*
 * One condition: PAM_SUCCESS, PAM_AUTH_ERR, PAM_USER_UNKNOWN,
 * PAM_SERVICE_ERR, or -1 where pam_k6ctl cannot tell.
 */
static int condition(const struct k6_account *a, const char *field, const char *op,
		     const char *value)
{
	char num[32];
	const char *left;
	long long l;
	long long r;
	bool yes;

	if (strcasecmp(field, "user") == 0 || strcasecmp(field, "login") == 0 ||
	    strcasecmp(field, "name") == 0) {
		left = a->user;
	} else if (strcasecmp(field, "service") == 0) {
		left = a->service;
	} else if (strcasecmp(field, "uid") == 0 || strcasecmp(field, "gid") == 0 ||
		   strcasecmp(field, "shell") == 0 || strcasecmp(field, "home") == 0 ||
		   strcasecmp(field, "dir") == 0 || strcasecmp(field, "homedir") == 0) {
		if (!a->exists)
			return PAM_USER_UNKNOWN;
		if (strcasecmp(field, "uid") == 0 || strcasecmp(field, "gid") == 0) {
			snprintf(num, sizeof(num), "%lu",
				 (unsigned long)(strcasecmp(field, "uid") == 0 ? a->uid : a->gid));
			left = num;
		} else {
			left = strcasecmp(field, "shell") == 0 ? a->shell : a->home;
		}
	} else if (strcasecmp(field, "ruser") == 0 || strcasecmp(field, "rhost") == 0 ||
		   strcasecmp(field, "tty") == 0) {
		return -1; /* items of the login, not of the account */
	} else {
		return PAM_SERVICE_ERR;
	}
	if (strcasecmp(op, "ingroup") == 0 || strcasecmp(op, "notingroup") == 0) {
		if (!a->exists)
			return PAM_USER_UNKNOWN;
		yes = member_of(a, value) == (strcasecmp(op, "ingroup") == 0);
	} else if (strcasecmp(op, "innetgr") == 0 || strcasecmp(op, "notinnetgr") == 0) {
		return -1;
	} else if (strcmp(op, "=") == 0 || strcmp(op, "!=") == 0) {
		yes = (strcmp(left, value) == 0) == (strcmp(op, "=") == 0);
	} else if (strcmp(op, "=~") == 0 || strcasecmp(op, "glob") == 0 || strcmp(op, "!~") == 0 ||
		   strcasecmp(op, "noglob") == 0) {
		yes = (fnmatch(value, left, 0) == 0) ==
		      (strcmp(op, "=~") == 0 || strcasecmp(op, "glob") == 0);
	} else if (strcasecmp(op, "in") == 0 || strcasecmp(op, "notin") == 0) {
		yes = in_list(value, left) == (strcasecmp(op, "in") == 0);
	} else {
		if (!number(left, &l) || !number(value, &r))
			return PAM_SERVICE_ERR;
		if (strcmp(op, "<") == 0 || strcasecmp(op, "lt") == 0)
			yes = l < r;
		else if (strcmp(op, "<=") == 0 || strcasecmp(op, "le") == 0)
			yes = l <= r;
		else if (strcmp(op, ">") == 0 || strcasecmp(op, "gt") == 0)
			yes = l > r;
		else if (strcmp(op, ">=") == 0 || strcasecmp(op, "ge") == 0)
			yes = l >= r;
		else if (strcasecmp(op, "eq") == 0)
			yes = l == r;
		else if (strcasecmp(op, "ne") == 0)
			yes = l != r;
		else
			return PAM_SERVICE_ERR;
	}
	return yes ? PAM_SUCCESS : PAM_AUTH_ERR;
}

static bool succeed_if(const struct k6_account *a, const struct k6_handler *h, int *code, char *why,
		       size_t len)
{
	static const char *const options[] = { "debug",      "use_uid",       "quiet",
					       "quiet_fail", "quiet_success", "audit" };
	const char *words[64];
	int n = 0;
	int i;

	for (i = 0; i < h->argc && n < 64; i++) {
		size_t j;
		bool option = false;

		for (j = 0; j < sizeof(options) / sizeof(options[0]); j++)
			option = option || strcmp(h->argv[i], options[j]) == 0;
		if (strcmp(h->argv[i], "use_uid") == 0)
			return false; /* the caller's account, not the one logging in */
		if (!option)
			words[n++] = h->argv[i];
	}
	if (n % 3 != 0) {
		*code = PAM_SERVICE_ERR;
		snprintf(why, len, "an incomplete condition");
		return true;
	}
	*code = PAM_SUCCESS;
	for (i = 0; i < n; i += 3) {
		int c = condition(a, words[i], words[i + 1], words[i + 2]);

		if (c < 0)
			return false;
		if (c != PAM_SUCCESS) {
			*code = c;
			snprintf(why, len, "%s: not %s %s %s", a->user, words[i], words[i + 1],
				 words[i + 2]);
			return true;
		}
	}
	snprintf(why, len, "%s: %s", a->user, n == 0 ? "no condition" : "every condition holds");
	return true;
}

/* pam_faillock's settings that decide preauth: its conf file, then its arguments. */
struct tally_rules {
	char dir[4096];
	long deny;
	long fail_interval;
	long unlock_time;
	long root_unlock_time;
	bool even_deny_root;
	char admin_group[256];
};

static void tally_setting(struct tally_rules *t, const char *key, const char *value)
{
	long v = value != NULL ? strtol(value, NULL, 10) : 0;

	if (strcmp(key, "dir") == 0 && value != NULL)
		snprintf(t->dir, sizeof(t->dir), "%s", value);
	else if (strcmp(key, "deny") == 0)
		t->deny = v;
	else if (strcmp(key, "fail_interval") == 0)
		t->fail_interval = v;
	else if (strcmp(key, "unlock_time") == 0)
		t->unlock_time = value != NULL && strcmp(value, "never") == 0 ? 0 : v;
	else if (strcmp(key, "root_unlock_time") == 0)
		t->root_unlock_time = value != NULL && strcmp(value, "never") == 0 ? 0 : v;
	else if (strcmp(key, "even_deny_root") == 0)
		t->even_deny_root = true;
	else if (strcmp(key, "admin_group") == 0 && value != NULL)
		snprintf(t->admin_group, sizeof(t->admin_group), "%s", value);
}

static bool tally_conf(struct tally_rules *t, const char *path, bool named)
{
	char line[1100];
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return !named && errno == ENOENT; /* only the default file may be missing */
	while (fgets(line, sizeof(line), f) != NULL) {
		char *hash = strchr(line, '#');
		char *eq;
		char *key;
		char *value = NULL;

		if (hash != NULL)
			*hash = '\0';
		key = line + strspn(line, " \t");
		key[strcspn(key, "\r\n")] = '\0';
		eq = strchr(key, '=');
		if (eq != NULL) {
			*eq = '\0';
			value = eq + 1 + strspn(eq + 1, " \t");
			value[strcspn(value, " \t")] = '\0';
		}
		key[strcspn(key, " \t")] = '\0';
		if (*key != '\0')
			tally_setting(t, key, value);
	}
	fclose(f);
	return true;
}

/* A record of pam_faillock's tally file (faillock.h), in the host's byte order. */
struct record {
	/* cppcheck-suppress unusedStructMember ; the file's layout: where the failure came from */
	char source[52];
	/* cppcheck-suppress unusedStructMember ; the file's layout */
	uint16_t reserved;
	uint16_t status;
	uint64_t time;
};

static bool faillock_preauth(const struct k6_account *a, const struct k6_handler *h, int *code,
			     char *why, size_t len)
{
	struct tally_rules t = { "/var/run/faillock", 3, 900, 600, -1, false, "" };
	const char *conf = k6_module_argument(h, "conf");
	struct record r[1024];
	char path[4400];
	uint64_t latest = 0;
	size_t n = 0;
	long failures = 0;
	bool admin;
	size_t i;
	int fd;

	if (!tally_conf(&t, conf != NULL ? conf : "/etc/security/faillock.conf", conf != NULL)) {
		*code = PAM_SERVICE_ERR;
		snprintf(why, len, "%s cannot be read", conf);
		return true;
	}
	for (i = 0; i < (size_t)h->argc; i++) {
		char key[64];
		const char *eq = strchr(h->argv[i], '=');
		size_t klen = eq != NULL ? (size_t)(eq - h->argv[i]) : strlen(h->argv[i]);

		snprintf(key, sizeof(key), "%.*s", (int)klen, h->argv[i]);
		tally_setting(&t, key, eq != NULL ? eq + 1 : NULL);
	}
	if (t.root_unlock_time < 0)
		t.root_unlock_time = t.unlock_time;
	if (!a->exists) {
		*code = PAM_IGNORE;
		snprintf(why, len, "no account %s", a->user);
		return true;
	}
	admin = a->uid == 0 || (t.admin_group[0] != '\0' && member_of(a, t.admin_group));
	if (admin && !t.even_deny_root) {
		*code = PAM_SUCCESS;
		snprintf(why, len, "%s is never locked (no even_deny_root)", a->user);
		return true;
	}
	snprintf(path, sizeof(path), "%s/%s", t.dir, a->user);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		*code = errno == ENOENT || errno == EACCES ? PAM_SUCCESS : PAM_SYSTEM_ERR;
		snprintf(why, len, "%s: no tally", path);
		return true;
	}
	while (n < 1024 && read(fd, &r[n], sizeof(r[n])) == (ssize_t)sizeof(r[n]))
		n++;
	close(fd);
	for (i = 0; i < n; i++)
		if ((r[i].status & 1) && r[i].time > latest)
			latest = r[i].time;
	for (i = 0; i < n; i++)
		if ((r[i].status & 1) && latest - r[i].time < (uint64_t)t.fail_interval)
			failures++;
	*code = PAM_SUCCESS;
	if (t.deny > 0 && failures >= t.deny) {
		long unlock = admin ? t.root_unlock_time : t.unlock_time;

		if (unlock == 0 || latest + (uint64_t)unlock >= (uint64_t)a->now)
			*code = PAM_AUTH_ERR;
	}
	snprintf(why, len, "%s: %ld failure%s in %s%s", a->user, failures, failures == 1 ? "" : "s",
		 path, *code == PAM_AUTH_ERR ? ": locked" : "");
	return true;
}

bool k6_account_answer(const struct k6_account *a, const struct k6_handler *h, int *code, char *why,
		       size_t len)
{
	const struct k6_module_info *m = k6_module_info(h, NULL);
	const char *mode = k6_faillock_mode(h);
	const char *base = k6_handler_basename(h);

	if (h->kind != K6_HANDLER_MODULE || !h->loads)
		return false;
	if (strcmp(base, "pam_succeed_if.so") == 0 || strcmp(base, "pam_succeed_if") == 0)
		return succeed_if(a, h, code, why, len);
	if (mode != NULL && strcmp(mode, "preauth") == 0)
		return faillock_preauth(a, h, code, why, len);
	if (m->role == K6_ROLE_ROOTOK && !k6_service_runs_as_asker(a->service)) {
		*code = PAM_SUCCESS; /* the service runs as root for whoever asks */
		snprintf(why, len, "%s runs as root", a->service);
		return true;
	}
	return false;
}
