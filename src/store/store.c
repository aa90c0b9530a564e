/*
 * Back-end dispatch: the registry of store back-ends and the au_store_* functions, which only
 * forward to the chosen back-end's method table. Adding a back-end is one new file defining an
 * au_store_ops plus one line in `backends` below.
 */
#include "store/store.h"

#include <string.h>

#include "lib/alloc.h"
#include "store/store_sqlite_int.h"

/* The first entry is the default, used for plain directory locations. */
static const au_store_ops *const backends[] = {
    &au_store_sqlite_ops,
};

struct au_store {
    const au_store_ops *ops; /* the back-end's method table */
    void *impl;              /* the back-end's handle, owned */
};

/* Splits "scheme:rest" when the scheme names a back-end; a plain path selects the default. A
 * prefix that looks like a scheme but names no back-end is an error rather than a directory. */
static au_rc pick_backend(const char *location, const au_store_ops **ops, const char **rest,
                          au_err *err)
{
    size_t n = strspn(location, "abcdefghijklmnopqrstuvwxyz0123456789");
    *ops = backends[0];
    *rest = location;
    if (n == 0 || location[n] != ':')
        return AU_OK;
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
        if (strlen(backends[i]->name) == n && strncmp(backends[i]->name, location, n) == 0) {
            *ops = backends[i];
            *rest = location + n + 1;
            return AU_OK;
        }
    }
    return au_err_set(err, AU_ERR_INVALID, "unknown store back-end '%.*s' in location '%s'", (int)n,
                      location, location);
}

au_rc au_store_open(const char *location, au_store_mode mode, au_store **out, au_err *err)
{
    const au_store_ops *ops;
    const char *rest;
    au_store *s = NULL;
    au_rc rc;

    *out = NULL;
    if (!location || !*location)
        return au_err_set(err, AU_ERR_INVALID, "no store location given");
    rc = pick_backend(location, &ops, &rest, err);
    if (rc)
        goto out;
    s = au_calloc(1, sizeof(*s));
    if (!s) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory opening the store");
        goto out;
    }
    s->ops = ops;
    rc = ops->open(rest, mode, &s->impl, err);
    if (rc)
        goto out;
    *out = s;
    s = NULL;
out:
    au_free(s);
    return rc;
}

void au_store_close(au_store *s)
{
    if (!s)
        return;
    s->ops->close(s->impl);
    au_free(s);
}

const char *au_store_backend(const au_store *s)
{
    return s->ops->name;
}

au_rc au_store_begin(au_store *s)
{
    return s->ops->begin(s->impl);
}

au_rc au_store_commit(au_store *s)
{
    return s->ops->commit(s->impl);
}

au_rc au_store_rollback(au_store *s)
{
    return s->ops->rollback(s->impl);
}

au_rc au_store_savepoint(au_store *s)
{
    return s->ops->savepoint(s->impl);
}

au_rc au_store_savepoint_release(au_store *s)
{
    return s->ops->savepoint_release(s->impl);
}

au_rc au_store_savepoint_rollback(au_store *s)
{
    return s->ops->savepoint_rollback(s->impl);
}

au_rc au_store_source_put(au_store *s, const char *name, const char *def_json, int64_t at_ms)
{
    return s->ops->source_put(s->impl, name, def_json, at_ms);
}

au_rc au_store_source_get(au_store *s, const char *name, char **def_json)
{
    return s->ops->source_get(s->impl, name, def_json);
}

au_rc au_store_source_list(au_store *s, au_source_cb cb, void *ctx)
{
    return s->ops->source_list(s->impl, cb, ctx);
}

au_rc au_store_record_put(au_store *s, const au_record_row *row, au_put_outcome *outcome,
                          int64_t *version)
{
    return s->ops->record_put(s->impl, row, outcome, version);
}

au_rc au_store_record_delete(au_store *s, const char *source, const char *record_id,
                             const char *origin, int64_t at_ms)
{
    return s->ops->record_delete(s->impl, source, record_id, origin, at_ms);
}

au_rc au_store_record_get(au_store *s, const char *source, const char *record_id, int64_t version,
                          au_record_out *out)
{
    return s->ops->record_get(s->impl, source, record_id, version, out);
}

au_rc au_store_record_history(au_store *s, const char *source, const char *record_id,
                              au_record_cb cb, void *ctx)
{
    return s->ops->record_history(s->impl, source, record_id, cb, ctx);
}

au_rc au_store_record_scan(au_store *s, au_record_cb cb, void *ctx)
{
    return s->ops->record_scan(s->impl, cb, ctx);
}

au_rc au_store_record_count(au_store *s, const char *source, int64_t *count)
{
    return s->ops->record_count(s->impl, source, count);
}

au_rc au_store_event_put(au_store *s, const au_event_row *ev, au_put_outcome *outcome)
{
    return s->ops->event_put(s->impl, ev, outcome);
}

au_rc au_store_event_get(au_store *s, const char *source, const char *event_id, au_event_out *out)
{
    return s->ops->event_get(s->impl, source, event_id, out);
}

au_rc au_store_key_put(au_store *s, const au_key_row *key)
{
    return s->ops->key_put(s->impl, key);
}

au_rc au_store_key_find(au_store *s, const uint8_t hash[32], au_key_out *out)
{
    return s->ops->key_find(s->impl, hash, out);
}

au_rc au_store_key_list(au_store *s, au_key_cb cb, void *ctx)
{
    return s->ops->key_list(s->impl, cb, ctx);
}

au_rc au_store_key_revoke(au_store *s, const char *id, int64_t at_ms)
{
    return s->ops->key_revoke(s->impl, id, at_ms);
}

/* --- resolution ------------------------------------------------------------------------- */

int64_t au_store_record_last_no(au_store *s)
{
    return s->ops->record_last_no(s->impl);
}

au_rc au_store_record_no(au_store *s, const char *source, const char *record_id, int64_t *no)
{
    return s->ops->record_no(s->impl, source, record_id, no);
}

au_rc au_store_record_ref(au_store *s, int64_t no, char **source, char **record_id)
{
    return s->ops->record_ref(s->impl, no, source, record_id);
}

au_rc au_store_resolve_scan(au_store *s, au_resolve_row_cb cb, void *ctx)
{
    return s->ops->resolve_scan(s->impl, cb, ctx);
}

au_rc au_store_assign_put(au_store *s, int64_t no, int64_t profile)
{
    return s->ops->assign_put(s->impl, no, profile);
}

au_rc au_store_profile_of(au_store *s, const char *source, const char *record_id, int64_t *profile)
{
    return s->ops->profile_of(s->impl, source, record_id, profile);
}

au_rc au_store_profile_members(au_store *s, int64_t profile, au_resolve_row_cb cb, void *ctx)
{
    return s->ops->profile_members(s->impl, profile, cb, ctx);
}

au_rc au_store_profile_max(au_store *s, int64_t *max)
{
    return s->ops->profile_max(s->impl, max);
}

au_rc au_store_redirect_put(au_store *s, int64_t from, int64_t into, int64_t at_ms)
{
    return s->ops->redirect_put(s->impl, from, into, at_ms);
}

au_rc au_store_redirect_get(au_store *s, int64_t from, int64_t *into)
{
    return s->ops->redirect_get(s->impl, from, into);
}

au_rc au_store_override_put(au_store *s, const au_override_row *o)
{
    return s->ops->override_put(s->impl, o);
}

au_rc au_store_override_list(au_store *s, au_override_cb cb, void *ctx)
{
    return s->ops->override_list(s->impl, cb, ctx);
}

au_rc au_store_review_put(au_store *s, const au_review_row *r)
{
    return s->ops->review_put(s->impl, r);
}

au_rc au_store_review_list(au_store *s, long limit, au_review_cb cb, void *ctx)
{
    return s->ops->review_list(s->impl, limit, cb, ctx);
}

au_rc au_store_model_put(au_store *s, const char *json, int64_t at_ms)
{
    return s->ops->model_put(s->impl, json, at_ms);
}

au_rc au_store_model_get(au_store *s, char **json)
{
    return s->ops->model_get(s->impl, json);
}

au_rc au_store_change_add(au_store *s, const au_change_row *c)
{
    return s->ops->change_add(s->impl, c);
}

au_rc au_store_changes_after(au_store *s, int64_t after, long limit, au_change_cb cb, void *ctx)
{
    return s->ops->changes_after(s->impl, after, limit, cb, ctx);
}

/* (end of the resolution functions) */

/* --- profiles --------------------------------------------------------------------------- */

au_rc au_store_record_by_no(au_store *s, int64_t no, au_record_out *out)
{
    return s->ops->record_by_no(s->impl, no, out);
}

au_rc au_store_ident_clear(au_store *s, int64_t rec)
{
    return s->ops->ident_clear(s->impl, rec);
}

au_rc au_store_ident_put(au_store *s, int kind, const char *key, int64_t rec)
{
    return s->ops->ident_put(s->impl, kind, key, rec);
}

au_rc au_store_ident_find(au_store *s, int kind, const char *key, int prefix, int limit,
                          au_ident_cb cb, void *ctx)
{
    return s->ops->ident_find(s->impl, kind, key, prefix, limit, cb, ctx);
}

au_rc au_store_event_ref_put(au_store *s, const char *ref, const char *source, const char *event_id)
{
    return s->ops->event_ref_put(s->impl, ref, source, event_id);
}

au_rc au_store_timeline(au_store *s, const char *refs_json, int64_t before_seq, const char *type,
                        const char *source, int limit, au_event_cb cb, void *ctx)
{
    return s->ops->timeline(s->impl, refs_json, before_seq, type, source, limit, cb, ctx);
}

au_rc au_store_record_profile(au_store *s, int64_t rec, int64_t *profile)
{
    return s->ops->record_profile(s->impl, rec, profile);
}

au_rc au_store_change_last(au_store *s, int64_t *seq)
{
    return s->ops->change_last(s->impl, seq);
}

/* (end of the profile functions) */

/* --- flows ------------------------------------------------------------------------------ */

au_rc au_store_flow_put(au_store *s, const char *name, const char *definition, int64_t at_ms)
{
    return s->ops->flow_put(s->impl, name, definition, at_ms);
}

au_rc au_store_flow_delete(au_store *s, const char *name)
{
    return s->ops->flow_delete(s->impl, name);
}

au_rc au_store_flow_list(au_store *s, au_flow_cb cb, void *ctx)
{
    return s->ops->flow_list(s->impl, cb, ctx);
}

au_rc au_store_outbox_add(au_store *s, const au_outbox_row *row, int *added)
{
    return s->ops->outbox_add(s->impl, row, added);
}

au_rc au_store_outbox_pending(au_store *s, int limit, au_outbox_cb cb, void *ctx)
{
    return s->ops->outbox_pending(s->impl, limit, cb, ctx);
}

au_rc au_store_outbox_set(au_store *s, int64_t id, int status, int attempts, int64_t next_ms,
                          const char *last_error)
{
    return s->ops->outbox_set(s->impl, id, status, attempts, next_ms, last_error);
}

au_rc au_store_run_add(au_store *s, const au_run_row *row, int64_t *id)
{
    return s->ops->run_add(s->impl, row, id);
}

au_rc au_store_run_step(au_store *s, int64_t run_id, const char *step_id, const char *summary,
                        int done, int failed, const char *error, int attempts, int64_t at_ms)
{
    return s->ops->run_step(s->impl, run_id, step_id, summary, done, failed, error, attempts,
                            at_ms);
}

au_rc au_store_run_list(au_store *s, const char *flow, const char *status, int64_t before,
                        int limit, au_run_cb cb, void *ctx)
{
    return s->ops->run_list(s->impl, flow, status, before, limit, cb, ctx);
}

au_rc au_store_run_counts(au_store *s, const char *flow, au_run_counts *out)
{
    return s->ops->run_counts(s->impl, flow, out);
}

au_rc au_store_dead_add(au_store *s, const au_dead_row *row, int64_t *id)
{
    return s->ops->dead_add(s->impl, row, id);
}

au_rc au_store_dead_list(au_store *s, const char *flow, int open_only, int limit, au_dead_cb cb,
                         void *ctx)
{
    return s->ops->dead_list(s->impl, flow, open_only, limit, cb, ctx);
}

au_rc au_store_dead_replay(au_store *s, int64_t id, int64_t at_ms)
{
    return s->ops->dead_replay(s->impl, id, at_ms);
}

au_rc au_store_change_max(au_store *s, int64_t *seq)
{
    return s->ops->change_max(s->impl, seq);
}

au_rc au_store_event_latest(au_store *s, const char *type, const char *source, au_event_out *out)
{
    return s->ops->event_latest(s->impl, type, source, out);
}

/* (end of the flow functions) */

/* --- events: linkage to customers -------------------------------------------------------- */

au_rc au_store_events_unlinked(au_store *s, au_unlinked_cb cb, void *ctx)
{
    return s->ops->events_unlinked(s->impl, cb, ctx);
}

/* (end of the event functions) */
au_rc au_store_quality_add(au_store *s, const au_quality_row *row)
{
    return s->ops->quality_add(s->impl, row);
}

au_rc au_store_quality_examples(au_store *s, const char *source, const char *attribute,
                                const char *reason, char **json)
{
    return s->ops->quality_examples(s->impl, source, attribute, reason, json);
}

au_rc au_store_quality_list(au_store *s, const char *source, const char *since, au_quality_cb cb,
                            void *ctx)
{
    return s->ops->quality_list(s->impl, source, since, cb, ctx);
}

au_rc au_store_record_ids(au_store *s, const char *source, int64_t after, int limit, au_ident_cb cb,
                          void *ctx)
{
    return s->ops->record_ids(s->impl, source, after, limit, cb, ctx);
}

/* (end of the quality functions) */

/* The *_out structs are back-end independent, so their cleanup lives here. */

void au_record_out_cleanup(au_record_out *r)
{
    if (!r)
        return;
    au_free(r->source);
    au_free(r->record_id);
    au_free(r->doc);
    au_free(r->origin);
    memset(r, 0, sizeof(*r));
}

void au_event_out_cleanup(au_event_out *e)
{
    if (!e)
        return;
    au_free(e->source);
    au_free(e->event_id);
    au_free(e->type);
    au_free(e->customer);
    au_free(e->properties);
    au_free(e->origin);
    memset(e, 0, sizeof(*e));
}

void au_key_out_cleanup(au_key_out *k)
{
    if (!k)
        return;
    au_free(k->id);
    au_free(k->scopes);
    au_free(k->name);
    memset(k, 0, sizeof(*k));
}
