/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Integration tests of query paging, SOQL literals and sObject
 * Collections against the real sfsim, and of malformed query pages
 * against a canned server.
 */
#include "base/common.h"

#include "base/hmap.h"
#include "salesforce/sf_query.h"
#include "salesforce/sf_sobject.h"
#include "salesforce/sf_soql.h"

#include "simproc.h"
#include "test.h"

static void no_sleep(long ms, void *payload)
{
    (void)ms;
    (void)payload;
}

static struct sf_client *client_for(const char *url, const char *version)
{
    struct sf_auth_config acfg = {
        .login_url = url,
        .client_id = "sfsim-client-id",
        .client_secret = "sfsim-client-secret",
        .grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS,
    };
    struct sf_client_config ccfg = {.api_version = version};
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
struct pages {
    size_t count;
    size_t records;
    long long total;
    size_t sizes[64];
    bool bad_index;
    bool duplicate;
    struct hmap ids;
    int stop_after; /* return 1 after this many pages; 0 for never */
};

static int collect_page(const struct sf_query_page *page, void *payload,
                        struct err *err)
{
    struct pages *p = payload;
    size_t i;
    json_t *rec;

    if (page->index != p->count)
        p->bad_index = true;
    if (p->count < ARRAY_SIZE(p->sizes))
        p->sizes[p->count] = json_array_size(page->records);
    p->count++;
    p->total = page->total_size;
    json_array_foreach(page->records, i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "Id"));
        char *key = xstrdup(id ? id : "");
        char *old = hmap_put(&p->ids, key, key);

        /* The map now contains the new copy, so the old one is freed. */
        if (old) {
            p->duplicate = true;
            free(old);
        }
        p->records++;
    }
    if (p->stop_after && (int)p->count >= p->stop_after)
        return 1;
    return 0;
}

static void pages_init(struct pages *p)
{
    memset(p, 0, sizeof(*p));
    hmap_init(&p->ids, false);
}

static void pages_release(struct pages *p)
{
    for (size_t i = 0; i < p->ids.cap; i++)
        if (p->ids.slots[i].key)
            free(p->ids.slots[i].value);
    hmap_release(&p->ids);
}

static int run_contacts(struct sf_client *c, int batch, struct pages *p,
                        struct err *err)
{
    struct sf_query_options opts = {.batch_size = batch};

    return sf_query_run(c, "SELECT Id, LastName FROM Contact", &opts,
                        collect_page, p, err);
}

/* Check that p saw total records in full pages of size, then the rest. */
static void check_pages(const struct pages *p, size_t size)
{
    size_t expected = ((size_t)p->total + size - 1) / size;

    CHECK_INT(p->count, expected);
    CHECK_INT(p->records, p->total);
    CHECK_INT(p->ids.count, p->total);
    CHECK(!p->duplicate);
    CHECK(!p->bad_index);
    for (size_t i = 0; i + 1 < p->count && i < ARRAY_SIZE(p->sizes); i++)
        CHECK_INT(p->sizes[i], size);
}

TEST(paging_4500_contacts_batch_2000)
{
    static const char *const args[] = {"--generate", "contacts=4500", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct pages p;
    struct err err;
    uint64_t before;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url, NULL);
    CHECK_INT(sf_client_connect(c, &err), 0);
    pages_init(&p);
    before = api_calls_of(c);
    CHECK_INT(run_contacts(c, 2000, &p, &err), 0);
    fprintf(stderr, "batch 2000: totalSize %lld in %zu pages\n", p.total,
            p.count);
    CHECK(p.total >= 4500);
    CHECK_INT(p.count, 3);
    check_pages(&p, 2000);
    CHECK_INT(api_calls_of(c) - before, p.count);
    pages_release(&p);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(paging_follows_server_page_size)
{
    static const char *const args[] = {"--generate", "contacts=4500", "--fault",
                                       "max-page-size=500", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct pages p;
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url, NULL);
    pages_init(&p);
    CHECK_INT(run_contacts(c, 2000, &p, &err), 0);
    fprintf(stderr, "max-page-size 500: totalSize %lld in %zu pages\n", p.total,
            p.count);
    CHECK(p.total >= 4500);
    check_pages(&p, 500);
    pages_release(&p);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(callback_stops_paging)
{
    static const char *const args[] = {"--generate", "contacts=900", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct pages p;
    struct err err;
    uint64_t before;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url, NULL);
    CHECK_INT(sf_client_connect(c, &err), 0);
    pages_init(&p);
    p.stop_after = 1;
    before = api_calls_of(c);
    CHECK_INT(run_contacts(c, 200, &p, &err), 0);
    CHECK_INT(p.count, 1);
    CHECK_INT(p.records, 200);
    CHECK_INT(api_calls_of(c) - before, 1);
    pages_release(&p);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

static int fail_page(const struct sf_query_page *page, void *payload,
                     struct err *err)
{
    (void)page;
    (void)payload;
    return err_set(err, SYNC_EDB, "store write failed");
}

TEST(callback_error_returned)
{
    static const char *const args[] = {"--generate", "contacts=10", NULL};
    struct simproc sp;
    struct sf_client *c;
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url, NULL);
    CHECK_INT(
        sf_query_run(c, "SELECT Id FROM Contact", NULL, fail_page, NULL, &err),
        SYNC_EDB);
    CHECK_STR(err.msg, "store write failed");
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(batch_size_checked)
{
    struct sf_client *c = client_for("http://127.0.0.1:9", "60.0");
    struct sf_query_options opts = {.batch_size = 199};
    struct pages p;
    struct err err;

    pages_init(&p);
    CHECK_INT(sf_query_run(c, "SELECT Id FROM Contact", &opts, collect_page, &p,
                           &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "batch size 199 is outside 200..2000") != NULL);
    opts.batch_size = 2001;
    CHECK_INT(sf_query_run(c, "SELECT Id FROM Contact", &opts, collect_page, &p,
                           &err),
              SYNC_EINVALID);
    CHECK_INT(p.count, 0);
    pages_release(&p);
    sf_client_free(c);
}

/* Create records of Contact with the given last names; ids to out. */
static int create_contacts(struct sf_client *c, const char *const *names,
                           size_t n, char ids[][SFID_SIZE])
{
    struct sf_sobject_results res;
    json_t *records = json_array();
    struct err err;
    int rc;

    for (size_t i = 0; i < n; i++)
        json_array_append_new(records,
                              json_pack("{s:s, s:s}", "LastName", names[i],
                                        "Title", "literal test"));
    rc = sf_sobject_create_many(c, "Contact", records, &res, &err);
    json_decref(records);
    if (rc < 0) {
        fprintf(stderr, "create: %s\n", err.msg);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        if (!res.items[i].success)
            rc = -1;
        memcpy(ids[i], res.items[i].id, SFID_SIZE);
    }
    sf_sobject_results_release(&res);
    return rc;
}

/* Run a query built by q and return the Ids it found, comma-separated. */
static const char *found_ids(struct sf_client *c, struct sf_soql *q)
{
    static char out[512];
    struct pages p;
    struct err err;
    char *soql = sf_soql_finish(q, &err);

    sf_soql_release(q);
    out[0] = '\0';
    if (!soql)
        return "BUILD ERROR";
    pages_init(&p);
    if (sf_query_run(c, soql, NULL, collect_page, &p, &err) < 0) {
        fprintf(stderr, "query %s: %s\n", soql, err.msg);
        snprintf(out, sizeof(out), "QUERY ERROR");
    } else {
        for (size_t i = 0; i < p.ids.cap; i++)
            if (p.ids.slots[i].key)
                snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
                         out[0] ? "," : "", p.ids.slots[i].key);
    }
    pages_release(&p);
    free(soql);
    return out;
}

static void start_query(struct sf_soql *q)
{
    static const char *const fields[] = {"Id", "LastName"};

    sf_soql_init(q);
    sf_soql_select(q, fields, 2);
    sf_soql_from(q, "Contact");
}

TEST(string_literals_round_trip)
{
    static const char *const names[] = {
        "O'Brien \"Bob\" back\\slash",
        "line\nbreak\ttab\rcr",
        "x' OR LastName != '",
        "100%_sure",
        "100x_sure",
        "1000sure",
    };
    char ids[ARRAY_SIZE(names)][SFID_SIZE];
    struct simproc sp;
    struct sf_client *c;
    struct sf_soql q;

    if (simproc_start(&sp, NULL) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url, NULL);
    CHECK_INT(create_contacts(c, names, ARRAY_SIZE(names), ids), 0);
    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        start_query(&q);
        sf_soql_where_string(&q, "LastName", "=", names[i]);
        CHECK_STR(found_ids(c, &q), ids[i]);
    }

    /* _ and % in the text match only themselves. */
    start_query(&q);
    sf_soql_where_like(&q, "LastName", "100%_", SF_SOQL_LIKE_PREFIX);
    CHECK_STR(found_ids(c, &q), ids[3]);
    start_query(&q);
    sf_soql_where_like(&q, "LastName", "_sure", SF_SOQL_LIKE_SUFFIX);
    sf_soql_where_string(&q, "Title", "=", "literal test");
    CHECK(strstr(found_ids(c, &q), ids[5]) == NULL);

    start_query(&q);
    sf_soql_where_in(&q, "LastName", false, names + 3, 2);
    CHECK(strstr(found_ids(c, &q), ids[3]) != NULL);
    start_query(&q);
    sf_soql_where_in(&q, "LastName", false, names + 3, 2);
    CHECK(strstr(found_ids(c, &q), ids[4]) != NULL);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(count_and_query_all)
{
    static const char *const names[] = {"Count-A", "Count-B", "Count-C"};
    char ids[3][SFID_SIZE];
    const char *del[1];
    struct sf_sobject_results res;
    struct simproc sp;
    struct sf_client *c;
    struct sf_soql q;
    long long n = -1;
    struct err err;
    char *soql;

    if (simproc_start(&sp, NULL) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url, NULL);
    CHECK_INT(create_contacts(c, names, 3, ids), 0);
    del[0] = ids[1];
    CHECK_INT(sf_sobject_delete_many(c, del, 1, &res, &err), 0);
    CHECK_INT(res.count, 1);
    CHECK(res.items[0].success);
    sf_sobject_results_release(&res);

    sf_soql_init(&q);
    sf_soql_select_count(&q);
    sf_soql_from(&q, "Contact");
    sf_soql_where_like(&q, "LastName", "Count-", SF_SOQL_LIKE_PREFIX);
    soql = sf_soql_finish(&q, &err);
    sf_soql_release(&q);
    CHECK_INT(sf_query_count(c, soql, false, &n, &err), 0);
    CHECK_INT(n, 2);
    CHECK_INT(sf_query_count(c, soql, true, &n, &err), 0);
    CHECK_INT(n, 3);
    free(soql);

    /* A query that returns records is not a count. */
    CHECK_INT(sf_query_count(c, "SELECT Id FROM Contact", false, &n, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "count query returned records") != NULL);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(malformed_query_error)
{
    struct simproc sp;
    struct sf_client *c;
    struct pages p;
    struct err err;

    if (simproc_start(&sp, NULL) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url, NULL);
    pages_init(&p);
    CHECK_INT(sf_query_run(c, "SELECT Id FROM Nothing__x", NULL, collect_page,
                           &p, &err),
              SYNC_EINVALID);
    CHECK_INT(err.http_status, 400);
    CHECK_STR(err.sf_code, "INVALID_TYPE");
    CHECK(strstr(err.msg, "GET http://127.0.0.1:") != NULL);
    CHECK(strchr(err.msg, '\n') == NULL);
    CHECK_INT(p.count, 0);
    pages_release(&p);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(collections_per_record_results)
{
    static const char *const args[] = {
        "--custom-field", "Contact.Ext_Id__c:string:40:extid", NULL};
    static const char *const fields[] = {"LastName", "Title", NULL};
    struct sf_sobject_results res;
    struct simproc sp;
    struct sf_client *c;
    json_t *records, *rec = NULL;
    char first[SFID_SIZE], second[SFID_SIZE];
    const char *ids[3];
    struct err err;

    if (simproc_start(&sp, args) < 0) {
        CHECK(!"sfsim started");
        return;
    }
    c = client_for(sp.url, NULL);

    /* The middle record lacks the required LastName. */
    records = json_pack("[{s:s}, {s:s}, {s:s}]", "LastName", "Coll-1",
                        "FirstName", "NoLast", "LastName", "Coll-3");
    CHECK_INT(sf_sobject_create_many(c, "Contact", records, &res, &err), 0);
    json_decref(records);
    CHECK_INT(res.count, 3);
    CHECK_INT(res.failed, 1);
    CHECK(res.items[0].success);
    CHECK(!res.items[1].success);
    CHECK(res.items[2].success);
    CHECK(strncmp(res.items[0].id, "003", 3) == 0);
    CHECK_STR(res.items[1].id, "");
    CHECK_INT(res.items[1].error_count, 1);
    if (res.items[1].error_count) {
        struct sf_sobject_error *e = &res.items[1].errors[0];

        CHECK_STR(e->status_code, "REQUIRED_FIELD_MISSING");
        CHECK_INT(e->field_count, 1);
        if (e->field_count)
            CHECK_STR(e->fields[0], "LastName");
    }
    memcpy(first, res.items[0].id, SFID_SIZE);
    memcpy(second, res.items[2].id, SFID_SIZE);
    sf_sobject_results_release(&res);

    records = json_pack("[{s:s, s:s}, {s:s, s:s}]", "Id", first, "Title",
                        "Agent", "id", second, "Title", "Lead agent");
    CHECK_INT(sf_sobject_update_many(c, "Contact", records, &res, &err), 0);
    json_decref(records);
    CHECK_INT(res.failed, 0);
    sf_sobject_results_release(&res);
    CHECK_INT(sf_sobject_retrieve(c, "Contact", second, fields, &rec, &err), 0);
    CHECK_STR(json_string_value(json_object_get(rec, "Title")), "Lead agent");
    CHECK_STR(json_string_value(json_object_get(rec, "LastName")), "Coll-3");
    json_decref(rec);

    /* Upsert twice on the external id: created, then updated. */
    records =
        json_pack("[{s:s, s:s}, {s:s, s:s}]", "Ext_Id__c", "EXT-1", "LastName",
                  "Up-1", "Ext_Id__c", "EXT-2", "LastName", "Up-2");
    CHECK_INT(
        sf_sobject_upsert_many(c, "Contact", "Ext_Id__c", records, &res, &err),
        0);
    CHECK_INT(res.failed, 0);
    CHECK_INT(res.items[0].created, 1);
    CHECK_INT(res.items[1].created, 1);
    sf_sobject_results_release(&res);
    CHECK_INT(
        sf_sobject_upsert_many(c, "Contact", "Ext_Id__c", records, &res, &err),
        0);
    CHECK_INT(res.items[0].created, 0);
    CHECK_INT(res.items[1].created, 0);
    sf_sobject_results_release(&res);
    json_decref(records);

    ids[0] = first;
    ids[1] = second;
    ids[2] = "003000000000000AAA";
    CHECK_INT(sf_sobject_delete_many(c, ids, 3, &res, &err), 0);
    CHECK(res.items[0].success);
    CHECK(res.items[1].success);
    CHECK(!res.items[2].success);
    CHECK_INT(res.failed, 1);
    if (res.items[2].error_count)
        fprintf(stderr, "delete of a missing id: %s\n",
                res.items[2].errors[0].status_code);
    sf_sobject_results_release(&res);
    CHECK_INT(sf_sobject_retrieve(c, "Contact", first, NULL, &rec, &err),
              SYNC_ENOTFOUND);
    CHECK(rec == NULL);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(collections_input_checked)
{
    struct sf_client *c = client_for("http://127.0.0.1:9", "60.0");
    struct sf_sobject_results res;
    json_t *records = json_array(), *rec = NULL;
    const char *ids[] = {"not-an-id"};
    struct err err;

    CHECK_INT(sf_sobject_create_many(c, "Contact", records, &res, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "take 1 to 200 records, got 0") != NULL);
    for (int i = 0; i < 201; i++)
        json_array_append_new(records, json_pack("{s:s}", "LastName", "x"));
    CHECK_INT(sf_sobject_create_many(c, "Contact", records, &res, &err),
              SYNC_EINVALID);
    CHECK_INT(sf_sobject_create_many(c, "Contact; DROP", records, &res, &err),
              SYNC_EINVALID);
    CHECK_INT(sf_sobject_update_many(c, "Contact", records, &res, &err),
              SYNC_EINVALID);
    json_decref(records);
    records = json_pack("[{s:s}]", "Id", "003bad");
    CHECK_INT(sf_sobject_update_many(c, "Contact", records, &res, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "record 0 of 1 is not an object with a valid Id") !=
          NULL);
    json_decref(records);
    CHECK_INT(sf_sobject_delete_many(c, ids, 1, &res, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "invalid record id 'not-an-id'") != NULL);
    CHECK_INT(sf_sobject_retrieve(c, "Contact", "003/../x", NULL, &rec, &err),
              SYNC_EINVALID);
    CHECK_INT(api_calls_of(c), 0);
    sf_client_free(c);
}

/* Canned replies for the malformed-page tests, built at run time. */
static char token_reply[1024], page_reply[1024], page2_reply[1024];

static void json_reply(char *out, size_t size, const char *body)
{
    snprintf(out, size,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             strlen(body), body);
}

/* Query a canned server that replies with a token, page1 and page2. */
static int query_canned(const char *page1, const char *page2, struct pages *p,
                        struct err *err)
{
    static const struct canned_step steps[] = {{CANNED_REPLY, token_reply},
                                               {CANNED_REPLY, page_reply},
                                               {CANNED_REPLY, page2_reply}};
    struct canned_server cs;
    struct sf_client *c;
    char body[512];
    int rc;

    if (canned_bind(&cs) < 0)
        return -100;
    snprintf(body, sizeof(body),
             "{\"access_token\":\"00Dx0000000BV7z!tok\","
             "\"instance_url\":\"%s\",\"id\":\"%s/id/00Dx0000000BV7zEAG/"
             "005x00000012Q9PAAU\"}",
             cs.url, cs.url);
    json_reply(token_reply, sizeof(token_reply), body);
    json_reply(page_reply, sizeof(page_reply), page1);
    json_reply(page2_reply, sizeof(page2_reply), page2 ? page2 : "{}");
    canned_run(&cs, steps, page2 ? 3 : 2);
    c = client_for(cs.url, "60.0");
    rc = sf_query_run(c, "SELECT Id FROM Contact", NULL, collect_page, p, err);
    sf_client_free(c);
    canned_stop(&cs);
    return rc;
}

TEST(page_without_next_url_rejected)
{
    struct pages p;
    struct err err;

    pages_init(&p);
    CHECK_INT(query_canned("{\"totalSize\":5,\"done\":false,\"records\":"
                           "[{\"Id\":\"003000000000001AAA\"}]}",
                           NULL, &p, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "page 1 of query has done:false but no "
                          "nextRecordsUrl") != NULL);
    /* A page is checked whole before the callback receives it. */
    CHECK_INT(p.count, 0);
    pages_release(&p);
}

TEST(page_not_a_result_rejected)
{
    struct pages p;
    struct err err;

    pages_init(&p);
    CHECK_INT(query_canned("[{\"Id\":\"003000000000001AAA\"}]", NULL, &p, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "page 1 of query is not a query result") != NULL);
    CHECK_INT(query_canned("{\"totalSize\":\"2\",\"done\":true,"
                           "\"records\":[]}",
                           NULL, &p, &err),
              SYNC_EINVALID);
    CHECK_INT(p.count, 0);
    pages_release(&p);
}

TEST(page_repeating_next_url_rejected)
{
    static const char page[] =
        "{\"totalSize\":9,\"done\":false,"
        "\"nextRecordsUrl\":\"/services/data/v60.0/query/01gX-2\","
        "\"records\":[{\"Id\":\"003000000000001AAA\"}]}";
    struct pages p;
    struct err err;

    pages_init(&p);
    CHECK_INT(query_canned(page, page, &p, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg,
                 "page 2 of query: nextRecordsUrl "
                 "'/services/data/v60.0/query/01gX-2' repeats") != NULL);
    CHECK_INT(p.count, 2);
    pages_release(&p);
}

TEST_MAIN(TEST_ENTRY(paging_4500_contacts_batch_2000),
          TEST_ENTRY(paging_follows_server_page_size),
          TEST_ENTRY(callback_stops_paging),
          TEST_ENTRY(callback_error_returned), TEST_ENTRY(batch_size_checked),
          TEST_ENTRY(string_literals_round_trip),
          TEST_ENTRY(count_and_query_all), TEST_ENTRY(malformed_query_error),
          TEST_ENTRY(collections_per_record_results),
          TEST_ENTRY(collections_input_checked),
          TEST_ENTRY(page_without_next_url_rejected),
          TEST_ENTRY(page_not_a_result_rejected),
          TEST_ENTRY(page_repeating_next_url_rejected))
