/*
 * Data directory lock: flock(LOCK_EX | LOCK_NB) on DIR/aurum.lock. The file is never removed
 * (removing it would let two processes lock two different inodes).
 */
#include "lib/lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

au_rc au_lockfile_acquire(const char *dir, int *fd, au_err *err)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/aurum.lock", dir) >= (int)sizeof path)
        return au_err_set(err, AU_ERR_INVALID, "%s: path too long", dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return au_err_set(err, AU_ERR_IO, "%s: %s", dir, strerror(errno));
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0)
        return au_err_set(err, AU_ERR_IO, "%s: %s", path, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(f);
        if (e == EWOULDBLOCK)
            return au_err_set(err, AU_ERR_BUSY, "%s: data directory in use by another process",
                              dir);
        return au_err_set(err, AU_ERR_IO, "%s: %s", path, strerror(e));
    }
    *fd = f;
    return AU_OK;
}

void au_lockfile_release(int fd)
{
    if (fd < 0)
        return;
    flock(fd, LOCK_UN);
    close(fd);
}
