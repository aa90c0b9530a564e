/*
 * The built-in functions of the flow expression language, one table (fns[] below) from which
 * the parser checks names and argument counts; docs/FLOWS.md describes each one. Functions
 * take null gracefully (a missing path usually yields null, not an error) and report wrong
 * types as evaluation errors at the call's position. Dates are ISO 8601 strings in UTC.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>

#include "flows/expr.h"
#include "flows/expr_int.h"
#include "lib/alloc.h"
#include "lib/buf.h"
#include "lib/isotime.h"

#define MS_PER_DAY 86400000LL

/* Dates are kept within years 0001..9999 so every formatting path stays well defined. */
#define MIN_DATE_MS (-62135596800000LL)
#define MAX_DATE_MS (253402300799999LL)

/* Reads a date argument: 1 and *ms set for a date, 0 for null or "", -1 after an error. */
static int date_arg(au_eval *ev, const node *n, const json_t *v, int64_t *ms)
{
    if (json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return 0;
    if (json_is_number(v)) {
        double d = json_number_value(v);
        if (d < (double)MIN_DATE_MS || d > (double)MAX_DATE_MS) {
            au_expr_fail(ev, n, AU_ERR_INVALID, "%s(): timestamp out of range", n->fn->name);
            return -1;
        }
        *ms = (int64_t)d;
        return 1;
    }
    if (json_is_string(v) && !au_iso8601_parse(json_string_value(v), json_string_length(v), ms) &&
        *ms >= MIN_DATE_MS && *ms <= MAX_DATE_MS)
        return 1;
    if (json_is_string(v))
        au_expr_fail(ev, n, AU_ERR_INVALID, "%s(): '%.40s' is not an ISO 8601 date", n->fn->name,
                     json_string_value(v));
    else
        au_expr_fail(ev, n, AU_ERR_INVALID, "%s(): expected a date, not a %s", n->fn->name,
                     au_expr_type_name(v));
    return -1;
}

static json_t *date_result(au_eval *ev, const node *n, int64_t ms)
{
    char buf[40];
    if (ms < MIN_DATE_MS || ms > MAX_DATE_MS) {
        au_expr_fail(ev, n, AU_ERR_INVALID, "%s(): date out of range", n->fn->name);
        return NULL;
    }
    au_iso8601_format(ms, buf, sizeof(buf));
    return json_string(buf);
}

/* ---------------------------------------------------------------------------------------------
 * Argument helpers
 */

static json_t *type_error(au_eval *ev, const node *n, int argi, const char *want, const json_t *v)
{
    au_expr_fail(ev, n, AU_ERR_INVALID, "%s(): argument %d must be %s, not %s", n->fn->name,
                 argi + 1, want, au_expr_type_name(v));
    return NULL;
}

static json_t *nomem(au_eval *ev, const node *n)
{
    au_expr_fail(ev, n, AU_ERR_NOMEM, "out of memory");
    return NULL;
}

/* Reads a whole-number argument within [lo, hi]; -1 after an error. */
static int int_arg(au_eval *ev, const node *n, int argi, const json_t *v, double lo, double hi,
                   long *out)
{
    double d = json_number_value(v);
    if (!json_is_number(v) || d != floor(d) || d < lo || d > hi) {
        au_expr_fail(ev, n, AU_ERR_INVALID, "%s(): argument %d must be a whole number in %g..%g",
                     n->fn->name, argi + 1, lo, hi);
        return -1;
    }
    *out = (long)d;
    return 0;
}

/* Follows a dotted path ("properties.type") inside an item; NULL when absent. */
static json_t *item_field(json_t *item, const char *path, size_t len)
{
    const char *p = path, *end = path + len;
    while (item && p <= end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t seg = dot ? (size_t)(dot - p) : (size_t)(end - p);
        item = json_is_object(item) ? json_object_getn(item, p, seg) : NULL;
        if (!dot)
            break;
        p = dot + 1;
    }
    return item;
}

/* ---------------------------------------------------------------------------------------------
 * Strings
 */

static json_t *map_case(au_eval *ev, const node *n, json_t **a, int upper)
{
    if (json_is_null(a[0]))
        return json_null();
    if (!json_is_string(a[0]))
        return type_error(ev, n, 0, "a string", a[0]);
    const utf8proc_uint8_t *s = (const utf8proc_uint8_t *)json_string_value(a[0]);
    utf8proc_ssize_t len = (utf8proc_ssize_t)json_string_length(a[0]), i = 0;
    au_buf b;
    au_rc rc = AU_OK;
    au_buf_init(&b, AU_EXPR_MAX_STRING);
    while (i < len && !rc) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate(s + i, len - i, &cp);
        if (k <= 0) {
            k = 1;
            cp = 0xFFFD;
        }
        i += k;
        cp = upper ? utf8proc_toupper(cp) : utf8proc_tolower(cp);
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t el = utf8proc_encode_char(cp, enc);
        rc = au_buf_append(&b, enc, (size_t)el);
    }
    json_t *r = rc ? (au_expr_fail(ev, n, rc, "string result too long"), NULL)
                   : au_expr_str_result(ev, n, b.data ? b.data : "", b.len);
    au_buf_cleanup(&b);
    return r;
}

static json_t *fn_lower(au_eval *ev, const node *n, json_t **a, size_t na)
{
    return map_case(ev, n, a, 0);
}

static json_t *fn_upper(au_eval *ev, const node *n, json_t **a, size_t na)
{
    return map_case(ev, n, a, 1);
}

static json_t *fn_trim(au_eval *ev, const node *n, json_t **a, size_t na)
{
    if (json_is_null(a[0]))
        return json_null();
    if (!json_is_string(a[0]))
        return type_error(ev, n, 0, "a string", a[0]);
    const char *s = json_string_value(a[0]);
    size_t b = 0, e = json_string_length(a[0]);
    while (b < e && strchr(" \t\r\n\f\v", s[b]) && s[b])
        b++;
    while (e > b && strchr(" \t\r\n\f\v", s[e - 1]) && s[e - 1])
        e--;
    return au_expr_str_result(ev, n, s + b, e - b);
}

static json_t *fn_concat(au_eval *ev, const node *n, json_t **a, size_t na)
{
    au_buf b;
    au_rc rc = AU_OK;
    au_buf_init(&b, AU_EXPR_MAX_STRING);
    for (size_t i = 0; i < na && !rc; i++)
        rc = au_expr_append_text(&b, a[i]);
    json_t *r = rc ? (au_expr_fail(ev, n, rc, "string result too long"), NULL)
                   : au_expr_str_result(ev, n, b.data ? b.data : "", b.len);
    au_buf_cleanup(&b);
    return r;
}

static json_t *fn_join(au_eval *ev, const node *n, json_t **a, size_t na)
{
    if (json_is_null(a[0]))
        return json_string("");
    if (!json_is_array(a[0]))
        return type_error(ev, n, 0, "a list", a[0]);
    if (na > 1 && !json_is_string(a[1]))
        return type_error(ev, n, 1, "a string", a[1]);
    au_buf b;
    au_rc rc = AU_OK;
    au_buf_init(&b, AU_EXPR_MAX_STRING);
    for (size_t i = 0; i < json_array_size(a[0]) && !rc; i++) {
        if (i && na > 1)
            rc = au_buf_append(&b, json_string_value(a[1]), json_string_length(a[1]));
        if (!rc)
            rc = au_expr_append_text(&b, json_array_get(a[0], i));
    }
    json_t *r = rc ? (au_expr_fail(ev, n, rc, "string result too long"), NULL)
                   : au_expr_str_result(ev, n, b.data ? b.data : "", b.len);
    au_buf_cleanup(&b);
    return r;
}

static json_t *fn_length(au_eval *ev, const node *n, json_t **a, size_t na)
{
    if (json_is_null(a[0]))
        return json_integer(0);
    if (json_is_array(a[0]))
        return json_integer((json_int_t)json_array_size(a[0]));
    if (json_is_object(a[0]))
        return json_integer((json_int_t)json_object_size(a[0]));
    if (!json_is_string(a[0]))
        return type_error(ev, n, 0, "a string, list or object", a[0]);
    const char *s = json_string_value(a[0]);
    json_int_t count = 0;
    for (size_t i = 0; i < json_string_length(a[0]); i++)
        count += ((unsigned char)s[i] & 0xC0) != 0x80;
    return json_integer(count);
}

static json_t *fn_contains(au_eval *ev, const node *n, json_t **a, size_t na)
{
    int found;
    if (au_expr_member(ev, n, a[1], a[0], &found))
        return NULL;
    return json_boolean(found);
}

static json_t *affix(au_eval *ev, const node *n, json_t **a, int end)
{
    if (json_is_null(a[0]) || json_is_null(a[1]))
        return json_false();
    if (!json_is_string(a[0]))
        return type_error(ev, n, 0, "a string", a[0]);
    if (!json_is_string(a[1]))
        return type_error(ev, n, 1, "a string", a[1]);
    size_t ls = json_string_length(a[0]), lp = json_string_length(a[1]);
    if (lp > ls)
        return json_false();
    const char *s = json_string_value(a[0]) + (end ? ls - lp : 0);
    return json_boolean(!memcmp(s, json_string_value(a[1]), lp));
}

static json_t *fn_starts_with(au_eval *ev, const node *n, json_t **a, size_t na)
{
    return affix(ev, n, a, 0);
}

static json_t *fn_ends_with(au_eval *ev, const node *n, json_t **a, size_t na)
{
    return affix(ev, n, a, 1);
}

static json_t *fn_number(au_eval *ev, const node *n, json_t **a, size_t na)
{
    if (json_is_number(a[0]))
        return json_incref(a[0]);
    if (json_is_boolean(a[0]))
        return json_integer(json_is_true(a[0]));
    if (!json_is_string(a[0]) || json_string_length(a[0]) == 0 || json_string_length(a[0]) > 64)
        return json_null();
    char tmp[80], *end;
    snprintf(tmp, sizeof(tmp), "%s", json_string_value(a[0]));
    double d = strtod(tmp, &end);
    while (*end == ' ')
        end++;
    if (*end || end == tmp || !isfinite(d) || tmp[0] == ' ')
        return json_null();
    return au_expr_number(d);
}

static json_t *fn_string(au_eval *ev, const node *n, json_t **a, size_t na)
{
    if (json_is_null(a[0]) || json_is_string(a[0]))
        return json_incref(a[0]);
    return fn_concat(ev, n, a, 1);
}

/* ---------------------------------------------------------------------------------------------
 * Numbers
 */

static json_t *fn_round(au_eval *ev, const node *n, json_t **a, size_t na)
{
    long dig = 0;
    if (json_is_null(a[0]))
        return json_null();
    if (!json_is_number(a[0]))
        return type_error(ev, n, 0, "a number", a[0]);
    if (na > 1 && int_arg(ev, n, 1, a[1], 0, 15, &dig))
        return NULL;
    double f = pow(10, (double)dig);
    json_t *r = au_expr_number(round(json_number_value(a[0]) * f) / f);
    return r ? r : json_incref(a[0]);
}

static json_t *fn_abs(au_eval *ev, const node *n, json_t **a, size_t na)
{
    if (json_is_null(a[0]))
        return json_null();
    if (!json_is_number(a[0]))
        return type_error(ev, n, 0, "a number", a[0]);
    return au_expr_number(fabs(json_number_value(a[0])));
}

static json_t *minmax(au_eval *ev, const node *n, json_t **a, size_t na, int want_max)
{
    json_t *const *items = a;
    size_t count = na;
    if (na == 1 && json_is_array(a[0])) {
        count = json_array_size(a[0]);
        items = NULL;
    }
    json_t *best = NULL;
    for (size_t i = 0; i < count; i++) {
        json_t *v = items ? items[i] : json_array_get(a[0], i);
        if (json_is_null(v))
            continue;
        if (!json_is_number(v) && !json_is_string(v))
            return type_error(ev, n, (int)(items ? i : 0), "numbers or strings", v);
        if (best && json_is_number(best) != json_is_number(v)) {
            au_expr_fail(ev, n, AU_ERR_INVALID, "%s(): cannot compare %s with %s", n->fn->name,
                         au_expr_type_name(best), au_expr_type_name(v));
            return NULL;
        }
        int c;
        if (!best)
            c = 1;
        else if (json_is_number(v))
            c = json_number_value(v) > json_number_value(best)   ? 1
                : json_number_value(v) < json_number_value(best) ? -1
                                                                 : 0;
        else
            c = strcmp(json_string_value(v), json_string_value(best));
        if (!best || (want_max ? c > 0 : c < 0))
            best = v;
    }
    return best ? json_incref(best) : json_null();
}

static json_t *fn_min(au_eval *ev, const node *n, json_t **a, size_t na)
{
    return minmax(ev, n, a, na, 0);
}

static json_t *fn_max(au_eval *ev, const node *n, json_t **a, size_t na)
{
    return minmax(ev, n, a, na, 1);
}

/* ---------------------------------------------------------------------------------------------
 * Dates
 */

static json_t *fn_now(au_eval *ev, const node *n, json_t **a, size_t na)
{
    return date_result(ev, n, ev->now_ms);
}

static json_t *fn_days_since(au_eval *ev, const node *n, json_t **a, size_t na)
{
    int64_t ms;
    int r = date_arg(ev, n, a[0], &ms);
    if (r <= 0)
        return r ? NULL : json_null();
    return au_expr_number(floor((double)(ev->now_ms - ms) / (double)MS_PER_DAY));
}

static json_t *fn_format_date(au_eval *ev, const node *n, json_t **a, size_t na)
{
    int64_t ms;
    int r = date_arg(ev, n, a[0], &ms);
    if (r <= 0)
        return r ? NULL : json_null();
    if (!json_is_string(a[1]) || json_string_length(a[1]) > 64)
        return type_error(ev, n, 1, "a format string of at most 64 bytes", a[1]);
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    char buf[256];
    if (!gmtime_r(&t, &tm))
        return nomem(ev, n);
    size_t len =
        json_string_length(a[1]) ? strftime(buf, sizeof(buf), json_string_value(a[1]), &tm) : 0;
    if (len == 0 && json_string_length(a[1])) {
        au_expr_fail(ev, n, AU_ERR_INVALID, "format_date(): format yields nothing or too much");
        return NULL;
    }
    return au_expr_str_result(ev, n, buf, len);
}

static json_t *fn_parse_date(au_eval *ev, const node *n, json_t **a, size_t na)
{
    if (na == 1) {
        int64_t ms;
        if (!json_is_string(a[0]) && !json_is_number(a[0]))
            return json_null();
        if (json_is_string(a[0]) &&
            au_iso8601_parse(json_string_value(a[0]), json_string_length(a[0]), &ms))
            return json_null();
        int r = date_arg(ev, n, a[0], &ms);
        return r < 0 ? NULL : r == 0 ? json_null() : date_result(ev, n, ms);
    }
    if (!json_is_string(a[1]) || json_string_length(a[1]) > 64)
        return type_error(ev, n, 1, "a format string of at most 64 bytes", a[1]);
    if (!json_is_string(a[0]))
        return json_null();
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_mday = 1;
    const char *end = strptime(json_string_value(a[0]), json_string_value(a[1]), &tm);
    if (!end || *end)
        return json_null();
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
        tm.tm_mday > au_days_in_month(tm.tm_year + 1900LL, (unsigned)tm.tm_mon + 1))
        return json_null();
    int64_t days =
        au_days_from_civil(tm.tm_year + 1900LL, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday);
    int64_t ms = ((days * 24 + tm.tm_hour) * 60 + tm.tm_min) * 60000LL + tm.tm_sec * 1000LL;
    return date_result(ev, n, ms);
}

static json_t *fn_date_add(au_eval *ev, const node *n, json_t **a, size_t na)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"seconds", 1000},
                 {"minutes", 60000},
                 {"hours", 3600000},
                 {"days", MS_PER_DAY},
                 {"weeks", 7 * MS_PER_DAY}};
    int64_t ms;
    int r = date_arg(ev, n, a[0], &ms);
    if (r <= 0)
        return r ? NULL : json_null();
    if (!json_is_number(a[1]))
        return type_error(ev, n, 1, "a number", a[1]);
    const char *unit = na > 2 && json_is_string(a[2]) ? json_string_value(a[2]) : "days";
    if (na > 2 && !json_is_string(a[2]))
        return type_error(ev, n, 2, "a unit name", a[2]);
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(units[i].unit, unit))
            continue;
        double add = json_number_value(a[1]) * (double)units[i].ms;
        if (fabs(add) > (double)(MAX_DATE_MS - MIN_DATE_MS))
            return date_result(ev, n, MAX_DATE_MS + 1);
        return date_result(ev, n, ms + (int64_t)add);
    }
    au_expr_fail(ev, n, AU_ERR_INVALID,
                 "date_add(): unit must be seconds, minutes, hours, days or weeks");
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Lists
 */

static json_t *fn_first(au_eval *ev, const node *n, json_t **a, size_t na)
{
    if (json_is_null(a[0]))
        return json_null();
    if (!json_is_array(a[0]))
        return type_error(ev, n, 0, "a list", a[0]);
    size_t sz = json_array_size(a[0]);
    if (!sz)
        return json_null();
    int last = !strcmp(n->fn->name, "last");
    return json_incref(json_array_get(a[0], last ? sz - 1 : 0));
}

static json_t *fn_count(au_eval *ev, const node *n, json_t **a, size_t na)
{
    if (json_is_null(a[0]))
        return json_integer(0);
    if (!json_is_array(a[0]) && !json_is_object(a[0]))
        return type_error(ev, n, 0, "a list", a[0]);
    return fn_length(ev, n, a, na);
}

static json_t *fn_where(au_eval *ev, const node *n, json_t **a, size_t na)
{
    if (json_is_null(a[0]))
        return json_array();
    if (!json_is_array(a[0]))
        return type_error(ev, n, 0, "a list", a[0]);
    if (!json_is_string(a[1]))
        return type_error(ev, n, 1, "a field name", a[1]);
    json_t *out = json_array();
    if (!out)
        return nomem(ev, n);
    for (size_t i = 0; i < json_array_size(a[0]); i++) {
        json_t *item = json_array_get(a[0], i);
        json_t *f = item_field(item, json_string_value(a[1]), json_string_length(a[1]));
        if (!au_expr_equal(f ? f : json_null(), a[2]))
            continue;
        if (json_array_size(out) >= AU_EXPR_MAX_LIST) {
            json_decref(out);
            au_expr_fail(ev, n, AU_ERR_TOO_LARGE, "%s(): result has more than %d elements",
                         n->fn->name, AU_EXPR_MAX_LIST);
            return NULL;
        }
        if (json_array_append(out, item)) {
            json_decref(out);
            return nomem(ev, n);
        }
    }
    return out;
}

typedef struct dated {
    int64_t ms;   /* date of the item */
    int has;      /* 0 when the item has no readable date: sorts last */
    size_t index; /* original position, for a stable order */
} dated;

static int cmp_dated(const void *x, const void *y)
{
    const dated *a = x, *b = y;
    if (a->has != b->has)
        return b->has - a->has;
    if (a->has && a->ms != b->ms)
        return a->ms < b->ms ? 1 : -1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static json_t *fn_latest(au_eval *ev, const node *n, json_t **a, size_t na)
{
    long want;
    if (json_is_null(a[0]))
        return json_array();
    if (!json_is_array(a[0]))
        return type_error(ev, n, 0, "a list", a[0]);
    if (int_arg(ev, n, 1, a[1], 0, AU_EXPR_MAX_LIST, &want))
        return NULL;
    if (na > 2 && !json_is_string(a[2]))
        return type_error(ev, n, 2, "a field name", a[2]);
    const char *field = na > 2 ? json_string_value(a[2]) : "at";
    size_t size = json_array_size(a[0]);
    dated *d = au_calloc(size ? size : 1, sizeof(*d));
    json_t *out = json_array();
    if (!d || !out) {
        au_free(d);
        json_decref(out);
        return nomem(ev, n);
    }
    for (size_t i = 0; i < size; i++) {
        json_t *f = item_field(json_array_get(a[0], i), field, strlen(field));
        d[i].index = i;
        if (json_is_string(f))
            d[i].has = !au_iso8601_parse(json_string_value(f), json_string_length(f), &d[i].ms);
        else if (json_is_number(f))
            d[i].has = 1, d[i].ms = (int64_t)json_number_value(f);
    }
    qsort(d, size, sizeof(*d), cmp_dated);
    for (size_t i = 0; i < size && i < (size_t)want; i++)
        if (json_array_append(out, json_array_get(a[0], d[i].index))) {
            json_decref(out);
            out = nomem(ev, n);
            break;
        }
    au_free(d);
    return out;
}

static json_t *fn_sum(au_eval *ev, const node *n, json_t **a, size_t na)
{
    if (json_is_null(a[0]))
        return json_integer(0);
    if (!json_is_array(a[0]))
        return type_error(ev, n, 0, "a list", a[0]);
    if (na > 1 && !json_is_string(a[1]))
        return type_error(ev, n, 1, "a field name", a[1]);
    double total = 0;
    for (size_t i = 0; i < json_array_size(a[0]); i++) {
        json_t *v = json_array_get(a[0], i);
        if (na > 1)
            v = item_field(v, json_string_value(a[1]), json_string_length(a[1]));
        if (json_is_number(v))
            total += json_number_value(v);
    }
    json_t *r = au_expr_number(total);
    if (!r)
        au_expr_fail(ev, n, AU_ERR_INVALID, "sum(): result out of range");
    return r;
}

/* ---------------------------------------------------------------------------------------------
 * Lazy functions: they decide which arguments to evaluate.
 */

static json_t *fn_if(au_eval *ev, const node *n)
{
    json_t *c = au_expr_eval_node(ev, n->args[0]);
    if (!c)
        return NULL;
    int t = au_expr_truthy(c);
    json_decref(c);
    if (t)
        return au_expr_eval_node(ev, n->args[1]);
    return n->nargs > 2 ? au_expr_eval_node(ev, n->args[2]) : json_null();
}

static json_t *fn_coalesce(au_eval *ev, const node *n)
{
    for (size_t i = 0; i < n->nargs; i++) {
        json_t *v = au_expr_eval_node(ev, n->args[i]);
        if (!v || !json_is_null(v))
            return v;
        json_decref(v);
    }
    return json_null();
}

static json_t *fn_exists(au_eval *ev, const node *n)
{
    json_t *v = au_expr_eval_node(ev, n->args[0]);
    if (!v)
        return NULL;
    int e = !json_is_null(v);
    json_decref(v);
    return json_boolean(e);
}

static const au_expr_fn fns[] = {
    {"abs", 1, 1, fn_abs, NULL},
    {"coalesce", 1, -1, NULL, fn_coalesce},
    {"concat", 0, -1, fn_concat, NULL},
    {"contains", 2, 2, fn_contains, NULL},
    {"count", 1, 1, fn_count, NULL},
    {"date_add", 2, 3, fn_date_add, NULL},
    {"days_since", 1, 1, fn_days_since, NULL},
    {"ends_with", 2, 2, fn_ends_with, NULL},
    {"exists", 1, 1, NULL, fn_exists},
    {"filter", 3, 3, fn_where, NULL},
    {"first", 1, 1, fn_first, NULL},
    {"format_date", 2, 2, fn_format_date, NULL},
    {"if", 2, 3, NULL, fn_if},
    {"join", 1, 2, fn_join, NULL},
    {"last", 1, 1, fn_first, NULL},
    {"latest", 2, 3, fn_latest, NULL},
    {"length", 1, 1, fn_length, NULL},
    {"lower", 1, 1, fn_lower, NULL},
    {"max", 1, -1, fn_max, NULL},
    {"min", 1, -1, fn_min, NULL},
    {"now", 0, 0, fn_now, NULL},
    {"number", 1, 1, fn_number, NULL},
    {"parse_date", 1, 2, fn_parse_date, NULL},
    {"round", 1, 2, fn_round, NULL},
    {"starts_with", 2, 2, fn_starts_with, NULL},
    {"string", 1, 1, fn_string, NULL},
    {"sum", 1, 2, fn_sum, NULL},
    {"trim", 1, 1, fn_trim, NULL},
    {"upper", 1, 1, fn_upper, NULL},
    {"where", 3, 3, fn_where, NULL},
};

const au_expr_fn *au_expr_fn_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
        if (strlen(fns[i].name) == len && !memcmp(fns[i].name, name, len))
            return &fns[i];
    return NULL;
}

json_t *au_expr_call(au_eval *ev, const node *n)
{
    json_t *args[AU_EXPR_MAX_ARGS];
    json_t *r = NULL;
    size_t i;
    if (n->fn->lazy)
        return n->fn->lazy(ev, n);
    for (i = 0; i < n->nargs; i++) {
        args[i] = au_expr_eval_node(ev, n->args[i]);
        if (!args[i])
            goto out;
    }
    r = n->fn->eager(ev, n, args, n->nargs);
    if (!r && !ev->rc)
        au_expr_fail(ev, n, AU_ERR_NOMEM, "out of memory");
out:
    while (i > 0)
        json_decref(args[--i]);
    return r;
}
