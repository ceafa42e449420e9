/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * SOQL query paging over the REST query and queryAll resources. Each page
 * is handed to a callback and freed before the next is fetched, or, with
 * sf_query_run_ahead, while the next is fetched, so memory stays at one or
 * two pages whatever the size of the result. Queries are built with
 * sf_soql.
 */
#ifndef SFSYNC_SF_QUERY_H
#define SFSYNC_SF_QUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "salesforce/sf_client.h"

/* The batchSize range of Sforce-Query-Options; the server may send fewer
 * records per page than asked. */
#define SF_QUERY_BATCH_MIN 200
#define SF_QUERY_BATCH_MAX 2000
#define SF_QUERY_BATCH_DEFAULT 2000

struct sf_query_options {
    bool all;       /* queryAll: include deleted and merged records */
    int batch_size; /* 0 for SF_QUERY_BATCH_DEFAULT */
};

/* One page of results, borrowed for the callback. */
struct sf_query_page {
    json_t *records;      /* the page's JSON array of records */
    long long total_size; /* matches of the whole query */
    size_t index;         /* 0 for the first page */
    bool done;            /* no page follows */
};

/*
 * Called once per page, the last included (even when it is empty).
 * Return 0 to go on, a positive value to stop without an error, or a
 * negative enum sync_rc after filling err to stop with that error.
 */
typedef int (*sf_query_page_fn)(const struct sf_query_page *page, void *payload,
                                struct err *err);

/*
 * Run soql (opts NULL for query with the default batch size) and pass
 * every page to fn, following nextRecordsUrl until done. Returns 0 when
 * every page was delivered or fn stopped early, and fn's negative code when
 * fn failed. Otherwise returns a negative code with err filled:
 * SYNC_EINVALID for a batch size outside SF_QUERY_BATCH_MIN..MAX, for a
 * page that is not a query result, and for done:false without a new
 * nextRecordsUrl, or another code from sf_client_send.
 */
int sf_query_run(struct sf_client *c, const char *soql,
                 const struct sf_query_options *opts, sf_query_page_fn fn,
                 void *payload, struct err *err);

/*
 * Run soql as sf_query_run does, but request and parse each page from the
 * third on in another thread while fn works on the page before it, so
 * that up to two pages are in memory. fn may read the statistics of c
 * (sf_http_get_stats) but must send nothing through c.
 * A 401 on a page fetched ahead is sent again from the calling thread,
 * which renews the token there. A page fetched ahead of an fn that stops
 * or fails counts as an API call.
 */
int sf_query_run_ahead(struct sf_client *c, const char *soql,
                       const struct sf_query_options *opts,
                       sf_query_page_fn fn, void *payload, struct err *err);

/*
 * Run a SELECT COUNT() query (see sf_soql_select_count) and set *out to
 * its totalSize. all selects queryAll. Returns 0 or a negative code with
 * err filled.
 */
int sf_query_count(struct sf_client *c, const char *soql, bool all,
                   long long *out, struct err *err);

#endif
