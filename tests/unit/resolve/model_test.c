/*
 * Unit tests for the match model: default weights have the right signs and order, JSON round
 * trip, partial overrides from a `matching:` section, precise errors.
 */
#include <criterion/criterion.h>
#include <math.h>

#include "resolve/model.h"

Test(model, default_weights_are_ordered)
{
    au_model m;
    au_model_default(&m);
    for (int c = 0; c < AU_COL_COUNT; c++) {
        const au_model_col *col = &m.col[c];
        cr_assert_gt(col->w[0], 0, "%s exact must be evidence for", au_model_col_name(c));
        cr_assert_lt(col->w[col->nlevels - 1], 0, "%s different must be evidence against",
                     au_model_col_name(c));
        cr_assert_gt(col->w[0], col->w[col->nlevels - 1]);
    }
    cr_assert_gt(m.col[AU_COL_LAST_NAME].w[0], m.col[AU_COL_LAST_NAME].w[1]);
    cr_assert_gt(m.col[AU_COL_LAST_NAME].w[1], m.col[AU_COL_LAST_NAME].w[2]);
    cr_assert_gt(m.col[AU_COL_DOB].w[0], m.col[AU_COL_DOB].w[3]);
    cr_assert_gt(m.col[AU_COL_DOB].w[0], m.col[AU_COL_FIRST_NAME].w[0],
                 "a shared birth date says more than a shared first name");
    cr_assert_lt(m.possible_weight, m.match_weight);
    cr_assert_gt(au_model_prior_weight(&m, 1e3), au_model_prior_weight(&m, 1e6),
                 "a match is less likely a priori among more records");
    cr_assert_float_eq(au_model_prior_weight(&m, 10), au_model_prior_weight(&m, 1e3), 1e-12,
                       "small populations use the floor");
    m.prior = 0.01;
    cr_assert_float_eq(au_model_prior_weight(&m, 1e6), log2(0.01 / 0.99), 1e-9);
}

Test(model, json_round_trip)
{
    au_model m, back;
    au_model_default(&m);
    m.col[AU_COL_EMAIL].m[0] = 0.5;
    m.match_weight = 3.5;
    au_model_refresh(&m);
    json_t *j = au_model_to_json(&m);
    cr_assert_not_null(j);
    au_model_default(&back);
    au_err err;
    au_err_init(&err);
    cr_assert_eq(au_model_from_json(&back, j, &err), AU_OK, "%s", err.message);
    cr_assert_float_eq(back.col[AU_COL_EMAIL].m[0], 0.5, 1e-12);
    cr_assert_float_eq(back.col[AU_COL_EMAIL].w[0], m.col[AU_COL_EMAIL].w[0], 1e-9);
    cr_assert_float_eq(back.match_weight, 3.5, 1e-12);
    cr_assert_eq(back.rules, m.rules);
    json_decref(j);
    au_err_cleanup(&err);
}

static au_rc load(const char *text, au_model *m, au_err *err)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert_not_null(j, "%s", je.text);
    au_model_default(m);
    au_rc rc = au_model_from_json(m, j, err);
    json_decref(j);
    return rc;
}

Test(model, partial_section_overrides_defaults)
{
    au_model m;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(load("{\"match_weight\": 6, \"rules\": [\"national_id\"],"
                      " \"columns\": {\"gender\": {\"enabled\": false}}}",
                      &m, &err),
                 AU_OK, "%s", err.message);
    cr_assert_float_eq(m.match_weight, 6, 1e-12);
    cr_assert_eq(m.rules, (unsigned)AU_RULE_NATIONAL_ID);
    cr_assert_eq(m.col[AU_COL_GENDER].enabled, 0);
    cr_assert_eq(m.col[AU_COL_CITY].enabled, 1);
    au_err_cleanup(&err);
}

Test(model, errors_name_the_key)
{
    au_model m;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(load("{\"colums\": {}}", &m, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "colums"), "%s", err.message);
    au_err_cleanup(&err);
    au_err_init(&err);
    cr_assert_eq(load("{\"columns\": {\"email\": {\"m\": [0.5, 0.5]}}}", &m, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "matching.columns.email.m"), "%s", err.message);
    au_err_cleanup(&err);
    au_err_init(&err);
    cr_assert_eq(load("{\"rules\": [\"shoe_size\"]}", &m, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "rules[0]"), "%s", err.message);
    au_err_cleanup(&err);
}

/* The scalar keys are declared options (src/lib/opts.h): names, kinds and bounds are checked
 * with the wording every other option uses, and ints land in their int fields. */
Test(model, scalar_keys_are_declared_options)
{
    static const struct {
        const char *json, *message;
    } bad[] = {
        {"{\"prior\": 0.7}", "matching.prior: expected a number from 0 to 0.5, got '0.7'"},
        {"{\"match_weight\": \"12\"}",
         "matching.match_weight: expected a number from -100 to 100, got the string '12'"},
        {"{\"block_cap\": 1}",
         "matching.block_cap: expected an integer from 2 to 1000000, got '1'"},
        {"{\"conflict_max_edits\": 1.5}",
         "matching.conflict_max_edits: expected an integer from 0 to 10, got a number"},
        {"{\"tf_max\": {\"a\": 1}}",
         "matching.tf_max: expected a number from 0 to 20, got an object"},
        {"{\"match_wieght\": 3}", "matching.match_wieght: unknown key (valid keys: prior, "},
        {"{\"columns\": {\"email\": {\"tf\": \"yes\"}}}",
         "matching.columns.email.tf: expected true or false (yes/no, on/off, 1/0), got the string "
         "'yes'"},
        {"{\"generic\": {\"nevr\": []}}",
         "matching.generic.nevr: unknown key (valid keys: never, always, min_people)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        au_model m;
        au_err err;
        au_err_init(&err);
        cr_assert_eq(load(bad[i].json, &m, &err), AU_ERR_INVALID, "%s", bad[i].json);
        cr_assert(strncmp(err.message, bad[i].message, strlen(bad[i].message)) == 0, "%s",
                  err.message);
        au_err_cleanup(&err);
    }
    au_model m, d;
    au_err err;
    au_err_init(&err);
    au_model_default(&d);
    cr_assert_eq(load("{\"conflict_max_edits\": 3, \"block_cap\": 40, \"tf_min_records\": 7, "
                      "\"prior\": 0.25, \"prior_weight\": [1]}",
                      &m, &err),
                 AU_OK, "%s", err.message);
    cr_assert_eq(m.conflict_max_edits, 3);
    cr_assert_eq(m.block_cap, 40);
    cr_assert_eq(m.cluster_check_max, d.cluster_check_max); /* the neighbour is untouched */
    cr_assert_eq(m.tf_min_records, 7);
    cr_assert_eq(m.prior, 0.25);
    cr_assert_eq(m.match_weight, d.match_weight);
    au_err_cleanup(&err);
}

Test(model, shared_ids_are_read_and_written)
{
    au_model m;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(load("{\"shared_ids\": [\"loyalty_no\", \"crm_id\"]}", &m, &err), AU_OK, "%s",
                 err.message);
    cr_assert_eq(m.nshared_ids, 2);
    cr_assert_str_eq(m.shared_ids[1], "crm_id");
    json_t *j = au_model_to_json(&m);
    cr_assert_eq(json_array_size(json_object_get(j, "shared_ids")), 2);
    json_decref(j);
    cr_assert_eq(load("{\"shared_ids\": [1]}", &m, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "shared_ids[0]"), "%s", err.message);
    au_err_cleanup(&err);
}

Test(model, generic_values_are_read_written_and_checked)
{
    au_model m, back;
    au_err err;
    au_err_init(&err);
    cr_assert_eq(load("{\"generic\": {\"never\": [\"+44 20 7123 4001\"], \"always\": "
                      "[\"info@acme.com\", \"000-00-0000\"], \"min_people\": {\"email\": 5}},"
                      " \"quarantine_factor\": 0.25, \"negative_weight\": 30}",
                      &m, &err),
                 AU_OK, "%s", err.message);
    cr_assert_eq(m.ngeneric, 3);
    cr_assert_eq(m.generic_never[0], 1);
    cr_assert_str_eq(m.generic_values[2], "000-00-0000");
    cr_assert_eq(m.generic_min_people[1], 5, "email");
    cr_assert_eq(m.generic_min_people[2], 4, "phone keeps its default");
    cr_assert_float_eq(m.quarantine_factor, 0.25, 1e-12);
    json_t *j = au_model_to_json(&m);
    au_model_default(&back);
    cr_assert_eq(au_model_from_json(&back, j, &err), AU_OK, "%s", err.message);
    json_decref(j);
    cr_assert_eq(back.ngeneric, 3);
    cr_assert_eq(back.generic_never[0], 1);
    cr_assert_eq(back.generic_min_people[1], 5);
    cr_assert_float_eq(back.negative_weight, 30, 1e-12);
    cr_assert_eq(load("{\"generic\": {\"sometimes\": []}}", &m, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "sometimes"), "%s", err.message);
    cr_assert_eq(load("{\"generic\": {\"min_people\": {\"email\": 1}}}", &m, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "min_people.email"), "%s", err.message);
    cr_assert_eq(load("{\"generic\": {\"always\": [\"\"]}}", &m, &err), AU_ERR_INVALID);
    cr_assert(strstr(err.message, "always[0]"), "%s", err.message);
    au_err_cleanup(&err);
}
