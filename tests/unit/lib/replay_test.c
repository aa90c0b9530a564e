/*
 * Unit tests for the replay set (src/lib/replay.c): a tag is a replay while it lives, free
 * again once expired, and a full table of live tags refuses instead of forgetting one. Time is
 * passed in, never slept.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "lib/replay.h"

static void tag_of(int n, unsigned char tag[AU_REPLAY_TAG])
{
    memset(tag, 0, AU_REPLAY_TAG);
    memcpy(tag, &n, sizeof(n));
    tag[AU_REPLAY_TAG - 1] = (unsigned char)n;
}

Test(replay, a_tag_is_a_replay_until_it_expires)
{
    au_replay *r = au_replay_new(16);
    unsigned char t[AU_REPLAY_TAG];
    tag_of(7, t);
    cr_assert_eq(au_replay_seen(r, t, 1000, 1300), 0);
    cr_assert_eq(au_replay_seen(r, t, 1001, 1301), 1);
    cr_assert_eq(au_replay_seen(r, t, 1299, 1599), 1);
    cr_assert_eq(au_replay_seen(r, t, 1300, 1600), 0, "expired: new again");
    au_replay_free(r);
}

Test(replay, full_of_live_tags_refuses_and_expired_slots_are_reused)
{
    au_replay *r = au_replay_new(16);
    unsigned char t[AU_REPLAY_TAG];
    for (int i = 0; i < 16; i++) {
        tag_of(i, t);
        cr_assert_eq(au_replay_seen(r, t, 0, 100), 0);
    }
    tag_of(99, t);
    cr_assert_eq(au_replay_seen(r, t, 50, 150), -1, "every slot is live: refuse");
    for (int i = 0; i < 16; i++) {
        tag_of(i, t);
        cr_assert_eq(au_replay_seen(r, t, 50, 150), 1, "tag %d still known", i);
    }
    tag_of(99, t);
    cr_assert_eq(au_replay_seen(r, t, 100, 200), 0, "expired slots take new tags");
    cr_assert_eq(au_replay_seen(r, t, 101, 201), 1);
    au_replay_free(r);
}
