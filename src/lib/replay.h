/*
 * A bounded set of recently seen 32-byte tags (webhook signatures) with an expiry each: a
 * delivery whose tag is still in the set is a replay. Open addressing over a fixed table; an
 * expired slot is reused by the next insert, so memory never grows. Time is passed in by the
 * caller (tests advance it instead of sleeping). Thread-safe.
 */
#ifndef AU_LIB_REPLAY_H
#define AU_LIB_REPLAY_H

#include <stddef.h>
#include <stdint.h>

typedef struct au_replay au_replay;

#define AU_REPLAY_TAG 32

/* A set of `slots` entries (rounded up to a power of two); NULL when out of memory. */
au_replay *au_replay_new(size_t slots);
void au_replay_free(au_replay *r);
/* Adds tag, alive until expires (seconds, same clock as now). 0 when it was new, 1 when it is
 * already there and alive (a replay), -1 when every slot holds a live tag (refuse: busy). */
int au_replay_seen(au_replay *r, const unsigned char tag[AU_REPLAY_TAG], int64_t now,
                   int64_t expires);

#endif
