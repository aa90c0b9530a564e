/*
 * SQLite back-end of the quality slots: the counts of the data-quality ledger (tables quality
 * and quality_days of migration 5) and the paging of a source's record ids that renormalisation
 * walks. The ledger aggregates in memory and calls quality_add once per touched key and
 * transaction, so these are plain upserts.
 */
#include <string.h>

#include "lib/alloc.h"
#include "store/store_sqlite_int.h"

/* X(slot name, SQL); slots are AU_SQLITE_EXT_QUALITY + position. */
#define QQ_STMT_LIST(X)                                                                            \
    X(ADD, "INSERT INTO quality(source, attribute, status, reason, n, examples) "                  \
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(source, attribute, status, reason) "       \
           "DO UPDATE SET n = n + excluded.n, examples = coalesce(excluded.examples, examples)")   \
    X(DAY_ADD, "INSERT INTO quality_days(source, day, attribute, status, reason, n) "              \
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "                                                  \
               "ON CONFLICT(source, day, attribute, status, reason) DO UPDATE SET n = n + "        \
               "excluded.n")                                                                       \
    X(EXAMPLES, "SELECT examples FROM quality WHERE source = ?1 AND attribute = ?2 "               \
                "AND status = 'quarantined' AND reason = ?3")                                      \
    X(LIST, "SELECT source, attribute, status, reason, n, examples FROM quality "                  \
            "WHERE ?1 IS NULL OR source = ?1 ORDER BY source, attribute, status, reason")          \
    X(DAYS, "SELECT source, attribute, status, reason, n, day FROM quality_days "                  \
            "WHERE (?1 IS NULL OR source = ?1) AND day >= ?2 "                                     \
            "ORDER BY source, attribute, status, reason, day")                                     \
    X(RECORD_IDS, "SELECT id, record_id FROM records WHERE source = ?1 AND id > ?2 "               \
                  "AND deleted = 0 ORDER BY id LIMIT ?3")

typedef enum {
#define QQ_ENUM(id, sql) QQ_##id,
    QQ_STMT_LIST(QQ_ENUM)
#undef QQ_ENUM
        QQ_COUNT
} qq_stmt;

static const char *const qq_sql[QQ_COUNT] = {
#define QQ_SQL(id, sql) sql,
    QQ_STMT_LIST(QQ_SQL)
#undef QQ_SQL
};

static sqlite3_stmt *stmt(void *impl, qq_stmt id)
{
    return au_sqlite_stmt(impl, AU_SQLITE_EXT_QUALITY + (int)id, qq_sql[id]);
}

au_rc au_sqlite_quality_add(void *impl, const au_quality_row *row)
{
    sqlite3_stmt *st = stmt(impl, row->day ? QQ_DAY_ADD : QQ_ADD);
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, row->source);
    if (row->day) {
        au_sqlite_bind_text(st, 2, row->day);
        au_sqlite_bind_text(st, 3, row->attribute);
        au_sqlite_bind_text(st, 4, row->status);
        au_sqlite_bind_text(st, 5, row->reason);
        sqlite3_bind_int64(st, 6, row->n);
    } else {
        au_sqlite_bind_text(st, 2, row->attribute);
        au_sqlite_bind_text(st, 3, row->status);
        au_sqlite_bind_text(st, 4, row->reason);
        sqlite3_bind_int64(st, 5, row->n);
        au_sqlite_bind_text(st, 6, row->examples);
    }
    return au_sqlite_run(impl, st, "quality_add");
}

au_rc au_sqlite_quality_examples(void *impl, const char *source, const char *attribute,
                                 const char *reason, char **json)
{
    sqlite3_stmt *st = stmt(impl, QQ_EXAMPLES);
    au_rc rc = AU_OK;
    *json = NULL;
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, source);
    au_sqlite_bind_text(st, 2, attribute);
    au_sqlite_bind_text(st, 3, reason);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *json = au_sqlite_col_dup(st, 0);
        if (!*json)
            rc = AU_ERR_NOMEM;
    } else if (src != SQLITE_ROW && src != SQLITE_DONE) {
        rc = au_sqlite_fail(impl, src, "quality_examples");
    }
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_quality_list(void *impl, const char *source, const char *since, au_quality_cb cb,
                             void *ctx)
{
    sqlite3_stmt *st = stmt(impl, since ? QQ_DAYS : QQ_LIST);
    au_rc rc = AU_OK;
    int src;
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, source);
    if (since)
        au_sqlite_bind_text(st, 2, since);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        /* Borrowed row: valid during the callback only. */
        au_quality_row r = {
            .source = au_sqlite_col_text(st, 0),
            .attribute = au_sqlite_col_text(st, 1),
            .status = au_sqlite_col_text(st, 2),
            .reason = au_sqlite_col_text(st, 3),
            .n = sqlite3_column_int64(st, 4),
        };
        if (since)
            r.day = au_sqlite_col_text(st, 5);
        else
            r.examples = au_sqlite_col_text(st, 5);
        if ((rc = cb(ctx, &r)))
            break;
    }
    if (!rc && src != SQLITE_DONE)
        rc = au_sqlite_fail(impl, src, "quality_list");
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_record_ids(void *impl, const char *source, int64_t after, int limit, au_ident_cb cb,
                           void *ctx)
{
    sqlite3_stmt *st = stmt(impl, QQ_RECORD_IDS);
    au_rc rc = AU_OK;
    int src;
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, source);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int(st, 3, limit);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = cb(ctx, sqlite3_column_int64(st, 0), au_sqlite_col_text(st, 1))))
            break;
    }
    if (!rc && src != SQLITE_DONE)
        rc = au_sqlite_fail(impl, src, "record_ids");
    sqlite3_reset(st);
    return rc;
}
