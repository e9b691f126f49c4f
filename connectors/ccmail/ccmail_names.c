/* cc:Mail names through the code page. */
#include <stdlib.h>
#include <string.h>

#include "ccmail.h"

char *
cc_roundtrip(struct gw_codepage *cp, const char *s, int *replaced)
{
	struct gw_buf enc, dec;
	int r;

	gw_buf_init(&enc, 0);
	gw_buf_init(&dec, 0);
	r = gw_cp_encode(cp, s, strlen(s), &enc);
	*replaced = r > 0 ? r : 0;
	gw_cp_decode(cp, enc.buf != NULL ? enc.buf : "", enc.len, &dec);
	gw_buf_release(&enc);
	return gw_buf_detach(&dec);
}
