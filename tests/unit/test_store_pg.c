/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of what only the PostgreSQL backend does: several handles on
 * one database at once (row locks, unique keys, concurrent migrations),
 * a lost connection, the NOTIFY of each outbox entry and two handles
 * racing for a workspace lock. Also the run progress and unlinked-contact
 * statements, whose parameter types only PostgreSQL checks, and the
 * tombstones, locks and contact lookups of store_pg_tombstone.c, which
 * must behave as their SQLite twins. They need a server in SFSYNC_TEST_PG
 * and are skipped (exit 77) without one.
 */
#include "base/common.h"

#include <pthread.h>
#include <sys/select.h>
#include <sys/wait.h>

#include "base/datetime.h"
#include "store/store.h"
#include "test.h"
#include "test_store_target.h"

/* CTest's SKIP_RETURN_CODE of this program. */
#define EXIT_SKIP 77

struct fixture {
    struct test_db db;
    struct store *a;
    struct store *b; /* a second handle, as another process would have */
    struct store_workspace ws;
};

static void fixture_open(struct fixture *fx)
{
    struct err err;

    memset(fx, 0, sizeof(*fx));
    test_db_init(&fx->db, "sfsync-store-pg");
    err_clear(&err);
    if (store_open(&fx->a, fx->db.target, &err) < 0 ||
        store_open(&fx->b, fx->db.target, &err) < 0 ||
        store_workspace_get_or_create(fx->a, "main", &fx->ws, &err) < 0) {
        fprintf(stderr, "store setup failed: %s\n", err.msg);
        abort();
    }
}

static void fixture_close(struct fixture *fx)
{
    store_workspace_release(&fx->ws);
    store_close(fx->a);
    store_close(fx->b);
    test_db_release(&fx->db);
}

static int64_t add_contact(struct store *s, int64_t ws, const char *last)
{
    struct contact c;
    struct err err;
    int64_t id;

    contact_init(&c);
    c.workspace_id = ws;
    contact_set_text(&c, CONTACT_LAST_NAME, last);
    err_clear(&err);
    if (store_contact_insert(s, &c, STORE_ORIGIN_LOCAL, &err) < 0)
        fprintf(stderr, "insert failed: %s\n", err.msg);
    id = c.id;
    contact_release(&c);
    return id;
}

/* An update of contact id to last name, run on a thread. */
struct update_job {
    struct store *store;
    int64_t ws;
    int64_t id;
    int64_t version;
    const char *last;
    int rc;
    struct err err;
};

static void *run_update(void *arg)
{
    struct update_job *job = arg;
    struct contact c;

    contact_init(&c);
    err_clear(&job->err);
    job->rc = store_contact_get(job->store, job->ws, job->id, &c, &job->err);
    if (job->rc == 0) {
        c.version = job->version;
        contact_set_text(&c, CONTACT_LAST_NAME, job->last);
        job->rc = store_contact_update(job->store, &c, STORE_ORIGIN_LOCAL,
                                       &job->err);
    }
    contact_release(&c);
    return NULL;
}

/* The number of sessions waiting on a lock in the test's database. */
static long long lock_waiters(const struct fixture *fx)
{
    return test_db_query_int(&fx->db,
                             "SELECT count(*) FROM pg_stat_activity WHERE "
                             "datname = current_database() AND "
                             "wait_event_type = 'Lock'");
}

/* Wait up to 5 s for a session of the database to block on a lock. */
static bool wait_for_lock_waiter(const struct fixture *fx)
{
    for (int i = 0; i < 500; i++) {
        if (lock_waiters(fx) > 0)
            return true;
        usleep(10000);
    }
    return false;
}

TEST(update_waits_for_row_lock)
{
    struct fixture fx;
    struct update_job job = {0};
    struct contact c;
    pthread_t thread;
    int64_t id;

    fixture_open(&fx);
    id = add_contact(fx.a, fx.ws.id, "First");
    CHECK(id > 0);
    /* Handle a changes the contact inside a transaction it keeps open. */
    CHECK_INT(store_begin(fx.a, NULL), 0);
    job = (struct update_job){fx.a, fx.ws.id, id, 1, "ByA", 0, {0}};
    run_update(&job);
    CHECK_INT(job.rc, 0);
    /* Handle b read version 1 too: its update must wait for a's row lock
     * and then see version 2, not overwrite a's change. */
    job = (struct update_job){fx.b, fx.ws.id, id, 1, "ByB", 0, {0}};
    CHECK_INT(pthread_create(&thread, NULL, run_update, &job), 0);
    CHECK(wait_for_lock_waiter(&fx));
    CHECK_INT(store_commit(fx.a, NULL), 0);
    CHECK_INT(pthread_join(thread, NULL), 0);
    CHECK_INT(job.rc, SYNC_ECONFLICT);
    CHECK(strstr(job.err.msg, "changed since version 1") != NULL);
    contact_init(&c);
    CHECK_INT(store_contact_get(fx.b, fx.ws.id, id, &c, NULL), 0);
    CHECK_STR(contact_text(&c, CONTACT_LAST_NAME), "ByA");
    CHECK_INT(c.version, 2);
    contact_release(&c);
    /* One outbox entry per committed change: the insert and a's update. */
    CHECK_INT(test_db_query_int(&fx.db, "SELECT count(*) FROM outbox"), 2);
    fixture_close(&fx);
}

struct link_job {
    struct store *store;
    struct store_link link;
    int rc;
    struct err err;
};

static void *run_link(void *arg)
{
    struct link_job *job = arg;

    err_clear(&job->err);
    job->rc = store_link_upsert(job->store, &job->link, &job->err);
    return NULL;
}

TEST(concurrent_links_of_one_record)
{
    struct fixture fx;
    struct link_job first = {0}, second = {0};
    pthread_t thread;
    int64_t one, two;

    fixture_open(&fx);
    one = add_contact(fx.a, fx.ws.id, "One");
    two = add_contact(fx.a, fx.ws.id, "Two");
    first.store = fx.a;
    first.link.workspace_id = fx.ws.id;
    first.link.contact_id = one;
    first.link.object = SF_OBJECT_CONTACT;
    snprintf(first.link.sf_id, sizeof(first.link.sf_id),
             "0035500001H9cakAAB");
    second = first;
    second.store = fx.b;
    second.link.contact_id = two;
    /* a links the record without committing; b's check cannot see that
     * link, so the unique key must reject b's write once a commits. */
    CHECK_INT(store_begin(fx.a, NULL), 0);
    run_link(&first);
    CHECK_INT(first.rc, 0);
    CHECK_INT(pthread_create(&thread, NULL, run_link, &second), 0);
    CHECK(wait_for_lock_waiter(&fx));
    CHECK_INT(store_commit(fx.a, NULL), 0);
    CHECK_INT(pthread_join(thread, NULL), 0);
    CHECK_INT(second.rc, SYNC_ECONFLICT);
    CHECK(strstr(second.err.msg, "already linked") != NULL);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT count(*) FROM links"), 1);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT contact_id FROM links"), one);
    /* b's handle is usable after the failure. */
    CHECK(add_contact(fx.b, fx.ws.id, "Three") > 0);
    fixture_close(&fx);
}

struct open_job {
    const char *target;
    int rc;
    struct err err;
};

static void *run_open(void *arg)
{
    struct open_job *job = arg;
    struct store *s = NULL;

    err_clear(&job->err);
    job->rc = store_open(&s, job->target, &job->err);
    store_close(s);
    return NULL;
}

TEST(concurrent_opens_migrate_once)
{
    struct test_db db;
    struct open_job jobs[4];
    pthread_t threads[4];

    test_db_init(&db, "sfsync-store-pg");
    for (size_t i = 0; i < ARRAY_SIZE(jobs); i++) {
        jobs[i] = (struct open_job){db.target, 0, {0}};
        CHECK_INT(pthread_create(&threads[i], NULL, run_open, &jobs[i]), 0);
    }
    for (size_t i = 0; i < ARRAY_SIZE(jobs); i++) {
        CHECK_INT(pthread_join(threads[i], NULL), 0);
        if (jobs[i].rc != 0)
            fprintf(stderr, "open %zu: %s\n", i, jobs[i].err.msg);
        CHECK_INT(jobs[i].rc, 0);
    }
    /* Each version recorded once, whatever the latest is. */
    CHECK_INT(test_db_query_int(&db, "SELECT (count(*) = max(version) AND "
                                     "count(*) > 0)::int FROM "
                                     "schema_migrations"),
              1);
    test_db_release(&db);
}

/* End every other session of the test's database, as a server restart or
 * a dropped network link would. */
static void kill_sessions(const struct fixture *fx)
{
    CHECK(test_db_query_int(&fx->db,
                            "SELECT count(pg_terminate_backend(pid)) FROM "
                            "pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> "
                            "pg_backend_pid()") >= 1);
}

TEST(lost_connection_reconnects_once)
{
    struct fixture fx;
    struct store_workspace ws = {0};
    struct err err;
    char *server;

    fixture_open(&fx);
    server = store_target_display(fx.db.target);
    kill_sessions(&fx);
    err_clear(&err);
    CHECK_INT(store_workspace_get(fx.a, "main", &ws, &err), SYNC_EDB);
    CHECK(strstr(err.msg, "lost the connection to PostgreSQL server") !=
          NULL);
    CHECK(strstr(err.msg, server) != NULL);
    /* The next call reconnects and prepares its statements again. */
    CHECK_INT(store_workspace_get(fx.a, "main", &ws, NULL), 0);
    CHECK_INT(ws.id, fx.ws.id);
    CHECK(add_contact(fx.a, fx.ws.id, "After") > 0);
    store_workspace_release(&ws);
    free(server);
    fixture_close(&fx);
}

TEST(lost_connection_inside_transaction)
{
    struct fixture fx;
    struct err err;

    fixture_open(&fx);
    CHECK_INT(store_begin(fx.a, NULL), 0);
    CHECK(add_contact(fx.a, fx.ws.id, "Lost") > 0);
    kill_sessions(&fx);
    /* No call after the loss runs outside the lost transaction, so half a
     * transaction is never committed. */
    CHECK(add_contact(fx.a, fx.ws.id, "Never") == 0);
    err_clear(&err);
    CHECK_INT(store_setting_set(fx.a, fx.ws.id, "k", "v", &err), SYNC_EDB);
    CHECK(strstr(err.msg, "the transaction was lost") != NULL);
    err_clear(&err);
    CHECK_INT(store_commit(fx.a, &err), SYNC_EDB);
    CHECK(strstr(err.msg, "rolled the transaction back") != NULL);
    /* The handle works again after the failed commit. */
    CHECK(add_contact(fx.a, fx.ws.id, "Next") > 0);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT count(*) FROM contacts"), 1);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT count(*) FROM settings"), 0);

    /* The same with a rollback, which has nothing left to undo. */
    CHECK_INT(store_begin(fx.a, NULL), 0);
    CHECK(add_contact(fx.a, fx.ws.id, "Lost") > 0);
    kill_sessions(&fx);
    CHECK_INT(store_rollback(fx.a, NULL), 0);
    CHECK(add_contact(fx.a, fx.ws.id, "Kept") > 0);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT count(*) FROM contacts"), 2);
    fixture_close(&fx);
}

TEST(outbox_entry_sends_notify)
{
    struct fixture fx;
    PGconn *listener;
    PGnotify *note = NULL;
    char payload[32];

    fixture_open(&fx);
    listener = PQconnectdb(fx.db.target);
    CHECK_INT(PQstatus(listener), CONNECTION_OK);
    PQclear(PQexec(listener, "LISTEN sfsync_outbox"));
    CHECK(add_contact(fx.a, fx.ws.id, "Queued") > 0);
    for (int i = 0; i < 100 && !note; i++) {
        PQconsumeInput(listener);
        if (!(note = PQnotifies(listener)))
            usleep(20000);
    }
    CHECK(note != NULL);
    snprintf(payload, sizeof(payload), "%lld", (long long)fx.ws.id);
    if (note) {
        CHECK_STR(note->relname, "sfsync_outbox");
        CHECK_STR(note->extra, payload);
        PQfreemem(note);
    }
    PQfinish(listener);
    fixture_close(&fx);
}

TEST(run_progress_keeps_unset_values)
{
    struct fixture fx;
    struct store_run_counts counts = {0};
    struct store_run run;
    int64_t id;
    char *sql;

    fixture_open(&fx);
    CHECK_INT(store_run_begin(fx.a, fx.ws.id, "pull", 0, &id, NULL), 0);
    sql = xasprintf("SELECT count(*) FROM runs WHERE id = %lld AND "
                    "owner_pid = %ld AND owner_start > 0",
                    (long long)id, (long)getpid());
    CHECK_INT(test_db_query_int(&fx.db, sql), 1);
    free(sql);
    CHECK_INT(store_run_get(fx.a, fx.ws.id, id, &run, NULL), 0);
    CHECK(run.api == NULL);
    CHECK_INT(run.expected, -1);
    store_run_release(&run);

    /* A count above 2^31 checks that expected travels as BIGINT. */
    counts.created = 5;
    CHECK_INT(store_run_progress(fx.a, fx.ws.id, id, "bulk", 5000000000LL,
                                 &counts, NULL),
              0);
    counts.created = 9;
    CHECK_INT(store_run_progress(fx.b, fx.ws.id, id, NULL, -1, &counts,
                                 NULL),
              0);
    CHECK_INT(store_run_get(fx.a, fx.ws.id, id, &run, NULL), 0);
    CHECK_STR(run.api, "bulk");
    CHECK_INT(run.expected, 5000000000LL);
    CHECK_INT(run.counts.created, 9);
    store_run_release(&run);

    CHECK_INT(store_run_finish(fx.a, fx.ws.id, id, "ok", &counts, NULL,
                               NULL, NULL),
              0);
    CHECK_INT(store_run_progress(fx.a, fx.ws.id, id, "rest", 1, &counts,
                                 NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_run_get(fx.a, fx.ws.id, id, &run, NULL), 0);
    CHECK_STR(run.api, "bulk");
    store_run_release(&run);
    fixture_close(&fx);
}

TEST(unlinked_after_by_id)
{
    struct fixture fx;
    struct store_workspace other = {0};
    struct store_link link;
    int64_t first, second, max_id = -1;
    bool any = true;

    fixture_open(&fx);
    CHECK_INT(store_contact_unlinked_after(fx.a, fx.ws.id, 0, &any, &max_id,
                                           NULL),
              0);
    CHECK(!any);
    CHECK_INT(max_id, 0);
    first = add_contact(fx.a, fx.ws.id, "First");
    second = add_contact(fx.a, fx.ws.id, "Second");
    CHECK_INT(store_contact_unlinked_after(fx.a, fx.ws.id, first, &any,
                                           &max_id, NULL),
              0);
    CHECK(any);
    CHECK_INT(max_id, second);
    CHECK_INT(store_contact_unlinked_after(fx.a, fx.ws.id, second, &any,
                                           &max_id, NULL),
              0);
    CHECK(!any);

    /* A linked contact no longer counts, nor one of another workspace. */
    store_link_init(&link);
    link.workspace_id = fx.ws.id;
    link.contact_id = second;
    link.object = SF_OBJECT_CONTACT;
    snprintf(link.sf_id, sizeof(link.sf_id), "0035500001H9cakAAB");
    CHECK_INT(store_link_upsert(fx.a, &link, NULL), 0);
    store_link_release(&link);
    CHECK_INT(store_workspace_get_or_create(fx.a, "other", &other, NULL), 0);
    CHECK(add_contact(fx.a, other.id, "Elsewhere") > second);
    CHECK_INT(store_contact_unlinked_after(fx.b, fx.ws.id, first, &any,
                                           &max_id, NULL),
              0);
    CHECK(!any);
    CHECK_INT(max_id, second);
    store_workspace_release(&other);
    fixture_close(&fx);
}

/* A contact with an email, a phone and a mobile phone, each optional. */
static int64_t add_person(struct store *s, int64_t ws, const char *last,
                          const char *email, const char *phone,
                          const char *mobile)
{
    struct contact c;
    struct err err;
    int64_t id;

    contact_init(&c);
    c.workspace_id = ws;
    contact_set_text(&c, CONTACT_LAST_NAME, last);
    contact_set_text(&c, CONTACT_EMAIL, email);
    contact_set_text(&c, CONTACT_PHONE, phone);
    contact_set_text(&c, CONTACT_MOBILE_PHONE, mobile);
    err_clear(&err);
    if (store_contact_insert(s, &c, STORE_ORIGIN_LOCAL, &err) < 0)
        fprintf(stderr, "insert failed: %s\n", err.msg);
    id = c.id;
    contact_release(&c);
    return id;
}

TEST(contact_find_includes_linked_contacts)
{
    struct fixture fx;
    struct store_link link;
    struct contact c;
    int64_t ids[8];
    size_t count;
    int64_t same, no_email, other, linked, archived;

    fixture_open(&fx);
    same = add_person(fx.a, fx.ws.id, "Same", "pat@example.com",
                      "415.555.2671", NULL);
    no_email = add_person(fx.a, fx.ws.id, "NoEmail", NULL, NULL,
                          "(415) 555-2671");
    other = add_person(fx.a, fx.ws.id, "Other", "other@example.com",
                       "415 555 2671", NULL);
    linked = add_person(fx.a, fx.ws.id, "Linked", "PAT@example.com", NULL,
                        "4155552671");
    archived = add_person(fx.a, fx.ws.id, "Archived", "pat@example.com",
                          "4155552671", NULL);
    add_person(fx.a, fx.ws.id, "Elsewhere", "pat@example.com", "4155552672",
               NULL);
    store_link_init(&link);
    link.workspace_id = fx.ws.id;
    link.contact_id = linked;
    link.object = SF_OBJECT_CONTACT;
    snprintf(link.sf_id, sizeof(link.sf_id), "0035500001H9cakAAB");
    CHECK_INT(store_link_upsert(fx.a, &link, NULL), 0);
    contact_init(&c);
    CHECK_INT(store_contact_get(fx.a, fx.ws.id, archived, &c, NULL), 0);
    c.archived = true;
    CHECK_INT(store_contact_update(fx.a, &c, STORE_ORIGIN_LOCAL, NULL), 0);
    contact_release(&c);

    /* Phone and mobile phone both match; another email is left out. */
    CHECK_INT(store_contact_find_by_phone(fx.b, fx.ws.id, "+14155552671",
                                          "Pat@Example.com", ids, 8, &count,
                                          NULL),
              0);
    CHECK_INT(count, 3);
    CHECK_INT(ids[0], same);
    CHECK_INT(ids[1], no_email);
    CHECK_INT(ids[2], linked);
    CHECK_INT(store_contact_find_by_phone(fx.b, fx.ws.id, "+14155552671",
                                          NULL, ids, 8, &count, NULL),
              0);
    CHECK_INT(count, 4);
    CHECK_INT(ids[2], other);
    CHECK_INT(store_contact_find_by_phone(fx.b, fx.ws.id, "+14155552671",
                                          NULL, ids, 2, &count, NULL),
              0);
    CHECK_INT(count, 2);
    CHECK_INT(ids[1], no_email);
    CHECK_INT(store_contact_find_by_email(fx.b, fx.ws.id, "pat@EXAMPLE.com",
                                          ids, 8, &count, NULL),
              0);
    CHECK_INT(count, 3);
    CHECK_INT(ids[0], same);
    CHECK_INT(ids[1], linked);
    /* The unlinked lookup still leaves the linked contact out. */
    CHECK_INT(store_contact_find_unlinked_by_email(
                  fx.b, fx.ws.id, "pat@example.com", ids, 8, &count, NULL),
              0);
    CHECK_INT(count, 2);
    CHECK_INT(store_contact_find_by_email(fx.b, fx.ws.id + 1,
                                          "pat@example.com", ids, 8, &count,
                                          NULL),
              0);
    CHECK_INT(count, 0);
    fixture_close(&fx);
}

TEST(tombstone_put_get_delete)
{
    struct fixture fx;
    struct store_tombstone t, got;
    struct err err;
    int64_t kept, survivor;

    fixture_open(&fx);
    kept = add_contact(fx.a, fx.ws.id, "Kept");
    survivor = add_contact(fx.a, fx.ws.id, "Survivor");
    memset(&t, 0, sizeof(t));
    t.workspace_id = fx.ws.id;
    t.contact_id = kept;
    t.object = SF_OBJECT_LEAD;
    /* A 15-character id is stored in its 18-character form. */
    snprintf(t.sf_id, sizeof(t.sf_id), "00Q5500000AbCdE");
    CHECK_INT(store_tombstone_put(fx.a, &t, NULL), 0);
    CHECK(t.created_ms > 0);
    CHECK_INT(store_tombstone_get(fx.b, fx.ws.id, kept, &got, NULL), 0);
    CHECK_INT(got.contact_id, kept);
    CHECK_INT(got.workspace_id, fx.ws.id);
    CHECK_INT(got.object, SF_OBJECT_LEAD);
    CHECK_INT(strlen(got.sf_id), 18);
    CHECK(strncmp(got.sf_id, "00Q5500000AbCdE", 15) == 0);
    CHECK_INT(got.survivor_id, 0);
    CHECK_INT(got.created_ms, t.created_ms);

    /* A second put replaces the first. */
    t.object = SF_OBJECT_CONTACT;
    snprintf(t.sf_id, sizeof(t.sf_id), "0035500001H9cakAAB");
    t.survivor_id = survivor;
    CHECK_INT(store_tombstone_put(fx.a, &t, NULL), 0);
    CHECK_INT(store_tombstone_get(fx.b, fx.ws.id, kept, &got, NULL), 0);
    CHECK_INT(got.object, SF_OBJECT_CONTACT);
    CHECK_STR(got.sf_id, "0035500001H9cakAAB");
    CHECK_INT(got.survivor_id, survivor);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT count(*) FROM tombstones"),
              1);

    err_clear(&err);
    CHECK_INT(store_tombstone_get(fx.b, fx.ws.id + 1, kept, &got, &err),
              SYNC_ENOTFOUND);
    t.contact_id = survivor + 100;
    err_clear(&err);
    CHECK_INT(store_tombstone_put(fx.a, &t, &err), SYNC_ENOTFOUND);
    CHECK(strstr(err.msg, "not found") != NULL);
    snprintf(t.sf_id, sizeof(t.sf_id), "not-an-id");
    t.contact_id = kept;
    CHECK_INT(store_tombstone_put(fx.a, &t, NULL), SYNC_EINVALID);

    CHECK_INT(store_tombstone_delete(fx.a, fx.ws.id, kept, NULL), 0);
    err_clear(&err);
    CHECK_INT(store_tombstone_get(fx.b, fx.ws.id, kept, &got, &err),
              SYNC_ENOTFOUND);
    CHECK(strstr(err.msg, "has no tombstone") != NULL);
    CHECK_INT(store_tombstone_delete(fx.a, fx.ws.id, kept, NULL), 0);
    fixture_close(&fx);
}

/* A pid that no process has: a child that has exited and been reaped. */
static int64_t dead_pid(void)
{
    pid_t child = fork();

    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    return (int64_t)child;
}

TEST(lock_taken_released_and_taken_over)
{
    struct fixture fx;
    struct store_lock holder;
    struct err err;
    int64_t self = (int64_t)getpid(), parent = (int64_t)getppid();
    int64_t dead = dead_pid();
    char *sql;

    fixture_open(&fx);
    CHECK_INT(store_lock_acquire(fx.a, fx.ws.id, "sync", self, "sfsync sync",
                                 &holder, NULL),
              0);
    /* Taking a lock one holds already succeeds. */
    CHECK_INT(store_lock_acquire(fx.a, fx.ws.id, "sync", self, "sfsync sync",
                                 &holder, NULL),
              0);
    err_clear(&err);
    CHECK_INT(store_lock_acquire(fx.b, fx.ws.id, "sync", parent,
                                 "sfsync pull contacts", &holder, &err),
              SYNC_ECONFLICT);
    CHECK_INT(holder.pid, self);
    CHECK_STR(holder.command, "sfsync sync");
    CHECK(strstr(err.msg, "'sfsync sync' is running on host '") != NULL);
    CHECK(strstr(err.msg, "holds this workspace's sync lock") != NULL);
    /* Another name, or another workspace, is another lock. */
    CHECK_INT(store_lock_acquire(fx.b, fx.ws.id, "pull", parent, "sfsync",
                                 &holder, NULL),
              0);
    /* Only the holder releases. */
    CHECK_INT(store_lock_release(fx.b, fx.ws.id, "sync", parent, NULL), 0);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT count(*) FROM locks"), 2);
    CHECK_INT(store_lock_release(fx.a, fx.ws.id, "sync", self, NULL), 0);
    CHECK_INT(store_lock_acquire(fx.b, fx.ws.id, "sync", parent, "sfsync",
                                 &holder, NULL),
              0);
    CHECK_INT(store_lock_release(fx.b, fx.ws.id, "sync", parent, NULL), 0);

    /* A row left by a holder that ended, with nothing holding the lock,
     * is replaced. */
    sql = xasprintf("INSERT INTO locks (workspace_id, name, pid, "
                    "started_ms) VALUES (%lld, 'sync', %lld, 1)",
                    (long long)fx.ws.id, (long long)dead);
    CHECK_INT(test_db_exec_sql(&fx.db, sql, false), 0);
    free(sql);
    CHECK_INT(store_lock_acquire(fx.b, fx.ws.id, "sync", self, "sfsync",
                                 &holder, NULL),
              0);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT pid FROM locks WHERE "
                                        "name = 'sync'"),
              self);
    CHECK_INT(store_lock_release(fx.b, fx.ws.id, "sync", self, NULL), 0);

    /* A holder whose pid no process here has still holds the lock: only
     * its connection or descriptor ending frees it. */
    CHECK_INT(store_lock_acquire(fx.a, fx.ws.id, "sync", dead,
                                 "sfsync worker W5:7753ef3e", &holder, NULL),
              0);
    err_clear(&err);
    CHECK_INT(store_lock_acquire(fx.b, fx.ws.id, "sync", self, "sfsync sync",
                                 &holder, &err),
              SYNC_ECONFLICT);
    CHECK_INT(holder.pid, dead);
    CHECK(strstr(err.msg, "'sfsync worker W5:7753ef3e' is running") != NULL);
    fixture_close(&fx);
}

struct lock_job {
    struct store *store;
    int64_t ws;
    int64_t pid;
    struct store_lock holder;
    int rc;
    struct err err;
};

static void *run_lock(void *arg)
{
    struct lock_job *job = arg;

    err_clear(&job->err);
    job->rc = store_lock_acquire(job->store, job->ws, "sync", job->pid,
                                 "sfsync sync", &job->holder, &job->err);
    return NULL;
}

/* The number of sessions waiting on a lock, at least count, within 5 s. */
static bool wait_for_lock_waiters(const struct fixture *fx, long long count)
{
    for (int i = 0; i < 500; i++) {
        if (lock_waiters(fx) >= count)
            return true;
        usleep(10000);
    }
    return false;
}

TEST(racing_handles_take_the_lock_once)
{
    struct fixture fx;
    PGconn *gate;
    PGresult *res;

    fixture_open(&fx);
    gate = PQconnectdb(fx.db.target);
    CHECK_INT(PQstatus(gate), CONNECTION_OK);
    for (int round = 0; round < 10; round++) {
        struct lock_job one = {fx.a, fx.ws.id, (int64_t)getpid(), {0}, 0, {0}};
        struct lock_job two = {fx.b, fx.ws.id, (int64_t)getppid(), {0}, 0,
                               {0}};
        pthread_t threads[2];
        struct lock_job *won, *lost;

        /* The gate holds the table until both handles wait on it, so
         * that both read the lock before either has written it. */
        res = PQexec(gate, "BEGIN; LOCK TABLE locks IN ACCESS EXCLUSIVE MODE");
        CHECK_INT(PQresultStatus(res), PGRES_COMMAND_OK);
        PQclear(res);
        CHECK_INT(pthread_create(&threads[0], NULL, run_lock, &one), 0);
        CHECK_INT(pthread_create(&threads[1], NULL, run_lock, &two), 0);
        CHECK(wait_for_lock_waiters(&fx, 2));
        PQclear(PQexec(gate, "COMMIT"));
        CHECK_INT(pthread_join(threads[0], NULL), 0);
        CHECK_INT(pthread_join(threads[1], NULL), 0);

        won = one.rc == 0 ? &one : &two;
        lost = won == &one ? &two : &one;
        CHECK_INT(won->rc, 0);
        CHECK_INT(lost->rc, SYNC_ECONFLICT);
        /* The loser may read the row before the winner has described
         * itself in it. */
        CHECK(lost->holder.pid == 0 || lost->holder.pid == won->pid);
        CHECK_INT(test_db_query_int(&fx.db, "SELECT pid FROM locks"),
                  won->pid);
        CHECK_INT(store_lock_release(won->store, fx.ws.id, "sync", won->pid,
                                     NULL),
                  0);
        CHECK_INT(test_db_query_int(&fx.db, "SELECT count(*) FROM locks"), 0);
    }
    PQfinish(gate);
    fixture_close(&fx);
}

/* Lease times come from the server's clock, which here is this machine's
 * clock read over a connection. */
TEST(clock_is_the_servers)
{
    struct fixture fx;
    int64_t before, server = 0, after;

    fixture_open(&fx);
    before = datetime_now_ms();
    CHECK_INT(store_clock_ms(fx.a, &server, NULL), 0);
    after = datetime_now_ms();
    CHECK(server >= before - 1000);
    CHECK(server <= after + 1000);
    fixture_close(&fx);
}

TEST(lease_held_until_it_expires)
{
    struct fixture fx;
    struct store_workspace *list = NULL;
    size_t count = 0;
    int64_t now = datetime_now_ms(), got = -1;

    fixture_open(&fx);
    CHECK_INT(store_workspace_list(fx.a, &list, &count, NULL), 0);
    CHECK_INT(count, 1);
    if (count == 1) {
        CHECK_INT(list[0].id, fx.ws.id);
        CHECK_STR(list[0].name, "main");
    }
    store_workspaces_free(list, count);

    CHECK_INT(store_lease_take(fx.a, 0, "a:1", INT64_MAX, now + 60000, &got,
                               NULL),
              0);
    CHECK_INT(got, fx.ws.id);
    /* Held: neither another owner nor the same one takes it again. */
    CHECK_INT(store_lease_take(fx.b, fx.ws.id, "b:1", INT64_MAX,
                               now + 60000, &got, NULL),
              0);
    CHECK_INT(got, 0);
    CHECK_INT(store_lease_renew(fx.b, fx.ws.id, "b:1", now + 60000, NULL),
              SYNC_ENOTFOUND);
    /* A renewal into the past lets it expire, as a killed owner's does. */
    CHECK_INT(store_lease_renew(fx.a, fx.ws.id, "a:1", now - 1, NULL), 0);
    CHECK_INT(store_lease_take(fx.b, 0, "b:1", INT64_MAX, now + 60000, &got,
                               NULL),
              0);
    CHECK_INT(got, fx.ws.id);
    CHECK_INT(store_lease_release(fx.a, fx.ws.id, "a:1", now, NULL),
              SYNC_ENOTFOUND);
    CHECK_INT(store_lease_release(fx.b, fx.ws.id, "b:1", now, NULL), 0);
    /* Free again, but synced at now: a taker wanting older rounds skips
     * it and one wanting newer takes it. */
    CHECK_INT(store_lease_take(fx.a, 0, "a:1", now, now + 60000, &got, NULL),
              0);
    CHECK_INT(got, 0);
    CHECK_INT(store_lease_take(fx.a, 0, "a:1", now + 1, now + 60000, &got,
                               NULL),
              0);
    CHECK_INT(got, fx.ws.id);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT count(*) FROM leases WHERE "
                                        "owner = 'a:1'"),
              1);
    fixture_close(&fx);
}

/* One concurrent taker, with a store handle of its own. */
struct take_job {
    const char *target;
    pthread_barrier_t *ready; /* all handles open, so the takes overlap */
    char owner[16];
    int64_t got[4];
    size_t count;
    int rc;
};

static void *take_main(void *arg)
{
    struct take_job *job = arg;
    struct store *s = NULL;
    struct err err;
    int64_t got;

    job->rc = store_open(&s, job->target, &err);
    pthread_barrier_wait(job->ready);
    if (job->rc < 0)
        return NULL;
    do {
        job->rc = store_lease_take(s, 0, job->owner, INT64_MAX,
                                   datetime_now_ms() + 60000, &got, &err);
        if (job->rc == 0 && got)
            job->got[job->count++] = got;
    } while (job->rc == 0 && got && job->count < ARRAY_SIZE(job->got));
    store_close(s);
    return NULL;
}

TEST(concurrent_takers_never_share_a_lease)
{
    struct fixture fx;
    struct store_workspace extra[3] = {{0}};
    struct take_job jobs[6];
    pthread_t threads[6];
    pthread_barrier_t ready;
    size_t total = 0;

    fixture_open(&fx);
    for (int i = 0; i < 3; i++) {
        char name[16];

        snprintf(name, sizeof(name), "ws%d", i);
        CHECK_INT(store_workspace_get_or_create(fx.a, name, &extra[i], NULL),
                  0);
    }
    pthread_barrier_init(&ready, NULL, 6);
    for (int i = 0; i < 6; i++) {
        memset(&jobs[i], 0, sizeof(jobs[i]));
        jobs[i].target = fx.db.target;
        jobs[i].ready = &ready;
        snprintf(jobs[i].owner, sizeof(jobs[i].owner), "t%d", i);
        CHECK_INT(pthread_create(&threads[i], NULL, take_main, &jobs[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(threads[i], NULL);
        CHECK_INT(jobs[i].rc, 0);
        total += jobs[i].count;
    }
    pthread_barrier_destroy(&ready);
    /* Four workspaces, each taken by exactly one owner. */
    CHECK_INT(total, 4);
    for (int i = 0; i < 6; i++)
        for (size_t j = 0; j < jobs[i].count; j++)
            for (int k = 0; k < 6; k++)
                for (size_t l = 0; l < jobs[k].count; l++)
                    if (k != i || l != j)
                        CHECK(jobs[i].got[j] != jobs[k].got[l]);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT count(*) FROM leases "
                                        "WHERE owner <> ''"),
              4);
    for (int i = 0; i < 3; i++)
        store_workspace_release(&extra[i]);
    fixture_close(&fx);
}

TEST(notify_wait_wakes_on_outbox_entry)
{
    struct fixture fx;
    int64_t ws = -1, start;

    fixture_open(&fx);
    /* The first call starts listening; nothing is queued yet. */
    CHECK_INT(store_notify_wait(fx.a, 0, &ws, NULL), 0);
    CHECK_INT(ws, 0);
    start = datetime_now_ms();
    CHECK_INT(store_notify_wait(fx.a, 200, &ws, NULL), 0);
    CHECK_INT(ws, 0);
    CHECK(datetime_now_ms() - start >= 150);
    CHECK(add_contact(fx.b, fx.ws.id, "Queued") > 0);
    start = datetime_now_ms();
    CHECK_INT(store_notify_wait(fx.a, 5000, &ws, NULL), 0);
    CHECK_INT(ws, fx.ws.id);
    CHECK(datetime_now_ms() - start < 4000);
    fixture_close(&fx);
}

TEST(run_records_its_worker)
{
    struct fixture fx;
    int64_t first, second;
    char *sql;

    fixture_open(&fx);
    CHECK_INT(store_run_begin(fx.a, fx.ws.id, "sync", -1, &first, NULL), 0);
    store_set_run_worker(fx.a, "host:1:abcd");
    CHECK_INT(store_run_begin(fx.a, fx.ws.id, "sync", -1, &second, NULL), 0);
    sql = xasprintf("SELECT count(*) FROM runs WHERE (id = %lld AND "
                    "worker IS NULL) OR (id = %lld AND "
                    "worker = 'host:1:abcd')",
                    (long long)first, (long long)second);
    CHECK_INT(test_db_query_int(&fx.db, sql), 2);
    free(sql);
    fixture_close(&fx);
}

int test_failures;

int main(int argc, char **argv)
{
    static const struct test_case cases[] = {
        TEST_ENTRY(update_waits_for_row_lock),
        TEST_ENTRY(concurrent_links_of_one_record),
        TEST_ENTRY(concurrent_opens_migrate_once),
        TEST_ENTRY(lost_connection_reconnects_once),
        TEST_ENTRY(lost_connection_inside_transaction),
        TEST_ENTRY(outbox_entry_sends_notify),
        TEST_ENTRY(run_progress_keeps_unset_values),
        TEST_ENTRY(unlinked_after_by_id),
        TEST_ENTRY(contact_find_includes_linked_contacts),
        TEST_ENTRY(tombstone_put_get_delete),
        TEST_ENTRY(lock_taken_released_and_taken_over),
        TEST_ENTRY(racing_handles_take_the_lock_once),
        TEST_ENTRY(clock_is_the_servers),
        TEST_ENTRY(lease_held_until_it_expires),
        TEST_ENTRY(concurrent_takers_never_share_a_lease),
        TEST_ENTRY(notify_wait_wakes_on_outbox_entry),
        TEST_ENTRY(run_records_its_worker),
    };

    if (!test_db_is_pg()) {
        printf("skipped: %s is not set\n", TEST_PG_ENV);
        return EXIT_SKIP;
    }
    return test_run(cases, ARRAY_SIZE(cases), argc, argv);
}
