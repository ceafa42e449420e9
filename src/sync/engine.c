/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sync_run: one round of the two-way sync. It reads the settings, records
 * the run, runs the pull and the push in the order that the direction
 * setting gives and enforces the API budget between requests.
 */
#include "base/common.h"

#include "engine.h"

#include <inttypes.h>
#include <sodium.h>

#include "base/datetime.h"
#include "engine_int.h"
#include "salesforce/sf_query.h"

/* The setting that names the prefix of external id values. It is made
 * once per workspace from random bytes, so that two databases synced to
 * one org never write the same value. */
#define EXT_ID_PREFIX_KEY "sync.external_id_prefix"
#define EXT_ID_PREFIX_BYTES 6

/* Outbox entries read at a time to count the pending contacts. */
#define PENDING_PAGE 1000

int sync__check_budget(struct sync_engine *e, struct err *err)
{
    struct sf_http_stats st;

    /* NOTE: the usage comes from the last reply, so the first request of
     * a round goes out even when an earlier process used the budget up. */

    sf_http_get_stats(sf_client_http(e->conn->client), &st);
    if (st.api_max <= 0 || st.api_used < 0 ||
        st.api_used * 100 < st.api_max * (long long)e->budget_percent)
        return 0;
    e->stopped = true;
    return err_set(err, SYNC_ESTOP,
                   "stopped at the API budget: the org has used %lld of its "
                   "%lld daily API calls, at or above api_budget_percent=%ld; "
                   "the rest is synced by a later round",
                   st.api_used, st.api_max, e->budget_percent);
}

int sync__save_progress(struct sync_engine *e, struct err *err)
{
    struct store_run_counts counts = *e->counts;

    /* The push step adds the errors and conflicts of its re-reads to the
     * round's counts only as it ends. */
    if (e->reread_counts) {
        counts.errors += e->reread_counts->errors;
        counts.conflicts += e->reread_counts->conflicts;
    }
    /* NOTE: under on_salesforce_delete keep, a running round counts its
     * unlinked records as deleted, but its finished run row does not. */
    counts.api_calls =
        (int64_t)(connection_api_calls(e->conn) - e->calls_before);
    return store_run_progress(e->store, e->ws, e->run_id, NULL, -1, &counts,
                              err);
}

void sync__apply_init(struct sync_engine *e, struct apply_ctx *ctx,
                      enum sf_object object)
{
    apply_init(ctx, e->store, e->ws, object, &e->mapping,
               e->reread_counts ? e->reread_counts : e->counts);
    ctx->run_id = e->run_id;
    ctx->policy = e->policy;
    ctx->archive_on_delete = e->archive_on_delete;
    ctx->delete_on_local_delete = e->delete_on_local_delete;
    ctx->ext_id_field = e->ext_id_field;
    ctx->ext_id_prefix = e->ext_id_prefix;
    ctx->default_company = e->default_company;
}

struct collect_state {
    struct sync_engine *e;
    json_t *out;
};

static int collect_page(const struct sf_query_page *page, void *payload,
                        struct err *err)
{
    struct collect_state *cs = payload;
    size_t i;
    json_t *rec;

    json_array_foreach(page->records, i, rec)
    {
        json_array_append(cs->out, rec);
    }
    if (!page->done && sync__check_budget(cs->e, err) < 0)
        return SYNC_ESTOP;
    return 0;
}

int sync__query_records(struct sync_engine *e, const char *soql, bool all,
                        json_t *out, struct err *err)
{
    struct sf_query_options qopts = {all, e->batch_size};
    struct collect_state cs = {e, out};
    int rc;

    if ((rc = sync__check_budget(e, err)) < 0)
        return rc;
    return sf_query_run(e->conn->client, soql, &qopts, collect_page, &cs,
                        err);
}

/* The external id prefix of the workspace, made on first use. */
static int ext_id_prefix(struct sync_engine *e, struct err *err)
{
    unsigned char bytes[EXT_ID_PREFIX_BYTES];
    char hex[2 * EXT_ID_PREFIX_BYTES + 1];
    int rc;

    rc = store_setting_get(e->store, e->ws, EXT_ID_PREFIX_KEY,
                           &e->ext_id_prefix, NULL);
    if (rc == 0 && e->ext_id_prefix && *e->ext_id_prefix)
        return 0;
    free(e->ext_id_prefix);
    e->ext_id_prefix = NULL;
    if (sodium_init() < 0)
        return err_set(err, SYNC_EIO,
                       "cannot set up libsodium for random bytes");
    randombytes_buf(bytes, sizeof(bytes));
    sodium_bin2hex(hex, sizeof(hex), bytes, sizeof(bytes));
    if ((rc = store_setting_set(e->store, e->ws, EXT_ID_PREFIX_KEY, hex,
                                err)) < 0)
        return rc;
    e->ext_id_prefix = xstrdup(hex);
    return 0;
}

static int load_settings(struct sync_engine *e, struct err *err)
{
    struct store *s = e->store;
    char *v, *user = NULL;
    int policy;

    e->direction = settings_direction(s, e->ws);
    for (int o = 0; o < SF_OBJECT_COUNT; o++)
        e->enabled[o] = settings_object_enabled(s, e->ws, (enum sf_object)o);
    v = settings_get_normalized(s, e->ws, "conflict_policy");
    policy = merge_policy_parse(v);
    e->policy = policy < 0 ? MERGE_POLICY_NEWEST : (enum merge_policy)policy;
    free(v);
    e->archive_on_delete = settings_is(s, e->ws, "on_salesforce_delete",
                                       "archive");
    e->delete_on_local_delete = settings_is(s, e->ws, "on_local_delete",
                                            "delete");
    e->new_contacts_as = settings_is(s, e->ws, "new_contacts_as", "contact")
                             ? SF_OBJECT_CONTACT
                             : SF_OBJECT_LEAD;
    e->default_company = settings_get_normalized(s, e->ws, "default_company");
    v = settings_get_normalized(s, e->ws, "default_region");
    snprintf(e->region, sizeof(e->region), "%s", *v ? v : PHONE_DEFAULT_REGION);
    free(v);
    e->overlap_ms = settings_get_long(s, e->ws, "pull_overlap_seconds") * 1000;
    e->budget_percent = settings_get_long(s, e->ws, "api_budget_percent");
    v = settings_get_normalized(s, e->ws, "external_id_field");
    if (*v)
        e->ext_id_field = v;
    else
        free(v);
    e->backlink_field = settings_get_normalized(s, e->ws, "backlink_field");
    e->backlink_base = settings_get_normalized(s, e->ws, "public_url");
    if (!*e->backlink_field || !*e->backlink_base) {
        free(e->backlink_field);
        free(e->backlink_base);
        e->backlink_field = e->backlink_base = NULL;
    }
    if (store_setting_get(s, e->ws, "connection.user_id", &user, NULL) ==
            0 &&
        user)
        sfid_to18(user, e->user_id);
    free(user);
    return e->ext_id_field ? ext_id_prefix(e, err) : 0;
}

static void engine_release(struct sync_engine *e)
{
    mapping_release(&e->mapping);
    free(e->default_company);
    free(e->backlink_field);
    free(e->backlink_base);
    free(e->ext_id_field);
    free(e->ext_id_prefix);
}

static const char *direction_name(enum sync_direction d)
{
    switch (d) {
    case SYNC_DIRECTION_TO_SALESFORCE:
        return "to-salesforce";
    case SYNC_DIRECTION_FROM_SALESFORCE:
        return "from-salesforce";
    case SYNC_DIRECTION_BOTH:
        break;
    }
    return "both";
}

/* Set out to the counts of after less those of before, api_calls 0. */
static void counts_since(struct store_run_counts *out,
                         const struct store_run_counts *after,
                         const struct store_run_counts *before)
{
    out->created = after->created - before->created;
    out->updated = after->updated - before->updated;
    out->unchanged = after->unchanged - before->unchanged;
    out->skipped = after->skipped - before->skipped;
    out->errors = after->errors - before->errors;
    out->api_calls = 0;
    out->pushed = after->pushed - before->pushed;
    out->pulled = after->pulled - before->pulled;
    out->deleted = after->deleted - before->deleted;
    out->conflicts = after->conflicts - before->conflicts;
}

/* Run the push step. A record that an update found converted or deleted
 * is read again inside it, and that re-read only moves or unlinks the
 * contact that the push then sends, so it adds its errors and conflicts
 * to the round but no record. *out_deleted receives the contacts it
 * unlinked for records deleted in Salesforce, which the caller counts
 * with the pull's deletes. */
static int run_push(struct sync_engine *e, int64_t *out_deleted,
                    struct err *err)
{
    struct store_run_counts reread = {0};
    int rc;

    e->reread_counts = &reread;
    rc = sync__push(e, err);
    if (rc == 0)
        rc = sync__backlinks_push(e, err);
    e->reread_counts = NULL;
    e->counts->errors += reread.errors;
    e->counts->conflicts += reread.conflicts;
    *out_deleted = reread.deleted;
    if (reread.pulled)
        log_info("sync", "records read again by the push",
                 "run=%" PRId64 " moved=%" PRId64 " unlinked=%" PRId64,
                 e->run_id, reread.updated, reread.deleted);
    return rc;
}

static int compare_ids(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* Set *out to the number of contacts with pending outbox entries. */
static int count_pending_contacts(struct sync_engine *e, int64_t *out,
                                  struct err *err)
{
    int64_t *ids = NULL, after = 0;
    size_t count = 0, cap = 0, unique = 0;
    int rc = 0;

    for (;;) {
        struct store_outbox_entry *entries = NULL;
        size_t n = 0;

        if ((rc = store_outbox_pending_after(e->store, e->ws, after,
                                             PENDING_PAGE, &entries, &n,
                                             err)) < 0)
            goto out;
        for (size_t i = 0; i < n; i++) {
            ids = xgrow(ids, &cap, count + 1, sizeof(*ids));
            ids[count++] = entries[i].contact_id;
            after = entries[i].id;
        }
        free(entries);
        if (n < PENDING_PAGE)
            break;
    }
    if (count)
        qsort(ids, count, sizeof(*ids), compare_ids);
    for (size_t i = 0; i < count; i++)
        if (i == 0 || ids[i] != ids[i - 1])
            unique++;
    *out = (int64_t)unique;
out:
    free(ids);
    return rc;
}

/* Run the steps of the direction, keeping the counts of each step. */
static int run_steps(struct sync_engine *e, struct sync_result *out,
                     struct err *err)
{
    struct store_run_counts start = *e->counts, pulled;
    int64_t reread_deleted = 0;
    int rc = 0;

    if (e->direction != SYNC_DIRECTION_TO_SALESFORCE)
        rc = sync__pull(e, err);
    pulled = *e->counts;
    counts_since(&out->pull_counts, &pulled, &start);
    if (rc == 0 && e->direction != SYNC_DIRECTION_FROM_SALESFORCE)
        rc = run_push(e, &reread_deleted, err);
    else if (rc == 0)
        rc = count_pending_contacts(e, &out->held_back, err);
    counts_since(&out->push_counts, e->counts, &pulled);
    /* A record that the push found deleted in Salesforce deleted its
     * contact locally, as a pulled delete does. */
    out->pull_counts.deleted += reread_deleted;
    e->counts->deleted += reread_deleted;
    /* NOTE: under keep this also counts a contact archived because its
     * record was merged into, or converted to, a record linked to another
     * contact; apply.c counts both as deleted. */
    if (!e->archive_on_delete) {
        out->unlinked = out->pull_counts.deleted;
        out->pull_counts.deleted = 0;
        e->counts->deleted -= out->unlinked;
    }
    out->recovered = e->recovered;
    return rc;
}

/* Whether a finished round with counts c changed nothing on either side
 * and failed nothing. */
static bool round_idle(const struct store_run_counts *c)
{
    return c->created == 0 && c->updated == 0 && c->pushed == 0 &&
           c->pulled == 0 && c->deleted == 0 && c->errors == 0 &&
           c->conflicts == 0;
}

/*
 * Keep the run history short: an idle round replaces the idle round
 * recorded just before it, so that a poll every second leaves one row and
 * not thousands, and runs older than runs_keep_days are deleted. An idle
 * push between the pages of a pull (every contact deferred) replaces
 * nothing, because its own row is deleted after it finishes.
 */
static void trim_history(struct sync_engine *e, const struct sync_result *out,
                         const char *kind, int rc)
{
    int64_t keep_ms = settings_get_long(e->store, e->ws, "runs_keep_days") *
                      24 * 3600 * 1000;
    struct store_run *runs = NULL;
    size_t n = 0, pruned = 0;

    if (rc == 0 && strcmp(kind, "sync") == 0 && round_idle(&out->counts) &&
        store_run_list(e->store, e->ws, 2, &runs, &n, NULL) == 0 && n == 2 &&
        runs[0].id == out->run_id && strcmp(runs[1].kind, "sync") == 0 &&
        strcmp(runs[1].status, "ok") == 0 && round_idle(&runs[1].counts))
        store_run_delete(e->store, e->ws, runs[1].id, NULL);
    store_runs_free(runs, n);
    if (keep_ms > 0 &&
        store_run_prune(e->store, e->ws, datetime_now_ms() - keep_ms,
                        &pruned, NULL) == 0 &&
        pruned)
        log_info("sync", "old runs deleted", "count=%zu", pruned);
}

const char *sync_run_error_code(int rc, const struct err *err)
{
    bool replied = err && err->http_status > 0;

    switch (rc) {
    case SYNC_OK:
        return NULL;
    case SYNC_EAUTH:
        return "auth";
    case SYNC_ERATELIMIT:
        return "api_limit";
    case SYNC_ETRANSIENT:
    case SYNC_EIO:
        return replied ? "salesforce" : "network";
    case SYNC_EDB:
        return "store";
    case SYNC_ESTOP:
        return "stopped";
    default:
        break;
    }
    if (rc > 0)
        return NULL;
    /* A rejected request, a missing record or a conflict. NOTE: a caller
     * that sets err again with err_set drops its HTTP status, so such a
     * Salesforce reply is recorded as "network" or "other". */
    if (replied)
        return "salesforce";
    return "other";
}

/* Record the end of the run of kind ("sync" or "push") in out and in the
 * run log. */
static void finish(struct sync_engine *e, struct sync_result *out,
                   const char *kind, int rc, const struct err *err,
                   uint64_t calls_before)
{
    const char *status = rc == SYNC_ESTOP ? "stopped"
                         : rc < 0         ? "failed"
                         : out->counts.errors > 0 ? "partial"
                                                  : "ok";
    const char *error_code = rc == SYNC_ESTOP && e->stopped
                                 ? SYNC_RUN_BUDGET
                                 : sync_run_error_code(rc, err);

    out->counts.api_calls =
        (int64_t)(connection_api_calls(e->conn) - calls_before);
    /* The error that failed the round is no listed sync error, but the
     * run row counts it, as the summary does. */
    if (rc < 0 && rc != SYNC_ESTOP)
        out->counts.errors++;
    out->stopped = rc == SYNC_ESTOP;
    snprintf(out->status, sizeof(out->status), "%s", status);
    snprintf(out->message, sizeof(out->message), "%s",
             rc < 0 && err ? err->msg : "");
    /* Before the finish, so that no reader sees two finished idle rounds. */
    trim_history(e, out, kind, rc);
    store_run_finish(e->store, e->ws, out->run_id, status, &out->counts,
                     out->message[0] ? out->message : NULL, error_code, NULL);
    log_info("sync", strcmp(kind, "push") == 0 ? "push finished"
                                               : "sync finished",
             "workspace=%" PRId64 " run=%" PRId64 " status=%s pushed=%" PRId64 " pulled=%" PRId64
             " created=%" PRId64 " updated=%" PRId64 " deleted=%" PRId64
             " unlinked=%" PRId64 " conflicts=%" PRId64 " errors=%" PRId64
             " api_calls=%" PRId64 " recovered=%" PRId64,
             e->ws, out->run_id, status, out->counts.pushed, out->counts.pulled,
             out->counts.created, out->counts.updated, out->counts.deleted,
             out->unlinked, out->counts.conflicts, out->counts.errors,
             out->counts.api_calls, out->recovered);
    if (rc < 0 && rc != SYNC_ESTOP)
        log_error("sync", strcmp(kind, "push") == 0 ? "push failed"
                                                    : "sync failed",
                  "workspace=%" PRId64 " run=%" PRId64 " error=%s", e->ws,
                  out->run_id, out->message);
}

/* End the run of kind ("sync" or "push") that its steps ended with rc:
 * mark a rejected connection, record the run, and log a stop at the API
 * budget, which is no failure. Return rc, or 0 for SYNC_ESTOP. */
static int end_run(struct sync_engine *e, struct sync_result *out,
                   const char *kind, int rc, const struct err *local,
                   uint64_t calls_before)
{
    if (rc == SYNC_EAUTH)
        connection_mark_failed(e->conn, local);
    finish(e, out, kind, rc, local, calls_before);
    if (rc != SYNC_ESTOP)
        return rc;
    log_warn("sync", strcmp(kind, "push") == 0
                         ? "push stopped at the API budget"
                         : "sync stopped at the API budget",
             "workspace=%" PRId64 " run=%" PRId64 " reason=\"%s\"", e->ws,
             out->run_id, local->msg);
    return 0;
}

/* The codes apply.c records, without counting an error, when it archives
 * a folded contact. */
static const char *const notice_codes[] = {
    "MERGED_INTO_LINKED_RECORD",
    "CONVERTED_CONTACT_LINKED",
};

bool sync_error_is_notice(const char *code)
{
    for (size_t i = 0; code && i < ARRAY_SIZE(notice_codes); i++)
        if (strcmp(code, notice_codes[i]) == 0)
            return true;
    return false;
}

int sync_retry_errors(struct store *s, int64_t workspace_id,
                      int64_t *out_retried, int64_t *out_skipped,
                      struct err *err)
{
    return store_sync_error_retry_except(s, workspace_id, notice_codes,
                                         ARRAY_SIZE(notice_codes), out_retried,
                                         out_skipped, err);
}

int sync_run(struct connection *conn, const struct sync_options *opts,
             struct sync_result *out, struct err *err)
{
    uint64_t calls_before = connection_api_calls(conn);
    struct sync_engine e;
    struct err local;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&e, 0, sizeof(e));
    err_clear(&local);
    e.conn = conn;
    e.store = conn->store;
    e.ws = conn->workspace_id;
    e.counts = &out->counts;
    e.calls_before = calls_before;
    e.batch_size = opts ? opts->batch_size : 0;
    if (opts) {
        e.between_pages = opts->between_pages;
        e.between_payload = opts->payload;
        e.pushed_between = opts->pushed;
    }
    if (!settings_enabled(e.store, e.ws))
        return err_set(err, SYNC_EINVALID,
                       "the integration is disabled: run 'sfsync config set "
                       "enabled true' to sync");
    mapping_init(&e.mapping);
    /* A pull stopped during a first load leaves the store without some
     * contact indexes, which matching needs. */
    if ((rc = load_settings(&e, &local)) < 0 ||
        (rc = store_contact_indexes_build(e.store, &local)) < 0 ||
        (rc = store_run_begin(e.store, e.ws, "sync", -1, &out->run_id,
                              &local)) < 0)
        goto out;
    e.run_id = out->run_id;
    log_info("sync", "sync started",
             "workspace=%" PRId64 " run=%" PRId64 " direction=%s", e.ws,
             out->run_id, direction_name(e.direction));
    /* A wrong field would fail every pull query with a SOQL error. */
    rc = sync_check_external_id_field(conn, e.ext_id_field, &local);
    if (rc == 0)
        rc = run_steps(&e, out, &local);
    rc = end_run(&e, out, "sync", rc, &local, calls_before);
out:
    if (rc < 0 && err)
        *err = local;
    engine_release(&e);
    return rc;
}

void sync_pushed_init(struct sync_pushed *pushed)
{
    pushed->stamps = json_object();
    pushed->written = json_object();
}

void sync_pushed_release(struct sync_pushed *pushed)
{
    json_decref(pushed->stamps);
    json_decref(pushed->written);
    pushed->stamps = NULL;
    pushed->written = NULL;
}

bool sync_pushed_is_stale(const struct sync_pushed *pushed, const json_t *rec)
{
    const char *id = json_string_value(json_object_get(rec, "Id"));
    char sf_id[SFID_SIZE];
    json_t *stamp;

    if (!pushed || !pushed->stamps || json_object_size(pushed->stamps) == 0 ||
        !id || sfid_to18(id, sf_id) < 0)
        return false;
    stamp = json_object_get(pushed->stamps, sf_id);
    return stamp && apply_record_stamp(rec, "SystemModstamp") <=
                        (int64_t)json_integer_value(stamp);
}

int sync_push_linked(struct connection *conn, struct sync_pushed *pushed,
                     struct sync_result *out, struct err *err)
{
    uint64_t calls_before = connection_api_calls(conn);
    struct sync_engine e;
    struct err local;
    bool pending = false;
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&e, 0, sizeof(e));
    err_clear(&local);
    snprintf(out->status, sizeof(out->status), "ok");
    e.conn = conn;
    e.store = conn->store;
    e.ws = conn->workspace_id;
    e.counts = &out->counts;
    e.calls_before = calls_before;
    e.pushed = pushed;
    if (!settings_enabled(e.store, e.ws))
        return 0;
    mapping_init(&e.mapping);
    if ((rc = load_settings(&e, &local)) < 0 ||
        e.direction == SYNC_DIRECTION_FROM_SALESFORCE ||
        (rc = sync__linked_pending(&e, &pending, &local)) < 0 || !pending ||
        (rc = store_run_begin(e.store, e.ws, "push", -1, &out->run_id,
                              &local)) < 0)
        goto out;
    e.run_id = out->run_id;
    log_info("sync", "push between pull pages started",
             "workspace=%" PRId64 " run=%" PRId64, e.ws, out->run_id);
    rc = end_run(&e, out, "push", sync__push(&e, &local), &local,
                 calls_before);
    /* Every contact was deferred or had nothing to send. */
    if (rc == 0 && round_idle(&out->counts) &&
        store_run_delete(e.store, e.ws, out->run_id, NULL) == 0)
        out->run_id = 0;
out:
    if (rc < 0 && err)
        *err = local;
    engine_release(&e);
    return rc;
}
