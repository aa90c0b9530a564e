/*
 * Generic values: known placeholders and values held by several clearly different people stop
 * being evidence, rules and blocking keys; detection is incremental (a profile that rested on
 * a value is re-evaluated the moment the value becomes generic); the list is available; the
 * configuration overrides both ways. Also the digit readers of quarantined values.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "resolve/resolve.h"
#include "resolve/resolve_int.h"

static au_resolver *res;
static au_resolve_changes ch;

static void start(const char *matching_json)
{
    au_model m;
    au_err err;
    au_err_init(&err);
    au_model_default(&m);
    if (matching_json) {
        json_t *doc = json_loads(matching_json, 0, NULL);
        cr_assert_not_null(doc);
        cr_assert_eq(au_model_from_json(&m, doc, &err), AU_OK, "%s", err.message);
        json_decref(doc);
    }
    au_resolver_free(res);
    cr_assert_eq(au_resolver_new(&m, &res), AU_OK);
}

static void setup(void)
{
    res = NULL;
    start(NULL);
    au_resolve_changes_init(&ch);
}

static void teardown(void)
{
    au_resolver_free(res);
    au_resolve_changes_cleanup(&ch);
}

TestSuite(generic, .init = setup, .fini = teardown);

/* A record from "attr=key|..." (comparison keys). */
static au_record *mk(const char *spec)
{
    au_record *r = au_record_new();
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *f = strtok_r(buf, "|", &save); f; f = strtok_r(NULL, "|", &save)) {
        char *eq = strchr(f, '=');
        cr_assert_not_null(eq);
        *eq = '\0';
        int a = au_attr_from_name(f);
        cr_assert_geq(a, 0, "unknown attribute %s", f);
        au_record_set(r, (au_attr)a, au_strdup(eq + 1), au_strdup(eq + 1), au_strdup(eq + 1));
    }
    return r;
}

static void add(uint32_t no, const char *spec)
{
    au_record *r = mk(spec);
    cr_assert_eq(au_resolver_add(res, no, r, &ch), AU_OK);
    au_record_free(r);
}

#define P(no) au_resolver_profile_of(res, no)

/* The listed entry of `value`, or NULL. Borrowed from doc. */
static json_t *listed(json_t *doc, const char *value)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "values"), i, v)
    {
        if (strcmp(json_string_value(json_object_get(v, "value")), value) == 0)
            return v;
    }
    return NULL;
}

Test(generic, placeholders_are_recognised_and_real_values_are_not)
{
    static const struct {
        au_gcol col;
        const char *value;
        int generic;
    } cases[] = {
        {AU_GCOL_NATIONAL_ID, "000000000", 1}, /* 000-00-0000 */
        {AU_GCOL_NATIONAL_ID, "123456789", 1},
        {AU_GCOL_NATIONAL_ID, "987654321", 1},
        {AU_GCOL_NATIONAL_ID, "078051120", 0}, /* well formed: only data can tell */
        {AU_GCOL_NATIONAL_ID, "518234976", 0},
        {AU_GCOL_NATIONAL_ID, "QQ123456C", 0},
        {AU_GCOL_EMAIL, "test@test.com", 1},
        {AU_GCOL_EMAIL, "noemail@gmail.com", 1},
        {AU_GCOL_EMAIL, "no.email@yahoo.com", 1},
        {AU_GCOL_EMAIL, "info@acme-widgets.co.uk", 1},
        {AU_GCOL_EMAIL, "sales@acme.com", 1},
        {AU_GCOL_EMAIL, "a@a.com", 1},
        {AU_GCOL_EMAIL, "anna.info@acme.com", 0},
        {AU_GCOL_EMAIL, "john.smith@gmail.com", 0},
        {AU_GCOL_PHONE, "+440000000000", 1},
        {AU_GCOL_PHONE, "+15555555555", 1},
        {AU_GCOL_PHONE, "+1123456789", 1},
        {AU_GCOL_PHONE, "+46701234567", 0}, /* a real mobile may end in 1234567 */
        {AU_GCOL_PHONE, "+12125550134", 0},
        {AU_GCOL_ADDRESS, "unknown", 1},
        {AU_GCOL_ADDRESS, "n/a", 1},
        {AU_GCOL_ADDRESS, "no fixed abode", 1},
        {AU_GCOL_ADDRESS, "12 oak st", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        au_intern *t = cases[i].col == AU_GCOL_ADDRESS ? &res->text : &res->ids;
        uint32_t id;
        cr_assert_eq(au_intern_get(t, cases[i].value, &id), AU_OK);
        au_gen_check(t, id, cases[i].col);
        cr_expect_eq(au_gen_is(t, id), cases[i].generic, "%s", cases[i].value);
    }
}

Test(generic, a_placeholder_is_no_evidence_no_rule_and_no_conflict)
{
    /* Control: a real shared e-mail with the same given name links by the rule. */
    add(1, "first_name=anna|email=anna.k@acme.com");
    add(2, "first_name=anna|last_name=kowalska|email=anna.k@acme.com");
    cr_assert_eq(P(1), P(2));
    /* The same with a role address: no rule, no evidence. */
    add(3, "first_name=lena|email=info@acme.com");
    add(4, "first_name=lena|last_name=berg|email=info@acme.com");
    cr_assert_neq(P(3), P(4));
    json_t *x = au_resolver_explain_pair(res, 3, 4);
    cr_assert(json_is_null(json_object_get(x, "rule")));
    json_t *e = json_array_get(json_object_get(x, "comparisons"), AU_COL_EMAIL);
    cr_assert(json_is_true(json_object_get(e, "generic")));
    cr_assert_float_eq(json_real_value(json_object_get(e, "weight")), 0, 1e-9);
    json_decref(x);
    /* A placeholder national id neither links two people nor keeps one person apart. */
    add(5, "first_name=omar|last_name=haddad|date_of_birth=1970-01-02|national_id=000000000");
    add(6, "first_name=lucy|last_name=grant|date_of_birth=1988-03-04|national_id=000000000");
    cr_assert_neq(P(5), P(6));
    add(7, "first_name=omar|last_name=haddad|date_of_birth=1970-01-02|national_id=518234976");
    cr_assert_eq(P(7), P(5), "000-00-0000 against a real id is no conflict");
}

/* Records of clearly different people (other given names and birth dates) sharing a phone. */
static const char *const strangers[] = {
    "first_name=kim|last_name=lee|date_of_birth=1970-01-01|phone=+442071234001",
    "first_name=omar|last_name=haddad|date_of_birth=1982-05-06|phone=+442071234001",
    "first_name=lucy|last_name=grant|date_of_birth=1990-11-12|phone=+442071234001",
    "first_name=ivan|last_name=petrov|date_of_birth=1961-07-08|phone=+442071234001",
};

Test(generic, a_value_held_by_many_people_becomes_generic_and_its_profiles_are_re_evaluated)
{
    add(1, strangers[0]);
    add(2, "first_name=kim|phone=+442071234001"); /* linked to 1 only by the phone rule */
    cr_assert_eq(P(1), P(2));
    add(3, strangers[1]);
    add(4, strangers[2]);
    cr_assert_eq(P(1), P(2), "three people: a household may share a phone");
    json_t *l = au_resolver_generic_list(res, 100);
    cr_assert_null(listed(l, "+442071234001"));
    json_decref(l);
    au_resolve_changes_reset(&ch);
    add(5, strangers[3]);
    cr_assert_neq(P(1), P(2), "four different people: the phone is generic, 1~2 rested on it");
    int moved = 0;
    for (size_t i = 0; i < ch.nmoves; i++)
        moved |= ch.moves[i].record_no == 1 || ch.moves[i].record_no == 2;
    cr_assert(moved, "the split is reported");
    l = au_resolver_generic_list(res, 100);
    json_t *v = listed(l, "+442071234001");
    cr_assert_not_null(v);
    cr_assert_str_eq(json_string_value(json_object_get(v, "column")), "phone");
    cr_assert_str_eq(json_string_value(json_object_get(v, "reason")), "shared_by_different_people");
    cr_assert(json_is_true(json_object_get(v, "generic")));
    cr_assert_eq(json_integer_value(json_object_get(v, "records")), 5);
    json_decref(l);
    /* No longer a blocking key: its block is gone and new holders add none. */
    uint64_t keys[AU_MAX_BKEYS], pk = au_gen_block_key(AU_GCOL_PHONE, res->f[1].phone);
    int n = au_feat_block_keys(res, &res->f[1], keys, NULL);
    for (int i = 0; i < n; i++)
        cr_assert_neq(keys[i], pk);
    const au_block *b = au_bindex_find(&res->bx, pk);
    cr_assert(!b || b->oversized || b->n == 0);
}

Test(generic, one_person_with_many_records_does_not_make_a_value_generic)
{
    add(1, "first_name=kim|last_name=lee|date_of_birth=1970-01-01|phone=+442071234001");
    add(2, "first_name=kimberly|last_name=lee|date_of_birth=1970-01-01|phone=+442071234001");
    add(3, "first_name=kim|last_name=lee|phone=+442071234001");
    add(4, "first_name=kim|last_name=lee|date_of_birth=1970-01-10|phone=+442071234001");
    add(5, "first_name=k|last_name=lee|phone=+442071234001");
    json_t *l = au_resolver_generic_list(res, 100);
    cr_assert_null(listed(l, "+442071234001"));
    json_decref(l);
    cr_assert_eq(P(1), P(5));
}

Test(generic, configured_never_keeps_a_value_and_always_makes_one_generic)
{
    start("{\"generic\": {\"never\": [\"+44 20 7123 4001\"], "
          "\"always\": [\"Shared@Acme.com\"], \"min_people\": {\"phone\": 4}}}");
    add(1, strangers[0]);
    add(2, "first_name=kim|phone=+442071234001");
    for (uint32_t i = 1; i < 4; i++)
        add(2 + i, strangers[i]);
    cr_assert_eq(P(1), P(2), "never generic: the phone still links");
    add(10, "first_name=anna|email=shared@acme.com");
    add(11, "first_name=anna|last_name=kowalska|email=shared@acme.com");
    cr_assert_neq(P(10), P(11), "always generic: the e-mail is no evidence");
    json_t *l = au_resolver_generic_list(res, 100);
    json_t *never = listed(l, "+442071234001"), *always = listed(l, "shared@acme.com");
    cr_assert_not_null(never);
    cr_assert(json_is_false(json_object_get(never, "generic")));
    cr_assert_str_eq(json_string_value(json_object_get(never, "reason")), "configured_never");
    cr_assert_not_null(always);
    cr_assert_str_eq(json_string_value(json_object_get(always, "reason")), "configured_always");
    json_decref(l);
}

Test(generic, restore_detects_generic_values_again)
{
    au_record *r[5];
    r[0] = mk("first_name=kim|phone=+442071234001");
    for (int i = 0; i < 4; i++)
        r[i + 1] = mk(strangers[i]);
    for (uint32_t i = 0; i < 5; i++)
        cr_assert_eq(au_resolver_restore(res, i + 1, r[i], i + 1), AU_OK);
    json_t *l = au_resolver_generic_list(res, 100);
    cr_assert_not_null(listed(l, "+442071234001"), "flags are rebuilt, not persisted");
    json_decref(l);
    for (int i = 0; i < 5; i++)
        au_record_free(r[i]);
    json_t *max1 = au_resolver_generic_list(res, 0);
    cr_assert_eq(json_array_size(json_object_get(max1, "values")), 0);
    cr_assert(json_is_true(json_object_get(max1, "truncated")));
    json_decref(max1);
}

Test(generic, quarantined_digits)
{
    au_date_parts d;
    cr_assert(au_gen_date_digits("1996-13-02", &d));
    cr_assert(d.y == 1996 && d.m == 13 && d.d == 2);
    cr_assert(au_gen_date_digits("19153312", &d));
    cr_assert(d.y == 1915 && d.m == 33 && d.d == 12);
    cr_assert(au_gen_date_digits("31/02/1971", &d));
    cr_assert(d.y == 1971 && d.m == 31 && d.d == 2);
    cr_assert(au_gen_date_digits("1958-03", &d), "a partial date keeps its year and month");
    cr_assert(d.y == 1958 && d.m == 3 && d.d == 0);
    cr_assert(au_gen_date_digits("1958", &d));
    cr_assert(d.y == 1958 && d.m == 0 && d.d == 0);
    cr_assert_not(au_gen_date_digits("03-58", &d), "no four-digit year");
    cr_assert_not(au_gen_date_digits("soon", &d));
    cr_assert_not(au_gen_date_digits(NULL, &d));
    char buf[32];
    cr_assert(au_gen_phone_digits("(04) 1234 5670 ext", buf, sizeof buf));
    cr_assert_str_eq(buf, "#0412345670");
    cr_assert_not(au_gen_phone_digits("12345", buf, sizeof buf), "too few digits to compare");
}
