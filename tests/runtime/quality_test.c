/*
 * Black-box tests of the data-quality ledger and renormalisation with the real daemon: a source
 * declared with the wrong date format quarantines its dates, GET /v1/quality and /metrics name
 * them with their reason code and examples; PUT of the fixed definition then
 * POST /v1/sources/crm/renormalize makes them valid, sets the records' dates and links the
 * records with the other source's. The CLI (`aurum quality`, `aurum renormalize`) is run against
 * the daemon (--server) and, once it is stopped, against the data directory.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

TestSuite(quality, .fini = au_rt_cleanup_all);

/* crm writes dates D/M/Y; the first definition says YYYYMMDD. */
#define CRM_DEF(fmt)                                                                               \
    "{\"record_id\":\"id\",\"fields\":{\"first_name\":\"first\",\"last_name\":\"last\","           \
    "\"email\":\"mail\",\"date_of_birth\":{\"from\":\"dob\",\"format\":\"" fmt "\"}}}"
#define WEB_DEF                                                                                    \
    "{\"record_id\":\"id\",\"fields\":{\"first_name\":\"first\",\"last_name\":\"last\","           \
    "\"email\":\"mail\",\"date_of_birth\":\"dob\"}}"

static const char *bin(void)
{
    const char *b = getenv("AURUM_BIN");
    return b ? b : "build/aurum";
}

/* Runs `aurum ARGS`, returns the exit code; *out gets stdout+stderr (free()). */
static int run(const char *args, char **out)
{
    char outpath[] = "/tmp/aurum-qcli-out-XXXXXX";
    int fd = mkstemp(outpath);
    cr_assert(fd >= 0);
    close(fd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>&1", bin(), args, outpath);
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

static json_t *get_json(const au_rt_daemon *d, const char *path, long want)
{
    au_rt_resp r;
    long st = au_rt_admin(d, "GET", path, NULL, &r);
    cr_assert_eq(st, want, "GET %s: %ld %s", path, st, r.body);
    json_t *j = au_rt_json(&r);
    au_rt_resp_cleanup(&r);
    return j;
}

static void send(const au_rt_daemon *d, const char *method, const char *path, const char *body)
{
    au_rt_resp r;
    long st = au_rt_admin(d, method, path, body, &r);
    cr_assert_eq(st, 200, "%s %s: %ld %s", method, path, st, r.body);
    au_rt_resp_cleanup(&r);
}

/* The date_of_birth entry of crm in GET /v1/quality?source=crm (new reference). */
static json_t *dob_entry(const au_rt_daemon *d)
{
    json_t *rep = get_json(d, "/v1/quality?source=crm&attribute=date_of_birth", 200);
    json_t *src = json_array_get(json_object_get(rep, "sources"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(src, "source")), "crm");
    cr_assert_eq(json_integer_value(json_object_get(src, "records")), 3);
    json_t *a = json_incref(json_array_get(json_object_get(src, "attributes"), 0));
    cr_assert_eq(json_array_size(json_object_get(src, "attributes")), 1, "attribute= filters");
    json_decref(rep);
    return a;
}

static long long num(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

static long long profile_of(const au_rt_daemon *d, const char *source, const char *id)
{
    char path[256];
    snprintf(path, sizeof(path), "/v1/sources/%s/records/%s/profile", source, id);
    json_t *j = get_json(d, path, 200);
    long long p = num(j, "profile");
    json_decref(j);
    return p;
}

static void load(const au_rt_daemon *d)
{
    send(d, "PUT", "/v1/sources/crm", CRM_DEF("YYYYMMDD"));
    send(d, "PUT", "/v1/sources/webshop", WEB_DEF);
    /* crm's Anne Smyth is webshop's Ann Smith: the spelling alone is too weak a link, the
     * birth date makes it - read in the wrong format at first. */
    send(d, "POST", "/v1/sources/webshop/records",
         "[{\"id\":\"w1\",\"first\":\"Ann\",\"last\":\"Smith\",\"dob\":\"1981-09-23\"},"
         "{\"id\":\"w2\",\"first\":\"Maria\",\"last\":\"Garcia\",\"dob\":\"1990-01-12\"}]");
    send(d, "POST", "/v1/sources/crm/records",
         "[{\"id\":\"c1\",\"first\":\"Anne\",\"last\":\"Smyth\",\"dob\":\"23/09/1981\"},"
         "{\"id\":\"c2\",\"first\":\"Robert\",\"last\":\"Jones\",\"mail\":\"bob@jones.org\","
         "\"dob\":\"30/01/1975\"},"
         "{\"id\":\"c3\",\"first\":\"Cy\",\"last\":\"Young\",\"dob\":\"31/02/1990\"}]");
}

Test(quality, wrong_format_quarantines_then_renormalize_fixes_and_links, .timeout = 120)
{
    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    load(&d);

    json_t *a = dob_entry(&d);
    cr_assert_eq(num(a, "valid"), 0);
    cr_assert_eq(num(a, "quarantined"), 3);
    json_t *r = json_array_get(json_object_get(a, "reasons"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(r, "reason")), "date_format_mismatch");
    cr_assert_eq(num(r, "count"), 3);
    cr_assert_eq(json_array_size(json_object_get(r, "examples")), 3);
    json_t *day = json_array_get(json_object_get(a, "days"), 0);
    cr_assert_eq(num(day, "arrived"), 3);
    cr_assert_eq(num(day, "quarantined"), 3);
    json_decref(a);

    au_rt_resp m;
    cr_assert_eq(au_rt_admin(&d, "GET", "/metrics", NULL, &m), 200);
    cr_assert_not_null(strstr(m.body, "aurum_values_quarantined_total{source=\"crm\","
                                      "attribute=\"date_of_birth\","
                                      "reason=\"date_format_mismatch\"} 3\n"),
                       "%s", m.body);
    au_rt_resp_cleanup(&m);

    /* Before the fix her date is kept raw, quarantined (its digits may already help matching,
     * at a lower weight; docs/MATCHING.md), and has no cleaned value. */
    json_t *before = get_json(&d, "/v1/sources/crm/records/c1", 200);
    json_t *bdob = json_object_get(json_object_get(before, "attributes"), "date_of_birth");
    cr_assert_str_eq(json_string_value(json_object_get(bdob, "status")), "quarantined");
    cr_assert_str_eq(json_string_value(json_object_get(bdob, "raw")), "23/09/1981");
    cr_assert_null(json_object_get(bdob, "value"));
    json_decref(before);
    send(&d, "PUT", "/v1/sources/crm", CRM_DEF("DMY"));
    au_rt_resp rr;
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/crm/renormalize", "{}", &rr), 200, "%s",
                 rr.body);
    json_t *sum = au_rt_json(&rr);
    au_rt_resp_cleanup(&rr);
    cr_assert_eq(num(sum, "records"), 3);
    cr_assert_eq(num(sum, "changed"), 3);
    cr_assert_eq(num(sum, "quarantined"), 1, "31/02/1990 is still impossible");
    json_decref(sum);

    a = dob_entry(&d);
    cr_assert_eq(num(a, "valid"), 2);
    cr_assert_eq(num(a, "quarantined"), 1);
    r = json_array_get(json_object_get(a, "reasons"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(r, "reason")), "date_impossible");
    cr_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "examples"), 0)), "c3");
    cr_assert_eq(json_array_size(json_object_get(a, "reasons")), 1, "no stale reason listed");
    json_decref(a);

    json_t *rec = get_json(&d, "/v1/sources/crm/records/c1", 200);
    json_t *dob = json_object_get(json_object_get(rec, "attributes"), "date_of_birth");
    cr_assert_str_eq(json_string_value(json_object_get(dob, "value")), "1981-09-23");
    cr_assert_str_eq(json_string_value(json_object_get(dob, "status")), "valid");
    json_decref(rec);
    cr_assert_eq(profile_of(&d, "crm", "c1"), profile_of(&d, "webshop", "w1"), "with it, she is");
    cr_assert_neq(profile_of(&d, "crm", "c1"), profile_of(&d, "webshop", "w2"));
    cr_assert_eq(au_rt_stop(&d), 0, "a clean exit (under ASan: no leak)");
    au_rt_cleanup(&d);
}

Test(quality, query_errors)
{
    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    send(&d, "PUT", "/v1/sources/crm", CRM_DEF("DMY"));
    json_decref(get_json(&d, "/v1/quality?attribute=shoe_size", 400));
    json_decref(get_json(&d, "/v1/quality?days=-1", 400));
    json_decref(get_json(&d, "/v1/quality?days=abc", 400));
    json_decref(get_json(&d, "/v1/quality?source=nope", 404));
    au_rt_resp r;
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/nope/renormalize", "{}", &r), 404);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_request(&d, "GET", "/v1/quality", NULL, NULL, 0, NULL, &r), 401);
    au_rt_resp_cleanup(&r);

    /* A source without records answers with its mapped attributes, all zero. */
    json_t *rep = get_json(&d, "/v1/quality?source=crm&days=0", 200);
    json_t *src = json_array_get(json_object_get(rep, "sources"), 0);
    cr_assert_eq(num(src, "records"), 0);
    cr_assert_eq(json_array_size(json_object_get(src, "attributes")), 5,
                 "first, last, full name, email, date of birth");
    cr_assert_eq(num(json_object_get(rep, "events"), "unlinked"), 0);
    json_decref(rep);

    /* An event naming a customer no record holds is kept and counted as unlinked. */
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/events",
                             "{\"source\":\"crm\",\"event_id\":\"e1\",\"type\":\"order\","
                             "\"customer\":{\"source\":\"crm\",\"record\":\"nobody\"}}",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    rep = get_json(&d, "/v1/quality?source=crm&days=0", 200);
    const json_t *events = json_object_get(rep, "events");
    cr_assert_eq(num(events, "unlinked"), 1);
    cr_assert_eq(num(json_object_get(events, "sources"), "crm"), 1);
    json_decref(rep);
    cr_assert_eq(au_rt_stop(&d), 0, "a clean exit (under ASan: no leak)");
    au_rt_cleanup(&d);
}

Test(quality, cli_against_the_daemon_and_the_data_directory, .timeout = 120)
{
    au_rt_daemon d;
    char args[1024], url[64], *out = NULL;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    load(&d);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", d.port);

    snprintf(args, sizeof(args), "quality --server %s --key %s --source crm", url, d.admin_key);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "source crm: 3 records"), "%s", out);
    cr_assert_not_null(strstr(out, "date_of_birth             0            3        0  "
                                   "date_format_mismatch 3 (e.g. c1, c2, c3)"),
                       "%s", out);
    free(out);

    send(&d, "PUT", "/v1/sources/crm", CRM_DEF("DMY"));
    snprintf(args, sizeof(args), "renormalize --server %s --key %s --source crm", url, d.admin_key);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    cr_assert_not_null(
        strstr(out, "renormalized crm: 3 records, 3 changed, 0 unchanged, 1 still quarantined"),
        "%s", out);
    free(out);

    snprintf(args, sizeof(args), "quality --server %s --key wrong", url);
    cr_assert_eq(run(args, &out), 1, "%s", out);
    cr_assert_not_null(strstr(out, "server answered 401"), "%s", out);
    free(out);

    cr_assert_eq(au_rt_stop(&d), 0);
    /* --config: its store: line names the PostgreSQL store when the suite runs on one */
    snprintf(args, sizeof(args), "quality --data %s --config %s --format json --days 0", d.dir,
             d.config_path);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    json_t *rep = json_loads(out, 0, NULL);
    cr_assert_not_null(rep, "%s", out);
    free(out);
    json_t *crm = json_array_get(json_object_get(rep, "sources"), 0);
    cr_assert_str_eq(json_string_value(json_object_get(crm, "source")), "crm");
    size_t i;
    json_t *a;
    int seen = 0;
    json_array_foreach(json_object_get(crm, "attributes"), i, a)
    {
        if (strcmp(json_string_value(json_object_get(a, "attribute")), "date_of_birth") != 0)
            continue;
        seen = 1;
        cr_assert_eq(num(a, "valid"), 2);
        cr_assert_eq(num(a, "quarantined"), 1);
        cr_assert(json_is_true(json_object_get(a, "mapped")), "mapped from the stored definition");
    }
    cr_assert(seen);
    json_decref(rep);

    snprintf(args, sizeof(args), "renormalize --data %s --config %s --source crm", d.dir,
             d.config_path);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "3 records, 0 changed, 3 unchanged, 1 still quarantined"), "%s",
                       out);
    free(out);
    snprintf(args, sizeof(args), "renormalize --data %s --config %s", d.dir, d.config_path);
    cr_assert_eq(run(args, &out), 2, "%s", out);
    free(out);
    au_rt_cleanup(&d);
}

/* An offline import with --config stores the records but not the definition: the ledger still
 * knows the source, so `aurum quality --source` answers without the config; a source neither
 * defined nor counted is an error naming it. */
Test(quality, offline_source_without_its_definition)
{
    char dir[] = "/tmp/aurum-qoff-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256], args[1024], *out = NULL;
    snprintf(path, sizeof path, "%s/c.yaml", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("sources:\n  people:\n    record_id: id\n    fields:\n      last_name: last\n"
          "      date_of_birth: {from: dob, format: DMY}\n",
          f);
    fclose(f);
    snprintf(path, sizeof path, "%s/p.csv", dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("id,last,dob\n1,Lee,23/09/1981\n2,Kay,31/02/1990\n", f);
    fclose(f);
    snprintf(args, sizeof args, "import --data %s/d --config %s/c.yaml --source people %s", dir,
             dir, path);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    free(out);
    snprintf(args, sizeof args, "quality --data %s/d --source people", dir);
    cr_assert_eq(run(args, &out), 0, "%s", out);
    cr_assert_not_null(strstr(out, "source people: 2 records"), "%s", out);
    cr_assert_not_null(strstr(out, "date_impossible 1"), "%s", out);
    free(out);
    snprintf(args, sizeof args, "quality --data %s/d --source nope", dir);
    cr_assert_eq(run(args, &out), 1, "%s", out);
    cr_assert_not_null(strstr(out, "unknown source 'nope'"), "%s", out);
    free(out);
    snprintf(args, sizeof args, "rm -rf '%s'", dir);
    cr_assert_eq(system(args), 0);
}
