/*
 * Internals shared by the resolver's files (index.c, score.c, resolve.c, explain.c, train.c):
 * the compact per-record feature row, string interning, the blocking index and pair scoring.
 * Not a public contract.
 */
#ifndef AU_RESOLVE_INT_H
#define AU_RESOLVE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "resolve/compare.h"
#include "resolve/model.h"
#include "resolve/nickname.h"
#include "resolve/resolve.h"

/* --- interning: equal strings get equal small ids, so equality is an integer compare ---- */
typedef struct au_intern {
    uint32_t *slots;     /* open addressing: id or 0 */
    size_t nslots;       /* power of two */
    uint32_t *off;       /* id -> offset in pool (index 0 unused) */
    uint32_t *hash;      /* id -> string hash (rehash without touching strings) */
    uint32_t *count;     /* id -> live records using it in role 0 (TF) */
    uint32_t *count2;    /* id -> live records using it in role 1 (names: last name), may be NULL */
    uint16_t (*nick)[2]; /* id -> nickname groups (names table only), may be NULL */
    unsigned long long *sig; /* id -> au_cmp_sig (names table only), may be NULL */
    uint32_t (*mp)[3];       /* id -> codes-table ids of the metaphone codes, [2] = 1 once set
                                (names table only), may be NULL */
    uint8_t *gen;            /* id -> AU_GEN_* bits: is the value generic (generic.c) */
    size_t n, cap;           /* ids used (1..n), allocated */
    char *pool;              /* NUL-terminated strings */
    size_t pool_len, pool_cap;
    uint64_t total, total2; /* sum of count / count2 */
} au_intern;

au_rc au_intern_init(au_intern *t, int two_roles, int nick);
void au_intern_cleanup(au_intern *t);
/* Id of s, adding it if new; 0 for NULL or "". AU_ERR_NOMEM leaves *id = 0. */
au_rc au_intern_get(au_intern *t, const char *s, uint32_t *id);
/* Starts loading the slot where s would be found (a hint for a lookup coming soon). */
void au_intern_prefetch(const au_intern *t, const char *s);
static inline const char *au_intern_str(const au_intern *t, uint32_t id)
{
    return t->pool + t->off[id];
}
size_t au_intern_memory(const au_intern *t);

/* --- the per-record feature row (about 104 bytes) ---------------------------------------- */
typedef struct au_feat {
    uint32_t first, middle, last;                  /* names table */
    uint32_t first_mp, last_mp;                    /* codes table: Double Metaphone primary */
    uint32_t first_mp2, last_mp2;                  /* codes table: alternate */
    uint32_t email, phone, nid, passport, licence; /* ids table */
    uint32_t addr, city, postcode, state;          /* text table */
    uint32_t shared;                               /* ids table: "attr=value" of a shared id */
    au_date_parts dob;   /* with dob_q: the digits of a quarantined date (au_gen_date_digits) */
    uint8_t gender : 2;  /* 0 unknown, 1 male, 2 female, 3 other */
    uint8_t alive : 1;   /* 1 while the record exists */
    uint8_t dob_q : 1;   /* dob holds a quarantined date's digits: fuzzy, lower weight, no key */
    uint8_t phone_q : 1; /* phone is "#digits" of a quarantined phone: suffix compare, no key */
    uint8_t suffix : 3;  /* generation of a name suffix (Sr 1, Jr/II 2, III 3...), 0 none */
    uint8_t generic;     /* 1 << au_gcol of each generic value of the row: kept exact by
                            au_feat_build and make_generic, so scoring reads no flag table */
    char finit;          /* first letter of the given name, 0 if none */
    char linit;          /* first letter of the surname, 0 if none */
    uint32_t profile;    /* current profile */
    /* au_cmp_sig of the e-mail, phone and postcode: most candidate pairs are told apart on
     * these without reading the strings (which are rarely in cache). */
    unsigned long long email_sig, phone_sig, pc_sig;
} au_feat;

/* --- blocking index: key hash -> record numbers ------------------------------------------ */
/* One slot is 16 bytes (the index of a million records has millions of slots). The key is a
 * 32-bit fold of the 64-bit blocking key: two keys folding together only merge their blocks
 * (extra candidates, never a missed one). Most blocks (an e-mail, a phone, an address) hold
 * one or two records: those are kept in the slot itself, which saves an allocation and a
 * cache miss per block; larger ones live in a heap array whose capacity is the power of two
 * at or above max(n, 4) (n only grows through powers of two). */
#define AU_BLOCK_INLINE 2
typedef struct au_block {
    uint32_t key;           /* 0 = empty slot */
    uint32_t n : 30;        /* members */
    uint32_t heap : 1;      /* members in u.ids */
    uint32_t oversized : 1; /* more than the key's cap share it: not used, list freed */
    union {
        uint32_t *ids;
        uint32_t in[AU_BLOCK_INLINE];
    } u;
} au_block;

static inline const uint32_t *au_block_ids(const au_block *b)
{
    return b->heap ? b->u.ids : b->u.in;
}

typedef struct au_bindex {
    au_block *slots;
    size_t nslots, used;
    size_t entries; /* ids stored over all blocks */
} au_bindex;

#define AU_MAX_BKEYS 14

au_rc au_bindex_init(au_bindex *ix);
void au_bindex_cleanup(au_bindex *ix);
au_rc au_bindex_add(au_bindex *ix, uint64_t key, uint32_t rec, int cap);
/* Probe once, insert later: au_bindex_reserve(n) guarantees that n insertions cause no rehash,
 * so slots from au_bindex_probe stay valid for au_bindex_add_at in between (each key's slot
 * is looked up once per record instead of twice, and at 1 M records each lookup is a cache
 * miss). */
au_rc au_bindex_reserve(au_bindex *ix, size_t more);
size_t au_bindex_probe(const au_bindex *ix, uint64_t key);
/* The slot where probing for key starts (for prefetching). */
size_t au_bindex_home(const au_bindex *ix, uint64_t key);
au_rc au_bindex_add_at(au_bindex *ix, size_t slot, uint64_t key, uint32_t rec, int cap);
void au_bindex_remove(au_bindex *ix, uint64_t key, uint32_t rec);
/* Marks the block of key oversized (list freed): the key is no longer used for candidates. */
void au_bindex_drop(au_bindex *ix, uint64_t key);
const au_block *au_bindex_find(const au_bindex *ix, uint64_t key);

/* --- profiles ---------------------------------------------------------------------------- */
typedef struct au_profile {
    uint32_t *m; /* member record numbers */
    uint32_t n, cap;
    uint32_t fwd; /* when emptied by a merge: the profile that absorbed it */
} au_profile;

/* The links found for a record (pairs that matched when the later of the two was resolved),
 * both ways: settling walks them to find the records whose clustering a new record can change
 * without scoring every member's candidates again. */
typedef struct au_adj {
    uint32_t *v;        /* linked record numbers, owned */
    uint32_t n;         /* used */
    uint32_t cap : 30;  /* allocated */
    uint32_t known : 1; /* the record's own candidates were scored (restored records: not yet) */
    uint32_t dirty : 1; /* added or updated since the last au_resolver_settle */
} au_adj;

/* Overrides: a hash set of (min, max) record pairs with a kind. */
typedef struct au_ovr {
    uint64_t *keys; /* (a << 32 | b), 0 = empty, UINT64_MAX = deleted */
    uint8_t *kind;
    size_t nslots, used;
    uint32_t *per_rec; /* record -> number of overrides touching it (quick skip) */
} au_ovr;

/* Memo of string comparison levels by (kind, id, id): names and places repeat, so most
 * similarity computations are answered from here. Direct-mapped; a miss just recomputes. */
typedef struct au_memo {
    uint64_t key; /* kind << 62 | lo << 31 | hi, 0 = empty */
    int8_t level;
} au_memo;
#define AU_MEMO_BITS 18

struct au_resolver {
    au_model model;
    au_nick *nick;
    au_intern names, codes, ids, text;
    au_feat *f; /* indexed by record number */
    size_t nf;  /* allocated rows */
    size_t live;
    au_bindex bx;
    au_profile *p; /* indexed by profile number */
    size_t np, next_profile, live_profiles;
    uint32_t *stamp; /* per record: last candidate-collection round that saw it */
    uint32_t round;
    uint32_t *cand; /* scratch list of candidates of one record */
    size_t capcand;
    au_ovr ovr;
    uint64_t tf_n[AU_COL_COUNT]; /* non-empty values per column (TF denominators) */
    size_t expected;             /* caller's hint of the record count (import size) */
    double prior_w;              /* prior log-odds for the current population */
    au_memo *memo;               /* 1 << AU_MEMO_BITS entries; written by scoring */
    /* Settling (au_resolver_settle), per record: */
    au_adj *adj;    /* links */
    uint64_t *okey; /* hash of source and record id: the order a component is settled in */
    uint32_t *mark; /* last settle round that reached the record */
    uint32_t mark_round;
    uint32_t *dirty; /* records added or updated since the last settle */
    size_t ndirty, capdirty;
};

/* One scored pair, with the detail explain needs. */
typedef struct au_score {
    signed char level[AU_COL_COUNT]; /* -1: missing on a side or column disabled */
    float weight[AU_COL_COUNT];      /* level weight incl. TF adjustment */
    float tf[AU_COL_COUNT];          /* the TF adjustment part */
    unsigned rule;                   /* AU_RULE_* bit that fired, 0 none */
    int conflict;                    /* strong identifiers disagree: never link */
    int swapped;                     /* first/last names compared crosswise */
    int bounded;                     /* fuzzy columns skipped: total is below the floor */
    unsigned quarantined;            /* columns (1 << au_col) compared on a quarantined value */
    unsigned generic;                /* columns whose value is generic on a side: no evidence */
    unsigned negative;               /* AU_NEG_* strong negative evidence found */
    int denied;    /* an identifier agrees against disagreeing given name and birth date: the
                      pair never links by itself and goes to review */
    float penalty; /* weight taken off the total for the negative evidence */
    double total;  /* prior weight + sum of column weights */
} au_score;

/* Recomputes res->prior_w after the record count or the hint changed. */
void au_resolver_refresh_prior(au_resolver *res);
/* Fills the feature row of rec (interning). Updates TF counts when `count` is set. */
au_rc au_feat_build(au_resolver *res, const au_record *rec, au_feat *f);
void au_feat_count(au_resolver *res, const au_feat *f, int delta);
/* Blocking keys of a feature row (generic and quarantined values give none); returns how many
 * were written to keys[AU_MAX_BKEYS]. The
 * first *nstrong (when not NULL) are strong keys (birth date with an initial, identifiers,
 * contact points); the others are weak keys (phonetic name codes, address), whose blocks are
 * capped at au_weak_block_cap. */
int au_feat_block_keys(const au_resolver *res, const au_feat *f, uint64_t *keys, int *nstrong);
/* Block cap of the weak keys: a quarter of the model's block_cap (at least 2). A weak key
 * shared by more records than that is mostly shared by different people. */
static inline int au_weak_block_cap(const au_model *m)
{
    return m->block_cap / 4 > 2 ? m->block_cap / 4 : 2;
}
/* Scores records a and b; `s` may be NULL when only the total is needed. */
double au_score_pair(const au_resolver *res, const au_feat *a, const au_feat *b, au_score *s);
/* As au_score_pair, but when the pair cannot reach `floor` whatever its e-mail, phone, address
 * and city similarity, those are not computed (s->bounded set, total below floor). */
double au_score_bounded(const au_resolver *res, const au_feat *a, const au_feat *b, double floor,
                        au_score *s);
/* Starts loading the memo entries scoring a and b will probably read (a hint, no effect on
 * results): issued for the next candidate while the current one is scored. */
void au_score_prefetch(const au_resolver *res, const au_feat *a, const au_feat *b);
/* 1 when the pair links: a rule fired or the total reaches the match weight, and no conflict,
 * denial or strong negative evidence. */
int au_score_links(const au_resolver *res, const au_score *s);

/* What the resolver does with a scored pair. */
typedef enum au_decision {
    AU_DECIDE_NON_MATCH = 0, /* nothing */
    AU_DECIDE_POSSIBLE,      /* queued for review */
    AU_DECIDE_MATCH          /* linked into one profile */
} au_decision;

/* The one match decision, shared by the resolver and explain so /v1/explain cannot describe a
 * decision the resolver did not make: a manual override wins; then a link (au_score_links);
 * then a possible match when nothing conflicts and the weight w reaches possible_weight or a
 * denied (generic) value held the link back. w is the pair's total (or its bounded score). */
au_decision au_score_decide(const au_resolver *res, au_link_kind ov, const au_score *s, double w);
/* The weight a linking pair carries into a profile's support: w, raised to match_weight when a
 * rule linked it below that (a rule is as good as a match, never better). */
double au_score_link_weight(const au_resolver *res, const au_score *s, double w);
/* Strong-identifier conflict only (cheap; no scoring). */
int au_feat_conflict(const au_resolver *res, const au_feat *a, const au_feat *b);
/* 1 when a and b are clearly two people: their given names clearly differ (not swapped) and so
 * do their birth dates (or, a date missing, their surnames). */
int au_feat_distinct_people(const au_resolver *res, const au_feat *a, const au_feat *b);

/* --- strong negative evidence (score.c) -------------------------------------------------- */
enum {
    AU_NEG_SUFFIX = 1,     /* different generational suffixes (Jr / Sr, II / III) */
    AU_NEG_GENERATION = 2, /* same name and address, birth years 15+ apart: parent and child */
    AU_NEG_FAMILY = 4,     /* same surname, address and phone, different given names */
    AU_NEG_TWINS = 8       /* same surname, birth date and address, different given names */
};
/* Name of one AU_NEG_* bit ("generational_suffix", "parent_child", ...). */
const char *au_neg_name(unsigned bit);

/* --- generic values (generic.c) ---------------------------------------------------------- */
/* A generic value is held by many different people or is a known placeholder: it is no
 * evidence (weight 0), fires no rule, raises no conflict and is no blocking key. */
enum {
    AU_GEN_SEEN = 1,        /* the value was checked against the placeholder patterns */
    AU_GEN_PLACEHOLDER = 2, /* a known placeholder (000-00-0000, test@test.com, info@...) */
    AU_GEN_SHARED = 4,      /* held by records of several clearly different people */
    AU_GEN_ALWAYS = 8,      /* configured generic (matching.generic.always) */
    AU_GEN_NEVER = 16       /* configured never generic (matching.generic.never): wins */
};
#define AU_GEN_REPEAT 32 /* seen again after its first record: worth a look for sharing */
/* The top two bits: which column the value was first seen in (au_gcol - 1, with SEEN). */
#define AU_GEN_COL_SHIFT 6
/* Generic-capable columns, as stored in the column bits (0 = not seen yet). */
typedef enum {
    AU_GCOL_EMAIL = 1,
    AU_GCOL_PHONE = 2,
    AU_GCOL_NATIONAL_ID = 3,
    AU_GCOL_ADDRESS = 4
} au_gcol;
#define AU_GCOL_COUNT 5

static inline int au_gen_is(const au_intern *t, uint32_t id)
{
    uint8_t g = id ? t->gen[id] : 0;
    return (g & (AU_GEN_PLACEHOLDER | AU_GEN_SHARED | AU_GEN_ALWAYS)) && !(g & AU_GEN_NEVER);
}
/* Marks a value of column c as seen (or seen again: AU_GEN_REPEAT) and flags it when it is a
 * placeholder. Returns 1 << c when the value is generic, 0 otherwise. */
unsigned au_gen_check(au_intern *t, uint32_t id, au_gcol c);
/* The model's never / always lists into the tables' flags (at resolver creation). */
au_rc au_gen_apply_config(au_resolver *res);
/* The blocking key of a generic-capable value (the one au_feat_block_keys gives for it). */
uint64_t au_gen_block_key(au_gcol c, uint32_t id);
/* Digits of an impossible or partial date ("1996-13-02", "19153312", "1958-03", "1958"): the
 * year and up to two other numbers in their order (0 when absent); 0 when the text holds no
 * four-digit year. */
int au_gen_date_digits(const char *raw, au_date_parts *out);
/* "#" + the digits of an unusable phone when it has at least 7 of them; 0 otherwise. */
int au_gen_phone_digits(const char *raw, char *out, size_t cap);

/* Override kind recorded for (a, b). */
au_link_kind au_ovr_get(const au_ovr *o, uint32_t a, uint32_t b);

#endif
