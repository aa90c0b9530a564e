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

/* The hand-made example with tags: record 2 has tag 0 (a trap), record 4 tag 1, record 3 both.
 * False merges (pred together, truth apart): 23 24. Missed links: 02 12.
 * Tag 0 (records 2, 3): fp 23 24 -> 2; fn 02 12 -> 2.
 * Tag 1 (records 3, 4): fp 23 24 -> 2; fn none -> 0.
 * Untagged pairs (records 0, 1 only): no errors. Tag 5 is on no record: zero. */
Test(eval, errors_by_tag_count_pairs_touching_a_tagged_record)
{
    uint64_t truth[] = {7, 7, 7, 9, 9}, pred[] = {1, 1, 2, 2, 2};
    uint64_t tags[] = {0, 0, 1, 3, 2};
    au_eval_by_tag b;
    cr_assert_eq(au_eval_tags(truth, pred, tags, 5, &b), AU_OK);
    cr_assert_eq(b.fp, 2);
    cr_assert_eq(b.fn, 2);
    cr_assert_eq(b.tag_fp[0], 2);
    cr_assert_eq(b.tag_fn[0], 2);
    cr_assert_eq(b.tag_fp[1], 2);
    cr_assert_eq(b.tag_fn[1], 0);
    cr_assert_eq(b.tag_pred[1], 3); /* 23 24 34 */
    cr_assert_eq(b.tag_true[1], 1); /* 34 */
    cr_assert_eq(b.tag_fp[5], 0);
    cr_assert_eq(b.untagged_fp, 0);
    cr_assert_eq(b.untagged_fn, 0);
    /* Without tags every error is untagged. */
    uint64_t none[5] = {0};
    cr_assert_eq(au_eval_tags(truth, pred, none, 5, &b), AU_OK);
    cr_assert_eq(b.untagged_fp, 2);
    cr_assert_eq(b.untagged_fn, 2);
    cr_assert_eq(b.tag_fp[0], 0);
}

/* Against brute force over all pairs on a larger pseudo-random clustering with 3 tags. */
Test(eval, errors_by_tag_agree_with_brute_force)
{
    enum { N = 400 };
    uint64_t truth[N], pred[N], tags[N], x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        truth[i] = (x >> 33) % 90;
        pred[i] = (x >> 40) % 3 ? truth[i] : (x >> 20) % 90; /* a third wrong */
        tags[i] = (x >> 50) & 7;
    }
    uint64_t fp[3] = {0}, fn[3] = {0}, np[3] = {0}, nt[3] = {0}, ufp = 0, ufn = 0, afp = 0, afn = 0;
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++) {
            int st = truth[i] == truth[j], sp = pred[i] == pred[j];
            uint64_t u = tags[i] | tags[j];
            for (int k = 0; k < 3; k++)
                if (u & (1u << k)) {
                    np[k] += sp;
                    nt[k] += st;
                }
            if (st == sp)
                continue;
            for (int k = 0; k < 3; k++)
                if (u & (1u << k)) {
                    fp[k] += sp;
                    fn[k] += st;
                }
            ufp += !u && sp;
            ufn += !u && st;
            afp += sp;
            afn += st;
        }
    au_eval_by_tag b;
    cr_assert_eq(au_eval_tags(truth, pred, tags, N, &b), AU_OK);
    cr_assert_eq(b.fp, afp);
    cr_assert_eq(b.fn, afn);
    cr_assert_gt(afp, 0);
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(b.tag_fp[k], fp[k], "tag %d", k);
        cr_assert_eq(b.tag_fn[k], fn[k], "tag %d", k);
        cr_assert_eq(b.tag_pred[k], np[k], "tag %d", k);
        cr_assert_eq(b.tag_true[k], nt[k], "tag %d", k);
    }
    cr_assert_eq(b.untagged_fp, ufp);
    cr_assert_eq(b.untagged_fn, ufn);
    au_eval_result r;
    cr_assert_eq(au_eval_labels(truth, pred, N, &r), AU_OK);
    cr_assert_eq(r.fp, b.fp, "the same totals as the plain metrics");
    cr_assert_eq(r.fn, b.fn);
}

Test(eval, keyed_tags_align_with_the_truth_keys)
{
    const char *tk[] = {"crm:1", "crm:2", "shop:9"};
    const char *tl[] = {"a", "b", "a"};
    const char *pk[] = {"shop:9", "crm:1", "crm:2"};
    const char *pl[] = {"P1", "P2", "P2"};
    uint64_t tags[] = {0, 4, 0}; /* crm:2 carries tag 2 */
    au_eval_by_tag b;
    cr_assert_eq(au_eval_keyed_tags(tk, tl, tags, 3, pk, pl, 3, &b), AU_OK);
    cr_assert_eq(b.fp, 1); /* crm:1-crm:2 */
    cr_assert_eq(b.fn, 1); /* crm:1-shop:9 */
    cr_assert_eq(b.tag_fp[2], 1);
    cr_assert_eq(b.tag_fn[2], 0);
    cr_assert_eq(b.untagged_fn, 1);
}
