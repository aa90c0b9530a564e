/*
 * Flows in the daemon: the registry of flow definitions (from the configuration's `flows:`
 * section and from PUT /v1/flows/{name}), the engine hook that turns events and record changes
 * into runs and outbox rows inside the write transaction (transactional outbox), the delivery
 * workers (retries with backoff and jitter, per-flow concurrency, per-partition ordering, dead
 * letters, replay), webhook and schedule triggers, run history, dry runs and metrics.
 * Design and reference: docs/FLOWS.md ("Running flows").
 *
 * The hook state (au_engine_hook_state(e, "flows")) is an au_flows; every function below is
 * safe to call from any thread once the engine is open.
 */
#ifndef AU_FLOWS_H
#define AU_FLOWS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h"
#include "core/engine.h"
#include "lib/buf.h"
#include "lib/rc.h"

typedef struct au_flows au_flows;

/* The engine hook (hook.c), wired by the composition root (src/app/compose.c). */
extern const au_engine_hook au_flows_hook;

/* The flows of an open engine (NULL if the hook is not registered). */
au_flows *au_flows_of(au_engine *e);

/* Runs the flows triggered by `profile: [erased]` for an erasure (erased.c); records is a JSON
 * array of {"source","record_id"}. Writer thread, inside the erasure's transaction. */
au_rc au_flows_fire_erased(au_flows *f, au_store *st, int64_t profile, const json_t *records,
                           int64_t receipt, int64_t at_ms);

/* Starts the delivery workers and the scheduler (the daemon does; `aurum import` does not, so
 * what it triggers waits in the outbox for the next `aurum serve`). */
au_rc au_flows_start(au_flows *f, au_err *err);
/* Stops the workers and the scheduler; sends in progress finish and are recorded. Call before
 * au_engine_close (recording needs the writer). */
void au_flows_stop(au_flows *f);
/* Replaces the flows that came from the configuration by those of `cfg` (SIGHUP). Flows saved
 * over the API are kept (they win over the file, as for sources). cfg is only read. */
au_rc au_flows_reload(au_flows *f, const au_config *cfg, au_err *err);

/* --- API operations (JSON in, JSON out; *out new references) ---------------------------- */
/* Validates (errors with line and column) and saves a definition; *out = normalised form. */
au_rc au_flows_put(au_flows *f, const char *name, const char *text, size_t len, json_t **out,
                   au_err *err);
au_rc au_flows_delete(au_flows *f, const char *name, au_err *err);
/* One flow (secrets redacted) or the list of all of them; each with how its runs stand:
 * last_run, runs (counts by status), failures (failed + error runs), dead_letters (open). */
au_rc au_flows_get(au_flows *f, const char *name, json_t **out, au_err *err);
json_t *au_flows_list(au_flows *f);
/* Which runs au_flows_runs lists. */
typedef struct au_runs_query {
    const char *status; /* NULL: every run; a run status, or "dead" (a dead letter is open) */
    int64_t before;     /* only runs with a smaller id (paging); 0: from the newest */
    int limit;          /* at most this many */
    int context;        /* 1: each run's whole input context; 0: `profile` reduced to its id */
} au_runs_query;

/* The values au_runs_query.status accepts, for messages and docs. */
#define AU_RUN_STATUSES "pending, delivered, failed, skipped, error, dead"

/* Runs of a flow, newest first. AU_ERR_INVALID for a status that is not one of
 * AU_RUN_STATUSES, AU_ERR_NOT_FOUND for a flow with neither a definition nor runs. */
au_rc au_flows_runs(au_flows *f, const char *name, const au_runs_query *q, json_t **out,
                    au_err *err);
/* Dry run: evaluates the flow against `input` (the run context: {"event":..} / {"profile":..}
 * / {"webhook":..}) and returns what each step would send. Sends nothing, writes nothing.
 * `input` NULL, {} or {"sample": true} takes a stored context instead (the newest matching
 * event, or the newest profile change) and says which in "sampled"; AU_ERR_INVALID for
 * webhook and schedule flows, AU_ERR_NOT_FOUND when nothing is stored to sample. */
au_rc au_flows_test(au_flows *f, const char *name, const json_t *input, json_t **out, au_err *err);
/* The headers of a webhook call (each NULL when absent). */
typedef struct au_webhook_call {
    const char *timestamp;  /* X-Aurum-Timestamp: Unix seconds */
    const char *signature;  /* X-Aurum-Signature: "sha256=<hex HMAC-SHA256(secret, ts.body)>" */
    const char *secret;     /* X-Aurum-Secret: the plain secret (still needs the timestamp) */
    const char *request_id; /* Idempotency-Key */
} au_webhook_call;

/* Webhook trigger: checks the timestamp (within the configured window), the signature over
 * "timestamp.body" (or the plain secret) and that the same signed call was not seen before,
 * then starts a run with {"webhook": body}. AU_ERR_UNAUTHORIZED otherwise, the same for an
 * unknown flow as for a wrong secret (docs/SECRETS.md). */
au_rc au_flows_webhook(au_flows *f, const char *name, const au_webhook_call *call, const char *body,
                       size_t len, json_t **out, au_err *err);
/* Dead letters (flow NULL: all), and replays. */
au_rc au_flows_deadletters(au_flows *f, const char *flow, int open_only, json_t **out, au_err *err);
au_rc au_flows_replay(au_flows *f, int64_t id, au_err *err);
/* Replays every open dead letter of `flow` (NULL: all); *count = how many. */
au_rc au_flows_replay_all(au_flows *f, const char *flow, long *count, au_err *err);

/* The secrets store the flows' steps refer to as {{ secret.NAME }} (src/flows/secrets.h). */
struct au_secrets *au_flows_secrets(au_flows *f);

/* `aurum help flows`: definition shape, triggers, context, step options, run inspection. */
void au_flows_print_help(FILE *f);
/* The step options of every connector as Markdown tables (docs/CONFIG.md), from the same
 * declared tables that validate flows. */
AU_MUST_USE au_rc au_flows_options_markdown(au_buf *out);

/* Prometheus text for the per-flow counters and delivery latency histogram. */
au_rc au_flows_metrics(au_flows *f, au_buf *out);

#endif
