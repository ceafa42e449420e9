/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The stored Salesforce connection of a workspace. Parameters and identity
 * are settings under the "connection." prefix; secrets are credentials,
 * encrypted by the store.
 */
#include "base/common.h"

#include "connection.h"

#include <inttypes.h>

#include "base/buf.h"
#include "base/datetime.h"
#include "settings.h"
#include "store/secret.h"
#include "store/store.h"

#define KEY(name) "connection." name

/* The start of every message about credentials that cannot be decrypted,
 * which connection_problem_fix recognises. */
#define CREDENTIALS_UNREADABLE "cannot read the stored Salesforce credentials"

/* Settings and credentials that make up a connection. */
static const char *const conn_keys[] = {
    KEY("login_url"),      KEY("client_id"),       KEY("grant"),
    KEY("username"),       KEY("jwt_key_file"),    KEY("instance_url"),
    KEY("identity_url"),   KEY("org_id"),          KEY("user_id"),
    KEY("sf_username"),    KEY("display_name"),    KEY("connected_ms"),
    KEY("last_refreshed_ms"), KEY("last_verified_ms"),
    KEY("needs_reconnect"), KEY("reconnect_reason"), KEY("redirect_uri"),
    KEY("reconnect_ms"),   KEY("check_problem"),   KEY("check_problem_ms"),
};
static const char *const secret_kinds[] = {"client_secret", "password",
                                           "refresh_token", "access_token"};

int connection_grant_parse(const char *name)
{
    if (strcmp(name, "client_credentials") == 0)
        return SF_AUTH_GRANT_CLIENT_CREDENTIALS;
    if (strcmp(name, "jwt") == 0 || strcmp(name, "jwt_bearer") == 0)
        return SF_AUTH_GRANT_JWT_BEARER;
    if (strcmp(name, "password") == 0)
        return SF_AUTH_GRANT_PASSWORD;
    if (strcmp(name, "authorization_code") == 0)
        return SF_AUTH_GRANT_AUTHORIZATION_CODE;
    return -1;
}

const char *connection_grant_name(enum sf_auth_grant grant)
{
    switch (grant) {
    case SF_AUTH_GRANT_CLIENT_CREDENTIALS:
        return "client_credentials";
    case SF_AUTH_GRANT_JWT_BEARER:
        return "jwt";
    case SF_AUTH_GRANT_PASSWORD:
        return "password";
    case SF_AUTH_GRANT_AUTHORIZATION_CODE:
        return "authorization_code";
    case SF_AUTH_GRANT_NONE:
        break;
    }
    return "none";
}

/* A stored connection value, or NULL; the caller frees it. */
static char *get_key(struct store *s, int64_t ws, const char *key)
{
    char *v = NULL;

    if (store_setting_get(s, ws, key, &v, NULL) < 0)
        return NULL;
    return v;
}

static int set_key(struct store *s, int64_t ws, const char *key,
                   const char *value, struct err *err)
{
    if (!value)
        return store_setting_delete(s, ws, key, err);
    return store_setting_set(s, ws, key, value, err);
}

static int set_ms(struct store *s, int64_t ws, const char *key, int64_t ms,
                  struct err *err)
{
    char text[32];

    snprintf(text, sizeof(text), "%" PRId64, ms);
    return store_setting_set(s, ws, key, text, err);
}

static int64_t get_ms(struct store *s, int64_t ws, const char *key)
{
    char *v = get_key(s, ws, key);
    int64_t ms = v ? strtoll(v, NULL, 10) : 0;

    free(v);
    return ms;
}

/* The API version setting, or NULL for the newest the org offers. */
static char *api_version(struct store *s, int64_t ws)
{
    char *v = NULL;

    if (settings_get(s, ws, "api_version", &v, NULL) < 0 ||
        strcmp(v, "auto") == 0) {
        free(v);
        return NULL;
    }
    return v;
}

static struct sf_client *make_client(struct store *s, int64_t ws,
                                     const struct sf_auth_config *cfg,
                                     struct err *err)
{
    struct sf_client_config ccfg;
    struct sf_client *client;
    struct sf_auth *auth;
    char *version = api_version(s, ws);

    memset(&ccfg, 0, sizeof(ccfg));
    ccfg.api_version = version;
    auth = sf_auth_new(cfg, err);
    client = auth ? sf_client_new(&ccfg, auth, err) : NULL;
    free(version);
    return client;
}

/* Store the tokens and identity of t; inside the caller's transaction. */
static int save_tokens(struct store *s, int64_t ws, const struct sf_token *t,
                       struct err *err)
{
    int rc;

    if ((rc = set_key(s, ws, KEY("instance_url"), t->instance_url, err)) ||
        (rc = set_key(s, ws, KEY("identity_url"), t->identity_url, err)) ||
        (rc = set_ms(s, ws, KEY("last_refreshed_ms"), datetime_now_ms(),
                     err)))
        return rc;
    if (t->access_token &&
        (rc = store_credential_put(s, ws, "access_token", t->access_token,
                                   err)))
        return rc;
    if (t->refresh_token &&
        (rc = store_credential_put(s, ws, "refresh_token", t->refresh_token,
                                   err)))
        return rc;
    return 0;
}

static void on_new_token(const struct sf_token *token, void *payload)
{
    struct connection *conn = payload;
    struct err err;

    if (save_tokens(conn->store, conn->workspace_id, token, &err) < 0)
        log_warn("sync", "cannot store renewed Salesforce token",
                 "workspace=%" PRId64 " error=%s", conn->workspace_id,
                 err.msg);
    else
        log_info("sync", "Salesforce token renewed",
                 "workspace=%" PRId64 " user=%s", conn->workspace_id,
                 token->user_id);
}

static int store_connection(struct store *s, int64_t ws,
                            const struct connection_params *p,
                            const struct sf_token *t,
                            const struct sf_userinfo *info, struct err *err)
{
    int rc;

    if ((rc = store_begin(s, err)) < 0)
        return rc;
    for (size_t i = 0; i < ARRAY_SIZE(secret_kinds); i++)
        if ((rc = store_credential_delete(s, ws, secret_kinds[i], err)))
            goto fail;
    if ((rc = set_key(s, ws, KEY("login_url"), p->login_url, err)) ||
        (rc = set_key(s, ws, KEY("client_id"), p->client_id, err)) ||
        (rc = set_key(s, ws, KEY("grant"), connection_grant_name(p->grant),
                      err)) ||
        (rc = set_key(s, ws, KEY("username"), p->username, err)) ||
        (rc = set_key(s, ws, KEY("jwt_key_file"), p->jwt_key_file, err)) ||
        (rc = set_key(s, ws, KEY("org_id"), info->org_id, err)) ||
        (rc = set_key(s, ws, KEY("user_id"), info->user_id, err)) ||
        (rc = set_key(s, ws, KEY("sf_username"), info->username, err)) ||
        (rc = set_key(s, ws, KEY("display_name"), info->display_name,
                      err)) ||
        (rc = set_key(s, ws, KEY("needs_reconnect"), NULL, err)) ||
        (rc = set_key(s, ws, KEY("reconnect_reason"), NULL, err)) ||
        (rc = set_key(s, ws, KEY("reconnect_ms"), NULL, err)) ||
        (rc = set_key(s, ws, KEY("check_problem"), NULL, err)) ||
        (rc = set_key(s, ws, KEY("check_problem_ms"), NULL, err)) ||
        (rc = set_ms(s, ws, KEY("connected_ms"), datetime_now_ms(), err)) ||
        (rc = set_ms(s, ws, KEY("last_verified_ms"), datetime_now_ms(),
                     err)) ||
        (rc = save_tokens(s, ws, t, err)))
        goto fail;
    if (p->client_secret &&
        (rc = store_credential_put(s, ws, "client_secret", p->client_secret,
                                   err)))
        goto fail;
    if (p->password &&
        (rc = store_credential_put(s, ws, "password", p->password, err)))
        goto fail;
    if ((rc = settings_apply_connect_defaults(s, ws, err)) < 0)
        goto fail;
    return store_commit(s, err);
fail:
    store_rollback(s, NULL);
    return rc;
}

int connection_connect(struct store *s, int64_t workspace_id,
                       const struct connection_params *p, struct err *err)
{
    struct sf_auth_config cfg;
    struct sf_userinfo info;
    struct sf_client *client;
    struct sf_auth *auth;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    memset(&info, 0, sizeof(info));
    cfg.login_url = p->login_url;
    cfg.client_id = p->client_id;
    cfg.client_secret = p->client_secret;
    cfg.grant = p->grant;
    cfg.username = p->username;
    cfg.password = p->password;
    cfg.private_key_file = p->jwt_key_file;
    client = make_client(s, workspace_id, &cfg, err);
    if (!client)
        return err ? err->code : SYNC_EINVALID;
    auth = sf_client_auth(client);
    if ((rc = sf_auth_login(auth, sf_client_http(client), err)) < 0 ||
        (rc = sf_auth_userinfo(auth, sf_client_http(client), &info, err)) <
            0)
        goto out;
    rc = store_connection(s, workspace_id, p, sf_auth_token(auth), &info,
                          err);
    if (rc == 0)
        log_info("sync", "connected to Salesforce",
                 "workspace=%" PRId64 " org=%s user=%s", workspace_id,
                 info.org_id, info.user_id);
out:
    if (info.username)
        sf_auth_userinfo_release(&info);
    sf_client_free(client);
    return rc;
}

int connection_connect_code(struct store *s, int64_t workspace_id,
                            const struct connection_params *p,
                            const char *redirect_uri, const char *code,
                            const char *verifier, struct err *err)
{
    struct connection_params stored = *p;
    struct sf_auth_config cfg;
    struct sf_userinfo info;
    struct sf_client *client;
    struct sf_auth *auth;
    int rc;

    memset(&cfg, 0, sizeof(cfg));
    memset(&info, 0, sizeof(info));
    cfg.login_url = p->login_url;
    cfg.client_id = p->client_id;
    cfg.client_secret = p->client_secret;
    cfg.grant = SF_AUTH_GRANT_AUTHORIZATION_CODE;
    cfg.redirect_uri = redirect_uri;
    client = make_client(s, workspace_id, &cfg, err);
    if (!client)
        return err ? err->code : SYNC_EINVALID;
    auth = sf_client_auth(client);
    if ((rc = sf_auth_exchange_code(auth, sf_client_http(client), code,
                                    verifier, err)) < 0 ||
        (rc = sf_auth_userinfo(auth, sf_client_http(client), &info, err)) <
            0)
        goto out;
    /* The refresh token renews this connection, and sf_auth_new needs the
     * redirect URI of the grant to rebuild it. */
    stored.grant = SF_AUTH_GRANT_AUTHORIZATION_CODE;
    stored.username = NULL;
    stored.password = NULL;
    stored.jwt_key_file = NULL;
    if ((rc = store_connection(s, workspace_id, &stored, sf_auth_token(auth),
                               &info, err)) == 0 &&
        (rc = set_key(s, workspace_id, KEY("redirect_uri"), redirect_uri,
                      err)) == 0)
        log_info("sync", "connected to Salesforce",
                 "workspace=%" PRId64 " org=%s user=%s grant=%s",
                 workspace_id, info.org_id, info.user_id,
                 "authorization_code");
out:
    if (info.username)
        sf_auth_userinfo_release(&info);
    sf_client_free(client);
    return rc;
}

static int needs_reconnect_error(struct store *s, int64_t ws,
                                 struct err *err)
{
    char *reason = get_key(s, ws, KEY("reconnect_reason"));
    /* The fix comes before the reason, which may fill the message. */
    int rc = err_set(err, SYNC_EAUTH,
                     "the Salesforce connection needs reconnecting: run "
                     "'sfsync connect' again (last error: %s)",
                     reason ? reason : "authentication was rejected");

    free(reason);
    return rc;
}

/* Read a credential; a missing one leaves *out NULL and is not an error.
 * A key that is missing or wrong gets CREDENTIALS_UNREADABLE in front. */
static int load_secret(struct store *s, int64_t ws, const char *kind,
                       char **out, struct err *err)
{
    int rc = store_credential_get(s, ws, kind, out, err);

    if (rc == SYNC_ENOTFOUND) {
        *out = NULL;
        return 0;
    }
    if (rc == SYNC_EINVALID || rc == SYNC_EIO)
        err_prefix(err, CREDENTIALS_UNREADABLE);
    return rc;
}

const char *connection_problem_fix(const char *problem, const char *otherwise)
{
    if (problem && strncmp(problem, CREDENTIALS_UNREADABLE,
                           strlen(CREDENTIALS_UNREADABLE)) == 0)
        return "set " SECRET_KEY_ENV " to the key that the credentials were "
               "stored with (or " SECRET_KEY_FILE_ENV " to its file, for a "
               "PostgreSQL store), or run 'sfsync connect' again; contacts, "
               "links and settings are kept";
    return otherwise;
}

int connection_open(struct connection *conn, struct store *s,
                    int64_t workspace_id, struct err *err)
{
    char *login = get_key(s, workspace_id, KEY("login_url"));
    char *client_id = get_key(s, workspace_id, KEY("client_id"));
    char *grant = get_key(s, workspace_id, KEY("grant"));
    char *username = get_key(s, workspace_id, KEY("username"));
    char *key_file = get_key(s, workspace_id, KEY("jwt_key_file"));
    char *flag = get_key(s, workspace_id, KEY("needs_reconnect"));
    char *redirect = get_key(s, workspace_id, KEY("redirect_uri"));
    char *secret = NULL, *password = NULL;
    struct sf_token stored;
    struct sf_auth_config cfg;
    int rc = 0;

    memset(conn, 0, sizeof(*conn));
    memset(&stored, 0, sizeof(stored));
    memset(&cfg, 0, sizeof(cfg));
    conn->store = s;
    conn->workspace_id = workspace_id;
    if (!login || !client_id || !grant) {
        rc = err_set(err, SYNC_ENOTFOUND,
                     "not connected to Salesforce: run 'sfsync connect' "
                     "first");
        goto out;
    }
    if (flag) {
        rc = needs_reconnect_error(s, workspace_id, err);
        goto out;
    }
    /* A missing credential is normal, because a grant may issue no
     * refresh token. Any other failure (a changed or unreadable key) is
     * reported as itself, not later as a missing secret. */
    if ((rc = load_secret(s, workspace_id, "client_secret", &secret, err)) ||
        (rc = load_secret(s, workspace_id, "password", &password, err)) ||
        (rc = load_secret(s, workspace_id, "access_token",
                          &stored.access_token, err)) ||
        (rc = load_secret(s, workspace_id, "refresh_token",
                          &stored.refresh_token, err)))
        goto out;
    stored.instance_url = get_key(s, workspace_id, KEY("instance_url"));
    stored.identity_url = get_key(s, workspace_id, KEY("identity_url"));
    cfg.login_url = login;
    cfg.client_id = client_id;
    cfg.client_secret = secret;
    cfg.grant = (enum sf_auth_grant)connection_grant_parse(grant);
    cfg.username = username;
    cfg.password = password;
    cfg.private_key_file = key_file;
    cfg.redirect_uri = redirect;
    conn->client = make_client(s, workspace_id, &cfg, err);
    if (!conn->client) {
        rc = err ? err->code : SYNC_EINVALID;
        goto out;
    }
    if ((stored.access_token || stored.refresh_token) &&
        (rc = sf_auth_restore(sf_client_auth(conn->client), &stored, err)) <
            0)
        goto out;
    sf_auth_set_callback(sf_client_auth(conn->client), on_new_token, conn);
out:
    if (rc < 0)
        connection_close(conn);
    free(login);
    free(client_id);
    free(grant);
    free(username);
    free(key_file);
    free(flag);
    free(redirect);
    free_secret(secret);
    free_secret(password);
    free_secret(stored.access_token);
    free_secret(stored.refresh_token);
    free(stored.instance_url);
    free(stored.identity_url);
    return rc;
}

void connection_close(struct connection *conn)
{
    sf_client_free(conn->client);
    conn->client = NULL;
}

uint64_t connection_api_calls(const struct connection *conn)
{
    struct sf_http_stats st;

    if (!conn->client)
        return 0;
    sf_http_get_stats(sf_client_http(conn->client), &st);
    return st.api_calls;
}

void connection_mark_failed(struct connection *conn, const struct err *why)
{
    if (!why || why->code != SYNC_EAUTH)
        return;
    set_key(conn->store, conn->workspace_id, KEY("needs_reconnect"), "true",
            NULL);
    set_key(conn->store, conn->workspace_id, KEY("reconnect_reason"),
            why->msg, NULL);
    set_ms(conn->store, conn->workspace_id, KEY("reconnect_ms"),
           datetime_now_ms(), NULL);
    log_warn("sync", "Salesforce connection needs reconnecting",
             "workspace=%" PRId64 " error=%s", conn->workspace_id, why->msg);
}

int connection_verify(struct connection *conn, struct err *err)
{
    struct sf_auth *auth = sf_client_auth(conn->client);
    struct sf_userinfo info;
    int rc;

    memset(&info, 0, sizeof(info));
    rc = sf_auth_userinfo(auth, sf_client_http(conn->client), &info, err);
    if (rc == SYNC_EAUTH || (rc < 0 && sf_auth_needs_reauth(auth))) {
        if (err)
            err->code = SYNC_EAUTH;
        connection_mark_failed(conn, err);
        return SYNC_EAUTH;
    }
    if (rc < 0)
        return rc;
    set_ms(conn->store, conn->workspace_id, KEY("last_verified_ms"),
           datetime_now_ms(), NULL);
    connection_note_check(conn->store, conn->workspace_id, NULL, NULL);
    sf_auth_userinfo_release(&info);
    return 0;
}

int connection_note_check(struct store *s, int64_t ws, const char *problem,
                          struct err *err)
{
    int rc;

    /* The time first: a reader between the two writes reads the problem's
     * old time, never a problem without one. */
    if (problem)
        rc = set_ms(s, ws, KEY("check_problem_ms"), datetime_now_ms(), err);
    else
        rc = set_key(s, ws, KEY("check_problem"), NULL, err);
    if (rc < 0)
        return rc;
    if (problem)
        return set_key(s, ws, KEY("check_problem"), problem, err);
    return set_key(s, ws, KEY("check_problem_ms"), NULL, err);
}

int connection_status_get(struct store *s, int64_t ws,
                          struct connection_status *out, struct err *err)
{
    char *flag;

    (void)err;
    memset(out, 0, sizeof(*out));
    out->login_url = get_key(s, ws, KEY("login_url"));
    out->connected = out->login_url != NULL;
    flag = get_key(s, ws, KEY("needs_reconnect"));
    out->needs_reconnect = flag != NULL;
    free(flag);
    out->reconnect_reason = get_key(s, ws, KEY("reconnect_reason"));
    out->grant = get_key(s, ws, KEY("grant"));
    out->client_id = get_key(s, ws, KEY("client_id"));
    out->instance_url = get_key(s, ws, KEY("instance_url"));
    out->org_id = get_key(s, ws, KEY("org_id"));
    out->user_id = get_key(s, ws, KEY("user_id"));
    out->username = get_key(s, ws, KEY("sf_username"));
    out->display_name = get_key(s, ws, KEY("display_name"));
    out->connected_ms = get_ms(s, ws, KEY("connected_ms"));
    out->last_refreshed_ms = get_ms(s, ws, KEY("last_refreshed_ms"));
    out->last_verified_ms = get_ms(s, ws, KEY("last_verified_ms"));
    out->reconnect_ms = get_ms(s, ws, KEY("reconnect_ms"));
    out->check_problem = get_key(s, ws, KEY("check_problem"));
    out->check_problem_ms = get_ms(s, ws, KEY("check_problem_ms"));
    return 0;
}

void connection_status_release(struct connection_status *st)
{
    free(st->reconnect_reason);
    free(st->login_url);
    free(st->grant);
    free(st->client_id);
    free(st->instance_url);
    free(st->org_id);
    free(st->user_id);
    free(st->username);
    free(st->display_name);
    free(st->check_problem);
    memset(st, 0, sizeof(*st));
}

/* Ask Salesforce to revoke token; failures only get a warning, because
 * the stored copy is deleted either way. */
static void revoke(const char *login_url, const char *token)
{
    struct sf_http *http = sf_http_new(NULL);
    struct sf_http_request req;
    struct sf_http_response resp;
    char *url = xasprintf("%s/services/oauth2/revoke", login_url);
    struct buf body;
    struct err err;

    buf_init(&body, 0);
    sf_http_form_add(&body, "token", token);
    memset(&req, 0, sizeof(req));
    req.method = "POST";
    req.url = url;
    req.content_type = "application/x-www-form-urlencoded";
    req.body = body.data;
    req.body_len = body.len;
    sf_http_response_init(&resp);
    resp.secret = true;
    if (sf_http_send(http, &req, &resp, &err) < 0 || resp.status != 200)
        log_warn("sync", "token revocation failed", "status=%ld error=%s",
                 resp.status, resp.status ? "rejected" : err.msg);
    sf_http_response_release(&resp);
    buf_release_secret(&body);
    free(url);
    sf_http_free(http);
}

int connection_disconnect(struct store *s, int64_t ws, struct err *err)
{
    char *login = get_key(s, ws, KEY("login_url"));
    char *token = NULL;
    int rc;

    if (login &&
        (store_credential_get(s, ws, "refresh_token", &token, NULL) == 0 ||
         store_credential_get(s, ws, "access_token", &token, NULL) == 0))
        revoke(login, token);
    free_secret(token);
    free(login);
    if ((rc = store_begin(s, err)) < 0)
        return rc;
    for (size_t i = 0; i < ARRAY_SIZE(secret_kinds); i++)
        if ((rc = store_credential_delete(s, ws, secret_kinds[i], err)))
            goto fail;
    /* The instance URL stays, so that links to records keep working. */
    for (size_t i = 0; i < ARRAY_SIZE(conn_keys); i++)
        if (strcmp(conn_keys[i], KEY("instance_url")) != 0 &&
            (rc = store_setting_delete(s, ws, conn_keys[i], err)))
            goto fail;
    return store_commit(s, err);
fail:
    store_rollback(s, NULL);
    return rc;
}
