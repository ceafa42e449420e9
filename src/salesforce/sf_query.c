/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/* Query paging: the first page by q=, the rest by nextRecordsUrl, each
 * fetched after its callback or, with sf_query_run_ahead, during it. */
#include "base/common.h"

#include "salesforce/sf_query.h"

#include <pthread.h>

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
                 unsigned flags, json_t **out, struct err *err)
{
    const char *headers[] = {header, NULL};
    struct sf_client_request req = {
        .method = "GET",
        .path = path,
        .headers = headers,
        .flags = flags,
    };

    return sf_client_send(c, &req, NULL, out, err);
}

/* The next page, requested and parsed in a second thread while the
 * callback works on the current one. */
struct page_ahead {
    struct sf_client *c;
    char *path;
    const char *header;
    pthread_t thread;
    bool started;
    json_t *doc;
    int rc;
    struct err err;
};

static void *page_ahead_main(void *arg)
{
    struct page_ahead *a = arg;

    /* The callback may use the store meanwhile, so this thread must not
     * renew the token, which writes the new one to the store. */
    err_clear(&a->err);
    a->rc = fetch(a->c, a->path, a->header, SF_CLIENT_NO_RENEW, &a->doc,
                  &a->err);
    return NULL;
}

/* Start fetching path; false when no thread could be started. */
static bool page_ahead_start(struct page_ahead *a, struct sf_client *c,
                             const char *path, const char *header)
{
    memset(a, 0, sizeof(*a));
    a->c = c;
    a->path = xstrdup(path);
    a->header = header;
    a->started =
        pthread_create(&a->thread, NULL, page_ahead_main, a) == 0;
    if (!a->started) {
        free(a->path);
        a->path = NULL;
    }
    return a->started;
}

/*
 * Wait for the page and hand it over in *out, or return its error. A 401
 * is sent again from this thread, which may renew the token.
 */
static int page_ahead_finish(struct page_ahead *a, json_t **out,
                             struct err *err)
{
    int rc;

    pthread_join(a->thread, NULL);
    a->started = false;
    rc = a->rc;
    *out = a->doc;
    if (rc == SYNC_EAUTH && a->err.http_status == 401) {
        json_decref(a->doc);
        rc = fetch(a->c, a->path, a->header, 0, out, err);
    } else if (rc < 0 && err) {
        *err = a->err;
    }
    free(a->path);
    a->path = NULL;
    return rc;
}

/* Wait for a page that is no longer wanted and drop it. */
static void page_ahead_discard(struct page_ahead *a)
{
    if (!a->started)
        return;
    pthread_join(a->thread, NULL);
    a->started = false;
    json_decref(a->doc);
    free(a->path);
    a->path = NULL;
}

static int run_pages(struct sf_client *c, const char *soql,
                     const struct sf_query_options *opts, bool ahead,
                     sf_query_page_fn fn, void *payload, struct err *err)
{
    int batch =
        opts && opts->batch_size ? opts->batch_size : SF_QUERY_BATCH_DEFAULT;
    const char *resource = opts && opts->all ? "queryAll" : "query";
    char *path = NULL, *header = NULL;
    struct page_ahead next_page = {0};
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

    if ((rc = fetch(c, path, header, 0, &doc, err)) < 0)
        goto out;
    for (size_t index = 0;; index++) {
        struct sf_query_page page;
        const char *next = NULL;
        bool next_bad;

        if ((rc = check_page(doc, resource, index, &page, &next, err)) < 0)
            goto out;
        /*
         * A server that hands back a used locator would loop forever.
         * NOTE: the page count check assumes that every page before the
         * last contains a record, as sfsim's do; Salesforce is believed
         * to page the same way.
         */
        next_bad = !page.done &&
                   (strcmp(next, path) == 0 ||
                    (long long)index + 1 > page.total_size);
        /* The first page goes to fn before the next is requested, so a
         * callback that stops after it (the pull choosing Bulk API) costs
         * no request more. */
        if (ahead && index > 0 && !page.done && !next_bad)
            page_ahead_start(&next_page, c, next, header);
        rc = fn(&page, payload, err);
        if (rc != 0 || page.done) {
            rc = rc > 0 ? 0 : rc;
            goto out;
        }
        if (next_bad) {
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
        if (next_page.started)
            rc = page_ahead_finish(&next_page, &doc, err);
        else
            rc = fetch(c, path, header, 0, &doc, err);
        if (rc < 0)
            goto out;
    }

out:
    page_ahead_discard(&next_page);
    json_decref(doc);
    free(header);
    free(path);
    return rc;
}

int sf_query_run(struct sf_client *c, const char *soql,
                 const struct sf_query_options *opts, sf_query_page_fn fn,
                 void *payload, struct err *err)
{
    return run_pages(c, soql, opts, false, fn, payload, err);
}

int sf_query_run_ahead(struct sf_client *c, const char *soql,
                       const struct sf_query_options *opts,
                       sf_query_page_fn fn, void *payload, struct err *err)
{
    return run_pages(c, soql, opts, true, fn, payload, err);
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
