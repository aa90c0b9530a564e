/*
 * Black-box tests of the HTTP API against the real daemon: health, auth and scopes, sources,
 * batch upserts and their idempotency, record history, deletes, events, body limits, encoding
 * and syntax errors, all-or-nothing batches, metrics, key bootstrap and graceful shutdown.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "harness.h"

TestSuite(api, .fini = au_rt_cleanup_all);

static const char crm_def[] =
    "{\"record_id\":\"id\",\"country\":\"GB\",\"fields\":{\"email\":\"email\","
    "\"first_name\":\"first\",\"last_name\":\"last\",\"phone\":\"phone\"}}";

static void start(au_rt_daemon *d, const char *config)
{
    int rc = au_rt_start(d, config);
    char *log = rc ? au_rt_log(d) : NULL;
    cr_assert_eq(rc, 0, "daemon did not start; log:\n%s", log ? log : "(none)");
}

static void put_source(au_rt_daemon *d, const char *name)
{
    au_rt_resp r = {0};
    char path[128];
    snprintf(path, sizeof(path), "/v1/sources/%s", name);
    cr_assert_eq(au_rt_admin(d, "PUT", path, crm_def, &r), 200, "PUT source: %s", r.body);
    au_rt_resp_cleanup(&r);
}

static long post(au_rt_daemon *d, const char *path, const char *body, au_rt_resp *r)
{
    return au_rt_admin(d, "POST", path, body, r);
}

/* The integer at obj.key of a JSON body, or -1. */
static long json_int_at(const au_rt_resp *r, const char *key)
{
    json_t *j = au_rt_json(r);
    long v = json_is_integer(json_object_get(j, key))
                 ? (long)json_integer_value(json_object_get(j, key))
                 : -1;
    json_decref(j);
    return v;
}

static const char *error_code(const au_rt_resp *r, char *buf, size_t cap)
{
    json_t *j = au_rt_json(r);
    const char *c = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    snprintf(buf, cap, "%s", c ? c : "(none)");
    json_decref(j);
    return buf;
}

Test(api, health_needs_no_key_and_the_log_names_the_port)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d, NULL);
    cr_assert_eq(au_rt_request(&d, "GET", "/healthz", NULL, NULL, 0, NULL, &r), 200);
    cr_assert_str_eq(r.body, "{\"status\":\"ok\"}");
    au_rt_resp_cleanup(&r);
    char *log = au_rt_log(&d), expect[64];
    snprintf(expect, sizeof(expect), "\"addr\":\"127.0.0.1:%d\"", d.port);
    cr_assert(log && strstr(log, "\"msg\":\"listening\"") && strstr(log, expect), "%s", log);
    free(log);
    au_rt_cleanup(&d);
}

Test(api, unknown_route_is_404_and_wrong_method_405)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char code[64];
    start(&d, NULL);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/nothing", NULL, &r), 404);
    cr_assert_str_eq(error_code(&r, code, sizeof(code)), "not_found");
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "PATCH", "/v1/sources/crm", "{}", &r), 405);
    cr_assert_str_eq(error_code(&r, code, sizeof(code)), "method_not_allowed");
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, missing_or_unknown_key_is_401)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char code[64];
    start(&d, NULL);
    cr_assert_eq(au_rt_request(&d, "GET", "/v1/sources", NULL, NULL, 0, NULL, &r), 401);
    cr_assert_str_eq(error_code(&r, code, sizeof(code)), "unauthorized");
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_request(&d, "GET", "/v1/sources", NULL, NULL, 0, "au_forged", &r), 401);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_request(&d, "GET", "/metrics", NULL, NULL, 0, NULL, &r), 401);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

/* Expected status for one request with one key. */
static void expect(au_rt_daemon *d, const char *key, const char *method, const char *path,
                   const char *body, long status)
{
    au_rt_resp r = {0};
    long got = au_rt_request(d, method, path, NULL, body, body ? strlen(body) : 0, key, &r);
    cr_expect_eq(got, status, "%s %s with key %.12s: %ld, expected %ld: %s", method, path, key, got,
                 status, r.body);
    au_rt_resp_cleanup(&r);
}

Test(api, scopes_are_enforced_per_route_and_source)
{
    au_rt_daemon d;
    char rd[80], wcrm[80], wall[80];
    start(&d, NULL);
    put_source(&d, "crm");
    put_source(&d, "webshop");
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(au_rt_create_key(&d, rd, "read", NULL), 0);
    cr_assert_eq(au_rt_create_key(&d, wcrm, "write:crm", NULL), 0);
    cr_assert_eq(au_rt_create_key(&d, wall, "write:*", "read", NULL), 0);
    cr_assert_eq(au_rt_restart(&d), 0);

    const char *rec = "[{\"id\":\"1\",\"email\":\"a@example.com\"}]";
    const char *ev = "{\"source\":\"webshop\",\"event_id\":\"e1\",\"type\":\"order\","
                     "\"customer\":{\"email\":\"a@example.com\"}}";
    expect(&d, rd, "GET", "/v1/sources", NULL, 200);
    expect(&d, rd, "GET", "/metrics", NULL, 200);
    expect(&d, rd, "PUT", "/v1/sources/crm", crm_def, 403);
    expect(&d, rd, "POST", "/v1/sources/crm/records", rec, 403);
    expect(&d, rd, "POST", "/v1/events", ev, 403);
    expect(&d, wcrm, "POST", "/v1/sources/crm/records", rec, 200);
    expect(&d, wcrm, "POST", "/v1/sources/webshop/records", rec, 403);
    expect(&d, wcrm, "POST", "/v1/events", ev, 403);
    expect(&d, wcrm, "GET", "/v1/sources/crm/records/1", NULL, 403);
    expect(&d, wcrm, "GET", "/metrics", NULL, 403);
    expect(&d, wcrm, "PUT", "/v1/sources/crm", crm_def, 403);
    expect(&d, wcrm, "DELETE", "/v1/sources/webshop/records/1", NULL, 403);
    expect(&d, wall, "POST", "/v1/sources/webshop/records", rec, 200);
    expect(&d, wall, "POST", "/v1/events", ev, 200);
    expect(&d, wall, "GET", "/v1/sources/webshop/records/1", NULL, 200);
    expect(&d, wall, "PUT", "/v1/sources/crm", crm_def, 403);
    expect(&d, d.admin_key, "PUT", "/v1/sources/crm", crm_def, 200);
    expect(&d, wcrm, "DELETE", "/v1/sources/crm/records/1", NULL, 200);
    au_rt_cleanup(&d);
}

/* Revokes every read-only key with the CLI: its id is in `aurum keys list`. Both commands get
 * the daemon's --config, whose store: line names its PostgreSQL store when the suite runs on
 * one (without it they would open the SQLite store of --data). A key the listing misses stays
 * valid, which the caller's 401 check catches. */
static void keys_revoke_read(const au_rt_daemon *d)
{
    char cmd[2048];
    const char *bin = getenv("AURUM_BIN") ? getenv("AURUM_BIN") : "build/aurum";
    snprintf(cmd, sizeof(cmd),
             "%s keys list --data %s --config %s | grep -F read | cut -d' ' -f1 | xargs -r -n1 "
             "%s keys revoke --data %s --config %s 2>/dev/null",
             bin, d->dir, d->config_path, bin, d->dir, d->config_path);
    cr_assert_eq(system(cmd), 0);
}

Test(api, revoked_key_is_refused_after_restart)
{
    au_rt_daemon d;
    char rd[80];
    start(&d, NULL);
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(au_rt_create_key(&d, rd, "read", NULL), 0);
    cr_assert_eq(au_rt_restart(&d), 0);
    expect(&d, rd, "GET", "/v1/sources", NULL, 200);
    cr_assert_eq(au_rt_stop(&d), 0);
    keys_revoke_read(&d);
    cr_assert_eq(au_rt_restart(&d), 0);
    expect(&d, rd, "GET", "/v1/sources", NULL, 401);
    expect(&d, d.admin_key, "GET", "/v1/sources", NULL, 200);
    au_rt_cleanup(&d);
}

/* Status of one GET with `key` (the expect() helper asserts; this one only reports). */
static long get_status(au_rt_daemon *d, const char *key, const char *path)
{
    au_rt_resp r;
    long st = au_rt_request(d, "GET", path, NULL, NULL, 0, key, &r);
    au_rt_resp_cleanup(&r);
    return st;
}

Test(api, keys_cli_works_beside_the_running_daemon)
{
    au_rt_daemon d;
    char rd[80];
    start(&d, NULL);
    cr_assert_eq(au_rt_create_key(&d, rd, "read", NULL), 0);
    expect(&d, rd, "GET", "/v1/sources", NULL, 200);
    keys_revoke_read(&d);
    /* The daemon trusts a cached key for AU_KEY_CACHE_TTL_MS, then asks the store again. */
    long st = 0;
    for (int i = 0; i < 100 && (st = get_status(&d, rd, "/v1/sources")) == 200; i++)
        usleep(100 * 1000);
    cr_assert_eq(st, 401, "a key revoked by the CLI stops working in the running daemon");
    au_rt_cleanup(&d);
}

Test(api, first_start_without_env_key_writes_admin_key_0600)
{
    au_rt_daemon d;
    cr_assert_eq(au_rt_start_without_key(&d), 0);
    char path[300];
    struct stat st;
    snprintf(path, sizeof(path), "%s/admin.key", d.dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(strncmp(d.admin_key, "au_", 3), 0);
    expect(&d, d.admin_key, "PUT", "/v1/sources/crm", crm_def, 200);
    /* A restart keeps the key and does not create another file. */
    cr_assert_eq(au_rt_stop(&d), 0);
    cr_assert_eq(au_rt_restart(&d), 0);
    expect(&d, d.admin_key, "GET", "/v1/sources/crm", NULL, 200);
    au_rt_cleanup(&d);
}

Test(api, source_put_get_list_and_unknown_source_404)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d, NULL);
    put_source(&d, "crm");
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm", NULL, &r), 200);
    json_t *j = au_rt_json(&r);
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(j, "definition"), "record_id")), "id");
    json_decref(j);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources", NULL, &r), 200);
    cr_assert(strstr(r.body, "\"name\":\"crm\""), "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/nope", NULL, &r), 404);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(post(&d, "/v1/sources/nope/records", "[{\"id\":\"1\"}]", &r), 404);
    cr_assert(strstr(r.body, "nope"), "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/nope/records/1", NULL, &r), 404);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/bad", "[1,2]", &r), 400);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, batch_upsert_is_idempotent)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    const char *batch = "[{\"id\":\"1\",\"email\":\"ann@example.com\",\"first\":\"Ann\"},"
                        "{\"id\":\"2\",\"email\":\"bob@example.com\",\"first\":\"Bob\"},"
                        "{\"id\":\"3\",\"email\":\"cy@example.com\",\"first\":\"Cy\"}]";
    start(&d, NULL);
    put_source(&d, "crm");
    cr_assert_eq(post(&d, "/v1/sources/crm/records", batch, &r), 200, "%s", r.body);
    cr_assert_eq(json_int_at(&r, "inserted"), 3, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(post(&d, "/v1/sources/crm/records", batch, &r), 200, "%s", r.body);
    cr_assert_eq(json_int_at(&r, "inserted"), 0, "%s", r.body);
    cr_assert_eq(json_int_at(&r, "updated"), 0, "%s", r.body);
    cr_assert_eq(json_int_at(&r, "unchanged"), 3, "%s", r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, jsonl_body_is_accepted)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    const char *lines = "{\"id\":\"a\",\"email\":\"a@example.com\"}\n\n"
                        "{\"id\":\"b\",\"email\":\"b@example.com\"}\n";
    start(&d, NULL);
    put_source(&d, "crm");
    cr_assert_eq(au_rt_request(&d, "POST", "/v1/sources/crm/records", "application/x-ndjson", lines,
                               strlen(lines), d.admin_key, &r),
                 200, "%s", r.body);
    cr_assert_eq(json_int_at(&r, "inserted"), 2, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/b", NULL, &r), 200);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, record_get_shows_current_version_and_history)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d, NULL);
    put_source(&d, "crm");
    cr_assert_eq(post(&d, "/v1/sources/crm/records",
                      "[{\"id\":\"7\",\"email\":\"Ann@Example.com\",\"first\":\"ann\"}]", &r),
                 200);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(post(&d, "/v1/sources/crm/records",
                      "[{\"id\":\"7\",\"email\":\"ann@example.org\",\"first\":\"ann\","
                      "\"loyalty\":\"gold\"}]",
                      &r),
                 200);
    cr_assert_eq(json_int_at(&r, "updated"), 1, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/7?history=1", NULL, &r), 200);
    json_t *j = au_rt_json(&r);
    cr_assert_eq(json_integer_value(json_object_get(j, "version")), 2, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(j, "record_id")), "7");
    json_t *email = json_object_get(json_object_get(j, "attributes"), "email");
    cr_assert_str_eq(json_string_value(json_object_get(email, "raw")), "ann@example.org");
    cr_assert(json_object_get(email, "value") && json_object_get(email, "key"), "%s", r.body);
    cr_assert_not_null(json_object_get(j, "input"));
    cr_assert_not_null(json_object_get(j, "origin"));
    json_t *hist = json_object_get(j, "history");
    cr_assert_eq(json_array_size(hist), 2, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(hist, 0), "version")), 1);
    json_decref(j);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/7", NULL, &r), 200);
    cr_assert_null(strstr(r.body, "\"history\""), "%s", r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, delete_then_get_is_404_and_second_delete_404)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d, NULL);
    put_source(&d, "crm");
    cr_assert_eq(post(&d, "/v1/sources/crm/records", "[{\"id\":\"9\",\"first\":\"Zed\"}]", &r),
                 200);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "DELETE", "/v1/sources/crm/records/9", NULL, &r), 200, "%s",
                 r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/9", NULL, &r), 404);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "DELETE", "/v1/sources/crm/records/9", NULL, &r), 404);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "DELETE", "/v1/sources/crm/records/never", NULL, &r), 404);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, events_are_idempotent_and_validated)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    const char *evs =
        "[{\"source\":\"billing\",\"event_id\":\"p-1\",\"type\":\"payment\","
        "\"at\":\"2024-03-01T10:00:00Z\",\"customer\":{\"source\":\"crm\",\"record\":\"7\"},"
        "\"properties\":{\"amount\":12.5}},"
        "{\"source\":\"billing\",\"event_id\":\"p-2\",\"type\":\"payment\",\"at\":1709287200000,"
        "\"customer\":{\"email\":\"ann@example.com\"}}]";
    start(&d, NULL);
    cr_assert_eq(post(&d, "/v1/events", evs, &r), 200, "%s", r.body);
    cr_assert_eq(json_int_at(&r, "inserted"), 2, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(post(&d, "/v1/events", evs, &r), 200, "%s", r.body);
    cr_assert_eq(json_int_at(&r, "inserted"), 0, "%s", r.body);
    cr_assert_eq(json_int_at(&r, "unchanged"), 2, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(post(&d, "/v1/events",
                      "[{\"source\":\"billing\",\"event_id\":\"p-3\",\"type\":\"payment\","
                      "\"customer\":{\"email\":\"x@example.com\"}},"
                      "{\"source\":\"billing\",\"event_id\":\"p-4\",\"type\":\"payment\","
                      "\"at\":\"yesterday\",\"customer\":{}}]",
                      &r),
                 400);
    json_t *j = au_rt_json(&r);
    json_t *det = json_object_get(json_object_get(j, "error"), "details");
    cr_assert_eq(json_array_size(det), 2, "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(det, 0), "index")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(det, 0), "field")), "at");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(det, 1), "field")),
                     "customer");
    json_decref(j);
    au_rt_resp_cleanup(&r);
    /* All or nothing: p-3 was valid but must not have been stored. */
    cr_assert_eq(post(&d, "/v1/events",
                      "{\"source\":\"billing\",\"event_id\":\"p-3\",\"type\":\"payment\","
                      "\"customer\":{\"email\":\"x@example.com\"}}",
                      &r),
                 200);
    cr_assert_eq(json_int_at(&r, "inserted"), 1, "%s", r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, body_over_the_limit_is_413_and_not_written)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char code[64];
    start(&d, "max_body_bytes: 1024\n");
    put_source(&d, "crm");
    char big[4096];
    size_t n = (size_t)snprintf(big, sizeof(big), "[{\"id\":\"big\",\"first\":\"");
    memset(big + n, 'x', 3000);
    n += 3000;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\"}]");
    cr_assert_eq(post(&d, "/v1/sources/crm/records", big, &r), 413, "%s", r.body);
    cr_assert_str_eq(error_code(&r, code, sizeof(code)), "too_large");
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/big", NULL, &r), 404);
    au_rt_resp_cleanup(&r);
    /* A chunked upload has no Content-Length: the bound is enforced while reading. */
    const char *const chunked[] = {"Transfer-Encoding: chunked", NULL};
    cr_assert_eq(au_rt_request_h(&d, "POST", "/v1/sources/crm/records", chunked, NULL, big, n,
                                 d.admin_key, &r),
                 413, "%s", r.body);
    cr_assert_str_eq(error_code(&r, code, sizeof(code)), "too_large");
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/big", NULL, &r), 404);
    au_rt_resp_cleanup(&r);
    const char *small = "[{\"id\":\"chunky\"}]";
    cr_assert_eq(au_rt_request_h(&d, "POST", "/v1/sources/crm/records", chunked, NULL, small,
                                 strlen(small), d.admin_key, &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    /* Under the limit the same route works, so the 413 was about size alone. */
    cr_assert_eq(post(&d, "/v1/sources/crm/records", "[{\"id\":\"small\"}]", &r), 200, "%s",
                 r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, invalid_utf8_is_400)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char code[64];
    start(&d, NULL);
    put_source(&d, "crm");
    const char bad[] = "[{\"id\":\"1\",\"first\":\"Ren\xe9\"}]";
    cr_assert_eq(post(&d, "/v1/sources/crm/records", bad, &r), 400, "%s", r.body);
    cr_assert_str_eq(error_code(&r, code, sizeof(code)), "invalid_utf8");
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_request(&d, "POST", "/v1/sources/crm/records", "application/x-ndjson",
                               bad + 1, strlen(bad) - 2, d.admin_key, &r),
                 400, "%s", r.body);
    cr_assert_str_eq(error_code(&r, code, sizeof(code)), "invalid_utf8");
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, malformed_json_names_line_and_column)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char code[64];
    start(&d, NULL);
    put_source(&d, "crm");
    cr_assert_eq(post(&d, "/v1/sources/crm/records", "[{\"id\":\"1\"},\n {\"id\" \"2\"}]", &r),
                 400);
    cr_assert_str_eq(error_code(&r, code, sizeof(code)), "malformed");
    cr_assert(strstr(r.body, "line 2, column"), "%s", r.body);
    au_rt_resp_cleanup(&r);
    const char *lines = "{\"id\":\"1\"}\n{\"id\":\"2\"}\n{\"id\":3,}\n";
    cr_assert_eq(au_rt_request(&d, "POST", "/v1/sources/crm/records", "application/jsonl", lines,
                               strlen(lines), d.admin_key, &r),
                 400);
    cr_assert(strstr(r.body, "line 3, column"), "%s", r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, one_invalid_record_rejects_the_whole_batch_of_a_strict_source)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d, NULL);
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/crm",
                             "{\"record_id\":\"id\",\"on_invalid\":\"reject\","
                             "\"fields\":{\"email\":\"email\",\"first_name\":\"first\"}}",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(post(&d, "/v1/sources/crm/records",
                      "[{\"id\":\"ok1\",\"email\":\"ok@example.com\"},"
                      "{\"id\":\"bad\",\"email\":\"not-an-email\"},"
                      "{\"id\":\"ok2\",\"first\":\"Eve\"}]",
                      &r),
                 400);
    json_t *j = au_rt_json(&r);
    json_t *det = json_object_get(json_object_get(j, "error"), "details");
    cr_assert_geq(json_array_size(det), 1, "%s", r.body);
    json_t *d0 = json_array_get(det, 0);
    cr_assert_eq(json_integer_value(json_object_get(d0, "index")), 1, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(d0, "field")), "email", "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "error"), "code")),
                     "invalid_input");
    json_decref(j);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/ok1", NULL, &r), 404,
                 "nothing of a rejected batch may be written: %s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/ok2", NULL, &r), 404);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, metrics_expose_the_counters)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d, NULL);
    put_source(&d, "crm");
    cr_assert_eq(post(&d, "/v1/sources/crm/records", "[{\"id\":\"1\",\"first\":\"A\"}]", &r), 200);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(post(&d, "/v1/events",
                      "{\"source\":\"crm\",\"event_id\":\"e\",\"type\":\"t\","
                      "\"customer\":{\"phone\":\"+442079460958\"}}",
                      &r),
                 200);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/metrics", NULL, &r), 200);
    const char *want[] = {
        "# TYPE aurum_http_requests_total counter",
        "aurum_http_requests_total{route=\"PUT /v1/sources/{source}\",status=\"200\"} 1",
        "aurum_http_requests_total{route=\"POST /v1/sources/{source}/records\",status=\"200\"} 1",
        "# TYPE aurum_http_request_duration_seconds histogram",
        "aurum_http_request_duration_seconds_bucket{le=\"+Inf\"}",
        "aurum_records_ingested_total{source=\"crm\",outcome=\"inserted\"} 1",
        "aurum_events_ingested_total{source=\"crm\",outcome=\"inserted\"} 1",
        "aurum_engine_commits_total",
        "aurum_engine_queue_depth",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect(strstr(r.body, want[i]), "missing '%s' in:\n%s", want[i], r.body);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}

Test(api, sigterm_exits_0_and_data_survives_a_restart)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d, NULL);
    put_source(&d, "crm");
    cr_assert_eq(post(&d, "/v1/sources/crm/records", "[{\"id\":\"s1\",\"first\":\"Sam\"}]", &r),
                 200);
    au_rt_resp_cleanup(&r);
    int status = au_rt_stop(&d);
    char *log = au_rt_log(&d);
    cr_assert_eq(status, 0, "exit status %d; log:\n%s", status, log);
    cr_assert(strstr(log, "\"msg\":\"stopped\""), "%s", log);
    free(log);
    cr_assert_eq(au_rt_restart(&d), 0);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/s1", NULL, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
}

/* A huge dirty batch cannot make a huge answer: the first 100 quarantined values are listed,
 * all are counted, and every record is written. */
Test(api, warnings_are_bounded_and_counted)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d, NULL);
    put_source(&d, "crm");
    size_t cap = 64 * 1024, n = 0;
    char *body = malloc(cap);
    cr_assert_not_null(body);
    body[n++] = '[';
    for (int i = 0; i < 150; i++)
        n += (size_t)snprintf(body + n, cap - n, "%s{\"id\":\"w%d\",\"email\":\"bad%d\"}",
                              i ? "," : "", i, i);
    snprintf(body + n, cap - n, "]");
    cr_assert_eq(post(&d, "/v1/sources/crm/records", body, &r), 200, "%s", r.body);
    json_t *j = au_rt_json(&r);
    cr_assert_eq(json_integer_value(json_object_get(j, "inserted")), 150);
    cr_assert_eq(json_array_size(json_object_get(j, "warnings")), 100);
    cr_assert_eq(json_integer_value(json_object_get(j, "warnings_total")), 150);
    cr_assert_eq(json_integer_value(json_object_get(j, "records_with_warnings")), 150);
    json_t *last = json_array_get(json_object_get(j, "warnings"), 99);
    cr_assert_eq(json_integer_value(json_object_get(last, "index")), 99);
    cr_assert_str_eq(json_string_value(json_object_get(last, "record_id")), "w99");
    cr_assert_str_eq(json_string_value(json_object_get(last, "value")), "bad99");
    json_decref(j);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/w149", NULL, &r), 200);
    au_rt_resp_cleanup(&r);
    free(body);
    au_rt_cleanup(&d);
}

/* A batch of more records than the limit (100000) is refused whole before any is mapped. */
Test(api, batch_over_the_item_limit_is_refused_and_not_written)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    char code[64];
    start(&d, NULL);
    put_source(&d, "crm");
    size_t items = 100001, cap = items * 3 + 64, n = 0;
    char *body = malloc(cap);
    cr_assert_not_null(body);
    n += (size_t)snprintf(body, cap, "[{\"id\":\"first\"}");
    for (size_t i = 1; i < items; i++)
        memcpy(body + n, ",{}", 3), n += 3;
    body[n++] = ']';
    body[n] = '\0';
    cr_assert_eq(post(&d, "/v1/sources/crm/records", body, &r), 413, "%s", r.body);
    cr_assert_str_eq(error_code(&r, code, sizeof(code)), "too_large");
    cr_assert(strstr(r.body, "at most 100000"), "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/crm/records/first", NULL, &r), 404);
    au_rt_resp_cleanup(&r);
    free(body);
    au_rt_cleanup(&d);
}

/* Segment identify: a trait normalisation refuses is quarantined and reported, not a 400. */
Test(api, segment_traits_that_are_dirty_are_warnings)
{
    au_rt_daemon d;
    au_rt_resp r = {0};
    start(&d, NULL);
    cr_assert_eq(post(&d, "/v1/batch",
                      "{\"batch\":[{\"type\":\"track\",\"userId\":\"u0\",\"event\":\"x\"},"
                      "{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"email\":\"no-at\","
                      "\"firstName\":\"Una\"}}]}",
                      &r),
                 200, "%s", r.body);
    json_t *j = au_rt_json(&r);
    cr_assert(json_is_true(json_object_get(j, "success")), "%s", r.body);
    cr_assert_eq(json_integer_value(json_object_get(j, "warnings_total")), 1, "%s", r.body);
    json_t *w = json_array_get(json_object_get(j, "warnings"), 0);
    cr_assert_eq(json_integer_value(json_object_get(w, "index")), 1, "%s", r.body);
    cr_assert_str_eq(json_string_value(json_object_get(w, "record_id")), "u1");
    cr_assert_str_eq(json_string_value(json_object_get(w, "attribute")), "email");
    cr_assert_str_eq(json_string_value(json_object_get(w, "value")), "no-at");
    json_decref(j);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/sources/segment/records/u1", NULL, &r), 200, "%s",
                 r.body);
    j = au_rt_json(&r);
    json_t *email = json_object_get(json_object_get(j, "attributes"), "email");
    cr_assert_str_eq(json_string_value(json_object_get(email, "status")), "quarantined");
    json_decref(j);
    au_rt_resp_cleanup(&r);
    au_rt_cleanup(&d);
}
