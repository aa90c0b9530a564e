/*
 * Training of the match model without labels (`aurum train`): u probabilities from randomly
 * sampled record pairs (almost all of which are non-matches), m probabilities by
 * expectation-maximisation over the blocked candidate pairs, with u held fixed. When labelled
 * pairs are available, m and u are counted from them directly instead. Training reads the
 * records already loaded in a resolver and writes a new model; the caller persists it (store,
 * JSON) and builds a new resolver with it.
 */
#ifndef AU_TRAIN_H
#define AU_TRAIN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "resolve/model.h"
#include "resolve/resolve.h"

typedef struct au_train_opts {
    size_t u_samples; /* random pairs for u (default 200000) */
    size_t max_pairs; /* most candidate pairs used by EM (default 2000000) */
    int max_iter;     /* EM iterations (default 50) */
    double tol;       /* stop when no m moves more than this (default 1e-4) */
    uint64_t seed;    /* random sampling seed (default 1) */
} au_train_opts;

void au_train_opts_default(au_train_opts *o);

/* What training did, for printing. */
typedef struct au_train_report {
    size_t u_pairs;  /* random pairs sampled */
    size_t em_pairs; /* candidate pairs EM ran on */
    int iterations;  /* EM iterations run */
    int converged;   /* 1 if the tolerance was reached */
    double lambda;   /* estimated share of matches among candidate pairs */
} au_train_report;

/* Estimates u and m from the resolver's records. *out starts as the resolver's model and gets
 * the new m/u (thresholds and rules are kept). AU_ERR_INVALID with fewer than 2 records. */
au_rc au_train_unsupervised(const au_resolver *res, const au_train_opts *o, au_model *out,
                            au_train_report *rep);

/* Counts m from labelled matches and u from labelled non-matches (each side needs at least one
 * pair; a side without pairs keeps the model's values). pairs[i] = {a, b}, match[i] 0/1. */
au_rc au_train_labelled(const au_resolver *res, const uint32_t (*pairs)[2], const int *match,
                        size_t n, au_model *out);

/* The report as JSON plus the model's weights table, for `aurum train`. New reference. */
json_t *au_train_report_json(const au_train_report *rep, const au_model *m);

#endif
