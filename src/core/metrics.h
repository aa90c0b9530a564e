/*
 * Process metrics for /metrics: request counts by route and status, a request latency histogram,
 * records and events ingested by source and outcome, events accepted for nobody (unknown
 * customer, undeclared source) by source, plus the engine's own counters. Counters
 * are atomics bumped on the request threads without locks; only the first sighting of a new
 * source name takes a mutex (the set of sources is small and append-only). Rendered in the
 * Prometheus text exposition format with HELP and TYPE lines.
 */
#ifndef AU_METRICS_H
#define AU_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/engine.h"
#include "lib/buf.h"
#include "lib/rc.h"

typedef struct au_metrics au_metrics;

/* What an ingested item did; the order matches the label values "inserted","updated",... */
typedef enum {
    AU_OUTCOME_INSERTED,
    AU_OUTCOME_UPDATED,
    AU_OUTCOME_UNCHANGED,
    AU_OUTCOME_DELETED,
    AU_OUTCOME_REJECTED,
    AU_OUTCOME_COUNT
} au_outcome;

/* `routes[0..nroutes)` are the route labels (borrowed, must outlive the metrics); requests that
 * match no route are counted under the label "unmatched". Caller frees with au_metrics_free. */
au_metrics *au_metrics_new(const char *const *routes, size_t nroutes);
void au_metrics_free(au_metrics *m);

/* One finished request: route index (nroutes or more = unmatched), HTTP status, duration. */
void au_metrics_request(au_metrics *m, size_t route, int status, uint64_t duration_us);
/* n records of `source` had `outcome`. */
void au_metrics_records(au_metrics *m, const char *source, au_outcome outcome, uint64_t n);
/* n events of `source` had `outcome`. */
void au_metrics_events(au_metrics *m, const char *source, au_outcome outcome, uint64_t n);

/* Why an accepted event belongs to nobody yet; the order matches the label values. */
typedef enum {
    AU_UNLINKED_CUSTOMER, /* "unknown_customer": no record holds its customer reference */
    AU_UNLINKED_SOURCE,   /* "undeclared_source": its source is not a declared source */
    AU_UNLINKED_COUNT
} au_unlinked_reason;
/* n newly stored events of `source` were unlinked for `reason`
 * (aurum_events_unlinked_total{source,reason}). */
void au_metrics_events_unlinked(au_metrics *m, const char *source, au_unlinked_reason reason,
                                uint64_t n);

/* Appends v as a label value, escaped as the text format requires (\\, \", \n). */
au_rc au_metrics_label(au_buf *out, const char *v);
/* Appends the exposition text; engine may be NULL (its gauges are then left out). */
au_rc au_metrics_render(au_metrics *m, au_engine *engine, au_buf *out);

#endif
