/*
 * A tiny real HTTP server for connector tests (libmicrohttpd on 127.0.0.1, random port): it
 * records every request it receives and answers as the test tells it (status, Retry-After,
 * delay), so the http connector is tested against real sockets, not mocks.
 */
#ifndef AU_TEST_RECEIVER_H
#define AU_TEST_RECEIVER_H

#include <stddef.h>

#define RECEIVER_MAX_REQUESTS 16

/* One received request. */
typedef struct received {
    char method[16];
    char url[512];
    char content_type[128];
    char signature[128];       /* X-Aurum-Signature */
    char idempotency_key[128]; /* Idempotency-Key */
    char custom[128];          /* X-Test header */
    char body[8192];
    size_t body_len;
} received;

typedef struct receiver receiver;

/* Starts the server; returns NULL on failure. */
receiver *receiver_start(void);
void receiver_stop(receiver *r);
int receiver_port(const receiver *r);
/* How to answer the following requests: HTTP status, Retry-After value ("" for none) and a
 * delay before answering in milliseconds (interrupted by receiver_stop). */
void receiver_answer(receiver *r, int status, const char *retry_after, int delay_ms);
/* Number of requests received so far, and a copy of request i. */
int receiver_count(receiver *r);
void receiver_get(receiver *r, int i, received *out);

#endif
