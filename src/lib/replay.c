/*
 * The replay set (replay.h). Tags are MACs, so their first bytes are already uniformly spread:
 * they index the table directly. A probe walks until an empty slot; expired slots do not end
 * the walk (a live copy may sit behind them) but the first one seen takes the new tag.
 */
#include <pthread.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/replay.h"

typedef struct slot {
    unsigned char tag[AU_REPLAY_TAG]; /* the tag */
    int64_t expires;                  /* 0: never used; <= now: free for reuse */
} slot;

struct au_replay {
    pthread_mutex_t mu; /* guards slots */
    slot *slots;        /* the table */
    size_t mask;        /* slots - 1 */
};

au_replay *au_replay_new(size_t n)
{
    size_t cap = 16;
    while (cap < n)
        cap <<= 1;
    au_replay *r = au_calloc(1, sizeof(*r));
    if (r && !(r->slots = au_calloc(cap, sizeof(slot)))) {
        au_free(r);
        return NULL;
    }
    if (r) {
        r->mask = cap - 1;
        pthread_mutex_init(&r->mu, NULL);
    }
    return r;
}

void au_replay_free(au_replay *r)
{
    if (!r)
        return;
    pthread_mutex_destroy(&r->mu);
    au_free(r->slots);
    au_free(r);
}

int au_replay_seen(au_replay *r, const unsigned char tag[AU_REPLAY_TAG], int64_t now,
                   int64_t expires)
{
    uint64_t h;
    slot *reuse = NULL;
    int res = -1;
    memcpy(&h, tag, sizeof(h));
    pthread_mutex_lock(&r->mu);
    for (size_t n = 0, i = h & r->mask; n <= r->mask; n++, i = (i + 1) & r->mask) {
        slot *s = &r->slots[i];
        if (s->expires == 0) {
            reuse = reuse ? reuse : s;
            break;
        }
        if (s->expires <= now) {
            reuse = reuse ? reuse : s;
            continue;
        }
        if (!memcmp(s->tag, tag, AU_REPLAY_TAG)) {
            res = 1;
            goto out;
        }
    }
    if (reuse) {
        memcpy(reuse->tag, tag, AU_REPLAY_TAG);
        reuse->expires = expires > now ? expires : now + 1;
        res = 0;
    }
out:
    pthread_mutex_unlock(&r->mu);
    return res;
}
