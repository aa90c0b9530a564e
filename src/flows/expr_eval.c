/*
 * The flow expression language's tree-walking evaluator. Values are Jansson values throughout:
 * a path may return any sub-object of the context unchanged. Numbers are doubles; a result that
 * is a whole number within +-2^53 is returned as a JSON integer so 12 prints as 12, not 12.0.
 * Function implementations live in expr_fn.c; this file holds operators and paths.
 */
#include "flows/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "flows/expr_int.h"
#include "lib/alloc.h"
#include "lib/buf.h"

au_rc au_expr_fail(au_eval *ev, const node *n, au_rc rc, const char *fmt, ...)
{
    if (ev->rc)
        return ev->rc;
    va_list ap;
    va_start(ap, fmt);
    au_expr_set_error(ev->err, n->line, n->col, fmt, ap);
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
