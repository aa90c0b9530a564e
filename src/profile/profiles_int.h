/*
 * Internals shared by the files of the profiles module (hook.c, view.c): the hook's state.
 */
#ifndef AU_PROFILES_INT_H
#define AU_PROFILES_INT_H

#include <pthread.h>

#include "profile/profiles.h"
#include "profile/survivorship.h"

/* Golden-record cache: direct-mapped slots of serialised profiles (key = id * 2 + lineage). */
#define AU_PCACHE_SLOTS  (1u << 17)
#define AU_PCACHE_TTL_MS 5000 /* bounds staleness from source re-definitions (trust) */
/* A bulk load keeps at most this many identifier rows (16 bytes each) and key bytes before it
 * writes them in the job at hand: bounds its memory (about 4.5 M records, ~350 MB), and key
 * offsets fit 32 bits. */
#define AU_IDENT_BULK_MAX   (16u << 20)
#define AU_IDENT_BULK_BYTES (1u << 30)
typedef struct au_pcache_slot {
    int64_t key; /* 0 = empty */
    char *text;  /* owned, au_malloc */
    size_t len;
    int64_t at_ms;
} au_pcache_slot;

struct au_profiles {
    au_engine *engine;          /* borrowed */
    char country[3];            /* default country for phone numbers in event references */
    au_survive_config *survive; /* parsed once at open from the `survivorship:` section */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled on every commit */
    uint64_t gen;      /* committed groups, under mu */
    /* cache: invalidated on commit from the change feed (every profile a commit touched) */
    pthread_rwlock_t cache_mu;
    au_pcache_slot *cache; /* AU_PCACHE_SLOTS, NULL when it could not be allocated */
    uint64_t epoch;        /* bumped under cache_mu with every invalidation */
    int64_t cache_seq;     /* under cache_mu: the feed position the cached texts reflect; a
                              store whose feed is further on (another node sharing it
                              committed) is not answered from the cache */
    au_store *wst;         /* the writer's store, used on `committed` (writer thread) */
    int64_t feed_seq;      /* change-feed position already applied to the cache */
    int64_t note_seq;      /* writer thread: feed position when this hook last wrote/looked */
    /* writer thread: identifier rows of the current job's new records, written sorted when the
     * job ends (hook.c, flush_idents) */
    struct au_ident_pending *pend; /* rows; keys are offsets into pend_keys */
    size_t npend, pend_cap;
    char *pend_keys; /* NUL-separated keys */
    /* writer thread: profile ids a commit touched, collected before the cache lock is taken */
    int64_t *inv;
    size_t ninv, inv_cap;
    int inv_failed; /* the list could not grow: the whole cache is dropped */
    size_t pend_len, pend_keys_cap;
    /* writer thread: a bulk load (au_profiles_bulk, hook.c) keeps the rows of new records over
     * many jobs and writes them once, sorted, when it ends; the durable marker row (kind 0,
     * rec = -bulk_from) says which records a crash left without rows */
    int bulk;
    int64_t bulk_from;           /* first record of the bulk load (0: no marker written yet) */
    int64_t bulk_from_kept;      /* bulk_from as of the last commit (a rollback returns to it) */
    int64_t bulk_last;           /* newest record the load inserted (sizes it, flush_bulk) */
    size_t kept_npend, kept_len; /* pending rows of jobs whose savepoint was released */
    size_t done_npend, done_len; /* pending rows of committed groups */
    int flushed_open;            /* rows of committed groups were written in the open transaction */
    int bulk_lost;               /* such rows were rolled back: the end rebuilds from the store */
};

/* One deferred profile_idents row. */
typedef struct au_ident_pending {
    int64_t rec;  /* record number */
    uint32_t key; /* offset of the key in au_profiles.pend_keys (< 4 GiB: AU_IDENT_BULK_BYTES) */
    int32_t kind; /* AU_IDENT_* */
} au_ident_pending;

static inline size_t au_pcache_slot_of(int64_t key)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 47) & (AU_PCACHE_SLOTS - 1);
}

#endif
