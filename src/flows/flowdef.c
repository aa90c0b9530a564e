/*
 * Flow definition validator. The YAML is loaded by the one loader (lib/yaml.h: depth limit, node
 * budget, aliases and merge keys) and walked node by node, because each node keeps its line and
 * column: that is what lets every error name them (a YAML-to-JSON conversion first would lose
 * them), also for a flow inline in the configuration file, whose nodes are the file's. Numbers
 * and booleans, the connectors' step options and the flow's own options are declared options
 * (lib/opts.h), checked with their converter and wording. The walk keeps going after an error so
 * the user sees all mistakes at once; it builds the compiled au_flowdef and the normalised JSON
 * form in the same pass.
 */
#include "flows/flowdef.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flows/expr_int.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/redact.h"
#include "lib/names.h"
#include "lib/opts.h"
#include "lib/yaml.h"

/* What the API shows instead of a secret option (au_flowdef_to_json). */
#define HIDDEN_SECRET "********"

struct au_flow_value {
    enum { FV_LIT, FV_TMPL, FV_OBJ, FV_ARR } kind; /* what the value is */
    json_t *lit;                                   /* FV_LIT: the literal, owned */
    au_expr_template *tmpl;                        /* FV_TMPL: compiled template, owned */
    char **keys;                                   /* FV_OBJ: keys, owned */
    au_flow_value **items;                         /* FV_OBJ / FV_ARR: values, owned */
    size_t n;                                      /* entries in keys / items */
};

/* Walk state. */
typedef struct walk {
    const char *flow; /* flow name for messages */
    au_err *err;      /* collects every error as a detail */
    int nerrors;      /* errors so far */
    char first[400];  /* text of the first error */
    au_rc first_rc;   /* its code */
    long budget;      /* value nodes left to visit: aliases must not multiply work */
} walk;

/* Value nodes visited per definition; YAML aliases could otherwise expand exponentially. */
#define VALUE_BUDGET 20000

/* ---------------------------------------------------------------------------------------------
 * Errors
 */

__attribute__((format(printf, 5, 6))) static void verr(walk *w, au_rc rc, const au_ynode *at,
                                                       const char *path, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int line = at ? (int)at->line : 1, col = at ? (int)at->col : 1;
    /* Out of memory outranks every other error: what follows it may be its consequence. */
    if (w->nerrors++ == 0 || (rc == AU_ERR_NOMEM && w->first_rc != AU_ERR_NOMEM)) {
        snprintf(w->first, sizeof(w->first), "flow \"%s\": line %d, column %d: %s%s%s", w->flow,
                 line, col, path ? path : "", path && *path ? ": " : "", msg);
        w->first_rc = rc;
    }
    au_err_detail_add(w->err, -1, w->flow, path, "line %d, column %d: %s", line, col, msg);
}

/* An expression error inside the scalar `at`: report the scalar's position and the position
 * inside the expression. */
static void expr_err(walk *w, const au_ynode *at, const char *path, const au_expr_error *e,
                     au_rc rc)
{
    verr(w, rc == AU_ERR_NOMEM ? AU_ERR_NOMEM : AU_ERR_INVALID, at, path,
         "expression error: %s (line:column within the expression)", e->message);
}

/* ---------------------------------------------------------------------------------------------
 * Node helpers
 */

static const char *kind_name(const au_ynode *n)
{
    return au_yaml_kind_name(n);
}

static int is_scalar(const au_ynode *n)
{
    return n && n->kind == AU_YAML_SCALAR;
}

static const char *scalar(const au_ynode *n)
{
    return n->text;
}

/* A plain (unquoted) scalar that YAML would read as null. */
static int is_null_scalar(const au_ynode *n)
{
    return au_yaml_is_null(n);
}

/* The value node of key `key` in mapping m, or NULL. */
static const au_ynode *map_get(walk *w, const au_ynode *m, const char *key)
{
    (void)w;
    return au_yaml_get(m, key, NULL);
}

/* Reports keys of m not in allowed[] (NULL-terminated) and duplicate keys. */
static void check_keys(walk *w, const au_ynode *m, const char *path, const char *const *allowed,
                       const char *extra)
{
    if (m->n > AU_FLOW_MAX_MAPPING) {
        verr(w, AU_ERR_TOO_LARGE, m, path, "more than %d keys", AU_FLOW_MAX_MAPPING);
        return;
    }
    for (size_t p = 0; p < m->n; p++) {
        const au_ynode *k = AU_YAML_KEY(m, p);
        if (!is_scalar(k)) {
            verr(w, AU_ERR_INVALID, k, path, "keys must be plain names");
            continue;
        }
        for (size_t q = 0; q < p; q++) {
            const au_ynode *k2 = AU_YAML_KEY(m, q);
            if (is_scalar(k2) && !strcmp(scalar(k2), scalar(k)))
                verr(w, AU_ERR_INVALID, k, path, "duplicate key '%s'", scalar(k));
        }
        int ok = extra && !strcmp(extra, scalar(k));
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = !strcmp(allowed[i], scalar(k));
        if (!ok) {
            /* The valid keys are listed so a typo is fixed without opening the docs. */
            char list[256];
            size_t pos = 0;
            for (size_t i = 0; allowed[i] && pos < sizeof list; i++)
                pos += (size_t)snprintf(list + pos, sizeof list - pos, "%s%s", i ? ", " : "",
                                        allowed[i]);
            verr(w, AU_ERR_INVALID, k, path, "unknown key '%.60s' (valid keys: %s%s%s)", scalar(k),
                 list, extra ? ", " : "", extra ? extra : "");
        }
    }
}

static char *path_join(const char *base, const char *key)
{
    return *base ? au_asprintf("%s.%s", base, key) : au_strdup(key);
}

/* Reads a string scalar into *out (owned); reports and returns -1 if not a string. */
static int get_string(walk *w, const au_ynode *n, const char *path, int allow_empty, char **out)
{
    *out = NULL;
    if (!is_scalar(n) || is_null_scalar(n)) {
        verr(w, AU_ERR_INVALID, n, path, "must be a string, not %s",
             is_scalar(n) ? "null" : kind_name(n));
        return -1;
    }
    if (!allow_empty && !*scalar(n)) {
        verr(w, AU_ERR_INVALID, n, path, "must not be empty");
        return -1;
    }
    *out = au_strdup(scalar(n));
    return *out ? 0 : (verr(w, AU_ERR_NOMEM, n, path, "out of memory"), -1);
}

/* A scalar checked by the declared-option converter (lib/opts), so a number or a boolean in a
 * flow is refused with the same words as in the configuration, a query or a command line. */
static int get_value(walk *w, const au_ynode *n, const char *path, const au_opt *o, au_opt_val *out)
{
    char what[160];
    au_err e;
    if (is_scalar(n) && n->plain) {
        au_err_init(&e);
        au_rc rc = au_opt_convert(o, scalar(n), out, &e);
        if (rc)
            verr(w, rc, n, path, "%s", e.message);
        au_err_cleanup(&e);
        return rc ? -1 : 0;
    }
    au_opt_expected(o, what, sizeof what);
    if (is_scalar(n))
        verr(w, AU_ERR_INVALID, n, path, "expected %s, got the quoted string '%.64s'", what,
             scalar(n));
    else
        verr(w, AU_ERR_INVALID, n, path, "expected %s, got %s", what, kind_name(n));
    return -1;
}

static int get_long(walk *w, const au_ynode *n, const char *path, long min, long max, long *out)
{
    const au_opt o = {.name = path, .type = AU_OPT_INT, .min = min, .max = max};
    au_opt_val v;
    if (get_value(w, n, path, &o, &v))
        return -1;
    *out = v.i;
    return 0;
}

static int get_bool(walk *w, const au_ynode *n, const char *path, int *out)
{
    const au_opt o = {.name = path, .type = AU_OPT_BOOL};
    au_opt_val v;
    if (get_value(w, n, path, &o, &v))
        return -1;
    *out = v.b;
    return 0;
}

static int valid_name(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > AU_FLOW_MAX_NAME)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("_-.", *s))
            return 0;
    return 1;
}

/* Typed JSON of a plain scalar (number, boolean, null) or a string. */
static json_t *scalar_json(const au_ynode *n)
{
    const char *s = scalar(n);
    if (n->plain) {
        char *end;
        if (is_null_scalar(n))
            return json_null();
        if (!strcmp(s, "true") || !strcmp(s, "false"))
            return json_boolean(!strcmp(s, "true"));
        if (*s && (isdigit((unsigned char)*s) || ((*s == '-' || *s == '+') && s[1]))) {
            errno = 0;
            long long v = strtoll(s, &end, 10);
            if (!*end && !errno)
                return json_integer(v);
            double d = strtod(s, &end);
            if (!*end && isfinite(d))
                return json_real(d);
        }
    }
    return json_string(s);
}

/* ---------------------------------------------------------------------------------------------
 * Values (templates and mappings)
 */

static void value_free(au_flow_value *v)
{
    if (!v)
        return;
    json_decref(v->lit);
    au_expr_template_free(v->tmpl);
    for (size_t i = 0; i < v->n; i++) {
        if (v->keys)
            au_free(v->keys[i]);
        value_free(v->items[i]);
    }
    au_free(v->keys);
    au_free(v->items);
    au_free(v);
}

/* Compiles node n into a value and its JSON form (*json). depth bounds nesting. */
static au_flow_value *build_value(walk *w, const au_ynode *n, const char *path, int depth,
                                  json_t **json)
{
    au_flow_value *v = au_calloc(1, sizeof(*v));
    *json = NULL;
    if (!v) {
        verr(w, AU_ERR_NOMEM, n, path, "out of memory");
        return NULL;
    }
    if (--w->budget < 0) {
        if (w->budget == -1)
            verr(w, AU_ERR_TOO_LARGE, n, path, "more than %d values (aliases included)",
                 VALUE_BUDGET);
        goto fail;
    }
    if (depth > 8) {
        verr(w, AU_ERR_TOO_LARGE, n, path, "nested more than 8 levels");
        goto fail;
    }
    if (n->kind == AU_YAML_SCALAR) {
        json_t *lit = scalar_json(n);
        *json = json_incref(lit);
        if (!json_is_string(lit) || !strstr(scalar(n), "{{")) {
            v->kind = FV_LIT;
            v->lit = lit;
            return v;
        }
        json_decref(lit);
        au_expr_error e;
        au_rc rc = au_expr_template_parse(scalar(n), &v->tmpl, &e);
        if (rc) {
            expr_err(w, n, path, &e, rc);
            goto fail;
        }
        v->kind = FV_TMPL;
        return v;
    }
    size_t count = n->n;
    if (count > AU_FLOW_MAX_MAPPING) {
        verr(w, AU_ERR_TOO_LARGE, n, path, "more than %d entries", AU_FLOW_MAX_MAPPING);
        goto fail;
    }
    v->kind = n->kind == AU_YAML_MAP ? FV_OBJ : FV_ARR;
    v->items = au_calloc(count ? count : 1, sizeof(*v->items));
    v->keys = v->kind == FV_OBJ ? au_calloc(count ? count : 1, sizeof(*v->keys)) : NULL;
    *json = v->kind == FV_OBJ ? json_object() : json_array();
    if (!v->items || (v->kind == FV_OBJ && !v->keys) || !*json) {
        verr(w, AU_ERR_NOMEM, n, path, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < count; i++) {
        const au_ynode *child;
        char *cpath;
        if (v->kind == FV_OBJ) {
            const au_ynode *k = AU_YAML_KEY(n, i);
            child = AU_YAML_VALUE(n, i);
            if (!is_scalar(k) || !*scalar(k)) {
                verr(w, AU_ERR_INVALID, k, path, "keys must be non-empty strings");
                continue;
            }
            if (json_object_get(*json, scalar(k))) {
                verr(w, AU_ERR_INVALID, k, path, "duplicate key '%.60s'", scalar(k));
                continue;
            }
            v->keys[v->n] = au_strdup(scalar(k));
            if (!v->keys[v->n]) {
                verr(w, AU_ERR_NOMEM, k, path, "out of memory");
                continue;
            }
            cpath = path_join(path, scalar(k));
        } else {
            child = n->items[i];
            cpath = au_asprintf("%s[%zu]", path, i);
        }
        json_t *cj = NULL;
        if (!cpath)
            verr(w, AU_ERR_NOMEM, child, path, "out of memory");
        au_flow_value *cv = cpath ? build_value(w, child, cpath, depth + 1, &cj) : NULL;
        au_free(cpath);
        if (!cv) {
            if (v->kind == FV_OBJ)
                au_free(v->keys[v->n]);
            continue;
        }
        v->items[v->n] = cv;
        if (v->kind == FV_OBJ)
            json_object_set_new(*json, v->keys[v->n], cj);
        else
            json_array_append_new(*json, cj);
        v->n++;
    }
    return v;
fail:
    json_decref(*json);
    *json = NULL;
    value_free(v);
    return NULL;
}

au_rc au_flow_value_eval(const au_flow_value *v, const json_t *ctx, int64_t now_ms, json_t **out,
                         au_expr_error *err)
{
    au_rc rc = AU_OK;
    *out = NULL;
    switch (v->kind) {
    case FV_LIT:
        *out = json_incref(v->lit);
        return AU_OK;
    case FV_TMPL:
        return au_expr_template_eval(v->tmpl, ctx, now_ms, out, err);
    case FV_OBJ:
    case FV_ARR:
        break;
    }
    json_t *acc = v->kind == FV_OBJ ? json_object() : json_array();
    if (!acc)
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < v->n && !rc; i++) {
        json_t *item;
        rc = au_flow_value_eval(v->items[i], ctx, now_ms, &item, err);
        if (rc)
            break;
        int bad = v->kind == FV_OBJ ? json_object_set_new(acc, v->keys[i], item)
                                    : json_array_append_new(acc, item);
        if (bad)
            rc = AU_ERR_NOMEM;
    }
    if (rc) {
        json_decref(acc);
        return rc;
    }
    *out = acc;
    return AU_OK;
}

au_rc au_flow_value_render(const au_flow_value *v, const json_t *ctx, int64_t now_ms, int flags,
                           char **out, au_expr_error *err)
{
    if (v->kind == FV_TMPL)
        return au_expr_template_render(v->tmpl, ctx, now_ms, flags, out, err);
    au_buf b;
    au_buf_init(&b, AU_EXPR_MAX_STRING);
    json_t *j = NULL;
    au_rc rc = au_flow_value_eval(v, ctx, now_ms, &j, err);
    if (!rc)
        rc = au_expr_append_text(&b, j);
    json_decref(j);
    *out = rc ? NULL : (b.data ? au_buf_steal(&b) : au_strdup(""));
    au_buf_cleanup(&b);
    return rc ? rc : (*out ? AU_OK : AU_ERR_NOMEM);
}

const au_flow_value *au_flow_step_value(const au_flow_step *s, const char *name)
{
    const au_connector_option *o = s->connector->options;
    for (size_t i = 0; o[i].name && i < s->nvalues; i++)
        if (!strcmp(o[i].name, name))
            return s->values[i];
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Trigger
 */

static const struct {
    const char *name;
    unsigned bit;
} changes[] = {{"created", AU_PROFILE_CREATED}, {"updated", AU_PROFILE_UPDATED},
               {"merged", AU_PROFILE_MERGED},   {"split", AU_PROFILE_SPLIT},
               {"deleted", AU_PROFILE_DELETED}, {"erased", AU_PROFILE_ERASED}};

static unsigned change_bit(const char *s)
{
    for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++)
        if (!strcmp(changes[i].name, s))
            return changes[i].bit;
    return 0;
}

static void trigger_profile(walk *w, const au_ynode *t, const au_ynode *p, au_flow_trigger *tr,
                            json_t *js)
{
    json_t *list = json_array();
    tr->kind = AU_TRIGGER_PROFILE;
    size_t n = p->kind == AU_YAML_SEQ ? p->n : 1;
    for (size_t i = 0; i < n; i++) {
        const au_ynode *it = p->kind == AU_YAML_SEQ ? p->items[i] : p;
        unsigned bit = is_scalar(it) ? change_bit(scalar(it)) : 0;
        if (!bit) {
            verr(w, AU_ERR_INVALID, it, "trigger.profile",
                 "must be created, updated, merged, split, deleted or erased");
            continue;
        }
        tr->profile_changes |= bit;
        json_array_append_new(list, json_string(scalar(it)));
    }
    if (n == 0)
        verr(w, AU_ERR_INVALID, p, "trigger.profile", "needs at least one kind of change");
    json_object_set_new(js, "profile", list);
    const au_ynode *attrs = map_get(w, t, "attributes");
    if (!attrs)
        return;
    if (!(tr->profile_changes & AU_PROFILE_UPDATED))
        verr(w, AU_ERR_INVALID, attrs, "trigger.attributes", "only applies to 'updated'");
    if (attrs->kind != AU_YAML_SEQ) {
        verr(w, AU_ERR_INVALID, attrs, "trigger.attributes", "must be a list of attribute names");
        return;
    }
    size_t na = attrs->n;
    tr->attributes = au_calloc(na ? na : 1, sizeof(char *));
    json_t *aj = json_array();
    for (size_t i = 0; i < na && tr->attributes; i++) {
        const au_ynode *it = attrs->items[i];
        char *a;
        if (get_string(w, it, "trigger.attributes", 0, &a))
            continue;
        tr->attributes[tr->nattributes++] = a;
        json_array_append_new(aj, json_string(a));
    }
    json_object_set_new(js, "attributes", aj);
}

static void trigger_event(walk *w, const au_ynode *e, au_flow_trigger *tr, json_t *js)
{
    static const char *const keys[] = {"type", "source", NULL};
    tr->kind = AU_TRIGGER_EVENT;
    json_t *ej = json_object();
    if (is_scalar(e)) {
        get_string(w, e, "trigger.event", 0, &tr->event_type);
    } else if (e->kind == AU_YAML_MAP) {
        check_keys(w, e, "trigger.event", keys, NULL);
        const au_ynode *type = map_get(w, e, "type"), *src = map_get(w, e, "source");
        if (!type)
            verr(w, AU_ERR_INVALID, e, "trigger.event", "missing 'type'");
        else
            get_string(w, type, "trigger.event.type", 0, &tr->event_type);
        if (src)
            get_string(w, src, "trigger.event.source", 0, &tr->event_source);
    } else {
        verr(w, AU_ERR_INVALID, e, "trigger.event", "must be an event type or {type, source}");
    }
    if (tr->event_type)
        json_object_set_new(ej, "type", json_string(tr->event_type));
    if (tr->event_source)
        json_object_set_new(ej, "source", json_string(tr->event_source));
    json_object_set_new(js, "event", ej);
}

static void trigger_schedule(walk *w, const au_ynode *s, au_flow_trigger *tr, json_t *js)
{
    static const char *const keys[] = {"cron", "timezone", NULL};
    const au_ynode *cron = s, *tz = NULL;
    char *spec = NULL, *zone = NULL;
    tr->kind = AU_TRIGGER_SCHEDULE;
    if (s->kind == AU_YAML_MAP) {
        check_keys(w, s, "trigger.schedule", keys, NULL);
        cron = map_get(w, s, "cron");
        tz = map_get(w, s, "timezone");
        if (!cron) {
            verr(w, AU_ERR_INVALID, s, "trigger.schedule", "missing 'cron'");
            return;
        }
    }
    if (get_string(w, cron, "trigger.schedule.cron", 0, &spec) ||
        (tz && get_string(w, tz, "trigger.schedule.timezone", 0, &zone)))
        goto out;
    au_err e;
    au_err_init(&e);
    if (au_cron_parse(spec, zone, &tr->cron, &e)) {
        int bad_tz = zone && !strncmp(e.message, "unknown time zone", 17);
        verr(w, e.rc, bad_tz ? tz : cron,
             bad_tz ? "trigger.schedule.timezone" : "trigger.schedule.cron", "%s", e.message);
    } else {
        json_object_set_new(
            js, "schedule",
            json_pack("{s:s,s:s}", "cron", spec, "timezone", au_cron_timezone(tr->cron)));
    }
    au_err_cleanup(&e);
out:
    au_free(spec);
    au_free(zone);
}

static void parse_trigger(walk *w, const au_ynode *t, au_flow_trigger *tr, json_t *js)
{
    static const char *const keys[] = {"profile",  "attributes", "event",
                                       "schedule", "webhook",    NULL};
    static const char *const kinds[] = {"profile", "event", "schedule", "webhook"};
    if (t->kind != AU_YAML_MAP) {
        verr(w, AU_ERR_INVALID, t, "trigger",
             "must be a mapping with one of profile, event, schedule, webhook");
        return;
    }
    check_keys(w, t, "trigger", keys, NULL);
    int found = -1;
    for (int i = 0; i < 4; i++) {
        const au_ynode *k = map_get(w, t, kinds[i]);
        if (!k)
            continue;
        if (found >= 0) {
            verr(w, AU_ERR_INVALID, k, "trigger", "has both '%s' and '%s'; a flow has one trigger",
                 kinds[found], kinds[i]);
            continue;
        }
        found = i;
        if (i == 0)
            trigger_profile(w, t, k, tr, js);
        else if (i == 1)
            trigger_event(w, k, tr, js);
        else if (i == 2)
            trigger_schedule(w, k, tr, js);
    }
    if (found < 0) {
        verr(w, AU_ERR_INVALID, t, "trigger", "needs one of profile, event, schedule, webhook");
        return;
    }
    if (found != 0 && map_get(w, t, "attributes"))
        verr(w, AU_ERR_INVALID, map_get(w, t, "attributes"), "trigger.attributes",
             "only applies to profile triggers");
    if (found == 3) {
        static const char *const wkeys[] = {"secret", NULL};
        const au_ynode *wh = map_get(w, t, "webhook"), *sec = map_get(w, wh, "secret");
        tr->kind = AU_TRIGGER_WEBHOOK;
        if (!wh || wh->kind != AU_YAML_MAP || !sec) {
            verr(w, AU_ERR_INVALID, wh, "trigger.webhook", "needs a 'secret'");
            return;
        }
        check_keys(w, wh, "trigger.webhook", wkeys, NULL);
        if (get_string(w, sec, "trigger.webhook.secret", 0, &tr->secret))
            return;
        if (strlen(tr->secret) < 16)
            verr(w, AU_ERR_INVALID, sec, "trigger.webhook.secret",
                 "must be at least 16 characters");
        json_object_set_new(js, "webhook", json_pack("{s:s}", "secret", tr->secret));
    }
}

/* ---------------------------------------------------------------------------------------------
 * Steps
 */

static au_expr *compile_expr(walk *w, const au_ynode *n, const char *path)
{
    au_expr *e = NULL;
    au_expr_error ee;
    if (!is_scalar(n) || is_null_scalar(n)) {
        verr(w, AU_ERR_INVALID, n, path, "must be an expression (a string)");
        return NULL;
    }
    au_rc rc = au_expr_parse(scalar(n), &e, &ee);
    if (rc)
        expr_err(w, n, path, &ee, rc);
    return e;
}

/* Validates one option value against its declaration; fills config and the compiled value. */
static void step_option(walk *w, au_flow_step *s, size_t oi, const au_ynode *v, const char *path,
                        json_t *config)
{
    const au_connector_option *o = &s->connector->options[oi];
    char *str = NULL;
    long l;
    int b;
    json_t *j = NULL;
    switch (o->type) {
    case AU_OPT_STRING:
        if (!get_string(w, v, path, 0, &str))
            j = json_string(str);
        break;
    case AU_OPT_INT:
        if (!get_long(w, v, path, o->min, o->max, &l))
            j = json_integer(l);
        break;
    case AU_OPT_BOOL:
        if (!get_bool(w, v, path, &b))
            j = json_boolean(b);
        break;
    case AU_OPT_STRINGS:
        j = json_array();
        if (is_scalar(v)) {
            if (!get_string(w, v, path, 0, &str))
                json_array_append_new(j, json_string(str));
            break;
        }
        if (v->kind != AU_YAML_SEQ) {
            verr(w, AU_ERR_INVALID, v, path, "must be a list of strings");
            break;
        }
        for (size_t it = 0; it < v->n; it++) {
            if (!get_string(w, v->items[it], path, 0, &str))
                json_array_append_new(j, json_string(str));
            au_free(str);
            str = NULL;
        }
        break;
    case AU_OPT_TEMPLATE:
        if (!is_scalar(v) || is_null_scalar(v)) {
            verr(w, AU_ERR_INVALID, v, path, "must be a string (may contain {{ expressions }})");
            break;
        }
        s->values[oi] = build_value(w, v, path, 0, &j);
        if (j && !json_is_string(j)) { /* a plain number is fine: keep its text */
            json_decref(j);
            j = json_string(scalar(v));
            value_free(s->values[oi]);
            s->values[oi] = au_calloc(1, sizeof(au_flow_value));
            if (s->values[oi]) {
                s->values[oi]->kind = FV_LIT;
                s->values[oi]->lit = json_incref(j);
            }
        }
        break;
    case AU_OPT_MAPPING:
        if (v->kind != AU_YAML_MAP) {
            verr(w, AU_ERR_INVALID, v, path, "must be a mapping of field: value");
            break;
        }
        s->values[oi] = build_value(w, v, path, 0, &j);
        break;
    case AU_OPT_U64:
    case AU_OPT_DOUBLE:
    case AU_OPT_CHOICE: {
        au_opt_val x;
        if (get_value(w, v, path, o, &x))
            break;
        j = o->type == AU_OPT_U64      ? json_integer((json_int_t)x.u)
            : o->type == AU_OPT_DOUBLE ? json_real(x.d)
                                       : json_string(scalar(v));
        break;
    }
    }
    au_free(str);
    if (j)
        json_object_set_new(config, o->name, j);
}

/* The JSON of an option's default (written as in YAML: "10000", "POST"); NULL if it does not
 * convert, which the connector tables' unit test rules out. */
static json_t *default_json(const au_opt *o)
{
    au_opt_val v;
    if (au_opt_convert(o, o->def, &v, NULL))
        return NULL;
    switch (o->type) {
    case AU_OPT_INT:
        return json_integer(v.i);
    case AU_OPT_BOOL:
        return json_boolean(v.b);
    default:
        return json_string(o->def);
    }
}

static void parse_connector(walk *w, au_flow_step *s, const au_ynode *c, const char *base)
{
    const au_connector_option *opts = s->connector->options;
    size_t nopts = 0;
    while (opts[nopts].name)
        nopts++;
    s->config = json_object();
    s->values = au_calloc(nopts ? nopts : 1, sizeof(*s->values));
    s->nvalues = s->values ? nopts : 0;
    if (!s->config || !s->values) {
        verr(w, AU_ERR_NOMEM, c, base, "out of memory");
        return;
    }
    if (c->kind != AU_YAML_MAP) {
        verr(w, AU_ERR_INVALID, c, base, "must be a mapping of options");
        return;
    }
    const char *names[65];
    for (size_t i = 0; i < nopts && i < 64; i++)
        names[i] = opts[i].name;
    names[nopts < 64 ? nopts : 64] = NULL;
    check_keys(w, c, base, names, NULL);
    int before = w->nerrors;
    for (size_t i = 0; i < nopts; i++) {
        const au_ynode *v = map_get(w, c, opts[i].name);
        char *path = path_join(base, opts[i].name);
        if (!path) {
            verr(w, AU_ERR_NOMEM, c, base, "out of memory");
            continue;
        }
        if (v && !is_null_scalar(v))
            step_option(w, s, i, v, path, s->config);
        else if (opts[i].required)
            verr(w, AU_ERR_INVALID, c, base, "missing required option '%s'", opts[i].name);
        else if (opts[i].def)
            json_object_set_new(s->config, opts[i].name, default_json(&opts[i]));
        au_free(path);
    }
    if (w->nerrors == before && s->connector->validate) {
        au_err e;
        au_err_init(&e);
        if (s->connector->validate(s->config, &e)) {
            /* Point at the option the message starts with, when there is one. */
            char word[64];
            snprintf(word, sizeof(word), "%.*s", (int)strcspn(e.message, " :"), e.message);
            const au_ynode *at = map_get(w, c, word);
            char *path = at ? path_join(base, word) : NULL;
            verr(w, e.rc, at ? at : c, path ? path : base, "%s", e.message);
            au_free(path);
        }
        au_err_cleanup(&e);
    }
}

static void parse_step(walk *w, const au_ynode *n, size_t idx, au_flow_step *s, json_t *sj)
{
    char base[48];
    snprintf(base, sizeof(base), "steps[%zu]", idx);
    if (n->kind != AU_YAML_MAP) {
        verr(w, AU_ERR_INVALID, n, base, "must be a mapping: {id, <kind>: {...}}");
        return;
    }
    const au_ynode *kind = NULL, *kind_key = NULL;
    for (size_t p = 0; p < n->n; p++) {
        const au_ynode *k = AU_YAML_KEY(n, p);
        if (!is_scalar(k))
            continue;
        const char *key = scalar(k);
        if (!strcmp(key, "id") || !strcmp(key, "when"))
            continue;
        const au_connector *c = au_connector_find(key);
        if (!c) {
            verr(w, AU_ERR_INVALID, k, base,
                 "unknown key '%.60s' (step kinds: http, upsert_record, postgres, nats, file)",
                 key);
            continue;
        }
        if (kind) {
            verr(w, AU_ERR_INVALID, k, base, "has both '%s' and '%s'; one kind per step",
                 s->connector->name, key);
            continue;
        }
        kind = AU_YAML_VALUE(n, p);
        kind_key = k;
        s->connector = c;
    }
    const au_ynode *id = map_get(w, n, "id"), *when = map_get(w, n, "when");
    if (id) {
        if (!get_string(w, id, base, 0, &s->id) && !valid_name(s->id))
            verr(w, AU_ERR_INVALID, id, base, "id must be 1-%d letters, digits, '_', '-' or '.'",
                 AU_FLOW_MAX_NAME);
    } else {
        s->id = au_asprintf("step%zu", idx + 1);
    }
    if (s->id)
        json_object_set_new(sj, "id", json_string(s->id));
    if (when) {
        char *path = au_asprintf("%s.when", base);
        s->when = compile_expr(w, when, path ? path : base);
        au_free(path);
        if (s->when)
            json_object_set_new(sj, "when", json_string(au_expr_text(s->when)));
    }
    if (!kind) {
        verr(w, AU_ERR_INVALID, n, base,
             "needs a step kind: http, upsert_record, postgres, nats or file");
        return;
    }
    (void)kind_key;
    char *path = au_asprintf("%s.%s", base, s->connector->name);
    parse_connector(w, s, kind, path ? path : base);
    au_free(path);
    if (s->config)
        json_object_set(sj, s->connector->name, s->config);
}

static void parse_steps(walk *w, const au_ynode *n, au_flowdef *f, json_t *js)
{
    if (n->kind != AU_YAML_SEQ) {
        verr(w, AU_ERR_INVALID, n, "steps", "must be a list of steps");
        return;
    }
    size_t count = n->n;
    if (count == 0 || count > AU_FLOW_MAX_STEPS) {
        verr(w, AU_ERR_INVALID, n, "steps", "needs 1 to %d steps, found %zu", AU_FLOW_MAX_STEPS,
             count);
        if (count == 0)
            return;
        count = AU_FLOW_MAX_STEPS;
    }
    f->steps = au_calloc(count, sizeof(*f->steps));
    if (!f->steps) {
        verr(w, AU_ERR_NOMEM, n, "steps", "out of memory");
        return;
    }
    f->nsteps = count;
    for (size_t i = 0; i < count; i++) {
        const au_ynode *sn = n->items[i];
        json_t *sj = json_object();
        parse_step(w, sn, i, &f->steps[i], sj);
        json_array_append_new(js, sj);
        for (size_t k = 0; k < i && f->steps[i].id; k++)
            if (f->steps[k].id && !strcmp(f->steps[k].id, f->steps[i].id)) {
                char base[48];
                snprintf(base, sizeof(base), "steps[%zu]", i);
                verr(w, AU_ERR_INVALID, map_get(w, sn, "id") ? map_get(w, sn, "id") : sn, base,
                     "duplicate step id '%s'", f->steps[i].id);
            }
    }
}

/* ---------------------------------------------------------------------------------------------
 * Flow
 */

/* The flow's own scalar options, declared like every other option: the defaults, bounds and
 * the reference (docs/CONFIG.md) come from these rows. */
static const au_opt flow_opts[] = {
    AU_OPT_ROW("enabled", AU_OPT_BOOL, offsetof(au_flowdef, enabled), NULL,
               "false: the flow is kept but never runs", .def = "true"),
    AU_OPT_ROW("concurrency", AU_OPT_INT, offsetof(au_flowdef, concurrency), "N",
               "runs of this flow in flight at once", .def = "1", .min = 1, .max = 64),
    {0}};
static const au_opt retry_opts[] = {
    AU_OPT_ROW("max_attempts", AU_OPT_INT, offsetof(au_flowdef, max_attempts), "N",
               "deliveries tried before a dead letter", .def = "5", .min = 1, .max = 100),
    AU_OPT_ROW("backoff_ms", AU_OPT_INT, offsetof(au_flowdef, backoff_ms), "MS",
               "first retry delay, doubled per attempt", .def = "1000", .min = 0, .max = 3600000),
    AU_OPT_ROW("max_backoff_ms", AU_OPT_INT, offsetof(au_flowdef, max_backoff_ms), "MS",
               "cap of the retry delay (not less than backoff_ms)", .def = "300000", .min = 0,
               .max = 86400000),
    {0}};

const au_opt *au_flowdef_options(void)
{
    return flow_opts;
}

const au_opt *au_flowdef_retry_options(void)
{
    return retry_opts;
}

/* Reads the n rows of opts found in mapping m into f ("PREFIX.name" in messages). */
static void parse_declared(walk *w, const au_ynode *m, const char *prefix, const au_opt *opts,
                           size_t n, au_flowdef *f)
{
    for (const au_opt *o = opts; o < opts + n && o->name; o++) {
        const au_ynode *v = map_get(w, m, o->name);
        char *path = *prefix ? au_asprintf("%s.%s", prefix, o->name) : au_strdup(o->name);
        au_opt_val x;
        if (!path)
            verr(w, AU_ERR_NOMEM, m, prefix, "out of memory");
        else if (v && !get_value(w, v, path, o, &x)) {
            if (o->type == AU_OPT_BOOL)
                *(int *)((char *)f + o->offset) = x.b;
            else
                *(long *)((char *)f + o->offset) = x.i;
        }
        au_free(path);
    }
}

static void parse_retry(walk *w, const au_ynode *r, au_flowdef *f)
{
    static const char *const keys[] = {"max_attempts", "backoff_ms", "max_backoff_ms", NULL};
    if (r->kind != AU_YAML_MAP) {
        verr(w, AU_ERR_INVALID, r, "retry", "must be a mapping");
        return;
    }
    check_keys(w, r, "retry", keys, NULL);
    int before = w->nerrors;
    parse_declared(w, r, "retry", retry_opts, au_opts_count(retry_opts), f);
    const au_ynode *v = map_get(w, r, "max_backoff_ms");
    if (v && w->nerrors == before && f->max_backoff_ms < f->backoff_ms)
        verr(w, AU_ERR_INVALID, v, "retry.max_backoff_ms", "must not be less than backoff_ms");
}

static void parse_flow(walk *w, const au_ynode *root, const char *want_name, au_flowdef *f)
{
    static const char *const keys[] = {"name",    "description", "enabled",
                                       "trigger", "condition",   "steps",
                                       "retry",   "concurrency", NULL};
    json_t *js = f->json;
    if (root->kind != AU_YAML_MAP) {
        verr(w, AU_ERR_INVALID, root, "", "a flow definition must be a mapping");
        return;
    }
    const au_ynode *v = map_get(w, root, "name");
    if (v && !get_string(w, v, "name", 0, &f->name)) {
        w->flow = f->name;
        if (!valid_name(f->name))
            verr(w, AU_ERR_INVALID, v, "name", "must be 1-%d letters, digits, '_', '-' or '.'",
                 AU_FLOW_MAX_NAME);
        else if (want_name && strcmp(want_name, f->name))
            verr(w, AU_ERR_INVALID, v, "name", "does not match the flow name '%s' it is saved as",
                 want_name);
    } else if (!v && want_name) {
        f->name = au_strdup(want_name);
        if (!valid_name(want_name))
            verr(w, AU_ERR_INVALID, root, "name", "must be 1-%d letters, digits, '_', '-' or '.'",
                 AU_FLOW_MAX_NAME);
    } else if (!v) {
        verr(w, AU_ERR_INVALID, root, "", "missing 'name'");
    }
    check_keys(w, root, "", keys, NULL);
    if (f->name)
        json_object_set_new(js, "name", json_string(f->name));
    if ((v = map_get(w, root, "description")))
        get_string(w, v, "description", 1, &f->description);
    if (!f->description)
        f->description = au_strdup("");
    json_object_set_new(js, "description", json_string(f->description ? f->description : ""));
    parse_declared(w, root, "", &flow_opts[0], 1, f); /* enabled: errors in document order */
    json_object_set_new(js, "enabled", json_boolean(f->enabled));
    json_t *tj = json_object();
    if ((v = map_get(w, root, "trigger")))
        parse_trigger(w, v, &f->trigger, tj);
    else
        verr(w, AU_ERR_INVALID, root, "", "missing 'trigger'");
    json_object_set_new(js, "trigger", tj);
    if ((v = map_get(w, root, "condition")) && !is_null_scalar(v)) {
        f->condition = compile_expr(w, v, "condition");
        if (f->condition)
            json_object_set_new(js, "condition", json_string(au_expr_text(f->condition)));
    }
    json_t *sj = json_array();
    if ((v = map_get(w, root, "steps")))
        parse_steps(w, v, f, sj);
    else
        verr(w, AU_ERR_INVALID, root, "", "missing 'steps'");
    json_object_set_new(js, "steps", sj);
    if ((v = map_get(w, root, "retry")))
        parse_retry(w, v, f);
    json_object_set_new(js, "retry",
                        json_pack("{s:I,s:I,s:I}", "max_attempts", (json_int_t)f->max_attempts,
                                  "backoff_ms", (json_int_t)f->backoff_ms, "max_backoff_ms",
                                  (json_int_t)f->max_backoff_ms));
    parse_declared(w, root, "", &flow_opts[1], 1, f); /* concurrency */
    json_object_set_new(js, "concurrency", json_integer(f->concurrency));
}

/* The error of a walk that found mistakes. */
static au_rc walk_result(walk *w, au_err *err)
{
    if (w->nerrors > 1)
        au_err_set(err, w->first_rc, "%s (and %d more error%s)", w->first, w->nerrors - 1,
                   w->nerrors > 2 ? "s" : "");
    else
        au_err_set(err, w->first_rc, "%s", w->first);
    return w->first_rc;
}

au_rc au_flowdef_from_node(const au_ynode *root, const char *name, au_flowdef **out, au_err *err)
{
    walk w = {.flow = name ? name : "(unnamed)", .err = err, .budget = VALUE_BUDGET};
    *out = NULL;
    if (name && !au_name_valid(name))
        return au_err_set(err, AU_ERR_INVALID,
                          "flow name '%.80s' does not match %s (lower-case letters, digits, '_', "
                          "'.', '-'; at most %d characters)",
                          name, AU_NAME_PATTERN, AU_NAME_MAX);
    au_flowdef *f = au_calloc(1, sizeof(*f));
    if (!f || !(f->json = json_object())) {
        au_flowdef_free(f);
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    if (au_opts_defaults(flow_opts, au_opts_count(flow_opts), f, 0, err) ||
        au_opts_defaults(retry_opts, au_opts_count(retry_opts), f, 0, err)) {
        au_flowdef_free(f);
        return err ? err->rc : AU_ERR_INTERNAL;
    }
    if (!root)
        verr(&w, AU_ERR_INVALID, NULL, "", "empty definition");
    else
        parse_flow(&w, root, name, f);
    if (w.nerrors) {
        au_flowdef_free(f);
        return walk_result(&w, err);
    }
    *out = f;
    return AU_OK;
}

au_rc au_flowdef_parse(const char *text, size_t len, const char *name, au_flowdef **out,
                       au_err *err)
{
    const char *flow = name ? name : "(unnamed)";
    const au_yaml_limits lim = {.max_depth = AU_FLOW_MAX_DEPTH, .max_nodes = AU_FLOW_MAX_NODES};
    au_yaml_doc *doc = NULL;
    unsigned line = 0, col = 0;
    *out = NULL;
    if (name && !au_name_valid(name))
        return au_flowdef_from_node(NULL, name, out, err); /* the same refusal */
    if (len > AU_FLOW_MAX_BYTES)
        return au_err_set(err, AU_ERR_TOO_LARGE, "flow \"%s\": definition larger than %d bytes",
                          flow, AU_FLOW_MAX_BYTES);
    au_rc rc = au_yaml_load(text, len, &lim, &doc, &line, &col, err);
    if (rc == AU_ERR_NOMEM)
        return rc;
    if (rc) {
        char msg[sizeof(err->message)];
        snprintf(msg, sizeof(msg), "%s", err ? err->message : "");
        return au_err_set(err, rc, "flow \"%s\": line %u, column %u: YAML error: %s", flow, line,
                          col, msg);
    }
    rc = au_flowdef_from_node(au_yaml_root(doc), name, out, err);
    au_yaml_free(doc);
    return rc;
}

void au_flowdef_free(au_flowdef *f)
{
    if (!f)
        return;
    au_free(f->name);
    au_free(f->description);
    for (size_t i = 0; i < f->trigger.nattributes; i++)
        au_free(f->trigger.attributes[i]);
    au_free(f->trigger.attributes);
    au_free(f->trigger.event_type);
    au_free(f->trigger.event_source);
    au_cron_free(f->trigger.cron);
    au_free(f->trigger.secret);
    au_expr_free(f->condition);
    for (size_t i = 0; i < f->nsteps; i++) {
        au_flow_step *s = &f->steps[i];
        au_free(s->id);
        au_expr_free(s->when);
        json_decref(s->config);
        for (size_t k = 0; k < s->nvalues; k++)
            value_free(s->values[k]);
        au_free(s->values);
    }
    au_free(f->steps);
    json_decref(f->json);
    au_free(f);
}

json_t *au_flowdef_to_json(const au_flowdef *f, int redact)
{
    json_t *j = json_deep_copy(f->json);
    if (!j || !redact)
        return j;
    json_t *wh = json_object_get(json_object_get(j, "trigger"), "webhook");
    if (json_object_get(wh, "secret"))
        json_object_set_new(wh, "secret", json_string(HIDDEN_SECRET));
    json_t *steps = json_object_get(j, "steps");
    for (size_t i = 0; i < json_array_size(steps); i++) {
        const char *k;
        json_t *v;
        json_object_foreach(json_array_get(steps, i), k, v)
        {
            if (json_is_object(v) && json_object_get(v, "secret"))
                json_object_set_new(v, "secret", json_string(HIDDEN_SECRET));
        }
    }
    au_redact_json(j); /* credentials by type: headers, URL passwords, conninfo password= */
    return j;
}

/* A value the API showed instead of a hidden one: a secret, or a string with a redacted part. */
static int is_placeholder(const json_t *v)
{
    const char *s = json_string_value(v);
    return s && (!strcmp(s, HIDDEN_SECRET) || strstr(s, AU_REDACTED));
}

static int keep_hidden_in(json_t *nw, const json_t *shown, const json_t *raw);

/* One value of nw against the shown and stored values at the same place; 1 when replaced. */
static int keep_hidden_value(json_t *nw, const char *key, size_t idx, json_t *v,
                             const json_t *shown, const json_t *raw)
{
    if (!shown || !raw)
        return 0;
    if (json_is_string(v) && is_placeholder(v) && json_equal(v, shown) && !json_equal(v, raw)) {
        json_t *copy = json_deep_copy(raw);
        if (!copy)
            return 0;
        return key ? !json_object_set_new(nw, key, copy) : !json_array_set_new(nw, idx, copy);
    }
    return keep_hidden_in(v, shown, raw);
}

/* The stored step of id `id` (shown and raw share their order). */
static size_t step_index(const json_t *steps, const json_t *id)
{
    for (size_t i = 0; id && i < json_array_size(steps); i++)
        if (json_equal(json_object_get(json_array_get(steps, i), "id"), id))
            return i;
    return (size_t)-1;
}

static int keep_hidden_in(json_t *nw, const json_t *shown, const json_t *raw)
{
    int n = 0;
    if (json_is_object(nw) && json_is_object(shown) && json_is_object(raw)) {
        const char *k;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(nw, tmp, k, v)
        {
            n += keep_hidden_value(nw, k, 0, v, json_object_get(shown, k), json_object_get(raw, k));
        }
    } else if (json_is_array(nw) && json_is_array(shown) && json_is_array(raw)) {
        for (size_t i = 0; i < json_array_size(nw); i++)
            n += keep_hidden_value(nw, NULL, i, json_array_get(nw, i), json_array_get(shown, i),
                                   json_array_get(raw, i));
    }
    return n;
}

int au_flowdef_keep_hidden(json_t *nw, const au_flowdef *old)
{
    if (!old || !json_is_object(nw))
        return 0;
    json_t *shown = au_flowdef_to_json(old, 1);
    const json_t *raw = old->json;
    int n = 0;
    if (!shown)
        return 0;
    const char *k;
    json_t *v;
    json_object_foreach(nw, k, v)
    {
        if (strcmp(k, "steps"))
            n += keep_hidden_value(nw, k, 0, v, json_object_get(shown, k), json_object_get(raw, k));
    }
    /* Steps by id: the builder may have reordered, added or removed steps. A step without an
     * id takes the default of its place (step1, step2...), as the parser gives it. */
    json_t *steps = json_object_get(nw, "steps"), *st;
    size_t i;
    json_array_foreach(steps, i, st)
    {
        json_t *id = json_object_get(st, "id");
        char dflt[32];
        snprintf(dflt, sizeof(dflt), "step%zu", i + 1);
        json_t *tmp = id ? NULL : json_string(dflt);
        size_t at = step_index(json_object_get(shown, "steps"), id ? id : tmp);
        json_decref(tmp);
        if (at != (size_t)-1)
            n += keep_hidden_in(st, json_array_get(json_object_get(shown, "steps"), at),
                                json_array_get(json_object_get(raw, "steps"), at));
    }
    json_decref(shown);
    return n;
}

/* Depth-first search for a placeholder; path is extended as it descends. */
static int placeholder_in(const json_t *j, char *path, size_t cap, size_t len)
{
    if (is_placeholder(j))
        return 1;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v)
        {
            snprintf(path + len, cap - len, "%s%s", len ? "." : "", k);
            if (placeholder_in(v, path, cap, strlen(path)))
                return 1;
        }
    } else if (json_is_array(j)) {
        for (size_t i = 0; i < json_array_size(j); i++) {
            snprintf(path + len, cap - len, "[%zu]", i);
            if (placeholder_in(json_array_get(j, i), path, cap, strlen(path)))
                return 1;
        }
    }
    path[len] = '\0';
    return 0;
}

int au_flowdef_placeholder_at(const au_flowdef *f, char *path, size_t cap)
{
    if (!cap)
        return 0;
    path[0] = '\0';
    return placeholder_in(f->json, path, cap, 0);
}

au_rc au_flowdef_condition(const au_flowdef *f, const json_t *ctx, int64_t now_ms, int *match,
                           au_expr_error *err)
{
    *match = 1;
    if (!f->condition)
        return AU_OK;
    json_t *v;
    au_rc rc = au_expr_eval(f->condition, ctx, now_ms, &v, err);
    if (rc)
        return rc;
    *match = au_expr_truthy(v);
    json_decref(v);
    return AU_OK;
}
