/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sfsync serve: start-up, the store handle pool, the filters that run
 * around every request, the shared reply helpers, /healthz and the stop
 * on SIGTERM or SIGINT.
 */
#include "base/common.h"

#include "serve.h"

#include <signal.h>
#include <stdarg.h>
#include <strings.h>

#include <sodium.h>

#include "base/datetime.h"
#include "serve_int.h"
#include "sync/settings.h"

struct store *serve_store_take(struct serve *srv, struct err *err)
{
    struct store *s = NULL;

    pthread_mutex_lock(&srv->pool_lock);
    if (srv->npool)
        s = srv->pool[--srv->npool];
    pthread_mutex_unlock(&srv->pool_lock);
    if (s)
        return s;
    if (store_open(&s, srv->db_path, err) < 0)
        return NULL;
    return s;
}

void serve_store_give(struct serve *srv, struct store *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&srv->pool_lock);
    srv->pool = xgrow(srv->pool, &srv->pool_cap, srv->npool + 1,
                      sizeof(*srv->pool));
    srv->pool[srv->npool++] = s;
    pthread_mutex_unlock(&srv->pool_lock);
}

int serve_error(struct http_resp *resp, int status, const char *code,
                const char *field, const char *fmt, ...)
{
    char message[ERR_MSG_MAX * 2];
    json_t *error;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    error = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (!error) /* a message cut inside a UTF-8 sequence */
        error = json_pack("{s:s, s:s}", "code", code, "message",
                          "the request failed");
    if (field)
        json_object_set_new(error, "field", json_string(field));
    http_resp_json(resp, status, json_pack("{s:o}", "error", error));
    return 0;
}

int serve_error_rc(struct http_resp *resp, const struct err *err,
                   const char *field)
{
    switch (err->code) {
    case SYNC_EINVALID:
        return serve_error(resp, 422, "invalid_value", field, "%s",
                           err->msg);
    case SYNC_ENOTFOUND:
        return serve_error(resp, 404, "not_found", NULL, "%s", err->msg);
    case SYNC_ECONFLICT:
        return serve_error(resp, 409, "conflict", NULL, "%s", err->msg);
    case SYNC_EAUTH:
    case SYNC_ERATELIMIT:
    case SYNC_ETRANSIENT:
        return serve_error(resp, 502, "salesforce_error", NULL, "%s",
                           err->msg);
    default:
        log_error("serve", "request failed", "error=%s", err->msg);
        return serve_error(resp, 500, "internal", NULL, "%s", err->msg);
    }
}

/* A short reason for a JSON parse error, or "" when none fits. Jansson's
 * own text names its flags and quotes the body, so it is not shown. */
static const char *json_error_reason(const json_error_t *jerr)
{
    switch (json_error_code(jerr)) {
    case json_error_duplicate_key:
        return ": a key appears twice";
    case json_error_null_character:
    case json_error_null_byte_in_key:
        return ": it contains a NUL character";
    case json_error_invalid_utf8:
        return ": it is not valid UTF-8";
    case json_error_premature_end_of_input:
        return ": it ends too early";
    case json_error_stack_overflow:
        return ": it nests too deeply";
    default:
        return "";
    }
}

json_t *serve_body(struct http_req *req, struct http_resp *resp)
{
    struct serve_req *ctx = serve_req_of(req);
    json_error_t jerr;
    json_t *body;

    if (ctx->body)
        return ctx->body;
    body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES,
                      &jerr);
    if (!body) {
        serve_error(resp, 400, "bad_json", NULL,
                    "the body is not valid JSON at line %d, column %d%s; "
                    "send a JSON object",
                    jerr.line, jerr.column, json_error_reason(&jerr));
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        serve_error(resp, 400, "bad_json", NULL,
                    "the request body is not a JSON object; send one");
        return NULL;
    }
    ctx->body = body;
    return body;
}

int serve_check_keys(json_t *body, const char *const *allowed,
                     struct http_resp *resp)
{
    const char *key;
    json_t *value;

    json_object_foreach(body, key, value)
    {
        struct buf names;
        bool known = false;

        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (known)
            continue;
        buf_init(&names, 0);
        for (size_t i = 0; allowed[i]; i++)
            buf_printf(&names, "%s%s", i ? ", " : "", allowed[i]);
        serve_error(resp, 422, "invalid_value", key,
                    "unknown key '%.40s': this request takes only %s", key,
                    names.data);
        buf_release(&names);
        return -1;
    }
    return 0;
}

bool serve_require(struct http_req *req, struct http_resp *resp,
                   enum serve_role role)
{
    struct serve_req *ctx = serve_req_of(req);

    if (ctx->user && ctx->user->role >= role)
        return true;
    serve_error(resp, 403, "forbidden", NULL,
                "this request needs the admin role; sign in as an admin");
    return false;
}

json_t *serve_time_json(int64_t ms)
{
    char text[DATETIME_LEN];

    if (!ms)
        return json_null();
    datetime_format_z(ms, text);
    return json_string(text);
}

void serve_wake(struct serve *srv)
{
    pthread_mutex_lock(&srv->lock);
    srv->wake = true;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
}

char *serve_public_url(struct serve *srv, struct store *s)
{
    char *url = settings_get_normalized(s, srv->ws, "public_url");

    if (*url)
        return url;
    free(url);
    return xstrdup(srv->listen_url);
}

/* The paths that need no sign-in: health, sign-in, the OAuth callback
 * and the page's files (its data comes from the API). */
static bool is_public(const struct http_req *req)
{
    const char *p = req->path;

    if (strcasecmp(p, "/healthz") == 0 || strcasecmp(p, "/oauth/callback") == 0)
        return true;
    if (strcasecmp(p, "/api/session") == 0 &&
        strcmp(req->method, "POST") == 0)
        return true;
    return strncasecmp(p, "/api/", 5) != 0 && strcasecmp(p, "/api") != 0 &&
           strcasecmp(p, "/metrics") != 0;
}

/* Whether a request to the API has no body or a JSON one. Other types
 * are rejected because a cross-site form may send them without a CORS
 * preflight, JSON bodies included under text/plain. */
static bool is_json_body(const struct http_req *req)
{
    const char *type = http_req_header(req, "Content-Type");
    size_t len = strlen("application/json");

    if (strncasecmp(req->path, "/api/", 5) != 0 || req->body_len == 0)
        return true;
    return type && strncasecmp(type, "application/json", len) == 0 &&
           (type[len] == '\0' || type[len] == ';' || type[len] == ' ');
}

static int before(struct http_req *req, struct http_resp *resp,
                  void *payload)
{
    struct serve *srv = payload;
    struct serve_req *ctx = xcalloc(1, sizeof(*ctx));
    struct err err;
    bool stopping;

    req->user_data = ctx;
    pthread_mutex_lock(&srv->lock);
    stopping = srv->stopping;
    pthread_mutex_unlock(&srv->lock);
    if (stopping) {
        serve_error(resp, 503, "unavailable", NULL,
                    "the server is stopping; try again once it is back");
        return 1;
    }
    ctx->store = serve_store_take(srv, &err);
    if (!ctx->store) {
        log_error("serve", "cannot open the store", "error=%s", err.msg);
        if (strcasecmp(req->path, "/healthz") == 0)
            http_resp_json(resp, 503,
                           json_pack("{s:s, s:s}", "status", "unavailable",
                                     "reason", err.msg));
        else
            serve_error(resp, 503, "unavailable", NULL, "%s", err.msg);
        return 1;
    }
    if (req->malformed & HTTP_MALFORMED_QUERY) {
        serve_error(resp, 400, "bad_request", req->malformed_arg,
                    "query argument '%s' is not valid UTF-8",
                    req->malformed_arg ? req->malformed_arg : "");
        return 1;
    }
    if (!is_json_body(req)) {
        serve_error(resp, 415, "unsupported_media_type", NULL,
                    "the request body must be sent as 'Content-Type: "
                    "application/json'");
        return 1;
    }
    if (is_public(req))
        return 0;
    return serve_auth_check(srv, req, resp, ctx);
}

static void after(struct http_req *req, struct http_resp *resp,
                  void *payload)
{
    struct serve *srv = payload;
    struct serve_req *ctx = req->user_data;

    http_resp_header(resp, "Content-Security-Policy", "default-src 'self'");
    http_resp_header(resp, "X-Content-Type-Options", "nosniff");
    http_resp_header(resp, "X-Frame-Options", "DENY");
    http_resp_header(resp, "Referrer-Policy", "no-referrer");
    /* Replies that change with the server's state are never cached; the
     * page's files set their own. */
    if (strncasecmp(req->path, "/api/", 5) == 0 ||
        strcasecmp(req->path, "/healthz") == 0 ||
        strcasecmp(req->path, "/metrics") == 0 ||
        strncasecmp(req->path, "/oauth/", 7) == 0)
        http_resp_header(resp, "Cache-Control", "no-store");
    if (!ctx)
        return;
    serve_store_give(srv, ctx->store);
    serve_user_free(ctx->user);
    json_decref(ctx->body);
    free(ctx);
    req->user_data = NULL;
}

static int not_found(struct http_req *req, struct http_resp *resp,
                     void *payload)
{
    (void)req;
    (void)payload;
    return serve_error(resp, 404, "not_found", NULL,
                       "no such resource; see docs/api.md for the paths");
}

static int bad_method(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    struct serve *srv = payload;
    struct buf allow;

    buf_init(&allow, 0);
    http_router_methods(&srv->router, req, &allow);
    http_resp_header(resp, "Allow", allow.data);
    serve_error(resp, 405, "method_not_allowed", NULL,
                "method %.20s is not allowed on this path: use %s",
                req->method, allow.data);
    buf_release(&allow);
    return 0;
}

/* GET /healthz: 200 while the process runs and the store returns a read. */
static int get_healthz(struct http_req *req, struct http_resp *resp,
                       void *payload)
{
    struct serve *srv = payload;
    struct store_workspace w;
    struct err err;

    memset(&w, 0, sizeof(w));
    if (store_workspace_get(serve_req_of(req)->store, srv->ws_name, &w,
                            &err) < 0) {
        http_resp_json(resp, 503, json_pack("{s:s, s:s}", "status",
                                            "unavailable", "reason",
                                            err.msg));
        return 0;
    }
    store_workspace_release(&w);
    http_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
    return 0;
}

/* GET /metrics: Prometheus text. */
static int get_metrics(struct http_req *req, struct http_resp *resp,
                       void *payload)
{
    struct serve *srv = payload;
    struct buf out;

    buf_init(&out, 0);
    serve_metrics_text(srv, serve_req_of(req)->store, &out);
    http_resp_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8",
                   out.data ? out.data : "");
    buf_release(&out);
    return 0;
}

static void add_routes(struct serve *srv)
{
    http_router_init(&srv->router);
    srv->router.not_found = not_found;
    srv->router.bad_method = bad_method;
    srv->router.payload = srv;
    http_router_add(&srv->router, "GET", "/healthz", get_healthz, srv);
    http_router_add(&srv->router, "GET", "/metrics", get_metrics, srv);
    serve_auth_routes(srv);
    serve_contacts_routes(srv);
    serve_integration_routes(srv);
    serve_runs_routes(srv);
    serve_static_routes(srv);
    /* HEAD runs the GET handler; libmicrohttpd sends its headers without
     * the body. The OAuth callback is left out, because running it uses
     * up the sign-in attempt. The loop reads only the routes added before
     * it. */
    for (size_t i = 0, n = srv->router.nroutes; i < n; i++) {
        struct http_route *rt = &srv->router.routes[i];

        if (rt->method && strcmp(rt->method, "GET") == 0 &&
            strncmp(rt->pattern, "/oauth/", 7) != 0)
            http_router_add(&srv->router, "HEAD", rt->pattern, rt->handler,
                            rt->payload);
    }
}

static int open_workspace(struct serve *srv, const struct serve_options *o,
                          struct err *err)
{
    struct store_workspace w;
    struct store_user *users = NULL;
    size_t nusers = 0;
    struct store *s;
    int rc;

    memset(&w, 0, sizeof(w));
    if (!(s = serve_store_take(srv, err)))
        return err ? err->code : SYNC_EDB;
    rc = store_workspace_get(s, o->workspace_name, &w, err);
    if (rc == 0) {
        srv->ws = w.id;
        store_workspace_release(&w);
        rc = store_run_abandon_dead(s, srv->ws, NULL, err);
    }
    if (rc == 0) {
        rc = store_user_list(s, srv->ws, &users, &nusers, err);
    }
    if (rc == 0 && nusers == 0)
        fprintf(stderr,
                "sfsync: no users yet, so nobody can sign in; create the "
                "first admin with\n  sfsync --db %s users add NAME --role "
                "admin\n",
                o->db_path);
    store_users_free(users, nusers);
    serve_store_give(srv, s);
    return rc;
}

static void serve_release(struct serve *srv)
{
    for (size_t i = 0; i < srv->npool; i++)
        store_close(srv->pool[i]);
    free(srv->pool);
    http_router_release(&srv->router);
    serve_throttle_release(srv);
    for (size_t i = 0; i < SERVE_OAUTH_MAX; i++) {
        free(srv->oauth[i].login_url);
        free(srv->oauth[i].redirect_uri);
        free(srv->oauth[i].client_id);
        free_secret(srv->oauth[i].client_secret);
    }
    free(srv->verify_problem);
    free(srv->listen_url);
    free(srv->ws_name);
    free(srv->db_path);
    pthread_mutex_destroy(&srv->pool_lock);
    pthread_mutex_destroy(&srv->lock);
    pthread_mutex_destroy(&srv->work_lock);
    pthread_cond_destroy(&srv->cond);
}

int serve_run(const struct serve_options *o, struct err *err)
{
    struct http_server_opts hopts;
    static struct serve srv; /* threads abandoned at a stop may still use it */
    sigset_t set;
    bool clean;
    int rc, sig;

    if (sodium_init() < 0)
        return err_set(err, SYNC_EIO, "libsodium failed to initialise");
    memset(&srv, 0, sizeof(srv));
    pthread_mutex_init(&srv.pool_lock, NULL);
    pthread_mutex_init(&srv.lock, NULL);
    pthread_mutex_init(&srv.work_lock, NULL);
    pthread_cond_init(&srv.cond, NULL);
    hmap_init(&srv.throttle, false);
    srv.db_path = xstrdup(o->db_path);
    srv.ws_name = xstrdup(o->workspace_name);
    srv.api_used = srv.api_max = -1;
    srv.started_ms = datetime_now_ms();
    if ((rc = open_workspace(&srv, o, err)) < 0) {
        serve_release(&srv);
        return rc;
    }
    add_routes(&srv);
    memset(&hopts, 0, sizeof(hopts));
    hopts.host = o->host;
    hopts.port = o->port;
    hopts.max_body = SERVE_MAX_BODY;
    hopts.router = &srv.router;
    hopts.before = before;
    hopts.after = after;
    hopts.payload = &srv;
    hopts.too_large_type = "application/json";
    hopts.too_large_body =
        "{\"error\":{\"code\":\"too_large\",\"message\":\"the request body "
        "is larger than 65536 bytes\"}}";

    /* Block the stop signals before any thread starts, so that only
     * sigwait below receives them. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    srv.http = http_server_start(&hopts, err);
    if (!srv.http) {
        serve_release(&srv);
        return err ? err->code : SYNC_EIO;
    }
    srv.listen_url = xasprintf("http://%s:%d", o->host,
                               http_server_port(srv.http));
    if ((rc = serve_sync_start(&srv, err)) < 0) {
        http_server_stop(srv.http);
        serve_release(&srv);
        return rc;
    }
    printf("sfsync serving %s\n", srv.listen_url);
    fflush(stdout);
    log_info("serve", "listening", "url=%s workspace=%s", srv.listen_url,
             srv.ws_name);
    sigwait(&set, &sig);
    log_info("serve", "stopping", "signal=%d", sig);
    pthread_mutex_lock(&srv.lock);
    srv.stopping = true;
    pthread_cond_broadcast(&srv.cond);
    pthread_mutex_unlock(&srv.lock);
    http_server_stop(srv.http);
    clean = serve_sync_stop(&srv);
    if (!clean) {
        /* A thread still runs a request to Salesforce. Exiting now is
         * safe: its open transaction, if any, is rolled back by SQLite. */
        log_warn("serve", "stopped with work abandoned; the next pull or "
                 "round goes on where it stopped", NULL);
        fflush(NULL);
        _exit(0);
    }
    log_info("serve", "stopped", NULL);
    serve_release(&srv);
    return 0;
}
