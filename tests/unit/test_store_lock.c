/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Unit tests of workspace locks held by another process, against a real
 * SQLite file or, with SFSYNC_TEST_PG set, a real PostgreSQL database. A
 * forked child holds the lock, and its row is rewritten to name another
 * host and a pid that no local process has, as a holder on another
 * machine or in another PID namespace would.
 */
#include "base/common.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"
#include "test_store_target.h"

#define FAR_COMMAND "sfsync worker W5:7753ef3e"

struct fixture {
    struct test_db db;
    struct store *store;
    struct store_workspace ws;
};

static void fixture_open(struct fixture *fx)
{
    struct err err;

    memset(fx, 0, sizeof(*fx));
    test_db_init(&fx->db, "sfsync-lock");
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

/* The pid of a child that has exited and been reaped. */
static pid_t ended_pid(void)
{
    pid_t pid = fork();

    if (pid == 0)
        _exit(0);
    waitpid(pid, NULL, 0);
    return pid;
}

/* A child process holding the workspace's "sync" lock. */
struct holder_child {
    pid_t pid;
    int stop_fd; /* closing it makes the child exit without releasing */
};

/*
 * Fork a child that opens its own store, takes the lock as pid fake_pid
 * and waits. Return true once the child holds it.
 */
static bool holder_start(struct holder_child *h, const struct fixture *fx,
                         int64_t fake_pid)
{
    int ready[2], stop[2];
    char answer = 'n';

    if (pipe(ready) < 0 || pipe(stop) < 0)
        abort();
    h->pid = fork();
    if (h->pid == 0) {
        struct store_lock other;
        struct store *s = NULL;
        struct err err;
        char byte;

        close(ready[0]);
        close(stop[1]);
        err_clear(&err);
        if (store_open(&s, fx->db.target, &err) == 0 &&
            store_lock_acquire(s, fx->ws.id, "sync", fake_pid, FAR_COMMAND,
                               &other, &err) == 0)
            answer = 'y';
        else
            fprintf(stderr, "holder failed: %s\n", err.msg);
        if (write(ready[1], &answer, 1) != 1)
            _exit(1);
        while (read(stop[0], &byte, 1) > 0)
            ;
        _exit(0); /* no release: as a killed holder ends */
    }
    close(ready[1]);
    close(stop[0]);
    h->stop_fd = stop[1];
    if (read(ready[0], &answer, 1) != 1)
        answer = 'n';
    close(ready[0]);
    return answer == 'y';
}

/* Kill the holder and wait up to 5 s for its lock to be free: the kernel
 * releases a lock file's lock when the process ends, but the PostgreSQL
 * server ends the session only once it reads the closed connection. */
static void holder_kill(struct holder_child *h, const struct fixture *fx)
{
    close(h->stop_fd);
    kill(h->pid, SIGKILL);
    waitpid(h->pid, NULL, 0);
    if (!test_db_is_pg())
        return;
    for (int i = 0; i < 500; i++) {
        if (test_db_query_int(&fx->db, "SELECT count(*) FROM pg_locks "
                                       "WHERE locktype = 'advisory'") == 0)
            return;
        usleep(10000);
    }
    fprintf(stderr, "the killed holder's advisory lock stayed held\n");
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

TEST(lock_of_far_holder_rejected)
{
    struct fixture fx;
    struct holder_child child;
    struct store_lock holder;
    struct err err;
    pid_t far_pid = ended_pid();
    char *want;

    fixture_open(&fx);
    CHECK(holder_start(&child, &fx, far_pid));
    CHECK_INT(test_db_exec_sql(&fx.db,
                               "UPDATE locks SET host = 'far-host'", false),
              0);

    err_clear(&err);
    CHECK_INT(store_lock_acquire(fx.store, fx.ws.id, "sync", getpid(),
                                 "sfsync sync", &holder, &err),
              SYNC_ECONFLICT);
    CHECK_INT(holder.pid, far_pid);
    CHECK_STR(holder.host, "far-host");
    CHECK_STR(holder.command, FAR_COMMAND);
    want = xasprintf("'" FAR_COMMAND "' is running on host 'far-host' as "
                     "process %d since ",
                     (int)far_pid);
    CHECK(strstr(err.msg, want) != NULL);
    free(want);
    /* The refusal leaves the holder's row as it was. */
    CHECK_INT(test_db_query_int(&fx.db, "SELECT pid FROM locks WHERE "
                                        "name = 'sync'"),
              far_pid);

    holder_kill(&child, &fx);
    CHECK_INT(store_lock_acquire(fx.store, fx.ws.id, "sync", getpid(),
                                 "sfsync sync", &holder, NULL),
              0);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT pid FROM locks WHERE "
                                        "name = 'sync'"),
              getpid());
    CHECK_INT(store_lock_release(fx.store, fx.ws.id, "sync", getpid(), NULL),
              0);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT count(*) FROM locks"), 0);
    fixture_close(&fx);
}

TEST(run_of_far_holder_not_abandoned)
{
    struct fixture fx;
    struct holder_child child;
    pid_t far_pid = ended_pid();
    size_t marked = 99;
    int64_t run_id;
    char *sql, *status;

    fixture_open(&fx);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "sync", -1, &run_id, NULL),
              0);
    sql = xasprintf("UPDATE runs SET owner_pid = %d WHERE id = %lld",
                    (int)far_pid, (long long)run_id);
    CHECK_INT(test_db_exec_sql(&fx.db, sql, false), 0);
    free(sql);
    CHECK(holder_start(&child, &fx, far_pid));

    /* The lock is held, so the run may be running there. */
    CHECK_INT(store_run_abandon_dead(fx.store, fx.ws.id, &marked, NULL), 0);
    CHECK_INT(marked, 0);
    status = run_status(&fx, run_id);
    CHECK_STR(status, "running");
    free(status);

    /* The holder ended, which freed the lock. */
    holder_kill(&child, &fx);
    CHECK_INT(store_run_abandon_dead(fx.store, fx.ws.id, &marked, NULL), 0);
    CHECK_INT(marked, 1);
    status = run_status(&fx, run_id);
    CHECK_STR(status, "abandoned");
    free(status);
    fixture_close(&fx);
}

TEST(run_abandoned_under_own_lock)
{
    struct fixture fx;
    struct store_lock holder;
    size_t marked = 99;
    int64_t run_id;
    char *sql, *status;

    fixture_open(&fx);
    CHECK_INT(store_run_begin(fx.store, fx.ws.id, "sync", -1, &run_id, NULL),
              0);
    sql = xasprintf("UPDATE runs SET owner_pid = %d WHERE id = %lld",
                    (int)ended_pid(), (long long)run_id);
    CHECK_INT(test_db_exec_sql(&fx.db, sql, false), 0);
    free(sql);
    /* This store holds the lock, so no other process runs a run. */
    CHECK_INT(store_lock_acquire(fx.store, fx.ws.id, "sync", getpid(),
                                 "sfsync sync", &holder, NULL),
              0);
    CHECK_INT(store_run_abandon_dead(fx.store, fx.ws.id, &marked, NULL), 0);
    CHECK_INT(marked, 1);
    status = run_status(&fx, run_id);
    CHECK_STR(status, "abandoned");
    free(status);
    CHECK_INT(store_lock_release(fx.store, fx.ws.id, "sync", getpid(), NULL),
              0);
    fixture_close(&fx);
}

TEST(lock_name_invalid)
{
    struct fixture fx;
    struct store_lock holder;
    struct err err;

    fixture_open(&fx);
    err_clear(&err);
    CHECK_INT(store_lock_acquire(fx.store, fx.ws.id, "../sync", getpid(),
                                 "sfsync sync", &holder, &err),
              SYNC_EINVALID);
    CHECK(strstr(err.msg, "invalid lock name '../sync'") != NULL);
    fixture_close(&fx);
}

TEST(lock_file_private)
{
    struct fixture fx;
    struct store_lock holder;
    struct stat st;
    char *path;

    if (test_db_is_pg())
        return; /* PostgreSQL's advisory locks need no file */
    fixture_open(&fx);
    CHECK_INT(store_lock_acquire(fx.store, fx.ws.id, "sync", getpid(),
                                 "sfsync sync", &holder, NULL),
              0);
    path = xasprintf("%s.sync.lock", fx.db.target);
    CHECK_INT(stat(path, &st), 0);
    CHECK_INT(st.st_mode & 0777, 0600);
    free(path);
    CHECK_INT(store_lock_release(fx.store, fx.ws.id, "sync", getpid(), NULL),
              0);
    fixture_close(&fx);
}

TEST(lock_lost_with_connection)
{
    struct fixture fx;
    struct store *other = NULL;
    struct store_workspace ws = {0};
    struct store_lock holder;
    struct err err;
    long long backend;
    char *sql;

    if (!test_db_is_pg())
        return; /* a SQLite lock lives as long as its process */
    fixture_open(&fx);
    CHECK_INT(store_open(&other, fx.db.target, NULL), 0);
    CHECK_INT(store_lock_acquire(fx.store, fx.ws.id, "sync", getpid(),
                                 "sfsync sync", &holder, NULL),
              0);
    backend = test_db_query_int(&fx.db,
                                "SELECT pid FROM pg_locks WHERE "
                                "locktype = 'advisory' AND objsubid = 2 "
                                "AND granted");
    CHECK(backend > 0);
    sql = xasprintf("SELECT pg_terminate_backend(%lld)", backend);
    CHECK_INT(test_db_exec_sql(&fx.db, sql, false), 0);
    free(sql);
    usleep(200000);

    /* The server released the lock with the session. */
    CHECK_INT(store_lock_acquire(other, fx.ws.id, "sync", getppid(),
                                 "sfsync pull contacts", &holder, NULL),
              0);
    /* The old holder's calls fail, also after the reconnect. */
    for (int i = 0; i < 2; i++) {
        err_clear(&err);
        CHECK_INT(store_workspace_get(fx.store, "main", &ws, &err), SYNC_EDB);
        if (i == 1)
            CHECK(strstr(err.msg, "workspace lock was lost") != NULL);
    }
    /* Releasing ends that, and leaves the new holder's row. */
    CHECK_INT(store_lock_release(fx.store, fx.ws.id, "sync", getpid(), NULL),
              0);
    CHECK_INT(store_workspace_get(fx.store, "main", &ws, NULL), 0);
    store_workspace_release(&ws);
    CHECK_INT(test_db_query_int(&fx.db, "SELECT pid FROM locks"), getppid());
    CHECK_INT(store_lock_acquire(fx.store, fx.ws.id, "sync", getpid(),
                                 "sfsync sync", &holder, NULL),
              SYNC_ECONFLICT);
    store_close(other);
    fixture_close(&fx);
}

TEST_MAIN(TEST_ENTRY(lock_of_far_holder_rejected),
          TEST_ENTRY(run_of_far_holder_not_abandoned),
          TEST_ENTRY(run_abandoned_under_own_lock),
          TEST_ENTRY(lock_name_invalid), TEST_ENTRY(lock_file_private),
          TEST_ENTRY(lock_lost_with_connection))
