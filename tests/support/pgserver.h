/*
 * A real PostgreSQL server for tests: initdb and postgres from /usr/lib/postgresql/15/bin in a
 * temporary directory, on a free loopback port, with trust authentication for the user
 * `postgres`. PostgreSQL refuses to run as root, so when the test runs as root the server runs
 * as the `postgres` system user in a directory it owns. Stopped and removed by
 * au_pgserver_stop; it also dies with the test process.
 */
#ifndef AU_TEST_PGSERVER_H
#define AU_TEST_PGSERVER_H

#include <libpq-fe.h>
#include <sys/types.h>

#define AU_PG_BIN "/usr/lib/postgresql/15/bin"

typedef struct au_pgserver {
    char dir[128];      /* temporary directory (data/, log, socket) */
    char log[160];      /* the server's output */
    char conninfo[200]; /* "host=127.0.0.1 port=N user=postgres dbname=postgres" */
    int port;           /* bound port */
    pid_t pid;          /* the postmaster, 0 when stopped */
} au_pgserver;

/* 1 when the server binaries are installed (scripts/deps.sh installs them). */
int au_pgserver_available(void);
/* Creates the cluster and starts it; waits until it accepts connections. 0 on success. */
int au_pgserver_start(au_pgserver *p);
/* Stops the server and removes its directory. */
void au_pgserver_stop(au_pgserver *p);
/* Stops the server but keeps its data (a system that went down while Aurum runs). */
void au_pgserver_halt(au_pgserver *p);
/* Starts a halted server again on the same port and data; waits until it accepts
 * connections. 0 on success. */
int au_pgserver_resume(au_pgserver *p);
/* Stops every server this process started and did not stop (a failed assertion skips the
 * test's own au_pgserver_stop): use in a suite's .fini. */
void au_pgserver_cleanup_all(void);
/* Runs sql on a new connection; the result (PQclear it), or NULL on failure (message on
 * stderr). */
PGresult *au_pgserver_exec(const au_pgserver *p, const char *sql);

#endif
