#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "codepage.h"

int
gw_cp_open(struct gw_codepage *cp, const char *name, struct gw_err *err)
{
	memset(cp, 0, sizeof(*cp));
	cp->to_utf8 = cp->from_utf8 = (iconv_t)-1;
	snprintf(cp->name, sizeof(cp->name), "%s", name);
	cp->to_utf8 = iconv_open("UTF-8", name);
	cp->from_utf8 = iconv_open(name, "UTF-8");
	if (cp->to_utf8 == (iconv_t)-1 || cp->from_utf8 == (iconv_t)-1) {
		gw_cp_close(cp);
		return gw_err_set(err, GW_EXIT_USAGE, "code page %s: %s", name,
		    strerror(errno));
	}
	return 0;
}

void
gw_cp_close(struct gw_codepage *cp)
{
	if (cp->to_utf8 != (iconv_t)-1 && cp->to_utf8 != NULL)
		iconv_close(cp->to_utf8);
	if (cp->from_utf8 != (iconv_t)-1 && cp->from_utf8 != NULL)
		iconv_close(cp->from_utf8);
	cp->to_utf8 = cp->from_utf8 = (iconv_t)-1;
}

/* Length of the UTF-8 sequence starting with c (1 for a stray byte). */
static size_t
utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return 3;
	if (c >= 0xc0)
		return 2;
	return 1;
}

static int
convert(iconv_t cd, const char *in, size_t len, struct gw_buf *out, int utf8_in)
{
	char chunk[256], *ip = (char *)in, *op;
	size_t il = len, ol, skip;
	int replaced = 0;

	iconv(cd, NULL, NULL, NULL, NULL);
	while (il > 0) {
		op = chunk;
		ol = sizeof(chunk);
		if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 &&
		    errno != E2BIG) {
			if (gw_buf_add(out, chunk, (size_t)(op - chunk)) == -1)
				return -1;
			/* EILSEQ or EINVAL: one character cannot be shown */
			skip = utf8_in ? utf8_len((unsigned char)*ip) : 1;
			if (skip > il)
				skip = il;
			ip += skip;
			il -= skip;
			replaced++;
			if (gw_buf_addch(out, '?') == -1)
				return -1;
			iconv(cd, NULL, NULL, NULL, NULL);
			continue;
		}
		if (gw_buf_add(out, chunk, (size_t)(op - chunk)) == -1)
			return -1;
	}
	return replaced;
}

int
gw_cp_decode(struct gw_codepage *cp, const char *in, size_t len,
    struct gw_buf *out)
{
	return convert(cp->to_utf8, in, len, out, 0);
}

int
gw_cp_encode(struct gw_codepage *cp, const char *in, size_t len,
    struct gw_buf *out)
{
	return convert(cp->from_utf8, in, len, out, 1);
}

/* Latin-1 supplement and Latin Extended-A, U+00C0..U+017F */
static const char *const latin[] = {
	/* C0 */ "A", "A", "A", "A", "A", "A", "AE", "C",
	/* C8 */ "E", "E", "E", "E", "I", "I", "I", "I",
	/* D0 */ "D", "N", "O", "O", "O", "O", "O", "",
	/* D8 */ "O", "U", "U", "U", "U", "Y", "TH", "ss",
	/* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c",
	/* E8 */ "e", "e", "e", "e", "i", "i", "i", "i",
	/* F0 */ "d", "n", "o", "o", "o", "o", "o", "",
	/* F8 */ "o", "u", "u", "u", "u", "y", "th", "y",
	/* 100 */ "A", "a", "A", "a", "A", "a", "C", "c", "C", "c", "C", "c",
	/* 10C */ "C", "c", "D", "d", "D", "d", "E", "e", "E", "e", "E", "e",
	/* 118 */ "E", "e", "E", "e", "G", "g", "G", "g", "G", "g", "G", "g",
	/* 124 */ "H", "h", "H", "h", "I", "i", "I", "i", "I", "i", "I", "i",
	/* 130 */ "I", "i", "IJ", "ij", "J", "j", "K", "k", "k", "L", "l", "L",
	/* 13C */ "l", "L", "l", "L", "l", "L", "l", "N", "n", "N", "n", "N",
	/* 148 */ "n", "n", "N", "n", "O", "o", "O", "o", "O", "o", "OE", "oe",
	/* 154 */ "R", "r", "R", "r", "R", "r", "S", "s", "S", "s", "S", "s",
	/* 160 */ "S", "s", "T", "t", "T", "t", "T", "t", "U", "u", "U", "u",
	/* 16C */ "U", "u", "U", "u", "U", "u", "U", "u", "W", "w", "Y", "y",
	/* 178 */ "Y", "Z", "z", "Z", "z", "Z", "z", "s"
};

int
gw_translit_ascii(const char *utf8, struct gw_buf *out)
{
	const unsigned char *p = (const unsigned char *)utf8;
	unsigned int cp;
	size_t n;

	while (*p != '\0') {
		if (*p < 0x80) {
			if (gw_buf_addch(out, (char)*p++) == -1)
				return -1;
			continue;
		}
		n = utf8_len(*p);
		if (n == 2 && p[1] != '\0') {
			cp = ((unsigned int)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
			if (cp >= 0xc0 && cp <= 0x17f &&
			    gw_buf_addstr(out, latin[cp - 0xc0]) == -1)
				return -1;
		}
		while (n-- > 0 && *p != '\0')
			p++;
	}
	return 0;
}
