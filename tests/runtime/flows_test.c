/*
 * Flows end to end against the real daemon and a real HTTP target on loopback: an event is
 * delivered with its signature and idempotency key; a target that is down for a while loses
 * nothing; 429 + Retry-After is retried; a 4xx goes to the dead letters and is delivered after
 * the target is fixed and the letter replayed; kill -9 with deliveries pending delivers them
 * after the restart; a flow's own writes do not re-trigger it; schedules fire; webhooks check
 * their secret; a dry run sends nothing, and samples the newest matching stored event when it is
 * given no context.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flows_helpers.h"
#include "harness.h"
#include "../support/receiver.h"

TestSuite(flows, .fini = au_rt_cleanup_all);

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* PUTs a flow (YAML) and asserts 200. */
static void put_flow(au_rt_daemon *d, const char *name, const char *yaml)
{
    au_rt_resp r = {0};
    char path[128];
    snprintf(path, sizeof(path), "/v1/flows/%s", name);
    long st =
        au_rt_request(d, "PUT", path, "application/yaml", yaml, strlen(yaml), d->admin_key, &r);
    cr_assert_eq(st, 200, "PUT %s: %ld %s", path, st, r.body);
    au_rt_resp_cleanup(&r);
}

/* An http flow on `type` events, posting to the receiver with a signing secret. */
static void put_http_flow(au_rt_daemon *d, const char *name, const char *type, int port,
                          const char *extra)
{
    char yaml[2048];
    snprintf(yaml, sizeof(yaml),
             "trigger:\n  event: {type: %s}\n"
             "condition: event.properties.amount > 0\n"
             "steps:\n  - id: notify\n    http:\n"
             "      url: \"http://127.0.0.1:%d/pay/{{ event.id }}\"\n"
             "      secret: \"0123456789abcdef-secret\"\n"
             "      body:\n        payment: \"{{ event.id }}\"\n"
             "        amount: \"{{ event.properties.amount }}\"\n"
             "        customer: \"{{ event.customer.record }}\"\n"
             "%s",
             type, port, extra ? extra : "");
    put_flow(d, name, yaml);
}

static void post_event(au_rt_daemon *d, const char *type, const char *id, const char *customer,
                       int amount)
{
    char body[512];
    au_rt_resp r = {0};
    snprintf(body, sizeof(body),
             "{\"source\":\"billing\",\"event_id\":\"%s\",\"type\":\"%s\",\"customer\":{\"source\":"
             "\"billing\",\"record\":\"%s\"},\"properties\":{\"amount\":%d}}",
             id, type, customer, amount);
    long st = au_rt_admin(d, "POST", "/v1/events", body, &r);
    cr_assert_eq(st, 200, "POST /v1/events: %ld %s", st, r.body);
    au_rt_resp_cleanup(&r);
}

/* GETs path and returns the parsed JSON (asserts 200). */
static json_t *get_json(au_rt_daemon *d, const char *path)
{
    au_rt_resp r = {0};
    long st = au_rt_admin(d, "GET", path, NULL, &r);
    cr_assert_eq(st, 200, "GET %s: %ld %s", path, st, r.body);
    json_t *j = au_rt_json(&r);
    au_rt_resp_cleanup(&r);
    cr_assert_not_null(j);
    return j;
}

/* Waits until the flow's runs all finished (none pending); returns the runs (new ref). */
static json_t *wait_runs_done(au_rt_daemon *d, const char *flow, size_t want, int timeout_s)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/flows/%s/runs?limit=1000", flow);
    json_t *j = NULL;
    for (int i = 0; i < timeout_s * 10; i++) {
        json_decref(j);
        j = get_json(d, path);
        json_t *runs = json_object_get(j, "runs"), *run;
        size_t k, pending = 0;
        json_array_foreach(runs, k, run)
        {
            pending += !strcmp(json_string_value(json_object_get(run, "status")), "pending");
        }
        if (json_array_size(runs) >= want && pending == 0)
            break;
        sleep_ms(100);
    }
    return j;
}

static int hex_hmac_ok(const char *secret, const char *body, const char *header)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char hex[2 * sizeof(mac) + 1], want[80];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    snprintf(want, sizeof(want), "sha256=%s", hex);
    return !strcmp(want, header);
}

Test(flows, event_is_delivered_signed_with_idempotency_key, .timeout = 60)
{
    au_rt_daemon d;
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_not_null(rx);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    put_http_flow(&d, "pay", "payment", rt_receiver_port(rx), NULL);
    post_event(&d, "payment", "p1", "B1", 120);
    post_event(&d, "payment", "p0", "B1", 0); /* condition false: no delivery */
    post_event(&d, "refund", "r1", "B1", 5);  /* other type: no run */
    cr_assert_eq(rt_receiver_wait(rx, 1, 20), 1);
    rt_request q;
    rt_receiver_get(rx, 0, &q);
    cr_assert_str_eq(q.method, "POST");
    cr_assert_str_eq(q.url, "/pay/p1");
    cr_assert_str_eq(q.idempotency_key, "pay/event:billing/p1/notify");
    json_t *body = json_loads(q.body, 0, NULL);
    cr_assert_eq(json_integer_value(json_object_get(body, "amount")), 120);
    cr_assert_str_eq(json_string_value(json_object_get(body, "customer")), "B1");
    json_decref(body);
    cr_assert(sodium_init() >= 0);
    cr_assert(hex_hmac_ok("0123456789abcdef-secret", q.body, q.signature), "bad signature %s",
              q.signature);
    json_t *j = wait_runs_done(&d, "pay", 2, 20);
    json_t *runs = json_object_get(j, "runs");
    cr_assert_eq(json_array_size(runs), 2);
    /* Newest first: the skipped run, then the delivered one. */
    json_t *skipped = json_array_get(runs, 0), *done = json_array_get(runs, 1);
    cr_assert_str_eq(json_string_value(json_object_get(skipped, "status")), "skipped");
    cr_assert_str_eq(json_string_value(json_object_get(skipped, "condition")), "false");
    cr_assert_str_eq(json_string_value(json_object_get(done, "status")), "delivered");
    json_t *step = json_object_get(json_object_get(done, "steps"), "notify");
    cr_assert_eq(json_integer_value(json_object_get(step, "http_status")), 200);
    json_decref(j);
    sleep_ms(300);
    cr_assert_eq(rt_receiver_count(rx), 1, "nothing else may be sent");
    au_rt_resp r = {0};
    au_rt_admin(&d, "GET", "/metrics", NULL, &r);
    cr_assert(strstr(r.body, "aurum_flow_deliveries_total{flow=\"pay\"} 1"), "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

/* Polls /metrics until the sample `name` reaches `want` (or timeout_s passes); its value. */
static long wait_metric(au_rt_daemon *d, const char *name, long want, int timeout_s)
{
    long v = -1;
    for (int i = 0; i < timeout_s * 10 && v < want; i++) {
        au_rt_resp r = {0};
        cr_assert_eq(au_rt_admin(d, "GET", "/metrics", NULL, &r), 200);
        const char *at = strstr(r.body, name);
        v = at ? strtol(at + strlen(name), NULL, 10) : -1;
        au_rt_resp_cleanup(&r);
        if (v < want)
            sleep_ms(100);
    }
    return v;
}

static const char retry_fast[] = "retry: {max_attempts: 100, backoff_ms: 50, max_backoff_ms: 400}\n"
                                 "concurrency: 4\n";

/* Every event e0..e{n-1} was accepted exactly under its own key (duplicates only with it). */
static void assert_all_delivered(rt_receiver *rx, const char *flow, int n)
{
    cr_assert_eq(rt_receiver_distinct_ok(rx), n);
    for (int i = 0; i < rt_receiver_count(rx); i++) {
        rt_request q;
        char want[128];
        rt_receiver_get(rx, i, &q);
        int ok = 0;
        for (int k = 0; k < n && !ok; k++) {
            snprintf(want, sizeof(want), "%s/event:billing/e%d/notify", flow, k);
            ok = !strcmp(q.idempotency_key, want);
        }
        cr_assert(ok, "unexpected key %s", q.idempotency_key);
    }
}

Test(flows, target_down_for_a_while_loses_nothing, .timeout = 120)
{
    au_rt_daemon d;
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    put_http_flow(&d, "down", "payment", rt_receiver_port(rx), retry_fast);
    rt_receiver_down(rx);
    for (int i = 0; i < 20; i++) {
        char id[16], cust[16];
        snprintf(id, sizeof(id), "e%d", i);
        snprintf(cust, sizeof(cust), "C%d", i % 5); /* 5 partitions of 4 ordered events */
        post_event(&d, "payment", id, cust, 10 + i);
    }
    /* Several failed attempts: wait until every customer's head payment was retried twice
     * (the later ones wait behind it), not for a guessed time. */
    cr_assert_geq(wait_metric(&d, "aurum_flow_retries_total{flow=\"down\"}", 10, 60), 10);
    cr_assert_eq(rt_receiver_count(rx), 0);
    cr_assert_eq(rt_receiver_up(rx), 0);
    json_t *j = wait_runs_done(&d, "down", 20, 60);
    json_t *run;
    size_t k;
    long attempts = 0;
    json_array_foreach(json_object_get(j, "runs"), k, run)
    {
        cr_assert_str_eq(json_string_value(json_object_get(run, "status")), "delivered");
        attempts += (long)json_integer_value(json_object_get(run, "attempts"));
    }
    json_decref(j);
    /* The first of each customer's payments was retried; the later ones waited their turn. */
    cr_assert_gt(attempts, 20);
    assert_all_delivered(rx, "down", 20);
    /* Per-partition order: a customer's payments arrive in the order they happened. */
    int last[5] = {-1, -1, -1, -1, -1};
    for (int i = 0; i < rt_receiver_count(rx); i++) {
        rt_request q;
        rt_receiver_get(rx, i, &q);
        int e = atoi(strrchr(q.url, 'e') + 1);
        cr_assert_geq(e, last[e % 5], "e%d arrived after e%d", e, last[e % 5]);
        last[e % 5] = e;
    }
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

Test(flows, retry_after_of_429_is_honoured, .timeout = 60)
{
    au_rt_daemon d;
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    /* backoff 1 ms: only the target's Retry-After can make the second attempt wait. */
    put_http_flow(&d, "limited", "payment", rt_receiver_port(rx),
                  "retry: {max_attempts: 5, backoff_ms: 1, max_backoff_ms: 2}\n");
    rt_receiver_answer(rx, 429, "2", 0);
    post_event(&d, "payment", "e0", "C1", 5);
    cr_assert_eq(rt_receiver_wait(rx, 1, 20), 1);
    rt_receiver_answer(rx, 200, NULL, 0);
    cr_assert_eq(rt_receiver_wait(rx, 2, 20), 2);
    rt_request a, b;
    rt_receiver_get(rx, 0, &a);
    rt_receiver_get(rx, 1, &b);
    cr_assert_str_eq(a.idempotency_key, b.idempotency_key);
    cr_assert_geq(b.at_ms - a.at_ms, 1900, "retried after %lld ms", b.at_ms - a.at_ms);
    json_t *j = wait_runs_done(&d, "limited", 1, 20);
    json_t *run = json_array_get(json_object_get(j, "runs"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(run, "status")), "delivered");
    cr_assert_eq(json_integer_value(json_object_get(run, "attempts")), 2);
    json_decref(j);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

Test(flows, permanent_error_goes_to_dead_letters_and_replays, .timeout = 60)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    put_http_flow(&d, "dl", "payment", rt_receiver_port(rx), retry_fast);
    rt_receiver_answer(rx, 422, NULL, 0);
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof(id), "e%d", i);
        post_event(&d, "payment", id, id, 7);
    }
    json_t *j = wait_runs_done(&d, "dl", 3, 20);
    json_decref(j);
    cr_assert_eq(rt_receiver_count(rx), 3, "4xx must not be retried");
    j = get_json(&d, "/v1/deadletters?flow=dl");
    json_t *dls = json_object_get(j, "deadletters");
    cr_assert_eq(json_array_size(dls), 3);
    json_t *dl = json_array_get(dls, 2); /* the oldest: e0 */
    cr_assert(strstr(json_string_value(json_object_get(dl, "reason")), "permanent failure"));
    cr_assert_eq(
        json_integer_value(json_object_get(json_object_get(dl, "response"), "http_status")), 422);
    const char *url = json_string_value(json_object_get(json_object_get(dl, "request"), "url"));
    cr_assert(url && strstr(url, "/pay/e"), "request kept: %s", url);
    json_int_t first = json_integer_value(json_object_get(dl, "id"));
    json_decref(j);
    /* The target is fixed: replay one, then the rest in bulk. */
    rt_receiver_answer(rx, 200, NULL, 0);
    char path[64];
    snprintf(path, sizeof(path), "/v1/deadletters/%lld/replay", (long long)first);
    cr_assert_eq(au_rt_admin(&d, "POST", path, NULL, &r), 202, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "POST", path, NULL, &r), 409, "second replay: %s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/deadletters/replay", "{\"flow\":\"dl\"}", &r), 202);
    j = au_rt_json(&r);
    cr_assert_eq(json_integer_value(json_object_get(j, "replayed")), 2);
    json_decref(j);
    au_rt_resp_cleanup(&r);
    j = wait_runs_done(&d, "dl", 3, 20);
    json_t *run;
    size_t k;
    json_array_foreach(json_object_get(j, "runs"), k, run)
    {
        cr_assert_str_eq(json_string_value(json_object_get(run, "status")), "delivered");
    }
    json_decref(j);
    assert_all_delivered(rx, "dl", 3);
    j = get_json(&d, "/v1/deadletters?flow=dl");
    cr_assert_eq(json_array_size(json_object_get(j, "deadletters")), 0, "all replayed");
    json_decref(j);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

/* Per-customer order is kept per flow: a customer's deliveries to a target that is down (and
 * waiting a minute for its retry) do not hold that customer's deliveries of another flow. */
Test(flows, a_down_target_holds_only_its_own_flows_deliveries, .timeout = 60)
{
    au_rt_daemon d;
    rt_receiver *down = rt_receiver_start(0), *up = rt_receiver_start(0);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    rt_receiver_answer(down, 503, NULL, 0);
    put_http_flow(&d, "a-slow", "payment", rt_receiver_port(down),
                  "retry: {max_attempts: 10, backoff_ms: 60000, max_backoff_ms: 60000}\n");
    put_http_flow(&d, "b-fast", "payment", rt_receiver_port(up), NULL);
    post_event(&d, "payment", "o1", "B9", 5);
    cr_assert_eq(rt_receiver_wait(down, 1, 20), 1, "the down target was tried");
    post_event(&d, "payment", "o2", "B9", 6);
    cr_assert_eq(rt_receiver_wait(up, 2, 20), 2,
                 "the other flow delivered both payments of the customer meanwhile");
    json_decref(wait_runs_done(&d, "b-fast", 2, 20));
    cr_assert_eq(rt_receiver_count(down), 1, "the down target waits for its retry, in order");
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(down);
    rt_receiver_free(up);
}

Test(flows, pending_deliveries_survive_kill_9, .timeout = 120)
{
    au_rt_daemon d;
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    put_http_flow(&d, "k9", "payment", rt_receiver_port(rx), retry_fast);
    rt_receiver_down(rx);
    for (int i = 0; i < 10; i++) {
        char id[16];
        snprintf(id, sizeof(id), "e%d", i);
        post_event(&d, "payment", id, id, 1);
    }
    au_rt_kill9(&d);
    cr_assert_eq(rt_receiver_up(rx), 0);
    cr_assert_eq(au_rt_restart(&d), 0);
    json_t *j = wait_runs_done(&d, "k9", 10, 60);
    cr_assert_eq(json_array_size(json_object_get(j, "runs")), 10);
    json_decref(j);
    assert_all_delivered(rx, "k9", 10);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

Test(flows, a_flows_own_write_does_not_trigger_it_again, .timeout = 60)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/crm",
                             "{\"record_id\":\"id\",\"fields\":{\"first_name\":\"first\","
                             "\"email\":\"email\"}}",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    /* Two-way sync that stamps every change it sees: without loop prevention each write it
     * makes would be a new change, forever. */
    put_flow(&d, "stamp",
             "trigger: {profile: [created, updated]}\n"
             "steps:\n  - upsert_record:\n      source: crm\n"
             "      record_id: \"{{ record.record_id }}\"\n"
             "      fields:\n        first: \"{{ record.first_name }}\"\n"
             "        email: \"{{ record.email }}\"\n"
             "        stamped_at: \"{{ now() }}\"\n");
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/crm/records",
                             "[{\"id\":\"c1\",\"first\":\"Ann\",\"email\":\"ann@example.com\"}]",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    json_t *j = wait_runs_done(&d, "stamp", 1, 20);
    json_decref(j);
    sleep_ms(1000); /* room for a loop to show itself */
    j = wait_runs_done(&d, "stamp", 1, 20);
    json_t *runs = json_object_get(j, "runs");
    cr_assert_eq(json_array_size(runs), 1, "the flow re-triggered itself: %zu runs",
                 json_array_size(runs));
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(runs, 0), "status")),
                     "delivered");
    json_decref(j);
    j = get_json(&d, "/v1/sources/crm/records/c1");
    char *txt = json_dumps(j, JSON_COMPACT);
    cr_assert(strstr(txt, "stamped_at"), "the flow's write is there: %s", txt);
    free(txt);
    json_decref(j);
    /* A change from elsewhere still triggers it. */
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/crm/records",
                             "[{\"id\":\"c1\",\"first\":\"Anne\",\"email\":\"ann@example.com\"}]",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    j = wait_runs_done(&d, "stamp", 2, 20);
    cr_assert_eq(json_array_size(json_object_get(j, "runs")), 2);
    json_decref(j);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}

/* Sets the daemon's flow clock `ms` ahead of real time through its `clock: {offset_file}`:
 * written under a temporary name and renamed, so the daemon never reads half a number. */
static void set_clock_offset(const au_rt_daemon *d, long long ms)
{
    char tmp[320], path[320];
    snprintf(tmp, sizeof(tmp), "%s/clock.offset.tmp", d->dir);
    snprintf(path, sizeof(path), "%s/clock.offset", d->dir);
    FILE *f = fopen(tmp, "w");
    cr_assert_not_null(f);
    fprintf(f, "%lld\n", ms);
    cr_assert_eq(fclose(f), 0);
    cr_assert_eq(rename(tmp, path), 0);
}

Test(flows, schedule_fires, .timeout = 120)
{
    au_rt_daemon d;
    rt_receiver *rx = rt_receiver_start(0);
    char yaml[1024];
    /* The test moves the daemon's clock a minute at a time instead of waiting for minutes. */
    cr_assert_eq(au_rt_start(&d, "clock: {offset_file: clock.offset}\n"), 0);
    snprintf(yaml, sizeof(yaml),
             "trigger: {schedule: {cron: \"* * * * *\", timezone: Europe/London}}\n"
             "steps:\n  - http:\n      url: \"http://127.0.0.1:%d/tick\"\n"
             "      body: {at: \"{{ schedule.at }}\"}\n",
             rt_receiver_port(rx));
    put_flow(&d, "tick", yaml);
    /* Each minute passed is at most one firing; a minute the scheduler had not yet counted
     * from (it had not seen the flow) only makes the next minute count. */
    long long offset = 0;
    for (int minutes = 0; minutes < 20 && rt_receiver_count(rx) < 3; minutes++) {
        offset += 60000;
        set_clock_offset(&d, offset);
        rt_receiver_wait(rx, rt_receiver_count(rx) + 1, 5);
    }
    cr_assert_geq(rt_receiver_count(rx), 3);
    rt_request a, b;
    rt_receiver_get(rx, 0, &a);
    rt_receiver_get(rx, 1, &b);
    cr_assert_str_neq(a.idempotency_key, b.idempotency_key, "each firing is its own run");
    cr_assert(strstr(a.idempotency_key, "tick/schedule:"), "%s", a.idempotency_key);
    cr_assert_str_neq(a.body, b.body, "each firing has its own minute");
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

/* POSTs body to the flow's webhook with the headers (NULL-terminated, may be NULL). */
static long hook(au_rt_daemon *d, const char *flow, const char *const *hdrs, const char *body)
{
    char path[128];
    au_rt_resp r = {0};
    snprintf(path, sizeof(path), "/v1/hooks/%s", flow);
    long st = au_rt_request_h(d, "POST", path, hdrs, NULL, body, strlen(body), NULL, &r);
    au_rt_resp_cleanup(&r);
    return st;
}

Test(flows, webhook_checks_its_secret, .timeout = 60)
{
    au_rt_daemon d;
    rt_receiver *rx = rt_receiver_start(0);
    char yaml[1024], ts[64];
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    snprintf(yaml, sizeof(yaml),
             "trigger: {webhook: {secret: \"hook-secret-0123456789\"}}\n"
             "steps:\n  - http:\n      url: \"http://127.0.0.1:%d/hooked/{{ webhook.order }}\"\n"
             "      body: {order: \"{{ webhook.order }}\"}\n",
             rt_receiver_port(rx));
    put_flow(&d, "hooked", yaml);
    snprintf(ts, sizeof(ts), "X-Aurum-Timestamp: %lld", (long long)time(NULL));
    const char *none[] = {ts, NULL};
    const char *wrong[] = {ts, "X-Aurum-Secret: wrong-secret-0123456", NULL};
    const char *plain[] = {ts, "X-Aurum-Secret: hook-secret-0123456789", NULL};
    const char *no_ts[] = {"X-Aurum-Secret: hook-secret-0123456789", NULL};
    cr_assert_eq(hook(&d, "hooked", none, "{\"order\":\"o0\"}"), 401);
    cr_assert_eq(hook(&d, "hooked", wrong, "{\"order\":\"o1\"}"), 401);
    cr_assert_eq(hook(&d, "hooked", no_ts, "{\"order\":\"o2\"}"), 401, "a timestamp is required");
    cr_assert_eq(hook(&d, "hooked", plain, "{\"order\":\"o2\"}"), 202);
    /* HMAC of "timestamp.body" instead of the secret itself. */
    const char *body = "{\"order\":\"o3\"}";
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char hex[2 * sizeof(mac) + 1], hdr[128], signed_text[256];
    cr_assert(sodium_init() >= 0);
    snprintf(signed_text, sizeof(signed_text), "%s.%s", ts + strlen("X-Aurum-Timestamp: "), body);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)"hook-secret-0123456789", 22);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)signed_text, strlen(signed_text));
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
    snprintf(hdr, sizeof(hdr), "X-Aurum-Signature: sha256=%s", hex);
    const char *sig[] = {ts, hdr, NULL};
    cr_assert_eq(hook(&d, "hooked", sig, body), 202);
    cr_assert_eq(hook(&d, "hooked", sig, body), 401, "a replayed call is refused");
    cr_assert_eq(rt_receiver_wait(rx, 2, 20), 2);
    sleep_ms(300);
    cr_assert_eq(rt_receiver_count(rx), 2, "rejected calls must not deliver");
    for (int i = 0; i < 2; i++) {
        rt_request q;
        rt_receiver_get(rx, i, &q);
        cr_assert(!strcmp(q.url, "/hooked/o2") || !strcmp(q.url, "/hooked/o3"), "%s", q.url);
    }
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

Test(flows, dry_run_sends_nothing, .timeout = 60)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    put_http_flow(&d, "dry", "payment", rt_receiver_port(rx), NULL);
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/flows/dry/test",
                             "{\"event\":{\"id\":\"t1\",\"properties\":{\"amount\":42},"
                             "\"customer\":{\"record\":\"B7\"}}}",
                             &r),
                 200, "%s", r.body);
    json_t *j = au_rt_json(&r);
    au_rt_resp_cleanup(&r);
    cr_assert(json_is_true(json_object_get(j, "condition")));
    json_t *send = json_object_get(json_array_get(json_object_get(j, "steps"), 0), "would_send");
    char want[128];
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/pay/t1", rt_receiver_port(rx));
    cr_assert_str_eq(json_string_value(json_object_get(send, "url")), want);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(send, "body"), "amount")), 42);
    cr_assert_str_eq(json_string_value(json_object_get(send, "secret")), "********");
    json_decref(j);
    sleep_ms(300);
    cr_assert_eq(rt_receiver_count(rx), 0, "a dry run sends nothing");
    j = get_json(&d, "/v1/flows/dry/runs");
    cr_assert_eq(json_array_size(json_object_get(j, "runs")), 0, "and records no run");
    json_decref(j);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

/* POSTs `body` to /v1/flows/{flow}/test, asserts the status, returns the parsed answer. */
static json_t *dry_run(au_rt_daemon *d, const char *flow, const char *body, long want)
{
    au_rt_resp r = {0};
    char path[128];
    snprintf(path, sizeof(path), "/v1/flows/%s/test", flow);
    long st =
        au_rt_request(d, "POST", path, "application/json", body, strlen(body), d->admin_key, &r);
    cr_assert_eq(st, want, "POST %s %s: %ld %s", path, body, st, r.body);
    json_t *j = au_rt_json(&r);
    au_rt_resp_cleanup(&r);
    cr_assert_not_null(j);
    return j;
}

Test(flows, dry_run_samples_the_latest_matching_event, .timeout = 60)
{
    au_rt_daemon d;
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_not_null(rx);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    /* Stored before the flow exists, so they start no run: only the sample can reach them. */
    post_event(&d, "payment", "p1", "B1", 10);
    post_event(&d, "payment", "p2", "B2", 77);
    post_event(&d, "refund", "r1", "B3", 5); /* newer, but not the trigger's type */
    put_http_flow(&d, "sampled", "payment", rt_receiver_port(rx), NULL);
    const char *bodies[] = {"", "{}", "{\"sample\": true}"};
    for (size_t i = 0; i < 3; i++) {
        json_t *j = dry_run(&d, "sampled", bodies[i], 200);
        json_t *sampled = json_object_get(j, "sampled");
        cr_assert_str_eq(json_string_value(json_object_get(sampled, "event")), "p2", "body '%s'",
                         bodies[i]);
        cr_assert_str_eq(json_string_value(json_object_get(sampled, "source")), "billing");
        cr_assert(json_is_true(json_object_get(j, "condition")));
        json_t *send =
            json_object_get(json_array_get(json_object_get(j, "steps"), 0), "would_send");
        char want[128];
        snprintf(want, sizeof(want), "http://127.0.0.1:%d/pay/p2", rt_receiver_port(rx));
        cr_assert_str_eq(json_string_value(json_object_get(send, "url")), want);
        json_t *body = json_object_get(send, "body");
        cr_assert_eq(json_integer_value(json_object_get(body, "amount")), 77);
        cr_assert_str_eq(json_string_value(json_object_get(body, "customer")), "B2");
        json_decref(j);
    }
    /* A given context is used as it is, not sampled. */
    json_t *j =
        dry_run(&d, "sampled", "{\"event\":{\"id\":\"g1\",\"properties\":{\"amount\":3}}}", 200);
    cr_assert_null(json_object_get(j, "sampled"));
    json_decref(j);
    /* Nothing stored of the type: 404; a webhook flow has nothing to sample: 400. */
    put_http_flow(&d, "nothing", "chargeback", rt_receiver_port(rx), NULL);
    json_decref(dry_run(&d, "nothing", "{}", 404));
    put_flow(&d, "hooked",
             "trigger:\n  webhook: {secret: \"0123456789abcdef-secret\"}\n"
             "steps:\n  - id: s\n    http: {url: \"http://127.0.0.1:1/x\"}\n");
    j = dry_run(&d, "hooked", "", 400);
    char *text = json_dumps(j, 0);
    cr_assert(text && strstr(text, "webhook trigger"), "the answer says why: %s", text);
    free(text);
    json_decref(j);
    sleep_ms(300);
    cr_assert_eq(rt_receiver_count(rx), 0, "a sampled dry run sends nothing");
    j = get_json(&d, "/v1/flows/sampled/runs");
    cr_assert_eq(json_array_size(json_object_get(j, "runs")), 0, "and records no run");
    json_decref(j);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

Test(flows, dry_run_samples_the_latest_changed_profile, .timeout = 60)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/crm",
                             "{\"record_id\":\"id\",\"fields\":{\"first_name\":\"first\","
                             "\"email\":\"email\"}}",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    const char *recs[] = {"[{\"id\":\"c1\",\"first\":\"Ann\",\"email\":\"ann@example.com\"}]",
                          "[{\"id\":\"c2\",\"first\":\"Bob\",\"email\":\"bob@example.com\"}]"};
    for (size_t i = 0; i < 2; i++) {
        cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/crm/records", recs[i], &r), 200, "%s",
                     r.body);
        au_rt_resp_cleanup(&r);
    }
    put_flow(&d, "greet",
             "trigger: {profile: [created, updated]}\n"
             "steps:\n  - file:\n      path: /dev/null\n"
             "      body: {name: \"{{ record.first_name }}\", who: \"{{ profile.email }}\"}\n");
    json_t *j = dry_run(&d, "greet", "", 200);
    json_t *sampled = json_object_get(j, "sampled");
    cr_assert_gt(json_integer_value(json_object_get(sampled, "profile")), 0);
    json_t *send = json_object_get(json_array_get(json_object_get(j, "steps"), 0), "would_send");
    json_t *body = json_object_get(send, "body");
    cr_assert_str_eq(json_string_value(json_object_get(body, "name")), "Bob");
    cr_assert_str_eq(json_string_value(json_object_get(body, "who")), "bob@example.com");
    json_decref(j);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}

/* The console's "test against this customer / this event": {"sample": {"profile": ID}} takes
 * the customer's newest matching event (event trigger) or the customer itself (profile
 * trigger); {"sample": {"source", "event"}} takes that stored event. */
Test(flows, dry_run_takes_a_chosen_customer_or_event, .timeout = 60)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/billing",
                             "{\"record_id\":\"id\",\"fields\":{\"first_name\":\"first\","
                             "\"last_name\":\"last\",\"email\":\"email\"}}",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/billing/records",
                             "[{\"id\":\"B1\",\"first\":\"Ann\",\"last\":\"Lee\",\"email\":"
                             "\"ann@example.com\"},{\"id\":\"B2\",\"first\":\"Bob\",\"last\":"
                             "\"Roe\",\"email\":\"bob@example.org\"}]",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    post_event(&d, "payment", "p1", "B1", 10);
    post_event(&d, "payment", "p2", "B2", 77);
    post_event(&d, "payment", "p3", "B1", 5);
    put_http_flow(&d, "chosen", "payment", 1, NULL);
    json_t *j = get_json(&d, "/v1/sources/billing/records/B2/profile");
    json_int_t bob = json_integer_value(json_object_get(j, "profile"));
    json_decref(j);
    char body[256];
    snprintf(body, sizeof(body), "{\"sample\":{\"profile\":%lld}}", (long long)bob);
    j = dry_run(&d, "chosen", body, 200);
    cr_assert_str_eq(rt_str_at(j, "sampled", "event", NULL), "p2", "Bob's payment, not the newest");
    json_t *send = json_object_get(json_array_get(json_object_get(j, "steps"), 0), "would_send");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(send, "body"), "amount")), 77);
    json_decref(j);
    j = dry_run(&d, "chosen", "{\"sample\":{\"source\":\"billing\",\"event\":\"p1\"}}", 200);
    cr_assert_str_eq(rt_str_at(j, "sampled", "event", NULL), "p1");
    send = json_object_get(json_array_get(json_object_get(j, "steps"), 0), "would_send");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(send, "body"), "amount")), 10);
    json_decref(j);
    json_decref(
        dry_run(&d, "chosen", "{\"sample\":{\"source\":\"billing\",\"event\":\"nope\"}}", 404));
    json_decref(dry_run(&d, "chosen", "{\"sample\":{\"profile\":\"x\"}}", 400));
    json_decref(dry_run(&d, "chosen", "{\"sample\":{\"profile\":999999}}", 404));

    /* a profile trigger: the chosen customer as if its record had just changed */
    put_flow(&d, "hello",
             "trigger: {profile: [created, updated]}\n"
             "steps:\n  - file:\n      path: /dev/null\n"
             "      body: {name: \"{{ record.first_name }}\", who: \"{{ profile.email }}\"}\n");
    j = dry_run(&d, "hello", body, 200);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "sampled"), "profile")),
                 bob);
    send = json_object_get(json_array_get(json_object_get(j, "steps"), 0), "would_send");
    cr_assert_str_eq(rt_str_at(send, "body", "name", NULL), "Bob");
    cr_assert_str_eq(rt_str_at(send, "body", "who", NULL), "bob@example.org");
    json_decref(j);
    json_decref(
        dry_run(&d, "hello", "{\"sample\":{\"source\":\"billing\",\"event\":\"p1\"}}", 400));
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}

Test(flows, invalid_definition_names_line_and_column, .timeout = 30)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    const char *bad = "trigger:\n  event: {type: payment}\n"
                      "condition: event.amount >\n"
                      "steps:\n  - http: {url: \"ftp://x\"}\n";
    long st = au_rt_request(&d, "PUT", "/v1/flows/bad", "application/yaml", bad, strlen(bad),
                            d.admin_key, &r);
    cr_assert_eq(st, 400, "%s", r.body);
    cr_assert(strstr(r.body, "flow \\\"bad\\\": line 3, column"), "%s", r.body);
    cr_assert(strstr(r.body, "line 5"), "every error is reported: %s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/flows/bad", NULL, &r), 404);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}

/* The shipped Northwind flow file with its target host pointed at the receiver. */
static char *northwind_flow(const char *file, const char *host, int port)
{
    char path[256], *text = NULL, *out = NULL;
    snprintf(path, sizeof(path), "docs/flows/%s", file);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s (run the tests from the repository root)", path);
    size_t cap = 1 << 16, n = 0;
    text = calloc(1, cap);
    n = fread(text, 1, cap - 1, f);
    fclose(f);
    text[n] = '\0';
    char target[64];
    snprintf(target, sizeof(target), "127.0.0.1:%d", port);
    out = calloc(1, cap * 2);
    size_t o = 0, tl = strlen(target), hl = strlen(host);
    for (const char *p = text; *p && o + tl < cap * 2 - 1;) {
        if (!strncmp(p, host, hl)) {
            memcpy(out + o, target, tl);
            o += tl;
            p += hl;
        } else {
            out[o++] = *p++;
        }
    }
    free(text);
    return out;
}

Test(flows, northwind_payment_closes_the_dunning_case, .timeout = 60)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    const char *def = "{\"record_id\":\"id\",\"fields\":{\"first_name\":\"first\",\"last_name\":"
                      "\"last\",\"email\":\"email\"}}";
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/billing", def, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/collections", def, &r), 200);
    au_rt_resp_cleanup(&r);
    char *yaml = northwind_flow("payment-closes-dunning.yaml", "collections.northwind.test",
                                rt_receiver_port(rx));
    put_flow(&d, "payment-closes-dunning", yaml);
    free(yaml);
    const char *rec = "[{\"id\":\"%s\",\"first\":\"Ada\",\"last\":\"Lovelace\",\"email\":"
                      "\"ada@example.com\"}]";
    char body[512];
    snprintf(body, sizeof(body), rec, "B1");
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/billing/records", body, &r), 200);
    au_rt_resp_cleanup(&r);
    snprintf(body, sizeof(body), rec, "K7");
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/collections/records", body, &r), 200);
    au_rt_resp_cleanup(&r);
    /* A payment before any dunning case: the condition is false, nothing is sent. */
    post_event(&d, "payment", "pay0", "B1", 20);
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/events",
                             "{\"source\":\"collections\",\"event_id\":\"dun1\",\"type\":"
                             "\"dunning_case_opened\",\"customer\":{\"source\":\"collections\","
                             "\"record\":\"K7\"}}",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    post_event(&d, "payment", "pay1", "B1", 50);
    cr_assert_eq(rt_receiver_wait(rx, 1, 20), 1);
    rt_request q;
    rt_receiver_get(rx, 0, &q);
    cr_assert_str_eq(q.url, "/api/customers/K7/dunning/close");
    cr_assert_str_eq(q.idempotency_key, "payment-pay1");
    json_t *b = json_loads(q.body, 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(b, "payment_id")), "pay1");
    cr_assert_eq(json_integer_value(json_object_get(b, "amount")), 50);
    json_decref(b);
    json_t *j = wait_runs_done(&d, "payment-closes-dunning", 2, 20);
    json_t *runs = json_object_get(j, "runs");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(runs, 1), "condition")),
                     "false");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(runs, 0), "status")),
                     "delivered");
    json_decref(j);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

Test(flows, northwind_complaint_is_enriched_with_the_golden_profile, .timeout = 60)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    const char *def = "{\"record_id\":\"id\",\"fields\":{\"first_name\":\"first\",\"last_name\":"
                      "\"last\",\"email\":\"email\"}}";
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/billing", def, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    char *yaml =
        northwind_flow("complaint-to-support.yaml", "support.northwind.test", rt_receiver_port(rx));
    put_flow(&d, "complaint-to-support", yaml);
    free(yaml);
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/billing/records",
                             "[{\"id\":\"B1\",\"first\":\"Ada\",\"last\":\"Lovelace\","
                             "\"email\":\"ada@example.com\"}]",
                             &r),
                 200);
    au_rt_resp_cleanup(&r);
    post_event(&d, "payment", "pay1", "B1", 50);
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/events",
                             "{\"source\":\"billing\",\"event_id\":\"t1\",\"type\":"
                             "\"ticket_opened\",\"customer\":{\"source\":\"billing\",\"record\":"
                             "\"B1\"},\"properties\":{\"ticket_id\":\"T9\",\"subject\":"
                             "\"Complaint: charged twice\"}}",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(rt_receiver_wait(rx, 1, 20), 1);
    rt_request q;
    rt_receiver_get(rx, 0, &q);
    cr_assert_str_eq(q.url, "/api/tickets/T9/context");
    json_t *b = json_loads(q.body, 0, NULL);
    json_t *c = json_object_get(b, "customer");
    /* Golden values are addressed as profile.full_name, profile.email in the flow. */
    cr_assert_str_eq(json_string_value(json_object_get(c, "name")), "Ada Lovelace", "%s", q.body);
    cr_assert_str_eq(json_string_value(json_object_get(c, "email")), "ada@example.com");
    cr_assert_eq(json_array_size(json_object_get(b, "last_payments")), 1, "%s", q.body);
    json_decref(b);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

Test(flows, sighup_reloads_the_configuration_flows, .timeout = 60)
{
    au_rt_daemon d;
    rt_receiver *rx = rt_receiver_start(0);
    char cfg[1024];
    au_rt_resp r = {0};
    snprintf(cfg, sizeof(cfg),
             "flows:\n  - name: from-config\n    trigger: {event: payment}\n"
             "    steps:\n      - http: {url: \"http://127.0.0.1:%d/v1/{{ event.id }}\"}\n",
             rt_receiver_port(rx));
    cr_assert_eq(au_rt_start(&d, cfg), 0);
    json_t *j = get_json(&d, "/v1/flows/from-config");
    cr_assert_str_eq(json_string_value(json_object_get(j, "defined_in")), "config");
    json_decref(j);
    post_event(&d, "payment", "e1", "C1", 1);
    cr_assert_eq(rt_receiver_wait(rx, 1, 20), 1);
    /* The file now holds another flow: after SIGHUP the old one is gone, the new one runs. */
    snprintf(cfg, sizeof(cfg),
             "flows:\n  - name: reloaded\n    trigger: {event: payment}\n"
             "    steps:\n      - http: {url: \"http://127.0.0.1:%d/v2/{{ event.id }}\"}\n",
             rt_receiver_port(rx));
    cr_assert_eq(au_rt_write_config(&d, cfg), 0);
    kill(d.pid, SIGHUP);
    for (int i = 0; i < 100; i++) {
        if (au_rt_admin(&d, "GET", "/v1/flows/reloaded", NULL, &r) == 200) {
            au_rt_resp_cleanup(&r);
            break;
        }
        au_rt_resp_cleanup(&r);
        sleep_ms(50);
    }
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/flows/from-config", NULL, &r), 404);
    au_rt_resp_cleanup(&r);
    post_event(&d, "payment", "e2", "C1", 1);
    cr_assert_eq(rt_receiver_wait(rx, 2, 20), 2);
    rt_request q;
    rt_receiver_get(rx, 1, &q);
    cr_assert_str_eq(q.url, "/v2/e2");
    /* An invalid file leaves the running flows as they were. */
    cr_assert_eq(
        au_rt_write_config(
            &d, "flows:\n  - name: broken\n    trigger: {event: payment}\n    steps: []\n"),
        0);
    kill(d.pid, SIGHUP);
    sleep_ms(300);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/flows/reloaded", NULL, &r), 200);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}
