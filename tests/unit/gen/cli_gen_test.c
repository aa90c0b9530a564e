/*
 * Tests of the `aurum gen` command: argument parsing and exit codes, through its run()
 * function. The CLI sources are not part of libaurum, so the command file is compiled into
 * this test directly.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/gen.c"

Test(cli_gen, writes_the_files_and_rejects_bad_arguments)
{
    char dir[] = "/tmp/aurum-cli-gen-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char *ok[] = {"gen", "--people", "1000",  "--out",    dir, "--seed",
                  "5",   "--format", "jsonl", "--events", NULL};
    cr_assert_eq(au_cli_gen.run(10, ok), 0);
    char path[256];
    const char *files[] = {"crm.jsonl", "support.jsonl", "truth.csv", "events.jsonl",
                           "northwind.yaml"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        cr_assert_eq(access(path, R_OK), 0, "%s written", files[i]);
    }
    char *unknown[] = {"gen", "--peeple", "10", NULL};
    cr_assert_eq(au_cli_gen.run(3, unknown), 2);
    char *notnum[] = {"gen", "--people", "ten", "--out", dir, NULL};
    cr_assert_eq(au_cli_gen.run(5, notnum), 2);
    char *fmt[] = {"gen", "--people", "10", "--out", dir, "--format", "xml", NULL};
    cr_assert_eq(au_cli_gen.run(7, fmt), 2);
    char *country[] = {"gen", "--people", "10", "--out", dir, "--country", "FR", NULL};
    cr_assert_eq(au_cli_gen.run(7, country), 2);
    cr_assert_not_null(strstr(au_cli_gen.spec->synopsis, "--single-source"));
    char *traps[] = {"gen", "--people", "200", "--out", dir, "--traps", NULL};
    cr_assert_eq(au_cli_gen.run(6, traps), 0);
    snprintf(path, sizeof(path), "%s/traps.csv", dir);
    cr_assert_eq(access(path, R_OK), 0, "--traps writes traps.csv");
    char *single[] = {"gen", "--single-source", "--records", "100", "--out", dir, "--traps", NULL};
    cr_assert_eq(au_cli_gen.run(7, single), 2, "--traps needs the six systems");
    cr_assert_not_null(strstr(au_cli_gen.spec->about, "--traps"));
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}
