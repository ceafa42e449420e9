/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of the store against real SQLite files in a temporary
 * directory: migrations, file modes, workspaces, contacts, links, cursors,
 * runs, transactions and credentials.
 */
#include "base/common.h"

#include <ctype.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/secret.h"
#include "store/store.h"
#include "test.h"
#include "test_store_target.h"

static const char hex_key[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/* The migrations a new store applies. */
#define SCHEMA_VERSIONS 11

struct fixture {
    struct test_db db;
    const char *path; /* db.target */
    struct store *store;
    struct store_workspace ws;
};

static void fixture_open(struct fixture *fx)
{
    struct err err;

    memset(fx, 0, sizeof(*fx));
    test_db_init(&fx->db, "sfsync-store");
    fx->path = fx->db.target;
    err_clear(&err);
    if (store_open(&fx->store, fx->path, &err) < 0 ||
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

/* Run a query returning one integer on a separate connection. */
static long long query_int(const struct fixture *fx, const char *sql)
{
    return test_db_query_int(&fx->db, sql);
}

/* Run a query returning one text value on a separate connection; the
 * caller frees it. */
static char *query_text(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *value = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        value = xstrdup((const char *)sqlite3_column_text(st, 0));
    else
        fprintf(stderr, "query '%s' failed: %s\n", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return value;
}

/* Run sql on a separate connection: 0, or -1 when it fails. */
static int exec_sql(const struct fixture *fx, const char *sql)
{
    return test_db_exec_sql(&fx->db, sql, true);
}

static int64_t add_contact(struct fixture *fx, int64_t ws, const char *first,
                           const char *last, const char *email,
                           const char *phone)
{
    struct contact c;
    struct err err;
    int64_t id;

    contact_init(&c);
    c.workspace_id = ws;
    contact_set_text(&c, CONTACT_FIRST_NAME, first);
    contact_set_text(&c, CONTACT_LAST_NAME, last);
    contact_set_text(&c, CONTACT_EMAIL, email);
    contact_set_text(&c, CONTACT_PHONE, phone);
    err_clear(&err);
    if (store_contact_insert(fx->store, &c, STORE_ORIGIN_LOCAL, &err) < 0)
        fprintf(stderr, "insert failed: %s\n", err.msg);
    id = c.id;
    contact_release(&c);
    return id;
}

TEST(open_creates_private_wal_file)
{
    struct fixture fx;
    char *wal;
    struct stat st;

    fixture_open(&fx);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM schema_migrations"),
              SCHEMA_VERSIONS);
    if (test_db_is_pg()) {
        CHECK_STR(store_backend_name(fx.store), "postgresql");
        fixture_close(&fx);
        return;
    }
    CHECK_STR(store_backend_name(fx.store), "sqlite");
    CHECK_INT(stat(fx.path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    /* WAL mode is stored in the file, so a second connection reports it. */
    CHECK_INT(query_int(&fx, "SELECT journal_mode = 'wal' FROM "
                                 "pragma_journal_mode"),
              1);
    wal = xasprintf("%s-wal", fx.path);
    CHECK_INT(stat(wal, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    free(wal);
    fixture_close(&fx);
}

TEST(leases_need_postgresql)
{
    struct fixture fx;
    struct store_workspace *list = NULL;
    size_t count = 1;
    int64_t got = -1, ws = -1;
    struct err err;

    fixture_open(&fx);
    if (test_db_is_pg()) {
        /* test_store_pg.c checks the leases of PostgreSQL. */
        fixture_close(&fx);
        return;
    }
    CHECK_INT(store_lease_take(fx.store, 0, "w:1", INT64_MAX, 1, &got, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "needs a PostgreSQL store") != NULL);
    CHECK_INT(got, 0);
    CHECK_INT(store_lease_renew(fx.store, fx.ws.id, "w:1", 1, NULL),
              SYNC_EINVALID);
    CHECK_INT(store_lease_release(fx.store, fx.ws.id, "w:1", 1, NULL),
              SYNC_EINVALID);
    /* Listing workspaces works on both backends. */
    CHECK_INT(store_workspace_list(fx.store, &list, &count, NULL), 0);
    CHECK_INT(count, 1);
    store_workspaces_free(list, count);
    CHECK_INT(store_notify_wait(fx.store, 0, &ws, NULL), SYNC_EINVALID);
    /* The schema has the table all the same, empty. */
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM leases"), 0);
    fixture_close(&fx);
}

TEST(open_again_is_idempotent)
{
    struct fixture fx;
    struct store *again = NULL;
    struct store_workspace ws = {0};
    struct contact c;
    int64_t id;

    fixture_open(&fx);
    id = add_contact(&fx, fx.ws.id, "Ada", "Lovelace", NULL, NULL);
    store_close(fx.store);
    fx.store = NULL;

    CHECK_INT(store_open(&again, fx.path, NULL), 0);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM schema_migrations"),
              SCHEMA_VERSIONS);
    CHECK_INT(store_workspace_get(again, "main", &ws, NULL), 0);
    CHECK_INT(ws.id, fx.ws.id);
    contact_init(&c);
    CHECK_INT(store_contact_get(again, ws.id, id, &c, NULL), 0);
    CHECK_STR(contact_text(&c, CONTACT_LAST_NAME), "Lovelace");
    contact_release(&c);
    store_workspace_release(&ws);
    fx.store = again;
    fixture_close(&fx);
}

TEST(open_rejects_newer_schema)
{
    struct fixture fx;
    struct store *again = NULL;
    struct err err;

    fixture_open(&fx);
    store_close(fx.store);
    fx.store = NULL;
    CHECK_INT(exec_sql(&fx, "INSERT INTO schema_migrations VALUES "
                                "(99, 0)"),
              0);
    err_clear(&err);
    CHECK_INT(store_open(&again, fx.path, &err), SYNC_EDB);
    CHECK(again == NULL);
    CHECK(strstr(err.msg, "schema version 99 is newer") != NULL);
    fixture_close(&fx);
}

TEST(open_postgres_hides_password)
{
    struct store *s = NULL;
    struct err err;

    /* Nothing listens on port 1, so the connection is refused at once. */
    err_clear(&err);
    CHECK_INT(store_open(&s, "postgresql://sfsync:hunter2@127.0.0.1:1/crm",
                         &err),
              SYNC_EDB);
    CHECK(s == NULL);
    CHECK(strstr(err.msg, "cannot connect to PostgreSQL server "
                          "'127.0.0.1:1/crm'") != NULL);
    CHECK(strstr(err.msg, "hunter2") == NULL);
    err_clear(&err);
    CHECK_INT(store_open(&s, "host=127.0.0.1 port=1 password=hunter2 "
                             "dbname=crm",
                         &err),
              SYNC_EDB);
    CHECK(strstr(err.msg, "'127.0.0.1:1/crm'") != NULL);
    CHECK(strstr(err.msg, "hunter2") == NULL);
    err_clear(&err);
    CHECK_INT(store_open(&s, "postgresql://sfsync:hunter2@[::1/crm", &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "not a valid PostgreSQL connection URI") != NULL);
    CHECK(strstr(err.msg, "hunter2") == NULL);
    CHECK_INT(store_open(&s, "", NULL), SYNC_EINVALID);
    {
        char *shown = store_target_display("postgres://u:hunter2@db:6432/x");

        CHECK_STR(shown, "db:6432/x");
        free(shown);
        shown = store_target_display("/var/lib/sfsync.db");
        CHECK_STR(shown, "/var/lib/sfsync.db");
        free(shown);
    }
}

TEST(workspace_get_or_create)
{
    struct fixture fx;
    struct store_workspace again = {0}, other = {0};
    struct err err;

    fixture_open(&fx);
    CHECK_STR(fx.ws.name, "main");
    CHECK_STR(fx.ws.default_region, "US");
    CHECK_INT(store_workspace_get_or_create(fx.store, "main", &again, NULL),
              0);
    CHECK_INT(again.id, fx.ws.id);
    err_clear(&err);
    CHECK_INT(store_workspace_get(fx.store, "nope", &other, &err),
              SYNC_ENOTFOUND);
    CHECK_STR(err.msg, "workspace 'nope' not found");
    CHECK_INT(store_workspace_get_or_create(fx.store, "", &other, NULL),
              SYNC_EINVALID);
    CHECK_INT(store_workspace_set_region(fx.store, fx.ws.id, "gb", NULL), 0);
    CHECK_INT(store_workspace_get(fx.store, "main", &other, NULL), 0);
    CHECK_STR(other.default_region, "GB");
    CHECK_INT(store_workspace_set_region(fx.store, fx.ws.id, "XX", NULL),
              SYNC_EINVALID);
    store_workspace_release(&again);
    store_workspace_release(&other);
    fixture_close(&fx);
}

TEST(settings_get_set_list)
{
    struct fixture fx;
    struct store_workspace b = {0};
    struct store_setting *list = NULL;
    size_t count = 0;
    char *value = NULL;

    fixture_open(&fx);
    CHECK_INT(store_workspace_get_or_create(fx.store, "b", &b, NULL), 0);
    CHECK_INT(store_setting_set(fx.store, fx.ws.id, "direction", "both",
                                NULL),
              0);
    CHECK_INT(store_setting_set(fx.store, fx.ws.id, "enabled", "true", NULL),
              0);
    CHECK_INT(store_setting_set(fx.store, fx.ws.id, "direction",
                                "to-salesforce", NULL),
              0);
    CHECK_INT(store_setting_get(fx.store, fx.ws.id, "direction", &value,
                                NULL),
              0);
    CHECK_STR(value, "to-salesforce");
    free(value);
    CHECK_INT(store_setting_get(fx.store, b.id, "direction", &value, NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_setting_list(fx.store, fx.ws.id, &list, &count, NULL), 0);
    CHECK_INT(count, 2);
    if (count == 2) {
        CHECK_STR(list[0].key, "direction");
        CHECK_STR(list[1].key, "enabled");
    }
    store_settings_free(list, count);
    CHECK_INT(store_setting_delete(fx.store, fx.ws.id, "enabled", NULL), 0);
    CHECK_INT(store_setting_get(fx.store, fx.ws.id, "enabled", &value, NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_setting_set(fx.store, fx.ws.id, "x", NULL, NULL),
              SYNC_EINVALID);
    store_workspace_release(&b);
    fixture_close(&fx);
}

TEST(contact_insert_get_update)
{
    struct fixture fx;
    struct contact c, got, stale;
    struct store_outbox_entry *outbox = NULL;
    size_t count = 0;
    struct err err;

    fixture_open(&fx);
    contact_init(&c);
    contact_init(&got);
    contact_init(&stale);
    c.workspace_id = fx.ws.id;
    contact_set_text(&c, CONTACT_LAST_NAME, "Hopper");
    contact_set_text(&c, CONTACT_PHONE, "(415) 555-2671");
    contact_set_flag(&c, CONTACT_DO_NOT_CALL, true);
    CHECK_INT(store_contact_insert(fx.store, &c, STORE_ORIGIN_LOCAL, NULL),
              0);
    CHECK(c.id > 0);
    CHECK_INT(c.version, 1);
    CHECK(c.created_ms > 0);
    CHECK_STR(c.values[CONTACT_PHONE].e164, "+14155552671");

    CHECK_INT(store_contact_get(fx.store, fx.ws.id, c.id, &got, NULL), 0);
    CHECK_INT(contact_diff(&c, &got), 0);
    CHECK_STR(got.values[CONTACT_PHONE].e164, "+14155552671");
    CHECK(got.values[CONTACT_DO_NOT_CALL].flag);
    CHECK_INT(got.created_ms, c.created_ms);
    contact_copy(&stale, &got);

    contact_set_text(&got, CONTACT_TITLE, "Rear Admiral");
    CHECK_INT(store_contact_update(fx.store, &got, STORE_ORIGIN_LOCAL, NULL),
              0);
    CHECK_INT(got.version, 2);

    /* An update from the version read before is a lost update. */
    contact_set_text(&stale, CONTACT_TITLE, "Commodore");
    err_clear(&err);
    CHECK_INT(store_contact_update(fx.store, &stale, STORE_ORIGIN_LOCAL,
                                   &err),
              SYNC_ECONFLICT);
    CHECK(strstr(err.msg, "changed since version 1") != NULL);
    CHECK_INT(stale.version, 1);

    /* Writing the same values changes nothing. */
    CHECK_INT(store_contact_update(fx.store, &got, STORE_ORIGIN_LOCAL, NULL),
              0);
    CHECK_INT(got.version, 2);

    /* A pulled change bumps the version but queues nothing. */
    contact_set_text(&got, CONTACT_CITY, "Arlington");
    CHECK_INT(store_contact_update(fx.store, &got, STORE_ORIGIN_SALESFORCE,
                                   NULL),
              0);
    CHECK_INT(got.version, 3);
    got.archived = true;
    CHECK_INT(store_contact_update(fx.store, &got, STORE_ORIGIN_LOCAL, NULL),
              0);

    CHECK_INT(store_outbox_pending(fx.store, fx.ws.id, 0, &outbox, &count,
                                   NULL),
              0);
    CHECK_INT(count, 3);
    if (count == 3) {
        CHECK_INT(outbox[0].operation, STORE_OUTBOX_CREATE);
        CHECK_INT(outbox[0].version, 1);
        CHECK_INT(outbox[1].operation, STORE_OUTBOX_UPDATE);
        CHECK_INT(outbox[1].version, 2);
        CHECK_INT(outbox[2].operation, STORE_OUTBOX_ARCHIVE);
        CHECK_INT(outbox[2].version, 4);
    }
    free(outbox);
    CHECK_INT(store_outbox_ack(fx.store, fx.ws.id, c.id, 2, NULL), 0);
    CHECK_INT(store_outbox_pending(fx.store, fx.ws.id, 0, &outbox, &count,
                                   NULL),
              0);
    CHECK_INT(count, 1);
    free(outbox);

    err_clear(&err);
    CHECK_INT(store_contact_get(fx.store, fx.ws.id, 999, &got, &err),
              SYNC_ENOTFOUND);
    CHECK_STR(err.msg, "contact 999 not found");
    contact_release(&c);
    contact_release(&got);
    contact_release(&stale);
    fixture_close(&fx);
}

TEST(contact_validation_blocks_write)
{
    struct fixture fx;
    struct contact c;
    struct err err;
    char long_name[42];

    fixture_open(&fx);
    contact_init(&c);
    c.workspace_id = fx.ws.id;
    memset(long_name, 'x', 41);
    long_name[41] = '\0';
    contact_set_text(&c, CONTACT_FIRST_NAME, long_name);
    err_clear(&err);
    CHECK_INT(store_contact_insert(fx.store, &c, STORE_ORIGIN_LOCAL, &err),
              SYNC_EINVALID);
    CHECK_STR(err.msg,
              "field 'first_name' is 41 characters long; the maximum is 40");
    contact_set_text(&c, CONTACT_FIRST_NAME, "Ok");
    contact_set_text(&c, CONTACT_EMAIL, "not-an-email");
    CHECK_INT(store_contact_insert(fx.store, &c, STORE_ORIGIN_LOCAL, NULL),
              SYNC_EINVALID);
    contact_set_text(&c, CONTACT_EMAIL, NULL);
    contact_set_text(&c, CONTACT_STREET, "Main St \xff");
    CHECK_INT(store_contact_insert(fx.store, &c, STORE_ORIGIN_LOCAL, NULL),
              SYNC_EINVALID);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM contacts"), 0);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM outbox"), 0);

    c.workspace_id = 12345;
    contact_set_text(&c, CONTACT_STREET, NULL);
    CHECK_INT(store_contact_insert(fx.store, &c, STORE_ORIGIN_LOCAL, NULL),
              SYNC_ENOTFOUND);
    contact_release(&c);
    fixture_close(&fx);
}

TEST(workspaces_are_isolated)
{
    struct fixture fx;
    struct store_workspace b = {0};
    struct store_contact_list list = {0};
    struct contact c;
    int64_t ids[4];
    size_t count = 0;
    int64_t id;

    fixture_open(&fx);
    CHECK_INT(store_workspace_get_or_create(fx.store, "b", &b, NULL), 0);
    CHECK(b.id != fx.ws.id);
    id = add_contact(&fx, fx.ws.id, "Alan", "Turing", "alan@example.com",
                     "+44 20 7946 0958");
    CHECK(id > 0);

    contact_init(&c);
    CHECK_INT(store_contact_get(fx.store, b.id, id, &c, NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_contact_list(fx.store, b.id, NULL, &list, NULL), 0);
    CHECK_INT(list.count, 0);
    CHECK_INT(list.total, 0);
    store_contact_list_release(&list);
    CHECK_INT(store_contact_find_unlinked_by_email(
                  fx.store, b.id, "alan@example.com", ids, 4, &count, NULL),
              0);
    CHECK_INT(count, 0);
    CHECK_INT(store_contact_find_unlinked_by_phone(
                  fx.store, b.id, "+442079460958", ids, 4, &count, NULL),
              0);
    CHECK_INT(count, 0);

    /* Updating through the other workspace finds nothing to update. */
    CHECK_INT(store_contact_get(fx.store, fx.ws.id, id, &c, NULL), 0);
    c.workspace_id = b.id;
    contact_set_text(&c, CONTACT_CITY, "Wilmslow");
    CHECK_INT(store_contact_update(fx.store, &c, STORE_ORIGIN_LOCAL, NULL),
              SYNC_ENOTFOUND);

    CHECK_INT(store_contact_list(fx.store, fx.ws.id, NULL, &list, NULL), 0);
    CHECK_INT(list.count, 1);
    store_contact_list_release(&list);
    contact_release(&c);
    store_workspace_release(&b);
    fixture_close(&fx);
}

static size_t count_matches(struct fixture *fx, const char *search)
{
    struct store_contact_query q = {.search = search, .limit = 100};
    struct store_contact_list list = {0};
    size_t total;

    if (store_contact_list(fx->store, fx->ws.id, &q, &list, NULL) < 0)
        return (size_t)-1;
    total = (size_t)list.total;
    store_contact_list_release(&list);
    return total;
}

TEST(contact_search_and_paging)
{
    struct fixture fx;
    struct store_contact_query q = {0};
    struct store_contact_list list = {0};
    struct contact c;
    char first[32], email[64], phone[32];

    fixture_open(&fx);
    for (int i = 0; i < 25; i++) {
        snprintf(first, sizeof(first), "Person%02d", i);
        snprintf(email, sizeof(email), "p%02d@example.com", i);
        snprintf(phone, sizeof(phone), "(212) 555-01%02d", i);
        CHECK(add_contact(&fx, fx.ws.id, first, i % 5 == 0 ? "Smith" : "Doe",
                          email, phone) > 0);
    }
    contact_init(&c);
    c.workspace_id = fx.ws.id;
    contact_set_text(&c, CONTACT_FIRST_NAME, "Grace");
    contact_set_text(&c, CONTACT_LAST_NAME, "Hopper");
    contact_set_text(&c, CONTACT_COMPANY, "100%_Navy");
    contact_set_text(&c, CONTACT_MOBILE_PHONE, "+1 415 555 2671");
    CHECK_INT(store_contact_insert(fx.store, &c, STORE_ORIGIN_LOCAL, NULL),
              0);

    CHECK_INT(count_matches(&fx, "smith"), 5);
    CHECK_INT(count_matches(&fx, "person1"), 10);
    CHECK_INT(count_matches(&fx, "Grace Hopper"), 1);
    CHECK_INT(count_matches(&fx, "p07@example"), 1);
    CHECK_INT(count_matches(&fx, "navy"), 1);
    /* LIKE wildcards in the search are literal characters. */
    CHECK_INT(count_matches(&fx, "100%_"), 1);
    CHECK_INT(count_matches(&fx, "9%"), 0);
    CHECK_INT(count_matches(&fx, "_"), 1);
    /* Phone digits match however the number was written. */
    CHECK_INT(count_matches(&fx, "415-555"), 1);
    CHECK_INT(count_matches(&fx, "(212) 555-0107"), 1);
    CHECK_INT(count_matches(&fx, "+12125550107"), 1);
    CHECK_INT(count_matches(&fx, "2125550"), 25);
    CHECK_INT(count_matches(&fx, "nobody"), 0);
    CHECK_INT(count_matches(&fx, NULL), 26);

    q.limit = 10;
    q.offset = 20;
    CHECK_INT(store_contact_list(fx.store, fx.ws.id, &q, &list, NULL), 0);
    CHECK_INT(list.total, 26);
    CHECK_INT(list.count, 6);
    if (list.count == 6) {
        CHECK_STR(contact_text(&list.items[0], CONTACT_FIRST_NAME),
                  "Person20");
        CHECK(list.items[0].id < list.items[1].id);
    }
    store_contact_list_release(&list);

    /* Archived contacts are left out unless asked for. */
    c.archived = true;
    CHECK_INT(store_contact_update(fx.store, &c, STORE_ORIGIN_LOCAL, NULL),
              0);
    CHECK_INT(count_matches(&fx, "Hopper"), 0);
    q.search = "Hopper";
    q.offset = 0;
    q.include_archived = true;
    CHECK_INT(store_contact_list(fx.store, fx.ws.id, &q, &list, NULL), 0);
    CHECK_INT(list.count, 1);
    store_contact_list_release(&list);
    contact_release(&c);
    fixture_close(&fx);
}

static void link_init_to(struct store_link *link, int64_t ws,
                         int64_t contact_id, enum sf_object object,
                         const char *sf_id)
{
    store_link_init(link);
    link->workspace_id = ws;
    link->contact_id = contact_id;
    link->object = object;
    snprintf(link->sf_id, sizeof(link->sf_id), "%s", sf_id);
}

TEST(find_unlinked_matches)
{
    struct fixture fx;
    struct store_link link;
    int64_t ids[2];
    size_t count = 0;
    int64_t a, b;

    fixture_open(&fx);
    a = add_contact(&fx, fx.ws.id, "A", "One", "Shared@Example.com",
                    "(415) 555-2671");
    b = add_contact(&fx, fx.ws.id, "B", "Two", "shared@example.com",
                    "415.555.2672");
    CHECK_INT(store_contact_find_unlinked_by_phone(
                  fx.store, fx.ws.id, "+14155552671", ids, 2, &count, NULL),
              0);
    CHECK_INT(count, 1);
    CHECK_INT(ids[0], a);
    CHECK_INT(store_contact_find_unlinked_by_email(
                  fx.store, fx.ws.id, "SHARED@example.COM", ids, 2, &count,
                  NULL),
              0);
    CHECK_INT(count, 2);

    link_init_to(&link, fx.ws.id, b, SF_OBJECT_CONTACT, "0035500001H9cakAAB");
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), 0);
    CHECK_INT(store_contact_find_unlinked_by_email(
                  fx.store, fx.ws.id, "shared@example.com", ids, 2, &count,
                  NULL),
              0);
    CHECK_INT(count, 1);
    CHECK_INT(ids[0], a);
    CHECK_INT(store_contact_find_unlinked_by_phone(
                  fx.store, fx.ws.id, "4155552671", ids, 2, &count, NULL),
              SYNC_EINVALID);
    fixture_close(&fx);
}

/* The contact indexes that store_contact_indexes_drop_if_empty drops. */
#define CONTACT_INDEXES_SQL                                                  \
    "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "  \
    "('contacts_by_phone', 'contacts_by_mobile_phone', 'contacts_by_email')"

TEST(contact_indexes_dropped_when_empty)
{
    struct fixture fx;
    bool dropped = true;
    int64_t ids[2];
    size_t count = 0;
    int64_t a;

    fixture_open(&fx);
    CHECK_INT(store_contact_indexes_drop_if_empty(fx.store, &dropped, NULL),
              0);
    /* PostgreSQL keeps its indexes. */
    CHECK(dropped == !test_db_is_pg());
    if (!test_db_is_pg())
        CHECK_INT(query_int(&fx, CONTACT_INDEXES_SQL), 0);

    /* Lookups scan the contacts while the indexes are gone. */
    a = add_contact(&fx, fx.ws.id, "A", "One", "one@example.com",
                    "(415) 555-2671");
    CHECK_INT(store_contact_find_unlinked_by_phone(
                  fx.store, fx.ws.id, "+14155552671", ids, 2, &count, NULL),
              0);
    CHECK_INT(count, 1);
    CHECK_INT(ids[0], a);
    CHECK_INT(store_contact_find_unlinked_by_email(
                  fx.store, fx.ws.id, "ONE@example.com", ids, 2, &count,
                  NULL),
              0);
    CHECK_INT(count, 1);

    CHECK_INT(store_contact_indexes_build(fx.store, NULL), 0);
    if (!test_db_is_pg())
        CHECK_INT(query_int(&fx, CONTACT_INDEXES_SQL), 3);
    /* Building again changes nothing. */
    CHECK_INT(store_contact_indexes_build(fx.store, NULL), 0);

    /* A store with a contact keeps them. */
    CHECK_INT(store_contact_indexes_drop_if_empty(fx.store, &dropped, NULL),
              0);
    CHECK(!dropped);
    if (!test_db_is_pg())
        CHECK_INT(query_int(&fx, CONTACT_INDEXES_SQL), 3);
    fixture_close(&fx);
}

TEST(link_base_text_is_sorted_compact_json)
{
    /* Characters that JSON escapes, UTF-8 that it keeps, a slash, a
     * null and both booleans, with keys out of order. */
    static const char tricky[] = "a\"b\\c/d\b\f\n\r\t\x01\x1f\x7f"
                                 "\xc3\xa9\xe2\x80\xa8\xf0\x9f\x93\x9e";
    struct fixture fx;
    struct store_link link;
    char *text, *want;
    int64_t a;

    fixture_open(&fx);
    if (test_db_is_pg()) {
        /* The text is read back with SQLite's own API. */
        fixture_close(&fx);
        return;
    }
    a = add_contact(&fx, fx.ws.id, "Ada", "Lovelace", NULL, NULL);
    link_init_to(&link, fx.ws.id, a, SF_OBJECT_CONTACT, "0035500001H9cakAAB");
    link.base = json_pack("{s:s, s:b, s:n, s:s, s:b, s:s}", "title", tricky,
                          "do_not_call", 1, "email", "last_name", "L\xc3\xb6w",
                          "email_opt_out", 0, "first_name", "");
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), 0);
    text = query_text(fx.path, "SELECT base_json FROM links");
    want = json_dumps(link.base, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK(text != NULL);
    CHECK_STR(text, want);
    free(text);
    free(want);

    /* A base with a number, which contact_fields_to_json never writes,
     * is stored the same way. */
    json_object_set_new(link.base, "count", json_integer(3));
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), 0);
    text = query_text(fx.path, "SELECT base_json FROM links");
    want = json_dumps(link.base, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK_STR(text, want);
    free(text);
    free(want);
    store_link_release(&link);
    fixture_close(&fx);
}

TEST(link_upsert_and_base)
{
    struct fixture fx;
    struct store_link link, got;
    struct err err;
    int64_t a;

    fixture_open(&fx);
    a = add_contact(&fx, fx.ws.id, "Ada", "Lovelace", NULL, NULL);
    link_init_to(&link, fx.ws.id, a, SF_OBJECT_LEAD, "00Q4W00001WGXdD");
    link.base = json_pack("{s:s, s:b}", "last_name", "Lovelace",
                          "do_not_call", 0);
    link.system_modstamp_ms = 1700000000000;
    link.last_modified_ms = 1699999999000;
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), 0);

    store_link_init(&got);
    CHECK_INT(store_link_get(fx.store, fx.ws.id, a, &got, NULL), 0);
    /* A 15-character id is stored in its 18-character form. */
    CHECK_STR(got.sf_id, "00Q4W00001WGXdDUAX");
    CHECK_INT(got.object, SF_OBJECT_LEAD);
    CHECK(json_equal(got.base, link.base));
    CHECK_INT(got.system_modstamp_ms, 1700000000000);
    CHECK_INT(got.last_modified_ms, 1699999999000);
    CHECK(got.updated_ms > 0);

    /* Converting the Lead relinks the contact to its new Contact. */
    snprintf(link.sf_id, sizeof(link.sf_id), "0035500001H9cakAAB");
    link.object = SF_OBJECT_CONTACT;
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), 0);
    CHECK_INT(store_link_find(fx.store, fx.ws.id, "00Q4W00001WGXdDUAX", &got,
                              NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_link_find(fx.store, fx.ws.id, "0035500001H9cak", &got,
                              NULL),
              0);
    CHECK_INT(got.contact_id, a);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM links"), 1);

    err_clear(&err);
    snprintf(link.sf_id, sizeof(link.sf_id), "00Q4W00001WGXdDUAX");
    CHECK_INT(store_link_upsert(fx.store, &link, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "is not a Contact id") != NULL);
    snprintf(link.sf_id, sizeof(link.sf_id), "003-bad");
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), SYNC_EINVALID);
    link.contact_id = 999;
    snprintf(link.sf_id, sizeof(link.sf_id), "0035500001H9cakAAB");
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), SYNC_ENOTFOUND);

    CHECK_INT(store_link_delete(fx.store, fx.ws.id, a, NULL), 0);
    CHECK_INT(store_link_get(fx.store, fx.ws.id, a, &got, NULL),
              SYNC_ENOTFOUND);
    store_link_release(&got);
    store_link_release(&link);
    fixture_close(&fx);
}

TEST(link_ids_are_case_sensitive)
{
    struct fixture fx;
    struct store_link link, got;
    struct store_workspace b = {0};
    struct err err;
    int64_t upper, lower, third, other_ws;

    fixture_open(&fx);
    CHECK_INT(store_workspace_get_or_create(fx.store, "b", &b, NULL), 0);
    upper = add_contact(&fx, fx.ws.id, "Upper", "Case", NULL, NULL);
    lower = add_contact(&fx, fx.ws.id, "Lower", "Case", NULL, NULL);
    third = add_contact(&fx, fx.ws.id, "Third", "Case", NULL, NULL);
    other_ws = add_contact(&fx, b.id, "Other", "Workspace", NULL, NULL);

    /* Two records whose 15-character ids differ only in letter case. */
    link_init_to(&link, fx.ws.id, upper, SF_OBJECT_CONTACT, "003000000000AAA");
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), 0);
    link_init_to(&link, fx.ws.id, lower, SF_OBJECT_CONTACT, "003000000000aaa");
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), 0);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM links"), 2);

    store_link_init(&got);
    CHECK_INT(store_link_find(fx.store, fx.ws.id, "003000000000AAA", &got,
                              NULL),
              0);
    CHECK_INT(got.contact_id, upper);
    CHECK_INT(store_link_find(fx.store, fx.ws.id, "003000000000aaa", &got,
                              NULL),
              0);
    CHECK_INT(got.contact_id, lower);
    /* The 18-character form finds the same record in any case. */
    CHECK_INT(store_link_get(fx.store, fx.ws.id, upper, &got, NULL), 0);
    {
        char folded[SFID_SIZE];

        for (int i = 0; i < 18; i++)
            folded[i] = (char)tolower((unsigned char)got.sf_id[i]);
        folded[18] = '\0';
        CHECK_INT(store_link_find(fx.store, fx.ws.id, folded, &got, NULL), 0);
        CHECK_INT(got.contact_id, upper);
    }

    /* One record cannot be linked to two contacts of a workspace... */
    link_init_to(&link, fx.ws.id, third, SF_OBJECT_CONTACT, "003000000000AAA");
    err_clear(&err);
    CHECK_INT(store_link_upsert(fx.store, &link, &err), SYNC_ECONFLICT);
    CHECK(strstr(err.msg, "is already linked to contact") != NULL);
    /* ...and the unique index rejects it even in a direct write. */
    CHECK(exec_sql(&fx, "UPDATE links SET sf_id = (SELECT sf_id FROM "
                            "links ORDER BY contact_id LIMIT 1)") !=
          0);
    /* Another workspace may link the same id. */
    link_init_to(&link, b.id, other_ws, SF_OBJECT_CONTACT, "003000000000AAA");
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), 0);
    /* A contact of another workspace cannot be linked here. */
    link_init_to(&link, fx.ws.id, other_ws, SF_OBJECT_CONTACT,
                 "003000000000BBB");
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), SYNC_ENOTFOUND);
    store_link_release(&got);
    store_workspace_release(&b);
    fixture_close(&fx);
}

TEST(transaction_rollback_leaves_nothing)
{
    struct fixture fx;
    struct store_cursor cursor = {0}, got;
    struct store_link link;
    struct err err;
    int64_t id;

    fixture_open(&fx);
    CHECK_INT(store_begin(fx.store, NULL), 0);
    err_clear(&err);
    CHECK_INT(store_begin(fx.store, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "already open") != NULL);
    id = add_contact(&fx, fx.ws.id, "Temp", "One", NULL, NULL);
    CHECK(id > 0);
    CHECK(add_contact(&fx, fx.ws.id, "Temp", "Two", NULL, NULL) > 0);
    link_init_to(&link, fx.ws.id, id, SF_OBJECT_CONTACT, "0035500001H9cakAAB");
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), 0);
    cursor.modstamp_ms = 1700000000000;
    snprintf(cursor.last_id, sizeof(cursor.last_id), "0035500001H9cakAAB");
    CHECK_INT(store_cursor_set(fx.store, fx.ws.id, SF_OBJECT_CONTACT, &cursor,
                               NULL),
              0);
    CHECK_INT(store_rollback(fx.store, NULL), 0);
    CHECK_INT(store_rollback(fx.store, NULL), SYNC_EINVALID);

    CHECK_INT(query_int(&fx, "SELECT count(*) FROM contacts"), 0);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM links"), 0);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM outbox"), 0);
    CHECK_INT(store_cursor_get(fx.store, fx.ws.id, SF_OBJECT_CONTACT, &got,
                               NULL),
              0);
    CHECK_INT(got.modstamp_ms, 0);
    CHECK_STR(got.last_id, "");

    /* The same steps committed are all there. */
    CHECK_INT(store_begin(fx.store, NULL), 0);
    CHECK(add_contact(&fx, fx.ws.id, "Kept", "One", NULL, NULL) > 0);
    CHECK_INT(store_cursor_set(fx.store, fx.ws.id, SF_OBJECT_CONTACT, &cursor,
                               NULL),
              0);
    CHECK_INT(store_commit(fx.store, NULL), 0);
    CHECK_INT(store_commit(fx.store, NULL), SYNC_EINVALID);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM contacts"), 1);
    CHECK_INT(store_cursor_get(fx.store, fx.ws.id, SF_OBJECT_CONTACT, &got,
                               NULL),
              0);
    CHECK_INT(got.modstamp_ms, 1700000000000);
    CHECK_STR(got.last_id, "0035500001H9cakAAB");
    CHECK_INT(store_cursor_get(fx.store, fx.ws.id, SF_OBJECT_LEAD, &got,
                               NULL),
              0);
    CHECK_INT(got.modstamp_ms, 0);
    fixture_close(&fx);
}

TEST(failed_step_inside_transaction)
{
    struct fixture fx;
    struct contact c;

    fixture_open(&fx);
    CHECK_INT(store_begin(fx.store, NULL), 0);
    CHECK(add_contact(&fx, fx.ws.id, "Before", "Error", NULL, NULL) > 0);
    /* A failed write inside the transaction undoes only itself. */
    contact_init(&c);
    c.workspace_id = fx.ws.id;
    c.id = 4242;
    contact_set_text(&c, CONTACT_LAST_NAME, "Missing");
    CHECK_INT(store_contact_update(fx.store, &c, STORE_ORIGIN_LOCAL, NULL),
              SYNC_ENOTFOUND);
    CHECK(add_contact(&fx, fx.ws.id, "After", "Error", NULL, NULL) > 0);
    CHECK_INT(store_commit(fx.store, NULL), 0);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM contacts"), 2);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM outbox"), 2);
    contact_release(&c);
    fixture_close(&fx);
}

TEST(runs_paged_deleted_and_pruned)
{
    struct fixture fx;
    struct store_conflict conflict = {0}, *conflicts = NULL;
    struct store_run *runs = NULL;
    size_t count = 0, pruned = 0;
    int64_t ids[4], contact;

    fixture_open(&fx);
    for (int i = 0; i < 4; i++)
        CHECK_INT(store_run_begin(fx.store, fx.ws.id, i % 2 ? "pull" : "sync",
                                  -1, &ids[i], NULL),
                  0);
    for (int i = 0; i < 3; i++)
        CHECK_INT(store_run_finish(fx.store, fx.ws.id, ids[i], "ok", NULL,
                                   NULL, NULL, NULL),
                  0);

    CHECK_INT(store_run_list_page(fx.store, fx.ws.id, "sync", 0, 10, &runs,
                                  &count, NULL),
              0);
    CHECK_INT(count, 2);
    if (count == 2) {
        CHECK_INT(runs[0].id, ids[2]);
        CHECK_INT(runs[1].id, ids[0]);
    }
    store_runs_free(runs, count);
    CHECK_INT(store_run_list_page(fx.store, fx.ws.id, NULL, 1, 2, &runs,
                                  &count, NULL),
              0);
    CHECK_INT(count, 2);
    if (count == 2) {
        CHECK_INT(runs[0].id, ids[2]);
        CHECK_INT(runs[1].id, ids[1]);
    }
    store_runs_free(runs, count);

    /* A conflict of a deleted run stays, without its run. */
    contact = add_contact(&fx, fx.ws.id, "Con", "Flict", NULL, NULL);
    conflict.workspace_id = fx.ws.id;
    conflict.run_id = ids[0];
    conflict.contact_id = contact;
    conflict.object = SF_OBJECT_CONTACT;
    conflict.field = "title";
    conflict.winner = "local";
    conflict.policy = "newest";
    CHECK_INT(store_conflict_add(fx.store, &conflict, NULL), 0);
    CHECK_INT(store_run_delete(fx.store, fx.ws.id, ids[0], NULL), 0);
    CHECK_INT(store_run_get(fx.store, fx.ws.id, ids[0], &(struct store_run){0},
                            NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_conflict_list(fx.store, fx.ws.id, 0, 10, &conflicts,
                                  &count, NULL),
              0);
    CHECK_INT(count, 1);
    if (count == 1)
        CHECK_INT(conflicts[0].run_id, 0);
    store_conflicts_free(conflicts, count);

    /* A running run is never deleted or pruned. */
    CHECK_INT(store_run_delete(fx.store, fx.ws.id, ids[3], NULL), 0);
    CHECK_INT(store_run_prune(fx.store, fx.ws.id, INT64_MAX, &pruned, NULL),
              0);
    CHECK_INT(pruned, 2);
    CHECK_INT(store_run_list(fx.store, fx.ws.id, 10, &runs, &count, NULL), 0);
    CHECK_INT(count, 1);
    if (count == 1)
        CHECK_INT(runs[0].id, ids[3]);
    store_runs_free(runs, count);
    CHECK_INT(store_run_prune(fx.store, fx.ws.id, 1, &pruned, NULL), 0);
    CHECK_INT(pruned, 0);
    fixture_close(&fx);
}

TEST(runs_and_sync_errors)
{
    struct fixture fx;
    struct store_run_counts counts = {.created = 3, .updated = 2,
                                      .unchanged = 10, .skipped = 1,
                                      .errors = 1, .api_calls = 4};
    struct store_run run, *runs = NULL;
    struct store_sync_error e = {0}, *errors = NULL;
    size_t count = 0;
    int64_t first, second, contact;

    fixture_open(&fx);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "pull", SF_OBJECT_LEAD,
                              &first, NULL),
              0);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "push", -1, &second, NULL),
              0);
    CHECK_INT(store_run_get(fx.store, fx.ws.id, first, &run, NULL), 0);
    CHECK_STR(run.status, "running");
    CHECK_INT(run.finished_ms, 0);
    CHECK_INT(run.object, SF_OBJECT_LEAD);
    store_run_release(&run);
    CHECK_INT(store_run_finish(fx.store, fx.ws.id, first, "ok", &counts,
                               "pulled one page", NULL, NULL),
              0);
    CHECK_INT(store_run_get(fx.store, fx.ws.id, first, &run, NULL), 0);
    CHECK_STR(run.status, "ok");
    CHECK(run.finished_ms >= run.started_ms);
    CHECK_INT(run.counts.unchanged, 10);
    CHECK_INT(run.counts.api_calls, 4);
    CHECK_STR(run.message, "pulled one page");
    store_run_release(&run);
    CHECK_INT(store_run_finish(fx.store, fx.ws.id + 1, second, "ok", NULL,
                               NULL, NULL, NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_run_list(fx.store, fx.ws.id, 10, &runs, &count, NULL), 0);
    CHECK_INT(count, 2);
    if (count == 2) {
        CHECK_INT(runs[0].id, second);
        CHECK_INT(runs[0].object, -1);
    }
    store_runs_free(runs, count);

    contact = add_contact(&fx, fx.ws.id, "Err", "Or", NULL, NULL);
    e.workspace_id = fx.ws.id;
    e.contact_id = contact;
    e.object = SF_OBJECT_CONTACT;
    snprintf(e.sf_id, sizeof(e.sf_id), "0035500001H9cak");
    e.code = "REQUIRED_FIELD_MISSING";
    e.message = "Required fields are missing: [LastName]";
    CHECK_INT(store_sync_error_add(fx.store, &e, NULL), 0);
    e.contact_id = 0;
    e.sf_id[0] = '\0';
    e.object = -1;
    e.code = "REQUEST_LIMIT_EXCEEDED";
    e.retryable = true;
    CHECK_INT(store_sync_error_add(fx.store, &e, NULL), 0);
    CHECK_INT(store_sync_error_list(fx.store, fx.ws.id, 0, 10, &errors,
                                    &count, NULL),
              0);
    CHECK_INT(count, 2);
    if (count == 2) {
        CHECK_STR(errors[0].code, "REQUEST_LIMIT_EXCEEDED");
        CHECK(errors[0].retryable);
        CHECK_STR(errors[1].sf_id, "0035500001H9cakAAB");
        CHECK_INT(errors[1].contact_id, contact);
    }
    store_sync_errors_free(errors, count);
    CHECK_INT(store_sync_error_clear(fx.store, fx.ws.id, contact, NULL), 0);
    CHECK_INT(store_sync_error_list(fx.store, fx.ws.id, contact, 10, &errors,
                                    &count, NULL),
              0);
    CHECK_INT(count, 0);
    store_sync_errors_free(errors, count);
    fixture_close(&fx);
}

TEST(run_error_code_round_trip)
{
    struct fixture fx;
    struct store_run run, *runs = NULL;
    size_t count = 0;
    int64_t failed, ok, stopped;
    struct err err;

    fixture_open(&fx);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "pull", SF_OBJECT_CONTACT,
                              &failed, NULL),
              0);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "sync", -1, &ok, NULL), 0);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "sync", -1, &stopped,
                              NULL),
              0);
    CHECK_INT(store_run_get(fx.store, fx.ws.id, failed, &run, NULL), 0);
    CHECK(run.error_code == NULL);
    store_run_release(&run);

    CHECK_INT(store_run_finish(fx.store, fx.ws.id, failed, "failed", NULL,
                               "token refresh failed", "auth", NULL),
              0);
    CHECK_INT(store_run_finish(fx.store, fx.ws.id, ok, "ok", NULL, NULL,
                               NULL, NULL),
              0);
    CHECK_INT(store_run_finish(fx.store, fx.ws.id, stopped, "stopped", NULL,
                               "stopped at the API budget", "budget", NULL),
              0);
    CHECK_INT(store_run_get(fx.store, fx.ws.id, failed, &run, NULL), 0);
    CHECK_STR(run.status, "failed");
    CHECK_STR(run.error_code, "auth");
    CHECK_STR(run.message, "token refresh failed");
    store_run_release(&run);
    CHECK_INT(store_run_get(fx.store, fx.ws.id, ok, &run, NULL), 0);
    CHECK(run.error_code == NULL);
    store_run_release(&run);

    /* Both list calls read the column too. */
    CHECK_INT(store_run_list(fx.store, fx.ws.id, 10, &runs, &count, NULL), 0);
    CHECK_INT(count, 3);
    if (count == 3) {
        CHECK_STR(runs[0].error_code, "budget");
        CHECK(runs[1].error_code == NULL);
        CHECK_STR(runs[2].error_code, "auth");
    }
    store_runs_free(runs, count);
    CHECK_INT(store_run_list_page(fx.store, fx.ws.id, "pull", 0, 10, &runs,
                                  &count, NULL),
              0);
    CHECK_INT(count, 1);
    if (count == 1)
        CHECK_STR(runs[0].error_code, "auth");
    store_runs_free(runs, count);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM runs "
                             "WHERE error_code IS NULL"),
              1);

    /* An empty code is rejected; NULL is the way to record none. */
    err_clear(&err);
    CHECK_INT(store_run_finish(fx.store, fx.ws.id, ok, "failed", NULL, NULL,
                               "", &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "run error code is empty") != NULL);
    fixture_close(&fx);
}

/*
 * A store written before schema version 11, made here by dropping the
 * column and the version row, gets the error_code column when it is
 * opened, and its runs keep NULL.
 */
TEST(run_error_code_migrates_old_store)
{
    struct fixture fx;
    struct store *again = NULL;
    struct store_run run;
    int64_t old_run, new_run;

    fixture_open(&fx);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "sync", -1, &old_run, NULL),
              0);
    store_close(fx.store);
    fx.store = NULL;
    CHECK_INT(exec_sql(&fx, "ALTER TABLE runs DROP COLUMN error_code"), 0);
    CHECK_INT(exec_sql(&fx, "DELETE FROM schema_migrations "
                            "WHERE version = 11"),
              0);
    CHECK_INT(exec_sql(&fx, "UPDATE runs SET status = 'failed', "
                            "finished_ms = started_ms, message = 'run "
                            "''sfsync connect'' again'"),
              0);
    CHECK_INT(query_int(&fx, "SELECT max(version) FROM schema_migrations"),
              10);

    CHECK_INT(store_open(&again, fx.path, NULL), 0);
    fx.store = again;
    CHECK_INT(query_int(&fx, "SELECT max(version) FROM schema_migrations"),
              SCHEMA_VERSIONS);
    CHECK_INT(store_run_get(fx.store, fx.ws.id, old_run, &run, NULL), 0);
    CHECK_STR(run.status, "failed");
    CHECK_STR(run.message, "run 'sfsync connect' again");
    CHECK(run.error_code == NULL);
    store_run_release(&run);

    /* New runs of the migrated store record their code. */
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "sync", -1, &new_run, NULL),
              0);
    CHECK_INT(store_run_finish(fx.store, fx.ws.id, new_run, "failed", NULL,
                               "connection refused", "network", NULL),
              0);
    CHECK_INT(store_run_get(fx.store, fx.ws.id, new_run, &run, NULL), 0);
    CHECK_STR(run.error_code, "network");
    store_run_release(&run);
    fixture_close(&fx);
}

TEST(sync_error_retry_marks_one)
{
    struct fixture fx;
    struct store_sync_error e = {0}, got = {0}, *errors = NULL;
    struct store_workspace b = {0};
    size_t count = 0;
    int64_t contact;

    fixture_open(&fx);
    CHECK_INT(store_workspace_get_or_create(fx.store, "b", &b, NULL), 0);
    contact = add_contact(&fx, fx.ws.id, "Err", "Or", NULL, NULL);
    e.workspace_id = fx.ws.id;
    e.contact_id = contact;
    e.object = SF_OBJECT_LEAD;
    e.code = "INVALID_CROSS_REFERENCE_KEY";
    e.message = "invalid cross reference id";
    e.version = 2;
    CHECK_INT(store_sync_error_add(fx.store, &e, NULL), 0);
    e.code = "FIELD_CUSTOM_VALIDATION_EXCEPTION";
    CHECK_INT(store_sync_error_add(fx.store, &e, NULL), 0);
    CHECK_INT(store_sync_error_list(fx.store, fx.ws.id, 0, 10, &errors,
                                    &count, NULL),
              0);
    CHECK_INT(count, 2);
    if (count == 2) {
        /* The older one only. */
        CHECK_INT(store_sync_error_retry(fx.store, fx.ws.id, errors[1].id,
                                         &got, NULL),
                  0);
        CHECK_INT(got.id, errors[1].id);
        CHECK_INT(got.contact_id, contact);
        CHECK_INT(got.object, SF_OBJECT_LEAD);
        CHECK_STR(got.code, "INVALID_CROSS_REFERENCE_KEY");
        CHECK_INT(got.version, 2);
        CHECK(got.retryable);
        free(got.code);
        free(got.message);
        /* Another workspace's id is not found. */
        CHECK_INT(store_sync_error_retry(fx.store, b.id, errors[0].id, NULL,
                                         NULL),
                  SYNC_ENOTFOUND);
    }
    store_sync_errors_free(errors, count);
    CHECK_INT(store_sync_error_list(fx.store, fx.ws.id, 0, 10, &errors,
                                    &count, NULL),
              0);
    CHECK_INT(count, 2);
    if (count == 2) {
        CHECK(!errors[0].retryable);
        CHECK(errors[1].retryable);
        /* Marking a retryable error again succeeds. */
        CHECK_INT(store_sync_error_retry(fx.store, fx.ws.id, errors[1].id,
                                         NULL, NULL),
                  0);
    }
    store_sync_errors_free(errors, count);
    CHECK_INT(store_sync_error_retry(fx.store, fx.ws.id, 999999, NULL, NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_sync_error_retry(fx.store, fx.ws.id, 0, NULL, NULL),
              SYNC_ENOTFOUND);
    store_workspace_release(&b);
    fixture_close(&fx);
}

TEST(database_error_becomes_edb)
{
    struct fixture fx;
    struct err err;
    int64_t id;

    fixture_open(&fx);
    /* PostgreSQL keeps the foreign key of conflicts.run_id unless the drop
     * cascades. */
    CHECK_INT(exec_sql(&fx, test_db_is_pg() ? "DROP TABLE runs CASCADE"
                                            : "DROP TABLE runs"),
              0);
    err_clear(&err);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "pull", -1, &id, &err),
              SYNC_EDB);
    CHECK_STR(err.msg, test_db_is_pg()
                           ? "begin run failed: relation \"runs\" does not "
                             "exist"
                           : "begin run failed: no such table: runs");
    fixture_close(&fx);
}

TEST(credentials_round_trip)
{
    struct fixture fx;
    struct store_workspace b = {0};
    char *secret = NULL;
    struct err err;

    setenv(SECRET_KEY_ENV, hex_key, 1);
    fixture_open(&fx);
    CHECK_INT(store_workspace_get_or_create(fx.store, "b", &b, NULL), 0);
    CHECK_INT(store_credential_put(fx.store, fx.ws.id, "refresh_token",
                                   "5Aep861TSESvWeug_xvFHRBTTbf", NULL),
              0);
    CHECK_INT(store_credential_get(fx.store, fx.ws.id, "refresh_token",
                                   &secret, NULL),
              0);
    CHECK_STR(secret, "5Aep861TSESvWeug_xvFHRBTTbf");
    free_secret(secret);
    CHECK_INT(store_credential_get(fx.store, b.id, "refresh_token", &secret,
                                   NULL),
              SYNC_ENOTFOUND);
    /* The plaintext is not in the file. */
    CHECK_INT(query_int(&fx, test_db_is_pg()
                                 ? "SELECT count(*) FROM credentials WHERE "
                                   "position('TSESvWeug'::bytea IN "
                                   "ciphertext) > 0"
                                 : "SELECT count(*) FROM credentials WHERE "
                                   "instr(ciphertext, 'TSESvWeug') > 0"),
              0);
    CHECK_INT(query_int(&fx, "SELECT count(*) FROM credentials"), 1);
    /* The variable was set, so no key file was made. */
    {
        char *key_path = xstrdup(fx.db.key_path);

        CHECK(access(key_path, F_OK) != 0);
        free(key_path);
    }
    store_close(fx.store);

    /* A different key cannot read what the first one wrote. */
    setenv(SECRET_KEY_ENV,
           "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
           1);
    CHECK_INT(store_open(&fx.store, fx.path, NULL), 0);
    err_clear(&err);
    CHECK_INT(store_credential_get(fx.store, fx.ws.id, "refresh_token",
                                   &secret, &err),
              SYNC_EINVALID);
    CHECK(secret == NULL);
    CHECK(strstr(err.msg, "cannot decrypt stored credentials: the secret key "
                          "changed") != NULL);
    CHECK_INT(store_credential_delete(fx.store, fx.ws.id, "refresh_token",
                                      NULL),
              0);
    CHECK_INT(store_credential_get(fx.store, fx.ws.id, "refresh_token",
                                   &secret, NULL),
              SYNC_ENOTFOUND);
    unsetenv(SECRET_KEY_ENV);
    store_workspace_release(&b);
    fixture_close(&fx);
}

TEST(credentials_use_key_file)
{
    struct fixture fx;
    char *key_path, *secret = NULL;
    struct stat st;
    struct err err;

    unsetenv(SECRET_KEY_ENV);
    fixture_open(&fx);
    key_path = xstrdup(fx.db.key_path);
    /* Opening the store alone makes no key file. */
    CHECK(access(key_path, F_OK) != 0);
    CHECK_INT(store_credential_put(fx.store, fx.ws.id, "client_secret",
                                   "hunter2", NULL),
              0);
    CHECK_INT(stat(key_path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    store_close(fx.store);

    CHECK_INT(store_open(&fx.store, fx.path, NULL), 0);
    CHECK_INT(store_credential_get(fx.store, fx.ws.id, "client_secret",
                                   &secret, NULL),
              0);
    CHECK_STR(secret, "hunter2");
    free_secret(secret);
    store_close(fx.store);

    /* A key file others can read is not used. */
    CHECK_INT(chmod(key_path, 0644), 0);
    CHECK_INT(store_open(&fx.store, fx.path, NULL), 0);
    err_clear(&err);
    CHECK_INT(store_credential_get(fx.store, fx.ws.id, "client_secret",
                                   &secret, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "chmod 600") != NULL);
    free(key_path);
    fixture_close(&fx);
}

TEST_MAIN(TEST_ENTRY(open_creates_private_wal_file),
          TEST_ENTRY(leases_need_postgresql),
          TEST_ENTRY(open_again_is_idempotent),
          TEST_ENTRY(open_rejects_newer_schema),
          TEST_ENTRY(open_postgres_hides_password),
          TEST_ENTRY(workspace_get_or_create),
          TEST_ENTRY(settings_get_set_list),
          TEST_ENTRY(contact_insert_get_update),
          TEST_ENTRY(contact_validation_blocks_write),
          TEST_ENTRY(workspaces_are_isolated),
          TEST_ENTRY(contact_search_and_paging),
          TEST_ENTRY(find_unlinked_matches),
          TEST_ENTRY(contact_indexes_dropped_when_empty),
          TEST_ENTRY(link_upsert_and_base),
          TEST_ENTRY(link_base_text_is_sorted_compact_json),
          TEST_ENTRY(link_ids_are_case_sensitive),
          TEST_ENTRY(transaction_rollback_leaves_nothing),
          TEST_ENTRY(failed_step_inside_transaction),
          TEST_ENTRY(runs_and_sync_errors),
          TEST_ENTRY(runs_paged_deleted_and_pruned),
          TEST_ENTRY(run_error_code_round_trip),
          TEST_ENTRY(run_error_code_migrates_old_store),
          TEST_ENTRY(sync_error_retry_marks_one),
          TEST_ENTRY(database_error_becomes_edb),
          TEST_ENTRY(credentials_round_trip),
          TEST_ENTRY(credentials_use_key_file))
