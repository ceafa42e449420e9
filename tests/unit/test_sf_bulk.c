/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Integration tests of Bulk API 2.0 query jobs against the real sfsim
 * (paging, REST-shaped records, queryAll, failed and aborted jobs,
 * rejected queries), and of polling and damaged result pages against a
 * canned server.
 */
#include "base/common.h"

#include "base/hmap.h"
#include "salesforce/sf_bulk.h"
#include "salesforce/sf_query.h"
#include "salesforce/sf_sobject.h"

#include "simproc.h"
#include "test.h"

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

/* Polls every 20 ms, so that sfsim's jobs finish within a test. */
static struct sf_bulk_options fast_options(void)
{
    struct sf_bulk_options opts = {.poll_first_ms = 20, .poll_max_ms = 100};

    return opts;
}

/* What the row callback saw. */
struct rows {
    long long count;
    bool bad_index;
    bool duplicate;
    size_t last_page;
    struct hmap ids;     /* Id -> owned copy of the Id */
    long long stop_at;   /* return 1 at this index; -1 for never */
    long long fail_at;   /* return SYNC_EDB at this index; -1 for never */
    struct hmap *expect; /* Id -> REST record to compare with, or NULL */
    long long mismatches;
    long long deleted; /* records with IsDeleted true */
    struct buf text;   /* "value|value\n" per row, for small results */
};

static void rows_init(struct rows *r)
{
    memset(r, 0, sizeof(*r));
    hmap_init(&r->ids, false);
    r->stop_at = -1;
    r->fail_at = -1;
    buf_init(&r->text, 0);
}

static void rows_release(struct rows *r)
{
    for (size_t i = 0; i < r->ids.cap; i++)
        if (r->ids.slots[i].key)
            free(r->ids.slots[i].value);
    hmap_release(&r->ids);
    buf_release(&r->text);
}

/* Compare the keys of a bulk record with the REST record of the same
 * query, nested parents included; attributes are left out. */
static bool same_record(const json_t *bulk, const json_t *rest)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)bulk, key, v)
    {
        json_t *other = json_object_get(rest, key);

        if (strcmp(key, "attributes") == 0)
            continue;
        if (json_is_object(v) && json_is_object(other)) {
            if (!same_record(v, other))
                return false;
        } else if (!other || !json_equal(v, other)) {
            fprintf(stderr, "key %s differs\n", key);
            return false;
        }
    }
    return true;
}

static int collect_row(const struct sf_bulk_row *row, void *payload,
                       struct err *err)
{
    struct rows *r = payload;
    const char *id = NULL;

    if (row->index != r->count)
        r->bad_index = true;
    r->count++;
    r->last_page = row->page;
    if (row->index == r->fail_at)
        return err_set(err, SYNC_EDB, "store refused row %lld", row->index);
    for (size_t i = 0; i < row->count; i++) {
        if (strcmp(row->headers[i], "Id") == 0)
            id = row->values[i];
        if (r->text.len < 4096) {
            buf_puts(&r->text, i ? "|" : "");
            buf_puts(&r->text, row->values[i] ? row->values[i] : "<null>");
        }
    }
    if (r->text.len < 4096)
        buf_putc(&r->text, '\n');
    if (id) {
        char *key = xstrdup(id);
        char *old = hmap_put(&r->ids, key, key);

        if (old) {
            r->duplicate = true;
            free(old);
        }
    }
    if (row->record && json_is_true(json_object_get(row->record, "IsDeleted")))
        r->deleted++;
    if (row->record && r->expect) {
        json_t *rest = hmap_get(r->expect, id ? id : "");

        if (!rest || !same_record(row->record, rest))
            r->mismatches++;
    }
    return row->index == r->stop_at ? 1 : 0;
}

static int start_sim(struct simproc *sp, const char *generate)
{
    const char *const args[] = {"--generate", generate, NULL};

    if (simproc_start(sp, args) < 0) {
        CHECK(!"sfsim started");
        return -1;
    }
    return 0;
}

TEST(bulk_pages_cover_every_contact)
{
    struct sf_bulk_options opts = fast_options();
    struct sf_bulk_result res;
    struct sf_bulk_job job;
    struct simproc sp;
    struct sf_client *c;
    struct rows r;
    struct err err;
    long long total = 0;
    uint64_t before;

    if (start_sim(&sp, "contacts=2500,accounts=20") < 0)
        return;
    c = client_for(sp.url);
    CHECK_INT(
        sf_query_count(c, "SELECT count() FROM Contact", false, &total, &err),
        0);
    CHECK_INT(total, 2500);

    rows_init(&r);
    opts.max_records = 1000;
    before = api_calls_of(c);
    CHECK_INT(sf_bulk_query(c, "SELECT Id, LastName, Email FROM Contact", &opts,
                            collect_row, &r, &res, &err),
              0);
    CHECK_INT(res.rows, total);
    CHECK_INT(r.count, total);
    CHECK_INT(r.ids.count, total);
    CHECK_INT(res.pages, 3);
    CHECK_INT(r.last_page, 2);
    CHECK(!r.bad_index);
    CHECK(!r.duplicate);
    CHECK_INT(res.job.state, SF_BULK_JOB_COMPLETE);
    CHECK_INT(res.job.records_processed, total);
    CHECK(res.polls >= 2);
    /* Every request is an API call: create, polls, pages, delete. */
    CHECK_INT(api_calls_of(c) - before, 1 + res.polls + res.pages + 1);
    /* The job was deleted after the read. */
    CHECK_INT(sf_bulk_status(c, res.job.id, &job, &err), SYNC_ENOTFOUND);
    rows_release(&r);

    /* The default page size takes the whole result in one page. */
    rows_init(&r);
    opts.max_records = 0;
    CHECK_INT(sf_bulk_query(c, "SELECT Id FROM Contact", &opts, collect_row, &r,
                            &res, &err),
              0);
    CHECK_INT(res.pages, 1);
    CHECK_INT(r.ids.count, total);
    rows_release(&r);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

/* What the page callback of sf_bulk_query_pages saw. */
struct pages_seen {
    size_t pages;
    long long records;
    long long total;
    bool bad_index;
    bool done_early; /* a page before the last had done set */
    bool done_last;
    bool not_records; /* an entry without an Id string */
    int stop_after;   /* return 1 after this many pages; 0 for never */
};

static int count_page(const struct sf_query_page *page, void *payload,
                      struct err *err)
{
    struct pages_seen *seen = payload;
    size_t i;
    json_t *rec;

    (void)err;
    if (page->index != seen->pages)
        seen->bad_index = true;
    if (seen->done_last)
        seen->done_early = true;
    seen->done_last = page->done;
    seen->total = page->total_size;
    json_array_foreach(page->records, i, rec)
    {
        if (!json_is_string(json_object_get(rec, "Id")))
            seen->not_records = true;
    }
    seen->records += (long long)json_array_size(page->records);
    seen->pages++;
    return seen->stop_after && (int)seen->pages == seen->stop_after ? 1 : 0;
}

TEST(bulk_query_pages_as_rest_pages)
{
    struct sf_bulk_options opts = fast_options();
    struct sf_bulk_result res;
    struct pages_seen seen;
    struct simproc sp;
    struct sf_client *c;
    struct err err;

    if (start_sim(&sp, "contacts=2500,accounts=20") < 0)
        return;
    c = client_for(sp.url);
    opts.max_records = 1000;
    memset(&seen, 0, sizeof(seen));
    CHECK_INT(sf_bulk_query_pages(c, "SELECT Id, LastName FROM Contact", &opts,
                                  2500, count_page, &seen, &res, &err),
              0);
    CHECK_INT(seen.pages, 3);
    CHECK_INT(seen.records, 2500);
    CHECK_INT(seen.total, 2500);
    CHECK(!seen.bad_index);
    CHECK(!seen.done_early);
    CHECK(seen.done_last);
    CHECK(!seen.not_records);
    CHECK_INT(res.rows, 2500);

    /* An empty result is one empty page with done set. */
    memset(&seen, 0, sizeof(seen));
    CHECK_INT(sf_bulk_query_pages(c,
                                  "SELECT Id FROM Contact WHERE LastName = "
                                  "'nobody by this name'",
                                  &opts, 0, count_page, &seen, &res, &err),
              0);
    CHECK_INT(seen.pages, 1);
    CHECK_INT(seen.records, 0);
    CHECK(seen.done_last);

    /* A callback that stops ends the read after its page. */
    memset(&seen, 0, sizeof(seen));
    seen.stop_after = 1;
    CHECK_INT(sf_bulk_query_pages(c, "SELECT Id FROM Contact", &opts, 2500,
                                  count_page, &seen, &res, &err),
              0);
    CHECK_INT(seen.pages, 1);
    CHECK_INT(seen.records, 1000);
    CHECK(res.stopped);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

/* Load the REST records of soql by Id into map. */
static int page_into_map(const struct sf_query_page *page, void *payload,
                         struct err *err)
{
    struct hmap *map = payload;
    size_t i;
    json_t *rec;

    (void)err;
    json_array_foreach(page->records, i, rec)
    {
        json_incref(rec);
        hmap_put(map, json_string_value(json_object_get(rec, "Id")), rec);
    }
    return 0;
}

static void release_map(struct hmap *map)
{
    for (size_t i = 0; i < map->cap; i++)
        if (map->slots[i].key)
            json_decref(map->slots[i].value);
    hmap_release(map);
}

TEST(bulk_records_match_rest)
{
    static const char soql[] = "SELECT Id, FirstName, LastName, Email, "
                               "DoNotCall, Account.Name FROM Contact";
    static const char *const booleans[] = {"DoNotCall", NULL};
    struct sf_bulk_options opts = fast_options();
    struct sf_sobject_results created;
    struct sf_bulk_result res;
    struct hmap rest;
    struct simproc sp;
    struct sf_client *c;
    struct rows r;
    struct err err;
    json_t *recs;

    if (start_sim(&sp, "contacts=300,accounts=10") < 0)
        return;
    c = client_for(sp.url);
    /* Values that need quoting, and a contact without an account. */
    recs = json_pack("[{s:s, s:s, s:b}, {s:s, s:s}]", "FirstName", "Zoë",
                     "LastName", "O'Neil, \"Jr\"\nSecond line", "DoNotCall", 1,
                     "LastName", "日本", "Email", "nihon@example.com");
    CHECK_INT(sf_sobject_create_many(c, "Contact", recs, &created, &err), 0);
    CHECK_INT(created.failed, 0);
    json_decref(recs);

    hmap_init(&rest, false);
    CHECK_INT(sf_query_run(c, soql, NULL, page_into_map, &rest, &err), 0);
    rows_init(&r);
    r.expect = &rest;
    opts.records = true;
    opts.boolean_fields = booleans;
    opts.max_records = 100;
    CHECK_INT(sf_bulk_query(c, soql, &opts, collect_row, &r, &res, &err), 0);
    CHECK_INT(r.count, 302);
    CHECK_INT(r.count, (long long)rest.count);
    CHECK_INT(r.mismatches, 0);

    /* The record shape itself, for the contact with quoted values. */
    if (created.count == 2) {
        json_t *zoe = hmap_get(&rest, created.items[0].id);

        CHECK(zoe != NULL);
        CHECK(json_is_null(json_object_get(zoe, "Account")));
        CHECK(json_is_true(json_object_get(zoe, "DoNotCall")));
    }
    sf_sobject_results_release(&created);
    rows_release(&r);
    release_map(&rest);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

/* Collect the first record of a one-row result. */
static int keep_record(const struct sf_bulk_row *row, void *payload,
                       struct err *err)
{
    json_t **out = payload;

    (void)err;
    if (!*out)
        *out = json_incref(row->record);
    return 0;
}

TEST(bulk_record_shape)
{
    static const char *const booleans[] = {"DoNotCall", "IsDeleted", NULL};
    struct sf_bulk_options opts = fast_options();
    struct simproc sp;
    struct sf_client *c;
    struct err err;
    json_t *rec = NULL, *account;
    const char *stamp;

    if (start_sim(&sp, "contacts=20,accounts=2") < 0)
        return;
    c = client_for(sp.url);
    opts.records = true;
    opts.boolean_fields = booleans;
    CHECK_INT(sf_bulk_query(c,
                            "SELECT Id, DoNotCall, IsDeleted, CreatedDate, "
                            "Account.Name, Account.Owner.Name FROM Contact "
                            "WHERE AccountId != null LIMIT 1",
                            &opts, keep_record, &rec, NULL, &err),
              0);
    CHECK(rec != NULL);
    if (rec) {
        CHECK_STR(json_string_value(json_object_get(
                      json_object_get(rec, "attributes"), "type")),
                  "Contact");
        CHECK(json_is_false(json_object_get(rec, "DoNotCall")));
        CHECK(json_is_false(json_object_get(rec, "IsDeleted")));
        stamp = json_string_value(json_object_get(rec, "CreatedDate"));
        CHECK(stamp != NULL);
        CHECK_INT(stamp ? strlen(stamp) : 0, 24);
        CHECK(stamp && stamp[23] == 'Z');
        account = json_object_get(rec, "Account");
        CHECK(json_is_string(json_object_get(account, "Name")));
        CHECK(json_is_string(
            json_object_get(json_object_get(account, "Owner"), "Name")));
    }
    json_decref(rec);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(bulk_query_all_includes_deleted)
{
    static const char *const booleans[] = {"IsDeleted", NULL};
    static const char soql[] = "SELECT Id, IsDeleted FROM Contact";
    struct sf_bulk_options opts = fast_options();
    struct sf_sobject_results deleted;
    const char *ids[3];
    struct simproc sp;
    struct sf_client *c;
    struct rows r;
    struct err err;
    size_t n = 0;

    if (start_sim(&sp, "contacts=40") < 0)
        return;
    c = client_for(sp.url);
    rows_init(&r);
    CHECK_INT(sf_bulk_query(c, soql, &opts, collect_row, &r, NULL, &err), 0);
    CHECK_INT(r.count, 40);
    for (size_t i = 0; i < r.ids.cap && n < 3; i++)
        if (r.ids.slots[i].key)
            ids[n++] = r.ids.slots[i].key;
    CHECK_INT(sf_sobject_delete_many(c, ids, n, &deleted, &err), 0);
    CHECK_INT(deleted.failed, 0);
    sf_sobject_results_release(&deleted);
    rows_release(&r);

    rows_init(&r);
    opts.records = true;
    opts.boolean_fields = booleans;
    CHECK_INT(sf_bulk_query(c, soql, &opts, collect_row, &r, NULL, &err), 0);
    CHECK_INT(r.count, 37);
    CHECK_INT(r.deleted, 0);
    rows_release(&r);

    rows_init(&r);
    opts.all = true;
    CHECK_INT(sf_bulk_query(c, soql, &opts, collect_row, &r, NULL, &err), 0);
    CHECK_INT(r.count, 40);
    CHECK_INT(r.deleted, 3);
    rows_release(&r);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

/* PUT /sim/bulk-faults with a JSON body; 0 when sfsim returned 200. */
static int set_bulk_faults(const struct simproc *sp, const char *json)
{
    struct sim_http_reply reply;
    char url[128];

    snprintf(url, sizeof(url), "%s/sim/bulk-faults", sp->url);
    if (sim_http("PUT", url, "application/json", json, &reply) < 0)
        return -1;
    if (reply.status != 200)
        fprintf(stderr, "PUT /sim/bulk-faults %s gave %ld: %s\n", json,
                reply.status, reply.body);
    return reply.status == 200 ? 0 : -1;
}

TEST(bulk_failed_job_reports_message)
{
    struct sf_bulk_options opts = fast_options();
    struct sf_bulk_result res;
    struct sf_bulk_job job;
    struct simproc sp;
    struct sf_client *c;
    struct rows r;
    struct err err;

    if (start_sim(&sp, "contacts=10") < 0)
        return;
    c = client_for(sp.url);
    CHECK_INT(set_bulk_faults(&sp, "{\"bulk-fail\": 1}"), 0);
    rows_init(&r);
    CHECK_INT(sf_bulk_query(c, "SELECT Id FROM Contact", &opts, collect_row, &r,
                            &res, &err),
              SYNC_ETRANSIENT);
    CHECK(strstr(err.msg, "failed: InternalServerError") != NULL);
    CHECK(strstr(err.msg, res.job.id) != NULL);
    CHECK_INT(res.job.state, SF_BULK_FAILED);
    CHECK_INT(r.count, 0);
    /* The failed job was deleted. */
    CHECK_INT(sf_bulk_status(c, res.job.id, &job, &err), SYNC_ENOTFOUND);

    CHECK_INT(set_bulk_faults(&sp, "{\"bulk-fail\": 0}"), 0);
    CHECK_INT(sf_bulk_query(c, "SELECT Id FROM Contact", &opts, collect_row, &r,
                            &res, &err),
              0);
    CHECK_INT(r.count, 10);
    CHECK(set_bulk_faults(&sp, "{\"bulk-fail\": 2}") < 0);
    CHECK(set_bulk_faults(&sp, "{\"bulk-flail\": 1}") < 0);
    rows_release(&r);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(bulk_abort_and_delete)
{
    struct sf_bulk_options opts = fast_options();
    struct sf_bulk_job job, aborted, again;
    struct sf_bulk_result res = {0};
    struct simproc sp;
    struct sf_client *c;
    struct rows r;
    struct err err;

    if (start_sim(&sp, "contacts=10") < 0)
        return;
    c = client_for(sp.url);
    CHECK_INT(sf_bulk_create(c, "SELECT Id FROM Contact", false, &job, &err),
              0);
    CHECK_INT(job.state, SF_BULK_UPLOAD_COMPLETE);
    CHECK(strncmp(job.id, "750", 3) == 0);
    CHECK_STR(job.object, "Contact");
    CHECK_INT(sf_bulk_abort(c, job.id, &aborted, &err), 0);
    CHECK_INT(aborted.state, SF_BULK_ABORTED);
    CHECK_STR(aborted.state_name, "Aborted");

    CHECK_INT(sf_bulk_wait(c, &job, &opts, &res, &err), SYNC_ECONFLICT);
    CHECK(strstr(err.msg, "was aborted") != NULL);
    CHECK_INT(res.polls, 1);
    CHECK_INT(sf_bulk_abort(c, job.id, &again, &err), SYNC_EINVALID);
    CHECK_STR(err.sf_code, "INVALIDJOBSTATE");

    /* The results of an aborted job are refused. */
    rows_init(&r);
    CHECK_INT(sf_bulk_read(c, &job, &opts, collect_row, &r, NULL, &err),
              SYNC_ECONFLICT);
    CHECK_INT(err.http_status, 412);
    CHECK_STR(err.sf_code, "JOB_NOT_COMPLETE");
    CHECK_INT(r.count, 0);
    rows_release(&r);

    CHECK_INT(sf_bulk_delete(c, job.id, &err), 0);
    CHECK_INT(sf_bulk_delete(c, job.id, &err), SYNC_ENOTFOUND);
    CHECK_INT(sf_bulk_status(c, job.id, &job, &err), SYNC_ENOTFOUND);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(bulk_polling_states)
{
    struct sf_bulk_options opts = fast_options();
    struct sf_bulk_result res = {0};
    struct sf_bulk_job job, seen;
    struct simproc sp;
    struct sf_client *c;
    struct rows r;
    struct err err;

    if (start_sim(&sp, "contacts=10") < 0)
        return;
    c = client_for(sp.url);
    CHECK_INT(sf_bulk_create(c, "SELECT Id FROM Contact", false, &job, &err),
              0);
    CHECK_STR(job.state_name, "UploadComplete");
    /* Results are refused before the job is complete. */
    rows_init(&r);
    CHECK_INT(sf_bulk_read(c, &job, &opts, collect_row, &r, NULL, &err),
              SYNC_ECONFLICT);
    CHECK_STR(err.sf_code, "JOB_NOT_COMPLETE");
    CHECK_INT(sf_bulk_status(c, job.id, &seen, &err), 0);
    CHECK_STR(seen.state_name, "InProgress");
    CHECK_INT(seen.records_processed, 0);
    CHECK_INT(sf_bulk_wait(c, &job, &opts, &res, &err), 0);
    CHECK_STR(job.state_name, "JobComplete");
    CHECK_INT(job.records_processed, 10);
    CHECK(res.polls >= 1);
    CHECK_INT(sf_bulk_read(c, &job, &opts, collect_row, &r, &res, &err), 0);
    CHECK_INT(r.count, 10);
    CHECK_INT(res.rows, 10);
    /* The results stay readable until the job is deleted. */
    CHECK_INT(sf_bulk_read(c, &job, &opts, collect_row, &r, &res, &err), 0);
    CHECK_INT(res.rows, 10);
    CHECK_INT(sf_bulk_delete(c, job.id, &err), 0);
    rows_release(&r);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(bulk_rejected_queries)
{
    static const struct {
        const char *soql;
        const char *code;
    } cases[] = {
        {"SELECT Id, Nope__c FROM Contact", "INVALID_FIELD"},
        {"SELECT Id FROM Nope", "INVALID_TYPE"},
        {"SELECT Id FROM Contact WHERE", "MALFORMED_QUERY"},
        {"SELECT COUNT() FROM Contact", "API_ERROR"},
        {"SELECT Id FROM Contact LIMIT 5 OFFSET 2", "API_ERROR"},
        {"SELECT Id, MailingAddress FROM Contact", "API_ERROR"},
        {"SELECT Id, (SELECT Id FROM Cases) FROM Account", "MALFORMED_QUERY"},
    };
    struct simproc sp;
    struct sf_client *c;
    struct rows r;
    struct err err;

    if (start_sim(&sp, "contacts=5") < 0)
        return;
    c = client_for(sp.url);
    rows_init(&r);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        int rc =
            sf_bulk_query(c, cases[i].soql, NULL, collect_row, &r, NULL, &err);

        CHECK_INT(rc, SYNC_EINVALID);
        if (strcmp(err.sf_code, cases[i].code) != 0)
            fprintf(stderr, "%s: %s\n", cases[i].soql, err.msg);
        CHECK_STR(err.sf_code, cases[i].code);
        CHECK_INT(err.http_status, 400);
    }
    CHECK_INT(r.count, 0);
    rows_release(&r);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

TEST(bulk_callback_stops_or_fails)
{
    struct sf_bulk_options opts = fast_options();
    struct sf_bulk_result res;
    struct simproc sp;
    struct sf_client *c;
    struct rows r;
    struct err err;

    if (start_sim(&sp, "contacts=500") < 0)
        return;
    c = client_for(sp.url);
    opts.max_records = 100;
    rows_init(&r);
    r.stop_at = 150;
    CHECK_INT(sf_bulk_query(c, "SELECT Id FROM Contact", &opts, collect_row, &r,
                            &res, &err),
              0);
    CHECK(res.stopped);
    CHECK_INT(r.count, 151);
    CHECK_INT(res.rows, 151);
    CHECK_INT(res.pages, 2);
    rows_release(&r);

    rows_init(&r);
    r.fail_at = 250;
    CHECK_INT(sf_bulk_query(c, "SELECT Id FROM Contact", &opts, collect_row, &r,
                            &res, &err),
              SYNC_EDB);
    CHECK_STR(err.msg, "store refused row 250");
    CHECK_INT(r.count, 251);
    rows_release(&r);
    sf_client_free(c);
    CHECK_INT(simproc_stop(&sp), 0);
}

/* ---- canned server ---- */

#define REPLY_MAX 2048
#define STEPS_MAX CANNED_MAX_REPLIES

/* A canned script built at run time: raw replies and their steps. */
struct script {
    struct canned_server cs;
    char replies[STEPS_MAX][REPLY_MAX];
    struct canned_step steps[STEPS_MAX];
    size_t n;
};

static void add_raw(struct script *s, enum canned_action action,
                    const char *raw)
{
    snprintf(s->replies[s->n], REPLY_MAX, "%s", raw);
    s->steps[s->n].action = action;
    s->steps[s->n].raw = s->replies[s->n];
    s->n++;
}

/*
 * sf_http sends a request it must not repeat (a POST or PATCH without
 * SF_HTTP_REPEATABLE) on a new connection, and the canned server serves
 * one connection at a time. So a reply followed by such a request closes
 * its connection (close set).
 */
static void add_json_then(struct script *s, int status, const char *body,
                          bool close)
{
    char raw[REPLY_MAX];

    snprintf(raw, sizeof(raw),
             "HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\n\r\n%s",
             status, strlen(body), body);
    add_raw(s, close ? CANNED_REPLY_CLOSE : CANNED_REPLY, raw);
}

static void add_json(struct script *s, int status, const char *body)
{
    add_json_then(s, status, body, false);
}

static void add_token(struct script *s)
{
    char body[512];

    snprintf(body, sizeof(body),
             "{\"access_token\":\"00Dx0000000BV7z!tok\","
             "\"instance_url\":\"%s\",\"id\":\"%s/id/00Dx0000000BV7zEAG/"
             "005x00000012Q9PAAU\"}",
             s->cs.url, s->cs.url);
    add_json_then(s, 200, body, true);
}

static void add_job(struct script *s, const char *state, const char *extra)
{
    char body[512];

    snprintf(body, sizeof(body),
             "{\"id\":\"750x0000000001AAA\",\"operation\":\"query\","
             "\"object\":\"Contact\",\"state\":\"%s\","
             "\"columnDelimiter\":\"COMMA\",\"lineEnding\":\"LF\"%s}",
             state, extra ? extra : "");
    add_json(s, 200, body);
}

/* A results page; number < 0 leaves Sforce-NumberOfRecords out and
 * locator NULL leaves Sforce-Locator out. */
static void add_page(struct script *s, const char *type, long number,
                     const char *locator, const char *csv)
{
    char raw[REPLY_MAX], count[64] = "", loc[128] = "";

    if (number >= 0)
        snprintf(count, sizeof(count), "Sforce-NumberOfRecords: %ld\r\n",
                 number);
    if (locator)
        snprintf(loc, sizeof(loc), "Sforce-Locator: %s\r\n", locator);
    snprintf(raw, sizeof(raw),
             "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n%s%s"
             "Content-Length: %zu\r\n\r\n%s",
             type, count, loc, strlen(csv), csv);
    add_raw(s, CANNED_REPLY, raw);
}

static void add_deleted(struct script *s)
{
    add_raw(s, CANNED_REPLY, "HTTP/1.1 204 No Content\r\n\r\n");
}

static int script_bind(struct script *s)
{
    memset(s, 0, sizeof(*s));
    if (canned_bind(&s->cs) < 0) {
        CHECK(!"canned server bound");
        return -1;
    }
    return 0;
}

static void script_run(struct script *s)
{
    CHECK_INT(canned_run(&s->cs, s->steps, s->n), 0);
}

/* Delays asked for by sf_bulk_wait, not slept. */
struct delays {
    long ms[32];
    size_t n;
};

static void record_delay(long ms, void *payload)
{
    struct delays *d = payload;

    if (d->n < ARRAY_SIZE(d->ms))
        d->ms[d->n] = ms;
    d->n++;
}

TEST(bulk_backoff_doubles_to_cap)
{
    struct sf_bulk_options opts = {.poll_first_ms = 10, .poll_max_ms = 40};
    struct sf_bulk_result res;
    struct delays d = {0};
    struct script s;
    struct sf_client *c;
    struct rows r;
    struct err err;

    if (script_bind(&s) < 0)
        return;
    add_token(&s);
    add_job(&s, "UploadComplete", NULL);
    add_job(&s, "UploadComplete", NULL);
    add_job(&s, "InProgress", NULL);
    add_job(&s, "Queued", NULL);
    add_job(&s, "InProgress", NULL);
    add_job(&s, "InProgress", NULL);
    add_job(&s, "JobComplete", ",\"numberRecordsProcessed\":1");
    add_page(&s, "text/csv", 1, "null", "\"Id\"\n\"003x00000000001AAA\"\n");
    add_deleted(&s);
    script_run(&s);
    c = client_for(s.cs.url);
    opts.sleep = record_delay;
    opts.sleep_payload = &d;
    rows_init(&r);
    CHECK_INT(sf_bulk_query(c, "SELECT Id FROM Contact", &opts, collect_row, &r,
                            &res, &err),
              0);
    CHECK_INT(res.polls, 6);
    CHECK_INT(d.n, 5);
    CHECK_INT(d.ms[0], 10);
    CHECK_INT(d.ms[1], 20);
    CHECK_INT(d.ms[2], 40);
    CHECK_INT(d.ms[3], 40);
    CHECK_INT(d.ms[4], 40);
    CHECK_INT(res.waited_ms, 150);
    CHECK_INT(r.count, 1);
    CHECK_INT(res.job.records_processed, 1);
    rows_release(&r);
    sf_client_free(c);
    canned_stop(&s.cs);
    CHECK_INT(s.cs.requests, 10);
    CHECK(strncmp(s.cs.last_request, "DELETE ", 7) == 0);
}

TEST(bulk_wait_times_out)
{
    struct sf_bulk_options opts = {
        .poll_first_ms = 10, .poll_max_ms = 40, .max_wait_ms = 35};
    struct sf_bulk_result res;
    struct delays d = {0};
    struct script s;
    struct sf_client *c;
    struct rows r;
    struct err err;

    if (script_bind(&s) < 0)
        return;
    add_token(&s);
    add_job(&s, "UploadComplete", NULL);
    for (int i = 0; i < 4; i++)
        add_job(&s, "InProgress", NULL);
    add_job(&s, "Aborted", NULL); /* the reply to the abort */
    add_deleted(&s);
    script_run(&s);
    c = client_for(s.cs.url);
    opts.sleep = record_delay;
    opts.sleep_payload = &d;
    rows_init(&r);
    CHECK_INT(sf_bulk_query(c, "SELECT Id FROM Contact", &opts, collect_row, &r,
                            &res, &err),
              SYNC_ETRANSIENT);
    CHECK(strstr(err.msg, "still InProgress after 35 ms") != NULL);
    CHECK_INT(res.polls, 4);
    CHECK_INT(d.n, 3);
    CHECK_INT(d.ms[2], 5);
    rows_release(&r);
    sf_client_free(c);
    canned_stop(&s.cs);
    /* The job was aborted, then deleted. */
    CHECK_INT(s.cs.requests, 8);
    CHECK(strncmp(s.cs.last_request, "DELETE ", 7) == 0);
}

TEST(bulk_failed_job_message)
{
    struct sf_bulk_options opts = {.sleep = no_sleep};
    struct script s;
    struct sf_client *c;
    struct rows r;
    struct err err;

    if (script_bind(&s) < 0)
        return;
    add_token(&s);
    add_job(&s, "UploadComplete", NULL);
    add_job(&s, "Failed", ",\"errorMessage\":\"Query timed out\"");
    add_deleted(&s);
    script_run(&s);
    c = client_for(s.cs.url);
    rows_init(&r);
    CHECK_INT(sf_bulk_query(c, "SELECT Id FROM Contact", &opts, collect_row, &r,
                            NULL, &err),
              SYNC_ETRANSIENT);
    CHECK(strstr(err.msg, "'750x0000000001AAA' failed: Query timed out") !=
          NULL);
    rows_release(&r);
    sf_client_free(c);
    canned_stop(&s.cs);
    CHECK_INT(s.cs.requests, 4);
}

/* Read the results of a job that is complete already, from a script that
 * starts with the token. */
static int read_canned(struct script *s, struct rows *r, long max_records,
                       struct sf_bulk_result *res, struct err *err)
{
    struct sf_bulk_options opts = {.max_records = max_records};
    struct sf_bulk_job job = {.id = "750x0000000001AAA",
                              .object = "Contact",
                              .state = SF_BULK_JOB_COMPLETE,
                              .delimiter = ','};
    struct sf_client *c;
    int rc;

    script_run(s);
    c = client_for(s->cs.url);
    rc = sf_bulk_read(c, &job, &opts, collect_row, r, res, err);
    sf_client_free(c);
    canned_stop(&s->cs);
    return rc;
}

TEST(bulk_pages_follow_locator)
{
    struct sf_bulk_result res;
    struct script s;
    struct rows r;
    struct err err;

    if (script_bind(&s) < 0)
        return;
    add_token(&s);
    add_page(&s, "text/csv", 2, "MTAw",
             "\"Id\",\"Name\"\n\"1\",\"a\"\n\"2\",,\n");
    add_page(&s, "text/csv; charset=UTF-8", 1, "null",
             "\xEF\xBB\xBF\"Id\",\"Name\"\r\n\"3\",\"\"\r\n");
    rows_init(&r);
    CHECK_INT(read_canned(&s, &r, 2, &res, &err), SYNC_EINVALID);
    /* "2",, has three values for two columns. */
    CHECK(strstr(err.msg, "row 2 has 3 values") != NULL);
    rows_release(&r);

    if (script_bind(&s) < 0)
        return;
    add_token(&s);
    add_page(&s, "text/csv", 2, "MTAw",
             "\"Id\",\"Name\"\n\"1\",\"a\"\n\"2\",\n");
    add_page(&s, "text/csv; charset=UTF-8", 1, "null",
             "\xEF\xBB\xBF\"Id\",\"Name\"\r\n\"3\",\"\"\r\n");
    rows_init(&r);
    CHECK_INT(read_canned(&s, &r, 2, &res, &err), 0);
    CHECK_INT(res.pages, 2);
    CHECK_INT(r.count, 3);
    CHECK_STR(r.text.data, "1|a\n2|<null>\n3|\n");
    CHECK(strstr(s.cs.last_request,
                 "/results?maxRecords=2&locator=MTAw HTTP") != NULL);
    CHECK(strcasestr(s.cs.last_request, "\r\nAccept: text/csv\r\n") != NULL);
    CHECK(strcasestr(s.cs.last_request, "application/json") == NULL);
    rows_release(&r);
}

TEST(bulk_cut_page_read_again)
{
    struct sf_bulk_result res;
    struct script s;
    struct rows r;
    struct err err;

    /* Sforce-NumberOfRecords is 3 for a page of 2 rows, then the page ends
     * inside a value, then it comes whole. Each row is delivered once. */
    if (script_bind(&s) < 0)
        return;
    add_token(&s);
    add_page(&s, "text/csv", 3, "null", "\"Id\"\n\"a\"\n\"b\"\n");
    add_page(&s, "text/csv", 3, "null", "\"Id\"\n\"a\"\n\"b\"\n\"c");
    add_page(&s, "text/csv", 3, "null", "\"Id\"\n\"a\"\n\"b\"\n\"c\"\n");
    rows_init(&r);
    CHECK_INT(read_canned(&s, &r, 0, &res, &err), 0);
    CHECK_INT(r.count, 3);
    CHECK(!r.bad_index);
    CHECK_STR(r.text.data, "a\nb\nc\n");
    CHECK_INT(s.cs.requests, 4);
    rows_release(&r);

    /* A page that stays cut fails after SF_BULK_PAGE_ATTEMPTS reads. */
    if (script_bind(&s) < 0)
        return;
    add_token(&s);
    for (int i = 0; i < SF_BULK_PAGE_ATTEMPTS; i++)
        add_page(&s, "text/csv", 2, "null", "\"Id\"\n\"a\"\n");
    rows_init(&r);
    CHECK_INT(read_canned(&s, &r, 0, &res, &err), SYNC_ETRANSIENT);
    CHECK(strstr(err.msg, "has 1 rows but Sforce-NumberOfRecords is 2") !=
          NULL);
    CHECK_INT(r.count, 1);
    rows_release(&r);
}

TEST(bulk_dropped_transfer_retried)
{
    static const char cut[] = "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n"
                              "Sforce-NumberOfRecords: 3\r\n"
                              "Sforce-Locator: null\r\n"
                              "Content-Length: 200\r\n\r\n"
                              "\"Id\"\n\"Gr\xC3\x9F\"\n\"b";
    struct sf_bulk_result res;
    struct script s;
    struct rows r;
    struct err err;

    /* The connection closes mid-body; sf_http sends the GET again and the
     * rows of the first attempt are not repeated. */
    if (script_bind(&s) < 0)
        return;
    add_token(&s);
    add_raw(&s, CANNED_REPLY_CLOSE, cut);
    add_page(&s, "text/csv", 3, "null",
             "\"Id\"\n\"Gr\xC3\x9F\"\n\"b\"\n\"c\"\n");
    rows_init(&r);
    CHECK_INT(read_canned(&s, &r, 0, &res, &err), 0);
    CHECK_INT(r.count, 3);
    CHECK_STR(r.text.data, "Gr\xC3\x9F\nb\nc\n");
    /* The token's, the cut one and the one of the second attempt. */
    CHECK_INT(s.cs.connections, 3);
    rows_release(&r);
}

/* A 200 text/csv reply whose body goes out in one chunk per piece. */
static void add_chunked(struct script *s, const char *const *pieces, size_t n)
{
    char raw[REPLY_MAX];
    size_t len;

    len = (size_t)snprintf(raw, sizeof(raw),
                           "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n"
                           "Sforce-NumberOfRecords: 2\r\n"
                           "Sforce-Locator: null\r\n"
                           "Transfer-Encoding: chunked\r\n\r\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(raw + len, sizeof(raw) - len, "%zx\r\n%s\r\n",
                                strlen(pieces[i]), pieces[i]);
    snprintf(raw + len, sizeof(raw) - len, "0\r\n\r\n");
    add_raw(s, CANNED_REPLY, raw);
}

TEST(bulk_chunked_body_split_inside_character)
{
    /* The byte-order mark, a CRLF and two characters are cut across
     * chunks. */
    static const char *const pieces[] = {
        "\xEF",       "\xBB\xBF\"Name\"\r",
        "\n\"Gr\xC3", "\x9F, x\"\r\n\"\xE6\x97",
        "\xA5\xE6",   "\x9C\xAC\"\r\n"};
    struct sf_bulk_result res;
    struct script s;
    struct rows r;
    struct err err;

    if (script_bind(&s) < 0)
        return;
    add_token(&s);
    add_chunked(&s, pieces, ARRAY_SIZE(pieces));
    rows_init(&r);
    CHECK_INT(read_canned(&s, &r, 0, &res, &err), 0);
    CHECK_INT(r.count, 2);
    CHECK_STR(r.text.data, "Gr\xC3\x9F, x\n\xE6\x97\xA5\xE6\x9C\xAC\n");
    rows_release(&r);
}

TEST(bulk_bad_pages_rejected)
{
    static const struct {
        const char *type;
        const char *locator; /* NULL for no header */
        const char *second;  /* CSV of a second page, or NULL */
        const char *message;
    } cases[] = {
        {"text/html", "null", NULL, "came as 'text/html', not text/csv"},
        {"text/csv", NULL, NULL, "has no Sforce-Locator header"},
        {"text/csv", "MTA", "\"Id\"\n\"y\"\n", "without moving on"},
        {"text/csv", "MTA", "\"Email\"\n\"y\"\n", "has column 'Email'"},
        {"text/csv", "MTA", "\"Id\",\"B\"\n\"y\",\"z\"\n", "has 2 columns"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct script s;
        struct rows r;
        struct err err;

        if (script_bind(&s) < 0)
            return;
        add_token(&s);
        add_page(&s, cases[i].type, 1, cases[i].locator, "\"Id\"\n\"x\"\n");
        if (cases[i].second)
            add_page(&s, "text/csv", 1, "MTA", cases[i].second);
        rows_init(&r);
        CHECK_INT(read_canned(&s, &r, 1, NULL, &err), SYNC_EINVALID);
        if (!strstr(err.msg, cases[i].message))
            fprintf(stderr, "case %zu: %s\n", i, err.msg);
        CHECK(strstr(err.msg, cases[i].message) != NULL);
        rows_release(&r);
    }
}

TEST(bulk_results_renew_token)
{
    struct sf_bulk_result res;
    struct script s;
    struct rows r;
    struct err err;

    if (script_bind(&s) < 0)
        return;
    add_token(&s);
    add_json(&s, 401,
             "[{\"message\":\"Session expired or invalid\","
             "\"errorCode\":\"INVALID_SESSION_ID\"}]");
    add_token(&s);
    add_page(&s, "text/csv", 1, "null", "\"Id\"\n\"x\"\n");
    rows_init(&r);
    CHECK_INT(read_canned(&s, &r, 0, &res, &err), 0);
    CHECK_INT(r.count, 1);
    CHECK_INT(s.cs.requests, 4);
    rows_release(&r);
}

TEST(bulk_invalid_job_ids_rejected)
{
    struct sf_client *c = client_for("http://127.0.0.1:9");
    struct sf_bulk_job job;
    struct err err;

    CHECK_INT(sf_bulk_status(c, "750/../x", &job, &err), SYNC_EINVALID);
    CHECK_INT(sf_bulk_delete(c, "", &err), SYNC_EINVALID);
    CHECK_INT(sf_bulk_abort(c, NULL, NULL, &err), SYNC_EINVALID);
    CHECK_INT(api_calls_of(c), 0);
    sf_client_free(c);
}

TEST_MAIN(TEST_ENTRY(bulk_pages_cover_every_contact),
          TEST_ENTRY(bulk_query_pages_as_rest_pages),
          TEST_ENTRY(bulk_records_match_rest), TEST_ENTRY(bulk_record_shape),
          TEST_ENTRY(bulk_query_all_includes_deleted),
          TEST_ENTRY(bulk_failed_job_reports_message),
          TEST_ENTRY(bulk_abort_and_delete), TEST_ENTRY(bulk_polling_states),
          TEST_ENTRY(bulk_rejected_queries),
          TEST_ENTRY(bulk_callback_stops_or_fails),
          TEST_ENTRY(bulk_backoff_doubles_to_cap),
          TEST_ENTRY(bulk_wait_times_out), TEST_ENTRY(bulk_failed_job_message),
          TEST_ENTRY(bulk_pages_follow_locator),
          TEST_ENTRY(bulk_cut_page_read_again),
          TEST_ENTRY(bulk_dropped_transfer_retried),
          TEST_ENTRY(bulk_chunked_body_split_inside_character),
          TEST_ENTRY(bulk_bad_pages_rejected),
          TEST_ENTRY(bulk_results_renew_token),
          TEST_ENTRY(bulk_invalid_job_ids_rejected))
