/*
 * Internals of src/inbound: the method table of a connector kind (one file per kind,
 * registered by one line in registry.c), its declared options, and the run context through
 * which a kind hands documents to the write path (run.c). A kind only reads its system and
 * calls au_inbound_put / _delete / _commit; batching, mapping, counting, cursor persistence,
 * schedules and retries are the run's and the manager's.
 */
#ifndef AU_INBOUND_INT_H
#define AU_INBOUND_INT_H

#include <jansson.h>
#include <stdio.h>

#include "inbound/inbound.h"
#include "lib/opts.h"

/* A declared option of an inbound block: a row of the options module (src/lib/opts.h),
 * positional {name, type, required, default, min, max, help} like the flow connectors' tables.
 * Types used: AU_OPT_STRING, AU_OPT_INT (within [min, max] when min < max, else >= 0),
 * AU_OPT_BOOL, AU_OPT_MAPPING (an object), AU_OPT_STRINGS, AU_OPT_CHOICE (a string among the
 * '|'-separated words of .arg). The block is JSON (the source definition), so registry.c checks
 * the values against the rows itself. */
typedef au_opt au_inbound_opt;
/* One row: AU_INBOUND_OPT("batch", AU_OPT_INT, 0, "5000", 1, 1000000, "records per write"). */
#define AU_INBOUND_OPT(name_, type_, required_, def_, min_, max_, help_)                           \
    {                                                                                              \
        .name = (name_), .type = (type_), .required = (required_), .def = (def_), .min = (min_),   \
        .max = (max_), .help = (help_)                                                             \
    }

typedef struct au_inbound_run au_inbound_run;

/* A connector kind. */
typedef struct au_inbound_kind {
    const char *name;           /* the `kind:` value */
    const char *summary;        /* one line */
    const au_inbound_opt *opts; /* its own options (the common ones are in registry.c) */
    int continuous;             /* 1: runs continuously unless a schedule is given */
    long poll_s;                /* default poll_interval_s of a continuous run (0: 5) */
    /* Checks a table cannot state (one of table/query, a style's parameters...); may be NULL. */
    au_rc (*check)(const json_t *def, au_err *err);
    /* Per connector state (connections, an inotify watch), made once, freed by close; may be
     * NULL. */
    au_rc (*open)(const json_t *def, void **state, au_err *err);
    void (*close)(void *state);
    /* A descriptor that becomes readable when there may be new data (-1: none); may be NULL. */
    int (*watch_fd)(void *state);
    /* Pulls what is new since the cursor, calling au_inbound_put/_delete and _commit. An error
     * fails the run (the manager retries with backoff); what was committed stays. */
    au_rc (*sync)(void *state, au_inbound_run *run, au_err *err);
} au_inbound_kind;

/* The kind called `name`, NULL when none. */
const au_inbound_kind *au_inbound_kind_find(const char *name);
/* All kinds, NULL-terminated. */
extern const au_inbound_kind *const au_inbound_kinds[];

/* Records per write unless `batch` says otherwise: each batch is a commit and a cursor write,
 * so small ones cost (200,000 PostgreSQL rows: 39.7 s at 500, 11.7 s at 5000, like `aurum
 * import` of the same rows from CSV, 13.9 s, on the shared 2-core machine). */
#define AU_INBOUND_BATCH_DEFAULT 5000

/* --- the run context (run.c) ---------------------------------------------------------------- */
/* Opens a run of `source` (its inbound block `def`, borrowed) on engine e: acquires the source,
 * reads the persisted cursor. progress: where progress lines go (NULL: none). */
AU_MUST_USE au_rc au_inbound_run_new(au_engine *e, const char *source, const json_t *def,
                                     FILE *progress, au_inbound_run **out, au_err *err);
/* Flushes nothing: what was not committed is dropped (the cursor was not advanced past it). */
void au_inbound_run_free(au_inbound_run *r);
/* A copy of the counts so far and, when refusal is not NULL, the reason of the last refused
 * document ("" when none) in refusal[cap]. Safe from any thread while the run goes on. */
void au_inbound_run_counts(au_inbound_run *r, au_inbound_counts *out, char *refusal, size_t cap);
/* Makes au_inbound_stopping answer 1 (another thread may call it). */
void au_inbound_run_cancel(au_inbound_run *r);

const char *au_inbound_source(const au_inbound_run *r);
const json_t *au_inbound_def(const au_inbound_run *r);
au_engine *au_inbound_engine(const au_inbound_run *r);
/* The persisted cursor (borrowed, NULL when none yet); updated by au_inbound_commit. */
const char *au_inbound_cursor(const au_inbound_run *r);
/* 1 when the run should end early (daemon stopping). */
int au_inbound_stopping(const au_inbound_run *r);
/* The source field holding the record id (the definition's record_id; new string, au_free). */
char *au_inbound_id_field(au_inbound_run *r);
/* 1 when the run shows progress (aurum sync on a terminal), for kinds with their own. */
int au_inbound_progress_on(const au_inbound_run *r);
/* Records per batch (the block's `batch`). */
size_t au_inbound_batch(const au_inbound_run *r);
/* The value of secret `name` from the secrets store (new string, au_free); AU_ERR_NOT_FOUND. */
AU_MUST_USE au_rc au_inbound_secret(au_inbound_run *r, const char *name, char **value, au_err *err);

/* Maps doc (borrowed) and queues it; a refused document is counted (and logged), not an
 * error. A full batch is written. Errors only when the write path failed. */
AU_MUST_USE au_rc au_inbound_put(au_inbound_run *r, const json_t *doc, au_err *err);
/* au_inbound_put, or, when deleted_field (may be NULL) holds a true value in doc, deletes the
 * record named by doc's record id field. */
AU_MUST_USE au_rc au_inbound_put_or_delete(au_inbound_run *r, const json_t *doc,
                                           const char *deleted_field, au_err *err);
/* Counts a document that could not even be read (not JSON...) as read and refused. */
void au_inbound_refuse(au_inbound_run *r, const char *reason);
/* Deletes record_id (after writing what is queued); an absent record is not an error. */
AU_MUST_USE au_rc au_inbound_delete(au_inbound_run *r, const char *record_id, au_err *err);
/* Writes what is queued, waits for its commit, then persists `cursor` (NULL: unchanged). */
AU_MUST_USE au_rc au_inbound_commit(au_inbound_run *r, const char *cursor, au_err *err);
/* Adds counts made elsewhere (the file drop imports through src/ingest). */
void au_inbound_add_counts(au_inbound_run *r, const au_inbound_counts *c);
/* Runs fn on the writer (au_engine_call) with the run's origin. */
AU_MUST_USE au_rc au_inbound_call(au_inbound_run *r, au_engine_call_fn fn, void *ctx, au_err *err);

/* The persisted cursor and state (JSON text) of source (each new, au_free; NULL when none). */
AU_MUST_USE au_rc au_inbound_load(au_engine *e, const char *source, char **cursor, char **state);
/* Persists them through the writer; NULL keeps the stored value. */
AU_MUST_USE au_rc au_inbound_persist(au_engine *e, const char *source, const char *cursor,
                                     const char *state, au_err *err);

/* Helpers for kinds: a string option (NULL when absent), an integer with a default, a bool. */
const char *au_inbound_str(const json_t *def, const char *key);
long au_inbound_int(const json_t *def, const char *key, long dflt);
int au_inbound_bool(const json_t *def, const char *key, int dflt);
/* The value at a dotted path ("meta.next") of j, NULL when absent; "" or NULL path: j. */
const json_t *au_inbound_path(const json_t *j, const char *path);
/* 1 when a soft-delete marker says deleted: true, a non-zero number, a non-empty string other
 * than "f", "false", "0", "no", "n". null and absent are not deleted. */
int au_inbound_truthy(const json_t *v);

#endif
