/*
 * `aurum explain`: why two records are (not) one person - the rule that fired or each
 * comparison's level and weight, the prior and the total - or, with --profile, why every record
 * of a profile belongs to it. Loads the resolver from the store read-only (works beside a
 * running daemon, at the cost of reading every record).
 */
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/resolve_common.h"
#include "resolve/hook.h"
#include "lib/lockfile.h"

typedef struct explain_opts {
    const char *data, *config;
    long profile;
    int json;
} explain_opts;

static const au_arg options[] = {
    AU_ARG_ROW("--data", AU_ARG_STR, offsetof(explain_opts, data), "DIR",
               "data directory (default: data_dir of the config); must exist"),
    AU_ARG_ROW("--config", AU_ARG_STR, offsetof(explain_opts, config), "FILE",
               "YAML configuration"),
    AU_ARG_ROW("--profile", AU_ARG_LONG, offsetof(explain_opts, profile), "N",
               "explain every record of profile N instead of a pair", .min = 1, .max = LONG_MAX),
    AU_ARG_ROW("--json", AU_ARG_FLAG, offsetof(explain_opts, json), NULL,
               "print the explanation as JSON"),
};

static const au_args_spec spec = {
    .prog = "aurum explain",
    .synopsis = "[--data DIR] [--config FILE] [--json] SOURCE:ID SOURCE:ID\n"
                "       aurum explain [--data DIR] [--config FILE] [--json] --profile N",
    .about = "Shows the match decision for two records, each named SOURCE:ID (the source and the "
             "record's\nown id, e.g. crm:C-1001 webshop:W-77), as a table (rule, every "
             "comparison's level and\nmatch weight, prior, total), or for every record of profile "
             "N its best link inside it.\nGeneric values (GET /v1/quality/generic) and "
             "quarantined values are marked on their row;\nstrong negative evidence "
             "(generational_suffix, parent_child, family_member, twins) and a\ndenial (an "
             "identifier against a different given name and birth date) are listed below.\n",
    .opts = options,
    .nopts = sizeof(options) / sizeof(options[0]),
    .args = "SOURCE:ID SOURCE:ID",
    .max_args = 2,
};

/* Sizes of the two parts of a SOURCE:ID reference. */
#define REF_SOURCE_MAX 256
#define REF_ID_MAX     1024

static const char *ref_text(const json_t *ref, char *buf, size_t n)
{
    snprintf(buf, n, "%s:%s", json_string_value(json_object_get(ref, "source")),
             json_string_value(json_object_get(ref, "record")));
    return buf;
}

/* Evidence beyond the column weights: negative evidence with its weight, the denial. */
static void print_evidence(const json_t *d, const char *indent)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(d, "evidence"), i, e)
    {
        const char *kind = json_string_value(json_object_get(e, "kind"));
        if (json_is_number(json_object_get(e, "weight")))
            printf("%s%-14s %5s  %-38s %+9.2f  (strong negative evidence: no link)\n", indent,
                   "evidence", "", kind, json_number_value(json_object_get(e, "weight")));
        else if (strcmp(kind, "denial") == 0)
            printf("%s%-14s %5s  %-38s %9s  (an identifier alone does not override a different "
                   "given name and birth date: review)\n",
                   indent, "evidence", "", json_string_value(json_object_get(e, "reason")), "");
    }
}

static void print_pair(const json_t *d, const char *indent)
{
    char a[256], b[256];
    const json_t *rule = json_object_get(d, "rule");
    size_t i;
    json_t *c;
    printf("%s%s  vs  %s\n", indent, ref_text(json_object_get(d, "a"), a, sizeof(a)),
           ref_text(json_object_get(d, "b"), b, sizeof(b)));
    printf("%srule: %s%s%s\n", indent, json_is_string(rule) ? json_string_value(rule) : "none",
           json_is_true(json_object_get(d, "conflict")) ? "  (conflicting identifiers)" : "",
           json_is_true(json_object_get(d, "swapped_names")) ? "  (names swapped)" : "");
    printf("%s%-14s %5s  %-38s %9s %9s\n", indent, "column", "level", "label", "weight", "tf");
    json_array_foreach(json_object_get(d, "comparisons"), i, c)
    {
        printf("%s%-14s %5lld  %-38s %+9.2f %+9.2f%s%s\n", indent,
               json_string_value(json_object_get(c, "column")),
               (long long)json_integer_value(json_object_get(c, "level")),
               json_string_value(json_object_get(c, "label")),
               json_real_value(json_object_get(c, "weight")),
               json_real_value(json_object_get(c, "tf_adjustment")),
               json_is_true(json_object_get(c, "generic")) ? "  generic value: no evidence" : "",
               json_is_true(json_object_get(c, "quarantined")) ? "  quarantined: digits only" : "");
    }
    print_evidence(d, indent);
    printf("%s%-14s %5s  %-38s %+9.2f\n", indent, "prior", "", "",
           json_real_value(json_object_get(d, "prior_weight")));
    printf("%s%-14s %5s  %-38s %+9.2f   probability %.4f   decision: %s\n", indent, "total", "", "",
           json_real_value(json_object_get(d, "total")),
           json_real_value(json_object_get(d, "probability")),
           json_string_value(json_object_get(d, "decision")));
}

static void print_profile(const json_t *d)
{
    size_t i;
    json_t *m;
    char r[256];
    printf("profile %lld\n", (long long)json_integer_value(json_object_get(d, "profile")));
    json_array_foreach(json_object_get(d, "members"), i, m)
    {
        printf("\n%s  mean weight %+.2f\n", ref_text(json_object_get(m, "record"), r, sizeof(r)),
               json_real_value(json_object_get(m, "mean_weight")));
        const json_t *link = json_object_get(m, "best_link");
        if (json_is_object(link))
            print_pair(link, "    ");
        else
            printf("    (alone in its profile)\n");
    }
}

/* Two SOURCE:ID references, or none with --profile; 0 or the usage exit code. */
static int check_refs(const explain_opts *o, int npos, char **pos, char *sa, char *ra, char *sb,
                      char *rb)
{
    if (o->profile > 0)
        return npos ? au_args_fail(&spec, "--profile takes no SOURCE:ID arguments") : 0;
    if (npos < 2)
        return au_args_fail(&spec,
                            "missing %s: explain wants two records as SOURCE:ID SOURCE:ID "
                            "(e.g. crm:C-1001 webshop:W-77), or --profile N",
                            npos ? "the second record" : "the records to compare");
    for (int i = 0; i < 2; i++)
        if (au_cli_split_ref(pos[i], i ? sb : sa, REF_SOURCE_MAX, i ? rb : ra, REF_ID_MAX))
            return au_args_fail(&spec, "'%s' is not SOURCE:ID (a source name, ':', a record id)",
                                pos[i]);
    return 0;
}

static int run(int argc, char **argv)
{
    explain_opts o = {0};
    int npos, lock = -1, code = au_args_run(&spec, &o, argc, argv, &npos);
    if (code != AU_ARG_CONTINUE)
        return code;
    long long profile = o.profile;
    int json = o.json;
    char sa[REF_SOURCE_MAX], ra[REF_ID_MAX], sb[REF_SOURCE_MAX], rb[REF_ID_MAX];
    if ((code = check_refs(&o, npos, argv + 1, sa, ra, sb, rb)))
        return code;
    code = 1;
    au_config *cfg = NULL;
    au_store *st = NULL;
    au_resolve_state *s = NULL;
    json_t *doc = NULL;
    au_err err;
    au_err_init(&err);
    if (au_cli_open_store("explain", o.data, NULL, o.config, AU_STORE_RO, &cfg, &st, &lock))
        goto out;
    if (au_resolve_state_load(st, cfg, &s, &err))
        goto out;
    doc = profile > 0 ? au_resolve_explain_profile(s, st, profile, &err)
                      : au_resolve_explain_pair(s, st, sa, ra, sb, rb, &err);
    if (!doc)
        goto out;
    if (json) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else if (profile > 0) {
        print_profile(doc);
    } else {
        print_pair(doc, "");
    }
    code = 0;
out:
    if (err.rc)
        fprintf(stderr, "aurum explain: %s\n", err.message);
    au_err_cleanup(&err);
    json_decref(doc);
    au_resolve_state_free(s);
    au_store_close(st);
    au_lockfile_release(lock);
    au_config_free(cfg);
    return code;
}

const au_cli_command au_cli_explain = {"explain", run,
                                       "why two records are (not) one person, or a profile's "
                                       "records belong together",
                                       NULL, &spec};
