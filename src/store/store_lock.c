/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The backend-neutral half of workspace locks. The lock itself is one that
 * the database server or the kernel releases when its holder ends (see
 * lock_take of each backend). The locks row only describes the holder for
 * messages, and is written after the lock is taken.
 */
#include "base/common.h"

#include "store.h"

#include <unistd.h>

#include "base/datetime.h"
#include "store_int.h"

/* Lock names become part of a file name on SQLite. */
static int check_lock_name(const char *name, struct err *err)
{
    size_t len = name ? strlen(name) : 0;

    if (len == 0 || len >= sizeof(((struct store_lock *)0)->name) ||
        strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != len)
        return err_set(err, SYNC_EINVALID,
                       "invalid lock name '%s': use 1 to 31 characters of "
                       "a-z, 0-9, '_' and '-'",
                       name ? name : "");
    return 0;
}

static struct store_held_lock *find_held(const struct store *s, int64_t ws,
                                         const char *name)
{
    for (size_t i = 0; i < s->held_count; i++)
        if (s->held[i].workspace_id == ws &&
            strcmp(s->held[i].name, name) == 0)
            return (struct store_held_lock *)&s->held[i];
    return NULL;
}

bool store__lock_held(const struct store *s, int64_t ws, const char *name)
{
    return find_held(s, ws, name) != NULL;
}

static void forget_held(struct store *s, struct store_held_lock *h)
{
    *h = s->held[--s->held_count];
    if (s->held_count == 0)
        s->locks_lost = false;
}

void store__locks_drop_all(struct store *s)
{
    while (s->held_count > 0) {
        struct store_held_lock *h = &s->held[s->held_count - 1];

        if (!s->locks_lost)
            s->ops->lock_drop(s, h->workspace_id, h->name, h->fd);
        forget_held(s, h);
    }
}

/* Fill err with the refusal naming the holder that its row describes. */
static int refuse(struct store *s, int64_t ws, const char *name,
                  struct store_lock *holder, struct err *err)
{
    char since[DATETIME_LEN];
    struct err row_err;

    if (s->ops->lock_get(s, ws, name, holder, &row_err) < 0 ||
        !holder->command[0]) {
        memset(holder, 0, sizeof(*holder));
        return err_set(err, SYNC_ECONFLICT,
                       "another sfsync process holds this workspace's %s "
                       "lock and has not recorded its command yet; wait "
                       "for it to finish and run the command again",
                       name);
    }
    datetime_format_z(holder->started_ms, since);
    return err_set(err, SYNC_ECONFLICT,
                   "'%s' is running on host '%s' as process %lld since %s "
                   "and holds this workspace's %s lock; wait for it to "
                   "finish or stop that process",
                   holder->command, holder->host[0] ? holder->host : "unknown",
                   (long long)holder->pid, since, name);
}

/* Write this process's description of the lock into its row. */
static int describe(struct store *s, int64_t ws, const char *name,
                    int64_t pid, const char *command, struct err *err)
{
    struct store_lock lock, previous;
    struct err row_err;

    memset(&lock, 0, sizeof(lock));
    lock.workspace_id = ws;
    snprintf(lock.name, sizeof(lock.name), "%s", name);
    lock.pid = pid;
    lock.started_ms = datetime_now_ms();
    if (gethostname(lock.host, sizeof(lock.host)) < 0)
        lock.host[0] = '\0';
    lock.host[sizeof(lock.host) - 1] = '\0';
    snprintf(lock.command, sizeof(lock.command), "%s",
             command && *command ? command : "sfsync");
    memset(&previous, 0, sizeof(previous));
    if (s->ops->lock_get(s, ws, name, &previous, &row_err) == 0)
        log_info("store", "lock row of an ended holder replaced",
                 "workspace=%lld lock=%s pid=%lld host='%s'",
                 (long long)ws, name, (long long)previous.pid,
                 previous.host);
    return s->ops->lock_put(s, &lock, err);
}

int store_lock_acquire(struct store *s, int64_t workspace_id,
                       const char *name, int64_t pid, const char *command,
                       struct store_lock *holder, struct err *err)
{
    struct store_held_lock *h;
    int fd = -1;
    int rc;

    memset(holder, 0, sizeof(*holder));
    if ((rc = check_lock_name(name, err)) < 0)
        return rc;
    if (store__lock_held(s, workspace_id, name))
        return 0;
    if (s->held_count == STORE_HELD_LOCKS)
        return err_set(err, SYNC_EINVALID,
                       "lock '%s' not taken: this store holds %d locks "
                       "already, the maximum",
                       name, STORE_HELD_LOCKS);
    rc = s->ops->lock_take(s, workspace_id, name, &fd, err);
    if (rc == SYNC_ECONFLICT)
        return refuse(s, workspace_id, name, holder, err);
    if (rc < 0)
        return rc;
    h = &s->held[s->held_count++];
    h->workspace_id = workspace_id;
    snprintf(h->name, sizeof(h->name), "%s", name);
    h->fd = fd;
    if ((rc = describe(s, workspace_id, name, pid, command, err)) < 0) {
        s->ops->lock_drop(s, workspace_id, name, fd);
        forget_held(s, h);
        return rc;
    }
    return 0;
}

int store_lock_release(struct store *s, int64_t workspace_id,
                       const char *name, int64_t pid, struct err *err)
{
    struct store_held_lock *h = find_held(s, workspace_id, name);
    int rc = 0;

    if (!h)
        return 0;
    /* After a lost connection another process may hold the lock and own
     * the row, so the row stays for that process to overwrite. */
    if (!s->locks_lost)
        rc = s->ops->lock_delete(s, workspace_id, name, pid, err);
    if (!s->locks_lost)
        s->ops->lock_drop(s, workspace_id, name, h->fd);
    forget_held(s, h);
    return rc;
}
