#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

void
gw_err_init(struct gw_err *err)
{
	memset(err, 0, sizeof(*err));
}

int
gw_err_set(struct gw_err *err, int exit, const char *fmt, ...)
{
	va_list ap;
	char *p;

	if (err == NULL || err->set)
		return -1;
	err->set = 1;
	err->exit = exit;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	/* one line: a message from a server may carry LFs */
	for (p = err->msg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return -1;
}

void
gw_err_prefix(struct gw_err *err, const char *fmt, ...)
{
	char pre[512], old[sizeof(err->msg)];
	va_list ap;

	if (err == NULL || !err->set)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* truncation of the tail is acceptable: the head says where */
	if (snprintf(err->msg, sizeof(err->msg), "%.500s: %.500s", pre, old) < 0)
		err->msg[0] = '\0';
}
