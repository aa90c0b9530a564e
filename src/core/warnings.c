/*
 * Quarantined values of a write, collected for the answer (see warnings.h). Built with Jansson
 * because it only runs for records that have a quarantined value, and the API answers in JSON.
 */
#include "core/warnings.h"

void au_warnings_init(au_warnings *w, size_t max)
{
    w->list = NULL;
    w->max = max;
    w->total = 0;
    w->records = 0;
}

void au_warnings_cleanup(au_warnings *w)
{
    json_decref(w->list);
    w->list = NULL;
}

static json_t *one(const au_source *s, long index, const au_record *r, au_attr a)
{
    return json_pack("{s:I, s:s?, s:s, s:s, s:s?, s:s}", "index", (json_int_t)index, "record_id",
                     r->record_id, "field", au_source_label(s, a), "attribute", au_attr_name(a),
                     "value", r->attrs[a].raw, "reason", r->attrs[a].reason);
}

au_rc au_warnings_add(au_warnings *w, const au_source *s, long index, const au_record *r)
{
    int seen = 0;
    for (int a = 0; a < AU_ATTR_COUNT; a++) {
        if (!au_record_is_quarantined(r, (au_attr)a))
            continue;
        seen = 1;
        w->total++;
        if (w->list && json_array_size(w->list) >= w->max)
            continue;
        if (!w->list && !(w->list = json_array()))
            return AU_ERR_NOMEM;
        if (json_array_append_new(w->list, one(s, index, r, (au_attr)a)))
            return AU_ERR_NOMEM;
    }
    w->records += seen;
    return AU_OK;
}

au_rc au_warnings_put(const au_warnings *w, json_t *answer)
{
    json_t *list = w->list ? json_incref(w->list) : json_array();
    if (!list || json_object_set_new(answer, "warnings", list) ||
        json_object_set_new(answer, "warnings_total", json_integer((json_int_t)w->total)) ||
        json_object_set_new(answer, "records_with_warnings", json_integer((json_int_t)w->records)))
        return AU_ERR_NOMEM;
    return AU_OK;
}
