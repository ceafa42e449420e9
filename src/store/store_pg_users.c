/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The users, sessions and API tokens of sfsync serve in the PostgreSQL
 * backend. store_users.c has already checked the arguments.
 */
#include "base/common.h"

#include "base/datetime.h"
#include "store_pg_int.h"

static const char sql_user_add[] =
    "INSERT INTO users (workspace_id, name, role, password_hash, created_ms) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id, name) DO NOTHING "
    "RETURNING id";
#define USER_COLUMNS                                                         \
    "SELECT id, workspace_id, name, role, password_hash, created_ms "       \
    "FROM users "
static const char sql_user_by_name[] =
    USER_COLUMNS "WHERE workspace_id = $1 AND name = $2";
static const char sql_user_by_id[] =
    USER_COLUMNS "WHERE workspace_id = $1 AND id = $2";
static const char sql_user_list[] =
    USER_COLUMNS "WHERE workspace_id = $1 ORDER BY name COLLATE \"C\"";
static const char sql_user_delete[] =
    "DELETE FROM users WHERE workspace_id = $1 AND name = $2";

static const char sql_user_set_password[] =
    "UPDATE users SET password_hash = $1 WHERE workspace_id = $2 AND name = $3";
static const char sql_user_sessions_delete[] =
    "DELETE FROM sessions WHERE workspace_id = $1 AND user_id = "
    "(SELECT id FROM users WHERE workspace_id = $1 AND name = $2)";
static const char sql_token_delete_user[] =
    "DELETE FROM api_tokens WHERE workspace_id = $1 AND user_id = $2";

static const char sql_session_add[] =
    "INSERT INTO sessions (id_hash, workspace_id, user_id, csrf_token, "
    "created_ms, last_seen_ms) VALUES ($1, $2, $3, $4, $5, $6)";
static const char sql_session_get[] =
    "SELECT id_hash, workspace_id, user_id, csrf_token, created_ms, "
    "last_seen_ms FROM sessions WHERE workspace_id = $1 AND id_hash = $2";
static const char sql_session_touch[] =
    "UPDATE sessions SET last_seen_ms = $1 "
    "WHERE workspace_id = $2 AND id_hash = $3";
static const char sql_session_delete[] =
    "DELETE FROM sessions WHERE workspace_id = $1 AND id_hash = $2";
static const char sql_session_delete_idle[] =
    "DELETE FROM sessions WHERE workspace_id = $1 AND last_seen_ms < $2";

static const char sql_token_add[] =
    "INSERT INTO api_tokens (token_hash, workspace_id, user_id, created_ms) "
    "SELECT $1, $2, id, $4 FROM users WHERE workspace_id = $2 AND id = $3";
static const char sql_token_get[] =
    "SELECT token_hash, workspace_id, user_id, created_ms, last_used_ms "
    "FROM api_tokens WHERE workspace_id = $1 AND token_hash = $2";
static const char sql_token_touch[] =
    "UPDATE api_tokens SET last_used_ms = $1 "
    "WHERE workspace_id = $2 AND token_hash = $3";

/* Run a command; SYNC_ENOTFOUND with missing when it changed no row. */
static int run_change(struct store *base, const char *sql,
                      const struct store_pg_params *p, const char *op,
                      const char *missing, int64_t *out_changed,
                      struct err *err)
{
    PGresult *res = store_pg__run(store_pg__from(base), sql, p, false, op,
                                  err);
    int64_t changed;

    if (!res)
        return SYNC_EDB;
    changed = store_pg__changes(res);
    PQclear(res);
    if (out_changed)
        *out_changed = changed;
    if (missing && changed == 0)
        return err_set(err, SYNC_ENOTFOUND, "%s", missing);
    return 0;
}

int store_pg__user_add(struct store *base, struct store_user *u,
                       struct err *err)
{
    struct store_pg_params p;
    int64_t now = datetime_now_ms();
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, u->workspace_id);
    store_pg__param_text(&p, u->name);
    store_pg__param_text(&p, u->role);
    store_pg__param_text(&p, u->password_hash);
    store_pg__param_int64(&p, now);
    if (!(res = store_pg__run(store_pg__from(base), sql_user_add, &p, false,
                              "add user", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    if (rows == 1)
        u->id = store_pg__int64(res, 0, 0);
    PQclear(res);
    if (rows == 0)
        return err_set(err, SYNC_ECONFLICT,
                       "user '%s' exists already: pick another name, or "
                       "remove it first",
                       u->name);
    u->created_ms = now;
    return 0;
}

static void read_user(PGresult *res, int row, struct store_user *out)
{
    out->id = store_pg__int64(res, row, 0);
    out->workspace_id = store_pg__int64(res, row, 1);
    out->name = store_pg__text(res, row, 2);
    out->role = store_pg__text(res, row, 3);
    out->password_hash = store_pg__text(res, row, 4);
    out->created_ms = store_pg__int64(res, row, 5);
}

int store_pg__user_get(struct store *base, int64_t ws, const char *name,
                       int64_t id, struct store_user *out, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int rows;

    memset(out, 0, sizeof(*out));
    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    if (name)
        store_pg__param_text(&p, name);
    else
        store_pg__param_int64(&p, id);
    if (!(res = store_pg__run(store_pg__from(base),
                              name ? sql_user_by_name : sql_user_by_id, &p,
                              false, "get user", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    if (rows == 1)
        read_user(res, 0, out);
    PQclear(res);
    if (rows == 1)
        return 0;
    if (name)
        return err_set(err, SYNC_ENOTFOUND, "user '%s' not found", name);
    return err_set(err, SYNC_ENOTFOUND, "user %lld not found", (long long)id);
}

int store_pg__user_list(struct store *base, int64_t ws,
                        struct store_user **out, size_t *out_count,
                        struct err *err)
{
    struct store_pg_params p;
    struct store_user *items;
    PGresult *res;
    int rows;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    if (!(res = store_pg__run(store_pg__from(base), sql_user_list, &p, false,
                              "list users", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    items = rows ? xcalloc((size_t)rows, sizeof(*items)) : NULL;
    for (int i = 0; i < rows; i++)
        read_user(res, i, &items[i]);
    PQclear(res);
    *out = items;
    *out_count = (size_t)rows;
    return 0;
}

int store_pg__user_delete(struct store *base, int64_t ws, const char *name,
                          struct err *err)
{
    struct store_pg_params p;
    char missing[160];

    snprintf(missing, sizeof(missing), "user '%.100s' not found", name);
    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, name);
    return run_change(base, sql_user_delete, &p, "delete user", missing, NULL,
                      err);
}

int store_pg__user_set_password(struct store *base, int64_t ws,
                                const char *name, const char *password_hash,
                                struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    char missing[160];
    bool owned;
    int rc;

    snprintf(missing, sizeof(missing), "user '%.100s' not found", name);
    if ((rc = store_pg__tx_enter(s, &owned, true, err)) < 0)
        return rc;
    store_pg__params_init(&p);
    store_pg__param_text(&p, password_hash);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, name);
    rc = run_change(base, sql_user_set_password, &p, "change password",
                    missing, NULL, err);
    if (rc == 0) {
        store_pg__params_init(&p);
        store_pg__param_int64(&p, ws);
        store_pg__param_text(&p, name);
        rc = run_change(base, sql_user_sessions_delete, &p, "change password",
                        NULL, NULL, err);
    }
    return store_pg__tx_leave(s, owned, true, rc, err);
}

int store_pg__api_token_delete_user(struct store *base, int64_t ws,
                                    int64_t user_id, int64_t *out_count,
                                    struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, user_id);
    return run_change(base, sql_token_delete_user, &p, "delete API tokens",
                      NULL, out_count, err);
}

int store_pg__session_add(struct store *base,
                          const struct store_session *session,
                          struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_text(&p, session->id_hash);
    store_pg__param_int64(&p, session->workspace_id);
    store_pg__param_int64(&p, session->user_id);
    store_pg__param_text(&p, session->csrf_token);
    store_pg__param_int64(&p, session->created_ms);
    store_pg__param_int64(&p, session->last_seen_ms);
    return run_change(base, sql_session_add, &p, "add session", NULL, NULL,
                      err);
}

int store_pg__session_get(struct store *base, int64_t ws, const char *id_hash,
                          struct store_session *out, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int rows;

    memset(out, 0, sizeof(*out));
    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, id_hash);
    if (!(res = store_pg__run(store_pg__from(base), sql_session_get, &p,
                              false, "get session", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    if (rows == 1) {
        out->id_hash = store_pg__text(res, 0, 0);
        out->workspace_id = store_pg__int64(res, 0, 1);
        out->user_id = store_pg__int64(res, 0, 2);
        out->csrf_token = store_pg__text(res, 0, 3);
        out->created_ms = store_pg__int64(res, 0, 4);
        out->last_seen_ms = store_pg__int64(res, 0, 5);
    }
    PQclear(res);
    if (rows == 0)
        return err_set(err, SYNC_ENOTFOUND, "session not found");
    return 0;
}

int store_pg__session_touch(struct store *base, int64_t ws,
                            const char *id_hash, int64_t last_seen_ms,
                            struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, last_seen_ms);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, id_hash);
    return run_change(base, sql_session_touch, &p, "touch session",
                      "session not found", NULL, err);
}

int store_pg__session_delete(struct store *base, int64_t ws,
                             const char *id_hash, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, id_hash);
    return run_change(base, sql_session_delete, &p, "delete session", NULL,
                      NULL, err);
}

int store_pg__session_delete_idle(struct store *base, int64_t ws,
                                  int64_t before_ms, int64_t *out_count,
                                  struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, before_ms);
    return run_change(base, sql_session_delete_idle, &p,
                      "delete idle sessions", NULL, out_count, err);
}

int store_pg__api_token_add(struct store *base,
                            const struct store_api_token *t, struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_text(&p, t->token_hash);
    store_pg__param_int64(&p, t->workspace_id);
    store_pg__param_int64(&p, t->user_id);
    store_pg__param_int64(&p, t->created_ms);
    return run_change(base, sql_token_add, &p, "add API token",
                      "the token's user was not found", NULL, err);
}

int store_pg__api_token_get(struct store *base, int64_t ws,
                            const char *token_hash,
                            struct store_api_token *out, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int rows;

    memset(out, 0, sizeof(*out));
    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, token_hash);
    if (!(res = store_pg__run(store_pg__from(base), sql_token_get, &p, false,
                              "get API token", err)))
        return SYNC_EDB;
    rows = PQntuples(res);
    if (rows == 1) {
        out->token_hash = store_pg__text(res, 0, 0);
        out->workspace_id = store_pg__int64(res, 0, 1);
        out->user_id = store_pg__int64(res, 0, 2);
        out->created_ms = store_pg__int64(res, 0, 3);
        out->last_used_ms = store_pg__int64(res, 0, 4);
    }
    PQclear(res);
    if (rows == 0)
        return err_set(err, SYNC_ENOTFOUND, "API token not found");
    return 0;
}

int store_pg__api_token_touch(struct store *base, int64_t ws,
                              const char *token_hash, int64_t last_used_ms,
                              struct err *err)
{
    struct store_pg_params p;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, last_used_ms);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, token_hash);
    return run_change(base, sql_token_touch, &p, "touch API token",
                      "API token not found", NULL, err);
}
