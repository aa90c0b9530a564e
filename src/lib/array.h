/*
 * The growable array, written once. Aurum keeps arrays as plain (items, n, cap) fields of the
 * struct that owns them; AU_ARRAY_GROW makes room for `need` elements, doubling the capacity
 * (starting at `first`), so the pattern "if full, realloc twice the size" is not open-coded at
 * every site. On AU_ERR_NOMEM the array and its capacity are unchanged.
 */
#ifndef AU_ARRAY_H
#define AU_ARRAY_H

#include <stddef.h>

#include "lib/rc.h"

/* items_ptr: the address of the array pointer (any object pointer type); *cap in elements. */
AU_MUST_USE au_rc au_array_reserve(void *items_ptr, size_t *cap, size_t need, size_t size,
                                   size_t first);

/* AU_ARRAY_GROW(m->recs, m->cap, m->n + 1, 8): room for one more element of m->recs. */
#define AU_ARRAY_GROW(arr, cap, need, first)                                                       \
    au_array_reserve(&(arr), &(cap), (need), sizeof(*(arr)), (first))

#endif
