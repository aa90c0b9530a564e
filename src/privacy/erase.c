/*
 * Erasure of a data subject (right to erasure, docs/PRIVACY.md). Three steps, each through the
 * component that owns the data: the person's records are deleted through the engine's normal
 * write path (so the blocking index, resolution of the remaining records, golden records,
 * profile caches, the change feed and flows follow, as for any delete); then one writer job
 * purges what deletes keep (versions, events, identifier index rows, run inputs, outbox rows,
 * dead letters, change-feed ids, quality examples) and writes the receipt; then the WAL is
 * checkpointed and truncated so no erased byte stays in it (secure_delete zeroes freed pages).
 * An erasure interrupted between steps is completed by running it again.
 */
#include <string.h>
#include <time.h>

#include "flows/flows.h"
#include "lib/alloc.h"
#include "privacy/privacy_int.h"

typedef struct purge_ctx {
    const au_subject_purge *p;
    void *hook;      /* the privacy hook's state: told when the suppression list gains entries */
    au_flows *flows; /* fires `profile: [erased]` flows (NULL without the flows hook) */
    const json_t *records; /* [{"source","record_id"}]: what downstream systems need */
    au_purge_counts n;
} purge_ctx;

/* On the writer, inside the job's savepoint. */
static au_rc purge_call(void *vctx, au_store *st, int64_t at_ms, au_err *err)
{
    purge_ctx *c = vctx;
    au_subject_purge p = *c->p;
    p.at_ms = at_ms;
    au_rc rc = au_store_subject_purge(st, &p, &c->n);
    if (!rc && p.suppress)
        au_privacy_hook_suppressing(c->hook);
    if (!rc)
        rc = au_flows_fire_erased(c->flows, st, p.profile, c->records, c->n.receipt, at_ms);
    return rc ? au_err_set(err, rc, "cannot purge the person's data") : AU_OK;
}

/* Deletes each member record through the write path (an already deleted one is skipped). */
static au_rc delete_members(au_engine *e, const au_subject *s, const char *origin, au_err *err)
{
    size_t i;
    json_t *m;
    json_array_foreach(s->members, i, m)
    {
        const char *src = json_string_value(json_object_get(m, "s"));
        const char *rid = json_string_value(json_object_get(m, "r"));
        au_rc rc = au_engine_delete_record(e, src, rid, origin, err);
        if (rc == AU_ERR_NOT_FOUND) {
            au_err_cleanup(err);
            au_err_init(err);
            continue;
        }
        if (rc)
            return rc;
    }
    return AU_OK;
}

/* Copies the WAL into the database and truncates it, on a handle of its own (the writer's
 * is always inside its loop). 1 when the WAL was emptied. */
static int truncate_wal(au_engine *e)
{
    au_store *st = NULL;
    au_err err;
    au_err_init(&err);
    int done = 0;
    if (au_store_open(au_engine_location(e), AU_STORE_RW, &st, &err) == AU_OK &&
        au_store_checkpoint(st, &done) != AU_OK)
        done = 0;
    au_store_close(st);
    au_err_cleanup(&err);
    return done;
}

static char *json_text(const json_t *j)
{
    char *t = json_dumps(j, JSON_COMPACT);
    char *out = t ? au_strdup(t) : NULL;
    free(t);
    return out;
}

au_rc au_privacy_erase(au_engine *e, const au_subject_query *q, const au_erase_opts *o,
                       json_t **receipt, au_err *err)
{
    au_subject s = {0};
    au_store *rd = au_engine_reader(e);
    char *members = NULL, *refs = NULL, *needles = NULL, *hashes = NULL, *origin = NULL;
    au_rc rc = rd ? au_subject_find(e, rd, q, &s, err)
                  : au_err_set(err, AU_ERR_STORE, "no store reader available");
    if (rd)
        au_engine_reader_release(e, rd);
    if (rc)
        goto out;
    origin = au_asprintf("erasure:%s", o->key_id ? o->key_id : "");
    members = json_text(s.members);
    refs = json_text(s.refs);
    needles = json_text(s.needles);
    hashes = json_text(s.hashes);
    if (!origin || !members || !refs || !needles || !hashes) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = delete_members(e, &s, origin, err)))
        goto out;
    au_subject_purge p = {members, refs, needles, 0, o->key_id, hashes, s.profile, o->suppress};
    json_t *ids = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(s.members, i, m)
        json_array_append_new(ids, json_pack("{s:O, s:O}", "source", json_object_get(m, "s"),
                                             "record_id", json_object_get(m, "r")));
    purge_ctx c = {&p, au_engine_hook_state(e, "privacy"), au_flows_of(e), ids, {0}};
    rc = ids ? au_engine_call(e, purge_call, &c, origin, err)
             : au_err_set(err, AU_ERR_NOMEM, "out of memory");
    json_decref(ids);
    if (rc)
        goto out;
    int wal = truncate_wal(e);
    *receipt = json_pack("{s:I, s:I, s:O, s:b, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
                         "receipt", (json_int_t)c.n.receipt, "profile", (json_int_t)s.profile,
                         "identifiers", s.hashes, "suppressed", o->suppress, "wal_truncated", wal,
                         "removed", "records", (json_int_t)c.n.records, "versions",
                         (json_int_t)c.n.versions, "events", (json_int_t)c.n.events, "runs",
                         (json_int_t)c.n.runs, "dead_letters", (json_int_t)c.n.dead_letters,
                         "outbox", (json_int_t)c.n.outbox, "changes", (json_int_t)c.n.changes);
    rc = *receipt ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
out:
    au_subject_cleanup(&s);
    au_free(origin);
    au_free(members);
    au_free(refs);
    au_free(needles);
    au_free(hashes);
    return rc;
}
