/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* The PostgreSQL backend's removal of a workspace with all its rows. */
#include "base/common.h"

#include "store_pg_int.h"

/* As in store_sqlite_workspaces.c: rows that reference others first, in
 * the order of store__workspace_tables[]. */
static const char *const sql_workspace_delete[STORE_WORKSPACE_TABLES] = {
    "DELETE FROM oauth_attempts WHERE workspace_id = $1",
    "DELETE FROM sessions WHERE workspace_id = $1",
    "DELETE FROM api_tokens WHERE workspace_id = $1",
    "DELETE FROM users WHERE workspace_id = $1",
    "DELETE FROM conflicts WHERE workspace_id = $1",
    "DELETE FROM sync_errors WHERE workspace_id = $1",
    "DELETE FROM outbox WHERE workspace_id = $1",
    "DELETE FROM links WHERE workspace_id = $1",
    "DELETE FROM create_intents WHERE workspace_id = $1",
    "DELETE FROM tombstones WHERE workspace_id = $1",
    "DELETE FROM runs WHERE workspace_id = $1",
    "DELETE FROM cursors WHERE workspace_id = $1",
    "DELETE FROM credentials WHERE workspace_id = $1",
    "DELETE FROM settings WHERE workspace_id = $1",
    "DELETE FROM locks WHERE workspace_id = $1",
    "DELETE FROM leases WHERE workspace_id = $1",
    "DELETE FROM contacts WHERE workspace_id = $1",
    "DELETE FROM workspaces WHERE id = $1",
};

int store_pg__workspace_delete(struct store *base, int64_t ws,
                               struct store_table_count *counts,
                               struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    bool owned;
    int rc;

    if ((rc = store_pg__tx_enter(s, &owned, true, err)) < 0)
        return rc;
    for (size_t i = 0; i < STORE_WORKSPACE_TABLES; i++) {
        PGresult *res;

        store_pg__params_init(&p);
        store_pg__param_int64(&p, ws);
        res = store_pg__run(s, sql_workspace_delete[i], &p, false,
                            "remove workspace", err);
        if (!res) {
            rc = SYNC_EDB;
            break;
        }
        counts[i].table = store__workspace_tables[i];
        counts[i].rows = store_pg__changes(res);
        PQclear(res);
    }
    if (rc == 0 && counts[STORE_WORKSPACE_TABLES - 1].rows == 0)
        rc = err_set(err, SYNC_ENOTFOUND, "workspace %lld not found",
                     (long long)ws);
    return store_pg__tx_leave(s, owned, true, rc, err);
}
