/*
 * The `nats` step: publishes the body as a JSON message to a NATS JetStream subject with
 * libnats and waits for the stream's acknowledgement, so OK means the message is stored in
 * the stream. The message carries the delivery's idempotency key as its Nats-Msg-Id, so
 * JetStream's duplicate window drops a resend. One connection per step (libnats connections
 * are thread-safe), re-established after a failure. No stream for the subject is FAIL; a
 * connection or time-out problem is RETRY.
 */
#include <nats/nats.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "flows/connector.h"
#include "flows/flowdef.h"
#include "flows/outbound.h"
#include "lib/alloc.h"

static const au_connector_option nats_options[] = {
    AU_CONNECTOR_OPT("url", AU_OPT_STRING, 1, NULL, 0, 0, "nats:// or tls:// server URL"),
    AU_CONNECTOR_OPT("subject", AU_OPT_TEMPLATE, 1, NULL, 0, 0,
                     "subject to publish to (a JetStream stream's)"),
    AU_CONNECTOR_OPT("body", AU_OPT_MAPPING, 1, NULL, 0, 0, "the JSON message"),
    AU_CONNECTOR_OPT("timeout_ms", AU_OPT_INT, 0, "5000", 1, 300000,
                     "wait for the stream's acknowledgement"),
    {0},
};

static au_rc nats_validate(const json_t *config, au_err *err)
{
    const char *url = json_string_value(json_object_get(config, "url"));
    if (!url || (strncmp(url, "nats://", 7) && strncmp(url, "tls://", 6)))
        return au_err_set(err, AU_ERR_INVALID, "url must start with nats:// or tls://");
    return AU_OK;
}

typedef struct nats_state {
    pthread_mutex_t lock; /* guards (re)connection */
    natsConnection *nc;
    jsCtx *js;
} nats_state;

static au_rc nats_prepare(const au_flow_step *step, void **state, au_err *err)
{
    nats_state *st = au_calloc(1, sizeof(*st));
    if (!st)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&st->lock, NULL);
    *state = st;
    return AU_OK;
}

static void drop(nats_state *st)
{
    jsCtx_Destroy(st->js);
    natsConnection_Destroy(st->nc);
    st->js = NULL;
    st->nc = NULL;
}

static void nats_close(void *state)
{
    nats_state *st = state;
    if (!st)
        return;
    drop(st);
    pthread_mutex_destroy(&st->lock);
    au_free(st);
}

/* A connected JetStream context, or NULL with out set. */
static jsCtx *connect_js(nats_state *st, const char *url, au_delivery *out)
{
    jsCtx *js;
    pthread_mutex_lock(&st->lock);
    if (st->nc && natsConnection_IsClosed(st->nc))
        drop(st);
    if (!st->nc && au_outbound_nats_check(url, out)) {
        pthread_mutex_unlock(&st->lock);
        return NULL;
    }
    if (!st->nc) {
        natsStatus s = natsConnection_ConnectTo(&st->nc, url);
        if (s == NATS_OK)
            s = natsConnection_JetStream(&st->js, st->nc, NULL);
        if (s != NATS_OK) {
            au_delivery_set(out, AU_DELIVER_RETRY, "cannot connect to %s: %s", url,
                            natsStatus_GetText(s));
            drop(st);
        }
    }
    js = st->js;
    pthread_mutex_unlock(&st->lock);
    return js;
}

static void nats_send(void *state, const au_flow_step *step, const json_t *ctx, int64_t now_ms,
                      au_delivery *out)
{
    nats_state *st = state;
    au_expr_error ee;
    char *subject = NULL, *body = NULL;
    json_t *bj = NULL;
    natsMsg *msg = NULL;
    jsPubAck *ack = NULL;
    memset(out, 0, sizeof(*out));
    out->retry_after_ms = -1;
    if (au_flow_value_render(au_flow_step_value(step, "subject"), ctx, now_ms, 0, &subject, &ee)) {
        au_delivery_set(out, AU_DELIVER_FAIL, "subject: %s", ee.message);
        goto out;
    }
    if (au_flow_value_eval(au_flow_step_value(step, "body"), ctx, now_ms, &bj, &ee)) {
        au_delivery_set(out, AU_DELIVER_FAIL, "body: %s", ee.message);
        goto out;
    }
    if (!(body = json_dumps(bj, JSON_COMPACT | JSON_ENCODE_ANY))) {
        au_delivery_set(out, AU_DELIVER_RETRY, "out of memory");
        goto out;
    }
    jsCtx *js = connect_js(st, json_string_value(json_object_get(step->config, "url")), out);
    if (!js)
        goto out;
    natsStatus s = natsMsg_Create(&msg, subject, NULL, body, (int)strlen(body));
    const char *key = json_string_value(json_object_get(json_object_get(ctx, "delivery"), "key"));
    if (s == NATS_OK && key)
        s = natsMsgHeader_Set(msg, "Nats-Msg-Id", key);
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = (int64_t)json_integer_value(json_object_get(step->config, "timeout_ms"));
    jsErrCode jerr = 0;
    if (s == NATS_OK)
        s = js_PublishMsg(&ack, js, msg, &po, &jerr);
    if (s == NATS_OK)
        au_delivery_set(out, AU_DELIVER_OK, "stored in %s as %llu", ack->Stream,
                        (unsigned long long)ack->Sequence);
    else if (s == NATS_NO_RESPONDERS || jerr == JSStreamNotFoundErr)
        au_delivery_set(out, AU_DELIVER_FAIL, "no JetStream stream for subject %s", subject);
    else
        au_delivery_set(out, AU_DELIVER_RETRY, "publish failed: %s (%d)", natsStatus_GetText(s),
                        (int)jerr);
out:
    jsPubAck_Destroy(ack);
    natsMsg_Destroy(msg);
    free(body);
    json_decref(bj);
    au_free(subject);
}

const au_connector au_connector_nats = {
    .name = "nats",
    .help = "publish the body as a JSON message to a NATS JetStream subject",
    .options = nats_options,
    .validate = nats_validate,
    .prepare = nats_prepare,
    .send = nats_send,
    .close = nats_close,
};
