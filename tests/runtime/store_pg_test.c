/*
 * `aurum serve` on a PostgreSQL store (tests/support/pgserver): chosen by --store or by `store:`
 * in the configuration, and refused with a clear message naming the missing domains for as
 * long as the PostgreSQL back-end does not implement every domain the daemon needs, before it
 * listens (no half-working daemon).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../support/pgserver.h"
#include "../support/spawn.h"

static void fini(void)
{
    au_pgserver_cleanup_all();
}

TestSuite(store_pg_serve, .fini = fini);

static const char *bin(void)
{
    const char *b = getenv("AURUM_BIN");
    return b ? b : "build/aurum";
}

/* The whole of a small file, in buf. */
static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
}

/* Runs serve with `extra` arguments in `dir`; returns its exit status, its output in out. */
static int serve(const char *dir, char *const extra[], char *out, size_t cap)
{
    char data[200], portfile[200], log[200];
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(portfile, sizeof(portfile), "%s/port", dir);
    snprintf(log, sizeof(log), "%s/serve.log", dir);
    char *argv[16] = {(char *)bin(), "serve",       "--data",      data,
                      "--listen",    "127.0.0.1:0", "--port-file", portfile};
    int n = 8;
    for (int i = 0; extra[i] && n < 15; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    int status = au_test_spawn(argv, NULL, log, 1);
    slurp(log, out, cap);
    cr_assert_neq(access(portfile, F_OK), 0, "it never listened");
    return status;
}

Test(store_pg_serve, refused_until_every_domain_exists, .timeout = 120)
{
    if (!au_pgserver_available())
        cr_skip_test("PostgreSQL is not installed (scripts/deps.sh)");
    au_pgserver p;
    cr_assert_eq(au_pgserver_start(&p), 0, "cannot start PostgreSQL (see %s)", p.log);
    char dir[] = "/tmp/aurum-pgserve-XXXXXX", uri[200], cfg[200], out[8192];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(uri, sizeof(uri), "postgres://postgres@127.0.0.1:%d/postgres", p.port);

    char *by_flag[] = {"--store", uri, NULL};
    cr_assert_eq(serve(dir, by_flag, out, sizeof(out)), 1, "%s", out);
    cr_assert(strstr(out, "the postgres store does not implement these domains yet: privacy"), "%s",
              out);

    snprintf(cfg, sizeof(cfg), "%s/aurum.yaml", dir);
    FILE *f = fopen(cfg, "w");
    cr_assert_not_null(f);
    fprintf(f, "store: \"%s\"\n", uri);
    fclose(f);
    char *by_config[] = {"--config", cfg, NULL};
    cr_assert_eq(serve(dir, by_config, out, sizeof(out)), 1, "%s", out);
    cr_assert(strstr(out, "does not implement these domains yet"), "%s", out);

    /* the refusal came after a real connection: the store's schema is there */
    PGresult *r = au_pgserver_exec(&p, "SELECT version FROM aurum_schema");
    cr_assert_not_null(r);
    cr_assert_eq(PQntuples(r), 1);
    PQclear(r);
    au_pgserver_stop(&p);
    au_test_rmtree(dir);
}
