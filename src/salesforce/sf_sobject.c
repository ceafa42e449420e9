/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Single-record retrieve and the sObject Collections writes, with the
 * checks of their request bodies and per-record results.
 */
#include "base/common.h"

#include "salesforce/sf_sobject.h"

#include <strings.h>

#include "base/buf.h"
#include "salesforce/sf_soql.h"

#define COLLECTIONS_PATH "/composite/sobjects"

static void error_release(struct sf_sobject_error *e)
{
    free(e->message);
    for (size_t i = 0; i < e->field_count; i++)
        free(e->fields[i]);
    free(e->fields);
}

void sf_sobject_results_release(struct sf_sobject_results *results)
{
    for (size_t i = 0; i < results->count; i++) {
        struct sf_sobject_result *r = &results->items[i];

        for (size_t j = 0; j < r->error_count; j++)
            error_release(&r->errors[j]);
        free(r->errors);
    }
    free(results->items);
    memset(results, 0, sizeof(*results));
}

static int check_name(const char *label, const char *name, struct err *err)
{
    if (sf_soql_ident_valid(name))
        return 0;
    return err_set(err, SYNC_EINVALID,
                   "invalid %s name '%.60s': use an API name such as "
                   "'Contact'",
                   label, name ? name : "(null)");
}

static int check_id(const char *id, char out[SFID_SIZE], struct err *err)
{
    if (id && sfid_to18(id, out) == 0)
        return 0;
    return err_set(err, SYNC_EINVALID,
                   "invalid record id '%.20s': expected 15 or 18 letters "
                   "and digits",
                   id ? id : "(null)");
}

int sf_sobject_retrieve(struct sf_client *c, const char *type, const char *id,
                        const char *const *fields, json_t **out,
                        struct err *err)
{
    struct sf_client_request req = {.method = "GET"};
    char id18[SFID_SIZE];
    struct buf path;
    int rc;

    *out = NULL;
    if ((rc = check_name("object", type, err)) < 0 ||
        (rc = check_id(id, id18, err)) < 0)
        return rc;
    for (size_t i = 0; fields && fields[i]; i++)
        if ((rc = check_name("field", fields[i], err)) < 0)
            return rc;
    buf_init(&path, 0);
    buf_printf(&path, "/sobjects/%s/%s", type, id18);
    for (size_t i = 0; fields && fields[i]; i++)
        buf_printf(&path, "%s%s", i ? "," : "?fields=", fields[i]);
    req.path = path.data;
    rc = sf_client_send(c, &req, NULL, out, err);
    if (rc == 0 && !json_is_object(*out)) {
        rc = err_set(err, SYNC_EINVALID,
                     "retrieve of %s '%s' did not return a JSON object", type,
                     id18);
        json_decref(*out);
        *out = NULL;
    }
    buf_release(&path);
    return rc;
}

/* The value of key in obj, compared ignoring case as Salesforce does. */
static json_t *get_nocase(json_t *obj, const char *key)
{
    const char *k;
    json_t *v;

    json_object_foreach(obj, k, v)
    {
        if (strcasecmp(k, key) == 0)
            return v;
    }
    return NULL;
}

/*
 * Build {"allOrNone":false,"records":[...]} from copies of records with
 * attributes.type set. key, when not NULL, is a field each record must
 * hold with a non-null value; for "Id" it must be a record id.
 */
static int build_body(const char *type, json_t *records, const char *key,
                      json_t **out, struct err *err)
{
    size_t n = json_array_size(records), i;
    json_t *list, *record;
    char id18[SFID_SIZE];

    *out = NULL;
    if (!json_is_array(records) || n == 0 || n > SF_SOBJECT_COLLECTION_MAX)
        return err_set(err, SYNC_EINVALID,
                       "sObject Collections take 1 to %d records, got %zu",
                       SF_SOBJECT_COLLECTION_MAX, n);
    list = json_array();
    json_array_foreach(records, i, record)
    {
        json_t *value =
            json_is_object(record) && key ? get_nocase(record, key) : NULL;
        json_t *copy;

        if (!json_is_object(record) || (key && json_is_null(value)) ||
            (key && !value) ||
            (key && strcmp(key, "Id") == 0 &&
             check_id(json_string_value(value), id18, NULL) < 0)) {
            json_decref(list);
            return err_set(err, SYNC_EINVALID,
                           "record %zu of %zu is not an object%s%s", i, n,
                           key ? " with a valid " : "", key ? key : "");
        }
        copy = json_copy(record);
        json_object_set_new(copy, "attributes",
                            json_pack("{s:s}", "type", type));
        json_array_append_new(list, copy);
    }
    *out = json_pack("{s:b, s:o}", "allOrNone", 0, "records", list);
    return 0;
}

static char *copy_string(json_t *value)
{
    return xstrdup(json_is_string(value) ? json_string_value(value) : "");
}

static int parse_error_item(json_t *item, struct sf_sobject_error *e)
{
    json_t *fields = json_object_get(item, "fields");
    size_t i;
    json_t *f;

    if (!json_is_object(item) ||
        !json_is_string(json_object_get(item, "statusCode")))
        return -1;
    snprintf(e->status_code, sizeof(e->status_code), "%s",
             json_string_value(json_object_get(item, "statusCode")));
    e->message = copy_string(json_object_get(item, "message"));
    if (!json_is_array(fields))
        return 0;
    e->fields = xcalloc(json_array_size(fields) + 1, sizeof(*e->fields));
    json_array_foreach(fields, i, f)
    {
        e->fields[e->field_count++] = copy_string(f);
    }
    return 0;
}

static int parse_result(json_t *item, struct sf_sobject_result *r)
{
    json_t *success = json_object_get(item, "success");
    json_t *id = json_object_get(item, "id");
    json_t *created = json_object_get(item, "created");
    json_t *errors = json_object_get(item, "errors");
    size_t i;
    json_t *e;

    if (!json_is_object(item) || !json_is_boolean(success) ||
        (id && !json_is_null(id) && !json_is_string(id)) ||
        (errors && !json_is_array(errors)))
        return -1;
    r->success = json_is_true(success);
    r->created = json_is_boolean(created) ? json_is_true(created) : -1;
    if (json_is_string(id) && sfid_to18(json_string_value(id), r->id) < 0)
        return -1;
    if (!errors || json_array_size(errors) == 0)
        return r->success ? 0 : -1;
    r->errors = xcalloc(json_array_size(errors), sizeof(*r->errors));
    json_array_foreach(errors, i, e)
    {
        if (parse_error_item(e, &r->errors[r->error_count]) < 0)
            return -1;
        r->error_count++;
    }
    return 0;
}

/* Fill out from a Collections reply that must hold expected results. */
static int parse_results(json_t *doc, size_t expected, const char *label,
                         struct sf_sobject_results *out, struct err *err)
{
    size_t i;
    json_t *item;

    if (!json_is_array(doc) || json_array_size(doc) != expected)
        return err_set(err, SYNC_EINVALID,
                       "%s returned %zu results for %zu records, expected "
                       "one per record",
                       label, json_is_array(doc) ? json_array_size(doc) : 0,
                       expected);
    out->items = xcalloc(expected, sizeof(*out->items));
    out->count = expected;
    json_array_foreach(doc, i, item)
    {
        if (parse_result(item, &out->items[i]) < 0) {
            sf_sobject_results_release(out);
            return err_set(err, SYNC_EINVALID,
                           "%s result %zu is not {id, success, errors:"
                           "[{statusCode, message, fields}]}",
                           label, i);
        }
        if (!out->items[i].success)
            out->failed++;
    }
    return 0;
}

/* Send one Collections request and parse its results. */
static int collection_call(struct sf_client *c, const char *method,
                           const char *path, json_t *body, unsigned flags,
                           size_t expected, struct sf_sobject_results *out,
                           struct err *err)
{
    struct sf_client_request req = {
        .method = method,
        .path = path,
        .body = body,
        .flags = flags,
    };
    char label[96];
    json_t *doc = NULL;
    int rc;

    snprintf(label, sizeof(label), "%s %s", method, COLLECTIONS_PATH);
    rc = sf_client_send(c, &req, NULL, &doc, err);
    if (rc == 0)
        rc = parse_results(doc, expected, label, out, err);
    json_decref(doc);
    return rc;
}

/* The shared steps of create, update and upsert. */
static int write_many(struct sf_client *c, const char *method, const char *path,
                      const char *type, const char *key, json_t *records,
                      unsigned flags, struct sf_sobject_results *out,
                      struct err *err)
{
    json_t *body = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = check_name("object", type, err)) < 0 ||
        (rc = build_body(type, records, key, &body, err)) < 0)
        return rc;
    rc = collection_call(c, method, path, body, flags, json_array_size(records),
                         out, err);
    json_decref(body);
    return rc;
}

int sf_sobject_create_many(struct sf_client *c, const char *type,
                           json_t *records, struct sf_sobject_results *out,
                           struct err *err)
{
    return write_many(c, "POST", COLLECTIONS_PATH, type, NULL, records, 0, out,
                      err);
}

int sf_sobject_update_many(struct sf_client *c, const char *type,
                           json_t *records, struct sf_sobject_results *out,
                           struct err *err)
{
    return write_many(c, "PATCH", COLLECTIONS_PATH, type, "Id", records,
                      SF_HTTP_REPEATABLE, out, err);
}

int sf_sobject_upsert_many(struct sf_client *c, const char *type,
                           const char *ext_id_field, json_t *records,
                           struct sf_sobject_results *out, struct err *err)
{
    char *path;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = check_name("object", type, err)) < 0 ||
        (rc = check_name("external id field", ext_id_field, err)) < 0)
        return rc;
    path = xasprintf(COLLECTIONS_PATH "/%s/%s", type, ext_id_field);
    rc = write_many(c, "PATCH", path, type, ext_id_field, records,
                    SF_HTTP_REPEATABLE, out, err);
    free(path);
    return rc;
}

int sf_sobject_delete_many(struct sf_client *c, const char *const *ids,
                           size_t n, struct sf_sobject_results *out,
                           struct err *err)
{
    char id18[SFID_SIZE];
    struct buf path;
    int rc;

    memset(out, 0, sizeof(*out));
    if (n == 0 || n > SF_SOBJECT_COLLECTION_MAX)
        return err_set(err, SYNC_EINVALID,
                       "sObject Collections take 1 to %d ids, got %zu",
                       SF_SOBJECT_COLLECTION_MAX, n);
    buf_init(&path, 0);
    buf_puts(&path, COLLECTIONS_PATH "?ids=");
    for (size_t i = 0; i < n; i++) {
        if ((rc = check_id(ids[i], id18, err)) < 0)
            goto out;
        buf_printf(&path, "%s%s", i ? "," : "", id18);
    }
    buf_puts(&path, "&allOrNone=false");
    rc = collection_call(c, "DELETE", path.data, NULL, 0, n, out, err);

out:
    buf_release(&path);
    return rc;
}
