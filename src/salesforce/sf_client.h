/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * A connection to one Salesforce org: the HTTP handle, the OAuth state
 * and the REST API version, with the refresh-and-replay rule for expired
 * sessions. sf_query and sf_sobject build on sf_client_send. A client is
 * used by one thread at a time.
 */
#ifndef SFSYNC_SF_CLIENT_H
#define SFSYNC_SF_CLIENT_H

#include <jansson.h>

#include "base/err.h"
#include "salesforce/sf_auth.h"
#include "salesforce/sf_http.h"

/* Salesforce returns 414 for a request URI longer than this, in bytes. */
#define SF_CLIENT_MAX_URI 16384

struct sf_client_config {
    struct sf_http_config http;
    const char *api_version; /* "62.0"; NULL to use the highest that
                                GET /services/data lists */
};

/* A bit of sf_client_request.flags beside enum sf_http_flags. With it, a
 * 401 fails with SYNC_EAUTH instead of renewing the token. A renewal
 * stores the new token through the store, which a thread that sends
 * beside the store's own thread must not use. */
#define SF_CLIENT_NO_RENEW (1u << 16)

/* One REST call. */
struct sf_client_request {
    const char *method;
    const char *path;           /* "/query?q=..." under /services/data/vNN.0, or
                                   a path that starts with "/services/" */
    json_t *body;               /* sent as JSON; borrowed; NULL for none */
    const char *const *headers; /* extra "Name: value" lines ending with
                                   NULL, or NULL */
    unsigned flags;             /* enum sf_http_flags, SF_CLIENT_NO_RENEW */
};

struct sf_client;

/*
 * Create a client that owns auth (freed with the client) and a new HTTP
 * handle made from cfg (NULL for defaults). Returns NULL with err filled
 * (SYNC_EINVALID) when cfg->api_version is not of the form "62.0"; auth is
 * freed then too.
 */
struct sf_client *sf_client_new(const struct sf_client_config *cfg,
                                struct sf_auth *auth, struct err *err);

void sf_client_free(struct sf_client *c);

/* The parts, borrowed for the life of the client. */
struct sf_http *sf_client_http(struct sf_client *c);
struct sf_auth *sf_client_auth(struct sf_client *c);

/*
 * Obtain a token when there is none (sf_auth_renew) and settle the API
 * version. Returns 0 or a negative code with err filled. sf_client_send
 * does the same on first use, so calling this first is optional.
 */
int sf_client_connect(struct sf_client *c, struct err *err);

/* The API version in use, such as "62.0", or "" before it is known. */
const char *sf_client_api_version(const struct sf_client *c);

/*
 * Send req to the instance with the access token. On 401 the token is
 * renewed once and the request replayed once, unless req->flags has
 * SF_CLIENT_NO_RENEW; a 401 after that sets the re-authorisation flag. While that flag is set, every call fails at once
 * with SYNC_EAUTH. Returns 0 with *status (NULL allowed) set and *out set
 * to the parsed JSON body, a new reference that is NULL for an empty body.
 * Otherwise returns a negative code with err filled, as sf_http_send does,
 * or SYNC_EINVALID for a body that is not JSON or a URI over
 * SF_CLIENT_MAX_URI.
 */
int sf_client_send(struct sf_client *c, const struct sf_client_request *req,
                   long *status, json_t **out, struct err *err);

/* Build the absolute URL of path as sf_client_send does; the caller frees
 * it. NULL before the client has an instance URL and API version. */
char *sf_client_url(const struct sf_client *c, const char *path);

/*
 * Pick the highest "version" from the body of GET /services/data and
 * write it to out as "NN.0". Returns 0, or SYNC_EINVALID when versions
 * is not an array of objects holding such versions.
 */
int sf_client_pick_version(const json_t *versions, char out[16],
                           struct err *err);

#endif
