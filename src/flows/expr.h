/*
 * The flow expression language: a small, safe language for flow conditions and field mappings
 * (docs/FLOWS.md is its reference). Text is compiled once (au_expr_parse, at save time, so a
 * bad expression is refused with its line and column) and evaluated many times against a JSON
 * context {"profile":{..},"event":{..},"record":{..},...}. Evaluation never crashes and never
 * allocates without bound: expression length, nesting depth, list and string sizes are capped;
 * type errors come back as an au_expr_error with the position of the offending node.
 * Templates ("https://x/{{ profile.id }}/close") embed expressions in text.
 * Compiled expressions and templates are immutable, so threads may share them.
 */
#ifndef AU_EXPR_H
#define AU_EXPR_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/rc.h"

/* Hard limits so hostile input cannot exhaust memory or stack. */
#define AU_EXPR_MAX_LEN    4096  /* bytes of expression (or template) text */
#define AU_EXPR_MAX_DEPTH  64    /* nesting of the syntax tree */
#define AU_EXPR_MAX_LIST   10000 /* elements of a list built by an expression */
#define AU_EXPR_MAX_STRING 65536 /* bytes of a string built by an expression */
#define AU_EXPR_MAX_ARGS   32    /* arguments of one function call */

typedef struct au_expr au_expr;
typedef struct au_expr_template au_expr_template;

/* Where and why parsing or evaluation failed. line and col are 1-based positions in the
 * expression (or template) text; message already ends with " at line:col". */
typedef struct au_expr_error {
    int line;          /* 1-based line of the offending token or node */
    int col;           /* 1-based column (in bytes) */
    char message[256]; /* e.g. "expected ')' at 1:17" */
} au_expr_error;

/* --- expressions --------------------------------------------------------------------------- */
/* Compiles `text` (NUL-terminated). On success *out is a new expression the caller frees with
 * au_expr_free; on failure *out is NULL, err (may be NULL) says where, AU_ERR_PARSE (or
 * AU_ERR_TOO_LARGE, AU_ERR_NOMEM) is returned. */
au_rc au_expr_parse(const char *text, au_expr **out, au_expr_error *err);
void au_expr_free(au_expr *e);
/* Evaluates against ctx (a JSON object; its top-level keys are the roots of paths). now_ms is
 * "now" in Unix milliseconds (passed in so results are reproducible). On success *result is a
 * new reference the caller releases with json_decref; on failure *result is NULL and err says
 * why and where (AU_ERR_INVALID for type errors, AU_ERR_TOO_LARGE for limits). */
au_rc au_expr_eval(const au_expr *e, const json_t *ctx, int64_t now_ms, json_t **result,
                   au_expr_error *err);
/* Truthiness used by conditions: null, false, 0, "", [] and {} are false, all else true. */
int au_expr_truthy(const json_t *v);
/* The original source text of a compiled expression (owned by e). */
const char *au_expr_text(const au_expr *e);

/* --- templates ----------------------------------------------------------------------------- */
/* Flags for rendering. */
#define AU_TMPL_URLENCODE 1 /* percent-encode the value of each {{ }} part (for URLs) */

/* Compiles text with {{ expr }} parts. Errors give the position within the template text. */
au_rc au_expr_template_parse(const char *text, au_expr_template **out, au_expr_error *err);
void au_expr_template_free(au_expr_template *t);
/* Renders to a string: text parts as written, each {{ }} part's value as text (null -> "",
 * strings as they are, numbers and booleans in JSON form, lists and objects as compact JSON).
 * *out is allocated with au_malloc; the caller frees it with au_free. */
au_rc au_expr_template_render(const au_expr_template *t, const json_t *ctx, int64_t now_ms,
                              int flags, char **out, au_expr_error *err);
/* Like render, but a template that is exactly one "{{ expr }}" yields the expression's value
 * with its JSON type (a number stays a number); others yield a JSON string. New reference. */
au_rc au_expr_template_eval(const au_expr_template *t, const json_t *ctx, int64_t now_ms,
                            json_t **out, au_expr_error *err);
/* 1 when the template has at least one {{ }} part. */
int au_expr_template_is_dynamic(const au_expr_template *t);
/* Parse + render in one call, for one-off use. */
au_rc au_expr_render_template(const char *text, const json_t *ctx, int64_t now_ms, int flags,
                              char **out, au_expr_error *err);

/* Dates are ISO 8601 strings; parsing and formatting are in lib/isotime.h. */

#endif
