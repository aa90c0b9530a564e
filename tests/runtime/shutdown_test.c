/*
 * Black-box tests of the daemon's shutdown: SIGTERM at the moments where the delivery threads,
 * the writer and the flows' leases are busy — right after a flow is saved, right after a
 * delivery reached its target (its outcome being recorded), while a delivery waits for its
 * answer — must end in exit status 0, every time. A CI run once saw a daemon end abnormally at
 * SIGTERM after a flow delivered (secrets/a_flow_read_and_saved_back_keeps_its_hidden_values);
 * these rounds stop the daemon at that moment again and again, on the same data directory.
 * The cause was in the HTTP server's stop (src/api/http.c, accept_policy): libmicrohttpd aborted
 * when one of its event loops woke inside MHD_quiesce_daemon's window; clients connecting all
 * through the SIGTERM keep those loops awake. The window is short, so these rounds caught it
 * only now and then under load (once in 30 runs beside other suites); with that window widened
 * (an LD_PRELOAD delaying the main thread's epoll_ctl DEL by 50 ms) the old server aborted in
 * the first round (5 runs of 5), and the fixed one passed every round (3 runs of 3).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../support/receiver.h"
#include "flows_helpers.h"
#include "harness.h"

TestSuite(shutdown, .fini = au_rt_cleanup_all);

#define ROUNDS 8

/* A webhook flow like the one of the secrets test: a blocking file step, then an http step to
 * the receiver on the multi handle (the same partition: the second waits for the first). */
static void put_flow(au_rt_daemon *d, rt_receiver *rx)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "trigger: {webhook: {secret: \"hook-secret-0123456789\"}}\n"
             "retry: {max_attempts: 3, backoff_ms: 1}\n"
             "steps:\n  - id: audit\n    file: {path: /dev/null, body: {a: 1}}\n"
             "  - id: send\n    http:\n"
             "      url: \"http://127.0.0.1:%d/k\"\n"
             "      body: {order: \"{{ webhook.order }}\"}\n",
             rt_receiver_port(rx));
    rt_flow_put(d, "stopped", yaml);
}

static void fire(au_rt_daemon *d, int n)
{
    char ts[64], body[64];
    au_rt_resp r = {0};
    snprintf(ts, sizeof(ts), "X-Aurum-Timestamp: %lld", (long long)time(NULL));
    snprintf(body, sizeof(body), "{\"order\":\"o%d\"}", n);
    const char *h[] = {ts, "X-Aurum-Secret: hook-secret-0123456789", NULL};
    long st =
        au_rt_request_h(d, "POST", "/v1/hooks/stopped", h, NULL, body, strlen(body), NULL, &r);
    cr_assert_eq(st, 202, "webhook: %ld %s", st, r.body);
    au_rt_resp_cleanup(&r);
}

/* SIGTERM must end the daemon with status 0 (au_rt_stop reports anything else with the log's
 * tail), and it must start again on the same directory. */
static void stop_and_restart(au_rt_daemon *d, int round, const char *when)
{
    cr_assert_eq(au_rt_stop(d), 0, "round %d: SIGTERM %s did not end in exit 0", round, when);
    cr_assert_eq(au_rt_restart(d), 0, "round %d: no restart", round);
}

Test(shutdown, sigterm_while_flows_deliver_ends_in_exit_0, .timeout = 240)
{
    au_rt_daemon d;
    rt_receiver *rx = rt_receiver_start(0);
    cr_assert_not_null(rx);
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    for (int round = 0; round < ROUNDS; round++) {
        /* saved, then stopped at once: the new entry and its leases are fresh */
        put_flow(&d, rx);
        stop_and_restart(&d, round, "right after saving a flow");
        /* delivered, then stopped: the outcome is being recorded, the leases released */
        rt_receiver_answer(rx, 200, NULL, 0);
        int seen = rt_receiver_count(rx);
        fire(&d, 2 * round);
        cr_assert_geq(rt_receiver_wait(rx, seen + 1, 60), seen + 1, "round %d: no delivery", round);
        stop_and_restart(&d, round, "right after a delivery");
        /* a delivery waiting for its answer (503: retried later), then stopped */
        rt_receiver_answer(rx, 503, NULL, 200);
        seen = rt_receiver_count(rx);
        fire(&d, 2 * round + 1);
        cr_assert_geq(rt_receiver_wait(rx, seen + 1, 60), seen + 1, "round %d: no delivery", round);
        stop_and_restart(&d, round, "while a delivery waited for its answer");
    }
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    rt_receiver_free(rx);
}

/* Clients that open a new connection for every request, without pause, until told to stop: the
 * server's event loops keep waking up while the daemon stops. */
#define CLIENTS 4

typedef struct clients {
    au_rt_daemon d;        /* a copy of the test's daemon as started (its port is below) */
    _Atomic int port;      /* where to connect; 0 while the daemon restarts */
    _Atomic int stop;      /* the test is done */
    _Atomic long answered; /* requests answered 200 so far */
} clients;

static void *client_main(void *arg)
{
    clients *c = arg;
    struct timespec pause = {0, 1000000L}; /* while restarting: not a deadline */
    while (!atomic_load(&c->stop)) {
        au_rt_daemon d = c->d;
        au_rt_resp r = {0};
        if (!(d.port = atomic_load(&c->port))) {
            nanosleep(&pause, NULL);
            continue;
        }
        /* refused, reset or unanswered while the daemon stops: expected, not counted */
        if (au_rt_request(&d, "GET", "/healthz", NULL, NULL, 0, NULL, &r) == 200)
            atomic_fetch_add(&c->answered, 1);
        au_rt_resp_cleanup(&r);
    }
    return NULL;
}

/* Waits until the clients had more answers than `since` (they are connecting right now). */
static void wait_for_answers(clients *c, long since)
{
    struct timespec poll = {0, 2000000L}; /* between two looks, not a deadline */
    while (atomic_load(&c->answered) <= since)
        nanosleep(&poll, NULL);
}

Test(shutdown, sigterm_while_clients_connect_ends_in_exit_0, .timeout = 240)
{
    static clients c; /* shared with the client threads */
    au_rt_daemon d;
    pthread_t t[CLIENTS];
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    c.d = d;
    atomic_store(&c.port, d.port);
    for (int i = 0; i < CLIENTS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, client_main, &c), 0);
    for (int round = 0; round < 2 * ROUNDS; round++) {
        wait_for_answers(&c, atomic_load(&c.answered) + 4);
        int rc = au_rt_stop(&d);
        atomic_store(&c.port, 0);
        if (rc == 0)
            rc = au_rt_restart(&d) ? -2 : 0;
        atomic_store(&c.port, d.port);
        if (rc) {
            atomic_store(&c.stop, 1);
            for (int i = 0; i < CLIENTS; i++)
                pthread_join(t[i], NULL);
            cr_assert_fail("round %d: SIGTERM with clients connecting: %s", round,
                           rc == -2 ? "no restart" : "no exit 0 (the reason is above)");
        }
    }
    atomic_store(&c.stop, 1);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}
