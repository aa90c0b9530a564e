/*
 * Flows over HTTP: definitions (PUT validates with line/column errors, then saves), run
 * history, dry runs, the webhook trigger and the dead letters with replay. The flows module
 * (src/flows/flows.h) does the work; this file moves JSON in and out.
 *
 * POST /v1/hooks/{flow} needs no API key: the caller proves itself with the flow's own secret
 * (X-Aurum-Secret header, or X-Aurum-Signature: sha256=<hex HMAC-SHA256 of the body>), so an
 * external system can call it without holding an Aurum key. A wrong secret is 401.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_int.h"
#include "api/query.h"
#include "core/keys.h"
#include "flows/flows.h"
#include "lib/alloc.h"
#include "lib/redact.h"

static au_flows *flows(au_req *req, au_err *err)
{
    au_flows *f = au_flows_of(req->srv->engine);
    if (!f)
        au_err_set(err, AU_ERR_UNAVAILABLE, "flows are not running");
    return f;
}

/* Cuts a target's response text after its status: "... HTTP 502: <body>" becomes
 * "... HTTP 502 [response body: admin only]". */
static void cut_body(json_t *v)
{
    const char *s = json_string_value(v), *p = s;
    while (p && (p = strstr(p, "HTTP ")) != NULL) {
        size_t d = strspn(p + 5, "0123456789");
        if (d == 3 && p[8] == ':') {
            char *t = au_asprintf("%.*s [response body: admin only]", (int)(p + 8 - s), s);
            if (t)
                json_string_set(v, t);
            au_free(t);
            return;
        }
        p += 5;
    }
}

/* Response bodies of targets (an internal service's answer may be anything) are shown to
 * admin keys only: other keys see the status. */
static void hide_bodies(json_t *j)
{
    static const char *const keys[] = {"response",         "error",   "reason",
                                       "last_retry_error", "message", NULL};
    const char *k;
    json_t *v;
    size_t i;
    if (json_is_array(j)) {
        json_array_foreach(j, i, v) hide_bodies(v);
        return;
    }
    json_object_foreach(j, k, v)
    {
        int listed = 0;
        for (i = 0; keys[i]; i++)
            listed |= !strcmp(k, keys[i]);
        if (listed && json_is_string(v))
            cut_body(v);
        else if (json_is_object(v) || json_is_array(v))
            hide_bodies(v);
    }
}

/* What every flow read shows: credentials redacted by type, response bodies for admins only. */
static json_t *shown(const au_req *req, json_t *j)
{
    au_redact_json(j);
    if (!req->key || !au_key_is_admin(req->key))
        hide_bodies(j);
    return j;
}

static const char *header(const au_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* GET /v1/flows -> {"flows":[...]} */
au_rc au_api_flow_list(au_req *req, au_resp *resp, au_err *err)
{
    au_flows *f = flows(req, err);
    if (!f)
        return err->rc;
    return au_resp_json(resp, 200, shown(req, json_pack("{s:o}", "flows", au_flows_list(f))));
}

/* GET /v1/flows/{name} */
au_rc au_api_flow_get(au_req *req, au_resp *resp, au_err *err)
{
    json_t *j = NULL;
    au_flows *f = flows(req, err);
    au_rc rc = f ? au_flows_get(f, au_req_param(req, "name"), &j, err) : err->rc;
    return rc ? rc : au_resp_json(resp, 200, shown(req, j));
}

/* PUT /v1/flows/{name}   body: YAML or JSON definition -> normalised definition */
au_rc au_api_flow_put(au_req *req, au_resp *resp, au_err *err)
{
    json_t *j = NULL;
    au_flows *f = flows(req, err);
    au_rc rc =
        f ? au_flows_put(f, au_req_param(req, "name"), req->body, req->body_len, &j, err) : err->rc;
    return rc ? rc : au_resp_json(resp, 200, j);
}

/* DELETE /v1/flows/{name} */
au_rc au_api_flow_delete(au_req *req, au_resp *resp, au_err *err)
{
    const char *name = au_req_param(req, "name");
    au_flows *f = flows(req, err);
    au_rc rc = f ? au_flows_delete(f, name, err) : err->rc;
    return rc ? rc : au_resp_json(resp, 200, json_pack("{s:s,s:b}", "name", name, "deleted", 1));
}

/* GET /v1/flows/{name}/runs?status=&context=1&limit=&before= */
typedef struct runs_args {
    const char *status;
    long before, limit;
    int context;
} runs_args;

const au_query_spec au_api_query_flow_runs[] = {
    AU_QUERY_ROW("status", AU_QUERY_STR, offsetof(runs_args, status), NULL,
                 "only runs in this status"),
    AU_QUERY_ROW("before", AU_QUERY_INT, offsetof(runs_args, before), "0",
                 "only runs with a smaller id (paging; 0: from the newest)", .min = 0,
                 .max = __LONG_MAX__),
    AU_QUERY_ROW("limit", AU_QUERY_INT, offsetof(runs_args, limit), "50", "runs per page", .min = 1,
                 .max = 1000),
    AU_QUERY_ROW("context", AU_QUERY_FLAG, offsetof(runs_args, context), "0",
                 "include each run's context"),
    {0}};

au_rc au_api_flow_runs(au_req *req, au_resp *resp, au_err *err)
{
    json_t *j = NULL;
    runs_args a;
    au_rc rc = au_query_parse(req, au_api_query_flow_runs, &a, err);
    if (rc)
        return rc;
    au_flows *f = flows(req, err);
    au_runs_query q = {.status = a.status && *a.status ? a.status : NULL,
                       .before = a.before,
                       .limit = (int)a.limit,
                       .context = a.context};
    rc = f ? au_flows_runs(f, au_req_param(req, "name"), &q, &j, err) : err->rc;
    return rc ? rc : au_resp_json(resp, 200, shown(req, j));
}

/* POST /v1/flows/{name}/test   body: the run context, or nothing / {} / {"sample": true} to
 * take a stored one -> what each step would send */
au_rc au_api_flow_test(au_req *req, au_resp *resp, au_err *err)
{
    json_t *in = NULL, *out = NULL;
    au_flows *f = flows(req, err);
    au_rc rc = !f ? err->rc : req->body_len ? au_req_parse_json(req, &in, err) : AU_OK;
    if (!rc)
        rc = au_flows_test(f, au_req_param(req, "name"), in, &out, err);
    json_decref(in);
    return rc ? rc : au_resp_json(resp, 200, out);
}

/* POST /v1/hooks/{flow} -> 202 {"run","trigger"} */
au_rc au_api_flow_hook(au_req *req, au_resp *resp, au_err *err)
{
    json_t *out = NULL;
    au_flows *f = flows(req, err);
    au_webhook_call call = {.timestamp = header(req, "X-Aurum-Timestamp"),
                            .signature = header(req, "X-Aurum-Signature"),
                            .secret = header(req, "X-Aurum-Secret"),
                            .request_id = header(req, "Idempotency-Key")};
    au_rc rc = f ? au_flows_webhook(f, au_req_param(req, "flow"), &call, req->body, req->body_len,
                                    &out, err)
                 : err->rc;
    return rc ? rc : au_resp_json(resp, 202, out);
}

/* GET /v1/deadletters?flow=&all=1 */
typedef struct deadletter_args {
    const char *flow; /* only this flow's */
    int all;          /* replayed ones too */
} deadletter_args;

const au_query_spec au_api_query_deadletters[] = {
    AU_QUERY_ROW("flow", AU_QUERY_STR, offsetof(deadletter_args, flow), NULL,
                 "only this flow's dead letters"),
    AU_QUERY_ROW("all", AU_QUERY_FLAG, offsetof(deadletter_args, all), "0",
                 "replayed dead letters too"),
    {0}};

au_rc au_api_deadletter_list(au_req *req, au_resp *resp, au_err *err)
{
    json_t *out = NULL;
    deadletter_args a;
    au_rc rc = au_query_parse(req, au_api_query_deadletters, &a, err);
    if (rc)
        return rc;
    au_flows *f = flows(req, err);
    rc = f ? au_flows_deadletters(f, a.flow, !a.all, &out, err) : err->rc;
    return rc ? rc : au_resp_json(resp, 200, shown(req, out));
}

/* POST /v1/deadletters/{id}/replay */
static const au_query_spec deadletter_path[] = {AU_QUERY_ROW("id", AU_QUERY_INT, 0, NULL,
                                                             "dead letter id", .min = 1,
                                                             .max = __LONG_MAX__, .required = 1),
                                                {0}};

au_rc au_api_deadletter_replay(au_req *req, au_resp *resp, au_err *err)
{
    long id = 0;
    au_rc rc = au_path_parse(req, deadletter_path, &id, err);
    if (rc)
        return rc;
    au_flows *f = flows(req, err);
    rc = f ? au_flows_replay(f, id, err) : err->rc;
    return rc ? rc
              : au_resp_json(resp, 202,
                             json_pack("{s:I,s:b}", "id", (json_int_t)id, "replayed", 1));
}

/* POST /v1/deadletters/replay   body {"flow": name} (absent: every flow) */
au_rc au_api_deadletter_replay_all(au_req *req, au_resp *resp, au_err *err)
{
    json_t *in = NULL;
    long n = 0;
    au_flows *f = flows(req, err);
    au_rc rc = !f ? err->rc : req->body_len ? au_req_parse_json(req, &in, err) : AU_OK;
    if (!rc)
        rc = au_flows_replay_all(f, json_string_value(json_object_get(in, "flow")), &n, err);
    json_decref(in);
    return rc ? rc : au_resp_json(resp, 202, json_pack("{s:i}", "replayed", (int)n));
}
