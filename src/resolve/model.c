/*
 * Default match model, level labels and the JSON form of the model. The default m/u values are
 * judgement for person data: m from how often a true duplicate keeps a field at each level
 * (typos, nicknames, swapped date parts), u from how often two unrelated people agree that much.
 */
#include "resolve/model.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "lib/opts.h"

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

/* The keys of matching.columns.NAME, as declared options; m and u are read below, levels and
 * weights (written by au_model_to_json for reading) are accepted and ignored. */
#define CO(f) offsetof(au_model_col, f)
static const au_opt col_opts[] = {
    AU_OPT_ROW("enabled", AU_OPT_BOOL, CO(enabled), NULL, "false: the column is ignored"),
    AU_OPT_ROW("tf", AU_OPT_BOOL, CO(tf), NULL, "term-frequency adjust the exact level"),
    AU_OPT_ROW("m", AU_OPT_MAPPING, 0, "list", "P(level | match), one probability per level",
               .flags = AU_OPT_CONSUMER),
    AU_OPT_ROW("u", AU_OPT_MAPPING, 0, "list", "P(level | non-match), one probability per level",
               .flags = AU_OPT_CONSUMER),
    AU_OPT_ROW("levels", AU_OPT_MAPPING, 0, "any", "accepted and ignored (written for reading)",
               .flags = AU_OPT_CONSUMER),
    AU_OPT_ROW("weights", AU_OPT_MAPPING, 0, "any", "accepted and ignored (written for reading)",
               .flags = AU_OPT_CONSUMER),
    {0},
};
#define NCOL_OPTS (sizeof col_opts / sizeof col_opts[0] - 1)

static au_rc col_from_json(au_model_col *col, const char *name, const json_t *v, au_err *err)
{
    char where[64];
    snprintf(where, sizeof where, "matching.columns.%s", name);
    au_rc rc = au_opts_from_json(col_opts, NCOL_OPTS, v, where, col, 0, err);
    for (int i = 0; !rc && i < 2; i++) {
        const char *k = i ? "u" : "m";
        const json_t *x = json_object_get(v, k);
        double *dst = i ? col->u : col->m;
        if (!x)
            continue;
        if (!json_is_array(x) || (int)json_array_size(x) != col->nlevels)
            return au_err_set(err, AU_ERR_INVALID,
                              "matching.columns.%s.%s: expected an array of %d probabilities", name,
                              k, col->nlevels);
        for (int l = 0; l < col->nlevels; l++) {
            json_t *p = json_array_get(x, (size_t)l);
            if (!json_is_number(p) || json_number_value(p) < 0 || json_number_value(p) > 1)
                return au_err_set(err, AU_ERR_INVALID,
                                  "matching.columns.%s.%s[%d]: expected a probability 0..1", name,
                                  k, l);
            dst[l] = json_number_value(p);
        }
    }
    return rc;
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
/* The keys of matching.generic (names only: their values are read below). */
static const au_opt generic_opts[] = {
    AU_OPT_ROW("never", AU_OPT_MAPPING, 0, "list", "comparison keys never treated as generic",
               .flags = AU_OPT_CONSUMER),
    AU_OPT_ROW("always", AU_OPT_MAPPING, 0, "list", "comparison keys always treated as generic",
               .flags = AU_OPT_CONSUMER),
    AU_OPT_ROW("min_people", AU_OPT_MAPPING, 0, NULL,
               "column -> clearly different people holding one value that make it generic",
               .flags = AU_OPT_CONSUMER),
    {0},
};
#define NGENERIC_OPTS (sizeof generic_opts / sizeof generic_opts[0] - 1)

static au_rc generic_from_json(au_model *m, const json_t *v, au_err *err)
{
    const char *k;
    json_t *x;
    au_rc rc = AU_OK;
    if ((rc = au_opts_from_json(generic_opts, NGENERIC_OPTS, v, "matching.generic", NULL, 0, err)))
        return rc;
    if (json_object_get(v, "never") || json_object_get(v, "always"))
        m->ngeneric = 0;
    json_object_foreach((json_t *)v, k, x)
    {
        if (strcmp(k, "never") == 0 || strcmp(k, "always") == 0)
            rc = generic_list(m, x, k[0] == 'n', err);
        else
            rc = generic_people(m, x, err);
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

/* The keys of matching:, as declared options: au_opts_from_json checks names, kinds and bounds
 * and stores the scalars straight into the model (absent keys keep au_model_default's values);
 * generic, shared_ids, rules and columns are read below. docs/CONFIG.md prints the rows. */
#define MO(f) offsetof(au_model, f)
#define NUM(name_, f, lo_, hi_, help_)                                                             \
    AU_OPT_ROW(name_, AU_OPT_DOUBLE, MO(f), "N", help_, .lo = (lo_), .hi = (hi_))
#define INT(name_, f, min_, max_, help_, ...)                                                      \
    AU_OPT_ROW(name_, AU_OPT_INT, MO(f), "N", help_, .min = (min_), .max = (max_), __VA_ARGS__)
#define OWN(name_, arg_, help_)                                                                    \
    AU_OPT_ROW(name_, AU_OPT_MAPPING, 0, arg_, help_, .flags = AU_OPT_CONSUMER)
static const au_opt matching_opts[] = {
    NUM("prior", prior, 0, 0.5, "P(match) of two records before comparing them; 0: derived"),
    NUM("prior_per_record", prior_per_record, 1e-6, 1e6,
        "when prior is 0: expected true partners of a record (prior = this / records)"),
    INT("prior_min_records", prior_min_records, 1, 1000000000000L,
        "floor on the record count of the derived prior"),
    NUM("match_weight", match_weight, -100, 100,
        "total weight (bits) at or above which a pair "
        "is a match"),
    NUM("possible_weight", possible_weight, -100, 100,
        "at or above (and below match_weight): queued for review"),
    NUM("family_cap", family_cap, 0, 100,
        "most positive weight attributes a family shares add when given names clearly differ"),
    NUM("location_cap", location_cap, 0, 100,
        "most positive weight address, city and postcode add together"),
    NUM("tf_max", tf_max, 0, 20, "bound on the term-frequency adjustment, bits"),
    INT("tf_min_records", tf_min_records, 0, 1000000000000L,
        "column values seen before the term-frequency adjustment starts"),
    INT("conflict_max_edits", conflict_max_edits, 0, 10,
        "strong ids further apart than this many edits never merge", .flags = AU_OPT_INT_FIELD),
    INT("block_cap", block_cap, 2, 1000000, "blocks larger than this are not used for candidates",
        .flags = AU_OPT_INT_FIELD),
    INT("cluster_check_max", cluster_check_max, 1, 10000,
        "cluster members a joining record is compared with", .flags = AU_OPT_INT_FIELD),
    INT("settle", settle, 0, 1,
        "1: after each write job the link components it touched are clustered again in an "
        "order of their own, so the clusters do not depend on the order records came in",
        .flags = AU_OPT_INT_FIELD),
    NUM("join_mean_weight", join_mean_weight, -100, 100,
        "mean weight a record needs over a cluster's members to join"),
    NUM("join_min_weight", join_min_weight, -100, 100,
        "no member may score below this with a joining record"),
    NUM("quarantine_factor", quarantine_factor, 0, 1,
        "a value normalisation refused compares on its digits, its weight times this"),
    NUM("negative_weight", negative_weight, 0, 100,
        "taken off a pair showing strong negative evidence (suffixes, parent and child, twins)"),
    OWN("generic", NULL,
        "{never: [...], always: [...], min_people: {column: N}}: values too "
        "common to identify a person"),
    OWN("shared_ids", "list",
        "custom attributes holding a cross-source customer number (at "
        "most 4)"),
    OWN("rules", "list", "the deterministic rules enabled (email, phone, national_id, ...)"),
    OWN("columns", NULL, "column -> {enabled, tf, m, u}: a comparison column's own settings"),
    OWN("prior_weight", "any", "accepted and ignored"),
    {0},
};
#define NMATCHING_OPTS (sizeof matching_opts / sizeof matching_opts[0] - 1)

/* The rows with their defaults taken from au_model_default, so the reference shows the values
 * the model really starts from rather than a second copy of them. */
au_rc au_model_options_markdown(au_buf *out)
{
    au_opt rows[NMATCHING_OPTS + 1];
    char dtext[NMATCHING_OPTS][32];
    au_model d;
    au_model_default(&d);
    memcpy(rows, matching_opts, sizeof rows);
    for (size_t i = 0; i < NMATCHING_OPTS; i++) {
        const char *field = (const char *)&d + rows[i].offset;
        if (rows[i].type == AU_OPT_DOUBLE)
            snprintf(dtext[i], sizeof dtext[i], "%g", *(const double *)field);
        else if (rows[i].type == AU_OPT_INT && (rows[i].flags & AU_OPT_INT_FIELD))
            snprintf(dtext[i], sizeof dtext[i], "%d", *(const int *)field);
        else if (rows[i].type == AU_OPT_INT)
            snprintf(dtext[i], sizeof dtext[i], "%ld", *(const long *)field);
        else
            continue;
        rows[i].def = dtext[i];
    }
    au_rc rc = au_opts_markdown(rows, NMATCHING_OPTS, out);
    if (!rc)
        rc = au_buf_printf(out, "\nAn entry of `columns`:\n\n");
    if (!rc)
        rc = au_opts_markdown(col_opts, NCOL_OPTS, out);
    if (!rc)
        rc = au_buf_printf(out, "\n`generic`:\n\n");
    return rc ? rc : au_opts_markdown(generic_opts, NGENERIC_OPTS, out);
}

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
    json_t *v, *cv;
    if (!doc)
        return AU_OK;
    if (!json_is_object(doc))
        return au_err_set(err, AU_ERR_INVALID, "matching: expected an object");
    if ((rc = au_opts_from_json(matching_opts, NMATCHING_OPTS, doc, "matching", m, 0, err)))
        return rc;
    if ((v = json_object_get(doc, "generic")) && (rc = generic_from_json(m, v, err)))
        return rc;
    if ((v = json_object_get(doc, "shared_ids")) && (rc = shared_from_json(m, v, err)))
        return rc;
    if ((v = json_object_get(doc, "rules")) && (rc = rules_from_json(m, v, err)))
        return rc;
    if ((v = json_object_get(doc, "columns")) && !json_is_object(v))
        return au_err_set(err, AU_ERR_INVALID, "matching.columns: expected an object");
    json_object_foreach(v, k, cv)
    {
        int c = 0;
        while (c < AU_COL_COUNT && strcmp(defs[c].name, k) != 0)
            c++;
        if (c == AU_COL_COUNT)
            return unknown_column(k, err);
        if ((rc = col_from_json(&m->col[c], k, cv, err)))
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
    json_object_set_new(doc, "settle", json_integer(m->settle));
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
