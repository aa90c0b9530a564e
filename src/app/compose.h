/*
 * The composition root: the one place that knows every module acting inside the write
 * transaction. The engine (src/core) knows no module; the commands that open an engine for
 * real work (`aurum serve`, `aurum import`, `aurum renormalize`) open it here, with the hooks
 * wired in their order. A tool or a test that wants fewer hooks calls au_engine_open itself.
 */
#ifndef AU_APP_COMPOSE_H
#define AU_APP_COMPOSE_H

#include "core/engine.h"

/* NULL-terminated list of the hooks, in the order the writer calls them. */
extern const au_engine_hook *const au_app_hooks[];

/* au_engine_open with au_app_hooks: every module wired. Same contract as au_engine_open. */
au_rc au_app_engine_open(const au_config *cfg, const char *data_dir, au_engine **out, au_err *err);
/* au_engine_open_at with au_app_hooks: the store at `store`, local files in `data_dir`. */
au_rc au_app_engine_open_at(const au_config *cfg, const char *store, const char *data_dir,
                            au_engine **out, au_err *err);

#endif
