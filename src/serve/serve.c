/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sfsync serve: start-up, the store handle pool, the filters that run
 * around every request, the shared reply helpers, /healthz and the stop
 * on SIGTERM or SIGINT.
 */
#include "base/common.h"

#include "serve.h"

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <strings.h>

#include <sodium.h>

#include "base/datetime.h"
#include "serve_int.h"
#include "sync/settings.h"

/* The server whose pool lends the store handles: the root of a view. */
static struct serve *pool_owner(struct serve *srv)
{
    return srv->root ? srv->root : srv;
}

struct store *serve_store_take(struct serve *srv, struct err *err)
{
    struct store *s = NULL;

    srv = pool_owner(srv);

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
    srv = pool_owner(srv);
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

int serve_check_no_body(struct http_req *req, struct http_resp *resp)
{
    json_t *body;
    const char *key;
    json_t *value;

    if (req->body_len == 0)
        return 0;
    if (!(body = serve_body(req, resp)))
        return -1;
    json_object_foreach(body, key, value)
    {
        serve_error(resp, 422, "invalid_value", key,
                    "unknown key '%.40s': this request takes no keys; send "
                    "no body or {}",
                    key);
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
    srv->wakes++;
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

    if (strcasecmp(p, "/healthz") == 0 ||
        strcasecmp(p, "/oauth/callback") == 0 ||
        strcasecmp(p, "/api/server") == 0)
        return true;
    if (strcasecmp(p, "/api/session") == 0 &&
        strcmp(req->method, "POST") == 0)
        return true;
    return strncasecmp(p, "/api/", 5) != 0 && strcasecmp(p, "/api") != 0 &&
           strcasecmp(p, "/metrics") != 0;
}

/*
 * Split a Host header or URL authority ("name", "name:port", "[v6]:port")
 * into its lower-case name and port (0 when absent). Return false for a
 * malformed value.
 */
static bool split_host(const char *value, size_t len, char *name,
                       size_t size, int *port)
{
    const char *end = value + len, *colon = NULL;
    size_t n;

    *port = 0;
    if (len && value[0] == '[') {
        const char *close = memchr(value, ']', len);

        if (!close)
            return false;
        colon = close + 1 < end ? close + 1 : NULL;
        if (colon && *colon != ':')
            return false;
        n = (size_t)(close + 1 - value);
    } else {
        colon = memchr(value, ':', len);
        n = colon ? (size_t)(colon - value) : len;
    }
    if (colon) {
        long p = 0;

        if (colon + 1 == end)
            return false;
        for (const char *c = colon + 1; c < end; c++) {
            if (*c < '0' || *c > '9' || p > 65535)
                return false;
            p = p * 10 + (*c - '0');
        }
        if (p < 1 || p > 65535)
            return false;
        *port = (int)p;
    }
    if (n == 0 || n >= size)
        return false;
    for (size_t i = 0; i < n; i++)
        name[i] = (char)tolower((unsigned char)value[i]);
    name[n] = '\0';
    return true;
}

/* Whether the Host header names the public_url setting's host, with its
 * port or the scheme's default port. */
static bool is_public_host(struct serve *srv, struct store *s,
                           const char *name, int port)
{
    char *url = settings_get_normalized(s, srv->ws, "public_url");
    const char *authority = strstr(url, "://");
    char public_name[256];
    int public_port, default_port;
    bool match = false;

    if (authority) {
        size_t len;
        const char *at;

        default_port = strncasecmp(url, "https", 5) == 0 ? 443 : 80;
        authority += 3;
        len = strcspn(authority, "/?#");
        at = memchr(authority, '@', len);
        if (at) {
            len -= (size_t)(at + 1 - authority);
            authority = at + 1;
        }
        if (split_host(authority, len, public_name, sizeof(public_name),
                       &public_port)) {
            if (!public_port)
                public_port = default_port;
            match = strcmp(name, public_name) == 0 &&
                    (port ? port : default_port) == public_port;
        }
    }
    free(url);
    return match;
}

/*
 * Whether the request's Host header names this server, which keeps a page
 * of another site that a DNS rebinding points at 127.0.0.1 from reading the
 * API: the listen address, localhost and 127.0.0.1 with the listen port,
 * the host of public_url, or a --allow-host name with any port.
 */
static bool host_allowed(struct serve *srv, struct http_req *req,
                         struct store *s)
{
    const char *host = http_req_header(req, "Host");
    char name[256];
    int port;

    if (!host || !split_host(host, strlen(host), name, sizeof(name), &port))
        return false;
    for (size_t i = 0; i < srv->nallow_hosts; i++)
        if (strcmp(name, srv->allow_hosts[i]) == 0)
            return true;
    if ((port == srv->listen_port || (!port && srv->listen_port == 80)) &&
        (strcmp(name, srv->listen_host) == 0 ||
         strcmp(name, "localhost") == 0 || strcmp(name, "127.0.0.1") == 0))
        return true;
    /* Each workspace has its own public_url, so --all-workspaces relies
     * on --allow-host for the public name. */
    return !srv->all_workspaces && is_public_host(srv, s, name, port);
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

/*
 * Route a request that needs no sign-in under --all-workspaces. The OAuth
 * callback goes to the view of the workspace whose pending attempt in the
 * store has its state, which any serve process of the database may have
 * stored. Everything else goes to the root's routes: the page's files,
 * /healthz and sign-in, which finds the workspace in its body. Return 1
 * when the request was handled here, 0 to leave it to the root's router.
 */
static int dispatch_public(struct serve *srv, struct http_req *req,
                           struct http_resp *resp, struct store *s)
{
    const char *state = http_req_query(req, "state");
    struct serve **views, *view = NULL;
    int64_t ws = 0;
    char *hash;
    size_t n;
    int rc;

    if (strcasecmp(req->path, "/oauth/callback") != 0 || !state || !*state)
        return 0;
    hash = serve_sha256_hex(state);
    rc = store_oauth_attempt_workspace(s, hash, &ws, NULL);
    free(hash);
    if (rc < 0)
        return 0;
    /* A workspace added after this process started has no view yet. */
    serve_views_refresh(srv, s);
    n = serve_views(srv, &views);
    for (size_t i = 0; i < n && !view; i++)
        if (views[i]->ws == ws)
            view = views[i];
    free(views);
    if (!view)
        return 0;
    if (http_router_dispatch(&view->router, req, resp) < 0)
        http_resp_text(resp, 500, "text/plain", "internal error\n");
    return 1;
}

/* Reply 421 to a request whose Host header does not name the server,
 * naming only the fixes that apply: --all-workspaces takes no public_url,
 * since each workspace has its own. */
static void misdirected(const struct serve *srv, struct http_req *req,
                        struct http_resp *resp)
{
    const char *host = http_req_header(req, "Host");
    const char *fix = srv->all_workspaces
                          ? "or start serve with --allow-host NAME"
                          : "set public_url, or start serve with "
                            "--allow-host NAME";

    log_warn("serve", "request with an unknown Host rejected",
             "host=%.100s path=%.100s", host ? host : "(missing)", req->path);
    if (!host || !*host)
        serve_error(resp, 421, "misdirected_request", NULL,
                    "the Host header is missing or empty: send one that "
                    "names this server, such as %s",
                    srv->listen_url + strlen("http://"));
    else
        serve_error(resp, 421, "misdirected_request", NULL,
                    "the Host header '%.100s' does not name this server: "
                    "use %s, %s",
                    host, srv->listen_url, fix);
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
    /* /healthz accepts any Host, so that a load balancer's probes, which
     * name the machine's address, get through. It shows nothing else. */
    if (strcasecmp(req->path, "/healthz") != 0 &&
        !host_allowed(srv, req, ctx->store)) {
        misdirected(srv, req, resp);
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
    if (is_public(req)) {
        if (srv->all_workspaces)
            return dispatch_public(srv, req, resp, ctx->store);
        return 0;
    }
    if (serve_auth_check(srv, req, resp, ctx))
        return 1;
    if (!srv->all_workspaces)
        return 0;
    /* The routes of the user's workspace handle the request, so that its
     * handlers read and write that workspace only. */
    if (http_router_dispatch(&ctx->view->router, req, resp) < 0)
        http_resp_text(resp, 500, "text/plain", "internal error\n");
    return 1;
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
                       "no resource at '%.200s': the API's paths start with "
                       "/api/contacts, /api/integration, /api/pulls, "
                       "/api/runs, /api/errors, /api/conflicts, /api/users, "
                       "/api/session or /api/server",
                       req->path);
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
    if (srv->all_workspaces) {
        struct store_workspace *list = NULL;
        size_t count = 0;

        if (store_workspace_list(serve_req_of(req)->store, &list, &count,
                                 &err) < 0) {
            http_resp_json(resp, 503, json_pack("{s:s, s:s}", "status",
                                                "unavailable", "reason",
                                                err.msg));
            return 0;
        }
        store_workspaces_free(list, count);
    } else if (store_workspace_get(serve_req_of(req)->store, srv->ws_name,
                                   &w, &err) < 0) {
        http_resp_json(resp, 503, json_pack("{s:s, s:s}", "status",
                                            "unavailable", "reason",
                                            err.msg));
        return 0;
    }
    store_workspace_release(&w);
    http_resp_json(resp, 200, json_pack("{s:s}", "status", "ok"));
    return 0;
}

/* GET /api/server: what the sign-in form needs to know before a user
 * signs in. */
static int get_server(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    struct serve *srv = payload;

    (void)req;
    http_resp_json(resp, 200, json_pack("{s:b}", "all_workspaces",
                                        pool_owner(srv)->all_workspaces));
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
    http_router_add(&srv->router, "GET", "/api/server", get_server, srv);
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

/* Make the view of workspace w; under root->views_lock. */
static struct serve *view_add(struct serve *root, struct store *s,
                              const struct store_workspace *w)
{
    struct serve *v = xcalloc(1, sizeof(*v));

    pthread_mutex_init(&v->pool_lock, NULL);
    pthread_mutex_init(&v->lock, NULL);
    pthread_mutex_init(&v->work_lock, NULL);
    pthread_mutex_init(&v->views_lock, NULL);
    pthread_cond_init(&v->cond, NULL);
    hmap_init(&v->throttle, false);
    v->root = root;
    v->db_path = xstrdup(root->db_path);
    v->ws = w->id;
    v->ws_name = xstrdup(w->name);
    v->listen_url = xstrdup(root->listen_url);
    v->listen_host = xstrdup(root->listen_host);
    v->listen_port = root->listen_port;
    v->api_used = v->api_max = -1;
    v->started_ms = root->started_ms;
    pthread_mutex_lock(&root->lock);
    v->stopping = root->stopping;
    pthread_mutex_unlock(&root->lock);
    serve_pulls_init(v);
    add_routes(v);
    store_run_abandon_dead(s, w->id, NULL, NULL);
    root->views = xgrow(root->views, &root->views_cap, root->nviews + 1,
                        sizeof(*root->views));
    root->views[root->nviews++] = v;
    log_info("serve", "serving workspace", "workspace=%s", w->name);
    return v;
}

/* The view of workspace id w->id, made when missing; under
 * root->views_lock. */
static struct serve *view_of(struct serve *root, struct store *s,
                             const struct store_workspace *w)
{
    for (size_t i = 0; i < root->nviews; i++)
        if (root->views[i]->ws == w->id)
            return root->views[i];
    return view_add(root, s, w);
}

int serve_view_find(struct serve *srv, struct store *s, const char *name,
                    struct serve **out, struct err *err)
{
    struct serve *root = pool_owner(srv);
    struct store_workspace w;
    int rc;

    *out = NULL;
    if (!root->all_workspaces) {
        if (strcmp(name, root->ws_name) != 0)
            return err_set(err, SYNC_ENOTFOUND, "no workspace '%s'", name);
        *out = root;
        return 0;
    }
    /* The store decides, so that a workspace removed and added again
     * under its name gets a view of its new id. */
    memset(&w, 0, sizeof(w));
    if ((rc = store_workspace_get(s, name, &w, err)) < 0)
        return rc;
    pthread_mutex_lock(&root->views_lock);
    *out = view_of(root, s, &w);
    pthread_mutex_unlock(&root->views_lock);
    store_workspace_release(&w);
    return 0;
}

struct serve *serve_view_by_name(struct serve *srv, struct store *s,
                                 const char *name)
{
    struct serve *view;

    serve_view_find(srv, s, name, &view, NULL);
    return view;
}

size_t serve_views(struct serve *srv, struct serve ***out)
{
    struct serve *root = pool_owner(srv);
    size_t n;

    pthread_mutex_lock(&root->views_lock);
    n = root->nviews;
    *out = xcalloc(n ? n : 1, sizeof(**out));
    if (n)
        memcpy(*out, root->views, n * sizeof(**out));
    pthread_mutex_unlock(&root->views_lock);
    return n;
}

size_t serve_views_refresh(struct serve *srv, struct store *s)
{
    struct serve *root = pool_owner(srv);
    struct store_workspace *list = NULL;
    size_t count = 0, before, made;

    if (store_workspace_list(s, &list, &count, NULL) < 0)
        return 0;
    pthread_mutex_lock(&root->views_lock);
    before = root->nviews;
    for (size_t i = 0; i < count; i++)
        view_of(root, s, &list[i]);
    made = root->nviews - before;
    pthread_mutex_unlock(&root->views_lock);
    store_workspaces_free(list, count);
    return made;
}

/* With --all-workspaces: make the views of the store's workspaces, and
 * say when none has a user yet. */
static int open_all_workspaces(struct serve *srv, struct err *err)
{
    struct store *s;
    size_t users = 0;
    int rc = 0;

    if (!(s = serve_store_take(srv, err)))
        return err ? err->code : SYNC_EDB;
    serve_views_refresh(srv, s);
    for (size_t i = 0; i < srv->nviews && rc == 0; i++) {
        struct store_user *list = NULL;
        size_t n = 0;

        rc = store_user_list(s, srv->views[i]->ws, &list, &n, err);
        users += n;
        store_users_free(list, n);
    }
    if (rc == 0 && users == 0)
        fprintf(stderr,
                "sfsync: no users in any workspace yet, so nobody can sign "
                "in; create an admin with\n  sfsync --db %s --workspace "
                "NAME users add NAME --role admin\n",
                srv->db_path);
    serve_store_give(srv, s);
    return rc;
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
    for (size_t i = 0; i < srv->nviews; i++) {
        serve_release(srv->views[i]);
        free(srv->views[i]);
    }
    free(srv->views);
    for (size_t i = 0; i < srv->npool; i++)
        store_close(srv->pool[i]);
    free(srv->pool);
    http_router_release(&srv->router);
    serve_throttle_release(srv);
    free(srv->listen_url);
    free(srv->listen_host);
    for (size_t i = 0; i < srv->nallow_hosts; i++)
        free(srv->allow_hosts[i]);
    free(srv->allow_hosts);
    free(srv->ws_name);
    free(srv->db_path);
    pthread_mutex_destroy(&srv->pool_lock);
    pthread_mutex_destroy(&srv->lock);
    pthread_mutex_destroy(&srv->work_lock);
    pthread_mutex_destroy(&srv->views_lock);
    pthread_cond_destroy(&srv->cond);
}

/* Tell the server and its views to stop, waking their waiting threads. */
static void serve_mark_stopping(struct serve *srv)
{
    struct serve **views;
    size_t n;

    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
    n = serve_views(srv, &views);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&views[i]->lock);
        views[i]->stopping = true;
        pthread_cond_broadcast(&views[i]->cond);
        pthread_mutex_unlock(&views[i]->lock);
    }
    free(views);
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
    pthread_mutex_init(&srv.views_lock, NULL);
    pthread_cond_init(&srv.cond, NULL);
    hmap_init(&srv.throttle, false);
    srv.db_path = xstrdup(o->db_path);
    srv.all_workspaces = o->all_workspaces;
    srv.ws_name = xstrdup(o->all_workspaces ? "" : o->workspace_name);
    srv.api_used = srv.api_max = -1;
    srv.started_ms = datetime_now_ms();
    srv.listen_host = xstrdup(o->host);
    for (char *c = srv.listen_host; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (o->nallow_hosts)
        srv.allow_hosts = xcalloc(o->nallow_hosts, sizeof(*srv.allow_hosts));
    for (size_t i = 0; i < o->nallow_hosts; i++) {
        srv.allow_hosts[i] = xstrdup(o->allow_hosts[i]);
        for (char *c = srv.allow_hosts[i]; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    }
    srv.nallow_hosts = o->nallow_hosts;
    if (!o->all_workspaces && (rc = open_workspace(&srv, o, err)) < 0) {
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
    srv.listen_port = http_server_port(srv.http);
    srv.listen_url = xasprintf("http://%s:%d", o->host, srv.listen_port);
    /* With every workspace, workers run the rounds; manual pulls run in
     * the views. */
    rc = o->all_workspaces ? open_all_workspaces(&srv, err)
                           : serve_sync_start(&srv, err);
    if (rc < 0) {
        http_server_stop(srv.http);
        serve_release(&srv);
        return rc;
    }
    printf("sfsync serving %s\n", srv.listen_url);
    fflush(stdout);
    log_info("serve", "listening", "url=%s workspace=%s", srv.listen_url,
             o->all_workspaces ? "(all)" : srv.ws_name);
    sigwait(&set, &sig);
    log_info("serve", "stopping", "signal=%d", sig);
    serve_mark_stopping(&srv);
    http_server_stop(srv.http);
    clean = serve_sync_stop(&srv);
    /* NOTE: each view gets its own grace period, one after another. */
    for (size_t i = 0; i < srv.nviews; i++)
        if (!serve_sync_stop(srv.views[i]))
            clean = false;
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
