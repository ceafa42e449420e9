/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The manual pull. Records arrive ordered by (SystemModstamp, Id), so the
 * last pair applied is a resume point: a pull that stops early leaves it in
 * the settings table, and the next pull of that object starts after it.
 */
#include "base/common.h"

#include "pull.h"

#include <inttypes.h>

#include "base/datetime.h"
#include "base/sfid.h"
#include "salesforce/sf_query.h"
#include "salesforce/sf_soql.h"
#include "settings.h"

/* State of one pull while its pages arrive. */
struct pull_state {
    struct connection *conn;
    struct store *store;
    int64_t ws;
    const struct pull_options *opts;
    struct pull_result *out;
    struct mapping mapping;
    uint32_t from_sf; /* local fields that Salesforce values flow into */
    char region[PHONE_REGION_SIZE];
    const char *resume_key;
    struct store_cursor last; /* last record applied */
    long long done;
};

static const char *resume_key(enum sf_object object)
{
    return object == SF_OBJECT_LEAD ? "pull.leads.resume"
                                    : "pull.contacts.resume";
}

char *pull_record_url(const char *instance_url, enum sf_object object,
                      const char *sf_id)
{
    return xasprintf("%s/lightning/r/%s/%s/view", instance_url,
                     mapping_object_name(object), sf_id);
}

/* Refuse a pull that the settings do not allow, naming the fix. */
static int check_allowed(struct store *s, int64_t ws, enum sf_object object,
                         struct err *err)
{
    const char *name = object == SF_OBJECT_LEAD ? "leads" : "contacts";
    char *objects = NULL;
    int rc;

    if (!settings_enabled(s, ws))
        return err_set(err, SYNC_EINVALID,
                       "the integration is disabled: run 'sfsync config set "
                       "enabled true' to pull");
    if (settings_object_enabled(s, ws, object))
        return 0;
    settings_get(s, ws, "objects", &objects, NULL);
    rc = err_set(err, SYNC_EINVALID,
                 "pulling %s is disabled: the setting 'objects' is '%s'; run "
                 "'sfsync config set objects contacts,leads' to enable it",
                 name, objects ? objects : "");
    free(objects);
    return rc;
}

static int parse_resume(const char *text, struct store_cursor *out)
{
    const char *colon = text ? strchr(text, ':') : NULL;
    char *end;

    memset(out, 0, sizeof(*out));
    if (!colon)
        return -1;
    out->modstamp_ms = strtoll(text, &end, 10);
    if (end != colon || sfid_to18(colon + 1, out->last_id) < 0)
        return -1;
    return 0;
}

/* SELECT Id, mapped fields, stamps FROM object [after resume] ORDER BY. */
static char *build_query(struct pull_state *ps, const struct store_cursor *from,
                         struct err *err)
{
    char *fields = mapping_soql_fields(&ps->mapping, ps->opts->object);
    const char *list[64];
    size_t n = 0;
    struct sf_soql q;
    char *save = NULL, *soql;

    list[n++] = "Id";
    for (char *f = strtok_r(fields, ", ", &save); f && n < 60;
         f = strtok_r(NULL, ", ", &save))
        list[n++] = f;
    list[n++] = "SystemModstamp";
    list[n++] = "LastModifiedDate";
    sf_soql_init(&q);
    sf_soql_select(&q, list, n);
    sf_soql_from(&q, mapping_object_name(ps->opts->object));
    if (ps->opts->object == SF_OBJECT_LEAD)
        /* A converted Lead lives on as its Contact, which the Contact
         * pull links to the Lead's local contact. */
        sf_soql_where_bool(&q, "IsConverted", "=", false);
    if (from) {
        /* Keyset paging: strictly after (stamp, id) in sort order. */
        sf_soql_group_begin(&q);
        sf_soql_where_datetime(&q, "SystemModstamp", ">", from->modstamp_ms);
        sf_soql_or(&q);
        sf_soql_group_begin(&q);
        sf_soql_where_datetime(&q, "SystemModstamp", "=", from->modstamp_ms);
        sf_soql_where_string(&q, "Id", ">", from->last_id);
        sf_soql_group_end(&q);
        sf_soql_group_end(&q);
    }
    sf_soql_order_by(&q, "SystemModstamp", SF_SOQL_ASC);
    sf_soql_order_by(&q, "Id", SF_SOQL_ASC);
    soql = sf_soql_finish(&q, err);
    sf_soql_release(&q);
    free(fields);
    return soql;
}

static int64_t record_stamp(const json_t *rec, const char *field)
{
    const char *s = json_string_value(json_object_get(rec, field));
    int64_t ms = 0;

    if (s && datetime_parse(s, &ms, NULL) < 0)
        ms = 0;
    return ms;
}

static void record_error(struct pull_state *ps, const char *sf_id,
                         int64_t contact_id, const struct err *why)
{
    struct store_sync_error e;

    memset(&e, 0, sizeof(e));
    e.workspace_id = ps->ws;
    e.contact_id = contact_id;
    e.object = (int)ps->opts->object;
    snprintf(e.sf_id, sizeof(e.sf_id), "%s", sf_id);
    e.code = (char *)(why->code == SYNC_EINVALID ? "INVALID_VALUE"
                                                 : err_code_name(why->code));
    e.message = (char *)why->msg;
    e.retryable = false;
    store_sync_error_add(ps->store, &e, NULL);
    ps->out->counts.errors++;
    log_warn("sync", "record skipped", "object=%s id=%s error=%s",
             mapping_object_name(ps->opts->object), sf_id, why->msg);
}

/* The one unlinked local contact with the same phone or email, or 0. */
static int64_t find_match(struct pull_state *ps, const struct contact *in)
{
    static const enum contact_field phones[] = {CONTACT_PHONE,
                                                CONTACT_MOBILE_PHONE};
    int64_t found = 0, ids[2];
    size_t n;

    for (size_t i = 0; i < ARRAY_SIZE(phones); i++) {
        const char *e164 = in->values[phones[i]].e164;

        if (!e164 || store_contact_find_unlinked_by_phone(
                         ps->store, ps->ws, e164, ids, 2, &n, NULL) < 0)
            continue;
        for (size_t j = 0; j < n; j++) {
            if (found && found != ids[j])
                return 0;
            found = ids[j];
        }
    }
    if (contact_text(in, CONTACT_EMAIL) &&
        store_contact_find_unlinked_by_email(
            ps->store, ps->ws, contact_text(in, CONTACT_EMAIL), ids, 2, &n,
            NULL) == 0)
        for (size_t j = 0; j < n; j++) {
            if (found && found != ids[j])
                return 0;
            found = ids[j];
        }
    return found;
}

/* Write the link of contact_id to the record with base = the agreed
 * values, unless it already says exactly that. */
static int save_link(struct pull_state *ps, int64_t contact_id,
                     const char *sf_id, const struct contact *agreed,
                     const json_t *rec, const struct store_link *old,
                     bool *changed, struct err *err)
{
    struct store_link link;
    int rc;

    store_link_init(&link);
    link.contact_id = contact_id;
    link.workspace_id = ps->ws;
    link.object = ps->opts->object;
    snprintf(link.sf_id, sizeof(link.sf_id), "%s", sf_id);
    link.base = contact_fields_to_json(agreed, ps->from_sf);
    link.system_modstamp_ms = record_stamp(rec, "SystemModstamp");
    link.last_modified_ms = record_stamp(rec, "LastModifiedDate");
    *changed = !old || !json_equal(old->base, link.base) ||
               old->system_modstamp_ms != link.system_modstamp_ms ||
               old->last_modified_ms != link.last_modified_ms;
    rc = *changed ? store_link_upsert(ps->store, &link, err) : 0;
    store_link_release(&link);
    return rc;
}

/* The fields whose Salesforce value differs from the link's base, the
 * values both sides last agreed on. A field missing from the base counts
 * as changed. */
static uint32_t changed_in_salesforce(const struct pull_state *ps,
                                      const struct store_link *old,
                                      const struct contact *in)
{
    struct contact base;
    uint32_t in_base = 0, changed;

    contact_init(&base);
    if (contact_fields_from_json(&base, old->base, &in_base, NULL) < 0)
        in_base = 0;
    changed = (contact_diff(&base, in) | ~in_base) & ps->from_sf;
    contact_release(&base);
    return changed;
}

/*
 * Apply a record to the contact it is linked to. Only fields that changed
 * in Salesforce since the base are taken, so a local value that Salesforce
 * never had (kept when a record was matched) survives a later pull.
 */
static int apply_linked(struct pull_state *ps, const struct store_link *old,
                        const struct contact *in, const json_t *rec,
                        struct err *err)
{
    struct contact cur;
    bool link_changed = false;
    uint32_t diff;
    int rc;

    contact_init(&cur);
    if ((rc = store_contact_get(ps->store, ps->ws, old->contact_id, &cur,
                                err)) < 0)
        goto out;
    diff = contact_diff(&cur, in) & changed_in_salesforce(ps, old, in);
    if (diff) {
        contact_copy_fields(&cur, in, diff);
        if ((rc = store_contact_update(ps->store, &cur,
                                       STORE_ORIGIN_SALESFORCE, err)) < 0)
            goto out;
    }
    if ((rc = save_link(ps, cur.id, old->sf_id, in, rec, old, &link_changed,
                        err)) < 0)
        goto out;
    if (diff)
        ps->out->counts.updated++;
    else
        ps->out->counts.unchanged++;
out:
    contact_release(&cur);
    return rc;
}

/* Link a record to a matching local contact, filling the fields that
 * Salesforce has values for, or create a new contact for it. */
static int apply_new(struct pull_state *ps, const char *sf_id,
                     struct contact *in, const json_t *rec, struct err *err)
{
    int64_t match = find_match(ps, in);
    struct contact cur;
    bool changed;
    int rc;

    contact_init(&cur);
    if (match) {
        uint32_t fill = 0;

        if ((rc = store_contact_get(ps->store, ps->ws, match, &cur, err)) <
            0)
            goto out;
        for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
            if ((ps->from_sf & CONTACT_FIELD_BIT(f)) &&
                (in->values[f].text ||
                 contact_fields[f].type == CONTACT_TYPE_BOOL))
                fill |= CONTACT_FIELD_BIT(f);
        contact_copy_fields(&cur, in, fill & contact_diff(&cur, in));
        if ((rc = store_contact_update(ps->store, &cur,
                                       STORE_ORIGIN_SALESFORCE, err)) < 0)
            goto out;
        log_info("sync", "record matched to a local contact",
                 "object=%s id=%s contact=%" PRId64,
                 mapping_object_name(ps->opts->object), sf_id, match);
        ps->out->counts.updated++;
    } else {
        in->workspace_id = ps->ws;
        if ((rc = store_contact_insert(ps->store, in,
                                       STORE_ORIGIN_SALESFORCE, err)) < 0)
            goto out;
        contact_copy(&cur, in);
        ps->out->counts.created++;
    }
    rc = save_link(ps, cur.id, sf_id, in, rec, NULL, &changed, err);
out:
    contact_release(&cur);
    return rc;
}

/*
 * Apply one record. A record that cannot be stored is skipped and
 * recorded; only store failures stop the pull. The savepoint-free design
 * relies on every write of one record being checked before it is made:
 * contact_prepare validates before the first write.
 */
static int apply_record(struct pull_state *ps, const json_t *rec,
                        struct err *err)
{
    const char *id = json_string_value(json_object_get(rec, "Id"));
    struct store_link link;
    struct contact in;
    struct err why;
    char sf_id[SFID_SIZE];
    int rc = 0;

    store_link_init(&link);
    contact_init(&in);
    if (!id || sfid_to18(id, sf_id) < 0) {
        err_set(&why, SYNC_EINVALID,
                "record without a valid Id in the %s query result",
                mapping_object_name(ps->opts->object));
        record_error(ps, "", 0, &why);
        goto out;
    }
    ps->last.modstamp_ms = record_stamp(rec, "SystemModstamp");
    memcpy(ps->last.last_id, sf_id, sizeof(sf_id));
    if (mapping_from_record(&ps->mapping, ps->opts->object, rec, &in, NULL,
                            &why) < 0 ||
        contact_prepare(&in, ps->region, &why) < 0) {
        err_prefix(&why, "%s %s", mapping_object_name(ps->opts->object),
                   sf_id);
        record_error(ps, sf_id, 0, &why);
        goto out;
    }
    rc = store_link_find(ps->store, ps->ws, sf_id, &link, err);
    if (rc == 0)
        rc = apply_linked(ps, &link, &in, rec, err);
    else if (rc == SYNC_ENOTFOUND)
        rc = apply_new(ps, sf_id, &in, rec, err);
out:
    store_link_release(&link);
    contact_release(&in);
    return rc;
}

static int save_resume(struct pull_state *ps, struct err *err)
{
    char text[64];

    snprintf(text, sizeof(text), "%" PRId64 ":%s", ps->last.modstamp_ms,
             ps->last.last_id);
    return store_setting_set(ps->store, ps->ws, ps->resume_key, text, err);
}

static int on_page(const struct sf_query_page *page, void *payload,
                   struct err *err)
{
    struct pull_state *ps = payload;
    size_t i;
    json_t *rec;
    int rc;

    if (page->index == 0)
        ps->out->total = page->total_size;
    if ((rc = store_begin(ps->store, err)) < 0)
        return rc;
    json_array_foreach(page->records, i, rec)
    {
        if ((rc = apply_record(ps, rec, err)) < 0)
            goto fail;
    }
    if (json_array_size(page->records) && (rc = save_resume(ps, err)) < 0)
        goto fail;
    if ((rc = store_commit(ps->store, err)) < 0)
        return rc;
    ps->done += (long long)json_array_size(page->records);
    if (ps->opts->progress)
        ps->opts->progress(ps->done, ps->out->total, ps->opts->payload);
    return 0;
fail:
    store_rollback(ps->store, NULL);
    return rc;
}

/* After a complete pull, drop the resume point and move the incremental
 * cursor up to the newest record seen. */
static int finish_complete(struct pull_state *ps, struct err *err)
{
    struct store_cursor cur;
    int rc;

    if ((rc = store_setting_delete(ps->store, ps->ws, ps->resume_key, err)))
        return rc;
    if ((rc = store_cursor_get(ps->store, ps->ws, ps->opts->object, &cur,
                               err)) < 0)
        return rc;
    if (ps->last.modstamp_ms > cur.modstamp_ms)
        rc = store_cursor_set(ps->store, ps->ws, ps->opts->object, &ps->last,
                              err);
    return rc;
}

/* Whether a Lead pull has stored anything, so that a Lead may be linked. */
static bool leads_pulled(struct pull_state *ps)
{
    struct store_cursor cur;
    char *resume = NULL;
    bool pulled;

    pulled = store_cursor_get(ps->store, ps->ws, SF_OBJECT_LEAD, &cur,
                              NULL) == 0 &&
             cur.modstamp_ms > 0;
    if (!pulled)
        pulled = store_setting_get(ps->store, ps->ws,
                                   resume_key(SF_OBJECT_LEAD), &resume,
                                   NULL) == 0 &&
                 resume;
    free(resume);
    return pulled;
}

/* Move the link of a pulled Lead that Salesforce converted to the Contact
 * it became, unless another local contact is linked to that Contact. */
static int follow_conversion(struct pull_state *ps, const json_t *rec,
                             struct err *err)
{
    const char *lead_id = json_string_value(json_object_get(rec, "Id"));
    const char *contact_id =
        json_string_value(json_object_get(rec, "ConvertedContactId"));
    struct store_link lead, other, moved;
    int rc;

    store_link_init(&lead);
    store_link_init(&other);
    store_link_init(&moved);
    if (!lead_id || !contact_id)
        return 0;
    rc = store_link_find(ps->store, ps->ws, lead_id, &lead, err);
    if (rc < 0)
        goto out;
    rc = store_link_find(ps->store, ps->ws, contact_id, &other, err);
    if (rc == 0) {
        log_warn("sync", "converted Lead left linked: its Contact is linked "
                 "to another local contact",
                 "lead=%s contact=%s local=%" PRId64 " other=%" PRId64,
                 lead_id, contact_id, lead.contact_id, other.contact_id);
        goto out;
    }
    if (rc != SYNC_ENOTFOUND)
        goto out;
    moved.contact_id = lead.contact_id;
    moved.workspace_id = ps->ws;
    moved.object = SF_OBJECT_CONTACT;
    snprintf(moved.sf_id, sizeof(moved.sf_id), "%s", contact_id);
    /* The Lead's base keeps the agreed values, so the Contact pull takes
     * only what changed in Salesforce since. */
    moved.base = json_incref(lead.base);
    if ((rc = store_link_upsert(ps->store, &moved, err)) == 0)
        log_info("sync", "converted Lead followed to its Contact",
                 "lead=%s contact=%s local=%" PRId64, lead_id, contact_id,
                 lead.contact_id);
out:
    store_link_release(&lead);
    store_link_release(&other);
    store_link_release(&moved);
    return rc == SYNC_ENOTFOUND ? 0 : rc;
}

static int on_conversion_page(const struct sf_query_page *page,
                              void *payload, struct err *err)
{
    struct pull_state *ps = payload;
    size_t i;
    json_t *rec;
    int rc;

    if ((rc = store_begin(ps->store, err)) < 0)
        return rc;
    json_array_foreach(page->records, i, rec)
    {
        if ((rc = follow_conversion(ps, rec, err)) < 0) {
            store_rollback(ps->store, NULL);
            return rc;
        }
    }
    return store_commit(ps->store, err);
}

/*
 * Before a Contact pull, relink local contacts of converted Leads to their
 * Contacts, so that the pull updates them instead of creating duplicates.
 * NOTE: this reads every converted Lead of the org on each Contact pull.
 */
static int follow_conversions(struct pull_state *ps, struct err *err)
{
    static const char *const fields[] = {"Id", "ConvertedContactId"};
    struct sf_query_options qopts = {false, ps->opts->batch_size};
    struct sf_soql q;
    char *soql;
    int rc;

    if (ps->opts->object != SF_OBJECT_CONTACT || !leads_pulled(ps))
        return 0;
    sf_soql_init(&q);
    sf_soql_select(&q, fields, ARRAY_SIZE(fields));
    sf_soql_from(&q, "Lead");
    sf_soql_where_bool(&q, "IsConverted", "=", true);
    sf_soql_where_null(&q, "ConvertedContactId", false);
    sf_soql_order_by(&q, "Id", SF_SOQL_ASC);
    soql = sf_soql_finish(&q, err);
    sf_soql_release(&q);
    if (!soql)
        return err ? err->code : SYNC_EINVALID;
    rc = sf_query_run(ps->conn->client, soql, &qopts, on_conversion_page, ps,
                      err);
    free(soql);
    return rc;
}

static int run_query(struct pull_state *ps, struct err *err)
{
    struct sf_query_options qopts = {false, ps->opts->batch_size};
    char *resume = NULL, *soql;
    struct store_cursor from;
    int rc;

    store_setting_get(ps->store, ps->ws, ps->resume_key, &resume, NULL);
    if (resume && parse_resume(resume, &from) == 0) {
        ps->out->resumed = true;
        ps->last = from;
        log_info("sync", "resuming an interrupted pull",
                 "object=%s after=%s",
                 mapping_object_name(ps->opts->object), from.last_id);
    }
    free(resume);
    if ((rc = follow_conversions(ps, err)) < 0)
        return rc;
    soql = build_query(ps, ps->out->resumed ? &from : NULL, err);
    if (!soql)
        return err ? err->code : SYNC_EINVALID;
    rc = sf_query_run(ps->conn->client, soql, &qopts, on_page, ps, err);
    free(soql);
    if (rc == 0)
        rc = finish_complete(ps, err);
    return rc;
}

int pull_run(struct connection *conn, const struct pull_options *opts,
             struct pull_result *out, struct err *err)
{
    struct pull_state ps;
    uint64_t calls_before = connection_api_calls(conn);
    char *region = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&ps, 0, sizeof(ps));
    ps.conn = conn;
    ps.store = conn->store;
    ps.ws = conn->workspace_id;
    ps.opts = opts;
    ps.out = out;
    ps.resume_key = resume_key(opts->object);
    if ((rc = check_allowed(ps.store, ps.ws, opts->object, err)) < 0)
        return rc;
    settings_get(ps.store, ps.ws, "default_region", &region, NULL);
    snprintf(ps.region, sizeof(ps.region), "%s",
             region ? region : PHONE_DEFAULT_REGION);
    free(region);
    mapping_init(&ps.mapping);
    ps.from_sf = mapping_fields(&ps.mapping, opts->object, MAPPING_FROM_SF);
    if ((rc = store_run_begin(ps.store, ps.ws, "pull", (int)opts->object,
                              &out->run_id, err)) < 0)
        goto out;
    log_info("sync", "pull started", "object=%s run=%" PRId64,
             mapping_object_name(opts->object), out->run_id);
    rc = run_query(&ps, err);
    if (rc == SYNC_EAUTH)
        connection_mark_failed(conn, err);
    out->counts.api_calls =
        (int64_t)(connection_api_calls(conn) - calls_before);
    store_run_finish(ps.store, ps.ws, out->run_id, rc < 0 ? "failed" : "ok",
                     &out->counts, rc < 0 && err ? err->msg : NULL, NULL);
    log_info("sync", "pull finished",
             "object=%s run=%" PRId64 " status=%s created=%" PRId64
             " updated=%" PRId64 " unchanged=%" PRId64 " errors=%" PRId64
             " api_calls=%" PRId64,
             mapping_object_name(opts->object), out->run_id,
             rc < 0 ? "failed" : "ok", out->counts.created,
             out->counts.updated, out->counts.unchanged, out->counts.errors,
             out->counts.api_calls);
out:
    mapping_release(&ps.mapping);
    return rc;
}
