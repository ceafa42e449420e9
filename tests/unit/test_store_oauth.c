/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of the store's pending OAuth sign-in attempts against a real
 * SQLite file or, with SFSYNC_TEST_PG set, a real PostgreSQL database.
 */
#include "base/common.h"

#include "store/secret.h"
#include "store/store.h"
#include "test.h"
#include "test_store_target.h"

static const char hex_key[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char verifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

struct fixture {
    struct test_db db;
    struct store *store;
    struct store_workspace ws;
    int64_t admin_id;
};

static void fixture_open(struct fixture *fx)
{
    struct store_user u = {0};
    struct err err;

    memset(fx, 0, sizeof(*fx));
    setenv(SECRET_KEY_ENV, hex_key, 1);
    test_db_init(&fx->db, "sfsync-oauth");
    err_clear(&err);
    u.name = xstrdup("ada");
    u.role = xstrdup("admin");
    u.password_hash = xstrdup("$argon2id$v=19$m=65536,t=2,p=1$x$y");
    if (store_open(&fx->store, fx->db.target, &err) < 0 ||
        store_workspace_get_or_create(fx->store, "main", &fx->ws, &err) < 0) {
        fprintf(stderr, "store setup failed: %s\n", err.msg);
        abort();
    }
    u.workspace_id = fx->ws.id;
    if (store_user_add(fx->store, &u, &err) < 0) {
        fprintf(stderr, "add user failed: %s\n", err.msg);
        abort();
    }
    fx->admin_id = u.id;
    store_user_release(&u);
}

static void fixture_close(struct fixture *fx)
{
    store_workspace_release(&fx->ws);
    store_close(fx->store);
    test_db_release(&fx->db);
    unsetenv(SECRET_KEY_ENV);
}

/* Store an attempt named by state_hash that expires at expires_ms. */
static int add_attempt(struct fixture *fx, const char *state_hash,
                       const char *secret, int64_t created_ms,
                       int64_t expires_ms, size_t keep)
{
    struct store_oauth_attempt a = {0};
    struct err err;
    int rc;

    a.workspace_id = fx->ws.id;
    a.state_hash = (char *)state_hash;
    a.user_id = fx->admin_id;
    a.login_url = (char *)"http://127.0.0.1:9";
    a.client_id = (char *)"sfsim-client-id";
    a.redirect_uri = (char *)"http://127.0.0.1:8080/oauth/callback";
    a.verifier = (char *)verifier;
    a.client_secret = (char *)secret;
    a.created_ms = created_ms;
    a.expires_ms = expires_ms;
    err_clear(&err);
    rc = store_oauth_attempt_add(fx->store, &a, keep, &err);
    if (rc < 0)
        fprintf(stderr, "add attempt failed: %s\n", err.msg);
    return rc;
}

static long long count_attempts(struct fixture *fx)
{
    return test_db_query_int(&fx->db, "SELECT count(*) FROM oauth_attempts");
}

TEST(oauth_attempt_taken_once)
{
    struct fixture fx;
    struct store_oauth_attempt a;
    int64_t now = 1796400000000;

    fixture_open(&fx);
    CHECK_INT(
        add_attempt(&fx, "aa11", "sfsim-client-secret", now, now + 600000, 16),
        0);
    CHECK_INT(store_oauth_attempt_take(fx.store, fx.ws.id, "aa11", &a, NULL),
              0);
    CHECK_STR(a.state_hash, "aa11");
    CHECK_INT(a.workspace_id, fx.ws.id);
    CHECK_INT(a.user_id, fx.admin_id);
    CHECK_STR(a.login_url, "http://127.0.0.1:9");
    CHECK_STR(a.client_id, "sfsim-client-id");
    CHECK_STR(a.redirect_uri, "http://127.0.0.1:8080/oauth/callback");
    CHECK_STR(a.verifier, verifier);
    CHECK_STR(a.client_secret, "sfsim-client-secret");
    CHECK_INT(a.created_ms, now);
    CHECK_INT(a.expires_ms, now + 600000);
    store_oauth_attempt_release(&a);
    /* One use: the row is gone. */
    CHECK_INT(store_oauth_attempt_take(fx.store, fx.ws.id, "aa11", &a, NULL),
              SYNC_ENOTFOUND);
    CHECK(a.verifier == NULL);
    CHECK_INT(count_attempts(&fx), 0);
    fixture_close(&fx);
}

TEST(oauth_attempt_secrets_encrypted)
{
    struct fixture fx;
    struct store_oauth_attempt a;
    int64_t now = 1796400000000;

    fixture_open(&fx);
    CHECK_INT(add_attempt(&fx, "bb22", "TopSecretValue", now, now + 600000, 16),
              0);
    /* Neither secret is stored as plain text. */
    CHECK_INT(test_db_query_int(
                  &fx.db, test_db_is_pg()
                              ? "SELECT count(*) FROM oauth_attempts WHERE "
                                "position('TopSecret'::bytea IN secrets) > 0 "
                                "OR position('dBjftJeZ'::bytea IN secrets) "
                                "> 0"
                              : "SELECT count(*) FROM oauth_attempts WHERE "
                                "instr(secrets, 'TopSecret') > 0 OR "
                                "instr(secrets, 'dBjftJeZ') > 0"),
              0);
    /* An attempt without a client secret reads back as NULL. */
    CHECK_INT(add_attempt(&fx, "cc33", NULL, now, now + 600000, 16), 0);
    CHECK_INT(store_oauth_attempt_take(fx.store, fx.ws.id, "cc33", &a, NULL),
              0);
    CHECK_STR(a.verifier, verifier);
    CHECK(a.client_secret == NULL);
    store_oauth_attempt_release(&a);
    /* Another key cannot read the secrets. */
    store_close(fx.store);
    setenv(SECRET_KEY_ENV,
           "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
           1);
    CHECK_INT(store_open(&fx.store, fx.db.target, NULL), 0);
    CHECK_INT(store_oauth_attempt_take(fx.store, fx.ws.id, "bb22", &a, NULL),
              SYNC_EINVALID);
    CHECK(a.verifier == NULL);
    fixture_close(&fx);
}

TEST(oauth_attempt_expired_and_oldest_deleted)
{
    struct fixture fx;
    struct store_oauth_attempt a;
    int64_t now = 1796400000000, deleted = 0;

    fixture_open(&fx);
    /* An attempt that expired before the next one starts is deleted. */
    CHECK_INT(add_attempt(&fx, "old1", NULL, now - 700000, now - 100000, 16),
              0);
    CHECK_INT(add_attempt(&fx, "new1", NULL, now, now + 600000, 16), 0);
    CHECK_INT(store_oauth_attempt_take(fx.store, fx.ws.id, "old1", &a, NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(count_attempts(&fx), 1);
    /* Beyond keep, the oldest go. */
    CHECK_INT(add_attempt(&fx, "new2", NULL, now + 1, now + 600001, 2), 0);
    CHECK_INT(add_attempt(&fx, "new3", NULL, now + 2, now + 600002, 2), 0);
    CHECK_INT(count_attempts(&fx), 2);
    CHECK_INT(store_oauth_attempt_take(fx.store, fx.ws.id, "new1", &a, NULL),
              SYNC_ENOTFOUND);
    /* A state hash stored already is rejected. */
    CHECK_INT(add_attempt(&fx, "new3", NULL, now + 3, now + 600003, 2),
              SYNC_ECONFLICT);
    /* An expired attempt is still returned, so that the callback can
     * report that it expired. */
    CHECK_INT(store_oauth_attempt_take(fx.store, fx.ws.id, "new2", &a, NULL),
              0);
    CHECK_INT(a.expires_ms, now + 600001);
    store_oauth_attempt_release(&a);
    CHECK_INT(store_oauth_attempt_delete_expired(fx.store, fx.ws.id,
                                                 now + 700000, &deleted, NULL),
              0);
    CHECK_INT(deleted, 1);
    CHECK_INT(count_attempts(&fx), 0);
    fixture_close(&fx);
}

TEST(oauth_attempt_per_workspace_and_user)
{
    struct fixture fx;
    struct store_oauth_attempt a;
    struct store_workspace b = {0};
    int64_t now = 1796400000000;

    fixture_open(&fx);
    CHECK_INT(store_workspace_get_or_create(fx.store, "b", &b, NULL), 0);
    CHECK_INT(add_attempt(&fx, "dd44", NULL, now, now + 600000, 16), 0);
    CHECK_INT(store_oauth_attempt_take(fx.store, b.id, "dd44", &a, NULL),
              SYNC_ENOTFOUND);
    /* Deleting the user who started it deletes the attempt. */
    CHECK_INT(store_user_delete(fx.store, fx.ws.id, "ada", NULL), 0);
    CHECK_INT(count_attempts(&fx), 0);
    CHECK_INT(store_oauth_attempt_take(fx.store, fx.ws.id, "", &a, NULL),
              SYNC_EINVALID);
    store_workspace_release(&b);
    fixture_close(&fx);
}

TEST_MAIN(TEST_ENTRY(oauth_attempt_taken_once),
          TEST_ENTRY(oauth_attempt_secrets_encrypted),
          TEST_ENTRY(oauth_attempt_expired_and_oldest_deleted),
          TEST_ENTRY(oauth_attempt_per_workspace_and_user))
