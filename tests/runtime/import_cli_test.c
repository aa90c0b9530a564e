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
#include <signal.h>
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
             "--data %s --config tests/data/febrl.yaml --source febrl tests/data/febrl1.csv", d);
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
    cr_assert_eq(run_import("tests/data/febrl1.csv", &out), 2, "%s", out);
    free(out);
    cr_assert_eq(run_import("--source febrl --format xml x.csv", &out), 2, "%s", out);
    free(out);
    snprintf(args, sizeof args,
             "--data %s --config tests/data/febrl.yaml --source crm tests/data/febrl1.csv", d);
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
             "--data %s --config tests/data/febrl.yaml --source febrl tests/data/febrl1.csv", d);
    cr_assert_eq(run_import(args, &out), 1, "%s", out);
    cr_assert(strstr(out, "data directory in use by a running daemon; use --server URL"), "%s",
              out);
    free(out);
    close(fd);
    cleanup(d);
}

/* Starts `aurum serve` on a free loopback port; returns its pid and port, or 0 when serve is not
 * built in this tree yet. */
static pid_t start_daemon(const char *config, const char *dir, int *port)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s help 2>&1 | grep -q 'serve *(not built yet)'", bin());
    if (system(cmd) == 0)
        return 0;
    char portfile[1024];
    snprintf(portfile, sizeof portfile, "%s.port", dir);
    unlink(portfile);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        setenv("AURUM_ADMIN_KEY", "import-test-key-0123456789abcdef", 1);
        execl(bin(), bin(), "serve", "--config", config, "--data", dir, "--listen", "127.0.0.1:0",
              "--port-file", portfile, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) { /* up to 10 s for the daemon to listen */
        FILE *f = fopen(portfile, "r");
        if (f && fscanf(f, "%d", port) == 1 && *port > 0) {
            fclose(f);
            unlink(portfile);
            return pid;
        }
        if (f)
            fclose(f);
        usleep(50000);
    }
    kill(pid, SIGKILL);
    cr_assert_fail("daemon did not start");
    return 0;
}

static void stop_daemon(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

Test(import_cli, server_mode_isolates_rejected_records)
{
    char *d = tmpdir(), *out = NULL, args[1024];
    int port = 0;
    pid_t pid = start_daemon("tests/cases/import/febrl_basic/config.yaml", d, &port);
    if (!pid) {
        cleanup(d);
        cr_skip_test("aurum serve is not built in this tree");
    }
    snprintf(args, sizeof args,
             "--server http://127.0.0.1:%d --key import-test-key-0123456789abcdef --source src "
             "--batch 2 tests/cases/import/febrl_basic/input.csv",
             port);
    int code = run_import(args, &out);
    cr_assert_eq(code, 1, "exit %d: %s", code, out);
    cr_assert(strstr(out, "read 4, inserted 3, updated 0, unchanged 0, rejected 1"), "%s", out);
    cr_assert(strstr(out, "input.csv:4: record rec-373-org, field date_of_birth"), "%s", out);
    free(out);
    snprintf(args, sizeof args,
             "--server http://127.0.0.1:%d --key wrong-key --source src "
             "tests/cases/import/febrl_basic/input.csv",
             port);
    code = run_import(args, &out);
    cr_assert_eq(code, 1, "exit %d: %s", code, out);
    cr_assert(strstr(out, "401"), "%s", out);
    free(out);
    stop_daemon(pid);
    cleanup(d);
}

/* A dirty value does not fail the import: it is quarantined, counted and listed, exit 0;
 * --strict makes any quarantined value exit 1. Offline and through a daemon alike. */
Test(import_cli, quarantined_values_are_listed_and_only_strict_fails)
{
    static const char *const input = "tests/cases/import/quarantine_default/input.csv";
    static const char *const config = "tests/cases/import/quarantine_default/config.yaml";
    char *d = tmpdir(), *out = NULL, args[1024];
    snprintf(args, sizeof args, "--data %s --config %s --source src %s", d, config, input);
    int code = run_import(args, &out);
    cr_assert_eq(code, 0, "exit %d: %s", code, out);
    cr_assert(strstr(out, "imported 5 records; 6 values quarantined in 3 records"), "%s", out);
    cr_assert(strstr(out, "input.csv:3: record q2, field email: 'john-at-example.com': not an "
                          "e-mail address: missing @"),
              "%s", out);
    cr_assert(strstr(out, "input.csv:6: record q5, field dob: '32/01/1990': day 32 out of range"),
              "%s", out);
    free(out);
    snprintf(args, sizeof args, "--strict --data %s --config %s --source src %s", d, config, input);
    code = run_import(args, &out);
    cr_assert_eq(code, 1, "exit %d: %s", code, out);
    cr_assert(strstr(out, "imported 5 records; 6 values quarantined in 3 records"), "%s", out);
    free(out);
    cleanup(d);

    d = tmpdir();
    int port = 0;
    pid_t pid = start_daemon(config, d, &port);
    if (!pid) {
        cleanup(d);
        cr_skip_test("aurum serve is not built in this tree");
    }
    for (int strict = 0; strict < 2; strict++) {
        snprintf(
            args, sizeof args,
            "%s--server http://127.0.0.1:%d --key import-test-key-0123456789abcdef --source src "
            "--batch 2 %s",
            strict ? "--strict " : "", port, input);
        code = run_import(args, &out);
        cr_assert_eq(code, strict, "exit %d: %s", code, out);
        cr_assert(strstr(out, "values quarantined in 3 records"), "%s", out);
        cr_assert(strstr(out, "6 values quarantined"), "%s", out);
        /* lines are mapped back from each batch's indexes */
        cr_assert(strstr(out, "input.csv:4: record q3, field phone: '12'"), "%s", out);
        free(out);
    }
    stop_daemon(pid);
    cleanup(d);
}
