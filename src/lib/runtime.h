/*
 * One-time process initialisation, called first thing by main (and by tests that want it).
 * It routes the allocations of SQLite, Jansson and libcurl through au_malloc/au_free, so the
 * fault injector (au_alloc_fail_after) reaches inside them too, and initialises libcurl and
 * libsodium once. Idempotent and thread-safe; later calls return the first call's result.
 * SQLite's allocator can only be set before SQLite is first used: call this before opening a
 * store, or the SQLite part is skipped (reported as AU_ERR_INTERNAL, everything else done).
 */
#ifndef AU_RUNTIME_H
#define AU_RUNTIME_H

#include "lib/rc.h"

AU_MUST_USE au_rc au_runtime_init(void);

#endif
