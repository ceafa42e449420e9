/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of local contact changes (sync/changes.c) against a real
 * SQLite store in a temporary directory: validation messages, versions and
 * outbox entries of add, update and archive, and version conflicts.
 */
#include "base/common.h"


#include "store/store.h"
#include "sync/changes.h"
#include "test.h"
#include "test_store_target.h"

struct fixture {
    struct test_db db;
    struct store *store;
    struct store_workspace ws;
};

static void fixture_open(struct fixture *fx)
{
    struct err err;

    memset(fx, 0, sizeof(*fx));
    test_db_init(&fx->db, "sfsync-changes");
    err_clear(&err);
    if (store_open(&fx->store, fx->db.target, &err) < 0 ||
        store_workspace_get_or_create(fx->store, "main", &fx->ws, &err) < 0) {
        fprintf(stderr, "store setup failed: %s\n", err.msg);
        abort();
    }
}

static void fixture_close(struct fixture *fx)
{
    store_workspace_release(&fx->ws);
    store_close(fx->store);
    test_db_release(&fx->db);
}

/* The operations of the workspace's pending outbox entries, oldest first,
 * as one letter each: c(reate), u(pdate), a(rchive). */
static void outbox_ops(struct fixture *fx, char *out, size_t size)
{
    struct store_outbox_entry *entries = NULL;
    size_t n = 0, len = 0;

    store_outbox_pending(fx->store, fx->ws.id, 1000, &entries, &n, NULL);
    for (size_t i = 0; i < n && len + 1 < size; i++)
        out[len++] = store_outbox_op_name(entries[i].operation)[0];
    out[len] = '\0';
    free(entries);
}

static int64_t add_lee(struct fixture *fx)
{
    struct contact c;
    struct err err;
    int64_t id;

    contact_init(&c);
    c.workspace_id = fx->ws.id;
    contact_set_text(&c, CONTACT_FIRST_NAME, "Ann");
    contact_set_text(&c, CONTACT_LAST_NAME, "Lee");
    contact_set_text(&c, CONTACT_PHONE, "415 555 2671");
    err_clear(&err);
    /* The callers add the same person many times, some inside a
     * transaction of their own. */
    if (changes_add(fx->store, &c, CHANGES_ADD_ALLOW_DUPLICATE, NULL,
                    &err) < 0)
        fprintf(stderr, "add failed: %s\n", err.msg);
    id = c.id;
    contact_release(&c);
    return id;
}

TEST(validate_names_field_value_limit)
{
    struct contact c;
    struct err err;

    contact_init(&c);
    contact_set_text(&c, CONTACT_LAST_NAME, "Lee");
    CHECK_INT(changes_validate(&c, NULL), 0);

    contact_set_text(&c, CONTACT_CITY,
                     "Llanfairpwllgwyngyllgogerychwyrndrobwl"
                     "llllantysiliogogogoch");
    err_clear(&err);
    CHECK_INT(changes_validate(&c, &err), SYNC_EINVALID);
    CHECK_STR(err.msg, "field 'city' value 'Llanfairpwllgwyngyllgogerychwyrn"
                       "drobwlll...' is 59 characters long; the maximum is "
                       "40");

    /* Quoting cuts between characters and turns a line break into a
     * space. */
    contact_set_text(&c, CONTACT_CITY,
                     "Zürich\nZürich Zürich Zürich Zürich "
                     "Zürich Zürich");
    err_clear(&err);
    CHECK_INT(changes_validate(&c, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "value 'Zürich Zürich Zürich Zürich Zürich Züric...' "
                          "is 48 characters long") != NULL);

    contact_set_text(&c, CONTACT_CITY, "Bad\xc3");
    err_clear(&err);
    CHECK_INT(changes_validate(&c, &err), SYNC_EINVALID);
    CHECK_STR(err.msg, "field 'city' is not valid UTF-8 (bad byte at offset "
                       "3)");
    contact_set_text(&c, CONTACT_CITY, NULL);

    contact_set_text(&c, CONTACT_EMAIL, "ann@");
    err_clear(&err);
    CHECK_INT(changes_validate(&c, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "'ann@' is not a valid email address") != NULL);
    contact_release(&c);
}

TEST(validate_rejects_empty_contact)
{
    static const enum contact_field enough[] = {
        CONTACT_LAST_NAME, CONTACT_COMPANY,      CONTACT_EMAIL,
        CONTACT_PHONE,     CONTACT_MOBILE_PHONE,
    };
    struct contact c;
    struct err err;

    contact_init(&c);
    contact_set_text(&c, CONTACT_FIRST_NAME, "Ann");
    contact_set_text(&c, CONTACT_CITY, "Paris");
    contact_set_flag(&c, CONTACT_DO_NOT_CALL, true);
    err_clear(&err);
    CHECK_INT(changes_validate(&c, &err), SYNC_EINVALID);
    CHECK_STR(err.msg, "a contact needs at least a last name, a company, an "
                       "email or a phone");
    for (size_t i = 0; i < ARRAY_SIZE(enough); i++) {
        struct contact one;

        contact_init(&one);
        contact_copy(&one, &c);
        contact_set_text(&one, enough[i],
                         enough[i] == CONTACT_EMAIL ? "a@example.com" : "1");
        CHECK_INT(changes_validate(&one, NULL), 0);
        contact_release(&one);
    }
    contact_release(&c);
}

TEST(validate_checks_owner)
{
    static const struct {
        const char *owner;
        bool valid;
    } cases[] = {
        {"005000000000001", true},
        {"005000000000001AAA", true},
        {"00G000000000001", true},
        {"Ada Lovelace", false},
        {"003000000000001AAA", false}, /* a Contact */
        {"0050000000000", false},      /* 13 characters */
        {"005000000000001AAB", false}, /* a wrong case suffix */
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct contact c;
        struct err err;

        contact_init(&c);
        contact_set_text(&c, CONTACT_LAST_NAME, "Owned");
        contact_set_text(&c, CONTACT_OWNER, cases[i].owner);
        err_clear(&err);
        CHECK_INT(changes_validate(&c, &err),
                  cases[i].valid ? 0 : SYNC_EINVALID);
        if (!cases[i].valid)
            CHECK(strstr(err.msg, cases[i].owner) != NULL);
        contact_release(&c);
    }
}

TEST(add_queues_create)
{
    struct fixture fx;
    struct contact c;
    struct err err;
    char ops[16];
    int64_t pending;

    fixture_open(&fx);
    contact_init(&c);
    c.workspace_id = fx.ws.id;
    contact_set_text(&c, CONTACT_FIRST_NAME, "Ann");
    err_clear(&err);
    CHECK_INT(changes_add(fx.store, &c, 0, NULL, &err), SYNC_EINVALID);
    outbox_ops(&fx, ops, sizeof(ops));
    CHECK_STR(ops, "");

    contact_set_text(&c, CONTACT_EMAIL, "ann@example.com");
    CHECK_INT(changes_add(fx.store, &c, 0, NULL, &err), 0);
    CHECK(c.id > 0);
    CHECK_INT(c.version, 1);
    outbox_ops(&fx, ops, sizeof(ops));
    CHECK_STR(ops, "c");
    CHECK_INT(changes_pending_count(fx.store, &c, &pending, NULL), 0);
    CHECK_INT(pending, 1);
    contact_release(&c);
    fixture_close(&fx);
}

/* Add a contact with the given last name, email and mobile phone; return
 * changes_add's code and fill dup. */
static int add_named(struct fixture *fx, const char *last_name,
                     const char *email, const char *phone, unsigned flags,
                     struct changes_duplicate *dup, struct err *err)
{
    struct contact c;
    int rc;

    contact_init(&c);
    c.workspace_id = fx->ws.id;
    contact_set_text(&c, CONTACT_LAST_NAME, last_name);
    if (email)
        contact_set_text(&c, CONTACT_EMAIL, email);
    if (phone)
        contact_set_text(&c, CONTACT_MOBILE_PHONE, phone);
    rc = changes_add(fx->store, &c, flags, dup, err);
    contact_release(&c);
    return rc;
}

/* Add a contact with last name Kim; see add_named. */
static int add_kim(struct fixture *fx, const char *email, const char *phone,
                   unsigned flags, struct changes_duplicate *dup,
                   struct err *err)
{
    return add_named(fx, "Kim", email, phone, flags, dup, err);
}

TEST(add_rejects_duplicate)
{
    struct changes_duplicate dup;
    struct contact stored;
    struct fixture fx;
    struct err err;
    char ops[16];
    int64_t id;

    fixture_open(&fx);
    contact_init(&stored);
    id = add_lee(&fx);
    CHECK_INT(add_kim(&fx, "kim@example.com", NULL, 0, &dup, &err), 0);
    CHECK_INT(dup.contact_id, 0);

    /* The email in other letter case. */
    CHECK_INT(add_kim(&fx, "KIM@Example.com", NULL, 0, &dup, &err),
              SYNC_ECONFLICT);
    CHECK_INT(dup.contact_id, id + 1);
    CHECK_INT(dup.field, CONTACT_EMAIL);
    CHECK_STR(err.msg, "field 'email' matches contact 2, which has the same "
                       "email 'KIM@Example.com': change that contact with "
                       "'sfsync contacts update 2 --FIELD VALUE', or give "
                       "--allow-duplicate to add a second contact");

    /* The mobile phone matches Lee's phone by its E.164 form. */
    CHECK_INT(add_named(&fx, "lee", NULL, "(415) 555-2671", 0, &dup, &err),
              SYNC_ECONFLICT);
    CHECK_INT(dup.contact_id, id);
    CHECK_INT(dup.field, CONTACT_MOBILE_PHONE);

    /* Lee has no email, so a contact with an email still matches Lee by
     * phone and last name. */
    CHECK_INT(add_named(&fx, "Lee", "lee@example.com", "+1 415 555 2671", 0,
                        &dup, &err),
              SYNC_ECONFLICT);
    CHECK_INT(dup.contact_id, id);
    outbox_ops(&fx, ops, sizeof(ops));
    CHECK_STR(ops, "cc");

    /* Kim shares Lee's phone (a switchboard) but not the last name, so
     * Kim is another person. */
    CHECK_INT(add_kim(&fx, NULL, "(415) 555-2671", 0, &dup, &err), 0);
    CHECK_INT(dup.contact_id, 0);
    outbox_ops(&fx, ops, sizeof(ops));
    CHECK_STR(ops, "ccc");
    CHECK_INT(add_kim(&fx, "kim@example.com", NULL,
                      CHANGES_ADD_ALLOW_DUPLICATE, &dup, &err),
              0);
    CHECK_INT(dup.contact_id, 0);

    /* An archived contact is no duplicate. */
    CHECK_INT(store_contact_get(fx.store, fx.ws.id, id, &stored, NULL), 0);
    stored.archived = true;
    CHECK_INT(store_contact_update(fx.store, &stored, STORE_ORIGIN_LOCAL,
                                   NULL),
              0);
    CHECK_INT(add_named(&fx, "Lee", NULL, "415 555 2671", 0, &dup, &err),
              0);
    outbox_ops(&fx, ops, sizeof(ops));
    CHECK_STR(ops, "ccccac");
    contact_release(&stored);
    fixture_close(&fx);
}

TEST(update_changes_given_fields_only)
{
    struct contact values, out;
    struct fixture fx;
    uint32_t changed;
    struct err err;
    char ops[16];
    int64_t id, pending;

    fixture_open(&fx);
    contact_init(&values);
    contact_init(&out);
    id = add_lee(&fx);
    contact_set_text(&values, CONTACT_TITLE, "VP");
    contact_set_text(&values, CONTACT_FIRST_NAME, "ignored, not in mask");
    err_clear(&err);
    CHECK_INT(changes_update(fx.store, fx.ws.id, id, &values,
                             CONTACT_FIELD_BIT(CONTACT_TITLE), 0, &out,
                             &changed, &err),
              0);
    CHECK_INT(changed, CONTACT_FIELD_BIT(CONTACT_TITLE));
    CHECK_INT(out.version, 2);
    CHECK_STR(contact_text(&out, CONTACT_TITLE), "VP");
    CHECK_STR(contact_text(&out, CONTACT_FIRST_NAME), "Ann");
    CHECK_STR(out.values[CONTACT_PHONE].e164, "+14155552671");
    outbox_ops(&fx, ops, sizeof(ops));
    CHECK_STR(ops, "cu");

    /* The same values again change nothing and write nothing. */
    CHECK_INT(changes_update(fx.store, fx.ws.id, id, &values,
                             CONTACT_FIELD_BIT(CONTACT_TITLE), 0, &out,
                             &changed, &err),
              0);
    CHECK_INT(changed, 0);
    CHECK_INT(out.version, 2);
    outbox_ops(&fx, ops, sizeof(ops));
    CHECK_STR(ops, "cu");

    /* An empty value clears the field; a bool changes. */
    contact_set_text(&values, CONTACT_FIRST_NAME, NULL);
    contact_set_flag(&values, CONTACT_DO_NOT_CALL, true);
    CHECK_INT(changes_update(fx.store, fx.ws.id, id, &values,
                             CONTACT_FIELD_BIT(CONTACT_FIRST_NAME) |
                                 CONTACT_FIELD_BIT(CONTACT_DO_NOT_CALL),
                             2, &out, &changed, &err),
              0);
    CHECK_INT(changed, CONTACT_FIELD_BIT(CONTACT_FIRST_NAME) |
                           CONTACT_FIELD_BIT(CONTACT_DO_NOT_CALL));
    CHECK(contact_text(&out, CONTACT_FIRST_NAME) == NULL);
    CHECK(out.values[CONTACT_DO_NOT_CALL].flag);
    CHECK_INT(out.version, 3);
    CHECK_INT(changes_pending_count(fx.store, &out, &pending, NULL), 0);
    CHECK_INT(pending, 3);
    contact_release(&out);
    contact_release(&values);
    fixture_close(&fx);
}

TEST(update_rejects_invalid_and_stale)
{
    struct contact values, out;
    struct fixture fx;
    uint32_t changed;
    struct err err;
    char ops[16];
    int64_t id;

    fixture_open(&fx);
    contact_init(&values);
    contact_init(&out);
    id = add_lee(&fx);

    /* Clearing the last name and the phone would leave nothing. */
    err_clear(&err);
    CHECK_INT(changes_update(fx.store, fx.ws.id, id, &values,
                             CONTACT_FIELD_BIT(CONTACT_LAST_NAME) |
                                 CONTACT_FIELD_BIT(CONTACT_PHONE),
                             0, &out, &changed, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "needs at least a last name") != NULL);

    contact_set_text(&values, CONTACT_TITLE, "VP");
    err_clear(&err);
    CHECK_INT(changes_update(fx.store, fx.ws.id, id, &values,
                             CONTACT_FIELD_BIT(CONTACT_TITLE), 7, &out,
                             &changed, &err),
              SYNC_ECONFLICT);
    CHECK_STR(err.msg, "contact 1 changed since version 7 was read (it is at "
                       "version 1); read it again and repeat the change");
    CHECK_INT(changed, 0);

    err_clear(&err);
    CHECK_INT(changes_update(fx.store, fx.ws.id, 99, &values,
                             CONTACT_FIELD_BIT(CONTACT_TITLE), 0, &out,
                             &changed, &err),
              SYNC_ENOTFOUND);
    outbox_ops(&fx, ops, sizeof(ops));
    CHECK_STR(ops, "c");
    contact_release(&out);
    contact_release(&values);
    fixture_close(&fx);
}

TEST(archive_queues_archive_once)
{
    struct store_contact_query q = {.limit = 10};
    struct store_contact_list page = {0};
    struct contact values, out;
    struct fixture fx;
    uint32_t mask;
    bool changed;
    struct err err;
    char ops[16];
    int64_t id;

    fixture_open(&fx);
    contact_init(&values);
    contact_init(&out);
    id = add_lee(&fx);
    err_clear(&err);
    CHECK_INT(changes_archive(fx.store, fx.ws.id, id, 0, &out, &changed, &err),
              0);
    CHECK(changed);
    CHECK(out.archived);
    CHECK_INT(out.version, 2);
    CHECK_INT(changes_archive(fx.store, fx.ws.id, id, 0, &out, &changed, &err),
              0);
    CHECK(!changed);
    CHECK_INT(out.version, 2);
    outbox_ops(&fx, ops, sizeof(ops));
    CHECK_STR(ops, "ca");

    CHECK_INT(store_contact_list(fx.store, fx.ws.id, &q, &page, NULL), 0);
    CHECK_INT(page.total, 0);
    store_contact_list_release(&page);
    q.include_archived = true;
    CHECK_INT(store_contact_list(fx.store, fx.ws.id, &q, &page, NULL), 0);
    CHECK_INT(page.total, 1);
    store_contact_list_release(&page);

    contact_set_text(&values, CONTACT_TITLE, "VP");
    err_clear(&err);
    CHECK_INT(changes_update(fx.store, fx.ws.id, id, &values,
                             CONTACT_FIELD_BIT(CONTACT_TITLE), 0, &out, &mask,
                             &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "is deleted (archived)") != NULL);
    CHECK_INT(changes_archive(fx.store, fx.ws.id, 42, 0, &out, &changed, &err),
              SYNC_ENOTFOUND);
    contact_release(&out);
    contact_release(&values);
    fixture_close(&fx);
}

TEST(pending_count_past_one_page)
{
    struct contact first, last, values;
    struct fixture fx;
    uint32_t changed;
    int64_t pending;

    fixture_open(&fx);
    contact_init(&values);
    contact_init(&first);
    contact_init(&last);
    CHECK_INT(store_begin(fx.store, NULL), 0);
    for (int i = 0; i < STORE_LIST_MAX + 10; i++)
        add_lee(&fx);
    CHECK_INT(store_commit(fx.store, NULL), 0);
    CHECK_INT(store_contact_get(fx.store, fx.ws.id, 1, &first, NULL), 0);
    CHECK_INT(
        store_contact_get(fx.store, fx.ws.id, STORE_LIST_MAX + 10, &last, NULL),
        0);
    /* The last contact's entry is on the second page of the outbox. */
    CHECK_INT(changes_pending_count(fx.store, &first, &pending, NULL), 0);
    CHECK_INT(pending, 1);
    CHECK_INT(changes_pending_count(fx.store, &last, &pending, NULL), 0);
    CHECK_INT(pending, 1);

    /* The first contact's entries then lie on both pages, and its newest
     * change, from Salesforce, has no entry at all. */
    contact_set_text(&values, CONTACT_TITLE, "VP");
    CHECK_INT(changes_update(fx.store, fx.ws.id, first.id, &values,
                             CONTACT_FIELD_BIT(CONTACT_TITLE), 0, &first,
                             &changed, NULL),
              0);
    contact_set_text(&first, CONTACT_CITY, "Oslo");
    CHECK_INT(
        store_contact_update(fx.store, &first, STORE_ORIGIN_SALESFORCE, NULL),
        0);
    CHECK_INT(first.version, 3);
    CHECK_INT(changes_pending_count(fx.store, &first, &pending, NULL), 0);
    CHECK_INT(pending, 2);

    /* Several contacts at once, in any order. */
    {
        struct contact both[2];
        int64_t counts[2] = {-1, -1};

        both[0] = last;
        both[1] = first;
        CHECK_INT(
            changes_pending_counts(fx.store, fx.ws.id, both, 2, counts, NULL),
            0);
        CHECK_INT(counts[0], 1);
        CHECK_INT(counts[1], 2);
    }
    contact_release(&values);
    contact_release(&first);
    contact_release(&last);
    fixture_close(&fx);
}

TEST_MAIN(TEST_ENTRY(validate_names_field_value_limit),
          TEST_ENTRY(validate_rejects_empty_contact),
          TEST_ENTRY(validate_checks_owner),
          TEST_ENTRY(add_queues_create),
          TEST_ENTRY(add_rejects_duplicate),
          TEST_ENTRY(update_changes_given_fields_only),
          TEST_ENTRY(update_rejects_invalid_and_stale),
          TEST_ENTRY(archive_queues_archive_once),
          TEST_ENTRY(pending_count_past_one_page))
