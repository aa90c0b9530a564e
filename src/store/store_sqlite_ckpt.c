/*
 * The WAL checkpointer of a read-write SQLite handle: a thread with its own connection copies the
 * WAL into the database file, so neither the writer (which used to checkpoint inside the COMMIT
 * that crossed wal_autocheckpoint, rewriting up to 80 MB while every caller waited) nor the
 * readers pay for it. The writer's connection has autocheckpoint off; its WAL hook only counts
 * frames and wakes the thread.
 *
 * Policy: a PASSIVE checkpoint (never blocks the writer or a reader, copies what no reader still
 * needs) once the WAL holds CKPT_PASSIVE_FRAMES frames, and every CKPT_PERIOD_MS while it holds
 * CKPT_IDLE_FRAMES, so a quiet store keeps a short WAL too. The WAL only starts over from its
 * beginning when a checkpoint has copied every frame and no reader needs it; under continuous
 * commits (a long import) a passive checkpoint never catches that moment, and the WAL grows. Past
 * CKPT_TRUNCATE_FRAMES a TRUNCATE checkpoint waits for the readers, blocks the writer and
 * truncates the file; a PASSIVE one just before it copies the bulk without blocking, so the
 * writer waits only for the frames committed meanwhile. (Without it, a 5 M-record import under
 * load had its writer wait out its 5 s busy timeout behind a 1 GB copy and fail.) Durability is
 * unchanged: a COMMIT is durable once the WAL is fsynced, before any checkpoint.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "lib/alloc.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "store/store_sqlite_int.h"

/* 64 MB of 8 KiB pages (the writer's old autocheckpoint): rare enough that a page rewritten by
 * consecutive commits is copied once and the database file is not fsynced beside every few
 * commits (at 8 MB, single-record upserts lost 15-40 % of their rate to those fsyncs). */
#define CKPT_PASSIVE_FRAMES 8192
/* Once a second a WAL of at least this many frames is checkpointed anyway, so a store written
 * slowly keeps a short WAL (readers search the WAL index for every page they read). */
#define CKPT_IDLE_FRAMES 1024
/* 256 MB of WAL: the passive checkpoints are not letting it restart (continuous commits, or a
 * reader holding an old snapshot). */
#define CKPT_TRUNCATE_FRAMES 32768
/* Longest wait between two looks at a WAL that has frames in it. */
#define CKPT_PERIOD_MS 1000
/* How long a TRUNCATE checkpoint waits for readers and the writer. */
#define CKPT_BUSY_MS 2000

struct au_sqlite_ckpt {
    sqlite3 *db;                /* the checkpointer's own connection, owned */
    pthread_t thread;           /* runs ckpt_main */
    pthread_mutex_t mu;         /* protects the fields below */
    pthread_cond_t cv;          /* wakes the thread: frames added, a round asked for, or stopping */
    pthread_cond_t answered_cv; /* wakes au_sqlite_ckpt_round: a round finished */
    int frames;                 /* WAL size in frames at the writer's last commit */
    int truncate_frames;        /* CKPT_TRUNCATE_FRAMES, smaller in tests */
    int stopping;               /* close: finish and exit */
    uint64_t asked;             /* rounds asked for by au_sqlite_ckpt_round */
    uint64_t answered;          /* of those, the last one run */
    int last_log;               /* what the last round's checkpoint reported: frames in the WAL */
    int last_done;      /* and frames copied into the database (both -1: nothing was done) */
    uint64_t passive;   /* checkpoints run, for the log at close */
    uint64_t truncates; /* TRUNCATE checkpoints run */
};

/* The writer's WAL hook (called after each commit, on the writer thread): note the size and
 * wake the thread when it is worth a checkpoint; never checkpoints here. */
static int ckpt_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
    au_sqlite_ckpt *c = arg;
    pthread_mutex_lock(&c->mu);
    c->frames = frames;
    if (frames >= CKPT_PASSIVE_FRAMES)
        pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return SQLITE_OK;
}

/* One checkpoint of `mode`; logs what SQLite reports beside BUSY (a reader or the writer held
 * it up: the next round retries). *log and *done are SQLite's frame counts. */
static void ckpt_run(au_sqlite_ckpt *c, int mode, int *log, int *done)
{
    int src = sqlite3_wal_checkpoint_v2(c->db, NULL, mode, log, done);
    if (src != SQLITE_OK && (src & 0xff) != SQLITE_BUSY && (src & 0xff) != SQLITE_LOCKED)
        au_log(AU_LOG_WARN, "wal checkpoint failed", "error", sqlite3_errmsg(c->db), NULL);
    if (mode == SQLITE_CHECKPOINT_TRUNCATE)
        c->truncates++;
    else
        c->passive++;
}

/* Under c->mu: whether a round is due now (a big WAL or one asked for); otherwise waits up to
 * CKPT_PERIOD_MS and says whether the WAL grew past CKPT_IDLE_FRAMES meanwhile. */
static int ckpt_due(au_sqlite_ckpt *c)
{
    if (c->frames >= CKPT_PASSIVE_FRAMES || c->asked != c->answered)
        return 1;
    struct timespec ts = au_timespec_of_ms(au_wall_ms() + CKPT_PERIOD_MS);
    pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    return !c->stopping && (c->frames >= CKPT_IDLE_FRAMES || c->asked != c->answered);
}

static void *ckpt_main(void *arg)
{
    au_sqlite_ckpt *c = arg;
    pthread_mutex_lock(&c->mu);
    while (!c->stopping) {
        if (!ckpt_due(c))
            continue;
        int mode = c->frames >= c->truncate_frames ? SQLITE_CHECKPOINT_TRUNCATE
                                                   : SQLITE_CHECKPOINT_PASSIVE;
        uint64_t ticket = c->asked;
        int log = -1, done = -1;
        /* Frames committed from now on wake the next round; those before are copied now. */
        c->frames = 0;
        pthread_mutex_unlock(&c->mu);
        if (mode == SQLITE_CHECKPOINT_TRUNCATE)
            ckpt_run(c, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        ckpt_run(c, mode, &log, &done);
        pthread_mutex_lock(&c->mu);
        c->last_log = log;
        c->last_done = done;
        c->answered = ticket;
        pthread_cond_broadcast(&c->answered_cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

au_rc au_sqlite_ckpt_round(au_sqlite_ckpt *c, int *log, int *done)
{
    pthread_mutex_lock(&c->mu);
    uint64_t ticket = ++c->asked;
    pthread_cond_signal(&c->cv);
    while (c->answered < ticket && !c->stopping)
        pthread_cond_wait(&c->answered_cv, &c->mu);
    au_rc rc = c->answered >= ticket ? AU_OK : AU_ERR_STORE;
    *log = c->last_log;
    *done = c->last_done;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void au_sqlite_ckpt_truncate_at(au_sqlite_ckpt *c, int frames)
{
    pthread_mutex_lock(&c->mu);
    c->truncate_frames = frames;
    pthread_mutex_unlock(&c->mu);
}

au_sqlite_ckpt *au_sqlite_ckpt_start(sqlite3 *writer)
{
    const char *path = sqlite3_db_filename(writer, "main");
    au_sqlite_ckpt *c = NULL;
    if (!path || !*path)
        return NULL; /* in-memory: no WAL */
    c = au_calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    pthread_cond_init(&c->answered_cv, NULL);
    c->truncate_frames = CKPT_TRUNCATE_FRAMES;
    /* The read: a connection learns that the file is in WAL mode only when it first reads it;
     * until then sqlite3_wal_checkpoint_v2 on it does nothing and reports -1 frames, and the WAL
     * grew by every commit until the daemon stopped. Once read, the connection keeps the WAL
     * open until it closes. */
    if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(c->db, "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(c->db, CKPT_BUSY_MS);
    if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0)
        goto fail;
    /* Replaces the writer's autocheckpoint (itself a WAL hook). */
    sqlite3_wal_hook(writer, ckpt_wal_hook, c);
    return c;
fail:
    /* The writer keeps its own autocheckpoint: slower commits, nothing lost. */
    au_log(AU_LOG_WARN, "no wal checkpointer thread, the writer checkpoints", "error",
           c->db ? sqlite3_errmsg(c->db) : "open", NULL);
    sqlite3_close_v2(c->db);
    pthread_cond_destroy(&c->cv);
    pthread_cond_destroy(&c->answered_cv);
    pthread_mutex_destroy(&c->mu);
    au_free(c);
    return NULL;
}

void au_sqlite_ckpt_stop(au_sqlite_ckpt *c, sqlite3 *writer)
{
    if (!c)
        return;
    /* From here on the writer's connection checkpoints for itself again (its close does the
     * last one when it is the last connection). */
    sqlite3_wal_autocheckpoint(writer, 1000);
    pthread_mutex_lock(&c->mu);
    c->stopping = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    char n[48];
    snprintf(n, sizeof(n), "%llu+%llu", (unsigned long long)c->passive,
             (unsigned long long)c->truncates);
    au_log(AU_LOG_DEBUG, "wal checkpointer stopped", "passive+truncate", n, NULL);
    sqlite3_close_v2(c->db);
    pthread_cond_destroy(&c->cv);
    pthread_cond_destroy(&c->answered_cv);
    pthread_mutex_destroy(&c->mu);
    au_free(c);
}
