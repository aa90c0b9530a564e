/*
 * Default match model, level labels and the JSON form of the model. The default m/u values are
 * judgement for person data: m from how often a true duplicate keeps a field at each level
 * (typos, nicknames, swapped date parts), u from how often two unrelated people agree that much.
 */
#include "resolve/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct col_def {
    const char *name;
    int nlevels;
    const char *labels[AU_MAX_LEVELS];
    double m[AU_MAX_LEVELS];
    double u[AU_MAX_LEVELS];
    int tf;
} col_def;

static const col_def defs[AU_COL_COUNT] = {
    [AU_COL_FIRST_NAME] = {"first_name",
                           6,
                           {"exact", "nickname", "jaro_winkler>=0.92",
                            "jaro_winkler>=0.80|metaphone", "initial", "different"},
                           {0.83, 0.03, 0.08, 0.03, 0.01, 0.02},
                           {0.008, 0.0005, 0.002, 0.02, 0.02, 0.9495},
                           1},
    [AU_COL_LAST_NAME] = {"last_name",
                          4,
                          {"exact", "jaro_winkler>=0.92", "jaro_winkler>=0.80|metaphone|edits<=2",
                           "different"},
                          {0.85, 0.07, 0.04, 0.04},
                          {0.002, 0.001, 0.02, 0.977},
                          1},
    [AU_COL_MIDDLE_NAME] = {"middle_name",
                            3,
                            {"exact", "initial|jaro_winkler>=0.88", "different"},
                            {0.70, 0.20, 0.10},
                            {0.01, 0.05, 0.94},
                            1},
    [AU_COL_DOB] = {"date_of_birth",
                    5,
                    {"exact", "day_month_swapped", "year_off_by_one", "one_part_differs",
                     "different"},
                    {0.84, 0.01, 0.01, 0.09, 0.05},
                    {0.00004, 0.00004, 0.00008, 0.004, 0.99584},
                    0},
    [AU_COL_EMAIL] = {"email",
                      4,
                      {"exact", "edits<=2", "jaro_winkler>=0.88", "different"},
                      {0.85, 0.08, 0.03, 0.04},
                      {0.0001, 0.0003, 0.015, 0.9846},
                      0},
    [AU_COL_PHONE] = {"phone",
                      3,
                      {"exact", "edits<=1", "different"},
                      {0.85, 0.05, 0.10},
                      {0.0001, 0.0005, 0.9994},
                      0},
    [AU_COL_ADDRESS] = {"address",
                        4,
                        {"exact", "jaro_winkler>=0.90", "jaro_winkler>=0.75", "different"},
                        {0.72, 0.14, 0.06, 0.08},
                        {0.0005, 0.002, 0.05, 0.9475},
                        1},
    [AU_COL_CITY] = {"city",
                     3,
                     {"exact", "jaro_winkler>=0.88", "different"},
                     {0.82, 0.08, 0.10},
                     {0.01, 0.005, 0.985},
                     1},
    [AU_COL_POSTCODE] = {"postcode",
                         3,
                         {"exact", "edits<=1", "different"},
                         {0.82, 0.10, 0.08},
                         {0.003, 0.03, 0.967},
                         1},
    [AU_COL_STATE] = {"state", 2, {"exact", "different"}, {0.92, 0.08}, {0.25, 0.75}, 0},
    [AU_COL_NATIONAL_ID] = {"national_id",
                            3,
                            {"exact", "edits<=2", "different"},
                            {0.86, 0.10, 0.04},
                            {0.00001, 0.0001, 0.99989},
                            0},
    [AU_COL_GENDER] = {"gender", 2, {"exact", "different"}, {0.96, 0.04}, {0.5, 0.5}, 0},
};

const char *au_model_col_name(au_col c)
{
    return (unsigned)c < AU_COL_COUNT ? defs[c].name : "?";
}

const char *au_model_level_label(au_col c, int level)
{
    if ((unsigned)c >= AU_COL_COUNT)
        return "?";
    if (level < 0)
        return "missing";
    return level < defs[c].nlevels ? defs[c].labels[level] : "?";
}

void au_model_refresh(au_model *m)
{
    for (int c = 0; c < AU_COL_COUNT; c++) {
        au_model_col *col = &m->col[c];
        for (int l = 0; l < col->nlevels; l++) {
            double mm = col->m[l] > 1e-9 ? col->m[l] : 1e-9;
            double uu = col->u[l] > 1e-9 ? col->u[l] : 1e-9;
            col->w[l] = log2(mm / uu);
        }
    }
}

void au_model_default(au_model *m)
{
    memset(m, 0, sizeof *m);
    for (int c = 0; c < AU_COL_COUNT; c++) {
        m->col[c].nlevels = defs[c].nlevels;
        memcpy(m->col[c].m, defs[c].m, sizeof defs[c].m);
        memcpy(m->col[c].u, defs[c].u, sizeof defs[c].u);
        m->col[c].tf = defs[c].tf;
        m->col[c].enabled = 1;
    }
    m->prior = 0;
    m->prior_per_record = 1.0;
    m->prior_min_records = 1000;
    m->match_weight = 0.0;
    m->possible_weight = -6.0;
    m->tf_max = 4.0;
    m->location_cap = 12.0;
    m->family_cap = 14.0;
    m->tf_min_records = 500;
    m->rules = AU_RULE_EMAIL | AU_RULE_PHONE | AU_RULE_NATIONAL_ID | AU_RULE_PASSPORT |
               AU_RULE_DRIVERS | AU_RULE_SHARED_ID;
    m->conflict_max_edits = 2;
    m->block_cap = 32;
    m->cluster_check_max = 32;
    m->join_mean_weight = -8;
    m->join_min_weight = -25.0;
    m->quarantine_factor = 0.5;
    m->negative_weight = 20.0;
    /* A household shares a phone and an address, a couple an e-mail: the bars sit above. */
    m->generic_min_people[1] = 3;
    m->generic_min_people[2] = 4;
    m->generic_min_people[3] = 3;
    m->generic_min_people[4] = 6;
    au_model_refresh(m);
}

double au_model_prior_weight(const au_model *m, double n)
{
    double p = m->prior;
    if (p <= 0) {
        double pop = n > (double)m->prior_min_records ? n : (double)m->prior_min_records;
        p = m->prior_per_record / pop;
        p = p < 0.5 ? p : 0.5;
    }
    return log2(p / (1.0 - p));
}

static const struct {
    const char *name;
    unsigned bit;
} rule_names[] = {{"email", AU_RULE_EMAIL},
                  {"phone", AU_RULE_PHONE},
                  {"national_id", AU_RULE_NATIONAL_ID},
                  {"passport", AU_RULE_PASSPORT},
                  {"drivers_license", AU_RULE_DRIVERS},
                  {"shared_id", AU_RULE_SHARED_ID}};
#define NRULES (sizeof rule_names / sizeof rule_names[0])

static au_rc num(const json_t *v, const char *key, double lo, double hi, double *out, au_err *err)
{
    if (!json_is_number(v))
        return au_err_set(err, AU_ERR_INVALID, "matching.%s: expected a number", key);
    double d = json_number_value(v);
    if (!(d >= lo && d <= hi))
        return au_err_set(err, AU_ERR_INVALID, "matching.%s: %g out of range [%g, %g]", key, d, lo,
                          hi);
    *out = d;
    return AU_OK;
}

static au_rc col_from_json(au_model_col *col, const char *name, const json_t *v, au_err *err)
{
    const char *k;
    json_t *x;
    if (!json_is_object(v))
        return au_err_set(err, AU_ERR_INVALID, "matching.columns.%s: expected an object", name);
    json_object_foreach((json_t *)v, k, x)
    {
        if (strcmp(k, "enabled") == 0 || strcmp(k, "tf") == 0) {
            if (!json_is_boolean(x))
                return au_err_set(err, AU_ERR_INVALID, "matching.columns.%s.%s: expected a boolean",
                                  name, k);
            *(strcmp(k, "tf") == 0 ? &col->tf : &col->enabled) = json_is_true(x);
        } else if (strcmp(k, "m") == 0 || strcmp(k, "u") == 0) {
            double *dst = k[0] == 'm' ? col->m : col->u;
            if (!json_is_array(x) || (int)json_array_size(x) != col->nlevels)
                return au_err_set(err, AU_ERR_INVALID,
                                  "matching.columns.%s.%s: expected an array of %d probabilities",
                                  name, k, col->nlevels);
            for (int l = 0; l < col->nlevels; l++) {
                json_t *p = json_array_get(x, (size_t)l);
                if (!json_is_number(p) || json_number_value(p) < 0 || json_number_value(p) > 1)
                    return au_err_set(err, AU_ERR_INVALID,
                                      "matching.columns.%s.%s[%d]: expected a probability 0..1",
                                      name, k, l);
                dst[l] = json_number_value(p);
            }
        } else if (strcmp(k, "levels") != 0 && strcmp(k, "weights") != 0) {
            return au_err_set(err, AU_ERR_INVALID,
                              "matching.columns.%s: unknown key '%s' (valid keys: enabled, tf, m, "
                              "u, levels, weights)",
                              name, k);
        }
    }
    return AU_OK;
}

static au_rc rules_from_json(au_model *m, const json_t *v, au_err *err)
{
    if (!json_is_array(v))
        return au_err_set(err, AU_ERR_INVALID, "matching.rules: expected an array of names");
    unsigned bits = 0;
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        size_t r = 0;
        while (r < NRULES &&
               (!json_is_string(x) || strcmp(json_string_value(x), rule_names[r].name) != 0))
            r++;
        if (r == NRULES)
            return au_err_set(err, AU_ERR_INVALID,
                              "matching.rules[%zu]: unknown rule (email, phone, national_id, "
                              "passport, drivers_license, shared_id)",
                              i);
        bits |= rule_names[r].bit;
    }
    m->rules = bits;
    return AU_OK;
}

static au_rc shared_from_json(au_model *m, const json_t *v, au_err *err)
{
    size_t i;
    json_t *x;
    if (!json_is_array(v) || json_array_size(v) > AU_MAX_SHARED_IDS)
        return au_err_set(err, AU_ERR_INVALID,
                          "matching.shared_ids: expected an array of at most %d attribute names",
                          AU_MAX_SHARED_IDS);
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x) || json_string_length(x) == 0 ||
            json_string_length(x) >= sizeof m->shared_ids[0])
            return au_err_set(err, AU_ERR_INVALID,
                              "matching.shared_ids[%zu]: expected an attribute name", i);
        snprintf(m->shared_ids[i], sizeof m->shared_ids[i], "%s", json_string_value(x));
    }
    m->nshared_ids = (int)json_array_size(v);
    return AU_OK;
}

static const char *const generic_cols[5] = {NULL, "email", "phone", "national_id", "address"};

static au_rc generic_list(au_model *m, const json_t *v, int never, au_err *err)
{
    size_t i;
    json_t *x;
    const char *name = never ? "never" : "always";
    if (!json_is_array(v))
        return au_err_set(err, AU_ERR_INVALID, "matching.generic.%s: expected an array", name);
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x) || json_string_length(x) == 0 ||
            json_string_length(x) >= AU_GENERIC_VALUE_MAX)
            return au_err_set(err, AU_ERR_INVALID,
                              "matching.generic.%s[%zu]: expected a value of 1 to %d bytes", name,
                              i, AU_GENERIC_VALUE_MAX - 1);
        if (m->ngeneric >= AU_MAX_GENERIC_VALUES)
            return au_err_set(err, AU_ERR_INVALID,
                              "matching.generic: at most %d values in never and always",
                              AU_MAX_GENERIC_VALUES);
        snprintf(m->generic_values[m->ngeneric], AU_GENERIC_VALUE_MAX, "%s", json_string_value(x));
        m->generic_never[m->ngeneric++] = (unsigned char)never;
    }
    return AU_OK;
}

static au_rc generic_people(au_model *m, const json_t *v, au_err *err)
{
    const char *k;
    json_t *x;
    if (!json_is_object(v))
        return au_err_set(err, AU_ERR_INVALID, "matching.generic.min_people: expected an object");
    json_object_foreach((json_t *)v, k, x)
    {
        int c = 1;
        while (c < 5 && strcmp(generic_cols[c], k) != 0)
            c++;
        if (c == 5)
            return au_err_set(err, AU_ERR_INVALID,
                              "matching.generic.min_people: unknown column '%s' (email, phone, "
                              "national_id, address)",
                              k);
        if (!json_is_integer(x) || json_integer_value(x) < 2 || json_integer_value(x) > 64)
            return au_err_set(err, AU_ERR_INVALID,
                              "matching.generic.min_people.%s: expected an integer 2..64", k);
        m->generic_min_people[c] = (int)json_integer_value(x);
    }
    return AU_OK;
}

/* generic: {never: [...], always: [...], min_people: {column: n}}; the lists replace the
 * current ones. */
static au_rc generic_from_json(au_model *m, const json_t *v, au_err *err)
{
    const char *k;
    json_t *x;
    au_rc rc = AU_OK;
    if (!json_is_object(v))
        return au_err_set(err, AU_ERR_INVALID, "matching.generic: expected an object");
    if (json_object_get(v, "never") || json_object_get(v, "always"))
        m->ngeneric = 0;
    json_object_foreach((json_t *)v, k, x)
    {
        if (strcmp(k, "never") == 0 || strcmp(k, "always") == 0)
            rc = generic_list(m, x, k[0] == 'n', err);
        else if (strcmp(k, "min_people") == 0)
            rc = generic_people(m, x, err);
        else
            rc = au_err_set(err, AU_ERR_INVALID, "matching.generic: unknown key '%s'", k);
        if (rc)
            return rc;
    }
    return AU_OK;
}

static json_t *generic_to_json(const au_model *m)
{
    json_t *o = json_object(), *never = json_array(), *always = json_array(),
           *people = json_object();
    for (int i = 0; i < m->ngeneric; i++)
        json_array_append_new(m->generic_never[i] ? never : always,
                              json_string(m->generic_values[i]));
    for (int c = 1; c < 5; c++)
        json_object_set_new(people, generic_cols[c], json_integer(m->generic_min_people[c]));
    json_object_set_new(o, "never", never);
    json_object_set_new(o, "always", always);
    json_object_set_new(o, "min_people", people);
    return o;
}

/* The keys au_model_from_json reads, for the message about any other. */
#define MATCHING_KEYS                                                                              \
    "prior, prior_per_record, prior_min_records, match_weight, possible_weight, family_cap, "      \
    "location_cap, tf_max, tf_min_records, conflict_max_edits, block_cap, cluster_check_max, "     \
    "join_mean_weight, join_min_weight, quarantine_factor, negative_weight, generic, shared_ids, " \
    "rules, columns, prior_weight"

/* "unknown column 'x' (valid columns: a, b, ...)" from the column table. */
static au_rc unknown_column(const char *cn, au_err *err)
{
    char list[256];
    size_t pos = 0;
    for (int c = 0; c < AU_COL_COUNT && pos < sizeof list; c++)
        pos += (size_t)snprintf(list + pos, sizeof list - pos, "%s%s", c ? ", " : "", defs[c].name);
    return au_err_set(err, AU_ERR_INVALID,
                      "matching.columns.%s: unknown column (valid columns: %s)", cn, list);
}

au_rc au_model_from_json(au_model *m, const json_t *doc, au_err *err)
{
    au_rc rc = AU_OK;
    const char *k;
    json_t *v;
    double d;
    if (!doc)
        return AU_OK;
    if (!json_is_object(doc))
        return au_err_set(err, AU_ERR_INVALID, "matching: expected an object");
    json_object_foreach((json_t *)doc, k, v)
    {
        if (strcmp(k, "prior") == 0) {
            rc = num(v, k, 0, 0.5, &m->prior, err);
        } else if (strcmp(k, "prior_per_record") == 0) {
            rc = num(v, k, 1e-6, 1e6, &m->prior_per_record, err);
        } else if (strcmp(k, "prior_min_records") == 0) {
            rc = num(v, k, 1, 1e12, &d, err);
            m->prior_min_records = (long)d;
        } else if (strcmp(k, "match_weight") == 0) {
            rc = num(v, k, -100, 100, &m->match_weight, err);
        } else if (strcmp(k, "possible_weight") == 0) {
            rc = num(v, k, -100, 100, &m->possible_weight, err);
        } else if (strcmp(k, "family_cap") == 0) {
            rc = num(v, k, 0, 100, &m->family_cap, err);
        } else if (strcmp(k, "location_cap") == 0) {
            rc = num(v, k, 0, 100, &m->location_cap, err);
        } else if (strcmp(k, "tf_max") == 0) {
            rc = num(v, k, 0, 20, &m->tf_max, err);
        } else if (strcmp(k, "tf_min_records") == 0) {
            rc = num(v, k, 0, 1e12, &d, err);
            m->tf_min_records = (long)d;
        } else if (strcmp(k, "conflict_max_edits") == 0) {
            rc = num(v, k, 0, 10, &d, err);
            m->conflict_max_edits = (int)d;
        } else if (strcmp(k, "block_cap") == 0) {
            rc = num(v, k, 2, 1e6, &d, err);
            m->block_cap = (int)d;
        } else if (strcmp(k, "cluster_check_max") == 0) {
            rc = num(v, k, 1, 1e4, &d, err);
            m->cluster_check_max = (int)d;
        } else if (strcmp(k, "join_mean_weight") == 0) {
            rc = num(v, k, -100, 100, &m->join_mean_weight, err);
        } else if (strcmp(k, "join_min_weight") == 0) {
            rc = num(v, k, -100, 100, &m->join_min_weight, err);
        } else if (strcmp(k, "quarantine_factor") == 0) {
            rc = num(v, k, 0, 1, &m->quarantine_factor, err);
        } else if (strcmp(k, "negative_weight") == 0) {
            rc = num(v, k, 0, 100, &m->negative_weight, err);
        } else if (strcmp(k, "generic") == 0) {
            rc = generic_from_json(m, v, err);
        } else if (strcmp(k, "shared_ids") == 0) {
            rc = shared_from_json(m, v, err);
        } else if (strcmp(k, "rules") == 0) {
            rc = rules_from_json(m, v, err);
        } else if (strcmp(k, "columns") == 0) {
            const char *cn;
            json_t *cv;
            if (!json_is_object(v))
                return au_err_set(err, AU_ERR_INVALID, "matching.columns: expected an object");
            json_object_foreach(v, cn, cv)
            {
                int c = 0;
                while (c < AU_COL_COUNT && strcmp(defs[c].name, cn) != 0)
                    c++;
                if (c == AU_COL_COUNT)
                    return unknown_column(cn, err);
                if ((rc = col_from_json(&m->col[c], cn, cv, err)))
                    return rc;
            }
        } else if (strcmp(k, "prior_weight") != 0) {
            rc = au_err_set(err, AU_ERR_INVALID, "matching.%s: unknown key (valid keys: %s)", k,
                            MATCHING_KEYS);
        }
        if (rc)
            return rc;
    }
    if (m->possible_weight > m->match_weight)
        return au_err_set(err, AU_ERR_INVALID,
                          "matching.possible_weight must not exceed matching.match_weight");
    au_model_refresh(m);
    return AU_OK;
}

json_t *au_model_to_json(const au_model *m)
{
    json_t *doc = json_object(), *cols = json_object(), *rules = json_array();
    if (!doc || !cols || !rules)
        goto fail;
    json_object_set_new(doc, "prior", json_real(m->prior));
    json_object_set_new(doc, "prior_per_record", json_real(m->prior_per_record));
    json_object_set_new(doc, "prior_min_records", json_integer(m->prior_min_records));
    json_object_set_new(doc, "match_weight", json_real(m->match_weight));
    json_object_set_new(doc, "possible_weight", json_real(m->possible_weight));
    json_object_set_new(doc, "tf_max", json_real(m->tf_max));
    json_object_set_new(doc, "location_cap", json_real(m->location_cap));
    json_object_set_new(doc, "family_cap", json_real(m->family_cap));
    json_object_set_new(doc, "tf_min_records", json_integer(m->tf_min_records));
    json_object_set_new(doc, "conflict_max_edits", json_integer(m->conflict_max_edits));
    json_object_set_new(doc, "block_cap", json_integer(m->block_cap));
    json_object_set_new(doc, "cluster_check_max", json_integer(m->cluster_check_max));
    json_object_set_new(doc, "join_mean_weight", json_real(m->join_mean_weight));
    json_object_set_new(doc, "join_min_weight", json_real(m->join_min_weight));
    json_object_set_new(doc, "quarantine_factor", json_real(m->quarantine_factor));
    json_object_set_new(doc, "negative_weight", json_real(m->negative_weight));
    json_object_set_new(doc, "generic", generic_to_json(m));
    for (size_t r = 0; r < NRULES; r++)
        if (m->rules & rule_names[r].bit)
            json_array_append_new(rules, json_string(rule_names[r].name));
    json_object_set_new(doc, "rules", rules);
    json_t *shared = json_array();
    for (int i = 0; i < m->nshared_ids; i++)
        json_array_append_new(shared, json_string(m->shared_ids[i]));
    json_object_set_new(doc, "shared_ids", shared);
    rules = NULL;
    for (int c = 0; c < AU_COL_COUNT; c++) {
        const au_model_col *col = &m->col[c];
        json_t *o = json_object(), *lv = json_array(), *mm = json_array(), *uu = json_array(),
               *ww = json_array();
        for (int l = 0; l < col->nlevels; l++) {
            json_array_append_new(lv, json_string(defs[c].labels[l]));
            json_array_append_new(mm, json_real(col->m[l]));
            json_array_append_new(uu, json_real(col->u[l]));
            json_array_append_new(ww, json_real(col->w[l]));
        }
        json_object_set_new(o, "enabled", json_boolean(col->enabled));
        json_object_set_new(o, "tf", json_boolean(col->tf));
        json_object_set_new(o, "levels", lv);
        json_object_set_new(o, "m", mm);
        json_object_set_new(o, "u", uu);
        json_object_set_new(o, "weights", ww);
        json_object_set_new(cols, defs[c].name, o);
    }
    json_object_set_new(doc, "columns", cols);
    return doc;
fail:
    json_decref(doc);
    json_decref(cols);
    json_decref(rules);
    return NULL;
}
