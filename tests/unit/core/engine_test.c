/*
 * Engine tests: the write path end to end through the real store (SQLite as engine/, a fresh
 * PostgreSQL database as engine_pg/, tests/unit/both.h) — outcomes and counts, events, sources
 * and keys through the writer, concurrent writers, group commit folding jobs, one failing job
 * not affecting the others of its group, close draining the queue, and durability of every
 * acknowledged write across kill -9 of the writing process.
 *
 * The engine knows no module: these tests open it with stub hooks (the real ones are wired by
 * src/app/compose.c and tested with their modules), which also pin the hook contract: call
 * order, a failing hook rolling back its job alone, commit and rollback notifications.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/engine.h"
#include "lib/alloc.h"
#include "../both.h"

/* --- stub hooks: each appends "<name>:<what> " to its log; fails records whose id is `fail` */
typedef struct stub_state {
    au_engine *e; /* to report events as linked or not, like the profile hook */
    char log[1024];
    const char *fail; /* record id whose record_written fails, or NULL */
} stub_state;

static const char *stub_fail_id; /* copied into the state at open */

static void stub_log(stub_state *s, const char *name, const char *what, const char *arg)
{
    size_t len = strlen(s->log);
    snprintf(s->log + len, sizeof(s->log) - len, "%s:%s%s%s ", name, what, arg ? "=" : "",
             arg ? arg : "");
}

#define STUB_HOOK(NAME)                                                                            \
    static au_rc NAME##_open(au_engine *e, au_store *st, void **state, au_err *err)                \
    {                                                                                              \
        stub_state *s = au_calloc(1, sizeof(*s));                                                  \
        if (!s)                                                                                    \
            return AU_ERR_NOMEM;                                                                   \
        s->fail = stub_fail_id;                                                                    \
        s->e = e;                                                                                  \
        *state = s;                                                                                \
        return AU_OK;                                                                              \
    }                                                                                              \
    static au_rc NAME##_record(void *state, au_store *st, const au_record *r,                      \
                               au_put_outcome outcome, int64_t version, int64_t at_ms)             \
    {                                                                                              \
        stub_state *s = state;                                                                     \
        stub_log(s, #NAME, "rec", r->record_id);                                                   \
        return s->fail && !strcmp(r->record_id, s->fail) ? AU_ERR_CONFLICT : AU_OK;                \
    }                                                                                              \
    static au_rc NAME##_delete(void *state, au_store *st, const char *source, const char *id,      \
                               int64_t at_ms)                                                      \
    {                                                                                              \
        stub_log(state, #NAME, "del", id);                                                         \
        return AU_OK;                                                                              \
    }                                                                                              \
    static au_rc NAME##_event(void *state, au_store *st, const au_event_row *ev)                   \
    {                                                                                              \
        stub_state *s = state;                                                                     \
        stub_log(s, #NAME, "ev", ev->event_id);                                                    \
        /* a customer reference naming "linked" is held by a record; any other is not */           \
        au_engine_event_linked(s->e, ev->customer &&strstr(ev->customer, "linked"));               \
        return AU_OK;                                                                              \
    }                                                                                              \
    static void NAME##_rolled_back(void *state, au_store *st)                                      \
    {                                                                                              \
        stub_log(state, #NAME, "rollback", NULL);                                                  \
    }                                                                                              \
    static void NAME##_committed(void *state)                                                      \
    {                                                                                              \
        stub_log(state, #NAME, "commit", NULL);                                                    \
    }                                                                                              \
    static const au_engine_hook NAME##_hook = {                                                    \
        .name = #NAME,                                                                             \
        .open = NAME##_open,                                                                       \
        .close = au_free,                                                                          \
        .record_written = NAME##_record,                                                           \
        .record_deleted = NAME##_delete,                                                           \
        .event_written = NAME##_event,                                                             \
        .rolled_back = NAME##_rolled_back,                                                         \
        .committed = NAME##_committed,                                                             \
    };

STUB_HOOK(first)
STUB_HOOK(second)

static const au_engine_hook *const stub_hooks[] = {&first_hook, &second_hook, NULL};

static char dir[64];
static au_config cfg;
static au_engine *eng;

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

static au_engine *engine_open(void)
{
    au_engine *e = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_engine_open_at(&cfg, au_both_store(dir), dir, stub_hooks, &e, &err), AU_OK,
                 "%s", err.message);
    au_err_cleanup(&err);
    return e;
}

static void engine_setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/aurum-engine-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    memset(&cfg, 0, sizeof(cfg));
    cfg.data_dir = dir;
    cfg.group_commit_max = 64;
    cfg.sources =
        json_pack("{s:{s:s, s:{s:s}}}", "crm", "record_id", "id", "fields", "first_name", "first");
    eng = engine_open();
}

static void engine_teardown(void)
{
    au_engine_close(eng);
    eng = NULL;
    json_decref(cfg.sources);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static au_record *mk(const char *source, const char *id, const char *first)
{
    au_record *r = au_record_new();
    r->source = au_strdup(source);
    r->record_id = au_strdup(id);
    au_record_set(r, AU_ATTR_FIRST_NAME, au_strdup(first), au_strdup(first), au_strdup(first));
    au_record_hash(r);
    return r;
}

/* A heap batch of n records "<prefix><i>" (the engine takes ownership of it). */
static au_record **batch(const char *prefix, int n, const char *first)
{
    au_record **recs = au_calloc((size_t)n, sizeof(*recs));
    char id[64];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "%s%d", prefix, i);
        recs[i] = mk("crm", id, first);
    }
    return recs;
}

static au_rc write_batch(au_engine *e, const char *prefix, int n, const char *first,
                         au_write_summary *sum)
{
    au_err err;
    au_err_init(&err);
    au_rc rc = au_engine_write_records(e, batch(prefix, n, first), (size_t)n, "test", sum, &err);
    au_err_cleanup(&err);
    return rc;
}

static int64_t count_records(au_engine *e)
{
    int64_t n = -1;
    au_store *r = au_engine_reader(e);
    cr_assert_not_null(r);
    cr_assert_eq(au_store_record_count(r, NULL, &n), AU_OK);
    au_engine_reader_release(e, r);
    return n;
}

AU_BOTH_SUITE(engine, engine_setup, engine_teardown);

AU_BOTH_TEST(engine, records_count_outcomes_and_are_readable)
{
    au_write_summary sum;
    cr_assert_eq(write_batch(eng, "r", 3, "Ann", &sum), AU_OK);
    cr_assert_eq(sum.inserted, 3);
    au_record **recs = batch("r", 3, "Ann");
    au_record_free(recs[2]);
    recs[2] = mk("crm", "r2", "Bob");
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_engine_write_records(eng, recs, 3, "test", &sum, &err), AU_OK);
    cr_assert_eq(sum.unchanged, 2);
    cr_assert_eq(sum.updated, 1);
    cr_assert_eq(sum.inserted, 0);

    cr_assert_eq(au_engine_delete_record(eng, "crm", "r0", "test", &err), AU_OK);
    cr_assert_eq(au_engine_delete_record(eng, "crm", "r0", "test", &err), AU_ERR_NOT_FOUND);
    cr_assert(strstr(err.message, "r0"), "%s", err.message);
    au_err_cleanup(&err);

    au_store *rd = au_engine_reader(eng);
    au_record_out out;
    cr_assert_eq(au_store_record_get(rd, "crm", "r2", 0, &out), AU_OK);
    cr_assert_eq(out.version, 2);
    cr_assert_str_eq(out.origin, "test");
    json_t *doc = json_loads(out.doc, 0, NULL);
    au_record *back = NULL;
    cr_assert_eq(au_record_from_json("crm", "r2", doc, &back), AU_OK);
    cr_assert_str_eq(back->attrs[AU_ATTR_FIRST_NAME].value, "Bob", "stored doc round-trips");
    au_record_free(back);
    json_decref(doc);
    au_record_out_cleanup(&out);
    au_engine_reader_release(eng, rd);
    cr_assert_eq(count_records(eng), 2);
}

AU_BOTH_TEST(engine, async_submissions_are_committed_in_order)
{
    au_write_job *jobs[20];
    char prefix[16];
    for (int i = 0; i < 20; i++) {
        snprintf(prefix, sizeof(prefix), "b%d-", i);
        cr_assert_eq(
            au_engine_submit_records(eng, batch(prefix, 50, "Cy"), 50, "import:x", &jobs[i]),
            AU_OK);
    }
    for (int i = 0; i < 20; i++) {
        au_write_summary sum;
        cr_assert_eq(au_engine_wait(eng, jobs[i], &sum, NULL), AU_OK);
        cr_assert_eq(sum.inserted, 50);
    }
    cr_assert_eq(count_records(eng), 1000);
}

AU_BOTH_TEST(engine, events_idempotent_and_all_or_nothing)
{
    au_event evs[2] = {
        {"billing", "p1", "payment", 5, json_pack("{s:s}", "email", "a@b.c"),
         json_pack("{s:i}", "amount", 3), 0, 0},
        {"billing", "p2", "payment", 0, NULL, NULL, 0, 0},
    };
    au_write_summary sum;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_engine_write_events(eng, evs, 2, "api:k", &sum, &err), AU_OK);
    cr_assert_eq(sum.inserted, 2);
    /* no record holds a@b.c, and p2 names nobody: both are kept, unlinked */
    cr_assert(evs[0].inserted && evs[1].inserted && evs[0].unlinked && evs[1].unlinked);
    cr_assert_eq(au_engine_write_events(eng, evs, 2, "api:k", &sum, &err), AU_OK);
    cr_assert_eq(sum.unchanged, 2);
    cr_assert_eq(sum.inserted, 0);
    cr_assert(!evs[0].inserted && !evs[1].inserted && !evs[0].unlinked, "repeats: no verdict");

    au_event bad[2] = {{"pos", "o1", "order", 1, NULL, NULL, 0, 0},
                       {"pos", "o2", NULL, 1, NULL, NULL, 0, 0}};
    cr_assert_eq(au_engine_write_events(eng, bad, 2, "api:k", &sum, &err), AU_ERR_INVALID);
    cr_assert_eq(err.ndetails, 1);
    cr_assert_eq(err.details[0].index, 1);
    au_err_cleanup(&err);

    au_store *rd = au_engine_reader(eng);
    au_event_out e;
    cr_assert_eq(au_store_event_get(rd, "pos", "o1", &e), AU_ERR_NOT_FOUND, "all or nothing");
    cr_assert_eq(au_store_event_get(rd, "billing", "p1", &e), AU_OK);
    cr_assert_str_eq(e.customer, "{\"email\":\"a@b.c\"}");
    cr_assert_str_eq(e.properties, "{\"amount\":3}");
    cr_assert_eq(e.at_ms, 5);
    au_event_out_cleanup(&e);
    cr_assert_eq(au_store_event_get(rd, "billing", "p2", &e), AU_OK);
    cr_assert_str_eq(e.properties, "{}");
    cr_assert_gt(e.at_ms, 0, "an event without a time gets its arrival time");
    au_event_out_cleanup(&e);
    au_engine_reader_release(eng, rd);
    json_decref(evs[0].customer);
    json_decref(evs[0].properties);
}

AU_BOTH_TEST(engine, sources_put_swap_and_survive_reopen)
{
    const au_source *crm = au_engine_source_acquire(eng, "crm");
    cr_assert_not_null(crm, "config sources are registered");
    cr_assert_null(au_engine_source_acquire(eng, "pos"));

    json_t *def = json_pack("{s:s}", "record_id", "customer_no");
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_engine_source_put(eng, "crm", def, &err), AU_OK, "%s", err.message);
    json_decref(def);
    /* the old reference stays usable after the PUT */
    cr_assert_str_eq(json_string_value(json_object_get(au_source_definition(crm), "record_id")),
                     "id");
    const au_source *crm2 = au_engine_source_acquire(eng, "crm");
    cr_assert_neq(crm, crm2);
    cr_assert_str_eq(json_string_value(json_object_get(au_source_definition(crm2), "record_id")),
                     "customer_no");
    au_engine_source_release(eng, crm);
    au_engine_source_release(eng, crm2);

    json_t *bad = json_pack("[]");
    cr_assert_neq(au_engine_source_put(eng, "pos", bad, &err), AU_OK);
    json_decref(bad);
    cr_assert_null(au_engine_source_acquire(eng, "pos"), "an invalid definition is not active");
    au_err_cleanup(&err);

    au_engine_close(eng);
    eng = engine_open();
    crm = au_engine_source_acquire(eng, "crm");
    cr_assert_not_null(crm);
    cr_assert_str_eq(json_string_value(json_object_get(au_source_definition(crm), "record_id")),
                     "customer_no", "the stored definition wins over the config file");
    au_engine_source_release(eng, crm);
    au_store *rd = au_engine_reader(eng);
    char *s = NULL;
    cr_assert_eq(au_store_source_get(rd, "pos", &s), AU_ERR_NOT_FOUND, "nothing stored");
    au_engine_reader_release(eng, rd);
}

AU_BOTH_TEST(engine, keys_through_the_writer)
{
    uint8_t h[32];
    memset(h, 7, sizeof(h));
    au_key_row k = {"key1", h, "[\"admin\"]", "ops", 0};
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_engine_key_put(eng, &k, &err), AU_OK);
    cr_assert_eq(au_engine_key_put(eng, &k, &err), AU_ERR_CONFLICT);
    cr_assert_eq(au_engine_key_revoke(eng, "key1", &err), AU_OK);
    cr_assert_eq(au_engine_key_revoke(eng, "nope", &err), AU_ERR_NOT_FOUND);
    au_err_cleanup(&err);
    au_store *rd = au_engine_reader(eng);
    au_key_out out;
    cr_assert_eq(au_store_key_find(rd, h, &out), AU_OK);
    cr_assert_gt(out.revoked_ms, 0);
    cr_assert_gt(out.created_ms, 0);
    au_key_out_cleanup(&out);
    au_engine_reader_release(eng, rd);
}

AU_BOTH_TEST(engine, reader_handles_are_pooled)
{
    au_store *a = au_engine_reader(eng), *b = au_engine_reader(eng);
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    cr_assert_neq(a, b, "two threads never share a handle");
    au_engine_reader_release(eng, a);
    cr_assert_eq(au_engine_reader(eng), a, "a released handle is reused");
    au_engine_reader_release(eng, a);
    au_engine_reader_release(eng, b);
}

#define THREADS   8
#define WRITES    40
#define PER_WRITE 5

static void *writer_thread(void *arg)
{
    long t = (long)arg;
    char prefix[32];
    for (int w = 0; w < WRITES; w++) {
        au_write_summary sum;
        snprintf(prefix, sizeof(prefix), "t%ld-w%d-", t, w);
        if (write_batch(eng, prefix, PER_WRITE, "Dee", &sum) != AU_OK || sum.inserted != PER_WRITE)
            return (void *)1;
    }
    return NULL;
}

AU_BOTH_TEST(engine, concurrent_writers_all_commit)
{
    pthread_t th[THREADS];
    au_engine_stats before, after;
    au_engine_stats_get(eng, &before);
    for (long t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, writer_thread, (void *)t);
    for (int t = 0; t < THREADS; t++) {
        void *res;
        pthread_join(th[t], &res);
        cr_assert_null(res, "thread %d: every write acknowledged with its inserts", t);
    }
    au_engine_stats_get(eng, &after);
    cr_assert_eq(count_records(eng), THREADS * WRITES * PER_WRITE);
    cr_assert_eq(after.jobs - before.jobs, THREADS * WRITES);
    cr_assert_leq(after.commits - before.commits, after.jobs - before.jobs);
    cr_assert_eq(after.queue_depth, 0);
}

/* Holds the store's write lock from another connection so the writer blocks and the jobs
 * submitted meanwhile pile up in its queue. SQLite: a transaction of another handle (BEGIN
 * takes the database's write lock, so the writer blocks in its own BEGIN). PostgreSQL, where
 * BEGIN takes no lock: a transaction holding the records table exclusively, so the writer
 * blocks in the first record write of its job. */
typedef struct writer_block {
    au_store *st; /* SQLite */
    PGconn *pg;   /* PostgreSQL */
} writer_block;

static writer_block block_writer(void)
{
    writer_block b = {NULL, NULL};
    if (au_both_is_pg()) {
        b.pg = PQconnectdb(au_both_store(dir));
        cr_assert_eq(PQstatus(b.pg), CONNECTION_OK, "%s", PQerrorMessage(b.pg));
        PGresult *r = PQexec(b.pg, "BEGIN; LOCK TABLE records IN ACCESS EXCLUSIVE MODE");
        cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(b.pg));
        PQclear(r);
        return b;
    }
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_store_open(dir, AU_STORE_RW, &b.st, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
    cr_assert_eq(au_store_begin(b.st), AU_OK);
    return b;
}

static void unblock_writer(writer_block b)
{
    if (b.pg) {
        PQclear(PQexec(b.pg, "ROLLBACK"));
        PQfinish(b.pg);
        return;
    }
    cr_assert_eq(au_store_rollback(b.st), AU_OK);
    au_store_close(b.st);
}

/* Polls until the queue holds `n` jobs exactly (the writer takes jobs, it never adds any);
 * yields instead of sleeping, so it waits for the state, never for a time. */
static void wait_queue_depth(uint64_t n)
{
    au_engine_stats st;
    for (;;) {
        au_engine_stats_get(eng, &st);
        if (st.queue_depth == n)
            return;
        sched_yield();
    }
}

/* Polls until au_engine_close has begun on another thread. */
static void wait_stopping(void)
{
    au_engine_stats st;
    for (;;) {
        au_engine_stats_get(eng, &st);
        if (st.stopping)
            return;
        sched_yield();
    }
}

static void *dup_key_thread(void *arg)
{
    uint8_t h[32];
    memset(h, 9, sizeof(h));
    au_key_row k = {"dup", h, "[]", NULL, 1};
    return (void *)(long)au_engine_key_put(eng, &k, NULL);
}

AU_BOTH_TEST(engine, group_commit_folds_jobs_and_a_failing_job_fails_alone)
{
    uint8_t h[32];
    memset(h, 8, sizeof(h));
    au_key_row k = {"dup", h, "[]", NULL, 1};
    cr_assert_eq(au_engine_key_put(eng, &k, NULL), AU_OK);

    au_engine_stats before, after;
    au_engine_stats_get(eng, &before);
    writer_block lock = block_writer();
    au_write_job *jobs[6];
    char prefix[16];
    snprintf(prefix, sizeof(prefix), "g0-");
    cr_assert_eq(au_engine_submit_records(eng, batch(prefix, 10, "Eve"), 10, "t", &jobs[0]), AU_OK);
    wait_queue_depth(0); /* the writer took job 0 alone and is blocked in BEGIN */
    pthread_t th;
    pthread_create(&th, NULL, dup_key_thread, NULL);
    for (int i = 1; i < 6; i++) {
        snprintf(prefix, sizeof(prefix), "g%d-", i);
        cr_assert_eq(au_engine_submit_records(eng, batch(prefix, 10, "Eve"), 10, "t", &jobs[i]),
                     AU_OK);
    }
    wait_queue_depth(6); /* jobs 1..5 and the key wait behind it */
    unblock_writer(lock);

    void *res;
    pthread_join(th, &res);
    cr_assert_eq((au_rc)(long)res, AU_ERR_CONFLICT, "the duplicate key fails");
    for (int i = 0; i < 6; i++) {
        au_write_summary sum;
        cr_assert_eq(au_engine_wait(eng, jobs[i], &sum, NULL), AU_OK, "job %d", i);
        cr_assert_eq(sum.inserted, 10);
    }
    au_engine_stats_get(eng, &after);
    cr_assert_eq(after.jobs - before.jobs, 7);
    /* Job 0 is a bulk job (au_engine_submit_records): with six jobs queued behind it, its
     * transaction stays open for them, so all seven share one commit. */
    cr_assert_eq(after.commits - before.commits, 1, "the seven jobs shared one commit");
    cr_assert_eq(count_records(eng), 60, "the failing job did not undo its neighbours");
}

static atomic_int submitted;

static void *async_writer(void *arg)
{
    char prefix[16];
    au_write_job *job = NULL;
    snprintf(prefix, sizeof(prefix), "c%ld-", (long)arg);
    if (au_engine_submit_records(eng, batch(prefix, 4, "Fay"), 4, "t", &job) != AU_OK)
        return (void *)1;
    atomic_fetch_add(&submitted, 1);
    return (void *)(long)au_engine_wait(eng, job, NULL, NULL);
}

static void *closer(void *arg)
{
    au_engine_close(eng);
    return NULL;
}

AU_BOTH_TEST(engine, close_drains_pending_jobs)
{
    pthread_t th[THREADS], cl;
    writer_block lock = block_writer();
    atomic_store(&submitted, 0);
    for (long t = 0; t < THREADS; t++)
        pthread_create(&th[t], NULL, async_writer, (void *)t);
    while (atomic_load(&submitted) < THREADS)
        sched_yield();
    pthread_create(&cl, NULL, closer, NULL);
    wait_stopping(); /* close has begun while the jobs wait behind the blocked writer */
    unblock_writer(lock);
    for (int t = 0; t < THREADS; t++) {
        void *res;
        pthread_join(th[t], &res);
        cr_assert_null(res, "job %d committed", t);
    }
    pthread_join(cl, NULL);
    eng = engine_open();
    cr_assert_eq(count_records(eng), THREADS * 4);
}

/* The child writes one record at a time and reports each acknowledged id on the pipe; the
 * parent kills it mid-stream and checks that every reported id is in the store. */
static void durable_child(int fd)
{
    au_engine *e = NULL;
    if (au_engine_open_at(&cfg, au_both_store(dir), dir, NULL, &e, NULL) != AU_OK)
        _exit(2);
    char id[32], line[40];
    for (int i = 0;; i++) {
        snprintf(id, sizeof(id), "d%d", i);
        au_record **recs = au_calloc(1, sizeof(*recs));
        recs[0] = mk("crm", id, "Gus");
        if (au_engine_write_records(e, recs, 1, "t", NULL, NULL) != AU_OK)
            _exit(3);
        int n = snprintf(line, sizeof(line), "%s\n", id);
        if (write(fd, line, (size_t)n) != n)
            _exit(4);
    }
}

AU_BOTH_TEST(engine, acknowledged_writes_survive_kill_9)
{
    au_engine_close(eng); /* the child is the only writer */
    eng = NULL;
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        close(p[0]);
        durable_child(p[1]);
    }
    close(p[1]);
    FILE *in = fdopen(p[0], "r");
    char line[64];
    char(*ids)[32] = calloc(100000, 32);
    int n = 0;
    while (n < 200 && fgets(line, sizeof(line), in))
        snprintf(ids[n++], 32, "%.*s", (int)strcspn(line, "\n"), line);
    kill(pid, SIGKILL);
    while (n < 100000 && fgets(line, sizeof(line), in))
        snprintf(ids[n++], 32, "%.*s", (int)strcspn(line, "\n"), line);
    fclose(in);
    int status;
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status), "the child was killed, not finished (status %d)", status);
    cr_assert_geq(n, 200);

    eng = engine_open(); /* recovers the WAL */
    au_store *rd = au_engine_reader(eng);
    for (int i = 0; i < n; i++) {
        au_record_out r;
        cr_assert_eq(au_store_record_get(rd, "crm", ids[i], 0, &r), AU_OK,
                     "acknowledged record %s lost", ids[i]);
        au_record_out_cleanup(&r);
    }
    au_engine_reader_release(eng, rd);
    free(ids);
}

/* SQLite-style, for the caller's side of a write and of a delete (the writer thread's own
 * allocations are not counted here): the operation is counted once, then run with each of its
 * allocations failing in turn. Each failing run answers AU_ERR_NOMEM and writes nothing; the
 * records are built before the fault is armed because the engine takes them either way. */
AU_BOTH_TEST(engine, allocation_failures_on_the_caller_thread_are_reported)
{
    char prefix[32];
    au_write_summary sum;
    au_err err;
    au_err_init(&err);
    au_record **recs = batch("m-", 3, "Hal");
    au_alloc_fail_after(-1);
    cr_assert_eq(au_engine_write_records(eng, recs, 3, "t", &sum, &err), AU_OK);
    long total = au_alloc_count();
    cr_assert_gt(total, 0);
    for (long n = 0; n <= total; n++) {
        snprintf(prefix, sizeof(prefix), "m%ld-", n);
        recs = batch(prefix, 3, "Hal");
        au_alloc_fail_after(n);
        au_rc rc = au_engine_write_records(eng, recs, 3, "t", &sum, &err);
        au_alloc_fail_after(-1);
        cr_assert_eq(rc, n < total ? AU_ERR_NOMEM : AU_OK, "allocation %ld of %ld: rc %d", n + 1,
                     total, rc);
        cr_assert_eq(sum.inserted, n < total ? 0 : 3);
    }
    cr_assert_eq(count_records(eng), 6, "no failing write wrote anything");
    au_alloc_fail_after(-1);
    cr_assert_eq(au_engine_delete_record(eng, "crm", "m-0", "t", &err), AU_OK);
    total = au_alloc_count();
    for (long n = 0; n <= total; n++) {
        snprintf(prefix, sizeof(prefix), "m-%d", n < total ? 1 : 2);
        au_alloc_fail_after(n);
        au_rc rc = au_engine_delete_record(eng, "crm", prefix, "t", &err);
        au_alloc_fail_after(-1);
        cr_assert_eq(rc, n < total ? AU_ERR_NOMEM : AU_OK, "delete, allocation %ld of %ld: %d",
                     n + 1, total, rc);
    }
    cr_assert_eq(count_records(eng), 4, "m-0 and m-2 deleted, m-1 kept");
    au_err_cleanup(&err);
}

/* --- the hook contract, with the stub hooks ------------------------------------------------ */

static const char *hook_log(const char *name)
{
    stub_state *s = au_engine_hook_state(eng, name);
    cr_assert_not_null(s, "hook %s opened", name);
    return s->log;
}

static void hook_log_clear(void)
{
    ((stub_state *)au_engine_hook_state(eng, "first"))->log[0] = 0;
    ((stub_state *)au_engine_hook_state(eng, "second"))->log[0] = 0;
}

AU_BOTH_TEST(engine, hooks_are_called_in_list_order_inside_the_write_then_told_of_the_commit)
{
    cr_assert_null(au_engine_hook_state(eng, "resolve"), "the engine wires no module itself");
    hook_log_clear();
    cr_assert_eq(write_batch(eng, "h", 2, "Ann", NULL), AU_OK);
    cr_assert_str_eq(hook_log("first"), "first:rec=h0 first:rec=h1 first:commit ");
    cr_assert_str_eq(hook_log("second"), "second:rec=h0 second:rec=h1 second:commit ");

    hook_log_clear();
    cr_assert_eq(write_batch(eng, "h", 2, "Ann", NULL), AU_OK);
    cr_assert_str_eq(hook_log("first"), "first:commit ", "unchanged records are not reported");

    hook_log_clear();
    cr_assert_eq(au_engine_delete_record(eng, "crm", "h1", "t", NULL), AU_OK);
    cr_assert_str_eq(hook_log("second"), "second:del=h1 second:commit ");

    hook_log_clear();
    json_t *linked = json_pack("{s:s}", "email", "linked@x.y");
    au_event ev[2] = {{.source = "web", .event_id = "e1", .type = "click", .at_ms = 1},
                      {.source = "web", .event_id = "e2", .type = "click", .customer = linked}};
    cr_assert_eq(au_engine_write_events(eng, ev, 2, "t", NULL, NULL), AU_OK);
    cr_assert(ev[0].unlinked && !ev[1].unlinked, "the hook's verdict reaches the caller");
    cr_assert_eq(au_engine_write_events(eng, ev, 1, "t", NULL, NULL), AU_OK);
    cr_assert_str_eq(hook_log("first"), "first:ev=e1 first:ev=e2 first:commit first:commit ",
                     "a repeated event is not reported");
    json_decref(linked);
}

AU_BOTH_TEST(engine, a_failing_hook_rolls_back_its_job_and_stops_later_hooks)
{
    au_engine_close(eng);
    stub_fail_id = "f1";
    eng = engine_open();
    stub_fail_id = NULL;
    hook_log_clear();

    au_write_summary sum;
    cr_assert_eq(write_batch(eng, "f", 3, "Bob", &sum), AU_ERR_CONFLICT, "the hook's error");
    /* the job's savepoint is rolled back; the (now empty) group still commits */
    cr_assert_str_eq(hook_log("first"), "first:rec=f0 first:rec=f1 first:rollback first:commit ");
    cr_assert_str_eq(hook_log("second"), "second:rec=f0 second:rollback second:commit ",
                     "the hook after the failing one is not called for its record");
    cr_assert_eq(count_records(eng), 0, "the job's records were rolled back with it");
}

AU_BOTH_TEST(engine, opens_without_hooks)
{
    au_engine *e = NULL;
    au_engine_close(eng);
    eng = NULL;
    cr_assert_eq(au_engine_open_at(&cfg, au_both_store(dir), dir, NULL, &e, NULL), AU_OK);
    cr_assert_null(au_engine_hook_state(e, "first"));
    cr_assert_eq(write_batch(e, "n", 1, "Cy", NULL), AU_OK);
    au_event ev = {.source = "web", .event_id = "e1", .type = "click", .at_ms = 1};
    cr_assert_eq(au_engine_write_events(e, &ev, 1, "t", NULL, NULL), AU_OK);
    cr_assert(ev.inserted && !ev.unlinked, "an event no hook reports on counts as linked");
    au_engine_close(e);
}
