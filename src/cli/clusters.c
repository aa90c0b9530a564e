/*
 * `aurum clusters`: every live record with the profile it belongs to, as CSV
 * (source,record_id,profile_id) or JSON Lines, read from the store (read-only: works beside a
 * running daemon). A record not yet resolved has an empty profile.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/resolve_common.h"
#include "lib/lockfile.h"

#define USAGE                                                                                      \
    "usage: aurum clusters [--data DIR] [--config FILE] [--format csv|jsonl]\n"                    \
    "\n"                                                                                           \
    "Prints source,record_id,profile_id for every live record (CSV with a header, or one JSON\n"   \
    "object per line).\n"

/* A CSV field, quoted when it holds a separator, quote or line break. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int print_csv(void *ctx, const au_resolve_row *r)
{
    FILE *f = ctx;
    csv_field(f, r->source);
    fputc(',', f);
    csv_field(f, r->record_id);
    if (r->profile)
        fprintf(f, ",%lld\n", (long long)r->profile);
    else
        fputs(",\n", f);
    return 0;
}

static int print_jsonl(void *ctx, const au_resolve_row *r)
{
    FILE *f = ctx;
    json_t *o = json_pack("{s:s, s:s, s:o}", "source", r->source, "record_id", r->record_id,
                          "profile_id", r->profile ? json_integer(r->profile) : json_null());
    if (o)
        json_dumpf(o, f, JSON_COMPACT);
    fputc('\n', f);
    json_decref(o);
    return 0;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL, *config = NULL, *format = "csv";
    int ch;
    optind = 0;
    while ((ch = getopt_long(argc, argv, "d:c:f:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd':
            data = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 'f':
            format = optarg;
            break;
        case 'h':
            fputs(USAGE, stdout);
            return 0;
        default:
            fputs(USAGE, stderr);
            return 2;
        }
    }
    int jsonl = strcmp(format, "jsonl") == 0;
    if ((!jsonl && strcmp(format, "csv") != 0) || optind != argc) {
        fputs(USAGE, stderr);
        return 2;
    }
    au_config *cfg;
    au_store *st;
    int lock;
    if (au_cli_open_store("clusters", data, config, AU_STORE_RO, &cfg, &st, &lock))
        return 1;
    if (!jsonl)
        fputs("source,record_id,profile_id\n", stdout);
    au_rc rc = au_store_resolve_scan(st, jsonl ? print_jsonl : print_csv, stdout);
    if (rc)
        fprintf(stderr, "aurum clusters: %s\n", au_rc_message(rc));
    au_store_close(st);
    au_lockfile_release(lock);
    au_config_free(cfg);
    return rc ? 1 : 0;
}

const au_cli_command au_cli_clusters = {
    "clusters", run, "print the profile of every record (CSV or JSON Lines)", USAGE};
