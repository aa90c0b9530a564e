/*
 * The `postgres` step: upserts one row into a table of a PostgreSQL database with libpq,
 * `INSERT INTO t (cols) VALUES ($1..) ON CONFLICT (key) DO UPDATE SET col = EXCLUDED.col`.
 * Values are sent as text parameters (objects and lists as JSON text), never spliced into
 * the SQL; table and column names are validated identifiers. One connection per step,
 * serialised by a mutex, re-established after a connection failure. Connection failures and
 * transient server states (SQLSTATE classes 08, 40, 53, 57) are RETRY; other errors FAIL.
 */
#include <ctype.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "flows/connector.h"
#include "flows/flowdef.h"
#include "flows/outbound.h"
#include "lib/alloc.h"
#include "lib/buf.h"

/* SQL identifier, optionally schema-qualified: [A-Za-z_][A-Za-z0-9_]*(.[...])? */
static int sql_ident(const char *s, int allow_dot)
{
    int start = 1;
    if (!s || !*s || strlen(s) > 63 * 2 + 1)
        return 0;
    for (; *s; s++) {
        if (*s == '.' && allow_dot && !start) {
            allow_dot = 0;
            start = 1;
            continue;
        }
        if (!(isalpha((unsigned char)*s) || *s == '_' || (!start && isdigit((unsigned char)*s))))
            return 0;
        start = 0;
    }
    return !start;
}

static const au_connector_option pg_options[] = {
    AU_CONNECTOR_OPT("conninfo", AU_OPT_STRING, 1, NULL, 0, 0, "libpq connection string"),
    AU_CONNECTOR_OPT("table", AU_OPT_STRING, 1, NULL, 0, 0,
                     "target table, optionally schema.table"),
    AU_CONNECTOR_OPT("key", AU_OPT_STRINGS, 1, NULL, 0, 0,
                     "columns of the conflict key (INSERT .. ON CONFLICT)"),
    AU_CONNECTOR_OPT("columns", AU_OPT_MAPPING, 1, NULL, 0, 0, "column: value"),
    {0},
};

static au_rc pg_validate(const json_t *config, au_err *err)
{
    json_t *cols = json_object_get(config, "columns"), *key = json_object_get(config, "key");
    const char *name;
    json_t *v;
    if (!sql_ident(json_string_value(json_object_get(config, "table")), 1))
        return au_err_set(err, AU_ERR_INVALID, "table must be an SQL identifier");
    json_object_foreach(cols, name, v)
    {
        if (!sql_ident(name, 0))
            return au_err_set(err, AU_ERR_INVALID, "column '%.60s' is not an SQL identifier", name);
    }
    for (size_t i = 0; i < json_array_size(key); i++) {
        const char *k = json_string_value(json_array_get(key, i));
        if (!json_object_get(cols, k))
            return au_err_set(err, AU_ERR_INVALID, "key column '%.60s' is not in columns", k);
    }
    return AU_OK;
}

typedef struct pg_state {
    pthread_mutex_t lock; /* one statement at a time on conn */
    PGconn *conn;         /* NULL until connected (or after a failure) */
} pg_state;

static au_rc pg_prepare(const au_flow_step *step, void **state, au_err *err)
{
    pg_state *st = au_calloc(1, sizeof(*st));
    if (!st)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&st->lock, NULL);
    *state = st;
    return AU_OK;
}

static void pg_close(void *state)
{
    pg_state *st = state;
    if (!st)
        return;
    if (st->conn)
        PQfinish(st->conn);
    pthread_mutex_destroy(&st->lock);
    au_free(st);
}

static int key_col(const json_t *key, const char *col)
{
    for (size_t i = 0; i < json_array_size(key); i++)
        if (!strcmp(json_string_value(json_array_get(key, i)), col))
            return 1;
    return 0;
}

/* The statement for the evaluated columns, in their object order. */
static au_rc build_sql(const json_t *config, const json_t *cols, au_buf *b)
{
    const json_t *key = json_object_get(config, "key");
    const char *name;
    json_t *v;
    size_t i = 0, upd = 0;
    au_rc rc =
        au_buf_printf(b, "INSERT INTO %s (", json_string_value(json_object_get(config, "table")));
    json_object_foreach((json_t *)cols, name, v)
    {
        rc = rc ? rc : au_buf_printf(b, "%s%s", i++ ? ", " : "", name);
    }
    rc = rc ? rc : au_buf_puts(b, ") VALUES (");
    for (size_t k = 0; k < i; k++)
        rc = rc ? rc : au_buf_printf(b, "%s$%zu", k ? ", " : "", k + 1);
    rc = rc ? rc : au_buf_puts(b, ") ON CONFLICT (");
    for (size_t k = 0; k < json_array_size(key); k++)
        rc =
            rc ? rc
               : au_buf_printf(b, "%s%s", k ? ", " : "", json_string_value(json_array_get(key, k)));
    rc = rc ? rc : au_buf_puts(b, ") DO ");
    json_object_foreach((json_t *)cols, name, v)
    {
        if (key_col(key, name))
            continue;
        rc = rc ? rc
                : au_buf_printf(b, "%s%s = EXCLUDED.%s", upd++ ? ", " : "UPDATE SET ", name, name);
    }
    if (!upd)
        rc = rc ? rc : au_buf_puts(b, "NOTHING");
    return rc;
}

/* Text of one parameter: strings as they are, null as SQL NULL, others as JSON. */
static char *param_text(const json_t *v)
{
    if (json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return au_strdup(json_string_value(v));
    char *j = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    char *s = j ? au_strdup(j) : NULL;
    free(j);
    return s;
}

static int transient(const char *sqlstate)
{
    return sqlstate && (!strncmp(sqlstate, "08", 2) || !strncmp(sqlstate, "40", 2) ||
                        !strncmp(sqlstate, "53", 2) || !strncmp(sqlstate, "57", 2));
}

static void run(pg_state *st, const json_t *config, const char *sql, const json_t *cols,
                au_delivery *out)
{
    size_t n = json_object_size(cols), i = 0;
    char **vals = au_calloc(n ? n : 1, sizeof(char *));
    const char *name;
    json_t *v;
    if (!vals) {
        au_delivery_set(out, AU_DELIVER_RETRY, "out of memory");
        return;
    }
    json_object_foreach((json_t *)cols, name, v)
    {
        vals[i++] = param_text(v);
    }
    if (!st->conn || PQstatus(st->conn) != CONNECTION_OK) {
        if (st->conn)
            PQfinish(st->conn);
        st->conn =
            au_outbound_pg_connect(json_string_value(json_object_get(config, "conninfo")), out);
    }
    if (!st->conn) { /* refused by the outbound policy (out says why) or out of memory */
    } else if (PQstatus(st->conn) != CONNECTION_OK) {
        au_delivery_set(out, AU_DELIVER_RETRY, "cannot connect: %s", PQerrorMessage(st->conn));
        PQfinish(st->conn);
        st->conn = NULL;
    } else {
        PGresult *res =
            PQexecParams(st->conn, sql, (int)n, NULL, (const char *const *)vals, NULL, NULL, 0);
        ExecStatusType es = PQresultStatus(res);
        if (es == PGRES_COMMAND_OK) {
            au_delivery_set(out, AU_DELIVER_OK, "%s", PQcmdStatus(res));
        } else {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            int retry = !res || transient(state) || PQstatus(st->conn) != CONNECTION_OK;
            au_delivery_set(out, retry ? AU_DELIVER_RETRY : AU_DELIVER_FAIL, "%s: %s",
                            state ? state : "error", PQerrorMessage(st->conn));
        }
        PQclear(res);
    }
    for (i = 0; i < n; i++)
        au_free(vals[i]);
    au_free(vals);
}

static void pg_send(void *state, const au_flow_step *step, const json_t *ctx, int64_t now_ms,
                    au_delivery *out)
{
    pg_state *st = state;
    json_t *cols = NULL;
    au_expr_error ee;
    au_buf b;
    au_buf_init(&b, 64 * 1024);
    memset(out, 0, sizeof(*out));
    out->retry_after_ms = -1;
    if (au_flow_value_eval(au_flow_step_value(step, "columns"), ctx, now_ms, &cols, &ee)) {
        au_delivery_set(out, AU_DELIVER_FAIL, "columns: %s", ee.message);
        goto out;
    }
    if (build_sql(step->config, cols, &b) || au_buf_putc(&b, '\0')) {
        au_delivery_set(out, AU_DELIVER_RETRY, "out of memory");
        goto out;
    }
    pthread_mutex_lock(&st->lock);
    run(st, step->config, b.data, cols, out);
    pthread_mutex_unlock(&st->lock);
out:
    json_decref(cols);
    au_buf_cleanup(&b);
}

const au_connector au_connector_postgres = {
    .name = "postgres",
    .help = "upsert a row into a PostgreSQL table",
    .options = pg_options,
    .validate = pg_validate,
    .prepare = pg_prepare,
    .send = pg_send,
    .close = pg_close,
};
