/*
 * An exclusive advisory lock on a file (flock), held for the life of a process that owns a data
 * directory: `aurum serve` and offline `aurum import` both take DIR/aurum.lock so they never
 * write the same store at once. The kernel drops the lock when the process dies (kill -9 too).
 */
#ifndef AU_LOCKFILE_H
#define AU_LOCKFILE_H

#include "lib/rc.h"

/* Creates the directory `dir` if missing and takes an exclusive non-blocking lock on
 * dir/aurum.lock. AU_ERR_BUSY when another process holds it. *fd is released with
 * au_lockfile_release. */
AU_MUST_USE au_rc au_lockfile_acquire(const char *dir, int *fd, au_err *err);
/* Releases and closes; fd < 0 is a no-op. */
void au_lockfile_release(int fd);

#endif
