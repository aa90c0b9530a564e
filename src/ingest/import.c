/*
 * Import pipeline: read a row, turn it into a source document, map it, batch it. In local mode
 * the work is split in three stages on their own threads. The calling thread reads the file
 * (CSV rows into documents; JSON Lines lines copied as they are) in chunks of rows; `workers`
 * threads (lib/workq.h) parse, map, normalise and serialise the chunks in parallel
 * (au_source_map, au_engine_prepare_records: pure per-record work that needs no store); the
 * calling thread takes the chunks back in file order, counts and keeps rejections and
 * quarantined values, fills batches and queues them to the engine's single writer, which only
 * applies and commits (au_engine_queue). Because chunks come back in file order, the batches,
 * the writer's input and every count are the same whatever the number of workers; with one
 * worker the chunk is prepared on the calling thread (no queue). Up to four batches are in
 * flight, the oldest is waited for before a fifth is queued, so memory stays bounded; the writer
 * folds the batches waiting into one transaction (bulk jobs, see engine.c), so a commit rewrites
 * the randomly keyed index pages once per ~32 k records. In remote mode batches are POSTed as
 * JSON arrays; a batch the server refuses with per-record details is resent without the named
 * records (those are reported as rejected), so one bad row does not sink its 4095 neighbours.
 */
#include "ingest/import.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/array.h"
#include "lib/buf.h"
#include "lib/csv.h"
#include "lib/lines.h"
#include "lib/progress.h"
#include "lib/workq.h"
#include "profile/profiles.h"

#define AU_IMPORT_BATCH 4096
/* Local batches are larger: with two in flight the writer commits ~16k records at a time, and
 * each commit rewrites every index page it dirtied, so fewer commits cost measurably less
 * (about 10 % of the import's CPU against 4096, for ~55 MB more peak memory). */
#define AU_IMPORT_BATCH_LOCAL 8192
/* Longest JSON Lines line accepted. */
#define AU_IMPORT_MAX_LINE (1 << 20)
/* Largest server response read. */
#define AU_IMPORT_MAX_RESPONSE (16 << 20)
#define AU_IMPORT_INFLIGHT     4
/* Rows per chunk handed to a worker: large enough that the queue's lock and wake-ups are rare
 * (one per 256 rows), small enough that the first chunks keep every worker busy at once. */
#define AU_IMPORT_CHUNK 256
/* Chunks in the work queue per worker: one being prepared, one ready, one being read. */
#define AU_IMPORT_CHUNKS_PER_WORKER 3
/* Most workers --workers accepts, and most a default takes from the online cores. */
#define AU_IMPORT_MAX_WORKERS  64
#define AU_IMPORT_AUTO_WORKERS 8

void au_import_summary_init(au_import_summary *s)
{
    memset(s, 0, sizeof *s);
}

static void entry_cleanup(au_import_reject *r)
{
    au_free(r->file);
    au_free(r->record_id);
    au_free(r->field);
    au_free(r->value);
    au_free(r->reason);
}

void au_import_summary_cleanup(au_import_summary *s)
{
    for (size_t i = 0; i < s->nrejects; i++)
        entry_cleanup(&s->rejects[i]);
    for (size_t i = 0; i < s->nwarnings; i++)
        entry_cleanup(&s->warnings[i]);
    s->nrejects = s->nwarnings = 0;
}

static void print_warnings(FILE *f, const au_import_summary *s)
{
    long imported = s->inserted + s->updated + s->unchanged;
    fprintf(f, "imported %ld record%s; %ld value%s quarantined in %ld record%s\n", imported,
            imported == 1 ? "" : "s", s->quarantined, s->quarantined == 1 ? "" : "s",
            s->quarantined_records, s->quarantined_records == 1 ? "" : "s");
    if (s->nwarnings && s->quarantined > (long)s->nwarnings)
        fprintf(f, "quarantined values (first %zu):\n", s->nwarnings);
    else if (s->nwarnings)
        fprintf(f, "quarantined values:\n");
    for (size_t i = 0; i < s->nwarnings; i++) {
        const au_import_reject *w = &s->warnings[i];
        fprintf(f, "  %s:%ld: record %s, field %s: '%.80s': %s\n", w->file, w->line,
                w->record_id ? w->record_id : "?", w->field ? w->field : "?",
                w->value ? w->value : "", w->reason);
    }
}

void au_import_summary_print(FILE *f, const au_import_summary *s)
{
    double rate = s->seconds > 0 ? (double)s->read / s->seconds : 0;
    fprintf(f,
            "read %ld, inserted %ld, updated %ld, unchanged %ld, rejected %ld in %.2f s "
            "(%.0f records/s)\n",
            s->read, s->inserted, s->updated, s->unchanged, s->rejected, s->seconds, rate);
    print_warnings(f, s);
    if (s->nrejects && s->rejected > (long)s->nrejects)
        fprintf(f, "rejected records (first %zu details):\n", s->nrejects);
    else if (s->nrejects)
        fprintf(f, "rejected records:\n");
    for (size_t i = 0; i < s->nrejects; i++) {
        const au_import_reject *r = &s->rejects[i];
        fprintf(f, "  %s:%ld: record %s%s%s: %s\n", r->file, r->line,
                r->record_id ? r->record_id : "?", r->field ? ", field " : "",
                r->field ? r->field : "", r->reason);
    }
}

/* --- readers ------------------------------------------------------------------------------- */

typedef struct reader {
    au_import_format fmt;
    int fd;
    au_csv *csv;
    au_lines *lines;
    size_t total; /* file size, 0 when unknown (a pipe) */
} reader;

static au_import_format format_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot &&
        (strcmp(dot, ".jsonl") == 0 || strcmp(dot, ".ndjson") == 0 || strcmp(dot, ".json") == 0))
        return AU_IMPORT_JSONL;
    return AU_IMPORT_CSV;
}

static au_rc reader_open(reader *r, const char *path, au_import_format fmt, au_err *err)
{
    memset(r, 0, sizeof *r);
    r->fmt = fmt == AU_IMPORT_AUTO ? format_of(path) : fmt;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0)
        return au_err_set(err, AU_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(r->fd, &st) == 0 && S_ISREG(st.st_mode))
        r->total = (size_t)st.st_size;
    posix_fadvise(r->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    au_rc rc;
    if (r->fmt == AU_IMPORT_JSONL)
        return au_lines_open_fd(r->fd, AU_IMPORT_MAX_LINE, &r->lines);
    if ((rc = au_csv_open_fd(r->fd, NULL, &r->csv)))
        return rc;
    if ((rc = au_csv_read_header(r->csv, err)) && rc != AU_ERR_NOMEM) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "");
        return au_err_set(err, rc, "%s: %s", path, msg);
    }
    for (size_t i = 0; !rc && i < au_csv_header_count(r->csv); i++) {
        const char *h = au_csv_header_name(r->csv, i);
        if (!au_utf8_valid(h, strlen(h)))
            rc = au_err_set(err, AU_ERR_ENCODING, "%s: header field %zu is not valid UTF-8", path,
                            i + 1);
    }
    return rc;
}

static void reader_close(reader *r)
{
    au_csv_free(r->csv);
    au_lines_free(r->lines);
    if (r->fd >= 0)
        close(r->fd);
}

static size_t reader_bytes(const reader *r)
{
    return r->csv ? au_csv_bytes_read(r->csv) : r->lines ? au_lines_bytes_read(r->lines) : 0;
}

/* A CSV row as a document {header name: field}. */
static au_rc csv_doc(reader *r, const au_csv_row *row, json_t **doc, au_err *err)
{
    json_t *o = json_object();
    if (!o)
        return AU_ERR_NOMEM;
    for (size_t i = 0; i < row->nfields; i++) {
        json_t *v = json_stringn(row->fields[i], row->lens[i]);
        if (!v) {
            json_decref(o);
            au_err_detail_add(err, -1, NULL, au_csv_header_name(r->csv, i), "not valid UTF-8");
            return au_err_set(err, AU_ERR_ENCODING, "field %s is not valid UTF-8",
                              au_csv_header_name(r->csv, i));
        }
        if (json_object_set_new_nocheck(o, au_csv_header_name(r->csv, i), v)) {
            json_decref(o);
            return AU_ERR_NOMEM;
        }
    }
    *doc = o;
    return AU_OK;
}

static au_rc jsonl_doc(const char *s, size_t n, json_t **doc, au_err *err)
{
    json_error_t je;
    json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return au_err_set(err, AU_ERR_PARSE, "column %d: %s", je.column, je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return au_err_set(err, AU_ERR_INVALID, "expected a JSON object");
    }
    *doc = j;
    return AU_OK;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

/* Next non-blank JSON Lines line, without a leading byte order mark; valid until the next
 * call. */
static au_rc lines_next(reader *r, const char **s, size_t *n, long *line, int *eof, au_err *err)
{
    for (;;) {
        au_rc rc = au_lines_next(r->lines, s, n, line, eof, err);
        if (rc || *eof)
            return rc;
        if (*line == 1 && *n >= 3 && memcmp(*s, "\xEF\xBB\xBF", 3) == 0) {
            *s += 3; /* a UTF-8 byte order mark */
            *n -= 3;
        }
        if (!blank(*s, *n))
            return AU_OK;
    }
}

/* Next document. AU_OK with *doc or *eof; a row-level error (the row is rejected, reading goes
 * on) has *line set; AU_ERR_IO and AU_ERR_NOMEM are fatal. With raw not NULL a JSON Lines line
 * is not parsed here but copied to *raw (au_free) and *nraw, for a worker to parse. */
static au_rc reader_next(reader *r, json_t **doc, char **raw, size_t *nraw, long *line, int *eof,
                         au_err *err)
{
    *doc = NULL;
    *eof = 0;
    if (r->csv) {
        au_csv_row row;
        au_rc rc = au_csv_next_record(r->csv, &row, err);
        *line = row.line;
        if (rc || row.eof) {
            *eof = row.eof;
            return rc;
        }
        return csv_doc(r, &row, doc, err);
    }
    const char *s;
    size_t n;
    au_rc rc = lines_next(r, &s, &n, line, eof, err);
    if (rc || *eof)
        return rc;
    if (!raw)
        return jsonl_doc(s, n, doc, err);
    *nraw = n;
    return (*raw = au_strndup(s, n)) ? AU_OK : AU_ERR_NOMEM;
}

static int fatal(au_rc rc)
{
    return rc == AU_ERR_IO || rc == AU_ERR_NOMEM;
}

/* --- the import -------------------------------------------------------------------------- */

/* One row of the file on its way through the local pipeline. The reader fills doc or raw (or
 * err, for a row it could not read); a worker turns them into rec and text (or err); the
 * consumer hands rec and text on to a batch or reports err. */
typedef struct row {
    long line;      /* where the row starts in the file */
    long index;     /* position among the file's rows (names the row in mapping errors) */
    json_t *doc;    /* CSV: the row as a document, owned; released by the worker */
    char *raw;      /* JSON Lines: the line as read, owned (au_free); parsed by the worker */
    size_t nraw;    /* its length */
    int unread;     /* the reader refused the row: err says why, no worker touches it */
    au_rc rc;       /* worker: AU_OK, or why the row is refused (err) or the import stops */
    au_err err;     /* the refusal (au_err_cleanup) */
    au_record *rec; /* mapped record, owned until moved to the batch */
    char *text;     /* its compact document (au_engine_prepare_records), owned likewise */
} row;

/* Rows handed to a worker as one unit, so the queue is locked once per AU_IMPORT_CHUNK rows. */
typedef struct chunk {
    row rows[AU_IMPORT_CHUNK]; /* rows[0..n) are filled */
    size_t n;
} chunk;

typedef struct importer {
    const au_import_opts *o;
    const au_source *src; /* local mode; read by the workers too (read-only) */
    const char *path;
    char *origin;
    au_import_summary *sum;
    size_t batch_max;
    au_workq *wq;     /* local mode with more than one worker: chunks being prepared */
    int bulk;         /* local: the identifier index is built when the import ends */
    au_record **recs; /* local: the batch being filled, owned until queued */
    char **texts;     /* local: their compact documents, owned likewise */
    size_t nrecs;     /* records in the batch */
    au_write_job *jobs[AU_IMPORT_INFLIGHT]; /* oldest first */
    size_t njobs;
    json_t *docs; /* remote: batch being filled */
    long *lines;  /* remote: line of each doc */
    CURL *curl;
} importer;

static void keep_reject(importer *im, long line, const char *record_id, const char *field,
                        const char *reason)
{
    au_import_summary *s = im->sum;
    if (s->nrejects >= AU_IMPORT_MAX_REJECTS)
        return;
    au_import_reject *r = &s->rejects[s->nrejects++];
    r->file = au_strdup(im->path);
    r->line = line;
    r->record_id = au_strdup(record_id);
    r->field = au_strdup(field);
    r->value = NULL;
    r->reason = au_strdup(reason ? reason : "rejected");
}

/* One quarantined value; the first AU_IMPORT_MAX_WARNINGS are kept for the summary. */
static void keep_warning(importer *im, long line, const char *record_id, const char *field,
                         const char *value, const char *reason)
{
    au_import_summary *s = im->sum;
    if (s->nwarnings >= AU_IMPORT_MAX_WARNINGS)
        return;
    au_import_reject *w = &s->warnings[s->nwarnings++];
    w->file = au_strdup(im->path);
    w->line = line;
    w->record_id = au_strdup(record_id);
    w->field = au_strdup(field);
    w->value = au_strdup(value);
    w->reason = au_strdup(reason ? reason : "invalid value");
}

/* Counts and keeps the quarantined values of a mapped record (local mode). */
static void note_quarantined(importer *im, long line, const au_record *r)
{
    int seen = 0;
    for (int a = 0; a < AU_ATTR_COUNT; a++) {
        if (!au_record_is_quarantined(r, (au_attr)a))
            continue;
        seen = 1;
        im->sum->quarantined++;
        keep_warning(im, line, r->record_id, au_source_label(im->src, (au_attr)a), r->attrs[a].raw,
                     r->attrs[a].reason);
    }
    im->sum->quarantined_records += seen;
}

/* Counts and keeps the quarantined values a server reported for a batch (remote mode). */
static void note_remote_warnings(importer *im, const json_t *resp, const long *lines, size_t n)
{
    size_t i;
    json_t *w;
    im->sum->quarantined += (long)json_integer_value(json_object_get(resp, "warnings_total"));
    im->sum->quarantined_records +=
        (long)json_integer_value(json_object_get(resp, "records_with_warnings"));
    json_array_foreach(json_object_get(resp, "warnings"), i, w)
    {
        json_int_t idx = json_integer_value(json_object_get(w, "index"));
        keep_warning(im, idx >= 0 && (size_t)idx < n ? lines[idx] : 0,
                     json_string_value(json_object_get(w, "record_id")),
                     json_string_value(json_object_get(w, "field")),
                     json_string_value(json_object_get(w, "value")),
                     json_string_value(json_object_get(w, "reason")));
    }
}

/* One rejected row; its details (if any) are kept as separate entries. */
static void reject(importer *im, long line, const au_err *err)
{
    im->sum->rejected++;
    if (!err->ndetails)
        keep_reject(im, line, NULL, NULL, err->message);
    for (size_t i = 0; i < err->ndetails; i++)
        keep_reject(im, line, err->details[i].record_id, err->details[i].field,
                    err->details[i].reason);
}

static void add_summary(importer *im, const au_write_summary *ws)
{
    im->sum->inserted += ws->inserted;
    im->sum->updated += ws->updated;
    im->sum->unchanged += ws->unchanged;
}

/* --- local mode: workers prepare chunks, the calling thread consumes them in order -------- */

static au_rc wait_oldest(importer *im, au_err *err)
{
    au_write_summary ws = {0};
    au_write_job *job = im->jobs[0];
    memmove(im->jobs, im->jobs + 1, sizeof(im->jobs[0]) * (im->njobs - 1));
    im->njobs--;
    au_rc rc = au_engine_wait(im->o->engine, job, &ws, err);
    if (!rc)
        add_summary(im, &ws);
    return rc;
}

static au_rc batch_alloc(importer *im)
{
    im->recs = au_calloc(im->batch_max, sizeof(au_record *));
    im->texts = au_calloc(im->batch_max, sizeof(char *));
    return im->recs && im->texts ? AU_OK : AU_ERR_NOMEM;
}

static void batch_free(importer *im)
{
    for (size_t i = 0; i < im->nrecs; i++) {
        au_record_free(im->recs[i]);
        au_free(im->texts[i]);
    }
    au_free(im->recs);
    au_free(im->texts);
    im->recs = NULL;
    im->texts = NULL;
    im->nrecs = 0;
}

/* Queues the batch to the writer; a fresh one is allocated for the next records. */
static au_rc flush_local(importer *im, au_err *err)
{
    au_rc rc = AU_OK;
    if (!im->nrecs)
        return AU_OK;
    if (im->njobs == AU_IMPORT_INFLIGHT && (rc = wait_oldest(im, err)))
        return rc;
    au_write_job *job = NULL;
    size_t n = im->nrecs;
    /* The engine owns the records and documents now, even when it failed. */
    rc = au_engine_queue(im->o->engine, im->recs, im->texts, n, im->origin, &job);
    im->recs = NULL;
    im->texts = NULL;
    im->nrecs = 0;
    if (rc)
        return au_err_set(err, rc, "queueing a batch: %s", au_rc_message(rc));
    im->jobs[im->njobs++] = job;
    return batch_alloc(im);
}

static void row_cleanup(row *r)
{
    json_decref(r->doc);
    au_free(r->raw);
    au_record_free(r->rec);
    au_free(r->text);
    au_err_cleanup(&r->err);
}

static void chunk_free(chunk *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        row_cleanup(&c->rows[i]);
    au_free(c);
}

/* The worker's part of one row: parse (JSON Lines), map and normalise, serialise. Touches only
 * the row and the (read-only) source. */
static void prepare_row(const au_source *src, row *r)
{
    if (r->raw) {
        r->rc = jsonl_doc(r->raw, r->nraw, &r->doc, &r->err);
        au_free(r->raw);
        r->raw = NULL;
    }
    if (!r->rc)
        r->rc = au_source_map(src, r->doc, r->index, &r->rec, &r->err);
    json_decref(r->doc);
    r->doc = NULL;
    if (!r->rc && (r->rc = au_engine_prepare_records(&r->rec, 1, &r->text, &r->err))) {
        au_record_free(r->rec);
        r->rec = NULL;
    }
}

/* au_workq_fn: prepares every readable row of a chunk. */
static void prepare_chunk(void *ctx, void *item)
{
    const au_source *src = ctx;
    chunk *c = item;
    for (size_t i = 0; i < c->n; i++)
        if (!c->rows[i].unread)
            prepare_row(src, &c->rows[i]);
}

/* The consumer's part of one prepared row, in file order: count and keep what was refused or
 * quarantined, move the record to the batch. Only a fatal error is returned. */
static au_rc consume_row(importer *im, row *r, au_err *err)
{
    if (r->unread) {
        reject(im, r->line, &r->err);
        return AU_OK;
    }
    if (r->rc == AU_ERR_INVALID || r->rc == AU_ERR_ENCODING || r->rc == AU_ERR_PARSE) {
        reject(im, r->line, &r->err);
        return AU_OK;
    }
    if (r->rc)
        return au_err_set(err, r->rc, "line %ld: %s", r->line, r->err.message);
    note_quarantined(im, r->line, r->rec);
    im->recs[im->nrecs] = r->rec;
    im->texts[im->nrecs] = r->text;
    im->nrecs++;
    r->rec = NULL;
    r->text = NULL;
    return im->nrecs == im->batch_max ? flush_local(im, err) : AU_OK;
}

/* Consumes a prepared chunk and frees it. */
static au_rc consume_chunk(importer *im, chunk *c, au_err *err)
{
    au_rc rc = AU_OK;
    for (size_t i = 0; !rc && i < c->n; i++)
        rc = consume_row(im, &c->rows[i], err);
    chunk_free(c);
    return rc;
}

/* Hands a full chunk on: prepared here with one worker, else queued to the workers (consuming
 * the oldest prepared chunks while the queue is full). Takes ownership of c. */
static au_rc dispatch(importer *im, chunk *c, au_err *err)
{
    au_rc rc = AU_OK;
    if (!im->wq) {
        prepare_chunk((void *)im->src, c);
        return consume_chunk(im, c, err);
    }
    while (!rc && au_workq_full(im->wq))
        rc = consume_chunk(im, au_workq_pop(im->wq), err);
    if (!rc && (rc = au_workq_push(im->wq, c)) == AU_OK)
        return AU_OK;
    chunk_free(c);
    return rc;
}

/* Consumes (after an error: frees) every chunk still in the queue, oldest first. */
static au_rc drain(importer *im, au_rc rc, au_err *err)
{
    chunk *c;
    while (im->wq && (c = au_workq_pop(im->wq))) {
        if (rc)
            chunk_free(c);
        else
            rc = consume_chunk(im, c, err);
    }
    return rc;
}

/* --- remote mode ------------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    au_buf *b = ctx;
    return au_buf_append(b, p, size * n) ? 0 : size * n;
}

/* POSTs docs; *status is the HTTP status, *resp the parsed body (new ref, may be NULL). */
static au_rc post(importer *im, const json_t *docs, long *status, json_t **resp, au_err *err)
{
    au_rc rc = AU_OK;
    au_buf body;
    au_buf_init(&body, AU_IMPORT_MAX_RESPONSE);
    char *payload = json_dumps(docs, JSON_COMPACT);
    char *esc = curl_easy_escape(im->curl, im->o->source, 0);
    char *url = esc ? au_asprintf("%s/v1/sources/%s/records", im->o->server, esc) : NULL;
    char *auth = au_asprintf("Authorization: Bearer %s", im->o->key ? im->o->key : "");
    struct curl_slist *hdr = NULL;
    if (!payload || !url || !auth) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, auth);
    curl_easy_reset(im->curl);
    curl_easy_setopt(im->curl, CURLOPT_URL, url);
    curl_easy_setopt(im->curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(im->curl, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(im->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(im->curl, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(im->curl, CURLOPT_NOSIGNAL, 1L);
    CURLcode cc = curl_easy_perform(im->curl);
    if (cc != CURLE_OK) {
        rc = au_err_set(err, AU_ERR_IO, "%s: %s", url, curl_easy_strerror(cc));
        goto out;
    }
    curl_easy_getinfo(im->curl, CURLINFO_RESPONSE_CODE, status);
    *resp = body.len ? json_loadb(body.data, body.len, 0, NULL) : NULL;
out:
    curl_slist_free_all(hdr);
    curl_free(esc);
    au_free(url);
    au_free(auth);
    free(payload);
    au_buf_cleanup(&body);
    return rc;
}

static void reject_remote(importer *im, long line, const char *rid, const char *field,
                          const char *reason)
{
    im->sum->rejected++;
    keep_reject(im, line, rid, field, reason);
}

/* Sends docs; on a 4xx naming records, rejects those and resends the others. Every round
 * removes at least one record (the server lists at most AU_ERR_MAX_DETAILS per answer), so it
 * ends; a refusal naming none rejects what is left. */
static au_rc send_batch(importer *im, json_t *docs, const long *lines, au_err *err)
{
    long status = 0;
    json_t *resp = NULL;
    au_rc rc = post(im, docs, &status, &resp, err);
    if (rc)
        return rc;
    if (status >= 200 && status < 300) {
        au_write_summary ws = {0};
        ws.inserted = json_integer_value(json_object_get(resp, "inserted"));
        ws.updated = json_integer_value(json_object_get(resp, "updated"));
        ws.unchanged = json_integer_value(json_object_get(resp, "unchanged"));
        add_summary(im, &ws);
        note_remote_warnings(im, resp, lines, json_array_size(docs));
        goto out;
    }
    json_t *e = json_object_get(resp, "error");
    const char *msg = json_string_value(json_object_get(e, "message"));
    if (status < 400 || status >= 500 || status == 401 || status == 403 || status == 404) {
        rc = au_err_set(err, status == 401 || status == 403 ? AU_ERR_UNAUTHORIZED : AU_ERR_IO,
                        "server answered %ld: %s", status, msg ? msg : "no message");
        goto out;
    }
    size_t n = json_array_size(docs);
    char *bad = au_calloc(n ? n : 1, 1);
    if (!bad) {
        rc = AU_ERR_NOMEM;
        goto out;
    }
    size_t nbad = 0, i;
    json_t *d;
    json_array_foreach(json_object_get(e, "details"), i, d)
    {
        json_int_t idx = json_integer_value(json_object_get(d, "index"));
        if (!json_is_integer(json_object_get(d, "index")) || idx < 0 || (size_t)idx >= n)
            continue;
        if (!bad[idx]) {
            nbad++;
            im->sum->rejected++; /* one count per record, one entry per detail */
        }
        bad[idx] = 1;
        keep_reject(im, lines[idx], json_string_value(json_object_get(d, "record_id")),
                    json_string_value(json_object_get(d, "field")),
                    json_string_value(json_object_get(d, "reason")));
    }
    if (!nbad) {
        /* Nothing to isolate: the whole batch is refused. */
        for (i = 0; i < n; i++)
            if (!bad[i])
                reject_remote(im, lines[i], NULL, NULL, msg ? msg : "refused by the server");
        au_free(bad);
        goto out;
    }
    json_t *rest = json_array();
    long *rest_lines = au_calloc(n, sizeof(long));
    size_t m = 0;
    for (i = 0; rest && rest_lines && i < n; i++)
        if (!bad[i] && !json_array_append(rest, json_array_get(docs, i)))
            rest_lines[m++] = lines[i];
    rc = rest && rest_lines ? (m ? send_batch(im, rest, rest_lines, err) : AU_OK) : AU_ERR_NOMEM;
    json_decref(rest);
    au_free(rest_lines);
    au_free(bad);
out:
    json_decref(resp);
    return rc;
}

static au_rc flush_remote(importer *im, au_err *err)
{
    if (!json_array_size(im->docs))
        return AU_OK;
    au_rc rc = send_batch(im, im->docs, im->lines, err);
    json_array_clear(im->docs);
    return rc;
}

static au_rc add_remote(importer *im, json_t *doc, long line, au_err *err)
{
    im->lines[json_array_size(im->docs)] = line;
    if (json_array_append(im->docs, doc))
        return AU_ERR_NOMEM;
    return json_array_size(im->docs) == im->batch_max ? flush_remote(im, err) : AU_OK;
}

/* --- driver -------------------------------------------------------------------------------- */

/* Workers for local mode: as asked, else one per online core but the writer's (up to
 * AU_IMPORT_AUTO_WORKERS). The writer is the import's critical path (about 70 % of its CPU,
 * docs/BENCHMARKS.md): a worker that takes its core only slows it, so on two cores the default
 * is 1, the main thread preparing while the writer commits. */
static int workers_of(const au_import_opts *o)
{
    if (o->workers > 0)
        return o->workers < AU_IMPORT_MAX_WORKERS ? o->workers : AU_IMPORT_MAX_WORKERS;
    long cores = sysconf(_SC_NPROCESSORS_ONLN) - 1;
    return cores < 1 ? 1 : cores > AU_IMPORT_AUTO_WORKERS ? AU_IMPORT_AUTO_WORKERS : (int)cores;
}

static au_rc importer_init_local(importer *im, au_err *err)
{
    const au_import_opts *o = im->o;
    if (!(im->src = au_engine_source_acquire(o->engine, o->source)))
        return au_err_set(err, AU_ERR_NOT_FOUND, "unknown source '%s'", o->source);
    au_rc rc = batch_alloc(im);
    /* Nobody reads while import holds the directory: identifier rows are built once, sorted,
     * at the end instead of ~3.5 random inserts per record (docs/IMPORT.md, "Bulk load"). */
    if (!rc && !(rc = au_profiles_bulk(o->engine, 1, err)))
        im->bulk = 1;
    int workers = workers_of(o);
    if (!rc && workers > 1)
        rc = au_workq_open(workers, (size_t)workers * AU_IMPORT_CHUNKS_PER_WORKER, prepare_chunk,
                           (void *)im->src, &im->wq);
    if (rc == AU_ERR_INTERNAL)
        return au_err_set(err, rc, "cannot start %d import workers", workers);
    return rc;
}

static au_rc importer_init(importer *im, const au_import_opts *o, const char *path,
                           au_import_summary *sum, au_err *err)
{
    memset(im, 0, sizeof *im);
    im->o = o;
    im->path = path;
    im->sum = sum;
    im->batch_max = o->batch ? o->batch : o->engine ? AU_IMPORT_BATCH_LOCAL : AU_IMPORT_BATCH;
    const char *base = strrchr(path, '/');
    if (!(im->origin = au_asprintf("import:%s", base ? base + 1 : path)))
        return AU_ERR_NOMEM;
    if (o->engine)
        return importer_init_local(im, err);
    if (!o->server)
        return au_err_set(err, AU_ERR_INVALID, "import needs an engine or a server URL");
    im->docs = json_array();
    im->lines = au_calloc(im->batch_max, sizeof(long));
    im->curl = curl_easy_init();
    return im->docs && im->lines && im->curl ? AU_OK : AU_ERR_NOMEM;
}

/* Stops the workers and waits every batch still in flight (even after an error, so no job
 * leaks); the source is released only once no worker can read it. */
static au_rc importer_cleanup(importer *im, au_rc rc, au_err *err)
{
    rc = drain(im, rc, err);
    au_workq_close(im->wq);
    while (im->njobs) {
        au_err e2;
        au_err_init(&e2);
        au_rc r2 = wait_oldest(im, rc ? &e2 : err);
        au_err_cleanup(&e2);
        if (!rc)
            rc = r2;
    }
    if (im->bulk) {
        au_err e2;
        au_err_init(&e2);
        au_rc r2 = au_profiles_bulk(im->o->engine, 0, rc ? &e2 : err);
        au_err_cleanup(&e2);
        if (!rc)
            rc = r2;
    }
    batch_free(im);
    if (im->src)
        au_engine_source_release(im->o->engine, im->src);
    json_decref(im->docs);
    au_free(im->lines);
    if (im->curl)
        curl_easy_cleanup(im->curl);
    au_free(im->origin);
    return rc;
}

/* Next document (remote mode); a row that cannot be read is counted and rejected here (doc
 * stays NULL); only a fatal read error is returned. */
static au_rc next_row(importer *im, reader *rd, json_t **doc, long *line, int *eof, au_err *err)
{
    au_err rerr;
    au_err_init(&rerr);
    au_rc rc = reader_next(rd, doc, NULL, NULL, line, eof, &rerr);
    if (rc && fatal(rc)) {
        au_err_set(err, rc, "%s: %s", im->path, rerr.message);
    } else if (rc) {
        im->sum->read++;
        reject(im, *line, &rerr);
        rc = AU_OK;
    } else if (!*eof) {
        im->sum->read++;
    }
    au_err_cleanup(&rerr);
    return rc;
}

/* Next row into r (local mode): a row that cannot be read is counted and marked unread, to be
 * rejected in its turn by the consumer; only a fatal read error is returned. */
static au_rc read_row(importer *im, reader *rd, row *r, long index, int *eof, au_err *err)
{
    memset(r, 0, sizeof(*r));
    au_err_init(&r->err);
    r->index = index;
    au_rc rc =
        reader_next(rd, &r->doc, rd->lines ? &r->raw : NULL, &r->nraw, &r->line, eof, &r->err);
    if (rc && fatal(rc))
        return au_err_set(err, rc, "%s: %s", im->path, r->err.message);
    if (!*eof)
        im->sum->read++;
    r->unread = rc != AU_OK;
    return AU_OK;
}

static void progress_open(au_progress *prog, const importer *im, const reader *rd)
{
    const char *base = strrchr(im->path, '/');
    au_progress_init(prog, base ? base + 1 : im->path, rd->total);
    if (!im->o->progress)
        prog->out = NULL;
}

/* Local mode: rows read here in chunks, prepared by the workers, consumed here in order. */
static au_rc import_rows_local(importer *im, reader *rd, au_err *err)
{
    au_progress prog;
    progress_open(&prog, im, rd);
    au_rc rc = AU_OK;
    chunk *c = NULL;
    for (long index = 0;; index++) {
        int eof = 0;
        if (!c && !(c = au_calloc(1, sizeof(*c)))) {
            rc = AU_ERR_NOMEM;
            break;
        }
        rc = read_row(im, rd, &c->rows[c->n], index, &eof, err);
        if (rc || eof) {
            row_cleanup(&c->rows[c->n]);
            break;
        }
        if (++c->n == AU_IMPORT_CHUNK) {
            rc = dispatch(im, c, err);
            c = NULL;
            if (rc)
                break;
        }
        if ((index & 255) == 0)
            au_progress_update(&prog, im->sum->read, reader_bytes(rd));
    }
    if (!rc && c && c->n) {
        rc = dispatch(im, c, err);
        c = NULL;
    }
    chunk_free(c);
    rc = drain(im, rc, err);
    if (!rc)
        rc = flush_local(im, err);
    au_progress_finish(&prog, im->sum->read, reader_bytes(rd));
    return rc;
}

static au_rc import_rows_remote(importer *im, reader *rd, au_err *err)
{
    au_progress prog;
    progress_open(&prog, im, rd);
    au_rc rc = AU_OK;
    for (long index = 0;; index++) {
        json_t *doc = NULL;
        long line = 0;
        int eof = 0;
        if ((rc = next_row(im, rd, &doc, &line, &eof, err)) || eof)
            break;
        /* add_remote rejects bad records itself: any error it returns is fatal */
        if (doc)
            rc = add_remote(im, doc, line, err);
        json_decref(doc);
        if (rc)
            break;
        if ((index & 255) == 0)
            au_progress_update(&prog, im->sum->read, reader_bytes(rd));
    }
    if (!rc)
        rc = flush_remote(im, err);
    au_progress_finish(&prog, im->sum->read, reader_bytes(rd));
    return rc;
}

au_rc au_import_file(const au_import_opts *o, const char *path, au_import_summary *sum, au_err *err)
{
    double t0 = au_progress_now();
    importer im;
    reader rd;
    memset(&rd, 0, sizeof rd);
    rd.fd = -1;
    au_rc rc = importer_init(&im, o, path, sum, err);
    if (!rc)
        rc = reader_open(&rd, path, o->format, err);
    if (!rc)
        rc = o->engine ? import_rows_local(&im, &rd, err) : import_rows_remote(&im, &rd, err);
    rc = importer_cleanup(&im, rc, err);
    reader_close(&rd);
    if (rc == AU_ERR_NOMEM)
        au_err_set(err, rc, "out of memory");
    sum->seconds += au_progress_now() - t0;
    return rc;
}
