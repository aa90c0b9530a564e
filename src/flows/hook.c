/*
 * The engine hook "flows": turns events and record changes into runs inside the write
 * transaction, so a change and its outbox rows commit together or not at all. Wired by the
 * composition root (src/app/compose.c). Runs start in run.c; webhook and schedule triggers are
 * in webhook.c and schedule.c, run history in history.c and dry runs in dryrun.c; the dry runs
 * build their sample contexts with the helpers defined here (declared in flows_int.h) so a dry
 * run sees what a real trigger would.
 *
 * Loop prevention: a write made by a flow's upsert_record step carries the origin
 * "flow:<name>", and a change or event with that origin never triggers the flow <name> again.
 */
#include <stdlib.h>
#include <string.h>

#include "flows/flows_int.h"
#include "lib/alloc.h"
#include "lib/log.h"
#include "record/record.h"

/* 1 when a write with `origin` came from flow `name` itself (it must not re-trigger it). */
static int own_write(const char *origin, const char *name)
{
    return origin && !strncmp(origin, "flow:", 5) && !strcmp(origin + 5, name);
}

/* --- the hook: events ---------------------------------------------------------------------- */

json_t *au_flows_event_ctx(au_flows *f, au_store *st, const au_event_row *ev)
{
    json_t *props = ev->properties ? json_loads(ev->properties, 0, NULL) : NULL;
    json_t *cust = ev->customer ? json_loads(ev->customer, 0, NULL) : NULL;
    json_t *prof = au_flows_customer_profile(f, st, cust);
    json_t *evj =
        json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:s}", "id", ev->event_id, "type", ev->type,
                  "source", ev->source, "at", au_flows_iso_time(ev->at_ms), "received_at",
                  au_flows_iso_time(ev->received_ms), "properties", props ? props : json_object(),
                  "customer", cust ? cust : json_null(), "origin", ev->origin ? ev->origin : "");
    return evj ? json_pack("{s:o,s:o}", "event", evj, "profile", prof) : NULL;
}

/* Deliveries for one customer keep their order: the profile when known, else the reference. */
static char *event_partition(const json_t *ctx, const au_event_row *ev)
{
    json_int_t id = json_integer_value(json_object_get(json_object_get(ctx, "profile"), "id"));
    return id > 0 ? au_asprintf("profile:%lld", (long long)id)
                  : au_strdup(ev->customer ? ev->customer : "");
}

static au_rc on_event(void *state, au_store *st, const au_event_row *ev)
{
    au_flows *f = state;
    size_t n = 0;
    au_rc rc = AU_OK;
    json_t *ctx = NULL;
    char *tid = NULL, *part = NULL;
    flow_entry **all = au_flows_snapshot(f, &n);
    if (!all)
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        const au_flow_trigger *t = &all[i]->def->trigger;
        if (t->kind != AU_TRIGGER_EVENT || strcmp(t->event_type, ev->type) ||
            (t->event_source && strcmp(t->event_source, ev->source)) ||
            own_write(ev->origin, all[i]->def->name))
            continue;
        if (!ctx &&
            (!(ctx = au_flows_event_ctx(f, st, ev)) || !(part = event_partition(ctx, ev)))) {
            rc = AU_ERR_NOMEM;
            break;
        }
        if (!tid && !(tid = au_asprintf("event:%s/%s", ev->source, ev->event_id))) {
            rc = AU_ERR_NOMEM;
            break;
        }
        rc = au_flows_fire(f, st, all[i], tid, ctx, part, au_flows_now_ms(f), NULL);
    }
    for (size_t i = 0; i < n; i++)
        au_flows_release(f, all[i]);
    au_free(all);
    au_free(tid);
    au_free(part);
    json_decref(ctx);
    return rc;
}

/* --- the hook: record changes (profile triggers) ------------------------------------------- */

/* {"source","record_id", attribute: value..., custom fields...} from a stored document. The
 * attributes are decoded by the record module (au_record_doc_attrs), never read by hand: the
 * stored form is compact (an attribute whose three forms agree is a bare string), and a reader
 * of its own once missed exactly those, so clean e-mails, phones and dates never "changed".
 * An attribute's value is its cleaned form, else its raw form (a dirty value is kept). */
json_t *au_flows_flat_record(const char *source, const char *record_id, const char *doc)
{
    json_t *d = doc ? json_loads(doc, 0, NULL) : NULL, *out = json_object(), *v;
    json_t *attrs = au_record_doc_attrs(d);
    const char *k;
    json_object_foreach(json_object_get(d, "custom"), k, v)
    {
        json_object_set(out, k, v);
    }
    json_object_foreach(attrs, k, v)
    {
        json_t *val = json_object_get(v, "value");
        json_object_set(out, k, val ? val : json_object_get(v, "raw"));
    }
    json_object_set_new(out, "source", json_string(source));
    json_object_set_new(out, "record_id", json_string(record_id));
    json_decref(attrs);
    json_decref(d);
    return out;
}

/* 1 for the keys every flat record has (they name the record, they are not its content). */
static int is_identity(const char *k)
{
    return !strcmp(k, "source") || !strcmp(k, "record_id");
}

/* Names of the attributes whose value differs between two flat records. */
json_t *au_flows_changed_attrs(const json_t *now, const json_t *before)
{
    json_t *out = json_array(), *v;
    const char *k;
    json_object_foreach((json_t *)now, k, v)
    {
        if (!is_identity(k) && !json_equal(v, json_object_get(before, k)))
            json_array_append_new(out, json_string(k));
    }
    json_object_foreach((json_t *)before, k, v)
    {
        if (!is_identity(k) && !json_object_get(now, k))
            json_array_append_new(out, json_string(k));
    }
    return out;
}

static int attrs_hit(const au_flow_trigger *t, const json_t *changed)
{
    if (!t->nattributes)
        return json_array_size(changed) > 0;
    for (size_t i = 0; i < t->nattributes; i++)
        for (size_t k = 0; k < json_array_size(changed); k++)
            if (!strcmp(t->attributes[i], json_string_value(json_array_get(changed, k))))
                return 1;
    return 0;
}

typedef struct change {
    const char *kind; /* created, updated, merged, split, deleted */
    unsigned bit;     /* AU_PROFILE_* */
    const char *source, *record_id, *origin;
    int64_t version;
    int64_t seq, profile, other; /* change-feed row; 0 when the change is a record's own */
    json_t *record, *changed;    /* borrowed */
    json_t *before;              /* borrowed: the record before the change ({} when created) */
} change;

unsigned au_flows_kind_bit(const char *kind)
{
    static const char *const kinds[] = {"created", "updated", "merged", "split", "deleted"};
    for (unsigned i = 0; i < 5; i++)
        if (!strcmp(kind, kinds[i]))
            return 1u << i;
    return 0;
}

static au_rc fire_change(au_flows *f, au_store *st, const change *c)
{
    size_t n = 0;
    au_rc rc = AU_OK;
    json_t *prof = NULL;
    flow_entry **all = au_flows_snapshot(f, &n);
    char *tid =
        c->seq ? au_asprintf("change:%lld", (long long)c->seq)
               : au_asprintf("record:%s/%s/%lld", c->source, c->record_id, (long long)c->version);
    char *part = c->profile ? au_asprintf("profile:%lld", (long long)c->profile)
                            : au_asprintf("%s/%s", c->source, c->record_id);
    if (!all || !tid || !part)
        rc = AU_ERR_NOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        const au_flow_trigger *t = &all[i]->def->trigger;
        if (t->kind != AU_TRIGGER_PROFILE || !(t->profile_changes & c->bit) ||
            own_write(c->origin, all[i]->def->name) ||
            (c->bit == AU_PROFILE_UPDATED && !attrs_hit(t, c->changed)))
            continue;
        /* Without the profile module (or before assignment) `profile` is the record itself. */
        if (!prof)
            prof = c->profile
                       ? au_flows_profile(
                             f, st, c->other && c->bit == AU_PROFILE_MERGED ? c->other : c->profile)
                       : json_null();
        json_t *pj = json_is_null(prof) ? c->record : prof;
        json_t *ctx =
            json_pack("{s:O,s:O,s:{s:s,s:s,s:s,s:O,s:O,s:I,s:s,s:I,s:I}}", "record", c->record,
                      "profile", pj, "change", "kind", c->kind, "source", c->source, "record_id",
                      c->record_id, "changed", c->changed, "before", c->before, "version",
                      (json_int_t)c->version, "origin", c->origin ? c->origin : "", "profile",
                      (json_int_t)c->profile, "other", (json_int_t)c->other);
        rc = ctx ? au_flows_fire(f, st, all[i], tid, ctx, part, au_flows_now_ms(f), NULL)
                 : AU_ERR_NOMEM;
        json_decref(ctx);
    }
    for (size_t i = 0; i < n; i++)
        au_flows_release(f, all[i]);
    au_free(all);
    au_free(tid);
    au_free(part);
    json_decref(prof);
    return rc;
}

/* The change-feed rows this write appended (resolution writes them just before this hook). */
typedef struct feed {
    change base; /* the record write */
    au_flows *f;
    au_store *st;
    int fired;
    au_rc rc;
} feed;

static int on_feed_row(void *ctx, const au_change_row *row)
{
    feed *fd = ctx;
    if (row->seq <= fd->f->change_seq || !row->source || !row->record_id ||
        strcmp(row->source, fd->base.source) || strcmp(row->record_id, fd->base.record_id))
        return 0;
    fd->f->change_seq = row->seq;
    change c = fd->base;
    c.kind = row->kind;
    c.bit = au_flows_kind_bit(row->kind);
    c.seq = row->seq;
    c.profile = row->profile;
    c.other = row->other;
    fd->fired = 1;
    fd->rc = fire_change(fd->f, fd->st, &c);
    return fd->rc ? fd->rc : 0;
}

/* Fires the profile changes of a record write: the change-feed rows it caused when there are
 * any (profiles created, updated, merged, split, deleted), else the record's own change. */
static au_rc fire_write(au_flows *f, au_store *st, const change *base)
{
    feed fd = {*base, f, st, 0, AU_OK};
    int64_t max = 0;
    if (au_store_change_max(st, &max) == AU_OK && max > f->change_seq) {
        int64_t from = max - 64 > f->change_seq ? max - 64 : f->change_seq;
        au_rc rc = au_store_changes_after(st, from, 64, on_feed_row, &fd);
        if (rc && !fd.rc)
            return rc;
        if (fd.rc)
            return fd.rc;
    }
    return fd.fired ? AU_OK : fire_change(f, st, base);
}

static au_rc on_record(void *state, au_store *st, const au_record *r, au_put_outcome outcome,
                       int64_t version, int64_t at_ms)
{
    au_flows *f = state;
    au_record_out now = {0}, before = {0};
    (void)at_ms; /* runs are timed by the flows' clock (au_flows_now_ms) */
    json_t *flat = NULL, *prev = NULL, *changed = NULL;
    if (!f->record_flows)
        return AU_OK;
    /* The hook is not told the origin; the version just written has it. */
    au_rc rc = au_store_record_get(st, r->source, r->record_id, version, &now);
    if (rc)
        goto out;
    flat = au_flows_flat_record(r->source, r->record_id, now.doc);
    /* A record created again after a deletion has a tombstone before it: nothing was there. */
    if (outcome != AU_PUT_INSERTED && version > 1 &&
        au_store_record_get(st, r->source, r->record_id, version - 1, &before) == 0)
        prev = au_flows_flat_record(r->source, r->record_id, before.doc);
    else
        prev = json_object();
    changed = au_flows_changed_attrs(flat, prev);
    if (!flat || !prev || !changed) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    int created = outcome == AU_PUT_INSERTED;
    change c = {.kind = created ? "created" : "updated",
                .bit = created ? AU_PROFILE_CREATED : AU_PROFILE_UPDATED,
                .source = r->source,
                .record_id = r->record_id,
                .origin = now.origin,
                .version = version,
                .record = flat,
                .changed = changed,
                .before = prev};
    rc = fire_write(f, st, &c);
out:
    au_record_out_cleanup(&now);
    au_record_out_cleanup(&before);
    json_decref(flat);
    json_decref(prev);
    json_decref(changed);
    return rc;
}

static au_rc on_delete(void *state, au_store *st, const char *source, const char *record_id,
                       int64_t at_ms)
{
    au_flows *f = state;
    au_record_out now = {0}, last = {0};
    (void)at_ms; /* runs are timed by the flows' clock (au_flows_now_ms) */
    if (!f->record_flows)
        return AU_OK;
    /* `now` is the tombstone just written; the version before it is what was deleted. */
    au_rc rc = au_store_record_get(st, source, record_id, 0, &now);
    if (rc)
        return rc == AU_ERR_NOT_FOUND ? AU_OK : rc;
    if (now.version > 1 &&
        (rc = au_store_record_get(st, source, record_id, now.version - 1, &last)) != AU_OK) {
        au_record_out_cleanup(&now);
        return rc; /* a wrong change.before would fire flows that should not */
    }
    json_t *flat = json_pack("{s:s,s:s}", "source", source, "record_id", record_id);
    json_t *before = au_flows_flat_record(source, record_id, last.doc);
    json_t *changed = flat && before ? au_flows_changed_attrs(flat, before) : NULL;
    change c = {.kind = "deleted",
                .bit = AU_PROFILE_DELETED,
                .source = source,
                .record_id = record_id,
                .origin = now.origin,
                .version = now.version,
                .record = flat,
                .changed = changed,
                .before = before};
    rc = changed ? fire_write(f, st, &c) : AU_ERR_NOMEM;
    json_decref(flat);
    json_decref(before);
    json_decref(changed);
    au_record_out_cleanup(&now);
    au_record_out_cleanup(&last);
    return rc;
}

/* Rolled-back change rows may be written again with the same numbers. */
static void on_rolled_back(void *state, au_store *st)
{
    au_flows *f = state;
    (void)st;
    f->change_seq = f->change_commit;
}

static void on_committed(void *state)
{
    au_flows *f = state;
    f->change_commit = f->change_seq;
    if (atomic_exchange(&f->kicked, 0))
        au_flows_deliver_kick(f);
}

/* The clock runs, retries and schedules are timed by: the real one, unless the configuration
 * says `clock: {offset_file: PATH}` (a relative PATH is in the data directory). That file is how
 * the runtime tests move the daemon's time forward instead of sleeping; it is read only when
 * configured, so it is no way in for anyone who cannot already change the configuration. */
static au_rc open_clock(au_flows *f, const au_config *cfg, au_err *err)
{
    const json_t *sec = json_object_get(cfg->doc, "clock");
    const char *file = json_string_value(json_object_get(sec, "offset_file"));
    f->clock = au_clock_system();
    if (!sec)
        return AU_OK;
    if (!json_is_object(sec) || json_object_size(sec) != 1 || !file || !*file)
        return au_err_set(err, AU_ERR_INVALID,
                          "clock: must be a mapping {offset_file: PATH} (for tests only)");
    char *path = file[0] == '/' ? au_strdup(file)
                                : au_asprintf("%s/%s", au_engine_data_dir(f->engine), file);
    f->offset = au_calloc(1, sizeof(*f->offset));
    au_rc rc = path && f->offset ? au_offset_clock_init(f->offset, path) : AU_ERR_NOMEM;
    au_free(path);
    if (rc)
        return au_err_set(err, rc, "clock: offset_file: %s",
                          rc == AU_ERR_NOMEM ? "out of memory" : "path too long");
    f->clock = &f->offset->clock;
    au_log(AU_LOG_WARN, "the flows' clock is offset by a file (a test configuration)", "file",
           f->offset->path, NULL);
    return AU_OK;
}

static au_rc on_open(au_engine *e, au_store *st, void **state, au_err *err)
{
    au_flows *f = au_calloc(1, sizeof(*f));
    if (!f)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    f->engine = e;
    au_node_name(au_engine_config(e), au_engine_data_dir(e), f->node, sizeof(f->node));
    pthread_mutex_init(&f->mu, NULL);
    pthread_mutex_init(&f->dl_mu, NULL);
    pthread_cond_init(&f->sched_cv, NULL);
    pthread_cond_init(&f->passed_cv, NULL);
    *state = f;
    if (au_store_change_max(st, &f->change_seq))
        f->change_seq = 0;
    f->change_commit = f->change_seq;
    au_rc rc = open_clock(f, au_engine_config(e), err);
    if (!rc)
        rc = au_flows_security_open(f, au_engine_config(e), err);
    return rc ? rc : au_flows_load(f, au_engine_config(e), st, err);
}

static void on_close(void *state)
{
    au_flows *f = state;
    if (!f)
        return;
    au_flows_sched_stop(f);
    au_flows_deliver_stop(f);
    au_flows_free_entries(f);
    au_flows_security_close(f);
    au_free(f->offset);
    pthread_cond_destroy(&f->sched_cv);
    pthread_cond_destroy(&f->passed_cv);
    pthread_mutex_destroy(&f->mu);
    pthread_mutex_destroy(&f->dl_mu);
    au_free(f);
}

const au_engine_hook au_flows_hook = {
    .name = "flows",
    .open = on_open,
    .close = on_close,
    .record_written = on_record,
    .record_deleted = on_delete,
    .event_written = on_event,
    .rolled_back = on_rolled_back,
    .committed = on_committed,
};

au_flows *au_flows_of(au_engine *e)
{
    return au_engine_hook_state(e, "flows");
}

au_rc au_flows_start(au_flows *f, au_err *err)
{
    au_rc rc = au_flows_deliver_start(f, err);
    if (!rc)
        rc = au_flows_sched_start(f, err);
    return rc;
}

void au_flows_stop(au_flows *f)
{
    if (!f)
        return;
    au_flows_sched_stop(f);
    au_flows_deliver_stop(f);
}
