/*
 * Templates of the flow expression language: text with {{ expr }} holes, parsed once (each hole
 * by the expression parser, stopping at "}}") and rendered per delivery, optionally URL-encoding
 * each value.
 */
#include "flows/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flows/expr_int.h"
#include "lib/alloc.h"
#include "lib/buf.h"

typedef struct tmpl_part {
    char *text;    /* literal text (NULL for an expression part), owned */
    size_t len;    /* bytes of text */
    au_expr *expr; /* expression part, owned */
} tmpl_part;

struct au_expr_template {
    tmpl_part *parts; /* in order */
    size_t nparts;    /* used entries */
};

static au_rc tmpl_add(au_expr_template *t, const char *text, size_t len, au_expr *expr)
{
    tmpl_part *p = au_realloc(t->parts, (t->nparts + 1) * sizeof(*p));
    if (!p)
        return AU_ERR_NOMEM;
    t->parts = p;
    p = &t->parts[t->nparts];
    p->expr = expr;
    p->len = len;
    p->text = NULL;
    if (text) {
        p->text = au_strndup(text, len);
        if (!p->text)
            return AU_ERR_NOMEM;
    }
    t->nparts++;
    return AU_OK;
}

/* Parses one {{ expr }} starting after "{{" at *pp; moves *pp past "}}". */
static au_rc tmpl_expr(const char **pp, const char *end, int *line, int *col, au_expr **out,
                       au_expr_error *err)
{
    au_expr_parser ps;
    au_expr_parser_init(&ps, *pp, (size_t)(end - *pp), *line, *col, err);
    ps.stop_at_braces = 1;
    int oline = *line, ocol = *col - 2;
    node *root = au_expr_parse_all(&ps);
    au_rc rc = ps.rc;
    if (!rc && !(ps.p + 1 < end && ps.p[0] == '}' && ps.p[1] == '}'))
        rc = au_expr_perr(&ps, AU_ERR_PARSE, oline, ocol, "'{{' without a matching '}}'");
    au_expr_parser_cleanup(&ps);
    if (rc) {
        au_expr_node_free(root);
        return rc;
    }
    au_expr *e = au_calloc(1, sizeof(*e));
    if (e)
        e->text = au_strndup(*pp, (size_t)(ps.p - *pp));
    if (!e || !e->text) {
        au_expr_node_free(root);
        au_expr_free(e);
        return AU_ERR_NOMEM;
    }
    e->root = root;
    *out = e;
    *pp = ps.p + 2;
    *line = ps.line;
    *col = ps.col + 2;
    return AU_OK;
}

au_rc au_expr_template_parse(const char *text, au_expr_template **out, au_expr_error *err)
{
    au_rc rc;
    *out = NULL;
    if (err)
        memset(err, 0, sizeof(*err));
    size_t len = strlen(text);
    rc = au_expr_check_length(len, err);
    if (rc)
        return rc;
    au_expr_template *t = au_calloc(1, sizeof(*t));
    if (!t)
        return AU_ERR_NOMEM;
    const char *p = text, *end = text + len, *lit = text;
    int line = 1, col = 1;
    while (p < end) {
        if (p + 1 < end && p[0] == '{' && p[1] == '{') {
            au_expr *e = NULL;
            if (p > lit && (rc = tmpl_add(t, lit, (size_t)(p - lit), NULL)))
                goto out;
            p += 2;
            col += 2;
            rc = tmpl_expr(&p, end, &line, &col, &e, err);
            if (rc)
                goto out;
            rc = tmpl_add(t, NULL, 0, e);
            if (rc) {
                au_expr_free(e);
                goto out;
            }
            lit = p;
            continue;
        }
        if (*p == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
        p++;
    }
    if (p > lit && (rc = tmpl_add(t, lit, (size_t)(p - lit), NULL)))
        goto out;
    *out = t;
    t = NULL;
out:
    if (rc == AU_ERR_NOMEM && err)
        snprintf(err->message, sizeof(err->message), "out of memory");
    au_expr_template_free(t);
    return rc;
}

void au_expr_template_free(au_expr_template *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nparts; i++) {
        au_free(t->parts[i].text);
        au_expr_free(t->parts[i].expr);
    }
    au_free(t->parts);
    au_free(t);
}

int au_expr_template_is_dynamic(const au_expr_template *t)
{
    for (size_t i = 0; i < t->nparts; i++)
        if (t->parts[i].expr)
            return 1;
    return 0;
}

au_rc au_expr_append_text(au_buf *b, const json_t *v)
{
    if (json_is_null(v))
        return AU_OK;
    if (json_is_string(v))
        return au_buf_append(b, json_string_value(v), json_string_length(v));
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    if (!s)
        return AU_ERR_NOMEM;
    au_rc rc = au_buf_puts(b, s);
    free(s);
    return rc;
}

static au_rc append_urlencoded(au_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    au_rc rc = AU_OK;
    for (; *s && !rc; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            rc = au_buf_putc(b, (char)c);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = au_buf_append(b, e, 3);
        }
    }
    return rc;
}

au_rc au_expr_template_render(const au_expr_template *t, const json_t *ctx, int64_t now_ms,
                              int flags, char **out, au_expr_error *err)
{
    au_buf b, tmp;
    au_rc rc = AU_OK;
    *out = NULL;
    if (err)
        memset(err, 0, sizeof(*err));
    au_buf_init(&b, AU_EXPR_MAX_STRING);
    au_buf_init(&tmp, AU_EXPR_MAX_STRING);
    for (size_t i = 0; i < t->nparts && !rc; i++) {
        const tmpl_part *p = &t->parts[i];
        if (!p->expr) {
            rc = au_buf_append(&b, p->text, p->len);
            continue;
        }
        json_t *v;
        rc = au_expr_eval(p->expr, ctx, now_ms, &v, err);
        if (rc)
            break;
        au_buf_reset(&tmp);
        rc = au_expr_append_text(flags & AU_TMPL_URLENCODE ? &tmp : &b, v);
        if (!rc && (flags & AU_TMPL_URLENCODE))
            rc = append_urlencoded(&b, tmp.data ? tmp.data : "");
        json_decref(v);
        if (rc && err)
            snprintf(err->message, sizeof(err->message), "%s",
                     rc == AU_ERR_TOO_LARGE ? "rendered text too long" : "out of memory");
    }
    if (!rc) {
        *out = b.data ? au_buf_steal(&b) : au_strdup("");
        if (!*out)
            rc = AU_ERR_NOMEM;
    }
    au_buf_cleanup(&b);
    au_buf_cleanup(&tmp);
    return rc;
}

au_rc au_expr_template_eval(const au_expr_template *t, const json_t *ctx, int64_t now_ms,
                            json_t **out, au_expr_error *err)
{
    *out = NULL;
    if (t->nparts == 1 && t->parts[0].expr)
        return au_expr_eval(t->parts[0].expr, ctx, now_ms, out, err);
    char *s;
    au_rc rc = au_expr_template_render(t, ctx, now_ms, 0, &s, err);
    if (rc)
        return rc;
    *out = json_string(s);
    au_free(s);
    if (!*out) {
        if (err)
            snprintf(err->message, sizeof(err->message), "rendered text is not valid UTF-8");
        return AU_ERR_INVALID;
    }
    return AU_OK;
}

au_rc au_expr_render_template(const char *text, const json_t *ctx, int64_t now_ms, int flags,
                              char **out, au_expr_error *err)
{
    au_expr_template *t;
    *out = NULL;
    au_rc rc = au_expr_template_parse(text, &t, err);
    if (rc)
        return rc;
    rc = au_expr_template_render(t, ctx, now_ms, flags, out, err);
    au_expr_template_free(t);
    return rc;
}
