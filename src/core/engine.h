/*
 * The engine owns the write path. One writer thread applies every mutation (record and event
 * upserts, deletes, source definitions) to the store; callers prepare their work on their own
 * threads (parsing, mapping, normalising) and submit it. The writer folds all jobs waiting in
 * its queue into one transaction (group commit: one fsync for many requests), each job in its
 * own savepoint so a failing job rolls back alone. A job is acknowledged only after COMMIT
 * returned, so an acknowledged write survives kill -9.
 *
 * Readers (API GETs) do not go through the writer: they use au_engine_reader() handles.
 */
#ifndef AU_ENGINE_H
#define AU_ENGINE_H

#include <jansson.h>
#include <stdint.h>

#include "core/config.h"
#include "record/record.h"
#include "core/source.h"
#include "lib/rc.h"
#include "store/store.h"

typedef struct au_engine au_engine;
typedef struct au_engine_hook au_engine_hook; /* defined below */

/* Opens the store in cfg->data_dir (or `data_dir` when not NULL), registers the sources of the
 * config and of the store (the store's later PUTs win over the file), opens `hooks` (a
 * NULL-terminated list, called in that order; NULL for none) and starts the writer. The engine
 * knows no module: its caller, the composition root (src/app/compose.h), chooses the hooks.
 * cfg and hooks are borrowed and must outlive the engine. */
AU_MUST_USE au_rc au_engine_open(const au_config *cfg, const char *data_dir,
                                 const au_engine_hook *const *hooks, au_engine **out, au_err *err);
/* au_engine_open with the store somewhere else than the data directory (a postgres:// URI):
 * the store is opened at `store`, the node's local files live in `data_dir` (NULL: the
 * config's data_dir). */
AU_MUST_USE au_rc au_engine_open_at(const au_config *cfg, const char *store, const char *data_dir,
                                    const au_engine_hook *const *hooks, au_engine **out,
                                    au_err *err);
/* Drains the queue (pending jobs are committed), stops the writer, closes the store. */
void au_engine_close(au_engine *e);

/* --- sources ------------------------------------------------------------------------------ */
/* Validates, persists and activates a source definition (create or replace). */
AU_MUST_USE au_rc au_engine_source_put(au_engine *e, const char *name, const json_t *def,
                                       au_err *err);
/* A reference to the current definition of `name` (NULL if unknown); release it with
 * au_engine_source_release. A later PUT does not invalidate the reference. */
const au_source *au_engine_source_acquire(au_engine *e, const char *name);
void au_engine_source_release(au_engine *e, const au_source *s);

/* --- writes ------------------------------------------------------------------------------- */
/* Counts of what a write did. */
typedef struct au_write_summary {
    long inserted, updated, unchanged, deleted;
} au_write_summary;

/* A batch of records to upsert. The engine takes ownership of recs[] and the records in it. */
typedef struct au_write_job au_write_job;

/* Queues recs[0..n) for upsert with `origin` and returns at once; the job is freed by
 * au_engine_wait. Lets import keep parsing while the writer commits. A bulk job: while more jobs
 * are queued behind it the writer keeps its transaction open for them (up to 64 k records or
 * 2 s), so its wait returns after that larger commit; a savepoint failure that aborts the
 * transaction fails every job in it. */
AU_MUST_USE au_rc au_engine_submit_records(au_engine *e, au_record **recs, size_t n,
                                           const char *origin, au_write_job **job);
/* The pipeline's split of that work (src/ingest/import.c): the pure per-record part of a write,
 * done on any thread, then the records handed to the writer. au_engine_prepare_records sets each
 * record's content hash and serialises it to docs[i] (compact JSON, owned by the caller until
 * queued); it touches nothing but recs[0..n) and docs[0..n), takes no lock and needs no engine
 * or store, so several threads may prepare disjoint records at once. On error (a record without
 * source or id, AU_ERR_INVALID; AU_ERR_NOMEM) no document is left allocated and docs[] is all
 * NULL. */
AU_MUST_USE au_rc au_engine_prepare_records(au_record *const *recs, size_t n, char **docs,
                                            au_err *err);
/* Queues prepared records (docs[i] from au_engine_prepare_records for recs[i]) as a bulk job,
 * like au_engine_submit_records. Takes ownership of both arrays and what they hold, also on
 * error (AU_ERR_NOMEM, AU_ERR_UNAVAILABLE when the engine is closing; *job stays NULL then). */
AU_MUST_USE au_rc au_engine_queue(au_engine *e, au_record **recs, char **docs, size_t n,
                                  const char *origin, au_write_job **job);
/* Waits until the job is committed (or failed); fills sum; frees the job. */
AU_MUST_USE au_rc au_engine_wait(au_engine *e, au_write_job *job, au_write_summary *sum,
                                 au_err *err);
/* submit + wait. */
AU_MUST_USE au_rc au_engine_write_records(au_engine *e, au_record **recs, size_t n,
                                          const char *origin, au_write_summary *sum, au_err *err);
/* Deletes a record (tombstone version). AU_ERR_NOT_FOUND if it does not exist. */
AU_MUST_USE au_rc au_engine_delete_record(au_engine *e, const char *source, const char *record_id,
                                          const char *origin, au_err *err);

/* A business event ready to store; strings owned by the caller. */
typedef struct au_event {
    char *source, *event_id, *type;
    int64_t at_ms;
    json_t *customer;   /* reference to the customer: {"source","record"} or {"email"}... */
    json_t *properties; /* object */
    /* Set by au_engine_write_events when it returns AU_OK (inputs are ignored): */
    int inserted; /* 1: stored now; 0: a repeat of a stored event (same source and id) */
    int unlinked; /* inserted ones: 1 when no live record holds its customer reference (yet) */
} au_event;
/* Stores events (idempotent on (source, event_id)); all or nothing. On success sets each
 * event's `inserted` and `unlinked` (as the hook that indexes events by customer saw it inside
 * the write's transaction; see au_engine_event_linked). An unlinked event is kept: it joins the
 * customer's timeline when a record holding its reference is written. */
AU_MUST_USE au_rc au_engine_write_events(au_engine *e, au_event *evs, size_t n, const char *origin,
                                         au_write_summary *sum, au_err *err);

/* What a renormalisation did (au_engine_remap_records adds to it). */
typedef struct au_remap_summary {
    long records;     /* live records re-mapped */
    long changed;     /* their content changed: written as an update */
    long unchanged;   /* mapped to the same content: nothing written */
    long quarantined; /* re-mapped records still holding a quarantined value */
    long failed;      /* refused by the current definition (or re-identified): kept as is */
} au_remap_summary;
/* Maps the stored input of the current records ids[0..n) of `source` through the source's
 * current definition again and writes those whose content changed as updates, through the
 * normal write path (resolution, profiles, flows and the quality ledger follow), in one job.
 * Absent or deleted ids are skipped. Takes ownership of ids and its strings; adds to *sum on
 * success. */
AU_MUST_USE au_rc au_engine_remap_records(au_engine *e, const char *source, char **ids, size_t n,
                                          const char *origin, au_remap_summary *sum, au_err *err);

/* --- keys (through the writer so they share its durability) ------------------------------ */
AU_MUST_USE au_rc au_engine_key_put(au_engine *e, const au_key_row *key, au_err *err);
AU_MUST_USE au_rc au_engine_key_revoke(au_engine *e, const char *id, au_err *err);

/* --- other writes in the transaction (manual resolution decisions, ...) ------------------- */
/* Runs on the writer thread inside a job's savepoint; an error (set in err, returned) rolls the
 * savepoint back and is reported to the caller of au_engine_call. */
typedef au_rc (*au_engine_call_fn)(void *ctx, au_store *st, int64_t at_ms, au_err *err);
/* Runs fn(ctx, ...) on the writer and waits until it committed or failed. ctx is borrowed for
 * the duration of the call. */
AU_MUST_USE au_rc au_engine_call(au_engine *e, au_engine_call_fn fn, void *ctx, const char *origin,
                                 au_err *err);

/* --- who writes: the audit log's view of a job (src/audit, docs/SECURITY.md) ------------- */
/* The identity a write is made for: an API request's key, client address and route, and the
 * profile or record its path names. While a thread has one set, every job it submits carries a
 * copy, so the audit hook can log the change inside the job's transaction without every write
 * function taking another parameter. Strings are truncated to their arrays. */
typedef struct au_actor {
    char key_id[24];  /* the API key's public id */
    char client[48];  /* client address, numeric */
    char route[96];   /* "POST /v1/sources/{source}/records" */
    int64_t profile;  /* the profile id of the path, 0 when none */
    char source[72];  /* the source of a record named by the path, "" when none */
    char record[260]; /* that record's id */
} au_actor;
/* Sets (a copied into thread-local storage) or, with NULL, clears the calling thread's actor.
 * The API sets it around a request's handler. */
void au_engine_actor_set(const au_actor *a);
/* Inside a hook slot, on the writer: the actor of the job being applied (NULL for writes that
 * no request made: imports, flow deliveries, the CLI) and its origin. */
const au_actor *au_engine_job_actor(au_engine *e);
const char *au_engine_job_origin(au_engine *e);

/* --- reads -------------------------------------------------------------------------------- */
/* A read-only store handle for the calling thread's exclusive use, from a pool; give it back
 * with au_engine_reader_release. NULL when none can be opened. */
au_store *au_engine_reader(au_engine *e);
void au_engine_reader_release(au_engine *e, au_store *s);

/* --- hooks: modules that act inside the write transaction -------------------------------- */
/* Identity resolution, golden records, the change feed and flow triggers must write in the same
 * transaction as the data that caused them (a change and its outbox entry commit together or not
 * at all). Each such module defines a const au_engine_hook in <module>/hook.c; the caller of
 * au_engine_open passes the list (src/app/compose.c). The writer calls the hooks in list order,
 * on the writer thread, inside the job's savepoint; an error from a hook fails the job and its
 * savepoint is rolled back. In-memory state a hook changes must be undone on `rolled_back` (e.g. by
 * reloading from the store), and only be made visible to readers on `committed`. Every slot may be
 * NULL. */
struct au_engine_hook {
    const char *name; /* "resolve", "profiles", "flows" */
    /* At open, after sources are loaded, with the read-write store: build in-memory state.
     * *state is owned by the hook and freed by close. */
    au_rc (*open)(au_engine *e, au_store *st, void **state, au_err *err);
    void (*close)(void *state);
    /* A record version was written (inserted or updated; unchanged records are skipped). */
    au_rc (*record_written)(void *state, au_store *st, const au_record *r, au_put_outcome outcome,
                            int64_t version, int64_t at_ms);
    /* A record was deleted (a tombstone version written). */
    au_rc (*record_deleted)(void *state, au_store *st, const char *source, const char *record_id,
                            int64_t at_ms);
    /* An event was stored for the first time (repeats are skipped). */
    au_rc (*event_written)(void *state, au_store *st, const au_event_row *ev);
    /* A job's savepoint or the whole group was rolled back: discard staged in-memory changes. */
    void (*rolled_back)(void *state, au_store *st);
    /* The group committed (writer thread, outside the transaction): publish staged changes,
     * wake long-polling readers. */
    void (*committed)(void *state);
    /* The job's savepoint was released: what the hook staged for it now belongs to the group
     * (a later rolled_back no longer undoes it). For hooks that aggregate over a group. */
    void (*job_kept)(void *state);
    /* Inside the job's savepoint, after every item of the job was applied without error: write
     * what the hook deferred to the end of the job (sorted index rows). An error fails the job
     * alone, like an error of record_written. */
    au_rc (*job_applied)(void *state, au_store *st);
    /* Inside the transaction, after the last job, just before COMMIT: write what was
     * aggregated over the group (one row per touched key instead of one per record). An error
     * rolls the whole group back. */
    au_rc (*before_commit)(void *state, au_store *st);
    /* The whole group was rolled back (after rolled_back): discard what job_kept kept. */
    void (*group_rolled_back)(void *state);
    /* Once per transaction, before the first job that may make resolution decisions (records,
     * deletes, calls, remaps), outside every savepoint: for the hook whose decisions must be
     * serialised with other nodes sharing the store (take the store's decision lock, catch up
     * with what they committed). An error rolls the whole group back. */
    au_rc (*deciding)(void *state, au_store *st);
};

/* For the hook that indexes events under their customer reference: tells the writer, from
 * inside event_written, whether a live record holds that reference (writer thread only). An
 * event no hook reports on counts as linked. */
void au_engine_event_linked(au_engine *e, int linked);

/* The state the hook called `name` created at open (NULL if none), for readers such as API
 * handlers; the hook documents which of its functions are safe to call from other threads. */
void *au_engine_hook_state(au_engine *e, const char *name);
/* The configuration the engine was opened with (never NULL after open). */
const au_config *au_engine_config(au_engine *e);
/* The store's location: the data directory for SQLite, a postgres:// URI (borrowed). */
const char *au_engine_location(au_engine *e);
/* The data directory of the node's local files (secrets key, clock offset): the store's
 * location unless au_engine_open_at was given another (borrowed). */
const char *au_engine_data_dir(au_engine *e);

/* Counters for /metrics. */
typedef struct au_engine_stats {
    uint64_t commits;     /* transactions committed by the writer */
    uint64_t jobs;        /* jobs applied */
    uint64_t queue_depth; /* jobs waiting now */
    int stopping;         /* 1 once au_engine_close has begun (no new jobs are taken) */
} au_engine_stats;
void au_engine_stats_get(au_engine *e, au_engine_stats *st);

#endif
