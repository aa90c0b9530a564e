/*
 * The growable array's one growth rule (see array.h). The array pointer is read and written
 * with memcpy so one function serves arrays of every element type.
 */
#include "lib/array.h"

#include <stdint.h>
#include <string.h>

#include "lib/alloc.h"

au_rc au_array_reserve(void *items_ptr, size_t *cap, size_t need, size_t size, size_t first)
{
    if (need <= *cap)
        return AU_OK;
    size_t nc = *cap ? *cap : (first ? first : 1);
    while (nc < need && nc <= SIZE_MAX / 2)
        nc *= 2;
    if (nc < need || nc > SIZE_MAX / size)
        return AU_ERR_NOMEM;
    void *old;
    memcpy(&old, items_ptr, sizeof(old));
    void *p = au_realloc(old, nc * size);
    if (!p)
        return AU_ERR_NOMEM;
    memcpy(items_ptr, &p, sizeof(p));
    *cap = nc;
    return AU_OK;
}
