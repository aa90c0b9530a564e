/*
 * `aurum audit`: the audit log of a data directory, offline. `verify` walks the hash chain from
 * the retention anchor and prints "ok: N entries" or the first broken link (exit 1); it opens
 * the store read-only, so it works beside a running daemon. `sweep` applies the retention
 * windows now (the daemon does it every retention.interval) through an engine, so it needs the
 * data directory to itself, like `aurum import`.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app/compose.h"
#include "audit/audit.h"
#include "cli/cli.h"
#include "cli/resolve_common.h"
#include "core/config.h"
#include "core/engine.h"
#include "lib/clock.h"
#include "lib/isotime.h"
#include "lib/lockfile.h"

typedef struct args {
    const char *data, *store, *config, *at, *verb;
} args;

static const au_arg options[] = {
    AU_ARG_ROW("--data", AU_ARG_STR, offsetof(args, data), "DIR",
               "data directory (default: the config's data_dir)"),
    AU_ARG_ROW("--store", AU_ARG_STR, offsetof(args, store), "LOCATION",
               "store location, e.g. postgres://user@host:5432/db (overrides store; default: "
               "the SQLite store in DIR)"),
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(args, config), "FILE",
               "YAML configuration (its retention: section for sweep)"),
    AU_ARG_ROW("--at", AU_ARG_STR, offsetof(args, at), "TIME",
               "sweep: apply the windows as of this time (ISO 8601 or epoch ms) instead of now"),
};

static const au_args_spec spec = {
    .prog = "aurum audit",
    .synopsis =
        "verify [--data DIR] [--store LOCATION] [--config FILE]\n"
        "       aurum audit sweep  [--data DIR] [--store LOCATION] [--config FILE] [--at TIME]",
    .about = "The audit log of reads and changes of personal data (docs/SECURITY.md).\n"
             "verify: walks the hash chain; prints \"ok: N entries\" and the head hash, or the "
             "first\n        broken link (an entry edited, removed or reordered) and exits 1. "
             "Read-only:\n        works beside a running daemon.\n"
             "sweep:  removes flow runs and audit entries older than the retention windows\n"
             "        (retention: {runs: 30d, audit: 365d}); not while a daemon runs on DIR.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
    .args = "verify|sweep",
    .min_args = 1,
    .max_args = 1,
    .notes = "The log is listed by GET /v1/audit (admin). Keep the printed head hash elsewhere to "
             "detect\na log rewritten from scratch or cut at its end.\n",
};

static int verify(const char *at, au_err *err)
{
    au_store *st = NULL;
    au_audit_verdict v;
    char hex[AU_AUDIT_HASH_LEN * 2 + 1];
    au_rc rc = au_store_open(at, AU_STORE_RO, &st, err);
    if (!rc && (rc = au_audit_verify(st, &v)))
        au_err_set(err, rc, "cannot read the audit log: %s", au_rc_message(rc));
    au_store_close(st);
    if (rc)
        return 1;
    sodium_bin2hex(hex, sizeof(hex), v.head, AU_AUDIT_HASH_LEN);
    if (v.broken) {
        printf("broken: %s\n", v.reason);
        printf("(%lld entries verified before it)\n", (long long)v.entries);
        return 1;
    }
    printf("ok: %lld entries\n", (long long)v.entries);
    printf("head: %s%s\n", hex, v.anchor ? " (from the retention anchor)" : "");
    return 0;
}

static int sweep(const args *a, au_config *cfg, const char *dir, au_err *err)
{
    au_engine *e = NULL;
    au_retention r;
    au_sweep_counts n = {0};
    int64_t now = au_wall_ms();
    int lock = -1;
    au_rc rc = au_retention_parse(cfg, &r, err);
    if (!rc && a->at && au_iso8601_parse(a->at, strlen(a->at), &now) &&
        sscanf(a->at, "%lld", (long long *)&now) != 1)
        rc = au_err_set(err, AU_ERR_INVALID, "--at: expected ISO 8601 or epoch ms");
    if (!rc && (rc = au_lockfile_acquire(dir, &lock, err)) == AU_ERR_BUSY)
        au_err_set(err, rc,
                   "%s: data directory in use by a running daemon (it sweeps every "
                   "retention.interval)",
                   dir);
    if (!rc)
        rc = au_app_engine_open_at(cfg, au_cli_store_at(cfg, a->store, dir), dir, &e, err);
    if (!rc)
        rc = au_audit_sweep(e, &r, now, &n, err);
    au_engine_close(e);
    au_lockfile_release(lock);
    if (rc)
        return 1;
    printf("removed %lld flow runs and %lld audit entries\n", (long long)n.runs,
           (long long)n.audit);
    return 0;
}

static int run(int argc, char **argv)
{
    args a = {0};
    au_config *cfg = NULL;
    int npos, code = au_args_run(&spec, &a, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    a.verb = argv[1]; /* the positional arguments come first */
    if (strcmp(a.verb, "verify") != 0 && strcmp(a.verb, "sweep") != 0)
        return au_args_fail(&spec, "unknown verb '%s' (verify or sweep)", a.verb);
    au_err err;
    au_err_init(&err);
    code = 1;
    if (!au_config_load(a.config, &cfg, &err)) {
        const char *dir = a.data ? a.data : cfg->data_dir;
        code = strcmp(a.verb, "verify") == 0 ? verify(au_cli_store_at(cfg, a.store, dir), &err)
                                             : sweep(&a, cfg, dir, &err);
    }
    if (err.rc)
        fprintf(stderr, "aurum audit: %s\n", err.message);
    au_config_free(cfg);
    au_err_cleanup(&err);
    return code;
}

const au_cli_command au_cli_audit = {
    "audit", run, "verify the audit log's hash chain; apply retention", NULL, &spec};
