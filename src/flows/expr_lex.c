/*
 * The flow expression language's lexer: turns the text into tokens (numbers, strings with JSON
 * escapes decoded, identifiers, operators), each with its line and column so errors point at
 * the text. The parser (expr_parse.c) pulls one token at a time with au_expr_next_token.
 */
#include "flows/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flows/expr_int.h"
#include "lib/alloc.h"
#include "lib/buf.h"

void au_expr_set_error(au_expr_error *err, int line, int col, const char *fmt, va_list ap)
{
    if (!err)
        return;
    char msg[200];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    err->line = line;
    err->col = col;
    snprintf(err->message, sizeof(err->message), "%s at %d:%d", msg, line, col);
}

__attribute__((format(printf, 5, 6))) au_rc au_expr_perr(au_expr_parser *ps, au_rc rc, int line,
                                                         int col, const char *fmt, ...)
{
    if (ps->rc)
        return ps->rc;
    va_list ap;
    va_start(ap, fmt);
    au_expr_set_error(ps->err, line, col, fmt, ap);
    va_end(ap);
    ps->rc = rc;
    return rc;
}

static void advance_char(au_expr_parser *ps)
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

static int read_hex4(au_expr_parser *ps, unsigned *cp)
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
static void lex_string(au_expr_parser *ps)
{
    char q = *ps->p;
    int line = ps->line, col = ps->col;
    au_buf b;
    au_rc rc = AU_OK;
    au_buf_init(&b, AU_EXPR_MAX_LEN);
    advance_char(ps);
    for (;;) {
        if (ps->p >= ps->end) {
            au_expr_perr(ps, AU_ERR_PARSE, line, col, "unterminated string");
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
            au_expr_perr(ps, AU_ERR_PARSE, line, col, "unterminated string");
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
                au_expr_perr(ps, AU_ERR_PARSE, eline, ecol, "invalid \\u escape");
                goto fail;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (ps->end - ps->p < 6 || ps->p[0] != '\\' || ps->p[1] != 'u') {
                    au_expr_perr(ps, AU_ERR_PARSE, eline, ecol, "unpaired surrogate in \\u escape");
                    goto fail;
                }
                advance_char(ps);
                advance_char(ps);
                if (read_hex4(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF) {
                    au_expr_perr(ps, AU_ERR_PARSE, eline, ecol, "unpaired surrogate in \\u escape");
                    goto fail;
                }
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                au_expr_perr(ps, AU_ERR_PARSE, eline, ecol, "unpaired surrogate in \\u escape");
                goto fail;
            }
            if (cp == 0) {
                au_expr_perr(ps, AU_ERR_PARSE, eline, ecol, "\\u0000 is not allowed in strings");
                goto fail;
            }
            put_utf8(&b, cp, &rc);
            continue;
        default:
            au_expr_perr(ps, AU_ERR_PARSE, eline, ecol, "unknown escape '\\%c'",
                         (e >= 32 && e < 127) ? e : '?');
            goto fail;
        }
        advance_char(ps);
        put_utf8(&b, cp, &rc);
    }
    if (rc) {
        au_expr_perr(ps, rc, line, col, "string too long");
        goto fail;
    }
    ps->tok.kind = T_STR;
    ps->tok.slen = b.len;
    ps->tok.str = b.data ? au_buf_steal(&b) : au_strdup("");
    if (!ps->tok.str) {
        au_expr_perr(ps, AU_ERR_NOMEM, line, col, "out of memory");
        goto fail;
    }
    au_buf_cleanup(&b);
    return;
fail:
    au_buf_cleanup(&b);
    ps->tok.kind = T_ERROR;
}

static void lex_number(au_expr_parser *ps)
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
        au_expr_perr(ps, AU_ERR_PARSE, line, col, "malformed number");
        ps->tok.kind = T_ERROR;
        return;
    }
    char tmp[64];
    size_t n = (size_t)(ps->p - s);
    if (n >= sizeof(tmp)) {
        au_expr_perr(ps, AU_ERR_PARSE, line, col, "number too long");
        ps->tok.kind = T_ERROR;
        return;
    }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    double v = strtod(tmp, NULL);
    if (!isfinite(v)) {
        au_expr_perr(ps, AU_ERR_PARSE, line, col, "number out of range");
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

void au_expr_next_token(au_expr_parser *ps)
{
    if (ps->tok.kind == T_STR)
        au_free(ps->tok.str);
    memset(&ps->tok, 0, sizeof(ps->tok));
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        advance_char(ps);
    au_expr_token *t = &ps->tok;
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
                au_expr_perr(ps, AU_ERR_PARSE, t->line, t->col, "unexpected '=' (use '==')");
            else if (c >= 32 && c < 127)
                au_expr_perr(ps, AU_ERR_PARSE, t->line, t->col, "unexpected character '%c'", c);
            else
                au_expr_perr(ps, AU_ERR_PARSE, t->line, t->col, "unexpected byte 0x%02x", c);
            return;
        }
        advance_char(ps);
        if (two)
            advance_char(ps);
    }
    t->len = (size_t)(ps->p - t->start);
}
