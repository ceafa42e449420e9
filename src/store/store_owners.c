/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The backend-neutral half of run owners and back links: who recorded a
 * run, whether its process may still run it, and the argument checks of
 * the back link operations.
 */
#include "base/common.h"

#include "store.h"

#include <inttypes.h>
#include <unistd.h>

#include "store_int.h"

/* Field 22 of /proc/PID/stat, the start time in clock ticks since boot,
 * or 0 when it cannot be read. */
static int64_t process_start(int64_t pid)
{
    char path[64], text[1024];
    const char *p;
    size_t len;
    FILE *f;
    int field;

    snprintf(path, sizeof(path), "/proc/%" PRId64 "/stat", pid);
    if (!(f = fopen(path, "r")))
        return 0;
    len = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[len] = '\0';
    /* The command name in brackets may hold spaces and brackets, so the
     * fields are counted from the last ')', which ends field 2. */
    if (!(p = strrchr(text, ')')))
        return 0;
    for (field = 2; *p && field < 22; p++)
        if (*p == ' ')
            field++;
    return field == 22 ? strtoll(p, NULL, 10) : 0;
}

void store__process_identity(int64_t *pid, int64_t *start)
{
    *pid = (int64_t)getpid();
    *start = process_start(*pid);
}

/* The lock that every pull and sync round holds while its run is
 * "running" (CLI_LOCK_NAME, WORKER_LOCK_NAME and SERVE_LOCK_NAME). */
#define RUN_LOCK_NAME "sync"

/* Whether o is this process, which may be running the run itself. */
static bool owner_is_self(const struct store_run_owner *o)
{
    int64_t pid, start;

    store__process_identity(&pid, &start);
    return o->pid == pid && (!o->start || !start || o->start == start);
}

int store_run_abandon_dead(struct store *s, int64_t workspace_id,
                           size_t *out_count, struct err *err)
{
    struct store_run_owner *owners = NULL;
    size_t n = 0, marked = 0;
    bool held_elsewhere = false;
    char message[160];
    int rc;

    if (out_count)
        *out_count = 0;
    /* NOTE: a backend without the run owner operations leaves every run
     * as it is, and one without the back link operations makes the sync
     * write no back links. */
    if (!s->ops->run_list_running || !s->ops->run_abandon)
        return 0;
    /* A run stays "running" only while its process holds the lock, which
     * the server or the kernel releases when that process ends. So while
     * another store holds it, the run may still run, on any host or in
     * any PID namespace. */
    if (!store__lock_held(s, workspace_id, RUN_LOCK_NAME) &&
        (rc = s->ops->lock_probe(s, workspace_id, RUN_LOCK_NAME,
                                 &held_elsewhere, err)) < 0)
        return rc;
    if (held_elsewhere)
        return 0;
    if ((rc = s->ops->run_list_running(s, workspace_id, &owners, &n,
                                       err)) < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (owners[i].pid <= 0 || owner_is_self(&owners[i]))
            continue;
        snprintf(message, sizeof(message),
                 "no process holds the workspace lock for it any more "
                 "(its process %" PRId64 " ended or lost its database "
                 "connection)",
                 owners[i].pid);
        rc = s->ops->run_abandon(s, workspace_id, owners[i].run_id, message,
                                 err);
        if (rc == 0) {
            marked++;
            log_warn("store", "run marked abandoned",
                     "run=%" PRId64 " pid=%" PRId64, owners[i].run_id,
                     owners[i].pid);
        }
    }
    free(owners);
    if (out_count)
        *out_count = marked;
    return rc;
}

int store_link_backlinks_set(struct store *s, int64_t workspace_id,
                             const char *const *sf_ids,
                             const char *const *values, size_t n,
                             struct err *err)
{
    if (n == 0 || !s->ops->link_backlinks_set)
        return 0;
    return s->ops->link_backlinks_set(s, workspace_id, sf_ids, values, n,
                                      err);
}

int store_link_backlinks_stale(struct store *s, int64_t workspace_id,
                               enum sf_object object, const char *prefix,
                               int64_t after_id, size_t limit,
                               struct store_backlink **out,
                               size_t *out_count, struct err *err)
{
    *out = NULL;
    *out_count = 0;
    if (!prefix || !*prefix)
        return err_set(err, SYNC_EINVALID,
                       "the back link prefix is empty: set backlink_field "
                       "and public_url");
    if (!s->ops->link_backlinks_stale)
        return 0;
    return s->ops->link_backlinks_stale(s, workspace_id, object, prefix,
                                        after_id, limit, out, out_count,
                                        err);
}
