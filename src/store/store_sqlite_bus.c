/*
 * SQLite back-end of the bus slots (store_bus.h): the stored events after the NATS publisher's
 * watermark, in seq order (the events table's rowid, the order the writer stored them in), and
 * the newest seq for its lag. Read through reader handles, like every read.
 */
#include "store/store_sqlite_int.h"

/* X(slot name, SQL); slots are AU_SQLITE_EXT_BUS + position. */
#define BUS_STMT_LIST(X)                                                                           \
    X(EVENTS_AFTER, "SELECT source, event_id, type, customer, properties, origin, at_ms, "         \
                    "received_ms, seq FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")           \
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

_Static_assert(AU_SQLITE_EXT_BUS + BUS_COUNT <= AU_SQLITE_EXT_N,
               "bus statements overflow their slot range");

static sqlite3_stmt *stmt(void *impl, bus_stmt id)
{
    return au_sqlite_stmt(impl, AU_SQLITE_EXT_BUS + (int)id, bus_sql[id]);
}

static au_rc sq_bus_events_after(void *impl, int64_t after, long limit, au_event_cb cb, void *ctx)
{
    sqlite3_stmt *st = stmt(impl, BUS_EVENTS_AFTER);
    if (!st)
        return AU_ERR_STORE;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, limit);
    return au_sqlite_event_rows(impl, st, cb, ctx, "bus_events_after");
}

static au_rc sq_bus_event_last(void *impl, int64_t *seq)
{
    sqlite3_stmt *st = stmt(impl, BUS_EVENT_LAST);
    if (!st)
        return AU_ERR_STORE;
    return au_sqlite_one_int(impl, st, seq, "bus_event_last");
}

const struct au_store_bus_ops au_sqlite_bus_ops = {
    .bus_events_after = sq_bus_events_after,
    .bus_event_last = sq_bus_event_last,
};
