/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Workspace locks of the SQLite backend: an open file description (OFD)
 * write lock on byte workspace_id of the file DATABASE.NAME.lock. The
 * kernel releases it when the descriptor closes, also when the process is
 * killed, and OFD locks conflict between processes in any PID namespace
 * of one kernel and between two stores of one process. SQLite's own POSIX
 * locks are on the database file, so this file never disturbs them.
 */
#include "base/common.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "store_sqlite_int.h"

static char *lock_path(struct store_sqlite *s, const char *name)
{
    return xasprintf("%s.%s.lock", s->path, name);
}

static void lock_range(struct flock *fl, short type, int64_t ws)
{
    memset(fl, 0, sizeof(*fl));
    fl->l_type = type;
    fl->l_whence = SEEK_SET;
    fl->l_start = (off_t)ws;
    fl->l_len = 1;
}

int store_sqlite__lock_take(struct store *base, int64_t ws, const char *name,
                            int *out_fd, struct err *err)
{
    char *path = lock_path(store_sqlite__from(base), name);
    struct flock fl;
    int fd, rc = 0;

    *out_fd = -1;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = err_set(err, SYNC_EIO,
                     "cannot open lock file '%s': %s; check that its "
                     "directory is writable",
                     path, strerror(errno));
        goto out;
    }
    lock_range(&fl, F_WRLCK, ws);
    if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
        if (errno == EAGAIN || errno == EACCES)
            rc = SYNC_ECONFLICT;
        else
            rc = err_set(err, SYNC_EIO, "cannot lock '%s': %s", path,
                         strerror(errno));
        close(fd);
        goto out;
    }
    *out_fd = fd;
out:
    free(path);
    return rc;
}

void store_sqlite__lock_drop(struct store *base, int64_t ws, const char *name,
                             int fd)
{
    (void)base;
    (void)ws;
    (void)name;
    if (fd >= 0)
        close(fd); /* releases the OFD lock */
}

int store_sqlite__lock_probe(struct store *base, int64_t ws,
                             const char *name, bool *out_held,
                             struct err *err)
{
    char *path = lock_path(store_sqlite__from(base), name);
    struct flock fl;
    int fd, rc = 0;

    *out_held = false;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        if (errno != ENOENT)
            rc = err_set(err, SYNC_EIO, "cannot open lock file '%s': %s",
                         path, strerror(errno));
        goto out;
    }
    lock_range(&fl, F_WRLCK, ws);
    if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
        rc = err_set(err, SYNC_EIO, "cannot test lock '%s': %s", path,
                     strerror(errno));
    else
        *out_held = fl.l_type != F_UNLCK;
    close(fd);
out:
    free(path);
    return rc;
}
