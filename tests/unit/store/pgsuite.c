/*
 * The store suites' PostgreSQL server (pgsuite.h). Criterion runs each test in a fresh process
 * image, so the server's port reaches the tests through the environment (AURUM_TEST_PG_PORT;
 * AURUM_TEST_PG_LOG for a failure's message). The server dies with the thread that started it
 * (PR_SET_PDEATHSIG) and Criterion may run hooks on a short-lived thread, so a thread of its
 * own owns it until POST_ALL. PRE_ALL and POST_ALL bracket every test of the run (the suite
 * hooks of a filtered run do not).
 */
#include "pgsuite.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/options.h>
#include <fnmatch.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const pg_suites[] = {"store_pg", "store_profiles_pg", "store_audit_pg",
                                        "store_privacy_pg"};

static au_pgserver pg;
static pthread_t pg_owner;
static pthread_mutex_t pg_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pg_cv = PTHREAD_COND_INITIALIZER;
static int pg_state; /* 0 not started, 1 started (or failed), 2 asked to stop */

static void *pg_own(void *arg)
{
    char port[16];
    int ok = au_pgserver_start(&pg) == 0;
    snprintf(port, sizeof(port), "%d", ok ? pg.port : 0);
    setenv("AURUM_TEST_PG_PORT", port, 1);
    setenv("AURUM_TEST_PG_LOG", pg.log, 1);
    pthread_mutex_lock(&pg_mu);
    pg_state = 1;
    pthread_cond_broadcast(&pg_cv);
    while (pg_state != 2)
        pthread_cond_wait(&pg_cv, &pg_mu);
    pthread_mutex_unlock(&pg_mu);
    au_pgserver_stop(&pg);
    return arg;
}

/* Whether this run includes a PostgreSQL suite: the suite part (before '/') of --filter
 * matches one. */
static int pg_wanted(void)
{
    char suite[256];
    const char *pat = criterion_options.pattern;
    if (!pat || !*pat)
        return 1;
    snprintf(suite, sizeof(suite), "%.*s", (int)strcspn(pat, "/"), pat);
    for (size_t i = 0; i < sizeof(pg_suites) / sizeof(pg_suites[0]); i++)
        if (fnmatch(suite, pg_suites[i], 0) == 0)
            return 1;
    return 0;
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    if (!pg_wanted() || !au_pgserver_available())
        return;
    if (pthread_create(&pg_owner, NULL, pg_own, NULL) != 0)
        return;
    pthread_mutex_lock(&pg_mu);
    while (pg_state != 1)
        pthread_cond_wait(&pg_cv, &pg_mu);
    pthread_mutex_unlock(&pg_mu);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    if (pg_state != 1)
        return;
    pthread_mutex_lock(&pg_mu);
    pg_state = 2;
    pthread_cond_broadcast(&pg_cv);
    pthread_mutex_unlock(&pg_mu);
    pthread_join(pg_owner, NULL);
}

void au_pgsuite_database(char *loc, size_t cap)
{
    char sql[96];
    const char *port = getenv("AURUM_TEST_PG_PORT");
    if (!au_pgserver_available())
        cr_skip_test("PostgreSQL is not installed (scripts/deps.sh)");
    cr_assert(port && atoi(port) > 0, "cannot start PostgreSQL (see %s)",
              getenv("AURUM_TEST_PG_LOG") ? getenv("AURUM_TEST_PG_LOG") : "its log");
    pg.port = atoi(port);
    snprintf(pg.conninfo, sizeof(pg.conninfo),
             "host=127.0.0.1 port=%d user=postgres dbname=postgres", pg.port);
    snprintf(sql, sizeof(sql), "CREATE DATABASE t%d", (int)getpid());
    PGresult *r = au_pgserver_exec(&pg, sql);
    cr_assert_not_null(r, "cannot create the test database");
    PQclear(r);
    snprintf(loc, cap, "postgres://postgres@127.0.0.1:%d/t%d", pg.port, (int)getpid());
}

const au_pgserver *au_pgsuite_server(void)
{
    return &pg;
}

void au_pgsuite_open_sqlite(char *dir, size_t cap, au_store **st)
{
    au_err err;
    snprintf(dir, cap, "/tmp/aurum-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    au_err_init(&err);
    cr_assert_eq(au_store_open(dir, AU_STORE_RW, st, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
}

void au_pgsuite_open_pg(char *dir, au_store **st)
{
    char loc[256];
    au_err err;
    dir[0] = '\0';
    au_pgsuite_database(loc, sizeof(loc));
    au_err_init(&err);
    cr_assert_eq(au_store_open(loc, AU_STORE_RW, st, &err), AU_OK, "%s", err.message);
    au_err_cleanup(&err);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(path);
}

void au_pgsuite_close(au_store *st, const char *dir)
{
    au_store_close(st);
    if (dir && dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
