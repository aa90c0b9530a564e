/*
 * The run context of one sync: documents a kind hands over are mapped (au_record_batch, the
 * mapping `aurum import` and the API use), batched and written through the engine; the cursor
 * is persisted through the writer only after the batch it covers was committed. A refused
 * document is counted and logged with its reason, never a reason to stop: data fidelity is the
 * import's.
 */
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "core/batch.h"
#include "core/reads.h"
#include "flows/flows.h"
#include "flows/secrets.h"
#include "inbound/inbound_int.h"
#include "lib/alloc.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/progress.h"

struct au_inbound_run {
    au_engine *engine;     /* borrowed */
    char *source;          /* owned */
    const json_t *def;     /* the inbound block, borrowed */
    const au_source *src;  /* acquired for the run */
    char *origin;          /* "inbound:<source>", written with every record */
    char *cursor;          /* persisted cursor, owned, NULL when none */
    au_record_batch recs;  /* records mapped, owned until written */
    size_t batch;          /* records per write */
    long index;            /* documents seen, for error details */
    au_inbound_counts n;   /* what the run did so far */
    au_progress prog;      /* progress line (out NULL: none) */
    _Atomic int cancelled; /* set by au_inbound_run_cancel */
};

au_rc au_inbound_run_new(au_engine *e, const char *source, const json_t *def, FILE *progress,
                         au_inbound_run **out, au_err *err)
{
    au_inbound_run *r = au_calloc(1, sizeof *r);
    char *state = NULL;
    au_rc rc = AU_ERR_NOMEM;
    if (!r)
        return rc;
    r->engine = e;
    r->def = def;
    r->batch = (size_t)au_inbound_int(def, "batch", AU_INBOUND_BATCH_DEFAULT);
    if (!r->batch)
        r->batch = AU_INBOUND_BATCH_DEFAULT;
    au_progress_init_on(&r->prog, source, 0, progress, progress && isatty(fileno(progress)),
                        au_progress_now);
    if (!(r->source = au_strdup(source)) || !(r->origin = au_asprintf("inbound:%s", source)))
        goto fail;
    if (!(r->src = au_engine_source_acquire(e, source))) {
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "unknown source '%s'", source);
        goto fail;
    }
    au_record_batch_init(&r->recs, r->src, NULL);
    if ((rc = au_inbound_load(e, source, &r->cursor, &state))) {
        au_err_set(err, rc, "cannot read the cursor of '%s'", source);
        goto fail;
    }
    au_free(state);
    *out = r;
    return AU_OK;
fail:
    if (rc == AU_ERR_NOMEM)
        au_err_set(err, rc, "out of memory");
    au_inbound_run_free(r);
    return rc;
}

void au_inbound_run_free(au_inbound_run *r)
{
    if (!r)
        return;
    au_record_batch_cleanup(&r->recs);
    if (r->src)
        au_engine_source_release(r->engine, r->src);
    au_progress_finish(&r->prog, r->n.read, 0);
    au_free(r->source);
    au_free(r->origin);
    au_free(r->cursor);
    au_free(r);
}

const au_inbound_counts *au_inbound_run_counts(const au_inbound_run *r)
{
    return &r->n;
}

void au_inbound_run_cancel(au_inbound_run *r)
{
    atomic_store(&r->cancelled, 1);
}

const char *au_inbound_source(const au_inbound_run *r)
{
    return r->source;
}

const json_t *au_inbound_def(const au_inbound_run *r)
{
    return r->def;
}

au_engine *au_inbound_engine(const au_inbound_run *r)
{
    return r->engine;
}

const char *au_inbound_cursor(const au_inbound_run *r)
{
    return r->cursor;
}

int au_inbound_stopping(const au_inbound_run *r)
{
    return atomic_load(&((au_inbound_run *)r)->cancelled);
}

char *au_inbound_id_field(au_inbound_run *r)
{
    return au_strdup(json_string_value(json_object_get(au_source_definition(r->src), "record_id")));
}

int au_inbound_progress_on(const au_inbound_run *r)
{
    return r->prog.out != NULL;
}

size_t au_inbound_batch(const au_inbound_run *r)
{
    return r->batch;
}

au_rc au_inbound_secret(au_inbound_run *r, const char *name, char **value, au_err *err)
{
    au_flows *f = au_flows_of(r->engine);
    struct au_secrets *s = f ? au_flows_secrets(f) : NULL;
    json_t *all = s ? au_secrets_context(s, 1) : NULL;
    const char *v = json_string_value(json_object_get(all, name));
    au_rc rc = AU_OK;
    *value = NULL;
    if (!v)
        rc = au_err_set(err, AU_ERR_NOT_FOUND, "secret '%s' is not in the secrets store", name);
    else if (!(*value = au_strdup(v)))
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory");
    json_decref(all);
    return rc;
}

/* Writes the queued records and waits for their commit. */
static au_rc flush(au_inbound_run *r, au_err *err)
{
    if (!r->recs.n)
        return AU_OK;
    au_write_summary ws = {0};
    /* The engine owns the submitted records now, even when it failed. */
    au_rc rc = au_record_batch_write(&r->recs, r->engine, r->origin, &ws, err);
    if (rc)
        return rc;
    r->n.inserted += ws.inserted;
    r->n.updated += ws.updated;
    r->n.unchanged += ws.unchanged;
    au_progress_update(&r->prog, r->n.read, 0);
    return AU_OK;
}

static void refuse(au_inbound_run *r, const au_err *merr)
{
    r->n.refused++;
    const char *rid = merr->ndetails ? merr->details[0].record_id : NULL;
    au_log(AU_LOG_WARN, "inbound document refused", "source", r->source, "record", rid ? rid : "?",
           "reason", merr->message, NULL);
}

au_rc au_inbound_put(au_inbound_run *r, const json_t *doc, au_err *err)
{
    au_err merr;
    au_err_init(&merr);
    r->n.read++;
    au_rc rc = au_record_batch_add(&r->recs, doc, r->index++, &merr);
    if (rc == AU_ERR_INVALID || rc == AU_ERR_ENCODING) {
        refuse(r, &merr);
        rc = AU_OK;
    } else if (rc) {
        au_err_set(err, rc, "mapping: %s", merr.message);
    } else {
        const au_record *rec = r->recs.recs[r->recs.n - 1];
        for (int a = 0; a < AU_ATTR_COUNT; a++)
            r->n.quarantined += au_record_is_quarantined(rec, (au_attr)a);
        if (r->recs.n == r->batch)
            rc = flush(r, err);
    }
    au_err_cleanup(&merr);
    return rc;
}

au_rc au_inbound_delete(au_inbound_run *r, const char *record_id, au_err *err)
{
    au_rc rc = flush(r, err);
    if (rc)
        return rc;
    r->n.read++;
    au_err e2;
    au_err_init(&e2);
    rc = au_engine_delete_record(r->engine, r->source, record_id, r->origin, &e2);
    if (!rc)
        r->n.deleted++;
    else if (rc == AU_ERR_NOT_FOUND)
        rc = AU_OK; /* never imported, or deleted already: nothing to do */
    else
        au_err_set(err, rc, "deleting %s: %s", record_id, e2.message);
    au_err_cleanup(&e2);
    return rc;
}

au_rc au_inbound_put_or_delete(au_inbound_run *r, const json_t *doc, const char *deleted_field,
                               au_err *err)
{
    const char *idf = json_string_value(json_object_get(au_source_definition(r->src), "record_id"));
    const json_t *rid = idf ? json_object_get(doc, idf) : NULL;
    if (!deleted_field || !au_inbound_truthy(json_object_get(doc, deleted_field)) ||
        !(json_is_string(rid) || json_is_integer(rid)))
        return au_inbound_put(r, doc, err);
    char num[32];
    snprintf(num, sizeof num, "%lld", (long long)json_integer_value(rid));
    return au_inbound_delete(r, json_is_string(rid) ? json_string_value(rid) : num, err);
}

void au_inbound_refuse(au_inbound_run *r, const char *reason)
{
    r->n.read++;
    r->n.refused++;
    au_log(AU_LOG_WARN, "inbound document refused", "source", r->source, "reason", reason, NULL);
}

au_rc au_inbound_commit(au_inbound_run *r, const char *cursor, au_err *err)
{
    au_rc rc = flush(r, err);
    if (rc || !cursor || (r->cursor && strcmp(r->cursor, cursor) == 0))
        return rc;
    char *copy = au_strdup(cursor);
    if (!copy)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    if ((rc = au_inbound_persist(r->engine, r->source, cursor, NULL, err))) {
        au_free(copy);
        return rc;
    }
    au_free(r->cursor);
    r->cursor = copy;
    return AU_OK;
}

void au_inbound_add_counts(au_inbound_run *r, const au_inbound_counts *c)
{
    r->n.read += c->read;
    r->n.inserted += c->inserted;
    r->n.updated += c->updated;
    r->n.unchanged += c->unchanged;
    r->n.quarantined += c->quarantined;
    r->n.refused += c->refused;
    r->n.deleted += c->deleted;
}

au_rc au_inbound_call(au_inbound_run *r, au_engine_call_fn fn, void *ctx, au_err *err)
{
    return au_engine_call(r->engine, fn, ctx, r->origin, err);
}

/* --- persisted state ------------------------------------------------------------------------ */

au_rc au_inbound_load(au_engine *e, const char *source, char **cursor, char **state)
{
    *cursor = *state = NULL;
    au_store *st = au_engine_reader(e);
    if (!st)
        return AU_ERR_BUSY;
    au_rc rc = au_store_inbound_get(st, source, cursor, state);
    au_engine_reader_release(e, st);
    return rc == AU_ERR_NOT_FOUND ? AU_OK : rc;
}

typedef struct persist_ctx {
    const char *source, *cursor, *state;
} persist_ctx;

static au_rc persist_fn(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    persist_ctx *p = ctx;
    au_rc rc = au_store_inbound_put(st, p->source, p->cursor, p->state, at_ms);
    return rc ? au_err_set(err, rc, "cannot store the cursor of '%s'", p->source) : AU_OK;
}

au_rc au_inbound_persist(au_engine *e, const char *source, const char *cursor, const char *state,
                         au_err *err)
{
    persist_ctx p = {source, cursor, state};
    return au_engine_call(e, persist_fn, &p, "inbound", err);
}

void au_inbound_counts_print(FILE *f, const au_inbound_counts *c)
{
    fprintf(f,
            "read %ld, inserted %ld, updated %ld, unchanged %ld, quarantined %ld, refused %ld, "
            "deleted %ld\n",
            c->read, c->inserted, c->updated, c->unchanged, c->quarantined, c->refused, c->deleted);
}
