/*
 * The store: the durable truth behind Aurum (sources, every version of every source record,
 * events, API keys, profiles and their change feed, flows with their runs, outbox and dead
 * letters, the quality ledger). Callers see an opaque au_store and the functions below; each
 * back-end is a const au_store_ops table registered in store.c, so PostgreSQL can
 * be added as one new file. A handle is used by one thread at a time: the engine's writer thread
 * owns the read-write handle, readers open their own read-only handles.
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
    const char *reason;    /* reason code (core/reason.h) when quarantined, else "" */
    const char *day;       /* "YYYY-MM-DD" (UTC) of a per-day arrival count, NULL: current */
    int64_t n;             /* the count; on quality_add the amount to add */
    const char *examples;  /* current rows: JSON array of record ids, NULL: none / unchanged */
} au_quality_row;
typedef int (*au_quality_cb)(void *ctx, const au_quality_row *row);

typedef int (*au_flow_cb)(void *ctx, const char *name, const char *definition);
/* A count of events not linked to any customer, per event source. */
typedef int (*au_unlinked_cb)(void *ctx, const char *source, int64_t count);
typedef int (*au_outbox_cb)(void *ctx, const au_outbox_row *row);
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
/* Kinds of the record identifier index (profile lookups and name search). */
enum { AU_IDENT_EMAIL = 1, AU_IDENT_PHONE = 2, AU_IDENT_NAME = 3 };
/* A record number (and the matched key, for ident_find; NULL otherwise). */
typedef int (*au_ident_cb)(void *ctx, int64_t rec, const char *key);

/* The method table of a back-end. Every slot is required. */
typedef struct au_store_ops {
    const char *name; /* scheme used in locations: "sqlite" */
    /* Opens (creating and migrating if RW) the store at `location`; *impl owned by the store. */
    au_rc (*open)(const char *location, au_store_mode mode, void **impl, au_err *err);
    void (*close)(void *impl);
    au_rc (*begin)(void *impl);
    au_rc (*commit)(void *impl);
    au_rc (*rollback)(void *impl);
    au_rc (*savepoint)(void *impl); /* nested: one level is enough for group commit */
    au_rc (*savepoint_release)(void *impl);
    au_rc (*savepoint_rollback)(void *impl); /* undo to the savepoint, and release it */
    /* sources: the definition JSON as given to PUT /v1/sources/{name} */
    au_rc (*source_put)(void *impl, const char *name, const char *def_json, int64_t at_ms);
    au_rc (*source_get)(void *impl, const char *name, char **def_json);
    au_rc (*source_list)(void *impl, au_source_cb cb, void *ctx);
    /* records: upsert keeps every version; delete writes a tombstone version */
    au_rc (*record_put)(void *impl, const au_record_row *row, au_put_outcome *outcome,
                        int64_t *version);
    au_rc (*record_delete)(void *impl, const char *source, const char *record_id,
                           const char *origin, int64_t at_ms);
    /* version 0 = current; AU_ERR_NOT_FOUND when absent (a current tombstone is returned). */
    au_rc (*record_get)(void *impl, const char *source, const char *record_id, int64_t version,
                        au_record_out *out);
    au_rc (*record_history)(void *impl, const char *source, const char *record_id, au_record_cb cb,
                            void *ctx);
    /* Every current, non-deleted record, in insertion order (engine start-up). */
    au_rc (*record_scan)(void *impl, au_record_cb cb, void *ctx);
    au_rc (*record_count)(void *impl, const char *source, int64_t *count);
    /* events: idempotent on (source, event_id); same id again => AU_PUT_UNCHANGED */
    au_rc (*event_put)(void *impl, const au_event_row *ev, au_put_outcome *outcome);
    au_rc (*event_get)(void *impl, const char *source, const char *event_id, au_event_out *out);
    /* keys */
    au_rc (*key_put)(void *impl, const au_key_row *key);
    au_rc (*key_find)(void *impl, const uint8_t hash[32], au_key_out *out);
    au_rc (*key_list)(void *impl, au_key_cb cb, void *ctx);
    au_rc (*key_revoke)(void *impl, const char *id, int64_t at_ms);

    /* --- resolution: record-to-profile assignments, redirects, overrides, model, changes --- */
    /* records.id of the record the last record_put/record_delete of this handle wrote */
    int64_t (*record_last_no)(void *impl);
    /* record number of (source, record_id), deleted ones included; AU_ERR_NOT_FOUND */
    au_rc (*record_no)(void *impl, const char *source, const char *record_id, int64_t *no);
    /* (source, record_id) of a record number; heap strings (au_free); AU_ERR_NOT_FOUND */
    au_rc (*record_ref)(void *impl, int64_t no, char **source, char **record_id);
    /* every live record with its document and assignment, in record-number order */
    au_rc (*resolve_scan)(void *impl, au_resolve_row_cb cb, void *ctx);
    /* assigns record `no` to `profile` (0: removes the assignment) */
    au_rc (*assign_put)(void *impl, int64_t no, int64_t profile);
    /* profile of a live record (0 when unassigned); AU_ERR_NOT_FOUND when no such record */
    au_rc (*profile_of)(void *impl, const char *source, const char *record_id, int64_t *profile);
    /* members of a profile in record-number order (doc NULL) */
    au_rc (*profile_members)(void *impl, int64_t profile, au_resolve_row_cb cb, void *ctx);
    /* highest profile number ever used (assignments and redirects), 0 if none */
    au_rc (*profile_max)(void *impl, int64_t *max);
    /* profile `from` vanished into `into` (0: it emptied) */
    au_rc (*redirect_put)(void *impl, int64_t from, int64_t into, int64_t at_ms);
    /* where `from` went; AU_ERR_NOT_FOUND when it never vanished */
    au_rc (*redirect_get)(void *impl, int64_t from, int64_t *into);
    au_rc (*override_put)(void *impl, const au_override_row *o);
    au_rc (*override_list)(void *impl, au_override_cb cb, void *ctx);
    /* queues a pair for review (replacing an earlier weight); weight NAN removes it */
    au_rc (*review_put)(void *impl, const au_review_row *r);
    au_rc (*review_list)(void *impl, long limit, au_review_cb cb, void *ctx);
    /* the trained model (JSON); model_get: AU_ERR_NOT_FOUND when none, heap string (au_free) */
    au_rc (*model_put)(void *impl, const char *json, int64_t at_ms);
    au_rc (*model_get)(void *impl, char **json);
    /* appends to the change feed (c->seq is ignored) */
    au_rc (*change_add)(void *impl, const au_change_row *c);
    /* entries with seq > after, oldest first, at most limit */
    au_rc (*changes_after)(void *impl, int64_t after, long limit, au_change_cb cb, void *ctx);
    /* (end of the resolution slots) */

    /* --- profiles: golden records, identifier lookups, timeline --------------------------- */
    /* Current version of record number `no` (a tombstone has deleted set). */
    au_rc (*record_by_no)(void *impl, int64_t no, au_record_out *out);
    /* Identifier index of records (kind AU_IDENT_*): clear all of a record, add one key. */
    au_rc (*ident_clear)(void *impl, int64_t rec);
    au_rc (*ident_put)(void *impl, int kind, const char *key, int64_t rec);
    /* Records holding `key` (prefix: every key starting with it), at most `limit`. */
    au_rc (*ident_find)(void *impl, int kind, const char *key, int prefix, int limit,
                        au_ident_cb cb, void *ctx);
    /* Indexes stored event (source, event_id) under a customer reference `ref`. */
    au_rc (*event_ref_put)(void *impl, const char *ref, const char *source, const char *event_id);
    /* Events indexed under any of the references (JSON array text), newest first (event time,
     * then arrival), strictly after the event `before_seq` in that order (0: from the newest);
     * type / source filter when not NULL. */
    au_rc (*timeline)(void *impl, const char *refs_json, int64_t before_seq, const char *type,
                      const char *source, int limit, au_event_cb cb, void *ctx);
    /* Profile of record number `rec` (0 when unassigned). */
    au_rc (*record_profile)(void *impl, int64_t rec, int64_t *profile);
    /* Highest change-feed seq (0 when the feed is empty). */
    au_rc (*change_last)(void *impl, int64_t *seq);

    /* (end of the profile slots) */

    /* --- flows: definitions, outbox, runs, dead letters ---------------------------------- */
    au_rc (*flow_put)(void *impl, const char *name, const char *definition, int64_t at_ms);
    au_rc (*flow_delete)(void *impl, const char *name); /* AU_ERR_NOT_FOUND when absent */
    au_rc (*flow_list)(void *impl, au_flow_cb cb, void *ctx);
    /* Adds a delivery; *added is 0 when its idempotency key was already there. */
    au_rc (*outbox_add)(void *impl, const au_outbox_row *row, int *added);
    /* Pending deliveries in id order, at most `limit`, with their run's input. */
    au_rc (*outbox_pending)(void *impl, int limit, au_outbox_cb cb, void *ctx);
    au_rc (*outbox_set)(void *impl, int64_t id, int status, int attempts, int64_t next_ms,
                        const char *last_error);
    au_rc (*run_add)(void *impl, const au_run_row *row, int64_t *id);
    /* Records a step's outcome in the run: steps[step_id] = summary (JSON), pending -= done,
     * attempts += attempts; the run is "failed" once a step failed, "delivered" once none is
     * pending. `error` (when failed) becomes the run's error unless it has one already. */
    au_rc (*run_step)(void *impl, int64_t run_id, const char *step_id, const char *summary,
                      int done, int failed, const char *error, int attempts, int64_t at_ms);
    /* Runs of `flow`, newest first, with id < before (0: from the newest), at most limit;
     * status NULL: all, "dead": runs with a dead letter not replayed, else that run status. */
    au_rc (*run_list)(void *impl, const char *flow, const char *status, int64_t before, int limit,
                      au_run_cb cb, void *ctx);
    /* Runs of `flow` by status and its open dead letters. */
    au_rc (*run_counts)(void *impl, const char *flow, au_run_counts *out);
    au_rc (*dead_add)(void *impl, const au_dead_row *row, int64_t *id);
    /* Dead letters of `flow` (NULL: all), newest first; open_only skips replayed ones. */
    au_rc (*dead_list)(void *impl, const char *flow, int open_only, int limit, au_dead_cb cb,
                       void *ctx);
    /* Marks the dead letter replayed and puts its delivery back in the outbox (attempts 0,
     * due now). AU_ERR_NOT_FOUND when absent, AU_ERR_CONFLICT when already replayed. */
    au_rc (*dead_replay)(void *impl, int64_t id, int64_t at_ms);
    /* The newest change-feed position (0 when the feed is empty). */
    au_rc (*change_max)(void *impl, int64_t *seq);
    /* The newest stored event (by arrival) of `type` and, when not NULL, `source`: a sample for
     * dry runs. AU_ERR_NOT_FOUND when there is none. */
    au_rc (*event_latest)(void *impl, const char *type, const char *source, au_event_out *out);

    /* (end of the flow slots) */

    /* --- events: linkage to customers ----------------------------------------------------- */
    /* Per event source, in name order, the number of stored events that no live record holds
     * the customer reference of (the record it names, or a record indexed under the e-mail /
     * phone it names; an event without a readable reference counts too); sources without any
     * are left out. */
    au_rc (*events_unlinked)(void *impl, au_unlinked_cb cb, void *ctx);

    /* (end of the event slots) */
    /* --- quality: the data-quality ledger ------------------------------------------------ */
    /* Adds row->n to the count of (source, attribute, status, reason) — of row->day when set,
     * else of the current state — creating it at 0 first; on a current row a non-NULL
     * row->examples replaces the stored examples. */
    au_rc (*quality_add)(void *impl, const au_quality_row *row);
    /* The stored examples (JSON array text, au_free) of a current row; NULL when none. */
    au_rc (*quality_examples)(void *impl, const char *source, const char *attribute,
                              const char *reason, char **json);
    /* Current rows (since NULL) or per-day rows with day >= since, of `source` (NULL: all),
     * ordered by source, attribute, status, reason (and day). */
    au_rc (*quality_list)(void *impl, const char *source, const char *since, au_quality_cb cb,
                          void *ctx);
    /* Live records of `source` with a record number > after, in number order, at most limit:
     * cb(ctx, number, record id). Pages through a source without holding a read open. */
    au_rc (*record_ids)(void *impl, const char *source, int64_t after, int limit, au_ident_cb cb,
                        void *ctx);

    /* (end of the quality slots) */
} au_store_ops;

/* Opens a store. `location` is "DIR" (SQLite in DIR/aurum.db, DIR created if missing) or
 * "scheme:rest" naming a registered back-end. Caller frees with au_store_close. */
AU_MUST_USE au_rc au_store_open(const char *location, au_store_mode mode, au_store **out,
                                au_err *err);
void au_store_close(au_store *s);
const char *au_store_backend(const au_store *s);

AU_MUST_USE au_rc au_store_begin(au_store *s);
AU_MUST_USE au_rc au_store_commit(au_store *s);
AU_MUST_USE au_rc au_store_rollback(au_store *s);
AU_MUST_USE au_rc au_store_savepoint(au_store *s);
AU_MUST_USE au_rc au_store_savepoint_release(au_store *s);
AU_MUST_USE au_rc au_store_savepoint_rollback(au_store *s);

AU_MUST_USE au_rc au_store_source_put(au_store *s, const char *name, const char *def_json,
                                      int64_t at_ms);
AU_MUST_USE au_rc au_store_source_get(au_store *s, const char *name, char **def_json);
AU_MUST_USE au_rc au_store_source_list(au_store *s, au_source_cb cb, void *ctx);

AU_MUST_USE au_rc au_store_record_put(au_store *s, const au_record_row *row,
                                      au_put_outcome *outcome, int64_t *version);
AU_MUST_USE au_rc au_store_record_delete(au_store *s, const char *source, const char *record_id,
                                         const char *origin, int64_t at_ms);
AU_MUST_USE au_rc au_store_record_get(au_store *s, const char *source, const char *record_id,
                                      int64_t version, au_record_out *out);
AU_MUST_USE au_rc au_store_record_history(au_store *s, const char *source, const char *record_id,
                                          au_record_cb cb, void *ctx);
AU_MUST_USE au_rc au_store_record_scan(au_store *s, au_record_cb cb, void *ctx);
AU_MUST_USE au_rc au_store_record_count(au_store *s, const char *source, int64_t *count);

AU_MUST_USE au_rc au_store_event_put(au_store *s, const au_event_row *ev, au_put_outcome *outcome);
AU_MUST_USE au_rc au_store_event_get(au_store *s, const char *source, const char *event_id,
                                     au_event_out *out);

AU_MUST_USE au_rc au_store_key_put(au_store *s, const au_key_row *key);
AU_MUST_USE au_rc au_store_key_find(au_store *s, const uint8_t hash[32], au_key_out *out);
AU_MUST_USE au_rc au_store_key_list(au_store *s, au_key_cb cb, void *ctx);
AU_MUST_USE au_rc au_store_key_revoke(au_store *s, const char *id, int64_t at_ms);

/* --- resolution ------------------------------------------------------------------------- */
/* Forwarders of the resolution slots of au_store_ops (see there). */
int64_t au_store_record_last_no(au_store *s);
AU_MUST_USE au_rc au_store_record_no(au_store *s, const char *source, const char *record_id,
                                     int64_t *no);
AU_MUST_USE au_rc au_store_record_ref(au_store *s, int64_t no, char **source, char **record_id);
AU_MUST_USE au_rc au_store_resolve_scan(au_store *s, au_resolve_row_cb cb, void *ctx);
AU_MUST_USE au_rc au_store_assign_put(au_store *s, int64_t no, int64_t profile);
AU_MUST_USE au_rc au_store_profile_of(au_store *s, const char *source, const char *record_id,
                                      int64_t *profile);
AU_MUST_USE au_rc au_store_profile_members(au_store *s, int64_t profile, au_resolve_row_cb cb,
                                           void *ctx);
AU_MUST_USE au_rc au_store_profile_max(au_store *s, int64_t *max);
AU_MUST_USE au_rc au_store_redirect_put(au_store *s, int64_t from, int64_t into, int64_t at_ms);
AU_MUST_USE au_rc au_store_redirect_get(au_store *s, int64_t from, int64_t *into);
AU_MUST_USE au_rc au_store_override_put(au_store *s, const au_override_row *o);
AU_MUST_USE au_rc au_store_override_list(au_store *s, au_override_cb cb, void *ctx);
AU_MUST_USE au_rc au_store_review_put(au_store *s, const au_review_row *r);
AU_MUST_USE au_rc au_store_review_list(au_store *s, long limit, au_review_cb cb, void *ctx);
AU_MUST_USE au_rc au_store_model_put(au_store *s, const char *json, int64_t at_ms);
AU_MUST_USE au_rc au_store_model_get(au_store *s, char **json);
AU_MUST_USE au_rc au_store_change_add(au_store *s, const au_change_row *c);
AU_MUST_USE au_rc au_store_changes_after(au_store *s, int64_t after, long limit, au_change_cb cb,
                                         void *ctx);
/* (end of the resolution functions) */

/* --- profiles --------------------------------------------------------------------------- */
AU_MUST_USE au_rc au_store_record_by_no(au_store *s, int64_t no, au_record_out *out);
AU_MUST_USE au_rc au_store_ident_clear(au_store *s, int64_t rec);
AU_MUST_USE au_rc au_store_ident_put(au_store *s, int kind, const char *key, int64_t rec);
AU_MUST_USE au_rc au_store_ident_find(au_store *s, int kind, const char *key, int prefix, int limit,
                                      au_ident_cb cb, void *ctx);
AU_MUST_USE au_rc au_store_event_ref_put(au_store *s, const char *ref, const char *source,
                                         const char *event_id);
AU_MUST_USE au_rc au_store_timeline(au_store *s, const char *refs_json, int64_t before_seq,
                                    const char *type, const char *source, int limit, au_event_cb cb,
                                    void *ctx);
AU_MUST_USE au_rc au_store_record_profile(au_store *s, int64_t rec, int64_t *profile);
AU_MUST_USE au_rc au_store_change_last(au_store *s, int64_t *seq);

/* (end of the profile functions) */

/* --- flows ------------------------------------------------------------------------------ */
AU_MUST_USE au_rc au_store_flow_put(au_store *s, const char *name, const char *definition,
                                    int64_t at_ms);
AU_MUST_USE au_rc au_store_flow_delete(au_store *s, const char *name);
AU_MUST_USE au_rc au_store_flow_list(au_store *s, au_flow_cb cb, void *ctx);
AU_MUST_USE au_rc au_store_outbox_add(au_store *s, const au_outbox_row *row, int *added);
AU_MUST_USE au_rc au_store_outbox_pending(au_store *s, int limit, au_outbox_cb cb, void *ctx);
AU_MUST_USE au_rc au_store_outbox_set(au_store *s, int64_t id, int status, int attempts,
                                      int64_t next_ms, const char *last_error);
AU_MUST_USE au_rc au_store_run_add(au_store *s, const au_run_row *row, int64_t *id);
AU_MUST_USE au_rc au_store_run_step(au_store *s, int64_t run_id, const char *step_id,
                                    const char *summary, int done, int failed, const char *error,
                                    int attempts, int64_t at_ms);
AU_MUST_USE au_rc au_store_run_list(au_store *s, const char *flow, const char *status,
                                    int64_t before, int limit, au_run_cb cb, void *ctx);
AU_MUST_USE au_rc au_store_run_counts(au_store *s, const char *flow, au_run_counts *out);
AU_MUST_USE au_rc au_store_dead_add(au_store *s, const au_dead_row *row, int64_t *id);
AU_MUST_USE au_rc au_store_dead_list(au_store *s, const char *flow, int open_only, int limit,
                                     au_dead_cb cb, void *ctx);
AU_MUST_USE au_rc au_store_dead_replay(au_store *s, int64_t id, int64_t at_ms);
AU_MUST_USE au_rc au_store_change_max(au_store *s, int64_t *seq);
AU_MUST_USE au_rc au_store_event_latest(au_store *s, const char *type, const char *source,
                                        au_event_out *out);

/* (end of the flow functions) */

/* --- events: linkage to customers -------------------------------------------------------- */
/* The number of events linked to no customer, per event source (the data-quality ledger). */
AU_MUST_USE au_rc au_store_events_unlinked(au_store *s, au_unlinked_cb cb, void *ctx);

/* (end of the event functions) */
/* --- quality ---------------------------------------------------------------------------- */
au_rc au_store_quality_add(au_store *s, const au_quality_row *row);
au_rc au_store_quality_examples(au_store *s, const char *source, const char *attribute,
                                const char *reason, char **json);
au_rc au_store_quality_list(au_store *s, const char *source, const char *since, au_quality_cb cb,
                            void *ctx);
au_rc au_store_record_ids(au_store *s, const char *source, int64_t after, int limit, au_ident_cb cb,
                          void *ctx);

/* (end of the quality functions) */

#endif
