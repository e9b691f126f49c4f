/*
 * ccmail_model.h: a model of a cc:Mail post office directory, its EXPORT
 * and its IMPORT, written from FORMATS.md section 1 (CCDIR-1) alone. It
 * shares no code with galgate's cc:Mail connector, so that a test run
 * against it checks the connector against the format, not against itself.
 *
 * Names are UTF-8 in memory; files are in the post office's code page
 * (CP850 only, which is the default and enough for the tests).
 */
#ifndef CCMAIL_MODEL_H
#define CCMAIL_MODEL_H

#include <stddef.h>

struct ccm;

/* The exporting post office, e.g. "HQPO". */
struct ccm	*ccm_new(const char *po_name);
void		 ccm_free(struct ccm *);
/* A deep copy (a post office restored from a backup); NULL on failure. */
struct ccm	*ccm_clone(const struct ccm *);

/*
 * Directory entries. locn is one of P p L l R r A a. po is the home post
 * office (required for l r a; NULL for L R P, meaning the exporting PO /
 * none). Returns 0, or -1 if the name is already taken (case-insensitively,
 * across the whole directory).
 */
int	ccm_add_entry(struct ccm *, const char *name, char locn, const char *po,
	    const char *addr, const char *fan, const char *comments);
/* Case-insensitive; -1 if absent. */
int	ccm_delete_entry(struct ccm *, const char *name);
/* members NULL-terminated, "Name" or "Name at PO". */
int	ccm_add_list(struct ccm *, const char *name,
	    const char *const *members, const char *comments);
int	ccm_add_bboard(struct ccm *, const char *title, const char *comments);

/*
 * Lookup: 1 and fills what it can if the entry exists (case-insensitive),
 * else 0. The pointers stay valid until the next change to the model.
 */
int	ccm_get_entry(const struct ccm *, const char *name,
	    const char **exact_name, char *locn, const char **po,
	    const char **fan, const char **comments);
size_t	ccm_count_entries(const struct ccm *);
/* Entries whose PO equals po (case-insensitive). */
size_t	ccm_count_on_po(const struct ccm *, const char *po);

/*
 * EXPORT: writes dir/Ccmdir.exp, dir/Ccmlist.exp, dir/Ccmbb.exp (CCDIR-1,
 * CRLF, CP850, header with Kind directory/lists/bboards, PostOffice,
 * Codepage: CP850), entries sorted case-insensitively by name within the
 * groups P, p, then L l R r, then A a. Returns 0/-1.
 */
int	ccm_export(const struct ccm *, const char *dir);

struct ccm_import_result {
	int	deleted, added, updated, refused, malformed;
};

/*
 * IMPORT: reads dir/Ccmdel.imp (Kind: delete) and applies it first, then
 * dir/Ccmdir.imp (Kind: add). Missing files are an error (-1). A file whose
 * header is wrong is an error (-1).
 * Delete record: removes the entry with that Name (case-insensitive) if its
 * PO matches (case-insensitive), else counts it as refused.
 * Add record: if no entry has the name (case-insensitively), it is created
 * with the exact name, Locn, PO, FAN, Comments given (added++); if an entry
 * with that name exists and has the same PO (case-insensitive), it is
 * updated in place: FAN, Comments, Locn replaced, the name keeps its old
 * spelling (updated++) -- but if the spelling differs only in case it is
 * NOT changed; if an entry with that name exists on ANOTHER post office (or
 * is a P/p post office entry), the add is refused (refused++).
 * A record lacking Name or Locn counts as malformed and is skipped.
 */
int	ccm_import(struct ccm *, const char *dir, struct ccm_import_result *);

#endif
