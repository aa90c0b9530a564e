/*
 * Back-end dispatch: the registry of store back-ends and the au_store_* functions, which only
 * forward to the chosen back-end's method table. Adding a back-end is one new file defining an
 * au_store_ops plus one line in `backends` below.
 */
#include "store/store.h"

#include <string.h>

#include "lib/alloc.h"
#include "store/store_pg_int.h"
#include "store/store_sqlite_int.h"

/* The first entry is the default, used for plain directory locations. */
static const au_store_ops *const backends[] = {
    &au_store_sqlite_ops,     /* a directory, or sqlite:DIR */
    &au_store_pg_ops,         /* postgres://user@host:port/db (store_pg.c) */
    &au_store_postgresql_ops, /* postgresql://..., the same back-end */
};

struct au_store {
    const au_store_ops *ops; /* the back-end's method table */
    void *impl;              /* the back-end's handle, owned */
};

/* Splits "scheme:rest" when the scheme names a back-end; a plain path selects the default. A
 * prefix that looks like a scheme but names no back-end is an error rather than a directory. */
static au_rc pick_backend(const char *location, const au_store_ops **ops, const char **rest,
                          au_err *err)
{
    size_t n = strspn(location, "abcdefghijklmnopqrstuvwxyz0123456789");
    *ops = backends[0];
    *rest = location;
    if (n == 0 || location[n] != ':')
        return AU_OK;
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
        if (strlen(backends[i]->name) == n && strncmp(backends[i]->name, location, n) == 0) {
            *ops = backends[i];
            *rest = location + n + 1;
            return AU_OK;
        }
    }
    return au_err_set(err, AU_ERR_INVALID, "unknown store back-end '%.*s' in location '%s'", (int)n,
                      location, location);
}

au_rc au_store_open(const char *location, au_store_mode mode, au_store **out, au_err *err)
{
    const au_store_ops *ops;
    const char *rest;
    au_store *s = NULL;
    au_rc rc;

    *out = NULL;
    if (!location || !*location)
        return au_err_set(err, AU_ERR_INVALID, "no store location given");
    rc = pick_backend(location, &ops, &rest, err);
    if (rc)
        goto out;
    s = au_calloc(1, sizeof(*s));
    if (!s) {
        rc = au_err_set(err, AU_ERR_NOMEM, "out of memory opening the store");
        goto out;
    }
    s->ops = ops;
    rc = ops->open(rest, mode, &s->impl, err);
    if (rc)
        goto out;
    *out = s;
    s = NULL;
out:
    au_free(s);
    return rc;
}

void au_store_close(au_store *s)
{
    if (!s)
        return;
    s->ops->close(s->impl);
    au_free(s);
}

const char *au_store_backend(const au_store *s)
{
    return s->ops->name;
}

int au_store_shared(const au_store *s)
{
    return s->ops->shared;
}

au_rc au_store_require_complete(const au_store *s, au_err *err)
{
    if (!s->ops->missing)
        return AU_OK;
    return au_err_set(err, AU_ERR_UNSUPPORTED,
                      "the %s store does not implement these domains yet: %s; run on the "
                      "embedded SQLite store (docs/POSTGRES.md)",
                      s->ops->name, s->ops->missing);
}

au_rc au_store_begin(au_store *s)
{
    return s->ops->begin(s->impl);
}

au_rc au_store_commit(au_store *s)
{
    return s->ops->commit(s->impl);
}

au_rc au_store_rollback(au_store *s)
{
    return s->ops->rollback(s->impl);
}

au_rc au_store_savepoint(au_store *s)
{
    return s->ops->savepoint(s->impl);
}

au_rc au_store_savepoint_release(au_store *s)
{
    return s->ops->savepoint_release(s->impl);
}

au_rc au_store_savepoint_rollback(au_store *s)
{
    return s->ops->savepoint_rollback(s->impl);
}

/* --- resolution ------------------------------------------------------------------------- */

/* (end of the resolution functions) */

/* --- profiles --------------------------------------------------------------------------- */

/* (end of the profile functions) */

/* --- flows ------------------------------------------------------------------------------ */

/* (end of the flow functions) */

/* --- events: linkage to customers -------------------------------------------------------- */

/* (end of the event functions) */
/* (end of the quality functions) */

/* The *_out structs are back-end independent, so their cleanup lives here. */

void au_record_out_cleanup(au_record_out *r)
{
    if (!r)
        return;
    au_free(r->source);
    au_free(r->record_id);
    au_free(r->doc);
    au_free(r->origin);
    memset(r, 0, sizeof(*r));
}

void au_event_out_cleanup(au_event_out *e)
{
    if (!e)
        return;
    au_free(e->source);
    au_free(e->event_id);
    au_free(e->type);
    au_free(e->customer);
    au_free(e->properties);
    au_free(e->origin);
    memset(e, 0, sizeof(*e));
}

void au_key_out_cleanup(au_key_out *k)
{
    if (!k)
        return;
    au_free(k->id);
    au_free(k->scopes);
    au_free(k->name);
    memset(k, 0, sizeof(*k));
}

/* --- the domains' forwarders, generated from their X-macro lists (store_<domain>.h) ------- */
#define AU_STORE_SELF au_store *s
#define FORWARD(domain, ret, name, params, args)                                                   \
    ret au_store_##name params                                                                     \
    {                                                                                              \
        return s->ops->domain->name args;                                                          \
    }
#define FORWARD_RECORDS(ret, name, params, args)    FORWARD(records, ret, name, params, args)
#define FORWARD_KEYS(ret, name, params, args)       FORWARD(keys, ret, name, params, args)
#define FORWARD_RESOLUTION(ret, name, params, args) FORWARD(resolution, ret, name, params, args)
#define FORWARD_PROFILES(ret, name, params, args)   FORWARD(profiles, ret, name, params, args)
#define FORWARD_FLOWS(ret, name, params, args)      FORWARD(flows, ret, name, params, args)
#define FORWARD_QUALITY(ret, name, params, args)    FORWARD(quality, ret, name, params, args)

AU_STORE_RECORDS(FORWARD_RECORDS)
AU_STORE_KEYS(FORWARD_KEYS)
AU_STORE_RESOLUTION(FORWARD_RESOLUTION)
AU_STORE_PROFILES(FORWARD_PROFILES)
AU_STORE_FLOWS(FORWARD_FLOWS)
AU_STORE_QUALITY(FORWARD_QUALITY)
#define FORWARD_PRIVACY(ret, name, params, args) FORWARD(privacy, ret, name, params, args)
AU_STORE_PRIVACY(FORWARD_PRIVACY)
#define FORWARD_INBOUND(ret, name, params, args) FORWARD(inbound, ret, name, params, args)
AU_STORE_INBOUND(FORWARD_INBOUND)
#define FORWARD_AUDIT(ret, name, params, args) FORWARD(audit, ret, name, params, args)
AU_STORE_AUDIT(FORWARD_AUDIT)
#define FORWARD_BUS(ret, name, params, args) FORWARD(bus, ret, name, params, args)
AU_STORE_BUS(FORWARD_BUS)
