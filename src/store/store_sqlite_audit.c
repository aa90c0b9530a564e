/*
 * SQLite back-end of the audit slots (tables audit and audit_anchor of migration 7): appending
 * entries of the hash-chained audit log, its head and anchor, the filtered listing of GET
 * /v1/audit, the oldest-first scan `aurum audit verify` walks, and the retention sweeps of the
 * log and of the flow run history.
 *
 * The listing filters on the profiles and records JSON arrays with json_each: an administrative
 * query over a log whose size retention bounds, so no per-id index table is kept (that would
 * double the cost of every append).
 */
#include <string.h>

#include "lib/alloc.h"
#include "store/store_sqlite_int.h"

#define AQ_COLS "id, at_ms, action, key_id, client, route, profiles, records, hash"

/* X(slot name, SQL); slots are AU_SQLITE_EXT_AUDIT + position (at most 12). */
#define AQ_STMT_LIST(X)                                                                            \
    X(APPEND, "INSERT INTO audit(" AQ_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")        \
    X(HEAD, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1")                                 \
    X(ANCHOR, "SELECT id, hash, at_ms FROM audit_anchor WHERE one = 1")                            \
    X(LIST, "SELECT " AQ_COLS ", (SELECT name FROM api_keys k WHERE k.id = audit.key_id) "         \
            "FROM audit WHERE (?1 = 0 OR id < ?1) "                                                \
            "AND (?2 IS NULL OR key_id = ?2) AND (?3 IS NULL OR route = ?3) AND at_ms >= ?4 "      \
            "AND (?5 = 0 OR EXISTS (SELECT 1 FROM json_each(audit.profiles) p "                    \
            "WHERE p.value = ?5)) "                                                                \
            "AND (?6 = 0 OR EXISTS (SELECT 1 FROM json_each(audit.records) r "                     \
            "WHERE r.value = ?6)) "                                                                \
            "ORDER BY id DESC LIMIT ?7")                                                           \
    X(SCAN, "SELECT " AQ_COLS " FROM audit ORDER BY id")                                           \
    X(CUT, "SELECT id, hash FROM audit WHERE id = (SELECT max(id) FROM audit WHERE at_ms < ?1)")   \
    X(DROP, "DELETE FROM audit WHERE id <= ?1")                                                    \
    X(SET_ANCHOR, "INSERT INTO audit_anchor(one, id, hash, at_ms) VALUES (1, ?1, ?2, ?3) "         \
                  "ON CONFLICT(one) DO UPDATE SET id = excluded.id, hash = excluded.hash, "        \
                  "at_ms = excluded.at_ms")

typedef enum {
#define AQ_ENUM(id, sql) AQ_##id,
    AQ_STMT_LIST(AQ_ENUM)
#undef AQ_ENUM
        AQ_COUNT
} aq_stmt;

_Static_assert(AQ_COUNT <= 12, "the audit statements own slots 116..127");

static const char *const aq_sql[AQ_COUNT] = {
#define AQ_SQL(id, sql) sql,
    AQ_STMT_LIST(AQ_SQL)
#undef AQ_SQL
};

static sqlite3_stmt *stmt(void *impl, aq_stmt id)
{
    return au_sqlite_stmt(impl, AU_SQLITE_EXT_AUDIT + (int)id, aq_sql[id]);
}

/* Copies a hash column; a column of another length (a tampered row) leaves zeroes. */
static void col_hash(sqlite3_stmt *st, int i, uint8_t out[AU_AUDIT_HASH_LEN])
{
    memset(out, 0, AU_AUDIT_HASH_LEN);
    const void *h = sqlite3_column_blob(st, i);
    if (h && sqlite3_column_bytes(st, i) == AU_AUDIT_HASH_LEN)
        memcpy(out, h, AU_AUDIT_HASH_LEN);
}

static au_rc sq_audit_append(void *impl, const au_audit_row *r)
{
    sqlite3_stmt *st = stmt(impl, AQ_APPEND);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, r->id);
    sqlite3_bind_int64(st, 2, r->at_ms);
    au_sqlite_bind_text(st, 3, r->action);
    au_sqlite_bind_text(st, 4, r->key_id ? r->key_id : "");
    au_sqlite_bind_text(st, 5, r->client ? r->client : "");
    au_sqlite_bind_text(st, 6, r->route ? r->route : "");
    au_sqlite_bind_text(st, 7, r->profiles ? r->profiles : "[]");
    au_sqlite_bind_text(st, 8, r->records ? r->records : "[]");
    sqlite3_bind_blob(st, 9, r->hash, AU_AUDIT_HASH_LEN, SQLITE_STATIC);
    return au_sqlite_run(impl, st, "audit_append");
}

static au_rc sq_audit_anchor(void *impl, au_audit_anchor *out)
{
    sqlite3_stmt *st = stmt(impl, AQ_ANCHOR);
    memset(out, 0, sizeof(*out));
    if (!st)
        return AU_ERR_STORE;
    int src = sqlite3_step(st);
    au_rc rc = AU_OK;
    if (src == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        col_hash(st, 1, out->hash);
        out->at_ms = sqlite3_column_int64(st, 2);
    } else if (src != SQLITE_DONE) {
        rc = au_sqlite_fail(impl, src, "audit_anchor");
    }
    sqlite3_reset(st);
    return rc;
}

static au_rc sq_audit_head(void *impl, int64_t *id, uint8_t hash[AU_AUDIT_HASH_LEN])
{
    sqlite3_stmt *st = stmt(impl, AQ_HEAD);
    if (!st)
        return AU_ERR_STORE;
    int src = sqlite3_step(st);
    au_rc rc = AU_OK;
    if (src == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        col_hash(st, 1, hash);
    } else if (src != SQLITE_DONE) {
        rc = au_sqlite_fail(impl, src, "audit_head");
    }
    sqlite3_reset(st);
    if (rc || src == SQLITE_ROW)
        return rc;
    au_audit_anchor a;
    if ((rc = sq_audit_anchor(impl, &a)))
        return rc;
    *id = a.id;
    memcpy(hash, a.hash, AU_AUDIT_HASH_LEN);
    return AU_OK;
}

/* Steps a statement selecting AQ_COLS, handing each row to cb; resets it. */
static au_rc each_row(void *impl, sqlite3_stmt *st, au_audit_cb cb, void *ctx, const char *op)
{
    int src;
    au_rc rc = AU_OK;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        au_audit_row r = {
            .id = sqlite3_column_int64(st, 0),
            .at_ms = sqlite3_column_int64(st, 1),
            .action = au_sqlite_col_text(st, 2),
            .key_id = au_sqlite_col_text(st, 3),
            .client = au_sqlite_col_text(st, 4),
            .route = au_sqlite_col_text(st, 5),
            .profiles = au_sqlite_col_text(st, 6),
            .records = au_sqlite_col_text(st, 7),
        };
        col_hash(st, 8, r.hash);
        if (sqlite3_column_count(st) > 9)
            r.key_name = au_sqlite_col_text(st, 9);
        int stop = cb(ctx, &r);
        if (stop) {
            rc = (au_rc)stop;
            break;
        }
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = au_sqlite_fail(impl, src, op);
    sqlite3_reset(st);
    return rc;
}

static au_rc sq_audit_list(void *impl, const au_audit_filter *f, au_audit_cb cb, void *ctx)
{
    sqlite3_stmt *st = stmt(impl, AQ_LIST);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, f->before);
    au_sqlite_bind_text(st, 2, f->key_id);
    au_sqlite_bind_text(st, 3, f->route);
    sqlite3_bind_int64(st, 4, f->since_ms);
    sqlite3_bind_int64(st, 5, f->profile);
    sqlite3_bind_int64(st, 6, f->record);
    sqlite3_bind_int64(st, 7, f->limit > 0 ? f->limit : 100);
    return each_row(impl, st, cb, ctx, "audit_list");
}

static au_rc sq_audit_scan(void *impl, au_audit_cb cb, void *ctx)
{
    sqlite3_stmt *st = stmt(impl, AQ_SCAN);
    return st ? each_row(impl, st, cb, ctx, "audit_scan") : AU_ERR_STORE;
}

static au_rc sq_audit_sweep(void *impl, int64_t before_ms, int64_t at_ms, int64_t *removed)
{
    sqlite3_stmt *cut = stmt(impl, AQ_CUT), *drop = stmt(impl, AQ_DROP);
    sqlite3_stmt *anchor = stmt(impl, AQ_SET_ANCHOR);
    uint8_t hash[AU_AUDIT_HASH_LEN];
    int64_t id = 0;
    *removed = 0;
    if (!cut || !drop || !anchor)
        return AU_ERR_STORE;
    sqlite3_bind_int64(cut, 1, before_ms);
    int src = sqlite3_step(cut);
    if (src == SQLITE_ROW) {
        id = sqlite3_column_int64(cut, 0);
        col_hash(cut, 1, hash);
    }
    sqlite3_reset(cut);
    if (src != SQLITE_ROW)
        return src == SQLITE_DONE ? AU_OK : au_sqlite_fail(impl, src, "audit_sweep");
    sqlite3_bind_int64(drop, 1, id);
    au_rc rc = au_sqlite_run(impl, drop, "audit_sweep");
    if (rc)
        return rc;
    *removed = sqlite3_changes64(au_sqlite_db(impl));
    sqlite3_bind_int64(anchor, 1, id);
    sqlite3_bind_blob(anchor, 2, hash, AU_AUDIT_HASH_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(anchor, 3, at_ms);
    return au_sqlite_run(impl, anchor, "audit_sweep");
}

/* The run-history sweep, in order: pick the runs, then their rows go. Rare (once per sweep
 * interval), so prepared per call rather than cached. */
static const char *const runs_sweep_sql[] = {
    "CREATE TEMP TABLE IF NOT EXISTS au_sweep_runs(id INTEGER PRIMARY KEY)",
    "DELETE FROM temp.au_sweep_runs",
    "INSERT INTO temp.au_sweep_runs SELECT id FROM flow_runs r WHERE started_ms < ?1 "
    "AND pending = 0 AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.status = 0 AND "
    "o.run_id = r.id)",
    "DELETE FROM outbox WHERE run_id IN (SELECT id FROM temp.au_sweep_runs)",
    "DELETE FROM dead_letters WHERE run_id IN (SELECT id FROM temp.au_sweep_runs)",
    "DELETE FROM flow_runs WHERE id IN (SELECT id FROM temp.au_sweep_runs)",
};

static au_rc sq_runs_sweep(void *impl, int64_t before_ms, int64_t *removed)
{
    sqlite3 *db = au_sqlite_db(impl);
    size_t n = sizeof(runs_sweep_sql) / sizeof(runs_sweep_sql[0]);
    au_rc rc = AU_OK;
    *removed = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_stmt *st = NULL;
        int src = sqlite3_prepare_v2(db, runs_sweep_sql[i], -1, &st, NULL);
        if (src != SQLITE_OK) {
            rc = au_sqlite_fail(impl, src, "runs_sweep");
            break;
        }
        if (sqlite3_bind_parameter_count(st) > 0)
            sqlite3_bind_int64(st, 1, before_ms);
        rc = au_sqlite_run(impl, st, "runs_sweep");
        if (!rc && i == n - 1)
            *removed = sqlite3_changes64(db);
        sqlite3_finalize(st);
    }
    return rc;
}

/* clang-format off */
const struct au_store_audit_ops au_sqlite_audit_ops = {
    .audit_append = sq_audit_append,
    .audit_head = sq_audit_head,
    .audit_anchor = sq_audit_anchor,
    .audit_list = sq_audit_list,
    .audit_scan = sq_audit_scan,
    .audit_sweep = sq_audit_sweep,
    .runs_sweep = sq_runs_sweep,
};
/* clang-format on */
