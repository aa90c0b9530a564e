/*
 * Black-box tests of the identity-resolution commands (the real binary, AURUM_BIN): after an
 * offline import of FEBRL1, `aurum clusters` lists every record with its profile, `aurum eval`
 * scores it against a truth file, `aurum explain` prints the comparison table for a pair and a
 * profile, and `aurum train` prints the weights, stores the model and writes it as JSON that the
 * next import reads back.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Runs `aurum ARGS`, returns the exit code; *out gets stdout+stderr (free()). */
static int run(const char *args, char **out)
{
    char outpath[] = "/tmp/aurum-rcli-out-XXXXXX";
    int fd = mkstemp(outpath);
    cr_assert(fd >= 0);
    close(fd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>&1", bin(), args, outpath);
    int st = system(cmd);
    FILE *f = fopen(outpath, "r");
    cr_assert_not_null(f);
    *out = calloc(1, 1 << 20);
    size_t n = fread(*out, 1, (1 << 20) - 1, f);
    (*out)[n] = 0;
    fclose(f);
    unlink(outpath);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(resolve_cli, clusters_eval_explain_and_train_on_an_imported_file, .timeout = 300)
{
    char *d = strdup("/tmp/aurum-rcli-XXXXXX"), *out = NULL, args[2048], truth[300], model[300];
    cr_assert_not_null(mkdtemp(d));
    snprintf(args, sizeof args,
             "import --data %s/data --config tests/data/febrl.yaml --source febrl "
             "tests/data/febrl1.csv",
             d);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    free(out);

    snprintf(args, sizeof args, "clusters --data %s/data", d);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    cr_assert_eq(strncmp(out, "source,record_id,profile_id\n", 28), 0, "%s", out);
    cr_assert_eq(count_lines(out), 1001, "a header and one line per record");
    cr_assert(strstr(out, "\nfebrl,rec-223-org,"), "%.200s", out);
    /* the same clustering as truth, with the cluster = the profile itself: perfect scores */
    snprintf(truth, sizeof truth, "%s/truth.csv", d);
    FILE *f = fopen(truth, "w");
    cr_assert_not_null(f);
    fputs(out, f);
    fclose(f);
    free(out);
    snprintf(args, sizeof args, "eval --data %s/data --truth %s --json", d, truth);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s", out);
    cr_assert_float_eq(json_real_value(json_object_get(json_object_get(j, "pairwise"), "f1")), 1.0,
                       1e-9, "%s", out);
    cr_assert_eq(json_integer_value(json_object_get(j, "records")), 1000);
    json_decref(j);
    free(out);

    snprintf(args, sizeof args, "explain --data %s/data febrl:rec-223-org febrl:rec-223-dup-0", d);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    cr_assert(strstr(out, "date_of_birth") && strstr(out, "total") && strstr(out, "decision:"),
              "%s", out);
    free(out);
    snprintf(args, sizeof args, "explain --data %s/data --profile 1", d);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    cr_assert(strstr(out, "profile 1") && strstr(out, "mean weight"), "%s", out);
    free(out);
    snprintf(args, sizeof args, "explain --data %s/data febrl:nope febrl:rec-223-org", d);
    cr_assert_eq(run(args, &out), 1, "%s", out);
    cr_assert(strstr(out, "not found"), "%s", out);
    free(out);

    snprintf(model, sizeof model, "%s/model.json", d);
    snprintf(args, sizeof args, "train --data %s/data --json %s", d, model);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    cr_assert(strstr(out, "first_name") && strstr(out, "weight") && strstr(out, "model stored"),
              "%s", out);
    free(out);
    j = json_load_file(model, 0, NULL);
    cr_assert_not_null(j, "the model is JSON");
    cr_assert(json_is_object(json_object_get(json_object_get(j, "columns"), "last_name")));
    json_decref(j);
    /* the stored model is loaded by the next engine open */
    snprintf(args, sizeof args,
             "import --data %s/data --config tests/data/febrl.yaml --source febrl "
             "tests/data/febrl1.csv",
             d);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    free(out);
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}

/* `aurum eval --traps`: the errors of a trap-rich generated set per trap kind, in the table and
 * in JSON, consistent with the pairwise totals; a traps file without its columns is refused. */
Test(resolve_cli, eval_breaks_the_errors_down_by_trap_kind, .timeout = 300)
{
    char *d = strdup("/tmp/aurum-rcli-traps-XXXXXX"), *out = NULL, args[2048];
    static const char *const systems[] = {"crm",     "webshop",     "pos",
                                          "billing", "collections", "support"};
    cr_assert_not_null(mkdtemp(d));
    snprintf(args, sizeof args, "gen --people 400 --traps --seed 3 --out %s/gen", d);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    free(out);
    for (size_t i = 0; i < sizeof systems / sizeof systems[0]; i++) {
        snprintf(args, sizeof args,
                 "import --data %s/data --config %s/gen/northwind.yaml --source %s %s/gen/%s.csv",
                 d, d, systems[i], d, systems[i]);
        int rc = run(args, &out);
        cr_assert(rc == 0 || rc == 1, "imported, some dirty records maybe refused: %s", out);
        free(out);
    }
    snprintf(args, sizeof args,
             "eval --data %s/data --truth %s/gen/truth.csv --traps %s/gen/traps.csv --json", d, d,
             d);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    json_t *j = json_loads(out, 0, NULL);
    cr_assert_not_null(j, "%s", out);
    json_t *pw = json_object_get(j, "pairwise"), *by = json_object_get(j, "by_trap");
    cr_assert(json_is_object(by), "%s", out);
    json_int_t fp = json_integer_value(json_object_get(pw, "fp"));
    json_int_t fn = json_integer_value(json_object_get(pw, "fn"));
    cr_assert_gt(fp + fn, 0, "a trap-rich set has errors to break down");
    const char *kind;
    json_t *v;
    json_int_t touched = 0;
    json_object_foreach(by, kind, v)
    {
        json_int_t kfp = json_integer_value(json_object_get(v, "fp"));
        json_int_t kfn = json_integer_value(json_object_get(v, "fn"));
        cr_assert(kfp <= fp && kfn <= fn, "%s: %s", kind, out);
        touched += kfp + kfn;
    }
    cr_assert_not_null(json_object_get(by, "dob_2digit_year"), "%s", out);
    cr_assert_not_null(json_object_get(by, "(none)"));
    cr_assert_geq(touched, fp + fn, "every error pair is counted under a kind or (none)");
    json_decref(j);
    free(out);
    snprintf(args, sizeof args,
             "eval --data %s/data --truth %s/gen/truth.csv --traps %s/gen/traps.csv", d, d, d);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    cr_assert(strstr(out, "errors by trap kind") && strstr(out, "jr_sr"), "%s", out);
    free(out);
    snprintf(args, sizeof args,
             "eval --data %s/data --truth %s/gen/truth.csv --traps %s/gen/truth.csv", d, d, d);
    cr_assert_eq(run(args, &out), 1, "%s", out);
    cr_assert(strstr(out, "traps header"), "%s", out);
    free(out);
    nftw(d, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(d);
}
