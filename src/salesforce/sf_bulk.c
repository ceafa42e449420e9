/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Bulk API 2.0 query jobs over sf_client: job control as JSON through
 * sf_client_send, results as streamed CSV through sf_http with stream
 * hooks and sf_csv. The streamed requests repeat sf_client's rule for an
 * expired session (renew once, replay once), because sf_client_send only
 * returns JSON.
 */
#include "base/common.h"

#include "salesforce/sf_bulk.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "salesforce/sf_csv.h"

#define JOBS_PATH "/jobs/query"

struct delimiter {
    const char *name;
    char c;
};

static const struct delimiter delimiters[] = {
    {"COMMA", ','}, {"TAB", '\t'},  {"SEMICOLON", ';'},
    {"PIPE", '|'},  {"CARET", '^'}, {"BACKQUOTE", '`'},
};

static const char *const state_names[] = {
    [SF_BULK_UPLOAD_COMPLETE] = "UploadComplete",
    [SF_BULK_IN_PROGRESS] = "InProgress",
    [SF_BULK_JOB_COMPLETE] = "JobComplete",
    [SF_BULK_FAILED] = "Failed",
    [SF_BULK_ABORTED] = "Aborted",
};

const char *sf_bulk_state_name(enum sf_bulk_state state)
{
    if (state < SF_BULK_OTHER)
        return state_names[state];
    return "unknown";
}

static enum sf_bulk_state parse_state(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(state_names); i++)
        if (strcmp(name, state_names[i]) == 0)
            return (enum sf_bulk_state)i;
    return SF_BULK_OTHER;
}

/* Job ids go into paths unescaped, so only letters and digits pass. */
static int check_job_id(const char *id, struct err *err)
{
    size_t len = id ? strlen(id) : 0;

    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)id[i]))
            len = 0;
    if (len == 0 || len >= sizeof(((struct sf_bulk_job *)0)->id))
        return err_set(err, SYNC_EINVALID,
                       "invalid bulk job id '%.40s': expected letters and "
                       "digits such as 750...",
                       id ? id : "");
    return 0;
}

static void copy_string(char *out, size_t size, const json_t *v)
{
    const char *s = json_string_value(v);

    snprintf(out, size, "%s", s ? s : "");
}

/* Fill out from a job information reply of request. */
static int parse_job(const json_t *doc, const char *request,
                     struct sf_bulk_job *out, struct err *err)
{
    const char *id = json_string_value(json_object_get(doc, "id"));
    const char *state = json_string_value(json_object_get(doc, "state"));
    const char *op = json_string_value(json_object_get(doc, "operation"));
    const char *delim =
        json_string_value(json_object_get(doc, "columnDelimiter"));
    json_t *processed = json_object_get(doc, "numberRecordsProcessed");

    if (!id || check_job_id(id, NULL) < 0 || !state)
        return err_set(err, SYNC_EINVALID,
                       "reply to %s is not bulk job information with an id "
                       "and a state",
                       request);
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "%s", id);
    snprintf(out->state_name, sizeof(out->state_name), "%s", state);
    out->state = parse_state(state);
    copy_string(out->object, sizeof(out->object),
                json_object_get(doc, "object"));
    copy_string(out->error_message, sizeof(out->error_message),
                json_object_get(doc, "errorMessage"));
    out->all = op && strcmp(op, "queryAll") == 0;
    out->delimiter = ',';
    for (size_t i = 0; delim && i < ARRAY_SIZE(delimiters); i++)
        if (strcmp(delim, delimiters[i].name) == 0)
            out->delimiter = delimiters[i].c;
    out->records_processed =
        json_is_integer(processed) ? json_integer_value(processed) : -1;
    return 0;
}

/* Send a job-control call and parse the job information it returns. */
static int job_call(struct sf_client *c, const char *method, const char *path,
                    json_t *body, unsigned flags, struct sf_bulk_job *out,
                    struct err *err)
{
    struct sf_client_request req = {
        .method = method, .path = path, .body = body, .flags = flags};
    char request[96];
    json_t *doc = NULL;
    int rc;

    snprintf(request, sizeof(request), "%s %s", method, path);
    rc = sf_client_send(c, &req, NULL, &doc, err);
    if (rc == 0 && out)
        rc = parse_job(doc, request, out, err);
    json_decref(doc);
    return rc;
}

int sf_bulk_create(struct sf_client *c, const char *soql, bool all,
                   struct sf_bulk_job *out, struct err *err)
{
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "operation",
                  all ? "queryAll" : "query", "query", soql, "contentType",
                  "CSV", "columnDelimiter", "COMMA", "lineEnding", "LF");
    int rc;

    if (!body)
        return err_set(err, SYNC_EINVALID,
                       "bulk query is not valid UTF-8: check the SOQL text");
    rc = job_call(c, "POST", JOBS_PATH, body, 0, out, err);
    json_decref(body);
    if (rc == 0)
        log_info("salesforce", "bulk query job created",
                 "id=%s object=%s all=%d", out->id, out->object, all);
    return rc;
}

int sf_bulk_status(struct sf_client *c, const char *job_id,
                   struct sf_bulk_job *out, struct err *err)
{
    char path[64];
    int rc;

    if ((rc = check_job_id(job_id, err)) < 0)
        return rc;
    snprintf(path, sizeof(path), JOBS_PATH "/%s", job_id);
    return job_call(c, "GET", path, NULL, 0, out, err);
}

int sf_bulk_abort(struct sf_client *c, const char *job_id,
                  struct sf_bulk_job *out, struct err *err)
{
    json_t *body = json_pack("{s:s}", "state", "Aborted");
    char path[64];
    int rc;

    if ((rc = check_job_id(job_id, err)) < 0)
        goto out;
    snprintf(path, sizeof(path), JOBS_PATH "/%s", job_id);
    /* Aborting twice has the effect of aborting once. */
    rc = job_call(c, "PATCH", path, body, SF_HTTP_REPEATABLE, out, err);
out:
    json_decref(body);
    return rc;
}

int sf_bulk_delete(struct sf_client *c, const char *job_id, struct err *err)
{
    char path[64];
    int rc;

    if ((rc = check_job_id(job_id, err)) < 0)
        return rc;
    snprintf(path, sizeof(path), JOBS_PATH "/%s", job_id);
    return job_call(c, "DELETE", path, NULL, 0, NULL, err);
}

/* ---- waiting ---- */

static long or_default(long value, long fallback)
{
    return value > 0 ? value : fallback;
}

static void sleep_ms(const struct sf_bulk_options *opts, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    if (opts && opts->sleep) {
        opts->sleep(ms, opts->sleep_payload);
        return;
    }
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Return 1 while the job is still running, 0 when complete, or a negative
 * code with err filled when it ended otherwise. */
static int job_outcome(const struct sf_bulk_job *job, struct err *err)
{
    switch (job->state) {
    case SF_BULK_JOB_COMPLETE:
        return 0;
    case SF_BULK_FAILED:
        return err_set(err, SYNC_ETRANSIENT,
                       "bulk query job '%s' failed: %s: run the query again",
                       job->id,
                       job->error_message[0] ? job->error_message
                                             : "no errorMessage given");
    case SF_BULK_ABORTED:
        return err_set(err, SYNC_ECONFLICT,
                       "bulk query job '%s' was aborted: run the query again",
                       job->id);
    default:
        return 1;
    }
}

int sf_bulk_wait(struct sf_client *c, struct sf_bulk_job *job,
                 const struct sf_bulk_options *opts, struct sf_bulk_result *out,
                 struct err *err)
{
    long delay = or_default(opts ? opts->poll_first_ms : 0,
                            SF_BULK_DEFAULT_POLL_FIRST_MS);
    long cap =
        or_default(opts ? opts->poll_max_ms : 0, SF_BULK_DEFAULT_POLL_MAX_MS);
    long max_wait =
        or_default(opts ? opts->max_wait_ms : 0, SF_BULK_DEFAULT_MAX_WAIT_MS);
    long waited = 0;
    bool warned = false;
    int polls = 0, rc;

    for (;;) {
        if ((rc = sf_bulk_status(c, job->id, job, err)) < 0)
            break;
        polls++;
        if ((rc = job_outcome(job, err)) <= 0)
            break;
        if (job->state == SF_BULK_OTHER && !warned) {
            log_warn("salesforce", "bulk query job in an unknown state",
                     "id=%s state=%s", job->id, job->state_name);
            warned = true;
        }
        if (waited >= max_wait) {
            rc = err_set(err, SYNC_ETRANSIENT,
                         "bulk query job '%s' is still %s after %ld ms: "
                         "raise the wait or try again later",
                         job->id, job->state_name, waited);
            break;
        }
        if (delay > max_wait - waited)
            delay = max_wait - waited;
        sleep_ms(opts, delay);
        waited += delay;
        delay = delay > cap / 2 ? cap : delay * 2;
    }
    if (out) {
        out->job = *job;
        out->polls = polls;
        out->waited_ms = waited;
    }
    return rc;
}

/* ---- results ---- */

/* The state of one sf_bulk_read. */
struct reader {
    struct sf_client *c;
    const struct sf_bulk_job *job;
    const struct sf_bulk_options *opts;
    sf_bulk_row_fn fn;
    void *payload;
    /* Renews the token after a 401, or NULL for sf_auth_renew here. */
    int (*renew)(void *payload, struct err *err);
    struct sf_csv *csv;

    /* The header of the first page, which every page must repeat. */
    char **headers;
    size_t ncolumns;
    bool *booleans; /* per column: a boolean field */

    /* What the current attempt of the current page has seen. */
    char locator[256];
    bool have_locator;
    long long number; /* Sforce-NumberOfRecords, or -1 */
    char content_type[128];
    bool type_checked;
    long long page_seen; /* rows of this page parsed in this attempt */

    long long page_delivered; /* rows of this page given to fn so far */
    long long delivered;      /* rows given to fn in all */
    size_t page;
    bool stopped;
    bool cut; /* the page arrived cut short */

    int rc; /* an error found inside a hook, kept in err */
    struct err err;
};

static void on_start(void *payload)
{
    struct reader *r = payload;

    sf_csv_reset(r->csv);
    r->locator[0] = '\0';
    r->have_locator = false;
    r->number = -1;
    r->content_type[0] = '\0';
    r->type_checked = false;
    r->page_seen = 0;
}

static void on_header(const char *name, const char *value, void *payload)
{
    struct reader *r = payload;
    char *end;

    if (strcasecmp(name, "Sforce-Locator") == 0) {
        r->have_locator = snprintf(r->locator, sizeof(r->locator), "%s",
                                   value) < (int)sizeof(r->locator);
    } else if (strcasecmp(name, "Sforce-NumberOfRecords") == 0) {
        long long n = strtoll(value, &end, 10);

        r->number = end != value && !*end && n >= 0 ? n : -1;
    } else if (strcasecmp(name, "Content-Type") == 0) {
        snprintf(r->content_type, sizeof(r->content_type), "%s", value);
    }
}

/* A maintenance page or a proxy can reply 200 with HTML, which must not
 * reach the CSV reader. */
static int check_type(struct reader *r)
{
    if (r->type_checked)
        return 0;
    r->type_checked = true;
    if (strncasecmp(r->content_type, "text/csv", 8) == 0 &&
        (r->content_type[8] == '\0' || r->content_type[8] == ';'))
        return 0;
    return r->rc = err_set(&r->err, SYNC_EINVALID,
                           "results of bulk job '%s' came as '%.60s', not "
                           "text/csv: check the instance URL",
                           r->job->id, r->content_type);
}

static int on_body(const char *data, size_t len, void *payload)
{
    struct reader *r = payload;
    int rc;

    if (check_type(r) < 0)
        return r->rc;
    rc = sf_csv_feed(r->csv, data, len, &r->err);
    if (rc < 0)
        return r->rc = rc;
    if (sf_csv_stopped(r->csv)) {
        /* fn asked to stop: end the transfer without an error. */
        r->stopped = true;
        return SYNC_ESTOP;
    }
    return 0;
}

/* Keep the first page's header, or check that a later page has the same
 * one. */
static int check_headers(struct reader *r, const struct sf_csv_row *row,
                         struct err *err)
{
    const char *const *list = r->opts->boolean_fields;

    if (!r->headers) {
        r->ncolumns = row->count;
        r->headers = xcalloc(row->count, sizeof(*r->headers));
        r->booleans = xcalloc(row->count, sizeof(*r->booleans));
        for (size_t i = 0; i < row->count; i++) {
            r->headers[i] = xstrdup(row->headers[i]);
            for (size_t j = 0; list && list[j]; j++)
                if (strcasecmp(list[j], row->headers[i]) == 0)
                    r->booleans[i] = true;
        }
        return 0;
    }
    for (size_t i = 0; i < row->count && row->count == r->ncolumns; i++)
        if (strcmp(r->headers[i], row->headers[i]) != 0)
            return err_set(err, SYNC_EINVALID,
                           "results page %zu of bulk job '%s' has column "
                           "'%.60s' where the first page has '%.60s'",
                           r->page + 1, r->job->id, row->headers[i],
                           r->headers[i]);
    if (row->count != r->ncolumns)
        return err_set(err, SYNC_EINVALID,
                       "results page %zu of bulk job '%s' has %zu columns, "
                       "the first page %zu",
                       r->page + 1, r->job->id, row->count, r->ncolumns);
    return 0;
}

static json_t *value_json(const struct reader *r, const struct sf_csv_row *row,
                          size_t i)
{
    const char *v = row->values[i];

    if (!v)
        return json_null();
    if (r->booleans[i] && strcmp(v, "true") == 0)
        return json_true();
    if (r->booleans[i] && strcmp(v, "false") == 0)
        return json_false();
    return json_stringn(v, row->lengths[i]);
}

/* Set the value at a dotted path of record, making the parent objects on
 * the way. */
static void set_path(json_t *record, const char *path, json_t *value)
{
    json_t *node = record;
    const char *dot;

    while ((dot = strchr(path, '.')) != NULL) {
        size_t len = (size_t)(dot - path);
        json_t *next = json_object_getn(node, path, len);

        if (!json_is_object(next)) {
            next = json_object();
            json_object_setn_new(node, path, len, next);
        }
        node = next;
        path = dot + 1;
    }
    json_object_set_new(node, path, value);
}

/* Replace each parent object whose values are all null by null, as REST
 * returns an empty lookup. Return whether obj holds only nulls. */
static bool collapse_nulls(json_t *obj)
{
    bool all_null = true;
    const char *key;
    json_t *v;

    json_object_foreach(obj, key, v)
    {
        if (json_is_object(v) && strcmp(key, "attributes") != 0 &&
            collapse_nulls(v))
            json_object_set_new(obj, key, json_null());
        else if (!json_is_null(v))
            all_null = false;
    }
    return all_null;
}

static int build_record(const struct reader *r, const struct sf_csv_row *row,
                        json_t **out, struct err *err)
{
    json_t *record = json_object();
    json_t *attributes = json_object();

    if (r->job->object[0])
        json_object_set_new(attributes, "type", json_string(r->job->object));
    json_object_set_new(record, "attributes", attributes);
    for (size_t i = 0; i < row->count; i++) {
        json_t *v = value_json(r, row, i);

        if (!v) {
            json_decref(record);
            return err_set(err, SYNC_EINVALID,
                           "value of '%.60s' in row %lld of bulk job '%s' is "
                           "not valid UTF-8",
                           row->headers[i], r->delivered + 1, r->job->id);
        }
        set_path(record, row->headers[i], v);
    }
    collapse_nulls(record);
    *out = record;
    return 0;
}

static int on_row(const struct sf_csv_row *row, void *payload, struct err *err)
{
    struct reader *r = payload;
    struct sf_bulk_row out = {
        .headers = row->headers,
        .values = row->values,
        .lengths = row->lengths,
        .count = row->count,
        .index = r->delivered,
        .page = r->page,
    };
    int rc;

    if (++r->page_seen == 1 && (rc = check_headers(r, row, err)) < 0)
        return rc;
    /* A page read again repeats the rows delivered before the cut. */
    if (r->page_seen <= r->page_delivered)
        return 0;
    if (r->opts->records && (rc = build_record(r, row, &out.record, err)) < 0)
        return rc;
    err_clear(err);
    rc = r->fn(&out, r->payload, err);
    json_decref(out.record);
    r->page_delivered++;
    r->delivered++;
    if (rc < 0 && !err->code)
        err_set(err, rc, "row %lld of bulk job '%s' was rejected",
                out.index + 1, r->job->id);
    return rc;
}

/*
 * GET path as a stream into the reader, renewing an expired token once
 * as sf_client_send does.
 */
static int send_stream(struct reader *r, const char *path, struct err *err)
{
    static const char *const accept[] = {"Accept: text/csv", NULL};
    const struct sf_http_stream hooks = {on_start, on_header, on_body, r};
    struct sf_auth *auth = sf_client_auth(r->c);
    struct sf_http_response resp;
    struct err local;
    int rc;

    if ((rc = sf_client_connect(r->c, err)) < 0)
        return rc;
    err_clear(&local);
    for (int n = 0;; n++) {
        char *url = sf_client_url(r->c, path);
        struct sf_http_request req = {
            .method = "GET",
            .url = url,
            .bearer = sf_auth_token(auth)->access_token,
            .headers = accept,
            .stream = &hooks,
        };

        if (!url)
            return err_set(err, SYNC_EINVALID,
                           "no instance URL or API version for bulk results: "
                           "connect first");
        sf_http_response_init(&resp);
        rc = sf_http_send(sf_client_http(r->c), &req, &resp, &local);
        sf_http_response_release(&resp);
        free(url);
        if (rc != SYNC_EAUTH || local.http_status != 401)
            break;
        if (n == 1) {
            /* A token fresh from the server was refused, so another
             * refresh would only repeat this. */
            sf_auth_set_needs_reauth(auth, true);
            err_prefix(&local, "new access token rejected as well, "
                               "re-authorisation needed");
            break;
        }
        log_info("salesforce", "session rejected, renewing the token",
                 "request=\"GET bulk results\" id=%s", r->job->id);
        if (r->renew)
            rc = r->renew(r->payload, &local);
        else
            rc = sf_auth_renew(auth, sf_client_http(r->c), &local);
        if (rc < 0)
            break;
    }
    if (rc < 0 && err)
        *err = local;
    return rc;
}

/* Read one attempt of the page at path to its end and check it. */
static int read_page(struct reader *r, const char *path, struct err *err)
{
    int rc;

    r->cut = false;
    r->rc = 0;
    rc = send_stream(r, path, err);
    if (rc == SYNC_ESTOP && r->stopped)
        return 0;
    if (rc < 0 && r->rc < 0) {
        *err = r->err;
        return r->rc;
    }
    if (rc < 0)
        return rc;
    if (check_type(r) < 0) {
        *err = r->err;
        return r->rc;
    }
    rc = sf_csv_finish(r->csv, err);
    if (sf_csv_stopped(r->csv))
        r->stopped = true;
    if (rc == SYNC_ETRANSIENT)
        r->cut = true;
    if (rc < 0 || r->stopped)
        return rc;
    if (!r->have_locator)
        return err_set(err, SYNC_EINVALID,
                       "results page %zu of bulk job '%s' has no "
                       "Sforce-Locator header",
                       r->page + 1, r->job->id);
    if (r->number >= 0 && r->number != r->page_seen) {
        r->cut = true;
        return err_set(err, SYNC_ETRANSIENT,
                       "results page %zu of bulk job '%s' has %lld rows but "
                       "Sforce-NumberOfRecords is %lld, so the transfer was "
                       "cut",
                       r->page + 1, r->job->id, r->page_seen, r->number);
    }
    return 0;
}

static char *page_path(const struct reader *r, long max_records,
                       const char *locator)
{
    struct buf b;

    buf_init(&b, 0);
    buf_printf(&b, JOBS_PATH "/%s/results?maxRecords=%ld", r->job->id,
               max_records);
    if (locator) {
        buf_puts(&b, "&locator=");
        sf_http_url_encode(&b, locator);
    }
    return buf_detach(&b);
}

/* Read the page at locator (NULL for the first), again when it is cut. */
static int read_page_attempts(struct reader *r, long max_records,
                              const char *locator, struct err *err)
{
    char *path = page_path(r, max_records, locator);
    int rc = 0;

    r->page_delivered = 0;
    for (int attempt = 1; attempt <= SF_BULK_PAGE_ATTEMPTS; attempt++) {
        rc = read_page(r, path, err);
        if (rc == 0 || !r->cut || attempt == SF_BULK_PAGE_ATTEMPTS)
            break;
        log_warn("salesforce", "bulk results page cut short, reading it again",
                 "id=%s page=%zu attempt=%d/%d delivered=%lld", r->job->id,
                 r->page + 1, attempt, SF_BULK_PAGE_ATTEMPTS,
                 r->page_delivered);
    }
    free(path);
    return rc;
}

static void reader_release(struct reader *r)
{
    for (size_t i = 0; r->headers && i < r->ncolumns; i++)
        free(r->headers[i]);
    free(r->headers);
    free(r->booleans);
    sf_csv_free(r->csv);
}

/* sf_bulk_read with renew in place of sf_auth_renew when it is set. */
static int read_results(struct sf_client *c, const struct sf_bulk_job *job,
                        const struct sf_bulk_options *opts, sf_bulk_row_fn fn,
                        void *payload,
                        int (*renew)(void *payload, struct err *err),
                        struct sf_bulk_result *out, struct err *err)
{
    static const struct sf_bulk_options defaults = {0};
    struct sf_csv_config ccfg = {.delimiter = job->delimiter};
    struct reader r = {
        .c = c, .job = job, .fn = fn, .payload = payload, .renew = renew};
    char previous[256] = "";
    long max_records;
    int rc;

    r.opts = opts ? opts : &defaults;
    max_records =
        r.opts->max_records ? r.opts->max_records : SF_BULK_DEFAULT_MAX_RECORDS;
    if (max_records < 0)
        return err_set(err, SYNC_EINVALID,
                       "invalid max_records %ld for bulk results: use a "
                       "positive number",
                       max_records);
    if ((rc = check_job_id(job->id, err)) < 0)
        return rc;
    r.csv = sf_csv_new(&ccfg, on_row, &r);
    for (;;) {
        rc = read_page_attempts(&r, max_records, r.page ? previous : NULL, err);
        if (rc < 0)
            break;
        r.page++;
        if (!r.stopped && r.opts->page_end &&
            (rc = r.opts->page_end(r.page - 1, strcmp(r.locator, "null") == 0,
                                   payload, err)) != 0) {
            r.stopped = rc > 0;
            rc = rc > 0 ? 0 : rc;
            break;
        }
        if (r.stopped || strcmp(r.locator, "null") == 0)
            break;
        if (r.page_seen == 0 || strcmp(r.locator, previous) == 0) {
            rc = err_set(err, SYNC_EINVALID,
                         "results page %zu of bulk job '%s' returned "
                         "locator '%.40s' without moving on",
                         r.page, job->id, r.locator);
            break;
        }
        snprintf(previous, sizeof(previous), "%s", r.locator);
    }
    if (out) {
        out->rows = r.delivered;
        out->pages = r.page;
        out->stopped = r.stopped;
    }
    reader_release(&r);
    return rc;
}

int sf_bulk_read(struct sf_client *c, const struct sf_bulk_job *job,
                 const struct sf_bulk_options *opts, sf_bulk_row_fn fn,
                 void *payload, struct sf_bulk_result *out, struct err *err)
{
    return read_results(c, job, opts, fn, payload, NULL, out, err);
}

/* ---- the whole query ---- */

/* Abort (when it may still run) and delete a job after a failure; the
 * failure being reported matters more than these. */
static void clean_up(struct sf_client *c, const struct sf_bulk_job *job,
                     bool keep)
{
    struct err err;

    if (job->state == SF_BULK_UPLOAD_COMPLETE ||
        job->state == SF_BULK_IN_PROGRESS || job->state == SF_BULK_OTHER) {
        if (sf_bulk_abort(c, job->id, NULL, &err) < 0)
            log_warn("salesforce", "bulk query job not aborted",
                     "id=%s error=\"%s\"", job->id, err.msg);
    }
    if (!keep && sf_bulk_delete(c, job->id, &err) < 0)
        log_warn("salesforce", "bulk query job not deleted",
                 "id=%s error=\"%s\"", job->id, err.msg);
}

static int finish_query(struct sf_client *c, struct sf_bulk_result *res,
                        bool keep, int rc);

int sf_bulk_query(struct sf_client *c, const char *soql,
                  const struct sf_bulk_options *opts, sf_bulk_row_fn fn,
                  void *payload, struct sf_bulk_result *out, struct err *err)
{
    struct sf_bulk_result local = {0};
    struct sf_bulk_result *res = out ? out : &local;
    bool keep = opts && opts->keep_job;
    int rc;

    memset(res, 0, sizeof(*res));
    if ((rc = sf_bulk_create(c, soql, opts && opts->all, &res->job, err)) < 0)
        return rc;
    rc = sf_bulk_wait(c, &res->job, opts, res, err);
    if (rc == 0)
        rc = sf_bulk_read(c, &res->job, opts, fn, payload, res, err);
    return finish_query(c, res, keep, rc);
}

/* After a read that returned rc: clean up a failed job, or log and
 * delete a read one. Returns rc. */
static int finish_query(struct sf_client *c, struct sf_bulk_result *res,
                        bool keep, int rc)
{
    if (rc < 0) {
        clean_up(c, &res->job, keep);
        return rc;
    }
    log_info("salesforce", "bulk query read",
             "id=%s rows=%lld pages=%zu "
             "polls=%d waited_ms=%ld",
             res->job.id, res->rows, res->pages, res->polls, res->waited_ms);
    if (!keep) {
        struct err derr;

        if (sf_bulk_delete(c, res->job.id, &derr) < 0)
            log_warn("salesforce", "bulk query job not deleted",
                     "id=%s error=\"%s\"", res->job.id, derr.msg);
    }
    return 0;
}

/* ---- results as pages of records ---- */

/*
 * A page of records being collected for sf_bulk_query_pages. With
 * read_ahead, a reading thread (the producer) collects pages and hands
 * each over to the calling thread (the consumer), which passes it to fn.
 * The producer hands over a page only while the consumer has none, so at
 * most two pages are in memory. It asks the consumer for token renewals,
 * because a renewal stores the new token through the caller's store.
 */
struct pager {
    sf_query_page_fn fn;
    void *payload;
    json_t *records; /* the page being read */
    long long total;
    size_t index;    /* pages handed over so far */

    /* The hand-over, under lock. */
    bool threaded;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    json_t *ready;       /* a page read and not taken yet, or NULL */
    size_t ready_index;
    bool ready_done;     /* ready is the last page */
    bool busy;           /* the consumer works on a page */
    bool stop;           /* the consumer stopped or failed: read no more */
    bool renew_requested;   /* the producer waits for a token renewal */
    int renew_rc;
    struct err renew_err;
    bool finished;       /* the producer's read returned */

    /* The producer's read, for its thread. */
    struct sf_client *c;
    const struct sf_bulk_options *opts;
    struct sf_bulk_result *res;
    int read_rc;
    struct err read_err;
};

static int pager_row(const struct sf_bulk_row *row, void *payload,
                     struct err *err)
{
    struct pager *p = payload;

    (void)err;
    json_array_append(p->records, row->record);
    return 0;
}

static int pager_deliver(struct pager *p, json_t *records, size_t index,
                         bool done, struct err *err)
{
    struct sf_query_page page = {records, p->total, index, done};

    err_clear(err);
    return p->fn(&page, p->payload, err);
}

/* The end of a results page, in the thread that reads. */
static int pager_page_end(size_t page, bool last, void *payload,
                          struct err *err)
{
    struct pager *p = payload;
    int rc;

    (void)page;
    if (!p->threaded) {
        rc = pager_deliver(p, p->records, p->index++, last, err);
        json_array_clear(p->records);
        return rc;
    }
    pthread_mutex_lock(&p->lock);
    while (!p->stop && (p->ready || p->busy))
        pthread_cond_wait(&p->cond, &p->lock);
    if (p->stop) {
        pthread_mutex_unlock(&p->lock);
        return 1;
    }
    p->ready = p->records;
    p->ready_index = p->index++;
    p->ready_done = last;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    p->records = json_array();
    return 0;
}

/* Have the consumer renew the token, and wait for it. */
static int pager_renew(void *payload, struct err *err)
{
    struct pager *p = payload;
    int rc;

    pthread_mutex_lock(&p->lock);
    p->renew_requested = true;
    pthread_cond_broadcast(&p->cond);
    while (p->renew_requested && !p->stop)
        pthread_cond_wait(&p->cond, &p->lock);
    if (p->renew_requested) {
        p->renew_requested = false;
        rc = err_set(err, SYNC_ESTOP,
                     "bulk results read stopped before the token renewal");
    } else {
        rc = p->renew_rc;
        if (rc < 0)
            *err = p->renew_err;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

static void *pager_main(void *arg)
{
    struct pager *p = arg;
    int rc;

    err_clear(&p->read_err);
    rc = read_results(p->c, &p->res->job, p->opts, pager_row, p, pager_renew,
                      p->res, &p->read_err);
    pthread_mutex_lock(&p->lock);
    p->read_rc = rc;
    p->finished = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/*
 * Pass each page that the producer hands over to fn, and renew the token
 * when it asks, until it finishes or fn stops. Returns fn's code.
 */
static int pager_consume(struct pager *p, struct err *err)
{
    int rc = 0;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        json_t *records;
        size_t index;
        bool done;

        while (!p->ready && !p->renew_requested && !p->finished)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->renew_requested) {
            pthread_mutex_unlock(&p->lock);
            err_clear(&p->renew_err);
            p->renew_rc = sf_auth_renew(sf_client_auth(p->c),
                                        sf_client_http(p->c), &p->renew_err);
            pthread_mutex_lock(&p->lock);
            p->renew_requested = false;
            pthread_cond_broadcast(&p->cond);
            continue;
        }
        if (!p->ready)
            break;
        records = p->ready;
        index = p->ready_index;
        done = p->ready_done;
        p->ready = NULL;
        p->busy = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        rc = pager_deliver(p, records, index, done, err);
        json_decref(records);
        pthread_mutex_lock(&p->lock);
        p->busy = false;
        p->stop = rc != 0;
        pthread_cond_broadcast(&p->cond);
        if (rc != 0)
            break;
    }
    pthread_mutex_unlock(&p->lock);
    return rc;
}

/* Read the job's results into fn through a producer thread. Returns as
 * sf_bulk_read does, or 1 when no thread could be started. */
static int read_ahead(struct pager *p, struct err *err)
{
    pthread_t thread;
    int rc;

    p->threaded = true;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    if (pthread_create(&thread, NULL, pager_main, p) != 0) {
        p->threaded = false;
        rc = 1;
        goto out;
    }
    rc = pager_consume(p, err);
    pthread_join(thread, NULL);
    json_decref(p->ready);
    p->ready = NULL;
    if (rc == 0 && p->read_rc < 0) {
        rc = p->read_rc;
        if (err)
            *err = p->read_err;
    } else if (rc > 0) {
        /* fn stopped the read, as a stop inside sf_bulk_read does. */
        p->res->stopped = true;
        rc = 0;
    }
out:
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    return rc;
}

int sf_bulk_query_pages(struct sf_client *c, const char *soql,
                        const struct sf_bulk_options *opts, long long total,
                        sf_query_page_fn fn, void *payload,
                        struct sf_bulk_result *out, struct err *err)
{
    struct sf_bulk_options o = opts ? *opts : (struct sf_bulk_options){0};
    struct pager p = {.fn = fn, .payload = payload, .total = total};
    struct sf_bulk_result local;
    int rc = 1;

    if (!out)
        out = &local;
    memset(out, 0, sizeof(*out));
    o.records = true;
    o.page_end = pager_page_end;
    p.records = json_array();
    p.c = c;
    p.opts = &o;
    p.res = out;
    if ((rc = sf_bulk_create(c, soql, o.all, &out->job, err)) < 0)
        goto out;
    rc = sf_bulk_wait(c, &out->job, &o, out, err);
    if (rc == 0 && o.read_ahead)
        rc = read_ahead(&p, err);
    else if (rc == 0)
        rc = 1;
    if (rc > 0)
        rc = sf_bulk_read(c, &out->job, &o, pager_row, &p, out, err);
    rc = finish_query(c, out, o.keep_job, rc);
    /* A job whose results end on an empty page never reached page_end
     * with last set; the REST paging always ends with a done page. */
    if (rc == 0 && !out->stopped &&
        (p.index == 0 || json_array_size(p.records)))
        rc = pager_deliver(&p, p.records, p.index, true, err);
out:
    json_decref(p.records);
    return rc;
}
