/*
 * Batch import of CSV or JSON Lines files into a source: each row becomes a source document,
 * is mapped and normalised (au_source_map) and written in batches through the engine, or, in
 * remote mode, POSTed to a running daemon. Rejected rows never stop an import: they are counted
 * and the first few are kept with file, line, record id, field and reason. `aurum import` is a
 * thin shell over this module, so tests drive it directly.
 */
#ifndef AU_IMPORT_H
#define AU_IMPORT_H

#include <stdio.h>

#include "core/engine.h"
#include "lib/rc.h"

/* Rejections and quarantined values kept for the summary; the rest are only counted. */
#define AU_IMPORT_MAX_REJECTS  20
#define AU_IMPORT_MAX_WARNINGS 20

typedef enum { AU_IMPORT_AUTO, AU_IMPORT_CSV, AU_IMPORT_JSONL } au_import_format;

typedef struct au_import_opts {
    const char *source;      /* source name (required) */
    au_import_format format; /* AUTO: from the extension (.jsonl/.ndjson: JSONL, else CSV) */
    size_t batch;            /* records per write batch, 0 = 4096 */
    au_engine *engine;       /* local mode: write through this engine (borrowed) */
    const char *server;      /* remote mode (engine NULL): base URL of a running daemon */
    const char *key;         /* remote mode: API key sent as a Bearer token */
    int progress;            /* draw a progress line on stderr when it is a terminal */
    int workers;             /* local mode: threads that parse, map, normalise and serialise
                                rows (1: the calling thread does it); 0 = the online cores
                                less one (the writer's), at least 1 */
} au_import_opts;

/* One rejected row, or one quarantined value. Strings owned by the summary. */
typedef struct au_import_reject {
    char *file;      /* input file name */
    long line;       /* line where the row starts */
    char *record_id; /* NULL when unknown */
    char *field;     /* NULL when not one field */
    char *value;     /* the quarantined raw value; NULL for a rejection */
    char *reason;
} au_import_reject;

/* Totals over one or more files. Caller-allocated: au_import_summary_init / _cleanup. */
typedef struct au_import_summary {
    long read, inserted, updated, unchanged, rejected;
    long quarantined;         /* values kept raw with a reason (records still imported) */
    long quarantined_records; /* records holding at least one */
    double seconds;
    au_import_reject rejects[AU_IMPORT_MAX_REJECTS];
    size_t nrejects;
    au_import_reject warnings[AU_IMPORT_MAX_WARNINGS]; /* the first quarantined values */
    size_t nwarnings;
} au_import_summary;

void au_import_summary_init(au_import_summary *s);
void au_import_summary_cleanup(au_import_summary *s);
/* The end-of-import report: counts, time, rate, "imported N records; M values quarantined in
 * K records" with the first quarantined values, and the kept rejections. */
void au_import_summary_print(FILE *f, const au_import_summary *s);

/* Imports one file, adding to sum. Returns AU_OK even when rows were rejected; an error only
 * when the import could not go on (unknown source, unreadable file, store or server failure),
 * with err set; rows already acknowledged stay written. */
au_rc au_import_file(const au_import_opts *o, const char *path, au_import_summary *sum,
                     au_err *err);

#endif
