/*
 * Unit tests for incremental resolution: joining, the chaining guard, strong-identifier
 * conflicts, re-evaluation on update and delete, stable profile numbers, manual overrides,
 * restore from persisted state and explanations. Records are built directly with their
 * comparison keys (what normalisation would produce).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/alloc.h"
#include "resolve/resolve.h"

typedef struct person {
    const char *first, *last, *dob, *city, *email, *phone, *nid;
} person;

static au_record *mk(person p)
{
    au_record *r = au_record_new();
    const char *v[] = {p.first, p.last, p.dob, p.city, p.email, p.phone, p.nid};
    au_attr a[] = {AU_ATTR_FIRST_NAME, AU_ATTR_LAST_NAME, AU_ATTR_DATE_OF_BIRTH, AU_ATTR_CITY,
                   AU_ATTR_EMAIL,      AU_ATTR_PHONE,     AU_ATTR_NATIONAL_ID};
    for (int i = 0; i < 7; i++)
        if (v[i])
            au_record_set(r, a[i], au_strdup(v[i]), au_strdup(v[i]), au_strdup(v[i]));
    return r;
}

static au_resolver *res;
static au_resolve_changes ch;

static void setup(void)
{
    au_model m;
    au_model_default(&m);
    cr_assert_eq(au_resolver_new(&m, &res), AU_OK);
    au_resolve_changes_init(&ch);
}

static void teardown(void)
{
    au_resolver_free(res);
    au_resolve_changes_cleanup(&ch);
}

static void add(uint32_t no, person p)
{
    au_record *r = mk(p);
    cr_assert_eq(au_resolver_add(res, no, r, &ch), AU_OK);
    au_record_free(r);
}

static void update(uint32_t no, person p)
{
    au_record *r = mk(p);
    cr_assert_eq(au_resolver_update(res, no, r, &ch), AU_OK);
    au_record_free(r);
}

#define P(no) au_resolver_profile_of(res, no)

static const person john = {"john", "smith", "1980-01-01", "london", "john@example.com",
                            NULL,   NULL};
static const person mary = {"mary", "jones", "1955-05-05", "leeds", "mary@example.org", NULL, NULL};

TestSuite(resolve, .init = setup, .fini = teardown);

Test(resolve, duplicates_join_and_strangers_do_not)
{
    add(1, john);
    add(2, (person){"jon", "smyth", "1980-01-01", "london", NULL, NULL, NULL});
    add(3, mary);
    add(4, (person){"robert", "smith", "1980-01-01", "york", "rob@smith.net", NULL, NULL});
    cr_assert_neq(P(1), 0);
    cr_assert_eq(P(1), P(2), "typo'd name, same birth date and city");
    cr_assert_neq(P(1), P(3));
    cr_assert_neq(P(1), P(4), "another given name is another person");
    cr_assert_eq(au_resolver_profile_count(res), 3);
    cr_assert_eq(au_resolver_record_count(res), 4);
}

Test(resolve, nicknames_and_swapped_names_match)
{
    add(1, (person){"robert", "kowalski", "1971-06-24", NULL, NULL, NULL, NULL});
    add(2, (person){"bob", "kowalski", "1971-06-24", NULL, NULL, NULL, NULL});
    add(3, (person){"kowalski", "robert", "1971-06-24", NULL, NULL, NULL, NULL});
    cr_assert_eq(P(1), P(2));
    cr_assert_eq(P(1), P(3));
}

Test(resolve, new_record_reports_its_move)
{
    add(1, john);
    cr_assert_eq(ch.nmoves, 1);
    cr_assert_eq(ch.moves[0].record_no, 1);
    cr_assert_eq(ch.moves[0].old_profile, 0);
    cr_assert_eq(ch.moves[0].new_profile, P(1));
    cr_assert_eq(au_resolver_add(res, 1, NULL, NULL), AU_ERR_CONFLICT, "record numbers are unique");
}

/* A and C share nothing; B carries A's e-mail and C's phone. */
static const person bridge = {NULL, NULL, NULL, NULL, "john@example.com", "+447700900001", NULL};
static const person mary_phone = {
    "mary", "jones", "1955-05-05", "leeds", "mary@example.org", "+447700900001", NULL};

Test(resolve, chaining_guard_keeps_a_and_c_apart)
{
    add(1, john);
    add(2, bridge);
    cr_assert_eq(P(1), P(2), "A~B by the e-mail rule");
    add(3, mary_phone);
    json_t *bc = au_resolver_explain_pair(res, 2, 3);
    cr_assert_str_eq(json_string_value(json_object_get(bc, "rule")), "same_phone");
    json_decref(bc);
    cr_assert_neq(P(3), P(1), "B~C alone must not pull C into A's profile");
}

Test(resolve, bridge_does_not_merge_two_clearly_different_profiles)
{
    add(1, john);
    add(3, mary_phone);
    cr_assert_neq(P(1), P(3));
    add(2, bridge);
    cr_assert_neq(P(1), P(3));
    cr_assert(P(2) == P(1) || P(2) == P(3));
}

Test(resolve, new_evidence_merges_profiles_and_the_vanished_id_redirects)
{
    add(1, (person){"anna", "berg", "1990-02-03", NULL, NULL, NULL, NULL});
    add(2, (person){"anna", "berg", NULL, "oslo", "anna@berg.no", NULL, NULL});
    add(3, (person){"anna", "berg", "1990-02-03", NULL, "anna@berg.no", NULL, NULL});
    cr_assert_eq(P(1), P(2));
    cr_assert_eq(P(2), P(3));
    int redirected = 0;
    for (size_t i = 0; i < ch.nredirects; i++) {
        cr_assert_eq(ch.redirects[i].into, P(1));
        cr_assert_eq(au_resolver_profile_resolve(res, ch.redirects[i].from), P(1));
        redirected = 1;
    }
    if (P(1) != 1 || au_resolver_profile_count(res) != 1)
        cr_assert(redirected);
    cr_assert_eq(au_resolver_profile_count(res), 1);
}

Test(resolve, conflicting_national_ids_never_merge)
{
    person a = john, b = john;
    a.nid = "518234976"; /* not 123456789: that is a known placeholder, no evidence */
    b.nid = "529871340";
    add(1, a);
    add(2, b);
    cr_assert_neq(P(1), P(2), "everything else agrees, the national ids do not");
    json_t *x = au_resolver_explain_pair(res, 1, 2);
    cr_assert(json_is_true(json_object_get(x, "conflict")));
    cr_assert_str_eq(json_string_value(json_object_get(x, "decision")), "non_match");
    json_decref(x);
    person c = john;
    c.nid = "518234967"; /* a typo of a's id (one transposition) is not a conflict */
    add(3, c);
    cr_assert_eq(P(3), P(1));
}

Test(resolve, same_national_id_links_despite_other_differences)
{
    person a = john, b = {"j", "smith-jones", NULL, "paris", NULL, NULL, "AB123456"};
    a.nid = "AB123456";
    add(1, a);
    add(2, b);
    cr_assert_eq(P(1), P(2));
}

Test(resolve, update_splits_when_links_no_longer_hold_and_the_larger_part_keeps_the_id)
{
    /* 1 is linked to 2 and 3 only through its e-mail; 2 and 3 are the same person. */
    add(1, (person){"eva", NULL, NULL, NULL, "eva@x.se", NULL, NULL});
    add(2, (person){"eva", "lind", "1970-03-04", "malmo", "eva@x.se", NULL, NULL});
    add(3, (person){"eva", "lind", "1970-03-04", "malmo", NULL, NULL, NULL});
    uint32_t p = P(1);
    cr_assert_eq(P(2), p);
    cr_assert_eq(P(3), p);
    au_resolve_changes_reset(&ch);
    update(1, (person){"eva", NULL, NULL, NULL, "eva.other@y.se", NULL, NULL});
    cr_assert_eq(P(2), p, "the larger part keeps the profile number");
    cr_assert_eq(P(3), p);
    cr_assert_neq(P(1), p);
    cr_assert_eq(ch.nmoves, 1);
    cr_assert_eq(ch.moves[0].record_no, 1);
    cr_assert_eq(ch.moves[0].old_profile, p);
    cr_assert_eq(ch.moves[0].new_profile, P(1));
}

Test(resolve, split_into_equal_parts_keeps_the_id_with_the_oldest_record)
{
    add(1, (person){"eva", "lind", "1970-03-04", NULL, "eva@x.se", NULL, NULL});
    add(2, (person){"eva", NULL, NULL, "malmo", "eva@x.se", NULL, NULL});
    uint32_t p = P(1);
    cr_assert_eq(P(2), p);
    update(1, (person){"eva", "lind", "1970-03-04", NULL, "lind.e@other.se", NULL, NULL});
    cr_assert_eq(P(1), p, "record 1 is older: its part keeps the id");
    cr_assert_neq(P(2), p);
}

Test(resolve, updating_a_single_record_profile_keeps_its_id)
{
    add(1, john);
    uint32_t p = P(1);
    person j2 = john;
    j2.city = "manchester";
    au_resolve_changes_reset(&ch);
    update(1, j2);
    cr_assert_eq(P(1), p);
    cr_assert_eq(ch.nmoves, 0, "nothing moved");
    cr_assert_eq(ch.nredirects, 0);
}

Test(resolve, removing_the_bridge_splits_the_profile)
{
    add(1, (person){"eva", "lind", NULL, NULL, "eva@x.se", NULL, NULL});
    add(2, (person){"eva", NULL, NULL, NULL, "eva@x.se", "+46701234567", NULL});
    add(3, (person){"eva", "lindqvist", NULL, NULL, NULL, "+46701234567", NULL});
    uint32_t p = P(1);
    cr_assert_eq(P(2), p);
    cr_assert_eq(P(3), p);
    cr_assert_eq(au_resolver_remove(res, 2, &ch), AU_OK);
    cr_assert_eq(P(2), 0);
    cr_assert_neq(P(1), P(3));
    cr_assert(P(1) == p || P(3) == p);
    cr_assert_eq(au_resolver_remove(res, 2, &ch), AU_ERR_NOT_FOUND);
}

Test(resolve, removing_the_last_record_vanishes_the_profile)
{
    add(1, john);
    uint32_t p = P(1);
    au_resolve_changes_reset(&ch);
    cr_assert_eq(au_resolver_remove(res, 1, &ch), AU_OK);
    cr_assert_eq(ch.nredirects, 1);
    cr_assert_eq(ch.redirects[0].from, p);
    cr_assert_eq(ch.redirects[0].into, 0);
    cr_assert_eq(au_resolver_profile_count(res), 0);
}

Test(resolve, must_link_override_wins_and_survives_re_evaluation)
{
    add(1, john);
    add(2, mary);
    cr_assert_neq(P(1), P(2));
    cr_assert_eq(au_resolver_override(res, 1, 2, AU_LINK_MUST, &ch), AU_OK);
    cr_assert_eq(P(1), P(2));
    add(3, john);
    cr_assert_eq(P(3), P(1));
    /* An update triggers re-evaluation of the profile; the decision still holds. */
    person m2 = mary;
    m2.city = "york";
    update(2, m2);
    cr_assert_eq(P(2), P(1));
}

Test(resolve, cannot_link_override_splits_and_survives_updates)
{
    add(1, john);
    add(2, john);
    cr_assert_eq(P(1), P(2));
    cr_assert_eq(au_resolver_override(res, 1, 2, AU_LINK_CANNOT, &ch), AU_OK);
    cr_assert_neq(P(1), P(2));
    person j2 = john;
    j2.city = "london";
    update(2, j2);
    cr_assert_neq(P(1), P(2), "the model still says match; the decision wins");
    add(3, john);
    cr_assert(P(3) == P(1) || P(3) == P(2));
    cr_assert_eq(au_resolver_override(res, 1, 2, AU_LINK_NONE, &ch), AU_OK);
}

Test(resolve, cannot_links_between_two_profiles_are_listed_for_a_merge)
{
    add(1, john);
    add(2, john);
    add(3, mary);
    cr_assert_eq(au_resolver_override(res, 1, 2, AU_LINK_CANNOT, &ch), AU_OK);
    cr_assert_eq(au_resolver_override(res, 2, 3, AU_LINK_CANNOT, &ch), AU_OK);
    uint32_t *pairs = NULL;
    size_t n = 0;
    cr_assert_eq(au_resolver_cannot_links(res, P(1), P(2), &pairs, &n), AU_OK);
    cr_assert_eq(n, 1, "only the pair across these two profiles");
    cr_assert((pairs[0] == 1 && pairs[1] == 2) || (pairs[0] == 2 && pairs[1] == 1));
    au_free(pairs);
    cr_assert_eq(au_resolver_cannot_links(res, P(1), P(3), &pairs, &n), AU_OK);
    cr_assert_eq(n, 0);
    cr_assert_null(pairs);
}

Test(resolve, restore_takes_the_persisted_clustering_as_is)
{
    au_record *a = mk(john), *b = mk(john);
    cr_assert_eq(au_resolver_restore(res, 1, a, 7), AU_OK);
    cr_assert_eq(au_resolver_restore(res, 2, b, 9), AU_OK, "a persisted decision is not redone");
    cr_assert_eq(au_resolver_restore_override(res, 1, 2, AU_LINK_CANNOT), AU_OK);
    cr_assert_eq(P(1), 7);
    cr_assert_eq(P(2), 9);
    add(3, mary);
    cr_assert_eq(P(3), 10, "new profiles are numbered after the restored ones");
    add(4, john);
    cr_assert(P(4) == 7 || P(4) == 9);
    au_record_free(a);
    au_record_free(b);
}

Test(resolve, explain_lists_every_comparison)
{
    add(1, john);
    add(2, (person){"jon", "smith", "1980-01-01", "london", NULL, NULL, NULL});
    json_t *x = au_resolver_explain_pair(res, 1, 2);
    cr_assert_not_null(x);
    json_t *cmp = json_object_get(x, "comparisons");
    cr_assert_eq(json_array_size(cmp), AU_COL_COUNT);
    double sum = json_real_value(json_object_get(x, "prior_weight"));
    size_t i;
    json_t *c;
    json_array_foreach(cmp, i, c)
    {
        sum += json_real_value(json_object_get(c, "weight"));
        if (strcmp(json_string_value(json_object_get(c, "column")), "first_name") == 0)
            cr_assert_str_eq(json_string_value(json_object_get(c, "label")), "nickname");
        if (strcmp(json_string_value(json_object_get(c, "column")), "email") == 0)
            cr_assert_str_eq(json_string_value(json_object_get(c, "label")), "missing");
    }
    cr_assert_float_eq(sum, json_real_value(json_object_get(x, "total")), 1e-3);
    cr_assert_str_eq(json_string_value(json_object_get(x, "decision")), "match");
    json_decref(x);
    cr_assert_null(au_resolver_explain_pair(res, 1, 99));
    json_t *pr = au_resolver_explain_profile(res, P(1));
    cr_assert_eq(json_array_size(json_object_get(pr, "members")), 2);
    json_decref(pr);
}

Test(resolve, common_values_say_less_than_rare_ones)
{
    /* Enough records for term frequencies to apply: "smith" is common, "zyglinski" rare. */
    char first[32], dob[16];
    static const char *firsts[] = {"adam", "beth", "carl", "dora", "emil", "fred", "gina", "hugo"};
    au_model m;
    au_model_default(&m);
    m.tf_min_records = 100;
    au_resolver_free(res);
    cr_assert_eq(au_resolver_new(&m, &res), AU_OK);
    char last[32];
    for (uint32_t i = 0; i < 400; i++) {
        snprintf(first, sizeof first, "%s%u", firsts[i % 8], i);
        snprintf(last, sizeof last, "surname%u", i);
        snprintf(dob, sizeof dob, "19%02u-%02u-%02u", 20 + i % 70, 1 + i % 12, 1 + i % 28);
        add(10 + i, (person){first, i % 2 ? "smith" : last, dob, NULL, NULL, NULL, NULL});
    }
    add(1, (person){"xenia", "smith", NULL, NULL, NULL, NULL, NULL});
    add(2, (person){"yusuf", "smith", NULL, NULL, NULL, NULL, NULL});
    add(3, (person){"xenia", "zyglinski", NULL, NULL, NULL, NULL, NULL});
    add(4, (person){"yusuf", "zyglinski", NULL, NULL, NULL, NULL, NULL});
    json_t *common = au_resolver_explain_pair(res, 1, 2),
           *rare = au_resolver_explain_pair(res, 3, 4);
    json_t *cw = json_array_get(json_object_get(common, "comparisons"), 1);
    json_t *rw = json_array_get(json_object_get(rare, "comparisons"), 1);
    cr_assert_str_eq(json_string_value(json_object_get(cw, "column")), "last_name");
    cr_assert_gt(json_real_value(json_object_get(rw, "weight")),
                 json_real_value(json_object_get(cw, "weight")) + 2);
    json_decref(common);
    json_decref(rare);
}

Test(resolve, declared_shared_customer_number_links_across_sources)
{
    au_model m;
    au_model_default(&m);
    snprintf(m.shared_ids[0], sizeof m.shared_ids[0], "loyalty_no");
    m.nshared_ids = 1;
    au_resolver_free(res);
    cr_assert_eq(au_resolver_new(&m, &res), AU_OK);
    au_record *a = mk((person){"elizabeth", "taylor", NULL, "bath", NULL, NULL, NULL});
    au_record *b = mk((person){"betty", "taylor-smith", NULL, NULL, NULL, NULL, NULL});
    au_record *c = mk((person){"betty", "taylor-smith", NULL, NULL, NULL, NULL, NULL});
    a->custom = json_pack("{s:s}", "loyalty_no", "LX-1001");
    b->custom = json_pack("{s:s}", "loyalty_no", "LX-1001");
    c->custom = json_pack("{s:s}", "order_no", "LX-1001"); /* same value, other attribute */
    cr_assert_eq(au_resolver_add(res, 1, a, &ch), AU_OK);
    cr_assert_eq(au_resolver_add(res, 2, b, &ch), AU_OK);
    cr_assert_eq(au_resolver_add(res, 3, c, &ch), AU_OK);
    cr_assert_eq(P(1), P(2));
    json_t *x = au_resolver_explain_pair(res, 1, 2);
    cr_assert_str_eq(json_string_value(json_object_get(x, "rule")), "same_shared_id");
    json_decref(x);
    x = au_resolver_explain_pair(res, 1, 3);
    cr_assert(json_is_null(json_object_get(x, "rule")));
    json_decref(x);
    au_record_free(a);
    au_record_free(b);
    au_record_free(c);
}

Test(resolve, weak_pairs_are_queued_for_review_not_linked)
{
    add(1, john);
    au_resolve_changes_reset(&ch);
    add(2, (person){"john", "smith", "1955-07-09", "leeds", NULL, NULL, NULL});
    cr_assert_neq(P(1), P(2), "same name, other birth date and city: not enough");
    cr_assert_eq(ch.npossible, 1, "but worth a human look");
    cr_assert_eq(ch.possible[0].a, 1);
    cr_assert_eq(ch.possible[0].b, 2);
    cr_assert_lt(ch.possible[0].weight, au_resolver_model(res)->match_weight);
    cr_assert_geq(ch.possible[0].weight, au_resolver_model(res)->possible_weight);
}
