/*
 * codepage.h: the DOS code pages legacy mail systems write (CP850 by
 * default, CP437, CP932), through glibc's iconv, and the ASCII
 * transliteration used to build addresses.
 *
 * A character that cannot be represented is replaced by '?' and counted,
 * never silently dropped: callers log the count.
 */
#ifndef GW_CODEPAGE_H
#define GW_CODEPAGE_H

#include <iconv.h>
#include <stddef.h>

#include "conf.h"
#include "err.h"
#include "util.h"

/* The codepage key of a connector section: the code pages known here. */
#define GW_KEY_CODEPAGE(help) \
	{ "codepage", CONF_ENUM, 0, 0, 0, "CP850|CP437|CP932", help }
#define GW_CODEPAGE_DEFAULT	"CP850"

struct gw_codepage {
	char	 name[16];
	iconv_t	 to_utf8;
	iconv_t	 from_utf8;
};

/* name: "CP850", "CP437" or "CP932".  Errors: unknown code page. */
int	gw_cp_open(struct gw_codepage *, const char *name, struct gw_err *);
void	gw_cp_close(struct gw_codepage *);
/*
 * Appends the conversion of len bytes to out.  Returns the number of
 * characters replaced by '?', or -1 if out hit its ceiling.
 */
int	gw_cp_decode(struct gw_codepage *, const char *in, size_t len,
	    struct gw_buf *out);
int	gw_cp_encode(struct gw_codepage *, const char *in, size_t len,
	    struct gw_buf *out);
/* UTF-8 -> ASCII: accented Latin letters lose their accents (ß -> ss, æ -> ae), other non-ASCII characters are left out. */
int	gw_translit_ascii(const char *utf8, struct gw_buf *out);

#endif
