/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The sObject REST resources: global and per-object describe, record
 * create, read, update and delete, upsert and retrieval by external id, and
 * the replication resources (updated and deleted). Validation and storage
 * of the records themselves is in record.c.
 */
#include "base/common.h"

#include <strings.h>

#include "base/datetime.h"
#include "sim.h"

#define SOBJECTS "/services/data/{version}/sobjects"

#define MINUTE_MS 60000LL
#define DAY_MS 86400000LL

/* getUpdated and getDeleted cover the last 30 days only. */
#define REPLICATION_DAYS 30

/* Salesforce lists at most this many recent items per object. */
#define RECENT_ITEMS 10

/* getUpdated and getDeleted return at most this many ids. */
#define REPLICATION_MAX_IDS 600000

static bool is_read(const struct http_req *req)
{
    return strcmp(req->method, "GET") == 0 ||
           strcmp(req->method, "HEAD") == 0;
}

static bool is_method(const struct http_req *req, const char *method)
{
    return strcmp(req->method, method) == 0;
}

static int reply_bad_method(struct http_req *req, struct http_resp *resp,
                            const char *allowed)
{
    sim_reply_error(resp, 405, "METHOD_NOT_ALLOWED",
                    "HTTP Method '%s' not allowed. Allowed are %s",
                    req->method, allowed);
    return 0;
}

static void reply_not_found(struct http_resp *resp)
{
    sim_reply_error(resp, 404, "NOT_FOUND",
                    "The requested resource does not exist");
}

static void reply_no_external_field(struct http_resp *resp, const char *name)
{
    sim_reply_error(resp, 404, "NOT_FOUND",
                    "Provided external ID field does not exist or is not "
                    "accessible: %s",
                    name);
}

/* Reply with the errors of a rejected write: 404 for a record in the
 * recycle bin, else 400. */
static void reply_errors(struct http_resp *resp,
                         const struct sim_errors *errs)
{
    const char *code = errs->count ? errs->items[0].code : "";
    int status = strcmp(code, "ENTITY_IS_DELETED") == 0 ? 404 : 400;

    log_debug("sim", "write rejected", "status=%d code=%s", status, code);
    http_resp_json(resp, status, sim_errors_rest_json(errs));
}

static void reply_no_content(struct http_resp *resp)
{
    resp->status = 204;
    buf_reset(&resp->body);
}

static struct sim_object *find_object(struct sim_org *org, const char *name,
                                      struct http_resp *resp)
{
    struct sim_object *obj = sim_org_object(org, name);

    if (!obj)
        reply_not_found(resp);
    return obj;
}

/* Split "a,b" into a JSON array of its non-empty items. */
static json_t *split_list(const char *csv)
{
    json_t *arr = json_array();

    while (*csv) {
        size_t len = strcspn(csv, ",");

        if (len)
            json_array_append_new(arr, json_stringn(csv, len));
        csv += len;
        if (*csv == ',')
            csv++;
    }
    return arr;
}

static char *record_url(const struct sim_record *rec, const char *version)
{
    return xasprintf("/services/data/v%s/sobjects/%s/%s", version,
                     rec->obj->name, rec->id);
}

/* Reply 200 with rec, limited to the ?fields= list when there is one. */
static int reply_record(struct http_req *req, struct http_resp *resp,
                        const struct sim_record *rec, const char *version)
{
    const char *list = http_req_query(req, "fields");
    const struct sim_field **fields = NULL;
    struct sim_errors errs = {0};
    size_t n = 0;

    if (list && *list) {
        json_t *names = split_list(list);

        fields = sim_record_select(rec->obj, names, &n, &errs);
        json_decref(names);
        if (!fields) {
            http_resp_json(resp, 400, sim_errors_rest_json(&errs));
            return 0;
        }
    }
    http_resp_json(resp, 200, sim_record_json(rec, version, fields, n));
    free(fields);
    return 0;
}

/* ---- describe ---- */

static json_t *object_urls(const struct sim_object *obj, const char *version)
{
    char *base = xasprintf("/services/data/v%s/sobjects/%s", version,
                           obj->name);
    char *describe = xasprintf("%s/describe", base);
    char *row = xasprintf("%s/{ID}", base);
    json_t *urls = json_pack("{s:s, s:s, s:s}", "rowTemplate", row,
                             "describe", describe, "sobject", base);

    free(base);
    free(describe);
    free(row);
    return urls;
}

/* The describe summary of obj that the global describe lists. */
static json_t *object_summary(const struct sim_object *obj,
                              const char *version)
{
    static const char *const keys[] = {
        "activateable", "createable",    "custom",        "customSetting",
        "deletable",    "deprecatedAndHidden", "feedEnabled",
        "hasSubtypes",  "isSubtype",     "keyPrefix",     "label",
        "labelPlural",  "layoutable",    "mergeable",     "mruEnabled",
        "name",         "queryable",     "replicateable", "retrieveable",
        "searchable",   "triggerable",   "undeletable",   "updateable"};
    json_t *o = json_object();

    for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
        json_t *v = json_object_get(obj->describe, keys[i]);

        if (v)
            json_object_set(o, keys[i], v);
    }
    json_object_set_new(o, "urls", object_urls(obj, version));
    return o;
}

static int compare_objects(const void *a, const void *b)
{
    const struct sim_object *x = *(const struct sim_object *const *)a;
    const struct sim_object *y = *(const struct sim_object *const *)b;

    return strcmp(x->name, y->name);
}

static int sobjects_resource(struct http_req *req, struct http_resp *resp,
                             void *payload)
{
    struct sim_call *call = req->user_data;
    struct sim_org *org = call->org;
    struct sim_object **sorted;
    json_t *list = json_array();

    (void)payload;
    if (!is_read(req)) {
        json_decref(list);
        return reply_bad_method(req, resp, "HEAD,GET");
    }
    sorted = xcalloc(org->nobjects + 1, sizeof(*sorted));
    memcpy(sorted, org->objects, org->nobjects * sizeof(*sorted));
    qsort(sorted, org->nobjects, sizeof(*sorted), compare_objects);
    for (size_t i = 0; i < org->nobjects; i++)
        json_array_append_new(list, object_summary(sorted[i], call->version));
    free(sorted);
    http_resp_json(resp, 200,
                   json_pack("{s:s, s:i, s:o}", "encoding", "UTF-8",
                             "maxBatchSize", 200, "sobjects", list));
    return 0;
}

static int compare_recent(const void *a, const void *b)
{
    const struct sim_record *x = *(const struct sim_record *const *)a;
    const struct sim_record *y = *(const struct sim_record *const *)b;

    if (x->modstamp_ms != y->modstamp_ms)
        return x->modstamp_ms < y->modstamp_ms ? 1 : -1;
    return x->seq < y->seq ? 1 : -1;
}

/*
 * The most recently written live records of obj, newest first.
 * NOTE: Salesforce lists the records the user viewed recently; sfsim has
 * no views, so it lists recent writes instead.
 */
static json_t *recent_items(const struct sim_object *obj, const char *version)
{
    struct sim_record **live = xcalloc(obj->nrecords + 1, sizeof(*live));
    json_t *items = json_array();
    size_t n = 0;

    for (size_t i = 0; i < obj->nrecords; i++)
        if (!obj->records[i]->deleted_ms)
            live[n++] = obj->records[i];
    qsort(live, n, sizeof(*live), compare_recent);
    for (size_t i = 0; i < n && i < RECENT_ITEMS; i++) {
        json_t *item = json_object();

        json_object_set_new(item, "attributes",
                            sim_record_attributes(live[i], version));
        json_object_set_new(item, "Id", json_string(live[i]->id));
        if (obj->f_name >= 0)
            json_object_set_new(item, "Name",
                                sim_record_json_value(live[i],
                                                      (size_t)obj->f_name));
        json_array_append_new(items, item);
    }
    free(live);
    return items;
}

static int describe_resource(struct http_req *req, struct http_resp *resp,
                             void *payload)
{
    struct sim_call *call = req->user_data;
    struct sim_object *obj = find_object(call->org, req->params[1], resp);

    (void)payload;
    if (!obj)
        return 0;
    if (!is_read(req))
        return reply_bad_method(req, resp, "HEAD,GET");
    http_resp_json(resp, 200,
                   sim_object_describe(call->org, obj, call->version));
    return 0;
}

/* ---- create, read, update, delete ---- */

/* Create a record from the body; the upsert forms add "created". */
static int create_record(struct http_req *req, struct http_resp *resp,
                         struct sim_object *obj, json_t *extra,
                         bool with_created)
{
    struct sim_call *call = req->user_data;
    struct sim_errors errs = {0};
    struct sim_record *rec;
    json_t *body = extra ? json_incref(extra) : sim_request_json(req, resp);
    json_t *result;

    if (!body)
        return 0;
    if (sim_record_create(call->org, obj, body, call->user, 0, &rec,
                          &errs) < 0) {
        reply_errors(resp, &errs);
        json_decref(body);
        return 0;
    }
    json_decref(body);
    result = json_pack("{s:s, s:b, s:[]}", "id", rec->id, "success", 1,
                       "errors");
    if (with_created)
        json_object_set_new(result, "created", json_true());
    http_resp_json(resp, 201, result);
    log_debug("sim", "record created", "object=%s id=%s", obj->name,
              rec->id);
    return 0;
}

static int object_resource(struct http_req *req, struct http_resp *resp,
                           void *payload)
{
    struct sim_call *call = req->user_data;
    struct sim_object *obj = find_object(call->org, req->params[1], resp);

    (void)payload;
    if (!obj)
        return 0;
    if (is_method(req, "POST"))
        return create_record(req, resp, obj, NULL, false);
    if (!is_read(req))
        return reply_bad_method(req, resp, "HEAD,GET,POST");
    http_resp_json(resp, 200,
                   json_pack("{s:o, s:o}", "objectDescribe",
                             object_summary(obj, call->version),
                             "recentItems",
                             recent_items(obj, call->version)));
    return 0;
}

/*
 * The live record of obj with the id in the path, or NULL after a 404. A
 * segment that is not an id of obj is read as an external id field name,
 * as Salesforce does, hence the wording of that error.
 */
static struct sim_record *find_record(struct sim_object *obj, const char *id,
                                      struct http_resp *resp)
{
    struct sim_record *rec;
    char id18[19];

    if (sim_id_to18(id, id18) < 0 ||
        strncmp(id18, obj->key_prefix, 3) != 0) {
        reply_no_external_field(resp, id);
        return NULL;
    }
    rec = hmap_get(&obj->by_id, id18);
    if (!rec) {
        reply_not_found(resp);
        return NULL;
    }
    if (rec->deleted_ms) {
        sim_reply_error(resp, 404, "ENTITY_IS_DELETED", "entity is deleted");
        return NULL;
    }
    return rec;
}

static int update_record(struct http_req *req, struct http_resp *resp,
                         struct sim_record *rec)
{
    struct sim_call *call = req->user_data;
    struct sim_errors errs = {0};
    json_t *body = sim_request_json(req, resp);

    if (!body)
        return 0;
    if (sim_record_update(call->org, rec, body, call->user, 0, &errs) < 0)
        reply_errors(resp, &errs);
    else
        reply_no_content(resp);
    json_decref(body);
    return 0;
}

static int delete_record(struct http_req *req, struct http_resp *resp,
                         struct sim_record *rec)
{
    struct sim_call *call = req->user_data;
    struct sim_errors errs = {0};

    if (sim_record_delete(call->org, rec, call->user, &errs) < 0) {
        reply_errors(resp, &errs);
        return 0;
    }
    reply_no_content(resp);
    log_debug("sim", "record deleted", "object=%s id=%s", rec->obj->name,
              rec->id);
    return 0;
}

static int record_resource(struct http_req *req, struct http_resp *resp,
                           void *payload)
{
    struct sim_call *call = req->user_data;
    struct sim_object *obj = find_object(call->org, req->params[1], resp);
    const char *id = req->params[2];
    struct sim_record *rec;

    (void)payload;
    if (!obj)
        return 0;
    /* POST to .../sobjects/Contact/Id is an upsert on Id with no value,
     * which always inserts (API 37.0 and later). */
    if (is_method(req, "POST") && strcasecmp(id, "Id") == 0)
        return create_record(req, resp, obj, NULL, true);
    if (!is_read(req) && !is_method(req, "PATCH") &&
        !is_method(req, "DELETE"))
        return reply_bad_method(req, resp, "HEAD,GET,PATCH,DELETE");
    rec = find_record(obj, id, resp);
    if (!rec)
        return 0;
    if (is_method(req, "PATCH"))
        return update_record(req, resp, rec);
    if (is_method(req, "DELETE"))
        return delete_record(req, resp, rec);
    return reply_record(req, resp, rec, call->version);
}

/* ---- external ids ---- */

/* Every live record of obj whose f matches value; the caller frees it. */
static struct sim_record **match_all(const struct sim_object *obj,
                                     const struct sim_field *f,
                                     const char *value, size_t *n)
{
    struct sim_record **found;

    *n = sim_record_lookup(obj, f, value, NULL, 0);
    found = xcalloc(*n + 1, sizeof(*found));
    sim_record_lookup(obj, f, value, found, *n);
    return found;
}

/* Reply 300 with the URLs of several matching records. */
static void reply_choices(struct http_resp *resp, struct sim_record **found,
                          size_t n, const char *version)
{
    json_t *urls = json_array();

    for (size_t i = 0; i < n; i++) {
        char *url = record_url(found[i], version);

        json_array_append_new(urls, json_string(url));
        free(url);
    }
    http_resp_json(resp, 300, urls);
}

/* The key of body that names f in any case, or NULL. */
static const char *body_key(json_t *body, const struct sim_field *f)
{
    const char *key;
    json_t *v;

    json_object_foreach(body, key, v)
    {
        if (strcasecmp(key, f->name) == 0)
            return key;
    }
    return NULL;
}

/* Whether the external id in the body equals the one in the URL. */
static bool same_external_value(json_t *v, const char *value)
{
    char *text;
    bool same;

    if (json_is_string(v))
        return sim_utf8_casecmp(json_string_value(v), value) == 0;
    if (!json_is_number(v))
        return false;
    text = json_is_integer(v)
               ? xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v))
               : xasprintf("%.17g", json_real_value(v));
    same = strcmp(text, value) == 0;
    free(text);
    return same;
}

static void reply_upsert_updated(struct http_resp *resp,
                                 const struct sim_org *org,
                                 const struct sim_record *rec)
{
    /* Older API versions reply to an update through upsert with 204 and
     * no body; --upsert-update-status 204 selects that. */
    if (org->cfg.upsert_update_status == 204) {
        reply_no_content(resp);
        return;
    }
    http_resp_json(resp, 200,
                   json_pack("{s:s, s:b, s:[], s:b}", "id", rec->id,
                             "success", 1, "errors", "created", 0));
}

static int upsert_matched(struct http_req *req, struct http_resp *resp,
                          struct sim_record *rec, json_t *body)
{
    struct sim_call *call = req->user_data;
    struct sim_errors errs = {0};

    if (sim_record_update(call->org, rec, body, call->user, 0, &errs) < 0)
        reply_errors(resp, &errs);
    else
        reply_upsert_updated(resp, call->org, rec);
    return 0;
}

static int upsert(struct http_req *req, struct http_resp *resp,
                  struct sim_object *obj, const struct sim_field *f,
                  const char *value)
{
    struct sim_call *call = req->user_data;
    const char *update_only = http_req_query(req, "updateOnly");
    struct sim_errors errs = {0};
    struct sim_record **found = NULL;
    json_t *body = sim_request_json(req, resp);
    const char *key;
    size_t n;

    if (!body)
        return 0;
    if (!json_is_object(body)) {
        sim_record_validate(call->org, obj, NULL, body, 0, &errs);
        reply_errors(resp, &errs);
        goto out;
    }
    key = body_key(body, f);
    if (key && !same_external_value(json_object_get(body, key), value)) {
        /* NOTE: Salesforce rejects a differing external id in the body;
         * the code is confirmed, this wording is sfsim's own. */
        sim_reply_error(resp, 400, "INVALID_FIELD",
                        "The value of %s in the request body does not "
                        "match the value in the URL: %s",
                        f->name, value);
        goto out;
    }
    found = match_all(obj, f, value, &n);
    if (n > 1) {
        reply_choices(resp, found, n, call->version);
    } else if (n == 1) {
        upsert_matched(req, resp, found[0], body);
    } else if ((update_only && strcasecmp(update_only, "true") == 0) ||
               (int)f->index == obj->f_id) {
        reply_not_found(resp);
    } else {
        if (key)
            json_object_del(body, key);
        json_object_set_new(body, f->name, json_string(value));
        create_record(req, resp, obj, body, true);
    }
out:
    free(found);
    json_decref(body);
    return 0;
}

/* GET or DELETE of the one record that an external id names. */
static int act_on_external(struct http_req *req, struct http_resp *resp,
                           struct sim_object *obj, const struct sim_field *f,
                           const char *value)
{
    struct sim_call *call = req->user_data;
    size_t n;
    struct sim_record **found = match_all(obj, f, value, &n);

    if (n > 1)
        reply_choices(resp, found, n, call->version);
    else if (n == 0)
        reply_not_found(resp);
    else if (is_method(req, "DELETE"))
        delete_record(req, resp, found[0]);
    else
        reply_record(req, resp, found[0], call->version);
    free(found);
    return 0;
}

static int external_resource(struct http_req *req, struct http_resp *resp,
                             void *payload)
{
    struct sim_call *call = req->user_data;
    struct sim_object *obj = find_object(call->org, req->params[1], resp);
    const struct sim_field *f;

    (void)payload;
    if (!obj)
        return 0;
    f = sim_object_field(obj, req->params[2]);
    if (!f || !(f->external_id || f->id_lookup)) {
        reply_no_external_field(resp, req->params[2]);
        return 0;
    }
    if (is_method(req, "PATCH") || is_method(req, "POST"))
        return upsert(req, resp, obj, f, req->params[3]);
    if (is_read(req) || is_method(req, "DELETE"))
        return act_on_external(req, resp, obj, f, req->params[3]);
    return reply_bad_method(req, resp, "HEAD,GET,PATCH,DELETE,POST");
}

/* ---- replication: updated and deleted ---- */

static int64_t floor_minute(int64_t ms)
{
    return ms >= 0 ? ms / MINUTE_MS * MINUTE_MS
                   : -((-ms + MINUTE_MS - 1) / MINUTE_MS) * MINUTE_MS;
}

/*
 * Parse a start or end argument. A '+' of the zone may arrive as a space
 * when a client sends it unescaped in the query string.
 */
static int parse_replication_date(const char *text, int64_t *out)
{
    char *copy = xstrdup(text);
    char *space = strchr(copy, ' ');
    int rc;

    if (space && space > copy + 18)
        *space = '+';
    rc = datetime_parse(copy, out, NULL);
    free(copy);
    return rc;
}

/* Read and check the start and end arguments; on failure reply 400. */
static int read_window(struct http_req *req, struct http_resp *resp,
                       int64_t *start, int64_t *end)
{
    const char *names[2] = {"start", "end"};
    int64_t *outs[2] = {start, end};
    int64_t now = datetime_now_ms();

    for (int i = 0; i < 2; i++) {
        const char *text = http_req_query(req, names[i]);

        if (!text) {
            sim_reply_error(resp, 400, "MISSING_ARGUMENT",
                            "Missing required argument: %s", names[i]);
            return -1;
        }
        if (parse_replication_date(text, outs[i]) < 0) {
            /* NOTE: the code Salesforce gives for an unparsable date here
             * is unconfirmed. */
            sim_reply_error(resp, 400, "INVALID_REPLICATION_DATE",
                            "Invalid %s date: %s; expected an ISO 8601 "
                            "datetime such as 2024-05-01T00:00:00+00:00",
                            names[i], text);
            return -1;
        }
        *outs[i] = floor_minute(*outs[i]);
    }
    if (*start >= *end) {
        sim_reply_error(resp, 400, "INVALID_REPLICATION_DATE",
                        "startDate must chronologically precede endDate by "
                        "more than one minute");
        return -1;
    }
    if (*start < now - REPLICATION_DAYS * DAY_MS) {
        sim_reply_error(resp, 400, "INVALID_REPLICATION_DATE",
                        "startDate cannot be more than %d days ago",
                        REPLICATION_DAYS);
        return -1;
    }
    return 0;
}

/*
 * The end of the window that Salesforce guarantees complete: never past
 * now, and behind writes that commit late (the late-commit fault), whose
 * SystemModstamp lies in the past when they become visible.
 */
static int64_t latest_covered(const struct sim_org *org, int64_t start,
                              int64_t end)
{
    int64_t safe = datetime_now_ms() -
                   (int64_t)org->faults.late_commit_seconds * 1000;
    int64_t latest = floor_minute(end < safe ? end : safe);

    return latest < start ? start : latest;
}

static json_t *format_date_json(int64_t ms)
{
    char text[DATETIME_LEN];

    /* Salesforce datetimes have whole seconds. */
    datetime_format_sf(ms - ((ms % 1000) + 1000) % 1000, text);
    return json_string(text);
}

static int updated_resource(struct http_req *req, struct http_resp *resp,
                            void *payload)
{
    struct sim_call *call = req->user_data;
    struct sim_object *obj = find_object(call->org, req->params[1], resp);
    int64_t start, end;
    json_t *ids;

    (void)payload;
    if (!obj)
        return 0;
    if (!is_read(req))
        return reply_bad_method(req, resp, "HEAD,GET");
    if (read_window(req, resp, &start, &end) < 0)
        return 0;
    ids = json_array();
    for (size_t i = 0; i < obj->nrecords; i++) {
        const struct sim_record *rec = obj->records[i];

        if (!rec->deleted_ms && rec->modstamp_ms >= start &&
            rec->modstamp_ms < end)
            json_array_append_new(ids, json_string(rec->id));
    }
    if (json_array_size(ids) > REPLICATION_MAX_IDS) {
        json_decref(ids);
        sim_reply_error(resp, 400, "EXCEEDED_ID_LIMIT",
                        "more than %d ids match; narrow the window",
                        REPLICATION_MAX_IDS);
        return 0;
    }
    http_resp_json(resp, 200,
                   json_pack("{s:o, s:o}", "ids", ids, "latestDateCovered",
                             format_date_json(
                                 latest_covered(call->org, start, end))));
    return 0;
}

static int deleted_resource(struct http_req *req, struct http_resp *resp,
                            void *payload)
{
    struct sim_call *call = req->user_data;
    struct sim_object *obj = find_object(call->org, req->params[1], resp);
    int64_t start, end, earliest;
    json_t *deleted;

    (void)payload;
    if (!obj)
        return 0;
    if (!is_read(req))
        return reply_bad_method(req, resp, "HEAD,GET");
    if (read_window(req, resp, &start, &end) < 0)
        return 0;
    /* sfsim never purges the recycle bin, so every deletion since the
     * oldest one (or the whole 30-day horizon) is still available. */
    earliest = floor_minute(datetime_now_ms() - REPLICATION_DAYS * DAY_MS);
    deleted = json_array();
    for (size_t i = 0; i < obj->nrecords; i++) {
        const struct sim_record *rec = obj->records[i];

        if (!rec->deleted_ms)
            continue;
        if (floor_minute(rec->deleted_ms) < earliest)
            earliest = floor_minute(rec->deleted_ms);
        if (rec->deleted_ms >= start && rec->deleted_ms < end)
            json_array_append_new(
                deleted, json_pack("{s:s, s:o}", "id", rec->id,
                                   "deletedDate",
                                   format_date_json(rec->deleted_ms)));
    }
    http_resp_json(resp, 200,
                   json_pack("{s:o, s:o, s:o}", "deletedRecords", deleted,
                             "earliestDateAvailable",
                             format_date_json(earliest), "latestDateCovered",
                             format_date_json(
                                 latest_covered(call->org, start, end))));
    return 0;
}

void sim_rest_routes(struct http_router *r)
{
    /* Each resource checks the method itself, so that a wrong one gets
     * Salesforce's 405 with the list of allowed methods. The literal
     * resources come before the record id patterns that would match them. */
    http_router_add(r, NULL, SOBJECTS, sobjects_resource, NULL);
    http_router_add(r, NULL, SOBJECTS "/{object}", object_resource, NULL);
    http_router_add(r, NULL, SOBJECTS "/{object}/describe",
                    describe_resource, NULL);
    http_router_add(r, NULL, SOBJECTS "/{object}/updated", updated_resource,
                    NULL);
    http_router_add(r, NULL, SOBJECTS "/{object}/deleted", deleted_resource,
                    NULL);
    http_router_add(r, NULL, SOBJECTS "/{object}/{id}", record_resource, NULL);
    http_router_add(r, NULL, SOBJECTS "/{object}/{field}/{value}",
                    external_resource, NULL);
}
