/*
 * Internals shared by the expression lexer, parser, evaluator and templates (expr_lex.c,
 * expr_parse.c, expr_eval.c, expr_template.c) and its function library
 * (expr_fn.c): the syntax tree node, the evaluation state and the function table entry.
 * Not part of the public contract; include flows/expr.h instead.
 */
#ifndef AU_EXPR_INT_H
#define AU_EXPR_INT_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "flows/expr.h"
#include "lib/buf.h"

enum node_kind { N_LIT, N_ROOT, N_MEMBER, N_INDEX, N_LIST, N_UNARY, N_BINARY, N_AND, N_OR, N_CALL };

enum node_op {
    OP_NONE,
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_IN,
    OP_NOTIN,
    OP_NOT,
    OP_NEG,
    OP_POS
};

struct au_expr_fn;

typedef struct node {
    enum node_kind kind;         /* what the node is */
    enum node_op op;             /* N_UNARY / N_BINARY operator */
    int line, col;               /* 1-based position in the source text */
    int height;                  /* height of the subtree, bounded by AU_EXPR_MAX_DEPTH */
    json_t *lit;                 /* N_LIT value, owned reference */
    char *name;                  /* N_ROOT / N_MEMBER field name, owned */
    struct node *a, *b;          /* operands (N_MEMBER/N_INDEX: a is the base) */
    struct node **args;          /* N_CALL arguments / N_LIST elements, owned */
    size_t nargs;                /* entries in args */
    const struct au_expr_fn *fn; /* N_CALL function */
} node;

/* State of one evaluation. */
typedef struct au_eval {
    const json_t *ctx;  /* the context object, borrowed */
    int64_t now_ms;     /* "now" for date functions */
    au_expr_error *err; /* may be NULL */
    au_rc rc;           /* first error */
} au_eval;

/* A built-in function. Eager functions get their evaluated arguments; lazy ones (if, coalesce,
 * exists) evaluate their own argument nodes. Both return a new reference or NULL on error
 * (after au_expr_fail). */
typedef struct au_expr_fn {
    const char *name; /* as written in expressions */
    int min_args;     /* fewest arguments */
    int max_args;     /* most arguments, -1 for any number (up to AU_EXPR_MAX_ARGS) */
    json_t *(*eager)(au_eval *ev, const node *n, json_t **args, size_t nargs);
    json_t *(*lazy)(au_eval *ev, const node *n);
} au_expr_fn;

const au_expr_fn *au_expr_fn_find(const char *name, size_t len);
json_t *au_expr_call(au_eval *ev, const node *n);
json_t *au_expr_eval_node(au_eval *ev, const node *n);

/* Records the first evaluation error (position of n) and returns rc. */
au_rc au_expr_fail(au_eval *ev, const node *n, au_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A JSON number for v: an integer when whole and within +-2^53. NULL if v is not finite. */
json_t *au_expr_number(double v);
/* A JSON string of s[0..len) enforcing AU_EXPR_MAX_STRING and UTF-8; NULL after au_expr_fail. */
json_t *au_expr_str_result(au_eval *ev, const node *n, const char *s, size_t len);
const char *au_expr_type_name(const json_t *v);
/* Equality used by ==, in and where(): numbers by value, other values structurally. */
int au_expr_equal(const json_t *a, const json_t *b);
/* Membership for `in`: list element, substring, object key. Returns an au_rc. */
int au_expr_member(au_eval *ev, const node *n, const json_t *item, const json_t *coll, int *found);
/* Appends the text form of v (null: nothing; string: as is; others: compact JSON). */
au_rc au_expr_append_text(au_buf *b, const json_t *v);

/* --- lexer and parser (expr_lex.c, expr_parse.c; templates parse through them) ----------- */

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

typedef struct au_expr_token {
    enum tok kind;
    const char *start; /* first byte in the source text */
    size_t len;        /* bytes of source text */
    int line, col;     /* 1-based position of start */
    double num;        /* T_NUM */
    char *str;         /* T_STR: decoded, owned by the parser until moved into a node */
    size_t slen;       /* T_STR: decoded length */
} au_expr_token;

typedef struct au_expr_parser {
    const char *src;    /* whole text */
    const char *p;      /* next unread byte */
    const char *end;    /* end of the text */
    int line, col;      /* position of p */
    au_expr_token tok;  /* current lookahead */
    int depth;          /* current nesting, bounded by AU_EXPR_MAX_DEPTH */
    au_rc rc;           /* first error */
    au_expr_error *err; /* may be NULL */
    int stop_at_braces; /* templates: "}}" outside a string ends the expression */
} au_expr_parser;

/* A compiled expression. */
struct au_expr {
    node *root; /* the tree */
    char *text; /* source text, owned */
};

/* Formats "MESSAGE at LINE:COL" into err (may be NULL). */
void au_expr_set_error(au_expr_error *err, int line, int col, const char *fmt, va_list ap);
/* Records the parser's first error and returns it (later errors keep the first). */
au_rc au_expr_perr(au_expr_parser *ps, au_rc rc, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Reads the next token into ps->tok. */
void au_expr_next_token(au_expr_parser *ps);
void au_expr_node_free(node *n);
/* A parser over text[0..len) whose first byte is at line:col. */
void au_expr_parser_init(au_expr_parser *ps, const char *text, size_t len, int line, int col,
                         au_expr_error *err);
void au_expr_parser_cleanup(au_expr_parser *ps);
/* Parses a whole expression (up to the end, or "}}" with stop_at_braces); NULL on error. */
node *au_expr_parse_all(au_expr_parser *ps);
/* AU_ERR_TOO_LARGE (message in err) when len exceeds AU_EXPR_MAX_LEN. */
au_rc au_expr_check_length(size_t len, au_expr_error *err);

#endif
