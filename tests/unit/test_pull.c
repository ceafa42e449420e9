/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * pull_run against the real sfsim: matching of pulled records to unlinked
 * local contacts by phone (E.164) and email, and what a repeated pull does
 * to a matched contact. The command line cannot create an unlinked local
 * contact yet, so these run at the library level.
 */
#include "base/common.h"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "salesforce/sf_query.h"
#include "store/store.h"
#include "sync/connection.h"
#include "sync/pull.h"
#include "sync/settings.h"

#include "simproc.h"
#include "test.h"
#include "test_store_target.h"

/* The org: Contacts whose phones and emails the tests match against. */
static const char plan_json[] =
    "[{\"sobject\": \"Contact\", \"saveRefs\": false, "
    "\"resolveRefs\": false, \"files\": [\"contacts.json\"]}]\n";

static const char contacts_json[] =
    "{\"records\": [\n"
    "{\"attributes\": {\"type\": \"Contact\", \"referenceId\": \"R1\"},\n"
    " \"FirstName\": \"Pat\", \"LastName\": \"Byphone\",\n"
    " \"Phone\": \"(415) 555-0101\", \"Email\": \"byphone@sf.example.com\"},\n"
    "{\"attributes\": {\"type\": \"Contact\", \"referenceId\": \"R2\"},\n"
    " \"LastName\": \"Byemail\", \"Email\": \"By.Email@Example.COM\"},\n"
    "{\"attributes\": {\"type\": \"Contact\", \"referenceId\": \"R3\"},\n"
    " \"LastName\": \"Twophones\", \"Phone\": \"415-555-0103\"},\n"
    "{\"attributes\": {\"type\": \"Contact\", \"referenceId\": \"R4\"},\n"
    " \"LastName\": \"Disagree\", \"Phone\": \"415-555-0104\",\n"
    " \"Email\": \"disagree@sf.example.com\"},\n"
    "{\"attributes\": {\"type\": \"Contact\", \"referenceId\": \"R5\"},\n"
    " \"LastName\": \"Fresh\", \"Phone\": \"415-555-0105\"},\n"
    "{\"attributes\": {\"type\": \"Contact\", \"referenceId\": \"R6\"},\n"
    " \"LastName\": \"Bymobile\", \"MobilePhone\": \"+1 415 555 0106\"}\n"
    "]}\n";

#define ORG_CONTACTS 6

struct fixture {
    char dir[64];
    struct test_db db;
    struct simproc sim;
    struct store *store;
    struct store_workspace ws;
    struct connection conn;
    json_t *sf_ids; /* LastName -> Id of the org's Contacts */
    bool ready;
};

static void write_file(const char *dir, const char *name, const char *text)
{
    char *path = xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");

    if (!f || fputs(text, f) < 0) {
        perror(path);
        abort();
    }
    fclose(f);
    free(path);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int collect_ids(const struct sf_query_page *page, void *payload,
                       struct err *err)
{
    json_t *ids = payload;
    size_t i;
    json_t *rec;

    (void)err;
    json_array_foreach(page->records, i, rec)
    {
        json_object_set(ids,
                        json_string_value(json_object_get(rec, "LastName")),
                        json_object_get(rec, "Id"));
    }
    return 0;
}

/* Start sfsim with the plan, open a new store and connect it. */
static bool fixture_open(struct fixture *fx)
{
    struct connection_params p = {
        .client_id = "sfsim-client-id",
        .client_secret = "sfsim-client-secret",
        .grant = SF_AUTH_GRANT_CLIENT_CREDENTIALS,
    };
    struct sf_query_options qopts = {false, 0};
    const char *args[] = {"--data", NULL, NULL};
    char *plan;
    struct err err;

    memset(fx, 0, sizeof(*fx));
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/sfsync-pull-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        perror("mkdtemp");
        return false;
    }
    write_file(fx->dir, "plan.json", plan_json);
    write_file(fx->dir, "contacts.json", contacts_json);
    plan = xasprintf("%s/plan.json", fx->dir);
    args[1] = plan;
    fx->sf_ids = json_object();
    test_db_init(&fx->db, "sfsync-pull-db");
    err_clear(&err);
    if (simproc_start(&fx->sim, args) < 0) {
        free(plan);
        return false;
    }
    free(plan);
    p.login_url = fx->sim.url;
    if (store_open(&fx->store, fx->db.target, &err) < 0 ||
        store_workspace_get_or_create(fx->store, "main", &fx->ws, &err) < 0 ||
        connection_connect(fx->store, fx->ws.id, &p, &err) < 0 ||
        connection_open(&fx->conn, fx->store, fx->ws.id, &err) < 0 ||
        sf_query_run(fx->conn.client, "SELECT Id, LastName FROM Contact",
                     &qopts, collect_ids, fx->sf_ids, &err) < 0) {
        fprintf(stderr, "fixture setup failed: %s\n", err.msg);
        return false;
    }
    fx->ready = json_object_size(fx->sf_ids) == ORG_CONTACTS;
    if (!fx->ready)
        fprintf(stderr, "sfsim has %zu Contacts, expected %d\n",
                json_object_size(fx->sf_ids), ORG_CONTACTS);
    return fx->ready;
}

static void fixture_close(struct fixture *fx)
{
    connection_close(&fx->conn);
    if (fx->ws.name)
        store_workspace_release(&fx->ws);
    store_close(fx->store);
    if (fx->sim.pid > 0)
        CHECK_INT(simproc_stop(&fx->sim), 0);
    json_decref(fx->sf_ids);
    nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    test_db_release(&fx->db);
}

/* Insert an unlinked local contact. Any of the texts may be NULL. */
static int64_t add_local_named(struct fixture *fx, const char *first,
                               const char *last, const char *email,
                               const char *phone, const char *title)
{
    struct contact c;
    struct err err;
    int64_t id;

    contact_init(&c);
    c.workspace_id = fx->ws.id;
    contact_set_text(&c, CONTACT_FIRST_NAME, first);
    contact_set_text(&c, CONTACT_LAST_NAME, last);
    contact_set_text(&c, CONTACT_EMAIL, email);
    contact_set_text(&c, CONTACT_PHONE, phone);
    contact_set_text(&c, CONTACT_TITLE, title);
    err_clear(&err);
    if (store_contact_insert(fx->store, &c, STORE_ORIGIN_LOCAL, &err) < 0)
        fprintf(stderr, "insert failed: %s\n", err.msg);
    id = c.id;
    contact_release(&c);
    return id;
}

/* Insert an unlinked local contact with the first name Local. */
static int64_t add_local(struct fixture *fx, const char *last,
                         const char *email, const char *phone,
                         const char *title)
{
    return add_local_named(fx, "Local", last, email, phone, title);
}

static int pull_contacts(struct fixture *fx, struct pull_result *res)
{
    struct pull_options opts = {.object = SF_OBJECT_CONTACT};
    struct err err;
    int rc;

    err_clear(&err);
    rc = pull_run(&fx->conn, &opts, res, &err);
    if (rc < 0)
        fprintf(stderr, "pull failed: %s\n", err.msg);
    return rc;
}

/* The Salesforce id that contact_id is linked to, or "" when unlinked. */
static const char *linked_id(struct fixture *fx, int64_t contact_id,
                             char out[SFID_SIZE])
{
    struct store_link link;

    out[0] = '\0';
    store_link_init(&link);
    if (store_link_get(fx->store, fx->ws.id, contact_id, &link, NULL) == 0)
        snprintf(out, SFID_SIZE, "%s", link.sf_id);
    store_link_release(&link);
    return out;
}

static const char *sf_id(struct fixture *fx, const char *last_name)
{
    const char *id =
        json_string_value(json_object_get(fx->sf_ids, last_name));

    return id ? id : "(missing)";
}

/* The local contact linked to the org's Contact with last_name, or 0. */
static int64_t contact_of(struct fixture *fx, const char *last_name)
{
    struct store_link link;
    int64_t id = 0;

    store_link_init(&link);
    if (store_link_find(fx->store, fx->ws.id, sf_id(fx, last_name), &link,
                        NULL) == 0)
        id = link.contact_id;
    store_link_release(&link);
    return id;
}

static int64_t local_count(struct fixture *fx)
{
    struct store_contact_query q = {0};
    struct store_contact_list page;
    int64_t total = -1;

    q.limit = 1;
    if (store_contact_list(fx->store, fx->ws.id, &q, &page, NULL) == 0) {
        total = page.total;
        store_contact_list_release(&page);
    }
    return total;
}

/* Read a local contact's field into a static buffer for a CHECK_STR. */
static const char *field_of(struct fixture *fx, int64_t id,
                            enum contact_field f)
{
    static char text[256];
    struct contact c;

    contact_init(&c);
    snprintf(text, sizeof(text), "(no contact)");
    if (store_contact_get(fx->store, fx->ws.id, id, &c, NULL) == 0)
        snprintf(text, sizeof(text), "%s",
                 contact_text(&c, f) ? contact_text(&c, f) : "(null)");
    contact_release(&c);
    return text;
}

/* Set raw field values of a record with PATCH /sim/records/{id}. */
static int patch_record(struct fixture *fx, const char *id, const char *json)
{
    struct sim_http_reply r;
    char url[160];

    snprintf(url, sizeof(url), "%s/sim/records/%s", fx->sim.url, id);
    if (sim_http("PATCH", url, "application/json", json, &r) < 0)
        return -1;
    if (r.status != 200)
        fprintf(stderr, "PATCH %s gave %ld: %s\n", url, r.status, r.body);
    return r.status == 200 ? 0 : -1;
}

TEST(phone_match_links_contact)
{
    struct fixture fx;
    struct pull_result res;
    char linked[SFID_SIZE];
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    /* Another format of R1's number, no email, the last name in other
     * letter case and no first name. */
    local = add_local_named(&fx, NULL, "byphone", NULL, "+1 415-555-0101",
                            "Local title");
    CHECK_INT(pull_contacts(&fx, &res), 0);
    CHECK_INT(res.counts.created, ORG_CONTACTS - 1);
    CHECK_INT(res.counts.updated, 1);
    CHECK_INT(res.counts.errors, 0);
    CHECK_STR(linked_id(&fx, local, linked), sf_id(&fx, "Byphone"));
    CHECK_INT(contact_of(&fx, "Byphone"), local);
    CHECK_INT(local_count(&fx), ORG_CONTACTS);
    /* A first link merges against an empty base. The last name in other
     * letter case is one name, and the record's text is taken with no
     * conflict. The phone is one number written two ways, so no conflict
     * either. The first name and the email, only on the record, are
     * taken. */
    CHECK_INT(res.counts.conflicts, 0);
    CHECK_STR(field_of(&fx, local, CONTACT_PHONE), "+1 415-555-0101");
    CHECK_STR(field_of(&fx, local, CONTACT_LAST_NAME), "Byphone");
    CHECK_STR(field_of(&fx, local, CONTACT_FIRST_NAME), "Pat");
    CHECK_STR(field_of(&fx, local, CONTACT_EMAIL), "byphone@sf.example.com");
    CHECK_STR(field_of(&fx, local, CONTACT_TITLE), "Local title");
    fixture_close(&fx);
}

TEST(phone_with_other_email_not_linked)
{
    struct fixture fx;
    struct pull_result res;
    char linked[SFID_SIZE];
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    /* R1's number, but another person's email: a shared phone. */
    local = add_local(&fx, "Byphone-local", "other@local.example.com",
                      "+1 415-555-0101", "Local title");
    CHECK_INT(pull_contacts(&fx, &res), 0);
    CHECK_INT(res.counts.created, ORG_CONTACTS);
    CHECK_INT(res.counts.updated, 0);
    CHECK_INT(res.counts.conflicts, 0);
    CHECK_STR(linked_id(&fx, local, linked), "");
    CHECK(contact_of(&fx, "Byphone") != local);
    CHECK_INT(local_count(&fx), ORG_CONTACTS + 1);
    CHECK_STR(field_of(&fx, local, CONTACT_EMAIL), "other@local.example.com");
    CHECK_STR(field_of(&fx, contact_of(&fx, "Byphone"), CONTACT_EMAIL),
              "byphone@sf.example.com");
    fixture_close(&fx);
}

TEST(phone_with_other_name_not_linked)
{
    static const char *const names[][2] = {
        {"Local", "Byphone-local"}, /* another person at R1's number */
        {"Sam", "Byphone"},         /* the same last name, another first */
    };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        struct fixture fx;
        struct pull_result res;
        char linked[SFID_SIZE];
        int64_t local;

        if (!fixture_open(&fx)) {
            CHECK(fx.ready);
            fixture_close(&fx);
            return;
        }
        local = add_local_named(&fx, names[i][0], names[i][1], NULL,
                                "+1 415-555-0101", NULL);
        CHECK_INT(pull_contacts(&fx, &res), 0);
        CHECK_INT(res.counts.created, ORG_CONTACTS);
        CHECK_INT(res.counts.updated, 0);
        CHECK_INT(res.counts.conflicts, 0);
        CHECK_STR(linked_id(&fx, local, linked), "");
        CHECK_INT(local_count(&fx), ORG_CONTACTS + 1);
        CHECK_STR(field_of(&fx, local, CONTACT_FIRST_NAME), names[i][0]);
        CHECK_STR(field_of(&fx, local, CONTACT_LAST_NAME), names[i][1]);
        CHECK_STR(field_of(&fx, contact_of(&fx, "Byphone"), CONTACT_FIRST_NAME),
                  "Pat");
        fixture_close(&fx);
    }
}

TEST(email_match_links_contact)
{
    struct fixture fx;
    struct pull_result res;
    char linked[SFID_SIZE];
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    /* The same address in other letter case, and no phone. */
    local = add_local(&fx, "Byemail-local", "by.email@example.com", NULL,
                      NULL);
    CHECK_INT(pull_contacts(&fx, &res), 0);
    CHECK_INT(res.counts.created, ORG_CONTACTS - 1);
    CHECK_INT(res.counts.updated, 1);
    CHECK_STR(linked_id(&fx, local, linked), sf_id(&fx, "Byemail"));
    CHECK_INT(local_count(&fx), ORG_CONTACTS);
    /* Set on both sides, the last name is a conflict that the later local
     * add wins. */
    CHECK_STR(field_of(&fx, local, CONTACT_LAST_NAME), "Byemail-local");
    fixture_close(&fx);
}

TEST(mobile_match_links_contact)
{
    struct fixture fx;
    struct pull_result res;
    char linked[SFID_SIZE];
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    /* R6 has only a mobile phone, which is the local contact's phone. */
    local = add_local(&fx, "Bymobile", NULL, "(415) 555-0106", NULL);
    CHECK_INT(pull_contacts(&fx, &res), 0);
    CHECK_INT(res.counts.created, ORG_CONTACTS - 1);
    CHECK_INT(res.counts.updated, 1);
    CHECK_STR(linked_id(&fx, local, linked), sf_id(&fx, "Bymobile"));
    CHECK_STR(field_of(&fx, local, CONTACT_PHONE), "(415) 555-0106");
    CHECK_STR(field_of(&fx, local, CONTACT_MOBILE_PHONE), "+1 415 555 0106");
    fixture_close(&fx);
}

TEST(two_matches_create_new_contact)
{
    struct fixture fx;
    struct pull_result res;
    char linked[SFID_SIZE];
    int64_t same_a, same_b, by_phone, by_email;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    /* Two contacts share R3's phone and last name. */
    same_a = add_local(&fx, "Twophones", NULL, "4155550103", "A");
    same_b = add_local(&fx, "Twophones", NULL, "415.555.0103", "B");
    /* R4's phone matches one contact and its email another. */
    by_phone = add_local(&fx, "Disagree", NULL, "4155550104", NULL);
    by_email = add_local(&fx, "Disagree-email", "disagree@sf.example.com",
                         NULL, NULL);
    CHECK_INT(pull_contacts(&fx, &res), 0);
    CHECK_INT(res.counts.created, ORG_CONTACTS);
    CHECK_INT(res.counts.updated, 0);
    CHECK_INT(local_count(&fx), ORG_CONTACTS + 4);
    CHECK_STR(linked_id(&fx, same_a, linked), "");
    CHECK_STR(linked_id(&fx, same_b, linked), "");
    CHECK_STR(linked_id(&fx, by_phone, linked), "");
    CHECK_STR(linked_id(&fx, by_email, linked), "");
    CHECK(contact_of(&fx, "Twophones") > by_email);
    CHECK(contact_of(&fx, "Disagree") > by_email);
    CHECK_STR(field_of(&fx, same_a, CONTACT_TITLE), "A");
    fixture_close(&fx);
}

TEST(repeat_pull_keeps_matched_contact)
{
    struct fixture fx;
    struct pull_result res;
    struct contact before, after;
    int64_t local;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    local = add_local_named(&fx, "Pat", "Byphone", NULL, "+14155550101",
                            "Local title");
    CHECK_INT(pull_contacts(&fx, &res), 0);
    CHECK_INT(res.counts.updated, 1);
    contact_init(&before);
    contact_init(&after);
    CHECK_INT(store_contact_get(fx.store, fx.ws.id, local, &before, NULL), 0);
    CHECK_INT(pull_contacts(&fx, &res), 0);
    CHECK_INT(res.counts.unchanged, ORG_CONTACTS);
    CHECK_INT(res.counts.updated, 0);
    CHECK_INT(res.counts.created, 0);
    CHECK_INT(store_contact_get(fx.store, fx.ws.id, local, &after, NULL), 0);
    CHECK_INT(after.version, before.version);
    CHECK_STR(field_of(&fx, local, CONTACT_TITLE), "Local title");
    CHECK_INT(local_count(&fx), ORG_CONTACTS);

    /* A change made in Salesforce afterwards still arrives. The local
     * title differs from the base, so the policy settles the field: under
     * newest a Salesforce edit in the same second would lose. */
    CHECK_INT(settings_set(fx.store, fx.ws.id, "conflict_policy",
                           "salesforce", NULL),
              0);
    CHECK_INT(patch_record(&fx, sf_id(&fx, "Byphone"),
                           "{\"Title\": \"Salesforce title\"}"),
              0);
    CHECK_INT(pull_contacts(&fx, &res), 0);
    CHECK_INT(res.counts.updated, 1);
    CHECK_INT(res.counts.unchanged, ORG_CONTACTS - 1);
    CHECK_STR(field_of(&fx, local, CONTACT_TITLE), "Salesforce title");
    contact_release(&before);
    contact_release(&after);
    fixture_close(&fx);
}

/* State of the progress callback that adds a local contact mid-pull. */
struct mid_pull {
    struct fixture *fx;
    int64_t local;
    const char *target; /* LastName of the record it matches */
};

/* After the first page, add an unlinked local contact with the phone of a
 * record not pulled yet, as a 'contacts add' running meanwhile would. */
static void add_between_pages(long long done, long long total, void *payload)
{
    static const char *const candidates[][2] = {
        {"Fresh", "+1 415 555 0105"},
        {"Twophones", "+1 415 555 0103"},
        {"Disagree", "+1 415 555 0104"},
    };
    struct mid_pull *m = payload;

    (void)total;
    if (m->local || done == 0)
        return;
    for (size_t i = 0; i < ARRAY_SIZE(candidates); i++) {
        if (contact_of(m->fx, candidates[i][0]))
            continue;
        m->target = candidates[i][0];
        m->local =
            add_local(m->fx, candidates[i][0], NULL, candidates[i][1], NULL);
        return;
    }
}

/* The contact indexes that a first load into an empty store drops. */
#define CONTACT_INDEXES_SQL                                                  \
    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "  \
    "('contacts_by_phone', 'contacts_by_mobile_phone', 'contacts_by_email')"

TEST(first_pull_builds_contact_indexes)
{
    struct pull_options opts = {.object = SF_OBJECT_CONTACT};
    struct fixture fx;
    struct pull_result res;
    struct err err;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    err_clear(&err);
    CHECK_INT(pull_run(&fx.conn, &opts, &res, &err), 0);
    CHECK_INT(res.counts.created, ORG_CONTACTS);
    if (!test_db_is_pg())
        CHECK_INT(test_db_query_int(&fx.db, CONTACT_INDEXES_SQL), 3);
    fixture_close(&fx);
}

TEST(contact_added_mid_pull_matched)
{
    struct pull_options opts = {.object = SF_OBJECT_CONTACT};
    struct fixture fx;
    struct pull_result res;
    struct mid_pull m = {&fx, 0, NULL};
    struct err err;

    if (!fixture_open(&fx)) {
        CHECK(fx.ready);
        fixture_close(&fx);
        return;
    }
    /* Bulk results pages of two records, so that the callback runs
     * between pages. No contact is unlinked when the pull starts. */
    CHECK_INT(settings_set(fx.store, fx.ws.id, "bulk_threshold", "0", &err),
              0);
    opts.batch_size = 2;
    opts.progress = add_between_pages;
    opts.payload = &m;
    err_clear(&err);
    CHECK_INT(pull_run(&fx.conn, &opts, &res, &err), 0);
    CHECK(m.local > 0);
    CHECK(m.target != NULL);
    if (m.target)
        CHECK_INT(contact_of(&fx, m.target), m.local);
    CHECK_INT(res.counts.created, ORG_CONTACTS - 1);
    CHECK_INT(res.counts.updated, 1);
    CHECK_INT(local_count(&fx), ORG_CONTACTS);
    /* Matching built the indexes that the load into the empty store had
     * dropped. */
    if (!test_db_is_pg())
        CHECK_INT(test_db_query_int(&fx.db, CONTACT_INDEXES_SQL), 3);
    fixture_close(&fx);
}

TEST_MAIN(TEST_ENTRY(phone_match_links_contact),
          TEST_ENTRY(phone_with_other_email_not_linked),
          TEST_ENTRY(phone_with_other_name_not_linked),
          TEST_ENTRY(email_match_links_contact),
          TEST_ENTRY(mobile_match_links_contact),
          TEST_ENTRY(two_matches_create_new_contact),
          TEST_ENTRY(repeat_pull_keeps_matched_contact),
          TEST_ENTRY(first_pull_builds_contact_indexes),
          TEST_ENTRY(contact_added_mid_pull_matched))
