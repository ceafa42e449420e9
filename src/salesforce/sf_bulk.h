/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Bulk API 2.0 query jobs: create a query or queryAll job, poll it with
 * backoff until it completes, and read its CSV results page by page
 * through Sforce-Locator, parsing each page with sf_csv as the bytes
 * arrive. Only one row is kept in memory at a time, whatever the size of
 * the result.
 * Requests go through sf_client and sf_http (retries, token refresh, API
 * usage); queries are built with sf_soql.
 */
#ifndef SFSYNC_SF_BULK_H
#define SFSYNC_SF_BULK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "salesforce/sf_client.h"
#include "salesforce/sf_http.h"
#include "salesforce/sf_query.h"

/* Defaults of struct sf_bulk_options.
 * NOTE: a whole results page must arrive within sf_http's timeout_ms (120 s
 * by default), so lower max_records on a slow link. */
#define SF_BULK_DEFAULT_MAX_RECORDS 50000
#define SF_BULK_DEFAULT_POLL_FIRST_MS 200
#define SF_BULK_DEFAULT_POLL_MAX_MS 5000
#define SF_BULK_DEFAULT_MAX_WAIT_MS (30L * 60 * 1000)

/* How often one results page is read again after it arrived cut short
 * (fewer rows than Sforce-NumberOfRecords, or a value left open). */
#define SF_BULK_PAGE_ATTEMPTS 3

enum sf_bulk_state {
    SF_BULK_UPLOAD_COMPLETE,
    SF_BULK_IN_PROGRESS,
    SF_BULK_JOB_COMPLETE,
    SF_BULK_FAILED,
    SF_BULK_ABORTED,
    SF_BULK_OTHER /* a state name this client does not know */
};

/* Job information as the server reports it. */
struct sf_bulk_job {
    char id[32];
    char object[128];
    char state_name[32];
    enum sf_bulk_state state;
    bool all;                        /* operation queryAll */
    char delimiter;                  /* of the results, from columnDelimiter */
    long long records_processed;     /* numberRecordsProcessed, or -1 */
    char error_message[ERR_MSG_MAX]; /* errorMessage of a failed job */
};

struct sf_bulk_options {
    bool all;           /* queryAll: include deleted and merged records */
    long max_records;   /* rows per results page (maxRecords); 0 for the
                           default */
    long poll_first_ms; /* first delay between polls, doubled after each
                           poll; 0 for the default */
    long poll_max_ms;   /* ceiling of that delay; 0 for the default */
    long max_wait_ms;   /* most time slept waiting for the job; 0 for the
                           default */
    bool records;       /* build struct sf_bulk_row.record */
    /* Headers whose "true" and "false" become JSON booleans in the record,
     * ending with NULL, or NULL. CSV carries no types, so the caller names
     * its checkbox fields (Bulk API writes them as true or false). */
    const char *const *boolean_fields;
    bool keep_job;          /* leave the job on the server after reading it */
    /* Called with the read's payload after each results page (page 0
     * first) has been read to its end, outside the transfer, so it may
     * send requests; last is set for the final page. Return 0 to go on, a
     * positive value to stop, or a negative enum sync_rc with err filled.
     * NULL for none. */
    int (*page_end)(size_t page, bool last, void *payload, struct err *err);
    sf_http_sleep_fn sleep; /* the wait between polls; NULL for nanosleep */
    void *sleep_payload;
    /* sf_bulk_query_pages only: read the next results page in another
     * thread while fn works on the current one. fn may then read the
     * statistics of the client (sf_http_get_stats) but must send nothing
     * through it. */
    bool read_ahead;
};

/*
 * One result row, borrowed for the callback. headers, values and lengths
 * are as in struct sf_csv_row: values[i] is NULL for a null (an empty
 * unquoted CSV value) and "" for an empty string.
 *
 * record, when options.records is set, is the row in the shape REST
 * query returns, so the code that applies REST records applies it too:
 * "attributes" {"type"}, each plain column under its header, and a dotted
 * header such as "Account.Name" as {"Account": {"Name": ...}}, where the
 * whole parent is null when all its columns are null (an empty lookup).
 * Nulls are JSON null, values are strings, and the boolean_fields are JSON
 * booleans.
 */
struct sf_bulk_row {
    const char *const *headers;
    const char *const *values;
    const size_t *lengths;
    size_t count;    /* columns */
    long long index; /* 0 for the first row of the result */
    size_t page;     /* 0 for the first results page */
    json_t *record;  /* borrowed; NULL unless options.records */
};

/*
 * Called once per row, in result order, each row exactly once even when a
 * page is read again. Return 0 to go on, a positive value to stop without
 * an error, or a negative enum sync_rc after filling err to stop with it.
 */
typedef int (*sf_bulk_row_fn)(const struct sf_bulk_row *row, void *payload,
                              struct err *err);

/* Counts and outcome of a bulk query run. */
struct sf_bulk_result {
    struct sf_bulk_job job; /* as the last poll reported it */
    long long rows;         /* rows delivered */
    size_t pages;           /* results pages read */
    int polls;              /* GETs of the job's state */
    long waited_ms;         /* time slept between polls */
    bool stopped;           /* the callback stopped the read */
};

/*
 * Create a query job for soql (queryAll when all is set) with CSV, COMMA
 * and LF. Returns 0 with out filled, or a negative code from
 * sf_client_send with err filled: SYNC_EINVALID for a query Salesforce
 * rejects (MALFORMED_QUERY, INVALID_FIELD, ... in err->sf_code) or a reply
 * without a job id.
 */
int sf_bulk_create(struct sf_client *c, const char *soql, bool all,
                   struct sf_bulk_job *out, struct err *err);

/* Get the job's state into out. Returns 0, or a negative code with err
 * filled (SYNC_ENOTFOUND for an unknown job). */
int sf_bulk_status(struct sf_client *c, const char *job_id,
                   struct sf_bulk_job *out, struct err *err);

/*
 * Poll job until it is JobComplete, sleeping opts->poll_first_ms, then
 * twice as long after each poll up to opts->poll_max_ms, for at most
 * opts->max_wait_ms in all (opts NULL for the defaults). job is updated by
 * every poll, and out (NULL allowed) receives the job, polls and waited_ms.
 * Returns 0 once the job is complete. Otherwise returns a negative code
 * with err filled: SYNC_ETRANSIENT for a Failed job (with its
 * errorMessage) or when the wait ran out, SYNC_ECONFLICT for an Aborted
 * job, or a code of sf_bulk_status. A state this client does not know is
 * polled like InProgress.
 */
int sf_bulk_wait(struct sf_client *c, struct sf_bulk_job *job,
                 const struct sf_bulk_options *opts, struct sf_bulk_result *out,
                 struct err *err);

/* Abort the job (PATCH state Aborted) and fill out (NULL allowed) from the
 * reply. Returns 0, or a negative code with err filled: SYNC_EINVALID for
 * a job that has finished already. */
int sf_bulk_abort(struct sf_client *c, const char *job_id,
                  struct sf_bulk_job *out, struct err *err);

/* Delete the job and its results. Returns 0, or a negative code with err
 * filled (SYNC_ENOTFOUND for an unknown job). */
int sf_bulk_delete(struct sf_client *c, const char *job_id, struct err *err);

/*
 * Read every results page of the completed job, following Sforce-Locator
 * with opts->max_records rows per page until the locator is "null", and
 * pass each row to fn. A page that arrives cut short is read again up to
 * SF_BULK_PAGE_ATTEMPTS times, skipping the rows already delivered. out
 * (NULL allowed) receives rows, pages and stopped. Returns 0 when every
 * row was delivered or fn stopped early, fn's negative code when fn
 * failed, or a negative code with err filled: SYNC_EINVALID for a reply
 * that is not CSV, malformed CSV, pages whose headers differ, a value that
 * is not valid UTF-8 (with opts->records), a missing Sforce-Locator, or a
 * locator that does not move on; SYNC_ETRANSIENT for a page still cut
 * short after the last attempt; or a code of sf_http_send.
 */
int sf_bulk_read(struct sf_client *c, const struct sf_bulk_job *job,
                 const struct sf_bulk_options *opts, sf_bulk_row_fn fn,
                 void *payload, struct sf_bulk_result *out, struct err *err);

/*
 * Run soql as a Bulk API 2.0 query job: create it, wait for it, read every
 * row into fn, then delete the job unless opts->keep_job (a failed delete
 * is logged, not returned). opts NULL takes every default. A job that
 * fails or times out is aborted and deleted on a best-effort basis. out
 * (NULL allowed) is filled as far as the run got. Returns 0, or the
 * negative code of the step that failed with err filled.
 */
int sf_bulk_query(struct sf_client *c, const char *soql,
                  const struct sf_bulk_options *opts, sf_bulk_row_fn fn,
                  void *payload, struct sf_bulk_result *out, struct err *err);

/*
 * Run soql as sf_bulk_query does and pass the rows of each results page
 * (opts->max_records of them) to fn as one struct sf_query_page of records
 * in the shape REST query returns, as sf_query_run does, after the page
 * has been read and outside any transfer. total becomes every page's
 * total_size, and the last page has done set. opts->records and
 * opts->page_end are ignored. With opts->read_ahead, up to two pages are
 * in memory, and a token renewal that the reading thread needs runs in
 * the calling thread between two calls of fn. Rows come in the job's result order, which
 * Salesforce does not promise to follow the query's ORDER BY. Returns as
 * sf_bulk_query does.
 */
int sf_bulk_query_pages(struct sf_client *c, const char *soql,
                        const struct sf_bulk_options *opts, long long total,
                        sf_query_page_fn fn, void *payload,
                        struct sf_bulk_result *out, struct err *err);

/* The state name as the API writes it ("JobComplete"), or "unknown". */
const char *sf_bulk_state_name(enum sf_bulk_state state);

#endif
