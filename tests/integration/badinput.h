/*
 * badinput.h: the bad-input corpus under tests/data/<connector>/bad/.
 *
 * Every case is one or more data files named after it (a replacement
 * export file, a message) and an expectation file NAME.expect next to
 * them, read here.  A suite runs each case against one shared slapd: the
 * case gets a fresh state directory and its connector's import
 * containers are emptied, a good baseline cycle runs, the case's data is
 * put in place, one more cycle runs, and what the user relies on is
 * compared with the expectation: the exit status, lines of the output,
 * the events the cycle logged, and the GAL below the connector's import
 * containers.  A suite reports every case that failed, not only the first.
 *
 * The expectation file holds "key: value" lines ('#' starts a comment):
 *
 *   what:    what the case is (required)
 *   exit:    the exit status of the cycle (required)
 *   output:  a line galgate printed, exact (repeat for several); the
 *            case's directory is left out of paths
 *   events:  the IDs of the events the cycle logged, in order (required)
 *   event:   "ID text": the exact text of one of those events
 *   conf:    a line added to the connector's section
 *   status:  a line "galgate status" prints afterwards, exact
 *   gal: unchanged
 *            the import containers hold what they held after the
 *            baseline, entry for entry; or "gal:" alone on a line, the
 *            rest of the file being LDIF (ldapsearch -LLL form, values
 *            as text where they read as text) of every entry added or
 *            changed, in full, and "gone: DN" for every entry removed:
 *            everything else is unchanged
 * plus keys of the connector's suite (see each test_badinput_*.c).
 */
#ifndef GW_BADINPUT_H
#define GW_BADINPUT_H

#include <stddef.h>

#include "harness.h"

struct bi_kv {
	char	*key;
	char	*val;
	int	 used;		/* read by a check */
};

struct bi_case {
	char		 name[128];	/* the .expect file's stem */
	char		 dir[256];	/* the case's working directory */
	struct bi_kv	*kv;
	size_t		 nkv;
	int		 gal_given;
	int		 gal_unchanged;
	char		*gal_ldif;	/* entries expected added or changed */
	char		**gone;		/* DNs expected removed */
	size_t		 ngone;
	/* filled by the suite while running it */
	char		*gal_before;	/* normalized dump after the baseline */
	long		 events_off;	/* events.jsonl size after the baseline */
	struct out	 out;		/* the cycle under test */
	char		*fail;		/* what went wrong, or NULL */
};

struct bi_suite {
	const char	*connector;	/* "ccmail": tests/data/ccmail/bad */
	struct env	 env;		/* the shared slapd */
	const char	*const *bases;	/* GAL subtrees compared (LDAP DNs) */
	char		*containers;	/* their entries, LDIF, for the reset */
	size_t		 ncases, nfailed;
	char		*report;
};

/* The corpus directory of a connector. */
#define BI_DIR(conn)	GALGATE_SOURCE_DIR "/tests/data/" conn "/bad"

/* Starts the slapd (--dbnosync) and reads the containers' entries. */
void	bi_start(struct bi_suite *, const char *connector,
	    const char *const *bases);
void	bi_stop(struct bi_suite *);
/* Reads the containers' own entries (after galgate init) for bi_prepare. */
void	bi_containers(struct bi_suite *);

/*
 * The cases of the suite, sorted by name (caller frees each and the
 * array).  GALGATE_BADINPUT_CASE=NAME keeps only that one.
 */
char	**bi_list(const struct bi_suite *, size_t *n);
/* The names in dir but dot files, sorted; NULL (n 0) when it cannot be
 * read.  Free with bi_files_free. */
char	**bi_files(const char *dir, size_t *n);
void	bi_files_free(char **, size_t n);
/* Reads NAME.expect; 0, or -1 with c->fail set. */
int	bi_load(struct bi_suite *, struct bi_case *, const char *name);
void	bi_case_release(struct bi_case *);

/* The first value of key (marked read), or NULL; bi_next for repeats. */
const char *bi_get(struct bi_case *, const char *key);
const char *bi_next(struct bi_case *, const char *key, size_t *i);

/* Records a failure of the case (several may be recorded). */
void	bi_fail(struct bi_case *, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));

/* Creates directories below the case's, parents too (NULL ends the list). */
int	bi_mkdirs(const struct bi_case *, ...);
/* Files (not dot files) in a directory below the case's. */
size_t	bi_count_files(const struct bi_case *, const char *dir);
/* Creates the case directory and empties the import containers. */
void	bi_prepare(struct bi_suite *, struct bi_case *);
/* The case's galgate.conf: [gal] for the shared slapd, then section. */
char	*bi_write_conf(struct bi_suite *, struct bi_case *,
	    const char *section);
/* Runs "galgate -c <case conf> args" with env (may be ""). */
struct out bi_galgate(struct bi_case *, const char *env, const char *args);
/* After the baseline: remembers the GAL and the events so far. */
void	bi_mark(struct bi_suite *, struct bi_case *);
/* Copies src (a corpus file) to dst; 0, or -1 if src does not exist. */
int	bi_copy(const char *src, const char *dst);
/*
 * The checks every case has: exit, output, events, event, status, gal;
 * then every key must have been read by some check.
 */
void	bi_check(struct bi_suite *, struct bi_case *);
/* Adds the case's result to the suite's report. */
void	bi_done(struct bi_suite *, struct bi_case *);
/* Fails the Criterion test with the report if any case failed. */
void	bi_finish(struct bi_suite *);

/* The path with the case's directory left out (caller frees). */
char	*bi_strip(const struct bi_case *, const char *text);

#endif
