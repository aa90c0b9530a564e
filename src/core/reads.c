/*
 * The engine's reads (see reads.h): the one place above the store where handlers' record,
 * source and event reads meet the store contract.
 */
#include "core/reads.h"

au_rc au_engine_read_record(au_store *rd, const char *source, const char *record_id,
                            int64_t version, au_record_out *out)
{
    return au_store_record_get(rd, source, record_id, version, out);
}

au_rc au_engine_read_history(au_store *rd, const char *source, const char *record_id,
                             au_record_cb cb, void *ctx)
{
    return au_store_record_history(rd, source, record_id, cb, ctx);
}

au_rc au_engine_read_sources(au_store *rd, au_source_cb cb, void *ctx)
{
    return au_store_source_list(rd, cb, ctx);
}

au_rc au_engine_read_unlinked(au_store *rd, au_unlinked_cb cb, void *ctx)
{
    return au_store_events_unlinked(rd, cb, ctx);
}
