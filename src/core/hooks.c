/*
 * The registry of engine hooks: the modules that act inside the write transaction (see
 * au_engine_hook in engine.h). Order matters: a later hook sees what an earlier one wrote
 * (profiles need the clusters resolution assigned; flows need the profile changes).
 */
#include "core/engine.h"
#include "core/resolve_hook.h"
#include "core/quality.h"
#include "flows/flows.h"
#include "profile/profiles.h"

const au_engine_hook *const au_engine_hooks[] = {
    /* resolution first: it assigns records to profiles and appends to the change feed */
    &au_resolve_hook,

    /* then profiles: golden records of the profiles that changed */
    &au_profiles_hook,

    /* then flows: triggers matched against changes and events, outbox entries */
    &au_flows_hook,

    /* then the data-quality ledger: counts what was written; depends on nothing above */
    &au_quality_hook,

    NULL,
};
