/*
 * Black-box tests of `make demo` (scripts/demo.sh --exit, the real binary AURUM_BIN): on a small
 * Northwind set, a temporary directory and free loopback ports, the demo loads every system,
 * triggers every flow and prints the summary; it exits 0 only when every demo flow delivered.
 * The per-source counts must add up to the rows the generator wrote, every flow must show
 * delivered runs with none failed or dead, and address-sync must have reached the warehouse.
 * With the complaint flow's audit file pointed at a place that cannot exist, the demo must fail
 * loudly: non-zero exit, naming the flow and the reason.
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <ftw.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_MAX (1 << 20)

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    return remove(p);
}

static const char *bin(void)
{
    const char *b = getenv("AURUM_BIN");
    return b ? b : "build/aurum";
}

/* Runs the demo with extra environment assignments `env` ("A=1 B=2") in the data directory
 * `dir`; returns the exit code, *out gets stdout+stderr (free()). */
static int run_demo(const char *dir, const char *env, char **out)
{
    char outpath[] = "/tmp/aurum-demo-out-XXXXXX";
    int fd = mkstemp(outpath);
    cr_assert(fd >= 0);
    close(fd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "env -u AURUM_ADMIN_KEY AURUM=%s AURUM_DEMO_DIR=%s AURUM_DEMO_PEOPLE=300 "
             "AURUM_DEMO_LISTEN=127.0.0.1:0 AURUM_DEMO_SINK=127.0.0.1:0 %s "
             "scripts/demo.sh --exit </dev/null >%s 2>&1",
             bin(), dir, env, outpath);
    int st = system(cmd);
    FILE *f = fopen(outpath, "r");
    cr_assert_not_null(f);
    *out = calloc(1, OUT_MAX);
    size_t n = fread(*out, 1, OUT_MAX - 1, f);
    (*out)[n] = 0;
    fclose(f);
    unlink(outpath);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* "1,234" -> 1234 */
static long number(const char *s)
{
    long n = 0;
    for (; (*s >= '0' && *s <= '9') || *s == ','; s++)
        if (*s != ',')
            n = n * 10 + (*s - '0');
    return n;
}

/* Data rows of a generated CSV file (lines minus the header). */
static long csv_rows(const char *dir, const char *source)
{
    char path[512];
    snprintf(path, sizeof path, "%s/northwind/%s.csv", dir, source);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    long lines = 0;
    int c;
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    return lines - 1;
}

/* The summary line of `flow`: its delivered, failed and dead counts. */
static void flow_line(const char *out, const char *flow, long *ok, long *bad, long *dead)
{
    char pat[256];
    regex_t re;
    regmatch_t m[4];
    snprintf(pat, sizeof pat, "\n  %s +([0-9,]+) delivered / ([0-9,]+) failed / ([0-9,+]+) dead",
             flow);
    cr_assert_eq(regcomp(&re, pat, REG_EXTENDED), 0);
    int found = regexec(&re, out, 4, m, 0) == 0;
    regfree(&re);
    cr_assert(found, "no summary line for %s in:\n%s", flow, out);
    *ok = number(out + m[1].rm_so);
    *bad = number(out + m[2].rm_so);
    *dead = number(out + m[3].rm_so);
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/aurum-demo-XXXXXX");
    cr_assert_not_null(mkdtemp(d));
    return d;
}

Test(demo, every_flow_delivers_and_the_summary_adds_up, .timeout = 300)
{
    static const char *const sources[] = {"crm",     "webshop",     "pos",
                                          "billing", "collections", "support"};
    static const char *const flows[] = {"payment-closes-dunning", "complaint-to-support",
                                        "address-sync"};
    char *d = tmpdir(), *out = NULL;
    int code = run_demo(d, "", &out);
    cr_assert_eq(code, 0, "exit %d:\n%s", code, out);
    /* billing is pulled from PostgreSQL when it is installed, the POS file from a drop */
    if (access("/usr/lib/postgresql/15/bin/postgres", X_OK) == 0)
        cr_assert_not_null(strstr(out, "\n  billing: pulled from PostgreSQL"), "%s", out);
    cr_assert_not_null(strstr(out, "\n  pos: nightly file dropped into "), "%s", out);

    long total = 0;
    for (size_t i = 0; i < 6; i++) {
        char want[128];
        long rows = csv_rows(d, sources[i]);
        cr_assert_gt(rows, 0);
        snprintf(want, sizeof want, "\n  %s: ", sources[i]);
        /* "  crm: read ..." is the import's own line; the summary's is "  crm: N records". */
        const char *summary = NULL;
        for (const char *p = strstr(out, want); p; p = strstr(p + 1, want))
            if (strncmp(p + strlen(want) + strspn(p + strlen(want), "0123456789,"), " records\n",
                        9) == 0)
                summary = p;
        cr_assert_not_null(summary, "no '%s: N records' in:\n%s", sources[i], out);
        cr_assert_eq(number(summary + strlen(want)), rows, "%s: printed %ld, generated %ld",
                     sources[i], number(summary + strlen(want)), rows);
        total += rows;
    }
    regex_t re;
    regmatch_t m[3];
    cr_assert_eq(
        regcomp(&re, "\n([0-9,]+) records from 6 systems -> ([0-9,]+) customers\n", REG_EXTENDED),
        0);
    int found = regexec(&re, out, 3, m, 0) == 0;
    regfree(&re);
    cr_assert(found, "no total line in:\n%s", out);
    cr_assert_eq(number(out + m[1].rm_so), total);
    long customers = number(out + m[2].rm_so);
    /* 300 people: duplicates merge, so fewer customers than records but at least one. */
    cr_assert(customers > 0 && customers < total, "%ld customers of %ld records", customers, total);
    cr_assert_not_null(strstr(out, "\n    pairwise  precision 0."), "no accuracy line:\n%s", out);

    for (size_t i = 0; i < 3; i++) {
        long ok, bad, dead;
        flow_line(out, flows[i], &ok, &bad, &dead);
        cr_assert_gt(ok, 0, "%s delivered nothing:\n%s", flows[i], out);
        cr_assert_eq(bad, 0, "%s has failed runs:\n%s", flows[i], out);
        cr_assert_eq(dead, 0, "%s dead-lettered:\n%s", flows[i], out);
        char trig[128];
        snprintf(trig, sizeof trig, "  # %s\n  curl ", flows[i]);
        cr_assert_not_null(strstr(out, trig), "no trigger command for %s:\n%s", flows[i], out);
        /* the run the demo's own trigger caused was delivered */
        regex_t tr;
        snprintf(trig, sizeof trig, "the demo trigger: run [0-9]+ delivered \\(GET /v1/flows/%s/",
                 flows[i]);
        cr_assert_eq(regcomp(&tr, trig, REG_EXTENDED | REG_NOSUB), 0);
        int hit = regexec(&tr, out, 0, NULL, 0) == 0;
        regfree(&tr);
        cr_assert(hit, "the trigger of %s was not delivered:\n%s", flows[i], out);
    }
    cr_assert_not_null(strstr(out, "All demo flows delivered."), "%s", out);
    /* address-sync's delivery reached the warehouse stand-in. */
    cr_assert(regcomp(&re, "\n +[1-9][0-9]* warehouse\n", REG_EXTENDED | REG_NOSUB) == 0);
    found = regexec(&re, out, 0, NULL, 0) == 0;
    regfree(&re);
    cr_assert(found, "the warehouse received nothing:\n%s", out);
    free(out);
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

Test(demo, a_dead_lettering_flow_fails_the_demo_naming_flow_and_reason, .timeout = 300)
{
    char *d = tmpdir(), *out = NULL;
    /* /proc refuses new directories, so the audit step can never write its file. */
    int code = run_demo(d, "AURUM_DEMO_AUDIT_DIR=/proc/aurum-demo-nowhere", &out);
    cr_assert_neq(code, 0, "the demo passed with a dead-lettering flow:\n%s", out);
    long ok, bad, dead;
    flow_line(out, "complaint-to-support", &ok, &bad, &dead);
    cr_assert_gt(dead, 0, "%s", out);
    const char *msg = strstr(out, "demo FAILED: flow complaint-to-support:");
    cr_assert_not_null(msg, "%s", out);
    cr_assert_not_null(strstr(msg, "/proc/aurum-demo-nowhere/complaints.jsonl"), "%s", out);
    cr_assert_null(strstr(out, "All demo flows delivered."), "%s", out);
    free(out);
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}
