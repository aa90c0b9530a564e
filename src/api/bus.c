/*
 * The bus over HTTP (docs/BUS.md): the state of the NATS JetStream publisher. The bus module
 * (src/bus) does the work; this file formats.
 */
#include "api/api_int.h"
#include "bus/bus.h"

/* GET /v1/bus -> 200 {"enabled","url","stream","subjects","running","connected",
 *   "changes":{"enabled","published_seq","head_seq","lag","published"},"events":{...},
 *   "duplicates","errors","last_error","last_error_ms","last_publish_ms"} */
au_rc au_api_bus_get(au_req *req, au_resp *resp, au_err *err)
{
    json_t *j = NULL;
    au_rc rc = au_bus_status(au_bus_of(req->srv->engine), &j, err);
    return rc ? rc : au_resp_json(resp, 200, j);
}
