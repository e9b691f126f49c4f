/* address.c: see address.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "codepage.h"
#include "util.h"

#define ALIAS_MAX	32

char *
gw_alias_base(const char *name, const char *fallback)
{
	struct gw_buf ascii, out;
	size_t i;

	gw_buf_init(&ascii, 0);
	gw_buf_init(&out, 0);
	gw_translit_ascii(name, &ascii);
	for (i = 0; i < ascii.len && out.len < ALIAS_MAX; i++)
		if (isalnum((unsigned char)ascii.buf[i]))
			gw_buf_addch(&out, ascii.buf[i]);
	if (out.len == 0)
		gw_buf_addstr(&out, fallback);
	gw_buf_release(&ascii);
	return gw_buf_detach(&out);
}

/* An address local part keeps letters, digits, '.', '-', '_'. */
static void
add_part(struct gw_buf *out, const char *utf8)
{
	struct gw_buf ascii;
	size_t i;

	gw_buf_init(&ascii, 0);
	gw_translit_ascii(utf8 != NULL ? utf8 : "", &ascii);
	for (i = 0; i < ascii.len; i++) {
		unsigned char ch = (unsigned char)ascii.buf[i];

		if (isalnum(ch) || ch == '.' || ch == '-' || ch == '_')
			gw_buf_addch(out, (char)tolower(ch));
	}
	gw_buf_release(&ascii);
}

char *
gw_smtp_expand(const char *tmpl, const char *given, const char *sn,
    const char *initials, const char *alias)
{
	struct gw_buf raw, out;
	const char *p, *at;
	size_t i;

	gw_buf_init(&raw, 1024);
	gw_buf_init(&out, 1024);
	for (p = tmpl; *p != '\0'; p++) {
		if (*p != '%') {
			gw_buf_addch(&raw, (char)tolower((unsigned char)*p));
			continue;
		}
		switch (*++p) {
		case 'g':
			add_part(&raw, given);
			break;
		case 's':
			add_part(&raw, sn);
			break;
		case 'i':
			add_part(&raw, initials);
			break;
		case 'a':
			add_part(&raw, alias);
			break;
		case '%':
			gw_buf_addch(&raw, '%');
			break;
		default:
			gw_buf_release(&raw);
			return NULL;
		}
	}
	if (raw.buf == NULL || (at = strrchr(raw.buf, '@')) == NULL) {
		gw_buf_release(&raw);
		return NULL;
	}
	/* no leading, trailing or doubled dots in the local part */
	for (i = 0; raw.buf + i < at; i++) {
		if (raw.buf[i] == '.' && (out.len == 0 ||
		    out.buf[out.len - 1] == '.'))
			continue;
		gw_buf_addch(&out, raw.buf[i]);
	}
	while (out.len > 0 && out.buf[out.len - 1] == '.')
		out.len--;
	if (out.len == 0 || at[1] == '\0') {
		gw_buf_release(&raw);
		gw_buf_release(&out);
		return NULL;
	}
	out.buf[out.len] = '\0';
	gw_buf_addstr(&out, at);
	gw_buf_release(&raw);
	return gw_buf_detach(&out);
}

char *
gw_smtp_number(const char *addr, unsigned n)
{
	const char *at = strrchr(addr, '@');
	char *s;
	int len;

	if (at == NULL)
		at = addr + strlen(addr);
	len = snprintf(NULL, 0, "%.*s%u%s", (int)(at - addr), addr, n, at);
	s = gw_malloc((size_t)len + 1);
	snprintf(s, (size_t)len + 1, "%.*s%u%s", (int)(at - addr), addr, n, at);
	return s;
}
