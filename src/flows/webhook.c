/*
 * The webhook trigger: POST /v1/hooks/{flow} (src/api/flows.c) lands here. The call is checked
 * like Stripe's webhooks (security.c: timestamp window, HMAC signature, replay cache) before
 * its body is parsed, and an unknown flow fails exactly like a known one with a wrong
 * signature; the run then starts through the writer (au_flows_fire_call).
 */
#include <sodium.h>

#include "flows/flows_int.h"
#include "lib/alloc.h"

au_rc au_flows_webhook(au_flows *f, const char *name, const au_webhook_call *call, const char *body,
                       size_t len, json_t **out, au_err *err)
{
    flow_entry *e = au_flows_acquire(f, name);
    json_t *payload = NULL, *ctx = NULL;
    char *tid = NULL;
    const char *request_id = call->request_id;
    au_rc rc;
    *out = NULL;
    /* An unknown or disabled flow is checked like a known one (with a random key) and fails
     * the same way: a caller cannot tell which flows exist. */
    int usable = e && e->def->trigger.kind == AU_TRIGGER_WEBHOOK && e->def->enabled;
    rc = au_flows_webhook_verify(f, usable ? e : NULL, call->timestamp, call->secret,
                                 call->signature, body ? body : "", len, err);
    if (rc)
        goto out;
    json_error_t je;
    payload = len ? json_loadb(body, len, 0, &je) : json_object();
    if (!payload) {
        rc = au_err_set(err, AU_ERR_PARSE, "webhook body: %s at line %d, column %d", je.text,
                        je.line, je.column);
        goto out;
    }
    unsigned char rnd[12];
    char hex[25];
    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    tid = au_asprintf("webhook:%s", request_id && *request_id ? request_id : hex);
    ctx = json_pack("{s:O}", "webhook", payload);
    if (!tid || !ctx) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    int64_t run_id = 0;
    rc = au_flows_fire_call(f, e, tid, ctx, &run_id, err);
    if (!rc)
        *out = json_pack("{s:I,s:s}", "run", (json_int_t)run_id, "trigger", tid);
out:
    au_flows_release(f, e);
    json_decref(payload);
    json_decref(ctx);
    au_free(tid);
    return rc;
}
