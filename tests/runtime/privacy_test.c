/*
 * Black-box tests of the data-subject routes (docs/PRIVACY.md) against the real daemon: a person
 * written through every path (records from two sources with history, an event naming them by
 * e-mail, Segment identify and track, a flow run that dead-letters) is exported whole, then
 * erased, after which the bytes of the database, WAL and shared-memory files hold none of their
 * values while another person is untouched; a deleted record keeps no document; bad requests.
 * The byte scans inflate the packed documents they find (tests/support/docscan.h), and each
 * test first sees its values in the files, so a scan blind to them cannot pass.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/docscan.h"
#include "flows_helpers.h"
#include "harness.h"

TestSuite(privacy, .fini = au_rt_cleanup_all);

static const char def[] =
    "{\"record_id\":\"id\",\"country\":\"GB\",\"fields\":{\"email\":\"email\","
    "\"first_name\":\"first\",\"last_name\":\"last\",\"phone\":\"phone\","
    "\"address_line1\":\"street\",\"city\":\"city\"}}";

/* The person's values, as the test scans for them (case-insensitively). */
static const char *const person[] = {"Zebedee",
                                     "Quartermaine",
                                     "zebedee.q@example.org",
                                     "7946 0999",
                                     "79460999",
                                     "Wisteria",
                                     "c-zq1",
                                     "s-zq77",
                                     "seg-zq",
                                     "Marlowe Crescent",
                                     "ord-zq1"};

/* Which of the store's files (db, WAL, SHM) holds `needle`, or NULL. */
static const char *store_holds(const au_rt_daemon *d, const char *needle)
{
    static const char *const files[] = {"aurum.db", "aurum.db-wal", "aurum.db-shm"};
    char path[400];
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", d->dir, files[i]);
        if (au_test_file_holds(path, needle))
            return files[i];
    }
    return NULL;
}

static void seed(au_rt_daemon *d, const char *blocker)
{
    rt_call(d, "PUT", "/v1/sources/crm", def, 200);
    rt_call(d, "PUT", "/v1/sources/shop", def, 200);
    char extra[700];
    (void)extra;
    rt_flow_put_file(d, "bad", "{profile: [created, updated]}", blocker,
                     "{email: \"{{ record.email }}\"}", NULL);
    rt_call(d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"c-zq1\",\"first\":\"Zebedee\",\"last\":\"Quartermaine\","
            "\"email\":\"Zebedee.Q@example.org\",\"phone\":\"020 7946 0999\","
            "\"street\":\"4 Marlowe Crescent\",\"city\":\"Leeds\"},"
            "{\"id\":\"c-other\",\"first\":\"Henrietta\",\"last\":\"Oyelaran\","
            "\"email\":\"h.oyelaran@example.net\",\"phone\":\"020 7946 0123\"}]",
            200);
    /* two versions in the shop: the old address stays in history */
    rt_call(d, "POST", "/v1/sources/shop/records",
            "[{\"id\":\"s-zq77\",\"first\":\"Zebedee\",\"last\":\"Quartermaine\","
            "\"email\":\"zebedee.q@example.org\",\"street\":\"17 Wisteria Lane\"}]",
            200);
    rt_call(d, "POST", "/v1/sources/shop/records",
            "[{\"id\":\"s-zq77\",\"first\":\"Zebedee\",\"last\":\"Quartermaine\","
            "\"email\":\"zebedee.q@example.org\",\"street\":\"9 Marlowe Crescent\"}]",
            200);
    rt_call(d, "POST", "/v1/events",
            "{\"source\":\"shop\",\"event_id\":\"ord-zq1\",\"type\":\"order\","
            "\"customer\":{\"email\":\"zebedee.q@example.org\"},"
            "\"properties\":{\"ship_to\":\"17 Wisteria Lane\",\"total\":12.5}}",
            200);
    rt_call(d, "POST", "/v1/batch",
            "{\"batch\":[{\"type\":\"identify\",\"userId\":\"seg-zq\",\"traits\":{"
            "\"email\":\"zebedee.q@example.org\",\"firstName\":\"Zebedee\","
            "\"lastName\":\"Quartermaine\"}},{\"type\":\"track\",\"userId\":\"seg-zq\","
            "\"event\":\"Viewed\",\"properties\":{\"page\":\"/zq\"}}]}",
            200);
}

Test(privacy, export_then_erase_leaves_no_byte_of_the_person, .timeout = 120)
{
    AU_RT_SQLITE_ONLY(
        "it scans the bytes of the SQLite files; on PostgreSQL a plain VACUUM leaves "
        "the erased tuples' bytes in the free space of their pages (docs/POSTGRES.md)");
    au_rt_daemon d;
    char blocker[400];
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    /* a plain file where the flow's directory should be: its deliveries dead-letter at once */
    snprintf(blocker, sizeof(blocker), "%s/blocker", d.dir);
    FILE *b = fopen(blocker, "w");
    cr_assert_not_null(b);
    fclose(b);
    seed(&d, "blocker/x/bad.jsonl");
    json_t *runs = rt_flow_runs_when(&d, "bad", "status=dead", 2);
    json_decref(runs);
    for (size_t i = 0; i < sizeof(person) / sizeof(person[0]); i++)
        cr_assert_not_null(store_holds(&d, person[i]), "seeded: %s is stored", person[i]);

    /* Export: everything, with where it came from. */
    json_t *x = rt_get(&d, "/v1/subjects/export?email=ZEBEDEE.Q%40example.org");
    json_t *recs = json_object_get(x, "records");
    cr_assert_eq(json_array_size(recs), 3, "crm, shop and segment records");
    size_t i, versions = 0;
    json_t *r;
    json_array_foreach(recs, i, r) versions += json_array_size(json_object_get(r, "versions"));
    cr_assert_eq(versions, 4, "every version, the shop's old address included");
    char *text = json_dumps(x, JSON_COMPACT);
    cr_assert(strstr(text, "17 Wisteria Lane") && strstr(text, "ord-zq1"), "%s", text);
    cr_assert(strstr(text, "\"origin\":\"api:"), "versions say where they came from");
    cr_assert_gt(json_array_size(json_object_get(x, "dead_letters")), 0, "%s", text);
    cr_assert_gt(json_array_size(json_object_get(x, "flow_runs")), 0, "%s", text);
    cr_assert_null(strstr(text, "Henrietta"), "nobody else's data");
    long profile = (long)json_integer_value(json_object_get(x, "profile"));
    free(text);
    json_decref(x);

    /* Erase by profile id. */
    au_rt_resp e = {0};
    char body[64];
    snprintf(body, sizeof(body), "{\"profile\":%ld}", profile);
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/subjects/erase", body, &e), 200, "%s", e.body);
    json_t *rc = au_rt_json(&e);
    json_t *removed = json_object_get(rc, "removed");
    cr_assert_eq(json_integer_value(json_object_get(removed, "records")), 3, "%s", e.body);
    cr_assert_eq(json_integer_value(json_object_get(removed, "events")), 2, "%s", e.body);
    cr_assert_gt(json_integer_value(json_object_get(removed, "dead_letters")), 0, "%s", e.body);
    cr_assert(json_is_true(json_object_get(rc, "wal_truncated")), "%s", e.body);
    cr_assert_gt(json_array_size(json_object_get(rc, "identifiers")), 0, "%s", e.body);
    cr_assert_null(strstr(e.body, "zebedee"), "the receipt holds hashes only: %s", e.body);
    json_decref(rc);
    au_rt_resp_cleanup(&e);

    for (size_t k = 0; k < sizeof(person) / sizeof(person[0]); k++) {
        const char *where = store_holds(&d, person[k]);
        cr_assert_null(where, "%s still in %s after erasure", person[k], where);
    }
    /* gone from every read; the other person is untouched */
    au_rt_resp g = {0};
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/profiles?email=zebedee.q%40example.org", NULL, &g),
                 404, "%s", g.body);
    au_rt_resp_cleanup(&g);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/profiles?email=h.oyelaran%40example.net", NULL, &g),
                 200, "%s", g.body);
    au_rt_resp_cleanup(&g);
    cr_assert_not_null(store_holds(&d, "Henrietta"));
    /* the same records can be written again (no suppression asked) and resolve normally */
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"c-zq1\",\"first\":\"Zed\",\"last\":\"Q\",\"email\":\"zq@example.org\"}]",
            200);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/profiles?email=zq%40example.org", NULL, &g), 200, "%s",
                 g.body);
    au_rt_resp_cleanup(&g);
    au_rt_cleanup(&d);
}

Test(privacy, a_deleted_record_keeps_no_document)
{
    AU_RT_SQLITE_ONLY("it scans the bytes of the SQLite files, which secure_delete zeroes; "
                      "PostgreSQL keeps old row versions' bytes until their space is reused");
    au_rt_daemon d;
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    rt_call(&d, "PUT", "/v1/sources/crm", def, 200);
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"d1\",\"first\":\"Ottoline\",\"email\":\"otto@example.org\"}]", 200);
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"d1\",\"first\":\"Ottoline\",\"email\":\"ottoline@example.org\"}]", 200);
    cr_assert_not_null(store_holds(&d, "otto@example.org"), "the scan sees a stored document");
    rt_call(&d, "DELETE", "/v1/sources/crm/records/d1", NULL, 200);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/d1", NULL, &r), 404, "%s", r.body);
    au_rt_resp_cleanup(&r);
    /* A clean stop checkpoints the WAL into the database: the file then holds the tombstone
     * history only, not one of the two documents (secure_delete zeroed their bytes). */
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_not_null(store_holds(&d, "d1"), "the record's key stays");
    const char *where = store_holds(&d, "Ottoline");
    cr_assert_null(where, "a deleted record's document is still in %s", where);
    cr_assert_null(store_holds(&d, "otto@example.org"));
    /* the daemon starts on it again and the record can come back */
    cr_assert_eq(au_rt_restart(&d), 0);
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"d1\",\"first\":\"Ottilie\",\"email\":\"o@example.org\"}]", 200);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/d1?history=1", NULL, &r), 200,
                 "%s", r.body);
    cr_assert(strstr(r.body, "Ottilie"), "%s", r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(privacy, bad_subject_requests)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    static const struct {
        const char *body;
        long status;
    } cases[] = {
        {"{}", 400},
        {"{\"email\":\"a@b.com\",\"phone\":\"+44 20 7946 0000\"}", 400},
        {"{\"source\":\"crm\"}", 400},
        {"{\"profile\":\"x\"}", 400},
        {"{\"email\":\"a@b.com\",\"suppress\":\"yes\"}", 400},
        {"[1", 400},
        {"{\"email\":\"nobody@example.org\"}", 404},
        {"{\"profile\":999}", 404},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long st = au_rt_admin(&d, "POST", "/v1/subjects/erase", cases[i].body, &r);
        cr_assert_eq(st, cases[i].status, "%s: %ld %s", cases[i].body, st, r.body);
        au_rt_resp_cleanup(&r);
    }
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/subjects/export", NULL, &r), 400, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(
        au_rt_request(&d, "GET", "/v1/subjects/export?email=a%40b.com", NULL, NULL, 0, NULL, &r),
        401, "%s", r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

/* Runs `aurum ARGS`, returns the exit code; *out gets stdout+stderr (free()). */
static int run_cli(const char *args, char **out)
{
    const char *b = getenv("AURUM_BIN");
    char outpath[] = "/tmp/aurum-pcli-out-XXXXXX";
    int fd = mkstemp(outpath);
    cr_assert(fd >= 0);
    close(fd);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s >%s 2>&1", b ? b : "build/aurum", args, outpath);
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

Test(privacy, cli_export_and_erase_through_the_daemon)
{
    au_rt_daemon d;
    char args[600], *out = NULL;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    rt_call(&d, "PUT", "/v1/sources/crm", def, 200);
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"k1\",\"first\":\"Peregrine\",\"email\":\"pere@example.org\"}]", 200);
    snprintf(args, sizeof args,
             "export --server http://127.0.0.1:%d --key %s --source crm "
             "--record k1",
             d.port, d.admin_key);
    cr_assert_eq(run_cli(args, &out), 0, "%s", out);
    cr_assert(strstr(out, "Peregrine") && strstr(out, "\"versions\""), "%s", out);
    free(out);
    snprintf(args, sizeof args,
             "erase --server http://127.0.0.1:%d --key %s --email "
             "pere@example.org",
             d.port, d.admin_key);
    cr_assert_eq(run_cli(args, &out), 0, "%s", out);
    cr_assert(strstr(out, "\"receipt\""), "%s", out);
    free(out);
    /* a second erasure finds nobody: exit 1 with the daemon's message */
    cr_assert_eq(run_cli(args, &out), 1, "%s", out);
    cr_assert(strstr(out, "aurum erase:"), "%s", out);
    free(out);
    /* usage: no daemon named */
    cr_assert_eq(run_cli("erase --email pere@example.org", &out), 2, "%s", out);
    free(out);
    au_rt_cleanup(&d);
}

Test(privacy, suppression_refuses_the_erased_person_on_reimport)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    rt_call(&d, "PUT", "/v1/sources/crm", def, 200);
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"u1\",\"first\":\"Cosima\",\"email\":\"cosima@example.org\","
            "\"phone\":\"020 7946 0555\"}]",
            200);
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/subjects/erase",
                             "{\"email\":\"cosima@example.org\",\"suppress\":true}", &r),
                 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"suppressed\":true"), "%s", r.body);
    au_rt_resp_cleanup(&r);
    static const char *const again[] = {
        /* the same source record, the same e-mail elsewhere, the same phone elsewhere */
        "[{\"id\":\"u1\",\"first\":\"C\"}]",
        "[{\"id\":\"u2\",\"first\":\"Cosima\",\"email\":\"COSIMA@example.org\"}]",
        "[{\"id\":\"u3\",\"first\":\"Cosima\",\"phone\":\"+44 20 7946 0555\"}]",
    };
    for (size_t i = 0; i < 3; i++) {
        long st = au_rt_admin(&d, "POST", "/v1/sources/crm/records", again[i], &r);
        cr_assert_eq(st, 409, "%s: %ld %s", again[i], st, r.body);
        au_rt_resp_cleanup(&r);
    }
    /* someone else is written as usual, and the list survives a restart */
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"u4\",\"first\":\"Ines\",\"email\":\"ines@example.org\"}]", 200);
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(au_rt_restart(&d), 0);
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/crm/records", again[1], &r), 409, "%s",
                 r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

/* Downstream systems learn of an erasure: a `profile: [erased]` flow runs once with the person's
 * source record ids (what they need to find them) and none of their attributes. */
Test(privacy, erased_trigger_tells_downstream_systems, .timeout = 60)
{
    au_rt_daemon d;
    char path[400];
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    rt_call(&d, "PUT", "/v1/sources/crm", def, 200);
    rt_flow_put_file(&d, "forget", "{profile: [erased]}", "erased.jsonl",
                     "{records: \"{{ change.records }}\", receipt: \"{{ change.receipt }}\"}",
                     NULL);
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"e-71\",\"first\":\"Leopoldina\",\"email\":\"leo@example.org\"}]", 200);
    rt_call(&d, "POST", "/v1/subjects/erase", "{\"email\":\"leo@example.org\"}", 200);
    json_t *runs = rt_flow_runs_when(&d, "forget", "status=delivered", 1);
    cr_assert_eq(json_array_size(json_object_get(runs, "runs")), 1, "one run per erasure");
    json_decref(runs);
    snprintf(path, sizeof(path), "%s/erased.jsonl", d.dir);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char line[1024] = "";
    cr_assert_not_null(fgets(line, sizeof(line), f));
    fclose(f);
    cr_assert(strstr(line, "e-71") && strstr(line, "crm"), "%s", line);
    cr_assert_null(strstr(line, "Leopoldina"), "no attribute goes downstream: %s", line);
    cr_assert_null(strstr(line, "leo@example.org"), "%s", line);
    au_rt_cleanup(&d);
}
