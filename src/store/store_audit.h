/*
 * The store contract, domain audit: the append-only, hash-chained log of who read or changed
 * personal data (src/audit/, docs/SECURITY.md) and the retention sweeps of that log and of the
 * flow run history. The chain itself (what each hash covers) is computed by src/audit; the store
 * keeps the rows, the anchor left by the last sweep (the hash of the newest removed entry, so
 * what remains still verifies) and answers the filtered, cursor-paged listing. One X-macro list,
 * AU_STORE_AUDIT, declares the slots, the forwarders and the reference in docs/STORE.md
 * (scripts/store-doc.sh). Include store/store.h, not this file.
 */
#ifndef AU_STORE_AUDIT_H
#define AU_STORE_AUDIT_H

#include "store/store.h"

#define AU_AUDIT_HASH_LEN 32 /* BLAKE2b-256 */

/* One entry of the audit log. Strings borrowed for the call, or during a callback. */
typedef struct au_audit_row {
    int64_t id;           /* position in the chain: the previous entry's id + 1 */
    int64_t at_ms;        /* when (Unix ms) */
    const char *action;   /* "read" or "change" */
    const char *key_id;   /* the API key's public id; for a write without a key, its origin */
    const char *client;   /* client address ("127.0.0.1"), "" when not over HTTP */
    const char *route;    /* "GET /v1/profiles/{id}", or the origin kind ("import") */
    const char *profiles; /* JSON array of the profile ids touched */
    const char *records;  /* JSON array of the record numbers touched (records.id) */
    uint8_t hash[AU_AUDIT_HASH_LEN]; /* BLAKE2b over the previous hash and this content */
    const char *key_name; /* audit_list only: the key's name now (not hashed), NULL if none */
} au_audit_row;
typedef int (*au_audit_cb)(void *ctx, const au_audit_row *row);

/* What GET /v1/audit filters on; 0 / NULL: no filter. */
typedef struct au_audit_filter {
    int64_t profile;    /* entries touching this profile id */
    int64_t record;     /* entries touching this record number */
    const char *key_id; /* entries of this key */
    const char *route;  /* entries of this route ("GET /v1/profiles/{id}") */
    int64_t since_ms;   /* entries at or after this time */
    int64_t before;     /* cursor: entries with a smaller id */
    int limit;          /* most entries answered */
} au_audit_filter;

/* The chain's starting point: the newest entry removed by a sweep (id 0 and a zero hash when
 * nothing was ever removed). */
typedef struct au_audit_anchor {
    int64_t id;                      /* id of the newest removed entry */
    uint8_t hash[AU_AUDIT_HASH_LEN]; /* its hash */
    int64_t at_ms;                   /* when the sweep ran */
} au_audit_anchor;

/* clang-format off */
#define AU_STORE_AUDIT(X) \
    /* Appends one entry (its id and hash computed by the caller). Inside the writer's \
     * transaction. */ \
    X(au_rc, audit_append, (AU_STORE_SELF, const au_audit_row *row), \
      (AU_STORE_IMPL, row)) \
    /* The newest entry's id and hash, or the anchor's when the log is empty. */ \
    X(au_rc, audit_head, (AU_STORE_SELF, int64_t *id, uint8_t hash[AU_AUDIT_HASH_LEN]), \
      (AU_STORE_IMPL, id, hash)) \
    /* The anchor left by the last sweep (zeroes when none). */ \
    X(au_rc, audit_anchor, (AU_STORE_SELF, au_audit_anchor *out), \
      (AU_STORE_IMPL, out)) \
    /* Entries matching the filter, newest first, at most f->limit. */ \
    X(au_rc, audit_list, (AU_STORE_SELF, const au_audit_filter *f, au_audit_cb cb, void *ctx), \
      (AU_STORE_IMPL, f, cb, ctx)) \
    /* Every entry, oldest first (verification). */ \
    X(au_rc, audit_scan, (AU_STORE_SELF, au_audit_cb cb, void *ctx), \
      (AU_STORE_IMPL, cb, ctx)) \
    /* Removes the oldest entries up to the newest one written before before_ms (a prefix of \
     * the chain, never a hole) and moves the anchor to the newest removed; *removed counts \
     * them. Inside a transaction. */ \
    X(au_rc, audit_sweep, (AU_STORE_SELF, int64_t before_ms, int64_t at_ms, int64_t *removed), \
      (AU_STORE_IMPL, before_ms, at_ms, removed)) \
    /* Removes flow runs started before before_ms that have nothing left to deliver, with \
     * their outbox rows and dead letters; *removed counts the runs. Inside a transaction. */ \
    X(au_rc, runs_sweep, (AU_STORE_SELF, int64_t before_ms, int64_t *removed), \
      (AU_STORE_IMPL, before_ms, removed))
/* clang-format on */

/* The slots of the domain, implemented by a back-end (store_sqlite_audit.c for SQLite). */
struct au_store_audit_ops {
#define AU_STORE_SELF void *impl
    AU_STORE_AUDIT(AU_STORE_SLOT)
#undef AU_STORE_SELF
};

/* The forwarders (store.c): au_store_<slot>(s, ...) calls the slot with s's handle. */
#define AU_STORE_SELF au_store *s
AU_STORE_AUDIT(AU_STORE_DECL)
#undef AU_STORE_SELF

#endif
