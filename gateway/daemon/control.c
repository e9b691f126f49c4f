#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "util.h"

#define CONTROL_TIMEOUT_MS	2000

static int
sock_path(const char *state_dir, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/galgate.sock",
	    state_dir) >= (int)sizeof(sa->sun_path))
		return -1;
	return 0;
}

static int
connect_to(const char *state_dir)
{
	struct sockaddr_un sa;
	int fd;

	if (sock_path(state_dir, &sa) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
control_alive(const char *state_dir)
{
	struct pollfd pfd;
	char buf[16];
	ssize_t n;
	int fd;

	if ((fd = connect_to(state_dir)) == -1)
		return 0;
	if (write_all(fd, "ping\n", 5) == -1) {
		close(fd);
		return 0;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	n = poll(&pfd, 1, CONTROL_TIMEOUT_MS) == 1 ? read(fd, buf, 4) : -1;
	close(fd);
	return n == 4 && memcmp(buf, "pong", 4) == 0;
}

int
control_sync(const char *state_dir, const char *name, long allow_deletes,
    struct gw_err *err)
{
	char req[512], buf[4096], tail[64];
	size_t tlen = 0, i;
	ssize_t n;
	int fd, status = -1;

	if ((fd = connect_to(state_dir)) == -1)
		return gw_err_set(err, GW_EXIT_RUNTIME, "the daemon does not "
		    "answer on %s/galgate.sock", state_dir);
	snprintf(req, sizeof(req), "sync %s %ld\n", name, allow_deletes);
	if (write_all(fd, req, strlen(req)) == -1) {
		close(fd);
		return gw_err_set(err, GW_EXIT_RUNTIME, "control socket: %s",
		    strerror(errno));
	}
	/* everything up to the exit mark is the cycle's output */
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < (size_t)n; i++) {
			if (tlen > 0 || buf[i] == CONTROL_EXIT_MARK) {
				if (tlen < sizeof(tail) - 1)
					tail[tlen++] = buf[i];
				continue;
			}
			fputc(buf[i], stdout);
		}
	}
	close(fd);
	fflush(stdout);
	tail[tlen] = '\0';
	if (tlen > 6 && strncmp(tail + 1, "exit ", 5) == 0) {
		const char *errstr;

		tail[strcspn(tail, "\n")] = '\0';
		status = (int)gw_strtonum(tail + 6, 0, 255, &errstr);
		if (errstr != NULL)
			status = -1;
	}
	if (status < 0)
		return gw_err_set(err, GW_EXIT_RUNTIME, "the daemon ended the "
		    "cycle of %s without a result", name);
	return status;
}

int
control_listen(const char *state_dir, int *out, struct gw_err *err)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd;

	if (sock_path(state_dir, &sa) == -1)
		return gw_err_set(err, GW_EXIT_USAGE, "%s: path too long for a "
		    "socket", state_dir);
	if (control_alive(state_dir))
		return gw_err_set(err, GW_EXIT_RUNTIME, "a daemon already runs "
		    "on %s", sa.sun_path);
	unlink(sa.sun_path);	/* a stale one from a crash */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return gw_err_set(err, GW_EXIT_RUNTIME, "socket: %s",
		    strerror(errno));
	old = umask(077);	/* owner-only from the start */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		umask(old);
		close(fd);
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", sa.sun_path,
		    strerror(errno));
	}
	umask(old);
	chmod(sa.sun_path, 0600);
	if (listen(fd, 16) == -1) {
		close(fd);
		return gw_err_set(err, GW_EXIT_RUNTIME, "%s: %s", sa.sun_path,
		    strerror(errno));
	}
	*out = fd;
	return 0;
}

int
control_read_request(int fd, char *buf, size_t len)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t off = 0;
	ssize_t n;

	while (off < len - 1) {
		if (poll(&pfd, 1, CONTROL_TIMEOUT_MS) != 1)
			return -1;
		if ((n = read(fd, buf + off, 1)) <= 0)
			return -1;
		if (buf[off] == '\n') {
			buf[off] = '\0';
			return 0;
		}
		off++;
	}
	return -1;
}
