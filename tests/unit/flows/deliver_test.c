/*
 * The delivery schedule end to end inside one process, timed by a manual clock: a real engine
 * with the flows hook, a real HTTP target on loopback that answers 503, and the dispatcher,
 * senders and recorder threads of src/flows/deliver.c. The clock never moves by itself, so
 * every due time is checked exactly: the first attempt goes out at once, the dispatcher holds
 * the row until precisely its recorded next attempt (not one millisecond earlier), the back-off
 * doubles, the last attempt leaves a dead letter dated by the clock, and a replay delivers once
 * the target is fixed. au_flows_deliver_pass waits for a whole dispatcher pass instead of a
 * time.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/engine.h"
#include "flows/flows.h"
#include "flows/flows_int.h"
#include "lib/clock.h"
#include "lib/isotime.h"
#include "../../support/receiver.h"
#include "../both.h"

/* 2030-03-17: far from the real clock, so a time taken from it would show. */
#define T0 1900000000000LL

static char dir[64];
static au_config cfg;
static au_engine *eng;
static au_flows *flows;
static au_manual_clock clk;
static rt_receiver *rx;
static const au_engine_hook *const hooks[] = {&au_flows_hook, NULL};

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void setup(void)
{
    au_err err;
    au_err_init(&err);
    snprintf(dir, sizeof(dir), "/tmp/aurum-deliver-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    memset(&cfg, 0, sizeof(cfg));
    cfg.data_dir = dir;
    cfg.group_commit_max = 64;
    cfg.doc = json_pack("{s:{s:[s]}}", "outbound", "allow", "loopback");
    cr_assert_eq(au_engine_open_at(&cfg, au_both_store(dir), dir, hooks, &eng, &err), AU_OK, "%s",
                 err.message);
    cr_assert_not_null(flows = au_flows_of(eng));
    au_manual_clock_init(&clk, T0);
    flows->clock = &clk.clock; /* before the threads start: they read it from then on */
    cr_assert_eq(au_flows_start(flows, &err), AU_OK, "%s", err.message);
    rx = rt_receiver_start(0);
    cr_assert_not_null(rx);
    au_err_cleanup(&err);
}

static void teardown(void)
{
    au_flows_stop(flows);
    au_engine_close(eng);
    rt_receiver_free(rx);
    json_decref(cfg.doc);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

AU_BOTH_SUITE(deliver, setup, teardown, .timeout = 60);

static void put_flow(const char *name)
{
    char yaml[1024];
    json_t *out = NULL;
    au_err err;
    au_err_init(&err);
    snprintf(yaml, sizeof(yaml),
             "trigger:\n  event: {type: payment}\n"
             "retry: {max_attempts: 3, backoff_ms: 60000, max_backoff_ms: 600000}\n"
             "steps:\n  - id: notify\n    http:\n"
             "      url: \"http://127.0.0.1:%d/pay/{{ event.id }}\"\n"
             "      body: {payment: \"{{ event.id }}\"}\n",
             rt_receiver_port(rx));
    cr_assert_eq(au_flows_put(flows, name, yaml, strlen(yaml), &out, &err), AU_OK, "%s",
                 err.message);
    json_decref(out);
    au_err_cleanup(&err);
}

static void post_payment(const char *id)
{
    au_event ev = {.source = "billing",
                   .event_id = (char *)id,
                   .type = "payment",
                   .at_ms = T0,
                   .customer = json_pack("{s:s}", "email", "ann@example.com"),
                   .properties = json_pack("{s:i}", "amount", 5)};
    au_write_summary sum;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_engine_write_events(eng, &ev, 1, "test", &sum, &err), AU_OK, "%s", err.message);
    json_decref(ev.customer);
    json_decref(ev.properties);
    au_err_cleanup(&err);
}

/* The only run of `flow` once its step has been recorded `attempts` times, with `status` when
 * not NULL (new reference). */
static json_t *run_when(const char *flow, long attempts, const char *status)
{
    au_runs_query q = {NULL, 0, 10, 0};
    for (;;) {
        json_t *out = NULL;
        au_err err;
        au_err_init(&err);
        cr_assert_eq(au_flows_runs(flows, flow, &q, &out, &err), AU_OK, "%s", err.message);
        au_err_cleanup(&err);
        json_t *runs = json_object_get(out, "runs");
        cr_assert_eq(json_array_size(runs), 1);
        json_t *run = json_incref(json_array_get(runs, 0));
        json_decref(out);
        json_t *step = json_object_get(json_object_get(run, "steps"), "notify");
        const char *st = json_string_value(json_object_get(step, "status"));
        if (json_integer_value(json_object_get(step, "attempts")) >= attempts &&
            (!status || (st && !strcmp(st, status))))
            return run;
        json_decref(run);
        sched_yield(); /* the recorder commits on its own thread */
    }
}

static int64_t iso_ms(const char *s)
{
    int64_t ms = 0;
    cr_assert_not_null(s);
    cr_assert_eq(au_iso8601_parse(s, strlen(s), &ms), AU_OK, "%s", s);
    return ms;
}

/* The next attempt the recorder wrote for the run's step after `attempts` tries. */
static int64_t next_attempt(json_t *run)
{
    json_t *step = json_object_get(json_object_get(run, "steps"), "notify");
    cr_assert_str_eq(json_string_value(json_object_get(step, "status")), "retrying");
    return iso_ms(json_string_value(json_object_get(step, "next_attempt_at")));
}

/* The outcome of a send is committed before the recorder drops the row from the in-flight set,
 * so a pass right after the run shows the outcome can still find the row in flight: held, with
 * no due time (INT64_MAX). Passes until the row is back under the outbox's schedule. */
static int64_t pass_settled(void)
{
    int64_t held = INT64_MAX;
    for (int i = 0; i < 500 && held == INT64_MAX; i++)
        held = au_flows_deliver_pass(flows);
    return held;
}

/* Moves the clock to `at` (never back). */
static void clock_to(int64_t at)
{
    int64_t now = au_clock_now_ms(&clk.clock);
    cr_assert_geq(at, now);
    au_manual_clock_advance(&clk, at - now);
}

AU_BOTH_TEST(deliver, retries_are_held_until_due_back_off_doubles_and_the_last_is_dead_lettered)
{
    rt_receiver_answer(rx, 503, NULL, 0);
    put_flow("pay");
    post_payment("p1");
    /* The first attempt is due at once. */
    au_flows_deliver_pass(flows);
    cr_assert_eq(rt_receiver_wait(rx, 1, 30), 1);
    json_t *run = run_when("pay", 1, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(run, "started_at")), "2030-03-17T17:46:40Z",
                     "the run is dated by the flows' clock");
    int64_t next1 = next_attempt(run);
    json_decref(run);
    /* backoff_ms 60000 for the first retry, jittered over its upper half */
    cr_assert(next1 >= T0 + 30000 && next1 <= T0 + 60000, "%lld", (long long)(next1 - T0));
    cr_assert_eq(pass_settled(), next1, "held exactly until its due time");
    clock_to(next1 - 1);
    cr_assert_eq(au_flows_deliver_pass(flows), next1, "one millisecond early is still held");
    cr_assert_eq(rt_receiver_count(rx), 1, "nothing was sent early");
    clock_to(next1);
    au_flows_deliver_pass(flows);
    cr_assert_eq(rt_receiver_wait(rx, 2, 30), 2);
    run = run_when("pay", 2, NULL);
    int64_t next2 = next_attempt(run);
    json_decref(run);
    /* doubled for the second retry: 120000, jittered over its upper half */
    cr_assert(next2 >= next1 + 60000 && next2 <= next1 + 120000, "%lld",
              (long long)(next2 - next1));
    cr_assert_eq(pass_settled(), next2);
    clock_to(next2);
    au_flows_deliver_pass(flows);
    cr_assert_eq(rt_receiver_wait(rx, 3, 30), 3);
    run = run_when("pay", 3, NULL);
    json_t *step = json_object_get(json_object_get(run, "steps"), "notify");
    cr_assert_str_eq(json_string_value(json_object_get(step, "status")), "dead");
    cr_assert_null(json_object_get(step, "next_attempt_at"), "no attempt after the last");
    json_decref(run);
    cr_assert_eq(au_flows_deliver_pass(flows), INT64_MAX, "nothing is held any more");
    cr_assert_eq(rt_receiver_count(rx), 3, "max_attempts: 3");

    json_t *dl = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_flows_deadletters(flows, "pay", 1, &dl, &err), AU_OK, "%s", err.message);
    json_t *letters = json_object_get(dl, "deadletters"), *letter = json_array_get(letters, 0);
    cr_assert_eq(json_array_size(letters), 1);
    cr_assert(strstr(json_string_value(json_object_get(letter, "reason")), "retries exhausted"));
    cr_assert_eq(iso_ms(json_string_value(json_object_get(letter, "created_at"))), next2,
                 "dead-lettered at the clock's time of the last attempt");
    int64_t id = (int64_t)json_integer_value(json_object_get(letter, "id"));
    json_decref(dl);

    /* Fixed target, replayed letter: due at once, delivered. */
    rt_receiver_answer(rx, 200, NULL, 0);
    cr_assert_eq(au_flows_replay(flows, id, &err), AU_OK, "%s", err.message);
    au_flows_deliver_pass(flows);
    cr_assert_eq(rt_receiver_wait(rx, 4, 30), 4);
    run = run_when("pay", 1, "delivered");
    step = json_object_get(json_object_get(run, "steps"), "notify");
    cr_assert_str_eq(json_string_value(json_object_get(step, "status")), "delivered");
    json_decref(run);
    au_err_cleanup(&err);
}

AU_BOTH_TEST(deliver, retry_after_of_the_target_sets_the_next_attempt)
{
    rt_receiver_answer(rx, 429, "120", 0);
    put_flow("pay");
    post_payment("p2");
    au_flows_deliver_pass(flows);
    cr_assert_eq(rt_receiver_wait(rx, 1, 30), 1);
    json_t *run = run_when("pay", 1, NULL);
    cr_assert_eq(next_attempt(run), T0 + 120000, "Retry-After: 120 replaces the back-off");
    json_decref(run);
    cr_assert_eq(pass_settled(), T0 + 120000);
}

static int count_leased(void *ctx, const au_outbox_row *row)
{
    if (row->claimed_by)
        ++*(int *)ctx;
    return 0;
}

/* A row being sent is leased in the store only where other nodes may take it too
 * (PostgreSQL): a SQLite store belongs to one process, and a lease there cost every delivery a
 * write through the writer before it went out. */
AU_BOTH_TEST(deliver, a_row_in_flight_is_leased_only_on_a_shared_store)
{
    rt_receiver_answer(rx, 200, NULL, 3000); /* holds the request while the outbox is read */
    put_flow("lease");
    post_payment("pay-lease");
    cr_assert_eq(rt_receiver_wait(rx, 1, 30), 1, "the delivery reached the receiver");
    au_store *st = au_engine_reader(eng);
    cr_assert_not_null(st);
    int leased = 0;
    cr_assert_eq(au_store_outbox_pending(st, 10, count_leased, &leased), AU_OK);
    au_engine_reader_release(eng, st);
    cr_assert_eq(leased, au_both_is_pg() ? 1 : 0, "%d leased rows while the delivery is in flight",
                 leased);
    json_decref(run_when("lease", 1, "delivered"));
}
