/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The push of the sync engine. Pending outbox entries are coalesced per
 * contact, and each contact's current state is sent through sObject
 * Collections, up to 200 records a request, grouped by object and
 * operation. The results of one request are recorded in one store
 * transaction: links and bases for successes, sync errors for failures,
 * and the outbox acknowledged up to the version that was sent.
 */
#include "base/common.h"

#include <inttypes.h>
#include <strings.h>

#include "base/buf.h"
#include "engine_int.h"
#include "model/utf8.h"
#include "salesforce/sf_sobject.h"
#include "salesforce/sf_soql.h"

/* Outbox entries read per store call while collecting contacts. */
#define OUTBOX_PAGE 1000

/* Contacts planned and sent together, one request per object and
 * operation at most. */
#define PUSH_WINDOW SF_SOBJECT_COLLECTION_MAX

/* Last names per lookup query of earlier creates: 50 names of at most 80
 * characters keep the query URI below Salesforce's 16,384 bytes. */
#define LOOKUP_NAMES_MAX 50

enum push_action {
    PUSH_SKIP,   /* leave the outbox pending */
    PUSH_ACK,    /* nothing to send: acknowledge the outbox */
    PUSH_CREATE,
    PUSH_UPSERT, /* a create keyed by the external id field */
    PUSH_UPDATE,
    PUSH_DELETE,
    PUSH_LOOKUP, /* an earlier create may have happened: look first */
    PUSH_REREAD, /* the record was converted or deleted: read it again */
    PUSH_REPLAN  /* linked by a lookup or a re-read: plan again */
};

struct push_item {
    int64_t contact_id;
    struct contact contact; /* as read when planned */
    struct store_link link;
    bool linked;
    struct store_intent intent;
    bool has_intent;
    enum push_action action;
    enum sf_object object;
    json_t *payload;  /* owned: the record as sent */
    json_t *sent;     /* owned: the values sent, as a base */
    bool reread_done; /* read again once already */
    /* The record's SystemModstamp read right before an update, or 0 */
    int64_t remote_stamp;
    bool succeeded; /* Salesforce accepted the write */
};

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* The contacts with pending outbox entries, in id order, each once. */
static int pending_contacts(struct sync_engine *e, int64_t **out,
                            size_t *out_count, struct err *err)
{
    int64_t *ids = NULL, after = 0;
    size_t count = 0, cap = 0, unique = 0;
    int rc;

    for (;;) {
        struct store_outbox_entry *entries = NULL;
        size_t n = 0;

        if ((rc = store_outbox_pending_after(e->store, e->ws, after,
                                             OUTBOX_PAGE, &entries, &n,
                                             err)) < 0) {
            free(ids);
            return rc;
        }
        for (size_t i = 0; i < n; i++) {
            ids = xgrow(ids, &cap, count + 1, sizeof(*ids));
            ids[count++] = entries[i].contact_id;
            after = entries[i].id;
        }
        free(entries);
        if (n < OUTBOX_PAGE)
            break;
    }
    if (count)
        qsort(ids, count, sizeof(*ids), compare_ids);
    for (size_t i = 0; i < count; i++)
        if (unique == 0 || ids[unique - 1] != ids[i])
            ids[unique++] = ids[i];
    *out = ids;
    *out_count = unique;
    return 0;
}

static void item_clear(struct push_item *item)
{
    json_decref(item->payload);
    json_decref(item->sent);
    item->payload = NULL;
    item->sent = NULL;
    store_link_release(&item->link);
    item->linked = false;
    item->has_intent = false;
}

static void item_release(struct push_item *item)
{
    item_clear(item);
    contact_release(&item->contact);
}

static bool retryable_code(const char *code)
{
    static const char *const codes[] = {
        "UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE",
        "transient", "rate-limit",
    };

    for (size_t i = 0; i < ARRAY_SIZE(codes); i++)
        if (strcmp(code, codes[i]) == 0)
            return true;
    return false;
}

/* Record the one current error of a contact at the version planned. */
static int record_error(struct sync_engine *e, const struct push_item *item,
                        const char *code, const char *message,
                        bool retryable, struct err *err)
{
    struct store_sync_error se, *previous = NULL;
    size_t count = 0;
    int rc;

    memset(&se, 0, sizeof(se));
    se.workspace_id = e->ws;
    se.contact_id = item->contact_id;
    se.object = (int)item->object;
    if (item->linked)
        snprintf(se.sf_id, sizeof(se.sf_id), "%s", item->link.sf_id);
    se.code = (char *)code;
    se.message = (char *)message;
    se.retryable = retryable;
    se.version = item->contact.version;
    /* A contact whose push failed before keeps the id of its error, so a
     * client that keeps the id (to retry it, say) still finds it. */
    if ((rc = store_sync_error_list(e->store, e->ws, item->contact_id, 1,
                                    &previous, &count, err)) < 0)
        return rc;
    se.id = count ? previous[0].id : 0;
    store_sync_errors_free(previous, count);
    if ((rc = store_sync_error_clear(e->store, e->ws, item->contact_id,
                                     err)) < 0 ||
        (rc = store_sync_error_add(e->store, &se, err)) < 0)
        return rc;
    e->counts->errors++;
    log_warn("sync", "contact not pushed",
             "contact=%" PRId64 " object=%s id=%s code=%s retryable=%s "
             "error=%s",
             item->contact_id, mapping_object_name(item->object),
             se.sf_id[0] ? se.sf_id : "-", code, retryable ? "yes" : "no",
             message);
    return 0;
}

/* Whether the contact's newest error is permanent and for this version
 * or a later one, so that it waits for the next change. */
static bool blocked(struct sync_engine *e, const struct push_item *item)
{
    struct store_sync_error *errors = NULL;
    size_t n = 0;
    bool wait;

    if (store_sync_error_list(e->store, e->ws, item->contact_id, 1, &errors,
                              &n, NULL) < 0)
        return false;
    wait = n == 1 && !errors[0].retryable &&
           errors[0].version >= item->contact.version;
    store_sync_errors_free(errors, n);
    return wait;
}

/* Record once per version that a create waits for its object to be
 * enabled. The error is retryable, so enabling the object sends it. */
static int note_disabled(struct sync_engine *e, struct push_item *item,
                         struct err *err)
{
    struct store_sync_error *errors = NULL;
    char message[ERR_MSG_MAX];
    size_t n = 0;
    bool noted;
    int rc;

    if ((rc = store_sync_error_list(e->store, e->ws, item->contact_id, 1,
                                    &errors, &n, err)) < 0)
        return rc;
    noted = n == 1 && strcmp(errors[0].code, "OBJECT_DISABLED") == 0 &&
            errors[0].version == item->contact.version;
    store_sync_errors_free(errors, n);
    if (noted)
        return 0;
    snprintf(message, sizeof(message),
             "new contacts are created as %ss (new_contacts_as), but %ss "
             "do not sync; add them to the setting 'objects' or change "
             "new_contacts_as",
             mapping_object_name(item->object),
             mapping_object_name(item->object));
    return record_error(e, item, "OBJECT_DISABLED", message, true, err);
}

/* A copy of the contact with what Salesforce needs filled in: a Lead
 * without a company gets default_company, as Lead Company is required. */
static void outgoing(struct sync_engine *e, const struct push_item *item,
                     struct contact *out)
{
    contact_copy(out, &item->contact);
    if (item->object == SF_OBJECT_LEAD &&
        !contact_text(out, CONTACT_COMPANY))
        contact_set_text(out, CONTACT_COMPANY, e->default_company);
}

/* The fields that flow to object and that out can send: an empty value of
 * a field Salesforce does not accept null for is left out. */
static uint32_t sendable_fields(struct sync_engine *e, enum sf_object object,
                                const struct contact *out)
{
    uint32_t mask = mapping_fields(&e->mapping, object, MAPPING_TO_SF);

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct mapping_row *row =
            mapping_find(&e->mapping, object, (enum contact_field)f);

        if (row && (row->flags & MAPPING_NOT_NILLABLE) &&
            contact_fields[f].type != CONTACT_TYPE_BOOL &&
            !out->values[f].text)
            mask &= ~CONTACT_FIELD_BIT(f);
    }
    return mask;
}

/* Build the payload of an update (changed fields only, with Id) or a
 * create (every sendable field), or settle on ACK when nothing changed. */
static int build_payload(struct sync_engine *e, struct push_item *item,
                         struct err *err)
{
    struct contact out, base;
    uint32_t mask, base_fields = 0;
    struct err reason;
    int rc = 0;

    contact_init(&out);
    contact_init(&base);
    outgoing(e, item, &out);
    mask = sendable_fields(e, item->object, &out);
    if (item->action == PUSH_UPDATE) {
        if (contact_fields_from_json(&base, item->link.base, &base_fields,
                                     NULL) < 0)
            base_fields = 0;
        /* The push compares phones by their E.164 forms. */
        contact_normalize_phones(&base, e->region, NULL);
        mask = merge_push_fields(&out, &base, base_fields, mask);
        if (!mask) {
            item->action = PUSH_ACK;
            goto out;
        }
    }
    item->payload = mapping_to_payload(&e->mapping, item->object, &out, mask,
                                       &reason);
    if (!item->payload) {
        item->action = PUSH_SKIP;
        rc = record_error(e, item, "INVALID_VALUE", reason.msg, false, err);
        goto out;
    }
    item->sent = contact_fields_to_json(&out, mask);
    if (item->action == PUSH_UPDATE)
        json_object_set_new(item->payload, "Id",
                            json_string(item->link.sf_id));
    if (item->action == PUSH_UPSERT)
        json_object_set_new(item->payload, e->ext_id_field,
                            json_sprintf("%s-%" PRId64, e->ext_id_prefix,
                                         item->contact_id));
out:
    contact_release(&out);
    contact_release(&base);
    return rc;
}

/* Decide what to do with the contact and its link in Salesforce. */
static int plan_linked(struct sync_engine *e, struct push_item *item,
                       struct err *err)
{
    item->object = item->link.object;
    if (item->contact.archived && !e->delete_on_local_delete) {
        item->action = PUSH_ACK;
        return 0;
    }
    /* Changes and deletes of a record of an object that does not sync
     * wait until it syncs again. */
    if (!e->enabled[item->object]) {
        item->action = PUSH_SKIP;
        return 0;
    }
    if (item->contact.archived) {
        item->action = PUSH_DELETE;
        return 0;
    }
    item->action = PUSH_UPDATE;
    return build_payload(e, item, err);
}

static int plan_unlinked(struct sync_engine *e, struct push_item *item,
                         struct err *err)
{
    struct store_tombstone tomb;
    int rc;

    item->object = e->new_contacts_as;
    /* NOTE: an archived contact whose create reply was lost keeps its
     * intent, so the pull links the record it finds. on_local_delete does
     * not delete that record. */
    if (item->contact.archived) {
        item->action = PUSH_ACK;
        return 0;
    }
    /* The record of a contact kept after its deletion in Salesforce is
     * not created again until 'contacts update --relink' requests it. */
    rc = store_tombstone_get(e->store, e->ws, item->contact_id, &tomb, err);
    if (rc < 0 && rc != SYNC_ENOTFOUND)
        return rc;
    err_clear(err);
    if (rc == 0) {
        item->action = PUSH_ACK;
        return 0;
    }
    if (!e->enabled[item->object]) {
        item->action = PUSH_SKIP;
        return note_disabled(e, item, err);
    }
    rc = store_intent_get(e->store, e->ws, item->contact_id, &item->intent,
                          err);
    if (rc < 0 && rc != SYNC_ENOTFOUND)
        return rc;
    err_clear(err);
    item->has_intent = rc == 0;
    if (e->ext_id_field)
        item->action = PUSH_UPSERT;
    else if (item->has_intent && e->user_id[0])
        item->action = PUSH_LOOKUP;
    else
        item->action = PUSH_CREATE;
    return item->action == PUSH_LOOKUP ? 0 : build_payload(e, item, err);
}

static int plan(struct sync_engine *e, struct push_item *item,
                struct err *err)
{
    int rc;

    item_clear(item);
    rc = store_contact_get(e->store, e->ws, item->contact_id, &item->contact,
                           err);
    if (rc < 0)
        return rc;
    rc = store_link_get(e->store, e->ws, item->contact_id, &item->link, err);
    if (rc < 0 && rc != SYNC_ENOTFOUND)
        return rc;
    err_clear(err);
    item->linked = rc == 0;
    /* Between the pages of a pull, a create could copy a record that a
     * later page links to this contact. */
    if (e->pushed && !item->linked) {
        item->object = e->new_contacts_as;
        item->action = PUSH_SKIP;
        return 0;
    }
    if (blocked(e, item)) {
        item->object = item->linked ? item->link.object : e->new_contacts_as;
        item->action = PUSH_SKIP;
        return 0;
    }
    return item->linked ? plan_linked(e, item, err)
                        : plan_unlinked(e, item, err);
}

/* Acknowledge a contact that is in step, up to the version planned. */
static int ack(struct sync_engine *e, const struct push_item *item,
               struct err *err)
{
    int rc;

    if ((rc = store_outbox_ack(e->store, e->ws, item->contact_id,
                               item->contact.version, err)) < 0)
        return rc;
    return store_sync_error_clear(e->store, e->ws, item->contact_id, err);
}

static int ack_all(struct sync_engine *e, struct push_item *items, size_t n,
                   struct err *err)
{
    bool any = false;
    int rc;

    for (size_t i = 0; i < n; i++)
        any = any || items[i].action == PUSH_ACK;
    if (!any)
        return 0;
    if ((rc = store_begin(e->store, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (items[i].action != PUSH_ACK)
            continue;
        if ((rc = ack(e, &items[i], err)) < 0) {
            store_rollback(e->store, NULL);
            return rc;
        }
        items[i].action = PUSH_SKIP;
    }
    return store_commit(e->store, err);
}

/* SELECT the records the integration user created for these contacts'
 * last names since the oldest intent, less a minute. */
static char *lookup_query(struct sync_engine *e, enum sf_object object,
                          const char *const *names, size_t n,
                          int64_t since_ms, struct err *err)
{
    char *mapped = mapping_soql_fields(&e->mapping, object), *save = NULL;
    const char *fields[64];
    size_t nf = 0;
    struct sf_soql q;
    char *soql;

    fields[nf++] = "Id";
    for (char *f = strtok_r(mapped, ", ", &save); f && nf < 58;
         f = strtok_r(NULL, ", ", &save))
        fields[nf++] = f;
    fields[nf++] = "SystemModstamp";
    fields[nf++] = "LastModifiedDate";
    fields[nf++] = "CreatedById";
    fields[nf++] = "CreatedDate";
    sf_soql_init(&q);
    sf_soql_select(&q, fields, nf);
    sf_soql_from(&q, mapping_object_name(object));
    sf_soql_where_string(&q, "CreatedById", "=", e->user_id);
    sf_soql_where_datetime(&q, "CreatedDate", ">=", since_ms - 60000);
    sf_soql_where_in(&q, "LastName", false, names, n);
    sf_soql_order_by(&q, "CreatedDate", SF_SOQL_ASC);
    sf_soql_order_by(&q, "Id", SF_SOQL_ASC);
    soql = sf_soql_finish(&q, err);
    sf_soql_release(&q);
    free(mapped);
    return soql;
}

/*
 * Settle one contact with an unresolved intent against the records found:
 * link the one record its create made, create again when there is none,
 * and wait for the admin when several match.
 */
static int resolve_intent(struct sync_engine *e, struct apply_ctx *ctx,
                          struct push_item *item, json_t *records,
                          struct err *err)
{
    struct apply_intent ai = {item->intent, item->contact};
    const json_t *match = NULL;
    struct contact in, found;
    size_t count = 0, i;
    char message[ERR_MSG_MAX];
    json_t *rec;
    int rc = 0;

    contact_init(&found);
    json_array_foreach(records, i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "Id"));
        struct store_link other;
        struct err reason;
        bool linked_elsewhere;

        store_link_init(&other);
        linked_elsewhere =
            id && store_link_find(e->store, e->ws, id, &other, NULL) == 0;
        store_link_release(&other);
        contact_init(&in);
        if (!linked_elsewhere &&
            apply_parse(ctx, item->object, rec, id, &in, &reason) == 0 &&
            apply_intent_matches(&ai, rec, &in)) {
            if (!count++) {
                match = rec;
                contact_copy(&found, &in);
            }
        }
        contact_release(&in);
    }
    if (count == 1) {
        rc = apply_link_own(ctx, item->contact_id,
                            json_string_value(json_object_get(match, "Id")),
                            &found, match, err);
        item->action = PUSH_REPLAN;
    } else if (count == 0) {
        item->action = PUSH_CREATE;
        rc = build_payload(e, item, err);
    } else {
        snprintf(message, sizeof(message),
                 "%zu %s records may have come from an earlier create of "
                 "this contact whose reply was lost; delete the extra ones "
                 "in Salesforce, then run 'sfsync errors retry'",
                 count, mapping_object_name(item->object));
        item->action = PUSH_SKIP;
        rc = record_error(e, item, "AMBIGUOUS_CREATE", message, false, err);
    }
    contact_release(&found);
    return rc;
}

/* Look for the records of earlier creates of the window's contacts with
 * unresolved intents, one query per object and LOOKUP_NAMES_MAX names. */
static int lookup_object(struct sync_engine *e, struct push_item *items,
                         size_t n, enum sf_object object, struct err *err)
{
    const char **names = xcalloc(n + 1, sizeof(*names));
    json_t *records = json_array();
    struct store_run_counts found = {0};
    struct apply_ctx ctx;
    int64_t since = 0;
    size_t count = 0;
    char *soql = NULL;
    int rc = 0;

    /* A record linked here was written by an earlier push, not pulled, so
     * its link is counted as recovered and not as a pulled update. */
    sync__apply_init(e, &ctx, object);
    ctx.counts = &found;
    for (size_t i = 0; i < n; i++) {
        const struct push_item *item = &items[i];
        const char *last = contact_text(&item->contact, CONTACT_LAST_NAME);

        if (item->action != PUSH_LOOKUP || item->object != object || !last)
            continue;
        names[count++] = last;
        if (!since || item->intent.created_ms < since)
            since = item->intent.created_ms;
    }
    for (size_t i = 0; i < count && rc == 0; i += LOOKUP_NAMES_MAX) {
        size_t chunk = count - i < LOOKUP_NAMES_MAX ? count - i
                                                    : LOOKUP_NAMES_MAX;

        if (!(soql = lookup_query(e, object, names + i, chunk, since, err)))
            rc = err ? err->code : SYNC_EINVALID;
        else
            rc = sync__query_records(e, soql, false, records, err);
        free(soql);
        soql = NULL;
    }
    if (rc == 0 && (rc = store_begin(e->store, err)) == 0) {
        for (size_t i = 0; i < n && rc == 0; i++)
            if (items[i].action == PUSH_LOOKUP && items[i].object == object)
                rc = resolve_intent(e, &ctx, &items[i], records, err);
        rc = rc == 0 ? store_commit(e->store, err)
                     : (store_rollback(e->store, NULL), rc);
    }
    if (rc == 0)
        e->recovered += found.pulled;
    e->counts->errors += found.errors;
    e->counts->conflicts += found.conflicts;
    free(names);
    json_decref(records);
    apply_release(&ctx);
    return rc;
}

/* Record the intents of a group of creates, committed before they are
 * sent, so that a lost reply leaves a trace to look for. */
static int record_intents(struct sync_engine *e, struct push_item **group,
                          size_t n, struct err *err)
{
    int rc;

    if (!e->user_id[0] || e->ext_id_field)
        return 0;
    if ((rc = store_begin(e->store, err)) < 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct store_intent *intent = &group[i]->intent;

        memset(intent, 0, sizeof(*intent));
        intent->contact_id = group[i]->contact_id;
        intent->workspace_id = e->ws;
        intent->object = group[i]->object;
        memcpy(intent->user_id, e->user_id, sizeof(intent->user_id));
        if ((rc = store_intent_put(e->store, intent, err)) < 0) {
            store_rollback(e->store, NULL);
            return rc;
        }
    }
    return store_commit(e->store, err);
}

/* Add the record of item, about to be updated or deleted, to the records
 * that the running pull must not take older versions of. */
static void note_pushed(struct sync_engine *e, const struct push_item *item)
{
    int64_t stamp = item->link.system_modstamp_ms;

    if (item->remote_stamp > stamp)
        stamp = item->remote_stamp;
    if (item->action == PUSH_DELETE)
        stamp = INT64_MAX;
    json_object_set_new(e->pushed->stamps, item->link.sf_id,
                        json_integer((json_int_t)stamp));
}

/* Record a success: the link and its base, the outbox and the errors. */
static int record_success(struct sync_engine *e, struct push_item *item,
                          const struct sf_sobject_result *r, struct err *err)
{
    struct store_link link;
    int rc;

    item->succeeded = true;
    if (e->pushed && (item->action == PUSH_UPDATE ||
                      item->action == PUSH_DELETE))
        note_pushed(e, item);
    if (item->action == PUSH_DELETE) {
        if ((rc = store_link_delete(e->store, e->ws, item->contact_id,
                                    err)) < 0)
            return rc;
        e->counts->deleted++;
    } else {
        link = item->link;
        if (item->action == PUSH_UPDATE) {
            link.base = json_deep_copy(item->link.base);
            json_object_update(link.base, item->sent);
        } else {
            link.contact_id = item->contact_id;
            link.workspace_id = e->ws;
            link.object = item->object;
            snprintf(link.sf_id, sizeof(link.sf_id), "%s", r->id);
            link.base = json_incref(item->sent);
            link.system_modstamp_ms = 0;
            link.last_modified_ms = 0;
        }
        rc = store_link_upsert(e->store, &link, err);
        json_decref(link.base);
        if (rc == SYNC_ECONFLICT) {
            char message[ERR_MSG_MAX];

            snprintf(message, sizeof(message), "%s", err ? err->msg : "");
            return record_error(e, item, "ALREADY_LINKED", message, false,
                                err);
        }
        if (rc < 0)
            return rc;
        /* An upsert that found the record an earlier attempt made
         * updated it. */
        if (item->action == PUSH_UPDATE || r->created == 0)
            e->counts->updated++;
        else
            e->counts->created++;
    }
    e->counts->pushed++;
    if ((rc = store_intent_delete(e->store, e->ws, item->contact_id, err)) <
        0)
        return rc;
    return ack(e, item, err);
}

/* Write message and the fields that Salesforce named in the first error
 * of r, as "message (fields A, B)", to text. */
static void failure_text(const struct sf_sobject_result *r,
                         const char *message, char *text, size_t size)
{
    const struct sf_sobject_error *first = r->error_count ? &r->errors[0]
                                                          : NULL;
    struct buf b;

    buf_init(&b, 0);
    buf_puts(&b, message);
    for (size_t i = 0; first && i < first->field_count; i++)
        buf_printf(&b, "%s%s", i ? ", " : " (fields ", first->fields[i]);
    if (first && first->field_count)
        buf_putc(&b, ')');
    snprintf(text, size, "%s", b.data ? b.data : "");
    buf_release(&b);
}

static int record_failure(struct sync_engine *e, struct push_item *item,
                          const struct sf_sobject_result *r, struct err *err)
{
    const char *code = r->error_count ? r->errors[0].status_code
                                      : "UNKNOWN_ERROR";
    const char *message = r->error_count && r->errors[0].message
                              ? r->errors[0].message
                              : "Salesforce gave no reason";
    char text[ERR_MSG_MAX];
    int rc;

    if (item->action == PUSH_DELETE && strcmp(code, "ENTITY_IS_DELETED") == 0)
        return record_success(e, item, r, err);
    if (item->action == PUSH_UPDATE && !item->reread_done &&
        (strcmp(code, "ENTITY_IS_DELETED") == 0 ||
         strcmp(code, "CANNOT_UPDATE_CONVERTED_LEAD") == 0)) {
        /* Between the pages of a pull, the pull or the next round reads
         * the record, which moves or unlinks the contact first. */
        if (e->pushed) {
            log_info("sync", "update left for the next round: record "
                     "deleted or converted",
                     "object=%s id=%s contact=%" PRId64 " code=%s",
                     mapping_object_name(item->object), item->link.sf_id,
                     item->contact_id, code);
            item->action = PUSH_SKIP;
            return 0;
        }
        item->action = PUSH_REREAD;
        return 0;
    }
    /* A create that Salesforce refused created nothing. */
    if ((item->action == PUSH_CREATE || item->action == PUSH_UPSERT) &&
        (rc = store_intent_delete(e->store, e->ws, item->contact_id, err)) <
            0)
        return rc;
    failure_text(r, message, text, sizeof(text));
    rc = record_error(e, item, code, text, retryable_code(code), err);
    item->action = PUSH_SKIP;
    return rc;
}

static int record_results(struct sync_engine *e, struct push_item **group,
                          size_t n, const struct sf_sobject_results *res,
                          struct err *err)
{
    int rc;

    if ((rc = store_begin(e->store, err)) < 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct sf_sobject_result *r = &res->items[i];

        rc = r->success ? record_success(e, group[i], r, err)
                        : record_failure(e, group[i], r, err);
        if (rc == 0 && group[i]->action != PUSH_REREAD)
            group[i]->action = PUSH_SKIP;
    }
    if (rc == 0)
        rc = sync__save_progress(e, err);
    if (rc < 0) {
        store_rollback(e->store, NULL);
        return rc;
    }
    return store_commit(e->store, err);
}

/* A request failed as a whole: every contact of it gets the error, and
 * the intents of creates stay, since the request may have been applied. */
static void record_request_failure(struct sync_engine *e,
                                   struct push_item **group, size_t n,
                                   const struct err *why)
{
    const char *code = why->sf_code[0] ? why->sf_code
                                       : err_code_name(why->code);

    if (store_begin(e->store, NULL) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        record_error(e, group[i], code, why->msg,
                     why->retryable || retryable_code(code), NULL);
    sync__save_progress(e, NULL);
    store_commit(e->store, NULL);
}

static int send_request(struct sync_engine *e, enum push_action action,
                        enum sf_object object, struct push_item **group,
                        size_t n, struct sf_sobject_results *res,
                        struct err *err)
{
    const char *type = mapping_object_name(object);
    const char **ids;
    json_t *records;
    int rc;

    if (action == PUSH_DELETE) {
        ids = xcalloc(n, sizeof(*ids));
        for (size_t i = 0; i < n; i++)
            ids[i] = group[i]->link.sf_id;
        rc = sf_sobject_delete_many(e->conn->client, ids, n, res, err);
        free(ids);
        return rc;
    }
    records = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(records, group[i]->payload);
    if (action == PUSH_CREATE)
        rc = sf_sobject_create_many(e->conn->client, type, records, res, err);
    else if (action == PUSH_UPSERT)
        rc = sf_sobject_upsert_many(e->conn->client, type, e->ext_id_field,
                                    records, res, err);
    else
        rc = sf_sobject_update_many(e->conn->client, type, records, res, err);
    json_decref(records);
    return rc;
}

/* Return the SystemModstamp of record sf_id in records, a JSON array of
 * query results, or 0 when it is not among them. */
static int64_t stamp_of(const json_t *records, const char *sf_id)
{
    size_t i;
    const json_t *rec;

    json_array_foreach(records, i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "Id"));

        if (id && strcmp(id, sf_id) == 0)
            return apply_record_stamp(rec, "SystemModstamp");
    }
    return 0;
}

/*
 * Read the SystemModstamp of the records that group updates, in one query,
 * and take out of group the contacts whose record changed after the pull
 * read it. Those stay pending, and the next round's pull merges the edit
 * three-way, so an edit made between the pull and the push is not
 * overwritten. *n is set to the contacts left. Without a pull in the
 * round (direction to-salesforce, unless a pull runs meanwhile), or for a
 * link with no stamp yet, there is nothing to compare and the group is
 * left as it is.
 * NOTE: an edit that lands between this read and the update is still
 * overwritten.
 */
/* Read Id and SystemModstamp of the records of object with the n ids into
 * *out, a new array. Return 0 or a negative code. */
static int read_stamps(struct sync_engine *e, enum sf_object object,
                       const char **ids, size_t n, json_t **out,
                       struct err *err)
{
    static const char *const fields[] = {"Id", "SystemModstamp"};
    struct sf_soql q;
    char *soql;
    int rc;

    *out = json_array();
    sf_soql_init(&q);
    sf_soql_select(&q, fields, ARRAY_SIZE(fields));
    sf_soql_from(&q, mapping_object_name(object));
    sf_soql_where_in(&q, "Id", false, ids, n);
    soql = sf_soql_finish(&q, err);
    sf_soql_release(&q);
    if (!soql)
        return err ? err->code : SYNC_EINVALID;
    rc = sync__query_records(e, soql, false, *out, err);
    free(soql);
    return rc;
}

/* The stamp that a push between the pages of this pull read right after
 * it updated sf_id, or 0. */
static int64_t written_stamp(const struct sync_engine *e, const char *sf_id)
{
    json_t *stamp;

    if (!e->pushed || !e->pushed->written)
        return 0;
    stamp = json_object_get(e->pushed->written, sf_id);
    return stamp ? (int64_t)json_integer_value(stamp) : 0;
}

static int defer_moved_records(struct sync_engine *e, enum sf_object object,
                               struct push_item **group, size_t *n,
                               struct err *err)
{
    const char **ids = NULL;
    json_t *records = NULL;
    size_t remaining = 0;
    int rc = 0;

    if ((e->direction == SYNC_DIRECTION_TO_SALESFORCE && !e->pushed) ||
        *n == 0)
        return 0;
    ids = xcalloc(*n, sizeof(*ids));
    for (size_t i = 0; i < *n; i++)
        ids[i] = group[i]->link.sf_id;
    if ((rc = read_stamps(e, object, ids, *n, &records, err)) < 0)
        goto out;
    for (size_t i = 0; i < *n; i++) {
        struct push_item *item = group[i];
        int64_t seen = item->link.system_modstamp_ms;
        int64_t current = stamp_of(records, item->link.sf_id);
        int64_t written = written_stamp(e, item->link.sf_id);

        item->remote_stamp = current;
        /* A stamp moved by an earlier push of this pull, and by nothing
         * since, is no Salesforce change. */
        if (seen == 0 || current <= seen || (written && current == written)) {
            group[remaining++] = item;
            continue;
        }
        item->action = PUSH_SKIP;
        log_info("sync", "update deferred: record changed since the pull",
                 "object=%s id=%s contact=%" PRId64,
                 mapping_object_name(object), item->link.sf_id,
                 item->contact_id);
    }
    *n = remaining;
out:
    json_decref(records);
    free(ids);
    return rc;
}

/*
 * Between the pages of a pull, read the stamps of the records that the n
 * updates of group wrote, so that the next push of the pull can update
 * them again (defer_moved_records). A failed read only logs: the next
 * edit of such a record then waits for the pull to end.
 * NOTE: a Salesforce edit landing between the update and this read is
 * taken for the push's own write, and a later push of the pull overwrites
 * it.
 */
static void note_written(struct sync_engine *e, enum sf_object object,
                         struct push_item **group, size_t n)
{
    const char **ids = xcalloc(n ? n : 1, sizeof(*ids));
    json_t *records = NULL;
    size_t count = 0;
    struct err err;

    for (size_t i = 0; i < n; i++)
        if (group[i]->succeeded)
            ids[count++] = group[i]->link.sf_id;
    err_clear(&err);
    if (count && read_stamps(e, object, ids, count, &records, &err) < 0) {
        log_warn("sync", "reading the stamps of pushed records failed",
                 "object=%s records=%zu error=%s",
                 mapping_object_name(object), count, err.msg);
    } else {
        for (size_t i = 0; i < count; i++) {
            int64_t stamp = stamp_of(records, ids[i]);

            if (stamp)
                json_object_set_new(e->pushed->written, ids[i],
                                    json_integer((json_int_t)stamp));
        }
    }
    json_decref(records);
    free(ids);
}

/* Send one group of up to 200 contacts and record the results. */
static int send_group(struct sync_engine *e, enum push_action action,
                      enum sf_object object, struct push_item **group,
                      size_t n, struct err *err)
{
    struct sf_sobject_results res;
    int rc;

    memset(&res, 0, sizeof(res));
    if (action == PUSH_UPDATE &&
        (rc = defer_moved_records(e, object, group, &n, err)) < 0)
        return rc;
    if (n == 0)
        return 0;
    if ((rc = sync__check_budget(e, err)) < 0)
        return rc;
    if (action == PUSH_CREATE && (rc = record_intents(e, group, n, err)) < 0)
        return rc;
    rc = send_request(e, action, object, group, n, &res, err);
    if (rc < 0) {
        if (rc != SYNC_EAUTH)
            record_request_failure(e, group, n, err);
        return rc;
    }
    rc = record_results(e, group, n, &res, err);
    sf_sobject_results_release(&res);
    if (rc == 0 && e->pushed && action == PUSH_UPDATE)
        note_written(e, object, group, n);
    return rc;
}

static int send_all(struct sync_engine *e, struct push_item *items, size_t n,
                    struct err *err)
{
    static const enum push_action actions[] = {PUSH_CREATE, PUSH_UPSERT,
                                               PUSH_UPDATE, PUSH_DELETE};
    struct push_item **group = xcalloc(n ? n : 1, sizeof(*group));
    int rc;

    if ((rc = ack_all(e, items, n, err)) < 0)
        goto out;
    for (int o = 0; o < SF_OBJECT_COUNT; o++)
        for (size_t a = 0; a < ARRAY_SIZE(actions); a++) {
            size_t count = 0;

            for (size_t i = 0; i < n; i++)
                if (items[i].action == actions[a] && (int)items[i].object == o)
                    group[count++] = &items[i];
            if (count && (rc = send_group(e, actions[a], (enum sf_object)o,
                                          group, count, err)) < 0)
                goto out;
        }
out:
    free(group);
    return rc;
}

/* Whether item sends a Contact's company, which goes through AccountId. */
static bool sends_company(const struct push_item *item)
{
    return item->object == SF_OBJECT_CONTACT && item->sent &&
           (item->action == PUSH_CREATE || item->action == PUSH_UPSERT ||
            item->action == PUSH_UPDATE) &&
           json_object_get(item->sent,
                           contact_fields[CONTACT_COMPANY].name) != NULL;
}

/* Return the case-folded form of an Account name, the key of the accounts
 * and failed maps. SOQL = and IN compare names without regard to case, so
 * names that differ only in case are one Account. */
static char *account_key(const char *name)
{
    char *key = utf8_fold_case(name, strlen(name));

    return key ? key : xstrdup(name);
}

/* Set the key of name in obj to value, taking its reference. */
static void account_set(json_t *obj, const char *name, json_t *value)
{
    char *key = account_key(name);

    json_object_set_new(obj, key, value);
    free(key);
}

/* The value of the key of name in obj, or NULL. */
static json_t *account_get(json_t *obj, const char *name)
{
    char *key = account_key(name);
    json_t *value = json_object_get(obj, key);

    free(key);
    return value;
}

/* Add to accounts (account_key -> Id) the Accounts named as names in any
 * letter case, lowest Id first. */
static int find_accounts(struct sync_engine *e, const char *const *names,
                         size_t n, json_t *accounts, struct err *err)
{
    static const char *const fields[] = {"Id", "Name"};
    json_t *records = json_array(), *rec;
    struct sf_soql q;
    char *soql;
    size_t i;
    int rc;

    sf_soql_init(&q);
    sf_soql_select(&q, fields, ARRAY_SIZE(fields));
    sf_soql_from(&q, "Account");
    sf_soql_where_in(&q, "Name", false, names, n);
    sf_soql_order_by(&q, "Id", SF_SOQL_ASC);
    soql = sf_soql_finish(&q, err);
    sf_soql_release(&q);
    rc = soql ? sync__query_records(e, soql, false, records, err)
              : (err ? err->code : SYNC_EINVALID);
    json_array_foreach(records, i, rec)
    {
        const char *name = json_string_value(json_object_get(rec, "Name"));
        json_t *id = json_object_get(rec, "Id");

        if (name && json_is_string(id) && !account_get(accounts, name))
            account_set(accounts, name, json_incref(id));
    }
    free(soql);
    json_decref(records);
    return rc;
}

/* Create an Account for each of names, adding the new ids to accounts.
 * A name Salesforce rejects is left out, with its error in failed
 * (name -> message). */
static int create_accounts(struct sync_engine *e, const char *const *names,
                           size_t n, json_t *accounts, json_t *failed,
                           struct err *err)
{
    struct sf_sobject_results res;
    json_t *records = json_array();
    int rc;

    memset(&res, 0, sizeof(res));
    for (size_t i = 0; i < n; i++)
        json_array_append_new(records, json_pack("{s:s}", "Name", names[i]));
    if ((rc = sync__check_budget(e, err)) == 0)
        rc = sf_sobject_create_many(e->conn->client, "Account", records, &res,
                                    err);
    for (size_t i = 0; rc == 0 && i < res.count && i < n; i++) {
        const struct sf_sobject_result *r = &res.items[i];

        if (r->success)
            account_set(accounts, names[i], json_string(r->id));
        else
            account_set(
                failed, names[i],
                json_sprintf("%s: %s",
                             r->error_count ? r->errors[0].status_code
                                            : "UNKNOWN_ERROR",
                             r->error_count && r->errors[0].message
                                 ? r->errors[0].message
                                 : "Salesforce gave no reason"));
    }
    if (rc == 0)
        log_info("sync", "accounts created for contacts' companies",
                 "count=%zu failed=%zu", n, res.failed);
    sf_sobject_results_release(&res);
    json_decref(records);
    return rc;
}

/*
 * Set AccountId in the payload of every Contact of the window that sends
 * its company: the Account named as the company in any letter case, found
 * with one query per LOOKUP_NAMES_MAX names and created when missing, or
 * null for an empty company. A contact whose Account cannot be created gets a sync
 * error and is not sent.
 */
static int resolve_accounts(struct sync_engine *e, struct push_item *items,
                            size_t n, struct err *err)
{
    const char **names = xcalloc(n + 1, sizeof(*names));
    json_t *accounts = json_object(), *failed = json_object();
    json_t *keys = json_object();
    size_t count = 0, missing = 0;
    int rc = 0;

    /* One Account per name in any letter case: the first spelling in the
     * window names it. */
    for (size_t i = 0; i < n; i++) {
        const char *name = contact_text(&items[i].contact, CONTACT_COMPANY);

        if (!sends_company(&items[i]) || !name || account_get(keys, name))
            continue;
        account_set(keys, name, json_true());
        names[count++] = name;
    }
    for (size_t i = 0; i < count && rc == 0; i += LOOKUP_NAMES_MAX)
        rc = find_accounts(e, names + i,
                           count - i < LOOKUP_NAMES_MAX ? count - i
                                                        : LOOKUP_NAMES_MAX,
                           accounts, err);
    for (size_t i = 0; i < count; i++)
        if (!account_get(accounts, names[i]))
            names[missing++] = names[i];
    if (rc == 0 && missing)
        rc = create_accounts(e, names, missing, accounts, failed, err);
    for (size_t i = 0; i < n && rc == 0; i++) {
        struct push_item *item = &items[i];
        const char *name = contact_text(&item->contact, CONTACT_COMPANY);
        json_t *why = name ? account_get(failed, name) : NULL;

        if (!sends_company(item))
            continue;
        if (why) {
            item->action = PUSH_SKIP;
            rc = record_error(e, item, "ACCOUNT_NOT_CREATED",
                              json_string_value(why), false, err);
            continue;
        }
        json_object_set(item->payload, "AccountId",
                        name ? account_get(accounts, name) : json_null());
    }
    free(names);
    json_decref(keys);
    json_decref(accounts);
    json_decref(failed);
    return rc;
}

/* Read again the records whose updates found them converted or deleted,
 * which moves or unlinks their contacts, then plan and send those
 * contacts once more. */
static int reread_and_resend(struct sync_engine *e, struct push_item *items,
                             size_t n, struct err *err)
{
    const char **ids = xcalloc(n ? n : 1, sizeof(*ids));
    bool any = false;
    int rc = 0;

    for (int o = 0; o < SF_OBJECT_COUNT && rc == 0; o++) {
        size_t count = 0;

        for (size_t i = 0; i < n; i++)
            if (items[i].action == PUSH_REREAD && (int)items[i].object == o)
                ids[count++] = items[i].link.sf_id;
        if (count)
            rc = sync__reread(e, (enum sf_object)o, ids, count, err);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (items[i].action != PUSH_REREAD)
            continue;
        items[i].reread_done = true;
        any = true;
        rc = plan(e, &items[i], err);
    }
    free(ids);
    if (rc == 0 && any)
        rc = resolve_accounts(e, items, n, err);
    if (rc == 0 && any)
        rc = send_all(e, items, n, err);
    return rc;
}

static int push_window(struct sync_engine *e, const int64_t *ids, size_t n,
                       struct err *err)
{
    struct push_item *items = xcalloc(n, sizeof(*items));
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        items[i].contact_id = ids[i];
        contact_init(&items[i].contact);
        store_link_init(&items[i].link);
    }
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = plan(e, &items[i], err);
    for (int o = 0; o < SF_OBJECT_COUNT && rc == 0; o++)
        rc = lookup_object(e, items, n, (enum sf_object)o, err);
    for (size_t i = 0; i < n && rc == 0; i++)
        if (items[i].action == PUSH_REPLAN)
            rc = plan(e, &items[i], err);
    if (rc == 0)
        rc = resolve_accounts(e, items, n, err);
    if (rc == 0)
        rc = send_all(e, items, n, err);
    if (rc == 0)
        rc = reread_and_resend(e, items, n, err);
    for (size_t i = 0; i < n; i++)
        item_release(&items[i]);
    free(items);
    return rc;
}

int sync__linked_pending(struct sync_engine *e, bool *out, struct err *err)
{
    int64_t *ids = NULL;
    size_t n = 0;
    int rc;

    *out = false;
    if ((rc = pending_contacts(e, &ids, &n, err)) < 0)
        return rc;
    for (size_t i = 0; i < n && !*out && rc == 0; i++) {
        struct store_link link;

        store_link_init(&link);
        rc = store_link_get(e->store, e->ws, ids[i], &link, err);
        *out = rc == 0;
        if (rc == SYNC_ENOTFOUND) {
            err_clear(err);
            rc = 0;
        }
        store_link_release(&link);
    }
    free(ids);
    return rc;
}

int sync__push(struct sync_engine *e, struct err *err)
{
    int64_t *ids = NULL;
    size_t n = 0;
    int rc;

    if ((rc = pending_contacts(e, &ids, &n, err)) < 0)
        return rc;
    log_debug("sync", "push", "contacts=%zu", n);
    for (size_t i = 0; i < n && rc == 0; i += PUSH_WINDOW)
        rc = push_window(e, ids + i, n - i < PUSH_WINDOW ? n - i : PUSH_WINDOW,
                         err);
    free(ids);
    return rc;
}
