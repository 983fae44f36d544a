/* SPDX-License-Identifier: MIT */
/*
 * A name service that ignores case, as SSSD and Active Directory do by
 * default: nss_wrapper loads it (NSS_WRAPPER_MODULE_SO_PATH, prefix
 * "nocase") behind its own files, and it answers a name in any case with
 * the account of the passwd file $K6_TEST_NOCASE_PASSWD whose name
 * matches, spelled as that file spells it.  With $K6_TEST_NOCASE_SUFFIX
 * ("@corp.example"), a name without '@' is looked up with it, as SSSD does
 * with use_fully_qualified_names and default_domain_suffix: alice is the
 * account alice@corp.example.
 */
#include "config.h"

#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum nss_status _nss_nocase_getpwnam_r(const char *name, struct passwd *pw, char *buf,
				       size_t buflen, int *errnop);
enum nss_status _nss_nocase_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
				       int *errnop);

/* The first entry of the file for which match() holds, copied into buf. */
static enum nss_status find(int (*match)(const struct passwd *, const void *), const void *key,
			    struct passwd *pw, char *buf, size_t buflen, int *errnop)
{
	const char *path = getenv("K6_TEST_NOCASE_PASSWD");
	struct passwd *found = NULL;
	FILE *f;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return NSS_STATUS_UNAVAIL;
	while (fgetpwent_r(f, pw, buf, buflen, &found) == 0 && found != NULL) {
		if (match(found, key))
			break;
		found = NULL;
	}
	if (found == NULL && errno == ERANGE) {
		fclose(f);
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	}
	fclose(f);
	return found != NULL ? NSS_STATUS_SUCCESS : NSS_STATUS_NOTFOUND;
}

static int same_name(const struct passwd *pw, const void *name)
{
	const char *suffix = getenv("K6_TEST_NOCASE_SUFFIX");
	size_t len = strlen(name);

	if (suffix == NULL || strchr(name, '@') != NULL)
		return strcasecmp(pw->pw_name, name) == 0;
	return strncasecmp(pw->pw_name, name, len) == 0 &&
	       strcasecmp(pw->pw_name + len, suffix) == 0;
}

static int same_uid(const struct passwd *pw, const void *uid)
{
	return pw->pw_uid == *(const uid_t *)uid;
}

enum nss_status _nss_nocase_getpwnam_r(const char *name, struct passwd *pw, char *buf,
				       size_t buflen, int *errnop)
{
	return find(same_name, name, pw, buf, buflen, errnop);
}

enum nss_status _nss_nocase_getpwuid_r(uid_t uid, struct passwd *pw, char *buf, size_t buflen,
				       int *errnop)
{
	return find(same_uid, &uid, pw, buf, buflen, errnop);
}
