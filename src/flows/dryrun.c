/*
 * Dry runs (POST /v1/flows/{name}/test): a flow is evaluated the way a trigger would evaluate
 * it, condition, per-step `when` and what each step would send, and nothing is sent or
 * written. Without a context the newest matching stored event, or the newest profile change,
 * is sampled and built into a context by the same helpers the engine hook uses (hook.c).
 */
#include <stdio.h>
#include <string.h>

#include "flows/flows_int.h"
#include "flows/secrets.h"
#include "profile/profiles.h"
#include "lib/alloc.h"

/* --- samples for dry runs: a real stored context when the caller gives none ------------------ */

/* 1 when the test body asks for a sample: none, {}, {"sample": true} or a chosen one,
 * {"sample": {...}}. */
static int wants_sample(const json_t *input)
{
    json_t *s = json_object_get(input, "sample");
    return !input || (json_is_object(input) &&
                      (json_object_size(input) == 0 ||
                       (json_object_size(input) == 1 && (json_is_true(s) || json_is_object(s)))));
}

static au_rc sample_event(au_flows *f, au_store *st, const au_flow_trigger *t, json_t **ctx,
                          json_t **sampled, au_err *err)
{
    au_event_out ev;
    au_rc rc = au_store_event_latest(st, t->event_type, t->event_source, &ev);
    if (rc == AU_ERR_NOT_FOUND)
        return au_err_set(err, rc,
                          "no stored \"%s\" event to sample: give the context, e.g. "
                          "{\"event\": {...}}",
                          t->event_type);
    if (rc)
        return au_err_set(err, rc, "cannot read a sample event");
    au_event_row row = {ev.source,      ev.event_id, ev.type,       ev.at_ms,
                        ev.received_ms, ev.customer, ev.properties, ev.origin};
    *ctx = au_flows_event_ctx(f, st, &row);
    *sampled = json_pack("{s:s,s:s}", "event", ev.event_id, "source", ev.source);
    au_event_out_cleanup(&ev);
    return *ctx && *sampled ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
}

/* The newest change-feed row of a kind the trigger listens to (else the newest of any kind);
 * strings copied, the row passed to the callback is borrowed. */
typedef struct last_change {
    unsigned want;
    int matched;
    int64_t seq, profile, other;
    char kind[16], *source, *record_id;
} last_change;

static int keep_change(void *ctx, const au_change_row *c)
{
    last_change *lc = ctx;
    int match = (lc->want & au_flows_kind_bit(c->kind)) != 0;
    if (!match && lc->matched)
        return 0;
    lc->matched |= match;
    lc->seq = c->seq;
    lc->profile = c->profile;
    lc->other = c->other;
    snprintf(lc->kind, sizeof(lc->kind), "%s", c->kind);
    au_free(lc->source);
    au_free(lc->record_id);
    lc->source = c->source ? au_strdup(c->source) : NULL;
    lc->record_id = c->record_id ? au_strdup(c->record_id) : NULL;
    return 0;
}

/* How far back the feed is searched for a change of the trigger's kinds. */
#define SAMPLE_CHANGES 256

/* The context of a profile trigger for the change `lc` (its record read as it is now and as
 * it was one version before). */
static au_rc profile_ctx(au_flows *f, au_store *st, const last_change *lc, json_t **ctx,
                         au_err *err)
{
    au_record_out rec = {0}, prev = {0};
    au_rc rc = AU_OK;
    int have = lc->source && lc->record_id &&
               au_store_record_get(st, lc->source, lc->record_id, 0, &rec) == AU_OK;
    if (have && rec.version > 1 &&
        (rc = au_store_record_get(st, lc->source, lc->record_id, rec.version - 1, &prev))) {
        rc = au_err_set(err, rc, "cannot read the sampled record's previous version");
        goto out;
    }
    json_t *record =
        have ? au_flows_flat_record(lc->source, lc->record_id, rec.doc) : json_object();
    json_t *before = have && prev.version
                         ? au_flows_flat_record(lc->source, lc->record_id, prev.doc)
                         : json_object();
    json_t *changed = record && before ? au_flows_changed_attrs(record, before) : NULL;
    json_t *prof =
        au_flows_profile(f, st, lc->other && !strcmp(lc->kind, "merged") ? lc->other : lc->profile);
    *ctx = json_pack("{s:O,s:o,s:{s:s,s:s?,s:s?,s:O,s:O,s:I,s:s,s:I,s:I}}", "record", record,
                     "profile", json_is_null(prof) ? json_incref(record) : prof, "change", "kind",
                     lc->kind, "source", lc->source, "record_id", lc->record_id, "changed", changed,
                     "before", before, "version", (json_int_t)rec.version, "origin",
                     rec.origin ? rec.origin : "", "profile", (json_int_t)lc->profile, "other",
                     (json_int_t)lc->other);
    if (json_is_null(prof))
        json_decref(prof);
    json_decref(record);
    json_decref(before);
    json_decref(changed);
    rc = *ctx ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
out:
    au_record_out_cleanup(&rec);
    au_record_out_cleanup(&prev);
    return rc;
}

static au_rc sample_profile(au_flows *f, au_store *st, const au_flow_trigger *t, json_t **ctx,
                            json_t **sampled, au_err *err)
{
    last_change lc = {.want = t->profile_changes};
    int64_t max = 0;
    au_rc rc = au_store_change_max(st, &max);
    if (!rc)
        rc = au_store_changes_after(st, max > SAMPLE_CHANGES ? max - SAMPLE_CHANGES : 0,
                                    SAMPLE_CHANGES, keep_change, &lc);
    if (rc)
        rc = au_err_set(err, rc, "cannot read a sample profile change");
    else if (!lc.seq)
        rc = au_err_set(err, AU_ERR_NOT_FOUND,
                        "no stored profile change to sample: give the "
                        "context, e.g. {\"profile\": {...}}");
    if (!rc)
        rc = profile_ctx(f, st, &lc, ctx, err);
    if (!rc && !(*sampled = json_pack("{s:I,s:I}", "profile", (json_int_t)lc.profile, "change",
                                      (json_int_t)lc.seq)))
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
    au_free(lc.source);
    au_free(lc.record_id);
    return rc;
}

/* --- a chosen customer or event: {"sample": {"profile": ID}} or {"sample": {"source", "event"}} */

/* Keeps the first member record of a profile (strings copied into the last_change). */
static int first_member_of(void *ctx, const au_resolve_row *r)
{
    last_change *lc = ctx;
    if (lc->source)
        return 0;
    lc->source = au_strdup(r->source ? r->source : "");
    lc->record_id = au_strdup(r->record_id ? r->record_id : "");
    return lc->source && lc->record_id ? 0 : AU_ERR_NOMEM;
}

/* A stored event as an event trigger's context. */
static au_rc chosen_event(au_flows *f, au_store *st, const char *source, const char *id,
                          json_t **ctx, json_t **sampled, au_err *err)
{
    au_event_out ev;
    au_rc rc = au_store_event_get(st, source, id, &ev);
    if (rc == AU_ERR_NOT_FOUND)
        return au_err_set(err, rc, "no stored event \"%s\" from source \"%s\"", id, source);
    if (rc)
        return au_err_set(err, rc, "cannot read the event");
    au_event_row row = {ev.source,      ev.event_id, ev.type,       ev.at_ms,
                        ev.received_ms, ev.customer, ev.properties, ev.origin};
    *ctx = au_flows_event_ctx(f, st, &row);
    *sampled = json_pack("{s:s,s:s}", "event", ev.event_id, "source", ev.source);
    au_event_out_cleanup(&ev);
    return *ctx && *sampled ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
}

/* For an event trigger, the customer's newest event of the trigger's type (and source); for a
 * profile trigger, the customer as if its first record had just changed. */
static au_rc chosen_profile(au_flows *f, au_store *st, const au_flow_trigger *t, int64_t id,
                            json_t **ctx, json_t **sampled, au_err *err)
{
    if (t->kind == AU_TRIGGER_EVENT) {
        json_t *page = NULL;
        au_rc rc = au_profile_timeline(f->engine, st, id, 0, t->event_type, t->event_source, 1,
                                       &page, err);
        json_t *ev = json_array_get(json_object_get(page, "events"), 0);
        const char *src = json_string_value(json_object_get(ev, "source"));
        const char *eid = json_string_value(json_object_get(ev, "event_id"));
        if (!rc && (!src || !eid))
            rc = au_err_set(err, AU_ERR_NOT_FOUND,
                            "customer %lld has no \"%s\" event%s%s: choose another customer or "
                            "an event",
                            (long long)id, t->event_type, t->event_source ? " from " : "",
                            t->event_source ? t->event_source : "");
        if (!rc)
            rc = chosen_event(f, st, src, eid, ctx, sampled, err);
        json_decref(page);
        return rc;
    }
    last_change lc = {.profile = id};
    au_record_out rec = {0};
    au_rc rc = au_store_profile_members(st, id, first_member_of, &lc);
    if (!rc && !lc.source)
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "profile %lld does not exist", (long long)id);
    else if (rc)
        rc = au_err_set(err, rc, "cannot read the customer's records");
    if (!rc && au_store_record_get(st, lc.source, lc.record_id, 0, &rec) == AU_OK)
        snprintf(lc.kind, sizeof(lc.kind), "%s", rec.version > 1 ? "updated" : "created");
    au_record_out_cleanup(&rec);
    if (!rc)
        rc = profile_ctx(f, st, &lc, ctx, err);
    if (!rc && !(*sampled = json_pack("{s:I,s:{s:s,s:s}}", "profile", (json_int_t)id, "record",
                                      "source", lc.source, "record_id", lc.record_id)))
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
    au_free(lc.source);
    au_free(lc.record_id);
    return rc;
}

/* {"profile": ID} or {"source": S, "event": ID}: the chosen one's context. */
static au_rc chosen(au_flows *f, au_store *st, const au_flow_trigger *t, const json_t *choice,
                    json_t **ctx, json_t **sampled, au_err *err)
{
    json_t *p = json_object_get(choice, "profile");
    const char *src = json_string_value(json_object_get(choice, "source"));
    const char *ev = json_string_value(json_object_get(choice, "event"));
    if (json_is_integer(p) && json_integer_value(p) > 0)
        return chosen_profile(f, st, t, json_integer_value(p), ctx, sampled, err);
    if (src && ev && t->kind == AU_TRIGGER_EVENT)
        return chosen_event(f, st, src, ev, ctx, sampled, err);
    if (src && ev)
        return au_err_set(err, AU_ERR_INVALID,
                          "an event can be chosen for a flow with an event trigger only; choose a "
                          "customer ({\"sample\": {\"profile\": ID}})");
    return au_err_set(err, AU_ERR_INVALID,
                      "\"sample\" is true, {\"profile\": ID} (a positive integer) or "
                      "{\"source\": NAME, \"event\": ID}");
}

/* A stored context for a dry run of `e`: the newest matching event, or the newest profile
 * change. Webhook and schedule runs have no stored input to take one from. */
static au_rc sample(au_flows *f, const flow_entry *e, const json_t *choice, json_t **ctx,
                    json_t **sampled, au_err *err)
{
    const au_flow_trigger *t = &e->def->trigger;
    if (t->kind != AU_TRIGGER_EVENT && t->kind != AU_TRIGGER_PROFILE)
        return au_err_set(err, AU_ERR_INVALID,
                          "flow \"%s\" has a %s trigger: nothing stored to sample, give the "
                          "context, e.g. {\"%s\": {...}}",
                          e->def->name, t->kind == AU_TRIGGER_WEBHOOK ? "webhook" : "schedule",
                          t->kind == AU_TRIGGER_WEBHOOK ? "webhook" : "schedule");
    au_store *st = au_engine_reader(f->engine);
    if (!st)
        return au_err_set(err, AU_ERR_STORE, "cannot read a sample");
    au_rc rc = json_is_object(choice)        ? chosen(f, st, t, choice, ctx, sampled, err)
               : t->kind == AU_TRIGGER_EVENT ? sample_event(f, st, t, ctx, sampled, err)
                                             : sample_profile(f, st, t, ctx, sampled, err);
    au_engine_reader_release(f->engine, st);
    return rc;
}

au_rc au_flows_test(au_flows *f, const char *name, const json_t *input, json_t **out, au_err *err)
{
    flow_entry *e = au_flows_acquire(f, name);
    int64_t now = au_flows_now_ms(f);
    int match = 0;
    au_expr_error ee = {0};
    *out = NULL;
    if (!e)
        return au_err_set(err, AU_ERR_NOT_FOUND, "no flow named \"%s\"", name);
    json_t *ctx = NULL, *sampled = NULL, *steps = NULL;
    if (wants_sample(input)) {
        au_rc src = sample(f, e, json_object_get(input, "sample"), &ctx, &sampled, err);
        if (src) {
            json_decref(ctx);
            json_decref(sampled);
            au_flows_release(f, e);
            return src;
        }
    } else if (!json_is_object(input)) {
        au_flows_release(f, e);
        return au_err_set(err, AU_ERR_INVALID,
                          "the test input must be a JSON object: the run "
                          "context, e.g. {\"event\":{...}}, or {} to sample a stored one");
    } else {
        ctx = json_deep_copy(input);
    }
    steps = json_array();
    json_object_set_new(ctx, "delivery",
                        json_pack("{s:s,s:i,s:s}", "key", "dry-run", "attempt", 1, "flow", name));
    /* A dry run shows which secret a step uses, never its value. */
    json_object_set_new(ctx, "secret", au_secrets_context(f->secrets, 0));
    au_rc crc = au_flowdef_condition(e->def, ctx, now, &match, &ee);
    for (size_t i = 0; !crc && match && i < e->def->nsteps; i++) {
        const au_flow_step *s = &e->def->steps[i];
        json_t *w = NULL, *st = json_pack("{s:s,s:s}", "id", s->id, "kind", s->connector->name);
        au_expr_error we;
        if (s->when && au_expr_eval(s->when, ctx, now, &w, &we)) {
            json_object_set_new(st, "when", json_pack("{s:s}", "error", we.message));
        } else {
            int go = !s->when || au_expr_truthy(w);
            json_object_set_new(st, "when", json_boolean(go));
            if (go)
                json_object_set_new(st, "would_send", au_flows_preview(s, ctx, now));
        }
        json_decref(w);
        json_array_append_new(steps, st);
    }
    *out = json_pack("{s:s,s:o,s:s?,s:o,s:b,s:o*}", "flow", name, "condition",
                     crc ? json_null() : json_boolean(match), "condition_error",
                     crc ? ee.message : NULL, "steps", steps, "sent", 0, "sampled", sampled);
    json_decref(ctx);
    au_flows_release(f, e);
    return *out ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
}
