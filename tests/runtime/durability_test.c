/*
 * Durability: concurrent clients post records, the ids the daemon acknowledged are collected,
 * the daemon is killed with SIGKILL while they are still posting, and after a restart on the
 * same directory every acknowledged record must be readable. An acknowledgement means committed.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(durability, .fini = au_rt_cleanup_all);

#define CLIENTS     4
#define BATCH       5
#define MAX_BATCHES 2000
/* Acknowledged records after which the daemon is killed (the clients keep going). */
#define KILL_AFTER 200

typedef struct client {
    au_rt_daemon *d;
    int n;                /* client number, part of every record id */
    int acked_batches;    /* batches answered 200 */
    _Atomic int *total;   /* acknowledged records of all clients */
    _Atomic int *running; /* clients still posting */
} client;

static void *client_main(void *arg)
{
    client *c = arg;
    char body[2048];
    for (int b = 0; b < MAX_BATCHES; b++) {
        size_t n = (size_t)snprintf(body, sizeof(body), "[");
        for (int i = 0; i < BATCH; i++)
            n += (size_t)snprintf(body + n, sizeof(body) - n,
                                  "%s{\"id\":\"c%d-b%d-r%d\",\"first\":\"N%d\",\"email\":"
                                  "\"c%db%dr%d@example.com\"}",
                                  i ? "," : "", c->n, b, i, b, c->n, b, i);
        snprintf(body + n, sizeof(body) - n, "]");
        au_rt_resp r = {0};
        long st = au_rt_admin(c->d, "POST", "/v1/sources/crm/records", body, &r);
        au_rt_resp_cleanup(&r);
        if (st != 200)
            break; /* the daemon is gone; unacknowledged batches may or may not be there */
        c->acked_batches = b + 1;
        atomic_fetch_add(c->total, BATCH);
    }
    atomic_fetch_sub(c->running, 1);
    return NULL;
}

Test(durability, acknowledged_records_survive_kill_9, .timeout = 600)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    _Atomic int total = 0, running = CLIENTS;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/crm",
                             "{\"record_id\":\"id\",\"fields\":{\"first_name\":\"first\","
                             "\"email\":\"email\"}}",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    client cs[CLIENTS];
    pthread_t th[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        cs[i] = (client){&d, i, 0, &total, &running};
        pthread_create(&th[i], NULL, client_main, &cs[i]);
    }
    struct timespec tick = {0, 5 * 1000 * 1000};
    while (atomic_load(&total) < KILL_AFTER && atomic_load(&running) > 0)
        nanosleep(&tick, NULL);
    int before_kill = atomic_load(&total);
    au_rt_kill9(&d);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(th[i], NULL);
    cr_assert_geq(before_kill, KILL_AFTER, "the clients stopped before the kill (see %s)",
                  d.log_path);
    cr_assert_eq(au_rt_restart(&d), 0, "restart after kill -9 failed");
    int checked = 0;
    for (int c = 0; c < CLIENTS; c++)
        for (int b = 0; b < cs[c].acked_batches; b++)
            for (int i = 0; i < BATCH; i++) {
                char path[128];
                snprintf(path, sizeof(path), "/v1/sources/crm/records/c%d-b%d-r%d", c, b, i);
                long st = au_rt_admin(&d, "GET", path, NULL, &r);
                cr_assert_eq(st, 200, "acknowledged record %s lost (status %ld): %s", path, st,
                             r.body);
                au_rt_resp_cleanup(&r);
                checked++;
            }
    cr_assert_geq(checked, KILL_AFTER);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}
