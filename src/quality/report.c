/*
 * Reading the data-quality ledger: the JSON report behind GET /v1/quality and `aurum quality`,
 * and the Prometheus families of /metrics. Both read the ledger's tables through a store handle
 * of the caller's (a pooled reader in the daemon, a read-only handle in the CLI); "missing" is
 * derived here as records - valid - quarantined (see quality.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/metrics.h"
#include "quality/quality.h"
#include "record/reason.h"
#include "lib/alloc.h"

/* Working state of one report: {source: {"records": n, "attrs": {attr: {...}}}}. */
typedef struct report_ctx {
    const au_quality_query *q;
    json_t *sources; /* owned */
    json_t *days;    /* owned: {source: {"records": {day: n}, "attrs": {attr: {day: {...}}}}} */
    au_rc rc;
} report_ctx;

static json_t *child(json_t *parent, const char *key)
{
    json_t *o = json_object_get(parent, key);
    if (!o && (o = json_object()) && json_object_set_new(parent, key, o))
        o = NULL;
    return o;
}

static void add_int(json_t *o, const char *key, int64_t n)
{
    json_t *v = json_object_get(o, key);
    json_object_set_new(o, key, json_integer((v ? json_integer_value(v) : 0) + n));
}

static int wanted_attr(const au_quality_query *q, const char *attr)
{
    return !q->attribute || strcmp(q->attribute, attr) == 0;
}

static json_t *reason_entry(const au_quality_row *row)
{
    int r = au_reason_from_code(row->reason);
    json_t *examples = row->examples ? json_loads(row->examples, 0, NULL) : NULL;
    if (!json_is_array(examples)) {
        json_decref(examples);
        examples = json_array();
    }
    return json_pack("{s:s, s:s, s:I, s:o}", "reason", row->reason, "description",
                     au_reason_description(r < 0 ? AU_REASON_INVALID : (au_reason)r), "count",
                     (json_int_t)row->n, "examples", examples);
}

static int on_current(void *ctx, const au_quality_row *row)
{
    report_ctx *c = ctx;
    json_t *src = child(c->sources, row->source);
    if (!src)
        return c->rc = AU_ERR_NOMEM;
    if (strcmp(row->status, "records") == 0) {
        add_int(src, "records", row->n);
        return 0;
    }
    if (!wanted_attr(c->q, row->attribute))
        return 0;
    json_t *attr = child(child(src, "attrs"), row->attribute);
    if (!attr)
        return c->rc = AU_ERR_NOMEM;
    if (strcmp(row->status, "valid") == 0) {
        add_int(attr, "valid", row->n);
    } else if (row->n > 0) {
        add_int(attr, "quarantined", row->n);
        json_t *reasons = json_object_get(attr, "reasons");
        if (!reasons)
            json_object_set_new(attr, "reasons", reasons = json_array());
        if (json_array_append_new(reasons, reason_entry(row)))
            return c->rc = AU_ERR_NOMEM;
    }
    return 0;
}

static int on_day(void *ctx, const au_quality_row *row)
{
    report_ctx *c = ctx;
    json_t *src = child(c->days, row->source);
    if (!src)
        return c->rc = AU_ERR_NOMEM;
    if (strcmp(row->status, "records") == 0) {
        add_int(child(src, "records"), row->day, row->n);
        return 0;
    }
    if (!wanted_attr(c->q, row->attribute))
        return 0;
    json_t *d = child(child(child(src, "attrs"), row->attribute), row->day);
    if (!d)
        return c->rc = AU_ERR_NOMEM;
    if (strcmp(row->status, "valid") == 0) {
        add_int(d, "valid", row->n);
    } else if (row->n) {
        add_int(d, "quarantined", row->n);
        add_int(child(d, "reasons"), row->reason, row->n);
    }
    return 0;
}

static int64_t int_of(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static int by_count_desc(const void *a, const void *b)
{
    int64_t x = int_of(*(json_t *const *)a, "count"), y = int_of(*(json_t *const *)b, "count");
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The reasons, most frequent first, at most AU_QUALITY_TOP_REASONS (new reference). */
static json_t *top_reasons(json_t *reasons)
{
    size_t n = json_array_size(reasons), i;
    json_t **v = au_calloc(n ? n : 1, sizeof(*v)), *out = json_array();
    if (!v || !out) {
        au_free(v);
        json_decref(out);
        return NULL;
    }
    for (i = 0; i < n; i++)
        v[i] = json_array_get(reasons, i);
    qsort(v, n, sizeof(*v), by_count_desc);
    for (i = 0; i < n && i < AU_QUALITY_TOP_REASONS; i++)
        json_array_append(out, v[i]);
    au_free(v);
    return out;
}

static int64_t clamp0(int64_t n)
{
    return n < 0 ? 0 : n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* One day of an attribute's series (new reference). */
static json_t *day_entry(const char *day, int64_t arrived, const json_t *d)
{
    int64_t v = int_of(d, "valid"), q = int_of(d, "quarantined");
    json_t *reasons = json_object_get(d, "reasons");
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "day", day, "arrived", (json_int_t)arrived,
                     "valid", (json_int_t)v, "quarantined", (json_int_t)q, "missing",
                     (json_int_t)clamp0(arrived - v - q), "reasons",
                     reasons ? json_incref(reasons) : json_object());
}

/* The per-day series of one attribute, oldest first (new reference): every day something
 * arrived in the source, so a day without this attribute shows it missing in every record. */
static json_t *day_series(const json_t *src_days, const char *attr)
{
    const json_t *arrived = json_object_get(src_days, "records");
    const json_t *days = json_object_get(json_object_get(src_days, "attrs"), attr);
    size_t count = json_object_size(arrived), i = 0;
    const char **keys = au_calloc(count ? count : 1, sizeof(*keys));
    json_t *out = json_array(), *n;
    const char *day;
    if (!out || !keys) {
        au_free(keys);
        json_decref(out);
        return NULL;
    }
    json_object_foreach((json_t *)arrived, day, n) keys[i++] = day;
    qsort(keys, count, sizeof(*keys), cmp_str);
    for (i = 0; i < count; i++) {
        json_t *d = json_object_get(days, keys[i]);
        if (json_array_append_new(out, day_entry(keys[i], int_of(arrived, keys[i]), d))) {
            json_decref(out);
            out = NULL;
            break;
        }
    }
    au_free(keys);
    return out;
}

/* One attribute of the answer (new reference); `a` is its canonical index. */
static json_t *attr_entry(const report_ctx *c, const char *source, int64_t records, au_attr a,
                          const json_t *counts)
{
    const char *name = au_attr_name(a);
    int mapped = c->q->mapped ? c->q->mapped(c->q->mapped_ctx, source, a) : 0;
    int64_t v = int_of(counts, "valid"), q = int_of(counts, "quarantined");
    json_t *o = json_pack("{s:s, s:b, s:I, s:I, s:I, s:o*}", "attribute", name, "mapped", mapped,
                          "valid", (json_int_t)v, "quarantined", (json_int_t)q, "missing",
                          (json_int_t)clamp0(records - v - q), "reasons",
                          top_reasons(json_object_get(counts, "reasons")));
    if (o && c->q->days > 0)
        json_object_set_new(o, "days", day_series(json_object_get(c->days, source), name));
    return o;
}

/* One source of the answer (new reference): its attributes in canonical order, those with
 * counts and those the source maps. */
static json_t *source_entry(const report_ctx *c, const char *source, const json_t *s)
{
    int64_t records = int_of(s, "records");
    const json_t *attrs = json_object_get(s, "attrs");
    json_t *list = json_array();
    for (int a = 0; a < AU_ATTR_COUNT && list; a++) {
        const char *name = au_attr_name((au_attr)a);
        const json_t *counts = json_object_get(attrs, name);
        int mapped = c->q->mapped ? c->q->mapped(c->q->mapped_ctx, source, (au_attr)a) : 0;
        if (!wanted_attr(c->q, name) || (!counts && !mapped))
            continue;
        if (json_array_append_new(list, attr_entry(c, source, records, (au_attr)a, counts))) {
            json_decref(list);
            list = NULL;
        }
    }
    return json_pack("{s:s, s:I, s:o*}", "source", source, "records", (json_int_t)records,
                     "attributes", list);
}

static void day_string(int64_t ms, char day[11])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(day, 11, "%Y-%m-%d", &tm);
}

static au_rc collect(report_ctx *c, au_store *st, au_err *err)
{
    au_rc rc = au_store_quality_list(st, c->q->source, NULL, on_current, c);
    if (!rc && c->q->days > 0) {
        char since[11];
        day_string(c->q->now_ms - (int64_t)(c->q->days - 1) * 86400000, since);
        rc = au_store_quality_list(st, c->q->source, since, on_day, c);
    }
    if (c->rc)
        rc = c->rc;
    return rc ? au_err_set(err, rc, "cannot read the quality ledger: %s", au_rc_message(rc)) : rc;
}

/* Adds one source's count of unlinked events to {"unlinked": total, "sources": {..}}. */
static int add_unlinked(void *ctx, const char *source, int64_t count)
{
    json_t *slot = ctx;
    json_t *total = json_object_get(slot, "unlinked");
    if (json_object_set_new(json_object_get(slot, "sources"), source, json_integer(count)) ||
        json_integer_set(total, json_integer_value(total) + count))
        return -1;
    return 0;
}

/* The "events" slot of the report: events that belong to no known customer yet, in total and
 * per source (they join a timeline when their customer's record arrives). New reference; NULL
 * when the store cannot say. */
static json_t *events_slot(au_store *st)
{
    json_t *slot = json_pack("{s:i, s:{}}", "unlinked", 0, "sources");
    if (slot && au_store_events_unlinked(st, add_unlinked, slot)) {
        json_decref(slot);
        return NULL;
    }
    return slot;
}

/* {"at_ms", key: text} of a connector's last failure or refusal, NULL when there was none. */
static json_t *last_event(const json_t *j, const char *key)
{
    json_int_t at = json_integer_value(json_object_get(j, "at_ms"));
    const char *text = json_string_value(json_object_get(j, key));
    return at ? json_pack("{s:I, s:s}", "at_ms", at, key, text ? text : "") : NULL;
}

typedef struct connectors_ctx {
    const char *source; /* only this source, NULL: all */
    json_t *list;       /* the "connectors" array being filled */
} connectors_ctx;

/* One connector's entry from its stored run state (src/inbound/manager.c writes it). */
static au_rc add_connector(void *ctx, const char *source, const char *state, int64_t updated_ms)
{
    connectors_ctx *c = ctx;
    if (c->source && strcmp(c->source, source) != 0)
        return AU_OK;
    json_t *j = json_loads(state, 0, NULL);
    if (!j)
        return AU_OK; /* not ours to judge: an unreadable state is left out */
    const json_t *totals = json_object_get(j, "totals");
    json_t *e = json_pack("{s:s, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:o*, s:o*}", "source", source,
                          "kind", json_string_value(json_object_get(j, "kind")), "runs",
                          json_integer_value(json_object_get(j, "runs")), "runs_failed",
                          json_integer_value(json_object_get(j, "runs_failed")), "failing",
                          json_integer_value(json_object_get(j, "failures")), "read",
                          json_integer_value(json_object_get(totals, "read")), "refused",
                          json_integer_value(json_object_get(totals, "refused")), "updated_ms",
                          (json_int_t)updated_ms, "last_failure",
                          last_event(json_object_get(j, "last_failure"), "error"), "last_refusal",
                          last_event(json_object_get(j, "last_refusal"), "reason"));
    json_decref(j);
    return json_array_append_new(c->list, e) ? AU_ERR_NOMEM : AU_OK;
}

/* The "connectors" slot: per inbound connector its refused documents and failed syncs, so a
 * source whose system stopped answering, or sends what cannot be read, shows here. New
 * reference; NULL when the store cannot say. */
static json_t *connectors_slot(au_store *st, const char *source)
{
    connectors_ctx c = {source, json_array()};
    if (c.list && au_store_inbound_list(st, add_connector, &c)) {
        json_decref(c.list);
        return NULL;
    }
    return c.list;
}

au_rc au_quality_report(au_store *st, const au_quality_query *q, json_t **out, au_err *err)
{
    report_ctx c = {q, json_object(), json_object(), AU_OK};
    json_t *list = json_array(), *s;
    const char *name;
    au_rc rc = AU_OK;
    *out = NULL;
    if (!c.sources || !c.days || !list) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (q->source && !json_object_get(c.sources, q->source))
        child(c.sources, q->source); /* a known source without records still answers */
    if ((rc = collect(&c, st, err)))
        goto out;
    /* json objects iterate in insertion order; the store listed sources sorted. */
    json_object_foreach(c.sources, name, s)
    {
        if (json_array_append_new(list, source_entry(&c, name, s))) {
            rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    *out = json_pack("{s:O, s:i, s:o*, s:o*}", "sources", list, "days", q->days, "events",
                     events_slot(st), "connectors", connectors_slot(st, q->source));
    if (!*out)
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
out:
    json_decref(list);
    json_decref(c.sources);
    json_decref(c.days);
    return rc;
}

/* ---- /metrics ------------------------------------------------------------------------------ */

typedef struct metrics_ctx {
    au_buf *out;
    const char *family;
    char key[3][256]; /* source, attribute, reason of the running sum (days) */
    int64_t sum;      /* running sum of the key's days */
    au_rc rc;
} metrics_ctx;

static au_rc put_sample(au_buf *out, const char *family, const char *source, const char *attr,
                        const char *reason, int64_t n)
{
    au_rc rc = au_buf_printf(out, "%s{source=\"", family);
    rc = rc ? rc : au_metrics_label(out, source);
    rc = rc ? rc : au_buf_puts(out, "\",attribute=\"");
    rc = rc ? rc : au_metrics_label(out, attr);
    rc = rc ? rc : au_buf_puts(out, "\",reason=\"");
    rc = rc ? rc : au_metrics_label(out, reason);
    return rc ? rc : au_buf_printf(out, "\"} %lld\n", (long long)n);
}

static int on_metric_current(void *ctx, const au_quality_row *row)
{
    metrics_ctx *c = ctx;
    if (strcmp(row->status, "quarantined") != 0 || row->n <= 0)
        return 0;
    c->rc = put_sample(c->out, c->family, row->source, row->attribute, row->reason, row->n);
    return c->rc ? 1 : 0;
}

static au_rc flush_sum(metrics_ctx *c)
{
    au_rc rc = AU_OK;
    if (c->sum)
        rc = put_sample(c->out, c->family, c->key[0], c->key[1], c->key[2], c->sum);
    c->sum = 0;
    return rc;
}

/* Rows come ordered by key then day: sum each key's days. */
static int on_metric_day(void *ctx, const au_quality_row *row)
{
    metrics_ctx *c = ctx;
    if (strcmp(row->status, "quarantined") != 0)
        return 0;
    if (strcmp(c->key[0], row->source) != 0 || strcmp(c->key[1], row->attribute) != 0 ||
        strcmp(c->key[2], row->reason) != 0) {
        if ((c->rc = flush_sum(c)))
            return 1;
        snprintf(c->key[0], sizeof(c->key[0]), "%s", row->source);
        snprintf(c->key[1], sizeof(c->key[1]), "%s", row->attribute);
        snprintf(c->key[2], sizeof(c->key[2]), "%s", row->reason);
    }
    c->sum += row->n;
    return 0;
}

au_rc au_quality_metrics(au_store *st, au_buf *out)
{
    metrics_ctx c = {out, "aurum_values_quarantined", {"", "", ""}, 0, AU_OK};
    au_rc rc = au_buf_puts(out, "# HELP aurum_values_quarantined Values currently quarantined, "
                                "by source, attribute and reason code.\n"
                                "# TYPE aurum_values_quarantined gauge\n");
    rc = rc ? rc : au_store_quality_list(st, NULL, NULL, on_metric_current, &c);
    rc = rc ? rc
            : au_buf_puts(out, "# HELP aurum_values_quarantined_total Quarantined values "
                               "received, by source, attribute and reason code.\n"
                               "# TYPE aurum_values_quarantined_total counter\n");
    c.family = "aurum_values_quarantined_total";
    rc = rc ? rc : au_store_quality_list(st, NULL, "0000-00-00", on_metric_day, &c);
    rc = rc ? rc : flush_sum(&c);
    return c.rc ? c.rc : rc;
}
