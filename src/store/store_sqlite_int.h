/*
 * Internals shared by the SQLite back-end files (store_sqlite.c, schema_sqlite.c): the ordered
 * migration steps, and the back-end's method table registered in store.c.
 */
#ifndef AU_STORE_SQLITE_INT_H
#define AU_STORE_SQLITE_INT_H

#include "store/store.h"

/* Number of migration steps = the user_version of an up-to-date database. */
int au_sqlite_schema_version(void);
/* SQL of step i (0-based: brings user_version i to i + 1), NULL when out of range. */
const char *au_sqlite_migration(int i);

extern const au_store_ops au_store_sqlite_ops;

#endif
