/*
 * Compact in-memory structures of the resolver: string interning (each distinct value stored
 * once in a pool, records hold 4-byte ids) and the blocking index (a hash table from blocking
 * key to the records sharing it). A block that grows past the model's block_cap is marked
 * oversized and its list freed: a key shared by that many records ("smith" + "j") carries no
 * blocking power and would only explode the number of comparisons.
 */
#include <string.h>
#include <xxhash.h>

#include "lib/alloc.h"
#include "lib/array.h"
#include "resolve/resolve_int.h"

au_rc au_intern_init(au_intern *t, int two_roles, int nick)
{
    memset(t, 0, sizeof *t);
    t->nslots = 1024;
    t->cap = 256;
    t->pool_cap = 4096;
    t->slots = au_calloc(t->nslots, sizeof(uint32_t));
    t->off = au_calloc(t->cap, sizeof(uint32_t));
    t->hash = au_calloc(t->cap, sizeof(uint32_t));
    t->count = au_calloc(t->cap, sizeof(uint32_t));
    t->count2 = two_roles ? au_calloc(t->cap, sizeof(uint32_t)) : NULL;
    t->nick = nick ? au_calloc(t->cap, sizeof(*t->nick)) : NULL;
    t->sig = nick ? au_calloc(t->cap, sizeof(*t->sig)) : NULL;
    t->mp = nick ? au_calloc(t->cap, sizeof(*t->mp)) : NULL;
    t->gen = au_calloc(t->cap, 1);
    t->pool = au_malloc(t->pool_cap);
    if (!t->slots || !t->off || !t->hash || !t->count || (two_roles && !t->count2) ||
        (nick && (!t->nick || !t->sig || !t->mp)) || !t->gen || !t->pool) {
        au_intern_cleanup(t);
        return AU_ERR_NOMEM;
    }
    t->pool[0] = '\0';
    t->pool_len = 1; /* offset 0 is the empty string */
    return AU_OK;
}

void au_intern_cleanup(au_intern *t)
{
    au_free(t->slots);
    au_free(t->off);
    au_free(t->hash);
    au_free(t->count);
    au_free(t->count2);
    au_free(t->nick);
    au_free(t->sig);
    au_free(t->mp);
    au_free(t->gen);
    au_free(t->pool);
    memset(t, 0, sizeof *t);
}

static au_rc grow_arr(void **p, size_t elem, size_t oldn, size_t newn)
{
    if (!*p)
        return AU_OK;
    void *q = au_realloc(*p, newn * elem);
    if (!q)
        return AU_ERR_NOMEM;
    memset((char *)q + oldn * elem, 0, (newn - oldn) * elem);
    *p = q;
    return AU_OK;
}

static au_rc intern_grow_ids(au_intern *t)
{
    size_t nc = t->cap * 2;
    if (grow_arr((void **)&t->off, sizeof(uint32_t), t->cap, nc) ||
        grow_arr((void **)&t->hash, sizeof(uint32_t), t->cap, nc) ||
        grow_arr((void **)&t->count, sizeof(uint32_t), t->cap, nc) ||
        grow_arr((void **)&t->count2, sizeof(uint32_t), t->cap, nc) ||
        grow_arr((void **)&t->nick, sizeof(*t->nick), t->cap, nc) ||
        grow_arr((void **)&t->sig, sizeof(*t->sig), t->cap, nc) ||
        grow_arr((void **)&t->mp, sizeof(*t->mp), t->cap, nc) ||
        grow_arr((void **)&t->gen, 1, t->cap, nc))
        return AU_ERR_NOMEM;
    t->cap = nc;
    return AU_OK;
}

static au_rc intern_rehash(au_intern *t)
{
    size_t ns = t->nslots * 2;
    uint32_t *s = au_calloc(ns, sizeof(uint32_t));
    if (!s)
        return AU_ERR_NOMEM;
    for (size_t id = 1; id <= t->n; id++) {
        size_t i = t->hash[id] & (ns - 1);
        while (s[i])
            i = (i + 1) & (ns - 1);
        s[i] = (uint32_t)id;
    }
    au_free(t->slots);
    t->slots = s;
    t->nslots = ns;
    return AU_OK;
}

void au_intern_prefetch(const au_intern *t, const char *s)
{
    if (!s || !*s)
        return;
    uint32_t h = (uint32_t)XXH3_64bits(s, strlen(s));
    __builtin_prefetch(&t->slots[h & (t->nslots - 1)]);
}

au_rc au_intern_get(au_intern *t, const char *s, uint32_t *id)
{
    *id = 0;
    if (!s || !*s)
        return AU_OK;
    size_t len = strlen(s);
    uint32_t h = (uint32_t)XXH3_64bits(s, len);
    size_t i = h & (t->nslots - 1);
    while (t->slots[i]) {
        uint32_t c = t->slots[i];
        if (t->hash[c] == h && strcmp(t->pool + t->off[c], s) == 0) {
            *id = c;
            return AU_OK;
        }
        i = (i + 1) & (t->nslots - 1);
    }
    if (t->n + 2 >= t->cap && intern_grow_ids(t))
        return AU_ERR_NOMEM;
    if (AU_ARRAY_GROW(t->pool, t->pool_cap, t->pool_len + len + 1, 1))
        return AU_ERR_NOMEM;
    uint32_t nid = (uint32_t)++t->n;
    t->off[nid] = (uint32_t)t->pool_len;
    memcpy(t->pool + t->pool_len, s, len + 1);
    t->pool_len += len + 1;
    t->hash[nid] = h;
    t->slots[i] = nid;
    if (t->n * 2 > t->nslots && intern_rehash(t))
        return AU_ERR_NOMEM;
    *id = nid;
    return AU_OK;
}

size_t au_intern_memory(const au_intern *t)
{
    size_t per = 3 * sizeof(uint32_t) + (t->count2 ? 4 : 0) + (t->nick ? sizeof(*t->nick) : 0) +
                 (t->sig ? sizeof(*t->sig) : 0) + (t->mp ? sizeof(*t->mp) : 0);
    return t->nslots * sizeof(uint32_t) + t->cap * per + t->pool_cap;
}

/* ---- blocking index -------------------------------------------------------------------- */

au_rc au_bindex_init(au_bindex *ix)
{
    memset(ix, 0, sizeof *ix);
    ix->nslots = 4096;
    ix->slots = au_calloc(ix->nslots, sizeof(au_block));
    return ix->slots ? AU_OK : AU_ERR_NOMEM;
}

void au_bindex_cleanup(au_bindex *ix)
{
    for (size_t i = 0; ix->slots && i < ix->nslots; i++)
        if (ix->slots[i].heap)
            au_free(ix->slots[i].u.ids);
    au_free(ix->slots);
    memset(ix, 0, sizeof *ix);
}

static uint32_t fold(uint64_t key)
{
    uint32_t k = (uint32_t)(key >> 32) ^ (uint32_t)key;
    return k ? k : 1;
}

static size_t home(const au_bindex *ix, uint32_t key)
{
    return (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull >> 20) & (ix->nslots - 1);
}

size_t au_bindex_home(const au_bindex *ix, uint64_t key)
{
    return home(ix, fold(key));
}

static size_t bslot(const au_bindex *ix, uint32_t key)
{
    size_t i = home(ix, key);
    while (ix->slots[i].key && ix->slots[i].key != key)
        i = (i + 1) & (ix->nslots - 1);
    return i;
}

static au_rc bindex_rehash(au_bindex *ix)
{
    au_bindex nx = {.nslots = ix->nslots * 2, .used = ix->used, .entries = ix->entries};
    nx.slots = au_calloc(nx.nslots, sizeof(au_block));
    if (!nx.slots)
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < ix->nslots; i++)
        if (ix->slots[i].key)
            nx.slots[bslot(&nx, ix->slots[i].key)] = ix->slots[i];
    au_free(ix->slots);
    *ix = nx;
    return AU_OK;
}

au_rc au_bindex_reserve(au_bindex *ix, size_t more)
{
    while ((ix->used + more) * 4 > ix->nslots * 3)
        if (bindex_rehash(ix))
            return AU_ERR_NOMEM;
    return AU_OK;
}

size_t au_bindex_probe(const au_bindex *ix, uint64_t key)
{
    return bslot(ix, fold(key));
}

au_rc au_bindex_add(au_bindex *ix, uint64_t key, uint32_t rec, int cap)
{
    if (au_bindex_reserve(ix, 1))
        return AU_ERR_NOMEM;
    return au_bindex_add_at(ix, au_bindex_probe(ix, key), key, rec, cap);
}

au_rc au_bindex_add_at(au_bindex *ix, size_t slot, uint64_t key64, uint32_t rec, int cap)
{
    uint32_t key = fold(key64);
    /* The slot was probed before other keys were inserted: if one of them took it, probe
     * again (an empty slot is still the right place, nothing can have moved the key). */
    if (ix->slots[slot].key != key && ix->slots[slot].key != 0)
        slot = bslot(ix, key);
    au_block *b = &ix->slots[slot];
    if (!b->key) {
        b->key = key;
        ix->used++;
    }
    if (b->oversized)
        return AU_OK;
    if ((uint32_t)b->n + 1 > (uint32_t)cap) {
        ix->entries -= b->n;
        if (b->heap)
            au_free(b->u.ids);
        b->u.ids = NULL;
        b->n = 0;
        b->heap = 0;
        b->oversized = 1;
        return AU_OK;
    }
    if (!b->heap && b->n < AU_BLOCK_INLINE) {
        b->u.in[b->n++] = rec;
        ix->entries++;
        return AU_OK;
    }
    uint32_t n = b->n;
    if (!b->heap || (n >= 4 && (n & (n - 1)) == 0)) { /* inline full, or the array is */
        uint32_t nc = b->heap ? n * 2 : 4;
        uint32_t *p = au_malloc(nc * sizeof(uint32_t));
        if (!p)
            return AU_ERR_NOMEM;
        memcpy(p, au_block_ids(b), n * sizeof(uint32_t));
        if (b->heap)
            au_free(b->u.ids);
        b->u.ids = p;
        b->heap = 1;
    }
    b->u.ids[b->n++] = rec;
    ix->entries++;
    return AU_OK;
}

void au_bindex_drop(au_bindex *ix, uint64_t key)
{
    au_block *b = &ix->slots[bslot(ix, fold(key))];
    if (!b->key || b->oversized)
        return;
    ix->entries -= b->n;
    if (b->heap)
        au_free(b->u.ids);
    b->u.ids = NULL;
    b->n = 0;
    b->heap = 0;
    b->oversized = 1;
}

void au_bindex_remove(au_bindex *ix, uint64_t key, uint32_t rec)
{
    au_block *b = &ix->slots[bslot(ix, fold(key))];
    if (!b->key || b->oversized)
        return;
    uint32_t *ids = b->heap ? b->u.ids : b->u.in;
    for (uint32_t i = 0; i < b->n; i++) {
        if (ids[i] == rec) {
            memmove(ids + i, ids + i + 1, (b->n - i - 1) * sizeof(uint32_t));
            b->n--;
            ix->entries--;
            return;
        }
    }
}

const au_block *au_bindex_find(const au_bindex *ix, uint64_t key)
{
    const au_block *b = &ix->slots[bslot(ix, fold(key))];
    return b->key ? b : NULL;
}
