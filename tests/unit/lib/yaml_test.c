/*
 * Tests of the one YAML loader (src/lib/yaml.c): every node carries its line and column, merge
 * keys are applied with explicit keys winning, nesting past the depth limit and a tree past the
 * node budget are refused (an alias bomb and a recursive alias included), malformed YAML names
 * its position, the JSON view refuses duplicate keys at the duplicate, and every allocation
 * failure is reported as such with nothing leaked.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/yaml.h"

#include "../../support/fault.h"

static au_yaml_doc *load(const char *text, const au_yaml_limits *lim)
{
    au_yaml_doc *d = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_yaml_load(text, strlen(text), lim, &d, NULL, NULL, &err), AU_OK, "%s",
                 err.message);
    au_err_cleanup(&err);
    return d;
}

/* Loads text expecting rc; returns the message and position. */
static void refused(const char *text, const au_yaml_limits *lim, au_rc rc, const char *want,
                    unsigned line, unsigned col)
{
    au_yaml_doc *d = NULL;
    unsigned l = 0, c = 0;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_yaml_load(text, strlen(text), lim, &d, &l, &c, &err), rc, "%s", err.message);
    cr_assert_null(d);
    cr_assert(strstr(err.message, want), "'%s' lacks '%s'", err.message, want);
    cr_assert_eq(l, line, "line %u, want %u (%s)", l, line, err.message);
    cr_assert_eq(c, col, "column %u, want %u (%s)", c, col, err.message);
    au_err_cleanup(&err);
}

Test(yaml_load, every_node_has_its_line_and_column)
{
    au_yaml_doc *d = load("name: x\nsteps:\n  - id: a\n    file: {path: '/p'}\n", NULL);
    const au_ynode *root = au_yaml_root(d), *k = NULL;
    cr_assert_eq(root->kind, AU_YAML_MAP);
    cr_assert_eq(root->n, 2);
    const au_ynode *steps = au_yaml_get(root, "steps", &k);
    cr_assert_eq(k->line, 2);
    cr_assert_eq(k->col, 1);
    cr_assert_eq(steps->kind, AU_YAML_SEQ);
    const au_ynode *file = au_yaml_get(steps->items[0], "file", &k);
    cr_assert_eq(k->line, 4);
    cr_assert_eq(k->col, 5);
    const au_ynode *path = au_yaml_get(file, "path", NULL);
    cr_assert_eq(path->line, 4);
    cr_assert_eq(path->col, 18, "at the opening quote");
    cr_assert_str_eq(path->text, "/p");
    cr_assert_eq(path->plain, 0, "quoted");
    cr_assert_eq(au_yaml_get(root, "name", NULL)->plain, 1);
    cr_assert_null(au_yaml_get(root, "nope", NULL));
    au_yaml_free(d);
}

Test(yaml_load, an_empty_stream_has_no_root)
{
    au_yaml_doc *d = load("", NULL);
    cr_assert_null(au_yaml_root(d));
    au_yaml_free(d);
}

Test(yaml_load, merge_keys_apply_and_explicit_keys_win)
{
    au_yaml_doc *d = load("base: &b {a: 1, b: 2}\nother: &o {c: 3, a: 9}\n"
                          "x:\n  <<: [*b, *o]\n  b: 20\n",
                          NULL);
    const au_ynode *x = au_yaml_get(au_yaml_root(d), "x", NULL);
    cr_assert_eq(x->n, 3, "b, a, c: %zu pairs", x->n);
    cr_assert_str_eq(au_yaml_get(x, "b", NULL)->text, "20", "explicit key wins");
    cr_assert_str_eq(au_yaml_get(x, "a", NULL)->text, "1", "earlier merged mapping wins");
    cr_assert_str_eq(au_yaml_get(x, "c", NULL)->text, "3");
    cr_assert_null(au_yaml_get(x, "<<", NULL));
    au_yaml_free(d);
    refused("x:\n  <<: 5\n", NULL, AU_ERR_PARSE, "merge key '<<' needs a mapping", 2, 7);
}

Test(yaml_load, nesting_past_the_depth_limit_is_refused)
{
    const au_yaml_limits lim = {.max_depth = 4};
    au_yaml_free(load("a: {b: {c: {d: 1}}}\n", &lim));
    refused("a: {b: {c: {d: {e: 1}}}}\n", &lim, AU_ERR_TOO_LARGE, "nested more than 4 levels", 1,
            17);
    /* A recursive alias would be infinitely deep: the default limit stops it. */
    refused("a: &a [*a]\n", NULL, AU_ERR_TOO_LARGE, "nested more than 64 levels", 1, 4);
}

Test(yaml_load, an_alias_bomb_is_refused_by_the_node_budget)
{
    /* Each level repeats the previous one 9 times: 9^5 = 59049 scalars when expanded, from a
     * few hundred bytes. */
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
    const au_yaml_limits lim = {.max_nodes = 10000};
    au_yaml_doc *d = NULL;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_yaml_load(bomb, strlen(bomb), &lim, &d, NULL, NULL, &err), AU_ERR_TOO_LARGE);
    cr_assert(strstr(err.message, "more than 10000 nodes"), "%s", err.message);
    cr_assert_null(d);
    au_err_cleanup(&err);
    /* The same document under a budget it fits is loaded, the aliases expanded into copies. */
    const au_yaml_limits big = {.max_nodes = 100000};
    d = load(bomb, &big);
    const au_ynode *e = au_yaml_get(au_yaml_root(d), "e", NULL);
    cr_assert_eq(e->n, 9);
    cr_assert_eq(e->items[8]->items[8]->items[8]->items[8]->n, 9);
    au_yaml_free(d);
}

Test(yaml_load, malformed_yaml_names_its_position)
{
    refused("a: [1, 2\nb: 3\n", NULL, AU_ERR_PARSE, "did not find expected ',' or ']'", 2, 2);
    refused("a: *nothing\n", NULL, AU_ERR_PARSE, "undefined alias", 1, 4);
}

Test(yaml_load, the_json_view_types_plain_scalars_and_refuses_duplicates)
{
    json_t *j = NULL;
    au_err err;
    au_err_init(&err);
    const char *t = "n: 12\nf: 1.5\nb: true\nz: ~\ns: '12'\nl: [a, 2]\n";
    cr_assert_eq(au_yaml_to_json(t, strlen(t), &j, &err), AU_OK, "%s", err.message);
    cr_assert(json_is_integer(json_object_get(j, "n")));
    cr_assert(json_is_real(json_object_get(j, "f")));
    cr_assert(json_is_true(json_object_get(j, "b")));
    cr_assert(json_is_null(json_object_get(j, "z")));
    cr_assert_str_eq(json_string_value(json_object_get(j, "s")), "12", "quoted stays a string");
    cr_assert_eq(json_array_size(json_object_get(j, "l")), 2);
    json_decref(j);
    const char *dup = "a: 1\nb:\n  c: 1\n  c: 2\n";
    cr_assert_eq(au_yaml_to_json(dup, strlen(dup), &j, &err), AU_ERR_PARSE);
    cr_assert_str_eq(err.message, "4:3: duplicate key c");
    au_err_cleanup(&err);
}

/* Loads and converts a document with aliases and merge keys; on success checks the result. */
static au_rc load_merged(void *arg)
{
    const char *text = arg;
    json_t *j = NULL;
    au_err err;
    au_err_init(&err);
    au_rc rc = au_yaml_to_json(text, strlen(text), &j, &err);
    if (!rc)
        cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "x"), "a")), 1);
    else
        cr_assert_eq(rc, AU_ERR_NOMEM, "%s", err.message);
    json_decref(j);
    au_err_cleanup(&err);
    return rc;
}

Test(yaml_load, every_allocation_failure_is_reported_as_nomem)
{
    au_fault_every_allocation(load_merged, "base: &b {a: 1, b: [1, 2, 3]}\n"
                                           "x:\n  <<: *b\n  c: {d: *b}\n");
}
