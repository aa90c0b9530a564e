/*
 * `aurum explain`: why two records are (not) one person - the rule that fired or each
 * comparison's level and weight, the prior and the total - or, with --profile, why every record
 * of a profile belongs to it. Loads the resolver from the store read-only (works beside a
 * running daemon, at the cost of reading every record).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/resolve_common.h"
#include "core/resolve_hook.h"
#include "lib/lockfile.h"

#define USAGE                                                                                      \
    "usage: aurum explain [--data DIR] [--config FILE] [--json] SOURCE:ID SOURCE:ID\n"             \
    "       aurum explain [--data DIR] [--config FILE] [--json] --profile N\n"                     \
    "\n"                                                                                           \
    "Shows the match decision for two records as a table (rule, every comparison's level and\n"    \
    "match weight, prior, total), or for every record of profile N its best link inside it.\n"     \
    "Generic values (GET /v1/quality/generic) and quarantined values are marked on their row;\n"   \
    "strong negative evidence (generational_suffix, parent_child, family_member, twins) and a\n"   \
    "denial (an identifier against a different given name and birth date) are listed below.\n"

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

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},    {"config", required_argument, NULL, 'c'},
        {"profile", required_argument, NULL, 'p'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *config = NULL;
    long long profile = 0;
    int ch, json = 0, code = 1, lock = -1;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "d:c:p:jh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            data = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'p':
            profile = strtoll(optarg, NULL, 10);
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return 0;
        default:
            fputs(USAGE, stderr);
            return 2;
        }
    }
    char sa[256], ra[1024], sb[256], rb[1024];
    if (profile <= 0 &&
        (argc - optind != 2 || au_cli_split_ref(argv[optind], sa, sizeof(sa), ra, sizeof(ra)) ||
         au_cli_split_ref(argv[optind + 1], sb, sizeof(sb), rb, sizeof(rb)))) {
        fputs(USAGE, stderr);
        return 2;
    }
    au_config *cfg = NULL;
    au_store *st = NULL;
    au_resolve_state *s = NULL;
    json_t *doc = NULL;
    au_err err;
    au_err_init(&err);
    if (au_cli_open_store("explain", data, config, AU_STORE_RO, &cfg, &st, &lock))
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
                                       USAGE};
