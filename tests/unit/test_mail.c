/* RFC 5322 messages: what the mail transports parse and build. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "mailbox.h"
#include "util.h"

Test(mail, parse_unfolds_headers_and_finds_the_body)
{
	static const char text[] = "Received: from x\r\n"
	    "From: \"Dir Sync\" <CONTOSO-SEAPO1@contoso.example>\r\n"
	    "To: galgate@contoso.example, admin@contoso.example\r\n"
	    "Subject: ReqTx R=1207 (was 1203),\r\n S=87302, I=2 4 sent\r\n"
	    "Message-ID: <abc@x>\r\n\r\n[DIRSYNC]\r\nTASK=UPDATE\r\n";
	struct gw_mail m;
	char *v;

	cr_assert_eq(gw_mail_parse(&m, gw_strdup(text), sizeof(text) - 1), 0);
	cr_assert_str_eq(m.from, "CONTOSO-SEAPO1@contoso.example");
	cr_assert_str_eq(m.to, "galgate@contoso.example");
	cr_assert_str_eq(m.subject, "ReqTx R=1207 (was 1203), S=87302, I=2 4 "
	    "sent");
	cr_assert_str_eq(m.message_id, "<abc@x>");
	cr_assert_str_eq(m.raw + m.body_off, "[DIRSYNC]\r\nTASK=UPDATE\r\n");
	v = gw_mail_header(&m, "received");
	cr_assert_str_eq(v, "from x");
	free(v);
	cr_assert_null(gw_mail_header(&m, "X-Missing"));
	/* a header name inside the body is not a header */
	cr_assert_null(gw_mail_header(&m, "TASK"));
	gw_mail_release(&m);
}

Test(mail, build_makes_crlf_and_round_trips)
{
	struct gw_mail m;
	char *raw;
	size_t len;

	cr_assert_eq(gw_mail_build("a@x.example", "b@y.example", "Hello",
	    "X-Extra: 1\r\n", "utf-8", "line one\nline two\r\n", 19, &raw,
	    &len), 0);
	cr_assert(strstr(raw, "\r\n\r\nline one\r\nline two\r\n") != NULL,
	    "%s", raw);
	cr_assert(strstr(raw, "X-Extra: 1\r\n") != NULL);
	cr_assert(strstr(raw, "Content-Type: text/plain; charset=utf-8\r\n") !=
	    NULL);
	cr_assert_eq(gw_mail_parse(&m, raw, len), 0);
	cr_assert_str_eq(m.from, "a@x.example");
	cr_assert_str_eq(m.subject, "Hello");
	cr_assert_str_eq(m.raw + m.body_off, "line one\r\nline two\r\n");
	gw_mail_release(&m);
}

Test(mail, junk_is_not_a_message)
{
	struct gw_mail m;

	cr_assert_eq(gw_mail_parse(&m, gw_strdup("no headers at all"), 17), -1);
	gw_mail_release(&m);
}
