/* SPDX-License-Identifier: MIT */
/*
 * The floor as a module, for "make bench" (row (3m)): a host linked with
 * libpam as PAM applications are, so that its global scope is
 * tests/pam_driver's (itself, libpam, libc, libaudit, ld.so, libcap-ng),
 * that loads floor.c built as a shared object the way pam_k6.so loads its
 * network part (RTLD_LAZY | RTLD_LOCAL | RTLD_NODELETE, late_load.c) and
 * runs it.  What (3m) costs over the floor (3) is what any object a host
 * loads late pays the dynamic linker, before pam_k6 has done anything.
 *
 *   floor_host [-N] MODULE [floor's options] URL TOKEN STACK_URL
 *
 * -N loads with RTLD_NOW instead: what binding every function at load costs.
 */
#include <dlfcn.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	int (*floor_main)(int, char **);
	int mode = RTLD_LAZY;
	int first = 1;
	void *handle;

	if (argc > 1 && strcmp(argv[1], "-N") == 0) {
		mode = RTLD_NOW;
		first = 2;
	}
	if (argc <= first) {
		fprintf(stderr, "usage: floor_host [-N] MODULE [floor's arguments]\n");
		return 2;
	}
	handle = dlopen(argv[first], mode | RTLD_LOCAL | RTLD_NODELETE);
	if (handle == NULL || (*(void **)&floor_main = dlsym(handle, "floor_main")) == NULL) {
		/* libpam's words, as a PAM application would report it. */
		fprintf(stderr, "floor_host: %s: %s\n", pam_strerror(NULL, PAM_MODULE_UNKNOWN),
			dlerror());
		return 3;
	}
	/* The floor's argv[0] is the module's path; its getopt starts after it. */
	return floor_main(argc - first, argv + first);
}
