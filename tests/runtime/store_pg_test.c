/*
 * `aurum serve` on a PostgreSQL store (tests/support/pgserver): chosen by `store:` in the
 * configuration (or --store), with the node's local files (lock, admin key, secrets) in its
 * --data directory. A real daemon on a real server takes records over the API, resolves them,
 * serves a profile and the change feed, keeps a secret in the data directory, and after a
 * restart answers the same from what it reads back from PostgreSQL.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/pgserver.h"
#include "harness.h"

static void fini(void)
{
    au_rt_cleanup_all();
    au_pgserver_cleanup_all();
}

TestSuite(store_pg_serve, .fini = fini);

static const char people_def[] =
    "{\"record_id\":\"id\",\"country\":\"GB\",\"fields\":{\"email\":\"email\","
    "\"first_name\":\"first\",\"last_name\":\"last\",\"date_of_birth\":\"dob\"}}";
static const char people[] =
    "[{\"id\":\"1\",\"first\":\"John\",\"last\":\"Smith\",\"email\":\"john.smith@example.com\","
    "\"dob\":\"1980-01-02\"},{\"id\":\"2\",\"first\":\"Jon\",\"last\":\"Smith\",\"email\":"
    "\"john.smith@example.com\",\"dob\":\"1980-01-02\"},{\"id\":\"9\",\"first\":\"Mary\","
    "\"last\":\"Jones\",\"email\":\"mary.jones@example.org\",\"dob\":\"1975-06-30\"}]";

/* The profile of crm record `id` (0 when it has none). */
static long profile_of(au_rt_daemon *d, const char *id)
{
    au_rt_resp r = {0};
    char path[128];
    snprintf(path, sizeof(path), "/v1/sources/crm/records/%s/profile", id);
    cr_assert_eq(au_rt_admin(d, "GET", path, NULL, &r), 200, "profile of %s: %s", id, r.body);
    json_t *j = au_rt_json(&r);
    json_t *p = json_object_get(j, "profile");
    long v = json_is_integer(p) ? (long)json_integer_value(p) : 0;
    json_decref(j);
    au_rt_resp_cleanup(&r);
    return v;
}

/* Number of changes the feed holds from the beginning. */
static size_t changes(au_rt_daemon *d)
{
    au_rt_resp r = {0};
    cr_assert_eq(au_rt_admin(d, "GET", "/v1/changes?after=0&limit=1000", NULL, &r), 200, "%s",
                 r.body);
    json_t *j = au_rt_json(&r);
    size_t n = json_array_size(json_object_get(j, "changes"));
    json_decref(j);
    au_rt_resp_cleanup(&r);
    return n;
}

/* GET /v1/profiles/{p}: 200 and the body names `want`. */
static void profile_names(au_rt_daemon *d, long p, const char *want)
{
    au_rt_resp r = {0};
    char path[64];
    snprintf(path, sizeof(path), "/v1/profiles/%ld", p);
    cr_assert_eq(au_rt_admin(d, "GET", path, NULL, &r), 200, "%s", r.body);
    cr_assert(strstr(r.body, want), "%s", r.body);
    au_rt_resp_cleanup(&r);
}

/* Runs `aurum ARGS` ($AURUM_BIN); stdout and stderr into out[cap]; returns the exit code. */
static int run_cli(const char *args, char *out, size_t cap)
{
    char o[] = "/tmp/aurum-pgcli-out-XXXXXX";
    int fd = mkstemp(o);
    cr_assert(fd >= 0);
    close(fd);
    const char *b = getenv("AURUM_BIN");
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "%s %s </dev/null >%s 2>&1", b && *b ? b : "build/aurum", args, o);
    int st = system(cmd);
    FILE *f = fopen(o, "r");
    cr_assert_not_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    unlink(o);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

Test(store_pg_serve, a_daemon_on_postgres_resolves_serves_and_survives_a_restart, .timeout = 180)
{
    if (!au_pgserver_available())
        cr_skip_test("PostgreSQL is not installed (scripts/deps.sh)");
    au_pgserver p;
    au_rt_daemon d;
    au_rt_resp r = {0};
    char cfg[256], path[400];
    cr_assert_eq(au_pgserver_start(&p), 0, "cannot start PostgreSQL (see %s)", p.log);
    snprintf(cfg, sizeof(cfg), "store: \"postgres://postgres@127.0.0.1:%d/postgres\"\n", p.port);
    int rc = au_rt_start(&d, cfg);
    char *log = rc ? au_rt_log(&d) : NULL;
    cr_assert_eq(rc, 0, "daemon did not start; log:\n%s", log ? log : "(none)");

    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/sources/crm", people_def, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/crm/records", people, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    long john = profile_of(&d, "1"), mary = profile_of(&d, "9");
    cr_assert(john > 0 && mary > 0);
    cr_assert_eq(profile_of(&d, "2"), john, "John and Jon are one person");
    cr_assert_neq(mary, john);
    profile_names(&d, john, "john.smith@example.com");
    size_t feed = changes(&d);
    cr_assert_geq(feed, 2, "the feed has a change per profile at least");

    /* a secret lands in the data directory, not under the store's URI */
    cr_assert_eq(au_rt_admin(&d, "PUT", "/v1/secrets/token", "{\"value\":\"s3cret\"}", &r), 200,
                 "%s", r.body);
    au_rt_resp_cleanup(&r);
    snprintf(path, sizeof(path), "%s/secrets.json", d.dir);
    cr_assert_eq(access(path, F_OK), 0, "secrets kept in the data directory");

    /* the rows are in PostgreSQL */
    PGresult *q = au_pgserver_exec(&p, "SELECT count(*) FROM records");
    cr_assert_not_null(q);
    cr_assert_str_eq(PQgetvalue(q, 0, 0), "3");
    PQclear(q);

    cr_assert_eq(au_rt_stop(&d), 0, "daemon did not stop cleanly");

    /* the batch subcommands read the same store: --store, or store: in the config; the empty
     * SQLite-less data directory alone would have no quality ledger and no audit log */
    char args[1024], out[8192];
    snprintf(args, sizeof(args),
             "quality --format json --data %s --store postgres://postgres@127.0.0.1:%d/postgres",
             d.dir, p.port);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 0, "%s", out);
    cr_assert(strstr(out, "\"crm\"") && strstr(out, "\"email\""), "%s", out);
    snprintf(args, sizeof(args), "audit verify --data %s --config %s", d.dir, d.config_path);
    cr_assert_eq(run_cli(args, out, sizeof(out)), 0, "%s", out);
    cr_assert(strstr(out, "ok: ") && strtol(strstr(out, "ok: ") + 4, NULL, 10) >= 2, "%s", out);
    q = au_pgserver_exec(&p, "SELECT count(*) FROM audit");
    cr_assert_not_null(q);
    char want[64];
    snprintf(want, sizeof(want), "ok: %s entries", PQgetvalue(q, 0, 0));
    PQclear(q);
    cr_assert(strstr(out, want), "%s (want %s)", out, want);

    cr_assert_eq(au_rt_restart(&d), 0, "daemon did not restart");
    cr_assert_eq(profile_of(&d, "1"), john, "the assignment read back from PostgreSQL");
    cr_assert_eq(profile_of(&d, "2"), john);
    cr_assert_eq(profile_of(&d, "9"), mary);
    profile_names(&d, mary, "mary.jones@example.org");
    cr_assert_eq(changes(&d), feed, "the same feed after the restart");
    cr_assert_eq(au_rt_admin(&d, "GET", "/v1/secrets", NULL, &r), 200, "%s", r.body);
    cr_assert(strstr(r.body, "\"token\""), "%s", r.body);
    au_rt_resp_cleanup(&r);

    /* a later record resolves against what was read back */
    cr_assert_eq(au_rt_admin(&d, "POST", "/v1/sources/crm/records",
                             "[{\"id\":\"3\",\"first\":\"John\",\"last\":\"Smith\",\"email\":"
                             "\"john.smith@example.com\",\"dob\":\"1980-01-02\"}]",
                             &r),
                 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
    cr_assert_eq(profile_of(&d, "3"), john);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    au_pgserver_stop(&p);
}
