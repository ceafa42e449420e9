/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The owners of running runs and the back links of linked records in the
 * SQLite backend. store_owners.c has already checked the arguments.
 */
#include "base/common.h"

#include "base/datetime.h"
#include "store_sqlite_int.h"

static const char sql_run_list_running[] =
    "SELECT id, coalesce(owner_pid, 0), coalesce(owner_start, 0) FROM runs "
    "WHERE workspace_id = ? AND status = 'running' ORDER BY id";
static const char sql_run_abandon[] =
    "UPDATE runs SET status = 'abandoned', error_code = 'abandoned', "
    "finished_ms = ?, message = ? WHERE id = ? AND workspace_id = ? AND status = 'running'";
static const char sql_link_backlink_set[] =
    "UPDATE links SET backlink = ? WHERE workspace_id = ? AND sf_id = ?";
static const char sql_link_backlink_stale[] =
    "SELECT contact_id, sf_id FROM links "
    "WHERE workspace_id = ?1 AND sf_object = ?2 AND contact_id > ?3 "
    "AND backlink IS NOT (?4 || contact_id) ORDER BY contact_id LIMIT ?5";

int store_sqlite__run_list_running(struct store *base, int64_t ws,
                                   struct store_run_owner **out,
                                   size_t *out_count, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list running runs";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_run_list_running, op, err);
    struct store_run_owner *items = NULL;
    size_t count = 0, cap = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        items = xgrow(items, &cap, count + 1, sizeof(*items));
        items[count].run_id = sqlite3_column_int64(st, 0);
        items[count].pid = sqlite3_column_int64(st, 1);
        items[count].start = sqlite3_column_int64(st, 2);
        count++;
    }
    store_sqlite__done(st);
    if (rc < 0) {
        free(items);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}

int store_sqlite__run_abandon(struct store *base, int64_t ws, int64_t run_id,
                              const char *message, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "mark run abandoned";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_run_abandon, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, datetime_now_ms());
    store_sqlite__bind_text(st, 2, message);
    store_sqlite__bind_int64(st, 3, run_id);
    store_sqlite__bind_int64(st, 4, ws);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

int store_sqlite__link_backlinks_set(struct store *base, int64_t ws,
                                     const char *const *sf_ids,
                                     const char *const *values, size_t n,
                                     struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "record back links";
    bool owned;
    int rc;

    if ((rc = store_sqlite__tx_enter(s, &owned, err)) < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        sqlite3_stmt *st =
            store_sqlite__stmt(s, sql_link_backlink_set, op, err);

        if (!st) {
            rc = SYNC_EDB;
            break;
        }
        store_sqlite__bind_text(st, 1, values[i]);
        store_sqlite__bind_int64(st, 2, ws);
        store_sqlite__bind_text(st, 3, sf_ids[i]);
        rc = store_sqlite__step(s, st, op, err);
        store_sqlite__done(st);
        if (rc > 0)
            rc = 0;
    }
    return store_sqlite__tx_leave(s, owned, rc, err);
}

int store_sqlite__link_backlinks_stale(struct store *base, int64_t ws,
                                       enum sf_object object,
                                       const char *prefix, int64_t after_id,
                                       size_t limit,
                                       struct store_backlink **out,
                                       size_t *out_count, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list stale back links";
    sqlite3_stmt *st =
        store_sqlite__stmt(s, sql_link_backlink_stale, op, err);
    struct store_backlink *items = NULL;
    size_t count = 0, cap = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, store_sqlite__object_column(object));
    store_sqlite__bind_int64(st, 3, after_id);
    store_sqlite__bind_text(st, 4, prefix);
    store_sqlite__bind_int64(st, 5, store_sqlite__list_limit(limit));
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        const char *id = (const char *)sqlite3_column_text(st, 1);

        items = xgrow(items, &cap, count + 1, sizeof(*items));
        items[count].contact_id = sqlite3_column_int64(st, 0);
        snprintf(items[count].sf_id, sizeof(items[count].sf_id), "%s",
                 id ? id : "");
        count++;
    }
    store_sqlite__done(st);
    if (rc < 0) {
        free(items);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}
