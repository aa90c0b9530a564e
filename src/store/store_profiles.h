/*
 * The store contract, domain profiles: golden-record reads, the identifier index for lookups and
 * search, and event timelines (the profile hook). One X-macro list, AU_STORE_PROFILES, is the
 * single source of this domain: it declares the au_store_profiles_ops slots a back-end implements
 * (first argument: its handle), the au_store_* forwarders callers use (first argument: the
 * au_store), their definitions in store.c and the reference in docs/STORE.md
 * (scripts/store-doc.sh). Include store/store.h, not this file.
 */
#ifndef AU_STORE_PROFILES_H
#define AU_STORE_PROFILES_H

#include "store/store.h"

/* clang-format off */
#define AU_STORE_PROFILES(X) \
    /* Current version of record number `no` (a tombstone has deleted set). */ \
    X(au_rc, record_by_no, (AU_STORE_SELF, int64_t no, au_record_out *out), \
      (AU_STORE_IMPL, no, out)) \
    /* Identifier index of records (kind AU_IDENT_*): clear all of a record, add one key. */ \
    X(au_rc, ident_clear, (AU_STORE_SELF, int64_t rec), \
      (AU_STORE_IMPL, rec)) \
    X(au_rc, ident_put, (AU_STORE_SELF, int kind, const char *key, int64_t rec), \
      (AU_STORE_IMPL, kind, key, rec)) \
    /* on = 0 drops the index of the identifier rows by record, on = 1 builds it again (one \
     * sort): for a bulk load writing many rows in key order, where keeping it would be random \
     * inserts. Meanwhile clearing a record's rows scans. A back-end may keep it (PostgreSQL: \
     * other nodes may be reading). */ \
    X(au_rc, ident_rec_index, (AU_STORE_SELF, int on), \
      (AU_STORE_IMPL, on)) \
    /* Records holding `key` (prefix: every key starting with it), at most `limit`. */ \
    X(au_rc, ident_find, (AU_STORE_SELF, int kind, const char *key, int prefix, int limit, au_ident_cb cb, void *ctx), \
      (AU_STORE_IMPL, kind, key, prefix, limit, cb, ctx)) \
    /* Indexes stored event (source, event_id) under a customer reference `ref`. */ \
    X(au_rc, event_ref_put, (AU_STORE_SELF, const char *ref, const char *source, const char *event_id), \
      (AU_STORE_IMPL, ref, source, event_id)) \
    /* Events indexed under any of the references (JSON array text), newest first (event time, \
     * then arrival), strictly after the event `before_seq` in that order (0: from the newest); \
     * type / source filter when not NULL. */ \
    X(au_rc, timeline, (AU_STORE_SELF, const char *refs_json, int64_t before_seq, const char *type, const char *source, int limit, au_event_cb cb, void *ctx), \
      (AU_STORE_IMPL, refs_json, before_seq, type, source, limit, cb, ctx)) \
    /* Profile of record number `rec` (0 when unassigned). */ \
    X(au_rc, record_profile, (AU_STORE_SELF, int64_t rec, int64_t *profile), \
      (AU_STORE_IMPL, rec, profile)) \
    /* Highest change-feed seq (0 when the feed is empty). */ \
    X(au_rc, change_last, (AU_STORE_SELF, int64_t *seq), \
      (AU_STORE_IMPL, seq))
/* clang-format on */

/* The slots of the domain, implemented by a back-end (store_sqlite_profiles.c for SQLite). */
struct au_store_profiles_ops {
#define AU_STORE_SELF void *impl
    AU_STORE_PROFILES(AU_STORE_SLOT)
#undef AU_STORE_SELF
};

/* The forwarders (store.c): au_store_<slot>(s, ...) calls the slot with s's handle. */
#define AU_STORE_SELF au_store *s
AU_STORE_PROFILES(AU_STORE_DECL)
#undef AU_STORE_SELF

#endif
