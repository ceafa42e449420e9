/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The check of the external_id_field setting against the org's describe
 * of Contact and Lead, made when the setting is set and at the start of a
 * sync round whose field or objects were not checked yet, so that a wrong
 * field fails with its name instead of as a SOQL error in the middle of a
 * pull.
 */
#include "base/common.h"

#include "engine.h"

#include <strings.h>

#include "base/buf.h"
#include "settings.h"

/* The setting that contains the field and objects last checked, as
 * "Field__c:Contact,Lead". */
#define CHECKED_KEY "sync.external_id_checked"

/* The describe entry of field in the fields array of doc, or NULL. */
static json_t *find_field(json_t *doc, const char *field)
{
    json_t *fields = json_object_get(doc, "fields"), *f;
    size_t i;

    json_array_foreach(fields, i, f)
    {
        const char *name = json_string_value(json_object_get(f, "name"));

        if (name && strcasecmp(name, field) == 0)
            return f;
    }
    return NULL;
}

static int check_object(struct connection *conn, enum sf_object object,
                        const char *field, struct err *err)
{
    const char *name = mapping_object_name(object);
    struct sf_client_request req = {.method = "GET"};
    json_t *doc = NULL, *f;
    struct buf path;
    int rc;

    buf_init(&path, 0);
    buf_printf(&path, "/sobjects/%s/describe", name);
    req.path = path.data;
    if ((rc = sf_client_send(conn->client, &req, NULL, &doc, err)) < 0)
        goto out;
    f = find_field(doc, field);
    if (!f)
        rc = err_set(err, SYNC_EINVALID,
                     "external_id_field '%s' is not a field of %s in this "
                     "org: create it as a custom text field marked External "
                     "ID on %s, or " SYNC_EXTERNAL_ID_CLEAR,
                     field, name, name);
    else if (!json_is_true(json_object_get(f, "externalId")))
        rc = err_set(err, SYNC_EINVALID,
                     "external_id_field '%s' of %s is not marked External "
                     "ID: mark it so in Salesforce, or " SYNC_EXTERNAL_ID_CLEAR,
                     field, name);
out:
    json_decref(doc);
    buf_release(&path);
    return rc;
}

/* The objects that sync, as "Contact,Lead", for the checked marker. */
static void synced_objects(struct connection *conn, char *out, size_t size)
{
    size_t len = 0;

    out[0] = '\0';
    for (int o = 0; o < SF_OBJECT_COUNT; o++)
        if (settings_object_enabled(conn->store, conn->workspace_id,
                                    (enum sf_object)o))
            len += (size_t)snprintf(out + len, size - len, "%s%s",
                                    len ? "," : "",
                                    mapping_object_name((enum sf_object)o));
}

int sync_check_external_id_field(struct connection *conn, const char *field,
                                 struct err *err)
{
    char objects[32], *marker = NULL, *checked = NULL;
    int rc = 0;

    if (!field || !*field)
        return 0;
    synced_objects(conn, objects, sizeof(objects));
    marker = xasprintf("%s:%s", field, objects);
    /* NOTE: a field checked once is not described again for the same
     * objects, so that a round spends no calls on it; a field deleted in
     * the org later fails the pull query instead. */
    if (store_setting_get(conn->store, conn->workspace_id, CHECKED_KEY,
                          &checked, NULL) == 0 &&
        checked && strcmp(checked, marker) == 0)
        goto out;
    for (int o = 0; o < SF_OBJECT_COUNT && rc == 0; o++)
        if (settings_object_enabled(conn->store, conn->workspace_id,
                                    (enum sf_object)o))
            rc = check_object(conn, (enum sf_object)o, field, err);
    if (rc == 0)
        rc = store_setting_set(conn->store, conn->workspace_id, CHECKED_KEY,
                               marker, err);
out:
    free(marker);
    free(checked);
    return rc;
}

int sync_check_external_id_objects(struct connection *conn,
                                   const char *field, const char *objects,
                                   struct err *err)
{
    int rc = 0;

    if (!field || !*field)
        return 0;
    /* objects is a normalized value of the setting, such as
     * "contacts,leads", which settings_object_enabled reads the same way. */
    if (strstr(objects, "contacts"))
        rc = check_object(conn, SF_OBJECT_CONTACT, field, err);
    if (rc == 0 && strstr(objects, "leads"))
        rc = check_object(conn, SF_OBJECT_LEAD, field, err);
    return rc;
}

void sync_external_id_advice(struct err *err, const char *how)
{
    size_t len = strlen(err->msg), end = strlen(SYNC_EXTERNAL_ID_CLEAR);

    if (len < end || strcmp(err->msg + len - end, SYNC_EXTERNAL_ID_CLEAR) != 0)
        return;
    snprintf(err->msg + len, sizeof(err->msg) - len, " with %s", how);
}
