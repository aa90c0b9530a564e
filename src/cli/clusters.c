/*
 * `aurum clusters`: every live record with the profile it belongs to, as CSV
 * (source,record_id,profile_id) or JSON Lines, read from the store (read-only: works beside a
 * running daemon). A record not yet resolved has an empty profile.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/resolve_common.h"
#include "lib/csv.h"
#include "lib/lockfile.h"

typedef struct clusters_opts {
    const char *data, *store, *config;
    int format; /* index in "csv|jsonl" */
} clusters_opts;

static const au_arg options[] = {
    AU_ARG_ROW("--data", AU_ARG_STR, offsetof(clusters_opts, data), "DIR",
               "data directory (default: data_dir of the config); must exist"),
    AU_ARG_ROW("--store", AU_ARG_STR, offsetof(clusters_opts, store), "LOCATION",
               "store location, e.g. postgres://user@host:5432/db (overrides store; default: "
               "the SQLite store in DIR)"),
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(clusters_opts, config), "FILE",
               "YAML configuration"),
    AU_ARG_ROW("--format", AU_ARG_CHOICE, offsetof(clusters_opts, format), "csv|jsonl",
               "CSV with a header (default) or one JSON object per line"),
};

static const au_args_spec spec = {
    .prog = "aurum clusters",
    .about = "Prints source,record_id,profile_id for every live record. Reads the store "
             "read-only, so\nit works beside a running daemon.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
};

static int print_csv(void *ctx, const au_resolve_row *r)
{
    FILE *f = ctx;
    au_csv_write_field(f, r->source);
    fputc(',', f);
    au_csv_write_field(f, r->record_id);
    if (r->profile)
        fprintf(f, ",%lld\n", (long long)r->profile);
    else
        fputs(",\n", f);
    return 0;
}

static int print_jsonl(void *ctx, const au_resolve_row *r)
{
    FILE *f = ctx;
    json_t *o = json_pack("{s:s, s:s, s:o}", "source", r->source, "record_id", r->record_id,
                          "profile_id", r->profile ? json_integer(r->profile) : json_null());
    if (o)
        json_dumpf(o, f, JSON_COMPACT);
    fputc('\n', f);
    json_decref(o);
    return 0;
}

static int run(int argc, char **argv)
{
    clusters_opts o = {0};
    int npos, code = au_args_run(&spec, &o, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    int jsonl = o.format == 1;
    au_config *cfg;
    au_store *st;
    int lock;
    if (au_cli_open_store("clusters", o.data, o.store, o.config, AU_STORE_RO, &cfg, &st, &lock))
        return 1;
    if (!jsonl)
        fputs("source,record_id,profile_id\n", stdout);
    au_rc rc = au_store_resolve_scan(st, jsonl ? print_jsonl : print_csv, stdout);
    if (rc)
        fprintf(stderr, "aurum clusters: %s\n", au_rc_message(rc));
    au_store_close(st);
    au_lockfile_release(lock);
    au_config_free(cfg);
    return rc ? 1 : 0;
}

const au_cli_command au_cli_clusters = {
    "clusters", run, "print the profile of every record (CSV or JSON Lines)", NULL, &spec};
