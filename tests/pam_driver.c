/* SPDX-License-Identifier: MIT */
/*
 * A small PAM application for the end-to-end tests: it runs real libpam
 * (normally under pam_wrapper, which points it at the tests' service
 * folder), answers prompts from the command line and prints, one per line,
 * what the conversation showed, each PAM result and the PAM environment.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define ANSWERS_MAX 16

struct script {
	const char *mode; /* answer, fail, null, again */
	char *answers[ANSWERS_MAX];
	size_t sizes[ANSWERS_MAX]; /* what each answer's buffer holds, NUL included */
	int n;
	int next;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: pam_driver [options] SERVICE USER\n"
		"  -a TEXT  answer the next hidden prompt (\\r \\n \\t \\b \\\\ \\xHH decoded)\n"
		"  -A FILE  answer the next hidden prompt with FILE's contents\n"
		"  -c MODE  conversation: answer (default), fail, null, again, abort\n"
		"  -r HOST  set PAM_RHOST      -t TTY  set PAM_TTY\n"
		"  -s       pam_setcred(PAM_ESTABLISH_CRED) after a success\n"
		"  -S       pam_setcred(PAM_ESTABLISH_CRED) whatever authentication gave\n"
		"  -X       pam_setcred only, without authenticating first\n"
		"  -R N     authenticate N times on the same handle\n"
		"  -u       before -s, remove the K6_CLOUD_* variables\n"
		"  -n N     authenticate N times, a handle each\n"
		"  -C       with -n, take the answers in turn across rounds\n"
		"  -M       print the resident set size after rounds 1, 10, 100, 1000... and the "
		"last,\n"
		"           and at the end the peak (maxrss) and /proc's VmHWM, RssAnon, RssFile\n"
		"  -T MS    arm ITIMER_REAL for MS ms before authenticating, as sshd does for\n"
		"           LoginGraceTime; afterwards wait for SIGALRM and report when it came\n"
		"  -q       pass PAM_SILENT\n"
		"  -d DIR   read the service from DIR with pam_start_confdir (no pam_wrapper)\n"
		"  -m       print each round's time: pam_start to pam_end, and pam_authenticate\n"
		"  -F       with -n, fork after the first round: the child does the other rounds,\n"
		"           then the parent does them too\n"
		"  -O       at the end, list the open IP sockets and whether they close on exec\n"
		"  -L       at the end, say which libraries the late parts bring are mapped\n"
		"  -H       at the end, count the copies of $K6_TEST_SECRET left in the heap\n"
		"  -G       initialise libcurl first, as a host that uses libcurl itself does\n");
	exit(2);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *unescape(const char *s, size_t *size)
{
	char *out = malloc(*size = strlen(s) + 1);
	char *o = out;

	if (out == NULL)
		exit(3);
	while (*s != '\0') {
		if (*s != '\\' || s[1] == '\0') {
			*o++ = *s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'r':
			*o++ = '\r';
			break;
		case 'n':
			*o++ = '\n';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'b':
			*o++ = '\b';
			break;
		case '\\':
			*o++ = '\\';
			break;
		case 'x':
			if (hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
				*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
				s += 2;
				break;
			}
			/* fall through */
		default:
			*o++ = '\\';
			*o++ = *s;
		}
		s++;
	}
	*o = '\0';
	return out;
}

static char *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long len;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "pam_driver: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	buf = malloc(*size = (size_t)len + 1);
	if (buf == NULL || fread(buf, 1, (size_t)len, f) != (size_t)len)
		exit(3);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* Print text from the module on one line, control characters escaped. */
static void print_text(const char *kind, const char *text)
{
	const unsigned char *p;

	printf("%s \"", kind);
	for (p = (const unsigned char *)(text != NULL ? text : ""); *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	printf("\"\n");
}

static int converse(int n, const struct pam_message **msg, struct pam_response **resp,
		    void *appdata)
{
	struct script *sc = appdata;
	struct pam_response *r;
	int i;

	if (strcmp(sc->mode, "fail") == 0)
		return PAM_CONV_ERR;
	if (strcmp(sc->mode, "again") == 0)
		return PAM_CONV_AGAIN;
	if (strcmp(sc->mode, "abort") == 0)
		return PAM_ABORT;
	if (strcmp(sc->mode, "null") == 0) {
		*resp = NULL;
		return PAM_SUCCESS;
	}
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			print_text(msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ? "prompt_echo_off" :
									      "prompt_echo_on",
				   msg[i]->msg);
			r[i].resp = strdup(sc->next < sc->n ? sc->answers[sc->next++] : "");
			break;
		case PAM_ERROR_MSG:
			print_text("error", msg[i]->msg);
			break;
		case PAM_TEXT_INFO:
			print_text("info", msg[i]->msg);
			break;
		default:
			break;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/*
 * libpam calls this instead of sleeping after a failure: the tests see the
 * delay the modules asked for and do not wait for it.
 */
static void fail_delay(int status, unsigned int usec, void *appdata)
{
	(void)appdata;
	if (usec > 0)
		printf("fail_delay %d %u\n", status, usec);
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	char line[128];
	char *end;
	long resident = -1;

	if (f == NULL)
		return -1;
	/* "size resident shared ...", in pages */
	if (fgets(line, sizeof(line), f) != NULL) {
		strtol(line, &end, 10);
		resident = strtol(end, NULL, 10);
	}
	fclose(f);
	return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* "Name:   1234 kB" in /proc/self/status: the number, if line is that field. */
static long status_kib(const char *line, const char *name)
{
	size_t n = strlen(name);

	return strncmp(line, name, n) == 0 ? strtol(line + n, NULL, 10) : -1;
}

/*
 * This program's own peak RSS (ru_maxrss also counts the parent it was
 * forked from), and what is resident now: anonymous pages, which are this
 * process's alone, and pages of files, shared with every other process
 * that maps the same libraries.
 */
static void print_memory(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long hwm = -1, anon = -1, file = -1;

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (hwm < 0)
			hwm = status_kib(line, "VmHWM:");
		if (anon < 0)
			anon = status_kib(line, "RssAnon:");
		if (file < 0)
			file = status_kib(line, "RssFile:");
	}
	fclose(f);
	printf("memory hwm=%ld anon=%ld file=%ld\n", hwm, anon, file);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* The caller's timer must survive the module untouched, and fire on time. */
static void arm_alarm(long ms)
{
	struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
}

static void await_alarm(double armed_at)
{
	struct itimerval left;
	sigset_t none;

	getitimer(ITIMER_REAL, &left);
	printf("alarm armed %s remaining_ms=%ld\n",
	       left.it_value.tv_sec != 0 || left.it_value.tv_usec != 0 ? "yes" : "no",
	       (long)left.it_value.tv_sec * 1000 + (long)left.it_value.tv_usec / 1000);
	sigemptyset(&none);
	while (alarms == 0 && (left.it_value.tv_sec != 0 || left.it_value.tv_usec != 0))
		sigsuspend(&none);
	printf("alarm fired=%d after_ms=%.0f\n", (int)alarms, now_ms() - armed_at);
}

/* The module's connections must not leak into what the host executes. */
static void print_sockets(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		int fd = (int)strtol(e->d_name, NULL, 10);
		int domain = 0;
		socklen_t len = sizeof(domain);

		if (fd <= 2 || fd == dirfd(d) ||
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0 ||
		    (domain != AF_INET && domain != AF_INET6))
			continue;
		printf("socket fd=%d cloexec=%d\n", fd, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	}
	closedir(d);
}

/* What the module brought into this process: its parts load late. */
static void print_libraries(void)
{
	static const char *const names[] = { "libcurl",   "libjson-c",   "libcrypto",  "pam_k6_net",
					     "libnettle", "libcrypt.so", "pam_k6_hash" };
	FILE *f = fopen("/proc/self/maps", "r");
	bool mapped[sizeof(names) / sizeof(names[0])] = { false };
	char line[1024];
	size_t i;

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strstr(line, names[i]) != NULL)
				mapped[i] = true;
	fclose(f);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		printf("mapped %s=%d\n", names[i], mapped[i]);
}

static void print_env(pam_handle_t *pamh)
{
	char **env = pam_getenvlist(pamh);
	char **e;

	if (env == NULL)
		return;
	/* The list is a copy, and may hold the token (export_token): wipe it. */
	for (e = env; *e != NULL; e++) {
		printf("env %s\n", *e);
		explicit_bzero(*e, strlen(*e));
		free(*e);
	}
	free(env);
}

static void unset_k6_env(pam_handle_t *pamh)
{
	static const char *const names[] = { "K6_CLOUD_STACK_ID", "K6_CLOUD_PROJECT_ID",
					     "K6_CLOUD_STACK_URL", "K6_CLOUD_HOST_V6",
					     "K6_CLOUD_TOKEN" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		pam_putenv(pamh, names[i]);
}

/* What a host that uses libcurl does before any PAM module could. */
static void init_libcurl(void)
{
	void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_GLOBAL);
	int (*global_init)(long);

	if (lib == NULL || (*(void **)&global_init = dlsym(lib, "curl_global_init")) == NULL ||
	    global_init(3L /* CURL_GLOBAL_DEFAULT */) != 0) {
		fprintf(stderr, "pam_driver: cannot initialise libcurl\n");
		exit(2);
	}
}

/*
 * After pam_end: how many copies of the secret the heap ([heap] in
 * /proc/self/maps: where this single-threaded program's small blocks live)
 * still holds, in live blocks or in freed ones.
 */
static void scan_heap(void)
{
	const char *secret = getenv("K6_TEST_SECRET");
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	long copies = 0;
	size_t len;

	if (secret == NULL || secret[0] == '\0' || maps == NULL) {
		printf("heap scan impossible\n");
		if (maps != NULL)
			fclose(maps);
		return;
	}
	len = strlen(secret);
	while (fgets(line, sizeof(line), maps) != NULL) {
		char *dash;
		const char *at;
		const char *stop;

		if (strstr(line, "[heap]") == NULL)
			continue;
		at = (const char *)strtoul(line, &dash, 16);
		stop = *dash == '-' ? (const char *)strtoul(dash + 1, NULL, 16) : at;
		while (at != NULL && at < stop && (size_t)(stop - at) >= len) {
			at = memmem(at, (size_t)(stop - at), secret, len);
			if (at != NULL) {
				copies++;
				at++;
			}
		}
	}
	fclose(maps);
	printf("heap copies=%ld\n", copies);
}

int main(int argc, char **argv)
{
	struct script sc = { "answer", { NULL }, { 0 }, 0, 0 };
	const char *rhost = NULL;
	const char *tty = NULL;
	bool setcred = false;
	bool setcred_always = false;
	long repeat = 1;
	bool unset = false;
	bool cycle = false;
	bool memory = false;
	long alarm_ms = 0;
	double armed_at = 0;
	const char *confdir = NULL;
	bool timing = false;
	bool fork_after_first = false;
	bool sockets = false;
	bool libraries = false;
	bool heap = false;
	int flags = 0;
	long rounds = 1;
	long round;
	int failures = 0;
	int opt;

	while ((opt = getopt(argc, argv, "a:A:c:r:t:sSXR:un:CMT:qd:mFOHGL")) != -1) {
		switch (opt) {
		case 'a':
		case 'A':
			if (sc.n == ANSWERS_MAX)
				usage();
			sc.answers[sc.n] = opt == 'a' ? unescape(optarg, &sc.sizes[sc.n]) :
							slurp(optarg, &sc.sizes[sc.n]);
			sc.n++;
			break;
		case 'c':
			sc.mode = optarg;
			break;
		case 'r':
			rhost = optarg;
			break;
		case 't':
			tty = optarg;
			break;
		case 's':
			setcred = true;
			break;
		case 'S':
			setcred_always = true;
			break;
		case 'X':
			setcred_always = true;
			repeat = 0;
			break;
		case 'R':
			repeat = strtol(optarg, NULL, 10);
			break;
		case 'u':
			unset = true;
			break;
		case 'n':
			rounds = strtol(optarg, NULL, 10);
			break;
		case 'C':
			cycle = true;
			break;
		case 'M':
			memory = true;
			break;
		case 'T':
			alarm_ms = strtol(optarg, NULL, 10);
			break;
		case 'q':
			flags |= (int)PAM_SILENT;
			break;
		case 'd':
#ifdef HAVE_PAM_START_CONFDIR
			confdir = optarg;
			break;
#else
			fprintf(stderr,
				"pam_driver: -d needs pam_start_confdir (Linux-PAM >= 1.4)\n");
			return 2;
#endif
		case 'm':
			timing = true;
			break;
		case 'F':
			fork_after_first = true;
			break;
		case 'O':
			sockets = true;
			break;
		case 'L':
			libraries = true;
			break;
		case 'H':
			heap = true;
			break;
		case 'G':
			init_libcurl();
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || rounds < 1)
		usage();
	/* No copy of what is printed (the token, with export_token) in a heap buffer. */
	if (heap)
		setvbuf(stdout, NULL, _IONBF, 0);

	for (round = 0; round < rounds; round++) {
		struct pam_conv conv = { converse, &sc };
		pam_handle_t *pamh = NULL;
		double round_start = now_ms();
		double auth_ms = 0;
		int rc;

		if (!cycle || sc.next >= sc.n)
			sc.next = 0;
		if (alarm_ms > 0 && round == 0) {
			armed_at = now_ms();
			arm_alarm(alarm_ms);
		}
#ifdef HAVE_PAM_START_CONFDIR
		if (confdir != NULL)
			rc = pam_start_confdir(argv[optind], argv[optind + 1], &conv, confdir,
					       &pamh);
		else
#endif
			rc = pam_start(argv[optind], argv[optind + 1], &conv, &pamh);
		if (rc != PAM_SUCCESS) {
			printf("start %d %s\n", rc, pam_strerror(NULL, rc));
			return 1;
		}
		pam_set_item(pamh, PAM_FAIL_DELAY, (const void *)fail_delay);
		if (rhost != NULL)
			pam_set_item(pamh, PAM_RHOST, rhost);
		if (tty != NULL)
			pam_set_item(pamh, PAM_TTY, tty);
		rc = PAM_SUCCESS;
		for (long again = 0; again < repeat; again++) {
			double auth_start = now_ms();

			rc = pam_authenticate(pamh, flags);
			auth_ms += now_ms() - auth_start;
			printf("authenticate %d %s\n", rc, pam_strerror(pamh, rc));
			if (rc != PAM_SUCCESS)
				failures++;
		}
		if ((rc == PAM_SUCCESS && setcred) || setcred_always) {
			if (unset)
				unset_k6_env(pamh);
			rc = pam_setcred(pamh, (int)PAM_ESTABLISH_CRED | flags);
			printf("setcred %d %s\n", rc, pam_strerror(pamh, rc));
		}
		print_env(pamh);
		pam_end(pamh, rc);
		if (timing)
			printf("time round=%ld login_us=%.0f auth_us=%.0f\n", round + 1,
			       (now_ms() - round_start) * 1e3, auth_ms * 1e3);
		if (memory) {
			long r = round + 1;

			while (r % 10 == 0)
				r /= 10;
			if (r == 1 || round + 1 == rounds)
				printf("rss round=%ld kib=%ld\n", round + 1, rss_kib());
		}
		fflush(stdout);
		if (fork_after_first && round == 0) {
			pid_t child = fork();
			int status = 0;

			if (child < 0)
				return 3;
			if (child > 0) {
				waitpid(child, &status, 0);
				printf("fork child_exit=%d\n",
				       WIFEXITED(status) ? WEXITSTATUS(status) : 128);
				if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
					failures++;
			}
		}
	}
	if (sockets)
		print_sockets();
	if (libraries)
		print_libraries();
	if (alarm_ms > 0)
		await_alarm(armed_at);
	if (memory) {
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		printf("maxrss kib=%ld\n", ru.ru_maxrss);
		print_memory();
	}
	/* The answers are tokens: this program's copies are wiped like the module's. */
	for (opt = 0; opt < sc.n; opt++) {
		explicit_bzero(sc.answers[opt], sc.sizes[opt]);
		free(sc.answers[opt]);
	}
	if (heap)
		scan_heap();
	return failures == 0 ? 0 : 1;
}
