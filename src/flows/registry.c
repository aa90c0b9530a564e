/*
 * The registry of installed flows: definitions from the configuration's `flows:` section (a
 * list whose items are file paths or inline definitions) and from the store (saved with
 * PUT /v1/flows/{name}; they win over the file, like sources). Entries are reference-counted
 * so that PUT, DELETE and SIGHUP reloads never pull a definition from under a delivery.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "flows/flows_int.h"
#include "lib/alloc.h"
#include "lib/array.h"
#include "lib/log.h"

static void entry_free(flow_entry *e)
{
    if (!e)
        return;
    for (size_t i = 0; e->def && i < e->def->nsteps; i++) {
        const au_connector *c = e->def->steps[i].connector;
        if (e->prepared && e->prepared[i] && c->close)
            c->close(e->states[i]);
    }
    au_free(e->states);
    au_free(e->prepared);
    pthread_mutex_destroy(&e->prep_mu);
    au_flowdef_free(e->def);
    au_free(e->text);
    au_free(e);
}

flow_stats *au_flows_stats(au_flows *f, const char *name)
{
    flow_stats *s;
    pthread_mutex_lock(&f->mu);
    for (s = f->stats; s && strcmp(s->name, name); s = s->next)
        ;
    if (!s && (s = au_calloc(1, sizeof(*s)))) {
        if (!(s->name = au_strdup(name))) {
            au_free(s);
            s = NULL;
        } else {
            s->next = f->stats;
            f->stats = s;
        }
    }
    pthread_mutex_unlock(&f->mu);
    return s;
}

static ssize_t find(au_flows *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->entries[i]->def->name, name))
            return (ssize_t)i;
    return -1;
}

/* Drops the registry's reference (under mu). */
static void unref_locked(flow_entry *e, flow_entry **to_free)
{
    if (--e->refs == 0)
        *to_free = e;
}

static void recompute_flags(au_flows *f)
{
    int rec = 0;
    for (size_t i = 0; i < f->n; i++)
        rec |= f->entries[i]->def->trigger.kind == AU_TRIGGER_PROFILE;
    f->record_flows = rec;
}

au_rc au_flows_install(au_flows *f, au_flowdef *def, const char *text, int from_store)
{
    flow_entry *e = au_calloc(1, sizeof(*e)), *old = NULL;
    au_rc rc = AU_ERR_NOMEM;
    if (!e)
        goto fail;
    pthread_mutex_init(&e->prep_mu, NULL);
    e->def = def;
    e->from_store = from_store;
    e->refs = 1;
    e->text = au_strdup(text ? text : "");
    e->states = au_calloc(def->nsteps, sizeof(void *));
    e->prepared = au_calloc(def->nsteps, sizeof(int));
    e->stats = au_flows_stats(f, def->name);
    if (!e->text || !e->states || !e->prepared || !e->stats)
        goto fail;
    pthread_mutex_lock(&f->mu);
    ssize_t i = find(f, def->name);
    if (i >= 0) {
        unref_locked(f->entries[i], &old);
        f->entries[i] = e;
    } else if (AU_ARRAY_GROW(f->entries, f->cap, f->n + 1, 16)) {
        pthread_mutex_unlock(&f->mu);
        goto fail;
    } else {
        f->entries[f->n++] = e;
    }
    recompute_flags(f);
    pthread_mutex_unlock(&f->mu);
    entry_free(old);
    return AU_OK;
fail:
    if (e) {
        e->def = NULL;
        entry_free(e);
    }
    au_flowdef_free(def);
    return rc;
}

/* Removes the entry called name; AU_ERR_NOT_FOUND when absent. */
static au_rc uninstall(au_flows *f, const char *name)
{
    flow_entry *old = NULL;
    pthread_mutex_lock(&f->mu);
    ssize_t i = find(f, name);
    if (i >= 0) {
        unref_locked(f->entries[i], &old);
        f->entries[i] = f->entries[--f->n];
        recompute_flags(f);
    }
    pthread_mutex_unlock(&f->mu);
    entry_free(old);
    return i >= 0 ? AU_OK : AU_ERR_NOT_FOUND;
}

flow_entry *au_flows_acquire(au_flows *f, const char *name)
{
    flow_entry *e = NULL;
    pthread_mutex_lock(&f->mu);
    ssize_t i = find(f, name);
    if (i >= 0) {
        e = f->entries[i];
        e->refs++;
    }
    pthread_mutex_unlock(&f->mu);
    return e;
}

void au_flows_release(au_flows *f, flow_entry *e)
{
    flow_entry *gone = NULL;
    if (!e)
        return;
    pthread_mutex_lock(&f->mu);
    unref_locked(e, &gone);
    pthread_mutex_unlock(&f->mu);
    entry_free(gone);
}

flow_entry **au_flows_snapshot(au_flows *f, size_t *n)
{
    pthread_mutex_lock(&f->mu);
    flow_entry **a = au_calloc(f->n ? f->n : 1, sizeof(*a));
    *n = 0;
    for (size_t i = 0; a && i < f->n; i++) {
        if (!f->entries[i]->def->enabled)
            continue;
        f->entries[i]->refs++;
        a[(*n)++] = f->entries[i];
    }
    pthread_mutex_unlock(&f->mu);
    return a;
}

void au_flows_free_entries(au_flows *f)
{
    for (size_t i = 0; i < f->n; i++)
        au_flows_release(f, f->entries[i]);
    au_free(f->entries);
    f->entries = NULL;
    f->n = f->cap = 0;
    while (f->stats) {
        flow_stats *s = f->stats;
        f->stats = s->next;
        au_free(s->name);
        au_free(s);
    }
}

/* --- configuration ------------------------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    if (!fp)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0) {
        long n = ftell(fp);
        if (n >= 0 && n <= AU_FLOW_MAX_BYTES && fseek(fp, 0, SEEK_SET) == 0 &&
            (buf = au_malloc((size_t)n + 1))) {
            *len = fread(buf, 1, (size_t)n, fp);
            buf[*len] = '\0';
        }
    }
    fclose(fp);
    return buf;
}

/* Parses item i of the `flows:` list: a path (YAML file) or an inline definition. An inline
 * one is validated on its node of the configuration's YAML tree, so its errors give the line
 * and column in the configuration file; *text is its JSON form (what GET shows as the source). */
static au_rc parse_item(const au_config *cfg, const au_ynode *node, const json_t *item, size_t i,
                        au_flowdef **out, char **text, au_err *err)
{
    size_t len = 0;
    au_rc rc;
    *text = NULL;
    if (json_is_string(item)) {
        const char *path = json_string_value(item);
        if (!(*text = read_file(path, &len)))
            return au_err_set(err, AU_ERR_IO, "flows[%zu]: cannot read flow file '%s'", i, path);
        rc = au_flowdef_parse(*text, len, NULL, out, err);
    } else if (json_is_object(item)) {
        char *j = json_dumps(item, JSON_INDENT(1));
        *text = j ? au_strdup(j) : NULL;
        free(j);
        if (!*text)
            return au_err_set(err, AU_ERR_NOMEM, "out of memory");
        /* A configuration built in memory (no file) has no tree: its JSON is the text. */
        rc = node ? au_flowdef_from_node(node, NULL, out, err)
                  : au_flowdef_parse(*text, strlen(*text), NULL, out, err);
    } else {
        return au_err_set(err, AU_ERR_INVALID,
                          "flows[%zu]: must be a file path or a flow definition", i);
    }
    if (rc && rc != AU_ERR_NOMEM) {
        char msg[sizeof(err->message)];
        snprintf(msg, sizeof(msg), "%s", err->message);
        if (json_is_string(item))
            au_err_set(err, rc, "%s: %s", json_string_value(item), msg);
        else
            au_err_set(err, rc, "%s: flows[%zu] (inline in the configuration): %s",
                       au_config_path(cfg), i, msg);
    }
    if (rc) {
        au_free(*text);
        *text = NULL;
    }
    return rc;
}

typedef struct parsed {
    au_flowdef **defs;
    char **texts;
    size_t n;
} parsed;

static void parsed_free(parsed *p)
{
    for (size_t i = 0; i < p->n; i++) {
        au_flowdef_free(p->defs[i]);
        au_free(p->texts[i]);
    }
    au_free(p->defs);
    au_free(p->texts);
    memset(p, 0, sizeof(*p));
}

/* Parses every configured flow; all or nothing. */
static au_rc parse_config(const au_config *cfg, parsed *p, au_err *err)
{
    const json_t *list = cfg && cfg->doc ? json_object_get(cfg->doc, "flows") : NULL;
    memset(p, 0, sizeof(*p));
    if (!list || json_is_null(list))
        return AU_OK;
    if (!json_is_array(list))
        return au_err_set(err, AU_ERR_INVALID,
                          "flows: must be a list of file paths or "
                          "flow definitions");
    size_t n = json_array_size(list);
    p->defs = au_calloc(n ? n : 1, sizeof(*p->defs));
    p->texts = au_calloc(n ? n : 1, sizeof(*p->texts));
    if (!p->defs || !p->texts)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const au_ynode *nodes = au_config_node(cfg, "flows");
        const au_ynode *node =
            nodes && nodes->kind == AU_YAML_SEQ && i < nodes->n ? nodes->items[i] : NULL;
        au_rc rc =
            parse_item(cfg, node, json_array_get(list, i), i, &p->defs[i], &p->texts[i], err);
        if (rc) {
            parsed_free(p);
            return rc;
        }
        p->n = i + 1;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(p->defs[k]->name, p->defs[i]->name)) {
                rc = au_err_set(err, AU_ERR_INVALID,
                                "flows[%zu]: a flow named \"%s\" is "
                                "already defined",
                                i, p->defs[i]->name);
                parsed_free(p);
                return rc;
            }
    }
    return AU_OK;
}

static au_rc install_config(au_flows *f, parsed *p)
{
    au_rc rc = AU_OK;
    for (size_t i = 0; i < p->n; i++) {
        flow_entry *cur = au_flows_acquire(f, p->defs[i]->name);
        int shadowed = cur && cur->from_store;
        au_flows_release(f, cur);
        if (shadowed) {
            au_flowdef_free(p->defs[i]);
        } else if (!rc) {
            rc = au_flows_install(f, p->defs[i], p->texts[i], 0);
        } else {
            au_flowdef_free(p->defs[i]);
        }
        p->defs[i] = NULL;
    }
    parsed_free(p);
    return rc;
}

static int load_stored(void *ctx, const char *name, const char *text)
{
    au_flows *f = ctx;
    au_flowdef *def = NULL;
    au_err err;
    au_err_init(&err);
    if (au_flowdef_parse(text, strlen(text), name, &def, &err) == AU_OK)
        au_flows_install(f, def, text, 1);
    else
        au_log(AU_LOG_ERROR, "stored flow skipped", "flow", name, "error", err.message, NULL);
    au_err_cleanup(&err);
    return 0;
}

au_rc au_flows_load(au_flows *f, const au_config *cfg, au_store *st, au_err *err)
{
    parsed p;
    au_rc rc = parse_config(cfg, &p, err);
    if (!rc)
        rc = install_config(f, &p);
    if (!rc)
        rc = au_store_flow_list(st, load_stored, f);
    return rc;
}

au_rc au_flows_reload(au_flows *f, const au_config *cfg, au_err *err)
{
    parsed p;
    au_rc rc = parse_config(cfg, &p, err);
    if (rc)
        return rc; /* the running flows stay as they were */
    /* Configuration flows that are no longer listed go away. */
    for (;;) {
        char name[AU_FLOW_MAX_NAME + 1] = "";
        pthread_mutex_lock(&f->mu);
        for (size_t i = 0; i < f->n && !name[0]; i++) {
            int listed = 0;
            for (size_t k = 0; k < p.n; k++)
                listed |= !strcmp(p.defs[k]->name, f->entries[i]->def->name);
            if (!f->entries[i]->from_store && !listed)
                snprintf(name, sizeof(name), "%s", f->entries[i]->def->name);
        }
        pthread_mutex_unlock(&f->mu);
        if (!name[0])
            break;
        uninstall(f, name);
    }
    rc = install_config(f, &p);
    au_log(AU_LOG_INFO, "flows reloaded", NULL);
    return rc;
}

/* --- API: save, delete, read --------------------------------------------------------------- */

typedef struct put_ctx {
    const char *name, *text;
} put_ctx;

static au_rc put_in_store(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    put_ctx *p = ctx;
    return au_store_flow_put(st, p->name, p->text, au_wall_ms());
}

static au_rc delete_in_store(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    au_rc rc = au_store_flow_delete(st, ctx);
    return rc == AU_ERR_NOT_FOUND ? AU_OK : rc;
}

/* A definition read from the API and sent back holds placeholders where values are hidden:
 * the stored flow's values are put back in their place (au_flowdef_keep_hidden). Returns the
 * text to save instead (au_free), or NULL to save `text` as it is (nothing restored, or not
 * readable: the parser then reports why). */
static char *keep_hidden(au_flows *f, const char *name, const char *text, size_t len)
{
    json_t *nw = NULL;
    char *out = NULL;
    au_err err;
    au_err_init(&err);
    flow_entry *e = au_flows_acquire(f, name);
    if (e && au_yaml_to_json(text, len, &nw, &err) == AU_OK &&
        au_flowdef_keep_hidden(nw, e->def) > 0)
        out = json_dumps(nw, JSON_COMPACT);
    au_flows_release(f, e);
    json_decref(nw);
    au_err_cleanup(&err);
    return out;
}

au_rc au_flows_put(au_flows *f, const char *name, const char *text, size_t len, json_t **out,
                   au_err *err)
{
    au_flowdef *def = NULL;
    char *copy = NULL, *kept = keep_hidden(f, name, text, len), where[256];
    *out = NULL;
    if (kept) {
        text = kept;
        len = strlen(kept);
    }
    au_rc rc = au_flowdef_parse(text, len, name, &def, err);
    if (!rc && au_flowdef_placeholder_at(def, where, sizeof(where)))
        rc = au_err_set(err, AU_ERR_INVALID,
                        "flow \"%s\": %s: holds the placeholder the API shows instead of a hidden "
                        "value (\"********\" or \"[redacted]\"), not the value itself; enter the "
                        "value, or use {{ secret.NAME }} (docs/SECRETS.md)",
                        name, where);
    if (rc) {
        au_flowdef_free(def);
        au_free(kept);
        return rc;
    }
    copy = kept ? kept : au_strndup(text, len);
    kept = NULL;
    if (!copy) {
        au_flowdef_free(def);
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    put_ctx p = {name, copy};
    rc = au_engine_call(f->engine, put_in_store, &p, "flows", err);
    if (!rc) {
        *out = au_flowdef_to_json(def, 1);
        rc = au_flows_install(f, def, copy, 1);
        def = NULL;
    }
    au_flowdef_free(def);
    au_free(copy);
    au_flows_deliver_kick(f);
    return rc;
}

au_rc au_flows_delete(au_flows *f, const char *name, au_err *err)
{
    flow_entry *e = au_flows_acquire(f, name);
    if (!e)
        return au_err_set(err, AU_ERR_NOT_FOUND, "no flow named \"%s\"", name);
    int from_store = e->from_store;
    au_flows_release(f, e);
    if (!from_store)
        return au_err_set(err, AU_ERR_CONFLICT,
                          "flow \"%s\" is defined in the configuration file; remove it there",
                          name);
    au_rc rc = au_engine_call(f->engine, delete_in_store, (void *)name, "flows", err);
    if (!rc)
        uninstall(f, name);
    return rc;
}

static json_t *entry_json(const flow_entry *e)
{
    json_t *j = au_flowdef_to_json(e->def, 1);
    if (j)
        json_object_set_new(j, "defined_in", json_string(e->from_store ? "api" : "config"));
    return j;
}

au_rc au_flows_get(au_flows *f, const char *name, json_t **out, au_err *err)
{
    flow_entry *e = au_flows_acquire(f, name);
    *out = NULL;
    if (!e)
        return au_err_set(err, AU_ERR_NOT_FOUND, "no flow named \"%s\"", name);
    *out = entry_json(e);
    au_flows_release(f, e);
    au_store *st = au_engine_reader(f->engine);
    if (*out && st)
        au_flows_run_summary(f, st, name, *out);
    au_engine_reader_release(f->engine, st);
    return *out ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
}

json_t *au_flows_list(au_flows *f)
{
    json_t *a = json_array(), *o;
    size_t i;
    pthread_mutex_lock(&f->mu);
    for (i = 0; a && i < f->n; i++)
        json_array_append_new(a, entry_json(f->entries[i]));
    pthread_mutex_unlock(&f->mu);
    /* The run history is read outside the registry lock: triggers must not wait on it. A
     * flow whose history cannot be read is still listed, without the run fields. */
    au_store *st = au_engine_reader(f->engine);
    json_array_foreach(st ? a : NULL, i, o)
    {
        au_flows_run_summary(f, st, json_string_value(json_object_get(o, "name")), o);
    }
    au_engine_reader_release(f->engine, st);
    return a;
}

/* --- metrics ------------------------------------------------------------------------------- */

static const char *const lat_le[AU_FLOWS_NBUCKETS] = {
    "1", "5", "10", "25", "50", "100", "250", "500", "1000", "2500", "5000", "10000", "60000"};

static au_rc counter(au_buf *out, const char *name, const char *help, const flow_stats *s0,
                     size_t off)
{
    au_rc rc = au_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    for (const flow_stats *s = s0; s && !rc; s = s->next)
        rc = au_buf_printf(out, "%s{flow=\"%s\"} %lu\n", name, s->name,
                           atomic_load((const atomic_ulong *)((const char *)s + off)));
    return rc;
}

au_rc au_flows_metrics(au_flows *f, au_buf *out)
{
    pthread_mutex_lock(&f->mu);
    const flow_stats *s0 = f->stats; /* the list only grows at its head; entries never go */
    pthread_mutex_unlock(&f->mu);
    au_rc rc = counter(out, "aurum_flow_runs_total", "Runs started per flow.", s0,
                       offsetof(flow_stats, runs));
    if (!rc)
        rc = counter(out, "aurum_flow_runs_skipped_total", "Runs whose condition was false.", s0,
                     offsetof(flow_stats, skipped));
    if (!rc)
        rc = counter(out, "aurum_flow_run_errors_total", "Runs whose condition failed to evaluate.",
                     s0, offsetof(flow_stats, errors));
    if (!rc)
        rc = counter(out, "aurum_flow_deliveries_total", "Step deliveries accepted by the target.",
                     s0, offsetof(flow_stats, deliveries));
    if (!rc)
        rc = counter(out, "aurum_flow_failures_total", "Failed delivery attempts.", s0,
                     offsetof(flow_stats, failures));
    if (!rc)
        rc = counter(out, "aurum_flow_retries_total", "Deliveries scheduled for another attempt.",
                     s0, offsetof(flow_stats, retries));
    if (!rc)
        rc = counter(out, "aurum_flow_dead_letters_total", "Deliveries sent to the dead letters.",
                     s0, offsetof(flow_stats, dead));
    if (!rc)
        rc = au_buf_puts(out, "# HELP aurum_flow_delivery_latency_ms From the trigger's commit to "
                              "the target's acceptance.\n"
                              "# TYPE aurum_flow_delivery_latency_ms histogram\n");
    for (const flow_stats *s = s0; s && !rc; s = s->next) {
        unsigned long cum = 0;
        for (size_t b = 0; b <= AU_FLOWS_NBUCKETS && !rc; b++) {
            cum += atomic_load(&s->lat_bucket[b]);
            rc = au_buf_printf(out,
                               "aurum_flow_delivery_latency_ms_bucket{flow=\"%s\",le=\"%s\"} "
                               "%lu\n",
                               s->name, b < AU_FLOWS_NBUCKETS ? lat_le[b] : "+Inf", cum);
        }
        if (!rc)
            rc = au_buf_printf(out,
                               "aurum_flow_delivery_latency_ms_sum{flow=\"%s\"} %lu\n"
                               "aurum_flow_delivery_latency_ms_count{flow=\"%s\"} %lu\n",
                               s->name, atomic_load(&s->lat_sum_ms), s->name, cum);
    }
    return rc;
}
