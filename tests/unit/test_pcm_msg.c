/*
 * Dir-sync messages: subjects as WA0725 and the KB print them, the
 * [DIRSYNC] section (the documented samples and malformed ones), the MIME
 * forms a requestor's mail arrives in, and the connector's key table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "connector.h"
#include "mailbox.h"
#include "pcm_msg.h"
#include "pcmail.h"

Test(pcm_msg, reqtx_subjects)
{
	struct pcm_subject s;

	cr_assert_eq(pcm_subject_parse("ReqTx R=1207 (was 1203), S=87302, "
	    "I=2 4 sent", "ReqTx", &s), 0);
	cr_assert(s.has_r && s.r == 1207 && s.has_was && s.was == 1203);
	cr_assert(s.has_s && s.s == 87302 && s.has_i && s.i == 2);
	cr_assert(s.has_n && s.n == 4);
	/* WA0725's template: spaces around '=', a comma after I, a period */
	cr_assert_eq(pcm_subject_parse("ReqTx R = 17 (was 15), S = 80, "
	    "I = 1, 2 sent.", "ReqTx", &s), 0);
	cr_assert(s.r == 17 && s.was == 15 && s.s == 80 && s.i == 1 &&
	    s.n == 2);
	/* the MSMI sample of KB Q162841, as a server subject */
	cr_assert_eq(pcm_subject_parse("SrvTx R=3 S=87298 (was 0), I=2 15603 "
	    "sent", "SrvTx", &s), 0);
	cr_assert(s.r == 3 && s.s == 87298 && s.was == 0 && s.i == 2 &&
	    s.n == 15603);
	cr_assert_eq(pcm_subject_parse("SrvTx R=3", "ReqTx", &s), -1);
	cr_assert_eq(pcm_subject_parse("ReqTx R=x", "ReqTx", &s), -1);
	cr_assert_eq(pcm_subject_parse("ReqTxR=1", "ReqTx", &s), -1);
	cr_assert_eq(pcm_subject_parse("ReqTx hello", "ReqTx", &s), -1);
}

Test(pcm_msg, status_subject)
{
	char net[16], po[16];

	cr_assert_eq(pcm_status_subject("Status report from CONTOSO/SEAPO1",
	    net, sizeof(net), po, sizeof(po)), 0);
	cr_assert_str_eq(net, "CONTOSO");
	cr_assert_str_eq(po, "SEAPO1");
	cr_assert_eq(pcm_status_subject("Status report from CONTOSO/SEAPO1.",
	    net, sizeof(net), po, sizeof(po)), 0);
	cr_assert_str_eq(po, "SEAPO1");
	cr_assert_eq(pcm_status_subject("Status report from CONTOSO", net,
	    sizeof(net), po, sizeof(po)), -1);
	cr_assert_eq(pcm_status_subject("ReqTx R=1", net, sizeof(net), po,
	    sizeof(po)), -1);
}

/* KB Q106623's FFAPI requestor, lower case, no numbers. */
Test(pcm_msg, ffapi_sample_header)
{
	static const char body[] = "[dirsync]\ntask=export\nreqname=PCM:net/po\n"
	    "transactions=inbody\n[dirsync-transactions]\n"
	    "1200 A Martin, Robert PCM:net/po/rmartin\n";
	struct pcm_header h;
	char why[256];

	cr_assert_eq(pcm_header_parse(body, strlen(body), NULL, &h, why,
	    sizeof(why)), 0, "%s", why);
	cr_assert_eq(h.task, PCM_TASK_EXPORT);
	cr_assert_str_eq(h.net, "net");
	cr_assert_str_eq(h.po, "po");
	cr_assert_eq(h.has_reqseq, 0);
	cr_assert_eq(h.trans_line, 5);
	cr_assert_str_eq(body + h.trans_off, "1200 A Martin, Robert "
	    "PCM:net/po/rmartin\n");
	pcm_header_release(&h);
}

/* KB Q118298's Mail for AppleTalk import request: NAME=, types in any case. */
Test(pcm_msg, appletalk_import_request)
{
	static const char body[] = "\r\n[DIRSYNC]\r\nTASK=IMPORTREQ\r\n"
	    "NAME=PCM:MACNET/MACPO\r\nTYPES=PCM|CSI|profs\r\nTEMPLATE=NO\r\n"
	    "SRVSEQ=0000000644\r\nTRANSACTIONS=INATTACHMENT\r\n";
	struct pcm_header h;
	char why[256];

	cr_assert_eq(pcm_header_parse(body, strlen(body), NULL, &h, why,
	    sizeof(why)), 0, "%s", why);
	cr_assert_eq(h.task, PCM_TASK_IMPORTREQ);
	cr_assert_str_eq(h.net, "MACNET");
	cr_assert_eq(h.ntypes, 3);
	cr_assert_str_eq(h.types[1], "PCM");
	cr_assert_str_eq(h.types[2], "PROFS");
	cr_assert_eq(h.templates, 0);
	cr_assert(h.has_srvseq && h.srvseq == 644);
	cr_assert_eq(h.attach, 1);
	cr_assert_eq(h.trans_line, 0);
	pcm_header_release(&h);
}

Test(pcm_msg, malformed_headers_say_line_and_why)
{
	static const struct {
		const char	*body;
		const char	*why;
	} bad[] = {
		{ "[DIRSYNC]\nTASK UPDATE\n", "line 2: expected KEY=VALUE" },
		{ "[DIRSYNC]\nTASK=UPDATE\nREQSEQ=12x\n",
		    "line 3: REQSEQ: '12x' is not a number" },
		{ "[DIRSYNC]\nREQSEQ=12345678901\n", "line 2: REQSEQ:" },
		{ "[DIRSYNC]\nTASK=UPDATE\ntask=EXPORT\n",
		    "line 3: task given twice" },
		{ "[DIRSYNC]\nREQNAME=PCM:A/B\nNAME=PCM:A/B\n",
		    "line 3: NAME given twice" },
		{ "[DIRSYNC]\nTRANSACTIONS=INTERNAL\n",
		    "line 2: TRANSACTIONS=INTERNAL" },
		{ "[DIRSYNC]\nTEMPLATE=MAYBE\n", "line 2: TEMPLATE must be" },
		{ "[DIRSYNC]\nTYPES=PCM|S-M\n", "line 2: TYPES: 'S-M'" },
		{ "[DIRSYNC]\nTASK=UP\x01\n", "line 2: binary data" },
	};
	struct pcm_header h;
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(pcm_header_parse(bad[i].body, strlen(bad[i].body),
		    NULL, &h, why, sizeof(why)), -1, "#%zu parsed", i);
		cr_assert(strstr(why, bad[i].why) != NULL, "#%zu: '%s' lacks "
		    "'%s'", i, why, bad[i].why);
		pcm_header_release(&h);
	}
	/* not a dir-sync body at all; an unknown TASK is not a syntax error */
	cr_assert_eq(pcm_header_parse("Hello\n[DIRSYNC]\n", 16, NULL, &h, why,
	    sizeof(why)), 1);
	pcm_header_release(&h);
	cr_assert_eq(pcm_header_parse("[DIRSYNC]\nTASK=DANCE\nFOO=1\n", 27,
	    NULL, &h, why, sizeof(why)), 0);
	cr_assert_eq(h.task, PCM_TASK_BAD);
	cr_assert_eq(h.nunknown, 1);
	cr_assert_str_eq(h.unknown[0], "FOO");
	pcm_header_release(&h);
}

/* A requestor's INATTACHMENT update as a mailer sends it: base64, QP. */
Test(pcm_msg, mime_parts_are_decoded)
{
	static const char msg[] =
	    "From: x\r\nSubject: ReqTx R=1 (was 0), S=0, I=1 1 sent\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed;\r\n boundary=\"b1\"\r\n\r\n"
	    "preamble\r\n--b1\r\n"
	    "Content-Type: text/plain; charset=\"UTF-8\"\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "[DIRSYNC]\r\nPASSWORD=gr=C3=BCn\r\nTRANSACTIONS=3DINATTACHMENT=\r\n"
	    "\r\n--b1\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=REQTRANS.TXT\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    /* "[DIRSYNC-TRANSACTIONS]\r\n1 A Solo PCM:N/P/S\r\n" */
	    "W0RJUlNZTkMtVFJBTlNBQ1RJT05TXQ0KMSBBIFNvbG8g\r\n"
	    "UENNOk4vUC9TDQo=\r\n--b1--\r\nepilogue\r\n";
	struct pcm_parts ps;
	struct pcm_header h;
	char why[256];
	size_t off;
	long line;
	const char *body = strstr(msg, "\r\n\r\n") + 4;

	cr_assert_eq(pcm_mime_parts(msg, strlen(msg), (size_t)(body - msg), &ps,
	    why, sizeof(why)), 0, "%s", why);
	cr_assert_eq(ps.n, 2);
	cr_assert_str_eq(ps.p[0].charset, "utf-8");
	/* the soft line break "=" CRLF joins the last line to nothing */
	cr_assert_str_eq(ps.p[0].data, "[DIRSYNC]\r\nPASSWORD=gr\xc3\xbcn\r\n"
	    "TRANSACTIONS=INATTACHMENT");
	cr_assert_str_eq(ps.p[1].filename, "REQTRANS.TXT");
	cr_assert_str_eq(ps.p[1].data, "[DIRSYNC-TRANSACTIONS]\r\n"
	    "1 A Solo PCM:N/P/S\r\n");
	cr_assert_eq(pcm_starts_with_tag(ps.p[1].data, ps.p[1].len,
	    "[DIRSYNC-TRANSACTIONS]", &off, &line), 1);
	cr_assert_eq(line, 1);
	cr_assert_eq(pcm_header_parse(ps.p[0].data, ps.p[0].len, NULL, &h, why,
	    sizeof(why)), 0, "%s", why);
	cr_assert_str_eq(h.password, "gr\xc3\xbcn");
	cr_assert_eq(h.attach, 1);
	pcm_header_release(&h);
	pcm_parts_release(&ps);
}

Test(pcm_msg, broken_mime_is_refused)
{
	static const char unclosed[] = "Content-Type: multipart/mixed; "
	    "boundary=zz\r\n\r\n--zz\r\n\r\n[DIRSYNC]\r\n";
	static const char badb64[] = "Content-Transfer-Encoding: base64\r\n"
	    "\r\n!!!!\r\n";
	struct pcm_parts ps;
	char why[256];

	cr_assert_eq(pcm_mime_parts(unclosed, strlen(unclosed),
	    strstr(unclosed, "\r\n\r\n") - unclosed + 4, &ps, why, sizeof(why)),
	    -1);
	cr_assert(strstr(why, "closing boundary") != NULL, "%s", why);
	cr_assert_eq(pcm_mime_parts(badb64, strlen(badb64),
	    strstr(badb64, "\r\n\r\n") - badb64 + 4, &ps, why, sizeof(why)),
	    -1);
	cr_assert(strstr(why, "base64") != NULL, "%s", why);
}

/* What galgate sends reads back with its own MIME reader. */
Test(pcm_msg, multipart_reply_round_trip)
{
	static const char att[] = "[DIRSYNC-TRANSACTIONS]\r\n"
	    "0000000012 R PCM:CONTOSO/GALGATE\r\n";
	struct pcm_parts ps;
	char *raw, why[256], *subj;
	size_t len;
	const char *body;

	cr_assert_eq(pcm_mail_multipart("CONTOSO/GALGATE/$SYSTEM <g@x>",
	    "CONTOSO/SEAPO1/$SYSTEM <s@x>", "SrvTx R=1 S=12 (was 0), I=1 1 sent",
	    "Cc: admin@x\r\n", "IBM850", "[DIRSYNC]\nCOUNT=1\n", 18,
	    "text/plain", "SRVTRANS.TXT", att, strlen(att), &raw, &len), 0);
	body = strstr(raw, "\r\n\r\n") + 4;
	subj = pcm_header_value(raw, (size_t)(body - raw), "Subject");
	cr_assert_str_eq(subj, "SrvTx R=1 S=12 (was 0), I=1 1 sent");
	free(subj);
	subj = pcm_header_value(raw, (size_t)(body - raw), "Cc");
	cr_assert_str_eq(subj, "admin@x");
	free(subj);
	cr_assert_eq(pcm_mime_parts(raw, len, (size_t)(body - raw), &ps, why,
	    sizeof(why)), 0, "%s", why);
	cr_assert_eq(ps.n, 2);
	cr_assert_str_eq(ps.p[0].data, "[DIRSYNC]\r\nCOUNT=1\r\n");
	cr_assert_str_eq(ps.p[0].charset, "ibm850");
	cr_assert_str_eq(ps.p[1].data, att);
	cr_assert_str_eq(ps.p[1].filename, "SRVTRANS.TXT");
	pcm_parts_release(&ps);
	free(raw);
}

/* The connector takes the transport's keys from mailbox.h, not a copy. */
Test(pcm_msg, transport_keys_are_mailbox_h)
{
	const struct gw_connector_ops *ops = connector_lookup("pcmail");

	cr_assert_not_null(ops);
	cr_assert_eq(ops->extra_keys, gw_mailbox_keys);
}
