/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The contact endpoints of sfsync serve. Every write goes through the
 * local-change functions of sync/changes.h, so it reaches the outbox, and
 * then wakes the sync thread.
 */
#include "base/common.h"

#include <errno.h>
#include <inttypes.h>

#include "base/sfid.h"
#include "serve_int.h"
#include "sync/changes.h"
#include "sync/pull.h"
#include "sync/settings.h"

/* Largest page of GET /api/contacts. */
#define PAGE_MAX STORE_LIST_MAX

/* Tries of a blind write that keeps losing version races to other writes;
 * each lost try means another write was committed, so a few suffice. */
#define BLIND_TRIES 50

/* The instance URL of the connection, kept after a disconnect; NULL when
 * none is known. */
static char *instance_url(struct serve *srv, struct store *s)
{
    char *url = NULL;

    if (store_setting_get(s, srv->ws, "connection.instance_url", &url,
                          NULL) < 0)
        return NULL;
    return url;
}

static json_t *contact_json(struct serve *srv, struct store *s,
                            const struct contact *c, const char *instance,
                            int64_t pending)
{
    json_t *obj = contact_to_json(c);
    struct store_link link;

    (void)srv;
    if (!obj)
        obj = json_pack("{s:I, s:I, s:s}", "id", (json_int_t)c->id,
                        "version", (json_int_t)c->version, "error",
                        "a stored value is not valid UTF-8");
    store_link_init(&link);
    if (store_link_get(s, c->workspace_id, c->id, &link, NULL) == 0) {
        char *url = instance ? pull_record_url(instance, link.object,
                                               link.sf_id)
                             : NULL;

        json_object_set_new(
            obj, "salesforce",
            json_pack("{s:s, s:s, s:o}", "id", link.sf_id, "object",
                      mapping_object_name(link.object), "url",
                      url ? json_string(url) : json_null()));
        free(url);
    } else {
        json_object_set_new(obj, "salesforce", json_null());
    }
    store_link_release(&link);
    json_object_set_new(obj, "pending_changes",
                        pending >= 0 ? json_integer(pending) : json_null());
    return obj;
}

/* Reply with one contact, its version as the ETag. */
static int reply_contact(struct serve *srv, struct store *s,
                         struct http_resp *resp, int status,
                         const struct contact *c)
{
    char *instance = instance_url(srv, s);
    char etag[32];
    int64_t pending = -1;

    if (changes_pending_count(s, c, &pending, NULL) < 0)
        pending = -1;
    snprintf(etag, sizeof(etag), "\"%" PRId64 "\"", c->version);
    http_resp_header(resp, "ETag", etag);
    http_resp_json(resp, status, contact_json(srv, s, c, instance, pending));
    free(instance);
    return 0;
}

/* Parse a query argument of 0 to max; def when absent. */
static int query_number(struct http_req *req, struct http_resp *resp,
                        const char *name, long long def, long long min,
                        long long max, long long *out)
{
    const char *v = http_req_query(req, name);
    char *end;

    *out = def;
    if (!v)
        return 0;
    errno = 0;
    *out = strtoll(v, &end, 10);
    if (!*v || *end || errno || *out < min || *out > max) {
        serve_error(resp, 422, "invalid_value", name,
                    "invalid %s '%.40s': give a whole number from %lld to "
                    "%lld",
                    name, v, min, max);
        return -1;
    }
    return 0;
}

/* GET /api/contacts */
static int list_contacts(struct http_req *req, struct http_resp *resp,
                         void *payload)
{
    struct serve *srv = payload;
    struct store *s = serve_req_of(req)->store;
    struct store_contact_query q;
    struct store_contact_list list;
    const char *archived = http_req_query(req, "archived");
    long long limit, offset;
    int64_t *pending = NULL;
    char *instance;
    json_t *items;
    struct err err;

    if (query_number(req, resp, "limit", STORE_LIST_DEFAULT, 1, PAGE_MAX,
                     &limit) < 0 ||
        query_number(req, resp, "offset", 0, 0, INT32_MAX, &offset) < 0)
        return 0;
    if (archived && strcmp(archived, "true") != 0 &&
        strcmp(archived, "false") != 0)
        return serve_error(resp, 422, "invalid_value", "archived",
                           "invalid archived '%.40s': use true or false",
                           archived);
    memset(&q, 0, sizeof(q));
    q.search = http_req_query(req, "q");
    q.include_archived = archived && strcmp(archived, "true") == 0;
    q.limit = (size_t)limit;
    q.offset = (size_t)offset;
    memset(&list, 0, sizeof(list));
    if (store_contact_list(s, srv->ws, &q, &list, &err) < 0)
        return serve_error_rc(resp, &err, NULL);
    pending = xcalloc(list.count ? list.count : 1, sizeof(*pending));
    if (changes_pending_counts(s, srv->ws, list.items, list.count, pending,
                               NULL) < 0)
        for (size_t i = 0; i < list.count; i++)
            pending[i] = -1;
    instance = instance_url(srv, s);
    items = json_array();
    for (size_t i = 0; i < list.count; i++)
        json_array_append_new(items, contact_json(srv, s, &list.items[i],
                                                  instance, pending[i]));
    http_resp_json(resp, 200,
                   json_pack("{s:o, s:I, s:I, s:I}", "contacts", items,
                             "total", (json_int_t)list.total, "limit",
                             (json_int_t)limit, "offset",
                             (json_int_t)offset));
    free(instance);
    free(pending);
    store_contact_list_release(&list);
    return 0;
}

/* Parse the {id} segment; 0 after sending 404 when it is not an id. */
static int64_t path_id(struct http_req *req, struct http_resp *resp)
{
    const char *v = req->params[0];
    char *end;
    long long id;

    errno = 0;
    id = strtoll(v, &end, 10);
    if (!*v || *end || errno || id <= 0) {
        serve_error(resp, 404, "not_found", NULL,
                    "contact '%.40s' not found: ids are positive numbers",
                    v);
        return 0;
    }
    return id;
}

/* GET /api/contacts/{id} */
static int get_contact(struct http_req *req, struct http_resp *resp,
                       void *payload)
{
    struct serve *srv = payload;
    struct store *s = serve_req_of(req)->store;
    int64_t id = path_id(req, resp);
    struct contact c;
    struct err err;

    if (!id)
        return 0;
    contact_init(&c);
    if (store_contact_get(s, srv->ws, id, &c, &err) < 0)
        serve_error_rc(resp, &err, NULL);
    else
        reply_contact(srv, s, resp, 200, &c);
    contact_release(&c);
    return 0;
}

/* The field an invalid-value message of the contact code names, copied
 * to out; "" when none. */
static const char *message_field(const char *msg, char *out, size_t size)
{
    static const char *const prefixes[] = {"field '",
                                           "unknown contact field '"};

    out[0] = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
        size_t len = strlen(prefixes[i]);
        const char *end;

        if (strncmp(msg, prefixes[i], len) != 0)
            continue;
        end = strchr(msg + len, '\'');
        if (end && (size_t)(end - msg - len) < size)
            snprintf(out, size, "%.*s", (int)(end - msg - len), msg + len);
    }
    return out[0] ? out : NULL;
}

static int change_error(struct http_resp *resp, const struct err *err)
{
    char field[64];

    if (err->code == SYNC_ECONFLICT)
        return serve_error(resp, 409, "version_conflict", "version", "%s",
                           err->msg);
    return serve_error_rc(resp, err, message_field(err->msg, field,
                                                   sizeof(field)));
}

/* Reply 422 unless the owner, when given, is the id of a User (key prefix
 * 005) or a Queue (key prefix 00G, the Group object), since Salesforce
 * rejects a push with any other OwnerId. The prefix is checked on the
 * 18-character form, whose case the suffix restores. */
static int check_owner(const struct contact *c, struct http_resp *resp)
{
    const char *owner = contact_text(c, CONTACT_OWNER);
    char id18[SFID_SIZE];

    if (!owner)
        return 0;
    if (sfid_to18(owner, id18) == 0 &&
        (strncmp(id18, "005", 3) == 0 || strncmp(id18, "00G", 3) == 0))
        return 0;
    serve_error(resp, 422, "invalid_value", "owner",
                "invalid value '%.64s' for field 'owner': give the "
                "15- or 18-character Salesforce id of a user (starting "
                "with 005) or a queue (starting with 00G), such as "
                "005000000000001AAA, or null",
                owner);
    return -1;
}

/* Reply 422 naming last_name for a new contact without one while the
 * integration pushes, before the store's checks, whose first message for
 * an empty contact would offer a company, email or phone instead. */
static int check_last_name(struct serve *srv, struct store *s,
                           const struct contact *c, struct http_resp *resp)
{
    if (contact_text(c, CONTACT_LAST_NAME) || !settings_enabled(s, srv->ws) ||
        settings_direction(s, srv->ws) == SYNC_DIRECTION_FROM_SALESFORCE)
        return 0;
    serve_error(resp, 422, "invalid_value", "last_name",
                "field 'last_name' is missing: Salesforce needs a last name "
                "for Leads and Contacts while the integration pushes, so "
                "give one");
    return -1;
}

/* The keys of a contact reply that the server sets. */
static bool is_read_only_key(const char *key)
{
    static const char *const keys[] = {
        "id",      "workspace_id", "version",    "created_at",
        "updated_at", "archived",  "salesforce", "pending_changes",
    };

    for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
        if (strcmp(key, keys[i]) == 0)
            return true;
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct contact_field_info *info = &contact_fields[f];

        if (info->e164_name && (strcmp(key, info->e164_name) == 0 ||
                                strcmp(key, info->valid_name) == 0))
            return true;
    }
    return false;
}

/* Send 422 naming the first key of a new contact's body that the server
 * sets; -1 then. */
static int check_new_contact_keys(json_t *body, struct http_resp *resp)
{
    const char *key;
    json_t *value;

    json_object_foreach(body, key, value)
    {
        if (!is_read_only_key(key))
            continue;
        serve_error(resp, 422, "invalid_value", key,
                    "key '%s' is read-only: the server sets it, so leave it "
                    "out of a new contact",
                    key);
        return -1;
    }
    return 0;
}

/* Send 422 when an edit's body carries an id other than the path's; a
 * reply sent back keeps its own. -1 then. */
static int check_edit_id(json_t *body, int64_t id, struct http_resp *resp)
{
    json_t *v = json_object_get(body, "id");

    if (!v || (json_is_integer(v) && json_integer_value(v) == id))
        return 0;
    serve_error(resp, 422, "invalid_value", "id",
                "key 'id' is read-only and must be %lld, the contact of the "
                "path, when given",
                (long long)id);
    return -1;
}

/* A copy of body without the keys a contact reply carries besides its
 * fields, so that a page can send back what it read. */
static json_t *fields_only(json_t *body)
{
    json_t *copy = json_copy(body);

    json_object_del(copy, "salesforce");
    json_object_del(copy, "pending_changes");
    json_object_del(copy, "version");
    return copy;
}

/*
 * Parse If-Match into *out: a version ("3", W/"3" or 3), or 0 for "*",
 * which matches any stored version (RFC 9110). Return -1
 * after sending 422.
 */
static int if_match_version(const char *match, struct http_resp *resp,
                            int64_t *out)
{
    const char *p = match;
    long long n;
    char *end;

    p += strspn(p, " \t");
    if (strcmp(p, "*") == 0) {
        *out = 0;
        return 0;
    }
    if (strncmp(p, "W/", 2) == 0)
        p += 2;
    if (*p == '"')
        p++;
    errno = 0;
    n = strtoll(p, &end, 10);
    if (end == p || errno || n <= 0 || (*end && strcmp(end, "\"") != 0)) {
        serve_error(resp, 422, "invalid_value", "If-Match",
                    "invalid If-Match '%.40s': give the contact's version, "
                    "such as \"3\", or * for any version",
                    match);
        return -1;
    }
    *out = n;
    return 0;
}

/*
 * The expected version of a change: If-Match ("3", 3, or "*" for any),
 * and the body's version key, which must agree when both give one; 0 for
 * any version. -1 after sending 422.
 */
static int64_t expected_version(struct http_req *req, struct http_resp *resp,
                                json_t *body)
{
    const char *match = http_req_header(req, "If-Match");
    json_t *v = body ? json_object_get(body, "version") : NULL;
    int64_t from_header = 0, from_body = 0;

    if (match && if_match_version(match, resp, &from_header) < 0)
        return -1;
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            serve_error(resp, 422, "invalid_value", "version",
                        "'version' must be the contact's version, a "
                        "positive whole number");
            return -1;
        }
        from_body = json_integer_value(v);
    }
    if (from_header && from_body && from_header != from_body) {
        serve_error(resp, 422, "invalid_value", "version",
                    "If-Match gives version %" PRId64 " and the body's "
                    "'version' gives %" PRId64 ": send one of them, or the "
                    "same version in both",
                    from_header, from_body);
        return -1;
    }
    return from_header ? from_header : from_body;
}

/* Send 409 duplicate_contact naming the stored contact that dup found
 * for a new contact (adding) or an updated one. */
static void duplicate_error(struct http_resp *resp,
                            const struct changes_duplicate *dup, bool adding)
{
    const char *field = contact_fields[dup->field].name;
    json_t *error;
    char *message;

    if (dup->archived)
        message = xasprintf(
            "field '%s' matches contact %" PRId64 ", which has the same %s "
            "'%s' and was deleted here while its Salesforce %s %s was kept. "
            "The push would create a second Salesforce record and a "
            "deleted contact cannot be restored, so delete or merge that "
            "record in Salesforce first, or send \"allow_duplicate\": true "
            "to %s",
            field, dup->contact_id,
            dup->field == CONTACT_EMAIL ? "email" : "phone number (E.164)",
            dup->value, mapping_object_name(dup->object), dup->sf_id,
            adding ? "add a second contact" : "keep the change");
    else
        message = xasprintf(
            "field '%s' matches contact %" PRId64 ", which "
            "has the same %s '%s': change that contact with "
            "PATCH /api/contacts/%" PRId64 ", or send "
            "\"allow_duplicate\": true to %s",
            field, dup->contact_id,
            dup->field == CONTACT_EMAIL ? "email" : "phone number (E.164)",
            dup->value, dup->contact_id,
            adding ? "add a second contact" : "keep the change");
    error = json_pack("{s:s, s:s, s:s, s:I}", "code", "duplicate_contact",
                      "message", message, "field", field, "contact_id",
                      (json_int_t)dup->contact_id);
    if (dup->archived)
        json_object_set_new(error, "salesforce_id", json_string(dup->sf_id));
    http_resp_json(resp, 409, json_pack("{s:o}", "error", error));
    free(message);
}

/* Read the optional allow_duplicate key of a change into *out and
 * remove it from fields. -1 after sending 422 for a value that is not a
 * boolean. */
static int take_allow_duplicate(json_t *fields, struct http_resp *resp,
                                bool *out)
{
    json_t *v = json_object_get(fields, "allow_duplicate");

    *out = false;
    if (!v)
        return 0;
    if (!json_is_boolean(v)) {
        serve_error(resp, 422, "invalid_value", "allow_duplicate",
                    "'allow_duplicate' must be true or false");
        return -1;
    }
    *out = json_is_true(v);
    json_object_del(fields, "allow_duplicate");
    return 0;
}

/* POST /api/contacts */
static int post_contact(struct http_req *req, struct http_resp *resp,
                        void *payload)
{
    struct serve *srv = payload;
    struct store *s = serve_req_of(req)->store;
    json_t *body = serve_body(req, resp), *fields;
    struct changes_duplicate dup = {0};
    bool allow_duplicate;
    char location[64];
    struct contact c;
    struct err err;
    int rc;

    if (!body || check_new_contact_keys(body, resp) < 0)
        return 0;
    fields = fields_only(body);
    if (take_allow_duplicate(fields, resp, &allow_duplicate) < 0) {
        json_decref(fields);
        return 0;
    }
    contact_init(&c);
    c.workspace_id = srv->ws;
    rc = contact_fields_from_json(&c, fields, NULL, &err);
    json_decref(fields);
    if (rc == 0 && (check_owner(&c, resp) < 0 ||
                    check_last_name(srv, s, &c, resp) < 0)) {
        contact_release(&c);
        return 0;
    }
    if (rc == 0)
        rc = changes_add(s, &c,
                         allow_duplicate ? CHANGES_ADD_ALLOW_DUPLICATE : 0,
                         &dup, &err);
    if (rc == SYNC_ECONFLICT && dup.contact_id) {
        duplicate_error(resp, &dup, true);
    } else if (rc < 0) {
        change_error(resp, &err);
    } else {
        snprintf(location, sizeof(location), "/api/contacts/%" PRId64, c.id);
        http_resp_header(resp, "Location", location);
        reply_contact(srv, s, resp, 201, &c);
        log_info("serve", "contact added",
                 "workspace=%s contact=%" PRId64 " user=%s", srv->ws_name,
                 c.id, serve_req_of(req)->user->name);
        serve_wake(srv);
    }
    contact_release(&c);
    return 0;
}

/* PATCH /api/contacts/{id} */
static int patch_contact(struct http_req *req, struct http_resp *resp,
                         void *payload)
{
    struct serve *srv = payload;
    struct store *s = serve_req_of(req)->store;
    int64_t id = path_id(req, resp), version;
    json_t *body, *fields;
    struct changes_duplicate dup = {0};
    struct contact values, out;
    uint32_t mask = 0, changed = 0;
    bool allow_duplicate;
    struct err err;
    int rc;

    if (!id || !(body = serve_body(req, resp)) ||
        check_edit_id(body, id, resp) < 0 ||
        (version = expected_version(req, resp, body)) < 0)
        return 0;
    fields = fields_only(body);
    if (take_allow_duplicate(fields, resp, &allow_duplicate) < 0) {
        json_decref(fields);
        return 0;
    }
    contact_init(&values);
    contact_init(&out);
    rc = contact_fields_from_json(&values, fields, &mask, &err);
    json_decref(fields);
    if (rc == 0 && check_owner(&values, resp) < 0)
        goto out;
    /* A blind write (no expected version) applies to whatever is stored:
     * when another write lands between its read and its write, it reads
     * again and applies its fields on top, so the last one wins. */
    for (int tries = 0; rc == 0; tries++) {
        rc = changes_update_unique(
            s, srv->ws, id, &values, mask, version,
            allow_duplicate ? CHANGES_ADD_ALLOW_DUPLICATE : 0, &dup, &out,
            &changed, &err);
        if (rc != SYNC_ECONFLICT || dup.contact_id || version != 0 ||
            tries + 1 >= BLIND_TRIES)
            break;
        rc = 0;
    }
    if (rc == SYNC_ECONFLICT && dup.contact_id) {
        log_info("serve", "contact update rejected as a duplicate",
                 "contact=%" PRId64 " duplicate_of=%" PRId64 " field=%s "
                 "user=%s",
                 id, dup.contact_id, contact_fields[dup.field].name,
                 serve_req_of(req)->user->name);
        duplicate_error(resp, &dup, false);
    } else if (rc < 0) {
        change_error(resp, &err);
    } else {
        reply_contact(srv, s, resp, 200, &out);
        if (changed) {
            log_info("serve", "contact updated",
                     "workspace=%s contact=%" PRId64 " version=%" PRId64
                     " user=%s",
                     srv->ws_name, id, out.version,
                     serve_req_of(req)->user->name);
            serve_wake(srv);
        }
    }
out:
    contact_release(&values);
    contact_release(&out);
    return 0;
}

/* DELETE /api/contacts/{id}: archive. */
static int delete_contact(struct http_req *req, struct http_resp *resp,
                          void *payload)
{
    struct serve *srv = payload;
    struct store *s = serve_req_of(req)->store;
    int64_t id = path_id(req, resp), version;
    struct contact out;
    bool changed = false;
    struct err err;
    int rc;

    if (!id || (version = expected_version(req, resp, NULL)) < 0)
        return 0;
    contact_init(&out);
    for (int tries = 0;; tries++) {
        rc = changes_archive(s, srv->ws, id, version, &out, &changed, &err);
        if (rc != SYNC_ECONFLICT || version != 0 || tries + 1 >= BLIND_TRIES)
            break;
    }
    if (rc < 0) {
        change_error(resp, &err);
    } else {
        reply_contact(srv, s, resp, 200, &out);
        if (changed) {
            log_info("serve", "contact archived",
                     "workspace=%s contact=%" PRId64 " user=%s",
                     srv->ws_name, id, serve_req_of(req)->user->name);
            serve_wake(srv);
        }
    }
    contact_release(&out);
    return 0;
}

void serve_contacts_routes(struct serve *srv)
{
    struct http_router *r = &srv->router;

    http_router_add(r, "GET", "/api/contacts", list_contacts, srv);
    http_router_add(r, "POST", "/api/contacts", post_contact, srv);
    http_router_add(r, "GET", "/api/contacts/{id}", get_contact, srv);
    http_router_add(r, "PATCH", "/api/contacts/{id}", patch_contact, srv);
    http_router_add(r, "DELETE", "/api/contacts/{id}", delete_contact, srv);
}
