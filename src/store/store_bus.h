/*
 * The store contract, domain bus: the reads the NATS JetStream publisher (src/bus/,
 * docs/BUS.md) needs beyond the change feed: the stored events in their storage order, after a
 * watermark, and the newest event position (the publisher's lag). Its watermarks themselves
 * are rows of the inbound domain (keys "bus:changes" and "bus:events" of inbound_state, names no
 * source can have). One X-macro list, AU_STORE_BUS, declares the slots, the forwarders and the
 * reference in docs/STORE.md (scripts/store-doc.sh). Include store/store.h, not this file.
 */
#ifndef AU_STORE_BUS_H
#define AU_STORE_BUS_H

#include "store/store.h"

/* clang-format off */
#define AU_STORE_BUS(X) \
    /* Stored events with seq > after, in seq order, at most limit; each row (borrowed for the \
     * call) goes to cb; a non-zero return of cb stops and is returned. */ \
    X(au_rc, bus_events_after, (AU_STORE_SELF, int64_t after, long limit, au_event_cb cb, void *ctx), \
      (AU_STORE_IMPL, after, limit, cb, ctx)) \
    /* The highest stored event seq, 0 when there is none. */ \
    X(au_rc, bus_event_last, (AU_STORE_SELF, int64_t *seq), \
      (AU_STORE_IMPL, seq))
/* clang-format on */

/* The slots of the domain, implemented by a back-end (store_sqlite_bus.c, store_pg_bus.c). */
struct au_store_bus_ops {
#define AU_STORE_SELF void *impl
    AU_STORE_BUS(AU_STORE_SLOT)
#undef AU_STORE_SELF
};

/* The forwarders (store.c): au_store_<slot>(s, ...) calls the slot with s's handle. */
#define AU_STORE_SELF au_store *s
AU_STORE_BUS(AU_STORE_DECL)
#undef AU_STORE_SELF

#endif
