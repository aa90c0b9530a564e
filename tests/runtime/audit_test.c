/*
 * Black-box tests of the audit log, retention and the read:masked scope (docs/SECURITY.md)
 * against the real daemon: reads and changes leave entries naming the right key, route, profile
 * and record; `aurum audit verify` passes on the untouched log and fails once the test edits an
 * entry or deletes one in the middle directly in the store (the SQLite file, or the PostgreSQL
 * database with AURUM_TEST_STORE=postgres); the retention sweep removes
 * old entries and runs while the chain still verifies; a read:masked key sees masked values on
 * every route that returns personal data, while an admin sees them whole, and cannot export.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flows_helpers.h"
#include "harness.h"

TestSuite(audit, .fini = au_rt_cleanup_all);

static const char def[] =
    "{\"record_id\":\"id\",\"country\":\"GB\",\"fields\":{\"email\":\"email\","
    "\"first_name\":\"first\",\"last_name\":\"last\",\"phone\":\"phone\","
    "\"address_line1\":\"street\",\"city\":\"city\",\"date_of_birth\":\"dob\","
    "\"postcode\":\"pc\"}}";

static const char person[] =
    "[{\"id\":\"c1\",\"first\":\"Zebedee\",\"last\":\"Quartermaine\","
    "\"email\":\"Zebedee.Q@example.org\",\"phone\":\"020 7946 0999\","
    "\"street\":\"4 Marlowe Crescent\",\"city\":\"Wakefield\",\"dob\":\"1983-04-05\","
    "\"pc\":\"LS1 4AP\"}]";

static const char *bin(void)
{
    const char *b = getenv("AURUM_BIN");
    return b ? b : "build/aurum";
}

/* Runs `aurum ARGS`; its stdout (and stderr) into out[cap]; returns the exit code. */
static int run_cli(const char *args, char *out, size_t cap)
{
    char o[] = "/tmp/aurum-audit-out-XXXXXX";
    int fd = mkstemp(o);
    cr_assert(fd >= 0);
    close(fd);
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "%s %s </dev/null >%s 2>&1", bin(), args, o);
    int st = system(cmd);
    FILE *f = fopen(o, "r");
    cr_assert_not_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(o);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* GET path with `key`; the status, the body in *r. */
static long get_with(au_rt_daemon *d, const char *key, const char *path, au_rt_resp *r)
{
    return au_rt_request(d, "GET", path, NULL, NULL, 0, key, r);
}

/* The public id of a key token (from the console's session answer). */
static void key_id_of(au_rt_daemon *d, const char *token, char id[32])
{
    char body[160];
    au_rt_resp r = {0};
    snprintf(body, sizeof(body), "{\"key\":\"%s\"}", token);
    cr_assert_eq(au_rt_request(d, "POST", "/v1/session", NULL, body, strlen(body), NULL, &r), 200);
    json_t *j = au_rt_json(&r);
    snprintf(id, 32, "%s", json_string_value(json_object_get(j, "key_id")));
    json_decref(j);
    au_rt_resp_cleanup(&r);
}

/* The entries of GET /v1/audit?query once there are at least `want` (reads are appended by
 * the writer within about a second: the condition is their arrival, the suite's timeout bounds
 * it). New reference to the entries array. */
static json_t *audit_when(au_rt_daemon *d, const char *query, size_t want)
{
    char path[512];
    snprintf(path, sizeof(path), "/v1/audit%s%s", *query ? "?" : "", query);
    for (;;) {
        json_t *j = rt_get(d, path);
        json_t *e = json_incref(json_object_get(j, "entries"));
        json_decref(j);
        if (json_array_size(e) >= want)
            return e;
        json_decref(e);
        usleep(50 * 1000);
    }
}

/* The entry of `route` in entries (the newest), or NULL. */
static json_t *entry_of(json_t *entries, const char *route)
{
    size_t i;
    json_t *e;
    json_array_foreach(entries, i,
                       e) if (strcmp(rt_str_at(e, "route", NULL, NULL), route) == 0) return e;
    return NULL;
}

/* The entries of GET /v1/audit?query once one of them is of `route`. New reference. */
static json_t *audit_with(au_rt_daemon *d, const char *query, const char *route)
{
    for (size_t want = 1;; want++) {
        json_t *e = audit_when(d, query, want);
        if (entry_of(e, route))
            return e;
        want = json_array_size(e);
        json_decref(e);
    }
}

static int holds_id(json_t *e, const char *field, long id)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(e, field), i, v) if (json_integer_value(v) == id) return 1;
    return 0;
}

/* Runs SQL on the daemon's store (the daemon is stopped): its SQLite file, or its PostgreSQL
 * database when the suite runs on one; the first column of the first row, if any, into
 * out[cap]. */
static void sql(const au_rt_daemon *d, const char *stmt, char *out, size_t cap)
{
    cr_assert_eq(au_rt_sql(d, stmt, out, cap), 0, "%s", stmt);
}

/* A started daemon with a read key and a read:masked key (tokens and ids). */
typedef struct keys {
    char read[80], masked[80], write[80];
    char read_id[32], masked_id[32];
} keys;

static void start_with_keys(au_rt_daemon *d, const char *config, keys *k)
{
    cr_assert_eq(au_rt_start(d, config), 0);
    cr_assert_eq(au_rt_stop(d), 0);
    cr_assert_eq(au_rt_create_key(d, k->read, "read", NULL), 0);
    cr_assert_eq(au_rt_create_key(d, k->masked, "read:masked", NULL), 0);
    cr_assert_eq(au_rt_create_key(d, k->write, "write:crm", NULL), 0);
    cr_assert_eq(au_rt_restart(d), 0);
    key_id_of(d, k->read, k->read_id);
    key_id_of(d, k->masked, k->masked_id);
}

Test(audit, reads_and_changes_are_logged_and_verify_catches_tampering, .timeout = 120)
{
    au_rt_daemon d;
    keys k;
    au_rt_resp r = {0};
    char out[4096], path[256], args[600];
    start_with_keys(&d, NULL, &k);
    rt_call(&d, "PUT", "/v1/sources/crm", def, 200);
    rt_call(&d, "POST", "/v1/sources/crm/records", person, 200);
    rt_call(&d, "POST", "/v1/sources/crm/records", "[{\"id\":\"c2\",\"first\":\"Ann\"}]", 200);
    rt_call(&d, "DELETE", "/v1/sources/crm/records/c2", NULL, 200);

    /* the profile of c1 and its record number, as the API names them */
    json_t *p = rt_get(&d, "/v1/sources/crm/records/c1/profile");
    long profile = (long)json_integer_value(json_object_get(p, "profile"));
    json_decref(p);
    cr_assert_gt(profile, 0);

    /* reads by the read key, each a route that returns personal data */
    static const char *const reads[] = {
        "/v1/profiles/%ld", "/v1/profiles/%ld/timeline", "/v1/profiles/search?q=quartermaine",
        "/v1/profiles?email=zebedee.q%%40example.org", "/v1/sources/crm/records/c1"};
    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        snprintf(path, sizeof(path), reads[i], profile);
        cr_assert_eq(get_with(&d, k.read, path, &r), 200, "%s: %s", path, r.body);
        au_rt_resp_cleanup(&r);
    }
    /* a read that found nothing read nothing: not logged */
    cr_assert_eq(get_with(&d, k.read, "/v1/profiles/999999", &r), 404);
    au_rt_resp_cleanup(&r);

    snprintf(args, sizeof(args), "key=%s", k.read_id);
    json_t *mine = audit_when(&d, args, 5);
    cr_assert_eq(json_array_size(mine), 5, "five reads of the read key");
    static const char *const routes[] = {"GET /v1/profiles/{id}", "GET /v1/profiles/{id}/timeline",
                                         "GET /v1/profiles/search", "GET /v1/profiles",
                                         "GET /v1/sources/{source}/records/{id}"};
    for (size_t i = 0; i < 5; i++) {
        json_t *e = entry_of(mine, routes[i]);
        cr_assert_not_null(e, "an entry of %s", routes[i]);
        cr_assert_str_eq(rt_str_at(e, "action", NULL, NULL), "read");
        cr_assert_str_eq(rt_str_at(e, "key_id", NULL, NULL), k.read_id);
        cr_assert_str_eq(rt_str_at(e, "client", NULL, NULL), "127.0.0.1");
        cr_assert(holds_id(e, "profiles", profile), "%s names profile %ld", routes[i], profile);
    }
    long rec = (long)json_integer_value(
        json_array_get(json_object_get(entry_of(mine, routes[4]), "records"), 0));
    cr_assert_gt(rec, 0, "the record read is named by its number");
    json_decref(mine);

    /* the changes, logged in their transactions, with the admin key */
    json_t *all = audit_when(&d, "record=crm:c1", 2);
    json_t *post = entry_of(all, "POST /v1/sources/{source}/records");
    cr_assert_not_null(post, "the upsert of c1 is logged");
    cr_assert_str_eq(rt_str_at(post, "action", NULL, NULL), "change");
    cr_assert(holds_id(post, "records", rec) && holds_id(post, "profiles", profile));
    cr_assert_neq(strcmp(rt_str_at(post, "key_id", NULL, NULL), k.read_id), 0);
    cr_assert_str_eq(rt_str_at(post, "key_name", NULL, NULL), "AURUM_ADMIN_KEY");
    json_decref(all);
    all = audit_when(&d, "route=DELETE%20/v1/sources/%7Bsource%7D/records/%7Bid%7D", 1);
    cr_assert_eq(json_array_size(all), 1, "the delete of c2");
    cr_assert_eq(json_array_size(json_object_get(json_array_get(all, 0), "records")), 1);
    json_decref(all);

    /* paging: newest first, a cursor to the rest */
    json_t *page = rt_get(&d, "/v1/audit?limit=2");
    json_t *first = json_object_get(page, "entries");
    cr_assert_eq(json_array_size(first), 2);
    long top = (long)json_integer_value(json_object_get(json_array_get(first, 0), "id"));
    snprintf(path, sizeof(path), "/v1/audit?limit=2&cursor=%s",
             rt_str_at(page, "next_cursor", NULL, NULL));
    json_t *page2 = rt_get(&d, path);
    cr_assert_eq(json_integer_value(
                     json_object_get(json_array_get(json_object_get(page2, "entries"), 0), "id")),
                 top - 2);
    json_decref(page);
    json_decref(page2);
    /* admin only */
    cr_assert_eq(get_with(&d, k.read, "/v1/audit", &r), 403);
    au_rt_resp_cleanup(&r);
    /* by profile, and since a time after everything: nothing */
    snprintf(args, sizeof(args), "profile=%ld", profile);
    json_t *byp = audit_when(&d, args, 6);
    cr_assert_geq(json_array_size(byp), 6, "five reads and the upsert");
    json_decref(byp);
    json_t *later = rt_get(&d, "/v1/audit?since=2999-01-01T00:00:00Z");
    cr_assert_eq(json_array_size(json_object_get(later, "entries")), 0);
    json_decref(later);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/audit?since=yesterday", NULL, &r), 400, "%s", r.body);
    au_rt_resp_cleanup(&r);

    snprintf(path, sizeof(path), "/v1/profiles/%ld/explain", profile);
    cr_assert_eq(get_with(&d, k.read, path, &r), 200);
    au_rt_resp_cleanup(&r);
    /* erasing the person leaves the log as it is (it holds no value and no source id) */
    char body[64];
    snprintf(body, sizeof(body), "{\"profile\":%ld}", profile);
    rt_call(&d, "POST", "/v1/subjects/erase", body, 200);
    json_t *after = audit_with(&d, args, "POST /v1/subjects/erase");
    cr_assert_not_null(entry_of(after, "GET /v1/profiles/{id}/timeline"), "earlier reads stay");
    json_decref(after);

    /* a read just before shutdown is appended before the daemon exits */
    cr_assert_eq(get_with(&d, k.read, "/v1/profiles/search?q=nobody", &r), 200);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_stop(&d), 0);

    snprintf(args, sizeof(args), "audit verify --data %s --config %s", d.dir, d.config_path);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 0, "%s", out);
    cr_assert_not_null(strstr(out, "ok: "), "%s", out);
    long n = strtol(strstr(out, "ok: ") + 4, NULL, 10);
    cr_assert_geq(n, 9, "%s", out);
    char got[300];
    sql(&d, "SELECT count(*) FROM audit WHERE route = 'GET /v1/profiles/search'", got, sizeof(got));
    cr_assert_str_eq(got, "2", "the last read is in the log");

    /* an entry edited in the file: verify names it and fails; put back, it passes again */
    char was[300], edit[400];
    sql(&d, "SELECT key_id FROM audit WHERE id = 3", was, sizeof(was));
    sql(&d, "UPDATE audit SET key_id = 'key_someoneelse' WHERE id = 3", NULL, 0);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 1, "%s", out);
    cr_assert_not_null(strstr(out, "broken: entry 3 "), "%s", out);
    snprintf(edit, sizeof(edit), "UPDATE audit SET key_id = '%s' WHERE id = 3", was);
    sql(&d, edit, NULL, 0);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 0, "%s", out);
    /* an entry deleted in the middle, then the hole filled with a forged entry (a copy of
     * entry 4 under id 5, hash included), then the original put back */
    sql(&d, "CREATE TABLE saved AS SELECT * FROM audit WHERE id = 5", NULL, 0);
    sql(&d, "DELETE FROM audit WHERE id = 5", NULL, 0);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 1, "%s", out);
    cr_assert_not_null(strstr(out, "broken: entry 5 is missing"), "%s", out);
    sql(&d,
        "INSERT INTO audit SELECT 5, at_ms, action, key_id, client, route, profiles, records, "
        "hash FROM audit WHERE id = 4",
        NULL, 0);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 1, "%s", out);
    cr_assert_not_null(strstr(out, "broken: entry 5 does not match"), "%s", out);
    sql(&d, "DELETE FROM audit WHERE id = 5", NULL, 0);
    sql(&d, "INSERT INTO audit SELECT * FROM saved", NULL, 0);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 0, "%s", out);
    /* two entries reordered (their ids exchanged) */
    sql(&d, "UPDATE audit SET id = -6 WHERE id = 6", NULL, 0);
    sql(&d, "UPDATE audit SET id = 6 WHERE id = 7", NULL, 0);
    sql(&d, "UPDATE audit SET id = 7 WHERE id = -6", NULL, 0);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 1, "%s", out);
    cr_assert_not_null(strstr(out, "broken: entry 6 does not match"), "%s", out);
    au_rt_cleanup(&d);
}

Test(audit, retention_removes_old_entries_and_runs_and_the_chain_still_verifies, .timeout = 120)
{
    au_rt_daemon d;
    char out[4096], args[800], cfg[300];
    au_rt_resp r = {0};
    /* sweeps are run by the test (`aurum audit sweep --at`), not by the clock */
    cr_assert_eq(au_rt_start(&d, "retention: {runs: 1d, audit: 1d, interval: 0}\n"), 0);
    snprintf(cfg, sizeof(cfg), "%s/config.yaml", d.dir);
    rt_call(&d, "PUT", "/v1/sources/crm", def, 200);
    rt_flow_put_file(&d, "log", "{profile: [created, updated]}", "log.jsonl", "{id: \"x\"}", NULL);
    rt_call(&d, "POST", "/v1/sources/crm/records", person, 200);
    json_t *runs = rt_flow_runs_when(&d, "log", "", 1);
    json_decref(runs);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/c1", NULL, &r), 200);
    au_rt_resp_cleanup(&r);
    json_t *old = audit_when(&d, "route=GET%20/v1/sources/%7Bsource%7D/records/%7Bid%7D", 1);
    long old_ms = (long)json_integer_value(json_object_get(json_array_get(old, 0), "at_ms"));
    json_decref(old);
    /* newer entries, at a later millisecond than every older one */
    json_t *newer = NULL;
    long new_ms = old_ms;
    while (new_ms <= old_ms) {
        cr_assert_eq(au_rt_admin(&d, "GET", "/v1/profiles/search?q=zebe", NULL, &r), 200);
        au_rt_resp_cleanup(&r);
        json_decref(newer);
        newer = audit_when(&d, "route=GET%20/v1/profiles/search", 1);
        new_ms = (long)json_integer_value(json_object_get(json_array_get(newer, 0), "at_ms"));
    }
    json_decref(newer);
    json_t *all = audit_when(&d, "limit=1000", 1);
    long total = (long)json_array_size(all), older = 0;
    size_t i;
    json_t *e;
    json_array_foreach(all, i, e) older += json_integer_value(json_object_get(e, "at_ms")) < new_ms;
    json_decref(all);
    cr_assert_eq(au_rt_stop(&d), 0);

    /* as of one day after the newer entries: everything before them is past the window */
    snprintf(args, sizeof(args), "audit sweep --data %s --config %s --at %ld", d.dir, cfg,
             new_ms + 24L * 3600 * 1000);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 0, "%s", out);
    char want[120];
    snprintf(want, sizeof(want), "removed 1 flow runs and %ld audit entries", older);
    cr_assert_not_null(strstr(out, want), "want '%s': %s", want, out);
    snprintf(args, sizeof(args), "audit verify --data %s --config %s", d.dir, d.config_path);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 0, "%s", out);
    snprintf(want, sizeof(want), "ok: %ld entries", total - older);
    cr_assert_not_null(strstr(out, want), "want '%s': %s", want, out);

    /* the daemon continues the chain from what is left */
    cr_assert_eq(au_rt_restart(&d), 0);
    json_t *left = rt_get(&d, "/v1/flows/log/runs");
    cr_assert_eq(json_array_size(json_object_get(left, "runs")), 0, "the old run is gone");
    json_decref(left);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/c1", NULL, &r), 200);
    au_rt_resp_cleanup(&r);
    json_t *head = audit_when(&d, "", (size_t)(total - older + 2));
    long last = (long)json_integer_value(json_object_get(json_array_get(head, 0), "id"));
    json_decref(head);
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 0, "%s", out);

    /* the daemon's own sweep: with one-second windows every entry written before the restart
     * goes (the condition polled is their removal), and the chain still verifies */
    cr_assert_eq(au_rt_write_config(&d, "retention: {runs: 1s, audit: 1s, interval: 1s}\n"), 0);
    cr_assert_eq(au_rt_restart(&d), 0);
    for (long oldest = 0; oldest <= last;) {
        json_t *page = rt_get(&d, "/v1/audit?limit=1000");
        json_t *entries = json_object_get(page, "entries");
        size_t n = json_array_size(entries);
        oldest = n ? (long)json_integer_value(json_object_get(json_array_get(entries, n - 1), "id"))
                   : last + 1;
        json_decref(page);
        if (oldest <= last)
            usleep(100 * 1000);
    }
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 0, "%s", out);
    cr_assert_not_null(strstr(out, "from the retention anchor"), "%s", out);
    au_rt_cleanup(&d);
}

/* Whether s holds needle, ASCII case-insensitively. */
static int holds(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s; s++) {
        size_t k = 0;
        while (k < n && s[k] && tolower((unsigned char)s[k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == n)
            return 1;
    }
    return 0;
}

Test(audit, a_masked_key_sees_masked_values_on_every_personal_route, .timeout = 120)
{
    au_rt_daemon d;
    keys k;
    au_rt_resp r = {0};
    char blocker[400], path[256];
    /* the policy: city hidden entirely (partial elsewhere by default) */
    start_with_keys(&d, "masking: {city: full}\n", &k);
    /* a flow whose deliveries dead-letter at once: its runs and dead letters hold the person */
    snprintf(blocker, sizeof(blocker), "%s/blocker", d.dir);
    FILE *b = fopen(blocker, "w");
    cr_assert_not_null(b);
    fclose(b);
    rt_call(&d, "PUT", "/v1/sources/crm", def, 200);
    rt_flow_put_file(&d, "bad", "{profile: [created, updated]}", "blocker/x/bad.jsonl",
                     "{email: \"{{ record.email }}\", phone: \"{{ profile.phone }}\"}", NULL);
    rt_call(&d, "POST", "/v1/sources/crm/records", person, 200);
    rt_call(&d, "POST", "/v1/sources/crm/records",
            "[{\"id\":\"c9\",\"first\":\"Ann\",\"last\":\"Other\","
            "\"email\":\"ann@example.net\"}]",
            200);
    rt_call(&d, "POST", "/v1/events",
            "{\"source\":\"crm\",\"event_id\":\"o1\",\"type\":\"order\","
            "\"customer\":{\"source\":\"crm\",\"record\":\"c1\"},"
            "\"properties\":{\"ship_to\":\"4 Marlowe Crescent\",\"contact_email\":"
            "\"zebedee.q@example.org\",\"total\":12.5}}",
            200);
    json_decref(rt_flow_runs_when(&d, "bad", "status=dead", 1));
    json_t *p = rt_get(&d, "/v1/sources/crm/records/c1/profile");
    long profile = (long)json_integer_value(json_object_get(p, "profile"));
    json_decref(p);

    /* the person's values, and what a masked key sees instead */
    static const char *const secret[] = {"Zebedee",    "Quartermaine", "zebedee.q@",
                                         "7946 0999",  "79460999",     "Marlowe",
                                         "1983-04-05", "LS1 4AP",      "Wakefield"};
    static const char *const routes[] = {"/v1/profiles/%ld?lineage=1",
                                         "/v1/profiles?email=zebedee.q%%40example.org",
                                         "/v1/profiles/search?q=zebe",
                                         "/v1/profiles/%ld/timeline",
                                         "/v1/sources/crm/records/c1?history=1",
                                         "/v1/flows/bad/runs?context=1",
                                         "/v1/deadletters",
                                         "/v1/review",
                                         "/v1/explain?a=crm:c1&b=crm:c9"};
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        snprintf(path, sizeof(path), routes[i], profile);
        cr_assert_eq(get_with(&d, k.masked, path, &r), 200, "%s: %s", path, r.body);
        for (size_t s = 0; s < sizeof(secret) / sizeof(secret[0]); s++)
            cr_assert(!holds(r.body, secret[s]), "masked %s shows %s: %s", path, secret[s], r.body);
        au_rt_resp_cleanup(&r);
    }
    /* the masked forms */
    snprintf(path, sizeof(path), "/v1/profiles/%ld", profile);
    cr_assert_eq(get_with(&d, k.masked, path, &r), 200);
    json_t *g = au_rt_json(&r);
    cr_assert_str_eq(rt_str_at(g, "attributes", "email", NULL), "z***@example.org");
    cr_assert_str_eq(rt_str_at(g, "attributes", "phone", NULL), "***0999");
    cr_assert_str_eq(rt_str_at(g, "attributes", "first_name", NULL), "Z.");
    cr_assert_str_eq(rt_str_at(g, "attributes", "full_name", NULL), "Z. Q.");
    cr_assert_str_eq(rt_str_at(g, "attributes", "date_of_birth", NULL), "1983");
    cr_assert_str_eq(rt_str_at(g, "attributes", "address_line1", NULL), "***");
    cr_assert_str_eq(rt_str_at(g, "attributes", "city", NULL), "***", "city: full by policy");
    json_decref(g);
    au_rt_resp_cleanup(&r);

    /* the same routes show everything to a read key and to the admin */
    for (size_t i = 0; i < 5; i++) {
        snprintf(path, sizeof(path), routes[i], profile);
        cr_assert_eq(get_with(&d, k.read, path, &r), 200);
        cr_assert(holds(r.body, "Marlowe") && holds(r.body, "zebedee.q@example.org"), "%s: %s",
                  path, r.body);
        au_rt_resp_cleanup(&r);
        cr_assert_eq(au_rt_admin(&d, "GET", path, NULL, &r), 200);
        cr_assert(holds(r.body, "Marlowe"), "%s: %s", path, r.body);
        au_rt_resp_cleanup(&r);
    }
    snprintf(path, sizeof(path), "/v1/profiles/%ld", profile);
    cr_assert_eq(get_with(&d, k.read, path, &r), 200);
    cr_assert(holds(r.body, "Wakefield") && holds(r.body, "1983-04-05"), "%s", r.body);
    au_rt_resp_cleanup(&r);

    /* no export for a masked key; no read at all for a key without a read scope */
    cr_assert_eq(get_with(&d, k.masked, "/v1/subjects/export?email=zebedee.q%40example.org", &r),
                 403, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(get_with(&d, k.write, path, &r), 403, "%s", r.body);
    au_rt_resp_cleanup(&r);
    /* the masked key's reads are logged like any other */
    char q[64];
    snprintf(q, sizeof(q), "key=%s", k.masked_id);
    json_decref(audit_when(&d, q, sizeof(routes) / sizeof(routes[0])));
    au_rt_cleanup(&d);
}
