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
    /* Records an outcome and drops the row's lease (a retry may go to any node). */ \
    X(au_rc, outbox_set, (AU_STORE_SELF, int64_t id, int status, int attempts, int64_t next_ms, const char *last_error), \
      (AU_STORE_IMPL, id, status, attempts, next_ms, last_error)) \
    /* Several nodes on one store (docs/POSTGRES.md): leases to `node` until lease_until the \
     * rows of ids[0..n) still pending and not leased by another node at now_ms (a lease that \
     * ran out is taken over); cb gets each id won, a row another node is claiming at the same \
     * moment is skipped, not waited for. A one-node back-end (SQLite) grants every id. */ \
    X(au_rc, outbox_claim, (AU_STORE_SELF, const char *node, const int64_t *ids, int n, int64_t now_ms, int64_t lease_until, au_claim_cb cb, void *ctx), \
      (AU_STORE_IMPL, node, ids, n, now_ms, lease_until, cb, ctx)) \
    /* Extends every lease `node` holds to lease_until (its deliveries are alive). */ \
    X(au_rc, outbox_renew, (AU_STORE_SELF, const char *node, int64_t lease_until), \
      (AU_STORE_IMPL, node, lease_until)) \
    /* Drops every lease `node` holds (a node starting again: nothing of its is in flight); \
     * *released (may be NULL) counts them. */ \
    X(au_rc, outbox_release, (AU_STORE_SELF, const char *node, int64_t *released), \
      (AU_STORE_IMPL, node, released)) \
    /* Claims the firing of schedule `name` (a flow's or a connector's) at at_s (Unix seconds): \
     * *won is 1 for the first node to ask, 0 for every later one. Inside the caller's \
     * transaction, so the claim commits with what the firing writes. A one-node back-end \
     * grants it always. */ \
    X(au_rc, schedule_claim, (AU_STORE_SELF, const char *name, int64_t at_s, const char *node, int64_t now_ms, int *won), \
      (AU_STORE_IMPL, name, at_s, node, now_ms, won)) \
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
