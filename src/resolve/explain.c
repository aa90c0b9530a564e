/*
 * Explanations of match decisions: for a pair, the deterministic rule that fired (if any), each
 * comparison's level, weight and term-frequency adjustment, and the total with its probability;
 * for a profile, each member's best link inside it. JSON, so the API returns it as is and the
 * CLI prints it as a table.
 */
#include <math.h>
#include <stddef.h>

#include "resolve/resolve_int.h"

static const char *rule_name(unsigned r)
{
    switch (r) {
    case AU_RULE_EMAIL:
        return "same_email";
    case AU_RULE_PHONE:
        return "same_phone";
    case AU_RULE_NATIONAL_ID:
        return "same_national_id";
    case AU_RULE_PASSPORT:
        return "same_passport";
    case AU_RULE_DRIVERS:
        return "same_drivers_license";
    case AU_RULE_SHARED_ID:
        return "same_shared_id";
    default:
        return NULL;
    }
}

#define DENIAL "identifier_against_given_name_and_birth_date"

/* What weighs against a link beyond the column weights, so a user sees why a pair was NOT
 * linked: [{"kind","columns"|"weight"}]. kind: generic_value (the columns' values are generic:
 * no evidence, no rule), quarantined_value (compared on digits at a lower weight), one of the
 * strong negative evidences (generational_suffix, parent_child, family_member, twins: weight
 * taken off), or denial (an identifier agrees against the given name and the birth date: no
 * link, queued for review). */
static json_t *evidence(const au_score *s)
{
    json_t *arr = json_array();
    static const struct {
        const char *kind;
        size_t off;
    } masks[] = {{"generic_value", offsetof(au_score, generic)},
                 {"quarantined_value", offsetof(au_score, quarantined)}};
    for (size_t k = 0; k < sizeof masks / sizeof masks[0]; k++) {
        unsigned m = *(const unsigned *)((const char *)s + masks[k].off);
        if (!m)
            continue;
        json_t *cols = json_array();
        for (int c = 0; c < AU_COL_COUNT; c++)
            if (m & (1u << c))
                json_array_append_new(cols, json_string(au_model_col_name((au_col)c)));
        json_array_append_new(arr, json_pack("{s:s, s:o}", "kind", masks[k].kind, "columns", cols));
    }
    for (unsigned bit = 1; bit <= AU_NEG_TWINS; bit <<= 1)
        if (s->negative & bit)
            json_array_append_new(arr, json_pack("{s:s, s:f}", "kind", au_neg_name(bit), "weight",
                                                 -(double)s->penalty));
    if (s->denied)
        json_array_append_new(arr, json_pack("{s:s, s:s}", "kind", "denial", "reason", DENIAL));
    return arr;
}

static int alive(const au_resolver *res, uint32_t r)
{
    return r < res->nf && res->f[r].alive;
}

json_t *au_resolver_explain_pair(const au_resolver *res, uint32_t a, uint32_t b)
{
    if (!alive(res, a) || !alive(res, b))
        return NULL;
    au_score s;
    double total = au_score_pair(res, &res->f[a], &res->f[b], &s);
    au_link_kind ov = au_ovr_get(&res->ovr, a, b);
    json_t *doc = json_object(), *cmp = json_array();
    if (!doc || !cmp) {
        json_decref(doc);
        json_decref(cmp);
        return NULL;
    }
    for (int c = 0; c < AU_COL_COUNT; c++) {
        json_t *o = json_object();
        json_object_set_new(o, "column", json_string(au_model_col_name((au_col)c)));
        json_object_set_new(o, "level", json_integer(s.level[c]));
        json_object_set_new(o, "label", json_string(au_model_level_label((au_col)c, s.level[c])));
        json_object_set_new(o, "weight", json_real(s.weight[c]));
        json_object_set_new(o, "tf_adjustment", json_real(s.tf[c]));
        if (s.generic & (1u << c))
            json_object_set_new(o, "generic", json_true());
        if (s.quarantined & (1u << c))
            json_object_set_new(o, "quarantined", json_true());
        json_array_append_new(cmp, o);
    }
    const char *rule = rule_name(s.rule);
    static const char *const names[] = {"non_match", "possible", "match"};
    const char *decision = names[au_score_decide(res, ov, &s, total)];
    json_object_set_new(doc, "a", json_integer(a));
    json_object_set_new(doc, "b", json_integer(b));
    json_object_set_new(doc, "rule", rule ? json_string(rule) : json_null());
    json_object_set_new(doc, "override",
                        ov == AU_LINK_MUST     ? json_string("must_link")
                        : ov == AU_LINK_CANNOT ? json_string("cannot_link")
                                               : json_null());
    json_object_set_new(doc, "conflict", json_boolean(s.conflict));
    json_object_set_new(doc, "swapped_names", json_boolean(s.swapped));
    json_object_set_new(doc, "evidence", evidence(&s));
    json_object_set_new(doc, "denied", s.denied ? json_string(DENIAL) : json_null());
    json_object_set_new(doc, "comparisons", cmp);
    json_object_set_new(doc, "prior_weight", json_real(res->prior_w));
    json_object_set_new(doc, "total", json_real(total));
    json_object_set_new(doc, "probability", json_real(1.0 / (1.0 + exp2(-total))));
    json_object_set_new(doc, "match_weight", json_real(res->model.match_weight));
    json_object_set_new(doc, "decision", json_string(decision));
    json_object_set_new(doc, "same_profile", json_boolean(res->f[a].profile == res->f[b].profile));
    return doc;
}

json_t *au_resolver_explain_profile(const au_resolver *res, uint32_t p)
{
    size_t n;
    const uint32_t *m = au_resolver_members(res, p, &n);
    if (!m)
        return NULL;
    json_t *doc = json_object(), *arr = json_array();
    json_object_set_new(doc, "profile", json_integer(p));
    for (size_t i = 0; i < n; i++) {
        double best = -INFINITY, sum = 0;
        uint32_t bj = m[i];
        for (size_t j = 0; j < n; j++) {
            if (j == i)
                continue;
            double w = au_score_pair(res, &res->f[m[i]], &res->f[m[j]], NULL);
            sum += w;
            if (w > best) {
                best = w;
                bj = m[j];
            }
        }
        json_t *o = json_object();
        json_object_set_new(o, "record", json_integer(m[i]));
        json_object_set_new(o, "mean_weight", json_real(n > 1 ? sum / (double)(n - 1) : 0));
        json_object_set_new(o, "best_link",
                            bj != m[i] ? au_resolver_explain_pair(res, m[i], bj) : json_null());
        json_array_append_new(arr, o);
    }
    json_object_set_new(doc, "members", arr);
    return doc;
}
