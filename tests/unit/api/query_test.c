/*
 * Tests of the declared query parameters (src/api/query.c): defaults when absent, exact bounds,
 * malformed values refused with the parameter named, the documented clamp, flags and strings,
 * and the reference lines generated from the same table.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <string.h>

#include "api/query.h"

typedef struct args {
    long limit, wait;
    int ctx;
    const char *status;
} args;

static const au_query_spec spec[] = {
    AU_QUERY_ROW("limit", AU_QUERY_INT, offsetof(args, limit), "50", "rows per page", .min = 1,
                 .max = 1000),
    AU_QUERY_ROW("wait", AU_QUERY_INT, offsetof(args, wait), "0", "seconds to wait", .min = 0,
                 .max = 60, .flags = AU_OPT_CLAMP),
    AU_QUERY_ROW("context", AU_QUERY_FLAG, offsetof(args, ctx), "0", "with context"),
    AU_QUERY_ROW("status", AU_QUERY_STR, offsetof(args, status), NULL, "only this status"),
    {NULL}};

/* "name=value" pairs, NULL-terminated. */
static const char *lookup(const void *src, const char *name)
{
    for (const char *const *p = src; *p; p++) {
        size_t n = strlen(name);
        if (!strncmp(*p, name, n) && (*p)[n] == '=')
            return *p + n + 1;
    }
    return NULL;
}

static au_rc parse(const char *const *q, args *a, au_err *err)
{
    memset(a, 0xff, sizeof(*a));
    return au_query_parse_from(lookup, q, spec, a, err);
}

Test(query, absent_parameters_take_their_defaults)
{
    const char *q[] = {NULL};
    args a;
    cr_assert_eq(parse(q, &a, NULL), AU_OK);
    cr_assert_eq(a.limit, 50);
    cr_assert_eq(a.wait, 0);
    cr_assert_eq(a.ctx, 0);
    cr_assert_null(a.status);
}

Test(query, values_in_range_are_kept)
{
    const char *q[] = {"limit=1", "wait=60", "context=true", "status=dead", NULL};
    args a;
    cr_assert_eq(parse(q, &a, NULL), AU_OK);
    cr_assert_eq(a.limit, 1);
    cr_assert_eq(a.wait, 60);
    cr_assert_eq(a.ctx, 1);
    cr_assert_str_eq(a.status, "dead");
    const char *q2[] = {"limit=1000", "context=no", NULL};
    cr_assert_eq(parse(q2, &a, NULL), AU_OK);
    cr_assert_eq(a.limit, 1000);
    cr_assert_eq(a.ctx, 0);
}

Test(query, bad_values_are_refused_naming_the_parameter_and_bounds)
{
    static const char *const bad[] = {"5x",  "", "0", "1001", " 5", "+5", "99999999999999999999",
                                      "0x10"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char item[64];
        snprintf(item, sizeof(item), "limit=%s", bad[i]);
        const char *q[] = {item, NULL};
        args a;
        au_err err;
        au_err_init(&err);
        cr_assert_eq(parse(q, &a, &err), AU_ERR_INVALID, "limit=%s", bad[i]);
        char want[128];
        snprintf(want, sizeof(want), "limit: expected an integer from 1 to 1000, got '%s'", bad[i]);
        cr_assert_str_eq(err.message, want);
        cr_assert_eq(err.ndetails, 1);
        cr_assert_str_eq(err.details[0].field, "limit");
        au_err_cleanup(&err);
    }
}

Test(query, a_declared_cap_serves_larger_values_as_the_maximum)
{
    const char *q[] = {"wait=100000", NULL};
    args a;
    cr_assert_eq(parse(q, &a, NULL), AU_OK);
    cr_assert_eq(a.wait, 60);
    const char *q2[] = {"wait=-1", NULL};
    cr_assert_eq(parse(q2, &a, NULL), AU_ERR_INVALID, "below the minimum is still refused");
    const char *q3[] = {"wait=x", NULL};
    cr_assert_eq(parse(q3, &a, NULL), AU_ERR_INVALID);
}

Test(query, flags_refuse_other_words)
{
    const char *q[] = {"context=maybe", NULL};
    args a;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(parse(q, &a, &err), AU_ERR_INVALID);
    cr_assert_str_eq(err.message,
                     "context: expected true or false (yes/no, on/off, 1/0), got 'maybe'");
    au_err_cleanup(&err);
}

Test(query, reference_lines_come_from_the_table)
{
    au_buf b;
    au_buf_init(&b, 4096);
    cr_assert_eq(au_query_describe(spec, &b), AU_OK);
    cr_assert_str_eq(b.data, "- `limit` (integer 1..1000, default 50): rows per page\n"
                             "- `wait` (integer 0..60 (more: the maximum), default 0): "
                             "seconds to wait\n"
                             "- `context` (boolean, default 0): with context\n"
                             "- `status` (string): only this status\n");
    au_buf_cleanup(&b);
}
