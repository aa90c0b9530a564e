/*
 * `aurum import`: CSV or JSON Lines files into a source, offline through the engine on a data
 * directory (locked against a running daemon), or online through a daemon's HTTP API. Parses the
 * command line, sets up, calls au_import_file per file and prints the summary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/resolve_common.h"
#include "app/compose.h"
#include "core/config.h"
#include "core/engine.h"
#include "ingest/import.h"
#include "lib/buf.h"
#include "lib/lockfile.h"

typedef struct args {
    const char *data, *store, *config, *source, *server, *key;
    int strict; /* --strict: a quarantined value fails the import too */
    int format; /* index in "csv|jsonl|ndjson", -1: from the file extension */
    long batch;
    long workers; /* --workers: 0 = the cores less the writer's */
    char **files;
    int nfiles;
} args;

static const au_arg options[] = {
    AU_ARG_ROW("--source", AU_ARG_STR, offsetof(args, source), "NAME",
               "the source the records belong to", .required = 1),
    AU_ARG_ROW(
        "--data", AU_ARG_STR, offsetof(args, data), "DIR",
        "data directory, created when missing (default: data_dir of the config, ./aurum-data);"
        " must not be in use by a running daemon (use --server then)"),
    AU_ARG_ROW("--store", AU_ARG_STR, offsetof(args, store), "LOCATION",
               "store location, e.g. postgres://user@host:5432/db (overrides store; default: "
               "the SQLite store in DIR)"),
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(args, config), "FILE",
               "YAML configuration with the source definitions"),
    AU_ARG_ROW("--format", AU_ARG_CHOICE, offsetof(args, format), "csv|jsonl|ndjson",
               "file format (default: from the extension; .jsonl/.ndjson = jsonl)"),
    AU_ARG_ROW("--batch", AU_ARG_LONG, offsetof(args, batch), "N",
               "records per batch (default 8192, 4096 with --server)", .min = 1, .max = 1000000),
    AU_ARG_ROW("--workers", AU_ARG_LONG, offsetof(args, workers), "N",
               "threads that parse, map, normalise and serialise rows while the writer commits "
               "(default: the cores less the writer's, at least 1, up to 8; 1: the importing "
               "thread does it); the result is the same for any N",
               .min = 1, .max = 64),
    AU_ARG_ROW("--server", AU_ARG_STR, offsetof(args, server), "URL",
               "send to a running daemon instead (POST URL/v1/sources/NAME/records)"),
    AU_ARG_ROW("--key", AU_ARG_STR, offsetof(args, key), "KEY",
               "API key for --server (default: $AURUM_KEY)"),
    AU_ARG_ROW("--strict", AU_ARG_FLAG, offsetof(args, strict), NULL,
               "exit 1 when any value was quarantined, not only when records were refused"),
};

static const au_args_spec spec = {
    .prog = "aurum import",
    .synopsis =
        "--source NAME [--data DIR] [--store LOCATION] [--config FILE] [--format csv|jsonl]\n"
        "                    [--batch N] [--workers N] [--server URL --key KEY] [--strict] "
        "FILE...",
    .about = "Imports CSV (header row = field names) or JSON Lines (one object per line) records "
             "into\nsource NAME, mapped by the source's definition (from --config or registered "
             "earlier).\nSource definitions: 'aurum help config' and docs/IMPORT.md.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
    .args = "FILE...",
    .min_args = 1,
    .max_args = -1,
    .notes = "A dirty value (an e-mail without @, 30/02/1980) does not refuse its record: the "
             "value is\nquarantined (kept raw with its reason, not used for matching) and the "
             "record imported; the\nsummary says \"imported N records; M values quarantined in K "
             "records\" and lists the first\n20. Records that cannot be read (no record id, broken "
             "row, on_invalid: reject) are refused\nwithout stopping the import; the summary lists "
             "the first 20. Long imports report progress\non stderr (a redrawn line on a terminal, "
             "else a line every few seconds).\nExit status: 0 all records imported (values may be "
             "quarantined), 1 some refused (or, with\n--strict, any value quarantined) or a fatal "
             "error, 2 usage.\n",
};

static int parse_args(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    a->format = -1;
    int npos, code = au_args_run(&spec, a, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code == 0 ? -1 : code;
    a->files = argv + 1;
    a->nfiles = npos;
    return 0;
}

static int list_source(void *ctx, const char *name, const char *def_json)
{
    au_buf *b = ctx;
    if (!strstr(b->data ? b->data : "", name))
        return au_buf_printf(b, "%s%s", b->len ? ", " : "", name) ? 1 : 0; /* 1: stop */
    return 0;
}

/* "unknown source" with the names the config and the store know. */
static void report_unknown_source(const au_config *cfg, au_engine *e, const char *name)
{
    au_buf b;
    au_buf_init(&b, 64 * 1024);
    const char *k;
    json_t *v;
    json_object_foreach(cfg->sources, k, v)
    {
        list_source(&b, k, NULL);
    }
    au_store *rd = au_engine_reader(e);
    if (rd) {
        /* The list only helps the error message; without it the message still names `name`. */
        AU_BEST_EFFORT(au_store_source_list(rd, list_source, &b));
        au_engine_reader_release(e, rd);
    }
    fprintf(stderr, "aurum import: unknown source '%s'; known sources: %s\n", name,
            b.len ? b.data : "(none: define them under 'sources:' in --config)");
    au_buf_cleanup(&b);
}

/* Imports every file; returns the exit code. */
static int import_all(const args *a, au_import_opts *o)
{
    au_import_summary sum;
    au_import_summary_init(&sum);
    int code = 0;
    for (int i = 0; i < a->nfiles; i++) {
        au_err err;
        au_err_init(&err);
        au_rc rc = au_import_file(o, a->files[i], &sum, &err);
        if (rc)
            fprintf(stderr, "aurum import: %s\n", err.message[0] ? err.message : au_rc_message(rc));
        au_err_cleanup(&err);
        if (rc) {
            code = 1;
            break;
        }
    }
    au_import_summary_print(stdout, &sum);
    if (sum.rejected || (a->strict && sum.quarantined))
        code = 1;
    au_import_summary_cleanup(&sum);
    return code;
}

static int run_local(const args *a, au_import_opts *o)
{
    au_config *cfg = NULL;
    au_engine *e = NULL;
    int lock = -1, code = 1;
    au_err err;
    au_err_init(&err);
    if (au_config_load(a->config, &cfg, &err))
        goto out;
    au_config_apply_logging(cfg);
    const char *dir = a->data ? a->data : cfg->data_dir;
    au_rc rc = au_lockfile_acquire(dir, &lock, &err);
    if (rc == AU_ERR_BUSY) {
        au_err_set(&err, rc, "%s: data directory in use by a running daemon; use --server URL",
                   dir);
        goto out;
    }
    if (rc || au_app_engine_open_at(cfg, au_cli_store_at(cfg, a->store, dir), dir, &e, &err))
        goto out;
    const au_source *s = au_engine_source_acquire(e, a->source);
    if (!s) {
        report_unknown_source(cfg, e, a->source);
        goto out;
    }
    au_engine_source_release(e, s);
    o->engine = e;
    code = import_all(a, o);
out:
    if (err.rc)
        fprintf(stderr, "aurum import: %s\n", err.message);
    au_engine_close(e);
    au_lockfile_release(lock);
    au_config_free(cfg);
    au_err_cleanup(&err);
    return code;
}

static int run(int argc, char **argv)
{
    args a;
    int code = parse_args(argc, argv, &a);
    if (code)
        return code < 0 ? 0 : code;
    au_import_opts o = {0};
    o.source = a.source;
    o.format = a.format < 0 ? AU_IMPORT_AUTO : a.format == 0 ? AU_IMPORT_CSV : AU_IMPORT_JSONL;
    o.batch = (size_t)a.batch;
    o.workers = (int)a.workers;
    o.progress = 1;
    if (!a.server)
        return run_local(&a, &o);
    o.server = a.server;
    o.key = a.key ? a.key : getenv("AURUM_KEY");
    return import_all(&a, &o);
}

const au_cli_command au_cli_import = {"import", run, "load CSV or JSON Lines files into a source",
                                      NULL, &spec};
