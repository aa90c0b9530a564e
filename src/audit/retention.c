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
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"

#define DAY_MS (24LL * 3600 * 1000)

/* The configuration keys of the section: name, default, offset in au_retention. */
static const struct {
    const char *name;
    const char *dflt;
    size_t offset;
} keys[] = {
    {"runs", "30d", offsetof(au_retention, runs_ms)},
    {"audit", "365d", offsetof(au_retention, audit_ms)},
    {"interval", "1h", offsetof(au_retention, interval_ms)},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* "30d", "12h", "90m", "45s", "0", "forever" into ms; -1 when malformed. */
static int64_t duration_ms(const json_t *v)
{
    if (json_is_integer(v))
        return json_integer_value(v) >= 0 && json_integer_value(v) < INT64_MAX / 1000
                   ? json_integer_value(v) * 1000
                   : -1;
    const char *s = json_string_value(v);
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

au_rc au_retention_parse(const au_config *cfg, au_retention *out, au_err *err)
{
    const json_t *sec = cfg && cfg->doc ? json_object_get(cfg->doc, "retention") : NULL;
    const char *k;
    json_t *v;
    for (size_t i = 0; i < NKEYS; i++) {
        json_t *d = json_string(keys[i].dflt);
        *(int64_t *)((char *)out + keys[i].offset) = duration_ms(d);
        json_decref(d);
    }
    if (!sec || json_is_null(sec))
        return AU_OK;
    if (!json_is_object(sec))
        return au_err_set(err, AU_ERR_INVALID,
                          "retention: expected a mapping (runs, audit, interval: durations)");
    json_object_foreach((json_t *)sec, k, v)
    {
        size_t i = 0;
        while (i < NKEYS && strcmp(keys[i].name, k) != 0)
            i++;
        if (i == NKEYS)
            return au_err_set(err, AU_ERR_INVALID,
                              "retention.%s: unknown key (runs, audit, interval)", k);
        int64_t ms = duration_ms(v);
        if (ms < 0)
            return au_err_set(err, AU_ERR_INVALID,
                              "retention.%s: expected a duration such as 30d, 12h, 90m, 45s, 0 "
                              "or forever",
                              k);
        *(int64_t *)((char *)out + keys[i].offset) = ms;
    }
    return AU_OK;
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
