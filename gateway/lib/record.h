/*
 * record.h: the one record type that flows from every parser through diff
 * and transform to the LDAP writer and every foreign writer, and the
 * change type the LDAP writer applies.
 *
 * Invariants of struct gw_record: attribute names are unique
 * (case-insensitively); every attribute holds at least one value; values
 * are {ptr, len} and own their bytes (plus a NUL after len for convenience).
 *
 * Lifecycle (git's verbs): _init allocates nothing; _release frees the
 * contents but not the struct; _free frees contents and struct.
 */
#ifndef GW_RECORD_H
#define GW_RECORD_H

#include <stddef.h>

#include "util.h"

struct gw_attr {
	char		*name;
	struct gw_value	*val;
	size_t		 n;
};

struct gw_record {
	char		*dn;		/* LDAP DN, or NULL */
	char		*key;		/* foreign key, or NULL */
	struct gw_attr	*attr;
	size_t		 n;
};

void	gw_attr_release(struct gw_attr *);
void	gw_record_init(struct gw_record *);
void	gw_record_release(struct gw_record *);
/* Releases each of the n records of v, then v itself. */
void	gw_records_free(struct gw_record *v, size_t n);
void	gw_record_free(struct gw_record *);
void	gw_record_copy(struct gw_record *dst, const struct gw_record *src);

/* Borrowed pointer to the attribute named name, or NULL. */
struct gw_attr *gw_record_attr(const struct gw_record *, const char *name);
/* First value of name as a string, or NULL. */
const char *gw_record_get(const struct gw_record *, const char *name);
/* Appends a copy of the value (duplicates are kept out). */
void	gw_record_add(struct gw_record *, const char *name, const char *val,
	    size_t len);
void	gw_record_add_str(struct gw_record *, const char *name, const char *);
/* Replaces every value of name by val; NULL or "" removes the attribute. */
void	gw_record_set(struct gw_record *, const char *name, const char *val);
void	gw_record_remove(struct gw_record *, const char *name);
/* Canonical order: names case-folded and sorted, values sorted bytewise. */
void	gw_record_sort(struct gw_record *);

#define GW_HASH_LEN	32
/*
 * SHA-256 of the record's DN and attributes in canonical order (the record
 * is sorted first).  Attribute names are case-folded; values are exact.
 */
void	gw_record_hash(struct gw_record *, unsigned char out[GW_HASH_LEN]);

/*
 * SHA-256 over n strings (NULL counts as empty), each length-prefixed so
 * that field boundaries cannot be confused.
 */
void	gw_hash_fields(const char *const *fields, size_t n,
	    unsigned char out[GW_HASH_LEN]);

enum gw_op {
	GW_OP_NONE = 0,
	GW_OP_ADD,
	GW_OP_MODIFY,
	GW_OP_DELETE,
	GW_OP_RENAME
};

enum gw_modop {
	GW_MOD_ADD,
	GW_MOD_DELETE,
	GW_MOD_REPLACE
};

struct gw_mod {
	enum gw_modop	 op;
	struct gw_attr	 attr;		/* no values: delete the attribute */
};

/*
 * A change to one LDAP entry.  ADD uses rec; MODIFY uses mods; RENAME uses
 * newrdn (escaped RDN string) and newsuperior (NULL: same parent).
 */
struct gw_change {
	enum gw_op	 op;
	char		*dn;
	struct gw_record rec;
	struct gw_mod	*mods;
	size_t		 nmods;
	char		*newrdn;
	char		*newsuperior;
};

void	gw_change_init(struct gw_change *, enum gw_op, const char *dn);
void	gw_change_release(struct gw_change *);
/* Releases each of the n changes of v, then v itself. */
void	gw_changes_free(struct gw_change *v, size_t n);
/* Adds a modification holding copies of the values. */
void	gw_change_mod(struct gw_change *, enum gw_modop, const char *name,
	    const struct gw_value *vals, size_t n);
/*
 * Fills ch (already initialized as MODIFY) with the modifications turning
 * old into new: a replace for each attribute whose values differ (as a
 * set, and for cn also in its first value, the name clients show), a delete
 * for each attribute of old that new lacks when it is listed in managed
 * (NULL-terminated; NULL means every attribute).  Returns the number of
 * modifications added.
 */
size_t	gw_change_diff(struct gw_change *ch, const struct gw_record *old,
	    const struct gw_record *new, const char *const *managed);

/* RFC 2849 LDIF of the change; values base64 where LDIF requires it. */
int	gw_change_ldif(const struct gw_change *, struct gw_buf *);
/* Appends "name: value" or "name:: base64" and a newline. */
int	gw_ldif_line(struct gw_buf *, const char *name, const char *val,
	    size_t len);
/* Standard base64 of len bytes (no line breaks). */
int	gw_base64(struct gw_buf *, const void *, size_t);
/* Strict base64 (padded, no whitespace) of s into out; -1 if malformed. */
int	gw_unbase64(struct gw_buf *out, const char *s, size_t len);

#endif
