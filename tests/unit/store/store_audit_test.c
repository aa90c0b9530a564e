/*
 * Store tests of the audit slots (store_sqlite_audit.c): appending and the head, the listing's
 * filters and cursor, the sweep that removes a prefix and leaves the anchor (so a chain built by
 * src/audit still verifies), and the run-history sweep that keeps runs with deliveries pending.
 * Each runs as store_audit/<name> on SQLite and store_audit_pg/<name> on PostgreSQL (pgsuite.h).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "store/store.h"

#include "pgsuite.h"

AU_STORE_BOTH(store_audit);

/* One body, two tests: store_audit/<name> (SQLite), store_audit_pg/<name> (PostgreSQL). */
#define CASE(name) AU_STORE_CASE(store_audit, name)

/* Appends entries 1..n at times 1000 * id, chained as src/audit chains them; entry i is of key
 * "key_<i % 2>", names profile i and record 100 + i. */
static void append_chain(int n)
{
    uint8_t prev[AU_AUDIT_HASH_LEN] = {0};
    char key[16], prof[16], rec[16];
    for (int i = 1; i <= n; i++) {
        snprintf(key, sizeof(key), "key_%d", i % 2);
        snprintf(prof, sizeof(prof), "[%d]", i);
        snprintf(rec, sizeof(rec), "[%d]", 100 + i);
        au_audit_row r = {.id = i,
                          .at_ms = 1000 * i,
                          .action = "read",
                          .key_id = key,
                          .client = "127.0.0.1",
                          .route = i == 3 ? "GET /v1/explain" : "GET /v1/profiles/{id}",
                          .profiles = prof,
                          .records = rec};
        au_audit_hash(prev, &r, r.hash);
        cr_assert_eq(au_store_audit_append(st, &r), AU_OK);
        memcpy(prev, r.hash, sizeof(prev));
    }
}

typedef struct ids {
    int64_t v[32];
    int n;
} ids;

static int collect(void *ctx, const au_audit_row *r)
{
    ids *x = ctx;
    x->v[x->n++] = r->id;
    return 0;
}

static ids list(au_audit_filter f)
{
    ids x = {0};
    if (!f.limit)
        f.limit = 32;
    cr_assert_eq(au_store_audit_list(st, &f, collect, &x), AU_OK);
    return x;
}

CASE(append_head_and_filters)
{
    int64_t head = -1;
    uint8_t h[AU_AUDIT_HASH_LEN];
    cr_assert_eq(au_store_audit_head(st, &head, h), AU_OK);
    cr_assert_eq(head, 0, "an empty log starts at 0");
    append_chain(6);
    cr_assert_eq(au_store_audit_head(st, &head, h), AU_OK);
    cr_assert_eq(head, 6);
    ids x = list((au_audit_filter){0});
    cr_assert_eq(x.n, 6);
    cr_assert_eq(x.v[0], 6, "newest first");
    x = list((au_audit_filter){.key_id = "key_1"});
    cr_assert_eq(x.n, 3);
    x = list((au_audit_filter){.profile = 4});
    cr_assert(x.n == 1 && x.v[0] == 4);
    x = list((au_audit_filter){.record = 105});
    cr_assert(x.n == 1 && x.v[0] == 5);
    x = list((au_audit_filter){.route = "GET /v1/explain"});
    cr_assert(x.n == 1 && x.v[0] == 3);
    x = list((au_audit_filter){.since_ms = 5000});
    cr_assert_eq(x.n, 2);
    x = list((au_audit_filter){.before = 4, .limit = 2});
    cr_assert(x.n == 2 && x.v[0] == 3 && x.v[1] == 2, "the page before id 4");
}

CASE(a_sweep_removes_a_prefix_and_the_rest_still_verifies)
{
    au_audit_verdict v;
    int64_t removed = 0;
    append_chain(6);
    cr_assert_eq(au_store_begin(st), AU_OK);
    /* entries before 3500 ms: 1, 2 and 3 */
    cr_assert_eq(au_store_audit_sweep(st, 3500, 99, &removed), AU_OK);
    cr_assert_eq(au_store_commit(st), AU_OK);
    cr_assert_eq(removed, 3);
    au_audit_anchor a;
    cr_assert_eq(au_store_audit_anchor(st, &a), AU_OK);
    cr_assert(a.id == 3 && a.at_ms == 99);
    cr_assert_eq(au_audit_verify(st, &v), AU_OK);
    cr_assert_eq(v.broken, 0, "%s", v.reason);
    cr_assert_eq(v.entries, 3);
    /* everything: the head is the anchor now */
    cr_assert_eq(au_store_begin(st), AU_OK);
    cr_assert_eq(au_store_audit_sweep(st, 1000000, 100, &removed), AU_OK);
    cr_assert_eq(au_store_commit(st), AU_OK);
    int64_t head = 0;
    uint8_t h[AU_AUDIT_HASH_LEN];
    cr_assert_eq(au_store_audit_head(st, &head, h), AU_OK);
    cr_assert_eq(head, 6, "the next entry continues at 7");
    cr_assert_eq(au_audit_verify(st, &v), AU_OK);
    cr_assert(v.broken == 0 && v.entries == 0 && v.anchor == 6);
    /* nothing older than the window: nothing removed, the anchor stays */
    cr_assert_eq(au_store_begin(st), AU_OK);
    cr_assert_eq(au_store_audit_sweep(st, 1, 101, &removed), AU_OK);
    cr_assert_eq(au_store_commit(st), AU_OK);
    cr_assert_eq(removed, 0);
    cr_assert_eq(au_store_audit_anchor(st, &a), AU_OK);
    cr_assert_eq(a.id, 6);
}

static int64_t add_run(const char *status, int pending, int64_t started)
{
    au_run_row r = {.flow = "f",
                    .trigger = "event:x/1",
                    .input = "{}",
                    .condition = "true",
                    .steps = "{}",
                    .status = status,
                    .pending = pending,
                    .started_ms = started};
    int64_t id = 0;
    cr_assert_eq(au_store_run_add(st, &r, &id), AU_OK);
    return id;
}

CASE(the_run_sweep_keeps_what_is_recent_or_still_pending)
{
    cr_assert_eq(au_store_begin(st), AU_OK);
    add_run("delivered", 0, 1000);
    int64_t dead = add_run("failed", 0, 1500);
    add_run("pending", 1, 2000);
    add_run("delivered", 0, 9000);
    au_dead_row d = {.outbox_id = 1,
                     .run_id = dead,
                     .flow = "f",
                     .step_id = "s",
                     .request = "{}",
                     .reason = "x",
                     .created_ms = 1600};
    int64_t did = 0;
    cr_assert_eq(au_store_dead_add(st, &d, &did), AU_OK);
    int64_t removed = 0;
    cr_assert_eq(au_store_runs_sweep(st, 5000, &removed), AU_OK);
    cr_assert_eq(au_store_commit(st), AU_OK);
    cr_assert_eq(removed, 2, "the old finished runs; the pending and the recent one stay");
    au_run_counts c;
    cr_assert_eq(au_store_run_counts(st, "f", &c), AU_OK);
    cr_assert_eq(c.total, 2);
    cr_assert_eq(c.dead_letters, 0, "the old run's dead letter went with it");
}
