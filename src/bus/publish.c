/*
 * The bus publisher thread (bus.h): connects to NATS (libnats), makes sure the stream exists,
 * then repeatedly reads the change-feed entries and the events after its watermarks (a page of
 * at most `batch` each, through a reader handle released before any network wait), publishes
 * each with its JetStream message id, waits for the stream's acknowledgement, and persists the
 * watermark of what was acknowledged through the writer. Nothing new: it sleeps until the next
 * commit (the hook's wake-up) or a second (commits of other nodes sharing a PostgreSQL store do
 * not wake it). A failure drops the connection, is noted in the status and retried with
 * exponential backoff from the persisted watermark; resends carry the same message ids.
 */
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/bus_int.h"
#include "lib/alloc.h"
#include "lib/clock.h"
#include "lib/isotime.h"
#include "profile/profiles.h"
#include "store/store.h"

/* The thread's own connection state (never shared). */
typedef struct pub {
    au_bus *b;          /* borrowed */
    natsConnection *nc; /* NULL while disconnected */
    jsCtx *js;          /* JetStream context of nc */
} pub;

/* One message ready to publish: owned strings (freed by msg_list_free). */
typedef struct bus_msg {
    int64_t seq;   /* the feed position it covers */
    char *subject; /* where it goes */
    char *id;      /* Nats-Msg-Id */
    char *data;    /* JSON body */
} bus_msg;

typedef struct msg_list {
    bus_msg *v; /* au_malloc'd array */
    size_t n, cap;
    const au_bus_config *cfg;
} msg_list;

static void msg_list_free(msg_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        au_free(l->v[i].subject);
        au_free(l->v[i].id);
        free(l->v[i].data); /* json_dumps: jansson's allocator */
    }
    au_free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* Appends a message taking ownership of subject, id and data (freed here on failure; a NULL
 * one is an allocation that failed). */
static au_rc msg_list_add(msg_list *l, int64_t seq, char *subject, char *id, char *data)
{
    bus_msg *v = l->v;
    size_t cap = l->n < l->cap ? l->cap : l->cap ? l->cap * 2 : 64;
    if (subject && id && data && cap != l->cap && (v = au_realloc(l->v, cap * sizeof *v)))
        l->v = v, l->cap = cap;
    if (!subject || !id || !data || l->n == l->cap) {
        au_free(subject);
        au_free(id);
        free(data);
        return AU_ERR_NOMEM;
    }
    l->v[l->n++] = (bus_msg){seq, subject, id, data};
    return AU_OK;
}

/* --- connection --------------------------------------------------------------------------- */

static void disconnect(pub *p)
{
    jsCtx_Destroy(p->js);
    natsConnection_Destroy(p->nc);
    p->js = NULL;
    p->nc = NULL;
}

static void fail_text(char *buf, size_t cap, const char *what, natsStatus s, jsErrCode jerr)
{
    snprintf(buf, cap, "%s: %s%s", what, natsStatus_GetText(s), jerr ? " (JetStream error)" : "");
    if (jerr) {
        size_t n = strlen(buf);
        snprintf(buf + n, cap - n, " %d", (int)jerr);
    }
}

/* Creates the stream on PREFIX.> when it is missing and the section allows it. */
static natsStatus ensure_stream(pub *p, char *why, size_t cap)
{
    const au_bus_config *c = &p->b->cfg;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, p->js, c->stream, NULL, &jerr);
    jsStreamInfo_Destroy(si);
    if (s == NATS_NOT_FOUND && c->create_stream) {
        char subject[300];
        const char *subjects[1] = {subject};
        jsStreamConfig sc;
        snprintf(subject, sizeof subject, "%s.>", c->prefix);
        jsStreamConfig_Init(&sc);
        sc.Name = c->stream;
        sc.Subjects = subjects;
        sc.SubjectsLen = 1;
        sc.Storage = js_FileStorage;
        sc.Duplicates = (int64_t)c->duplicate_window_s * 1000000000LL;
        si = NULL;
        s = js_AddStream(&si, p->js, &sc, NULL, &jerr);
        jsStreamInfo_Destroy(si);
        if (s != NATS_OK)
            fail_text(why, cap, "cannot create the stream", s, jerr);
    } else if (s != NATS_OK) {
        fail_text(why, cap, s == NATS_NOT_FOUND ? "no such stream" : "stream info", s, jerr);
    }
    return s;
}

static au_rc connect(pub *p)
{
    const au_bus_config *c = &p->b->cfg;
    natsOptions *o = NULL;
    char why[256] = "";
    jsOptions jo;
    natsStatus s = natsOptions_Create(&o);
    if (s == NATS_OK)
        s = natsOptions_SetURL(o, c->url);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(o, c->timeout_ms);
    /* no silent reconnect: a lost server fails the publish at once and the thread's own
     * backoff reconnects and resends from the watermark */
    if (s == NATS_OK)
        s = natsOptions_SetAllowReconnect(o, false);
    if (s == NATS_OK && (s = natsConnection_Connect(&p->nc, o)) != NATS_OK)
        fail_text(why, sizeof why, "cannot connect", s, 0);
    natsOptions_Destroy(o);
    jsOptions_Init(&jo);
    jo.Wait = c->timeout_ms;
    if (s == NATS_OK)
        s = natsConnection_JetStream(&p->js, p->nc, &jo);
    if (s == NATS_OK)
        s = ensure_stream(p, why, sizeof why);
    if (s != NATS_OK) {
        if (!why[0])
            fail_text(why, sizeof why, "JetStream", s, 0);
        au_bus_note_error(p->b, why);
        disconnect(p);
        return AU_ERR_IO;
    }
    pthread_mutex_lock(&p->b->mu);
    p->b->connected = 1;
    pthread_mutex_unlock(&p->b->mu);
    return AU_OK;
}

/* --- the feeds as messages ---------------------------------------------------------------- */

static char *dup_printf(const char *fmt, const char *a, const char *b)
{
    size_t n = (size_t)snprintf(NULL, 0, fmt, a, b) + 1;
    char *s = au_malloc(n);
    if (s)
        snprintf(s, n, fmt, a, b);
    return s;
}

/* The change-feed page after `after`, as GET /v1/changes shows its entries. */
static au_rc read_changes(au_store *st, int64_t after, msg_list *l)
{
    json_t *list = NULL, *row;
    int64_t last = 0;
    size_t i;
    char seq[32];
    au_rc rc = au_profile_changes(st, after, (int)l->cfg->batch, &list, &last);
    json_array_foreach(list, i, row)
    {
        if (rc)
            break;
        int64_t s = json_integer_value(json_object_get(row, "seq"));
        snprintf(seq, sizeof seq, "%lld", (long long)s);
        rc = msg_list_add(l, s, dup_printf("%s.profiles.changed%s", l->cfg->prefix, ""),
                          dup_printf("change:%s%s", seq, ""), json_dumps(row, JSON_COMPACT));
    }
    json_decref(list);
    return rc;
}

/* An event type as one subject token: letters, digits, '-' and '_' kept, others become '_'. */
static void type_token(const char *type, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *c = type ? type : ""; *c && n + 1 < cap; c++)
        out[n++] = ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || *c == '-' || *c == '_')
                       ? *c
                       : '_';
    if (!n)
        out[n++] = '_';
    out[n] = 0;
}

/* A stored JSON text as a value (null when absent or unreadable). */
static json_t *json_of(const char *text)
{
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    return v ? v : json_null();
}

static int on_event(void *ctx, const au_event_out *e)
{
    msg_list *l = ctx;
    char token[128], at[40], received[40], subject[400];
    type_token(e->type, token, sizeof token);
    snprintf(subject, sizeof subject, "%s.events.%s", l->cfg->prefix, token);
    au_iso8601_format(e->at_ms, at, sizeof at);
    au_iso8601_format(e->received_ms, received, sizeof received);
    json_t *o =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "seq", (json_int_t)e->seq, "source",
                  e->source, "event_id", e->event_id, "type", e->type, "at", at, "received_at",
                  received, "customer", json_of(e->customer), "properties", json_of(e->properties));
    char *data = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return msg_list_add(l, e->seq, au_strdup(subject),
                        dup_printf("event:%s:%s", e->source, e->event_id), data);
}

/* --- publishing --------------------------------------------------------------------------- */

typedef struct persist_ctx {
    const char *key; /* AU_BUS_KEY_* */
    int64_t wm;
} persist_ctx;

static au_rc persist_fn(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    persist_ctx *p = ctx;
    char text[32];
    snprintf(text, sizeof text, "%lld", (long long)p->wm);
    au_rc rc = au_store_inbound_put(st, p->key, text, NULL, at_ms);
    return rc ? au_err_set(err, rc, "cannot store the watermark %s", p->key) : AU_OK;
}

/* Stores the watermark through the writer; the feed's counter moves once it is committed. */
static au_rc persist(pub *p, const char *key, au_bus_feed *f, int64_t wm)
{
    persist_ctx c = {key, wm};
    au_err err;
    au_err_init(&err);
    au_rc rc = au_engine_call(p->b->engine, persist_fn, &c, "bus", &err);
    if (rc)
        au_bus_note_error(p->b, err.message[0] ? err.message : au_rc_message(rc));
    else {
        pthread_mutex_lock(&p->b->mu);
        f->wm = wm;
        pthread_mutex_unlock(&p->b->mu);
    }
    au_err_cleanup(&err);
    return rc;
}

/* Publishes one message and waits for the stream's acknowledgement. */
static au_rc publish_one(pub *p, const bus_msg *m, au_bus_feed *f)
{
    jsPubOptions po;
    jsPubAck *pa = NULL;
    jsErrCode jerr = 0;
    char why[256];
    jsPubOptions_Init(&po);
    po.MsgId = m->id;
    po.MaxWait = p->b->cfg.timeout_ms;
    natsStatus s = js_Publish(&pa, p->js, m->subject, m->data, (int)strlen(m->data), &po, &jerr);
    if (s != NATS_OK) {
        fail_text(why, sizeof why, "publish", s, jerr);
        au_bus_note_error(p->b, why);
        return AU_ERR_IO;
    }
    pthread_mutex_lock(&p->b->mu);
    f->published++;
    p->b->duplicates += pa->Duplicate ? 1 : 0;
    p->b->last_publish_ms = au_wall_ms();
    pthread_mutex_unlock(&p->b->mu);
    jsPubAck_Destroy(pa);
    return AU_OK;
}

/* Publishes l in order; persists the watermark of what was acknowledged, even after a failure
 * (so a resend starts after it). *moved: messages acknowledged. */
static au_rc publish_list(pub *p, const msg_list *l, const char *key, au_bus_feed *f, int *moved)
{
    au_rc rc = AU_OK;
    size_t done = 0;
    while (done < l->n && !(rc = publish_one(p, &l->v[done], f)))
        done++;
    if (done) {
        au_rc prc = persist(p, key, f, l->v[done - 1].seq);
        rc = rc ? rc : prc;
    }
    *moved += (int)done;
    return rc;
}

/* One page of a feed: read after the watermark, publish, persist. */
static au_rc pump(pub *p, int events, int *moved)
{
    au_bus *b = p->b;
    au_bus_feed *f = events ? &b->events : &b->changes;
    msg_list l = {.cfg = &b->cfg};
    pthread_mutex_lock(&b->mu);
    int64_t wm = f->wm;
    pthread_mutex_unlock(&b->mu);
    au_store *st = au_engine_reader(b->engine);
    if (!st)
        return AU_ERR_BUSY;
    au_rc rc = events ? au_store_bus_events_after(st, wm, b->cfg.batch, on_event, &l)
                      : read_changes(st, wm, &l);
    au_engine_reader_release(b->engine, st); /* released before any network wait */
    if (rc)
        au_bus_note_error(b, events ? "cannot read the events" : "cannot read the change feed");
    else
        rc = publish_list(p, &l, events ? AU_BUS_KEY_EVENTS : AU_BUS_KEY_CHANGES, f, moved);
    msg_list_free(&l);
    return rc;
}

/* The persisted watermark of key into *wm (0 when none was ever stored). */
static au_rc load_one(au_bus *b, const char *key, int64_t *wm)
{
    char *cursor = NULL, *state = NULL;
    au_store *st = au_engine_reader(b->engine);
    if (!st)
        return AU_ERR_BUSY;
    au_rc rc = au_store_inbound_get(st, key, &cursor, &state);
    au_engine_reader_release(b->engine, st);
    *wm = !rc && cursor ? strtoll(cursor, NULL, 10) : 0;
    au_free(cursor);
    au_free(state);
    return rc == AU_ERR_NOT_FOUND ? AU_OK : rc;
}

static au_rc load_watermarks(au_bus *b)
{
    int64_t c = 0, e = 0;
    au_rc rc = load_one(b, AU_BUS_KEY_CHANGES, &c);
    if (!rc)
        rc = load_one(b, AU_BUS_KEY_EVENTS, &e);
    if (rc) {
        au_bus_note_error(b, "cannot read the watermarks");
        return rc;
    }
    pthread_mutex_lock(&b->mu);
    b->changes.wm = c;
    b->events.wm = e;
    pthread_mutex_unlock(&b->mu);
    return AU_OK;
}

/* One round: connect if needed, then a page of each enabled feed. */
static au_rc round_trip(pub *p, int *moved)
{
    au_rc rc = p->nc ? AU_OK : connect(p);
    if (!rc && p->b->cfg.changes)
        rc = pump(p, 0, moved);
    if (!rc && p->b->cfg.events)
        rc = pump(p, 1, moved);
    return rc;
}

void *au_bus_publisher(void *arg)
{
    pub p = {.b = arg};
    int failures = 0, loaded = 0;
    while (!au_bus_stopping(p.b)) {
        uint64_t gen = au_bus_gen(p.b);
        int moved = 0;
        au_rc rc = loaded ? AU_OK : load_watermarks(p.b);
        loaded = !rc;
        if (!rc)
            rc = round_trip(&p, &moved);
        if (rc) {
            disconnect(&p);
            /* 250 ms doubling up to 8 s: a server that is down is asked again soon after */
            int64_t backoff = 250LL << (failures < 5 ? failures : 5);
            failures++;
            au_bus_wait(p.b, NULL, backoff); /* no commit shortens a backoff */
            continue;
        }
        failures = 0;
        if (!moved)
            au_bus_wait(p.b, &gen, 1000);
    }
    disconnect(&p);
    return NULL;
}
