/*
 * Internals shared by the daemon-side flow files: registry.c (definitions, reload, API reads),
 * hook.c (the engine hook), run.c (starting a run, the flows' clock), webhook.c and
 * schedule.c (the triggers outside the write path), history.c (run history), dryrun.c (dry
 * runs and their samples), deliver.c (outbox workers, retries, dead letters). One au_flows per
 * engine.
 */
#ifndef AU_FLOWS_INT_H
#define AU_FLOWS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "flows/flowdef.h"
#include "core/node.h"
#include "flows/flows.h"
#include "lib/clock.h"

/* Delivery latency histogram bounds (ms); one more bucket counts the rest. */
#define AU_FLOWS_NBUCKETS 13

/* Counters of one flow name; kept for the life of the engine (a redefinition keeps counting). */
typedef struct flow_stats {
    struct flow_stats *next;
    char *name;
    atomic_ulong runs, skipped, errors, deliveries, failures, retries, dead;
    atomic_ulong lat_bucket[AU_FLOWS_NBUCKETS + 1];
    atomic_ulong lat_sum_ms;
} flow_stats;

/* One installed definition. Reference-counted: a worker holds it while sending, a replacement
 * takes over at once and the old one goes with its last reference. */
typedef struct flow_entry {
    au_flowdef *def;         /* compiled definition, owned */
    char *text;              /* the definition as saved (YAML/JSON), owned */
    int from_store;          /* saved over the API (else: configuration) */
    int refs;                /* under au_flows.mu */
    int inflight;            /* deliveries being sent, under the delivery mutex */
    pthread_mutex_t prep_mu; /* guards states */
    void **states;           /* per step: connector state, prepared on first send */
    int *prepared;           /* per step: 1 once prepare ran (state may be NULL) */
    flow_stats *stats;       /* borrowed from au_flows.stats */
} flow_entry;

typedef struct deliver deliver; /* deliver.c */

struct au_flows {
    au_engine *engine;     /* borrowed */
    pthread_mutex_t mu;    /* guards entries, refs, inflight, stats list */
    flow_entry **entries;  /* installed flows, sorted by nothing */
    size_t n, cap;         /* entries used / allocated */
    flow_stats *stats;     /* every name seen, owned */
    int record_flows;      /* 1 when some flow has a profile trigger (reads record origins) */
    int64_t change_seq;    /* newest change-feed row already turned into runs (writer) */
    int64_t change_commit; /* change_seq as of the last commit (restored on rollback) */
    atomic_int kicked;     /* the writer added outbox rows in the current group */
    deliver *dl;           /* delivery workers, NULL until au_flows_start; under dl_mu */
    pthread_mutex_t dl_mu; /* guards dl: the writer kicks (on_committed) while delivery stops */
    char node[AU_NODE_NAME_MAX + 1]; /* this node's name: its outbox leases, its schedule fires */
    pthread_t sched;                 /* schedule thread */
    int sched_running;               /* started */
    pthread_cond_t sched_cv;         /* wakes the schedule thread (stop, reload) */
    unsigned long sched_wanted;      /* under mu: pass again at once until this many ran */
    unsigned long sched_passes;      /* under mu: schedule passes completed */
    int64_t sched_next;              /* under mu: the last pass's earliest next firing (Unix s) */
    pthread_cond_t passed_cv;        /* a schedule pass completed */
    int stopping;                    /* under mu */
    const au_clock *clock;        /* times runs, retries and schedules: the real clock, or test */
    au_offset_clock *offset;      /* `clock: {offset_file}` of the configuration, owned, or NULL */
    struct au_secrets *secrets;   /* the secrets store (security.c), owned */
    struct au_replay *replay;     /* webhook signatures seen in the window (security.c) */
    long webhook_window_s;        /* accepted age of X-Aurum-Timestamp, either way */
    unsigned char hook_dummy[32]; /* key for unknown flows, so they answer as known ones */
};

/* --- registry.c ----------------------------------------------------------------------------- */
/* The entry called name with a new reference, or NULL. */
flow_entry *au_flows_acquire(au_flows *f, const char *name);
void au_flows_release(au_flows *f, flow_entry *e);
/* New references to every enabled entry (caller releases each and frees the array). */
flow_entry **au_flows_snapshot(au_flows *f, size_t *n);
/* Installs a compiled flow (taking def and text); replaces one of the same name. */
au_rc au_flows_install(au_flows *f, au_flowdef *def, const char *text, int from_store);
/* Loads the configuration's and the store's flows (at open). */
au_rc au_flows_load(au_flows *f, const au_config *cfg, au_store *st, au_err *err);
void au_flows_free_entries(au_flows *f);
/* Counters of `name` (created on first use; never NULL unless out of memory). */
flow_stats *au_flows_stats(au_flows *f, const char *name);

/* --- deliver.c ------------------------------------------------------------------------------ */
/* The recorder's decision after one delivery attempt, taken at now_ms of the caller's clock. */
typedef struct au_retry_plan {
    int verdict;     /* 0 delivered, 1 retry at next_ms, 2 dead letter */
    int64_t next_ms; /* due time of the next attempt when verdict == 1, else 0 */
} au_retry_plan;

/* attempts: those made before this one; status: an au_deliver_status; retry_after_ms: what the
 * target asked for (-1 none). Delay: backoff_ms doubled per attempt, capped at max_backoff_ms,
 * jittered over its upper half by uniform(upper) in [0, upper) (NULL: libsodium's); a
 * Retry-After replaces it. def NULL (flow removed) means a single attempt. */
au_retry_plan au_flows_retry_plan(const au_flowdef *def, int status, int attempts,
                                  long retry_after_ms, int64_t now_ms,
                                  uint32_t (*uniform)(uint32_t upper));

/* --- run.c ---------------------------------------------------------------------------------- */
/* Starts a run of entry for ctx inside the caller's transaction: evaluates the condition and
 * the per-step conditions, writes the run and one outbox row per step. trigger_id makes the
 * idempotency keys (flow/trigger/step); a repeated trigger adds nothing. *run_id may be NULL. */
au_rc au_flows_fire(au_flows *f, au_store *st, flow_entry *e, const char *trigger_id, json_t *ctx,
                    const char *partition, int64_t now_ms, int64_t *run_id);
/* The same as a writer job of its own (webhook and schedule triggers): the run is committed
 * when this returns AU_OK; *run_id may be NULL. */
au_rc au_flows_fire_call(au_flows *f, flow_entry *e, const char *trigger_id, json_t *ctx,
                         int64_t *run_id, au_err *err);
/* A schedule's firing at at_s (Unix seconds): claimed in the store first (schedule_claim), so
 * that of several nodes sharing the store only the first to claim it starts the run; *fired
 * is 0 when another node had it. */
au_rc au_flows_fire_scheduled(au_flows *f, flow_entry *e, const char *trigger_id, json_t *ctx,
                              int64_t at_s, int *fired, au_err *err);
/* Milliseconds since the epoch by the flows' clock (f->clock). */
int64_t au_flows_now_ms(const au_flows *f);
/* ms as an ISO 8601 JSON string. New reference. */
json_t *au_flows_iso_time(int64_t ms);

/* --- schedule.c ----------------------------------------------------------------------------- */
au_rc au_flows_sched_start(au_flows *f, au_err *err);
void au_flows_sched_stop(au_flows *f);
/* Wakes the scheduler and returns once a whole pass has run after the call (the schedules due
 * by the flows' clock as of the call have started their runs, committed), with that pass's
 * earliest next firing in Unix seconds (tests with a manual clock). */
int64_t au_flows_sched_tick(au_flows *f);

/* --- history.c ------------------------------------------------------------------------------ */
/* Adds to o, a flow's listing, how its runs stand: last_run, runs (by status), failures,
 * dead_letters. `st` is a reader handle. */
au_rc au_flows_run_summary(au_flows *f, au_store *st, const char *name, json_t *o);

/* --- hook.c: the engine hook, and the contexts it builds (shared with dry runs) ------------- */
/* The context of a stored event ({"event": ..., "profile": ...}). New reference. */
json_t *au_flows_event_ctx(au_flows *f, au_store *st, const au_event_row *ev);
/* A stored record document as a flat object (attribute: value). New reference. */
json_t *au_flows_flat_record(const char *source, const char *record_id, const char *doc);
/* Names of the attributes whose value differs between two flat records. New reference. */
json_t *au_flows_changed_attrs(const json_t *now, const json_t *before);
/* The bit of a change kind ("created", "updated", ...) in a trigger's kind mask. */
unsigned au_flows_kind_bit(const char *kind);

/* --- context.c ------------------------------------------------------------------------------ */
/* The golden profile `id` with `records` and `timeline`, or JSON null. New reference. */
json_t *au_flows_profile(au_flows *f, au_store *st, int64_t id);
/* The profile of an event's customer reference ({source, record} | {email} | {phone}), or JSON
 * null when it is not known (yet). New reference. */
json_t *au_flows_customer_profile(au_flows *f, au_store *st, const json_t *customer);

/* --- security.c (secrets store, webhook signatures, outbound policy) -------------------- */
/* Opens the secrets store, the replay cache and the outbound policy of the configuration. */
au_rc au_flows_security_open(au_flows *f, const au_config *cfg, au_err *err);
void au_flows_security_close(au_flows *f);
/* Checks a webhook call: timestamp within the window, signature HMAC-SHA256(secret, "ts.body")
 * (or the plain secret) in constant time, not seen before. e NULL (no such webhook flow) takes
 * the same path with a random key and fails alike. AU_ERR_UNAUTHORIZED otherwise. */
au_rc au_flows_webhook_verify(au_flows *f, const flow_entry *e, const char *ts, const char *secret,
                              const char *signature, const char *body, size_t len, au_err *err);

/* --- deliver.c ------------------------------------------------------------------------------ */
au_rc au_flows_deliver_start(au_flows *f, au_err *err);
void au_flows_deliver_stop(au_flows *f);
/* Wakes the dispatcher: new or re-queued outbox rows. */
void au_flows_deliver_kick(au_flows *f);
/* Wakes the dispatcher and returns once a whole pass has run after the call, so every row due
 * by the flows' clock as of the call has been dispatched (tests with a manual clock). Returns
 * that pass's earliest due time among the rows it held back for time (INT64_MAX: none). */
int64_t au_flows_deliver_pass(au_flows *f);
/* What a step would send for ctx: its evaluated options (secrets redacted). New reference. */
json_t *au_flows_preview(const au_flow_step *s, const json_t *ctx, int64_t now_ms);

#endif
