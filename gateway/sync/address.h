/*
 * address.h: the names and addresses galgate makes for a recipient from
 * its name, the same way in every connector: an alias, and an SMTP
 * address from a template (smtp_template: %g given name, %s surname, %i
 * initials, %a alias, %% a percent sign), with a number before the '@'
 * where the address is taken.
 */
#ifndef GW_ADDRESS_H
#define GW_ADDRESS_H

/*
 * Letters and digits of the name, transliterated to ASCII, at most 32;
 * fallback where none is left (caller frees).
 */
char	*gw_alias_base(const char *name, const char *fallback);
/*
 * Expands an smtp_template into an address, lower case; accented letters
 * transliterated, characters an address cannot hold left out, no
 * leading, trailing or doubled dots.  NULL if the template is bad or the
 * result is not an address (caller frees).
 */
char	*gw_smtp_expand(const char *tmpl, const char *given, const char *sn,
	    const char *initials, const char *alias);
/* Inserts n before the '@' ("a.b@x" -> "a.b2@x"); caller frees. */
char	*gw_smtp_number(const char *addr, unsigned n);

/* smtp_template of a connector section */
#define GW_KEY_SMTP_TEMPLATE \
	{ "smtp_template", CONF_STRING, 0, 0, 0, NULL, "SMTP address of " \
	    "imported users: %g given, %s surname, %i initials, %a alias, " \
	    "%% percent" }

#endif
