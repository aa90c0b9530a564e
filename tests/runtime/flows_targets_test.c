/*
 * Flow steps against real target systems started by the test in temporary directories on
 * free loopback ports: a PostgreSQL server (initdb + postgres from /usr/lib/postgresql/15/bin,
 * run as `nobody` when the test runs as root) for the postgres step, and a nats-server with
 * JetStream for the nats step. A test is skipped, with the reason, only when its server
 * binary is not installed (scripts/deps.sh installs both).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

TestSuite(flows_targets, .fini = au_rt_cleanup_all);

#define PG_BIN "/usr/lib/postgresql/15/bin"

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

/* Runs argv (as `nobody` when we are root), output to log; returns the pid (wait=0) or the
 * exit status (wait=1). */
static int spawn(char *const argv[], const char *log, int wait)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        setsid();
        execvp(argv[0], argv);
        _exit(127);
    }
    if (pid < 0 || !wait)
        return pid;
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void stop_pid(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid)
            return;
        sleep_ms(50);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static void put_flow(au_rt_daemon *d, const char *name, const char *yaml)
{
    au_rt_resp r = {0};
    char path[128];
    snprintf(path, sizeof(path), "/v1/flows/%s", name);
    long st =
        au_rt_request(d, "PUT", path, "application/yaml", yaml, strlen(yaml), d->admin_key, &r);
    cr_assert_eq(st, 200, "PUT %s: %ld %s", path, st, r.body);
    au_rt_resp_cleanup(&r);
}

static void post_event(au_rt_daemon *d, const char *id, const char *cust, int amount)
{
    char body[512];
    au_rt_resp r = {0};
    snprintf(body, sizeof(body),
             "{\"source\":\"billing\",\"event_id\":\"%s\",\"type\":\"payment\",\"customer\":{"
             "\"source\":\"billing\",\"record\":\"%s\"},\"properties\":{\"amount\":%d}}",
             id, cust, amount);
    cr_assert_eq(au_rt_admin(d, "POST", "/v1/events", body, &r), 200, "%s", r.body);
    au_rt_resp_cleanup(&r);
}

/* --- PostgreSQL -------------------------------------------------------------------------- */

typedef struct pg {
    char dir[128];
    int port;
    pid_t pid;
} pg;

/* As root, PostgreSQL refuses to run: the server runs as nobody in a directory it owns. */
static int pg_start(pg *p)
{
    char data[200], log[200], port[16];
    int root = geteuid() == 0;
    snprintf(p->dir, sizeof(p->dir), "/tmp/aurum-pg-XXXXXX");
    if (!mkdtemp(p->dir))
        return -1;
    if (root && chown(p->dir, 65534, 65534))
        return -1;
    snprintf(data, sizeof(data), "%s/data", p->dir);
    snprintf(log, sizeof(log), "%s/log", p->dir);
    p->port = free_port();
    snprintf(port, sizeof(port), "%d", p->port);
    char *init[] = {"runuser", "-u",       "nobody", "--",    PG_BIN "/initdb", "-D", data,
                    "-U",      "postgres", "-A",     "trust", "--no-sync",      NULL};
    char **initv = root ? init : init + 4;
    if (spawn(initv, log, 1) != 0)
        return -1;
    char *run[] = {"runuser", "-u", "nobody", "--", PG_BIN "/postgres", "-D", data, "-p",
                   port,      "-k", p->dir,   "-h", "127.0.0.1",        "-F", NULL};
    p->pid = spawn(root ? run : run + 4, log, 0);
    char conninfo[256];
    snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=postgres dbname=postgres",
             p->port);
    for (int i = 0; i < 200; i++) {
        PGconn *c = PQconnectdb(conninfo);
        int ok = PQstatus(c) == CONNECTION_OK;
        PQfinish(c);
        if (ok)
            return 0;
        sleep_ms(100);
    }
    return -1;
}

static void pg_stop(pg *p)
{
    char cmd[300];
    stop_pid(p->pid);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", p->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", p->dir);
}

static PGresult *pg_exec(const char *conninfo, const char *sql)
{
    PGconn *c = PQconnectdb(conninfo);
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
              "%s: %s", sql, PQerrorMessage(c));
    PQfinish(c);
    return r;
}

Test(flows_targets, postgres_row_is_upserted, .timeout = 120)
{
    if (access(PG_BIN "/postgres", X_OK) != 0)
        cr_skip_test("PostgreSQL server not installed (" PG_BIN "); run scripts/deps.sh");
    pg p = {0};
    au_rt_daemon d;
    char conninfo[256], yaml[2048];
    cr_assert_eq(pg_start(&p), 0, "cannot start PostgreSQL in %s (see %s/log)", p.dir, p.dir);
    snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%d user=postgres dbname=postgres",
             p.port);
    PQclear(pg_exec(conninfo, "CREATE TABLE payments (customer text PRIMARY KEY, "
                              "last_payment text, amount numeric, meta jsonb)"));
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    snprintf(yaml, sizeof(yaml),
             "trigger: {event: {type: payment}}\n"
             "steps:\n  - postgres:\n      conninfo: \"%s\"\n      table: payments\n"
             "      key: [customer]\n      columns:\n"
             "        customer: \"{{ event.customer.record }}\"\n"
             "        last_payment: \"{{ event.id }}\"\n"
             "        amount: \"{{ event.properties.amount }}\"\n"
             "        meta: {source: \"{{ event.source }}\"}\n",
             conninfo);
    put_flow(&d, "to-pg", yaml);
    post_event(&d, "p1", "B1", 10);
    post_event(&d, "p2", "B1", 25); /* same customer: the row is updated, not duplicated */
    post_event(&d, "p3", "B2", 7);
    PGresult *r = NULL;
    for (int i = 0; i < 200; i++) {
        PQclear(r);
        r = pg_exec(conninfo, "SELECT customer, last_payment, amount::text, meta->>'source' "
                              "FROM payments ORDER BY customer");
        if (PQntuples(r) == 2 && !strcmp(PQgetvalue(r, 0, 1), "p2"))
            break;
        sleep_ms(100);
    }
    cr_assert_eq(PQntuples(r), 2);
    cr_assert_str_eq(PQgetvalue(r, 0, 0), "B1");
    cr_assert_str_eq(PQgetvalue(r, 0, 1), "p2");
    cr_assert_str_eq(PQgetvalue(r, 0, 2), "25");
    cr_assert_str_eq(PQgetvalue(r, 0, 3), "billing");
    cr_assert_str_eq(PQgetvalue(r, 1, 0), "B2");
    PQclear(r);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    pg_stop(&p);
}

/* --- NATS JetStream ---------------------------------------------------------------------- */

static const char *nats_bin(void)
{
    static const char *const paths[] = {"/usr/sbin/nats-server", "/usr/bin/nats-server", NULL};
    for (int i = 0; paths[i]; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

Test(flows_targets, nats_message_is_published, .timeout = 120)
{
    const char *bin = nats_bin();
    if (!bin)
        cr_skip_test("nats-server not installed; run scripts/deps.sh");
    char dir[] = "/tmp/aurum-nats-XXXXXX", port[16], url[64], yaml[1024], log[64];
    cr_assert_not_null(mkdtemp(dir));
    int p = free_port();
    snprintf(port, sizeof(port), "%d", p);
    snprintf(url, sizeof(url), "nats://127.0.0.1:%d", p);
    snprintf(log, sizeof(log), "%s/log", dir);
    char *argv[] = {(char *)bin, "-js", "-a", "127.0.0.1", "-p", port, "-sd", dir, NULL};
    pid_t pid = spawn(argv, log, 0);
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    for (int i = 0; i < 100 && natsConnection_ConnectTo(&nc, url) != NATS_OK; i++)
        sleep_ms(100);
    cr_assert_not_null(nc, "nats-server did not start (see %s)", log);
    cr_assert_eq(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    jsStreamConfig sc;
    jsStreamConfig_Init(&sc);
    const char *subjects[] = {"payments.>"};
    sc.Name = "PAYMENTS";
    sc.Subjects = subjects;
    sc.SubjectsLen = 1;
    jsErrCode jerr = 0;
    jsStreamInfo *si = NULL;
    cr_assert_eq(js_AddStream(&si, js, &sc, NULL, &jerr), NATS_OK, "add stream: %d", jerr);
    jsStreamInfo_Destroy(si);

    au_rt_daemon d;
    cr_assert_eq(au_rt_start(&d, NULL), 0);
    snprintf(
        yaml, sizeof(yaml),
        "trigger: {event: {type: payment}}\n"
        "steps:\n  - nats:\n      url: \"%s\"\n"
        "      subject: \"payments.{{ event.customer.record }}\"\n"
        "      body: {payment: \"{{ event.id }}\", amount: \"{{ event.properties.amount }}\"}\n",
        url);
    put_flow(&d, "to-nats", yaml);
    post_event(&d, "n1", "B9", 33);
    natsMsg *m = NULL;
    for (int i = 0; i < 200; i++) {
        if (js_GetMsg(&m, js, "PAYMENTS", 1, NULL, &jerr) == NATS_OK)
            break;
        sleep_ms(100);
    }
    cr_assert_not_null(m, "no message in the stream");
    cr_assert_str_eq(natsMsg_GetSubject(m), "payments.B9");
    json_t *j = json_loadb(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m), 0, NULL);
    cr_assert_str_eq(json_string_value(json_object_get(j, "payment")), "n1");
    cr_assert_eq(json_integer_value(json_object_get(j, "amount")), 33);
    json_decref(j);
    const char *msgid = NULL;
    cr_assert_eq(natsMsgHeader_Get(m, "Nats-Msg-Id", &msgid), NATS_OK);
    cr_assert_str_eq(msgid, "to-nats/event:billing/n1/step1");
    natsMsg_Destroy(m);
    cr_assert_eq(au_rt_stop(&d), 0);
    au_rt_cleanup(&d);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    stop_pid(pid);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}
