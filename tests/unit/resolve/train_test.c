/*
 * Unit tests for training: EM converges on a synthetic population with planted duplicates and
 * learns that agreement is evidence for a match; labelled pairs give m and u directly.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "lib/alloc.h"
#include "resolve/resolve.h"
#include "resolve/train.h"

static void set(au_record *r, au_attr a, const char *v)
{
    au_record_set(r, a, au_strdup(v), au_strdup(v), au_strdup(v));
}

/* 600 people with distinct-ish names and dates; the first 200 get a duplicate with a typo in
 * the surname and, for every fourth, another birth day. */
static au_resolver *population(void)
{
    static const char *firsts[] = {"anna", "ben", "carla", "dov", "eli", "fay", "gus", "hana"};
    static const char *syl[] = {"ka", "lo", "mi", "ne", "ro", "sa", "ti", "vu", "ba", "de"};
    au_model m;
    au_model_default(&m);
    au_resolver *res = NULL;
    cr_assert_eq(au_resolver_new(&m, &res), AU_OK);
    char last[32], dob[16];
    uint32_t no = 0;
    for (int i = 0; i < 600; i++) {
        snprintf(last, sizeof last, "%s%s%s", syl[i % 10], syl[(i / 10) % 10], syl[(i / 100) % 10]);
        snprintf(dob, sizeof dob, "19%02d-%02d-%02d", 30 + i % 60, 1 + i % 12, 1 + (i * 7) % 28);
        for (int copy = 0; copy < (i < 200 ? 2 : 1); copy++) {
            au_record *r = au_record_new();
            set(r, AU_ATTR_FIRST_NAME, firsts[i % 8]);
            if (copy)
                last[1] = last[1] == 'a' ? 'e' : 'a';
            set(r, AU_ATTR_LAST_NAME, last);
            if (copy && i % 4 == 0)
                dob[9] = dob[9] == '1' ? '2' : '1';
            set(r, AU_ATTR_DATE_OF_BIRTH, dob);
            cr_assert_eq(au_resolver_add(res, no++, r, NULL), AU_OK);
            au_record_free(r);
        }
    }
    return res;
}

Test(train, em_converges_on_planted_matches)
{
    au_resolver *res = population();
    au_train_opts o;
    au_train_opts_default(&o);
    au_model out;
    au_train_report rep;
    cr_assert_eq(au_train_unsupervised(res, &o, &out, &rep), AU_OK);
    cr_assert(rep.converged, "EM ran %d iterations", rep.iterations);
    cr_assert_gt(rep.em_pairs, 200);
    cr_assert_gt(rep.u_pairs, 1000);
    const au_model_col *dob = &out.col[AU_COL_DOB], *last = &out.col[AU_COL_LAST_NAME];
    cr_assert_gt(dob->m[0], 0.5, "most planted duplicates keep their birth date: m %.3f",
                 dob->m[0]);
    cr_assert_lt(dob->u[0], 0.05, "random pairs rarely share one: u %.4f", dob->u[0]);
    cr_assert_gt(dob->w[0], 0);
    cr_assert_lt(dob->w[dob->nlevels - 1], dob->w[0]);
    cr_assert_gt(last->w[1], last->w[last->nlevels - 1], "a close surname is evidence");
    json_t *j = au_train_report_json(&rep, &out);
    cr_assert(json_is_true(json_object_get(j, "converged")));
    cr_assert_not_null(json_object_get(json_object_get(j, "model"), "columns"));
    json_decref(j);
    au_resolver_free(res);
}

Test(train, labelled_pairs_count_m_and_u)
{
    au_resolver *res = population();
    /* Records 0/1 are person 0 and its duplicate; 2/3 person 1 and its duplicate, ... */
    uint32_t pairs[40][2];
    int match[40];
    for (int i = 0; i < 20; i++) {
        pairs[i][0] = (uint32_t)(2 * i);
        pairs[i][1] = (uint32_t)(2 * i + 1);
        match[i] = 1;
        pairs[20 + i][0] = (uint32_t)(2 * i);
        pairs[20 + i][1] = (uint32_t)(2 * i + 3);
        match[20 + i] = 0;
    }
    au_model out;
    cr_assert_eq(au_train_labelled(res, (const uint32_t(*)[2])pairs, match, 40, &out), AU_OK);
    cr_assert_gt(out.col[AU_COL_DOB].m[0], out.col[AU_COL_DOB].u[0]);
    cr_assert_gt(out.col[AU_COL_FIRST_NAME].m[0], out.col[AU_COL_FIRST_NAME].u[0]);
    uint32_t bad[1][2] = {{0, 9999}};
    int one = 1;
    cr_assert_eq(au_train_labelled(res, (const uint32_t(*)[2])bad, &one, 1, &out),
                 AU_ERR_NOT_FOUND);
    au_resolver_free(res);
}
