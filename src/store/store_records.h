/*
 * The store contract, domain records: sources, record versions and events: what the engine writes
 * for every upsert, delete and event. One X-macro list, AU_STORE_RECORDS, is the single source of
 * this domain: it declares the au_store_records_ops slots a back-end implements (first argument:
 * its handle), the au_store_* forwarders callers use (first argument: the au_store), their
 * definitions in store.c and the reference in docs/STORE.md (scripts/store-doc.sh). Include
 * store/store.h, not this file.
 */
#ifndef AU_STORE_RECORDS_H
#define AU_STORE_RECORDS_H

#include "store/store.h"

/* clang-format off */
#define AU_STORE_RECORDS(X) \
    /* sources: the definition JSON as given to PUT /v1/sources/{name} */ \
    X(au_rc, source_put, (AU_STORE_SELF, const char *name, const char *def_json, int64_t at_ms), \
      (AU_STORE_IMPL, name, def_json, at_ms)) \
    X(au_rc, source_get, (AU_STORE_SELF, const char *name, char **def_json), \
      (AU_STORE_IMPL, name, def_json)) \
    X(au_rc, source_list, (AU_STORE_SELF, au_source_cb cb, void *ctx), \
      (AU_STORE_IMPL, cb, ctx)) \
    /* records: upsert keeps every version; delete writes a tombstone version */ \
    X(au_rc, record_put, (AU_STORE_SELF, const au_record_row *row, au_put_outcome *outcome, int64_t *version), \
      (AU_STORE_IMPL, row, outcome, version)) \
    X(au_rc, record_delete, (AU_STORE_SELF, const char *source, const char *record_id, const char *origin, int64_t at_ms), \
      (AU_STORE_IMPL, source, record_id, origin, at_ms)) \
    /* version 0 = current; AU_ERR_NOT_FOUND when absent (a current tombstone is returned). */ \
    X(au_rc, record_get, (AU_STORE_SELF, const char *source, const char *record_id, int64_t version, au_record_out *out), \
      (AU_STORE_IMPL, source, record_id, version, out)) \
    X(au_rc, record_history, (AU_STORE_SELF, const char *source, const char *record_id, au_record_cb cb, void *ctx), \
      (AU_STORE_IMPL, source, record_id, cb, ctx)) \
    /* Every current, non-deleted record, in insertion order (engine start-up). */ \
    X(au_rc, record_scan, (AU_STORE_SELF, au_record_cb cb, void *ctx), \
      (AU_STORE_IMPL, cb, ctx)) \
    X(au_rc, record_count, (AU_STORE_SELF, const char *source, int64_t *count), \
      (AU_STORE_IMPL, source, count)) \
    /* events: idempotent on (source, event_id); same id again => AU_PUT_UNCHANGED */ \
    X(au_rc, event_put, (AU_STORE_SELF, const au_event_row *ev, au_put_outcome *outcome), \
      (AU_STORE_IMPL, ev, outcome)) \
    X(au_rc, event_get, (AU_STORE_SELF, const char *source, const char *event_id, au_event_out *out), \
      (AU_STORE_IMPL, source, event_id, out)) \
    /* Per event source, in name order, the number of stored events that no live record holds \
     * the customer reference of (the record it names, or a record indexed under the e-mail / \
     * phone it names; an event without a readable reference counts too); sources without any \
     * are left out. */ \
    X(au_rc, events_unlinked, (AU_STORE_SELF, au_unlinked_cb cb, void *ctx), \
      (AU_STORE_IMPL, cb, ctx))
/* clang-format on */

/* The slots of the domain, implemented by a back-end (store_sqlite.c for SQLite). */
struct au_store_records_ops {
#define AU_STORE_SELF void *impl
    AU_STORE_RECORDS(AU_STORE_SLOT)
#undef AU_STORE_SELF
};

/* The forwarders (store.c): au_store_<slot>(s, ...) calls the slot with s's handle. */
#define AU_STORE_SELF au_store *s
AU_STORE_RECORDS(AU_STORE_DECL)
#undef AU_STORE_SELF

#endif
