/*
 * The YAML loader (see yaml.h). libyaml's document API parses the text and resolves aliases to
 * node ids; this file copies that graph into a tree of au_ynode in one arena, expanding each
 * alias where it is used and applying merge keys, with every created node counted against the
 * budget and every level against the depth limit. Scalar text is borrowed from the libyaml
 * document, which the au_yaml_doc keeps until au_yaml_free.
 */
#include "lib/yaml.h"

#include <errno.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "lib/alloc.h"

/* Arena blocks: nodes and item arrays of one document are freed together. */
#define ARENA_BLOCK 16384

typedef struct block {
    struct block *next; /* older block */
    size_t used, cap;   /* bytes of data */
    max_align_t data[]; /* the memory handed out */
} block;

struct au_yaml_doc {
    yaml_document_t ydoc; /* owns the scalar text the nodes point into */
    int have_ydoc;        /* ydoc was loaded (and must be deleted) */
    block *blocks;        /* newest first */
    au_ynode *root;       /* NULL for an empty stream */
};

static void *arena_alloc(au_yaml_doc *d, size_t n)
{
    n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
    block *b = d->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        if (!(b = au_malloc(sizeof(*b) + cap)))
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = d->blocks;
        d->blocks = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

/* Copy state. */
typedef struct build {
    au_yaml_doc *d;     /* the document being built */
    int max_depth;      /* from the limits */
    long max_nodes;     /* from the limits */
    long nodes;         /* created so far */
    au_err *err;        /* the error, when one happens */
    unsigned line, col; /* its position */
} build;

__attribute__((format(printf, 4, 5))) static au_rc fail(build *b, au_rc rc, const yaml_node_t *at,
                                                        const char *fmt, ...)
{
    va_list ap;
    char msg[300];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    b->line = (unsigned)at->start_mark.line + 1;
    b->col = (unsigned)at->start_mark.column + 1;
    return au_err_set(b->err, rc, "%s", msg);
}

static au_rc build_node(build *b, yaml_node_t *y, int depth, au_ynode **out);

static int is_merge_key(const yaml_node_t *k)
{
    return k->type == YAML_SCALAR_NODE && k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           k->data.scalar.length == 2 && memcmp(k->data.scalar.value, "<<", 2) == 0;
}

/* The growing pair list of one mapping (temporary, copied into the arena when complete). */
typedef struct pairs {
    au_ynode **kv; /* key, value, key, value... */
    size_t n, cap; /* pairs used / allocated */
} pairs;

static int pairs_add(pairs *p, au_ynode *k, au_ynode *v)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 8;
        au_ynode **kv = au_realloc(p->kv, 2 * cap * sizeof(*kv));
        if (!kv)
            return -1;
        p->kv = kv;
        p->cap = cap;
    }
    p->kv[2 * p->n] = k;
    p->kv[2 * p->n + 1] = v;
    p->n++;
    return 0;
}

static int pairs_has(const pairs *p, const au_ynode *k)
{
    if (k->kind != AU_YAML_SCALAR)
        return 0;
    for (size_t i = 0; i < p->n; i++) {
        const au_ynode *o = p->kv[2 * i];
        if (o->kind == AU_YAML_SCALAR && o->len == k->len && !memcmp(o->text, k->text, k->len))
            return 1;
    }
    return 0;
}

/* Adds the pairs of the (already built) mapping m whose keys are not in p yet. */
static au_rc merge_pairs(build *b, pairs *p, const au_ynode *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (!pairs_has(p, m->items[2 * i]) && pairs_add(p, m->items[2 * i], m->items[2 * i + 1]))
            return au_err_set(b->err, AU_ERR_NOMEM, "out of memory");
    return AU_OK;
}

/* Applies the value of a `<<` key: a mapping, or a list of mappings (earlier ones win). */
static au_rc merge_value(build *b, pairs *p, yaml_node_t *v, int depth)
{
    int seq = v->type == YAML_SEQUENCE_NODE;
    size_t n = seq ? (size_t)(v->data.sequence.items.top - v->data.sequence.items.start) : 1;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *src =
            seq ? yaml_document_get_node(&b->d->ydoc, v->data.sequence.items.start[i]) : v;
        if (!src || src->type != YAML_MAPPING_NODE)
            return fail(b, AU_ERR_PARSE, src ? src : v,
                        "merge key '<<' needs a mapping or a list of mappings");
        au_ynode *m = NULL;
        au_rc rc = build_node(b, src, depth + 1, &m);
        if (!rc)
            rc = merge_pairs(b, p, m);
        if (rc)
            return rc;
    }
    return AU_OK;
}

static au_rc build_map(build *b, yaml_node_t *y, int depth, au_ynode *n)
{
    pairs p = {0};
    au_rc rc = AU_OK;
    yaml_node_pair_t *it;
    /* Explicit keys first, so merged keys never override them. */
    for (it = y->data.mapping.pairs.start; it < y->data.mapping.pairs.top && !rc; it++) {
        yaml_node_t *k = yaml_document_get_node(&b->d->ydoc, it->key);
        yaml_node_t *v = yaml_document_get_node(&b->d->ydoc, it->value);
        au_ynode *kn = NULL, *vn = NULL;
        if (is_merge_key(k))
            continue;
        rc = build_node(b, k, depth + 1, &kn);
        if (!rc)
            rc = build_node(b, v, depth + 1, &vn);
        if (!rc && pairs_add(&p, kn, vn))
            rc = au_err_set(b->err, AU_ERR_NOMEM, "out of memory");
    }
    for (it = y->data.mapping.pairs.start; it < y->data.mapping.pairs.top && !rc; it++)
        if (is_merge_key(yaml_document_get_node(&b->d->ydoc, it->key)))
            rc = merge_value(b, &p, yaml_document_get_node(&b->d->ydoc, it->value), depth);
    if (!rc && p.n) {
        if (!(n->items = arena_alloc(b->d, 2 * p.n * sizeof(*n->items))))
            rc = au_err_set(b->err, AU_ERR_NOMEM, "out of memory");
        else
            memcpy(n->items, p.kv, 2 * p.n * sizeof(*n->items));
        n->n = p.n;
    }
    au_free(p.kv);
    return rc;
}

static au_rc build_node(build *b, yaml_node_t *y, int depth, au_ynode **out)
{
    if (depth > b->max_depth)
        return fail(b, AU_ERR_TOO_LARGE, y, "nested more than %d levels (or a recursive alias)",
                    b->max_depth);
    if (++b->nodes > b->max_nodes)
        return fail(b, AU_ERR_TOO_LARGE, y,
                    "more than %ld nodes (an alias counts its whole anchored value each time it "
                    "is used)",
                    b->max_nodes);
    au_ynode *n = arena_alloc(b->d, sizeof(*n));
    if (!n)
        return au_err_set(b->err, AU_ERR_NOMEM, "out of memory");
    memset(n, 0, sizeof(*n));
    n->line = (unsigned)y->start_mark.line + 1;
    n->col = (unsigned)y->start_mark.column + 1;
    *out = n;
    switch (y->type) {
    case YAML_SCALAR_NODE:
        n->kind = AU_YAML_SCALAR;
        n->text = (const char *)y->data.scalar.value;
        n->len = y->data.scalar.length;
        n->plain = y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        return AU_OK;
    case YAML_SEQUENCE_NODE:
        n->kind = AU_YAML_SEQ;
        n->n = (size_t)(y->data.sequence.items.top - y->data.sequence.items.start);
        if (n->n && !(n->items = arena_alloc(b->d, n->n * sizeof(*n->items))))
            return au_err_set(b->err, AU_ERR_NOMEM, "out of memory");
        for (size_t i = 0; i < n->n; i++) {
            yaml_node_t *c = yaml_document_get_node(&b->d->ydoc, y->data.sequence.items.start[i]);
            au_rc rc = build_node(b, c, depth + 1, &n->items[i]);
            if (rc)
                return rc;
        }
        return AU_OK;
    case YAML_MAPPING_NODE:
        n->kind = AU_YAML_MAP;
        return build_map(b, y, depth, n);
    default:
        return fail(b, AU_ERR_PARSE, y, "unexpected YAML node");
    }
}

void au_yaml_free(au_yaml_doc *d)
{
    if (!d)
        return;
    if (d->have_ydoc)
        yaml_document_delete(&d->ydoc);
    for (block *b = d->blocks, *next; b; b = next) {
        next = b->next;
        au_free(b);
    }
    au_free(d);
}

/* Parses text into d->ydoc. */
static au_rc parse(au_yaml_doc *d, const char *text, size_t len, unsigned *line, unsigned *col,
                   au_err *err)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p))
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    au_rc rc = AU_OK;
    if (!yaml_parser_load(&p, &d->ydoc)) {
        const yaml_mark_t *m = p.problem ? &p.problem_mark : &p.context_mark;
        *line = (unsigned)m->line + 1;
        *col = (unsigned)m->column + 1;
        rc = p.error == YAML_MEMORY_ERROR
                 ? au_err_set(err, AU_ERR_NOMEM, "out of memory")
                 : au_err_set(err, AU_ERR_PARSE, "%s%s%s", p.problem ? p.problem : "malformed YAML",
                              p.context ? " " : "", p.context ? p.context : "");
    } else {
        d->have_ydoc = 1;
    }
    yaml_parser_delete(&p);
    return rc;
}

au_rc au_yaml_load(const char *text, size_t len, const au_yaml_limits *lim, au_yaml_doc **out,
                   unsigned *line, unsigned *col, au_err *err)
{
    unsigned l = 0, c = 0;
    build b = {.max_depth = lim && lim->max_depth ? lim->max_depth : AU_YAML_MAX_DEPTH,
               .max_nodes = lim && lim->max_nodes ? lim->max_nodes : AU_YAML_MAX_NODES,
               .err = err};
    *out = NULL;
    au_yaml_doc *d = au_calloc(1, sizeof(*d));
    if (!d)
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    b.d = d;
    au_rc rc = parse(d, text, len, &l, &c, err);
    yaml_node_t *root = rc ? NULL : yaml_document_get_root_node(&d->ydoc);
    if (root && (rc = build_node(&b, root, 0, &d->root))) {
        l = b.line;
        c = b.col;
    }
    if (line)
        *line = l;
    if (col)
        *col = c;
    if (rc) {
        au_yaml_free(d);
        return rc;
    }
    *out = d;
    return AU_OK;
}

const au_ynode *au_yaml_root(const au_yaml_doc *d)
{
    return d ? d->root : NULL;
}

const au_ynode *au_yaml_get(const au_ynode *m, const char *key, const au_ynode **key_node)
{
    size_t kl = strlen(key);
    if (key_node)
        *key_node = NULL;
    if (!m || m->kind != AU_YAML_MAP)
        return NULL;
    for (size_t i = 0; i < m->n; i++) {
        const au_ynode *k = AU_YAML_KEY(m, i);
        if (k->kind == AU_YAML_SCALAR && k->len == kl && !memcmp(k->text, key, kl)) {
            if (key_node)
                *key_node = k;
            return AU_YAML_VALUE(m, i);
        }
    }
    return NULL;
}

int au_yaml_is_null(const au_ynode *n)
{
    if (!n || n->kind != AU_YAML_SCALAR || !n->plain)
        return 0;
    const char *s = n->text;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL");
}

const char *au_yaml_kind_name(const au_ynode *n)
{
    return n->kind == AU_YAML_MAP ? "a mapping" : n->kind == AU_YAML_SEQ ? "a list" : "a scalar";
}

/* --- JSON ----------------------------------------------------------------------------------- */

static int is_int_text(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int is_float_text(const char *s)
{
    char *end;
    int digit = 0;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digit = 1;
        else if (!strchr("+-.eE", *p))
            return 0;
    }
    if (!digit)
        return 0;
    errno = 0;
    (void)strtod(s, &end);
    return *end == 0 && errno == 0;
}

/* A plain scalar typed by the YAML 1.2 core schema; anything else stays a string. */
static json_t *plain_scalar(const au_ynode *n)
{
    const char *s = n->text;
    if (au_yaml_is_null(n))
        return json_null();
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
        return json_true();
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
        return json_false();
    if (is_int_text(s)) {
        errno = 0;
        char *end;
        long long v = strtoll(s, &end, 10);
        if (errno == 0)
            return json_integer(v);
    }
    if (is_float_text(s))
        return json_real(strtod(s, NULL));
    return json_stringn(s, n->len);
}

typedef struct conv {
    au_err *err;        /* the error */
    unsigned line, col; /* its position */
} conv;

static au_rc conv_fail(conv *c, const au_ynode *at, au_rc rc, const char *msg, const char *arg)
{
    c->line = at->line;
    c->col = at->col;
    return au_err_set(c->err, rc, "%s%.100s", msg, arg ? arg : "");
}

static au_rc to_json(conv *c, const au_ynode *n, json_t **out)
{
    au_rc rc = AU_OK;
    json_t *j = NULL;
    *out = NULL;
    if (n->kind == AU_YAML_SCALAR) {
        if (strlen(n->text) != n->len) /* an escaped NUL cannot be a JSON key or a C string */
            return conv_fail(c, n, AU_ERR_PARSE, "scalar contains a NUL character", NULL);
        /* The document API gives every untagged scalar the str tag, so explicit tags cannot be
         * told apart: quoting is the way to keep a number-like value a string. */
        j = n->plain ? plain_scalar(n) : json_stringn(n->text, n->len);
    } else if (n->kind == AU_YAML_SEQ) {
        j = json_array();
        for (size_t i = 0; j && i < n->n && !rc; i++) {
            json_t *e = NULL;
            rc = to_json(c, n->items[i], &e);
            if (!rc && json_array_append_new(j, e))
                rc = au_err_set(c->err, AU_ERR_NOMEM, "out of memory");
        }
    } else {
        j = json_object();
        for (size_t i = 0; j && i < n->n && !rc; i++) {
            const au_ynode *k = AU_YAML_KEY(n, i);
            json_t *v = NULL;
            if (k->kind != AU_YAML_SCALAR)
                rc = conv_fail(c, k, AU_ERR_PARSE, "mapping keys must be scalars", NULL);
            else if (strlen(k->text) != k->len)
                rc = conv_fail(c, k, AU_ERR_PARSE, "key contains a NUL character", NULL);
            else if (json_object_get(j, k->text))
                rc = conv_fail(c, k, AU_ERR_PARSE, "duplicate key ", k->text);
            else if (!(rc = to_json(c, AU_YAML_VALUE(n, i), &v)) &&
                     json_object_set_new(j, k->text, v))
                rc = au_err_set(c->err, AU_ERR_NOMEM, "out of memory");
        }
    }
    if (!rc && !j)
        rc = au_err_set(c->err, AU_ERR_NOMEM, "out of memory");
    if (rc) {
        json_decref(j);
        return rc;
    }
    *out = j;
    return AU_OK;
}

au_rc au_yaml_node_to_json(const au_ynode *n, json_t **out, unsigned *line, unsigned *col,
                           au_err *err)
{
    conv c = {err, 0, 0};
    au_rc rc = to_json(&c, n, out);
    if (line)
        *line = c.line;
    if (col)
        *col = c.col;
    return rc;
}

au_rc au_yaml_to_json(const char *text, size_t len, json_t **out, au_err *err)
{
    au_yaml_doc *d = NULL;
    unsigned line = 0, col = 0;
    au_rc rc = au_yaml_load(text, len, NULL, &d, &line, &col, err);
    if (!rc && !au_yaml_root(d))
        rc = (*out = json_object()) ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
    else if (!rc)
        rc = au_yaml_node_to_json(au_yaml_root(d), out, &line, &col, err);
    au_yaml_free(d);
    if (rc && rc != AU_ERR_NOMEM) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        au_err_set(err, rc, "%u:%u: %s", line, col, msg);
    }
    return rc;
}
