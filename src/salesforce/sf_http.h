/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * HTTP for the Salesforce client over one reused libcurl easy handle:
 * timeouts, a body cap, retries with backoff, Sforce-Limit-Info accounting
 * and the parsing of Salesforce error bodies into struct err. It keeps no
 * tokens: it sends the one it is given, sf_auth obtains them and sf_client
 * decides when to refresh.
 */
#ifndef SFSYNC_SF_HTTP_H
#define SFSYNC_SF_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

#define SF_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define SF_HTTP_DEFAULT_TIMEOUT_MS 120000
#define SF_HTTP_DEFAULT_MAX_BODY (64u * 1024 * 1024)
#define SF_HTTP_DEFAULT_MAX_ATTEMPTS 5
#define SF_HTTP_DEFAULT_BACKOFF_BASE_MS 500
#define SF_HTTP_DEFAULT_BACKOFF_CAP_MS 30000

/* Settings of one connection; a zero field takes the default above. */
struct sf_http_config {
    long connect_timeout_ms; /* TCP and TLS connect */
    long timeout_ms;         /* whole exchange, per attempt */
    size_t max_body;         /* response body cap in bytes */
    int max_attempts;        /* attempts per request, the first included */
    long backoff_base_ms;    /* ceiling of the first retry's delay */
    long backoff_cap_ms;     /* ceiling of every delay */
    const char *user_agent;  /* NULL for "sfsync/VERSION"; copied */
};

enum sf_http_flags {
    /*
     * The request may be sent twice with the same effect, so a POST or
     * PATCH is retried even after a failure that may have reached the
     * server (a timeout, a dropped connection, a 500, 502 or 504). GET,
     * HEAD, PUT and DELETE are always treated as repeatable.
     */
    SF_HTTP_REPEATABLE = 1 << 0,
};

/* Called before each attempt of a streamed request, so that a retry
 * starts from a clean state. */
typedef void (*sf_http_start_fn)(void *payload);

/* Called with each response header of an attempt, name and value without
 * the colon, surrounding blanks or line ending. */
typedef void (*sf_http_header_fn)(const char *name, const char *value,
                                  void *payload);

/* Called with each piece of the body of a reply whose status is 2xx.
 * Return 0 to go on, or a negative enum sync_rc to stop the transfer. */
typedef int (*sf_http_body_fn)(const char *data, size_t len, void *payload);

/*
 * Hooks that receive a reply as it arrives, for bodies too large to hold.
 * A 2xx body goes to body and not into sf_http_response.body, and is not
 * held to max_body; any other body is buffered as usual, so that errors
 * are parsed as for every request. Each hook may be NULL.
 */
struct sf_http_stream {
    sf_http_start_fn start;
    sf_http_header_fn header;
    sf_http_body_fn body;
    void *payload;
};

struct sf_http_request {
    const char *method;       /* "GET", "POST", "PATCH", "PUT", "DELETE" */
    const char *url;          /* absolute http or https URL */
    const char *bearer;       /* access token, or NULL; never logged */
    const char *content_type; /* of body, or NULL */
    const char *body;         /* request body, or NULL */
    size_t body_len;
    const char *const *headers; /* extra "Name: value" lines ending with
                                   NULL, or NULL; an Accept line replaces
                                   the default application/json */
    unsigned flags;             /* enum sf_http_flags */
    const struct sf_http_stream *stream; /* NULL to buffer the body */
};

struct sf_http_response {
    long status;     /* HTTP status of the last attempt, 0 if none */
    struct buf body; /* body of the last attempt */
    char content_type[128];
    int attempts; /* attempts made, the first included */
    bool secret;  /* the body may contain tokens; zeroed on release */
};

/* Counters of one connection. */
struct sf_http_stats {
    long long api_used; /* from the last Sforce-Limit-Info, or -1 */
    long long api_max;  /* daily allowance from that header, or -1 */
    uint64_t api_calls; /* REST API calls sent, with or without a reply */
    uint64_t requests;  /* every attempt, token requests included */
    uint64_t retries;   /* attempts after the first */
};

/* A sleep of ms milliseconds, replaceable so that tests need not wait. */
typedef void (*sf_http_sleep_fn)(long ms, void *payload);

struct sf_http;

/*
 * Create a connection with cfg (NULL for every default); libcurl's global
 * setup runs once per process here. It aborts, as the allocators do, only
 * when libcurl cannot be set up. Free with sf_http_free.
 */
struct sf_http *sf_http_new(const struct sf_http_config *cfg);

/* Close the connection and free h; NULL is allowed. */
void sf_http_free(struct sf_http *h);

/*
 * Replace the sleep between retries (NULL restores nanosleep) and seed the
 * jitter generator, so that a test gets the same delays on every run.
 */
void sf_http_set_sleep(struct sf_http *h, sf_http_sleep_fn fn, void *payload);
void sf_http_set_seed(struct sf_http *h, uint64_t seed);

/* Copy the counters of h into out. */
void sf_http_get_stats(const struct sf_http *h, struct sf_http_stats *out);

void sf_http_response_init(struct sf_http_response *resp);

/* Free the body, zeroing it first when resp->secret is set. */
void sf_http_response_release(struct sf_http_response *resp);

/*
 * Send req, retrying with exponential backoff and full jitter on a 5xx
 * status, on UNABLE_TO_LOCK_ROW, on a timeout and on a connection error.
 * A 503 SERVER_UNAVAILABLE, UNABLE_TO_LOCK_ROW and a connection that could
 * not be opened are retried for every method, because the server did not
 * apply the request. Other failures are retried only for a repeatable
 * request (see SF_HTTP_REPEATABLE). 403 REQUEST_LIMIT_EXCEEDED is never
 * retried.
 *
 * Returns 0 when the server replied with a status below 400. Otherwise
 * returns a negative enum sync_rc with err filled: the status mapped by
 * sf_http_parse_error (SYNC_EAUTH, SYNC_ERATELIMIT with the usage,
 * SYNC_ENOTFOUND, ...), SYNC_ETRANSIENT once the attempts are used up, or
 * SYNC_EINVALID for a bad URL or a body over the cap. When a stream body
 * hook stops the transfer, its code is returned at once, without a retry.
 * resp (initialised by the caller) holds the last status and body in every
 * case; the caller releases it.
 */
int sf_http_send(struct sf_http *h, const struct sf_http_request *req,
                 struct sf_http_response *resp, struct err *err);

/*
 * Parse the JSON body of resp, which came from method and url. Returns 0
 * with *out set to a new reference that the caller releases, or
 * SYNC_EINVALID with err naming the URL when the body is empty, truncated,
 * over the cap, not JSON, or has a non-JSON Content-Type.
 */
int sf_http_parse_json(const struct sf_http_response *resp, const char *method,
                       const char *url, json_t **out, struct err *err);

/* The advice that ends the message of a refused client id or secret. */
#define SF_HTTP_CHECK_CLIENT "check the client id and the client secret"

/*
 * Map an error reply to err and return its code. body may be a REST error
 * array [{"message","errorCode","fields"}], an OAuth error object
 * {"error","error_description"}, or anything else. The codes:
 * REQUEST_LIMIT_EXCEEDED gives SYNC_ERATELIMIT; UNABLE_TO_LOCK_ROW,
 * SERVER_UNAVAILABLE and 5xx give SYNC_ETRANSIENT; 401 and OAuth errors
 * give SYNC_EAUTH; 404 gives SYNC_ENOTFOUND; 300, 409 and 412 give
 * SYNC_ECONFLICT; other statuses give SYNC_EINVALID. err->http_status and
 * err->sf_code (errorCode or OAuth error) are set. label names the request
 * in the message, for example "GET https://host/services/data".
 */
int sf_http_parse_error(long status, const char *body, size_t len,
                        const char *label, struct err *err);

/*
 * Parse the api-usage=USED/MAX item of a Sforce-Limit-Info value such as
 * "api-usage=18/5000; per-app-api-usage=17/250(appName=x)". Returns 0, or
 * -1 when there is no such item.
 */
int sf_http_parse_limit_info(const char *value, long long *used,
                             long long *max);

/*
 * The delay before retry number retry (1 for the first retry) with full
 * jitter: random_value reduced into [0, min(cap, base * 2^(retry-1))].
 * cfg fields of 0 take the defaults.
 */
long sf_http_backoff_ms(const struct sf_http_config *cfg, int retry,
                        uint64_t random_value);

/* Append s to b percent-encoded, leaving only RFC 3986 unreserved bytes. */
void sf_http_url_encode(struct buf *b, const char *s);

/* Append "name=value" to a form body, with '&' before all but the first. */
void sf_http_form_add(struct buf *b, const char *name, const char *value);

#endif
