/*
 * The PostgreSQL back-end's resolution domain (store_resolution.h): assignments, redirects,
 * overrides, the review queue, models and the change feed, with the same statements as
 * store_sqlite_resolve.c in PostgreSQL's dialect. How concurrent nodes will serialise their
 * decisions over these tables is in docs/POSTGRES.md.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "store/store_pg_int.h"

#define RS_STMT_LIST(X)                                                                            \
    X(RECORD_NO, "SELECT id FROM records WHERE source = $1 AND record_id = $2")                    \
    X(RECORD_REF, "SELECT source, record_id FROM records WHERE id = $1")                           \
    X(SCAN, "SELECT r.id, r.source, r.record_id, v.doc, a.profile FROM records r "                 \
            "JOIN record_versions v ON v.rec = r.id AND v.version = r.version "                    \
            "LEFT JOIN assignments a ON a.rec = r.id WHERE NOT r.deleted AND r.id > $1 "           \
            "ORDER BY r.id LIMIT $2")                                                              \
    X(ASSIGN_PUT, "INSERT INTO assignments(rec, profile) VALUES ($1, $2) "                         \
                  "ON CONFLICT (rec) DO UPDATE SET profile = excluded.profile")                    \
    X(ASSIGN_DEL, "DELETE FROM assignments WHERE rec = $1")                                        \
    X(PROFILE_OF, "SELECT coalesce(a.profile, 0) FROM records r LEFT JOIN assignments a "          \
                  "ON a.rec = r.id WHERE r.source = $1 AND r.record_id = $2 AND NOT r.deleted")    \
    X(MEMBERS, "SELECT r.id, r.source, r.record_id FROM assignments a JOIN records r "             \
               "ON r.id = a.rec WHERE a.profile = $1 ORDER BY r.id")                               \
    X(PROFILE_MAX, "SELECT greatest(coalesce((SELECT max(profile) FROM assignments), 0), "         \
                   "coalesce((SELECT max(from_profile) FROM profile_redirects), 0))")              \
    X(REDIRECT_PUT, "INSERT INTO profile_redirects(from_profile, into_profile, at_ms) "            \
                    "VALUES ($1, $2, $3) ON CONFLICT (from_profile) DO UPDATE SET "                \
                    "into_profile = excluded.into_profile, at_ms = excluded.at_ms")                \
    X(REDIRECT_GET, "SELECT into_profile FROM profile_redirects WHERE from_profile = $1")          \
    X(OVERRIDE_PUT,                                                                                \
      "INSERT INTO overrides(a, b, kind, origin, at_ms) VALUES ($1, $2, $3, $4, $5) "              \
      "ON CONFLICT (a, b) DO UPDATE SET kind = excluded.kind, "                                    \
      "origin = excluded.origin, at_ms = excluded.at_ms")                                          \
    X(OVERRIDE_DEL, "DELETE FROM overrides WHERE a = $1 AND b = $2")                               \
    X(OVERRIDE_LIST, "SELECT a, b, kind, origin, at_ms FROM overrides ORDER BY at_ms, a, b")       \
    X(REVIEW_PUT,                                                                                  \
      "INSERT INTO review(a, b, weight, at_ms) VALUES ($1, $2, $3, $4) "                           \
      "ON CONFLICT (a, b) DO UPDATE SET weight = excluded.weight, at_ms = excluded.at_ms")         \
    X(REVIEW_DEL, "DELETE FROM review WHERE a = $1 AND b = $2")                                    \
    X(REVIEW_LIST, "SELECT a, b, weight, at_ms FROM review ORDER BY weight DESC, a, b LIMIT $1")   \
    X(MODEL_PUT, "INSERT INTO models(model, at_ms) VALUES ($1, $2)")                               \
    X(MODEL_GET, "SELECT model FROM models ORDER BY id DESC LIMIT 1")                              \
    X(CHANGE_ADD, "INSERT INTO changes(profile, kind, other, source, record_id, at_ms) "           \
                  "VALUES ($1, $2, $3, $4, $5, $6)")                                               \
    X(CHANGES_AFTER, "SELECT seq, profile, kind, other, source, record_id, at_ms FROM changes "    \
                     "WHERE seq > $1 ORDER BY seq LIMIT $2")

/* What several nodes on one database need (docs/POSTGRES.md, "Several nodes"), in their own
 * slot range. RESOLVE_CHANGED: the records a stretch of the feed names, and every member of the
 * profiles it names, with the document only where the node must re-read the content. */
#define NODE_STMT_LIST(X)                                                                          \
    X(FEED_LAST, "SELECT coalesce(max(seq), 0) FROM changes")                                      \
    X(RESOLVE_CHANGED,                                                                             \
      "WITH c AS (SELECT profile, other, source, record_id FROM changes "                          \
      "WHERE seq > $1 AND seq <= $2), "                                                            \
      "n AS (SELECT r.id FROM c JOIN records r ON r.source = c.source "                            \
      "AND r.record_id = c.record_id), "                                                           \
      "t AS (SELECT id FROM n UNION SELECT a.rec FROM assignments a WHERE a.profile IN "           \
      "(SELECT profile FROM c UNION SELECT other FROM c)) "                                        \
      "SELECT r.id, r.source, r.record_id, "                                                       \
      "CASE WHEN NOT r.deleted AND r.id IN (SELECT id FROM n) THEN v.doc END, "                    \
      "coalesce(a.profile, 0) FROM t JOIN records r ON r.id = t.id "                               \
      "JOIN record_versions v ON v.rec = r.id AND v.version = r.version "                          \
      "LEFT JOIN assignments a ON a.rec = r.id ORDER BY r.id")                                     \
    X(PROFILE_CLAIM, "SELECT setval('profile_numbers', greatest($1::bigint, "                      \
                     "(SELECT last_value FROM profile_numbers), "                                  \
                     "(SELECT max(profile) FROM assignments), "                                    \
                     "(SELECT max(from_profile) FROM profile_redirects)))")

typedef enum {
#define NODE_ENUM(id, sql) NODE_##id,
    NODE_STMT_LIST(NODE_ENUM)
#undef NODE_ENUM
        NODE_COUNT
} node_stmt;

static const char *const node_sql[NODE_COUNT] = {
#define NODE_SQL(id, sql) sql,
    NODE_STMT_LIST(NODE_SQL)
#undef NODE_SQL
};

_Static_assert(AU_PG_SLOT_NODES + NODE_COUNT <= 168, "node statements overflow their slot range");

typedef enum {
#define RS_ENUM(id, sql) RS_##id,
    RS_STMT_LIST(RS_ENUM)
#undef RS_ENUM
        RS_COUNT
} rs_stmt;

static const char *const rs_sql[RS_COUNT] = {
#define RS_SQL(id, sql) sql,
    RS_STMT_LIST(RS_SQL)
#undef RS_SQL
};

_Static_assert(AU_PG_SLOT_RESOLVE + RS_COUNT <= AU_PG_SLOT_N,
               "resolution statements overflow their slot range");

static PGresult *run(void *impl, rs_stmt id, const au_pg_params *p, const char *op, au_rc *rc)
{
    return au_pg_run(impl, AU_PG_SLOT_RESOLVE + (int)id, rs_sql[id], p, op, rc);
}

static au_rc exec(void *impl, rs_stmt id, const au_pg_params *p, const char *op)
{
    return au_pg_exec(impl, AU_PG_SLOT_RESOLVE + (int)id, rs_sql[id], p, op);
}

static au_rc one_int(void *impl, rs_stmt id, const au_pg_params *p, int64_t *out, const char *op)
{
    return au_pg_one_int(impl, AU_PG_SLOT_RESOLVE + (int)id, rs_sql[id], p, out, op);
}

static int64_t pg_record_last_no(void *impl)
{
    return au_pg_last_record(impl);
}

static au_rc pg_record_no(void *impl, const char *source, const char *record_id, int64_t *no)
{
    au_pg_params p = {0};
    *no = 0;
    au_pg_text(&p, source);
    au_pg_text(&p, record_id);
    return one_int(impl, RS_RECORD_NO, &p, no, "record_no");
}

static au_rc pg_record_ref(void *impl, int64_t no, char **source, char **record_id)
{
    au_pg_params p = {0};
    au_rc rc;
    *source = *record_id = NULL;
    au_pg_int(&p, no);
    PGresult *res = run(impl, RS_RECORD_REF, &p, "record_ref", &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0) {
        rc = AU_ERR_NOT_FOUND;
    } else {
        *source = au_strdup(PQgetvalue(res, 0, 0));
        *record_id = au_strdup(PQgetvalue(res, 0, 1));
        if (!*source || !*record_id) {
            au_free(*source);
            au_free(*record_id);
            *source = *record_id = NULL;
            rc = AU_ERR_NOMEM;
        }
    }
    PQclear(res);
    return rc;
}

/* Passes the rows of a record-row result (id, source, record_id[, doc, profile]) to cb,
 * borrowed; *last gets the last record number passed. */
static au_rc resolve_rows(PGresult *res, int with_doc, int64_t profile, au_resolve_row_cb cb,
                          void *ctx, int64_t *last)
{
    au_rc rc = AU_OK;
    for (int i = 0; !rc && i < PQntuples(res); i++) {
        au_resolve_row r = {au_pg_col_int(res, i, 0), au_pg_col(res, i, 1), au_pg_col(res, i, 2),
                            NULL, profile};
        if (with_doc) {
            r.doc = au_pg_col(res, i, 3);
            r.profile = au_pg_col_int(res, i, 4); /* NULL reads as 0: unassigned */
        }
        *last = r.no;
        rc = (au_rc)cb(ctx, &r);
    }
    return rc;
}

/* Rows per page of the start-up scan: bounded memory, few round trips. */
#define RS_SCAN_PAGE 2000

static au_rc pg_resolve_scan(void *impl, au_resolve_row_cb cb, void *ctx)
{
    int64_t after = 0;
    int rows;
    au_rc rc;
    do {
        au_pg_params p = {0};
        au_pg_int(&p, after);
        au_pg_int(&p, RS_SCAN_PAGE);
        PGresult *res = run(impl, RS_SCAN, &p, "resolve_scan", &rc);
        if (!res)
            return rc;
        rows = PQntuples(res);
        rc = resolve_rows(res, 1, 0, cb, ctx, &after);
        PQclear(res);
    } while (!rc && rows == RS_SCAN_PAGE);
    return rc;
}

static au_rc pg_assign_put(void *impl, int64_t no, int64_t profile)
{
    au_pg_params p = {0};
    au_pg_int(&p, no);
    if (profile)
        au_pg_int(&p, profile);
    return exec(impl, profile ? RS_ASSIGN_PUT : RS_ASSIGN_DEL, &p, "assign_put");
}

static au_rc pg_profile_of(void *impl, const char *source, const char *record_id, int64_t *profile)
{
    au_pg_params p = {0};
    *profile = 0;
    au_pg_text(&p, source);
    au_pg_text(&p, record_id);
    return one_int(impl, RS_PROFILE_OF, &p, profile, "profile_of");
}

static au_rc pg_profile_members(void *impl, int64_t profile, au_resolve_row_cb cb, void *ctx)
{
    au_pg_params p = {0};
    int64_t last;
    au_rc rc;
    au_pg_int(&p, profile);
    PGresult *res = run(impl, RS_MEMBERS, &p, "profile_members", &rc);
    if (res)
        rc = resolve_rows(res, 0, profile, cb, ctx, &last);
    PQclear(res);
    return rc;
}

static au_rc pg_profile_max(void *impl, int64_t *max)
{
    *max = 0;
    return one_int(impl, RS_PROFILE_MAX, NULL, max, "profile_max");
}

static au_rc pg_redirect_put(void *impl, int64_t from, int64_t into, int64_t at_ms)
{
    au_pg_params p = {0};
    au_pg_int(&p, from);
    au_pg_int(&p, into);
    au_pg_int(&p, at_ms);
    return exec(impl, RS_REDIRECT_PUT, &p, "redirect_put");
}

static au_rc pg_redirect_get(void *impl, int64_t from, int64_t *into)
{
    au_pg_params p = {0};
    *into = 0;
    au_pg_int(&p, from);
    return one_int(impl, RS_REDIRECT_GET, &p, into, "redirect_get");
}

static au_rc pg_override_put(void *impl, const au_override_row *o)
{
    au_pg_params p = {0};
    int del = strcmp(o->kind, "none") == 0;
    au_pg_int(&p, o->a);
    au_pg_int(&p, o->b);
    if (!del) {
        au_pg_text(&p, o->kind);
        au_pg_text(&p, o->origin ? o->origin : "");
        au_pg_int(&p, o->at_ms);
    }
    return exec(impl, del ? RS_OVERRIDE_DEL : RS_OVERRIDE_PUT, &p, "override_put");
}

static au_rc pg_override_list(void *impl, au_override_cb cb, void *ctx)
{
    au_rc rc;
    PGresult *res = run(impl, RS_OVERRIDE_LIST, NULL, "override_list", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++) {
        au_override_row o = {au_pg_col_int(res, i, 0), au_pg_col_int(res, i, 1),
                             au_pg_col(res, i, 2), au_pg_col(res, i, 3), au_pg_col_int(res, i, 4)};
        rc = (au_rc)cb(ctx, &o);
    }
    PQclear(res);
    return rc;
}

static au_rc pg_review_put(void *impl, const au_review_row *r)
{
    au_pg_params p = {0};
    int del = isnan(r->weight);
    au_pg_int(&p, r->a);
    au_pg_int(&p, r->b);
    if (!del) {
        au_pg_double(&p, r->weight);
        au_pg_int(&p, r->at_ms);
    }
    return exec(impl, del ? RS_REVIEW_DEL : RS_REVIEW_PUT, &p, "review_put");
}

static au_rc pg_review_list(void *impl, long limit, au_review_cb cb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_int(&p, limit);
    PGresult *res = run(impl, RS_REVIEW_LIST, &p, "review_list", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++) {
        au_review_row r = {au_pg_col_int(res, i, 0), au_pg_col_int(res, i, 1),
                           strtod(PQgetvalue(res, i, 2), NULL), au_pg_col_int(res, i, 3)};
        rc = (au_rc)cb(ctx, &r);
    }
    PQclear(res);
    return rc;
}

static au_rc pg_model_put(void *impl, const char *json, int64_t at_ms)
{
    au_pg_params p = {0};
    au_pg_text(&p, json);
    au_pg_int(&p, at_ms);
    return exec(impl, RS_MODEL_PUT, &p, "model_put");
}

static au_rc pg_model_get(void *impl, char **json)
{
    au_rc rc;
    *json = NULL;
    PGresult *res = run(impl, RS_MODEL_GET, NULL, "model_get", &rc);
    if (!res)
        return rc;
    if (PQntuples(res) == 0)
        rc = AU_ERR_NOT_FOUND;
    else if (!(*json = au_strdup(PQgetvalue(res, 0, 0))))
        rc = AU_ERR_NOMEM;
    PQclear(res);
    return rc;
}

/* Appended under the feed lock (au_pg_feed_lock), in a transaction of its own when the caller
 * has none, so feed positions are in commit order across nodes. */
static au_rc pg_change_add(void *impl, const au_change_row *c)
{
    au_pg_params p = {0};
    int own = !au_pg_in_transaction(impl);
    au_rc rc = own ? au_pg_begin(impl) : AU_OK;
    if (!rc)
        rc = au_pg_feed_lock(impl);
    au_pg_int(&p, c->profile);
    au_pg_text(&p, c->kind);
    if (c->other)
        au_pg_int(&p, c->other);
    else
        au_pg_text(&p, NULL);
    au_pg_text(&p, c->source);
    au_pg_text(&p, c->record_id);
    au_pg_int(&p, c->at_ms);
    if (!rc)
        rc = exec(impl, RS_CHANGE_ADD, &p, "change_add");
    if (own && !rc)
        return au_pg_commit(impl);
    if (own)
        AU_BEST_EFFORT(au_pg_rollback(impl)); /* the error is the insert's */
    return rc;
}

static au_rc pg_changes_after(void *impl, int64_t after, long limit, au_change_cb cb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_int(&p, after);
    au_pg_int(&p, limit);
    PGresult *res = run(impl, RS_CHANGES_AFTER, &p, "changes_after", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++) {
        au_change_row c = {au_pg_col_int(res, i, 0), au_pg_col_int(res, i, 1), au_pg_col(res, i, 2),
                           au_pg_col_int(res, i, 3), au_pg_col(res, i, 4),     au_pg_col(res, i, 5),
                           au_pg_col_int(res, i, 6)};
        rc = (au_rc)cb(ctx, &c);
    }
    PQclear(res);
    return rc;
}

/* The decision lock is the feed's append lock taken early: whoever holds it appends the next
 * feed rows, so decisions are serialised in feed order, and every decision committed before
 * is below the position read after taking it (read in a statement of its own: a statement's
 * snapshot is taken when it starts, before a wait for the lock would end). */
static au_rc pg_resolve_lock(void *impl, int64_t *last)
{
    *last = 0;
    if (!au_pg_in_transaction(impl))
        return AU_ERR_INVALID;
    au_rc rc = au_pg_feed_lock(impl);
    if (!rc)
        rc = au_pg_one_int(impl, AU_PG_SLOT_NODES + NODE_FEED_LAST, node_sql[NODE_FEED_LAST], NULL,
                           last, "resolve_lock");
    return rc;
}

static au_rc pg_resolve_changed(void *impl, int64_t after, int64_t upto, au_resolve_row_cb cb,
                                void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_int(&p, after);
    au_pg_int(&p, upto);
    PGresult *res = au_pg_run(impl, AU_PG_SLOT_NODES + NODE_RESOLVE_CHANGED,
                              node_sql[NODE_RESOLVE_CHANGED], &p, "resolve_changed", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++) {
        au_resolve_row r = {au_pg_col_int(res, i, 0), au_pg_col(res, i, 1), au_pg_col(res, i, 2),
                            au_pg_col(res, i, 3), au_pg_col_int(res, i, 4)};
        rc = (au_rc)cb(ctx, &r);
    }
    PQclear(res);
    return rc;
}

/* The sequence is a high-water mark moved only forward; nodes claim under the decision lock,
 * so two of them never hand out one number. */
static au_rc pg_profile_claim(void *impl, int64_t taken, int64_t *next)
{
    au_pg_params p = {0};
    int64_t top = 0;
    au_pg_int(&p, taken);
    au_rc rc = au_pg_one_int(impl, AU_PG_SLOT_NODES + NODE_PROFILE_CLAIM,
                             node_sql[NODE_PROFILE_CLAIM], &p, &top, "profile_claim");
    *next = rc ? 0 : top + 1;
    return rc;
}

const struct au_store_resolution_ops au_pg_resolution_ops = {
    .record_last_no = pg_record_last_no,
    .record_no = pg_record_no,
    .record_ref = pg_record_ref,
    .resolve_scan = pg_resolve_scan,
    .assign_put = pg_assign_put,
    .profile_of = pg_profile_of,
    .profile_members = pg_profile_members,
    .profile_max = pg_profile_max,
    .redirect_put = pg_redirect_put,
    .redirect_get = pg_redirect_get,
    .override_put = pg_override_put,
    .override_list = pg_override_list,
    .review_put = pg_review_put,
    .review_list = pg_review_list,
    .model_put = pg_model_put,
    .model_get = pg_model_get,
    .change_add = pg_change_add,
    .changes_after = pg_changes_after,
    .resolve_lock = pg_resolve_lock,
    .resolve_changed = pg_resolve_changed,
    .profile_claim = pg_profile_claim,
};
