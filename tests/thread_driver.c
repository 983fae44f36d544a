/* SPDX-License-Identifier: MIT */
/*
 * Many threads authenticating at once, each with its own PAM handle, good
 * and bad tokens mixed: every verdict must be the right one.  Prints one
 * summary line; exits 0 only when all verdicts were right.
 *
 * usage: thread_driver SERVICE USER THREADS ROUNDS GOOD_TOKEN BAD_TOKEN STACK_ID
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>

struct job {
	const char *service;
	const char *user;
	const char *good;
	const char *bad;
	const char *stack_id;
	long rounds;
	long index;
	long right;
	long wrong;
};

static int converse(int n, const struct pam_message **msg, struct pam_response **resp,
		    void *appdata)
{
	const char *answer = appdata;
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	int i;

	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF)
			r[i].resp = strdup(answer);
	*resp = r;
	return PAM_SUCCESS;
}

static void *run(void *arg)
{
	struct job *job = arg;
	long i;

	for (i = 0; i < job->rounds; i++) {
		int good = (i + job->index) % 2 == 0;
		struct pam_conv conv = { converse, (void *)(good ? job->good : job->bad) };
		pam_handle_t *pamh = NULL;
		const char *stack_id;
		int rc;

		if (pam_start(job->service, job->user, &conv, &pamh) != PAM_SUCCESS) {
			job->wrong++;
			continue;
		}
		rc = pam_authenticate(pamh, 0);
		stack_id = pam_getenv(pamh, "K6_CLOUD_STACK_ID");
		if (good ? rc == PAM_SUCCESS && stack_id != NULL &&
				    strcmp(stack_id, job->stack_id) == 0 :
			   rc == PAM_AUTH_ERR && stack_id == NULL)
			job->right++;
		else {
			job->wrong++;
			fprintf(stderr,
				"thread %ld round %ld: %s token, pam_authenticate %d (%s)\n",
				job->index, i, good ? "good" : "bad", rc, pam_strerror(pamh, rc));
		}
		pam_end(pamh, rc);
	}
	return NULL;
}

#define MAX_THREADS 256

int main(int argc, char **argv)
{
	static struct job jobs[MAX_THREADS];
	static pthread_t threads[MAX_THREADS];
	long nthreads;
	long right = 0;
	long wrong = 0;
	long t;

	if (argc != 8) {
		fprintf(stderr,
			"usage: thread_driver SERVICE USER THREADS ROUNDS GOOD BAD STACK_ID\n");
		return 2;
	}
	nthreads = strtol(argv[3], NULL, 10);
	if (nthreads < 1 || nthreads > MAX_THREADS)
		return 2;
	for (t = 0; t < nthreads; t++) {
		jobs[t] = (struct job){
			.service = argv[1],
			.user = argv[2],
			.rounds = strtol(argv[4], NULL, 10),
			.good = argv[5],
			.bad = argv[6],
			.stack_id = argv[7],
			.index = t,
		};
		if (pthread_create(&threads[t], NULL, run, &jobs[t]) != 0)
			return 3;
	}
	for (t = 0; t < nthreads; t++) {
		pthread_join(threads[t], NULL);
		right += jobs[t].right;
		wrong += jobs[t].wrong;
	}
	printf("threads=%ld rounds=%s right=%ld wrong=%ld\n", nthreads, argv[4], right, wrong);
	return wrong == 0 ? 0 : 1;
}
