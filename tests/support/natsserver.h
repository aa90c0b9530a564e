/*
 * A real NATS server with JetStream for tests: nats-server -js on a free loopback port, its
 * store in a temporary directory, removed by au_natsserver_stop; it also dies with the test.
 */
#ifndef AU_TEST_NATSSERVER_H
#define AU_TEST_NATSSERVER_H

#include <sys/types.h>

typedef struct au_natsserver {
    char dir[128]; /* temporary directory (JetStream store, log) */
    char log[160]; /* the server's output */
    char url[64];  /* "nats://127.0.0.1:N" */
    int port;      /* bound port */
    pid_t pid;     /* the server, 0 when stopped */
} au_natsserver;

/* The nats-server binary, NULL when not installed (scripts/deps.sh installs it). */
const char *au_natsserver_bin(void);
/* Starts the server and waits until a client connects. 0 on success. */
int au_natsserver_start(au_natsserver *n);
/* Stops the server and removes its directory. */
void au_natsserver_stop(au_natsserver *n);
/* Stops the server but keeps its JetStream store (a system that went down while Aurum runs). */
void au_natsserver_halt(au_natsserver *n);
/* Starts a halted server again on the same port and store (streams, consumers and their
 * positions come back); waits until a client connects. 0 on success. */
int au_natsserver_resume(au_natsserver *n);
/* Stops every server this process started and did not stop: use in a suite's .fini. */
void au_natsserver_cleanup_all(void);

#endif
