/*
 * The store contract, domain quality: the data-quality ledger: counts per (source, attribute,
 * status, reason) and paging through a source (the quality hook, renormalize). One X-macro list,
 * AU_STORE_QUALITY, is the single source of this domain: it declares the au_store_quality_ops slots
 * a back-end implements (first argument: its handle), the au_store_* forwarders callers use (first
 * argument: the au_store), their definitions in store.c and the reference in docs/STORE.md
 * (scripts/store-doc.sh). Include store/store.h, not this file.
 */
#ifndef AU_STORE_QUALITY_H
#define AU_STORE_QUALITY_H

#include "store/store.h"

/* clang-format off */
#define AU_STORE_QUALITY(X) \
    /* Adds row->n to the count of (source, attribute, status, reason) — of row->day when set, \
     * else of the current state — creating it at 0 first; on a current row a non-NULL \
     * row->examples replaces the stored examples. */ \
    X(au_rc, quality_add, (AU_STORE_SELF, const au_quality_row *row), \
      (AU_STORE_IMPL, row)) \
    /* The stored examples (JSON array text, au_free) of a current row; NULL when none. */ \
    X(au_rc, quality_examples, (AU_STORE_SELF, const char *source, const char *attribute, const char *reason, char **json), \
      (AU_STORE_IMPL, source, attribute, reason, json)) \
    /* Current rows (since NULL) or per-day rows with day >= since, of `source` (NULL: all), \
     * ordered by source, attribute, status, reason (and day). */ \
    X(au_rc, quality_list, (AU_STORE_SELF, const char *source, const char *since, au_quality_cb cb, void *ctx), \
      (AU_STORE_IMPL, source, since, cb, ctx)) \
    /* Live records of `source` with a record number > after, in number order, at most limit: \
     * cb(ctx, number, record id). Pages through a source without holding a read open. */ \
    X(au_rc, record_ids, (AU_STORE_SELF, const char *source, int64_t after, int limit, au_ident_cb cb, void *ctx), \
      (AU_STORE_IMPL, source, after, limit, cb, ctx))
/* clang-format on */

/* The slots of the domain, implemented by a back-end (store_sqlite_quality.c for SQLite). */
struct au_store_quality_ops {
#define AU_STORE_SELF void *impl
    AU_STORE_QUALITY(AU_STORE_SLOT)
#undef AU_STORE_SELF
};

/* The forwarders (store.c): au_store_<slot>(s, ...) calls the slot with s's handle. */
#define AU_STORE_SELF au_store *s
AU_STORE_QUALITY(AU_STORE_DECL)
#undef AU_STORE_SELF

#endif
