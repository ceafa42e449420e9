/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sObject Collections (/composite/sobjects): create, update, upsert and
 * delete of up to 200 records in one call, with allOrNone rollback, and
 * retrieval of up to 2000 records by id. The record rules themselves are in
 * record.c. Of the other composite resources only the list at /composite
 * is served: /composite requests, /composite/batch and /composite/tree are
 * not.
 */
#include "base/common.h"

#include <strings.h>

#include "sim.h"

#define COLLECTION "/services/data/{version}/composite/sobjects"

/* Salesforce's limits per call: records written and ids retrieved. */
#define COLLECTION_MAX 200
#define RETRIEVE_MAX 2000

enum batch_op { OP_CREATE, OP_UPDATE, OP_UPSERT, OP_DELETE };

/* One record of a collection request and its outcome. */
struct item {
    struct sim_object *obj;
    struct sim_record *rec; /* the record written, once known */
    json_t *fields;         /* owned: the values to write */
    char *key;              /* owned: the external id of an upsert */
    bool insert;            /* an upsert that creates */
    bool failed;
    struct sim_errors errs;
};

struct batch {
    struct sim_call *call;
    enum batch_op op;
    struct item *items;
    size_t n;
    bool all_or_none;
    const struct sim_field *key_field; /* upsert only */
};

static void batch_release(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        json_decref(b->items[i].fields);
        free(b->items[i].key);
    }
    free(b->items);
}

static void item_fail(struct item *it, const char *code, const char *field,
                      const char *message)
{
    sim_errors_add(&it->errs, code, field, "%s", message);
    it->failed = true;
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

static void reply_too_many(struct http_resp *resp, int max)
{
    sim_reply_error(resp, 400, "EXCEEDED_ID_LIMIT",
                    "record limit reached. cannot submit more than %d "
                    "records into this call",
                    max);
}

/* Split "a,b" into a JSON array of its non-empty items. An item that is
 * not valid UTF-8 is kept, repaired, so that every item gets a result. */
static json_t *split_list(const char *csv)
{
    json_t *arr = json_array();

    while (*csv) {
        size_t len = strcspn(csv, ",");

        if (len) {
            char *item = xstrndup(csv, len);
            char *repaired = sim_utf8_repair(item);

            json_array_append_new(arr, json_string(repaired));
            free(repaired);
            free(item);
        }
        csv += len;
        if (*csv == ',')
            csv++;
    }
    return arr;
}

/* The key of record that names field in any case, or NULL. */
static const char *find_key(json_t *record, const char *field)
{
    const char *key;
    json_t *v;

    json_object_foreach(record, key, v)
    {
        if (strcasecmp(key, field) == 0)
            return key;
    }
    return NULL;
}

/* Read the allOrNone flag of a body: absent or null is false, and anything
 * but a boolean is rejected with 400 as Salesforce's parser rejects it. */
static int read_all_or_none(json_t *v, bool *out, struct http_resp *resp)
{
    const char *token = json_is_string(v)    ? "VALUE_STRING"
                        : json_is_integer(v) ? "VALUE_NUMBER_INT"
                        : json_is_real(v)    ? "VALUE_NUMBER_FLOAT"
                        : json_is_array(v)   ? "START_ARRAY"
                                             : "START_OBJECT";
    char *text;

    *out = json_is_true(v);
    if (!v || json_is_null(v) || json_is_boolean(v))
        return 0;
    text = json_is_string(v) ? xstrdup(json_string_value(v))
           : json_is_number(v) ? json_dumps(v, JSON_ENCODE_ANY)
                               : xstrdup(json_is_array(v) ? "[" : "{");
    sim_reply_error(resp, 400, "JSON_PARSER_ERROR",
                    "Cannot deserialize instance of boolean from %s value "
                    "%s or request may be missing a required field",
                    token, text);
    free(text);
    return -1;
}

/*
 * Read {"allOrNone", "records"} into b with one item per record. Return
 * the records array (borrowed from *body), or NULL after replying 400.
 */
static json_t *read_records(struct http_req *req, struct http_resp *resp,
                            struct batch *b, json_t **body)
{
    json_t *records;
    size_t i;
    json_t *rec;

    *body = sim_request_json(req, resp);
    if (!*body)
        return NULL;
    records = json_object_get(*body, "records");
    if (!json_is_object(*body) || !json_is_array(records)) {
        sim_reply_error(resp, 400, "JSON_PARSER_ERROR",
                        "The request body must be an object with a "
                        "\"records\" array of sObjects");
        return NULL;
    }
    if (json_array_size(records) > COLLECTION_MAX) {
        reply_too_many(resp, COLLECTION_MAX);
        return NULL;
    }
    json_array_foreach(records, i, rec)
    {
        if (!json_is_object(rec)) {
            sim_reply_error(resp, 400, "JSON_PARSER_ERROR",
                            "Cannot deserialize instance of SObject from %s "
                            "value or request may be missing a required "
                            "field",
                            json_is_array(rec) ? "START_ARRAY"
                                               : "a scalar");
            return NULL;
        }
    }
    if (read_all_or_none(json_object_get(*body, "allOrNone"),
                         &b->all_or_none, resp) < 0)
        return NULL;
    b->n = json_array_size(records);
    b->items = xcalloc(b->n + 1, sizeof(*b->items));
    return records;
}

/* Resolve attributes.type of a record; fail the item when it is missing
 * or unknown. */
static struct sim_object *record_type(struct sim_org *org, json_t *record,
                                      struct item *it)
{
    json_t *attrs = json_object_get(record, "attributes");
    const char *type = json_string_value(json_object_get(attrs, "type"));
    struct sim_object *obj;

    if (!type) {
        /* NOTE: Salesforce's exact code and wording for a record without
         * attributes.type are unconfirmed. */
        item_fail(it, "INVALID_TYPE", NULL, "Must specify an object type");
        return NULL;
    }
    obj = sim_org_object(org, type);
    if (!obj)
        sim_errors_add(&it->errs, "INVALID_TYPE", NULL,
                       "sObject type '%s' is not supported.", type);
    it->failed = !obj;
    return obj;
}

static void prepare_create(struct batch *b, json_t *records)
{
    size_t i;
    json_t *record;

    json_array_foreach(records, i, record)
    {
        struct item *it = &b->items[i];

        it->obj = record_type(b->call->org, record, it);
        it->fields = json_incref(record);
    }
}

/* Find the live or deleted record named by id for an update of obj. */
static void resolve_target(struct item *it, const char *id)
{
    char id18[19];

    if (!id) {
        item_fail(it, "MISSING_ARGUMENT", NULL,
                  "Id not specified in an update call");
        return;
    }
    if (sim_id_to18(id, id18) < 0 ||
        strncmp(id18, it->obj->key_prefix, 3) != 0) {
        sim_errors_add(&it->errs, "MALFORMED_ID", "Id",
                       "%s ID: id value of incorrect type: %s",
                       it->obj->label, id);
        it->failed = true;
        return;
    }
    it->rec = hmap_get(&it->obj->by_id, id18);
    if (!it->rec)
        item_fail(it, "INVALID_CROSS_REFERENCE_KEY", "Id",
                  "invalid cross reference id");
}

static void prepare_update(struct batch *b, json_t *records)
{
    size_t i;
    json_t *record;

    json_array_foreach(records, i, record)
    {
        struct item *it = &b->items[i];
        const char *key = find_key(record, "Id");

        it->obj = record_type(b->call->org, record, it);
        it->fields = json_deep_copy(record);
        if (key)
            json_object_del(it->fields, key);
        if (!it->failed)
            resolve_target(it, key ? json_string_value(
                                         json_object_get(record, key))
                                   : NULL);
    }
}

/* The text of an external id value, or NULL for null, "" and values
 * that are not scalars. */
static char *key_text(json_t *v)
{
    if (json_is_string(v) && json_string_length(v) > 0)
        return xstrdup(json_string_value(v));
    if (json_is_boolean(v))
        return xstrdup(json_is_true(v) ? "true" : "false");
    if (json_is_integer(v))
        return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    if (json_is_real(v))
        return xasprintf("%.17g", json_real_value(v));
    return NULL;
}

/* Decide whether an upsert item inserts or updates, by its external id. */
static void match_upsert(struct batch *b, struct item *it, json_t *record)
{
    const struct sim_field *f = b->key_field;
    const char *key = find_key(record, f->name);
    json_t *v = key ? json_object_get(record, key) : NULL;
    struct sim_record *found[2];
    size_t n;

    it->key = key_text(v);
    if (!it->key && (int)f->index == it->obj->f_id) {
        it->insert = true;
        return;
    }
    if (!key) {
        sim_errors_add(&it->errs, "MISSING_ARGUMENT", f->name,
                       "%s not specified", f->name);
        it->failed = true;
        return;
    }
    if (json_is_object(v) || json_is_array(v)) {
        /* Validation rejects the value with Salesforce's parser error. */
        it->insert = true;
        return;
    }
    if (!it->key) {
        /* NOTE: Salesforce's reply to a null or empty external id in a
         * collection upsert is not recorded; sfsim fails the record. */
        sim_errors_add(&it->errs, "MISSING_ARGUMENT", f->name,
                       "%s is null or empty; give the value to match "
                       "records on",
                       f->name);
        it->failed = true;
        return;
    }
    n = sim_record_lookup(it->obj, f, it->key, found, 2);
    if (n > 1) {
        sim_errors_add(&it->errs, "DUPLICATE_EXTERNAL_ID", f->name,
                       "%s: more than one record found for external id "
                       "field: [%s, %s]",
                       f->label, found[0]->id, found[1]->id);
        it->failed = true;
    } else if (n == 1) {
        it->rec = found[0];
    } else if ((int)f->index == it->obj->f_id) {
        resolve_target(it, it->key);
    } else {
        it->insert = true;
    }
}

/* Fail every upsert item whose external id another item repeats. */
static void reject_repeated_keys(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];

        for (size_t j = 0; it->key && j < b->n; j++) {
            if (j == i || !b->items[j].key ||
                sim_utf8_casecmp(it->key, b->items[j].key) != 0)
                continue;
            it->errs.count = 0;
            sim_errors_add(&it->errs, "DUPLICATE_EXTERNAL_ID",
                           b->key_field->name,
                           "Duplicate external id specified: %s", it->key);
            it->failed = true;
            break;
        }
    }
}

static void prepare_upsert(struct batch *b, json_t *records,
                           struct sim_object *obj)
{
    size_t i;
    json_t *record;

    json_array_foreach(records, i, record)
    {
        struct item *it = &b->items[i];
        json_t *attrs = json_object_get(record, "attributes");
        const char *type = json_string_value(json_object_get(attrs, "type"));

        it->obj = obj;
        it->fields = json_incref(record);
        if (type && strcasecmp(type, obj->name) != 0) {
            sim_errors_add(&it->errs, "INVALID_TYPE", NULL,
                           "Record of type %s in an upsert of %s", type,
                           obj->name);
            it->failed = true;
            continue;
        }
        match_upsert(b, it, record);
    }
    reject_repeated_keys(b);
}

static void prepare_delete(struct batch *b, json_t *ids)
{
    size_t i;
    json_t *v;

    json_array_foreach(ids, i, v)
    {
        struct item *it = &b->items[i];
        const char *id = json_string_value(v);
        char id18[19];

        if (sim_id_to18(id, id18) < 0) {
            sim_errors_add(&it->errs, "MALFORMED_ID", NULL, "malformed id %s",
                           id);
            it->failed = true;
            continue;
        }
        /* An id that names no record gets INVALID_CROSS_REFERENCE_KEY,
         * one in the recycle bin ENTITY_IS_DELETED. */
        it->rec = sim_record_find(b->call->org, id18);
        if (!it->rec)
            item_fail(it, "INVALID_CROSS_REFERENCE_KEY", NULL,
                      "invalid cross reference id");
        else if (it->rec->deleted_ms)
            item_fail(it, "ENTITY_IS_DELETED", NULL, "entity is deleted");
    }
}

static bool creates(const struct batch *b, const struct item *it)
{
    return b->op == OP_CREATE || (b->op == OP_UPSERT && it->insert);
}

/*
 * Validate every item that is still good. Return the first item whose
 * body cannot be read at all (an unknown field or a value of the wrong
 * JSON type), which fails the whole request as it does on Salesforce, or
 * NULL.
 */
static struct item *validate_items(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        struct item *it = &b->items[i];
        const char *code;

        if (it->failed || b->op == OP_DELETE)
            continue;
        if (sim_record_validate(b->call->org, it->obj,
                                creates(b, it) ? NULL : it->rec, it->fields,
                                0, &it->errs) == 0)
            continue;
        it->failed = true;
        code = it->errs.items[0].code;
        if (strcmp(code, "INVALID_FIELD") == 0 ||
            strcmp(code, "JSON_PARSER_ERROR") == 0)
            return it;
    }
    return NULL;
}

static bool any_failed(const struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->items[i].failed)
            return true;
    return false;
}

/* With allOrNone, draw the lock fault for every record before writing. */
static void lock_items(struct batch *b)
{
    struct sim_org *org = b->call->org;

    for (size_t i = 0; i < b->n && !any_failed(b); i++) {
        struct item *it = &b->items[i];
        const char *id = creates(b, it) ? b->call->user->id : it->rec->id;

        it->failed = sim_record_lock(org, id, &it->errs) < 0;
    }
}

static void write_item(struct batch *b, struct item *it, unsigned flags)
{
    struct sim_org *org = b->call->org;
    const struct sim_user *user = b->call->user;
    int rc;

    /* A record that an earlier delete of this request took with it (a
     * Contact of a deleted Account) counts as deleted. */
    if (b->op == OP_DELETE && it->rec->deleted_ms)
        rc = 0;
    else if (b->op == OP_DELETE)
        rc = sim_record_delete(org, it->rec, user, &it->errs);
    else if (creates(b, it))
        rc = sim_record_create(org, it->obj, it->fields, user, flags,
                               &it->rec, &it->errs);
    else
        rc = sim_record_update(org, it->rec, it->fields, user, flags,
                               &it->errs);
    it->failed = rc < 0;
}

static void write_items(struct batch *b)
{
    struct sim_org *org = b->call->org;
    double lock_rate = org->faults.lock_rate;
    unsigned flags = b->all_or_none ? SIM_WRITE_LOCKED : 0;

    /* sim_record_delete takes no flags. With allOrNone the lock fault was
     * drawn for every record already, so it is off while they are written.
     * The org lock is held, so no other request runs meanwhile. */
    if (b->all_or_none)
        org->faults.lock_rate = 0;
    for (size_t i = 0; i < b->n; i++)
        if (!b->items[i].failed)
            write_item(b, &b->items[i], flags);
    org->faults.lock_rate = lock_rate;
}

static json_t *item_result(const struct batch *b, const struct item *it,
                           bool rolled_back)
{
    json_t *o = json_object();

    if (it->failed || rolled_back) {
        struct sim_errors rollback = {0};

        if (!it->failed)
            sim_errors_add(&rollback, "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                           NULL,
                           "Record rolled back because not all records were "
                           "valid and the request was using AllOrNone "
                           "header");
        /* Failed items carry no id, as in Salesforce's responses. */
        json_object_set_new(o, "success", json_false());
        json_object_set_new(o, "errors",
                            sim_errors_save_json(it->failed ? &it->errs
                                                            : &rollback));
    } else {
        json_object_set_new(o, "id", json_string(it->rec->id));
        json_object_set_new(o, "success", json_true());
        json_object_set_new(o, "errors", json_array());
    }
    if (b->op == OP_UPSERT)
        json_object_set_new(o, "created",
                            json_boolean(!it->failed && !rolled_back &&
                                         it->insert));
    return o;
}

/* Validate and write a prepared batch, then reply with its results. */
static int run_batch(struct batch *b, struct http_resp *resp)
{
    struct item *unreadable = validate_items(b);
    bool rolled_back = false;
    json_t *results;

    if (unreadable) {
        http_resp_json(resp, 400, sim_errors_rest_json(&unreadable->errs));
        return 0;
    }
    if (b->all_or_none)
        lock_items(b);
    if (b->all_or_none && any_failed(b))
        rolled_back = true;
    else
        write_items(b);
    results = json_array();
    for (size_t i = 0; i < b->n; i++)
        json_array_append_new(results,
                              item_result(b, &b->items[i], rolled_back));
    http_resp_json(resp, 200, results);
    log_debug("sim", "collection written", "records=%zu rolled_back=%d",
              b->n, rolled_back);
    return 0;
}

static int delete_collection(struct http_req *req, struct http_resp *resp,
                             struct batch *b)
{
    const char *list = http_req_query(req, "ids");
    const char *all = http_req_query(req, "allOrNone");
    json_t *ids;

    if (!list || !*list) {
        sim_reply_error(resp, 400, "MISSING_ARGUMENT",
                        "ids is required: give up to %d record ids, "
                        "separated by commas",
                        COLLECTION_MAX);
        return 0;
    }
    ids = split_list(list);
    if (json_array_size(ids) > COLLECTION_MAX) {
        json_decref(ids);
        reply_too_many(resp, COLLECTION_MAX);
        return 0;
    }
    if (all && strcasecmp(all, "true") != 0 && strcasecmp(all, "false") != 0) {
        json_decref(ids);
        sim_reply_error(resp, 400, "INVALID_PARAMETER_VALUE",
                        "allOrNone must be true or false, not '%s'", all);
        return 0;
    }
    b->all_or_none = all && strcasecmp(all, "true") == 0;
    b->n = json_array_size(ids);
    b->items = xcalloc(b->n + 1, sizeof(*b->items));
    prepare_delete(b, ids);
    json_decref(ids);
    return run_batch(b, resp);
}

static int collection_resource(struct http_req *req, struct http_resp *resp,
                               void *payload)
{
    struct batch b = {.call = req->user_data};
    json_t *body = NULL, *records;

    (void)payload;
    if (is_method(req, "DELETE")) {
        b.op = OP_DELETE;
        delete_collection(req, resp, &b);
        batch_release(&b);
        return 0;
    }
    if (!is_method(req, "POST") && !is_method(req, "PATCH"))
        return reply_bad_method(req, resp, "POST,PATCH,DELETE");
    records = read_records(req, resp, &b, &body);
    if (records) {
        b.op = is_method(req, "POST") ? OP_CREATE : OP_UPDATE;
        if (b.op == OP_CREATE)
            prepare_create(&b, records);
        else
            prepare_update(&b, records);
        run_batch(&b, resp);
    }
    batch_release(&b);
    json_decref(body);
    return 0;
}

static struct sim_object *find_object(struct sim_org *org, const char *name,
                                      struct http_resp *resp)
{
    struct sim_object *obj = sim_org_object(org, name);

    if (!obj)
        sim_reply_error(resp, 404, "NOT_FOUND",
                        "The requested resource does not exist");
    return obj;
}

static int upsert_resource(struct http_req *req, struct http_resp *resp,
                           void *payload)
{
    struct batch b = {.call = req->user_data, .op = OP_UPSERT};
    struct sim_object *obj = find_object(b.call->org, req->params[1], resp);
    json_t *body = NULL, *records;

    (void)payload;
    if (!obj)
        return 0;
    if (!is_method(req, "PATCH"))
        return reply_bad_method(req, resp, "PATCH");
    b.key_field = sim_object_field(obj, req->params[2]);
    if (!b.key_field ||
        !(b.key_field->external_id || b.key_field->id_lookup)) {
        sim_reply_error(resp, 404, "NOT_FOUND",
                        "Provided external ID field does not exist or is not "
                        "accessible: %s",
                        req->params[2]);
        return 0;
    }
    records = read_records(req, resp, &b, &body);
    if (records) {
        prepare_upsert(&b, records, obj);
        run_batch(&b, resp);
    }
    batch_release(&b);
    json_decref(body);
    return 0;
}

/* Reply with the records of obj that ids name, null for each id that
 * names no live record; names NULL or empty selects every field. */
static int retrieve(struct http_resp *resp, const struct sim_call *call,
                    const struct sim_object *obj, json_t *ids, json_t *names)
{
    const struct sim_field **fields = NULL;
    struct sim_errors errs = {0};
    json_t *out;
    size_t n = 0, i;
    json_t *v;

    if (json_array_size(ids) > RETRIEVE_MAX) {
        reply_too_many(resp, RETRIEVE_MAX);
        return 0;
    }
    if (json_array_size(names) > 0) {
        fields = sim_record_select(obj, names, &n, &errs);
        if (!fields) {
            http_resp_json(resp, 400, sim_errors_rest_json(&errs));
            return 0;
        }
    }
    out = json_array();
    json_array_foreach(ids, i, v)
    {
        struct sim_record *rec = sim_record_find(call->org,
                                                 json_string_value(v));

        if (rec && rec->obj == obj && !rec->deleted_ms)
            json_array_append_new(out, sim_record_json(rec, call->version,
                                                       fields, n));
        else
            json_array_append_new(out, json_null());
    }
    free(fields);
    http_resp_json(resp, 200, out);
    return 0;
}

static int retrieve_resource(struct http_req *req, struct http_resp *resp,
                             void *payload)
{
    struct sim_call *call = req->user_data;
    struct sim_object *obj = find_object(call->org, req->params[1], resp);
    json_t *body, *ids, *names;
    const char *list;

    (void)payload;
    if (!obj)
        return 0;
    if (is_method(req, "POST")) {
        body = sim_request_json(req, resp);
        if (!body)
            return 0;
        ids = json_object_get(body, "ids");
        names = json_object_get(body, "fields");
        if (!json_is_array(ids) || (names && !json_is_array(names)))
            sim_reply_error(resp, 400, "JSON_PARSER_ERROR",
                            "The request body must be an object with an "
                            "\"ids\" array and a \"fields\" array");
        else
            retrieve(resp, call, obj, ids, names);
        json_decref(body);
        return 0;
    }
    if (!is_method(req, "GET") && !is_method(req, "HEAD"))
        return reply_bad_method(req, resp, "HEAD,GET,POST");
    list = http_req_query(req, "ids");
    if (!list || !*list) {
        sim_reply_error(resp, 400, "MISSING_ARGUMENT",
                        "ids is required: give record ids separated by "
                        "commas");
        return 0;
    }
    ids = split_list(list);
    list = http_req_query(req, "fields");
    names = split_list(list ? list : "");
    retrieve(resp, call, obj, ids, names);
    json_decref(ids);
    json_decref(names);
    return 0;
}

/* GET /composite: the composite resources that sfsim serves. Salesforce
 * also lists batch, tree and graph, which sfsim does not serve. */
static int composite_resource(struct http_req *req, struct http_resp *resp,
                              void *payload)
{
    struct sim_call *call = req->user_data;
    char *url;

    (void)payload;
    if (!is_method(req, "GET") && !is_method(req, "HEAD"))
        return reply_bad_method(req, resp, "HEAD,GET");
    url = xasprintf("/services/data/v%s/composite/sobjects", call->version);
    http_resp_json(resp, 200, json_pack("{s:s}", "sobjects", url));
    free(url);
    return 0;
}

void sim_composite_routes(struct http_router *r)
{
    /* The resources check the method themselves so that a wrong one gets
     * Salesforce's 405 with the allowed list. */
    http_router_add(r, NULL, "/services/data/{version}/composite",
                    composite_resource, NULL);
    http_router_add(r, NULL, COLLECTION, collection_resource, NULL);
    http_router_add(r, NULL, COLLECTION "/{object}", retrieve_resource, NULL);
    http_router_add(r, NULL, COLLECTION "/{object}/{field}", upsert_resource,
                    NULL);
}
