/*
 * Declared options (see opts.h): the one converter from text to a typed value, the one wording
 * of what a value must be, and the reference generated from the rows. Numbers are strict: the
 * whole text must be the number (no blanks, no '+', no trailing letters), so `5x` is an error
 * everywhere rather than 5 in one place.
 */
#include "lib/opts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/alloc.h"

/* Index of v among the '|'-separated words of `words`, or -1. */
static int choice_index(const char *words, const char *v)
{
    size_t vl = strlen(v);
    int i = 0;
    for (const char *w = words; w && *w; i++) {
        size_t n = strcspn(w, "|");
        if (n == vl && strncmp(w, v, n) == 0)
            return i;
        w += n + (w[n] == '|');
    }
    return -1;
}

void au_opt_expected(const au_opt *o, char *buf, size_t cap)
{
    switch (o->type) {
    case AU_OPT_INT:
        if (o->min < o->max && o->max == __LONG_MAX__)
            snprintf(buf, cap, "an integer of at least %ld", o->min);
        else if (o->min < o->max)
            snprintf(buf, cap, "an integer from %ld to %ld", o->min, o->max);
        else
            snprintf(buf, cap, "an integer");
        return;
    case AU_OPT_BOOL:
        snprintf(buf, cap, "true or false (yes/no, on/off, 1/0)");
        return;
    case AU_OPT_U64:
        snprintf(buf, cap, "a non-negative integer");
        return;
    case AU_OPT_DOUBLE:
        if (o->lo < o->hi)
            snprintf(buf, cap, "a number from %g to %g", o->lo, o->hi);
        else
            snprintf(buf, cap, "a number");
        return;
    case AU_OPT_CHOICE: {
        /* "one of a, b, c" from "a|b|c" */
        size_t pos = (size_t)snprintf(buf, cap, "one of ");
        for (const char *w = o->arg ? o->arg : ""; *w && pos < cap;) {
            size_t n = strcspn(w, "|");
            pos += (size_t)snprintf(buf + pos, cap - pos, "%s%.*s", w == o->arg ? "" : ", ", (int)n,
                                    w);
            w += n + (w[n] == '|');
        }
        return;
    }
    case AU_OPT_STRINGS:
        snprintf(buf, cap, "a list of strings");
        return;
    case AU_OPT_MAPPING:
        snprintf(buf, cap, "a mapping");
        return;
    case AU_OPT_STRING:
    case AU_OPT_TEMPLATE:
        break;
    }
    snprintf(buf, cap, "a string");
}

static au_rc bad(const au_opt *o, const char *text, au_err *err)
{
    char what[160];
    au_opt_expected(o, what, sizeof what);
    return au_err_set(err, AU_ERR_INVALID, "expected %s, got '%.64s'", what, text);
}

/* Decimal digits with an optional leading '-' and nothing else (strtol alone accepts blanks,
 * '+' and stops at the first letter). */
static int plain_integer(const char *s, int allow_minus)
{
    if (allow_minus && *s == '-')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int bool_word(const char *s, int *b)
{
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i]))
            return *b = 1, 1;
        if (!strcasecmp(s, no[i]))
            return *b = 0, 1;
    }
    return 0;
}

au_rc au_opt_convert(const au_opt *o, const char *text, au_opt_val *out, au_err *err)
{
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case AU_OPT_STRING:
    case AU_OPT_TEMPLATE:
    case AU_OPT_STRINGS:
        out->s = text;
        return AU_OK;
    case AU_OPT_INT: {
        long v = plain_integer(text, 1) ? strtol(text, &end, 10) : 0;
        if (!end || errno || (o->min < o->max && v < o->min) ||
            (o->min < o->max && v > o->max && !(o->flags & AU_OPT_CLAMP)))
            return bad(o, text, err);
        out->i = o->min < o->max && v > o->max ? o->max : v;
        return AU_OK;
    }
    case AU_OPT_BOOL:
        return bool_word(text, &out->b) ? AU_OK : bad(o, text, err);
    case AU_OPT_U64: {
        unsigned long long v = plain_integer(text, 0) ? strtoull(text, &end, 10) : 0;
        if (!end || errno)
            return bad(o, text, err);
        out->u = (uint64_t)v;
        return AU_OK;
    }
    case AU_OPT_DOUBLE: {
        double v = *text && !strchr(" \t\n+", *text) ? strtod(text, &end) : 0;
        if (!end || *end || errno || !isfinite(v) || (o->lo < o->hi && !(v >= o->lo && v <= o->hi)))
            return bad(o, text, err);
        out->d = v;
        return AU_OK;
    }
    case AU_OPT_CHOICE:
        out->b = choice_index(o->arg, text);
        return out->b >= 0 ? AU_OK : bad(o, text, err);
    case AU_OPT_MAPPING:
        break;
    }
    return bad(o, text, err);
}

/* Stores v in the field of o in dst. */
static au_rc store(const au_opt *o, const au_opt_val *v, void *dst, unsigned flags, au_err *err)
{
    void *field = (char *)dst + o->offset;
    switch (o->type) {
    case AU_OPT_STRING:
    case AU_OPT_TEMPLATE:
        if (flags & AU_OPT_COPY) {
            char *copy = au_strdup(v->s);
            if (!copy)
                return au_err_set(err, AU_ERR_NOMEM, "out of memory");
            au_free(*(char **)field);
            *(char **)field = copy;
        } else {
            *(const char **)field = v->s;
        }
        return AU_OK;
    case AU_OPT_STRINGS: {
        au_opt_list *l = field;
        if (l->n >= AU_OPT_LIST_MAX)
            return au_err_set(err, AU_ERR_INVALID, "%s: at most %d values", o->name,
                              AU_OPT_LIST_MAX);
        l->v[l->n++] = v->s;
        return AU_OK;
    }
    case AU_OPT_INT:
        if (o->flags & AU_OPT_INT_FIELD) /* the bounds fit an int (checked by the unit test) */
            *(int *)field = (int)v->i;
        else
            *(long *)field = v->i;
        return AU_OK;
    case AU_OPT_BOOL:
    case AU_OPT_CHOICE:
        *(int *)field = v->b;
        return AU_OK;
    case AU_OPT_U64:
        *(uint64_t *)field = v->u;
        return AU_OK;
    case AU_OPT_DOUBLE:
        *(double *)field = v->d;
        return AU_OK;
    case AU_OPT_MAPPING:
        break;
    }
    return au_err_set(err, AU_ERR_INTERNAL, "%s: a mapping is not stored in a field", o->name);
}

/* Prefixes err's message with the option's name. */
static au_rc named(const au_opt *o, au_rc rc, au_err *err)
{
    if (rc && rc != AU_ERR_NOMEM && err) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        au_err_set(err, rc, "%s: %s", o->name, msg);
    }
    return rc;
}

au_rc au_opt_set(const au_opt *o, const char *text, void *dst, unsigned flags, au_err *err)
{
    au_opt_val v;
    au_rc rc = au_opt_convert(o, text, &v, err);
    if (rc)
        return named(o, rc, err);
    return store(o, &v, dst, flags, err);
}

au_rc au_opt_set_node(const au_opt *o, const au_ynode *n, void *dst, unsigned flags, au_err *err)
{
    char what[160];
    if (o->type == AU_OPT_STRINGS && n->kind == AU_YAML_SEQ) {
        for (size_t i = 0; i < n->n; i++) {
            au_rc rc = au_opt_set_node(o, n->items[i], dst, flags, err);
            if (rc)
                return rc;
        }
        return AU_OK;
    }
    au_opt_expected(o, what, sizeof what);
    if (o->type == AU_OPT_MAPPING || o->type == AU_OPT_TEMPLATE)
        return au_err_set(err, AU_ERR_INTERNAL, "%s: compiled by its consumer", o->name);
    if (n->kind != AU_YAML_SCALAR)
        return au_err_set(err, AU_ERR_INVALID, "%s: expected %s, got %s", o->name, what,
                          au_yaml_kind_name(n));
    if (o->type == AU_OPT_STRING && au_yaml_is_null(n))
        return au_opt_set(o, "", dst, flags, err);
    int typed = o->type != AU_OPT_STRING && o->type != AU_OPT_STRINGS && o->type != AU_OPT_CHOICE;
    if (typed && !n->plain)
        return au_err_set(err, AU_ERR_INVALID, "%s: expected %s, got the quoted string '%.64s'",
                          o->name, what, n->text);
    return au_opt_set(o, n->text, dst, flags, err);
}

void au_opts_names(const au_opt *opts, size_t n, char *buf, size_t cap)
{
    size_t pos = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && opts[i].name && pos < cap; i++)
        pos += (size_t)snprintf(buf + pos, cap - pos, "%s%s", i ? ", " : "", opts[i].name);
}

/* Sets *line / *col to node n and prefixes err's message with "PREFIX.". */
static au_rc at_node(au_rc rc, const au_ynode *n, const char *prefix, unsigned *line, unsigned *col,
                     au_err *err)
{
    if (rc == AU_ERR_NOMEM)
        return rc;
    *line = n->line;
    *col = n->col;
    if (err && *prefix) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        au_err_set(err, rc, "%s.%s", prefix, msg);
    }
    return rc;
}

au_rc au_opts_from_yaml(const au_opt *opts, size_t n, const au_ynode *m, const char *prefix,
                        void *dst, unsigned flags, unsigned *line, unsigned *col, au_err *err)
{
    char names[512];
    *line = *col = 0;
    if (!m)
        return AU_OK;
    au_opts_names(opts, n, names, sizeof names);
    if (m->kind != AU_YAML_MAP) {
        *line = m->line;
        *col = m->col;
        return au_err_set(err, AU_ERR_INVALID, "%s: expected a mapping of %s, got %s", prefix,
                          names, au_yaml_kind_name(m));
    }
    for (size_t i = 0; i < m->n; i++) {
        const au_ynode *k = AU_YAML_KEY(m, i);
        const au_opt *o = k->kind == AU_YAML_SCALAR ? au_opts_find(opts, n, k->text, k->len) : NULL;
        if (!o) {
            au_err_set(err, AU_ERR_INVALID, "%.60s: unknown key (valid keys: %s)",
                       k->kind == AU_YAML_SCALAR ? k->text : "?", names);
            return at_node(AU_ERR_INVALID, k, prefix, line, col, err);
        }
        au_rc rc = o->flags & AU_OPT_CONSUMER
                       ? AU_OK
                       : au_opt_set_node(o, AU_YAML_VALUE(m, i), dst, flags, err);
        if (rc)
            return at_node(rc, AU_YAML_VALUE(m, i), prefix, line, col, err);
    }
    for (size_t i = 0; i < n && opts[i].name; i++)
        if (opts[i].required && !au_yaml_get(m, opts[i].name, NULL)) {
            au_err_set(err, AU_ERR_INVALID, "%s: required (%s)", opts[i].name, opts[i].help);
            return at_node(AU_ERR_INVALID, m, prefix, line, col, err);
        }
    return AU_OK;
}

size_t au_opts_count(const au_opt *opts)
{
    size_t n = 0;
    while (opts && opts[n].name)
        n++;
    return n;
}

const au_opt *au_opts_find(const au_opt *opts, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n && opts[i].name; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

au_rc au_opts_defaults(const au_opt *opts, size_t n, void *dst, unsigned flags, au_err *err)
{
    for (size_t i = 0; i < n && opts[i].name; i++) {
        if (!opts[i].def)
            continue;
        au_rc rc = au_opt_set(&opts[i], opts[i].def, dst, flags, err);
        if (rc && rc != AU_ERR_NOMEM) {
            char msg[sizeof err->message];
            snprintf(msg, sizeof msg, "%s", err ? err->message : "");
            return au_err_set(err, AU_ERR_INTERNAL, "bad default of %s: %s", opts[i].name, msg);
        }
        if (rc)
            return rc;
    }
    return AU_OK;
}

void au_opts_cleanup(const au_opt *opts, size_t n, void *dst)
{
    for (size_t i = 0; i < n && opts[i].name; i++)
        if (opts[i].type == AU_OPT_STRING || opts[i].type == AU_OPT_TEMPLATE) {
            char **field = (char **)((char *)dst + opts[i].offset);
            au_free(*field);
            *field = NULL;
        }
}

void au_opt_type_text(const au_opt *o, char *buf, size_t cap)
{
    switch (o->type) {
    case AU_OPT_INT:
        if (o->min < o->max && o->max == __LONG_MAX__)
            snprintf(buf, cap, "integer >= %ld", o->min);
        else if (o->min < o->max)
            snprintf(buf, cap, "integer %ld..%ld%s", o->min, o->max,
                     o->flags & AU_OPT_CLAMP ? " (more: the maximum)" : "");
        else
            snprintf(buf, cap, "integer");
        return;
    case AU_OPT_BOOL:
        snprintf(buf, cap, "boolean");
        return;
    case AU_OPT_U64:
        snprintf(buf, cap, "integer >= 0");
        return;
    case AU_OPT_DOUBLE:
        if (o->lo < o->hi)
            snprintf(buf, cap, "number %g..%g", o->lo, o->hi);
        else
            snprintf(buf, cap, "number");
        return;
    case AU_OPT_CHOICE:
        snprintf(buf, cap, "%s", o->arg ? o->arg : "");
        return;
    case AU_OPT_STRINGS:
        snprintf(buf, cap, "strings");
        return;
    case AU_OPT_TEMPLATE:
        snprintf(buf, cap, "template");
        return;
    case AU_OPT_MAPPING:
        snprintf(buf, cap, "%s", o->arg ? o->arg : "mapping");
        return;
    case AU_OPT_STRING:
        break;
    }
    snprintf(buf, cap, "string");
}

/* Appends s with '|' escaped, so it stays one Markdown table cell. */
static au_rc md_cell(au_buf *out, const char *s)
{
    au_rc rc = AU_OK;
    for (; s && *s && !rc; s++)
        rc = *s == '|' ? au_buf_printf(out, "\\|") : au_buf_append(out, s, 1);
    return rc;
}

au_rc au_opts_markdown(const au_opt *opts, size_t n, au_buf *out)
{
    char type[160];
    au_rc rc = au_buf_printf(out, "| option | type | default | description |\n|---|---|---|---|\n");
    for (size_t i = 0; i < n && opts[i].name && !rc; i++) {
        const au_opt *o = &opts[i];
        au_opt_type_text(o, type, sizeof type);
        rc = au_buf_printf(out, "| `%s` | ", o->name);
        if (!rc)
            rc = md_cell(out, type);
        if (!rc && o->def)
            rc = *o->def ? au_buf_printf(out, " | `%s` | ", o->def)
                         : au_buf_printf(out, " | \"\" | ");
        else if (!rc)
            rc = au_buf_printf(out, " | %s | ", o->required ? "required" : "");
        if (!rc)
            rc = md_cell(out, o->help);
        if (!rc)
            rc = au_buf_printf(out, " |\n");
    }
    return rc;
}
