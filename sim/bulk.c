/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Bulk API 2.0 query jobs: create, poll, abort, delete and list jobs under
 * /jobs/query, and serve their results as CSV pages behind Sforce-Locator.
 * The SOQL engine (soql_*.c) parses and runs the query; this file keeps the
 * jobs, their state machine and the CSV rendering. Ingest jobs are not
 * served. The simulator-only switch PUT /sim/bulk-faults also lives here.
 */
#include "base/common.h"

#include <ctype.h>
#include <math.h>
#include <strings.h>

#include "base/datetime.h"
#include "sim.h"
#include "soql.h"

#define JOBS "/services/data/{version}/jobs/query"

/*
 * Simulated processing time: a job stays InProgress for at least one poll
 * and until this long after its creation, so that clients see every state.
 * 1,000,000 rows take one second.
 */
#define ROWS_PER_MS 1000

/* Caps on what jobs hold; the oldest jobs are deleted beyond them. */
#define MAX_JOBS 1000
#define MAX_ROWS ((size_t)16 * 1000 * 1000)

enum job_state {
    STATE_UPLOAD_COMPLETE,
    STATE_IN_PROGRESS,
    STATE_JOB_COMPLETE,
    STATE_FAILED,
    STATE_ABORTED
};

/* The only states a query job takes: jsforce 3.10 polls in a tight loop
 * on any other name. */
static const char *const state_names[] = {"UploadComplete", "InProgress",
                                          "JobComplete", "Failed", "Aborted"};

struct delimiter {
    const char *name;
    char c;
};

static const struct delimiter delimiters[] = {
    {"COMMA", ','}, {"TAB", '\t'},  {"SEMICOLON", ';'},
    {"PIPE", '|'},  {"CARET", '^'}, {"BACKQUOTE", '`'},
};

struct bulk_job {
    char id[19];
    bool all; /* queryAll */
    struct soql_query *query;
    const struct sim_object *obj;
    char (*ids)[19]; /* the matching records at creation, in result order */
    size_t total;
    char created_by[19];
    char version[8];
    int64_t created_ms, modstamp_ms, started_ms, ready_ms;
    enum job_state state;
    bool fail; /* the bulk-fail fault chose this job */
    bool crlf;
    const struct delimiter *delimiter;
    uint64_t serial;
};

/* The jobs of one org. */
struct bulk_store {
    struct sim_org *org;
    struct hmap jobs; /* id -> struct bulk_job */
    uint64_t counter;
    size_t rows;      /* ids held by all jobs */
    double fail_rate; /* share of jobs that end Failed (bulk-fail) */
};

static void job_free(struct bulk_job *job)
{
    if (!job)
        return;
    soql_query_free(job->query);
    free(job->ids);
    free(job);
}

/* The jobs of the request's org, made on first use so that an org that
 * runs no Bulk query costs nothing. */
static struct bulk_store *store_of(const struct http_req *req)
{
    struct sim_org *org = sim_request_org(req);
    struct bulk_store *st = org->bulk;

    if (!st) {
        st = xcalloc(1, sizeof(*st));
        st->org = org;
        hmap_init(&st->jobs, false);
        org->bulk = st;
    }
    return st;
}

static void job_delete(struct bulk_store *st, struct bulk_job *job)
{
    hmap_remove(&st->jobs, job->id);
    st->rows -= job->total;
    job_free(job);
}

/* Delete the oldest jobs while a new job of new_rows rows would pass the
 * caps. */
static void evict_jobs(struct bulk_store *st, size_t new_rows)
{
    size_t evicted = 0;

    while (st->jobs.count > 0 &&
           (st->jobs.count >= MAX_JOBS || st->rows + new_rows > MAX_ROWS)) {
        struct bulk_job *oldest = NULL;

        for (size_t i = 0; i < st->jobs.cap; i++) {
            struct bulk_job *job = st->jobs.slots[i].value;

            if (st->jobs.slots[i].key && job &&
                (!oldest || job->serial < oldest->serial))
                oldest = job;
        }
        job_delete(st, oldest);
        evicted++;
    }
    if (evicted)
        log_info("sim", "deleted the oldest bulk query jobs", "count=%zu",
                 evicted);
}

/* The job named by a path segment, in 15 or 18 characters, or NULL. */
static struct bulk_job *find_job(struct bulk_store *st, const char *id)
{
    char id18[19];

    if (!id || sim_id_to18(id, id18) < 0)
        return NULL;
    return hmap_get(&st->jobs, id18);
}

static void reply_no_job(struct http_resp *resp)
{
    sim_reply_error(resp, 404, "NOT_FOUND",
                    "The requested resource does not exist");
}

/* ---- state ---- */

/*
 * Move a job one state on, as a poll observes it: UploadComplete becomes
 * InProgress, and InProgress ends once the processing time has passed.
 */
static void advance(struct bulk_job *job, int64_t now)
{
    if (job->state == STATE_UPLOAD_COMPLETE) {
        job->state = STATE_IN_PROGRESS;
        job->started_ms = now;
        job->modstamp_ms = now;
    } else if (job->state == STATE_IN_PROGRESS && now >= job->ready_ms) {
        job->state = job->fail ? STATE_FAILED : STATE_JOB_COMPLETE;
        job->modstamp_ms = now;
        log_info("sim", "bulk query job finished", "id=%s state=%s rows=%zu",
                 job->id, state_names[job->state], job->total);
    }
}

static bool finished(const struct bulk_job *job)
{
    return job->state == STATE_JOB_COMPLETE || job->state == STATE_FAILED ||
           job->state == STATE_ABORTED;
}

/* The job information that creating a job returns and the job list
 * holds. */
static json_t *job_json(const struct bulk_job *job)
{
    char created[DATETIME_LEN], stamp[DATETIME_LEN];

    /* Salesforce stamps jobs to the second, as it does records. */
    datetime_format_sf(job->created_ms - job->created_ms % 1000, created);
    datetime_format_sf(job->modstamp_ms - job->modstamp_ms % 1000, stamp);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f}", "id",
                     job->id, "operation", job->all ? "queryAll" : "query",
                     "object", job->obj->name, "createdById", job->created_by,
                     "createdDate", created, "systemModstamp", stamp, "state",
                     state_names[job->state], "concurrencyMode", "Parallel",
                     "contentType", "CSV", "apiVersion",
                     strtod(job->version, NULL));
}

static void add_format(json_t *o, const struct bulk_job *job)
{
    json_object_set_new(o, "lineEnding",
                        json_string(job->crlf ? "CRLF" : "LF"));
    json_object_set_new(o, "columnDelimiter",
                        json_string(job->delimiter->name));
}

/* The reply to GET /jobs/query/{id}: the job information with the
 * processing figures. */
static json_t *job_status_json(const struct bulk_job *job)
{
    json_t *o = job_json(job);
    bool complete = job->state == STATE_JOB_COMPLETE;
    int64_t spent = finished(job) && job->started_ms
                        ? job->modstamp_ms - job->started_ms
                        : 0;

    json_object_set_new(o, "jobType", json_string("V2Query"));
    add_format(o, job);
    json_object_set_new(o, "numberRecordsProcessed",
                        json_integer(complete ? (json_int_t)job->total : 0));
    json_object_set_new(o, "retries", json_integer(0));
    json_object_set_new(o, "totalProcessingTime",
                        json_integer((json_int_t)spent));
    json_object_set_new(o, "isPkChunkingSupported", json_true());
    if (job->state == STATE_FAILED)
        json_object_set_new(
            o, "errorMessage",
            json_string("InternalServerError: the query job failed because "
                        "the bulk-fail fault of sfsim is on"));
    return o;
}

/* ---- creating a job ---- */

static void reply_soql_error(struct http_resp *resp, const char *text,
                             const struct soql_error *e)
{
    char *echo = soql_error_message(text, e);
    char *message = sim_utf8_repair(echo);

    free(echo);
    /* Not sim_reply_error: its message buffer is too small for the query
     * echo of a long row. */
    http_resp_json(
        resp, 400,
        json_pack("[{s:s, s:s}]", "message", message, "errorCode", e->code));
    free(message);
}

/* A string member of the create body: NULL when absent or null, and
 * *bad set when it is present with another type. */
static const char *body_string(json_t *body, const char *key, bool *bad)
{
    json_t *v = json_object_get(body, key);

    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = true;
        return NULL;
    }
    return json_string_value(v);
}

/*
 * Read the job settings of a create body into job. Return 0, or -1 after
 * replying 400. NOTE: the code INVALIDJOB for bad settings is sfsim's
 * choice; Salesforce's replies to them are not recorded.
 */
static int read_settings(json_t *body, struct bulk_job *job,
                         struct http_resp *resp)
{
    bool bad = false;
    const char *op = body_string(body, "operation", &bad);
    const char *type = body_string(body, "contentType", &bad);
    const char *delim = body_string(body, "columnDelimiter", &bad);
    const char *ending = body_string(body, "lineEnding", &bad);

    if (bad) {
        sim_reply_error(resp, 400, "JSON_PARSER_ERROR",
                        "operation, contentType, columnDelimiter and "
                        "lineEnding must be strings");
        return -1;
    }
    if (!op ||
        (strcasecmp(op, "query") != 0 && strcasecmp(op, "queryAll") != 0)) {
        sim_reply_error(resp, 400, "INVALIDJOB",
                        "Invalid operation '%s': a query job takes query or "
                        "queryAll",
                        op ? op : "");
        return -1;
    }
    job->all = strcasecmp(op, "queryAll") == 0;
    if (type && strcasecmp(type, "CSV") != 0) {
        sim_reply_error(resp, 400, "INVALIDJOB",
                        "Invalid contentType '%s': query jobs return CSV",
                        type);
        return -1;
    }
    job->delimiter = &delimiters[0];
    for (size_t i = 0; delim && i < ARRAY_SIZE(delimiters); i++)
        if (strcasecmp(delim, delimiters[i].name) == 0)
            job->delimiter = &delimiters[i];
    if (delim && strcasecmp(delim, job->delimiter->name) != 0) {
        sim_reply_error(resp, 400, "INVALIDJOB",
                        "Invalid columnDelimiter '%s': use BACKQUOTE, CARET, "
                        "COMMA, PIPE, SEMICOLON or TAB",
                        delim);
        return -1;
    }
    if (ending && strcasecmp(ending, "LF") != 0 &&
        strcasecmp(ending, "CRLF") != 0) {
        sim_reply_error(resp, 400, "INVALIDJOB",
                        "Invalid lineEnding '%s': use LF or CRLF", ending);
        return -1;
    }
    job->crlf = ending && strcasecmp(ending, "CRLF") == 0;
    return 0;
}

/*
 * Reject what Bulk API 2.0 does not run: COUNT(), OFFSET and compound
 * address fields. Child subqueries, GROUP BY and TYPEOF never get here,
 * because the parser rejects them for every query. Return 0, or -1 after
 * replying 400.
 * NOTE: the errorCode API_ERROR for these is sfsim's choice; the codes
 * Salesforce sends for them are not recorded.
 */
static int check_bulk_query(const struct soql_query *q, struct http_resp *resp)
{
    if (soql_query_is_count(q)) {
        sim_reply_error(resp, 400, "API_ERROR",
                        "Aggregate functions such as COUNT() are not "
                        "supported by Bulk API 2.0 query jobs");
        return -1;
    }
    if (soql_query_has_offset(q)) {
        sim_reply_error(resp, 400, "API_ERROR",
                        "OFFSET is not supported by Bulk API 2.0 query jobs");
        return -1;
    }
    for (size_t i = 0; i < soql_column_count(q); i++) {
        if (soql_column_field(q, i)->type == SIM_T_ADDRESS) {
            sim_reply_error(resp, 400, "API_ERROR",
                            "Compound address field '%s' is not supported "
                            "by Bulk API 2.0 query jobs: select its parts",
                            soql_column_header(q, i));
            return -1;
        }
    }
    return 0;
}

/* Give job its id and processing time and snapshot the rows of res. */
static void fill_job(struct bulk_store *st, struct bulk_job *job,
                     const struct sim_call *call, const struct soql_result *res)
{
    int64_t now = datetime_now_ms();
    char id15[16];

    job->serial = ++st->counter;
    /* Job ids carry the key prefix 750 of AsyncApexJob. */
    snprintf(id15, sizeof(id15), "750Hn%010llu",
             (unsigned long long)(job->serial % 10000000000ULL));
    sim_id_to18(id15, job->id);
    job->obj = soql_query_object(job->query);
    job->ids = xmalloc((res->count ? res->count : 1) * sizeof(*job->ids));
    for (size_t i = 0; i < res->count; i++)
        memcpy(job->ids[i], res->records[i]->id, sizeof(job->ids[i]));
    job->total = res->count;
    memcpy(job->created_by, call->user->id, sizeof(job->created_by));
    snprintf(job->version, sizeof(job->version), "%s", call->version);
    job->created_ms = now;
    job->modstamp_ms = now;
    job->ready_ms = now + (int64_t)(res->count / ROWS_PER_MS);
    job->state = STATE_UPLOAD_COMPLETE;
    job->fail = st->fail_rate > 0 && sim_org_random(st->org) < st->fail_rate;
}

static int post_job(struct http_req *req, struct http_resp *resp, void *payload)
{
    struct bulk_store *st = store_of(req);
    struct sim_call *call = req->user_data;
    struct soql_exec_opts opts = {0};
    struct bulk_job *job = NULL;
    struct soql_result res;
    struct soql_error e;
    json_t *body = sim_request_json(req, resp), *info;
    const char *text;
    bool bad = false;

    (void)payload;
    if (!body)
        return 0;
    if (!json_is_object(body)) {
        sim_reply_error(resp, 400, "JSON_PARSER_ERROR",
                        "The request body must be a JSON object");
        goto out;
    }
    job = xcalloc(1, sizeof(*job));
    if (read_settings(body, job, resp) < 0)
        goto out;
    text = body_string(body, "query", &bad);
    if (bad) {
        sim_reply_error(resp, 400, "JSON_PARSER_ERROR",
                        "query must be a string of SOQL");
        goto out;
    }
    if (!text || !*text) {
        sim_reply_error(resp, 400, "INVALIDJOB",
                        "A query job needs the SOQL query in \"query\"");
        goto out;
    }
    if (soql_parse(st->org, text, &job->query, &e) < 0) {
        reply_soql_error(resp, text, &e);
        goto out;
    }
    if (check_bulk_query(job->query, resp) < 0)
        goto out;

    opts.include_deleted = job->all;
    soql_execute(job->query, &opts, &res);
    evict_jobs(st, res.count);
    fill_job(st, job, call, &res);
    soql_result_release(&res);
    hmap_put(&st->jobs, job->id, job);
    st->rows += job->total;
    log_info("sim", "bulk query job created", "id=%s object=%s rows=%zu all=%d",
             job->id, job->obj->name, job->total, job->all);
    info = job_json(job);
    add_format(info, job);
    http_resp_json(resp, 200, info);
    job = NULL;
out:
    job_free(job);
    json_decref(body);
    return 0;
}

/* ---- job control ---- */

static int get_job(struct http_req *req, struct http_resp *resp, void *payload)
{
    struct bulk_job *job = find_job(store_of(req), req->params[1]);

    (void)payload;
    if (!job) {
        reply_no_job(resp);
        return 0;
    }
    advance(job, datetime_now_ms());
    http_resp_json(resp, 200, job_status_json(job));
    return 0;
}

/*
 * PATCH {"state":"Aborted"}, the only change a query job takes.
 * NOTE: INVALIDJOBSTATE for other states and for a finished job follows
 * the Bulk API 2.0 error list; the exact messages are sfsim's.
 */
static int patch_job(struct http_req *req, struct http_resp *resp,
                     void *payload)
{
    struct bulk_job *job = find_job(store_of(req), req->params[1]);
    json_t *body;
    const char *state;

    (void)payload;
    if (!job) {
        reply_no_job(resp);
        return 0;
    }
    body = sim_request_json(req, resp);
    if (!body)
        return 0;
    state = json_string_value(json_object_get(body, "state"));
    if (!state || strcmp(state, "Aborted") != 0) {
        sim_reply_error(resp, 400, "INVALIDJOBSTATE",
                        "A query job can only be changed to the state "
                        "Aborted, not '%s'",
                        state ? state : "");
    } else if (finished(job)) {
        sim_reply_error(resp, 400, "INVALIDJOBSTATE",
                        "Job %s is %s already and cannot be aborted", job->id,
                        state_names[job->state]);
    } else {
        job->state = STATE_ABORTED;
        job->modstamp_ms = datetime_now_ms();
        log_info("sim", "bulk query job aborted", "id=%s", job->id);
        http_resp_json(resp, 200, job_status_json(job));
    }
    json_decref(body);
    return 0;
}

/* DELETE in any state, because jsforce deletes a job after a failed bulk
 * query. When the job was never created it sends .../jobs/query/undefined,
 * which gets the 404 of any unknown id. */
static int delete_job(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    struct bulk_store *st = store_of(req);
    struct bulk_job *job = find_job(st, req->params[1]);

    (void)payload;
    if (!job) {
        reply_no_job(resp);
        return 0;
    }
    log_info("sim", "bulk query job deleted", "id=%s", job->id);
    job_delete(st, job);
    resp->status = 204;
    return 0;
}

static int compare_serial(const void *a, const void *b)
{
    const struct bulk_job *x = *(const struct bulk_job *const *)a;
    const struct bulk_job *y = *(const struct bulk_job *const *)b;

    return x->serial < y->serial ? -1 : x->serial > y->serial;
}

/* GET /jobs/query: every job of the org in creation order, in one page
 * (MAX_JOBS keeps it small). */
static int list_jobs(struct http_req *req, struct http_resp *resp,
                     void *payload)
{
    struct bulk_store *st = store_of(req);
    struct bulk_job **jobs = xmalloc((st->jobs.count + 1) * sizeof(*jobs));
    json_t *records = json_array();
    size_t n = 0;

    (void)payload;
    for (size_t i = 0; i < st->jobs.cap; i++)
        if (st->jobs.slots[i].key && st->jobs.slots[i].value)
            jobs[n++] = st->jobs.slots[i].value;
    qsort(jobs, n, sizeof(*jobs), compare_serial);
    for (size_t i = 0; i < n; i++) {
        json_t *o = job_json(jobs[i]);

        json_object_set_new(o, "jobType", json_string("V2Query"));
        add_format(o, jobs[i]);
        json_array_append_new(records, o);
    }
    free(jobs);
    http_resp_json(resp, 200,
                   json_pack("{s:b, s:o, s:n}", "done", 1, "records", records,
                             "nextRecordsUrl"));
    return 0;
}

/* ---- results ---- */

/*
 * Locators are the base64 form of the row offset in decimal, without
 * padding ("NTAwMDA" for 50000), as Salesforce's look since API 49.0.
 * Clients must treat them as opaque.
 */
static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void encode_locator(size_t offset, char *out, size_t size)
{
    char digits[24];
    size_t n = (size_t)snprintf(digits, sizeof(digits), "%zu", offset), o = 0;

    for (size_t i = 0; i < n && o + 5 < size; i += 3) {
        uint32_t v = (uint32_t)(unsigned char)digits[i] << 16;
        size_t left = n - i;

        if (left > 1)
            v |= (uint32_t)(unsigned char)digits[i + 1] << 8;
        if (left > 2)
            v |= (unsigned char)digits[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (left > 1)
            out[o++] = b64[(v >> 6) & 63];
        if (left > 2)
            out[o++] = b64[v & 63];
    }
    out[o] = '\0';
}

/* Decode a locator into a row offset; -1 when it is not one. */
static int decode_locator(const char *s, size_t *out)
{
    char digits[24];
    size_t n = 0, len = strlen(s);
    uint32_t bits = 0;
    int nbits = 0;
    char *end;

    if (len == 0 || len > 28)
        return -1;
    for (size_t i = 0; i < len; i++) {
        const char *p = strchr(b64, s[i]);

        if (!p)
            return -1;
        bits = (bits << 6) | (uint32_t)(p - b64);
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            digits[n++] = (char)((bits >> nbits) & 0xff);
        }
    }
    digits[n] = '\0';
    if (n == 0 || !isdigit((unsigned char)digits[0]))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)digits[i]))
            return -1;
    *out = (size_t)strtoull(digits, &end, 10);
    return 0;
}

/* Append one CSV value: double-quoted with inner quotes doubled, or
 * nothing for null. */
static void put_value(struct buf *b, const char *v, size_t len)
{
    const char *quote;

    buf_putc(b, '"');
    while ((quote = memchr(v, '"', len)) != NULL) {
        size_t n = (size_t)(quote - v) + 1;

        buf_append(b, v, n);
        buf_putc(b, '"');
        v += n;
        len -= n;
    }
    buf_append(b, v, len);
    buf_putc(b, '"');
}

static void put_row_end(struct buf *b, const struct bulk_job *job)
{
    if (job->crlf)
        buf_append(b, "\r\n", 2);
    else
        buf_putc(b, '\n');
}

static void put_header(struct buf *b, const struct bulk_job *job)
{
    const struct soql_query *q = job->query;

    for (size_t i = 0; i < soql_column_count(q); i++) {
        const char *h = soql_column_header(q, i);

        if (i)
            buf_putc(b, job->delimiter->c);
        put_value(b, h, strlen(h));
    }
    put_row_end(b, job);
}

/*
 * Append the row of rec. Values are rendered as Bulk API 2.0 writes them:
 * datetimes as 2023-10-22T06:25:12.000Z, booleans as true or false, the
 * rest as stored. A null value, or any column of an empty parent lookup,
 * is an empty unquoted field, while an empty string is "". A null own
 * boolean field reads as false, as REST returns it.
 * NOTE: whether Salesforce writes null as an empty unquoted field and
 * always quotes the other values is not confirmed; the documented examples
 * quote every value.
 */
static void put_row(struct buf *b, const struct bulk_job *job,
                    const struct sim_record *rec)
{
    const struct soql_query *q = job->query;

    for (size_t i = 0; i < soql_column_count(q); i++) {
        const struct sim_field *f = soql_column_field(q, i);
        const char *v = soql_record_column(q, rec, i);
        size_t len;

        if (i)
            buf_putc(b, job->delimiter->c);
        if (!v && f->type == SIM_T_BOOLEAN &&
            !strchr(soql_column_header(q, i), '.'))
            v = "false";
        if (!v)
            continue;
        len = strlen(v);
        if (f->type == SIM_T_DATETIME && len > 5 &&
            strcmp(v + len - 5, "+0000") == 0) {
            buf_putc(b, '"');
            buf_append(b, v, len - 5);
            buf_append(b, "Z\"", 2);
            continue;
        }
        put_value(b, v, len);
    }
    put_row_end(b, job);
}

/* Read maxRecords into *out (0 when absent). Return 0, or -1 after
 * replying 400. */
static int read_max_records(const struct http_req *req, struct http_resp *resp,
                            size_t *out)
{
    const char *arg = http_req_query(req, "maxRecords");
    char *end;
    long long v;

    *out = 0;
    if (!arg)
        return 0;
    v = strtoll(arg, &end, 10);
    if (end == arg || *end || v <= 0) {
        sim_reply_error(resp, 400, "INVALID_PARAMETER_VALUE",
                        "maxRecords must be a positive integer, not '%s'", arg);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

/*
 * Check that the results of job can be read by this request and find the
 * first row of the page. Return 0, or -1 after replying.
 */
static int check_results(const struct http_req *req, struct http_resp *resp,
                         const struct bulk_job *job, size_t *offset)
{
    const struct sim_call *call = req->user_data;
    const char *locator = http_req_query(req, "locator");

    if (strcmp(call->version, job->version) != 0) {
        /* NOTE: Salesforce documents the 409 for a version other than the
         * job's; the errorCode here is sfsim's choice. */
        sim_reply_error(resp, 409, "API_VERSION_MISMATCH",
                        "Job %s was created with API version %s: read its "
                        "results with the same version",
                        job->id, job->version);
        return -1;
    }
    if (job->state != STATE_JOB_COMPLETE) {
        /* Older Salesforce documentation shows 412 JOB_NOT_COMPLETE for
         * this; sfsim keeps that status and code. */
        sim_reply_error(resp, 412, "JOB_NOT_COMPLETE",
                        "Results are available only when the job is "
                        "JobComplete; job %s is %s",
                        job->id, state_names[job->state]);
        return -1;
    }
    *offset = 0;
    if (locator && *locator &&
        (decode_locator(locator, offset) < 0 || *offset >= job->total)) {
        sim_reply_error(resp, 400, "INVALID_QUERY_LOCATOR",
                        "Invalid locator '%s' for job %s", locator, job->id);
        return -1;
    }
    return 0;
}

/*
 * GET /jobs/query/{id}/results. Without maxRecords every remaining row
 * goes in one page, because jsforce 3.10 crashes its process on a result
 * of two or more pages. With maxRecords the rows are split into pages,
 * each re-readable through its locator while the job exists.
 */
static int get_results(struct http_req *req, struct http_resp *resp,
                       void *payload)
{
    struct bulk_job *job = find_job(store_of(req), req->params[1]);
    size_t offset, max, n, count = 0;
    char next[40] = "null", number[24];

    (void)payload;
    if (!job) {
        reply_no_job(resp);
        return 0;
    }
    if (check_results(req, resp, job, &offset) < 0 ||
        read_max_records(req, resp, &max) < 0)
        return 0;
    n = job->total - offset;
    if (max && max < n) {
        n = max;
        encode_locator(offset + n, next, sizeof(next));
    }
    http_resp_text(resp, 200, "text/csv", "");
    put_header(&resp->body, job);
    for (size_t i = 0; i < n; i++) {
        const struct sim_record *rec =
            hmap_get(&job->obj->by_id, job->ids[offset + i]);

        /* A record removed from the org since the job ran is left out. */
        if (!rec)
            continue;
        put_row(&resp->body, job, rec);
        count++;
    }
    snprintf(number, sizeof(number), "%zu", count);
    http_resp_header(resp, "Sforce-NumberOfRecords", number);
    http_resp_header(resp, "Sforce-Locator", next);
    log_debug("sim", "bulk query results", "id=%s offset=%zu rows=%zu", job->id,
              offset, count);
    return 0;
}

/* ---- simulator control ---- */

static void reply_control_error(struct http_resp *resp, const char *msg)
{
    http_resp_json(resp, 400, json_pack("{s:s}", "error", msg));
}

static json_t *faults_json(const struct bulk_store *st)
{
    return json_pack("{s:f}", "bulk-fail", st->fail_rate);
}

/* Parse a rate in [0, 1] from a JSON number or a numeric string. */
static int parse_rate(json_t *v, double *out)
{
    const char *s = json_string_value(v);
    char *end;

    if (json_is_number(v)) {
        *out = json_number_value(v);
    } else if (s && *s) {
        *out = strtod(s, &end);
        if (*end)
            return -1;
    } else {
        return -1;
    }
    return isfinite(*out) && *out >= 0 && *out <= 1 ? 0 : -1;
}

/*
 * PUT /sim/bulk-faults {"bulk-fail": RATE} sets the share of new query
 * jobs (0 to 1) that end Failed with an errorMessage instead of
 * JobComplete; GET returns the setting. The fault is drawn when a job is
 * created, from the org's fault random generator.
 */
static int put_bulk_faults(struct http_req *req, struct http_resp *resp,
                           void *payload)
{
    struct bulk_store *st = store_of(req);
    size_t skip = sim_body_skip_bom(req->body, req->body_len);
    json_t *body = json_loadb(req->body + skip, req->body_len - skip, 0, NULL);
    const char *key;
    double rate = st->fail_rate;
    json_t *v;

    (void)payload;
    if (!json_is_object(body)) {
        reply_control_error(resp, "the body must be a JSON object such as "
                                  "{\"bulk-fail\": 0.5}");
        goto out;
    }
    json_object_foreach(body, key, v)
    {
        if (strcmp(key, "bulk-fail") != 0) {
            reply_control_error(resp, "unknown bulk fault: the only one is "
                                      "bulk-fail");
            goto out;
        }
        if (parse_rate(v, &rate) < 0) {
            reply_control_error(resp, "bulk-fail must be a rate from 0 to 1");
            goto out;
        }
    }
    st->fail_rate = rate;
    log_info("sim", "fault set", "name=bulk-fail value=%g", rate);
    http_resp_json(resp, 200, faults_json(st));
out:
    json_decref(body);
    return 0;
}

static int get_bulk_faults(struct http_req *req, struct http_resp *resp,
                           void *payload)
{
    (void)payload;
    http_resp_json(resp, 200, faults_json(store_of(req)));
    return 0;
}

void sim_bulk_release(struct sim_org *org)
{
    struct bulk_store *st = org->bulk;

    if (!st)
        return;
    for (size_t i = 0; i < st->jobs.cap; i++) {
        struct hmap_slot *s = &st->jobs.slots[i];

        if (s->key && s->value)
            job_free(s->value);
    }
    hmap_release(&st->jobs);
    free(st);
    org->bulk = NULL;
}

void sim_bulk_routes(struct http_router *r)
{
    http_router_add(r, "POST", JOBS, post_job, NULL);
    http_router_add(r, "GET", JOBS, list_jobs, NULL);
    http_router_add(r, "GET", JOBS "/{id}", get_job, NULL);
    http_router_add(r, "PATCH", JOBS "/{id}", patch_job, NULL);
    http_router_add(r, "DELETE", JOBS "/{id}", delete_job, NULL);
    http_router_add(r, "GET", JOBS "/{id}/results", get_results, NULL);
    http_router_add(r, "GET", "/sim/bulk-faults", get_bulk_faults, NULL);
    http_router_add(r, "PUT", "/sim/bulk-faults", put_bulk_faults, NULL);
}
