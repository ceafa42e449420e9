/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * HTTP exchanges with Salesforce over one reused libcurl easy handle, with
 * retries, limit accounting and error-body parsing. It keeps no tokens of
 * its own and logs neither the Authorization header nor OAuth bodies.
 */
#include "base/common.h"

#include "salesforce/sf_http.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#ifndef SFSYNC_VERSION
#define SFSYNC_VERSION "0.1.0"
#endif

#define OAUTH_PATH "/services/oauth2/"
#define API_PATH "/services/data/v"
#define LOG_BODY_MAX 1500
#define LABEL_MAX 160

struct sf_http {
    CURL *curl;
    struct sf_http_config cfg;
    char *user_agent;
    sf_http_sleep_fn sleep_fn;
    void *sleep_payload;
    uint64_t rng;
    /* Written by the thread that sends and read by sf_http_get_stats,
     * which may run in another thread while a query page is fetched ahead
     * (sf_query_run_ahead). */
    struct sf_http_stats stats;
    pthread_mutex_t stats_lock;
    char curl_error[CURL_ERROR_SIZE];
};

/* The outcome of one attempt, and whether another may follow. */
enum attempt_result {
    ATTEMPT_OK,          /* status below 400 */
    ATTEMPT_FAILED,      /* final: an error that a retry cannot fix */
    ATTEMPT_NOT_APPLIED, /* retryable: the server did not act on it */
    ATTEMPT_MAY_APPLY,   /* retryable only when the request is repeatable */
};

/* State shared with the libcurl callbacks during one attempt. */
struct attempt {
    struct sf_http *h;
    struct sf_http_response *resp;
    const struct sf_http_stream *stream; /* NULL to buffer the body */
    long status; /* from the last status line received */
    int stop_rc; /* the code with which stream->body stopped, or 0 */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        BUG("curl_global_init failed");
}

static long or_default(long value, long fallback)
{
    return value > 0 ? value : fallback;
}

static void fill_defaults(struct sf_http_config *cfg)
{
    cfg->connect_timeout_ms =
        or_default(cfg->connect_timeout_ms, SF_HTTP_DEFAULT_CONNECT_TIMEOUT_MS);
    cfg->timeout_ms = or_default(cfg->timeout_ms, SF_HTTP_DEFAULT_TIMEOUT_MS);
    if (cfg->max_body == 0)
        cfg->max_body = SF_HTTP_DEFAULT_MAX_BODY;
    if (cfg->max_attempts <= 0)
        cfg->max_attempts = SF_HTTP_DEFAULT_MAX_ATTEMPTS;
    cfg->backoff_base_ms =
        or_default(cfg->backoff_base_ms, SF_HTTP_DEFAULT_BACKOFF_BASE_MS);
    cfg->backoff_cap_ms =
        or_default(cfg->backoff_cap_ms, SF_HTTP_DEFAULT_BACKOFF_CAP_MS);
}

static uint64_t random_seed(void)
{
    uint64_t seed;

    if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) == 1)
        return seed;
    return (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

/* splitmix64: enough to spread retries of many workers apart. */
static uint64_t next_random(struct sf_http *h)
{
    uint64_t z = (h->rng += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void default_sleep(long ms, void *payload)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    (void)payload;
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

struct sf_http *sf_http_new(const struct sf_http_config *cfg)
{
    struct sf_http *h = xcalloc(1, sizeof(*h));

    pthread_once(&global_once, global_init);
    if (cfg)
        h->cfg = *cfg;
    fill_defaults(&h->cfg);
    h->user_agent = h->cfg.user_agent ? xstrdup(h->cfg.user_agent)
                                      : xstrdup("sfsync/" SFSYNC_VERSION);
    h->cfg.user_agent = h->user_agent;
    h->curl = curl_easy_init();
    if (!h->curl)
        BUG("curl_easy_init failed");
    h->sleep_fn = default_sleep;
    h->rng = random_seed();
    h->stats.api_used = -1;
    h->stats.api_max = -1;
    pthread_mutex_init(&h->stats_lock, NULL);
    return h;
}

void sf_http_free(struct sf_http *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    pthread_mutex_destroy(&h->stats_lock);
    free(h->user_agent);
    free(h);
}

void sf_http_set_sleep(struct sf_http *h, sf_http_sleep_fn fn, void *payload)
{
    h->sleep_fn = fn ? fn : default_sleep;
    h->sleep_payload = fn ? payload : NULL;
}

void sf_http_set_seed(struct sf_http *h, uint64_t seed)
{
    h->rng = seed;
}

void sf_http_get_stats(const struct sf_http *h, struct sf_http_stats *out)
{
    struct sf_http *locked = (struct sf_http *)h;

    pthread_mutex_lock(&locked->stats_lock);
    *out = h->stats;
    pthread_mutex_unlock(&locked->stats_lock);
}

/* Add one to a counter of h->stats under its lock. */
static void count_one(struct sf_http *h, uint64_t *counter)
{
    pthread_mutex_lock(&h->stats_lock);
    (*counter)++;
    pthread_mutex_unlock(&h->stats_lock);
}

void sf_http_response_init(struct sf_http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    buf_init(&resp->body, 0);
}

void sf_http_response_release(struct sf_http_response *resp)
{
    if (resp->secret)
        buf_release_secret(&resp->body);
    else
        buf_release(&resp->body);
}

long sf_http_backoff_ms(const struct sf_http_config *cfg, int retry,
                        uint64_t random_value)
{
    long base = or_default(cfg ? cfg->backoff_base_ms : 0,
                           SF_HTTP_DEFAULT_BACKOFF_BASE_MS);
    long cap = or_default(cfg ? cfg->backoff_cap_ms : 0,
                          SF_HTTP_DEFAULT_BACKOFF_CAP_MS);
    long ceiling = base;

    /* Doubling stops once the ceiling reaches the cap, so it cannot
     * overflow. */
    for (int i = 1; i < retry && ceiling < cap; i++)
        ceiling *= 2;
    if (ceiling > cap)
        ceiling = cap;
    return (long)(random_value % ((uint64_t)ceiling + 1));
}

void sf_http_url_encode(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            buf_putc(b, (char)c);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};

            buf_append(b, enc, sizeof(enc));
        }
    }
}

void sf_http_form_add(struct buf *b, const char *name, const char *value)
{
    if (b->len)
        buf_putc(b, '&');
    sf_http_url_encode(b, name);
    buf_putc(b, '=');
    sf_http_url_encode(b, value);
}

int sf_http_parse_limit_info(const char *value, long long *used, long long *max)
{
    static const char key[] = "api-usage=";
    const char *p = value;

    /* Match the item name exactly, so "per-app-api-usage=" is skipped. */
    while (p && (p = strstr(p, key)) != NULL) {
        bool item_start = p == value || p[-1] == ';' || p[-1] == ',' ||
                          p[-1] == ' ' || p[-1] == '\t';
        long long u, m;
        int n = 0;

        if (item_start &&
            sscanf(p + sizeof(key) - 1, "%lld/%lld%n", &u, &m, &n) == 2 &&
            n > 0 && u >= 0 && m >= 0) {
            *used = u;
            *max = m;
            return 0;
        }
        p += sizeof(key) - 1;
    }
    return -1;
}

/* "METHOD url" without the query string, which may hold record data. */
static void describe_request(const char *method, const char *url,
                             char out[LABEL_MAX])
{
    size_t len = strcspn(url, "?#");

    if (len > LABEL_MAX - 24)
        len = LABEL_MAX - 24;
    snprintf(out, LABEL_MAX, "%s %.*s", method, (int)len, url);
}

/* Copy text into out with every run of whitespace turned into one space,
 * because Salesforce query errors span several lines. */
static void one_line(const char *text, char *out, size_t size)
{
    size_t n = 0;
    bool space = false;

    for (const char *p = text; *p && n + 1 < size; p++) {
        if (isspace((unsigned char)*p)) {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < size)
            out[n++] = ' ';
        space = false;
        out[n++] = *p;
    }
    out[n] = '\0';
}

static int code_for(long status, const char *sf_code, bool oauth)
{
    if (sf_code && strcmp(sf_code, "REQUEST_LIMIT_EXCEEDED") == 0)
        return SYNC_ERATELIMIT;
    if (sf_code && (strcmp(sf_code, "UNABLE_TO_LOCK_ROW") == 0 ||
                    strcmp(sf_code, "SERVER_UNAVAILABLE") == 0))
        return SYNC_ETRANSIENT;
    if (status >= 500)
        return SYNC_ETRANSIENT;
    if (status == 401 || oauth)
        return SYNC_EAUTH;
    if (status == 404)
        return SYNC_ENOTFOUND;
    if (status == 300 || status == 409 || status == 412)
        return SYNC_ECONFLICT;
    return SYNC_EINVALID;
}

/* The advice that ends an error message of the given code. */
static const char *next_step(int code)
{
    switch (code) {
    case SYNC_EAUTH:
        return "check the credentials or log in again";
    case SYNC_ETRANSIENT:
        return "try again later";
    case SYNC_ENOTFOUND:
        return "check the URL and the record id";
    default:
        return NULL;
    }
}

int sf_http_parse_error(long status, const char *body, size_t len,
                        const char *label, struct err *err)
{
    json_t *doc = len ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *item = doc;
    const char *sf_code = NULL, *message = NULL, *step;
    char text[ERR_MSG_MAX], others[48] = "";
    size_t more = 0;
    bool oauth = false;
    int code;

    if (json_is_array(doc)) {
        item = json_array_get(doc, 0);
        more = json_array_size(doc) ? json_array_size(doc) - 1 : 0;
    }
    if (json_is_object(item) &&
        json_is_string(json_object_get(item, "error"))) {
        oauth = true;
        sf_code = json_string_value(json_object_get(item, "error"));
        message = json_string_value(json_object_get(item, "error_description"));
    } else if (json_is_object(item)) {
        sf_code = json_string_value(json_object_get(item, "errorCode"));
        message = json_string_value(json_object_get(item, "message"));
    }
    code = code_for(status, sf_code, oauth);
    step = next_step(code);
    /* invalid_client and invalid_client_id: the connected app's
     * credentials, not a user's, were refused. */
    if (oauth && sf_code && strncmp(sf_code, "invalid_client", 14) == 0)
        step = SF_HTTP_CHECK_CLIENT;
    one_line(message ? message : "", text, sizeof(text));
    /* The server's message may give the same advice already, as sfsim's
     * 503 SERVER_UNAVAILABLE does. */
    if (step && strcasestr(text, step))
        step = NULL;
    if (more)
        snprintf(others, sizeof(others), " (and %zu more)", more);

    if (sf_code)
        err_set(err, code, "%s failed with http %ld %s: %s%s%s%s", label,
                status, sf_code, text, others, step ? ": " : "",
                step ? step : "");
    else if (len && !doc)
        err_set(err, code,
                "%s failed with http %ld and a %zu-byte body that is not a "
                "Salesforce error: check the URL",
                label, status, len);
    else
        err_set(err, code, "%s failed with http %ld%s%s", label, status,
                step ? ": " : "", step ? step : "");
    err_set_http(err, (int)status, sf_code);
    json_decref(doc);
    return code;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *payload)
{
    struct attempt *a = payload;
    size_t len = size * nmemb;

    if (a->stream && a->status >= 200 && a->status < 300) {
        int rc = a->stream->body
                     ? a->stream->body(data, len, a->stream->payload)
                     : 0;

        if (rc < 0) {
            a->stop_rc = rc;
            return 0; /* libcurl stops with CURLE_WRITE_ERROR */
        }
        return len;
    }
    if (buf_append(&a->resp->body, data, len) < 0)
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    return len;
}

static void read_limit_info(struct attempt *a, const char *data, size_t len)
{
    static const char name[] = "sforce-limit-info:";
    long long used, max;
    char value[256];

    if (len <= sizeof(name) - 1 || len - (sizeof(name) - 1) >= sizeof(value) ||
        strncasecmp(data, name, sizeof(name) - 1) != 0)
        return;
    memcpy(value, data + sizeof(name) - 1, len - (sizeof(name) - 1));
    value[len - (sizeof(name) - 1)] = '\0';
    if (sf_http_parse_limit_info(value, &used, &max) == 0) {
        pthread_mutex_lock(&a->h->stats_lock);
        a->h->stats.api_used = used;
        a->h->stats.api_max = max;
        pthread_mutex_unlock(&a->h->stats_lock);
    }
}

/* Copy data[start, end) without surrounding blanks into out; -1 when it
 * does not fit. */
static int copy_trimmed(const char *data, size_t start, size_t end, char *out,
                        size_t size)
{
    while (start < end && isspace((unsigned char)data[start]))
        start++;
    while (end > start && isspace((unsigned char)data[end - 1]))
        end--;
    if (end - start >= size)
        return -1;
    memcpy(out, data + start, end - start);
    out[end - start] = '\0';
    return 0;
}

/* Pass a "Name: value" line to the stream's header hook. Lines too long
 * for the buffers are not passed; no header a reader needs is that long. */
static void pass_header(struct attempt *a, const char *data, size_t len)
{
    const char *colon = memchr(data, ':', len);
    char name[128], value[2048];

    if (!a->stream || !a->stream->header || !colon)
        return;
    if (copy_trimmed(data, 0, (size_t)(colon - data), name, sizeof(name)) < 0 ||
        copy_trimmed(data, (size_t)(colon - data) + 1, len, value,
                     sizeof(value)) < 0)
        return;
    a->stream->header(name, value, a->stream->payload);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *payload)
{
    struct attempt *a = payload;
    size_t len = size * nmemb;

    /* Each reply starts with its status line; after a 100 Continue the
     * last one is the final status. */
    if (len > 5 && strncmp(data, "HTTP/", 5) == 0) {
        const char *space = memchr(data, ' ', len);

        a->status = space ? strtol(space + 1, NULL, 10) : 0;
        return len;
    }
    read_limit_info(a, data, len);
    pass_header(a, data, len);
    return len;
}

static bool method_repeatable(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
           strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
}

/*
 * Build the header list. The Authorization line is zeroed when the list is
 * freed by free_headers, since libcurl's own free does not.
 * NOTE: libcurl copies the headers into its request buffer, which it frees
 * without zeroing, so a copy of the token outlives the request in freed
 * memory.
 */
static bool has_accept(const struct sf_http_request *req)
{
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        if (strncasecmp(req->headers[i], "Accept:", 7) == 0)
            return true;
    return false;
}

static struct curl_slist *make_headers(const struct sf_http_request *req)
{
    struct curl_slist *list = NULL;

    if (!has_accept(req))
        list = curl_slist_append(list, "Accept: application/json");
    /* Without this, libcurl waits for a 100 Continue before sending a
     * large body, which costs a round trip. */
    list = curl_slist_append(list, "Expect:");
    if (req->content_type) {
        char *line = xasprintf("Content-Type: %s", req->content_type);

        list = curl_slist_append(list, line);
        free(line);
    }
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        list = curl_slist_append(list, req->headers[i]);
    if (req->bearer) {
        char *line = xasprintf("Authorization: Bearer %s", req->bearer);

        list = curl_slist_append(list, line);
        free_secret(line);
    }
    if (!list)
        BUG("curl_slist_append failed");
    return list;
}

static void free_headers(struct curl_slist *list)
{
    for (struct curl_slist *p = list; p; p = p->next)
        secure_zero(p->data, strlen(p->data));
    curl_slist_free_all(list);
}

static void set_method(CURL *c, const struct sf_http_request *req)
{
    if (strcmp(req->method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(req->method, "POST") == 0)
            curl_easy_setopt(c, CURLOPT_POST, 1L);
        else
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
        if (req->body || strcmp(req->method, "DELETE") != 0) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                             (curl_off_t)(req->body ? req->body_len : 0));
        }
    }
}

/*
 * libcurl sends a request again by itself when a reused connection closes
 * before any reply byte, which would apply a create twice. A request that
 * must not be repeated therefore gets a new handle, whose empty connection
 * cache means a new connection, which libcurl never resends on. Dropping
 * the old handle also closes its idle connections.
 */
static void fresh_handle_unless_repeatable(struct sf_http *h,
                                           const struct sf_http_request *req)
{
    if ((req->flags & SF_HTTP_REPEATABLE) || method_repeatable(req->method))
        return;
    curl_easy_cleanup(h->curl);
    h->curl = curl_easy_init();
    if (!h->curl)
        BUG("curl_easy_init failed");
}

static void setup(struct sf_http *h, const struct sf_http_request *req,
                  struct curl_slist *headers, struct attempt *a)
{
    CURL *c;

    fresh_handle_unless_repeatable(h, req);
    c = h->curl;
    /* A reset keeps the connection cache, so keep-alive survives it. */
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    /* A redirect could carry the bearer token to another host. */
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->cfg.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->cfg.timeout_ms);
    /* A streamed body is not held, so only buffered bodies are capped. */
    if (!req->stream)
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
                         (curl_off_t)h->cfg.max_body);
    curl_easy_setopt(c, CURLOPT_USERAGENT, h->user_agent);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->curl_error);
    set_method(c, req);
}

/* Classify a libcurl failure and fill err. */
static enum attempt_result transport_failure(struct sf_http *h, CURLcode cc,
                                             const char *label,
                                             struct sf_http_response *resp,
                                             struct err *err)
{
    const char *reason =
        h->curl_error[0] ? h->curl_error : curl_easy_strerror(cc);
    long sent = 0;

    curl_easy_getinfo(h->curl, CURLINFO_REQUEST_SIZE, &sent);
    switch (cc) {
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (resp->body.overflow || cc == CURLE_FILESIZE_EXCEEDED) {
            err_set(err, SYNC_EINVALID,
                    "response to %s is larger than the %zu-byte cap: raise "
                    "the cap or ask for less",
                    label, h->cfg.max_body);
            return ATTEMPT_FAILED;
        }
        break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        err_set(err, SYNC_EINVALID,
                "invalid URL in %s: %s: check the login or instance URL", label,
                reason);
        return ATTEMPT_FAILED;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        err_set(err, SYNC_EIO,
                "TLS verification failed for %s: %s: check the host name "
                "and the system CA certificates",
                label, reason);
        return ATTEMPT_FAILED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        err_set(err, SYNC_ETRANSIENT, "cannot connect for %s: %s", label,
                reason);
        return ATTEMPT_NOT_APPLIED;
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        err_set(err, SYNC_ETRANSIENT, "%s failed: %s", label, reason);
        /* Nothing left this host, so the server cannot have acted. */
        return sent == 0 ? ATTEMPT_NOT_APPLIED : ATTEMPT_MAY_APPLY;
    default:
        break;
    }
    err_set(err, SYNC_EIO, "%s failed: %s", label, reason);
    return ATTEMPT_FAILED;
}

/* Classify an HTTP error status and fill err. */
static enum attempt_result status_failure(struct sf_http *h, long status,
                                          const char *label,
                                          struct sf_http_response *resp,
                                          struct err *err)
{
    int code = sf_http_parse_error(status, resp->body.data, resp->body.len,
                                   label, err);

    if (code == SYNC_ERATELIMIT) {
        char sf_code[ERR_CODE_MAX];

        snprintf(sf_code, sizeof(sf_code), "%s", err->sf_code);
        err_set(err, SYNC_ERATELIMIT,
                "salesforce API request limit exceeded (api-usage=%lld/%lld)"
                " at %s: wait until the org's 24-hour usage drops",
                h->stats.api_used, h->stats.api_max, label);
        err_set_http(err, (int)status, sf_code);
        return ATTEMPT_FAILED;
    }
    if (status == 503 || strcmp(err->sf_code, "UNABLE_TO_LOCK_ROW") == 0)
        return ATTEMPT_NOT_APPLIED;
    if (status == 500 || status == 502 || status == 504)
        return ATTEMPT_MAY_APPLY;
    return ATTEMPT_FAILED;
}

static void log_body(const char *label, const char *url, long status,
                     const char *body, size_t len)
{
    if (log_get_level() > LOG_DEBUG || !len || strstr(url, OAUTH_PATH))
        return;
    log_debug("salesforce", label, "url=%.*s status=%ld bytes=%zu body=%.*s",
              (int)strcspn(url, "?"), url, status, len,
              (int)(len < LOG_BODY_MAX ? len : LOG_BODY_MAX), body);
}

static enum attempt_result
attempt(struct sf_http *h, const struct sf_http_request *req, const char *label,
        struct sf_http_response *resp, struct err *err)
{
    struct attempt a = {.h = h, .resp = resp, .stream = req->stream};
    struct curl_slist *headers = make_headers(req);
    char *content_type = NULL;
    long status = 0;
    CURLcode cc;

    sf_http_response_release(resp);
    buf_init(&resp->body, h->cfg.max_body);
    resp->status = 0;
    resp->content_type[0] = '\0';
    h->curl_error[0] = '\0';
    setup(h, req, headers, &a);
    count_one(h, &h->stats.requests);
    resp->attempts++;
    if (req->stream && req->stream->start)
        req->stream->start(req->stream->payload);
    cc = curl_easy_perform(h->curl);
    free_headers(headers);
    if (cc == CURLE_WRITE_ERROR && a.stop_rc < 0) {
        if (strstr(req->url, API_PATH))
            count_one(h, &h->stats.api_calls);
        resp->status = a.status;
        err_set(err, a.stop_rc, "%s stopped by the reader of its body", label);
        return ATTEMPT_FAILED;
    }
    if (cc != CURLE_OK) {
        long sent = 0;

        /* A request that left this host counts without a reply too, since
         * the server may have acted on it and counted it. */
        curl_easy_getinfo(h->curl, CURLINFO_REQUEST_SIZE, &sent);
        if (sent > 0 && strstr(req->url, API_PATH))
            h->stats.api_calls++;
        return transport_failure(h, cc, label, resp, err);
    }

    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &content_type);
    resp->status = status;
    snprintf(resp->content_type, sizeof(resp->content_type), "%s",
             content_type ? content_type : "");
    if (strstr(req->url, API_PATH))
        count_one(h, &h->stats.api_calls);
    log_body("response body", req->url, status, resp->body.data,
             resp->body.len);
    if (status >= 400)
        return status_failure(h, status, label, resp, err);
    return ATTEMPT_OK;
}

static void log_retry(const struct sf_http *h, const char *label,
                      int attempt_no, const struct err *err, long delay_ms)
{
    if (err->http_status)
        log_warn("salesforce", "request failed, retrying",
                 "request=\"%s\" attempt=%d/%d status=%d sf_code=%s "
                 "delay_ms=%ld",
                 label, attempt_no, h->cfg.max_attempts, err->http_status,
                 err->sf_code[0] ? err->sf_code : "-", delay_ms);
    else
        log_warn("salesforce", "request failed, retrying",
                 "request=\"%s\" attempt=%d/%d error=\"%s\" delay_ms=%ld",
                 label, attempt_no, h->cfg.max_attempts, err->msg, delay_ms);
}

int sf_http_send(struct sf_http *h, const struct sf_http_request *req,
                 struct sf_http_response *resp, struct err *err)
{
    bool repeatable =
        (req->flags & SF_HTTP_REPEATABLE) || method_repeatable(req->method);
    char label[LABEL_MAX];
    struct err local;

    describe_request(req->method, req->url, label);
    resp->secret = strstr(req->url, OAUTH_PATH) != NULL;
    resp->attempts = 0;
    err_clear(&local);
    if (req->body && !resp->secret)
        log_body("request body", req->url, 0, req->body, req->body_len);

    for (int n = 1;; n++) {
        enum attempt_result r = attempt(h, req, label, resp, &local);
        long delay;

        if (r == ATTEMPT_OK) {
            err_clear(err);
            return 0;
        }
        if (r == ATTEMPT_FAILED)
            break;
        if (r == ATTEMPT_MAY_APPLY && !repeatable) {
            err_prefix(&local,
                       "not retried because %s is not repeatable and may "
                       "have been applied",
                       req->method);
            break;
        }
        if (n >= h->cfg.max_attempts) {
            err_prefix(&local, "gave up after %d attempts", n);
            break;
        }
        delay = sf_http_backoff_ms(&h->cfg, n, next_random(h));
        log_retry(h, label, n, &local, delay);
        count_one(h, &h->stats.retries);
        h->sleep_fn(delay, h->sleep_payload);
    }
    if (err)
        *err = local;
    return local.code;
}

static int parse_json_reply(const struct sf_http_response *resp,
                            const char *method, const char *url, json_t **out,
                            struct err *err)
{
    const char *type = resp->content_type;
    char label[LABEL_MAX];
    json_error_t jerr;
    json_t *doc;

    *out = NULL;
    describe_request(method, url, label);
    if (resp->body.overflow)
        return err_set(err, SYNC_EINVALID,
                       "response to %s was cut at the %zu-byte cap", label,
                       resp->body.max);
    if (type[0] && strncasecmp(type, "application/json", 16) != 0)
        return err_set(err, SYNC_EINVALID,
                       "response to %s has Content-Type '%.40s', not JSON "
                       "(http %ld): check the instance URL",
                       label, type, resp->status);
    if (resp->body.len == 0)
        return err_set(err, SYNC_EINVALID,
                       "response to %s has an empty body (http %ld), "
                       "expected JSON",
                       label, resp->status);
    doc = json_loadb(resp->body.data, resp->body.len, 0, &jerr);
    /* jansson 2.14 says "premature end of input" when the text stops
     * inside a value and "... near end of file" at a token. */
    if (!doc && (strstr(jerr.text, "near end of file") ||
                 strstr(jerr.text, "premature end of input")))
        return err_set(err, SYNC_EINVALID,
                       "response to %s is truncated JSON (http %ld): %s at "
                       "byte %d of %zu",
                       label, resp->status, jerr.text, jerr.position,
                       resp->body.len);
    if (!doc)
        return err_set(err, SYNC_EINVALID,
                       "response to %s is not valid JSON (http %ld): %s at "
                       "byte %d of %zu",
                       label, resp->status, jerr.text, jerr.position,
                       resp->body.len);
    *out = doc;
    return 0;
}

int sf_http_parse_json(const struct sf_http_response *resp, const char *method,
                       const char *url, json_t **out, struct err *err)
{
    int rc = parse_json_reply(resp, method, url, out, err);

    /* A reply came, though not one that sfsync can read: a maintenance
     * page or a proxy's error is Salesforce's side, not the network's. */
    if (rc < 0)
        err_set_http(err, (int)resp->status, NULL);
    return rc;
}
