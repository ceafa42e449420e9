/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The admin page: the files of web/, compiled into the binary by
 * cmake/EmbedWeb.cmake, served at / and /assets/NAME.
 */
#include "base/common.h"

#include <strings.h>

#include "serve_int.h"

struct serve_web_file {
    const char *name;
    const unsigned char *data;
    size_t len;
};

extern const struct serve_web_file serve_web_files[];

static const struct {
    const char *ext;
    const char *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

static const char *content_type(const char *name)
{
    const char *dot = strrchr(name, '.');

    for (size_t i = 0; dot && i < ARRAY_SIZE(content_types); i++)
        if (strcasecmp(dot, content_types[i].ext) == 0)
            return content_types[i].type;
    return "application/octet-stream";
}

static int send_file(struct http_resp *resp, const char *name)
{
    for (const struct serve_web_file *f = serve_web_files; f->name; f++) {
        if (strcmp(f->name, name) != 0)
            continue;
        resp->status = 200;
        free(resp->content_type);
        resp->content_type = xstrdup(content_type(name));
        buf_reset(&resp->body);
        buf_append(&resp->body, f->data, f->len);
        http_resp_header(resp, "Cache-Control", "no-cache");
        return 0;
    }
    http_resp_text(resp, 404, "text/plain; charset=utf-8",
                   "not found: this file is not part of the page built "
                   "into sfsync\n");
    return 0;
}

static int get_index(struct http_req *req, struct http_resp *resp,
                     void *payload)
{
    (void)req;
    (void)payload;
    return send_file(resp, "index.html");
}

static int get_asset(struct http_req *req, struct http_resp *resp,
                     void *payload)
{
    (void)payload;
    return send_file(resp, req->params[0]);
}

void serve_static_routes(struct serve *srv)
{
    struct http_router *r = &srv->router;

    http_router_add(r, "GET", "/", get_index, srv);
    http_router_add(r, "GET", "/index.html", get_index, srv);
    http_router_add(r, "GET", "/assets/{name}", get_asset, srv);
}
