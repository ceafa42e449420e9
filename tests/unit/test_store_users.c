/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of the store's users, sessions and API tokens against a real
 * SQLite file or, with SFSYNC_TEST_PG set, a real PostgreSQL database.
 */
#include "base/common.h"

#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
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
    test_db_init(&fx->db, "sfsync-users");
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

static int64_t add_user(struct fixture *fx, const char *name,
                        const char *role)
{
    struct store_user u = {0};
    struct err err;
    int64_t id;

    u.workspace_id = fx->ws.id;
    u.name = xstrdup(name);
    u.role = xstrdup(role);
    u.password_hash = xstrdup("$argon2id$v=19$m=65536,t=2,p=1$x$y");
    err_clear(&err);
    if (store_user_add(fx->store, &u, &err) < 0)
        fprintf(stderr, "add user failed: %s\n", err.msg);
    id = u.id;
    store_user_release(&u);
    return id;
}

TEST(user_add_get_list_delete)
{
    struct fixture fx;
    struct store_user u = {0}, *list = NULL;
    size_t n = 0;
    int64_t ada, bob;

    fixture_open(&fx);
    ada = add_user(&fx, "ada", "admin");
    bob = add_user(&fx, "bob", "agent");
    CHECK(ada > 0);
    CHECK(bob > ada);
    CHECK_INT(store_user_get(fx.store, fx.ws.id, "ada", &u, NULL), 0);
    CHECK_INT(u.id, ada);
    CHECK_STR(u.role, "admin");
    CHECK(u.created_ms > 0);
    store_user_release(&u);
    CHECK_INT(store_user_get_by_id(fx.store, fx.ws.id, bob, &u, NULL), 0);
    CHECK_STR(u.name, "bob");
    store_user_release(&u);
    CHECK_INT(store_user_get(fx.store, fx.ws.id, "carol", &u, NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_user_list(fx.store, fx.ws.id, &list, &n, NULL), 0);
    CHECK_INT(n, 2);
    CHECK_STR(list[0].name, "ada");
    CHECK_STR(list[1].name, "bob");
    store_users_free(list, n);
    CHECK_INT(store_user_delete(fx.store, fx.ws.id, "bob", NULL), 0);
    CHECK_INT(store_user_delete(fx.store, fx.ws.id, "bob", NULL),
              SYNC_ENOTFOUND);
    fixture_close(&fx);
}

TEST(user_add_rejects_bad_input)
{
    struct fixture fx;
    struct store_user u = {0};
    struct err err;

    fixture_open(&fx);
    add_user(&fx, "ada", "admin");
    u.workspace_id = fx.ws.id;
    u.name = xstrdup("ada");
    u.role = xstrdup("agent");
    u.password_hash = xstrdup("hash");
    CHECK_INT(store_user_add(fx.store, &u, &err), SYNC_ECONFLICT);
    free(u.role);
    u.role = xstrdup("boss");
    free(u.name);
    u.name = xstrdup("zed");
    CHECK_INT(store_user_add(fx.store, &u, &err), SYNC_EINVALID);
    CHECK(strstr(err.msg, "'boss'") != NULL);
    free(u.role);
    u.role = xstrdup("agent");
    free(u.password_hash);
    u.password_hash = xstrdup("");
    CHECK_INT(store_user_add(fx.store, &u, &err), SYNC_EINVALID);
    store_user_release(&u);
    fixture_close(&fx);
}

TEST(sessions_expire_and_follow_user)
{
    struct fixture fx;
    struct store_session s = {0}, got = {0};
    int64_t ada, deleted = -1;

    fixture_open(&fx);
    ada = add_user(&fx, "ada", "admin");
    s.id_hash = xstrdup("aa11");
    s.workspace_id = fx.ws.id;
    s.user_id = ada;
    s.csrf_token = xstrdup("csrf-1");
    s.created_ms = s.last_seen_ms = 1000;
    CHECK_INT(store_session_add(fx.store, &s, NULL), 0);
    free(s.id_hash);
    s.id_hash = xstrdup("bb22");
    s.last_seen_ms = 5000;
    CHECK_INT(store_session_add(fx.store, &s, NULL), 0);
    CHECK_INT(store_session_get(fx.store, fx.ws.id, "aa11", &got, NULL), 0);
    CHECK_INT(got.user_id, ada);
    CHECK_STR(got.csrf_token, "csrf-1");
    CHECK_INT(got.last_seen_ms, 1000);
    store_session_release(&got);
    CHECK_INT(store_session_touch(fx.store, fx.ws.id, "aa11", 9000, NULL), 0);
    CHECK_INT(store_session_touch(fx.store, fx.ws.id, "cc33", 9000, NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_session_delete_idle(fx.store, fx.ws.id, 6000, &deleted,
                                        NULL),
              0);
    CHECK_INT(deleted, 1);
    CHECK_INT(store_session_get(fx.store, fx.ws.id, "bb22", &got, NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_session_get(fx.store, fx.ws.id + 1, "aa11", &got, NULL),
              SYNC_ENOTFOUND);
    /* Deleting the user deletes its sessions. */
    CHECK_INT(store_user_delete(fx.store, fx.ws.id, "ada", NULL), 0);
    CHECK_INT(store_session_get(fx.store, fx.ws.id, "aa11", &got, NULL),
              SYNC_ENOTFOUND);
    store_session_release(&s);
    fixture_close(&fx);
}

TEST(api_tokens_need_a_user)
{
    struct fixture fx;
    struct store_api_token t = {0}, got = {0};
    int64_t bob;

    fixture_open(&fx);
    bob = add_user(&fx, "bob", "agent");
    t.token_hash = xstrdup("ff00");
    t.workspace_id = fx.ws.id;
    t.user_id = bob + 100;
    t.created_ms = 10;
    CHECK_INT(store_api_token_add(fx.store, &t, NULL), SYNC_ENOTFOUND);
    t.user_id = bob;
    CHECK_INT(store_api_token_add(fx.store, &t, NULL), 0);
    CHECK_INT(store_api_token_get(fx.store, fx.ws.id, "ff00", &got, NULL), 0);
    CHECK_INT(got.user_id, bob);
    CHECK_INT(got.last_used_ms, 0);
    store_api_token_release(&got);
    CHECK_INT(store_api_token_touch(fx.store, fx.ws.id, "ff00", 77, NULL), 0);
    CHECK_INT(store_api_token_get(fx.store, fx.ws.id, "ff00", &got, NULL), 0);
    CHECK_INT(got.last_used_ms, 77);
    store_api_token_release(&got);
    CHECK_INT(store_user_delete(fx.store, fx.ws.id, "bob", NULL), 0);
    CHECK_INT(store_api_token_get(fx.store, fx.ws.id, "ff00", &got, NULL),
              SYNC_ENOTFOUND);
    store_api_token_release(&t);
    fixture_close(&fx);
}

TEST_MAIN(TEST_ENTRY(user_add_get_list_delete),
          TEST_ENTRY(user_add_rejects_bad_input),
          TEST_ENTRY(sessions_expire_and_follow_user),
          TEST_ENTRY(api_tokens_need_a_user))
