/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sfsync worker: sync every workspace of a PostgreSQL store, sharing the
 * work with the other workers of the same database. A worker syncs a
 * workspace only while it holds the workspace's lease, which a second
 * thread renews during the round, so a killed worker's lease expires and
 * another worker goes on from the saved cursors and outbox.
 */
#include "base/common.h"

#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "base/datetime.h"
#include "base/hmap.h"
#include "base/log.h"
#include "sync/engine.h"
#include "sync/settings.h"

#define WORKER_LOCK_NAME "sync"
#define WORKER_PENDING_MAX 64
/* How soon a notified workspace leased by another worker is tried
 * again. */
#define WORKER_RETRY_MS 1000
/* The pause after a failed store call outside --once. */
#define WORKER_ERROR_PAUSE_MS 5000
/* The longest a SIGTERM waits to be seen by a sleeping worker. */
#define WORKER_WAKE_MS 1000

/* The signal that asked the worker to stop, or 0. */
static volatile sig_atomic_t worker_stopping;

/* The lease of the round in progress, which the renewal thread extends. */
struct renewal {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const char *db_path;
    const char *owner;
    int64_t lease_ms;
    int64_t ws;  /* 0 between rounds */
    bool lost;   /* a renewal found another owner */
    bool done;   /* the thread is to exit */
};

/* The reason a workspace could not start its round, reported once until it
 * changes or a round can start again. */
struct problem {
    char key[24]; /* the workspace id as text, the key in the map */
    char *message;
};

/* A round whose end the store did not record because it failed at the
 * time, so that its run would stay "running". */
struct unfinished {
    int64_t ws, run_id; /* run_id 0 when there is none */
    char name[STORE_WORKSPACE_NAME_MAX + 1];
    struct store_run_counts counts;
    char message[ERR_MSG_MAX];
};

struct worker {
    struct store *store;
    char owner[160];
    int64_t lease_ms, poll_ms;
    /* The store's clock minus this machine's, read at each pass, because
     * lease times are in the store's clock. */
    int64_t clock_offset_ms;
    struct sync_options opts;
    struct renewal renewal;
    /* Workspaces notified of outbox entries and not yet synced since. */
    int64_t pending[WORKER_PENDING_MAX];
    size_t pending_count;
    int failed_rounds;
    struct hmap problems; /* workspace id -> struct problem */
    struct unfinished unfinished;
};

static void usage(FILE *out)
{
    fputs("usage: sfsync worker [--once] [--poll SECONDS] "
          "[--lease-seconds N]\n"
          "                     [--worker-id NAME] [--batch-size N] "
          "[--log-level LEVEL]\n"
          "Sync every workspace of a PostgreSQL store whose integration is "
          "enabled and\nconnected, together with the other workers of the "
          "same database: each\nround holds the workspace's lease, so no "
          "two workers sync one workspace at\nonce. A workspace is due "
          "when its last round ended at least its poll_interval\n"
          "setting ago ('sfsync config set poll_interval SECONDS', 30 by "
          "default),\nor as soon as a local change enters its outbox.\n\n"
          "  --once             one pass over the workspaces, then exit\n"
          "  --poll SECONDS     time between two looks for due workspaces "
          "(default 5);\n"
          "                     a poll_interval shorter than this syncs "
          "every --poll\n"
          "                     seconds\n"
          "  --lease-seconds N  lease length in seconds (default 30); a "
          "killed worker's\n"
          "                     workspaces pass to the others up to this "
          "plus --poll\n"
          "                     seconds after\n"
          "  --worker-id NAME   the name in leases and runs (default "
          "host:pid)\n"
          "  --batch-size N     records per query page, 200 to 2000\n"
          "  --log-level LEVEL  debug, info, warn, error or off (default "
          "warn, or the\n"
          "                     global --log-level)\n\n"
          "SIGTERM or SIGINT ends the worker after its current round, with "
          "status 0.\nWith --once the status is 1 when a round failed, "
          "recorded errors or could not\nstart (credentials that cannot be "
          "read, a connection to reconnect).\n",
          out);
}

static void on_signal(int sig)
{
    worker_stopping = sig;
}

/* No SA_RESTART, so that the wait for notifications returns at once. */
static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

/* Parse a whole number of seconds from min to max into *out_ms. */
static int parse_seconds(const char *option, const char *arg, long min,
                         long max, int64_t *out_ms)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max)
        return cli_fail("invalid %s '%s': give a whole number of seconds "
                        "from %ld to %ld",
                        option, arg, min, max);
    *out_ms = (int64_t)v * 1000;
    return 0;
}

/* NAME:random, so that a restarted worker with the same name never renews
 * the lease of the process it replaces. */
static int make_owner(struct worker *w, const char *name)
{
    unsigned char r[4];
    char host[64];

    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return cli_fail("cannot read random bytes for the worker id: %s",
                        strerror(errno));
    if (!name) {
        if (gethostname(host, sizeof(host)) < 0)
            snprintf(host, sizeof(host), "localhost");
        host[sizeof(host) - 1] = '\0';
        snprintf(w->owner, sizeof(w->owner), "%s:%ld:%02x%02x%02x%02x",
                 host, (long)getpid(), r[0], r[1], r[2], r[3]);
        return 0;
    }
    if (!*name || strlen(name) > 120)
        return cli_fail("invalid --worker-id '%s': give 1 to 120 "
                        "characters",
                        name);
    snprintf(w->owner, sizeof(w->owner), "%s:%02x%02x%02x%02x", name, r[0],
             r[1], r[2], r[3]);
    return 0;
}

static void deadline_in(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/*
 * Renew the lease of the round in progress a few times per lease length,
 * over a connection of its own, because the round's connection is busy
 * with the round's requests and transactions.
 */
static void *renewal_main(void *arg)
{
    struct renewal *r = arg;
    int64_t every = r->lease_ms / 3 > 200 ? r->lease_ms / 3 : 200;
    struct store *s = NULL;
    struct timespec ts;
    struct err err;

    if (store_open(&s, r->db_path, &err) < 0) {
        log_error("worker", "lease renewal cannot open the store",
                  "error=%s", err.msg);
        s = NULL;
    }
    pthread_mutex_lock(&r->lock);
    while (!r->done) {
        int64_t ws, now;

        deadline_in(&ts, every);
        pthread_cond_timedwait(&r->cond, &r->lock, &ts);
        if (r->done || !r->ws || !s)
            continue;
        ws = r->ws;
        pthread_mutex_unlock(&r->lock);
        if (store_clock_ms(s, &now, &err) < 0 ||
            store_lease_renew(s, ws, r->owner, now + r->lease_ms,
                              &err) < 0) {
            pthread_mutex_lock(&r->lock);
            /* The round may have ended and released the lease while the
             * renewal ran; only a lease of the running round is lost. */
            if (r->ws == ws) {
                r->lost = true;
                log_error("worker", "lease renewal failed",
                          "workspace=%" PRId64 " error=%s", ws, err.msg);
            }
            continue;
        }
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    store_close(s);
    return NULL;
}

static void renewal_set(struct renewal *r, int64_t ws)
{
    pthread_mutex_lock(&r->lock);
    r->ws = ws;
    r->lost = false;
    pthread_mutex_unlock(&r->lock);
}

static bool renewal_lost(struct renewal *r)
{
    bool lost;

    pthread_mutex_lock(&r->lock);
    lost = r->lost;
    pthread_mutex_unlock(&r->lock);
    return lost;
}

static void print_round(const struct store_workspace *ws,
                        const struct sync_result *res, int rc,
                        const struct err *err)
{
    const struct store_run_counts *c = &res->counts;

    if (rc < 0) {
        printf("workspace '%s': sync failed: %s\n", ws->name,
               res->message[0] ? res->message : err->msg);
    } else {
        printf("workspace '%s': sync %s: %" PRId64 " pushed, %" PRId64
               " pulled, %" PRId64 " errors, run %" PRId64 "\n",
               ws->name, res->status, c->pushed, c->pulled, c->errors,
               res->run_id);
    }
    fflush(stdout);
}

/*
 * Report that ws cannot start its round: at error level and on stdout the
 * first time, and again only when the reason changes, so that a worker
 * polling every 30 seconds does not repeat the same line all day.
 */
static void problem_report(struct worker *w, const struct store_workspace *ws,
                           const char *message)
{
    char key[24];
    struct problem *p;

    snprintf(key, sizeof(key), "%" PRId64, ws->id);
    p = hmap_get(&w->problems, key);
    if (p && strcmp(p->message, message) == 0) {
        log_debug("worker", "workspace still cannot sync",
                  "workspace='%s' error=%s", ws->name, message);
        return;
    }
    if (!p) {
        p = xcalloc(1, sizeof(*p));
        snprintf(p->key, sizeof(p->key), "%s", key);
        hmap_put(&w->problems, p->key, p);
    }
    free(p->message);
    p->message = xstrdup(message);
    log_error("worker", "workspace cannot sync", "workspace='%s' error=%s",
              ws->name, message);
    printf("workspace '%s': sync failed: %s\n", ws->name, message);
    fflush(stdout);
}

/* Forget the reported problem of ws, which can start its rounds again. */
static void problem_clear(struct worker *w, const struct store_workspace *ws)
{
    char key[24];
    struct problem *p;

    snprintf(key, sizeof(key), "%" PRId64, ws->id);
    p = hmap_remove(&w->problems, key);
    if (!p)
        return;
    log_info("worker", "workspace can sync again", "workspace='%s'",
             ws->name);
    free(p->message);
    free(p);
}

static void problems_free(struct worker *w)
{
    for (size_t i = 0; i < w->problems.cap; i++) {
        struct problem *p = w->problems.slots[i].key
                                ? w->problems.slots[i].value
                                : NULL;

        if (p) {
            free(p->message);
            free(p);
        }
    }
    hmap_release(&w->problems);
}

/* Remember the round of res when the store still shows its run as
 * running, which happens when the store failed as the round ended. */
static void unfinished_check(struct worker *w,
                             const struct store_workspace *ws,
                             const struct sync_result *res,
                             const struct err *round_err, int round_rc)
{
    struct store_run run = {0};
    struct unfinished *u = &w->unfinished;
    struct err err;
    int rc;

    if (!res->run_id)
        return;
    rc = store_run_get(w->store, ws->id, res->run_id, &run, &err);
    if (rc == 0 && strcmp(run.status, "running") != 0) {
        store_run_release(&run);
        return;
    }
    if (rc == 0)
        store_run_release(&run);
    memset(u, 0, sizeof(*u));
    u->ws = ws->id;
    u->run_id = res->run_id;
    snprintf(u->name, sizeof(u->name), "%s", ws->name);
    u->counts = res->counts;
    snprintf(u->message, sizeof(u->message),
             "the store failed as the round ended, so its end was recorded "
             "later: %.440s",
             round_rc < 0 ? (res->message[0] ? res->message : round_err->msg)
                          : res->status);
    log_warn("worker", "round end not recorded, retrying",
             "workspace='%s' run=%" PRId64, ws->name, res->run_id);
}

/*
 * Record the end of the unfinished round, as failed, before the worker
 * goes on. Return 0, or 1 when the store still fails.
 */
static int unfinished_finish(struct worker *w)
{
    struct unfinished *u = &w->unfinished;
    struct store_run run = {0};
    struct err err;
    int rc;

    if (!u->run_id)
        return 0;
    rc = store_run_get(w->store, u->ws, u->run_id, &run, &err);
    if (rc == 0 && strcmp(run.status, "running") == 0)
        rc = store_run_finish(w->store, u->ws, u->run_id, "failed",
                              &u->counts, u->message,
                              sync_run_error_code(SYNC_EDB, NULL), &err);
    if (rc == 0 || rc == SYNC_ENOTFOUND) {
        log_info("worker", "round end recorded",
                 "workspace='%s' run=%" PRId64 " status=failed", u->name,
                 u->run_id);
        u->run_id = 0;
    }
    store_run_release(&run);
    if (u->run_id) {
        log_warn("worker", "round end not recorded, retrying",
                 "workspace='%s' run=%" PRId64 " error=%s", u->name,
                 u->run_id, err.msg);
        return 1;
    }
    return 0;
}

/* Run one round of ws, whose lease this worker holds, when its
 * integration is enabled and connected. */
static void sync_workspace(struct worker *w, const struct store_workspace *ws)
{
    struct store_lock holder;
    char command[192];
    struct sync_result res;
    struct connection conn;
    struct err err;
    int rc;

    if (!settings_enabled(w->store, ws->id)) {
        log_debug("worker", "workspace skipped", "workspace='%s' "
                  "reason=disabled", ws->name);
        return;
    }
    /* The lock keeps 'sfsync sync' and 'sfsync pull' of the same
     * workspace off while the round runs, as it does between them. */
    snprintf(command, sizeof(command), "sfsync worker %s", w->owner);
    rc = store_lock_acquire(w->store, ws->id, WORKER_LOCK_NAME,
                            (int64_t)getpid(), command, &holder, &err);
    if (rc < 0) {
        log_warn("worker", "workspace skipped", "workspace='%s' error=%s",
                 ws->name, err.msg);
        return;
    }
    rc = connection_open(&conn, w->store, ws->id, &err);
    if (rc == SYNC_ENOTFOUND) {
        log_debug("worker", "workspace skipped", "workspace='%s' "
                  "reason=not-connected", ws->name);
        goto out;
    }
    /* Credentials that cannot be read (a missing or wrong key) or a
     * connection to reconnect stop every round until an operator acts. */
    if (rc < 0) {
        problem_report(w, ws, err.msg);
        w->failed_rounds++;
        goto out;
    }
    problem_clear(w, ws);
    memset(&res, 0, sizeof(res));
    rc = sync_run(&conn, &w->opts, &res, &err);
    connection_close(&conn);
    unfinished_check(w, ws, &res, &err, rc);
    print_round(ws, &res, rc, &err);
    if (rc < 0 || res.counts.errors)
        w->failed_rounds++;
    if (rc < 0)
        log_warn("worker", "sync round failed", "workspace='%s' run=%" PRId64
                 " error=%s", ws->name, res.run_id, err.msg);
out:
    store_lock_release(w->store, ws->id, WORKER_LOCK_NAME, (int64_t)getpid(),
                       NULL);
}

static void pending_remove(struct worker *w, int64_t ws)
{
    for (size_t i = 0; i < w->pending_count; i++) {
        if (w->pending[i] == ws) {
            w->pending[i] = w->pending[--w->pending_count];
            return;
        }
    }
}

static bool pending_has(const struct worker *w, int64_t ws)
{
    for (size_t i = 0; i < w->pending_count; i++)
        if (w->pending[i] == ws)
            return true;
    return false;
}

static void pending_add(struct worker *w, int64_t ws)
{
    if (!pending_has(w, ws) && w->pending_count < WORKER_PENDING_MAX)
        w->pending[w->pending_count++] = ws;
}

/* Measure how far the store's clock is from this machine's. */
static int worker_read_clock(struct worker *w, struct err *err)
{
    int64_t store_now;
    int rc;

    if ((rc = store_clock_ms(w->store, &store_now, err)) < 0)
        return rc;
    w->clock_offset_ms = store_now - datetime_now_ms();
    return 0;
}

/* The store's clock, from this machine's and the last measured offset. */
static int64_t worker_now_ms(const struct worker *w)
{
    return datetime_now_ms() + w->clock_offset_ms;
}

/* The workspace's poll_interval setting in milliseconds: how long after
 * its last round ended, by any worker, the workspace is due again. */
static int64_t poll_interval_ms(const struct worker *w,
                                const struct store_workspace *ws)
{
    return (int64_t)settings_get_long(w->store, ws->id, "poll_interval") *
           1000;
}

/*
 * Take and sync, one after another, each workspace that is due: with
 * --once (synced_before set), each one that no worker finished syncing
 * since this worker started; otherwise each one notified, or whose last
 * round ended at least its poll_interval setting ago. Return 0 or 1 when
 * the store failed.
 */
static int run_pass(struct worker *w, int64_t synced_before)
{
    struct store_workspace *list;
    size_t count;
    struct err err;
    int rc = 0;

    if (store_workspace_list(w->store, &list, &count, &err) < 0 ||
        worker_read_clock(w, &err) < 0) {
        store_workspaces_free(list, count);
        return cli_fail_err(&err);
    }
    for (size_t i = 0; i < count && !worker_stopping; i++) {
        int64_t before = synced_before, got, started;

        if (unfinished_finish(w)) {
            rc = 1;
            break;
        }
        if (!before)
            before = pending_has(w, list[i].id)
                         ? INT64_MAX
                         : worker_now_ms(w) - poll_interval_ms(w, &list[i]);
        started = worker_now_ms(w);
        if (store_lease_take(w->store, list[i].id, w->owner, before,
                             started + w->lease_ms, &got, &err) < 0) {
            rc = cli_fail_err(&err);
            break;
        }
        if (!got)
            continue;
        pending_remove(w, got);
        renewal_set(&w->renewal, got);
        sync_workspace(w, &list[i]);
        renewal_set(&w->renewal, 0);
        if (store_lease_release(w->store, got, w->owner, worker_now_ms(w),
                                &err) < 0)
            log_error("worker", "lease lost during the round",
                      "workspace='%s' error=%s", list[i].name, err.msg);
        else if (renewal_lost(&w->renewal))
            /* A round whose renewals fail runs on: the workspace lock
             * that sync_workspace holds keeps another worker that took
             * the expired lease from syncing at the same time. */
            log_error("worker", "lease renewal failed during the round",
                      "workspace='%s'", list[i].name);
    }
    store_workspaces_free(list, count);
    if (rc == 0)
        rc = unfinished_finish(w);
    return rc;
}

/* Sleep until --poll seconds passed (the time between two looks at the
 * workspaces), an outbox entry was notified or a signal asked to stop. The notifications that arrived meanwhile are all
 * collected. */
static int wait_for_work(struct worker *w)
{
    int64_t ws = 0, timeout = w->pending_count ? WORKER_RETRY_MS : w->poll_ms;
    int64_t until = datetime_now_ms() + timeout, left;
    struct err err;

    /* Waits of at most WORKER_WAKE_MS each, because a signal that arrives
     * just before a wait begins does not interrupt it. */
    while (!ws && !worker_stopping &&
           (left = until - datetime_now_ms()) > 0) {
        if (left > WORKER_WAKE_MS)
            left = WORKER_WAKE_MS;
        if (store_notify_wait(w->store, (int)left, &ws, &err) < 0)
            return cli_fail_err(&err);
    }
    while (ws && !worker_stopping) {
        pending_add(w, ws);
        if (store_notify_wait(w->store, 0, &ws, &err) < 0)
            return cli_fail_err(&err);
    }
    return 0;
}

int cmd_worker(struct cli *cli, int argc, char **argv)
{
    static const struct option options[] = {
        {"once", no_argument, NULL, 'o'},
        {"poll", required_argument, NULL, 'p'},
        {"lease-seconds", required_argument, NULL, 'l'},
        {"worker-id", required_argument, NULL, 'i'},
        {"batch-size", required_argument, NULL, 'b'},
        {"log-level", required_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct worker w;
    const char *name = NULL;
    bool once = false;
    pthread_t thread;
    int64_t start;
    struct err err;
    char *end;
    int c, level, rc = 0;

    memset(&w, 0, sizeof(w));
    hmap_init(&w.problems, false);
    w.poll_ms = 5000;
    w.lease_ms = 30000;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'o':
            once = true;
            break;
        case 'p':
            if (parse_seconds("--poll", optarg, 1, 86400, &w.poll_ms))
                return 1;
            break;
        case 'l':
            if (parse_seconds("--lease-seconds", optarg, 1, 3600,
                              &w.lease_ms))
                return 1;
            break;
        case 'i':
            name = optarg;
            break;
        case 'b':
            w.opts.batch_size = (int)strtol(optarg, &end, 10);
            if (*end || w.opts.batch_size < 200 || w.opts.batch_size > 2000)
                return cli_fail("invalid --batch-size '%s': give 200 to "
                                "2000",
                                optarg);
            break;
        case 'v':
            level = log_level_parse(optarg);
            if (level < 0)
                return cli_fail("invalid --log-level '%s': use debug, info, "
                                "warn, error or off",
                                optarg);
            log_set_level((enum log_level)level);
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    if (make_owner(&w, name))
        return 1;
    if (store_target_is_file(cli->db_path))
        return cli_fail("sfsync worker needs a PostgreSQL store, and '%s' "
                        "is a SQLite file, which one process syncs: run "
                        "'sfsync --workspace NAME sync' per workspace, or "
                        "give --db a postgresql:// URI",
                        cli->db_path);
    if (store_open(&cli->store, cli->db_path, &err) < 0)
        return cli_fail_err(&err);
    w.store = cli->store;
    store_set_run_worker(w.store, w.owner);
    install_signals();

    w.renewal.db_path = cli->db_path;
    w.renewal.owner = w.owner;
    w.renewal.lease_ms = w.lease_ms;
    pthread_mutex_init(&w.renewal.lock, NULL);
    pthread_cond_init(&w.renewal.cond, NULL);
    if (pthread_create(&thread, NULL, renewal_main, &w.renewal) != 0) {
        rc = cli_fail("cannot start the lease renewal thread");
        goto out;
    }
    log_info("worker", "worker started", "owner='%s'", w.owner);
    if (worker_read_clock(&w, &err) < 0) {
        rc = cli_fail_err(&err);
        goto stop;
    }
    start = worker_now_ms(&w);
    while (!worker_stopping) {
        rc = run_pass(&w, once ? start : 0);
        if (once)
            break;
        if (rc == 0 && !worker_stopping)
            rc = wait_for_work(&w);
        if (rc) {
            /* A store that failed (a lost connection, a restarting
             * server) is tried again after a pause: the next call
             * reconnects. */
            log_warn("worker", "store failed, retrying",
                     "pause_ms=%d", WORKER_ERROR_PAUSE_MS);
            for (int i = 0; i < WORKER_ERROR_PAUSE_MS / 1000 &&
                            !worker_stopping;
                 i++)
                sleep(1);
            rc = 0;
        }
    }
stop:
    pthread_mutex_lock(&w.renewal.lock);
    w.renewal.done = true;
    pthread_cond_signal(&w.renewal.cond);
    pthread_mutex_unlock(&w.renewal.lock);
    pthread_join(thread, NULL);
    if (rc == 0 && once && w.failed_rounds)
        rc = 1;
    log_info("worker", "worker stopped", "owner='%s' reason=%s",
             w.owner,
             worker_stopping == SIGTERM  ? "SIGTERM"
             : worker_stopping == SIGINT ? "SIGINT"
                                         : "once");
out:
    problems_free(&w);
    pthread_cond_destroy(&w.renewal.cond);
    pthread_mutex_destroy(&w.renewal.lock);
    return rc;
}
