/*
 * strmap.h: a string-keyed hash map (open addressing).  Keys are copied
 * and owned by the map; values are borrowed pointers the caller manages.
 * Lookups are exact: callers fold case first where names compare
 * case-insensitively.
 */
#ifndef GW_STRMAP_H
#define GW_STRMAP_H

#include <stddef.h>

struct strmap_slot {
	char	*key;
	void	*val;
};

struct strmap {
	struct strmap_slot	*slot;
	size_t			 cap, n;
};

void	 strmap_init(struct strmap *);
void	 strmap_release(struct strmap *);
/* strmap_release of a map whose values are each one malloc'ed block. */
void	 strmap_free_values(struct strmap *);
/* Sets key to val (replacing); returns the previous value or NULL. */
void	*strmap_put(struct strmap *, const char *key, void *val);
void	*strmap_get(const struct strmap *, const char *key);
int	 strmap_has(const struct strmap *, const char *key);
/* Iterates: *i from 0; returns NULL at the end. */
struct strmap_slot *strmap_next(const struct strmap *, size_t *i);

/*
 * A set of strings kept only as 64-bit fingerprints (8 bytes a member
 * instead of a copy of the string): for "is this name taken?" questions
 * over 100,000 names, where a false "taken" (odds about n^2 / 2^65) can
 * only make a chosen name longer.
 */
struct strset {
	unsigned long long	*slot;	/* 0: empty */
	size_t			 cap, n;
};

void	 strset_init(struct strset *);
void	 strset_release(struct strset *);
void	 strset_add(struct strset *, const char *);
int	 strset_has(const struct strset *, const char *);

/* ASCII and Latin-1 case folding of UTF-8 into a new string (caller frees). */
char	*gw_fold(const char *);

#endif
