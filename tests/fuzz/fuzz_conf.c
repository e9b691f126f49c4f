/*
 * The INI configuration (README "Configuration"): conf_load reads the
 * file and validates it against the key tables of [gal] and of every
 * built-in connector type, then the accessors and value parsers run over
 * what it kept.
 *
 * Properties: a refused file gets one "path:line: reason" line per
 * problem, as many as the error count says, each naming a line of the
 * file; a file holding a NUL byte is refused (a value is never cut short
 * silently); a loaded file has a [gal] section, and every value is
 * UTF-8 without line ends.
 */
#include <string.h>

#include "conf.h"
#include "connector.h"
#include "fuzz.h"
#include "schedule.h"
#include "util.h"

static struct fuzz_file in;

static void
check_problems(const char *path, const char *out, size_t len, int count,
    long nlines)
{
	size_t plen = strlen(path);
	const char *p = out, *nl;
	char *end;
	long line;
	int n = 0;

	while (p < out + len) {
		nl = memchr(p, '\n', (size_t)(out + len - p));
		FUZZ_CHECK(nl != NULL, "unterminated problem line");
		FUZZ_CHECK(strncmp(p, path, plen) == 0 && p[plen] == ':',
		    "problem without the path: %.*s", (int)(nl - p), p);
		line = strtol(p + plen + 1, &end, 10);
		FUZZ_CHECK(end[0] == ':' && end[1] == ' ' && line >= 1 &&
		    line <= nlines + 1, "problem names line %ld of %ld: %.*s",
		    line, nlines, (int)(nl - p), p);
		n++;
		p = nl + 1;
	}
	FUZZ_CHECK(n == count, "%d problems printed, the count says %d", n,
	    count);
}

static void
walk(const struct gw_conf *c)
{
	const struct conf_section *s, *r;
	struct gw_threshold th;
	struct gw_schedule sched;
	const char *errstr;
	char **tok, *dn, *types;
	size_t i, j, n;

	FUZZ_CHECK(conf_gal(c) != NULL, "loaded without [gal]");
	for (i = 0; i < c->nsec; i++) {
		s = &c->sec[i];
		for (j = 0; j < s->n; j++) {
			const char *v = s->ent[j].value;

			FUZZ_CHECK(gw_utf8_valid(v, strlen(v)) &&
			    strpbrk(v, "\r\n") == NULL, "value of %s",
			    s->ent[j].key);
			FUZZ_CHECK(conf_entry(s, s->ent[j].key) != NULL,
			    "%s not found", s->ent[j].key);
			tok = conf_tokens(v, &n);
			conf_tokens_free(tok, n);
			conf_split_types(v, &dn, &types);
			free(dn);
			free(types);
			(void)conf_parse_threshold(v, &th, &errstr);
			memset(&sched, 0, sizeof(sched));
			(void)gw_schedule_parse(v, &sched, &errstr);
		}
		if (s->kind == CONF_SEC_CONNECTOR) {
			FUZZ_CHECK(conf_connector(c, s->name) == s,
			    "connector %s", s->name);
			for (r = conf_next_requestor(c, s, NULL); r != NULL;
			    r = conf_next_requestor(c, s, r))
				FUZZ_CHECK(r->parent == s, "requestor %s",
				    r->name);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_conf *c;
	struct gw_err err;
	const char *path = fuzz_file_put(&in, data, size);
	char *out = NULL;
	size_t len = 0, i;
	long nlines = 1;
	int count;
	FILE *errs;

	for (i = 0; i < size; i++)
		if (data[i] == '\n')
			nlines++;
	if ((errs = open_memstream(&out, &len)) == NULL)
		abort();
	gw_err_init(&err);
	c = conf_load(path, connector_conf_types(), errs, &err);
	fclose(errs);
	if (c == NULL) {
		FUZZ_CHECK(err.exit == GW_EXIT_USAGE, "exit %d", err.exit);
		FUZZ_CHECK(sscanf(err.msg + strlen(path), ": %d configuration "
		    "error", &count) == 1, "%s", err.msg);
		check_problems(path, out, len, count, nlines);
	} else {
		FUZZ_CHECK(len == 0, "loaded with problems: %s", out);
		FUZZ_CHECK(memchr(data, '\0', size) == NULL, "a NUL byte "
		    "passed unreported");
		walk(c);
		conf_free(c);
	}
	free(out);
	return 0;
}
