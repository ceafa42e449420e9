/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * The state shared by the files of sfsync serve: the server, the pool of
 * store handles, the sync thread, the manual pulls, sign-in throttling and
 * pending OAuth attempts, and the helpers that every handler uses.
 */
#ifndef SFSYNC_SERVE_INT_H
#define SFSYNC_SERVE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "base/hmap.h"
#include "http/http_server.h"
#include "model/mapping.h"
#include "salesforce/sf_auth.h"
#include "store/store.h"
#include "sync/connection.h"
#include "sync/engine.h"
#include "sync/pull.h"

/* Largest request body the API reads. */
#define SERVE_MAX_BODY (64 * 1024)
/* Idle time after which a session ends. */
#define SERVE_SESSION_IDLE_MS (8LL * 3600 * 1000)
/* Lifetime of a pending OAuth authorization. */
#define SERVE_OAUTH_TTL_MS (10LL * 60 * 1000)
/* The workspace lock of the store that every round and pull holds, the
 * same one that sfsync pull, sync and worker take. */
#define SERVE_LOCK_NAME "sync"
/* Time that running pulls and rounds get to finish after a stop signal. */
#define SERVE_STOP_GRACE_MS 10000

enum serve_role { SERVE_ROLE_AGENT, SERVE_ROLE_ADMIN };

/* The signed-in user of a request. */
struct serve_user {
    int64_t id;
    char *name;
    enum serve_role role;
    char *session_hash; /* NULL for a bearer token */
    char *csrf_token;   /* NULL for a bearer token */
};

struct serve;

/* The per-request state that the before filter attaches. */
struct serve_req {
    struct store *store; /* from the pool, returned by the after hook */
    struct serve_user *user; /* NULL when not signed in */
    /* With --all-workspaces, the workspace's view that user belongs to;
     * otherwise the server itself. */
    struct serve *view;
    json_t *body;            /* parsed lazily by serve_body */
};

struct serve;

/* A manual pull running in its own thread. */
/* The pushes between the pages of one pull or round, in its thread. */
struct serve_pusher {
    struct serve *srv;
    struct store *store;    /* the thread's store handle */
    struct connection conn; /* the pushes' own, open when open is set */
    bool open;
    struct sync_pushed pushed; /* the records the pushes sent */
    uint64_t wakes; /* serve_wake calls counted at the last push */
};

struct serve_pull {
    struct serve *srv;
    enum sf_object object;
    bool cancelled; /* given up before it started */
    bool running;   /* set by the handler, cleared by the thread */
    bool started;   /* the thread holds the work lock */
    bool parked;    /* stopped after a page because the server stops */
    int64_t run_id; /* 0 until known */
    int64_t before_run_id; /* newest run id when the thread started */
    long long done, total;
    int rc;
    char message[ERR_MSG_MAX];
    struct pull_result result;
    pthread_t thread;
    bool joinable;
    struct serve_pusher pusher; /* used by the pull's thread only */
};

/* Progress of a finished or running pull, kept for GET /api/runs/{id}. */
struct serve_progress {
    int64_t run_id;
    long long done, total;
};

#define SERVE_PROGRESS_KEEP 32

#define SERVE_OAUTH_MAX 16

/*
 * The server, or with --all-workspaces one view per workspace. The root
 * owns the listener, the store pool and the views. Each view has the
 * workspace id, routes and pulls of its workspace, so that
 * its handlers read only that workspace. A view runs no sync thread,
 * because workers sync the workspaces in that mode.
 */
struct serve {
    char *db_path;
    int64_t ws; /* 0 for the root of --all-workspaces */
    char *ws_name;
    struct serve *root; /* NULL for the root */
    bool all_workspaces;
    bool sync_started;  /* the sync thread runs */
    pthread_mutex_t views_lock; /* the root's; guards the three below */
    struct serve **views; /* the root's, in the order they were made */
    size_t nviews, views_cap;
    char *listen_url; /* http://HOST:PORT */
    char *listen_host; /* HOST of listen_url */
    int listen_port;
    char **allow_hosts; /* --allow-host names, lower-case */
    size_t nallow_hosts;
    struct http_server *http;
    struct http_router router;

    pthread_mutex_t pool_lock;
    struct store **pool;
    size_t npool, pool_cap;

    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t cond;  /* signals the sync thread and waiting handlers */
    bool stopping;
    bool wake;            /* the outbox got an entry, or a setting changed */
    /* serve_wake calls so far, which a running pull or round compares to
     * push the changes made since its last push */
    uint64_t wakes;
    bool round_running;
    int64_t last_round_ms, next_poll_ms, next_verify_ms;
    long long api_used, api_max; /* from the last Sforce-Limit-Info */
    uint64_t api_calls;   /* made by this process */
    int64_t started_ms;   /* when this process started serving */
    /* Sums over the rounds and pulls that this process ran, so that the
     * /metrics counters never go down while it runs. */
    int64_t total_pushed, total_pulled, total_conflicts;
    struct serve_pull pulls[SF_OBJECT_COUNT];
    struct serve_progress progress[SERVE_PROGRESS_KEEP];
    size_t nprogress;
    struct hmap throttle; /* "u:NAME" or "a:ADDR" -> struct serve_throttle */

    pthread_mutex_t work_lock; /* one sync round or pull at a time */
    pthread_t sync_thread;
};

/*
 * Return the view of workspace name with --all-workspaces, creating it
 * when the workspace exists in the store but has no view yet; NULL when
 * there is no such workspace. Without the flag, return srv when name is
 * its workspace.
 */
struct serve *serve_view_by_name(struct serve *srv, struct store *s,
                                 const char *name);

/* Find the view as serve_view_by_name does and fill *out with it. Return
 * 0, SYNC_ENOTFOUND when there is no such workspace, or SYNC_EDB, so that
 * callers can distinguish a store failure from an unknown name. */
int serve_view_find(struct serve *srv, struct store *s, const char *name,
                    struct serve **out, struct err *err);

/* Fill *out with a copy of the root's list of views, which the caller
 * frees (the views stay until the process ends); return their number. */
size_t serve_views(struct serve *srv, struct serve ***out);

/* Make the views of workspaces added to the store since the last call;
 * return how many were made. */
size_t serve_views_refresh(struct serve *srv, struct store *s);

/* Take a store handle for the calling thread, opening one when the pool is
 * empty; NULL with err filled when the store cannot be opened. */
struct store *serve_store_take(struct serve *srv, struct err *err);
void serve_store_give(struct serve *srv, struct store *s);

/* Send the JSON error reply {"error": {code, message, field}}; field may be
 * NULL. Returns 0 for use as a handler's return value. */
int serve_error(struct http_resp *resp, int status, const char *code,
                const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Send err as a reply with the status that its code maps to. */
int serve_error_rc(struct http_resp *resp, const struct err *err,
                   const char *field);

/* The request's body as a JSON object, or NULL after sending 400. */
json_t *serve_body(struct http_req *req, struct http_resp *resp);

/*
 * Check that every key of body is one of allowed (NULL-terminated); send
 * 422 naming the first other key and return -1, else return 0.
 */
int serve_check_keys(json_t *body, const char *const *allowed,
                     struct http_resp *resp);

/* Send 422 and return -1 when the request has a body with a key, since it
 * takes none (or 400 for a body that is not a JSON object); no body and {}
 * return 0. */
int serve_check_no_body(struct http_req *req, struct http_resp *resp);

/* Whether the user may make a request needing role; otherwise send 403. */
bool serve_require(struct http_req *req, struct http_resp *resp,
                   enum serve_role role);

static inline struct serve_req *serve_req_of(struct http_req *req)
{
    return req->user_data;
}

/* An ISO 8601 time, or JSON null for 0. */
json_t *serve_time_json(int64_t ms);

/*
 * Copy a connection error message to out (size bytes) without the advice
 * for the command line that ends it ("log in again", "run 'sfsync
 * connect'"). That advice is wrong for a page user and for a client
 * credentials connection, so the caller gives the page's own fix.
 */
void serve_strip_cli_advice(const char *msg, char *out, size_t size);

/* Wake the sync thread for a round now. */
void serve_wake(struct serve *srv);

/* The address browsers reach this server at: the public_url setting, or
 * the listen URL. The caller frees it. */
char *serve_public_url(struct serve *srv, struct store *s);

/* Route registration of each file. */
void serve_auth_routes(struct serve *srv);
void serve_contacts_routes(struct serve *srv);
void serve_integration_routes(struct serve *srv);
void serve_runs_routes(struct serve *srv);
void serve_static_routes(struct serve *srv);

/*
 * Authenticate req from its bearer token or session cookie into
 * ctx->user, and check the CSRF header of a cookie-authenticated change.
 * Return 0 to go on, or 1 after sending 401 or 403.
 */
int serve_auth_check(struct serve *srv, struct http_req *req,
                     struct http_resp *resp, struct serve_req *ctx);
void serve_user_free(struct serve_user *u);
void serve_throttle_release(struct serve *srv);

/* Hash a password with Argon2id, or check one; for sfsync users too. */
char *serve_password_hash(const char *password, struct err *err);
bool serve_password_verify(const char *hash, const char *password);

/* Check a user name: 1 to 64 characters of letters, digits and . _ @ -.
 * Return 0 or SYNC_EINVALID. */
int serve_check_user_name(const char *name, struct err *err);

/* The hex SHA-256 of text, as the store keeps sessions and tokens. */
char *serve_sha256_hex(const char *text);

/* A new random base64url value of nbytes random bytes. */
char *serve_random_token(size_t nbytes);

/* The sync thread (serve_sync.c). */
int serve_sync_start(struct serve *srv, struct err *err);
/* Set up the manual pulls of srv, which serve_sync_start also does. */
void serve_pulls_init(struct serve *srv);
/* Check the Salesforce authentication now and keep the outcome. */
void serve_verify_now(struct serve *srv, struct store *s);

/* Stop the sync thread, if it runs, and the pulls; true when all
 * finished in time. */
bool serve_sync_stop(struct serve *srv);

/*
 * Start a pull of object in its own thread and wait until its run is
 * recorded. Return 0 with *run_id set, or a negative code with err filled:
 * SYNC_ECONFLICT when one runs already, SYNC_ENOTFOUND or SYNC_EAUTH
 * without a usable connection, SYNC_EINVALID when the settings forbid it.
 */
int serve_pull_start(struct serve *srv, struct store *s,
                     enum sf_object object, int64_t *run_id,
                     struct err *err);

/* Fill done and total of run_id when this process ran it; false if not. */
bool serve_pull_progress(struct serve *srv, int64_t run_id, long long *done,
                         long long *total);


/* The integration reply of GET /api/integration. */
json_t *serve_integration_json(struct serve *srv, struct store *s);

/* The Prometheus text of GET /metrics into out. */
void serve_metrics_text(struct serve *srv, struct store *s, struct buf *out);

#endif
