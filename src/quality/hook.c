/*
 * The data-quality ledger's engine hook (see quality.h): classifies every written record's
 * attributes as valid or quarantined (with the reason code of record/reason.h), and keeps the
 * deltas in memory in two layers, the running job and the group commit, so a job whose
 * savepoint rolls back takes only its own counts with it. Just before COMMIT the group's deltas
 * become one upsert per touched key. An update or delete reads the previous version's document
 * once to subtract what it had counted. Example record ids: the first ones that enter a reason
 * are added; a record that leaves it is noted only when it is listed (or about to be), so the
 * changes to remember stay a handful however many records move.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quality/quality.h"
#include "record/reason.h"
#include "lib/alloc.h"

/* A change to the example list of (attribute, reason) in one entry, in arrival order. */
typedef struct q_example {
    struct q_example *next;
    uint8_t attr, reason; /* au_attr, au_reason */
    uint8_t added;        /* 1: becomes an example; 0: may no longer be listed */
    char id[];            /* record id */
} q_example;

/* Count deltas of one source. */
typedef struct q_counts {
    int64_t records;                              /* live records */
    int64_t valid[AU_ATTR_COUNT];                 /* valid values */
    int64_t quar[AU_ATTR_COUNT][AU_REASON_COUNT]; /* quarantined values by reason */
} q_counts;

/* The deltas of one source on one arrival day. */
typedef struct q_entry {
    struct q_entry *next;
    char day[11];                                 /* "YYYY-MM-DD" (UTC) of the arrivals */
    q_counts cur;                                 /* change of the current state */
    q_counts arr;                                 /* arrivals on `day` */
    q_example *ex, *ex_tail;                      /* example changes, oldest first */
    uint8_t nadd[AU_ATTR_COUNT][AU_REASON_COUNT]; /* additions in ex, at most the kept count */
    uint8_t nrm[AU_ATTR_COUNT][AU_REASON_COUNT];  /* removals in ex (distinct ids) */
    char source[];                                /* source name */
} q_entry;

typedef struct au_quality_state {
    q_entry *job;      /* deltas of the running job (undone by its rollback) */
    q_entry *group;    /* deltas of the jobs kept in this group commit */
    json_t *listed;    /* "source\nattr\nreason" -> the stored example ids as of the group's
                        * start, loaded when a record leaves that bucket (the store's list
                        * changes only at before_commit) */
    int64_t day_start; /* [day_start, day_end) in Unix ms is `day` */
    int64_t day_end;
    char day[11];
} au_quality_state;

/* ---- in-memory deltas ------------------------------------------------------------------ */

static void entries_free(q_entry *e)
{
    while (e) {
        q_entry *next = e->next;
        for (q_example *x = e->ex; x;) {
            q_example *xn = x->next;
            au_free(x);
            x = xn;
        }
        au_free(e);
        e = next;
    }
}

/* Appends e to *list: entries stay in order of first appearance, so a day's changes are
 * written before the next day's. */
static void list_append(q_entry **list, q_entry *e)
{
    while (*list)
        list = &(*list)->next;
    e->next = NULL;
    *list = e;
}

/* The entry of (source, day) in *list, created when absent; NULL on allocation failure. */
static q_entry *entry_of(q_entry **list, const char *source, const char *day)
{
    for (q_entry *e = *list; e; e = e->next)
        if (strcmp(e->day, day) == 0 && strcmp(e->source, source) == 0)
            return e;
    size_t n = strlen(source) + 1;
    q_entry *e = au_calloc(1, sizeof(*e) + n);
    if (!e)
        return NULL;
    memcpy(e->source, source, n);
    memcpy(e->day, day, sizeof(e->day));
    list_append(list, e);
    return e;
}

/* Forgets a pending addition of `id` to (a, r): the record left that bucket again. */
static void ex_drop_added(q_entry *e, au_attr a, au_reason r, const char *id)
{
    q_example *prev = NULL;
    for (q_example *x = e->ex; x; prev = x, x = x->next) {
        if (!x->added || x->attr != a || x->reason != r || strcmp(x->id, id) != 0)
            continue;
        if (prev)
            prev->next = x->next;
        else
            e->ex = x->next;
        if (e->ex_tail == x)
            e->ex_tail = prev;
        au_free(x);
        e->nadd[a][r]--;
        return;
    }
}

/* 1 when e already holds a change of `id` in bucket (a, r) of the given kind. */
static int has_change(const q_entry *e, au_attr a, au_reason r, const char *id, int added)
{
    for (const q_example *x = e->ex; x; x = x->next)
        if (x->added == added && x->attr == a && x->reason == r && strcmp(x->id, id) == 0)
            return 1;
    return 0;
}

/* Appends x to e's changes when it still matters, else frees it: the rule shared by a record's
 * own change and a job's change joining the group. Never allocates. */
static void ex_take(q_entry *e, q_example *x)
{
    au_attr a = (au_attr)x->attr;
    au_reason r = (au_reason)x->reason;
    int keep;
    x->next = NULL;
    if (x->added) {
        keep = e->nadd[a][r] < AU_QUALITY_EXAMPLES;
        e->nadd[a][r] += keep;
    } else {
        ex_drop_added(e, a, r, x->id);
        keep = e->nrm[a][r] < UINT8_MAX && !has_change(e, a, r, x->id, 0);
        e->nrm[a][r] += keep;
    }
    if (!keep) {
        au_free(x);
        return;
    }
    if (e->ex_tail)
        e->ex_tail->next = x;
    else
        e->ex = x;
    e->ex_tail = x;
}

static au_rc ex_new(q_entry *e, au_attr a, au_reason r, const char *id, int added)
{
    size_t n = strlen(id) + 1;
    q_example *x = au_malloc(sizeof(*x) + n);
    if (!x)
        return AU_ERR_NOMEM;
    x->attr = (uint8_t)a;
    x->reason = (uint8_t)r;
    x->added = (uint8_t)added;
    memcpy(x->id, id, n);
    ex_take(e, x);
    return AU_OK;
}

/* Notes that record `id` entered the bucket (a, r): a candidate example. */
static au_rc ex_enter(q_entry *e, au_attr a, au_reason r, const char *id)
{
    return e->nadd[a][r] >= AU_QUALITY_EXAMPLES ? AU_OK : ex_new(e, a, r, id, 1);
}

/* Position of the string `id` in the JSON array, (size_t)-1 when absent. */
static size_t index_of(const json_t *list, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        if (s && strcmp(s, id) == 0)
            return i;
    }
    return (size_t)-1;
}

/* The example ids stored for (source, a, r) when the group started (borrowed), read once. */
static au_rc listed(au_quality_state *q, au_store *st, const char *source, au_attr a, au_reason r,
                    const json_t **out)
{
    char *key = au_asprintf("%s\n%d\n%d", source, (int)a, (int)r), *text = NULL;
    json_t *list = key ? json_object_get(q->listed, key) : NULL;
    au_rc rc = key ? AU_OK : AU_ERR_NOMEM;
    if (!rc && !list)
        rc = au_store_quality_examples(st, source, au_attr_name(a), au_reason_code(r), &text);
    if (!rc && !list) {
        list = text ? json_loads(text, 0, NULL) : NULL;
        if (!json_is_array(list)) {
            json_decref(list);
            list = json_array();
        }
        /* takes the reference even when it fails; nocheck: a source name need not be UTF-8 */
        if (!list || json_object_set_new_nocheck(q->listed, key, list)) {
            list = NULL;
            rc = AU_ERR_NOMEM;
        }
    }
    *out = list;
    au_free(text);
    au_free(key);
    return rc;
}

/* 1 when a group entry of `source` is about to add `id` to bucket (a, r). */
static int group_adds(const au_quality_state *q, const char *source, au_attr a, au_reason r,
                      const char *id)
{
    for (const q_entry *g = q->group; g; g = g->next)
        if (strcmp(g->source, source) == 0 && has_change(g, a, r, id, 1))
            return 1;
    return 0;
}

/* Notes that record `id` left the bucket (a, r). Only an id that is listed, or about to be,
 * needs a removal, so at most a few are kept however many records leave. */
static au_rc ex_leave(au_quality_state *q, au_store *st, q_entry *e, au_attr a, au_reason r,
                      const char *id)
{
    const json_t *stored = NULL;
    ex_drop_added(e, a, r, id);
    if (has_change(e, a, r, id, 0))
        return AU_OK;
    if (!group_adds(q, e->source, a, r, id)) {
        au_rc rc = listed(q, st, e->source, a, r, &stored);
        if (rc)
            return rc;
        if (index_of(stored, id) == (size_t)-1)
            return AU_OK;
    }
    return ex_new(e, a, r, id, 0);
}

/* ---- classification -------------------------------------------------------------------- */

/* The UTC day of at_ms, computed once per day rather than once per record. */
static const char *day_of(au_quality_state *q, int64_t at_ms)
{
    if (at_ms >= q->day_start && at_ms < q->day_end)
        return q->day;
    time_t t = (time_t)(at_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(q->day, sizeof(q->day), "%Y-%m-%d", &tm);
    q->day_start = (at_ms / 86400000) * 86400000;
    q->day_end = q->day_start + 86400000;
    return q->day;
}

/* Counts the new version's values: into the current state and the day's arrivals. */
static au_rc count_new(q_entry *e, const au_record *r, int inserted)
{
    au_rc rc = AU_OK;
    e->cur.records += inserted;
    e->arr.records++;
    for (int a = 0; a < AU_ATTR_COUNT && !rc; a++) {
        const au_value *v = &r->attrs[a];
        if (v->reason) {
            au_reason why = au_reason_of((au_attr)a, v->reason);
            e->cur.quar[a][why]++;
            e->arr.quar[a][why]++;
            rc = ex_enter(e, (au_attr)a, why, r->record_id);
        } else if (v->raw || v->value) {
            e->cur.valid[a]++;
            e->arr.valid[a]++;
        }
    }
    return rc;
}

/* Subtracts what a previous version (its stored document) counted from the current state. */
static au_rc count_old(au_quality_state *q, au_store *st, q_entry *e, const char *record_id,
                       const char *doc_text, int deleted)
{
    json_error_t jerr;
    json_t *doc = json_loads(doc_text, 0, &jerr);
    if (!doc)
        return AU_ERR_STORE;
    au_rc rc = AU_OK;
    const char *name;
    json_t *v;
    e->cur.records -= deleted;
    json_object_foreach(json_object_get(doc, "attrs"), name, v)
    {
        int a = au_attr_from_name(name);
        if (a < 0)
            continue;
        const char *reason = json_string_value(json_object_get(v, "invalid"));
        if (reason) {
            au_reason why = au_reason_of((au_attr)a, reason);
            e->cur.quar[a][why]--;
            if ((rc = ex_leave(q, st, e, (au_attr)a, why, record_id)))
                break;
        } else {
            e->cur.valid[a]--;
        }
    }
    json_decref(doc);
    return rc;
}

/* Subtracts version `version` of the record, read back from the store. */
static au_rc forget_version(au_quality_state *q, q_entry *e, au_store *st, const char *source,
                            const char *record_id, int64_t version, int deleted)
{
    au_record_out old;
    au_rc rc = au_store_record_get(st, source, record_id, version, &old);
    if (rc)
        return rc;
    if (old.doc && !old.deleted)
        rc = count_old(q, st, e, record_id, old.doc, deleted);
    au_record_out_cleanup(&old);
    return rc;
}

static au_rc q_record_written(void *state, au_store *st, const au_record *r, au_put_outcome outcome,
                              int64_t version, int64_t at_ms)
{
    au_quality_state *q = state;
    q_entry *e = entry_of(&q->job, r->source, day_of(q, at_ms));
    if (!e)
        return AU_ERR_NOMEM;
    au_rc rc = AU_OK;
    if (outcome == AU_PUT_UPDATED)
        rc = forget_version(q, e, st, r->source, r->record_id, version - 1, 0);
    return rc ? rc : count_new(e, r, outcome == AU_PUT_INSERTED);
}

static au_rc q_record_deleted(void *state, au_store *st, const char *source, const char *record_id,
                              int64_t at_ms)
{
    au_quality_state *q = state;
    q_entry *e = entry_of(&q->job, source, day_of(q, at_ms));
    if (!e)
        return AU_ERR_NOMEM;
    /* The tombstone is the current version; the counted one is just before it. */
    au_record_out tomb;
    au_rc rc = au_store_record_get(st, source, record_id, 0, &tomb);
    if (rc)
        return rc;
    int64_t version = tomb.version;
    au_record_out_cleanup(&tomb);
    return version > 1 ? forget_version(q, e, st, source, record_id, version - 1, 1) : AU_OK;
}

/* ---- layers ------------------------------------------------------------------------------ */

static void counts_add(q_counts *to, const q_counts *from)
{
    to->records += from->records;
    for (int a = 0; a < AU_ATTR_COUNT; a++) {
        to->valid[a] += from->valid[a];
        for (int r = 0; r < AU_REASON_COUNT; r++)
            to->quar[a][r] += from->quar[a][r];
    }
}

/* Moves one job entry into the group: the entry itself when the group has none for its source
 * and day, else its counts and example changes into the group's. Never allocates, so a kept
 * job can always be counted. */
static void entry_merge(au_quality_state *q, q_entry *e)
{
    q_entry *g = q->group;
    while (g && (strcmp(g->day, e->day) != 0 || strcmp(g->source, e->source) != 0))
        g = g->next;
    if (!g) {
        list_append(&q->group, e);
        return;
    }
    counts_add(&g->cur, &e->cur);
    counts_add(&g->arr, &e->arr);
    for (q_example *x = e->ex, *next; x; x = next) {
        next = x->next;
        ex_take(g, x);
    }
    au_free(e);
}

static void q_job_kept(void *state)
{
    au_quality_state *q = state;
    for (q_entry *e = q->job, *next; e; e = next) {
        next = e->next;
        entry_merge(q, e);
    }
    q->job = NULL;
}

static void q_rolled_back(void *state, au_store *st)
{
    au_quality_state *q = state;
    entries_free(q->job);
    q->job = NULL;
}

static void q_group_rolled_back(void *state)
{
    au_quality_state *q = state;
    entries_free(q->group);
    q->group = NULL;
    json_object_clear(q->listed);
}

/* ---- flush ------------------------------------------------------------------------------- */

/* The example list of (source, a, r) after the entry's changes, as JSON text (au_free). */
static au_rc examples_after(const q_entry *e, au_store *st, au_attr a, au_reason r, char **out)
{
    json_t *list = NULL;
    char *stored = NULL;
    au_rc rc = AU_OK;
    rc = au_store_quality_examples(st, e->source, au_attr_name(a), au_reason_code(r), &stored);
    if (rc)
        goto out;
    list = stored ? json_loads(stored, 0, NULL) : NULL;
    if (!json_is_array(list)) {
        json_decref(list);
        list = json_array();
    }
    for (const q_example *x = e->ex; x && list; x = x->next) {
        if (x->attr != a || x->reason != r)
            continue;
        size_t at = index_of(list, x->id);
        if (!x->added && at != (size_t)-1)
            json_array_remove(list, at);
        else if (x->added && at == (size_t)-1 && json_array_size(list) < AU_QUALITY_EXAMPLES)
            json_array_append_new(list, json_string(x->id));
    }
    char *text = list ? json_dumps(list, JSON_COMPACT) : NULL;
    *out = au_strdup(text); /* json_dumps allocates with malloc; callers free with au_free */
    free(text);
    if (!*out)
        rc = AU_ERR_NOMEM;
out:
    json_decref(list);
    au_free(stored);
    return rc;
}

/* Writes one key: its current delta (with examples when given) and its day's arrivals. */
static au_rc put_key(au_store *st, const q_entry *e, const char *attr, const char *status,
                     const char *reason, int64_t cur, int64_t arr, const char *examples)
{
    au_quality_row row = {e->source, attr, status, reason, NULL, cur, examples};
    au_rc rc = AU_OK;
    if (cur || examples)
        rc = au_store_quality_add(st, &row);
    row.day = e->day;
    row.n = arr;
    row.examples = NULL;
    if (!rc && arr)
        rc = au_store_quality_add(st, &row);
    return rc;
}

static au_rc flush_entry(au_store *st, const q_entry *e)
{
    au_rc rc = put_key(st, e, "", "records", "", e->cur.records, e->arr.records, NULL);
    for (int a = 0; a < AU_ATTR_COUNT && !rc; a++) {
        const char *attr = au_attr_name((au_attr)a);
        rc = put_key(st, e, attr, "valid", "", e->cur.valid[a], e->arr.valid[a], NULL);
        for (int r = 0; r < AU_REASON_COUNT && !rc; r++) {
            char *examples = NULL;
            if (e->nadd[a][r] || e->nrm[a][r])
                rc = examples_after(e, st, (au_attr)a, (au_reason)r, &examples);
            if (!rc)
                rc = put_key(st, e, attr, "quarantined", au_reason_code((au_reason)r),
                             e->cur.quar[a][r], e->arr.quar[a][r], examples);
            au_free(examples);
        }
    }
    return rc;
}

static au_rc q_before_commit(void *state, au_store *st)
{
    au_quality_state *q = state;
    au_rc rc = AU_OK;
    for (const q_entry *e = q->group; e && !rc; e = e->next)
        rc = flush_entry(st, e);
    /* Written or not, the deltas are spent: on failure the group rolls back with them. The
     * stored examples change now, so the next group reads them again. */
    entries_free(q->group);
    q->group = NULL;
    json_object_clear(q->listed);
    return rc;
}

/* ---- open: a ledger for a store that has records but no counts yet ----------------------- */

typedef struct rebuild_ctx {
    au_quality_state *q;
    int64_t records;
    au_rc rc;
} rebuild_ctx;

static int count_records(void *ctx, const au_quality_row *row)
{
    rebuild_ctx *c = ctx;
    if (strcmp(row->status, "records") == 0)
        c->records++;
    return 0;
}

static int rebuild_one(void *ctx, const au_record_out *r)
{
    rebuild_ctx *c = ctx;
    au_record *rec = NULL;
    json_error_t jerr;
    json_t *doc = json_loads(r->doc, 0, &jerr);
    q_entry *e = entry_of(&c->q->group, r->source, day_of(c->q, r->at_ms));
    c->rc = !doc || !e ? AU_ERR_NOMEM : au_record_from_json(r->source, r->record_id, doc, &rec);
    if (!c->rc)
        c->rc = count_new(e, rec, 1);
    au_record_free(rec);
    json_decref(doc);
    return c->rc ? 1 : 0;
}

/* Stores written before the ledger existed (migration 5 on an older store) get their counts
 * once, from every live record; arrivals are dated by each record's current version. */
static au_rc rebuild(au_quality_state *q, au_store *st)
{
    rebuild_ctx c = {q, 0, AU_OK};
    au_rc rc = au_store_quality_list(st, NULL, NULL, count_records, &c);
    if (rc || c.records)
        return rc;
    rc = au_store_begin(st);
    if (rc)
        return rc;
    rc = au_store_record_scan(st, rebuild_one, &c);
    rc = rc ? (c.rc ? c.rc : rc) : q_before_commit(q, st);
    rc = rc ? rc : au_store_commit(st);
    if (rc) {
        AU_BEST_EFFORT(au_store_rollback(st)); /* rc is the error to report */
        q_group_rolled_back(q);
    }
    return rc;
}

static au_rc q_open(au_engine *e, au_store *st, void **state, au_err *err)
{
    au_quality_state *q = au_calloc(1, sizeof(*q));
    if (!q || !(q->listed = json_object())) {
        au_free(q);
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    au_rc rc = rebuild(q, st);
    if (rc) {
        json_decref(q->listed);
        au_free(q);
        return au_err_set(err, rc, "quality ledger: cannot count the stored records: %s",
                          au_rc_message(rc));
    }
    *state = q;
    return AU_OK;
}

static void q_close(void *state)
{
    au_quality_state *q = state;
    if (!q)
        return;
    entries_free(q->job);
    entries_free(q->group);
    json_decref(q->listed);
    au_free(q);
}

const au_engine_hook au_quality_hook = {
    .name = "quality",
    .open = q_open,
    .close = q_close,
    .record_written = q_record_written,
    .record_deleted = q_record_deleted,
    .rolled_back = q_rolled_back,
    .job_kept = q_job_kept,
    .before_commit = q_before_commit,
    .group_rolled_back = q_group_rolled_back,
};
