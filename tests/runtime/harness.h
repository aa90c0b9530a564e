/*
 * Black-box test harness: runs the real `aurum serve` binary ($AURUM_BIN, default build/aurum)
 * on a fresh temporary data directory and a free loopback port, like Redis' start_server. It
 * waits for the port file and /healthz, talks HTTP with libcurl, stops the daemon with SIGTERM
 * (or kill -9), restarts it on the same directory and removes the directory at the end.
 * With AURUM_TEST_STORE=postgres in the environment, each daemon stores in a fresh database of
 * the run's real PostgreSQL server (tests/support/pgrun.h), not in SQLite.
 */
#ifndef AU_RT_HARNESS_H
#define AU_RT_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct au_rt_daemon {
    char dir[256];         /* data directory (mkdtemp) */
    char port_file[300];   /* where the daemon writes its port */
    char log_path[300];    /* the daemon's stderr (JSON log lines) */
    char config_path[300]; /* config file given with --config, "" for none */
    char admin_key[80];    /* random token passed in AURUM_ADMIN_KEY */
    pid_t pid;             /* running daemon, 0 when stopped */
    int port;              /* bound port */
    char ca_file[300];     /* when set, the daemon serves HTTPS, verified against this CA */
    char store[160];       /* the store: location the harness gave it, "" for SQLite in dir */
} au_rt_daemon;

typedef struct au_rt_resp {
    long status; /* HTTP status, 0 when the request failed at the transport level */
    char *body;  /* NUL-terminated, owned (au_rt_resp_cleanup) */
    size_t len;
} au_rt_resp;

/* Creates a temporary data dir (with config.yaml holding `config_yaml` when not NULL) and
 * starts the daemon. 0 on success. */
int au_rt_start(au_rt_daemon *d, const char *config_yaml);
/* Like au_rt_start for a daemon whose config_yaml sets tls_cert and tls_key: requests go over
 * HTTPS and the certificate is verified against ca_file (for 127.0.0.1). */
int au_rt_start_tls(au_rt_daemon *d, const char *config_yaml, const char *ca_file);
/* Like au_rt_start without AURUM_ADMIN_KEY: the daemon creates DIR/admin.key, which is then
 * read into admin_key. */
int au_rt_start_without_key(au_rt_daemon *d);
/* Rewrites the daemon's config file with config_yaml as au_rt_start wrote it (the loopback
 * allowance, and the store: line of its PostgreSQL database when the suite runs on one), for a
 * test that changes the config between restarts or before a SIGHUP. 0 on success. */
int au_rt_write_config(const au_rt_daemon *d, const char *config_yaml);
/* Starts the daemon again on the same directory. */
int au_rt_restart(au_rt_daemon *d);
/* SIGTERM and wait: returns the exit status (0 for a clean exit), or -1 when it was killed by a
 * signal or did not stop. Any other end than exit 0 is reported on stderr: the signal or the
 * status, and the last lines of the daemon's log. */
int au_rt_stop(au_rt_daemon *d);
/* SIGKILL and reap. */
void au_rt_kill9(au_rt_daemon *d);
/* Stops the daemon if running (SIGKILL) and removes the data directory. */
void au_rt_cleanup(au_rt_daemon *d);

/* Cleans up every daemon this process started and did not clean up: use as the .fini of a
 * suite so a failed assertion leaves no daemon or directory behind. */
void au_rt_cleanup_all(void);

/* One HTTP request. key NULL: no Authorization header; ctype NULL: application/json when there
 * is a body. Returns the status (0 on transport failure). */
long au_rt_request(const au_rt_daemon *d, const char *method, const char *path, const char *ctype,
                   const char *body, size_t len, const char *key, au_rt_resp *out);
/* Same with extra request headers ("Name: value", NULL-terminated list, may be NULL); with
 * "Transfer-Encoding: chunked" the body is sent chunked (pieces of at most 1000 bytes; it may
 * hold NUL bytes), without Content-Length. */
long au_rt_request_h(const au_rt_daemon *d, const char *method, const char *path,
                     const char *const *headers, const char *ctype, const char *body, size_t len,
                     const char *key, au_rt_resp *out);
/* Shorthand with the admin key and a NUL-terminated JSON body (or NULL). */
long au_rt_admin(const au_rt_daemon *d, const char *method, const char *path, const char *body,
                 au_rt_resp *out);
void au_rt_resp_cleanup(au_rt_resp *r);
/* The body parsed as JSON (new reference) or NULL. */
json_t *au_rt_json(const au_rt_resp *r);

/* Runs `aurum keys create` on the data dir (the daemon must be stopped) with the given scopes
 * (NULL-terminated) and copies the printed token to token[80]. 0 on success. */
int au_rt_create_key(au_rt_daemon *d, char token[80], ...) __attribute__((sentinel));
/* Runs one SQL statement directly on the daemon's store, whichever it is: the SQLite file of its
 * data directory or its PostgreSQL database (the tests write SQL both accept). The first column
 * of the first row, if any, goes to out[cap] (out may be NULL). 0 on success; -1 with the
 * error on stderr. For what the API cannot show: tampering with the audit log, counting rows. */
int au_rt_sql(const au_rt_daemon *d, const char *stmt, char *out, size_t cap);
/* Whole contents of the daemon log (caller frees with free()). */
char *au_rt_log(const au_rt_daemon *d);

/* First statement of a test that is about SQLite itself (its files, its bytes): skipped, with the
 * reason, when the suite runs on PostgreSQL (AURUM_TEST_STORE=postgres). */
#define AU_RT_SQLITE_ONLY(reason)                                                                  \
    do {                                                                                           \
        if (au_rt_on_postgres())                                                                   \
            cr_skip_test("SQLite only: %s", reason);                                               \
    } while (0)
/* 1 when AURUM_TEST_STORE=postgres: every daemon stores in PostgreSQL. */
int au_rt_on_postgres(void);

#endif
