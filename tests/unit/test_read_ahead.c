/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Integration tests against the real sfsim of the reads that fetch the
 * next page while the callback works on the current one: REST query pages
 * (sf_query_run_ahead) and Bulk API results pages (read_ahead of
 * sf_bulk_query_pages). They deliver what the plain reads deliver, the
 * next request is sent during the callback, and a token renewal runs in
 * the calling thread, which owns the store that keeps the token.
 */
#include "base/common.h"

#include <pthread.h>
#include <time.h>

#include "base/hmap.h"
#include "salesforce/sf_bulk.h"
#include "salesforce/sf_query.h"

#include "simproc.h"
#include "test.h"

/* How long a callback waits for the request of the next page when one is
 * expected, and when none is. */
#define NEXT_REQUEST_WAIT_MS 15000
#define NO_REQUEST_WAIT_MS 300

static void no_sleep(long ms, void *payload)
{
    (void)ms;
    (void)payload;
}

static struct sf_client *client_for(const char *url)
{
    struct sf_auth_config acfg = {
        .login_url = url,
        .client_id = "sfsim-client-id",
        .client_secret = "sfsim-client-secret",
        .grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS,
    };
    struct sf_client_config ccfg = {.api_version = "60.0"};
    struct sf_client *c = sf_client_new(&ccfg, sf_auth_new(&acfg, NULL), NULL);

    sf_http_set_sleep(sf_client_http(c), no_sleep, NULL);
    return c;
}

static uint64_t api_calls_of(struct sf_client *c)
{
    struct sf_http_stats stats;

    sf_http_get_stats(sf_client_http(c), &stats);
    return stats.api_calls;
}

/* What the page callback saw. */
struct seen {
    struct sf_client *c;
    size_t pages;
    size_t records;
    bool bad_index;
    bool duplicate;
    struct hmap ids;
    char first_ids[64][SFID_SIZE]; /* the first Id of each page */
    /* API calls when the read began, and when the callback of wait_page
     * returned; the read-ahead may send the next request before that
     * callback starts, so the test compares counts, not moments. */
    uint64_t start_calls, exit_calls;
    size_t wait_page; /* wait for the next request in this page's callback;
                         SIZE_MAX for none */
    int wait_ms;
    /* Token renewals, and those outside the thread that ran the read. */
    pthread_t caller;
    int renewals;
    int foreign_renewals;
};

static void seen_init(struct seen *s, struct sf_client *c, size_t wait_page,
                      int wait_ms)
{
    memset(s, 0, sizeof(*s));
    s->c = c;
    s->wait_page = wait_page;
    s->wait_ms = wait_ms;
    s->caller = pthread_self();
    s->start_calls = api_calls_of(c);
    hmap_init(&s->ids, false);
}

/* Whether the request after page wait_page was sent before that page's
 * callback returned, given the calls made before the first page's
 * request (the job's create and polls for Bulk, none for queries). */
static bool overlapped(const struct seen *s, uint64_t calls_before_pages)
{
    return s->exit_calls >=
           s->start_calls + calls_before_pages + s->wait_page + 2;
}

static void seen_release(struct seen *s)
{
    for (size_t i = 0; i < s->ids.cap; i++)
        if (s->ids.slots[i].key)
            free(s->ids.slots[i].value);
    hmap_release(&s->ids);
}

static void on_token(const struct sf_token *token, void *payload)
{
    struct seen *s = payload;

    (void)token;
    s->renewals++;
    if (!pthread_equal(pthread_self(), s->caller))
        s->foreign_renewals++;
}

/* Whether the client sends another API call within wait_ms. */
static bool next_request_sent(struct sf_client *c, int wait_ms)
{
    uint64_t before = api_calls_of(c);

    for (int waited = 0; waited < wait_ms; waited += 10) {
        if (api_calls_of(c) > before)
            return true;
        simproc_sleep_ms(10);
    }
    return false;
}

static int collect_page(const struct sf_query_page *page, void *payload,
                        struct err *err)
{
    struct seen *s = payload;
    size_t i;
    json_t *rec;

    (void)err;
    if (page->index != s->pages)
        s->bad_index = true;
    json_array_foreach(page->records, i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "Id"));
        char *key = xstrdup(id ? id : "");
        char *old = hmap_put(&s->ids, key, key);

        if (i == 0 && s->pages < ARRAY_SIZE(s->first_ids))
            snprintf(s->first_ids[s->pages], SFID_SIZE, "%s", key);
        /* The map now contains the new copy, so the old one is freed. */
        if (old) {
            s->duplicate = true;
            free(old);
        }
        s->records++;
    }
    if (page->index == s->wait_page && !page->done) {
        next_request_sent(s->c, s->wait_ms);
        s->exit_calls = api_calls_of(s->c);
    }
    s->pages++;
    return 0;
}

static int query_pages(struct sf_client *c, bool ahead, struct seen *s,
                       struct err *err)
{
    static const char soql[] =
        "SELECT Id, LastName FROM Contact ORDER BY Id";
    struct sf_query_options opts = {.batch_size = 500};

    if (ahead)
        return sf_query_run_ahead(c, soql, &opts, collect_page, s, err);
    return sf_query_run(c, soql, &opts, collect_page, s, err);
}

TEST(query_ahead_matches_plain_run)
{
    static const char *const args[] = {"--generate", "contacts=2300", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct seen plain, ahead;
    struct err err;
    uint64_t before;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url);
    CHECK_INT(sf_client_connect(c, &err), 0);
    seen_init(&plain, c, SIZE_MAX, 0);
    seen_init(&ahead, c, SIZE_MAX, 0);
    CHECK_INT(query_pages(c, false, &plain, &err), 0);
    before = api_calls_of(c);
    CHECK_INT(query_pages(c, true, &ahead, &err), 0);
    CHECK_INT(ahead.pages, 5);
    CHECK_INT(ahead.pages, plain.pages);
    CHECK_INT(ahead.records, 2300);
    CHECK_INT(ahead.ids.count, 2300);
    CHECK(!ahead.duplicate);
    CHECK(!ahead.bad_index);
    for (size_t i = 0; i < ahead.pages; i++)
        CHECK_STR(ahead.first_ids[i], plain.first_ids[i]);
    CHECK_INT(api_calls_of(c) - before, ahead.pages);
    seen_release(&plain);
    seen_release(&ahead);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(query_ahead_requests_during_callback)
{
    static const char *const args[] = {"--generate", "contacts=2300", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct seen first, second;
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url);
    CHECK_INT(sf_client_connect(c, &err), 0);
    /* The first page is applied before the next is requested, so that a
     * callback that stops after it costs no request. */
    seen_init(&first, c, 0, NO_REQUEST_WAIT_MS);
    CHECK_INT(query_pages(c, true, &first, &err), 0);
    CHECK(!overlapped(&first, 0));
    seen_init(&second, c, 1, NEXT_REQUEST_WAIT_MS);
    CHECK_INT(query_pages(c, true, &second, &err), 0);
    CHECK(overlapped(&second, 0));
    CHECK_INT(second.records, 2300);
    seen_release(&first);
    seen_release(&second);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(query_ahead_renews_in_caller)
{
    /* Each token works for 3 API calls, so pages fetched ahead get 401. */
    static const char *const args[] = {"--generate", "contacts=2300",
                                       "--fault", "expire-after=3", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct seen s;
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url);
    CHECK_INT(sf_client_connect(c, &err), 0);
    seen_init(&s, c, SIZE_MAX, 0);
    sf_auth_set_callback(sf_client_auth(c), on_token, &s);
    err_clear(&err);
    CHECK_INT(query_pages(c, true, &s, &err), 0);
    if (err.code)
        fprintf(stderr, "query: %s\n", err.msg);
    CHECK_INT(s.records, 2300);
    CHECK_INT(s.ids.count, 2300);
    CHECK(s.renewals >= 1);
    CHECK_INT(s.foreign_renewals, 0);
    seen_release(&s);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

static int bulk_pages(struct sf_client *c, bool ahead, struct seen *s,
                      struct sf_bulk_result *res, struct err *err)
{
    struct sf_bulk_options opts = {
        .poll_first_ms = 20,
        .poll_max_ms = 100,
        .max_records = 500,
        .read_ahead = ahead,
    };

    return sf_bulk_query_pages(c, "SELECT Id, LastName FROM Contact", &opts,
                               -1, collect_page, s, res, err);
}

TEST(bulk_ahead_matches_plain_read)
{
    static const char *const args[] = {"--generate", "contacts=2300", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct seen plain, ahead;
    struct sf_bulk_result res;
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url);
    CHECK_INT(sf_client_connect(c, &err), 0);
    seen_init(&plain, c, SIZE_MAX, 0);
    seen_init(&ahead, c, SIZE_MAX, 0);
    CHECK_INT(bulk_pages(c, false, &plain, &res, &err), 0);
    CHECK_INT(bulk_pages(c, true, &ahead, &res, &err), 0);
    CHECK_INT(ahead.pages, 5);
    CHECK_INT(ahead.pages, plain.pages);
    CHECK_INT(ahead.records, 2300);
    CHECK_INT(ahead.ids.count, 2300);
    CHECK(!ahead.duplicate);
    CHECK(!ahead.bad_index);
    CHECK_INT(res.rows, 2300);
    CHECK_INT(res.pages, 5);
    CHECK(!res.stopped);
    seen_release(&plain);
    seen_release(&ahead);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(bulk_ahead_reads_during_callback)
{
    static const char *const args[] = {"--generate", "contacts=2300", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct seen s;
    struct sf_bulk_result res;
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url);
    CHECK_INT(sf_client_connect(c, &err), 0);
    seen_init(&s, c, 0, NEXT_REQUEST_WAIT_MS);
    CHECK_INT(bulk_pages(c, true, &s, &res, &err), 0);
    /* One call creates the job, then come its polls. */
    CHECK(overlapped(&s, 1 + (uint64_t)res.polls));
    CHECK_INT(s.records, 2300);
    seen_release(&s);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(bulk_ahead_renews_in_caller)
{
    /* Each token works for 4 API calls, which the job's creation, its
     * polls and the first results pages use up, so the reading thread
     * meets a 401. */
    static const char *const args[] = {"--generate", "contacts=2300",
                                       "--fault", "expire-after=4", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct seen s;
    struct sf_bulk_result res;
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url);
    CHECK_INT(sf_client_connect(c, &err), 0);
    seen_init(&s, c, SIZE_MAX, 0);
    sf_auth_set_callback(sf_client_auth(c), on_token, &s);
    err_clear(&err);
    CHECK_INT(bulk_pages(c, true, &s, &res, &err), 0);
    if (err.code)
        fprintf(stderr, "bulk query: %s\n", err.msg);
    CHECK_INT(s.records, 2300);
    CHECK_INT(s.ids.count, 2300);
    CHECK(s.renewals >= 1);
    CHECK_INT(s.foreign_renewals, 0);
    seen_release(&s);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST_MAIN(TEST_ENTRY(query_ahead_matches_plain_run),
          TEST_ENTRY(query_ahead_requests_during_callback),
          TEST_ENTRY(query_ahead_renews_in_caller),
          TEST_ENTRY(bulk_ahead_matches_plain_read),
          TEST_ENTRY(bulk_ahead_reads_during_callback),
          TEST_ENTRY(bulk_ahead_renews_in_caller))
