/*
 * The registration list of flow step connectors: adding a connector is one line here plus its
 * own file (out_<name>.c). Lookup is a linear scan; there are a handful of connectors.
 */
#include "flows/connector.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

extern const au_connector au_connector_http;
extern const au_connector au_connector_file;
extern const au_connector au_connector_upsert_record;
extern const au_connector au_connector_postgres;
extern const au_connector au_connector_nats;

static const au_connector *const connectors[] = {
    &au_connector_http, &au_connector_upsert_record, &au_connector_postgres,
    &au_connector_nats, &au_connector_file,          NULL,
};

const au_connector *au_connector_find(const char *name)
{
    for (size_t i = 0; connectors[i]; i++)
        if (!strcmp(connectors[i]->name, name))
            return connectors[i];
    return NULL;
}

const au_connector *const *au_connector_list(void)
{
    return connectors;
}

void au_delivery_set(au_delivery *out, au_deliver_status status, const char *fmt, ...)
{
    va_list ap;
    out->status = status;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof(out->message), fmt, ap);
    va_end(ap);
}
