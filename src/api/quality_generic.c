/*
 * GET /v1/quality/generic: the values identity resolution treats as generic (a placeholder such
 * as 000-00-0000 or info@..., or a value held by several clearly different people), so a data
 * steward can see them and override one with matching.generic.never / .always. Read from the
 * resolve hook's in-memory resolver; the quality ledger reads the same list through
 * au_resolve_generic_list.
 */
#include <stdlib.h>

#include "api/api_int.h"
#include "api/query.h"
#include "resolve/hook.h"

/* GET /v1/quality/generic?limit=N */
const au_query_spec au_api_query_quality_generic[] = {
    AU_QUERY_ROW("limit", AU_QUERY_INT, 0, "1000", "values to list", .min = 1, .max = 100000), {0}};

au_rc au_api_quality_generic(au_req *req, au_resp *resp, au_err *err)
{
    au_resolve_state *s = au_engine_hook_state(req->srv->engine, "resolve");
    if (!s)
        return au_err_set(err, AU_ERR_UNAVAILABLE, "identity resolution is not running");
    long limit;
    au_rc rc = au_query_parse(req, au_api_query_quality_generic, &limit, err);
    if (rc)
        return rc;
    json_t *doc = au_resolve_generic_list(s, (size_t)limit);
    if (!doc)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory listing generic values");
    return au_resp_json(resp, 200, doc);
}
