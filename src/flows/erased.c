/*
 * The `erased` profile trigger: after an erasure (src/privacy/erase.c) purged a person, flows
 * whose trigger lists `profile: [erased]` run once so downstream systems can erase them too.
 * The context carries only what a downstream system needs to find the person in its own data,
 * never an attribute: {"profile":{"id"}, "change":{"kind":"erased","profile","receipt",
 * "records":[{"source","record_id"}]}}. It fires inside the erasure's transaction, after the
 * purge, so the run and its outbox rows commit with it.
 */
#include "flows/flowdef.h"
#include "flows/flows.h"
#include "flows/flows_int.h"
#include "lib/alloc.h"

au_rc au_flows_fire_erased(au_flows *f, au_store *st, int64_t profile, const json_t *records,
                           int64_t receipt, int64_t at_ms)
{
    size_t n = 0;
    au_rc rc = AU_OK;
    if (!f)
        return AU_OK;
    flow_entry **all = au_flows_snapshot(f, &n);
    char *tid = au_asprintf("erasure:%lld", (long long)receipt);
    char *part = au_asprintf("profile:%lld", (long long)profile);
    json_t *ctx =
        json_pack("{s:{s:I}, s:{s:s, s:I, s:I, s:O}}", "profile", "id", (json_int_t)profile,
                  "change", "kind", "erased", "profile", (json_int_t)profile, "receipt",
                  (json_int_t)receipt, "records", records);
    if ((!all && n) || !tid || !part || !ctx)
        rc = AU_ERR_NOMEM;
    for (size_t i = 0; i < n && !rc; i++) {
        const au_flow_trigger *t = &all[i]->def->trigger;
        if (t->kind == AU_TRIGGER_PROFILE && (t->profile_changes & AU_PROFILE_ERASED))
            rc = au_flows_fire(f, st, all[i], tid, ctx, part, at_ms, NULL);
    }
    for (size_t i = 0; i < n; i++)
        au_flows_release(f, all[i]);
    au_free(all);
    au_free(tid);
    au_free(part);
    json_decref(ctx);
    return rc;
}
