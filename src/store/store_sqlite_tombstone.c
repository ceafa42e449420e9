/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Tombstones in the SQLite backend, what became of the Salesforce record
 * of a contact without a link, and the workspace locks. store.c has
 * already checked the arguments and canonicalised the Salesforce ids.
 */
#include "base/common.h"

#include "base/datetime.h"
#include "store_sqlite_int.h"

static const char sql_tombstone_put[] =
    "INSERT INTO tombstones (contact_id, workspace_id, sf_object, sf_id, "
    "survivor_id, created_ms) "
    "SELECT id, workspace_id, ?, ?, ?, ? FROM contacts "
    "WHERE id = ? AND workspace_id = ? "
    "ON CONFLICT (contact_id) DO UPDATE SET sf_object = excluded.sf_object, "
    "sf_id = excluded.sf_id, survivor_id = excluded.survivor_id, "
    "created_ms = excluded.created_ms";
static const char sql_tombstone_get[] =
    "SELECT contact_id, workspace_id, sf_object, sf_id, survivor_id, "
    "created_ms FROM tombstones WHERE workspace_id = ? AND contact_id = ?";
static const char sql_tombstone_delete[] =
    "DELETE FROM tombstones WHERE workspace_id = ? AND contact_id = ?";

int store_sqlite__tombstone_put(struct store *base, struct store_tombstone *t,
                                struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "record tombstone";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_tombstone_put, op, err);
    int64_t now = datetime_now_ms();
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_text(st, 1, mapping_object_name(t->object));
    store_sqlite__bind_text(st, 2, t->sf_id);
    if (t->survivor_id > 0)
        store_sqlite__bind_int64(st, 3, t->survivor_id);
    store_sqlite__bind_int64(st, 4, now);
    store_sqlite__bind_int64(st, 5, t->contact_id);
    store_sqlite__bind_int64(st, 6, t->workspace_id);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return err_set(err, SYNC_ENOTFOUND, "contact %lld not found",
                       (long long)t->contact_id);
    t->created_ms = now;
    return 0;
}

int store_sqlite__tombstone_get(struct store *base, int64_t ws,
                                int64_t contact_id,
                                struct store_tombstone *out, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "get tombstone";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_tombstone_get, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, contact_id);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1) {
        const char *id = (const char *)sqlite3_column_text(st, 3);

        out->contact_id = sqlite3_column_int64(st, 0);
        out->workspace_id = sqlite3_column_int64(st, 1);
        out->object = (enum sf_object)store_sqlite__object_from_column(st, 2);
        snprintf(out->sf_id, sizeof(out->sf_id), "%s", id ? id : "");
        out->survivor_id = sqlite3_column_int64(st, 4);
        out->created_ms = sqlite3_column_int64(st, 5);
    }
    store_sqlite__done(st);
    if (rc == 0)
        return err_set(err, SYNC_ENOTFOUND, "contact %lld has no tombstone",
                       (long long)contact_id);
    return rc < 0 ? rc : 0;
}

int store_sqlite__tombstone_delete(struct store *base, int64_t ws,
                                   int64_t contact_id, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "delete tombstone";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_tombstone_delete, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, contact_id);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static const char sql_lock_get[] =
    "SELECT workspace_id, name, pid, started_ms, host, command FROM locks "
    "WHERE workspace_id = ? AND name = ?";
static const char sql_lock_put[] =
    "INSERT INTO locks (workspace_id, name, pid, started_ms, host, command) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, name) "
    "DO UPDATE SET pid = excluded.pid, started_ms = excluded.started_ms, "
    "host = excluded.host, command = excluded.command";
static const char sql_lock_delete[] =
    "DELETE FROM locks WHERE workspace_id = ? AND name = ? AND pid = ?";

int store_sqlite__lock_get(struct store *base, int64_t ws, const char *name,
                           struct store_lock *out, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "get lock";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_lock_get, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, name);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1) {
        const char *n = (const char *)sqlite3_column_text(st, 1);

        out->workspace_id = sqlite3_column_int64(st, 0);
        snprintf(out->name, sizeof(out->name), "%s", n ? n : "");
        out->pid = sqlite3_column_int64(st, 2);
        out->started_ms = sqlite3_column_int64(st, 3);
        n = (const char *)sqlite3_column_text(st, 4);
        snprintf(out->host, sizeof(out->host), "%s", n ? n : "");
        n = (const char *)sqlite3_column_text(st, 5);
        snprintf(out->command, sizeof(out->command), "%s", n ? n : "");
    }
    store_sqlite__done(st);
    if (rc == 0)
        return err_set(err, SYNC_ENOTFOUND, "lock '%s' is not held", name);
    return rc < 0 ? rc : 0;
}

int store_sqlite__lock_put(struct store *base, const struct store_lock *lock,
                           struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "take lock";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_lock_put, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, lock->workspace_id);
    store_sqlite__bind_text(st, 2, lock->name);
    store_sqlite__bind_int64(st, 3, lock->pid);
    store_sqlite__bind_int64(st, 4, lock->started_ms);
    store_sqlite__bind_text(st, 5, lock->host);
    store_sqlite__bind_text(st, 6, lock->command);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

int store_sqlite__lock_delete(struct store *base, int64_t ws,
                              const char *name, int64_t pid, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "release lock";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_lock_delete, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, name);
    store_sqlite__bind_int64(st, 3, pid);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}
