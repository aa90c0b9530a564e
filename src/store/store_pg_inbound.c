/*
 * The PostgreSQL back-end's inbound domain (store_inbound.h): per source the cursor and run
 * state of its connector, and the fingerprints of the files a file drop imported
 * (docs/CONNECTORS.md), with the statements of store_sqlite_inbound.c in PostgreSQL's dialect.
 */
#include "lib/alloc.h"
#include "store/store_pg_int.h"

#define IB_STMT_LIST(X)                                                                            \
    X(GET, "SELECT cursor, state FROM inbound_state WHERE source = $1")                            \
    X(PUT, "INSERT INTO inbound_state(source, cursor, state, updated_ms) VALUES ($1, $2, $3, $4) " \
           "ON CONFLICT (source) DO UPDATE SET "                                                   \
           "cursor = coalesce(excluded.cursor, inbound_state.cursor), "                            \
           "state = coalesce(excluded.state, inbound_state.state), "                               \
           "updated_ms = excluded.updated_ms")                                                     \
    X(FILE_GET, "SELECT outcome FROM inbound_files WHERE source = $1 AND fingerprint = $2")        \
    X(FILE_PUT, "INSERT INTO inbound_files(source, fingerprint, name, outcome, at_ms) "            \
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (source, fingerprint) DO UPDATE SET "     \
                "name = excluded.name, outcome = excluded.outcome, at_ms = excluded.at_ms")        \
    X(LIST, "SELECT source, state, updated_ms FROM inbound_state WHERE state IS NOT NULL "         \
            "ORDER BY source")

typedef enum {
#define IB_ENUM(id, sql) IB_##id,
    IB_STMT_LIST(IB_ENUM)
#undef IB_ENUM
        IB_COUNT
} ib_stmt;

static const char *const ib_sql[IB_COUNT] = {
#define IB_SQL(id, sql) sql,
    IB_STMT_LIST(IB_SQL)
#undef IB_SQL
};

_Static_assert(AU_PG_SLOT_INBOUND + IB_COUNT <= AU_PG_SLOT_N,
               "inbound statements overflow their slot range");

static PGresult *run(void *impl, ib_stmt id, const au_pg_params *p, const char *op, au_rc *rc)
{
    return au_pg_run(impl, AU_PG_SLOT_INBOUND + (int)id, ib_sql[id], p, op, rc);
}

static au_rc pg_inbound_get(void *impl, const char *source, char **cursor, char **state)
{
    au_pg_params p = {0};
    au_rc rc;
    int bad = 0;
    *cursor = *state = NULL;
    au_pg_text(&p, source);
    PGresult *res = run(impl, IB_GET, &p, "inbound_get", &rc);
    if (res && PQntuples(res) == 0)
        rc = AU_ERR_NOT_FOUND;
    else if (res) {
        *cursor = au_pg_col_dup(res, 0, 0, &bad);
        *state = au_pg_col_dup(res, 0, 1, &bad);
    }
    PQclear(res);
    if (bad) {
        au_free(*cursor);
        au_free(*state);
        *cursor = *state = NULL;
        rc = AU_ERR_NOMEM;
    }
    return rc;
}

static au_rc pg_inbound_put(void *impl, const char *source, const char *cursor, const char *state,
                            int64_t at_ms)
{
    au_pg_params p = {0};
    au_pg_text(&p, source);
    au_pg_text(&p, cursor);
    au_pg_text(&p, state);
    au_pg_int(&p, at_ms);
    return au_pg_exec(impl, AU_PG_SLOT_INBOUND + IB_PUT, ib_sql[IB_PUT], &p, "inbound_put");
}

static au_rc pg_inbound_file_get(void *impl, const char *source, const char *fingerprint,
                                 char **outcome)
{
    au_pg_params p = {0};
    au_rc rc;
    int bad = 0;
    *outcome = NULL;
    au_pg_text(&p, source);
    au_pg_text(&p, fingerprint);
    PGresult *res = run(impl, IB_FILE_GET, &p, "inbound_file_get", &rc);
    if (res && PQntuples(res) == 0)
        rc = AU_ERR_NOT_FOUND;
    else if (res)
        *outcome = au_pg_col_dup(res, 0, 0, &bad);
    PQclear(res);
    return bad ? AU_ERR_NOMEM : rc;
}

static au_rc pg_inbound_file_put(void *impl, const char *source, const char *fingerprint,
                                 const char *name, const char *outcome, int64_t at_ms)
{
    au_pg_params p = {0};
    au_pg_text(&p, source);
    au_pg_text(&p, fingerprint);
    au_pg_text(&p, name);
    au_pg_text(&p, outcome);
    au_pg_int(&p, at_ms);
    return au_pg_exec(impl, AU_PG_SLOT_INBOUND + IB_FILE_PUT, ib_sql[IB_FILE_PUT], &p,
                      "inbound_file_put");
}

static au_rc pg_inbound_list(void *impl, au_inbound_state_cb cb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    PGresult *res = run(impl, IB_LIST, &p, "inbound_list", &rc);
    for (int r = 0; res && !rc && r < PQntuples(res); r++)
        rc = cb(ctx, au_pg_col(res, r, 0), au_pg_col(res, r, 1), au_pg_col_int(res, r, 2));
    PQclear(res);
    return rc;
}

const struct au_store_inbound_ops au_pg_inbound_ops = {
    .inbound_get = pg_inbound_get,
    .inbound_put = pg_inbound_put,
    .inbound_file_get = pg_inbound_file_get,
    .inbound_file_put = pg_inbound_file_put,
    .inbound_list = pg_inbound_list,
};
