/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The background work of sfsync serve. The sync thread runs a round when
 * the outbox gets an entry through the API and every poll_interval
 * seconds, and checks the Salesforce authentication every verify_interval
 * seconds. Each manual pull runs in its own thread. A work lock lets one
 * round or pull run at a time, and each thread opens its own store handle.
 * Each round and pull also holds the workspace's "sync" lock in the
 * store, which keeps out the pulls, syncs and workers of other processes.
 */
#include "base/common.h"

#include <inttypes.h>
#include <time.h>
#include <unistd.h>

#include "base/datetime.h"
#include "serve_int.h"
#include "sync/connection.h"
#include "sync/engine.h"
#include "sync/settings.h"

/* How long POST /api/pulls waits for a running round to let the pull in. */
#define PULL_START_WAIT_MS 30000
#define PULL_POLL_MS 20
/* The pause between attempts to record the end of a run while the store
 * fails. */
#define RECORD_RETRY_MS 1000

/* Wait on srv->cond until ms (wall clock); under srv->lock. */
static void wait_until(struct serve *srv, int64_t ms)
{
    struct timespec ts;
    int64_t delta = ms - datetime_now_ms();

    if (delta <= 0)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += delta / 1000;
    ts.tv_nsec += (delta % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(&srv->cond, &srv->lock, &ts);
}

static void note_usage(struct serve *srv, struct connection *conn)
{
    struct sf_http_stats st;

    if (!conn->client)
        return;
    sf_http_get_stats(sf_client_http(conn->client), &st);
    pthread_mutex_lock(&srv->lock);
    if (st.api_used >= 0 && st.api_max >= 0) {
        srv->api_used = st.api_used;
        srv->api_max = st.api_max;
    }
    srv->api_calls += st.api_calls;
    pthread_mutex_unlock(&srv->lock);
}

/* Store the outcome of a check, problem or NULL when healthy, and log a
 * change. */
static void set_problem(struct serve *srv, struct store *s,
                        const char *problem)
{
    struct connection_status st;
    struct err err;
    bool changed;

    connection_status_get(s, srv->ws, &st, NULL);
    changed = (problem == NULL) != (st.check_problem == NULL) ||
              (problem && strcmp(problem, st.check_problem) != 0);
    connection_status_release(&st);
    if (connection_note_check(s, srv->ws, problem, &err) < 0)
        log_warn("serve", "storing the outcome of a connection check failed",
                 "workspace=%s error=%s", srv->ws_name, err.msg);
    if (changed && problem)
        log_warn("serve", "Salesforce connection check failed",
                 "workspace=%s error=%s", srv->ws_name, problem);
    else if (changed)
        log_info("serve", "Salesforce connection verified",
                 "workspace=%s", srv->ws_name);
}

/*
 * Store the outcome of a round or pull that ended with rc and err as a
 * check of the connection. A failure with no reply or an error reply from
 * Salesforce becomes the connection's problem. A run that succeeded
 * clears one. A rejection is stored by the run itself.
 */
static void note_run_check(struct serve *srv, struct store *s, int rc,
                           const struct err *err)
{
    const char *code = sync_run_error_code(rc, err);
    struct connection_status st;
    bool stored;

    if (rc >= 0) {
        connection_status_get(s, srv->ws, &st, NULL);
        stored = st.check_problem != NULL;
        connection_status_release(&st);
        if (stored)
            set_problem(srv, s, NULL);
    } else if (code && (strcmp(code, "network") == 0 ||
                        strcmp(code, "salesforce") == 0)) {
        set_problem(srv, s, err->msg);
    }
}

/* Check the token with userinfo and keep the outcome. */
static void verify(struct serve *srv, struct store *s)
{
    struct connection_status st;
    struct connection conn;
    struct err err;
    int rc;

    connection_status_get(s, srv->ws, &st, NULL);
    if (!st.connected) {
        connection_status_release(&st);
        set_problem(srv, s, NULL);
        return;
    }
    connection_status_release(&st);
    if ((rc = connection_open(&conn, s, srv->ws, &err)) == 0) {
        rc = connection_verify(&conn, &err);
        note_usage(srv, &conn);
        connection_close(&conn);
    }
    set_problem(srv, s, rc < 0 ? err.msg : NULL);
}

void serve_verify_now(struct serve *srv, struct store *s)
{
    verify(srv, s);
}

/* Add the counts of a round or pull of this process to the totals. */
static void add_totals(struct serve *srv, const struct store_run_counts *c,
                       bool pull)
{
    pthread_mutex_lock(&srv->lock);
    srv->total_pushed += c->pushed;
    srv->total_pulled += c->pulled + (pull ? c->created + c->updated : 0);
    srv->total_conflicts += c->conflicts;
    pthread_mutex_unlock(&srv->lock);
}

/*
 * Take the workspace's store lock for this process. The work lock keeps
 * the threads of this process from taking it twice at once. Return 0, or
 * SYNC_ECONFLICT with err naming the process that has it.
 */
static int lock_workspace(struct serve *srv, struct store *s,
                          struct err *err)
{
    struct store_lock holder;

    return store_lock_acquire(s, srv->ws, SERVE_LOCK_NAME, (int64_t)getpid(),
                              "sfsync serve", &holder, err);
}

static void unlock_workspace(struct serve *srv, struct store *s)
{
    struct err err;

    if (store_lock_release(s, srv->ws, SERVE_LOCK_NAME, (int64_t)getpid(),
                           &err) < 0)
        log_warn("serve", "releasing the workspace lock failed",
                 "workspace=%s error=%s", srv->ws_name, err.msg);
}

/* Sleep RECORD_RETRY_MS unless serve stops; return whether it stops. */
static bool pause_unless_stopping(struct serve *srv)
{
    int64_t until = datetime_now_ms() + RECORD_RETRY_MS;
    bool stopping;

    pthread_mutex_lock(&srv->lock);
    while (!srv->stopping && datetime_now_ms() < until)
        wait_until(srv, until);
    stopping = srv->stopping;
    pthread_mutex_unlock(&srv->lock);
    return stopping;
}

/*
 * Record run_id as failed with counts when the store still shows it
 * running after its round or pull returned. That happens when the store
 * failed as the run ended, as when a PostgreSQL restart drops the
 * connection and the workspace lock with it. The attempt is repeated every
 * RECORD_RETRY_MS until a store call succeeds or serve stops. what is
 * "round" or "pull", and outcome ends the run's message.
 */
static void record_unfinished(struct serve *srv, struct store *s,
                              int64_t run_id,
                              const struct store_run_counts *counts,
                              const char *what, const char *outcome)
{
    char message[ERR_MSG_MAX];
    struct store_run run;
    bool retried = false;
    struct err err;
    int rc;

    if (!run_id)
        return;
    snprintf(message, sizeof(message),
             "the store failed as the %s ended, so its end was recorded "
             "later: %.400s",
             what, outcome);
    for (;;) {
        memset(&run, 0, sizeof(run));
        rc = store_run_get(s, srv->ws, run_id, &run, &err);
        if (rc == 0 && strcmp(run.status, "running") != 0) {
            store_run_release(&run);
            break;
        }
        if (rc == 0) {
            store_run_release(&run);
            rc = store_run_finish(s, srv->ws, run_id, "failed", counts,
                                  message, sync_run_error_code(SYNC_EDB, NULL),
                                  &err);
        }
        if (rc == 0) {
            log_info("serve", "run end recorded",
                     "workspace=%s run=%" PRId64 " status=failed",
                     srv->ws_name, run_id);
            break;
        }
        /* The workspace and its runs were deleted meanwhile. */
        if (rc == SYNC_ENOTFOUND)
            break;
        if (!retried)
            log_warn("serve", "run end not recorded, retrying",
                     "workspace=%s run=%" PRId64 " error=%s", srv->ws_name,
                     run_id, err.msg);
        retried = true;
        if (pause_unless_stopping(srv)) {
            log_warn("serve", "run end not recorded: serve is stopping",
                     "workspace=%s run=%" PRId64, srv->ws_name, run_id);
            break;
        }
    }
}

/* Set up p for a pull or round of srv in the thread of store handle s.
 * wakes is the count of serve_wake calls already handled. */
static void pusher_init(struct serve_pusher *p, struct serve *srv,
                        struct store *s, uint64_t wakes)
{
    memset(p, 0, sizeof(*p));
    p->srv = srv;
    p->store = s;
    p->wakes = wakes;
    sync_pushed_init(&p->pushed);
}

static void pusher_release(struct serve_pusher *p)
{
    if (p->open) {
        note_usage(p->srv, &p->conn);
        connection_close(&p->conn);
        p->open = false;
    }
    sync_pushed_release(&p->pushed);
}

/* Return the count of serve_wake calls so far. */
static uint64_t wakes_now(struct serve *srv)
{
    uint64_t wakes;

    pthread_mutex_lock(&srv->lock);
    wakes = srv->wakes;
    pthread_mutex_unlock(&srv->lock);
    return wakes;
}

/*
 * Push the changes of linked contacts made through the API since the last
 * push of this pull or round, between two of its pages. The push has a
 * connection of its own, because the pull's thread that reads the next
 * page ahead uses the pull's connection meanwhile.
 */
static void push_between_pages(struct serve_pusher *p)
{
    struct serve *srv = p->srv;
    struct sync_result res;
    bool stopping;
    uint64_t wakes;
    struct err err;
    int rc;

    pthread_mutex_lock(&srv->lock);
    wakes = srv->wakes;
    stopping = srv->stopping;
    pthread_mutex_unlock(&srv->lock);
    if (stopping || wakes == p->wakes)
        return;
    p->wakes = wakes;
    if (!p->open) {
        if (connection_open(&p->conn, p->store, srv->ws, &err) < 0) {
            log_warn("serve", "push between pull pages skipped: opening the "
                     "connection failed",
                     "workspace=%s error=%s", srv->ws_name, err.msg);
            return;
        }
        p->open = true;
    }
    rc = sync_push_linked(&p->conn, &p->pushed, &res, &err);
    if (rc < 0)
        log_warn("serve", "push between pull pages failed",
                 "workspace=%s run=%" PRId64 " error=%s", srv->ws_name,
                 res.run_id, err.msg);
    else if (res.counts.errors)
        log_warn("serve", "push between pull pages recorded errors",
                 "workspace=%s run=%" PRId64 " errors=%" PRId64,
                 srv->ws_name, res.run_id, res.counts.errors);
    add_totals(srv, &res.counts, false);
}

/* The between_pages callback of a round's pull. */
static void push_round_between_pages(void *payload)
{
    push_between_pages(payload);
}

/* Run one sync round when the integration is enabled and connected. */
static void run_round(struct serve *srv, struct store *s)
{
    struct sync_options opts = {0};
    struct serve_pusher pusher;
    struct sync_result res;
    struct connection conn;
    struct err err;
    int rc;

    if (!settings_enabled(s, srv->ws))
        return;
    if (connection_open(&conn, s, srv->ws, &err) < 0) {
        log_debug("serve", "sync round skipped", "reason=%s", err.msg);
        return;
    }
    pthread_mutex_lock(&srv->work_lock);
    if ((rc = lock_workspace(srv, s, &err)) < 0) {
        /* Another process syncs the workspace, so the next poll tries
         * again. */
        if (rc == SYNC_ECONFLICT)
            log_info("serve", "sync round skipped", "workspace=%s reason=%s",
                     srv->ws_name, err.msg);
        else
            log_warn("serve", "sync round skipped: taking the workspace "
                     "lock failed",
                     "workspace=%s error=%s", srv->ws_name, err.msg);
        pthread_mutex_unlock(&srv->work_lock);
        connection_close(&conn);
        return;
    }
    pthread_mutex_lock(&srv->lock);
    srv->round_running = true;
    pthread_mutex_unlock(&srv->lock);
    /* The round's push step sends what is pending now, so only later
     * changes are pushed between the pages of its pull. */
    pusher_init(&pusher, srv, s, wakes_now(srv));
    opts.between_pages = push_round_between_pages;
    opts.payload = &pusher;
    opts.pushed = &pusher.pushed;
    memset(&res, 0, sizeof(res));
    rc = sync_run(&conn, &opts, &res, &err);
    pusher_release(&pusher);
    note_run_check(srv, s, rc, &err);
    if (rc < 0)
        log_warn("serve", "sync round failed",
                 "workspace=%s run=%" PRId64 " error=%s", srv->ws_name,
                 res.run_id, err.msg);
    else if (res.counts.errors)
        log_warn("serve", "sync round recorded errors",
                 "workspace=%s run=%" PRId64 " errors=%" PRId64,
                 srv->ws_name, res.run_id, res.counts.errors);
    add_totals(srv, &res.counts, false);
    note_usage(srv, &conn);
    connection_close(&conn);
    /* A store that lost the lock with its connection fails every call
     * until the lock is released, so the end is recorded after that. */
    unlock_workspace(srv, s);
    record_unfinished(srv, s, res.run_id, &res.counts, "round",
                      rc < 0 ? (res.message[0] ? res.message : err.msg)
                             : res.status);
    pthread_mutex_lock(&srv->lock);
    srv->round_running = false;
    srv->last_round_ms = datetime_now_ms();
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
    pthread_mutex_unlock(&srv->work_lock);
}

static void *sync_main(void *arg)
{
    struct serve *srv = arg;
    struct store *s;
    struct err err;

    if (store_open(&s, srv->db_path, &err) < 0) {
        log_error("serve", "sync thread cannot open the store",
                  "error=%s", err.msg);
        return NULL;
    }
    for (;;) {
        int64_t now, poll_ms, verify_ms;
        bool woke, poll_due, verify_due;

        poll_ms = settings_get_long(s, srv->ws, "poll_interval") * 1000;
        verify_ms = settings_get_long(s, srv->ws, "verify_interval") * 1000;
        pthread_mutex_lock(&srv->lock);
        while (!srv->stopping && !srv->wake &&
               datetime_now_ms() < srv->next_poll_ms &&
               datetime_now_ms() < srv->next_verify_ms)
            wait_until(srv, srv->next_poll_ms < srv->next_verify_ms
                                ? srv->next_poll_ms
                                : srv->next_verify_ms);
        if (srv->stopping) {
            pthread_mutex_unlock(&srv->lock);
            break;
        }
        woke = srv->wake;
        srv->wake = false;
        now = datetime_now_ms();
        poll_due = woke || now >= srv->next_poll_ms;
        verify_due = now >= srv->next_verify_ms;
        pthread_mutex_unlock(&srv->lock);
        if (verify_due) {
            verify(srv, s);
            pthread_mutex_lock(&srv->lock);
            srv->next_verify_ms = datetime_now_ms() + verify_ms;
            pthread_mutex_unlock(&srv->lock);
        }
        if (poll_due) {
            run_round(srv, s);
            pthread_mutex_lock(&srv->lock);
            srv->next_poll_ms = datetime_now_ms() + poll_ms;
            pthread_mutex_unlock(&srv->lock);
        }
    }
    store_close(s);
    return NULL;
}

void serve_pulls_init(struct serve *srv)
{
    for (int o = 0; o < SF_OBJECT_COUNT; o++) {
        srv->pulls[o].srv = srv;
        srv->pulls[o].object = (enum sf_object)o;
    }
}

int serve_sync_start(struct serve *srv, struct err *err)
{
    int rc;

    srv->next_poll_ms = datetime_now_ms();
    srv->next_verify_ms = datetime_now_ms();
    serve_pulls_init(srv);
    if ((rc = pthread_create(&srv->sync_thread, NULL, sync_main, srv)) != 0)
        return err_set(err, SYNC_EIO, "cannot start the sync thread: %s",
                       strerror(rc));
    srv->sync_started = true;
    return 0;
}

/* Keep a pull's progress for GET /api/runs/{id}; under srv->lock. */
static void keep_progress(struct serve *srv, const struct serve_pull *job)
{
    struct serve_progress *slot = NULL;

    if (!job->run_id)
        return;
    for (size_t i = 0; i < srv->nprogress; i++)
        if (srv->progress[i].run_id == job->run_id)
            slot = &srv->progress[i];
    if (!slot) {
        if (srv->nprogress == SERVE_PROGRESS_KEEP) {
            memmove(srv->progress, srv->progress + 1,
                    (SERVE_PROGRESS_KEEP - 1) * sizeof(*srv->progress));
            srv->nprogress--;
        }
        slot = &srv->progress[srv->nprogress++];
        slot->run_id = job->run_id;
    }
    slot->done = job->done;
    slot->total = job->total;
}

bool serve_pull_progress(struct serve *srv, int64_t run_id, long long *done,
                         long long *total)
{
    bool found = false;

    pthread_mutex_lock(&srv->lock);
    for (size_t i = 0; i < srv->nprogress; i++)
        if (srv->progress[i].run_id == run_id) {
            *done = srv->progress[i].done;
            *total = srv->progress[i].total;
            found = true;
        }
    pthread_mutex_unlock(&srv->lock);
    return found;
}

/*
 * Called by the pull after each committed page. It pushes the local
 * changes of linked contacts made meanwhile. When the server is stopping,
 * the pull parks here, between pages with nothing open, until the process
 * exits.
 */
static void on_progress(long long done, long long total, void *payload)
{
    struct serve_pull *job = payload;
    struct serve *srv = job->srv;

    push_between_pages(&job->pusher);
    pthread_mutex_lock(&srv->lock);
    job->done = done;
    job->total = total;
    if (!job->run_id)
        job->run_id = job->result.run_id;
    keep_progress(srv, job);
    pthread_cond_broadcast(&srv->cond);
    if (srv->stopping) {
        job->parked = true;
        pthread_cond_broadcast(&srv->cond);
        for (;;)
            pthread_cond_wait(&srv->cond, &srv->lock);
    }
    pthread_mutex_unlock(&srv->lock);
}

static int64_t newest_run_id(struct store *s, int64_t ws)
{
    struct store_run *runs = NULL;
    size_t n = 0;
    int64_t id = 0;

    if (store_run_list(s, ws, 1, &runs, &n, NULL) == 0 && n)
        id = runs[0].id;
    store_runs_free(runs, n);
    return id;
}

static void *pull_main(void *arg)
{
    struct serve_pull *job = arg;
    struct serve *srv = job->srv;
    struct pull_options opts;
    struct connection conn;
    struct store *s = NULL;
    struct err err;
    int rc;

    memset(&conn, 0, sizeof(conn));
    /* UINT64_MAX differs from every count, so that the first page pushes
     * what is pending already, since the round it woke waits for the
     * pull. */
    pusher_init(&job->pusher, srv, NULL, UINT64_MAX);
    if ((rc = store_open(&s, srv->db_path, &err)) < 0)
        goto done;
    job->pusher.store = s;
    pthread_mutex_lock(&srv->work_lock);
    pthread_mutex_lock(&srv->lock);
    if (job->cancelled || srv->stopping) {
        pthread_mutex_unlock(&srv->lock);
        pthread_mutex_unlock(&srv->work_lock);
        rc = err_set(&err, SYNC_ECONFLICT, "the pull was not started");
        goto done;
    }
    pthread_mutex_unlock(&srv->lock);
    if ((rc = lock_workspace(srv, s, &err)) < 0) {
        pthread_mutex_unlock(&srv->work_lock);
        log_info("serve", "pull not started",
                 "workspace=%s object=%s reason=%s", srv->ws_name,
                 mapping_object_name(job->object), err.msg);
        goto done;
    }
    job->before_run_id = newest_run_id(s, srv->ws);
    pthread_mutex_lock(&srv->lock);
    job->started = true;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
    memset(&opts, 0, sizeof(opts));
    opts.object = job->object;
    opts.progress = on_progress;
    opts.payload = job;
    opts.pushed = &job->pusher.pushed;
    if ((rc = connection_open(&conn, s, srv->ws, &err)) == 0) {
        rc = pull_run(&conn, &opts, &job->result, &err);
        note_run_check(srv, s, rc, &err);
        if (rc < 0)
            log_warn("serve", "pull failed",
                     "workspace=%s object=%s run=%" PRId64 " error=%s",
                     srv->ws_name, mapping_object_name(job->object),
                     job->result.run_id, err.msg);
        else
            log_info("serve", "pull finished",
                     "workspace=%s object=%s run=%" PRId64, srv->ws_name,
                     mapping_object_name(job->object), job->result.run_id);
        add_totals(srv, &job->result.counts, true);
        note_usage(srv, &conn);
        connection_close(&conn);
    }
    pusher_release(&job->pusher);
    unlock_workspace(srv, s);
    record_unfinished(srv, s, job->result.run_id, &job->result.counts,
                      "pull", rc < 0 ? err.msg : "ok");
    pthread_mutex_unlock(&srv->work_lock);
done:
    store_close(s);
    /* Released already unless the thread gave up before its pull. */
    pusher_release(&job->pusher);
    pthread_mutex_lock(&srv->lock);
    job->rc = rc;
    snprintf(job->message, sizeof(job->message), "%s", rc < 0 ? err.msg : "");
    if (!job->run_id)
        job->run_id = job->result.run_id;
    job->total = job->result.total;
    keep_progress(srv, job);
    job->running = false;
    pthread_cond_broadcast(&srv->cond);
    pthread_mutex_unlock(&srv->lock);
    return NULL;
}

/* The checks of a pull that need no request: connected, not waiting for a
 * reconnect, and the settings allow it. */
static int precheck(struct serve *srv, struct store *s, enum sf_object object,
                    struct err *err)
{
    struct connection conn;
    int rc;

    /* The messages of connection_open advise the command line; a page
     * user gets the page's own fix. */
    if ((rc = connection_open(&conn, s, srv->ws, err)) == SYNC_ENOTFOUND)
        return err_set(err, SYNC_ENOTFOUND,
                       "not connected to Salesforce: an admin connects on "
                       "the Integration page");
    if (rc == SYNC_EAUTH)
        return err_set(err, SYNC_EAUTH,
                       "the Salesforce connection needs reconnecting: an "
                       "admin reconnects on the Integration page");
    if (rc < 0)
        return rc;
    connection_close(&conn);
    if (!settings_enabled(s, srv->ws))
        return err_set(err, SYNC_EINVALID,
                       "the integration is disabled: set 'enabled' to true "
                       "to pull");
    if (!settings_object_enabled(s, srv->ws, object))
        return err_set(err, SYNC_EINVALID,
                       "pulling %s is disabled by the setting 'objects'; "
                       "add it there to pull",
                       object == SF_OBJECT_LEAD ? "leads" : "contacts");
    return 0;
}

static const char *object_word(enum sf_object object)
{
    return object == SF_OBJECT_LEAD ? "leads" : "contacts";
}

/* Fill err for a pull of object that cannot start because other work of
 * this process has the workspace: a pull of the other object, named with
 * its run, or else a sync round. Call with srv->lock held. */
static int busy_error(struct serve *srv, enum sf_object object,
                      struct err *err)
{
    for (int o = 0; o < SF_OBJECT_COUNT; o++) {
        const struct serve_pull *other = &srv->pulls[o];

        if (o != (int)object && other->running && other->run_id)
            return err_set(err, SYNC_ECONFLICT,
                           "a pull of %s is running as run %" PRId64
                           " (GET /api/runs/%" PRId64 "); pull %s again "
                           "once it ends",
                           object_word((enum sf_object)o), other->run_id,
                           other->run_id, object_word(object));
    }
    return err_set(err, SYNC_ECONFLICT,
                   "a sync round has been running for over %d s; pull %s "
                   "again once it ends",
                   PULL_START_WAIT_MS / 1000, object_word(object));
}

int serve_pull_start(struct serve *srv, struct store *s,
                     enum sf_object object, int64_t *run_id,
                     struct err *err)
{
    struct serve_pull *job = &srv->pulls[object];
    int64_t deadline = datetime_now_ms() + PULL_START_WAIT_MS;
    int rc;

    *run_id = 0;
    if ((rc = precheck(srv, s, object, err)) < 0)
        return rc;
    pthread_mutex_lock(&srv->lock);
    if (job->running && job->run_id) {
        rc = err_set(err, SYNC_ECONFLICT,
                     "a pull of %s is already running as run %" PRId64
                     ": follow it with GET /api/runs/%" PRId64,
                     object == SF_OBJECT_LEAD ? "leads" : "contacts",
                     job->run_id, job->run_id);
        pthread_mutex_unlock(&srv->lock);
        return rc;
    }
    /* A request that gave up waiting leaves its thread until that gets
     * the workspace, and the thread then ends without a run. */
    if (job->running && job->cancelled) {
        rc = busy_error(srv, object, err);
        pthread_mutex_unlock(&srv->lock);
        return rc;
    }
    if (job->running) {
        rc = err_set(err, SYNC_ECONFLICT,
                     "a pull of %s is starting and its run is not recorded "
                     "yet: follow it with GET /api/runs?kind=pull",
                     object_word(object));
        pthread_mutex_unlock(&srv->lock);
        return rc;
    }
    if (job->joinable) {
        /* It cleared running as its last step, so this returns soon. */
        pthread_mutex_unlock(&srv->lock);
        pthread_join(job->thread, NULL);
        pthread_mutex_lock(&srv->lock);
        job->joinable = false;
    }
    memset(&job->result, 0, sizeof(job->result));
    job->running = true;
    job->started = job->cancelled = job->parked = false;
    job->run_id = job->before_run_id = 0;
    job->done = job->total = 0;
    job->rc = 0;
    job->message[0] = '\0';
    if ((rc = pthread_create(&job->thread, NULL, pull_main, job)) != 0) {
        job->running = false;
        pthread_mutex_unlock(&srv->lock);
        return err_set(err, SYNC_EIO, "cannot start the pull thread: %s",
                       strerror(rc));
    }
    job->joinable = true;
    /* Wait until the run is recorded: the pull's first page reports it,
     * and before that the run log shows it. */
    while (job->running && !job->run_id) {
        bool started = job->started;
        int64_t before = job->before_run_id;

        pthread_mutex_unlock(&srv->lock);
        if (started) {
            struct store_run *runs = NULL;
            size_t n = 0;

            if (store_run_list(s, srv->ws, 1, &runs, &n, NULL) == 0 && n &&
                runs[0].id > before && strcmp(runs[0].kind, "pull") == 0 &&
                runs[0].object == (int)object)
                *run_id = runs[0].id;
            store_runs_free(runs, n);
        }
        usleep(PULL_POLL_MS * 1000);
        pthread_mutex_lock(&srv->lock);
        if (*run_id) {
            /* A second request names this run before the first page's
             * progress report sets it. */
            if (!job->run_id)
                job->run_id = *run_id;
            break;
        }
        if (!job->started && datetime_now_ms() > deadline) {
            job->cancelled = true;
            rc = busy_error(srv, object, err);
            pthread_mutex_unlock(&srv->lock);
            return rc;
        }
    }
    if (!*run_id)
        *run_id = job->run_id;
    if (!job->running && job->rc < 0 && !job->run_id) {
        rc = err_set(err, job->rc, "%s", job->message);
        pthread_mutex_unlock(&srv->lock);
        return rc;
    }
    pthread_mutex_unlock(&srv->lock);
    return 0;
}

/* Mark the runs of parked pulls stopped, with the counts so far. */
static void record_parked(struct serve *srv)
{
    struct store *s;
    struct err err;

    if (store_open(&s, srv->db_path, &err) < 0)
        return;
    for (int o = 0; o < SF_OBJECT_COUNT; o++) {
        struct serve_pull *job = &srv->pulls[o];

        if (!job->parked || !job->run_id)
            continue;
        store_run_finish(s, srv->ws, job->run_id, "stopped",
                         &job->result.counts,
                         "stopped by a stop signal between pages; the next "
                         "pull goes on where it stopped",
                         sync_run_error_code(SYNC_ESTOP, NULL), NULL);
        log_info("serve", "pull stopped between pages",
                 "workspace=%s object=%s run=%" PRId64 " done=%lld",
                 srv->ws_name, mapping_object_name(job->object), job->run_id,
                 job->done);
    }
    store_close(s);
}

bool serve_sync_stop(struct serve *srv)
{
    int64_t deadline = datetime_now_ms() + SERVE_STOP_GRACE_MS;
    bool busy = true, parked = false;

    pthread_mutex_lock(&srv->lock);
    while (datetime_now_ms() < deadline) {
        busy = srv->round_running;
        parked = false;
        for (int o = 0; o < SF_OBJECT_COUNT; o++) {
            if (srv->pulls[o].running && !srv->pulls[o].parked)
                busy = true;
            parked |= srv->pulls[o].parked;
        }
        if (!busy)
            break;
        wait_until(srv, datetime_now_ms() + 100);
    }
    pthread_mutex_unlock(&srv->lock);
    /* NOTE: a round abandoned here keeps the status "running" in the run
     * log; its committed pages stay, and the next round goes on. */
    if (busy)
        return false;
    if (parked) {
        record_parked(srv);
        return false;
    }
    if (srv->sync_started)
        pthread_join(srv->sync_thread, NULL);
    for (int o = 0; o < SF_OBJECT_COUNT; o++)
        if (srv->pulls[o].joinable)
            pthread_join(srv->pulls[o].thread, NULL);
    return true;
}
