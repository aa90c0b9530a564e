/*
 * The data generator behind `aurum gen`: deterministic, realistic customer data with ground
 * truth, for tests, the Northwind demo and benchmarks. The same options and seed always give
 * byte-identical files, because every random choice comes from the generator's own PRNG streams
 * (one per household and purpose), never from libc.
 *
 * Multi-source mode writes the six Northwind systems (crm, webshop, pos, billing, collections,
 * support), each with its own layout, plus truth.csv (source,record_id,person_id), northwind.yaml
 * (the `sources:` mapping of every system onto the canonical attributes) and, with events,
 * events.jsonl. Single-source mode writes people.csv (a CRM-like export in which a share of the
 * rows are duplicates of earlier people), truth.csv and people.yaml, for benchmarks.
 */
#ifndef AU_GEN_H
#define AU_GEN_H

#include <stdint.h>

#include "lib/rc.h"

typedef enum { AU_GEN_CSV, AU_GEN_JSONL } au_gen_format;

/* The Northwind systems, in file order. */
typedef enum {
    AU_GEN_CRM,
    AU_GEN_WEBSHOP,
    AU_GEN_POS,
    AU_GEN_BILLING,
    AU_GEN_COLLECTIONS,
    AU_GEN_SUPPORT,
    AU_GEN_NSYSTEMS
} au_gen_system;

#define AU_GEN_MIN_PEOPLE 1
#define AU_GEN_MAX_PEOPLE 10000000L

typedef struct au_gen_opts {
    const char *out_dir;  /* created if missing; existing files are overwritten */
    long people;          /* distinct people (multi-source), or 0 in single-source with records */
    long records;         /* single-source: total rows (0: derived from people and dup_rate) */
    uint64_t seed;        /* same seed + options -> same bytes */
    au_gen_format format; /* of the source files; truth is always CSV */
    int events;           /* also write events.jsonl (multi-source only) */
    int single_source;    /* people.csv instead of the six systems */
    double dup_rate;      /* <0: default. Multi-source: chance that a person present in a system
                             has a second account there (default 0.05). Single-source: share of
                             rows that repeat an earlier person (default 0.30) */
    const char *country;  /* ISO alpha-2 of the data; only "GB" lists are built in */
    int traps;            /* multi-source: also put the dirty values and hard cases of real
                             customer data into the records (AU_GEN_TRAP_LIST), adds the country
                             and national id columns, and writes traps.csv */
    /* Called about every 64k people and once at the end; may be NULL. */
    void (*progress)(void *ctx, long people_done, long people_total, long rows);
    void *progress_ctx;
} au_gen_opts;

/* The kinds of trap `--traps` sets, each listed per record in traps.csv: the dirty values of
 * real systems and the hard cases of identity resolution, plus the ordinary noise (nickname,
 * typo, ...) so that an evaluation can say which kind a false merge or a missed link carries.
 * X(ID, name, what it is). */
#define AU_GEN_TRAP_LIST(X)                                                                        \
    X(DOB_2DIGIT_YEAR, "dob_2digit_year", "date of birth with a two-digit year: 12/11/70")         \
    X(DOB_IMPOSSIBLE, "dob_impossible", "impossible month or day: 1996-13-02, 19153312")           \
    X(DOB_BEFORE_1900, "dob_before_1900", "century slip: 1858-04-12 for 1958-04-12, 1058")         \
    X(DOB_PLACEHOLDER, "dob_placeholder", "placeholder date of birth 1900-01-01")                  \
    X(DOB_PARTIAL, "dob_partial", "year or year and month only: 1958, 1958-03, 19580300")          \
    X(DOB_KEYING, "dob_keying", "day and month swapped or a day off by one")                       \
    X(EMAIL_DISPLAY_NAME, "email_display_name", "e-mail with a display name: \"Bob\" <b@x.com>")   \
    X(EMAIL_ROLE, "email_role", "the shared role e-mail of the person's employer: info@, sales@")  \
    X(EMAIL_PLACEHOLDER, "email_placeholder", "placeholder e-mail: test@test.com, noemail@...")    \
    X(EMAIL_WORK, "email_work", "the person's own work e-mail instead of the personal one")        \
    X(ID_REUSED, "id_reused", "national id of another customer, keyed by mistake")                 \
    X(ID_PLACEHOLDER, "id_placeholder", "placeholder national id: 000-00-0000, 123456789")         \
    X(PHONE_FOREIGN, "phone_foreign", "foreign number, international form: +49 30 12345678")       \
    X(PHONE_FOREIGN_NATIONAL, "phone_foreign_national",                                            \
      "foreign number in its national form in a GB source: 030 12345678, (212) 555-0134")          \
    X(PHONE_FAMILY, "phone_family", "the household head's mobile on a family member's record")     \
    X(COUNTRY_ALIAS, "country_alias",                                                              \
      "country alias or misspelling: UK, Deutschland, Lichtenstein")                               \
    X(NAME_TITLE, "name_title", "title in a name field: Dr, Mrs, Prof")                            \
    X(NAME_SUFFIX, "name_suffix", "suffix in a name field: Jr, Sr, III")                           \
    X(NICKNAME, "nickname", "nickname for the first name: Bob for Robert")                         \
    X(TYPO, "typo", "one-edit typing error in the first or last name")                             \
    X(SWAPPED_NAMES, "swapped_names", "first and last name the wrong way round")                   \
    X(OLD_ADDRESS, "old_address", "the address the person moved away from")                        \
    X(SECOND_ACCOUNT, "second_account", "second account of the person in the same system")         \
    X(ABROAD, "abroad", "the person lives abroad: foreign address and country")                    \
    X(HOUSEHOLD, "household", "shares address and landline with other customers")                  \
    X(TWIN, "twin", "one of twins: same surname, birth date and address")                          \
    X(JR_SR, "jr_sr", "father and son of the same name at one address, Sr and Jr")                 \
    X(COMPANY_STAFF, "company_staff", "works where other customers work (shared role e-mail)")

typedef enum {
#define AU_GEN_TRAP_ENUM(id, name, what) AU_GEN_TRAP_##id,
    AU_GEN_TRAP_LIST(AU_GEN_TRAP_ENUM)
#undef AU_GEN_TRAP_ENUM
        AU_GEN_NTRAPS
} au_gen_trap;

typedef struct au_gen_stats {
    long people;                /* distinct people written */
    long rows[AU_GEN_NSYSTEMS]; /* records per system (multi-source) */
    long total_rows;            /* records in all source files */
    long duplicate_rows;        /* records of a person already present in the same source */
    long events;                /* lines in events.jsonl */
    long trap_rows;             /* records with at least one dirty value (not mere noise) */
    long traps[AU_GEN_NTRAPS];  /* records carrying each kind (--traps) */
    int files;                  /* files written */
} au_gen_stats;

/* Sets the defaults (seed 1, CSV, GB, default dup rate). */
void au_gen_opts_init(au_gen_opts *o);
/* Generates everything into o->out_dir. Bad options give AU_ERR_INVALID naming the option;
 * write failures AU_ERR_IO naming the file. stats may be NULL. */
au_rc au_gen_run(const au_gen_opts *o, au_gen_stats *stats, au_err *err);
/* "crm", "webshop", ... */
const char *au_gen_system_name(au_gen_system s);
/* "dob_2digit_year", ... (the names in traps.csv), and what the trap is; "?" when out of range. */
const char *au_gen_trap_name(au_gen_trap t);
const char *au_gen_trap_what(au_gen_trap t);

#endif
