/*
 * The PostgreSQL back-end's privacy domain (store_privacy.h): the purge of a data subject, its
 * receipt and suppression entries (tables of migration 6), the search of flow runs and dead
 * letters mentioning a person (export), the tombstone scrub of a deleted record, and the
 * "checkpoint" that takes erased bytes out of what the server keeps.
 *
 * The purge is the function aurum_subject_purge (schema_pg.c), the steps of
 * store_sqlite_privacy.c in one round trip; the person is described by the same JSON arrays
 * (members, customer references, needles).
 */
#include <stdio.h>
#include <string.h>

#include "store/store_pg_int.h"

#define PV_NEEDLE_IN(x)                                                                            \
    "EXISTS (SELECT 1 FROM jsonb_array_elements_text($1::jsonb) n WHERE strpos(" x ", n) > 0)"

#define PV_STMT_LIST(X)                                                                            \
    X(PURGE, "SELECT * FROM aurum_subject_purge($1::jsonb, $2::jsonb, $3::jsonb, $4::bigint)")     \
    X(RECEIPT, "INSERT INTO erasures(key_id, identifiers, counts, at_ms, profile, suppress) "      \
               "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")                                     \
    X(SUPPRESS, "INSERT INTO suppressions(hash, erasure, at_ms) SELECT h, $2, $3 FROM "            \
                "jsonb_array_elements_text($1::jsonb) h ON CONFLICT (hash) DO NOTHING")            \
    X(RUNS, "SELECT id, flow, trigger, input, condition, steps, status, error, pending, "          \
            "attempts, started_ms, finished_ms FROM flow_runs WHERE " PV_NEEDLE_IN(                \
                "flow_runs.input") " OR " PV_NEEDLE_IN("flow_runs.error") " ORDER BY id DESC "     \
                                                                          "LIMIT $2")              \
    X(DEAD, "SELECT id, outbox_id, run_id, flow, step_id, request, response, reason, "             \
            "created_ms, replayed_ms FROM dead_letters WHERE " PV_NEEDLE_IN(                       \
                "dead_letters.request") " OR " PV_NEEDLE_IN("dead_letters.response") " ORDER BY "  \
                                                                                     "id DESC "    \
                                                                                     "LIMIT $2")   \
    X(SUPPRESSED, "SELECT 1 FROM suppressions WHERE $1::text IS NULL OR hash IN "                  \
                  "(SELECT jsonb_array_elements_text($1::jsonb)) LIMIT 1")                         \
    X(SCRUB, "UPDATE record_versions SET doc = NULL WHERE rec = $1 AND doc IS NOT NULL")

typedef enum {
#define PV_ENUM(id, sql) PV_##id,
    PV_STMT_LIST(PV_ENUM)
#undef PV_ENUM
        PV_COUNT
} pv_stmt;

_Static_assert(PV_COUNT <= 16, "the privacy statements own slots 128..143");

static const char *const pv_sql[PV_COUNT] = {
#define PV_SQL(id, sql) sql,
    PV_STMT_LIST(PV_SQL)
#undef PV_SQL
};

static PGresult *run(void *impl, pv_stmt id, const au_pg_params *p, const char *op, au_rc *rc)
{
    return au_pg_run(impl, AU_PG_SLOT_PRIVACY + (int)id, pv_sql[id], p, op, rc);
}

/* The receipt row, then the suppression entries when asked for. */
static au_rc add_receipt(void *impl, const au_subject_purge *p, au_purge_counts *n)
{
    char counts[256];
    snprintf(counts, sizeof(counts),
             "{\"records\":%lld,\"versions\":%lld,\"events\":%lld,\"runs\":%lld,"
             "\"dead_letters\":%lld,\"outbox\":%lld,\"changes\":%lld}",
             (long long)n->records, (long long)n->versions, (long long)n->events,
             (long long)n->runs, (long long)n->dead_letters, (long long)n->outbox,
             (long long)n->changes);
    au_pg_params r = {0};
    au_pg_text(&r, p->key_id ? p->key_id : "");
    au_pg_text(&r, p->hashes ? p->hashes : "[]");
    au_pg_text(&r, counts);
    au_pg_int(&r, p->at_ms);
    au_pg_int(&r, p->profile);
    au_pg_int(&r, p->suppress ? 1 : 0);
    au_rc rc = au_pg_one_int(impl, AU_PG_SLOT_PRIVACY + PV_RECEIPT, pv_sql[PV_RECEIPT], &r,
                             &n->receipt, "subject_purge");
    if (rc || !p->suppress)
        return rc;
    au_pg_params s = {0};
    au_pg_text(&s, p->hashes ? p->hashes : "[]");
    au_pg_int(&s, n->receipt);
    au_pg_int(&s, p->at_ms);
    return au_pg_exec(impl, AU_PG_SLOT_PRIVACY + PV_SUPPRESS, pv_sql[PV_SUPPRESS], &s,
                      "subject_purge");
}

static au_rc pg_subject_purge(void *impl, const au_subject_purge *p, au_purge_counts *n)
{
    au_pg_params q = {0};
    au_rc rc;
    memset(n, 0, sizeof(*n));
    au_pg_text(&q, p->members ? p->members : "[]");
    au_pg_text(&q, p->refs ? p->refs : "[]");
    au_pg_text(&q, p->needles ? p->needles : "[]");
    au_pg_int(&q, p->at_ms);
    PGresult *res = run(impl, PV_PURGE, &q, "subject_purge", &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 1) {
        n->records = au_pg_col_int(res, 0, 0);
        n->versions = au_pg_col_int(res, 0, 1);
        n->events = au_pg_col_int(res, 0, 2);
        n->runs = au_pg_col_int(res, 0, 3);
        n->dead_letters = au_pg_col_int(res, 0, 4);
        n->outbox = au_pg_col_int(res, 0, 5);
        n->changes = au_pg_col_int(res, 0, 6);
    }
    PQclear(res);
    return add_receipt(impl, p, n);
}

static int each_run(const PGresult *res, au_run_cb cb, void *ctx)
{
    int stop = 0;
    for (int i = 0; !stop && i < PQntuples(res); i++) {
        au_run_row r = au_pg_run_row(res, i);
        stop = cb(ctx, &r);
    }
    return stop;
}

static int each_dead(const PGresult *res, au_dead_cb cb, void *ctx)
{
    int stop = 0;
    for (int i = 0; !stop && i < PQntuples(res); i++) {
        au_dead_row d = {
            .id = au_pg_col_int(res, i, 0),
            .outbox_id = au_pg_col_int(res, i, 1),
            .run_id = au_pg_col_int(res, i, 2),
            .flow = au_pg_col(res, i, 3),
            .step_id = au_pg_col(res, i, 4),
            .request = au_pg_col(res, i, 5),
            .response = au_pg_col(res, i, 6),
            .reason = au_pg_col(res, i, 7),
            .created_ms = au_pg_col_int(res, i, 8),
            .replayed_ms = au_pg_col_int(res, i, 9),
        };
        stop = cb(ctx, &d);
    }
    return stop;
}

static au_rc pg_subject_runs(void *impl, const char *needles, int limit, au_run_cb rcb,
                             au_dead_cb dcb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, needles ? needles : "[]");
    au_pg_int(&p, limit);
    PGresult *res = run(impl, PV_RUNS, &p, "subject_runs", &rc);
    if (!res)
        return rc;
    int stop = each_run(res, rcb, ctx);
    PQclear(res);
    if (stop)
        return (au_rc)stop;
    if (!(res = run(impl, PV_DEAD, &p, "subject_runs", &rc)))
        return rc;
    stop = each_dead(res, dcb, ctx);
    PQclear(res);
    return (au_rc)stop;
}

static au_rc pg_suppressed(void *impl, const char *hashes, int *yes)
{
    au_pg_params p = {0};
    int64_t one = 0;
    au_pg_text(&p, hashes);
    au_rc rc = au_pg_one_int(impl, AU_PG_SLOT_PRIVACY + PV_SUPPRESSED, pv_sql[PV_SUPPRESSED], &p,
                             &one, "suppressed");
    *yes = rc == AU_OK;
    return rc == AU_ERR_NOT_FOUND ? AU_OK : rc;
}

/* PostgreSQL has no WAL file of ours to truncate: erased rows linger as dead tuples until
 * VACUUM and in the server's WAL until a checkpoint recycles it. VACUUM of the tables that held
 * personal data removes the tuples; CHECKPOINT needs a superuser or pg_checkpoint, so without
 * the privilege *done is 0 (the WAL segments go with the server's next own checkpoint). */
static au_rc pg_checkpoint(void *impl, int *done)
{
    *done = 0;
    au_rc rc = au_pg_utility(impl,
                             "VACUUM record_versions, records, events, event_refs, changes, "
                             "flow_runs, outbox, dead_letters, quality, profile_idents",
                             "checkpoint");
    if (rc)
        return rc;
    *done = au_pg_utility(impl, "CHECKPOINT", "checkpoint") == AU_OK;
    return AU_OK;
}

static au_rc pg_record_scrub(void *impl, int64_t no)
{
    au_pg_params p = {0};
    au_pg_int(&p, no);
    return au_pg_exec(impl, AU_PG_SLOT_PRIVACY + PV_SCRUB, pv_sql[PV_SCRUB], &p, "record_scrub");
}

const struct au_store_privacy_ops au_pg_privacy_ops = {
    .subject_purge = pg_subject_purge,
    .subject_runs = pg_subject_runs,
    .suppressed = pg_suppressed,
    .checkpoint = pg_checkpoint,
    .record_scrub = pg_record_scrub,
};
