/*
 * A real HTTP target for the flow tests, unit and runtime (libmicrohttpd on 127.0.0.1): records
 * every request (method, URL, idempotency key, signature, body), answers as the test tells it
 * (status, Retry-After, delay), and can be stopped and started again on the same port to play
 * a target that is down for a while.
 */
#ifndef AU_RT_RECEIVER_H
#define AU_RT_RECEIVER_H

#include <stddef.h>

typedef struct rt_request {
    char method[16];
    char url[512];
    char signature[128];       /* X-Aurum-Signature */
    char idempotency_key[256]; /* Idempotency-Key */
    char content_type[128];    /* Content-Type */
    char custom[128];          /* X-Test, a header a test step sets */
    char body[8192];
    size_t body_len; /* bytes of body kept (a longer body is truncated) */
    long long at_ms; /* when it arrived (CLOCK_MONOTONIC, ms) */
} rt_request;

typedef struct rt_receiver rt_receiver;

/* Starts on `port` (0: a free one). NULL on failure. */
rt_receiver *rt_receiver_start(int port);
/* Stops listening (connections are refused) but keeps what was recorded. */
void rt_receiver_down(rt_receiver *r);
/* Listens again on the same port. 0 on success. */
int rt_receiver_up(rt_receiver *r);
void rt_receiver_free(rt_receiver *r);
int rt_receiver_port(const rt_receiver *r);
/* How to answer from now on. */
void rt_receiver_answer(rt_receiver *r, int status, const char *retry_after, int delay_ms);
/* Requests recorded so far (answered or not). */
int rt_receiver_count(rt_receiver *r);
/* Copy of request i; 0 on success. */
int rt_receiver_get(rt_receiver *r, int i, rt_request *out);
/* Waits until at least n requests arrived or timeout_s passed; returns the count. */
int rt_receiver_wait(rt_receiver *r, int n, int timeout_s);
/* Number of distinct idempotency keys among the requests answered 2xx. */
int rt_receiver_distinct_ok(rt_receiver *r);

#endif
