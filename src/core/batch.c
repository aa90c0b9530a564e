/*
 * One way to map a batch of inbound documents to records and hand them to the writer (see
 * batch.h for who uses it and why the refusal policy stays with the caller).
 */
#include "core/batch.h"

#include <string.h>

#include "lib/alloc.h"
#include "lib/array.h"

void au_record_batch_init(au_record_batch *b, const au_source *src, au_warnings *w)
{
    memset(b, 0, sizeof(*b));
    b->src = src;
    b->w = w;
}

void au_record_batch_cleanup(au_record_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        au_record_free(b->recs[i]);
    au_free(b->recs);
    b->recs = NULL;
    b->n = b->cap = 0;
}

au_rc au_record_batch_add(au_record_batch *b, const json_t *doc, long index, au_err *doc_err)
{
    au_record *rec = NULL;
    if (AU_ARRAY_GROW(b->recs, b->cap, b->n + 1, 16))
        return au_err_set(doc_err, AU_ERR_NOMEM, "out of memory");
    au_rc rc = au_source_map(b->src, doc, index, &rec, doc_err);
    if (!rc && b->w && (rc = au_warnings_add(b->w, b->src, index, rec))) {
        au_record_free(rec);
        return au_err_set(doc_err, rc, "out of memory");
    }
    if (!rc)
        b->recs[b->n++] = rec;
    return rc;
}

/* Gives the records to the caller (the engine): the batch starts empty again. */
static au_record **take(au_record_batch *b, size_t *n)
{
    au_record **recs = b->recs;
    *n = b->n;
    b->recs = NULL;
    b->n = b->cap = 0;
    return recs;
}

au_rc au_record_batch_write(au_record_batch *b, au_engine *e, const char *origin,
                            au_write_summary *sum, au_err *err)
{
    memset(sum, 0, sizeof(*sum));
    if (!b->n)
        return AU_OK;
    size_t n;
    au_record **recs = take(b, &n);
    return au_engine_write_records(e, recs, n, origin, sum, err);
}

au_rc au_record_batch_submit(au_record_batch *b, au_engine *e, const char *origin,
                             au_write_job **job)
{
    *job = NULL;
    if (!b->n)
        return AU_OK;
    size_t n;
    au_record **recs = take(b, &n);
    return au_engine_submit_records(e, recs, n, origin, job);
}
