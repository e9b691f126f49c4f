/*
 * abort_hold.so: a test double inside slapd, given to one test's slapd
 * alone with LD_PRELOAD.  It holds the moment in which the change journal
 * used to fall behind (README "The change journal"): a failed write whose
 * CSN is still pending while another write commits.
 *
 * back-mdb gives every write a CSN when it starts and takes it off the
 * pending list only after the transaction ended; for a failed add the
 * order is: result sent to the client, mdb_txn_abort, CSN graduated.  A
 * write that commits in between cannot move contextCSN past its own CSN.
 * Holding that abort holds the moment for as long as the test wants.
 *
 * GALGATE_ABORT_HOLD=DIR: while DIR/arm exists, the next abort of a
 * failed add renames DIR/arm to DIR/held, then waits until the test
 * removes DIR/held (at most five minutes, so that a test that died does
 * not leave slapd hanging).  Only an add: for a failed delete or modify
 * the result goes out after the abort, so holding it would hold the
 * client too.  Every other transaction, and everything when nothing is
 * armed, passes straight through.
 *
 * Built without the sanitizers: a sanitized preload stops slapd at start.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

typedef int (*begin_fn)(MDB_env *, MDB_txn *, unsigned int, MDB_txn **);
typedef int (*commit_fn)(MDB_txn *);
typedef void (*abort_fn)(MDB_txn *);

static pthread_once_t	 once = PTHREAD_ONCE_INIT;
static begin_fn		 real_begin;
static commit_fn	 real_commit;
static abort_fn		 real_abort;
/* LMDB runs one write transaction at a time per environment */
static pthread_mutex_t	 lock = PTHREAD_MUTEX_INITIALIZER;
static MDB_txn		*writer;

/* back-mdb carries its own LMDB: look the functions up in it */
static int
find_backend(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	if (strstr(info->dlpi_name, "back_mdb") == NULL)
		return 0;
	snprintf(arg, 4096, "%s", info->dlpi_name);
	return 1;
}

static void
resolve(void)
{
	char path[4096] = "";
	void *h = NULL;

	if (dl_iterate_phdr(find_backend, path) == 1)
		h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
	if (h == NULL)
		h = RTLD_NEXT;
	real_begin = (begin_fn)dlsym(h, "mdb_txn_begin");
	real_commit = (commit_fn)dlsym(h, "mdb_txn_commit");
	real_abort = (abort_fn)dlsym(h, "mdb_txn_abort");
	if (real_begin == NULL || real_commit == NULL || real_abort == NULL) {
		fprintf(stderr, "abort_hold: LMDB functions not found\n");
		abort();
	}
}

int
mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags,
    MDB_txn **txn)
{
	int rc;

	pthread_once(&once, resolve);
	rc = real_begin(env, parent, flags, txn);
	if (rc == 0 && parent == NULL && !(flags & MDB_RDONLY)) {
		pthread_mutex_lock(&lock);
		writer = *txn;
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

int
mdb_txn_commit(MDB_txn *txn)
{
	pthread_once(&once, resolve);
	pthread_mutex_lock(&lock);
	if (txn == writer)
		writer = NULL;
	pthread_mutex_unlock(&lock);
	return real_commit(txn);
}

/* 1 if the caller is back-mdb's add operation */
static int
called_from_add(const void *ret)
{
	Dl_info di;

	return dladdr(ret, &di) != 0 && di.dli_sname != NULL &&
	    strcmp(di.dli_sname, "mdb_add") == 0;
}

static void
hold(void)
{
	const char *dir = getenv("GALGATE_ABORT_HOLD");
	struct timespec ms = { 0, 1000000 };
	char arm[4096], held[4096];
	long waited;

	if (dir == NULL)
		return;
	snprintf(arm, sizeof(arm), "%s/arm", dir);
	snprintf(held, sizeof(held), "%s/held", dir);
	/* one abort takes the arm: rename is atomic */
	if (rename(arm, held) != 0)
		return;
	for (waited = 0; access(held, F_OK) == 0 && waited < 300000; waited++)
		nanosleep(&ms, NULL);
}

void
mdb_txn_abort(MDB_txn *txn)
{
	const void *ret = __builtin_return_address(0);
	int write;

	pthread_once(&once, resolve);
	pthread_mutex_lock(&lock);
	write = txn == writer;
	if (write)
		writer = NULL;
	pthread_mutex_unlock(&lock);
	real_abort(txn);
	if (write && called_from_add(ret))
		hold();
}
