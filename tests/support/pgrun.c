/*
 * The run's PostgreSQL server (pgrun.h). Criterion runs each test in a fresh process image, so
 * the server's port reaches the tests through the environment (AURUM_TEST_PG_PORT;
 * AURUM_TEST_PG_LOG for a failure's message). The server dies with the thread that started it
 * (PR_SET_PDEATHSIG) and Criterion may run hooks on a short-lived thread, so a thread of its
 * own owns it until POST_ALL. PRE_ALL and POST_ALL bracket every test of the run (the suite
 * hooks of a filtered run do not).
 */
#include "pgrun.h"

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/internal/ordered-set.h>
#include <criterion/options.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

#define TEMPLATE_DB "aurum_template"

/* Runner process: the server and its owner thread. */
static au_pgserver run_pg;
static pthread_t run_owner;
static pthread_mutex_t run_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t run_cv = PTHREAD_COND_INITIALIZER;
static int run_state; /* 0 not started, 1 started (or failed), 2 asked to stop */

/* Test process: the server as the environment describes it, and the databases made here. */
static au_pgserver test_pg;
static char made[8][48];
static int made_n;

int au_pgrun_env_wants_postgres(void)
{
    const char *want = getenv("AURUM_TEST_STORE");
    return want && strcmp(want, "postgres") == 0;
}

/* The template every migrated database copies: created and migrated by a real store open, then
 * closed (CREATE DATABASE … TEMPLATE refuses a template with open connections). */
static int make_template(const au_pgserver *p)
{
    char loc[160];
    au_store *st = NULL;
    au_err err;
    PGresult *r = au_pgserver_exec(p, "CREATE DATABASE " TEMPLATE_DB);
    if (!r)
        return -1;
    PQclear(r);
    snprintf(loc, sizeof(loc), "postgres://postgres@127.0.0.1:%d/" TEMPLATE_DB, p->port);
    au_err_init(&err);
    au_rc rc = au_store_open(loc, AU_STORE_RW, &st, &err);
    if (rc != AU_OK)
        fprintf(stderr, "pgrun: cannot migrate the template: %s\n", err.message);
    au_store_close(st);
    au_err_cleanup(&err);
    return rc == AU_OK ? 0 : -1;
}

static void *own_server(void *arg)
{
    char port[16];
    int ok = au_pgserver_start(&run_pg) == 0 && make_template(&run_pg) == 0;
    snprintf(port, sizeof(port), "%d", ok ? run_pg.port : 0);
    setenv("AURUM_TEST_PG_PORT", port, 1);
    setenv("AURUM_TEST_PG_LOG", run_pg.log, 1);
    pthread_mutex_lock(&run_mu);
    run_state = 1;
    pthread_cond_broadcast(&run_cv);
    while (run_state != 2)
        pthread_cond_wait(&run_cv, &run_mu);
    pthread_mutex_unlock(&run_mu);
    au_pgserver_stop(&run_pg);
    return arg;
}

/* Whether --filter may select the suite: its suite part (before '/') matches the name. A
 * pattern with Criterion's extended syntax (alternatives, negation) is taken as "may". */
static int filter_may_select(const char *suite)
{
    char want[256];
    const char *pat = criterion_options.pattern;
    if (!pat || !*pat || strpbrk(pat, "{}()|!@+"))
        return 1;
    snprintf(want, sizeof(want), "%.*s", (int)strcspn(pat, "/"), pat);
    return fnmatch(want, suite, 0) == 0;
}

/* Whether this run needs the server: a selected suite ends in "_pg", or the runtime daemons
 * are to store in PostgreSQL. */
static int run_wants_server(struct criterion_test_set *set)
{
    if (au_pgrun_env_wants_postgres())
        return 1;
    FOREACH_SET(struct criterion_suite_set * s, set->suites)
    {
        size_t len = strlen(s->suite.name);
        if (len > 3 && strcmp(s->suite.name + len - 3, "_pg") == 0 &&
            filter_may_select(s->suite.name))
            return 1;
    }
    return 0;
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    if (!run_wants_server(set) || !au_pgserver_available())
        return;
    if (pthread_create(&run_owner, NULL, own_server, NULL) != 0)
        return;
    pthread_mutex_lock(&run_mu);
    while (run_state != 1)
        pthread_cond_wait(&run_cv, &run_mu);
    pthread_mutex_unlock(&run_mu);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    if (run_state != 1)
        return;
    pthread_mutex_lock(&run_mu);
    run_state = 2;
    pthread_cond_broadcast(&run_cv);
    pthread_mutex_unlock(&run_mu);
    pthread_join(run_owner, NULL);
}

int au_pgrun_database(char *loc, size_t cap, int migrated, char *why, size_t why_cap)
{
    char sql[160], name[48];
    const char *port = getenv("AURUM_TEST_PG_PORT");
    const char *log = getenv("AURUM_TEST_PG_LOG");
    if (!au_pgserver_available()) {
        snprintf(why, why_cap, "PostgreSQL is not installed (scripts/deps.sh)");
        return -1;
    }
    if (!port || atoi(port) <= 0) {
        snprintf(why, why_cap, "cannot start PostgreSQL (see %s)", log && *log ? log : "its log");
        return -1;
    }
    test_pg.port = atoi(port);
    snprintf(test_pg.conninfo, sizeof(test_pg.conninfo),
             "host=127.0.0.1 port=%d user=postgres dbname=postgres", test_pg.port);
    /* the pid keeps parallel test processes apart, the counter a test's own databases */
    snprintf(name, sizeof(name), "t%d_%d", (int)getpid(), made_n);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s%s", name,
             migrated ? " TEMPLATE " TEMPLATE_DB : "");
    PGresult *r = au_pgserver_exec(&test_pg, sql);
    if (!r) {
        snprintf(why, why_cap, "cannot create the database %s (see %s)", name, log ? log : "");
        return -1;
    }
    PQclear(r);
    if (made_n < (int)(sizeof(made) / sizeof(made[0])))
        memcpy(made[made_n], name, sizeof(name));
    made_n++;
    snprintf(loc, cap, "postgres://postgres@127.0.0.1:%d/%s", test_pg.port, name);
    return 0;
}

const au_pgserver *au_pgrun_server(void)
{
    return &test_pg;
}

void au_pgrun_drop_mine(void)
{
    char sql[128];
    int n = made_n < (int)(sizeof(made) / sizeof(made[0])) ? made_n
                                                           : (int)(sizeof(made) / sizeof(made[0]));
    for (int i = 0; i < n; i++) {
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", made[i]);
        PQclear(au_pgserver_exec(&test_pg, sql));
    }
    made_n = 0;
}
