/*
 * `aurum sync SOURCE`: runs a source's inbound connector once (docs/CONNECTORS.md). Without
 * --server it opens the data directory itself (locked against a running daemon) and syncs in
 * this process with progress on a terminal; with --server it asks the daemon (POST
 * /v1/sources/SOURCE/sync?wait=...) and prints the run's counts. Either way it ends with the
 * summary: read, inserted, updated, unchanged, quarantined, refused, deleted.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/compose.h"
#include "cli/cli.h"
#include "cli/http_client.h"
#include "core/config.h"
#include "core/engine.h"
#include "inbound/inbound.h"
#include "lib/lockfile.h"

typedef struct args {
    const char *data, *config, *server, *key;
    long wait;
} args;

static const au_arg options[] = {
    AU_ARG_ROW("--data", AU_ARG_STR, offsetof(args, data), "DIR",
               "data directory (default: data_dir of the config); must not be in use by a "
               "running daemon (use --server then)"),
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(args, config), "FILE",
               "YAML configuration with the source and its inbound block"),
    AU_ARG_ROW("--server", AU_ARG_STR, offsetof(args, server), "URL",
               "ask a running daemon to sync instead"),
    AU_ARG_ROW("--key", AU_ARG_STR, offsetof(args, key), "KEY",
               "admin API key for --server (default: $AURUM_KEY)"),
    AU_ARG_ROW("--wait", AU_ARG_LONG, offsetof(args, wait), "SECONDS",
               "with --server: how long to wait for the run", .def = "600", .min = 1, .max = 600),
};

static const au_args_spec spec = {
    .prog = "aurum sync",
    .synopsis = "[--data DIR] [--config FILE] [--server URL --key KEY [--wait S]] SOURCE",
    .about = "Runs the inbound connector of SOURCE once: pulls what is new since its persisted "
             "cursor\nthrough the source's mapping, like 'aurum import' (see 'aurum help "
             "connectors').\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
    .args = "SOURCE",
    .min_args = 1,
    .max_args = 1,
    .notes = "Prints: read N, inserted N, updated N, unchanged N, quarantined N, refused N, "
             "deleted N.\nExit status: 0 the sync completed, 1 it failed (what was committed "
             "stays; the next\nsync resumes from the cursor), 2 usage.\n",
};

static int run_local(const args *a, const char *source)
{
    au_config *cfg = NULL;
    au_engine *e = NULL;
    au_inbound_counts c;
    int lock = -1, code = 1;
    au_err err;
    au_err_init(&err);
    memset(&c, 0, sizeof c);
    au_rc rc = au_config_load(a->config, &cfg, &err);
    if (rc)
        goto out;
    au_config_apply_logging(cfg);
    const char *dir = a->data ? a->data : cfg->data_dir;
    if ((rc = au_lockfile_acquire(dir, &lock, &err)) == AU_ERR_BUSY)
        au_err_set(&err, rc, "%s: data directory in use by a running daemon; use --server URL",
                   dir);
    if (rc || (rc = au_app_engine_open(cfg, dir, &e, &err)))
        goto out;
    rc = au_inbound_sync_here(e, source, stderr, &c, &err);
    au_inbound_counts_print(stdout, &c);
    code = rc ? 1 : 0;
out:
    if (rc)
        fprintf(stderr, "aurum sync: %s\n", err.message[0] ? err.message : au_rc_message(rc));
    au_engine_close(e);
    au_lockfile_release(lock);
    au_config_free(cfg);
    au_err_cleanup(&err);
    return code;
}

static long count(const json_t *c, const char *k)
{
    return (long)json_integer_value(json_object_get(c, k));
}

static int run_remote(const args *a, const char *source)
{
    char *esc = NULL, path[1200];
    json_t *j = NULL;
    au_err err;
    au_err_init(&err);
    esc = curl_easy_escape(NULL, source, 0);
    snprintf(path, sizeof path, "/v1/sources/%s/sync?wait=%ld", esc ? esc : source,
             a->wait ? a->wait : 600);
    curl_free(esc);
    au_rc rc = au_cli_http_json("POST", a->server, path, a->key ? a->key : getenv("AURUM_KEY"),
                                NULL, &j, &err);
    const json_t *last = json_object_get(j, "last_run");
    const json_t *cj = json_object_get(last, "counts");
    int code = 1;
    if (rc) {
        fprintf(stderr, "aurum sync: %s\n", err.message);
    } else if (!json_is_true(json_object_get(j, "completed"))) {
        fprintf(stderr, "aurum sync: still running after %ld s; see GET /v1/sources/%s/sync\n",
                a->wait ? a->wait : 600, source);
    } else {
        au_inbound_counts c = {count(cj, "read"),        count(cj, "inserted"),
                               count(cj, "updated"),     count(cj, "unchanged"),
                               count(cj, "quarantined"), count(cj, "refused"),
                               count(cj, "deleted"),     count(cj, "events")};
        au_inbound_counts_print(stdout, &c);
        const char *e = json_string_value(json_object_get(last, "error"));
        if (e)
            fprintf(stderr, "aurum sync: %s\n", e);
        code = json_is_true(json_object_get(last, "ok")) ? 0 : 1;
    }
    json_decref(j);
    au_err_cleanup(&err);
    return code;
}

static int run(int argc, char **argv)
{
    args a = {0};
    int npos, code = au_args_run(&spec, &a, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    return a.server ? run_remote(&a, argv[1]) : run_local(&a, argv[1]);
}

const au_cli_command au_cli_sync = {
    "sync", run, "run a source's inbound connector now (database, API, file drop)", NULL, &spec};
