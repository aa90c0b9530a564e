/*
 * kind: file - a drop directory. Files named *.csv, *.jsonl, *.ndjson or *.json appearing in
 * `dir` (written elsewhere and renamed in, or closed after writing: inotify IN_MOVED_TO /
 * IN_CLOSE_WRITE; names starting with '.' are ignored as unfinished) are imported through
 * src/ingest/import.c, the path of `aurum import`, then moved to dir/done/ or dir/failed/
 * next to a NAME.report.txt with the import's summary. A file's fingerprint (XXH3-128 of its
 * content) is stored after its records were committed: the same content dropped again, or a
 * file found again after a crash between the commit and the move, is not imported twice.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "inbound/inbound_int.h"
#include "ingest/import.h"
#include "lib/alloc.h"
#include "lib/clock.h"
#include "lib/log.h"

static const au_inbound_opt file_opts[] = {
    AU_INBOUND_OPT("dir", AU_OPT_STRING, 1, NULL, 0, 0,
                   "the drop directory (created if missing); done/ and failed/ are made inside it"),
    {.name = "format",
     .type = AU_OPT_CHOICE,
     .arg = "csv|jsonl",
     .help = "the format of every file (default: from each file's extension)"},
    {0},
};

typedef struct file_state {
    char *dir; /* owned */
    int fd;    /* inotify descriptor */
} file_state;

static au_rc make_dir(const char *path, au_err *err)
{
    if (mkdir(path, 0750) != 0 && errno != EEXIST)
        return au_err_set(err, AU_ERR_IO, "%s: %s", path, strerror(errno));
    return AU_OK;
}

static void file_close(void *state)
{
    file_state *s = state;
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    au_free(s->dir);
    au_free(s);
}

static au_rc file_open(const json_t *def, void **state, au_err *err)
{
    file_state *s = au_calloc(1, sizeof *s);
    if (!s || !(s->dir = au_strdup(au_inbound_str(def, "dir")))) {
        au_free(s);
        return au_err_set(err, AU_ERR_NOMEM, "out of memory");
    }
    s->fd = -1;
    char *done = au_asprintf("%s/done", s->dir), *failed = au_asprintf("%s/failed", s->dir);
    au_rc rc = done && failed ? AU_OK : au_err_set(err, AU_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = make_dir(s->dir, err);
    if (!rc)
        rc = make_dir(done, err);
    if (!rc)
        rc = make_dir(failed, err);
    au_free(done);
    au_free(failed);
    if (!rc && ((s->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0 ||
                inotify_add_watch(s->fd, s->dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0))
        rc = au_err_set(err, AU_ERR_IO, "cannot watch %s: %s", s->dir, strerror(errno));
    if (rc) {
        file_close(s);
        return rc;
    }
    *state = s;
    return AU_OK;
}

static int file_watch_fd(void *state)
{
    return ((file_state *)state)->fd;
}

static int wanted(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (name[0] == '.' || !dot)
        return 0;
    return !strcmp(dot, ".csv") || !strcmp(dot, ".jsonl") || !strcmp(dot, ".ndjson") ||
           !strcmp(dot, ".json");
}

/* XXH3-128 of the file's content as 32 hex digits. */
static au_rc fingerprint(const char *path, char out[33], au_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return au_err_set(err, AU_ERR_IO, "%s: %s", path, strerror(errno));
    XXH3_state_t *st = XXH3_createState();
    char buf[65536];
    ssize_t n = 0;
    if (st)
        XXH3_128bits_reset(st);
    while (st && (n = read(fd, buf, sizeof buf)) > 0)
        XXH3_128bits_update(st, buf, (size_t)n);
    close(fd);
    if (!st || n < 0) {
        XXH3_freeState(st);
        return au_err_set(err, st ? AU_ERR_IO : AU_ERR_NOMEM, "%s: cannot read", path);
    }
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
    return AU_OK;
}

typedef struct seen_ctx {
    const char *source, *fp, *name, *outcome;
} seen_ctx;

static au_rc remember_fn(void *ctx, au_store *st, int64_t at_ms, au_err *err)
{
    seen_ctx *c = ctx;
    au_rc rc = au_store_inbound_file_put(st, c->source, c->fp, c->name, c->outcome, at_ms);
    return rc ? au_err_set(err, rc, "cannot remember %s", c->name) : AU_OK;
}

/* The outcome a file with this fingerprint had (new string) or NULL when never seen. */
static au_rc seen_before(au_inbound_run *run, const char *fp, char **outcome)
{
    au_engine *e = au_inbound_engine(run);
    au_store *st = au_engine_reader(e);
    if (!st)
        return AU_ERR_BUSY;
    au_rc rc = au_store_inbound_file_get(st, au_inbound_source(run), fp, outcome);
    au_engine_reader_release(e, st);
    return rc == AU_ERR_NOT_FOUND ? AU_OK : rc;
}

/* Moves dir/name to dir/sub/name (a later file of the same name gets a time suffix) and
 * writes the report next to it. */
static au_rc file_away(const file_state *s, const char *name, const char *sub, const char *report,
                       au_err *err)
{
    char *from = au_asprintf("%s/%s", s->dir, name);
    char *to = au_asprintf("%s/%s/%s", s->dir, sub, name);
    au_rc rc = from && to ? AU_OK : AU_ERR_NOMEM;
    if (!rc && access(to, F_OK) == 0) {
        au_free(to);
        to = au_asprintf("%s/%s/%lld-%s", s->dir, sub, (long long)au_wall_ms(), name);
        rc = to ? AU_OK : AU_ERR_NOMEM;
    }
    char *rpath = rc ? NULL : au_asprintf("%s.report.txt", to);
    FILE *f = rpath ? fopen(rpath, "w") : NULL;
    if (f) {
        fputs(report, f);
        fclose(f);
    }
    if (!rc && rename(from, to) != 0)
        rc = au_err_set(err, AU_ERR_IO, "cannot move %s to %s/: %s", name, sub, strerror(errno));
    au_free(from);
    au_free(to);
    au_free(rpath);
    return rc == AU_ERR_NOMEM ? au_err_set(err, rc, "out of memory") : rc;
}

/* The import's summary as text (new string, au_free). */
static char *report_text(const char *name, const au_import_summary *sum, au_rc rc,
                         const au_err *ierr)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "file: %s\n", name);
    if (rc)
        fprintf(f, "failed: %s\n", ierr->message);
    au_import_summary_print(f, sum);
    fclose(f);
    char *copy = au_strdup(text);
    free(text);
    return copy;
}

static void add_summary(au_inbound_run *run, const au_import_summary *sum)
{
    au_inbound_counts c = {.read = sum->read,
                           .inserted = sum->inserted,
                           .updated = sum->updated,
                           .unchanged = sum->unchanged,
                           .quarantined = sum->quarantined,
                           .refused = sum->rejected};
    au_inbound_add_counts(run, &c);
}

/* 1 when the file is JSON Lines (format option, else its extension) and the connector reads
 * events (`documents: events|auto`): its lines then go through au_inbound_put. */
static int carries_events(au_inbound_run *run, const char *name)
{
    const json_t *def = au_inbound_def(run);
    const char *docs = au_inbound_str(def, "documents"), *fmt = au_inbound_str(def, "format");
    const char *dot = strrchr(name, '.');
    int jsonl =
        fmt ? strcmp(fmt, "jsonl") == 0
            : dot && (!strcmp(dot, ".jsonl") || !strcmp(dot, ".ndjson") || !strcmp(dot, ".json"));
    return jsonl && docs && strcmp(docs, "records") != 0;
}

/* A JSON Lines file of events (and records, with auto): each line is handed to the run like a
 * NATS message, then committed; *report (new string) says what the file did. An error when the
 * file cannot be read or the write path failed. */
static au_rc put_lines(au_inbound_run *run, const char *name, const char *path, char **report,
                       au_err *err)
{
    au_inbound_counts b, a;
    au_inbound_run_counts(run, &b, NULL, 0);
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    au_rc rc = f ? AU_OK : au_err_set(err, AU_ERR_IO, "%s: %s", name, strerror(errno));
    while (!rc && (len = getline(&line, &cap, f)) >= 0) {
        json_error_t je;
        if (strspn(line, " \t\r\n") == (size_t)len)
            continue;
        json_t *doc = json_loadb(line, (size_t)len, 0, &je);
        if (!json_is_object(doc))
            au_inbound_refuse(run, doc ? "not a JSON object" : je.text);
        else
            rc = au_inbound_put(run, doc, err);
        json_decref(doc);
    }
    free(line);
    if (f)
        fclose(f);
    if (!rc)
        rc = au_inbound_commit(run, NULL, err);
    au_inbound_run_counts(run, &a, NULL, 0);
    au_inbound_counts d = {a.read - b.read,
                           a.inserted - b.inserted,
                           a.updated - b.updated,
                           a.unchanged - b.unchanged,
                           a.quarantined - b.quarantined,
                           a.refused - b.refused,
                           a.deleted - b.deleted,
                           a.events - b.events};
    size_t n = 0;
    FILE *m = open_memstream(report, &n);
    if (m) {
        fprintf(m, "file: %s\n", name);
        if (rc)
            fprintf(m, "failed: %s\n", err->message);
        au_inbound_counts_print(m, &d);
        fclose(m);
    }
    return rc;
}

/* Imports one file, remembers it, moves it away. An error only when the store failed. */
static au_rc import_one(file_state *s, au_inbound_run *run, const char *name, au_err *err)
{
    char fp[33], *outcome = NULL, *report = NULL, *path = au_asprintf("%s/%s", s->dir, name);
    au_import_summary sum;
    au_import_summary_init(&sum);
    au_rc rc = path ? fingerprint(path, fp, err) : AU_ERR_NOMEM;
    if (!rc)
        rc = seen_before(run, fp, &outcome);
    if (!rc && outcome) {
        report = au_asprintf("file: %s\nalready imported (same content, fingerprint %s): "
                             "not imported again\n",
                             name, fp);
        rc = report ? file_away(s, name, outcome, report, err) : AU_ERR_NOMEM;
        goto out;
    }
    if (rc)
        goto out;
    const char *fmt = au_inbound_str(au_inbound_def(run), "format");
    au_import_opts o = {.source = au_inbound_source(run),
                        .format = !fmt                      ? AU_IMPORT_AUTO
                                  : strcmp(fmt, "csv") == 0 ? AU_IMPORT_CSV
                                                            : AU_IMPORT_JSONL,
                        .batch = au_inbound_batch(run),
                        .engine = au_inbound_engine(run),
                        .progress = au_inbound_progress_on(run)};
    au_err ierr;
    au_err_init(&ierr);
    au_rc irc;
    if (carries_events(run, name)) {
        char *text = NULL;
        irc = put_lines(run, name, path, &text, &ierr);
        report = text ? au_strdup(text) : NULL; /* open_memstream's buffer is malloc'd */
        free(text);
    } else {
        irc = au_import_file(&o, path, &sum, &ierr);
        add_summary(run, &sum);
        report = report_text(name, &sum, irc, &ierr);
    }
    const char *where = irc ? "failed" : "done";
    au_err_cleanup(&ierr);
    if (irc == AU_ERR_NOMEM || irc == AU_ERR_STORE || irc == AU_ERR_BUSY) {
        rc = au_err_set(err, irc, "%s: the write path failed; the file stays for the next try",
                        name);
        goto out;
    }
    seen_ctx c = {au_inbound_source(run), fp, name, where};
    if (!report || (rc = au_inbound_call(run, remember_fn, &c, err)))
        goto out;
    rc = file_away(s, name, where, report, err);
    au_log(irc ? AU_LOG_WARN : AU_LOG_INFO, "inbound file imported", "source",
           au_inbound_source(run), "file", name, "outcome", where, NULL);
out:
    if (rc == AU_ERR_NOMEM)
        au_err_set(err, rc, "out of memory");
    au_import_summary_cleanup(&sum);
    au_free(path);
    au_free(outcome);
    au_free(report);
    return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int regular_wanted(const struct dirent *d)
{
    return (d->d_type == DT_REG || d->d_type == DT_UNKNOWN) && wanted(d->d_name);
}

/* Imports every waiting file, oldest name first. */
static au_rc file_sync(void *state, au_inbound_run *run, au_err *err)
{
    file_state *s = state;
    char ev[4096];
    while (read(s->fd, ev, sizeof ev) > 0)
        ; /* the scan below sees every file the events named */
    struct dirent **names = NULL;
    int n = scandir(s->dir, &names, regular_wanted, by_name);
    if (n < 0)
        return au_err_set(err, AU_ERR_IO, "%s: %s", s->dir, strerror(errno));
    au_rc rc = AU_OK;
    for (int i = 0; i < n; i++) {
        if (!rc && !au_inbound_stopping(run))
            rc = import_one(s, run, names[i]->d_name, err);
        free(names[i]);
    }
    free(names);
    return rc;
}

const au_inbound_kind au_inbound_file = {
    .name = "file",
    .summary = "a watched drop directory of CSV / JSON Lines files, each imported once",
    .opts = file_opts,
    .continuous = 1,
    .poll_s = 60,
    .open = file_open,
    .close = file_close,
    .watch_fd = file_watch_fd,
    .sync = file_sync,
};
