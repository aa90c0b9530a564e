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

#endif
