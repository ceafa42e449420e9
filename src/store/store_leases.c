/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The calls of sfsync worker: the list of workspaces (both backends), the
 * leases that keep two workers off one workspace, and the wait for outbox
 * notifications, which only the PostgreSQL backend has
 * (store_pg_leases.c).
 */
#include "base/common.h"

#include "base/datetime.h"
#include "store_int.h"

static int unsupported(struct store *s, const char *what, struct err *err)
{
    return err_set(err, SYNC_EINVALID,
                   "%s needs a PostgreSQL store, not %s: give --db a "
                   "postgresql:// URI",
                   what, s->ops->name);
}

static int check_owner(const char *owner, struct err *err)
{
    if (!owner || !*owner)
        return err_set(err, SYNC_EINVALID,
                       "invalid lease owner '': give a worker name");
    return 0;
}

int store_workspace_list(struct store *s, struct store_workspace **out,
                         size_t *out_count, struct err *err)
{
    *out = NULL;
    *out_count = 0;
    if (!s->ops->workspace_list)
        return unsupported(s, "listing workspaces", err);
    return s->ops->workspace_list(s, out, out_count, err);
}

void store_workspaces_free(struct store_workspace *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        store_workspace_release(&list[i]);
    free(list);
}

int store_clock_ms(struct store *s, int64_t *out_ms, struct err *err)
{
    if (!s->ops->clock_ms) {
        *out_ms = datetime_now_ms();
        return 0;
    }
    return s->ops->clock_ms(s, out_ms, err);
}

int store_lease_take(struct store *s, int64_t workspace_id,
                     const char *owner, int64_t synced_before_ms,
                     int64_t until_ms, int64_t *out_ws, struct err *err)
{
    int rc;

    *out_ws = 0;
    if (!s->ops->lease_take)
        return unsupported(s, "a workspace lease", err);
    if ((rc = check_owner(owner, err)) < 0)
        return rc;
    return s->ops->lease_take(s, workspace_id, owner, synced_before_ms,
                              until_ms, out_ws, err);
}

int store_lease_renew(struct store *s, int64_t workspace_id,
                      const char *owner, int64_t until_ms, struct err *err)
{
    int rc;

    if (!s->ops->lease_renew)
        return unsupported(s, "a workspace lease", err);
    if ((rc = check_owner(owner, err)) < 0)
        return rc;
    return s->ops->lease_renew(s, workspace_id, owner, until_ms, err);
}

int store_lease_release(struct store *s, int64_t workspace_id,
                        const char *owner, int64_t synced_ms,
                        struct err *err)
{
    int rc;

    if (!s->ops->lease_release)
        return unsupported(s, "a workspace lease", err);
    if ((rc = check_owner(owner, err)) < 0)
        return rc;
    return s->ops->lease_release(s, workspace_id, owner, synced_ms, err);
}

int store_lease_get(struct store *s, int64_t workspace_id,
                    struct store_lease *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->ops->lease_get)
        return unsupported(s, "a workspace lease", err);
    return s->ops->lease_get(s, workspace_id, out, err);
}

int store_notify_wait(struct store *s, int timeout_ms, int64_t *out_ws,
                      struct err *err)
{
    *out_ws = 0;
    if (!s->ops->notify_wait)
        return unsupported(s, "waiting for outbox notifications", err);
    return s->ops->notify_wait(s, timeout_ms < 0 ? 0 : timeout_ms, out_ws,
                               err);
}

void store_set_run_worker(struct store *s, const char *worker)
{
    free(s->run_worker);
    s->run_worker = worker ? xstrdup(worker) : NULL;
}
