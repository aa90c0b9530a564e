/*
 * GET /v1/quality — the data-quality ledger (src/quality/quality.h) over HTTP: per source and
 * attribute the valid, quarantined and missing counts, the top reasons with example record ids
 * and a per-day series. This file checks the query and names the mapped attributes; the core
 * builds the answer.
 */
#include <errno.h>
#include <stdlib.h>

#include "api/api_int.h"
#include "api/query.h"
#include "quality/quality.h"
#include "lib/clock.h"

/* Default length of the per-day series (as the option table writes it). */
#define QUALITY_DEFAULT_DAYS "7"

static int mapped_by_engine(void *ctx, const char *source, au_attr a)
{
    au_engine *e = ctx;
    const au_source *s = au_engine_source_acquire(e, source);
    int mapped = s ? au_source_maps(s, a) : 0;
    if (s)
        au_engine_source_release(e, s);
    return mapped;
}

/* GET /v1/quality?source=&attribute=&days= */
typedef struct quality_args {
    const char *source, *attribute; /* borrowed */
    long days;                      /* length of the per-day series */
} quality_args;

const au_query_spec au_api_query_quality[] = {
    AU_QUERY_ROW("source", AU_QUERY_STR, offsetof(quality_args, source), NULL, "only this source"),
    AU_QUERY_ROW("attribute", AU_QUERY_STR, offsetof(quality_args, attribute), NULL,
                 "only this canonical attribute"),
    AU_QUERY_ROW("days", AU_QUERY_INT, offsetof(quality_args, days), QUALITY_DEFAULT_DAYS,
                 "days of the per-day series (0: none)", .min = 0, .max = AU_QUALITY_MAX_DAYS),
    {0}};

/* GET /v1/quality?source=&attribute=&days= -> {"sources":[...],"days","events"} */
au_rc au_api_quality(au_req *req, au_resp *resp, au_err *err)
{
    au_engine *e = req->srv->engine;
    quality_args a = {0};
    au_rc rc = au_query_parse(req, au_api_query_quality, &a, err);
    if (rc)
        return rc;
    au_quality_query q = {
        .source = a.source,
        .attribute = a.attribute,
        .days = (int)a.days,
        .now_ms = au_wall_ms(),
        .mapped = mapped_by_engine,
        .mapped_ctx = e,
    };
    if (q.attribute && au_attr_from_name(q.attribute) < 0)
        return au_err_set(err, AU_ERR_INVALID, "attribute: '%s' is not a canonical attribute",
                          q.attribute);
    if (q.source) {
        const au_source *s = au_engine_source_acquire(e, q.source);
        if (!s)
            return au_err_set(err, AU_ERR_NOT_FOUND, "unknown source '%s'", q.source);
        au_engine_source_release(e, s);
    }
    au_store *st = au_engine_reader(e);
    if (!st)
        return au_err_set(err, AU_ERR_BUSY, "no store reader available");
    json_t *report = NULL;
    rc = au_quality_report(st, &q, &report, err);
    au_engine_reader_release(e, st);
    return rc ? rc : au_resp_json(resp, 200, report);
}
