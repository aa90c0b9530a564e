/*
 * Black-box tests of identity resolution in the real daemon: records upserted over HTTP that
 * describe one person share a profile; an update that breaks the links splits the profile (the
 * larger part keeps the id); conflicting national ids never merge; merge / split / do-not-link
 * decisions persist across a restart and win over the model in later re-evaluations; a merged
 * profile's id records where it went; explain answers with rule, levels, weights and total.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

TestSuite(resolve, .fini = au_rt_cleanup_all);

static const char people_def[] =
    "{\"record_id\":\"id\",\"country\":\"GB\",\"fields\":{\"email\":\"email\","
    "\"first_name\":\"first\",\"last_name\":\"last\",\"phone\":\"phone\","
    "\"date_of_birth\":\"dob\",\"national_id\":\"nid\",\"postcode\":\"postcode\"}}";

static void start(au_rt_daemon *d)
{
    au_rt_resp r = {0};
    int rc = au_rt_start(d, NULL);
    char *log = rc ? au_rt_log(d) : NULL;
    cr_assert_eq(rc, 0, "daemon did not start; log:\n%s", log ? log : "(none)");
    cr_assert_eq(au_rt_admin(d, "PUT", "/v1/sources/crm", people_def, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
}

static void restart(au_rt_daemon *d)
{
    cr_assert_eq(au_rt_stop(d), 0, "daemon did not stop cleanly");
    cr_assert_eq(au_rt_restart(d), 0, "daemon did not restart");
}

static void upsert(au_rt_daemon *d, const char *json_array)
{
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(d, "POST", "/v1/sources/crm/records", json_array, &r), 200,
                 "upsert: %s", r.body);
    au_rt_resp_cleanup(&r);
}

/* The profile of crm record `id` (0 when it has none). */
static long profile_of(au_rt_daemon *d, const char *id)
{
    au_rt_resp r = {0};
    char path[128];
    snprintf(path, sizeof(path), "/v1/sources/crm/records/%s/profile", id);
    cr_assert_eq(au_rt_admin(d, "GET", path, NULL, &r), 200, "profile of %s: %s", id, r.body);
    json_t *j = au_rt_json(&r);
    json_t *p = json_object_get(j, "profile");
    long v = json_is_integer(p) ? (long)json_integer_value(p) : 0;
    json_decref(j);
    au_rt_resp_cleanup(&r);
    return v;
}

static long post(au_rt_daemon *d, const char *path, const char *body, au_rt_resp *r)
{
    return au_rt_admin(d, "POST", path, body, r);
}

static const char john[] = "{\"id\":\"1\",\"first\":\"John\",\"last\":\"Smith\",\"email\":"
                           "\"john.smith@example.com\",\"dob\":\"1980-01-02\",\"postcode\":"
                           "\"SW1A 1AA\"}";
static const char jon[] = "{\"id\":\"2\",\"first\":\"Jon\",\"last\":\"Smith\",\"email\":"
                          "\"john.smith@example.com\",\"dob\":\"1980-01-02\"}";
static const char johnny[] = "{\"id\":\"3\",\"first\":\"John\",\"last\":\"Smith\",\"email\":"
                             "\"john.smith@example.com\",\"dob\":\"1980-01-02\",\"phone\":"
                             "\"+44 20 7946 0123\"}";
static const char mary[] = "{\"id\":\"9\",\"first\":\"Mary\",\"last\":\"Jones\",\"email\":"
                           "\"mary.jones@example.org\",\"dob\":\"1975-06-30\"}";

Test(resolve, matching_records_share_a_profile_and_explain_says_why)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char body[2048];
    start(&d);
    snprintf(body, sizeof(body), "[%s,%s,%s]", john, jon, mary);
    upsert(&d, body);
    long p1 = profile_of(&d, "1"), p2 = profile_of(&d, "2"), p9 = profile_of(&d, "9");
    cr_assert(p1 > 0 && p9 > 0);
    cr_assert_eq(p1, p2, "John and Jon Smith with one e-mail are one person");
    cr_assert_neq(p1, p9, "Mary Jones is someone else");

    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/explain?a=crm:1&b=crm:2", NULL, &r), 200, "%s",
                 r.body);
    json_t *j = au_rt_json(&r);
    cr_assert(json_is_string(json_object_get(j, "rule")), "a rule fired: %s", r.body);
    cr_assert(json_is_number(json_object_get(j, "total")));
    json_t *cmp = json_object_get(j, "comparisons"), *c;
    size_t i;
    int saw_email = 0;
    cr_assert(json_array_size(cmp) > 0);
    json_array_foreach(cmp, i, c)
    {
        cr_assert(json_is_integer(json_object_get(c, "level")));
        cr_assert(json_is_number(json_object_get(c, "weight")));
        if (strcmp(json_string_value(json_object_get(c, "column")), "email") == 0)
            saw_email = json_integer_value(json_object_get(c, "level")) == 0;
    }
    cr_assert(saw_email, "the e-mail comparison is exact: %s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "a"), "record")), "1");
    json_decref(j);
    au_rt_resp_cleanup(&r);

    /* John vs Mary: no rule, a negative total */
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/explain?a=crm:1&b=crm:9", NULL, &r), 200);
    j = au_rt_json(&r);
    cr_assert(json_is_null(json_object_get(j, "rule")), "%s", r.body);
    cr_assert_lt(json_number_value(json_object_get(j, "total")), 0.0, "%s", r.body);
    json_decref(j);
    au_rt_resp_cleanup(&r);

    char path[64];
    snprintf(path, sizeof(path), "/v1/profiles/%ld/explain", p1);
    cr_assert_eq(au_rt_admin(&d, "GET", path, NULL, &r), 200, "%s", r.body);
    j = au_rt_json(&r);
    cr_assert_eq(json_array_size(json_object_get(j, "members")), 2, "%s", r.body);
    json_decref(j);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(resolve, an_update_that_breaks_the_links_splits_and_the_larger_part_keeps_the_id)
{
    au_rt_daemon d;
    char body[2048];
    start(&d);
    snprintf(body, sizeof(body), "[%s,%s,%s]", john, jon, johnny);
    upsert(&d, body);
    long p = profile_of(&d, "1");
    cr_assert(p > 0);
    cr_assert_eq(profile_of(&d, "2"), p);
    cr_assert_eq(profile_of(&d, "3"), p);
    /* record 3 now describes someone else entirely */
    upsert(&d, "[{\"id\":\"3\",\"first\":\"Zacharias\",\"last\":\"Quayle\",\"email\":"
               "\"zq@example.net\",\"dob\":\"1999-12-24\",\"phone\":\"+44 113 496 0000\"}]");
    long p3 = profile_of(&d, "3");
    cr_assert(p3 > 0);
    cr_assert_neq(p3, p, "the changed record left the profile");
    cr_assert_eq(profile_of(&d, "1"), p, "the larger part keeps the profile id");
    cr_assert_eq(profile_of(&d, "2"), p);
    /* and back: it joins again */
    snprintf(body, sizeof(body), "[%s]", johnny);
    upsert(&d, body);
    cr_assert_eq(profile_of(&d, "3"), p, "the record rejoined its old profile");
    /* a delete leaves the rest together */
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(&d, "DELETE", "/v1/sources/crm/records/1", NULL, &r), 200);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(profile_of(&d, "2"), p);
    cr_assert_eq(profile_of(&d, "3"), p);
    au_rt_cleanup(&d);
}

Test(resolve, conflicting_national_ids_never_merge)
{
    au_rt_daemon d;
    start(&d);
    /* same name, birth date and e-mail, but national ids far apart */
    upsert(&d,
           "[{\"id\":\"a\",\"first\":\"Ann\",\"last\":\"Lee\",\"email\":\"ann.lee@example.com\","
           "\"dob\":\"1990-03-04\",\"nid\":\"QQ123456C\"},"
           "{\"id\":\"b\",\"first\":\"Ann\",\"last\":\"Lee\",\"email\":\"ann.lee@example.com\","
           "\"dob\":\"1990-03-04\",\"nid\":\"ZX987654A\"},"
           "{\"id\":\"c\",\"first\":\"Ann\",\"last\":\"Lee\",\"email\":\"ann.lee@example.com\","
           "\"dob\":\"1990-03-04\"}]");
    long pa = profile_of(&d, "a"), pb = profile_of(&d, "b"), pc = profile_of(&d, "c");
    cr_assert(pa > 0 && pb > 0 && pc > 0);
    cr_assert_neq(pa, pb, "conflicting national ids split the cluster");
    cr_assert(pc == pa || pc == pb, "the record without an id joins one of them");
    au_rt_cleanup(&d);
}

Test(resolve, decisions_persist_across_a_restart_and_win_in_later_re_evaluations)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char body[2048], path[64];
    start(&d);
    snprintf(body, sizeof(body), "[%s,%s,%s]", john, jon, mary);
    upsert(&d, body);
    long p = profile_of(&d, "1"), pm = profile_of(&d, "9");
    cr_assert_eq(profile_of(&d, "2"), p);

    /* do not link John and Jon */
    cr_assert_eq(post(&d, "/v1/overrides",
                      "{\"a\":{\"source\":\"crm\",\"record\":\"1\"},\"b\":{\"source\":\"crm\","
                      "\"record\":\"2\"},\"kind\":\"cannot_link\"}",
                      &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_neq(profile_of(&d, "1"), profile_of(&d, "2"));

    /* merge Mary into John's profile although nothing links them */
    snprintf(path, sizeof(path), "/v1/profiles/%ld/merge", profile_of(&d, "1"));
    cr_assert_eq(post(&d, path, "{\"with\":{\"source\":\"crm\",\"record\":\"9\"}}", &r), 200, "%s",
                 r.body);
    au_rt_resp_cleanup(&r);
    long merged = profile_of(&d, "1");
    cr_assert_eq(profile_of(&d, "9"), merged);

    /* the vanished profile says where it went */
    long vanished = merged == p ? pm : p;
    if (vanished != profile_of(&d, "2")) {
        snprintf(path, sizeof(path), "/v1/profiles/%ld/explain", vanished);
        cr_assert_eq(au_rt_admin(&d, "GET", path, NULL, &r), 404, "%s", r.body);
        char expect[64];
        snprintf(expect, sizeof(expect), "merged into %ld", merged);
        cr_assert(strstr(r.body, expect), "%s", r.body);
        au_rt_resp_cleanup(&r);
    }

    restart(&d);
    cr_assert_eq(profile_of(&d, "1"), merged, "assignments survive a restart");
    cr_assert_eq(profile_of(&d, "9"), merged);
    cr_assert_neq(profile_of(&d, "2"), merged);

    /* re-evaluation after updates still obeys both decisions */
    snprintf(body, sizeof(body),
             "[{\"id\":\"2\",\"first\":\"John\",\"last\":\"Smith\",\"email\":"
             "\"john.smith@example.com\",\"dob\":\"1980-01-02\",\"postcode\":\"SW1A 1AA\"},"
             "{\"id\":\"9\",\"first\":\"Mary\",\"last\":\"Jones\",\"email\":"
             "\"mary.jones@example.org\",\"dob\":\"1975-06-30\",\"phone\":\"+44 20 7946 0999\"}]");
    upsert(&d, body);
    cr_assert_neq(profile_of(&d, "2"), profile_of(&d, "1"), "cannot-link wins after an update");
    cr_assert_eq(profile_of(&d, "9"), profile_of(&d, "1"), "must-link wins after an update");

    /* split Mary off again: the must-link is replaced by a cannot-link */
    snprintf(path, sizeof(path), "/v1/profiles/%ld/split", profile_of(&d, "1"));
    cr_assert_eq(post(&d, path, "{\"records\":[{\"source\":\"crm\",\"record\":\"9\"}]}", &r), 200,
                 "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_neq(profile_of(&d, "9"), profile_of(&d, "1"));
    restart(&d);
    cr_assert_neq(profile_of(&d, "9"), profile_of(&d, "1"), "the split survives a restart");
    au_rt_cleanup(&d);
}

Test(resolve, bad_decisions_are_refused)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d);
    upsert(&d, "[{\"id\":\"1\",\"first\":\"A\",\"last\":\"B\"}]");
    cr_assert_eq(post(&d, "/v1/overrides",
                      "{\"a\":{\"source\":\"crm\",\"record\":\"1\"},\"b\":{\"source\":\"crm\","
                      "\"record\":\"404\"},\"kind\":\"cannot_link\"}",
                      &r),
                 404, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(post(&d, "/v1/overrides",
                      "{\"a\":{\"source\":\"crm\",\"record\":\"1\"},\"b\":{\"source\":\"crm\","
                      "\"record\":\"1\"},\"kind\":\"maybe\"}",
                      &r),
                 400, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/explain?a=crm:1", NULL, &r), 400, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/profiles/999/explain", NULL, &r), 404, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/review", NULL, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

/* A merge after a split undoes the split: the split's do-not-link rules between the record and
 * the others are forgotten, so a later re-evaluation (an update) keeps the three together, and
 * so does a restart. Before, only the pair named in the merge was linked and the next update
 * split the record off again. */
Test(resolve, a_merge_after_a_split_forgets_the_splits_do_not_link_rules)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char body[2048], path[64];
    start(&d);
    snprintf(body, sizeof(body),
             "[%s,%s,{\"id\":\"4\",\"first\":\"John\",\"last\":\"Smith\",\"email\":"
             "\"john.smith@example.com\",\"dob\":\"1980-01-02\",\"phone\":\"+44 20 7946 "
             "0123\"}]",
             john, johnny);
    upsert(&d, body);
    long p = profile_of(&d, "1");
    cr_assert(profile_of(&d, "4") == p && profile_of(&d, "3") == p, "one person to begin with");

    snprintf(path, sizeof(path), "/v1/profiles/%ld/split", p);
    cr_assert_eq(post(&d, path, "{\"records\":[{\"source\":\"crm\",\"record\":\"1\"}]}", &r), 200,
                 "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_neq(profile_of(&d, "1"), profile_of(&d, "4"));
    cr_assert_neq(profile_of(&d, "1"), profile_of(&d, "3"));
    cr_assert_eq(profile_of(&d, "4"), profile_of(&d, "3"), "3 and 4 stay together: %ld %ld %ld",
                 profile_of(&d, "1"), profile_of(&d, "3"), profile_of(&d, "4"));

    /* merge back by naming one record of the other side only */
    snprintf(path, sizeof(path), "/v1/profiles/%ld/merge", profile_of(&d, "1"));
    cr_assert_eq(post(&d, path, "{\"with\":{\"source\":\"crm\",\"record\":\"4\"}}", &r), 200, "%s",
                 r.body);
    au_rt_resp_cleanup(&r);
    long m = profile_of(&d, "1");
    cr_assert(profile_of(&d, "4") == m && profile_of(&d, "3") == m, "merged back: %ld %ld %ld", m,
              profile_of(&d, "4"), profile_of(&d, "3"));

    /* an update re-evaluates the profile: no do-not-link rule is left to split it */
    snprintf(body, sizeof(body),
             "[{\"id\":\"3\",\"first\":\"John\",\"last\":\"Smith\",\"email\":"
             "\"john.smith@example.com\",\"dob\":\"1980-01-02\",\"phone\":\"+44 20 7946 0124\"}]");
    upsert(&d, body);
    cr_assert(profile_of(&d, "1") == profile_of(&d, "3"), "record 3's update keeps it with 1");
    cr_assert(profile_of(&d, "1") == profile_of(&d, "4"));
    /* the decisions are counted for /metrics (the console's Activity chart) */
    cr_assert_eq(au_rt_admin(&d, "GET", "/metrics", NULL, &r), 200);
    cr_assert(strstr(r.body, "aurum_profile_changes_total{kind=\"merged\"} 1\n") &&
                  strstr(r.body, "aurum_profile_changes_total{kind=\"split\"} 1\n"),
              "%s", r.body);
    au_rt_resp_cleanup(&r);
    restart(&d);
    cr_assert(profile_of(&d, "1") == profile_of(&d, "3"), "and a restart too");
    upsert(&d, "[{\"id\":\"1\",\"first\":\"John\",\"last\":\"Smith\",\"email\":"
               "\"john.smith@example.com\",\"dob\":\"1980-01-02\",\"postcode\":\"SW1A 2AA\"}]");
    cr_assert(profile_of(&d, "1") == profile_of(&d, "3") &&
                  profile_of(&d, "1") == profile_of(&d, "4"),
              "no cannot-link survives in the store");
    au_rt_cleanup(&d);
}
