/*
 * Step kinds that are declared (options and validation, so flows using them can be saved and
 * checked today) but deliver through components that are wired in later: upsert_record goes
 * through the engine's write path, postgres through libpq, nats through libnats. Their prepare
 * and send slots are NULL until then; the engine refuses to run a step whose kind cannot send.
 */
#include <ctype.h>
#include <string.h>

#include "flows/connector.h"
#include "lib/alloc.h"

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

static const au_connector_option upsert_options[] = {
    {"source", AU_OPT_STRING, 1, NULL, 0, 0, "registered source to write the record into"},
    {"record_id", AU_OPT_TEMPLATE, 1, NULL, 0, 0, "the record's id in that source"},
    {"fields", AU_OPT_MAPPING, 1, NULL, 0, 0, "the record's fields"},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

static au_rc upsert_validate(const json_t *config, au_err *err)
{
    const char *src = json_string_value(json_object_get(config, "source"));
    for (const char *p = src; p && *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return au_err_set(err, AU_ERR_INVALID, "source must be letters, digits, '_' or '-'");
    return AU_OK;
}

const au_connector au_connector_upsert_record = {
    .name = "upsert_record",
    .help = "insert or update a record of a source, through the normal ingest pipeline",
    .options = upsert_options,
    .validate = upsert_validate,
};

static const au_connector_option pg_options[] = {
    {"conninfo", AU_OPT_STRING, 1, NULL, 0, 0, "libpq connection string"},
    {"table", AU_OPT_STRING, 1, NULL, 0, 0, "target table, optionally schema.table"},
    {"key", AU_OPT_STRINGS, 1, NULL, 0, 0, "columns of the conflict key (INSERT .. ON CONFLICT)"},
    {"columns", AU_OPT_MAPPING, 1, NULL, 0, 0, "column: value"},
    {NULL, 0, 0, NULL, 0, 0, NULL},
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

const au_connector au_connector_postgres = {
    .name = "postgres",
    .help = "upsert a row into a PostgreSQL table",
    .options = pg_options,
    .validate = pg_validate,
};

static const au_connector_option nats_options[] = {
    {"url", AU_OPT_STRING, 1, NULL, 0, 0, "nats:// or tls:// server URL"},
    {"subject", AU_OPT_TEMPLATE, 1, NULL, 0, 0, "subject to publish to"},
    {"body", AU_OPT_MAPPING, 1, NULL, 0, 0, "the JSON message"},
    {NULL, 0, 0, NULL, 0, 0, NULL},
};

static au_rc nats_validate(const json_t *config, au_err *err)
{
    const char *url = json_string_value(json_object_get(config, "url"));
    if (strncmp(url, "nats://", 7) && strncmp(url, "tls://", 6))
        return au_err_set(err, AU_ERR_INVALID, "url must start with nats:// or tls://");
    return AU_OK;
}

const au_connector au_connector_nats = {
    .name = "nats",
    .help = "publish the body as a JSON message to a NATS subject",
    .options = nats_options,
    .validate = nats_validate,
};
