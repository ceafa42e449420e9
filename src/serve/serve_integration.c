/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The integration endpoints of sfsync serve: its settings, the Salesforce
 * connection (client credentials, or the authorization code flow with
 * PKCE and a one-use state ending at /oauth/callback), disconnecting and
 * verifying.
 */
#include "base/common.h"

#include <inttypes.h>
#include <strings.h>

#include "base/datetime.h"
#include "serve_int.h"
#include "sync/connection.h"
#include "sync/engine.h"
#include "sync/settings.h"

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

/* The advice of the command line that ends a connection message, each
 * after a ": " or "; ". */
static const char *const cli_advice[] = {
    "check the credentials or log in again",
    "log in again",
    "run 'sfsync connect' again",
    "run 'sfsync connect' first",
};

void serve_strip_cli_advice(const char *msg, char *out, size_t size)
{
    const char *last;
    size_t len;

    snprintf(out, size, "%s", msg);
    /* The reconnect message of the command line wraps the stored reason:
     * keep the reason alone. */
    if ((last = strstr(out, "(last error: ")) != NULL) {
        memmove(out, last + strlen("(last error: "),
                strlen(last + strlen("(last error: ")) + 1);
        len = strlen(out);
        if (len && out[len - 1] == ')')
            out[len - 1] = '\0';
    }
    for (size_t i = 0; i < ARRAY_SIZE(cli_advice); i++) {
        size_t advice = strlen(cli_advice[i]);

        len = strlen(out);
        if (len < advice + 2 ||
            strcmp(out + len - advice, cli_advice[i]) != 0 ||
            (strncmp(out + len - advice - 2, ": ", 2) != 0 &&
             strncmp(out + len - advice - 2, "; ", 2) != 0))
            continue;
        out[len - advice - 2] = '\0';
        break;
    }
}

static json_t *connection_json(struct serve *srv, struct store *s)
{
    struct connection_status st;
    char problem_text[ERR_MSG_MAX];
    const char *problem, *fix = NULL;
    int64_t problem_ms;
    json_t *obj;

    connection_status_get(s, srv->ws, &st, NULL);
    problem = st.needs_reconnect
                  ? (st.reconnect_reason ? st.reconnect_reason
                                         : "Salesforce rejected the saved "
                                           "credentials")
                  : st.check_problem;
    problem_ms = st.needs_reconnect ? st.reconnect_ms : st.check_problem_ms;
    if (problem) {
        serve_strip_cli_advice(problem, problem_text, sizeof(problem_text));
        problem = problem_text;
    }
    if (st.needs_reconnect)
        fix = "an admin reconnects on the Integration page with the same "
              "settings; contacts, links and settings are kept";
    else if (problem)
        fix = "Salesforce did not reject the connection, so it is kept; "
              "verify again once Salesforce can be reached";
    obj = json_pack(
        "{s:b, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
        "s:o, s:o, s:o, s:o}",
        "connected", st.connected, "healthy",
        st.connected && !st.needs_reconnect && !st.check_problem,
        "needs_reconnect", st.needs_reconnect, "problem",
        st.connected ? str_or_null(problem) : json_null(), "problem_at",
        serve_time_json(st.connected && problem ? problem_ms : 0), "fix",
        st.connected ? str_or_null(fix) : json_null(), "login_url",
        str_or_null(st.login_url), "grant", str_or_null(st.grant),
        "client_id", str_or_null(st.client_id),
        "instance_url", str_or_null(st.connected ? st.instance_url : NULL),
        "org_id", str_or_null(st.org_id), "user_id", str_or_null(st.user_id),
        "username", str_or_null(st.username), "display_name",
        str_or_null(st.display_name), "connected_at",
        serve_time_json(st.connected_ms), "last_refreshed_at",
        serve_time_json(st.last_refreshed_ms), "last_verified_at",
        serve_time_json(st.last_verified_ms));
    connection_status_release(&st);
    return obj;
}

/* The sync state of a workspace served with --all-workspaces, whose
 * rounds run in workers: what the newest sync run and, on PostgreSQL,
 * the workspace's lease show. The time of a stored state stays 0 when
 * the store has none or cannot be read. */
static void worker_sync_state(struct serve *srv, struct store *s,
                              bool *running, int64_t *last, int64_t *next)
{
    struct store_run *runs = NULL;
    struct store_lease lease;
    size_t count = 0;
    struct err err;

    if (store_run_list_page(s, srv->ws, "sync", 0, 1, &runs, &count,
                            &err) == 0 &&
        count) {
        if (runs[0].finished_ms)
            *last = runs[0].finished_ms;
        else
            *running = true;
    }
    store_runs_free(runs, count);
    if (store_lease_get(s, srv->ws, &lease, &err) < 0)
        return;
    /* The lease decides while workers run the rounds, because a round
     * recorded as running may belong to a killed worker. */
    *running = lease.held;
    if (lease.synced_ms > *last)
        *last = lease.synced_ms;
    if (lease.synced_ms && !lease.held)
        *next = lease.synced_ms +
                (int64_t)settings_get_long(s, srv->ws, "poll_interval") *
                    1000;
}

json_t *serve_integration_json(struct serve *srv, struct store *s)
{
    json_t *settings = json_object(), *help = json_object(), *objects;
    json_t *direction;
    char *v;
    bool running;
    int64_t last, next;

    for (const struct setting_def *d = settings_defs; d->key; d++) {
        v = settings_get_normalized(s, srv->ws, d->key);
        json_object_set_new(settings, d->key, json_string(v));
        free(v);
        json_object_set_new(help, d->key,
                            json_pack("{s:s, s:s, s:s}", "default",
                                      d->default_value, "valid", d->valid,
                                      "help", d->help));
    }
    objects = json_array();
    if (settings_object_enabled(s, srv->ws, SF_OBJECT_CONTACT))
        json_array_append_new(objects, json_string("contacts"));
    if (settings_object_enabled(s, srv->ws, SF_OBJECT_LEAD))
        json_array_append_new(objects, json_string("leads"));
    v = settings_get_normalized(s, srv->ws, "direction");
    direction = json_string(v);
    free(v);
    pthread_mutex_lock(&srv->lock);
    running = srv->round_running;
    last = srv->last_round_ms;
    next = srv->next_poll_ms;
    for (int o = 0; o < SF_OBJECT_COUNT; o++)
        running |= srv->pulls[o].running;
    pthread_mutex_unlock(&srv->lock);
    if (srv->root) {
        bool worker_running = false;

        worker_sync_state(srv, s, &worker_running, &last, &next);
        running |= worker_running;
    }
    return json_pack("{s:b, s:o, s:o, s:o, s:o, s:o, s:{s:b, s:o, s:o}}",
                     "enabled", settings_enabled(s, srv->ws), "objects",
                     objects, "direction", direction, "settings",
                     settings, "setting_help", help, "connection",
                     connection_json(srv, s), "sync", "running", running,
                     "last_round_at", serve_time_json(last), "next_poll_at",
                     serve_time_json(next));
}

static int reply_integration(struct serve *srv, struct store *s,
                             struct http_resp *resp)
{
    http_resp_json(resp, 200, serve_integration_json(srv, s));
    return 0;
}

/* GET /api/integration */
static int get_integration(struct http_req *req, struct http_resp *resp,
                           void *payload)
{
    return reply_integration(payload, serve_req_of(req)->store, resp);
}

/* The text of a setting value given as a string, number or boolean. */
static char *value_text(json_t *v)
{
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_integer(v))
        return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_boolean(v))
        return xstrdup(json_is_true(v) ? "true" : "false");
    return NULL;
}

/* Whether describe of object has field name of type url. */
static int check_url_field(struct connection *conn, const char *object,
                           const char *name, struct err *err)
{
    struct sf_client_request req;
    json_t *doc = NULL, *fields, *f;
    char path[64];
    size_t i;
    int rc;

    snprintf(path, sizeof(path), "/sobjects/%s/describe", object);
    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = path;
    if ((rc = sf_client_send(conn->client, &req, NULL, &doc, err)) < 0)
        return rc;
    fields = json_object_get(doc, "fields");
    rc = err_set(err, SYNC_EINVALID,
                 "invalid value '%s' for setting 'backlink_field': %s has no "
                 "such field; create a URL field of that name on Contact and "
                 "Lead",
                 name, object);
    json_array_foreach(fields, i, f)
    {
        const char *fname = json_string_value(json_object_get(f, "name"));
        const char *type = json_string_value(json_object_get(f, "type"));

        if (!fname || strcasecmp(fname, name) != 0)
            continue;
        if (type && strcmp(type, "url") == 0)
            rc = 0;
        else
            rc = err_set(err, SYNC_EINVALID,
                         "invalid value '%s' for setting 'backlink_field': "
                         "%s.%s is of type '%s', not url",
                         name, object, fname, type ? type : "");
        break;
    }
    json_decref(doc);
    return rc;
}

/* A backlink field must exist as a URL field on Contact and Lead; it can
 * be checked only while connected. */
static int check_backlink(struct serve *srv, struct store *s,
                          const char *name, struct err *err)
{
    struct connection conn;
    int rc;

    if (!*name)
        return 0;
    if (connection_open(&conn, s, srv->ws, NULL) < 0)
        return 0; /* NOTE: checked at the next connect only by the push */
    rc = check_url_field(&conn, "Contact", name, err);
    if (rc == 0)
        rc = check_url_field(&conn, "Lead", name, err);
    connection_close(&conn);
    return rc;
}

/* Check that an external id field exists and is marked External ID on
 * each synced object, as `sfsync config set` does. Without a connection,
 * each sync round checks it. A request that also sets `objects` checks the
 * field against those objects in check_external_id_objects instead. */
static int check_external_id(struct serve *srv, struct store *s,
                             const char *name, struct err *err)
{
    struct connection conn;
    int rc;

    if (!*name)
        return 0;
    if (connection_open(&conn, s, srv->ws, NULL) < 0)
        return 0;
    rc = sync_check_external_id_field(&conn, name, err);
    connection_close(&conn);
    if (rc < 0)
        sync_external_id_advice(err, "PATCH /api/integration/settings");
    return rc;
}

/* When body sets `objects` and an external id field is set, in body or
 * stored, check that field against the new objects, because a field that
 * one of them lacks fails every sync round. Without a connection each
 * round checks it. Reply 422 naming external_id_field, or the request's
 * error, and return -1 when the check fails. */
static int check_external_id_objects(struct serve *srv, struct store *s,
                                     json_t *body, struct http_resp *resp)
{
    json_t *field_value = json_object_get(body, "external_id_field");
    char *text = value_text(json_object_get(body, "objects"));
    char *objects = NULL, *field = NULL;
    struct connection conn;
    struct err err;
    int rc = 0;

    /* Both values passed settings_normalize in patch_settings already. */
    if (!text || settings_normalize("objects", text, &objects, &err) < 0)
        goto out;
    free(text);
    text = NULL;
    if (field_value) {
        text = value_text(field_value);
        if (!text ||
            settings_normalize("external_id_field", text, &field, &err) < 0)
            goto out;
    } else {
        field = settings_get_normalized(s, srv->ws, "external_id_field");
    }
    if (!field || !*field || connection_open(&conn, s, srv->ws, NULL) < 0)
        goto out;
    rc = sync_check_external_id_objects(&conn, field, objects, &err);
    connection_close(&conn);
    if (rc < 0)
        sync_external_id_advice(&err, "PATCH /api/integration/settings");
    if (rc < 0) {
        if (err.code == SYNC_EINVALID)
            serve_error(resp, 422, "invalid_value", "external_id_field",
                        "%s", err.msg);
        else
            serve_error_rc(resp, &err, "external_id_field");
        rc = -1;
    }
out:
    free(text);
    free(objects);
    free(field);
    return rc;
}

/* Reply 500 for a store failure while storing settings already checked. */
static int store_failed(const struct serve *srv, struct http_resp *resp,
                        const struct err *err)
{
    log_error("serve", "storing settings failed", "workspace=%s error=%s",
              srv->ws_name, err->msg);
    return serve_error(resp, 500, "internal", NULL,
                       "storing the settings failed: %s; nothing was "
                       "changed, try again",
                       err->msg);
}

/* PATCH /api/integration/settings */
static int patch_settings(struct http_req *req, struct http_resp *resp,
                          void *payload)
{
    struct serve *srv = payload;
    struct store *s = serve_req_of(req)->store;
    json_t *body, *v;
    const char *key;
    int64_t phones_changed = 0;
    struct err err;
    int rc = 0;

    if (!serve_require(req, resp, SERVE_ROLE_ADMIN) ||
        !(body = serve_body(req, resp)))
        return 0;
    /* Every value is checked before any is stored. */
    json_object_foreach(body, key, v)
    {
        char *text = value_text(v), *norm = NULL;

        if (!settings_find(key) || strncmp(key, "connection.", 11) == 0) {
            free(text);
            return serve_error(resp, 422, "invalid_value", key,
                               "unknown setting '%.64s': GET "
                               "/api/integration lists every setting",
                               key);
        }
        if (!text) {
            /* null, a fraction, an array or an object: the setting's own
             * message, with the value as JSON. */
            char *shown = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

            rc = serve_error(resp, 422, "invalid_value", key,
                             "invalid value '%.64s%s' for setting '%s': use "
                             "%s",
                             shown ? shown : "", shown && strlen(shown) > 64
                                                     ? "..." : "",
                             key, settings_find(key)->valid);
            free(shown);
            return rc;
        }
        rc = settings_normalize(key, text, &norm, &err);
        if (rc == 0 && strcmp(key, "backlink_field") == 0)
            rc = check_backlink(srv, s, norm, &err);
        if (rc == 0 && strcmp(key, "external_id_field") == 0 &&
            !json_object_get(body, "objects"))
            rc = check_external_id(srv, s, norm, &err);
        free(text);
        free(norm);
        if (rc < 0)
            return err.code == SYNC_EINVALID
                       ? serve_error(resp, 422, "invalid_value", key, "%s",
                                     err.msg)
                       : serve_error_rc(resp, &err, key);
    }
    if (json_object_get(body, "objects") &&
        check_external_id_objects(srv, s, body, resp) < 0)
        return 0;
    /* The values are valid, so a failure from here on is the store's. */
    if ((rc = store_begin(s, &err)) < 0)
        return store_failed(srv, resp, &err);
    json_object_foreach(body, key, v)
    {
        char *text = value_text(v);
        int64_t changed;

        rc = settings_set_in_tx(s, srv->ws, key, text, &changed, &err);
        free(text);
        if (rc < 0)
            break;
        phones_changed += changed;
    }
    if (rc < 0 || (rc = store_commit(s, &err)) < 0) {
        store_rollback(s, NULL);
        return store_failed(srv, resp, &err);
    }
    log_info("serve", "settings changed",
             "workspace=%s count=%zu contacts_renormalized=%" PRId64
             " user=%s",
             srv->ws_name, json_object_size(body), phones_changed,
             serve_req_of(req)->user->name);
    serve_wake(srv);
    return reply_integration(srv, s, resp);
}

static int string_field(json_t *body, const char *key, bool required,
                        const char **out, struct http_resp *resp)
{
    json_t *v = json_object_get(body, key);

    *out = NULL;
    if ((!v || json_is_null(v)) && !required)
        return 0;
    if (!json_is_string(v) || !*json_string_value(v)) {
        serve_error(resp, 422, "invalid_value", key,
                    "'%s' is missing or empty; give it as a string", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static bool is_http_url(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 ||
           strncasecmp(url, "https://", 8) == 0;
}

/*
 * Start the authorization code flow: store the attempt, so that the
 * callback may reach any serve process of this database, and reply with
 * the URL of Salesforce's sign-in page.
 */
static int start_authorization(struct serve *srv, struct http_req *req,
                               const char *login, const char *client_id,
                               const char *secret, struct http_resp *resp)
{
    struct store *s = serve_req_of(req)->store;
    struct store_oauth_attempt a;
    struct sf_auth_config cfg;
    char state[SF_AUTH_STATE_LEN + 1];
    char verifier[SF_AUTH_VERIFIER_LEN + 1];
    char challenge[SF_AUTH_CHALLENGE_LEN + 1];
    char *public_url = serve_public_url(srv, s), *url = NULL;
    struct sf_auth *auth;
    struct err err;
    int rc = 0;

    memset(&a, 0, sizeof(a));
    sf_auth_make_state(state);
    sf_auth_pkce_verifier(verifier);
    sf_auth_pkce_challenge(verifier, challenge, NULL);
    a.redirect_uri = xasprintf("%s/oauth/callback", public_url);
    free(public_url);
    memset(&cfg, 0, sizeof(cfg));
    cfg.login_url = login;
    cfg.client_id = client_id;
    cfg.grant = SF_AUTH_GRANT_AUTHORIZATION_CODE;
    cfg.redirect_uri = a.redirect_uri;
    if (!(auth = sf_auth_new(&cfg, &err))) {
        rc = serve_error(resp, 422, "invalid_value", "login_url", "%s",
                         err.msg);
        goto out;
    }
    url = sf_auth_authorize_url(auth, challenge, state);
    sf_auth_free(auth);
    a.workspace_id = srv->ws;
    a.state_hash = serve_sha256_hex(state);
    a.user_id = serve_req_of(req)->user->id;
    a.login_url = xstrdup(login);
    a.client_id = xstrdup(client_id);
    a.verifier = xstrdup(verifier);
    a.client_secret = secret ? xstrdup(secret) : NULL;
    a.created_ms = datetime_now_ms();
    a.expires_ms = a.created_ms + SERVE_OAUTH_TTL_MS;
    if (store_oauth_attempt_add(s, &a, SERVE_OAUTH_MAX, &err) < 0) {
        log_error("serve", "storing the OAuth attempt failed",
                  "workspace=%s error=%s", srv->ws_name, err.msg);
        rc = serve_error_rc(resp, &err, NULL);
        goto out;
    }
    log_info("serve", "authorization started",
             "workspace=%s login_url=%s user=%s", srv->ws_name, login,
             serve_req_of(req)->user->name);
    http_resp_json(resp, 200, json_pack("{s:s}", "authorize_url", url));
out:
    free(url);
    store_oauth_attempt_release(&a);
    secure_zero(verifier, sizeof(verifier));
    secure_zero(state, sizeof(state));
    return rc;
}

/* POST /api/integration/connect */
static int post_connect(struct http_req *req, struct http_resp *resp,
                        void *payload)
{
    struct serve *srv = payload;
    struct store *s = serve_req_of(req)->store;
    const char *flow, *login, *client_id, *secret;
    struct connection_params p;
    json_t *body;
    struct err err;
    bool code_flow;

    static const char *const keys[] = {"flow", "login_url", "client_id",
                                       "client_secret", NULL};

    if (!serve_require(req, resp, SERVE_ROLE_ADMIN) ||
        !(body = serve_body(req, resp)) ||
        serve_check_keys(body, keys, resp) < 0 ||
        string_field(body, "flow", true, &flow, resp) < 0)
        return 0;
    code_flow = strcmp(flow, "authorization_code") == 0;
    if (!code_flow && strcmp(flow, "client_credentials") != 0)
        return serve_error(resp, 422, "invalid_value", "flow",
                           "invalid flow '%.40s': use client_credentials or "
                           "authorization_code",
                           flow);
    if (string_field(body, "login_url", true, &login, resp) < 0 ||
        string_field(body, "client_id", true, &client_id, resp) < 0 ||
        string_field(body, "client_secret", !code_flow, &secret, resp) < 0)
        return 0;
    if (!is_http_url(login))
        return serve_error(resp, 422, "invalid_value", "login_url",
                           "invalid login_url '%.80s': give an http:// or "
                           "https:// URL",
                           login);
    if (code_flow)
        return start_authorization(srv, req, login, client_id, secret, resp);
    memset(&p, 0, sizeof(p));
    p.login_url = login;
    p.client_id = client_id;
    p.client_secret = secret;
    p.grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS;
    if (connection_connect(s, srv->ws, &p, &err) < 0) {
        char why[ERR_MSG_MAX];

        log_warn("serve", "connect failed",
                 "workspace=%s login_url=%s error=%s", srv->ws_name, login,
                 err.msg);
        serve_strip_cli_advice(err.msg, why, sizeof(why));
        if (err.code == SYNC_EINVALID)
            return serve_error(resp, 422, "invalid_value", NULL, "%s", why);
        if (err.code == SYNC_EAUTH)
            return serve_error(resp, 502, "salesforce_error", NULL,
                               "Salesforce rejected the client credentials "
                               "(%s): check the connected app's client id "
                               "and client secret",
                               why);
        return serve_error(resp, 502, "salesforce_error", NULL,
                           "Salesforce at '%.80s' could not be reached "
                           "(%s): check the login URL",
                           login, why);
    }
    serve_verify_now(srv, s);
    serve_wake(srv);
    return reply_integration(srv, s, resp);
}

/*
 * Redirect the browser back to the page, with an error code on failure.
 * The page maps the code to its text and shows nothing else, so that a
 * crafted link cannot put words on the page. The details go to the log.
 */
static int redirect(struct http_resp *resp, const char *code)
{
    char *location;

    if (!code)
        location = xstrdup("/#integration?connected=1");
    else
        location = xasprintf("/#integration?error=%s", code);
    http_resp_header(resp, "Location", location);
    http_resp_text(resp, 302, "text/plain; charset=utf-8",
                   code ? "connecting failed; back to the page\n"
                        : "connected; back to the page\n");
    free(location);
    return 0;
}

/*
 * Take the stored attempt of state and delete the expired ones. Return
 * NULL with *a filled, or the error code for the page.
 */
static const char *take_attempt(struct serve *srv, struct store *s,
                                const char *state,
                                struct store_oauth_attempt *a)
{
    char *hash = serve_sha256_hex(state);
    struct err err;
    int rc;

    rc = store_oauth_attempt_take(s, srv->ws, hash, a, &err);
    free(hash);
    store_oauth_attempt_delete_expired(s, srv->ws, datetime_now_ms(), NULL,
                                       NULL);
    if (rc == SYNC_ENOTFOUND) {
        log_warn("serve", "OAuth callback with an unknown state",
                 "workspace=%s", srv->ws_name);
        return "unknown_state";
    }
    if (rc < 0) {
        log_error("serve", "reading the OAuth attempt failed",
                  "workspace=%s error=%s", srv->ws_name, err.msg);
        return "store_failed";
    }
    return NULL;
}

/* GET /oauth/callback?code=&state= */
static int oauth_callback(struct http_req *req, struct http_resp *resp,
                          void *payload)
{
    struct serve *srv = payload;
    struct store *s = serve_req_of(req)->store;
    const char *state = http_req_query(req, "state");
    const char *code = http_req_query(req, "code");
    const char *error = http_req_query(req, "error");
    const char *desc = http_req_query(req, "error_description");
    struct connection_params p;
    struct store_oauth_attempt a;
    const char *failure;
    struct err err;

    memset(&a, 0, sizeof(a));
    if (!state || !*state) {
        log_warn("serve", "OAuth callback without a state", NULL);
        return redirect(resp, "unknown_state");
    }
    if ((failure = take_attempt(srv, s, state, &a)) != NULL)
        return redirect(resp, failure);
    if (a.expires_ms < datetime_now_ms()) {
        log_warn("serve", "OAuth callback after the attempt expired",
                 "workspace=%s", srv->ws_name);
        redirect(resp, "expired");
        goto out;
    }
    if (error) {
        log_warn("serve", "authorization refused",
                 "workspace=%s error=%.60s description=%.160s",
                 srv->ws_name, error, desc ? desc : "");
        redirect(resp, strcmp(error, "access_denied") == 0 ? "access_denied"
                                                            : "refused");
        goto out;
    }
    if (!code || !*code) {
        log_warn("serve", "OAuth callback without a code", "workspace=%s",
                 srv->ws_name);
        redirect(resp, "no_code");
        goto out;
    }
    memset(&p, 0, sizeof(p));
    p.login_url = a.login_url;
    p.client_id = a.client_id;
    p.client_secret = a.client_secret;
    if (connection_connect_code(s, srv->ws, &p, a.redirect_uri, code,
                                a.verifier, &err) < 0) {
        log_warn("serve", "authorization code exchange failed",
                 "workspace=%s error=%s", srv->ws_name, err.msg);
        redirect(resp, "exchange_failed");
        goto out;
    }
    log_info("serve", "connected to Salesforce",
             "workspace=%s grant=authorization_code "
             "login_url=%s user_id=%" PRId64,
             srv->ws_name, a.login_url, a.user_id);
    serve_verify_now(srv, s);
    serve_wake(srv);
    redirect(resp, NULL);
out:
    store_oauth_attempt_release(&a);
    return 0;
}

/* POST /api/integration/disconnect */
static int post_disconnect(struct http_req *req, struct http_resp *resp,
                           void *payload)
{
    struct serve *srv = payload;
    struct store *s = serve_req_of(req)->store;
    struct err err;

    if (!serve_require(req, resp, SERVE_ROLE_ADMIN) ||
        serve_check_no_body(req, resp) < 0)
        return 0;
    if (connection_disconnect(s, srv->ws, &err) < 0)
        return serve_error_rc(resp, &err, NULL);
    log_info("serve", "disconnected from Salesforce", "workspace=%s user=%s",
             srv->ws_name, serve_req_of(req)->user->name);
    return reply_integration(srv, s, resp);
}

/* POST /api/integration/verify */
static int post_verify(struct http_req *req, struct http_resp *resp,
                       void *payload)
{
    struct serve *srv = payload;
    struct store *s = serve_req_of(req)->store;
    struct connection_status st;
    bool connected;

    if (!serve_require(req, resp, SERVE_ROLE_ADMIN) ||
        serve_check_no_body(req, resp) < 0)
        return 0;
    connection_status_get(s, srv->ws, &st, NULL);
    connected = st.connected;
    connection_status_release(&st);
    if (!connected)
        return serve_error(resp, 409, "not_connected", NULL,
                           "not connected to Salesforce: connect first");
    serve_verify_now(srv, s);
    return reply_integration(srv, s, resp);
}

void serve_integration_routes(struct serve *srv)
{
    struct http_router *r = &srv->router;

    http_router_add(r, "GET", "/api/integration", get_integration, srv);
    http_router_add(r, "PATCH", "/api/integration/settings", patch_settings,
                    srv);
    http_router_add(r, "POST", "/api/integration/connect", post_connect,
                    srv);
    http_router_add(r, "POST", "/api/integration/disconnect",
                    post_disconnect, srv);
    http_router_add(r, "POST", "/api/integration/verify", post_verify, srv);
    http_router_add(r, "GET", "/oauth/callback", oauth_callback, srv);
}
