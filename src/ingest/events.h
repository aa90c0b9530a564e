/*
 * Business events as documents: the validation and mapping of one event object
 * ({"source","event_id","type","at","customer","properties"}) onto an au_event, shared by every
 * way events come in - POST /v1/events (src/api/events.c) and the inbound connectors
 * (src/inbound/, `documents: events`) - so an event means the same wherever it arrived.
 * Pure functions on JSON; storing is au_engine_write_events.
 */
#ifndef AU_INGEST_EVENTS_H
#define AU_INGEST_EVENTS_H

#include <jansson.h>

#include "core/engine.h"
#include "lib/rc.h"

/* Validates event object o (index i, for the details of err) and fills ev: strings and
 * objects are borrowed from o, so o must outlive ev. dflt_source (may be NULL) is the source
 * of an event that names none (a connector's own source); without it "source" is required.
 * ev->properties is NULL when o has none. "at" is ISO 8601 or epoch milliseconds, now when
 * absent. Returns 1 when valid; 0 with one detail per problem added to err (err->rc is left to
 * the caller, which decides whether a bad event fails a batch or is refused alone). */
int au_event_from_json(const json_t *o, long i, const char *dflt_source, au_event *ev, au_err *err);

/* 1 when o looks like an event rather than a record document: it has "event_id", "type" and
 * a "customer" object (what `documents: auto` of a connector decides by). */
int au_event_looks_like(const json_t *o);

/* What an event named its customer by: "the record crm/C1", "the e-mail a@b.c" or "the phone
 * +44...". New string (au_free), NULL when out of memory. */
char *au_event_customer_text(const json_t *customer);

#endif
