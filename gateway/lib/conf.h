/*
 * conf.h: the INI configuration (DESIGN.md "Contracts").
 *
 * Sections [gal], [connector NAME] (keys declared by the connector type),
 * [requestor NAME] (keys declared by the type of the connector it names).
 * Every key is declared in a table; conf_load reports every unknown key,
 * bad value, missing key and container overlap as "file:line: reason"
 * before anything runs.  The loaded struct gw_conf is immutable.
 */
#ifndef GW_CONF_H
#define GW_CONF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

enum conf_type {
	CONF_STRING,
	CONF_INT,		/* min..max */
	CONF_BOOL,
	CONF_SIZE,
	CONF_DURATION,
	CONF_ENUM,		/* one of enums, "a|b|c" */
	CONF_TOKENS,		/* list of tokens on one line or repeated */
	CONF_X500,		/* an Exchange-form container DN */
	CONF_X500_TYPES,	/* X.500 DN optionally followed by " types=a,b" */
	CONF_LDAPDN,
	CONF_URI,		/* ldap://, ldaps://, ldapi:// */
	CONF_PATH,
	CONF_SECRET_FILE,	/* a file only its owner may read */
	CONF_ADDRESS,		/* an e-mail address */
	CONF_THRESHOLD,		/* "10%, 50" */
	CONF_SCHEDULE		/* "every 15m", "daily 02:00", "weekly sun 03:00" */
};

/* flags */
#define CONF_REQUIRED	0x01
#define CONF_MULTI	0x02	/* may be repeated: a list */
#define CONF_IMPORT	0x04	/* an import container (overlap check) */
#define CONF_EXPORT	0x08	/* an export container (overlap check) */

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	unsigned int	 flags;
	long long	 min, max;	/* CONF_INT */
	const char	*enums;		/* CONF_ENUM / CONF_TOKENS allowed set */
	const char	*help;		/* one line for --help and the README */
};

struct conf_entry {
	char	*key;
	char	*value;
	int	 line;
};

enum conf_kind {
	CONF_SEC_GAL,
	CONF_SEC_CONNECTOR,
	CONF_SEC_REQUESTOR
};

/*
 * A connector type as the configuration sees it: its name, the keys its
 * [connector] sections take (keys, then extra_keys; either may be NULL)
 * and those of its [requestor] sections (NULL: it has none).  impl is
 * the type's implementation, which the configuration only carries.
 */
struct conf_connector_type {
	const char		*name;
	const struct conf_key	*keys;
	const struct conf_key	*extra_keys;
	const struct conf_key	*peer_keys;
	const void		*impl;
};

/* The connector types a configuration may name (handed to conf_load). */
struct conf_connector_types {
	const struct conf_connector_type	*v;
	size_t			 n;
};

struct conf_section {
	enum conf_kind		 kind;
	char			*name;		/* NULL for [gal] */
	int			 line;
	struct conf_entry	*ent;
	size_t			 n;
	/* connector and requestor sections: the connector type (one of
	 * those conf_load was given) */
	const struct conf_connector_type	*type;
	/* requestor sections: the connector section they belong to */
	const struct conf_section *parent;
};

/* delete_threshold: the larger of pct% of the entries concerned and count */
struct gw_threshold {
	int	 pct;		/* 0..100; 100 switches the limit off */
	long	 count;
};

struct gw_conf {
	char			*path;
	struct conf_section	*sec;
	size_t			 nsec;
	/* [gal], validated */
	char			**uris;
	size_t			 nuris;
	char			*bind_dn;
	char			*bind_password_file;
	char			*suffix;
	char			*organization;
	char			*site;
	char			*state_dir;
	int64_t			 tombstone_lifetime;
	int64_t			 audit_keep;
	char			*tls_ca_file;
	int			 starttls;	/* 1, 0, or -1: not loopback */
	/*
	 * RFC 5805 for bulk adds: off by default, because slapd 2.5.13 has
	 * crashed (NULL dereference in its transaction code) under them.
	 */
	int			 transactions;
};

/*
 * Loads and validates path, each connector section against the keys of
 * its type in types (which must outlive the result).  Problems are
 * printed to errs, one per line as "path:line: reason"; on any problem
 * returns NULL with err set (exit 2).
 */
struct gw_conf	*conf_load(const char *path, const struct conf_connector_types *types,
		    FILE *errs, struct gw_err *err);
void		 conf_free(struct gw_conf *);

const struct conf_section *conf_gal(const struct gw_conf *);
const struct conf_section *conf_connector(const struct gw_conf *,
		    const char *name);
/* Requestor sections of connector section c, one after the other. */
const struct conf_section *conf_next_requestor(const struct gw_conf *,
		    const struct conf_section *c,
		    const struct conf_section *prev);

/* First value of key in sec, or def.  Values are trimmed. */
const char	*conf_get(const struct conf_section *, const char *key,
		    const char *def);
const struct conf_entry *conf_entry(const struct conf_section *,
		    const char *key);
/* Every value of a repeated key, in order: iterate with *i from 0. */
const struct conf_entry *conf_next(const struct conf_section *,
		    const char *key, size_t *i);

/* Value parsers shared with the validators (no I/O). */
int	conf_parse_threshold(const char *, struct gw_threshold *,
	    const char **errstr);
/* Splits "a, b c|d" into tokens; caller frees the array and strings. */
char	**conf_tokens(const char *, size_t *n);
void	conf_tokens_free(char **, size_t);
/* "DN types=a,b": DN part and types part (caller frees both). */
void	conf_split_types(const char *, char **dn, char **types);
/* 1 if the threshold forbids deleting ndel of ntotal entries. */
int	gw_threshold_exceeded(const struct gw_threshold *, size_t ndel,
	    size_t ntotal, long allow_deletes);

/* Default path: $GALGATE_CONF, else /etc/galgate/galgate.conf. */
const char *conf_default_path(void);

#endif
