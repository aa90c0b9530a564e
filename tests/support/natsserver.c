/*
 * Implementation of the tests' NATS JetStream server (natsserver.h).
 */
#include "natsserver.h"

#include <nats/nats.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spawn.h"

const char *au_natsserver_bin(void)
{
    static const char *const paths[] = {"/usr/sbin/nats-server", "/usr/bin/nats-server", NULL};
    for (int i = 0; paths[i]; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

/* Runs nats-server on n's port and store; waits until a client connects. */
static int run_server(au_natsserver *n)
{
    const char *bin = au_natsserver_bin();
    char port[16];
    if (!bin)
        return -1;
    snprintf(port, sizeof port, "%d", n->port);
    char *argv[] = {(char *)bin, "-js", "-a", "127.0.0.1", "-p", port, "-sd", n->dir, NULL};
    n->pid = au_test_spawn(argv, NULL, n->log, 0);
    if (n->pid > 0)
        au_test_track(n->pid, n->dir);
    for (int i = 0; n->pid > 0 && i < 100; i++) {
        natsConnection *nc = NULL;
        if (natsConnection_ConnectTo(&nc, n->url) == NATS_OK) {
            natsConnection_Destroy(nc);
            return 0;
        }
        au_test_sleep_ms(100);
    }
    return -1;
}

int au_natsserver_start(au_natsserver *n)
{
    memset(n, 0, sizeof *n);
    snprintf(n->dir, sizeof n->dir, "/tmp/aurum-nats-XXXXXX");
    if (!au_natsserver_bin() || !mkdtemp(n->dir))
        return -1;
    n->port = au_test_free_port();
    snprintf(n->url, sizeof n->url, "nats://127.0.0.1:%d", n->port);
    snprintf(n->log, sizeof n->log, "%s/log", n->dir);
    return run_server(n);
}

void au_natsserver_halt(au_natsserver *n)
{
    au_test_untrack(n->pid);
    au_test_stop_pid(n->pid);
    n->pid = 0;
}

int au_natsserver_resume(au_natsserver *n)
{
    return n->pid ? 0 : run_server(n);
}

void au_natsserver_cleanup_all(void)
{
    au_test_cleanup_tracked("/tmp/aurum-nats-");
}

void au_natsserver_stop(au_natsserver *n)
{
    au_test_untrack(n->pid);
    au_test_stop_pid(n->pid);
    n->pid = 0;
    if (n->dir[0])
        au_test_rmtree(n->dir);
    n->dir[0] = 0;
}
