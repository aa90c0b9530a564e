/*
 * kind: postgres - a PostgreSQL table or query read incrementally with libpq. With
 * `cursor_column` (an updated_at timestamp or a sequence, NOT NULL) rows are read in pages
 * ordered by (cursor_column, key) after the persisted position, and the position of each page
 * is stored once the page's records are committed: a restart resumes after the last committed
 * row, and a row updated later (its cursor column grows) is read again. Rows sharing a
 * cursor value are told apart by the key, so none is skipped at a page boundary. Without
 * cursor_column every sync reads the whole table (paged by key). A row whose
 * `soft_delete_column` is set (true, a time, a non-empty value other than false/0) deletes
 * its record instead. With `key_scan`, a sync ends by comparing the table's keys with the
 * source's live records and deleting those whose row is gone (hard deletes). Values arrive as
 * text (PostgreSQL's output form), NULL as null.
 */
#include <libpq-fe.h>
#include <string.h>

#include "inbound/inbound_int.h"
#include "lib/alloc.h"
#include "lib/buf.h"

static const au_inbound_opt pg_opts[] = {
    AU_INBOUND_OPT(
        "conninfo", AU_OPT_STRING, 1, NULL, 0, 0,
        "libpq connection string or URI (\"host=db port=5432 dbname=billing user=aurum\")"),
    AU_INBOUND_OPT("password_secret", AU_OPT_STRING, 0, NULL, 0, 0,
                   "name of the secret holding the password (aurum secrets)"),
    AU_INBOUND_OPT("table", AU_OPT_STRING, 0, NULL, 0, 0,
                   "table (or schema.table) to read; give table or query"),
    AU_INBOUND_OPT("query", AU_OPT_STRING, 0, NULL, 0, 0,
                   "a SELECT whose rows are the documents (wrapped as a subquery)"),
    AU_INBOUND_OPT("key", AU_OPT_STRING, 0, NULL, 0, 0,
                   "column holding the record id (default: the source's record_id)"),
    AU_INBOUND_OPT(
        "cursor_column", AU_OPT_STRING, 0, NULL, 0, 0,
        "NOT NULL column that grows on every change (updated_at, a sequence): incremental reads"),
    AU_INBOUND_OPT("soft_delete_column", AU_OPT_STRING, 0, NULL, 0, 0,
                   "column that marks a deleted row (deleted, deleted_at)"),
    AU_INBOUND_OPT(
        "key_scan", AU_OPT_BOOL, 0, NULL, 0, 0,
        "true: each sync ends by deleting the records whose key is no longer in the table (rows "
        "deleted for good, or gone from the query's result)"),
    {0},
};

static au_rc pg_check(const json_t *def, au_err *err)
{
    int t = au_inbound_str(def, "table") != NULL, q = au_inbound_str(def, "query") != NULL;
    if (t == q)
        return au_err_set(err, AU_ERR_INVALID, "inbound: give exactly one of table and query");
    return AU_OK;
}

typedef struct pg_sync {
    au_inbound_run *run;
    PGconn *conn;
    const char *key, *cursor_col, *deleted_col;
    char *sql_first, *sql_next; /* the page queries, owned */
    char *last_c, *last_k;      /* position after the last row read (owned) */
} pg_sync;

static au_rc pg_fail(pg_sync *p, const char *what, au_err *err)
{
    return au_err_set(err, AU_ERR_IO, "postgres: %s: %s", what, PQerrorMessage(p->conn));
}

/* The conninfo with the password from the secrets store appended (new string). */
static au_rc conninfo(au_inbound_run *run, char **out, au_err *err)
{
    const json_t *def = au_inbound_def(run);
    const char *ci = au_inbound_str(def, "conninfo"),
               *sname = au_inbound_str(def, "password_secret");
    char *pw = NULL;
    au_buf b;
    au_buf_init(&b, 1 << 16);
    au_rc rc = sname ? au_inbound_secret(run, sname, &pw, err) : AU_OK;
    if (rc)
        return rc;
    if (!pw) {
        *out = au_strdup(ci);
        return *out ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    rc = au_buf_printf(&b, "%s password='", ci);
    for (const char *s = pw; !rc && *s; s++)
        rc = (*s == '\'' || *s == '\\') ? au_buf_printf(&b, "\\%c", *s) : au_buf_putc(&b, *s);
    if (!rc)
        rc = au_buf_puts(&b, "'");
    if (!rc)
        rc = au_buf_putc(&b, 0);
    au_free(pw);
    if (rc) {
        au_buf_cleanup(&b);
        return au_err_set(err, rc, "out of memory");
    }
    *out = au_buf_steal(&b);
    return AU_OK;
}

/* An identifier quoted for SQL, schema.table quoted part by part (new string). */
static char *quote_ident(PGconn *c, const char *name)
{
    const char *dot = strchr(name, '.');
    if (!dot) {
        char *q = PQescapeIdentifier(c, name, strlen(name));
        char *r = q ? au_strdup(q) : NULL;
        PQfreemem(q);
        return r;
    }
    char *a = PQescapeIdentifier(c, name, (size_t)(dot - name));
    char *b = PQescapeIdentifier(c, dot + 1, strlen(dot + 1));
    char *r = a && b ? au_asprintf("%s.%s", a, b) : NULL;
    PQfreemem(a);
    PQfreemem(b);
    return r;
}

/* Builds the page queries: $1/$2 the position, the last parameter the page size. */
static au_rc build_sql(pg_sync *p, au_err *err)
{
    const json_t *def = au_inbound_def(p->run);
    const char *table = au_inbound_str(def, "table"), *query = au_inbound_str(def, "query");
    char *from = table ? quote_ident(p->conn, table) : au_asprintf("(%s)", query);
    char *k = quote_ident(p->conn, p->key);
    char *c = p->cursor_col ? quote_ident(p->conn, p->cursor_col) : NULL;
    au_rc rc = from && k && (c || !p->cursor_col) ? AU_OK : AU_ERR_NOMEM;
    if (!rc && c) {
        p->sql_first = au_asprintf("SELECT q.*, q.%s::text AS __au_c, q.%s::text AS __au_k "
                                   "FROM %s AS q ORDER BY q.%s, q.%s LIMIT $1",
                                   c, k, from, c, k);
        p->sql_next = au_asprintf("SELECT q.*, q.%s::text AS __au_c, q.%s::text AS __au_k "
                                  "FROM %s AS q WHERE (q.%s, q.%s) > ($1, $2) "
                                  "ORDER BY q.%s, q.%s LIMIT $3",
                                  c, k, from, c, k, c, k);
    } else if (!rc) {
        p->sql_first = au_asprintf("SELECT q.*, q.%s::text AS __au_k FROM %s AS q "
                                   "ORDER BY q.%s LIMIT $1",
                                   k, from, k);
        p->sql_next = au_asprintf("SELECT q.*, q.%s::text AS __au_k FROM %s AS q "
                                  "WHERE q.%s > $1 ORDER BY q.%s LIMIT $2",
                                  k, from, k, k);
    }
    if (!rc && (!p->sql_first || !p->sql_next))
        rc = AU_ERR_NOMEM;
    au_free(from);
    au_free(k);
    au_free(c);
    return rc ? au_err_set(err, rc, "out of memory") : AU_OK;
}

/* The position stored as the cursor: {"c": cursor value, "k": key} as text. */
static au_rc load_position(pg_sync *p)
{
    const char *cur = au_inbound_cursor(p->run);
    json_t *j = cur && p->cursor_col ? json_loads(cur, 0, NULL) : NULL;
    const char *c = json_string_value(json_object_get(j, "c"));
    const char *k = json_string_value(json_object_get(j, "k"));
    au_rc rc = AU_OK;
    if (c && k && (!(p->last_c = au_strdup(c)) || !(p->last_k = au_strdup(k))))
        rc = AU_ERR_NOMEM;
    json_decref(j);
    return rc;
}

static au_rc set_str(char **dst, const char *v)
{
    char *copy = au_strdup(v);
    if (!copy)
        return AU_ERR_NOMEM;
    au_free(*dst);
    *dst = copy;
    return AU_OK;
}

/* One row as a document; deleted rows delete their record. */
static au_rc put_row(pg_sync *p, PGresult *res, int row, au_err *err)
{
    int nf = PQnfields(res), del = 0;
    json_t *doc = json_object();
    if (!doc)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    for (int f = 0; f < nf; f++) {
        const char *name = PQfname(res, f);
        if (strncmp(name, "__au_", 5) == 0)
            continue;
        json_t *v = PQgetisnull(res, row, f) ? json_null() : json_string(PQgetvalue(res, row, f));
        if (!v)
            v = json_null(); /* not UTF-8: the database's encoding should be; kept absent */
        if (p->deleted_col && strcmp(name, p->deleted_col) == 0)
            del = au_inbound_truthy(v);
        json_object_set_new(doc, name, v);
    }
    int kf = PQfnumber(res, "__au_k");
    au_rc rc = del ? au_inbound_delete(p->run, PQgetvalue(res, row, kf), err)
                   : au_inbound_put(p->run, doc, err);
    json_decref(doc);
    return rc;
}

/* Reads one page after the position; *n rows. */
static au_rc page(pg_sync *p, int *n, au_err *err)
{
    char limit[24];
    snprintf(limit, sizeof limit, "%zu", au_inbound_batch(p->run));
    const char *params[3];
    int np = 0;
    if (p->last_k) {
        if (p->cursor_col)
            params[np++] = p->last_c;
        params[np++] = p->last_k;
    }
    params[np++] = limit;
    PGresult *res = PQexecParams(p->conn, p->last_k ? p->sql_next : p->sql_first, np, NULL, params,
                                 NULL, NULL, 0);
    au_rc rc = PQresultStatus(res) == PGRES_TUPLES_OK ? AU_OK : pg_fail(p, "query", err);
    *n = rc ? 0 : PQntuples(res);
    for (int i = 0; !rc && i < *n; i++)
        rc = put_row(p, res, i, err);
    if (!rc && *n) {
        rc = set_str(&p->last_k, PQgetvalue(res, *n - 1, PQfnumber(res, "__au_k")));
        if (!rc && p->cursor_col)
            rc = set_str(&p->last_c, PQgetvalue(res, *n - 1, PQfnumber(res, "__au_c")));
        if (rc)
            au_err_set(err, rc, "out of memory");
    }
    PQclear(res);
    return rc;
}

/* Commits the page's records, then (incremental mode) stores the position after it. */
static au_rc checkpoint(pg_sync *p, au_err *err)
{
    if (!p->cursor_col || !p->last_k)
        return au_inbound_commit(p->run, NULL, err);
    json_t *j = json_pack("{s:s, s:s}", "c", p->last_c, "k", p->last_k);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    au_rc rc = text ? au_inbound_commit(p->run, text, err) : au_err_set(err, AU_ERR_NOMEM, "oom");
    free(text);
    json_decref(j);
    return rc;
}

/* --- key scan: hard deletes ----------------------------------------------------------------- */

typedef struct scan_ctx {
    const json_t *keys; /* the table's keys as an object used as a set */
    json_t *gone;       /* record ids of live records whose key is not in the table */
    int64_t last;       /* last record number seen (paging) */
    int n;              /* records seen in this page */
} scan_ctx;

static int on_record(void *ctx, int64_t rec, const char *id)
{
    scan_ctx *c = ctx;
    c->last = rec;
    c->n++;
    if (!json_object_get(c->keys, id) && json_array_append_new(c->gone, json_string(id)))
        return 1;
    return 0;
}

/* The live record ids of the source that the table no longer holds (c->gone). */
static au_rc records_gone(au_inbound_run *run, scan_ctx *c, au_err *err)
{
    au_engine *e = au_inbound_engine(run);
    au_rc rc = AU_OK;
    do {
        au_store *st = au_engine_reader(e);
        if (!st)
            return au_err_set(err, AU_ERR_BUSY, "no store reader available");
        c->n = 0;
        rc = au_store_record_ids(st, au_inbound_source(run), c->last, 1000, on_record, c);
        au_engine_reader_release(e, st);
    } while (!rc && c->n == 1000);
    return rc ? au_err_set(err, rc, "reading the source's record ids") : AU_OK;
}

static au_rc key_scan(pg_sync *p, au_err *err)
{
    const json_t *def = au_inbound_def(p->run);
    const char *table = au_inbound_str(def, "table"), *query = au_inbound_str(def, "query");
    char *from = table ? quote_ident(p->conn, table) : au_asprintf("(%s)", query);
    char *k = quote_ident(p->conn, p->key);
    char *sql = from && k ? au_asprintf("SELECT q.%s::text FROM %s AS q", k, from) : NULL;
    scan_ctx c = {.keys = json_object(), .gone = json_array()};
    PGresult *res = sql ? PQexec(p->conn, sql) : NULL;
    au_rc rc = sql && c.keys && c.gone ? AU_OK : AU_ERR_NOMEM;
    if (!rc && PQresultStatus(res) != PGRES_TUPLES_OK)
        rc = pg_fail(p, "key scan", err);
    for (int i = 0; !rc && i < PQntuples(res); i++)
        if (json_object_set_new((json_t *)c.keys, PQgetvalue(res, i, 0), json_true()))
            rc = AU_ERR_NOMEM;
    PQclear(res);
    if (!rc)
        rc = records_gone(p->run, &c, err);
    for (size_t i = 0; !rc && i < json_array_size(c.gone) && !au_inbound_stopping(p->run); i++)
        rc = au_inbound_delete(p->run, json_string_value(json_array_get(c.gone, i)), err);
    json_decref((json_t *)c.keys);
    json_decref(c.gone);
    au_free(from);
    au_free(k);
    au_free(sql);
    return rc == AU_ERR_NOMEM ? au_err_set(err, rc, "out of memory") : rc;
}

static au_rc pg_sync_run(void *state, au_inbound_run *run, au_err *err)
{
    const json_t *def = au_inbound_def(run);
    pg_sync p = {.run = run,
                 .cursor_col = au_inbound_str(def, "cursor_column"),
                 .deleted_col = au_inbound_str(def, "soft_delete_column")};
    const char *kopt = au_inbound_str(def, "key");
    char *ci = NULL, *key = kopt ? au_strdup(kopt) : au_inbound_id_field(run);
    p.key = key;
    au_rc rc = key ? conninfo(run, &ci, err) : au_err_set(err, AU_ERR_NOMEM, "out of memory");
    if (rc)
        goto out;
    p.conn = PQconnectdb(ci);
    if (PQstatus(p.conn) != CONNECTION_OK) {
        rc = pg_fail(&p, "connect", err);
        goto out;
    }
    if ((rc = build_sql(&p, err)) || (rc = load_position(&p)))
        goto out;
    for (int n = 1; n && !au_inbound_stopping(run);) {
        if ((rc = page(&p, &n, err)) || (rc = checkpoint(&p, err)))
            break;
    }
    if (!rc && au_inbound_bool(def, "key_scan", 0) && !au_inbound_stopping(run))
        rc = key_scan(&p, err);
out:
    if (rc == AU_ERR_NOMEM)
        au_err_set(err, rc, "out of memory");
    PQfinish(p.conn);
    au_free(p.sql_first);
    au_free(p.sql_next);
    au_free(p.last_c);
    au_free(p.last_k);
    au_free(ci);
    au_free(key);
    return rc;
}

const au_inbound_kind au_inbound_postgres = {
    .name = "postgres",
    .summary = "a PostgreSQL table or query, incremental by an updated_at or sequence column",
    .opts = pg_opts,
    .continuous = 0,
    .check = pg_check,
    .sync = pg_sync_run,
};
