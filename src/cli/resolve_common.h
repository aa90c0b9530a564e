/*
 * Shared set-up of the identity-resolution subcommands (train, clusters, eval, explain): load
 * the configuration, open the store (--store, the config's store:, or the data directory's
 * SQLite store), and parse SOURCE:ID record references.
 */
#ifndef AU_CLI_RESOLVE_COMMON_H
#define AU_CLI_RESOLVE_COMMON_H

#include "core/config.h"
#include "store/store.h"

/* Opens the existing store of `data` (or the config's data_dir); a missing one is an error that
 * names the path, never created. Applies the config's logging settings. Read-only opens take no
 * lock and work beside a running daemon; read-write opens take the data-dir lock (*lock, release
 * with au_lockfile_release). On failure the message is printed as "aurum CMD: ..." and 1 returned.
 */
int au_cli_open_store(const char *cmd, const char *data, const char *store, const char *config,
                      au_store_mode mode, au_config **cfg, au_store **st, int *lock);

/* The store a batch subcommand opens: --store when given, else the config's `store:`
 * (PostgreSQL), else the SQLite store in DIR. The result borrows from its arguments. */
const char *au_cli_store_at(const au_config *cfg, const char *store, const char *dir);

/* Splits "SOURCE:ID" at the first ':' into the two buffers; 0 on success. */
int au_cli_split_ref(const char *ref, char *source, size_t ns, char *id, size_t ni);

#endif
