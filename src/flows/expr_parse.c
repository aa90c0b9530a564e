/*
 * The flow expression language's Pratt parser: builds the syntax tree (expr_int.h) whose nodes
 * carry their line and column, bounding nesting, list sizes and subtree height so hostile text
 * cannot make parsing or evaluation recurse without limit. Tokens come from expr_lex.c.
 */
#include "flows/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flows/expr_int.h"
#include "lib/alloc.h"
#include "lib/array.h"
#include "lib/buf.h"

static node *node_new(au_expr_parser *ps, enum node_kind kind, int line, int col)
{
    node *n = au_calloc(1, sizeof(*n));
    if (!n) {
        au_expr_perr(ps, AU_ERR_NOMEM, line, col, "out of memory");
        return NULL;
    }
    n->kind = kind;
    n->line = line;
    n->col = col;
    return n;
}

void au_expr_node_free(node *n)
{
    if (!n)
        return;
    json_decref(n->lit);
    au_free(n->name);
    au_expr_node_free(n->a);
    au_expr_node_free(n->b);
    for (size_t i = 0; i < n->nargs; i++)
        au_expr_node_free(n->args[i]);
    au_free(n->args);
    au_free(n);
}

static node *parse_expr(au_expr_parser *ps, int min_bp);

/* Computes n->height from its children and enforces AU_EXPR_MAX_DEPTH on the finished tree, so
 * long operator chains (a+b+c+...) cannot make evaluation recurse deeper than the limit. */
static au_rc set_height(au_expr_parser *ps, node *n)
{
    int h = 0;
    if (n->a && n->a->height > h)
        h = n->a->height;
    if (n->b && n->b->height > h)
        h = n->b->height;
    for (size_t i = 0; i < n->nargs; i++)
        if (n->args[i]->height > h)
            h = n->args[i]->height;
    n->height = h + 1;
    if (n->height > AU_EXPR_MAX_DEPTH)
        return au_expr_perr(ps, AU_ERR_TOO_LARGE, n->line, n->col,
                            "expression nested too deeply (limit %d)", AU_EXPR_MAX_DEPTH);
    return AU_OK;
}

static const char *tok_name(const au_expr_token *t)
{
    switch (t->kind) {
    case T_EOF:
        return "end of expression";
    case T_NUM:
        return "number";
    case T_STR:
        return "string";
    case T_IDENT:
        return "name";
    default:
        return NULL;
    }
}

static au_rc expect(au_expr_parser *ps, enum tok kind, const char *what)
{
    if (ps->tok.kind == kind) {
        au_expr_next_token(ps);
        return ps->rc;
    }
    const char *name = tok_name(&ps->tok);
    if (name)
        return au_expr_perr(ps, AU_ERR_PARSE, ps->tok.line, ps->tok.col, "expected %s, found %s",
                            what, name);
    return au_expr_perr(ps, AU_ERR_PARSE, ps->tok.line, ps->tok.col, "expected %s, found '%.*s'",
                        what, (int)(ps->tok.len > 20 ? 20 : ps->tok.len), ps->tok.start);
}

/* Comma-separated expressions up to `close`, stored in n->args. */
static au_rc parse_list(au_expr_parser *ps, node *n, enum tok close, const char *close_name,
                        size_t max)
{
    size_t cap = 0;
    if (ps->tok.kind == close) {
        au_expr_next_token(ps);
        return ps->rc;
    }
    for (;;) {
        if (n->nargs == max)
            return au_expr_perr(ps, AU_ERR_TOO_LARGE, ps->tok.line, ps->tok.col,
                                "too many elements (limit %zu)", max);
        if (AU_ARRAY_GROW(n->args, cap, n->nargs + 1, 4))
            return au_expr_perr(ps, AU_ERR_NOMEM, ps->tok.line, ps->tok.col, "out of memory");
        node *arg = parse_expr(ps, 0);
        if (!arg)
            return ps->rc;
        n->args[n->nargs++] = arg;
        if (ps->tok.kind == T_COMMA) {
            au_expr_next_token(ps);
            continue;
        }
        return expect(ps, close, close_name);
    }
}

static node *make_literal(au_expr_parser *ps, json_t *v, int line, int col)
{
    if (!v) {
        au_expr_perr(ps, AU_ERR_PARSE, line, col, "invalid literal (strings must be UTF-8)");
        return NULL;
    }
    node *n = node_new(ps, N_LIT, line, col);
    if (!n) {
        json_decref(v);
        return NULL;
    }
    n->lit = v;
    n->height = 1;
    return n;
}

static node *parse_primary(au_expr_parser *ps)
{
    au_expr_token t = ps->tok;
    node *n = NULL;
    switch (t.kind) {
    case T_NUM:
        au_expr_next_token(ps);
        return make_literal(ps, au_expr_number(t.num), t.line, t.col);
    case T_STR: {
        json_t *s = json_stringn(t.str, t.slen);
        au_expr_next_token(ps); /* frees t.str */
        return make_literal(ps, s, t.line, t.col);
    }
    case T_TRUE:
    case T_FALSE:
    case T_NULL:
        au_expr_next_token(ps);
        return make_literal(ps,
                            t.kind == T_TRUE    ? json_true()
                            : t.kind == T_FALSE ? json_false()
                                                : json_null(),
                            t.line, t.col);
    case T_IDENT:
        au_expr_next_token(ps);
        if (ps->tok.kind == T_LPAREN) {
            const au_expr_fn *fn = au_expr_fn_find(t.start, t.len);
            if (!fn) {
                au_expr_perr(ps, AU_ERR_PARSE, t.line, t.col, "unknown function '%.*s'",
                             (int)(t.len > 40 ? 40 : t.len), t.start);
                return NULL;
            }
            n = node_new(ps, N_CALL, t.line, t.col);
            if (!n)
                return NULL;
            n->fn = fn;
            au_expr_next_token(ps);
            if (parse_list(ps, n, T_RPAREN, "')'", AU_EXPR_MAX_ARGS))
                goto fail;
            if ((int)n->nargs < fn->min_args ||
                (fn->max_args >= 0 && (int)n->nargs > fn->max_args)) {
                if (fn->min_args == fn->max_args)
                    au_expr_perr(ps, AU_ERR_PARSE, t.line, t.col,
                                 "%s() takes %d argument%s, not %zu", fn->name, fn->min_args,
                                 fn->min_args == 1 ? "" : "s", n->nargs);
                else if (fn->max_args < 0)
                    au_expr_perr(ps, AU_ERR_PARSE, t.line, t.col,
                                 "%s() takes at least %d arguments", fn->name, fn->min_args);
                else
                    au_expr_perr(ps, AU_ERR_PARSE, t.line, t.col,
                                 "%s() takes %d to %d arguments, not %zu", fn->name, fn->min_args,
                                 fn->max_args, n->nargs);
                goto fail;
            }
            if (set_height(ps, n))
                goto fail;
            return n;
        }
        n = node_new(ps, N_ROOT, t.line, t.col);
        if (!n)
            return NULL;
        n->name = au_strndup(t.start, t.len);
        if (!n->name) {
            au_expr_perr(ps, AU_ERR_NOMEM, t.line, t.col, "out of memory");
            goto fail;
        }
        n->height = 1;
        return n;
    case T_LPAREN:
        au_expr_next_token(ps);
        n = parse_expr(ps, 0);
        if (!n)
            return NULL;
        if (expect(ps, T_RPAREN, "')'"))
            goto fail;
        return n;
    case T_LBRACK:
        n = node_new(ps, N_LIST, t.line, t.col);
        if (!n)
            return NULL;
        au_expr_next_token(ps);
        if (parse_list(ps, n, T_RBRACK, "']'", AU_EXPR_MAX_LIST) || set_height(ps, n))
            goto fail;
        return n;
    case T_ERROR:
        return NULL;
    default: {
        const char *name = tok_name(&t);
        if (name)
            au_expr_perr(ps, AU_ERR_PARSE, t.line, t.col, "expected a value, found %s", name);
        else
            au_expr_perr(ps, AU_ERR_PARSE, t.line, t.col, "expected a value, found '%.*s'",
                         (int)t.len, t.start);
        return NULL;
    }
    }
fail:
    au_expr_node_free(n);
    return NULL;
}

/* Binding power of infix operators (0: not an infix operator). */
static int infix_bp(enum tok k)
{
    switch (k) {
    case T_OR:
        return 1;
    case T_AND:
        return 2;
    case T_EQ:
    case T_NE:
    case T_LT:
    case T_LE:
    case T_GT:
    case T_GE:
    case T_IN:
        return 4;
    case T_PLUS:
    case T_MINUS:
        return 5;
    case T_STAR:
    case T_SLASH:
    case T_PERCENT:
        return 6;
    default:
        return 0;
    }
}

#define BP_NOT    3
#define BP_UNARY  7
#define BP_POSTFX 8

static node *parse_postfix(au_expr_parser *ps, node *lhs)
{
    for (;;) {
        au_expr_token t = ps->tok;
        if (t.kind == T_DOT) {
            au_expr_next_token(ps);
            if (ps->tok.kind != T_IDENT && !(ps->tok.kind >= T_NOT && ps->tok.kind <= T_NULL)) {
                expect(ps, T_IDENT, "a field name after '.'");
                goto fail;
            }
            node *m = node_new(ps, N_MEMBER, t.line, t.col);
            if (!m)
                goto fail;
            m->a = lhs;
            lhs = m;
            m->name = au_strndup(ps->tok.start, ps->tok.len);
            if (!m->name) {
                au_expr_perr(ps, AU_ERR_NOMEM, t.line, t.col, "out of memory");
                goto fail;
            }
            if (set_height(ps, m))
                goto fail;
            au_expr_next_token(ps);
        } else if (t.kind == T_LBRACK) {
            if (++ps->depth > AU_EXPR_MAX_DEPTH) {
                au_expr_perr(ps, AU_ERR_TOO_LARGE, t.line, t.col,
                             "expression nested too deeply (limit %d)", AU_EXPR_MAX_DEPTH);
                goto fail;
            }
            au_expr_next_token(ps);
            node *ix = node_new(ps, N_INDEX, t.line, t.col);
            if (!ix)
                goto fail;
            ix->a = lhs;
            lhs = ix;
            ix->b = parse_expr(ps, 0);
            ps->depth--;
            if (!ix->b || expect(ps, T_RBRACK, "']'") || set_height(ps, ix))
                goto fail;
        } else {
            return lhs;
        }
    }
fail:
    au_expr_node_free(lhs);
    return NULL;
}

static node *parse_expr(au_expr_parser *ps, int min_bp)
{
    node *lhs = NULL;
    au_expr_token t = ps->tok;
    if (++ps->depth > AU_EXPR_MAX_DEPTH) {
        au_expr_perr(ps, AU_ERR_TOO_LARGE, t.line, t.col, "expression nested too deeply (limit %d)",
                     AU_EXPR_MAX_DEPTH);
        goto fail;
    }
    if (t.kind == T_NOT || t.kind == T_MINUS || t.kind == T_PLUS) {
        au_expr_next_token(ps);
        lhs = node_new(ps, N_UNARY, t.line, t.col);
        if (!lhs)
            goto fail;
        lhs->op = t.kind == T_NOT ? OP_NOT : t.kind == T_MINUS ? OP_NEG : OP_POS;
        lhs->a = parse_expr(ps, t.kind == T_NOT ? BP_NOT : BP_UNARY);
        if (!lhs->a || set_height(ps, lhs))
            goto fail;
    } else {
        lhs = parse_primary(ps);
        if (!lhs)
            goto fail;
        lhs = parse_postfix(ps, lhs);
        if (!lhs)
            goto fail;
    }
    for (;;) {
        au_expr_token op = ps->tok;
        int bp = infix_bp(op.kind);
        if (op.kind == T_NOT) {
            /* "x not in list" */
            bp = 4;
        }
        if (!bp || bp <= min_bp)
            break;
        au_expr_next_token(ps);
        int negate = 0;
        if (op.kind == T_NOT) {
            if (ps->tok.kind != T_IN) {
                expect(ps, T_IN, "'in' after 'not'");
                goto fail;
            }
            negate = 1;
            au_expr_next_token(ps);
        }
        node *bin = node_new(ps,
                             op.kind == T_AND  ? N_AND
                             : op.kind == T_OR ? N_OR
                                               : N_BINARY,
                             op.line, op.col);
        if (!bin)
            goto fail;
        bin->a = lhs;
        lhs = bin;
        switch (op.kind) {
        case T_EQ:
            bin->op = OP_EQ;
            break;
        case T_NE:
            bin->op = OP_NE;
            break;
        case T_LT:
            bin->op = OP_LT;
            break;
        case T_LE:
            bin->op = OP_LE;
            break;
        case T_GT:
            bin->op = OP_GT;
            break;
        case T_GE:
            bin->op = OP_GE;
            break;
        case T_PLUS:
            bin->op = OP_ADD;
            break;
        case T_MINUS:
            bin->op = OP_SUB;
            break;
        case T_STAR:
            bin->op = OP_MUL;
            break;
        case T_SLASH:
            bin->op = OP_DIV;
            break;
        case T_PERCENT:
            bin->op = OP_MOD;
            break;
        case T_IN:
        case T_NOT:
            bin->op = negate ? OP_NOTIN : OP_IN;
            break;
        default:
            break;
        }
        bin->b = parse_expr(ps, bp);
        if (!bin->b || set_height(ps, bin))
            goto fail;
    }
    ps->depth--;
    return lhs;
fail:
    au_expr_node_free(lhs);
    return NULL;
}

/* Parses from ps->p; leaves ps at the token that ended the expression. */
node *au_expr_parse_all(au_expr_parser *ps)
{
    au_expr_next_token(ps);
    if (ps->tok.kind == T_EOF && !ps->rc) {
        au_expr_perr(ps, AU_ERR_PARSE, ps->tok.line, ps->tok.col, "empty expression");
        return NULL;
    }
    node *root = parse_expr(ps, 0);
    if (root && ps->tok.kind != T_EOF) {
        const char *name = tok_name(&ps->tok);
        if (ps->tok.kind == T_ERROR)
            ;
        else if (name)
            au_expr_perr(ps, AU_ERR_PARSE, ps->tok.line, ps->tok.col, "unexpected %s", name);
        else
            au_expr_perr(ps, AU_ERR_PARSE, ps->tok.line, ps->tok.col, "unexpected '%.*s'",
                         (int)ps->tok.len, ps->tok.start);
    }
    if (ps->rc) {
        au_expr_node_free(root);
        root = NULL;
    }
    return root;
}

void au_expr_parser_init(au_expr_parser *ps, const char *text, size_t len, int line, int col,
                         au_expr_error *err)
{
    memset(ps, 0, sizeof(*ps));
    ps->src = text;
    ps->p = text;
    ps->end = text + len;
    ps->line = line;
    ps->col = col;
    ps->err = err;
}

void au_expr_parser_cleanup(au_expr_parser *ps)
{
    if (ps->tok.kind == T_STR)
        au_free(ps->tok.str);
    ps->tok.kind = T_EOF;
}

au_rc au_expr_check_length(size_t len, au_expr_error *err)
{
    if (len <= AU_EXPR_MAX_LEN)
        return AU_OK;
    if (err) {
        err->line = 1;
        err->col = 1;
        snprintf(err->message, sizeof(err->message), "expression longer than %d bytes at 1:1",
                 AU_EXPR_MAX_LEN);
    }
    return AU_ERR_TOO_LARGE;
}

au_rc au_expr_parse(const char *text, au_expr **out, au_expr_error *err)
{
    au_expr_parser ps;
    au_expr *e = NULL;
    au_rc rc;
    *out = NULL;
    if (err)
        memset(err, 0, sizeof(*err));
    size_t len = strlen(text);
    rc = au_expr_check_length(len, err);
    if (rc)
        return rc;
    au_expr_parser_init(&ps, text, len, 1, 1, err);
    node *root = au_expr_parse_all(&ps);
    au_expr_parser_cleanup(&ps);
    rc = ps.rc;
    if (rc)
        goto out;
    e = au_calloc(1, sizeof(*e));
    if (e)
        e->text = au_strndup(text, len);
    if (!e || !e->text) {
        rc = AU_ERR_NOMEM;
        if (err)
            snprintf(err->message, sizeof(err->message), "out of memory");
        goto out;
    }
    e->root = root;
    root = NULL;
    *out = e;
    e = NULL;
out:
    au_expr_node_free(root);
    au_expr_free(e);
    return rc;
}

void au_expr_free(au_expr *e)
{
    if (!e)
        return;
    au_expr_node_free(e->root);
    au_free(e->text);
    au_free(e);
}

const char *au_expr_text(const au_expr *e)
{
    return e->text;
}
