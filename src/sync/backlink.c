/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The back link of the sync engine: with the settings backlink_field and
 * public_url, each linked record's field backlink_field gets the address
 * of its contact's page, PUBLIC_URL/#contacts/ID. The pull records the
 * value Salesforce has in that field, and a round writes the field only
 * where the recorded value differs, through sObject Collections, 200
 * records a request. The store keeps the value as "FIELD<US>VALUE" (US is
 * the byte 0x1f), so that a change of backlink_field makes every value
 * differ.
 */
#include "base/common.h"

#include <inttypes.h>
#include <strings.h>

#include "engine_int.h"
#include "salesforce/sf_sobject.h"

#define UNIT_SEPARATOR "\x1f"

/* The value of field in rec, matched without regard to case as Salesforce
 * matches field names; NULL when rec lacks the field. */
static json_t *field_value(json_t *rec, const char *field)
{
    json_t *v = json_object_get(rec, field);
    const char *key;

    if (v)
        return v;
    json_object_foreach(rec, key, v)
    {
        if (strcasecmp(key, field) == 0)
            return v;
    }
    return NULL;
}

int sync__backlinks_seen(struct sync_engine *e, json_t *records,
                         struct err *err)
{
    size_t n = json_array_size(records), count = 0, i;
    const char **ids, **values;
    json_t *rec;
    int rc;

    if (!e->backlink_field || n == 0)
        return 0;
    ids = xcalloc(n, sizeof(*ids));
    values = xcalloc(n, sizeof(*values));
    json_array_foreach(records, i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "Id"));
        json_t *v = field_value(rec, e->backlink_field);

        /* A record read without the field leaves its recorded value as is. */
        if (!id || !v)
            continue;
        ids[count] = id;
        values[count++] =
            xasprintf("%s" UNIT_SEPARATOR "%s", e->backlink_field,
                      json_is_string(v) ? json_string_value(v) : "");
    }
    rc = store_link_backlinks_set(e->store, e->ws, ids, values, count, err);
    for (i = 0; i < count; i++)
        free((char *)values[i]);
    free(values);
    free(ids);
    return rc;
}

/* Write the back links of one page of stale links, and record those that
 * Salesforce accepted. */
static int write_page(struct sync_engine *e, enum sf_object object,
                      const char *prefix, const struct store_backlink *items,
                      size_t n, size_t *written, struct err *err)
{
    struct sf_sobject_results res;
    json_t *records = json_array();
    const char **ids = xcalloc(n, sizeof(*ids));
    char **values = xcalloc(n, sizeof(*values));
    size_t ok = 0;
    int rc;

    for (size_t i = 0; i < n; i++) {
        char *url = xasprintf("%s/#contacts/%" PRId64, e->backlink_base,
                              items[i].contact_id);

        json_array_append_new(records,
                              json_pack("{s:s, s:s}", "Id", items[i].sf_id,
                                        e->backlink_field, url));
        free(url);
    }
    memset(&res, 0, sizeof(res));
    rc = sf_sobject_update_many(e->conn->client, mapping_object_name(object),
                                records, &res, err);
    for (size_t i = 0; rc == 0 && i < res.count && i < n; i++) {
        const struct sf_sobject_result *r = &res.items[i];

        if (!r->success) {
            /* NOTE: a record that rejects the write is tried again by
             * every round, with one log line each time. */
            log_warn("sync", "back link write failed",
                     "run=%" PRId64 " contact=%" PRId64 " sf_id=%s "
                     "code=%s",
                     e->run_id, items[i].contact_id, items[i].sf_id,
                     r->error_count ? r->errors[0].status_code : "");
            continue;
        }
        ids[ok] = items[i].sf_id;
        values[ok++] = xasprintf("%s%" PRId64, prefix, items[i].contact_id);
    }
    if (rc == 0)
        rc = store_link_backlinks_set(e->store, e->ws, ids,
                                      (const char *const *)values, ok, err);
    *written += ok;
    for (size_t i = 0; i < ok; i++)
        free(values[i]);
    free(values);
    free(ids);
    json_decref(records);
    sf_sobject_results_release(&res);
    return rc;
}

int sync__backlinks_push(struct sync_engine *e, struct err *err)
{
    int rc = 0;

    if (!e->backlink_field)
        return 0;
    for (int object = 0; object < SF_OBJECT_COUNT && rc == 0; object++) {
        char *prefix;
        int64_t after = 0;
        size_t written = 0;

        if (!e->enabled[object])
            continue;
        prefix = xasprintf("%s" UNIT_SEPARATOR "%s/#contacts/",
                           e->backlink_field, e->backlink_base);
        for (;;) {
            struct store_backlink *items = NULL;
            size_t n = 0;

            rc = store_link_backlinks_stale(e->store, e->ws, object, prefix,
                                            after, SF_SOBJECT_COLLECTION_MAX,
                                            &items, &n, err);
            if (rc == 0 && n)
                rc = sync__check_budget(e, err);
            if (rc == 0 && n)
                rc = write_page(e, object, prefix, items, n, &written, err);
            if (n)
                after = items[n - 1].contact_id;
            free(items);
            if (rc < 0 || n < SF_SOBJECT_COLLECTION_MAX)
                break;
        }
        if (written)
            log_info("sync", "back links written",
                     "run=%" PRId64 " object=%s count=%zu", e->run_id,
                     mapping_object_name(object), written);
        free(prefix);
    }
    return rc;
}
