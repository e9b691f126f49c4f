/*
 * clients-load: mail-client searches against an LDAP server, as fast as
 * it answers, from several connections at once.
 *
 *   clients-load URI BASE SIZELIMIT SECONDS CONNS TEMPLATE TERMSFILE
 *   clients-load --check URI BASE SIZELIMIT TEMPLATE TERMSFILE
 *
 * TEMPLATE is a search filter with "%s" where the typed text goes (RFC
 * 4515 escaped); TERMSFILE holds one typed text per line.  Each
 * connection binds anonymously, as mail clients do, and searches the
 * subtree of BASE (which may be empty) for the terms in turn, asking for
 * the attributes an address book shows and at most SIZELIMIT entries (a
 * "size limit exceeded" answer is a normal result).  Prints
 *   searches=N seconds=S rate=R entries_per_search=E p50_ms=A p99_ms=B errors=0
 * --check runs every term once on one connection and prints the total
 * number of entries returned, to compare two servers' answers.
 *
 * Build: cc -O2 -o clients-load clients-load.c -lldap -llber -lpthread
 */
#define _GNU_SOURCE
#define LDAP_DEPRECATED 0
#include <errno.h>
#include <ldap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *uri, *base, *tmpl;
static int sizelimit, seconds;
static char **terms;
static size_t nterms;
static double deadline;

static char *attrs[] = { "cn", "mail", "displayName", "givenName", "sn",
	"telephoneNumber", "title", "o", "ou", NULL };

struct worker {
	pthread_t	 tid;
	int		 id, nconn;
	unsigned long	 searches, entries, errors;
	double		*lat;		/* seconds per search */
	size_t		 nlat, caplat;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const char *detail)
{
	fprintf(stderr, "clients-load: %s: %s\n", what, detail);
	exit(1);
}

/* the filter for one term: "%s" replaced, the value RFC 4515 escaped */
static void
make_filter(const char *term, char *out, size_t len)
{
	size_t o = 0;
	const char *p, *t;

	for (p = tmpl; *p != '\0' && o + 8 < len; p++) {
		if (p[0] == '%' && p[1] == 's') {
			for (t = term; *t != '\0' && o + 8 < len; t++) {
				if (strchr("*()\\", *t) != NULL)
					o += (size_t)snprintf(out + o, len - o,
					    "\\%02x", (unsigned char)*t);
				else
					out[o++] = *t;
			}
			p++;
		} else
			out[o++] = *p;
	}
	out[o] = '\0';
}

static LDAP *
connect_anon(void)
{
	struct berval cred = { 0, NULL };
	int v3 = LDAP_VERSION3, rc;
	LDAP *ld;

	if ((rc = ldap_initialize(&ld, uri)) != LDAP_SUCCESS)
		die(uri, ldap_err2string(rc));
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	rc = ldap_sasl_bind_s(ld, "", LDAP_SASL_SIMPLE, &cred, NULL, NULL,
	    NULL);
	if (rc != LDAP_SUCCESS)
		die("anonymous bind", ldap_err2string(rc));
	return ld;
}

/* one search; returns the entries received, -1 on an error */
static long
search(LDAP *ld, const char *term)
{
	char filter[2048];
	LDAPMessage *res = NULL;
	struct timeval tv = { 60, 0 };
	long n;
	int rc;

	make_filter(term, filter, sizeof(filter));
	rc = ldap_search_ext_s(ld, base, LDAP_SCOPE_SUBTREE, filter, attrs, 0,
	    NULL, NULL, &tv, sizelimit, &res);
	if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
		fprintf(stderr, "clients-load: %s: %s\n", filter,
		    ldap_err2string(rc));
		if (res != NULL)
			ldap_msgfree(res);
		return -1;
	}
	n = ldap_count_entries(ld, res);
	ldap_msgfree(res);
	return n;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	LDAP *ld = connect_anon();
	size_t k = (size_t)w->id * 7919;
	double t0, t1;
	long n;

	while ((t0 = now()) < deadline) {
		n = search(ld, terms[k++ % nterms]);
		t1 = now();
		if (n < 0) {
			/* a broken setup, not a slow server: stop soon */
			if (++w->errors >= 5)
				break;
			continue;
		}
		w->searches++;
		w->entries += (unsigned long)n;
		if (w->nlat == w->caplat) {
			w->caplat = w->caplat ? w->caplat * 2 : 4096;
			w->lat = realloc(w->lat, w->caplat * sizeof(double));
			if (w->lat == NULL)
				die("realloc", strerror(errno));
		}
		w->lat[w->nlat++] = t1 - t0;
	}
	ldap_unbind_ext_s(ld, NULL, NULL);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
read_terms(const char *path)
{
	char line[512];
	size_t cap = 0, len;
	FILE *fp = fopen(path, "r");

	if (fp == NULL)
		die(path, strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		len = strcspn(line, "\r\n");
		line[len] = '\0';
		if (len == 0)
			continue;
		if (nterms == cap) {
			cap = cap ? cap * 2 : 1024;
			terms = realloc(terms, cap * sizeof(*terms));
			if (terms == NULL)
				die("realloc", strerror(errno));
		}
		terms[nterms++] = strdup(line);
	}
	fclose(fp);
	if (nterms == 0)
		die(path, "no terms");
}

int
main(int argc, char **argv)
{
	struct worker *w;
	unsigned long searches = 0, entries = 0, errors = 0;
	double start, elapsed, *all;
	size_t nall = 0, i;
	long n, total = 0;
	int conns, j;
	LDAP *ld;

	if (argc == 7 && strcmp(argv[1], "--check") == 0) {
		uri = argv[2];
		base = argv[3];
		sizelimit = atoi(argv[4]);
		tmpl = argv[5];
		read_terms(argv[6]);
		ld = connect_anon();
		for (i = 0; i < nterms; i++) {
			if ((n = search(ld, terms[i])) < 0)
				return 1;
			total += n;
		}
		ldap_unbind_ext_s(ld, NULL, NULL);
		printf("terms=%zu entries=%ld\n", nterms, total);
		return 0;
	}
	if (argc != 8) {
		fprintf(stderr, "usage: clients-load URI BASE SIZELIMIT SECONDS "
		    "CONNS TEMPLATE TERMSFILE\n"
		    "       clients-load --check URI BASE SIZELIMIT TEMPLATE "
		    "TERMSFILE\n");
		return 2;
	}
	uri = argv[1];
	base = argv[2];
	sizelimit = atoi(argv[3]);
	seconds = atoi(argv[4]);
	conns = atoi(argv[5]);
	tmpl = argv[6];
	read_terms(argv[7]);
	if (seconds < 1 || conns < 1)
		die("usage", "SECONDS and CONNS must be positive");
	w = calloc((size_t)conns, sizeof(*w));
	if (w == NULL)
		die("calloc", strerror(errno));
	start = now();
	deadline = start + seconds;
	for (j = 0; j < conns; j++) {
		w[j].id = j;
		if (pthread_create(&w[j].tid, NULL, work, &w[j]) != 0)
			die("pthread_create", strerror(errno));
	}
	for (j = 0; j < conns; j++) {
		pthread_join(w[j].tid, NULL);
		searches += w[j].searches;
		entries += w[j].entries;
		errors += w[j].errors;
		nall += w[j].nlat;
	}
	elapsed = now() - start;
	all = malloc((nall + 1) * sizeof(double));
	if (all == NULL)
		die("malloc", strerror(errno));
	nall = 0;
	for (j = 0; j < conns; j++) {
		memcpy(all + nall, w[j].lat, w[j].nlat * sizeof(double));
		nall += w[j].nlat;
		free(w[j].lat);
	}
	qsort(all, nall, sizeof(double), cmp_double);
	printf("searches=%lu seconds=%.2f rate=%.0f entries_per_search=%.1f "
	    "p50_ms=%.2f p99_ms=%.2f errors=%lu\n", searches, elapsed,
	    (double)searches / elapsed,
	    searches ? (double)entries / (double)searches : 0.0,
	    nall ? all[nall / 2] * 1000 : 0.0,
	    nall ? all[(nall * 99) / 100] * 1000 : 0.0, errors);
	free(all);
	free(w);
	return errors ? 1 : 0;
}
