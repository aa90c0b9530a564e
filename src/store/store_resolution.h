/*
 * The store contract, domain resolution: record-to-profile assignments, redirects, overrides, the
 * review queue, the trained model and the change feed (written by the resolve hook). One X-macro
 * list, AU_STORE_RESOLUTION, is the single source of this domain: it declares the
 * au_store_resolution_ops slots a back-end implements (first argument: its handle), the au_store_*
 * forwarders callers use (first argument: the au_store), their definitions in store.c and the
 * reference in docs/STORE.md (scripts/store-doc.sh). Include store/store.h, not this file.
 */
#ifndef AU_STORE_RESOLUTION_H
#define AU_STORE_RESOLUTION_H

#include "store/store.h"

/* clang-format off */
#define AU_STORE_RESOLUTION(X) \
    /* records.id of the record the last record_put/record_delete of this handle wrote */ \
    X(int64_t, record_last_no, (AU_STORE_SELF), \
      (AU_STORE_IMPL)) \
    /* record number of (source, record_id), deleted ones included; AU_ERR_NOT_FOUND */ \
    X(au_rc, record_no, (AU_STORE_SELF, const char *source, const char *record_id, int64_t *no), \
      (AU_STORE_IMPL, source, record_id, no)) \
    /* (source, record_id) of a record number; heap strings (au_free); AU_ERR_NOT_FOUND */ \
    X(au_rc, record_ref, (AU_STORE_SELF, int64_t no, char **source, char **record_id), \
      (AU_STORE_IMPL, no, source, record_id)) \
    /* every live record with its document and assignment, in record-number order */ \
    X(au_rc, resolve_scan, (AU_STORE_SELF, au_resolve_row_cb cb, void *ctx), \
      (AU_STORE_IMPL, cb, ctx)) \
    /* assigns record `no` to `profile` (0: removes the assignment) */ \
    X(au_rc, assign_put, (AU_STORE_SELF, int64_t no, int64_t profile), \
      (AU_STORE_IMPL, no, profile)) \
    /* profile of a live record (0 when unassigned); AU_ERR_NOT_FOUND when no such record */ \
    X(au_rc, profile_of, (AU_STORE_SELF, const char *source, const char *record_id, int64_t *profile), \
      (AU_STORE_IMPL, source, record_id, profile)) \
    /* members of a profile in record-number order (doc NULL) */ \
    X(au_rc, profile_members, (AU_STORE_SELF, int64_t profile, au_resolve_row_cb cb, void *ctx), \
      (AU_STORE_IMPL, profile, cb, ctx)) \
    /* highest profile number ever used (assignments and redirects), 0 if none */ \
    X(au_rc, profile_max, (AU_STORE_SELF, int64_t *max), \
      (AU_STORE_IMPL, max)) \
    /* profile `from` vanished into `into` (0: it emptied) */ \
    X(au_rc, redirect_put, (AU_STORE_SELF, int64_t from, int64_t into, int64_t at_ms), \
      (AU_STORE_IMPL, from, into, at_ms)) \
    /* where `from` went; AU_ERR_NOT_FOUND when it never vanished */ \
    X(au_rc, redirect_get, (AU_STORE_SELF, int64_t from, int64_t *into), \
      (AU_STORE_IMPL, from, into)) \
    X(au_rc, override_put, (AU_STORE_SELF, const au_override_row *o), \
      (AU_STORE_IMPL, o)) \
    X(au_rc, override_list, (AU_STORE_SELF, au_override_cb cb, void *ctx), \
      (AU_STORE_IMPL, cb, ctx)) \
    /* queues a pair for review (replacing an earlier weight); weight NAN removes it */ \
    X(au_rc, review_put, (AU_STORE_SELF, const au_review_row *r), \
      (AU_STORE_IMPL, r)) \
    X(au_rc, review_list, (AU_STORE_SELF, long limit, au_review_cb cb, void *ctx), \
      (AU_STORE_IMPL, limit, cb, ctx)) \
    /* the trained model (JSON); model_get: AU_ERR_NOT_FOUND when none, heap string (au_free) */ \
    X(au_rc, model_put, (AU_STORE_SELF, const char *json, int64_t at_ms), \
      (AU_STORE_IMPL, json, at_ms)) \
    X(au_rc, model_get, (AU_STORE_SELF, char **json), \
      (AU_STORE_IMPL, json)) \
    /* appends to the change feed (c->seq is ignored) */ \
    X(au_rc, change_add, (AU_STORE_SELF, const au_change_row *c), \
      (AU_STORE_IMPL, c)) \
    /* entries with seq > after, oldest first, at most limit */ \
    X(au_rc, changes_after, (AU_STORE_SELF, int64_t after, long limit, au_change_cb cb, void *ctx), \
      (AU_STORE_IMPL, after, limit, cb, ctx)) \
    /* inside a transaction: serialises resolution decisions with every other node of the store \
     * until it ends, then *last = the feed position every decision committed before is at or \
     * below (PostgreSQL: an advisory lock; SQLite has one writer: nothing to wait for) */ \
    X(au_rc, resolve_lock, (AU_STORE_SELF, int64_t *last), \
      (AU_STORE_IMPL, last)) \
    /* records the feed rows after < seq <= upto name, or whose profiles (or the profiles they \
     * went to / came from) they name, in record-number order: doc only for a live record a row \
     * names (NULL otherwise), profile 0 when the record is deleted or unassigned */ \
    X(au_rc, resolve_changed, (AU_STORE_SELF, int64_t after, int64_t upto, au_resolve_row_cb cb, void *ctx), \
      (AU_STORE_IMPL, after, upto, cb, ctx)) \
    /* profile numbers up to `taken` are used (0: nothing new); *next = the first number no \
     * node ever took (PostgreSQL: a sequence, so numbers are never reused, even after an \
     * erasure; SQLite: profile_max + 1) */ \
    X(au_rc, profile_claim, (AU_STORE_SELF, int64_t taken, int64_t *next), \
      (AU_STORE_IMPL, taken, next))
/* clang-format on */

/* The slots of the domain, implemented by a back-end (store_sqlite_resolve.c for SQLite). */
struct au_store_resolution_ops {
#define AU_STORE_SELF void *impl
    AU_STORE_RESOLUTION(AU_STORE_SLOT)
#undef AU_STORE_SELF
};

/* The forwarders (store.c): au_store_<slot>(s, ...) calls the slot with s's handle. */
#define AU_STORE_SELF au_store *s
AU_STORE_RESOLUTION(AU_STORE_DECL)
#undef AU_STORE_SELF

#endif
