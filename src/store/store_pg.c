/*
 * The PostgreSQL back-end (docs/POSTGRES.md): one libpq connection per handle, selected by a
 * "postgres://..." or "postgresql://..." location. Every statement is prepared once per
 * connection, lazily, and run with text parameters (bytea as binary); results are read in full,
 * so a callback may call the store again, and the large scans page by record number so memory
 * stays bounded. Commits use PostgreSQL's default synchronous_commit: a COMMIT that returned is
 * in the server's fsynced WAL. Errors are logged with the server's message and mapped as in the
 * SQLite back-end: unique violations AU_ERR_CONFLICT, serialization failures AU_ERR_BUSY, the
 * rest AU_ERR_STORE; nothing here aborts.
 *
 * Records and keys are here, the other domains in store_pg_<domain>.c; every domain is
 * implemented (au_store_ops.missing is NULL).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/log.h"
#include "store/store_pg_int.h"

/* Key of the advisory lock held while migrating: several nodes opening one database at once
 * apply each step exactly once. Arbitrary, fixed ("AURUMSCH"). */
#define PG_MIGRATE_LOCK "4705271443758416712"

typedef struct pg_store {
    PGconn *conn;                         /* owned */
    au_store_mode mode;                   /* RW or RO */
    int64_t last_rec;                     /* records.id last written by record_put/_delete */
    int in_txn;                           /* between a successful begin and commit/rollback */
    int lost;                             /* the connection broke inside that transaction */
    int feed_locked;                      /* this transaction holds the change-feed lock */
    unsigned char prepared[AU_PG_SLOT_N]; /* 1: statement "s<slot>" exists on conn */
} pg_store;

/* ---- parameters and statements (store_pg_int.h) ----------------------------------------- */

static void param_add(au_pg_params *p, const char *v, int len, int fmt)
{
    if (p->n >= AU_PG_MAX_PARAMS)
        return; /* a programming error: the statement then fails on its parameter count */
    p->val[p->n] = v;
    p->len[p->n] = len;
    p->fmt[p->n] = fmt;
    p->n++;
}

void au_pg_text(au_pg_params *p, const char *s)
{
    param_add(p, s, 0, 0);
}

void au_pg_int(au_pg_params *p, int64_t v)
{
    if (p->n >= AU_PG_MAX_PARAMS)
        return;
    snprintf(p->num[p->n], sizeof(p->num[0]), "%" PRId64, v);
    param_add(p, p->num[p->n], 0, 0);
}

void au_pg_double(au_pg_params *p, double v)
{
    if (p->n >= AU_PG_MAX_PARAMS)
        return;
    snprintf(p->num[p->n], sizeof(p->num[0]), "%.17g", v);
    param_add(p, p->num[p->n], 0, 0);
}

void au_pg_bin(au_pg_params *p, const void *data, int len)
{
    param_add(p, data, len, 1);
}

/* A new session in place of a broken one; its prepared statements are gone. Never inside a
 * transaction: the statements after a silent reconnect would each commit on their own, outside
 * the group they belong to. A connection lost in a transaction stays lost (every call fails)
 * until commit (which fails) or rollback ends it. */
static void reconnect(pg_store *q)
{
    PQreset(q->conn);
    memset(q->prepared, 0, sizeof(q->prepared));
    q->lost = 0;
}

/* Logs the server's message and maps its SQLSTATE onto an au_rc. A broken connection is reset
 * (the statements prepared on it are gone) so that the next call can succeed. */
static au_rc pg_fail(pg_store *q, const PGresult *res, const char *op)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(q->conn);
    char line[512];
    snprintf(line, sizeof(line), "%s", msg && *msg ? msg : PQerrorMessage(q->conn));
    line[strcspn(line, "\n")] = 0;
    au_log(AU_LOG_ERROR, "postgres error", "op", op, "sqlstate", state ? state : "-", "error", line,
           NULL);
    if (PQstatus(q->conn) == CONNECTION_BAD) {
        if (q->in_txn)
            q->lost = 1; /* see reconnect() */
        else
            reconnect(q);
    }
    if (state && strcmp(state, "23505") == 0)
        return AU_ERR_CONFLICT;
    if (state &&
        (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0))
        return AU_ERR_BUSY;
    return AU_ERR_STORE;
}

static int result_ok(const PGresult *res)
{
    ExecStatusType s = PQresultStatus(res);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

/* Prepares the statement of `slot` on the connection unless it already is. */
static au_rc prepare(pg_store *q, int slot, const char *name, const char *sql, const char *op)
{
    if (q->prepared[slot])
        return AU_OK;
    PGresult *res = PQprepare(q->conn, name, sql, 0, NULL);
    au_rc rc = res && result_ok(res) ? AU_OK : pg_fail(q, res, op);
    PQclear(res);
    if (!rc)
        q->prepared[slot] = 1;
    return rc;
}

PGresult *au_pg_run(void *impl, int slot, const char *sql, const au_pg_params *p, const char *op,
                    au_rc *rc)
{
    pg_store *q = impl;
    char name[16];
    if (slot < 0 || slot >= AU_PG_SLOT_N) {
        *rc = AU_ERR_INTERNAL;
        return NULL;
    }
    if (q->lost) {
        *rc = AU_ERR_STORE; /* the transaction died with the connection */
        return NULL;
    }
    snprintf(name, sizeof(name), "s%d", slot);
    if ((*rc = prepare(q, slot, name, sql, op)))
        return NULL;
    PGresult *res = PQexecPrepared(q->conn, name, p ? p->n : 0, p ? p->val : NULL,
                                   p ? p->len : NULL, p ? p->fmt : NULL, 0);
    if (res && result_ok(res))
        return res;
    *rc = pg_fail(q, res, op);
    PQclear(res);
    return NULL;
}

au_rc au_pg_exec(void *impl, int slot, const char *sql, const au_pg_params *p, const char *op)
{
    au_rc rc;
    PQclear(au_pg_run(impl, slot, sql, p, op, &rc));
    return rc;
}

au_rc au_pg_one_int(void *impl, int slot, const char *sql, const au_pg_params *p, int64_t *out,
                    const char *op)
{
    au_rc rc;
    PGresult *res = au_pg_run(impl, slot, sql, p, op, &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0)
        rc = AU_ERR_NOT_FOUND;
    else
        *out = au_pg_col_int(res, 0, 0);
    PQclear(res);
    return rc;
}

const char *au_pg_col(const PGresult *res, int r, int c)
{
    return PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c);
}

int64_t au_pg_col_int(const PGresult *res, int r, int c)
{
    return PQgetisnull(res, r, c) ? 0 : strtoll(PQgetvalue(res, r, c), NULL, 10);
}

int64_t au_pg_last_record(void *impl)
{
    return ((pg_store *)impl)->last_rec;
}

/* ---- statements of this file ------------------------------------------------------------ */

/* X(statement id, SQL). Record rows are read back in the column order of record_read. */
#define PG_REC_COLS "r.source, r.record_id, v.version, v.doc, v.hash, v.origin, v.at_ms, v.deleted"
#define PG_STMT_LIST(X)                                                                            \
    X(SOURCE_PUT, "INSERT INTO sources(name, definition, updated_ms) VALUES ($1, $2, $3) "         \
                  "ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, "            \
                  "updated_ms = excluded.updated_ms")                                              \
    X(SOURCE_GET, "SELECT definition FROM sources WHERE name = $1")                                \
    X(SOURCE_LIST, "SELECT name, definition FROM sources ORDER BY name")                           \
    X(REC_PUT, "SELECT o_id, o_version, o_outcome FROM aurum_record_put($1, $2, $3, $4, $5, $6)")  \
    X(REC_CURRENT, "SELECT id, version, hash, deleted::int FROM records "                          \
                   "WHERE source = $1 AND record_id = $2 FOR UPDATE")                              \
    X(REC_UPDATE, "UPDATE records SET version = $2, hash = $3, deleted = $4 WHERE id = $1")        \
    X(VER_INSERT, "INSERT INTO record_versions(rec, version, doc, hash, origin, at_ms, deleted) "  \
                  "VALUES ($1, $2, $3, $4, $5, $6, $7)")                                           \
    X(REC_GET_CURRENT, "SELECT " PG_REC_COLS " FROM records r JOIN record_versions v "             \
                       "ON v.rec = r.id AND v.version = r.version "                                \
                       "WHERE r.source = $1 AND r.record_id = $2")                                 \
    X(REC_GET_VERSION, "SELECT " PG_REC_COLS " FROM records r JOIN record_versions v "             \
                       "ON v.rec = r.id AND v.version = $3 "                                       \
                       "WHERE r.source = $1 AND r.record_id = $2")                                 \
    X(REC_HISTORY, "SELECT " PG_REC_COLS " FROM records r JOIN record_versions v "                 \
                   "ON v.rec = r.id WHERE r.source = $1 AND r.record_id = $2 ORDER BY v.version")  \
    X(REC_SCAN, "SELECT " PG_REC_COLS ", r.id FROM records r JOIN record_versions v "              \
                "ON v.rec = r.id AND v.version = r.version WHERE NOT r.deleted AND r.id > $1 "     \
                "ORDER BY r.id LIMIT $2")                                                          \
    X(REC_COUNT_ALL, "SELECT count(*) FROM records WHERE NOT deleted")                             \
    X(REC_COUNT_SOURCE, "SELECT count(*) FROM records WHERE source = $1 AND NOT deleted")          \
    X(EV_PUT, "INSERT INTO events(source, event_id, type, at_ms, received_ms, customer, "          \
              "properties, origin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "                       \
              "ON CONFLICT (source, event_id) DO NOTHING RETURNING seq")                           \
    X(EV_GET, "SELECT source, event_id, type, customer, properties, origin, at_ms, received_ms, "  \
              "seq FROM events WHERE source = $1 AND event_id = $2")                               \
    X(KEY_PUT, "INSERT INTO api_keys(id, hash, scopes, name, created_ms) "                         \
               "VALUES ($1, $2, $3, $4, $5)")                                                      \
    X(KEY_FIND, "SELECT id, scopes, name, created_ms, revoked_ms FROM api_keys WHERE hash = $1")   \
    X(KEY_LIST, "SELECT id, scopes, name, created_ms, revoked_ms FROM api_keys "                   \
                "ORDER BY created_ms, id")                                                         \
    X(KEY_REVOKE, "UPDATE api_keys SET revoked_ms = CASE WHEN revoked_ms = 0 THEN $2 "             \
                  "ELSE revoked_ms END WHERE id = $1")

typedef enum {
#define PG_STMT_ENUM(id, sql) PG_##id,
    PG_STMT_LIST(PG_STMT_ENUM)
#undef PG_STMT_ENUM
        PG_COUNT
} pg_stmt;

static const char *const stmt_sql[PG_COUNT] = {
#define PG_STMT_SQL(id, sql) sql,
    PG_STMT_LIST(PG_STMT_SQL)
#undef PG_STMT_SQL
};

_Static_assert(PG_COUNT <= AU_PG_SLOT_RESOLVE, "record statements overflow their slot range");

static PGresult *run(pg_store *q, pg_stmt id, const au_pg_params *p, const char *op, au_rc *rc)
{
    return au_pg_run(q, AU_PG_SLOT_RECORDS + (int)id, stmt_sql[id], p, op, rc);
}

static au_rc exec(pg_store *q, pg_stmt id, const au_pg_params *p, const char *op)
{
    return au_pg_exec(q, AU_PG_SLOT_RECORDS + (int)id, stmt_sql[id], p, op);
}

/* ---- open, migrate, close ---------------------------------------------------------------- */

/* Runs SQL without parameters (several statements allowed); sets err on failure. */
static au_rc exec_sql(pg_store *q, const char *sql, PGresult **out, au_err *err)
{
    PGresult *res = PQexec(q->conn, sql);
    if (res && result_ok(res)) {
        if (out)
            *out = res;
        else
            PQclear(res);
        return AU_OK;
    }
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", res ? PQresultErrorMessage(res) : PQerrorMessage(q->conn));
    msg[strcspn(msg, "\n")] = 0;
    PQclear(res);
    return au_err_set(err, AU_ERR_STORE, "PostgreSQL: %s", msg);
}

/* The schema version, -1 when the database holds no Aurum store. Two queries: a query naming a
 * missing table fails at parse time, whatever guards it. */
static au_rc schema_version(pg_store *q, int *v, au_err *err)
{
    PGresult *res = NULL;
    au_rc rc = exec_sql(q, "SELECT to_regclass('aurum_schema') IS NOT NULL", &res, err);
    if (rc)
        return rc;
    int exists = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    *v = -1;
    if (!exists)
        return AU_OK;
    if ((rc = exec_sql(q, "SELECT coalesce(max(version), 0) FROM aurum_schema", &res, err)))
        return rc;
    *v = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return AU_OK;
}

/* Applies the missing steps in one transaction under the migration lock. */
static au_rc migrate(pg_store *q, au_err *err)
{
    int v = 0, n = au_pg_schema_version();
    char set[96];
    au_rc rc = exec_sql(q, "BEGIN; SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ");", NULL, err);
    if (!rc)
        rc = exec_sql(q, "CREATE TABLE IF NOT EXISTS aurum_schema (version integer NOT NULL)", NULL,
                      err);
    if (!rc)
        rc = schema_version(q, &v, err);
    if (!rc && v > n)
        rc = au_err_set(err, AU_ERR_STORE,
                        "the PostgreSQL store has schema version %d, newer than this aurum (%d)", v,
                        n);
    for (int i = v; !rc && i < n; i++)
        rc = exec_sql(q, au_pg_migration(i), NULL, err);
    snprintf(set, sizeof(set), "DELETE FROM aurum_schema; INSERT INTO aurum_schema VALUES (%d)", n);
    if (!rc && v < n)
        rc = exec_sql(q, set, NULL, err);
    if (!rc)
        return exec_sql(q, "COMMIT", NULL, err);
    PQclear(PQexec(q->conn, "ROLLBACK")); /* best effort: the error is already in err */
    return rc;
}

/* A read-only handle needs an up-to-date store: it cannot create or migrate one. */
static au_rc check_version(pg_store *q, au_err *err)
{
    int v = 0;
    au_rc rc = schema_version(q, &v, err);
    if (rc)
        return rc;
    if (v < 0)
        return au_err_set(err, AU_ERR_NOT_FOUND,
                          "no Aurum store in PostgreSQL database '%s' (open it read-write once "
                          "to create it)",
                          PQdb(q->conn));
    if (v != au_pg_schema_version())
        return au_err_set(err, AU_ERR_STORE,
                          "the PostgreSQL store has schema version %d, this aurum needs %d", v,
                          au_pg_schema_version());
    return AU_OK;
}

/* Server notices (e.g. "relation already exists, skipping") are not errors: dropped. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void pg_close(void *impl)
{
    pg_store *q = impl;
    if (!q)
        return;
    PQfinish(q->conn);
    au_free(q);
}

/* `location` is what follows the scheme: "//user@host:port/db?...". The URI is handed to libpq
 * whole (its password never reaches a log: errors name host, port and database only). */
static au_rc pg_open(const char *location, au_store_mode mode, void **impl, au_err *err)
{
    pg_store *q = NULL;
    char *uri = NULL;
    au_rc rc = AU_OK;
    *impl = NULL;
    if (strncmp(location, "//", 2) != 0)
        return au_err_set(err, AU_ERR_INVALID,
                          "a PostgreSQL store location is a URI: postgres://user@host:port/db");
    q = au_calloc(1, sizeof(*q));
    uri = au_asprintf("postgresql:%s", location);
    if (!q || !uri) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory opening the store");
        goto out;
    }
    q->mode = mode;
    const char *keys[] = {"dbname", "options", "application_name", NULL};
    const char *vals[] = {uri,
                          mode == AU_STORE_RO ? "-c default_transaction_read_only=on "
                                                "-c client_min_messages=warning"
                                              : "-c client_min_messages=warning",
                          "aurum", NULL};
    q->conn = PQconnectdbParams(keys, vals, 1);
    if (!q->conn || PQstatus(q->conn) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", q->conn ? PQerrorMessage(q->conn) : "out of memory");
        msg[strcspn(msg, "\n")] = 0;
        rc = au_err_set(err, AU_ERR_UNAVAILABLE, "cannot connect to PostgreSQL (database '%s'): %s",
                        q->conn ? PQdb(q->conn) : "?", msg);
        goto out;
    }
    PQsetNoticeProcessor(q->conn, quiet_notice, NULL);
    rc = mode == AU_STORE_RW ? migrate(q, err) : check_version(q, err);
    if (rc)
        goto out;
    *impl = q;
    q = NULL;
out:
    au_free(uri);
    pg_close(q);
    return rc;
}

/* ---- transactions ------------------------------------------------------------------------ */

/* Runs a transaction-control command; `want` is the command tag success must carry (COMMIT of
 * a transaction aborted by an earlier error answers ROLLBACK: that is a failure). */
static au_rc control(pg_store *q, const char *sql, const char *want)
{
    if (q->lost)
        return AU_ERR_STORE;
    PGresult *res = PQexec(q->conn, sql);
    au_rc rc = AU_OK;
    if (!res || !result_ok(res))
        rc = pg_fail(q, res, sql);
    else if (strcmp(PQcmdStatus(res), want) != 0) {
        au_log(AU_LOG_ERROR, "postgres transaction failed", "op", sql, "result", PQcmdStatus(res),
               NULL);
        rc = AU_ERR_STORE;
    }
    PQclear(res);
    return rc;
}

/* Ends the transaction on our side; a connection lost inside it is replaced now. */
static void txn_over(pg_store *q)
{
    q->in_txn = 0;
    q->feed_locked = 0;
    if (q->lost || PQstatus(q->conn) == CONNECTION_BAD)
        reconnect(q);
}

au_rc au_pg_begin(void *impl)
{
    pg_store *q = impl;
    au_rc rc = control(q, "BEGIN", "BEGIN");
    q->in_txn = rc == AU_OK;
    return rc;
}

/* A COMMIT outside a transaction only warns in PostgreSQL: the server must still be in ours
 * (PQTRANS_INTRANS) for a COMMIT to mean anything. */
au_rc au_pg_commit(void *impl)
{
    pg_store *q = impl;
    au_rc rc = AU_ERR_STORE;
    if (q->lost)
        au_log(AU_LOG_ERROR, "postgres commit failed: the connection was lost", NULL);
    else if (q->in_txn && PQtransactionStatus(q->conn) == PQTRANS_IDLE)
        au_log(AU_LOG_ERROR, "postgres commit failed: no transaction on the server", NULL);
    else
        rc = control(q, "COMMIT", "COMMIT");
    txn_over(q);
    return rc;
}

/* After a lost connection the server has rolled back already: that is success. */
au_rc au_pg_rollback(void *impl)
{
    pg_store *q = impl;
    au_rc rc = q->lost ? AU_OK : control(q, "ROLLBACK", "ROLLBACK");
    if (rc && PQstatus(q->conn) == CONNECTION_BAD)
        rc = AU_OK;
    txn_over(q);
    return rc;
}

static au_rc pg_savepoint(void *impl)
{
    return control(impl, "SAVEPOINT au_job", "SAVEPOINT");
}

static au_rc pg_savepoint_release(void *impl)
{
    return control(impl, "RELEASE SAVEPOINT au_job", "RELEASE");
}

/* Also clears an error inside the savepoint: the transaction goes on. */
static au_rc pg_savepoint_rollback(void *impl)
{
    au_rc rc = control(impl, "ROLLBACK TO SAVEPOINT au_job", "ROLLBACK");
    if (!rc)
        rc = pg_savepoint_release(impl);
    return rc;
}

/* ---- the change feed's order (docs/POSTGRES.md) ----------------------------------------- */

/* Key of the advisory lock under which change-feed rows are appended ("AURUMFEE"). */
#define PG_FEED_LOCK "4705271443759072581"

/* Feed positions are taken at insert time but become visible at commit: without this lock a
 * later position could commit first and a reader paging by position would skip the earlier one
 * for good. Held from the transaction's first change row to its end, so positions are in commit
 * order across every node. Outside a transaction the caller wraps its one insert in one. */
au_rc au_pg_feed_lock(void *impl)
{
    pg_store *q = impl;
    if (q->feed_locked)
        return AU_OK;
    au_rc rc = control(q, "SELECT pg_advisory_xact_lock(" PG_FEED_LOCK ")", "SELECT 1");
    q->feed_locked = rc == AU_OK;
    return rc;
}

int au_pg_in_transaction(void *impl)
{
    return ((pg_store *)impl)->in_txn;
}

/* ---- sources ----------------------------------------------------------------------------- */

static au_rc pg_source_put(void *impl, const char *name, const char *def_json, int64_t at_ms)
{
    au_pg_params p = {0};
    au_pg_text(&p, name);
    au_pg_text(&p, def_json);
    au_pg_int(&p, at_ms);
    return exec(impl, PG_SOURCE_PUT, &p, "source_put");
}

static au_rc pg_source_get(void *impl, const char *name, char **def_json)
{
    au_pg_params p = {0};
    au_rc rc;
    *def_json = NULL;
    au_pg_text(&p, name);
    PGresult *res = run(impl, PG_SOURCE_GET, &p, "source_get", &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0)
        rc = AU_ERR_NOT_FOUND;
    else if (!(*def_json = au_strdup(PQgetvalue(res, 0, 0))))
        rc = AU_ERR_NOMEM;
    PQclear(res);
    return rc;
}

static au_rc pg_source_list(void *impl, au_source_cb cb, void *ctx)
{
    au_rc rc;
    PGresult *res = run(impl, PG_SOURCE_LIST, NULL, "source_list", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++)
        rc = (au_rc)cb(ctx, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
    PQclear(res);
    return rc;
}

/* ---- records ----------------------------------------------------------------------------- */

typedef struct cur_state {
    int64_t id, version;
    uint64_t hash;
    int deleted;
} cur_state;

/* The current-state row of a record, locked until the transaction ends so that two nodes
 * writing the same record take turns; AU_ERR_NOT_FOUND when the key was never written. */
static au_rc current(pg_store *q, const char *source, const char *record_id, cur_state *c)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, source);
    au_pg_text(&p, record_id);
    PGresult *res = run(q, PG_REC_CURRENT, &p, "record_current", &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0) {
        rc = AU_ERR_NOT_FOUND;
    } else {
        c->id = au_pg_col_int(res, 0, 0);
        c->version = au_pg_col_int(res, 0, 1);
        c->hash = (uint64_t)au_pg_col_int(res, 0, 2);
        c->deleted = (int)au_pg_col_int(res, 0, 3);
    }
    PQclear(res);
    return rc;
}

static au_rc update_current(pg_store *q, const cur_state *c)
{
    au_pg_params p = {0};
    au_pg_int(&p, c->id);
    au_pg_int(&p, c->version);
    au_pg_int(&p, (int64_t)c->hash);
    au_pg_text(&p, c->deleted ? "true" : "false");
    return exec(q, PG_REC_UPDATE, &p, "record_update");
}

static au_rc add_version(pg_store *q, const cur_state *c, const char *doc, const char *origin,
                         int64_t at_ms)
{
    au_pg_params p = {0};
    au_pg_int(&p, c->id);
    au_pg_int(&p, c->version);
    au_pg_text(&p, doc);
    au_pg_int(&p, (int64_t)c->hash);
    au_pg_text(&p, origin ? origin : "");
    au_pg_int(&p, at_ms);
    au_pg_text(&p, c->deleted ? "true" : "false");
    return exec(q, PG_VER_INSERT, &p, "record_add_version");
}

/* One round trip: the function aurum_record_put (schema_pg.c) does what sq_record_put does
 * statement by statement, holding the record's row lock until the transaction ends. */
static au_rc pg_record_put(void *impl, const au_record_row *row, au_put_outcome *outcome,
                           int64_t *version)
{
    pg_store *q = impl;
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, row->source);
    au_pg_text(&p, row->record_id);
    au_pg_text(&p, row->doc);
    au_pg_int(&p, (int64_t)row->hash);
    au_pg_text(&p, row->origin ? row->origin : "");
    au_pg_int(&p, row->at_ms);
    PGresult *res = run(q, PG_REC_PUT, &p, "record_put", &rc);
    if (!res)
        return rc;
    if (PQntuples(res) != 1) {
        rc = AU_ERR_STORE;
    } else {
        q->last_rec = au_pg_col_int(res, 0, 0);
        *outcome = (au_put_outcome)au_pg_col_int(res, 0, 2);
        if (version)
            *version = au_pg_col_int(res, 0, 1);
    }
    PQclear(res);
    return rc;
}

static au_rc pg_record_delete(void *impl, const char *source, const char *record_id,
                              const char *origin, int64_t at_ms)
{
    pg_store *q = impl;
    cur_state c = {0};
    au_rc rc = current(q, source, record_id, &c);
    if (rc)
        return rc;
    if (c.deleted)
        return AU_ERR_NOT_FOUND;
    c.version++;
    c.hash = 0;
    c.deleted = 1;
    q->last_rec = c.id;
    rc = update_current(q, &c);
    if (!rc)
        rc = add_version(q, &c, NULL, origin, at_ms);
    return rc;
}

/* Points `r` at row i of a PG_REC_COLS result (valid until the result is cleared). */
static void record_borrow(const PGresult *res, int i, au_record_out *r)
{
    r->source = (char *)au_pg_col(res, i, 0);
    r->record_id = (char *)au_pg_col(res, i, 1);
    r->version = au_pg_col_int(res, i, 2);
    r->doc = (char *)au_pg_col(res, i, 3);
    r->hash = (uint64_t)au_pg_col_int(res, i, 4);
    r->origin = (char *)au_pg_col(res, i, 5);
    r->at_ms = au_pg_col_int(res, i, 6);
    r->deleted = strcmp(PQgetvalue(res, i, 7), "t") == 0;
}

au_rc au_pg_record_copy(const PGresult *res, int r, au_record_out *out)
{
    au_record_out b;
    record_borrow(res, r, &b);
    *out = b;
    out->source = au_strdup(b.source);
    out->record_id = au_strdup(b.record_id);
    out->doc = b.doc ? au_strdup(b.doc) : NULL;
    out->origin = au_strdup(b.origin);
    if (!out->source || !out->record_id || !out->origin || (b.doc && !out->doc)) {
        au_record_out_cleanup(out);
        return AU_ERR_NOMEM;
    }
    return AU_OK;
}

static au_rc pg_record_get(void *impl, const char *source, const char *record_id, int64_t version,
                           au_record_out *out)
{
    au_pg_params p = {0};
    au_rc rc;
    memset(out, 0, sizeof(*out));
    au_pg_text(&p, source);
    au_pg_text(&p, record_id);
    if (version)
        au_pg_int(&p, version);
    PGresult *res =
        run(impl, version ? PG_REC_GET_VERSION : PG_REC_GET_CURRENT, &p, "record_get", &rc);
    if (!res)
        return rc;
    rc = PQntuples(res) == 0 ? AU_ERR_NOT_FOUND : au_pg_record_copy(res, 0, out);
    PQclear(res);
    return rc;
}

/* Passes the rows of a record result to cb, borrowed; *last gets the last column of the last
 * row passed (the record number, for paging) when `last` is set. */
static au_rc record_rows(PGresult *res, au_record_cb cb, void *ctx, int64_t *last)
{
    au_rc rc = AU_OK;
    for (int i = 0; !rc && i < PQntuples(res); i++) {
        au_record_out r;
        record_borrow(res, i, &r);
        rc = (au_rc)cb(ctx, &r);
        if (last)
            *last = au_pg_col_int(res, i, PQnfields(res) - 1);
    }
    return rc;
}

static au_rc pg_record_history(void *impl, const char *source, const char *record_id,
                               au_record_cb cb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, source);
    au_pg_text(&p, record_id);
    PGresult *res = run(impl, PG_REC_HISTORY, &p, "record_history", &rc);
    if (res)
        rc = record_rows(res, cb, ctx, NULL);
    PQclear(res);
    return rc;
}

/* Rows of a scan page: enough to amortise the round trip, few enough to bound memory. */
#define PG_SCAN_PAGE 2000

/* Pages by record number, so a million documents are never in memory at once. */
static au_rc pg_record_scan(void *impl, au_record_cb cb, void *ctx)
{
    int64_t after = 0;
    int rows;
    au_rc rc;
    do {
        au_pg_params p = {0};
        au_pg_int(&p, after);
        au_pg_int(&p, PG_SCAN_PAGE);
        PGresult *res = run(impl, PG_REC_SCAN, &p, "record_scan", &rc);
        if (!res)
            return rc;
        rows = PQntuples(res);
        rc = record_rows(res, cb, ctx, &after);
        PQclear(res);
    } while (!rc && rows == PG_SCAN_PAGE);
    return rc;
}

static au_rc pg_record_count(void *impl, const char *source, int64_t *count)
{
    au_pg_params p = {0};
    *count = 0;
    if (source)
        au_pg_text(&p, source);
    return au_pg_one_int(
        impl, AU_PG_SLOT_RECORDS + (source ? PG_REC_COUNT_SOURCE : PG_REC_COUNT_ALL),
        stmt_sql[source ? PG_REC_COUNT_SOURCE : PG_REC_COUNT_ALL], &p, count, "record_count");
}

/* ---- events ------------------------------------------------------------------------------ */

static au_rc pg_event_put(void *impl, const au_event_row *ev, au_put_outcome *outcome)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, ev->source);
    au_pg_text(&p, ev->event_id);
    au_pg_text(&p, ev->type);
    au_pg_int(&p, ev->at_ms);
    au_pg_int(&p, ev->received_ms);
    au_pg_text(&p, ev->customer);
    au_pg_text(&p, ev->properties);
    au_pg_text(&p, ev->origin ? ev->origin : "");
    PGresult *res = run(impl, PG_EV_PUT, &p, "event_put", &rc);
    if (res)
        *outcome = PQntuples(res) > 0 ? AU_PUT_INSERTED : AU_PUT_UNCHANGED;
    PQclear(res);
    return rc;
}

char *au_pg_col_dup(const PGresult *res, int r, int c, int *bad)
{
    const char *v = au_pg_col(res, r, c);
    char *s = v ? au_strdup(v) : NULL;
    if (v && !s)
        *bad = 1;
    return s;
}

au_rc au_pg_event_copy(const PGresult *res, int r, au_event_out *out)
{
    int bad = 0;
    out->source = au_pg_col_dup(res, r, 0, &bad);
    out->event_id = au_pg_col_dup(res, r, 1, &bad);
    out->type = au_pg_col_dup(res, r, 2, &bad);
    out->customer = au_pg_col_dup(res, r, 3, &bad);
    out->properties = au_pg_col_dup(res, r, 4, &bad);
    out->origin = au_pg_col_dup(res, r, 5, &bad);
    out->at_ms = au_pg_col_int(res, r, 6);
    out->received_ms = au_pg_col_int(res, r, 7);
    out->seq = au_pg_col_int(res, r, 8);
    if (bad) {
        au_event_out_cleanup(out);
        return AU_ERR_NOMEM;
    }
    return AU_OK;
}

au_rc au_pg_event_rows(PGresult *res, au_rc rc, au_event_cb cb, void *ctx)
{
    for (int i = 0; res && !rc && i < PQntuples(res); i++) {
        /* Borrowed row: valid during the callback only. */
        au_event_out e = {
            .source = (char *)au_pg_col(res, i, 0),
            .event_id = (char *)au_pg_col(res, i, 1),
            .type = (char *)au_pg_col(res, i, 2),
            .customer = (char *)au_pg_col(res, i, 3),
            .properties = (char *)au_pg_col(res, i, 4),
            .origin = (char *)au_pg_col(res, i, 5),
            .at_ms = au_pg_col_int(res, i, 6),
            .received_ms = au_pg_col_int(res, i, 7),
            .seq = au_pg_col_int(res, i, 8),
        };
        rc = (au_rc)cb(ctx, &e);
    }
    PQclear(res);
    return rc;
}

static au_rc pg_event_get(void *impl, const char *source, const char *event_id, au_event_out *out)
{
    au_pg_params p = {0};
    au_rc rc;
    memset(out, 0, sizeof(*out));
    au_pg_text(&p, source);
    au_pg_text(&p, event_id);
    PGresult *res = run(impl, PG_EV_GET, &p, "event_get", &rc);
    if (res)
        rc = PQntuples(res) == 0 ? AU_ERR_NOT_FOUND : au_pg_event_copy(res, 0, out);
    PQclear(res);
    return rc;
}

/* ---- API keys ---------------------------------------------------------------------------- */

static au_rc pg_key_put(void *impl, const au_key_row *key)
{
    au_pg_params p = {0};
    au_pg_text(&p, key->id);
    au_pg_bin(&p, key->hash, 32);
    au_pg_text(&p, key->scopes ? key->scopes : "[]");
    au_pg_text(&p, key->name);
    au_pg_int(&p, key->created_ms);
    return exec(impl, PG_KEY_PUT, &p, "key_put");
}

static au_rc key_read(const PGresult *res, int i, au_key_out *k)
{
    const char *name = au_pg_col(res, i, 2);
    k->id = au_strdup(PQgetvalue(res, i, 0));
    k->scopes = au_strdup(PQgetvalue(res, i, 1));
    k->name = name ? au_strdup(name) : NULL;
    k->created_ms = au_pg_col_int(res, i, 3);
    k->revoked_ms = au_pg_col_int(res, i, 4);
    if (!k->id || !k->scopes || (name && !k->name)) {
        au_key_out_cleanup(k);
        return AU_ERR_NOMEM;
    }
    return AU_OK;
}

static au_rc pg_key_find(void *impl, const uint8_t hash[32], au_key_out *out)
{
    au_pg_params p = {0};
    au_rc rc;
    memset(out, 0, sizeof(*out));
    au_pg_bin(&p, hash, 32);
    PGresult *res = run(impl, PG_KEY_FIND, &p, "key_find", &rc);
    if (res)
        rc = PQntuples(res) == 0 ? AU_ERR_NOT_FOUND : key_read(res, 0, out);
    PQclear(res);
    return rc;
}

static au_rc pg_key_list(void *impl, au_key_cb cb, void *ctx)
{
    au_rc rc;
    PGresult *res = run(impl, PG_KEY_LIST, NULL, "key_list", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++) {
        au_key_out k = {0};
        if ((rc = key_read(res, i, &k)))
            break;
        rc = (au_rc)cb(ctx, &k);
        au_key_out_cleanup(&k);
    }
    PQclear(res);
    return rc;
}

/* Revoking twice keeps the first revocation time; an unknown id is AU_ERR_NOT_FOUND. */
static au_rc pg_key_revoke(void *impl, const char *id, int64_t at_ms)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, id);
    au_pg_int(&p, at_ms);
    PGresult *res = run(impl, PG_KEY_REVOKE, &p, "key_revoke", &rc);
    if (res && strcmp(PQcmdTuples(res), "0") == 0)
        rc = AU_ERR_NOT_FOUND;
    PQclear(res);
    return rc;
}

/* ---- commands outside the prepared statements ------------------------------------------ */

au_rc au_pg_utility(void *impl, const char *sql, const char *op)
{
    pg_store *q = impl;
    if (q->lost)
        return AU_ERR_STORE;
    PGresult *res = PQexec(q->conn, sql);
    au_rc rc = res && result_ok(res) ? AU_OK : pg_fail(q, res, op);
    PQclear(res);
    return rc;
}

/* ---- the method tables ------------------------------------------------------------------- */

static const struct au_store_records_ops pg_records = {
    .source_put = pg_source_put,
    .source_get = pg_source_get,
    .source_list = pg_source_list,
    .record_put = pg_record_put,
    .record_delete = pg_record_delete,
    .record_get = pg_record_get,
    .record_history = pg_record_history,
    .record_scan = pg_record_scan,
    .record_count = pg_record_count,
    .event_put = pg_event_put,
    .event_get = pg_event_get,
    .events_unlinked = au_pg_events_unlinked, /* store_pg_profiles.c: reads its index */
};

static const struct au_store_keys_ops pg_keys = {
    .key_put = pg_key_put,
    .key_find = pg_key_find,
    .key_list = pg_key_list,
    .key_revoke = pg_key_revoke,
};

#define PG_OPS(scheme)                                                                             \
    {                                                                                              \
        .name = scheme, .shared = 1, .missing = NULL, .open = pg_open, .close = pg_close,          \
        .begin = au_pg_begin, .commit = au_pg_commit, .rollback = au_pg_rollback,                  \
        .savepoint = pg_savepoint, .savepoint_release = pg_savepoint_release,                      \
        .savepoint_rollback = pg_savepoint_rollback, .records = &pg_records, .keys = &pg_keys,     \
        .resolution = &au_pg_resolution_ops, .profiles = &au_pg_profiles_ops,                      \
        .flows = &au_pg_flows_ops, .quality = &au_pg_quality_ops, .privacy = &au_pg_privacy_ops,   \
        .inbound = &au_pg_inbound_ops, .audit = &au_pg_audit_ops, .bus = &au_pg_bus_ops,           \
    }

const au_store_ops au_store_pg_ops = PG_OPS("postgres");
const au_store_ops au_store_postgresql_ops = PG_OPS("postgresql");
