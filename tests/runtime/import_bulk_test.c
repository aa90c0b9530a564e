/*
 * Black-box tests of the bulk import path (the real binary, AURUM_BIN, on generated data): an
 * offline import keeps several batches in flight and the writer folds them into one transaction
 * (engine.c, bulk jobs), and the profiles hook writes its identifier rows sorted at the end of
 * each batch. Neither may change what is stored: the same file imported in batches of 97 (many
 * batches per commit) and of the default size gives the same clusters and the same identifier
 * index; an import killed with SIGKILL leaves a store holding exactly the first whole batches
 * of the file, every one resolved, and importing the file again completes it. The same holds
 * with worker threads preparing the rows (--workers): 1, 2 or 3 workers store the same clusters
 * and identifier index, and a kill -9 of an import with workers loses no committed batch.
 * An offline import is a bulk load (profile/hook.c): the identifier rows are written once, at
 * its end. What it stores must equal what the daemon's record path stores for the same writes
 * (inserts, updates of older records, a record written twice in one file), and an import killed
 * before its end leaves a marker the next open turns into exactly the rows of the records that
 * survived.
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

TestSuite(import_bulk, .fini = au_rt_cleanup_all);

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    return remove(p);
}

static const char *bin(void)
{
    const char *b = getenv("AURUM_BIN");
    return b ? b : "build/aurum";
}

/* Runs `aurum ARGS` with stdout to `out` (a file path, or /dev/null); returns the exit code. */
static int run(const char *args, const char *out)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>/dev/null", bin(), args, out);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = calloc(1, (size_t)n + 1);
    cr_assert_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return s;
}

/* Generated people (about 30 % duplicates) in DIR/gen/people.csv with its people.yaml. */
static void generate(const char *d, int records)
{
    char args[512];
    snprintf(args, sizeof args, "gen --single-source --records %d --seed 11 --out %s/gen", records,
             d);
    cr_assert_eq(run(args, "/dev/null"), 0);
}

/* Imports DIR/gen/CSV.csv offline into DIR/DATA. */
static int import_csv(const char *d, const char *data, const char *batch, const char *csv)
{
    char args[1024];
    snprintf(args, sizeof args,
             "import --data %s/%s --config %s/gen/people.yaml --source people %s "
             "%s/gen/%s.csv",
             d, data, d, batch, d, csv);
    return run(args, "/dev/null");
}

static int import(const char *d, const char *data, const char *batch)
{
    return import_csv(d, data, batch, "people");
}

/* `aurum clusters` of DIR/data as text (free()). */
static char *clusters(const char *d, const char *data)
{
    char args[512], out[512];
    snprintf(args, sizeof args, "clusters --data %s/%s", d, data);
    snprintf(out, sizeof out, "%s/%s.clusters", d, data);
    cr_assert_eq(run(args, out), 0);
    return slurp(out);
}

/* Every profile_idents row of DIR/data/aurum.db in key order, one per line (free()). */
static char *idents(const char *d, const char *data)
{
    char path[512];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    snprintf(path, sizeof path, "%s/%s/aurum.db", d, data);
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db,
                                    "SELECT kind, key, rec FROM profile_idents "
                                    "ORDER BY kind, key, rec",
                                    -1, &st, NULL),
                 SQLITE_OK);
    size_t cap = 1 << 20, len = 0;
    char *s = calloc(1, cap);
    while (sqlite3_step(st) == SQLITE_ROW) {
        char line[512];
        int n = snprintf(line, sizeof line, "%d %s %lld\n", sqlite3_column_int(st, 0),
                         (const char *)sqlite3_column_text(st, 1),
                         (long long)sqlite3_column_int64(st, 2));
        if (len + (size_t)n + 1 > cap)
            s = realloc(s, cap *= 2);
        memcpy(s + len, line, (size_t)n + 1);
        len += (size_t)n;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return s;
}

/* Bulk-load markers (kind 0 rows) left in DIR/data/aurum.db. */
static int markers(const char *d, const char *data)
{
    char path[512];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    snprintf(path, sizeof path, "%s/%s/aurum.db", d, data);
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    cr_assert_eq(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM profile_idents WHERE kind = 0", -1, &st, NULL),
        SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Writes DIR/gen/NAME.csv: the header and the first `rows` data rows of people.csv. */
static void write_prefix(const char *d, const char *name, size_t rows)
{
    char path[512];
    snprintf(path, sizeof path, "%s/gen/people.csv", d);
    char *s = slurp(path), *p = s;
    for (size_t i = 0; i <= rows && p; i++) {
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    snprintf(path, sizeof path, "%s/gen/%s.csv", d, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fwrite(s, 1, p ? (size_t)(p - s) : strlen(s), f);
    fclose(f);
    free(s);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(import_bulk, batching_changes_neither_clusters_nor_identifier_index, .timeout = 300)
{
    char *d = strdup("/tmp/aurum-bulk-XXXXXX");
    cr_assert_not_null(mkdtemp(d));
    generate(d, 4000);
    cr_assert_eq(import(d, "small", "--batch 97"), 0);
    cr_assert_eq(import(d, "large", ""), 0);
    char *a = clusters(d, "small"), *b = clusters(d, "large");
    cr_assert_eq(count_lines(a), 4001, "a header and one line per record");
    cr_assert_str_eq(a, b, "the same records in the same profiles");
    char *ia = idents(d, "small"), *ib = idents(d, "large");
    cr_assert_gt(count_lines(ia), 4000 * 3, "e-mail, phone and name words of each record");
    cr_assert_str_eq(ia, ib);
    free(a);
    free(b);
    free(ia);
    free(ib);
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

/* With any number of workers the writer gets the same batches in the same order (the work
 * queue hands prepared chunks back in file order): the stored clusters and identifier rows are
 * the same as with the importing thread doing all the work. */
Test(import_bulk, workers_change_neither_clusters_nor_identifier_index, .timeout = 300)
{
    char *d = strdup("/tmp/aurum-bulk-XXXXXX");
    cr_assert_not_null(mkdtemp(d));
    generate(d, 6000);
    cr_assert_eq(import(d, "w1", "--batch 500 --workers 1"), 0);
    cr_assert_eq(import(d, "w2", "--batch 500 --workers 2"), 0);
    cr_assert_eq(import(d, "w3", "--batch 500 --workers 3"), 0);
    char *c1 = clusters(d, "w1"), *c2 = clusters(d, "w2"), *c3 = clusters(d, "w3");
    cr_assert_eq(count_lines(c1), 6001, "a header and one line per record");
    cr_assert_str_eq(c1, c2, "2 workers: the same records in the same profiles");
    cr_assert_str_eq(c1, c3, "3 workers: the same records in the same profiles");
    char *i1 = idents(d, "w1"), *i2 = idents(d, "w2"), *i3 = idents(d, "w3");
    cr_assert_gt(count_lines(i1), 6000 * 3, "e-mail, phone and name words of each record");
    cr_assert_str_eq(i1, i2);
    cr_assert_str_eq(i1, i3);
    free(c1);
    free(c2);
    free(c3);
    free(i1);
    free(i2);
    free(i3);
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

/* DIR/mixed.jsonl: 1,500 rows where every 47th line is broken JSON, every 61st has no id and
 * every 13th a dirty e-mail (quarantined), with DIR/mixed.yaml defining its source. */
static void write_mixed(const char *d)
{
    char path[512];
    snprintf(path, sizeof path, "%s/mixed.yaml", d);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "sources:\n  s:\n    record_id: id\n    default_country: GB\n    fields:\n"
               "      full_name: name\n      email: email\n");
    fclose(f);
    snprintf(path, sizeof path, "%s/mixed.jsonl", d);
    cr_assert_not_null(f = fopen(path, "w"));
    for (int i = 1; i <= 1500; i++) {
        if (i % 47 == 0)
            fprintf(f, "{\"id\": \"r%d\", \"name\": \n", i);
        else if (i % 61 == 0)
            fprintf(f, "{\"name\": \"No Id %d\"}\n", i);
        else
            fprintf(f, "{\"id\": \"r%d\", \"name\": \"Person %d\", \"email\": \"p%d%s\"}\n", i,
                    i % 400, i % 400, i % 13 == 0 ? "-at-example.com" : "@example.com");
    }
    fclose(f);
}

/* The summary `aurum import` printed into DIR/NAME.out, without the time and rate of its first
 * line (free()). */
static char *summary_of(const char *d, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.out", d, name);
    char *s = slurp(path);
    char *in = strstr(s, " in "), *nl = strchr(s, '\n');
    cr_assert(in && nl && in < nl, "%s", s);
    memmove(in, nl, strlen(nl) + 1);
    return s;
}

/* Refused rows and quarantined values are counted and listed in file order whatever the
 * number of workers: the consumer takes the prepared chunks back in the order they were read. */
Test(import_bulk, workers_keep_refusals_and_quarantined_values_in_file_order, .timeout = 300)
{
    char *d = strdup("/tmp/aurum-bulk-XXXXXX"), args[1024], out[512];
    cr_assert_not_null(mkdtemp(d));
    write_mixed(d);
    const char *names[] = {"w1", "w3"}, *workers[] = {"1", "3"};
    for (int i = 0; i < 2; i++) {
        snprintf(args, sizeof args,
                 "import --data %s/%s --config %s/mixed.yaml --source s --batch 100 "
                 "--workers %s %s/mixed.jsonl",
                 d, names[i], d, workers[i], d);
        snprintf(out, sizeof out, "%s/%s.out", d, names[i]);
        cr_assert_eq(run(args, out), 1, "rows were refused");
    }
    char *a = summary_of(d, "w1"), *b = summary_of(d, "w3");
    cr_assert(strstr(a, "read 1500, inserted 1445, updated 0, unchanged 0, rejected 55"), "%s", a);
    cr_assert(strstr(a, "mixed.jsonl:47: record ?"), "the first broken line is listed: %s", a);
    cr_assert(strstr(a, "mixed.jsonl:13: record r13, field email"), "%s", a);
    cr_assert_str_eq(a, b, "the same counts and the same rows listed, in the same order");
    free(a);
    free(b);
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

/* DIR/gen/update.csv, writes on top of people.csv: every 7th row's content under the next
 * row's id (updates of records loaded before), every 50th row's under a new id (inserts), and
 * the first new id written twice (an insert and its update in the same load). */
static void write_updates(const char *d)
{
    char path[512];
    snprintf(path, sizeof path, "%s/gen/people.csv", d);
    char *s = slurp(path), *save = NULL;
    char **rows = calloc(20000, sizeof(char *));
    size_t n = 0;
    for (char *l = strtok_r(s, "\n", &save); l && n < 20000; l = strtok_r(NULL, "\n", &save))
        rows[n++] = l;
    snprintf(path, sizeof path, "%s/gen/update.csv", d);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "%s\n", rows[0]);
    for (size_t i = 1; i + 1 < n; i += 7) {
        size_t idlen = strcspn(rows[i + 1], ",");
        fprintf(f, "%.*s%s\n", (int)idlen, rows[i + 1], rows[i] + strcspn(rows[i], ","));
    }
    for (size_t i = 1; i < n; i += 50)
        fprintf(f, "new-%zu%s\n", i, rows[i] + strcspn(rows[i], ","));
    fprintf(f, "new-1%s\n", rows[2] + strcspn(rows[2], ","));
    fclose(f);
    free(rows);
    free(s);
}

/* The daemon's record path (import --server: POST .../records, identifier rows written with
 * each job) against offline bulk loads of the same files in the same order: the same clusters
 * and the same identifier rows, after a first load and after a second file of updates of older
 * records, inserts, and one record inserted and updated within the load. */
Test(import_bulk, bulk_load_stores_what_the_record_path_stores, .timeout = 300)
{
    AU_RT_SQLITE_ONLY("the identifier rows are read from the SQLite file");
    char *d = strdup("/tmp/aurum-bulk-XXXXXX"), path[512], args[1024], key[80];
    cr_assert_not_null(mkdtemp(d));
    generate(d, 3000);
    write_updates(d);
    snprintf(path, sizeof path, "%s/gen/people.yaml", d);
    char *yaml = slurp(path);
    size_t n = strlen(yaml);
    char *cfg = calloc(1, n + 2); /* ends in a newline: the harness appends its own lines */
    memcpy(cfg, yaml, n);
    cfg[n] = '\n';
    au_rt_daemon dm;
    cr_assert_eq(au_rt_start(&dm, cfg), 0);
    free(yaml);
    free(cfg);
    cr_assert_eq(au_rt_stop(&dm), 0);
    cr_assert_eq(au_rt_create_key(&dm, key, "write:*", NULL), 0);
    cr_assert_eq(au_rt_restart(&dm), 0);
    const char *files[] = {"people", "update"};
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(import_csv(d, "bulk", "--batch 500", files[i]), 0);
        snprintf(args, sizeof args,
                 "import --server http://127.0.0.1:%d --key %s --source people --batch 500 "
                 "%s/gen/%s.csv",
                 dm.port, key, d, files[i]);
        cr_assert_eq(run(args, "/dev/null"), 0, "%s through the daemon", files[i]);
    }
    cr_assert_eq(au_rt_stop(&dm), 0);
    char *a = clusters(d, "bulk"), *b = clusters(dm.dir, ".");
    cr_assert_eq(count_lines(a), 3000 + 60 + 1, "a header and one line per record");
    cr_assert_str_eq(a, b, "the same records in the same profiles");
    char *ia = idents(d, "bulk"), *ib = idents(dm.dir, ".");
    cr_assert_gt(count_lines(ia), 3000 * 3, "e-mail, phone and name words of each record");
    cr_assert_str_eq(ia, ib, "the same identifier rows");
    cr_assert_eq(markers(d, "bulk"), 0, "the load ended: no marker left");
    free(a);
    free(b);
    free(ia);
    free(ib);
    au_rt_cleanup(&dm);
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

/* The record ids of the CSV's data rows, in file order (column 1). */
static char **file_ids(const char *csv, int *n)
{
    char *s = slurp(csv), *save = NULL;
    char **ids = calloc(200000, sizeof(char *));
    *n = 0;
    for (char *line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line == s)
            continue; /* header */
        line[strcspn(line, ",")] = '\0';
        ids[(*n)++] = strdup(line);
    }
    free(s);
    return ids;
}

/* Kills an import of 60,000 records (batches of 500, `workers` preparing the rows) with SIGKILL
 * once a few commits are in the store; checks that exactly the first whole batches of the file
 * are there, each resolved, and that importing the file again completes it. */
static void kill_mid_import(const char *workers)
{
    enum { RECORDS = 60000, BATCH = 500 };
    char *d = strdup("/tmp/aurum-bulk-XXXXXX"), path[512], csv[512];
    cr_assert_not_null(mkdtemp(d));
    generate(d, RECORDS);
    snprintf(csv, sizeof csv, "%s/gen/people.csv", d);

    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        char data[512], cfg[512];
        snprintf(data, sizeof data, "%s/data", d);
        snprintf(cfg, sizeof cfg, "%s/gen/people.yaml", d);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
            _exit(126);
        execl(bin(), bin(), "import", "--data", data, "--config", cfg, "--source", "people",
              "--batch", "500", "--workers", workers, csv, (char *)NULL);
        _exit(127);
    }
    /* Killed once the database and its WAL hold a few commits (about a fifth of the file),
     * well before the end; the transaction in progress is then lost, nothing before it. */
    int status = 0;
    for (;;) {
        struct stat db = {0}, wal = {0};
        snprintf(path, sizeof path, "%s/data/aurum.db", d);
        stat(path, &db);
        snprintf(path, sizeof path, "%s/data/aurum.db-wal", d);
        stat(path, &wal);
        if (db.st_size + wal.st_size > (12 << 20))
            break;
        cr_assert_eq(waitpid(pid, &status, WNOHANG), 0, "the import ended before it was killed");
        usleep(2000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    cr_assert(WIFSIGNALED(status));

    /* What survived: the first K rows of the file, K a whole number of batches, each with a
     * profile (clusters lists a record only with its assignment). */
    char *got = clusters(d, "data");
    size_t kept = count_lines(got) - 1;
    cr_log_info("killed with %zu of %d records committed (%s workers)", kept, (int)RECORDS,
                workers);
    cr_assert_gt(kept, 0, "some batches were committed before the kill");
    cr_assert_lt(kept, RECORDS, "killed before the end");
    cr_assert_eq(kept % BATCH, 0, "only whole batches: %zu records", kept);
    int n = 0;
    char **ids = file_ids(csv, &n);
    cr_assert_eq(n, RECORDS);
    for (size_t i = 0; i < kept; i++) {
        char needle[128];
        snprintf(needle, sizeof needle, "\npeople,%s,", ids[i]);
        cr_assert(strstr(got, needle), "row %zu (%s) of the committed prefix is missing", i + 1,
                  ids[i]);
    }
    free(got);

    /* The load did not end: its marker is there, and the next open of the engine (an import
     * of no rows) writes the rows of exactly the surviving records, as a load of them alone. */
    cr_assert_gt(markers(d, "data"), 0, "the bulk load's marker was committed");
    write_prefix(d, "prefix", kept);
    write_prefix(d, "none", 0);
    cr_assert_eq(import_csv(d, "prefix", "--batch 500", "prefix"), 0);
    cr_assert_eq(import_csv(d, "data", "", "none"), 0);
    cr_assert_eq(markers(d, "data"), 0, "rebuilt at open: no marker left");
    char *ia = idents(d, "data"), *ib = idents(d, "prefix");
    cr_assert_gt(count_lines(ia), kept * 3);
    cr_assert_str_eq(ia, ib, "the identifier rows of the surviving records");
    free(ia);
    free(ib);

    /* The same file again: the rest is added, what was there is unchanged. */
    char again[64];
    snprintf(again, sizeof again, "--batch 500 --workers %s", workers);
    cr_assert_eq(import(d, "data", again), 0);
    got = clusters(d, "data");
    cr_assert_eq(count_lines(got), RECORDS + 1);
    free(got);
    cr_assert_eq(import(d, "fresh", again), 0);
    ia = idents(d, "data");
    ib = idents(d, "fresh");
    cr_assert_str_eq(ia, ib, "completed: the identifier rows of a load in one go");
    free(ia);
    free(ib);
    for (int i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

Test(import_bulk, kill_9_mid_import_keeps_whole_batches_and_loses_nothing, .timeout = 600)
{
    kill_mid_import("1");
}

Test(import_bulk, kill_9_mid_import_with_workers_loses_no_committed_batch, .timeout = 600)
{
    kill_mid_import("2");
}
