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

/* Default length of the per-day series. */
#define QUALITY_DEFAULT_DAYS 7

static int mapped_by_engine(void *ctx, const char *source, au_attr a)
{
    au_engine *e = ctx;
    const au_source *s = au_engine_source_acquire(e, source);
    int mapped = s ? au_source_maps(s, a) : 0;
    if (s)
        au_engine_source_release(e, s);
    return mapped;
}

static au_rc parse_days(const au_req *req, int *days, au_err *err)
{
    static const au_query_spec spec[] = {{"days", AU_QUERY_INT, 0, QUALITY_DEFAULT_DAYS, 0,
                                          AU_QUALITY_MAX_DAYS, 0, "days of history"},
                                         {0}};
    long v;
    au_rc rc = au_query_parse(req, spec, &v, err);
    *days = rc ? QUALITY_DEFAULT_DAYS : (int)v;
    return rc;
}

/* GET /v1/quality?source=&attribute=&days= -> {"sources":[...],"days","events"} */
au_rc au_api_quality(au_req *req, au_resp *resp, au_err *err)
{
    au_engine *e = req->srv->engine;
    au_quality_query q = {
        .source = au_req_query(req, "source"),
        .attribute = au_req_query(req, "attribute"),
        .now_ms = au_wall_ms(),
        .mapped = mapped_by_engine,
        .mapped_ctx = e,
    };
    au_rc rc = parse_days(req, &q.days, err);
    if (rc)
        return rc;
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
