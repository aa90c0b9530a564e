/*
 * Black-box tests of what every subcommand shares (the real binary, AURUM_BIN): each command
 * listed by `aurum help` answers --help and -h with its usage (exit 0), names an unknown option
 * and prints the usage (exit 2); missing arguments say what is missing (exit 2); the read
 * commands on a mistyped --data say the store does not exist, naming the path, and create
 * nothing (exit 1); --version and version agree; the help topics exist; logs are JSON lines
 * when stderr is not a terminal and text lines with --log-format text or log_format: text.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *bin(void)
{
    const char *b = getenv("AURUM_BIN");
    return b ? b : "build/aurum";
}

/* Output of one run: stdout and stderr apart (free()). */
typedef struct run_out {
    char *out, *err;
} run_out;

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char *s = calloc(1, 1 << 20);
    size_t n = fread(s, 1, (1 << 20) - 1, f);
    s[n] = 0;
    fclose(f);
    unlink(path);
    return s;
}

/* Runs `aurum ARGS` (stdin from /dev/null); returns the exit code. */
static int run(const char *args, run_out *r)
{
    char o[] = "/tmp/aurum-cli-out-XXXXXX", e[] = "/tmp/aurum-cli-err-XXXXXX";
    int fo = mkstemp(o), fe = mkstemp(e);
    cr_assert(fo >= 0 && fe >= 0);
    close(fo);
    close(fe);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s </dev/null >%s 2>%s", bin(), args, o, e);
    int st = system(cmd);
    r->out = slurp(o);
    r->err = slurp(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void run_free(run_out *r)
{
    free(r->out);
    free(r->err);
}

/* The command names `aurum help` lists under "commands:" (up to the line of `help`). */
static int list_commands(char names[][32], int max)
{
    run_out r;
    cr_assert_eq(run("help", &r), 0, "%s", r.err);
    const char *p = strstr(r.out, "\ncommands:\n");
    cr_assert_not_null(p, "%s", r.out);
    int n = 0;
    for (p += 11; *p == ' ' && n < max; p = strchr(p, '\n') + 1) {
        cr_assert_eq(sscanf(p, " %31s", names[n]), 1);
        if (strcmp(names[n], "help") == 0)
            break;
        n++;
    }
    run_free(&r);
    return n;
}

Test(cli, every_command_answers_help_and_h_with_its_usage)
{
    char names[64][32], args[128], want[64];
    int n = list_commands(names, 64);
    cr_assert_geq(n, 10, "aurum help lists the commands (%d found)", n);
    snprintf(names[n++], sizeof names[0], "help");
    for (int i = 0; i < n; i++) {
        const char *flags[] = {"--help", "-h"};
        for (int k = 0; k < 2; k++) {
            run_out r;
            snprintf(args, sizeof args, "%s %s", names[i], flags[k]);
            /* `aurum help --help` is the overview, whose usage names COMMAND */
            snprintf(want, sizeof want, "usage: aurum %s",
                     strcmp(names[i], "help") ? names[i] : "COMMAND");
            cr_assert_eq(run(args, &r), 0, "aurum %s: exit code (stderr: %s)", args, r.err);
            cr_assert_eq(strncmp(r.out, want, strlen(want)), 0, "aurum %s printed: %s", args,
                         r.out);
            cr_assert(strstr(r.out, "--help"), "aurum %s: the usage lists --help", args);
            run_free(&r);
        }
        if (strcmp(names[i], "help") == 0)
            continue;
        run_out h;
        snprintf(args, sizeof args, "help %s", names[i]);
        cr_assert_eq(run(args, &h), 0);
        cr_assert_eq(strncmp(h.out, want, strlen(want)), 0, "aurum help %s: %s", names[i], h.out);
        run_free(&h);
    }
}

Test(cli, every_command_names_an_unknown_option_and_exits_2)
{
    char names[64][32], args[128];
    int n = list_commands(names, 64);
    for (int i = 0; i < n; i++) {
        run_out r;
        snprintf(args, sizeof args, "%.31s --no-such-option", names[i]);
        cr_assert_eq(run(args, &r), 2, "aurum %s: exit code (stderr: %s)", args, r.err);
        cr_assert(strstr(r.err, "unknown option '--no-such-option'"), "aurum %s: %s", args, r.err);
        cr_assert(strstr(r.err, "usage: aurum "), "aurum %s prints the usage: %s", args, r.err);
        cr_assert_str_eq(r.out, "", "aurum %s: nothing on stdout", args);
        run_free(&r);
    }
}

/* `aurum ARGS` exits 2 and its stderr holds `want`. */
static void expect_usage_error(const char *args, const char *want)
{
    run_out r;
    cr_assert_eq(run(args, &r), 2, "aurum %s: exit code (stderr: %s)", args, r.err);
    cr_assert(strstr(r.err, want), "aurum %s: '%s' lacks '%s'", args, r.err, want);
    run_free(&r);
}

Test(cli, missing_arguments_and_values_say_what_is_missing)
{
    expect_usage_error("import x.csv", "missing --source NAME");
    expect_usage_error("import --source crm", "missing FILE...");
    expect_usage_error("import --source", "--source needs a value (NAME)");
    expect_usage_error("import --source crm --batch 0 x.csv",
                       "--batch: expected an integer from 1 to 1000000, got '0'");
    expect_usage_error("import --source crm --format xml x.csv",
                       "--format: expected one of csv, jsonl, ndjson, got 'xml'");
    expect_usage_error("eval", "missing --truth FILE");
    expect_usage_error("explain", "explain wants two records as SOURCE:ID SOURCE:ID");
    expect_usage_error("explain crm:1", "missing the second record");
    expect_usage_error("explain crm webshop:2", "'crm' is not SOURCE:ID");
    expect_usage_error("gen --people 10", "missing --out DIR");
    expect_usage_error("keys", "missing what to do: create, list or revoke");
    expect_usage_error("keys create", "missing --scope S");
    expect_usage_error("keys revoke", "missing ID");
    expect_usage_error("clusters extra", "unexpected argument 'extra'");
    expect_usage_error("clusters --json=yes", "unknown option '--json'");
    expect_usage_error("eval --json=1 --truth t", "--json takes no value");
    expect_usage_error("no-such-command", "unknown command 'no-such-command'");
    expect_usage_error("help no-such-topic", "no command or help topic 'no-such-topic'");
    expect_usage_error("version --log-format yaml",
                       "--log-format: expected one of text, json, got 'yaml'");
}

/* `aurum ARGS` (with DIR the missing data dir) exits 1 saying the store does not exist, and
 * DIR is still absent afterwards. */
static void expect_no_store(const char *fmt, const char *dir, const char *extra)
{
    char args[1024], want[512];
    snprintf(args, sizeof args, fmt, dir, extra);
    snprintf(want, sizeof want, "no store at '%s': %s/aurum.db does not exist", dir, dir);
    run_out r;
    cr_assert_eq(run(args, &r), 1, "aurum %s: exit code (stderr: %s)", args, r.err);
    cr_assert(strstr(r.err, want), "aurum %s: '%s' lacks '%s'", args, r.err, want);
    struct stat st;
    cr_assert_neq(stat(dir, &st), 0, "aurum %s created %s", args, dir);
    run_free(&r);
}

Test(cli, read_commands_on_a_missing_data_dir_say_so_and_create_nothing)
{
    char base[] = "/tmp/aurum-cli-XXXXXX", dir[300], truth[300];
    cr_assert_not_null(mkdtemp(base));
    snprintf(dir, sizeof dir, "%s/mistyped", base);
    snprintf(truth, sizeof truth, "%s/truth.csv", base);
    FILE *f = fopen(truth, "w");
    cr_assert_not_null(f);
    fputs("source,record_id,cluster\ncrm,1,a\n", f);
    fclose(f);
    expect_no_store("clusters --data %s%s", dir, "");
    expect_no_store("clusters --format jsonl --data %s%s", dir, "");
    expect_no_store("eval --data %s --truth %s", dir, truth);
    expect_no_store("explain --data %s%s crm:1 webshop:2", dir, "");
    expect_no_store("explain --data %s%s --profile 3", dir, "");
    expect_no_store("train --data %s%s", dir, "");
    expect_no_store("keys list --data %s%s", dir, "");
    expect_no_store("keys revoke --data %s%s k1", dir, "");
    unlink(truth);
    cr_assert_eq(rmdir(base), 0);
}

Test(cli, version_and_dash_dash_version_agree)
{
    run_out a, b;
    cr_assert_eq(run("version", &a), 0);
    cr_assert_eq(run("--version", &b), 0);
    cr_assert_eq(strncmp(a.out, "aurum ", 6), 0, "%s", a.out);
    cr_assert_str_eq(a.out, b.out);
    run_free(&a);
    run_free(&b);
}

Test(cli, help_topics_config_and_flows)
{
    run_out r;
    cr_assert_eq(run("help", &r), 0);
    cr_assert(strstr(r.out, "  config ") && strstr(r.out, "  flows "), "%s", r.out);
    run_free(&r);
    cr_assert_eq(run("help config", &r), 0);
    const char *config_words[] = {"log_format", "record_id:", "fields:", "on_invalid:",
                                  "trust:",     "trigger:",   "steps:",  "retry:"};
    for (size_t i = 0; i < sizeof config_words / sizeof config_words[0]; i++)
        cr_assert(strstr(r.out, config_words[i]), "help config lacks %s", config_words[i]);
    cr_assert_null(strstr(r.out, "date_format"), "there is no date_format key");
    cr_assert_null(strstr(r.out, "  connectors "), "refused sections are not offered");
    run_free(&r);
    cr_assert_eq(run("help flows", &r), 0);
    const char *flow_words[] = {"Triggers", "schedule:",      "webhook:",       "Run context",
                                "http:",    "upsert_record:", "idempotency_key"};
    for (size_t i = 0; i < sizeof flow_words / sizeof flow_words[0]; i++)
        cr_assert(strstr(r.out, flow_words[i]), "help flows lacks %s", flow_words[i]);
    run_free(&r);
}

/* A command that logs: keys create on a new store logs "store migrated". */
Test(cli, logs_are_json_off_a_terminal_and_text_when_asked)
{
    char base[] = "/tmp/aurum-cli-log-XXXXXX", args[1024], cfg[300];
    cr_assert_not_null(mkdtemp(base));
    run_out r;
    snprintf(args, sizeof args, "keys create --scope read --data %s/a", base);
    cr_assert_eq(run(args, &r), 0, "%s", r.err);
    cr_assert_eq(strncmp(r.err, "{\"ts\":\"", 7), 0, "JSON lines when not a terminal: %s", r.err);
    cr_assert(strstr(r.err, "\"msg\":\"store migrated\""), "%s", r.err);
    run_free(&r);

    snprintf(args, sizeof args, "keys create --scope read --data %s/b --log-format text", base);
    cr_assert_eq(run(args, &r), 0, "%s", r.err);
    int y, mo, d, h, mi, s;
    char level[8], msg[32];
    cr_assert_eq(sscanf(r.err, "%4d-%2d-%2d %2d:%2d:%2d %7s %31[a-z ]", &y, &mo, &d, &h, &mi, &s,
                        level, msg),
                 8, "a text line: %s", r.err);
    cr_assert_str_eq(level, "info");
    cr_assert(strstr(r.err, " info  store migrated from=empty\n"), "%s", r.err);
    run_free(&r);

    snprintf(cfg, sizeof cfg, "%s/aurum.yaml", base);
    FILE *f = fopen(cfg, "w");
    cr_assert_not_null(f);
    fputs("log_format: text\n", f);
    fclose(f);
    snprintf(args, sizeof args, "keys create --scope read --data %s/c --config %s", base, cfg);
    cr_assert_eq(run(args, &r), 0, "%s", r.err);
    cr_assert(strstr(r.err, " info  store migrated from=empty\n"), "config log_format: %s", r.err);
    run_free(&r);
    /* the command line wins over the file */
    snprintf(args, sizeof args,
             "--log-format json keys create --scope read --data %s/d --config %s", base, cfg);
    cr_assert_eq(run(args, &r), 0, "%s", r.err);
    cr_assert_eq(strncmp(r.err, "{\"ts\":\"", 7), 0, "--log-format beats the config: %s", r.err);
    run_free(&r);
    snprintf(args, sizeof args, "rm -rf '%s'", base);
    cr_assert_eq(system(args), 0);
}
