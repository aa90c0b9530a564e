/*
 * The composition root (see compose.h): the engine hooks of every module, in order. Order
 * matters: a later hook sees what an earlier one wrote (profiles need the clusters resolution
 * assigned; flows need the profile changes). A new module that acts inside the transaction is
 * a <module>/hook.c defining an au_engine_hook plus one line here.
 */
#include "app/compose.h"
#include "audit/audit.h"
#include "bus/bus.h"
#include "flows/flows.h"
#include "inbound/inbound.h"
#include "privacy/privacy.h"
#include "profile/profiles.h"
#include "quality/quality.h"
#include "resolve/hook.h"

const au_engine_hook *const au_app_hooks[] = {
    /* resolution first: it assigns records to profiles and appends to the change feed */
    &au_resolve_hook,

    /* then profiles: golden records of the profiles that changed */
    &au_profiles_hook,

    /* then flows: triggers matched against changes and events, outbox entries */
    &au_flows_hook,

    /* then the data-quality ledger: counts what was written; depends on nothing above */
    &au_quality_hook,

    /* last, privacy: drops a deleted record's documents once every hook above has read them,
     * and refuses writes naming a person erased with suppression (docs/PRIVACY.md) */
    &au_privacy_hook,
    /* inbound connectors act outside the transaction: the hook is their home in the engine
     * (au_inbound_of), started by `aurum serve` (docs/CONNECTORS.md) */
    &au_inbound_hook,
    /* the bus publisher acts outside the transaction too: its committed slot wakes it to
     * publish what the commit stored (docs/BUS.md), started by `aurum serve` */
    &au_bus_hook,

    /* and the audit log after everything: it logs the records the job wrote (numbers and, for
     * a request, the profiles resolution gave them) in the job's own transaction */
    &au_audit_hook,

    NULL,
};

au_rc au_app_engine_open(const au_config *cfg, const char *data_dir, au_engine **out, au_err *err)
{
    return au_engine_open(cfg, data_dir, au_app_hooks, out, err);
}

au_rc au_app_engine_open_at(const au_config *cfg, const char *store, const char *data_dir,
                            au_engine **out, au_err *err)
{
    return au_engine_open_at(cfg, store, data_dir, au_app_hooks, out, err);
}
