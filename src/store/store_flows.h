/*
 * The store contract, domain flows: flow definitions, the outbox, runs and dead letters (the flows
 * hook and delivery). One X-macro list, AU_STORE_FLOWS, is the single source of this domain: it
 * declares the au_store_flows_ops slots a back-end implements (first argument: its handle), the
 * au_store_* forwarders callers use (first argument: the au_store), their definitions in store.c
 * and the reference in docs/STORE.md (scripts/store-doc.sh). Include store/store.h, not this file.
 */
#ifndef AU_STORE_FLOWS_H
#define AU_STORE_FLOWS_H

#include "store/store.h"

/* clang-format off */
#define AU_STORE_FLOWS(X) \
    X(au_rc, flow_put, (AU_STORE_SELF, const char *name, const char *definition, int64_t at_ms), \
      (AU_STORE_IMPL, name, definition, at_ms)) \
    /* AU_ERR_NOT_FOUND when absent */ \
    X(au_rc, flow_delete, (AU_STORE_SELF, const char *name), \
      (AU_STORE_IMPL, name)) \
    X(au_rc, flow_list, (AU_STORE_SELF, au_flow_cb cb, void *ctx), \
      (AU_STORE_IMPL, cb, ctx)) \
    /* Adds a delivery; *added is 0 when its idempotency key was already there. */ \
    X(au_rc, outbox_add, (AU_STORE_SELF, const au_outbox_row *row, int *added), \
      (AU_STORE_IMPL, row, added)) \
    /* Pending deliveries in id order, at most `limit`, with their run's input. */ \
    X(au_rc, outbox_pending, (AU_STORE_SELF, int limit, au_outbox_cb cb, void *ctx), \
      (AU_STORE_IMPL, limit, cb, ctx)) \
    X(au_rc, outbox_set, (AU_STORE_SELF, int64_t id, int status, int attempts, int64_t next_ms, const char *last_error), \
      (AU_STORE_IMPL, id, status, attempts, next_ms, last_error)) \
    X(au_rc, run_add, (AU_STORE_SELF, const au_run_row *row, int64_t *id), \
      (AU_STORE_IMPL, row, id)) \
    /* Records a step's outcome in the run: steps[step_id] = summary (JSON), pending -= done, \
     * attempts += attempts; the run is "failed" once a step failed, "delivered" once none is \
     * pending. `error` (when failed) becomes the run's error unless it has one already. */ \
    X(au_rc, run_step, (AU_STORE_SELF, int64_t run_id, const char *step_id, const char *summary, int done, int failed, const char *error, int attempts, int64_t at_ms), \
      (AU_STORE_IMPL, run_id, step_id, summary, done, failed, error, attempts, at_ms)) \
    /* Runs of `flow`, newest first, with id < before (0: from the newest), at most limit; \
     * status NULL: all, "dead": runs with a dead letter not replayed, else that run status. */ \
    X(au_rc, run_list, (AU_STORE_SELF, const char *flow, const char *status, int64_t before, int limit, au_run_cb cb, void *ctx), \
      (AU_STORE_IMPL, flow, status, before, limit, cb, ctx)) \
    /* Runs of `flow` by status and its open dead letters. */ \
    X(au_rc, run_counts, (AU_STORE_SELF, const char *flow, au_run_counts *out), \
      (AU_STORE_IMPL, flow, out)) \
    X(au_rc, dead_add, (AU_STORE_SELF, const au_dead_row *row, int64_t *id), \
      (AU_STORE_IMPL, row, id)) \
    /* Dead letters of `flow` (NULL: all), newest first; open_only skips replayed ones. */ \
    X(au_rc, dead_list, (AU_STORE_SELF, const char *flow, int open_only, int limit, au_dead_cb cb, void *ctx), \
      (AU_STORE_IMPL, flow, open_only, limit, cb, ctx)) \
    /* Marks the dead letter replayed and puts its delivery back in the outbox (attempts 0, \
     * due now). AU_ERR_NOT_FOUND when absent, AU_ERR_CONFLICT when already replayed. */ \
    X(au_rc, dead_replay, (AU_STORE_SELF, int64_t id, int64_t at_ms), \
      (AU_STORE_IMPL, id, at_ms)) \
    /* The newest change-feed position (0 when the feed is empty). */ \
    X(au_rc, change_max, (AU_STORE_SELF, int64_t *seq), \
      (AU_STORE_IMPL, seq)) \
    /* The newest stored event (by arrival) of `type` and, when not NULL, `source`: a sample for \
     * dry runs. AU_ERR_NOT_FOUND when there is none. */ \
    X(au_rc, event_latest, (AU_STORE_SELF, const char *type, const char *source, au_event_out *out), \
      (AU_STORE_IMPL, type, source, out))
/* clang-format on */

/* The slots of the domain, implemented by a back-end (store_sqlite_flows.c for SQLite). */
struct au_store_flows_ops {
#define AU_STORE_SELF void *impl
    AU_STORE_FLOWS(AU_STORE_SLOT)
#undef AU_STORE_SELF
};

/* The forwarders (store.c): au_store_<slot>(s, ...) calls the slot with s's handle. */
#define AU_STORE_SELF au_store *s
AU_STORE_FLOWS(AU_STORE_DECL)
#undef AU_STORE_SELF

#endif
