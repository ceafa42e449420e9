/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* The SQLite backend's list of workspaces and the removal of one. */
#include "base/common.h"

#include "store_sqlite_int.h"

static const char sql_workspace_list[] =
    "SELECT id, name, default_region, created_ms FROM workspaces "
    "ORDER BY id";

/*
 * One DELETE per table, rows that reference others first, so that no
 * foreign key fails on the way. The order matches
 * store__workspace_tables[].
 */
static const char *const sql_workspace_delete[STORE_WORKSPACE_TABLES] = {
    "DELETE FROM oauth_attempts WHERE workspace_id = ?",
    "DELETE FROM sessions WHERE workspace_id = ?",
    "DELETE FROM api_tokens WHERE workspace_id = ?",
    "DELETE FROM users WHERE workspace_id = ?",
    "DELETE FROM conflicts WHERE workspace_id = ?",
    "DELETE FROM sync_errors WHERE workspace_id = ?",
    "DELETE FROM outbox WHERE workspace_id = ?",
    "DELETE FROM links WHERE workspace_id = ?",
    "DELETE FROM create_intents WHERE workspace_id = ?",
    "DELETE FROM tombstones WHERE workspace_id = ?",
    "DELETE FROM runs WHERE workspace_id = ?",
    "DELETE FROM cursors WHERE workspace_id = ?",
    "DELETE FROM credentials WHERE workspace_id = ?",
    "DELETE FROM settings WHERE workspace_id = ?",
    "DELETE FROM locks WHERE workspace_id = ?",
    "DELETE FROM leases WHERE workspace_id = ?",
    "DELETE FROM contacts WHERE workspace_id = ?",
    "DELETE FROM workspaces WHERE id = ?",
};

int store_sqlite__workspace_list(struct store *base,
                                 struct store_workspace **out,
                                 size_t *out_count, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list workspaces";
    struct store_workspace *items = NULL;
    size_t count = 0, cap = 0;
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_workspace_list, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        const char *region = (const char *)sqlite3_column_text(st, 2);
        struct store_workspace *w;

        items = xgrow(items, &cap, count + 1, sizeof(*items));
        w = &items[count++];
        memset(w, 0, sizeof(*w));
        w->id = sqlite3_column_int64(st, 0);
        w->name = store_sqlite__column_text(st, 1);
        snprintf(w->default_region, sizeof(w->default_region), "%s",
                 region ? region : PHONE_DEFAULT_REGION);
        w->created_ms = sqlite3_column_int64(st, 3);
    }
    store_sqlite__done(st);
    if (rc < 0) {
        store_workspaces_free(items, count);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}

int store_sqlite__workspace_delete(struct store *base, int64_t ws,
                                   struct store_table_count *counts,
                                   struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "remove workspace";
    bool owned;
    int rc;

    if ((rc = store_sqlite__tx_enter(s, &owned, err)) < 0)
        return rc;
    for (size_t i = 0; i < STORE_WORKSPACE_TABLES && rc == 0; i++) {
        sqlite3_stmt *st = store_sqlite__stmt(s, sql_workspace_delete[i], op,
                                              err);

        if (!st) {
            rc = SYNC_EDB;
            break;
        }
        store_sqlite__bind_int64(st, 1, ws);
        rc = store_sqlite__step(s, st, op, err);
        store_sqlite__done(st);
        if (rc < 0)
            break;
        rc = 0;
        counts[i].table = store__workspace_tables[i];
        counts[i].rows = sqlite3_changes64(s->db);
    }
    if (rc == 0 && counts[STORE_WORKSPACE_TABLES - 1].rows == 0)
        rc = err_set(err, SYNC_ENOTFOUND, "workspace %lld not found",
                     (long long)ws);
    return store_sqlite__tx_leave(s, owned, rc, err);
}
