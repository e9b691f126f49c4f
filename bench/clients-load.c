/*
 * clients-load: mail-client searches against an LDAP server, as fast as
 * it answers, from several connections at once.
 *
 *   clients-load [--libldap | --threads N] URI BASE SIZELIMIT SECONDS CONNS
 *       TEMPLATE TERMSFILE
 *   clients-load --check URI BASE SIZELIMIT TEMPLATE TERMSFILE
 *
 * TEMPLATE is a search filter with "%s" where the typed text goes (RFC
 * 4515 escaped); TERMSFILE holds one typed text per line.  Each
 * connection binds anonymously, as mail clients do, and searches the
 * subtree of BASE (which may be empty) for the terms in turn, one search
 * at a time, asking for the attributes an address book shows and at most
 * SIZELIMIT entries (a "size limit exceeded" answer is a normal result).
 * Prints
 *   searches=N seconds=S rate=R entries_per_search=E p50_ms=A p99_ms=B
 *   client_ms=C errors=0
 * where C is this program's own CPU time per search.
 *
 * The load runs on the same machine as the server, so what it costs is
 * taken from the server: by default it costs as little as it can.  The
 * connections speak LDAP themselves on plain sockets (ldap:// only), all
 * served by N threads (default 1) that wait on whichever connection has
 * answers (epoll), read them in large chunks and walk them PDU by PDU,
 * counting entries and checking the result code without decoding the
 * entries.  --libldap gives each connection a thread that searches
 * through libldap (ldap_search_ext_s, every entry decoded), as a mail
 * client does.  --check runs every term once through both and prints the
 * total number of entries returned; it fails if the two ever disagree.
 *
 * Build: cc -O2 -o clients-load clients-load.c -lldap -llber -lpthread
 */
#define _GNU_SOURCE
#define LDAP_DEPRECATED 0
#include <errno.h>
#include <ldap.h>
#include <lber.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *uri, *base, *tmpl;
static int sizelimit, seconds, use_libldap, raw_threads = 1;
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

/* one connection, whichever way it speaks */
struct conn {
	LDAP		*ld;		/* --libldap */
	int		 fd;		/* otherwise */
	int		 msgid;
	unsigned char	*buf;		/* bytes read, not yet walked */
	size_t		 have, cap;
	const char	*term;		/* the search in progress: */
	long		 entries;	/*   entries so far */
	int		 code;		/*   its result code, once in */
	double		 t0;		/*   when it was sent */
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

/* ---- through libldap ---- */

static LDAP *
libldap_connect(void)
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
libldap_search(LDAP *ld, const char *filter)
{
	LDAPMessage *res = NULL;
	struct timeval tv = { 60, 0 };
	long n;
	int rc;

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

/* ---- on a plain socket ---- */

/*
 * RFC 4515 string to RFC 4511 Filter, for what mail clients send:
 * &, |, !, equality, presence and substrings.  Returns the position
 * after the filter, NULL when it cannot be read.
 */
static const char *
put_filter(BerElement *ber, const char *f)
{
	char attr[128], val[512];
	size_t a = 0, v, i;
	ber_tag_t tag;
	const char *p;
	int stars = 0;

	if (*f++ != '(')
		return NULL;
	if (*f == '&' || *f == '|' || *f == '!') {
		tag = *f == '&' ? LDAP_FILTER_AND : *f == '|' ? LDAP_FILTER_OR :
		    LDAP_FILTER_NOT;
		f++;
		if (ber_printf(ber, "t{", tag) < 0)
			return NULL;
		while (*f == '(')
			if ((f = put_filter(ber, f)) == NULL)
				return NULL;
		if (*f++ != ')' || ber_printf(ber, "N}") < 0)
			return NULL;
		return f;
	}
	while (*f != '=' && *f != '\0' && a + 1 < sizeof(attr))
		attr[a++] = *f++;
	attr[a] = '\0';
	if (*f++ != '=')
		return NULL;
	for (p = f; *p != ')' && *p != '\0'; p++)
		stars += *p == '*';
	if (*p != ')')
		return NULL;
	if (p - f == 1 && stars == 1) {
		if (ber_printf(ber, "ts", LDAP_FILTER_PRESENT, attr) < 0)
			return NULL;
		return p + 1;
	}
	if (stars == 0) {
		if (ber_printf(ber, "t{s", LDAP_FILTER_EQUALITY, attr) < 0)
			return NULL;
	} else if (ber_printf(ber, "t{s{", LDAP_FILTER_SUBSTRINGS, attr) < 0)
		return NULL;
	/* the pieces between the stars, unescaped */
	for (i = 0; f <= p; i++) {
		for (v = 0; f < p && *f != '*' && v + 1 < sizeof(val); f++) {
			if (f[0] == '\\' && f + 2 < p) {
				val[v++] = (char)strtol((char[]){ f[1], f[2],
				    '\0' }, NULL, 16);
				f += 2;
			} else
				val[v++] = *f;
		}
		if (stars == 0)
			tag = 0;
		else if (i == 0)
			tag = LDAP_SUBSTRING_INITIAL;
		else if (f == p)
			tag = LDAP_SUBSTRING_FINAL;
		else
			tag = LDAP_SUBSTRING_ANY;
		if (v > 0 && (tag ? ber_printf(ber, "to", tag, val, v) :
		    ber_printf(ber, "o", val, v)) < 0)
			return NULL;
		if (f == p)
			break;
		f++;			/* the star */
	}
	if (ber_printf(ber, stars == 0 ? "N}" : "N}N}") < 0)
		return NULL;
	return p + 1;
}

static void
raw_send(struct conn *c, BerElement *ber)
{
	struct berval *bv = NULL;
	size_t off = 0;
	ssize_t n;

	if (ber_flatten(ber, &bv) < 0)
		die("ber_flatten", "cannot encode the request");
	while (off < bv->bv_len) {
		n = write(c->fd, bv->bv_val + off, bv->bv_len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write", strerror(errno));
		off += (size_t)n;
	}
	ber_bvfree(bv);
}

/*
 * The length of the BER element at p (tag, length and contents) and
 * where its contents start; 0 while it is incomplete, -1 when it cannot
 * be read.
 */
static long
ber_element(const unsigned char *p, size_t have, size_t *hdr, size_t *clen)
{
	size_t n, i, len = 0;

	if (have < 2)
		return 0;
	if (p[1] < 0x80) {
		len = p[1];
		*hdr = 2;
	} else {
		n = p[1] & 0x7f;
		if (n == 0 || n > 4)
			return -1;
		if (have < 2 + n)
			return 0;
		for (i = 0; i < n; i++)
			len = len << 8 | p[2 + i];
		*hdr = 2 + n;
	}
	*clen = len;
	return have < *hdr + len ? 0 : (long)(*hdr + len);
}

/*
 * Walks the complete messages read so far for the outstanding request:
 * 1 once its result has arrived (c->code, c->entries), 0 while more is
 * to come, -1 on a stream that cannot be read.
 */
static int
raw_walk(struct conn *c)
{
	size_t hdr, clen, h2, l2, off = 0;
	const unsigned char *m, *op;
	long whole;
	int done = 0;

	while (!done && (whole = ber_element(c->buf + off, c->have - off,
	    &hdr, &clen)) > 0) {
		m = c->buf + off;
		/* LDAPMessage: SEQUENCE { messageID, protocolOp } */
		if (m[0] != 0x30 || m[hdr] != 0x02 ||
		    ber_element(m + hdr, clen, &h2, &l2) <= 0 ||
		    hdr + h2 + l2 >= (size_t)whole)
			return -1;
		op = m + hdr + h2 + l2;
		off += (size_t)whole;
		if (*op == LDAP_RES_SEARCH_ENTRY)
			c->entries++;
		else if (*op == LDAP_RES_SEARCH_RESULT || *op == LDAP_RES_BIND) {
			/* LDAPResult: resultCode ENUMERATED first */
			if (ber_element(op, (size_t)(m + whole - op), &h2,
			    &l2) <= 0 || op[h2] != 0x0a || op[h2 + 1] != 1)
				return -1;
			c->code = op[h2 + 2];
			done = 1;
		} else if (*op != LDAP_RES_SEARCH_REFERENCE)
			return -1;
	}
	if (!done && whole < 0)
		return -1;
	c->have -= off;
	memmove(c->buf, c->buf + off, c->have);
	return done;
}

/* reads what the socket holds: bytes read, 0 at its end, -1 for none yet */
static ssize_t
raw_fill(struct conn *c, int flags)
{
	ssize_t n;

	if (c->have == c->cap) {
		c->cap *= 2;
		if ((c->buf = realloc(c->buf, c->cap)) == NULL)
			die("realloc", strerror(errno));
	}
	do
		n = recv(c->fd, c->buf + c->have, c->cap - c->have, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		die(uri, strerror(errno));
	if (n > 0)
		c->have += (size_t)n;
	return n;
}

/* blocks until the outstanding request's result: its code, -1 if broken */
static int
raw_wait_result(struct conn *c)
{
	int r;

	while ((r = raw_walk(c)) == 0)
		if (raw_fill(c, 0) <= 0)
			return -1;
	return r < 0 ? -1 : c->code;
}

static void
raw_connect(struct conn *c)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	char host[256], port[16] = "389";
	const char *h = uri + strlen("ldap://"), *colon, *end;
	BerElement *ber;
	int one = 1, rc;

	if (strncmp(uri, "ldap://", 7) != 0)
		die(uri, "only ldap:// URIs without --libldap");
	end = h + strcspn(h, "/");
	colon = memchr(h, ':', (size_t)(end - h));
	snprintf(host, sizeof(host), "%.*s",
	    (int)((colon != NULL ? colon : end) - h), h);
	if (colon != NULL)
		snprintf(port, sizeof(port), "%.*s", (int)(end - colon - 1),
		    colon + 1);
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0)
		die(uri, gai_strerror(rc));
	c->fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die(uri, strerror(errno));
	freeaddrinfo(ai);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->cap = 65536;
	if ((c->buf = malloc(c->cap)) == NULL)
		die("malloc", strerror(errno));
	/* BindRequest: version 3, empty name, empty simple password */
	if ((ber = ber_alloc_t(LBER_USE_DER)) == NULL ||
	    ber_printf(ber, "{it{istoN}N}", ++c->msgid, LDAP_REQ_BIND, 3, "",
	    LDAP_AUTH_SIMPLE, "", (ber_len_t)0) < 0)
		die("ber_printf", "cannot encode the bind");
	raw_send(c, ber);
	ber_free(ber, 1);
	if ((rc = raw_wait_result(c)) != LDAP_SUCCESS)
		die("anonymous bind", rc < 0 ? "unreadable answer" :
		    ldap_err2string(rc));
}

/* sends a search for term; its answers are then walked by raw_walk */
static void
raw_send_search(struct conn *c, const char *term)
{
	char filter[2048];
	BerElement *ber;
	const char *end;

	make_filter(term, filter, sizeof(filter));
	if ((ber = ber_alloc_t(LBER_USE_DER)) == NULL ||
	    ber_printf(ber, "{it{seeiib", ++c->msgid, LDAP_REQ_SEARCH, base,
	    LDAP_SCOPE_SUBTREE, LDAP_DEREF_NEVER, sizelimit, 60, 0) < 0)
		die("ber_printf", "cannot encode the search");
	end = put_filter(ber, filter);
	if (end == NULL || *end != '\0')
		die(filter, "cannot encode this filter");
	if (ber_printf(ber, "{v}N}N}", attrs) < 0)
		die("ber_printf", "cannot encode the search");
	raw_send(c, ber);
	ber_free(ber, 1);
	c->entries = 0;
	c->term = term;
}

/* the entries of a finished search, -1 for an error result */
static long
raw_outcome(const struct conn *c)
{
	if (c->code != LDAP_SUCCESS && c->code != LDAP_SIZELIMIT_EXCEEDED) {
		fprintf(stderr, "clients-load: \"%s\": %s\n", c->term,
		    ldap_err2string(c->code));
		return -1;
	}
	return c->entries;
}

static long
raw_search(struct conn *c, const char *term)
{
	raw_send_search(c, term);
	if (raw_wait_result(c) < 0)
		die(uri, "unreadable answer");
	return raw_outcome(c);
}

/* ---- either ---- */

static void
conn_open(struct conn *c, int libldap)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (libldap)
		c->ld = libldap_connect();
	else
		raw_connect(c);
}

static long
conn_search(struct conn *c, const char *term)
{
	char filter[2048];

	if (c->ld == NULL)
		return raw_search(c, term);
	make_filter(term, filter, sizeof(filter));
	return libldap_search(c->ld, filter);
}

static void
conn_close(struct conn *c)
{
	if (c->ld != NULL)
		ldap_unbind_ext_s(c->ld, NULL, NULL);
	if (c->fd >= 0)
		close(c->fd);	/* (an unbind is optional: RFC 4511 4.3) */
	free(c->buf);
}

/* one search done: n entries (-1: an error) in secs */
static void
record(struct worker *w, long n, double secs)
{
	if (n < 0) {
		w->errors++;
		return;
	}
	w->searches++;
	w->entries += (unsigned long)n;
	if (w->nlat == w->caplat) {
		w->caplat = w->caplat ? w->caplat * 2 : 4096;
		w->lat = realloc(w->lat, w->caplat * sizeof(double));
		if (w->lat == NULL)
			die("realloc", strerror(errno));
	}
	w->lat[w->nlat++] = secs;
}

/* --libldap: one connection, one search at a time */
static void *
work_libldap(void *arg)
{
	struct worker *w = arg;
	struct conn c;
	size_t k = (size_t)w->id * 7919;
	double t0;
	long n;

	conn_open(&c, 1);
	/* (after 5 errors: a broken setup, not a slow server) */
	while ((t0 = now()) < deadline && w->errors < 5) {
		n = conn_search(&c, terms[k++ % nterms]);
		record(w, n, now() - t0);
	}
	conn_close(&c);
	return NULL;
}

/*
 * w->nconn connections served by one thread: each has one search
 * outstanding at a time, as a client does, and the thread reads from
 * whichever has answers, so it sleeps only when none has.
 */
static void *
work_raw(void *arg)
{
	struct worker *w = arg;
	struct epoll_event ev, evs[64];
	struct conn *cs, *c;
	size_t k = (size_t)w->id * 7919;
	int epfd, i, nev, active, r;
	ssize_t got;

	cs = calloc((size_t)w->nconn, sizeof(*cs));
	if (cs == NULL || (epfd = epoll_create1(0)) < 0)
		die("clients-load", strerror(errno));
	for (i = 0; i < w->nconn; i++) {
		conn_open(&cs[i], 0);
		ev.events = EPOLLIN;
		ev.data.ptr = &cs[i];
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, cs[i].fd, &ev) < 0)
			die("epoll_ctl", strerror(errno));
		cs[i].t0 = now();
		raw_send_search(&cs[i], terms[k++ % nterms]);
	}
	active = w->nconn;
	while (active > 0) {
		nev = epoll_wait(epfd, evs, 64, 1000);
		if (nev < 0 && errno != EINTR)
			die("epoll_wait", strerror(errno));
		for (i = 0; i < nev; i++) {
			c = evs[i].data.ptr;
			while ((got = raw_fill(c, MSG_DONTWAIT)) > 0)
				;
			if (got == 0)
				die(uri, "the server closed a connection");
			if ((r = raw_walk(c)) < 0)
				die(uri, "unreadable answer");
			if (r == 0)
				continue;
			record(w, raw_outcome(c), now() - c->t0);
			if ((c->t0 = now()) < deadline && w->errors < 5)
				raw_send_search(c, terms[k++ % nterms]);
			else {
				epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
				active--;
			}
		}
	}
	for (i = 0; i < w->nconn; i++)
		conn_close(&cs[i]);
	close(epfd);
	free(cs);
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

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* every term once through both clients: the entry counts must agree */
static int
check(void)
{
	struct conn a, b;
	long n, m, total = 0;
	size_t i;

	conn_open(&a, 1);
	conn_open(&b, 0);
	for (i = 0; i < nterms; i++) {
		if ((n = conn_search(&a, terms[i])) < 0 ||
		    (m = conn_search(&b, terms[i])) < 0)
			return 1;
		if (n != m) {
			fprintf(stderr, "clients-load: \"%s\": %ld entries "
			    "through libldap, %ld on the socket\n", terms[i],
			    n, m);
			return 1;
		}
		total += n;
	}
	conn_close(&a);
	conn_close(&b);
	printf("terms=%zu entries=%ld\n", nterms, total);
	return 0;
}

int
main(int argc, char **argv)
{
	struct worker *w;
	unsigned long searches = 0, entries = 0, errors = 0;
	double start, elapsed, cpu0, *all;
	size_t nall = 0, i;
	int conns, nthreads, j;

	if (argc == 7 && strcmp(argv[1], "--check") == 0) {
		uri = argv[2];
		base = argv[3];
		sizelimit = atoi(argv[4]);
		tmpl = argv[5];
		read_terms(argv[6]);
		return check();
	}
	for (;;) {
		if (argc > 1 && strcmp(argv[1], "--libldap") == 0) {
			use_libldap = 1;
			argc--;
			argv++;
		} else if (argc > 2 && strcmp(argv[1], "--threads") == 0) {
			raw_threads = atoi(argv[2]);
			argc -= 2;
			argv += 2;
		} else
			break;
	}
	if (argc != 8 || raw_threads < 1) {
		fprintf(stderr, "usage: clients-load [--libldap | --threads N] "
		    "URI BASE SIZELIMIT SECONDS CONNS TEMPLATE TERMSFILE\n"
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
	nthreads = use_libldap ? conns : conns < raw_threads ? conns :
	    raw_threads;
	w = calloc((size_t)nthreads, sizeof(*w));
	if (w == NULL)
		die("calloc", strerror(errno));
	cpu0 = cpu_seconds();
	start = now();
	deadline = start + seconds;
	for (j = 0; j < nthreads; j++) {
		w[j].id = j;
		/* the connections shared out evenly */
		w[j].nconn = conns / nthreads + (j < conns % nthreads);
		if (pthread_create(&w[j].tid, NULL, use_libldap ? work_libldap :
		    work_raw, &w[j]) != 0)
			die("pthread_create", strerror(errno));
	}
	for (j = 0; j < nthreads; j++) {
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
	for (j = 0; j < nthreads; j++) {
		memcpy(all + nall, w[j].lat, w[j].nlat * sizeof(double));
		nall += w[j].nlat;
		free(w[j].lat);
	}
	qsort(all, nall, sizeof(double), cmp_double);
	printf("searches=%lu seconds=%.2f rate=%.0f entries_per_search=%.1f "
	    "p50_ms=%.2f p99_ms=%.2f client_ms=%.2f errors=%lu\n", searches,
	    elapsed, (double)searches / elapsed,
	    searches ? (double)entries / (double)searches : 0.0,
	    nall ? all[nall / 2] * 1000 : 0.0,
	    nall ? all[(nall * 99) / 100] * 1000 : 0.0,
	    searches ? (cpu_seconds() - cpu0) * 1000 / (double)searches : 0.0,
	    errors);
	free(all);
	free(w);
	for (i = 0; i < nterms; i++)
		free(terms[i]);
	free(terms);
	return errors ? 1 : 0;
}
