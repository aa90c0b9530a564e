/*
 * Renormalisation of a source (renormalize.h): pages through the source's live record ids with
 * a pooled reader, then hands each page to the writer (au_engine_remap_records), which reads
 * the stored input, maps it again and writes what changed as updates.
 */
#include <string.h>

#include "core/renormalize.h"
#include "lib/alloc.h"

typedef struct page {
    char **ids;   /* owned until handed to the engine */
    size_t n;     /* ids collected */
    int64_t last; /* record number of the last id */
} page;

static int collect(void *ctx, int64_t no, const char *record_id)
{
    page *p = ctx;
    if (!(p->ids[p->n] = au_strdup(record_id)))
        return AU_ERR_NOMEM;
    p->n++;
    p->last = no;
    return 0;
}

static void page_free(page *p)
{
    for (size_t i = 0; p->ids && i < p->n; i++)
        au_free(p->ids[i]);
    au_free(p->ids);
    p->ids = NULL;
    p->n = 0;
}

/* The next page of ids after record number `after`. */
static au_rc next_page(au_engine *e, const char *source, int64_t after, page *p, au_err *err)
{
    p->n = 0;
    p->ids = au_calloc(AU_RENORMALIZE_BATCH, sizeof(char *));
    if (!p->ids)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    au_store *st = au_engine_reader(e);
    if (!st)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    au_rc rc = au_store_record_ids(st, source, after, AU_RENORMALIZE_BATCH, collect, p);
    au_engine_reader_release(e, st);
    return rc ? au_err_set(err, rc, "cannot list the records of '%s': %s", source,
                           au_rc_message(rc))
              : AU_OK;
}

au_rc au_renormalize(au_engine *e, const char *source, const char *origin,
                     au_renormalize_progress progress, void *ctx, au_remap_summary *sum,
                     au_err *err)
{
    memset(sum, 0, sizeof(*sum));
    const au_source *s = au_engine_source_acquire(e, source);
    if (!s)
        return au_err_set(err, AU_ERR_NOT_FOUND, "unknown source '%s'", source);
    au_engine_source_release(e, s);
    int64_t after = 0;
    au_rc rc = AU_OK;
    for (;;) {
        page p = {0};
        if ((rc = next_page(e, source, after, &p, err)) || p.n == 0) {
            page_free(&p);
            break;
        }
        size_t n = p.n;
        after = p.last;
        rc = au_engine_remap_records(e, source, p.ids, n, origin, sum, err);
        if (rc)
            break;
        if (progress)
            progress(ctx, sum);
        if (n < AU_RENORMALIZE_BATCH)
            break;
    }
    return rc;
}
