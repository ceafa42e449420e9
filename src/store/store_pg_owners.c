/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The owners of running runs and the back links of linked records in the
 * PostgreSQL backend. store_owners.c has already checked the arguments.
 */
#include "base/common.h"

#include "base/datetime.h"
#include "store_pg_int.h"

static const char sql_run_list_running[] =
    "SELECT id, coalesce(owner_pid, 0), coalesce(owner_start, 0) FROM runs "
    "WHERE workspace_id = $1 AND status = 'running' ORDER BY id";
static const char sql_run_abandon[] =
    "UPDATE runs SET status = 'abandoned', error_code = 'abandoned', "
    "finished_ms = $1, message = $2 WHERE id = $3 AND workspace_id = $4 AND status = 'running'";
static const char sql_link_backlink_set[] =
    "UPDATE links SET backlink = $1 WHERE workspace_id = $2 AND sf_id = $3";
/* IS DISTINCT FROM lists the links whose back link is unknown (NULL) as
 * well as those that hold another value. */
static const char sql_link_backlink_stale[] =
    "SELECT contact_id, sf_id FROM links "
    "WHERE workspace_id = $1 AND sf_object = $2 AND contact_id > $3 "
    "AND backlink IS DISTINCT FROM ($4::text || contact_id::text) "
    "ORDER BY contact_id LIMIT $5";

int store_pg__run_list_running(struct store *base, int64_t ws,
                               struct store_run_owner **out,
                               size_t *out_count, struct err *err)
{
    struct store_pg_params p;
    struct store_run_owner *items;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(store_pg__from(base), sql_run_list_running, &p,
                              false, "list running runs", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    items = rows ? xcalloc((size_t)rows, sizeof(*items)) : NULL;
    for (int i = 0; i < rows; i++) {
        items[i].run_id = store_pg__int64(res, i, 0);
        items[i].pid = store_pg__int64(res, i, 1);
        items[i].start = store_pg__int64(res, i, 2);
    }
    PQclear(res);
    *out = items;
    *out_count = (size_t)rows;
    return 0;
}

int store_pg__run_abandon(struct store *base, int64_t ws, int64_t run_id,
                          const char *message, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, datetime_now_ms());
    store_pg__param_text(&p, message);
    store_pg__param_int64(&p, run_id);
    store_pg__param_int64(&p, ws);
    return store_pg__run_command(store_pg__from(base), sql_run_abandon, &p,
                                 "mark run abandoned", err);
}

int store_pg__link_backlinks_set(struct store *base, int64_t ws,
                                 const char *const *sf_ids,
                                 const char *const *values, size_t n,
                                 struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    bool owned;
    int rc;

    /* A savepoint inside the caller's transaction, so that a failure
     * undoes only this batch, as in the SQLite backend. */
    if ((rc = store_pg__tx_enter(s, &owned, true, err)) < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct store_pg_params p;

        store_pg__params_init(&p);
        store_pg__param_text(&p, values[i]);
        store_pg__param_int64(&p, ws);
        store_pg__param_text(&p, sf_ids[i]);
        rc = store_pg__run_command(s, sql_link_backlink_set, &p,
                                   "record back links", err);
    }
    return store_pg__tx_leave(s, owned, true, rc, err);
}

int store_pg__link_backlinks_stale(struct store *base, int64_t ws,
                                   enum sf_object object, const char *prefix,
                                   int64_t after_id, size_t limit,
                                   struct store_backlink **out,
                                   size_t *out_count, struct err *err)
{
    struct store_pg_params p;
    struct store_backlink *items;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, store_pg__object_column((int)object));
    store_pg__param_int64(&p, after_id);
    store_pg__param_text(&p, prefix);
    store_pg__param_int64(&p, store_pg__list_limit(limit));
    if (!(res = store_pg__run(store_pg__from(base), sql_link_backlink_stale,
                              &p, false, "list stale back links", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    items = rows ? xcalloc((size_t)rows, sizeof(*items)) : NULL;
    for (int i = 0; i < rows; i++) {
        items[i].contact_id = store_pg__int64(res, i, 0);
        snprintf(items[i].sf_id, sizeof(items[i].sf_id), "%s",
                 PQgetvalue(res, i, 1));
    }
    PQclear(res);
    *out = items;
    *out_count = (size_t)rows;
    return 0;
}
