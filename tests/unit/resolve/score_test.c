/*
 * Pair scoring on ugly real-world data, as a table of record pairs that must or must not link:
 * quarantined values (an impossible date, a malformed phone) still help at a lower weight and
 * never link alone; an identifier alone does not override a disagreeing given name and birth
 * date (the pair goes to review); strong negative evidence (generational suffixes, parent and
 * child, family members, twins) keeps people apart; and what worked before keeps working
 * (nicknames, initials, swapped names, typos). Records are built with their comparison keys
 * (what normalisation produces); a quarantined value has its raw form only.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "resolve/resolve.h"
#include "resolve/resolve_int.h"

/* A record from "attr=key|attr~raw|..." ("~": quarantined, raw form only). */
static au_record *mk(const char *spec)
{
    au_record *r = au_record_new();
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *f = strtok_r(buf, "|", &save); f; f = strtok_r(NULL, "|", &save)) {
        char *eq = strpbrk(f, "=~");
        cr_assert_not_null(eq, "bad spec field %s", f);
        int quarantined = *eq == '~';
        *eq = '\0';
        int a = au_attr_from_name(f);
        cr_assert_geq(a, 0, "unknown attribute %s", f);
        if (quarantined)
            au_record_set(r, (au_attr)a, au_strdup(eq + 1), NULL, NULL);
        else
            au_record_set(r, (au_attr)a, au_strdup(eq + 1), au_strdup(eq + 1), au_strdup(eq + 1));
    }
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

TestSuite(score, .init = setup, .fini = teardown);

static void add(uint32_t no, const char *spec)
{
    au_record *r = mk(spec);
    cr_assert_eq(au_resolver_add(res, no, r, &ch), AU_OK);
    au_record_free(r);
}

#define P(no) au_resolver_profile_of(res, no)

/* The comparison object of column `col` in an explanation. */
static json_t *column(json_t *x, const char *col)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(x, "comparisons"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "column")), col) == 0)
            return c;
    }
    cr_assert_fail("no column %s", col);
    return NULL;
}

/* Whether the explanation lists evidence of this kind. */
static int has_evidence(json_t *x, const char *kind)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(x, "evidence"), i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "kind")), kind) == 0)
            return 1;
    }
    return 0;
}

typedef struct pair_case {
    const char *name, *a, *b;
    int link;             /* 1 must link, 0 must not */
    const char *evidence; /* kind the explanation must show, or NULL */
} pair_case;

#define HOME      "|address_line1=12 oak st|city=springfield|postcode=62704"
#define HOME_SW10 "|address_line1=2 canal cres|city=london|postcode=SW108GU"

static const pair_case cases[] = {
    /* what worked before keeps working */
    {"nickname", "first_name=robert|last_name=kowalski|date_of_birth=1971-06-24",
     "first_name=bob|last_name=kowalski|date_of_birth=1971-06-24", 1, NULL},
    {"nickname robbie", "first_name=robbie|last_name=kowalski|date_of_birth=1971-06-24" HOME,
     "first_name=robert|last_name=kowalski|date_of_birth=1971-06-24", 1, NULL},
    {"initial", "first_name=j|last_name=kowalski|date_of_birth=1971-06-24" HOME,
     "first_name=jan|last_name=kowalski|date_of_birth=1971-06-24" HOME, 1, NULL},
    {"swapped names", "first_name=kowalski|last_name=robert|date_of_birth=1971-06-24",
     "first_name=robert|last_name=kowalski|date_of_birth=1971-06-24", 1, NULL},
    {"typos", "first_name=jonathon|last_name=smiht|date_of_birth=1980-01-01|city=london",
     "first_name=jonathan|last_name=smith|date_of_birth=1980-01-01|city=london", 1, NULL},
    {"one birth year off with the same name and home",
     "first_name=john|last_name=smith|date_of_birth=1950-03-04" HOME,
     "first_name=john|last_name=smith|date_of_birth=1951-03-04" HOME, 1, NULL},
    /* quarantined values help where it is safe */
    {"impossible date, day and month transposed",
     "first_name=maria|last_name=garcia|date_of_birth~1996-13-02|city=austin",
     "first_name=maria|last_name=garcia|date_of_birth=1996-02-13|city=austin", 1,
     "quarantined_value"},
    {"impossible compact date (FEBRL)",
     "first_name=maria|last_name=garcia|date_of_birth~19961302|city=austin",
     "first_name=maria|last_name=garcia|date_of_birth=1996-02-13|city=austin", 1,
     "quarantined_value"},
    {"malformed phone agrees on its last digits",
     "first_name=li|last_name=wang|phone~0412 345 678 ext|city=perth",
     "first_name=li|last_name=wang|phone=+61412345678|city=perth", 1, "quarantined_value"},
    {"a quarantined phone alone links nothing", "first_name=li|phone~(04) 1234 5670",
     "first_name=li|phone~(04) 1234 5670", 0, "quarantined_value"},
    /* no identifier alone overrides a disagreeing given name and birth date */
    {"same national id, other name and birth date",
     "first_name=isaac|last_name=schepers|date_of_birth=1986-11-16|national_id=3474290",
     "first_name=sarah|last_name=schepers|date_of_birth=1926-07-05|national_id=3474290", 0,
     "denial"},
    {"same e-mail, other name and birth date",
     "first_name=anna|last_name=berg|date_of_birth=1960-01-02|email=berg.family@mail.se",
     "first_name=olof|last_name=berg|date_of_birth=1991-05-30|email=berg.family@mail.se", 0,
     "denial"},
    {"same phone, other name and birth date",
     "first_name=anna|last_name=berg|date_of_birth=1960-01-02|phone=+46701112233",
     "first_name=olof|last_name=berg|date_of_birth=1991-05-30|phone=+46701112233", 0, "denial"},
    /* strong negative evidence */
    {"generational suffixes", "first_name=john|last_name=smith jr|phone=+12175550134" HOME,
     "first_name=john|last_name=smith sr|phone=+12175550134" HOME, 0, "generational_suffix"},
    {"parent and child", "first_name=john|last_name=smith|date_of_birth=1950-03-04" HOME,
     "first_name=john|last_name=smith|date_of_birth=1978-06-07" HOME, 0, "parent_child"},
    {"parent and child, the son's account with a postcode only",
     "first_name=andrew|last_name=allen|date_of_birth=1973-01-12|postcode=SW108GU",
     "first_name=andrew|last_name=allen|date_of_birth=1998-04-19" HOME_SW10, 0, "parent_child"},
    {"one name, 25 years apart, other towns: strangers for review, not kin",
     "first_name=john|last_name=smith|date_of_birth=1980-01-01|city=london",
     "first_name=john|last_name=smith|date_of_birth=1955-07-09|city=leeds", 0, NULL},
    {"placeholder birth date 1900-01-01 is no evidence",
     "first_name=mark|last_name=allen|date_of_birth=1900-01-01" HOME,
     "first_name=mark|last_name=allen|date_of_birth=1955-08-02" HOME, 1, NULL},
    {"a century slip is no parent", "first_name=mark|last_name=allen|date_of_birth=1855-08-02" HOME,
     "first_name=mark|last_name=allen|date_of_birth=1955-08-02" HOME, 1, NULL},
    {"family members", "first_name=mary|last_name=smith|phone=+12175550134" HOME,
     "first_name=peter|last_name=smith|phone=+12175550134" HOME, 0, "family_member"},
    {"twins", "first_name=mary|last_name=smith|date_of_birth=2001-09-09" HOME,
     "first_name=peter|last_name=smith|date_of_birth=2001-09-09" HOME, 0, "twins"},
};

Test(score, ugly_pairs_link_or_not_as_truth_says)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const pair_case *c = &cases[i];
        au_resolver_free(res);
        au_model m;
        au_model_default(&m);
        cr_assert_eq(au_resolver_new(&m, &res), AU_OK);
        add(1, c->a);
        add(2, c->b);
        json_t *x = au_resolver_explain_pair(res, 1, 2);
        char *dump = json_dumps(x, JSON_COMPACT);
        int ok = (P(1) == P(2)) == c->link && (!c->evidence || has_evidence(x, c->evidence));
        if (!ok) /* the explanation is too long for an assertion message */
            fprintf(stderr, "%s: %s\n", c->name, dump);
        cr_expect_eq(P(1) == P(2), c->link, "%s: expected %s", c->name,
                     c->link ? "a link" : "no link");
        cr_expect(!c->evidence || has_evidence(x, c->evidence), "%s: evidence %s missing", c->name,
                  c->evidence);
        free(dump);
        json_decref(x);
    }
}

Test(score, a_quarantined_date_weighs_less_than_a_valid_one)
{
    add(1, "first_name=maria|last_name=garcia|date_of_birth~1996-13-02");
    add(2, "first_name=maria|last_name=garcia|date_of_birth=1996-02-13");
    add(3, "first_name=maria|last_name=garcia|date_of_birth=1996-13-02x|city=x");
    add(4, "first_name=maria|last_name=garcia|date_of_birth=1996-02-13");
    json_t *q = au_resolver_explain_pair(res, 1, 2), *v = au_resolver_explain_pair(res, 2, 4);
    double wq = json_real_value(json_object_get(column(q, "date_of_birth"), "weight"));
    double wv = json_real_value(json_object_get(column(v, "date_of_birth"), "weight"));
    cr_assert_gt(wq, 0, "year agrees, day and month transposed: evidence for");
    cr_assert_lt(wq, wv, "but less than a valid date agreeing");
    cr_assert_str_eq(json_string_value(json_object_get(column(q, "date_of_birth"), "label")),
                     "day_month_swapped");
    cr_assert(json_is_true(json_object_get(column(q, "date_of_birth"), "quarantined")));
    cr_assert_null(json_object_get(column(v, "date_of_birth"), "quarantined"));
    json_decref(q);
    json_decref(v);
}

Test(score, quarantined_values_are_no_blocking_keys)
{
    au_feat plain, quar;
    au_record *a = mk("first_name=li|last_name=wang");
    au_record *b = mk("first_name=li|last_name=wang|date_of_birth~1996-13-02|phone~5551234567x");
    cr_assert_eq(au_feat_build(res, a, &plain), AU_OK);
    cr_assert_eq(au_feat_build(res, b, &quar), AU_OK);
    cr_assert(quar.dob_q && quar.phone_q);
    uint64_t ka[AU_MAX_BKEYS], kb[AU_MAX_BKEYS];
    int sa, sb;
    int na = au_feat_block_keys(res, &plain, ka, &sa);
    int nb = au_feat_block_keys(res, &quar, kb, &sb);
    cr_assert_eq(sb, sa, "no strong key from a quarantined date or phone");
    cr_assert_eq(nb, na + 1, "only the weak surname + birth year key, which needs the name too");
    au_record_free(a);
    au_record_free(b);
}

Test(score, a_denied_pair_goes_to_review)
{
    add(1, "first_name=isaac|last_name=schepers|date_of_birth=1986-11-16|national_id=3474290");
    au_resolve_changes_reset(&ch);
    add(2, "first_name=sarah|last_name=schepers|date_of_birth=1926-07-05|national_id=3474290");
    cr_assert_neq(P(1), P(2));
    cr_assert_eq(ch.npossible, 1, "the pair is queued for a human");
    json_t *x = au_resolver_explain_pair(res, 1, 2);
    cr_assert_str_eq(json_string_value(json_object_get(x, "decision")), "possible");
    cr_assert_str_eq(json_string_value(json_object_get(x, "denied")),
                     "identifier_against_given_name_and_birth_date");
    cr_assert(json_is_null(json_object_get(x, "rule")), "no rule fires");
    json_decref(x);
    /* the same id with the same given name still links by the rule */
    add(3, "first_name=isaac|last_name=schepers|date_of_birth=1968-11-16|national_id=3474290");
    cr_assert_eq(P(3), P(1));
}

Test(score, negative_evidence_is_a_penalty_in_the_total)
{
    add(1, "first_name=mary|last_name=smith|date_of_birth=2001-09-09" HOME);
    add(2, "first_name=peter|last_name=smith|date_of_birth=2001-09-09" HOME);
    json_t *x = au_resolver_explain_pair(res, 1, 2);
    double sum = json_real_value(json_object_get(x, "prior_weight")), penalty = 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(x, "comparisons"), i, c)
    {
        sum += json_real_value(json_object_get(c, "weight"));
    }
    json_array_foreach(json_object_get(x, "evidence"), i, c)
    {
        penalty += json_real_value(json_object_get(c, "weight"));
    }
    cr_assert_float_eq(penalty, -au_resolver_model(res)->negative_weight, 1e-6);
    cr_assert_float_eq(sum + penalty, json_real_value(json_object_get(x, "total")), 1e-3);
    cr_assert_str_eq(json_string_value(json_object_get(x, "decision")), "non_match");
    json_decref(x);
}

Test(score, twins_with_one_national_id_are_one_person)
{
    /* Twins never share a national id: an agreeing one means the given name was replaced. */
    add(1, "first_name=mary|last_name=smith|date_of_birth=2001-09-09|national_id=7103479" HOME);
    add(2, "first_name=peter|last_name=smith|date_of_birth=2001-09-09|national_id=7103479" HOME);
    cr_assert_eq(P(1), P(2));
}

Test(score, no_record_bridges_a_father_and_his_son)
{
    /* The undated shop account matches both; the two dated records are parent and child. */
    add(1, "first_name=john|last_name=smith|date_of_birth=1950-03-04" HOME);
    add(2, "first_name=john|last_name=smith|date_of_birth=1978-06-07" HOME);
    cr_assert_neq(P(1), P(2));
    add(3, "first_name=john|last_name=smith" HOME);
    add(4, "first_name=johnny|last_name=smith|phone=+12175550134" HOME);
    cr_assert_neq(P(1), P(2), "however many undated records link to both");
    au_resolve_changes_reset(&ch);
    au_record *r = mk("first_name=john|last_name=smith|date_of_birth=1978-06-07" HOME);
    cr_assert_eq(au_resolver_update(res, 3, r, &ch), AU_OK);
    au_record_free(r);
    cr_assert_neq(P(1), P(2), "nor after an update re-evaluates the profiles");
    cr_assert_eq(P(3), P(2));
}

/* The one decision shared by the resolver and explain (au_score_decide), case by case. */
Test(score, decision_overrides_links_possibles_and_non_matches)
{
    static au_resolver thr; /* only the model's two thresholds are read */
    thr.model.match_weight = 0.0;
    thr.model.possible_weight = -6.0;
    au_score s = {0};
    s.total = 5.0;
    cr_assert_eq(au_score_decide(&thr, AU_LINK_NONE, &s, s.total), AU_DECIDE_MATCH);
    cr_assert_eq(au_score_decide(&thr, AU_LINK_CANNOT, &s, s.total), AU_DECIDE_NON_MATCH);
    s.total = -3.0;
    cr_assert_eq(au_score_decide(&thr, AU_LINK_NONE, &s, s.total), AU_DECIDE_POSSIBLE);
    cr_assert_eq(au_score_decide(&thr, AU_LINK_MUST, &s, s.total), AU_DECIDE_MATCH);
    s.total = -6.0;
    cr_assert_eq(au_score_decide(&thr, AU_LINK_NONE, &s, s.total), AU_DECIDE_POSSIBLE,
                 "possible_weight itself is possible");
    s.total = -7.0;
    cr_assert_eq(au_score_decide(&thr, AU_LINK_NONE, &s, s.total), AU_DECIDE_NON_MATCH);
    s.denied = 1; /* a generic identifier held the link back: review, whatever the weight */
    cr_assert_eq(au_score_decide(&thr, AU_LINK_NONE, &s, s.total), AU_DECIDE_POSSIBLE);
    s.total = 9.0;
    cr_assert_eq(au_score_decide(&thr, AU_LINK_NONE, &s, s.total), AU_DECIDE_POSSIBLE,
                 "a denied pair never links by itself");
    s.denied = 0;
    s.conflict = 1;
    cr_assert_eq(au_score_decide(&thr, AU_LINK_NONE, &s, s.total), AU_DECIDE_NON_MATCH,
                 "conflicting identifiers: not even possible");
    s.conflict = 0;
    s.total = -20.0;
    s.rule = 1;
    cr_assert_eq(au_score_decide(&thr, AU_LINK_NONE, &s, s.total), AU_DECIDE_MATCH,
                 "a rule links below the match weight");
    s.negative = 1;
    cr_assert_eq(au_score_decide(&thr, AU_LINK_NONE, &s, s.total), AU_DECIDE_NON_MATCH,
                 "strong negative evidence stops the rule");
}

/* A rule link weighs as much as a match in a profile's support, never more; a scored link keeps
 * its own weight (one function, used by both places in the resolver that weigh links). */
Test(score, a_rule_link_weighs_the_match_weight)
{
    static au_resolver thr; /* only the model's match weight is read */
    thr.model.match_weight = 4.0;
    au_score s = {0};
    s.rule = 1;
    cr_assert_eq(au_score_link_weight(&thr, &s, -20.0), 4.0);
    cr_assert_eq(au_score_link_weight(&thr, &s, 9.0), 9.0);
    s.rule = 0;
    cr_assert_eq(au_score_link_weight(&thr, &s, 5.5), 5.5);
}
