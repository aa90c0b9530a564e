/*
 * GET /metrics — the Prometheus text exposition of the daemon's counters (src/core/metrics.c),
 * the engine's writer statistics, the flows' counters, the resolution decisions (change-feed
 * rows by kind), the parked change-feed waits and the quality ledger's quarantine counts.
 */
#include "api/api_int.h"
#include "api/http_pool.h"
#include "bus/bus.h"
#include "quality/quality.h"
#include "flows/flows.h"
#include "inbound/inbound.h"
#include "profile/profiles.h"
#include "lib/alloc.h"
#include "resolve/hook.h"

/* Large enough for hundreds of sources and every route/status pair. */
#define METRICS_MAX_BYTES (4u << 20)

/* GET /metrics -> text/plain; version=0.0.4 */
au_rc au_api_metrics(au_req *req, au_resp *resp, au_err *err)
{
    au_buf b;
    au_buf_init(&b, METRICS_MAX_BYTES);
    au_rc rc = au_metrics_render(req->srv->metrics, req->srv->engine, &b);
    if (!rc && req->srv->pool)
        rc =
            au_buf_printf(&b,
                          "# HELP aurum_http_parked Long-polls and event streams waiting for a "
                          "change (they hold no thread).\n# TYPE aurum_http_parked gauge\n"
                          "aurum_http_parked %ld\n"
                          "# HELP aurum_http_queued Requests waiting for a handler worker.\n"
                          "# TYPE aurum_http_queued gauge\naurum_http_queued %ld\n",
                          au_http_pool_parked(req->srv->pool), au_http_pool_queued(req->srv->pool));
    au_flows *f = au_flows_of(req->srv->engine);
    if (!rc && f)
        rc = au_flows_metrics(f, &b);
    if (!rc)
        rc = au_inbound_metrics(au_inbound_of(req->srv->engine), &b);
    if (!rc)
        rc = au_bus_metrics(au_bus_of(req->srv->engine), &b);
    au_resolve_state *rs = au_engine_hook_state(req->srv->engine, "resolve");
    if (!rc && rs)
        rc = au_resolve_metrics(rs, &b);
    au_store *st = rc ? NULL : au_engine_reader(req->srv->engine);
    if (st) {
        rc = au_quality_metrics(st, &b);
        au_engine_reader_release(req->srv->engine, st);
    }
    if (rc) {
        au_buf_cleanup(&b);
        return au_err_set(err, rc, "cannot render metrics");
    }
    resp->len = b.len;
    resp->body = au_buf_steal(&b);
    resp->status = 200;
    resp->content_type = "text/plain; version=0.0.4";
    return AU_OK;
}
