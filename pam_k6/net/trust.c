/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/curl_setup.h"
#include "net/trust.h"

/*
 * With neither ca_file nor ca_path, libcurl's built-in store is the trust:
 * on Debian and Ubuntu a bundle (/etc/ssl/certs/ca-certificates.crt) and a
 * hashed directory (/etc/ssl/certs) holding the same certificates.
 * OpenSSL parses a bundle whole for every TLS context, about 150
 * certificates (250 million instructions with OpenSSL 3.0, tens of
 * milliseconds); it looks a hashed directory up lazily, one small file per
 * issuer.  So when libcurl names a directory, the first try uses it alone,
 * and a peer that does not verify against it is tried once more with the
 * whole built-in store: whatever verified before still does.
 */
const char *k6_trust_default_directory(CURL *h)
{
	char *dir = NULL;
	struct stat st;

	if (curl_easy_getinfo(h, CURLINFO_CAPATH, &dir) != CURLE_OK || dir == NULL ||
	    stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return dir;
}

/* A folder of hashed certificates ("openssl rehash"): not just a folder. */
static bool holds_hashed_certificates(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool found = false;

	if (d == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		size_t n = strspn(e->d_name, "0123456789abcdef");

		found = n == 8 && e->d_name[8] == '.' && e->d_name[9] >= '0' && e->d_name[9] <= '9';
	}
	closedir(d);
	return found;
}

enum k6_status k6_trust_check(const struct k6_options *o, char *what, size_t len)
{
	char *bundle = NULL;
	char *dir = NULL;
	bool have_bundle;
	bool have_dir;
	CURL *h;

	if (o->ca_file != NULL || o->ca_path != NULL) {
		snprintf(what, len, "%s%s%s%s", o->ca_file != NULL ? o->ca_file : "",
			 o->ca_file != NULL && o->ca_path != NULL ? " and " : "",
			 o->ca_path != NULL ? o->ca_path : "",
			 o->ca_path != NULL && !holds_hashed_certificates(o->ca_path) ?
				 " (no hashed certificates in it: run openssl rehash)" :
				 "");
		return K6_OK;
	}
	h = k6_curl_setup() == CURLE_OK ? curl_easy_init() : NULL;
	if (h == NULL) {
		snprintf(what, len, "libcurl could not be initialised");
		return K6_NOMEM;
	}
	curl_easy_getinfo(h, CURLINFO_CAINFO, &bundle);
	curl_easy_getinfo(h, CURLINFO_CAPATH, &dir);
	have_bundle = bundle != NULL && faccessat(AT_FDCWD, bundle, R_OK, AT_EACCESS) == 0;
	have_dir = dir != NULL && holds_hashed_certificates(dir);
	if (have_dir)
		snprintf(what, len, "the system's: %s (tried alone first)%s%s", dir,
			 have_bundle ? ", then " : "", have_bundle ? bundle : "");
	else if (have_bundle)
		snprintf(what, len, "the system's: %s", bundle);
	else
		snprintf(what, len,
			 "no system trust store: libcurl's default %s%s%s%s holds no certificates "
			 "(install ca-certificates, or set ca_file or ca_path)",
			 bundle != NULL ? bundle : "", bundle != NULL && dir != NULL ? " and " : "",
			 dir != NULL ? dir : "",
			 bundle == NULL && dir == NULL ? "(none built in)" : "");
	curl_easy_cleanup(h);
	return have_dir || have_bundle ? K6_OK : K6_CONFIG;
}
