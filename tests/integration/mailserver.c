/* Postfix + Dovecot on loopback for the tests (see mailserver.h). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "harness.h"
#include "mailserver.h"
#include "ports.h"

#define POSTCONF	"/usr/sbin/postconf"
#define POSTFIX		"/usr/sbin/postfix"
#define DOVECOT		"/usr/sbin/dovecot"
/* serializes edits of the default instance's main.cf between tests */
#define PF_LOCK		"/tmp/galgate-test-postfix.lock"
#define START_TIMEOUT	30000	/* ms */

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
port_open(int port)
{
	struct sockaddr_in sa;
	int fd, ok;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Three ports nobody else takes while the servers start. */
static void
pick_ports(struct mailserver *ms)
{
	ms->smtp_port = test_port();
	ms->imap_port = test_port();
	ms->lmtp_port = test_port();
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	cr_assert_not_null(fp, "%s: %s", path, strerror(errno));
	fputs(text, fp);
	fclose(fp);
	chmod(path, mode);
}

static char *
read_all(const char *path)
{
	struct out o = run("cat '%s' 2>/dev/null", path);

	return o.text;
}

/*
 * Adds dir to (or removes it from) alternate_config_directories of the
 * default Postfix instance, keeping the other entries; entries of test
 * directories that are gone are dropped on the way.
 */
static void
pf_register(const char *dir, int add)
{
	struct out o;
	char *list, *tok, *save = NULL, buf[8192];
	struct stat st;
	int fd;

	fd = open(PF_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	cr_assert(fd != -1, "%s: %s", PF_LOCK, strerror(errno));
	flock(fd, LOCK_EX);
	o = run(POSTCONF " -h alternate_config_directories");
	list = o.text;
	buf[0] = '\0';
	for (tok = strtok_r(list, " ,\t\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " ,\t\n", &save)) {
		if (strcmp(tok, dir) == 0)
			continue;
		if (strncmp(tok, "/tmp/gm-", 8) == 0 && stat(tok, &st) == -1)
			continue;
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
		    buf[0] != '\0' ? " " : "", tok);
	}
	if (add)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
		    buf[0] != '\0' ? " " : "", dir);
	out_free(&o);
	/*
	 * Postfix waits until a main.cf it reads is a second old (it may be
	 * being written): dating the edit back saves that wait.
	 */
	o = run(POSTCONF " -e 'alternate_config_directories = %s' && "
	    "touch -d '-1 min' /etc/postfix/main.cf", buf);
	cr_assert_eq(o.status, 0, "postconf: %s", o.text);
	out_free(&o);
	flock(fd, LOCK_UN);
	close(fd);
}

static pid_t
spawn(const char *log, char *const argv[])
{
	pid_t pid = fork();
	int fd;

	cr_assert(pid != -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* the server goes when the test process goes */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		/* a group of its own: stopping reaches all its processes */
		setpgid(0, 0);
		if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void
wait_port(struct mailserver *ms, int port, pid_t child, const char *log)
{
	int waited, st;

	for (waited = 0; waited < START_TIMEOUT; waited += 20) {
		if (port_open(port))
			return;
		if (waitpid(child, &st, WNOHANG) == child) {
			char *t = read_all(log);

			cr_log_error("%s", t);
			free(t);
			mailserver_stop(ms);
			cr_assert_fail("server exited before listening on %d",
			    port);
		}
		sleep_ms(20);
	}
	mailserver_stop(ms);
	cr_assert_fail("nothing listens on port %d", port);
}

static void
postfix_config(struct mailserver *ms, const char *domains)
{
	struct out o;
	struct passwd *pw = getpwnam("postfix");
	char pf[128], path[192];

	cr_assert_not_null(pw, "no postfix user (install-deps.sh --test)");
	snprintf(pf, sizeof(pf), "%s/pf", ms->dir);
	snprintf(path, sizeof(path), "%s/data", pf);
	o = run("mkdir -p %s/queue %s && cp /etc/postfix/main.cf "
	    "/etc/postfix/master.cf %s/", pf, path, pf);
	cr_assert_eq(o.status, 0, "%s", o.text);
	out_free(&o);
	cr_assert_eq(chown(path, pw->pw_uid, pw->pw_gid), 0);
	o = run(POSTCONF " -c %s -e 'inet_interfaces = 127.0.0.1' "
	    "'inet_protocols = ipv4' 'mydestination =' "
	    "'virtual_mailbox_domains = %s' "
	    "'virtual_transport = lmtp:inet:127.0.0.1:%d' "
	    "'queue_directory = %s/queue' 'data_directory = %s/data' "
	    "'mynetworks = 127.0.0.0/8' "
	    "'smtpd_relay_restrictions = permit_mynetworks reject' "
	    "'alias_maps =' 'alias_database =' 'maillog_file = /dev/stdout' "
	    "'myhostname = localhost' && "
	    POSTCONF " -c %s -M# smtp/inet && "
	    POSTCONF " -c %s -M '127.0.0.1:%d/inet = 127.0.0.1:%d inet n - n "
	    "- - smtpd' && " POSTCONF " -c %s -F '*/*/chroot = n' && "
	    "touch -d '-1 min' %s/main.cf %s/master.cf",
	    pf, domains, ms->lmtp_port, pf, pf, pf, pf, ms->smtp_port,
	    ms->smtp_port, pf, pf, pf);
	cr_assert_eq(o.status, 0, "postconf: %s", o.text);
	out_free(&o);
}

static void
dovecot_config(struct mailserver *ms)
{
	char conf[4096], path[128];

	snprintf(conf, sizeof(conf),
	    "base_dir = %s/dc/run\n"
	    "state_dir = %s/dc/state\n"
	    "log_path = %s/dc/dovecot.log\n"
	    "listen = 127.0.0.1\n"
	    "protocols = imap lmtp\n"
	    "ssl = no\n"
	    "disable_plaintext_auth = no\n"
	    "auth_mechanisms = plain login\n"
	    "auth_username_format = %%Ln\n"
	    "first_valid_uid = 8\n"
	    "mail_location = maildir:%s/mail/%%n\n"
	    "passdb {\n  driver = static\n  args = password=%s\n}\n"
	    "userdb {\n  driver = static\n"
	    "  args = uid=mail gid=mail home=%s/mail/%%n\n}\n"
	    "service imap-login {\n"
	    "  inet_listener imap {\n    address = 127.0.0.1\n"
	    "    port = %d\n  }\n"
	    "  inet_listener imaps {\n    port = 0\n  }\n}\n"
	    "service lmtp {\n  inet_listener lmtp {\n"
	    "    address = 127.0.0.1\n    port = %d\n  }\n}\n",
	    ms->dir, ms->dir, ms->dir, ms->dir, ms->password, ms->dir,
	    ms->imap_port, ms->lmtp_port);
	snprintf(path, sizeof(path), "%s/dc", ms->dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/dc/dovecot.conf", ms->dir);
	write_text(path, conf, 0644);
}

static void
start_dovecot(struct mailserver *ms)
{
	char path[160], log[160];
	char *dc_argv[5];

	snprintf(path, sizeof(path), "%s/dc/dovecot.conf", ms->dir);
	snprintf(log, sizeof(log), "%s/dc/stdout.log", ms->dir);
	dc_argv[0] = (char *)DOVECOT;
	dc_argv[1] = (char *)"-F";
	dc_argv[2] = (char *)"-c";
	dc_argv[3] = path;
	dc_argv[4] = NULL;
	ms->dovecot_pid = spawn(log, dc_argv);
	wait_port(ms, ms->imap_port, ms->dovecot_pid, log);
	wait_port(ms, ms->lmtp_port, ms->dovecot_pid, log);
}

static void
start_postfix(struct mailserver *ms)
{
	char path[160], log[160];
	char *pf_argv[5];

	snprintf(path, sizeof(path), "%s/pf", ms->dir);
	snprintf(log, sizeof(log), "%s/pf/postfix.log", ms->dir);
	pf_argv[0] = (char *)POSTFIX;
	pf_argv[1] = (char *)"-c";
	pf_argv[2] = path;
	pf_argv[3] = (char *)"start-fg";
	pf_argv[4] = NULL;
	ms->postfix_pid = spawn(log, pf_argv);
	wait_port(ms, ms->smtp_port, ms->postfix_pid, log);
}

void
mailserver_start(struct mailserver *ms, const char *domains)
{
	struct passwd *mail = getpwnam("mail");
	char path[160];
	struct stat st;

	memset(ms, 0, sizeof(*ms));
	cr_assert(stat(POSTFIX, &st) == 0 && stat(DOVECOT, &st) == 0,
	    "Postfix or Dovecot missing: run deploy/install-deps.sh --test");
	cr_assert_not_null(mail, "no mail user");
	strcpy(ms->dir, "/tmp/gm-XXXXXX");
	cr_assert_not_null(mkdtemp(ms->dir));
	/* Postfix and Dovecot's users must traverse it */
	chmod(ms->dir, 0755);
	snprintf(ms->password, sizeof(ms->password), "pw%ld%ld", (long)getpid(),
	    (long)time(NULL));
	snprintf(ms->password_file, sizeof(ms->password_file),
	    "%s/mail.secret", ms->dir);
	write_text(ms->password_file, ms->password, 0600);
	snprintf(path, sizeof(path), "%s/mail", ms->dir);
	mkdir(path, 0750);
	cr_assert_eq(chown(path, mail->pw_uid, mail->pw_gid), 0);
	pick_ports(ms);

	dovecot_config(ms);
	start_dovecot(ms);
	postfix_config(ms, domains);
	snprintf(path, sizeof(path), "%s/pf", ms->dir);
	pf_register(path, 1);
	ms->registered = 1;
	start_postfix(ms);
}

/* Signals, then waits up to 10 s, then kills. */
static void
stop_child(pid_t pid, pid_t signal_to)
{
	int i, st;

	if (pid <= 0)
		return;
	if (signal_to > 0)
		kill(signal_to, SIGTERM);
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) != 0)
			return;
		sleep_ms(20);
	}
	kill(pid, SIGKILL);
	if (signal_to > 0)
		kill(signal_to, SIGKILL);
	waitpid(pid, &st, 0);
}

static void
stop_postfix(struct mailserver *ms)
{
	char path[160], *pid;
	long master;

	if (ms->postfix_pid <= 0)
		return;
	snprintf(path, sizeof(path), "%s/pf/queue/pid/master.pid", ms->dir);
	pid = read_all(path);
	master = strtol(pid, NULL, 10);
	free(pid);
	/* the master ends its children, then start-fg ends */
	stop_child(ms->postfix_pid, master > 0 ? (pid_t)master :
	    ms->postfix_pid);
	ms->postfix_pid = 0;
}

static void
stop_dovecot(struct mailserver *ms)
{
	int i, st;

	if (ms->dovecot_pid <= 0)
		return;
	/*
	 * Its master alone takes a second to wind its processes down: the
	 * whole group is told at once.
	 */
	kill(-ms->dovecot_pid, SIGTERM);
	for (i = 0; i < 500 && waitpid(ms->dovecot_pid, &st, WNOHANG) == 0;
	    i++)
		sleep_ms(10);
	if (i == 500) {
		kill(-ms->dovecot_pid, SIGKILL);
		waitpid(ms->dovecot_pid, &st, 0);
	}
	ms->dovecot_pid = 0;
}

void
mailserver_stop(struct mailserver *ms)
{
	char path[160];
	struct out o;

	if (ms->dir[0] == '\0')
		return;
	stop_postfix(ms);
	stop_dovecot(ms);
	if (ms->registered) {
		snprintf(path, sizeof(path), "%s/pf", ms->dir);
		pf_register(path, 0);
		ms->registered = 0;
	}
	if (getenv("GALGATE_KEEP_TEST_DIRS") == NULL) {
		o = run("rm -rf %s", ms->dir);
		out_free(&o);
	}
	ms->dir[0] = '\0';
}

/* Its children may hold the socket a moment after the master ended. */
static void
wait_closed(int port, const char *what)
{
	int waited;

	for (waited = 0; waited < 10000 && port_open(port); waited += 20)
		sleep_ms(20);
	cr_assert(!port_open(port), "%s still listens on %d", what, port);
}

void
mailserver_stop_smtp(struct mailserver *ms)
{
	stop_postfix(ms);
	wait_closed(ms->smtp_port, "Postfix");
}

void
mailserver_start_smtp(struct mailserver *ms)
{
	if (ms->postfix_pid <= 0)
		start_postfix(ms);
}

void
mailserver_stop_imap(struct mailserver *ms)
{
	stop_dovecot(ms);
	wait_closed(ms->imap_port, "Dovecot");
}

void
mailserver_start_imap(struct mailserver *ms)
{
	if (ms->dovecot_pid <= 0)
		start_dovecot(ms);
}

void
mail_flush(const struct mailserver *ms)
{
	struct out o = run("postqueue -c %s/pf -f", ms->dir);

	cr_assert_eq(o.status, 0, "postqueue -f: %s", o.text);
	out_free(&o);
}

static int
count_files(const char *dir, int depth)
{
	char path[512];
	struct dirent *d;
	struct stat st;
	DIR *dd;
	int n = 0;

	if ((dd = opendir(dir)) == NULL)
		return 0;
	while ((d = readdir(dd)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (lstat(path, &st) == -1)
			continue;
		if (S_ISREG(st.st_mode))
			n++;
		else if (S_ISDIR(st.st_mode) && depth > 0)
			n += count_files(path, depth - 1);
	}
	closedir(dd);
	return n;
}

int
mail_count(const struct mailserver *ms, const char *user, const char *folder)
{
	char base[256], path[300];

	if (strcmp(folder, "INBOX") == 0)
		snprintf(base, sizeof(base), "%s/mail/%s", ms->dir, user);
	else
		snprintf(base, sizeof(base), "%s/mail/%s/.%s", ms->dir, user,
		    folder);
	snprintf(path, sizeof(path), "%s/new", base);
	{
		int n = count_files(path, 0);

		snprintf(path, sizeof(path), "%s/cur", base);
		return n + count_files(path, 0);
	}
}

int
mail_settle(const struct mailserver *ms, int timeout_ms)
{
	static const char *q[] = { "maildrop", "incoming", "active",
	    "deferred", NULL };
	char path[256];
	int waited, n, i, deferred;

	for (waited = 0; waited <= timeout_ms; waited += 10) {
		for (n = 0, deferred = 0, i = 0; q[i] != NULL; i++) {
			snprintf(path, sizeof(path), "%s/pf/queue/%s", ms->dir,
			    q[i]);
			n += count_files(path, 3);
			if (strcmp(q[i], "deferred") == 0)
				deferred = count_files(path, 3);
		}
		if (n == 0)
			return 0;
		/*
		 * A delivery that failed once (Dovecot slow to answer on a
		 * loaded machine) waits minutes for Postfix's next queue
		 * run: try it again now, once a second.
		 */
		if (deferred > 0 && waited % 1000 == 0)
			mail_flush(ms);
		sleep_ms(10);
	}
	return -1;
}

static struct out
imap(const struct mailserver *ms, const char *user, const char *url_tail,
    const char *extra)
{
	return run("curl -sS --max-time 30 --url 'imap://127.0.0.1:%d/%s' "
	    "--user '%s:%s' %s", ms->imap_port, url_tail, user, ms->password,
	    extra);
}

unsigned long *
mail_uids(const struct mailserver *ms, const char *user, const char *folder,
    size_t *n)
{
	struct out o = imap(ms, user, folder, "-X 'UID SEARCH ALL'");
	unsigned long *v = NULL, u;
	char *p, *end;

	*n = 0;
	cr_assert_eq(o.status, 0, "IMAP search: %s", o.text);
	p = strstr(o.text, "SEARCH");
	for (p = p != NULL ? p + 6 : NULL; p != NULL && *p != '\0'; ) {
		u = strtoul(p, &end, 10);
		if (end == p) {
			p++;
			continue;
		}
		p = end;
		v = realloc(v, (*n + 1) * sizeof(*v));
		v[(*n)++] = u;
	}
	out_free(&o);
	return v;
}

char *
mail_fetch(const struct mailserver *ms, const char *user, const char *folder,
    unsigned long uid)
{
	char tail[256];
	struct out o;

	snprintf(tail, sizeof(tail), "%s;UID=%lu", folder, uid);
	o = imap(ms, user, tail, "");
	if (o.status != 0) {
		out_free(&o);
		return NULL;
	}
	return o.text;
}

int
mail_move(const struct mailserver *ms, const char *user, const char *from,
    unsigned long uid, const char *to)
{
	char cmd[256];
	struct out o;
	int st;

	snprintf(cmd, sizeof(cmd), "-X 'CREATE %s'", to);
	o = imap(ms, user, "", cmd);
	out_free(&o);
	snprintf(cmd, sizeof(cmd), "-X 'UID MOVE %lu %s'", uid, to);
	o = imap(ms, user, from, cmd);
	st = o.status;
	if (st != 0)
		cr_log_warn("IMAP move: %s", o.text);
	out_free(&o);
	return st == 0 ? 0 : -1;
}

static char *
temp_file(const struct mailserver *ms, const char *raw)
{
	static unsigned seq;
	char *path = malloc(256);

	snprintf(path, 256, "%s/msg-%u.eml", ms->dir, ++seq);
	write_text(path, raw, 0600);
	return path;
}

int
mail_append(const struct mailserver *ms, const char *user, const char *folder,
    const char *raw)
{
	char *path = temp_file(ms, raw), extra[300];
	struct out o;
	int st;

	snprintf(extra, sizeof(extra), "-T '%s'", path);
	o = imap(ms, user, folder, extra);
	st = o.status;
	if (st != 0)
		cr_log_warn("IMAP append: %s", o.text);
	out_free(&o);
	unlink(path);
	free(path);
	return st == 0 ? 0 : -1;
}

int
mail_smtp_send(const struct mailserver *ms, const char *from, const char *to,
    const char *raw)
{
	char *path = temp_file(ms, raw);
	struct out o;
	int st;

	o = run("curl -sS --max-time 30 --url smtp://127.0.0.1:%d "
	    "--mail-from '%s' --mail-rcpt '%s' --upload-file '%s'",
	    ms->smtp_port, from, to, path);
	st = o.status;
	if (st != 0)
		cr_log_warn("SMTP send: %s", o.text);
	out_free(&o);
	unlink(path);
	free(path);
	return st == 0 ? 0 : -1;
}
