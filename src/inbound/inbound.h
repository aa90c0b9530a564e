/*
 * Inbound connectors: a source's way in when its system will not push to Aurum. A source
 * declares `inbound: {kind: ..., ...}` in its definition (configuration or PUT
 * /v1/sources/{source}); the connector of that kind pulls documents from the system (a watched
 * directory, a PostgreSQL table, an HTTP API) and writes them through the same mapping and
 * engine path as `aurum import`. Each connector resumes from a cursor persisted in the store
 * only after the records it covers were committed, so a restart or kill -9 neither loses nor
 * doubles anything (upserts are idempotent on (source, record id) and content).
 *
 * The manager is the engine hook "inbound" (no work inside transactions: the hook only gives it
 * a home reachable from the engine); au_inbound_start, called by `aurum serve`, starts one
 * thread per connector, which runs on its cron schedule, continuously, or on demand, retries
 * failures with exponential backoff and keeps its state for GET /v1/sources/{source}/sync and
 * /metrics. docs/CONNECTORS.md is the user's reference.
 */
#ifndef AU_INBOUND_H
#define AU_INBOUND_H

#include <jansson.h>
#include <stdio.h>

#include "core/engine.h"
#include "lib/buf.h"
#include "lib/rc.h"

typedef struct au_inbound_mgr au_inbound_mgr;

/* What one sync did. */
typedef struct au_inbound_counts {
    long read;        /* documents read from the system */
    long inserted;    /* records created */
    long updated;     /* records whose content changed */
    long unchanged;   /* records read again with the same content (nothing written) */
    long quarantined; /* values kept raw with a reason (their records were written) */
    long refused;     /* documents refused by the mapping (no record id, reject mode, ...) */
    long deleted;     /* records deleted (soft-delete column/field) */
    long events;      /* of those read, business events (`documents: events|auto`); they count
                       * as inserted (new) or unchanged (an id seen before) like records */
} au_inbound_counts;

/* The engine hook that holds the manager (registered in src/app/compose.c). */
extern const au_engine_hook au_inbound_hook;
/* The manager of an engine opened with au_inbound_hook, NULL otherwise. */
au_inbound_mgr *au_inbound_of(au_engine *e);

/* Validates an inbound block (kind, its options, schedule); errors name the key. */
AU_MUST_USE au_rc au_inbound_check(const json_t *inbound, au_err *err);
/* Starts a connector thread for every source whose definition has an inbound block. */
AU_MUST_USE au_rc au_inbound_start(au_inbound_mgr *m, au_err *err);
/* Stops every connector thread (a sync in progress ends at its next batch). */
void au_inbound_stop(au_inbound_mgr *m);
/* The definition of `source` changed (PUT): its connector is restarted with the new one,
 * started, or stopped when the inbound block went away. No-op before au_inbound_start. */
AU_MUST_USE au_rc au_inbound_reload(au_inbound_mgr *m, const char *source, au_err *err);

/* Asks the connector of `source` for a sync now. wait_s > 0: waits up to that many seconds
 * for the run to end. *out (new reference) is the status as au_inbound_status gives it, with
 * "completed": true when the requested run ended within the wait. AU_ERR_NOT_FOUND when the
 * source has no inbound connector (or the manager is not running). */
AU_MUST_USE au_rc au_inbound_sync(au_inbound_mgr *m, const char *source, int wait_s, json_t **out,
                                  au_err *err);
/* {"source","kind","mode","schedule","state","running","cursor","lag_ms","next_run_ms",
 *  "last_run":{started_ms, finished_ms, ok, error, counts},"last_ok_ms","failures",
 *  "totals":{counts},"runs"} of the connector of `source`. New reference. */
AU_MUST_USE au_rc au_inbound_status(au_inbound_mgr *m, const char *source, json_t **out,
                                    au_err *err);
/* Appends the connectors' metrics (Prometheus text). */
AU_MUST_USE au_rc au_inbound_metrics(au_inbound_mgr *m, au_buf *out);

/* One sync of `source` in the calling thread (`aurum sync` without a daemon): the engine must
 * have been opened with au_inbound_hook; progress lines go to `progress` (NULL: none). */
AU_MUST_USE au_rc au_inbound_sync_here(au_engine *e, const char *source, FILE *progress,
                                       au_inbound_counts *out, au_err *err);

/* The summary line: "read N, inserted N, updated N, unchanged N, quarantined N, refused N,
 * deleted N". */
void au_inbound_counts_print(FILE *f, const au_inbound_counts *c);
/* `aurum help connectors`: the common keys and each kind's options. */
void au_inbound_print_help(FILE *f);
/* The same rows as Markdown tables (`aurum help connectors --markdown`; scripts/opts-doc.sh
 * writes them into docs/CONNECTORS.md): the common keys, then one table per kind. */
AU_MUST_USE au_rc au_inbound_options_markdown(au_buf *out);

#endif
