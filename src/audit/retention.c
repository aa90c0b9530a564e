/*
 * Retention: how long flow run history and audit entries are kept (`retention:` in the
 * configuration) and the sweep that removes what is older, run through the writer in one
 * transaction. The audit log loses a prefix of its chain, never a hole: the store keeps the
 * newest removed entry's hash as the anchor, so `aurum audit verify` still passes.
 *
 *   retention:
 *     runs: 30d        # flow runs with nothing left to deliver, their outbox rows, dead letters
 *     audit: 365d      # audit entries
 *     interval: 1h     # how often the daemon sweeps
 *
 * A duration is a number with s, m, h or d; 0 or "forever" keeps everything.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "lib/opts.h"

#define DAY_MS (24LL * 3600 * 1000)

/* The section as written; each value is a duration converted below. */
typedef struct retention_text {
    const char *runs, *audit, *interval; /* borrowed from the configuration */
} retention_text;

/* The `retention:` section, declared (lib/opts.h): unknown keys and non-text values are refused
 * with the file, line and column like every option. */
static const au_opt retention_opts[] = {
    AU_OPT_ROW("runs", AU_OPT_STRING, offsetof(retention_text, runs), "DURATION",
               "flow runs (outbox rows, dead letters) older than this are removed", .def = "30d"),
    AU_OPT_ROW("audit", AU_OPT_STRING, offsetof(retention_text, audit), "DURATION",
               "audit entries older than this are removed", .def = "365d"),
    AU_OPT_ROW("interval", AU_OPT_STRING, offsetof(retention_text, interval), "DURATION",
               "how often the daemon sweeps", .def = "1h"),
    {0}};
#define NKEYS (sizeof(retention_opts) / sizeof(retention_opts[0]) - 1)

/* "30d", "12h", "90m", "45s", "0", "forever" into ms; -1 when malformed. */
static int64_t duration_ms(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "forever") == 0)
        return 0;
    char *end = NULL;
    errno = 0;
    long long n = isdigit((unsigned char)*s) ? strtoll(s, &end, 10) : -1;
    if (n < 0 || errno || !end)
        return -1;
    int64_t unit = !*end || strcmp(end, "s") == 0 ? 1000
                   : strcmp(end, "m") == 0        ? 60 * 1000
                   : strcmp(end, "h") == 0        ? 3600 * 1000
                   : strcmp(end, "d") == 0        ? DAY_MS
                                                  : -1;
    if (unit < 0 || n > INT64_MAX / unit)
        return -1;
    return n * unit;
}

/* The rows' text into out: the fields of au_retention in the rows' order. */
static au_rc convert(const retention_text *t, au_retention *out, au_err *err)
{
    const char *text[NKEYS] = {t->runs, t->audit, t->interval};
    int64_t *ms[NKEYS] = {&out->runs_ms, &out->audit_ms, &out->interval_ms};
    for (size_t i = 0; i < NKEYS; i++)
        if ((*ms[i] = duration_ms(text[i])) < 0)
            return au_err_set(err, AU_ERR_INVALID,
                              "retention.%s: expected a duration such as 30d, 12h, 90m, 45s, 0 "
                              "or forever, got '%.40s'",
                              retention_opts[i].name, text[i] ? text[i] : "");
    return AU_OK;
}

au_rc au_retention_parse(const au_config *cfg, au_retention *out, au_err *err)
{
    retention_text t = {0};
    unsigned line = 0, col = 0;
    au_rc rc = au_opts_defaults(retention_opts, NKEYS, &t, 0, err);
    if (!rc && cfg)
        rc = au_opts_from_yaml(retention_opts, NKEYS, au_config_node(cfg, "retention"), "retention",
                               &t, 0, &line, &col, err);
    if (rc && rc != AU_ERR_NOMEM) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "");
        au_err_set(err, rc, "%s:%u:%u: %s", au_config_path(cfg), line, col, msg);
    }
    return rc ? rc : convert(&t, out, err);
}

typedef struct sweep_ctx {
    const au_retention *r;
    int64_t now_ms;
    au_sweep_counts *n;
} sweep_ctx;

static au_rc sweep_call(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    sweep_ctx *c = ctx;
    au_rc rc = AU_OK;
    if (c->r->runs_ms > 0 && (rc = au_store_runs_sweep(st, c->now_ms - c->r->runs_ms, &c->n->runs)))
        return au_err_set(err, rc, "cannot remove old flow runs");
    if (c->r->audit_ms > 0 &&
        (rc = au_store_audit_sweep(st, c->now_ms - c->r->audit_ms, at_ms, &c->n->audit)))
        return au_err_set(err, rc, "cannot remove old audit entries");
    return AU_OK;
}

au_rc au_audit_sweep(au_engine *e, const au_retention *r, int64_t now_ms, au_sweep_counts *n,
                     au_err *err)
{
    sweep_ctx c = {r, now_ms, n};
    memset(n, 0, sizeof(*n));
    return au_engine_call(e, sweep_call, &c, "retention", err);
}
