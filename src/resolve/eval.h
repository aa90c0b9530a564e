/*
 * Evaluation of a clustering against ground truth: pairwise precision / recall / F1 (over all
 * pairs of records put together) and B-cubed precision / recall / F1 (per record, averaged).
 * Used by `aurum eval --truth FILE` and by the accuracy tests.
 */
#ifndef AU_EVAL_H
#define AU_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/rc.h"

typedef struct au_eval_result {
    size_t n;                       /* records evaluated */
    uint64_t tp, fp, fn;            /* record pairs */
    double pair_p, pair_r, pair_f1; /* pairwise; 1.0 when there is nothing to find or claim */
    double b3_p, b3_r, b3_f1;       /* B-cubed */
} au_eval_result;

/* Record i has true cluster truth[i] and predicted cluster pred[i]. */
au_rc au_eval_labels(const uint64_t *truth, const uint64_t *pred, size_t n, au_eval_result *out);

/* Two (record key -> cluster label) lists. Every record of the truth is evaluated: one missing
 * from the prediction counts as a singleton; predicted records absent from the truth are
 * ignored. Keys must be unique within each list (AU_ERR_INVALID otherwise). */
au_rc au_eval_keyed(const char *const *truth_keys, const char *const *truth_labels, size_t nt,
                    const char *const *pred_keys, const char *const *pred_labels, size_t np,
                    au_eval_result *out);

/* Where the errors are: for each of up to 64 record tags (bit k of a record's tag mask, such
 * as the trap kinds of `aurum gen --traps`), the false-merge pairs (fp: put together, truly
 * apart) and missed-link pairs (fn) in which at least one of the two records carries the tag.
 * A pair counts once under every tag either record has, so the rows overlap and do not sum to
 * the totals; `untagged` counts the pairs in which neither record has any tag. */
typedef struct au_eval_by_tag {
    uint64_t fp, fn;                     /* all false-merge and missed-link pairs */
    uint64_t tag_fp[64], tag_fn[64];     /* error pairs touching a record with tag k */
    uint64_t tag_pred[64], tag_true[64]; /* predicted and true pairs touching tag k: precision
                                            among them is 1 - fp/pred, recall 1 - fn/true */
    uint64_t untagged_fp, untagged_fn;   /* pairs of two records without tags */
} au_eval_by_tag;

/* Record i has truth[i], pred[i] and tags[i]. */
au_rc au_eval_tags(const uint64_t *truth, const uint64_t *pred, const uint64_t *tags, size_t n,
                   au_eval_by_tag *out);
/* au_eval_keyed, with tags[i] the tag mask of truth record i (aligned with truth_keys). */
au_rc au_eval_keyed_tags(const char *const *truth_keys, const char *const *truth_labels,
                         const uint64_t *tags, size_t nt, const char *const *pred_keys,
                         const char *const *pred_labels, size_t np, au_eval_by_tag *out);

#endif
