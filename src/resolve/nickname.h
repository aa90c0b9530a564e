/*
 * Nicknames and name variants (Bob = Robert, Peggy = Margaret, Sasha = Alexander): a built-in
 * table written for this project of groups of names that refer to the same given name. A name
 * may belong to several groups ("al" is Albert, Alan, Alfred and Alexander). Lookups are on
 * comparison keys (lower-case ASCII). The table is built once (au_nick_new) and then read-only,
 * so threads share it.
 */
#ifndef AU_NICKNAME_H
#define AU_NICKNAME_H

#include <stdint.h>

#include "lib/rc.h"

typedef struct au_nick au_nick;

/* Most groups one name is reported in. */
#define AU_NICK_MAX_GROUPS 4

/* Builds the lookup table. Caller frees with au_nick_free. */
au_rc au_nick_new(au_nick **out);
void au_nick_free(au_nick *t);

/* Group ids (>= 1) of `name`, at most `max`; returns how many were written (0 if unknown). */
int au_nick_groups(const au_nick *t, const char *name, uint16_t *groups, int max);
/* 1 when a and b are different names of one group. */
int au_nick_same(const au_nick *t, const char *a, const char *b);
/* Number of groups and of (name, variant) pairs in the built-in table (for docs and tests). */
int au_nick_group_count(const au_nick *t);
long au_nick_pair_count(const au_nick *t);

#endif
