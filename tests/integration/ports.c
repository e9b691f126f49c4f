/* Loopback ports for test servers (see ports.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "ports.h"

#define RESERVE_DIR	"/tmp/galgate-test-ports"
#define LOWEST		10000

/* The first port the kernel hands out for outgoing connections. */
static int
ephemeral_start(void)
{
	FILE *fp = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	int lo = 32768;

	if (fp != NULL) {
		if (fscanf(fp, "%d", &lo) != 1)
			lo = 32768;
		fclose(fp);
	}
	return lo;
}

static int
bindable(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1, ok;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	/* a port left in TIME_WAIT by an earlier test is fine to listen on */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/*
 * The reservation is an flock on a file per port, held through a
 * close-on-exec descriptor (so a server the test starts does not keep it)
 * that is never closed: the lock goes when the test process goes.
 */
static int
reserve(int port)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), RESERVE_DIR "/%d", port);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd == -1)
		return 0;
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		close(fd);
		return 0;
	}
	if (!bindable(port)) {
		close(fd);
		return 0;
	}
	return 1;
}

int
test_port(void)
{
	int top = ephemeral_start(), span, start, i, port;

	cr_assert_gt(top, LOWEST + 100,
	    "the ephemeral port range starts at %d: no room below it", top);
	if (mkdir(RESERVE_DIR, 01777) == -1 && errno != EEXIST)
		cr_assert_fail(RESERVE_DIR ": %s", strerror(errno));
	chmod(RESERVE_DIR, 01777);
	span = top - LOWEST;
	/* concurrent tests start their search in different places */
	start = (int)(((unsigned)getpid() * 7919u) % (unsigned)span);
	for (i = 0; i < span; i++) {
		port = LOWEST + (start + i) % span;
		if (reserve(port))
			return port;
	}
	cr_assert_fail("no free loopback port below %d", top);
	return -1;
}
