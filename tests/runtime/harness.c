/*
 * Implementation of the black-box harness: fork/exec of the daemon, polling for its port file
 * and /healthz (bounded waits that only decide failure, never pass a timing judgement), libcurl
 * requests and recursive removal of the temporary directory.
 */
#include "harness.h"

#include "../support/pgrun.h"
#include "store/store_sqlite_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Upper bound for start-up and shutdown under the sanitizer build on a slow machine. */
#define WAIT_LIMIT_MS 60000

/* Daemons started by this test process (copies: the test's own struct may be on a stack that a
 * failed assertion unwound), so a fixture can clean up after a failure. */
#define MAX_DAEMONS 8
static struct {
    char dir[256];
    pid_t pid;
} started[MAX_DAEMONS];

static void track(const au_rt_daemon *d)
{
    int free_slot = -1;
    for (int i = 0; i < MAX_DAEMONS; i++) {
        if (started[i].dir[0] && strcmp(started[i].dir, d->dir) == 0) {
            started[i].pid = d->pid;
            return;
        }
        if (!started[i].dir[0] && free_slot < 0)
            free_slot = i;
    }
    if (free_slot >= 0) {
        memcpy(started[free_slot].dir, d->dir, sizeof(started[free_slot].dir));
        started[free_slot].pid = d->pid;
    }
}

static void untrack(const au_rt_daemon *d)
{
    for (int i = 0; i < MAX_DAEMONS; i++)
        if (started[i].dir[0] && strcmp(started[i].dir, d->dir) == 0)
            started[i].dir[0] = '\0';
}

/* The store of a new daemon, in d->store: "" (SQLite in its data directory) unless
 * AURUM_TEST_STORE=postgres, then a database of its own (a copy of the migrated template) on the
 * run's PostgreSQL server (tests/support/pgrun.h), dropped by au_rt_cleanup_all; the data
 * directory keeps the node's local files. -1 when PostgreSQL was asked for and cannot serve
 * (the reason on stderr). */
static int choose_store(au_rt_daemon *d)
{
    char why[256];
    d->store[0] = '\0';
    if (!au_pgrun_env_wants_postgres())
        return 0;
    if (au_pgrun_database(d->store, sizeof(d->store), 1, why, sizeof(why)) != 0) {
        fprintf(stderr, "harness: %s\n", why);
        return -1;
    }
    return 0;
}

int au_rt_on_postgres(void)
{
    return au_pgrun_env_wants_postgres();
}

void au_rt_cleanup_all(void)
{
    for (int i = 0; i < MAX_DAEMONS; i++)
        if (started[i].dir[0]) {
            au_rt_daemon d = {0};
            memcpy(d.dir, started[i].dir, sizeof(d.dir));
            d.pid = started[i].pid;
            au_rt_cleanup(&d);
        }
    au_pgrun_drop_mine();
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *aurum_bin(void)
{
    const char *b = getenv("AURUM_BIN");
    return b && *b ? b : "build/aurum";
}

static int read_port(const char *path)
{
    FILE *f = fopen(path, "r");
    int port = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%d", &port) != 1)
        port = 0;
    fclose(f);
    return port;
}

static pid_t spawn_daemon(const au_rt_daemon *d)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* A failed assertion ends the test process; the daemon must not outlive it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    /* Nor hold the runner's stdout pipe open. */
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        close(null);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (d->admin_key[0])
        setenv("AURUM_ADMIN_KEY", d->admin_key, 1);
    else
        unsetenv("AURUM_ADMIN_KEY");
    const char *bin = aurum_bin();
    if (d->config_path[0])
        execl(bin, bin, "serve", "--data", d->dir, "--listen", "127.0.0.1:0", "--port-file",
              d->port_file, "--config", d->config_path, (char *)NULL);
    else
        execl(bin, bin, "serve", "--data", d->dir, "--listen", "127.0.0.1:0", "--port-file",
              d->port_file, (char *)NULL);
    _exit(127);
}

static int wait_ready(au_rt_daemon *d)
{
    for (long waited = 0; waited < WAIT_LIMIT_MS; waited += 20) {
        int status;
        if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
            d->pid = 0;
            return -1; /* exited during start-up; the log says why */
        }
        if (!d->port)
            d->port = read_port(d->port_file);
        if (d->port) {
            au_rt_resp r = {0};
            long st = au_rt_request(d, "GET", "/healthz", NULL, NULL, 0, NULL, &r);
            au_rt_resp_cleanup(&r);
            if (st == 200)
                return 0;
        }
        sleep_ms(20);
    }
    return -1;
}

int au_rt_restart(au_rt_daemon *d)
{
    unlink(d->port_file);
    d->port = 0;
    if ((d->pid = spawn_daemon(d)) < 0) {
        d->pid = 0;
        return -1;
    }
    track(d);
    int rc = wait_ready(d);
    track(d);
    return rc;
}

static int make_dir(au_rt_daemon *d, const char *config_yaml);

int au_rt_start_tls(au_rt_daemon *d, const char *config_yaml, const char *ca_file)
{
    if (make_dir(d, config_yaml))
        return -1;
    snprintf(d->ca_file, sizeof(d->ca_file), "%s", ca_file);
    unsigned char rnd[24];
    randombytes_buf(rnd, sizeof(rnd));
    memcpy(d->admin_key, "au_test_", 8);
    sodium_bin2hex(d->admin_key + 8, sizeof(d->admin_key) - 8, rnd, sizeof(rnd));
    return au_rt_restart(d);
}

int au_rt_start(au_rt_daemon *d, const char *config_yaml)
{
    if (make_dir(d, config_yaml))
        return -1;
    unsigned char rnd[24];
    randombytes_buf(rnd, sizeof(rnd));
    memcpy(d->admin_key, "au_test_", 8);
    sodium_bin2hex(d->admin_key + 8, sizeof(d->admin_key) - 8, rnd, sizeof(rnd));
    return au_rt_restart(d);
}

int au_rt_start_without_key(au_rt_daemon *d)
{
    char path[300];
    if (make_dir(d, NULL) || au_rt_restart(d))
        return -1;
    snprintf(path, sizeof(path), "%s/admin.key", d->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fgets(d->admin_key, sizeof(d->admin_key), f) != NULL;
    fclose(f);
    d->admin_key[strcspn(d->admin_key, "\n")] = '\0';
    return ok ? 0 : -1;
}

static int make_dir(au_rt_daemon *d, const char *config_yaml)
{
    memset(d, 0, sizeof(*d));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (sodium_init() < 0)
        return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(d->dir, sizeof(d->dir), "%s/aurum-rt-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(d->dir))
        return -1;
    snprintf(d->port_file, sizeof(d->port_file), "%s/port", d->dir);
    snprintf(d->log_path, sizeof(d->log_path), "%s/daemon.log", d->dir);
    snprintf(d->config_path, sizeof(d->config_path), "%s/config.yaml", d->dir);
    if (!(config_yaml && strstr(config_yaml, "store:")) && choose_store(d))
        return -1;
    return au_rt_write_config(d, config_yaml);
}

int au_rt_write_config(const au_rt_daemon *d, const char *config_yaml)
{
    /* The tests' flow targets (tests/support/receiver.c, aurum sink) listen on 127.0.0.1, which
     * the outbound policy denies unless allowed: every daemon allows loopback explicitly,
     * unless the test sets its own `outbound:`. */
    static const char allow_loopback[] = "outbound: {allow: [loopback]}\n";
    int own = config_yaml && strstr(config_yaml, "outbound:");
    char store[200] = "";
    if (d->store[0])
        snprintf(store, sizeof(store), "store: \"%s\"\n", d->store);
    /* the store line goes last: tests assert on line numbers of their own config */
    size_t cl = config_yaml ? strlen(config_yaml) : 0;
    const char *nl = store[0] && cl && config_yaml[cl - 1] != '\n' ? "\n" : "";
    FILE *f = fopen(d->config_path, "w");
    if (!f || (!own && fputs(allow_loopback, f) < 0) ||
        (config_yaml && fputs(config_yaml, f) < 0) || fputs(nl, f) < 0 || fputs(store, f) < 0) {
        if (f)
            fclose(f);
        return -1;
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Lines of the daemon's log that a report of an abnormal stop shows (its last ones). */
#define LOG_TAIL_LINES 40

/* Prints the last LOG_TAIL_LINES lines of the daemon's log to stderr: the CI keeps the test's
 * output but not the data directory, so this is what says why a daemon ended badly. */
static void log_tail(const au_rt_daemon *d)
{
    char *log = au_rt_log(d);
    if (!log) {
        fprintf(stderr, "harness: no log at %s\n", d->log_path);
        return;
    }
    size_t len = strlen(log);
    const char *from = log + len;
    for (int lines = 0; from > log && lines < LOG_TAIL_LINES;)
        if (*--from == '\n' && from + 1 < log + len)
            lines++;
    if (*from == '\n')
        from++;
    fprintf(stderr, "harness: last lines of %s:\n%s%s", d->log_path, from,
            len && log[len - 1] != '\n' ? "\n" : "");
    free(log);
}

/* An abnormal end (a signal, a non-zero exit, no exit in time) is reported on stderr with the
 * daemon's pid, what ended it and its log's tail: a failure seen once in CI must say why. */
static void report_abnormal(const au_rt_daemon *d, pid_t pid, int status, int reaped)
{
    if (!reaped)
        fprintf(stderr, "harness: daemon %d (%s) did not exit within %d ms of SIGTERM; killed\n",
                (int)pid, d->dir, WAIT_LIMIT_MS);
    else if (WIFSIGNALED(status))
        fprintf(stderr, "harness: daemon %d (%s) ended by signal %d (%s)%s after SIGTERM\n",
                (int)pid, d->dir, WTERMSIG(status), strsignal(WTERMSIG(status)),
                WCOREDUMP(status) ? ", core dumped" : "");
    else
        fprintf(stderr, "harness: daemon %d (%s) exited with status %d after SIGTERM\n", (int)pid,
                d->dir, WEXITSTATUS(status));
    log_tail(d);
}

int au_rt_stop(au_rt_daemon *d)
{
    if (!d->pid)
        return -1;
    pid_t pid = d->pid;
    kill(pid, SIGTERM);
    int status = 0;
    for (long waited = 0; waited < WAIT_LIMIT_MS; waited += 10) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            d->pid = 0;
            track(d);
            int rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            if (rc)
                report_abnormal(d, pid, status, 1);
            return rc;
        }
        sleep_ms(10);
    }
    au_rt_kill9(d);
    report_abnormal(d, pid, 0, 0);
    return -1;
}

void au_rt_kill9(au_rt_daemon *d)
{
    if (!d->pid)
        return;
    kill(d->pid, SIGKILL);
    waitpid(d->pid, NULL, 0);
    d->pid = 0;
    track(d);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

void au_rt_cleanup(au_rt_daemon *d)
{
    au_rt_kill9(d);
    if (d->dir[0] && !getenv("AURUM_KEEP_TMP"))
        nftw(d->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    untrack(d);
    d->dir[0] = '\0';
}

typedef struct sink {
    char *data;
    size_t len;
} sink;

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    size_t add = size * n;
    char *p = realloc(s->data, s->len + add + 1);
    if (!p)
        return 0;
    memcpy(p + s->len, ptr, add);
    s->len += add;
    p[s->len] = '\0';
    s->data = p;
    return add;
}

/* A chunked upload's body, handed to libcurl in small pieces so that the daemon receives it
 * in several chunks; binary bodies (compressed ones) may contain NUL bytes. */
typedef struct source {
    const char *data;
    size_t len, pos;
} source;

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
    source *src = ud;
    size_t take = size * n;
    if (take > 1000)
        take = 1000;
    if (take > src->len - src->pos)
        take = src->len - src->pos;
    memcpy(buf, src->data + src->pos, take);
    src->pos += take;
    return take;
}

long au_rt_request(const au_rt_daemon *d, const char *method, const char *path, const char *ctype,
                   const char *body, size_t len, const char *key, au_rt_resp *out)
{
    return au_rt_request_h(d, method, path, NULL, ctype, body, len, key, out);
}

long au_rt_request_h(const au_rt_daemon *d, const char *method, const char *path,
                     const char *const *headers, const char *ctype, const char *body, size_t len,
                     const char *key, au_rt_resp *out)
{
    char url[1024], auth[200], ct[200];
    sink s = {NULL, 0};
    source src = {body, len, 0};
    struct curl_slist *h = NULL;
    long status = 0;
    CURL *c = curl_easy_init();
    if (!c)
        return 0;
    snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", d->ca_file[0] ? "https" : "http", d->port,
             path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (d->ca_file[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, d->ca_file);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    int chunked = 0;
    for (size_t i = 0; headers && headers[i]; i++) {
        h = curl_slist_append(h, headers[i]);
        chunked |= strcasecmp(headers[i], "Transfer-Encoding: chunked") == 0;
    }
    if (key) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
        h = curl_slist_append(h, auth);
    }
    if (body) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", ctype ? ctype : "application/json");
        h = curl_slist_append(h, ct);
        if (chunked) {
            curl_easy_setopt(c, CURLOPT_POST, 1L);
            curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(c, CURLOPT_READDATA, &src);
        } else {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        }
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (out) {
        out->status = status;
        out->body = s.data ? s.data : calloc(1, 1);
        out->len = s.len;
    } else {
        free(s.data);
    }
    return status;
}

long au_rt_admin(const au_rt_daemon *d, const char *method, const char *path, const char *body,
                 au_rt_resp *out)
{
    return au_rt_request(d, method, path, NULL, body, body ? strlen(body) : 0, d->admin_key, out);
}

void au_rt_resp_cleanup(au_rt_resp *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

json_t *au_rt_json(const au_rt_resp *r)
{
    return r->body ? json_loads(r->body, 0, NULL) : NULL;
}

int au_rt_create_key(au_rt_daemon *d, char token[80], ...)
{
    const char *argv[64];
    int n = 0;
    const char *bin = aurum_bin();
    argv[n++] = bin;
    argv[n++] = "keys";
    argv[n++] = "create";
    argv[n++] = "--data";
    argv[n++] = d->dir;
    if (d->config_path[0]) { /* its store: line, when the suite runs on PostgreSQL */
        argv[n++] = "--config";
        argv[n++] = d->config_path;
    }
    va_list ap;
    va_start(ap, token);
    for (const char *s; n < 60 && (s = va_arg(ap, const char *));) {
        argv[n++] = "--scope";
        argv[n++] = s;
    }
    va_end(ap);
    argv[n] = NULL;
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        int fd = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0)
            dup2(fd, STDERR_FILENO);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    char buf[128] = {0};
    size_t got = 0;
    for (ssize_t r;
         got < sizeof(buf) - 1 && (r = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0;)
        got += (size_t)r;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    buf[strcspn(buf, "\n")] = '\0';
    size_t len = strlen(buf);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || len < 10 || len >= 80)
        return -1;
    memcpy(token, buf, len + 1);
    return 0;
}

char *au_rt_log(const au_rt_daemon *d)
{
    FILE *f = fopen(d->log_path, "r");
    if (!f)
        return NULL;
    sink s = {NULL, 0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        on_data(chunk, 1, n, &s);
    fclose(f);
    return s.data;
}

/* The first column of the first row on PostgreSQL (libpq, one connection per statement). */
static int sql_pg(const char *loc, const char *stmt, char *out, size_t cap)
{
    PGconn *c = PQconnectdb(loc);
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, stmt) : NULL;
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "harness: %s: %s\n", stmt, PQerrorMessage(c));
    if (ok && out)
        snprintf(out, cap, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* The same on the SQLite file of the data directory. */
static int sql_sqlite(const char *dir, const char *stmt, char *out, size_t cap)
{
    char path[400];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    snprintf(path, sizeof(path), "%s/aurum.db", dir);
    int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
    if (rc == SQLITE_OK) /* the record_versions view reads documents through au_doc_text */
        rc = au_sqlite_doc_register(db);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db, stmt, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
    if (!ok)
        fprintf(stderr, "harness: %s: %s\n", stmt, sqlite3_errmsg(db));
    if (ok && out) {
        const unsigned char *v = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
        snprintf(out, cap, "%s", v ? (const char *)v : "");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok ? 0 : -1;
}

int au_rt_sql(const au_rt_daemon *d, const char *stmt, char *out, size_t cap)
{
    if (out && cap)
        out[0] = '\0';
    return d->store[0] ? sql_pg(d->store, stmt, out, cap) : sql_sqlite(d->dir, stmt, out, cap);
}
