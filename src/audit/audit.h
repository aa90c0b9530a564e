/*
 * The audit log: who read or changed personal data, append-only and hash-chained so that an
 * edited, removed or reordered entry is detected (docs/SECURITY.md). Each entry names a key, a
 * client address, a route, the profiles and record numbers touched and a time, never a value:
 * erasure leaves the log intact and the log leaks nothing a masked key may not see.
 *
 * - Changes are logged by the audit engine hook (hook.c) inside the writer's transaction of the
 *   change itself: a job submitted by a thread with an actor (au_engine_actor_set: the API sets
 *   it around each handler) becomes one entry, as does any other job that wrote records.
 * - Reads are queued by the request thread (au_audit_note_read, no commit of their own) and
 *   appended by the writer with the next group it commits; a background thread forces a group
 *   at least once a second while reads wait, and au_audit_stop appends the rest before the
 *   engine closes.
 * - The chain: hash(n) = BLAKE2b-256(hash(n-1) || the canonical encoding of entry n, id
 *   included); ids are consecutive. A retention sweep removes a prefix of the chain and keeps
 *   the hash of the newest removed entry as the anchor the rest verifies from.
 * - Retention (`retention:` in the configuration) also removes old flow run history.
 */
#ifndef AU_AUDIT_H
#define AU_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "audit/mask.h"
#include "core/config.h"
#include "core/engine.h"
#include "lib/rc.h"
#include "store/store.h"

/* The engine hook (registered in src/app/compose.c, last). */
extern const au_engine_hook au_audit_hook;

/* --- reads -------------------------------------------------------------------------------- */
/* A read to log. Borrowed for the call. */
typedef struct au_audit_read {
    const au_actor *who;     /* key, client, route (and the path's profile or record) */
    const int64_t *profiles; /* further profile ids the answer held */
    size_t nprofiles;
    const char *const *sources; /* records the answer held, by (source, record id) */
    const char *const *records;
    size_t nrecords;
} au_audit_read;
/* Queues a read entry; the writer appends it with its next group (within about a second).
 * Blocks while AU_AUDIT_QUEUE_MAX entries wait. AU_ERR_NOMEM when it cannot be queued (the
 * caller then refuses the answer: a read that cannot be logged is not served). */
AU_MUST_USE au_rc au_audit_note_read(au_engine *e, const au_audit_read *r);

/* Starts the thread that flushes queued reads and runs the retention sweep every interval
 * (serve); au_audit_stop appends what is queued and stops it. Call stop before au_engine_close. */
AU_MUST_USE au_rc au_audit_start(au_engine *e, au_err *err);
void au_audit_stop(au_engine *e);

/* The masking policy of read:masked keys (`masking:` of the configuration, read at open);
 * NULL when the engine runs without the audit hook. */
const au_mask_policy *au_audit_mask_policy(au_engine *e);

/* --- retention ---------------------------------------------------------------------------- */
/* `retention:` of the configuration; 0 keeps forever. */
typedef struct au_retention {
    int64_t runs_ms;     /* flow runs (with their outbox rows and dead letters) older than this */
    int64_t audit_ms;    /* audit entries older than this */
    int64_t interval_ms; /* how often the daemon sweeps */
} au_retention;
/* Reads the section (defaults: runs 30d, audit 365d, interval 1h); errors name the key. */
AU_MUST_USE au_rc au_retention_parse(const au_config *cfg, au_retention *out, au_err *err);
/* What a sweep removed. */
typedef struct au_sweep_counts {
    int64_t runs, audit;
} au_sweep_counts;
/* Runs the sweep through the writer as of now_ms (one transaction). */
AU_MUST_USE au_rc au_audit_sweep(au_engine *e, const au_retention *r, int64_t now_ms,
                                 au_sweep_counts *n, au_err *err);

/* --- the chain ---------------------------------------------------------------------------- */
/* hash = BLAKE2b-256(prev || encoding of r's content and id). */
void au_audit_hash(const uint8_t prev[AU_AUDIT_HASH_LEN], const au_audit_row *r,
                   uint8_t out[AU_AUDIT_HASH_LEN]);
/* What verification found. */
typedef struct au_audit_verdict {
    int64_t entries;                 /* entries checked */
    int64_t broken;                  /* id of the first broken link, 0 when intact */
    char reason[200];                /* why it is broken */
    uint8_t head[AU_AUDIT_HASH_LEN]; /* hash of the newest entry (or the anchor) */
    int64_t anchor;                  /* id of the anchor the walk started from */
} au_audit_verdict;
/* Walks the whole chain from the anchor. AU_OK with v->broken 0 when intact. */
AU_MUST_USE au_rc au_audit_verify(au_store *st, au_audit_verdict *v);

/* --- listing (GET /v1/audit) -------------------------------------------------------------- */
/* Entries matching f (and, when `record` is not NULL, touching that record: "SOURCE:ID" or its
 * number; AU_ERR_INVALID when malformed, an empty list when no such record exists), newest
 * first, as a JSON array (new reference in *out); *next the id to pass as f->before for the
 * next page, 0 when this was the last. */
AU_MUST_USE au_rc au_audit_list(au_store *st, au_audit_filter *f, const char *record, json_t **out,
                                int64_t *next);

#endif
