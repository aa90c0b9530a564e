/*
 * Implementation of the tests' PostgreSQL server (pgserver.h).
 */
#include "pgserver.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

int au_pgserver_available(void)
{
    return access(AU_PG_BIN "/postgres", X_OK) == 0 && access(AU_PG_BIN "/initdb", X_OK) == 0;
}

/* The user the server runs as: PostgreSQL refuses root. */
static const char *pg_user(void)
{
    return geteuid() == 0 ? "postgres" : NULL;
}

/* Starts the postmaster on p's data and port; waits until it accepts connections. */
static int run_server(au_pgserver *p)
{
    char data[200], port[16];
    snprintf(data, sizeof data, "%s/data", p->dir);
    snprintf(port, sizeof port, "%d", p->port);
    char *run[] = {AU_PG_BIN "/postgres", "-D", data, "-p", port, "-k", p->dir, "-h",
                   "127.0.0.1",           "-F", NULL};
    p->pid = au_test_spawn(run, pg_user(), p->log, 0);
    if (p->pid > 0)
        au_test_track(p->pid, p->dir);
    for (int i = 0; p->pid > 0 && i < 300; i++) {
        PGconn *c = PQconnectdb(p->conninfo);
        int ok = PQstatus(c) == CONNECTION_OK;
        PQfinish(c);
        if (ok)
            return 0;
        au_test_sleep_ms(100);
    }
    return -1;
}

int au_pgserver_start(au_pgserver *p)
{
    char data[200];
    const char *user = pg_user();
    struct passwd *pw = user ? getpwnam(user) : NULL;
    memset(p, 0, sizeof *p);
    snprintf(p->dir, sizeof p->dir, "/tmp/aurum-pg-XXXXXX");
    if (!mkdtemp(p->dir) || (user && (!pw || chown(p->dir, pw->pw_uid, pw->pw_gid) != 0)))
        return -1;
    snprintf(data, sizeof data, "%s/data", p->dir);
    snprintf(p->log, sizeof p->log, "%s/log", p->dir);
    p->port = au_test_free_port();
    char *init[] = {AU_PG_BIN "/initdb", "-D", data, "-U", "postgres", "-A", "trust",
                    "--no-sync",         NULL};
    if (au_test_spawn(init, user, p->log, 1) != 0)
        return -1;
    snprintf(p->conninfo, sizeof p->conninfo,
             "host=127.0.0.1 port=%d user=postgres dbname=postgres", p->port);
    return run_server(p);
}

void au_pgserver_halt(au_pgserver *p)
{
    au_test_untrack(p->pid);
    au_test_stop_pid(p->pid);
    p->pid = 0;
}

int au_pgserver_resume(au_pgserver *p)
{
    return p->pid ? 0 : run_server(p);
}

void au_pgserver_stop(au_pgserver *p)
{
    au_test_untrack(p->pid);
    au_test_stop_pid(p->pid);
    p->pid = 0;
    if (p->dir[0])
        au_test_rmtree(p->dir);
    p->dir[0] = 0;
}

void au_pgserver_cleanup_all(void)
{
    au_test_cleanup_tracked("/tmp/aurum-pg-");
}

PGresult *au_pgserver_exec(const au_pgserver *p, const char *sql)
{
    PGconn *c = PQconnectdb(p->conninfo);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    if (!r || (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)) {
        fprintf(stderr, "pgserver: %s: %s\n", sql, PQerrorMessage(c));
        PQclear(r);
        r = NULL;
    }
    PQfinish(c);
    return r;
}
