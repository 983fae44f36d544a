/* SPDX-License-Identifier: MIT */
/*
 * The words of a pam.d file as libpam 1.5.2 reads them
 * (libpam/pam_handlers.c and pam_misc.c): a file opened only if it is one
 * to read, its logical lines assembled with fgets as _pam_assemble_line
 * does, split into words as _pam_StrTok does, and a control turned into
 * the action per return code as _pam_parse_control does.  Where libpam's
 * behaviour is odd, the comment says so: the odd cases are the ones an
 * operator's slip runs into.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <security/_pam_types.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core/pamd_text.h"
#include "core/safe_file.h"

/* libpam's names of the return codes, in its order (_pam_token_returns), then "default". */
static const char *const code_tokens[K6_PAM_CODES + 1] = {
	"success",
	"open_err",
	"symbol_err",
	"service_err",
	"system_err",
	"buf_err",
	"perm_denied",
	"auth_err",
	"cred_insufficient",
	"authinfo_unavail",
	"user_unknown",
	"maxtries",
	"new_authtok_reqd",
	"acct_expired",
	"session_err",
	"cred_unavail",
	"cred_expired",
	"cred_err",
	"no_module_data",
	"conv_err",
	"authtok_err",
	"authtok_recover_err",
	"authtok_lock_busy",
	"authtok_disable_aging",
	"try_again",
	"ignore",
	"abort",
	"authtok_expired",
	"module_unknown",
	"bad_item",
	"conv_again",
	"incomplete",
	"default",
};

/* libpam's names of the actions, by minus their value (_pam_token_actions). */
static const char *const action_tokens[] = { "ignore", "ok", "done", "bad", "die", "reset" };
#define NACTIONS (sizeof(action_tokens) / sizeof(action_tokens[0]))

/*
 * The file's whole text, if it is one to read: libpam opens with fopen
 * (symbolic links followed, as authselect's are), but a FIFO would hang
 * it and a device never end, so anything but a regular file of bounded
 * size is refused, checked on the open descriptor.  NULL with a phrase in
 * why ("is not a regular file").
 */
char *k6_pamd_slurp(const char *path, size_t *len, char *why, size_t whylen)
{
	struct stat st;
	char *text = NULL;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(why, whylen, "cannot be examined: %s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		/* fopen opens a folder, and its first read fails: libpam reads no line. */
		text = strdup("");
		*len = 0;
		snprintf(why, whylen, "is a folder: libpam reads it as an empty file");
		goto out;
	}
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3) {
		/* /dev/null: libpam reads no line from it. */
		text = strdup("");
		*len = 0;
		snprintf(why, whylen, "is not a regular file: libpam reads it as an empty one");
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "is not a regular file");
		goto out;
	}
	/* Read up to the bound, however large fstat says it is: it may grow. */
	text = malloc(K6_PAMD_FILE_MAX + 1);
	if (text == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (k6_read_fd(fd, text, K6_PAMD_FILE_MAX, len, why, whylen) != K6_FILE_OK) {
		free(text);
		text = NULL;
	}
out:
	close(fd);
	return text;
}

/*
 * One logical line, as _pam_assemble_line builds it with fgets into a
 * buffer of K6_PAMD_LINE_MAX + 1 bytes: blank lines and lines whose first word starts
 * with '#' are passed over, even inside a continued line; a '#' ends the
 * line (and any continuation); a '\' before the end (blanks after it
 * allowed) continues it.  A physical line longer than the buffer is cut,
 * and its rest read as the next line.  1 with a line (counted from
 * *first), 0 at the end, -1 where libpam gives up: the buffer filled by
 * continued lines, or a continued line at the end of the file.
 */
int k6_pamd_assemble(FILE *f, char *buf, unsigned *lineno, unsigned *first, unsigned *lines_read)
{
	char *p = buf;
	char *end = buf + (K6_PAMD_LINE_MAX + 1);
	size_t used = 0;

	for (;;) {
		unsigned this_line = *lineno + 1;
		char *s;
		char *os;

		if (p >= end)
			return -1;
		if (end - p < 2)
			return -3; /* libpam would read nothing, forever */
		if (fgets(p, (int)(end - p), f) == NULL)
			return used > 0 ? -1 : 0;
		if (strchr(p, '\n') != NULL || feof(f)) {
			*lineno = this_line;
			if (++*lines_read > K6_PAMD_LINES)
				return -2;
		}
		s = p + strspn(p, " \n\t");
		if (*s == '\0' || *s == '#')
			continue; /* nothing on this line; p stays */
		if (used == 0)
			*first = this_line;
		os = s;
		while (*s != '\0' && *s != '#')
			s++;
		if (*s == '#') {
			*s = '\0';
			return 1;
		}
		s = os + strlen(os);
		while (s > os && (*--s == ' ' || *s == '\t' || *s == '\n'))
			;
		if (*s != '\\')
			return 1;
		*s++ = ' ';
		*s = '\0';
		used += strlen(os);
		p = s;
	}
}

/*
 * The next word, as _pam_StrTok finds it: blanks skipped; a word that
 * starts with '[' runs to the first ']' (or the end), loses its brackets,
 * and "\]" inside it becomes "]".  NULL when no word is left.
 */
char *k6_pamd_word(char **next)
{
	char *from = *next;
	char *end;

	if (from == NULL)
		return NULL;
	from += strspn(from, " \n\t");
	if (*from == '[') {
		char *to;

		for (to = end = ++from; *end != '\0' && *end != ']'; ++to, ++end) {
			if (*end == '\\' && end[1] == ']')
				++end;
			if (to != end)
				*to = *end;
		}
		if (to != end)
			*to = '\0';
	} else if (*from != '\0') {
		end = from + strcspn(from, " \n\t");
	} else {
		*next = NULL;
		return NULL;
	}
	if (*end != '\0')
		*end++ = '\0';
	*next = *end != '\0' ? end : NULL;
	return from;
}

void k6_pamd_set_default(int *actions, int action)
{
	int i;

	for (i = 0; i < K6_PAM_CODES; i++)
		if (actions[i] == K6_ACT_UNDEF)
			actions[i] = action;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\v' || *s == '\f' || *s == '\r')
		s++;
	return s;
}

/*
 * "value=action ..." as _pam_parse_control reads it: names and actions
 * are matched by their beginning, as libpam does ("successful=1" is
 * "success" and then an error), a jump is a number from 1, and any error
 * makes every action "bad".  NULL, or the error as libpam words it.
 */
const char *k6_pamd_parse_control(int *actions, const char *tok)
{
	while (*tok != '\0') {
		int ret;
		int act;
		size_t len = 0;

		tok = skip_space(tok);
		if (*tok == '\0')
			break;
		for (ret = 0; ret <= K6_PAM_CODES; ++ret) {
			len = strlen(code_tokens[ret]);
			if (strncmp(code_tokens[ret], tok, len) == 0)
				break;
		}
		if (ret > K6_PAM_CODES || tok[len] == '\0')
			goto error_value;
		tok = skip_space(tok + len);
		if (*tok++ != '=')
			goto error_equals;
		tok = skip_space(tok);
		if (*tok == '\0')
			goto error_action;
		for (act = 0; act < (int)NACTIONS; ++act) {
			len = strlen(action_tokens[act]);
			if (strncmp(action_tokens[act], tok, len) == 0) {
				act = -act;
				tok += len;
				break;
			}
		}
		if (act > 0) {
			if (*tok < '0' || *tok > '9')
				return "expecting jump number";
			act = 0;
			do {
				if (act > 100000)
					return "a jump too large";
				act = act * 10 + (*tok - '0');
			} while (*++tok >= '0' && *tok <= '9');
			if (act == 0)
				return "expecting non-zero";
		}
		if (ret != K6_PAM_CODES)
			actions[ret] = act;
		else
			k6_pamd_set_default(actions, act);
	}
	return NULL;
error_value:
	return "expecting return value";
error_equals:
	return "expecting '='";
error_action:
	return "expecting action";
}

enum k6_pamd_control k6_pamd_control(const char *word, int *actions, const char **error)
{
	int i;

	*error = NULL;
	for (i = 0; i < K6_PAM_CODES; i++)
		actions[i] = K6_ACT_UNDEF;
	if (word == NULL) {
		k6_pamd_set_default(actions, K6_ACT_BAD);
		return K6_PAMD_NO_CONTROL;
	}
	if (strcasecmp(word, "include") == 0)
		return K6_PAMD_INCLUDE;
	if (strcasecmp(word, "substack") == 0)
		return K6_PAMD_SUBSTACK;
	if (strcasecmp(word, "required") == 0 || strcasecmp(word, "requisite") == 0 ||
	    strcasecmp(word, "optional") == 0 || strcasecmp(word, "sufficient") == 0) {
		bool sufficient = strcasecmp(word, "sufficient") == 0;

		actions[PAM_SUCCESS] = sufficient ? K6_ACT_DONE : K6_ACT_OK;
		actions[PAM_NEW_AUTHTOK_REQD] = sufficient ? K6_ACT_DONE : K6_ACT_OK;
		if (strcasecmp(word, "required") == 0 || strcasecmp(word, "requisite") == 0)
			actions[PAM_IGNORE] = K6_ACT_IGNORE;
		k6_pamd_set_default(actions, strcasecmp(word, "required") == 0  ? K6_ACT_BAD :
					     strcasecmp(word, "requisite") == 0 ? K6_ACT_DIE :
										  K6_ACT_IGNORE);
		return K6_PAMD_ACTIONS;
	}
	*error = k6_pamd_parse_control(actions, word);
	if (*error != NULL)
		for (i = 0; i < K6_PAM_CODES; i++)
			actions[i] = K6_ACT_BAD;
	k6_pamd_set_default(actions, K6_ACT_BAD);
	return K6_PAMD_ACTIONS;
}

const char *k6_pam_code_token(int code)
{
	return code >= 0 && code < K6_PAM_CODES ? code_tokens[code] : NULL;
}

const char *k6_action_name(int action, char *buf, size_t len)
{
	if (action > 0) {
		snprintf(buf, len, "%d", action);
		return buf;
	}
	if (action > K6_ACT_UNDEF)
		return action_tokens[-action];
	return "undefined";
}
