/*
 * kind: nats - a NATS JetStream durable pull consumer (libnats). Each message is a JSON source
 * document (a record; `deleted_field` marks a deletion). Messages are fetched in batches,
 * written through the engine, and acknowledged only after the batch was committed: a daemon
 * killed in between gets the batch again (JetStream redelivers what was not acknowledged) and
 * the upserts, idempotent on (source, record id) and content, change nothing the second time.
 * A message that is not a JSON object is counted as refused and terminated (never redelivered).
 * The consumer is durable (created on first use, on `stream` when given), so messages
 * published while Aurum was down are read when it comes back.
 */
#include <nats/nats.h>
#include <string.h>

#include "inbound/inbound_int.h"
#include "lib/alloc.h"

static const au_inbound_opt nats_opts[] = {
    AU_INBOUND_OPT("url", AU_OPT_STRING, 1, NULL, 0, 0,
                   "server URL (nats://host:4222), or several separated by commas"),
    AU_INBOUND_OPT("subject", AU_OPT_STRING, 1, NULL, 0, 0,
                   "subject (wildcards allowed) whose messages are the documents"),
    AU_INBOUND_OPT("durable", AU_OPT_STRING, 1, NULL, 0, 0,
                   "name of the durable consumer (its position is kept by JetStream)"),
    AU_INBOUND_OPT("stream", AU_OPT_STRING, 0, NULL, 0, 0,
                   "stream to bind to (default: the stream holding subject)"),
    AU_INBOUND_OPT("token_secret", AU_OPT_STRING, 0, NULL, 0, 0,
                   "secret holding an authentication token"),
    AU_INBOUND_OPT("deleted_field", AU_OPT_STRING, 0, NULL, 0, 0,
                   "document field that marks a deleted record"),
    AU_INBOUND_OPT("fetch_wait_ms", AU_OPT_INT, 0, "1000", 1, 60000,
                   "how long a fetch waits for messages before the sync ends (default 1000)"),
    {0},
};

typedef struct nats_state {
    natsConnection *nc;    /* connected on the first sync */
    jsCtx *js;             /* JetStream context of nc */
    natsSubscription *sub; /* the pull subscription */
} nats_state;

static au_rc nats_check(const json_t *def, au_err *err)
{
    const char *d = au_inbound_str(def, "durable");
    if (!d[0] || strpbrk(d, ". *>"))
        return au_err_set(err, AU_ERR_INVALID,
                          "inbound.durable: a name without '.', '*', '>' or spaces");
    return AU_OK;
}

static void nats_close(void *state)
{
    nats_state *s = state;
    if (!s)
        return;
    natsSubscription_Destroy(s->sub);
    jsCtx_Destroy(s->js);
    natsConnection_Destroy(s->nc);
    au_free(s);
}

static au_rc nats_open(const json_t *def, void **state, au_err *err)
{
    nats_state *s = au_calloc(1, sizeof *s);
    if (!s)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    *state = s;
    return AU_OK;
}

static au_rc nats_fail(natsStatus st, jsErrCode jerr, const char *what, au_err *err)
{
    return au_err_set(err, AU_ERR_IO, "nats: %s: %s (%d)", what, natsStatus_GetText(st), (int)jerr);
}

/* Connects and subscribes (first sync, or after a failure tore the state down). */
static au_rc connect(nats_state *s, au_inbound_run *run, au_err *err)
{
    const json_t *def = au_inbound_def(run);
    natsOptions *o = NULL;
    char *token = NULL;
    jsErrCode jerr = 0;
    const char *tname = au_inbound_str(def, "token_secret");
    au_rc rc = tname ? au_inbound_secret(run, tname, &token, err) : AU_OK;
    natsStatus st = rc ? NATS_OK : natsOptions_Create(&o);
    if (!rc && st == NATS_OK)
        st = natsOptions_SetURL(o, au_inbound_str(def, "url"));
    if (!rc && st == NATS_OK && token)
        st = natsOptions_SetToken(o, token);
    if (!rc && st == NATS_OK)
        st = natsOptions_SetMaxReconnect(o, -1); /* a connector outlives server restarts */
    if (!rc && st == NATS_OK)
        st = natsConnection_Connect(&s->nc, o);
    if (!rc && st == NATS_OK)
        st = natsConnection_JetStream(&s->js, s->nc, NULL);
    if (!rc && st == NATS_OK) {
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = au_inbound_str(def, "stream");
        so.Config.AckPolicy = js_AckExplicit;
        st = js_PullSubscribe(&s->sub, s->js, au_inbound_str(def, "subject"),
                              au_inbound_str(def, "durable"), NULL, &so, &jerr);
    }
    if (!rc && st != NATS_OK)
        rc = nats_fail(st, jerr, "subscribe", err);
    natsOptions_Destroy(o);
    au_free(token);
    return rc;
}

/* One message: a document, or a refusal (terminated so it is not redelivered). */
static au_rc take(au_inbound_run *run, natsMsg *m, au_err *err)
{
    json_error_t je;
    json_t *doc = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, &je);
    au_rc rc = AU_OK;
    if (!json_is_object(doc)) {
        au_inbound_refuse(run, doc ? "not a JSON object" : je.text);
        natsMsg_Term(m, NULL);
    } else {
        rc = au_inbound_put_or_delete(run, doc,
                                      au_inbound_str(au_inbound_def(run), "deleted_field"), err);
    }
    json_decref(doc);
    return rc;
}

/* Fetches and writes batches until a fetch finds nothing; each batch is acknowledged after
 * its commit. */
static au_rc nats_sync(void *state, au_inbound_run *run, au_err *err)
{
    nats_state *s = state;
    au_rc rc = s->sub ? AU_OK : connect(s, run, err);
    long wait = au_inbound_int(au_inbound_def(run), "fetch_wait_ms", 1000);
    while (!rc && !au_inbound_stopping(run)) {
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus st =
            natsSubscription_Fetch(&list, s->sub, (int)au_inbound_batch(run), wait, &jerr);
        if (st == NATS_TIMEOUT || (st == NATS_OK && list.Count == 0)) {
            natsMsgList_Destroy(&list);
            break;
        }
        if (st != NATS_OK) {
            natsMsgList_Destroy(&list);
            rc = nats_fail(st, jerr, "fetch", err);
            break;
        }
        for (int i = 0; !rc && i < list.Count; i++)
            rc = take(run, list.Msgs[i], err);
        if (!rc)
            rc = au_inbound_commit(run, NULL, err);
        /* acknowledged only once committed; on an error nothing is, JetStream redelivers */
        for (int i = 0; !rc && i < list.Count; i++)
            natsMsg_Ack(list.Msgs[i], NULL);
        natsMsgList_Destroy(&list);
    }
    if (rc && rc != AU_ERR_NOMEM) {
        /* start over with a fresh connection next time */
        natsSubscription_Destroy(s->sub);
        jsCtx_Destroy(s->js);
        natsConnection_Destroy(s->nc);
        s->sub = NULL;
        s->js = NULL;
        s->nc = NULL;
    }
    return rc;
}

const au_inbound_kind au_inbound_nats = {
    .name = "nats",
    .summary = "a NATS JetStream durable pull consumer, acknowledged after the commit",
    .opts = nats_opts,
    .continuous = 1,
    .poll_s = 1,
    .check = nats_check,
    .open = nats_open,
    .close = nats_close,
    .sync = nats_sync,
};
