/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The run log, manual pulls and sync errors of sfsync serve, and the
 * figures of GET /metrics.
 */
#include "base/common.h"

#include <errno.h>
#include <inttypes.h>

#include "serve_int.h"
#include "sync/connection.h"
#include "sync/engine.h"

#define RUNS_DEFAULT 20
#define RUNS_MAX 200
#define ERRORS_DEFAULT 100
#define ERRORS_MAX 1000
#define CONFLICTS_DEFAULT 50
#define CONFLICTS_MAX 1000

static json_t *object_json(int object)
{
    return object >= 0 && object < SF_OBJECT_COUNT
               ? json_string(mapping_object_name((enum sf_object)object))
               : json_null();
}

static json_t *run_json(struct serve *srv, const struct store_run *r)
{
    const struct store_run_counts *c = &r->counts;
    /* The run row keeps what a pull expected, so it outlives this
     * process; a running pull of this process reports it live. */
    long long done = c->created + c->updated + c->unchanged + c->skipped +
                     c->errors,
              total = r->expected;
    json_t *counts = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "created",
        (json_int_t)c->created, "updated", (json_int_t)c->updated,
        "unchanged", (json_int_t)c->unchanged, "skipped",
        (json_int_t)c->skipped, "errors", (json_int_t)c->errors,
        "api_calls", (json_int_t)c->api_calls, "pushed",
        (json_int_t)c->pushed, "pulled", (json_int_t)c->pulled, "deleted",
        (json_int_t)c->deleted, "conflicts", (json_int_t)c->conflicts);
    long long live_done, live_total;

    if (serve_pull_progress(srv, r->id, &live_done, &live_total)) {
        if (live_done > done)
            done = live_done;
        total = live_total;
    }
    return json_pack(
        "{s:I, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:{s:I, s:o}}", "id",
        (json_int_t)r->id, "kind", r->kind, "object", object_json(r->object),
        "status", r->status, "started_at", serve_time_json(r->started_ms),
        "finished_at", serve_time_json(r->finished_ms), "message",
        r->message ? json_string(r->message) : json_null(), "error_code",
        r->error_code ? json_string(r->error_code) : json_null(), "counts",
        counts, "progress", "done", (json_int_t)done, "expected",
        total >= 0 ? json_integer(total) : json_null());
}

static int query_limit(struct http_req *req, struct http_resp *resp,
                       long def, long max, size_t *out)
{
    const char *v = http_req_query(req, "limit");
    char *end;
    long n;

    *out = (size_t)def;
    if (!v)
        return 0;
    errno = 0;
    n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < 1 || n > max) {
        serve_error(resp, 422, "invalid_value", "limit",
                    "invalid limit '%.40s': give a whole number from 1 to "
                    "%ld",
                    v, max);
        return -1;
    }
    *out = (size_t)n;
    return 0;
}

/* Parse the offset argument of GET /api/runs; 0 when absent. */
static int query_offset(struct http_req *req, struct http_resp *resp,
                        size_t *out)
{
    const char *v = http_req_query(req, "offset");
    char *end;
    long n;

    *out = 0;
    if (!v)
        return 0;
    errno = 0;
    n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < 0 || n > INT32_MAX) {
        serve_error(resp, 422, "invalid_value", "offset",
                    "invalid offset '%.40s': give a whole number from 0 to "
                    "%d",
                    v, INT32_MAX);
        return -1;
    }
    *out = (size_t)n;
    return 0;
}

/* GET /api/runs */
static int list_runs(struct http_req *req, struct http_resp *resp,
                     void *payload)
{
    struct serve *srv = payload;
    const char *kind = http_req_query(req, "kind");
    struct store_run *runs = NULL;
    size_t n = 0, limit, offset;
    struct err err;
    json_t *arr;

    if (query_limit(req, resp, RUNS_DEFAULT, RUNS_MAX, &limit) < 0 ||
        query_offset(req, resp, &offset) < 0)
        return 0;
    if (kind && strcmp(kind, "pull") != 0 && strcmp(kind, "sync") != 0 &&
        strcmp(kind, "push") != 0)
        return serve_error(resp, 422, "invalid_value", "kind",
                           "invalid kind '%.40s': use pull, push or sync",
                           kind);
    /* A CLI pull killed while this server runs is noticed here. */
    store_run_abandon_dead(serve_req_of(req)->store, srv->ws, NULL, NULL);
    if (store_run_list_page(serve_req_of(req)->store, srv->ws, kind, offset,
                            limit, &runs, &n, &err) < 0)
        return serve_error_rc(resp, &err, NULL);
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, run_json(srv, &runs[i]));
    store_runs_free(runs, n);
    http_resp_json(resp, 200,
                   json_pack("{s:o, s:I, s:I}", "runs", arr, "limit",
                             (json_int_t)limit, "offset",
                             (json_int_t)offset));
    return 0;
}

/* GET /api/runs/{id} */
static int get_run(struct http_req *req, struct http_resp *resp,
                   void *payload)
{
    struct serve *srv = payload;
    const char *v = req->params[0];
    struct store_run run;
    struct err err;
    char *end;
    long long id;

    errno = 0;
    id = strtoll(v, &end, 10);
    if (!*v || *end || errno || id <= 0)
        return serve_error(resp, 404, "not_found", NULL,
                           "run '%.40s' not found: ids are positive numbers",
                           v);
    memset(&run, 0, sizeof(run));
    if (store_run_get(serve_req_of(req)->store, srv->ws, id, &run, &err) < 0)
        return serve_error_rc(resp, &err, NULL);
    http_resp_json(resp, 200, run_json(srv, &run));
    store_run_release(&run);
    return 0;
}

/* POST /api/pulls */
static int post_pull(struct http_req *req, struct http_resp *resp,
                     void *payload)
{
    struct serve *srv = payload;
    json_t *body = serve_body(req, resp), *v;
    const char *name;
    enum sf_object object;
    int64_t run_id = 0;
    struct err err;
    int rc;

    static const char *const keys[] = {"object", NULL};

    if (!body || serve_check_keys(body, keys, resp) < 0)
        return 0;
    v = json_object_get(body, "object");
    name = json_is_string(v) ? json_string_value(v) : "";
    if (strcmp(name, "contacts") == 0)
        object = SF_OBJECT_CONTACT;
    else if (strcmp(name, "leads") == 0)
        object = SF_OBJECT_LEAD;
    else
        return serve_error(resp, 422, "invalid_value", "object",
                           "invalid object '%.40s': use contacts or leads",
                           name);
    rc = serve_pull_start(srv, serve_req_of(req)->store, object, &run_id,
                          &err);
    if (rc == SYNC_ENOTFOUND || rc == SYNC_EAUTH)
        return serve_error(resp, 409, "not_connected", NULL, "%s", err.msg);
    if (rc < 0)
        return serve_error_rc(resp, &err, NULL);
    log_info("serve", "pull requested",
             "workspace=%s object=%s run=%" PRId64 " user=%s", srv->ws_name,
             name, run_id, serve_req_of(req)->user->name);
    http_resp_json(resp, 202, json_pack("{s:I}", "run_id",
                                        (json_int_t)run_id));
    return 0;
}

static json_t *error_json(const struct store_sync_error *e)
{
    return json_pack("{s:I, s:o, s:o, s:o, s:s, s:s, s:b, s:b, s:o}", "id",
                     (json_int_t)e->id, "contact_id",
                     e->contact_id ? json_integer(e->contact_id) : json_null(),
                     "object", object_json(e->object), "sf_id",
                     e->sf_id[0] ? json_string(e->sf_id) : json_null(), "code",
                     e->code ? e->code : "", "message",
                     e->message ? e->message : "", "retryable", e->retryable,
                     "notice", sync_error_is_notice(e->code), "created_at",
                     serve_time_json(e->created_ms));
}

/* GET /api/errors */
static int list_errors(struct http_req *req, struct http_resp *resp,
                       void *payload)
{
    struct serve *srv = payload;
    struct store_sync_error *errors = NULL;
    size_t n = 0, limit;
    struct err err;
    json_t *arr;

    if (query_limit(req, resp, ERRORS_DEFAULT, ERRORS_MAX, &limit) < 0)
        return 0;
    if (store_sync_error_list(serve_req_of(req)->store, srv->ws, 0, limit,
                              &errors, &n, &err) < 0)
        return serve_error_rc(resp, &err, NULL);
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *e = error_json(&errors[i]);

        json_array_append_new(arr, e ? e : json_null());
    }
    store_sync_errors_free(errors, n);
    http_resp_json(resp, 200, json_pack("{s:o}", "errors", arr));
    return 0;
}

/* POST /api/errors/retry */
static int retry_errors(struct http_req *req, struct http_resp *resp,
                        void *payload)
{
    struct serve *srv = payload;
    int64_t marked = 0, skipped = 0;
    struct err err;

    if (serve_check_no_body(req, resp) < 0)
        return 0;
    if (sync_retry_errors(serve_req_of(req)->store, srv->ws, &marked,
                          &skipped, &err) < 0)
        return serve_error_rc(resp, &err, NULL);
    log_info("serve", "sync errors marked for retry",
             "workspace=%s count=%" PRId64 " skipped=%" PRId64 " user=%s",
             srv->ws_name, marked, skipped, serve_req_of(req)->user->name);
    serve_wake(srv);
    http_resp_json(resp, 200, json_pack("{s:I, s:I}", "marked",
                                        (json_int_t)marked, "skipped",
                                        (json_int_t)skipped));
    return 0;
}

/* POST /api/errors/{id}/retry */
static int retry_error(struct http_req *req, struct http_resp *resp,
                       void *payload)
{
    struct serve *srv = payload;
    const char *v = req->params[0];
    struct store_sync_error e;
    struct err err;
    json_t *reply;
    char *end;
    long long id;

    if (serve_check_no_body(req, resp) < 0)
        return 0;
    errno = 0;
    id = strtoll(v, &end, 10);
    if (!*v || *end || errno || id <= 0)
        return serve_error(resp, 404, "not_found", NULL,
                           "sync error '%.40s' not found: ids are positive "
                           "numbers",
                           v);
    memset(&e, 0, sizeof(e));
    if (store_sync_error_retry(serve_req_of(req)->store, srv->ws, id, &e,
                               &err) < 0)
        return err.code == SYNC_ENOTFOUND
                   ? serve_error(resp, 404, "not_found", NULL,
                                 "sync error %lld not found: it was retried "
                                 "and cleared, or never existed; list them "
                                 "with GET /api/errors",
                                 id)
                   : serve_error_rc(resp, &err, NULL);
    log_info("serve", "sync error marked for retry",
             "workspace=%s error=%lld contact=%" PRId64 " user=%s",
             srv->ws_name, id, e.contact_id, serve_req_of(req)->user->name);
    serve_wake(srv);
    reply = error_json(&e);
    free(e.code);
    free(e.message);
    http_resp_json(resp, 200, reply);
    return 0;
}

void serve_metrics_text(struct serve *srv, struct store *s, struct buf *out)
{
    struct store_run *runs = NULL;
    struct store_sync_error *errors = NULL;
    struct connection_status st;
    size_t n = 0, nerrors = 0;
    int64_t pushed, pulled, conflicts, started_ms, running = 0;
    uint64_t calls;
    int64_t last_ok[SF_OBJECT_COUNT] = {0};
    long long used, max;
    bool healthy;

    /* NOTE: the gauges read at most the newest STORE_LIST_MAX runs, the
     * largest page the run log returns. */
    store_run_list(s, srv->ws, STORE_LIST_MAX, &runs, &n, NULL);
    for (size_t i = 0; i < n; i++) {
        const struct store_run *r = &runs[i];

        if (strcmp(r->status, "running") == 0)
            running++;
        if (strcmp(r->status, "ok") != 0)
            continue;
        for (int o = 0; o < SF_OBJECT_COUNT; o++)
            if ((r->object == o || r->object < 0) &&
                r->finished_ms > last_ok[o])
                last_ok[o] = r->finished_ms;
    }
    store_runs_free(runs, n);
    store_sync_error_list(s, srv->ws, 0, STORE_LIST_MAX, &errors, &nerrors,
                          NULL);
    store_sync_errors_free(errors, nerrors);
    connection_status_get(s, srv->ws, &st, NULL);
    pthread_mutex_lock(&srv->lock);
    pushed = srv->total_pushed;
    pulled = srv->total_pulled;
    conflicts = srv->total_conflicts;
    calls = srv->api_calls;
    started_ms = srv->started_ms;
    used = srv->api_used;
    max = srv->api_max;
    healthy = st.connected && !st.needs_reconnect && !st.check_problem;
    pthread_mutex_unlock(&srv->lock);
    connection_status_release(&st);

    /* The counters follow Prometheus's rule for a process: they count
     * from its start and begin at 0 again after a restart, which
     * process_start_time_seconds shows. */
    buf_printf(out, "# HELP process_start_time_seconds Start time of this "
                    "sfsync serve process since the Unix epoch.\n"
                    "# TYPE process_start_time_seconds gauge\n"
                    "process_start_time_seconds %" PRId64 "\n",
               started_ms / 1000);
    buf_printf(out, "# HELP sfsync_records_pushed_total Records written to "
                    "Salesforce by this process.\n# TYPE "
                    "sfsync_records_pushed_total counter\n"
                    "sfsync_records_pushed_total %" PRId64 "\n",
               pushed);
    buf_printf(out, "# HELP sfsync_records_pulled_total Salesforce records "
                    "that changed a local contact, pulled by this "
                    "process.\n# TYPE sfsync_records_pulled_total counter\n"
                    "sfsync_records_pulled_total %" PRId64 "\n",
               pulled);
    buf_printf(out, "# HELP sfsync_conflicts_total Fields changed on both "
                    "sides, settled by this process.\n# TYPE "
                    "sfsync_conflicts_total counter\n"
                    "sfsync_conflicts_total %" PRId64 "\n",
               conflicts);
    buf_printf(out, "# HELP sfsync_sync_errors Sync errors recorded now.\n"
                    "# TYPE sfsync_sync_errors gauge\n"
                    "sfsync_sync_errors %zu\n",
               nerrors);
    buf_printf(out, "# HELP sfsync_api_calls_total Salesforce API calls "
                    "made by this process.\n# TYPE sfsync_api_calls_total "
                    "counter\nsfsync_api_calls_total %" PRIu64 "\n",
               calls);
    if (used >= 0 && max >= 0)
        buf_printf(out, "# HELP sfsync_api_calls_remaining The org's daily "
                        "API allowance left.\n# TYPE "
                        "sfsync_api_calls_remaining gauge\n"
                        "sfsync_api_calls_remaining %lld\n",
                   max - used);
    buf_puts(out, "# HELP sfsync_last_success_timestamp_seconds End of the "
                  "last successful run per object.\n# TYPE "
                  "sfsync_last_success_timestamp_seconds gauge\n");
    for (int o = 0; o < SF_OBJECT_COUNT; o++)
        buf_printf(out,
                   "sfsync_last_success_timestamp_seconds{object=\"%s\"} "
                   "%" PRId64 "\n",
                   mapping_object_name((enum sf_object)o), last_ok[o] / 1000);
    buf_printf(out, "# HELP sfsync_runs_in_progress Runs not finished.\n"
                    "# TYPE sfsync_runs_in_progress gauge\n"
                    "sfsync_runs_in_progress %" PRId64 "\n",
               running);
    buf_printf(out, "# HELP sfsync_connection_healthy 1 when the Salesforce "
                    "connection works.\n# TYPE sfsync_connection_healthy "
                    "gauge\nsfsync_connection_healthy %d\n",
               healthy ? 1 : 0);
}

static json_t *conflict_json(const struct store_conflict *c)
{
    return json_pack(
        "{s:I, s:o, s:I, s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:o}", "id",
        (json_int_t)c->id, "run_id",
        c->run_id ? json_integer(c->run_id) : json_null(), "contact_id",
        (json_int_t)c->contact_id, "object",
        mapping_object_name((enum sf_object)c->object), "sf_id", c->sf_id,
        "field", c->field, "local_value", c->local_value, "salesforce_value",
        c->remote_value, "winner", c->winner, "policy", c->policy, "created_at",
        serve_time_json(c->created_ms));
}

/* GET /api/conflicts?limit=&run= */
static int list_conflicts(struct http_req *req, struct http_resp *resp,
                          void *payload)
{
    struct serve *srv = payload;
    struct store_conflict *conflicts = NULL;
    const char *run_text = http_req_query(req, "run");
    size_t n = 0, limit;
    long long run = 0;
    struct err err;
    json_t *arr;
    char *end;

    if (query_limit(req, resp, CONFLICTS_DEFAULT, CONFLICTS_MAX, &limit) < 0)
        return 0;
    if (run_text) {
        errno = 0;
        run = strtoll(run_text, &end, 10);
        if (!*run_text || *end || errno || run < 1)
            return serve_error(resp, 422, "invalid_value", "run",
                               "invalid run '%.40s': give a run id from "
                               "GET /api/runs",
                               run_text);
    }
    if (store_conflict_list(serve_req_of(req)->store, srv->ws, (int64_t)run,
                            limit, &conflicts, &n, &err) < 0)
        return serve_error_rc(resp, &err, NULL);
    arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *c = conflict_json(&conflicts[i]);

        json_array_append_new(arr, c ? c : json_null());
    }
    store_conflicts_free(conflicts, n);
    http_resp_json(resp, 200, json_pack("{s:o}", "conflicts", arr));
    return 0;
}

void serve_runs_routes(struct serve *srv)
{
    struct http_router *r = &srv->router;

    http_router_add(r, "GET", "/api/runs", list_runs, srv);
    http_router_add(r, "GET", "/api/runs/{id}", get_run, srv);
    http_router_add(r, "POST", "/api/pulls", post_pull, srv);
    http_router_add(r, "GET", "/api/errors", list_errors, srv);
    http_router_add(r, "POST", "/api/errors/retry", retry_errors, srv);
    http_router_add(r, "POST", "/api/errors/{id}/retry", retry_error, srv);
    http_router_add(r, "GET", "/api/conflicts", list_conflicts, srv);
}
