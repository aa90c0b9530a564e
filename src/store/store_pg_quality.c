/*
 * The PostgreSQL back-end's quality domain (store_quality.h): the data-quality ledger's current
 * counts and per-day arrivals (docs/QUALITY.md), and the paging of a source's record ids, with
 * the statements of store_sqlite_quality.c in PostgreSQL's dialect.
 */
#include <string.h>

#include "lib/alloc.h"
#include "store/store_pg_int.h"

#define QQ_STMT_LIST(X)                                                                            \
    X(ADD, "INSERT INTO quality(source, attribute, status, reason, n, examples) "                  \
           "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source, attribute, status, reason) "      \
           "DO UPDATE SET n = quality.n + excluded.n, "                                            \
           "examples = coalesce(excluded.examples, quality.examples)")                             \
    X(DAY_ADD, "INSERT INTO quality_days(source, day, attribute, status, reason, n) "              \
               "VALUES ($1, $2, $3, $4, $5, $6) "                                                  \
               "ON CONFLICT (source, day, attribute, status, reason) "                             \
               "DO UPDATE SET n = quality_days.n + excluded.n")                                    \
    X(EXAMPLES, "SELECT examples FROM quality WHERE source = $1 AND attribute = $2 "               \
                "AND status = 'quarantined' AND reason = $3")                                      \
    X(LIST, "SELECT source, attribute, status, reason, n, examples FROM quality "                  \
            "WHERE $1::text IS NULL OR source = $1::text "                                         \
            "ORDER BY source, attribute, status, reason")                                          \
    X(DAYS, "SELECT source, attribute, status, reason, n, day FROM quality_days "                  \
            "WHERE ($1::text IS NULL OR source = $1::text) AND day >= $2 "                         \
            "ORDER BY source, attribute, status, reason, day")                                     \
    X(RECORD_IDS, "SELECT id, record_id FROM records WHERE source = $1 AND id > $2 "               \
                  "AND NOT deleted ORDER BY id LIMIT $3")

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

_Static_assert(AU_PG_SLOT_QUALITY + QQ_COUNT <= AU_PG_SLOT_INBOUND,
               "quality statements overflow their slot range");

static PGresult *run(void *impl, qq_stmt id, const au_pg_params *p, const char *op, au_rc *rc)
{
    return au_pg_run(impl, AU_PG_SLOT_QUALITY + (int)id, qq_sql[id], p, op, rc);
}

static au_rc pg_quality_add(void *impl, const au_quality_row *row)
{
    au_pg_params p = {0};
    au_pg_text(&p, row->source);
    if (row->day)
        au_pg_text(&p, row->day);
    au_pg_text(&p, row->attribute);
    au_pg_text(&p, row->status);
    au_pg_text(&p, row->reason);
    au_pg_int(&p, row->n);
    if (!row->day)
        au_pg_text(&p, row->examples);
    qq_stmt id = row->day ? QQ_DAY_ADD : QQ_ADD;
    return au_pg_exec(impl, AU_PG_SLOT_QUALITY + (int)id, qq_sql[id], &p, "quality_add");
}

static au_rc pg_quality_examples(void *impl, const char *source, const char *attribute,
                                 const char *reason, char **json)
{
    au_pg_params p = {0};
    au_rc rc;
    int bad = 0;
    *json = NULL;
    au_pg_text(&p, source);
    au_pg_text(&p, attribute);
    au_pg_text(&p, reason);
    PGresult *res = run(impl, QQ_EXAMPLES, &p, "quality_examples", &rc);
    if (res && PQntuples(res) > 0)
        *json = au_pg_col_dup(res, 0, 0, &bad);
    PQclear(res);
    return bad ? AU_ERR_NOMEM : rc;
}

static au_rc pg_quality_list(void *impl, const char *source, const char *since, au_quality_cb cb,
                             void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, source);
    if (since)
        au_pg_text(&p, since);
    PGresult *res = run(impl, since ? QQ_DAYS : QQ_LIST, &p, "quality_list", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++) {
        /* Borrowed row: valid during the callback only. */
        au_quality_row r = {
            .source = au_pg_col(res, i, 0),
            .attribute = au_pg_col(res, i, 1),
            .status = au_pg_col(res, i, 2),
            .reason = au_pg_col(res, i, 3),
            .n = au_pg_col_int(res, i, 4),
        };
        if (since)
            r.day = au_pg_col(res, i, 5);
        else
            r.examples = au_pg_col(res, i, 5);
        rc = (au_rc)cb(ctx, &r);
    }
    PQclear(res);
    return rc;
}

static au_rc pg_record_ids(void *impl, const char *source, int64_t after, int limit, au_ident_cb cb,
                           void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, source);
    au_pg_int(&p, after);
    au_pg_int(&p, limit);
    PGresult *res = run(impl, QQ_RECORD_IDS, &p, "record_ids", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++)
        rc = (au_rc)cb(ctx, au_pg_col_int(res, i, 0), PQgetvalue(res, i, 1));
    PQclear(res);
    return rc;
}

const struct au_store_quality_ops au_pg_quality_ops = {
    .quality_add = pg_quality_add,
    .quality_examples = pg_quality_examples,
    .quality_list = pg_quality_list,
    .record_ids = pg_record_ids,
};
