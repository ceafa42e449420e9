/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Pending OAuth sign-in attempts in the SQLite backend. store_oauth.c has
 * already checked the arguments and encrypted the secrets.
 */
#include "base/common.h"

#include "store_sqlite_int.h"

static const char sql_attempt_add[] =
    "INSERT INTO oauth_attempts (state_hash, workspace_id, user_id, "
    "login_url, client_id, redirect_uri, secrets, nonce, created_ms, "
    "expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (state_hash) DO NOTHING";
/* The attempts beyond the keep newest of a workspace, and expired ones. */
static const char sql_attempt_prune[] =
    "DELETE FROM oauth_attempts WHERE workspace_id = ?1 AND "
    "(expires_ms < ?2 OR state_hash NOT IN (SELECT state_hash FROM "
    "oauth_attempts WHERE workspace_id = ?1 ORDER BY created_ms DESC, "
    "state_hash LIMIT ?3))";
static const char sql_attempt_take[] =
    "DELETE FROM oauth_attempts WHERE workspace_id = ? AND state_hash = ? "
    "RETURNING state_hash, workspace_id, user_id, login_url, client_id, "
    "redirect_uri, secrets, nonce, created_ms, expires_ms";
static const char sql_attempt_workspace[] =
    "SELECT workspace_id FROM oauth_attempts WHERE state_hash = ?";
static const char sql_attempt_delete_expired[] =
    "DELETE FROM oauth_attempts WHERE workspace_id = ? AND expires_ms < ?";

static int prune(struct store_sqlite *s, int64_t ws, int64_t before_ms,
                 int64_t keep, struct err *err)
{
    const char *op = "delete old OAuth attempts";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_attempt_prune, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, before_ms);
    store_sqlite__bind_int64(st, 3, keep);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}

int store_sqlite__oauth_attempt_add(
    struct store *base, const struct store_oauth_attempt *a,
    const unsigned char *cipher, size_t cipher_len,
    const unsigned char nonce[SECRET_NONCE_SIZE], size_t keep, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "store OAuth attempt";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_attempt_add, op, err);
    bool owned;
    int rc;

    if (!st)
        return SYNC_EDB;
    if ((rc = store_sqlite__tx_enter(s, &owned, err)) < 0)
        return rc;
    store_sqlite__bind_text(st, 1, a->state_hash);
    store_sqlite__bind_int64(st, 2, a->workspace_id);
    store_sqlite__bind_int64(st, 3, a->user_id);
    store_sqlite__bind_text(st, 4, a->login_url);
    store_sqlite__bind_text(st, 5, a->client_id);
    store_sqlite__bind_text(st, 6, a->redirect_uri);
    store_sqlite__bind_blob(st, 7, cipher, cipher_len);
    store_sqlite__bind_blob(st, 8, nonce, SECRET_NONCE_SIZE);
    store_sqlite__bind_int64(st, 9, a->created_ms);
    store_sqlite__bind_int64(st, 10, a->expires_ms);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc >= 0 && sqlite3_changes(s->db) == 0)
        rc = err_set(err, SYNC_ECONFLICT,
                     "an OAuth attempt with this state exists already: "
                     "press Connect again");
    if (rc >= 0)
        rc = prune(s, a->workspace_id, a->created_ms,
                   keep > INT32_MAX ? INT32_MAX : (int64_t)keep, err);
    return store_sqlite__tx_leave(s, owned, rc < 0 ? rc : 0, err);
}

/* Copy the row of st into out and its secrets into the cipher buffer. */
static int read_attempt(sqlite3_stmt *st, struct store_oauth_attempt *out,
                        unsigned char **out_cipher, size_t *out_len,
                        unsigned char nonce[SECRET_NONCE_SIZE], struct err *err)
{
    size_t len = (size_t)sqlite3_column_bytes(st, 6);

    if ((size_t)sqlite3_column_bytes(st, 7) != SECRET_NONCE_SIZE)
        return err_set(err, SYNC_EINVALID,
                       "stored OAuth attempt has a malformed nonce: press "
                       "Connect again");
    out->state_hash = store_sqlite__column_text(st, 0);
    out->workspace_id = sqlite3_column_int64(st, 1);
    out->user_id = sqlite3_column_int64(st, 2);
    out->login_url = store_sqlite__column_text(st, 3);
    out->client_id = store_sqlite__column_text(st, 4);
    out->redirect_uri = store_sqlite__column_text(st, 5);
    memcpy(nonce, sqlite3_column_blob(st, 7), SECRET_NONCE_SIZE);
    *out_cipher = xmalloc(len ? len : 1);
    if (len)
        memcpy(*out_cipher, sqlite3_column_blob(st, 6), len);
    *out_len = len;
    out->created_ms = sqlite3_column_int64(st, 8);
    out->expires_ms = sqlite3_column_int64(st, 9);
    return 0;
}

int store_sqlite__oauth_attempt_take(
    struct store *base, int64_t ws, const char *state_hash,
    struct store_oauth_attempt *out, unsigned char **out_cipher,
    size_t *out_len, unsigned char nonce[SECRET_NONCE_SIZE], struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "take OAuth attempt";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_attempt_take, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_text(st, 2, state_hash);
    /* SQLite deletes the row during the first step of DELETE ... RETURNING,
     * so the reset below cannot undo it. */
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        rc = read_attempt(st, out, out_cipher, out_len, nonce, err);
    else if (rc == 0)
        rc = err_set(err, SYNC_ENOTFOUND, "OAuth attempt not found");
    store_sqlite__done(st);
    return rc;
}

int store_sqlite__oauth_attempt_delete_expired(struct store *base, int64_t ws,
                                               int64_t before_ms,
                                               int64_t *out_count,
                                               struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "delete expired OAuth attempts";
    sqlite3_stmt *st =
        store_sqlite__stmt(s, sql_attempt_delete_expired, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_int64(st, 1, ws);
    store_sqlite__bind_int64(st, 2, before_ms);
    rc = store_sqlite__step(s, st, op, err);
    store_sqlite__done(st);
    if (rc < 0)
        return rc;
    *out_count = sqlite3_changes(s->db);
    return 0;
}

int store_sqlite__oauth_attempt_workspace(struct store *base,
                                          const char *state_hash,
                                          int64_t *out_ws, struct err *err)
{
    struct store_sqlite *s = store_sqlite__from(base);
    const char *op = "find OAuth attempt";
    sqlite3_stmt *st = store_sqlite__stmt(s, sql_attempt_workspace, op, err);
    int rc;

    if (!st)
        return SYNC_EDB;
    store_sqlite__bind_text(st, 1, state_hash);
    rc = store_sqlite__step(s, st, op, err);
    if (rc == 1)
        *out_ws = sqlite3_column_int64(st, 0);
    else if (rc == 0)
        rc = err_set(err, SYNC_ENOTFOUND, "OAuth attempt not found");
    store_sqlite__done(st);
    return rc < 0 ? rc : 0;
}
