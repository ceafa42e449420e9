/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The incremental pull of the sync engine. Each object is read with
 * queryAll from its cursor less pull_overlap_seconds, ordered by
 * (SystemModstamp, Id), so that deletes and merges arrive, and a late
 * commit or many records sharing one stamp are never skipped. Each page is
 * applied in one store transaction that also moves the cursor. A record
 * read again in the overlap equals its base, so it writes nothing.
 */
#include "base/common.h"

#include <inttypes.h>

#include "base/buf.h"
#include "engine_int.h"
#include "salesforce/sf_bulk.h"
#include "salesforce/sf_query.h"
#include "salesforce/sf_soql.h"

/* Ids per IN (...) list. Encoded in the URI, an id takes 27 bytes with
 * its quotes and comma, so 400 of them and FIELDS_MAX fields stay below
 * the 16,384 bytes Salesforce accepts. */
#define IDS_PER_QUERY 400

/* Largest number of fields a pull selects. */
#define FIELDS_MAX 64

/* Retryable record errors read again at the start of one pull. */
#define RETRY_RECORDS_MAX 1000

/* Records per Bulk API results page of a first pull unless the engine's
 * batch size sets it; a page is applied in one transaction. */
#define BULK_PAGE_RECORDS 5000

struct page_state {
    struct sync_engine *e;
    struct apply_ctx *ctx;
    bool move_cursor;        /* false when reading records again by id */
    struct store_cursor cur; /* the object's cursor, moved page by page */
    /* Reading Bulk API results, which come in no order: cur collects the
     * newest record and is saved with the last page only. */
    bool unordered;
    bool last_page;
    /* A first pull (no cursor) checks the first REST page's totalSize
     * against bulk_threshold (-1 when off) and, above it, stops to read
     * through Bulk API instead. */
    bool first_pull;
    long threshold;
    long long expected;
    bool use_bulk;
};

/* A list of the Salesforce fields of a SELECT, built from parts. */
struct field_list {
    const char *items[FIELDS_MAX];
    size_t n;
    char *mapped; /* owned: the mapped fields, cut into items */
};

static void fields_add(struct field_list *fl, const char *name)
{
    if (fl->n < FIELDS_MAX)
        fl->items[fl->n++] = name;
}

/* Id, the mapped fields of object and the stamps every apply reads. */
static void fields_init(struct field_list *fl, const struct sync_engine *e,
                        enum sf_object object)
{
    char *save = NULL;

    memset(fl, 0, sizeof(*fl));
    fl->mapped = mapping_soql_fields(&e->mapping, object);
    fields_add(fl, "Id");
    for (char *f = strtok_r(fl->mapped, ", ", &save); f;
         f = strtok_r(NULL, ", ", &save))
        fields_add(fl, f);
    fields_add(fl, "SystemModstamp");
    fields_add(fl, "LastModifiedDate");
}

/* The fields of the pull query proper: also who created and changed the
 * record, deletes, merges, conversions and the external id. */
static void fields_init_pull(struct field_list *fl,
                             const struct sync_engine *e,
                             enum sf_object object)
{
    fields_init(fl, e, object);
    fields_add(fl, "LastModifiedById");
    fields_add(fl, "CreatedById");
    fields_add(fl, "CreatedDate");
    fields_add(fl, "IsDeleted");
    fields_add(fl, "MasterRecordId");
    if (object == SF_OBJECT_LEAD) {
        fields_add(fl, "IsConverted");
        fields_add(fl, "ConvertedContactId");
    }
    if (e->ext_id_field)
        fields_add(fl, e->ext_id_field);
    if (e->backlink_field)
        fields_add(fl, e->backlink_field);
}

static void fields_release(struct field_list *fl)
{
    free(fl->mapped);
}

/* SELECT fields FROM object WHERE id_field IN (ids) [AND extra] as text,
 * or NULL with err filled. */
static char *ids_query(const struct field_list *fl, const char *object,
                       const char *id_field, const char *const *ids,
                       size_t n, bool converted_only, struct err *err)
{
    struct sf_soql q;
    char *soql;

    sf_soql_init(&q);
    sf_soql_select(&q, fl->items, fl->n);
    sf_soql_from(&q, object);
    sf_soql_where_in(&q, id_field, false, ids, n);
    if (converted_only)
        sf_soql_where_bool(&q, "IsConverted", "=", true);
    soql = sf_soql_finish(&q, err);
    sf_soql_release(&q);
    return soql;
}

/* Run ids_query over ids in lists of IDS_PER_QUERY and collect every
 * record into out. */
static int query_by_ids(struct sync_engine *e, const struct field_list *fl,
                        const char *object, const char *id_field,
                        const char *const *ids, size_t n, bool converted_only,
                        json_t *out, struct err *err)
{
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i += IDS_PER_QUERY) {
        size_t chunk = n - i < IDS_PER_QUERY ? n - i : IDS_PER_QUERY;
        char *soql = ids_query(fl, object, id_field, ids + i, chunk,
                               converted_only, err);

        if (!soql)
            return err ? err->code : SYNC_EINVALID;
        rc = sync__query_records(e, soql, true, out, err);
        free(soql);
    }
    return rc;
}

static bool is_linked(struct sync_engine *e, const char *sf_id)
{
    struct store_link link;
    bool linked;

    store_link_init(&link);
    linked = sf_id && store_link_find(e->store, e->ws, sf_id, &link, NULL) == 0;
    store_link_release(&link);
    return linked;
}

/* Index records by Id in a new JSON object. */
static json_t *by_id(json_t *records, const char *field)
{
    json_t *map = json_object(), *rec;
    size_t i;

    json_array_foreach(records, i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, field));

        if (id)
            json_object_set(map, id, rec);
    }
    return map;
}

/*
 * For a page of Leads: the Contact records that linked converted Leads
 * became, by Contact Id, so that the conversion sets the new base from
 * them. A new reference, empty when no linked Lead converted.
 */
static int converted_contacts(struct page_state *ps, json_t *records,
                              json_t **out, struct err *err)
{
    const char **ids = xcalloc(json_array_size(records) + 1, sizeof(*ids));
    json_t *found = json_array(), *rec;
    struct field_list fl;
    size_t i, n = 0;
    int rc = 0;

    json_array_foreach(records, i, rec)
    {
        const char *contact =
            json_string_value(json_object_get(rec, "ConvertedContactId"));

        if (apply_record_flag(rec, "IsConverted") &&
            !apply_record_flag(rec, "IsDeleted") && contact &&
            is_linked(ps->e, json_string_value(json_object_get(rec, "Id"))))
            ids[n++] = contact;
    }
    if (n) {
        fields_init(&fl, ps->e, SF_OBJECT_CONTACT);
        rc = query_by_ids(ps->e, &fl, "Contact", "Id", ids, n, false, found,
                          err);
        fields_release(&fl);
    }
    *out = by_id(found, "Id");
    json_decref(found);
    free(ids);
    return rc;
}

/*
 * For a page of Contacts, when Leads sync: the linked Leads converted into
 * the page's unlinked Contacts, as Contact Id -> Lead Id, so that such a
 * Contact moves the Lead's contact instead of being copied. This covers a
 * conversion made after this round's Lead pull read the Lead.
 */
static int converting_leads(struct page_state *ps, json_t *records,
                            json_t **out, struct err *err)
{
    const char **ids = xcalloc(json_array_size(records) + 1, sizeof(*ids));
    json_t *found = json_array(), *rec, *map = json_object();
    static const char *const lead_fields[] = {"Id", "ConvertedContactId"};
    struct field_list fl;
    size_t i, n = 0;
    int rc = 0;

    json_array_foreach(records, i, rec)
    {
        const char *id = json_string_value(json_object_get(rec, "Id"));

        if (!apply_record_flag(rec, "IsDeleted") && id &&
            !is_linked(ps->e, id))
            ids[n++] = id;
    }
    if (n && ps->e->enabled[SF_OBJECT_LEAD]) {
        memset(&fl, 0, sizeof(fl));
        fields_add(&fl, lead_fields[0]);
        fields_add(&fl, lead_fields[1]);
        rc = query_by_ids(ps->e, &fl, "Lead", "ConvertedContactId", ids, n,
                          true, found, err);
    }
    json_array_foreach(found, i, rec)
    {
        const char *lead = json_string_value(json_object_get(rec, "Id"));
        const char *contact =
            json_string_value(json_object_get(rec, "ConvertedContactId"));

        if (lead && contact && is_linked(ps->e, lead))
            json_object_set_new(map, contact, json_string(lead));
    }
    *out = map;
    json_decref(found);
    free(ids);
    return rc;
}

static bool is_merge_loser(const json_t *rec)
{
    const char *master =
        json_string_value(json_object_get(rec, "MasterRecordId"));

    return apply_record_flag(rec, "IsDeleted") && master && *master;
}

/* Apply one record, through a conversion when a Lead became it. */
static int apply_one(struct page_state *ps, json_t *rec, json_t *contacts,
                     json_t *leads, struct err *err)
{
    const char *id = json_string_value(json_object_get(rec, "Id"));
    const char *lead = id ? json_string_value(json_object_get(leads, id))
                          : NULL;
    const char *converted =
        json_string_value(json_object_get(rec, "ConvertedContactId"));
    bool done = false;
    int rc;

    /* A version older than a push between this pull's pages would revert
     * what the push sent. The next round reads the current one. */
    if (ps->move_cursor && sync_pushed_is_stale(ps->e->pushed_between, rec)) {
        ps->ctx->counts->unchanged++;
        return 0;
    }
    if (lead) {
        if ((rc = apply_conversion(ps->ctx, lead, rec, &done, err)) < 0)
            return rc;
        if (done)
            return 0;
    }
    return apply_record(ps->ctx, rec,
                        converted ? json_object_get(contacts, converted)
                                  : NULL,
                        err);
}

/* Move the cursor to rec when it sorts later, never back, since the
 * overlap reads records older than the cursor. */
static void advance_cursor_to(struct page_state *ps, const json_t *rec)
{
    const char *id = json_string_value(json_object_get(rec, "Id"));
    int64_t stamp = apply_record_stamp(rec, "SystemModstamp");
    char id18[SFID_SIZE];

    if (!rec || !id || sfid_to18(id, id18) < 0)
        return;
    if (stamp < ps->cur.modstamp_ms ||
        (stamp == ps->cur.modstamp_ms && strcmp(id18, ps->cur.last_id) <= 0))
        return;
    ps->cur.modstamp_ms = stamp;
    memcpy(ps->cur.last_id, id18, sizeof(id18));
}

/* Move the cursor to the last record of the page in query order, or with
 * unordered results to the newest record of the page. */
static void advance_cursor(struct page_state *ps, json_t *records)
{
    size_t i;
    json_t *rec;

    if (!ps->unordered) {
        advance_cursor_to(ps, json_array_get(records,
                                             json_array_size(records) - 1));
        return;
    }
    json_array_foreach(records, i, rec)
        advance_cursor_to(ps, rec);
}

/*
 * Apply records in one transaction: merge losers first, so that a master
 * read in the same page finds the loser's contact already moved to it,
 * then the rest in query order.
 * NOTE: a master that ends one page while its loser starts the next is
 * created as a new contact, and the loser's contact is then archived as a
 * duplicate.
 */
static int apply_records(struct page_state *ps, json_t *records,
                         json_t *contacts, json_t *leads, struct err *err)
{
    size_t i;
    json_t *rec;
    int rc;

    if ((rc = store_begin(ps->e->store, err)) < 0)
        return rc;
    for (int pass = 0; pass < 2; pass++)
        json_array_foreach(records, i, rec)
        {
            if (is_merge_loser(rec) != (pass == 0))
                continue;
            if ((rc = apply_one(ps, rec, contacts, leads, err)) < 0)
                goto fail;
        }
    if ((rc = sync__backlinks_seen(ps->e, records, err)) < 0)
        goto fail;
    if (ps->move_cursor && json_array_size(records))
        advance_cursor(ps, records);
    /* Unordered results move the stored cursor only once every record is
     * applied: a round stopped in the middle leaves no cursor, and the next
     * round reads every record again. */
    if (ps->move_cursor && (ps->unordered ? ps->last_page && ps->cur.modstamp_ms
                                          : json_array_size(records) != 0) &&
        (rc = store_cursor_set(ps->e->store, ps->e->ws, ps->ctx->object,
                               &ps->cur, err)) < 0)
        goto fail;
    if ((rc = sync__save_progress(ps->e, err)) < 0)
        goto fail;
    return store_commit(ps->e->store, err);
fail:
    store_rollback(ps->e->store, NULL);
    return rc;
}

static int on_page(const struct sf_query_page *page, void *payload,
                   struct err *err)
{
    struct page_state *ps = payload;
    json_t *contacts = NULL, *leads = NULL;
    int rc;

    if (ps->first_pull && page->index == 0 && !ps->unordered) {
        ps->expected = page->total_size;
        ps->use_bulk = ps->threshold >= 0 &&
                       page->total_size > ps->threshold;
        log_info("sync", "first pull api chosen",
                 "object=%s api=%s count=%lld threshold=%ld",
                 mapping_object_name(ps->ctx->object),
                 ps->use_bulk ? "bulk" : "rest", page->total_size,
                 ps->threshold);
        if (ps->use_bulk)
            return 1;
    }
    /* The lookups are requests, made before the page's transaction so
     * that no write lock is held over the network. */
    if (ps->ctx->object == SF_OBJECT_LEAD)
        rc = converted_contacts(ps, page->records, &contacts, err);
    else
        rc = converting_leads(ps, page->records, &leads, err);
    ps->last_page = page->done;
    if (rc == 0)
        rc = apply_records(ps, page->records, contacts, leads, err);
    json_decref(contacts);
    json_decref(leads);
    if (rc == 0 && !page->done && ps->move_cursor && ps->e->between_pages)
        ps->e->between_pages(ps->e->between_payload);
    if (rc == 0 && !page->done)
        rc = sync__check_budget(ps->e, err);
    return rc;
}

/* The pull query of object from cur; ordered for REST paging, unordered
 * for a Bulk API job, whose results Salesforce does not sort. */
static char *pull_query(struct sync_engine *e, enum sf_object object,
                        const struct store_cursor *cur, bool ordered,
                        struct err *err)
{
    struct field_list fl;
    struct sf_soql q;
    char *soql;

    fields_init_pull(&fl, e, object);
    sf_soql_init(&q);
    sf_soql_select(&q, fl.items, fl.n);
    sf_soql_from(&q, mapping_object_name(object));
    /* >= and the overlap, never >: rows committed late with older stamps
     * and rows sharing the cursor's stamp are read again, and equal rows
     * change nothing. */
    if (cur->modstamp_ms > 0)
        sf_soql_where_datetime(&q, "SystemModstamp", ">=",
                               cur->modstamp_ms - e->overlap_ms);
    if (ordered) {
        sf_soql_order_by(&q, "SystemModstamp", SF_SOQL_ASC);
        sf_soql_order_by(&q, "Id", SF_SOQL_ASC);
    }
    soql = sf_soql_finish(&q, err);
    sf_soql_release(&q);
    fields_release(&fl);
    return soql;
}

static int run_pages(struct sync_engine *e, struct page_state *ps,
                     const char *soql, struct err *err)
{
    struct sf_query_options qopts = {true, e->batch_size};
    int rc;

    if ((rc = sync__check_budget(e, err)) < 0)
        return rc;
    return sf_query_run(e->conn->client, soql, &qopts, on_page, ps, err);
}

/*
 * Read every record of a first pull through one Bulk API 2.0 queryAll job,
 * each results page applied like a REST page. With bulk_threshold 0 it
 * counts the records first, since no REST page was read.
 */
static int pull_bulk(struct sync_engine *e, struct page_state *ps,
                     struct err *err)
{
    const char *object = mapping_object_name(ps->ctx->object);
    struct sf_bulk_options bopts = {0};
    struct sf_bulk_result res;
    const char **booleans;
    char *count_soql, *soql;
    struct sf_soql q;
    int rc;

    if ((rc = sync__check_budget(e, err)) < 0)
        return rc;
    if (ps->threshold == 0) {
        sf_soql_init(&q);
        sf_soql_select_count(&q);
        sf_soql_from(&q, object);
        count_soql = sf_soql_finish(&q, err);
        sf_soql_release(&q);
        if (!count_soql)
            return err ? err->code : SYNC_EINVALID;
        rc = sf_query_count(e->conn->client, count_soql, true, &ps->expected,
                            err);
        free(count_soql);
        if (rc < 0)
            return rc;
        log_info("sync", "first pull api chosen",
                 "object=%s api=bulk count=%lld threshold=0", object,
                 ps->expected);
    }
    if (!(soql = pull_query(e, ps->ctx->object, &ps->cur, false, err)))
        return err ? err->code : SYNC_EINVALID;
    booleans = apply_boolean_fields(&e->mapping, ps->ctx->object);
    bopts.all = true;
    bopts.max_records = e->batch_size ? e->batch_size : BULK_PAGE_RECORDS;
    bopts.boolean_fields = booleans;
    ps->unordered = true;
    rc = sf_bulk_query_pages(e->conn->client, soql, &bopts, ps->expected,
                             on_page, ps, &res, err);
    free(booleans);
    free(soql);
    return rc;
}

static int pull_object(struct sync_engine *e, enum sf_object object,
                       struct err *err)
{
    struct apply_ctx ctx;
    struct page_state ps;
    char *soql = NULL;
    int rc;

    memset(&ps, 0, sizeof(ps));
    sync__apply_init(e, &ctx, object);
    ps.e = e;
    ps.ctx = &ctx;
    ps.move_cursor = true;
    if ((rc = store_cursor_get(e->store, e->ws, object, &ps.cur, err)) < 0 ||
        (rc = apply_load_intents(&ctx, err)) < 0)
        goto out;
    if (!(soql = pull_query(e, object, &ps.cur, true, err))) {
        rc = err ? err->code : SYNC_EINVALID;
        goto out;
    }
    log_debug("sync", "incremental pull", "object=%s since=%" PRId64,
              mapping_object_name(object), ps.cur.modstamp_ms);
    ps.first_pull = ps.cur.modstamp_ms == 0;
    ps.threshold = settings_bulk_threshold(e->store, e->ws);
    ps.use_bulk = ps.first_pull && ps.threshold == 0;
    if (!ps.use_bulk)
        rc = run_pages(e, &ps, soql, err);
    if (rc == 0 && ps.use_bulk)
        rc = pull_bulk(e, &ps, err);
out:
    free(soql);
    apply_release(&ctx);
    return rc;
}

int sync__reread(struct sync_engine *e, enum sf_object object,
                 const char *const *ids, size_t n, struct err *err)
{
    struct apply_ctx ctx;
    struct page_state ps;
    struct field_list fl;
    int rc = 0;

    memset(&ps, 0, sizeof(ps));
    sync__apply_init(e, &ctx, object);
    ps.e = e;
    ps.ctx = &ctx;
    fields_init_pull(&fl, e, object);
    if ((rc = apply_load_intents(&ctx, err)) < 0)
        goto out;
    for (size_t i = 0; i < n && rc == 0; i += IDS_PER_QUERY) {
        size_t chunk = n - i < IDS_PER_QUERY ? n - i : IDS_PER_QUERY;
        char *soql = ids_query(&fl, mapping_object_name(object), "Id",
                               ids + i, chunk, false, err);

        if (!soql) {
            rc = err ? err->code : SYNC_EINVALID;
            break;
        }
        rc = run_pages(e, &ps, soql, err);
        free(soql);
    }
out:
    fields_release(&fl);
    apply_release(&ctx);
    return rc;
}

/*
 * Read again the records whose pull errors were marked retryable (by
 * 'sfsync errors retry'), since the cursor has moved past them. A record
 * that now applies clears its error; one that still fails gets a new,
 * permanent one.
 */
static int retry_records(struct sync_engine *e, struct err *err)
{
    struct store_sync_error *errors = NULL;
    const char **ids = NULL;
    size_t n = 0;
    int rc;

    if ((rc = store_sync_error_list_records(e->store, e->ws,
                                            RETRY_RECORDS_MAX, &errors, &n,
                                            err)) < 0)
        return rc;
    ids = xcalloc(n + 1, sizeof(*ids));
    for (int o = 0; o < SF_OBJECT_COUNT && rc == 0; o++) {
        size_t count = 0;

        for (size_t i = 0; i < n; i++)
            if (errors[i].object == o)
                ids[count++] = errors[i].sf_id;
        if (count && e->enabled[o])
            rc = sync__reread(e, (enum sf_object)o, ids, count, err);
    }
    free(ids);
    store_sync_errors_free(errors, n);
    return rc;
}

int sync__pull(struct sync_engine *e, struct err *err)
{
    static const enum sf_object order[] = {SF_OBJECT_LEAD,
                                           SF_OBJECT_CONTACT};
    int rc;

    if ((rc = retry_records(e, err)) < 0)
        return rc;
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        if (!e->enabled[order[i]])
            continue;
        if ((rc = pull_object(e, order[i], err)) < 0)
            return rc;
    }
    return 0;
}
