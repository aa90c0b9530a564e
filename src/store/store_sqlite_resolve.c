/*
 * The SQLite back-end's resolution tables (migration step 2): which profile each record belongs
 * to, where vanished profiles went, manual overrides, the possible-match review queue, trained
 * models and the change feed. Records are referred to by records.id (the record number the
 * resolver uses), so an assignment is one small integer row and the import path pays one
 * statement per record for it. Statements are cached per handle in the resolution slot range.
 */
#include <math.h>
#include <string.h>

#include "lib/alloc.h"
#include "store/store_sqlite_int.h"

/* X(slot name, SQL): slot numbers are AU_SQLITE_EXT_RESOLVE + position. */
#define RS_STMT_LIST(X)                                                                            \
    X(RECORD_NO, "SELECT id FROM records WHERE source = ?1 AND record_id = ?2")                    \
    X(RECORD_REF, "SELECT source, record_id FROM records WHERE id = ?1")                           \
    X(SCAN, "SELECT r.id, r.source, r.record_id, v.doc, a.profile FROM records r "                 \
            "JOIN record_versions v ON v.rec = r.id AND v.version = r.version "                    \
            "LEFT JOIN assignments a ON a.rec = r.id WHERE r.deleted = 0 ORDER BY r.id")           \
    X(ASSIGN_PUT, "INSERT INTO assignments(rec, profile) VALUES (?1, ?2) "                         \
                  "ON CONFLICT(rec) DO UPDATE SET profile = excluded.profile")                     \
    X(ASSIGN_DEL, "DELETE FROM assignments WHERE rec = ?1")                                        \
    X(PROFILE_OF, "SELECT coalesce(a.profile, 0) FROM records r LEFT JOIN assignments a "          \
                  "ON a.rec = r.id WHERE r.source = ?1 AND r.record_id = ?2 AND r.deleted = 0")    \
    X(MEMBERS, "SELECT r.id, r.source, r.record_id FROM assignments a JOIN records r "             \
               "ON r.id = a.rec WHERE a.profile = ?1 ORDER BY r.id")                               \
    X(PROFILE_MAX, "SELECT max(coalesce((SELECT max(profile) FROM assignments), 0), "              \
                   "coalesce((SELECT max(from_profile) FROM profile_redirects), 0))")              \
    X(REDIRECT_PUT, "INSERT INTO profile_redirects(from_profile, into_profile, at_ms) "            \
                    "VALUES (?1, ?2, ?3) ON CONFLICT(from_profile) DO UPDATE SET "                 \
                    "into_profile = excluded.into_profile, at_ms = excluded.at_ms")                \
    X(REDIRECT_DEL, "DELETE FROM profile_redirects WHERE from_profile = ?1")                       \
    X(REDIRECT_GET, "SELECT into_profile FROM profile_redirects WHERE from_profile = ?1")          \
    X(OVERRIDE_PUT,                                                                                \
      "INSERT INTO overrides(a, b, kind, origin, at_ms) VALUES (?1, ?2, ?3, ?4, ?5) "              \
      "ON CONFLICT(a, b) DO UPDATE SET kind = excluded.kind, "                                     \
      "origin = excluded.origin, at_ms = excluded.at_ms")                                          \
    X(OVERRIDE_DEL, "DELETE FROM overrides WHERE a = ?1 AND b = ?2")                               \
    X(OVERRIDE_LIST, "SELECT a, b, kind, origin, at_ms FROM overrides ORDER BY at_ms, a, b")       \
    X(REVIEW_PUT,                                                                                  \
      "INSERT INTO review(a, b, weight, at_ms) VALUES (?1, ?2, ?3, ?4) "                           \
      "ON CONFLICT(a, b) DO UPDATE SET weight = excluded.weight, at_ms = excluded.at_ms")          \
    X(REVIEW_DEL, "DELETE FROM review WHERE a = ?1 AND b = ?2")                                    \
    X(REVIEW_LIST, "SELECT a, b, weight, at_ms FROM review ORDER BY weight DESC, a, b LIMIT ?1")   \
    X(MODEL_PUT, "INSERT INTO models(model, at_ms) VALUES (?1, ?2)")                               \
    X(MODEL_GET, "SELECT model FROM models ORDER BY id DESC LIMIT 1")                              \
    X(CHANGE_ADD, "INSERT INTO changes(profile, kind, other, source, record_id, at_ms) "           \
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                                               \
    X(CHANGES_AFTER, "SELECT seq, profile, kind, other, source, record_id, at_ms FROM changes "    \
                     "WHERE seq > ?1 ORDER BY seq LIMIT ?2")                                       \
    X(FEED_LAST, "SELECT coalesce(max(seq), 0) FROM changes")                                      \
    X(RESOLVE_CHANGED,                                                                             \
      "WITH c AS (SELECT profile, other, source, record_id FROM changes "                          \
      "WHERE seq > ?1 AND seq <= ?2), "                                                            \
      "n AS (SELECT r.id FROM c JOIN records r ON r.source = c.source "                            \
      "AND r.record_id = c.record_id), "                                                           \
      "t AS (SELECT id FROM n UNION SELECT a.rec FROM assignments a WHERE a.profile IN "           \
      "(SELECT profile FROM c UNION SELECT other FROM c)) "                                        \
      "SELECT r.id, r.source, r.record_id, "                                                       \
      "CASE WHEN r.deleted = 0 AND r.id IN (SELECT id FROM n) THEN v.doc END, "                    \
      "coalesce(a.profile, 0) FROM t JOIN records r ON r.id = t.id "                               \
      "JOIN record_versions v ON v.rec = r.id AND v.version = r.version "                          \
      "LEFT JOIN assignments a ON a.rec = r.id ORDER BY r.id")

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

_Static_assert(RS_COUNT <= AU_SQLITE_EXT_PROFILES - AU_SQLITE_EXT_RESOLVE,
               "resolution statements overflow their slot range");

static sqlite3_stmt *rs_get(void *impl, rs_stmt id)
{
    return au_sqlite_stmt(impl, AU_SQLITE_EXT_RESOLVE + (int)id, rs_sql[id]);
}

int64_t au_sqlite_record_last_no(void *impl)
{
    return au_sqlite_last_record(impl);
}

au_rc au_sqlite_record_no(void *impl, const char *source, const char *record_id, int64_t *no)
{
    sqlite3_stmt *st = rs_get(impl, RS_RECORD_NO);
    *no = 0;
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, source);
    au_sqlite_bind_text(st, 2, record_id);
    return au_sqlite_one_int(impl, st, no, "record_no");
}

au_rc au_sqlite_record_ref(void *impl, int64_t no, char **source, char **record_id)
{
    sqlite3_stmt *st = rs_get(impl, RS_RECORD_REF);
    au_rc rc = AU_OK;
    *source = *record_id = NULL;
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, no);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *source = au_strdup(au_sqlite_col_text(st, 0));
        *record_id = au_strdup(au_sqlite_col_text(st, 1));
        if (!*source || !*record_id) {
            au_free(*source);
            au_free(*record_id);
            *source = *record_id = NULL;
            rc = AU_ERR_NOMEM;
        }
    } else {
        rc = src == SQLITE_DONE ? AU_ERR_NOT_FOUND : au_sqlite_fail(impl, src, "record_ref");
    }
    sqlite3_reset(st);
    return rc;
}

/* Passes each row of a record-row query (columns: id, source, record_id[, doc, profile]) to
 * cb, borrowed. */
static au_rc iterate_rows(void *impl, sqlite3_stmt *st, int with_doc, int64_t profile,
                          au_resolve_row_cb cb, void *ctx, const char *op)
{
    au_rc rc = AU_OK;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        au_resolve_row r = {sqlite3_column_int64(st, 0), au_sqlite_col_text(st, 1),
                            au_sqlite_col_text(st, 2), NULL, profile};
        if (with_doc) {
            r.doc = au_sqlite_col_text(st, 3);
            r.profile = sqlite3_column_int64(st, 4); /* NULL reads as 0: unassigned */
        }
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

au_rc au_sqlite_resolve_scan(void *impl, au_resolve_row_cb cb, void *ctx)
{
    sqlite3_stmt *st = rs_get(impl, RS_SCAN);
    if (!st)
        return AU_ERR_STORE;
    return iterate_rows(impl, st, 1, 0, cb, ctx, "resolve_scan");
}

au_rc au_sqlite_assign_put(void *impl, int64_t no, int64_t profile)
{
    sqlite3_stmt *st = rs_get(impl, profile ? RS_ASSIGN_PUT : RS_ASSIGN_DEL);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, no);
    if (profile)
        sqlite3_bind_int64(st, 2, profile);
    return au_sqlite_run(impl, st, "assign_put");
}

au_rc au_sqlite_profile_of(void *impl, const char *source, const char *record_id, int64_t *profile)
{
    sqlite3_stmt *st = rs_get(impl, RS_PROFILE_OF);
    *profile = 0;
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, source);
    au_sqlite_bind_text(st, 2, record_id);
    return au_sqlite_one_int(impl, st, profile, "profile_of");
}

au_rc au_sqlite_profile_members(void *impl, int64_t profile, au_resolve_row_cb cb, void *ctx)
{
    sqlite3_stmt *st = rs_get(impl, RS_MEMBERS);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, profile);
    return iterate_rows(impl, st, 0, profile, cb, ctx, "profile_members");
}

au_rc au_sqlite_profile_max(void *impl, int64_t *max)
{
    sqlite3_stmt *st = rs_get(impl, RS_PROFILE_MAX);
    *max = 0;
    if (!st)
        return AU_ERR_STORE;
    return au_sqlite_one_int(impl, st, max, "profile_max");
}

au_rc au_sqlite_redirect_put(void *impl, int64_t from, int64_t into, int64_t at_ms)
{
    sqlite3_stmt *st = rs_get(impl, RS_REDIRECT_PUT);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, into);
    sqlite3_bind_int64(st, 3, at_ms);
    return au_sqlite_run(impl, st, "redirect_put");
}

au_rc au_sqlite_redirect_get(void *impl, int64_t from, int64_t *into)
{
    sqlite3_stmt *st = rs_get(impl, RS_REDIRECT_GET);
    *into = 0;
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, from);
    return au_sqlite_one_int(impl, st, into, "redirect_get");
}

au_rc au_sqlite_override_put(void *impl, const au_override_row *o)
{
    int del = strcmp(o->kind, "none") == 0;
    sqlite3_stmt *st = rs_get(impl, del ? RS_OVERRIDE_DEL : RS_OVERRIDE_PUT);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, o->a);
    sqlite3_bind_int64(st, 2, o->b);
    if (!del) {
        au_sqlite_bind_text(st, 3, o->kind);
        au_sqlite_bind_text(st, 4, o->origin ? o->origin : "");
        sqlite3_bind_int64(st, 5, o->at_ms);
    }
    return au_sqlite_run(impl, st, "override_put");
}

au_rc au_sqlite_override_list(void *impl, au_override_cb cb, void *ctx)
{
    sqlite3_stmt *st = rs_get(impl, RS_OVERRIDE_LIST);
    au_rc rc = AU_OK;
    int src;
    if (!st)
        return AU_ERR_STORE;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        au_override_row o = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                             au_sqlite_col_text(st, 2), au_sqlite_col_text(st, 3),
                             sqlite3_column_int64(st, 4)};
        int stop = cb(ctx, &o);
        if (stop) {
            rc = (au_rc)stop;
            break;
        }
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = au_sqlite_fail(impl, src, "override_list");
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_review_put(void *impl, const au_review_row *r)
{
    int del = isnan(r->weight);
    sqlite3_stmt *st = rs_get(impl, del ? RS_REVIEW_DEL : RS_REVIEW_PUT);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, r->a);
    sqlite3_bind_int64(st, 2, r->b);
    if (!del) {
        sqlite3_bind_double(st, 3, r->weight);
        sqlite3_bind_int64(st, 4, r->at_ms);
    }
    return au_sqlite_run(impl, st, "review_put");
}

au_rc au_sqlite_review_list(void *impl, long limit, au_review_cb cb, void *ctx)
{
    sqlite3_stmt *st = rs_get(impl, RS_REVIEW_LIST);
    au_rc rc = AU_OK;
    int src;
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, limit);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        au_review_row r = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                           sqlite3_column_double(st, 2), sqlite3_column_int64(st, 3)};
        int stop = cb(ctx, &r);
        if (stop) {
            rc = (au_rc)stop;
            break;
        }
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = au_sqlite_fail(impl, src, "review_list");
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_model_put(void *impl, const char *json, int64_t at_ms)
{
    sqlite3_stmt *st = rs_get(impl, RS_MODEL_PUT);
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, json);
    sqlite3_bind_int64(st, 2, at_ms);
    return au_sqlite_run(impl, st, "model_put");
}

au_rc au_sqlite_model_get(void *impl, char **json)
{
    sqlite3_stmt *st = rs_get(impl, RS_MODEL_GET);
    au_rc rc = AU_OK;
    *json = NULL;
    if (!st)
        return AU_ERR_STORE;
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        *json = au_strdup(au_sqlite_col_text(st, 0));
        if (!*json)
            rc = AU_ERR_NOMEM;
    } else {
        rc = src == SQLITE_DONE ? AU_ERR_NOT_FOUND : au_sqlite_fail(impl, src, "model_get");
    }
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_change_add(void *impl, const au_change_row *c)
{
    sqlite3_stmt *st = rs_get(impl, RS_CHANGE_ADD);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, c->profile);
    au_sqlite_bind_text(st, 2, c->kind);
    if (c->other)
        sqlite3_bind_int64(st, 3, c->other);
    else
        sqlite3_bind_null(st, 3);
    au_sqlite_bind_text(st, 4, c->source);
    au_sqlite_bind_text(st, 5, c->record_id);
    sqlite3_bind_int64(st, 6, c->at_ms);
    return au_sqlite_run(impl, st, "change_add");
}

au_rc au_sqlite_changes_after(void *impl, int64_t after, long limit, au_change_cb cb, void *ctx)
{
    sqlite3_stmt *st = rs_get(impl, RS_CHANGES_AFTER);
    au_rc rc = AU_OK;
    int src;
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, limit);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        au_change_row c = {sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                           au_sqlite_col_text(st, 2),   sqlite3_column_int64(st, 3),
                           au_sqlite_col_text(st, 4),   au_sqlite_col_text(st, 5),
                           sqlite3_column_int64(st, 6)};
        int stop = cb(ctx, &c);
        if (stop) {
            rc = (au_rc)stop;
            break;
        }
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE)
        rc = au_sqlite_fail(impl, src, "changes_after");
    sqlite3_reset(st);
    return rc;
}

/* One writer per SQLite file (its lock file): nothing else decides, so there is nothing to wait
 * for; the position is the feed's end, as on PostgreSQL. */
au_rc au_sqlite_resolve_lock(void *impl, int64_t *last)
{
    sqlite3_stmt *st = rs_get(impl, RS_FEED_LAST);
    *last = 0;
    if (!st)
        return AU_ERR_STORE;
    return au_sqlite_one_int(impl, st, last, "resolve_lock");
}

au_rc au_sqlite_resolve_changed(void *impl, int64_t after, int64_t upto, au_resolve_row_cb cb,
                                void *ctx)
{
    sqlite3_stmt *st = rs_get(impl, RS_RESOLVE_CHANGED);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, upto);
    return iterate_rows(impl, st, 1, 0, cb, ctx, "resolve_changed");
}

/* Numbers in use are all SQLite knows of: the one writer claims nothing ahead. */
au_rc au_sqlite_profile_claim(void *impl, int64_t taken, int64_t *next)
{
    int64_t max = 0;
    au_rc rc = au_sqlite_profile_max(impl, &max);
    *next = rc ? 0 : (max > taken ? max : taken) + 1;
    return rc;
}
