/*
 * The PostgreSQL back-end's bus domain (store_bus.h): the stored events after the NATS
 * publisher's watermark and the newest seq, with the statements of store_sqlite_bus.c in
 * PostgreSQL's dialect. Statement slots AU_PG_SLOT_BUS.. (store_pg_int.h).
 */
#include "store/store_pg_int.h"

#define BUS_STMT_LIST(X)                                                                           \
    X(EVENTS_AFTER, "SELECT source, event_id, type, customer, properties, origin, at_ms, "         \
                    "received_ms, seq FROM events WHERE seq > $1 ORDER BY seq LIMIT $2")           \
    X(EVENT_LAST, "SELECT coalesce(max(seq), 0) FROM events")

typedef enum {
#define BUS_ENUM(id, sql) BUS_##id,
    BUS_STMT_LIST(BUS_ENUM)
#undef BUS_ENUM
        BUS_COUNT
} bus_stmt;

static const char *const bus_sql[BUS_COUNT] = {
#define BUS_SQL(id, sql) sql,
    BUS_STMT_LIST(BUS_SQL)
#undef BUS_SQL
};

_Static_assert(AU_PG_SLOT_BUS + BUS_COUNT <= AU_PG_SLOT_N, "bus statements overflow their slots");

static au_rc pg_bus_events_after(void *impl, int64_t after, long limit, au_event_cb cb, void *ctx)
{
    au_pg_params p = {0};
    au_rc rc;
    au_pg_int(&p, after);
    au_pg_int(&p, limit);
    PGresult *res = au_pg_run(impl, AU_PG_SLOT_BUS + BUS_EVENTS_AFTER, bus_sql[BUS_EVENTS_AFTER],
                              &p, "bus_events_after", &rc);
    return au_pg_event_rows(res, rc, cb, ctx);
}

static au_rc pg_bus_event_last(void *impl, int64_t *seq)
{
    au_pg_params p = {0};
    return au_pg_one_int(impl, AU_PG_SLOT_BUS + BUS_EVENT_LAST, bus_sql[BUS_EVENT_LAST], &p, seq,
                         "bus_event_last");
}

const struct au_store_bus_ops au_pg_bus_ops = {
    .bus_events_after = pg_bus_events_after,
    .bus_event_last = pg_bus_event_last,
};
