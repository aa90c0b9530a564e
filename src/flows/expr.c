/*
 * Lexer, Pratt parser and tree-walking evaluator of the flow expression language. The parser
 * builds a small syntax tree whose nodes carry their line and column, so both parse and
 * evaluation errors can point at the text. Values are Jansson values throughout: a path may
 * return any sub-object of the context unchanged. Numbers are doubles; a result that is a whole
 * number within +-2^53 is returned as a JSON integer so 12 prints as 12, not 12.0.
 * Function implementations live in expr_fn.c; this file holds syntax and operators.
 */
#include "flows/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flows/expr_int.h"
#include "lib/alloc.h"
#include "lib/buf.h"

/* ---------------------------------------------------------------------------------------------
 * Lexer
 */

enum tok {
    T_EOF,
    T_NUM,
    T_STR,
    T_IDENT,
    T_LPAREN,
    T_RPAREN,
    T_LBRACK,
    T_RBRACK,
    T_COMMA,
    T_DOT,
    T_EQ,
    T_NE,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_PLUS,
    T_MINUS,
    T_STAR,
    T_SLASH,
    T_PERCENT,
    T_NOT,
    T_AND,
    T_OR,
    T_IN,
    T_TRUE,
    T_FALSE,
    T_NULL,
    T_ERROR
};

typedef struct token {
    enum tok kind;
    const char *start; /* first byte in the source text */
    size_t len;        /* bytes of source text */
    int line, col;     /* 1-based position of start */
    double num;        /* T_NUM */
    char *str;         /* T_STR: decoded, owned by the parser until moved into a node */
    size_t slen;       /* T_STR: decoded length */
} token;

typedef struct parser {
    const char *src;    /* whole text */
    const char *p;      /* next unread byte */
    const char *end;    /* end of the text */
    int line, col;      /* position of p */
    token tok;          /* current lookahead */
    int depth;          /* current nesting, bounded by AU_EXPR_MAX_DEPTH */
    au_rc rc;           /* first error */
    au_expr_error *err; /* may be NULL */
    int stop_at_braces; /* templates: "}}" outside a string ends the expression */
} parser;

static void set_error(au_expr_error *err, int line, int col, const char *fmt, va_list ap)
{
    if (!err)
        return;
    char msg[200];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    err->line = line;
    err->col = col;
    snprintf(err->message, sizeof(err->message), "%s at %d:%d", msg, line, col);
}

__attribute__((format(printf, 5, 6))) static au_rc perr(parser *ps, au_rc rc, int line, int col,
                                                        const char *fmt, ...)
{
    if (ps->rc)
        return ps->rc;
    va_list ap;
    va_start(ap, fmt);
    set_error(ps->err, line, col, fmt, ap);
    va_end(ap);
    ps->rc = rc;
    return rc;
}

static void advance_char(parser *ps)
{
    if (*ps->p == '\n') {
        ps->line++;
        ps->col = 1;
    } else {
        ps->col++;
    }
    ps->p++;
}

static int is_ident_start(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_ident_char(int c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_utf8(au_buf *b, unsigned cp, au_rc *rc)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    if (!*rc)
        *rc = au_buf_append(b, u, n);
}

static int read_hex4(parser *ps, unsigned *cp)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        if (ps->p >= ps->end)
            return -1;
        int h = hexval((unsigned char)*ps->p);
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned)h;
        advance_char(ps);
    }
    *cp = v;
    return 0;
}

/* Decodes a quoted string starting at the opening quote into ps->tok. */
static void lex_string(parser *ps)
{
    char q = *ps->p;
    int line = ps->line, col = ps->col;
    au_buf b;
    au_rc rc = AU_OK;
    au_buf_init(&b, AU_EXPR_MAX_LEN);
    advance_char(ps);
    for (;;) {
        if (ps->p >= ps->end) {
            perr(ps, AU_ERR_PARSE, line, col, "unterminated string");
            goto fail;
        }
        char c = *ps->p;
        if (c == q) {
            advance_char(ps);
            break;
        }
        if (c != '\\') {
            if (!rc)
                rc = au_buf_putc(&b, c);
            advance_char(ps);
            continue;
        }
        int eline = ps->line, ecol = ps->col;
        advance_char(ps);
        if (ps->p >= ps->end) {
            perr(ps, AU_ERR_PARSE, line, col, "unterminated string");
            goto fail;
        }
        char e = *ps->p;
        unsigned cp;
        switch (e) {
        case 'n':
            cp = '\n';
            break;
        case 't':
            cp = '\t';
            break;
        case 'r':
            cp = '\r';
            break;
        case '\\':
        case '"':
        case '\'':
        case '/':
            cp = (unsigned char)e;
            break;
        case 'u':
            advance_char(ps);
            if (read_hex4(ps, &cp)) {
                perr(ps, AU_ERR_PARSE, eline, ecol, "invalid \\u escape");
                goto fail;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                    perr(ps, AU_ERR_PARSE, eline, ecol, "unpaired surrogate in \\u escape");
                    goto fail;
                }
                advance_char(ps);
                advance_char(ps);
                if (read_hex4(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    perr(ps, AU_ERR_PARSE, eline, ecol, "unpaired surrogate in \\u escape");
                    goto fail;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                perr(ps, AU_ERR_PARSE, eline, ecol, "unpaired surrogate in \\u escape");
                goto fail;
            }
            if (cp == 0) {
                perr(ps, AU_ERR_PARSE, eline, ecol, "\\u0000 is not allowed in strings");
                goto fail;
            }
            put_utf8(&b, cp, &rc);
            continue;
        default:
            perr(ps, AU_ERR_PARSE, eline, ecol, "unknown escape '\\%c'",
                 (e >= 32 && e < 127) ? e : '?');
            goto fail;
        }
        advance_char(ps);
        put_utf8(&b, cp, &rc);
    }
    if (rc) {
        perr(ps, rc, line, col, "string too long");
        goto fail;
    }
    ps->tok.kind = T_STR;
    ps->tok.slen = b.len;
    ps->tok.str = b.data ? au_buf_steal(&b) : au_strdup("");
    if (!ps->tok.str) {
        perr(ps, AU_ERR_NOMEM, line, col, "out of memory");
        goto fail;
    }
    au_buf_cleanup(&b);
    return;
fail:
    au_buf_cleanup(&b);
    ps->tok.kind = T_ERROR;
}

static void lex_number(parser *ps)
{
    const char *s = ps->p;
    int line = ps->line, col = ps->col;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
        advance_char(ps);
    if (ps->p + 1 < ps->end && *ps->p == '.' && ps->p[1] >= '0' && ps->p[1] <= '9') {
        advance_char(ps);
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            advance_char(ps);
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        const char *save = ps->p;
        int sl = ps->line, sc = ps->col;
        advance_char(ps);
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            advance_char(ps);
        if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
            while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
                advance_char(ps);
        } else {
            ps->p = save;
            ps->line = sl;
            ps->col = sc;
        }
    }
    if (ps->p < ps->end && is_ident_char((unsigned char)*ps->p)) {
        perr(ps, AU_ERR_PARSE, line, col, "malformed number");
        ps->tok.kind = T_ERROR;
        return;
    }
    char tmp[64];
    size_t n = (size_t)(ps->p - s);
    if (n >= sizeof(tmp)) {
        perr(ps, AU_ERR_PARSE, line, col, "number too long");
        ps->tok.kind = T_ERROR;
        return;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double v = strtod(tmp, NULL);
    if (!isfinite(v)) {
        perr(ps, AU_ERR_PARSE, line, col, "number out of range");
        ps->tok.kind = T_ERROR;
        return;
    }
    ps->tok.kind = T_NUM;
    ps->tok.num = v;
}

static const struct {
    const char *word;
    enum tok kind;
} keywords[] = {{"and", T_AND},   {"or", T_OR},       {"not", T_NOT},  {"in", T_IN},
                {"true", T_TRUE}, {"false", T_FALSE}, {"null", T_NULL}};

static void next_token(parser *ps)
{
    if (ps->tok.kind == T_STR)
        au_free(ps->tok.str);
    memset(&ps->tok, 0, sizeof(ps->tok));
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        advance_char(ps);
    token *t = &ps->tok;
    t->start = ps->p;
    t->line = ps->line;
    t->col = ps->col;
    if (ps->rc) {
        t->kind = T_ERROR;
        return;
    }
    if (ps->p >= ps->end) {
        t->kind = T_EOF;
        return;
    }
    unsigned char c = (unsigned char)*ps->p;
    if (ps->stop_at_braces && c == '}' && ps->p + 1 < ps->end && ps->p[1] == '}') {
        t->kind = T_EOF;
        return;
    }
    if (c == '"' || c == '\'') {
        lex_string(ps);
    } else if (c >= '0' && c <= '9') {
        lex_number(ps);
    } else if (is_ident_start(c)) {
        while (ps->p < ps->end && is_ident_char((unsigned char)*ps->p))
            advance_char(ps);
        t->kind = T_IDENT;
        size_t n = (size_t)(ps->p - t->start);
        for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
            if (strlen(keywords[i].word) == n && !memcmp(keywords[i].word, t->start, n))
                t->kind = keywords[i].kind;
    } else {
        char c2 = ps->p + 1 < ps->end ? ps->p[1] : '\0';
        int two = 0;
        switch (c) {
        case '(':
            t->kind = T_LPAREN;
            break;
        case ')':
            t->kind = T_RPAREN;
            break;
        case '[':
            t->kind = T_LBRACK;
            break;
        case ']':
            t->kind = T_RBRACK;
            break;
        case ',':
            t->kind = T_COMMA;
            break;
        case '.':
            t->kind = T_DOT;
            break;
        case '+':
            t->kind = T_PLUS;
            break;
        case '-':
            t->kind = T_MINUS;
            break;
        case '*':
            t->kind = T_STAR;
            break;
        case '/':
            t->kind = T_SLASH;
            break;
        case '%':
            t->kind = T_PERCENT;
            break;
        case '=':
            t->kind = c2 == '=' ? T_EQ : T_ERROR;
            two = 1;
            break;
        case '!':
            t->kind = c2 == '=' ? T_NE : T_NOT;
            two = c2 == '=';
            break;
        case '<':
            t->kind = c2 == '=' ? T_LE : T_LT;
            two = c2 == '=';
            break;
        case '>':
            t->kind = c2 == '=' ? T_GE : T_GT;
            two = c2 == '=';
            break;
        case '&':
            t->kind = c2 == '&' ? T_AND : T_ERROR;
            two = 1;
            break;
        case '|':
            t->kind = c2 == '|' ? T_OR : T_ERROR;
            two = 1;
            break;
        default:
            t->kind = T_ERROR;
        }
        if (t->kind == T_ERROR) {
            if (c == '=')
                perr(ps, AU_ERR_PARSE, t->line, t->col, "unexpected '=' (use '==')");
            else if (c >= 32 && c < 127)
                perr(ps, AU_ERR_PARSE, t->line, t->col, "unexpected character '%c'", c);
            else
                perr(ps, AU_ERR_PARSE, t->line, t->col, "unexpected byte 0x%02x", c);
            return;
        }
        advance_char(ps);
        if (two)
            advance_char(ps);
    }
    t->len = (size_t)(ps->p - t->start);
}

/* ---------------------------------------------------------------------------------------------
 * Syntax tree
 */

static node *node_new(parser *ps, enum node_kind kind, int line, int col)
{
    node *n = au_calloc(1, sizeof(*n));
    if (!n) {
        perr(ps, AU_ERR_NOMEM, line, col, "out of memory");
        return NULL;
    }
    n->kind = kind;
    n->line = line;
    n->col = col;
    return n;
}

static void node_free(node *n)
{
    if (!n)
        return;
    json_decref(n->lit);
    au_free(n->name);
    node_free(n->a);
    node_free(n->b);
    for (size_t i = 0; i < n->nargs; i++)
        node_free(n->args[i]);
    au_free(n->args);
    au_free(n);
}

static node *parse_expr(parser *ps, int min_bp);

/* Computes n->height from its children and enforces AU_EXPR_MAX_DEPTH on the finished tree, so
 * long operator chains (a+b+c+...) cannot make evaluation recurse deeper than the limit. */
static au_rc set_height(parser *ps, node *n)
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
        return perr(ps, AU_ERR_TOO_LARGE, n->line, n->col,
                    "expression nested too deeply (limit %d)", AU_EXPR_MAX_DEPTH);
    return AU_OK;
}

static const char *tok_name(const token *t)
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

static au_rc expect(parser *ps, enum tok kind, const char *what)
{
    if (ps->tok.kind == kind) {
        next_token(ps);
        return ps->rc;
    }
    const char *name = tok_name(&ps->tok);
    if (name)
        return perr(ps, AU_ERR_PARSE, ps->tok.line, ps->tok.col, "expected %s, found %s", what,
                    name);
    return perr(ps, AU_ERR_PARSE, ps->tok.line, ps->tok.col, "expected %s, found '%.*s'", what,
                (int)(ps->tok.len > 20 ? 20 : ps->tok.len), ps->tok.start);
}

/* Comma-separated expressions up to `close`, stored in n->args. */
static au_rc parse_list(parser *ps, node *n, enum tok close, const char *close_name, size_t max)
{
    size_t cap = 0;
    if (ps->tok.kind == close) {
        next_token(ps);
        return ps->rc;
    }
    for (;;) {
        if (n->nargs == max)
            return perr(ps, AU_ERR_TOO_LARGE, ps->tok.line, ps->tok.col,
                        "too many elements (limit %zu)", max);
        if (n->nargs == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            node **a = au_realloc(n->args, ncap * sizeof(*a));
            if (!a)
                return perr(ps, AU_ERR_NOMEM, ps->tok.line, ps->tok.col, "out of memory");
            n->args = a;
            cap = ncap;
        }
        node *arg = parse_expr(ps, 0);
        if (!arg)
            return ps->rc;
        n->args[n->nargs++] = arg;
        if (ps->tok.kind == T_COMMA) {
            next_token(ps);
            continue;
        }
        return expect(ps, close, close_name);
    }
}

static node *make_literal(parser *ps, json_t *v, int line, int col)
{
    if (!v) {
        perr(ps, AU_ERR_PARSE, line, col, "invalid literal (strings must be UTF-8)");
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

static node *parse_primary(parser *ps)
{
    token t = ps->tok;
    node *n = NULL;
    switch (t.kind) {
    case T_NUM:
        next_token(ps);
        return make_literal(ps, au_expr_number(t.num), t.line, t.col);
    case T_STR: {
        json_t *s = json_stringn(t.str, t.slen);
        next_token(ps); /* frees t.str */
        return make_literal(ps, s, t.line, t.col);
    }
    case T_TRUE:
    case T_FALSE:
    case T_NULL:
        next_token(ps);
        return make_literal(ps,
                            t.kind == T_TRUE    ? json_true()
                            : t.kind == T_FALSE ? json_false()
                                                : json_null(),
                            t.line, t.col);
    case T_IDENT:
        next_token(ps);
        if (ps->tok.kind == T_LPAREN) {
            const au_expr_fn *fn = au_expr_fn_find(t.start, t.len);
            if (!fn) {
                perr(ps, AU_ERR_PARSE, t.line, t.col, "unknown function '%.*s'",
                     (int)(t.len > 40 ? 40 : t.len), t.start);
                return NULL;
            }
            n = node_new(ps, N_CALL, t.line, t.col);
            if (!n)
                return NULL;
            n->fn = fn;
            next_token(ps);
            if (parse_list(ps, n, T_RPAREN, "')'", AU_EXPR_MAX_ARGS))
                goto fail;
            if ((int)n->nargs < fn->min_args ||
                (fn->max_args >= 0 && (int)n->nargs > fn->max_args)) {
                if (fn->min_args == fn->max_args)
                    perr(ps, AU_ERR_PARSE, t.line, t.col, "%s() takes %d argument%s, not %zu",
                         fn->name, fn->min_args, fn->min_args == 1 ? "" : "s", n->nargs);
                else if (fn->max_args < 0)
                    perr(ps, AU_ERR_PARSE, t.line, t.col, "%s() takes at least %d arguments",
                         fn->name, fn->min_args);
                else
                    perr(ps, AU_ERR_PARSE, t.line, t.col, "%s() takes %d to %d arguments, not %zu",
                         fn->name, fn->min_args, fn->max_args, n->nargs);
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
            perr(ps, AU_ERR_NOMEM, t.line, t.col, "out of memory");
            goto fail;
        }
        n->height = 1;
        return n;
    case T_LPAREN:
        next_token(ps);
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
        next_token(ps);
        if (parse_list(ps, n, T_RBRACK, "']'", AU_EXPR_MAX_LIST) || set_height(ps, n))
            goto fail;
        return n;
    case T_ERROR:
        return NULL;
    default: {
        const char *name = tok_name(&t);
        if (name)
            perr(ps, AU_ERR_PARSE, t.line, t.col, "expected a value, found %s", name);
        else
            perr(ps, AU_ERR_PARSE, t.line, t.col, "expected a value, found '%.*s'", (int)t.len,
                 t.start);
        return NULL;
    }
    }
fail:
    node_free(n);
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

static node *parse_postfix(parser *ps, node *lhs)
{
    for (;;) {
        token t = ps->tok;
        if (t.kind == T_DOT) {
            next_token(ps);
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
                perr(ps, AU_ERR_NOMEM, t.line, t.col, "out of memory");
                goto fail;
            }
            if (set_height(ps, m))
                goto fail;
            next_token(ps);
        } else if (t.kind == T_LBRACK) {
            if (++ps->depth > AU_EXPR_MAX_DEPTH) {
                perr(ps, AU_ERR_TOO_LARGE, t.line, t.col, "expression nested too deeply (limit %d)",
                     AU_EXPR_MAX_DEPTH);
                goto fail;
            }
            next_token(ps);
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
    node_free(lhs);
    return NULL;
}

static node *parse_expr(parser *ps, int min_bp)
{
    node *lhs = NULL;
    token t = ps->tok;
    if (++ps->depth > AU_EXPR_MAX_DEPTH) {
        perr(ps, AU_ERR_TOO_LARGE, t.line, t.col, "expression nested too deeply (limit %d)",
             AU_EXPR_MAX_DEPTH);
        goto fail;
    }
    if (t.kind == T_NOT || t.kind == T_MINUS || t.kind == T_PLUS) {
        next_token(ps);
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
        token op = ps->tok;
        int bp = infix_bp(op.kind);
        if (op.kind == T_NOT) {
            /* "x not in list" */
            bp = 4;
        }
        if (!bp || bp <= min_bp)
            break;
        next_token(ps);
        int negate = 0;
        if (op.kind == T_NOT) {
            if (ps->tok.kind != T_IN) {
                expect(ps, T_IN, "'in' after 'not'");
                goto fail;
            }
            negate = 1;
            next_token(ps);
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
    node_free(lhs);
    return NULL;
}

struct au_expr {
    node *root; /* the tree */
    char *text; /* source text, owned */
};

/* Parses from ps->p; leaves ps at the token that ended the expression. */
static node *parse_all(parser *ps)
{
    next_token(ps);
    if (ps->tok.kind == T_EOF && !ps->rc) {
        perr(ps, AU_ERR_PARSE, ps->tok.line, ps->tok.col, "empty expression");
        return NULL;
    }
    node *root = parse_expr(ps, 0);
    if (root && ps->tok.kind != T_EOF) {
        const char *name = tok_name(&ps->tok);
        if (ps->tok.kind == T_ERROR)
            ;
        else if (name)
            perr(ps, AU_ERR_PARSE, ps->tok.line, ps->tok.col, "unexpected %s", name);
        else
            perr(ps, AU_ERR_PARSE, ps->tok.line, ps->tok.col, "unexpected '%.*s'", (int)ps->tok.len,
                 ps->tok.start);
    }
    if (ps->rc) {
        node_free(root);
        root = NULL;
    }
    return root;
}

static void parser_init(parser *ps, const char *text, size_t len, int line, int col,
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

static void parser_cleanup(parser *ps)
{
    if (ps->tok.kind == T_STR)
        au_free(ps->tok.str);
    ps->tok.kind = T_EOF;
}

static au_rc check_length(size_t len, au_expr_error *err)
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
    parser ps;
    au_expr *e = NULL;
    au_rc rc;
    *out = NULL;
    if (err)
        memset(err, 0, sizeof(*err));
    size_t len = strlen(text);
    rc = check_length(len, err);
    if (rc)
        return rc;
    parser_init(&ps, text, len, 1, 1, err);
    node *root = parse_all(&ps);
    parser_cleanup(&ps);
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
    node_free(root);
    au_expr_free(e);
    return rc;
}

void au_expr_free(au_expr *e)
{
    if (!e)
        return;
    node_free(e->root);
    au_free(e->text);
    au_free(e);
}

const char *au_expr_text(const au_expr *e)
{
    return e->text;
}

/* ---------------------------------------------------------------------------------------------
 * Evaluation
 */

au_rc au_expr_fail(au_eval *ev, const node *n, au_rc rc, const char *fmt, ...)
{
    if (ev->rc)
        return ev->rc;
    va_list ap;
    va_start(ap, fmt);
    set_error(ev->err, n->line, n->col, fmt, ap);
    va_end(ap);
    ev->rc = rc;
    return rc;
}

json_t *au_expr_number(double v)
{
    if (!isfinite(v))
        return NULL;
    if (v == floor(v) && fabs(v) <= 9007199254740992.0)
        return json_integer((json_int_t)v);
    return json_real(v);
}

const char *au_expr_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "list";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

int au_expr_truthy(const json_t *v)
{
    if (!v)
        return 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return json_object_size(v) > 0;
    case JSON_ARRAY:
        return json_array_size(v) > 0;
    case JSON_STRING:
        return json_string_length(v) > 0;
    case JSON_INTEGER:
    case JSON_REAL:
        return json_number_value(v) != 0;
    case JSON_TRUE:
        return 1;
    default:
        return 0;
    }
}

int au_expr_equal(const json_t *a, const json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return json_number_value(a) == json_number_value(b);
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
    case JSON_ARRAY:
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!au_expr_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    case JSON_OBJECT: {
        const char *k;
        json_t *v;
        if (json_object_size(a) != json_object_size(b))
            return 0;
        json_object_foreach((json_t *)a, k, v)
        {
            json_t *o = json_object_get(b, k);
            if (!o || !au_expr_equal(v, o))
                return 0;
        }
        return 1;
    }
    default:
        return 1;
    }
}

/* Byte-wise search of needle in haystack (memmem). */
static int str_contains(const json_t *hay, const json_t *needle)
{
    size_t hl = json_string_length(hay), nl = json_string_length(needle);
    if (nl == 0)
        return 1;
    return nl <= hl && memmem(json_string_value(hay), hl, json_string_value(needle), nl) != NULL;
}

int au_expr_member(au_eval *ev, const node *n, const json_t *item, const json_t *coll, int *found)
{
    *found = 0;
    if (json_is_null(coll))
        return AU_OK;
    if (json_is_array(coll)) {
        for (size_t i = 0; i < json_array_size(coll); i++)
            if (au_expr_equal(item, json_array_get(coll, i))) {
                *found = 1;
                break;
            }
        return AU_OK;
    }
    if (json_is_string(coll)) {
        if (json_is_null(item))
            return AU_OK;
        if (!json_is_string(item))
            return au_expr_fail(ev, n, AU_ERR_INVALID, "cannot look for a %s in a string",
                                au_expr_type_name(item));
        *found = str_contains(coll, item);
        return AU_OK;
    }
    if (json_is_object(coll)) {
        if (!json_is_string(item))
            return au_expr_fail(ev, n, AU_ERR_INVALID, "object keys are strings, not %s",
                                au_expr_type_name(item));
        *found = json_object_getn(coll, json_string_value(item), json_string_length(item)) != NULL;
        return AU_OK;
    }
    return au_expr_fail(ev, n, AU_ERR_INVALID, "'in' needs a list, string or object, not a %s",
                        au_expr_type_name(coll));
}

static json_t *nomem(au_eval *ev, const node *n)
{
    au_expr_fail(ev, n, AU_ERR_NOMEM, "out of memory");
    return NULL;
}

json_t *au_expr_str_result(au_eval *ev, const node *n, const char *s, size_t len)
{
    if (len > AU_EXPR_MAX_STRING) {
        au_expr_fail(ev, n, AU_ERR_TOO_LARGE, "string result longer than %d bytes",
                     AU_EXPR_MAX_STRING);
        return NULL;
    }
    json_t *v = json_stringn(s, len);
    if (!v)
        au_expr_fail(ev, n, AU_ERR_INVALID, "string result is not valid UTF-8");
    return v;
}

static json_t *eval_compare(au_eval *ev, const node *n, const json_t *a, const json_t *b)
{
    int c;
    if (json_is_null(a) || json_is_null(b))
        return json_false();
    if (json_is_number(a) && json_is_number(b)) {
        double x = json_number_value(a), y = json_number_value(b);
        c = x < y ? -1 : x > y ? 1 : 0;
    } else if (json_is_string(a) && json_is_string(b)) {
        size_t la = json_string_length(a), lb = json_string_length(b);
        c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
        if (!c)
            c = la < lb ? -1 : la > lb ? 1 : 0;
    } else {
        au_expr_fail(ev, n, AU_ERR_INVALID, "cannot compare %s with %s", au_expr_type_name(a),
                     au_expr_type_name(b));
        return NULL;
    }
    int r = n->op == OP_LT ? c < 0 : n->op == OP_LE ? c <= 0 : n->op == OP_GT ? c > 0 : c >= 0;
    return json_boolean(r);
}

static json_t *eval_arith(au_eval *ev, const node *n, const json_t *a, const json_t *b)
{
    static const char *verbs[] = {[OP_ADD] = "add",
                                  [OP_SUB] = "subtract",
                                  [OP_MUL] = "multiply",
                                  [OP_DIV] = "divide",
                                  [OP_MOD] = "take the remainder of"};
    if (n->op == OP_ADD && json_is_string(a) && json_is_string(b)) {
        size_t la = json_string_length(a), lb = json_string_length(b);
        if (la + lb > AU_EXPR_MAX_STRING)
            return au_expr_fail(ev, n, AU_ERR_TOO_LARGE, "string result longer than %d bytes",
                                AU_EXPR_MAX_STRING),
                   NULL;
        char *s = au_malloc(la + lb + 1);
        if (!s)
            return nomem(ev, n);
        memcpy(s, json_string_value(a), la);
        memcpy(s + la, json_string_value(b), lb);
        json_t *r = au_expr_str_result(ev, n, s, la + lb);
        au_free(s);
        return r;
    }
    if (!json_is_number(a) || !json_is_number(b)) {
        au_expr_fail(ev, n, AU_ERR_INVALID, "cannot %s %s and %s", verbs[n->op],
                     au_expr_type_name(a), au_expr_type_name(b));
        return NULL;
    }
    double x = json_number_value(a), y = json_number_value(b), r;
    switch (n->op) {
    case OP_ADD:
        r = x + y;
        break;
    case OP_SUB:
        r = x - y;
        break;
    case OP_MUL:
        r = x * y;
        break;
    case OP_DIV:
    case OP_MOD:
        if (y == 0) {
            au_expr_fail(ev, n, AU_ERR_INVALID, "division by zero");
            return NULL;
        }
        r = n->op == OP_DIV ? x / y : fmod(x, y);
        break;
    default:
        r = 0;
    }
    json_t *v = au_expr_number(r);
    if (!v)
        au_expr_fail(ev, n, AU_ERR_INVALID, "number out of range");
    return v;
}

static json_t *eval_binary(au_eval *ev, const node *n)
{
    json_t *a = NULL, *b = NULL, *r = NULL;
    a = au_expr_eval_node(ev, n->a);
    if (!a)
        goto out;
    b = au_expr_eval_node(ev, n->b);
    if (!b)
        goto out;
    switch (n->op) {
    case OP_EQ:
        r = json_boolean(au_expr_equal(a, b));
        break;
    case OP_NE:
        r = json_boolean(!au_expr_equal(a, b));
        break;
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
        r = eval_compare(ev, n, a, b);
        break;
    case OP_IN:
    case OP_NOTIN: {
        int found;
        if (!au_expr_member(ev, n, a, b, &found))
            r = json_boolean(n->op == OP_IN ? found : !found);
        break;
    }
    default:
        r = eval_arith(ev, n, a, b);
    }
out:
    json_decref(a);
    json_decref(b);
    return r;
}

static json_t *eval_index(au_eval *ev, const node *n)
{
    json_t *base = NULL, *ix = NULL, *r = NULL;
    base = au_expr_eval_node(ev, n->a);
    if (!base)
        goto out;
    ix = au_expr_eval_node(ev, n->b);
    if (!ix)
        goto out;
    if (json_is_array(base) && json_is_number(ix)) {
        double d = json_number_value(ix);
        double size = (double)json_array_size(base);
        if (d < 0)
            d += size;
        if (d == floor(d) && d >= 0 && d < size)
            r = json_incref(json_array_get(base, (size_t)d));
    } else if (json_is_object(base) && json_is_string(ix)) {
        r = json_incref(json_object_getn(base, json_string_value(ix), json_string_length(ix)));
    }
    if (!r)
        r = json_null();
out:
    json_decref(base);
    json_decref(ix);
    return r;
}

static json_t *eval_list(au_eval *ev, const node *n)
{
    json_t *list = json_array();
    if (!list)
        return nomem(ev, n);
    for (size_t i = 0; i < n->nargs; i++) {
        json_t *v = au_expr_eval_node(ev, n->args[i]);
        if (!v || json_array_append_new(list, v)) {
            json_decref(list);
            return v ? nomem(ev, n) : NULL;
        }
    }
    return list;
}

json_t *au_expr_eval_node(au_eval *ev, const node *n)
{
    json_t *a, *r = NULL;
    switch (n->kind) {
    case N_LIT:
        return json_incref(n->lit);
    case N_ROOT:
        r = json_object_get(ev->ctx, n->name);
        return r ? json_incref(r) : json_null();
    case N_MEMBER:
        a = au_expr_eval_node(ev, n->a);
        if (!a)
            return NULL;
        r = json_is_object(a) ? json_object_get(a, n->name) : NULL;
        r = r ? json_incref(r) : json_null();
        json_decref(a);
        return r;
    case N_INDEX:
        return eval_index(ev, n);
    case N_LIST:
        return eval_list(ev, n);
    case N_UNARY:
        a = au_expr_eval_node(ev, n->a);
        if (!a)
            return NULL;
        if (n->op == OP_NOT) {
            r = json_boolean(!au_expr_truthy(a));
        } else if (json_is_number(a)) {
            r = au_expr_number(n->op == OP_NEG ? -json_number_value(a) : json_number_value(a));
        } else {
            au_expr_fail(ev, n, AU_ERR_INVALID, "cannot negate a %s", au_expr_type_name(a));
        }
        json_decref(a);
        return r;
    case N_AND:
    case N_OR:
        a = au_expr_eval_node(ev, n->a);
        if (!a)
            return NULL;
        int t = au_expr_truthy(a);
        json_decref(a);
        if (n->kind == N_AND ? !t : t)
            return json_boolean(t);
        a = au_expr_eval_node(ev, n->b);
        if (!a)
            return NULL;
        t = au_expr_truthy(a);
        json_decref(a);
        return json_boolean(t);
    case N_BINARY:
        return eval_binary(ev, n);
    case N_CALL:
        return au_expr_call(ev, n);
    }
    return NULL;
}

au_rc au_expr_eval(const au_expr *e, const json_t *ctx, int64_t now_ms, json_t **result,
                   au_expr_error *err)
{
    au_eval ev = {.ctx = ctx, .now_ms = now_ms, .err = err, .rc = AU_OK};
    if (err)
        memset(err, 0, sizeof(*err));
    *result = au_expr_eval_node(&ev, e->root);
    if (!*result && !ev.rc) {
        ev.rc = AU_ERR_NOMEM;
        if (err)
            snprintf(err->message, sizeof(err->message), "out of memory");
    }
    if (ev.rc) {
        json_decref(*result);
        *result = NULL;
    }
    return ev.rc;
}

/* ---------------------------------------------------------------------------------------------
 * Templates
 */

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
    parser ps;
    parser_init(&ps, *pp, (size_t)(end - *pp), *line, *col, err);
    ps.stop_at_braces = 1;
    int oline = *line, ocol = *col - 2;
    node *root = parse_all(&ps);
    au_rc rc = ps.rc;
    if (!rc && !(ps.p + 1 < end && ps.p[0] == '}' && ps.p[1] == '}'))
        rc = perr(&ps, AU_ERR_PARSE, oline, ocol, "'{{' without a matching '}}'");
    parser_cleanup(&ps);
    if (rc) {
        node_free(root);
        return rc;
    }
    au_expr *e = au_calloc(1, sizeof(*e));
    if (e)
        e->text = au_strndup(*pp, (size_t)(ps.p - *pp));
    if (!e || !e->text) {
        node_free(root);
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
    rc = check_length(len, err);
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
