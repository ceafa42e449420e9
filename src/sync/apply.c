/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Applying pulled records: the merge into linked contacts, linking and
 * creating for unlinked records, deletes, merges and conversions. Every
 * write goes through the store with STORE_ORIGIN_SALESFORCE, so nothing
 * applied here is queued for the push.
 */
#include "base/common.h"

#include "apply.h"

#include <inttypes.h>
#include <sched.h>
#include <strings.h>

#include "base/datetime.h"
#include "base/sfid.h"
#include "fold.h"
#include "settings.h"

/* A create intent matches records created up to this long before it, for
 * clock skew between this host and Salesforce. */
#define INTENT_SLACK_MS 60000

void apply_init(struct apply_ctx *ctx, struct store *s, int64_t ws,
                enum sf_object object, const struct mapping *mapping,
                struct store_run_counts *counts)
{
    char *region = NULL;

    memset(ctx, 0, sizeof(*ctx));
    ctx->store = s;
    ctx->ws = ws;
    ctx->object = object;
    ctx->mapping = mapping;
    ctx->from_sf = mapping_fields(mapping, object, MAPPING_FROM_SF);
    ctx->policy = MERGE_POLICY_SALESFORCE;
    ctx->archive_on_delete = true;
    ctx->counts = counts;
    settings_get(s, ws, "default_region", &region, NULL);
    snprintf(ctx->region, sizeof(ctx->region), "%s",
             region ? region : PHONE_DEFAULT_REGION);
    free(region);
}

void apply_release(struct apply_ctx *ctx)
{
    for (size_t i = 0; i < ctx->intent_count; i++)
        contact_release(&ctx->intents[i].contact);
    free(ctx->intents);
    ctx->intents = NULL;
    ctx->intent_count = 0;
}

int apply_load_intents(struct apply_ctx *ctx, struct err *err)
{
    struct store_intent *list = NULL;
    size_t n = 0;
    int rc;

    apply_release(ctx);
    if ((rc = store_intent_list(ctx->store, ctx->ws, ctx->object, &list, &n,
                                err)) < 0)
        return rc;
    ctx->intents = xcalloc(n ? n : 1, sizeof(*ctx->intents));
    for (size_t i = 0; i < n; i++) {
        struct apply_intent *ai = &ctx->intents[ctx->intent_count];

        contact_init(&ai->contact);
        if (store_contact_get(ctx->store, ctx->ws, list[i].contact_id,
                              &ai->contact, NULL) < 0)
            continue;
        ai->intent = list[i];
        ctx->intent_count++;
    }
    free(list);
    return 0;
}

int apply_check_sync_errors(struct apply_ctx *ctx, struct err *err)
{
    struct store_sync_error *errors = NULL;
    size_t count = 0;
    int rc;

    ctx->no_sync_errors = false;
    if ((rc = store_sync_error_list(ctx->store, ctx->ws, 0, 1, &errors,
                                    &count, err)) < 0)
        return rc;
    store_sync_errors_free(errors, count);
    ctx->no_sync_errors = count == 0;
    return 0;
}

int64_t apply_record_stamp(const json_t *rec, const char *field)
{
    const char *s = json_string_value(json_object_get(rec, field));
    int64_t ms = 0;

    if (s && datetime_parse(s, &ms, NULL) < 0)
        ms = 0;
    return ms;
}

bool apply_record_flag(const json_t *rec, const char *field)
{
    return json_is_true(json_object_get(rec, field));
}

const char **apply_boolean_fields(const struct mapping *m,
                                  enum sf_object object)
{
    const char **list = xcalloc(m->count + 3, sizeof(*list));
    size_t n = 0;

    for (size_t i = 0; i < m->count; i++)
        if (m->rows[i].object == object &&
            contact_fields[m->rows[i].field].type == CONTACT_TYPE_BOOL)
            list[n++] = m->rows[i].sf_field;
    list[n++] = "IsDeleted";
    list[n++] = "IsConverted";
    return list;
}

/* An 18-character id from a string field of rec, or "" in out. */
static const char *record_id(const json_t *rec, const char *field,
                             char out[SFID_SIZE])
{
    const char *id = json_string_value(json_object_get(rec, field));

    out[0] = '\0';
    if (!id || sfid_to18(id, out) < 0)
        out[0] = '\0';
    return out;
}

/* Store the reason a record or contact was not applied as it came, without
 * counting it as an error. The record's earlier errors go first, so each
 * has one current error. The caller logs it. */
static void store_error_row(struct apply_ctx *ctx, enum sf_object object,
                            const char *sf_id, int64_t contact_id,
                            const char *code, const char *message)
{
    struct store_sync_error e;

    memset(&e, 0, sizeof(e));
    e.workspace_id = ctx->ws;
    e.contact_id = contact_id;
    e.object = (int)object;
    snprintf(e.sf_id, sizeof(e.sf_id), "%s", sf_id);
    e.code = (char *)code;
    e.message = (char *)message;
    if (sf_id[0] && !contact_id)
        store_sync_error_clear_record(ctx->store, ctx->ws, sf_id, NULL);
    store_sync_error_add(ctx->store, &e, NULL);
    ctx->no_sync_errors = false;
}

/* As store_error_row, counting the row in the round's errors. */
static void record_error(struct apply_ctx *ctx, enum sf_object object,
                         const char *sf_id, int64_t contact_id,
                         const char *code, const char *message)
{
    store_error_row(ctx, object, sf_id, contact_id, code, message);
    ctx->counts->errors++;
}

/* A record that cannot be stored (a value too long, invalid UTF-8) is
 * skipped and recorded; the rest of its page is applied. */
static void record_invalid(struct apply_ctx *ctx, enum sf_object object,
                           const char *sf_id, const struct err *reason)
{
    record_error(ctx, object, sf_id, 0,
                 reason->code == SYNC_EINVALID ? "INVALID_VALUE"
                                            : err_code_name(reason->code),
                 reason->msg);
    log_warn("sync", "record skipped", "object=%s id=%s error=%s",
             mapping_object_name(object), sf_id, reason->msg);
}

int apply_parse(struct apply_ctx *ctx, enum sf_object object,
                const json_t *rec, const char *sf_id, struct contact *out,
                struct err *reason)
{
    if (mapping_from_record(ctx->mapping, object, rec, out, NULL, reason) < 0 ||
        contact_prepare(out, ctx->region, reason) < 0) {
        err_prefix(reason, "%s %s", mapping_object_name(object), sf_id);
        return -1;
    }
    return 0;
}

/* The max unlinked contacts sharing a phone that the pull compares by
 * email and names. A phone that this many or more share (a switchboard)
 * matches no contact. */
#define PHONE_MATCH_MAX 16

/* Whether contact id, which shares a phone with in, may be the same
 * person (contact_phone_match_agrees). A contact that cannot be read does
 * not agree, so that no link is made on a guess. */
static bool phone_match_agrees(struct apply_ctx *ctx, int64_t id,
                               const struct contact *in)
{
    struct contact c;
    bool agrees;

    contact_init(&c);
    agrees = store_contact_get(ctx->store, ctx->ws, id, &c, NULL) == 0 &&
             contact_phone_match_agrees(&c, in);
    contact_release(&c);
    return agrees;
}

/*
 * The one unlinked local contact that matches in, or 0. The email matches
 * in any ASCII letter case. A phone (E.164, phone or mobile) matches only
 * a contact that contact_phone_match_agrees with: the same email, or,
 * without an email on both sides, the same last name and no other first
 * name, because a shared phone (a switchboard) does not make two people
 * one.
 */
static int64_t find_match(struct apply_ctx *ctx, const struct contact *in)
{
    static const enum contact_field phones[] = {CONTACT_PHONE,
                                                CONTACT_MOBILE_PHONE};
    const char *email = contact_text(in, CONTACT_EMAIL);
    int64_t found = 0, ids[PHONE_MATCH_MAX];
    size_t n;

    if (ctx->skip_match)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(phones); i++) {
        const char *e164 = in->values[phones[i]].e164;

        if (!e164 || store_contact_find_unlinked_by_phone(
                         ctx->store, ctx->ws, e164, ids, PHONE_MATCH_MAX, &n,
                         NULL) < 0)
            continue;
        /* The contacts past the first PHONE_MATCH_MAX are not read, and
         * one of them could be a second match. */
        if (n == PHONE_MATCH_MAX)
            continue;
        for (size_t j = 0; j < n; j++) {
            if (!phone_match_agrees(ctx, ids[j], in))
                continue;
            if (found && found != ids[j])
                return 0;
            found = ids[j];
        }
    }
    if (email && store_contact_find_unlinked_by_email(
                     ctx->store, ctx->ws, email, ids, 2, &n, NULL) == 0)
        for (size_t j = 0; j < n; j++) {
            if (found && found != ids[j])
                return 0;
            found = ids[j];
        }
    return found;
}

/* Write the link of contact_id to record sf_id of object with base and
 * the record's stamps, unless old already has exactly these values. */
static int save_link(struct apply_ctx *ctx, int64_t contact_id,
                     enum sf_object object, const char *sf_id, json_t *base,
                     const json_t *rec, const struct store_link *old,
                     struct err *err)
{
    struct store_link link;

    store_link_init(&link);
    link.contact_id = contact_id;
    link.workspace_id = ctx->ws;
    link.object = object;
    snprintf(link.sf_id, sizeof(link.sf_id), "%s", sf_id);
    link.base = base;
    link.system_modstamp_ms = rec ? apply_record_stamp(rec, "SystemModstamp")
                                  : 0;
    link.last_modified_ms = rec ? apply_record_stamp(rec, "LastModifiedDate")
                                : 0;
    if (old && old->object == object && strcmp(old->sf_id, sf_id) == 0 &&
        json_equal(old->base, base) &&
        old->system_modstamp_ms == link.system_modstamp_ms &&
        old->last_modified_ms == link.last_modified_ms)
        return 0;
    return store_link_upsert(ctx->store, &link, err);
}

/* The text of a field for the conflict log: NULL when empty. */
static const char *value_text(const struct contact *c, enum contact_field f)
{
    if (contact_fields[f].type == CONTACT_TYPE_BOOL)
        return c->values[f].flag ? "true" : "false";
    return c->values[f].text;
}

/* Record one conflict of field f of contact_id, linked to sf_id of
 * object, in the conflict log and the round's counts. */
static int add_conflict(struct apply_ctx *ctx, int64_t contact_id,
                        enum sf_object object, const char *sf_id,
                        enum contact_field f, const char *local_value,
                        const char *remote_value, const char *winner,
                        const char *policy, struct err *err)
{
    struct store_conflict c;
    int rc;

    memset(&c, 0, sizeof(c));
    c.workspace_id = ctx->ws;
    c.run_id = ctx->run_id;
    c.contact_id = contact_id;
    c.object = (int)object;
    snprintf(c.sf_id, sizeof(c.sf_id), "%s", sf_id);
    c.field = (char *)contact_fields[f].name;
    c.local_value = (char *)local_value;
    c.remote_value = (char *)remote_value;
    c.winner = (char *)winner;
    c.policy = (char *)policy;
    if ((rc = store_conflict_add(ctx->store, &c, err)) < 0)
        return rc;
    ctx->counts->conflicts++;
    log_info("sync", "conflict settled",
             "contact=%" PRId64 " id=%s field=%s winner=%s policy=%s",
             contact_id, sf_id, c.field, winner, policy);
    return 0;
}

/*
 * Record the conflicts of a merge of in into cur. A contact archived
 * locally whose record the push is going to delete (on_local_delete
 * delete) loses every Salesforce change to that delete, so each field
 * that Salesforce changed and that differs from cur is recorded, won by
 * the delete.
 */
static int record_conflicts(struct apply_ctx *ctx, const struct contact *cur,
                            const struct contact *in,
                            const struct merge_result *mr,
                            enum sf_object object, const char *sf_id,
                            struct err *err)
{
    bool deleting = cur->archived && ctx->delete_on_local_delete;
    uint32_t fields = deleting ? mr->take | mr->conflicts : mr->conflicts;

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        bool local = (mr->local_won & CONTACT_FIELD_BIT(f)) != 0;
        const char *winner = local ? "local" : "salesforce";
        const char *policy = mr->outcome[f] == MERGE_RESTRICTIVE
                                 ? "restrictive"
                                 : merge_policy_name(ctx->policy);
        int rc;

        if (!(fields & CONTACT_FIELD_BIT(f)))
            continue;
        if (deleting) {
            winner = "delete";
            policy = "on_local_delete";
        }
        if ((rc = add_conflict(ctx, cur->id, object, sf_id,
                               (enum contact_field)f,
                               value_text(cur, (enum contact_field)f),
                               value_text(in, (enum contact_field)f), winner,
                               policy, err)) < 0)
            return rc;
    }
    return 0;
}

/* Whether the company of c, a contact of object, is the default_company
 * that the push sends for a Lead without a company. */
static bool is_placeholder_company(const struct apply_ctx *ctx,
                                   enum sf_object object,
                                   const struct contact *c)
{
    const char *company = contact_text(c, CONTACT_COMPANY);

    return object == SF_OBJECT_LEAD && ctx->default_company &&
           *ctx->default_company && company &&
           strcmp(company, ctx->default_company) == 0;
}

/*
 * Merge in, the values of record sf_id of object, into cur against
 * old_base, and write cur when it takes anything. *out_base receives the
 * new base (a new reference): old_base updated with the remote values
 * that are now agreed, or only those when fresh is set. *out_changed is
 * set when cur changed. When seen is set, both sides are as an earlier
 * merge found them, which recorded their conflicts already. first_link
 * marks the empty base of a first link (merge_input.first_link).
 */
static int merge_into(struct apply_ctx *ctx, struct contact *cur,
                      const json_t *old_base, const struct contact *in,
                      const json_t *rec, enum sf_object object,
                      const char *sf_id, bool fresh, bool seen,
                      bool first_link, json_t **out_base, bool *out_changed,
                      struct err *err)
{
    uint32_t fields = mapping_fields(ctx->mapping, object, MAPPING_FROM_SF);
    struct merge_input mi;
    struct merge_result mr;
    struct contact base, remote;
    uint32_t base_fields = 0;
    json_t *agreed;
    int rc;

    *out_base = NULL;
    *out_changed = false;
    contact_init(&base);
    if (!old_base ||
        contact_fields_from_json(&base, old_base, &base_fields, NULL) < 0)
        base_fields = 0;
    /* The merge compares phones by their E.164 forms. */
    contact_normalize_phones(&base, ctx->region, NULL);
    /* A conversion's base is the Lead's, so it is no trustworthy base for
     * the restrictive fields of the Contact. */
    if (fresh)
        base_fields &= ~(CONTACT_FIELD_BIT(CONTACT_DO_NOT_CALL) |
                         CONTACT_FIELD_BIT(CONTACT_EMAIL_OPT_OUT));
    /* The push sent default_company for a contact without a company, so
     * that value in the base or the record counts as the empty local value
     * and is no change on either side. */
    contact_init(&remote);
    contact_copy(&remote, in);
    if (!contact_text(cur, CONTACT_COMPANY)) {
        if (is_placeholder_company(ctx, object, &base))
            contact_set_text(&base, CONTACT_COMPANY, NULL);
        if (is_placeholder_company(ctx, object, &remote))
            contact_set_text(&remote, CONTACT_COMPANY, NULL);
    }
    memset(&mi, 0, sizeof(mi));
    mi.local = cur;
    mi.base = &base;
    mi.base_fields = base_fields;
    mi.remote = &remote;
    mi.fields = fields;
    mi.policy = ctx->policy;
    mi.local_modified_ms = cur->updated_ms;
    mi.remote_modified_ms = apply_record_stamp(rec, "LastModifiedDate");
    mi.first_link = first_link;
    merge_fields(&mi, &mr);
    if (!seen &&
        (rc = record_conflicts(ctx, cur, in, &mr, object, sf_id, err)) < 0)
        goto out;
    if (mr.take) {
        contact_copy_fields(cur, in, mr.take);
        if ((rc = store_contact_update(ctx->store, cur,
                                       STORE_ORIGIN_SALESFORCE, err)) < 0)
            goto out;
        *out_changed = true;
    }
    /* A local value that won without a local change (true kept against a
     * Salesforce false) is in no outbox entry yet: queue one, so that the
     * push sends it back. */
    if ((mr.local_won & ~mr.keep_base) &&
        (rc = store_outbox_requeue(ctx->store, ctx->ws, cur->id, err)) < 0)
        goto out;
    *out_base = fresh || !old_base ? json_object() : json_deep_copy(old_base);
    if (fresh && old_base)
        for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
            const char *name = contact_fields[f].name;
            json_t *old_value = json_object_get(old_base, name);

            if ((mr.keep_base & CONTACT_FIELD_BIT(f)) && old_value)
                json_object_set(*out_base, name, old_value);
        }
    agreed = contact_fields_to_json(in, fields & ~mr.keep_base);
    if (agreed)
        json_object_update(*out_base, agreed);
    json_decref(agreed);
out:
    contact_release(&remote);
    contact_release(&base);
    return rc;
}

static int apply_linked(struct apply_ctx *ctx, const struct store_link *old,
                        const struct contact *in, const json_t *rec,
                        struct err *err)
{
    struct contact cur;
    json_t *base = NULL;
    bool changed = false, seen;
    int rc;

    contact_init(&cur);
    if ((rc = store_contact_get(ctx->store, ctx->ws, old->contact_id, &cur,
                                err)) < 0)
        goto out;
    /* The same Salesforce edit (LastModifiedDate) against a contact
     * unchanged since the link was written, as when a local value that won
     * waits for its push: its conflicts are recorded once. */
    seen = old->last_modified_ms != 0 &&
           old->last_modified_ms ==
               apply_record_stamp(rec, "LastModifiedDate") &&
           cur.updated_ms <= old->updated_ms;
    if ((rc = merge_into(ctx, &cur, old->base, in, rec, old->object,
                         old->sf_id, false, seen, false, &base, &changed,
                         err)) < 0)
        goto out;
    if ((rc = save_link(ctx, cur.id, old->object, old->sf_id, base, rec, old,
                        err)) < 0)
        goto out;
    if (changed) {
        ctx->counts->updated++;
        ctx->counts->pulled++;
    } else {
        ctx->counts->unchanged++;
    }
out:
    json_decref(base);
    contact_release(&cur);
    return rc;
}

/* The contact of an external id value "<prefix>-<id>", or 0. */
static int64_t contact_of_external_id(const struct apply_ctx *ctx,
                                      const json_t *rec)
{
    const char *value, *dash;
    size_t len;
    char *end;
    long long id;

    if (!ctx->ext_id_field || !ctx->ext_id_prefix)
        return 0;
    value = json_string_value(json_object_get(rec, ctx->ext_id_field));
    len = strlen(ctx->ext_id_prefix);
    if (!value || strncmp(value, ctx->ext_id_prefix, len) != 0)
        return 0;
    dash = value + len;
    if (*dash != '-')
        return 0;
    id = strtoll(dash + 1, &end, 10);
    return *end || id <= 0 ? 0 : (int64_t)id;
}

static bool same_text_nocase(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

static bool same_phone(const struct contact *a, const struct contact *b)
{
    static const enum contact_field phones[] = {CONTACT_PHONE,
                                                CONTACT_MOBILE_PHONE};

    for (size_t i = 0; i < ARRAY_SIZE(phones); i++)
        for (size_t j = 0; j < ARRAY_SIZE(phones); j++) {
            const char *x = a->values[phones[i]].e164;
            const char *y = b->values[phones[j]].e164;

            if (x && y && strcmp(x, y) == 0)
                return true;
        }
    return false;
}

bool apply_intent_matches(const struct apply_intent *ai, const json_t *rec,
                          const struct contact *in)
{
    const struct contact *c = &ai->contact;
    char creator[SFID_SIZE];
    bool has_key;

    record_id(rec, "CreatedById", creator);
    if (!creator[0] || strcmp(creator, ai->intent.user_id) != 0)
        return false;
    if (apply_record_stamp(rec, "CreatedDate") <
        ai->intent.created_ms - INTENT_SLACK_MS)
        return false;
    if (!contact_text(c, CONTACT_LAST_NAME) ||
        !contact_text(in, CONTACT_LAST_NAME) ||
        strcmp(contact_text(c, CONTACT_LAST_NAME),
               contact_text(in, CONTACT_LAST_NAME)) != 0)
        return false;
    has_key = contact_text(c, CONTACT_EMAIL) ||
              c->values[CONTACT_PHONE].e164 ||
              c->values[CONTACT_MOBILE_PHONE].e164;
    return !has_key ||
           same_text_nocase(contact_text(c, CONTACT_EMAIL),
                            contact_text(in, CONTACT_EMAIL)) ||
           (same_phone(c, in) && contact_phone_match_agrees(c, in));
}

/* The contact whose own push created rec, by external id or create
 * intent, or 0. An intent that matches is used up. */
static int64_t contact_of_push(struct apply_ctx *ctx, const json_t *rec,
                               const struct contact *in)
{
    int64_t id = contact_of_external_id(ctx, rec);
    struct store_link link;
    struct contact c;

    if (id) {
        store_link_init(&link);
        contact_init(&c);
        if (store_contact_get(ctx->store, ctx->ws, id, &c, NULL) < 0 ||
            store_link_get(ctx->store, ctx->ws, id, &link, NULL) == 0)
            id = 0;
        store_link_release(&link);
        contact_release(&c);
        return id;
    }
    for (size_t i = 0; i < ctx->intent_count; i++) {
        struct apply_intent *ai = &ctx->intents[i];

        if (!ai->intent.contact_id || !apply_intent_matches(ai, rec, in))
            continue;
        id = ai->intent.contact_id;
        ai->intent.contact_id = 0;
        return id;
    }
    return 0;
}

int apply_link_own(struct apply_ctx *ctx, int64_t contact_id,
                   const char *sf_id, const struct contact *in,
                   const json_t *rec, struct err *err)
{
    struct contact cur;
    uint32_t fill = 0;
    json_t *base = NULL;
    int rc;

    contact_init(&cur);
    if ((rc = store_contact_get(ctx->store, ctx->ws, contact_id, &cur,
                                err)) < 0)
        goto out;
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        if ((ctx->from_sf & CONTACT_FIELD_BIT(f)) && !cur.values[f].text &&
            in->values[f].text)
            fill |= CONTACT_FIELD_BIT(f);
    /* The placeholder company was the push's, not a value to keep. */
    if (is_placeholder_company(ctx, ctx->object, in))
        fill &= ~CONTACT_FIELD_BIT(CONTACT_COMPANY);
    if (fill) {
        contact_copy_fields(&cur, in, fill);
        if ((rc = store_contact_update(ctx->store, &cur,
                                       STORE_ORIGIN_SALESFORCE, err)) < 0)
            goto out;
    }
    base = contact_fields_to_json(in, ctx->from_sf);
    if ((rc = save_link(ctx, contact_id, ctx->object, sf_id, base, rec, NULL,
                        err)) < 0)
        goto out;
    rc = store_intent_delete(ctx->store, ctx->ws, contact_id, err);
    log_info("sync", "record created by an earlier push linked",
             "object=%s id=%s contact=%" PRId64,
             mapping_object_name(ctx->object), sf_id, contact_id);
    ctx->counts->updated++;
    ctx->counts->pulled++;
out:
    json_decref(base);
    contact_release(&cur);
    return rc;
}

/*
 * The base of a first link, which has none: every text field that flows
 * from Salesforce, empty. A value that only one side has is then a change
 * on that side alone and takes effect, and different values on both sides
 * are a conflict that conflict_policy settles and the conflict log
 * records. Do-not-call and email opt-out stay out of it, so that true wins
 * without a trustworthy base.
 */
static json_t *first_link_base(const struct apply_ctx *ctx)
{
    json_t *base = json_object();

    for (int f = 0; f < CONTACT_FIELD_COUNT; f++)
        if ((ctx->from_sf & CONTACT_FIELD_BIT(f)) &&
            contact_fields[f].type != CONTACT_TYPE_BOOL)
            json_object_set_new(base, contact_fields[f].name, json_null());
    return base;
}

/* Link a record to a matching local contact, merging both against an
 * empty base, or create a new contact for it. */
static int apply_unlinked(struct apply_ctx *ctx, const char *sf_id,
                          struct contact *in, const json_t *rec,
                          struct err *err)
{
    int64_t own = contact_of_push(ctx, rec, in);
    int64_t match = own ? 0 : find_match(ctx, in);
    struct contact cur;
    json_t *base = NULL, *empty = NULL;
    bool changed;
    int rc;

    if (own)
        return apply_link_own(ctx, own, sf_id, in, rec, err);
    contact_init(&cur);
    if (match) {
        if ((rc = store_contact_get(ctx->store, ctx->ws, match, &cur, err)) <
            0)
            goto out;
        empty = first_link_base(ctx);
        if ((rc = merge_into(ctx, &cur, empty, in, rec, ctx->object, sf_id,
                             false, false, true, &base, &changed, err)) < 0)
            goto out;
        /* Values that only the local contact has, and local values that
         * won, differ from the record: queue a push so that Salesforce
         * gets them. A phone written another way is no difference. */
        if ((contact_diff(&cur, in) & ~contact_same_numbers(&cur, in) &
             ctx->from_sf &
             mapping_fields(ctx->mapping, ctx->object, MAPPING_TO_SF)) &&
            (rc = store_outbox_requeue(ctx->store, ctx->ws, cur.id, err)) < 0)
            goto out;
        log_info("sync", "record matched to a local contact",
                 "object=%s id=%s contact=%" PRId64,
                 mapping_object_name(ctx->object), sf_id, match);
        ctx->counts->updated++;
        ctx->counts->pulled++;
        rc = save_link(ctx, cur.id, ctx->object, sf_id, base, rec, NULL, err);
        goto out;
    }
    in->workspace_id = ctx->ws;
    if ((rc = store_contact_insert(ctx->store, in, STORE_ORIGIN_SALESFORCE,
                                   err)) < 0)
        goto out;
    ctx->counts->created++;
    ctx->counts->pulled++;
    base = contact_fields_to_json(in, ctx->from_sf);
    rc = save_link(ctx, in->id, ctx->object, sf_id, base, rec, NULL, err);
out:
    json_decref(empty);
    json_decref(base);
    contact_release(&cur);
    return rc;
}

/* Remember that the record sf_id of contact_id is gone: deleted in
 * Salesforce (survivor_id 0) or become the record of contact
 * survivor_id. */
static int put_tombstone(struct apply_ctx *ctx, int64_t contact_id,
                         enum sf_object object, const char *sf_id,
                         int64_t survivor_id, struct err *err)
{
    struct store_tombstone t;

    memset(&t, 0, sizeof(t));
    t.contact_id = contact_id;
    t.workspace_id = ctx->ws;
    t.object = object;
    snprintf(t.sf_id, sizeof(t.sf_id), "%s", sf_id);
    t.survivor_id = survivor_id;
    return store_tombstone_put(ctx->store, &t, err);
}

/* Unlink a contact and archive it (when archive is set), from Salesforce,
 * so that nothing is queued for the push. */
static int unlink_contact(struct apply_ctx *ctx, int64_t contact_id,
                          bool archive, struct err *err)
{
    struct contact cur;
    int rc;

    if ((rc = store_link_delete(ctx->store, ctx->ws, contact_id, err)) < 0)
        return rc;
    if (!archive)
        return 0;
    contact_init(&cur);
    rc = store_contact_get(ctx->store, ctx->ws, contact_id, &cur, err);
    if (rc == 0 && !cur.archived) {
        cur.archived = true;
        rc = store_contact_update(ctx->store, &cur, STORE_ORIGIN_SALESFORCE,
                                  err);
    }
    contact_release(&cur);
    return rc;
}

/* Archive the contact of loser, whose record became the record of
 * survivor's contact, after moving its pending local edits to that
 * contact, and record the reason. */
static int archive_duplicate(struct apply_ctx *ctx,
                             const struct store_link *loser,
                             const struct store_link *survivor,
                             enum sf_object object, const char *code,
                             const char *reason, struct err *err)
{
    char message[ERR_MSG_MAX];
    uint32_t moved = 0;
    int rc;

    if ((rc = fold_pending_edits(ctx->store, ctx->ws, loser->contact_id,
                                 loser->base, survivor->contact_id,
                                 survivor->base,
                                 mapping_fields(ctx->mapping,
                                                survivor->object,
                                                MAPPING_TO_SF),
                                 &moved, err)) < 0 ||
        (rc = unlink_contact(ctx, loser->contact_id, true, err)) < 0 ||
        (rc = put_tombstone(ctx, loser->contact_id, loser->object,
                            loser->sf_id, survivor->contact_id, err)) < 0)
        return rc;
    snprintf(message, sizeof(message), "%s%s", reason,
             moved ? "; its pending local changes were moved to that contact"
                   : "");
    /* Its earlier push errors went with its pending changes. */
    store_sync_error_clear(ctx->store, ctx->ws, loser->contact_id, NULL);
    /* An expected outcome: a notice in the error list that leaves the
     * round ok. */
    store_error_row(ctx, object, loser->sf_id, loser->contact_id, code,
                    message);
    log_warn("sync", "contact archived", "object=%s id=%s contact=%" PRId64
             " survivor=%" PRId64 " code=%s reason=\"%s\"",
             mapping_object_name(object), loser->sf_id, loser->contact_id,
             survivor->contact_id, code, message);
    ctx->counts->deleted++;
    ctx->counts->pulled++;
    return 0;
}

/* A merge loser: move the link to the master, unless another contact has
 * it. The master's own record, stamped by the merge, is merged next. */
static int follow_merge(struct apply_ctx *ctx, const struct store_link *link,
                        const char *master, struct err *err)
{
    struct store_link other, moved;
    char message[ERR_MSG_MAX];
    int rc;

    store_link_init(&other);
    rc = store_link_find(ctx->store, ctx->ws, master, &other, err);
    if (rc == 0) {
        snprintf(message, sizeof(message),
                 "%s %s was merged into %s, which is linked to contact "
                 "%" PRId64 "; this contact was archived",
                 mapping_object_name(link->object), link->sf_id, master,
                 other.contact_id);
        rc = archive_duplicate(ctx, link, &other, link->object,
                               "MERGED_INTO_LINKED_RECORD", message, err);
        goto out;
    }
    if (rc != SYNC_ENOTFOUND)
        goto out;
    err_clear(err);
    moved = *link;
    snprintf(moved.sf_id, sizeof(moved.sf_id), "%s", master);
    moved.system_modstamp_ms = 0;
    moved.last_modified_ms = 0;
    /* The loser's base says nothing about the master's restrictive
     * fields, so the merge of the master keeps whichever side is true. */
    moved.base = json_deep_copy(link->base);
    json_object_del(moved.base, contact_fields[CONTACT_DO_NOT_CALL].name);
    json_object_del(moved.base, contact_fields[CONTACT_EMAIL_OPT_OUT].name);
    rc = store_link_upsert(ctx->store, &moved, err);
    json_decref(moved.base);
    if (rc < 0)
        goto out;
    log_info("sync", "merged record followed to its master",
             "object=%s id=%s master=%s contact=%" PRId64,
             mapping_object_name(link->object), link->sf_id, master,
             link->contact_id);
    ctx->counts->updated++;
    ctx->counts->pulled++;
out:
    store_link_release(&other);
    return rc;
}

/*
 * Record as conflicts won by the delete the local changes of the contact
 * of link that the push has not sent, because archiving the contact for
 * the deleted record rec drops them. These are the fields a push would
 * send (merge_push_fields), each with the value the deleted record held.
 */
static int record_lost_edits(struct apply_ctx *ctx,
                             const struct store_link *link, const json_t *rec,
                             const char *sf_id, struct err *err)
{
    uint32_t mask = mapping_fields(ctx->mapping, link->object, MAPPING_TO_SF);
    uint32_t base_fields = 0, lost;
    struct contact cur, base, in;
    struct err reason;
    bool parsed;
    int rc;

    contact_init(&cur);
    contact_init(&base);
    contact_init(&in);
    if ((rc = store_contact_get(ctx->store, ctx->ws, link->contact_id, &cur,
                                err)) < 0 ||
        cur.archived)
        goto out;
    if (!link->base ||
        contact_fields_from_json(&base, link->base, &base_fields, NULL) < 0)
        base_fields = 0;
    contact_normalize_phones(&base, ctx->region, NULL);
    /* The push sends default_company for a Lead without a company, and
     * leaves out the empty values that Salesforce does not accept. */
    if (!contact_text(&cur, CONTACT_COMPANY) &&
        is_placeholder_company(ctx, link->object, &base))
        contact_set_text(&base, CONTACT_COMPANY, NULL);
    for (int f = 0; f < CONTACT_FIELD_COUNT; f++) {
        const struct mapping_row *row =
            mapping_find(ctx->mapping, link->object, (enum contact_field)f);

        if (row && (row->flags & MAPPING_NOT_NILLABLE) &&
            contact_fields[f].type != CONTACT_TYPE_BOOL && !cur.values[f].text)
            mask &= ~CONTACT_FIELD_BIT(f);
    }
    lost = merge_push_fields(&cur, &base, base_fields, mask);
    /* A deleted record keeps its values, but one that cannot be read
     * leaves the Salesforce side of the conflicts empty. */
    parsed = apply_parse(ctx, link->object, rec, sf_id, &in, &reason) == 0;
    for (int f = 0; f < CONTACT_FIELD_COUNT && rc == 0; f++) {
        if (!(lost & CONTACT_FIELD_BIT(f)))
            continue;
        rc = add_conflict(
            ctx, cur.id, link->object, sf_id, (enum contact_field)f,
            value_text(&cur, (enum contact_field)f),
            parsed ? value_text(&in, (enum contact_field)f) : NULL, "delete",
            "on_salesforce_delete", err);
    }
out:
    contact_release(&in);
    contact_release(&base);
    contact_release(&cur);
    return rc;
}

static int apply_deleted(struct apply_ctx *ctx, const char *sf_id,
                         const json_t *rec, struct err *err)
{
    struct store_link link;
    char master[SFID_SIZE];
    int rc;

    store_link_init(&link);
    rc = store_link_find(ctx->store, ctx->ws, sf_id, &link, err);
    if (rc == SYNC_ENOTFOUND) {
        err_clear(err);
        ctx->counts->unchanged++;
        rc = 0;
        goto out;
    }
    if (rc < 0)
        goto out;
    if (record_id(rec, "MasterRecordId", master)[0]) {
        rc = follow_merge(ctx, &link, master, err);
        goto out;
    }
    if (ctx->archive_on_delete &&
        (rc = record_lost_edits(ctx, &link, rec, sf_id, err)) < 0)
        goto out;
    if ((rc = unlink_contact(ctx, link.contact_id, ctx->archive_on_delete,
                             err)) < 0)
        goto out;
    /* A kept contact must not create the record again with its next
     * local edit. */
    if (!ctx->archive_on_delete &&
        (rc = put_tombstone(ctx, link.contact_id, link.object, sf_id, 0,
                            err)) < 0)
        goto out;
    log_info("sync", "deleted record unlinked",
             "object=%s id=%s contact=%" PRId64 " archived=%s",
             mapping_object_name(ctx->object), sf_id, link.contact_id,
             ctx->archive_on_delete ? "yes" : "no");
    ctx->counts->deleted++;
    ctx->counts->pulled++;
out:
    store_link_release(&link);
    return rc;
}

/*
 * Move the contact of lead_link to the Contact contact_id. crec is that
 * Contact's record, or NULL, in which case the link moves with the Lead's
 * base and the next Contact pull merges it.
 */
static int follow_conversion(struct apply_ctx *ctx,
                             const struct store_link *lead_link,
                             const char *contact_id, const json_t *crec,
                             struct err *err)
{
    struct store_link other;
    struct contact cur, in;
    char message[ERR_MSG_MAX];
    json_t *base = NULL;
    bool changed = false;
    struct err reason;
    int rc;

    store_link_init(&other);
    contact_init(&cur);
    contact_init(&in);
    rc = store_link_find(ctx->store, ctx->ws, contact_id, &other, err);
    if (rc == 0) {
        snprintf(message, sizeof(message),
                 "Lead %s was converted to Contact %s, which is linked to "
                 "contact %" PRId64 "; this contact was archived",
                 lead_link->sf_id, contact_id, other.contact_id);
        rc = archive_duplicate(ctx, lead_link, &other, SF_OBJECT_LEAD,
                               "CONVERTED_CONTACT_LINKED", message, err);
        goto out;
    }
    if (rc != SYNC_ENOTFOUND)
        goto out;
    err_clear(err);
    if ((rc = store_contact_get(ctx->store, ctx->ws, lead_link->contact_id,
                                &cur, err)) < 0)
        goto out;
    if (crec && apply_parse(ctx, SF_OBJECT_CONTACT, crec, contact_id, &in,
                             &reason) < 0) {
        record_invalid(ctx, SF_OBJECT_CONTACT, contact_id, &reason);
        crec = NULL;
    }
    if (crec) {
        if ((rc = merge_into(ctx, &cur, lead_link->base, &in, crec,
                             SF_OBJECT_CONTACT, contact_id, true, false,
                             false, &base, &changed, err)) < 0)
            goto out;
    } else {
        base = json_incref(lead_link->base);
    }
    if ((rc = save_link(ctx, cur.id, SF_OBJECT_CONTACT, contact_id, base,
                        crec, NULL, err)) < 0)
        goto out;
    log_info("sync", "converted Lead followed to its Contact",
             "lead=%s contact=%s local=%" PRId64, lead_link->sf_id,
             contact_id, cur.id);
    ctx->counts->updated++;
    ctx->counts->pulled++;
out:
    json_decref(base);
    store_link_release(&other);
    contact_release(&cur);
    contact_release(&in);
    return rc;
}

static int apply_converted(struct apply_ctx *ctx, const char *sf_id,
                           const json_t *rec, const json_t *converted,
                           struct err *err)
{
    struct store_link link;
    char contact_id[SFID_SIZE];
    int rc;

    store_link_init(&link);
    record_id(rec, "ConvertedContactId", contact_id);
    rc = store_link_find(ctx->store, ctx->ws, sf_id, &link, err);
    if (rc == SYNC_ENOTFOUND || (rc == 0 && !contact_id[0])) {
        /* An unlinked converted Lead lives on as its Contact, which the
         * Contact pull brings. */
        err_clear(err);
        ctx->counts->unchanged++;
        rc = 0;
    } else if (rc == 0) {
        rc = follow_conversion(ctx, &link, contact_id, converted, err);
    }
    store_link_release(&link);
    return rc;
}

int apply_conversion(struct apply_ctx *ctx, const char *lead_id,
                     const json_t *rec, bool *out_done, struct err *err)
{
    struct store_link link;
    char contact_id[SFID_SIZE];
    int rc;

    *out_done = false;
    store_link_init(&link);
    rc = store_link_find(ctx->store, ctx->ws, lead_id, &link, err);
    if (rc == SYNC_ENOTFOUND) {
        err_clear(err);
        rc = 0;
    } else if (rc == 0 && link.object == SF_OBJECT_LEAD &&
               record_id(rec, "Id", contact_id)[0]) {
        rc = follow_conversion(ctx, &link, contact_id, rec, err);
        *out_done = rc == 0;
    }
    store_link_release(&link);
    return rc;
}

/* The contact that apply_parse made of one record of an apply_prefetch
 * page. */
struct apply_prepared {
    atomic_bool done;    /* parsed, reason and contact are written */
    bool parsed;         /* contact contains the record's values */
    struct err *reason;  /* why apply_parse failed, or NULL */
    struct contact contact;
};

/*
 * Apply rec as apply_record does. pre, when not NULL, is the contact that
 * apply_prefetch made of rec: its contact or reason is used, and rec is
 * parsed here only when the prefetch left it out.
 */
static int apply_record_with(struct apply_ctx *ctx, const json_t *rec,
                             const json_t *converted,
                             struct apply_prepared *pre, struct err *err)
{
    struct store_link link;
    struct contact in;
    struct err reason;
    char sf_id[SFID_SIZE];
    int rc = 0;

    store_link_init(&link);
    contact_init(&in);
    if (!record_id(rec, "Id", sf_id)[0]) {
        err_set(&reason, SYNC_EINVALID,
                "record without a valid Id in the %s query result",
                mapping_object_name(ctx->object));
        record_invalid(ctx, ctx->object, "", &reason);
        goto out;
    }
    /* A record stored now has no pull error left. */
    if (!ctx->no_sync_errors &&
        (rc = store_sync_error_clear_record(ctx->store, ctx->ws, sf_id,
                                            err)) < 0)
        goto out;
    if (apply_record_flag(rec, "IsDeleted")) {
        rc = apply_deleted(ctx, sf_id, rec, err);
        goto out;
    }
    if (ctx->object == SF_OBJECT_LEAD &&
        apply_record_flag(rec, "IsConverted")) {
        rc = apply_converted(ctx, sf_id, rec, converted, err);
        goto out;
    }
    if (pre && pre->parsed) {
        /* Take the contact over, so that apply_prefetch_finish does not
         * free it. */
        in = pre->contact;
        contact_init(&pre->contact);
        pre->parsed = false;
    } else if (pre && pre->reason) {
        record_invalid(ctx, ctx->object, sf_id, pre->reason);
        goto out;
    } else if (apply_parse(ctx, ctx->object, rec, sf_id, &in, &reason) < 0) {
        record_invalid(ctx, ctx->object, sf_id, &reason);
        goto out;
    }
    rc = store_link_find(ctx->store, ctx->ws, sf_id, &link, err);
    if (rc == 0) {
        rc = apply_linked(ctx, &link, &in, rec, err);
    } else if (rc == SYNC_ENOTFOUND) {
        err_clear(err);
        rc = apply_unlinked(ctx, sf_id, &in, rec, err);
    }
out:
    store_link_release(&link);
    contact_release(&in);
    return rc;
}

int apply_record(struct apply_ctx *ctx, const json_t *rec,
                 const json_t *converted, struct err *err)
{
    return apply_record_with(ctx, rec, converted, NULL, err);
}

/* Make the contact of record index of p, unless apply_record handles the
 * record without one (no Id, deleted, a converted Lead). */
static void prepare_one(struct apply_prefetch *p, size_t index)
{
    struct apply_prepared *pre = &p->items[index];
    const json_t *rec = json_array_get(p->records, index);
    char sf_id[SFID_SIZE];
    struct err reason;

    if (!record_id(rec, "Id", sf_id)[0] ||
        apply_record_flag(rec, "IsDeleted") ||
        (p->ctx->object == SF_OBJECT_LEAD &&
         apply_record_flag(rec, "IsConverted"))) {
        atomic_store_explicit(&pre->done, true, memory_order_release);
        return;
    }
    if (apply_parse(p->ctx, p->ctx->object, rec, sf_id, &pre->contact,
                    &reason) == 0) {
        pre->parsed = true;
    } else {
        contact_release(&pre->contact);
        pre->reason = xmalloc(sizeof(reason));
        *pre->reason = reason;
    }
    atomic_store_explicit(&pre->done, true, memory_order_release);
}

/* Claim the next unclaimed record of p and prepare it. Return false when
 * every record is claimed. */
static bool prepare_next(struct apply_prefetch *p)
{
    size_t index = atomic_fetch_add(&p->next, 1);

    if (index >= p->count)
        return false;
    prepare_one(p, index);
    return true;
}

static void *prefetch_main(void *arg)
{
    struct apply_prefetch *p = arg;

    while (!atomic_load(&p->stop) && prepare_next(p))
        ;
    return NULL;
}

void apply_prefetch_start(struct apply_prefetch *p, struct apply_ctx *ctx,
                          const json_t *records)
{
    memset(p, 0, sizeof(*p));
    atomic_init(&p->stop, false);
    p->ctx = ctx;
    p->records = records;
    p->count = json_array_size(records);
    atomic_init(&p->next, 0);
    p->items = xcalloc(p->count ? p->count : 1, sizeof(*p->items));
    for (size_t i = 0; i < p->count; i++) {
        atomic_init(&p->items[i].done, false);
        contact_init(&p->items[i].contact);
    }
    /* A page of one record gains nothing from a second thread. */
    if (p->count < 2)
        return;
    p->started = pthread_create(&p->thread, NULL, prefetch_main, p) == 0;
}

int apply_prefetch_record(struct apply_prefetch *p, size_t index,
                          struct err *err)
{
    struct apply_prepared *pre = &p->items[index];

    /* Until this record is done, prepare the next unclaimed ones, because
     * the thread is either busy with it or behind. */
    while (!atomic_load_explicit(&pre->done, memory_order_acquire))
        if (!prepare_next(p))
            sched_yield();
    return apply_record_with(p->ctx, json_array_get(p->records, index),
                             NULL, pre, err);
}

void apply_prefetch_finish(struct apply_prefetch *p)
{
    if (p->started) {
        atomic_store(&p->stop, true);
        pthread_join(p->thread, NULL);
        p->started = false;
    }
    for (size_t i = 0; i < p->count; i++) {
        contact_release(&p->items[i].contact);
        free(p->items[i].reason);
    }
    free(p->items);
    p->items = NULL;
    p->count = 0;
}
