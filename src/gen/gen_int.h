/*
 * Internals of the data generator shared by its files: the PRNG (xoshiro256** seeded through
 * splitmix64, so output never depends on libc's rand()), the built-in name/address lists and
 * the weighted pickers over them. Nothing here is part of the public contract (gen.h).
 */
#ifndef AU_GEN_INT_H
#define AU_GEN_INT_H

#include <stddef.h>
#include <stdint.h>

/* ---- PRNG ---- */

typedef struct au_gen_rng {
    uint64_t s[4]; /* xoshiro256** state, never all zero */
} au_gen_rng;

static inline uint64_t au_gen_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Seeds a stream from a seed and a stream number (household, person, purpose), so that each
 * stream is independent of how much the others consumed. */
static inline void au_gen_rng_seed(au_gen_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = au_gen_splitmix(&x);
}

static inline uint64_t au_gen_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t au_gen_next(au_gen_rng *r)
{
    uint64_t *s = r->s;
    uint64_t res = au_gen_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = au_gen_rotl(s[3], 45);
    return res;
}

/* Uniform in [0, n); n > 0. The multiply-shift bias is far below anything a test can see. */
static inline uint32_t au_gen_below(au_gen_rng *r, uint32_t n)
{
    return (uint32_t)(((au_gen_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform double in [0, 1). */
static inline double au_gen_unit(au_gen_rng *r)
{
    return (double)(au_gen_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline int au_gen_chance(au_gen_rng *r, double p)
{
    return au_gen_unit(r) < p;
}

/* ---- built-in lists (lists.c) ---- */

typedef struct au_gen_wname {
    const char *name; /* UTF-8 */
    unsigned weight;  /* relative frequency */
} au_gen_wname;

typedef struct au_gen_nick {
    const char *formal; /* must appear in the first-name lists */
    const char *nick;
} au_gen_nick;

typedef struct au_gen_town {
    const char *name;      /* post town */
    const char *pc_area;   /* postcode area letters, "LS" */
    unsigned pc_districts; /* districts 1..n exist */
    const char *area_code; /* national significant prefix of landlines, "113" */
    const char *drama;     /* Ofcom drama-range exchange after the area code, "4960", or NULL */
    unsigned weight;       /* relative population */
} au_gen_town;

extern const au_gen_wname au_gen_male[], au_gen_female[], au_gen_surnames[];
extern const size_t au_gen_nmale, au_gen_nfemale, au_gen_nsurnames;
extern const au_gen_nick au_gen_nicks[];
extern const size_t au_gen_nnicks;
extern const char *const au_gen_streets[], *const au_gen_street_types[];
extern const size_t au_gen_nstreets, au_gen_nstreet_types;
extern const au_gen_town au_gen_towns[];
extern const size_t au_gen_ntowns;
extern const au_gen_wname au_gen_mail_domains[];
extern const size_t au_gen_nmail_domains;
extern const char *const au_gen_work_domains[];
extern const size_t au_gen_nwork_domains;
extern const char *const au_gen_ticket_subjects[];
extern const size_t au_gen_nticket_subjects;
extern const char *const au_gen_products[];
extern const size_t au_gen_nproducts;

/* Cumulative weights for O(log n) weighted picks; built once per run, owned by the caller. */
typedef struct au_gen_cdf {
    uint64_t *cum; /* cum[i] = sum of weights 0..i */
    size_t n;
} au_gen_cdf;

int au_gen_cdf_init(au_gen_cdf *c, const au_gen_wname *names, size_t n);
int au_gen_cdf_init_towns(au_gen_cdf *c);
void au_gen_cdf_cleanup(au_gen_cdf *c);
size_t au_gen_cdf_pick(const au_gen_cdf *c, au_gen_rng *r);

#endif

/* ---- people and households (person.c) ---- */

/* A postal address as it really is; systems render it differently. */
typedef struct au_gen_addr {
    unsigned flat;      /* 0: none */
    unsigned house;     /* house number */
    const char *street; /* "High" */
    const char *stype;  /* "Street" */
    unsigned town;      /* index into au_gen_towns (GB), or into the foreign places */
    char postcode[10];  /* "LS6 2AB" */
    unsigned abroad;    /* 0: GB; else 1 + index into au_gen_foreign (traps.c) */
} au_gen_addr;

/* A phone number as national significant digits plus the length of its area code. */
typedef struct au_gen_phone {
    char nsn[24];     /* "7700900123", "" when absent */
    unsigned arealen; /* 4 for mobiles, 2..4 for landlines */
    unsigned abroad;  /* 0: GB number; else 1 + index into au_gen_foreign (traps.c) */
} au_gen_phone;

/* The truth about one person: what every system's record is a noisy view of. */
typedef struct au_gen_person {
    long pid;              /* 0-based person number; truth ids are P%08ld of pid + 1 */
    int female;            /* 1 female, 0 male */
    const char *first;     /* from the lists (static storage) */
    const char *middle;    /* NULL when none */
    const char *last;      /* surname */
    unsigned first_idx;    /* index in its gender's list, for nicknames */
    int y, m, d;           /* date of birth */
    au_gen_addr addr;      /* current address */
    au_gen_addr old;       /* previous address when moved */
    int moved;             /* old is valid */
    au_gen_phone mobile;   /* own mobile, may be empty */
    au_gen_phone landline; /* household landline, may be empty */
    char email[96];        /* personal e-mail, "" when none */
    char email2[96];       /* work e-mail, "" when none */
    int twin;              /* 1 for both twins of a pair */
    /* Set only with traps (au_gen_traps_household); zero otherwise. */
    char nid[12];             /* National Insurance number "AB123456C", "" when none known */
    const char *suffix;       /* "Jr", "Sr", "III" or NULL */
    long company;             /* 1 + employer number, 0 none; staff share its role e-mail */
    au_gen_phone head_mobile; /* the household head's mobile (family members use it) */
    uint64_t tags;            /* person-level trap bits (1 << au_gen_trap) */
} au_gen_person;

/* Read-only lookup tables built once per run (no globals). */
typedef struct au_gen_tables {
    au_gen_cdf male, female, surnames, towns, domains;
    unsigned *nick_start[2]; /* per first-name index (0 male, 1 female): first nickname row */
    unsigned *nick_count[2]; /* and how many */
    long people_total;       /* for the width of unique e-mail suffixes */
    uint64_t seed;
    int traps; /* overlay the person-level traps (au_gen_traps_household) */
} au_gen_tables;

int au_gen_tables_init(au_gen_tables *t, uint64_t seed, long people_total);
void au_gen_tables_cleanup(au_gen_tables *t);

#define AU_GEN_MAX_HOUSEHOLD 4
/* Generates household number h; its members get person numbers first_pid, first_pid + 1, ...
 * Returns how many people were written to out (1..max). Pure function of (seed, h, first_pid,
 * max). */
int au_gen_household(const au_gen_tables *t, long h, long first_pid, au_gen_person *out, int max);

/* A personal e-mail for pe at domain (pattern from r; the number from pid and salt keeps it
 * unique to the person). */
void au_gen_make_email(const au_gen_tables *t, au_gen_rng *r, const au_gen_person *pe, char *dst,
                       size_t cap, const char *domain, uint64_t salt);

/* Per-row scratch memory: strings made while rendering one record. Reset per row. */
typedef struct au_gen_pool {
    char buf[8192];
    size_t used;
} au_gen_pool;

const char *au_gen_pool_dup(au_gen_pool *p, const char *s, size_t n);
/* Typing errors: insert, delete, transpose or substitute (keyboard neighbours preferred). */
const char *au_gen_typo(au_gen_pool *p, au_gen_rng *r, const char *s);
/* Drops the diacritics the lists use (é -> e), as systems with ASCII-only fields do. */
const char *au_gen_fold(au_gen_pool *p, const char *s);
/* ASCII and Latin-1 letters upper-cased. */
const char *au_gen_upper(au_gen_pool *p, const char *s);
const char *au_gen_lower(au_gen_pool *p, const char *s);
/* A nickname of the person's first name, or NULL when none is known. */
const char *au_gen_nickname(const au_gen_tables *t, const au_gen_person *pe, au_gen_rng *r);

/* Phone renderings of the same number. */
typedef enum {
    AU_GEN_PH_INTL_SPACED, /* +44 20 7946 0123 */
    AU_GEN_PH_E164,        /* +442079460123 */
    AU_GEN_PH_NATIONAL,    /* 020 79460123 */
    AU_GEN_PH_NATIONAL_SP, /* 020 7946 0123 */
    AU_GEN_PH_00,          /* 0044 20 7946 0123 */
    AU_GEN_PH_DIGITS,      /* 02079460123 */
    AU_GEN_PH_PARENS       /* (020) 7946 0123 */
} au_gen_phone_style;
/* Foreign numbers (ph->abroad) come out in their own country's international or national form:
 * the international styles give "+49 30 1234567", the national ones "030 1234567". */
const char *au_gen_phone_fmt(au_gen_pool *p, const au_gen_phone *ph, au_gen_phone_style st);

/* ---- traps (traps.c): the dirty values and hard cases of `--traps` ---- */

#define AU_GEN_TAG(t) (1ULL << (t))

/* A foreign country of residence or phone: how its numbers, addresses and name are written. */
typedef struct au_gen_foreign {
    const char *iso;      /* "DE" */
    const char *cc;       /* calling code "49" */
    const char *trunk;    /* national prefix "0", or "" where there is none */
    const char *prefix;   /* fixed leading digits of the generated numbers, "30" */
    unsigned digits;      /* subscriber digits after the prefix */
    const char *city;     /* "Berlin" */
    const char *street;   /* "Hauptstraße" */
    int number_after;     /* "Hauptstraße 12" rather than "12 Main Street" */
    const char *pc_fmt;   /* postcode pattern: 9 a digit, A a letter, others as is */
    const char *names[4]; /* how customers write the country; names[0] is the proper one */
    unsigned weight;      /* relative share among foreign customers */
} au_gen_foreign;

extern const au_gen_foreign au_gen_foreign_list[];
extern const size_t au_gen_nforeign;

/* Overlays the person-level traps on a generated household (fathers and sons of one name,
 * foreign phones, people abroad, employers, national ids) from its own PRNG stream, so the
 * household's other values are those of the clean set. */
void au_gen_traps_household(const au_gen_tables *t, long h, au_gen_person *pe, int n);
/* The person's own National Insurance number ("AB123456C"), unique to pid. */
void au_gen_nino(long pid, char *dst, size_t cap);
/* The employer's domain "<name>-<kind>.co.uk" and role local part ("info"), from its number. */
void au_gen_company_email(long company, char *dst, size_t cap);
