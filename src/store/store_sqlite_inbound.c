/*
 * SQLite back-end of the inbound slots (src/inbound/, docs/CONNECTORS.md): the cursor and run
 * state of each source's connector (table inbound_state) and the fingerprints of the files a
 * file-drop connector imported (table inbound_files), both of migration 8. Written through the
 * writer (au_engine_call), read through reader handles.
 */
#include <string.h>

#include "lib/alloc.h"
#include "store/store_sqlite_int.h"

/* X(slot name, SQL); slots are AU_SQLITE_EXT_INBOUND + position. */
#define IB_STMT_LIST(X)                                                                            \
    X(GET, "SELECT cursor, state FROM inbound_state WHERE source = ?1")                            \
    X(PUT, "INSERT INTO inbound_state(source, cursor, state, updated_ms) VALUES (?1, ?2, ?3, ?4) " \
           "ON CONFLICT(source) DO UPDATE SET cursor = coalesce(excluded.cursor, cursor), "        \
           "state = coalesce(excluded.state, state), updated_ms = excluded.updated_ms")            \
    X(FILE_GET, "SELECT outcome FROM inbound_files WHERE source = ?1 AND fingerprint = ?2")        \
    X(FILE_PUT, "INSERT INTO inbound_files(source, fingerprint, name, outcome, at_ms) "            \
                "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(source, fingerprint) DO UPDATE SET "      \
                "name = excluded.name, outcome = excluded.outcome, at_ms = excluded.at_ms")

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

static sqlite3_stmt *stmt(void *impl, ib_stmt id)
{
    return au_sqlite_stmt(impl, AU_SQLITE_EXT_INBOUND + (int)id, ib_sql[id]);
}

au_rc au_sqlite_inbound_get(void *impl, const char *source, char **cursor, char **state)
{
    sqlite3_stmt *st = stmt(impl, IB_GET);
    *cursor = *state = NULL;
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, source);
    int src = sqlite3_step(st);
    au_rc rc = AU_OK;
    if (src == SQLITE_ROW) {
        *cursor = au_sqlite_col_dup(st, 0);
        *state = au_sqlite_col_dup(st, 1);
        if ((!*cursor && sqlite3_column_type(st, 0) != SQLITE_NULL) ||
            (!*state && sqlite3_column_type(st, 1) != SQLITE_NULL))
            rc = AU_ERR_NOMEM;
    } else if (src == SQLITE_DONE) {
        rc = AU_ERR_NOT_FOUND;
    } else {
        rc = au_sqlite_fail(impl, src, "inbound_get");
    }
    sqlite3_reset(st);
    if (rc) {
        au_free(*cursor);
        au_free(*state);
        *cursor = *state = NULL;
    }
    return rc;
}

au_rc au_sqlite_inbound_put(void *impl, const char *source, const char *cursor, const char *state,
                            int64_t at_ms)
{
    sqlite3_stmt *st = stmt(impl, IB_PUT);
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, source);
    au_sqlite_bind_text(st, 2, cursor);
    au_sqlite_bind_text(st, 3, state);
    sqlite3_bind_int64(st, 4, at_ms);
    return au_sqlite_run(impl, st, "inbound_put");
}

au_rc au_sqlite_inbound_file_get(void *impl, const char *source, const char *fingerprint,
                                 char **outcome)
{
    sqlite3_stmt *st = stmt(impl, IB_FILE_GET);
    *outcome = NULL;
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, source);
    au_sqlite_bind_text(st, 2, fingerprint);
    int src = sqlite3_step(st);
    au_rc rc = AU_OK;
    if (src == SQLITE_ROW)
        rc = (*outcome = au_sqlite_col_dup(st, 0)) ? AU_OK : AU_ERR_NOMEM;
    else if (src == SQLITE_DONE)
        rc = AU_ERR_NOT_FOUND;
    else
        rc = au_sqlite_fail(impl, src, "inbound_file_get");
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_inbound_file_put(void *impl, const char *source, const char *fingerprint,
                                 const char *name, const char *outcome, int64_t at_ms)
{
    sqlite3_stmt *st = stmt(impl, IB_FILE_PUT);
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, source);
    au_sqlite_bind_text(st, 2, fingerprint);
    au_sqlite_bind_text(st, 3, name);
    au_sqlite_bind_text(st, 4, outcome);
    sqlite3_bind_int64(st, 5, at_ms);
    return au_sqlite_run(impl, st, "inbound_file_put");
}
