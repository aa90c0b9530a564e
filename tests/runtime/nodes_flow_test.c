/*
 * Flows on several nodes sharing one PostgreSQL store (issue 14, docs/FLOWS.md "Several
 * nodes"): three real daemons on one real server and one real HTTP target on loopback.
 * Events posted to all three are each delivered exactly once (the outbox rows are leased to
 * the node that sends them); a node killed with -9 while its deliveries are in flight leaves
 * no delivery undone: once its leases ran out the others send them again, with the same
 * idempotency key (at-least-once); a node started again takes back its own leases at once;
 * a schedule fires once per firing whichever nodes see it due. Time moves by each daemon's
 * offset clock (`clock: {offset_file}`), never by sleeping for a lease to run out.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../support/pgserver.h"
#include "../support/receiver.h"
#include "flows_helpers.h"
#include "harness.h"

static void fini(void)
{
    au_rt_cleanup_all();
    au_pgserver_cleanup_all();
}

TestSuite(nodes_flow, .fini = fini);

#define NODES 3

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts the server (skips the test without PostgreSQL). */
static void start_pg(au_pgserver *p)
{
    if (!au_pgserver_available())
        cr_skip_test("PostgreSQL is not installed (scripts/deps.sh)");
    cr_assert_eq(au_pgserver_start(p), 0, "cannot start PostgreSQL (see %s)", p->log);
}

/* The configuration every node shares: the store, an offset clock, and an http flow `pay` on
 * payment events posting to the receiver (fast retries, several deliveries in flight). */
static void node_config(char *cfg, size_t cap, const au_pgserver *p, int port)
{
    snprintf(cfg, cap,
             "store: \"postgres://postgres@127.0.0.1:%d/postgres\"\n"
             "clock: {offset_file: clock.offset}\n"
             "flows:\n"
             "  - name: pay\n"
             "    trigger: {event: {type: payment}}\n"
             "    concurrency: 4\n"
             "    retry: {max_attempts: 100, backoff_ms: 50, max_backoff_ms: 400}\n"
             "    steps:\n"
             "      - id: notify\n"
             "        http:\n"
             "          url: \"http://127.0.0.1:%d/pay/{{ event.id }}\"\n"
             "          body: {payment: \"{{ event.id }}\"}\n",
             p->port, port);
}

static void start_node(au_rt_daemon *d, const char *cfg)
{
    int rc = au_rt_start(d, cfg);
    char *log = rc ? au_rt_log(d) : NULL;
    cr_assert_eq(rc, 0, "node did not start; log:\n%s", log ? log : "(none)");
}

/* Moves a node's flows clock `ms` ahead of real time (the file is re-read at each reading). */
static void set_clock_offset(au_rt_daemon *d, long long ms)
{
    char path[400], tmp[420];
    snprintf(path, sizeof(path), "%s/clock.offset", d->dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fprintf(f, "%lld\n", ms);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(rename(tmp, path), 0);
}

static void post_payment(au_rt_daemon *d, int i)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"source\":\"billing\",\"event_id\":\"e%d\",\"type\":\"payment\",\"customer\":"
             "{\"source\":\"billing\",\"record\":\"c%d\"},\"properties\":{\"amount\":%d}}",
             i, i, i + 1);
    rt_call(d, "POST", "/v1/events", body, 200);
}

/* One integer from sql (asserted to give one). */
static long long pg_int(const au_pgserver *p, const char *sql)
{
    PGresult *r = au_pgserver_exec(p, sql);
    cr_assert_not_null(r, "%s", sql);
    cr_assert_eq(PQntuples(r), 1, "%s", sql);
    long long v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* Waits until every outbox row is delivered (and there are `want`), polling the store. */
static void wait_all_delivered(const au_pgserver *p, long long want)
{
    for (int i = 0; i < 1200; i++) {
        if (pg_int(p, "SELECT count(*) FROM outbox WHERE status = 1") >= want &&
            pg_int(p, "SELECT count(*) FROM outbox WHERE status <> 1") == 0)
            return;
        sleep_ms(100);
    }
    cr_assert_fail("not every delivery was made: %lld of %lld",
                   pg_int(p, "SELECT count(*) FROM outbox WHERE status = 1"), want);
}

/* How many requests the receiver got with idempotency key `key`. */
static int requests_with_key(rt_receiver *rx, const char *key)
{
    int n = 0, total = rt_receiver_count(rx);
    for (int i = 0; i < total; i++) {
        rt_request q;
        cr_assert_eq(rt_receiver_get(rx, i, &q), 0);
        n += !strcmp(q.idempotency_key, key);
    }
    return n;
}

/* The deliveries node d counted itself (its /metrics). */
static long node_deliveries(au_rt_daemon *d, const char *flow)
{
    au_rt_resp r = {0};
    char key[128];
    cr_assert_eq(au_rt_admin(d, "GET", "/metrics", NULL, &r), 200);
    snprintf(key, sizeof(key), "aurum_flow_deliveries_total{flow=\"%s\"} ", flow);
    const char *at = r.body ? strstr(r.body, key) : NULL;
    long n = at ? atol(at + strlen(key)) : 0;
    au_rt_resp_cleanup(&r);
    return n;
}

/* Three nodes' dispatchers read the same pending rows: every delivery reaches the target
 * exactly once (without the leases each row went out up to three times). The events are
 * posted to one node: API writes on several nodes at once still collide on the audit log's
 * ids, which are taken from the node's memory (docs/POSTGRES.md, not part of the flows). */
Test(nodes_flow, each_event_is_delivered_once_by_three_nodes, .timeout = 300)
{
    au_pgserver p;
    au_rt_daemon d[NODES];
    char cfg[1024];
    start_pg(&p);
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_not_null(rx);
    node_config(cfg, sizeof(cfg), &p, rt_receiver_port(rx));
    for (int i = 0; i < NODES; i++)
        start_node(&d[i], cfg);
    enum { EVENTS = 60 };
    for (int i = 0; i < EVENTS; i++)
        post_payment(&d[0], i);
    wait_all_delivered(&p, EVENTS);
    cr_assert_eq(rt_receiver_distinct_ok(rx), EVENTS);
    cr_assert_eq(rt_receiver_count(rx), EVENTS, "each delivery was sent once, by one node");
    cr_assert_eq(pg_int(&p, "SELECT count(*) FROM outbox WHERE claimed_by IS NOT NULL"), 0,
                 "an outcome drops its lease");
    long by[NODES], sum = 0;
    for (int i = 0; i < NODES; i++)
        sum += by[i] = node_deliveries(&d[i], "pay");
    cr_assert_eq(sum, EVENTS, "the nodes' own counts add up: %ld + %ld + %ld", by[0], by[1], by[2]);
    cr_log_info("deliveries by node: %ld, %ld, %ld", by[0], by[1], by[2]);
    json_t *runs = rt_flow_runs_when(&d[1], "pay", "status=delivered&limit=1000", EVENTS);
    cr_assert_eq(json_array_size(json_object_get(runs, "runs")), EVENTS);
    json_decref(runs);
    for (int i = 0; i < NODES; i++)
        cr_assert_eq(au_rt_stop(&d[i]), 0);
    for (int i = 0; i < NODES; i++)
        au_rt_cleanup(&d[i]);
    rt_receiver_free(rx);
    au_pgserver_stop(&p);
}

/* A node killed with -9 while the target holds its requests: its rows stay leased to it, the
 * other nodes leave them until the leases run out (their clocks moved a minute on, past the
 * 30 s lease), then send them with the same idempotency key. Every delivery is made; only those
 * the killed node had in flight may have reached the target twice. */
Test(nodes_flow, kill_9_of_a_node_leaves_no_delivery_undone, .timeout = 300)
{
    au_pgserver p;
    au_rt_daemon a, others[NODES - 1];
    char cfg[1024];
    start_pg(&p);
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_not_null(rx);
    node_config(cfg, sizeof(cfg), &p, rt_receiver_port(rx));
    rt_receiver_answer(rx, 200, NULL, 8000); /* held long enough to kill the node meanwhile */
    start_node(&a, cfg);
    enum { EVENTS = 12 };
    for (int i = 0; i < EVENTS; i++)
        post_payment(&a, i);
    cr_assert_geq(rt_receiver_wait(rx, 1, 60), 1, "the node started sending");
    au_rt_kill9(&a);
    rt_receiver_answer(rx, 200, NULL, 0);
    /* What the killed node held: leased, still pending. */
    PGresult *held = au_pgserver_exec(&p, "SELECT idem_key FROM outbox WHERE status = 0 AND "
                                          "claimed_by IS NOT NULL ORDER BY id");
    cr_assert_not_null(held);
    int nheld = PQntuples(held);
    cr_assert_geq(nheld, 1, "the killed node had deliveries in flight");
    cr_assert_eq(pg_int(&p, "SELECT count(DISTINCT claimed_by) FROM outbox WHERE claimed_by IS "
                            "NOT NULL"),
                 1);

    for (int i = 0; i < NODES - 1; i++)
        start_node(&others[i], cfg);
    for (int i = 0; i < NODES - 1; i++)
        set_clock_offset(&others[i], 60000);
    wait_all_delivered(&p, EVENTS);

    cr_assert_eq(rt_receiver_distinct_ok(rx), EVENTS, "every delivery reached the target");
    for (int i = 0; i < EVENTS; i++) {
        char key[64];
        int was_held = 0;
        snprintf(key, sizeof(key), "pay/event:billing/e%d/notify", i);
        for (int k = 0; k < nheld; k++)
            was_held |= !strcmp(PQgetvalue(held, k, 0), key);
        int n = requests_with_key(rx, key);
        if (was_held)
            cr_assert(n == 1 || n == 2, "%s (in flight at the kill) sent %d times", key, n);
        else
            cr_assert_eq(n, 1, "%s sent %d times", key, n);
    }
    PQclear(held);
    for (int i = 0; i < NODES - 1; i++)
        cr_assert_eq(au_rt_stop(&others[i]), 0);
    for (int i = 0; i < NODES - 1; i++)
        au_rt_cleanup(&others[i]);
    au_rt_cleanup(&a);
    rt_receiver_free(rx);
    au_pgserver_stop(&p);
}

/* A node killed with -9 and started again under its own (stable) name releases the leases it
 * held at once, without waiting for them to run out: no clock is moved here. */
Test(nodes_flow, a_restarted_node_takes_back_its_own_leases, .timeout = 300)
{
    au_pgserver p;
    au_rt_daemon a;
    char cfg[1024];
    start_pg(&p);
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_not_null(rx);
    node_config(cfg, sizeof(cfg), &p, rt_receiver_port(rx));
    rt_receiver_answer(rx, 200, NULL, 8000);
    start_node(&a, cfg);
    enum { EVENTS = 6 };
    for (int i = 0; i < EVENTS; i++)
        post_payment(&a, i);
    cr_assert_geq(rt_receiver_wait(rx, 1, 60), 1, "the node started sending");
    au_rt_kill9(&a);
    rt_receiver_answer(rx, 200, NULL, 0);
    long long held =
        pg_int(&p, "SELECT count(*) FROM outbox WHERE status = 0 AND claimed_by IS NOT NULL");
    cr_assert_geq(held, 1);
    cr_assert_eq(au_rt_restart(&a), 0);
    wait_all_delivered(&p, EVENTS);
    char *log = au_rt_log(&a);
    cr_assert_not_null(log);
    char want[64];
    snprintf(want, sizeof(want), "\"rows\":\"%lld\"", held);
    cr_assert(strstr(log, "released the outbox leases this node held") && strstr(log, want),
              "the restarted node released its %lld leases: %s", held, log);
    free(log);
    cr_assert_eq(rt_receiver_distinct_ok(rx), EVENTS);
    cr_assert_eq(au_rt_stop(&a), 0);
    au_rt_cleanup(&a);
    rt_receiver_free(rx);
    au_pgserver_stop(&p);
}

/* Three nodes see every minute's firing of one schedule due; each firing becomes one run and
 * one delivery (without the claim, up to three runs of the same firing). */
Test(nodes_flow, a_schedule_fires_once_across_nodes, .timeout = 300)
{
    au_pgserver p;
    au_rt_daemon d[NODES];
    char cfg[1024];
    start_pg(&p);
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_not_null(rx);
    snprintf(
        cfg, sizeof(cfg),
        "store: \"postgres://postgres@127.0.0.1:%d/postgres\"\n"
        "clock: {offset_file: clock.offset}\n"
        "flows:\n"
        "  - name: tick\n"
        "    trigger: {schedule: \"* * * * *\"}\n"
        "    steps:\n"
        "      - http: {url: \"http://127.0.0.1:%d/tick\", body: {at: \"{{ schedule.at }}\"}}\n",
        p.port, rt_receiver_port(rx));
    for (int i = 0; i < NODES; i++)
        start_node(&d[i], cfg);
    long long offset = 0;
    for (int minutes = 0; minutes < 20 && rt_receiver_count(rx) < 3; minutes++) {
        offset += 60000;
        for (int i = 0; i < NODES; i++)
            set_clock_offset(&d[i], offset);
        rt_receiver_wait(rx, rt_receiver_count(rx) + 1, 10);
    }
    cr_assert_geq(rt_receiver_count(rx), 3);
    /* The nodes are stopped before counting, so no firing is half-way. */
    for (int i = 0; i < NODES; i++)
        cr_assert_eq(au_rt_stop(&d[i]), 0);
    long long runs = pg_int(&p, "SELECT count(*) FROM flow_runs WHERE flow = 'tick'");
    cr_assert_eq(pg_int(&p, "SELECT count(DISTINCT trigger) FROM flow_runs WHERE flow = 'tick'"),
                 runs, "no firing ran twice");
    cr_assert_eq(pg_int(&p, "SELECT count(*) FROM schedule_fires WHERE name = 'flow:tick'"), runs,
                 "one claim per run");
    cr_assert_geq(pg_int(&p, "SELECT count(DISTINCT node) FROM schedule_fires"), 1);
    cr_assert_eq(rt_receiver_count(rx), rt_receiver_distinct_ok(rx), "one delivery per firing");
    for (int i = 0; i < NODES; i++)
        au_rt_cleanup(&d[i]);
    rt_receiver_free(rx);
    au_pgserver_stop(&p);
}
