/*
 * The store: the durable truth behind Aurum (sources, every version of every source record,
 * events, API keys, resolution, golden-record indexes, flows, the quality ledger and the
 * privacy records: tombstones and suppression). Callers see an opaque au_store and the
 * au_store_* functions; each back-end is a const au_store_ops table registered in store.c: the
 * lifecycle slots below plus one ops table per domain (store_records.h, store_keys.h,
 * store_resolution.h, store_profiles.h, store_flows.h, store_quality.h, store_privacy.h), each
 * declared with its forwarders from one X-macro list, so a second back-end (PostgreSQL)
 * implements the domains one at a time. A handle is used by one thread at a time: the engine's
 * writer thread owns the read-write handle, readers open their own read-only handles.
 *
 * Writes happen inside au_store_begin/au_store_commit. Savepoints let one batch of a group commit
 * fail without undoing the others. A commit that returned AU_OK is on disk (survives kill -9).
 */
#ifndef AU_STORE_H
#define AU_STORE_H

#include <stdint.h>

#include "lib/rc.h"

typedef struct au_store au_store;

typedef enum { AU_STORE_RW = 0, AU_STORE_RO = 1 } au_store_mode;

/* What an upsert did. */
typedef enum {
    AU_PUT_INSERTED = 0, /* new (or previously deleted) key: version 1 or next version */
    AU_PUT_UPDATED = 1,  /* content changed: a new version */
    AU_PUT_UNCHANGED = 2 /* same content hash as the current version: nothing written */
} au_put_outcome;

/* A record version to write. Strings are borrowed for the duration of the call. */
typedef struct au_record_row {
    const char *source;    /* source name */
    const char *record_id; /* the source's own id */
    const char *doc;       /* JSON document (au_record_to_json), NULL for a deletion */
    uint64_t hash;         /* content hash; equal hash => unchanged */
    const char *origin;    /* who wrote it: "api:<key id>", "import:<file>", ... */
    int64_t at_ms;         /* when it was written (Unix ms) */
} au_record_row;

/* A record version read back. Heap strings owned by the struct: au_record_out_cleanup. */
typedef struct au_record_out {
    char *source, *record_id;
    char *doc; /* NULL for a deletion tombstone */
    char *origin;
    uint64_t hash;
    int64_t version;
    int64_t at_ms;
    int deleted;
} au_record_out;
void au_record_out_cleanup(au_record_out *r);

/* A business event. Strings borrowed for the call. */
typedef struct au_event_row {
    const char *source;     /* system that emitted it */
    const char *event_id;   /* idempotency key within the source */
    const char *type;       /* "order", "payment", "ticket", ... */
    int64_t at_ms;          /* when it happened */
    int64_t received_ms;    /* when Aurum accepted it */
    const char *customer;   /* JSON reference: {"source":..,"record":..} or {"email":..} ... */
    const char *properties; /* JSON object */
    const char *origin;
} au_event_row;

typedef struct au_event_out {
    char *source, *event_id, *type, *customer, *properties, *origin;
    int64_t at_ms, received_ms, seq;
} au_event_out;
void au_event_out_cleanup(au_event_out *e);

/* An API key as stored: only the hash of the secret is kept. */
typedef struct au_key_row {
    const char *id;      /* public id, shown in lists and logs */
    const uint8_t *hash; /* 32-byte hash of the secret */
    const char *scopes;  /* JSON array of scope strings */
    const char *name;    /* label, may be NULL */
    int64_t created_ms;
} au_key_row;

typedef struct au_key_out {
    char *id, *scopes, *name;
    int64_t created_ms, revoked_ms; /* revoked_ms 0 while active */
} au_key_out;
void au_key_out_cleanup(au_key_out *k);

/* --- resolution rows ---------------------------------------------------------------------- */
/* A live record with its profile (0: not yet assigned), for start-up and profile members.
 * Borrowed by callbacks; doc is NULL where the query does not read it. */
typedef struct au_resolve_row {
    int64_t no;            /* records.id: the internal record number */
    const char *source;    /* source name */
    const char *record_id; /* the source's own id */
    const char *doc;       /* current document (JSON) or NULL */
    int64_t profile;       /* assigned profile, 0 when none */
} au_resolve_row;
typedef int (*au_resolve_row_cb)(void *ctx, const au_resolve_row *r);

/* A manual decision on a pair of records. */
typedef struct au_override_row {
    int64_t a, b;       /* record numbers, a < b */
    const char *kind;   /* "must_link" | "cannot_link" ("none" on put deletes the pair) */
    const char *origin; /* who decided: "api:<key id>", "cli" */
    int64_t at_ms;
} au_override_row;
typedef int (*au_override_cb)(void *ctx, const au_override_row *o);

/* A pair scoring between the possible-match and the match weight, queued for review. */
typedef struct au_review_row {
    int64_t a, b; /* record numbers, a < b */
    double weight;
    int64_t at_ms;
} au_review_row;
typedef int (*au_review_cb)(void *ctx, const au_review_row *r);

/* One entry of the change feed: a profile affected by a write. */
typedef struct au_change_row {
    int64_t seq;           /* feed position (set by the store on add) */
    int64_t profile;       /* the profile affected */
    const char *kind;      /* created | updated | merged | split | deleted */
    int64_t other;         /* merged: the profile it went into; split: the one it came from */
    const char *source;    /* the record whose write caused it, may be NULL */
    const char *record_id; /* its id, may be NULL */
    int64_t at_ms;
} au_change_row;
typedef int (*au_change_cb)(void *ctx, const au_change_row *c);

/* Iteration callbacks return 0 to continue, non-zero to stop (that value is returned as rc).
 * The row passed to a callback is only valid during the call: copy what must outlive it. */
typedef int (*au_record_cb)(void *ctx, const au_record_out *r);
typedef int (*au_event_cb)(void *ctx, const au_event_out *e);
typedef int (*au_key_cb)(void *ctx, const au_key_out *k);
typedef int (*au_source_cb)(void *ctx, const char *name, const char *def_json);

/* --- flows: rows (strings borrowed for the call, or during a callback) ------------------- */
/* Outbox statuses. */
#define AU_OUTBOX_PENDING   0 /* waiting for (re)delivery */
#define AU_OUTBOX_DELIVERED 1 /* the target accepted it */
#define AU_OUTBOX_DEAD      2 /* permanent failure or retries exhausted: in the dead letters */

/* One delivery to make: a step of a run. `input` is the run's context (joined from the run). */
typedef struct au_outbox_row {
    int64_t id;            /* assigned by outbox_add */
    const char *flow;      /* flow name */
    int64_t run_id;        /* the run it belongs to */
    const char *step_id;   /* the step's id in the flow */
    const char *idem_key;  /* stable idempotency key: unique, a repeat is not added again */
    const char *partition; /* ordering key (the profile); "" for none */
    const char *input;     /* read back only: the run's context JSON */
    int status;            /* AU_OUTBOX_* */
    int attempts;          /* delivery attempts so far */
    int64_t next_ms;       /* not before (Unix ms) */
    int64_t created_ms;
    const char *claimed_by; /* read back only: the node leasing it, NULL when none */
    int64_t lease_until;    /* read back only: until when (Unix ms), 0 when not leased */
} au_outbox_row;

/* One run of a flow. */
typedef struct au_run_row {
    int64_t id;
    const char *flow, *trigger; /* trigger: "event:billing/e1", "webhook", "schedule:..." */
    const char *input;          /* the context JSON */
    const char *condition;      /* "true", "false" or "error: ..." */
    const char *steps;          /* JSON object: step id -> summary */
    const char *status;         /* pending, delivered, failed, skipped, error, dry */
    const char *error;          /* NULL or the evaluation error */
    int pending;                /* steps still to deliver */
    int attempts;               /* delivery attempts over all steps */
    int64_t started_ms, finished_ms;
} au_run_row;

/* A delivery that failed for good. */
typedef struct au_dead_row {
    int64_t id, outbox_id, run_id;
    const char *flow, *step_id;
    const char *request, *response, *reason; /* request: JSON of what was sent */
    int64_t created_ms, replayed_ms;         /* replayed_ms 0 until replayed */
} au_dead_row;

/* --- quality: the data-quality ledger (src/core/quality.c) ---------------------------- */
/* One count of the ledger. Strings borrowed for the call, or during a callback. */
typedef struct au_quality_row {
    const char *source;    /* source name */
    const char *attribute; /* canonical attribute name; "" for the source's record count */
    const char *status;    /* "valid", "quarantined" or "records" */
    const char *reason;    /* reason code (record/reason.h) when quarantined, else "" */
    const char *day;       /* "YYYY-MM-DD" (UTC) of a per-day arrival count, NULL: current */
    int64_t n;             /* the count; on quality_add the amount to add */
    const char *examples;  /* current rows: JSON array of record ids, NULL: none / unchanged */
} au_quality_row;
typedef int (*au_quality_cb)(void *ctx, const au_quality_row *row);

typedef int (*au_flow_cb)(void *ctx, const char *name, const char *definition);
/* A count of events not linked to any customer, per event source. */
typedef int (*au_unlinked_cb)(void *ctx, const char *source, int64_t count);
typedef int (*au_outbox_cb)(void *ctx, const au_outbox_row *row);
/* An outbox row won by outbox_claim. */
typedef int (*au_claim_cb)(void *ctx, int64_t id);
typedef int (*au_run_cb)(void *ctx, const au_run_row *row);
typedef int (*au_dead_cb)(void *ctx, const au_dead_row *row);
/* How the runs of one flow stand: what GET /v1/flows shows beside each definition. */
typedef struct au_run_counts {
    int64_t total;                                      /* runs recorded */
    int64_t pending, delivered, failed, skipped, error; /* runs by status */
    int64_t dead_letters;                               /* dead letters not replayed yet */
    int64_t retrying;           /* deliveries waiting for another attempt after a failure */
    char last_retry_error[256]; /* why the newest of those failed ("" when none) */
} au_run_counts;
/* Kinds of the record identifier index (profile lookups and name search). AU_IDENT_PENDING is
 * no identifier: a row (0, '', -N) is the durable marker of a bulk load that has not yet written
 * the rows of records N and later (src/profile/hook.c); lookups never ask for kind 0. */
enum { AU_IDENT_PENDING = 0, AU_IDENT_EMAIL = 1, AU_IDENT_PHONE = 2, AU_IDENT_NAME = 3 };
/* A record number (and the matched key, for ident_find; NULL otherwise). */
typedef int (*au_ident_cb)(void *ctx, int64_t rec, const char *key);

/* --- privacy: erasure and export of a data subject (src/privacy/, docs/PRIVACY.md) ------- */
/* Everything to purge for one person, and the receipt to keep. Strings borrowed for the call. */
typedef struct au_subject_purge {
    const char *members; /* JSON array of {"no": record number, "s": source, "r": record id} */
    const char *refs;    /* JSON array of event customer references ("r:..", "e:..", "p:..") */
    const char *needles; /* JSON array of strings marking flow runs / dead letters as theirs */
    int64_t at_ms;       /* when */
    const char *key_id;  /* receipt: the API key (or "cli") that asked */
    const char *hashes;  /* receipt: JSON array of hashed identifiers (hex BLAKE2b) */
    int64_t profile;     /* receipt: the profile erased */
    int suppress;        /* 1: the hashes join the suppression list (no re-import) */
} au_subject_purge;

/* What a purge removed; receipt is the id of the erasure receipt written. */
typedef struct au_purge_counts {
    int64_t records, versions, events, runs, dead_letters, outbox, changes, receipt;
} au_purge_counts;

/* The method table of a back-end. Every slot is required. */
typedef struct au_store_ops {
    const char *name; /* scheme used in locations: "sqlite" */
    /* 1 when other processes (nodes) may write the same store at once, so that work they
     * could also take (outbox rows) must be leased first; 0 when one process holds it alone
     * (SQLite: aurum.lock). */
    int shared;
    /* NULL when every domain is implemented; else the domains that are not yet (their slots
     * log and answer AU_ERR_UNSUPPORTED): see au_store_require_complete. */
    const char *missing;
    /* Opens (creating and migrating if RW) the store at `location`; *impl owned by the store. */
    au_rc (*open)(const char *location, au_store_mode mode, void **impl, au_err *err);
    void (*close)(void *impl);
    au_rc (*begin)(void *impl);
    au_rc (*commit)(void *impl);
    au_rc (*rollback)(void *impl);
    au_rc (*savepoint)(void *impl); /* nested: one level is enough for group commit */
    au_rc (*savepoint_release)(void *impl);
    au_rc (*savepoint_rollback)(void *impl); /* undo to the savepoint, and release it */
    /* The domains, one ops table each (store_<domain>.h); every slot of each is required. A
     * second back-end can implement them one at a time. */
    const struct au_store_records_ops *records;
    const struct au_store_keys_ops *keys;
    const struct au_store_resolution_ops *resolution;
    const struct au_store_profiles_ops *profiles;
    const struct au_store_flows_ops *flows;
    const struct au_store_quality_ops *quality;
    const struct au_store_privacy_ops *privacy;
    const struct au_store_inbound_ops *inbound;
    const struct au_store_audit_ops *audit; /* audit log and retention (store_audit.h) */
    const struct au_store_bus_ops *bus;     /* the NATS publisher's reads (store_bus.h) */
} au_store_ops;

/* Opens a store. `location` is "DIR" (SQLite in DIR/aurum.db, DIR created if missing) or
 * "scheme:rest" naming a registered back-end. Caller frees with au_store_close. */
AU_MUST_USE au_rc au_store_open(const char *location, au_store_mode mode, au_store **out,
                                au_err *err);
void au_store_close(au_store *s);
const char *au_store_backend(const au_store *s);
/* Whether other nodes may write this store at once (au_store_ops.shared). */
int au_store_shared(const au_store *s);
/* AU_ERR_UNSUPPORTED (naming the missing domains) when the back-end does not implement every
 * domain yet: what needs the whole store (the engine, so `aurum serve`) refuses to start. */
AU_MUST_USE au_rc au_store_require_complete(const au_store *s, au_err *err);

AU_MUST_USE au_rc au_store_begin(au_store *s);
AU_MUST_USE au_rc au_store_commit(au_store *s);
AU_MUST_USE au_rc au_store_rollback(au_store *s);
AU_MUST_USE au_rc au_store_savepoint(au_store *s);
AU_MUST_USE au_rc au_store_savepoint_release(au_store *s);
AU_MUST_USE au_rc au_store_savepoint_rollback(au_store *s);

/* The domain contracts. Each declares its ops table and its au_store_* forwarders from one
 * X-macro list: X(return type, slot name, (parameters), (arguments)), where AU_STORE_SELF is
 * the first parameter (void *impl in a slot, au_store *s in a forwarder) and AU_STORE_IMPL the
 * first argument (s->impl when a forwarder calls its slot). */
#define AU_STORE_SLOT(ret, name, params, args) ret(*name) params;
/* Forwarders are must-use: every au_rc (and the one counter) a store call returns is read. */
#define AU_STORE_DECL(ret, name, params, args) AU_MUST_USE ret au_store_##name params;
#define AU_STORE_IMPL                          s->impl

#include "store/store_audit.h"
#include "store/store_bus.h"
#include "store/store_flows.h"
#include "store/store_inbound.h"
#include "store/store_keys.h"
#include "store/store_privacy.h"
#include "store/store_profiles.h"
#include "store/store_quality.h"
#include "store/store_records.h"
#include "store/store_resolution.h"

#endif
