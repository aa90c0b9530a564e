/*
 * Tests of the declared options (src/lib/opts.c), the one converter behind the command line,
 * the configuration, connector options and query parameters: each type's accepted and refused
 * values, bounds and the clamp, defaults (also copied and freed), a value from a YAML node
 * (quoted text is not a number, null is an empty string, a list fills a repeatable option),
 * unknown names, and the reference generated from the rows.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/opts.h"

typedef struct t_opts {
    const char *name;
    long n, wait;
    int flag, format;
    uint64_t seed;
    double rate;
    au_opt_list tags;
} t_opts;

static const au_opt table[] = {
    AU_OPT_ROW("name", AU_OPT_STRING, offsetof(t_opts, name), "NAME", "a name", .def = "anon"),
    AU_OPT_ROW("n", AU_OPT_INT, offsetof(t_opts, n), "N", "a count", .min = 1, .max = 100,
               .def = "10"),
    AU_OPT_ROW("wait", AU_OPT_INT, offsetof(t_opts, wait), "S", "seconds", .min = 0, .max = 60,
               .flags = AU_OPT_CLAMP),
    AU_OPT_ROW("flag", AU_OPT_BOOL, offsetof(t_opts, flag), NULL, "a switch", .def = "false"),
    AU_OPT_ROW("format", AU_OPT_CHOICE, offsetof(t_opts, format), "csv|jsonl", "output format"),
    AU_OPT_ROW("seed", AU_OPT_U64, offsetof(t_opts, seed), "S", "a seed"),
    AU_OPT_ROW("rate", AU_OPT_DOUBLE, offsetof(t_opts, rate), "R", "a share"),
    AU_OPT_ROW("tag", AU_OPT_STRINGS, offsetof(t_opts, tags), "TAG", "repeatable", .required = 1),
    {0},
};
#define NTABLE (sizeof(table) / sizeof(table[0]) - 1)

static const au_opt *row(const char *name)
{
    const au_opt *o = au_opts_find(table, NTABLE, name, strlen(name));
    cr_assert_not_null(o, "%s", name);
    return o;
}

/* Sets name=text, expecting rc; on failure the message must be `want`. */
static void set(t_opts *t, const char *name, const char *text, au_rc rc, const char *want)
{
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_opt_set(row(name), text, t, 0, &err), rc, "%s=%s: %s", name, text, err.message);
    if (want)
        cr_assert_str_eq(err.message, want);
    au_err_cleanup(&err);
}

Test(opts, each_type_converts_the_whole_text_or_refuses_it)
{
    t_opts t = {0};
    set(&t, "n", "42", AU_OK, NULL);
    cr_assert_eq(t.n, 42);
    static const char *const bad_ints[] = {
        "5x", "", " 5", "+5", "0x10", "1e3", "999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad_ints) / sizeof(bad_ints[0]); i++) {
        char want[128];
        snprintf(want, sizeof want, "n: expected an integer from 1 to 100, got '%s'", bad_ints[i]);
        set(&t, "n", bad_ints[i], AU_ERR_INVALID, want);
    }
    cr_assert_eq(t.n, 42, "a refused value leaves the field as it was");
    set(&t, "flag", "YES", AU_OK, NULL);
    cr_assert_eq(t.flag, 1);
    set(&t, "flag", "off", AU_OK, NULL);
    cr_assert_eq(t.flag, 0);
    set(&t, "flag", "maybe", AU_ERR_INVALID,
        "flag: expected true or false (yes/no, on/off, 1/0), got 'maybe'");
    set(&t, "format", "jsonl", AU_OK, NULL);
    cr_assert_eq(t.format, 1);
    set(&t, "format", "xml", AU_ERR_INVALID, "format: expected one of csv, jsonl, got 'xml'");
    set(&t, "seed", "18446744073709551615", AU_OK, NULL);
    cr_assert_eq(t.seed, UINT64_MAX);
    set(&t, "seed", "-1", AU_ERR_INVALID, "seed: expected a non-negative integer, got '-1'");
    set(&t, "rate", "0.25", AU_OK, NULL);
    cr_assert_float_eq(t.rate, 0.25, 1e-12);
    set(&t, "rate", "inf", AU_ERR_INVALID, "rate: expected a number, got 'inf'");
    set(&t, "name", "bob", AU_OK, NULL);
    cr_assert_str_eq(t.name, "bob");
    set(&t, "tag", "a", AU_OK, NULL);
    set(&t, "tag", "b", AU_OK, NULL);
    cr_assert_eq(t.tags.n, 2);
    cr_assert_str_eq(t.tags.v[1], "b");
}

Test(opts, bounds_are_inclusive_and_a_declared_cap_clamps)
{
    t_opts t = {0};
    set(&t, "n", "1", AU_OK, NULL);
    set(&t, "n", "100", AU_OK, NULL);
    set(&t, "n", "0", AU_ERR_INVALID, "n: expected an integer from 1 to 100, got '0'");
    set(&t, "n", "101", AU_ERR_INVALID, "n: expected an integer from 1 to 100, got '101'");
    set(&t, "wait", "3600", AU_OK, NULL);
    cr_assert_eq(t.wait, 60, "above the cap is served as the cap");
    set(&t, "wait", "-1", AU_ERR_INVALID, "wait: expected an integer from 0 to 60, got '-1'");
    const au_opt open = {.name = "x", .type = AU_OPT_INT, .min = 1, .max = __LONG_MAX__};
    char what[64];
    au_opt_expected(&open, what, sizeof what);
    cr_assert_str_eq(what, "an integer of at least 1");
}

Test(opts, defaults_fill_the_struct_and_copies_are_freed)
{
    t_opts t = {0};
    cr_assert_eq(au_opts_defaults(table, NTABLE, &t, 0, NULL), AU_OK);
    cr_assert_str_eq(t.name, "anon");
    cr_assert_eq(t.n, 10);
    cr_assert_eq(t.flag, 0);
    cr_assert_eq(t.wait, 0, "no default: left as it was");
    /* AU_OPT_COPY: strings are the consumer's, freed by au_opts_cleanup. */
    typedef struct owned {
        char *s;
    } owned;
    static const au_opt one[] = {
        AU_OPT_ROW("s", AU_OPT_STRING, offsetof(owned, s), NULL, "owned", .def = "d"), {0}};
    owned o = {0};
    cr_assert_eq(au_opts_defaults(one, 1, &o, AU_OPT_COPY, NULL), AU_OK);
    cr_assert_str_eq(o.s, "d");
    cr_assert_neq(o.s, one[0].def, "a copy");
    cr_assert_eq(au_opt_set(&one[0], "new", &o, AU_OPT_COPY, NULL), AU_OK, "replaces and frees");
    cr_assert_str_eq(o.s, "new");
    au_opts_cleanup(one, 1, &o);
    cr_assert_null(o.s);
    /* A default that does not convert is a bug of the table, reported as such. */
    static const au_opt broken[] = {
        AU_OPT_ROW("n", AU_OPT_INT, 0, NULL, "broken", .def = "ten", .min = 1, .max = 9), {0}};
    long n = 0;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_opts_defaults(broken, 1, &n, 0, &err), AU_ERR_INTERNAL);
    au_err_cleanup(&err);
}

Test(opts, unknown_names_are_not_found)
{
    cr_assert_null(au_opts_find(table, NTABLE, "nope", 4));
    cr_assert_null(au_opts_find(table, NTABLE, "na", 2), "a prefix is not a name");
    cr_assert_not_null(au_opts_find(table, NTABLE, "name=x", 4), "the length delimits the name");
    cr_assert_eq(au_opts_count(table), NTABLE);
}

Test(opts, values_from_yaml_nodes_follow_the_same_rules)
{
    const char *y = "n: 7\nq: '7'\nl: [a, b]\nz:\nm: {a: 1}\nf: on\n";
    au_yaml_doc *d = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_yaml_load(y, strlen(y), NULL, &d, NULL, NULL, &err), AU_OK);
    const au_ynode *root = au_yaml_root(d);
    t_opts t = {0};
    cr_assert_eq(au_opt_set_node(row("n"), au_yaml_get(root, "n", NULL), &t, 0, &err), AU_OK);
    cr_assert_eq(t.n, 7);
    cr_assert_eq(au_opt_set_node(row("n"), au_yaml_get(root, "q", NULL), &t, 0, &err),
                 AU_ERR_INVALID);
    cr_assert_str_eq(err.message,
                     "n: expected an integer from 1 to 100, got the quoted string '7'");
    cr_assert_eq(au_opt_set_node(row("n"), au_yaml_get(root, "m", NULL), &t, 0, &err),
                 AU_ERR_INVALID);
    cr_assert_str_eq(err.message, "n: expected an integer from 1 to 100, got a mapping");
    cr_assert_eq(au_opt_set_node(row("name"), au_yaml_get(root, "q", NULL), &t, 0, &err), AU_OK,
                 "a quoted string is a string");
    cr_assert_str_eq(t.name, "7");
    cr_assert_eq(au_opt_set_node(row("name"), au_yaml_get(root, "z", NULL), &t, 0, &err), AU_OK);
    cr_assert_str_eq(t.name, "", "null is the empty string");
    cr_assert_eq(au_opt_set_node(row("tag"), au_yaml_get(root, "l", NULL), &t, 0, &err), AU_OK);
    cr_assert_eq(t.tags.n, 2);
    cr_assert_eq(au_opt_set_node(row("flag"), au_yaml_get(root, "f", NULL), &t, 0, &err), AU_OK);
    cr_assert_eq(t.flag, 1);
    au_err_cleanup(&err);
    au_yaml_free(d);
}

Test(opts, the_reference_is_generated_from_the_rows)
{
    au_buf b;
    au_buf_init(&b, 1 << 16);
    cr_assert_eq(au_opts_markdown(table, NTABLE, &b), AU_OK);
    cr_assert(strstr(b.data, "| option | type | default | description |\n"), "%s", b.data);
    cr_assert(strstr(b.data, "| `n` | integer 1..100 | `10` | a count |\n"), "%s", b.data);
    cr_assert(strstr(b.data, "| `wait` | integer 0..60 (more: the maximum) |  | seconds |\n"), "%s",
              b.data);
    cr_assert(strstr(b.data, "| `format` | csv\\|jsonl |  | output format |\n"), "'|' escaped: %s",
              b.data);
    cr_assert(strstr(b.data, "| `tag` | strings | required | repeatable |\n"), "%s", b.data);
    au_buf_cleanup(&b);
}

/* A section of a YAML file: unknown keys listed with the valid ones at the key, bad values at
 * the value, required rows enforced, an absent section left alone. */
Test(opts, a_yaml_section_is_checked_against_the_rows)
{
    static const char *const texts[] = {
        "s: {n: 5, tag: a}\n",
        "s: {n: 5, tagg: a}\n",
        "s: {n: 500, tag: a}\n",
        "s: {n: 5}\n",
        "s: [1]\n",
    };
    static const struct {
        au_rc rc;
        const char *message;
        unsigned line, col;
    } want[] = {
        {AU_OK, "", 0, 0},
        {AU_ERR_INVALID,
         "s.tagg: unknown key (valid keys: name, n, wait, flag, format, seed, rate, tag)", 1, 11},
        {AU_ERR_INVALID, "s.n: expected an integer from 1 to 100, got '500'", 1, 8},
        {AU_ERR_INVALID, "s.tag: required (repeatable)", 1, 4},
        {AU_ERR_INVALID,
         "s: expected a mapping of name, n, wait, flag, format, seed, rate, tag, got a list", 1, 4},
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        au_yaml_doc *d = NULL;
        au_err err;
        unsigned line = 9, col = 9;
        t_opts t = {0};
        au_err_init(&err);
        cr_assert_eq(au_yaml_load(texts[i], strlen(texts[i]), NULL, &d, NULL, NULL, &err), AU_OK);
        const au_ynode *s = au_yaml_get(au_yaml_root(d), "s", NULL);
        cr_assert_eq(au_opts_from_yaml(table, NTABLE, s, "s", &t, 0, &line, &col, &err), want[i].rc,
                     "%zu: %s", i, err.message);
        cr_assert_str_eq(err.message, want[i].message, "%zu", i);
        cr_assert_eq(line, want[i].line, "%zu", i);
        cr_assert_eq(col, want[i].col, "%zu", i);
        au_err_cleanup(&err);
        au_yaml_free(d);
    }
    t_opts t = {0};
    unsigned line, col;
    cr_assert_eq(au_opts_from_yaml(table, NTABLE, NULL, "s", &t, 0, &line, &col, NULL), AU_OK);
}

/* The JSON text checked against the rows under prefix "s"; returns its rc, err has the message.
 * *doc (freed by the caller) keeps the strings t borrows. */
static au_rc from_json(const char *text, t_opts *t, unsigned flags, json_t **doc, au_err *err)
{
    json_error_t je;
    *doc = json_loads(text, JSON_DECODE_ANY, &je);
    cr_assert_not_null(*doc, "%s: %s", text, je.text);
    return au_opts_from_json(table, NTABLE, *doc, "s", t, flags, err);
}

Test(opts, a_json_object_is_checked_against_the_rows)
{
    static const struct {
        const char *text;
        au_rc rc;
        const char *message;
    } cases[] = {
        {"{\"n\": 5, \"tag\": \"a\"}", AU_OK, ""},
        {"{\"n\": 5, \"tagg\": \"a\"}", AU_ERR_INVALID,
         "s.tagg: unknown key (valid keys: name, n, wait, flag, format, seed, rate, tag)"},
        /* bounds and kinds: the wording of every other source of options */
        {"{\"n\": 500, \"tag\": \"a\"}", AU_ERR_INVALID,
         "s.n: expected an integer from 1 to 100, got '500'"},
        {"{\"n\": 0, \"tag\": \"a\"}", AU_ERR_INVALID,
         "s.n: expected an integer from 1 to 100, got '0'"},
        {"{\"n\": \"5\", \"tag\": \"a\"}", AU_ERR_INVALID,
         "s.n: expected an integer from 1 to 100, got the string '5'"},
        {"{\"n\": 2.5, \"tag\": \"a\"}", AU_ERR_INVALID,
         "s.n: expected an integer from 1 to 100, got a number"},
        {"{\"flag\": \"yes\", \"tag\": \"a\"}", AU_ERR_INVALID,
         "s.flag: expected true or false (yes/no, on/off, 1/0), got the string 'yes'"},
        {"{\"format\": \"xml\", \"tag\": \"a\"}", AU_ERR_INVALID,
         "s.format: expected one of csv, jsonl, got 'xml'"},
        {"{\"seed\": -1, \"tag\": \"a\"}", AU_ERR_INVALID,
         "s.seed: expected a non-negative integer, got '-1'"},
        /* an object or an array where a scalar is expected */
        {"{\"name\": {\"a\": 1}, \"tag\": \"a\"}", AU_ERR_INVALID,
         "s.name: expected a string, got an object"},
        {"{\"n\": [5], \"tag\": \"a\"}", AU_ERR_INVALID,
         "s.n: expected an integer from 1 to 100, got an array"},
        {"{\"tag\": [\"a\", {}]}", AU_ERR_INVALID,
         "s.tag: expected a list of strings, got an object"},
        {"{\"n\": 5}", AU_ERR_INVALID, "s.tag: required (repeatable)"},
        {"[1]", AU_ERR_INVALID,
         "s: expected an object of name, n, wait, flag, format, seed, rate, tag, got an array"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        au_err err;
        t_opts t = {0};
        json_t *doc;
        au_err_init(&err);
        cr_assert_eq(from_json(cases[i].text, &t, 0, &doc, &err), cases[i].rc, "%zu: %s", i,
                     err.message);
        cr_assert_str_eq(err.message, cases[i].message, "%zu", i);
        au_err_cleanup(&err);
        json_decref(doc);
    }
    t_opts t = {0};
    cr_assert_eq(au_opts_from_json(table, NTABLE, NULL, "s", &t, 0, NULL), AU_OK);
}

Test(opts, json_values_fill_the_struct_over_the_defaults)
{
    t_opts t = {0};
    json_t *doc, *doc2;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_opts_defaults(table, NTABLE, &t, AU_OPT_COPY, &err), AU_OK);
    cr_assert_eq(from_json("{\"wait\": 600, \"flag\": true, \"format\": \"jsonl\", \"seed\": "
                           "42, \"rate\": 0.25, \"tag\": [\"a\", \"b\"]}",
                           &t, AU_OPT_COPY, &doc, &err),
                 AU_OK, "%s", err.message);
    cr_assert_str_eq(t.name, "anon"); /* defaults stay where the object is silent */
    cr_assert_eq(t.n, 10);
    cr_assert_eq(t.wait, 60); /* the declared cap */
    cr_assert_eq(t.flag, 1);
    cr_assert_eq(t.format, 1);
    cr_assert_eq(t.rate, 0.25);
    cr_assert_eq(t.tags.n, 2);
    cr_assert_str_eq(t.tags.v[1], "b");
    /* an integer too large for JSON's int64 is refused by the parser, not here; 2^63-1 passes */
    cr_assert_eq(from_json("{\"seed\": 9223372036854775807, \"name\": null, \"tag\": \"c\"}", &t,
                           AU_OPT_COPY, &doc2, &err),
                 AU_OK, "%s", err.message);
    cr_assert_eq(t.seed, UINT64_C(9223372036854775807));
    cr_assert_str_eq(t.name, ""); /* null is an empty string, as in YAML */
    au_opts_cleanup(table, NTABLE, &t);
    cr_assert_null(t.name);
    au_err_cleanup(&err);
    json_decref(doc);
    json_decref(doc2);
}

/* A MAPPING row takes an object and hands it to the consumer; a scalar there is refused. */
typedef struct t_nested {
    const char *id;
    const json_t *fields;
} t_nested;

Test(opts, a_json_mapping_row_hands_over_the_object)
{
    static const au_opt rows[] = {
        AU_OPT_ROW("id", AU_OPT_STRING, offsetof(t_nested, id), "ID", "an id"),
        AU_OPT_ROW("fields", AU_OPT_MAPPING, offsetof(t_nested, fields), NULL, "a map"),
        {0},
    };
    json_t *j = json_loads("{\"id\": \"x\", \"fields\": {\"a\": 1}}", 0, NULL);
    t_nested t = {0};
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_opts_from_json(rows, 2, j, NULL, &t, 0, &err), AU_OK, "%s", err.message);
    cr_assert_eq(t.fields, json_object_get(j, "fields"));
    cr_assert_str_eq(t.id, "x");
    json_decref(j);
    j = json_loads("{\"fields\": 3}", 0, NULL);
    cr_assert_eq(au_opts_from_json(rows, 2, j, "", &t, 0, &err), AU_ERR_INVALID);
    cr_assert_str_eq(err.message, "fields: expected an object, got an integer");
    json_decref(j);
    au_err_cleanup(&err);
}
