/*
 * Internals shared by the files of the profiles module (hook.c, view.c): the hook's state.
 */
#ifndef AU_PROFILES_INT_H
#define AU_PROFILES_INT_H

#include <pthread.h>

#include "profile/profiles.h"
#include "profile/survivorship.h"

struct au_profiles {
    au_engine *engine;          /* borrowed */
    char country[3];            /* default country for phone numbers in event references */
    au_survive_config *survive; /* parsed once at open from the `survivorship:` section */
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled on every commit */
    uint64_t gen;      /* committed groups, under mu */
};

#endif
