/*
 * io_view.h: the view io_import.c plans a batch against (io_view.c).
 * Entries are keyed by their normalized DN (gw_dn_key); a planned
 * change updates the view, so later records of the batch see it.
 */
#ifndef GW_IO_VIEW_H
#define GW_IO_VIEW_H

#include "interorg.h"

/* An entry as the plan sees it: the GAL's, with the batch's changes. */
struct ent {
	char		*dn;
	struct gw_record rec;
	int		 ours;
	int		 gone;
	int		 seen;		/* kept by this batch (full) */
};

struct view {
	struct io_cycle			*c;
	const struct gw_container	*ct;
	const char			*peer;
	int				 preloaded;
	struct strmap			 bydn;	/* norm dn -> ent */
	struct strmap			 byx500; /* source dn -> dn */
	struct strmap			 mail;	/* addr -> dn list */
	struct gw_change		*ch;
	size_t				 nch;
	int				 renames;
	size_t				 ndel;
	size_t				 outside; /* of domains */
	struct io_apply_result		*res;
	struct gw_err			*err;
	struct io_park			*park;	/* refused claimants */
	int				 refused; /* the last record was */
	int				 retrying; /* a parked one, quietly */
};

/* names */
/* A DN in one spelling whatever its escaping and case (caller frees). */
/* The LDAP DN of key's entry in the container (caller frees). */
char	*io_dn_for(const struct view *, const char *key);
/* Its X.500 name (caller frees). */
char	*io_x500_for(const struct view *, const char *key);
/* The normalized LDAP DN, in this GAL, of a sender's X.500 DN, or NULL. */
char	*io_source_here(const struct view *, const char *x500);
/* "X500:<dn>" (caller frees). */
char	*io_x500_proxy(const char *src);

/* the view */
void	io_ent_free(struct ent *);
/* Notes (add) or forgets the addresses r holds as held by ndn. */
void	io_mail_note_record(struct view *, const struct gw_record *r,
	    const char *ndn, int add);
/* Notes the sender's DN an entry of ours was made from. */
void	io_x500_note(struct view *, const struct ent *, const char *ndn);
/* The container and every address of the GAL, read at once. */
int	io_preload(struct view *);
/* The entry at dn (borrowed): 1 found, 0 not (or planned gone), -1. */
int	io_view_get(struct view *, const char *dn, struct ent **);
/* Our entry made from the sender's entry src: 1, 0, -1. */
int	io_view_source(struct view *, const char *src, struct ent **);
/*
 * Who holds addr besides the entries at skip1 and skip2 (normalized DNs,
 * may be NULL): 0 nobody, 1 another entry (*who, caller frees), 2 only
 * self (the sender's own entry, in this very GAL), -1 error.
 */
int	io_view_holder(struct view *, const char *addr, const char *skip1,
	    const char *skip2, const char *self, char **who);
void	io_view_release(struct view *);

#endif
