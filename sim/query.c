/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The REST query resources: /query and /queryAll with q=SOQL, the pages of
 * large results behind query locators, and the column metadata that the sf
 * CLI requests with columns=true. The SOQL engine is soql_*.c.
 */
#include "base/common.h"

#include <ctype.h>
#include <strings.h>

#include "base/datetime.h"
#include "sim.h"
#include "soql.h"

/* Page sizes: Salesforce's default, and the range batchSize is held to. */
#define PAGE_DEFAULT 2000
#define PAGE_MIN 200
#define PAGE_MAX 2000

/* A cursor unused this long is closed, as Salesforce closes idle ones
 * after about 15 minutes. */
#define CURSOR_IDLE_MS (15 * 60 * 1000)

/* Caps on what open cursors hold; the oldest are closed beyond them. The
 * row cap keeps a few full scans of a million-record org in memory. */
#define CURSOR_MAX 10000
#define CURSOR_ROWS_MAX ((size_t)16 * 1000 * 1000)

/* An open query locator: the parsed query and the ids of every row of its
 * result, so that later pages render the records' current values. */
struct sim_cursor {
    char locator[19];
    struct soql_query *query;
    char (*ids)[19];
    size_t total;
    char user_id[19]; /* a locator works only for the user who opened it */
    uint64_t serial;  /* opening order */
    int64_t used_ms;
};

static void cursor_free(struct sim_cursor *c)
{
    if (!c)
        return;
    soql_query_free(c->query);
    free(c->ids);
    free(c);
}

static void cursor_close(struct sim_org *org, struct sim_cursor *c)
{
    hmap_remove(&org->cursors, c->locator);
    cursor_free(c);
}

void sim_query_release_cursors(struct sim_org *org)
{
    for (size_t i = 0; i < org->cursors.cap; i++) {
        struct hmap_slot *s = &org->cursors.slots[i];

        if (s->key && s->value)
            cursor_free(s->value);
    }
    hmap_release(&org->cursors);
}

/* Close idle cursors, then the oldest ones while the caps would be passed
 * by a new cursor of new_rows rows. */
static void sweep_cursors(struct sim_org *org, size_t new_rows)
{
    int64_t now = datetime_now_ms();
    size_t rows = 0, closed = 0;

    for (size_t i = 0; i < org->cursors.cap; i++) {
        struct sim_cursor *c = org->cursors.slots[i].value;

        if (!org->cursors.slots[i].key || !c)
            continue;
        if (now - c->used_ms > CURSOR_IDLE_MS)
            cursor_close(org, c);
        else
            rows += c->total;
    }
    while (org->cursors.count > 0 && (org->cursors.count >= CURSOR_MAX ||
                                      rows + new_rows > CURSOR_ROWS_MAX)) {
        struct sim_cursor *oldest = NULL;

        for (size_t i = 0; i < org->cursors.cap; i++) {
            struct sim_cursor *c = org->cursors.slots[i].value;

            if (org->cursors.slots[i].key && c &&
                (!oldest || c->serial < oldest->serial))
                oldest = c;
        }
        rows -= oldest->total;
        cursor_close(org, oldest);
        closed++;
    }
    if (closed)
        log_info("sim", "closed the oldest query cursors", "count=%zu", closed);
}

/* Keep q and the rows of res behind a new locator; q is taken over. */
static struct sim_cursor *cursor_open(struct sim_org *org,
                                      const struct sim_call *call,
                                      struct soql_query *q,
                                      const struct soql_result *res)
{
    struct sim_cursor *c;
    char id15[16];

    sweep_cursors(org, res->count);
    c = xcalloc(1, sizeof(*c));
    c->serial = ++org->cursor_counter;
    /* Locators look like record ids with the 01g prefix. */
    snprintf(id15, sizeof(id15), "01gHn%010llu",
             (unsigned long long)(c->serial % 10000000000ULL));
    sim_id_to18(id15, c->locator);
    c->query = q;
    c->ids = xmalloc(res->count * sizeof(*c->ids));
    for (size_t i = 0; i < res->count; i++)
        memcpy(c->ids[i], res->records[i]->id, sizeof(c->ids[i]));
    c->total = res->count;
    memcpy(c->user_id, call->user->id, sizeof(c->user_id));
    c->used_ms = datetime_now_ms();
    hmap_put(&org->cursors, c->locator, c);
    return c;
}

/* The page size of this request: Sforce-Query-Options: batchSize=N held to
 * 200..2000, then capped by the max-page-size fault. */
static size_t page_size(const struct http_req *req, const struct sim_org *org)
{
    const char *opts = http_req_header(req, "Sforce-Query-Options");
    const char *p = opts ? strcasestr(opts, "batchSize") : NULL;
    long size = PAGE_DEFAULT;

    if (p) {
        p += strlen("batchSize");
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '=') {
            char *end;
            long v = strtol(p + 1, &end, 10);

            if (end != p + 1)
                size = v;
        }
    }
    if (size < PAGE_MIN)
        size = PAGE_MIN;
    if (size > PAGE_MAX)
        size = PAGE_MAX;
    if (org->faults.max_page_size > 0 && size > org->faults.max_page_size)
        size = org->faults.max_page_size;
    return (size_t)size;
}

/* One page of a result; next_url NULL marks the last page. */
static json_t *page_json(const struct sim_call *call,
                         const struct soql_query *q,
                         const struct sim_record *const *recs, size_t n,
                         size_t total, const char *next_url)
{
    json_t *records = json_array();
    json_t *body;

    for (size_t i = 0; i < n; i++)
        json_array_append_new(records,
                              soql_record_json(q, recs[i], call->version));
    body = json_pack("{s:I, s:b}", "totalSize", (json_int_t)total, "done",
                     next_url == NULL);
    if (next_url)
        json_object_set_new(body, "nextRecordsUrl", json_string(next_url));
    json_object_set_new(body, "records", records);
    return body;
}

static char *next_url(const struct sim_call *call, const struct sim_cursor *c,
                      size_t offset)
{
    /* NOTE: queryAll pages also get a /query/ URL; Salesforce's choice
     * between /query/ and /queryAll/ here is not confirmed. Both forms are
     * served. */
    return xasprintf("/services/data/v%s/query/%s-%zu", call->version,
                     c->locator, offset);
}

static void reply_soql_error(struct http_resp *resp, const char *text,
                             const struct soql_error *e)
{
    char *echo = soql_error_message(text, e);
    char *message = sim_utf8_repair(echo);

    free(echo);
    log_debug("sim", "query rejected", "code=%s row=%d column=%d", e->code,
              e->row, e->column);
    /* Not sim_reply_error: its message buffer is too small for the query
     * echo of a long row. */
    http_resp_json(
        resp, 400,
        json_pack("[{s:s, s:s}]", "message", message, "errorCode", e->code));
    free(message);
}

static int run_query(struct http_req *req, struct http_resp *resp,
                     bool include_deleted)
{
    struct sim_call *call = req->user_data;
    struct sim_org *org = call->org;
    const char *text = http_req_query(req, "q");
    const char *columns = http_req_query(req, "columns");
    struct soql_exec_opts opts = {.include_deleted = include_deleted};
    struct soql_result res;
    struct soql_query *q;
    struct soql_error e;
    struct sim_cursor *c;
    size_t size;
    char *url;

    if (!text || !*text) {
        sim_reply_error(resp, 400, "MALFORMED_QUERY",
                        "A query string has to be specified");
        return 0;
    }
    if (soql_parse(org, text, &q, &e) < 0) {
        reply_soql_error(resp, text, &e);
        return 0;
    }
    if (columns && strcasecmp(columns, "true") == 0) {
        http_resp_json(resp, 200, soql_columns_json(q));
        soql_query_free(q);
        return 0;
    }
    soql_execute(q, &opts, &res);
    size = page_size(req, org);
    log_debug("sim", "query", "object=%s rows=%zu all=%d",
              soql_query_object(q)->name, res.count, include_deleted);
    if (soql_query_is_count(q) || res.count <= size) {
        http_resp_json(
            resp, 200,
            page_json(call, q, (const struct sim_record *const *)res.records,
                      soql_query_is_count(q) ? 0 : res.count, res.count, NULL));
        soql_query_free(q);
        soql_result_release(&res);
        return 0;
    }
    c = cursor_open(org, call, q, &res);
    url = next_url(call, c, size);
    http_resp_json(resp, 200,
                   page_json(call, q,
                             (const struct sim_record *const *)res.records,
                             size, res.count, url));
    free(url);
    soql_result_release(&res);
    return 0;
}

static int get_query(struct http_req *req, struct http_resp *resp,
                     void *payload)
{
    (void)payload;
    return run_query(req, resp, false);
}

static int get_query_all(struct http_req *req, struct http_resp *resp,
                         void *payload)
{
    (void)payload;
    return run_query(req, resp, true);
}

/* Split "<locator>-<offset>" and find its live cursor, or NULL. */
static struct sim_cursor *find_cursor(struct sim_org *org,
                                      const struct sim_call *call,
                                      const char *arg, size_t *offset)
{
    const char *dash = strrchr(arg, '-');
    char locator[19];
    struct sim_cursor *c;
    char *end;

    if (!dash || dash - arg != 18 || !isdigit((unsigned char)dash[1]))
        return NULL;
    *offset = (size_t)strtoull(dash + 1, &end, 10);
    if (*end)
        return NULL;
    memcpy(locator, arg, 18);
    locator[18] = '\0';
    c = hmap_get(&org->cursors, locator);
    if (!c)
        return NULL;
    if (datetime_now_ms() - c->used_ms > CURSOR_IDLE_MS) {
        log_debug("sim", "query cursor expired", "locator=%s", c->locator);
        cursor_close(org, c);
        return NULL;
    }
    if (strcmp(c->user_id, call->user->id) != 0 || *offset > c->total)
        return NULL;
    return c;
}

static int get_more(struct http_req *req, struct http_resp *resp, void *payload)
{
    struct sim_call *call = req->user_data;
    struct sim_org *org = call->org;
    const struct sim_object *obj;
    const struct sim_record **recs;
    struct sim_cursor *c;
    size_t offset = 0, size, n, count = 0;
    char *url = NULL;

    (void)payload;
    c = req->nparams >= 2 ? find_cursor(org, call, req->params[1], &offset)
                          : NULL;
    if (!c) {
        log_debug("sim", "query locator rejected", "locator=%s",
                  req->nparams >= 2 ? req->params[1] : "");
        sim_reply_error(resp, 400, "INVALID_QUERY_LOCATOR",
                        "invalid query locator");
        return 0;
    }
    c->used_ms = datetime_now_ms();
    size = page_size(req, org);
    n = c->total - offset < size ? c->total - offset : size;
    obj = soql_query_object(c->query);
    recs = xmalloc((n ? n : 1) * sizeof(*recs));
    for (size_t i = 0; i < n; i++) {
        const struct sim_record *rec =
            hmap_get(&obj->by_id, c->ids[offset + i]);

        /* A record removed from the org since the query is left out. */
        if (rec)
            recs[count++] = rec;
    }
    if (offset + n < c->total)
        url = next_url(call, c, offset + n);
    http_resp_json(resp, 200,
                   page_json(call, c->query, recs, count, c->total, url));
    free(url);
    free(recs);
    return 0;
}

void sim_query_routes(struct http_router *r)
{
    http_router_add(r, "GET", "/services/data/{version}/query", get_query,
                    NULL);
    http_router_add(r, "GET", "/services/data/{version}/queryAll",
                    get_query_all, NULL);
    http_router_add(r, "GET", "/services/data/{version}/query/{locator}",
                    get_more, NULL);
    http_router_add(r, "GET", "/services/data/{version}/queryAll/{locator}",
                    get_more, NULL);
}
