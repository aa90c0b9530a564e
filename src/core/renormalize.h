/*
 * Renormalisation: after a source's mapping is fixed (a date format, a default country), map
 * the stored input of every current record of the source through the current definition again,
 * as updates through the normal write path, so resolution, golden records, flows and the
 * quality ledger all follow; no re-import. Used by `aurum renormalize` and
 * POST /v1/sources/{source}/renormalize.
 */
#ifndef AU_RENORMALIZE_H
#define AU_RENORMALIZE_H

#include "core/engine.h"

/* Records re-mapped per writer job: big enough to share commits, small enough that other
 * writers are not held up for long. */
#define AU_RENORMALIZE_BATCH 1000

/* Called after each batch with the running totals. */
typedef void (*au_renormalize_progress)(void *ctx, const au_remap_summary *sum);

/* Re-maps every current record of `source` (AU_ERR_NOT_FOUND when the engine does not know it),
 * in record-number order, batch by batch; progress may be NULL. *sum is zeroed first. Records
 * written during the run are re-mapped too only when they come later in that order; each batch
 * reads its records on the writer, so a concurrent update is never overwritten. */
au_rc au_renormalize(au_engine *e, const char *source, const char *origin,
                     au_renormalize_progress progress, void *ctx, au_remap_summary *sum,
                     au_err *err);

#endif
