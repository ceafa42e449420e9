/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The users, sessions and API tokens of sfsync serve in the SQLite
 * backend. store_users.c has already checked the arguments.
 */
#include "base/common.h"

#include "base/datetime.h"
#include "store_sqlite_int.h"

static const char sql_user_add[] =
    "INSERT INTO users (workspace_id, name, role, password_hash, created_ms) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (workspace_id, name) DO NOTHING";
#define USER_COLUMNS                                                         \
    "SELECT id, workspace_id, name, role, password_hash, created_ms "       \
    "FROM users "
static const char sql_user_by_name[] =
    USER_COLUMNS "WHERE workspace_id = ? AND name = ?";
static const char sql_user_by_id[] =
    USER_COLUMNS "WHERE workspace_id = ? AND id = ?";
static const char sql_user_list[] =
    USER_COLUMNS "WHERE workspace_id = ? ORDER BY name";
static const char sql_user_delete[] =
    "DELETE FROM users WHERE workspace_id = ? AND name = ?";

static const char sql_user_set_password[] =
    "UPDATE users SET password_hash = ? WHERE workspace_id = ? AND name = ?";
static const char sql_user_sessions_delete[] =
    "DELETE FROM sessions WHERE workspace_id = ?1 AND user_id = "
    "(SELECT id FROM users WHERE workspace_id = ?1 AND name = ?2)";
static const char sql_token_delete_user[] =
    "DELETE FROM api_tokens WHERE workspace_id = ? AND user_id = ?";

static const char sql_session_add[] =
    "INSERT INTO sessions (id_hash, workspace_id, user_id, csrf_token, "
    "created_ms, last_seen_ms) VALUES (?, ?, ?, ?, ?, ?)";
static const char sql_session_get[] =
    "SELECT id_hash, workspace_id, user_id, csrf_token, created_ms, "
    "last_seen_ms FROM sessions WHERE workspace_id = ? AND id_hash = ?";
static const char sql_session_touch[] =
    "UPDATE sessions SET last_seen_ms = ? "
    "WHERE workspace_id = ? AND id_hash = ?";
static const char sql_session_delete[] =
    "DELETE FROM sessions WHERE workspace_id = ? AND id_hash = ?";
static const char sql_session_delete_idle[] =
    "DELETE FROM sessions WHERE workspace_id = ? AND last_seen_ms < ?";

static const char sql_token_add[] =
    "INSERT INTO api_tokens (token_hash, workspace_id, user_id, created_ms) "
    "SELECT ?1, ?2, id, ?4 FROM users WHERE workspace_id = ?2 AND id = ?3";
static const char sql_token_get[] =
    "SELECT token_hash, workspace_id, user_id, created_ms, last_used_ms "
    "FROM api_tokens WHERE workspace_id = ? AND token_hash = ?";
static const char sql_token_touch[] =
    "UPDATE api_tokens SET last_used_ms = ? "
    "WHERE workspace_id = ? AND token_hash = ?";

/* Step a statement that returns no rows; SYNC_ENOTFOUND with message
 * when it changed none. */
static int step_change(struct store_sqlite *s, sqlite3_stmt *st,
                       const char *op, const char *missing, struct err *err)
{
    int rc = store_sqlite__step(s, st, op, err);

    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    if (missing && sqlite3_changes(s->db) == 0)
        return err_set(err, SYNC_ENOTFOUND, "%s", missing);
    return 0;
}

int store_sqlite__user_add(struct store *base, struct store_user *u,
                           struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "add user";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_user_add, op, err);
    int64_t now = datetime_now_ms();
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, u->workspace_id);
    store_sqlite__bind_text(st, 2, u->name);
    store_sqlite__bind_text(st, 3, u->role);
    store_sqlite__bind_text(st, 4, u->password_hash);
    store_sqlite__bind_int64(st, 5, now);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    if (sqlite3_changes(s->db) == 0)
        return err_set(err, SYNC_ECONFLICT,
                       "user '%s' exists already: pick another name, or "
                       "remove it first",
                       u->name);
    u->id = sqlite3_last_insert_rowid(s->db);
    u->created_ms = now;
    return 0;
}

static void read_user(sqlite3_stmt *st, struct store_user *out)
{
    out->id = sqlite3_column_int64(st, 0);
    out->workspace_id = sqlite3_column_int64(st, 1);
    out->name = store_sqlite__column_text(st, 2);
    out->role = store_sqlite__column_text(st, 3);
    out->password_hash = store_sqlite__column_text(st, 4);
    out->created_ms = sqlite3_column_int64(st, 5);
}

int store_sqlite__user_get(struct store *base, int64_t ws, const char *name,
                           int64_t id, struct store_user *out,
                           struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "get user";
    sqlite3_stmt *st = store_sqlite__stmt(
        s, name ? sql_user_by_name : sql_user_by_id, op, err);
    int rc;

    memset(out, 0, sizeof(*out));
    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    if (name)
        store_sqlite__bind_text(st, 2, name);
    else
        store_sqlite__bind_int64(st, 2, id);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        read_user(st, out);
    store_sqlite__done(st);
    if (rc == 0) {
        if (name)
            return err_set(err, SYNC_ENOTFOUND, "user '%s' not found", name);
        return err_set(err, SYNC_ENOTFOUND, "user %lld not found",
                       (long long)id);
    }
    return rc < 0 ? rc : 0;
}

int store_sqlite__user_list(struct store *base, int64_t ws,
                            struct store_user **out, size_t *out_count,
                            struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "list users";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_user_list, op, err);
    struct store_user *items = NULL;
    size_t count = 0, cap = 0;
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    while ((rc = store_sqlite__step(s, st, op, err)) == 1) {
        items = xgrow(items, &cap, count + 1, sizeof(*items));
        memset(&items[count], 0, sizeof(items[count]));
        read_user(st, &items[count++]);
    }
    store_sqlite__done(st);
    if (rc < 0) {
        store_users_free(items, count);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}

int store_sqlite__user_delete(struct store *base, int64_t ws,
                              const char *name, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "delete user";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_user_delete, op, err);
    char missing[160];

    if (!st)
        return SYNC_EDB;
    snprintf(missing, sizeof(missing), "user '%.100s' not found", name);
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, name);
    return step_change(s, st, op, missing, err);
}

int store_sqlite__user_set_password(struct store *base, int64_t ws,
                                    const char *name,
                                    const char *password_hash,
                                    struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "change password";
    char missing[160];
    sqlite3_stmt *st;
    bool owned;
    int rc;

    snprintf(missing, sizeof(missing), "user '%.100s' not found", name);
    if ((rc = store_sqlite__tx_enter(s, &owned, err)) < 0)
        return rc;
    if (!(st = store_sqlite__stmt(s, sql_user_set_password, op, err))) {
        rc = SYNC_EDB;
        goto out;
    }
    store_sqlite__bind_text(st, 1, password_hash);
    store_sqlite__bind_int64(st, 2, ws);
    store_sqlite__bind_text(st, 3, name);
    if ((rc = step_change(s, st, op, missing, err)) < 0)
        goto out;
    if (!(st = store_sqlite__stmt(s, sql_user_sessions_delete, op, err))) {
        rc = SYNC_EDB;
        goto out;
    }
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, name);
    rc = step_change(s, st, op, NULL, err);
out:
    return store_sqlite__tx_leave(s, owned, rc, err);
}

int store_sqlite__api_token_delete_user(struct store *base, int64_t ws,
                                        int64_t user_id, int64_t *out_count,
                                        struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "delete API tokens";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_token_delete_user, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, user_id);
    if ((rc = step_change(s, st, op, NULL, err)) < 0)
        return rc;
    *out_count = sqlite3_changes(s->db);
    return 0;
}

int store_sqlite__session_add(struct store *base,
                              const struct store_session *session,
                              struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "add session";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_session_add, op, err);

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_text(st, 1, session->id_hash);
    store_sqlite__bind_int64(st, 2, session->workspace_id);
    store_sqlite__bind_int64(st, 3, session->user_id);
    store_sqlite__bind_text(st, 4, session->csrf_token);
    store_sqlite__bind_int64(st, 5, session->created_ms);
    store_sqlite__bind_int64(st, 6, session->last_seen_ms);
    return step_change(s, st, op, NULL, err);
}

int store_sqlite__session_get(struct store *base, int64_t ws,
                              const char *id_hash, struct store_session *out,
                              struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "get session";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_session_get, op, err);
    int rc;

    memset(out, 0, sizeof(*out));
    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, id_hash);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1) {
        out->id_hash = store_sqlite__column_text(st, 0);
        out->workspace_id = sqlite3_column_int64(st, 1);
        out->user_id = sqlite3_column_int64(st, 2);
        out->csrf_token = store_sqlite__column_text(st, 3);
        out->created_ms = sqlite3_column_int64(st, 4);
        out->last_seen_ms = sqlite3_column_int64(st, 5);
    }
    store_sqlite__done(st);
    if (rc == 0)
        return err_set(err, SYNC_ENOTFOUND, "session not found");
    return rc < 0 ? rc : 0;
}

int store_sqlite__session_touch(struct store *base, int64_t ws,
                                const char *id_hash, int64_t last_seen_ms,
                                struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "touch session";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_session_touch, op, err);

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, last_seen_ms);
    store_sqlite__bind_int64(st, 2, ws);
    store_sqlite__bind_text(st, 3, id_hash);
    return step_change(s, st, op, "session not found", err);
}

int store_sqlite__session_delete(struct store *base, int64_t ws,
                                 const char *id_hash, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "delete session";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_session_delete, op, err);

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, id_hash);
    return step_change(s, st, op, NULL, err);
}

int store_sqlite__session_delete_idle(struct store *base, int64_t ws,
                                      int64_t before_ms, int64_t *out_count,
                                      struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "delete idle sessions";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_session_delete_idle, op,
                                          err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, before_ms);
    rc = step_change(s, st, op, NULL, err);
    if (rc == 0 && out_count)
        *out_count = sqlite3_changes(s->db);
    return rc;
}

int store_sqlite__api_token_add(struct store *base,
                                const struct store_api_token *t,
                                struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "add API token";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_token_add, op, err);

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_text(st, 1, t->token_hash);
    store_sqlite__bind_int64(st, 2, t->workspace_id);
    store_sqlite__bind_int64(st, 3, t->user_id);
    store_sqlite__bind_int64(st, 4, t->created_ms);
    return step_change(s, st, op, "the token's user was not found", err);
}

int store_sqlite__api_token_get(struct store *base, int64_t ws,
                                const char *token_hash,
                                struct store_api_token *out, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "get API token";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_token_get, op, err);
    int rc;

    memset(out, 0, sizeof(*out));
    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, token_hash);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1) {
        out->token_hash = store_sqlite__column_text(st, 0);
        out->workspace_id = sqlite3_column_int64(st, 1);
        out->user_id = sqlite3_column_int64(st, 2);
        out->created_ms = sqlite3_column_int64(st, 3);
        out->last_used_ms = sqlite3_column_int64(st, 4);
    }
    store_sqlite__done(st);
    if (rc == 0)
        return err_set(err, SYNC_ENOTFOUND, "API token not found");
    return rc < 0 ? rc : 0;
}

int store_sqlite__api_token_touch(struct store *base, int64_t ws,
                                  const char *token_hash,
                                  int64_t last_used_ms, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "touch API token";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_token_touch, op, err);

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, last_used_ms);
    store_sqlite__bind_int64(st, 2, ws);
    store_sqlite__bind_text(st, 3, token_hash);
    return step_change(s, st, op, "API token not found", err);
}
