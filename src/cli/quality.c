/*
 * `aurum quality`: the data-quality ledger on the terminal — per source and attribute the
 * valid, quarantined and missing counts with the top reasons and example record ids — read
 * from the store of a data directory (read-only: works beside a running daemon) or from a
 * daemon's GET /v1/quality. `--format json` prints the API's answer as is.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/http_client.h"
#include "cli/resolve_common.h"
#include "quality/quality.h"
#include "core/source.h"
#include "lib/alloc.h"
#include "lib/clock.h"

typedef struct args {
    const char *data, *store, *config, *server, *key, *source, *attribute;
    long days;
    int json; /* index of the --format word: 0 table, 1 json */
} args;

static const au_arg options[] = {
    AU_ARG_ROW("--data", AU_ARG_STR, offsetof(args, data), "DIR",
               "data directory to read (default: the config's data_dir); read-only, works "
               "beside a running daemon"),
    AU_ARG_ROW("--store", AU_ARG_STR, offsetof(args, store), "LOCATION",
               "store location, e.g. postgres://user@host:5432/db (overrides store; default: "
               "the SQLite store in DIR)"),
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(args, config), "FILE", "YAML configuration"),
    AU_ARG_ROW("--server", AU_ARG_STR, offsetof(args, server), "URL",
               "ask a running daemon instead (GET URL/v1/quality)"),
    AU_ARG_ROW("--key", AU_ARG_STR, offsetof(args, key), "KEY",
               "API key with the read scope for --server (default $AURUM_KEY)"),
    AU_ARG_ROW("--source", AU_ARG_STR, offsetof(args, source), "NAME", "only this source"),
    AU_ARG_ROW("--attribute", AU_ARG_STR, offsetof(args, attribute), "NAME", "only this attribute"),
    AU_ARG_ROW("--days", AU_ARG_LONG, offsetof(args, days), "N",
               "per-day series of the last N days (JSON only; default 7)", .min = 0,
               .max = AU_QUALITY_MAX_DAYS),
    AU_ARG_ROW("--format", AU_ARG_CHOICE, offsetof(args, json), "table|json",
               "table (default) or json"),
};

static const au_args_spec spec = {
    .prog = "aurum quality",
    .about = "The data-quality ledger: per source and canonical attribute how many values are "
             "valid,\nquarantined (kept raw because normalisation refused them) and missing, "
             "with the most\nfrequent reason codes and a few example record ids "
             "(docs/QUALITY.md).\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
    .notes = "Fix a mapping, then `aurum renormalize --source NAME` re-maps the stored records.\n",
};

/* ---- offline: the definitions of the config and of the store name the mapped attributes -- */

/* A source definition compiled on first use. */
typedef struct def_entry {
    struct def_entry *next;
    au_source *src; /* owned; NULL when the definition does not compile */
    char name[];
} def_entry;

typedef struct defs {
    json_t *byname;    /* name -> definition (the store's replace the config's), owned */
    def_entry *cached; /* compiled ones */
} defs;

static int on_stored_source(void *ctx, const char *name, const char *def_json)
{
    json_t *def = json_loads(def_json, 0, NULL);
    if (def)
        json_object_set_new(((defs *)ctx)->byname, name, def);
    return 0;
}

static const au_source *compiled(defs *d, const char *name)
{
    def_entry *e;
    for (e = d->cached; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e->src;
    size_t n = strlen(name) + 1;
    if (!(e = au_calloc(1, sizeof(*e) + n)))
        return NULL;
    memcpy(e->name, name, n);
    const json_t *def = json_object_get(d->byname, name);
    au_err err;
    au_err_init(&err);
    if (def && au_source_new(name, def, &e->src, &err))
        e->src = NULL;
    au_err_cleanup(&err);
    e->next = d->cached;
    d->cached = e;
    return e->src;
}

static int mapped_offline(void *ctx, const char *source, au_attr a)
{
    const au_source *s = compiled(ctx, source);
    return s ? au_source_maps(s, a) : 0;
}

static void defs_cleanup(defs *d)
{
    while (d->cached) {
        def_entry *next = d->cached->next;
        au_source_free(d->cached->src);
        au_free(d->cached);
        d->cached = next;
    }
    json_decref(d->byname);
}

/* 1 when the one source of a report has records. */
static int source_counted(const json_t *report)
{
    const json_t *src = json_array_get(json_object_get(report, "sources"), 0);
    return json_integer_value(json_object_get(src, "records")) > 0;
}

static int report_local(const args *a, json_t **out)
{
    au_config *cfg = NULL;
    au_store *st = NULL;
    int lock = -1;
    if (au_cli_open_store("quality", a->data, a->store, a->config, AU_STORE_RO, &cfg, &st, &lock))
        return 1;
    defs d = {cfg->sources ? json_deep_copy(cfg->sources) : json_object(), NULL};
    au_err err;
    au_err_init(&err);
    au_quality_query q = {a->source, a->attribute, a->days, au_wall_ms(), mapped_offline, &d};
    au_rc rc = d.byname ? au_store_source_list(st, on_stored_source, &d) : AU_ERR_NOMEM;
    if (rc)
        au_err_set(&err, rc, "cannot read the source definitions: %s", au_rc_message(rc));
    else
        rc = au_quality_report(st, &q, out, &err);
    /* An offline import with --config stores records but not the definition: a source the
     * ledger has counted is known even when no definition is at hand. */
    if (!rc && a->source && !json_object_get(d.byname, a->source) && !source_counted(*out)) {
        json_decref(*out);
        *out = NULL;
        rc = au_err_set(&err, AU_ERR_NOT_FOUND,
                        "unknown source '%s' (no records, no definition; give --config?)",
                        a->source);
    }
    if (rc)
        fprintf(stderr, "aurum quality: %s\n", err.message);
    au_err_cleanup(&err);
    defs_cleanup(&d);
    au_store_close(st);
    au_config_free(cfg);
    return rc ? 1 : 0;
}

static int report_remote(const args *a, json_t **out)
{
    char path[1024];
    char *src = a->source ? curl_easy_escape(NULL, a->source, 0) : NULL;
    char *attr = a->attribute ? curl_easy_escape(NULL, a->attribute, 0) : NULL;
    snprintf(path, sizeof(path), "/v1/quality?days=%ld%s%s%s%s", a->days, src ? "&source=" : "",
             src ? src : "", attr ? "&attribute=" : "", attr ? attr : "");
    curl_free(src);
    curl_free(attr);
    au_err err;
    au_err_init(&err);
    au_rc rc = au_cli_http_json("GET", a->server, path, a->key, NULL, out, &err);
    if (rc)
        fprintf(stderr, "aurum quality: %s\n", err.message);
    au_err_cleanup(&err);
    return rc ? 1 : 0;
}

/* ---- the table ----------------------------------------------------------------------------- */

static long long num(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* "date_impossible 12 (e.g. c17, c42)" for each listed reason, one per line after the first. */
static void print_reasons(FILE *f, const json_t *reasons)
{
    size_t i, k;
    json_t *r, *id;
    json_array_foreach(reasons, i, r)
    {
        if (i)
            fprintf(f, "\n%-16s %10s %12s %8s", "", "", "", "");
        fputs("  ", f);
        fprintf(f, "%s %lld", json_string_value(json_object_get(r, "reason")), num(r, "count"));
        json_array_foreach(json_object_get(r, "examples"), k, id)
            fprintf(f, "%s%s", k ? ", " : " (e.g. ", json_string_value(id));
        if (json_array_size(json_object_get(r, "examples")))
            fputc(')', f);
    }
    fputc('\n', f);
}

static void print_source(FILE *f, const json_t *s)
{
    size_t i;
    json_t *a;
    fprintf(f, "source %s: %lld records\n", json_string_value(json_object_get(s, "source")),
            num(s, "records"));
    fprintf(f, "%-16s %10s %12s %8s  %s\n", "attribute", "valid", "quarantined", "missing",
            "reasons");
    json_array_foreach(json_object_get(s, "attributes"), i, a)
    {
        fprintf(f, "%-16s %10lld %12lld %8lld", json_string_value(json_object_get(a, "attribute")),
                num(a, "valid"), num(a, "quarantined"), num(a, "missing"));
        print_reasons(f, json_object_get(a, "reasons"));
    }
}

/* The connectors' refusals and failures (the "connectors" slot), one line each. */
static void print_connectors(FILE *f, const json_t *list)
{
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        const json_t *lf = json_object_get(c, "last_failure");
        const json_t *lr = json_object_get(c, "last_refusal");
        fprintf(f, "%sconnector %s (%s): %lld runs, %lld failed, %lld refused of %lld read\n",
                i ? "" : "\n", json_string_value(json_object_get(c, "source")),
                json_string_value(json_object_get(c, "kind")) ?: "?", num(c, "runs"),
                num(c, "runs_failed"), num(c, "refused"), num(c, "read"));
        if (lf)
            fprintf(f, "  last failure: %s%s\n", json_string_value(json_object_get(lf, "error")),
                    num(c, "failing") ? " (still failing)" : "");
        if (lr)
            fprintf(f, "  last refused: %s\n", json_string_value(json_object_get(lr, "reason")));
    }
}

static void print_table(FILE *f, const json_t *report)
{
    size_t i;
    json_t *s, *unlinked = json_object_get(json_object_get(report, "events"), "unlinked");
    json_array_foreach(json_object_get(report, "sources"), i, s)
    {
        if (i)
            fputc('\n', f);
        print_source(f, s);
    }
    if (!json_array_size(json_object_get(report, "sources")))
        fprintf(f, "no records yet\n");
    if (json_is_integer(unlinked))
        fprintf(f, "\nevents of no known customer: %lld\n",
                (long long)json_integer_value(unlinked));
    print_connectors(f, json_object_get(report, "connectors"));
}

static int run(int argc, char **argv)
{
    args a = {.days = 7};
    json_t *report = NULL;
    int npos, code = au_args_run(&spec, &a, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    code = a.server ? report_remote(&a, &report) : report_local(&a, &report);
    if (!code && a.json) {
        json_dumpf(report, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else if (!code) {
        print_table(stdout, report);
    }
    json_decref(report);
    return code;
}

const au_cli_command au_cli_quality = {
    "quality", run, "data-quality ledger: valid, quarantined and missing values per attribute",
    NULL, &spec};
