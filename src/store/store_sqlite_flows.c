/*
 * The SQLite side of flows: saved definitions, runs, the transactional outbox and dead letters.
 * The outbox rows are written by the flows hook inside the writer's transaction, so a change
 * and the deliveries it causes commit together; the delivery workers read pending rows with a
 * reader handle and record outcomes through the writer. An outbox row carries no copy of the
 * input: it joins its run, which holds the context once for all steps.
 */
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "store/store_sqlite_int.h"

static const char sql_flow_put[] =
    "INSERT INTO flows(name, definition, updated_ms) VALUES (?1, ?2, ?3) "
    "ON CONFLICT(name) DO UPDATE SET definition = excluded.definition, "
    "updated_ms = excluded.updated_ms";
static const char sql_flow_delete[] = "DELETE FROM flows WHERE name = ?1";
static const char sql_flow_list[] = "SELECT name, definition FROM flows ORDER BY name";
static const char sql_outbox_add[] =
    "INSERT INTO outbox(flow, run_id, step_id, idem_key, partition_key, status, attempts, "
    "next_ms, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6, ?7) "
    "ON CONFLICT(idem_key) DO NOTHING";
static const char sql_outbox_pending[] =
    "SELECT o.id, o.flow, o.run_id, o.step_id, o.idem_key, o.partition_key, r.input, o.status, "
    "o.attempts, o.next_ms, o.created_ms FROM outbox o JOIN flow_runs r ON r.id = o.run_id "
    "WHERE o.status = 0 ORDER BY o.id LIMIT ?1";
static const char sql_outbox_set[] =
    "UPDATE outbox SET status = ?2, attempts = ?3, next_ms = ?4, last_error = ?5 WHERE id = ?1";
static const char sql_run_add[] =
    "INSERT INTO flow_runs(flow, trigger, input, condition, steps, status, error, pending, "
    "attempts, started_ms, finished_ms) VALUES (?1, ?2, ?3, ?4, coalesce(?5, '{}'), ?6, ?7, ?8, "
    "0, ?9, ?10)";
static const char sql_run_step[] =
    "UPDATE flow_runs SET steps = json_set(steps, '$.\"' || ?2 || '\"', json(?3)), "
    "pending = max(pending - ?4, 0), attempts = attempts + ?6, "
    "status = CASE WHEN ?5 THEN 'failed' WHEN status = 'failed' THEN 'failed' "
    "WHEN pending - ?4 <= 0 THEN 'delivered' ELSE 'pending' END, "
    "error = CASE WHEN ?5 AND error IS NULL THEN ?8 ELSE error END, "
    "finished_ms = CASE WHEN pending - ?4 <= 0 THEN ?7 ELSE finished_ms END WHERE id = ?1";
/* "dead" is not a run status but a question: which runs have a dead letter still open. */
static const char sql_run_list[] =
    "SELECT id, flow, trigger, input, condition, steps, status, error, pending, attempts, "
    "started_ms, finished_ms FROM flow_runs WHERE flow = ?1 AND (?2 = 0 OR id < ?2) "
    "AND (?4 IS NULL OR (?4 = 'dead' AND id IN (SELECT run_id FROM dead_letters "
    "WHERE flow = ?1 AND replayed_ms = 0)) OR status = ?4) ORDER BY id DESC LIMIT ?3";
static const char sql_run_counts[] =
    "SELECT status, count(*) FROM flow_runs WHERE flow = ?1 GROUP BY status "
    "UNION ALL SELECT 'dead_letters', count(*) FROM dead_letters "
    "WHERE flow = ?1 AND replayed_ms = 0";
/* Deliveries of a flow that failed and wait to be retried: a target that is down shows here
 * long before anything reaches the dead letters. */
static const char sql_run_retrying[] =
    "SELECT count(*), (SELECT last_error FROM outbox WHERE flow = ?1 AND status = 0 AND "
    "attempts > 0 ORDER BY id DESC LIMIT 1) FROM outbox WHERE flow = ?1 AND status = 0 AND "
    "attempts > 0";
static const char sql_dead_add[] =
    "INSERT INTO dead_letters(outbox_id, run_id, flow, step_id, request, response, reason, "
    "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char sql_dead_list[] =
    "SELECT id, outbox_id, run_id, flow, step_id, request, response, reason, created_ms, "
    "replayed_ms FROM dead_letters WHERE (?1 IS NULL OR flow = ?1) AND (?2 = 0 OR replayed_ms = 0) "
    "ORDER BY id DESC LIMIT ?3";
static const char sql_dead_get[] =
    "SELECT outbox_id, run_id, replayed_ms FROM dead_letters WHERE id = ?1";
static const char sql_dead_mark[] = "UPDATE dead_letters SET replayed_ms = ?2 WHERE id = ?1";
static const char sql_outbox_requeue[] =
    "UPDATE outbox SET status = 0, attempts = 0, next_ms = 0, last_error = NULL WHERE id = ?1";
/* A replayed delivery may still succeed: the run is open again and its error is history. */
static const char sql_run_reopen[] =
    "UPDATE flow_runs SET pending = pending + 1, status = 'pending', error = NULL, "
    "finished_ms = 0 WHERE id = ?1";

static const char sql_change_max[] = "SELECT coalesce(max(seq), 0) FROM changes";
/* Scans back from the newest event; only dry runs ask, so no index on type. */
static const char sql_event_latest[] =
    "SELECT source, event_id, type, customer, properties, origin, at_ms, received_ms, seq "
    "FROM events WHERE type = ?1 AND (?2 IS NULL OR source = ?2) ORDER BY seq DESC LIMIT 1";

/* Statement slots (AU_SQLITE_EXT_FLOWS + n). */
enum {
    SLOT_flow_put,
    SLOT_flow_delete,
    SLOT_flow_list,
    SLOT_outbox_add,
    SLOT_outbox_pending,
    SLOT_outbox_set,
    SLOT_run_add,
    SLOT_run_step,
    SLOT_run_list,
    SLOT_run_counts,
    SLOT_run_retrying,
    SLOT_dead_add,
    SLOT_dead_list,
    SLOT_dead_get,
    SLOT_dead_mark,
    SLOT_outbox_requeue,
    SLOT_run_reopen,
    SLOT_change_max,
    SLOT_event_latest,
};

/* The cached statement of `sql` in slot AU_SQLITE_EXT_FLOWS + slot. */
#define STMT(impl, name) au_sqlite_stmt(impl, AU_SQLITE_EXT_FLOWS + SLOT_##name, sql_##name)

au_rc au_sqlite_flow_put(void *impl, const char *name, const char *definition, int64_t at_ms)
{
    sqlite3_stmt *st = STMT(impl, flow_put);
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, name);
    au_sqlite_bind_text(st, 2, definition);
    sqlite3_bind_int64(st, 3, at_ms);
    return au_sqlite_run(impl, st, "flow_put");
}

au_rc au_sqlite_flow_delete(void *impl, const char *name)
{
    sqlite3_stmt *st = STMT(impl, flow_delete);
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, name);
    au_rc rc = au_sqlite_run(impl, st, "flow_delete");
    if (!rc && sqlite3_changes(au_sqlite_db(impl)) == 0)
        rc = AU_ERR_NOT_FOUND;
    return rc;
}

au_rc au_sqlite_flow_list(void *impl, au_flow_cb cb, void *ctx)
{
    sqlite3_stmt *st = STMT(impl, flow_list);
    int src, stop = 0;
    if (!st)
        return AU_ERR_STORE;
    while (!stop && (src = sqlite3_step(st)) == SQLITE_ROW)
        stop = cb(ctx, au_sqlite_col_text(st, 0), au_sqlite_col_text(st, 1));
    au_rc rc = stop ? stop : (src == SQLITE_DONE ? AU_OK : au_sqlite_fail(impl, src, "flow_list"));
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_outbox_add(void *impl, const au_outbox_row *row, int *added)
{
    sqlite3_stmt *st = STMT(impl, outbox_add);
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, row->flow);
    sqlite3_bind_int64(st, 2, row->run_id);
    au_sqlite_bind_text(st, 3, row->step_id);
    au_sqlite_bind_text(st, 4, row->idem_key);
    au_sqlite_bind_text(st, 5, row->partition ? row->partition : "");
    sqlite3_bind_int64(st, 6, row->next_ms);
    sqlite3_bind_int64(st, 7, row->created_ms);
    au_rc rc = au_sqlite_run(impl, st, "outbox_add");
    if (added)
        *added = !rc && sqlite3_changes(au_sqlite_db(impl)) > 0;
    return rc;
}

au_rc au_sqlite_outbox_pending(void *impl, int limit, au_outbox_cb cb, void *ctx)
{
    sqlite3_stmt *st = STMT(impl, outbox_pending);
    int src, stop = 0;
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int(st, 1, limit);
    while (!stop && (src = sqlite3_step(st)) == SQLITE_ROW) {
        au_outbox_row r = {
            .id = sqlite3_column_int64(st, 0),
            .flow = au_sqlite_col_text(st, 1),
            .run_id = sqlite3_column_int64(st, 2),
            .step_id = au_sqlite_col_text(st, 3),
            .idem_key = au_sqlite_col_text(st, 4),
            .partition = au_sqlite_col_text(st, 5),
            .input = au_sqlite_col_text(st, 6),
            .status = sqlite3_column_int(st, 7),
            .attempts = sqlite3_column_int(st, 8),
            .next_ms = sqlite3_column_int64(st, 9),
            .created_ms = sqlite3_column_int64(st, 10),
        };
        stop = cb(ctx, &r);
    }
    au_rc rc =
        stop ? stop : (src == SQLITE_DONE ? AU_OK : au_sqlite_fail(impl, src, "outbox_pending"));
    sqlite3_reset(st);
    return rc;
}

/* A SQLite store has one node (the data directory's lock file keeps a second one out), so the
 * claims of several nodes reduce to granting everything: the dispatcher's in-memory claims
 * already keep one row from being sent twice at once. */
au_rc au_sqlite_outbox_claim(void *impl, const char *node, const int64_t *ids, int n,
                             int64_t now_ms, int64_t lease_until, au_claim_cb cb, void *ctx)
{
    (void)impl, (void)node, (void)now_ms, (void)lease_until;
    int stop = 0;
    for (int i = 0; !stop && i < n; i++)
        stop = cb(ctx, ids[i]);
    return (au_rc)stop;
}

au_rc au_sqlite_outbox_renew(void *impl, const char *node, int64_t lease_until)
{
    (void)impl, (void)node, (void)lease_until;
    return AU_OK;
}

au_rc au_sqlite_outbox_release(void *impl, const char *node, int64_t *released)
{
    (void)impl, (void)node;
    if (released)
        *released = 0;
    return AU_OK;
}

/* The one scheduler of the one node never asks twice for the same firing. */
au_rc au_sqlite_schedule_claim(void *impl, const char *name, int64_t at_s, const char *node,
                               int64_t now_ms, int *won)
{
    (void)impl, (void)name, (void)at_s, (void)node, (void)now_ms;
    *won = 1;
    return AU_OK;
}

au_rc au_sqlite_outbox_set(void *impl, int64_t id, int status, int attempts, int64_t next_ms,
                           const char *last_error)
{
    sqlite3_stmt *st = STMT(impl, outbox_set);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, status);
    sqlite3_bind_int(st, 3, attempts);
    sqlite3_bind_int64(st, 4, next_ms);
    au_sqlite_bind_text(st, 5, last_error);
    return au_sqlite_run(impl, st, "outbox_set");
}

au_rc au_sqlite_run_add(void *impl, const au_run_row *row, int64_t *id)
{
    sqlite3_stmt *st = STMT(impl, run_add);
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, row->flow);
    au_sqlite_bind_text(st, 2, row->trigger);
    au_sqlite_bind_text(st, 3, row->input ? row->input : "{}");
    au_sqlite_bind_text(st, 4, row->condition);
    au_sqlite_bind_text(st, 5, row->steps);
    au_sqlite_bind_text(st, 6, row->status);
    au_sqlite_bind_text(st, 7, row->error);
    sqlite3_bind_int(st, 8, row->pending);
    sqlite3_bind_int64(st, 9, row->started_ms);
    sqlite3_bind_int64(st, 10, row->finished_ms);
    au_rc rc = au_sqlite_run(impl, st, "run_add");
    if (!rc && id)
        *id = sqlite3_last_insert_rowid(au_sqlite_db(impl));
    return rc;
}

au_rc au_sqlite_run_step(void *impl, int64_t run_id, const char *step_id, const char *summary,
                         int done, int failed, const char *error, int attempts, int64_t at_ms)
{
    sqlite3_stmt *st = STMT(impl, run_step);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, run_id);
    au_sqlite_bind_text(st, 2, step_id);
    au_sqlite_bind_text(st, 3, summary ? summary : "{}");
    sqlite3_bind_int(st, 4, done);
    sqlite3_bind_int(st, 5, failed);
    sqlite3_bind_int(st, 6, attempts);
    sqlite3_bind_int64(st, 7, at_ms);
    au_sqlite_bind_text(st, 8, error);
    return au_sqlite_run(impl, st, "run_step");
}

/* One flow_runs row as selected in column order id, flow, trigger, input, condition, steps,
 * status, error, pending, attempts, started_ms, finished_ms; strings borrowed from `st`. */
void au_sqlite_run_row(sqlite3_stmt *st, au_run_row *r)
{
    *r = (au_run_row){
        .id = sqlite3_column_int64(st, 0),
        .flow = au_sqlite_col_text(st, 1),
        .trigger = au_sqlite_col_text(st, 2),
        .input = au_sqlite_col_text(st, 3),
        .condition = au_sqlite_col_text(st, 4),
        .steps = au_sqlite_col_text(st, 5),
        .status = au_sqlite_col_text(st, 6),
        .error = au_sqlite_col_text(st, 7),
        .pending = sqlite3_column_int(st, 8),
        .attempts = sqlite3_column_int(st, 9),
        .started_ms = sqlite3_column_int64(st, 10),
        .finished_ms = sqlite3_column_int64(st, 11),
    };
}

au_rc au_sqlite_run_list(void *impl, const char *flow, const char *status, int64_t before,
                         int limit, au_run_cb cb, void *ctx)
{
    sqlite3_stmt *st = STMT(impl, run_list);
    int src, stop = 0;
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, flow);
    sqlite3_bind_int64(st, 2, before);
    sqlite3_bind_int(st, 3, limit);
    au_sqlite_bind_text(st, 4, status);
    while (!stop && (src = sqlite3_step(st)) == SQLITE_ROW) {
        au_run_row r;
        au_sqlite_run_row(st, &r);
        stop = cb(ctx, &r);
    }
    au_rc rc = stop ? stop : (src == SQLITE_DONE ? AU_OK : au_sqlite_fail(impl, src, "run_list"));
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_run_counts(void *impl, const char *flow, au_run_counts *out)
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
    sqlite3_stmt *st = STMT(impl, run_counts);
    int src;
    memset(out, 0, sizeof(*out));
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, flow);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = au_sqlite_col_text(st, 0);
        int64_t n = sqlite3_column_int64(st, 1);
        for (size_t i = 0; name && i < sizeof(slots) / sizeof(slots[0]); i++)
            if (!strcmp(name, slots[i].name))
                *(int64_t *)((char *)out + slots[i].off) = n;
        if (name && strcmp(name, "dead_letters"))
            out->total += n;
    }
    au_rc rc = src == SQLITE_DONE ? AU_OK : au_sqlite_fail(impl, src, "run_counts");
    sqlite3_reset(st);
    if (rc || !(st = STMT(impl, run_retrying)))
        return rc ? rc : AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, flow);
    if ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const char *e = au_sqlite_col_text(st, 1);
        out->retrying = sqlite3_column_int64(st, 0);
        snprintf(out->last_retry_error, sizeof(out->last_retry_error), "%s", e ? e : "");
    }
    rc = src == SQLITE_ROW ? AU_OK : au_sqlite_fail(impl, src, "run_retrying");
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_dead_add(void *impl, const au_dead_row *row, int64_t *id)
{
    sqlite3_stmt *st = STMT(impl, dead_add);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, row->outbox_id);
    sqlite3_bind_int64(st, 2, row->run_id);
    au_sqlite_bind_text(st, 3, row->flow);
    au_sqlite_bind_text(st, 4, row->step_id);
    au_sqlite_bind_text(st, 5, row->request);
    au_sqlite_bind_text(st, 6, row->response);
    au_sqlite_bind_text(st, 7, row->reason ? row->reason : "");
    sqlite3_bind_int64(st, 8, row->created_ms);
    au_rc rc = au_sqlite_run(impl, st, "dead_add");
    if (!rc && id)
        *id = sqlite3_last_insert_rowid(au_sqlite_db(impl));
    return rc;
}

au_rc au_sqlite_dead_list(void *impl, const char *flow, int open_only, int limit, au_dead_cb cb,
                          void *ctx)
{
    sqlite3_stmt *st = STMT(impl, dead_list);
    int src, stop = 0;
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, flow);
    sqlite3_bind_int(st, 2, open_only);
    sqlite3_bind_int(st, 3, limit);
    while (!stop && (src = sqlite3_step(st)) == SQLITE_ROW) {
        au_dead_row r = {
            .id = sqlite3_column_int64(st, 0),
            .outbox_id = sqlite3_column_int64(st, 1),
            .run_id = sqlite3_column_int64(st, 2),
            .flow = au_sqlite_col_text(st, 3),
            .step_id = au_sqlite_col_text(st, 4),
            .request = au_sqlite_col_text(st, 5),
            .response = au_sqlite_col_text(st, 6),
            .reason = au_sqlite_col_text(st, 7),
            .created_ms = sqlite3_column_int64(st, 8),
            .replayed_ms = sqlite3_column_int64(st, 9),
        };
        stop = cb(ctx, &r);
    }
    au_rc rc = stop ? stop : (src == SQLITE_DONE ? AU_OK : au_sqlite_fail(impl, src, "dead_list"));
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_dead_replay(void *impl, int64_t id, int64_t at_ms)
{
    sqlite3_stmt *st = STMT(impl, dead_get);
    int64_t outbox_id = 0, run_id = 0, replayed = 0;
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, id);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        outbox_id = sqlite3_column_int64(st, 0);
        run_id = sqlite3_column_int64(st, 1);
        replayed = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (src == SQLITE_DONE)
        return AU_ERR_NOT_FOUND;
    if (src != SQLITE_ROW)
        return au_sqlite_fail(impl, src, "dead_get");
    if (replayed)
        return AU_ERR_CONFLICT;
    sqlite3_stmt *sts[] = {STMT(impl, dead_mark), STMT(impl, outbox_requeue),
                           STMT(impl, run_reopen)};
    int64_t ids[] = {id, outbox_id, run_id};
    for (int i = 0; i < 3; i++) {
        if (!(st = sts[i]))
            return AU_ERR_STORE;
        sqlite3_bind_int64(st, 1, ids[i]);
        if (i == 0)
            sqlite3_bind_int64(st, 2, at_ms);
        au_rc rc = au_sqlite_run(impl, st, "dead_replay");
        if (rc)
            return rc;
    }
    return AU_OK;
}

au_rc au_sqlite_change_max(void *impl, int64_t *seq)
{
    sqlite3_stmt *st = STMT(impl, change_max);
    if (!st)
        return AU_ERR_STORE;
    int src = sqlite3_step(st);
    *seq = src == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return src == SQLITE_ROW ? AU_OK : au_sqlite_fail(impl, src, "change_max");
}

au_rc au_sqlite_event_latest(void *impl, const char *type, const char *source, au_event_out *out)
{
    sqlite3_stmt *st = STMT(impl, event_latest);
    memset(out, 0, sizeof(*out));
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, type);
    au_sqlite_bind_text(st, 2, source);
    return au_sqlite_event_row(impl, st, out, "event_latest");
}
