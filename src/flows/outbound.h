/*
 * The outbound policy (src/lib/netpolicy.h) for the connectors whose client library opens its
 * own sockets: PostgreSQL (libpq) and NATS (libnats). libcurl lets the http step check the very
 * address it connects to; these two cannot, so their host is resolved and checked here first.
 * PostgreSQL is then pinned to the checked address (libpq `hostaddr`, `host` kept for TLS), so
 * a second resolution cannot lead elsewhere; libnats offers no such pinning, so NATS is checked
 * on every address its host resolves to, which narrows but does not close a DNS-rebinding race.
 */
#ifndef AU_FLOWS_OUTBOUND_H
#define AU_FLOWS_OUTBOUND_H

#include <libpq-fe.h>

#include "flows/connector.h"

/* Connects like PQconnectdb(conninfo) once the policy allows its host (one host only); NULL
 * with out set to a permanent failure when it does not. */
PGconn *au_outbound_pg_connect(const char *conninfo, au_delivery *out);
/* 0 when every server of a NATS URL list ("nats://a:4222,nats://b") is allowed; -1 with out
 * set to a permanent failure otherwise. */
int au_outbound_nats_check(const char *urls, au_delivery *out);

#endif
