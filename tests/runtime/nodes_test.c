/*
 * Several `aurum serve` nodes on one PostgreSQL give one node's answers (docs/POSTGRES.md,
 * "Several nodes"). Three real daemons share one real database (tests/support/pgserver); the
 * FEBRL data set with its ground truth (tests/data/febrl1.csv: rec-N-org and its rec-N-dup-k
 * are one person) is shuffled so that originals and duplicates arrive interleaved, cut into
 * batches and sent concurrently by several client threads, batch i to node i mod 3. A reader
 * thread pages the change feed meanwhile, from whichever node, and checks that positions only
 * grow and that no committed row is ever skipped.
 *
 * The answer is compared with one node's: a fourth daemon on a database of its own is sent the
 * same records one after another in the order the three nodes decided them (the feed's order),
 * and must end with exactly the same partition, so the same F1 against the truth. A second test
 * kills one node with SIGKILL in the middle: every write a client had an answer for is there
 * afterwards, the clients send the rest to the survivors, and the partition is again one node's.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../support/pgserver.h"
#include "harness.h"

#define N_NODES   3
#define N_CLIENTS 6
#define BATCH     10
#define MAX_RECS  1100

static void fini(void)
{
    au_rt_cleanup_all();
    au_pgserver_cleanup_all();
}

TestSuite(nodes, .fini = fini);

/* ---- the data set ------------------------------------------------------------------------ */

typedef struct dataset {
    char *id[MAX_RECS];   /* rec_id, owned */
    char *json[MAX_RECS]; /* the record as a JSON object, owned */
    size_t n;
} dataset;

/* Copies the comma-separated field that starts at *s (leading blanks dropped) into out. */
static void next_field(const char **s, char *out, size_t cap)
{
    const char *p = *s;
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, ",\n\r");
    snprintf(out, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
    p += n;
    *s = *p == ',' ? p + 1 : p;
}

static void load_febrl(dataset *ds)
{
    FILE *f = fopen("tests/data/febrl1.csv", "r");
    cr_assert_not_null(f, "run from the repository root");
    char line[1024], head[16][32], val[128];
    int ncols = 0;
    cr_assert_not_null(fgets(line, sizeof(line), f));
    for (const char *s = line; *s && *s != '\n' && ncols < 16; ncols++)
        next_field(&s, head[ncols], sizeof(head[0]));
    ds->n = 0;
    while (fgets(line, sizeof(line), f) && ds->n < MAX_RECS) {
        json_t *o = json_object();
        const char *s = line;
        for (int c = 0; c < ncols; c++) {
            next_field(&s, val, sizeof(val));
            json_object_set_new(o, head[c], json_string(val));
        }
        ds->id[ds->n] = strdup(json_string_value(json_object_get(o, "rec_id")));
        ds->json[ds->n] = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        ds->n++;
    }
    fclose(f);
    cr_assert_eq(ds->n, 1000);
}

static void dataset_free(dataset *ds)
{
    for (size_t i = 0; i < ds->n; i++) {
        free(ds->id[i]);
        free(ds->json[i]);
    }
}

/* A fixed shuffle (so a failure can be replayed): originals and duplicates interleave. */
static void shuffle(dataset *ds)
{
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = ds->n - 1; i > 0; i--) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        size_t j = (size_t)((x >> 33) % (i + 1));
        char *t = ds->id[i];
        ds->id[i] = ds->id[j];
        ds->id[j] = t;
        t = ds->json[i];
        ds->json[i] = ds->json[j];
        ds->json[j] = t;
    }
}

/* The JSON array body of records [from, to) in the order `ord` gives (NULL: as they are).
 * Caller frees. */
static char *batch_body(const dataset *ds, const size_t *ord, size_t from, size_t to)
{
    size_t cap = 2, len = 0;
    for (size_t i = from; i < to; i++)
        cap += strlen(ds->json[ord ? ord[i] : i]) + 1;
    char *b = malloc(cap + 1);
    b[len++] = '[';
    for (size_t i = from; i < to; i++) {
        const char *j = ds->json[ord ? ord[i] : i];
        if (i > from)
            b[len++] = ',';
        memcpy(b + len, j, strlen(j));
        len += strlen(j);
    }
    b[len++] = ']';
    b[len] = '\0';
    return b;
}

/* ---- the cluster --------------------------------------------------------------------------- */

static const char febrl_source[] = "sources:\n"
                                   "  febrl:\n"
                                   "    record_id: rec_id\n"
                                   "    country: AU\n"
                                   "    on_invalid: keep_raw\n"
                                   "    fields:\n"
                                   "      first_name: given_name\n"
                                   "      last_name: surname\n"
                                   "      address_line1: [street_number, address_1]\n"
                                   "      address_line2: address_2\n"
                                   "      city: suburb\n"
                                   "      postcode: postcode\n"
                                   "      state: state\n"
                                   "      date_of_birth: {from: date_of_birth, format: YYYYMMDD}\n"
                                   "      national_id: soc_sec_id\n";

/* Creates database `db` and starts n daemons storing in it. */
static void start_nodes(au_pgserver *pg, const char *db, au_rt_daemon *d, int n)
{
    char sql[128], cfg[1400];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
    PGresult *r = au_pgserver_exec(pg, sql);
    cr_assert_not_null(r, "cannot create database %s", db);
    PQclear(r);
    snprintf(cfg, sizeof(cfg), "%sstore: \"postgres://postgres@127.0.0.1:%d/%s\"\n", febrl_source,
             pg->port, db);
    for (int i = 0; i < n; i++) {
        int rc = au_rt_start(&d[i], cfg);
        char *log = rc ? au_rt_log(&d[i]) : NULL;
        cr_assert_eq(rc, 0, "node %d did not start; log:\n%s", i, log ? log : "(none)");
    }
}

/* Runs sql on database db of the server. */
static PGresult *db_exec(const au_pgserver *pg, const char *db, const char *sql)
{
    char ci[300];
    snprintf(ci, sizeof(ci), "host=127.0.0.1 port=%d user=postgres dbname=%s", pg->port, db);
    PGconn *c = PQconnectdb(ci);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
    PQfinish(c);
    return r;
}

/* ---- clients ------------------------------------------------------------------------------- */

typedef struct run {
    const dataset *ds;
    au_rt_daemon *nodes;
    _Atomic int alive[N_NODES];
    size_t nbatches;
    _Atomic size_t next; /* next batch to send */
    _Atomic long acked;  /* batches answered 200 */
    _Atomic int acked_batch[MAX_RECS / BATCH + 1];
    long kill_at; /* kill node `victim` when this many batches are acknowledged (0: no) */
    int victim;
    _Atomic int killed;
    _Atomic int sending; /* client threads still sending */
    /* the feed reader */
    int64_t *seqs; /* positions in the order the reader saw them */
    size_t nseqs;
    int feed_error;       /* a page went backwards, or a read failed on every node */
    char last_error[512]; /* the last answer other than 200 from a live node, for the report */
} run;

/* Sends batch i to node i mod N, or on to the next live node when a node fails to answer. */
static void send_batch(run *r, size_t i)
{
    size_t to = (i + 1) * BATCH < r->ds->n ? (i + 1) * BATCH : r->ds->n;
    char *body = batch_body(r->ds, NULL, i * BATCH, to);
    int node = (int)(i % N_NODES);
    for (int attempt = 0; attempt < 50; attempt++, node = (node + 1) % N_NODES) {
        if (!atomic_load(&r->alive[node]))
            continue;
        au_rt_resp resp = {0};
        long st = au_rt_admin(&r->nodes[node], "POST", "/v1/sources/febrl/records", body, &resp);
        if (st != 200 && st != 0)
            snprintf(r->last_error, sizeof(r->last_error), "node %d: %ld %s", node, st,
                     resp.body ? resp.body : "");
        au_rt_resp_cleanup(&resp);
        if (st != 200)
            continue; /* a killed node (0) or a conflict it gave up on (503): next node */
        atomic_store(&r->acked_batch[i], 1);
        long n = atomic_fetch_add(&r->acked, 1) + 1;
        int no = 0;
        if (r->kill_at && n >= r->kill_at && atomic_compare_exchange_strong(&r->killed, &no, 1)) {
            atomic_store(&r->alive[r->victim], 0);
            au_rt_kill9(&r->nodes[r->victim]);
        }
        break;
    }
    free(body);
}

static void *client_main(void *arg)
{
    run *r = arg;
    size_t i;
    while ((i = atomic_fetch_add(&r->next, 1)) < r->nbatches)
        send_batch(r, i);
    atomic_fetch_sub(&r->sending, 1);
    return NULL;
}

/* One page of the feed after `cursor` from a live node: appends the positions, moves the
 * cursor. Returns the number of rows, -1 when no node answered. */
static int feed_page(run *r, char *cursor, size_t cap, int *node)
{
    for (int tries = 0; tries < N_NODES; tries++, *node = (*node + 1) % N_NODES) {
        if (!atomic_load(&r->alive[*node]))
            continue;
        char path[128];
        au_rt_resp resp = {0};
        snprintf(path, sizeof(path), "/v1/changes?after=%s&limit=1000", cursor);
        long st = au_rt_admin(&r->nodes[*node], "GET", path, NULL, &resp);
        json_t *j = st == 200 ? au_rt_json(&resp) : NULL;
        au_rt_resp_cleanup(&resp);
        if (!j)
            continue;
        json_t *list = json_object_get(j, "changes"), *c;
        size_t k;
        json_array_foreach(list, k, c)
        {
            int64_t seq = json_integer_value(json_object_get(c, "seq"));
            if (r->nseqs && seq <= r->seqs[r->nseqs - 1])
                r->feed_error = 1;
            r->seqs = realloc(r->seqs, (r->nseqs + 1) * sizeof(*r->seqs));
            r->seqs[r->nseqs++] = seq;
        }
        const char *next = json_string_value(json_object_get(j, "next"));
        if (next)
            snprintf(cursor, cap, "%s", next);
        int n = (int)json_array_size(list);
        json_decref(j);
        *node = (*node + 1) % N_NODES; /* the next page from another node */
        return n;
    }
    return -1;
}

/* Pages the feed while the clients send, then to its end. */
static void *reader_main(void *arg)
{
    run *r = arg;
    char cursor[64] = "0";
    int node = 0, n;
    while (atomic_load(&r->sending) > 0)
        if (feed_page(r, cursor, sizeof(cursor), &node) < 0)
            r->feed_error = 1;
    while ((n = feed_page(r, cursor, sizeof(cursor), &node)) > 0)
        ;
    if (n < 0)
        r->feed_error = 1;
    return NULL;
}

/* Sends the whole data set through the nodes; returns when every batch had its answer. */
static void send_all(run *r)
{
    pthread_t c[N_CLIENTS], rd;
    r->nbatches = (r->ds->n + BATCH - 1) / BATCH;
    atomic_store(&r->sending, N_CLIENTS);
    for (int i = 0; i < N_CLIENTS; i++)
        cr_assert_eq(pthread_create(&c[i], NULL, client_main, r), 0);
    cr_assert_eq(pthread_create(&rd, NULL, reader_main, r), 0);
    for (int i = 0; i < N_CLIENTS; i++)
        pthread_join(c[i], NULL);
    pthread_join(rd, NULL);
}

/* ---- comparing answers ------------------------------------------------------------------------
 */

/* The partition of database db: label[i] = the smallest rec_id in record i's profile ("" when
 * the record is missing or has no profile). */
static void partition(const au_pgserver *pg, const char *db, const dataset *ds, char label[][32])
{
    PGresult *r = db_exec(pg, db,
                          "SELECT r.record_id, min(r.record_id) OVER (PARTITION BY a.profile) "
                          "FROM records r JOIN assignments a ON a.rec = r.id WHERE NOT r.deleted");
    for (size_t i = 0; i < ds->n; i++)
        label[i][0] = '\0';
    for (int k = 0; k < PQntuples(r); k++)
        for (size_t i = 0; i < ds->n; i++)
            if (strcmp(ds->id[i], PQgetvalue(r, k, 0)) == 0)
                snprintf(label[i], 32, "%s", PQgetvalue(r, k, 1));
    PQclear(r);
}

/* The person of a FEBRL id: "rec-12-dup-0" and "rec-12-org" are person 12. */
static long person(const char *id)
{
    return strtol(id + 4, NULL, 10);
}

/* Pairwise F1 of a partition against the truth. */
static double f1(const dataset *ds, char label[][32])
{
    long tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < ds->n; i++)
        for (size_t j = i + 1; j < ds->n; j++) {
            int same = label[i][0] && strcmp(label[i], label[j]) == 0;
            int truth = person(ds->id[i]) == person(ds->id[j]);
            tp += same && truth;
            fp += same && !truth;
            fn += !same && truth;
        }
    return tp ? 2.0 * tp / (2.0 * tp + fp + fn) : 0.0;
}

/* The order in which the cluster decided the records: first mention of each in the feed. */
static size_t *decision_order(const au_pgserver *pg, const char *db, const dataset *ds)
{
    PGresult *r = db_exec(pg, db,
                          "SELECT record_id FROM changes WHERE record_id IS NOT NULL "
                          "GROUP BY record_id ORDER BY min(seq)");
    size_t *ord = calloc(ds->n, sizeof(*ord)), n = 0;
    cr_assert_eq((size_t)PQntuples(r), ds->n, "every record is in the feed");
    for (int k = 0; k < PQntuples(r); k++)
        for (size_t i = 0; i < ds->n; i++)
            if (strcmp(ds->id[i], PQgetvalue(r, k, 0)) == 0)
                ord[n++] = i;
    PQclear(r);
    cr_assert_eq(n, ds->n);
    return ord;
}

/* One node given the same records in the cluster's decision order, batch by batch. */
static void single_node(au_pgserver *pg, const dataset *ds, const size_t *ord)
{
    au_rt_daemon one;
    start_nodes(pg, "single", &one, 1);
    for (size_t i = 0; i < ds->n; i += BATCH) {
        char *body = batch_body(ds, ord, i, i + BATCH < ds->n ? i + BATCH : ds->n);
        au_rt_resp resp = {0};
        cr_assert_eq(au_rt_admin(&one, "POST", "/v1/sources/febrl/records", body, &resp), 200, "%s",
                     resp.body);
        au_rt_resp_cleanup(&resp);
        free(body);
    }
    cr_assert_eq(au_rt_stop(&one), 0);
    au_rt_cleanup(&one);
}

/* The reader saw every committed row (none skipped) in strictly increasing order. */
static void check_feed(const au_pgserver *pg, const run *r)
{
    cr_assert_eq(r->feed_error, 0, "the feed went backwards or could not be read");
    PGresult *q = db_exec(pg, "cluster", "SELECT seq FROM changes ORDER BY seq");
    cr_assert_eq((size_t)PQntuples(q), r->nseqs, "the reader saw %zu rows of %d", r->nseqs,
                 PQntuples(q));
    for (size_t k = 0; k < r->nseqs; k++)
        cr_assert_eq(strtoll(PQgetvalue(q, (int)k, 0), NULL, 10), r->seqs[k], "row %zu of the feed",
                     k);
    PQclear(q);
}

/* The cluster's partition equals the single node's, so does F1. */
static void check_one_node_answer(au_pgserver *pg, const dataset *ds)
{
    static char multi[MAX_RECS][32], one[MAX_RECS][32];
    partition(pg, "cluster", ds, multi);
    size_t *ord = decision_order(pg, "cluster", ds);
    single_node(pg, ds, ord);
    partition(pg, "single", ds, one);
    size_t differ = 0;
    for (size_t i = 0; i < ds->n; i++) {
        cr_assert(multi[i][0], "record %s has a profile", ds->id[i]);
        for (size_t j = i + 1; j < ds->n; j++)
            differ += (strcmp(multi[i], multi[j]) == 0) != (strcmp(one[i], one[j]) == 0);
    }
    double fm = f1(ds, multi), fo = f1(ds, one);
    cr_log_info("F1 three nodes %.4f, one node %.4f", fm, fo);
    cr_assert_eq(differ, 0, "%zu pairs are together on one side only", differ);
    cr_assert_float_eq(fm, fo, 1e-12);
    cr_assert_gt(fm, 0.9, "the resolution itself works (F1 %.4f)", fm);
    free(ord);
}

static void stop_nodes(au_rt_daemon *d)
{
    for (int i = 0; i < N_NODES; i++) {
        if (d[i].pid)
            cr_assert_eq(au_rt_stop(&d[i]), 0, "node %d did not stop cleanly", i);
        au_rt_cleanup(&d[i]);
    }
}

Test(nodes, three_nodes_on_one_database_give_one_nodes_partition, .timeout = 600)
{
    if (!au_pgserver_available())
        cr_skip_test("PostgreSQL is not installed (scripts/deps.sh)");
    static dataset ds;
    static run r;
    au_pgserver pg;
    au_rt_daemon d[N_NODES];
    load_febrl(&ds);
    shuffle(&ds);
    cr_assert_eq(au_pgserver_start(&pg), 0, "cannot start PostgreSQL (see %s)", pg.log);
    start_nodes(&pg, "cluster", d, N_NODES);
    r.ds = &ds;
    r.nodes = d;
    for (int i = 0; i < N_NODES; i++)
        atomic_store(&r.alive[i], 1);
    send_all(&r);
    cr_assert_eq(atomic_load(&r.acked), (long)r.nbatches, "every batch was answered 200 (%s)",
                 r.last_error);
    check_feed(&pg, &r);
    stop_nodes(d);
    check_one_node_answer(&pg, &ds);
    free(r.seqs);
    dataset_free(&ds);
    au_pgserver_stop(&pg);
}

Test(nodes, a_node_killed_in_the_middle_loses_no_acknowledged_write, .timeout = 600)
{
    if (!au_pgserver_available())
        cr_skip_test("PostgreSQL is not installed (scripts/deps.sh)");
    static dataset ds;
    static run r;
    au_pgserver pg;
    au_rt_daemon d[N_NODES];
    load_febrl(&ds);
    shuffle(&ds);
    cr_assert_eq(au_pgserver_start(&pg), 0, "cannot start PostgreSQL (see %s)", pg.log);
    start_nodes(&pg, "cluster", d, N_NODES);
    r.ds = &ds;
    r.nodes = d;
    for (int i = 0; i < N_NODES; i++)
        atomic_store(&r.alive[i], 1);
    r.kill_at = 35; /* about a third of the 100 batches */
    r.victim = 1;
    send_all(&r);
    cr_assert_eq(atomic_load(&r.killed), 1, "node 1 was killed");
    cr_assert_eq(atomic_load(&r.acked), (long)r.nbatches,
                 "every batch was answered 200 at last (%s)", r.last_error);

    /* every acknowledged record is stored and resolved (here: all of them) */
    PGresult *q = db_exec(&pg, "cluster",
                          "SELECT count(*) FROM records r JOIN assignments a ON a.rec = r.id "
                          "WHERE NOT r.deleted");
    cr_assert_str_eq(PQgetvalue(q, 0, 0), "1000");
    PQclear(q);
    check_feed(&pg, &r);
    stop_nodes(d);
    check_one_node_answer(&pg, &ds);
    free(r.seqs);
    dataset_free(&ds);
    au_pgserver_stop(&pg);
}
