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
    /* Called about every 64k people and once at the end; may be NULL. */
    void (*progress)(void *ctx, long people_done, long people_total, long rows);
    void *progress_ctx;
} au_gen_opts;

typedef struct au_gen_stats {
    long people;                /* distinct people written */
    long rows[AU_GEN_NSYSTEMS]; /* records per system (multi-source) */
    long total_rows;            /* records in all source files */
    long duplicate_rows;        /* records of a person already present in the same source */
    long events;                /* lines in events.jsonl */
    int files;                  /* files written */
} au_gen_stats;

/* Sets the defaults (seed 1, CSV, GB, default dup rate). */
void au_gen_opts_init(au_gen_opts *o);
/* Generates everything into o->out_dir. Bad options give AU_ERR_INVALID naming the option;
 * write failures AU_ERR_IO naming the file. stats may be NULL. */
au_rc au_gen_run(const au_gen_opts *o, au_gen_stats *stats, au_err *err);
/* "crm", "webshop", ... */
const char *au_gen_system_name(au_gen_system s);

#endif
