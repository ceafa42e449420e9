/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * Sign-in for sfsync serve: Argon2id passwords, sessions behind an HttpOnly
 * cookie with a CSRF token, bearer API tokens, the slowing of failed
 * sign-ins, and the session and user endpoints.
 */
#include "base/common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <errno.h>
#include <microhttpd.h>
#include <semaphore.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "base/datetime.h"
#include "serve_int.h"
#include "sync/settings.h"

#define COOKIE_NAME "sfsync_session"
/* Failed sign-ins allowed before each further one waits: per user, and
 * per client address, which many users may share behind one proxy. */
#define THROTTLE_FREE_USER 3
#define THROTTLE_FREE_ADDRESS 10
#define THROTTLE_BASE_MS 1000
#define THROTTLE_MAX_MS 60000
/* Failures older than this are forgotten. */
#define THROTTLE_FORGET_MS (15LL * 60 * 1000)
/* Entries kept before expired ones are dropped. */
#define THROTTLE_MAX_ENTRIES 4096
/* A session's or token's last use is written at most this often. */
#define TOUCH_EVERY_MS 60000
/* Argon2id checks that run at once: each takes 64 MiB
 * (crypto_pwhash_MEMLIMIT_INTERACTIVE), and every connection has its own
 * thread, so a flood of sign-ins would otherwise take 64 MiB apiece. */
#define HASH_SLOTS 2
/* Time a sign-in waits for a free Argon2id slot before it gets 429. */
#define HASH_WAIT_MS 10000
#define NAME_MAX_LEN 64
#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

struct serve_throttle {
    char *key;
    int failures;
    int64_t last_ms;
    int64_t until_ms;
};

char *serve_password_hash(const char *password, struct err *err)
{
    char out[crypto_pwhash_STRBYTES];

    if (crypto_pwhash_str(out, password, strlen(password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        err_set(err, SYNC_EIO,
                "hashing the password failed: not enough memory for "
                "Argon2id");
        return NULL;
    }
    return xstrdup(out);
}

bool serve_password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

char *serve_sha256_hex(const char *text)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];

    crypto_hash_sha256(digest, (const unsigned char *)text, strlen(text));
    sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
    return xstrdup(hex);
}

char *serve_random_token(size_t nbytes)
{
    unsigned char raw[64];
    size_t len = sodium_base64_ENCODED_LEN(
        sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = xmalloc(len);

    if (nbytes > sizeof(raw))
        BUG("random token of %zu bytes is too long", nbytes);
    randombytes_buf(raw, nbytes);
    sodium_bin2base64(out, len, raw, nbytes,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    return out;
}

void serve_user_free(struct serve_user *u)
{
    if (!u)
        return;
    free(u->name);
    free(u->session_hash);
    free_secret(u->csrf_token);
    free(u);
}

static enum serve_role role_parse(const char *name)
{
    return strcmp(name, "admin") == 0 ? SERVE_ROLE_ADMIN : SERVE_ROLE_AGENT;
}

static const char *role_name(enum serve_role role)
{
    return role == SERVE_ROLE_ADMIN ? "admin" : "agent";
}

/* Set *out to the user of id; return 0, SYNC_ENOTFOUND or SYNC_EDB. */
static int load_user(struct store *s, int64_t ws, int64_t id,
                     struct serve_user **out, struct err *err)
{
    struct store_user su;
    struct serve_user *u;
    int rc;

    *out = NULL;
    if ((rc = store_user_get_by_id(s, ws, id, &su, err)) < 0)
        return rc;
    u = xcalloc(1, sizeof(*u));
    u->id = su.id;
    u->name = xstrdup(su.name);
    u->role = role_parse(su.role);
    store_user_release(&su);
    *out = u;
    return 0;
}

static int unauthenticated(struct http_resp *resp)
{
    return serve_error(resp, 401, "unauthenticated", NULL,
                       "sign in first: POST /api/session, or send "
                       "'Authorization: Bearer' with an API token");
}

/* Reply 503 for a store failure while checking a sign-in, because the
 * failure is no evidence against the user's credentials. */
static int store_unavailable(const struct serve *srv, struct http_resp *resp,
                             const struct err *err)
{
    log_error("serve", "checking a sign-in failed", "workspace=%s error=%s",
              srv->ws_name, err->msg);
    return serve_error(resp, 503, "unavailable", NULL,
                       "the store failed while checking the sign-in: %s; "
                       "try again once the database is back",
                       err->msg);
}

/* Set *out to the user of an API token; return 0, SYNC_ENOTFOUND for a
 * token that no user has, or SYNC_EDB. */
static int auth_bearer(struct serve *srv, struct store *s, const char *token,
                       struct serve_user **out, struct err *err)
{
    struct store_api_token t;
    char *hash;
    int64_t now = datetime_now_ms();
    int rc;

    *out = NULL;
    if (strncmp(token, "sfs_", 4) != 0)
        return err_set(err, SYNC_ENOTFOUND, "not an API token");
    hash = serve_sha256_hex(token);
    if ((rc = store_api_token_get(s, srv->ws, hash, &t, err)) < 0) {
        free(hash);
        return rc;
    }
    rc = load_user(s, srv->ws, t.user_id, out, err);
    if (rc == 0 && now - t.last_used_ms > TOUCH_EVERY_MS)
        store_api_token_touch(s, srv->ws, hash, now, NULL);
    store_api_token_release(&t);
    free(hash);
    return rc;
}

/* Set *out to the user of a session id; return 0, SYNC_ENOTFOUND for an
 * unknown or idle session, or SYNC_EDB. */
static int auth_cookie(struct serve *srv, struct store *s, const char *id,
                       struct serve_user **out, struct err *err)
{
    struct store_session sess;
    char *hash = serve_sha256_hex(id);
    int64_t now = datetime_now_ms();
    int rc;

    *out = NULL;
    if ((rc = store_session_get(s, srv->ws, hash, &sess, err)) < 0)
        goto out;
    if (now - sess.last_seen_ms > SERVE_SESSION_IDLE_MS) {
        store_session_delete(s, srv->ws, hash, NULL);
        store_session_release(&sess);
        rc = err_set(err, SYNC_ENOTFOUND, "the session expired");
        goto out;
    }
    rc = load_user(s, srv->ws, sess.user_id, out, err);
    if (rc == 0) {
        (*out)->session_hash = xstrdup(hash);
        (*out)->csrf_token = xstrdup(sess.csrf_token);
        if (now - sess.last_seen_ms > TOUCH_EVERY_MS)
            store_session_touch(s, srv->ws, hash, now, NULL);
    }
    store_session_release(&sess);
out:
    free(hash);
    return rc;
}

static bool is_safe_method(const char *method)
{
    return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
           strcmp(method, "OPTIONS") == 0;
}

static bool tokens_equal(const char *a, const char *b)
{
    size_t len = strlen(a);

    return len == strlen(b) && sodium_memcmp(a, b, len) == 0;
}

static int auth_one(struct serve *view, struct store *s, const char *secret,
                    bool bearer, struct serve_user **out, struct err *err)
{
    return bearer ? auth_bearer(view, s, secret, out, err)
                  : auth_cookie(view, s, secret, out, err);
}

/*
 * Find the user of an API token (bearer) or session id: in srv's workspace,
 * or with --all-workspaces in the workspace of whichever view has it,
 * which goes to ctx->view. Tokens and sessions are unique random values, so
 * at most one workspace has each. Return 0, SYNC_ENOTFOUND when no
 * workspace has it, or SYNC_EDB when the store failed.
 * NOTE: with --all-workspaces this looks in one workspace after another, a
 * query each, so a request costs up to one query per workspace.
 */
static int authenticate(struct serve *srv, struct serve_req *ctx,
                        const char *secret, bool bearer, struct err *err)
{
    struct serve **views;
    size_t n, start = 0;
    bool refreshed = false;
    int rc = SYNC_ENOTFOUND;

    ctx->view = srv;
    ctx->user = NULL;
    if (!srv->all_workspaces)
        return auth_one(srv, ctx->store, secret, bearer, &ctx->user, err);
    for (;;) {
        n = serve_views(srv, &views);
        for (size_t i = start; i < n; i++) {
            rc = auth_one(views[i], ctx->store, secret, bearer, &ctx->user,
                          err);
            if (rc == 0)
                ctx->view = views[i];
            if (rc != SYNC_ENOTFOUND)
                break;
        }
        free(views);
        /* A workspace added since the views were made may have it. */
        if (rc != SYNC_ENOTFOUND || refreshed ||
            serve_views_refresh(srv, ctx->store) == 0)
            return rc;
        refreshed = true;
        start = n;
    }
}

int serve_auth_check(struct serve *srv, struct http_req *req,
                     struct http_resp *resp, struct serve_req *ctx)
{
    const char *auth = http_req_header(req, "Authorization");
    const char *cookie = http_req_cookie(req, COOKIE_NAME);
    const char *csrf;
    struct err err;
    int rc = SYNC_ENOTFOUND;

    if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
        rc = authenticate(srv, ctx, auth + 7, true, &err);
    else if (cookie && *cookie)
        rc = authenticate(srv, ctx, cookie, false, &err);
    if (rc < 0 && rc != SYNC_ENOTFOUND) {
        store_unavailable(srv, resp, &err);
        return 1;
    }
    if (!ctx->user) {
        unauthenticated(resp);
        return 1;
    }
    if (!ctx->user->session_hash || is_safe_method(req->method))
        return 0;
    csrf = http_req_header(req, "X-CSRF-Token");
    if (!csrf || !tokens_equal(csrf, ctx->user->csrf_token)) {
        serve_error(resp, 403, "csrf_failed", NULL,
                    "missing or wrong X-CSRF-Token header: send the "
                    "csrf_token of GET /api/session");
        return 1;
    }
    return 0;
}

/* The client's IP address as text. */
static void client_address(const struct http_req *req, char *out,
                           size_t size)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(
        req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = info ? info->client_addr : NULL;

    snprintf(out, size, "unknown");
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
                  (socklen_t)size);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                  out, (socklen_t)size);
}

static void throttle_free(struct serve_throttle *t)
{
    free(t->key);
    free(t);
}

/* Drop the entries whose failures are forgotten; under srv->lock. */
static void throttle_prune(struct serve *srv, int64_t now)
{
    struct hmap *m = &srv->throttle;

    for (size_t i = 0; i < m->cap; i++) {
        struct serve_throttle *t = m->slots[i].value;

        if (m->slots[i].key && t && now - t->last_ms > THROTTLE_FORGET_MS) {
            hmap_remove(m, t->key);
            throttle_free(t);
        }
    }
}

void serve_throttle_release(struct serve *srv)
{
    struct hmap *m = &srv->throttle;

    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].value)
            throttle_free(m->slots[i].value);
    hmap_release(m);
}

/* Milliseconds that key must still wait; under srv->lock. */
static int64_t throttle_wait(struct serve *srv, const char *key, int64_t now)
{
    struct serve_throttle *t = hmap_get(&srv->throttle, key);

    if (!t || now - t->last_ms > THROTTLE_FORGET_MS)
        return 0;
    return t->until_ms > now ? t->until_ms - now : 0;
}

static void throttle_fail(struct serve *srv, const char *key, int free_tries,
                          int64_t now)
{
    struct serve_throttle *t = hmap_get(&srv->throttle, key);
    int64_t delay;

    if (!t) {
        if (srv->throttle.count >= THROTTLE_MAX_ENTRIES)
            throttle_prune(srv, now);
        t = xcalloc(1, sizeof(*t));
        t->key = xstrdup(key);
        hmap_put(&srv->throttle, t->key, t);
    } else if (now - t->last_ms > THROTTLE_FORGET_MS) {
        t->failures = 0;
    }
    t->failures++;
    t->last_ms = now;
    if (t->failures < free_tries)
        return;
    delay = THROTTLE_BASE_MS;
    for (int i = free_tries; i < t->failures && delay < THROTTLE_MAX_MS;
         i++)
        delay *= 2;
    if (delay > THROTTLE_MAX_MS)
        delay = THROTTLE_MAX_MS;
    t->until_ms = now + delay;
}

static void throttle_clear(struct serve *srv, const char *key)
{
    struct serve_throttle *t = hmap_remove(&srv->throttle, key);

    if (t)
        throttle_free(t);
}

static sem_t hash_slots;

static void hash_slots_init(void)
{
    sem_init(&hash_slots, 0, HASH_SLOTS);
}

/* Wait up to HASH_WAIT_MS for one of the HASH_SLOTS Argon2id slots; false
 * when none became free. */
static bool hash_slot_take(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct timespec deadline;
    int rc;

    pthread_once(&once, hash_slots_init);
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += HASH_WAIT_MS / 1000;
    do
        rc = sem_timedwait(&hash_slots, &deadline);
    while (rc < 0 && errno == EINTR);
    return rc == 0;
}

static void hash_slot_give(void)
{
    sem_post(&hash_slots);
}

static char *dummy_hash;

static void make_dummy_hash(void)
{
    dummy_hash = serve_password_hash("sfsync-no-such-user", NULL);
}

/* Check a password against a made-up hash, so that an unknown user costs
 * as much time as a wrong password. */
static void verify_dummy(const char *password)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, make_dummy_hash);
    if (dummy_hash)
        serve_password_verify(dummy_hash, password);
}

static json_t *session_json(const struct serve *view,
                            const struct serve_user *u)
{
    return json_pack("{s:{s:s, s:s}, s:s, s:s?}", "user", "name", u->name,
                     "role", role_name(u->role), "workspace", view->ws_name,
                     "csrf_token", u->csrf_token);
}

static int text_field(json_t *body, const char *key, const char **out,
                      struct http_resp *resp)
{
    json_t *v = json_object_get(body, key);

    if (!json_is_string(v)) {
        serve_error(resp, 422, "invalid_value", key,
                    "'%s' is missing or not a string", key);
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

static int too_many(struct http_resp *resp, int64_t wait_ms)
{
    char seconds[32];

    snprintf(seconds, sizeof(seconds), "%" PRId64, (wait_ms + 999) / 1000);
    http_resp_header(resp, "Retry-After", seconds);
    return serve_error(resp, 429, "too_many_attempts", NULL,
                       "too many failed sign-ins; wait %s s and try again",
                       seconds);
}

static int hashing_busy(struct http_resp *resp)
{
    http_resp_header(resp, "Retry-After", "1");
    return serve_error(resp, 429, "too_many_attempts", NULL,
                       "too many password checks at once; wait 1 s and "
                       "try again");
}

static int start_session(struct serve *srv, struct store *s,
                         const struct store_user *su, struct http_resp *resp)
{
    struct store_session sess;
    struct serve_user u;
    char *id = serve_random_token(32), *public_url, *cookie;
    int64_t now = datetime_now_ms();
    struct err err;
    int rc;

    memset(&sess, 0, sizeof(sess));
    sess.id_hash = serve_sha256_hex(id);
    sess.workspace_id = srv->ws;
    sess.user_id = su->id;
    sess.csrf_token = serve_random_token(32);
    sess.created_ms = sess.last_seen_ms = now;
    store_session_delete_idle(s, srv->ws, now - SERVE_SESSION_IDLE_MS, NULL,
                              NULL);
    rc = store_session_add(s, &sess, &err);
    if (rc < 0) {
        serve_error_rc(resp, &err, NULL);
        goto out;
    }
    public_url = serve_public_url(srv, s);
    cookie = xasprintf("%s=%s; HttpOnly; SameSite=Strict; Path=/%s",
                       COOKIE_NAME, id,
                       strncasecmp(public_url, "https:", 6) == 0 ? "; Secure"
                                                                 : "");
    http_resp_header(resp, "Set-Cookie", cookie);
    free_secret(cookie);
    free(public_url);
    memset(&u, 0, sizeof(u));
    u.name = su->name;
    u.role = role_parse(su->role);
    u.csrf_token = sess.csrf_token;
    http_resp_json(resp, 200, session_json(srv, &u));
    log_info("serve", "signed in", "user=%s role=%s workspace=%s", su->name,
             su->role, srv->ws_name);
out:
    free_secret(id);
    store_session_release(&sess);
    return 0;
}

/* POST /api/session */
static int post_session(struct http_req *req, struct http_resp *resp,
                        void *payload)
{
    struct serve *srv = payload, *view = srv;
    struct store *s = serve_req_of(req)->store;
    json_t *body = serve_body(req, resp);
    const char *name, *password, *workspace = NULL;
    char addr[64], *ukey, *akey;
    struct store_user su;
    int64_t now, wait;
    struct err err;
    bool ok;
    int rc;

    static const char *const keys[] = {"username", "password", NULL};
    static const char *const all_keys[] = {"workspace", "username",
                                           "password", NULL};

    if (!body ||
        serve_check_keys(body, srv->all_workspaces ? all_keys : keys,
                         resp) < 0 ||
        (srv->all_workspaces &&
         text_field(body, "workspace", &workspace, resp) < 0) ||
        text_field(body, "username", &name, resp) < 0 ||
        text_field(body, "password", &password, resp) < 0)
        return 0;
    client_address(req, addr, sizeof(addr));
    /* The root keeps the throttling of every workspace, so a user is
     * named with the workspace. */
    if (workspace)
        ukey = xasprintf("u:%.100s/%.100s", workspace, name);
    else
        ukey = xasprintf("u:%.100s", name);
    akey = xasprintf("a:%s", addr);
    now = datetime_now_ms();
    pthread_mutex_lock(&srv->lock);
    wait = throttle_wait(srv, ukey, now);
    if (throttle_wait(srv, akey, now) > wait)
        wait = throttle_wait(srv, akey, now);
    pthread_mutex_unlock(&srv->lock);
    if (wait > 0) {
        too_many(resp, wait);
        goto out;
    }
    if (!hash_slot_take()) {
        log_warn("serve", "sign-in rejected: every Argon2id slot is busy",
                 "address=%s", addr);
        hashing_busy(resp);
        goto out;
    }
    memset(&su, 0, sizeof(su));
    /* An unknown workspace fails like an unknown user, so that sign-in
     * does not tell which workspaces exist. */
    rc = workspace ? serve_view_find(srv, s, workspace, &view, &err) : 0;
    if (rc == 0)
        rc = store_user_get(s, view->ws, name, &su, &err);
    if (rc < 0 && rc != SYNC_ENOTFOUND) {
        /* A store failure is no evidence against the password, so it
         * gets its own error and counts as no attempt. */
        hash_slot_give();
        store_unavailable(srv, resp, &err);
        goto out;
    }
    if (rc == 0) {
        ok = serve_password_verify(su.password_hash, password);
    } else {
        verify_dummy(password);
        ok = false;
    }
    hash_slot_give();
    pthread_mutex_lock(&srv->lock);
    if (ok) {
        throttle_clear(srv, ukey);
        throttle_clear(srv, akey);
    } else {
        throttle_fail(srv, ukey, THROTTLE_FREE_USER, datetime_now_ms());
        throttle_fail(srv, akey, THROTTLE_FREE_ADDRESS, datetime_now_ms());
    }
    pthread_mutex_unlock(&srv->lock);
    if (ok) {
        start_session(view, s, &su, resp);
    } else {
        /* An unknown name is not logged: people type their password
         * into the name field. */
        if (rc == 0)
            log_warn("serve", "sign-in failed",
                     "workspace=%s user=%s address=%s", view->ws_name,
                     su.name, addr);
        else
            log_warn("serve", "sign-in failed for an unknown user",
                     "workspace=%.100s address=%s",
                     workspace ? workspace : srv->ws_name, addr);
        serve_error(resp, 401, "invalid_credentials", NULL,
                    workspace ? "wrong workspace, username or password"
                              : "wrong username or password");
    }
    store_user_release(&su);
out:
    free(ukey);
    free(akey);
    return 0;
}

/* GET /api/session */
static int get_session(struct http_req *req, struct http_resp *resp,
                       void *payload)
{
    http_resp_json(resp, 200,
                   session_json(payload, serve_req_of(req)->user));
    return 0;
}

/* DELETE /api/session */
static int delete_session(struct http_req *req, struct http_resp *resp,
                          void *payload)
{
    struct serve *srv = payload;
    struct serve_req *ctx = serve_req_of(req);

    /* Signing out ends a session; an API token stays valid until it is
     * revoked, so a 204 here would mislead its user. */
    if (!ctx->user->session_hash)
        return serve_error(resp, 400, "bad_request", NULL,
                           "an API token is not a session, so it stays "
                           "valid: revoke it with 'sfsync --workspace %s "
                           "users token %s --revoke-all'",
                           srv->ws_name, ctx->user->name);
    store_session_delete(ctx->store, srv->ws, ctx->user->session_hash, NULL);
    http_resp_header(resp, "Set-Cookie",
                     COOKIE_NAME "=; HttpOnly; SameSite=Strict; Path=/; "
                                 "Max-Age=0");
    resp->status = 204;
    return 0;
}

static json_t *user_json(const struct store_user *u)
{
    return json_pack("{s:s, s:s, s:o}", "name", u->name, "role", u->role,
                     "created_at", serve_time_json(u->created_ms));
}

/* GET /api/users */
static int get_users(struct http_req *req, struct http_resp *resp,
                     void *payload)
{
    struct serve *srv = payload;
    struct store_user *users = NULL;
    size_t n = 0;
    json_t *arr;
    struct err err;

    if (!serve_require(req, resp, SERVE_ROLE_ADMIN))
        return 0;
    if (store_user_list(serve_req_of(req)->store, srv->ws, &users, &n,
                        &err) < 0)
        return serve_error_rc(resp, &err, NULL);
    arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, user_json(&users[i]));
    store_users_free(users, n);
    http_resp_json(resp, 200, json_pack("{s:o}", "users", arr));
    return 0;
}

int serve_check_user_name(const char *name, struct err *err)
{
    size_t len = strlen(name);

    if (len == 0 || len > NAME_MAX_LEN)
        return err_set(err, SYNC_EINVALID,
                       "invalid user name '%.80s': give 1 to 64 characters",
                       name);
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._@-", name[i]))
            return err_set(err, SYNC_EINVALID,
                           "invalid user name '%.80s': use letters, digits "
                           "and . _ @ - only",
                           name);
    return 0;
}

/* POST /api/users */
static int post_users(struct http_req *req, struct http_resp *resp,
                      void *payload)
{
    struct serve *srv = payload;
    json_t *body;
    const char *name, *role, *password;
    struct store_user u;
    struct err err;
    size_t plen;

    static const char *const keys[] = {"name", "role", "password", NULL};

    if (!serve_require(req, resp, SERVE_ROLE_ADMIN) ||
        !(body = serve_body(req, resp)) ||
        serve_check_keys(body, keys, resp) < 0 ||
        text_field(body, "name", &name, resp) < 0 ||
        text_field(body, "role", &role, resp) < 0 ||
        text_field(body, "password", &password, resp) < 0)
        return 0;
    if (serve_check_user_name(name, &err) < 0)
        return serve_error_rc(resp, &err, "name");
    if (strcmp(role, "admin") != 0 && strcmp(role, "agent") != 0)
        return serve_error(resp, 422, "invalid_value", "role",
                           "invalid role '%.40s': use admin or agent", role);
    plen = strlen(password);
    if (plen < PASSWORD_MIN || plen > PASSWORD_MAX)
        return serve_error(resp, 422, "invalid_value", "password",
                           "the password must be 8 to 1024 bytes long");
    memset(&u, 0, sizeof(u));
    u.workspace_id = srv->ws;
    u.name = xstrdup(name);
    u.role = xstrdup(role);
    if (!hash_slot_take()) {
        store_user_release(&u);
        return hashing_busy(resp);
    }
    u.password_hash = serve_password_hash(password, &err);
    hash_slot_give();
    if (!u.password_hash ||
        store_user_add(serve_req_of(req)->store, &u, &err) < 0) {
        store_user_release(&u);
        return serve_error_rc(resp, &err, "name");
    }
    http_resp_json(resp, 201, user_json(&u));
    log_info("serve", "user added", "workspace=%s user=%s role=%s by=%s",
             srv->ws_name, u.name, u.role, serve_req_of(req)->user->name);
    store_user_release(&u);
    return 0;
}

/* DELETE /api/users/{name} */
static int delete_user(struct http_req *req, struct http_resp *resp,
                       void *payload)
{
    struct serve *srv = payload;
    struct store *s = serve_req_of(req)->store;
    const char *name = req->params[0];
    struct store_user *users = NULL, *target = NULL;
    size_t n = 0, admins = 0;
    struct err err;

    if (!serve_require(req, resp, SERVE_ROLE_ADMIN))
        return 0;
    if (store_user_list(s, srv->ws, &users, &n, &err) < 0)
        return serve_error_rc(resp, &err, NULL);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(users[i].role, "admin") == 0)
            admins++;
        if (strcmp(users[i].name, name) == 0)
            target = &users[i];
    }
    if (!target) {
        serve_error(resp, 404, "not_found", NULL, "user '%.80s' not found",
                    name);
    } else if (strcmp(target->role, "admin") == 0 && admins == 1) {
        serve_error(resp, 409, "conflict", NULL,
                    "'%s' is the last admin; add another admin first",
                    name);
    } else if (store_user_delete(s, srv->ws, name, &err) < 0) {
        serve_error_rc(resp, &err, NULL);
    } else {
        resp->status = 204;
        log_info("serve", "user removed", "workspace=%s user=%s by=%s",
                 srv->ws_name, name, serve_req_of(req)->user->name);
    }
    store_users_free(users, n);
    return 0;
}

void serve_auth_routes(struct serve *srv)
{
    struct http_router *r = &srv->router;

    http_router_add(r, "POST", "/api/session", post_session, srv);
    http_router_add(r, "GET", "/api/session", get_session, srv);
    http_router_add(r, "DELETE", "/api/session", delete_session, srv);
    http_router_add(r, "GET", "/api/users", get_users, srv);
    http_router_add(r, "POST", "/api/users", post_users, srv);
    http_router_add(r, "DELETE", "/api/users/{name}", delete_user, srv);
}
