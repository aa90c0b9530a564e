/*
 * Internals of the bus module shared by bus.c (the hook, the section, status and metrics) and
 * publish.c (the publisher thread and its NATS JetStream connection).
 */
#ifndef AU_BUS_INT_H
#define AU_BUS_INT_H

#include <pthread.h>
#include <stdint.h>

#include "bus/bus.h"

/* The watermark keys in inbound_state: no source name holds a ':'. */
#define AU_BUS_KEY_CHANGES "bus:changes"
#define AU_BUS_KEY_EVENTS  "bus:events"

/* The `bus:` section, filled from the declared rows of bus.c (strings owned: AU_OPT_COPY). */
typedef struct au_bus_config {
    int enabled;             /* start the publisher with `aurum serve` */
    char *url;               /* nats:// or tls:// server URL(s), comma-separated */
    char *stream;            /* the JetStream stream holding the subjects */
    char *prefix;            /* subject prefix: <prefix>.profiles.changed, <prefix>.events.T */
    int changes;             /* publish the change feed */
    int events;              /* publish the business events */
    int create_stream;       /* create the stream on <prefix>.> when it does not exist */
    long batch;              /* entries published between two watermark writes */
    long timeout_ms;         /* connect and acknowledgement wait */
    long duplicate_window_s; /* the created stream's duplicate window */
} au_bus_config;

/* One feed's counters (under au_bus.mu). */
typedef struct au_bus_feed {
    int64_t wm;     /* last seq acknowledged by the stream and persisted */
    long published; /* messages acknowledged since start (duplicates included) */
} au_bus_feed;

struct au_bus {
    au_engine *engine;  /* borrowed: the engine whose hook this is */
    au_bus_config cfg;  /* the section, read at open */
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;  /* signalled on a commit and on stop */
    uint64_t gen;       /* commits seen (the hook's committed slot) */
    int stop;           /* 1: the thread must end */
    int running;        /* 1 while the thread exists (joined by au_bus_stop) */
    pthread_t thread;
    int connected;           /* 1 while a connection to the server is up */
    au_bus_feed changes;     /* the change feed */
    au_bus_feed events;      /* the events */
    long duplicates;         /* acknowledgements saying "duplicate" (a resend after a restart) */
    long errors;             /* failed connects, publishes, reads */
    char last_error[256];    /* the last failure, "" when none */
    int64_t last_error_ms;   /* when, 0 when never */
    int64_t last_publish_ms; /* last acknowledged publish, 0 when never */
};

/* The publisher thread (publish.c); arg is the au_bus. */
void *au_bus_publisher(void *arg);
/* Notes a failure in the status (log once per distinct message). */
void au_bus_note_error(au_bus *b, const char *what);
/* 1 once au_bus_stop asked the thread to end. */
int au_bus_stopping(au_bus *b);
/* Waits until a commit after generation *gen (gen NULL: commits do not end the wait), a stop
 * or `ms` milliseconds. */
void au_bus_wait(au_bus *b, const uint64_t *gen, int64_t ms);
/* The commit generation now. */
uint64_t au_bus_gen(au_bus *b);

#endif
