/*
 * `aurum import`: CSV or JSON Lines files into a source, offline through the engine on a data
 * directory (locked against a running daemon), or online through a daemon's HTTP API. Parses the
 * command line, sets up, calls au_import_file per file and prints the summary.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/engine.h"
#include "core/import.h"
#include "lib/buf.h"
#include "lib/lockfile.h"

#define USAGE                                                                                      \
    "usage: aurum import --source NAME [--data DIR] [--config FILE] [--format csv|jsonl]\n"        \
    "                    [--batch N] [--server URL --key KEY] [--strict] FILE...\n"                \
    "\n"                                                                                           \
    "Imports CSV (header row = field names) or JSON Lines (one object per line) records into\n"    \
    "source NAME, mapped by the source's definition (from --config or registered earlier).\n"      \
    "  --data DIR      data directory (default: data_dir of the config, ./aurum-data); must not\n" \
    "                  be in use by a running daemon (use --server then)\n"                        \
    "  --config FILE   YAML configuration with the source definitions\n"                           \
    "  --format F      csv or jsonl (default: from the file extension; .jsonl/.ndjson = jsonl)\n"  \
    "  --batch N       records per batch (default 8192, 4096 with --server)\n"                     \
    "  --server URL    send to a running daemon instead (POST URL/v1/sources/NAME/records)\n"      \
    "  --key KEY       API key for --server\n"                                                     \
    "  --strict        exit 1 when any value was quarantined, not only when records were "         \
    "refused\n"                                                                                    \
    "A dirty value (an e-mail without @, 30/02/1980) does not refuse its record: the value is\n"   \
    "quarantined (kept raw with its reason, not used for matching) and the record imported; the\n" \
    "summary says \"imported N records; M values quarantined in K records\" and lists the first\n" \
    "20. Records that cannot be read (no record id, broken row, on_invalid: reject) are refused\n" \
    "without stopping the import; the summary lists the first 20.\n"                               \
    "Exit status: 0 all records imported (values may be quarantined), 1 some refused (or, with\n"  \
    "--strict, any value quarantined) or a fatal error, 2 usage.\n"

typedef struct args {
    const char *data, *config, *source, *server, *key;
    int strict; /* --strict: a quarantined value fails the import too */
    au_import_format format;
    long batch;
    char **files;
    int nfiles;
} args;

static int parse_args(int argc, char **argv, args *a)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},   {"config", required_argument, NULL, 'c'},
        {"source", required_argument, NULL, 's'}, {"format", required_argument, NULL, 'f'},
        {"batch", required_argument, NULL, 'b'},  {"server", required_argument, NULL, 'S'},
        {"key", required_argument, NULL, 'k'},    {"strict", no_argument, NULL, 'X'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    optind = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, "d:c:s:f:b:S:k:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            a->data = optarg;
            break;
        case 'c':
            a->config = optarg;
            break;
        case 's':
            a->source = optarg;
            break;
        case 'S':
            a->server = optarg;
            break;
        case 'k':
            a->key = optarg;
            break;
        case 'X':
            a->strict = 1;
            break;
        case 'b':
            a->batch = strtol(optarg, NULL, 10);
            if (a->batch <= 0 || a->batch > 1000000) {
                fprintf(stderr, "aurum import: --batch must be 1..1000000\n");
                return 2;
            }
            break;
        case 'f':
            if (strcmp(optarg, "csv") == 0)
                a->format = AU_IMPORT_CSV;
            else if (strcmp(optarg, "jsonl") == 0 || strcmp(optarg, "ndjson") == 0)
                a->format = AU_IMPORT_JSONL;
            else {
                fprintf(stderr, "aurum import: --format must be csv or jsonl\n");
                return 2;
            }
            break;
        case 'h':
            fputs(USAGE, stdout);
            return -1;
        default:
            fputs(USAGE, stderr);
            return 2;
        }
    }
    a->files = argv + optind;
    a->nfiles = argc - optind;
    if (!a->source || a->nfiles < 1) {
        fprintf(stderr, "aurum import: %s\n%s", !a->source ? "--source is required" : "no FILE",
                USAGE);
        return 2;
    }
    return 0;
}

static int list_source(void *ctx, const char *name, const char *def_json)
{
    au_buf *b = ctx;
    if (!strstr(b->data ? b->data : "", name))
        au_buf_printf(b, "%s%s", b->len ? ", " : "", name);
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
        au_store_source_list(rd, list_source, &b);
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
    const char *dir = a->data ? a->data : cfg->data_dir;
    au_rc rc = au_lockfile_acquire(dir, &lock, &err);
    if (rc == AU_ERR_BUSY) {
        au_err_set(&err, rc, "%s: data directory in use by a running daemon; use --server URL",
                   dir);
        goto out;
    }
    if (rc || au_engine_open(cfg, dir, &e, &err))
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
    o.format = a.format;
    o.batch = (size_t)a.batch;
    o.progress = 1;
    if (!a.server)
        return run_local(&a, &o);
    o.server = a.server;
    o.key = a.key ? a.key : getenv("AURUM_KEY");
    return import_all(&a, &o);
}

const au_cli_command au_cli_import = {"import", run, "load CSV or JSON Lines files into a source",
                                      USAGE};
