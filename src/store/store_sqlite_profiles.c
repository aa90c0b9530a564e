/*
 * SQLite back-end of the profile slots: the identifier index of records (e-mail, phone and name
 * keys -> record numbers, for lookups and search), the customer references of events (the
 * timeline), and the record-to-profile read of the assignments resolution keeps.
 */
#include <string.h>

#include "lib/alloc.h"
#include "store/store_sqlite_int.h"

/* X(slot name, SQL); slots are AU_SQLITE_EXT_PROFILES + position. */
#define PQ_STMT_LIST(X)                                                                            \
    X(RECORD_BY_NO, "SELECT r.source, r.record_id, v.version, v.doc, v.hash, v.origin, v.at_ms, "  \
                    "v.deleted FROM records r JOIN record_versions v "                             \
                    "ON v.rec = r.id AND v.version = r.version WHERE r.id = ?1")                   \
    X(IDENT_CLEAR, "DELETE FROM profile_idents WHERE rec = ?1")                                    \
    X(IDENT_PUT, "INSERT OR IGNORE INTO profile_idents(kind, key, rec) VALUES (?1, ?2, ?3)")       \
    X(IDENT_EXACT, "SELECT rec, key FROM profile_idents WHERE kind = ?1 AND key = ?2 "             \
                   "ORDER BY rec LIMIT ?3")                                                        \
    X(IDENT_PREFIX, "SELECT rec, key FROM profile_idents WHERE kind = ?1 AND key >= ?2 "           \
                    "AND key < ?2 || x'f48fbfbf' ORDER BY key, rec LIMIT ?3")                      \
    X(EVREF_PUT, "INSERT OR IGNORE INTO event_refs(ref, seq) "                                     \
                 "SELECT ?1, seq FROM events WHERE source = ?2 AND event_id = ?3")                 \
    X(TIMELINE,                                                                                    \
      "SELECT e.source, e.event_id, e.type, e.customer, e.properties, e.origin, "                  \
      "e.at_ms, e.received_ms, e.seq FROM event_refs r JOIN events e ON e.seq = r.seq "            \
      "WHERE r.ref IN (SELECT value FROM json_each(?1)) "                                          \
      "AND (?2 = 0 OR (e.at_ms, e.seq) < ((SELECT at_ms FROM events WHERE seq = ?2), ?2)) "        \
      "AND (?3 IS NULL OR e.type = ?3) AND (?4 IS NULL OR e.source = ?4) "                         \
      "ORDER BY e.at_ms DESC, e.seq DESC LIMIT ?5")                                                \
    X(RECORD_PROFILE, "SELECT profile FROM assignments WHERE rec = ?1")                            \
    X(CHANGE_LAST, "SELECT coalesce(max(seq), 0) FROM changes")                                    \
    X(EVENTS_UNLINKED,                                                                             \
      "SELECT e.source, count(*) FROM events e WHERE e.seq NOT IN (SELECT r.seq "                  \
      "FROM event_refs r WHERE " REF_HELD ") GROUP BY e.source ORDER BY e.source")                 \
    X(IDENT_REC_DROP, "DROP INDEX IF EXISTS profile_idents_rec")                                   \
    X(IDENT_REC_CREATE, "CREATE INDEX IF NOT EXISTS profile_idents_rec ON profile_idents(rec)")

/* SQL: 1 when a live record holds event reference r.ref (the forms profile/hook.c writes):
 * "r:SOURCE\x1fRECORD" a record that exists and is not deleted, "e:KEY" / "p:KEY" a record
 * indexed under that e-mail (AU_IDENT_EMAIL = 1) / phone (AU_IDENT_PHONE = 2) key; the index
 * loses a record's keys when it is deleted. */
#define REF_HELD                                                                                   \
    "(CASE substr(r.ref, 1, 2) "                                                                   \
    "WHEN 'r:' THEN EXISTS (SELECT 1 FROM records rc WHERE rc.deleted = 0 "                        \
    "AND rc.source = substr(r.ref, 3, instr(r.ref, char(31)) - 3) "                                \
    "AND rc.record_id = substr(r.ref, instr(r.ref, char(31)) + 1)) "                               \
    "WHEN 'e:' THEN EXISTS (SELECT 1 FROM profile_idents i WHERE i.kind = 1 "                      \
    "AND i.key = substr(r.ref, 3)) "                                                               \
    "WHEN 'p:' THEN EXISTS (SELECT 1 FROM profile_idents i WHERE i.kind = 2 "                      \
    "AND i.key = substr(r.ref, 3)) "                                                               \
    "ELSE 0 END)"

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

static sqlite3_stmt *stmt(void *impl, pq_stmt id)
{
    return au_sqlite_stmt(impl, AU_SQLITE_EXT_PROFILES + (int)id, pq_sql[id]);
}

au_rc au_sqlite_record_by_no(void *impl, int64_t no, au_record_out *out)
{
    sqlite3_stmt *st = stmt(impl, PQ_RECORD_BY_NO);
    au_rc rc = AU_OK;
    if (!st)
        return AU_ERR_STORE;
    memset(out, 0, sizeof(*out));
    sqlite3_bind_int64(st, 1, no);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        out->source = au_sqlite_col_dup(st, 0);
        out->record_id = au_sqlite_col_dup(st, 1);
        out->version = sqlite3_column_int64(st, 2);
        out->doc = au_sqlite_col_dup(st, 3);
        out->hash = (uint64_t)sqlite3_column_int64(st, 4);
        out->origin = au_sqlite_col_dup(st, 5);
        out->at_ms = sqlite3_column_int64(st, 6);
        out->deleted = sqlite3_column_int(st, 7);
        if (!out->source || !out->record_id || (!out->doc && !out->deleted)) {
            au_record_out_cleanup(out);
            rc = AU_ERR_NOMEM;
        }
    } else {
        rc = src == SQLITE_DONE ? AU_ERR_NOT_FOUND : au_sqlite_fail(impl, src, "record_by_no");
    }
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_ident_clear(void *impl, int64_t rec)
{
    sqlite3_stmt *st = stmt(impl, PQ_IDENT_CLEAR);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, rec);
    return au_sqlite_run(impl, st, "ident_clear");
}

au_rc au_sqlite_ident_put(void *impl, int kind, const char *key, int64_t rec)
{
    sqlite3_stmt *st = stmt(impl, PQ_IDENT_PUT);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int(st, 1, kind);
    au_sqlite_bind_text(st, 2, key);
    sqlite3_bind_int64(st, 3, rec);
    return au_sqlite_run(impl, st, "ident_put");
}

au_rc au_sqlite_ident_rec_index(void *impl, int on)
{
    sqlite3_stmt *st = stmt(impl, on ? PQ_IDENT_REC_CREATE : PQ_IDENT_REC_DROP);
    if (!st)
        return AU_ERR_STORE;
    return au_sqlite_run(impl, st, "ident_rec_index");
}

au_rc au_sqlite_ident_find(void *impl, int kind, const char *key, int prefix, int limit,
                           au_ident_cb cb, void *ctx)
{
    sqlite3_stmt *st = stmt(impl, prefix ? PQ_IDENT_PREFIX : PQ_IDENT_EXACT);
    au_rc rc = AU_OK;
    int src;
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int(st, 1, kind);
    au_sqlite_bind_text(st, 2, key);
    sqlite3_bind_int(st, 3, limit);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        if ((rc = cb(ctx, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1))))
            break;
    }
    if (!rc && src != SQLITE_DONE)
        rc = au_sqlite_fail(impl, src, "ident_find");
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_event_ref_put(void *impl, const char *ref, const char *source, const char *event_id)
{
    sqlite3_stmt *st = stmt(impl, PQ_EVREF_PUT);
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, ref);
    au_sqlite_bind_text(st, 2, source);
    au_sqlite_bind_text(st, 3, event_id);
    return au_sqlite_run(impl, st, "event_ref_put");
}

/* Steps a bound statement whose columns are source, event_id, type, customer, properties,
 * origin, at_ms, received_ms, seq, and hands each row to cb (borrowed: valid during the callback
 * only); resets the statement. op names the read in a store error. */
au_rc au_sqlite_event_rows(void *impl, sqlite3_stmt *st, au_event_cb cb, void *ctx, const char *op)
{
    au_rc rc = AU_OK;
    int src;
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        /* Borrowed row: valid during the callback only. */
        au_event_out e = {
            .source = (char *)sqlite3_column_text(st, 0),
            .event_id = (char *)sqlite3_column_text(st, 1),
            .type = (char *)sqlite3_column_text(st, 2),
            .customer = (char *)sqlite3_column_text(st, 3),
            .properties = (char *)sqlite3_column_text(st, 4),
            .origin = (char *)sqlite3_column_text(st, 5),
            .at_ms = sqlite3_column_int64(st, 6),
            .received_ms = sqlite3_column_int64(st, 7),
            .seq = sqlite3_column_int64(st, 8),
        };
        if ((rc = cb(ctx, &e)))
            break;
    }
    if (!rc && src != SQLITE_DONE)
        rc = au_sqlite_fail(impl, src, op);
    sqlite3_reset(st);
    return rc;
}

au_rc au_sqlite_timeline(void *impl, const char *refs_json, int64_t before_seq, const char *type,
                         const char *source, int limit, au_event_cb cb, void *ctx)
{
    sqlite3_stmt *st = stmt(impl, PQ_TIMELINE);
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, refs_json);
    sqlite3_bind_int64(st, 2, before_seq);
    au_sqlite_bind_text(st, 3, type);
    au_sqlite_bind_text(st, 4, source);
    sqlite3_bind_int(st, 5, limit);
    return au_sqlite_event_rows(impl, st, cb, ctx, "timeline");
}

au_rc au_sqlite_record_profile(void *impl, int64_t rec, int64_t *profile)
{
    sqlite3_stmt *st = stmt(impl, PQ_RECORD_PROFILE);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, rec);
    au_rc rc = au_sqlite_one_int(impl, st, profile, "record_profile");
    if (rc == AU_ERR_NOT_FOUND) {
        *profile = 0;
        rc = AU_OK;
    }
    return rc;
}

au_rc au_sqlite_change_last(void *impl, int64_t *seq)
{
    sqlite3_stmt *st = stmt(impl, PQ_CHANGE_LAST);
    if (!st)
        return AU_ERR_STORE;
    return au_sqlite_one_int(impl, st, seq, "change_last");
}

au_rc au_sqlite_events_unlinked(void *impl, au_unlinked_cb cb, void *ctx)
{
    sqlite3_stmt *st = stmt(impl, PQ_EVENTS_UNLINKED);
    au_rc rc = AU_OK;
    int src;
    if (!st)
        return AU_ERR_STORE;
    while ((src = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = cb(ctx, au_sqlite_col_text(st, 0), sqlite3_column_int64(st, 1))))
            break;
    if (!rc && src != SQLITE_DONE)
        rc = au_sqlite_fail(impl, src, "events_unlinked");
    sqlite3_reset(st);
    return rc;
}
