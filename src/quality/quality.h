/*
 * The data-quality ledger: per source and canonical attribute, how many values are valid,
 * quarantined (by reason code, with a few example record ids) and missing, for the current
 * state of the store and per UTC day of arrival. Every quarantined value is named here with its
 * reason (PRODUCT.md, data fidelity).
 *
 * It is an engine hook (au_quality_hook, wired in src/app/compose.c) that counts inside the write
 * transaction, so the counts commit with the records that caused them: an insert adds, an update
 * moves the counts of the previous version to the new one, a delete subtracts. It aggregates in
 * memory per job and per group commit and writes one upsert per touched (source, attribute,
 * status, reason[, day]) just before COMMIT. "Missing" is not stored: it is the source's live
 * record count minus the valid and quarantined values of the attribute, which stays exact
 * whatever the mapping was when each record arrived.
 *
 * Readers (GET /v1/quality, `aurum quality`, /metrics) build their answers from a store handle
 * with the functions below; they are thread-safe given a handle of their own.
 */
#ifndef AU_QUALITY_H
#define AU_QUALITY_H

#include <jansson.h>
#include <stdint.h>

#include "core/engine.h"
#include "lib/buf.h"
#include "lib/rc.h"
#include "store/store.h"

/* Example record ids kept per (source, attribute, reason). */
#define AU_QUALITY_EXAMPLES 5
/* Most reasons listed per attribute in a report (the most frequent first). */
#define AU_QUALITY_TOP_REASONS 10
/* Most days a report's series may cover. */
#define AU_QUALITY_MAX_DAYS 366

extern const au_engine_hook au_quality_hook;

/* Whether `source` fills attribute `a` (1) or not (0), for the "mapped" flag and for listing
 * attributes that no record has. */
typedef int (*au_quality_mapped_fn)(void *ctx, const char *source, au_attr a);

/* What a report covers. */
typedef struct au_quality_query {
    const char *source;          /* only this source; NULL: all */
    const char *attribute;       /* only this attribute; NULL: all */
    int days;                    /* per-day series of the last `days` days (0: none) */
    int64_t now_ms;              /* "today" for the series (Unix ms) */
    au_quality_mapped_fn mapped; /* may be NULL: attributes without counts are then left out */
    void *mapped_ctx;            /* argument of mapped */
} au_quality_query;

/* The report as JSON: {"sources":[{"source","records","attributes":[{"attribute","mapped",
 * "valid","quarantined","missing","reasons":[{"reason","description","count","examples"}],
 * "days":[{"day","arrived","valid","quarantined","missing","reasons":{code:n}}]}]}],"days",
 * "events":{...},"connectors":[{"source","kind","runs","runs_failed","failing","read","refused",
 * "updated_ms","last_failure":{"at_ms","error"},"last_refusal":{"at_ms","reason"}}]}
 * (see docs/QUALITY.md). *out is a new reference. */
au_rc au_quality_report(au_store *st, const au_quality_query *q, json_t **out, au_err *err);

/* Appends the Prometheus families aurum_values_quarantined (current, gauge) and
 * aurum_values_quarantined_total (every quarantined value that arrived, counter), labelled by
 * source, attribute and reason code. */
au_rc au_quality_metrics(au_store *st, au_buf *out);

#endif
