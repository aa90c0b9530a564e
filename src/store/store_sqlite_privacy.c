/*
 * SQLite back-end of the privacy slots (src/privacy/, docs/PRIVACY.md): the purge of every row
 * that holds a data subject's personal data, the receipt and suppression list that an erasure
 * leaves (tables erasures and suppressions of migration 6), the search of flow runs and dead
 * letters mentioning a person (export) and the WAL checkpoint that takes erased bytes out of
 * the WAL file.
 *
 * The person is described by three JSON arrays bound as parameters and unpacked with json_each,
 * so one prepared statement serves any number of records: ?1 members
 * ([{"no":record number,"s":source,"r":record id}]), ?2 event customer references, ?3 needles
 * (strings whose presence in a run's input or a dead letter marks it as theirs). Erasure is
 * rare and administrative, so these statements are prepared per call, not cached, and may scan
 * the flow tables (their size is bounded by run-history retention).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "store/store_sqlite_int.h"

/* The record numbers of ?1. */
#define PV_RECS "(SELECT m.value->>'no' FROM json_each(?1) m)"
/* A needle of ?3 occurs in column X (NULL never matches). */
#define PV_NEEDLE_IN(x) "EXISTS (SELECT 1 FROM json_each(?3) n WHERE instr(" x ", n.value) > 0)"

/* One purge step: the SQL and the counter its changed rows add to (NULL: not counted). The
 * order matters: runs are collected before their rows go, versions before the tombstone. */
typedef struct pv_step {
    const char *sql;
    size_t count; /* offset of the counter in au_purge_counts, or (size_t)-1 */
} pv_step;

#define PV_NONE  ((size_t)-1)
#define PV_AT(f) offsetof(au_purge_counts, f)

static const pv_step purge_steps[] = {
    {"CREATE TEMP TABLE IF NOT EXISTS au_erase_runs(id INTEGER PRIMARY KEY)", PV_NONE},
    {"DELETE FROM temp.au_erase_runs", PV_NONE},
    {"INSERT OR IGNORE INTO temp.au_erase_runs SELECT id FROM flow_runs WHERE " PV_NEEDLE_IN(
         "flow_runs.input") " OR " PV_NEEDLE_IN("flow_runs.steps") " OR " PV_NEEDLE_IN("flow_runs."
                                                                                       "error"),
     PV_NONE},
    {"INSERT OR IGNORE INTO temp.au_erase_runs SELECT run_id FROM dead_letters WHERE " PV_NEEDLE_IN(
         "dead_letters.request") " OR " PV_NEEDLE_IN("dead_letters.response"),
     PV_NONE},
    {"DELETE FROM outbox WHERE run_id IN (SELECT id FROM temp.au_erase_runs)", PV_AT(outbox)},
    {"DELETE FROM dead_letters WHERE run_id IN (SELECT id FROM temp.au_erase_runs)",
     PV_AT(dead_letters)},
    {"DELETE FROM flow_runs WHERE id IN (SELECT id FROM temp.au_erase_runs)", PV_AT(runs)},
    /* events filed under one of the person's references, or naming one of their identifiers
     * (an event that arrived before any record of theirs) */
    {"DELETE FROM events WHERE seq IN (SELECT seq FROM event_refs WHERE ref IN "
     "(SELECT value FROM json_each(?2))) OR " PV_NEEDLE_IN("events.customer"),
     PV_AT(events)},
    {"DELETE FROM event_refs WHERE ref IN (SELECT value FROM json_each(?2)) OR "
     "seq NOT IN (SELECT seq FROM events)",
     PV_NONE},
    /* the change feed keeps its positions and profile numbers, not the record's id */
    {"UPDATE changes SET source = NULL, record_id = NULL WHERE EXISTS (SELECT 1 FROM "
     "json_each(?1) m WHERE m.value->>'s' = changes.source AND m.value->>'r' = changes.record_id)",
     PV_AT(changes)},
    {"UPDATE quality SET examples = (SELECT json_group_array(e.value) FROM "
     "json_each(quality.examples) e WHERE NOT EXISTS (SELECT 1 FROM json_each(?1) m WHERE "
     "m.value->>'s' = quality.source AND m.value->>'r' = e.value)) WHERE examples IS NOT NULL "
     "AND EXISTS (SELECT 1 FROM json_each(?1) m WHERE m.value->>'s' = quality.source AND "
     "instr(quality.examples, json_quote(m.value->>'r')) > 0)",
     PV_NONE},
    {"DELETE FROM profile_idents WHERE rec IN " PV_RECS, PV_NONE},
    {"DELETE FROM assignments WHERE rec IN " PV_RECS, PV_NONE},
    {"DELETE FROM overrides WHERE a IN " PV_RECS " OR b IN " PV_RECS, PV_NONE},
    {"DELETE FROM review WHERE a IN " PV_RECS " OR b IN " PV_RECS, PV_NONE},
    {"DELETE FROM versions WHERE rec IN " PV_RECS, PV_AT(versions)},
    /* the record number stays (it is never reused); its id becomes "erased:<number>" */
    {"UPDATE records SET record_id = 'erased:' || id, hash = 0, deleted = 1 WHERE id IN " PV_RECS,
     PV_AT(records)},
    {"INSERT INTO versions(rec, version, doc, hash, origin, at_ms, deleted) "
     "SELECT id, version, NULL, 0, (SELECT id FROM origins WHERE name = 'erasure'), ?4, 1 "
     "FROM records WHERE id IN " PV_RECS,
     PV_NONE},
};

/* Prepares `sql`, binds the texts t[0..nt) to ?1.. and the integers i[0..ni) after them,
 * steps it to the end and finalizes it. *changed (when not NULL) gets the rows changed. */
static au_rc exec_bound(void *impl, const char *sql, const char *const *t, int nt, const int64_t *i,
                        int ni, int64_t *changed)
{
    sqlite3 *db = au_sqlite_db(impl);
    sqlite3_stmt *st = NULL;
    int src = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (src != SQLITE_OK)
        return au_sqlite_fail(impl, src, "privacy prepare");
    int np = sqlite3_bind_parameter_count(st);
    for (int k = 0; k < nt && k < np; k++)
        au_sqlite_bind_text(st, k + 1, t[k]);
    for (int k = 0; k < ni && nt + k < np; k++)
        sqlite3_bind_int64(st, nt + k + 1, i[k]);
    while ((src = sqlite3_step(st)) == SQLITE_ROW)
        ;
    au_rc rc = src == SQLITE_DONE ? AU_OK : au_sqlite_fail(impl, src, "privacy purge");
    if (!rc && changed)
        *changed = sqlite3_changes64(db);
    sqlite3_finalize(st);
    return rc;
}

/* The receipt row, then the suppression entries when asked for. */
static au_rc add_receipt(void *impl, const au_subject_purge *p, au_purge_counts *n)
{
    char counts[256];
    snprintf(counts, sizeof(counts),
             "{\"records\":%lld,\"versions\":%lld,\"events\":%lld,\"runs\":%lld,"
             "\"dead_letters\":%lld,\"outbox\":%lld,\"changes\":%lld}",
             (long long)n->records, (long long)n->versions, (long long)n->events,
             (long long)n->runs, (long long)n->dead_letters, (long long)n->outbox,
             (long long)n->changes);
    const char *t[] = {p->key_id ? p->key_id : "", p->hashes ? p->hashes : "[]", counts};
    const int64_t v[] = {p->at_ms, p->profile, p->suppress ? 1 : 0};
    au_rc rc = exec_bound(impl,
                          "INSERT INTO erasures(key_id, identifiers, counts, at_ms, profile, "
                          "suppress) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                          t, 3, v, 3, NULL);
    if (rc)
        return rc;
    n->receipt = sqlite3_last_insert_rowid(au_sqlite_db(impl));
    if (!p->suppress)
        return AU_OK;
    const char *ts[] = {p->hashes ? p->hashes : "[]"};
    const int64_t vs[] = {n->receipt, p->at_ms};
    return exec_bound(impl,
                      "INSERT OR IGNORE INTO suppressions(hash, erasure, at_ms) "
                      "SELECT value, ?2, ?3 FROM json_each(?1)",
                      ts, 1, vs, 2, NULL);
}

au_rc au_sqlite_subject_purge(void *impl, const au_subject_purge *p, au_purge_counts *n)
{
    const char *t[] = {p->members ? p->members : "[]", p->refs ? p->refs : "[]",
                       p->needles ? p->needles : "[]"};
    memset(n, 0, sizeof(*n));
    au_rc rc = AU_OK;
    for (size_t k = 0; !rc && k < sizeof(purge_steps) / sizeof(purge_steps[0]); k++) {
        int64_t changed = 0;
        rc = exec_bound(impl, purge_steps[k].sql, t, 3, &p->at_ms, 1, &changed);
        if (!rc && purge_steps[k].count != PV_NONE)
            *(int64_t *)((char *)n + purge_steps[k].count) += changed;
    }
    return rc ? rc : add_receipt(impl, p, n);
}

au_rc au_sqlite_subject_runs(void *impl, const char *needles, int limit, au_run_cb rcb,
                             au_dead_cb dcb, void *ctx)
{
    sqlite3 *db = au_sqlite_db(impl);
    sqlite3_stmt *st = NULL;
    int src, stop = 0;
    const char *run_sql =
        "SELECT id, flow, trigger, input, condition, steps, status, error, pending, attempts, "
        "started_ms, finished_ms FROM flow_runs WHERE " PV_NEEDLE_IN(
            "flow_runs.input") " OR " PV_NEEDLE_IN("flow_runs.error") " ORDER BY id DESC LIMIT ?2";
    const char *dead_sql =
        "SELECT id, outbox_id, run_id, flow, step_id, request, response, "
        "reason, created_ms, replayed_ms FROM dead_letters WHERE " PV_NEEDLE_IN(
            "dead_letters.request") " OR " PV_NEEDLE_IN("dead_letters.response") " ORDER BY id "
                                                                                 "DESC LIMIT ?2";
    /* ?3 is the needles' number in the shared macro: bind them there, ?1 unused */
    for (int pass = 0; pass < 2 && !stop; pass++) {
        if ((src = sqlite3_prepare_v2(db, pass ? dead_sql : run_sql, -1, &st, NULL)) != SQLITE_OK)
            return au_sqlite_fail(impl, src, "subject_runs");
        sqlite3_bind_int(st, 2, limit);
        au_sqlite_bind_text(st, 3, needles ? needles : "[]");
        while (!stop && (src = sqlite3_step(st)) == SQLITE_ROW) {
            if (!pass) {
                au_run_row r;
                au_sqlite_run_row(st, &r);
                stop = rcb(ctx, &r);
            } else {
                au_dead_row d = {
                    .id = sqlite3_column_int64(st, 0),
                    .outbox_id = sqlite3_column_int64(st, 1),
                    .run_id = sqlite3_column_int64(st, 2),
                    .flow = au_sqlite_col_text(st, 3),
                    .step_id = au_sqlite_col_text(st, 4),
                    .request = au_sqlite_col_text(st, 5),
                    .response = au_sqlite_col_text(st, 6),
                    .reason = au_sqlite_col_text(st, 7),
                    .created_ms = sqlite3_column_int64(st, 8),
                    .replayed_ms = sqlite3_column_int64(st, 9),
                };
                stop = dcb(ctx, &d);
            }
        }
        au_rc rc = stop || src == SQLITE_DONE ? AU_OK : au_sqlite_fail(impl, src, "subject_runs");
        sqlite3_finalize(st);
        if (rc)
            return rc;
    }
    return stop;
}

au_rc au_sqlite_suppressed(void *impl, const char *hashes, int *yes)
{
    /* cached: once the list has entries it runs for every record written */
    sqlite3_stmt *st = au_sqlite_stmt(impl, AU_SQLITE_EXT_PRIVACY + 1,
                                      "SELECT 1 FROM suppressions WHERE ?1 IS NULL OR hash IN "
                                      "(SELECT value FROM json_each(?1)) LIMIT 1");
    if (!st)
        return AU_ERR_STORE;
    au_sqlite_bind_text(st, 1, hashes);
    int64_t one = 0;
    au_rc rc = au_sqlite_one_int(impl, st, &one, "suppressed");
    *yes = rc == AU_OK;
    return rc == AU_ERR_NOT_FOUND ? AU_OK : rc;
}

au_rc au_sqlite_checkpoint(void *impl, int *done)
{
    int log = 0, ckpt = 0;
    int src = sqlite3_wal_checkpoint_v2(au_sqlite_db(impl), NULL, SQLITE_CHECKPOINT_TRUNCATE, &log,
                                        &ckpt);
    *done = src == SQLITE_OK;
    return src == SQLITE_OK || src == SQLITE_BUSY ? AU_OK : au_sqlite_fail(impl, src, "checkpoint");
}

au_rc au_sqlite_record_scrub(void *impl, int64_t no)
{
    /* cached: it runs on every record deletion */
    sqlite3_stmt *st = au_sqlite_stmt(impl, AU_SQLITE_EXT_PRIVACY,
                                      "UPDATE versions SET doc = NULL "
                                      "WHERE rec = ?1 AND doc IS NOT NULL");
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, no);
    return au_sqlite_run(impl, st, "record_scrub");
}
