/*
 * The inbound connector of a source over HTTP (docs/CONNECTORS.md): run it now, read its state.
 * The connector manager (src/inbound) does the work; this file parses and formats.
 */
#include <stddef.h>

#include "api/api_int.h"
#include "api/query.h"
#include "inbound/inbound.h"

/* Longest ?wait: a sync bigger than this keeps running; the caller polls GET. */
#define SYNC_MAX_WAIT_S 600

typedef struct sync_query {
    long wait; /* seconds to wait for the run to end */
} sync_query;

const au_query_spec au_api_query_sync[] = {
    AU_QUERY_ROW("wait", AU_QUERY_INT, offsetof(sync_query, wait), "0",
                 "seconds to wait for the run to end (0: answer at once, 202)", .min = 0,
                 .max = SYNC_MAX_WAIT_S),
    {0}};

/* POST /v1/sources/{source}/sync?wait=SECONDS -> 200 {state..., "completed": true} when the
 * run ended within the wait, else 202 {state..., "completed": false} */
au_rc au_api_sync_post(au_req *req, au_resp *resp, au_err *err)
{
    sync_query q = {0};
    json_t *j = NULL;
    au_rc rc = au_query_parse(req, au_api_query_sync, &q, err);
    if (!rc)
        rc = au_inbound_sync(au_inbound_of(req->srv->engine), au_req_param(req, "source"),
                             (int)q.wait, &j, err);
    if (rc)
        return rc;
    return au_resp_json(resp, json_is_true(json_object_get(j, "completed")) ? 200 : 202, j);
}

/* GET /v1/sources/{source}/sync -> the connector's state, cursor, lag, counts and errors */
au_rc au_api_sync_get(au_req *req, au_resp *resp, au_err *err)
{
    json_t *j = NULL;
    au_rc rc =
        au_inbound_status(au_inbound_of(req->srv->engine), au_req_param(req, "source"), &j, err);
    return rc ? rc : au_resp_json(resp, 200, j);
}
