/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of the store's run owners (runs of ended processes marked
 * abandoned) and back links, against a real SQLite file or, with
 * SFSYNC_TEST_PG set, a real PostgreSQL database.
 */
#include "base/common.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/contact.h"
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
    test_db_init(&fx->db, "sfsync-owners");
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

/* The pid of a child that has exited and been reaped, so no process has
 * it until the kernel hands it out again. */
static pid_t ended_pid(void)
{
    pid_t pid = fork();

    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

static char *run_status(struct fixture *fx, int64_t id)
{
    struct store_run run;
    char *status;

    CHECK_INT(store_run_get(fx->store, fx->ws.id, id, &run, NULL), 0);
    status = xstrdup(run.status ? run.status : "");
    store_run_release(&run);
    return status;
}

TEST(runs_of_ended_processes_abandoned)
{
    struct fixture fx;
    struct store_run run;
    int64_t mine, dead, legacy;
    size_t marked = 0;
    char *sql, *status;

    fixture_open(&fx);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "pull", 0, &mine, NULL), 0);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "sync", -1, &dead, NULL),
              0);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "sync", -1, &legacy, NULL),
              0);
    /* The dead run has counts that the abandoning must keep. */
    sql = xasprintf("UPDATE runs SET owner_pid = %d, created = 7 "
                    "WHERE id = %lld;"
                    "UPDATE runs SET owner_pid = NULL, owner_start = NULL "
                    "WHERE id = %lld",
                    (int)ended_pid(), (long long)dead, (long long)legacy);
    CHECK_INT(test_db_exec_sql(&fx.db, sql, false), 0);
    free(sql);

    CHECK_INT(store_run_abandon_dead(fx.store, fx.ws.id, &marked, NULL), 0);
    CHECK_INT(marked, 1);
    status = run_status(&fx, mine);
    CHECK_STR(status, "running");
    free(status);
    status = run_status(&fx, legacy);
    CHECK_STR(status, "running");
    free(status);
    CHECK_INT(store_run_get(fx.store, fx.ws.id, dead, &run, NULL), 0);
    CHECK_STR(run.status, "abandoned");
    CHECK_STR(run.error_code, "abandoned");
    CHECK(run.finished_ms > 0);
    CHECK(run.message != NULL);
    CHECK(run.message && strstr(run.message, "no process holds the workspace lock"));
    CHECK_INT(run.counts.created, 7);
    store_run_release(&run);

    /* Marking again finds nothing, and a finished run stays finished. */
    CHECK_INT(store_run_abandon_dead(fx.store, fx.ws.id, &marked, NULL), 0);
    CHECK_INT(marked, 0);
    fixture_close(&fx);
}

static int64_t add_linked(struct fixture *fx, const char *last,
                          const char *sf_id)
{
    struct store_link link;
    struct contact c;
    int64_t id;

    contact_init(&c);
    c.workspace_id = fx->ws.id;
    contact_set_text(&c, CONTACT_LAST_NAME, last);
    CHECK_INT(store_contact_insert(fx->store, &c, STORE_ORIGIN_LOCAL, NULL),
              0);
    id = c.id;
    contact_release(&c);
    store_link_init(&link);
    link.workspace_id = fx->ws.id;
    link.contact_id = id;
    link.object = SF_OBJECT_CONTACT;
    snprintf(link.sf_id, sizeof(link.sf_id), "%s", sf_id);
    CHECK_INT(store_link_upsert(fx->store, &link, NULL), 0);
    store_link_release(&link);
    return id;
}

TEST(backlinks_stale_until_set)
{
    struct fixture fx;
    struct store_backlink *items = NULL;
    struct store_link link;
    const char *prefix = "Url__c\x1fhttp://x.test/#contacts/";
    const char *ids[2];
    const char *values[2];
    char *good;
    size_t n = 0;
    int64_t a, b;

    fixture_open(&fx);
    a = add_linked(&fx, "One", "0035500001H9cakAAB");
    b = add_linked(&fx, "Two", "0035500001H9calAAB");
    CHECK_INT(store_link_backlinks_stale(fx.store, fx.ws.id,
                                         SF_OBJECT_CONTACT, prefix, 0, 200,
                                         &items, &n, NULL),
              0);
    CHECK_INT(n, 2);
    CHECK_INT(items[0].contact_id, a);
    CHECK_STR(items[1].sf_id, "0035500001H9calAAB");
    free(items);

    /* a contains its own address, and b contains another one. */
    good = xasprintf("%s%lld", prefix, (long long)a);
    ids[0] = "0035500001H9cakAAB";
    values[0] = good;
    ids[1] = "0035500001H9calAAB";
    values[1] = "Url__c\x1fhttp://elsewhere.test/";
    CHECK_INT(store_link_backlinks_set(fx.store, fx.ws.id, ids, values, 2,
                                       NULL),
              0);
    CHECK_INT(store_link_backlinks_stale(fx.store, fx.ws.id,
                                         SF_OBJECT_CONTACT, prefix, 0, 200,
                                         &items, &n, NULL),
              0);
    CHECK_INT(n, 1);
    CHECK_INT(items[0].contact_id, b);
    free(items);
    /* Leads are listed apart, and after_id pages. */
    CHECK_INT(store_link_backlinks_stale(fx.store, fx.ws.id, SF_OBJECT_LEAD,
                                         prefix, 0, 200, &items, &n, NULL),
              0);
    CHECK_INT(n, 0);
    free(items);
    CHECK_INT(store_link_backlinks_stale(fx.store, fx.ws.id,
                                         SF_OBJECT_CONTACT, prefix, b, 200,
                                         &items, &n, NULL),
              0);
    CHECK_INT(n, 0);
    free(items);

    /* Relinking to another record clears the value, and an update to the
     * same record keeps it. */
    store_link_init(&link);
    CHECK_INT(store_link_get(fx.store, fx.ws.id, a, &link, NULL), 0);
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), 0);
    CHECK_INT(store_link_backlinks_stale(fx.store, fx.ws.id,
                                         SF_OBJECT_CONTACT, prefix, 0, 200,
                                         &items, &n, NULL),
              0);
    CHECK_INT(n, 1);
    free(items);
    snprintf(link.sf_id, sizeof(link.sf_id), "0035500001H9camAAB");
    CHECK_INT(store_link_upsert(fx.store, &link, NULL), 0);
    store_link_release(&link);
    CHECK_INT(store_link_backlinks_stale(fx.store, fx.ws.id,
                                         SF_OBJECT_CONTACT, prefix, 0, 200,
                                         &items, &n, NULL),
              0);
    CHECK_INT(n, 2);
    free(items);
    free(good);
    fixture_close(&fx);
}

TEST_MAIN(TEST_ENTRY(runs_of_ended_processes_abandoned),
          TEST_ENTRY(backlinks_stale_until_set))
