/*
 * The PostgreSQL back-end's profiles domain (store_profiles.h): the identifier index of records
 * (e-mail, phone and name keys -> record numbers, for lookups and search), the customer
 * references of events (the timeline), and the record-to-profile read of the assignments, with
 * the statements of store_sqlite_profiles.c in PostgreSQL's dialect. Keys are COLLATE "C"
 * (schema_pg.c), so prefix ranges and orders are bytewise, as in SQLite.
 */
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "store/store_pg_int.h"

/* SQL: true when a live record holds event reference r.ref (the forms profile/hook.c writes):
 * "r:SOURCE\x1fRECORD" a record that exists and is not deleted, "e:KEY" / "p:KEY" a record
 * indexed under that e-mail (AU_IDENT_EMAIL = 1) / phone (AU_IDENT_PHONE = 2) key. greatest()
 * keeps a reference without the separator from being a negative-length error. */
#define REF_HELD                                                                                   \
    "(CASE substr(r.ref, 1, 2) "                                                                   \
    "WHEN 'r:' THEN EXISTS (SELECT 1 FROM records rc WHERE NOT rc.deleted "                        \
    "AND rc.source = substr(r.ref, 3, greatest(strpos(r.ref, chr(31)) - 3, 0)) "                   \
    "AND rc.record_id = substr(r.ref, strpos(r.ref, chr(31)) + 1)) "                               \
    "WHEN 'e:' THEN EXISTS (SELECT 1 FROM profile_idents i WHERE i.kind = 1 "                      \
    "AND i.key = substr(r.ref, 3)) "                                                               \
    "WHEN 'p:' THEN EXISTS (SELECT 1 FROM profile_idents i WHERE i.kind = 2 "                      \
    "AND i.key = substr(r.ref, 3)) "                                                               \
    "ELSE false END)"

#define PQ_STMT_LIST(X)                                                                            \
    X(RECORD_BY_NO, "SELECT r.source, r.record_id, v.version, v.doc, v.hash, v.origin, v.at_ms, "  \
                    "v.deleted FROM records r JOIN record_versions v "                             \
                    "ON v.rec = r.id AND v.version = r.version WHERE r.id = $1")                   \
    X(IDENT_CLEAR, "DELETE FROM profile_idents WHERE rec = $1")                                    \
    X(IDENT_PUT, "INSERT INTO profile_idents(kind, key, rec) VALUES ($1, $2, $3) "                 \
                 "ON CONFLICT DO NOTHING")                                                         \
    X(IDENT_EXACT, "SELECT rec, key FROM profile_idents WHERE kind = $1 AND key = $2 "             \
                   "ORDER BY rec LIMIT $3")                                                        \
    X(IDENT_PREFIX, "SELECT rec, key FROM profile_idents WHERE kind = $1 AND key >= $2 "           \
                    "AND key < $4 ORDER BY key, rec LIMIT $3")                                     \
    X(EVREF_PUT, "INSERT INTO event_refs(ref, seq) SELECT $1, seq FROM events "                    \
                 "WHERE source = $2 AND event_id = $3 ON CONFLICT DO NOTHING")                     \
    X(TIMELINE, "SELECT e.source, e.event_id, e.type, e.customer, e.properties, e.origin, "        \
                "e.at_ms, e.received_ms, e.seq FROM event_refs r JOIN events e ON e.seq = r.seq "  \
                "WHERE r.ref IN (SELECT jsonb_array_elements_text($1::jsonb)) "                    \
                "AND ($2::bigint = 0 OR (e.at_ms, e.seq) < "                                       \
                "((SELECT at_ms FROM events WHERE seq = $2::bigint), $2::bigint)) "                \
                "AND ($3::text IS NULL OR e.type = $3::text) "                                     \
                "AND ($4::text IS NULL OR e.source = $4::text) "                                   \
                "ORDER BY e.at_ms DESC, e.seq DESC LIMIT $5")                                      \
    X(RECORD_PROFILE, "SELECT profile FROM assignments WHERE rec = $1")                            \
    X(CHANGE_LAST, "SELECT coalesce(max(seq), 0) FROM changes")                                    \
    X(EVENTS_UNLINKED,                                                                             \
      "SELECT e.source, count(*) FROM events e WHERE e.seq NOT IN (SELECT r.seq "                  \
      "FROM event_refs r WHERE " REF_HELD ") GROUP BY e.source ORDER BY e.source")

typedef enum {
#define PQ_ENUM(id, sql) PQ_##id,
    PQ_STMT_LIST(PQ_ENUM)
#undef PQ_ENUM
        PQ_COUNT
} pq_stmt;

static const char *const pq_sql[PQ_COUNT] = {
#define PQ_SQL(id, sql) sql,
    PQ_STMT_LIST(PQ_SQL)
#undef PQ_SQL
};

_Static_assert(AU_PG_SLOT_PROFILES + PQ_COUNT <= AU_PG_SLOT_N,
               "profile statements overflow their slot range");

static PGresult *run(void *impl, pq_stmt id, const au_pg_params *p, const char *op, au_rc *rc)
{
    return au_pg_run(impl, AU_PG_SLOT_PROFILES + (int)id, pq_sql[id], p, op, rc);
}

static au_rc exec(void *impl, pq_stmt id, const au_pg_params *p, const char *op)
{
    return au_pg_exec(impl, AU_PG_SLOT_PROFILES + (int)id, pq_sql[id], p, op);
}

static au_rc pg_record_by_no(void *impl, int64_t no, au_record_out *out)
{
    au_pg_params p = {0};
    au_rc rc;
    memset(out, 0, sizeof(*out));
    au_pg_int(&p, no);
    PGresult *res = run(impl, PQ_RECORD_BY_NO, &p, "record_by_no", &rc);
    if (res)
        rc = PQntuples(res) == 0 ? AU_ERR_NOT_FOUND : au_pg_record_copy(res, 0, out);
    PQclear(res);
    return rc;
}

static au_rc pg_ident_clear(void *impl, int64_t rec)
{
    au_pg_params p = {0};
    au_pg_int(&p, rec);
    return exec(impl, PQ_IDENT_CLEAR, &p, "ident_clear");
}

static au_rc pg_ident_put(void *impl, int kind, const char *key, int64_t rec)
{
    au_pg_params p = {0};
    au_pg_int(&p, kind);
    au_pg_text(&p, key);
    au_pg_int(&p, rec);
    return exec(impl, PQ_IDENT_PUT, &p, "ident_put");
}

/* A prefix is the byte range [key, key + U+10FFFF): the largest code point's UTF-8 sorts after
 * every continuation of the prefix (bytewise, COLLATE "C"), as in the SQLite back-end. */
/* Kept: unlike the offline SQLite file, the database may have readers on other nodes, which
 * would wait on the lock DROP INDEX takes until the load commits. */
static au_rc pg_ident_rec_index(void *impl, int on)
{
    (void)impl, (void)on;
    return AU_OK;
}

static au_rc pg_ident_find(void *impl, int kind, const char *key, int prefix, int limit,
                           au_ident_cb cb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    char *hi = prefix ? au_asprintf("%s\xf4\x8f\xbf\xbf", key) : NULL;
    if (prefix && !hi)
        return AU_ERR_NOMEM;
    au_pg_int(&p, kind);
    au_pg_text(&p, key);
    au_pg_int(&p, limit);
    if (prefix)
        au_pg_text(&p, hi);
    PGresult *res = run(impl, prefix ? PQ_IDENT_PREFIX : PQ_IDENT_EXACT, &p, "ident_find", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++)
        rc = (au_rc)cb(ctx, au_pg_col_int(res, i, 0), PQgetvalue(res, i, 1));
    PQclear(res);
    au_free(hi);
    return rc;
}

static au_rc pg_event_ref_put(void *impl, const char *ref, const char *source, const char *event_id)
{
    au_pg_params p = {0};
    au_pg_text(&p, ref);
    au_pg_text(&p, source);
    au_pg_text(&p, event_id);
    return exec(impl, PQ_EVREF_PUT, &p, "event_ref_put");
}

static au_rc pg_timeline(void *impl, const char *refs_json, int64_t before_seq, const char *type,
                         const char *source, int limit, au_event_cb cb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_text(&p, refs_json);
    au_pg_int(&p, before_seq);
    au_pg_text(&p, type);
    au_pg_text(&p, source);
    au_pg_int(&p, limit);
    PGresult *res = run(impl, PQ_TIMELINE, &p, "timeline", &rc);
    return au_pg_event_rows(res, rc, cb, ctx);
}

/* 0 when the record has no assignment. */
static au_rc pg_record_profile(void *impl, int64_t rec, int64_t *profile)
{
    au_pg_params p = {0};
    au_pg_int(&p, rec);
    *profile = 0;
    au_rc rc = au_pg_one_int(impl, AU_PG_SLOT_PROFILES + PQ_RECORD_PROFILE,
                             pq_sql[PQ_RECORD_PROFILE], &p, profile, "record_profile");
    return rc == AU_ERR_NOT_FOUND ? AU_OK : rc;
}

static au_rc pg_change_last(void *impl, int64_t *seq)
{
    *seq = 0;
    return au_pg_one_int(impl, AU_PG_SLOT_PROFILES + PQ_CHANGE_LAST, pq_sql[PQ_CHANGE_LAST], NULL,
                         seq, "change_last");
}

au_rc au_pg_events_unlinked(void *impl, au_unlinked_cb cb, void *ctx)
{
    au_rc rc;
    PGresult *res = run(impl, PQ_EVENTS_UNLINKED, NULL, "events_unlinked", &rc);
    for (int i = 0; res && !rc && i < PQntuples(res); i++)
        rc = (au_rc)cb(ctx, PQgetvalue(res, i, 0), au_pg_col_int(res, i, 1));
    PQclear(res);
    return rc;
}

const struct au_store_profiles_ops au_pg_profiles_ops = {
    .record_by_no = pg_record_by_no,
    .ident_clear = pg_ident_clear,
    .ident_put = pg_ident_put,
    .ident_rec_index = pg_ident_rec_index,
    .ident_find = pg_ident_find,
    .event_ref_put = pg_event_ref_put,
    .timeline = pg_timeline,
    .record_profile = pg_record_profile,
    .change_last = pg_change_last,
};
