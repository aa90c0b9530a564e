/*
 * Black-box tests of `aurum import` (the real binary, AURUM_BIN): exit codes, the summary it
 * prints, rejected records listed with file and line, the unknown-source message, and the
 * refusal to touch a data directory locked by a running daemon.
 */
#define _XOPEN_SOURCE 700
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    return remove(p);
}

static const char *bin(void)
{
    const char *b = getenv("AURUM_BIN");
    return b ? b : "build/aurum";
}

/* Runs `aurum import ARGS`, returns the exit code; *out gets stdout+stderr (free()). */
static int run_import(const char *args, char **out)
{
    char outpath[] = "/tmp/aurum-cli-out-XXXXXX";
    int fd = mkstemp(outpath);
    cr_assert(fd >= 0);
    close(fd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s import %s >%s 2>&1", bin(), args, outpath);
    int st = system(cmd);
    FILE *f = fopen(outpath, "r");
    cr_assert_not_null(f);
    *out = calloc(1, 1 << 16);
    size_t n = fread(*out, 1, (1 << 16) - 1, f);
    (*out)[n] = 0;
    fclose(f);
    unlink(outpath);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *tmpdir(void)
{
    char *d = strdup("/tmp/aurum-cli-XXXXXX");
    cr_assert_not_null(mkdtemp(d));
    return d;
}

static void cleanup(char *d)
{
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

Test(import_cli, febrl_file_imports_with_exit_0)
{
    char *d = tmpdir(), *out = NULL, args[1024];
    snprintf(args, sizeof args,
             "--data %s --config tests/data/febrl.yaml --source febrl ../shared/data/febrl1.csv",
             d);
    int code = run_import(args, &out);
    cr_assert_eq(code, 0, "exit %d: %s", code, out);
    cr_assert(strstr(out, "read 1000, inserted 1000, updated 0, unchanged 0, rejected 0"), "%s",
              out);
    free(out);
    code = run_import(args, &out);
    cr_assert_eq(code, 0, "exit %d: %s", code, out);
    cr_assert(strstr(out, "unchanged 1000"), "%s", out);
    free(out);
    cleanup(d);
}

Test(import_cli, rejected_rows_give_exit_1_and_are_listed)
{
    char *d = tmpdir(), *out = NULL, args[1024];
    snprintf(args, sizeof args,
             "--data %s --config tests/cases/import/febrl_basic/config.yaml --source src "
             "tests/cases/import/febrl_basic/input.csv",
             d);
    int code = run_import(args, &out);
    cr_assert_eq(code, 1, "exit %d: %s", code, out);
    cr_assert(strstr(out, "rejected 1"), "%s", out);
    cr_assert(strstr(out, "tests/cases/import/febrl_basic/input.csv:4: record rec-373-org, field "
                          "date_of_birth"),
              "%s", out);
    free(out);
    cleanup(d);
}

Test(import_cli, usage_errors_and_unknown_source)
{
    char *d = tmpdir(), *out = NULL, args[1024];
    cr_assert_eq(run_import("../shared/data/febrl1.csv", &out), 2, "%s", out);
    free(out);
    cr_assert_eq(run_import("--source febrl --format xml x.csv", &out), 2, "%s", out);
    free(out);
    snprintf(args, sizeof args,
             "--data %s --config tests/data/febrl.yaml --source crm ../shared/data/febrl1.csv", d);
    cr_assert_eq(run_import(args, &out), 1, "%s", out);
    cr_assert(strstr(out, "unknown source 'crm'; known sources: febrl"), "%s", out);
    free(out);
    cleanup(d);
}

Test(import_cli, a_locked_data_directory_is_refused)
{
    char *d = tmpdir(), *out = NULL, args[1024], lock[1024];
    snprintf(lock, sizeof lock, "%s/aurum.lock", d);
    int fd = open(lock, O_RDWR | O_CREAT, 0600);
    cr_assert(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
    snprintf(args, sizeof args,
             "--data %s --config tests/data/febrl.yaml --source febrl ../shared/data/febrl1.csv",
             d);
    cr_assert_eq(run_import(args, &out), 1, "%s", out);
    cr_assert(strstr(out, "data directory in use by a running daemon; use --server URL"), "%s",
              out);
    free(out);
    close(fd);
    cleanup(d);
}
