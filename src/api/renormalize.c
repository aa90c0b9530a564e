/*
 * POST /v1/sources/{source}/renormalize — maps the stored input of every current record of the
 * source through its current definition again (src/core/renormalize.h) and answers with the
 * summary. Admin only: it rewrites a whole source.
 */
#include "api/api_int.h"
#include "core/renormalize.h"

/* POST /v1/sources/{source}/renormalize -> {"source","records","changed","unchanged",
 * "quarantined","failed"} */
au_rc au_api_renormalize(au_req *req, au_resp *resp, au_err *err)
{
    const char *source = au_req_param(req, "source");
    char origin[128];
    au_remap_summary sum;
    au_req_origin(req, origin, sizeof(origin));
    au_rc rc = au_renormalize(req->srv->engine, source, origin, NULL, NULL, &sum, err);
    if (rc)
        return rc;
    return au_resp_json(resp, 200,
                        json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "source", source, "records",
                                  (json_int_t)sum.records, "changed", (json_int_t)sum.changed,
                                  "unchanged", (json_int_t)sum.unchanged, "quarantined",
                                  (json_int_t)sum.quarantined, "failed", (json_int_t)sum.failed));
}
