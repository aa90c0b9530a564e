/*
 * Shared set-up of the identity-resolution subcommands (see resolve_common.h).
 */
#include "cli/resolve_common.h"

#include <stdio.h>
#include <string.h>

#include "lib/lockfile.h"

const char *au_cli_store_at(const au_config *cfg, const char *store, const char *dir)
{
    if (store && *store)
        return store;
    return cfg->store && *cfg->store ? cfg->store : dir;
}

int au_cli_open_store(const char *cmd, const char *data, const char *store, const char *config,
                      au_store_mode mode, au_config **cfg, au_store **st, int *lock)
{
    au_err err;
    au_err_init(&err);
    int code = 0;
    *cfg = NULL;
    *st = NULL;
    *lock = -1;
    if (au_config_load(config, cfg, &err))
        goto out;
    au_config_apply_logging(*cfg);
    const char *dir = data ? data : (*cfg)->data_dir;
    const char *at = au_cli_store_at(*cfg, store, dir);
    /* These commands read what is there: a read-only probe first, so that a mistyped --data
     * is reported (and no empty store created) before the lock file makes the directory. */
    if (mode == AU_STORE_RW && au_store_open(at, AU_STORE_RO, st, &err))
        goto out;
    au_store_close(*st);
    *st = NULL;
    if (mode == AU_STORE_RW) {
        au_rc rc = au_lockfile_acquire(dir, lock, &err);
        if (rc == AU_ERR_BUSY)
            au_err_set(&err, rc, "%s: data directory in use by a running daemon; stop it first",
                       dir);
        if (rc)
            goto out;
    }
    au_rc orc = au_store_open(at, mode, st, &err);
    if (orc && !err.rc) /* the check below reads err */
        au_err_set(&err, orc, "%s: %s", dir, au_rc_message(orc));
out:
    if (err.rc) {
        fprintf(stderr, "aurum %s: %s\n", cmd, err.message);
        au_store_close(*st);
        au_lockfile_release(*lock);
        au_config_free(*cfg);
        *st = NULL;
        *cfg = NULL;
        *lock = -1;
        code = 1;
    }
    au_err_cleanup(&err);
    return code;
}

int au_cli_split_ref(const char *ref, char *source, size_t ns, char *id, size_t ni)
{
    const char *colon = strchr(ref, ':');
    if (!colon || colon == ref || !colon[1])
        return -1;
    size_t n = (size_t)(colon - ref);
    if (n >= ns || strlen(colon + 1) >= ni)
        return -1;
    memcpy(source, ref, n);
    source[n] = '\0';
    snprintf(id, ni, "%s", colon + 1);
    return 0;
}
