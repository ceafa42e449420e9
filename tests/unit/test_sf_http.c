/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Tests of sf_http without sfsim: limit-info and error-body parsing,
 * backoff delays, and retries against a closed port and a canned server
 * on 127.0.0.1, with the sleep replaced so that no test waits.
 */
#include "base/common.h"

#include "salesforce/sf_http.h"
#include "simproc.h"
#include "test.h"

/* Delays the fake sleep was asked for. */
struct sleeps {
    long ms[32];
    int count;
};

static void record_sleep(long ms, void *payload)
{
    struct sleeps *s = payload;

    if (s->count < (int)ARRAY_SIZE(s->ms))
        s->ms[s->count] = ms;
    s->count++;
}

/* A connection whose retries sleep into s. */
static struct sf_http *test_http(int attempts, struct sleeps *s)
{
    struct sf_http_config cfg = {
        .max_attempts = attempts,
        .backoff_base_ms = 100,
        .backoff_cap_ms = 250,
        .timeout_ms = 2000,
        .connect_timeout_ms = 2000,
    };
    struct sf_http *h = sf_http_new(&cfg);

    memset(s, 0, sizeof(*s));
    sf_http_set_sleep(h, record_sleep, s);
    return h;
}

/* Send method to url; returns the code and fills resp and err. */
static int send_to(struct sf_http *h, const char *method, const char *url,
                   unsigned flags, struct sf_http_response *resp,
                   struct err *err)
{
    struct sf_http_request req = {
        .method = method,
        .url = url,
        .bearer = "00Dx!secret-token",
        .content_type = strcmp(method, "GET") ? "application/json" : NULL,
        .body = strcmp(method, "GET") ? "{\"a\":1}" : NULL,
        .body_len = strcmp(method, "GET") ? 7 : 0,
        .flags = flags,
    };

    return sf_http_send(h, &req, resp, err);
}

/* Raw replies of the canned server, built by init_replies so that each
 * Content-Length matches its body. */
static char ok_reply[512], unavailable_reply[512], internal_reply[512];
static char lock_reply[512], limit_reply[512], truncated_reply[512];
static char not_json_reply[512], html_reply[512], html_200_reply[512];

static void format_reply(char *out, size_t size, const char *status,
                         const char *type, const char *extra, const char *body)
{
    snprintf(out, size,
             "HTTP/1.1 %s\r\nContent-Type: %s\r\n%sContent-Length: "
             "%zu\r\n\r\n%s",
             status, type, extra, strlen(body), body);
}

static void init_replies(void)
{
    static const char json[] = "application/json;charset=UTF-8";

    format_reply(ok_reply, sizeof(ok_reply), "200 OK", json,
                 "Sforce-Limit-Info: api-usage=42/5000\r\n", "{\"ok\":true}");
    format_reply(unavailable_reply, sizeof(unavailable_reply),
                 "503 Service Unavailable", json, "",
                 "[{\"message\":\"Server temporarily unavailable\","
                 "\"errorCode\":\"SERVER_UNAVAILABLE\"}]");
    format_reply(internal_reply, sizeof(internal_reply),
                 "500 Internal Server Error", json, "",
                 "[{\"message\":\"An unexpected error\","
                 "\"errorCode\":\"UNKNOWN_EXCEPTION\"}]");
    format_reply(lock_reply, sizeof(lock_reply), "400 Bad Request", json, "",
                 "[{\"message\":\"unable to obtain exclusive access to "
                 "this record\",\"errorCode\":\"UNABLE_TO_LOCK_ROW\"}]");
    format_reply(limit_reply, sizeof(limit_reply), "403 Forbidden", json,
                 "Sforce-Limit-Info: api-usage=5000/5000\r\n",
                 "[{\"message\":\"TotalRequests Limit exceeded.\","
                 "\"errorCode\":\"REQUEST_LIMIT_EXCEEDED\"}]");
    format_reply(not_json_reply, sizeof(not_json_reply), "200 OK", json, "",
                 "{\"records\":[");
    format_reply(html_reply, sizeof(html_reply), "404 Not Found", "text/html",
                 "", "<html>not found</html>\n");
    format_reply(html_200_reply, sizeof(html_200_reply), "200 OK", "text/html",
                 "", "<html>hi</html>");
    /* Content-Length promises more than is sent before the close. */
    snprintf(truncated_reply, sizeof(truncated_reply),
             "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
             "Content-Length: 100\r\n\r\n{\"records\":[",
             json);
}

TEST(limit_info_forms)
{
    long long used = -1, max = -1;

    CHECK_INT(sf_http_parse_limit_info("api-usage=18/5000", &used, &max), 0);
    CHECK_INT(used, 18);
    CHECK_INT(max, 5000);
    CHECK_INT(sf_http_parse_limit_info(
                  "api-usage=10018/100000; api-bursts=1/750", &used, &max),
              0);
    CHECK_INT(used, 10018);
    CHECK_INT(max, 100000);
    CHECK_INT(sf_http_parse_limit_info(
                  " api-usage=25/5000; per-app-api-usage=17/250(appName=x)",
                  &used, &max),
              0);
    CHECK_INT(used, 25);
    CHECK_INT(max, 5000);
    CHECK_INT(sf_http_parse_limit_info(
                  "per-app-api-usage=17/250(appName=x); api-usage=26/5000",
                  &used, &max),
              0);
    CHECK_INT(used, 26);
    CHECK_INT(max, 5000);
}

TEST(limit_info_rejects_other_text)
{
    long long used = 7, max = 8;

    CHECK_INT(sf_http_parse_limit_info("", &used, &max), -1);
    CHECK_INT(sf_http_parse_limit_info("per-app-api-usage=17/250", &used, &max),
              -1);
    CHECK_INT(sf_http_parse_limit_info("api-usage=abc", &used, &max), -1);
    CHECK_INT(sf_http_parse_limit_info("api-usage=5", &used, &max), -1);
    CHECK_INT(used, 7);
    CHECK_INT(max, 8);
}

TEST(error_body_rest_array)
{
    static const char body[] =
        "[{\"message\":\"\\nselect count() from XYZZY\\n   ^\\nERROR at "
        "Row:1:Column:21\\nsObject type 'XYZZY' is not supported.\","
        "\"errorCode\":\"INVALID_TYPE\"}]";
    struct err err;

    CHECK_INT(sf_http_parse_error(400, body, strlen(body), "GET /q", &err),
              SYNC_EINVALID);
    CHECK_INT(err.code, SYNC_EINVALID);
    CHECK_INT(err.http_status, 400);
    CHECK_STR(err.sf_code, "INVALID_TYPE");
    CHECK(!err.retryable);
    CHECK(strstr(err.msg, "GET /q failed with http 400 INVALID_TYPE: select "
                          "count() from XYZZY ^ ERROR at Row:1:Column:21 "
                          "sObject type 'XYZZY'") != NULL);
    CHECK(strchr(err.msg, '\n') == NULL);
}

TEST(error_body_codes_by_status)
{
    static const struct {
        long status;
        const char *body;
        int code;
        const char *sf_code;
        bool retryable;
    } cases[] = {
        {401,
         "[{\"message\":\"Session expired or invalid\","
         "\"errorCode\":\"INVALID_SESSION_ID\"}]",
         SYNC_EAUTH, "INVALID_SESSION_ID", false},
        {403,
         "[{\"message\":\"TotalRequests Limit exceeded.\","
         "\"errorCode\":\"REQUEST_LIMIT_EXCEEDED\"}]",
         SYNC_ERATELIMIT, "REQUEST_LIMIT_EXCEEDED", true},
        {400,
         "[{\"message\":\"unable to obtain exclusive access\","
         "\"errorCode\":\"UNABLE_TO_LOCK_ROW\"}]",
         SYNC_ETRANSIENT, "UNABLE_TO_LOCK_ROW", true},
        {503,
         "[{\"message\":\"try later\","
         "\"errorCode\":\"SERVER_UNAVAILABLE\"}]",
         SYNC_ETRANSIENT, "SERVER_UNAVAILABLE", true},
        {404,
         "[{\"message\":\"The requested resource does not exist\","
         "\"errorCode\":\"NOT_FOUND\"}]",
         SYNC_ENOTFOUND, "NOT_FOUND", false},
        {300, "[\"/services/data/v60.0/sobjects/Contact/003A\"]",
         SYNC_ECONFLICT, "", false},
        {403,
         "[{\"message\":\"no access\","
         "\"errorCode\":\"INSUFFICIENT_ACCESS_OR_READONLY\"}]",
         SYNC_EINVALID, "INSUFFICIENT_ACCESS_OR_READONLY", false},
        {502, "", SYNC_ETRANSIENT, "", true},
        {400,
         "{\"error\":\"invalid_grant\",\"error_description\":"
         "\"authentication failure\"}",
         SYNC_EAUTH, "invalid_grant", false},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct err err;
        int code = sf_http_parse_error(cases[i].status, cases[i].body,
                                       strlen(cases[i].body), "GET /x", &err);

        if (code != cases[i].code)
            fprintf(stderr, "case %zu: %s\n", i, err.msg);
        CHECK_INT(code, cases[i].code);
        CHECK_INT(err.http_status, cases[i].status);
        CHECK_STR(err.sf_code, cases[i].sf_code);
        CHECK_INT(err.retryable, cases[i].retryable);
    }
}

TEST(error_body_oauth_has_both_parts)
{
    static const char body[] = "{\"error\":\"invalid_grant\","
                               "\"error_description\":\"expired "
                               "access/refresh token\"}";
    struct err err;

    sf_http_parse_error(400, body, strlen(body), "POST /token", &err);
    CHECK(strstr(err.msg, "invalid_grant: expired access/refresh token") !=
          NULL);
}

TEST(error_body_several_and_not_json)
{
    static const char two[] =
        "[{\"message\":\"a\",\"errorCode\":\"FIELD_INTEGRITY_EXCEPTION\"},"
        "{\"message\":\"b\",\"errorCode\":\"INVALID_FIELD\"}]";
    static const char html[] = "<html><body>Bad gateway</body></html>";
    struct err err;

    sf_http_parse_error(400, two, strlen(two), "PATCH /x", &err);
    CHECK_STR(err.sf_code, "FIELD_INTEGRITY_EXCEPTION");
    CHECK(strstr(err.msg, ": a (and 1 more)") != NULL);

    CHECK_INT(sf_http_parse_error(404, html, strlen(html), "GET /y", &err),
              SYNC_ENOTFOUND);
    CHECK(strstr(err.msg, "GET /y failed with http 404 and a 37-byte body "
                          "that is not a Salesforce error") != NULL);
}

TEST(backoff_ceiling_doubles_to_cap)
{
    struct sf_http_config cfg = {.backoff_base_ms = 500,
                                 .backoff_cap_ms = 30000};
    static const long ceilings[] = {500,   1000,  2000,  4000,  8000,
                                    16000, 30000, 30000, 30000, 30000};

    for (int retry = 1; retry <= 10; retry++) {
        long ceiling = ceilings[retry - 1];

        CHECK_INT(sf_http_backoff_ms(&cfg, retry, 0), 0);
        CHECK_INT(sf_http_backoff_ms(&cfg, retry, (uint64_t)ceiling), ceiling);
        CHECK_INT(sf_http_backoff_ms(&cfg, retry, (uint64_t)ceiling + 1), 0);
        CHECK(sf_http_backoff_ms(&cfg, retry, UINT64_MAX) <= ceiling);
    }
    CHECK(sf_http_backoff_ms(&cfg, 1000, UINT64_MAX) <= 30000);
}

TEST(backoff_defaults)
{
    CHECK_INT(sf_http_backoff_ms(NULL, 1, SF_HTTP_DEFAULT_BACKOFF_BASE_MS),
              SF_HTTP_DEFAULT_BACKOFF_BASE_MS);
    CHECK_INT(sf_http_backoff_ms(NULL, 40, SF_HTTP_DEFAULT_BACKOFF_CAP_MS),
              SF_HTTP_DEFAULT_BACKOFF_CAP_MS);
}

TEST(url_and_form_encoding)
{
    struct buf b;

    buf_init(&b, 0);
    sf_http_url_encode(&b, "a b/c?d=e&f~_.-+\xc3\xa9");
    CHECK_STR(b.data, "a%20b%2Fc%3Fd%3De%26f~_.-%2B%C3%A9");
    buf_reset(&b);
    sf_http_form_add(&b, "grant_type", "password");
    sf_http_form_add(&b, "password", "p&ss=1");
    CHECK_STR(b.data, "grant_type=password&password=p%26ss%3D1");
    buf_release(&b);
}

TEST(refused_connection_retried_then_one_error)
{
    struct sleeps s;
    struct sf_http *h = test_http(4, &s);
    struct sf_http_response resp;
    struct sf_http_stats stats;
    struct err err;
    char url[96];
    int port = simproc_closed_port();

    CHECK(port > 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/services/data", port);
    sf_http_response_init(&resp);
    CHECK_INT(send_to(h, "GET", url, 0, &resp, &err), SYNC_ETRANSIENT);
    CHECK_INT(resp.attempts, 4);
    CHECK_INT(s.count, 3);
    CHECK(err.retryable);
    CHECK(strstr(err.msg, "gave up after 4 attempts: cannot connect for "
                          "GET http://127.0.0.1:") != NULL);
    for (int i = 0; i < s.count && i < 3; i++) {
        static const long ceilings[] = {100, 200, 250};

        CHECK(s.ms[i] >= 0);
        CHECK(s.ms[i] <= ceilings[i]);
    }
    sf_http_get_stats(h, &stats);
    CHECK_INT(stats.requests, 4);
    CHECK_INT(stats.retries, 3);
    CHECK_INT(stats.api_calls, 0);
    sf_http_response_release(&resp);
    sf_http_free(h);
}

TEST(refused_post_is_retried)
{
    struct sleeps s;
    struct sf_http *h = test_http(3, &s);
    struct sf_http_response resp;
    struct err err;
    char url[96];

    /* A connection that never opened cannot have delivered the POST. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", simproc_closed_port());
    sf_http_response_init(&resp);
    CHECK_INT(send_to(h, "POST", url, 0, &resp, &err), SYNC_ETRANSIENT);
    CHECK_INT(resp.attempts, 3);
    sf_http_response_release(&resp);
    sf_http_free(h);
}

TEST(malformed_url_fails_once)
{
    static const char *const urls[] = {"htp://127.0.0.1/services/data",
                                       "not a url", "ftp://127.0.0.1/"};
    struct sleeps s;
    struct sf_http *h = test_http(4, &s);

    for (size_t i = 0; i < ARRAY_SIZE(urls); i++) {
        struct sf_http_response resp;
        struct err err;

        sf_http_response_init(&resp);
        CHECK_INT(send_to(h, "GET", urls[i], 0, &resp, &err), SYNC_EINVALID);
        CHECK_INT(resp.attempts, 1);
        CHECK(strstr(err.msg, "check the login or instance URL") != NULL);
        sf_http_response_release(&resp);
    }
    CHECK_INT(s.count, 0);
    sf_http_free(h);
}

TEST(same_seed_same_delays)
{
    struct sleeps a, b;
    struct sf_http *ha = test_http(6, &a);
    struct sf_http *hb = test_http(6, &b);
    struct sf_http_response resp;
    char url[96];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", simproc_closed_port());
    sf_http_set_seed(ha, 99);
    sf_http_set_seed(hb, 99);
    sf_http_response_init(&resp);
    send_to(ha, "GET", url, 0, &resp, NULL);
    send_to(hb, "GET", url, 0, &resp, NULL);
    CHECK_INT(a.count, 5);
    CHECK_INT(b.count, 5);
    for (int i = 0; i < 5; i++)
        CHECK_INT(a.ms[i], b.ms[i]);
    sf_http_response_release(&resp);
    sf_http_free(ha);
    sf_http_free(hb);
}

/* Run steps on a canned server, send one request, and stop the server. */
struct canned_run {
    struct canned_server cs;
    struct sf_http_response resp;
    struct sf_http_stats stats;
    struct sleeps sleeps;
    struct err err;
    int rc;
};

static void run_canned(struct canned_run *run, const struct canned_step *steps,
                       size_t n, const char *method, unsigned flags,
                       int attempts, size_t max_body)
{
    struct sf_http_config cfg = {
        .max_attempts = attempts,
        .timeout_ms = 1000,
        .max_body = max_body,
    };
    struct sf_http *h;
    char url[96];

    memset(run, 0, sizeof(*run));
    run->rc = 1;
    init_replies();
    if (canned_start(&run->cs, steps, n) < 0)
        return;
    h = sf_http_new(&cfg);
    sf_http_set_sleep(h, record_sleep, &run->sleeps);
    snprintf(url, sizeof(url), "%s/services/data/v60.0/query", run->cs.url);
    sf_http_response_init(&run->resp);
    run->rc = send_to(h, method, url, flags, &run->resp, &run->err);
    sf_http_get_stats(h, &run->stats);
    sf_http_free(h);
    canned_stop(&run->cs);
}

TEST(keep_alive_and_headers)
{
    static const struct canned_step steps[] = {{CANNED_REPLY, ok_reply},
                                               {CANNED_REPLY, ok_reply},
                                               {CANNED_REPLY, ok_reply}};
    struct canned_server cs;
    struct sf_http *h = sf_http_new(NULL);
    struct sf_http_response resp;
    struct sf_http_stats stats;
    char url[96];
    json_t *doc = NULL;

    init_replies();
    CHECK_INT(canned_start(&cs, steps, 3), 0);
    snprintf(url, sizeof(url), "%s/services/data/v60.0/limits", cs.url);
    sf_http_response_init(&resp);
    for (int i = 0; i < 3; i++)
        CHECK_INT(send_to(h, "GET", url, 0, &resp, NULL), 0);
    CHECK_INT(resp.status, 200);
    CHECK_INT(sf_http_parse_json(&resp, "GET", url, &doc, NULL), 0);
    CHECK(json_is_true(json_object_get(doc, "ok")));
    json_decref(doc);
    sf_http_get_stats(h, &stats);
    sf_http_response_release(&resp);
    sf_http_free(h);
    canned_stop(&cs);

    CHECK_INT(cs.connections, 1);
    CHECK_INT(cs.requests, 3);
    CHECK_INT(stats.api_used, 42);
    CHECK_INT(stats.api_max, 5000);
    CHECK_INT(stats.api_calls, 3);
    CHECK(strcasestr(cs.last_request, "\r\nAccept-Encoding: ") != NULL);
    CHECK(strstr(cs.last_request, "gzip") != NULL);
    CHECK(strstr(cs.last_request,
                 "\r\nAuthorization: Bearer 00Dx!secret-token\r\n") != NULL);
}

TEST(unavailable_then_ok_is_retried)
{
    static const struct canned_step steps[] = {
        {CANNED_REPLY, unavailable_reply},
        {CANNED_REPLY, unavailable_reply},
        {CANNED_REPLY, ok_reply}};
    struct canned_run run;

    /* A 503 was not applied, so even a POST is sent again. */
    run_canned(&run, steps, 3, "POST", 0, 5, 0);
    CHECK_INT(run.rc, 0);
    CHECK_INT(run.resp.attempts, 3);
    CHECK_INT(run.sleeps.count, 2);
    CHECK_INT(run.cs.requests, 3);
    CHECK_INT(run.stats.retries, 2);
    sf_http_response_release(&run.resp);
}

TEST(lock_row_then_ok_is_retried)
{
    static const struct canned_step steps[] = {{CANNED_REPLY, lock_reply},
                                               {CANNED_REPLY, ok_reply}};
    struct canned_run run;

    run_canned(&run, steps, 2, "PATCH", 0, 5, 0);
    CHECK_INT(run.rc, 0);
    CHECK_INT(run.resp.attempts, 2);
    sf_http_response_release(&run.resp);
}

TEST(internal_error_post_not_retried)
{
    static const struct canned_step steps[] = {{CANNED_REPLY, internal_reply},
                                               {CANNED_REPLY, ok_reply}};
    struct canned_run run;

    run_canned(&run, steps, 2, "POST", 0, 5, 0);
    CHECK_INT(run.rc, SYNC_ETRANSIENT);
    CHECK_INT(run.resp.attempts, 1);
    CHECK_INT(run.cs.requests, 1);
    CHECK_INT(run.err.http_status, 500);
    CHECK_STR(run.err.sf_code, "UNKNOWN_EXCEPTION");
    CHECK(strstr(run.err.msg, "not retried because POST is not repeatable") !=
          NULL);
    sf_http_response_release(&run.resp);
}

TEST(internal_error_repeatable_post_retried)
{
    static const struct canned_step steps[] = {{CANNED_REPLY, internal_reply},
                                               {CANNED_REPLY, ok_reply}};
    struct canned_run run;

    run_canned(&run, steps, 2, "POST", SF_HTTP_REPEATABLE, 5, 0);
    CHECK_INT(run.rc, 0);
    CHECK_INT(run.resp.attempts, 2);
    sf_http_response_release(&run.resp);
}

TEST(internal_error_get_gives_up)
{
    static const struct canned_step steps[] = {{CANNED_REPLY, internal_reply},
                                               {CANNED_REPLY, internal_reply},
                                               {CANNED_REPLY, internal_reply}};
    struct canned_run run;

    run_canned(&run, steps, 3, "GET", 0, 3, 0);
    CHECK_INT(run.rc, SYNC_ETRANSIENT);
    CHECK_INT(run.resp.attempts, 3);
    CHECK_INT(run.resp.status, 500);
    CHECK(strstr(run.err.msg, "gave up after 3 attempts: GET http://") != NULL);
    sf_http_response_release(&run.resp);
}

TEST(request_limit_stops_cleanly)
{
    static const struct canned_step steps[] = {{CANNED_REPLY, limit_reply},
                                               {CANNED_REPLY, ok_reply}};
    struct canned_run run;

    run_canned(&run, steps, 2, "GET", 0, 5, 0);
    CHECK_INT(run.rc, SYNC_ERATELIMIT);
    CHECK_INT(run.resp.attempts, 1);
    CHECK_INT(run.sleeps.count, 0);
    CHECK_INT(run.err.http_status, 403);
    CHECK_STR(run.err.sf_code, "REQUEST_LIMIT_EXCEEDED");
    CHECK(strstr(run.err.msg, "api-usage=5000/5000") != NULL);
    sf_http_response_release(&run.resp);
}

TEST(dropped_post_not_retried)
{
    static const struct canned_step steps[] = {{CANNED_CLOSE, NULL},
                                               {CANNED_REPLY, ok_reply}};
    struct canned_run run;

    run_canned(&run, steps, 2, "POST", 0, 5, 0);
    CHECK_INT(run.rc, SYNC_ETRANSIENT);
    CHECK_INT(run.resp.attempts, 1);
    CHECK_INT(run.cs.requests, 1);
    CHECK(strstr(run.err.msg, "may have been applied") != NULL);
    sf_http_response_release(&run.resp);
}

TEST(dropped_repeatable_post_retried)
{
    static const struct canned_step steps[] = {{CANNED_CLOSE, NULL},
                                               {CANNED_REPLY, ok_reply}};
    struct canned_run run;

    run_canned(&run, steps, 2, "POST", SF_HTTP_REPEATABLE, 5, 0);
    CHECK_INT(run.rc, 0);
    CHECK_INT(run.resp.attempts, 2);
    CHECK_INT(run.cs.connections, 2);
    sf_http_response_release(&run.resp);
}

TEST(timeout_get_retried)
{
    static const struct canned_step steps[] = {{CANNED_SILENT, NULL},
                                               {CANNED_REPLY, ok_reply}};
    struct canned_run run;

    run_canned(&run, steps, 2, "GET", 0, 3, 0);
    CHECK_INT(run.rc, 0);
    CHECK_INT(run.resp.attempts, 2);
    CHECK_INT(run.sleeps.count, 1);
    sf_http_response_release(&run.resp);
}

TEST(timeout_post_not_retried)
{
    static const struct canned_step steps[] = {{CANNED_SILENT, NULL},
                                               {CANNED_REPLY, ok_reply}};
    struct canned_run run;

    run_canned(&run, steps, 2, "POST", 0, 3, 0);
    CHECK_INT(run.rc, SYNC_ETRANSIENT);
    CHECK_INT(run.resp.attempts, 1);
    CHECK(strstr(run.err.msg, "timed out") != NULL ||
          strstr(run.err.msg, "Timeout") != NULL);
    sf_http_response_release(&run.resp);
}

TEST(truncated_body_clear_error)
{
    static const struct canned_step steps[] = {
        {CANNED_REPLY_CLOSE, truncated_reply},
        {CANNED_REPLY_CLOSE, truncated_reply}};
    struct canned_run run;

    run_canned(&run, steps, 2, "GET", 0, 2, 0);
    CHECK_INT(run.rc, SYNC_ETRANSIENT);
    CHECK_INT(run.resp.attempts, 2);
    CHECK(strstr(run.err.msg, "GET http://127.0.0.1:") != NULL);
    CHECK(strstr(run.err.msg, "/services/data/v60.0/query failed: "
                              "transfer closed") != NULL);
    sf_http_response_release(&run.resp);
}

TEST(invalid_json_names_url)
{
    static const struct canned_step steps[] = {{CANNED_REPLY, not_json_reply}};
    struct canned_run run;
    json_t *doc = NULL;
    struct err err;

    run_canned(&run, steps, 1, "GET", 0, 2, 0);
    CHECK_INT(run.rc, 0);
    CHECK_INT(sf_http_parse_json(&run.resp, "GET",
                                 "http://h/services/data/v60.0/query?q=x", &doc,
                                 &err),
              SYNC_EINVALID);
    CHECK(doc == NULL);
    CHECK(strstr(err.msg, "response to GET http://h/services/data/v60.0/"
                          "query is truncated JSON (http 200)") != NULL);
    CHECK(strstr(err.msg, "?q=") == NULL);
    sf_http_response_release(&run.resp);
}

TEST(parse_json_cases)
{
    static const struct {
        const char *type;
        const char *body;
        const char *expect;
    } cases[] = {
        {"application/json", "{\"a\":1} x",
         "is not valid JSON (http 200): "
         "end of file expected"},
        {"application/json", "<html>", "is not valid JSON"},
        {"application/json", "{\"a\":[1,", "is truncated JSON"},
        {"application/json", "", "has an empty body (http 200)"},
        {"text/plain", "{}", "has Content-Type 'text/plain', not JSON"},
        {"", "{\"a\":1}", NULL},
        {"Application/JSON; charset=UTF-8", "[1]", NULL},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct sf_http_response resp;
        json_t *doc = NULL;
        struct err err;
        int rc;

        sf_http_response_init(&resp);
        resp.status = 200;
        snprintf(resp.content_type, sizeof(resp.content_type), "%s",
                 cases[i].type);
        buf_puts(&resp.body, cases[i].body);
        rc = sf_http_parse_json(&resp, "GET", "https://h/x?q=1", &doc, &err);
        if (cases[i].expect) {
            CHECK_INT(rc, SYNC_EINVALID);
            CHECK(doc == NULL);
            if (!strstr(err.msg, cases[i].expect))
                fprintf(stderr, "case %zu: %s\n", i, err.msg);
            CHECK(strstr(err.msg, cases[i].expect) != NULL);
            CHECK(strstr(err.msg, "GET https://h/x ") != NULL);
        } else {
            CHECK_INT(rc, 0);
            CHECK(doc != NULL);
        }
        json_decref(doc);
        sf_http_response_release(&resp);
    }
}

TEST(html_reply_clear_error)
{
    static const struct canned_step steps[] = {{CANNED_REPLY, html_reply},
                                               {CANNED_REPLY, html_200_reply}};
    struct canned_server cs;
    struct sf_http *h = sf_http_new(NULL);
    struct sf_http_response resp;
    struct err err;
    json_t *doc = NULL;
    char url[96];

    init_replies();
    CHECK_INT(canned_start(&cs, steps, 2), 0);
    snprintf(url, sizeof(url), "%s/wrong/services/data", cs.url);
    sf_http_response_init(&resp);
    CHECK_INT(send_to(h, "GET", url, 0, &resp, &err), SYNC_ENOTFOUND);
    CHECK_INT(resp.attempts, 1);
    CHECK(strstr(err.msg, "failed with http 404 and a 23-byte body that is "
                          "not a Salesforce error: check the URL") != NULL);
    CHECK_INT(send_to(h, "GET", url, 0, &resp, &err), 0);
    CHECK_INT(sf_http_parse_json(&resp, "GET", url, &doc, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "has Content-Type 'text/html', not JSON") != NULL);
    sf_http_response_release(&resp);
    sf_http_free(h);
    canned_stop(&cs);
}

TEST(body_cap_rejects_large_reply)
{
    static const struct canned_step steps[] = {{CANNED_REPLY, ok_reply},
                                               {CANNED_REPLY, ok_reply}};
    struct canned_run run;

    run_canned(&run, steps, 2, "GET", 0, 5, 8);
    CHECK_INT(run.rc, SYNC_EINVALID);
    CHECK_INT(run.resp.attempts, 1);
    CHECK(strstr(run.err.msg, "larger than the 8-byte cap") != NULL);
    sf_http_response_release(&run.resp);
}

TEST_MAIN(
    TEST_ENTRY(limit_info_forms), TEST_ENTRY(limit_info_rejects_other_text),
    TEST_ENTRY(error_body_rest_array), TEST_ENTRY(error_body_codes_by_status),
    TEST_ENTRY(error_body_oauth_has_both_parts),
    TEST_ENTRY(error_body_several_and_not_json),
    TEST_ENTRY(backoff_ceiling_doubles_to_cap), TEST_ENTRY(backoff_defaults),
    TEST_ENTRY(url_and_form_encoding),
    TEST_ENTRY(refused_connection_retried_then_one_error),
    TEST_ENTRY(refused_post_is_retried), TEST_ENTRY(malformed_url_fails_once),
    TEST_ENTRY(same_seed_same_delays), TEST_ENTRY(keep_alive_and_headers),
    TEST_ENTRY(unavailable_then_ok_is_retried),
    TEST_ENTRY(lock_row_then_ok_is_retried),
    TEST_ENTRY(internal_error_post_not_retried),
    TEST_ENTRY(internal_error_repeatable_post_retried),
    TEST_ENTRY(internal_error_get_gives_up),
    TEST_ENTRY(request_limit_stops_cleanly),
    TEST_ENTRY(dropped_post_not_retried),
    TEST_ENTRY(dropped_repeatable_post_retried),
    TEST_ENTRY(timeout_get_retried), TEST_ENTRY(timeout_post_not_retried),
    TEST_ENTRY(truncated_body_clear_error), TEST_ENTRY(invalid_json_names_url),
    TEST_ENTRY(parse_json_cases), TEST_ENTRY(html_reply_clear_error),
    TEST_ENTRY(body_cap_rejects_large_reply))
