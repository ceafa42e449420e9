/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The manual pull. A REST query returns records ordered by (SystemModstamp,
 * Id), so the last pair applied is a resume point: a pull that stops early
 * leaves it in the settings table, and the next pull of that object starts
 * after it. A pull of more records than bulk_threshold reads through a Bulk
 * API 2.0 job instead, whose results come in no promised order, so it
 * leaves the resume point where the pull started (see run_bulk).
 */
#include "base/common.h"

#include "pull.h"

#include <inttypes.h>

#include "base/datetime.h"
#include "base/sfid.h"
#include "apply.h"
#include "engine.h"
#include "salesforce/sf_bulk.h"
#include "salesforce/sf_query.h"
#include "salesforce/sf_soql.h"
#include "settings.h"

/* Records per Bulk API results page unless --batch-size sets it. A page
 * is held in memory as JSON and applied in one transaction, while the next
 * one is read. */
#define PULL_BULK_PAGE_RECORDS 5000

/* Resume point of a pull interrupted before any ordered record: a Bulk
 * pull that started without one. The next pull reads every record. */
#define RESUME_FROM_START "0:"

/* State of one pull while its pages arrive. */
struct pull_state {
    struct connection *conn;
    struct store *store;
    int64_t ws;
    const struct pull_options *opts;
    struct pull_result *out;
    struct mapping mapping;
    struct apply_ctx apply;
    const char *resume_key;
    /* The newest (SystemModstamp, Id) applied, which a REST pull applies
     * last. */
    struct store_cursor last;
    long long done;
    bool bulk;            /* reading through Bulk API 2.0 */
    bool api_chosen;      /* bulk is decided */
    long threshold;       /* bulk_threshold, or -1 when off */
    long long expected;   /* records to pull, or -1 until known */
    uint64_t calls_before; /* API calls of the connection at the start */
    /* Matching by phone and email is skipped while no unlinked contact
     * exists: unlinked_seen_id is the highest contact id checked, and
     * match_always is set once one was found. */
    int64_t unlinked_seen_id;
    bool match_always;
    /* The contact indexes that matching uses were dropped for a load into
     * an empty store (store_contact_indexes_drop_if_empty). */
    bool indexes_dropped;
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
    if (text && strcmp(text, RESUME_FROM_START) == 0)
        return 0;
    if (!colon)
        return -1;
    out->modstamp_ms = strtoll(text, &end, 10);
    if (end != colon || sfid_to18(colon + 1, out->last_id) < 0)
        return -1;
    return 0;
}

enum query_kind {
    QUERY_REST,  /* the fields, ordered for keyset paging */
    QUERY_BULK,  /* the fields, unordered */
    QUERY_COUNT, /* SELECT COUNT() with the same WHERE */
};

/* SELECT Id, mapped fields, stamps FROM object [after resume] ORDER BY.
 * from NULL, or without an id, reads from the first record. */
static char *build_query(struct pull_state *ps, const struct store_cursor *from,
                         enum query_kind kind, struct err *err)
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
    if (kind == QUERY_COUNT)
        sf_soql_select_count(&q);
    else
        sf_soql_select(&q, list, n);
    sf_soql_from(&q, mapping_object_name(ps->opts->object));
    if (ps->opts->object == SF_OBJECT_LEAD)
        /* A converted Lead lives on as its Contact, which the Contact
         * pull links to the Lead's local contact. */
        sf_soql_where_bool(&q, "IsConverted", "=", false);
    if (from && from->last_id[0]) {
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
    if (kind == QUERY_REST) {
        sf_soql_order_by(&q, "SystemModstamp", SF_SOQL_ASC);
        sf_soql_order_by(&q, "Id", SF_SOQL_ASC);
    }
    soql = sf_soql_finish(&q, err);
    sf_soql_release(&q);
    free(fields);
    return soql;
}

/* Whether (stamp, id) sorts after cur in (SystemModstamp, Id) order. */
static bool cursor_after(int64_t stamp, const char *id,
                         const struct store_cursor *cur)
{
    return stamp > cur->modstamp_ms ||
           (stamp == cur->modstamp_ms && strcmp(id, cur->last_id) > 0);
}

/*
 * Apply one record through the shared module and remember it as the
 * resume point. A record that cannot be stored is skipped and recorded;
 * only store failures stop the pull. A version older than a push made
 * between this pull's pages is counted unchanged and not applied, because
 * its values would revert what the push sent. The next round reads the
 * record's current version.
 */
static int apply_one(struct pull_state *ps, struct apply_prefetch *prefetch,
                     size_t index, const json_t *rec, struct err *err)
{
    const char *id = json_string_value(json_object_get(rec, "Id"));
    char sf_id[SFID_SIZE];

    if (id && sfid_to18(id, sf_id) == 0) {
        int64_t stamp = apply_record_stamp(rec, "SystemModstamp");

        /* Bulk results come in no order, so keep the newest. */
        if (!ps->bulk || cursor_after(stamp, sf_id, &ps->last)) {
            ps->last.modstamp_ms = stamp;
            memcpy(ps->last.last_id, sf_id, sizeof(sf_id));
        }
    }
    if (sync_pushed_is_stale(ps->opts->pushed, rec)) {
        log_debug("sync", "record skipped: older than a push during the "
                  "pull", "id=%s", id);
        ps->out->counts.unchanged++;
        return 0;
    }
    return apply_prefetch_record(prefetch, index, err);
}

static int save_resume(struct pull_state *ps, struct err *err)
{
    char text[64];

    snprintf(text, sizeof(text), "%" PRId64 ":%s", ps->last.modstamp_ms,
             ps->last.last_id);
    return store_setting_set(ps->store, ps->ws, ps->resume_key, text, err);
}

/* Create the contact indexes again after a load that dropped them. */
static int build_indexes(struct pull_state *ps, struct err *err)
{
    int rc;

    if (!ps->indexes_dropped)
        return 0;
    log_info("sync", "building contact indexes", "contacts=%lld",
             ps->done);
    if ((rc = store_contact_indexes_build(ps->store, err)) < 0)
        return rc;
    ps->indexes_dropped = false;
    return 0;
}

/*
 * Inside a page's transaction, which holds the write lock, look for
 * contacts that matching could pick among those added since the last
 * check, by this pull (always linked) or by a local change meanwhile.
 * NOTE: a contact unlinked meanwhile by another pull or sync round of the
 * workspace is not seen, because such runs are not locked against each
 * other.
 */
static int check_unlinked(struct pull_state *ps, struct err *err)
{
    bool any;
    int64_t max_id;
    int rc;

    if (ps->match_always)
        return 0;
    if ((rc = store_contact_unlinked_after(ps->store, ps->ws,
                                           ps->unlinked_seen_id, &any,
                                           &max_id, err)) < 0)
        return rc;
    /* A contact added meanwhile (by sfsync serve, say) turns matching on,
     * which must not scan the contacts for every record. */
    if (any && (rc = build_indexes(ps, err)) < 0)
        return rc;
    ps->match_always = any;
    ps->apply.skip_match = !any;
    ps->unlinked_seen_id = max_id;
    return 0;
}

/* Write the run's counts so far for readers of the run log. */
static int save_progress(struct pull_state *ps, struct err *err)
{
    ps->out->counts.api_calls =
        (int64_t)(connection_api_calls(ps->conn) - ps->calls_before);
    return store_run_progress(ps->store, ps->ws, ps->out->run_id, NULL, -1,
                              &ps->out->counts, err);
}

/* Record the chosen API and the records expected in the run row. */
static int save_choice(struct pull_state *ps, struct err *err)
{
    const char *api = ps->bulk ? "bulk" : "rest";

    ps->api_chosen = true;
    if (ps->threshold < 0)
        log_info("sync", "pull api chosen",
                 "object=%s api=%s count=%lld threshold=off",
                 mapping_object_name(ps->opts->object), api, ps->expected);
    else
        log_info("sync", "pull api chosen",
                 "object=%s api=%s count=%lld threshold=%ld",
                 mapping_object_name(ps->opts->object), api, ps->expected,
                 ps->threshold);
    return store_run_progress(ps->store, ps->ws, ps->out->run_id, api,
                              ps->expected, NULL, err);
}

static int on_page(const struct sf_query_page *page, void *payload,
                   struct err *err)
{
    struct pull_state *ps = payload;
    struct apply_prefetch prefetch;
    size_t i;
    json_t *rec;
    int rc;

    if (page->index == 0)
        ps->out->total = page->total_size;
    if (!ps->api_chosen) {
        /* The first REST page's totalSize counts the records to pull, so
         * a pull at or below the threshold costs no COUNT() query. Above
         * it, the page is dropped and Bulk API reads every record. */
        ps->expected = page->total_size;
        ps->bulk = ps->threshold >= 0 && page->total_size > ps->threshold;
        if ((rc = save_choice(ps, err)) < 0)
            return rc;
        if (ps->bulk)
            return 1;
    }
    if ((rc = store_begin(ps->store, err)) < 0)
        return rc;
    if ((rc = check_unlinked(ps, err)) < 0 ||
        (rc = apply_check_sync_errors(&ps->apply, err)) < 0) {
        store_rollback(ps->store, NULL);
        return rc;
    }
    apply_prefetch_start(&prefetch, &ps->apply, page->records);
    json_array_foreach(page->records, i, rec)
    {
        if ((rc = apply_one(ps, &prefetch, i, rec, err)) < 0)
            goto fail;
    }
    apply_prefetch_finish(&prefetch);
    /* Bulk rows come in no order, so no record of a Bulk page marks how
     * far the pull got, and the resume point stays where it started. */
    if (!ps->bulk && json_array_size(page->records) &&
        (rc = save_resume(ps, err)) < 0)
        goto fail;
    if ((rc = save_progress(ps, err)) < 0)
        goto fail;
    if ((rc = store_commit(ps->store, err)) < 0)
        return rc;
    ps->done += (long long)json_array_size(page->records);
    if (ps->opts->progress)
        ps->opts->progress(ps->done, ps->out->total, ps->opts->payload);
    return 0;
fail:
    apply_prefetch_finish(&prefetch);
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

/*
 * With bulk_threshold 0, count the records to pull after from and choose
 * Bulk API before any page. Otherwise on_page chooses on the first REST
 * page, whose totalSize is the same count.
 */
static int choose_api(struct pull_state *ps, const struct store_cursor *from,
                      struct err *err)
{
    char *soql;
    int rc;

    ps->threshold = settings_bulk_threshold(ps->store, ps->ws);
    if (ps->threshold != 0)
        return 0;
    if (!(soql = build_query(ps, from, QUERY_COUNT, err)))
        return err ? err->code : SYNC_EINVALID;
    rc = sf_query_count(ps->conn->client, soql, false, &ps->expected, err);
    free(soql);
    if (rc < 0)
        return rc;
    ps->bulk = true;
    ps->out->total = ps->expected;
    return save_choice(ps, err);
}

/*
 * Read the records after from through one Bulk API 2.0 query job, each
 * results page applied like a REST page. The job's rows come in no
 * promised order, so no record applied here shows which records are still
 * unread: the resume point stays where the pull started (a REST
 * resume point, or RESUME_FROM_START), and a pull killed in the middle
 * reads every record after it again. A record read again equals its
 * link's base and stamps, so it writes nothing. ps->last collects the
 * newest (SystemModstamp, Id), which becomes the incremental cursor as
 * after a REST pull.
 */
static int run_bulk(struct pull_state *ps, const struct store_cursor *from,
                    struct err *err)
{
    const char **booleans = apply_boolean_fields(&ps->mapping,
                                                ps->opts->object);
    struct sf_bulk_options bopts = {0};
    struct sf_bulk_result res;
    char *soql;
    int rc;

    if (!ps->out->resumed &&
        (rc = store_setting_set(ps->store, ps->ws, ps->resume_key,
                                RESUME_FROM_START, err)) < 0)
        goto out;
    if (!(soql = build_query(ps, from, QUERY_BULK, err))) {
        rc = err ? err->code : SYNC_EINVALID;
        goto out;
    }
    bopts.max_records = ps->opts->batch_size ? ps->opts->batch_size
                                             : PULL_BULK_PAGE_RECORDS;
    bopts.boolean_fields = booleans;
    /* on_page sends nothing through the client, so the next results page
     * is read while it applies the current one. */
    bopts.read_ahead = true;
    rc = sf_bulk_query_pages(ps->conn->client, soql, &bopts, ps->expected,
                             on_page, ps, &res, err);
    free(soql);
    if (rc == 0)
        log_info("sync", "bulk pull read", "object=%s job=%s rows=%lld "
                 "pages=%zu",
                 mapping_object_name(ps->opts->object), res.job.id, res.rows,
                 res.pages);
out:
    free(booleans);
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
    /* Into a store without contacts, the pull writes faster without the
     * indexes of phones and email, which are built once at the end.
     * Otherwise they are created here if a pull stopped before it built
     * them. */
    if ((rc = store_contact_indexes_drop_if_empty(ps->store,
                                                  &ps->indexes_dropped,
                                                  err)) < 0 ||
        (!ps->indexes_dropped &&
         (rc = store_contact_indexes_build(ps->store, err)) < 0))
        return rc;
    if (ps->indexes_dropped)
        log_info("sync", "contact indexes dropped for a first load",
                 "object=%s", mapping_object_name(ps->opts->object));
    if ((rc = choose_api(ps, ps->out->resumed ? &from : NULL, err)) < 0)
        return rc;
    if (!ps->bulk) {
        soql = build_query(ps, ps->out->resumed ? &from : NULL, QUERY_REST,
                           err);
        if (!soql)
            return err ? err->code : SYNC_EINVALID;
        /* on_page sends nothing through the client, so the next page is
         * fetched while it applies the current one. */
        rc = sf_query_run_ahead(ps->conn->client, soql, &qopts, on_page, ps,
                                err);
        free(soql);
    }
    if (rc == 0 && ps->bulk)
        rc = run_bulk(ps, ps->out->resumed ? &from : NULL, err);
    if (rc == 0)
        rc = finish_complete(ps, err);
    return rc;
}

int pull_run(struct connection *conn, const struct pull_options *opts,
             struct pull_result *out, struct err *err)
{
    struct pull_state ps;
    char *policy_name, *default_company;
    int policy;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&ps, 0, sizeof(ps));
    ps.conn = conn;
    ps.store = conn->store;
    ps.ws = conn->workspace_id;
    ps.opts = opts;
    ps.out = out;
    ps.resume_key = resume_key(opts->object);
    ps.calls_before = connection_api_calls(conn);
    ps.expected = -1;
    if ((rc = check_allowed(ps.store, ps.ws, opts->object, err)) < 0)
        return rc;
    mapping_init(&ps.mapping);
    /* The manual pull merges as a sync round does: a field changed on both
     * sides is settled by conflict_policy, and a local value that wins keeps
     * its old base, so that the next round pushes it. */
    apply_init(&ps.apply, ps.store, ps.ws, opts->object, &ps.mapping,
               &out->counts);
    policy_name = settings_get_normalized(ps.store, ps.ws, "conflict_policy");
    policy = merge_policy_parse(policy_name);
    free(policy_name);
    ps.apply.policy =
        policy < 0 ? MERGE_POLICY_NEWEST : (enum merge_policy)policy;
    ps.apply.archive_on_delete = settings_is(ps.store, ps.ws,
                                             "on_salesforce_delete", "archive");
    ps.apply.delete_on_local_delete =
        settings_is(ps.store, ps.ws, "on_local_delete", "delete");
    default_company =
        settings_get_normalized(ps.store, ps.ws, "default_company");
    ps.apply.default_company = default_company;
    if ((rc = store_run_begin(ps.store, ps.ws, "pull", (int)opts->object,
                              &out->run_id, err)) < 0)
        goto out;
    ps.apply.run_id = out->run_id;
    log_info("sync", "pull started",
             "workspace=%" PRId64 " object=%s run=%" PRId64, ps.ws,
             mapping_object_name(opts->object), out->run_id);
    rc = run_query(&ps, err);
    /* Whether the pull finished or not, the indexes come back now. */
    if (ps.indexes_dropped) {
        struct err build_err;

        if (build_indexes(&ps, &build_err) < 0) {
            log_error("sync", "building contact indexes failed",
                      "error=\"%s\"", build_err.msg);
            if (rc == 0) {
                if (err)
                    *err = build_err;
                rc = build_err.code;
            }
        }
    }
    if (rc == SYNC_EAUTH)
        connection_mark_failed(conn, err);
    out->counts.api_calls =
        (int64_t)(connection_api_calls(conn) - ps.calls_before);
    store_run_finish(ps.store, ps.ws, out->run_id, rc < 0 ? "failed" : "ok",
                     &out->counts, rc < 0 && err ? err->msg : NULL,
                     sync_run_error_code(rc, err), NULL);
    log_info("sync", "pull finished",
             "workspace=%" PRId64 " object=%s run=%" PRId64 " api=%s "
             "status=%s created=%" PRId64 " updated=%" PRId64
             " unchanged=%" PRId64 " errors=%" PRId64 " api_calls=%" PRId64,
             ps.ws, mapping_object_name(opts->object), out->run_id,
             ps.bulk ? "bulk" : "rest", rc < 0 ? "failed" : "ok",
             out->counts.created,
             out->counts.updated, out->counts.unchanged, out->counts.errors,
             out->counts.api_calls);
out:
    apply_release(&ps.apply);
    mapping_release(&ps.mapping);
    free(default_company);
    return rc;
}
