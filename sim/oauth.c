/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * sfsim's OAuth 2.0 server and identity service: the token endpoint with
 * its grants, the browser authorize page, revocation, UserInfo and the
 * identity URL, and the bearer-token check that the REST filter in api.c
 * calls. Tokens and authorization codes live in the org; every handler runs
 * with org->lock held by that filter.
 */
#include "base/common.h"

#include "oauth.h"

#include <ctype.h>
#include <errno.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/buf.h"
#include "base/datetime.h"
#include "sim.h"

#define GRANT_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"

/* Authorization codes of the web-server flow expire after 10 minutes. */
#define CODE_LIFETIME_MS (10 * 60 * 1000)

/*
 * Salesforce documents that a JWT's exp may lie at most about 3 minutes
 * ahead. sfsim allows 5, so that clock skew on a test machine is tolerated.
 */
#define JWT_MAX_AHEAD_S (5 * 60)

/* Dead tokens are swept from org->tokens whenever the table grows to a
 * multiple of this many entries. */
#define SWEEP_EVERY 256

/* Scopes a client may request, all of which the simulated app grants. */
static const char *const known_scopes[] = {
    "address",     "api",           "cdp_api",
    "chatter_api", "content",       "custom_permissions",
    "eclair_api",  "email",         "full",
    "id",          "lightning",     "offline_access",
    "openid",      "pardot_api",    "phone",
    "profile",     "refresh_token", "visualforce",
    "wave_api",    "web",
};

/* The scope granted when a request names none. */
#define DEFAULT_SCOPE "api web refresh_token"

static const char base62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* ------------------------------------------------------------------ */
/* Pure helpers                                                        */
/* ------------------------------------------------------------------ */

void sim_oauth_pkce_challenge(const char *verifier,
                              char out[SIM_OAUTH_CHALLENGE_LEN + 1])
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char *text;

    EVP_Digest(verifier, strlen(verifier), digest, &len, EVP_sha256(), NULL);
    text = sim_jwt_b64url_encode(digest, len);
    snprintf(out, SIM_OAUTH_CHALLENGE_LEN + 1, "%s", text);
    free(text);
}

bool sim_oauth_verifier_valid(const char *verifier)
{
    size_t len = strlen(verifier);

    if (len < 43 || len > 128)
        return false;
    for (const char *p = verifier; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-._~", *p))
            return false;
    return true;
}

int sim_oauth_parse_basic(const char *header, char **out_id, char **out_secret)
{
    size_t len, pad = 0;
    unsigned char *raw;
    char *colon;
    int n;

    *out_id = *out_secret = NULL;
    if (!header || strncasecmp(header, "Basic ", 6) != 0)
        return -1;
    header += 6;
    while (*header == ' ')
        header++;
    len = strlen(header);
    while (len > 0 && header[len - 1] == ' ')
        len--;
    if (len == 0 || len % 4 != 0)
        return -1;
    if (header[len - 1] == '=')
        pad = header[len - 2] == '=' ? 2 : 1;

    raw = xmalloc(len / 4 * 3 + 1);
    n = EVP_DecodeBlock(raw, (const unsigned char *)header, (int)len);
    if (n < 0 || (size_t)n < pad) {
        free(raw);
        return -1;
    }
    n -= (int)pad;
    raw[n] = '\0';
    colon = memchr(raw, ':', (size_t)n);
    if (!colon || strlen((char *)raw) != (size_t)n) {
        secure_zero(raw, (size_t)n);
        free(raw);
        return -1;
    }
    *out_id = xstrndup((char *)raw, (size_t)(colon - (char *)raw));
    *out_secret = xstrdup(colon + 1);
    secure_zero(raw, (size_t)n);
    free(raw);
    return 0;
}

/* Compare two secrets in time that does not depend on where they differ. */
static bool secret_equal(const char *given, const char *expected)
{
    size_t len = strlen(expected);

    if (!given || strlen(given) != len)
        return false;
    return CRYPTO_memcmp(given, expected, len) == 0;
}

/* Append n random base62 characters to b, drawn without modulo bias. */
static void put_random_base62(struct buf *b, size_t n)
{
    unsigned char bytes[64];

    while (n > 0) {
        if (RAND_bytes(bytes, sizeof(bytes)) != 1)
            BUG("RAND_bytes failed");
        for (size_t i = 0; i < sizeof(bytes) && n > 0; i++) {
            /* 248 = 4 * 62; larger bytes would favour the first digits. */
            if (bytes[i] >= 248)
                continue;
            buf_putc(b, base62[bytes[i] % 62]);
            n--;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Tokens                                                              */
/* ------------------------------------------------------------------ */

static void token_free(struct sim_token *t)
{
    if (!t)
        return;
    free_secret(t->value);
    free(t->scope);
    free(t->client_id);
    free(t);
}

static void code_free(struct sim_auth_code *c)
{
    if (!c)
        return;
    free_secret(c->code);
    free(c->client_id);
    free(c->redirect_uri);
    free(c->challenge);
    free(c->challenge_method);
    free(c->scope);
    free(c);
}

static bool token_expired(const struct sim_token *t, int64_t now)
{
    return t->expires_ms != 0 && now >= t->expires_ms;
}

/* Whether the expire-after-calls fault has used up access token t. */
static bool token_calls_exhausted(const struct sim_org *org,
                                  const struct sim_token *t)
{
    int64_t limit = org->faults.expire_after_calls;

    return limit > 0 && t->calls >= limit;
}

/*
 * Free dead access tokens (expired or revoked), then revoked refresh tokens
 * that no remaining access token names as its parent, so that a long run
 * with short token lifetimes keeps a bounded table.
 */
static void sweep_tokens(struct sim_org *org, int64_t now)
{
    struct hmap parents;
    struct hmap_slot *slots = org->tokens.slots;

    hmap_init(&parents, false);
    for (size_t i = 0; i < org->tokens.cap; i++) {
        struct sim_token *t = slots[i].value;

        if (!t || t->refresh)
            continue;
        if (t->revoked || token_expired(t, now)) {
            hmap_remove(&org->tokens, t->value);
            token_free(t);
        } else if (t->parent) {
            hmap_put(&parents, t->parent->value, t->parent);
        }
    }
    for (size_t i = 0; i < org->tokens.cap; i++) {
        struct sim_token *t = slots[i].value;

        if (t && t->refresh && t->revoked && !hmap_get(&parents, t->value)) {
            hmap_remove(&org->tokens, t->value);
            token_free(t);
        }
    }
    hmap_release(&parents);
}

/*
 * Make a token and store it in org->tokens. Access tokens have the form
 * Salesforce's have and the sf CLI checks, /(00D\w{12,15})![.\w]*\/: the
 * 15-character org id, '!' and random base62 with one '.'. Refresh tokens
 * are opaque to clients and are plain base62.
 */
static struct sim_token *token_new(struct sim_org *org, struct sim_user *user,
                                   bool refresh, const char *scope,
                                   struct sim_token *parent)
{
    struct sim_token *t = xcalloc(1, sizeof(*t));
    int64_t now = datetime_now_ms();
    struct buf b;

    if (org->tokens.count > 0 && org->tokens.count % SWEEP_EVERY == 0)
        sweep_tokens(org, now);
    do {
        buf_init(&b, 0);
        if (refresh) {
            put_random_base62(&b, 87);
        } else {
            buf_printf(&b, "%.15s!", org->org_id);
            put_random_base62(&b, 40);
            buf_putc(&b, '.');
            put_random_base62(&b, 56);
        }
        free_secret(t->value);
        t->value = buf_detach(&b);
    } while (hmap_get(&org->tokens, t->value));

    t->user = user;
    t->refresh = refresh;
    t->issued_ms = now;
    if (!refresh)
        t->expires_ms = now + (int64_t)org->cfg.token_lifetime_s * 1000;
    t->scope = xstrdup(scope);
    t->client_id = xstrdup(org->cfg.client_id);
    t->parent = parent;
    hmap_put(&org->tokens, t->value, t);
    sim_state_save_token(org, t);
    return t;
}

/* Revoke t. Revoking a refresh token also revokes the access tokens it
 * issued, as Salesforce's revoke endpoint does. */
static void token_revoke(struct sim_org *org, struct sim_token *t)
{
    t->revoked = true;
    sim_state_save_token(org, t);
    if (!t->refresh)
        return;
    for (size_t i = 0; i < org->tokens.cap; i++) {
        struct sim_token *child = org->tokens.slots[i].value;

        if (child && child->parent == t) {
            child->revoked = true;
            sim_state_save_token(org, child);
        }
    }
}

/*
 * The token a request presents: "Authorization: Bearer X" or "OAuth X"
 * (the older scheme Salesforce still takes), else the oauth_token query
 * argument. NULL when there is none.
 */
static const char *presented_token(const struct http_req *req)
{
    const char *auth = http_req_header(req, "Authorization");

    if (auth) {
        size_t skip = 0;

        if (strncasecmp(auth, "Bearer ", 7) == 0)
            skip = 7;
        else if (strncasecmp(auth, "OAuth ", 6) == 0)
            skip = 6;
        if (skip) {
            auth += skip;
            while (*auth == ' ')
                auth++;
            if (*auth)
                return auth;
        }
    }
    return http_req_query(req, "oauth_token");
}

/*
 * Find the live access token of req without counting a call. Returns NULL
 * with *reason set to why it was rejected, for the log.
 */
static struct sim_token *find_access_token(struct sim_org *org,
                                           const struct http_req *req,
                                           const char **reason)
{
    const char *value = presented_token(req);
    struct sim_token *t;

    if (!value) {
        *reason = "missing";
        return NULL;
    }
    t = hmap_get(&org->tokens, value);
    if (!t || t->refresh) {
        *reason = "unknown";
        return NULL;
    }
    if (t->revoked) {
        *reason = "revoked";
        return NULL;
    }
    if (token_expired(t, datetime_now_ms())) {
        *reason = "expired";
        return NULL;
    }
    if (token_calls_exhausted(org, t)) {
        *reason = "expire-after-calls fault";
        return NULL;
    }
    return t;
}

/* A rejected token is logged at most once a second per reason, so that a
 * client retrying without a token cannot flood the log. */
#define REJECT_LOG_INTERVAL_MS 1000

static struct {
    const char *reason; /* one of find_access_token's static reasons */
    int64_t logged_ms;
    unsigned long suppressed;
} reject_log[8];

/* Requests of different orgs run at once, so reject_log has a lock of its
 * own. */
static pthread_mutex_t reject_log_lock = PTHREAD_MUTEX_INITIALIZER;

/* Log a rejected access token, or count it when the same reason was
 * logged less than a second ago. */
static void log_token_rejected(const char *reason, const char *path)
{
    int64_t now = datetime_now_ms();
    size_t i = 0;

    pthread_mutex_lock(&reject_log_lock);
    while (i < ARRAY_SIZE(reject_log) - 1 && reject_log[i].reason &&
           strcmp(reject_log[i].reason, reason) != 0)
        i++;
    if (!reject_log[i].reason || strcmp(reject_log[i].reason, reason) != 0) {
        reject_log[i].reason = reason;
        reject_log[i].logged_ms = 0;
        reject_log[i].suppressed = 0;
    }
    if (reject_log[i].logged_ms &&
        now - reject_log[i].logged_ms < REJECT_LOG_INTERVAL_MS) {
        reject_log[i].suppressed++;
        pthread_mutex_unlock(&reject_log_lock);
        return;
    }
    if (reject_log[i].suppressed)
        log_warn("oauth", "access token rejected",
                 "reason=%s path=%s suppressed=%lu", reason, path,
                 reject_log[i].suppressed);
    else
        log_warn("oauth", "access token rejected", "reason=%s path=%s",
                 reason, path);
    reject_log[i].logged_ms = now;
    reject_log[i].suppressed = 0;
    pthread_mutex_unlock(&reject_log_lock);
}

struct sim_token *sim_oauth_authenticate(struct sim_org *org,
                                         struct http_req *req)
{
    const char *reason = NULL;
    struct sim_token *t = find_access_token(org, req, &reason);

    if (!t) {
        log_token_rejected(reason, req->path);
        return NULL;
    }
    t->calls++;
    return t;
}

/* ------------------------------------------------------------------ */
/* Replies                                                             */
/* ------------------------------------------------------------------ */

/* Send an error in the OAuth shape {"error","error_description"}. */
static void reply_oauth_error(struct http_resp *resp, int status,
                              const char *error, const char *description)
{
    json_t *body = json_pack("{s:s, s:s}", "error", error, "error_description",
                             description);

    http_resp_json(resp, status, body);
    http_resp_header(resp, "Cache-Control", "no-store");
    http_resp_header(resp, "Pragma", "no-cache");
}

/* The base URL of the instance without a trailing '/'. */
static int instance_len(const struct sim_org *org)
{
    size_t len = strlen(org->cfg.instance_url);

    while (len > 0 && org->cfg.instance_url[len - 1] == '/')
        len--;
    return (int)len;
}

/* The identity URL of user: <instance>/id/<org id>/<user id>, 18-char ids. */
static char *identity_url(const struct sim_org *org,
                          const struct sim_user *user)
{
    return xasprintf("%.*s/id/%s/%s", instance_len(org), org->cfg.instance_url,
                     org->org_id, user->id);
}

/* ------------------------------------------------------------------ */
/* Token endpoint                                                      */
/* ------------------------------------------------------------------ */

/*
 * A parameter of a token, authorize or revoke request: the form body
 * first, then the query string. An empty value counts as absent. The
 * caller frees the result.
 */
static char *request_param(const struct http_req *req, const char *name)
{
    char *value = http_req_form(req, name);
    const char *query;

    if (value && !*value) {
        free(value);
        value = NULL;
    }
    query = http_req_query(req, name);
    if (!value && query && *query)
        value = xstrdup(query);
    return value;
}

/* The parameters of one token request, each an owned string or NULL. */
struct token_request {
    char *grant_type, *client_id, *client_secret, *username, *password,
        *refresh_token, *code, *redirect_uri, *code_verifier, *assertion,
        *scope;
};

static void token_request_read(struct token_request *tr,
                               const struct http_req *req)
{
    char *basic_id = NULL, *basic_secret = NULL;

    tr->grant_type = request_param(req, "grant_type");
    tr->client_id = request_param(req, "client_id");
    tr->client_secret = request_param(req, "client_secret");
    tr->username = request_param(req, "username");
    tr->password = request_param(req, "password");
    tr->refresh_token = request_param(req, "refresh_token");
    tr->code = request_param(req, "code");
    tr->redirect_uri = request_param(req, "redirect_uri");
    tr->code_verifier = request_param(req, "code_verifier");
    tr->assertion = request_param(req, "assertion");
    tr->scope = request_param(req, "scope");

    /* Credentials in the body win over an Authorization: Basic header. */
    if (sim_oauth_parse_basic(http_req_header(req, "Authorization"), &basic_id,
                              &basic_secret) == 0) {
        if (!tr->client_id) {
            tr->client_id = basic_id;
            basic_id = NULL;
        }
        if (!tr->client_secret) {
            tr->client_secret = basic_secret;
            basic_secret = NULL;
        }
    }
    free(basic_id);
    free_secret(basic_secret);
}

static void token_request_release(struct token_request *tr)
{
    free(tr->grant_type);
    free(tr->client_id);
    free_secret(tr->client_secret);
    free(tr->username);
    free_secret(tr->password);
    free_secret(tr->refresh_token);
    free_secret(tr->code);
    free(tr->redirect_uri);
    free_secret(tr->code_verifier);
    free_secret(tr->assertion);
    free(tr->scope);
}

/* The state of one grant: its input, then what it grants or why not. */
struct grant {
    struct sim_org *org;
    const struct token_request *tr;
    const char *name; /* grant name for the log */

    struct sim_user *user;
    char *scope;              /* granted scope (owned) */
    bool new_refresh;         /* issue a refresh token with the access token */
    struct sim_token *parent; /* refresh token the access token descends
                                 from, when it is not a new one */

    const char *error;        /* OAuth error code on failure */
    const char *description;  /* its error_description */
    char reason[ERR_MSG_MAX]; /* detail for the log only */
};

/* Record a failed grant and return -1. */
static int fail(struct grant *g, const char *error, const char *description,
                const char *reason_fmt, ...) ATTR_PRINTF(4, 5);

static int fail(struct grant *g, const char *error, const char *description,
                const char *reason_fmt, ...)
{
    va_list ap;

    g->error = error;
    g->description = description;
    va_start(ap, reason_fmt);
    vsnprintf(g->reason, sizeof(g->reason), reason_fmt, ap);
    va_end(ap);
    return -1;
}

/* Check the client id, and the secret when required or given. */
static int check_client(struct grant *g, bool secret_required)
{
    const struct sim_config *cfg = &g->org->cfg;

    if (!g->tr->client_id || strcmp(g->tr->client_id, cfg->client_id) != 0)
        return fail(g, "invalid_client_id", "client identifier invalid",
                    "client_id '%s' is not the configured one",
                    g->tr->client_id ? g->tr->client_id : "(missing)");
    if (!g->tr->client_secret && !secret_required)
        return 0;
    if (!secret_equal(g->tr->client_secret, cfg->client_secret))
        return fail(g, "invalid_client", "invalid client credentials",
                    "client_secret %s",
                    g->tr->client_secret ? "does not match" : "is missing");
    return 0;
}

static bool scope_has(const char *scope, const char *name)
{
    size_t n = strlen(name);

    for (const char *p = scope; p && *p;) {
        size_t len = strcspn(p, " ");

        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len;
        p += strspn(p, " ");
    }
    return false;
}

static bool scope_known(const char *name, size_t len)
{
    for (size_t i = 0; i < ARRAY_SIZE(known_scopes); i++)
        if (strlen(known_scopes[i]) == len &&
            strncmp(known_scopes[i], name, len) == 0)
            return true;
    return false;
}

/*
 * The scope to grant for a requested one (NULL or "" for the default),
 * with refresh_token and offline_access left out when the grant issues no
 * refresh token. Returns NULL when a requested scope is unknown, with
 * *bad_out pointing at it in requested.
 */
static char *grant_scope(const char *requested, bool with_refresh,
                         const char **bad_out)
{
    struct buf b;

    if (!requested || !*requested)
        requested = DEFAULT_SCOPE;
    buf_init(&b, 0);
    for (const char *p = requested + strspn(requested, " "); *p;) {
        size_t len = strcspn(p, " ");
        bool refresh_scope = (len == 13 && !strncmp(p, "refresh_token", 13)) ||
                             (len == 14 && !strncmp(p, "offline_access", 14));

        if (!scope_known(p, len)) {
            buf_release(&b);
            *bad_out = p;
            return NULL;
        }
        if (with_refresh || !refresh_scope) {
            if (b.len)
                buf_putc(&b, ' ');
            buf_append(&b, p, len);
        }
        p += len;
        p += strspn(p, " ");
    }
    return buf_detach(&b);
}

/*
 * Set g->scope from the request. Flows that can issue a refresh token do
 * so when the scope includes refresh_token or offline_access, or when no
 * scope is given.
 */
static int set_scope(struct grant *g, const char *requested,
                     bool refresh_allowed)
{
    const char *bad = NULL;

    g->scope = grant_scope(requested, refresh_allowed, &bad);
    if (!g->scope)
        return fail(g, "invalid_scope", "the requested scope is not allowed",
                    "unknown scope at '%.40s'", bad);
    if (refresh_allowed)
        g->new_refresh = scope_has(g->scope, "refresh_token") ||
                         scope_has(g->scope, "offline_access");
    return 0;
}

static int grant_client_credentials(struct grant *g)
{
    if (check_client(g, true) < 0)
        return -1;
    g->user = sim_org_integration_user(g->org);
    if (!g->user)
        BUG("the org has no integration user");
    return set_scope(g, g->tr->scope, false);
}

static int grant_password(struct grant *g)
{
    const struct token_request *tr = g->tr;

    if (check_client(g, true) < 0)
        return -1;
    g->user = tr->username ? sim_org_user_by_name(g->org, tr->username) : NULL;
    if (!g->user)
        return fail(g, "invalid_grant", "authentication failure",
                    "unknown username '%s'",
                    tr->username ? tr->username : "(missing)");
    if (!g->user->password || !secret_equal(tr->password, g->user->password))
        return fail(g, "invalid_grant", "authentication failure",
                    "wrong password for user %s", g->user->id);
    return set_scope(g, tr->scope, true);
}

/*
 * The refresh_token grant. The client secret may be left out, as for a
 * connected app that does not require it for refreshes. The new access
 * token keeps the refresh token's scope. With rotation on, a new refresh
 * token replaces the old one, and the old one's access tokens stay valid
 * until they expire.
 */
static int grant_refresh(struct grant *g)
{
    struct sim_token *old;

    if (check_client(g, false) < 0)
        return -1;
    if (!g->tr->refresh_token)
        return fail(g, "invalid_request", "refresh token is missing",
                    "no refresh_token parameter");
    if (g->org->faults.refresh_revoked)
        return fail(g, "invalid_grant", "expired access/refresh token",
                    "refresh-revoked fault is on");
    old = hmap_get(&g->org->tokens, g->tr->refresh_token);
    if (!old || !old->refresh)
        return fail(g, "invalid_grant", "expired access/refresh token",
                    "unknown refresh token");
    if (old->revoked)
        return fail(g, "invalid_grant", "expired access/refresh token",
                    "refresh token of user %s was revoked", old->user->id);

    g->user = old->user;
    g->scope = xstrdup(old->scope);
    if (g->org->cfg.rotate_refresh) {
        old->revoked = true;
        g->new_refresh = true;
    } else {
        g->parent = old;
    }
    return 0;
}

/* Check the PKCE verifier of a code exchange against the code's challenge. */
static int check_verifier(struct grant *g, const struct sim_auth_code *c)
{
    char challenge[SIM_OAUTH_CHALLENGE_LEN + 1];

    if (!c->challenge)
        return 0;
    if (!g->tr->code_verifier)
        return fail(g, "invalid_grant", "code verifier is missing",
                    "the authorize request had a code_challenge");
    sim_oauth_pkce_challenge(g->tr->code_verifier, challenge);
    if (!sim_oauth_verifier_valid(g->tr->code_verifier) ||
        strcmp(challenge, c->challenge) != 0)
        return fail(g, "invalid_request", "invalid code verifier",
                    "code_verifier does not match the code_challenge");
    return 0;
}

/*
 * The authorization_code grant. A PKCE client may leave out the secret,
 * since the verifier proves it started the flow.
 */
static int grant_authorization_code(struct grant *g)
{
    const struct token_request *tr = g->tr;
    struct sim_auth_code *c;

    c = tr->code ? hmap_get(&g->org->codes, tr->code) : NULL;
    if (check_client(g, !c || !c->challenge) < 0)
        return -1;
    if (!tr->code)
        return fail(g, "invalid_request", "authorization code is missing",
                    "no code parameter");
    if (!c)
        return fail(g, "invalid_grant", "invalid authorization code",
                    "unknown code");
    if (c->used)
        return fail(g, "invalid_grant", "invalid authorization code",
                    "code of user %s already used", c->user->id);
    if (strcmp(c->client_id, tr->client_id) != 0)
        return fail(g, "invalid_grant", "invalid authorization code",
                    "code was issued to another client");
    if (datetime_now_ms() >= c->expires_ms)
        return fail(g, "invalid_grant", "expired authorization code",
                    "code issued for user %s expired", c->user->id);
    if (!tr->redirect_uri || strcmp(tr->redirect_uri, c->redirect_uri) != 0)
        return fail(g, "redirect_uri_mismatch",
                    "redirect_uri must match configuration",
                    "redirect_uri differs from the authorize request");
    if (check_verifier(g, c) < 0)
        return -1;

    c->used = true;
    g->user = c->user;
    return set_scope(g, c->scope, true);
}

/* Read a NumericDate claim given as a JSON number or a string of digits. */
static int claim_seconds(const json_t *value, int64_t *out)
{
    const char *s;
    char *end;
    long long n;

    if (json_is_integer(value)) {
        *out = json_integer_value(value);
        return 0;
    }
    if (json_is_real(value)) {
        double d = json_real_value(value);

        /* Outside this range the conversion to int64_t is undefined. */
        if (!(d >= 0 && d < 1e15))
            return -1;
        *out = (int64_t)d;
        return 0;
    }
    s = json_string_value(value);
    if (!s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    n = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = n;
    return 0;
}

/* Whether the aud claim (a string or an array of strings) names a login
 * host or the instance. */
static bool audience_valid(const struct sim_org *org, const json_t *aud)
{
    size_t n = json_is_array(aud) ? json_array_size(aud) : 1;

    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(
            json_is_array(aud) ? json_array_get(aud, i) : aud);
        size_t len;

        if (!s)
            continue;
        len = strlen(s);
        while (len > 0 && s[len - 1] == '/')
            len--;
        if ((len == 28 && !strncmp(s, "https://login.salesforce.com", 28)) ||
            (len == 27 && !strncmp(s, "https://test.salesforce.com", 27)) ||
            (len == (size_t)instance_len(org) &&
             !strncmp(s, org->cfg.instance_url, len)))
            return true;
    }
    return false;
}

/* Check the claims of a verified assertion and set g->user. */
static int check_jwt_claims(struct grant *g, const json_t *claims)
{
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    const json_t *prn = json_object_get(claims, "prn");
    const char *sub =
        json_string_value(prn ? prn : json_object_get(claims, "sub"));
    int64_t exp, now = datetime_now_ms() / 1000;

    if (!iss || strcmp(iss, g->org->cfg.client_id) != 0)
        return fail(g, "invalid_client_id", "client identifier invalid",
                    "iss '%s' is not the configured client id",
                    iss ? iss : "(missing)");
    if (!audience_valid(g->org, json_object_get(claims, "aud")))
        return fail(g, "invalid_grant", "audience is invalid",
                    "aud is not a login host or the instance URL");
    /* NOTE: Salesforce's description for a bad exp is not documented;
     * "expired authorization code" is what clients report seeing. */
    if (claim_seconds(json_object_get(claims, "exp"), &exp) < 0)
        return fail(g, "invalid_grant", "expired authorization code",
                    "exp is missing or not epoch seconds");
    if (exp <= now)
        return fail(g, "invalid_grant", "expired authorization code",
                    "exp is %lld s in the past", (long long)(now - exp));
    if (exp > now + JWT_MAX_AHEAD_S)
        return fail(g, "invalid_grant", "expired authorization code",
                    "exp is %lld s ahead, more than %d allowed",
                    (long long)(exp - now), JWT_MAX_AHEAD_S);
    g->user = sub ? sim_org_user_by_name(g->org, sub) : NULL;
    if (!g->user)
        return fail(g, "invalid_grant", "user hasn't approved this consumer",
                    "sub '%s' is not a user of the org",
                    sub ? sub : "(missing)");
    return 0;
}

/* The JWT bearer grant: no client secret and no refresh token. */
static int grant_jwt_bearer(struct grant *g)
{
    struct sim_jwt jwt;
    struct err err;
    int rc;

    if (!g->tr->assertion)
        return fail(g, "invalid_request", "assertion is missing",
                    "no assertion parameter");
    if (!g->org->cfg.jwt_public_key_pem)
        return fail(g, "invalid_grant", "invalid assertion",
                    "no public key configured: start sfsim with "
                    "--jwt-public-key FILE");
    if (sim_jwt_parse(&jwt, g->tr->assertion, &err) < 0)
        return fail(g, "invalid_grant", "invalid assertion", "%s", err.msg);
    if (sim_jwt_verify_rs256(&jwt, g->org->cfg.jwt_public_key_pem, &err) < 0)
        rc = fail(g, "invalid_grant", "invalid assertion", "%s", err.msg);
    else
        rc = check_jwt_claims(g, jwt.claims);
    sim_jwt_release(&jwt);
    if (rc < 0)
        return rc;
    return set_scope(g, g->tr->scope, false);
}

/* Base64 HMAC-SHA256 of id followed by issued_at, keyed with the client
 * secret, as Salesforce signs its token responses. */
static char *response_signature(const char *id, const char *issued_at,
                                const char *secret)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char *data = xasprintf("%s%s", id, issued_at);
    char *out = xmalloc(4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1);

    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)data,
         strlen(data), md, &md_len);
    EVP_EncodeBlock((unsigned char *)out, md, (int)md_len);
    free(data);
    return out;
}

/* Issue the tokens of a successful grant and build the response body. */
static json_t *issue_tokens(struct grant *g)
{
    struct sim_org *org = g->org;
    struct sim_token *refresh = g->parent, *access;
    char *id = identity_url(org, g->user);
    char *issued_at, *signature;
    json_t *body;

    if (g->new_refresh)
        refresh = token_new(org, g->user, true, g->scope, NULL);
    access = token_new(org, g->user, false, g->scope, refresh);
    issued_at = xasprintf("%lld", (long long)access->issued_ms);
    signature = response_signature(id, issued_at, org->cfg.client_secret);

    body = json_object();
    json_object_set_new(body, "access_token", json_string(access->value));
    if (g->new_refresh)
        json_object_set_new(body, "refresh_token", json_string(refresh->value));
    json_object_set_new(body, "signature", json_string(signature));
    json_object_set_new(body, "scope", json_string(g->scope));
    json_object_set_new(
        body, "instance_url",
        json_stringn(org->cfg.instance_url, (size_t)instance_len(org)));
    json_object_set_new(body, "id", json_string(id));
    json_object_set_new(body, "token_type", json_string("Bearer"));
    json_object_set_new(body, "issued_at", json_string(issued_at));

    log_info("oauth", "access token issued",
             "grant=%s user=%s refresh_token=%s scope=\"%s\"", g->name,
             g->user->id,
             g->new_refresh ? "new"
             : refresh      ? "kept"
                            : "none",
             g->scope);
    free(signature);
    free(issued_at);
    free(id);
    return body;
}

/* The grant handlers by grant_type value. */
static const struct {
    const char *grant_type;
    const char *name;
    int (*run)(struct grant *g);
} grants[] = {
    {"client_credentials", "client_credentials", grant_client_credentials},
    {"password", "password", grant_password},
    {"refresh_token", "refresh_token", grant_refresh},
    {"authorization_code", "authorization_code", grant_authorization_code},
    {GRANT_JWT_BEARER, "jwt-bearer", grant_jwt_bearer},
};

/*
 * POST /services/oauth2/token. Replies are JSON only.
 * NOTE: Salesforce also replies in XML or urlencoded form for format= or an
 * Accept header, but sfsim ignores both.
 */
static int handle_token(struct http_req *req, struct http_resp *resp,
                        void *payload)
{
    struct token_request tr = {0};
    struct grant g = {0};

    g.org = sim_request_org(req);
    (void)payload;
    g.tr = &tr;
    g.name = "(missing)";
    token_request_read(&tr, req);
    if (!tr.grant_type) {
        fail(&g, "invalid_request", "grant type is missing",
             "no grant_type parameter");
    } else {
        size_t i;

        for (i = 0; i < ARRAY_SIZE(grants); i++)
            if (strcmp(tr.grant_type, grants[i].grant_type) == 0)
                break;
        if (i == ARRAY_SIZE(grants)) {
            g.name = "(unknown)";
            fail(&g, "unsupported_grant_type", "grant type not supported",
                 "grant_type '%.80s'", tr.grant_type);
        } else {
            g.name = grants[i].name;
            grants[i].run(&g);
        }
    }

    if (g.error) {
        log_warn("oauth", "token request failed",
                 "grant=%s error=%s reason=\"%s\"", g.name, g.error, g.reason);
        reply_oauth_error(resp, 400, g.error, g.description);
    } else {
        http_resp_json(resp, 200, issue_tokens(&g));
        http_resp_header(resp, "Cache-Control", "no-store");
        http_resp_header(resp, "Pragma", "no-cache");
    }
    free(g.scope);
    token_request_release(&tr);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Revoke                                                              */
/* ------------------------------------------------------------------ */

/* POST (or GET) /services/oauth2/revoke with token= in the form or query. */
static int handle_revoke(struct http_req *req, struct http_resp *resp,
                         void *payload)
{
    struct sim_org *org = sim_request_org(req);
    char *value = request_param(req, "token");
    struct sim_token *t = value ? hmap_get(&org->tokens, value) : NULL;

    (void)payload;
    if (!t || t->revoked) {
        log_warn("oauth", "token revocation failed",
                 "error=invalid_token reason=\"%s\"",
                 !value ? "no token parameter"
                 : t    ? "already revoked"
                        : "unknown token");
        reply_oauth_error(resp, 400, "invalid_token", "invalid token");
    } else {
        token_revoke(org, t);
        log_info("oauth", "token revoked", "kind=%s user=%s",
                 t->refresh ? "refresh" : "access", t->user->id);
        resp->status = 200;
    }
    free_secret(value);
    return 0;
}

/* ------------------------------------------------------------------ */
/* UserInfo and the identity URL                                       */
/* ------------------------------------------------------------------ */

/*
 * The version to put in the urls of an identity document: the version
 * query argument ("latest" for the newest sfsim serves) or the literal
 * {version} placeholder that Salesforce returns when none is asked for.
 */
static char *urls_version(const struct http_req *req)
{
    const char *v = http_req_query(req, "version");
    char *end;
    long major;

    if (v && strcmp(v, "latest") == 0)
        return xasprintf("%d.0", SIM_API_VERSION_MAX);
    if (v && isdigit((unsigned char)*v)) {
        major = strtol(v, &end, 10);
        if ((*end == '\0' || strcmp(end, ".0") == 0) && major > 0 &&
            major <= SIM_API_VERSION_MAX)
            return xasprintf("%ld.0", major);
    }
    return xstrdup("{version}");
}

/* The urls object of the UserInfo and identity documents. */
static json_t *identity_urls(const struct sim_org *org,
                             const struct sim_user *user, const char *version)
{
    int n = instance_len(org);
    const char *base = org->cfg.instance_url;
    json_t *urls = json_object();
    char *v;

#define URL_SET(key, ...)                                                      \
    do {                                                                       \
        v = xasprintf(__VA_ARGS__);                                            \
        json_object_set_new(urls, key, json_string(v));                        \
        free(v);                                                               \
    } while (0)

    /* SOAP endpoints name the org by its 15-character id. */
    URL_SET("enterprise", "%.*s/services/Soap/c/%s/%.15s", n, base, version,
            org->org_id);
    URL_SET("metadata", "%.*s/services/Soap/m/%s/%.15s", n, base, version,
            org->org_id);
    URL_SET("partner", "%.*s/services/Soap/u/%s/%.15s", n, base, version,
            org->org_id);
    URL_SET("rest", "%.*s/services/data/v%s/", n, base, version);
    URL_SET("sobjects", "%.*s/services/data/v%s/sobjects/", n, base, version);
    URL_SET("search", "%.*s/services/data/v%s/search/", n, base, version);
    URL_SET("query", "%.*s/services/data/v%s/query/", n, base, version);
    URL_SET("recent", "%.*s/services/data/v%s/recent/", n, base, version);
    URL_SET("tooling_soap", "%.*s/services/Soap/T/%s/%.15s", n, base, version,
            org->org_id);
    URL_SET("tooling_rest", "%.*s/services/data/v%s/tooling/", n, base,
            version);
    URL_SET("profile", "%.*s/%s", n, base, user->id);
    URL_SET("feeds", "%.*s/services/data/v%s/chatter/feeds", n, base, version);
    URL_SET("groups", "%.*s/services/data/v%s/chatter/groups", n, base,
            version);
    URL_SET("users", "%.*s/services/data/v%s/chatter/users", n, base, version);
    URL_SET("feed_items", "%.*s/services/data/v%s/chatter/feed-items", n, base,
            version);
    URL_SET("feed_elements", "%.*s/services/data/v%s/chatter/feed-elements", n,
            base, version);
    URL_SET("custom_domain", "%.*s", n, base);
#undef URL_SET
    return urls;
}

static json_t *user_photos(const struct sim_org *org)
{
    int n = instance_len(org);
    char *picture =
        xasprintf("%.*s/profilephoto/005/F", n, org->cfg.instance_url);
    char *thumbnail =
        xasprintf("%.*s/profilephoto/005/T", n, org->cfg.instance_url);
    json_t *photos =
        json_pack("{s:s, s:s}", "picture", picture, "thumbnail", thumbnail);

    free(picture);
    free(thumbnail);
    return photos;
}

/* "First Last", or only the last name when there is no first name. */
static char *display_name(const struct sim_user *user)
{
    const char *first = user->first_name ? user->first_name : "";
    const char *last = user->last_name ? user->last_name : "";

    if (!*first)
        return xstrdup(*last ? last : user->username);
    return xasprintf("%s%s%s", first, *last ? " " : "", last);
}

/* The part of the username before '@', used in place of the community
 * nickname that sfsim does not model. */
static char *nickname(const struct sim_user *user)
{
    return xstrndup(user->username, strcspn(user->username, "@"));
}

/*
 * When user was last changed, in ms: the LastModifiedDate of its User
 * record when the org keeps one, else now.
 */
static int64_t user_modified_ms(const struct sim_org *org,
                                const struct sim_user *user)
{
    struct sim_record *rec = sim_record_find(org, user->id);
    const char *stamp;
    int64_t ms;

    if (rec && rec->obj->f_last_modified_date >= 0) {
        stamp = sim_record_get(rec, (size_t)rec->obj->f_last_modified_date);
        if (stamp && datetime_parse(stamp, &ms, NULL) == 0)
            return ms;
    }
    return datetime_now_ms();
}

static const char *user_email(const struct sim_user *user)
{
    return user->email ? user->email : user->username;
}

/* The UserInfo document (OpenID Connect claims plus Salesforce's own). */
static json_t *userinfo_json(const struct sim_org *org,
                             const struct sim_user *user, const char *version)
{
    char *sub = identity_url(org, user);
    char *name = display_name(user);
    char *nick = nickname(user);
    char *profile = xasprintf("%.*s/%s", instance_len(org),
                              org->cfg.instance_url, user->id);
    char updated[DATETIME_LEN];
    json_t *doc;

    /* UserInfo writes updated_at with a Z zone, no milliseconds. */
    datetime_format_z(user_modified_ms(org, user), updated);
    memmove(updated + 19, updated + 23, strlen(updated + 23) + 1);

    doc = json_object();
    json_object_set_new(doc, "sub", json_string(sub));
    json_object_set_new(doc, "user_id", json_string(user->id));
    json_object_set_new(doc, "organization_id", json_string(org->org_id));
    json_object_set_new(doc, "preferred_username", json_string(user->username));
    json_object_set_new(doc, "nickname", json_string(nick));
    json_object_set_new(doc, "name", json_string(name));
    json_object_set_new(doc, "email", json_string(user_email(user)));
    json_object_set_new(doc, "email_verified", json_true());
    json_object_set_new(doc, "given_name",
                        user->first_name ? json_string(user->first_name)
                                         : json_null());
    json_object_set_new(
        doc, "family_name",
        json_string(user->last_name ? user->last_name : user->username));
    json_object_set_new(doc, "zoneinfo", json_string("GMT"));
    json_object_set_new(doc, "photos", user_photos(org));
    json_object_set_new(doc, "profile", json_string(profile));
    json_object_set_new(doc, "picture",
                        json_incref(json_object_get(
                            json_object_get(doc, "photos"), "picture")));
    json_object_set_new(doc, "address", json_object());
    json_object_set_new(doc, "is_salesforce_integration_user",
                        json_boolean(user->integration));
    json_object_set_new(doc, "urls", identity_urls(org, user, version));
    json_object_set_new(doc, "active", json_true());
    json_object_set_new(doc, "user_type", json_string("STANDARD"));
    json_object_set_new(doc, "language", json_string("en_US"));
    json_object_set_new(doc, "locale", json_string("en_US"));
    json_object_set_new(doc, "utcOffset", json_integer(0));
    json_object_set_new(doc, "updated_at", json_string(updated));
    json_object_set_new(doc, "is_app_installed", json_true());
    free(profile);
    free(nick);
    free(name);
    free(sub);
    return doc;
}

/* The identity URL document of user. asserted is true when the token
 * belongs to that user. */
static json_t *identity_json(const struct sim_org *org,
                             const struct sim_user *user, bool asserted,
                             const char *version)
{
    char *id = identity_url(org, user);
    char *name = display_name(user);
    char *nick = nickname(user);
    char modified[DATETIME_LEN];
    json_t *doc;

    datetime_format_sf(user_modified_ms(org, user), modified);
    doc = json_object();
    json_object_set_new(doc, "id", json_string(id));
    json_object_set_new(doc, "asserted_user", json_boolean(asserted));
    json_object_set_new(doc, "user_id", json_string(user->id));
    json_object_set_new(doc, "organization_id", json_string(org->org_id));
    json_object_set_new(doc, "username", json_string(user->username));
    json_object_set_new(doc, "nick_name", json_string(nick));
    json_object_set_new(doc, "display_name", json_string(name));
    json_object_set_new(doc, "email", json_string(user_email(user)));
    json_object_set_new(doc, "email_verified", json_true());
    json_object_set_new(doc, "first_name",
                        user->first_name ? json_string(user->first_name)
                                         : json_null());
    json_object_set_new(
        doc, "last_name",
        json_string(user->last_name ? user->last_name : user->username));
    json_object_set_new(doc, "timezone", json_string("GMT"));
    json_object_set_new(doc, "photos", user_photos(org));
    json_object_set_new(doc, "urls", identity_urls(org, user, version));
    json_object_set_new(doc, "active", json_true());
    json_object_set_new(doc, "user_type", json_string("STANDARD"));
    json_object_set_new(doc, "language", json_string("en_US"));
    json_object_set_new(doc, "locale", json_string("en_US"));
    json_object_set_new(doc, "utcOffset", json_integer(0));
    json_object_set_new(doc, "last_modified_date", json_string(modified));
    json_object_set_new(doc, "is_app_installed", json_true());
    free(nick);
    free(name);
    free(id);
    return doc;
}

/*
 * Find the access token of a UserInfo or identity request, or send 401 and
 * return NULL. These calls are not API calls, so they do not count toward
 * the expire-after-calls fault, but a token that the fault used up is
 * rejected.
 * NOTE: the status and body that Salesforce's identity service sends for a
 * bad token are not confirmed. sfsim sends the REST 401 INVALID_SESSION_ID,
 * which makes clients refresh as they do for REST calls.
 */
static struct sim_token *identity_token(struct sim_org *org,
                                        struct http_req *req,
                                        struct http_resp *resp)
{
    const char *reason = NULL;
    struct sim_token *t = find_access_token(org, req, &reason);

    if (!t) {
        log_token_rejected(reason, req->path);
        sim_reply_error(resp, 401, "INVALID_SESSION_ID",
                        "Session expired or invalid");
    }
    return t;
}

/* GET or POST /services/oauth2/userinfo. */
static int handle_userinfo(struct http_req *req, struct http_resp *resp,
                           void *payload)
{
    struct sim_org *org = sim_request_org(req);
    struct sim_token *t = identity_token(org, req, resp);
    char *version;

    (void)payload;
    if (!t)
        return 0;
    version = urls_version(req);
    http_resp_json(resp, 200, userinfo_json(org, t->user, version));
    free(version);
    return 0;
}

/*
 * GET or POST /id/{orgId}/{userId}. Ids may have 15 or 18 characters. A
 * token may read another user of its org, as an api-scoped token of an
 * internal user can on Salesforce, and asserted_user is then false.
 * NOTE: replies are JSON only, but Salesforce also serves format=xml and
 * format=urlencoded.
 */
static int handle_identity(struct http_req *req, struct http_resp *resp,
                           void *payload)
{
    struct sim_org *org = sim_request_org(req);
    struct sim_token *t = identity_token(org, req, resp);
    char org_id[19], user_id[19];
    struct sim_user *user = NULL;
    char *version;

    (void)payload;
    if (!t)
        return 0;
    if (sim_id_to18(req->params[0], org_id) == 0 &&
        strcmp(org_id, org->org_id) == 0 &&
        sim_id_to18(req->params[1], user_id) == 0)
        user = sim_org_user_by_id(org, user_id);
    if (!user) {
        log_warn("oauth", "identity request failed",
                 "error=NOT_FOUND org=%.18s user=%.18s", req->params[0],
                 req->params[1]);
        sim_reply_error(resp, 404, "NOT_FOUND",
                        "The requested resource does not exist");
        return 0;
    }
    version = urls_version(req);
    http_resp_json(resp, 200,
                   identity_json(org, user, user == t->user, version));
    free(version);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Authorize page                                                      */
/* ------------------------------------------------------------------ */

/* The parameters of an authorize request, each an owned string or NULL. */
struct authorize_request {
    char *response_type, *client_id, *redirect_uri, *state, *scope,
        *code_challenge, *code_challenge_method, *login_hint;
};

static void authorize_request_read(struct authorize_request *ar,
                                   const struct http_req *req)
{
    ar->response_type = request_param(req, "response_type");
    ar->client_id = request_param(req, "client_id");
    ar->redirect_uri = request_param(req, "redirect_uri");
    ar->state = request_param(req, "state");
    ar->scope = request_param(req, "scope");
    ar->code_challenge = request_param(req, "code_challenge");
    ar->code_challenge_method = request_param(req, "code_challenge_method");
    ar->login_hint = request_param(req, "login_hint");
}

static void authorize_request_release(struct authorize_request *ar)
{
    free(ar->response_type);
    free(ar->client_id);
    free(ar->redirect_uri);
    free(ar->state);
    free(ar->scope);
    free(ar->code_challenge);
    free(ar->code_challenge_method);
    free(ar->login_hint);
}

static void put_html(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&#39;");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

static void put_hidden(struct buf *b, const char *name, const char *value)
{
    if (!value)
        return;
    buf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
    put_html(b, value);
    buf_puts(b, "\">\n");
}

static void page_start(struct buf *b)
{
    buf_init(b, 0);
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                "<meta charset=\"utf-8\">\n"
                "<title>Log in to sfsim</title>\n</head>\n<body>\n"
                "<h1>sfsim: log in and allow access</h1>\n");
}

static void page_send(struct http_resp *resp, int status, struct buf *b)
{
    buf_puts(b, "</body>\n</html>\n");
    http_resp_text(resp, status, "text/html;charset=UTF-8", b->data);
    http_resp_header(resp, "Cache-Control", "no-store");
    http_resp_header(resp, "X-Frame-Options", "DENY");
    buf_release(b);
}

/* Show an error that cannot go back to the client by redirect. */
static void reply_page_error(struct http_resp *resp, const char *error,
                             const char *description)
{
    struct buf b;

    page_start(&b);
    buf_puts(&b, "<p role=\"alert\">Error: ");
    put_html(&b, error);
    buf_puts(&b, ": ");
    put_html(&b, description);
    buf_puts(&b, "</p>\n");
    page_send(resp, 400, &b);
}

/* Show the login-and-approve form, with an error line when message is set. */
static void reply_login_page(struct http_resp *resp, int status,
                             const struct authorize_request *ar,
                             const char *username, const char *message)
{
    struct buf b;

    page_start(&b);
    buf_puts(&b, "<p>The application <strong>");
    put_html(&b, ar->client_id);
    buf_puts(&b, "</strong> requests access to your sfsim org");
    if (ar->scope) {
        buf_puts(&b, " with the scope <code>");
        put_html(&b, ar->scope);
        buf_puts(&b, "</code>");
    }
    buf_puts(&b, ".</p>\n");
    if (message) {
        buf_puts(&b, "<p role=\"alert\">");
        put_html(&b, message);
        buf_puts(&b, "</p>\n");
    }
    buf_puts(&b, "<form method=\"post\" action=\"/services/oauth2/authorize\">"
                 "\n");
    put_hidden(&b, "response_type", ar->response_type);
    put_hidden(&b, "client_id", ar->client_id);
    put_hidden(&b, "redirect_uri", ar->redirect_uri);
    put_hidden(&b, "state", ar->state);
    put_hidden(&b, "scope", ar->scope);
    put_hidden(&b, "code_challenge", ar->code_challenge);
    put_hidden(&b, "code_challenge_method", ar->code_challenge_method);
    buf_puts(&b, "<p><label for=\"username\">Username</label>\n"
                 "<input id=\"username\" name=\"username\" type=\"text\" "
                 "autocomplete=\"username\" value=\"");
    put_html(&b, username);
    buf_puts(&b, "\"></p>\n"
                 "<p><label for=\"password\">Password</label>\n"
                 "<input id=\"password\" name=\"password\" type=\"password\" "
                 "autocomplete=\"current-password\"></p>\n"
                 "<p><button type=\"submit\" name=\"approve\" value=\"1\">"
                 "Allow</button>\n"
                 "<button type=\"submit\" name=\"approve\" value=\"0\">"
                 "Deny</button></p>\n</form>\n");
    page_send(resp, status, &b);
}

/*
 * Whether uri can receive the redirect: an absolute http or https URL
 * without a fragment. sfsim is for local testing and has no list of
 * registered callback URLs, so it accepts any such URL. Salesforce only
 * accepts the connected app's callback URLs.
 */
static bool redirect_uri_valid(const char *uri)
{
    const char *rest;

    if (!uri)
        return false;
    if (strncasecmp(uri, "https://", 8) == 0)
        rest = uri + 8;
    else if (strncasecmp(uri, "http://", 7) == 0)
        rest = uri + 7;
    else
        return false;
    if (!*rest || *rest == '/' || strchr(uri, '#'))
        return false;
    for (const char *p = uri; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

/* Append name=value to a redirect URL, percent-encoding the value. */
static void put_query_arg(struct buf *b, const char *name, const char *value)
{
    char *enc;

    if (!value)
        return;
    enc = http_url_encode(value);
    buf_printf(b, "%c%s=%s", strchr(b->data, '?') ? '&' : '?', name, enc);
    free(enc);
}

/* Redirect to the client with code or error, and the state it sent. */
static void reply_redirect(struct http_resp *resp,
                           const struct authorize_request *ar, const char *code,
                           const char *error, const char *description)
{
    struct buf b;

    buf_init(&b, 0);
    buf_puts(&b, ar->redirect_uri);
    put_query_arg(&b, "code", code);
    put_query_arg(&b, "error", error);
    put_query_arg(&b, "error_description", description);
    put_query_arg(&b, "state", ar->state);
    resp->status = 302;
    http_resp_header(resp, "Location", b.data);
    http_resp_header(resp, "Cache-Control", "no-store");
    buf_release_secret(&b);
}

/*
 * Validate an authorize request. Errors in client_id or redirect_uri are
 * shown on the page with 400, because there is nowhere safe to redirect.
 * The others go back to the client as an error redirect. Returns 0 when
 * the request is good, else -1 after sending the error.
 */
static int check_authorize(struct sim_org *org,
                           const struct authorize_request *ar,
                           struct http_resp *resp)
{
    const char *bad_scope = NULL;
    char *scope;

    if (!ar->client_id || strcmp(ar->client_id, org->cfg.client_id) != 0) {
        log_warn("oauth", "authorize request failed",
                 "error=invalid_client_id client_id=%.80s",
                 ar->client_id ? ar->client_id : "(missing)");
        reply_page_error(resp, "invalid_client_id",
                         ar->client_id ? "client identifier invalid"
                                       : "client identifier missing: the "
                                         "request has no client_id");
        return -1;
    }
    if (!redirect_uri_valid(ar->redirect_uri)) {
        log_warn("oauth", "authorize request failed",
                 "error=redirect_uri_mismatch reason=\"%s\"",
                 ar->redirect_uri ? "not an http(s) URL without a fragment"
                                  : "missing");
        reply_page_error(resp, "redirect_uri_mismatch",
                         "redirect_uri must match configuration: give an "
                         "absolute http or https URL");
        return -1;
    }
    if (!ar->response_type || strcmp(ar->response_type, "code") != 0) {
        log_warn("oauth", "authorize request failed",
                 "error=unsupported_response_type response_type=%.40s",
                 ar->response_type ? ar->response_type : "(missing)");
        reply_redirect(resp, ar, NULL, "unsupported_response_type",
                       "response type not supported");
        return -1;
    }
    if (ar->code_challenge_method &&
        strcmp(ar->code_challenge_method, "S256") != 0) {
        log_warn("oauth", "authorize request failed",
                 "error=invalid_request code_challenge_method=%.40s",
                 ar->code_challenge_method);
        reply_redirect(resp, ar, NULL, "invalid_request",
                       "code_challenge_method must be S256");
        return -1;
    }
    scope = grant_scope(ar->scope, true, &bad_scope);
    if (!scope) {
        log_warn("oauth", "authorize request failed",
                 "error=invalid_scope at=\"%.40s\"", bad_scope);
        reply_redirect(resp, ar, NULL, "invalid_scope",
                       "the requested scope is not allowed");
        return -1;
    }
    free(scope);
    return 0;
}

/* Free codes that have expired, so the table stays small. */
static void sweep_codes(struct sim_org *org, int64_t now)
{
    for (size_t i = 0; i < org->codes.cap; i++) {
        struct sim_auth_code *c = org->codes.slots[i].value;

        if (c && now >= c->expires_ms) {
            hmap_remove(&org->codes, c->code);
            code_free(c);
        }
    }
}

/* Make a single-use authorization code for user and store it. */
static struct sim_auth_code *code_new(struct sim_org *org,
                                      struct sim_user *user,
                                      const struct authorize_request *ar)
{
    struct sim_auth_code *c = xcalloc(1, sizeof(*c));
    int64_t now = datetime_now_ms();
    struct buf b;

    sweep_codes(org, now);
    do {
        buf_init(&b, 0);
        put_random_base62(&b, 64);
        free_secret(c->code);
        c->code = buf_detach(&b);
    } while (hmap_get(&org->codes, c->code));
    c->user = user;
    c->client_id = xstrdup(ar->client_id);
    c->redirect_uri = xstrdup(ar->redirect_uri);
    c->challenge = xstrdup(ar->code_challenge);
    c->challenge_method = xstrdup(ar->code_challenge ? "S256" : NULL);
    c->scope = xstrdup(ar->scope);
    c->expires_ms = now + CODE_LIFETIME_MS;
    hmap_put(&org->codes, c->code, c);
    return c;
}

/* GET /services/oauth2/authorize: the login-and-approve page. */
static int handle_authorize_page(struct http_req *req, struct http_resp *resp,
                                 void *payload)
{
    struct authorize_request ar = {0};

    authorize_request_read(&ar, req);
    if (check_authorize(sim_request_org(req), &ar, resp) == 0)
        reply_login_page(resp, 200, &ar, ar.login_hint, NULL);
    authorize_request_release(&ar);
    return 0;
}

/* POST /services/oauth2/authorize: the submitted login-and-approve form. */
static int handle_authorize_submit(struct http_req *req, struct http_resp *resp,
                                   void *payload)
{
    struct sim_org *org = sim_request_org(req);
    struct authorize_request ar = {0};
    char *approve = request_param(req, "approve");
    char *username = request_param(req, "username");
    char *password = request_param(req, "password");
    struct sim_user *user;

    (void)payload;
    authorize_request_read(&ar, req);
    if (check_authorize(org, &ar, resp) < 0)
        goto out;
    if (!approve || strcmp(approve, "1") != 0) {
        log_warn("oauth", "authorize request failed",
                 "error=access_denied reason=\"user denied access\"");
        reply_redirect(resp, &ar, NULL, "access_denied",
                       "end-user denied authorization");
        goto out;
    }
    user = username ? sim_org_user_by_name(org, username) : NULL;
    if (!user || !user->password || !secret_equal(password, user->password)) {
        log_warn("oauth", "authorize login failed",
                 "error=authentication_failure username=%.80s",
                 username ? username : "(missing)");
        reply_login_page(resp, 400, &ar, username,
                         "Authentication failure: check the username and "
                         "password.");
        goto out;
    }

    log_info("oauth", "authorization code issued", "user=%s pkce=%s", user->id,
             ar.code_challenge ? "S256" : "none");
    reply_redirect(resp, &ar, code_new(org, user, &ar)->code, NULL, NULL);

out:
    authorize_request_release(&ar);
    free(approve);
    free(username);
    free_secret(password);
    return 0;
}

void sim_oauth_routes(struct http_router *r)
{
    http_router_add(r, "POST", "/services/oauth2/token", handle_token, NULL);
    http_router_add(r, "GET", "/services/oauth2/authorize",
                    handle_authorize_page, NULL);
    http_router_add(r, "POST", "/services/oauth2/authorize",
                    handle_authorize_submit, NULL);
    http_router_add(r, "POST", "/services/oauth2/revoke", handle_revoke, NULL);
    http_router_add(r, "GET", "/services/oauth2/revoke", handle_revoke, NULL);
    http_router_add(r, "GET", "/services/oauth2/userinfo", handle_userinfo,
                    NULL);
    http_router_add(r, "POST", "/services/oauth2/userinfo", handle_userinfo,
                    NULL);
    http_router_add(r, "GET", "/id/{orgId}/{userId}", handle_identity, NULL);
    http_router_add(r, "POST", "/id/{orgId}/{userId}", handle_identity, NULL);
}
