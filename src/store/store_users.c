/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The backend-neutral half of the users, sessions and API tokens of sfsync
 * serve: argument checks, then the backend. Hashing passwords, session ids
 * and tokens is the caller's work, so no secret reaches the store.
 */
#include "base/common.h"

#include "store.h"

#include "store_int.h"

static int check_text(const char *what, const char *value, struct err *err)
{
    if (!value || !*value)
        return err_set(err, SYNC_EINVALID, "%s is empty", what);
    return 0;
}

int store_user_add(struct store *s, struct store_user *u, struct err *err)
{
    int rc;

    if ((rc = check_text("user name", u->name, err)) < 0 ||
        (rc = check_text("password hash", u->password_hash, err)) < 0)
        return rc;
    if (!u->role ||
        (strcmp(u->role, "admin") != 0 && strcmp(u->role, "agent") != 0))
        return err_set(err, SYNC_EINVALID,
                       "invalid role '%s' for user '%s': use admin or agent",
                       u->role ? u->role : "", u->name);
    return s->ops->user_add(s, u, err);
}

int store_user_get(struct store *s, int64_t workspace_id, const char *name,
                   struct store_user *out, struct err *err)
{
    int rc;

    if ((rc = check_text("user name", name, err)) < 0)
        return rc;
    return s->ops->user_get(s, workspace_id, name, 0, out, err);
}

int store_user_get_by_id(struct store *s, int64_t workspace_id, int64_t id,
                         struct store_user *out, struct err *err)
{
    return s->ops->user_get(s, workspace_id, NULL, id, out, err);
}

int store_user_list(struct store *s, int64_t workspace_id,
                    struct store_user **out, size_t *out_count,
                    struct err *err)
{
    *out = NULL;
    *out_count = 0;
    return s->ops->user_list(s, workspace_id, out, out_count, err);
}

int store_user_delete(struct store *s, int64_t workspace_id, const char *name,
                      struct err *err)
{
    int rc;

    if ((rc = check_text("user name", name, err)) < 0)
        return rc;
    return s->ops->user_delete(s, workspace_id, name, err);
}

int store_user_set_password(struct store *s, int64_t workspace_id,
                            const char *name, const char *password_hash,
                            struct err *err)
{
    int rc;

    if ((rc = check_text("user name", name, err)) < 0 ||
        (rc = check_text("password hash", password_hash, err)) < 0)
        return rc;
    if (!s->ops->user_set_password)
        return err_set(err, SYNC_EINVALID,
                       "this store backend keeps no users: run sfsync serve "
                       "on a SQLite store");
    return s->ops->user_set_password(s, workspace_id, name, password_hash,
                                     err);
}

int store_api_token_delete_user(struct store *s, int64_t workspace_id,
                                int64_t user_id, int64_t *out_count,
                                struct err *err)
{
    int64_t count = 0;
    int rc;

    if (!s->ops->api_token_delete_user)
        return err_set(err, SYNC_EINVALID,
                       "this store backend keeps no users: run sfsync serve "
                       "on a SQLite store");
    rc = s->ops->api_token_delete_user(s, workspace_id, user_id, &count, err);
    if (out_count)
        *out_count = count;
    return rc;
}

void store_user_release(struct store_user *u)
{
    free(u->name);
    free(u->role);
    /* An Argon2id string is not the password, but it helps a guesser. */
    free_secret(u->password_hash);
    memset(u, 0, sizeof(*u));
}

void store_users_free(struct store_user *users, size_t count)
{
    for (size_t i = 0; i < count; i++)
        store_user_release(&users[i]);
    free(users);
}

int store_session_add(struct store *s, const struct store_session *session,
                      struct err *err)
{
    int rc;

    if ((rc = check_text("session hash", session->id_hash, err)) < 0 ||
        (rc = check_text("CSRF token", session->csrf_token, err)) < 0)
        return rc;
    return s->ops->session_add(s, session, err);
}

int store_session_get(struct store *s, int64_t workspace_id,
                      const char *id_hash, struct store_session *out,
                      struct err *err)
{
    int rc;

    if ((rc = check_text("session hash", id_hash, err)) < 0)
        return rc;
    return s->ops->session_get(s, workspace_id, id_hash, out, err);
}

int store_session_touch(struct store *s, int64_t workspace_id,
                        const char *id_hash, int64_t last_seen_ms,
                        struct err *err)
{
    int rc;

    if ((rc = check_text("session hash", id_hash, err)) < 0)
        return rc;
    return s->ops->session_touch(s, workspace_id, id_hash, last_seen_ms,
                                 err);
}

int store_session_delete(struct store *s, int64_t workspace_id,
                         const char *id_hash, struct err *err)
{
    int rc;

    if ((rc = check_text("session hash", id_hash, err)) < 0)
        return rc;
    return s->ops->session_delete(s, workspace_id, id_hash, err);
}

int store_session_delete_idle(struct store *s, int64_t workspace_id,
                              int64_t before_ms, int64_t *out_count,
                              struct err *err)
{
    return s->ops->session_delete_idle(s, workspace_id, before_ms, out_count,
                                       err);
}

void store_session_release(struct store_session *session)
{
    free(session->id_hash);
    free_secret(session->csrf_token);
    memset(session, 0, sizeof(*session));
}

int store_api_token_add(struct store *s, const struct store_api_token *t,
                        struct err *err)
{
    int rc;

    if ((rc = check_text("token hash", t->token_hash, err)) < 0)
        return rc;
    return s->ops->api_token_add(s, t, err);
}

int store_api_token_get(struct store *s, int64_t workspace_id,
                        const char *token_hash, struct store_api_token *out,
                        struct err *err)
{
    int rc;

    if ((rc = check_text("token hash", token_hash, err)) < 0)
        return rc;
    return s->ops->api_token_get(s, workspace_id, token_hash, out, err);
}

int store_api_token_touch(struct store *s, int64_t workspace_id,
                          const char *token_hash, int64_t last_used_ms,
                          struct err *err)
{
    int rc;

    if ((rc = check_text("token hash", token_hash, err)) < 0)
        return rc;
    return s->ops->api_token_touch(s, workspace_id, token_hash, last_used_ms,
                                   err);
}

void store_api_token_release(struct store_api_token *t)
{
    free(t->token_hash);
    memset(t, 0, sizeof(*t));
}
