/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * A small HTTP server and router over libmicrohttpd, shared by the sfsync
 * server and the sfsim simulator. It reads whole request bodies up to a cap,
 * collapses repeated slashes in paths and dispatches on method and path
 * pattern. It has no JSON API logic beyond a helper that sends JSON.
 */
#ifndef SFSYNC_HTTP_SERVER_H
#define SFSYNC_HTTP_SERVER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"

struct MHD_Connection;

struct http_header {
    char *name;
    char *value;
};

#define HTTP_MAX_PARAMS 8

/* Parts of a request whose percent-decoded text is not valid UTF-8 or
 * contains a NUL byte (struct http_req.malformed). */
enum http_malformed_flags {
    HTTP_MALFORMED_PATH = 1 << 0,  /* a path segment */
    HTTP_MALFORMED_QUERY = 1 << 1, /* a query argument's name or value */
};

struct http_req {
    const char *method;   /* upper-case, as sent */
    char *path;           /* as sent (still percent-encoded), with
                             repeated slashes collapsed, no trailing
                             slash and no query */
    char *params[HTTP_MAX_PARAMS]; /* {name} captures, percent-decoded,
                                      in order */
    size_t nparams;
    char *body;           /* NUL-terminated; "" when there is none */
    size_t body_len;
    struct MHD_Connection *conn;
    struct http_header *query; /* decoded query arguments, each valid
                                  UTF-8 without NUL bytes; others are
                                  left out and flagged in malformed */
    size_t nquery;
    unsigned malformed;   /* enum http_malformed_flags; a route never
                             captures a malformed path segment */
    char *malformed_arg;  /* name of the first query argument left out,
                             with bad bytes replaced by U+FFFD; NULL for
                             none */
    size_t uri_len;       /* bytes of the request URI as sent: path and
                             query string */
    size_t headers_len;   /* bytes of the header fields, counted as
                             "Name: value" plus CRLF each */
    void *user_data; /* set by a before filter for the handlers */
};

struct http_resp {
    int status;
    struct buf body;
    char *content_type;         /* owned; NULL sends no Content-Type */
    struct http_header *headers; /* owned */
    size_t nheaders, cap;
    bool drop; /* close the connection without sending the response */
};

/* A request header, matched without regard to case; NULL when absent. */
const char *http_req_header(const struct http_req *req, const char *name);

/* A decoded query-string argument; NULL when absent. */
const char *http_req_query(const struct http_req *req, const char *name);

/* A decoded form field of an application/x-www-form-urlencoded body. The
 * result is owned by the caller; NULL when absent. */
char *http_req_form(const struct http_req *req, const char *name);

/* A cookie sent with the request; NULL when absent. */
const char *http_req_cookie(const struct http_req *req, const char *name);

/* Add a response header; both strings are copied. */
void http_resp_header(struct http_resp *resp, const char *name,
                      const char *value);

/* Set the status and a JSON body. The reference to body is stolen. */
void http_resp_json(struct http_resp *resp, int status, json_t *body);

/* Set the status, a content type and a body copied from text. */
void http_resp_text(struct http_resp *resp, int status, const char *type,
                    const char *text);

/*
 * A route handler. It fills resp (status 200 and an empty body by default)
 * and returns 0; a negative return sends a 500.
 */
typedef int (*http_handler_fn)(struct http_req *req, struct http_resp *resp,
                               void *payload);

struct http_route {
    char *method; /* NULL matches every method */
    char *pattern;
    http_handler_fn handler;
    void *payload;
};

struct http_router {
    struct http_route *routes;
    size_t nroutes, cap;
    http_handler_fn not_found; /* called when no pattern matches */
    http_handler_fn bad_method; /* a pattern matched, the method did not */
    void *payload;
};

void http_router_init(struct http_router *r);
void http_router_release(struct http_router *r);

/*
 * Add a route. A pattern is a path whose segments are literal text
 * (compared without regard to case), {name} to capture one segment, or a
 * final * to capture the rest of the path. Routes are tried in the order
 * they were added.
 */
void http_router_add(struct http_router *r, const char *method,
                     const char *pattern, http_handler_fn handler,
                     void *payload);

/*
 * Append to out the methods of the routes whose pattern matches req's
 * path, each once and separated by ", ", as an Allow header lists them.
 */
void http_router_methods(struct http_router *r, struct http_req *req,
                         struct buf *out);

/* Match req against the routes and run the handler. */
int http_router_dispatch(struct http_router *r, struct http_req *req,
                         struct http_resp *resp);

/*
 * Called for every request before routing. It may answer the request
 * itself (returning 1), or return 0 to let the router handle it.
 */
typedef int (*http_filter_fn)(struct http_req *req, struct http_resp *resp,
                              void *payload);

/* Called after the handler has run, before the response is sent. */
typedef void (*http_after_fn)(struct http_req *req, struct http_resp *resp,
                              void *payload);

struct http_server_opts {
    const char *host;    /* address to bind; "127.0.0.1" by default */
    int port;            /* 0 picks a free one */
    size_t max_body;     /* larger bodies get 413 */
    unsigned threads;    /* worker threads; 0 for the default */
    struct http_router *router;
    http_filter_fn before; /* may be NULL */
    http_after_fn after;   /* may be NULL */
    void *payload;         /* passed to before and after */
    const char *too_large_type; /* Content-Type of the 413 body */
    const char *too_large_body; /* 413 body */
    size_t connection_memory; /* libmicrohttpd's per-connection memory,
                                 which bounds the request line and
                                 headers it reads; 0 for its default */
};

struct http_server;

/* Start serving in background threads. Return NULL and fill err on
 * failure. */
struct http_server *http_server_start(const struct http_server_opts *opts,
                                      struct err *err);

/* The port the server is bound to. */
int http_server_port(const struct http_server *srv);

/* Stop serving and free the server; NULL is allowed. */
void http_server_stop(struct http_server *srv);

/* Collapse runs of '/' in path into one, in place. */
void http_collapse_slashes(char *path);

/* Percent-decode s in place; '+' is a space when plus_space is set.
 * Return -1 on a malformed escape. */
int http_url_decode(char *s, bool plus_space);

/* Whether s[0..len) is well-formed UTF-8 without NUL bytes. */
bool http_utf8_valid(const char *s, size_t len);

/* Percent-encode s for use in a URL; the caller frees the result. */
char *http_url_encode(const char *s);

#endif
