/*
 * The engine's reads for the layers above it (API handlers, CLI): records and their versions,
 * stored source definitions, unlinked events. Each takes a reader handle from
 * au_engine_reader(), so that a handler reading twice sees one snapshot, and keeps the callers
 * off the store contract (store.h): a second back-end or a change of the store's domains
 * changes this file, not every handler. Same results and callbacks as the store functions named.
 */
#ifndef AU_CORE_READS_H
#define AU_CORE_READS_H

#include "core/engine.h"

/* The record (source, record_id) at `version` (0: the latest); au_store_record_get. */
au_rc au_engine_read_record(au_store *rd, const char *source, const char *record_id,
                            int64_t version, au_record_out *out);
/* Every version of a record, oldest first; au_store_record_history. */
au_rc au_engine_read_history(au_store *rd, const char *source, const char *record_id,
                             au_record_cb cb, void *ctx);
/* The stored source definitions (name, JSON); au_store_source_list. */
au_rc au_engine_read_sources(au_store *rd, au_source_cb cb, void *ctx);
/* Events linked to no customer, counted per event source; au_store_events_unlinked. */
au_rc au_engine_read_unlinked(au_store *rd, au_unlinked_cb cb, void *ctx);

#endif
