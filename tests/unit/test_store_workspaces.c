/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of workspace names, the list of workspaces and the removal of
 * a workspace with every row it owns, against a real SQLite file or, with
 * SFSYNC_TEST_PG set, a real PostgreSQL database.
 */
#include "base/common.h"

#include <unistd.h>

#include "model/contact.h"
#include "store/secret.h"
#include "store/store.h"
#include "test.h"
#include "test_store_target.h"

static const char hex_key[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

/* Every table with rows of a workspace, in store_workspace_delete's
 * order. */
static const char *const tables[STORE_WORKSPACE_TABLES] = {
    "oauth_attempts", "sessions",    "api_tokens", "users",
    "conflicts",      "sync_errors", "outbox",     "links",
    "create_intents", "tombstones",  "runs",       "cursors",
    "credentials",    "settings",    "locks",      "leases",
    "contacts",       "workspaces",
};

struct fixture {
    struct test_db db;
    struct store *store;
    struct store_workspace a, b;
};

static void fixture_open(struct fixture *fx)
{
    struct err err;

    memset(fx, 0, sizeof(*fx));
    setenv(SECRET_KEY_ENV, hex_key, 1);
    test_db_init(&fx->db, "sfsync-workspaces");
    err_clear(&err);
    if (store_open(&fx->store, fx->db.target, &err) < 0 ||
        store_workspace_get_or_create(fx->store, "a", &fx->a, &err) < 0 ||
        store_workspace_get_or_create(fx->store, "b", &fx->b, &err) < 0) {
        fprintf(stderr, "store setup failed: %s\n", err.msg);
        abort();
    }
}

static void fixture_close(struct fixture *fx)
{
    store_workspace_release(&fx->a);
    store_workspace_release(&fx->b);
    store_close(fx->store);
    test_db_release(&fx->db);
    unsetenv(SECRET_KEY_ENV);
}

/* The rows of table that belong to workspace ws, counted on a separate
 * connection. */
static long long rows_of(struct fixture *fx, const char *table, int64_t ws)
{
    char sql[160];

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s = %lld",
             table, strcmp(table, "workspaces") == 0 ? "id" : "workspace_id",
             (long long)ws);
    return test_db_query_int(&fx->db, sql);
}

static const char workspace_columns_sqlite[] =
    "SELECT count(*) FROM sqlite_master m, pragma_table_info(m.name) c "
    "WHERE m.type = 'table' AND c.name = 'workspace_id'";
static const char workspace_columns_pg[] =
    "SELECT count(*) FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND column_name = 'workspace_id'";

/* Give workspace ws a row in every table that has workspace rows. */
static void fill_workspace(struct fixture *fx, int64_t ws, const char *user)
{
    struct store_user u = {0};
    struct store_session session = {0};
    struct store_api_token token = {0};
    struct store_oauth_attempt attempt = {0};
    struct store_link link;
    struct store_cursor cursor = {.modstamp_ms = 1000, .last_id = ""};
    struct store_conflict conflict = {0};
    struct store_sync_error error = {0};
    struct store_intent intent = {0};
    struct store_tombstone tomb = {0};
    struct store_lock holder;
    struct contact c, other;
    char hash[32];
    int64_t run_id;
    struct err err;

    contact_init(&c);
    c.workspace_id = ws;
    contact_set_text(&c, CONTACT_LAST_NAME, "Lovelace");
    contact_set_text(&c, CONTACT_PHONE, "+1 415 555 2671");
    CHECK_INT(store_contact_insert(fx->store, &c, STORE_ORIGIN_LOCAL, &err),
              0);
    contact_init(&other);
    other.workspace_id = ws;
    contact_set_text(&other, CONTACT_LAST_NAME, "Hopper");
    CHECK_INT(store_contact_insert(fx->store, &other, STORE_ORIGIN_LOCAL,
                                   &err),
              0);
    CHECK_INT(store_setting_set(fx->store, ws, "enabled", "true", &err), 0);
    CHECK_INT(store_credential_put(fx->store, ws, "refresh_token", "secret",
                                   &err),
              0);
    CHECK_INT(store_cursor_set(fx->store, ws, SF_OBJECT_CONTACT, &cursor,
                               &err),
              0);

    store_link_init(&link);
    link.contact_id = c.id;
    link.workspace_id = ws;
    link.object = SF_OBJECT_CONTACT;
    snprintf(link.sf_id, sizeof(link.sf_id), "003000000000001AAA");
    CHECK_INT(store_link_upsert(fx->store, &link, &err), 0);

    CHECK_INT(store_run_begin(fx->store, ws, "sync", -1, &run_id, &err), 0);
    conflict.workspace_id = ws;
    conflict.run_id = run_id;
    conflict.contact_id = c.id;
    conflict.object = SF_OBJECT_CONTACT;
    snprintf(conflict.sf_id, sizeof(conflict.sf_id), "%s", link.sf_id);
    conflict.field = "last_name";
    conflict.winner = "local";
    conflict.policy = "newest";
    CHECK_INT(store_conflict_add(fx->store, &conflict, &err), 0);
    error.workspace_id = ws;
    error.contact_id = c.id;
    error.object = SF_OBJECT_CONTACT;
    error.code = "REQUIRED_FIELD_MISSING";
    error.message = "Required fields are missing";
    CHECK_INT(store_sync_error_add(fx->store, &error, &err), 0);

    intent.contact_id = other.id;
    intent.workspace_id = ws;
    intent.object = SF_OBJECT_LEAD;
    snprintf(intent.user_id, sizeof(intent.user_id), "005000000000001AAA");
    CHECK_INT(store_intent_put(fx->store, &intent, &err), 0);
    tomb.contact_id = other.id;
    tomb.workspace_id = ws;
    tomb.object = SF_OBJECT_CONTACT;
    snprintf(tomb.sf_id, sizeof(tomb.sf_id), "003000000000002AAA");
    CHECK_INT(store_tombstone_put(fx->store, &tomb, &err), 0);
    CHECK_INT(store_lock_acquire(fx->store, ws, "sync", (int64_t)getpid(),
                                 "sfsync test", &holder, &err),
              0);

    u.workspace_id = ws;
    u.name = xstrdup(user);
    u.role = xstrdup("admin");
    u.password_hash = xstrdup("$argon2id$v=19$m=65536,t=2,p=1$x$y");
    CHECK_INT(store_user_add(fx->store, &u, &err), 0);
    snprintf(hash, sizeof(hash), "s%lld", (long long)ws);
    session.id_hash = hash;
    session.workspace_id = ws;
    session.user_id = u.id;
    session.csrf_token = "csrf";
    session.created_ms = session.last_seen_ms = 1000;
    CHECK_INT(store_session_add(fx->store, &session, &err), 0);
    snprintf(hash, sizeof(hash), "t%lld", (long long)ws);
    token.token_hash = hash;
    token.workspace_id = ws;
    token.user_id = u.id;
    token.created_ms = 1000;
    CHECK_INT(store_api_token_add(fx->store, &token, &err), 0);
    snprintf(hash, sizeof(hash), "o%lld", (long long)ws);
    attempt.workspace_id = ws;
    attempt.state_hash = hash;
    attempt.user_id = u.id;
    attempt.login_url = (char *)"http://127.0.0.1:9";
    attempt.client_id = (char *)"sfsim-client-id";
    attempt.redirect_uri = (char *)"http://127.0.0.1:8080/oauth/callback";
    attempt.verifier = (char *)"verifier";
    attempt.client_secret = (char *)"secret";
    attempt.created_ms = 1000;
    attempt.expires_ms = INT64_MAX;
    CHECK_INT(store_oauth_attempt_add(fx->store, &attempt, 16, &err), 0);

    store_user_release(&u);
    store_link_release(&link);
    contact_release(&c);
    contact_release(&other);
}

TEST(workspace_names_checked)
{
    static const char *const good[] = {"a", "default", "acme-east.2",
                                       "A_1"};
    static const char *const bad[] = {"", "-x", ".x", "_x", "a b", "a/b",
                                      "a'b", "caf\xc3\xa9", "a\n"};
    char longest[STORE_WORKSPACE_NAME_MAX + 2];
    struct err err;

    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        CHECK_INT(store_workspace_check_name(good[i], NULL), 0);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        CHECK_INT(store_workspace_check_name(bad[i], NULL), SYNC_EINVALID);
    CHECK_INT(store_workspace_check_name(NULL, NULL), SYNC_EINVALID);
    memset(longest, 'x', sizeof(longest) - 2);
    longest[sizeof(longest) - 2] = '\0';
    CHECK_INT(store_workspace_check_name(longest, NULL), 0);
    longest[sizeof(longest) - 2] = 'x';
    longest[sizeof(longest) - 1] = '\0';
    CHECK_INT(store_workspace_check_name(longest, &err), SYNC_EINVALID);
    CHECK_INT(store_workspace_check_name("a b", &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "'a b'") != NULL);
    CHECK(strstr(err.msg, "letters, digits") != NULL);
}

TEST(workspace_list_both_backends)
{
    struct fixture fx;
    struct store_workspace *list = NULL;
    size_t count = 0;

    fixture_open(&fx);
    CHECK_INT(store_workspace_list(fx.store, &list, &count, NULL), 0);
    CHECK_INT(count, 2);
    if (count == 2) {
        CHECK_STR(list[0].name, "a");
        CHECK_STR(list[1].name, "b");
        CHECK_INT(list[0].id, fx.a.id);
        CHECK_STR(list[1].default_region, "US");
    }
    store_workspaces_free(list, count);
    fixture_close(&fx);
}

TEST(workspace_delete_every_table)
{
    struct store_table_count counts[STORE_WORKSPACE_TABLES];
    struct store_workspace w = {0};
    struct fixture fx;
    struct err err;

    fixture_open(&fx);
    fill_workspace(&fx, fx.a.id, "ada");
    fill_workspace(&fx, fx.b.id, "bob");
    /* The schema's leases rows are written by workers only. */
    CHECK_INT(test_db_exec_sql(&fx.db, "INSERT INTO leases (workspace_id) "
                                       "SELECT id FROM workspaces",
                               false),
              0);
    /* A table added to the schema with a workspace_id column and not to
     * the store's list would keep rows of a removed workspace. */
    CHECK_INT(test_db_query_int(&fx.db, test_db_is_pg()
                                            ? workspace_columns_pg
                                            : workspace_columns_sqlite),
              STORE_WORKSPACE_TABLES - 1);
    for (size_t i = 0; i < STORE_WORKSPACE_TABLES; i++)
        CHECK_INT(rows_of(&fx, tables[i], fx.a.id) > 0, 1);

    CHECK_INT(store_workspace_delete(fx.store, fx.a.id, counts, &err), 0);
    for (size_t i = 0; i < STORE_WORKSPACE_TABLES; i++) {
        const char *table = tables[i];

        CHECK_STR(counts[i].table, table);
        CHECK_INT(rows_of(&fx, table, fx.a.id), 0);
        CHECK_INT(rows_of(&fx, table, fx.b.id), counts[i].rows);
    }
    CHECK_INT(counts[STORE_WORKSPACE_TABLES - 2].rows, 2); /* contacts */
    CHECK_INT(counts[STORE_WORKSPACE_TABLES - 1].rows, 1);
    CHECK_INT(store_workspace_get(fx.store, "a", &w, NULL), SYNC_ENOTFOUND);
    CHECK_INT(store_workspace_get(fx.store, "b", &w, NULL), 0);
    store_workspace_release(&w);
    CHECK_INT(store_workspace_delete(fx.store, fx.a.id, counts, &err),
              SYNC_ENOTFOUND);
    fixture_close(&fx);
}

TEST(workspace_delete_rolls_back)
{
    struct store_table_count counts[STORE_WORKSPACE_TABLES];
    struct fixture fx;
    struct err err;

    fixture_open(&fx);
    fill_workspace(&fx, fx.a.id, "ada");
    /* A row that references the workspace from outside the list of
     * tables makes the last DELETE fail, and nothing may be gone. */
    CHECK_INT(test_db_exec_sql(&fx.db,
                               "CREATE TABLE extra (workspace_id BIGINT "
                               "NOT NULL REFERENCES workspaces(id))",
                               false),
              0);
    CHECK_INT(rows_of(&fx, "contacts", fx.a.id), 2);
    {
        char sql[96];

        snprintf(sql, sizeof(sql), "INSERT INTO extra VALUES (%lld)",
                 (long long)fx.a.id);
        CHECK_INT(test_db_exec_sql(&fx.db, sql, false), 0);
    }
    CHECK_INT(store_workspace_delete(fx.store, fx.a.id, counts, &err),
              SYNC_EDB);
    CHECK_INT(rows_of(&fx, "contacts", fx.a.id), 2);
    CHECK_INT(rows_of(&fx, "users", fx.a.id), 1);
    CHECK_INT(rows_of(&fx, "workspaces", fx.a.id), 1);
    fixture_close(&fx);
}

TEST_MAIN(TEST_ENTRY(workspace_names_checked),
          TEST_ENTRY(workspace_list_both_backends),
          TEST_ENTRY(workspace_delete_every_table),
          TEST_ENTRY(workspace_delete_rolls_back))
