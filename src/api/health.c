/*
 * GET /healthz — liveness for load balancers and the test harness; needs no key.
 */
#include "api/api_int.h"

/* GET /healthz -> {"status":"ok"} */
au_rc au_api_health(au_req *req, au_resp *resp, au_err *err)
{
    return au_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}
