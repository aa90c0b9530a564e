/*
 * The Fellegi-Sunter match model: one comparison column per attribute group (first name, last
 * name, date of birth, e-mail, phone, address, city, postcode, state, national id, gender,
 * middle name), each with ordered agreement levels (exact, close, ..., different). For every
 * level the model holds m (P(level | same person)) and u (P(level | different people)); its
 * weight is log2(m/u) bits. A pair's match weight is the prior's log-odds plus the sum of the
 * column weights (a missing value contributes 0); exact agreement on a column with term
 * frequencies is adjusted by how common the shared value is ("smith" says less than
 * "zyglinski"). Thresholds on the match weight decide match / possible match.
 *
 * The defaults (au_model_default) are set by hand for person data and work untrained; `aurum
 * train` re-estimates m and u (train.h). The model travels as JSON: in the YAML config under
 * `matching:` (any subset of keys overrides the defaults) and in the store.
 */
#ifndef AU_MODEL_H
#define AU_MODEL_H

#include <jansson.h>

#include "lib/buf.h"
#include "lib/rc.h"

/* Comparison columns. */
typedef enum {
    AU_COL_FIRST_NAME,
    AU_COL_LAST_NAME,
    AU_COL_MIDDLE_NAME,
    AU_COL_DOB,
    AU_COL_EMAIL,
    AU_COL_PHONE,
    AU_COL_ADDRESS,
    AU_COL_CITY,
    AU_COL_POSTCODE,
    AU_COL_STATE,
    AU_COL_NATIONAL_ID,
    AU_COL_GENDER,
    AU_COL_COUNT
} au_col;

#define AU_MAX_LEVELS 6

/* One column: its levels (best first, the last one is "different") and their m/u. */
typedef struct au_model_col {
    int nlevels;             /* fixed by the comparator */
    double m[AU_MAX_LEVELS]; /* P(level | match) */
    double u[AU_MAX_LEVELS]; /* P(level | non-match) */
    double w[AU_MAX_LEVELS]; /* log2(m/u), cached by au_model_refresh */
    int tf;                  /* 1: term-frequency adjust the exact level */
    int enabled;             /* 0: the column is ignored */
} au_model_col;

/* Deterministic rules on strong identifiers (bit flags). */
enum {
    AU_RULE_EMAIL = 1,       /* same normalised e-mail */
    AU_RULE_PHONE = 2,       /* same E.164 phone */
    AU_RULE_NATIONAL_ID = 4, /* same national id */
    AU_RULE_PASSPORT = 8,    /* same passport number */
    AU_RULE_DRIVERS = 16,    /* same driver's licence */
    AU_RULE_SHARED_ID = 32   /* same value of a custom attribute declared in shared_ids */
};

/* Values of matching.generic.never / .always (comparison keys, as GET /v1/quality/generic
 * lists them). */
#define AU_MAX_GENERIC_VALUES 32
#define AU_GENERIC_VALUE_MAX  128

/* Most custom attributes that can be declared as identifiers shared across sources. */
#define AU_MAX_SHARED_IDS 4

typedef struct au_model {
    au_model_col col[AU_COL_COUNT];
    double prior;            /* P(match) of two records before comparing them; 0 = derive it */
    double prior_per_record; /* when prior is 0: expected true partners of a record, the
                                prior being this / max(records, prior_min_records) */
    long prior_min_records;  /* floor on the record count used for the derived prior */
    double match_weight;     /* total weight at or above which a pair is a match */
    double possible_weight;  /* at or above (and below match): queued for review */
    double family_cap;       /* when the given names clearly differ, the most positive weight all
                                attributes a family shares (surname, birth date of twins, address,
                                phone) add together */
    double tf_max;           /* bound on the term-frequency adjustment, bits */
    double location_cap;     /* most positive weight address + city + postcode add together: one
                                place, not three pieces of evidence (a household shares all three) */
    long tf_min_records;     /* column values seen before TF adjustment starts */
    unsigned rules;          /* AU_RULE_* enabled */
    int conflict_max_edits;  /* strong ids further apart than this never merge */
    int block_cap;           /* blocks larger than this are not used for candidates */
    char shared_ids[AU_MAX_SHARED_IDS][64]; /* custom attributes holding a cross-source
                                               customer number ("loyalty_no") */
    int nshared_ids;
    int cluster_check_max;     /* cluster members a joining record is compared with */
    int settle;                /* 1: au_resolver_settle re-clusters what each job touched */
    double join_mean_weight;   /* mean weight a record needs over a cluster's members to join */
    double join_min_weight;    /* no member may score below this with a joining record */
    double quarantine_factor;  /* a value normalisation refused (an impossible date, a phone
                                  too short) compares on its digits, its weight times this */
    double negative_weight;    /* taken off a pair showing strong negative evidence (suffixes,
                                  parent and child, family members, twins) */
    int generic_min_people[5]; /* clearly different people holding one value that make it
                                  generic: [1] email, [2] phone, [3] national id, [4] address */
    char generic_values[AU_MAX_GENERIC_VALUES][AU_GENERIC_VALUE_MAX]; /* configured values */
    unsigned char generic_never[AU_MAX_GENERIC_VALUES]; /* 1: never generic, 0: always */
    int ngeneric;
} au_model;

/* Level labels ("exact", "jaro_winkler>=0.92", ...) and the column's canonical name. */
const char *au_model_col_name(au_col c);
const char *au_model_level_label(au_col c, int level);

/* The reference of the matching: keys (docs/CONFIG.md, from the rows that check them). */
au_rc au_model_options_markdown(au_buf *out);
/* The built-in defaults for person data. */
void au_model_default(au_model *m);
/* Recomputes the cached weights after m/u changed. */
void au_model_refresh(au_model *m);
/* log2(prior / (1 - prior)) for a population of n records: the fixed prior when set, else
 * prior_per_record / max(n, prior_min_records). Two random records out of a million are far
 * less likely to be one person than two out of a thousand, so the derived prior scales. */
double au_model_prior_weight(const au_model *m, double n);

/* Reads a `matching:` section (JSON); absent keys keep the values already in *m (start from
 * au_model_default). Unknown keys and malformed values are refused with the key path in err. */
au_rc au_model_from_json(au_model *m, const json_t *doc, au_err *err);
/* Full JSON form: thresholds, rules and per column the levels with m, u and weight. New ref. */
json_t *au_model_to_json(const au_model *m);

#endif
