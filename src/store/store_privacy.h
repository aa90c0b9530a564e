/*
 * The store contract, domain privacy: erasure and export of a data subject (src/privacy/,
 * docs/PRIVACY.md): the purge of every row holding a person's data with its receipt, the runs
 * and dead letters mentioning them, the suppression list, the WAL checkpoint, and the tombstones
 * of deleted records. One X-macro list, AU_STORE_PRIVACY, declares the slots, the forwarders and
 * the reference in docs/STORE.md (scripts/store-doc.sh). Include store/store.h, not this file.
 */
#ifndef AU_STORE_PRIVACY_H
#define AU_STORE_PRIVACY_H

#include "store/store.h"

/* clang-format off */
#define AU_STORE_PRIVACY(X) \
    /* Removes every trace of the person (versions, events, idents, assignments, runs, outbox, \
     * dead letters, change-feed ids, quality examples), leaves a tombstone per record and \
     * writes the receipt (and the suppression entries). Inside the writer's transaction. */ \
    X(au_rc, subject_purge, (AU_STORE_SELF, const au_subject_purge *p, au_purge_counts *n), \
      (AU_STORE_IMPL, p, n)) \
    /* Flow runs, then dead letters, whose content holds one of the needles (JSON array), \
     * newest first, at most `limit` of each. */ \
    X(au_rc, subject_runs, (AU_STORE_SELF, const char *needles, int limit, au_run_cb rcb, au_dead_cb dcb, void *ctx), \
      (AU_STORE_IMPL, needles, limit, rcb, dcb, ctx)) \
    /* *yes = 1 when one of the hashes (JSON array) is on the suppression list; hashes NULL: \
     * when the list has any entry. */ \
    X(au_rc, suppressed, (AU_STORE_SELF, const char *hashes, int *yes), \
      (AU_STORE_IMPL, hashes, yes)) \
    /* Copies the WAL into the database and truncates it (outside a transaction); *done 0 when \
     * a reader kept it from completing. */ \
    X(au_rc, checkpoint, (AU_STORE_SELF, int *done), \
      (AU_STORE_IMPL, done)) \
    /* Drops the documents of every version of record number `no` (a deleted record keeps its \
     * version numbers, hashes, origins and times: tombstones without personal data). */ \
    X(au_rc, record_scrub, (AU_STORE_SELF, int64_t no), \
      (AU_STORE_IMPL, no))
/* clang-format on */

/* The slots of the domain, implemented by a back-end (store_sqlite_privacy.c for SQLite). */
struct au_store_privacy_ops {
#define AU_STORE_SELF void *impl
    AU_STORE_PRIVACY(AU_STORE_SLOT)
#undef AU_STORE_SELF
};

/* The forwarders (store.c): au_store_<slot>(s, ...) calls the slot with s's handle. */
#define AU_STORE_SELF au_store *s
AU_STORE_PRIVACY(AU_STORE_DECL)
#undef AU_STORE_SELF

#endif
