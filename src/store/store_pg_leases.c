/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The worker's calls in the PostgreSQL backend: the workspace list, the
 * leases table and LISTEN sfsync_outbox. store_leases.c has already checked
 * the arguments.
 */
#include "base/common.h"

#include <errno.h>
#include <poll.h>

#include "store_pg_int.h"

static const char sql_workspace_list[] =
    "SELECT id, name, default_region, created_ms FROM workspaces "
    "ORDER BY id";
/* A lease row exists once a worker has looked at the workspace. */
static const char sql_lease_rows[] =
    "INSERT INTO leases (workspace_id) SELECT id FROM workspaces "
    "WHERE $1::bigint = 0 OR id = $1 ON CONFLICT DO NOTHING";
/* The standard queue pattern: the subquery locks one free row and skips
 * rows that another taker has locked, and READ COMMITTED rechecks its
 * condition against a row that a concurrent taker updated first. */
/* The server's clock in milliseconds, which judges every lease. */
#define SQL_CLOCK_MS "(extract(epoch FROM clock_timestamp()) * 1000)::bigint"
static const char sql_clock[] = "SELECT " SQL_CLOCK_MS;
static const char sql_lease_take[] =
    "UPDATE leases SET owner = $2, expires_ms = $3 "
    "WHERE workspace_id = ("
    "  SELECT workspace_id FROM leases "
    "  WHERE ($1::bigint = 0 OR workspace_id = $1) "
    "  AND expires_ms < " SQL_CLOCK_MS " "
    "  AND synced_ms < $4 ORDER BY synced_ms, workspace_id LIMIT 1 "
    "  FOR UPDATE SKIP LOCKED) "
    "RETURNING workspace_id";
static const char sql_lease_renew[] =
    "UPDATE leases SET expires_ms = $1 WHERE workspace_id = $2 "
    "AND owner = $3";
static const char sql_lease_release[] =
    "UPDATE leases SET owner = '', expires_ms = 0, synced_ms = $1 "
    "WHERE workspace_id = $2 AND owner = $3";
static const char sql_lease_get[] =
    "SELECT l.owner <> '' AND l.expires_ms >= c.now, l.synced_ms, c.now "
    "FROM (SELECT " SQL_CLOCK_MS " AS now) c "
    "LEFT JOIN leases l ON l.workspace_id = $1";
static const char sql_run_set_worker[] =
    "UPDATE runs SET worker = $1 WHERE id = $2 AND workspace_id = $3";

int store_pg__workspace_list(struct store *base, struct store_workspace **out,
                             size_t *out_count, struct err *err)
{
    struct store_workspace *items;
    PGresult *res;
    int rows;

    if (!(res = store_pg__run(store_pg__from(base), sql_workspace_list, NULL,
                              false, "list workspaces", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    items = rows ? xcalloc((size_t)rows, sizeof(*items)) : NULL;
    for (int i = 0; i < rows; i++) {
        items[i].id = store_pg__int64(res, i, 0);
        items[i].name = store_pg__text(res, i, 1);
        snprintf(items[i].default_region, sizeof(items[i].default_region),
                 "%s", PQgetvalue(res, i, 2));
        items[i].created_ms = store_pg__int64(res, i, 3);
    }
    PQclear(res);
    *out = items;
    *out_count = (size_t)rows;
    return 0;
}

int store_pg__clock_ms(struct store *base, int64_t *out_ms, struct err *err)
{
    PGresult *res;

    if (!(res = store_pg__run(store_pg__from(base), sql_clock, NULL, false,
                              "read the database clock", err)))
        return SYNC_EDB;
    *out_ms = store_pg__int64(res, 0, 0);
    PQclear(res);
    return 0;
}

int store_pg__lease_take(struct store *base, int64_t ws, const char *owner,
                         int64_t synced_before_ms, int64_t until_ms,
                         int64_t *out_ws, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    PGresult *res;
    int rc;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    if ((rc = store_pg__run_command(s, sql_lease_rows, &p,
                                    "add workspace leases", err)) < 0)
        return rc;
    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, owner);
    store_pg__param_int64(&p, until_ms);
    store_pg__param_int64(&p, synced_before_ms);
    if (!(res = store_pg__run(s, sql_lease_take, &p, false,
                              "take a workspace lease", err)))
        return SYNC_EDB;
    if (PQntuples(res) > 0)
        *out_ws = store_pg__int64(res, 0, 0);
    PQclear(res);
    return 0;
}

/* Run an UPDATE of owner's lease. Return SYNC_ENOTFOUND when it changed
 * no row, because another owner took the lease. */
static int lease_update(struct store_pg *s, const char *sql,
                        struct store_pg_params *p, int64_t ws,
                        const char *owner, const char *op, struct err *err)
{
    PGresult *res;
    int64_t changed;

    if (!(res = store_pg__run(s, sql, p, false, op, err)))
        return SYNC_EDB;
    changed = store_pg__changes(res);
    PQclear(res);
    if (changed == 0)
        return err_set(err, SYNC_ENOTFOUND,
                       "%s failed: '%s' does not hold the lease of "
                       "workspace %lld; another worker took it after it "
                       "expired",
                       op, owner, (long long)ws);
    return 0;
}

int store_pg__lease_renew(struct store *base, int64_t ws, const char *owner,
                          int64_t until_ms, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, until_ms);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, owner);
    return lease_update(store_pg__from(base), sql_lease_renew, &p, ws, owner,
                        "renew a workspace lease", err);
}

int store_pg__lease_release(struct store *base, int64_t ws,
                            const char *owner, int64_t synced_ms,
                            struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, synced_ms);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, owner);
    return lease_update(store_pg__from(base), sql_lease_release, &p, ws,
                        owner, "release a workspace lease", err);
}

int store_pg__run_set_worker(struct store *base, int64_t ws, int64_t run_id,
                             const char *worker, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_text(&p, worker);
    store_pg__param_int64(&p, run_id);
    store_pg__param_int64(&p, ws);
    return store_pg__run_command(store_pg__from(base), sql_run_set_worker,
                                 &p, "record the run's worker", err);
}

int store_pg__lease_get(struct store *base, int64_t ws,
                        struct store_lease *out, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(store_pg__from(base), sql_lease_get, &p, false,
                              "read a workspace lease", err)))
        return SYNC_EDB;
    /* The columns of a missing lease row are NULL: free, never synced. */
    out->held = store_pg__bool(res, 0, 0);
    out->synced_ms = store_pg__int64(res, 0, 1);
    out->now_ms = store_pg__int64(res, 0, 2);
    PQclear(res);
    return 0;
}

/* Take the oldest queued notification of the outbox channel, if any. */
static bool next_notification(struct store_pg *s, int64_t *out_ws)
{
    PGnotify *n;

    while ((n = PQnotifies(s->conn))) {
        char *end;
        long long ws = strtoll(n->extra, &end, 10);
        bool ours = strcmp(n->relname, "sfsync_outbox") == 0 && !*end;

        PQfreemem(n);
        if (ours && ws > 0) {
            *out_ws = ws;
            return true;
        }
    }
    return false;
}

int store_pg__notify_wait(struct store *base, int timeout_ms,
                          int64_t *out_ws, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct pollfd pfd;
    int rc;

    /* LISTEN again on every call: it costs a round trip and keeps the
     * channel after the store reconnected a lost connection. */
    if ((rc = store_pg__exec(s, "LISTEN sfsync_outbox",
                             "listen for outbox entries", err)) < 0)
        return rc;
    if (next_notification(s, out_ws))
        return 0;
    pfd.fd = PQsocket(s->conn);
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (pfd.fd < 0)
        return err_set(err, SYNC_EDB,
                       "wait for outbox entries failed: no connection to "
                       "PostgreSQL server '%s'",
                       s->display);
    rc = poll(&pfd, 1, timeout_ms);
    if (rc < 0 && errno == EINTR)
        return 0;
    if (rc < 0)
        return err_set(err, SYNC_EDB,
                       "wait for outbox entries failed: %s",
                       strerror(errno));
    if (rc > 0 && !PQconsumeInput(s->conn)) {
        char line[ERR_MSG_MAX];

        store_pg__error_line(PQerrorMessage(s->conn), line, sizeof(line));
        return store_pg__fail_text(err, line,
                                   "wait for outbox entries failed on "
                                   "PostgreSQL server '%s'",
                                   s->display);
    }
    next_notification(s, out_ws);
    return 0;
}
