/*
 * Inbound documents on their way to the writer, mapped the same way by every intake: the API's
 * record batches (src/api/records.c), Segment identify calls (src/api/segment.c), the importer
 * (src/ingest/import.c), inbound connector syncs (src/inbound/run.c) and the upsert_record flow
 * step (src/flows/out_upsert.c). Each document is mapped and normalised by its source
 * (au_source_map) on the caller's thread; a document the source refuses (not an object, no
 * record id, ...) is reported to the caller, who decides whether it sinks the whole batch (the
 * API) or is skipped (the importer, a sync); the quarantined values of the others are noted in
 * the batch's warnings. The records then go to the engine in one job.
 */
#ifndef AU_BATCH_H
#define AU_BATCH_H

#include <jansson.h>
#include <stddef.h>

#include "core/engine.h"
#include "core/source.h"
#include "core/warnings.h"
#include "lib/rc.h"

/* Caller-allocated: au_record_batch_init / au_record_batch_cleanup. */
typedef struct au_record_batch {
    const au_source *src; /* maps the documents, borrowed */
    au_warnings *w;       /* notes quarantined values by index; NULL: not noted */
    au_record **recs;     /* mapped records, owned until handed to the engine */
    size_t n, cap;        /* records mapped / room in recs */
} au_record_batch;

void au_record_batch_init(au_record_batch *b, const au_source *src, au_warnings *w);
/* Frees the records not handed to the engine. */
void au_record_batch_cleanup(au_record_batch *b);

/* Maps one document, the index-th of its batch (the index names it in errors and warnings).
 * AU_ERR_INVALID or AU_ERR_ENCODING: the document is refused and doc_err says why (one detail
 * per offending field when the source could name them); the batch is unchanged. AU_ERR_NOMEM
 * outranks everything and also leaves the batch unchanged. */
AU_MUST_USE au_rc au_record_batch_add(au_record_batch *b, const json_t *doc, long index,
                                      au_err *doc_err);

/* Hands the records to the writer and waits for the commit. The batch is empty afterwards,
 * whatever the outcome (the engine owns what it was given); an empty batch writes nothing. */
AU_MUST_USE au_rc au_record_batch_write(au_record_batch *b, au_engine *e, const char *origin,
                                        au_write_summary *sum, au_err *err);
/* The same without waiting: *job is for au_engine_wait (NULL when the batch was empty). */
AU_MUST_USE au_rc au_record_batch_submit(au_record_batch *b, au_engine *e, const char *origin,
                                         au_write_job **job);

#endif
