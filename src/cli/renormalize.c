/*
 * `aurum renormalize --source NAME`: after a source's mapping was fixed (PUT the definition, or
 * edit the config), map the stored input of every current record of the source through the
 * current definition again, as updates through the normal write path (src/core/renormalize.h).
 * Offline on a data directory (takes its lock) or through a running daemon's
 * POST /v1/sources/NAME/renormalize. Prints progress on a terminal and a summary.
 */
#include <curl/curl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "app/compose.h"
#include "cli/http_client.h"
#include "cli/resolve_common.h"
#include "core/renormalize.h"
#include "lib/alloc.h"
#include "lib/lockfile.h"
#include "lib/progress.h"

typedef struct args {
    const char *data, *store, *config, *server, *key, *source;
} args;

static const au_arg options[] = {
    AU_ARG_ROW("--source", AU_ARG_STR, offsetof(args, source), "NAME",
               "the source whose records are re-mapped", .required = 1),
    AU_ARG_ROW("--data", AU_ARG_STR, offsetof(args, data), "DIR",
               "data directory (default: the config's data_dir); not while a daemon runs on it "
               "(use --server then)"),
    AU_ARG_ROW("--store", AU_ARG_STR, offsetof(args, store), "LOCATION",
               "store location, e.g. postgres://user@host:5432/db (overrides store; default: "
               "the SQLite store in DIR)"),
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(args, config), "FILE",
               "YAML configuration with the source definitions"),
    AU_ARG_ROW("--server", AU_ARG_STR, offsetof(args, server), "URL",
               "ask a running daemon (POST URL/v1/sources/NAME/renormalize)"),
    AU_ARG_ROW("--key", AU_ARG_STR, offsetof(args, key), "KEY",
               "API key with the admin scope for --server (default $AURUM_KEY)"),
};

static const au_args_spec spec = {
    .prog = "aurum renormalize",
    .about = "Maps the stored input of every current record of the source through its current\n"
             "definition again (after fixing a date format, a default country...) and writes the\n"
             "records whose content changed as updates: resolution, profiles, flows and the "
             "quality\nledger follow. No re-import needed. Records the current definition "
             "refuses are kept.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
    .notes = "Exit status: 0 done, 1 failure, 2 usage.\n",
};

static void print_summary(const char *source, const au_remap_summary *s)
{
    printf("renormalized %s: %ld records, %ld changed, %ld unchanged, %ld still quarantined",
           source, s->records, s->changed, s->unchanged, s->quarantined);
    if (s->failed)
        printf(", %ld refused by the current definition (kept as they were)", s->failed);
    printf("\n");
}

static void on_progress(void *ctx, const au_remap_summary *sum)
{
    au_progress_update(ctx, sum->records, 0);
}

static int run_local(const args *a)
{
    au_config *cfg = NULL;
    au_engine *e = NULL;
    au_remap_summary sum = {0};
    au_progress p;
    int lock = -1, code = 1;
    au_err err;
    au_err_init(&err);
    if (au_config_load(a->config, &cfg, &err))
        goto out;
    const char *dir = a->data ? a->data : cfg->data_dir;
    au_rc rc = au_lockfile_acquire(dir, &lock, &err);
    if (rc == AU_ERR_BUSY)
        au_err_set(&err, rc, "%s: data directory in use by a running daemon; use --server URL",
                   dir);
    if (rc || au_app_engine_open_at(cfg, au_cli_store_at(cfg, a->store, dir), dir, &e, &err))
        goto out;
    au_progress_init(&p, "renormalize", 0);
    rc = au_renormalize(e, a->source, "cli:renormalize", on_progress, &p, &sum, &err);
    au_progress_finish(&p, sum.records, 0);
    if (!rc) {
        print_summary(a->source, &sum);
        code = 0;
    }
out:
    if (err.rc)
        fprintf(stderr, "aurum renormalize: %s\n", err.message);
    au_engine_close(e);
    au_lockfile_release(lock);
    au_config_free(cfg);
    au_err_cleanup(&err);
    return code;
}

static int run_remote(const args *a)
{
    char *esc = curl_easy_escape(NULL, a->source, 0);
    char *path = esc ? au_asprintf("/v1/sources/%s/renormalize", esc) : NULL;
    json_t *ans = NULL;
    au_err err;
    au_err_init(&err);
    au_rc rc = path ? au_cli_http_json("POST", a->server, path, a->key, "{}", &ans, &err)
                    : au_err_set(&err, AU_ERR_NOMEM, "out of memory");
    if (!rc) {
        au_remap_summary s = {
            .records = (long)json_integer_value(json_object_get(ans, "records")),
            .changed = (long)json_integer_value(json_object_get(ans, "changed")),
            .unchanged = (long)json_integer_value(json_object_get(ans, "unchanged")),
            .quarantined = (long)json_integer_value(json_object_get(ans, "quarantined")),
            .failed = (long)json_integer_value(json_object_get(ans, "failed")),
        };
        print_summary(a->source, &s);
    } else {
        fprintf(stderr, "aurum renormalize: %s\n", err.message);
    }
    json_decref(ans);
    au_err_cleanup(&err);
    au_free(path);
    curl_free(esc);
    return rc ? 1 : 0;
}

static int run(int argc, char **argv)
{
    args a = {0};
    int npos, code = au_args_run(&spec, &a, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    return a.server ? run_remote(&a) : run_local(&a);
}

const au_cli_command au_cli_renormalize = {
    "renormalize", run, "re-map a source's stored records through its current definition", NULL,
    &spec};
