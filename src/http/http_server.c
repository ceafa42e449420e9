/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * HTTP serving over libmicrohttpd: request bodies are gathered whole (up to
 * a cap) and handed to a router. Path unescaping is left to the router so
 * that an escaped '/' inside one segment (an external id value) stays inside
 * that segment.
 */
#include "../base/common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <strings.h>
#include <sys/socket.h>

#include "http_server.h"

/* libmicrohttpd's own default per-connection memory (32 KiB). */
#define MHD_DEFAULT_MEMORY (32 * 1024)

struct http_server {
    struct MHD_Daemon *daemon;
    struct http_server_opts opts;
    int port;
};

/* Per-request state kept between libmicrohttpd's callbacks. */
struct request_ctx {
    struct buf body;
    bool too_large;
};

const char *http_req_header(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_req_query(const struct http_req *req, const char *name)
{
    for (size_t i = 0; i < req->nquery; i++)
        if (strcmp(req->query[i].name, name) == 0)
            return req->query[i].value;
    return NULL;
}

const char *http_req_cookie(const struct http_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

char *http_req_form(const struct http_req *req, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = req->body;

    while (p && *p) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);

        if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
            char *v = xstrndup(p + nlen + 1, len - nlen - 1);

            if (http_url_decode(v, true) < 0) {
                free(v);
                return NULL;
            }
            return v;
        }
        p = amp ? amp + 1 : NULL;
    }
    return NULL;
}

void http_resp_header(struct http_resp *resp, const char *name,
                      const char *value)
{
    resp->headers = xgrow(resp->headers, &resp->cap, resp->nheaders + 1,
                          sizeof(*resp->headers));
    resp->headers[resp->nheaders].name = xstrdup(name);
    resp->headers[resp->nheaders].value = xstrdup(value);
    resp->nheaders++;
}

static void set_type(struct http_resp *resp, const char *type)
{
    free(resp->content_type);
    resp->content_type = xstrdup(type);
}

void http_resp_json(struct http_resp *resp, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);

    resp->status = status;
    set_type(resp, "application/json;charset=UTF-8");
    buf_reset(&resp->body);
    buf_puts(&resp->body, text ? text : "null");
    free(text);
    json_decref(body);
}

void http_resp_text(struct http_resp *resp, int status, const char *type,
                    const char *text)
{
    resp->status = status;
    set_type(resp, type);
    buf_reset(&resp->body);
    buf_puts(&resp->body, text);
}

void http_collapse_slashes(char *path)
{
    char *w = path;

    for (char *r = path; *r; r++)
        if (!(*r == '/' && w > path && w[-1] == '/'))
            *w++ = *r;
    *w = '\0';
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decode s in place, NUL bytes included, and set *len to the
 * decoded length. Return -1 on a malformed escape. */
static int url_decode_len(char *s, bool plus_space, size_t *len)
{
    char *w = s;

    for (char *r = s; *r; r++) {
        if (*r == '%') {
            int hi = hexval((unsigned char)r[1]);
            int lo = hi < 0 ? -1 : hexval((unsigned char)r[2]);

            if (hi < 0 || lo < 0)
                return -1;
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else if (*r == '+' && plus_space) {
            *w++ = ' ';
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    *len = (size_t)(w - s);
    return 0;
}

int http_url_decode(char *s, bool plus_space)
{
    size_t len;

    return url_decode_len(s, plus_space, &len);
}

bool http_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned c = p[i];
        uint32_t cp, min;
        size_t n;

        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            cp = c & 0x1F;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            cp = c & 0x0F;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            cp = c & 0x07;
            min = 0x10000;
        } else {
            return false;
        }
        if (len - i < n)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3F);
        }
        /* Overlong forms, UTF-16 surrogates and code points past
         * U+10FFFF are not UTF-8. */
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n;
    }
    return true;
}

/* Percent-decode s in place. Return 0, -1 on a malformed escape or -2
 * when the result is not valid UTF-8 or contains a NUL byte. */
static int decode_text(char *s, bool plus_space)
{
    size_t len;

    if (url_decode_len(s, plus_space, &len) < 0)
        return -1;
    return http_utf8_valid(s, len) ? 0 : -2;
}

char *http_url_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    struct buf b;

    buf_init(&b, 0);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            buf_putc(&b, (char)c);
        } else {
            buf_putc(&b, '%');
            buf_putc(&b, hex[c >> 4]);
            buf_putc(&b, hex[c & 15]);
        }
    }
    return buf_detach(&b);
}

void http_router_init(struct http_router *r)
{
    memset(r, 0, sizeof(*r));
}

void http_router_release(struct http_router *r)
{
    for (size_t i = 0; i < r->nroutes; i++) {
        free(r->routes[i].method);
        free(r->routes[i].pattern);
    }
    free(r->routes);
    http_router_init(r);
}

void http_router_add(struct http_router *r, const char *method,
                     const char *pattern, http_handler_fn handler,
                     void *payload)
{
    struct http_route *rt;

    r->routes = xgrow(r->routes, &r->cap, r->nroutes + 1, sizeof(*r->routes));
    rt = &r->routes[r->nroutes++];
    rt->method = xstrdup(method);
    rt->pattern = xstrdup(pattern);
    rt->handler = handler;
    rt->payload = payload;
}

static void clear_params(struct http_req *req)
{
    for (size_t i = 0; i < req->nparams; i++)
        free(req->params[i]);
    req->nparams = 0;
}

/* Match path against pattern, filling req->params. Return 1 on a match. */
static int match(const char *pattern, const char *path, struct http_req *req)
{
    const char *p = pattern, *s = path;

    clear_params(req);
    while (*p == '/' && *s == '/') {
        const char *pe, *se;
        size_t plen, slen;

        p++;
        s++;
        pe = strchrnul(p, '/');
        se = strchrnul(s, '/');
        plen = (size_t)(pe - p);
        slen = (size_t)(se - s);
        if (plen == 1 && *p == '*') {
            se = s + strlen(s);
            slen = (size_t)(se - s);
        }
        if ((plen >= 2 && *p == '{' && p[plen - 1] == '}') ||
            (plen == 1 && *p == '*')) {
            char *v;

            if (slen == 0 && *p == '{')
                return 0;
            if (req->nparams == HTTP_MAX_PARAMS)
                return 0;
            v = xstrndup(s, slen);
            if (decode_text(v, false) < 0) {
                free(v);
                return 0;
            }
            req->params[req->nparams++] = v;
        } else {
            char *v = xstrndup(s, slen);
            int same;

            if (http_url_decode(v, false) < 0) {
                free(v);
                return 0;
            }
            same = strlen(v) == plen && strncasecmp(v, p, plen) == 0;
            free(v);
            if (!same)
                return 0;
        }
        p = pe;
        s = se;
    }
    return *p == '\0' && *s == '\0';
}

void http_router_methods(struct http_router *r, struct http_req *req,
                         struct buf *out)
{
    for (size_t i = 0; i < r->nroutes; i++) {
        const char *method = r->routes[i].method;
        bool seen = false;

        if (!method || !match(r->routes[i].pattern, req->path, req))
            continue;
        for (size_t j = 0; j < i && !seen; j++)
            seen = r->routes[j].method &&
                   strcmp(r->routes[j].method, method) == 0 &&
                   match(r->routes[j].pattern, req->path, req);
        if (!seen)
            buf_printf(out, "%s%s", out->len ? ", " : "", method);
    }
    clear_params(req);
}

int http_router_dispatch(struct http_router *r, struct http_req *req,
                         struct http_resp *resp)
{
    bool path_matched = false;

    for (size_t i = 0; i < r->nroutes; i++) {
        struct http_route *rt = &r->routes[i];

        if (!match(rt->pattern, req->path, req))
            continue;
        if (rt->method && strcmp(rt->method, req->method) != 0) {
            path_matched = true;
            continue;
        }
        return rt->handler(req, resp, rt->payload);
    }
    clear_params(req);
    if (path_matched && r->bad_method)
        return r->bad_method(req, resp, r->payload);
    if (r->not_found)
        return r->not_found(req, resp, r->payload);
    http_resp_text(resp, 404, "text/plain", "not found\n");
    return 0;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
    struct http_req *req = cls;
    struct http_header *q;
    size_t cap = req->nquery;
    char *name = xstrdup(key);
    char *text = xstrdup(value ? value : "");
    int name_rc, value_rc;

    (void)kind;
    /* The escapes are still in place, so these are the bytes as sent:
     * '?' or '&', the name, and '=' with the value. */
    req->uri_len += 1 + strlen(key) + (value ? 1 + strlen(value) : 0);
    name_rc = decode_text(name, true);
    value_rc = decode_text(text, true);
    if (name_rc == -2 || value_rc == -2) {
        req->malformed |= HTTP_MALFORMED_QUERY;
        if (!req->malformed_arg)
            req->malformed_arg = xstrdup(name_rc == -2 ? "" : name);
        free(name);
        free(text);
        return MHD_YES;
    }
    req->query = xgrow(req->query, &cap, req->nquery + 1, sizeof(*q));
    q = &req->query[req->nquery++];
    q->name = name;
    q->value = text;
    return MHD_YES;
}

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind,
                                    const char *key, const char *value)
{
    struct http_req *req = cls;

    (void)kind;
    req->headers_len += strlen(key) + 2 + (value ? strlen(value) : 0) + 2;
    return MHD_YES;
}

/* Flag a path whose decoded text is not valid UTF-8 or contains a NUL. */
static void check_path(struct http_req *req)
{
    char *decoded = xstrdup(req->path);

    if (decode_text(decoded, false) == -2)
        req->malformed |= HTTP_MALFORMED_PATH;
    free(decoded);
}

static void release_req(struct http_req *req)
{
    clear_params(req);
    for (size_t i = 0; i < req->nquery; i++) {
        free(req->query[i].name);
        free(req->query[i].value);
    }
    free(req->query);
    free(req->malformed_arg);
    free(req->path);
}

static void release_resp(struct http_resp *resp)
{
    for (size_t i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
    free(resp->content_type);
    buf_release(&resp->body);
}

static enum MHD_Result send_resp(struct MHD_Connection *conn,
                                 struct http_resp *resp)
{
    struct MHD_Response *r;
    enum MHD_Result ok;

    r = MHD_create_response_from_buffer(resp->body.len, resp->body.data,
                                        MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    if (resp->content_type)
        MHD_add_response_header(r, "Content-Type", resp->content_type);
    for (size_t i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i].name,
                                resp->headers[i].value);
    ok = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result handle(struct http_server *srv,
                              struct MHD_Connection *conn, const char *url,
                              const char *method, struct request_ctx *ctx)
{
    struct http_req req;
    struct http_resp resp;
    enum MHD_Result ok;
    int rc = 0;

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    buf_init(&resp.body, 0);
    resp.status = 200;
    req.method = method;
    req.path = xstrdup(url);
    http_collapse_slashes(req.path);
    if (strlen(req.path) > 1 && req.path[strlen(req.path) - 1] == '/')
        req.path[strlen(req.path) - 1] = '\0';
    req.body = ctx->body.data;
    req.body_len = ctx->body.len;
    req.conn = conn;
    req.uri_len = strlen(url);
    check_path(&req);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query,
                              &req);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &req);
    if (ctx->too_large) {
        http_resp_text(&resp, 413,
                       srv->opts.too_large_type ? srv->opts.too_large_type
                                                : "text/plain",
                       srv->opts.too_large_body ? srv->opts.too_large_body
                                                : "request body too large\n");
    } else if (!srv->opts.before ||
               !srv->opts.before(&req, &resp, srv->opts.payload)) {
        rc = http_router_dispatch(srv->opts.router, &req, &resp);
    }
    if (rc < 0)
        http_resp_text(&resp, 500, "text/plain", "internal error\n");
    if (srv->opts.after)
        srv->opts.after(&req, &resp, srv->opts.payload);
    ok = resp.drop ? MHD_NO : send_resp(conn, &resp);
    release_req(&req);
    release_resp(&resp);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct request_ctx *ctx = *con_cls;

    (void)version;
    if (!ctx) {
        ctx = xcalloc(1, sizeof(*ctx));
        buf_init(&ctx->body, srv->opts.max_body);
        *con_cls = ctx;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!ctx->too_large && buf_append(&ctx->body, upload, *upload_size))
            ctx->too_large = true;
        *upload_size = 0;
        return MHD_YES;
    }
    return handle(srv, conn, url, method, ctx);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    struct request_ctx *ctx = *con_cls;

    (void)cls;
    (void)conn;
    (void)toe;
    if (!ctx)
        return;
    buf_release(&ctx->body);
    free(ctx);
    *con_cls = NULL;
}

/* Leave escapes in place; the router decodes each path segment itself. */
static size_t keep_escapes(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls;
    (void)conn;
    return strlen(s);
}

struct http_server *http_server_start(const struct http_server_opts *opts,
                                      struct err *err)
{
    struct http_server *srv = xcalloc(1, sizeof(*srv));
    const union MHD_DaemonInfo *info;
    struct sockaddr_in addr;

    srv->opts = *opts;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)opts->port);
    if (inet_pton(AF_INET, opts->host ? opts->host : "127.0.0.1",
                  &addr.sin_addr) != 1) {
        err_set(err, SYNC_EINVALID,
                "invalid listen address '%s': give an IPv4 address such as "
                "127.0.0.1",
                opts->host);
        free(srv);
        return NULL;
    }
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
            MHD_USE_POLL,
        0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, srv,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        opts->connection_memory ? opts->connection_memory
                                : (size_t)MHD_DEFAULT_MEMORY,
        MHD_OPTION_END);
    if (!srv->daemon) {
        err_set_errno(err, SYNC_EIO, "cannot listen on %s:%d",
                      opts->host ? opts->host : "127.0.0.1", opts->port);
        free(srv);
        return NULL;
    }
    info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : opts->port;
    return srv;
}

int http_server_port(const struct http_server *srv)
{
    return srv->port;
}

void http_server_stop(struct http_server *srv)
{
    if (!srv)
        return;
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
