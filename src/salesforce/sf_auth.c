/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 the sfsync authors */
/*
 * OAuth 2.0 grants against the Salesforce token endpoint, the token state
 * they fill, and the PKCE and JWT helpers. Tokens and secrets are zeroed
 * before they are freed and are never logged.
 */
#include "base/common.h"

#include "salesforce/sf_auth.h"

#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "base/buf.h"
#include "base/datetime.h"

#define TOKEN_PATH "/services/oauth2/token"
#define AUTHORIZE_PATH "/services/oauth2/authorize"
#define USERINFO_PATH "/services/oauth2/userinfo"
#define GRANT_JWT "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define FORM_TYPE "application/x-www-form-urlencoded"

struct sf_auth {
    char *login_url;
    char *client_id;
    char *client_secret;
    enum sf_auth_grant grant;
    char *username;
    char *password;
    char *private_key_file;
    char *jwt_audience;
    char *redirect_uri;
    char *scope;
    struct sf_token token;
    bool needs_reauth;
    sf_auth_token_fn on_token;
    void *payload;
};

/* A copy of url without trailing slashes, so paths can be appended. */
static char *trimmed_url(const char *url)
{
    size_t len = strlen(url);

    while (len > 0 && url[len - 1] == '/')
        len--;
    return xstrndup(url, len);
}

/* An http(s) URL with a host: "http://" alone, or "http:///x", has none. */
static bool url_is_http(const char *url)
{
    size_t skip;

    if (!url)
        return false;
    if (strncasecmp(url, "https://", 8) == 0)
        skip = 8;
    else if (strncasecmp(url, "http://", 7) == 0)
        skip = 7;
    else
        return false;
    return url[skip] && url[skip] != '/' && url[skip] != ':';
}

static bool url_is_https(const char *url)
{
    return url && strncasecmp(url, "https://", 8) == 0;
}

static bool empty(const char *s)
{
    return !s || !*s;
}

static int check_config(const struct sf_auth_config *cfg, struct err *err)
{
    if (!url_is_http(cfg->login_url))
        return err_set(err, SYNC_EINVALID,
                       "invalid login URL '%.80s': give an https:// URL "
                       "such as https://login.salesforce.com, or an http:// "
                       "URL of a test server",
                       cfg->login_url ? cfg->login_url : "");
    if (empty(cfg->client_id))
        return err_set(err, SYNC_EINVALID,
                       "missing client id: set the connected app's "
                       "consumer key");
    switch (cfg->grant) {
    case SF_AUTH_GRANT_CLIENT_CREDENTIALS:
        if (empty(cfg->client_secret))
            return err_set(err, SYNC_EINVALID,
                           "missing client secret for the client "
                           "credentials grant");
        break;
    case SF_AUTH_GRANT_JWT_BEARER:
        if (empty(cfg->username) || empty(cfg->private_key_file))
            return err_set(err, SYNC_EINVALID,
                           "the JWT bearer grant needs a username and a "
                           "private key file");
        break;
    case SF_AUTH_GRANT_PASSWORD:
        if (empty(cfg->username) || !cfg->password || empty(cfg->client_secret))
            return err_set(err, SYNC_EINVALID,
                           "the password grant needs a username, a "
                           "password and the client secret");
        break;
    case SF_AUTH_GRANT_AUTHORIZATION_CODE:
        if (!url_is_http(cfg->redirect_uri))
            return err_set(err, SYNC_EINVALID,
                           "the authorization code grant needs an http(s) "
                           "redirect URI");
        break;
    case SF_AUTH_GRANT_NONE:
        break;
    default:
        return err_set(err, SYNC_EINVALID, "unknown grant %d", (int)cfg->grant);
    }
    return 0;
}

struct sf_auth *sf_auth_new(const struct sf_auth_config *cfg, struct err *err)
{
    struct sf_auth *a;

    if (check_config(cfg, err) < 0)
        return NULL;
    a = xcalloc(1, sizeof(*a));
    a->login_url = trimmed_url(cfg->login_url);
    a->client_id = xstrdup(cfg->client_id);
    a->client_secret = xstrdup(cfg->client_secret);
    a->grant = cfg->grant;
    a->username = xstrdup(cfg->username);
    a->password = xstrdup(cfg->password);
    a->private_key_file = xstrdup(cfg->private_key_file);
    a->jwt_audience =
        xstrdup(cfg->jwt_audience ? cfg->jwt_audience : a->login_url);
    a->redirect_uri = xstrdup(cfg->redirect_uri);
    a->scope = xstrdup(cfg->scope);
    return a;
}

static void token_release(struct sf_token *t)
{
    free_secret(t->access_token);
    free_secret(t->refresh_token);
    free(t->instance_url);
    free(t->identity_url);
    free(t->scope);
    memset(t, 0, sizeof(*t));
}

void sf_auth_free(struct sf_auth *a)
{
    if (!a)
        return;
    token_release(&a->token);
    free(a->login_url);
    free(a->client_id);
    free_secret(a->client_secret);
    free(a->username);
    free_secret(a->password);
    free(a->private_key_file);
    free(a->jwt_audience);
    free(a->redirect_uri);
    free(a->scope);
    free(a);
}

const struct sf_token *sf_auth_token(const struct sf_auth *a)
{
    return &a->token;
}

void sf_auth_set_callback(struct sf_auth *a, sf_auth_token_fn fn, void *payload)
{
    a->on_token = fn;
    a->payload = payload;
}

bool sf_auth_needs_reauth(const struct sf_auth *a)
{
    return a->needs_reauth;
}

void sf_auth_set_needs_reauth(struct sf_auth *a, bool value)
{
    a->needs_reauth = value;
}

int sf_auth_parse_identity_url(const char *url, char org_id[SFID_SIZE],
                               char user_id[SFID_SIZE])
{
    const char *id = url ? strstr(url, "/id/") : NULL;
    char org[SFID_SIZE], user[SFID_SIZE];
    size_t org_len, user_len;

    if (!id)
        return -1;
    id += 4;
    org_len = strcspn(id, "/");
    if (id[org_len] != '/' || org_len >= SFID_SIZE)
        return -1;
    user_len = strcspn(id + org_len + 1, "/?#");
    if (user_len >= SFID_SIZE)
        return -1;
    memcpy(org, id, org_len);
    org[org_len] = '\0';
    memcpy(user, id + org_len + 1, user_len);
    user[user_len] = '\0';
    if (sfid_to18(org, org_id) < 0 || sfid_to18(user, user_id) < 0 ||
        strncmp(org_id, "00D", 3) != 0 || strncmp(user_id, "005", 3) != 0)
        return -1;
    return 0;
}

/*
 * Check that an instance URL from a server may receive our tokens: https,
 * or http only when the login URL is http too (a local sfsim).
 */
static int check_instance_url(const struct sf_auth *a, const char *url,
                              struct err *err)
{
    if (url_is_https(url) || (url_is_http(url) && !url_is_https(a->login_url)))
        return 0;
    return err_set(err, SYNC_EINVALID,
                   "invalid instance URL '%.80s' in the token response: "
                   "expected https",
                   url ? url : "");
}

int sf_auth_restore(struct sf_auth *a, const struct sf_token *stored,
                    struct err *err)
{
    struct sf_token t = {0};

    if (stored->instance_url &&
        check_instance_url(a, stored->instance_url, err) < 0)
        return SYNC_EINVALID;
    t.access_token = xstrdup(stored->access_token);
    t.refresh_token = xstrdup(stored->refresh_token);
    t.instance_url =
        stored->instance_url ? trimmed_url(stored->instance_url) : NULL;
    t.identity_url = xstrdup(stored->identity_url);
    t.scope = xstrdup(stored->scope);
    t.issued_at_ms = stored->issued_at_ms;
    memcpy(t.org_id, stored->org_id, SFID_SIZE);
    memcpy(t.user_id, stored->user_id, SFID_SIZE);
    t.org_id[SFID_SIZE - 1] = t.user_id[SFID_SIZE - 1] = '\0';
    token_release(&a->token);
    a->token = t;
    return 0;
}

/* Overwrite a secret string inside a parsed document before it is freed,
 * since jansson frees without zeroing. */
static void scrub(json_t *doc, const char *key)
{
    json_t *value = json_object_get(doc, key);

    if (json_is_string(value))
        secure_zero((char *)json_string_value(value),
                    json_string_length(value));
}

static const char *get_string(json_t *doc, const char *key)
{
    return json_string_value(json_object_get(doc, key));
}

/* Fill t from a token response. Fields that a refresh may leave out
 * (refresh_token, instance_url) are taken from old. */
static int parse_token_response(const struct sf_auth *a, json_t *doc,
                                const struct sf_token *old, struct sf_token *t,
                                struct err *err)
{
    const char *access = get_string(doc, "access_token");
    const char *refresh = get_string(doc, "refresh_token");
    const char *instance = get_string(doc, "instance_url");
    const char *identity = get_string(doc, "id");
    const char *issued = get_string(doc, "issued_at");
    int64_t issued_ms = 0;
    char *end = NULL;

    if (!instance)
        instance = old->instance_url;
    if (empty(access) || !json_is_object(doc))
        return err_set(err, SYNC_EINVALID,
                       "token response from '%s" TOKEN_PATH "' has no "
                       "access_token",
                       a->login_url);
    if (check_instance_url(a, instance, err) < 0)
        return SYNC_EINVALID;
    if (!identity ||
        sf_auth_parse_identity_url(identity, t->org_id, t->user_id) < 0)
        return err_set(err, SYNC_EINVALID,
                       "token response from '%s" TOKEN_PATH "' has no "
                       "identity URL ending in /id/ORGID/USERID",
                       a->login_url);
    if (issued)
        issued_ms = strtoll(issued, &end, 10);
    if (!issued || !end || *end || issued_ms <= 0)
        issued_ms = datetime_now_ms();

    t->access_token = xstrdup(access);
    t->refresh_token = xstrdup(refresh ? refresh : old->refresh_token);
    t->instance_url = trimmed_url(instance);
    t->identity_url = xstrdup(identity);
    t->scope = xstrdup(get_string(doc, "scope"));
    t->issued_at_ms = issued_ms;
    return 0;
}

static const char *grant_name(const char *grant_type)
{
    return strcmp(grant_type, GRANT_JWT) == 0 ? "jwt-bearer" : grant_type;
}

/*
 * Post a token request and install the tokens it returns. form contains
 * the body and is zeroed here, and grant_type names the grant in the log.
 */
static int token_request(struct sf_auth *a, struct sf_http *http,
                         struct buf *form, const char *grant_type,
                         unsigned flags, struct err *err)
{
    char *url = xasprintf("%s" TOKEN_PATH, a->login_url);
    struct sf_http_request req = {
        .method = "POST",
        .url = url,
        .content_type = FORM_TYPE,
        .body = form->data,
        .body_len = form->len,
        .flags = flags,
    };
    struct sf_http_response resp;
    struct sf_token t = {0};
    json_t *doc = NULL;
    int rc;

    sf_http_response_init(&resp);
    rc = sf_http_send(http, &req, &resp, err);
    if (rc < 0) {
        /* The endpoint refused this request; repeating it cannot help. */
        if (resp.status >= 400 && resp.status < 500)
            a->needs_reauth = true;
        goto out;
    }
    rc = sf_http_parse_json(&resp, "POST", url, &doc, err);
    if (rc < 0)
        goto out;
    rc = parse_token_response(a, doc, &a->token, &t, err);
    if (rc < 0)
        goto out;

    token_release(&a->token);
    a->token = t;
    a->needs_reauth = false;
    log_info("salesforce", "access token issued",
             "grant=%s org=%s user=%s refresh_token=%s", grant_name(grant_type),
             t.org_id, t.user_id, t.refresh_token ? "yes" : "no");
    if (a->on_token)
        a->on_token(&a->token, a->payload);

out:
    if (doc) {
        scrub(doc, "access_token");
        scrub(doc, "refresh_token");
        scrub(doc, "id_token");
        json_decref(doc);
    }
    sf_http_response_release(&resp);
    buf_release_secret(form);
    free(url);
    return rc;
}

static void add_client(const struct sf_auth *a, struct buf *form,
                       bool with_secret)
{
    sf_http_form_add(form, "client_id", a->client_id);
    if (with_secret && a->client_secret)
        sf_http_form_add(form, "client_secret", a->client_secret);
}

static void add_scope(const struct sf_auth *a, struct buf *form)
{
    if (!empty(a->scope))
        sf_http_form_add(form, "scope", a->scope);
}

int sf_auth_client_credentials(struct sf_auth *a, struct sf_http *http,
                               struct err *err)
{
    struct buf form;

    if (empty(a->client_secret))
        return err_set(err, SYNC_EINVALID,
                       "missing client secret for the client credentials "
                       "grant");
    buf_init(&form, 0);
    sf_http_form_add(&form, "grant_type", "client_credentials");
    add_client(a, &form, true);
    add_scope(a, &form);
    /* Another token for the same app is harmless, so retry freely. */
    return token_request(a, http, &form, "client_credentials",
                         SF_HTTP_REPEATABLE, err);
}

int sf_auth_password(struct sf_auth *a, struct sf_http *http, struct err *err)
{
    struct buf form;

    if (empty(a->username) || !a->password)
        return err_set(err, SYNC_EINVALID,
                       "missing username or password for the password "
                       "grant");
    buf_init(&form, 0);
    sf_http_form_add(&form, "grant_type", "password");
    add_client(a, &form, true);
    sf_http_form_add(&form, "username", a->username);
    sf_http_form_add(&form, "password", a->password);
    add_scope(a, &form);
    return token_request(a, http, &form, "password", SF_HTTP_REPEATABLE, err);
}

int sf_auth_jwt_bearer(struct sf_auth *a, struct sf_http *http, struct err *err)
{
    char *assertion = sf_auth_jwt_assertion(a, datetime_now_ms() / 1000, err);
    struct buf form;

    if (!assertion)
        return err ? err->code : SYNC_EINVALID;
    buf_init(&form, 0);
    sf_http_form_add(&form, "grant_type", GRANT_JWT);
    sf_http_form_add(&form, "assertion", assertion);
    add_scope(a, &form);
    free_secret(assertion);
    return token_request(a, http, &form, GRANT_JWT, SF_HTTP_REPEATABLE, err);
}

int sf_auth_refresh(struct sf_auth *a, struct sf_http *http, struct err *err)
{
    struct buf form;

    if (empty(a->token.refresh_token))
        return err_set(err, SYNC_EAUTH,
                       "no refresh token to renew the session: log in "
                       "again");
    buf_init(&form, 0);
    sf_http_form_add(&form, "grant_type", "refresh_token");
    sf_http_form_add(&form, "refresh_token", a->token.refresh_token);
    add_client(a, &form, true);
    return token_request(a, http, &form, "refresh_token", 0, err);
}

int sf_auth_exchange_code(struct sf_auth *a, struct sf_http *http,
                          const char *code, const char *verifier,
                          struct err *err)
{
    struct buf form;

    if (empty(code) || empty(a->redirect_uri))
        return err_set(err, SYNC_EINVALID,
                       "the code exchange needs an authorization code and "
                       "a redirect URI");
    buf_init(&form, 0);
    sf_http_form_add(&form, "grant_type", "authorization_code");
    sf_http_form_add(&form, "code", code);
    add_client(a, &form, true);
    sf_http_form_add(&form, "redirect_uri", a->redirect_uri);
    if (verifier)
        sf_http_form_add(&form, "code_verifier", verifier);
    /* A code works once, so a repeat after a lost reply would fail. */
    return token_request(a, http, &form, "authorization_code", 0, err);
}

int sf_auth_login(struct sf_auth *a, struct sf_http *http, struct err *err)
{
    switch (a->grant) {
    case SF_AUTH_GRANT_CLIENT_CREDENTIALS:
        return sf_auth_client_credentials(a, http, err);
    case SF_AUTH_GRANT_JWT_BEARER:
        return sf_auth_jwt_bearer(a, http, err);
    case SF_AUTH_GRANT_PASSWORD:
        return sf_auth_password(a, http, err);
    default:
        return err_set(err, SYNC_EINVALID,
                       "this connection has no grant that runs without a "
                       "person: authorise it through the browser");
    }
}

int sf_auth_renew(struct sf_auth *a, struct sf_http *http, struct err *err)
{
    if (a->needs_reauth)
        return err_set(err, SYNC_EAUTH,
                       "salesforce connection needs re-authorisation: log "
                       "in again");
    if (!empty(a->token.refresh_token))
        return sf_auth_refresh(a, http, err);
    if (a->grant == SF_AUTH_GRANT_CLIENT_CREDENTIALS ||
        a->grant == SF_AUTH_GRANT_JWT_BEARER ||
        a->grant == SF_AUTH_GRANT_PASSWORD)
        return sf_auth_login(a, http, err);
    a->needs_reauth = true;
    return err_set(err, SYNC_EAUTH,
                   "access token rejected and there is no refresh token: "
                   "log in again");
}

char *sf_auth_b64url(const unsigned char *data, size_t len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "abcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = xmalloc(4 * (len / 3) + 5);
    size_t n = 0, i = 0;

    for (; i + 2 < len; i += 3) {
        uint32_t v =
            (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];

        out[n++] = alphabet[v >> 18];
        out[n++] = alphabet[(v >> 12) & 63];
        out[n++] = alphabet[(v >> 6) & 63];
        out[n++] = alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)data[i] << 16;

        if (i + 1 < len)
            v |= (uint32_t)data[i + 1] << 8;
        out[n++] = alphabet[v >> 18];
        out[n++] = alphabet[(v >> 12) & 63];
        if (i + 1 < len)
            out[n++] = alphabet[(v >> 6) & 63];
    }
    out[n] = '\0';
    return out;
}

static void random_b64url(char *out, size_t bytes)
{
    unsigned char raw[32];
    char *text;

    if (bytes > sizeof(raw) || RAND_bytes(raw, (int)bytes) != 1)
        BUG("RAND_bytes failed");
    text = sf_auth_b64url(raw, bytes);
    memcpy(out, text, strlen(text) + 1);
    free(text);
    secure_zero(raw, sizeof(raw));
}

void sf_auth_pkce_verifier(char out[SF_AUTH_VERIFIER_LEN + 1])
{
    random_b64url(out, 32);
}

void sf_auth_make_state(char out[SF_AUTH_STATE_LEN + 1])
{
    random_b64url(out, 16);
}

int sf_auth_pkce_challenge(const char *verifier,
                           char out[SF_AUTH_CHALLENGE_LEN + 1], struct err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    size_t len = verifier ? strlen(verifier) : 0;
    char *text;

    if (len < 43 || len > 128 ||
        strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789-._~") != len)
        return err_set(err, SYNC_EINVALID,
                       "invalid PKCE code verifier: use 43 to 128 of "
                       "A-Z a-z 0-9 - . _ ~");
    if (EVP_Digest(verifier, len, md, &md_len, EVP_sha256(), NULL) != 1)
        BUG("SHA-256 failed");
    text = sf_auth_b64url(md, md_len);
    memcpy(out, text, SF_AUTH_CHALLENGE_LEN + 1);
    free(text);
    return 0;
}

char *sf_auth_authorize_url(const struct sf_auth *a, const char *challenge,
                            const char *state)
{
    struct buf b;

    buf_init(&b, 0);
    buf_printf(&b, "%s" AUTHORIZE_PATH "?response_type=code", a->login_url);
    buf_puts(&b, "&client_id=");
    sf_http_url_encode(&b, a->client_id);
    if (a->redirect_uri) {
        buf_puts(&b, "&redirect_uri=");
        sf_http_url_encode(&b, a->redirect_uri);
    }
    if (!empty(a->scope)) {
        buf_puts(&b, "&scope=");
        sf_http_url_encode(&b, a->scope);
    }
    if (challenge) {
        buf_puts(&b, "&code_challenge=");
        sf_http_url_encode(&b, challenge);
        buf_puts(&b, "&code_challenge_method=S256");
    }
    if (state) {
        buf_puts(&b, "&state=");
        sf_http_url_encode(&b, state);
    }
    return buf_detach(&b);
}

/* Load the RSA private key of the JWT grant; NULL with err filled. */
static EVP_PKEY *load_private_key(const char *path, struct err *err)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *key;
    char reason[160];

    if (!f) {
        err_set_errno(err, SYNC_EINVALID,
                      "cannot open JWT private key file '%s'", path);
        return NULL;
    }
    key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!key) {
        ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
        err_set(err, SYNC_EINVALID,
                "cannot read a PEM private key from '%s': %s", path, reason);
        return NULL;
    }
    if (EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        err_set(err, SYNC_EINVALID,
                "JWT private key in '%s' is not RSA: Salesforce accepts "
                "only RS256",
                path);
        return NULL;
    }
    return key;
}

/* Sign input with RS256; the caller frees the base64url signature. */
static char *sign_rs256(EVP_PKEY *key, const char *input, struct err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    char *out = NULL;

    if (!ctx)
        BUG("EVP_MD_CTX_new failed");
    if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, NULL, &sig_len, (const unsigned char *)input,
                       strlen(input)) != 1) {
        err_set(err, SYNC_EINVALID, "RS256 signing failed");
        goto out;
    }
    sig = xmalloc(sig_len);
    if (EVP_DigestSign(ctx, sig, &sig_len, (const unsigned char *)input,
                       strlen(input)) != 1) {
        err_set(err, SYNC_EINVALID, "RS256 signing failed");
        goto out;
    }
    out = sf_auth_b64url(sig, sig_len);

out:
    free(sig);
    EVP_MD_CTX_free(ctx);
    return out;
}

char *sf_auth_jwt_assertion(const struct sf_auth *a, int64_t now_s,
                            struct err *err)
{
    static const char header[] = "{\"alg\":\"RS256\"}";
    EVP_PKEY *key = NULL;
    json_t *claims = NULL;
    char *claims_text = NULL, *head64 = NULL, *claims64 = NULL;
    char *input = NULL, *sig64 = NULL, *out = NULL;

    if (empty(a->username) || empty(a->private_key_file)) {
        err_set(err, SYNC_EINVALID,
                "the JWT bearer grant needs a username and a private key "
                "file");
        goto out;
    }
    key = load_private_key(a->private_key_file, err);
    if (!key)
        goto out;
    claims = json_pack("{s:s, s:s, s:s, s:I}", "iss", a->client_id, "sub",
                       a->username, "aud", a->jwt_audience, "exp",
                       (json_int_t)(now_s + SF_AUTH_JWT_LIFETIME_S));
    claims_text = json_dumps(claims, JSON_COMPACT);
    if (!claims_text)
        BUG("json_dumps failed");
    head64 = sf_auth_b64url((const unsigned char *)header, sizeof(header) - 1);
    claims64 =
        sf_auth_b64url((const unsigned char *)claims_text, strlen(claims_text));
    input = xasprintf("%s.%s", head64, claims64);
    sig64 = sign_rs256(key, input, err);
    if (sig64)
        out = xasprintf("%s.%s", input, sig64);

out:
    free(sig64);
    free(input);
    free(claims64);
    free(head64);
    free(claims_text);
    json_decref(claims);
    EVP_PKEY_free(key);
    return out;
}

/* One GET of the userinfo document; 0 with *out set, or a negative code. */
static int fetch_userinfo(struct sf_auth *a, struct sf_http *http, json_t **out,
                          struct err *err)
{
    const char *base =
        a->token.instance_url ? a->token.instance_url : a->login_url;
    char *url = xasprintf("%s" USERINFO_PATH, base);
    struct sf_http_request req = {
        .method = "GET",
        .url = url,
        .bearer = a->token.access_token,
    };
    struct sf_http_response resp;
    int rc;

    sf_http_response_init(&resp);
    rc = sf_http_send(http, &req, &resp, err);
    if (rc == 0)
        rc = sf_http_parse_json(&resp, "GET", url, out, err);
    sf_http_response_release(&resp);
    free(url);
    return rc;
}

int sf_auth_userinfo(struct sf_auth *a, struct sf_http *http,
                     struct sf_userinfo *out, struct err *err)
{
    json_t *doc = NULL;
    const char *user, *org, *username, *name;
    struct err local;
    int rc;

    memset(out, 0, sizeof(*out));
    err_clear(&local);
    if (empty(a->token.access_token) && (rc = sf_auth_renew(a, http, err)) < 0)
        return rc;
    rc = fetch_userinfo(a, http, &doc, &local);
    if (rc == SYNC_EAUTH && local.http_status == 401) {
        if ((rc = sf_auth_renew(a, http, err)) < 0)
            return rc;
        rc = fetch_userinfo(a, http, &doc, &local);
        if (rc == SYNC_EAUTH && local.http_status == 401)
            a->needs_reauth = true;
    }
    if (rc < 0) {
        if (err)
            *err = local;
        return rc;
    }

    user = get_string(doc, "user_id");
    org = get_string(doc, "organization_id");
    username = get_string(doc, "preferred_username");
    if (!user || !org || !username || sfid_to18(user, out->user_id) < 0 ||
        sfid_to18(org, out->org_id) < 0) {
        rc = err_set(err, SYNC_EINVALID,
                     "userinfo response lacks user_id, organization_id or "
                     "preferred_username");
        memset(out, 0, sizeof(*out));
        goto out;
    }
    name = get_string(doc, "name");
    out->username = xstrdup(username);
    out->display_name = xstrdup(name ? name : "");
out:
    json_decref(doc);
    return rc;
}

void sf_auth_userinfo_release(struct sf_userinfo *info)
{
    free(info->username);
    free(info->display_name);
    memset(info, 0, sizeof(*info));
}
