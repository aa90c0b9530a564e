/*
 * Unit tests for the clustering metrics on a hand-made example whose pair counts and B-cubed
 * values are worked out in the comments.
 */
#include <criterion/criterion.h>

#include "resolve/eval.h"

/* Truth: {0,1,2} {3,4}. Prediction: {0,1} {2,3,4}.
 * True pairs: 01 02 12 34 = 4; predicted pairs: 01 23 24 34 = 4; shared: 01 34 = 2.
 * Pairwise P = R = 0.5.
 * B-cubed precision per record: 0:1 1:1 2:1/3 3:2/3 4:2/3 -> 11/3 / 5 = 0.7333
 * B-cubed recall: 0:2/3 1:2/3 2:1/3 3:1 4:1 -> 11/3 / 5 = 0.7333 */
Test(eval, hand_made_example)
{
    uint64_t truth[] = {7, 7, 7, 9, 9}, pred[] = {1, 1, 2, 2, 2};
    au_eval_result r;
    cr_assert_eq(au_eval_labels(truth, pred, 5, &r), AU_OK);
    cr_assert_eq(r.tp, 2);
    cr_assert_eq(r.fp, 2);
    cr_assert_eq(r.fn, 2);
    cr_assert_float_eq(r.pair_p, 0.5, 1e-12);
    cr_assert_float_eq(r.pair_r, 0.5, 1e-12);
    cr_assert_float_eq(r.pair_f1, 0.5, 1e-12);
    cr_assert_float_eq(r.b3_p, 11.0 / 15.0, 1e-12);
    cr_assert_float_eq(r.b3_r, 11.0 / 15.0, 1e-12);
}

Test(eval, perfect_and_all_singletons)
{
    uint64_t truth[] = {1, 1, 2, 3}, same[] = {5, 5, 6, 7}, single[] = {1, 2, 3, 4};
    au_eval_result r;
    au_eval_labels(truth, same, 4, &r);
    cr_assert_float_eq(r.pair_f1, 1.0, 1e-12);
    cr_assert_float_eq(r.b3_f1, 1.0, 1e-12);
    au_eval_labels(truth, single, 4, &r);
    cr_assert_float_eq(r.pair_p, 1.0, 1e-12, "nothing claimed: nothing wrong");
    cr_assert_float_eq(r.pair_r, 0.0, 1e-12);
    cr_assert_float_eq(r.b3_p, 1.0, 1e-12);
    cr_assert_float_eq(r.b3_r, 0.75, 1e-12);
}

Test(eval, keyed_lists_join_on_record_keys)
{
    const char *tk[] = {"crm:1", "crm:2", "shop:9", "shop:10"};
    const char *tl[] = {"a", "a", "a", "b"};
    /* Different order, own labels; shop:10 missing (a singleton), pos:1 unknown (ignored). */
    const char *pk[] = {"shop:9", "pos:1", "crm:1", "crm:2"};
    const char *pl[] = {"P1", "P1", "P1", "P2"};
    au_eval_result r;
    cr_assert_eq(au_eval_keyed(tk, tl, 4, pk, pl, 4, &r), AU_OK);
    cr_assert_eq(r.n, 4);
    cr_assert_eq(r.tp, 1); /* crm:1-shop:9 */
    cr_assert_eq(r.fn, 2); /* crm:1-crm:2, crm:2-shop:9 */
    cr_assert_eq(r.fp, 0);
    const char *dup[] = {"x", "x"}, *dl[] = {"1", "2"};
    cr_assert_eq(au_eval_keyed(tk, tl, 4, dup, dl, 2, &r), AU_ERR_INVALID);
}
