/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The org connection: URL building, API version discovery, and the
 * refresh-once-then-replay rule for 401 INVALID_SESSION_ID. HTTP details
 * are in sf_http and the grants in sf_auth.
 */
#include "base/common.h"

#include "salesforce/sf_client.h"

#include <ctype.h>

#define VERSIONS_PATH "/services/data"

struct sf_client {
    struct sf_http *http;
    struct sf_auth *auth;
    char api_version[16];
};

/* Parse "62.0" into its two numbers; -1 when it is not of that form. */
static int parse_version(const char *s, long *major, long *minor)
{
    char *end;

    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    *major = strtol(s, &end, 10);
    if (*end != '.' || !isdigit((unsigned char)end[1]))
        return -1;
    *minor = strtol(end + 1, &end, 10);
    if (*end || *major <= 0 || *major > 999 || *minor < 0 || *minor > 9)
        return -1;
    return 0;
}

struct sf_client *sf_client_new(const struct sf_client_config *cfg,
                                struct sf_auth *auth, struct err *err)
{
    struct sf_client *c;
    long major, minor;

    if (cfg && cfg->api_version &&
        parse_version(cfg->api_version, &major, &minor) < 0) {
        err_set(err, SYNC_EINVALID,
                "invalid API version '%.20s': use the form '62.0'",
                cfg->api_version);
        sf_auth_free(auth);
        return NULL;
    }
    c = xcalloc(1, sizeof(*c));
    c->http = sf_http_new(cfg ? &cfg->http : NULL);
    c->auth = auth;
    if (cfg && cfg->api_version)
        snprintf(c->api_version, sizeof(c->api_version), "%ld.%ld", major,
                 minor);
    return c;
}

void sf_client_free(struct sf_client *c)
{
    if (!c)
        return;
    sf_auth_free(c->auth);
    sf_http_free(c->http);
    free(c);
}

struct sf_http *sf_client_http(struct sf_client *c)
{
    return c->http;
}

struct sf_auth *sf_client_auth(struct sf_client *c)
{
    return c->auth;
}

const char *sf_client_api_version(const struct sf_client *c)
{
    return c->api_version;
}

int sf_client_pick_version(const json_t *versions, char out[16],
                           struct err *err)
{
    long best_major = -1, best_minor = -1;
    size_t i;
    json_t *item;

    if (!json_is_array(versions) || json_array_size(versions) == 0)
        return err_set(err, SYNC_EINVALID,
                       "version list from " VERSIONS_PATH " is not a "
                       "non-empty JSON array");
    json_array_foreach(versions, i, item)
    {
        const char *v = json_string_value(json_object_get(item, "version"));
        long major, minor;

        if (parse_version(v, &major, &minor) < 0)
            return err_set(err, SYNC_EINVALID,
                           "version list from " VERSIONS_PATH " has an "
                           "entry %zu without a version such as \"62.0\"",
                           i);
        if (major > best_major || (major == best_major && minor > best_minor)) {
            best_major = major;
            best_minor = minor;
        }
    }
    snprintf(out, 16, "%ld.%ld", best_major, best_minor);
    return 0;
}

static const char *instance_url(const struct sf_client *c)
{
    return sf_auth_token(c->auth)->instance_url;
}

char *sf_client_url(const struct sf_client *c, const char *path)
{
    const char *base = instance_url(c);

    if (!base)
        return NULL;
    if (strncmp(path, "/services/", 10) == 0)
        return xasprintf("%s%s", base, path);
    if (!c->api_version[0])
        return NULL;
    return xasprintf("%s/services/data/v%s%s", base, c->api_version, path);
}

static int discover_version(struct sf_client *c, struct err *err)
{
    char *url = xasprintf("%s" VERSIONS_PATH, instance_url(c));
    struct sf_http_request req = {.method = "GET", .url = url};
    struct sf_http_response resp;
    json_t *doc = NULL;
    int rc;

    sf_http_response_init(&resp);
    rc = sf_http_send(c->http, &req, &resp, err);
    if (rc == 0)
        rc = sf_http_parse_json(&resp, "GET", url, &doc, err);
    if (rc == 0)
        rc = sf_client_pick_version(doc, c->api_version, err);
    if (rc == 0)
        log_info("salesforce", "API version selected", "version=%s",
                 c->api_version);
    json_decref(doc);
    sf_http_response_release(&resp);
    free(url);
    return rc;
}

/* Fail fast on a connection that needs a person to log in again. */
static int check_reauth(struct sf_client *c, struct err *err)
{
    if (!sf_auth_needs_reauth(c->auth))
        return 0;
    return err_set(err, SYNC_EAUTH,
                   "salesforce connection needs re-authorisation: log in "
                   "again");
}

int sf_client_connect(struct sf_client *c, struct err *err)
{
    int rc = check_reauth(c, err);

    if (rc < 0)
        return rc;
    if (!sf_auth_token(c->auth)->access_token || !instance_url(c)) {
        rc = sf_auth_renew(c->auth, c->http, err);
        if (rc < 0)
            return rc;
    }
    if (!c->api_version[0])
        return discover_version(c, err);
    return 0;
}

/* One attempt of req with the current token. */
static int send_once(struct sf_client *c, const struct sf_client_request *req,
                     const char *body, long *status, json_t **out,
                     struct err *err)
{
    char *url = sf_client_url(c, req->path);
    struct sf_http_request hreq = {
        .method = req->method,
        .url = url,
        .bearer = sf_auth_token(c->auth)->access_token,
        .content_type = body ? "application/json" : NULL,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .headers = req->headers,
        .flags = req->flags & ~SF_CLIENT_NO_RENEW,
    };
    struct sf_http_response resp;
    int rc;

    if (!url)
        return err_set(err, SYNC_EINVALID,
                       "no instance URL or API version for %s %.60s: "
                       "connect first",
                       req->method, req->path);
    if (strlen(url) > SF_CLIENT_MAX_URI) {
        rc = err_set(err, SYNC_EINVALID,
                     "request URI of %s is %zu bytes, over Salesforce's "
                     "limit of %d: send fewer ids or a shorter query",
                     req->method, strlen(url), SF_CLIENT_MAX_URI);
        free(url);
        return rc;
    }
    sf_http_response_init(&resp);
    rc = sf_http_send(c->http, &hreq, &resp, err);
    if (rc == 0 && status)
        *status = resp.status;
    if (rc == 0 && resp.status != 204 && resp.body.len > 0)
        rc = sf_http_parse_json(&resp, req->method, url, out, err);
    sf_http_response_release(&resp);
    free(url);
    return rc;
}

int sf_client_send(struct sf_client *c, const struct sf_client_request *req,
                   long *status, json_t **out, struct err *err)
{
    char *body = NULL;
    struct err local;
    int rc;

    *out = NULL;
    if (req->flags & SF_CLIENT_NO_RENEW)
        rc = check_reauth(c, err);
    else
        rc = sf_client_connect(c, err);
    if (rc < 0)
        return rc;
    if (req->body) {
        body = json_dumps(req->body, JSON_COMPACT);
        if (!body)
            return err_set(err, SYNC_EINVALID,
                           "request body of %s %.60s cannot be encoded as "
                           "JSON",
                           req->method, req->path);
    }
    err_clear(&local);
    rc = send_once(c, req, body, status, out, &local);
    if (rc == SYNC_EAUTH && local.http_status == 401 &&
        !(req->flags & SF_CLIENT_NO_RENEW)) {
        log_info("salesforce", "session rejected, renewing the token",
                 "request=\"%s %.*s\" sf_code=%s", req->method,
                 (int)strcspn(req->path, "?"), req->path,
                 local.sf_code[0] ? local.sf_code : "-");
        if ((rc = sf_auth_renew(c->auth, c->http, &local)) < 0)
            goto out;
        rc = send_once(c, req, body, status, out, &local);
        if (rc == SYNC_EAUTH && local.http_status == 401) {
            /* A token fresh from the server was refused, so another
             * refresh would only repeat this. */
            sf_auth_set_needs_reauth(c->auth, true);
            err_prefix(&local, "new access token rejected as well, "
                               "re-authorisation needed");
        }
    }

out:
    if (rc < 0 && err)
        *err = local;
    else if (rc == 0)
        err_clear(err);
    free(body);
    return rc;
}
