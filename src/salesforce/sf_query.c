/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Query paging: the first page by q=, the rest by nextRecordsUrl. */
#include "base/common.h"

#include "salesforce/sf_query.h"

#include "base/buf.h"

#define DATA_PATH "/services/data/"

/* Check that doc is a query result page and fill page and *next_url. */
static int check_page(json_t *doc, const char *resource, size_t index,
                      struct sf_query_page *page, const char **next_url,
                      struct err *err)
{
    json_t *total = json_object_get(doc, "totalSize");
    json_t *done = json_object_get(doc, "done");
    json_t *records = json_object_get(doc, "records");
    json_t *next = json_object_get(doc, "nextRecordsUrl");

    if (!json_is_object(doc) || !json_is_integer(total) ||
        !json_is_boolean(done) || !json_is_array(records))
        return err_set(err, SYNC_EINVALID,
                       "page %zu of %s is not a query result: expected "
                       "totalSize, done and records",
                       index + 1, resource);
    page->records = records;
    page->total_size = json_integer_value(total);
    page->index = index;
    page->done = json_is_true(done);
    *next_url = NULL;
    if (page->done)
        return 0;
    *next_url = json_string_value(next);
    if (!*next_url || strncmp(*next_url, DATA_PATH, strlen(DATA_PATH)) != 0)
        return err_set(err, SYNC_EINVALID,
                       "page %zu of %s has done:false but no "
                       "nextRecordsUrl under " DATA_PATH,
                       index + 1, resource);
    return 0;
}

static int fetch(struct sf_client *c, const char *path, const char *header,
                 json_t **out, struct err *err)
{
    const char *headers[] = {header, NULL};
    struct sf_client_request req = {
        .method = "GET",
        .path = path,
        .headers = headers,
    };

    return sf_client_send(c, &req, NULL, out, err);
}

int sf_query_run(struct sf_client *c, const char *soql,
                 const struct sf_query_options *opts, sf_query_page_fn fn,
                 void *payload, struct err *err)
{
    int batch =
        opts && opts->batch_size ? opts->batch_size : SF_QUERY_BATCH_DEFAULT;
    const char *resource = opts && opts->all ? "queryAll" : "query";
    char *path = NULL, *header = NULL;
    json_t *doc = NULL;
    struct buf b;
    int rc = 0;

    if (batch < SF_QUERY_BATCH_MIN || batch > SF_QUERY_BATCH_MAX)
        return err_set(err, SYNC_EINVALID,
                       "query batch size %d is outside %d..%d", batch,
                       SF_QUERY_BATCH_MIN, SF_QUERY_BATCH_MAX);
    if (!soql || !*soql)
        return err_set(err, SYNC_EINVALID, "query text is empty");
    buf_init(&b, 0);
    buf_printf(&b, "/%s?q=", resource);
    sf_http_url_encode(&b, soql);
    path = buf_detach(&b);
    header = xasprintf("Sforce-Query-Options: batchSize=%d", batch);

    for (size_t index = 0;; index++) {
        struct sf_query_page page;
        const char *next = NULL;

        if ((rc = fetch(c, path, header, &doc, err)) < 0)
            goto out;
        if ((rc = check_page(doc, resource, index, &page, &next, err)) < 0)
            goto out;
        rc = fn(&page, payload, err);
        if (rc != 0 || page.done) {
            rc = rc > 0 ? 0 : rc;
            goto out;
        }
        /*
         * A server that hands back a used locator would loop forever.
         * NOTE: the page count check assumes that every page before the
         * last contains a record, as sfsim's do; Salesforce is believed
         * to page the same way.
         */
        if (strcmp(next, path) == 0 || (long long)index + 1 > page.total_size) {
            rc = err_set(err, SYNC_EINVALID,
                         "page %zu of %s: nextRecordsUrl '%.80s' repeats "
                         "or goes past totalSize %lld",
                         index + 1, resource, next, page.total_size);
            goto out;
        }
        free(path);
        path = xstrdup(next);
        json_decref(doc);
        doc = NULL;
    }

out:
    json_decref(doc);
    free(header);
    free(path);
    return rc;
}

/* Page callback of sf_query_count. */
static int take_count(const struct sf_query_page *page, void *payload,
                      struct err *err)
{
    long long *out = payload;

    if (page->index == 0)
        *out = page->total_size;
    if (!page->done || json_array_size(page->records) != 0)
        return err_set(err, SYNC_EINVALID,
                       "count query returned records: use "
                       "sf_soql_select_count");
    return 0;
}

int sf_query_count(struct sf_client *c, const char *soql, bool all,
                   long long *out, struct err *err)
{
    struct sf_query_options opts = {.all = all};

    *out = 0;
    return sf_query_run(c, soql, &opts, take_count, out, err);
}
