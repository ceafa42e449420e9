/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The SQLite backend: opening and migrating the file, the statement cache,
 * transactions, and every table but contacts and links, which live in
 * store_sqlite_contact.c.
 */
#include "base/common.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/datetime.h"
#include "model/utf8.h"
#include "store_sqlite_int.h"

/* How long a statement waits for another connection's write lock. */
#define BUSY_TIMEOUT_MS 5000

/* Largest page of runs or sync errors returned by one list call. */
#define LIST_MAX 1000

const char *store_sqlite__object_column(int object)
{
    return object >= 0 && object < SF_OBJECT_COUNT
               ? mapping_object_name((enum sf_object)object)
               : NULL;
}

int store_sqlite__object_from_column(sqlite3_stmt *st, int column)
{
    const char *name = (const char *)sqlite3_column_text(st, column);

    return name ? mapping_object_parse(name) : -1;
}

int store_sqlite__fail(struct store_sqlite *s, const char *op,
                       struct err *err)
{
    return err_set(err, SYNC_EDB, "%s failed: %s", op,
                   sqlite3_errmsg(s->db));
}

int store_sqlite__exec(sqlite3 *db, const char *sql, const char *op,
                       struct err *err)
{
    char *message = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &message) == SQLITE_OK)
        return 0;
    err_set(err, SYNC_EDB, "%s failed: %s", op,
            message ? message : sqlite3_errmsg(db));
    sqlite3_free(message);
    return SYNC_EDB;
}

sqlite3_stmt *store_sqlite__stmt(struct store_sqlite *s, const char *sql,
                                 const char *op, struct err *err)
{
    /* A multiplicative hash of the address spreads SQL constants that lie
     * a multiple of the slot count apart, which the low bits alone put in
     * one slot. A miss costs a hash of the whole SQL text. */
    size_t slot = (size_t)(((uint64_t)(uintptr_t)sql *
                            UINT64_C(0x9E3779B97F4A7C15)) >> 56) %
                  STORE_SQLITE_RECENT_SLOTS;
    sqlite3_stmt *st;

    if (s->recent[slot].sql == sql)
        return s->recent[slot].st;
    st = hmap_get(&s->stmts, sql);
    if (!st) {
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &st, NULL) != SQLITE_OK) {
            store_sqlite__fail(s, op, err);
            return NULL;
        }
        hmap_put(&s->stmts, sql, st);
    }
    s->recent[slot].sql = sql;
    s->recent[slot].st = st;
    return st;
}

int store_sqlite__step(struct store_sqlite *s, sqlite3_stmt *st,
                       const char *op, struct err *err)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    store_sqlite__fail(s, op, err);
    store_sqlite__done(st);
    return SYNC_EDB;
}

void store_sqlite__done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

void store_sqlite__bind_text(sqlite3_stmt *st, int index, const char *text)
{
    int rc = text ? sqlite3_bind_text(st, index, text, -1, SQLITE_TRANSIENT)
                  : sqlite3_bind_null(st, index);

    if (rc != SQLITE_OK)
        BUG("binding parameter %d failed: %s", index, sqlite3_errstr(rc));
}

void store_sqlite__bind_int64(sqlite3_stmt *st, int index, int64_t value)
{
    int rc = sqlite3_bind_int64(st, index, value);

    if (rc != SQLITE_OK)
        BUG("binding parameter %d failed: %s", index, sqlite3_errstr(rc));
}

void store_sqlite__bind_blob(sqlite3_stmt *st, int index, const void *data,
                             size_t len)
{
    int rc = sqlite3_bind_blob64(st, index, data, len, SQLITE_TRANSIENT);

    if (rc != SQLITE_OK)
        BUG("binding parameter %d failed: %s", index, sqlite3_errstr(rc));
}

char *store_sqlite__column_text(sqlite3_stmt *st, int column)
{
    return xstrdup((const char *)sqlite3_column_text(st, column));
}

/* Run a statement without parameters or rows through the statement
 * cache, which saves parsing the SQL of the savepoint that wraps every
 * store call inside a page's transaction. */
static int run_cached(struct store_sqlite *s, const char *sql, const char *op,
                      struct err *err)
{
    sqlite3_stmt *st = store_sqlite__stmt(s, sql, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

int store_sqlite__tx_enter(struct store_sqlite *s, bool *owned,
                           struct err *err)
{
    /* IMMEDIATE takes the write lock at once: a deferred transaction that
     * reads first can fail with SQLITE_BUSY, without waiting, when it later
     * writes. */
    *owned = sqlite3_get_autocommit(s->db) != 0;
    if (*owned)
        return store_sqlite__exec(s->db, "BEGIN IMMEDIATE",
                                  "begin transaction", err);
    return run_cached(s, "SAVEPOINT store_op", "savepoint", err);
}

int store_sqlite__tx_leave(struct store_sqlite *s, bool owned, int rc,
                           struct err *err)
{
    if (rc == 0) {
        rc = owned ? store_sqlite__exec(s->db, "COMMIT", "commit", err)
                   : run_cached(s, "RELEASE store_op", "commit", err);
        if (rc == 0)
            return 0;
    }
    /* The caller's error stays in err; these only undo the writes. */
    if (owned)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    else
        sqlite3_exec(s->db, "ROLLBACK TO store_op; RELEASE store_op", NULL,
                     NULL, NULL);
    return rc;
}

static int sqlite_begin(struct store *base, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    int rc;

    if (s->explicit_tx || !sqlite3_get_autocommit(s->db))
        return err_set(err, SYNC_EINVALID,
                       "a store transaction is already open; commit or roll "
                       "it back first");
    if ((rc = store_sqlite__exec(s->db, "BEGIN IMMEDIATE",
                                 "begin transaction", err)) < 0)
        return rc;
    s->explicit_tx = true;
    return 0;
}

static int sqlite_commit(struct store *base, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    int rc;

    if (!s->explicit_tx)
        return err_set(err, SYNC_EINVALID,
                       "no store transaction is open to commit");
    s->explicit_tx = false;
    rc = store_sqlite__exec(s->db, "COMMIT", "commit transaction", err);
    if (rc < 0 && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int sqlite_rollback(struct store *base, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);

    if (!s->explicit_tx)
        return err_set(err, SYNC_EINVALID,
                       "no store transaction is open to roll back");
    s->explicit_tx = false;
    /* SQLite may already have rolled back after an I/O or full-disk
     * error; then there is nothing left to undo. */
    if (sqlite3_get_autocommit(s->db))
        return 0;
    return store_sqlite__exec(s->db, "ROLLBACK", "roll back transaction",
                              err);
}

static void finalize_all(struct store_sqlite *s)
{
    for (size_t i = 0; i < s->stmts.cap; i++)
        if (s->stmts.slots[i].key)
            sqlite3_finalize(s->stmts.slots[i].value);
    hmap_release(&s->stmts);
    memset(s->recent, 0, sizeof(s->recent));
}

static void sqlite_close(struct store *base)
{
    struct store_sqlite *s = store_sqlite__from(base);

    finalize_all(s);
    if (s->db && !sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(s->db);
    store_sqlite__contact_sql_release(s);
    free(s->path);
    free(s);
}

/* Workspaces. */

static const char sql_workspace_by_name[] =
    "SELECT id, name, default_region, created_ms FROM workspaces "
    "WHERE name = ?";
static const char sql_workspace_by_id[] =
    "SELECT id, name, default_region, created_ms FROM workspaces "
    "WHERE id = ?";
static const char sql_workspace_insert[] =
    "INSERT INTO workspaces (name, default_region, created_ms) "
    "VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING";
static const char sql_workspace_set_region[] =
    "UPDATE workspaces SET default_region = ? WHERE id = ?";

static void read_workspace(sqlite3_stmt *st, struct store_workspace *out)
{
    const char *region = (const char *)sqlite3_column_text(st, 2);

    free(out->name);
    out->id = sqlite3_column_int64(st, 0);
    out->name = store_sqlite__column_text(st, 1);
    snprintf(out->default_region, sizeof(out->default_region), "%s",
             region ? region : PHONE_DEFAULT_REGION);
    out->created_ms = sqlite3_column_int64(st, 3);
}

/* Look a workspace up by name (name non-NULL) or id. */
static int find_workspace(struct store_sqlite *s, const char *name,
                          int64_t id, struct store_workspace *out,
                          struct err *err)
{
    const char *op = "get workspace";
    sqlite3_stmt *st;
    int rc;

    st = store_sqlite__stmt(s, name ? sql_workspace_by_name
                                    : sql_workspace_by_id,
                            op, err);
    if (!st)
        return SYNC_EDB;
    if (name)
        store_sqlite__bind_text(st, 1, name);
    else
        store_sqlite__bind_int64(st, 1, id);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        read_workspace(st, out);
    store_sqlite__done(st);
    if (rc == 0) {
        if (name)
            return err_set(err, SYNC_ENOTFOUND,
                           "workspace '%s' not found", name);
        return err_set(err, SYNC_ENOTFOUND, "workspace %lld not found",
                       (long long)id);
    }
    return rc < 0 ? rc : 0;
}

static int insert_workspace(struct store_sqlite *s, const char *name,
                            struct err *err)
{
    const char *op = "create workspace";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_workspace_insert, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_text(st, 1, name);
    store_sqlite__bind_text(st, 2, PHONE_DEFAULT_REGION);
    store_sqlite__bind_int64(st, 3, datetime_now_ms());
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static int sqlite_workspace_get(struct store *base, const char *name,
                                bool create, struct store_workspace *out,
                                struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    int rc;

    rc = find_workspace(s, name, 0, out, err);
    if (rc != SYNC_ENOTFOUND || !create)
        return rc;
    err_clear(err);
    /* ON CONFLICT DO NOTHING lets two processes create the same name. */
    if ((rc = insert_workspace(s, name, err)) < 0)
        return rc;
    return find_workspace(s, name, 0, out, err);
}

static int sqlite_workspace_get_by_id(struct store *base, int64_t id,
                                      struct store_workspace *out,
                                      struct err *err)
{
    return find_workspace(store_sqlite__from(base), NULL, id, out, err);
}

static int sqlite_workspace_set_region(struct store *base, int64_t id,
                                       const char *region, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "set workspace region";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_workspace_set_region, op,
                                          err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_text(st, 1, region);
    store_sqlite__bind_int64(st, 2, id);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return err_set(err, SYNC_ENOTFOUND, "workspace %lld not found",
                       (long long)id);
    return 0;
}

/* Settings. */

static const char sql_setting_get[] =
    "SELECT value FROM settings WHERE workspace_id = ? AND key = ?";
static const char sql_setting_set[] =
    "INSERT INTO settings (workspace_id, key, value, updated_ms) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (workspace_id, key) "
    "DO UPDATE SET value = excluded.value, updated_ms = excluded.updated_ms";
static const char sql_setting_delete[] =
    "DELETE FROM settings WHERE workspace_id = ? AND key = ?";
static const char sql_setting_list[] =
    "SELECT key, value FROM settings WHERE workspace_id = ? ORDER BY key";

static int sqlite_setting_get(struct store *base, int64_t ws,
                              const char *key, char **out_value,
                              struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "get setting";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_setting_get, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, key);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        *out_value = store_sqlite__column_text(st, 0);
    store_sqlite__done(st);
    if (rc == 0)
        return err_set(err, SYNC_ENOTFOUND, "setting '%s' not found", key);
    return rc < 0 ? rc : 0;
}

static int sqlite_setting_set(struct store *base, int64_t ws,
                              const char *key, const char *value,
                              struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = value ? "set setting" : "delete setting";
    sqlite3_stmt *st;
    int rc;

    st = store_sqlite__stmt(s, value ? sql_setting_set : sql_setting_delete,
                            op, err);
    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, key);
    if (value) {
        store_sqlite__bind_text(st, 3, value);
        store_sqlite__bind_int64(st, 4, datetime_now_ms());
    }
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static int sqlite_setting_list(struct store *base, int64_t ws,
                               struct store_setting **out, size_t *out_count,
                               struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list settings";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_setting_list, op, err);
    struct store_setting *items = NULL;
    size_t count = 0, cap = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        items = xgrow(items, &cap, count + 1, sizeof(*items));
        items[count].key = store_sqlite__column_text(st, 0);
        items[count].value = store_sqlite__column_text(st, 1);
        count++;
    }
    store_sqlite__done(st);
    if (rc < 0) {
        store_settings_free(items, count);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}

/* Cursors. */

static const char sql_cursor_get[] =
    "SELECT modstamp_ms, last_id FROM cursors "
    "WHERE workspace_id = ? AND sf_object = ?";
static const char sql_cursor_set[] =
    "INSERT INTO cursors (workspace_id, sf_object, modstamp_ms, last_id, "
    "updated_ms) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (workspace_id, sf_object) DO UPDATE SET "
    "modstamp_ms = excluded.modstamp_ms, last_id = excluded.last_id, "
    "updated_ms = excluded.updated_ms";

static int sqlite_cursor_get(struct store *base, int64_t ws,
                             enum sf_object object, struct store_cursor *out,
                             struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "get cursor";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_cursor_get, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, mapping_object_name(object));
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1) {
        const char *id = (const char *)sqlite3_column_text(st, 1);

        out->modstamp_ms = sqlite3_column_int64(st, 0);
        snprintf(out->last_id, sizeof(out->last_id), "%s", id ? id : "");
    }
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static int sqlite_cursor_set(struct store *base, int64_t ws,
                             enum sf_object object,
                             const struct store_cursor *cursor,
                             struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "set cursor";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_cursor_set, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, mapping_object_name(object));
    store_sqlite__bind_int64(st, 3, cursor->modstamp_ms);
    store_sqlite__bind_text(st, 4, cursor->last_id);
    store_sqlite__bind_int64(st, 5, datetime_now_ms());
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

/* Runs. */

static const char sql_run_begin[] =
    "INSERT INTO runs (workspace_id, kind, sf_object, started_ms, status, "
    "owner_pid, owner_start) VALUES (?, ?, ?, ?, 'running', ?, ?)";
static const char sql_run_finish[] =
    "UPDATE runs SET finished_ms = ?, status = ?, created = ?, updated = ?, "
    "unchanged = ?, skipped = ?, errors = ?, api_calls = ?, message = ?, "
    "pushed = ?, pulled = ?, deleted = ?, conflicts = ?, error_code = ? "
    "WHERE id = ? AND workspace_id = ?";
#define RUN_COLUMNS                                                          \
    "SELECT id, workspace_id, kind, sf_object, started_ms, finished_ms, "   \
    "status, created, updated, unchanged, skipped, errors, api_calls, "     \
    "message, pushed, pulled, deleted, conflicts, api, expected, "          \
    "error_code FROM runs "
static const char sql_run_get[] =
    RUN_COLUMNS "WHERE id = ? AND workspace_id = ?";
static const char sql_run_list[] =
    RUN_COLUMNS "WHERE workspace_id = ? ORDER BY id DESC LIMIT ?";

static const char sql_run_list_page[] =
    RUN_COLUMNS "WHERE workspace_id = ?1 AND (?2 IS NULL OR kind = ?2) "
    "ORDER BY id DESC LIMIT ?3 OFFSET ?4";
/* ?2 is one run, or 0 for every run started before ?3. */
#define RUN_DELETE_WHERE                                                     \
    "workspace_id = ?1 AND status <> 'running' AND "                       \
    "(id = ?2 OR (?2 = 0 AND started_ms < ?3))"
static const char sql_run_unlink_conflicts[] =
    "UPDATE conflicts SET run_id = NULL WHERE workspace_id = ?1 AND run_id "
    "IN (SELECT id FROM runs WHERE " RUN_DELETE_WHERE ")";
static const char sql_run_delete[] = "DELETE FROM runs WHERE " RUN_DELETE_WHERE;

static void read_run(sqlite3_stmt *st, struct store_run *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->workspace_id = sqlite3_column_int64(st, 1);
    out->kind = store_sqlite__column_text(st, 2);
    out->object = store_sqlite__object_from_column(st, 3);
    out->started_ms = sqlite3_column_int64(st, 4);
    out->finished_ms = sqlite3_column_int64(st, 5);
    out->status = store_sqlite__column_text(st, 6);
    out->counts.created = sqlite3_column_int64(st, 7);
    out->counts.updated = sqlite3_column_int64(st, 8);
    out->counts.unchanged = sqlite3_column_int64(st, 9);
    out->counts.skipped = sqlite3_column_int64(st, 10);
    out->counts.errors = sqlite3_column_int64(st, 11);
    out->counts.api_calls = sqlite3_column_int64(st, 12);
    out->message = store_sqlite__column_text(st, 13);
    out->counts.pushed = sqlite3_column_int64(st, 14);
    out->counts.pulled = sqlite3_column_int64(st, 15);
    out->counts.deleted = sqlite3_column_int64(st, 16);
    out->counts.conflicts = sqlite3_column_int64(st, 17);
    out->api = sqlite3_column_type(st, 18) == SQLITE_NULL
                   ? NULL
                   : store_sqlite__column_text(st, 18);
    out->expected = sqlite3_column_type(st, 19) == SQLITE_NULL
                        ? -1
                        : sqlite3_column_int64(st, 19);
    out->error_code = sqlite3_column_type(st, 20) == SQLITE_NULL
                          ? NULL
                          : store_sqlite__column_text(st, 20);
}

static int sqlite_run_begin(struct store *base, int64_t ws, const char *kind,
                            int object, int64_t *out_id, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "begin run";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_run_begin, op, err);
    int64_t pid, start;
    int rc;

    if (!st)
        return SYNC_EDB;
    store__process_identity(&pid, &start);
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, kind);
    store_sqlite__bind_text(st, 3, store_sqlite__object_column(object));
    store_sqlite__bind_int64(st, 4, datetime_now_ms());
    store_sqlite__bind_int64(st, 5, pid);
    store_sqlite__bind_int64(st, 6, start);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    *out_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int sqlite_run_finish(struct store *base, int64_t ws, int64_t run_id,
                             const char *status,
                             const struct store_run_counts *counts,
                             const char *message, const char *error_code,
                             struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "finish run";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_run_finish, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, datetime_now_ms());
    store_sqlite__bind_text(st, 2, status);
    store_sqlite__bind_int64(st, 3, counts->created);
    store_sqlite__bind_int64(st, 4, counts->updated);
    store_sqlite__bind_int64(st, 5, counts->unchanged);
    store_sqlite__bind_int64(st, 6, counts->skipped);
    store_sqlite__bind_int64(st, 7, counts->errors);
    store_sqlite__bind_int64(st, 8, counts->api_calls);
    store_sqlite__bind_text(st, 9, message);
    store_sqlite__bind_int64(st, 10, counts->pushed);
    store_sqlite__bind_int64(st, 11, counts->pulled);
    store_sqlite__bind_int64(st, 12, counts->deleted);
    store_sqlite__bind_int64(st, 13, counts->conflicts);
    store_sqlite__bind_text(st, 14, error_code);
    store_sqlite__bind_int64(st, 15, run_id);
    store_sqlite__bind_int64(st, 16, ws);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return err_set(err, SYNC_ENOTFOUND, "run %lld not found",
                       (long long)run_id);
    return 0;
}

static const char sql_run_progress[] =
    "UPDATE runs SET api = coalesce(?, api), "
    "expected = CASE WHEN ? < 0 THEN expected ELSE ? END, "
    "created = ?, updated = ?, unchanged = ?, skipped = ?, errors = ?, "
    "api_calls = ?, pushed = ?, pulled = ?, deleted = ?, conflicts = ? "
    "WHERE id = ? AND workspace_id = ? AND finished_ms IS NULL";

static int sqlite_run_progress(struct store *base, int64_t ws, int64_t run_id,
                               const char *api, int64_t expected,
                               const struct store_run_counts *counts,
                               struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "record run progress";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_run_progress, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_text(st, 1, api);
    store_sqlite__bind_int64(st, 2, expected);
    store_sqlite__bind_int64(st, 3, expected);
    store_sqlite__bind_int64(st, 4, counts->created);
    store_sqlite__bind_int64(st, 5, counts->updated);
    store_sqlite__bind_int64(st, 6, counts->unchanged);
    store_sqlite__bind_int64(st, 7, counts->skipped);
    store_sqlite__bind_int64(st, 8, counts->errors);
    store_sqlite__bind_int64(st, 9, counts->api_calls);
    store_sqlite__bind_int64(st, 10, counts->pushed);
    store_sqlite__bind_int64(st, 11, counts->pulled);
    store_sqlite__bind_int64(st, 12, counts->deleted);
    store_sqlite__bind_int64(st, 13, counts->conflicts);
    store_sqlite__bind_int64(st, 14, run_id);
    store_sqlite__bind_int64(st, 15, ws);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return err_set(err, SYNC_ENOTFOUND, "running run %lld not found",
                       (long long)run_id);
    return 0;
}

static int sqlite_run_get(struct store *base, int64_t ws, int64_t run_id,
                          struct store_run *out, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "get run";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_run_get, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, run_id);
    store_sqlite__bind_int64(st, 2, ws);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        read_run(st, out);
    store_sqlite__done(st);
    if (rc == 0)
        return err_set(err, SYNC_ENOTFOUND, "run %lld not found",
                       (long long)run_id);
    return rc < 0 ? rc : 0;
}

int64_t store_sqlite__list_limit(size_t limit)
{
    return limit == 0 || limit > LIST_MAX ? LIST_MAX : (int64_t)limit;
}

static int sqlite_run_list(struct store *base, int64_t ws, size_t limit,
                           struct store_run **out, size_t *out_count,
                           struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list runs";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_run_list, op, err);
    struct store_run *items = NULL;
    size_t count = 0, cap = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, store_sqlite__list_limit(limit));
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        items = xgrow(items, &cap, count + 1, sizeof(*items));
        read_run(st, &items[count++]);
    }
    store_sqlite__done(st);
    if (rc < 0) {
        store_runs_free(items, count);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}

static int sqlite_run_list_page(struct store *base, int64_t ws,
                                const char *kind, size_t offset,
                                size_t limit, struct store_run **out,
                                size_t *out_count, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list runs";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_run_list_page, op, err);
    struct store_run *items = NULL;
    size_t count = 0, cap = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, kind);
    store_sqlite__bind_int64(st, 3, store_sqlite__list_limit(limit));
    store_sqlite__bind_int64(st, 4, (int64_t)offset);
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        items = xgrow(items, &cap, count + 1, sizeof(*items));
        read_run(st, &items[count++]);
    }
    store_sqlite__done(st);
    if (rc < 0) {
        store_runs_free(items, count);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}

/* Run one statement of run_delete with its three parameters. */
static int run_delete_step(struct store_sqlite *s, const char *sql,
                           int64_t ws, int64_t run_id, int64_t before_ms,
                           struct err *err)
{
    const char *op = "delete runs";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, run_id);
    store_sqlite__bind_int64(st, 3, before_ms);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static int sqlite_run_delete(struct store *base, int64_t ws, int64_t run_id,
                             int64_t before_ms, size_t *out_count,
                             struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    bool owned;
    int rc;

    *out_count = 0;
    if ((rc = store_sqlite__tx_enter(s, &owned, err)) < 0)
        return rc;
    rc = run_delete_step(s, sql_run_unlink_conflicts, ws, run_id, before_ms,
                         err);
    if (rc == 0)
        rc = run_delete_step(s, sql_run_delete, ws, run_id, before_ms, err);
    if (rc == 0)
        *out_count = (size_t)sqlite3_changes(s->db);
    return store_sqlite__tx_leave(s, owned, rc, err);
}

/* Sync errors. */

static const char sql_sync_error_add[] =
    "INSERT INTO sync_errors (workspace_id, contact_id, sf_object, sf_id, "
    "code, message, retryable, created_ms, version, id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
#define SYNC_ERROR_COLUMNS                                                   \
    "SELECT id, workspace_id, contact_id, sf_object, sf_id, code, message, " \
    "retryable, created_ms, version FROM sync_errors "
static const char sql_sync_error_list[] =
    SYNC_ERROR_COLUMNS "WHERE workspace_id = ?1 AND (?2 = 0 OR "
    "contact_id = ?2) ORDER BY id DESC LIMIT ?3";
static const char sql_sync_error_list_records[] =
    SYNC_ERROR_COLUMNS "WHERE workspace_id = ? AND contact_id IS NULL AND "
    "sf_id IS NOT NULL AND retryable = 1 ORDER BY id LIMIT ?";
static const char sql_sync_error_clear[] =
    "DELETE FROM sync_errors WHERE workspace_id = ? AND contact_id = ?";
static const char sql_sync_error_clear_record[] =
    "DELETE FROM sync_errors WHERE workspace_id = ? AND sf_id = ? AND "
    "contact_id IS NULL";
static const char sql_sync_error_retry_all[] =
    "UPDATE sync_errors SET retryable = 1 WHERE workspace_id = ? AND "
    "retryable = 0";
/* ?2 is a comma-separated list of the codes to leave permanent. */
static const char sql_sync_error_retry_except[] =
    "UPDATE sync_errors SET retryable = 1 WHERE workspace_id = ?1 AND "
    "retryable = 0 AND "
    "instr(',' || ?2 || ',', ',' || coalesce(code, '') || ',') = 0";
static const char sql_sync_error_count_permanent[] =
    "SELECT count(*) FROM sync_errors WHERE workspace_id = ? AND "
    "retryable = 0";

static int sqlite_sync_error_add(struct store *base,
                                 const struct store_sync_error *e,
                                 struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "add sync error";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_sync_error_add, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, e->workspace_id);
    if (e->contact_id > 0)
        store_sqlite__bind_int64(st, 2, e->contact_id);
    store_sqlite__bind_text(st, 3, store_sqlite__object_column(e->object));
    store_sqlite__bind_text(st, 4, e->sf_id[0] ? e->sf_id : NULL);
    store_sqlite__bind_text(st, 5, e->code);
    store_sqlite__bind_text(st, 6, e->message);
    store_sqlite__bind_int64(st, 7, e->retryable);
    store_sqlite__bind_int64(st, 8, datetime_now_ms());
    store_sqlite__bind_int64(st, 9, e->version);
    /* An unbound id is NULL, for which SQLite picks a new one. */
    if (e->id > 0)
        store_sqlite__bind_int64(st, 10, e->id);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static void read_sync_error(sqlite3_stmt *st, struct store_sync_error *out)
{
    const char *id = (const char *)sqlite3_column_text(st, 4);

    out->id = sqlite3_column_int64(st, 0);
    out->workspace_id = sqlite3_column_int64(st, 1);
    out->contact_id = sqlite3_column_int64(st, 2);
    out->object = store_sqlite__object_from_column(st, 3);
    snprintf(out->sf_id, sizeof(out->sf_id), "%s", id ? id : "");
    out->code = store_sqlite__column_text(st, 5);
    out->message = store_sqlite__column_text(st, 6);
    out->retryable = sqlite3_column_int(st, 7) != 0;
    out->created_ms = sqlite3_column_int64(st, 8);
    out->version = sqlite3_column_int64(st, 9);
}

static int sqlite_sync_error_list(struct store *base, int64_t ws,
                                  int64_t contact_id, size_t limit,
                                  struct store_sync_error **out,
                                  size_t *out_count, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list sync errors";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_sync_error_list, op, err);
    struct store_sync_error *items = NULL;
    size_t count = 0, cap = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, contact_id);
    store_sqlite__bind_int64(st, 3, store_sqlite__list_limit(limit));
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        items = xgrow(items, &cap, count + 1, sizeof(*items));
        read_sync_error(st, &items[count++]);
    }
    store_sqlite__done(st);
    if (rc < 0) {
        store_sync_errors_free(items, count);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}

static int sqlite_sync_error_clear(struct store *base, int64_t ws,
                                   int64_t contact_id, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "clear sync errors";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_sync_error_clear, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, contact_id);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static int sqlite_sync_error_list_records(struct store *base, int64_t ws,
                                          size_t limit,
                                          struct store_sync_error **out,
                                          size_t *out_count, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list record sync errors";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_sync_error_list_records, op,
                                          err);
    struct store_sync_error *items = NULL;
    size_t count = 0, cap = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, store_sqlite__list_limit(limit));
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        items = xgrow(items, &cap, count + 1, sizeof(*items));
        read_sync_error(st, &items[count++]);
    }
    store_sqlite__done(st);
    if (rc < 0) {
        store_sync_errors_free(items, count);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}

static int sqlite_sync_error_clear_record(struct store *base, int64_t ws,
                                          const char *sf_id, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "clear record sync errors";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_sync_error_clear_record, op,
                                          err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, sf_id);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static int sqlite_sync_error_retry_all(struct store *base, int64_t ws,
                                       int64_t *out_count, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "mark sync errors retryable";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_sync_error_retry_all, op,
                                          err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    *out_count = sqlite3_changes(s->db);
    return 0;
}

static const char sql_sync_error_retry[] =
    "UPDATE sync_errors SET retryable = 1 WHERE workspace_id = ? AND id = ? "
    "RETURNING id, workspace_id, contact_id, sf_object, sf_id, code, "
    "message, retryable, created_ms, version";

static int sqlite_sync_error_retry(struct store *base, int64_t ws, int64_t id,
                                   struct store_sync_error *out,
                                   struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "mark sync error retryable";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_sync_error_retry, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, id);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        read_sync_error(st, out);
    store_sqlite__done(st);
    if (rc == 0)
        return err_set(err, SYNC_ENOTFOUND, "sync error %" PRId64 " not found",
                       id);
    return rc < 0 ? rc : 0;
}

static int sqlite_sync_error_retry_except(struct store *base, int64_t ws,
                                          const char *codes,
                                          int64_t *out_retried,
                                          int64_t *out_skipped,
                                          struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "mark sync errors retryable";
    sqlite3_stmt *st;
    bool owned;
    int rc;

    if ((rc = store_sqlite__tx_enter(s, &owned, err)) < 0)
        return rc;
    if (!(st = store_sqlite__stmt(s, sql_sync_error_retry_except, op, err))) {
        rc = SYNC_EDB;
        goto out;
    }
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, codes);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        goto out;
    *out_retried = sqlite3_changes(s->db);
    /* Every permanent error left has one of the codes. */
    if (!(st = store_sqlite__stmt(s, sql_sync_error_count_permanent, op,
                                  err))) {
        rc = SYNC_EDB;
        goto out;
    }
    store_sqlite__bind_int64(st, 1, ws);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        *out_skipped = sqlite3_column_int64(st, 0);
    store_sqlite__done(st);
out:
    return store_sqlite__tx_leave(s, owned, rc < 0 ? rc : 0, err);
}

/* Outbox. Entries are written by store_sqlite_contact.c with each local
 * change. */

static const char sql_outbox_pending[] =
    "SELECT id, contact_id, version, operation, created_ms FROM outbox "
    "WHERE workspace_id = ? AND state = 'pending' AND id > ? ORDER BY id "
    "LIMIT ?";
static const char sql_outbox_ack[] =
    "UPDATE outbox SET state = 'done' WHERE workspace_id = ? AND "
    "contact_id = ? AND version <= ? AND state = 'pending'";

static int sqlite_outbox_pending(struct store *base, int64_t ws,
                                 int64_t after_id, size_t limit,
                                 struct store_outbox_entry **out,
                                 size_t *out_count, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list outbox";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_outbox_pending, op, err);
    struct store_outbox_entry *items = NULL;
    size_t count = 0, cap = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, after_id);
    store_sqlite__bind_int64(st, 3, store_sqlite__list_limit(limit));
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        const char *name = (const char *)sqlite3_column_text(st, 3);
        struct store_outbox_entry *e;

        items = xgrow(items, &cap, count + 1, sizeof(*items));
        e = &items[count++];
        e->id = sqlite3_column_int64(st, 0);
        e->contact_id = sqlite3_column_int64(st, 1);
        e->version = sqlite3_column_int64(st, 2);
        /* The CHECK constraint admits only names that parse. */
        e->operation = (enum store_outbox_op)store__outbox_op_parse(
            name ? name : "");
        e->created_ms = sqlite3_column_int64(st, 4);
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

static int sqlite_outbox_ack(struct store *base, int64_t ws,
                             int64_t contact_id, int64_t version,
                             struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "acknowledge outbox";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_outbox_ack, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, contact_id);
    store_sqlite__bind_int64(st, 3, version);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

/* Credentials, already encrypted by store.c. */

static const char sql_credential_put[] =
    "INSERT INTO credentials (workspace_id, kind, ciphertext, nonce, "
    "updated_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace_id, kind) "
    "DO UPDATE SET ciphertext = excluded.ciphertext, nonce = excluded.nonce, "
    "updated_ms = excluded.updated_ms";
static const char sql_credential_get[] =
    "SELECT ciphertext, nonce FROM credentials "
    "WHERE workspace_id = ? AND kind = ?";
static const char sql_credential_delete[] =
    "DELETE FROM credentials WHERE workspace_id = ? AND kind = ?";

static int sqlite_credential_put(struct store *base, int64_t ws,
                                 const char *kind,
                                 const unsigned char *cipher,
                                 size_t cipher_len,
                                 const unsigned char nonce[SECRET_NONCE_SIZE],
                                 struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "store credential";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_credential_put, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, kind);
    store_sqlite__bind_blob(st, 3, cipher, cipher_len);
    store_sqlite__bind_blob(st, 4, nonce, SECRET_NONCE_SIZE);
    store_sqlite__bind_int64(st, 5, datetime_now_ms());
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static int read_credential(sqlite3_stmt *st, const char *kind,
                           unsigned char **out_cipher, size_t *out_len,
                           unsigned char nonce[SECRET_NONCE_SIZE],
                           struct err *err)
{
    const void *cipher = sqlite3_column_blob(st, 0);
    size_t len = (size_t)sqlite3_column_bytes(st, 0);

    if ((size_t)sqlite3_column_bytes(st, 1) != SECRET_NONCE_SIZE)
        return err_set(err, SYNC_EINVALID,
                       "stored credential '%s' has a malformed nonce; store "
                       "it again",
                       kind);
    memcpy(nonce, sqlite3_column_blob(st, 1), SECRET_NONCE_SIZE);
    *out_cipher = xmalloc(len ? len : 1);
    if (len)
        memcpy(*out_cipher, cipher, len);
    *out_len = len;
    return 0;
}

static int sqlite_credential_get(struct store *base, int64_t ws,
                                 const char *kind, unsigned char **out_cipher,
                                 size_t *out_len,
                                 unsigned char nonce[SECRET_NONCE_SIZE],
                                 struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "get credential";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_credential_get, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, kind);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        rc = read_credential(st, kind, out_cipher, out_len, nonce, err);
    else if (rc == 0)
        rc = err_set(err, SYNC_ENOTFOUND, "credential '%s' not found", kind);
    store_sqlite__done(st);
    return rc;
}

static const char sql_credential_any[] =
    "SELECT EXISTS (SELECT 1 FROM credentials)";

static int sqlite_credential_any(struct store *base, bool *out,
                                 struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "look for credentials";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_credential_any, op, err);
    int rc;

    *out = false;
    if (!st)
        return SYNC_EDB;
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1) {
        *out = sqlite3_column_int(st, 0) != 0;
        rc = 0;
    }
    store_sqlite__done(st);
    return rc;
}

static const char sql_credential_oldest[] =
    "SELECT ciphertext, nonce FROM credentials "
    "ORDER BY updated_ms, workspace_id, kind LIMIT 1";

static int sqlite_credential_oldest(struct store *base,
                                    unsigned char **out_cipher,
                                    size_t *out_len,
                                    unsigned char nonce[SECRET_NONCE_SIZE],
                                    struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "get the oldest credential";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_credential_oldest, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        rc = read_credential(st, "oldest", out_cipher, out_len, nonce, err);
    else if (rc == 0)
        rc = err_set(err, SYNC_ENOTFOUND, "the store holds no credential");
    store_sqlite__done(st);
    return rc;
}

static int sqlite_credential_delete(struct store *base, int64_t ws,
                                    const char *kind, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "delete credential";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_credential_delete, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, kind);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

static const struct store_ops sqlite_ops = {
    .name = "sqlite",
    .close = sqlite_close,
    .begin = sqlite_begin,
    .commit = sqlite_commit,
    .rollback = sqlite_rollback,
    .workspace_get = sqlite_workspace_get,
    .workspace_get_by_id = sqlite_workspace_get_by_id,
    .workspace_set_region = sqlite_workspace_set_region,
    .workspace_list = store_sqlite__workspace_list,
    .workspace_delete = store_sqlite__workspace_delete,
    .setting_get = sqlite_setting_get,
    .setting_set = sqlite_setting_set,
    .setting_list = sqlite_setting_list,
    .contact_insert = store_sqlite__contact_insert,
    .contact_update = store_sqlite__contact_update,
    .contact_get = store_sqlite__contact_get,
    .contact_list = store_sqlite__contact_list,
    .contact_find_unlinked = store_sqlite__contact_find_unlinked,
    .contact_find = store_sqlite__contact_find,
    .contact_unlinked_after = store_sqlite__contact_unlinked_after,
    .contact_indexes_drop_if_empty =
        store_sqlite__contact_indexes_drop_if_empty,
    .contact_indexes_build = store_sqlite__contact_indexes_build,
    .link_get = store_sqlite__link_get,
    .link_find = store_sqlite__link_find,
    .link_upsert = store_sqlite__link_upsert,
    .link_delete = store_sqlite__link_delete,
    .cursor_get = sqlite_cursor_get,
    .cursor_set = sqlite_cursor_set,
    .run_begin = sqlite_run_begin,
    .run_finish = sqlite_run_finish,
    .run_progress = sqlite_run_progress,
    .run_get = sqlite_run_get,
    .run_list = sqlite_run_list,
    .run_list_page = sqlite_run_list_page,
    .run_delete = sqlite_run_delete,
    .run_list_running = store_sqlite__run_list_running,
    .run_abandon = store_sqlite__run_abandon,
    .link_backlinks_set = store_sqlite__link_backlinks_set,
    .link_backlinks_stale = store_sqlite__link_backlinks_stale,
    .sync_error_add = sqlite_sync_error_add,
    .sync_error_list = sqlite_sync_error_list,
    .sync_error_clear = sqlite_sync_error_clear,
    .sync_error_clear_record = sqlite_sync_error_clear_record,
    .sync_error_retry_all = sqlite_sync_error_retry_all,
    .sync_error_retry = sqlite_sync_error_retry,
    .sync_error_list_records = sqlite_sync_error_list_records,
    .outbox_pending = sqlite_outbox_pending,
    .outbox_ack = sqlite_outbox_ack,
    .outbox_requeue = store_sqlite__outbox_requeue,
    .conflict_add = store_sqlite__conflict_add,
    .conflict_list = store_sqlite__conflict_list,
    .intent_put = store_sqlite__intent_put,
    .intent_get = store_sqlite__intent_get,
    .intent_delete = store_sqlite__intent_delete,
    .intent_list = store_sqlite__intent_list,
    .tombstone_put = store_sqlite__tombstone_put,
    .tombstone_get = store_sqlite__tombstone_get,
    .tombstone_delete = store_sqlite__tombstone_delete,
    .lock_get = store_sqlite__lock_get,
    .lock_put = store_sqlite__lock_put,
    .lock_delete = store_sqlite__lock_delete,
    .lock_take = store_sqlite__lock_take,
    .lock_drop = store_sqlite__lock_drop,
    .lock_probe = store_sqlite__lock_probe,
    .credential_put = sqlite_credential_put,
    .credential_get = sqlite_credential_get,
    .credential_delete = sqlite_credential_delete,
    .credential_any = sqlite_credential_any,
    .credential_oldest = sqlite_credential_oldest,
    .oauth_attempt_add = store_sqlite__oauth_attempt_add,
    .oauth_attempt_take = store_sqlite__oauth_attempt_take,
    .oauth_attempt_delete_expired = store_sqlite__oauth_attempt_delete_expired,
    .oauth_attempt_workspace = store_sqlite__oauth_attempt_workspace,
    .user_add = store_sqlite__user_add,
    .user_get = store_sqlite__user_get,
    .user_list = store_sqlite__user_list,
    .user_delete = store_sqlite__user_delete,
    .user_set_password = store_sqlite__user_set_password,
    .api_token_delete_user = store_sqlite__api_token_delete_user,
    .session_add = store_sqlite__session_add,
    .session_get = store_sqlite__session_get,
    .session_touch = store_sqlite__session_touch,
    .session_delete = store_sqlite__session_delete,
    .session_delete_idle = store_sqlite__session_delete_idle,
    .api_token_add = store_sqlite__api_token_add,
    .api_token_get = store_sqlite__api_token_get,
    .api_token_touch = store_sqlite__api_token_touch,
    .sync_error_retry_except = sqlite_sync_error_retry_except,
    .contact_set_phones = store_sqlite__contact_set_phones,
};

/*
 * Create the file with mode 0600 before SQLite opens it, because SQLite
 * would create it with 0644 under the usual umask. SQLite gives the -wal
 * and -shm files the database file's mode.
 */
static int create_private_file(const char *path, struct err *err)
{
    struct stat st;
    int fd;

    /* An existing file is only checked, never opened here: closing any
     * descriptor of the file drops the POSIX locks that other SQLite
     * connections of this process hold on it. */
    if (stat(path, &st) == 0) {
        if (st.st_mode & (S_IRWXG | S_IRWXO))
            log_warn("store", "database file is readable by group or others",
                     "path=%s mode=%03o fix='chmod 600'", path,
                     (unsigned)(st.st_mode & 0777));
        return 0;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_set_errno(err, SYNC_EIO, "cannot open database '%s'",
                             path);
    if (fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
        log_warn("store", "database file is readable by group or others",
                 "path=%s mode=%03o fix='chmod 600'", path,
                 (unsigned)(st.st_mode & 0777));
    close(fd);
    return 0;
}

/* Read one text value from a PRAGMA that returns it. */
static int pragma_text(sqlite3 *db, const char *sql, char *out, size_t size,
                       struct err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);

        snprintf(out, size, "%s", text ? text : "");
        rc = 0;
    } else {
        rc = err_set(err, SYNC_EDB, "'%s' failed: %s", sql,
                     sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return rc;
}

/* Pages in the WAL that start an automatic checkpoint. */
#define STORE_SQLITE_CHECKPOINT_PRAGMA "PRAGMA wal_autocheckpoint = 8192"

/* sfsync_fold(text): the Unicode case folding of text, which contact
 * searches with letters beyond ASCII compare. NULL stays NULL, and text
 * that is not valid UTF-8 is returned as it is. */
static void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const unsigned char *text;
    char *folded;

    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    text = sqlite3_value_text(argv[0]);
    folded = text ? utf8_fold_case((const char *)text,
                                   (size_t)sqlite3_value_bytes(argv[0]))
                  : NULL;
    if (!folded) {
        sqlite3_result_value(ctx, argv[0]);
        return;
    }
    sqlite3_result_text(ctx, folded, -1, free);
}

static int configure(sqlite3 *db, const char *path, struct err *err)
{
    char mode[16];
    int rc;

    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(db, 1);
    if (sqlite3_create_function_v2(
            db, "sfsync_fold", 1,
            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
            sql_fold, NULL, NULL, NULL) != SQLITE_OK)
        return err_set(err, SYNC_EDB, "register sfsync_fold failed: %s",
                       sqlite3_errmsg(db));
    if ((rc = store_sqlite__exec(db, "PRAGMA foreign_keys = ON",
                                 "enable foreign keys", err)) < 0)
        return rc;
    if ((rc = pragma_text(db, "PRAGMA journal_mode = WAL", mode, sizeof(mode),
                          err)) < 0)
        return rc;
    if (strcmp(mode, "wal") != 0)
        return err_set(err, SYNC_EDB,
                       "cannot put database '%s' in WAL mode (journal mode "
                       "is '%s')",
                       path, mode);
    /* A pull page's transaction dirties an index page for most of its
     * records. With the default 2 MB cache SQLite spills dirty pages to the
     * WAL before the commit, writing many pages several times, and reads
     * evicted pages back one system call each. The cache grows only as
     * pages are used. */
    if ((rc = store_sqlite__exec(db, STORE_SQLITE_CACHE_PRAGMA,
                                 "set the page cache size", err)) < 0)
        return rc;
    /* A pull page's commit appends most index pages to the WAL again, so
     * with the default checkpoint at 1,000 pages (4 MiB) every commit
     * copies them all back into the database file. At 8,192 pages (32 MiB)
     * a checkpoint follows several commits and copies each page once. */
    if ((rc = store_sqlite__exec(db, STORE_SQLITE_CHECKPOINT_PRAGMA,
                                 "set the WAL checkpoint size", err)) < 0)
        return rc;
    /* FULL syncs the WAL at every commit, so a committed local change
     * survives a power loss along with its outbox entry. */
    return store_sqlite__exec(db, "PRAGMA synchronous = FULL",
                              "set synchronous", err);
}

int store_sqlite__open(struct store **out, const char *path,
                       struct err *err)
{
    struct store_sqlite *s;
    int rc;

    *out = NULL;
    if ((rc = create_private_file(path, err)) < 0)
        return rc;
    s = xcalloc(1, sizeof(*s));
    s->base.ops = &sqlite_ops;
    s->path = xstrdup(path);
    hmap_init(&s->stmts, false);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE, NULL) !=
        SQLITE_OK) {
        rc = err_set(err, SYNC_EDB, "open database '%s' failed: %s", path,
                     s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto out;
    }
    if ((rc = configure(s->db, path, err)) < 0)
        goto out;
    if ((rc = store_sqlite__migrate(s->db, err)) < 0) {
        err_prefix(err, "database '%s'", path);
        goto out;
    }
    store_sqlite__contact_sql_init(s);
    *out = &s->base;
out:
    if (rc < 0)
        sqlite_close(&s->base);
    return rc;
}
