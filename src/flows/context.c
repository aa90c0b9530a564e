/*
 * The `profile` root of a run's context: the golden record (from the profile module) plus the
 * lists flows need to decide and to enrich, `records` (every member record as {source,
 * record_id}) and `timeline` (the newest events of all member records, newest first). Built on
 * the writer thread inside the transaction that triggers the run, so it already contains the
 * write that caused it (the profile hook runs before the flow hook).
 */
#include <string.h>

#include "flows/flows_int.h"
#include "lib/alloc.h"
#include "profile/profiles.h"

/* Events of the timeline put in the context: enough for "last orders and payments". */
#define TIMELINE_MAX 100

static int add_member(void *ctx, const au_resolve_row *r)
{
    json_t *o = json_pack("{s:s,s:s}", "source", r->source ? r->source : "", "record_id",
                          r->record_id ? r->record_id : "");
    return o && json_array_append_new(ctx, o) == 0 ? 0 : AU_ERR_NOMEM;
}

/* Timeline events in the shape the expression language documents: {id,type,source,at,...}. */
static json_t *timeline(au_engine *e, au_store *st, int64_t id)
{
    json_t *page = NULL, *out = json_array(), *ev;
    size_t i;
    au_err err;
    au_err_init(&err);
    if (au_profile_timeline(e, st, id, 0, NULL, NULL, TIMELINE_MAX, &page, &err) == AU_OK) {
        json_array_foreach(json_object_get(page, "events"), i, ev)
        {
            json_t *o = json_deep_copy(ev);
            json_object_set(o, "id", json_object_get(ev, "event_id"));
            json_array_append_new(out, o);
        }
    }
    json_decref(page);
    au_err_cleanup(&err);
    return out;
}

json_t *au_flows_profile(au_flows *f, au_store *st, int64_t id)
{
    json_t *prof = NULL, *members = NULL;
    au_err err;
    au_err_init(&err);
    if (id <= 0 || !au_profiles_of(f->engine) ||
        au_profile_get(f->engine, st, id, 0, &prof, &err) != AU_OK)
        goto out;
    /* Flows address golden values as profile.email, profile.full_name (docs/FLOWS.md): lift
     * the attributes to the top level beside the lists, keeping "attributes" as it is. */
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(prof, "attributes"), k, v)
    {
        if (!json_object_get(prof, k))
            json_object_set(prof, k, v);
    }
    int64_t live = (int64_t)json_integer_value(json_object_get(prof, "id"));
    members = json_array();
    if (members && au_store_profile_members(st, live, add_member, members) == AU_OK)
        json_object_set(prof, "records", members);
    json_object_set_new(prof, "timeline", timeline(f->engine, st, live));
out:
    json_decref(members);
    au_err_cleanup(&err);
    return prof ? prof : json_null();
}

json_t *au_flows_customer_profile(au_flows *f, au_store *st, const json_t *customer)
{
    json_t *found = NULL, *prof = NULL;
    au_err err;
    au_err_init(&err);
    const char *source = json_string_value(json_object_get(customer, "source"));
    const char *record = json_string_value(json_object_get(customer, "record"));
    const char *email = json_string_value(json_object_get(customer, "email"));
    const char *phone = json_string_value(json_object_get(customer, "phone"));
    int by_record = source && record;
    if (!au_profiles_of(f->engine) || (!by_record && !email && !phone))
        return json_null();
    /* The lookup takes exactly one kind of identifier: the record first, then e-mail, phone. */
    if (by_record)
        email = phone = NULL;
    else if (email)
        phone = NULL;
    if (au_profile_lookup(f->engine, st, email, phone, by_record ? source : NULL,
                          by_record ? record : NULL, 0, &found, &err) == AU_OK) {
        json_t *first = json_array_get(found, 0);
        if (first)
            prof =
                au_flows_profile(f, st, (int64_t)json_integer_value(json_object_get(first, "id")));
    }
    json_decref(found);
    au_err_cleanup(&err);
    return prof ? prof : json_null();
}
