/*
 * galgate run: the daemon.  Runs each connector on its schedule, takes
 * "Execute Now" requests on the control socket, retries failed cycles
 * with capped exponential backoff, reloads the config on SIGHUP (keeping
 * the old one if the new one is bad) and exits 0 on SIGTERM.
 *
 * A cycle is this program run again as "galgate sync NAME" (fork and
 * exec): it gets fresh LDAP and LMDB handles, its memory goes back when
 * it ends, a crash inside a connector cannot take the daemon down, and
 * the cycle lock (locks/NAME.lock) keeps cycles of one connector apart
 * whoever starts them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "connector.h"
#include "control.h"
#include "daemon.h"
#include "evlog.h"
#include "metrics.h"
#include "schedule.h"
#include "state.h"

#define BACKOFF_FIRST	5	/* seconds before the first retry */
#define BACKOFF_MAX	900	/* the cap */
#define TICK_MAX	60	/* wake at least this often */

enum {
	EV_DAEMON_START = 1050,
	EV_DAEMON_STOP = 1051,
	EV_DAEMON_RETRY = 1052,
	EV_DAEMON_RELOAD = 1053,
	EV_DAEMON_RELOAD_REFUSED = 1054,
	EV_DAEMON_EXECUTE_NOW = 1055
};

struct job {
	char			 name[128];
	struct gw_schedule	 sched;
	time_t			 next;
	time_t			 started;
	long			 failures;
	pid_t			 pid;		/* 0: idle */
	int			 client;	/* who asked, or -1 */
	int			 gone;		/* dropped by a reload */
};

struct daemon {
	const char	*conf_path;
	char		 self[PATH_MAX];
	struct gw_conf	*conf;
	struct gw_state	*state;
	struct gw_evlog	 ev;
	struct job	*jobs;
	size_t		 njobs;
	int		 listen_fd;
};

static volatile sig_atomic_t got_term, got_hup;
static int wake_pipe[2] = { -1, -1 };

static void
on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	/* SIGCHLD too: wake poll() */
	(void)!write(wake_pipe[1], "x", 1);
	errno = saved;
}

static struct job *
job_find(struct daemon *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->njobs; i++)
		if (!d->jobs[i].gone && strcmp(d->jobs[i].name, name) == 0)
			return &d->jobs[i];
	return NULL;
}

/* The schedule of a connector section, the master's polling included. */
static void
job_schedule(const struct conf_section *s, struct gw_schedule *sched)
{
	const struct conf_entry *e;
	const char *errstr, *poll;
	char item[64];
	size_t k = 0;

	memset(sched, 0, sizeof(*sched));
	while ((e = conf_next(s, "schedule", &k)) != NULL)
		(void)gw_schedule_parse(e->value, sched, &errstr);
	poll = conf_get(s, "poll_interval", NULL);
	if (poll == NULL && strcmp(conf_get(s, "type", ""), "interorg") == 0 &&
	    strcmp(conf_get(s, "role", ""), "master") == 0)
		poll = "30s";
	if (poll != NULL) {
		snprintf(item, sizeof(item), "every %s", poll);
		(void)gw_schedule_parse(item, sched, &errstr);
	}
}

/* Builds the job table from d->conf, keeping what runs. */
static void
jobs_load(struct daemon *d, time_t now)
{
	struct job *j;
	size_t i, k;

	for (i = 0; i < d->njobs; i++)
		d->jobs[i].gone = 1;
	for (i = 0; i < d->conf->nsec; i++) {
		const struct conf_section *s = &d->conf->sec[i];

		if (s->kind != CONF_SEC_CONNECTOR)
			continue;
		j = NULL;
		for (k = 0; k < d->njobs; k++)
			if (strcmp(d->jobs[k].name, s->name) == 0)
				j = &d->jobs[k];
		if (j == NULL) {
			d->jobs = gw_realloc(d->jobs, (d->njobs + 1) *
			    sizeof(*d->jobs));
			j = &d->jobs[d->njobs++];
			memset(j, 0, sizeof(*j));
			snprintf(j->name, sizeof(j->name), "%s", s->name);
			j->client = -1;
		}
		j->gone = 0;
		job_schedule(s, &j->sched);
		if (j->pid == 0 && j->failures == 0)
			j->next = j->sched.n > 0 ? gw_schedule_next(&j->sched,
			    j->started, now) : 0;
	}
}

static void
record_next(struct daemon *d, const struct job *j)
{
	struct gw_txn *txn;
	struct gw_err err;
	char key[160], val[32];

	gw_err_init(&err);
	snprintf(key, sizeof(key), "next:%s", j->name);
	snprintf(val, sizeof(val), "%lld", (long long)j->next);
	if (state_begin(d->state, 1, &txn, &err) == -1)
		return;
	if (state_put(txn, GW_DB_STATUS, key, strlen(key), val, strlen(val),
	    &err) == -1) {
		state_abort(txn);
		return;
	}
	(void)state_commit(txn, &err);
}

static void
job_start(struct daemon *d, struct job *j, int client, long allow)
{
	char allow_s[32];
	pid_t pid;
	int null;

	snprintf(allow_s, sizeof(allow_s), "%ld", allow);
	j->started = time(NULL);
	if ((pid = fork()) == -1) {
		evlog_emit(&d->ev, EV_DAEMON_RETRY, GW_SEV_ERROR, j->name, NULL,
		    "cannot start a cycle: %s", strerror(errno));
		j->next = j->started + BACKOFF_FIRST;
		if (client != -1)
			close(client);
		return;
	}
	if (pid == 0) {
		/* the cycle's output goes to whoever asked for it */
		null = open("/dev/null", O_RDWR);
		if (client != -1) {
			dup2(client, 1);
			dup2(client, 2);
		} else if (null != -1) {
			dup2(null, 1);
		}
		if (null != -1)
			dup2(null, 0);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		setenv("GALGATE_IN_DAEMON", "1", 1);
		if (allow > 0)
			execl(d->self, "galgate", "-c", d->conf_path, "sync",
			    "--allow-deletes", allow_s, j->name, (char *)NULL);
		else
			execl(d->self, "galgate", "-c", d->conf_path, "sync",
			    j->name, (char *)NULL);
		_exit(GW_EXIT_RUNTIME);
	}
	j->pid = pid;
	j->client = client;
}

static void
job_done(struct daemon *d, struct job *j, int status)
{
	char mark[32];
	time_t now = time(NULL), sched_next;
	long delay;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : GW_EXIT_RUNTIME;
	struct gw_err err;

	if (j->client != -1) {
		snprintf(mark, sizeof(mark), "%cexit %d\n", CONTROL_EXIT_MARK,
		    code);
		(void)!write(j->client, mark, strlen(mark));
		close(j->client);
		j->client = -1;
	}
	j->pid = 0;
	sched_next = j->sched.n > 0 ? gw_schedule_next(&j->sched, j->started,
	    now) : 0;
	if (code == GW_EXIT_RUNTIME) {
		/* server or mail server down: retry sooner, backing off */
		j->failures++;
		delay = BACKOFF_FIRST;
		while (delay < BACKOFF_MAX && j->failures > 1 &&
		    delay < (BACKOFF_FIRST << (j->failures - 1)))
			delay *= 2;
		if (delay > BACKOFF_MAX)
			delay = BACKOFF_MAX;
		/* however short the schedule: a down server is not hammered */
		j->next = now + delay;
		evlog_emit(&d->ev, EV_DAEMON_RETRY, GW_SEV_WARNING, j->name,
		    NULL, "cycle failed (%ld in a row): next try in %ld s",
		    j->failures, (long)(j->next - now));
	} else {
		/* success, or a failure a retry cannot mend (config, input) */
		j->failures = 0;
		j->next = sched_next;
	}
	record_next(d, j);
	gw_err_init(&err);
	(void)metrics_write(d->conf, d->state, &err);
}

static void
reap(struct daemon *d)
{
	pid_t pid;
	size_t i;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < d->njobs; i++)
			if (d->jobs[i].pid == pid)
				job_done(d, &d->jobs[i], status);
}

static void
serve_client(struct daemon *d, int fd)
{
	char req[512], name[160], msg[256];
	const char *errstr;
	struct job *j;
	long allow = 0;
	char *sp;

	if (control_read_request(fd, req, sizeof(req)) == -1) {
		close(fd);
		return;
	}
	if (strcmp(req, "ping") == 0) {
		(void)!write(fd, "pong", 4);
		close(fd);
		return;
	}
	if (strncmp(req, "sync ", 5) != 0) {
		snprintf(msg, sizeof(msg), "galgate: unknown request\n%cexit %d\n",
		    CONTROL_EXIT_MARK, GW_EXIT_USAGE);
		(void)!write(fd, msg, strlen(msg));
		close(fd);
		return;
	}
	if (snprintf(name, sizeof(name), "%s", req + 5) >= (int)sizeof(name)) {
		close(fd);	/* no connector has a name that long */
		return;
	}
	if ((sp = strchr(name, ' ')) != NULL) {
		*sp = '\0';
		allow = (long)gw_strtonum(sp + 1, 0, 100000000, &errstr);
		if (errstr != NULL)
			allow = 0;
	}
	if ((j = job_find(d, name)) == NULL) {
		snprintf(msg, sizeof(msg), "galgate: no [connector %s]\n"
		    "%cexit %d\n", name, CONTROL_EXIT_MARK, GW_EXIT_USAGE);
		(void)!write(fd, msg, strlen(msg));
		close(fd);
		return;
	}
	if (j->pid != 0) {
		snprintf(msg, sizeof(msg), "galgate: connector %s: another "
		    "cycle is running\n%cexit %d\n", name, CONTROL_EXIT_MARK,
		    GW_EXIT_BUSY);
		(void)!write(fd, msg, strlen(msg));
		close(fd);
		return;
	}
	evlog_emit(&d->ev, EV_DAEMON_EXECUTE_NOW, GW_SEV_INFO, name, NULL,
	    "Execute Now requested on the control socket");
	job_start(d, j, fd, allow);
}

static void
reload(struct daemon *d)
{
	struct gw_conf *c;
	struct gw_err err;

	gw_err_init(&err);
	if ((c = conf_load(d->conf_path, connector_conf_types(), stderr,
	    &err)) == NULL) {
		evlog_emit(&d->ev, EV_DAEMON_RELOAD_REFUSED, GW_SEV_ERROR, NULL,
		    NULL, "new configuration refused, the old one stays: %s",
		    err.msg);
		return;
	}
	if (strcmp(c->state_dir, d->conf->state_dir) != 0) {
		evlog_emit(&d->ev, EV_DAEMON_RELOAD_REFUSED, GW_SEV_ERROR, NULL,
		    NULL, "new configuration refused: state_dir cannot change "
		    "while the daemon runs");
		conf_free(c);
		return;
	}
	conf_free(d->conf);
	d->conf = c;
	jobs_load(d, time(NULL));
	evlog_emit(&d->ev, EV_DAEMON_RELOAD, GW_SEV_INFO, NULL, NULL,
	    "configuration reloaded: %zu connectors", d->njobs);
}

int
daemon_run(const char *conf_path)
{
	struct daemon d;
	struct sigaction sa;
	struct pollfd pfd[2];
	struct gw_err err;
	time_t now, wake;
	size_t i, running;
	ssize_t n;
	char drain[64];
	int fd, timeout;

	memset(&d, 0, sizeof(d));
	d.conf_path = conf_path;
	d.listen_fd = -1;
	gw_err_init(&err);
	n = readlink("/proc/self/exe", d.self, sizeof(d.self) - 1);
	if (n <= 0) {
		fprintf(stderr, "galgate: cannot find my own executable\n");
		return GW_EXIT_RUNTIME;
	}
	d.self[n] = '\0';
	if ((d.conf = conf_load(d.conf_path, connector_conf_types(), stderr,
	    &err)) == NULL)
		goto fail;
	if (state_open(d.conf->state_dir, &d.state, &err) == -1 ||
	    evlog_open(&d.ev, d.conf->state_dir, &err) == -1 ||
	    control_listen(d.conf->state_dir, &d.listen_fd, &err) == -1)
		goto fail;
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) == -1) {
		gw_err_set(&err, GW_EXIT_RUNTIME, "pipe: %s", strerror(errno));
		goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	jobs_load(&d, time(NULL));
	for (i = 0; i < d.njobs; i++)
		record_next(&d, &d.jobs[i]);
	evlog_emit(&d.ev, EV_DAEMON_START, GW_SEV_INFO, NULL, NULL,
	    "daemon started: %zu connectors, control socket %s/galgate.sock",
	    d.njobs, d.conf->state_dir);
	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			reload(&d);
		}
		reap(&d);
		now = time(NULL);
		wake = now + TICK_MAX;
		for (i = 0; i < d.njobs; i++) {
			struct job *j = &d.jobs[i];

			if (j->gone || j->pid != 0 || j->next == 0)
				continue;
			if (j->next <= now)
				job_start(&d, j, -1, 0);
			else if (j->next < wake)
				wake = j->next;
		}
		pfd[0].fd = d.listen_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = wake_pipe[0];
		pfd[1].events = POLLIN;
		timeout = (int)(wake - now) * 1000;
		if (timeout < 0)
			timeout = 0;
		if (poll(pfd, 2, timeout) <= 0)
			continue;
		if (pfd[1].revents & POLLIN)
			while (read(wake_pipe[0], drain, sizeof(drain)) > 0)
				;
		if ((pfd[0].revents & POLLIN) && !got_term &&
		    (fd = accept4(d.listen_fd, NULL, NULL, SOCK_CLOEXEC)) != -1)
			serve_client(&d, fd);
	}
	/* SIGTERM: the running cycles are asked to stop, and awaited */
	evlog_emit(&d.ev, EV_DAEMON_STOP, GW_SEV_INFO, NULL, NULL,
	    "daemon stopping");
	for (i = 0; i < d.njobs; i++)
		if (d.jobs[i].pid != 0)
			kill(d.jobs[i].pid, SIGTERM);
	do {
		running = 0;
		reap(&d);
		for (i = 0; i < d.njobs; i++)
			running += d.jobs[i].pid != 0;
		if (running > 0)
			usleep(50000);
	} while (running > 0);
	close(d.listen_fd);
	{
		char sock[PATH_MAX];

		snprintf(sock, sizeof(sock), "%s/galgate.sock",
		    d.conf->state_dir);
		unlink(sock);
	}
	free(d.jobs);
	evlog_close(&d.ev);
	state_close(d.state);
	conf_free(d.conf);
	return GW_EXIT_OK;
fail:
	if (d.listen_fd != -1)
		close(d.listen_fd);
	evlog_close(&d.ev);
	state_close(d.state);
	conf_free(d.conf);
	fprintf(stderr, "galgate: %s\n", err.msg);
	return err.exit != 0 ? err.exit : GW_EXIT_RUNTIME;
}
