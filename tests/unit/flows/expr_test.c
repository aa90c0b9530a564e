/*
 * Table-driven tests of the flow expression language: every operator and function evaluated
 * against one Northwind-like context, parse errors with their positions, evaluation errors,
 * missing paths, limits and templates.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "flows/expr.h"
#include "lib/alloc.h"
#include "lib/isotime.h"

#include "../../support/fault.h"

/* 2026-11-23T12:00:00Z */
#define NOW_MS 1795435200000LL

static const char *ctx_text =
    "{\"profile\":{\"id\":\"p-1\",\"email\":\"Ann@Example.COM\",\"first_name\":\"Ann\","
    "\"last_name\":\"Lee\",\"emails\":[\"a@x.io\",\"b@x.io\"],\"age\":41,\"vip\":true,"
    "\"city\":\"  London \",\"tags\":[\"gold\",\"uk\"],"
    "\"timeline\":[{\"type\":\"order\",\"at\":\"2026-11-01T10:00:00Z\",\"amount\":30},"
    "{\"type\":\"payment\",\"at\":\"2026-11-20T09:00:00Z\",\"amount\":80.5},"
    "{\"type\":\"order\",\"at\":\"2026-11-10T10:00:00Z\",\"amount\":12},"
    "{\"type\":\"payment\",\"at\":\"2026-10-02T09:00:00Z\",\"amount\":19.5}]},"
    "\"event\":{\"type\":\"payment\",\"source\":\"billing\",\"at\":\"2026-11-20T09:00:00+01:00\","
    "\"properties\":{\"amount\":120,\"currency\":\"GBP\",\"case\":\"D-77\"}},"
    "\"record\":{\"name\":\"Zoë Ålund\"}}";

static json_t *ctx(void)
{
    json_error_t je;
    json_t *c = json_loads(ctx_text, 0, &je);
    cr_assert_not_null(c, "context: %s", je.text);
    return c;
}

typedef struct ok_case {
    const char *expr;
    const char *json; /* expected result, as JSON */
} ok_case;

static const ok_case ok_cases[] = {
    /* literals */
    {"12", "12"},
    {"3.5", "3.5"},
    {"\"a\\tb\"", "\"a\\tb\""},
    {"'single'", "\"single\""},
    {"\"\\u00e9\\ud83d\\ude00\"", "\"\\u00e9\\ud83d\\ude00\""},
    {"true", "true"},
    {"false", "false"},
    {"null", "null"},
    {"[1, 'a', null, [2]]", "[1,\"a\",null,[2]]"},
    {"[]", "[]"},
    {"1e3", "1000"},
    /* paths */
    {"profile.email", "\"Ann@Example.COM\""},
    {"event.properties.amount", "120"},
    {"profile.emails[0]", "\"a@x.io\""},
    {"profile.emails[-1]", "\"b@x.io\""},
    {"profile.emails[5]", "null"},
    {"profile['first_name']", "\"Ann\""},
    {"profile.missing", "null"},
    {"profile.missing.deeper[3].x", "null"},
    {"nosuchroot.x", "null"},
    {"profile.email.x", "null"},
    {"event.properties", "{\"amount\":120,\"currency\":\"GBP\",\"case\":\"D-77\"}"},
    {"profile.timeline[1].amount", "80.5"},
    /* arithmetic */
    {"1 + 2 * 3", "7"},
    {"(1 + 2) * 3", "9"},
    {"10 / 4", "2.5"},
    {"10 % 4", "2"},
    {"-event.properties.amount", "-120"},
    {"2 - 3 - 4", "-5"},
    {"+5", "5"},
    {"9007199254740992 - 1", "9007199254740991"},
    {"'ab' + 'cd'", "\"abcd\""},
    /* comparisons */
    {"1 == 1.0", "true"},
    {"'a' == 'a'", "true"},
    {"'a' != 'b'", "true"},
    {"[1,2] == [1,2.0]", "true"},
    {"null == profile.missing", "true"},
    {"1 == '1'", "false"},
    {"2 < 3", "true"},
    {"3 <= 3", "true"},
    {"'b' > 'a'", "true"},
    {"'abc' >= 'abd'", "false"},
    {"profile.missing > 3", "false"},
    {"profile.missing < 3", "false"},
    {"event.at < '2026-12-01'", "true"},
    /* logic */
    {"true and false", "false"},
    {"true or false", "true"},
    {"not true", "false"},
    {"!false", "true"},
    {"not 1 == 2", "true"},
    {"1 && 'x'", "true"},
    {"0 || ''", "false"},
    {"false and (1 * 'x')", "false"},
    {"true or (1 * 'x')", "true"},
    {"profile.vip and event.properties.amount >= 100", "true"},
    /* in */
    {"'gold' in profile.tags", "true"},
    {"'silver' in profile.tags", "false"},
    {"'silver' not in profile.tags", "true"},
    {"'Example' in profile.email", "true"},
    {"'amount' in event.properties", "true"},
    {"1 in [1.0, 2]", "true"},
    {"'x' in profile.missing", "false"},
    /* strings */
    {"lower(profile.email)", "\"ann@example.com\""},
    {"upper(record.name)", "\"ZOË ÅLUND\""},
    {"lower(profile.missing)", "null"},
    {"trim(profile.city)", "\"London\""},
    {"concat(profile.first_name, ' ', profile.last_name)", "\"Ann Lee\""},
    {"concat('n=', 3, ' ', true, ' ', null, [1])", "\"n=3 true [1]\""},
    {"coalesce(profile.missing, profile.nope, 'x', 1 * 'y')", "\"x\""},
    {"coalesce(profile.missing)", "null"},
    {"length('Zoë')", "3"},
    {"length(profile.tags)", "2"},
    {"length(profile.missing)", "0"},
    {"contains(profile.tags, 'uk')", "true"},
    {"contains(profile.email, '@')", "true"},
    {"starts_with(profile.email, 'Ann')", "true"},
    {"ends_with(profile.email, '.COM')", "true"},
    {"ends_with(profile.missing, 'x')", "false"},
    {"number('42.5')", "42.5"},
    {"number('4x')", "null"},
    {"number(true)", "1"},
    {"string(12)", "\"12\""},
    {"string(profile.tags)", "\"[\\\"gold\\\",\\\"uk\\\"]\""},
    {"string(profile.missing)", "null"},
    {"join(profile.tags, ', ')", "\"gold, uk\""},
    /* numbers */
    {"round(2.5)", "3"},
    {"round(3.14159, 2)", "3.14"},
    {"abs(-4)", "4"},
    {"min(3, 1, 2)", "1"},
    {"max([3, 7, null, 2])", "7"},
    {"max('2026-01-01', '2025-12-31')", "\"2026-01-01\""},
    {"min([])", "null"},
    /* dates */
    {"now()", "\"2026-11-23T12:00:00Z\""},
    {"days_since('2026-11-20T12:00:00Z')", "3"},
    {"days_since('2026-11-23')", "0"},
    {"days_since(event.at)", "3"},
    {"days_since(profile.missing)", "null"},
    {"format_date(event.at, '%Y-%m-%d %H:%M')", "\"2026-11-20 08:00\""},
    {"format_date('2026-02-03', '%d/%m/%Y')", "\"03/02/2026\""},
    {"parse_date('03/02/2026', '%d/%m/%Y')", "\"2026-02-03T00:00:00Z\""},
    {"parse_date('2026-02-03T04:05:06.789+02:00')", "\"2026-02-03T02:05:06.789Z\""},
    {"parse_date('not a date')", "null"},
    {"date_add('2024-02-28', 1)", "\"2024-02-29T00:00:00Z\""},
    {"date_add('2026-11-23T12:00:00Z', -90, 'minutes')", "\"2026-11-23T10:30:00Z\""},
    {"date_add('2026-01-01', 2, 'weeks')", "\"2026-01-15T00:00:00Z\""},
    /* lists */
    {"first(profile.tags)", "\"gold\""},
    {"last(profile.tags)", "\"uk\""},
    {"first([])", "null"},
    {"count(profile.timeline)", "4"},
    {"count(profile.missing)", "0"},
    {"count(where(profile.timeline, 'type', 'payment'))", "2"},
    {"where(profile.timeline, 'type', 'refund')", "[]"},
    {"filter(profile.timeline, 'type', 'order')[0].amount", "30"},
    {"latest(where(profile.timeline, 'type', 'order'), 1)[0].amount", "12"},
    {"latest(profile.timeline, 2)[1].type", "\"order\""},
    {"length(latest(profile.timeline, 10))", "4"},
    {"sum(profile.timeline, 'amount')", "142"},
    {"sum(where(profile.timeline, 'type', 'payment'), 'amount')", "100"},
    {"sum([1, 2, 'x', null])", "3"},
    /* control */
    {"if(profile.vip, 'gold', 'std')", "\"gold\""},
    {"if(profile.missing, 1 * 'x', 'std')", "\"std\""},
    {"if(false, 1)", "null"},
    {"exists(profile.email)", "true"},
    {"exists(profile.missing.x)", "false"},
    /* keywords as field names, whitespace, newlines */
    {"event.properties\n  .currency", "\"GBP\""},
};

Test(expr, evaluates_each_operator_and_function)
{
    json_t *c = ctx();
    for (size_t i = 0; i < sizeof(ok_cases) / sizeof(ok_cases[0]); i++) {
        const ok_case *k = &ok_cases[i];
        if (!k->json)
            continue;
        au_expr *e;
        au_expr_error err;
        au_rc rc = au_expr_parse(k->expr, &e, &err);
        cr_assert_eq(rc, AU_OK, "parse '%s': %s", k->expr, err.message);
        json_t *r;
        rc = au_expr_eval(e, c, NOW_MS, &r, &err);
        cr_assert_eq(rc, AU_OK, "eval '%s': %s", k->expr, err.message);
        json_t *want = json_loads(k->json, JSON_DECODE_ANY, NULL);
        cr_assert_not_null(want, "bad expected JSON for '%s'", k->expr);
        char *got = json_dumps(r, JSON_ENCODE_ANY | JSON_COMPACT);
        cr_assert(json_equal(r, want), "'%s' gave %s, want %s", k->expr, got, k->json);
        free(got);
        json_decref(want);
        json_decref(r);
        au_expr_free(e);
    }
    json_decref(c);
}

typedef struct err_case {
    const char *expr;
    const char *message; /* exact message including position */
} err_case;

static const err_case parse_errors[] = {
    {"", "empty expression at 1:1"},
    {"(1 + 2", "expected ')', found end of expression at 1:7"},
    {"concat(profile.a, 'b'", "expected ')', found end of expression at 1:22"},
    {"1 +", "expected a value, found end of expression at 1:4"},
    {"a = b", "unexpected '=' (use '==') at 1:3"},
    {"'abc", "unterminated string at 1:1"},
    {"\"a\\qb\"", "unknown escape '\\q' at 1:3"},
    {"nosuch(1)", "unknown function 'nosuch' at 1:1"},
    {"lower(1, 2)", "lower() takes 1 argument, not 2 at 1:1"},
    {"date_add(1)", "date_add() takes 2 to 3 arguments, not 1 at 1:1"},
    {"coalesce()", "coalesce() takes at least 1 arguments at 1:1"},
    {"profile.email\n  == == 'x'", "expected a value, found '==' at 2:6"},
    {"a b", "unexpected name at 1:3"},
    {"12abc", "malformed number at 1:1"},
    {"profile.", "expected a field name after '.', found end of expression at 1:9"},
    {"[1, 2", "expected ']', found end of expression at 1:6"},
    {"a not b", "expected 'in' after 'not', found name at 1:7"},
    {"x # y", "unexpected character '#' at 1:3"},
    {"'\\ud800'", "unpaired surrogate in \\u escape at 1:2"},
    {"'a' 'b'", "unexpected string at 1:5"},
    {"1 )", "unexpected ')' at 1:3"},
};

Test(expr, parse_errors_give_line_column_and_reason)
{
    for (size_t i = 0; i < sizeof(parse_errors) / sizeof(parse_errors[0]); i++) {
        au_expr *e = (au_expr *)1;
        au_expr_error err;
        au_rc rc = au_expr_parse(parse_errors[i].expr, &e, &err);
        cr_assert_neq(rc, AU_OK, "'%s' parsed", parse_errors[i].expr);
        cr_assert_null(e);
        cr_assert_str_eq(err.message, parse_errors[i].message, "for '%s'", parse_errors[i].expr);
    }
}

static const err_case eval_errors[] = {
    {"profile.email * 2", "cannot multiply string and number at 1:15"},
    {"1 + 'a'", "cannot add number and string at 1:3"},
    {"profile.missing + 1", "cannot add null and number at 1:17"},
    {"1 / 0", "division by zero at 1:3"},
    {"5 % 0", "division by zero at 1:3"},
    {"-'a'", "cannot negate a string at 1:1"},
    {"'a' < 1", "cannot compare string with number at 1:5"},
    {"1 in 2", "'in' needs a list, string or object, not a number at 1:3"},
    {"lower(3)", "lower(): argument 1 must be a string, not number at 1:1"},
    {"days_since('yesterday')", "days_since(): 'yesterday' is not an ISO 8601 date at 1:1"},
    {"date_add(now(), 1, 'fortnights')",
     "date_add(): unit must be seconds, minutes, hours, days or weeks at 1:1"},
    {"round(1.5, 99)", "round(): argument 2 must be a whole number in 0..15 at 1:1"},
    {"where(1, 'a', 1)", "where(): argument 1 must be a list, not number at 1:1"},
    {"max(1, 'a')", "max(): cannot compare number with string at 1:1"},
    {"date_add('9999-12-31', 2)", "date_add(): date out of range at 1:1"},
    {"1e308 * 10", "number out of range at 1:7"},
    {"if(true, \n  profile.age * profile.city)", "cannot multiply number and string at 2:15"},
};

Test(expr, evaluation_errors_give_position_and_never_crash)
{
    json_t *c = ctx();
    for (size_t i = 0; i < sizeof(eval_errors) / sizeof(eval_errors[0]); i++) {
        au_expr *e;
        au_expr_error err;
        cr_assert_eq(au_expr_parse(eval_errors[i].expr, &e, &err), AU_OK, "%s", err.message);
        json_t *r = json_true();
        au_rc rc = au_expr_eval(e, c, NOW_MS, &r, &err);
        cr_assert_neq(rc, AU_OK, "'%s' evaluated", eval_errors[i].expr);
        cr_assert_null(r);
        cr_assert_str_eq(err.message, eval_errors[i].message, "for '%s'", eval_errors[i].expr);
        au_expr_free(e);
    }
    json_decref(c);
}

Test(expr, limits_refuse_hostile_input)
{
    au_expr *e;
    au_expr_error err;
    char big[AU_EXPR_MAX_LEN + 2];
    memset(big, '1', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cr_assert_eq(au_expr_parse(big, &e, &err), AU_ERR_TOO_LARGE);

    char deep[400];
    size_t n = 0;
    for (int i = 0; i < 150; i++)
        deep[n++] = '(';
    deep[n++] = '1';
    for (int i = 0; i < 150; i++)
        deep[n++] = ')';
    deep[n] = '\0';
    cr_assert_eq(au_expr_parse(deep, &e, &err), AU_ERR_TOO_LARGE);
    cr_assert(strstr(err.message, "nested too deeply"), "%s", err.message);

    /* A long flat chain is as deep as a nested one once parsed: also refused. */
    char chain[1000];
    n = 0;
    for (int i = 0; i < 200; i++) {
        chain[n++] = '1';
        chain[n++] = '+';
    }
    chain[n++] = '1';
    chain[n] = '\0';
    cr_assert_eq(au_expr_parse(chain, &e, &err), AU_ERR_TOO_LARGE);

    /* Strings cannot grow past AU_EXPR_MAX_STRING. */
    json_t *c = json_pack("{s:{s:s}}", "profile", "s", "");
    char *s = au_malloc(AU_EXPR_MAX_STRING / 2 + 10);
    memset(s, 'x', AU_EXPR_MAX_STRING / 2 + 9);
    s[AU_EXPR_MAX_STRING / 2 + 9] = '\0';
    json_object_set_new(json_object_get(c, "profile"), "s", json_string(s));
    au_free(s);
    cr_assert_eq(au_expr_parse("concat(profile.s, profile.s)", &e, &err), AU_OK);
    json_t *r;
    cr_assert_eq(au_expr_eval(e, c, NOW_MS, &r, &err), AU_ERR_TOO_LARGE);
    au_expr_free(e);
    cr_assert_eq(au_expr_parse("profile.s + profile.s", &e, &err), AU_OK);
    cr_assert_eq(au_expr_eval(e, c, NOW_MS, &r, &err), AU_ERR_TOO_LARGE);
    au_expr_free(e);
    json_decref(c);
}

typedef struct parse_eval {
    const char *text;
    json_t *ctx;
} parse_eval;

/* Compiles and evaluates pe->text; on success checks the value the expression must give. */
static au_rc parse_and_eval(void *arg)
{
    parse_eval *pe = arg;
    au_expr *e = NULL;
    au_expr_error err;
    json_t *r = NULL;
    au_rc rc = au_expr_parse(pe->text, &e, &err);
    if (!rc)
        rc = au_expr_eval(e, pe->ctx, NOW_MS, &r, &err);
    if (!rc)
        cr_assert_str_eq(json_string_value(r), "ann@example.com-2");
    json_decref(r);
    au_expr_free(e);
    return rc;
}

Test(expr, every_allocation_failure_is_reported_as_nomem)
{
    parse_eval pe = {"concat(lower(profile.email), '-', string(count(where(profile.timeline, "
                     "'type', 'payment'))))",
                     ctx()};
    au_fault_every_allocation(parse_and_eval, &pe);
    json_decref(pe.ctx);
}

Test(expr, truthiness)
{
    json_t *vals[] = {json_null(),   json_false(), json_integer(0), json_string(""), json_array(),
                      json_object(), json_true(),  json_integer(2), json_string("x")};
    for (size_t i = 0; i < 9; i++) {
        cr_assert_eq(au_expr_truthy(vals[i]), i >= 6, "value %zu", i);
        json_decref(vals[i]);
    }
}

Test(expr_template, renders_text_and_values)
{
    json_t *c = ctx();
    char *out;
    au_expr_error err;
    cr_assert_eq(au_expr_render_template("https://coll/cases/{{ event.properties.case }}/close", c,
                                         NOW_MS, 0, &out, &err),
                 AU_OK, "%s", err.message);
    cr_assert_str_eq(out, "https://coll/cases/D-77/close");
    au_free(out);
    cr_assert_eq(au_expr_render_template("q={{profile.email}}&n={{ 1+1 }}{{profile.missing}}", c,
                                         NOW_MS, AU_TMPL_URLENCODE, &out, &err),
                 AU_OK);
    cr_assert_str_eq(out, "q=Ann%40Example.COM&n=2");
    au_free(out);
    cr_assert_eq(au_expr_render_template("plain", c, NOW_MS, 0, &out, &err), AU_OK);
    cr_assert_str_eq(out, "plain");
    au_free(out);
    cr_assert_eq(au_expr_render_template("{{ '}}' }}", c, NOW_MS, 0, &out, &err), AU_OK);
    cr_assert_str_eq(out, "}}");
    au_free(out);
    cr_assert_eq(au_expr_render_template("a{{ \"{{\" }}b", c, NOW_MS, 0, &out, &err), AU_OK);
    cr_assert_str_eq(out, "a{{b", "a literal {{ written as an expression");
    au_free(out);

    au_expr_template *t;
    json_t *v;
    cr_assert_eq(au_expr_template_parse("{{ event.properties.amount }}", &t, &err), AU_OK);
    cr_assert_eq(au_expr_template_eval(t, c, NOW_MS, &v, &err), AU_OK);
    cr_assert(json_is_integer(v) && json_integer_value(v) == 120, "single part keeps its type");
    json_decref(v);
    au_expr_template_free(t);
    cr_assert_eq(au_expr_template_parse("n{{ event.properties.amount }}", &t, &err), AU_OK);
    cr_assert_eq(au_expr_template_eval(t, c, NOW_MS, &v, &err), AU_OK);
    cr_assert_str_eq(json_string_value(v), "n120");
    json_decref(v);
    au_expr_template_free(t);
    json_decref(c);
}

Test(expr_template, errors_point_into_the_template)
{
    au_expr_template *t;
    au_expr_error err;
    cr_assert_eq(au_expr_template_parse("https://x/{{ profile.id", &t, &err), AU_ERR_PARSE);
    cr_assert_str_eq(err.message, "'{{' without a matching '}}' at 1:11");
    cr_assert_eq(au_expr_template_parse("a\nb {{ lower(x }}", &t, &err), AU_ERR_PARSE);
    cr_assert_str_eq(err.message, "expected ')', found end of expression at 2:14");
    cr_assert_eq(err.line, 2);
    cr_assert_eq(err.col, 14);
    cr_assert_eq(au_expr_template_parse("{{}}", &t, &err), AU_ERR_PARSE);
    cr_assert_str_eq(err.message, "empty expression at 1:3");
}

Test(expr_dates, iso_parsing_and_formatting)
{
    int64_t ms;
    char buf[40];
    cr_assert_eq(au_iso8601_parse("1970-01-01", 10, &ms), AU_OK);
    cr_assert_eq(ms, 0);
    cr_assert_eq(au_iso8601_parse("2000-02-29T23:59:59.5-01:30", 27, &ms), AU_OK);
    au_iso8601_format(ms, buf, sizeof(buf));
    cr_assert_str_eq(buf, "2000-03-01T01:29:59.500Z");
    cr_assert_eq(au_iso8601_parse("2001-02-29", 10, &ms), AU_ERR_INVALID, "not a leap year");
    cr_assert_eq(au_iso8601_parse("2001-13-01", 10, &ms), AU_ERR_INVALID);
    cr_assert_eq(au_iso8601_parse("2001-01-01T24:00", 16, &ms), AU_ERR_INVALID);
    cr_assert_eq(au_iso8601_parse("2001-01-01x", 11, &ms), AU_ERR_INVALID);
    au_iso8601_format(-1, buf, sizeof(buf));
    cr_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
}
