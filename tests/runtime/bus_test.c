/*
 * Black-box tests of the bus (docs/BUS.md): the real daemon publishes its profile changes and
 * events to a real nats-server with JetStream (tests/support/natsserver.h), and a JetStream
 * consumer of this test reads them back. Every change-feed entry arrives exactly once on
 * aurum.profiles.changed with message id change:SEQ, every event on aurum.events.TYPE with
 * event:SOURCE:ID; a daemon killed with -9 in the middle of publishing and restarted loses
 * nothing and doubles nothing (a resend carries the same id and the stream drops it); a
 * nats-server that goes down and comes back is caught up with, without restarting the daemon.
 * With AURUM_TEST_STORE=postgres the daemons store in PostgreSQL (harness.h).
 */
#include <criterion/criterion.h>
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/natsserver.h"
#include "../support/spawn.h"
#include "harness.h"

static void fini(void)
{
    au_rt_cleanup_all();
    au_natsserver_cleanup_all();
}

TestSuite(bus, .fini = fini);

/* Starts the daemon publishing to n (batch: messages per watermark write). */
static void start(au_rt_daemon *d, const au_natsserver *n, int batch)
{
    char cfg[512];
    snprintf(cfg, sizeof cfg,
             "bus:\n  enabled: true\n  url: \"%s\"\n  batch: %d\n  timeout_ms: 2000\n", n->url,
             batch);
    int rc = au_rt_start(d, cfg);
    char *log = rc ? au_rt_log(d) : NULL;
    cr_assert_eq(rc, 0, "daemon did not start; log:\n%s", log ? log : "(none)");
    free(log);
}

static json_t *call(au_rt_daemon *d, const char *method, const char *path, const char *body)
{
    au_rt_resp r = {0};
    long st = au_rt_admin(d, method, path, body, &r);
    cr_assert_eq(st, 200, "%s %s: %ld %s", method, path, st, r.body);
    json_t *j = au_rt_json(&r);
    cr_assert(j, "%s %s: not JSON: %s", method, path, r.body);
    au_rt_resp_cleanup(&r);
    return j;
}

static void define_source(au_rt_daemon *d)
{
    json_decref(call(d, "PUT", "/v1/sources/crm",
                     "{\"record_id\":\"id\",\"country\":\"GB\",\"fields\":{\"email\":\"email\","
                     "\"first_name\":\"first\",\"last_name\":\"last\"}}"));
}

/* Upserts records id PREFIX0..PREFIX(n-1); pairs share an e-mail, so they merge. */
static void write_records(au_rt_daemon *d, const char *prefix, int n)
{
    size_t cap = (size_t)n * 120 + 8, len = 0;
    char *body = malloc(cap);
    cr_assert_not_null(body);
    len += (size_t)snprintf(body, cap, "[");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(body + len, cap - len,
                                "%s{\"id\":\"%s%d\",\"first\":\"Ann\",\"last\":\"Lee%d\","
                                "\"email\":\"%s%d@example.com\"}",
                                i ? "," : "", prefix, i, i / 2, prefix, i / 2);
    snprintf(body + len, cap - len, "]");
    json_decref(call(d, "POST", "/v1/sources/crm/records", body));
    free(body);
}

static void write_events(au_rt_daemon *d, const char *prefix, int n)
{
    char body[4096];
    size_t len = (size_t)snprintf(body, sizeof body, "[");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(body + len, sizeof body - len,
                                "%s{\"source\":\"shop\",\"event_id\":\"%s%d\",\"type\":\"order "
                                "placed\",\"customer\":{\"source\":\"crm\",\"record\":\"%s%d\"},"
                                "\"properties\":{\"amount\":%d}}",
                                i ? "," : "", prefix, i, prefix, i, i);
    snprintf(body + len, sizeof body - len, "]");
    json_decref(call(d, "POST", "/v1/events", body));
}

/* GET /v1/bus: feed's integer field. */
static long long bus_field(json_t *st, const char *feed, const char *field)
{
    return (long long)json_integer_value(json_object_get(json_object_get(st, feed), field));
}

/* Waits (state, not time: the suite's timeout bounds it) until both feeds have no lag. */
static json_t *wait_caught_up(au_rt_daemon *d)
{
    for (;;) {
        json_t *st = call(d, "GET", "/v1/bus", NULL);
        if (bus_field(st, "changes", "lag") == 0 && bus_field(st, "events", "lag") == 0 &&
            bus_field(st, "changes", "head_seq") > 0)
            return st;
        json_decref(st);
        au_test_sleep_ms(50);
    }
}

/* What the stream holds, read by a consumer of this test. */
typedef struct stream_seen {
    int changes, events;  /* messages per subject kind */
    int dup_ids;          /* a message id seen twice */
    int bad;              /* a message whose id does not match its body */
    long long max_change; /* highest change seq */
    char *seen;           /* seen[seq] for change seqs (calloc'd, 1 << 16) */
    char first_event[512];
} stream_seen;

static void check_change(stream_seen *s, natsMsg *m, const char *id)
{
    json_t *j = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
    long long seq = (long long)json_integer_value(json_object_get(j, "seq"));
    char want[64];
    snprintf(want, sizeof want, "change:%lld", seq);
    if (!j || strcmp(id, want) != 0 || seq <= 0 || seq >= (1 << 16) ||
        !json_is_string(json_object_get(j, "kind")))
        s->bad++;
    else if (s->seen[seq]++)
        s->dup_ids++;
    if (seq > s->max_change)
        s->max_change = seq;
    s->changes++;
    json_decref(j);
}

static void check_event(stream_seen *s, natsMsg *m, const char *id)
{
    json_t *j = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
    char want[128];
    snprintf(want, sizeof want, "event:shop:%s", json_string_value(json_object_get(j, "event_id")));
    if (!j || strcmp(id, want) != 0 || strcmp(natsMsg_GetSubject(m), "aurum.events.order_placed"))
        s->bad++;
    if (!s->events)
        snprintf(s->first_event, sizeof s->first_event, "%.*s", natsMsg_GetDataLength(m),
                 natsMsg_GetData(m));
    s->events++;
    json_decref(j);
}

/* Reads the whole stream AURUM from its start with a fresh consumer. */
static void read_stream(const au_natsserver *n, stream_seen *s)
{
    static int consumers;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    natsSubscription *sub = NULL;
    jsErrCode jerr = 0;
    jsSubOptions so;
    char durable[32];
    memset(s, 0, sizeof *s);
    s->seen = calloc(1, 1 << 16);
    cr_assert_eq(natsConnection_ConnectTo(&nc, n->url), NATS_OK);
    cr_assert_eq(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    jsSubOptions_Init(&so);
    so.Stream = "AURUM";
    so.Config.DeliverPolicy = js_DeliverAll;
    snprintf(durable, sizeof durable, "test%d", ++consumers);
    cr_assert_eq(js_PullSubscribe(&sub, js, "aurum.>", durable, NULL, &so, &jerr), NATS_OK,
                 "subscribe: %d", (int)jerr);
    for (;;) {
        natsMsgList list = {0};
        natsStatus st = natsSubscription_Fetch(&list, sub, 256, 1000, &jerr);
        if (st == NATS_TIMEOUT || (st == NATS_OK && list.Count == 0))
            break;
        cr_assert_eq(st, NATS_OK, "fetch: %s", natsStatus_GetText(st));
        for (int i = 0; i < list.Count; i++) {
            const char *id = NULL;
            natsMsg *m = list.Msgs[i];
            cr_assert_eq(natsMsgHeader_Get(m, "Nats-Msg-Id", &id), NATS_OK, "no message id");
            if (strcmp(natsMsg_GetSubject(m), "aurum.profiles.changed") == 0)
                check_change(s, m, id);
            else
                check_event(s, m, id);
            natsMsg_Ack(m, NULL);
        }
        natsMsgList_Destroy(&list);
    }
    natsSubscription_Destroy(sub);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

/* Every change 1..head exactly once, `events` events, nothing malformed. */
static void assert_complete(stream_seen *s, long long head, int events)
{
    cr_assert_eq(s->bad, 0, "%d messages whose id or subject does not match their body", s->bad);
    cr_assert_eq(s->dup_ids, 0, "%d changes delivered twice", s->dup_ids);
    cr_assert_eq(s->max_change, head, "last change %lld, head %lld", s->max_change, head);
    for (long long q = 1; q <= head; q++)
        cr_assert_eq(s->seen[q], 1, "change %lld missing", q);
    cr_assert_eq(s->changes, head, "one message per change");
    cr_assert_eq(s->events, events, "one message per event");
    free(s->seen);
}

static void start_nats(au_natsserver *n)
{
    if (!au_natsserver_bin())
        cr_skip_test("nats-server not installed; run scripts/deps.sh");
    cr_assert_eq(au_natsserver_start(n), 0, "nats-server did not start (see %s)", n->log);
}

/* The change feed and the events reach a JetStream consumer, each once with its message id. */
Test(bus, changes_and_events_reach_a_subscriber_with_their_message_ids, .timeout = 180)
{
    au_natsserver n;
    au_rt_daemon d;
    stream_seen s;
    start_nats(&n);
    start(&d, &n, 256);
    define_source(&d);
    write_records(&d, "C", 40);
    write_events(&d, "C", 5);
    json_t *st = wait_caught_up(&d);
    long long head = bus_field(st, "changes", "head_seq");
    cr_assert(json_is_true(json_object_get(st, "connected")));
    cr_assert_eq(bus_field(st, "events", "published_seq"), bus_field(st, "events", "head_seq"));
    json_decref(st);
    json_t *feed = call(&d, "GET", "/v1/changes?after=0&limit=1000", NULL);
    cr_assert_eq((long long)json_array_size(json_object_get(feed, "changes")), head,
                 "the feed and the bus agree on the number of changes");
    json_decref(feed);
    read_stream(&n, &s);
    json_t *ev = json_loads(s.first_event, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(ev, "type")), "order placed");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(ev, "properties"), "amount")),
                 0);
    json_decref(ev);
    assert_complete(&s, head, 5);
    au_rt_cleanup(&d);
    au_natsserver_stop(&n);
}

/* kill -9 while the publisher is behind (published in pages of 64 between watermark writes, so
 * the kill most likely falls after some acknowledgements the watermark does not cover yet),
 * then a restart: every change arrives, none twice (the resends carry their ids). */
Test(bus, kill9_mid_stream_then_restart_loses_and_doubles_nothing, .timeout = 300)
{
    au_natsserver n;
    au_rt_daemon d;
    stream_seen s;
    int killed = 0;
    start_nats(&n);
    start(&d, &n, 64);
    define_source(&d);
    for (int round = 0; !killed && round < 20; round++) {
        char prefix[16];
        snprintf(prefix, sizeof prefix, "R%d_", round);
        write_records(&d, prefix, 400);
        json_t *st = call(&d, "GET", "/v1/bus", NULL);
        /* mid-stream: something published, something not yet */
        if (bus_field(st, "changes", "published_seq") > 0 && bus_field(st, "changes", "lag") > 0) {
            au_rt_kill9(&d);
            killed = 1;
        }
        json_decref(st);
    }
    cr_assert(killed, "the publisher was never caught behind the writer");
    cr_assert_eq(au_rt_restart(&d), 0, "restart failed");
    json_t *st = wait_caught_up(&d);
    long long head = bus_field(st, "changes", "head_seq");
    json_decref(st);
    read_stream(&n, &s);
    assert_complete(&s, head, 0);
    au_rt_cleanup(&d);
    au_natsserver_stop(&n);
}

/* nats-server down (its store kept) while the daemon writes, then up again: the publisher
 * notices, reconnects and catches up without a restart of the daemon. */
Test(bus, nats_down_then_up_is_caught_up_without_a_restart, .timeout = 300)
{
    au_natsserver n;
    au_rt_daemon d;
    stream_seen s;
    start_nats(&n);
    start(&d, &n, 16);
    define_source(&d);
    write_records(&d, "A", 20);
    json_decref(wait_caught_up(&d));
    au_natsserver_halt(&n);
    write_records(&d, "B", 20);
    write_events(&d, "B", 3);
    for (;;) { /* the publisher tried and failed: it is behind and says why */
        json_t *st = call(&d, "GET", "/v1/bus", NULL);
        int down = bus_field(st, "changes", "lag") > 0 &&
                   json_integer_value(json_object_get(st, "errors")) > 0 &&
                   json_is_false(json_object_get(st, "connected"));
        json_decref(st);
        if (down)
            break;
        au_test_sleep_ms(50);
    }
    cr_assert_eq(au_natsserver_resume(&n), 0, "nats-server did not come back (see %s)", n.log);
    json_t *st = wait_caught_up(&d);
    long long head = bus_field(st, "changes", "head_seq");
    json_decref(st);
    read_stream(&n, &s);
    assert_complete(&s, head, 3);
    au_rt_cleanup(&d);
    au_natsserver_stop(&n);
}

/* A mistake in the section stops the daemon at start-up with the file's line. */
Test(bus, a_bad_section_is_refused_at_start, .timeout = 60)
{
    au_rt_daemon d;
    int rc = au_rt_start(&d, "bus:\n  enabled: true\n  stream: \"A.B\"\n");
    char *log = au_rt_log(&d);
    cr_assert_neq(rc, 0, "the daemon started with stream A.B");
    cr_assert(log && strstr(log, "bus.stream"), "log: %s", log ? log : "(none)");
    free(log);
    au_rt_cleanup(&d);
}
