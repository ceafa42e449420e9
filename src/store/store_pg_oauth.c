/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Pending OAuth sign-in attempts in the PostgreSQL backend, as in the
 * SQLite one. store_oauth.c has already checked the arguments and
 * encrypted the secrets.
 */
#include "base/common.h"

#include <endian.h>

#include "store_pg_int.h"

static const char sql_attempt_add[] =
    "INSERT INTO oauth_attempts (state_hash, workspace_id, user_id, "
    "login_url, client_id, redirect_uri, secrets, nonce, created_ms, "
    "expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
    "ON CONFLICT (state_hash) DO NOTHING";
/* The attempts beyond the keep newest of a workspace, and expired ones. */
static const char sql_attempt_prune[] =
    "DELETE FROM oauth_attempts WHERE workspace_id = $1 AND "
    "(expires_ms < $2 OR state_hash NOT IN (SELECT state_hash FROM "
    "oauth_attempts WHERE workspace_id = $1 ORDER BY created_ms DESC, "
    "state_hash LIMIT $3))";
/* Read in binary format, so the BYTEA columns arrive as raw bytes. */
static const char sql_attempt_take[] =
    "DELETE FROM oauth_attempts WHERE workspace_id = $1 AND state_hash = $2 "
    "RETURNING state_hash, workspace_id, user_id, login_url, client_id, "
    "redirect_uri, secrets, nonce, created_ms, expires_ms";
static const char sql_attempt_workspace[] =
    "SELECT workspace_id FROM oauth_attempts WHERE state_hash = $1";
static const char sql_attempt_delete_expired[] =
    "DELETE FROM oauth_attempts WHERE workspace_id = $1 AND expires_ms < $2";

/* A BIGINT column of a binary result: eight bytes in network order. */
static int64_t binary_int64(PGresult *res, int row, int column)
{
    uint64_t v;

    if (PQgetisnull(res, row, column) ||
        PQgetlength(res, row, column) != (int)sizeof(v))
        return 0;
    memcpy(&v, PQgetvalue(res, row, column), sizeof(v));
    return (int64_t)be64toh(v);
}

static int add_row(struct store_pg *s, const struct store_oauth_attempt *a,
                   const unsigned char *cipher, size_t cipher_len,
                   const unsigned char nonce[SECRET_NONCE_SIZE],
                   struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int64_t changed;

    store_pg__params_init(&p);
    store_pg__param_text(&p, a->state_hash);
    store_pg__param_int64(&p, a->workspace_id);
    store_pg__param_int64(&p, a->user_id);
    store_pg__param_text(&p, a->login_url);
    store_pg__param_text(&p, a->client_id);
    store_pg__param_text(&p, a->redirect_uri);
    store_pg__param_bytes(&p, cipher, cipher_len);
    store_pg__param_bytes(&p, nonce, SECRET_NONCE_SIZE);
    store_pg__param_int64(&p, a->created_ms);
    store_pg__param_int64(&p, a->expires_ms);
    if (!(res = store_pg__run(s, sql_attempt_add, &p, false,
                              "store OAuth attempt", err)))
        return SYNC_EDB;
    changed = store_pg__changes(res);
    PQclear(res);
    if (changed == 0)
        return err_set(err, SYNC_ECONFLICT,
                       "an OAuth attempt with this state exists already: "
                       "press Connect again");
    return 0;
}

int store_pg__oauth_attempt_add(struct store *base,
                                const struct store_oauth_attempt *a,
                                const unsigned char *cipher, size_t cipher_len,
                                const unsigned char nonce[SECRET_NONCE_SIZE],
                                size_t keep, struct err *err)
{
    struct store_pg *s = store_pg__from(base);
    struct store_pg_params p;
    bool owned;
    int rc;

    if ((rc = store_pg__tx_enter(s, &owned, true, err)) < 0)
        return rc;
    rc = add_row(s, a, cipher, cipher_len, nonce, err);
    if (rc == 0) {
        store_pg__params_init(&p);
        store_pg__param_int64(&p, a->workspace_id);
        store_pg__param_int64(&p, a->created_ms);
        store_pg__param_int64(&p, keep > INT32_MAX ? INT32_MAX : (int64_t)keep);
        rc = store_pg__run_command(s, sql_attempt_prune, &p,
                                   "delete old OAuth attempts", err);
    }
    return store_pg__tx_leave(s, owned, true, rc, err);
}

int store_pg__oauth_attempt_take(struct store *base, int64_t ws,
                                 const char *state_hash,
                                 struct store_oauth_attempt *out,
                                 unsigned char **out_cipher, size_t *out_len,
                                 unsigned char nonce[SECRET_NONCE_SIZE],
                                 struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    size_t len;
    int rc = 0;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_text(&p, state_hash);
    if (!(res = store_pg__run(store_pg__from(base), sql_attempt_take, &p, true,
                              "take OAuth attempt", err)))
        return SYNC_EDB;
    if (PQntuples(res) == 0) {
        rc = err_set(err, SYNC_ENOTFOUND, "OAuth attempt not found");
        goto out;
    }
    if (PQgetlength(res, 0, 7) != SECRET_NONCE_SIZE) {
        rc = err_set(err, SYNC_EINVALID,
                     "stored OAuth attempt has a malformed nonce: press "
                     "Connect again");
        goto out;
    }
    out->state_hash = store_pg__text(res, 0, 0);
    out->workspace_id = binary_int64(res, 0, 1);
    out->user_id = binary_int64(res, 0, 2);
    out->login_url = store_pg__text(res, 0, 3);
    out->client_id = store_pg__text(res, 0, 4);
    out->redirect_uri = store_pg__text(res, 0, 5);
    memcpy(nonce, PQgetvalue(res, 0, 7), SECRET_NONCE_SIZE);
    len = (size_t)PQgetlength(res, 0, 6);
    *out_cipher = xmalloc(len ? len : 1);
    if (len)
        memcpy(*out_cipher, PQgetvalue(res, 0, 6), len);
    *out_len = len;
    out->created_ms = binary_int64(res, 0, 8);
    out->expires_ms = binary_int64(res, 0, 9);
out:
    PQclear(res);
    return rc;
}

int store_pg__oauth_attempt_delete_expired(struct store *base, int64_t ws,
                                           int64_t before_ms,
                                           int64_t *out_count, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;

    store_pg__params_init(&p);
    store_pg__param_int64(&p, ws);
    store_pg__param_int64(&p, before_ms);
    if (!(res = store_pg__run(store_pg__from(base), sql_attempt_delete_expired,
                              &p, false, "delete expired OAuth attempts", err)))
        return SYNC_EDB;
    *out_count = store_pg__changes(res);
    PQclear(res);
    return 0;
}

int store_pg__oauth_attempt_workspace(struct store *base, const char *state_hash,
                                      int64_t *out_ws, struct err *err)
{
    struct store_pg_params p;
    PGresult *res;
    int rc = 0;

    store_pg__params_init(&p);
    store_pg__param_text(&p, state_hash);
    if (!(res = store_pg__run(store_pg__from(base), sql_attempt_workspace, &p,
                              false, "find OAuth attempt", err)))
        return SYNC_EDB;
    if (PQntuples(res) == 0)
        rc = err_set(err, SYNC_ENOTFOUND, "OAuth attempt not found");
    else
        *out_ws = store_pg__int64(res, 0, 0);
    PQclear(res);
    return rc;
}
