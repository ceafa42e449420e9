/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The steps around every request's handler: the org lock, authentication
 * of REST calls, the daily API allowance, the fault switches and the
 * Sforce-Limit-Info header. Also the version list, the
 * resource list of a version and /limits.
 */
#include "base/common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <strings.h>
#include <unistd.h>

#include "sim.h"

#define DATA_PREFIX "/services/data/v"

/* Salesforce rejects a request URI longer than this with 414. sfsim limits
 * the header fields to the same size and replies 431 beyond it. */
#define MAX_URI_BYTES 16384
#define MAX_HEADER_BYTES 16384

/* Parse "/services/data/vNN.0..." into version ("60.0"); 0 or -1. */
static int parse_version(const char *path, char out[8], const char **rest)
{
    const char *p = path + strlen(DATA_PREFIX);
    int major = 0, n = 0;

    while (isdigit((unsigned char)*p) && n < 3) {
        major = major * 10 + (*p++ - '0');
        n++;
    }
    if (n == 0 || strncmp(p, ".0", 2) != 0 || (p[2] && p[2] != '/'))
        return -1;
    if (major < SIM_API_VERSION_MIN || major > SIM_API_VERSION_MAX)
        return -1;
    snprintf(out, 8, "%d.0", major);
    *rest = p + 2;
    return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void reply_limit_exceeded(struct sim_org *org, struct http_resp *resp)
{
    sim_reply_error(resp, 403, "REQUEST_LIMIT_EXCEEDED",
                    "TotalRequests Limit exceeded.");
    log_warn("sim", "daily API limit reached", "used=%lld limit=%lld",
             (long long)org->api_used, (long long)org->cfg.api_limit);
}

/* Authenticate, count and apply faults to one REST API call. Return 1 when
 * the response has been set here and the handler must not run. */
static int admit_api_call(struct sim_org *org, struct sim_call *call,
                          struct http_req *req, struct http_resp *resp)
{
    struct sim_token *tok = sim_oauth_authenticate(org, req);

    if (!tok) {
        sim_reply_error(resp, 401, "INVALID_SESSION_ID",
                        "Session expired or invalid");
        return 1;
    }
    call->token = tok;
    call->user = tok->user;
    if (org->api_used >= org->cfg.api_limit) {
        reply_limit_exceeded(org, resp);
        return 1;
    }
    org->api_used++;
    if (org->faults.unavailable_rate > 0 &&
        sim_org_random(org) < org->faults.unavailable_rate) {
        sim_reply_error(resp, 503, "SERVER_UNAVAILABLE",
                        "Server temporarily unavailable; try again later");
        log_info("sim", "fault: responded 503", "path=%s", req->path);
        return 1;
    }
    if (org->faults.drop_rate > 0 &&
        sim_org_random(org) < org->faults.drop_rate) {
        call->drop = true;
        log_info("sim", "fault: connection will be dropped", "path=%s",
                 req->path);
    }
    return 0;
}

/* Reply 414 or 431 to a request whose URI or header fields are too
 * large. Return 1 when it has been replied to. */
static int reject_oversized(struct http_req *req, struct http_resp *resp)
{
    if (req->uri_len > MAX_URI_BYTES) {
        sim_reply_error(resp, 414, "URI_TOO_LONG",
                        "The request URI is %zu bytes long, more than the "
                        "%d bytes allowed",
                        req->uri_len, MAX_URI_BYTES);
        log_info("sim", "request URI too long", "bytes=%zu", req->uri_len);
        return 1;
    }
    if (req->headers_len > MAX_HEADER_BYTES) {
        sim_reply_error(resp, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE",
                        "The request header fields are %zu bytes long, more "
                        "than the %d bytes allowed",
                        req->headers_len, MAX_HEADER_BYTES);
        log_info("sim", "request header fields too large", "bytes=%zu",
                 req->headers_len);
        return 1;
    }
    return 0;
}

/*
 * Reply to a request whose path segment or query argument decodes to text
 * that is not valid UTF-8 or contains a NUL byte, values that the HTTP
 * layer keeps from the handlers. Return 1 when it has been replied to.
 * NOTE: the codes for a bad "ids" or other argument are sfsim's choice;
 * Salesforce's reply to such bytes is not recorded.
 */
static int reject_malformed(struct http_req *req, struct http_resp *resp)
{
    const char *arg = req->malformed_arg;
    static const char why[] = "is not valid UTF-8 or contains a NUL character";

    if (req->malformed & HTTP_MALFORMED_PATH) {
        sim_reply_error(resp, 404, "NOT_FOUND",
                        "The requested resource does not exist");
        return 1;
    }
    if (!(req->malformed & HTTP_MALFORMED_QUERY))
        return 0;
    if (strcmp(arg, "q") == 0)
        sim_reply_error(resp, 400, "MALFORMED_QUERY", "The query %s", why);
    else if (strcmp(arg, "fields") == 0)
        sim_reply_error(resp, 400, "INVALID_FIELD",
                        "The fields argument %s", why);
    else if (strcmp(arg, "ids") == 0)
        sim_reply_error(resp, 400, "MALFORMED_ID", "The ids argument %s",
                        why);
    else if (*arg)
        sim_reply_error(resp, 400, "INVALID_PARAMETER_VALUE",
                        "The value of the query argument '%s' %s", arg, why);
    else
        sim_reply_error(resp, 400, "INVALID_PARAMETER_VALUE",
                        "The name of a query argument %s", why);
    return 1;
}

/* Reply 400, in the {"error"} shape of the /sim/ endpoints, to a request
 * whose org argument names no org of this process. */
static void reject_unknown_org(struct http_req *req, struct http_resp *resp,
                               const char *why)
{
    http_resp_json(resp, 400, json_pack("{s:s}", "error", why));
    log_info("sim", "request for an unknown org", "path=%s", req->path);
}

static int before(struct http_req *req, struct http_resp *resp,
                  void *payload)
{
    struct sim_orgs *orgs = payload;
    struct sim_call *call = xcalloc(1, sizeof(*call));
    const char *rest = NULL;
    struct sim_org *org;
    char why[160];
    int latency;
    bool api;

    call->org = orgs->orgs[0];
    req->user_data = call;
    org = sim_orgs_for_request(orgs, req, why, sizeof(why));
    if (!org) {
        reject_unknown_org(req, resp, why);
        return 1;
    }
    call->org = org;
    latency = org->faults.latency_ms;
    api = starts_with(req->path, DATA_PREFIX);
    if (api && latency > 0)
        usleep((useconds_t)latency * 1000);
    pthread_mutex_lock(&org->lock);
    call->locked = true;
    if (reject_oversized(req, resp))
        return 1;
    if (!api)
        return reject_malformed(req, resp);
    if (parse_version(req->path, call->version, &rest) < 0) {
        sim_reply_error(resp, 404, "NOT_FOUND",
                        "The requested resource does not exist");
        return 1;
    }
    call->api = true;
    if (admit_api_call(org, call, req, resp))
        return 1;
    return reject_malformed(req, resp);
}

/* Skip the JSON string whose opening quote is at body[i]; return the
 * offset after its closing quote. Set *plain to its first byte that is
 * printable ASCII outside an escape, or leave it untouched. */
static size_t skip_string(const char *body, size_t len, size_t i,
                          size_t *plain)
{
    for (i++; i < len && body[i] != '"'; i++) {
        unsigned char c = (unsigned char)body[i];

        if (c == '\\') {
            i += body[i + 1] == 'u' ? 5 : 1;
            continue;
        }
        if (*plain == SIZE_MAX && c >= 0x20 && c < 0x7F)
            *plain = i;
    }
    return i + 1;
}

/*
 * The offset of a byte strictly inside a JSON string value of body (not a
 * key) that can be replaced without changing the JSON syntax: printable
 * ASCII outside an escape. The first such value that starts in the second
 * half of body is preferred, else the last one before. SIZE_MAX when body
 * has none.
 */
static size_t corruptible_byte(const char *body, size_t len)
{
    size_t best = SIZE_MAX, i = 0;

    while (i < len) {
        size_t start = i, plain = SIZE_MAX, next;

        if (body[i] != '"') {
            i++;
            continue;
        }
        i = skip_string(body, len, i, &plain);
        next = i;
        while (next < len && isspace((unsigned char)body[next]))
            next++;
        if (plain == SIZE_MAX || (next < len && body[next] == ':'))
            continue;
        best = plain;
        if (start >= len / 2)
            break;
    }
    return best;
}

/* Damage the reply as the body fault switches say, after the handler has
 * done its work, as a broken proxy or network would. */
static void damage_body(struct sim_org *org, struct http_req *req,
                        struct http_resp *resp)
{
    struct sim_faults *f = &org->faults;

    if (f->html_rate > 0 && sim_org_random(org) < f->html_rate) {
        http_resp_text(resp, 200, "text/html",
                       "<html><body><h1>Down for maintenance</h1></body>"
                       "</html>\n");
        log_info("sim", "fault: reply replaced by HTML", "path=%s",
                 req->path);
    } else if (f->truncate_rate > 0 && resp->body.len > 1 &&
               sim_org_random(org) < f->truncate_rate) {
        resp->body.len /= 2;
        resp->body.data[resp->body.len] = '\0';
        log_info("sim", "fault: reply truncated", "path=%s", req->path);
    } else if (f->corrupt_rate > 0 && resp->body.len > 2 &&
               sim_org_random(org) < f->corrupt_rate) {
        size_t at = corruptible_byte(resp->body.data, resp->body.len);

        /* Inside a string value, so the JSON syntax stays intact and only
         * UTF-8 decoding must fail. */
        if (at != SIZE_MAX) {
            resp->body.data[at] = (char)0xff;
            log_info("sim", "fault: reply made invalid UTF-8", "path=%s",
                     req->path);
        }
    }
}

static void after(struct http_req *req, struct http_resp *resp,
                  void *payload)
{
    struct sim_call *call = req->user_data;
    struct sim_org *org = call ? call->org : NULL;
    char usage[64];

    (void)payload;
    if (call && (call->api ||
                 strcmp(req->path, "/services/oauth2/token") == 0))
        damage_body(org, req, resp);

    if (call && call->api) {
        snprintf(usage, sizeof(usage), "api-usage=%lld/%lld",
                 (long long)org->api_used, (long long)org->cfg.api_limit);
        http_resp_header(resp, "Sforce-Limit-Info", usage);
    }
    if (call && call->drop)
        resp->drop = true;
    if (call && call->locked)
        pthread_mutex_unlock(&org->lock);
    free(call);
    req->user_data = NULL;
    log_debug("sim", "request", "method=%s path=%s status=%d", req->method,
              req->path, resp->status);
}

static const char *season_label(int major, char out[32])
{
    static const char *seasons[] = {"Winter", "Spring", "Summer"};
    int d = major - 62;
    int season = ((d % 3) + 3) % 3;
    int year;

    /* Version 62.0 is Winter '25; three releases a year. */
    if (season == 0)
        year = 25 + d / 3;
    else
        year = 24 + (d + 2 - ((d + 2) % 3 + 3) % 3) / 3;
    snprintf(out, 32, "%s '%02d", seasons[season], year);
    return out;
}

static int get_versions(struct http_req *req, struct http_resp *resp,
                        void *payload)
{
    json_t *list = json_array();

    (void)req;
    (void)payload;
    for (int v = SIM_API_VERSION_MIN; v <= SIM_API_VERSION_MAX; v++) {
        char label[32], version[8], url[32];

        snprintf(version, sizeof(version), "%d.0", v);
        snprintf(url, sizeof(url), "/services/data/v%d.0", v);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "label",
                                              season_label(v, label), "url",
                                              url, "version", version));
    }
    http_resp_json(resp, 200, list);
    return 0;
}

static int get_resources(struct http_req *req, struct http_resp *resp,
                         void *payload)
{
    struct sim_call *call = req->user_data;
    struct sim_org *org = sim_request_org(req);
    /* Only the resources that sfsim serves, so that a client that
     * discovers resources here does not call one that answers 404. */
    static const char *names[] = {"sobjects", "query", "queryAll",
                                  "composite", "limits", "jobs/query"};
    json_t *r = json_object();
    char *identity;

    (void)payload;
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        char *url = xasprintf("/services/data/v%s/%s", call->version,
                              names[i]);

        /* Bulk API 2.0 query jobs are listed as "jobs". */
        json_object_set_new(r, strcmp(names[i], "jobs/query") == 0
                                   ? "jobs"
                                   : names[i],
                            json_string(url));
        free(url);
    }
    identity = xasprintf("%s/id/%s/%s", org->cfg.instance_url, org->org_id,
                         call->user->id);
    json_object_set_new(r, "identity", json_string(identity));
    free(identity);
    http_resp_json(resp, 200, r);
    return 0;
}

static json_t *limit(int64_t max, int64_t remaining)
{
    return json_pack("{s:I, s:I}", "Max", (json_int_t)max, "Remaining",
                     (json_int_t)(remaining < 0 ? 0 : remaining));
}

static int get_limits(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    struct sim_org *org = sim_request_org(req);
    json_t *r = json_object();

    (void)payload;
    json_object_set_new(r, "DailyApiRequests",
                        limit(org->cfg.api_limit,
                              org->cfg.api_limit - org->api_used));
    json_object_set_new(r, "DailyBulkApiRequests", limit(15000, 15000));
    json_object_set_new(r, "DailyBulkV2QueryJobs", limit(10000, 10000));
    json_object_set_new(r, "DailyBulkV2QueryFileStorageMB",
                        limit(976562, 976562));
    json_object_set_new(r, "DataStorageMB", limit(1024, 1024));
    json_object_set_new(r, "FileStorageMB", limit(1024, 1024));
    json_object_set_new(r, "SingleEmail", limit(15, 15));
    json_object_set_new(r, "DailyStreamingApiEvents", limit(10000, 10000));
    http_resp_json(resp, 200, r);
    return 0;
}

static int get_record_count(struct http_req *req, struct http_resp *resp,
                            void *payload)
{
    struct sim_org *org = sim_request_org(req);
    const char *list = http_req_query(req, "sObjects");
    json_t *items = json_array();

    (void)payload;
    for (size_t i = 0; i < org->nobjects; i++) {
        struct sim_object *obj = org->objects[i];
        size_t count = 0;

        if (list && !strcasestr(list, obj->name))
            continue;
        for (size_t j = 0; j < obj->nrecords; j++)
            if (!obj->records[j]->deleted_ms)
                count++;
        /* Objects without records are left out, as Salesforce does. */
        if (count)
            json_array_append_new(items,
                                  json_pack("{s:I, s:s}", "count",
                                            (json_int_t)count, "name",
                                            obj->name));
    }
    http_resp_json(resp, 200, json_pack("{s:o}", "sObjects", items));
    return 0;
}

static int not_found(struct http_req *req, struct http_resp *resp,
                     void *payload)
{
    (void)req;
    (void)payload;
    sim_reply_error(resp, 404, "NOT_FOUND",
                    "The requested resource does not exist");
    return 0;
}

static int bad_method(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    (void)payload;
    sim_reply_error(resp, 405, "METHOD_NOT_ALLOWED",
                    "HTTP Method '%s' not allowed for this resource",
                    req->method);
    return 0;
}

void sim_api_routes(struct http_router *r)
{
    r->not_found = not_found;
    r->bad_method = bad_method;
    r->payload = NULL;
    http_router_add(r, "GET", "/services/data", get_versions, NULL);
    http_router_add(r, "GET", "/services/data/{version}", get_resources,
                    NULL);
    http_router_add(r, "GET", "/services/data/{version}/limits", get_limits,
                    NULL);
    http_router_add(r, "GET", "/services/data/{version}/limits/recordCount",
                    get_record_count, NULL);
}

bool sim_host_is_loopback(const char *host)
{
    struct in_addr addr;

    if (!host || inet_pton(AF_INET, host, &addr) != 1)
        return false;
    return (ntohl(addr.s_addr) >> 24) == 127;
}

void sim_api_server_opts(struct sim_orgs *orgs, struct http_server_opts *opts)
{
    opts->before = before;
    opts->after = after;
    opts->payload = orgs;
}

struct sim_org *sim_request_org(const struct http_req *req)
{
    const struct sim_call *call = req->user_data;

    return call->org;
}
