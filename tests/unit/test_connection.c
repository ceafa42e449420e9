/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of the stored connection's failures that need no Salesforce:
 * credentials that the key cannot decrypt, and the advice status shows for
 * them. They use a real SQLite file or, with SFSYNC_TEST_PG set, a real
 * PostgreSQL database.
 */
#include "base/common.h"

#include "store/secret.h"
#include "store/store.h"
#include "sync/connection.h"
#include "test.h"
#include "test_store_target.h"

static const char hex_key[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char other_key[] =
    "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static const char *const other_fix = "Salesforce can be reached";

TEST(wrong_key_names_both_variables)
{
    struct test_db db;
    struct store *s = NULL;
    struct store_workspace ws = {0};
    struct connection conn;
    struct err err;

    setenv(SECRET_KEY_ENV, hex_key, 1);
    test_db_init(&db, "sfsync-connection");
    CHECK_INT(store_open(&s, db.target, NULL), 0);
    CHECK_INT(store_workspace_get_or_create(s, "default", &ws, NULL), 0);
    CHECK_INT(store_setting_set(s, ws.id, "connection.login_url",
                                "http://127.0.0.1:1", NULL),
              0);
    CHECK_INT(store_setting_set(s, ws.id, "connection.client_id", "id", NULL),
              0);
    CHECK_INT(store_setting_set(s, ws.id, "connection.grant",
                                "client_credentials", NULL),
              0);
    CHECK_INT(store_credential_put(s, ws.id, "client_secret", "hunter2",
                                   NULL),
              0);
    store_close(s);

    setenv(SECRET_KEY_ENV, other_key, 1);
    CHECK_INT(store_open(&s, db.target, NULL), 0);
    err_clear(&err);
    CHECK_INT(connection_open(&conn, s, ws.id, &err), SYNC_EINVALID);
    CHECK(strncmp(err.msg, "cannot read the stored Salesforce credentials: ",
                  47) == 0);
    CHECK(strstr(err.msg, SECRET_KEY_ENV " to the key") != NULL);
    CHECK(strstr(err.msg, SECRET_KEY_FILE_ENV) != NULL);
    CHECK(strstr(connection_problem_fix(err.msg, other_fix),
                 SECRET_KEY_ENV " to the key") != NULL);
    CHECK(strstr(connection_problem_fix(err.msg, other_fix),
                 SECRET_KEY_FILE_ENV) != NULL);

    /* Other problems keep the caller's advice. */
    CHECK(connection_problem_fix("request timed out", other_fix) ==
          other_fix);
    CHECK(connection_problem_fix(NULL, other_fix) == other_fix);

    /* With the right key the connection opens. */
    setenv(SECRET_KEY_ENV, hex_key, 1);
    store_close(s);
    CHECK_INT(store_open(&s, db.target, NULL), 0);
    CHECK_INT(connection_open(&conn, s, ws.id, NULL), 0);
    connection_close(&conn);
    store_workspace_release(&ws);
    store_close(s);
    test_db_release(&db);
    unsetenv(SECRET_KEY_ENV);
}

TEST_MAIN(TEST_ENTRY(wrong_key_names_both_variables))
