/*
 * The PostgreSQL back-end's flows domain (store_flows.h): saved definitions, runs, the
 * transactional outbox and dead letters, with the statements of store_sqlite_flows.c in
 * PostgreSQL's dialect (a run's step summaries are merged with jsonb_set, so the stored text is
 * jsonb's rendering), and the claims that let several nodes share one outbox and one set of
 * schedules: leases on outbox rows and one row per schedule firing (docs/POSTGRES.md).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "store/store_pg_int.h"

#define RUN_COLS                                                                                   \
    "id, flow, trigger, input, condition, steps, status, error, pending, attempts, started_ms, "   \
    "finished_ms"
#define FL_STMT_LIST(X)                                                                            \
    X(FLOW_PUT, "INSERT INTO flows(name, definition, updated_ms) VALUES ($1, $2, $3) "             \
                "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, "              \
                "updated_ms = excluded.updated_ms")                                                \
    X(FLOW_DELETE, "DELETE FROM flows WHERE name = $1")                                            \
    X(FLOW_LIST, "SELECT name, definition FROM flows ORDER BY name")                               \
    X(OUTBOX_ADD, "INSERT INTO outbox(flow, run_id, step_id, idem_key, partition_key, status, "    \
                  "attempts, next_ms, created_ms) VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $7) "      \
                  "ON CONFLICT (idem_key) DO NOTHING")                                             \
    X(OUTBOX_PENDING, "SELECT o.id, o.flow, o.run_id, o.step_id, o.idem_key, o.partition_key, "    \
                      "r.input, o.status, o.attempts, o.next_ms, o.created_ms, o.claimed_by, "     \
                      "o.lease_until FROM outbox o "                                               \
                      "JOIN flow_runs r ON r.id = o.run_id WHERE o.status = 0 ORDER BY o.id "      \
                      "LIMIT $1")                                                                  \
    X(OUTBOX_SET, "UPDATE outbox SET status = $2, attempts = $3, next_ms = $4, last_error = $5, "  \
                  "claimed_by = NULL, lease_until = 0 WHERE id = $1")                              \
    X(RUN_ADD, "INSERT INTO flow_runs(flow, trigger, input, condition, steps, status, error, "     \
               "pending, attempts, started_ms, finished_ms) VALUES ($1, $2, $3, $4, "              \
               "coalesce($5, '{}'), $6, $7, $8, 0, $9, $10) RETURNING id")                         \
    X(RUN_STEP, "UPDATE flow_runs SET "                                                            \
                "steps = jsonb_set(steps::jsonb, ARRAY[$2::text], $3::jsonb)::text, "              \
                "pending = greatest(pending - $4::int, 0), attempts = attempts + $6::int, "        \
                "status = CASE WHEN $5::int <> 0 THEN 'failed' WHEN status = 'failed' "            \
                "THEN 'failed' WHEN pending - $4::int <= 0 THEN 'delivered' ELSE 'pending' END, "  \
                "error = CASE WHEN $5::int <> 0 AND error IS NULL THEN $8::text ELSE error END, "  \
                "finished_ms = CASE WHEN pending - $4::int <= 0 THEN $7::bigint "                  \
                "ELSE finished_ms END WHERE id = $1")                                              \
    X(RUN_LIST, "SELECT " RUN_COLS " FROM flow_runs WHERE flow = $1 "                              \
                "AND ($2::bigint = 0 OR id < $2::bigint) AND ($4::text IS NULL "                   \
                "OR ($4::text = 'dead' AND id IN (SELECT run_id FROM dead_letters "                \
                "WHERE flow = $1 AND replayed_ms = 0)) OR status = $4::text) "                     \
                "ORDER BY id DESC LIMIT $3")                                                       \
    X(RUN_COUNTS, "SELECT status, count(*) FROM flow_runs WHERE flow = $1 GROUP BY status "        \
                  "UNION ALL SELECT 'dead_letters', count(*) FROM dead_letters "                   \
                  "WHERE flow = $1 AND replayed_ms = 0")                                           \
    X(RUN_RETRYING, "SELECT count(*), (SELECT last_error FROM outbox WHERE flow = $1 AND "         \
                    "status = 0 AND attempts > 0 ORDER BY id DESC LIMIT 1) FROM outbox "           \
                    "WHERE flow = $1 AND status = 0 AND attempts > 0")                             \
    X(DEAD_ADD, "INSERT INTO dead_letters(outbox_id, run_id, flow, step_id, request, response, "   \
                "reason, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")        \
    X(DEAD_LIST, "SELECT id, outbox_id, run_id, flow, step_id, request, response, reason, "        \
                 "created_ms, replayed_ms FROM dead_letters WHERE ($1::text IS NULL "              \
                 "OR flow = $1::text) AND ($2::int = 0 OR replayed_ms = 0) "                       \
                 "ORDER BY id DESC LIMIT $3")                                                      \
    X(DEAD_GET, "SELECT outbox_id, run_id, replayed_ms FROM dead_letters WHERE id = $1 "           \
                "FOR UPDATE")                                                                      \
    X(DEAD_MARK, "UPDATE dead_letters SET replayed_ms = $2 WHERE id = $1")                         \
    X(OUTBOX_REQUEUE, "UPDATE outbox SET status = 0, attempts = 0, next_ms = 0, "                  \
                      "last_error = NULL, claimed_by = NULL, lease_until = 0 WHERE id = $1")       \
    X(RUN_REOPEN, "UPDATE flow_runs SET pending = pending + 1, status = 'pending', "               \
                  "error = NULL, finished_ms = 0 WHERE id = $1")                                   \
    X(CHANGE_MAX, "SELECT coalesce(max(seq), 0) FROM changes")                                     \
    X(EVENT_LATEST, "SELECT source, event_id, type, customer, properties, origin, at_ms, "         \
                    "received_ms, seq FROM events WHERE type = $1 "                                \
                    "AND ($2::text IS NULL OR source = $2::text) ORDER BY seq DESC LIMIT 1")

/* The claims of several nodes (slots AU_PG_SLOT_CLAIMS..): the inner SELECT locks the rows it
 * can still take and SKIPs those another node's claim holds locked, so two dispatchers never
 * wait on each other; FOR UPDATE re-reads each row after its lock, so a row another node leased
 * a moment ago is left alone. */
#define CL_STMT_LIST(X)                                                                            \
    X(CLAIM, "UPDATE outbox SET claimed_by = $1, lease_until = $4 WHERE id IN (SELECT id "         \
             "FROM outbox WHERE id = ANY($2::bigint[]) AND status = 0 AND (claimed_by IS NULL "    \
             "OR claimed_by = $1 OR lease_until < $3) FOR UPDATE SKIP LOCKED) RETURNING id")       \
    X(RENEW, "UPDATE outbox SET lease_until = $2 WHERE claimed_by = $1 AND status = 0")            \
    X(RELEASE, "UPDATE outbox SET claimed_by = NULL, lease_until = 0 WHERE claimed_by = $1")       \
    X(SCHEDULE, "INSERT INTO schedule_fires(name, at_s, node, claimed_ms) "                        \
                "VALUES ($1, $2, $3, $4) ON CONFLICT (name, at_s) DO NOTHING")

typedef enum {
#define CL_ENUM(id, sql) CL_##id,
    CL_STMT_LIST(CL_ENUM)
#undef CL_ENUM
        CL_COUNT
} cl_stmt;

static const char *const cl_sql[CL_COUNT] = {
#define CL_SQL(id, sql) sql,
    CL_STMT_LIST(CL_SQL)
#undef CL_SQL
};

_Static_assert(AU_PG_SLOT_CLAIMS + CL_COUNT <= AU_PG_SLOT_N,
               "claim statements overflow their slot range");

typedef enum {
#define FL_ENUM(id, sql) FL_##id,
    FL_STMT_LIST(FL_ENUM)
#undef FL_ENUM
        FL_COUNT
} fl_stmt;

static const char *const fl_sql[FL_COUNT] = {
#define FL_SQL(id, sql) sql,
    FL_STMT_LIST(FL_SQL)
#undef FL_SQL
};

_Static_assert(AU_PG_SLOT_FLOWS + FL_COUNT <= AU_PG_SLOT_PRIVACY,
               "flow statements overflow their slot range");

static PGresult *run(void *impl, fl_stmt id, const au_pg_params *p, const char *op, au_rc *rc)
{
    return au_pg_run(impl, AU_PG_SLOT_FLOWS + (int)id, fl_sql[id], p, op, rc);
}

static au_rc exec(void *impl, fl_stmt id, const au_pg_params *p, const char *op)
{
    return au_pg_exec(impl, AU_PG_SLOT_FLOWS + (int)id, fl_sql[id], p, op);
}

/* Runs a statement returning one id (RETURNING id) into *id when id is not NULL. */
static au_rc returning_id(void *impl, fl_stmt id_stmt, const au_pg_params *p, int64_t *id,
                          const char *op)
{
    au_rc rc;
    PGresult *res = run(impl, id_stmt, p, op, &rc);
    if (res && id)
        *id = PQntuples(res) ? au_pg_col_int(res, 0, 0) : 0;
    PQclear(res);
    return rc;
}

static au_rc pg_flow_put(void *impl, const char *name, const char *definition, int64_t at_ms)
{
    au_pg_params p = {0};
    au_pg_text(&p, name);
    au_pg_text(&p, definition);
    au_pg_int(&p, at_ms);
    return exec(impl, FL_FLOW_PUT, &p, "flow_put");
}

static au_rc pg_flow_delete(void *impl, const char *name)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, name);
    PGresult *res = run(impl, FL_FLOW_DELETE, &p, "flow_delete", &rc);
    if (res && strcmp(PQcmdTuples(res), "0") == 0)
        rc = AU_ERR_NOT_FOUND;
    PQclear(res);
    return rc;
}

static au_rc pg_flow_list(void *impl, au_flow_cb cb, void *ctx)
{
    au_rc rc;
    PGresult *res = run(impl, FL_FLOW_LIST, NULL, "flow_list", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++)
        rc = (au_rc)cb(ctx, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
    PQclear(res);
    return rc;
}

static au_rc pg_outbox_add(void *impl, const au_outbox_row *row, int *added)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, row->flow);
    au_pg_int(&p, row->run_id);
    au_pg_text(&p, row->step_id);
    au_pg_text(&p, row->idem_key);
    au_pg_text(&p, row->partition ? row->partition : "");
    au_pg_int(&p, row->next_ms);
    au_pg_int(&p, row->created_ms);
    PGresult *res = run(impl, FL_OUTBOX_ADD, &p, "outbox_add", &rc);
    if (added)
        *added = res && strcmp(PQcmdTuples(res), "0") != 0;
    PQclear(res);
    return rc;
}

static au_rc pg_outbox_pending(void *impl, int limit, au_outbox_cb cb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_int(&p, limit);
    PGresult *res = run(impl, FL_OUTBOX_PENDING, &p, "outbox_pending", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++) {
        au_outbox_row r = {
            .id = au_pg_col_int(res, i, 0),
            .flow = au_pg_col(res, i, 1),
            .run_id = au_pg_col_int(res, i, 2),
            .step_id = au_pg_col(res, i, 3),
            .idem_key = au_pg_col(res, i, 4),
            .partition = au_pg_col(res, i, 5),
            .input = au_pg_col(res, i, 6),
            .status = (int)au_pg_col_int(res, i, 7),
            .attempts = (int)au_pg_col_int(res, i, 8),
            .next_ms = au_pg_col_int(res, i, 9),
            .created_ms = au_pg_col_int(res, i, 10),
            .claimed_by = au_pg_col(res, i, 11),
            .lease_until = au_pg_col_int(res, i, 12),
        };
        rc = (au_rc)cb(ctx, &r);
    }
    PQclear(res);
    return rc;
}

static au_rc pg_outbox_set(void *impl, int64_t id, int status, int attempts, int64_t next_ms,
                           const char *last_error)
{
    au_pg_params p = {0};
    au_pg_int(&p, id);
    au_pg_int(&p, status);
    au_pg_int(&p, attempts);
    au_pg_int(&p, next_ms);
    au_pg_text(&p, last_error);
    return exec(impl, FL_OUTBOX_SET, &p, "outbox_set");
}

static PGresult *claim_run(void *impl, cl_stmt id, const au_pg_params *p, const char *op, au_rc *rc)
{
    return au_pg_run(impl, AU_PG_SLOT_CLAIMS + (int)id, cl_sql[id], p, op, rc);
}

/* ids as a PostgreSQL array literal "{1,2,3}" (au_free), NULL when out of memory. */
static char *id_array(const int64_t *ids, int n)
{
    size_t cap = 3 + (size_t)n * 21, len = 1;
    char *out = au_malloc(cap);
    if (!out)
        return NULL;
    out[0] = '{';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, cap - len, "%s%lld", i ? "," : "", (long long)ids[i]);
    snprintf(out + len, cap - len, "}");
    return out;
}

static au_rc pg_outbox_claim(void *impl, const char *node, const int64_t *ids, int n,
                             int64_t now_ms, int64_t lease_until, au_claim_cb cb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc = AU_OK;
    if (n <= 0)
        return AU_OK;
    char *arr = id_array(ids, n);
    if (!arr)
        return AU_ERR_NOMEM;
    au_pg_text(&p, node);
    au_pg_text(&p, arr);
    au_pg_int(&p, now_ms);
    au_pg_int(&p, lease_until);
    PGresult *res = claim_run(impl, CL_CLAIM, &p, "outbox_claim", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++)
        rc = (au_rc)cb(ctx, au_pg_col_int(res, i, 0));
    PQclear(res);
    au_free(arr);
    return rc;
}

static au_rc pg_outbox_renew(void *impl, const char *node, int64_t lease_until)
{
    au_pg_params p = {0};
    au_pg_text(&p, node);
    au_pg_int(&p, lease_until);
    return au_pg_exec(impl, AU_PG_SLOT_CLAIMS + CL_RENEW, cl_sql[CL_RENEW], &p, "outbox_renew");
}

static au_rc pg_outbox_release(void *impl, const char *node, int64_t *released)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, node);
    PGresult *res = claim_run(impl, CL_RELEASE, &p, "outbox_release", &rc);
    if (released)
        *released = res ? strtoll(PQcmdTuples(res), NULL, 10) : 0;
    PQclear(res);
    return rc;
}

static au_rc pg_schedule_claim(void *impl, const char *name, int64_t at_s, const char *node,
                               int64_t now_ms, int *won)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, name);
    au_pg_int(&p, at_s);
    au_pg_text(&p, node);
    au_pg_int(&p, now_ms);
    PGresult *res = claim_run(impl, CL_SCHEDULE, &p, "schedule_claim", &rc);
    *won = res && strcmp(PQcmdTuples(res), "0") != 0;
    PQclear(res);
    return rc;
}

static au_rc pg_run_add(void *impl, const au_run_row *row, int64_t *id)
{
    au_pg_params p = {0};
    au_pg_text(&p, row->flow);
    au_pg_text(&p, row->trigger);
    au_pg_text(&p, row->input ? row->input : "{}");
    au_pg_text(&p, row->condition);
    au_pg_text(&p, row->steps);
    au_pg_text(&p, row->status);
    au_pg_text(&p, row->error);
    au_pg_int(&p, row->pending);
    au_pg_int(&p, row->started_ms);
    au_pg_int(&p, row->finished_ms);
    return returning_id(impl, FL_RUN_ADD, &p, id, "run_add");
}

static au_rc pg_run_step(void *impl, int64_t run_id, const char *step_id, const char *summary,
                         int done, int failed, const char *error, int attempts, int64_t at_ms)
{
    au_pg_params p = {0};
    au_pg_int(&p, run_id);
    au_pg_text(&p, step_id);
    au_pg_text(&p, summary ? summary : "{}");
    au_pg_int(&p, done);
    au_pg_int(&p, failed);
    au_pg_int(&p, attempts);
    au_pg_int(&p, at_ms);
    au_pg_text(&p, error);
    return exec(impl, FL_RUN_STEP, &p, "run_step");
}

/* Row i of a flow_runs result in the column order every run query selects (strings borrowed
 * from the result); the flows and privacy files read runs through it. */
au_run_row au_pg_run_row(const PGresult *res, int i)
{
    return (au_run_row){
        .id = au_pg_col_int(res, i, 0),
        .flow = au_pg_col(res, i, 1),
        .trigger = au_pg_col(res, i, 2),
        .input = au_pg_col(res, i, 3),
        .condition = au_pg_col(res, i, 4),
        .steps = au_pg_col(res, i, 5),
        .status = au_pg_col(res, i, 6),
        .error = au_pg_col(res, i, 7),
        .pending = (int)au_pg_col_int(res, i, 8),
        .attempts = (int)au_pg_col_int(res, i, 9),
        .started_ms = au_pg_col_int(res, i, 10),
        .finished_ms = au_pg_col_int(res, i, 11),
    };
}

static au_rc pg_run_list(void *impl, const char *flow, const char *status, int64_t before,
                         int limit, au_run_cb cb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, flow);
    au_pg_int(&p, before);
    au_pg_int(&p, limit);
    au_pg_text(&p, status);
    PGresult *res = run(impl, FL_RUN_LIST, &p, "run_list", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++) {
        au_run_row r = au_pg_run_row(res, i);
        rc = (au_rc)cb(ctx, &r);
    }
    PQclear(res);
    return rc;
}

/* Adds one (status, count) row of RUN_COUNTS to *out. */
static void count_into(au_run_counts *out, const char *name, int64_t n)
{
    static const struct {
        const char *name;
        size_t off;
    } slots[] = {
        {"pending", offsetof(au_run_counts, pending)},
        {"delivered", offsetof(au_run_counts, delivered)},
        {"failed", offsetof(au_run_counts, failed)},
        {"skipped", offsetof(au_run_counts, skipped)},
        {"error", offsetof(au_run_counts, error)},
        {"dead_letters", offsetof(au_run_counts, dead_letters)},
    };
    for (size_t i = 0; name && i < sizeof(slots) / sizeof(slots[0]); i++)
        if (!strcmp(name, slots[i].name))
            *(int64_t *)((char *)out + slots[i].off) = n;
    if (name && strcmp(name, "dead_letters"))
        out->total += n;
}

static au_rc pg_run_counts(void *impl, const char *flow, au_run_counts *out)
{
    au_pg_params p = {0};
    au_rc rc;
    memset(out, 0, sizeof(*out));
    au_pg_text(&p, flow);
    PGresult *res = run(impl, FL_RUN_COUNTS, &p, "run_counts", &rc);
    for (int i = 0; res && i < PQntuples(res); i++)
        count_into(out, au_pg_col(res, i, 0), au_pg_col_int(res, i, 1));
    PQclear(res);
    if (rc)
        return rc;
    res = run(impl, FL_RUN_RETRYING, &p, "run_retrying", &rc);
    if (res && PQntuples(res) > 0) {
        const char *e = au_pg_col(res, 0, 1);
        out->retrying = au_pg_col_int(res, 0, 0);
        snprintf(out->last_retry_error, sizeof(out->last_retry_error), "%s", e ? e : "");
    }
    PQclear(res);
    return rc;
}

static au_rc pg_dead_add(void *impl, const au_dead_row *row, int64_t *id)
{
    au_pg_params p = {0};
    au_pg_int(&p, row->outbox_id);
    au_pg_int(&p, row->run_id);
    au_pg_text(&p, row->flow);
    au_pg_text(&p, row->step_id);
    au_pg_text(&p, row->request);
    au_pg_text(&p, row->response);
    au_pg_text(&p, row->reason ? row->reason : "");
    au_pg_int(&p, row->created_ms);
    return returning_id(impl, FL_DEAD_ADD, &p, id, "dead_add");
}

static au_rc pg_dead_list(void *impl, const char *flow, int open_only, int limit, au_dead_cb cb,
                          void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, flow);
    au_pg_int(&p, open_only);
    au_pg_int(&p, limit);
    PGresult *res = run(impl, FL_DEAD_LIST, &p, "dead_list", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++) {
        au_dead_row r = {
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
        rc = (au_rc)cb(ctx, &r);
    }
    PQclear(res);
    return rc;
}

/* The dead letter is locked while it is replayed: two nodes replaying it at once take turns,
 * and the second finds it replayed (AU_ERR_CONFLICT). */
static au_rc pg_dead_replay(void *impl, int64_t id, int64_t at_ms)
{
    au_pg_params p = {0};
    au_rc rc;
    int64_t outbox_id = 0, run_id = 0, replayed = 0;
    au_pg_int(&p, id);
    PGresult *res = run(impl, FL_DEAD_GET, &p, "dead_get", &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0) {
        rc = AU_ERR_NOT_FOUND;
    } else {
        outbox_id = au_pg_col_int(res, 0, 0);
        run_id = au_pg_col_int(res, 0, 1);
        replayed = au_pg_col_int(res, 0, 2);
    }
    PQclear(res);
    if (!rc && replayed)
        rc = AU_ERR_CONFLICT;
    au_pg_params mark = {0}, requeue = {0}, reopen = {0};
    au_pg_int(&mark, id);
    au_pg_int(&mark, at_ms);
    au_pg_int(&requeue, outbox_id);
    au_pg_int(&reopen, run_id);
    if (!rc)
        rc = exec(impl, FL_DEAD_MARK, &mark, "dead_replay");
    if (!rc)
        rc = exec(impl, FL_OUTBOX_REQUEUE, &requeue, "dead_replay");
    if (!rc)
        rc = exec(impl, FL_RUN_REOPEN, &reopen, "dead_replay");
    return rc;
}

static au_rc pg_change_max(void *impl, int64_t *seq)
{
    *seq = 0;
    return au_pg_one_int(impl, AU_PG_SLOT_FLOWS + FL_CHANGE_MAX, fl_sql[FL_CHANGE_MAX], NULL, seq,
                         "change_max");
}

static au_rc pg_event_latest(void *impl, const char *type, const char *source, au_event_out *out)
{
    au_pg_params p = {0};
    au_rc rc;
    memset(out, 0, sizeof(*out));
    au_pg_text(&p, type);
    au_pg_text(&p, source);
    PGresult *res = run(impl, FL_EVENT_LATEST, &p, "event_latest", &rc);
    if (res)
        rc = PQntuples(res) == 0 ? AU_ERR_NOT_FOUND : au_pg_event_copy(res, 0, out);
    PQclear(res);
    return rc;
}

const struct au_store_flows_ops au_pg_flows_ops = {
    .flow_put = pg_flow_put,
    .flow_delete = pg_flow_delete,
    .flow_list = pg_flow_list,
    .outbox_add = pg_outbox_add,
    .outbox_pending = pg_outbox_pending,
    .outbox_set = pg_outbox_set,
    .outbox_claim = pg_outbox_claim,
    .outbox_renew = pg_outbox_renew,
    .outbox_release = pg_outbox_release,
    .schedule_claim = pg_schedule_claim,
    .run_add = pg_run_add,
    .run_step = pg_run_step,
    .run_list = pg_run_list,
    .run_counts = pg_run_counts,
    .dead_add = pg_dead_add,
    .dead_list = pg_dead_list,
    .dead_replay = pg_dead_replay,
    .change_max = pg_change_max,
    .event_latest = pg_event_latest,
};
