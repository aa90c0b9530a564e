/*
 * The PostgreSQL back-end's audit domain (store_audit.h; tables audit and audit_anchor of
 * migration 6): appending entries of the hash-chained log, its head and anchor, the filtered
 * listing of GET /v1/audit, the oldest-first scan of `aurum audit verify`, and the retention
 * sweeps of the log and of the flow run history. Hashes go in as binary parameters and come
 * back hex-encoded (encode(hash, 'hex')), so no bytea escape format is parsed here.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_pg_int.h"

#define AQ_COLS "id, at_ms, action, key_id, client, route, profiles, records, encode(hash, 'hex')"

#define AQ_STMT_LIST(X)                                                                            \
    X(APPEND, "INSERT INTO audit(id, at_ms, action, key_id, client, route, profiles, records, "    \
              "hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")                                 \
    X(HEAD, "SELECT id, encode(hash, 'hex') FROM audit ORDER BY id DESC LIMIT 1")                  \
    X(ANCHOR, "SELECT id, encode(hash, 'hex'), at_ms FROM audit_anchor WHERE one = 1")             \
    X(LIST, "SELECT " AQ_COLS ", (SELECT name FROM api_keys k WHERE k.id = audit.key_id) "         \
            "FROM audit WHERE ($1::bigint = 0 OR id < $1::bigint) "                                \
            "AND ($2::text IS NULL OR key_id = $2::text) "                                         \
            "AND ($3::text IS NULL OR route = $3::text) AND at_ms >= $4::bigint "                  \
            "AND ($5::bigint = 0 OR profiles::jsonb @> to_jsonb($5::bigint)) "                     \
            "AND ($6::bigint = 0 OR records::jsonb @> to_jsonb($6::bigint)) "                      \
            "ORDER BY id DESC LIMIT $7")                                                           \
    X(SCAN, "SELECT " AQ_COLS " FROM audit WHERE id > $1 ORDER BY id LIMIT 1000")                  \
    X(SET_ANCHOR, "INSERT INTO audit_anchor(one, id, hash, at_ms) SELECT 1, id, hash, $2 "         \
                  "FROM audit WHERE id = (SELECT max(id) FROM audit WHERE at_ms < $1) "            \
                  "ON CONFLICT (one) DO UPDATE SET id = excluded.id, hash = excluded.hash, "       \
                  "at_ms = excluded.at_ms RETURNING id")                                           \
    X(DROP, "DELETE FROM audit WHERE id <= $1")                                                    \
    X(RUNS_SWEEP, "WITH r AS (SELECT id FROM flow_runs f WHERE started_ms < $1 AND pending = 0 "   \
                  "AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.status = 0 AND "                 \
                  "o.run_id = f.id)), "                                                            \
                  "o AS (DELETE FROM outbox WHERE run_id IN (SELECT id FROM r)), "                 \
                  "d AS (DELETE FROM dead_letters WHERE run_id IN (SELECT id FROM r)) "            \
                  "DELETE FROM flow_runs WHERE id IN (SELECT id FROM r)")

typedef enum {
#define AQ_ENUM(id, sql) AQ_##id,
    AQ_STMT_LIST(AQ_ENUM)
#undef AQ_ENUM
        AQ_COUNT
} aq_stmt;

_Static_assert(AQ_COUNT <= 16, "the audit statements own slots 144..159");

static const char *const aq_sql[AQ_COUNT] = {
#define AQ_SQL(id, sql) sql,
    AQ_STMT_LIST(AQ_SQL)
#undef AQ_SQL
};

static PGresult *run(void *impl, aq_stmt id, const au_pg_params *p, const char *op, au_rc *rc)
{
    return au_pg_run(impl, AU_PG_SLOT_AUDIT + (int)id, aq_sql[id], p, op, rc);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes a hex hash column; one of another length (a tampered row) leaves zeroes. */
static void col_hash(const PGresult *res, int r, int c, uint8_t out[AU_AUDIT_HASH_LEN])
{
    const char *h = au_pg_col(res, r, c);
    memset(out, 0, AU_AUDIT_HASH_LEN);
    if (!h || strlen(h) != 2 * AU_AUDIT_HASH_LEN)
        return;
    for (int i = 0; i < AU_AUDIT_HASH_LEN; i++) {
        int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            memset(out, 0, AU_AUDIT_HASH_LEN);
            return;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
}

static au_rc pg_audit_append(void *impl, const au_audit_row *r)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_int(&p, r->id);
    au_pg_int(&p, r->at_ms);
    au_pg_text(&p, r->action);
    au_pg_text(&p, r->key_id ? r->key_id : "");
    au_pg_text(&p, r->client ? r->client : "");
    au_pg_text(&p, r->route ? r->route : "");
    au_pg_text(&p, r->profiles ? r->profiles : "[]");
    au_pg_text(&p, r->records ? r->records : "[]");
    au_pg_bin(&p, r->hash, AU_AUDIT_HASH_LEN);
    PQclear(run(impl, AQ_APPEND, &p, "audit_append", &rc));
    return rc;
}

static au_rc pg_audit_anchor(void *impl, au_audit_anchor *out)
{
    au_rc rc;
    memset(out, 0, sizeof(*out));
    PGresult *res = run(impl, AQ_ANCHOR, NULL, "audit_anchor", &rc);
    if (res && PQntuples(res) > 0) {
        out->id = au_pg_col_int(res, 0, 0);
        col_hash(res, 0, 1, out->hash);
        out->at_ms = au_pg_col_int(res, 0, 2);
    }
    PQclear(res);
    return rc;
}

static au_rc pg_audit_head(void *impl, int64_t *id, uint8_t hash[AU_AUDIT_HASH_LEN])
{
    au_rc rc;
    PGresult *res = run(impl, AQ_HEAD, NULL, "audit_head", &rc);
    if (!res)
        return rc;
    int found = PQntuples(res) > 0;
    if (found) {
        *id = au_pg_col_int(res, 0, 0);
        col_hash(res, 0, 1, hash);
    }
    PQclear(res);
    if (found)
        return AU_OK;
    au_audit_anchor a;
    if ((rc = pg_audit_anchor(impl, &a)))
        return rc;
    *id = a.id;
    memcpy(hash, a.hash, AU_AUDIT_HASH_LEN);
    return AU_OK;
}

/* Hands each row of a result selecting AQ_COLS (and the key's name when there) to cb; *last
 * gets the id of the last row handed. */
static int each_row(const PGresult *res, au_audit_cb cb, void *ctx, int64_t *last)
{
    int stop = 0;
    for (int i = 0; !stop && i < PQntuples(res); i++) {
        au_audit_row r = {
            .id = au_pg_col_int(res, i, 0),
            .at_ms = au_pg_col_int(res, i, 1),
            .action = au_pg_col(res, i, 2),
            .key_id = au_pg_col(res, i, 3),
            .client = au_pg_col(res, i, 4),
            .route = au_pg_col(res, i, 5),
            .profiles = au_pg_col(res, i, 6),
            .records = au_pg_col(res, i, 7),
        };
        col_hash(res, i, 8, r.hash);
        if (PQnfields(res) > 9)
            r.key_name = au_pg_col(res, i, 9);
        *last = r.id;
        stop = cb(ctx, &r);
    }
    return stop;
}

static au_rc pg_audit_list(void *impl, const au_audit_filter *f, au_audit_cb cb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    int64_t last = 0;
    au_pg_int(&p, f->before);
    au_pg_text(&p, f->key_id);
    au_pg_text(&p, f->route);
    au_pg_int(&p, f->since_ms);
    au_pg_int(&p, f->profile);
    au_pg_int(&p, f->record);
    au_pg_int(&p, f->limit > 0 ? f->limit : 100);
    PGresult *res = run(impl, AQ_LIST, &p, "audit_list", &rc);
    if (!res)
        return rc;
    rc = (au_rc)each_row(res, cb, ctx, &last);
    PQclear(res);
    return rc;
}

/* Pages by id, so memory stays bounded whatever the log's length. */
static au_rc pg_audit_scan(void *impl, au_audit_cb cb, void *ctx)
{
    int64_t after = 0;
    for (;;) {
        au_pg_params p = {0};
        au_rc rc;
        au_pg_int(&p, after);
        PGresult *res = run(impl, AQ_SCAN, &p, "audit_scan", &rc);
        if (!res)
            return rc;
        int n = PQntuples(res);
        int stop = each_row(res, cb, ctx, &after);
        PQclear(res);
        if (stop || n == 0)
            return (au_rc)stop;
    }
}

static au_rc pg_audit_sweep(void *impl, int64_t before_ms, int64_t at_ms, int64_t *removed)
{
    au_pg_params p = {0}, d = {0};
    au_rc rc;
    *removed = 0;
    au_pg_int(&p, before_ms);
    au_pg_int(&p, at_ms);
    PGresult *res = run(impl, AQ_SET_ANCHOR, &p, "audit_sweep", &rc);
    if (!res || PQntuples(res) == 0) {
        PQclear(res);
        return rc; /* nothing older than before_ms */
    }
    au_pg_int(&d, au_pg_col_int(res, 0, 0));
    PQclear(res);
    if (!(res = run(impl, AQ_DROP, &d, "audit_sweep", &rc)))
        return rc;
    *removed = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return AU_OK;
}

static au_rc pg_runs_sweep(void *impl, int64_t before_ms, int64_t *removed)
{
    au_pg_params p = {0};
    au_rc rc;
    *removed = 0;
    au_pg_int(&p, before_ms);
    PGresult *res = run(impl, AQ_RUNS_SWEEP, &p, "runs_sweep", &rc);
    if (!res)
        return rc;
    *removed = strtoll(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return AU_OK;
}

const struct au_store_audit_ops au_pg_audit_ops = {
    .audit_append = pg_audit_append,
    .audit_head = pg_audit_head,
    .audit_anchor = pg_audit_anchor,
    .audit_list = pg_audit_list,
    .audit_scan = pg_audit_scan,
    .audit_sweep = pg_audit_sweep,
    .runs_sweep = pg_runs_sweep,
};
