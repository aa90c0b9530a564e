/*
 * GET /metrics — the Prometheus text exposition of the daemon's counters (src/core/metrics.c),
 * the engine's writer statistics, the flows' counters, the change-feed waiters and the quality
 * ledger's quarantine counts.
 */
#include "api/api_int.h"
#include "quality/quality.h"
#include "flows/flows.h"
#include "inbound/inbound.h"
#include "profile/profiles.h"
#include "lib/alloc.h"

/* Large enough for hundreds of sources and every route/status pair. */
#define METRICS_MAX_BYTES (4u << 20)

/* GET /metrics -> text/plain; version=0.0.4 */
au_rc au_api_metrics(au_req *req, au_resp *resp, au_err *err)
{
    au_buf b;
    au_buf_init(&b, METRICS_MAX_BYTES);
    au_rc rc = au_metrics_render(req->srv->metrics, req->srv->engine, &b);
    au_flows *f = au_flows_of(req->srv->engine);
    if (!rc && f)
        rc = au_flows_metrics(f, &b);
    if (!rc)
        rc = au_inbound_metrics(au_inbound_of(req->srv->engine), &b);
    au_profiles *prof = au_profiles_of(req->srv->engine);
    if (!rc && prof)
        rc = au_buf_printf(&b,
                           "# HELP aurum_changes_waiting Change-feed long-polls and streams "
                           "waiting for a commit.\n"
                           "# TYPE aurum_changes_waiting gauge\n"
                           "aurum_changes_waiting %d\n",
                           au_profiles_waiting(prof));
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
